/*
 * schema_reflect — models from the catalog, as the "models" object of a
 * configuration, so that a reflected model goes through exactly the checks
 * a declared one does (cfg_load) and can be printed, edited and declared.
 *
 *   - tables become models named after their table (order_items →
 *     OrderItem); views become read-only models keyed by their "id"
 *     column, else their first column;
 *   - columns keep type, length, precision, scale, nullability, single
 *     column unique keys, defaults (server_default), identity (and serial
 *     keys) as autoincrement, generated columns (read-only), enum labels
 *     as choices; CHECK constraints keep their names;
 *   - every single-column foreign key gives a many_to_one on its table and
 *     a one_to_many on the referenced one, with back_populates;
 *   - a pure association table (exactly two columns, both its primary key,
 *     each a foreign key) also gives a many_to_many pair between the two
 *     tables through it; an association table with more columns stays an
 *     ordinary model with its two many_to_one relationships.
 */
#include "schema_int.h"

typedef struct rmodel {
    const schema_table *t;
    const char *name;
    json_t *spec, *columns, *rels;
} rmodel;

typedef struct rctx {
    arena *a;
    const schema_catalog *cat;
    const char *default_schema;
    rmodel *models;
    size_t n;
    err_report *err;
} rctx;

static bool name_taken(void *ctx, const char *name)
{
    const rmodel *m = ctx;
    return json_object_get(m->columns, name) || json_object_get(m->rels, name);
}

static bool model_taken(void *ctx, const char *name)
{
    const rctx *rc = ctx;
    for (size_t i = 0; i < rc->n; i++)
        if (rc->models[i].name && strcmp(rc->models[i].name, name) == 0)
            return true;
    return false;
}

static rmodel *model_of(rctx *rc, const char *schema, const char *table)
{
    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->models[i].t->name, table) == 0 &&
            (!schema || strcmp(rc->models[i].t->schema, schema) == 0))
            return &rc->models[i];
    return NULL;
}

static bool in_key(const schema_key *k, const char *col)
{
    for (size_t i = 0; i < k->n_columns; i++)
        if (strcmp(k->columns[i], col) == 0)
            return true;
    return false;
}

static const schema_fk *single_fk(const schema_table *t, const char *col)
{
    for (size_t i = 0; i < t->n_fks; i++)
        if (t->fks[i].n_columns == 1 && strcmp(t->fks[i].columns[0], col) == 0)
            return &t->fks[i];
    return NULL;
}

/* A serial key: integer with nextval('...') as default. */
static bool serial_default(const schema_column *c)
{
    return c->default_expr && strncmp(c->default_expr, "nextval(", 8) == 0 &&
           (strcmp(c->type_name, "int4") == 0 || strcmp(c->type_name, "int8") == 0 ||
            strcmp(c->type_name, "int2") == 0) &&
           !c->is_array;
}

static bool is_integer_key(const schema_column *c)
{
    return !c->is_array && (strcmp(c->type_name, "int4") == 0 || strcmp(c->type_name, "int8") == 0);
}

/* A table as a reference names it: "table" in the default schema, else
 * "schema.table" (cfg_model_by_table_ref). */
static const char *table_ref(rctx *rc, const char *schema, const char *table)
{
    return strcmp(schema, rc->default_schema) == 0 ? table
                                                   : arena_sprintf(rc->a, "%s.%s", schema, table);
}

/* ==== columns ========================================================== */

static json_t *column_spec(rctx *rc, rmodel *m, const schema_column *c, bool pk)
{
    const schema_table *t = m->t;
    json_t *spec = json_object();
    if (!schema_column_type(t, c, spec, rc->err)) {
        json_decref(spec);
        return NULL;
    }
    bool view = t->kind == 'v' || t->kind == 'm';
    if (pk)
        json_object_set_new(spec, "primary_key", json_true());
    if (c->not_null && !pk && !view)
        json_object_set_new(spec, "nullable", json_false());
    bool auto_key = pk && is_integer_key(c) && (c->identity || serial_default(c));
    if (auto_key)
        json_object_set_new(spec, "autoincrement", json_true());
    else if (c->default_expr && !view)
        json_object_set_new(spec, "server_default", json_string(c->default_expr));
    if (c->generated) {
        json_object_set_new(spec, "generated", json_string(c->generated));
    } else if (c->identity == 'a' && !auto_key) {
        json_object_set_new(spec, "read_only", json_true());
    }
    for (size_t i = 0; i < t->n_uniques; i++)
        if (t->uniques[i].n_columns == 1 && strcmp(t->uniques[i].columns[0], c->name) == 0 &&
            !pk)
            json_object_set_new(spec, "unique", json_true());
    const schema_fk *fk = single_fk(t, c->name);
    if (fk && model_of(rc, fk->ref_schema, fk->ref_table))
        json_object_set_new(spec, "references",
                            json_string(arena_sprintf(rc->a, "%s.%s",
                                                      table_ref(rc, fk->ref_schema, fk->ref_table),
                                                      fk->ref_columns[0])));
    if (c->type_kind == 'e') {
        const schema_enum *e = schema_catalog_enum(rc->cat, c->type_schema, c->type_name);
        json_t *labels = json_array();
        for (size_t i = 0; e && i < e->n_labels; i++)
            json_array_append_new(labels, json_string(e->labels[i]));
        json_object_set_new(spec, "choices", labels);
    }
    return spec;
}

static const char *view_key(const schema_table *t)
{
    if (schema_table_column(t, "id"))
        return "id";
    return t->n_columns ? t->columns[0].name : NULL;
}

static bool fill_model(rctx *rc, rmodel *m)
{
    const schema_table *t = m->t;
    bool view = t->kind == 'v' || t->kind == 'm';
    const char *vkey = view ? view_key(t) : NULL;
    json_object_set_new(m->spec, "table", json_string(t->name));
    if (strcmp(t->schema, rc->default_schema) != 0)
        json_object_set_new(m->spec, "schema", json_string(t->schema));
    if (view)
        json_object_set_new(m->spec, "read_only", json_true());
    bool ok = true;
    for (size_t i = 0; i < t->n_columns; i++) {
        const schema_column *c = &t->columns[i];
        bool pk = view ? strcmp(c->name, vkey) == 0 : in_key(&t->pk, c->name);
        json_t *spec = column_spec(rc, m, c, pk);
        if (!spec)
            ok = false;
        else
            json_object_set_new(m->columns, c->name, spec);
    }
    if (t->n_checks) {
        json_t *checks = json_object();
        for (size_t i = 0; i < t->n_checks; i++)
            json_object_set_new(checks, t->checks[i].name, json_string(t->checks[i].expr));
        json_object_set_new(m->spec, "checks", checks);
    }
    return ok;
}

/* ==== relationships ==================================================== */

static json_t *rel(const char *target, const char *kind, const char *fk, const char *secondary)
{
    json_t *r = json_object();
    json_object_set_new(r, "target", json_string(target));
    json_object_set_new(r, "kind", json_string(kind));
    if (fk)
        json_object_set_new(r, "foreign_key", json_string(fk));
    if (secondary)
        json_object_set_new(r, "secondary", json_string(secondary));
    return r;
}

static size_t fks_to(const schema_table *t, const char *schema, const char *table)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_fks; i++)
        if (t->fks[i].n_columns == 1 && strcmp(t->fks[i].ref_table, table) == 0 &&
            strcmp(t->fks[i].ref_schema, schema) == 0)
            n++;
    return n;
}

static void link_pair(rctx *rc, rmodel *child, const schema_fk *fk, rmodel *parent)
{
    const char *col = fk->columns[0];
    const char *one = schema__unique_name(
        rc->a, schema__to_one_name(rc->a, col, parent->t->name), name_taken, child);
    json_t *to_one = rel(parent->name, "many_to_one", col, NULL);
    json_object_set_new(child->rels, one, to_one);

    const char *many = child->t->name;
    if (child == parent || fks_to(child->t, parent->t->schema, parent->t->name) > 1)
        many = arena_sprintf(rc->a, "%s_by_%s", child->t->name, one);
    many = schema__unique_name(rc->a, many, name_taken, parent);
    json_t *to_many = rel(child->name, "one_to_many", col, NULL);
    json_object_set_new(parent->rels, many, to_many);

    json_object_set_new(to_one, "back_populates", json_string(many));
    json_object_set_new(to_many, "back_populates", json_string(one));
}

/* A composite foreign key to the whole primary key of a reflected table
 * (what the config can declare: "foreign_keys" on the child, and
 * "foreign_key": [columns] on both relationships). Other composite keys
 * (to a unique constraint) give no relationship. */
static bool composite_to_key(const schema_fk *fk, const rmodel *parent)
{
    const schema_key *pk = &parent->t->pk;
    if (fk->n_columns < 2 || pk->n_columns != fk->n_columns || parent->t->kind == 'v' ||
        parent->t->kind == 'm')
        return false;
    for (size_t i = 0; i < fk->n_columns; i++)
        if (!in_key(pk, fk->ref_columns[i]))
            return false;
    return true;
}

static void link_composite(rctx *rc, rmodel *child, const schema_fk *fk, rmodel *parent)
{
    json_t *cols = json_array(), *refs = json_array();
    for (size_t i = 0; i < fk->n_columns; i++) {
        json_array_append_new(cols, json_string(fk->columns[i]));
        json_array_append_new(refs, json_string(arena_sprintf(
                                        rc->a, "%s.%s",
                                        table_ref(rc, parent->t->schema, parent->t->name),
                                        fk->ref_columns[i])));
    }
    json_t *fks = json_object_get(child->spec, "foreign_keys");
    if (!fks) {
        fks = json_array();
        json_object_set_new(child->spec, "foreign_keys", fks);
    }
    json_array_append_new(fks, json_pack("{s:O, s:o}", "columns", cols, "references", refs));

    const char *one = schema__unique_name(rc->a, schema__to_one_name(rc->a, "", parent->t->name),
                                          name_taken, child);
    json_t *to_one = rel(parent->name, "many_to_one", NULL, NULL);
    json_object_set_new(to_one, "foreign_key", json_deep_copy(cols));
    json_object_set_new(child->rels, one, to_one);
    const char *many = child == parent ? arena_sprintf(rc->a, "%s_by_%s", child->t->name, one)
                                       : child->t->name;
    many = schema__unique_name(rc->a, many, name_taken, parent);
    json_t *to_many = rel(child->name, "one_to_many", NULL, NULL);
    json_object_set_new(to_many, "foreign_key", cols);
    json_object_set_new(parent->rels, many, to_many);
    json_object_set_new(to_one, "back_populates", json_string(many));
    json_object_set_new(to_many, "back_populates", json_string(one));
}

/* Exactly two columns, both the primary key, each a single-column
 * foreign key to a reflected table. */
static bool pure_association(rctx *rc, const schema_table *t, rmodel **a, rmodel **b)
{
    if (t->kind != 'r' && t->kind != 'p')
        return false;
    if (t->n_columns != 2 || t->pk.n_columns != 2)
        return false;
    const schema_fk *f0 = single_fk(t, t->pk.columns[0]), *f1 = single_fk(t, t->pk.columns[1]);
    if (!f0 || !f1)
        return false;
    *a = model_of(rc, f0->ref_schema, f0->ref_table);
    *b = model_of(rc, f1->ref_schema, f1->ref_table);
    return *a && *b;
}

static void link_many_to_many(rctx *rc, rmodel *assoc, rmodel *a, rmodel *b)
{
    const char *secondary = assoc->t->name;
    if (a == b) {
        /* Self-referential: one direction, the key's first column is this
         * side (cfg), so there is no inverse to name. */
        const char *n = schema__unique_name(rc->a, secondary, name_taken, a);
        json_object_set_new(a->rels, n, rel(b->name, "many_to_many", NULL, secondary));
        return;
    }
    const char *na = b->t->name, *nb = a->t->name;
    if (name_taken(a, na))
        na = arena_sprintf(rc->a, "%s_via_%s", b->t->name, secondary);
    na = schema__unique_name(rc->a, na, name_taken, a);
    json_t *ra = rel(b->name, "many_to_many", NULL, secondary);
    json_object_set_new(a->rels, na, ra);
    if (name_taken(b, nb))
        nb = arena_sprintf(rc->a, "%s_via_%s", a->t->name, secondary);
    nb = schema__unique_name(rc->a, nb, name_taken, b);
    json_t *rb = rel(a->name, "many_to_many", NULL, secondary);
    json_object_set_new(b->rels, nb, rb);
    json_object_set_new(ra, "back_populates", json_string(nb));
    json_object_set_new(rb, "back_populates", json_string(na));
}

/* ==== entry points ===================================================== */

static bool excluded(const schema_table *t, const char *const *exclude, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(exclude[i], '.');
        if (dot ? strncmp(exclude[i], t->schema, (size_t) (dot - exclude[i])) == 0 &&
                      strlen(t->schema) == (size_t) (dot - exclude[i]) &&
                      strcmp(dot + 1, t->name) == 0
                : strcmp(exclude[i], t->name) == 0)
            return true;
    }
    return false;
}

/* Another reflected table has t's name (in another schema). */
static bool name_shared(const schema_catalog *cat, const schema_table *t)
{
    for (size_t i = 0; i < cat->n_tables; i++)
        if (&cat->tables[i] != t && strcmp(cat->tables[i].name, t->name) == 0)
            return true;
    return false;
}

json_t *schema_reflect_models(const schema_catalog *cat, const char *default_schema,
                              const char *const *exclude, size_t n_exclude, err_report *err)
{
    arena *a = arena_create(NULL, "reflect");
    rctx rc = {.a = a, .cat = cat, .err = err, .default_schema = default_schema};
    rc.models = ARENA_ARRAY(a, rmodel, cat->n_tables + 1);
    for (size_t i = 0; i < cat->n_tables; i++) {
        const schema_table *t = &cat->tables[i];
        if (excluded(t, exclude, n_exclude) || t->n_columns == 0)
            continue;
        rmodel *m = &rc.models[rc.n];
        m->t = t;
        /* billing.invoices beside public.invoices: BillingInvoice */
        const char *base = strcmp(t->schema, default_schema) != 0 && name_shared(cat, t)
                               ? arena_sprintf(a, "%s_%s", t->schema, t->name)
                               : t->name;
        m->name = schema__unique_name(a, schema__model_name(a, base), model_taken, &rc);
        rc.n++;
        m->spec = json_object();
        m->columns = json_object();
        m->rels = json_object();
    }
    bool ok = true;
    for (size_t i = 0; i < rc.n; i++)
        ok = fill_model(&rc, &rc.models[i]) && ok;
    /* Foreign keys in catalog order, so names do not depend on chance. */
    for (size_t i = 0; ok && i < rc.n; i++) {
        rmodel *m = &rc.models[i];
        for (size_t k = 0; k < m->t->n_fks; k++) {
            const schema_fk *fk = &m->t->fks[k];
            rmodel *parent = model_of(&rc, fk->ref_schema, fk->ref_table);
            if (parent && fk->n_columns == 1)
                link_pair(&rc, m, fk, parent);
            else if (parent && composite_to_key(fk, parent))
                link_composite(&rc, m, fk, parent);
        }
    }
    for (size_t i = 0; ok && i < rc.n; i++) {
        rmodel *x, *y;
        if (pure_association(&rc, rc.models[i].t, &x, &y))
            link_many_to_many(&rc, &rc.models[i], x, y);
    }
    json_t *out = ok ? json_object() : NULL;
    for (size_t i = 0; i < rc.n; i++) {
        rmodel *m = &rc.models[i];
        json_object_set_new(m->spec, "columns", m->columns);
        if (json_object_size(m->rels))
            json_object_set_new(m->spec, "relationships", m->rels);
        else
            json_decref(m->rels);
        if (out)
            json_object_set_new(out, m->name, m->spec);
        else
            json_decref(m->spec);
    }
    arena_destroy(a);
    return out;
}

json_t *schema_reflect(eng_pool *pool, const cfg_config *cfg, err_report *err)
{
    eng_conn *c = eng_pool_checkout(pool, err);
    if (!c)
        return NULL;
    arena *a = arena_create(NULL, "reflect catalog");
    schema_catalog *cat = schema_catalog_read(c, a, cfg->reflect.schemas, cfg->reflect.n_schemas,
                                              err);
    eng_pool_checkin(pool, c);
    json_t *models = cat ? schema_reflect_models(cat, schema_default_name(cfg),
                                                 cfg->reflect.exclude, cfg->reflect.n_exclude,
                                                 err)
                         : NULL;
    arena_destroy(a);
    return models;
}
