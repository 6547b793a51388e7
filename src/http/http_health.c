/*
 * Built-in routes: liveness, readiness and pool status. None of them waits
 * for the database or a pool slot, and all run on the I/O thread, so they
 * answer even when every pooled connection is busy and requests are
 * queued. /health/ready reports whether the database answered within the
 * last READY_MAX_AGE_S seconds — a pooled round trip or the health
 * checker's query on its own connection (eng_health) — not whether the
 * pool has a free slot: saturation is /health/pool's "saturated" and the
 * metrics.
 */
#include <string.h>

#include "http_int.h"
#include "version.h"

static void health(http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:s, s:s}", "status", "ok", "version", retort_version()));
}

/* Three checker intervals (1 s each): one lost check is not an outage. */
static const double READY_MAX_AGE_S = 3.0;

static void health_ready(http_request *req)
{
    err_report err;
    err_init(&err, req->arena);
    http_app *app = http_req_app(req);
    bool ok = app->health ? eng_health_ready(app->health, READY_MAX_AGE_S, &err)
                          : eng_pool_ping(app->pool, &err);
    if (!ok) {
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
    /* Saturated: every connection the pool may open is out and checkouts
     * queue. Busy, not broken: readiness stays up. */
    bool saturated = st.waiting > 0 && st.checked_in == 0 &&
                     (st.max_overflow < 0 || st.checked_out >= st.size + st.max_overflow);
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:b, s:I, s:b}", "size",
                     st.size, "checked_in", st.checked_in, "checked_out", st.checked_out,
                     "overflow", st.overflow, "max_overflow", st.max_overflow, "waiting",
                     st.waiting, "timeouts", (json_int_t) st.timeouts, "recycled",
                     (json_int_t) st.recycled, "invalidated", (json_int_t) st.invalidated,
                     "behind_pooler", st.behind_pooler, "result_mismatches",
                     (json_int_t) st.shape_mismatches, "saturated", saturated);
}

static void health_pool(http_request *req)
{
    http_reply_json(req, 200, pool_json(http_req_app(req)->pool));
}

static void metrics(http_request *req)
{
    http_app *app = http_req_app(req);
    const char *text = http_metrics_render(app, req->arena);
    http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

const http_route HTTP_BUILTIN_ROUTES[] = {
    {HTTP_GET, "/health", health, 0, "/health"},
    {HTTP_GET, "/health/ready", health_ready, 0, "/health/ready"},
    {HTTP_GET, "/health/pool", health_pool, 0, "/health/pool"},
    {HTTP_GET, "/metrics", metrics, 0, "/metrics"},
};
const size_t HTTP_N_BUILTIN_ROUTES = sizeof HTTP_BUILTIN_ROUTES / sizeof HTTP_BUILTIN_ROUTES[0];
