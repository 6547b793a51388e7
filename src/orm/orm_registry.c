/*
 * orm_registry — mappers: one per configured model, built once at start-up
 * in the process arena and read-only afterwards (shared by every thread
 * without locks).
 *
 * A mapper ties a cfg_model to its Core table: columns aligned by index
 * (Core tables are built from the config in the same column order), the
 * key, the version column, client-side defaults in text form, and each
 * relationship with its Core relation, target, secondary, inverse
 * (back_populates) and default loader strategy. Mappers are kept in
 * foreign-key dependency order (sql_metadata_create_order), which is the
 * order the unit of work inserts in (and deletes in reverse).
 */
#include <jansson.h>
#include <string.h>

#include "orm_int.h"

struct orm_registry {
    const cfg_config *cfg;
    const sql_metadata *md;
    orm_mapper *mappers; /* dependency order */
    size_t n;
};

static bool build_columns(arena *a, orm_mapper *m, err_report *err)
{
    const cfg_model *model = m->model;
    const sql_column **cols = ARENA_ARRAY(a, const sql_column *, model->n_columns);
    const char **defaults = ARENA_ARRAY(a, const char *, model->n_columns);
    bool *has_default = ARENA_ARRAY(a, bool, model->n_columns);
    for (size_t i = 0; i < model->n_columns; i++) {
        const cfg_column *cc = &model->columns[i];
        cols[i] = sql_table_column(m->table, cc->name);
        if (!cols[i] || cols[i]->index != i) {
            err_set(err, ERR_INTERNAL, "The table \"%s\" does not match model \"%s\".",
                    m->table->name, model->name);
            return false;
        }
        if (cc->default_json) {
            has_default[i] = true;
            defaults[i] = orm__default_text(a, cc);
        }
    }
    m->columns = cols;
    m->n_columns = model->n_columns;
    m->defaults = defaults;
    m->has_default = has_default;
    size_t *pk = ARENA_ARRAY(a, size_t, model->n_pk ? model->n_pk : 1);
    for (size_t k = 0; k < model->n_pk; k++)
        pk[k] = model->pk[k];
    m->pk = pk;
    m->n_pk = model->n_pk;
    m->version = -1;
    if (model->version_column)
        m->version = orm_mapper_column(m, model->version_column);
    return true;
}

static orm_mapper *mapper_of_model(orm_registry *r, const cfg_model *model)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->mappers[i].model == model)
            return &r->mappers[i];
    return NULL;
}

static bool build_relationships(arena *a, orm_registry *r, orm_mapper *m, err_report *err)
{
    const cfg_model *model = m->model;
    m->n_relationships = model->n_relationships;
    m->relationships =
        ARENA_ARRAY(a, orm_relationship, model->n_relationships ? model->n_relationships : 1);
    for (size_t i = 0; i < model->n_relationships; i++) {
        const cfg_relationship *cr = &model->relationships[i];
        orm_relationship *rel = &m->relationships[i];
        rel->name = cr->name;
        rel->index = i;
        rel->cfg = cr;
        rel->mapper = m;
        rel->relation = sql_table_relation(m->table, cr->name);
        rel->target = mapper_of_model(r, cr->target);
        rel->secondary = cr->secondary ? mapper_of_model(r, cr->secondary) : NULL;
        rel->to_many = cr->kind != CFG_REL_MANY_TO_ONE;
        rel->lazy = cr->lazy;
        rel->order_by = -1;
        if (!rel->relation || !rel->target || (cr->secondary && !rel->secondary) ||
            rel->relation->n_on == 0 ||
            (rel->relation->secondary &&
             (rel->relation->n_on != 1 || rel->relation->n_secondary_on != 1))) {
            err_set(err, ERR_INTERNAL,
                    "The relationship \"%s\" of model \"%s\" has no usable join path.", cr->name,
                    model->name);
            return false;
        }
        if (cr->order_by) {
            bool desc = cr->order_by[0] == '-';
            rel->order_by = orm_mapper_column(rel->target, cr->order_by + desc);
            rel->order_desc = desc;
        }
    }
    return true;
}

/* Inverses need every mapper's relationships built first. */
static void link_inverses(orm_registry *r)
{
    for (size_t i = 0; i < r->n; i++) {
        orm_mapper *m = &r->mappers[i];
        for (size_t k = 0; k < m->n_relationships; k++) {
            orm_relationship *rel = &m->relationships[k];
            const cfg_relationship *inv = rel->cfg->inverse;
            if (!inv)
                continue;
            const orm_mapper *t = rel->target;
            size_t idx = (size_t) (inv - t->model->relationships);
            if (idx < t->n_relationships)
                rel->inverse = &t->relationships[idx];
        }
    }
}

orm_registry *orm_registry_create(arena *process, const cfg_config *cfg, err_report *err)
{
    sql_metadata *md = orm_metadata_from_config(process, cfg, err);
    if (!md)
        return NULL;
    const sql_table **order = NULL;
    if (!sql_metadata_create_order(md, process, &order, err))
        return NULL;
    orm_registry *r = ARENA_NEW(process, orm_registry);
    r->cfg = cfg;
    r->md = md;
    r->n = md->n_tables;
    r->mappers = ARENA_ARRAY(process, orm_mapper, r->n ? r->n : 1);
    for (size_t i = 0; i < r->n; i++) {
        orm_mapper *m = &r->mappers[i];
        m->model = cfg_model_by_table(cfg, order[i]->name);
        if (!m->model) {
            err_set(err, ERR_INTERNAL, "The table \"%s\" has no model.", order[i]->name);
            return NULL;
        }
        m->name = m->model->name;
        m->resource = m->model->table;
        m->index = i;
        m->table = order[i];
        if (!build_columns(process, m, err))
            return NULL;
    }
    for (size_t i = 0; i < r->n; i++)
        if (!build_relationships(process, r, &r->mappers[i], err))
            return NULL;
    link_inverses(r);
    if (!orm_queries_check(cfg, process, err))
        return NULL;
    return r;
}

const sql_metadata *orm_registry_metadata(const orm_registry *r)
{
    return r->md;
}

const cfg_config *orm_registry_config(const orm_registry *r)
{
    return r->cfg;
}

size_t orm_registry_count(const orm_registry *r)
{
    return r->n;
}

const orm_mapper *orm_registry_at(const orm_registry *r, size_t i)
{
    return i < r->n ? &r->mappers[i] : NULL;
}

const orm_mapper *orm_mapper_by_name(const orm_registry *r, const char *model_name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->mappers[i].name, model_name) == 0)
            return &r->mappers[i];
    return NULL;
}

const orm_mapper *orm_mapper_by_resource(const orm_registry *r, const char *resource)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->mappers[i].resource, resource) == 0)
            return &r->mappers[i];
    return NULL;
}

const orm_mapper *orm_mapper_of_column(const orm_registry *r, const sql_column *c,
                                       size_t *index)
{
    for (size_t i = 0; i < r->n; i++) {
        const orm_mapper *m = &r->mappers[i];
        if (m->table != c->table)
            continue;
        for (size_t k = 0; k < m->n_columns; k++)
            if (m->columns[k] == c) {
                *index = k;
                return m;
            }
    }
    return NULL;
}

int orm_mapper_column(const orm_mapper *m, const char *name)
{
    for (size_t i = 0; i < m->model->n_columns; i++)
        if (strcmp(m->model->columns[i].name, name) == 0)
            return (int) i;
    return -1;
}

const orm_relationship *orm_mapper_relationship(const orm_mapper *m, const char *name)
{
    for (size_t i = 0; i < m->n_relationships; i++)
        if (strcmp(m->relationships[i].name, name) == 0)
            return &m->relationships[i];
    return NULL;
}
