/*
 * Request accessors: decoded path and query parameters, headers, body and
 * the request's session.
 */
#include <string.h>

#include "http_int.h"

bool http__add_query(http_request *req, const char *key, const char *value)
{
    if (req->n_query == HTTP_MAX_QUERY_PARAMS) {
        req->too_many_query = true;
        return false;
    }
    /* MHD has already turned '+' into ' ' and left %XX alone (see
     * keep_escaped in http_server.c); a '+' that was %2B stays one. */
    const char *name = sbuf_pct_decode(req->arena, key, strlen(key), true);
    const char *val = value ? sbuf_pct_decode(req->arena, value, strlen(value), true) : "";
    if (!name || !val) {
        req->too_many_query = true; /* reported as a malformed query string */
        return false;
    }
    req->query_names[req->n_query] = name;
    req->query_values[req->n_query] = val;
    req->n_query++;
    return true;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void) kind;
    return http__add_query(cls, key, value) ? MHD_YES : MHD_NO;
}

void http__parse_query(http_request *req)
{
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_query, req);
}

arena *http_req_arena(http_request *req)
{
    return req->arena;
}

http_app *http_req_app(http_request *req)
{
    return req->server->app;
}

http_method http_req_method(const http_request *req)
{
    return req->method;
}

const char *http_req_path(const http_request *req)
{
    return req->path;
}

const char *http_req_route_name(const http_request *req)
{
    if (!req->route)
        return "unmatched";
    return req->route->name ? req->route->name : req->route->path;
}

const char *http_req_request_id(const http_request *req)
{
    return req->request_id;
}

const char *http_req_path_param(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

const char *http_req_path_param_raw(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_raw[i];
    return NULL;
}

const char *http_req_query(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_query; i++)
        if (strcmp(req->query_names[i], name) == 0)
            return req->query_values[i];
    return NULL;
}

size_t http_req_query_count(const http_request *req)
{
    return req->n_query;
}

void http_req_query_at(const http_request *req, size_t i, const char **name,
                       const char **value)
{
    *name = req->query_names[i];
    *value = req->query_values[i];
}

const char *http_req_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_body(const http_request *req, size_t *len)
{
    *len = req->has_body ? req->body.len : 0;
    return req->has_body ? req->body.data : NULL;
}

json_t *http_req_json(const http_request *req)
{
    return req->json;
}

/* The read replica a request may read from, or NULL for the primary. */
static eng_pool *read_pool(http_request *req, const char *isolation_level)
{
    const http_app *app = req->server->app;
    if (!app->replicas || !http__reads_only(req) || http__prefers_primary(req))
        return NULL;
    /* A hot standby refuses SERIALIZABLE transactions. */
    if (isolation_level && strcmp(isolation_level, "SERIALIZABLE") == 0)
        return NULL;
    return eng_router_read_pool(app->replicas);
}

orm_session_options http__session_options(http_request *req, const char *isolation_level)
{
    const http_app *app = req->server->app;
    const char *level = isolation_level ? isolation_level : app->config->database.isolation_level;
    eng_pool *replica = read_pool(req, level);
    return (orm_session_options){
        .pool = replica ? replica : app->pool,
        .fallback_pool = replica ? app->pool : NULL,
        .isolation_level = level,
        .statement_timeout_ms = app->config->database.statement_timeout_ms,
        .use_prepared = true,
        .cache = app->cache,
        .registry = app->registry,
        .expire_on_commit = app->config->session.expire_on_commit,
        .autoflush = app->config->session.autoflush,
        .sql_comment = http__sql_comment(req),
    };
}

orm_session *http_req_session(http_request *req)
{
    if (!req->session) {
        orm_session_options o = http__session_options(req, NULL);
        http__session_identity(req, &o);
        req->session = orm_session_open(req->arena, &o);
    }
    return req->session;
}
