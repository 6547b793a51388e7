/*
 * PostgreSQL text values to JSON by type OID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"

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

json_t *dto_value_from_text(uint32_t oid, const char *text)
{
    if (!text)
        return json_null();
    switch (oid) {
    case DTO_OID_INT2:
    case DTO_OID_INT4:
    case DTO_OID_INT8:
        return json_integer((json_int_t) strtoll(text, NULL, 10));
    case DTO_OID_FLOAT4:
    case DTO_OID_FLOAT8: {
        double d = strtod(text, NULL);
        /* NaN and infinities have no JSON number form. */
        if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
            return json_string(text);
        return json_real(d);
    }
    case DTO_OID_BOOL:
        return json_boolean(text[0] == 't');
    case DTO_OID_TIMESTAMPTZ: {
        char buf[64];
        dto_rfc3339(text, buf, sizeof buf);
        return json_string(buf);
    }
    case DTO_OID_JSON:
    case DTO_OID_JSONB: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(text);
    }
    default: /* numeric, uuid, text, varchar, date, timestamp, others */
        return json_string(text);
    }
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

/* The OID a column's values arrive with, so entity columns and Core rows
 * share one set of JSON forms (dto_value_from_text). */
uint32_t dto__column_oid(sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_INTEGER:
        return DTO_OID_INT4;
    case SQL_TYPE_BIGINT:
        return DTO_OID_INT8;
    case SQL_TYPE_FLOAT:
        return DTO_OID_FLOAT8;
    case SQL_TYPE_NUMERIC:
        return DTO_OID_NUMERIC;
    case SQL_TYPE_STRING:
        return DTO_OID_VARCHAR;
    case SQL_TYPE_TEXT:
        return DTO_OID_TEXT;
    case SQL_TYPE_BOOLEAN:
        return DTO_OID_BOOL;
    case SQL_TYPE_UUID:
        return DTO_OID_UUID;
    case SQL_TYPE_DATE:
        return DTO_OID_DATE;
    case SQL_TYPE_TIMESTAMPTZ:
        return DTO_OID_TIMESTAMPTZ;
    case SQL_TYPE_JSON:
        return DTO_OID_JSONB;
    case SQL_TYPE_NONE:
        break;
    }
    return DTO_OID_TEXT;
}

json_t *dto_column_value(const sql_column *c, const char *text)
{
    return dto_value_from_text(dto__column_oid(c->type.kind), text);
}
