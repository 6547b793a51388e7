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
#include "orm.h"

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

/* ==== input: create and update bodies ====================================
 *
 * Validation per model, collecting every problem (422, one item per field
 * with its JSON Pointer: pointer_prefix + "/" + field): unknown fields,
 * read_only fields, wrong JSON types, NOT NULL, string length (code
 * points), choices, uuid/date/timestamptz/numeric formats (the same value
 * rules as query documents: sql_doc_value). On create, a non-nullable
 * column without default, server_default or autoincrement is required;
 * client-side defaults are filled by orm_session_add. Values are written
 * into the entity (text form) only when the whole body is valid.
 */

typedef enum dto_mode { DTO_CREATE, DTO_UPDATE } dto_mode;

enum {
    DTO_ALLOW_ADD = 1 << 0,     /* {"$add": n} on numeric columns (transactions) */
    DTO_ALLOW_PRIMARY_KEY = 1 << 1 /* update may name the key (never changes it) */
};

bool dto_apply_input(const orm_mapper *m, const json_t *body, dto_mode mode,
                     const char *pointer_prefix, unsigned flags, orm_entity *e,
                     err_report *err);

/* A bulk-insert row validated like a create body, into text values for
 * every column of m that is present in `columns` (the union of keys the
 * caller computed); absent keys get the client default or NULL/DEFAULT
 * (is_default[i] true: let the server apply it). Lives in a. */
bool dto_row_values(const orm_mapper *m, const json_t *row, const char *pointer_prefix,
                    const size_t *columns, size_t n_columns, arena *a,
                    const char ***values /* OUT */, bool **is_default /* OUT */,
                    err_report *err);

/* ==== output ==============================================================
 *
 * An entity as its DTO: every column except write_only ones (or only
 * `fields` when given: columns and relationship names), each value in its
 * JSON form by column type; a relationship appears when the plan loaded it
 * (effective strategy selectin/joined, or named): to-one as an object or
 * null, to-many as an array, nested by the plan's children. noload
 * relationships never appear.
 */
json_t *dto_entity(const orm_entity *e, const orm_load_plan *plan, const char *const *fields,
                   size_t n_fields);
/* An array of DTOs. */
json_t *dto_entities(orm_entity *const *items, size_t n, const orm_load_plan *plan,
                     const char *const *fields, size_t n_fields);
/* A column value in text form as JSON by the column's type. */
json_t *dto_column_value(const sql_column *c, const char *text);

#endif
