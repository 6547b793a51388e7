/*
 * PostgreSQL text values to JSON by type OID.
 */
#include <stdio.h>
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

/* A value in tree mode, the caller's reference. */
json_t *dto_value_from_text(uint32_t oid, const char *text)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto__value(&w, oid, text);
    return jsonw_root(&w);
}

json_t *dto_cell(const eng_result *r, int row, int col)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto_write_cell(&w, r, row, col);
    return jsonw_root(&w);
}

json_t *dto_row_object(const eng_result *r, int row)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto_write_row(&w, r, row);
    return jsonw_root(&w);
}

json_t *dto_rows(const eng_result *r)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto_write_rows(&w, r);
    return jsonw_root(&w);
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
