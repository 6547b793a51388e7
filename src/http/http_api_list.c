/*
 * Lists: GET /api/{resource} (query parameters) and POST
 * /api/{resource}/query (a query document). Entity queries go through the
 * ORM (identity map, loader strategies); aggregate documents go through
 * Core and return rows, as SQLAlchemy recommends for reporting.
 */
#include <stdlib.h>

#include "dto.h"
#include "http_int.h"

static json_t *envelope(json_t *data, const query_doc *q, int64_t count)
{
    json_t *meta = json_pack("{s:I, s:I}", "limit", (json_int_t) q->limit, "offset",
                             (json_int_t) q->offset);
    json_object_set_new(meta, "count", count >= 0 ? json_integer(count) : json_null());
    return json_pack("{s:o, s:o}", "data", data, "meta", meta);
}

/* Aggregates: rows, not entities. */
static json_t *run_aggregate(orm_session *s, sql_builder *b, sql_from *from,
                             const query_doc *q, err_report *err)
{
    sql_select *sel = query_select(b, from, q, err);
    eng_result *r = sel ? orm_session_execute_stmt(s, SQL_NODE(sel), err) : NULL;
    if (!r)
        return NULL;
    int64_t count = -1;
    if (q->count) {
        sql_select *cs = query_count_select(b, from, q, err);
        eng_result *cr = cs ? orm_session_execute_stmt(s, SQL_NODE(cs), err) : NULL;
        if (!cr)
            return NULL;
        count = strtoll(eng_result_value(cr, 0, 0), NULL, 10);
    }
    return envelope(dto_rows(r), q, count);
}

/* Entities: the envelope and DTOs written straight to text (no json_t
 * tree), byte for byte what envelope(dto_entities(...)) dumps to. */
static sbuf *run_entities(http_request *req, orm_session *s, const orm_mapper *m,
                          const query_doc *q, err_report *err)
{
    const orm_load_plan *plan = orm_load_plan_build(s, m, &q->load, err);
    orm_entity **items = NULL;
    size_t n = 0;
    int64_t count = -1;
    if (!plan || !query_entities(s, m, q, plan, &items, &n, &count, err))
        return NULL;
    arena *a = http_req_arena(req);
    sbuf *out = ARENA_NEW(a, sbuf);
    sbuf_init(out, a, 4096);
    sbuf_append(out, "{\"data\":");
    dto_write_entities(out, items, n, plan, q->fields, q->n_fields);
    sbuf_printf(out, ",\"meta\":{\"limit\":%lld,\"offset\":%lld,\"count\":", (long long) q->limit,
                (long long) q->offset);
    if (q->count && count >= 0)
        sbuf_printf(out, "%lld}}", (long long) count);
    else
        sbuf_append(out, "null}}");
    return out;
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
    json_t *out = NULL;
    sbuf *text = NULL;
    if (ok && q.is_aggregate)
        out = run_aggregate(s, b, from, &q, &err);
    else if (ok)
        text = run_entities(req, s, m, &q, &err);
    if ((!out && !text) || !orm_session_commit(s, &err)) {
        json_decref(out);
        orm_session_rollback(s);
        http_reply_problem(req, &err);
        return;
    }
    if (text)
        http_reply_json_text(req, 200, text->data, text->len);
    else
        http_reply_json(req, 200, out);
}

void http__api_list(http_request *req)
{
    run(req, false);
}

void http__api_query(http_request *req)
{
    run(req, true);
}
