/*
 * orm_rowfilter — row filters (SQLAlchemy's with_loader_criteria, applied
 * to every statement): when the session has a row filter, every statement
 * it runs is rewritten before it is compiled so that each table is seen
 * only through the filter. This is the one place that makes "ANDed into
 * every statement that reads, updates or deletes the model" true for all
 * of them at once — lists, gets, query documents, relationship loads
 * (selectin, joined, select), any/has subqueries, counts, aggregates,
 * bulk updates and deletes, transactions — since they all pass through
 * orm_session_execute_stmt.
 *
 *   a table read anywhere (FROM, JOIN, EXISTS ...)
 *       FROM "orders" AS "o"  →  FROM (SELECT <columns> FROM "orders"
 *                                       WHERE <filter>) AS "o"
 *   the target of UPDATE / DELETE      WHERE ... AND <filter>
 *   the target of INSERT / UPDATE      RETURNING ..., <filter> AS row_ok:
 *       a written row outside the filter fails the statement (403), and
 *       the caller's transaction is rolled back
 *   an upsert's DO UPDATE               ON CONFLICT ... DO UPDATE SET ...
 *                                         WHERE <filter>: a row the role
 *       may not use is never overwritten (no row comes back: 409)
 *
 * The rewrite is in place and idempotent (a rewritten FROM item has its
 * derived table and keeps its table, a statement already checking row_ok is not extended
 * again), so a tree run twice (a count beside its select) is fine. The
 * filter's own tables are not filtered again. Claim values are bound
 * parameters of the filter, so the compiled-statement cache keys on the
 * filter's shape and never mixes two roles' statements.
 */
#include <string.h>

#include "orm_int.h"

/* The label of the RETURNING column that carries the check. */
#define ROW_OK "retort_row_ok"

enum { MAX_FROMS = 256 };

typedef struct collect {
    sql_from *froms[MAX_FROMS];
    size_t n;
    bool overflow;
} collect;

static sql_walk_action visit(const sql_node *n, int depth, void *ctx)
{
    (void) depth;
    collect *c = ctx;
    const sql_from *f = (const sql_from *) n;
    if (n->kind == SQL_FROM && f->table && !f->subquery) {
        if (c->n == MAX_FROMS) {
            c->overflow = true;
            return SQL_WALK_STOP;
        }
        c->froms[c->n++] = (sql_from *) n;
    }
    return SQL_WALK_CONTINUE;
}

/* The filter of f's table over f; NULL when the table has none (err
 * untouched) or on failure (err set). */
static sql_node *filter_for(orm_session *s, sql_builder *b, const sql_from *f, err_report *err)
{
    return s->opts.row_filter(s->opts.row_filter_ctx, b, f->table, f, err);
}

/* FROM "t" AS "a" → FROM (SELECT every column FROM "t" WHERE filter) AS "a". */
static bool wrap(orm_session *s, sql_builder *b, sql_from *f, err_report *err)
{
    sql_from *inner = sql_from_table(b, f->table, NULL);
    sql_node *cond = filter_for(s, b, inner, err);
    if (!cond)
        return !err_is_set(err);
    sql_select *sel = sql_select_new(b);
    for (size_t i = 0; i < f->table->n_columns; i++)
        sql_select_column(b, sel, sql_col_of(b, inner, f->table->columns[i]), NULL);
    sql_select_from(b, sel, inner);
    sql_select_where(b, sel, cond);
    if (sql_builder_failed(b))
        return false;
    /* The table stays: code that built or builds on this FROM item (a
     * count beside its select) still sees which table it is; the compiler
     * emits the derived table. */
    f->subquery = sel;
    f->aliased = true;
    return true;
}

static bool returns_row_ok(const sql_select_item *items, size_t n)
{
    return n > 0 && items[n - 1].label && strcmp(items[n - 1].label, ROW_OK) == 0;
}

bool orm__apply_row_filters(orm_session *s, sql_node *stmt, bool *check_row_ok,
                            err_report *err)
{
    *check_row_ok = false;
    if (!s->opts.row_filter || !stmt)
        return true;
    sql_builder *b = sql_builder_new(s->arena, err);
    sql_from *target = NULL;
    if (stmt->kind == SQL_UPDATE)
        target = ((sql_update *) stmt)->target;
    else if (stmt->kind == SQL_DELETE)
        target = ((sql_delete *) stmt)->target;
    else if (stmt->kind == SQL_INSERT)
        target = ((sql_insert *) stmt)->target;

    /* Collect first: the filters added below must not be filtered again. */
    collect c = {.n = 0};
    sql_walk(stmt, visit, &c);
    if (c.overflow) {
        err_set(err, ERR_INTERNAL, "Too many tables in one statement to filter.");
        return false;
    }
    for (size_t i = 0; i < c.n; i++)
        if (c.froms[i] != target && !wrap(s, b, c.froms[i], err))
            return false;
    if (!target || !target->table)
        return true;

    if (stmt->kind == SQL_UPDATE || stmt->kind == SQL_DELETE) {
        sql_node *cond = filter_for(s, b, target, err);
        if (!cond && err_is_set(err))
            return false;
        if (cond && stmt->kind == SQL_UPDATE)
            sql_update_where(b, (sql_update *) stmt, cond);
        else if (cond)
            sql_delete_where(b, (sql_delete *) stmt, cond);
    }
    if (stmt->kind == SQL_UPDATE || stmt->kind == SQL_INSERT) {
        sql_update *u = stmt->kind == SQL_UPDATE ? (sql_update *) stmt : NULL;
        sql_insert *ins = stmt->kind == SQL_INSERT ? (sql_insert *) stmt : NULL;
        if (u ? returns_row_ok(u->returning, u->n_returning)
              : returns_row_ok(ins->returning, ins->n_returning)) {
            *check_row_ok = true;
            return true;
        }
        sql_node *cond = filter_for(s, b, target, err);
        if (!cond)
            return !err_is_set(err);
        if (u) {
            sql_update_returning(b, u, cond, ROW_OK);
        } else {
            /* An upsert's DO UPDATE may only change a row the role may
             * use: one outside the filter is left alone and returns no
             * row (orm_upsert.c answers 409). The new values are then
             * checked by row_ok like any write. */
            if (ins->conflict == SQL_CONFLICT_UPDATE) {
                sql_node *old_ok = filter_for(s, b, target, err);
                if (!old_ok && err_is_set(err))
                    return false;
                if (old_ok)
                    sql_insert_conflict_where(b, ins, old_ok);
            }
            sql_insert_returning(b, ins, cond, ROW_OK);
        }
        *check_row_ok = true;
    }
    return !sql_builder_failed(b);
}

bool orm__check_row_ok(const eng_result *r, err_report *err)
{
    int col = r ? eng_result_colindex(r, ROW_OK) : -1;
    if (col < 0)
        return true;
    for (int i = 0; i < eng_result_rows(r); i++) {
        if (strcmp(eng_result_value(r, i, col), "t") != 0) {
            err_set(err, ERR_FORBIDDEN,
                    "The row written would be outside the rows your role may use.");
            return false;
        }
    }
    return true;
}
