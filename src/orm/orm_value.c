/*
 * orm_value — a value from a client (JSON of a body or a query document,
 * or the text of a URL key or GET parameter) checked against its column's
 * type and turned into a parameter value. Bodies (dto), documents (query)
 * and keys share these rules, so they never disagree about a value.
 *
 * Constraint: what passes here must be accepted by PostgreSQL for that
 * type, so a bad value is a 422 naming the field, not a database error
 * after a round trip. The checks are therefore strict (uuid as
 * PostgreSQL's uuid_in reads it, real calendar dates, RFC 3339 timestamps
 * with an offset: common/pgtext; exact decimal text for numeric) and never
 * depend on the server's settings (DateStyle, TimeZone).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgformat.h"
#include "jsonkind.h"
#include "orm_int.h"
#include "pgtext.h"
#include "strbuf.h"

enum { NUMERIC_MAX_DIGITS = 1000 }; /* digits of one numeric value */

/* ==== shared checks ==================================================== */

static const char *colname(arena *a, const sql_column *c)
{
    return arena_sprintf(a, "\"%s.%s\"", c->table->name, c->name);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ==== numeric ========================================================== */

/* Decimal text -?D+(.D+)? ; counts significant integer digits and
 * fraction digits (trailing zeros do not count against the scale). */
static bool decimal_syntax(const char *s, int *int_digits, int *frac_digits, size_t *total)
{
    const char *p = s;
    if (*p == '-')
        p++;
    const char *int_start = p;
    while (is_digit(*p))
        p++;
    if (p == int_start)
        return false;
    const char *int_end = p;
    const char *frac_start = NULL, *frac_end = NULL;
    if (*p == '.') {
        frac_start = ++p;
        while (is_digit(*p))
            p++;
        if (p == frac_start)
            return false;
        frac_end = p;
    }
    if (*p)
        return false;
    while (int_start < int_end - 1 && *int_start == '0')
        int_start++;
    *int_digits = (int_end - int_start == 1 && *int_start == '0') ? 0 : (int) (int_end - int_start);
    *frac_digits = 0;
    if (frac_start) {
        while (frac_end > frac_start && frac_end[-1] == '0')
            frac_end--;
        *frac_digits = (int) (frac_end - frac_start);
    }
    *total = (size_t) (int_end - int_start) + (frac_start ? (size_t) (p - frac_start) : 0);
    return true;
}

/* Plain decimal text of a double read from JSON: the shortest digits that
 * read back as the same double, with the exponent written out, so 0.1 is
 * "0.1" and 1e20 is "100000000000000000000". */
static const char *plain_double(arena *a, double f)
{
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]xx */
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    char dig[20];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p))
            dig[nd++] = *p;
    int exp = atoi(p + 1); /* value = d.ddd x 10^exp */
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    sbuf s;
    sbuf_init(&s, a, 48);
    if (neg && !(nd == 1 && dig[0] == '0'))
        sbuf_append_char(&s, '-');
    int point = exp + 1; /* digits before the decimal point */
    if (point <= 0) {
        sbuf_append(&s, "0.");
        for (int i = 0; i < -point; i++)
            sbuf_append_char(&s, '0');
        sbuf_append_n(&s, dig, nd);
    } else if ((size_t) point >= nd) {
        sbuf_append_n(&s, dig, nd);
        for (size_t i = nd; i < (size_t) point; i++)
            sbuf_append_char(&s, '0');
    } else {
        sbuf_append_n(&s, dig, (size_t) point);
        sbuf_append_char(&s, '.');
        sbuf_append_n(&s, dig + point, nd - (size_t) point);
    }
    return sbuf_str(&s);
}

static const char *numeric_check(arena *a, const sql_column *c, const char *text, sql_value *out)
{
    int int_digits, frac_digits;
    size_t total;
    if (!decimal_syntax(text, &int_digits, &frac_digits, &total))
        return arena_sprintf(a, "Expected a number or a decimal string like \"-12.50\" for %s.",
                             colname(a, c));
    if (total > NUMERIC_MAX_DIGITS)
        return arena_sprintf(a, "The value for %s has more than %d digits.", colname(a, c),
                             NUMERIC_MAX_DIGITS);
    if (c->type.precision > 0) {
        int scale = c->type.scale, before = c->type.precision - c->type.scale;
        if (frac_digits > scale)
            return arena_sprintf(a, "The value for %s may have at most %d decimal places.",
                                 colname(a, c), scale);
        if (int_digits > before)
            return arena_sprintf(a,
                                 "The value for %s may have at most %d digits before the "
                                 "decimal point (numeric(%d,%d)).",
                                 colname(a, c), before, c->type.precision, c->type.scale);
    }
    *out = sql_val_str(arena_strdup(a, text)); /* text may be borrowed from a json_t */
    return NULL;
}

/* ==== strings ========================================================== */

static const char *string_check(arena *a, const sql_column *c, const char *s, size_t bytes,
                                unsigned flags, sql_value *out)
{
    if (strlen(s) != bytes)
        return arena_sprintf(a, "The value for %s must not contain NUL characters.", colname(a, c));
    /* char(n): trailing blanks do not count (PostgreSQL drops those beyond
     * n and pads to n; retort strips them on output), so "ab " fits
     * char(2) and means "ab". */
    size_t chars = pgtext_length(s);
    if (c->type.kind == SQL_TYPE_CHAR)
        for (size_t k = bytes; k > 0 && s[k - 1] == ' '; k--)
            chars--;
    if ((flags & ORM_VALUE_STRICT) || c->type.kind == SQL_TYPE_ENUM) {
        if ((c->type.kind == SQL_TYPE_STRING || c->type.kind == SQL_TYPE_CHAR) &&
            c->type.length > 0 && chars > (size_t) c->type.length)
            return arena_sprintf(a, "The value for %s may be at most %d characters long.",
                                 colname(a, c), c->type.length);
        if (c->n_choices) {
            bool found = false;
            for (size_t i = 0; i < c->n_choices && !found; i++)
                found = strcmp(c->choices[i], s) == 0;
            if (!found) {
                sbuf list;
                sbuf_init(&list, a, 64);
                for (size_t i = 0; i < c->n_choices; i++) {
                    if (i)
                        sbuf_append(&list, ", ");
                    sbuf_append(&list, c->choices[i]);
                }
                return arena_sprintf(a, "The value for %s must be one of: %s.", colname(a, c),
                                     sbuf_str(&list));
            }
        }
    }
    *out = sql_val_str(arena_strndup(a, s, bytes));
    return NULL;
}

static bool uuid_ok(const char *s) { return pgtext_uuid(s, NULL); }
static bool inet_ok(const char *s) { return pgf_inet_ok(s, false); }
static bool cidr_ok(const char *s) { return pgf_inet_ok(s, true); }

/* The types written as strings of a fixed form (pgtext, pgformat): each
 * with its check and what its errors say is expected. bytea travels as
 * base64 and is checked by decoding it. */
typedef struct formatted_type {
    sql_type_kind kind;
    bool (*ok)(const char *s);
    const char *expected;
} formatted_type;

static const formatted_type FORMATTED[] = {
    {SQL_TYPE_UUID, uuid_ok, "a UUID like \"123e4567-e89b-12d3-a456-426614174000\""},
    {SQL_TYPE_DATE, pgtext_date, "a date like \"2026-01-31\" (YYYY-MM-DD)"},
    {SQL_TYPE_TIMESTAMPTZ, pgtext_timestamptz,
     "an RFC 3339 timestamp like \"2026-01-31T12:00:00Z\""},
    {SQL_TYPE_TIMESTAMP, pgf_timestamp_ok,
     "an ISO 8601 date-time without offset like \"2026-01-31T12:00:00\""},
    {SQL_TYPE_TIME, pgf_time_ok, "a time like \"13:45:00\" (HH:MM:SS)"},
    {SQL_TYPE_INTERVAL, pgf_duration_ok, "an ISO 8601 duration like \"P1DT2H30M\""},
    {SQL_TYPE_INET, inet_ok, "an IP address like \"192.168.0.1\" or \"2001:db8::1/64\""},
    {SQL_TYPE_CIDR, cidr_ok, "a network like \"10.0.0.0/8\" (no bits set after the prefix)"},
    {SQL_TYPE_BYTEA, NULL, "base64 text (RFC 4648, padded)"},
};

static const formatted_type *formatted_of(sql_type_kind kind)
{
    for (size_t i = 0; i < sizeof FORMATTED / sizeof FORMATTED[0]; i++)
        if (FORMATTED[i].kind == kind)
            return &FORMATTED[i];
    return NULL;
}

/* Strings of a fixed form are passed on as given once checked (PostgreSQL
 * reads every accepted form the same way); bytea is decoded from base64. */
static const char *formatted_check(arena *a, const formatted_type *f, const sql_column *c,
                                   const char *s, sql_value *out)
{
    const char *value = f->ok ? (f->ok(s) ? arena_strdup(a, s) : NULL)
                              : pgf_base64_to_bytea(a, s, strlen(s));
    if (!value)
        return arena_sprintf(a, "Expected %s for %s.", f->expected, colname(a, c));
    *out = sql_val_str(value);
    return NULL;
}

static const char *json_text(arena *a, const json_t *v, sql_value *out)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return "The JSON value could not be encoded.";
    *out = sql_val_str(arena_strdup(a, s));
    free(s);
    return NULL;
}

/* ==== from JSON ======================================================== */

static const char *expected(arena *a, const sql_column *c, const char *what, const json_t *v)
{
    return arena_sprintf(a, "Expected %s for %s, got %s.", what, colname(a, c), jsonkind_noun(v));
}

/* The values smallint, integer and bigint hold. */
static void int_range(sql_type_kind k, int64_t *lo, int64_t *hi)
{
    *lo = k == SQL_TYPE_SMALLINT ? INT16_MIN : k == SQL_TYPE_INTEGER ? INT32_MIN : INT64_MIN;
    *hi = k == SQL_TYPE_SMALLINT ? INT16_MAX : k == SQL_TYPE_INTEGER ? INT32_MAX : INT64_MAX;
}

static const char *scalar_from_json(arena *a, const sql_column *c, const json_t *v,
                                    unsigned flags, sql_value *out)
{
    const formatted_type *fmt = formatted_of(c->type.kind);
    if (fmt && !json_is_string(v))
        return expected(a, c, fmt->expected, v);
    if (fmt && strlen(json_string_value(v)) != json_string_length(v))
        return arena_sprintf(a, "The value for %s must not contain NUL characters.",
                             colname(a, c));
    if (fmt)
        return formatted_check(a, fmt, c, json_string_value(v), out);
    switch (c->type.kind) {
    case SQL_TYPE_SMALLINT:
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT: {
        int64_t lo, hi;
        int_range(c->type.kind, &lo, &hi);
        if (!json_is_integer(v))
            return expected(a, c,
                            c->type.kind == SQL_TYPE_BIGINT ? "an integer (bigint)" : "an integer",
                            v);
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
            return arena_sprintf(a, "The value for %s must be between %" PRId64 " and %" PRId64
                                 " (%s).",
                                 colname(a, c), lo, hi, sql_type_kind_name(c->type.kind));
        *out = sql_val_int((int64_t) i);
        return NULL;
    }
    case SQL_TYPE_REAL:
    case SQL_TYPE_FLOAT:
        if (json_is_integer(v))
            *out = sql_val_int((int64_t) json_integer_value(v));
        else if (json_is_real(v))
            *out = sql_val_float(json_real_value(v));
        else
            return expected(a, c, "a number", v);
        return NULL;
    case SQL_TYPE_NUMERIC:
        if (json_is_integer(v))
            return numeric_check(
                a, c, arena_sprintf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), out);
        if (json_is_real(v))
            return numeric_check(a, c, plain_double(a, json_real_value(v)), out);
        if (json_is_string(v))
            return numeric_check(a, c, json_string_value(v), out);
        return expected(a, c, "a number or a decimal string", v);
    case SQL_TYPE_STRING:
    case SQL_TYPE_CHAR:
    case SQL_TYPE_ENUM:
    case SQL_TYPE_TEXT:
        if (!json_is_string(v))
            return expected(a, c, "a string", v);
        return string_check(a, c, json_string_value(v), json_string_length(v), flags, out);
    case SQL_TYPE_BOOLEAN:
        if (!json_is_boolean(v))
            return expected(a, c, "true or false", v);
        *out = sql_val_bool(json_is_true(v));
        return NULL;
    case SQL_TYPE_JSON:
    case SQL_TYPE_JSONB:
        return json_text(a, v, out);
    default: /* the formatted types above; none */
        break;
    }
    return arena_sprintf(a, "The field %s has no type values can be checked against.",
                         colname(a, c));
}

/* An array column's value: a JSON array whose elements (or nulls) fit the
 * element type, sent as one array literal. */
static const char *array_from_json(arena *a, const sql_column *c, const json_t *v, unsigned flags,
                                   sql_value *out)
{
    if (!json_is_array(v))
        return expected(a, c, "an array", v);
    sql_column elem = *c;
    elem.type.array = false;
    size_t n = json_array_size(v);
    sql_value *vals = ARENA_ARRAY(a, sql_value, n + 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (json_is_null(e))
            continue;
        const char *msg = scalar_from_json(a, &elem, e, flags, &vals[i]);
        if (msg)
            return arena_sprintf(a, "Element %zu: %s", i, msg);
    }
    *out = sql_val_str(sql_array_literal(a, vals, n));
    return NULL;
}

const char *orm_value_parse_json(arena *a, const sql_column *c, const json_t *v, unsigned flags,
                                 sql_value *out)
{
    if (c->type.array)
        return array_from_json(a, c, v, flags, out);
    return scalar_from_json(a, c, v, flags, out);
}

/* ==== from text ======================================================== */

/* [+-]digits, in range. */
static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!is_digit(*p))
        return false;
    for (const char *q = p; *q; q++)
        if (!is_digit(*q))
            return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A decimal number: [+-](D+[.D*]|.D+)([eE][+-]D+)?, finite. */
static bool parse_float(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    bool any = false;
    while (is_digit(*p))
        p++, any = true;
    if (*p == '.') {
        p++;
        while (is_digit(*p))
            p++, any = true;
    }
    if (!any)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return false;
        while (is_digit(*p))
            p++;
    }
    if (*p)
        return false;
    double f = strtod(s, NULL);
    if (!isfinite(f))
        return false;
    *out = f;
    return true;
}

const char *orm_value_parse_text(arena *a, const sql_column *c, const char *text, unsigned flags,
                                 sql_value *out)
{
    if (c->type.array) {
        /* GET parameters of array columns are JSON arrays. */
        json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
        const char *msg = v ? array_from_json(a, c, v, flags, out)
                            : arena_sprintf(a, "Expected a JSON array for %s.", colname(a, c));
        json_decref(v);
        return msg;
    }
    const formatted_type *fmt = formatted_of(c->type.kind);
    if (fmt)
        return formatted_check(a, fmt, c, text, out);
    switch (c->type.kind) {
    case SQL_TYPE_SMALLINT:
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT: {
        int64_t lo, hi;
        int_range(c->type.kind, &lo, &hi);
        int64_t i;
        if (!parse_int(text, lo, hi, &i))
            return arena_sprintf(a, "Expected an integer between %" PRId64 " and %" PRId64
                                 " for %s.",
                                 lo, hi, colname(a, c));
        *out = sql_val_int(i);
        return NULL;
    }
    case SQL_TYPE_REAL:
    case SQL_TYPE_FLOAT: {
        double f;
        if (!parse_float(text, &f))
            return arena_sprintf(a, "Expected a number for %s.", colname(a, c));
        *out = sql_val_float(f);
        return NULL;
    }
    case SQL_TYPE_NUMERIC:
        return numeric_check(a, c, arena_strdup(a, text), out);
    case SQL_TYPE_STRING:
    case SQL_TYPE_CHAR:
    case SQL_TYPE_ENUM:
    case SQL_TYPE_TEXT:
        return string_check(a, c, text, strlen(text), flags, out);
    case SQL_TYPE_BOOLEAN:
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
            *out = sql_val_bool(text[0] == 't');
            return NULL;
        }
        return arena_sprintf(a, "Expected true or false for %s.", colname(a, c));
    case SQL_TYPE_JSONB:
    case SQL_TYPE_JSON: {
        json_error_t jerr;
        json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
        if (!v)
            return arena_sprintf(a, "Expected JSON text for %s: %s.", colname(a, c), jerr.text);
        const char *msg = json_text(a, v, out);
        json_decref(v);
        return msg;
    }
    default: /* the formatted types above; none */
        break;
    }
    return arena_sprintf(a, "The field %s has no type values can be checked against.",
                         colname(a, c));
}

/* ==== public ============================================================ */

static bool report(sql_builder *b, const char *msg, const char *pointer, err_report *err)
{
    if (!msg)
        return true;
    sql_builder_count_problem(b);
    err_add_item(err, ERR_VALIDATION, pointer, "%s", msg);
    return false;
}

bool orm_value_json(sql_builder *b, const sql_column *c, const json_t *v, const char *pointer,
                    sql_value *out, err_report *err)
{
    arena *a = sql_builder_arena(b);
    *out = sql_val_null();
    if (!c || !v)
        return report(b, "A value or its column is missing.", pointer, err);
    if (json_is_null(v)) {
        if (!c->nullable)
            return report(b, arena_sprintf(a, "The field %s must not be null.", colname(a, c)),
                          pointer, err);
        return true;
    }
    return report(b, orm_value_parse_json(a, c, v, ORM_VALUE_STRICT, out), pointer, err);
}

bool orm_value_text(sql_builder *b, const sql_column *c, const char *text, const char *pointer,
                    sql_value *out, err_report *err)
{
    *out = sql_val_null();
    if (!c || !text)
        return report(b, "A value or its column is missing.", pointer, err);
    return report(b, orm_value_parse_text(sql_builder_arena(b), c, text, ORM_VALUE_STRICT, out),
                  pointer, err);
}
