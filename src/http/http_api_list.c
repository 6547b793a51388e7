/*
 * Lists: GET /api/{resource} (query parameters) and POST
 * /api/{resource}/query (a query document). Entity queries go through the
 * ORM (identity map, loader strategies); aggregate documents go through
 * Core and return rows, as SQLAlchemy recommends for reporting. JSON in
 * the list envelope (meta.next: keyset cursor; GET adds Link rel="next")
 * or CSV (Accept: text/csv); Prefer: count=exact gives Content-Range.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

static bool prefers(http_request *req, const char *token)
{
    const char *prefer = http_req_header(req, "Prefer");
    return prefer && strstr(prefer, token) != NULL;
}

/* Content-Range: first-last/total of the rows of this page. */
static void content_range(http_request *req, const query_doc *q, size_t n, int64_t count)
{
    if (count < 0)
        return;
    const char *range = n ? arena_sprintf(http_req_arena(req), "%lld-%lld/%lld",
                                          (long long) q->offset,
                                          (long long) (q->offset + (int64_t) n - 1),
                                          (long long) count)
                          : arena_sprintf(http_req_arena(req), "*/%lld", (long long) count);
    http_add_header(req, "Content-Range", range);
}

/* Link: <this URL with after=next>; rel="next" (GET lists). */
static void link_next(http_request *req, const char *next)
{
    sbuf b;
    sbuf_init(&b, http_req_arena(req), 256);
    sbuf_append(&b, "<");
    sbuf_append(&b, http_req_path(req));
    char sep = '?';
    for (size_t i = 0; i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strcmp(name, "after") == 0)
            continue;
        sbuf_append_char(&b, sep);
        sbuf_append_pct(&b, name);
        sbuf_append_char(&b, '=');
        sbuf_append_pct(&b, value);
        sep = '&';
    }
    sbuf_append_char(&b, sep);
    sbuf_append(&b, "after=");
    sbuf_append_pct(&b, next);
    sbuf_append(&b, ">; rel=\"next\"");
    http_add_header(req, "Link", sbuf_str(&b));
}

/* One page: rows or entities, as JSON (w) or CSV (csv). */
static bool page(http_request *req, jsonw *w, sbuf *csv, orm_session *s, const orm_mapper *m,
                 query_doc *q, bool from_document, err_report *err)
{
    arena *a = http_req_arena(req);
    int64_t count = -1;
    if (q->is_aggregate) {
        eng_result *r = query_rows(s, q, &count, err);
        if (!r)
            return false;
        if (csv) {
            dto_csv_rows(csv, r);
            return true;
        }
        http__api_envelope_begin(w);
        dto_write_rows(w, r);
        http__api_envelope_end(w, q, count, false, NULL);
        return true;
    }
    const sql_node *where = q->where; /* the cursor's shape is the query's own where */
    if (!query_keyset_apply(m, a, q, "/after", err))
        return false;
    const orm_load_plan *plan = orm_load_plan_build(s, m, &q->load, err);
    orm_entity **items = NULL;
    size_t n = 0;
    if (!plan || !query_entities(s, m, q, plan, &items, &n, &count, err))
        return false;
    const char *next = query_keyset_next(m, a, q, where, items, n);
    if (csv) {
        dto_csv_entities(csv, s, m, items, n, q->fields, q->n_fields);
    } else {
        http__api_envelope_begin(w);
        dto_write_entities(w, items, n, plan, q->fields, q->n_fields);
        http__api_envelope_end(w, q, count, true, next);
    }
    content_range(req, q, n, count);
    if (next && !from_document)
        link_next(req, next);
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
    query_limits lim = http__api_limits(req);
    lim.allow_all = true; /* lists stream limit "all" */
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
    if (ok && prefers(req, "count=exact"))
        q.count = true;
    bool want_csv = false;
    ok = ok && http__api_format(req, true, &want_csv, &err);
    sbuf *csv = NULL;
    if (want_csv) {
        csv = ARENA_NEW(a, sbuf);
        sbuf_init(csv, a, 4096);
    }
    if (ok && q.all) {
        /* every row: streamed from a cursor (http_api_export.c) */
        if (!http__api_export(req, s, m, &q, want_csv, &err))
            http_reply_problem(req, &err);
        return;
    }
    if (ok)
        ok = page(req, http_reply_writer(req), csv, s, m, &q, from_document, &err);
    if (!ok) {
        http_reply_problem(req, &err);
        return;
    }
    if (csv)
        http_reply_text(req, 200, "text/csv; charset=utf-8; header=present", csv->data, csv->len);
    else
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
