/*
 * Built-in routes: liveness, readiness and pool status. /health and
 * /health/pool never touch the database and run on the I/O thread, so they
 * answer even when every pooled connection is busy and requests are
 * queued; /health/ready pre-pings a pooled connection on a worker.
 */
#include <string.h>

#include "http_int.h"
#include "version.h"

static void health(http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "version", retort_version()));
}

static void health_ready(http_request *req)
{
    err_report err;
    err_init(&err, req->arena);
    if (!eng_pool_ping(http_req_app(req)->pool, &err)) {
        /* Whatever went wrong, readiness is a 503 the balancer can act on. */
        if (err.status != 503) {
            err_report down;
            err_init(&down, req->arena);
            err_set(&down, ERR_UNAVAILABLE, "The database is not reachable: %s",
                    err.detail ? err.detail : err.title);
            http_reply_problem(req, &down);
            return;
        }
        http_reply_problem(req, &err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ready"));
}

/* One pool's entry of /health/pool. */
static json_t *pool_json(eng_pool *pool)
{
    eng_pool_status st;
    eng_pool_get_status(pool, &st);
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:b, s:I}", "size", st.size,
                     "checked_in", st.checked_in, "checked_out", st.checked_out, "overflow",
                     st.overflow, "max_overflow", st.max_overflow, "waiting", st.waiting,
                     "timeouts", (json_int_t) st.timeouts, "recycled", (json_int_t) st.recycled,
                     "invalidated", (json_int_t) st.invalidated, "behind_pooler",
                     st.behind_pooler, "result_mismatches", (json_int_t) st.shape_mismatches);
}

static void health_pool(http_request *req)
{
    http_reply_json(req, 200, pool_json(http_req_app(req)->pool));
}

static void metrics(http_request *req)
{
    http_app *app = http_req_app(req);
    const char *text = http_metrics_render(app->metrics, app->pool, req->arena);
    http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

const http_route HTTP_BUILTIN_ROUTES[] = {
    {HTTP_GET, "/health", health, HTTP_ROUTE_PUBLIC, "/health"},
    {HTTP_GET, "/health/ready", health_ready, HTTP_ROUTE_DB | HTTP_ROUTE_PUBLIC, "/health/ready"},
    {HTTP_GET, "/health/pool", health_pool, HTTP_ROUTE_ADMIN, "/health/pool"},
    {HTTP_GET, "/metrics", metrics, HTTP_ROUTE_ADMIN, "/metrics"},
};
const size_t HTTP_N_BUILTIN_ROUTES = sizeof HTTP_BUILTIN_ROUTES / sizeof HTTP_BUILTIN_ROUTES[0];
