/*
 * orm_load — walks a load plan level by level over the instances a
 * statement returned: for each plan node, the children of all parents
 * are loaded by the node's strategy (joined: already in the parents'
 * statement; selectin: one statement per batch of keys; select: one per
 * parent), then the node's own children are loaded over the distinct
 * children, and so on. Whatever the strategy, each parent ends with the
 * same collection in the same order (the relationship's order_by, then
 * the target's key).
 */
#include "orm_int.h"

/* Lazy many-to-one: like SQLAlchemy, a target already in the identity map
 * needs no SQL. True when e's collection was filled that way. */
static bool to_one_from_identity(orm_session *s, orm_entity *e, const orm_relationship *rel)
{
    const sql_relation *r = rel->relation;
    const orm_mapper *t = rel->target;
    if (rel->to_many || r->secondary || t->n_pk != 1 || r->on[0].remote != t->columns[t->pk[0]])
        return false;
    size_t local = r->on[0].local->index;
    if (!orm_entity_is_loaded(e, local))
        return false;
    const char *key = orm_entity_get(e, local);
    orm_entity *target = NULL;
    if (key) {
        target = orm__identity_get(s, t, orm__identity_text(s->arena, t, &key));
        if (!target || target->state != ORM_PERSISTENT || target->expired)
            return false;
    }
    orm__rel_reset(e, rel->index);
    if (target)
        orm__rel_append(e, rel->index, target);
    return true;
}

static bool load_per_parent(orm_session *s, const orm_load_node *node, orm_entity *const *parents,
                            size_t n_parents, err_report *err)
{
    for (size_t i = 0; i < n_parents; i++) {
        if (to_one_from_identity(s, parents[i], node->rel))
            continue;
        if (!orm__load_selectin(s, node->rel, &parents[i], 1, node->children, node->n_children,
                                err))
            return false;
    }
    return true;
}

/* The distinct children of parents through rel, in first-appearance
 * order. */
static void collect_children(orm_session *s, orm_entity *const *parents, size_t n_parents,
                             const orm_relationship *rel, orm__vec *out)
{
    orm__tripleset seen = {0};
    for (size_t i = 0; i < n_parents; i++) {
        const orm__rel_slot *slot = &parents[i]->rels[rel->index];
        if (slot->state != ORM_REL_LOADED)
            continue;
        for (size_t k = 0; k < slot->items.n; k++)
            if (orm__tripleset_add(s->arena, &seen, slot->items.items[k], NULL, 0))
                orm__vec_push(s->arena, out, slot->items.items[k]);
    }
}

bool orm__load_nodes(orm_session *s, orm_entity *const *parents, size_t n_parents,
                     orm_load_node *const *nodes, size_t n_nodes, bool joined_done, err_report *err)
{
    if (!n_parents)
        return true;
    for (size_t i = 0; i < n_nodes; i++) {
        const orm_load_node *node = nodes[i];
        bool ok = true;
        switch (node->strategy) {
        case CFG_LOAD_JOINED:
            if (joined_done)
                break; /* the parents' statement joined it */
            ok = orm__load_selectin(s, node->rel, parents, n_parents, node->children,
                                    node->n_children, err);
            break;
        case CFG_LOAD_SELECTIN:
            ok = orm__load_selectin(s, node->rel, parents, n_parents, node->children,
                                    node->n_children, err);
            break;
        case CFG_LOAD_SELECT:
            ok = load_per_parent(s, node, parents, n_parents, err);
            break;
        case CFG_LOAD_RAISE:
        case CFG_LOAD_NOLOAD:
            continue;
        }
        if (!ok)
            return false;
        if (!node->n_children)
            continue;
        orm__vec children = {0};
        collect_children(s, parents, n_parents, node->rel, &children);
        if (!orm__load_nodes(s, (orm_entity *const *) children.items, children.n, node->children,
                             node->n_children, true, err))
            return false;
    }
    return true;
}

bool orm_session_load_plan(orm_session *s, orm_entity *const *entities, size_t n,
                           const orm_load_plan *plan, err_report *err)
{
    if (!plan || !plan->n_children || !n)
        return true;
    if (!orm__autoflush(s, err))
        return false;
    orm__vec distinct = {0};
    orm__tripleset seen = {0};
    for (size_t i = 0; i < n; i++) {
        orm_entity *e = entities[i];
        if (e->mapper != plan->mapper) {
            err_set(err, ERR_INTERNAL, "The load plan is for %s, not %s.", plan->mapper->resource,
                    e->mapper->resource);
            return false;
        }
        if (e->state != ORM_PERSISTENT || !orm__tripleset_add(s->arena, &seen, e, NULL, 0))
            continue;
        /* An expired instance has lost the keys its relationships need. */
        if (e->expired && !orm_session_refresh(s, e, err))
            return false;
        orm__vec_push(s->arena, &distinct, e);
    }
    return orm__load_nodes(s, (orm_entity *const *) distinct.items, distinct.n, plan->children,
                           plan->n_children, false, err);
}

bool orm_session_load_relationship(orm_session *s, orm_entity *e, const orm_relationship *rel,
                                   err_report *err)
{
    if (rel->mapper != e->mapper) {
        err_set(err, ERR_INTERNAL, "\"%s\" is not a relationship of %s.", rel->name,
                e->mapper->resource);
        return false;
    }
    if (rel->lazy == CFG_LOAD_RAISE) {
        orm__raise_error(err, rel, rel->name, NULL);
        return false;
    }
    if (rel->lazy == CFG_LOAD_NOLOAD || e->state == ORM_TRANSIENT || e->state == ORM_PENDING)
        return true;
    if (!orm__autoflush(s, err))
        return false;
    if (to_one_from_identity(s, e, rel))
        return true;
    return orm__load_selectin(s, rel, &e, 1, NULL, 0, err);
}
