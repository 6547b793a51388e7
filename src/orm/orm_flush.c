/*
 * orm_flush — the unit of work: add, delete, flush.
 *
 * A flush writes what the session holds, in an order the foreign keys
 * accept whatever order the caller worked in:
 *   1. INSERTs and UPDATEs, mapper by mapper in dependency order (parents
 *      first; the registry is sorted that way), instances of one mapper in
 *      the order they joined the session. Each INSERT names only the
 *      columns that have a value, so server defaults apply, and returns
 *      every column (keys, defaults) into the instance. Each UPDATE sets
 *      only changed columns and pending increments; with a version column
 *      it also sets version = version + 1 and requires the version it
 *      loaded (WHERE ... AND version = $n); zero rows is ERR_STALE (412).
 *   2. DELETEs in reverse dependency order (children first), version
 *      checked the same way.
 * One statement per instance, so RETURNING maps to it without relying on
 * row order. A failing statement fails the transaction; the instances
 * written so far keep their new states until rollback undoes them.
 */
#include <stdlib.h>
#include <string.h>

#include "orm_int.h"

/* ==== add / delete ======================================================= */

bool orm_mapper_absent_value(const orm_mapper *m, size_t col, const char **text)
{
    const char *v;
    if (m->has_default && m->has_default[col])
        v = m->defaults[col]; /* the registry's text; NULL for null */
    else if ((int) col == m->version && !m->columns[col]->server_default)
        v = "1"; /* a versioned row starts at 1 */
    else
        return false;
    if (text)
        *text = v;
    return true;
}

sql_node *orm__version_bump(sql_builder *b, const orm_mapper *m, const sql_from *f)
{
    const sql_column *vc = m->columns[m->version];
    return sql_binary(b, SQL_OP_ADD, sql_col_of(b, f, vc),
                      sql_bind_cast(b, sql_val_int(1), vc->type.kind));
}

bool orm_mapper_column_managed(const orm_mapper *m, size_t col)
{
    return m->model->columns[col].read_only || (int) col == m->version;
}

static void apply_defaults(orm_entity *e)
{
    const orm_mapper *m = e->mapper;
    for (size_t i = 0; i < m->n_columns; i++) {
        if (!(e->flags[i] & ORM_COL_LOADED) && orm_mapper_absent_value(m, i, &e->values[i]))
            e->flags[i] = ORM_COL_LOADED | ORM_COL_CHANGED | ORM_COL_USER;
    }
}

/* Only this session's instances, and never one of a read-only model (a
 * view), are added or deleted. */
static bool writable(const orm_session *s, const orm_entity *e, err_report *err)
{
    if (e->session != s) {
        err_set(err, ERR_INTERNAL, "The instance belongs to another session.");
        return false;
    }
    if (!e->mapper->model->read_only)
        return true;
    err_set(err, ERR_METHOD, "The resource \"%s\" is read-only (a view).", e->mapper->resource);
    return false;
}

bool orm_session_add(orm_session *s, orm_entity *e, err_report *err)
{
    if (!writable(s, e, err))
        return false;
    switch (e->state) {
    case ORM_TRANSIENT:
        apply_defaults(e);
        e->state = ORM_PENDING;
        e->seq = ++s->seq;
        if (!e->in_added) {
            e->in_added = true;
            orm__vec_push(s->arena, &s->added, e);
        }
        return true;
    case ORM_PENDING:
    case ORM_PERSISTENT:
        return true;
    case ORM_DELETED:
        if (e->delete_flushed) {
            err_set(err, ERR_INTERNAL, "The instance was deleted.");
            return false;
        }
        e->state = ORM_PERSISTENT; /* the delete is cancelled */
        e->in_deleted = false;
        return true;
    case ORM_DETACHED: {
        const char *id = e->identity;
        if (!id || orm__identity_get(s, e->mapper, id)) {
            err_set(err, ERR_INTERNAL, "The instance cannot join the session again.");
            return false;
        }
        e->state = ORM_PERSISTENT;
        orm__identity_put(s, e, id);
        if (orm_entity_is_modified(e))
            orm__note_dirty(e);
        return true;
    }
    }
    return true;
}

bool orm_session_delete(orm_session *s, orm_entity *e, err_report *err)
{
    if (!writable(s, e, err))
        return false;
    switch (e->state) {
    case ORM_PERSISTENT:
        e->state = ORM_DELETED;
        if (!e->in_deleted) {
            e->in_deleted = true;
            orm__vec_push(s->arena, &s->deleted, e);
        }
        return true;
    case ORM_PENDING: /* never written: just forget it */
        e->state = ORM_TRANSIENT;
        e->in_added = false;
        return true;
    case ORM_DELETED:
        return true;
    case ORM_TRANSIENT:
    case ORM_DETACHED:
        break;
    }
    err_set(err, ERR_INTERNAL, "Only a persistent instance can be deleted.");
    return false;
}

/* ==== helpers ============================================================= */

static void touch(orm_session *s, orm_entity *e)
{
    if (!e->in_touched) {
        e->in_touched = true;
        orm__vec_push(s->arena, &s->tx_touched, e);
    }
}

/* The key the row has in the database (the loaded one, even when the
 * caller changed a key column since). */
static void row_key(const orm_entity *e, const char **pk /* OUT */)
{
    const orm_mapper *m = e->mapper;
    for (size_t k = 0; k < m->n_pk; k++) {
        size_t c = m->pk[k];
        pk[k] = (e->flags[c] & ORM_COL_ORIG) ? e->orig[c] : e->values[c];
    }
}

static const char *describe_key(orm_session *s, const orm_entity *e)
{
    const char *pk[CFG_MAX_PK_COLUMNS];
    row_key(e, pk);
    const char *id = orm__identity_text(s->arena, e->mapper, pk);
    return id ? id : "?";
}

/* The version the row must still have. An expired instance does not know
 * it: one SELECT fills the values it lacks from the row (hydration keeps
 * what it has). */
static bool known_version(orm_session *s, orm_entity *e, err_report *err)
{
    const orm_mapper *m = e->mapper;
    if (!e->check_version || m->version < 0 || (e->flags[m->version] & ORM_COL_ORIG))
        return true;
    const char *pk[CFG_MAX_PK_COLUMNS];
    row_key(e, pk);
    sql_builder *b = orm__builder(s, err);
    sql_from *f;
    sql_select *sel = orm__select_row(b, m, &f);
    sql_select_where(b, sel, orm__pk_condition(b, m, f, pk));
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(sel), err);
    if (!r)
        return false;
    if (eng_result_rows(r) == 0) {
        err_set(err, ERR_STALE, "The %s row with key %s no longer exists.", m->resource,
                describe_key(s, e));
        return false;
    }
    orm__hydrate(s, m, r, 0, 0);
    return true;
}

/* ==== statements =========================================================== */

static bool flush_insert(orm_session *s, orm_entity *e, err_report *err)
{
    const orm_mapper *m = e->mapper;
    sql_builder *b = orm__builder(s, err);
    sql_from *f = sql_from_table(b, m->table, NULL);
    const sql_column **cols = ARENA_ARRAY(s->arena, const sql_column *, m->n_columns + 1);
    sql_node **vals = ARENA_ARRAY(s->arena, sql_node *, m->n_columns + 1);
    size_t n = 0;
    for (size_t i = 0; i < m->n_columns; i++) {
        size_t nd = e->deltas ? e->deltas[i].n : 0;
        if (!(e->flags[i] & ORM_COL_LOADED) && !nd)
            continue; /* absent: the server default applies */
        sql_type_kind type = m->columns[i]->type.kind;
        cols[n] = m->columns[i];
        /* Increments of a new row start from its value, else from 0. */
        sql_node *v = (e->flags[i] & ORM_COL_LOADED) ? sql_bind(b, sql_val_str(e->values[i]))
                                                     : sql_bind_cast(b, sql_val_int(0), type);
        for (size_t d = 0; d < nd; d++)
            v = sql_binary(b, SQL_OP_ADD, v,
                           sql_bind_cast(b, sql_val_str(e->deltas[i].items[d]), type));
        vals[n++] = v;
    }
    sql_insert *ins = sql_insert_new(b, f, cols, n);
    if (n)
        sql_insert_row(b, ins, vals);
    for (size_t i = 0; i < m->n_columns; i++)
        sql_insert_returning(b, ins, sql_col_of(b, f, m->columns[i]), NULL);
    if (e->conflict)
        orm__upsert_clause(b, m, e->conflict, ins, f);
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(ins), err);
    if (!r)
        return false;
    if (e->conflict) {
        if (!orm__upsert_result(s, e, r, (int) m->n_columns, err))
            return false;
    } else if (eng_result_rows(r) != 1) {
        err_set(err, ERR_INTERNAL, "An INSERT into %s returned %d rows.", m->resource,
                eng_result_rows(r));
        return false;
    } else {
        orm__entity_fill(e, r, 0, 0);
    }
    e->state = ORM_PERSISTENT;
    e->in_added = false;
    /* A row that existed before is updated (or kept), not inserted: a
     * rollback expires it instead of making it transient. */
    e->tx_inserted = !e->conflict || e->outcome == ORM_UPSERT_INSERTED;
    e->tx_updated = e->outcome == ORM_UPSERT_UPDATED;
    touch(s, e);
    const char *id = orm__entity_key(e);
    orm_entity *other = orm__identity_get(s, m, id);
    if (other && other != e)
        orm__identity_remove(s, other);
    orm__identity_put(s, e, id);
    return true;
}

static bool flush_update(orm_session *s, orm_entity *e, err_report *err)
{
    const orm_mapper *m = e->mapper;
    if (orm_entity_is_modified(e) && !writable(s, e, err))
        return false;
    if (!known_version(s, e, err))
        return false;
    if (!orm_entity_is_modified(e)) {
        e->in_dirty = false; /* set back to what the row holds */
        return true;
    }
    const char *pk[CFG_MAX_PK_COLUMNS];
    row_key(e, pk);
    sql_builder *b = orm__builder(s, err);
    sql_from *f = sql_from_table(b, m->table, NULL);
    sql_update *u = sql_update_new(b, f);
    for (size_t i = 0; i < m->n_columns; i++) {
        if ((int) i == m->version)
            continue; /* managed below */
        bool changed = e->flags[i] & ORM_COL_CHANGED;
        size_t nd = e->deltas ? e->deltas[i].n : 0;
        if (!changed && !nd)
            continue;
        sql_node *v =
            changed ? sql_bind(b, sql_val_str(e->values[i])) : sql_col_of(b, f, m->columns[i]);
        for (size_t d = 0; d < nd; d++)
            v = sql_binary(
                b, SQL_OP_ADD, v,
                sql_bind_cast(b, sql_val_str(e->deltas[i].items[d]), m->columns[i]->type.kind));
        sql_update_set(b, u, m->columns[i], v);
    }
    sql_node *where = orm__pk_condition(b, m, f, pk);
    bool checked = m->version >= 0 && e->check_version;
    if (m->version >= 0) {
        const sql_column *vc = m->columns[m->version];
        sql_update_set(b, u, vc, orm__version_bump(b, m, f));
    }
    if (checked) {
        const sql_column *vc = m->columns[m->version];
        where = sql_and2(
            b, where,
            sql_eq(b, sql_col_of(b, f, vc), sql_bind(b, sql_val_str(e->orig[m->version]))));
    }
    sql_update_where(b, u, where);
    for (size_t i = 0; i < m->n_columns; i++)
        sql_update_returning(b, u, sql_col_of(b, f, m->columns[i]), NULL);
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(u), err);
    if (!r)
        return false;
    if (eng_result_rows(r) != 1) {
        if (checked)
            err_set(err, ERR_STALE,
                    "The %s row with key %s was changed by another transaction: version %s is "
                    "no longer current.",
                    m->resource, describe_key(s, e),
                    e->orig[m->version] ? e->orig[m->version] : "NULL");
        else
            err_set(err, ERR_NOT_FOUND, "The %s row with key %s no longer exists.", m->resource,
                    describe_key(s, e));
        return false;
    }
    const char *old_id = e->identity;
    orm__entity_fill(e, r, 0, 0);
    e->in_dirty = false;
    e->check_version = false;
    e->tx_updated = true;
    touch(s, e);
    const char *id = orm__entity_key(e);
    if (id && old_id && strcmp(id, old_id) != 0) { /* the key itself changed */
        orm__identity_remove(s, e);
        orm__identity_put(s, e, id);
    }
    return true;
}

static bool flush_delete(orm_session *s, orm_entity *e, err_report *err)
{
    const orm_mapper *m = e->mapper;
    if (!known_version(s, e, err))
        return false;
    const char *pk[CFG_MAX_PK_COLUMNS];
    row_key(e, pk);
    sql_builder *b = orm__builder(s, err);
    sql_from *f = sql_from_table(b, m->table, NULL);
    sql_delete *d = sql_delete_new(b, f);
    sql_node *where = orm__pk_condition(b, m, f, pk);
    bool checked = m->version >= 0 && e->check_version;
    if (checked) {
        const sql_column *vc = m->columns[m->version];
        where = sql_and2(
            b, where,
            sql_eq(b, sql_col_of(b, f, vc), sql_bind(b, sql_val_str(e->orig[m->version]))));
    }
    sql_delete_where(b, d, where);
    if (!orm__builder_ok(b, err))
        return false;
    eng_result *r = orm_session_execute_stmt(s, SQL_NODE(d), err);
    if (!r)
        return false;
    if (eng_result_affected(r) != 1 && checked) {
        err_set(err, ERR_STALE,
                "The %s row with key %s was changed by another transaction: version %s is no "
                "longer current.",
                m->resource, describe_key(s, e),
                e->orig[m->version] ? e->orig[m->version] : "NULL");
        return false;
    }
    e->delete_flushed = true;
    e->in_deleted = false;
    orm__identity_remove(s, e); /* e->identity is kept for a rollback */
    touch(s, e);
    return true;
}

/* ==== ordering ============================================================= */

typedef struct work {
    orm_entity *e;
    bool insert;
} work;

static int cmp_parents_first(const void *x, const void *y)
{
    const work *a = x, *b = y;
    if (a->e->mapper->index != b->e->mapper->index)
        return a->e->mapper->index < b->e->mapper->index ? -1 : 1;
    if (a->insert != b->insert)
        return a->insert ? -1 : 1;
    return a->e->seq < b->e->seq ? -1 : a->e->seq > b->e->seq;
}

static int cmp_children_first(const void *x, const void *y)
{
    const work *a = x, *b = y;
    if (a->e->mapper->index != b->e->mapper->index)
        return a->e->mapper->index > b->e->mapper->index ? -1 : 1;
    return a->e->seq < b->e->seq ? -1 : a->e->seq > b->e->seq;
}

static bool is_pending_delete(const orm_entity *e)
{
    return e->in_deleted && e->state == ORM_DELETED && !e->delete_flushed;
}

orm_entity *orm_session_flush_failed(const orm_session *s)
{
    return s->failed;
}

bool orm_session_flush(orm_session *s, err_report *err)
{
    s->failed = NULL;
    if (!s->added.n && !s->dirty.n && !s->deleted.n)
        return true;
    size_t cap = s->added.n + s->dirty.n;
    work *w = ARENA_ARRAY(s->arena, work, cap ? cap : 1);
    size_t n = 0;
    /* Entries whose instance moved on (deleted, expunged) are dropped. */
    for (size_t i = 0; i < s->added.n; i++) {
        orm_entity *e = s->added.items[i];
        if (e->in_added && e->state == ORM_PENDING)
            w[n++] = (work){e, true};
        else
            e->in_added = false;
    }
    for (size_t i = 0; i < s->dirty.n; i++) {
        orm_entity *e = s->dirty.items[i];
        if (e->in_dirty && e->state == ORM_PERSISTENT)
            w[n++] = (work){e, false};
        else
            e->in_dirty = false;
    }
    qsort(w, n, sizeof *w, cmp_parents_first);
    size_t deletes = 0;
    for (size_t i = 0; i < s->deleted.n; i++)
        deletes += is_pending_delete(s->deleted.items[i]);
    for (size_t i = 0; i < n; i++) {
        /* The commit's last write may go without BEGIN (orm_session.c). */
        s->final_write = s->committing && i + 1 == n && deletes == 0;
        if (!(w[i].insert ? flush_insert(s, w[i].e, err) : flush_update(s, w[i].e, err)) &&
            (s->failed = w[i].e, true))
            return false;
    }
    s->added.n = 0;
    s->dirty.n = 0;

    work *d = ARENA_ARRAY(s->arena, work, s->deleted.n ? s->deleted.n : 1);
    size_t nd = 0;
    for (size_t i = 0; i < s->deleted.n; i++) {
        orm_entity *e = s->deleted.items[i];
        if (is_pending_delete(e))
            d[nd++] = (work){e, false};
        else
            e->in_deleted = false;
    }
    qsort(d, nd, sizeof *d, cmp_children_first);
    for (size_t i = 0; i < nd; i++) {
        s->final_write = s->committing && i + 1 == nd;
        if (!flush_delete(s, d[i].e, err) && (s->failed = d[i].e, true))
            return false;
    }
    s->deleted.n = 0;
    return true;
}
