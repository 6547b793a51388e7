/*
 * query_select — Core statements from a translated query:
 *
 *   SELECT "users"."id", "users"."email" FROM "users" WHERE ...
 *     ORDER BY "users"."created_at" DESC LIMIT $n OFFSET $m
 *
 *   SELECT "orders"."status", count(*) AS "n", sum("orders"."total") AS "revenue"
 *     FROM "orders" WHERE ... GROUP BY "orders"."status" ORDER BY count(*) DESC ...
 *
 *   SELECT count(*) AS "count" FROM "users" WHERE ...
 *
 * LIMIT and OFFSET are always parameters, so paging never changes the
 * statement's shape (one cache entry per query shape). An aggregate label
 * in order_by repeats the aggregate expression (PostgreSQL does not accept
 * output labels inside ORDER BY expressions, and this keeps the tree free
 * of label references).
 */
#include <string.h>

#include "query_int.h"

static bool same_from(sql_builder *b, const sql_from *from, const query_doc *q)
{
    if (!from || !q || from != q->from || !from->table) {
        if (!sql_builder_failed(b))
            sql_builder_problem(
                b, ERR_INTERNAL,
                "A translated query must be built over the FROM item it was parsed with.");
        return false;
    }
    return true;
}

sql_node *query__aggregate_expr(sql_builder *b, const sql_from *from, const query_aggregate *g)
{
    if (!g->column)
        return sql_count_star(b);
    sql_node *col = sql_col_of(b, from, g->column);
    if (g->distinct)
        return sql_count_distinct(b, col);
    return sql_call1(b, g->fn, col);
}

/* SELECT list, FROM, WHERE, GROUP BY: what the select and the count of an
 * aggregate query share. */
static sql_select *core(sql_builder *b, sql_from *from, const query_doc *q)
{
    sql_select *s = sql_select_new(b);
    bool ok = true;
    if (q->is_aggregate) {
        for (size_t i = 0; i < q->n_group_by && ok; i++)
            ok = sql_select_column(b, s, sql_col_of(b, from, q->group_by[i]), NULL);
        for (size_t i = 0; i < q->n_aggregates && ok; i++)
            ok = sql_select_column(b, s, query__aggregate_expr(b, from, &q->aggregates[i]),
                                   q->aggregates[i].label);
    } else if (q->n_fields) {
        size_t n_cols = 0;
        for (size_t i = 0; i < q->n_fields && ok; i++) {
            if (!q->field_columns[i])
                continue; /* a relationship: the ORM loads it */
            ok = sql_select_column(b, s, sql_col_of(b, from, q->field_columns[i]), NULL);
            n_cols++;
        }
        /* Only relationships named: the entity still needs its columns. */
        for (size_t i = 0; ok && n_cols == 0 && i < from->table->n_columns; i++)
            ok = sql_select_column(b, s, sql_col_of(b, from, from->table->columns[i]), NULL);
    } else {
        for (size_t i = 0; i < from->table->n_columns && ok; i++)
            ok = sql_select_column(b, s, sql_col_of(b, from, from->table->columns[i]), NULL);
    }
    ok = ok && sql_select_from(b, s, from);
    if (ok && q->where)
        ok = sql_select_where(b, s, q->where);
    for (size_t i = 0; i < q->n_group_by && ok; i++)
        ok = sql_select_group_by(b, s, sql_col_of(b, from, q->group_by[i]));
    if (ok && q->having)
        ok = sql_select_having(b, s, q->having);
    return ok ? s : NULL;
}

sql_select *query_select(sql_builder *b, sql_from *from, const query_doc *q, err_report *err)
{
    (void) err; /* problems go to the builder's report */
    if (!same_from(b, from, q))
        return NULL;
    sql_select *s = core(b, from, q);
    bool ok = s != NULL;
    for (size_t i = 0; i < q->n_order && ok; i++) {
        const query_order *o = &q->order[i];
        sql_node *e = o->column ? sql_col_of(b, from, o->column)
                                : query__aggregate_expr(b, from, &q->aggregates[o->aggregate]);
        ok = sql_select_order_by(b, s, e, o->desc, o->nulls);
    }
    ok = ok && (q->all || sql_select_limit(b, s, q->limit)) && sql_select_offset(b, s, q->offset);
    if (ok && q->lock != SQL_LOCK_NONE)
        ok = sql_select_lock(b, s, (sql_lock) q->lock, (sql_lock_wait) q->lock_wait, NULL);
    return ok ? s : NULL;
}

sql_select *query_count_select(sql_builder *b, sql_from *from, const query_doc *q, err_report *err)
{
    (void) err;
    if (!same_from(b, from, q))
        return NULL;
    sql_select *s = sql_select_new(b);
    if (!sql_select_column(b, s, sql_count_star(b), "count"))
        return NULL;
    if (q->is_aggregate) {
        sql_select *groups = core(b, from, q);
        if (!groups || !sql_select_from(b, s, sql_from_subquery(b, groups, "groups")))
            return NULL;
        return s;
    }
    if (!sql_select_from(b, s, from) || (q->where && !sql_select_where(b, s, q->where)))
        return NULL;
    return s;
}

const sql_node *query_export(orm_session *s, const orm_mapper *m, const query_doc *q,
                             int64_t *count, err_report *err)
{
    sql_builder *b = sql_builder_new(orm_session_arena(s), err);
    sql_from *from = (sql_from *) q->from;
    if (count) {
        sql_select *cs = query_count_select(b, from, q, err);
        if (!cs || !orm_session_count(s, cs, count, err))
            return NULL;
    }
    sql_select *paged = query_select(b, from, q, err);
    if (!paged || q->is_aggregate)
        return paged && !sql_builder_failed(b) ? SQL_NODE(paged) : NULL;
    if (from->table != m->table) {
        err_set(err, ERR_INTERNAL, "The query is not about %s.", m->resource);
        return NULL;
    }
    /* Rows, not entities: the SELECT list is what the DTO shows, so the
     * rows go out as they come (nothing to hydrate, nothing to hold). */
    sql_select *sel = sql_select_new(b);
    bool ok = true;
    for (size_t i = 0; i < from->table->n_columns && ok; i++) {
        const sql_column *c = from->table->columns[i];
        bool shown = q->n_fields == 0 && !c->write_only;
        for (size_t f = 0; f < q->n_fields && !shown; f++)
            shown = q->field_columns[f] == c;
        if (shown)
            ok = sql_select_column(b, sel, sql_col_of(b, from, c), NULL);
    }
    ok = ok && sql_select_from(b, sel, from) && (!q->where || sql_select_where(b, sel, q->where));
    /* The order keyset paging uses (order_by, then the key): total, so an
     * export and the pages of the same query list the rows alike. */
    orm_order_key *keys = ARENA_ARRAY(orm_session_arena(s), orm_order_key, m->n_columns + 1);
    size_t n = ok ? orm_query_order(m, paged, keys) : 0;
    for (size_t i = 0; i < n && ok; i++)
        ok = sql_select_order_by(b, sel, sql_col_of(b, from, keys[i].column), keys[i].desc,
                                 (sql_nulls) keys[i].nulls);
    if (ok && q->lock != SQL_LOCK_NONE)
        ok = sql_select_lock(b, sel, (sql_lock) q->lock, (sql_lock_wait) q->lock_wait, NULL);
    if (!ok || sql_builder_failed(b)) {
        if (!err_is_set(err))
            err_set(err, ERR_INTERNAL, "A statement could not be built.");
        return NULL;
    }
    return SQL_NODE(sel);
}

bool query_entities(orm_session *s, const orm_mapper *m, const query_doc *q,
                    const orm_load_plan *plan, orm_entity ***out, size_t *n, int64_t *count,
                    err_report *err)
{
    *out = NULL;
    *n = 0;
    *count = -1;
    if (q->is_aggregate) {
        err_set(err, ERR_BAD_REQUEST,
                "An aggregate query returns rows, not %s entities; run it through Core.",
                m->resource);
        return false;
    }
    sql_builder *b = sql_builder_new(orm_session_arena(s), err);
    sql_select *stmt = query_select(b, (sql_from *) q->from, q, err);
    if (!stmt || sql_builder_failed(b)) {
        if (!err_is_set(err))
            err_set(err, ERR_INTERNAL, "A statement could not be built.");
        return false;
    }
    return orm_session_query(s, m, stmt, plan, out, n, q->count ? count : NULL, err);
}
