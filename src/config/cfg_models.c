/*
 * cfg_models — parses "models" one model at a time: table, columns,
 * relationships, checks, version column. Everything that can be checked
 * inside one model is checked here; what needs other models (references,
 * relationship targets, back_populates) waits for cfg_resolve.c, which
 * runs once every model is parsed.
 *
 * Every problem is recorded and parsing goes on, so one run reports them
 * all. A column or relationship whose spec produced any error is marked
 * bad (cfg__model_state) and later checks that depend on it stay quiet.
 */
#include <string.h>

#include "cfg_int.h"
#include "pgtext.h"

/* PostgreSQL's limits for varchar(n) and numeric(p, s). */
enum { MAX_LENGTH = 10485760, MAX_PRECISION = 1000 };

static const char *const MODEL_KEYS[] = {"table",       "columns",   "relationships", "version_column",
                                         "checks",      "read_only", "permissions",   "foreign_keys",
                                         "schema",      NULL};
static const char *const FK_KEYS[] = {"columns", "references", NULL};

static size_t identifiers(cfg__ctx *ctx, const json_t *arr, const char *ptr,
                          const char *const **out);
static const char *const COLUMN_KEYS[] = {
    "type",      "primary_key",    "autoincrement", "nullable",  "unique",
    "default",   "server_default", "references",    "choices",   "length",
    "precision", "scale",          "write_only",    "read_only", "enum",
    "generated", NULL};
static const char *const REL_KEYS[] = {"target",         "kind", "foreign_key", "secondary",
                                       "back_populates", "lazy", "order_by",    NULL};

/* Names of URL segments under /api that are routes, not resources. */
static const char *const RESERVED_TABLES[] = {"transaction", "rpc", NULL};

const char *cfg__model_ptr(cfg__ctx *ctx, const cfg_model *m)
{
    return cfg__ptr(ctx, "/models", m->name);
}

const char *cfg__column_ptr(cfg__ctx *ctx, const cfg_model *m, const cfg_column *c)
{
    return cfg__ptr(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, m), "columns"), c->name);
}

const char *cfg__rel_ptr(cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r)
{
    return cfg__ptr(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, m), "relationships"), r->name);
}

static void bad_name(cfg__ctx *ctx, const char *ptr, const char *what, const char *name)
{
    cfg__error(ctx, ptr,
               "%s name \"%s\" is not a valid name: use letters, digits and underscores, "
               "not starting with a digit, at most %d characters",
               what, name, CFG_MAX_IDENTIFIER);
}

/* ---- columns ------------------------------------------------------------ */

static bool has(const json_t *obj, const char *key)
{
    return json_object_get(obj, key) != NULL;
}

static void parse_choices(cfg__ctx *ctx, cfg_column *c, const json_t *v, const char *ptr)
{
    if (!json_is_array(v)) {
        cfg__error(ctx, ptr, "\"choices\" must be an array of strings, got %s", jsonkind_name(v));
        return;
    }
    size_t n = json_array_size(v);
    if (n == 0) {
        cfg__error(ctx, ptr, "\"choices\" must list at least one value");
        return;
    }
    const char **choices = ARENA_ARRAY(ctx->a, const char *, n + 1);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            cfg__error(ctx, cfg__ptr_index(ctx, ptr, i), "a choice must be a string, got %s",
                       jsonkind_name(item));
            ok = false;
            continue;
        }
        const char *s = json_string_value(item);
        for (size_t j = 0; j < i; j++) {
            if (choices[j] && strcmp(choices[j], s) == 0) {
                cfg__error(ctx, cfg__ptr_index(ctx, ptr, i), "duplicate choice \"%s\"", s);
                ok = false;
                break;
            }
        }
        choices[i] = arena_strdup(ctx->a, s);
    }
    if (ok) {
        c->choices = choices;
        c->n_choices = n;
    }
}

/* "table.column", both parts names. */
/* "table.column" or "schema.table.column". */
static bool valid_reference(cfg__ctx *ctx, const char *ref)
{
    const char *dot = strrchr(ref, '.');
    if (!dot || !cfg__is_identifier(dot + 1))
        return false;
    const char *table = arena_strndup(ctx->scratch, ref, (size_t) (dot - ref));
    const char *sdot = strchr(table, '.');
    if (!sdot)
        return cfg__is_identifier(table);
    const char *schema = arena_strndup(ctx->scratch, table, (size_t) (sdot - table));
    return cfg__is_identifier(schema) && cfg__is_identifier(sdot + 1);
}

/* Checks that depend on the column's type; only run when it is known. */
static void check_typed_options(cfg__ctx *ctx, cfg_column *c, const json_t *spec, const char *ptr)
{
    bool is_string = c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT ||
                     c->type == CFG_TYPE_CHAR || c->type == CFG_TYPE_ENUM;
    bool is_int = c->type == CFG_TYPE_INTEGER || c->type == CFG_TYPE_BIGINT;
    bool is_time = c->type == CFG_TYPE_TIME || c->type == CFG_TYPE_TIMESTAMP ||
                   c->type == CFG_TYPE_TIMESTAMPTZ;
    if (has(spec, "length") && c->type != CFG_TYPE_STRING && c->type != CFG_TYPE_CHAR)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "length"),
                   "\"length\" applies only to string and char columns, not %s",
                   cfg_type_name(c->type));
    if (is_time) {
        if (c->precision > 6)
            cfg__error(ctx, cfg__ptr(ctx, ptr, "precision"),
                       "the precision of a %s column is at most 6 (fractional digits)",
                       cfg_type_name(c->type));
        if (has(spec, "scale"))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "scale"),
                       "\"scale\" applies only to numeric columns, not %s", cfg_type_name(c->type));
    } else if (c->type != CFG_TYPE_NUMERIC) {
        if (has(spec, "precision"))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "precision"),
                       "\"precision\" applies only to numeric and time columns, not %s",
                       cfg_type_name(c->type));
        if (has(spec, "scale"))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "scale"),
                       "\"scale\" applies only to numeric columns, not %s", cfg_type_name(c->type));
    } else if (has(spec, "scale") && c->precision == 0 && !has(spec, "precision")) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, "scale"), "\"scale\" needs a \"precision\"");
    } else if (c->precision > 0 && c->scale > c->precision) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, "scale"),
                   "\"scale\" (%d) must not exceed \"precision\" (%d)", c->scale, c->precision);
    }
    if (has(spec, "choices") && !is_string)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "choices"),
                   "\"choices\" applies only to string, char, text and enum columns, not %s",
                   cfg_type_name(c->type));
    if (c->type == CFG_TYPE_ENUM && (!c->enum_name || !has(spec, "choices")))
        cfg__error(ctx, ptr,
                   "an enum column needs \"enum\" (the PostgreSQL type's name) and \"choices\" "
                   "(its labels, in order)");
    if (c->type != CFG_TYPE_ENUM && has(spec, "enum"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "enum"), "\"enum\" applies only to enum columns");
    if (c->enum_name && !cfg__is_identifier(c->enum_name))
        bad_name(ctx, cfg__ptr(ctx, ptr, "enum"), "enum type", c->enum_name);
    if (c->generated && (c->server_default || c->autoincrement || has(spec, "default")))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "generated"),
                   "a generated column cannot also have a default or autoincrement");
    if (c->choices && c->length > 0) {
        for (size_t i = 0; i < c->n_choices; i++)
            if (pgtext_length(c->choices[i]) > (size_t) c->length)
                cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "choices"), i),
                           "choice \"%s\" is longer than the column's length %d", c->choices[i],
                           c->length);
    }
    if (c->autoincrement && (!is_int || !c->primary_key))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "autoincrement"),
                   "\"autoincrement\" applies only to integer and bigint primary key columns");
}

/* "integer", "text[]": the type and whether it is an array. */
static bool parse_type(cfg__ctx *ctx, cfg_column *c, const char *name)
{
    size_t n = strlen(name);
    if (n > 2 && strcmp(name + n - 2, "[]") == 0) {
        c->array = true;
        name = arena_strndup(ctx->scratch, name, n - 2);
    }
    return cfg__type_from_name(name, &c->type);
}

/* Fills c from spec. Returns false when the column cannot be checked
 * against others (no object, unknown type, malformed "references");
 * *pk_unknown is set when "primary_key" itself was bad, so the model does
 * not also get "no primary key". */
static bool parse_column(cfg__ctx *ctx, const cfg_model *m, cfg_column *c, const char *name,
                         const json_t *spec, bool *pk_unknown)
{
    c->name = arena_strdup(ctx->a, name);
    c->nullable = true;
    const char *ptr = cfg__column_ptr(ctx, m, c);
    if (!cfg__is_identifier(name))
        bad_name(ctx, ptr, "column", name);
    if (!json_is_object(spec)) {
        cfg__error(ctx, ptr, "column \"%s\" must be an object, got %s", name, jsonkind_name(spec));
        return false;
    }
    cfg__check_keys(ctx, spec, ptr, COLUMN_KEYS);

    bool type_ok = false;
    const json_t *type = json_object_get(spec, "type");
    if (!type)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "type"), "column \"%s\" needs a \"type\": one of %s",
                   name, cfg__type_list());
    else if (!json_is_string(type))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "type"), "\"type\" must be a string, got %s",
                   jsonkind_name(type));
    else if (!(type_ok = parse_type(ctx, c, json_string_value(type))))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "type"),
                   "unknown column type \"%s\"; expected one of %s", json_string_value(type),
                   cfg__type_list());

    *pk_unknown = !cfg__get_bool(ctx, spec, ptr, "primary_key", &c->primary_key);
    cfg__get_bool(ctx, spec, ptr, "autoincrement", &c->autoincrement);
    bool nullable_ok = cfg__get_bool(ctx, spec, ptr, "nullable", &c->nullable);
    cfg__get_bool(ctx, spec, ptr, "unique", &c->unique);
    cfg__get_bool(ctx, spec, ptr, "write_only", &c->write_only);
    cfg__get_bool(ctx, spec, ptr, "read_only", &c->read_only);
    cfg__get_int(ctx, spec, ptr, "length", 1, MAX_LENGTH, &c->length);
    cfg__get_int(ctx, spec, ptr, "precision", 1, MAX_PRECISION, &c->precision);
    cfg__get_int(ctx, spec, ptr, "scale", 0, MAX_PRECISION, &c->scale);
    cfg__get_string(ctx, spec, ptr, "server_default", &c->server_default);
    cfg__get_string(ctx, spec, ptr, "enum", &c->enum_name);
    cfg__get_string(ctx, spec, ptr, "generated", &c->generated);
    if (c->generated)
        c->read_only = true; /* PostgreSQL computes it; writes would fail */

    const char *ref = NULL;
    bool ref_ok = cfg__get_string(ctx, spec, ptr, "references", &ref);
    if (ref_ok && ref && !valid_reference(ctx, ref)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, "references"),
                   "\"references\" must be \"table.column\" or \"schema.table.column\", got "
                   "\"%s\"",
                   ref);
        ref_ok = false;
    } else if (ref_ok) {
        c->references = ref;
    }
    const json_t *choices = json_object_get(spec, "choices");
    if (choices)
        parse_choices(ctx, c, choices, cfg__ptr(ctx, ptr, "choices"));

    if (c->primary_key) {
        if (nullable_ok && json_is_true(json_object_get(spec, "nullable")))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "nullable"),
                       "a primary key column cannot be nullable");
        c->nullable = false;
    }
    if (c->autoincrement && c->server_default)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "server_default"),
                   "a column cannot have both \"autoincrement\" and \"server_default\"");
    if (c->read_only && c->write_only)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "read_only"),
                   "a column cannot be both \"read_only\" and \"write_only\"");
    if (!type_ok)
        return false;
    check_typed_options(ctx, c, spec, ptr);
    const json_t *def = json_object_get(spec, "default");
    if (def && (!choices || c->choices))
        cfg__set_default(ctx, c, def, cfg__ptr(ctx, ptr, "default"));
    return ref_ok;
}

/* False when the model has no usable columns. */
static bool parse_columns(cfg__ctx *ctx, cfg_model *m, cfg__model_state *st, const json_t *spec,
                          const char *ptr)
{
    const json_t *cols = json_object_get(spec, "columns");
    const char *cptr = cfg__ptr(ctx, ptr, "columns");
    if (!cols) {
        cfg__error(ctx, cptr, "model \"%s\" needs \"columns\"", m->name);
        return false;
    }
    if (!json_is_object(cols)) {
        cfg__error(ctx, cptr, "\"columns\" must be an object, got %s", jsonkind_name(cols));
        return false;
    }
    size_t n = json_object_size(cols);
    if (n == 0) {
        cfg__error(ctx, cptr, "model \"%s\" must declare at least one column", m->name);
        return false;
    }
    m->columns = ARENA_ARRAY(ctx->a, cfg_column, n);
    st->col_bad = ARENA_ARRAY(ctx->scratch, bool, n);
    bool pk_unknown = false;
    const char *name;
    json_t *col;
    json_t *o = (json_t *) cols;
    json_object_foreach(o, name, col)
    {
        size_t i = m->n_columns++;
        cfg_column *c = &m->columns[i];
        bool pk_bad = false;
        st->col_bad[i] = !parse_column(ctx, m, c, name, col, &pk_bad);
        pk_unknown |= pk_bad;
        if (!c->primary_key)
            continue;
        if (m->n_pk == CFG_MAX_PK_COLUMNS) {
            cfg__error(ctx, cfg__ptr(ctx, cfg__column_ptr(ctx, m, c), "primary_key"),
                       "a primary key has at most %d columns", CFG_MAX_PK_COLUMNS);
            continue;
        }
        m->pk[m->n_pk++] = i;
    }
    if (m->n_pk == 0 && !pk_unknown)
        cfg__error(ctx, cptr,
                   "model \"%s\" has no primary key column; mark one with \"primary_key\": true",
                   m->name);
    return true;
}

/* ---- relationships ------------------------------------------------------- */

/* Returns false when the relationship cannot be cross-checked (not an
 * object, unknown kind). */
static bool parse_relationship(cfg__ctx *ctx, const cfg_model *m, cfg_relationship *r,
                               const char *name, const json_t *spec)
{
    r->name = arena_strdup(ctx->a, name);
    const char *ptr = cfg__rel_ptr(ctx, m, r);
    if (!cfg__is_identifier(name))
        bad_name(ctx, ptr, "relationship", name);
    if (cfg_column_by_name(m, name))
        cfg__error(ctx, ptr, "relationship \"%s\" has the same name as a column of \"%s\"", name,
                   m->name);
    if (!json_is_object(spec)) {
        cfg__error(ctx, ptr, "relationship \"%s\" must be an object, got %s", name,
                   jsonkind_name(spec));
        return false;
    }
    cfg__check_keys(ctx, spec, ptr, REL_KEYS);

    if (!has(spec, "target"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "target"),
                   "relationship \"%s\" needs a \"target\" model", name);
    else
        cfg__get_string(ctx, spec, ptr, "target", &r->target_name);

    bool kind_ok = false;
    const json_t *kind = json_object_get(spec, "kind");
    if (!kind)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "kind"),
                   "relationship \"%s\" needs a \"kind\": one of %s", name, cfg__rel_kind_list());
    else if (!json_is_string(kind))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "kind"), "\"kind\" must be a string, got %s",
                   jsonkind_name(kind));
    else if (!(kind_ok = cfg__rel_kind_from_name(json_string_value(kind), &r->kind)))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "kind"),
                   "unknown relationship kind \"%s\"; expected one of %s", json_string_value(kind),
                   cfg__rel_kind_list());

    const json_t *fk = json_object_get(spec, "foreign_key");
    if (json_is_array(fk)) /* a composite key: one of the owner's "foreign_keys" */
        r->n_foreign_key_columns = identifiers(ctx, fk, cfg__ptr(ctx, ptr, "foreign_key"),
                                               &r->foreign_key_columns);
    else
        cfg__get_identifier(ctx, spec, ptr, "foreign_key", &r->foreign_key);
    cfg__get_string(ctx, spec, ptr, "secondary", &r->secondary_name);
    cfg__get_identifier(ctx, spec, ptr, "back_populates", &r->back_populates);

    const char *lazy = NULL;
    r->lazy = CFG_LOAD_RAISE;
    if (cfg__get_string(ctx, spec, ptr, "lazy", &lazy) && lazy &&
        !cfg_strategy_from_name(lazy, false, &r->lazy))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "lazy"),
                   "unknown loader strategy \"%s\"; expected one of %s", lazy, cfg__lazy_list());

    const char *order_by = NULL;
    if (cfg__get_string(ctx, spec, ptr, "order_by", &order_by) && order_by) {
        if (cfg__is_identifier(order_by + (order_by[0] == '-')))
            r->order_by = order_by;
        else
            cfg__error(ctx, cfg__ptr(ctx, ptr, "order_by"),
                       "\"order_by\" must be a column name, optionally preceded by '-', got \"%s\"",
                       order_by);
    }

    if (!kind_ok)
        return false;
    const char *kname = cfg_rel_kind_name(r->kind);
    if (r->kind == CFG_REL_MANY_TO_MANY) {
        if (has(spec, "foreign_key"))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "foreign_key"),
                       "a many_to_many relationship takes no \"foreign_key\": the keys of its "
                       "\"secondary\" model are used");
        if (!has(spec, "secondary"))
            cfg__error(ctx, cfg__ptr(ctx, ptr, "secondary"),
                       "a many_to_many relationship needs a \"secondary\" association model");
        return true;
    }
    if (has(spec, "secondary"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "secondary"),
                   "\"secondary\" applies only to many_to_many relationships, not %s", kname);
    if (!has(spec, "foreign_key"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "foreign_key"),
                   r->kind == CFG_REL_MANY_TO_ONE
                       ? "a many_to_one relationship needs a \"foreign_key\": a column of this "
                         "model that references the target's table"
                       : "a one_to_many relationship needs a \"foreign_key\": a column of the "
                         "target that references this model's table");
    if (r->kind == CFG_REL_MANY_TO_ONE && has(spec, "order_by"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "order_by"),
                   "\"order_by\" applies only to one_to_many and many_to_many relationships");
    return true;
}

static void parse_relationships(cfg__ctx *ctx, cfg_model *m, cfg__model_state *st,
                                const json_t *spec, const char *ptr)
{
    const json_t *rels = json_object_get(spec, "relationships");
    if (!rels)
        return;
    if (!json_is_object(rels)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, "relationships"),
                   "\"relationships\" must be an object, got %s", jsonkind_name(rels));
        return;
    }
    size_t n = json_object_size(rels);
    if (n == 0)
        return;
    m->relationships = ARENA_ARRAY(ctx->a, cfg_relationship, n);
    st->rel_bad = ARENA_ARRAY(ctx->scratch, bool, n);
    const char *name;
    json_t *spec_r;
    json_t *o = (json_t *) rels;
    json_object_foreach(o, name, spec_r)
    {
        size_t i = m->n_relationships++;
        st->rel_bad[i] = !parse_relationship(ctx, m, &m->relationships[i], name, spec_r);
    }
}

/* ---- composite foreign keys --------------------------------------------- */

/* A non-empty array of identifiers into *out (in the arena); its length, 0
 * after a problem (reported at ptr). */
static size_t identifiers(cfg__ctx *ctx, const json_t *arr, const char *ptr,
                          const char *const **out)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0) {
        cfg__error(ctx, ptr, "expected a non-empty array of names, got %s", jsonkind_name(arr));
        return 0;
    }
    const char **names = ARENA_ARRAY(ctx->a, const char *, n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(arr, i));
        if (!v || !*v) {
            cfg__error(ctx, cfg__ptr_index(ctx, ptr, i), "expected a name");
            ok = false;
        }
        names[i] = v ? arena_strdup(ctx->a, v) : "";
    }
    *out = names;
    return ok ? n : 0;
}

/* "foreign_keys": [{"columns": [...], "references": ["table.col", ...]}];
 * the columns and the referenced model are checked in cfg_resolve.c. */
static void parse_foreign_keys(cfg__ctx *ctx, cfg_model *m, const json_t *spec, const char *ptr)
{
    const json_t *fks = json_object_get(spec, "foreign_keys");
    if (!fks)
        return;
    const char *fptr = cfg__ptr(ctx, ptr, "foreign_keys");
    if (!json_is_array(fks)) {
        cfg__error(ctx, fptr, "\"foreign_keys\" must be an array of {\"columns\": [...], "
                              "\"references\": [\"table.column\", ...]}, got %s",
                   jsonkind_name(fks));
        return;
    }
    m->foreign_keys = ARENA_ARRAY(ctx->a, cfg_foreign_key, json_array_size(fks) + 1);
    for (size_t i = 0; i < json_array_size(fks); i++) {
        const json_t *f = json_array_get(fks, i);
        const char *iptr = cfg__ptr_index(ctx, fptr, i);
        if (!json_is_object(f)) {
            cfg__error(ctx, iptr, "a foreign key must be an object, got %s", jsonkind_name(f));
            continue;
        }
        cfg__check_keys(ctx, f, iptr, FK_KEYS);
        cfg_foreign_key k = {0};
        const char *const *refs = NULL;
        size_t n = identifiers(ctx, json_object_get(f, "columns"), cfg__ptr(ctx, iptr, "columns"),
                               &k.columns);
        size_t nr = identifiers(ctx, json_object_get(f, "references"),
                                cfg__ptr(ctx, iptr, "references"), &refs);
        if (!n || !nr)
            continue;
        if (n != nr) {
            cfg__error(ctx, cfg__ptr(ctx, iptr, "references"),
                       "\"references\" names %zu columns for %zu columns", nr, n);
            continue;
        }
        const char **ref_cols = ARENA_ARRAY(ctx->a, const char *, n);
        bool ok = true;
        for (size_t c = 0; c < n && ok; c++) {
            const char *dot = strrchr(refs[c], '.');
            const char *table = dot ? arena_strndup(ctx->a, refs[c], (size_t) (dot - refs[c])) : NULL;
            ok = dot && dot[1] && (!k.ref_table || strcmp(k.ref_table, table) == 0);
            if (!ok)
                cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, iptr, "references"), c),
                           "expected \"table.column\", every one of the same table, got \"%s\"",
                           refs[c]);
            k.ref_table = table;
            ref_cols[c] = dot ? dot + 1 : "";
        }
        if (!ok)
            continue;
        k.ref_columns = ref_cols;
        k.n_columns = n;
        m->foreign_keys[m->n_foreign_keys++] = k;
    }
}

/* ---- checks and version column ------------------------------------------ */

static void parse_checks(cfg__ctx *ctx, cfg_model *m, const json_t *spec, const char *ptr)
{
    const json_t *checks = json_object_get(spec, "checks");
    if (!checks)
        return;
    const char *cptr = cfg__ptr(ctx, ptr, "checks");
    if (!json_is_object(checks)) {
        cfg__error(ctx, cptr, "\"checks\" must be an object of name: SQL expression, got %s",
                   jsonkind_name(checks));
        return;
    }
    if (json_object_size(checks) == 0)
        return;
    m->checks = ARENA_ARRAY(ctx->a, cfg_check, json_object_size(checks));
    const char *name;
    json_t *expr;
    json_t *o = (json_t *) checks;
    json_object_foreach(o, name, expr)
    {
        const char *eptr = cfg__ptr(ctx, cptr, name);
        bool ok = true;
        if (!cfg__is_identifier(name)) {
            bad_name(ctx, eptr, "check", name);
            ok = false;
        }
        if (!json_is_string(expr) || json_string_length(expr) == 0) {
            cfg__error(ctx, eptr, "check \"%s\" must be a non-empty SQL expression string, got %s",
                       name, jsonkind_name(expr));
            ok = false;
        }
        if (!ok)
            continue;
        cfg_check *ck = &m->checks[m->n_checks++];
        ck->name = arena_strdup(ctx->a, name);
        ck->expression = arena_strdup(ctx->a, json_string_value(expr));
    }
}

static void parse_version_column(cfg__ctx *ctx, cfg_model *m, const cfg__model_state *st,
                                 const json_t *spec, const char *ptr)
{
    const char *name = NULL;
    if (!cfg__get_string(ctx, spec, ptr, "version_column", &name) || !name)
        return;
    const char *vptr = cfg__ptr(ctx, ptr, "version_column");
    const cfg_column *c = cfg_column_by_name(m, name);
    if (!c) {
        if (m->n_columns > 0) /* else "columns" is already reported */
            cfg__error(ctx, vptr,
                       "\"version_column\" names \"%s\", which is not a column of \"%s\"", name,
                       m->name);
        return;
    }
    if (st->col_bad[c - m->columns])
        return;
    if (c->type != CFG_TYPE_INTEGER && c->type != CFG_TYPE_BIGINT) {
        cfg__error(ctx, vptr, "version column \"%s\" must be integer or bigint, not %s", name,
                   cfg_type_name(c->type));
        return;
    }
    m->version_column = c->name;
}

/* ---- models --------------------------------------------------------------- */

static void parse_table(cfg__ctx *ctx, cfg_model *m, cfg__model_state *st, const json_t *spec,
                        const char *ptr)
{
    const char *tptr = cfg__ptr(ctx, ptr, "table");
    if (!has(spec, "table")) {
        cfg__error(ctx, tptr, "model \"%s\" needs a \"table\"", m->name);
        st->broken = true;
        return;
    }
    if (!cfg__get_identifier(ctx, spec, ptr, "table", &m->table)) {
        st->broken = true;
        return;
    }
    cfg__get_identifier(ctx, spec, ptr, "schema", &m->schema);
    for (const char *const *r = RESERVED_TABLES; *r; r++) {
        if (strcmp(*r, m->table) == 0) {
            cfg__error(ctx, tptr,
                       "table \"%s\" cannot be a resource: /api/%s is a route of its own", *r, *r);
            st->broken = true;
        }
    }
}

static void parse_model(cfg__ctx *ctx, cfg_model *m, cfg__model_state *st, const char *name,
                        const json_t *spec)
{
    m->name = arena_strdup(ctx->a, name);
    const char *ptr = cfg__model_ptr(ctx, m);
    if (!cfg__is_identifier(name))
        bad_name(ctx, ptr, "model", name);
    if (!json_is_object(spec)) {
        cfg__error(ctx, ptr, "model \"%s\" must be an object, got %s", name, jsonkind_name(spec));
        st->broken = true;
        return;
    }
    cfg__check_keys(ctx, spec, ptr, MODEL_KEYS);
    parse_table(ctx, m, st, spec, ptr);
    if (!parse_columns(ctx, m, st, spec, ptr))
        st->broken = true;
    parse_relationships(ctx, m, st, spec, ptr);
    parse_checks(ctx, m, spec, ptr);
    parse_foreign_keys(ctx, m, spec, ptr);
    parse_version_column(ctx, m, st, spec, ptr);
    cfg__get_bool(ctx, spec, ptr, "read_only", &m->read_only);
    if (m->n_columns > 0)
        cfg__parse_permissions(ctx, m, spec, ptr);
}

void cfg__parse_models(cfg__ctx *ctx, const json_t *models, const char *ptr)
{
    if (!json_is_object(models)) {
        cfg__error(ctx, ptr, "\"models\" must be an object, got %s", jsonkind_name(models));
        return;
    }
    size_t n = json_object_size(models);
    if (n == 0)
        return;
    cfg_config *cfg = ctx->cfg;
    cfg->models = ARENA_ARRAY(ctx->a, cfg_model, n);
    ctx->ms = ARENA_ARRAY(ctx->scratch, cfg__model_state, n);
    const char *name;
    json_t *spec;
    json_t *o = (json_t *) models;
    json_object_foreach(o, name, spec)
    {
        size_t i = cfg->n_models++;
        parse_model(ctx, &cfg->models[i], &ctx->ms[i], name, spec);
    }
}
