/*
 * PostgreSQL text values to JSON by type OID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"
#include "pgformat.h"

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* PostgreSQL's zone suffix "+HH", "+HH:MM" or "+HH:MM:SS" (sign at z) in
 * seconds east of UTC. False for anything else (" BC" after it, ...). */
static bool parse_offset(const char *z, long *secs)
{
    long sign = *z == '-' ? -1 : 1, v = 0;
    int parts = 0;
    z++;
    for (;;) {
        if (!digit(z[0]) || !digit(z[1]))
            return false;
        v = v * 60 + (z[0] - '0') * 10 + (z[1] - '0');
        parts++;
        z += 2;
        if (*z == '\0')
            break;
        if (*z != ':' || parts == 3)
            return false;
        z++;
    }
    while (parts++ < 3)
        v *= 60;
    *secs = sign * v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long) doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long) yoe + era * 400 + (*m <= 2);
}

bool dto_rfc3339(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    /* "YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]"; infinity and BC dates
     * are left alone. */
    if (n < 22 || n + 8 > cap || s[10] != ' ' || s[4] != '-') {
        snprintf(out, cap, "%s", s);
        return false;
    }
    const char *zone = s + 19;
    while (*zone == '.' || digit(*zone))
        zone++;
    long offset;
    if ((*zone != '+' && *zone != '-') || !parse_offset(zone, &offset)) {
        snprintf(out, cap, "%s", s);
        return false;
    }
    size_t head = (size_t) (zone - s);
    if (offset % 60 != 0) {
        /* Local mean time of historical zones has seconds in its offset,
         * which RFC 3339 cannot write: give the same instant in UTC. */
        int y, mo, d, h, mi, sec;
        if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
            snprintf(out, cap, "%s", s);
            return false;
        }
        long long t = days_from_civil(y, (unsigned) mo, (unsigned) d) * 86400 + h * 3600L +
                      mi * 60L + sec - offset;
        long long days = (t >= 0 ? t : t - 86399) / 86400, rem = t - days * 86400, year;
        unsigned month, day;
        civil_from_days(days, &year, &month, &day);
        snprintf(out, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%.*sZ", year, month, day,
                 rem / 3600, rem / 60 % 60, rem % 60, (int) (head - 19), s + 19);
        return true;
    }
    memcpy(out, s, head);
    out[10] = 'T';
    const char *z = zone + 1;
    if (offset == 0) {
        strcpy(out + head, "Z");
        return true;
    }
    /* RFC 3339 offsets are ±hh:mm; PostgreSQL omits ":00" minutes (and
     * ":00" seconds). */
    if (strlen(z) == 2)
        snprintf(out + head, cap - head, "%c%s:00", *zone, z);
    else
        snprintf(out + head, cap - head, "%c%.5s", *zone, z);
    return true;
}

/* One value of a scalar type from PostgreSQL's text output. */
static json_t *scalar_value(sql_type_kind k, const char *text)
{
    switch (k) {
    case SQL_TYPE_SMALLINT:
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT:
        return json_integer((json_int_t) strtoll(text, NULL, 10));
    case SQL_TYPE_REAL:
    case SQL_TYPE_FLOAT: {
        double d = strtod(text, NULL);
        /* NaN and infinities have no JSON number form. */
        if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
            return json_string(text);
        return json_real(d);
    }
    case SQL_TYPE_BOOLEAN:
        return json_boolean(text[0] == 't');
    case SQL_TYPE_TIMESTAMPTZ: {
        char buf[64];
        dto_rfc3339(text, buf, sizeof buf);
        return json_string(buf);
    }
    case SQL_TYPE_TIMESTAMP: {
        char buf[64];
        pgf_timestamp_iso(text, buf, sizeof buf);
        return json_string(buf);
    }
    case SQL_TYPE_INTERVAL: {
        char buf[128];
        pgf_interval_iso(text, buf, sizeof buf);
        return json_string(buf);
    }
    case SQL_TYPE_CHAR: {
        /* Trailing blanks are padding, insignificant to PostgreSQL's own
         * comparisons; input ignores them too (sql_doc_value). */
        size_t n = strlen(text);
        while (n > 0 && text[n - 1] == ' ')
            n--;
        return json_stringn(text, n);
    }
    case SQL_TYPE_BYTEA: {
        arena *a = arena_create(NULL, "bytea");
        const char *b64 = pgf_bytea_to_base64(a, text);
        json_t *j = json_string(b64 ? b64 : text);
        arena_destroy(a);
        return j;
    }
    case SQL_TYPE_JSON:
    case SQL_TYPE_JSONB: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(text);
    }
    default: /* numeric, uuid, text, varchar, date, time, inet, cidr, enums */
        return json_string(text);
    }
}

static sql_type_kind oid_kind(uint32_t oid)
{
    switch (oid) {
    case DTO_OID_INT2: return SQL_TYPE_SMALLINT;
    case DTO_OID_INT4: return SQL_TYPE_INTEGER;
    case DTO_OID_INT8: return SQL_TYPE_BIGINT;
    case DTO_OID_FLOAT4: return SQL_TYPE_REAL;
    case DTO_OID_FLOAT8: return SQL_TYPE_FLOAT;
    case DTO_OID_BOOL: return SQL_TYPE_BOOLEAN;
    case DTO_OID_TIMESTAMPTZ: return SQL_TYPE_TIMESTAMPTZ;
    case DTO_OID_TIMESTAMP: return SQL_TYPE_TIMESTAMP;
    case DTO_OID_INTERVAL: return SQL_TYPE_INTERVAL;
    case DTO_OID_BPCHAR: return SQL_TYPE_CHAR;
    case DTO_OID_BYTEA: return SQL_TYPE_BYTEA;
    case DTO_OID_JSON: return SQL_TYPE_JSON;
    case DTO_OID_JSONB: return SQL_TYPE_JSONB;
    default: return SQL_TYPE_TEXT;
    }
}

json_t *dto_value_from_text(uint32_t oid, const char *text)
{
    if (!text)
        return json_null();
    return scalar_value(oid_kind(oid), text);
}

json_t *dto_cell(const eng_result *r, int row, int col)
{
    if (eng_result_is_null(r, row, col))
        return json_null();
    return dto_value_from_text(eng_result_coltype(r, col), eng_result_value(r, row, col));
}

json_t *dto_row_object(const eng_result *r, int row)
{
    json_t *o = json_object();
    int cols = eng_result_cols(r);
    for (int c = 0; c < cols; c++)
        json_object_set_new(o, eng_result_colname(r, c), dto_cell(r, row, c));
    return o;
}

json_t *dto_rows(const eng_result *r)
{
    json_t *a = json_array();
    int rows = eng_result_rows(r);
    for (int i = 0; i < rows; i++)
        json_array_append_new(a, dto_row_object(r, i));
    return a;
}

/* The OID of a column's values for the streaming writer, whose fast
 * path knows the simple types; dto__column_via_tree says which take the
 * tree path instead. */
uint32_t dto__column_oid(sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_SMALLINT: return DTO_OID_INT2;
    case SQL_TYPE_INTEGER: return DTO_OID_INT4;
    case SQL_TYPE_BIGINT: return DTO_OID_INT8;
    case SQL_TYPE_REAL: return DTO_OID_FLOAT4;
    case SQL_TYPE_FLOAT: return DTO_OID_FLOAT8;
    case SQL_TYPE_BOOLEAN: return DTO_OID_BOOL;
    case SQL_TYPE_TIMESTAMPTZ: return DTO_OID_TIMESTAMPTZ;
    case SQL_TYPE_JSON: return DTO_OID_JSON;
    case SQL_TYPE_JSONB: return DTO_OID_JSONB;
    default: return DTO_OID_TEXT;
    }
}

bool dto__column_via_tree(sql_type t)
{
    return t.array || t.kind == SQL_TYPE_CHAR || t.kind == SQL_TYPE_TIMESTAMP ||
           t.kind == SQL_TYPE_INTERVAL || t.kind == SQL_TYPE_BYTEA;
}

json_t *dto_column_value(const sql_column *c, const char *text)
{
    if (!text)
        return json_null();
    if (!c->type.array)
        return scalar_value(c->type.kind, text);
    arena *a = arena_create(NULL, "array value");
    const char **elems;
    size_t n;
    json_t *out;
    if (pgf_array_parse(a, text, &elems, &n)) {
        out = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, elems[i] ? scalar_value(c->type.kind, elems[i])
                                                : json_null());
    } else {
        out = json_string(text); /* more dimensions than retort maps */
    }
    arena_destroy(a);
    return out;
}
