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

static sql_node *aggregate_expr(sql_builder *b, const sql_from *from, const query_aggregate *g)
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
            ok = sql_select_column(b, s, aggregate_expr(b, from, &q->aggregates[i]),
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
                                : aggregate_expr(b, from, &q->aggregates[o->aggregate]);
        ok = sql_select_order_by(b, s, e, o->desc, o->nulls);
    }
    ok = ok && sql_select_limit(b, s, q->limit) && sql_select_offset(b, s, q->offset);
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
