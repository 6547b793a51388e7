/*
 * cfg_values — checks a column's client-side "default" against the
 * column (type, nullability, length, choices) and keeps it as JSON text.
 *
 * The formats accepted for uuid, date and timestamptz are common/pgtext's
 * (PostgreSQL's uuid input, RFC 3339 dates and timestamps), the same rules
 * bodies, query documents and URL keys follow, so a default is always a
 * value the API itself would accept.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "pgtext.h"

/* ---- formats ------------------------------------------------------------ */

static bool is_uuid(const char *s)
{
    return pgtext_uuid(s, NULL);
}

/* A decimal number as PostgreSQL's numeric input accepts it (without
 * NaN/Infinity): [+-] digits [. digits] [e [+-] digits]. */
static bool is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    size_t int_digits = 0, frac_digits = 0;
    while (isdigit((unsigned char) *s))
        s++, int_digits++;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char) *s))
            s++, frac_digits++;
    }
    if (int_digits + frac_digits == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char) *s))
            return false;
        while (isdigit((unsigned char) *s))
            s++;
    }
    return *s == '\0';
}

/* ---- JSON text ---------------------------------------------------------- */

/* A real in the fewest digits that read back as the same double, so 0.1
 * stays "0.1" instead of jansson's 17-digit "0.10000000000000001". */
static const char *real_text(cfg__ctx *ctx, double d)
{
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEn")) /* keep it a real when it reads back ("1.0") */
        strcat(buf, ".0");
    return arena_strdup(ctx->a, buf);
}

static const char *json_text(cfg__ctx *ctx, const json_t *v)
{
    if (json_is_real(v))
        return real_text(ctx, json_real_value(v));
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) {
        fprintf(stderr, "retort: out of memory encoding a default\n");
        abort();
    }
    const char *copy = arena_strdup(ctx->a, text);
    free(text);
    return copy;
}

/* ---- the check ---------------------------------------------------------- */

static bool want(cfg__ctx *ctx, const cfg_column *c, const json_t *v, const char *ptr,
                 const char *what)
{
    cfg__error(ctx, ptr, "default of %s column \"%s\" must be %s, got %s", cfg_type_name(c->type),
               c->name, what, jsonkind_name(v));
    return false;
}

static bool check_string(cfg__ctx *ctx, const cfg_column *c, const json_t *v, const char *ptr,
                         bool (*valid)(const char *), const char *format)
{
    if (!json_is_string(v))
        return want(ctx, c, v, ptr, format);
    if (!valid(json_string_value(v))) {
        cfg__error(ctx, ptr, "default \"%s\" of %s column \"%s\" is not %s", json_string_value(v),
                   cfg_type_name(c->type), c->name, format);
        return false;
    }
    return true;
}

static bool check_type(cfg__ctx *ctx, const cfg_column *c, const json_t *v, const char *ptr)
{
    switch (c->type) {
    case CFG_TYPE_INTEGER:
        if (!json_is_integer(v))
            return want(ctx, c, v, ptr, "an integer");
        if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX) {
            cfg__error(ctx, ptr, "default %lld of integer column \"%s\" is out of range",
                       (long long) json_integer_value(v), c->name);
            return false;
        }
        return true;
    case CFG_TYPE_BIGINT:
        return json_is_integer(v) || want(ctx, c, v, ptr, "an integer");
    case CFG_TYPE_FLOAT:
        return json_is_number(v) || want(ctx, c, v, ptr, "a number");
    case CFG_TYPE_NUMERIC:
        if (json_is_number(v))
            return true;
        return check_string(ctx, c, v, ptr, is_decimal, "a number or a decimal string");
    case CFG_TYPE_STRING:
    case CFG_TYPE_TEXT:
        if (!json_is_string(v))
            return want(ctx, c, v, ptr, "a string");
        if (c->length > 0 && pgtext_length(json_string_value(v)) > (size_t) c->length) {
            cfg__error(ctx, ptr, "default of column \"%s\" is longer than its length %d", c->name,
                       c->length);
            return false;
        }
        if (c->choices) {
            for (size_t i = 0; i < c->n_choices; i++)
                if (strcmp(c->choices[i], json_string_value(v)) == 0)
                    return true;
            cfg__error(ctx, ptr, "default \"%s\" of column \"%s\" is not one of its choices",
                       json_string_value(v), c->name);
            return false;
        }
        return true;
    case CFG_TYPE_BOOLEAN:
        return json_is_boolean(v) || want(ctx, c, v, ptr, "a boolean");
    case CFG_TYPE_UUID:
        return check_string(ctx, c, v, ptr, is_uuid, "a UUID (8-4-4-4-12 hex digits)");
    case CFG_TYPE_DATE:
        return check_string(ctx, c, v, ptr, pgtext_date, "a date (YYYY-MM-DD)");
    case CFG_TYPE_TIMESTAMPTZ:
        return check_string(ctx, c, v, ptr, pgtext_timestamptz,
                            "an RFC 3339 timestamp with a time zone");
    case CFG_TYPE_JSON:
        return true;
    }
    return true;
}

bool cfg__set_default(cfg__ctx *ctx, cfg_column *c, const json_t *v, const char *ptr)
{
    if (json_is_null(v)) {
        if (!c->nullable) {
            cfg__error(ctx, ptr, "default of column \"%s\" is null but the column is not nullable",
                       c->name);
            return false;
        }
    } else if (!check_type(ctx, c, v, ptr)) {
        return false;
    }
    c->default_json = json_text(ctx, v);
    return true;
}
