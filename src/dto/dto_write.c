/*
 * dto_write — PostgreSQL text values into JSON through the one writer
 * (jsonw): by type OID for Core rows, by column type for entities. The
 * same call builds a json_t (tree mode) or appends text (text mode), so
 * dto_value_from_text and a streamed reply always agree.
 */
#include <stdlib.h>

#include "dto_int.h"

void dto__value(jsonw *w, uint32_t oid, const char *text)
{
    if (!text) {
        jsonw_null(w);
        return;
    }
    switch (oid) {
    case DTO_OID_INT2:
    case DTO_OID_INT4:
    case DTO_OID_INT8:
        jsonw_integer(w, strtoll(text, NULL, 10));
        return;
    case DTO_OID_FLOAT4:
    case DTO_OID_FLOAT8: {
        double d = strtod(text, NULL);
        /* NaN and infinities have no JSON number form. */
        if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
            jsonw_string(w, text);
        else
            jsonw_real(w, d);
        return;
    }
    case DTO_OID_BOOL:
        jsonw_bool(w, text[0] == 't');
        return;
    case DTO_OID_TIMESTAMPTZ: {
        char buf[64];
        dto_rfc3339(text, buf, sizeof buf);
        jsonw_string(w, buf);
        return;
    }
    case DTO_OID_JSON:
    case DTO_OID_JSONB: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!j) {
            jsonw_string(w, text);
            return;
        }
        jsonw_json(w, j);
        json_decref(j);
        return;
    }
    default: /* numeric, uuid, text, varchar, date, timestamp, others */
        jsonw_string(w, text);
    }
}

void dto_write_cell(jsonw *w, const eng_result *r, int row, int col)
{
    dto__value(w, eng_result_coltype(r, col),
               eng_result_is_null(r, row, col) ? NULL : eng_result_value(r, row, col));
}

void dto_write_row(jsonw *w, const eng_result *r, int row)
{
    int cols = eng_result_cols(r);
    jsonw_object_begin(w);
    for (int c = 0; c < cols; c++) {
        jsonw_key(w, eng_result_colname(r, c));
        dto_write_cell(w, r, row, c);
    }
    jsonw_object_end(w);
}

void dto_write_rows(jsonw *w, const eng_result *r)
{
    int rows = eng_result_rows(r);
    jsonw_array_begin(w);
    for (int i = 0; i < rows; i++)
        dto_write_row(w, r, i);
    jsonw_array_end(w);
}

void dto_write_column(jsonw *w, const sql_column *c, const char *text)
{
    dto__value(w, dto__column_oid(c->type.kind), text);
}
