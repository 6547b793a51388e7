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
#include <stdlib.h>
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

static bool eager(orm_strategy s)
{
    return s == ORM_LOAD_SELECTIN || s == ORM_LOAD_JOINED;
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
        orm_strategy s = (*node)->strategy;
        return s != ORM_LOAD_NOLOAD &&
               (eager(s) || (*node)->named || named_in(r->name, fields, n_fields));
    }
    if (lv->wildcard_raise || r->lazy == ORM_LOAD_NOLOAD)
        return false;
    return eager(r->lazy) || named_in(r->name, fields, n_fields);
}

/* ---- where the DTO goes -----------------------------------------------
 *
 * One traversal (entity_out) decides what a DTO holds; it speaks to an
 * emitter that either builds a json_t tree (dto_entity) or appends the
 * JSON text straight to an sbuf (dto_write_entity), so both always agree.
 * Text mode writes exactly what json_dumps(JSON_COMPACT | JSON_ENCODE_ANY)
 * of the tree gives; a value jansson refuses (a string that is not valid
 * UTF-8: json_string gives NULL, json_object_set_new drops the member)
 * is dropped in both. */
typedef struct emitter {
    sbuf *out;       /* text mode when set */
    const char *key; /* member name of the next value; NULL in arrays */
    /* tree mode: the open containers, innermost last */
    json_t **stack;
    size_t depth, cap;
    json_t *root;
} emitter;

/* Text mode: the separator and member name before a value. */
static void text_prefix(emitter *w)
{
    sbuf *o = w->out;
    if (o->len) {
        char last = o->data[o->len - 1];
        if (last != '{' && last != '[' && last != ':' && last != ',')
            sbuf_append_char(o, ',');
    }
    if (w->key) {
        dto__write_string(o, w->key);
        sbuf_append_char(o, ':');
        w->key = NULL;
    }
}

/* Tree mode: v into the innermost container (or as the root). */
static void tree_put(emitter *w, json_t *v)
{
    if (!w->depth)
        w->root = v;
    else if (json_is_object(w->stack[w->depth - 1]))
        json_object_set_new(w->stack[w->depth - 1], w->key, v);
    else
        json_array_append_new(w->stack[w->depth - 1], v);
    w->key = NULL;
}

static void open_container(emitter *w, bool object)
{
    if (w->out) {
        text_prefix(w);
        sbuf_append_char(w->out, object ? '{' : '[');
        return;
    }
    json_t *c = object ? json_object() : json_array();
    tree_put(w, c);
    if (w->depth == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->stack = realloc(w->stack, w->cap * sizeof *w->stack);
        if (!w->stack)
            abort();
    }
    w->stack[w->depth++] = c;
}

static void close_container(emitter *w, bool object)
{
    if (w->out)
        sbuf_append_char(w->out, object ? '}' : ']');
    else
        w->depth--;
}

static void emit_null(emitter *w)
{
    if (w->out) {
        text_prefix(w);
        sbuf_append_n(w->out, "null", 4);
    } else {
        tree_put(w, json_null());
    }
}

static void emit_column(emitter *w, const sql_column *c, const char *text)
{
    if (!w->out) {
        tree_put(w, dto_column_value(c, text));
        return;
    }
    size_t mark = w->out->len;
    text_prefix(w);
    if (dto__column_via_tree(c->type)) {
        json_t *j = dto_column_value(c, text);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(j);
        if (s) {
            sbuf_append(w->out, s);
            free(s);
            return;
        }
        w->out->len = mark;
        w->out->data[mark] = '\0';
        return;
    }
    if (!dto__write_value(w->out, dto__column_oid(c->type.kind), text)) {
        w->out->len = mark; /* as json_object_set_new(o, k, NULL) */
        w->out->data[mark] = '\0';
    }
}

static void entity_out(emitter *w, const orm_entity *e, const level *lv, const char *const *fields,
                       size_t n_fields, const path *up);

static void related_out(emitter *w, orm_entity *const *items, size_t n, const orm_relationship *r,
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
            emit_null(w);
        return;
    }
    open_container(w, false);
    for (size_t i = 0; i < n; i++)
        entity_out(w, items[i], &lv, NULL, 0, here);
    close_container(w, false);
}

static void entity_out(emitter *w, const orm_entity *e, const level *lv, const char *const *fields,
                       size_t n_fields, const path *up)
{
    const orm_mapper *m = orm_entity_mapper(e);
    open_container(w, true);
    for (size_t i = 0; i < m->n_columns; i++) {
        const cfg_column *cc = &m->model->columns[i];
        if (cc->write_only || !orm_entity_is_loaded(e, i))
            continue;
        if (n_fields && !named_in(cc->name, fields, n_fields))
            continue;
        w->key = cc->name;
        emit_column(w, m->columns[i], orm_entity_get(e, i));
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
            w->key = rel->name;
            related_out(w, items, n, rel, node, lv, &here);
        }
    }
    close_container(w, true);
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

static void entity_root(emitter *w, const orm_entity *e, const orm_load_plan *plan,
                        const char *const *fields, size_t n_fields)
{
    if (!e) {
        emit_null(w);
        return;
    }
    level lv = root_level(plan);
    entity_out(w, e, &lv, fields, n_fields, NULL);
}

static void entities_root(emitter *w, orm_entity *const *items, size_t n, const orm_load_plan *plan,
                          const char *const *fields, size_t n_fields)
{
    level lv = root_level(plan);
    open_container(w, false);
    for (size_t i = 0; i < n; i++) {
        if (items[i])
            entity_out(w, items[i], &lv, fields, n_fields, NULL);
        else
            emit_null(w);
    }
    close_container(w, false);
}

json_t *dto_entity(const orm_entity *e, const orm_load_plan *plan, const char *const *fields,
                   size_t n_fields)
{
    emitter w = {0};
    entity_root(&w, e, plan, fields, n_fields);
    free(w.stack);
    return w.root;
}

json_t *dto_entities(orm_entity *const *items, size_t n, const orm_load_plan *plan,
                     const char *const *fields, size_t n_fields)
{
    emitter w = {0};
    entities_root(&w, items, n, plan, fields, n_fields);
    free(w.stack);
    return w.root;
}

void dto_write_entity(sbuf *out, const orm_entity *e, const orm_load_plan *plan,
                      const char *const *fields, size_t n_fields)
{
    emitter w = {.out = out};
    entity_root(&w, e, plan, fields, n_fields);
}

void dto_write_entities(sbuf *out, orm_entity *const *items, size_t n, const orm_load_plan *plan,
                        const char *const *fields, size_t n_fields)
{
    emitter w = {.out = out};
    entities_root(&w, items, n, plan, fields, n_fields);
}
