/*
 * orm_bulk — Core bulk writes for a mapper: multi-row INSERTs (optionally
 * upserts), UPDATE and DELETE by a condition. Rows, not instances: nothing enters
 * the identity map, as SQLAlchemy recommends for bulk work; the session
 * still provides the transaction, the connection and the statement count.
 */
#include <stdlib.h>
#include <string.h>

#include "orm_int.h"

static bool insert_batch(orm_session *s, const orm_mapper *m, const size_t *cols, size_t n_cols,
                         const char *const *const *values, const bool *const *defaults,
                         size_t first, size_t count, const orm_conflict *conflict,
                         bool want_keys, orm__vec *keys, orm_bulk_result *out, err_report *err)
{
    sql_builder *b = orm__builder(s, err);
    sql_from *target = sql_from_table(b, m->table, NULL);
    const sql_column **columns = ARENA_ARRAY(s->arena, const sql_column *, n_cols + 1);
    for (size_t c = 0; c < n_cols; c++)
        columns[c] = m->columns[cols[c]];
    sql_insert *ins = sql_insert_new(b, target, columns, n_cols);
    sql_node **row = ARENA_ARRAY(s->arena, sql_node *, n_cols + 1);
    for (size_t r = first; r < first + count; r++) {
        for (size_t c = 0; c < n_cols; c++)
            row[c] = defaults && defaults[r][c]
                         ? sql_lit(b, SQL_LIT_DEFAULT)
                         : sql_bind(b, sql_val_str(values[r][c]));
        sql_insert_row(b, ins, row);
    }
    for (size_t k = 0; want_keys && k < m->n_pk; k++)
        sql_insert_returning(b, ins, sql_col_of(b, target, m->columns[m->pk[k]]), NULL);
    if (conflict)
        orm__upsert_clause(b, m, conflict, ins, target); /* the flag comes last */
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *res = orm_session_execute_stmt(s, SQL_NODE(ins), err);
    if (!res)
        return false;
    int rows = eng_result_rows(res);
    if (conflict && !conflict->do_nothing && (size_t) rows < count) {
        /* DO UPDATE returns every row it inserts or updates; a missing
         * one met a row outside the row filter (orm_rowfilter.c). */
        orm__upsert_refused(m, err);
        return false;
    }
    if (!conflict) {
        out->inserted += eng_result_affected(res);
    } else {
        int flag = want_keys ? (int) m->n_pk : 0;
        for (int r = 0; r < rows; r++) {
            const char *v = eng_result_value(res, r, flag);
            if (v[0] == 't')
                out->inserted++;
            else
                out->updated++;
        }
    }
    for (int r = 0; want_keys && r < rows; r++) {
        const char **key = ARENA_ARRAY(s->arena, const char *, m->n_pk);
        for (size_t k = 0; k < m->n_pk; k++)
            key[k] = arena_strdup(s->arena, eng_result_value(res, r, (int) k));
        orm__vec_push(s->arena, keys, (void *) key);
    }
    return true;
}

bool orm_bulk_insert(orm_session *s, const orm_mapper *m, const size_t *cols, size_t n_cols,
                     const char *const *const *values, const bool *const *defaults,
                     size_t n_rows, const orm_conflict *conflict, bool want_keys,
                     orm_bulk_result *out, err_report *err)
{
    *out = (orm_bulk_result){0};
    const orm_conflict *resolved = NULL;
    if (conflict) {
        if (!orm_conflict_check(m, conflict, "", err))
            return false;
        resolved = orm__conflict_resolve(s->arena, m, conflict, cols, n_cols);
    }
    size_t per_batch = n_cols ? SQL_MAX_PARAMS / n_cols : ORM_BULK_MAX_ROWS;
    if (per_batch > ORM_BULK_MAX_ROWS)
        per_batch = ORM_BULK_MAX_ROWS;
    orm__vec keys = {0};
    /* orm_session_last_write_next before this call means the last batch. */
    bool last_announced = orm__session_take_last_write(s);
    for (size_t first = 0; first < n_rows; first += per_batch) {
        size_t count = n_rows - first < per_batch ? n_rows - first : per_batch;
        if (last_announced && first + count == n_rows)
            orm_session_last_write_next(s);
        if (!insert_batch(s, m, cols, n_cols, values, defaults, first, count, resolved, want_keys,
                          &keys, out, err))
            return false;
    }
    out->keys = (const char *const **) keys.items;
    out->n_keys = keys.n;
    return true;
}

/* A bulk UPDATE or DELETE (what) needs a condition over m's table. */
static bool condition_ok(const orm_mapper *m, const sql_from *from, const sql_node *where,
                         const char *what, err_report *err)
{
    if (!where) {
        err_set(err, ERR_BAD_REQUEST,
                "A bulk %s of %s needs a condition; %s every row is refused.", what, m->resource,
                strcmp(what, "update") == 0 ? "updating" : "deleting");
        return false;
    }
    if (!from || from->table != m->table) {
        err_set(err, ERR_INTERNAL, "The condition of a bulk %s is not about %s.", what,
                m->resource);
        return false;
    }
    return true;
}

/* Runs a statement built with b; *affected = the rows it changed. */
static bool run_counted(orm_session *s, sql_builder *b, const sql_node *stmt, int64_t *affected,
                        err_report *err)
{
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, stmt, err);
    if (!r)
        return false;
    *affected = eng_result_affected(r);
    return true;
}

bool orm_bulk_delete(orm_session *s, const orm_mapper *m, const sql_from *from, sql_node *where,
                     int64_t *deleted, err_report *err)
{
    *deleted = 0;
    if (!condition_ok(m, from, where, "delete", err))
        return false;
    sql_builder *b = orm__builder(s, err);
    sql_delete *d = sql_delete_new(b, (sql_from *) from);
    sql_delete_where(b, d, where);
    return run_counted(s, b, SQL_NODE(d), deleted, err);
}

bool orm_bulk_update(orm_session *s, const orm_mapper *m, const sql_from *from, sql_node *where,
                     const size_t *cols, const char *const *values, size_t n,
                     int64_t *updated, err_report *err)
{
    *updated = 0;
    if (!condition_ok(m, from, where, "update", err))
        return false;
    sql_builder *b = orm__builder(s, err);
    sql_update *u = sql_update_new(b, (sql_from *) from);
    for (size_t i = 0; i < n; i++) {
        if (cols[i] >= m->n_columns || orm_mapper_column_managed(m, cols[i])) {
            err_set(err, ERR_INTERNAL, "A bulk update cannot set column %zu of %s.", cols[i],
                    m->resource);
            return false;
        }
        sql_update_set(b, u, m->columns[cols[i]],
                       sql_bind(b, values[i] ? sql_val_str(values[i]) : sql_val_null()));
    }
    if (m->version >= 0) /* so that ETags change */
        sql_update_set(b, u, m->columns[m->version], orm__version_bump(b, m, from));
    sql_update_where(b, u, where);
    return run_counted(s, b, SQL_NODE(u), updated, err);
}

/* ==== which row broke a unique constraint ================================= */

/* The tuple comparison of rows by the constraint's columns (positions in
 * the bulk column list), for qsort; C11 has no qsort_r. */
static _Thread_local struct {
    const char *const *const *values;
    const size_t *pos;
    size_t n;
} by_tuple;

static int cmp_text(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_rows(const void *x, const void *y)
{
    size_t a = *(const size_t *) x, b = *(const size_t *) y;
    for (size_t i = 0; i < by_tuple.n; i++) {
        int c = cmp_text(by_tuple.values[a][by_tuple.pos[i]], by_tuple.values[b][by_tuple.pos[i]]);
        if (c)
            return c;
    }
    return a < b ? -1 : a > b;
}

/* The first row (in input order) that repeats an earlier row's tuple;
 * rows with a NULL in the tuple never conflict (NULLs are distinct). */
static bool repeated_row(arena *a, const char *const *const *values, size_t n_rows,
                         const size_t *pos, size_t n_pos, size_t *row)
{
    size_t *order = ARENA_ARRAY(a, size_t, n_rows + 1);
    for (size_t r = 0; r < n_rows; r++)
        order[r] = r;
    by_tuple.values = values;
    by_tuple.pos = pos;
    by_tuple.n = n_pos;
    qsort(order, n_rows, sizeof *order, cmp_rows);
    bool found = false;
    for (size_t i = 1; i < n_rows; i++) {
        size_t prev = order[i - 1], cur = order[i];
        bool has_null = false;
        for (size_t k = 0; k < n_pos && !has_null; k++)
            has_null = !values[cur][pos[k]];
        bool same = !has_null;
        for (size_t k = 0; k < n_pos && same; k++)
            same = cmp_text(values[prev][pos[k]], values[cur][pos[k]]) == 0;
        /* sorted by tuple, then index: cur is a later repeat of its group */
        if (same && (!found || cur < *row)) {
            *row = cur;
            found = true;
        }
    }
    return found;
}

bool orm_bulk_conflicting_row(orm_session *s, const orm_mapper *m, const size_t *cols,
                              size_t n_cols, const char *const *const *values,
                              const bool *const *defaults, size_t n_rows, const char *constraint,
                              size_t *row, err_report *err)
{
    sql_constraint_info info;
    if (!constraint || !s->opts.registry ||
        !sql_metadata_find_constraint(orm_registry_metadata(s->opts.registry), m->table->name,
                                      constraint, &info) ||
        info.kind == SQL_CONSTRAINT_FOREIGN_KEY || info.kind == SQL_CONSTRAINT_CHECK ||
        info.n_columns == 0)
        return false;
    size_t *pos = ARENA_ARRAY(s->arena, size_t, info.n_columns);
    for (size_t k = 0; k < info.n_columns; k++) {
        size_t c = 0;
        while (c < n_cols && m->columns[cols[c]] != info.columns[k])
            c++;
        if (c == n_cols)
            return false; /* a column the rows leave to the database */
        for (size_t r = 0; r < n_rows; r++)
            if (defaults && defaults[r][c])
                return false;
        pos[k] = c;
    }
    if (repeated_row(s->arena, values, n_rows, pos, info.n_columns, row))
        return true;
    if (info.n_columns != 1)
        return false;
    /* A row that repeats a stored one: which of the values exist (one
     * statement, the values as one array parameter). */
    sql_value *vals = ARENA_ARRAY(s->arena, sql_value, n_rows + 1);
    size_t n = 0;
    for (size_t r = 0; r < n_rows; r++)
        if (values[r][pos[0]])
            vals[n++] = sql_val_str(values[r][pos[0]]);
    sql_builder *b = orm__builder(s, err);
    sql_from *t = sql_from_table(b, m->table, NULL);
    sql_select *sel = sql_select_new(b);
    sql_node *col = sql_col_of(b, t, info.columns[0]);
    sql_select_column(b, sel, col, NULL);
    sql_select_from(b, sel, t);
    sql_select_where(b, sel, sql_in(b, sql_col_of(b, t, info.columns[0]), vals, n));
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *res = orm_session_execute_stmt(s, SQL_NODE(sel), err);
    if (!res)
        return false;
    orm__strmap stored = {0};
    for (int i = 0; i < eng_result_rows(res); i++)
        orm__strmap_put(s->arena, &stored, eng_result_value(res, i, 0), (void *) 1);
    for (size_t r = 0; r < n_rows; r++) {
        const char *v = values[r][pos[0]];
        if (v && orm__strmap_get(&stored, v)) {
            *row = r;
            return true;
        }
    }
    return false;
}
