/*
 * sql_shape — the statement cache's key: one walk that serialises every
 * node's "header" (kind plus every attribute the compiler reads that is
 * not a child: operators, names, aliases, labels, flags, counts), and
 * collects the parameter nodes in $n order.
 *
 * Why it is exact: in pre-order, a node's header determines how many
 * children follow it (counts and presence flags are in the header), so the
 * byte string determines the tree up to parameter values, and hence the
 * SQL text. Strings are length-prefixed. Parameter values are left out on
 * purpose: they never reach the text.
 *
 * Constraint: header() must read every attribute the compiler reads (a
 * missing one would let two different statements share a cache entry).
 * tests/unit/core/test_cache.c checks this against every golden case.
 */
#include <string.h>

#include "sql_int.h"

typedef struct shaper {
    sbuf key;
    arena *a;
    const sql_param **params;
    size_t n_params;
} shaper;

static void put_u32(shaper *s, uint32_t v)
{
    unsigned char b[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                          (unsigned char) (v >> 8), (unsigned char) v};
    sbuf_append_n(&s->key, (const char *) b, 4);
}

static void put_size(shaper *s, size_t v)
{
    put_u32(s, (uint32_t) v);
}

static void put_str(shaper *s, const char *str)
{
    if (!str) {
        put_u32(s, UINT32_MAX);
        return;
    }
    size_t n = strlen(str);
    put_size(s, n);
    sbuf_append_n(&s->key, str, n);
}

static void put_items(shaper *s, const sql_select_item *items, size_t n)
{
    put_size(s, n);
    for (size_t i = 0; i < n; i++)
        put_str(s, items[i].label);
}

static void put_columns(shaper *s, const sql_column *const *cols, size_t n)
{
    put_size(s, n);
    for (size_t i = 0; i < n; i++)
        put_str(s, cols[i]->name);
}

static void put_sets(shaper *s, const sql_set_clause *set, size_t n)
{
    put_size(s, n);
    for (size_t i = 0; i < n; i++)
        put_str(s, set[i].column->name);
}

static void header_select(shaper *s, const sql_select *q)
{
    put_u32(s, q->distinct);
    put_items(s, q->items, q->n_items);
    put_u32(s, q->from != NULL);
    put_size(s, q->n_joins);
    for (size_t i = 0; i < q->n_joins; i++)
        put_u32(s, q->joins[i].type);
    put_u32(s, q->where != NULL);
    put_size(s, q->n_group_by);
    put_u32(s, q->having != NULL);
    put_size(s, q->n_order_by);
    for (size_t i = 0; i < q->n_order_by; i++)
        put_u32(s, (uint32_t) q->order_by[i].desc << 8 | q->order_by[i].nulls);
    put_u32(s, q->limit != NULL);
    put_u32(s, q->offset != NULL);
    put_u32(s, q->lock);
    put_u32(s, q->lock_wait);
    put_str(s, q->lock_of ? q->lock_of->alias : NULL);
}

static void header(shaper *s, const sql_node *n)
{
    put_u32(s, n->kind);
    switch (n->kind) {
    case SQL_FROM: {
        const sql_from *f = (const sql_from *) n;
        put_str(s, f->table ? f->table->name : NULL);
        put_str(s, f->alias);
        put_u32(s, f->aliased);
        put_u32(s, f->subquery != NULL);
        break;
    }
    case SQL_COLREF: {
        const sql_colref *r = (const sql_colref *) n;
        put_str(s, r->from->alias);
        put_str(s, r->name);
        break;
    }
    case SQL_EXCLUDED: put_str(s, ((const sql_excluded *) n)->column->name); break;
    case SQL_PARAM: {
        const sql_param *p = (const sql_param *) n;
        put_u32(s, p->type);
        put_u32(s, p->cast);
        put_u32(s, p->is_array);
        SQL__PUSH(s->a, s->params, s->n_params, const sql_param *);
        s->params[s->n_params++] = p;
        break;
    }
    case SQL_LITERAL: put_u32(s, ((const sql_literal *) n)->value); break;
    case SQL_BINOP: put_u32(s, ((const sql_binop *) n)->op); break;
    case SQL_BOOLOP:
        put_u32(s, ((const sql_boolop *) n)->op);
        put_size(s, ((const sql_boolop *) n)->n_args);
        break;
    case SQL_NOT:
    case SQL_BETWEEN:
    case SQL_EXISTS: break;
    case SQL_NULLTEST: put_u32(s, ((const sql_nulltest *) n)->negated); break;
    case SQL_ANY: put_u32(s, ((const sql_any *) n)->negated); break;
    case SQL_FUNC: {
        const sql_func *f = (const sql_func *) n;
        put_u32(s, f->fn);
        put_u32(s, f->distinct);
        put_size(s, f->n_args);
        break;
    }
    case SQL_TEXT: {
        /* The pieces follow from the text; which names are bound decides
         * which parameters follow. */
        const sql_text *t = (const sql_text *) n;
        put_str(s, t->sql);
        put_size(s, t->n_names);
        for (size_t i = 0; i < t->n_names; i++)
            put_u32(s, t->bindings[i] != NULL);
        break;
    }
    case SQL_SELECT: header_select(s, (const sql_select *) n); break;
    case SQL_INSERT: {
        const sql_insert *q = (const sql_insert *) n;
        put_columns(s, q->columns, q->n_columns);
        put_size(s, q->n_rows);
        put_u32(s, q->conflict);
        put_columns(s, q->conflict_columns, q->n_conflict_columns);
        put_sets(s, q->conflict_set, q->n_conflict_set);
        put_u32(s, q->conflict_where != NULL);
        put_items(s, q->returning, q->n_returning);
        break;
    }
    case SQL_UPDATE: {
        const sql_update *q = (const sql_update *) n;
        put_sets(s, q->set, q->n_set);
        put_u32(s, q->where != NULL);
        put_items(s, q->returning, q->n_returning);
        break;
    }
    case SQL_DELETE: {
        const sql_delete *q = (const sql_delete *) n;
        put_u32(s, q->where != NULL);
        put_items(s, q->returning, q->n_returning);
        break;
    }
    case SQL_NODE_KIND_COUNT: break;
    }
}

static sql_walk_action visit(const sql_node *n, int depth, void *ctx)
{
    (void) depth;
    header(ctx, n);
    return SQL_WALK_CONTINUE;
}

bool sql_shape_of(const sql_node *stmt, arena *a, sql_shape *out, err_report *err)
{
    memset(out, 0, sizeof *out);
    if (!stmt) {
        err_add_item(err, ERR_INTERNAL, NULL, "There is no statement to key.");
        return false;
    }
    shaper s = {.a = a};
    sbuf_init(&s.key, a, 256);
    if (!sql_walk(stmt, visit, &s)) {
        err_add_item(err, ERR_BAD_REQUEST, NULL, "The query is nested more than %d levels deep.",
                     SQL_MAX_DEPTH);
        return false;
    }
    out->key = (const unsigned char *) s.key.data;
    out->len = s.key.len;
    out->hash = sql__fnv1a(s.key.data, s.key.len);
    out->params = s.params;
    out->n_params = s.n_params;
    return true;
}

const char **sql_shape_param_values(const sql_shape *shape, arena *a)
{
    const char **v = ARENA_ARRAY(a, const char *, shape->n_params ? shape->n_params : 1);
    for (size_t i = 0; i < shape->n_params; i++)
        v[i] = sql__param_text(a, shape->params[i]);
    return v;
}
