/*
 * Lists: GET /api/{resource} (query parameters) and POST
 * /api/{resource}/query (a query document). Entity queries go through the
 * ORM (identity map, loader strategies); aggregate documents go through
 * Core and return rows, as SQLAlchemy recommends for reporting.
 */
#include "dto.h"
#include "http_int.h"

static void run(http_request *req, bool from_document)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    arena *a = http_req_arena(req);
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    if (!m) {
        http_reply_problem(req, &err);
        return;
    }
    query_limits lim = http__api_limits(http_req_app(req));
    query_doc q;
    bool ok;
    if (from_document) {
        ok = query_parse_model(m, a, http_req_json(req), &lim, &q, &err);
    } else {
        size_t n = http_req_query_count(req);
        const char **names = ARENA_ARRAY(a, const char *, n + 1);
        const char **values = ARENA_ARRAY(a, const char *, n + 1);
        for (size_t i = 0; i < n; i++)
            http_req_query_at(req, i, &names[i], &values[i]);
        ok = query_parse_params_model(m, a, names, values, n, &lim, &q, &err);
    }
    if (ok)
        ok = http__api_write_page(http_reply_writer(req), s, m, &q, &err);
    if (!ok || !orm_session_commit(s, &err)) {
        orm_session_rollback(s);
        http_reply_problem(req, &err);
        return;
    }
    http_reply_written(req, 200);
}

void http__api_list(http_request *req)
{
    run(req, false);
}

void http__api_query(http_request *req)
{
    run(req, true);
}
