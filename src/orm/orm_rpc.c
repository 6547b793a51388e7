/*
 * orm_rpc — named SQL queries from the configuration (SQLAlchemy's
 * session.execute(text(sql), params)): checked once at start-up, run in
 * the request's session with every value a typed parameter.
 */
#include <string.h>

#include <jansson.h>

#include "orm_int.h"

sql_type_kind orm_query_type(cfg_type type)
{
    /* config and Core spell the types the same way */
    sql_type_kind kind = SQL_TYPE_TEXT;
    sql_type_kind_parse(cfg_type_name(type), &kind);
    return kind;
}

static const char *param_pointer(arena *a, const cfg_query *q, const char *param)
{
    return arena_sprintf(a, "/queries/%s/params/%s", q->name, param);
}

static bool check_one(const cfg_query *q, arena *a, err_report *err)
{
    err_report local;
    err_init(&local, a);
    sql_builder *b = sql_builder_new(a, &local);
    sql_text *t = sql_text_new(b, q->sql);
    if (!t) {
        err_add_item(err, ERR_CONFIG, arena_sprintf(a, "/queries/%s/sql", q->name),
                     "The SQL cannot be used: %s",
                     local.n_items ? local.items[0].detail : local.detail);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < t->n_names; i++) {
        bool declared = false;
        for (size_t p = 0; p < q->n_params && !declared; p++)
            declared = strcmp(q->params[p].name, t->names[i]) == 0;
        if (!declared) {
            err_add_item(err, ERR_CONFIG, arena_sprintf(a, "/queries/%s/params", q->name),
                         "The SQL uses :%s, which \"params\" does not declare.", t->names[i]);
            ok = false;
        }
    }
    for (size_t p = 0; p < q->n_params; p++) {
        bool used = false;
        for (size_t i = 0; i < t->n_names && !used; i++)
            used = strcmp(q->params[p].name, t->names[i]) == 0;
        if (!used) {
            err_add_item(err, ERR_CONFIG, param_pointer(a, q, q->params[p].name),
                         "The parameter %s is declared but the SQL never uses :%s.",
                         q->params[p].name, q->params[p].name);
            ok = false;
        }
    }
    return ok;
}

bool orm_queries_check(const cfg_config *cfg, arena *a, err_report *err)
{
    bool ok = true;
    for (size_t i = 0; i < cfg->n_queries; i++)
        ok &= check_one(&cfg->queries[i], a, err);
    if (!ok && !err->detail)
        err->detail = "A named query in the configuration does not match its parameters.";
    return ok;
}

eng_result *orm_session_run_query(orm_session *s, const cfg_query *q, const sql_value *values,
                                  err_report *err)
{
    sql_builder *b = orm__builder(s, err);
    sql_text *t = sql_text_new(b, q->sql);
    for (size_t p = 0; t && p < q->n_params; p++)
        sql_text_bind_typed(b, t, q->params[p].name, values[p], orm_query_type(q->params[p].type));
    if (!orm__builder_ok(b, err))
        return NULL;
    if (q->read_only) {
        eng_conn *c = orm_session_connection(s, err);
        if (!c || !eng_exec_command(c, "SET TRANSACTION READ ONLY", err))
            return NULL;
    }
    return orm_session_execute_stmt(s, SQL_NODE(t), err);
}

/* A column standing for a declared parameter, so the value rules of
 * query documents apply to it unchanged ("<query>.<param>" in messages). */
static sql_column param_column(const sql_table *query, const cfg_query_param *p)
{
    sql_column c = {0};
    c.table = query;
    c.name = p->name;
    c.type = sql_type_of(orm_query_type(p->type));
    c.nullable = true;
    return c;
}

static bool known_param(const cfg_query *q, const char *name)
{
    for (size_t i = 0; i < q->n_params; i++)
        if (strcmp(q->params[i].name, name) == 0)
            return true;
    return false;
}

eng_result *orm_session_run_query_params(orm_session *s, const cfg_query *q, const json_t *body,
                                         const char *const *names, const char *const *texts,
                                         size_t n, err_report *err)
{
    arena *a = s->arena;
    if (body && !json_is_object(body)) {
        err_add_item(err, ERR_VALIDATION, "", "The body is an object of the query's parameters.");
        return NULL;
    }
    /* Unknown names first: a typo must not pass as a missing value. */
    for (size_t i = 0; !body && i < n; i++)
        if (!known_param(q, names[i]))
            err_add_item(err, ERR_VALIDATION, err_pointer_join(a, "", names[i]),
                         "Unknown parameter \"%s\" of the query %s.", names[i], q->name);
    const char *key;
    const json_t *v;
    if (body)
        json_object_foreach((json_t *) body, key, v)
        {
            if (!known_param(q, key))
                err_add_item(err, ERR_VALIDATION, err_pointer_join(a, "", key),
                             "Unknown parameter \"%s\" of the query %s.", key, q->name);
        }
    sql_builder *b = sql_builder_new(a, err);
    sql_value *values = ARENA_ARRAY(a, sql_value, q->n_params + 1);
    sql_table query = {0};
    query.name = q->name;
    for (size_t i = 0; i < q->n_params; i++) {
        const cfg_query_param *p = &q->params[i];
        sql_column col = param_column(&query, p);
        const char *pointer = err_pointer_join(a, "", p->name);
        const char *text = NULL;
        for (size_t j = 0; !body && j < n && !text; j++)
            if (strcmp(names[j], p->name) == 0)
                text = texts[j];
        const json_t *jv = body ? json_object_get(body, p->name) : NULL;
        if (!text && !jv) {
            err_add_item(err, ERR_VALIDATION, pointer, "The parameter %s (%s) is required.",
                         p->name, cfg_type_name(p->type));
            continue;
        }
        if (body)
            orm_value_json(b, &col, jv, pointer, &values[i], err);
        else
            orm_value_text(b, &col, text, pointer, &values[i], err);
    }
    if (err_is_set(err))
        return NULL;
    return orm_session_run_query(s, q, values, err);
}
