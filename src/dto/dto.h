/*
 * dto — data transfer objects: PostgreSQL values to JSON (jansson) and,
 * next, per-model input validation and output shaping.
 *
 * Typed values: results arrive from libpq as text; the column's type OID
 * decides the JSON form. integer/bigint/smallint → JSON integer; float →
 * JSON real; numeric → JSON string with its exact decimal digits (a JSON
 * number would pass through a double); boolean → true/false; uuid, text,
 * varchar, date → strings; timestamptz → RFC 3339 string ("…T…Z" or with
 * a ±hh:mm offset); json/jsonb → the JSON value itself.
 *
 * Ownership: returned json_t values are new references the caller owns
 * (hand them to a jansson `_new` setter, or to http_reply_json).
 */
#ifndef RETORT_DTO_H
#define RETORT_DTO_H

#include <jansson.h>
#include <stdint.h>

#include "eng.h"

/* Well-known PostgreSQL type OIDs (pg_type.dat). */
enum {
    DTO_OID_BOOL = 16,
    DTO_OID_INT8 = 20,
    DTO_OID_INT2 = 21,
    DTO_OID_INT4 = 23,
    DTO_OID_TEXT = 25,
    DTO_OID_JSON = 114,
    DTO_OID_FLOAT4 = 700,
    DTO_OID_FLOAT8 = 701,
    DTO_OID_VARCHAR = 1043,
    DTO_OID_DATE = 1082,
    DTO_OID_TIMESTAMP = 1114,
    DTO_OID_TIMESTAMPTZ = 1184,
    DTO_OID_NUMERIC = 1700,
    DTO_OID_UUID = 2950,
    DTO_OID_JSONB = 3802
};

/* One value in PostgreSQL text format as JSON, by type OID; NULL text is
 * JSON null. Never returns NULL. */
json_t *dto_value_from_text(uint32_t type_oid, const char *text);

/* The cell at (row, col) as JSON. */
json_t *dto_cell(const eng_result *r, int row, int col);

/* The row as an object keyed by column label. */
json_t *dto_row_object(const eng_result *r, int row);

/* Every row as an array of objects (aggregate results, Core rows). */
json_t *dto_rows(const eng_result *r);

/* PostgreSQL's timestamptz text ("2026-01-02 03:04:05.123+00") as RFC
 * 3339 ("2026-01-02T03:04:05.123Z"); written into out (at least 40
 * bytes). Returns false for text it does not recognise (copied as is). */
bool dto_rfc3339(const char *pg_text, char *out, size_t cap);

#endif
