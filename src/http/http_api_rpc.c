/*
 * Named SQL queries (config "queries", SQLAlchemy text()): POST
 * /api/rpc/{name} with a JSON object of parameters, and GET with query
 * parameters for read-only ones. Every parameter is checked against its
 * declared type (the rules of query documents) and bound; rows come back
 * in the list envelope.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

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

/* The parameter values, every problem reported (422 with pointers). */
static sql_value *read_params(http_request *req, const cfg_query *q, sql_builder *b,
                              err_report *err)
{
    arena *a = http_req_arena(req);
    sql_value *values = ARENA_ARRAY(a, sql_value, q->n_params + 1);
    bool get = http_req_method(req) == HTTP_GET;
    const json_t *body = get ? NULL : http_req_json(req);
    if (body && !json_is_object(body)) {
        err_add_item(err, ERR_VALIDATION, "", "The body is an object of the query's parameters.");
        return NULL;
    }
    /* Unknown names first: a typo must not pass as a missing value. */
    if (get) {
        for (size_t i = 0; i < http_req_query_count(req); i++) {
            const char *name, *value;
            http_req_query_at(req, i, &name, &value);
            if (!known_param(q, name))
                err_add_item(err, ERR_VALIDATION, arena_sprintf(a, "/%s", name),
                             "Unknown parameter \"%s\" of the query %s.", name, q->name);
        }
    } else if (body) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *) body, key, v)
        {
            if (!known_param(q, key))
                err_add_item(err, ERR_VALIDATION, err_pointer_join(a, "", key),
                             "Unknown parameter \"%s\" of the query %s.", key, q->name);
        }
    }
    sql_table query = {0};
    query.name = q->name;
    for (size_t i = 0; i < q->n_params; i++) {
        const cfg_query_param *p = &q->params[i];
        sql_column col = param_column(&query, p);
        const char *pointer = err_pointer_join(a, "", p->name);
        const char *text = get ? http_req_query(req, p->name) : NULL;
        const json_t *v = body ? json_object_get(body, p->name) : NULL;
        if (!text && !v) {
            err_add_item(err, ERR_VALIDATION, pointer, "The parameter %s (%s) is required.",
                         p->name, cfg_type_name(p->type));
            continue;
        }
        if (get)
            orm_value_text(b, &col, text, pointer, &values[i], err);
        else
            orm_value_json(b, &col, v, pointer, &values[i], err);
    }
    return err_is_set(err) ? NULL : values;
}

void http__api_rpc(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    const char *name = http_req_path_param(req, "name");
    const cfg_query *q = cfg_query_by_name(http_req_app(req)->config, name ? name : "");
    if (!q) {
        err_set(&err, ERR_NOT_FOUND, "There is no named query \"%s\".", name ? name : "");
        http_reply_problem(req, &err);
        return;
    }
    if (http_req_method(req) == HTTP_GET && !q->read_only) {
        err_set(&err, ERR_METHOD,
                "The query %s writes: call it with POST (GET is for read-only queries).",
                q->name);
        http_add_header(req, "Allow", "POST");
        http_reply_problem(req, &err);
        return;
    }
    bool csv = false;
    if (!http__api_format(req, q->read_only, &csv, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    orm_session *s = http_req_session(req);
    sql_builder *b = sql_builder_new(http_req_arena(req), &err);
    sql_value *values = read_params(req, q, b, &err);
    eng_result *r = values ? orm_session_run_query(s, q, values, &err) : NULL;
    if (!r) {
        orm_session_rollback(s);
        http_reply_problem(req, &err);
        return;
    }
    if (csv) {
        sbuf body;
        sbuf_init(&body, http_req_arena(req), 4096);
        dto_csv_rows(&body, r);
        if (!orm_session_commit(s, &err)) {
            http_reply_problem(req, &err);
            return;
        }
        http_reply_text(req, 200, "text/csv; charset=utf-8; header=present", body.data, body.len);
        return;
    }
    jsonw *w = http_reply_writer(req);
    http__api_envelope_begin(w);
    dto_write_rows(w, r);
    jsonw_key(w, "meta");
    jsonw_object_begin(w);
    jsonw_key(w, "limit"); /* one page holds every row the query returned */
    jsonw_integer(w, eng_result_rows(r));
    jsonw_key(w, "offset");
    jsonw_integer(w, 0);
    jsonw_key(w, "count");
    jsonw_integer(w, eng_result_rows(r));
    jsonw_object_end(w);
    jsonw_object_end(w);
    if (!orm_session_commit(s, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    http_reply_written(req, 200);
}
