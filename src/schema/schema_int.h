/*
 * schema_int — what the files of src/schema share (prefix schema__).
 */
#ifndef RETORT_SCHEMA_INT_H
#define RETORT_SCHEMA_INT_H

#include <string.h>

#include "orm.h"
#include "schema.h"
#include "sql.h"
#include "strbuf.h"


/* A catalog column's Core type; false for types retort does not map. */
bool schema__catalog_type(const schema_column *c, sql_type *out /* OUT */);
/* Same type, modifiers included (what would need ALTER COLUMN TYPE). */
bool schema__same_type(sql_type a, sql_type b);

const char *schema__singular(arena *a, const char *word);
const char *schema__model_name(arena *a, const char *table);
const char *schema__to_one_name(arena *a, const char *column, const char *ref_table);
/* Where a Core table lives: its "schema" (dflt when it names none) and
 * its PostgreSQL name (schema_tables.c). */
const char *schema__table_schema(const sql_table *t, const char *dflt);
const char *schema__table_name(const sql_table *t);
/* The schemas the models use: dflt, then each other table schema once.
 * Lives in a. */
const char **schema__model_schemas(const sql_metadata *md, const char *dflt, arena *a,
                                   size_t *n /* OUT */);
/* The catalog table of Core table t (in its own schema, or dflt). */
const schema_table *schema__catalog_of(const schema_catalog *cat, const sql_table *t,
                                       const char *dflt);

const char *schema__unique_name(arena *a, const char *name, bool (*taken)(void *, const char *),
                                void *ctx);

#endif
