/*
 * Read replicas as the HTTP layer sees them: which requests may read from
 * a replica, the client's `Prefer: read=primary`, and the replicas'
 * entries in /health/pool and /metrics.
 *
 * A request reads only when nothing in it can write: GET and HEAD (lists,
 * entities, read-only named queries) and query documents without a row
 * lock. Everything else — writes, transaction documents, bulk operations —
 * runs on the primary, so anything after a write in the same request is
 * on the primary too (one request, one session, one connection). Reads on
 * a replica may be up to database.max_replica_lag_ms behind the primary;
 * a client that must see its own write asks for the primary.
 */
#include <string.h>
#include <strings.h>

#include "http_int.h"

bool http__reads_only(http_request *req)
{
    if (req->method == HTTP_GET || req->method == HTTP_HEAD)
        return true;
    if (req->method != HTTP_POST || !req->route || !req->route->path ||
        strcmp(req->route->path, "/api/{resource}/query") != 0)
        return false;
    /* "lock": "update"/"share" takes row locks: the primary's business. */
    return json_is_object(req->json) && !json_object_get(req->json, "lock");
}

bool http__prefers_primary(http_request *req)
{
    const char *prefer = http_req_header(req, "Prefer");
    if (!prefer)
        return false;
    /* Prefer: a comma-separated list of preferences (RFC 7240). */
    for (const char *p = prefer; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, ",;");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 12 && strncasecmp(p, "read=primary", 12) == 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

void http__write_replicas(jsonw *w, const http_app *app)
{
    size_t n = eng_router_count(app->replicas);
    if (n == 0)
        return;
    jsonw_key(w, "replicas");
    jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        eng_replica_status st;
        eng_router_replica(app->replicas, i, &st);
        jsonw_object_begin(w);
        jsonw_key(w, "url");
        jsonw_string(w, st.label);
        jsonw_key(w, "healthy");
        jsonw_bool(w, st.healthy);
        jsonw_key(w, "reachable");
        jsonw_bool(w, st.reachable);
        jsonw_key(w, "lag_ms");
        if (st.lag_ms >= 0)
            jsonw_integer(w, (long long) st.lag_ms);
        else
            jsonw_null(w);
        jsonw_key(w, "reads");
        jsonw_integer(w, (long long) st.reads);
        if (st.error[0]) {
            jsonw_key(w, "error");
            jsonw_string(w, st.error);
        }
        http__write_pool_members(w, st.pool);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
}
