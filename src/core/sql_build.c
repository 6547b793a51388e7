/*
 * sql_build — the builder and the expression builders (FROM items, column
 * references, parameters, operators, functions, IN, EXISTS). Statement
 * builders are in sql_stmt.c, text() in sql_text.c, relation paths in
 * sql_rel.c.
 *
 * Constraint: builders never crash and never return half-built nodes. A
 * problem is recorded in the builder's err_report and NULL returned; a
 * builder given a NULL operand after an earlier problem returns NULL
 * without a new one. Depth and parameter count are checked here, as each
 * node is made, so no later pass can meet a tree over the limits.
 */
#include <stdio.h>
#include <string.h>

#include "sql_int.h"

/* ==== the builder ===================================================== */

sql_builder *sql_builder_new(arena *a, err_report *err)
{
    sql_builder *b = ARENA_NEW(a, sql_builder);
    b->arena = a;
    b->err = err;
    return b;
}

arena *sql_builder_arena(const sql_builder *b)
{
    return b->arena;
}

bool sql_builder_failed(const sql_builder *b)
{
    return b->n_problems > 0;
}

size_t sql_builder_param_count(const sql_builder *b)
{
    return b->n_params;
}

void sql_builder_set_pointer(sql_builder *b, const char *pointer)
{
    b->pointer = arena_strdup(b->arena, pointer);
}

static void vproblem(sql_builder *b, err_kind kind, const char *fmt, va_list ap)
{
    b->n_problems++;
    const char *msg = arena_vsprintf(b->arena, fmt, ap);
    err_add_item(b->err, kind, b->pointer, "%s", msg);
}

const char *sql_builder_pointer(const sql_builder *b)
{
    return b->pointer;
}

size_t sql_builder_problems(const sql_builder *b)
{
    return b->n_problems;
}

void sql_builder_count_problem(sql_builder *b)
{
    b->n_problems++;
}

void sql_builder_problem(sql_builder *b, err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(b, kind, fmt, ap);
    va_end(ap);
}

bool sql__operand(sql_builder *b, const void *x, const char *what)
{
    if (x)
        return true;
    if (!sql_builder_failed(b))
        sql__problem(b, ERR_INTERNAL, "The %s of an SQL construct is missing.", what);
    return false;
}

bool sql__expr_operand(sql_builder *b, const void *x, const char *what)
{
    if (!sql__operand(b, x, what))
        return false;
    switch (((const sql_node *) x)->kind) {
    case SQL_FROM:
    case SQL_SELECT:
    case SQL_INSERT:
    case SQL_UPDATE:
    case SQL_DELETE:
        sql__problem(b, ERR_INTERNAL, "The %s cannot be a %s.", what,
                     sql_node_kind_name(((const sql_node *) x)->kind));
        return false;
    default: return true;
    }
}

/* A limit was passed: a 400 the first time (*reported remembers it), only
 * counted after that, so a document far over a limit gets one message,
 * not thousands. Returns false, for the caller to pass on. */
__attribute__((format(printf, 3, 4))) static bool over_limit(sql_builder *b, bool *reported,
                                                             const char *fmt, ...)
{
    if (*reported) {
        b->n_problems++;
        return false;
    }
    *reported = true;
    va_list ap;
    va_start(ap, fmt);
    vproblem(b, ERR_BAD_REQUEST, fmt, ap);
    va_end(ap);
    return false;
}

bool sql__height_ok(sql_builder *b, int height)
{
    if (height <= SQL_MAX_DEPTH)
        return true;
    return over_limit(b, &b->depth_limit_reported, "The query is nested more than %d levels deep.",
                      SQL_MAX_DEPTH);
}

bool sql__count_param(sql_builder *b)
{
    if (b->n_params < SQL_MAX_PARAMS) {
        b->n_params++;
        return true;
    }
    return over_limit(b, &b->param_limit_reported, "The query needs more than %d parameters.",
                      SQL_MAX_PARAMS);
}

void *sql__node_new(sql_builder *b, size_t sz, sql_node_kind k)
{
    sql_node *n = arena_alloc(b->arena, sz);
    n->kind = k;
    n->height = 1;
    return n;
}

static int max2(int x, int y)
{
    return x > y ? x : y;
}

/* ==== FROM items and column references ================================= */

static bool alias_ok(sql_builder *b, const char *alias, const char *what)
{
    if (sql__ident_ok(alias))
        return true;
    sql__problem(b, ERR_INTERNAL, "The %s \"%s\" must be 1 to %d bytes long.", what,
                 alias ? alias : "(null)", SQL_MAX_IDENT);
    return false;
}

sql_from *sql_from_table(sql_builder *b, const sql_table *t, const char *alias)
{
    if (!sql__operand(b, t, "table") || (alias && !alias_ok(b, alias, "alias")))
        return NULL;
    sql_from *f = SQL__NEW(b, sql_from);
    f->table = t;
    f->alias = alias ? arena_strdup(b->arena, alias) : t->name;
    f->aliased = alias && strcmp(alias, t->name) != 0;
    return f;
}

sql_from *sql_from_subquery(sql_builder *b, sql_select *s, const char *alias)
{
    if (!sql__operand(b, s, "derived table") || !alias_ok(b, alias, "alias") ||
        !sql__height_ok(b, s->height + 1))
        return NULL;
    sql_from *f = SQL__NEW(b, sql_from);
    f->subquery = s;
    f->alias = arena_strdup(b->arena, alias);
    f->aliased = true;
    f->height = s->height + 1;
    return f;
}

sql_node *sql_col(sql_builder *b, const sql_from *f, const char *name)
{
    if (!sql__operand(b, f, "FROM item") || !sql__operand(b, name, "column name"))
        return NULL;
    if (f->table) {
        const sql_column *c = sql_table_column(f->table, name);
        if (!c) {
            sql__problem(b, ERR_BAD_REQUEST, "The table \"%s\" has no column \"%s\".",
                         f->table->name, name);
            return NULL;
        }
        return sql_col_of(b, f, c);
    }
    if (!sql__subquery_item(f->subquery, name)) {
        sql__problem(b, ERR_BAD_REQUEST, "The subquery \"%s\" has no column \"%s\".", f->alias,
                     name);
        return NULL;
    }
    sql_colref *r = SQL__NEW(b, sql_colref);
    r->from = f;
    r->name = arena_strdup(b->arena, name);
    return SQL_NODE(r);
}

sql_node *sql_col_of(sql_builder *b, const sql_from *f, const sql_column *c)
{
    if (!sql__operand(b, f, "FROM item") || !sql__operand(b, c, "column"))
        return NULL;
    if (f->table != c->table) {
        sql__problem(b, ERR_INTERNAL, "The column \"%s.%s\" does not belong to \"%s\".",
                     c->table->name, c->name, f->alias);
        return NULL;
    }
    sql_colref *r = SQL__NEW(b, sql_colref);
    r->from = f;
    r->column = c;
    r->name = c->name;
    return SQL_NODE(r);
}

sql_node *sql_excluded_col(sql_builder *b, const sql_column *c)
{
    if (!sql__operand(b, c, "column"))
        return NULL;
    sql_excluded *e = SQL__NEW(b, sql_excluded);
    e->column = c;
    return SQL_NODE(e);
}

/* ==== parameters and literals ========================================= */

static sql_value copy_value(sql_builder *b, sql_value v)
{
    if (v.kind == SQL_VAL_TEXT)
        v.u.s = arena_strdup(b->arena, v.u.s);
    return v;
}

static bool type_ok(sql_builder *b, sql_type_kind type)
{
    if (type > SQL_TYPE_NONE && type <= SQL_TYPE_JSON)
        return true;
    sql__problem(b, ERR_INTERNAL, "A parameter cast needs a type.");
    return false;
}

static bool value_ok(sql_builder *b, sql_value v)
{
    if (v.kind >= SQL_VAL_NULL && v.kind <= SQL_VAL_TEXT)
        return true;
    sql__problem(b, ERR_INTERNAL, "A parameter value has no valid kind.");
    return false;
}

sql_node *sql_bind(sql_builder *b, sql_value v)
{
    if (!value_ok(b, v) || !sql__count_param(b))
        return NULL;
    sql_param *p = SQL__NEW(b, sql_param);
    p->value = copy_value(b, v);
    return SQL_NODE(p);
}

sql_node *sql_bind_cast(sql_builder *b, sql_value v, sql_type_kind type)
{
    if (!type_ok(b, type))
        return NULL;
    sql_param *p = SQL_CAST(sql_bind(b, v), sql_param);
    if (p) {
        p->type = type;
        p->cast = true;
    }
    return SQL_NODE(p);
}

sql_node *sql_lit(sql_builder *b, sql_literal_kind value)
{
    if (value < SQL_LIT_NULL || value > SQL_LIT_INSERTED) {
        sql__problem(b, ERR_INTERNAL, "Unknown literal %d.", (int) value);
        return NULL;
    }
    sql_literal *l = SQL__NEW(b, sql_literal);
    l->value = value;
    return SQL_NODE(l);
}

sql_node *sql_star(sql_builder *b)
{
    return sql_lit(b, SQL_LIT_STAR);
}

/* ==== operators ======================================================= */

sql_node *sql_binary(sql_builder *b, sql_op op, sql_node *left, sql_node *right)
{
    if (!sql__expr_operand(b, left, "left operand") ||
        !sql__expr_operand(b, right, "right operand"))
        return NULL;
    if (op < SQL_OP_EQ || op > SQL_OP_DIV) {
        sql__problem(b, ERR_INTERNAL, "Unknown operator %d.", (int) op);
        return NULL;
    }
    int h = 1 + max2(left->height, right->height);
    if (!sql__height_ok(b, h))
        return NULL;
    sql_binop *n = SQL__NEW(b, sql_binop);
    n->op = op;
    n->left = left;
    n->right = right;
    n->height = h;
    return SQL_NODE(n);
}

sql_node *sql_eq(sql_builder *b, sql_node *left, sql_node *right)
{
    return sql_binary(b, SQL_OP_EQ, left, right);
}

static sql_node *boolop(sql_builder *b, sql_boolop_kind op, sql_node *const *args, size_t n)
{
    if (n == 0)
        return sql_lit(b, op == SQL_AND ? SQL_LIT_TRUE : SQL_LIT_FALSE);
    int h = 0;
    for (size_t i = 0; i < n; i++) {
        if (!sql__expr_operand(b, args ? args[i] : NULL,
                               op == SQL_AND ? "AND operand" : "OR operand"))
            return NULL;
        h = max2(h, args[i]->height);
    }
    if (n == 1)
        return args[0];
    if (!sql__height_ok(b, h + 1))
        return NULL;
    sql_boolop *o = SQL__NEW(b, sql_boolop);
    o->op = op;
    o->args = ARENA_ARRAY(b->arena, sql_node *, n);
    memcpy(o->args, args, n * sizeof *args);
    o->n_args = n;
    o->height = h + 1;
    return SQL_NODE(o);
}

sql_node *sql_and(sql_builder *b, sql_node *const *args, size_t n)
{
    return boolop(b, SQL_AND, args, n);
}

sql_node *sql_or(sql_builder *b, sql_node *const *args, size_t n)
{
    return boolop(b, SQL_OR, args, n);
}

sql_node *sql_and2(sql_builder *b, sql_node *x, sql_node *y)
{
    sql_node *args[2] = {x, y};
    return boolop(b, SQL_AND, args, 2);
}

sql_node *sql_or2(sql_builder *b, sql_node *x, sql_node *y)
{
    sql_node *args[2] = {x, y};
    return boolop(b, SQL_OR, args, 2);
}

sql_node *sql_negate(sql_builder *b, sql_node *x)
{
    if (!sql__expr_operand(b, x, "NOT operand") || !sql__height_ok(b, x->height + 1))
        return NULL;
    sql_not *n = SQL__NEW(b, sql_not);
    n->arg = x;
    n->height = x->height + 1;
    return SQL_NODE(n);
}

static sql_node *nulltest(sql_builder *b, sql_node *x, bool negated)
{
    if (!sql__expr_operand(b, x, "IS NULL operand") || !sql__height_ok(b, x->height + 1))
        return NULL;
    sql_nulltest *n = SQL__NEW(b, sql_nulltest);
    n->arg = x;
    n->negated = negated;
    n->height = x->height + 1;
    return SQL_NODE(n);
}

sql_node *sql_is_null(sql_builder *b, sql_node *x)
{
    return nulltest(b, x, false);
}

sql_node *sql_is_not_null(sql_builder *b, sql_node *x)
{
    return nulltest(b, x, true);
}

sql_node *sql_is_between(sql_builder *b, sql_node *x, sql_node *low, sql_node *high)
{
    if (!sql__expr_operand(b, x, "BETWEEN operand") ||
        !sql__expr_operand(b, low, "BETWEEN lower bound") ||
        !sql__expr_operand(b, high, "BETWEEN upper bound"))
        return NULL;
    int h = 1 + max2(x->height, max2(low->height, high->height));
    if (!sql__height_ok(b, h))
        return NULL;
    sql_between *n = SQL__NEW(b, sql_between);
    n->arg = x;
    n->low = low;
    n->high = high;
    n->height = h;
    return SQL_NODE(n);
}

/* ==== IN lists ======================================================== */

sql_node *sql_in_typed(sql_builder *b, sql_node *x, sql_type_kind type, bool negated,
                       const sql_value *values, size_t n)
{
    if (!sql__expr_operand(b, x, "IN operand") || !type_ok(b, type))
        return NULL;
    if (n && !values) {
        sql__problem(b, ERR_INTERNAL, "The IN list has no values.");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!value_ok(b, values[i]))
            return NULL;
    if (!sql__height_ok(b, max2(x->height, 1) + 1) || !sql__count_param(b))
        return NULL;
    sql_param *p = SQL__NEW(b, sql_param);
    p->type = type;
    p->cast = true;
    p->is_array = true;
    sql_value *vals = ARENA_ARRAY(b->arena, sql_value, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        vals[i] = copy_value(b, values[i]);
    p->values = vals;
    p->n_values = n;

    sql_any *a = SQL__NEW(b, sql_any);
    a->lhs = x;
    a->array = p;
    a->negated = negated;
    a->height = max2(x->height, 1) + 1;
    return SQL_NODE(a);
}

static sql_node *in_list(sql_builder *b, sql_node *x, bool negated, const sql_value *values,
                         size_t n)
{
    if (!sql__expr_operand(b, x, "IN operand"))
        return NULL;
    sql_type_kind type = sql_expr_type(x);
    if (type == SQL_TYPE_NONE) {
        sql__problem(b, ERR_INTERNAL,
                     "The element type of an IN list cannot be told from its operand; "
                     "name it with sql_in_typed.");
        return NULL;
    }
    return sql_in_typed(b, x, type, negated, values, n);
}

sql_node *sql_in(sql_builder *b, sql_node *x, const sql_value *values, size_t n)
{
    return in_list(b, x, false, values, n);
}

sql_node *sql_not_in(sql_builder *b, sql_node *x, const sql_value *values, size_t n)
{
    return in_list(b, x, true, values, n);
}

/* ==== functions and EXISTS ============================================ */

sql_node *sql_call(sql_builder *b, sql_func_kind fn, sql_node *const *args, size_t n)
{
    const char *name = sql__func_sql(fn);
    if (!name) {
        sql__problem(b, ERR_INTERNAL, "Unknown function %d.", (int) fn);
        return NULL;
    }
    size_t want_min = fn == SQL_FN_NOW ? 0 : 1;
    size_t want_max = fn == SQL_FN_NOW ? 0 : fn == SQL_FN_COALESCE ? (size_t) -1 : 1;
    if (n < want_min || n > want_max) {
        sql__problem(b, ERR_BAD_REQUEST, "The function %s does not take %zu arguments.", name, n);
        return NULL;
    }
    int h = 0;
    for (size_t i = 0; i < n; i++) {
        if (!sql__expr_operand(b, args ? args[i] : NULL, "function argument"))
            return NULL;
        if (sql_is(args[i], SQL_LITERAL) &&
            ((const sql_literal *) args[i])->value == SQL_LIT_STAR && fn != SQL_FN_COUNT) {
            sql__problem(b, ERR_BAD_REQUEST, "Only count takes *.");
            return NULL;
        }
        h = max2(h, args[i]->height);
    }
    if (!sql__height_ok(b, h + 1))
        return NULL;
    sql_func *f = SQL__NEW(b, sql_func);
    f->fn = fn;
    f->args = ARENA_ARRAY(b->arena, sql_node *, n ? n : 1);
    if (n)
        memcpy(f->args, args, n * sizeof *args);
    f->n_args = n;
    f->height = h + 1;
    return SQL_NODE(f);
}

sql_node *sql_call1(sql_builder *b, sql_func_kind fn, sql_node *arg)
{
    if (!sql__expr_operand(b, arg, "function argument"))
        return NULL;
    return sql_call(b, fn, &arg, 1);
}

sql_node *sql_count_star(sql_builder *b)
{
    return sql_call1(b, SQL_FN_COUNT, sql_star(b));
}

sql_node *sql_count_distinct(sql_builder *b, sql_node *x)
{
    sql_func *f = SQL_CAST(sql_call1(b, SQL_FN_COUNT, x), sql_func);
    if (f && sql_is(x, SQL_LITERAL)) {
        sql__problem(b, ERR_BAD_REQUEST, "count(DISTINCT ...) needs an expression.");
        return NULL;
    }
    if (f)
        f->distinct = true;
    return SQL_NODE(f);
}

sql_node *sql_exists_select(sql_builder *b, sql_select *s)
{
    if (!sql__operand(b, s, "EXISTS subquery") || !sql__height_ok(b, s->height + 1))
        return NULL;
    sql_exists *e = SQL__NEW(b, sql_exists);
    e->select = s;
    e->height = s->height + 1;
    return SQL_NODE(e);
}
