/*
 * orm_query — reading entities: Session.get (identity map first),
 * queries from a Core SELECT of the mapper's table (with their joined
 * loads, the count, and the plan's other loads), and refresh of expired instances.
 *
 * A limited query that joins a to-many relationship pages its parents,
 * not its rows: the parent SELECT (where, order, LIMIT, OFFSET) becomes a
 * derived table and the joins hang off it:
 *
 *   SELECT "ld_0".*, "ld_1".* FROM (SELECT "users".* FROM "users" WHERE ...
 *       ORDER BY ..., "users"."id" LIMIT $1 OFFSET $2) AS "ld_0"
 *     LEFT OUTER JOIN "orders" AS "ld_1" ON "ld_0"."id" = "ld_1"."user_id"
 *     ORDER BY <the same order over "ld_0">, "ld_0"."id", <orders order>
 *
 * The primary key always ends the parent ORDER BY, so paging is stable.
 */
#include <stdlib.h>

#include "orm_int.h"

static int64_t param_int(const sql_param *p)
{
    return p && p->value.kind == SQL_VAL_INT ? p->value.u.i : 0;
}

size_t orm_query_order(const orm_mapper *m, const sql_select *stmt, orm_order_key *out)
{
    size_t n = 0;
    const size_t cap = m->n_columns;
    for (size_t i = 0; stmt && i < stmt->n_order_by && n < cap; i++) {
        const sql_order_item *o = &stmt->order_by[i];
        if (o->expr->kind != SQL_COLREF || !SQL_CCAST(o->expr, sql_colref)->column)
            continue; /* anything else belongs to aggregate statements */
        const sql_column *c = SQL_CCAST(o->expr, sql_colref)->column;
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = out[j].column == c;
        if (!seen) /* a column twice: the first mention decides */
            out[n++] = (orm_order_key){c, o->desc, o->nulls};
    }
    for (size_t k = 0; k < m->n_pk && n < cap; k++) {
        const sql_column *c = m->columns[m->pk[k]];
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = out[j].column == c;
        if (!seen)
            out[n++] = (orm_order_key){c, false, SQL_NULLS_DEFAULT};
    }
    return n;
}

/* The order of stmt, then the key (each column once), over from (stmt's
 * table or the wrapped parent SELECT). */
static void order_parents(sql_builder *b, sql_select *sel, const orm_mapper *m,
                          const sql_select *stmt, const sql_from *from)
{
    orm_order_key *keys = ARENA_ARRAY(sql_builder_arena(b), orm_order_key, m->n_columns + 1);
    size_t n = orm_query_order(m, stmt, keys);
    for (size_t i = 0; i < n; i++) {
        const sql_column *c = keys[i].column;
        sql_node *x = from->table ? sql_col_of(b, from, c) : sql_col(b, from, c->name);
        sql_select_order_by(b, sel, x, keys[i].desc, (sql_nulls) keys[i].nulls);
    }
}

/* stmt's FOR UPDATE / FOR SHARE, of the entities' own rows (never the
 * outer-joined ones, which PostgreSQL refuses to lock). */
static void lock_rows(sql_builder *b, sql_select *sel, const sql_select *stmt,
                      const sql_from *from)
{
    if (stmt && stmt->lock != SQL_LOCK_NONE)
        sql_select_lock(b, sel, stmt->lock, stmt->lock_wait, from);
}

static void page(sql_builder *b, sql_select *sel, const sql_select *stmt)
{
    if (!stmt)
        return;
    if (stmt->limit)
        sql_select_limit(b, sel, param_int(stmt->limit));
    sql_select_offset(b, sel, param_int(stmt->offset));
}

/* The columns of m a statement's SELECT list narrows the entities to
 * (`fields`): those it names, plus what an instance needs whatever is
 * shown: the key (identity), the version (ETag, If-Match), the columns it
 * is ordered by (keyset cursors) and every relationship's own join
 * columns (loading, now or later). NULL = every column (no list, or one
 * that is not plain columns of m). */
static bool mark(const orm_mapper *m, const sql_column *c, bool *only)
{
    for (size_t i = 0; i < m->n_columns; i++)
        if (m->columns[i] == c) {
            only[i] = true;
            return true;
        }
    return false;
}

static const bool *narrowed(arena *a, const orm_mapper *m, const sql_select *stmt)
{
    if (!stmt || stmt->n_items == 0 || stmt->n_items >= m->n_columns)
        return NULL;
    bool *only = ARENA_ARRAY(a, bool, m->n_columns);
    for (size_t i = 0; i < stmt->n_items; i++) {
        const sql_node *e = stmt->items[i].expr;
        if (!sql_is(e, SQL_COLREF))
            return NULL;
        if (!mark(m, SQL_CAST(e, sql_colref)->column, only))
            return NULL;
    }
    for (size_t k = 0; k < m->n_pk; k++)
        only[m->pk[k]] = true;
    if (m->version >= 0)
        only[m->version] = true;
    for (size_t i = 0; i < stmt->n_order_by; i++) {
        const sql_node *e = stmt->order_by[i].expr;
        if (sql_is(e, SQL_COLREF))
            mark(m, SQL_CAST(e, sql_colref)->column, only);
    }
    for (size_t r = 0; r < m->n_relationships; r++) {
        const sql_relation *rel = m->relationships[r].relation;
        for (size_t k = 0; k < rel->n_on; k++)
            mark(m, rel->on[k].local, only);
    }
    return only;
}

/* The SELECT of the entities stmt asks for, and their joined loads. */
static sql_select *build_query(sql_builder *b, const orm_mapper *m, const sql_select *stmt,
                               sql_from *from, orm_load_node *const *nodes, size_t n_nodes,
                               orm__fetch *f)
{
    const bool *only = narrowed(sql_builder_arena(b), m, stmt);
    sql_select *sel = sql_select_new(b);
    bool paged = stmt && (stmt->limit || param_int(stmt->offset) > 0);
    if (paged && orm__joins_to_many(nodes, n_nodes)) {
        sql_select *inner = sql_select_new(b);
        for (size_t i = 0; i < m->n_columns; i++)
            sql_select_column(b, inner, sql_col_of(b, from, m->columns[i]), NULL);
        sql_select_from(b, inner, from);
        if (stmt->where)
            sql_select_where(b, inner, stmt->where);
        order_parents(b, inner, m, stmt, from);
        page(b, inner, stmt);
        lock_rows(b, inner, stmt, from);
        sql_from *sub = sql_from_subquery(b, inner, "ld_0");
        if (!sub)
            return NULL;
        sql_select_from(b, sel, sub);
        order_parents(b, sel, m, stmt, sub);
        orm__fetch_build_only(b, sel, f, m, sub, 0, only, nodes, n_nodes);
        return sel;
    }
    sql_select_from(b, sel, from);
    if (stmt && stmt->where)
        sql_select_where(b, sel, stmt->where);
    order_parents(b, sel, m, stmt, from);
    orm__fetch_build_only(b, sel, f, m, from, 0, only, nodes, n_nodes);
    page(b, sel, stmt);
    lock_rows(b, sel, stmt, from);
    return sel;
}

/* SELECT count(*) AS "count" FROM <stmt's table> WHERE <stmt's where>. */
static bool run_count(orm_session *s, const sql_select *stmt, sql_from *from, int64_t *count,
                      err_report *err)
{
    sql_builder *b = orm__builder(s, err);
    sql_select *c = sql_select_new(b);
    sql_select_column(b, c, sql_count_star(b), "count");
    sql_select_from(b, c, from);
    if (stmt && stmt->where)
        sql_select_where(b, c, stmt->where);
    return orm__builder_ok(b, err) && orm_session_count(s, c, count, err);
}

bool orm_session_count(orm_session *s, const sql_select *stmt, int64_t *count, err_report *err)
{
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(stmt), err);
    if (!r)
        return false;
    *count = eng_result_rows(r) ? strtoll(eng_result_value(r, 0, 0), NULL, 10) : 0;
    return true;
}

bool orm_session_query(orm_session *s, const orm_mapper *m, const sql_select *stmt,
                       const orm_load_plan *plan, orm_entity ***out, size_t *n, int64_t *count,
                       err_report *err)
{
    *out = NULL;
    *n = 0;
    if (stmt && (stmt->n_group_by || stmt->having)) {
        err_set(err, ERR_BAD_REQUEST,
                "An aggregate query returns rows, not %s entities; run it through Core.",
                m->resource);
        return false;
    }
    if ((plan && plan->mapper != m) || (stmt && (!stmt->from || stmt->from->table != m->table))) {
        err_set(err, ERR_INTERNAL, "The query or its load plan is not about %s.", m->resource);
        return false;
    }
    if (!orm__autoflush(s, err))
        return false;
    orm_load_node *const *nodes = plan ? plan->children : NULL;
    size_t n_nodes = plan ? plan->n_children : 0;

    sql_builder *b = orm__builder(s, err);
    sql_from *from = stmt ? stmt->from : sql_from_table(b, m->table, NULL);
    orm__fetch f = {0};
    sql_select *sel = build_query(b, m, stmt, from, nodes, n_nodes, &f);
    if (!sel || !orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(sel), err);
    if (!r)
        return false;

    orm__vec result = {0};
    orm__tripleset seen = {0};
    int rows = eng_result_rows(r);
    for (int row = 0; row < rows; row++) {
        orm_entity *e = orm__fetch_row(s, &f, r, row, &seen);
        if (e && orm__tripleset_add(s->arena, &seen, e, NULL, SIZE_MAX))
            orm__vec_push(s->arena, &result, e);
    }
    if (count && !run_count(s, stmt, from, count, err))
        return false;
    if (!orm__load_nodes(s, (orm_entity *const *) result.items, result.n, nodes, n_nodes, true,
                         err))
        return false;
    *out = (orm_entity **) result.items;
    *n = result.n;
    return true;
}

/* ==== by key ================================================================ */

/* SELECT of m's row with key pk, with the joined nodes. */
static eng_result *select_by_key(orm_session *s, const orm_mapper *m, const char *const *pk,
                                 orm_load_node *const *nodes, size_t n_nodes, orm__fetch *f,
                                 err_report *err)
{
    sql_builder *b = orm__builder(s, err);
    sql_from *from = sql_from_table(b, m->table, NULL);
    sql_select *sel = sql_select_new(b);
    sql_select_from(b, sel, from);
    sql_select_where(b, sel, orm__pk_condition(b, m, from, pk));
    orm__fetch_build(b, sel, f, m, from, 0, nodes, n_nodes);
    if (!orm__builder_ok(b, err))
        return NULL;
    return orm_session_execute_stmt(s, SQL_NODE(sel), err);
}

/* Reloads every column of e from its row; *gone when the row no longer
 * exists (e is then detached). */
static bool reload(orm_session *s, orm_entity *e, bool *gone, err_report *err)
{
    const orm_mapper *m = e->mapper;
    const char *pk[CFG_MAX_PK_COLUMNS];
    for (size_t k = 0; k < m->n_pk; k++) {
        size_t c = m->pk[k];
        pk[k] = (e->flags[c] & ORM_COL_ORIG) ? e->orig[c] : e->values[c];
    }
    if (!orm__identity_text(s->arena, m, pk)) {
        err_set(err, ERR_INTERNAL, "An instance without a key cannot be refreshed.");
        return false;
    }
    orm__fetch f = {0};
    eng_result *r = select_by_key(s, m, pk, NULL, 0, &f, err);
    if (!r)
        return false;
    *gone = eng_result_rows(r) == 0;
    if (*gone) {
        orm__identity_remove(s, e);
        e->state = ORM_DETACHED;
        return true;
    }
    orm__entity_fill(e, r, 0, 0);
    return true;
}

bool orm_session_refresh(orm_session *s, orm_entity *e, err_report *err)
{
    if (e->state != ORM_PERSISTENT) {
        err_set(err, ERR_INTERNAL, "Only a persistent instance can be refreshed.");
        return false;
    }
    if (!orm__autoflush(s, err))
        return false;
    bool gone = false;
    if (!reload(s, e, &gone, err))
        return false;
    if (gone) {
        err_set(err, ERR_NOT_FOUND, "The %s row with key %s no longer exists.", e->mapper->resource,
                e->identity ? e->identity : "?");
        return false;
    }
    return true;
}

bool orm_session_get(orm_session *s, const orm_mapper *m, const char *const *pk,
                     const orm_load_plan *plan, orm_entity **out, err_report *err)
{
    *out = NULL;
    if (plan && plan->mapper != m) {
        err_set(err, ERR_INTERNAL, "The load plan is not about %s.", m->resource);
        return false;
    }
    orm_load_node *const *nodes = plan ? plan->children : NULL;
    size_t n_nodes = plan ? plan->n_children : 0;
    const char *key[CFG_MAX_PK_COLUMNS];
    for (size_t k = 0; k < m->n_pk; k++) {
        key[k] = orm__canonical_key_part(s->arena, m->columns[m->pk[k]], pk[k]);
        if (!key[k])
            return true; /* no row has a NULL key */
    }
    const char *id = orm__identity_text(s->arena, m, key);

    for (int pass = 0; pass < 2; pass++) {
        orm_entity *e = orm__identity_get(s, m, id);
        if (e) {
            if (e->state == ORM_DELETED)
                return true;
            /* A narrowed instance (`fields`) is read whole, like an
             * expired one: a get promises every column. */
            if (e->expired || (e->state == ORM_PERSISTENT && !orm__entity_whole(e))) {
                bool gone = false;
                if (!orm__autoflush(s, err) || !reload(s, e, &gone, err))
                    return false;
                if (gone)
                    return true;
            }
            *out = e;
            if (!n_nodes)
                return true;
            return orm__autoflush(s, err) && orm__load_nodes(s, out, 1, nodes, n_nodes, false, err);
        }
        /* A pending instance may hold this key: flush, then look again. */
        if (pass == 0 && (!orm__autoflush(s, err)))
            return false;
    }

    orm__fetch f = {0};
    eng_result *r = select_by_key(s, m, key, nodes, n_nodes, &f, err);
    if (!r)
        return false;
    orm__tripleset seen = {0};
    int rows = eng_result_rows(r);
    for (int row = 0; row < rows; row++) {
        orm_entity *e = orm__fetch_row(s, &f, r, row, &seen);
        if (!*out)
            *out = e;
    }
    if (!*out)
        return true;
    return orm__load_nodes(s, out, 1, nodes, n_nodes, true, err);
}
