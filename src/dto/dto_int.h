/*
 * dto_int — what the files of src/dto share privately. Nothing here is
 * part of the public API (dto.h); every name carries the dto__ prefix.
 *
 * Input validation runs in one dto__ctx: the arena values and pointers
 * live in, the report problems go to, and a count of the problems this
 * body (or row) produced, so the caller knows whether to write anything.
 * Problems are always ERR_VALIDATION (422), whatever kind the shared value
 * rules of Core use for query documents (400).
 *
 * Not thread-safe: one body, one thread, one context.
 */
#ifndef RETORT_DTO_INT_H
#define RETORT_DTO_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dto.h"
#include "jsonkind.h"
#include "sql.h"
#include "strbuf.h"

typedef struct dto__ctx {
    arena *a;          /* texts and pointers; at least as long as the call */
    err_report *err;   /* the caller's report */
    size_t n_problems; /* problems recorded through this context */
    /* The ORM's value rules report into their own report first (pointer
     * strings are then only made for values that fail): `doc` is that
     * report, `b` the builder whose arena values live in (a). */
    sql_builder *b;
    err_report doc;
    /* True when pointers live in a scratch arena that dies before err:
     * they are then only recorded when err copies them (err->arena). */
    bool scratch_pointers;
} dto__ctx;

/* Prepares cx: values and pointers in a, problems to err. */
void dto__ctx_init(dto__ctx *cx, arena *a, err_report *err, bool scratch_pointers);

/* ---- pointers and problems (dto_check.c) ------------------------------ */

/* Where a problem is: prefix [+ "/" + key [+ "/" + sub]]. Kept in parts so
 * the JSON Pointer string is only made when a problem is recorded. */
typedef struct dto__loc {
    const char *prefix; /* already a pointer ("", "/3", "/operations/2/values") */
    const char *key;    /* a body member, escaped when made; NULL = none */
    const char *sub;    /* a member below it ("$add"); NULL = none */
} dto__loc;

/* The JSON Pointer of at (RFC 6901 escaping: ~ -> ~0, / -> ~1). Lives in a. */
const char *dto__pointer(arena *a, const dto__loc *at);

/* Records one 422 problem at `at`. */
void dto__problem(dto__ctx *cx, const dto__loc *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the value rules (dto_check.c) ------------------------------------ */

/* Checks a non-null JSON value against column `col` of m: its JSON type and
 * format (the value rules shared with query documents, orm_value_json),
 * then what only stored values must satisfy: string length in code
 * points, choices, numeric precision and scale. On success *text is the
 * PostgreSQL text form (lives in cx->a). Every problem is recorded at `at`. */
bool dto__column_text(dto__ctx *cx, const orm_mapper *m, size_t col, const json_t *v,
                      const dto__loc *at, const char **text /* OUT */);

/* The delta of {"$add": delta} on an integer, bigint, float or numeric
 * column: a JSON number or a decimal string, checked like a value of the
 * column. *text as above. */
bool dto__delta_text(dto__ctx *cx, const orm_mapper *m, size_t col, const json_t *delta,
                     const dto__loc *at, const char **text /* OUT */);

/* ---- the field rules (dto_fields.c) ----------------------------------- */

/* What a body or row gives for one column, after validation. */
typedef struct dto__field {
    size_t column;
    const char *text; /* NULL = SQL NULL (or, with is_add, never) */
    bool is_add;      /* {"$add": delta}: text is the delta */
} dto__field;

/* Walks the members of an object body: unknown names, relationships,
 * read-only and version columns, primary keys on update, nulls, $add and
 * values; then, on create, the required columns that are missing. Fills
 * fields[] (m->n_columns entries; present[col] says which columns were
 * given) and returns the number of fields. e may be NULL (no primary-key
 * comparison). Problems go to cx. */
size_t dto__fields(dto__ctx *cx, const orm_mapper *m, const json_t *body, dto_mode mode,
                   const char *prefix, unsigned flags, const orm_entity *e,
                   dto__field *fields /* OUT */, bool *present /* OUT */);

/* True for a column whose value the client must give on create: NOT NULL,
 * no client default, no server default, not an identity, not the version
 * column (the ORM sets it) and not read-only (the client could not). */
bool dto__required(const orm_mapper *m, size_t col);

/* True for a column never accepted on input: read_only, or the model's
 * version column (the ORM owns it: 1 on insert, +1 per update). */
bool dto__input_refused(const orm_mapper *m, size_t col);

/* ---- output (dto_write.c, dto_value.c) -------------------------------- */

/* The type OID a column's values are written with (dto_value.c). */
uint32_t dto__column_oid(sql_type_kind k);

/* A value in PostgreSQL text form (NULL = SQL NULL) as JSON by type OID,
 * through the writer (text or tree). */
void dto__value(jsonw *w, uint32_t oid, const char *text);

#endif
