/*
 * dto — data transfer objects: PostgreSQL values to JSON (jansson),
 * per-model input validation, and output shaping of entities.
 *
 * Typed values: results arrive from libpq as text; the column's type OID
 * decides the JSON form. integer/bigint/smallint → JSON integer; float →
 * JSON real; numeric → JSON string with its exact decimal digits (a JSON
 * number would pass through a double); boolean → true/false; uuid, text,
 * varchar, date → strings; timestamptz → RFC 3339 string ("…T…Z" or with
 * a ±hh:mm offset); json/jsonb → the JSON value itself.
 *
 * Ownership: returned json_t values are new references the caller owns
 * (hand them to a jansson `_new` setter, or to http_reply_json); input
 * functions borrow the bodies they are given and keep no reference.
 *
 * Thread-safety: every function is reentrant; an entity and its session
 * belong to one thread at a time. Errors: bool returns, err_report last;
 * input problems are ERR_VALIDATION (422) items, all of them collected.
 */
#ifndef RETORT_DTO_H
#define RETORT_DTO_H

#include <jansson.h>
#include <stdint.h>

#include "eng.h"
#include "jsonw.h"
#include "orm.h"
#include "strbuf.h"

/* Well-known PostgreSQL type OIDs (pg_type.dat). */
enum {
    DTO_OID_BOOL = 16,
    DTO_OID_BYTEA = 17,
    DTO_OID_INT8 = 20,
    DTO_OID_INT2 = 21,
    DTO_OID_INT4 = 23,
    DTO_OID_TEXT = 25,
    DTO_OID_JSON = 114,
    DTO_OID_FLOAT4 = 700,
    DTO_OID_FLOAT8 = 701,
    DTO_OID_BPCHAR = 1042,
    DTO_OID_VARCHAR = 1043,
    DTO_OID_DATE = 1082,
    DTO_OID_TIMESTAMP = 1114,
    DTO_OID_TIMESTAMPTZ = 1184,
    DTO_OID_INTERVAL = 1186,
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

/* The same through the one writer (jsonw: reply text or a tree). */
void dto_write_cell(jsonw *w, const eng_result *r, int row, int col);
void dto_write_row(jsonw *w, const eng_result *r, int row);
void dto_write_rows(jsonw *w, const eng_result *r);

/* PostgreSQL's timestamptz text ("2026-01-02 03:04:05.123+00") as RFC
 * 3339 ("2026-01-02T03:04:05.123Z"); written into out (at least 40
 * bytes). Returns false for text it does not recognise (copied as is). */
bool dto_rfc3339(const char *pg_text, char *out, size_t cap);

/* ==== input: create and update bodies ====================================
 *
 * Validation per model, collecting every problem (422, one item per field
 * with its JSON Pointer: pointer_prefix + "/" + field, e.g. "/email",
 * "/operations/2/values/total", "/3/total"; a body that is not an object
 * is one item at pointer_prefix itself, "" without a prefix). Problems:
 * unknown fields (each named; a relationship name is refused too: related
 * rows are written through their own resource), read_only fields, the
 * version column (the ORM owns it: 1 on insert, +1 per update, checked
 * against If-Match; it is treated as read-only on input), the primary key
 * on update, wrong JSON types, explicit null on a NOT NULL column, and
 * the value rules shared with query documents (orm_value_json: int32
 * range, numeric as a number or decimal string with its precision and
 * scale, string length in code points, choices, canonical uuid, real
 * dates, RFC 3339 timestamps). On create, a column that is NOT NULL
 * without a client default, server_default or autoincrement is required
 * (never the version column, never a read_only one); a key with a server
 * default or an identity may be omitted or given. On update nothing is
 * required. Client-side defaults are filled by orm_session_add, not here.
 *
 * Values are written into the entity (orm_entity_set, text form; $add
 * through orm_entity_add_to) only when the whole body is valid; on any
 * problem the entity is untouched. e may be NULL to validate only.
 * Problem pointers and details are copied into err's arena: initialise
 * err with one (err_init(err, request_arena)); a report without an arena
 * gets the items without pointers or details.
 */

typedef enum dto_mode { DTO_CREATE, DTO_UPDATE } dto_mode;

enum {
    /* {"$add": n} on integer, bigint, float and numeric columns of an
     * update (transaction documents): n a JSON number or a decimal string,
     * checked like a value of the column; the object must have no other
     * member. Without the flag, or on create, "$add" is a 422. */
    DTO_ALLOW_ADD = 1 << 0,
    /* update may name the key with its current value (a client sending
     * back a whole DTO); a different value is a 422. Without the flag any
     * key column in an update body is a 422. The key is never written. */
    DTO_ALLOW_PRIMARY_KEY = 1 << 1
};

bool dto_apply_input(const orm_mapper *m, const json_t *body, dto_mode mode,
                     const char *pointer_prefix, unsigned flags, orm_entity *e, err_report *err);

/* A bulk-insert row validated like a create body (no $add), into text
 * values for the columns listed in `columns` (mapper column indexes: the
 * union of keys the caller computed over all rows). For each i: a key the
 * row gives → its text (NULL for JSON null); an absent key the ORM fills
 * (orm_mapper_absent_value: client default, version 1) → that text
 * (is_default[i] false); any other absent key → is_default[i] true and
 * values[i] NULL: the caller writes DEFAULT there (server default,
 * identity, or NULL). A valid key not listed in `columns` is ignored.
 * Arrays and texts live in a; on failure *values and *is_default are NULL
 * and every problem of the row is in err (pointer_prefix "/3" gives
 * "/3/total"). Arena use of a valid row is its values only; pointer
 * strings are made for problems alone. */
bool dto_row_values(const orm_mapper *m, const json_t *row, const char *pointer_prefix,
                    const size_t *columns, size_t n_columns, arena *a,
                    const char ***values /* OUT */, bool **is_default /* OUT */, err_report *err);

/* A bulk insert's rows, ready for orm_bulk_insert. */
typedef struct dto_bulk {
    const size_t *columns; /* the INSERT's columns: any row names them, or the ORM fills them */
    size_t n_columns;
    const char *const *const *values; /* [row][column] */
    const bool *const *defaults;      /* [row][column]: DEFAULT */
    size_t n_rows;
} dto_bulk;

/* Every row of a JSON array (dto_row_values over the columns any row
 * names plus those the ORM fills); the problems of every bad row are in
 * err (pointers "<prefix>/<row>/<field>", prefix NULL = ""). Lives in a. */
bool dto_bulk_rows(const orm_mapper *m, const json_t *rows, const char *pointer_prefix, arena *a,
                   dto_bulk *out /* OUT */,
                   err_report *err);

/* The values of a bulk update ({"field": value, ...}, at least one) into
 * mapper columns and text values for orm_bulk_update, each value
 * checked like a body's. Unknown fields and fields a bulk update cannot
 * set (the key, managed columns: orm_mapper_column_managed) are 422 items
 * at pointer_prefix + "/" + name; a body that is not a non-empty object is
 * one item at pointer_prefix. Arrays live in a. */
bool dto_bulk_values(const orm_mapper *m, const json_t *values, const char *pointer_prefix,
                     arena *a, size_t **columns /* OUT */, const char ***texts /* OUT */,
                     size_t *n /* OUT */, err_report *err);

/* ==== keys ===============================================================
 *
 * Key values (text, key-column order, for orm_session_get) from what a
 * client sends; NULL when it cannot be a key of m. Live in a. */

/* The {id} of a URL: orm_key_parse (m->n_pk non-empty parts, percent-
 * encoded, joined by ","), then each part checked against its column's
 * type (a value the column cannot hold names nothing). */
const char **dto_key_from_url(const orm_mapper *m, const char *identity, arena *a);
/* A transaction operation's "id": a string or an integer, or an array of
 * m->n_pk of them for a composite key. */
const char **dto_key_from_json(const orm_mapper *m, const json_t *id, arena *a);

/* Turns a constraint violation (SQLSTATE class 23) of a write to m into
 * problem items pointing at the model fields of the constraint (prefix +
 * "/" + field; reg resolves the constraint's table and columns); a NOT
 * NULL violation points at its column. A no-op for other errors and for a
 * report that already has items. */
void dto_point_at_constraint(const orm_registry *reg, const orm_mapper *m, const char *prefix,
                             err_report *err);

/* ==== CSV (RFC 4180) =======================================================
 *
 * A header row, then one CRLF-ended record per entity or row; each field
 * holds the value's JSON form (strings without their JSON quotes, json
 * columns as JSON text), quoted when it holds a comma, quote, CR or LF.
 * NULL is an empty field, the empty string "". Appended to b. */
void dto_csv_value(sbuf *b, const json_t *v);
/* Entities: the columns their DTO shows (fields', or all but write_only
 * and those s's role may not read: orm_session_column_readable);
 * relationships are not part of CSV. */
void dto_csv_entities(sbuf *b, const orm_session *s, const orm_mapper *m,
                      orm_entity *const *items, size_t n, const char *const *fields,
                      size_t n_fields);
/* Core rows (aggregates, named queries), labels as the header. */
void dto_csv_rows(sbuf *b, const eng_result *r);
/* The same in pieces, for replies streamed batch by batch: the header row
 * (r's column labels; any batch of the query has them) and one record. */
void dto_csv_header(sbuf *b, const eng_result *r);
void dto_csv_row(sbuf *b, const eng_result *r, int row);

/* ==== output ==============================================================
 *
 * An entity as its DTO object: its loaded columns in model order, never a
 * write_only one (an unloaded column, e.g. of a transient instance, is
 * left out, not null), nor one the entity's session may not read
 * (orm_session_column_readable: a role's "read" list); with `fields`
 * (n_fields > 0) only the columns named there. Each value in its JSON
 * form by column type (dto_column_value).
 *
 * Relationships follow SPEC.md §2 "Loading": one appears when its plan
 * node's effective strategy is selectin or joined, or the node is named
 * (include=, fields), never with noload; without a node (or without a
 * plan) when the model's lazy is selectin/joined or `fields` names it,
 * unless the plan's wildcard raiseload/noload covers the top level. Only
 * what orm_entity_related reports LOADED is serialised (nothing here runs
 * SQL: the ORM loads named select relationships first). To-one: an object
 * or null; to-many: an array; nested levels by the node's children, with
 * all their columns. An entity already on the path from the root (a
 * cycle through back_populates) is emitted with its columns only.
 * Returns a new reference; dto_entity(NULL, ...) is JSON null.
 */
json_t *dto_entity(const orm_entity *e, const orm_load_plan *plan, const char *const *fields,
                   size_t n_fields);
/* An array of DTOs (NULL items are null). */
json_t *dto_entities(orm_entity *const *items, size_t n, const orm_load_plan *plan,
                     const char *const *fields, size_t n_fields);
/* A column value in text form as JSON by the column's type: integer and
 * bigint → integer; float → real (NaN/Infinity → string); numeric →
 * string with its exact digits; boolean ('t'/'true') → true/false; uuid,
 * date, string, text → string; timestamptz → RFC 3339 string; json → the
 * parsed value; NULL → null. New reference. */
json_t *dto_column_value(const sql_column *c, const char *text);

/* The same DTOs through the one writer: in text mode byte for byte what
 * json_dumps(dto_entity(...) / dto_entities(...), JSON_COMPACT |
 * JSON_ENCODE_ANY) gives, without building a json_t tree (dto_entity is
 * this in tree mode). The DTO is the next value of w (after jsonw_key
 * inside an object). */
void dto_write_entity(jsonw *w, const orm_entity *e, const orm_load_plan *plan,
                      const char *const *fields, size_t n_fields);
void dto_write_entities(jsonw *w, orm_entity *const *items, size_t n, const orm_load_plan *plan,
                        const char *const *fields, size_t n_fields);
/* A column value (dto_column_value) through the writer. */
void dto_write_column(jsonw *w, const sql_column *c, const char *text);

#endif
