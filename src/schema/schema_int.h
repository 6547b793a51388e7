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
const char *schema__unique_name(arena *a, const char *name, bool (*taken)(void *, const char *),
                                void *ctx);

#endif
