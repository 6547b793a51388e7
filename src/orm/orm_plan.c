/*
 * orm_plan — which relationships a request loads, and how: SPEC.md's
 * "Precise rules" for loading, applied to a query document's options,
 * include= paths and fields.
 *
 *   - A relationship's effective strategy is the option given for it, else
 *     its model's lazy.
 *   - A dotted option sets its last hop; earlier hops without an option of
 *     their own get the same strategy. When options disagree about a hop,
 *     one naming that hop itself wins, else the first in document order.
 *   - include=a,a.b is selectinload of each path, and names every hop.
 *   - A wildcard ("*", "orders.*") applies to the relationships at that
 *     level that have no option of their own (SQLAlchemy's per-entity
 *     wildcard). The hops before "*" only lead there: they get no strategy
 *     from it.
 *   - A relationship is in the plan (loaded and serialised) when its
 *     strategy is selectin or joined, or when it is named (include, fields)
 *     and its strategy is select (loaded per parent: the N+1 the client
 *     asked for). Named with raise, the request is a 400 naming it and the
 *     option that would load it; noload is left out even when named.
 *   - Cycles: a model-default eager strategy is not followed back through
 *     the inverse of the hop the plan came by, nor below
 *     ORM_MAX_DEFAULT_DEPTH.
 *
 * The plan lives in the session arena; building it runs no SQL.
 */
#include <string.h>

#include "orm_int.h"

/* A relationship path as the options and fields describe it, before the
 * rules decide strategies. */
typedef struct pnode {
    const orm_relationship *rel; /* NULL at the root */
    const orm_mapper *mapper;    /* the mapper whose relationships are below */
    const char *path;            /* "orders.items"; "" at the root */
    int opt_explicit;            /* first option naming this hop itself; -1 */
    int opt_implicit;            /* first option passing through it; -1 */
    int wildcard;                /* first wildcard option for the level below; -1 */
    bool named;
    const char *named_pointer;
    orm__vec kids; /* pnode * */
} pnode;

typedef struct plan_ctx {
    orm_session *s;
    const orm_load_options *o;
    err_report *err;
} plan_ctx;

static pnode *pnode_new(arena *a, const orm_relationship *rel, const orm_mapper *m,
                        const char *path)
{
    pnode *p = ARENA_NEW(a, pnode);
    p->rel = rel;
    p->mapper = m;
    p->path = path;
    p->opt_explicit = p->opt_implicit = p->wildcard = -1;
    return p;
}

static pnode *child_of(arena *a, pnode *p, const orm_relationship *rel)
{
    for (size_t i = 0; i < p->kids.n; i++) {
        pnode *k = p->kids.items[i];
        if (k->rel == rel)
            return k;
    }
    const char *path = *p->path ? arena_sprintf(a, "%s.%s", p->path, rel->name) : rel->name;
    pnode *k = pnode_new(a, rel, rel->target, path);
    orm__vec_push(a, &p->kids, k);
    return k;
}

static pnode *find_child(const pnode *p, const orm_relationship *rel)
{
    for (size_t i = 0; p && i < p->kids.n; i++) {
        pnode *k = p->kids.items[i];
        if (k->rel == rel)
            return k;
    }
    return NULL;
}

static void name_node(pnode *p, const char *pointer)
{
    if (!p->named)
        p->named_pointer = pointer;
    p->named = true;
}

/* Options and fields as a tree of paths. */
static bool collect(plan_ctx *x, pnode *root)
{
    arena *a = x->s->arena;
    const orm_load_options *lo = x->o;
    for (size_t k = 0; k < lo->n_options; k++) {
        const orm_load_option *o = &lo->options[k];
        pnode *p = root;
        for (size_t j = 0; j < o->n_hops; j++) {
            const orm_relationship *rel = orm_mapper_relationship(p->mapper, o->hops[j]->name);
            if (!rel) {
                err_add_item(x->err, ERR_BAD_REQUEST, o->pointer,
                             "\"%s\" is not a relationship of %s", o->hops[j]->name,
                             p->mapper->resource);
                return false;
            }
            p = child_of(a, p, rel);
            if (!o->wildcard) {
                bool last = j + 1 == o->n_hops;
                if (last && p->opt_explicit < 0)
                    p->opt_explicit = (int) k;
                else if (!last && p->opt_implicit < 0)
                    p->opt_implicit = (int) k;
            }
            if (o->include)
                name_node(p, o->pointer);
        }
        if (o->wildcard && p->wildcard < 0)
            p->wildcard = (int) k;
    }
    for (size_t i = 0; i < lo->n_named; i++) {
        if (!lo->named[i])
            continue;
        const orm_relationship *rel = orm_mapper_relationship(root->mapper, lo->named[i]->name);
        const char *at = lo->named_pointers && lo->named_pointers[i] ? lo->named_pointers[i]
                                                                     : "/fields";
        if (rel)
            name_node(child_of(a, root, rel), at);
    }
    return true;
}

void orm__raise_error(err_report *err, const orm_relationship *rel, const char *path,
                      const char *pointer)
{
    /* The detail first: err_set keeps the first error only. */
    err_set(err, ERR_BAD_REQUEST,
            "relationship \"%s\" of %s is not loaded; add {\"selectinload\": \"%s\"} or "
            "include=%s",
            rel->name, rel->mapper->resource, path, path);
    if (pointer)
        err_add_item(err, ERR_BAD_REQUEST, pointer,
                     "relationship \"%s\" of %s is not loaded; add {\"selectinload\": \"%s\"} "
                     "or include=%s",
                     rel->name, rel->mapper->resource, path, path);
}

/* Decides the strategies below p (whose mapper is reached by came_by) and
 * appends the nodes that load into *out. */
static bool resolve(plan_ctx *x, const pnode *p, const orm_relationship *came_by, int depth,
                    orm__vec *out)
{
    arena *a = x->s->arena;
    const orm_mapper *m = p->mapper;
    for (size_t i = 0; i < m->n_relationships; i++) {
        const orm_relationship *rel = &m->relationships[i];
        pnode *k = find_child(p, rel);
        cfg_strategy st;
        bool explicit_ = false, from_default = false;
        if (k && k->opt_explicit >= 0) {
            st = x->o->options[k->opt_explicit].strategy;
            explicit_ = true;
        } else if (k && k->opt_implicit >= 0) {
            st = x->o->options[k->opt_implicit].strategy;
        } else if (p->wildcard >= 0) {
            st = x->o->options[p->wildcard].strategy;
        } else {
            st = rel->lazy;
            from_default = true;
        }
        bool named = k && k->named;
        bool eager = st == CFG_LOAD_SELECTIN || st == CFG_LOAD_JOINED;
        if (from_default && eager && !named &&
            ((came_by && came_by->inverse == rel) || depth >= ORM_MAX_DEFAULT_DEPTH))
            continue;
        if (st == CFG_LOAD_RAISE && named) {
            const char *path = k->path;
            orm__raise_error(x->err, rel, path, k->named_pointer);
            /* an explicit raiseload is at fault too: point at it */
            const char *opt = explicit_ ? x->o->options[k->opt_explicit].pointer : NULL;
            if (opt && (!k->named_pointer || strcmp(opt, k->named_pointer) != 0))
                err_add_item(x->err, ERR_BAD_REQUEST, opt,
                             "raiseload of \"%s\" here, while the request names it.", path);
            return false;
        }
        if (!eager && !(st == CFG_LOAD_SELECT && named))
            continue;
        if (!k) {
            const char *path = *p->path ? arena_sprintf(a, "%s.%s", p->path, rel->name) : rel->name;
            k = pnode_new(a, rel, rel->target, path);
        }
        orm_load_node *node = ARENA_NEW(a, orm_load_node);
        node->rel = rel;
        node->strategy = st;
        node->named = named;
        node->explicit_ = explicit_;
        orm__vec kids = {0};
        if (!resolve(x, k, rel, depth + 1, &kids))
            return false;
        node->children = (orm_load_node **) kids.items;
        node->n_children = kids.n;
        orm__vec_push(a, out, node);
    }
    return true;
}

orm_load_plan *orm_load_plan_build(orm_session *s, const orm_mapper *m, const orm_load_options *o,
                                   err_report *err)
{
    static const orm_load_options none;
    plan_ctx x = {.s = s, .o = o ? o : &none, .err = err};
    pnode *root = pnode_new(s->arena, NULL, m, "");
    if (!collect(&x, root))
        return NULL;
    orm__vec kids = {0};
    if (!resolve(&x, root, NULL, 0, &kids))
        return NULL;
    orm_load_plan *plan = ARENA_NEW(s->arena, orm_load_plan);
    plan->mapper = m;
    plan->children = (orm_load_node **) kids.items;
    plan->n_children = kids.n;
    if (root->wildcard >= 0) {
        cfg_strategy st = x.o->options[root->wildcard].strategy;
        plan->wildcard_raise = st == CFG_LOAD_RAISE;
        plan->wildcard_noload = st == CFG_LOAD_NOLOAD;
    }
    return plan;
}

const orm_load_node *orm_load_plan_find(const orm_load_plan *plan, const char *path)
{
    if (!plan || !path)
        return NULL;
    orm_load_node *const *nodes = plan->children;
    size_t n = plan->n_children;
    const orm_load_node *found = NULL;
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t) (dot - path) : strlen(path);
        found = NULL;
        for (size_t i = 0; i < n; i++)
            if (strlen(nodes[i]->rel->name) == len && strncmp(nodes[i]->rel->name, path, len) == 0)
                found = nodes[i];
        if (!found)
            return NULL;
        nodes = found->children;
        n = found->n_children;
        path += len + (dot ? 1 : 0);
    }
    return found;
}
