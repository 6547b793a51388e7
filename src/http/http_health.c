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

/* {"status": status[, "version": version]} */
static void reply_status(http_request *req, const char *status, const char *version)
{
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    jsonw_key(w, "status");
    jsonw_string(w, status);
    if (version) {
        jsonw_key(w, "version");
        jsonw_string(w, version);
    }
    jsonw_object_end(w);
    http_reply_written(req, 200);
}

static void health(http_request *req)
{
    reply_status(req, "ok", retort_version());
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
    /* The models against the catalog: the cached result (the I/O thread
     * never reads the catalog; schema_drift re-checks in the background). */
    json_t *items = schema_drift_items(app->drift);
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
    reply_status(req, "ready", NULL);
}

/* One pool's members of /health/pool (inside an object the caller opened). */
void http__write_pool_members(jsonw *w, eng_pool *pool)
{
    eng_pool_status st;
    eng_pool_get_status(pool, &st);
    /* Saturated: every connection the pool may open is out and checkouts
     * queue. Busy, not broken: readiness stays up. */
    bool saturated = st.waiting > 0 && st.checked_in == 0 &&
                     (st.max_overflow < 0 || st.checked_out >= st.size + st.max_overflow);
    const struct {
        const char *name;
        long long value;
    } fields[] = {{"size", st.size},
                  {"checked_in", st.checked_in},
                  {"checked_out", st.checked_out},
                  {"overflow", st.overflow},
                  {"max_overflow", st.max_overflow},
                  {"waiting", st.waiting},
                  {"timeouts", (long long) st.timeouts},
                  {"recycled", (long long) st.recycled},
                  {"invalidated", (long long) st.invalidated}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        jsonw_key(w, fields[i].name);
        jsonw_integer(w, fields[i].value);
    }
    jsonw_key(w, "behind_pooler");
    jsonw_bool(w, st.behind_pooler);
    jsonw_key(w, "result_mismatches");
    jsonw_integer(w, (long long) st.shape_mismatches);
    jsonw_key(w, "saturated");
    jsonw_bool(w, saturated);
}

/* The primary's pool at the top level; each read replica's (with its
 * health and lag) under "replicas" when there are any. */
static void health_pool(http_request *req)
{
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    http__write_pool_members(w, http_req_app(req)->pool);
    http__write_replicas(w, http_req_app(req));
    jsonw_object_end(w);
    http_reply_written(req, 200);
}

static void metrics(http_request *req)
{
    http_app *app = http_req_app(req);
    const char *text = http_metrics_render(app, req->arena);
    http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
}

const http_route HTTP_BUILTIN_ROUTES[] = {
    {HTTP_GET, "/health", health, HTTP_ROUTE_PUBLIC, "/health",
     {"health", "getHealth", "Liveness", "Answers on the I/O thread without touching the database.",
      HTTP_P400}},
    {HTTP_GET, "/health/ready", health_ready, HTTP_ROUTE_PUBLIC, "/health/ready",
     {"health", "getReadiness", "Readiness",
      "200 when the database answered within the last 3 seconds (a pooled round trip or the "
      "health checker's query on its own connection), else 503; never waits for a pool slot, "
      "so a saturated pool stays ready.",
      HTTP_P400 | HTTP_P503}},
    {HTTP_GET, "/health/pool", health_pool, HTTP_ROUTE_ADMIN, "/health/pool",
     {"health", "getPoolStatus", "Connection pool status",
      "Counters of the connection pool; no database access.", HTTP_P400}},
    {HTTP_GET, "/metrics", metrics, HTTP_ROUTE_ADMIN, "/metrics",
     {"health", "getMetrics", "Prometheus metrics",
      "Prometheus text exposition: requests by route and status, a latency histogram, pool "
      "gauges, statements executed, transaction replays.",
      HTTP_P400}},
};
const size_t HTTP_N_BUILTIN_ROUTES = sizeof HTTP_BUILTIN_ROUTES / sizeof HTTP_BUILTIN_ROUTES[0];
