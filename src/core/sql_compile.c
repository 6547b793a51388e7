/*
 * sql_compile — the PostgreSQL compiler: a tree in, deterministic SQL text
 * and its text-format parameters out.
 *
 * Rules that shaped it:
 *   - Values are never written into the text: each parameter node becomes
 *     the next $n, in the order the text is written (the walker visits
 *     parameters in that same order; the cache depends on it).
 *   - Identifiers are always double-quoted (sbuf_append_ident) and come
 *     from metadata, aliases or labels; literals only where SQL demands
 *     them.
 *   - Parentheses follow precedence (sql__prec), so the same tree always
 *     gives the same text.
 *   - Problems are collected, not thrown: every one found is added to the
 *     report, then the compile fails as a whole.
 *   - Recursion depth is bounded by SQL_MAX_DEPTH even for trees whose
 *     statements grew after being wrapped.
 */
#include <string.h>

#include "sql_int.h"

enum { ALLOW_STAR = 1u, ALLOW_DEFAULT = 2u };

typedef struct cctx {
    arena *a;
    sbuf out;
    err_report *err;
    size_t n_errors;
    const char **params;
    size_t n_params;
    bool params_reported, depth_reported;
    const sql_from **scope; /* FROM items visible to column references */
    size_t n_scope;
    unsigned allow;       /* ALLOW_* for the next node emitted only */
    bool in_conflict_set; /* EXCLUDED is visible */
    bool check_scope;     /* the root is a statement: columns need a FROM */
    int depth;
} cctx;

static void fail(cctx *c, err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(cctx *c, err_kind kind, const char *fmt, ...)
{
    c->n_errors++;
    va_list ap;
    va_start(ap, fmt);
    const char *msg = arena_vsprintf(c->a, fmt, ap);
    va_end(ap);
    err_add_item(c->err, kind, NULL, "%s", msg);
}

static bool enter(cctx *c)
{
    if (++c->depth <= SQL_MAX_DEPTH)
        return true;
    c->depth--;
    if (!c->depth_reported) {
        c->depth_reported = true;
        fail(c, ERR_BAD_REQUEST, "The query is nested more than %d levels deep.", SQL_MAX_DEPTH);
    }
    return false;
}

static void leave(cctx *c)
{
    c->depth--;
}

static void put(cctx *c, const char *s)
{
    sbuf_append(&c->out, s);
}

static void ident(cctx *c, const char *name)
{
    sbuf_append_ident(&c->out, name);
}

/* A table FROM item: its name, or for a table elsewhere (another schema,
 * another name) "schema"."table" AS "name", so that columns qualified
 * with the FROM item's name resolve either way. */
static void emit_table(cctx *c, const sql_from *f)
{
    sql_append_table_ident(&c->out, f->table);
    if (f->aliased) {
        put(c, " AS ");
        ident(c, f->alias);
    } else if (sql_table_located(f->table)) {
        put(c, " AS ");
        ident(c, f->table->name);
    }
}

static void emit(cctx *c, const sql_node *n, int min_prec);
static void emit_select(cctx *c, const sql_select *s);

/* ==== leaves ========================================================== */

static void emit_param(cctx *c, const sql_param *p)
{
    if (c->n_params >= SQL_MAX_PARAMS) {
        if (!c->params_reported) {
            c->params_reported = true;
            fail(c, ERR_BAD_REQUEST, "The statement needs more than %d parameters.",
                 SQL_MAX_PARAMS);
        }
        return;
    }
    SQL__PUSH(c->a, c->params, c->n_params, const char *);
    c->params[c->n_params++] = sql__param_text(c->a, p);
    sbuf_printf(&c->out, "$%zu", c->n_params);
    /* An enum's name is not a kind: "col = ANY($n)" lets PostgreSQL type
     * the array from the column. */
    if (p->cast && p->type != SQL_TYPE_ENUM) {
        const char *type = sql_type_cast_name(p->type);
        if (!type) {
            fail(c, ERR_INTERNAL, "A parameter cast has no type.");
            return;
        }
        put(c, "::");
        put(c, type);
        if (p->is_array)
            put(c, "[]");
    }
}

static bool in_scope(const cctx *c, const sql_from *f)
{
    for (size_t i = c->n_scope; i-- > 0;)
        if (c->scope[i] == f)
            return true;
    return false;
}

static void scope_add(cctx *c, const sql_from *f)
{
    SQL__PUSH(c->a, c->scope, c->n_scope, const sql_from *);
    c->scope[c->n_scope++] = f;
}

static void emit_colref(cctx *c, const sql_colref *r)
{
    if (c->check_scope && !in_scope(c, r->from)) {
        fail(c, ERR_INTERNAL,
             "The column \"%s\".\"%s\" refers to a FROM item that is not part of the "
             "statement.",
             r->from->alias, r->name);
        return;
    }
    ident(c, r->from->alias);
    sbuf_append_char(&c->out, '.');
    ident(c, r->name);
}

static void emit_literal(cctx *c, const sql_literal *l, unsigned allow)
{
    switch (l->value) {
    case SQL_LIT_NULL: put(c, "NULL"); return;
    case SQL_LIT_TRUE: put(c, "TRUE"); return;
    case SQL_LIT_FALSE: put(c, "FALSE"); return;
    case SQL_LIT_STAR:
        if (!(allow & ALLOW_STAR))
            fail(c, ERR_INTERNAL, "* is only valid as a SELECT item or in count(*).");
        put(c, "*");
        return;
    case SQL_LIT_DEFAULT:
        if (!(allow & ALLOW_DEFAULT))
            fail(c, ERR_INTERNAL, "DEFAULT is only valid in VALUES and SET.");
        put(c, "DEFAULT");
        return;
    case SQL_LIT_INSERTED:
        /* unqualified: xmax of the INSERT's target row version */
        put(c, "(xmax = 0)");
        return;
    }
    fail(c, ERR_INTERNAL, "Unknown literal %d.", (int) l->value);
}

static void emit_text(cctx *c, const sql_text *t)
{
    /* nums[i]: the $n of names[i] in this statement, 0 until first used. */
    size_t *nums = ARENA_ARRAY(c->a, size_t, t->n_names ? t->n_names : 1);
    for (size_t i = 0; i < t->n_pieces; i++) {
        const sql_text_piece *p = &t->pieces[i];
        sbuf_append_n(&c->out, p->sql, p->len);
        if (p->name < 0)
            continue;
        size_t k = (size_t) p->name;
        if (!t->bindings[k]) {
            if (!nums[k])
                fail(c, ERR_BAD_REQUEST, "The parameter :%s has no value.", t->names[k]);
            nums[k] = (size_t) -1;
            continue;
        }
        if (nums[k]) {
            sbuf_printf(&c->out, "$%zu", nums[k]);
            continue;
        }
        emit_param(c, t->bindings[k]);
        nums[k] = c->n_params;
    }
}

/* ==== expressions ===================================================== */

static void emit_list(cctx *c, sql_node *const *nodes, size_t n, const char *sep, int min_prec,
                      unsigned allow)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(c, sep);
        c->allow = allow;
        emit(c, nodes[i], min_prec);
    }
}

static void emit_binop(cctx *c, const sql_binop *b)
{
    int left = 8, right = 8; /* comparisons and LIKE: operands tighter than them */
    if (b->op == SQL_OP_ADD || b->op == SQL_OP_SUB) {
        left = 8;
        right = 9;
    } else if (b->op == SQL_OP_MUL || b->op == SQL_OP_DIV) {
        left = 9;
        right = 10;
    }
    const char *op = sql__op_sql(b->op);
    if (!op) {
        fail(c, ERR_INTERNAL, "Unknown operator %d.", (int) b->op);
        return;
    }
    emit(c, b->left, left);
    sbuf_append_char(&c->out, ' ');
    put(c, op);
    sbuf_append_char(&c->out, ' ');
    emit(c, b->right, right);
}

static void emit_func(cctx *c, const sql_func *f)
{
    const char *name = sql__func_sql(f->fn);
    if (!name) {
        fail(c, ERR_INTERNAL, "Unknown function %d.", (int) f->fn);
        return;
    }
    put(c, name);
    sbuf_append_char(&c->out, '(');
    if (f->distinct)
        put(c, "DISTINCT ");
    emit_list(c, f->args, f->n_args, ", ", 0, f->fn == SQL_FN_COUNT ? ALLOW_STAR : 0);
    sbuf_append_char(&c->out, ')');
}

static void emit(cctx *c, const sql_node *n, int min_prec)
{
    unsigned allow = c->allow;
    c->allow = 0;
    if (!n) {
        fail(c, ERR_INTERNAL, "A node of the statement is missing.");
        return;
    }
    if (!enter(c))
        return;
    bool paren = sql__prec(n) < min_prec;
    if (paren)
        sbuf_append_char(&c->out, '(');
    switch (n->kind) {
    case SQL_COLREF: emit_colref(c, (const sql_colref *) n); break;
    case SQL_EXCLUDED:
        if (!c->in_conflict_set)
            fail(c, ERR_INTERNAL, "EXCLUDED is only valid in ON CONFLICT DO UPDATE.");
        put(c, "EXCLUDED.");
        ident(c, ((const sql_excluded *) n)->column->name);
        break;
    case SQL_PARAM: emit_param(c, (const sql_param *) n); break;
    case SQL_LITERAL: emit_literal(c, (const sql_literal *) n, allow); break;
    case SQL_BINOP: emit_binop(c, (const sql_binop *) n); break;
    case SQL_BOOLOP: {
        const sql_boolop *b = (const sql_boolop *) n;
        emit_list(c, b->args, b->n_args, b->op == SQL_AND ? " AND " : " OR ", sql__prec(n), 0);
        break;
    }
    case SQL_NOT:
        put(c, "NOT ");
        emit(c, ((const sql_not *) n)->arg, 10);
        break;
    case SQL_NULLTEST: {
        const sql_nulltest *t = (const sql_nulltest *) n;
        emit(c, t->arg, 8);
        put(c, t->negated ? " IS NOT NULL" : " IS NULL");
        break;
    }
    case SQL_BETWEEN: {
        const sql_between *b = (const sql_between *) n;
        emit(c, b->arg, 8);
        put(c, " BETWEEN ");
        emit(c, b->low, 8);
        put(c, " AND ");
        emit(c, b->high, 8);
        break;
    }
    case SQL_ANY: {
        const sql_any *a = (const sql_any *) n;
        emit(c, a->lhs, 8);
        put(c, a->negated ? " <> ALL(" : " = ANY(");
        emit(c, SQL_NODE(a->array), 0);
        sbuf_append_char(&c->out, ')');
        break;
    }
    case SQL_FUNC: emit_func(c, (const sql_func *) n); break;
    case SQL_EXISTS:
        put(c, "EXISTS (");
        emit_select(c, ((const sql_exists *) n)->select);
        sbuf_append_char(&c->out, ')');
        break;
    case SQL_TEXT: emit_text(c, (const sql_text *) n); break;
    default:
        fail(c, ERR_INTERNAL, "A %s cannot appear inside an expression.",
             sql_node_kind_name(n->kind));
        break;
    }
    if (paren)
        sbuf_append_char(&c->out, ')');
    leave(c);
}

/* ==== statements ====================================================== */

static void emit_items(cctx *c, const sql_select_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(c, ", ");
        c->allow = ALLOW_STAR;
        emit(c, items[i].expr, 0);
        if (items[i].label) {
            put(c, " AS ");
            ident(c, items[i].label);
        }
    }
}

static void emit_returning(cctx *c, const sql_select_item *items, size_t n)
{
    if (!n)
        return;
    put(c, " RETURNING ");
    emit_items(c, items, n);
}

static void emit_where(cctx *c, const char *keyword, const sql_node *cond)
{
    if (!cond)
        return;
    put(c, keyword);
    emit(c, cond, 0);
}

static void emit_from(cctx *c, const sql_from *f)
{
    if (!enter(c))
        return;
    if (f->subquery) {
        sbuf_append_char(&c->out, '(');
        emit_select(c, f->subquery);
        put(c, ") AS ");
        ident(c, f->alias);
    } else {
        emit_table(c, f);
    }
    leave(c);
}

static void emit_columns(cctx *c, const sql_column *const *cols, size_t n)
{
    sbuf_append_char(&c->out, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(c, ", ");
        ident(c, cols[i]->name);
    }
    sbuf_append_char(&c->out, ')');
}

static void emit_sets(cctx *c, const sql_set_clause *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(c, ", ");
        ident(c, set[i].column->name);
        put(c, " = ");
        c->allow = ALLOW_DEFAULT;
        emit(c, set[i].value, 0);
    }
}

static void check_aliases(cctx *c, size_t from)
{
    for (size_t i = from; i < c->n_scope; i++)
        for (size_t j = from; j < i; j++)
            if (strcmp(c->scope[i]->alias, c->scope[j]->alias) == 0)
                fail(c, ERR_INTERNAL, "The alias \"%s\" is used twice in one FROM clause.",
                     c->scope[i]->alias);
}

static void emit_lock(cctx *c, const sql_select *s)
{
    if (s->lock == SQL_LOCK_NONE)
        return;
    put(c, s->lock == SQL_LOCK_SHARE ? " FOR SHARE" : " FOR UPDATE");
    if (s->lock_of) {
        put(c, " OF ");
        ident(c, s->lock_of->alias);
    }
    if (s->lock_wait == SQL_LOCK_NOWAIT)
        put(c, " NOWAIT");
    else if (s->lock_wait == SQL_LOCK_SKIP_LOCKED)
        put(c, " SKIP LOCKED");
}

static void emit_select(cctx *c, const sql_select *s)
{
    if (!enter(c))
        return;
    size_t mark = c->n_scope;
    if (s->from)
        scope_add(c, s->from);
    for (size_t i = 0; i < s->n_joins; i++)
        scope_add(c, s->joins[i].from);
    check_aliases(c, mark);

    put(c, s->distinct ? "SELECT DISTINCT " : "SELECT ");
    if (s->n_items)
        emit_items(c, s->items, s->n_items);
    else
        put(c, "1");
    if (s->from) {
        put(c, " FROM ");
        emit_from(c, s->from);
    }
    for (size_t i = 0; i < s->n_joins; i++) {
        put(c, s->joins[i].type == SQL_JOIN_LEFT ? " LEFT OUTER JOIN " : " JOIN ");
        emit_from(c, s->joins[i].from);
        put(c, " ON ");
        emit(c, s->joins[i].on, 0);
    }
    emit_where(c, " WHERE ", s->where);
    if (s->n_group_by) {
        put(c, " GROUP BY ");
        emit_list(c, s->group_by, s->n_group_by, ", ", 0, 0);
    }
    emit_where(c, " HAVING ", s->having);
    for (size_t i = 0; i < s->n_order_by; i++) {
        const sql_order_item *o = &s->order_by[i];
        put(c, i ? ", " : " ORDER BY ");
        emit(c, o->expr, 0);
        if (o->desc)
            put(c, " DESC");
        if (o->nulls == SQL_NULLS_FIRST)
            put(c, " NULLS FIRST");
        else if (o->nulls == SQL_NULLS_LAST)
            put(c, " NULLS LAST");
    }
    if (s->limit) {
        put(c, " LIMIT ");
        emit(c, SQL_NODE(s->limit), 0);
    }
    if (s->offset) {
        put(c, " OFFSET ");
        emit(c, SQL_NODE(s->offset), 0);
    }
    emit_lock(c, s);
    c->n_scope = mark;
    leave(c);
}

/* "INSERT INTO " / "UPDATE " / "DELETE FROM " target: the target is a node
 * (the walker visits it), so it counts for depth like any other. */
static void emit_target(cctx *c, const char *keyword, const sql_from *f)
{
    put(c, keyword);
    if (!enter(c))
        return;
    emit_table(c, f);
    leave(c);
}

static void emit_insert(cctx *c, const sql_insert *s)
{
    emit_target(c, "INSERT INTO ", s->target);
    if (s->n_columns == 0) {
        put(c, " DEFAULT VALUES");
    } else {
        sbuf_append_char(&c->out, ' ');
        emit_columns(c, s->columns, s->n_columns);
        if (s->n_rows == 0)
            fail(c, ERR_INTERNAL, "The INSERT into \"%s\" has no VALUES row.",
                 s->target->table->name);
        put(c, " VALUES ");
        for (size_t r = 0; r < s->n_rows; r++) {
            put(c, r ? ", (" : "(");
            emit_list(c, s->values + r * s->n_columns, s->n_columns, ", ", 0, ALLOW_DEFAULT);
            sbuf_append_char(&c->out, ')');
        }
    }
    size_t mark = c->n_scope;
    scope_add(c, s->target);
    if (s->conflict != SQL_CONFLICT_NONE) {
        put(c, " ON CONFLICT");
        if (s->n_conflict_columns) {
            sbuf_append_char(&c->out, ' ');
            emit_columns(c, s->conflict_columns, s->n_conflict_columns);
        }
        if (s->conflict == SQL_CONFLICT_NOTHING) {
            put(c, " DO NOTHING");
        } else {
            if (!s->n_conflict_set)
                fail(c, ERR_INTERNAL, "ON CONFLICT DO UPDATE has nothing to SET.");
            put(c, " DO UPDATE SET ");
            c->in_conflict_set = true;
            emit_sets(c, s->conflict_set, s->n_conflict_set);
            emit_where(c, " WHERE ", s->conflict_where);
            c->in_conflict_set = false;
        }
    }
    emit_returning(c, s->returning, s->n_returning);
    c->n_scope = mark;
}

static void emit_update(cctx *c, const sql_update *s)
{
    size_t mark = c->n_scope;
    scope_add(c, s->target);
    emit_target(c, "UPDATE ", s->target);
    if (!s->n_set)
        fail(c, ERR_INTERNAL, "The UPDATE of \"%s\" has nothing to SET.", s->target->table->name);
    put(c, " SET ");
    emit_sets(c, s->set, s->n_set);
    emit_where(c, " WHERE ", s->where);
    emit_returning(c, s->returning, s->n_returning);
    c->n_scope = mark;
}

static void emit_delete(cctx *c, const sql_delete *s)
{
    size_t mark = c->n_scope;
    scope_add(c, s->target);
    emit_target(c, "DELETE FROM ", s->target);
    emit_where(c, " WHERE ", s->where);
    emit_returning(c, s->returning, s->n_returning);
    c->n_scope = mark;
}

/* A statement, or an expression/text() fragment (for tests and logs; a
 * fragment's columns are not checked against FROM items it cannot see). */
static void emit_root(cctx *c, const sql_node *n)
{
    c->check_scope = n->kind == SQL_SELECT || n->kind == SQL_INSERT || n->kind == SQL_UPDATE ||
                     n->kind == SQL_DELETE;
    switch (n->kind) {
    case SQL_SELECT: emit_select(c, (const sql_select *) n); return;
    case SQL_INSERT:
    case SQL_UPDATE:
    case SQL_DELETE:
        if (!enter(c))
            return;
        if (n->kind == SQL_INSERT)
            emit_insert(c, (const sql_insert *) n);
        else if (n->kind == SQL_UPDATE)
            emit_update(c, (const sql_update *) n);
        else
            emit_delete(c, (const sql_delete *) n);
        leave(c);
        return;
    case SQL_FROM: fail(c, ERR_INTERNAL, "A FROM item is not a statement."); return;
    default:
        emit(c, n, 0); /* an expression or text() */
        return;
    }
}

bool sql_compile(const sql_node *stmt, arena *a, sql_compiled *out, err_report *err)
{
    memset(out, 0, sizeof *out);
    cctx c = {.a = a, .err = err};
    sbuf_init(&c.out, a, 256);
    if (!stmt)
        fail(&c, ERR_INTERNAL, "There is no statement to compile.");
    else
        emit_root(&c, stmt);
    if (c.n_errors)
        return false;
    out->sql = sbuf_str(&c.out);
    out->n_params = c.n_params;
    out->params = c.params;
    return true;
}
