/*
 * http — the HTTP front: libmicrohttpd daemon, router, request contexts,
 * the database worker pool, problem+json replies and the built-in routes.
 *
 * Threads: libmicrohttpd runs `io_threads` polling threads that never
 * block on the database. A route marked HTTP_ROUTE_DB is run on one of
 * `workers` database threads: its connection is suspended, the request
 * handed over through a bounded queue (`queue_depth`; full means an
 * immediate 503), and the connection resumed with the response. Routes
 * without the flag (health, pool status, metrics) run on the I/O thread
 * and must not touch the database.
 *
 * Memory: every request owns an arena, created when libmicrohttpd first
 * reports the request and destroyed when it reports completion; its
 * session, parsed body, parameters and response body live there. Handlers
 * free nothing by hand.
 *
 * Errors: handlers record failures in an err_report and pass it to
 * http_reply_problem(), the only writer of application/problem+json.
 */
#ifndef RETORT_HTTP_H
#define RETORT_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "auth.h"
#include "cfg.h"
#include "eng.h"
#include "error.h"
#include "jsonw.h"
#include "orm.h"
#include "schema.h"

typedef struct http_server http_server;
typedef struct http_request http_request;
typedef struct http_metrics http_metrics;

/* What handlers share for the process lifetime: borrowed, read-only
 * (the pool and metrics are internally synchronised). */
typedef struct http_app {
    const cfg_config *config;
    eng_pool *pool;
    eng_health *health;           /* reachability of pool's database (/health/ready);
                                     NULL = a pooled ping */
    eng_router *replicas;         /* database.replicas; NULL = none */
    http_metrics *metrics;
    const orm_registry *registry; /* mappers of the configured models; NULL = none */
    sql_cache *cache;             /* compiled-statement cache shared by requests */
    const char *openapi_json;     /* GET /openapi.json (http_openapi_text); NULL = 404 */
    const char *docs_dir;         /* Swagger UI's files (http_docs_find_dir); NULL = none */
    schema_drift *drift;          /* models vs catalog (readiness, requests); NULL = unchecked */
    const auth_verifier *auth;    /* credentials; NULL = auth off */
} http_app;

typedef enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_POST = 1 << 1,
    HTTP_PUT = 1 << 2,
    HTTP_PATCH = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_HEAD = 1 << 5,
    HTTP_OPTIONS = 1 << 6
} http_method;

typedef enum http_route_flags {
    HTTP_ROUTE_DB = 1 << 0,        /* runs on a database worker */
    HTTP_ROUTE_JSON_BODY = 1 << 1, /* requires a JSON body (415/400 checked before the handler) */
    HTTP_ROUTE_JSON_BODY_OPTIONAL = 1 << 2, /* a body, when sent, is JSON (checked the same way) */
    HTTP_ROUTE_PUBLIC = 1 << 3,    /* served without credentials (liveness, docs) */
    HTTP_ROUTE_ADMIN = 1 << 4      /* operational (/metrics, /health/pool): the admin
                                      listener, or an admin role when auth is on */
} http_route_flags;

typedef void (*http_handler)(http_request *req);

/* Problem statuses a route's handler can answer with (its responses in the
 * OpenAPI document), as bits. */
enum {
    HTTP_P400 = 1 << 0,
    HTTP_P404 = 1 << 1,
    HTTP_P409 = 1 << 2,
    HTTP_P412 = 1 << 3,
    HTTP_P413 = 1 << 4,
    HTTP_P415 = 1 << 5,
    HTTP_P422 = 1 << 6,
    HTTP_P500 = 1 << 7,
    HTTP_P503 = 1 << 8,
    HTTP_P504 = 1 << 9,
    HTTP_P412_IF_VERSIONED = 1 << 10, /* 412 on models with a version column (If-Match) */
    HTTP_P406 = 1 << 11 /* Accept excludes every representation (JSON, CSV where offered) */
};
#define HTTP_P_DB (HTTP_P500 | HTTP_P503 | HTTP_P504)          /* runs statements */
#define HTTP_P_BODY (HTTP_P400 | HTTP_P413 | HTTP_P415 | HTTP_P422) /* takes a JSON body */

/* What the OpenAPI document says about a route (http_openapi_document
 * generates one operation per documented route; operation_id NULL = not
 * documented). In a route under /api/{resource}, one operation per model:
 * "{table}", "{Name}", "{Plural}" and "{Singular}" in the texts stand for
 * the model's table, name and their CamelCase forms, and "{if_match}" for
 * a sentence about If-Match on models with a version column. */
typedef struct http_route_doc {
    const char *tag; /* NULL: the model's table */
    const char *operation_id;
    const char *summary;
    const char *description;
    unsigned problems; /* HTTP_P* bits */
} http_route_doc;

/* A route: a method, a path template whose "{name}" segments bind path
 * parameters, and the handler. Literal segments win over parameters, so
 * "/api/{resource}/query" (POST) and "/api/{resource}/{id}" (GET) can
 * coexist: routing tries every template and keeps the most specific
 * match for the method. */
typedef struct http_route {
    unsigned methods;  /* http_method bits */
    const char *path;  /* "/api/{resource}/{id}" */
    http_handler handler;
    unsigned flags;    /* http_route_flags */
    const char *name;  /* route template for metrics and logs */
    http_route_doc doc;
} http_route;

/* Creates and starts the server (listening when it returns) with the
 * app's configuration (server section: host, port, io_threads, workers,
 * queue_depth, max_body_bytes, access_log, shutdown_grace_ms,
 * max_connections_per_client, idle_timeout_s; database.pool_timeout
 * bounds a request's wait for a worker). routes and app are borrowed for
 * the server's lifetime. */
http_server *http_server_start(const http_route *routes, size_t n_routes, http_app *app,
                               err_report *err);
/* The admin listener (server.admin_port): the same settings but that port,
 * one I/O thread and one worker; HTTP_ROUTE_ADMIN routes need no role. */
http_server *http_server_start_admin(const http_route *routes, size_t n_routes, http_app *app,
                                     err_report *err);

/* The port actually bound (useful with port 0). */
int http_server_port(const http_server *s);

/* The drain: stops accepting, answers every request already received
 * (responses carry Connection: close from now on), waits for the open
 * connections to finish, then stops the workers and frees the server.
 * True when that completed within shutdown_grace_ms. False when the grace
 * ran out with requests still running: the server is then left as it is
 * (its threads may still hold it) and the caller should exit at once. */
bool http_server_stop(http_server *s);

/* Requests queued for or running on the database workers (for metrics and
 * tests). */
int http_server_queue_length(http_server *s);

/* The built-in routes (health, pool, metrics). */
extern const http_route HTTP_BUILTIN_ROUTES[];
extern const size_t HTTP_N_BUILTIN_ROUTES;
/* The REST API over the app's registry (SPEC.md §2). */
extern const http_route HTTP_API_ROUTES[];
extern const size_t HTTP_N_API_ROUTES;
/* GET /openapi.json, /docs and /docs/{file} (I/O thread, no database). */
extern const http_route HTTP_DOCS_ROUTES[];
extern const size_t HTTP_N_DOCS_ROUTES;

/* The OpenAPI 3.1 document of the REST API generated from the models
 * (reg may be NULL: no resources). A new reference, the caller's;
 * deterministic for a given config. */
json_t *http_openapi_document(const orm_registry *reg, const cfg_config *cfg);
/* The same as text, JSON_INDENT(2) and a final newline, in a: what GET
 * /openapi.json serves and `retort openapi` prints. */
const char *http_openapi_text(const orm_registry *reg, const cfg_config *cfg, arena *a);
/* The directory of Swagger UI's files for /docs: server.docs_dir, else
 * $RETORT_DOCS_DIR, else the first holding swagger-ui-bundle.js of
 * build/docs-assets/swagger-ui-dist, <executable dir>/docs-assets/...,
 * <executable dir>/../build/docs-assets/..., .retort/tools/node_modules/
 * swagger-ui-dist, /usr/share/retort/docs. NULL (with a warning) when
 * none; lives in a. */
const char *http_docs_find_dir(const cfg_config *cfg, arena *a);

/* ---- request accessors (borrowed until the request ends) ------------- */

arena *http_req_arena(http_request *req);
http_app *http_req_app(http_request *req);
http_method http_req_method(const http_request *req);
const char *http_req_path(const http_request *req);
const char *http_req_route_name(const http_request *req);
const char *http_req_request_id(const http_request *req);
/* A "{name}" segment of the route, percent-decoded; NULL when absent. */
const char *http_req_path_param(const http_request *req, const char *name);
/* The same segment still percent-encoded (composite keys split on ","
 * before decoding). */
const char *http_req_path_param_raw(const http_request *req, const char *name);
/* A query-string parameter, percent-decoded ('+' is a space); NULL when
 * absent; "" for "?flag". */
const char *http_req_query(const http_request *req, const char *name);
/* All query parameters, in order. */
size_t http_req_query_count(const http_request *req);
void http_req_query_at(const http_request *req, size_t i, const char **name /* OUT */,
                       const char **value /* OUT */);
/* A request header (case-insensitive); NULL when absent. */
const char *http_req_header(const http_request *req, const char *name);
/* The raw body and its length; NULL when there was none. */
const char *http_req_body(const http_request *req, size_t *len /* OUT */);
/* The parsed JSON body of a HTTP_ROUTE_JSON_BODY route: borrowed, freed
 * with the request. */
json_t *http_req_json(const http_request *req);

/* Who is asking: the identity authenticated before the handler ran
 * (role NULL when auth is off or the route is public). */
const auth_identity *http_req_identity(const http_request *req);

/* The request's session, opened on first use with the app's pool and
 * configured isolation and timeout; closed when the request ends (and by
 * the worker right after the handler returns). */
orm_session *http_req_session(http_request *req);

/* ---- replies (the last one wins; a handler replies exactly once) ------ */

/* The one JSON output path: the writer of the request's response body
 * (text in the request's arena, emptied by this call). Write one value,
 * then send it with http_reply_written. */
jsonw *http_reply_writer(http_request *req);
/* Sends what the request's writer holds as application/json. */
void http_reply_written(http_request *req, int status);
/* Sends root (borrowed) as application/json through the writer. */
void http_reply_json(http_request *req, int status, const json_t *root);
/* The same, taking over the reference to root (the request's arena
 * releases it). */
void http_reply_json_new(http_request *req, int status, json_t *root);
/* Sends a body copied into the request's arena. */
void http_reply_text(http_request *req, int status, const char *content_type, const char *body,
                     size_t len);
/* An empty body (204, 304). */
void http_reply_empty(http_request *req, int status);
/* Sends err as application/problem+json (RFC 9457): type, title, status,
 * detail, errors[{pointer,detail}], sqlstate, constraint, operation; adds
 * Retry-After when err->retry_after is set. 5xx bodies carry a generic
 * detail; the full record goes to the log. */
void http_reply_problem(http_request *req, const err_report *err);
/* Adds a response header (copied into the arena). */
void http_add_header(http_request *req, const char *name, const char *value);

/* ---- metrics (GET /metrics) ------------------------------------------- */

http_metrics *http_metrics_create(void);
void http_metrics_destroy(http_metrics *m);
/* One finished request. */
typedef struct http_metrics_sample {
    const char *route;    /* the route template */
    const char *method;
    const char *resource; /* a configured resource, or NULL (label left out) */
    int status;
    double seconds;
    uint64_t statements;
    bool used_database;   /* the request opened a session: pool wait and
                             database time are observed */
    double pool_wait_seconds, db_seconds;
} http_metrics_sample;
void http_metrics_observe(http_metrics *m, const http_metrics_sample *sample);
typedef enum http_metric_counter {
    HTTP_METRIC_TX_RETRIES, /* transaction replays */
    HTTP_METRIC_COUNTERS
} http_metric_counter;
void http_metrics_add(http_metrics *m, http_metric_counter c, uint64_t n);
/* Prometheus text exposition into a: the request metrics, the pools,
 * the database's state, retort_build_info and process_*. */
const char *http_metrics_render(const http_app *app, arena *a);

#endif
