/*
 * orm_rpc — named SQL queries from the configuration (SQLAlchemy's
 * session.execute(text(sql), params)): checked once at start-up, run in
 * the request's session with every value a typed parameter.
 */
#include <string.h>

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
