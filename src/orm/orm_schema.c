/*
 * Core metadata from the configured models: the bridge between what the
 * config declares (cfg_model) and what Core compiles against (sql_table,
 * sql_relation). Client-side defaults, loader strategies and DTO options
 * stay in the mapper; Core gets tables, keys, constraints and join paths.
 */
#include <jansson.h>
#include <stdlib.h>

#include "orm_int.h"
#include "sql.h"
#include "strbuf.h"

/* One row per configuration type; cfg.h and sql.h keep their own enums
 * (config does not depend on Core), this is where they meet. */
static const sql_type_kind KINDS[] = {
    [CFG_TYPE_INTEGER] = SQL_TYPE_INTEGER,     [CFG_TYPE_BIGINT] = SQL_TYPE_BIGINT,
    [CFG_TYPE_FLOAT] = SQL_TYPE_FLOAT,         [CFG_TYPE_NUMERIC] = SQL_TYPE_NUMERIC,
    [CFG_TYPE_STRING] = SQL_TYPE_STRING,       [CFG_TYPE_TEXT] = SQL_TYPE_TEXT,
    [CFG_TYPE_BOOLEAN] = SQL_TYPE_BOOLEAN,     [CFG_TYPE_UUID] = SQL_TYPE_UUID,
    [CFG_TYPE_DATE] = SQL_TYPE_DATE,           [CFG_TYPE_TIMESTAMPTZ] = SQL_TYPE_TIMESTAMPTZ,
    [CFG_TYPE_JSON] = SQL_TYPE_JSON,           [CFG_TYPE_SMALLINT] = SQL_TYPE_SMALLINT,
    [CFG_TYPE_REAL] = SQL_TYPE_REAL,           [CFG_TYPE_CHAR] = SQL_TYPE_CHAR,
    [CFG_TYPE_TIME] = SQL_TYPE_TIME,           [CFG_TYPE_TIMESTAMP] = SQL_TYPE_TIMESTAMP,
    [CFG_TYPE_INTERVAL] = SQL_TYPE_INTERVAL,   [CFG_TYPE_JSONB] = SQL_TYPE_JSONB,
    [CFG_TYPE_BYTEA] = SQL_TYPE_BYTEA,         [CFG_TYPE_INET] = SQL_TYPE_INET,
    [CFG_TYPE_CIDR] = SQL_TYPE_CIDR,           [CFG_TYPE_ENUM] = SQL_TYPE_ENUM,
};

/* A configured column's Core type (kind, modifiers, array, enum name;
 * the name is borrowed from the config). */
static sql_type orm_column_type(const cfg_column *c)
{
    sql_type t = {.kind = (size_t) c->type < sizeof KINDS / sizeof KINDS[0] ? KINDS[c->type]
                                                                           : SQL_TYPE_TEXT};
    t.length = c->length;
    t.precision = c->precision;
    t.scale = c->scale;
    t.array = c->array;
    t.name = c->enum_name;
    return t;
}

/* One element or scalar value's PostgreSQL text: strings as they are,
 * booleans as true/false, numbers and JSON documents as JSON text. */
static const char *value_text(arena *a, const json_t *v, bool json_doc)
{
    if (json_is_string(v) && !json_doc)
        return arena_strdup(a, json_string_value(v));
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *out = arena_strdup(a, t);
    free(t);
    return out;
}

const char *orm__default_text(arena *a, const cfg_column *c)
{
    if (!c->default_json)
        return NULL;
    json_t *v = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
    bool json_doc = c->type == CFG_TYPE_JSON || c->type == CFG_TYPE_JSONB;
    const char *out = NULL;
    if (c->array && json_is_array(v)) {
        size_t n = json_array_size(v);
        sql_value *vals = ARENA_ARRAY(a, sql_value, n + 1);
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_null(e))
                vals[i] = sql_val_str(value_text(a, e, json_doc));
        }
        out = sql_array_literal(a, vals, n);
    } else if (v && !json_is_null(v)) {
        out = value_text(a, v, json_doc);
    }
    json_decref(v);
    return out;
}

/* A client-side default also goes into the DDL, so rows inserted outside
 * retort get it too (orders.version). It is trusted config text, written
 * as a literal: numbers and booleans as they are, everything else quoted,
 * which PostgreSQL coerces to the column type. */
static const char *ddl_default(const cfg_column *c, arena *a)
{
    if (c->server_default || !c->default_json)
        return c->server_default;
    const char *text = orm__default_text(a, c);
    if (!text)
        return NULL;
    json_t *v = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
    bool bare = !c->array && c->type != CFG_TYPE_JSON && c->type != CFG_TYPE_JSONB &&
                (json_is_number(v) || json_is_boolean(v));
    json_decref(v);
    if (bare)
        return text;
    sbuf s;
    sbuf_init(&s, a, 32);
    sbuf_append_literal(&s, text);
    return sbuf_str(&s);
}

/* The column a foreign-key column points at (its target's primary key
 * unless the config names another unique column). */
static const char *referenced_name(const cfg_column *fk)
{
    return fk->ref_column ? fk->ref_column->name : NULL;
}

static bool add_relation(sql_table *t, const cfg_model *m, const cfg_relationship *r, arena *a,
                         err_report *err)
{
    sql_relation_def def = {.name = r->name, .target = r->target->table};
    sql_name_pair *on = ARENA_NEW(a, sql_name_pair);
    def.on = on;
    def.n_on = 1;
    if (r->composite) { /* every column pair of the composite key */
        const cfg_foreign_key *k = r->composite;
        sql_name_pair *pairs = ARENA_ARRAY(a, sql_name_pair, k->n_columns);
        bool to_one = r->kind == CFG_REL_MANY_TO_ONE;
        for (size_t c = 0; c < k->n_columns; c++)
            pairs[c] = to_one ? (sql_name_pair){k->columns[c], k->ref_columns[c]}
                              : (sql_name_pair){k->ref_columns[c], k->columns[c]};
        def.kind = to_one ? SQL_REL_TO_ONE : SQL_REL_TO_MANY;
        def.on = pairs;
        def.n_on = k->n_columns;
        return sql_table_add_relation(t, &def, err) != NULL;
    }
    switch (r->kind) {
    case CFG_REL_MANY_TO_ONE: {
        const cfg_column *fk = cfg_column_by_name(m, r->foreign_key);
        def.kind = SQL_REL_TO_ONE;
        on->local = fk->name;
        on->remote = referenced_name(fk);
        break;
    }
    case CFG_REL_ONE_TO_MANY: {
        const cfg_column *fk = cfg_column_by_name(r->target, r->foreign_key);
        def.kind = SQL_REL_TO_MANY;
        on->local = referenced_name(fk);
        on->remote = fk->name;
        break;
    }
    case CFG_REL_MANY_TO_MANY: {
        def.kind = SQL_REL_TO_MANY;
        def.secondary = r->secondary->table;
        on->local = referenced_name(r->secondary_local);
        on->remote = r->secondary_local->name;
        sql_name_pair *second = ARENA_NEW(a, sql_name_pair);
        second->local = r->secondary_remote->name;
        second->remote = referenced_name(r->secondary_remote);
        def.secondary_on = second;
        def.n_secondary_on = 1;
        break;
    }
    }
    return sql_table_add_relation(t, &def, err) != NULL;
}

sql_metadata *orm_metadata_from_config(arena *a, const cfg_config *cfg, err_report *err)
{
    sql_metadata *md = sql_metadata_new(a);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const cfg_model *m = &cfg->models[i];
        sql_table *t = sql_table_add(md, m->table, err);
        if (!t)
            return NULL;
        if (m->schema || m->table_name)
            sql_table_set_location(t, m->schema, cfg_model_table_name(m));
        if (m->read_only)
            sql_table_mark_view(t);
        for (size_t c = 0; c < m->n_columns; c++) {
            const cfg_column *col = &m->columns[c];
            sql_column_opts o = {
                .not_null = !col->nullable,
                .unique = col->unique,
                .autoincrement = col->autoincrement,
                .server_default = ddl_default(col, a),
                .generated = col->generated,
                .choices = col->choices,
                .n_choices = col->n_choices,
                /* Core names tables by resource ("schema.table" references too) */
                .references = col->ref_model && col->ref_column
                                  ? arena_sprintf(a, "%s.%s", col->ref_model->table,
                                                  col->ref_column->name)
                                  : col->references,
                .write_only = col->write_only,
            };
            if (!sql_table_add_column(t, col->name, orm_column_type(col), &o, err))
                return NULL;
        }
        const char *pk[CFG_MAX_PK_COLUMNS];
        for (size_t k = 0; k < m->n_pk; k++)
            pk[k] = m->columns[m->pk[k]].name;
        if (!sql_table_set_primary_key(t, pk, m->n_pk, err))
            return NULL;
        for (size_t k = 0; k < m->n_checks; k++)
            if (!sql_table_add_check(t, m->checks[k].name, m->checks[k].expression, err))
                return NULL;
        for (size_t k = 0; k < m->n_foreign_keys; k++) {
            const cfg_foreign_key *fk = &m->foreign_keys[k];
            if (!sql_table_add_foreign_key(t, NULL, fk->columns, fk->n_columns,
                                           fk->ref_model ? fk->ref_model->table : fk->ref_table,
                                           fk->ref_columns, err))
                return NULL;
        }
        for (size_t r = 0; r < m->n_relationships; r++)
            if (!add_relation(t, m, &m->relationships[r], a, err))
                return NULL;
    }
    if (!sql_metadata_freeze(md, err))
        return NULL;
    return md;
}

/* Runs DDL statements in one transaction: all tables appear, or none. */
static bool run_ddl(eng_pool *pool, const sql_stmts *ddl, err_report *err)
{
    eng_conn *c = eng_pool_checkout(pool, err);
    if (!c)
        return false;
    bool ok = eng_begin(c, NULL, 0, err);
    for (size_t i = 0; ok && i < ddl->n; i++)
        ok = eng_exec_command(c, ddl->items[i], err);
    if (ok)
        ok = eng_commit(c, err);
    eng_pool_checkin(pool, c); /* rolls back what a failure left open */
    return ok;
}

bool orm_schema_create_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err)
{
    sql_stmts ddl = {0};
    return sql_compile_create_all(md, a, &ddl, err) && run_ddl(pool, &ddl, err);
}

bool orm_schema_drop_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err)
{
    sql_stmts ddl = {0};
    return sql_compile_drop_all(md, a, &ddl, err) && run_ddl(pool, &ddl, err);
}
