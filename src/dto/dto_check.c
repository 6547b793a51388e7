/*
 * dto_check — one value of a create/update body or bulk row checked against
 * its column, and the JSON Pointers and problems of input validation.
 *
 * The value rules themselves (JSON type, int32 range, numeric precision and
 * scale, string length in code points, choices, uuid/date/timestamptz
 * formats, NOT NULL) are the ORM's orm_value_json, the same code that checks
 * the values of query documents, so a body and a where clause can never
 * disagree about what an "integer" or a "uuid" is. This file adds what only
 * bodies have: {"$add": delta}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"
#include "strbuf.h"

/* ==== context, pointers, problems ====================================== */

void dto__ctx_init(dto__ctx *cx, arena *a, err_report *err, bool scratch_pointers)
{
    cx->a = a;
    cx->err = err;
    cx->n_problems = 0;
    err_init(&cx->doc, a);
    cx->b = sql_builder_new(a, &cx->doc);
    cx->scratch_pointers = scratch_pointers;
}

const char *dto__pointer(arena *a, const dto__loc *at)
{
    sbuf s;
    sbuf_init(&s, a, 32);
    sbuf_append(&s, at->prefix ? at->prefix : "");
    if (at->key) {
        sbuf_append_char(&s, '/');
        sbuf_append_pointer_token(&s, at->key);
    }
    if (at->sub) {
        sbuf_append_char(&s, '/');
        sbuf_append_pointer_token(&s, at->sub);
    }
    return sbuf_str(&s);
}

void dto__problem(dto__ctx *cx, const dto__loc *at, const char *fmt, ...)
{
    cx->n_problems++;
    if (!cx->err)
        return;
    /* Without an arena of its own the report borrows pointers, and a
     * scratch pointer would dangle: leave it out (details are dropped by
     * such a report anyway). */
    const char *pointer = cx->scratch_pointers && !cx->err->arena ? NULL : dto__pointer(cx->a, at);
    va_list ap;
    va_start(ap, fmt);
    char *detail = arena_vsprintf(cx->a, fmt, ap);
    va_end(ap);
    err_add_item(cx->err, ERR_VALIDATION, pointer, "%s", detail);
}

/* Moves what the ORM's value rules reported into the caller's report, at the
 * real pointer (made now, only for a value that failed). */
static bool take_doc_problems(dto__ctx *cx, bool ok, const dto__loc *at)
{
    if (ok && cx->doc.n_items == 0)
        return true;
    for (size_t i = 0; i < cx->doc.n_items; i++)
        dto__problem(cx, at, "%s", cx->doc.items[i].detail ? cx->doc.items[i].detail : "");
    if (cx->doc.n_items == 0)
        dto__problem(cx, at, "The value is invalid.");
    err_clear(&cx->doc);
    return false;
}

/* ==== values ============================================================ */

bool dto__column_text(dto__ctx *cx, const orm_mapper *m, size_t col, const json_t *v,
                      const dto__loc *at, const char **text)
{
    sql_value out;
    bool ok = orm_value_json(cx->b, m->columns[col], v, NULL, &out, &cx->doc);
    if (!take_doc_problems(cx, ok, at))
        return false;
    *text = sql_value_text(cx->a, &out);
    return true;
}

static bool addable(sql_type_kind k)
{
    return k == SQL_TYPE_INTEGER || k == SQL_TYPE_BIGINT || k == SQL_TYPE_FLOAT ||
           k == SQL_TYPE_NUMERIC;
}

bool dto__delta_text(dto__ctx *cx, const orm_mapper *m, size_t col, const json_t *delta,
                     const dto__loc *at, const char **text)
{
    const sql_column *c = m->columns[col];
    if (!addable(c->type.kind)) {
        dto__problem(cx, at,
                     "\"$add\" applies to integer, bigint, float and numeric fields; "
                     "\"%s.%s\" is %s.",
                     c->table->name, c->name, sql_type_kind_name(c->type.kind));
        return false;
    }
    if (!json_is_number(delta) && !json_is_string(delta)) {
        dto__problem(cx, at,
                     "Expected a number or a decimal string as the \"$add\" of \"%s.%s\", "
                     "got %s.",
                     c->table->name, c->name, jsonkind_name(delta));
        return false;
    }
    /* A delta is checked like a value of the column (range, scale); a
     * decimal string is read as the column's text form ("5" for an
     * integer), which also refuses "1.5" for one. */
    sql_value out;
    bool ok =
        json_is_string(delta) && c->type.kind != SQL_TYPE_NUMERIC
            ? orm_value_text(cx->b, c, json_string_value(delta), NULL, &out, &cx->doc)
            : orm_value_json(cx->b, c, delta, NULL, &out, &cx->doc);
    if (!take_doc_problems(cx, ok, at))
        return false;
    *text = sql_value_text(cx->a, &out);
    return true;
}

/* ==== constraint violations ================================================= */

static const char *model_field(const orm_mapper *m, const sql_column *c)
{
    /* Table columns and model fields share names; the mapper is the
     * authority on what the client calls a field. */
    int i = orm_mapper_column(m, c->name);
    return i >= 0 ? m->model->columns[i].name : c->name;
}

void dto_point_at_constraint(const orm_registry *reg, const orm_mapper *m, const char *prefix,
                             err_report *err)
{
    if (!err->sqlstate[0] || strncmp(err->sqlstate, "23", 2) != 0 || err->n_items)
        return;
    prefix = prefix ? prefix : "";
    const char *table = err->table ? err->table : m ? m->resource : NULL;
    const orm_mapper *owner = table && reg
                                  ? orm_mapper_by_resource(reg, table)
                                  : m;
    sql_constraint_info info;
    if (strcmp(err->sqlstate, "23502") == 0 && err->column) {
        err_add_item(err, err->kind, arena_sprintf(err->arena, "%s/%s", prefix, err->column),
                     "%s must not be null.", err->column);
        err->detail = err->items[0].detail;
        return;
    }
    if (!err->constraint || !reg ||
        !sql_metadata_find_constraint(orm_registry_metadata(reg), table,
                                      err->constraint, &info))
        return;
    const char *what = info.kind == SQL_CONSTRAINT_FOREIGN_KEY ? "must reference an existing row"
                       : info.kind == SQL_CONSTRAINT_CHECK      ? "violates the check"
                                                               : "must be unique";
    for (size_t i = 0; i < info.n_columns; i++) {
        const char *field = owner ? model_field(owner, info.columns[i]) : info.columns[i]->name;
        err_add_item(err, err->kind, arena_sprintf(err->arena, "%s/%s", prefix, field),
                     "%s %s (%s).", field, what, info.name);
    }
    if (err->n_items)
        err->detail = err->items[0].detail;
}
