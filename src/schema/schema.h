/*
 * schema — retort and an existing database: the catalog read into structs
 * (schema_catalog_read), models reflected from it (schema_reflect), the
 * difference between the models and the catalog as DDL (schema_diff), the
 * numbered migration files that record such differences (schema_migrate_*)
 * and the drift check readiness runs (schema_drift).
 *
 * The layer sits above engine, config, core and orm: it reads the catalog
 * through an engine connection with bound-parameter queries (schema names
 * are parameters, never SQL text) and compares it with the Core metadata
 * the ORM builds from the models.
 *
 * Ownership: everything returned lives in the arena passed in. Nothing
 * here keeps state between calls except schema_drift_monitor, a
 * process-lifetime heap object that is safe to use from any thread.
 *
 * Errors: functions return false/NULL with err filled; a catalog entry
 * retort cannot serve (a column of an unsupported type) is ERR_CONFIG
 * naming the table, the column and the type.
 */
#ifndef RETORT_SCHEMA_H
#define RETORT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "arena.h"
#include "cfg.h"
#include "eng.h"
#include "error.h"
#include "orm.h" /* the Core types it passes through, declared */

/* ==== the catalog ====================================================== */

typedef struct schema_column {
    const char *name;
    const char *type_sql;   /* format_type(): "character varying(20)[]", "mood" */
    const char *type_name;  /* the element type's pg_type.typname: "varchar", "int4" */
    const char *type_schema;/* the element type's schema */
    char type_kind;         /* the element type's typtype: 'b' base, 'e' enum, 'd' domain ... */
    bool is_array;
    int typmod;             /* atttypmod: -1 when none */
    bool not_null;
    const char *default_expr; /* pg_get_expr of the default; NULL = none */
    char identity;            /* 'a' ALWAYS, 'd' BY DEFAULT, 0 = not an identity */
    const char *generated;    /* the expression of a stored generated column; NULL */
} schema_column;

typedef struct schema_key {
    const char *name;
    const char **columns;
    size_t n_columns;
} schema_key;

typedef struct schema_fk {
    const char *name;
    const char **columns;
    size_t n_columns;
    const char *ref_schema, *ref_table;
    const char **ref_columns;
} schema_fk;

typedef struct schema_check {
    const char *name;
    const char *expr; /* pg_get_expr of the constraint: "(total >= (0)::numeric)" */
} schema_check;

typedef struct schema_table {
    const char *schema, *name;
    char kind; /* 'r' table, 'p' partitioned table, 'v' view, 'm' materialized view */
    schema_column *columns;
    size_t n_columns;
    schema_key pk; /* n_columns 0 = none */
    schema_key *uniques;
    size_t n_uniques;
    schema_fk *fks;
    size_t n_fks;
    schema_check *checks;
    size_t n_checks;
    schema_key *indexes; /* plain (non-unique, non-constraint) column indexes */
    size_t n_indexes;
} schema_table;

typedef struct schema_enum {
    const char *schema, *name;
    const char **labels;
    size_t n_labels;
} schema_enum;

typedef struct schema_catalog {
    schema_table *tables; /* ordered by schema, then name */
    size_t n_tables;
    schema_enum *enums;
    size_t n_enums;
} schema_catalog;

/* Reads the tables, views, columns, keys, checks, indexes and enum types
 * of the given schemas (n_schemas > 0) in one read-only snapshot. Lives
 * in a. */
schema_catalog *schema_catalog_read(eng_conn *c, arena *a, const char *const *schemas,
                                    size_t n_schemas, err_report *err);

const schema_table *schema_catalog_table(const schema_catalog *cat, const char *schema,
                                         const char *name);
const schema_column *schema_table_column(const schema_table *t, const char *name);
const schema_enum *schema_catalog_enum(const schema_catalog *cat, const char *schema,
                                       const char *name);

/* The configuration's spelling of a column's type ("integer",
 * "string", "numeric", "enum", "text[]") with its length, precision,
 * scale or enum name set in spec; false with ERR_CONFIG naming table,
 * column and type when retort has no type for it. */
bool schema_column_type(const schema_table *t, const schema_column *c, json_t *spec,
                        err_report *err);

/* ==== reflection ======================================================= */

/* The "models" object of a configuration for every table and view of cat
 * whose name is not in exclude: columns with types and options, keys,
 * checks, relationships both ways with back_populates, many-to-many
 * through pure association tables, views as read-only models. A table
 * outside default_schema gets "schema" (and its model the schema's name
 * in front when another table has its name). New reference (json_decref
 * it); NULL with err filled. */
json_t *schema_reflect_models(const schema_catalog *cat, const char *default_schema,
                              const char *const *exclude, size_t n_exclude, err_report *err);

/* Reads the catalog of cfg->reflect's schemas through pool and returns the
 * reflected models, as schema_reflect_models. */
json_t *schema_reflect(eng_pool *pool, const cfg_config *cfg, err_report *err);

/* ==== schema diff ====================================================== */

/* retort's own table of applied migrations; never dropped by a diff. */
#define SCHEMA_MIGRATIONS_TABLE "retort_migrations"

typedef struct schema_change {
    const char *sql;  /* one statement, without ";" */
    const char *why;  /* what a destructive statement loses; NULL otherwise */
    bool destructive; /* can lose data: dropped table or column, type change, primary key */
} schema_change;

typedef struct schema_changes {
    schema_change *items; /* in the order to run them */
    size_t n;
} schema_changes;

/* The statements that make the catalog's schema match md (see
 * schema_diff.c for what is compared); tables named in keep (reflect's
 * exclude list) are left alone. Lives in a. */
bool schema_diff(const sql_metadata *md, const schema_catalog *cat, const char *schema,
                 const char *const *keep, size_t n_keep, arena *a, schema_changes *out /* OUT */,
                 err_report *err);
/* The same, reading the catalog through pool for cfg's models. */
bool schema_diff_database(eng_pool *pool, const cfg_config *cfg, arena *a,
                          schema_changes *out /* OUT */, err_report *err);
/* The script: each statement with ";", a "-- destructive: ..." line
 * before each destructive one. Lives in a. */
const char *schema_changes_script(const schema_changes *ch, arena *a);
/* The schema the models live in: the first of reflect.schemas, else
 * "public". Static or borrowed from cfg. */
const char *schema_default_name(const cfg_config *cfg);

/* ==== migrations ======================================================= */

typedef struct schema_migration {
    const char *version; /* the file's number, as written ("0007") */
    const char *name;    /* "add_notes" */
    const char *file;    /* "0007_add_notes.sql" */
    bool applied;        /* recorded in retort_migrations */
} schema_migration;

/* The migration files of dir in version order (none when dir does not
 * exist). Lives in a. */
bool schema_migrations_list(const char *dir, arena *a, schema_migration **out /* OUT */,
                            size_t *n /* OUT */, err_report *err);
/* The same, with applied marked from the database (the table is created
 * when missing). */
bool schema_migrations_status(eng_pool *pool, const char *dir, arena *a,
                              schema_migration **out /* OUT */, size_t *n /* OUT */,
                              err_report *err);
/* Applies the pending files in order, each with its record in one
 * transaction; stops at the first failure (rolled back). Returns how many
 * were applied, or -1 with err filled. Progress lines go to log (may be
 * NULL). */
int schema_migrate_up(eng_pool *pool, const char *dir, arena *a, FILE *log, err_report *err);
/* Writes script as dir/NNNN_name.sql, NNNN one more than the highest
 * number there (dir is created when missing). Returns the path, in a. */
const char *schema_migration_new(const char *dir, const char *name, const char *script, arena *a,
                                 err_report *err);

/* ==== drift ============================================================ */

/* The models against the catalog, cached for readiness and requests; a
 * process-lifetime heap object, safe from any thread. md and cfg are
 * borrowed for its lifetime. */
typedef struct schema_drift schema_drift;

schema_drift *schema_drift_create(const cfg_config *cfg, const sql_metadata *md);
void schema_drift_destroy(schema_drift *d);
/* The differences that break requests ({"model", "table", "column",
 * "problem"} objects; an empty array when none), re-checked first when
 * none ran yet, when the last check is older than
 * database.drift_check_interval, or always with force (reads the catalog:
 * workers and the background thread only). New reference; NULL with err
 * when the catalog cannot be read. */
json_t *schema_drift_check(schema_drift *d, eng_pool *pool, bool force, err_report *err);
/* Starts the background re-check every database.drift_check_interval
 * seconds (none when it is <= 0); destroy stops it. pool is borrowed. */
bool schema_drift_start(schema_drift *d, eng_pool *pool);
/* The cached differences (new reference; an empty array when none or d
 * is NULL): no database work, for the I/O thread. */
json_t *schema_drift_items(schema_drift *d);
/* The cached differences of one table (new reference), NULL when none or
 * d is NULL: the per-request look-up, no database work. */
json_t *schema_drift_of_table(schema_drift *d, const char *table);
/* The comparison itself (tests): md against cat's schema. New reference;
 * strings built in a. */
json_t *schema_drift_compare(const cfg_config *cfg, const sql_metadata *md,
                             const schema_catalog *cat, const char *schema, arena *a);

/* With auth.database_role: every role the configuration names (anonymous,
 * admin, API keys', permissions') exists in PostgreSQL and the login role
 * of c may switch to it; one ERR_CONFIG item per role that fails, naming
 * it (schema_roles.c). True without database_role. */
bool schema_roles_check(eng_conn *c, const cfg_config *cfg, arena *a, err_report *err);

/* Declared models laid over reflected ones (see schema_config.c). New
 * reference. */
json_t *schema_merge_models(json_t *reflected, json_t *declared);

/* Loads the configuration file at path. When its "reflect" is on (or
 * force), the models are reflected from the database its settings name
 * and the declared models are merged over them. *document (may be NULL)
 * gets the JSON document that was loaded (json_decref it). NULL with
 * every problem in err. */
cfg_config *schema_load_config(arena *a, const char *path, char *const *envp, bool force,
                               json_t **document /* OUT */, err_report *err);

#endif
