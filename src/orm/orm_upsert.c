/*
 * orm_upsert — INSERT ... ON CONFLICT through the unit of work.
 *
 * An upserted instance is a pending instance whose INSERT carries a
 * conflict clause; it is flushed in the same dependency order as every
 * other INSERT, so a document may upsert a child before its parent. The
 * statement returns every column plus PostgreSQL's (xmax = 0), which tells
 * an inserted row from an updated one without a second statement:
 *
 *   INSERT INTO "users" ("email", "name") VALUES ($1, $2)
 *     ON CONFLICT ("email") DO UPDATE SET "name" = EXCLUDED."name",
 *       "version" = "users"."version" + $3
 *     RETURNING "users"."id", ..., (xmax = 0)
 *
 * DO NOTHING returns no row on a conflict; the existing row is then read
 * by the target's values (one SELECT), so the caller always gets the row.
 *
 * With a row filter, DO UPDATE carries the filter in its WHERE
 * (orm_rowfilter.c): a conflict with a row the session may not use
 * returns no row and is a 409, never an overwrite.
 */
#include <string.h>

#include "orm_int.h"

static bool in_list(const size_t *list, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == c)
            return true;
    return false;
}

static bool same_columns(const sql_column *const *cols, size_t n, const orm_mapper *m,
                         const size_t *target, size_t n_target)
{
    if (n != n_target)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n_target && !found; j++)
            found = m->columns[target[j]] == cols[i];
        if (!found)
            return false;
    }
    return true;
}

bool orm_conflict_check(const orm_mapper *m, const orm_conflict *c, const char *pointer,
                        err_report *err)
{
    bool ok = true;
    for (size_t i = 0; i < c->n_target; i++)
        if (c->target[i] >= m->n_columns) {
            err_add_item(err, ERR_BAD_REQUEST, pointer, "The conflict target names no column.");
            return false;
        }
    if (c->n_target) {
        const sql_table *t = m->table;
        bool unique = same_columns(t->primary_key, t->n_primary_key, m, c->target, c->n_target);
        for (size_t u = 0; !unique && u < t->n_uniques; u++)
            unique = same_columns(t->uniques[u].columns, t->uniques[u].n_columns, m, c->target,
                                  c->n_target);
        for (size_t x = 0; !unique && x < t->n_indexes; x++)
            unique = t->indexes[x].unique &&
                     same_columns(t->indexes[x].columns, t->indexes[x].n_columns, m, c->target,
                                  c->n_target);
        if (!unique) {
            err_add_item(err, ERR_BAD_REQUEST, pointer,
                         "A conflict target of %s must be its primary key or the columns of one "
                         "of its unique constraints.",
                         m->resource);
            ok = false;
        }
    }
    for (size_t i = 0; i < c->n_update; i++) {
        if (c->update[i] >= m->n_columns || (int) c->update[i] == m->version) {
            err_add_item(err, ERR_BAD_REQUEST, pointer,
                         "The columns to update on conflict must be columns of %s other than "
                         "its version column.",
                         m->resource);
            ok = false;
            break;
        }
    }
    return ok;
}

bool orm_session_add_upsert(orm_session *s, orm_entity *e, const orm_conflict *c,
                            err_report *err)
{
    const orm_mapper *m = e->mapper;
    if (e->state != ORM_TRANSIENT) {
        err_set(err, ERR_INTERNAL, "Only a transient instance can be upserted.");
        return false;
    }
    if (!orm_conflict_check(m, c, "", err))
        return false;
    /* The default update list is what the caller set, taken before add
     * fills client defaults: a default must not overwrite a stored value. */
    size_t *set = ARENA_ARRAY(s->arena, size_t, m->n_columns);
    size_t n_set = 0;
    for (size_t i = 0; i < m->n_columns; i++)
        if (e->flags[i] & ORM_COL_LOADED)
            set[n_set++] = i;
    orm_conflict *copy = orm__conflict_resolve(s->arena, m, c, set, n_set);
    if (!orm_session_add(s, e, err))
        return false;
    e->conflict = copy;
    e->outcome = ORM_UPSERT_NONE;
    return true;
}

orm_upsert_outcome orm_entity_upsert_outcome(const orm_entity *e)
{
    return e->outcome;
}

orm_conflict *orm__conflict_resolve(arena *a, const orm_mapper *m, const orm_conflict *c,
                                   const size_t *set, size_t n_set)
{
    orm_conflict *copy = ARENA_NEW(a, orm_conflict);
    copy->do_nothing = c->do_nothing;
    size_t *target = ARENA_ARRAY(a, size_t, m->n_columns);
    if (c->n_target) {
        memcpy(target, c->target, c->n_target * sizeof *target);
        copy->n_target = c->n_target;
    } else {
        memcpy(target, m->pk, m->n_pk * sizeof *target);
        copy->n_target = m->n_pk;
    }
    copy->target = target;
    size_t *update = ARENA_ARRAY(a, size_t, m->n_columns);
    size_t n_update = 0;
    for (size_t i = 0; i < m->n_columns; i++) {
        bool wanted = c->n_update ? in_list(c->update, c->n_update, i) : in_list(set, n_set, i);
        if (wanted && (int) i != m->version && !in_list(target, copy->n_target, i))
            update[n_update++] = i;
    }
    copy->update = update;
    copy->n_update = n_update;
    return copy;
}

void orm__upsert_clause(sql_builder *b, const orm_mapper *m, const orm_conflict *c,
                        sql_insert *ins, sql_from *target)
{
    const sql_column **cols = ARENA_ARRAY(sql_builder_arena(b), const sql_column *, c->n_target);
    for (size_t i = 0; i < c->n_target; i++)
        cols[i] = m->columns[c->target[i]];
    if (c->do_nothing) {
        sql_insert_on_conflict_do_nothing(b, ins, cols, c->n_target);
    } else {
        sql_insert_on_conflict_do_update(b, ins, cols, c->n_target);
        for (size_t i = 0; i < c->n_update; i++) {
            const sql_column *col = m->columns[c->update[i]];
            sql_insert_conflict_set(b, ins, col, sql_excluded_col(b, col));
        }
        if (m->version >= 0) {
            sql_insert_conflict_set(b, ins, m->columns[m->version],
                                    orm__version_bump(b, m, target));
        } else if (!c->n_update) {
            /* Nothing to change, but DO UPDATE is what returns the row. */
            sql_insert_conflict_set(b, ins, cols[0], sql_excluded_col(b, cols[0]));
        }
    }
    sql_insert_returning(b, ins, sql_lit(b, SQL_LIT_INSERTED), NULL);
}

/* DO NOTHING met a conflict: read the row that caused it. */
static bool load_existing(orm_session *s, orm_entity *e, err_report *err)
{
    const orm_mapper *m = e->mapper;
    const orm_conflict *c = e->conflict;
    sql_builder *b = orm__builder(s, err);
    sql_from *f;
    sql_select *sel = orm__select_row(b, m, &f);
    for (size_t i = 0; i < c->n_target; i++) {
        size_t col = c->target[i];
        sql_node *x = sql_col_of(b, f, m->columns[col]);
        const char *v = e->values[col];
        sql_select_where(b, sel, v ? sql_eq(b, x, sql_bind(b, sql_val_str(v))) : sql_is_null(b, x));
    }
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(sel), err);
    if (!r)
        return false;
    if (eng_result_rows(r) != 1) {
        /* Deleted meanwhile, or a row outside the session's row filter
         * (which a plain INSERT would have met as a unique violation). */
        orm__upsert_refused(m, err);
        return false;
    }
    orm__entity_fill(e, r, 0, 0);
    e->outcome = ORM_UPSERT_KEPT;
    return true;
}

void orm__upsert_refused(const orm_mapper *m, err_report *err)
{
    err_set(err, ERR_CONFLICT,
            "A row of %s with these conflict values exists, and this request may not change "
            "it (or it was deleted meanwhile).",
            m->resource);
}

bool orm__upsert_result(orm_session *s, orm_entity *e, const eng_result *r, int flag_col,
                        err_report *err)
{
    int rows = eng_result_rows(r);
    if (rows == 0 && e->conflict->do_nothing)
        return load_existing(s, e, err);
    if (rows == 0 && s->opts.row_filter) { /* DO UPDATE ... WHERE <filter> skipped it */
        orm__upsert_refused(e->mapper, err);
        return false;
    }
    if (rows != 1) {
        err_set(err, ERR_INTERNAL, "An upsert into %s returned %d rows.", e->mapper->resource,
                rows);
        return false;
    }
    orm__entity_fill(e, r, 0, 0);
    const char *flag = eng_result_value(r, 0, flag_col);
    e->outcome = flag && flag[0] == 't' ? ORM_UPSERT_INSERTED : ORM_UPSERT_UPDATED;
    return true;
}
