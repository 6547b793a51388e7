/*
 * schema_types — a catalog column's type in the configuration's words:
 * the one table from PostgreSQL type names (pg_type.typname of the
 * element type) to retort's column types, with the modifiers decoded
 * from atttypmod the way format_type() does.
 */
#include <stdio.h>

#include "schema_int.h"

typedef enum modifier { MOD_NONE, MOD_LENGTH, MOD_NUMERIC, MOD_PRECISION } modifier;

static const struct {
    const char *pg;  /* typname */
    const char *cfg; /* the configuration's type */
    modifier mod;
} TYPES[] = {
    {"int2", "smallint", MOD_NONE},
    {"int4", "integer", MOD_NONE},
    {"int8", "bigint", MOD_NONE},
    {"float4", "real", MOD_NONE},
    {"float8", "double", MOD_NONE},
    {"numeric", "numeric", MOD_NUMERIC},
    {"varchar", "string", MOD_LENGTH},
    {"text", "text", MOD_NONE},
    {"bpchar", "char", MOD_LENGTH},
    {"bool", "boolean", MOD_NONE},
    {"uuid", "uuid", MOD_NONE},
    {"date", "date", MOD_NONE},
    {"time", "time", MOD_PRECISION},
    {"timestamp", "timestamp", MOD_PRECISION},
    {"timestamptz", "timestamptz", MOD_PRECISION},
    {"interval", "interval", MOD_NONE},
    {"json", "json", MOD_NONE},
    {"jsonb", "jsonb", MOD_NONE},
    {"bytea", "bytea", MOD_NONE},
    {"inet", "inet", MOD_NONE},
    {"cidr", "cidr", MOD_NONE},
};

bool schema_column_type(const schema_table *t, const schema_column *c, json_t *spec,
                        err_report *err)
{
    const char *name = NULL;
    modifier mod = MOD_NONE;
    if (c->type_kind == 'e') {
        name = "enum";
        json_object_set_new(spec, "enum", json_string(c->type_name));
    } else if (strcmp(c->type_schema, "pg_catalog") == 0) {
        for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0] && !name; i++)
            if (strcmp(TYPES[i].pg, c->type_name) == 0) {
                name = TYPES[i].cfg;
                mod = TYPES[i].mod;
            }
    }
    if (!name) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "Column \"%s\".\"%s\".\"%s\" has the type %s, which retort does not "
                     "support; exclude the table or change the column's type.",
                     t->schema, t->name, c->name, c->type_sql);
        return false;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s%s", name, c->is_array ? "[]" : "");
    json_object_set_new(spec, "type", json_string(buf));
    int m = c->typmod;
    switch (mod) {
    case MOD_LENGTH:
        if (m >= 4)
            json_object_set_new(spec, "length", json_integer(m - 4));
        break;
    case MOD_NUMERIC:
        if (m >= 4) {
            int p = ((m - 4) >> 16) & 0xffff, s = (int16_t) ((m - 4) & 0xffff);
            json_object_set_new(spec, "precision", json_integer(p));
            json_object_set_new(spec, "scale", json_integer(s));
        }
        break;
    case MOD_PRECISION:
        if (m >= 0)
            json_object_set_new(spec, "precision", json_integer(m));
        break;
    case MOD_NONE:
        break;
    }
    return true;
}
