/*
 * dto_output — entities as their DTOs (Pydantic's model_validate with
 * from_attributes): the loaded columns in model order, write_only ones
 * never, then the relationships the request loaded, nested.
 *
 * Which relationships appear (SPEC.md §2, "Loading"): one whose plan node
 * has the effective strategy selectin or joined, or is named (include=,
 * fields); never a noload one, nor a select/raise one that was not named.
 * Without a node (or without a plan) the relationship's own `lazy` decides,
 * unless a wildcard raiseload/noload of the plan covers it (top level only). In every case only
 * what orm_entity_related reports as LOADED is serialised: nothing here
 * touches the database (the ORM loads named select relationships before
 * serialisation).
 *
 * Constraint: the identity map makes object graphs cyclic (a user's
 * orders point back at the user), so an entity already on the current
 * path is emitted with its columns only, never expanded again. The depth
 * is otherwise bounded by the plan, itself bounded by the query
 * document's limits.
 */
#include <string.h>

#include "dto_int.h"

/* The entities from the root to the one being serialised. */
typedef struct path {
    const struct path *up;
    const orm_entity *e;
} path;

static bool on_path(const path *p, const orm_entity *e)
{
    for (; p; p = p->up)
        if (p->e == e)
            return true;
    return false;
}

static bool named_in(const char *name, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i] && strcmp(fields[i], name) == 0)
            return true;
    return false;
}

static bool eager(cfg_strategy s)
{
    return s == CFG_LOAD_SELECTIN || s == CFG_LOAD_JOINED;
}

/* The nodes below one entity: the plan's root or a node's children. */
typedef struct level {
    orm_load_node *const *nodes;
    size_t n;
    bool planned;        /* a plan decides (else the models' lazy do) */
    bool wildcard_raise; /* relationships without a node are not loaded */
} level;

static const orm_load_node *node_for(const level *lv, const orm_relationship *r)
{
    for (size_t i = 0; i < lv->n; i++)
        if (lv->nodes[i] && lv->nodes[i]->rel == r)
            return lv->nodes[i];
    return NULL;
}

/* Whether r belongs in the DTO, and the node describing its children. */
static bool wanted(const level *lv, const orm_relationship *r, const char *const *fields,
                   size_t n_fields, const orm_load_node **node /* OUT */)
{
    *node = lv->planned ? node_for(lv, r) : NULL;
    if (*node) {
        cfg_strategy s = (*node)->strategy;
        return s != CFG_LOAD_NOLOAD &&
               (eager(s) || (*node)->named || named_in(r->name, fields, n_fields));
    }
    if (lv->wildcard_raise || r->lazy == CFG_LOAD_NOLOAD)
        return false;
    return eager(r->lazy) || named_in(r->name, fields, n_fields);
}

/* ---- where the DTO goes -----------------------------------------------
 *
 * One traversal (entity_out) decides what a DTO holds and speaks to the
 * one writer (jsonw): text for replies, a json_t tree where a later step
 * reads the DTO (transaction $ref), so both always agree. A value jansson
 * refuses (a string that is not valid UTF-8) is dropped in both. */

static void entity_out(jsonw *w, const orm_entity *e, const level *lv, const char *const *fields,
                       size_t n_fields, const path *up);

static void related_out(jsonw *w, orm_entity *const *items, size_t n, const orm_relationship *r,
                        const orm_load_node *node, const level *parent, const path *here)
{
    /* A wildcard covers the queried entity's relationships only, as
     * SQLAlchemy's raiseload("*") does; deeper ones follow their node, or
     * their model's lazy. */
    level lv = {.planned = parent->planned};
    if (node) {
        lv.nodes = node->children;
        lv.n = node->n_children;
    }
    if (!r->to_many) {
        if (n)
            entity_out(w, items[0], &lv, NULL, 0, here);
        else
            jsonw_null(w);
        return;
    }
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        entity_out(w, items[i], &lv, NULL, 0, here);
    jsonw_array_end(w);
}

static void entity_out(jsonw *w, const orm_entity *e, const level *lv, const char *const *fields,
                       size_t n_fields, const path *up)
{
    const orm_mapper *m = orm_entity_mapper(e);
    jsonw_object_begin(w);
    for (size_t i = 0; i < m->n_columns; i++) {
        const cfg_column *cc = &m->model->columns[i];
        if (cc->write_only || !orm_entity_is_loaded(e, i) ||
            !orm_session_column_readable(orm_entity_session(e), m->columns[i]))
            continue; /* a column the role may not read is never shown */
        if (n_fields && !named_in(cc->name, fields, n_fields))
            continue;
        jsonw_key(w, cc->name);
        dto_write_column(w, m->columns[i], orm_entity_get(e, i));
    }
    if (!on_path(up, e)) { /* a cycle: columns only */
        path here = {.up = up, .e = e};
        for (size_t r = 0; r < m->n_relationships; r++) {
            const orm_relationship *rel = &m->relationships[r];
            const orm_load_node *node;
            if (!wanted(lv, rel, fields, n_fields, &node))
                continue;
            orm_entity *const *items = NULL;
            size_t n = 0;
            if (orm_entity_related(e, r, &items, &n) != ORM_REL_LOADED)
                continue;
            jsonw_key(w, rel->name);
            related_out(w, items, n, rel, node, lv, &here);
        }
    }
    jsonw_object_end(w);
}

static level root_level(const orm_load_plan *plan)
{
    level lv = {0};
    if (plan) {
        lv.nodes = plan->children;
        lv.n = plan->n_children;
        lv.planned = true;
        lv.wildcard_raise = plan->wildcard_raise || plan->wildcard_noload;
    }
    return lv;
}

void dto_write_entity(jsonw *w, const orm_entity *e, const orm_load_plan *plan,
                        const char *const *fields, size_t n_fields)
{
    if (!e) {
        jsonw_null(w);
        return;
    }
    level lv = root_level(plan);
    entity_out(w, e, &lv, fields, n_fields, NULL);
}

void dto_write_entities(jsonw *w, orm_entity *const *items, size_t n, const orm_load_plan *plan,
                          const char *const *fields, size_t n_fields)
{
    level lv = root_level(plan);
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        if (items[i])
            entity_out(w, items[i], &lv, fields, n_fields, NULL);
        else
            jsonw_null(w);
    }
    jsonw_array_end(w);
}

json_t *dto_entity(const orm_entity *e, const orm_load_plan *plan, const char *const *fields,
                   size_t n_fields)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto_write_entity(&w, e, plan, fields, n_fields);
    return jsonw_root(&w);
}

json_t *dto_entities(orm_entity *const *items, size_t n, const orm_load_plan *plan,
                     const char *const *fields, size_t n_fields)
{
    jsonw w;
    jsonw_init_tree(&w, NULL);
    dto_write_entities(&w, items, n, plan, fields, n_fields);
    return jsonw_root(&w);
}
