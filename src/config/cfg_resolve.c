/*
 * cfg_resolve — the checks that need every model: unique tables,
 * "references" (table.column) to columns, relationship targets, foreign
 * keys, association models, order_by, and back_populates pairs. Runs after
 * cfg_models.c has parsed each model on its own.
 *
 * Follow-on errors are avoided: a check is skipped when something it
 * depends on was already reported (a broken model, a column of unknown
 * type, a reference that did not resolve, a relationship of unknown kind).
 * A problem shared by a back_populates pair is reported once, on the side
 * declared first.
 */
#include <string.h>

#include "cfg_int.h"

static size_t model_index(const cfg__ctx *ctx, const cfg_model *m)
{
    return (size_t) (m - ctx->cfg->models);
}

static bool model_broken(const cfg__ctx *ctx, const cfg_model *m)
{
    return ctx->ms[model_index(ctx, m)].broken;
}

static bool column_bad(const cfg__ctx *ctx, const cfg_model *m, const cfg_column *c)
{
    const bool *bad = ctx->ms[model_index(ctx, m)].col_bad;
    return bad && bad[c - m->columns];
}

static bool rel_bad(const cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r)
{
    const bool *bad = ctx->ms[model_index(ctx, m)].rel_bad;
    return bad && bad[r - m->relationships];
}

/* ---- tables ---------------------------------------------------------------- */

/* SPEC.md §5: a model with a "schema" whose table name another model
 * uses too is the resource "<schema>_<table>"; its PostgreSQL table keeps
 * its name (table_name). */
static void name_resources(cfg__ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    for (size_t i = 0; i < cfg->n_models; i++) {
        cfg_model *m = &cfg->models[i];
        if (!m->table || !m->schema)
            continue;
        bool shared = false;
        for (size_t j = 0; j < cfg->n_models && !shared; j++)
            shared = j != i && cfg->models[j].table &&
                     strcmp(cfg_model_table_name(&cfg->models[j]), m->table) == 0;
        if (!shared)
            continue;
        m->table_name = m->table;
        m->table = arena_sprintf(ctx->a, "%s_%s", m->schema, m->table);
        if (!cfg__is_identifier(m->table))
            cfg__error(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, m), "schema"),
                       "the resource name \"%s\" (schema and table) is too long", m->table);
    }
}

static void check_tables(cfg__ctx *ctx)
{
    const cfg_config *cfg = ctx->cfg;
    name_resources(ctx);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const cfg_model *m = &cfg->models[i];
        if (!m->table)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (cfg->models[j].table && strcmp(cfg->models[j].table, m->table) == 0) {
                cfg__error(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, m), "table"),
                           "table \"%s\" is already used by model \"%s\"; each model needs a "
                           "table of its own (it is the resource name)",
                           m->table, cfg->models[j].name);
                break;
            }
        }
    }
}

/* ---- references -------------------------------------------------------------- */

static bool any_table_missing(const cfg__ctx *ctx)
{
    for (size_t i = 0; i < ctx->cfg->n_models; i++)
        if (!ctx->cfg->models[i].table)
            return true;
    return false;
}

static bool same_family(cfg_type a, cfg_type b)
{
    bool ai = a == CFG_TYPE_INTEGER || a == CFG_TYPE_BIGINT;
    bool bi = b == CFG_TYPE_INTEGER || b == CFG_TYPE_BIGINT;
    return a == b || (ai && bi);
}

static void resolve_reference(cfg__ctx *ctx, const cfg_model *m, cfg_column *c, bool quiet_tables)
{
    const char *ptr = cfg__ptr(ctx, cfg__column_ptr(ctx, m, c), "references");
    const char *dot = strrchr(c->references, '.');
    const char *table = arena_strndup(ctx->scratch, c->references, (size_t) (dot - c->references));
    const char *column = dot + 1;
    const cfg_model *t = cfg_model_by_table_ref(ctx->cfg, table);
    if (!t) {
        if (!quiet_tables) /* else the missing table may be the one a model failed to name */
            cfg__error(ctx, ptr, "\"references\" names table \"%s\", which no model declares",
                       table);
        return;
    }
    if (model_broken(ctx, t) && t->n_columns == 0)
        return;
    const cfg_column *rc = cfg_column_by_name(t, column);
    if (!rc) {
        cfg__error(ctx, ptr,
                   "\"references\" names column \"%s\", which table \"%s\" (model \"%s\") "
                   "does not have",
                   column, table, t->name);
        return;
    }
    c->ref_model = t;
    c->ref_column = rc;
    if (!rc->unique && !(rc->primary_key && t->n_pk == 1))
        cfg__error(ctx, ptr,
                   "\"references\" target %s.%s must be unique or the only primary key column "
                   "of its table",
                   table, column);
    else if (!column_bad(ctx, m, c) && !column_bad(ctx, t, rc) && !same_family(c->type, rc->type))
        cfg__error(ctx, ptr,
                   "column \"%s\" is %s but %s.%s is %s; a foreign key needs the same type",
                   c->name, cfg_type_name(c->type), table, column, cfg_type_name(rc->type));
}

static void resolve_references(cfg__ctx *ctx)
{
    bool quiet = any_table_missing(ctx);
    for (size_t i = 0; i < ctx->cfg->n_models; i++) {
        cfg_model *m = &ctx->cfg->models[i];
        for (size_t j = 0; j < m->n_columns; j++)
            if (m->columns[j].references)
                resolve_reference(ctx, m, &m->columns[j], quiet);
    }
}

/* A composite foreign key: its columns are this model's, the referenced
 * ones are exactly the referenced model's primary key (what PostgreSQL
 * needs a unique constraint for), of the same types. */
static void resolve_composite(cfg__ctx *ctx, const cfg_model *m, size_t i, bool quiet)
{
    cfg_foreign_key *k = &m->foreign_keys[i];
    const char *ptr = cfg__ptr_index(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, m), "foreign_keys"), i);
    const cfg_model *t = cfg_model_by_table_ref(ctx->cfg, k->ref_table);
    if (!t) {
        if (!quiet)
            cfg__error(ctx, cfg__ptr(ctx, ptr, "references"),
                       "\"references\" names table \"%s\", which no model declares", k->ref_table);
        return;
    }
    bool ok = t->n_pk == k->n_columns;
    for (size_t c = 0; c < k->n_columns; c++) {
        const cfg_column *own = cfg_column_by_name(m, k->columns[c]);
        const cfg_column *ref = cfg_column_by_name(t, k->ref_columns[c]);
        if (!own)
            cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "columns"), c),
                       "\"%s\" is not a column of \"%s\"", k->columns[c], m->name);
        if (!ref)
            cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "references"), c),
                       "\"%s\" is not a column of table \"%s\"", k->ref_columns[c], t->table);
        if (!own || !ref)
            return;
        ok = ok && ref->primary_key;
        if (!same_family(own->type, ref->type))
            cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "columns"), c),
                       "column \"%s\" is %s but %s.%s is %s; a foreign key needs the same type",
                       own->name, cfg_type_name(own->type), t->table, ref->name,
                       cfg_type_name(ref->type));
    }
    if (!ok)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "references"),
                   "a composite foreign key must reference the whole primary key of \"%s\"",
                   t->table);
    else
        k->ref_model = t;
}

static void resolve_composites(cfg__ctx *ctx)
{
    bool quiet = any_table_missing(ctx);
    for (size_t i = 0; i < ctx->cfg->n_models; i++)
        for (size_t j = 0; j < ctx->cfg->models[i].n_foreign_keys; j++)
            resolve_composite(ctx, &ctx->cfg->models[i], j, quiet);
}

/* "foreign_key": [...] of a many_to_one (owner = this model) or
 * one_to_many (owner = the target): one of owner's composite foreign keys
 * with exactly those columns, in that order, referencing refd. */
static void check_composite_key(cfg__ctx *ctx, const cfg_model *m, cfg_relationship *r,
                                const cfg_model *owner, const cfg_model *refd)
{
    if (!r->n_foreign_key_columns || model_broken(ctx, owner))
        return;
    for (size_t i = 0; i < owner->n_foreign_keys; i++) {
        const cfg_foreign_key *k = &owner->foreign_keys[i];
        bool same = k->n_columns == r->n_foreign_key_columns && k->ref_model == refd;
        for (size_t c = 0; same && c < k->n_columns; c++)
            same = strcmp(k->columns[c], r->foreign_key_columns[c]) == 0;
        if (same) {
            r->composite = k;
            return;
        }
    }
    cfg__error(ctx, cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "foreign_key"),
               "\"%s\" declares no composite foreign key with these columns (in this order) "
               "that references table \"%s\"; declare it in its \"foreign_keys\"",
               owner->name, refd->table);
}

/* ---- relationships -------------------------------------------------------------- */

/* The foreign key of a many_to_one (owner = this model, refd = target) or
 * one_to_many (owner = target, refd = this model): a column of owner whose
 * "references" points at refd's table. */
static void check_foreign_key(cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r,
                              const cfg_model *owner, const cfg_model *refd)
{
    if (!r->foreign_key || model_broken(ctx, owner) || !refd->table)
        return;
    const char *ptr = cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "foreign_key");
    const char *kind = cfg_rel_kind_name(r->kind);
    const cfg_column *c = cfg_column_by_name(owner, r->foreign_key);
    if (!c) {
        cfg__error(ctx, ptr, "\"foreign_key\" names \"%s\", which is not a column of \"%s\"",
                   r->foreign_key, owner->name);
        return;
    }
    if (column_bad(ctx, owner, c))
        return;
    if (!c->references) {
        cfg__error(ctx, ptr,
                   "column \"%s\" of \"%s\" has no \"references\"; the foreign key of a %s "
                   "relationship must reference table \"%s\"",
                   c->name, owner->name, kind, refd->table);
        return;
    }
    if (!c->ref_model)
        return; /* the reference itself is already reported */
    if (c->ref_model != refd)
        cfg__error(ctx, ptr,
                   "column \"%s\" of \"%s\" references table \"%s\", but the foreign key of this "
                   "%s relationship must reference \"%s\"",
                   c->name, owner->name, c->ref_model->table, kind, refd->table);
}

static void check_secondary(cfg__ctx *ctx, const cfg_model *m, cfg_relationship *r,
                            const cfg_model *t)
{
    if (!r->secondary_name)
        return;
    const char *ptr = cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "secondary");
    /* SQLAlchemy users name the association table; retort's own configs
     * name its model. Both are accepted, the model name first. */
    const cfg_model *s = cfg_model_by_name(ctx->cfg, r->secondary_name);
    if (!s)
        s = cfg_model_by_table_ref(ctx->cfg, r->secondary_name);
    if (!s) {
        cfg__error(ctx, ptr,
                   "\"secondary\" is \"%s\", but no model is named \"%s\" and no model has "
                   "the table \"%s\" (tried both)",
                   r->secondary_name, r->secondary_name, r->secondary_name);
        return;
    }
    r->secondary = s;
    if (model_broken(ctx, s) || !m->table || !t->table)
        return;
    if (s->n_pk == 2) {
        const cfg_column *a = &s->columns[s->pk[0]], *b = &s->columns[s->pk[1]];
        /* A key column whose reference is already reported: stay quiet. */
        if ((a->references && !a->ref_model) || (b->references && !b->ref_model) ||
            column_bad(ctx, s, a) || column_bad(ctx, s, b))
            return;
        if (a->ref_model == m && b->ref_model == t) {
            r->secondary_local = a;
            r->secondary_remote = b;
            return;
        }
        if (a->ref_model == t && b->ref_model == m) {
            r->secondary_local = b;
            r->secondary_remote = a;
            return;
        }
    }
    cfg__error(ctx, ptr,
               "association model \"%s\" must have a primary key of exactly two columns, one "
               "referencing \"%s\" and one referencing \"%s\"",
               s->name, m->table, t->table);
}

static void check_order_by(cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r,
                           const cfg_model *t)
{
    if (!r->order_by || (model_broken(ctx, t) && t->n_columns == 0))
        return;
    const char *col = r->order_by + (r->order_by[0] == '-');
    if (!cfg_column_by_name(t, col))
        cfg__error(ctx, cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "order_by"),
                   "\"order_by\" names \"%s\", which is not a column of \"%s\"", col, t->name);
}

static void resolve_relationship(cfg__ctx *ctx, const cfg_model *m, cfg_relationship *r)
{
    if (!r->target_name)
        return;
    const cfg_model *t = cfg_model_by_name(ctx->cfg, r->target_name);
    if (!t) {
        cfg__error(ctx, cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "target"),
                   "\"target\" names model \"%s\", which is not declared", r->target_name);
        return;
    }
    r->target = t;
    if (rel_bad(ctx, m, r))
        return;
    switch (r->kind) {
    case CFG_REL_MANY_TO_ONE:
        check_foreign_key(ctx, m, r, m, t);
        check_composite_key(ctx, m, r, m, t);
        break;
    case CFG_REL_ONE_TO_MANY:
        check_foreign_key(ctx, m, r, t, m);
        check_composite_key(ctx, m, r, t, m);
        break;
    case CFG_REL_MANY_TO_MANY:
        check_secondary(ctx, m, r, t);
        break;
    }
    check_order_by(ctx, m, r, t);
}

/* ---- back_populates -------------------------------------------------------------- */

static cfg_rel_kind inverse_kind(cfg_rel_kind k)
{
    switch (k) {
    case CFG_REL_MANY_TO_ONE:
        return CFG_REL_ONE_TO_MANY;
    case CFG_REL_ONE_TO_MANY:
        return CFG_REL_MANY_TO_ONE;
    case CFG_REL_MANY_TO_MANY:
        return CFG_REL_MANY_TO_MANY;
    }
    return k;
}

/* True when (m, r) comes before (t, s) in file order: the pair's shared
 * problems are reported on that side only. */
static bool first_of_pair(const cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r,
                          const cfg_model *t, const cfg_relationship *s)
{
    size_t mi = model_index(ctx, m), ti = model_index(ctx, t);
    if (mi != ti)
        return mi < ti;
    return r <= s;
}

static void check_pair(cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r,
                       const cfg_model *t, const cfg_relationship *s)
{
    const char *rptr = cfg__rel_ptr(ctx, m, r);
    if (s->kind != inverse_kind(r->kind)) {
        cfg__error(ctx, cfg__ptr(ctx, rptr, "kind"),
                   "\"%s.%s\" is %s, so its inverse \"%s.%s\" must be %s, not %s", m->name, r->name,
                   cfg_rel_kind_name(r->kind), t->name, s->name,
                   cfg_rel_kind_name(inverse_kind(r->kind)), cfg_rel_kind_name(s->kind));
        return;
    }
    if (r->kind != CFG_REL_MANY_TO_MANY && r->foreign_key && s->foreign_key &&
        strcmp(r->foreign_key, s->foreign_key) != 0)
        cfg__error(ctx, cfg__ptr(ctx, rptr, "foreign_key"),
                   "\"%s.%s\" and its inverse \"%s.%s\" must use the same foreign key, not \"%s\" "
                   "and \"%s\"",
                   m->name, r->name, t->name, s->name, r->foreign_key, s->foreign_key);
    if (r->kind != CFG_REL_MANY_TO_MANY && (r->composite || s->composite) &&
        r->composite != s->composite)
        cfg__error(ctx, cfg__ptr(ctx, rptr, "foreign_key"),
                   "\"%s.%s\" and its inverse \"%s.%s\" must use the same foreign key", m->name,
                   r->name, t->name, s->name);
    if (r->kind == CFG_REL_MANY_TO_MANY && r->secondary && s->secondary &&
        r->secondary != s->secondary)
        cfg__error(ctx, cfg__ptr(ctx, rptr, "secondary"),
                   "\"%s.%s\" and its inverse \"%s.%s\" must use the same secondary model, not "
                   "\"%s\" and \"%s\"",
                   m->name, r->name, t->name, s->name, r->secondary->name, s->secondary->name);
}

static void resolve_back_populates(cfg__ctx *ctx, const cfg_model *m, cfg_relationship *r)
{
    if (!r->back_populates || !r->target || rel_bad(ctx, m, r))
        return;
    const cfg_model *t = r->target;
    const char *ptr = cfg__ptr(ctx, cfg__rel_ptr(ctx, m, r), "back_populates");
    const cfg_relationship *s = cfg_relationship_by_name(t, r->back_populates);
    if (!s && model_broken(ctx, t))
        return; /* its relationships may not have been read */
    if (!s) {
        cfg__error(ctx, ptr,
                   "\"back_populates\" names \"%s\", which is not a relationship of \"%s\"",
                   r->back_populates, t->name);
        return;
    }
    if (rel_bad(ctx, t, s) || !s->target)
        return;
    if (s->target != m) {
        cfg__error(ctx, ptr,
                   "\"%s.%s\" targets \"%s\", not \"%s\", so it cannot be the inverse of \"%s\"",
                   t->name, s->name, s->target->name, m->name, r->name);
        return;
    }
    if (!s->back_populates) {
        cfg__error(ctx, ptr, "\"%s.%s\" must name \"%s\" in its \"back_populates\"", t->name,
                   s->name, r->name);
        return;
    }
    if (strcmp(s->back_populates, r->name) != 0) {
        cfg__error(ctx, ptr, "\"%s.%s\" has \"back_populates\": \"%s\", not \"%s\"", t->name,
                   s->name, s->back_populates, r->name);
        return;
    }
    r->inverse = s;
    if (first_of_pair(ctx, m, r, t, s))
        check_pair(ctx, m, r, t, s);
}

void cfg__resolve_models(cfg__ctx *ctx)
{
    cfg_config *cfg = ctx->cfg;
    check_tables(ctx);
    resolve_references(ctx);
    resolve_composites(ctx);
    for (size_t i = 0; i < cfg->n_models; i++) {
        cfg_model *m = &cfg->models[i];
        for (size_t j = 0; j < m->n_relationships; j++)
            resolve_relationship(ctx, m, &m->relationships[j]);
    }
    for (size_t i = 0; i < cfg->n_models; i++) {
        cfg_model *m = &cfg->models[i];
        for (size_t j = 0; j < m->n_relationships; j++)
            resolve_back_populates(ctx, m, &m->relationships[j]);
    }
}
