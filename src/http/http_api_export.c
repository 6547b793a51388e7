/*
 * Exports: a list with limit "all" (GET /api/{r}?limit=all, a query
 * document's "limit": "all") is every row of the query, read from a
 * server-side cursor HTTP_EXPORT_BATCH rows at a time and sent chunked as
 * it is read (http_stream.c): JSON in the list envelope or CSV, memory
 * bounded by one batch whatever the row count.
 *
 * Rows, not entities: nothing enters the identity map and no
 * relationship is loaded (the query layer refuses them with "all"); the
 * SELECT list is the DTO's columns (query_export), written by type like
 * any Core row. Every problem found before the first row is fetched is a
 * problem+json as usual; a failure later cuts the body. The transaction
 * (and with it the cursor) ends in the worker's tail like any request's.
 */
#include "dto.h"
#include "http_int.h"
#include "log.h"

enum {
    /* rows per FETCH: a batch, the unit of memory and of chunking */
    HTTP_EXPORT_BATCH = 1000,
    HTTP_EXPORT_BUFFER = 256 * 1024
};

/* Appends a batch's rows to out (JSON array members or CSV records); the
 * first row of the whole export gets the CSV header or no comma. */
static void write_batch(sbuf *out, jsonw *w, const eng_result *r, bool csv, size_t *written)
{
    int rows = eng_result_rows(r);
    for (int i = 0; i < rows; i++, (*written)++) {
        if (csv) {
            if (*written == 0)
                dto_csv_header(out, r);
            dto_csv_row(out, r, i);
            continue;
        }
        /* jsonw separates by what out ends with; out was just sent */
        if (*written > 0 && out->len == 0)
            sbuf_append_char(out, ',');
        dto_write_row(w, r, i);
    }
}

bool http__api_export(http_request *req, orm_session *s, const orm_mapper *m, query_doc *q,
                      bool csv, err_report *err)
{
    arena *a = http_req_arena(req);
    if (!query_keyset_apply(m, a, q, "/after", err))
        return false;
    int64_t count = -1;
    const sql_node *stmt = query_export(s, m, q, q->count ? &count : NULL, err);
    orm_cursor *cur = stmt ? orm_cursor_open(s, stmt, err) : NULL;
    if (!cur)
        return false;
    /* The first batch before the first byte: a statement that fails at
     * once (timeout, permissions) is still a problem+json. */
    arena *batch = arena_create(a, "export batch");
    eng_result *r = orm_cursor_fetch(cur, batch, HTTP_EXPORT_BATCH, err);
    if (!r)
        return false;
    http__stream *st =
        http__stream_begin(req, 200, csv ? "text/csv; charset=utf-8; header=present"
                                         : "application/json",
                           err);
    if (!st)
        return false;

    sbuf out;
    sbuf_init(&out, a, HTTP_EXPORT_BUFFER);
    jsonw w;
    jsonw_init_text(&w, &out);
    if (!csv) {
        http__api_envelope_begin(&w);
        jsonw_array_begin(&w);
    }
    size_t written = 0;
    bool failed = false;
    for (;;) {
        int rows = eng_result_rows(r);
        if (csv && rows == 0 && written == 0)
            dto_csv_header(&out, r); /* an empty export still names its columns */
        write_batch(&out, &w, r, csv, &written);
        if (rows < HTTP_EXPORT_BATCH)
            break;
        if (!http__stream_write(st, out.data, out.len))
            break;
        sbuf_reset(&out);
        arena_destroy(batch); /* the batch's PGresult */
        batch = arena_create(a, "export batch");
        r = orm_cursor_fetch(cur, batch, HTTP_EXPORT_BATCH, err);
        if (!r) {
            failed = true;
            log_warn("request %s: an export failed after %zu rows: %s", req->request_id, written,
                     err->detail ? err->detail : err->title);
            break;
        }
    }
    if (!failed && !http__stream_gone(st)) {
        if (!csv) {
            jsonw_array_end(&w);
            http__api_envelope_end(&w, q, count, !q->is_aggregate, NULL);
        }
        http__stream_write(st, out.data, out.len);
    }
    arena_destroy(batch);
    http__stream_end(st, failed);
    return true;
}
