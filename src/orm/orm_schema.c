/*
 * Core metadata from the configured models: the bridge between what the
 * config declares (cfg_model) and what Core compiles against (sql_table,
 * sql_relation). Client-side defaults, loader strategies and DTO options
 * stay in the mapper; Core gets tables, keys, constraints and join paths.
 */
#include <jansson.h>
#include <stdlib.h>

#include "orm.h"
#include "sql.h"
#include "strbuf.h"

static sql_type column_type(const cfg_column *c)
{
    switch (c->type) {
    case CFG_TYPE_INTEGER:
        return sql_type_of(SQL_TYPE_INTEGER);
    case CFG_TYPE_BIGINT:
        return sql_type_of(SQL_TYPE_BIGINT);
    case CFG_TYPE_FLOAT:
        return sql_type_of(SQL_TYPE_FLOAT);
    case CFG_TYPE_NUMERIC:
        return sql_type_numeric(c->precision, c->scale);
    case CFG_TYPE_STRING:
        return sql_type_string(c->length);
    case CFG_TYPE_TEXT:
        return sql_type_of(SQL_TYPE_TEXT);
    case CFG_TYPE_BOOLEAN:
        return sql_type_of(SQL_TYPE_BOOLEAN);
    case CFG_TYPE_UUID:
        return sql_type_of(SQL_TYPE_UUID);
    case CFG_TYPE_DATE:
        return sql_type_of(SQL_TYPE_DATE);
    case CFG_TYPE_TIMESTAMPTZ:
        return sql_type_of(SQL_TYPE_TIMESTAMPTZ);
    case CFG_TYPE_JSON:
        return sql_type_of(SQL_TYPE_JSON);
    }
    return sql_type_of(SQL_TYPE_TEXT);
}

/* A client-side default also goes into the DDL, so rows inserted outside
 * retort get it too (orders.version). It is trusted config text, written
 * as a literal: numbers and booleans as they are, everything else (strings,
 * dates, JSON documents) quoted, which PostgreSQL coerces to the column
 * type. NULL when there is none or it is null. */
static const char *ddl_default(const cfg_column *c, arena *a)
{
    if (c->server_default || !c->default_json)
        return c->server_default;
    json_t *v = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
    if (!v)
        return NULL;
    sbuf s;
    sbuf_init(&s, a, 32);
    if (json_is_null(v)) {
        json_decref(v);
        return NULL;
    }
    if (json_is_string(v) && c->type != CFG_TYPE_JSON) {
        sbuf_append_literal(&s, json_string_value(v));
    } else {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (json_is_number(v) || json_is_boolean(v))
            sbuf_append(&s, text);
        else
            sbuf_append_literal(&s, text);
        free(text);
    }
    json_decref(v);
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
        for (size_t c = 0; c < m->n_columns; c++) {
            const cfg_column *col = &m->columns[c];
            sql_column_opts o = {
                .not_null = !col->nullable,
                .unique = col->unique,
                .autoincrement = col->autoincrement,
                .server_default = ddl_default(col, a),
                .choices = col->choices,
                .n_choices = col->n_choices,
                .references = col->references,
                .write_only = col->write_only,
            };
            if (!sql_table_add_column(t, col->name, column_type(col), &o, err))
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
