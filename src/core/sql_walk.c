/*
 * sql_walk — the one traversal of the tree. Passes (shape keys, parameter
 * collection, checks in other modules) are callbacks, not recursions of
 * their own.
 *
 * Constraint: children are visited in exactly the order the compiler
 * writes them into the SQL text. The statement cache relies on it: on a
 * hit it binds the parameters met by this walk as $1..$n without
 * compiling. A new node kind must keep the two in step (README.md).
 */
#include "sql_int.h"

typedef struct walker {
    sql_walk_fn fn;
    void *ctx;
} walker;

static bool walk(const walker *w, const sql_node *n, int depth);

static bool walk_items(const walker *w, const sql_select_item *items, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++)
        if (!walk(w, items[i].expr, depth))
            return false;
    return true;
}

static bool walk_nodes(const walker *w, sql_node *const *nodes, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++)
        if (!walk(w, nodes[i], depth))
            return false;
    return true;
}

static bool walk_sets(const walker *w, const sql_set_clause *set, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++)
        if (!walk(w, set[i].value, depth))
            return false;
    return true;
}

static bool walk_select(const walker *w, const sql_select *s, int d)
{
    if (!walk_items(w, s->items, s->n_items, d) || !walk(w, SQL_NODE(s->from), d))
        return false;
    for (size_t i = 0; i < s->n_joins; i++)
        if (!walk(w, SQL_NODE(s->joins[i].from), d) || !walk(w, s->joins[i].on, d))
            return false;
    if (!walk(w, s->where, d) || !walk_nodes(w, s->group_by, s->n_group_by, d) ||
        !walk(w, s->having, d))
        return false;
    for (size_t i = 0; i < s->n_order_by; i++)
        if (!walk(w, s->order_by[i].expr, d))
            return false;
    return walk(w, SQL_NODE(s->limit), d) && walk(w, SQL_NODE(s->offset), d);
}

/* Visits the children of n at depth d. */
static bool walk_children(const walker *w, const sql_node *n, int d)
{
    switch (n->kind) {
    case SQL_FROM: return walk(w, SQL_NODE(((const sql_from *) n)->subquery), d);
    case SQL_COLREF:
    case SQL_EXCLUDED:
    case SQL_PARAM:
    case SQL_LITERAL: return true;
    case SQL_BINOP: {
        const sql_binop *b = (const sql_binop *) n;
        return walk(w, b->left, d) && walk(w, b->right, d);
    }
    case SQL_BOOLOP: {
        const sql_boolop *b = (const sql_boolop *) n;
        return walk_nodes(w, b->args, b->n_args, d);
    }
    case SQL_NOT: return walk(w, ((const sql_not *) n)->arg, d);
    case SQL_NULLTEST: return walk(w, ((const sql_nulltest *) n)->arg, d);
    case SQL_BETWEEN: {
        const sql_between *b = (const sql_between *) n;
        return walk(w, b->arg, d) && walk(w, b->low, d) && walk(w, b->high, d);
    }
    case SQL_ANY: {
        const sql_any *a = (const sql_any *) n;
        return walk(w, a->lhs, d) && walk(w, SQL_NODE(a->array), d);
    }
    case SQL_FUNC: {
        const sql_func *f = (const sql_func *) n;
        return walk_nodes(w, f->args, f->n_args, d);
    }
    case SQL_EXISTS: return walk(w, SQL_NODE(((const sql_exists *) n)->select), d);
    case SQL_TEXT: {
        /* Names in first-occurrence order = $n order. */
        const sql_text *t = (const sql_text *) n;
        for (size_t i = 0; i < t->n_names; i++)
            if (!walk(w, SQL_NODE(t->bindings[i]), d))
                return false;
        return true;
    }
    case SQL_SELECT: return walk_select(w, (const sql_select *) n, d);
    case SQL_INSERT: {
        const sql_insert *s = (const sql_insert *) n;
        return walk(w, SQL_NODE(s->target), d) &&
               walk_nodes(w, s->values, s->n_rows * s->n_columns, d) &&
               walk_sets(w, s->conflict_set, s->n_conflict_set, d) &&
               walk(w, s->conflict_where, d) && walk_items(w, s->returning, s->n_returning, d);
    }
    case SQL_UPDATE: {
        const sql_update *s = (const sql_update *) n;
        return walk(w, SQL_NODE(s->target), d) && walk_sets(w, s->set, s->n_set, d) &&
               walk(w, s->where, d) && walk_items(w, s->returning, s->n_returning, d);
    }
    case SQL_DELETE: {
        const sql_delete *s = (const sql_delete *) n;
        return walk(w, SQL_NODE(s->target), d) && walk(w, s->where, d) &&
               walk_items(w, s->returning, s->n_returning, d);
    }
    case SQL_NODE_KIND_COUNT: break;
    }
    return true;
}

static bool walk(const walker *w, const sql_node *n, int depth)
{
    if (!n)
        return true;
    if (depth > SQL_MAX_DEPTH)
        return false;
    switch (w->fn(n, depth, w->ctx)) {
    case SQL_WALK_STOP: return false;
    case SQL_WALK_PRUNE: return true;
    case SQL_WALK_CONTINUE: break;
    }
    return walk_children(w, n, depth + 1);
}

bool sql_walk(const sql_node *n, sql_walk_fn fn, void *ctx)
{
    walker w = {fn, ctx};
    return walk(&w, n, 1);
}
