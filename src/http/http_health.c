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
    /* The models against the catalog (cached; re-checked at the interval). */
    schema_drift *drift = http_req_app(req)->drift;
    json_t *items = drift ? schema_drift_check(drift, http_req_app(req)->pool, false, &err) : NULL;
    size_t n = json_array_size(items);
    json_decref(items);
    if (n) {
        err_report drifted;
        err_init(&drifted, req->arena);
        err_set(&drifted, ERR_DRIFT,
                "%zu difference%s between the models and the database; see checks.drift.", n,
                n == 1 ? "" : "s");
        http_reply_problem(req, &drifted);
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
    {HTTP_GET, "/health", health, 0, "/health"},
    {HTTP_GET, "/health/ready", health_ready, HTTP_ROUTE_DB, "/health/ready"},
    {HTTP_GET, "/health/pool", health_pool, 0, "/health/pool"},
    {HTTP_GET, "/metrics", metrics, 0, "/metrics"},
};
const size_t HTTP_N_BUILTIN_ROUTES = sizeof HTTP_BUILTIN_ROUTES / sizeof HTTP_BUILTIN_ROUTES[0];
