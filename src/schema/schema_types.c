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
    sql_type_kind kind;
    modifier mod;
} TYPES[] = {
    {"int2", "smallint", SQL_TYPE_SMALLINT, MOD_NONE},
    {"int4", "integer", SQL_TYPE_INTEGER, MOD_NONE},
    {"int8", "bigint", SQL_TYPE_BIGINT, MOD_NONE},
    {"float4", "real", SQL_TYPE_REAL, MOD_NONE},
    {"float8", "double", SQL_TYPE_FLOAT, MOD_NONE},
    {"numeric", "numeric", SQL_TYPE_NUMERIC, MOD_NUMERIC},
    {"varchar", "string", SQL_TYPE_STRING, MOD_LENGTH},
    {"text", "text", SQL_TYPE_TEXT, MOD_NONE},
    {"bpchar", "char", SQL_TYPE_CHAR, MOD_LENGTH},
    {"bool", "boolean", SQL_TYPE_BOOLEAN, MOD_NONE},
    {"uuid", "uuid", SQL_TYPE_UUID, MOD_NONE},
    {"date", "date", SQL_TYPE_DATE, MOD_NONE},
    {"time", "time", SQL_TYPE_TIME, MOD_PRECISION},
    {"timestamp", "timestamp", SQL_TYPE_TIMESTAMP, MOD_PRECISION},
    {"timestamptz", "timestamptz", SQL_TYPE_TIMESTAMPTZ, MOD_PRECISION},
    {"interval", "interval", SQL_TYPE_INTERVAL, MOD_NONE},
    {"json", "json", SQL_TYPE_JSON, MOD_NONE},
    {"jsonb", "jsonb", SQL_TYPE_JSONB, MOD_NONE},
    {"bytea", "bytea", SQL_TYPE_BYTEA, MOD_NONE},
    {"inet", "inet", SQL_TYPE_INET, MOD_NONE},
    {"cidr", "cidr", SQL_TYPE_CIDR, MOD_NONE},
};

/* The row of c's element type; -1 for enums and unsupported types. */
static int type_row(const schema_column *c)
{
    if (c->type_kind == 'e' || strcmp(c->type_schema, "pg_catalog") != 0)
        return -1;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcmp(TYPES[i].pg, c->type_name) == 0)
            return (int) i;
    return -1;
}

bool schema__catalog_type(const schema_column *c, sql_type *out)
{
    sql_type t = {.kind = SQL_TYPE_NONE, .array = c->is_array};
    int m = c->typmod;
    if (c->type_kind == 'e') {
        t.kind = SQL_TYPE_ENUM;
        t.name = c->type_name;
    } else {
        int row = type_row(c);
        if (row < 0)
            return false;
        t.kind = TYPES[row].kind;
        if (TYPES[row].mod == MOD_LENGTH && m >= 4)
            t.length = m - 4;
        if (TYPES[row].mod == MOD_NUMERIC && m >= 4) {
            t.precision = ((m - 4) >> 16) & 0xffff;
            t.scale = (int16_t) ((m - 4) & 0xffff);
        }
        if (TYPES[row].mod == MOD_PRECISION && m > 0)
            t.precision = m;
    }
    *out = t;
    return true;
}

bool schema__same_type(sql_type a, sql_type b)
{
    if (a.kind != b.kind || a.array != b.array)
        return false;
    switch (a.kind) {
    case SQL_TYPE_STRING:
    case SQL_TYPE_CHAR: return a.length == b.length;
    case SQL_TYPE_NUMERIC: return a.precision == b.precision && (!a.precision || a.scale == b.scale);
    case SQL_TYPE_TIME:
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMPTZ: return a.precision == b.precision;
    case SQL_TYPE_ENUM: return a.name && b.name && strcmp(a.name, b.name) == 0;
    default: return true;
    }
}

bool schema_column_type(const schema_table *t, const schema_column *c, json_t *spec,
                        err_report *err)
{
    const char *name = NULL;
    modifier mod = MOD_NONE;
    int row = type_row(c);
    if (c->type_kind == 'e') {
        name = "enum";
        json_object_set_new(spec, "enum", json_string(c->type_name));
    } else if (row >= 0) {
        name = TYPES[row].cfg;
        mod = TYPES[row].mod;
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
