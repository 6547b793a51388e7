/*
 * dto_write — PostgreSQL text values into JSON through the one writer
 * (jsonw): by type OID for Core rows, by column type for entities. The
 * same call builds a json_t (tree mode) or appends text (text mode), so
 * dto_value_from_text and a streamed reply always agree.
 */
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"
#include "pgformat.h"

/* One value of a scalar type from PostgreSQL's text output. */
static void scalar(jsonw *w, sql_type_kind k, const char *text)
{
    switch (k) {
    case SQL_TYPE_SMALLINT:
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT:
        jsonw_integer(w, strtoll(text, NULL, 10));
        return;
    case SQL_TYPE_REAL:
    case SQL_TYPE_FLOAT: {
        double d = strtod(text, NULL);
        /* NaN and infinities have no JSON number form. */
        if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
            jsonw_string(w, text);
        else
            jsonw_real(w, d);
        return;
    }
    case SQL_TYPE_BOOLEAN:
        jsonw_bool(w, text[0] == 't');
        return;
    case SQL_TYPE_TIMESTAMPTZ: {
        char buf[64];
        dto_rfc3339(text, buf, sizeof buf);
        jsonw_string(w, buf);
        return;
    }
    case SQL_TYPE_TIMESTAMP: {
        char buf[64];
        pgf_timestamp_iso(text, buf, sizeof buf);
        jsonw_string(w, buf);
        return;
    }
    case SQL_TYPE_INTERVAL: {
        char buf[128];
        pgf_interval_iso(text, buf, sizeof buf);
        jsonw_string(w, buf);
        return;
    }
    case SQL_TYPE_CHAR: {
        /* Trailing blanks are padding, insignificant to PostgreSQL's own
         * comparisons; input ignores them too (orm_value). */
        size_t n = strlen(text);
        while (n > 0 && text[n - 1] == ' ')
            n--;
        char *trimmed = strndup(text, n);
        jsonw_string(w, trimmed ? trimmed : text);
        free(trimmed);
        return;
    }
    case SQL_TYPE_BYTEA: {
        arena *a = arena_create(NULL, "bytea");
        const char *b64 = pgf_bytea_to_base64(a, text);
        jsonw_string(w, b64 ? b64 : text);
        arena_destroy(a);
        return;
    }
    case SQL_TYPE_JSON:
    case SQL_TYPE_JSONB: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!j) {
            jsonw_string(w, text);
            return;
        }
        jsonw_json(w, j);
        json_decref(j);
        return;
    }
    default: /* numeric, uuid, text, varchar, date, time, inet, cidr, enums */
        jsonw_string(w, text);
    }
}

/* The type of a Core row's column, from its OID; text for the rest. */
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

void dto__value(jsonw *w, uint32_t oid, const char *text)
{
    if (!text)
        jsonw_null(w);
    else
        scalar(w, oid_kind(oid), text);
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
    if (!text) {
        jsonw_null(w);
        return;
    }
    if (!c->type.array) {
        scalar(w, c->type.kind, text);
        return;
    }
    arena *a = arena_create(NULL, "array value");
    const char **elems;
    size_t n;
    if (pgf_array_parse(a, text, &elems, &n)) {
        jsonw_array_begin(w);
        for (size_t i = 0; i < n; i++) {
            if (elems[i])
                scalar(w, c->type.kind, elems[i]);
            else
                jsonw_null(w);
        }
        jsonw_array_end(w);
    } else {
        jsonw_string(w, text); /* more dimensions than retort maps */
    }
    arena_destroy(a);
}
