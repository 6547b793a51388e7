/*
 * PostgreSQL text values to JSON by type OID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dto.h"

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
    while (*zone == '.' || (*zone >= '0' && *zone <= '9'))
        zone++;
    if (*zone != '+' && *zone != '-') {
        snprintf(out, cap, "%s", s);
        return false;
    }
    size_t head = (size_t) (zone - s);
    memcpy(out, s, head);
    out[10] = 'T';
    const char *z = zone + 1;
    if (strcmp(z, "00") == 0 || strcmp(z, "00:00") == 0) {
        strcpy(out + head, "Z");
        return true;
    }
    /* RFC 3339 offsets are ±hh:mm; PostgreSQL omits ":00" minutes and may
     * add seconds for historical zones, which RFC 3339 cannot express. */
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
