/*
 * Replies: handlers set status, body and headers on the request; the I/O
 * thread turns them into a libmicrohttpd response in http__send(). The
 * body lives in the request arena, which outlives the response
 * (MHD_RESPMEM_PERSISTENT), so nothing is copied twice.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <zlib.h>

#include "http_int.h"
#include "log.h"

void http_add_header(http_request *req, const char *name, const char *value)
{
    http_out_header *h = ARENA_NEW(req->arena, http_out_header);
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    h->next = req->headers;
    req->headers = h;
}

void http_reply_text(http_request *req, int status, const char *content_type, const char *body,
                     size_t len)
{
    req->status = status;
    req->content_type = content_type;
    req->resp_body = arena_strndup(req->arena, body, len);
    req->resp_len = len;
    req->replied = true;
}

void http_reply_empty(http_request *req, int status)
{
    req->status = status;
    req->content_type = NULL;
    req->resp_body = "";
    req->resp_len = 0;
    req->replied = true;
}

jsonw *http_reply_writer(http_request *req)
{
    if (!req->resp.arena)
        sbuf_init(&req->resp, req->arena, 1024);
    sbuf_reset(&req->resp);
    jsonw_init_text(&req->writer, &req->resp);
    return &req->writer;
}

static void reply_written(http_request *req, int status, const char *content_type)
{
    req->status = status;
    req->content_type = content_type;
    req->resp_body = req->resp.data;
    req->resp_len = req->resp.len;
    req->replied = true;
}

void http_reply_written(http_request *req, int status)
{
    reply_written(req, status, "application/json");
}

void http_reply_json(http_request *req, int status, const json_t *root)
{
    jsonw_json(http_reply_writer(req), root);
    http_reply_written(req, status);
}

void http_reply_json_new(http_request *req, int status, json_t *root)
{
    http_reply_json(req, status, jsonw_arena_new(req->arena, root));
}

static void member(jsonw *w, const char *key, const char *value)
{
    jsonw_key(w, key);
    jsonw_string(w, value);
}

/* A statement that failed because a table, column or type is not what
 * the models say: re-check the models now, and answer as drift (503)
 * rather than as a bug (500) when they no longer match. */
static bool drift_explains(http_request *req, const err_report *err, err_report *out)
{
    static const char *const STATES[] = {"42703", "42P01", "42804", "42883", "22P02"};
    schema_drift *d = http_req_app(req)->drift;
    if (!d || err->kind == ERR_DRIFT || !err->sqlstate[0])
        return false;
    bool relevant = false;
    for (size_t i = 0; i < sizeof STATES / sizeof STATES[0]; i++)
        relevant |= strcmp(err->sqlstate, STATES[i]) == 0;
    if (!relevant)
        return false;
    json_t *items = schema_drift_check(d, http_req_app(req)->pool, true, NULL);
    size_t n = json_array_size(items);
    json_decref(items);
    if (!n)
        return false;
    err_init(out, req->arena);
    err_set(out, ERR_DRIFT,
            "The models no longer match the database (%zu difference%s); see checks.drift.", n,
            n == 1 ? "" : "s");
    return true;
}

/* checks.drift of a drift problem: the table's differences when the
 * problem names one, else all of them. */
static json_t *drift_checks(http_request *req, const err_report *err)
{
    schema_drift *d = http_req_app(req)->drift;
    json_t *items = !d ? NULL : err->table ? schema_drift_of_table(d, err->table)
                                           : schema_drift_items(d);
    return json_pack("{s:s, s:o}", "database", "ok", "drift", items ? items : json_array());
}

void http_reply_problem(http_request *req, const err_report *err)
{
    err_report drifted;
    if (drift_explains(req, err, &drifted) || http__role_explains(req, err, &drifted))
        err = &drifted; /* a clearer problem than PostgreSQL's SQLSTATE */
    int status = err->status ? err->status : 500;
    bool server_fault = status >= 500 && status != 503 && status != 504;
    if (server_fault)
        log_error("request %s failed: %s: %s [%s:%d sqlstate=%s] %s", req->request_id,
                  err->title ? err->title : "", err->detail ? err->detail : "",
                  err->file ? err->file : "?", err->line, err->sqlstate,
                  err->db_message ? err->db_message : "");
    else if (err->db_message) {
        /* PostgreSQL's text can hold row contents ("Key (email)=(…) already
         * exists"): at info only the classification, the text at debug. */
        log_field f[] = {LOG_STR("request_id", req->request_id), LOG_INT("status", status),
                         LOG_STR("type", err->type), LOG_STR("sqlstate", err->sqlstate),
                         LOG_STR("constraint", err->constraint), LOG_STR("table", err->table),
                         LOG_STR("column", err->column)};
        log_record(LOG_INFO, "database refused the request", f, sizeof f / sizeof f[0]);
        log_debug("request %s: database said: %s", req->request_id, err->db_message);
    }
    const char *detail = server_fault ? "The server failed to complete the request; the "
                                        "request id identifies it in the server log."
                         : err->detail ? err->detail
                         : err->n_items ? (err->items[0].detail ? err->items[0].detail
                                                                 : "The request is invalid.")
                                        : NULL;
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    member(w, "type", err->type ? err->type : "about:blank");
    member(w, "title", server_fault ? "internal server error" : err->title ? err->title : "error");
    jsonw_key(w, "status");
    jsonw_integer(w, status);
    if (detail && (server_fault || err->detail))
        member(w, "detail", detail);
    if (err->sqlstate[0])
        member(w, "sqlstate", err->sqlstate);
    if (err->hint && !server_fault)
        member(w, "hint", err->hint);
    if (err->constraint && !server_fault)
        member(w, "constraint", err->constraint);
    if (err->operation >= 0) {
        jsonw_key(w, "operation");
        jsonw_integer(w, err->operation);
    }
    if (err->n_items) {
        jsonw_key(w, "errors");
        jsonw_array_begin(w);
        for (size_t i = 0; i < err->n_items; i++) {
            jsonw_object_begin(w);
            if (err->items[i].pointer)
                member(w, "pointer", err->items[i].pointer);
            member(w, "detail", err->items[i].detail ? err->items[i].detail : "");
            jsonw_object_end(w);
        }
        jsonw_array_end(w);
        /* Without a detail of its own, the first item's is the problem's. */
        if (detail && !server_fault && !err->detail)
            member(w, "detail", detail);
    }
    if (err->kind == ERR_DRIFT) {
        json_t *checks = drift_checks(req, err);
        jsonw_key(w, "checks");
        jsonw_json(w, checks);
        json_decref(checks);
    }
    member(w, "request_id", req->request_id);
    jsonw_object_end(w);
    if (status == 401) {
        /* RFC 6750 §3: say which scheme; invalid_token when one was sent. */
        bool sent = http_req_header(req, "Authorization") || http_req_header(req, "X-API-Key");
        http_add_header(req, "WWW-Authenticate",
                        sent ? "Bearer realm=\"retort\", error=\"invalid_token\""
                             : "Bearer realm=\"retort\"");
    }
    if (err->retry_after > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", err->retry_after);
        http_add_header(req, "Retry-After", v);
    }
    reply_written(req, status, "application/problem+json");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The client's address as text, in a; NULL when unknown. */
static const char *client_address(http_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return NULL;
    char text[INET6_ADDRSTRLEN] = "";
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *) (const void *) sa)->sin_addr, text,
                  sizeof text);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr, text,
                  sizeof text);
    return text[0] ? arena_strdup(req->arena, text) : NULL;
}

/* One access-log record per request (SPEC.md §5, issue 14): who asked what,
 * how it ended, where the time went. No bodies, no query values. */
void http__peer_of(http_request *req, http__peer *out)
{
    out->client = client_address(req);
    /* copies: libmicrohttpd's strings die with the connection */
    out->forwarded_for = arena_strdup(req->arena, http_req_header(req, "X-Forwarded-For"));
    out->user_agent = arena_strdup(req->arena, http_req_header(req, "User-Agent"));
}

static void access_log(http_request *req, double total_ms, const orm_session_stats *st,
                       const http__peer *peer)
{
    log_field f[] = {
        LOG_STR("request_id", req->request_id),
        LOG_STR("trace_id", http__trace_id(req)),
        LOG_STR("method", req->method_name),
        LOG_STR("route", http_req_route_name(req)),
        LOG_STR("path", req->path),
        LOG_INT("status", req->status),
        LOG_INT("bytes", req->resp_len),
        LOG_NUM("duration_ms", total_ms),
        LOG_NUM("pool_wait_ms", st->pool_wait_ms),
        LOG_NUM("db_ms", st->db_ms),
        LOG_INT("statements", st->statements),
        LOG_STR("client", peer->client),
        LOG_STR("forwarded_for", peer->forwarded_for),
        LOG_STR("user_agent", peer->user_agent),
        LOG_STR("role", req->role),
    };
    log_record(LOG_INFO, "request", f, sizeof f / sizeof f[0]);
}

/* Whether Accept-Encoding allows gzip: named (or "*") without q=0. */
static bool accepts_gzip(const char *accept)
{
    static const char *const GZIP[] = {"gzip", "*", NULL};
    return http__header_quality(accept, GZIP) > 0;
}

/* Compresses the body with zlib's gzip wrapper when the client accepts it
 * and the body is larger than HTTP_GZIP_MIN_BYTES; the compressed body
 * lives in the request arena. False (body untouched) otherwise, or when
 * compression does not make it smaller. */
static bool maybe_gzip(http_request *req)
{
    if (req->resp_len <= HTTP_GZIP_MIN_BYTES || req->status == 304 || req->status == 204)
        return false;
    const char *accept = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (!accepts_gzip(accept))
        return false;
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong cap = deflateBound(&z, (uLong) req->resp_len);
    unsigned char *out = arena_alloc(req->arena, cap);
    z.next_in = (Bytef *) req->resp_body;
    z.avail_in = (uInt) req->resp_len;
    z.next_out = out;
    z.avail_out = (uInt) cap;
    int rc = deflate(&z, Z_FINISH);
    size_t len = (size_t) z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || len >= req->resp_len)
        return false;
    req->resp_body = (const char *) out;
    req->resp_len = len;
    return true;
}

void http__observe(http_request *req, double total_ms, const orm_session_stats *st)
{
    const http_app *app = req->server->app;
    if (app && app->metrics) {
        http_metrics_sample x = {
            .route = http_req_route_name(req),
            .method = req->method_name,
            .resource = http__metrics_resource(req),
            .status = req->status,
            .seconds = total_ms / 1e3,
            .statements = st->statements,
            .used_database = req->session != NULL,
            .pool_wait_seconds = st->pool_wait_ms / 1e3,
            .db_seconds = st->db_ms / 1e3,
        };
        http_metrics_observe(app->metrics, &x);
    }
    if (req->server->cfg->access_log) {
        /* A streamed reply ends after its connection may have gone: it
         * took these before the hand-back. */
        http__peer peer;
        if (req->stream)
            http__stream_peer(req, &peer);
        else
            http__peer_of(req, &peer);
        access_log(req, total_ms, st, &peer);
    }
}

enum MHD_Result http__send(http_request *req)
{
    if (!req->replied) {
        err_report err;
        err_init(&err, req->arena);
        err_set(&err, ERR_INTERNAL, "No response was produced.");
        http_reply_problem(req, &err);
    }
    /* A streamed reply's body comes from its writer, which still uses the
     * request (http_stream.c): nothing here may allocate in its arena. */
    bool gzipped = !req->stream && maybe_gzip(req);
    struct MHD_Response *resp =
        req->stream ? http__stream_response(req)
                    : MHD_create_response_from_buffer(req->resp_len, (void *) req->resp_body,
                                                      MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (req->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    for (http_out_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    if (gzipped)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    if (!req->stream && (req->resp_len > HTTP_GZIP_MIN_BYTES || gzipped))
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    http__cors_headers(req, resp);

    double total_ms = (now_s() - req->start) * 1e3;
    orm_session_stats st = {0};
    if (req->stream)
        http__stream_stats(req, &st);
    else if (req->session)
        orm_session_get_stats(req->session, &st);
    char timing[160];
    snprintf(timing, sizeof timing, "total;dur=%.3f, pool;dur=%.3f, db;dur=%.3f", total_ms,
             st.pool_wait_ms, st.db_ms);
    MHD_add_response_header(resp, "Server-Timing", timing);
    const http_app *app = req->server->app;
    if (app && app->config && app->config->server.debug_headers) {
        char count[24];
        snprintf(count, sizeof count, "%llu", (unsigned long long) st.statements);
        MHD_add_response_header(resp, "X-Query-Count", count);
    }

    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned) req->status, resp);
    MHD_destroy_response(resp);
    if (!req->stream) /* a stream is observed when its writer ends it */
        http__observe(req, total_ms, &st);
    return r;
}
