/*
 * schema_tables — where a model's table lives in the catalog: a model may
 * name its "schema" (SQLAlchemy's Table(..., schema=)); the others are in
 * the default schema (the first of reflect.schemas, else public). Diff,
 * drift and migrations read every schema the models use and look each
 * table up in its own.
 */
#include "schema_int.h"

const char *schema__table_schema(const sql_table *t, const char *dflt)
{
    return t->schema ? t->schema : dflt;
}

const char *schema__table_name(const sql_table *t)
{
    return t->sql_name ? t->sql_name : t->name;
}

const char **schema__model_schemas(const sql_metadata *md, const char *dflt, arena *a, size_t *n)
{
    const char **out = ARENA_ARRAY(a, const char *, md->n_tables + 1);
    out[0] = dflt;
    *n = 1;
    for (size_t i = 0; i < md->n_tables; i++) {
        const char *s = md->tables[i]->schema;
        bool seen = !s;
        for (size_t k = 0; !seen && k < *n; k++)
            seen = strcmp(out[k], s) == 0;
        if (!seen)
            out[(*n)++] = s;
    }
    return out;
}

const schema_table *schema__catalog_of(const schema_catalog *cat, const sql_table *t,
                                       const char *dflt)
{
    return schema_catalog_table(cat, schema__table_schema(t, dflt), schema__table_name(t));
}
