/*
 * sql_value — column types and parameter values: their names, their DDL
 * spelling, and the text format the engine sends (including the array
 * literals behind IN lists).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

/* ==== types =========================================================== */

typedef struct type_info {
    const char *name; /* configuration name */
    const char *cast; /* in $n::cast */
    const char *ddl;  /* without modifiers */
} type_info;

static const type_info TYPES[] = {
    [SQL_TYPE_NONE] = {"none", NULL, NULL},
    [SQL_TYPE_INTEGER] = {"integer", "integer", "integer"},
    [SQL_TYPE_BIGINT] = {"bigint", "bigint", "bigint"},
    [SQL_TYPE_FLOAT] = {"float", "double precision", "double precision"},
    [SQL_TYPE_NUMERIC] = {"numeric", "numeric", "numeric"},
    [SQL_TYPE_STRING] = {"string", "text", "varchar"},
    [SQL_TYPE_TEXT] = {"text", "text", "text"},
    [SQL_TYPE_BOOLEAN] = {"boolean", "boolean", "boolean"},
    [SQL_TYPE_UUID] = {"uuid", "uuid", "uuid"},
    [SQL_TYPE_DATE] = {"date", "date", "date"},
    [SQL_TYPE_TIMESTAMPTZ] = {"timestamptz", "timestamptz", "timestamptz"},
    [SQL_TYPE_JSON] = {"json", "jsonb", "jsonb"},
};

enum { N_TYPES = sizeof TYPES / sizeof TYPES[0] };

static bool kind_valid(sql_type_kind k)
{
    return (unsigned) k < N_TYPES;
}

sql_type sql_type_of(sql_type_kind kind)
{
    sql_type t = {.kind = kind};
    return t;
}

sql_type sql_type_string(int length)
{
    sql_type t = {.kind = SQL_TYPE_STRING, .length = length};
    return t;
}

sql_type sql_type_numeric(int precision, int scale)
{
    sql_type t = {.kind = SQL_TYPE_NUMERIC, .precision = precision, .scale = scale};
    return t;
}

const char *sql_type_kind_name(sql_type_kind kind)
{
    return kind_valid(kind) ? TYPES[kind].name : "none";
}

bool sql_type_kind_parse(const char *name, sql_type_kind *out)
{
    for (size_t i = 1; name && i < N_TYPES; i++) {
        if (strcmp(TYPES[i].name, name) == 0) {
            *out = (sql_type_kind) i;
            return true;
        }
    }
    return false;
}

const char *sql_type_cast_name(sql_type_kind kind)
{
    return kind_valid(kind) ? TYPES[kind].cast : NULL;
}

const char *sql_type_ddl(arena *a, sql_type type)
{
    if (!kind_valid(type.kind) || type.kind == SQL_TYPE_NONE)
        return NULL;
    if (type.kind == SQL_TYPE_STRING && type.length > 0)
        return arena_sprintf(a, "varchar(%d)", type.length);
    if (type.kind == SQL_TYPE_NUMERIC && type.precision > 0)
        return arena_sprintf(a, "numeric(%d,%d)", type.precision, type.scale);
    return TYPES[type.kind].ddl;
}

/* ==== values ========================================================== */

void sql__append_double(sbuf *s, double f)
{
    if (isnan(f)) {
        sbuf_append(s, "NaN");
        return;
    }
    if (isinf(f)) {
        sbuf_append(s, f < 0 ? "-Infinity" : "Infinity");
        return;
    }
    /* The shortest of %.15g..%.17g that reads back as the same double, so
     * 0.1 stays "0.1" and every double survives the round trip. */
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    sbuf_append(s, buf);
}

static void append_scalar(sbuf *s, const sql_value *v)
{
    switch (v->kind) {
    case SQL_VAL_BOOL: sbuf_append(s, v->u.b ? "true" : "false"); break;
    case SQL_VAL_INT: sbuf_printf(s, "%" PRId64, v->u.i); break;
    case SQL_VAL_FLOAT: sql__append_double(s, v->u.f); break;
    case SQL_VAL_TEXT: sbuf_append(s, v->u.s); break;
    case SQL_VAL_NULL: break;
    }
}

const char *sql_value_text(arena *a, const sql_value *v)
{
    if (!v || v->kind == SQL_VAL_NULL)
        return NULL;
    if (v->kind == SQL_VAL_TEXT)
        return v->u.s;
    if (v->kind == SQL_VAL_BOOL)
        return v->u.b ? "true" : "false";
    sbuf s;
    sbuf_init(&s, a, 32);
    append_scalar(&s, v);
    return sbuf_str(&s);
}

/* Array input syntax (arrays.sgml): an element in double quotes may hold
 * anything, with " and \ preceded by a backslash; unquoted NULL is the
 * null element. Text elements are always quoted, so "NULL", "", "a,b" and
 * "{x}" stay data. Numbers and booleans never need quotes. */
const char *sql_array_literal(arena *a, const sql_value *values, size_t n)
{
    sbuf s;
    sbuf_init(&s, a, 16 + n * 8);
    sbuf_append_char(&s, '{');
    for (size_t i = 0; i < n; i++) {
        const sql_value *v = &values[i];
        if (i)
            sbuf_append_char(&s, ',');
        if (v->kind == SQL_VAL_NULL) {
            sbuf_append(&s, "NULL");
        } else if (v->kind == SQL_VAL_TEXT) {
            sbuf_append_char(&s, '"');
            for (const char *p = v->u.s; *p; p++) {
                if (*p == '"' || *p == '\\')
                    sbuf_append_char(&s, '\\');
                sbuf_append_char(&s, *p);
            }
            sbuf_append_char(&s, '"');
        } else {
            append_scalar(&s, v);
        }
    }
    sbuf_append_char(&s, '}');
    return sbuf_str(&s);
}

const char *sql__param_text(arena *a, const sql_param *p)
{
    if (p->is_array)
        return sql_array_literal(a, p->values, p->n_values);
    return sql_value_text(a, &p->value);
}

uint64_t sql__fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
