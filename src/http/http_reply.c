/*
 * Replies: handlers set status, body and headers on the request; the I/O
 * thread turns them into a libmicrohttpd response in http__send(). The
 * body lives in the request arena, which outlives the response
 * (MHD_RESPMEM_PERSISTENT), so nothing is copied twice.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

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

void http_reply_json_text(http_request *req, int status, const char *body, size_t len)
{
    req->status = status;
    req->content_type = "application/json";
    req->resp_body = body;
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

static void reply_root(http_request *req, int status, const char *content_type, json_t *root)
{
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(root);
    if (!text) {
        http_reply_text(req, 500, "application/problem+json",
                        "{\"type\":\"internal-error\",\"title\":\"internal server error\","
                        "\"status\":500}",
                        strlen("{\"type\":\"internal-error\",\"title\":\"internal server "
                               "error\",\"status\":500}"));
        return;
    }
    http_reply_text(req, status, content_type, text, strlen(text));
    free(text);
}

void http_reply_json(http_request *req, int status, json_t *root)
{
    reply_root(req, status, "application/json", root);
}

void http_reply_problem(http_request *req, const err_report *err)
{
    int status = err->status ? err->status : 500;
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string(err->type ? err->type : "about:blank"));
    bool server_fault = status >= 500 && status != 503 && status != 504;
    json_object_set_new(p, "title", json_string(server_fault ? "internal server error"
                                                : err->title ? err->title : "error"));
    json_object_set_new(p, "status", json_integer(status));
    if (server_fault) {
        json_object_set_new(p, "detail",
                            json_string("The server failed to complete the request; the "
                                        "request id identifies it in the server log."));
        log_error("request %s failed: %s: %s [%s:%d sqlstate=%s] %s", req->request_id,
                  err->title ? err->title : "", err->detail ? err->detail : "",
                  err->file ? err->file : "?", err->line, err->sqlstate,
                  err->db_message ? err->db_message : "");
    } else if (err->detail) {
        json_object_set_new(p, "detail", json_string(err->detail));
    }
    if (err->db_message && !server_fault)
        log_info("request %s: %d %s: database said: %s", req->request_id, status,
                 err->type ? err->type : "", err->db_message);
    if (err->sqlstate[0])
        json_object_set_new(p, "sqlstate", json_string(err->sqlstate));
    if (err->hint && !server_fault)
        json_object_set_new(p, "hint", json_string(err->hint));
    if (err->constraint && !server_fault)
        json_object_set_new(p, "constraint", json_string(err->constraint));
    if (err->operation >= 0)
        json_object_set_new(p, "operation", json_integer(err->operation));
    if (err->n_items) {
        json_t *items = json_array();
        for (size_t i = 0; i < err->n_items; i++) {
            json_t *it = json_object();
            if (err->items[i].pointer)
                json_object_set_new(it, "pointer", json_string(err->items[i].pointer));
            json_object_set_new(it, "detail",
                                json_string(err->items[i].detail ? err->items[i].detail : ""));
            json_array_append_new(items, it);
        }
        json_object_set_new(p, "errors", items);
        if (!err->detail && !server_fault)
            json_object_set_new(p, "detail", json_string(err->items[0].detail
                                                             ? err->items[0].detail
                                                             : "The request is invalid."));
    }
    json_object_set_new(p, "request_id", json_string(req->request_id));
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
    reply_root(req, status, "application/problem+json", p);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

enum MHD_Result http__send(http_request *req)
{
    if (!req->replied) {
        err_report err;
        err_init(&err, req->arena);
        err_set(&err, ERR_INTERNAL, "No response was produced.");
        http_reply_problem(req, &err);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        req->resp_len, (void *) req->resp_body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (req->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    for (http_out_header *h = req->headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    http__cors_headers(req, resp);

    double total_ms = (now_s() - req->start) * 1e3;
    orm_session_stats st = {0};
    if (req->session)
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

    if (app && app->metrics)
        http_metrics_observe(app->metrics, http_req_route_name(req), req->method_name,
                             req->status, total_ms / 1e3, st.statements);
    if (req->server->opts.access_log)
        log_info("%s %s %d %.2fms queries=%llu id=%s", req->method_name, req->path, req->status,
                 total_ms, (unsigned long long) st.statements, req->request_id);
    return r;
}
