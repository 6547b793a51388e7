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

#include <jansson.h>

#include "arena.h"
#include "cfg.h"
#include "eng.h"
#include "error.h"
#include "sql.h"

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
 * through pure association tables, views as read-only models. New
 * reference (json_decref it); NULL with err filled. */
json_t *schema_reflect_models(const schema_catalog *cat, const char *const *exclude,
                              size_t n_exclude, err_report *err);

/* Reads the catalog of cfg->reflect's schemas through pool and returns the
 * reflected models, as schema_reflect_models. */
json_t *schema_reflect(eng_pool *pool, const cfg_config *cfg, err_report *err);

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
