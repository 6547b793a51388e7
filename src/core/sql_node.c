/*
 * sql_node — facts about node kinds that several passes need: names,
 * checked casts, result types, operator spellings and precedence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

static const char *const KIND_NAMES[SQL_NODE_KIND_COUNT] = {
    [SQL_FROM] = "SQL_FROM",       [SQL_COLREF] = "SQL_COLREF",   [SQL_EXCLUDED] = "SQL_EXCLUDED",
    [SQL_PARAM] = "SQL_PARAM",     [SQL_LITERAL] = "SQL_LITERAL", [SQL_BINOP] = "SQL_BINOP",
    [SQL_BOOLOP] = "SQL_BOOLOP",   [SQL_NOT] = "SQL_NOT",         [SQL_NULLTEST] = "SQL_NULLTEST",
    [SQL_BETWEEN] = "SQL_BETWEEN", [SQL_ANY] = "SQL_ANY",         [SQL_FUNC] = "SQL_FUNC",
    [SQL_EXISTS] = "SQL_EXISTS",   [SQL_TEXT] = "SQL_TEXT",       [SQL_SELECT] = "SQL_SELECT",
    [SQL_INSERT] = "SQL_INSERT",   [SQL_UPDATE] = "SQL_UPDATE",   [SQL_DELETE] = "SQL_DELETE",
};

const char *sql_node_kind_name(sql_node_kind kind)
{
    if ((unsigned) kind < SQL_NODE_KIND_COUNT && KIND_NAMES[kind])
        return KIND_NAMES[kind];
    return "(bad node kind)";
}

void *sql_checked_cast(const void *n, sql_node_kind k, const char *file, int line)
{
    if (n && ((const sql_node *) n)->kind != k) {
        fprintf(stderr, "retort: %s:%d: node is %s, expected %s\n", file, line,
                sql_node_kind_name(((const sql_node *) n)->kind), sql_node_kind_name(k));
        abort();
    }
    return (void *) n;
}

/* ==== operators and functions ========================================= */

const char *sql__op_sql(sql_op op)
{
    switch (op) {
    case SQL_OP_EQ: return "=";
    case SQL_OP_NE: return "<>";
    case SQL_OP_LT: return "<";
    case SQL_OP_LE: return "<=";
    case SQL_OP_GT: return ">";
    case SQL_OP_GE: return ">=";
    case SQL_OP_LIKE: return "LIKE";
    case SQL_OP_NOT_LIKE: return "NOT LIKE";
    case SQL_OP_ILIKE: return "ILIKE";
    case SQL_OP_NOT_ILIKE: return "NOT ILIKE";
    case SQL_OP_ADD: return "+";
    case SQL_OP_SUB: return "-";
    case SQL_OP_MUL: return "*";
    case SQL_OP_DIV: return "/";
    }
    return NULL;
}

const char *sql__func_sql(sql_func_kind fn)
{
    switch (fn) {
    case SQL_FN_COUNT: return "count";
    case SQL_FN_SUM: return "sum";
    case SQL_FN_AVG: return "avg";
    case SQL_FN_MIN: return "min";
    case SQL_FN_MAX: return "max";
    case SQL_FN_LOWER: return "lower";
    case SQL_FN_UPPER: return "upper";
    case SQL_FN_NOW: return "now";
    case SQL_FN_COALESCE: return "coalesce";
    }
    return NULL;
}

/* Precedence, loosely after PostgreSQL's grammar (higher binds tighter):
 * OR 1, AND 2, NOT 3, IS [NOT] NULL 4, comparisons and = ANY 5,
 * LIKE/BETWEEN 6, + - 8, * / 9, primaries 10. text() fragments are 0 so
 * that they are always parenthesised inside an expression. */
int sql__prec(const sql_node *n)
{
    switch (n->kind) {
    case SQL_BOOLOP: return ((const sql_boolop *) n)->op == SQL_OR ? 1 : 2;
    case SQL_NOT: return 3;
    case SQL_NULLTEST: return 4;
    case SQL_ANY: return 5;
    case SQL_BETWEEN: return 6;
    case SQL_BINOP:
        switch (((const sql_binop *) n)->op) {
        case SQL_OP_LIKE:
        case SQL_OP_NOT_LIKE:
        case SQL_OP_ILIKE:
        case SQL_OP_NOT_ILIKE: return 6;
        case SQL_OP_ADD:
        case SQL_OP_SUB: return 8;
        case SQL_OP_MUL:
        case SQL_OP_DIV: return 9;
        default: return 5;
        }
    case SQL_TEXT:
    case SQL_SELECT:
    case SQL_INSERT:
    case SQL_UPDATE:
    case SQL_DELETE: return 0;
    default: return 10;
    }
}

/* ==== result types ==================================================== */

static sql_type_kind value_type(const sql_value *v)
{
    switch (v->kind) {
    case SQL_VAL_BOOL: return SQL_TYPE_BOOLEAN;
    case SQL_VAL_INT: return SQL_TYPE_BIGINT;
    case SQL_VAL_FLOAT: return SQL_TYPE_FLOAT;
    case SQL_VAL_TEXT: return SQL_TYPE_TEXT;
    case SQL_VAL_NULL: return SQL_TYPE_NONE;
    }
    return SQL_TYPE_NONE;
}

static sql_type_kind func_type(const sql_func *f)
{
    sql_type_kind arg = f->n_args ? sql_expr_type(f->args[0]) : SQL_TYPE_NONE;
    switch (f->fn) {
    case SQL_FN_COUNT: return SQL_TYPE_BIGINT;
    case SQL_FN_SUM:
        /* sum(integer) is bigint, sum(bigint) numeric, others keep theirs. */
        if (arg == SQL_TYPE_INTEGER)
            return SQL_TYPE_BIGINT;
        return arg == SQL_TYPE_BIGINT ? SQL_TYPE_NUMERIC : arg;
    case SQL_FN_AVG:
        return arg == SQL_TYPE_FLOAT  ? SQL_TYPE_FLOAT
               : arg == SQL_TYPE_NONE ? SQL_TYPE_NONE
                                      : SQL_TYPE_NUMERIC;
    case SQL_FN_MIN:
    case SQL_FN_MAX: return arg;
    case SQL_FN_LOWER:
    case SQL_FN_UPPER: return SQL_TYPE_TEXT;
    case SQL_FN_NOW: return SQL_TYPE_TIMESTAMPTZ;
    case SQL_FN_COALESCE:
        for (size_t i = 0; i < f->n_args; i++) {
            sql_type_kind k = sql_expr_type(f->args[i]);
            if (k != SQL_TYPE_NONE)
                return k;
        }
        return SQL_TYPE_NONE;
    }
    return SQL_TYPE_NONE;
}

sql_type_kind sql_expr_type(const sql_node *n)
{
    if (!n)
        return SQL_TYPE_NONE;
    switch (n->kind) {
    case SQL_COLREF: {
        const sql_colref *c = (const sql_colref *) n;
        if (c->column)
            return c->column->type.kind;
        const sql_node *item =
            c->from && c->from->subquery ? sql__subquery_item(c->from->subquery, c->name) : NULL;
        return item ? sql_expr_type(item) : SQL_TYPE_NONE;
    }
    case SQL_EXCLUDED: return ((const sql_excluded *) n)->column->type.kind;
    case SQL_PARAM: {
        const sql_param *p = (const sql_param *) n;
        if (p->type != SQL_TYPE_NONE || p->is_array)
            return p->type;
        return value_type(&p->value);
    }
    case SQL_LITERAL: {
        sql_literal_kind v = ((const sql_literal *) n)->value;
        return v == SQL_LIT_TRUE || v == SQL_LIT_FALSE || v == SQL_LIT_INSERTED ? SQL_TYPE_BOOLEAN
                                                                             : SQL_TYPE_NONE;
    }
    case SQL_BINOP: {
        const sql_binop *b = (const sql_binop *) n;
        if (sql__prec(n) < 8)
            return SQL_TYPE_BOOLEAN;
        sql_type_kind l = sql_expr_type(b->left);
        return l != SQL_TYPE_NONE ? l : sql_expr_type(b->right);
    }
    case SQL_BOOLOP:
    case SQL_NOT:
    case SQL_NULLTEST:
    case SQL_BETWEEN:
    case SQL_ANY:
    case SQL_EXISTS: return SQL_TYPE_BOOLEAN;
    case SQL_FUNC: return func_type((const sql_func *) n);
    default: return SQL_TYPE_NONE;
    }
}

const sql_node *sql__subquery_item(const sql_select *s, const char *name)
{
    for (size_t i = 0; i < s->n_items; i++) {
        const sql_select_item *it = &s->items[i];
        if (it->label ? strcmp(it->label, name) == 0
                      : sql_is(it->expr, SQL_COLREF) &&
                            strcmp(((const sql_colref *) it->expr)->name, name) == 0)
            return it->expr;
    }
    return NULL;
}
