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
    arena *a = http_req_arena(req);
    bool get = http_req_method(req) == HTTP_GET;
    size_t n = get ? http_req_query_count(req) : 0;
    const char **names = ARENA_ARRAY(a, const char *, n + 1);
    const char **texts = ARENA_ARRAY(a, const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        http_req_query_at(req, i, &names[i], &texts[i]);
    const json_t *body = get ? NULL : http_req_json(req);
    if (!get && !body)
        body = jsonw_arena_new(a, json_object());
    eng_result *r = orm_session_run_query_params(s, q, body, names, texts, n, &err);
    if (!r) {
        http_reply_problem(req, &err);
        return;
    }
    if (csv) {
        sbuf text;
        sbuf_init(&text, http_req_arena(req), 4096);
        dto_csv_rows(&text, r);
        http_reply_text(req, 200, "text/csv; charset=utf-8; header=present", text.data, text.len);
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
    http_reply_written(req, 200);
}
