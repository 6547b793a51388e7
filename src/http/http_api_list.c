/*
 * Lists: GET /api/{resource} (query parameters) and POST
 * /api/{resource}/query (a query document). Entity queries go through the
 * ORM (identity map, loader strategies); aggregate documents go through
 * Core and return rows, as SQLAlchemy recommends for reporting.
 */
#include <stdlib.h>

#include "dto.h"
#include "http_int.h"

/* Aggregates: rows, not entities. */
static bool run_aggregate(jsonw *w, orm_session *s, sql_builder *b, sql_from *from,
                          const query_doc *q, err_report *err)
{
    sql_select *sel = query_select(b, from, q, err);
    eng_result *r = sel ? orm_session_execute_stmt(s, SQL_NODE(sel), err) : NULL;
    if (!r)
        return false;
    int64_t count = -1;
    if (q->count) {
        sql_select *cs = query_count_select(b, from, q, err);
        eng_result *cr = cs ? orm_session_execute_stmt(s, SQL_NODE(cs), err) : NULL;
        if (!cr)
            return false;
        count = strtoll(eng_result_value(cr, 0, 0), NULL, 10);
    }
    http__api_envelope_begin(w);
    dto_write_rows(w, r);
    http__api_envelope_end(w, q, count);
    return true;
}

/* Entities: the envelope and DTOs. */
static bool run_entities(jsonw *w, orm_session *s, const orm_mapper *m, const query_doc *q,
                         err_report *err)
{
    const orm_load_plan *plan = orm_load_plan_build(s, m, &q->load, err);
    orm_entity **items = NULL;
    size_t n = 0;
    int64_t count = -1;
    if (!plan || !query_entities(s, m, q, plan, &items, &n, &count, err))
        return false;
    http__api_envelope_begin(w);
    dto_write_entities(w, items, n, plan, q->fields, q->n_fields);
    http__api_envelope_end(w, q, count);
    return true;
}

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
    sql_builder *b = sql_builder_new(a, &err);
    sql_from *from = sql_from_table(b, m->table, NULL);
    query_limits lim = http__api_limits(http_req_app(req));
    query_doc q;
    bool ok;
    if (from_document) {
        ok = query_parse(b, from, http_req_json(req), &lim, &q, &err);
    } else {
        size_t n = http_req_query_count(req);
        const char **names = ARENA_ARRAY(a, const char *, n + 1);
        const char **values = ARENA_ARRAY(a, const char *, n + 1);
        for (size_t i = 0; i < n; i++)
            http_req_query_at(req, i, &names[i], &values[i]);
        ok = query_parse_params(b, from, names, values, n, &lim, &q, &err);
    }
    jsonw *w = http_reply_writer(req);
    if (ok)
        ok = q.is_aggregate ? run_aggregate(w, s, b, from, &q, &err)
                            : run_entities(w, s, m, &q, &err);
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
