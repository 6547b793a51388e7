/*
 * orm_entity — instances and their attributes: text values with
 * per-column flags (loaded, changed, set by the caller), pending
 * "col = col + delta" increments, relationship collections, hydration
 * from result rows and expiry.
 *
 * Dirty tracking is attribute-level: each persistent instance keeps the
 * values it was loaded (or last written) with in orig[], and a column is
 * "changed" exactly when its current value differs from that. The UPDATE
 * of a flush sets only changed columns (and pending increments).
 */
#include <string.h>

#include "orm_int.h"

static bool same_text(const char *x, const char *y)
{
    if (!x || !y)
        return x == y;
    return strcmp(x, y) == 0;
}

static void alloc_columns(orm_entity *e)
{
    arena *a = e->session->arena;
    size_t n = e->mapper->n_columns ? e->mapper->n_columns : 1;
    e->values = ARENA_ARRAY(a, const char *, n);
    e->orig = ARENA_ARRAY(a, const char *, n);
    e->flags = ARENA_ARRAY(a, unsigned char, n);
    size_t nr = e->mapper->n_relationships ? e->mapper->n_relationships : 1;
    e->rels = ARENA_ARRAY(a, orm__rel_slot, nr);
}

orm_entity *orm_entity_new(orm_session *s, const orm_mapper *m)
{
    orm_entity *e = ARENA_NEW(s->arena, orm_entity);
    e->session = s;
    e->mapper = m;
    e->state = ORM_TRANSIENT;
    alloc_columns(e);
    return e;
}

const orm_mapper *orm_entity_mapper(const orm_entity *e)
{
    return e->mapper;
}

orm_state orm_entity_state(const orm_entity *e)
{
    return e->state;
}

const char *orm_entity_get(const orm_entity *e, size_t column)
{
    if (column >= e->mapper->n_columns || !(e->flags[column] & ORM_COL_LOADED))
        return NULL;
    return e->values[column];
}

bool orm_entity_is_loaded(const orm_entity *e, size_t column)
{
    return column < e->mapper->n_columns && (e->flags[column] & ORM_COL_LOADED);
}

bool orm_entity_is_expired(const orm_entity *e)
{
    return e->expired;
}

void orm__note_dirty(orm_entity *e)
{
    if (e->state != ORM_PERSISTENT || e->in_dirty)
        return;
    e->in_dirty = true;
    orm__vec_push(e->session->arena, &e->session->dirty, e);
}

void orm_entity_set(orm_entity *e, size_t column, const char *text)
{
    if (column >= e->mapper->n_columns)
        return;
    const char *v = text ? arena_strdup(e->session->arena, text) : NULL;
    unsigned char f = e->flags[column];
    /* Only a value known to be the row's (loaded, or last written) can
     * make a set a no-op; anything else will be written. */
    bool changed = !((f & ORM_COL_ORIG) && same_text(v, e->orig[column]));
    if (e->deltas && e->deltas[column].n)
        e->deltas[column].n = 0; /* a plain set replaces pending increments */
    e->values[column] = v;
    f |= ORM_COL_LOADED | ORM_COL_USER;
    if (changed)
        f |= ORM_COL_CHANGED;
    else
        f &= (unsigned char) ~ORM_COL_CHANGED;
    e->flags[column] = f;
    if (changed)
        orm__note_dirty(e);
}

void orm_entity_require_version(orm_entity *e)
{
    e->check_version = true;
}

void orm_entity_add_to(orm_entity *e, size_t column, const char *delta)
{
    if (column >= e->mapper->n_columns || !delta)
        return;
    arena *a = e->session->arena;
    if (!e->deltas)
        e->deltas = ARENA_ARRAY(a, orm__vec, e->mapper->n_columns);
    orm__vec_push(a, &e->deltas[column], arena_strdup(a, delta));
    orm__note_dirty(e);
}

bool orm_entity_is_modified(const orm_entity *e)
{
    for (size_t i = 0; i < e->mapper->n_columns; i++)
        if ((e->flags[i] & ORM_COL_CHANGED) || (e->deltas && e->deltas[i].n))
            return true;
    return false;
}

const char *orm_entity_identity(const orm_entity *e)
{
    switch (e->state) {
    case ORM_TRANSIENT:
        return NULL;
    case ORM_PENDING:
        return orm__entity_key(e);
    default:
        return e->identity ? e->identity : orm__entity_key(e);
    }
}

const char *const *orm_entity_key(const orm_entity *e)
{
    if (e->state == ORM_TRANSIENT || !orm__entity_key(e))
        return NULL;
    const orm_mapper *m = e->mapper;
    const char **pk = ARENA_ARRAY(e->session->arena, const char *, m->n_pk ? m->n_pk : 1);
    for (size_t k = 0; k < m->n_pk; k++)
        pk[k] = e->values[m->pk[k]];
    return pk;
}

orm_rel_state orm_entity_related(const orm_entity *e, size_t relationship,
                                 orm_entity *const **items, size_t *n)
{
    if (relationship >= e->mapper->n_relationships ||
        e->rels[relationship].state != ORM_REL_LOADED) {
        *items = NULL;
        *n = 0;
        return ORM_REL_UNLOADED;
    }
    *items = (orm_entity *const *) e->rels[relationship].items.items;
    *n = e->rels[relationship].items.n;
    return ORM_REL_LOADED;
}

orm_session *orm_entity_session(const orm_entity *e)
{
    return e->session;
}

bool orm_session_column_readable(const orm_session *s, const sql_column *c)
{
    return !s || !s->opts.column_readable ||
           s->opts.column_readable(s->opts.column_readable_ctx, c);
}

/* ==== relationship collections ============================================ */

void orm__rel_reset(orm_entity *e, size_t rel)
{
    e->rels[rel].state = ORM_REL_LOADED;
    e->rels[rel].items.n = 0;
}

void orm__rel_append(orm_entity *e, size_t rel, orm_entity *child)
{
    orm__vec_push(e->session->arena, &e->rels[rel].items, child);
}

/* ==== hydration =========================================================== */

static const char *cell(const eng_result *r, int row, int col)
{
    return eng_result_is_null(r, row, col) ? NULL : eng_result_value(r, row, col);
}

void orm__entity_fill(orm_entity *e, const eng_result *r, int row, int offset)
{
    for (size_t i = 0; i < e->mapper->n_columns; i++) {
        e->values[i] = cell(r, row, offset + (int) i);
        e->orig[i] = e->values[i];
        e->flags[i] =
            (unsigned char) (ORM_COL_LOADED | ORM_COL_ORIG | (e->flags[i] & ORM_COL_USER));
        if (e->deltas)
            e->deltas[i].n = 0;
    }
    e->expired = false;
}

/* Result column of column i (pos as in orm__slot); -1 = not selected. */
static int column_at(const int *pos, int offset, size_t i)
{
    return pos ? pos[i] : offset + (int) i;
}

orm_entity *orm__hydrate_at(orm_session *s, const orm_mapper *m, const eng_result *r, int row,
                            int offset, const int *pos)
{
    const char *pk[CFG_MAX_PK_COLUMNS];
    for (size_t k = 0; k < m->n_pk; k++) {
        int at = column_at(pos, offset, m->pk[k]);
        pk[k] = at >= 0 ? cell(r, row, at) : NULL;
        if (!pk[k])
            return NULL;
    }
    const char *id = orm__identity_text(s->arena, m, pk);
    orm_entity *e = orm__identity_get(s, m, id);
    if (e) {
        /* The identity map wins: values already loaded (and changes not
         * yet flushed) stay; what was expired is filled from the row. */
        for (size_t i = 0; i < m->n_columns; i++) {
            unsigned char f = e->flags[i];
            int at = column_at(pos, offset, i);
            if ((f & ORM_COL_ORIG) || at < 0)
                continue;
            e->orig[i] = cell(r, row, at);
            if (!(f & ORM_COL_LOADED)) {
                e->values[i] = e->orig[i];
                f = ORM_COL_LOADED;
            } else if (same_text(e->values[i], e->orig[i])) {
                f &= (unsigned char) ~ORM_COL_CHANGED; /* set to what the row holds */
            }
            e->flags[i] = f | ORM_COL_ORIG;
        }
        e->expired = false;
        return e;
    }
    e = orm_entity_new(s, m);
    if (pos) {
        for (size_t i = 0; i < m->n_columns; i++) {
            if (pos[i] < 0)
                continue; /* not selected: unloaded, as after an expire */
            e->values[i] = e->orig[i] = cell(r, row, pos[i]);
            e->flags[i] = (unsigned char) (ORM_COL_LOADED | ORM_COL_ORIG);
        }
    } else {
        orm__entity_fill(e, r, row, offset);
    }
    e->state = ORM_PERSISTENT;
    e->seq = ++s->seq;
    orm__identity_put(s, e, id);
    return e;
}

orm_entity *orm__hydrate(orm_session *s, const orm_mapper *m, const eng_result *r, int row,
                         int offset)
{
    return orm__hydrate_at(s, m, r, row, offset, NULL);
}

bool orm__entity_whole(const orm_entity *e)
{
    for (size_t i = 0; i < e->mapper->n_columns; i++)
        if (!(e->flags[i] & ORM_COL_LOADED))
            return false;
    return true;
}

static bool is_key_column(const orm_mapper *m, size_t i)
{
    for (size_t k = 0; k < m->n_pk; k++)
        if (m->pk[k] == i)
            return true;
    return false;
}

/* Key columns stay: they are the instance's identity (what a refresh
 * selects by), as SQLAlchemy keeps the identity key of expired state. */
void orm__entity_expire(orm_entity *e)
{
    for (size_t i = 0; i < e->mapper->n_columns; i++) {
        if (is_key_column(e->mapper, i) && (e->flags[i] & ORM_COL_ORIG)) {
            e->values[i] = e->orig[i];
            e->flags[i] = ORM_COL_LOADED | ORM_COL_ORIG;
            continue;
        }
        e->values[i] = NULL;
        e->orig[i] = NULL;
        e->flags[i] = 0;
        if (e->deltas)
            e->deltas[i].n = 0;
    }
    for (size_t k = 0; k < e->mapper->n_relationships; k++) {
        e->rels[k].state = ORM_REL_UNLOADED;
        e->rels[k].items.n = 0;
    }
    e->expired = true;
}
