/*
 * schema_diff — the DDL that would make the catalog match the models
 * (Alembic's autogenerate, Prisma's migrate diff): the models' Core
 * metadata (what `schema create` would build) against the catalog of the
 * models' schema.
 *
 * Compared: tables, columns (type with modifiers, nullability, default,
 * identity), primary keys, unique keys and foreign keys (by their columns,
 * whatever their names), the indexes foreign keys need, CHECK constraints
 * (by name: PostgreSQL rewrites their text), enum types and labels.
 * Views (read-only models) are never created or dropped. Statements that
 * can lose data (dropping a table or a column, changing a type, dropping a
 * primary key) are marked destructive.
 *
 * Defaults are compared after normalising both sides the way PostgreSQL
 * prints them back: casts ("'NL'::bpchar") and outer parentheses dropped,
 * case folded outside quoted literals.
 */
#include <ctype.h>

#include "schema_int.h"

typedef struct dctx {
    arena *a;
    schema_changes *out;
    const char *schema; /* the default schema: tables that name none */
} dctx;

static void add(dctx *d, bool destructive, const char *why, const char *sql)
{
    schema_changes *ch = d->out;
    schema_change *items = ARENA_ARRAY(d->a, schema_change, ch->n + 1);
    if (ch->n)
        memcpy(items, ch->items, sizeof *items * ch->n);
    items[ch->n++] = (schema_change){.sql = sql, .why = why, .destructive = destructive};
    ch->items = items;
}

static const char *ident(arena *a, const char *name)
{
    sbuf s;
    sbuf_init(&s, a, 32);
    sbuf_append_ident(&s, name);
    return sbuf_str(&s);
}

static const char *ident_list(arena *a, const char *const *names, size_t n)
{
    sbuf s;
    sbuf_init(&s, a, 64);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_append(&s, ", ");
        sbuf_append_ident(&s, names[i]);
    }
    return sbuf_str(&s);
}

static const char **column_names(arena *a, const sql_column *const *cols, size_t n)
{
    const char **names = ARENA_ARRAY(a, const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        names[i] = cols[i]->name;
    return names;
}

static bool same_names(const char *const *x, size_t nx, const char *const *y, size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (strcmp(x[i], y[i]) != 0)
            return false;
    return true;
}

/* ==== defaults ========================================================= */

/* PostgreSQL's printed form, comparable: casts and outer parentheses
 * dropped, lower case outside literals, no spaces. */
static const char *norm_default(arena *a, const char *expr)
{
    if (!expr)
        return NULL;
    sbuf s;
    sbuf_init(&s, a, strlen(expr) + 1);
    const char *p = expr;
    while (*p) {
        if (*p == '\'') {
            /* a literal, '' inside it */
            sbuf_append_char(&s, *p++);
            while (*p) {
                if (*p == '\'' && p[1] == '\'') {
                    sbuf_append(&s, "''");
                    p += 2;
                } else if (*p == '\'') {
                    break;
                } else {
                    sbuf_append_char(&s, *p++);
                }
            }
            if (*p)
                sbuf_append_char(&s, *p++);
        } else if (p[0] == ':' && p[1] == ':') {
            /* ::type [(n)] [with(out) time zone] [[]] */
            p += 2;
            while (isalnum((unsigned char) *p) || *p == '_' || *p == '"' || *p == '.' ||
                   (*p == ' ' && (strncmp(p, " with", 5) == 0 || strncmp(p, " without", 8) == 0 ||
                                  strncmp(p, " time", 5) == 0 || strncmp(p, " zone", 5) == 0 ||
                                  strncmp(p, " varying", 8) == 0 ||
                                  strncmp(p, " precision", 10) == 0)))
                p++;
            if (*p == '(') {
                while (*p && *p != ')')
                    p++;
                if (*p)
                    p++;
            }
            while (p[0] == '[' && p[1] == ']')
                p += 2;
        } else if (*p == ' ') {
            p++;
        } else {
            sbuf_append_char(&s, (char) tolower((unsigned char) *p++));
        }
    }
    const char *t = sbuf_str(&s);
    size_t n = strlen(t);
    while (n >= 2 && t[0] == '(' && t[n - 1] == ')') {
        t++;
        n -= 2;
    }
    return arena_strndup(a, t, n);
}

static bool catalog_autoincrement(const schema_column *c)
{
    return c->identity || (c->default_expr && strncmp(c->default_expr, "nextval(", 8) == 0);
}

/* ==== one table ======================================================== */

/* "schema"."table" for a table of another schema, else "table". */
static const char *table_ident(arena *a, const sql_table *t)
{
    sbuf s;
    sbuf_init(&s, a, 32);
    sql_append_table_ident(&s, t);
    return sbuf_str(&s);
}

static const char *alter(arena *a, const sql_table *t)
{
    return arena_sprintf(a, "ALTER TABLE %s ", table_ident(a, t));
}

/* A catalog foreign key to fk's target: same table, in its schema. */
static bool same_target(const schema_fk *cfk, const sql_foreign_key *fk, const char *dflt)
{
    return strcmp(cfk->ref_table, schema__table_name(fk->ref_table)) == 0 &&
           strcmp(cfk->ref_schema, schema__table_schema(fk->ref_table, dflt)) == 0;
}

static void diff_column(dctx *d, const sql_table *t, const sql_column *c,
                        const schema_column *cc)
{
    arena *a = d->a;
    const char *col = ident(a, c->name);
    sql_type have;
    bool known = schema__catalog_type(cc, &have);
    if (!known || !schema__same_type(c->type, have)) {
        const char *ddl = sql_type_ddl(a, c->type);
        add(d, true,
            arena_sprintf(a, "changes the type of \"%s\".\"%s\" from %s to %s", t->name, c->name,
                          cc->type_sql, ddl),
            arena_sprintf(a, "%sALTER COLUMN %s TYPE %s USING %s::%s", alter(a, t), col, ddl, col,
                          ddl));
    }
    if (!c->nullable && !cc->not_null)
        add(d, false, NULL, arena_sprintf(a, "%sALTER COLUMN %s SET NOT NULL", alter(a, t), col));
    else if (c->nullable && cc->not_null && !c->primary_key)
        add(d, false, NULL, arena_sprintf(a, "%sALTER COLUMN %s DROP NOT NULL", alter(a, t), col));
    if (c->generated || cc->generated)
        return; /* PostgreSQL 15 cannot change a generation expression in place */
    bool cat_auto = catalog_autoincrement(cc);
    if (c->autoincrement && !cat_auto) {
        add(d, false, NULL,
            arena_sprintf(a, "%sALTER COLUMN %s ADD GENERATED BY DEFAULT AS IDENTITY",
                          alter(a, t), col));
        return;
    }
    if (!c->autoincrement && cc->identity)
        add(d, false, NULL, arena_sprintf(a, "%sALTER COLUMN %s DROP IDENTITY", alter(a, t), col));
    if (c->autoincrement)
        return;
    const char *want = norm_default(a, c->server_default);
    const char *got = cat_auto && !cc->identity ? NULL : norm_default(a, cc->default_expr);
    if (want && (!got || strcmp(want, got) != 0))
        add(d, false, NULL,
            arena_sprintf(a, "%sALTER COLUMN %s SET DEFAULT %s", alter(a, t), col,
                          c->server_default));
    else if (!want && got)
        add(d, false, NULL, arena_sprintf(a, "%sALTER COLUMN %s DROP DEFAULT", alter(a, t), col));
}

/* Does an index or key of the catalog table lead with cols? */
static bool catalog_covers(const schema_table *ct, const char *const *cols, size_t n)
{
    const schema_key *keys[64];
    size_t nk = 0;
    keys[nk++] = &ct->pk;
    for (size_t i = 0; i < ct->n_uniques && nk < 64; i++)
        keys[nk++] = &ct->uniques[i];
    for (size_t i = 0; i < ct->n_indexes && nk < 64; i++)
        keys[nk++] = &ct->indexes[i];
    for (size_t k = 0; k < nk; k++) {
        if (keys[k]->n_columns < n || n == 0)
            continue;
        bool lead = true;
        for (size_t i = 0; i < n && lead; i++)
            lead = strcmp(keys[k]->columns[i], cols[i]) == 0;
        if (lead)
            return true;
    }
    return false;
}

static void diff_table(dctx *d, const sql_table *t, const schema_table *ct)
{
    arena *a = d->a;
    for (size_t i = 0; i < t->n_columns; i++) {
        const sql_column *c = t->columns[i];
        const schema_column *cc = schema_table_column(ct, c->name);
        if (!cc)
            add(d, false, NULL,
                arena_sprintf(a, "%sADD COLUMN %s", alter(a, t), sql_compile_column_def(c, a)));
        else
            diff_column(d, t, c, cc);
    }
    /* primary key */
    const char **pk = column_names(a, t->primary_key, t->n_primary_key);
    if (!same_names(pk, t->n_primary_key, ct->pk.columns, ct->pk.n_columns)) {
        if (ct->pk.n_columns)
            add(d, true,
                arena_sprintf(a, "drops the primary key %s of \"%s\"", ct->pk.name, t->name),
                arena_sprintf(a, "%sDROP CONSTRAINT %s", alter(a, t), ident(a, ct->pk.name)));
        if (t->n_primary_key)
            add(d, false, NULL,
                arena_sprintf(a, "%sADD CONSTRAINT %s PRIMARY KEY (%s)", alter(a, t),
                              ident(a, t->pk_name), ident_list(a, pk, t->n_primary_key)));
    }
    /* unique keys, by columns */
    for (size_t i = 0; i < t->n_uniques; i++) {
        const sql_unique *u = &t->uniques[i];
        const char **cols = column_names(a, u->columns, u->n_columns);
        bool found = false;
        for (size_t k = 0; k < ct->n_uniques && !found; k++)
            found = same_names(cols, u->n_columns, ct->uniques[k].columns,
                               ct->uniques[k].n_columns);
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sADD CONSTRAINT %s UNIQUE (%s)", alter(a, t), ident(a, u->name),
                              ident_list(a, cols, u->n_columns)));
    }
    for (size_t k = 0; k < ct->n_uniques; k++) {
        bool found = false;
        for (size_t i = 0; i < t->n_uniques && !found; i++)
            found = same_names(column_names(a, t->uniques[i].columns, t->uniques[i].n_columns),
                               t->uniques[i].n_columns, ct->uniques[k].columns,
                               ct->uniques[k].n_columns);
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sDROP CONSTRAINT %s", alter(a, t),
                              ident(a, ct->uniques[k].name)));
    }
    /* foreign keys, by columns and target */
    for (size_t i = 0; i < t->n_foreign_keys; i++) {
        const sql_foreign_key *fk = &t->foreign_keys[i];
        const char **cols = column_names(a, fk->columns, fk->n_columns);
        bool found = false;
        for (size_t k = 0; k < ct->n_fks && !found; k++)
            found = same_names(cols, fk->n_columns, ct->fks[k].columns, ct->fks[k].n_columns) &&
                    same_target(&ct->fks[k], fk, d->schema);
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)",
                              alter(a, t), ident(a, fk->name), ident_list(a, cols, fk->n_columns),
                              table_ident(a, fk->ref_table),
                              ident_list(a, column_names(a, fk->ref_columns, fk->n_columns),
                                         fk->n_columns)));
        const char *ix = sql_compile_fk_index(t, fk, a);
        if (ix && !catalog_covers(ct, cols, fk->n_columns))
            add(d, false, NULL, ix);
    }
    for (size_t k = 0; k < ct->n_fks; k++) {
        bool found = false;
        for (size_t i = 0; i < t->n_foreign_keys && !found; i++) {
            const sql_foreign_key *fk = &t->foreign_keys[i];
            found = same_names(column_names(a, fk->columns, fk->n_columns), fk->n_columns,
                               ct->fks[k].columns, ct->fks[k].n_columns) &&
                    same_target(&ct->fks[k], fk, d->schema);
        }
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sDROP CONSTRAINT %s", alter(a, t), ident(a, ct->fks[k].name)));
    }
    /* checks, by name */
    for (size_t i = 0; i < t->n_checks; i++) {
        bool found = false;
        for (size_t k = 0; k < ct->n_checks && !found; k++)
            found = strcmp(ct->checks[k].name, t->checks[i].name) == 0;
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sADD CONSTRAINT %s CHECK (%s)", alter(a, t),
                              ident(a, t->checks[i].name), t->checks[i].expr));
    }
    for (size_t k = 0; k < ct->n_checks; k++) {
        bool found = false;
        for (size_t i = 0; i < t->n_checks && !found; i++)
            found = strcmp(ct->checks[k].name, t->checks[i].name) == 0;
        if (!found)
            add(d, false, NULL,
                arena_sprintf(a, "%sDROP CONSTRAINT %s", alter(a, t), ident(a, ct->checks[k].name)));
    }
    /* columns the models no longer have, last: constraints on them go first */
    for (size_t k = 0; k < ct->n_columns; k++) {
        const char *name = ct->columns[k].name;
        bool found = false;
        for (size_t i = 0; i < t->n_columns && !found; i++)
            found = strcmp(t->columns[i]->name, name) == 0;
        if (!found)
            add(d, true,
                arena_sprintf(a, "drops column \"%s\".\"%s\" and its data", t->name, name),
                arena_sprintf(a, "%sDROP COLUMN %s", alter(a, t), ident(a, name)));
    }
}

/* ==== enums ============================================================ */

static void diff_enums(dctx *d, const sql_metadata *md, const schema_catalog *cat,
                       const char *schema)
{
    arena *a = d->a;
    const char **seen = ARENA_ARRAY(a, const char *, 1);
    size_t n_seen = 0;
    for (size_t i = 0; i < md->n_tables; i++)
        for (size_t k = 0; k < md->tables[i]->n_columns; k++) {
            const sql_column *c = md->tables[i]->columns[k];
            if (c->type.kind != SQL_TYPE_ENUM)
                continue;
            bool done = false;
            for (size_t s = 0; s < n_seen && !done; s++)
                done = strcmp(seen[s], c->type.name) == 0;
            if (done)
                continue;
            const char **grown = ARENA_ARRAY(a, const char *, n_seen + 1);
            if (n_seen)
                memcpy(grown, seen, sizeof *seen * n_seen);
            grown[n_seen++] = c->type.name;
            seen = grown;
            const schema_enum *e = schema_catalog_enum(cat, schema, c->type.name);
            if (!e) {
                add(d, false, NULL, sql_compile_create_enum(c, a));
                continue;
            }
            for (size_t l = 0; l < c->n_choices; l++) {
                bool have = false;
                for (size_t m = 0; m < e->n_labels && !have; m++)
                    have = strcmp(e->labels[m], c->choices[l]) == 0;
                if (have)
                    continue;
                sbuf s;
                sbuf_init(&s, a, 64);
                sbuf_append(&s, "ALTER TYPE ");
                sbuf_append_ident(&s, c->type.name);
                sbuf_append(&s, " ADD VALUE IF NOT EXISTS ");
                sbuf_append_literal(&s, c->choices[l]);
                add(d, false, NULL, sbuf_str(&s));
            }
        }
}

/* ==== entry points ===================================================== */

static bool kept(const char *table, const char *const *keep, size_t n_keep)
{
    for (size_t i = 0; i < n_keep; i++)
        if (strcmp(keep[i], table) == 0)
            return true;
    return false;
}

/* Whether a model has catalog table ct (in its schema, by its name). */
static bool modelled(const sql_metadata *md, const schema_table *ct, const char *dflt)
{
    for (size_t i = 0; i < md->n_tables; i++)
        if (strcmp(schema__table_name(md->tables[i]), ct->name) == 0 &&
            strcmp(schema__table_schema(md->tables[i], dflt), ct->schema) == 0)
            return true;
    return false;
}

bool schema_diff(const sql_metadata *md, const schema_catalog *cat, const char *schema,
                 const char *const *keep, size_t n_keep, arena *a, schema_changes *out,
                 err_report *err)
{
    *out = (schema_changes){0};
    dctx d = {.a = a, .out = out, .schema = schema};
    const sql_table **order;
    if (!sql_metadata_create_order(md, a, &order, err))
        return false;
    diff_enums(&d, md, cat, schema);
    for (size_t i = 0; i < md->n_tables; i++) {
        const sql_table *t = order[i];
        if (t->view)
            continue;
        const schema_table *ct = schema__catalog_of(cat, t, schema);
        if (ct) {
            diff_table(&d, t, ct);
            continue;
        }
        sql_stmts create = {0};
        if (t->schema) /* a table of its own schema: the schema may be new too */
            add(&d, false, NULL,
                arena_sprintf(a, "CREATE SCHEMA IF NOT EXISTS %s", ident(a, t->schema)));
        if (!sql_compile_create_table(t, a, &create, err))
            return false;
        for (size_t k = 0; k < create.n; k++)
            add(&d, false, NULL, create.items[k]);
    }
    /* Tables the models do not have: drop those nothing else left points
     * at first. retort's own bookkeeping table stays. */
    size_t n = cat->n_tables;
    bool *drop = ARENA_ARRAY(a, bool, n + 1);
    for (size_t i = 0; i < n; i++) {
        const schema_table *ct = &cat->tables[i];
        drop[i] = (ct->kind == 'r' || ct->kind == 'p') &&
                  strcmp(ct->name, SCHEMA_MIGRATIONS_TABLE) != 0 &&
                  !kept(ct->name, keep, n_keep) && !modelled(md, ct, schema);
    }
    for (size_t round = 0; round < n; round++)
        for (size_t i = 0; i < n; i++) {
            if (!drop[i])
                continue;
            bool referenced = false;
            for (size_t j = 0; j < n && !referenced; j++)
                for (size_t k = 0; j != i && drop[j] && k < cat->tables[j].n_fks; k++)
                    referenced |= strcmp(cat->tables[j].fks[k].ref_table, cat->tables[i].name) == 0;
            if (referenced && round + 1 < n)
                continue;
            drop[i] = false;
            const schema_table *ct = &cat->tables[i];
            const char *name = strcmp(ct->schema, schema) == 0
                                   ? ident(a, ct->name)
                                   : arena_sprintf(a, "%s.%s", ident(a, ct->schema),
                                                   ident(a, ct->name));
            add(&d, true, arena_sprintf(a, "drops table %s and its data", name),
                arena_sprintf(a, "DROP TABLE %s", name));
        }
    return true;
}

const char *schema_changes_script(const schema_changes *ch, arena *a)
{
    sbuf s;
    sbuf_init(&s, a, 1024);
    for (size_t i = 0; i < ch->n; i++) {
        if (ch->items[i].destructive)
            sbuf_printf(&s, "-- destructive: %s\n", ch->items[i].why);
        sbuf_append(&s, ch->items[i].sql);
        sbuf_append(&s, ";\n");
    }
    return sbuf_str(&s);
}

bool schema_diff_database(eng_pool *pool, const cfg_config *cfg, arena *a,
                          schema_changes *out, err_report *err)
{
    sql_metadata *md = orm_metadata_from_config(a, cfg, err);
    if (!md)
        return false;
    eng_conn *c = eng_pool_checkout(pool, err);
    if (!c)
        return false;
    const char *schema = schema_default_name(cfg);
    size_t n_schemas = 0;
    const char **schemas = schema__model_schemas(md, schema, a, &n_schemas);
    schema_catalog *cat = schema_catalog_read(c, a, schemas, n_schemas, err);
    eng_pool_checkin(pool, c);
    return cat && schema_diff(md, cat, schema, cfg->reflect.exclude, cfg->reflect.n_exclude, a,
                              out, err);
}

const char *schema_default_name(const cfg_config *cfg)
{
    return cfg->reflect.n_schemas ? cfg->reflect.schemas[0] : "public";
}
