/*
 * Private to src/http: the request and server structs and what the
 * server, router, worker pool and reply code share.
 */
#ifndef RETORT_HTTP_INT_H
#define RETORT_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "dto.h"
#include "http.h"
#include "query.h"
#include "strbuf.h"

/* Handlers build no SQL: Core's API (sql.h) stays out of src/http. Only
 * the types the ORM passes through are visible (forward-declared). */
#ifdef RETORT_SQL_H
#error "src/http must not include sql.h: use the ORM, DTO and query APIs"
#endif

enum { HTTP_MAX_PATH_PARAMS = 8, HTTP_MAX_QUERY_PARAMS = 64 };

typedef struct http_out_header {
    struct http_out_header *next;
    const char *name, *value;
} http_out_header;

typedef struct http__stream http__stream;

typedef enum http_req_state {
    HTTP_REQ_RECEIVING, /* body arriving */
    HTTP_REQ_QUEUED,    /* suspended, waiting for or running on a worker */
    HTTP_REQ_DONE       /* response ready to queue */
} http_req_state;

struct http_request {
    arena *arena;
    http_server *server;
    struct MHD_Connection *conn;
    http_method method;
    const char *method_name;
    const char *path;      /* raw (still percent-encoded) path */
    const http_route *route;
    unsigned allowed;      /* methods of templates matching the path (405) */
    const char *param_names[HTTP_MAX_PATH_PARAMS];
    const char *param_values[HTTP_MAX_PATH_PARAMS];
    const char *param_raw[HTTP_MAX_PATH_PARAMS];
    size_t n_params;
    const char *query_names[HTTP_MAX_QUERY_PARAMS];
    const char *query_values[HTTP_MAX_QUERY_PARAMS];
    size_t n_query;
    bool too_many_query;
    const char *bad_query; /* a parameter not valid percent-encoded UTF-8:
                              its decoded name ("" when the name is bad) */
    sbuf body;
    bool has_body, too_large;
    json_t *json;          /* decref'd when the arena dies */
    const char *request_id;
    const char *trace_id;  /* W3C traceparent's trace id; see http__trace_id */
    bool trace_checked;
    const char *role;      /* the authenticated role, for the access log; NULL = none */
    double start;          /* monotonic seconds */
    orm_session *session;
    auth_identity identity;
    const char *tenant_schema; /* auth.tenancy: the schema of the request's tenant */
    query_row_policy row_policy; /* the role's row filters (http_rowfilter.c) */
    /* Transaction-local settings of the request's sessions (role, claims,
     * search_path): http__session_identity. */
    const char *setting_names[4], *setting_values[4];
    int n_settings;

    /* The response; written by whichever thread runs the handler, read by
     * the I/O thread after the hand-back (state is the fence). */
    int status;
    const char *content_type;
    const char *resp_body;
    size_t resp_len;
    sbuf resp;             /* the JSON body http_reply_writer writes */
    jsonw writer;
    http_out_header *headers;
    bool replied;
    _Atomic int state;     /* http_req_state */
    http__stream *stream;  /* a streamed reply (http_stream.c), else NULL */
};

typedef struct http__templates http__templates;

struct http_server {
    const cfg_server *cfg; /* the app's configuration, server section */
    cfg_server *owned_cfg; /* the admin listener's copy of it, freed on stop */
    bool admin;            /* the admin listener: HTTP_ROUTE_ADMIN routes need no role */
    const http_route *routes;
    http__templates *templates;
    size_t n_routes;
    http_app *app;
    struct MHD_Daemon *daemon;
    int port;
    atomic_int active; /* requests created and not yet completed */
    atomic_bool draining; /* http_server_stop began: Connection: close */
    _Atomic double last_arrival; /* monotonic seconds of the latest request */

    /* The database workers (http_workers.c): a bounded ring of suspended
     * requests, run by request coroutines on n_threads loop threads. */
    pthread_mutex_t mu;
    http_request **ring;
    int ring_cap, ring_head, ring_len;
    int running; /* requests a coroutine is running now */
    bool stopping;
    pthread_t *threads;
    int n_threads;
    struct http__loop *loops; /* n_threads */

    /* Connection phases and deadlines (http_conns.c). */
    pthread_mutex_t conns_mu;
    struct http__conn *conns; /* every open connection, newest first */
    int n_conns, max_conns;
    pthread_t janitor;
    pthread_cond_t janitor_wake;
    bool janitor_stop;
    int per_loop;             /* request coroutines per loop, at most */
    unsigned next_loop;       /* round robin for wake-ups; under mu */
};

/* ---- connection phases (http_conns.c) ---------------------------------- */

typedef struct http__conn http__conn;
typedef enum http__conn_phase {
    HTTP_CONN_HEADERS, /* waiting for a request's headers (total deadline) */
    HTTP_CONN_BODY,    /* receiving its body (total deadline, half-close ends it) */
    HTTP_CONN_BUSY     /* being answered */
} http__conn_phase;
/* Sizes the connection table (s->max_conns) and starts the janitor. */
bool http__conns_start(http_server *s);
void http__conns_stop(http_server *s);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback (cls: the server). */
void http__conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* The request on conn moved to phase (I/O thread). */
void http__conn_phase_set(http_server *s, struct MHD_Connection *conn, http__conn_phase phase);

/* Router: finds the route for method + path, filling path parameters;
 * sets req->allowed when the path matches under other methods only. */
void http__route(http_request *req, const http_route *routes,
                 const http__templates *templates, size_t n);
/* The route templates split into segments once per server (heap). */
http__templates *http__templates_create(const http_route *routes, size_t n);
void http__templates_destroy(http__templates *t);

/* Adds one query parameter (name and value as libmicrohttpd gives them:
 * still percent-encoded; value NULL for "?flag", which reads as "").
 * False past HTTP_MAX_QUERY_PARAMS (req->too_many_query set), or for an
 * invalid escape, an encoded NUL or text that is not UTF-8
 * (req->bad_query names the parameter): a 400 for the request. */
bool http__add_query(http_request *req, const char *key, const char *value);
/* Parses the query parameters of the connection into req. */
void http__parse_query(http_request *req);

/* The options of a request session under the app's configuration: the
 * pool, the statement cache, the registry, the [session] settings, the
 * request's trace comment and a checkout deadline of arrival +
 * pool_timeout. isolation_level NULL = database.isolation_level. */
orm_session_options http__session_options(http_request *req, const char *isolation_level);

/* The 32-hex-digit trace id of a valid W3C `traceparent` header, else
 * NULL (parsed once; lives in the request's arena). */
const char *http__trace_id(http_request *req);
/* "trace_id=<hex> request_id=<id>" for the SQL comment that shows the
 * request in pg_stat_activity; NULL without a trace. */
const char *http__sql_comment(http_request *req);

/* Worker pool. */
bool http__workers_start(http_server *s, err_report *err);
/* Hands a suspended request to a worker; false when the queue is full or
 * the server is stopping. */
bool http__workers_submit(http_server *s, http_request *req);
/* Stops the workers once the queue is empty and joins them; with a
 * deadline > 0 (monotonic seconds) false when one is still running a
 * request then (the server must not be freed); 0 waits without limit. */
bool http__workers_stop(http_server *s, double deadline);
/* Runs a handler and closes the request's session (any thread). */
void http__run_handler(http_request *req);

/* /metrics: the process (process_*, retort_build_info;
 * http_metrics_process.c). */
void http__metrics_render_process(sbuf *b);

/* Read replicas (http_replicas.c): may the request read from a replica
 * (GET, HEAD, a query document without a lock), did the client send
 * `Prefer: read=primary`, and the replicas' entries of /health/pool. */
bool http__reads_only(http_request *req);
bool http__prefers_primary(http_request *req);
void http__write_replicas(jsonw *w, const http_app *app);
/* A pool's members of /health/pool (http_health.c). */
void http__write_pool_members(jsonw *w, eng_pool *pool);
/* The resource label of a request: its {resource} path parameter when it
 * names a configured model, else NULL. */
const char *http__metrics_resource(http_request *req);

enum {
    /* Bodies larger than this are gzip-compressed when the client accepts
     * it (SPEC.md §5: above 1 KiB). */
    HTTP_GZIP_MIN_BYTES = 1024
};

/* Queues req's response on its connection (I/O thread). */
enum MHD_Result http__send(http_request *req);
/* What the access log says about the client, read from the connection
 * (in the request arena). */
typedef struct http__peer {
    const char *client, *forwarded_for, *user_agent;
} http__peer;
void http__peer_of(http_request *req, http__peer *out);
/* Metrics and the access-log record of a reply that went out (http__send,
 * or the end of a streamed one). */
void http__observe(http_request *req, double total_ms, const orm_session_stats *st);
/* Ends a request: its arena (and session) and its place in the server's
 * count of requests in flight (the completion notice, or the writer of a
 * streamed reply when it lets go last). */
void http__request_end(http_request *req);

/* ---- streamed replies (http_stream.c) ----
 * A handler on a worker that sends a large result as it reads it: begin
 * (status, content type and the headers added so far go out; the request
 * is handed back to libmicrohttpd now), write batch after batch, end.
 * The arena and session stay the worker's until the handler returns. */
/* NULL with err set (nothing sent: reply with a problem) when no stream
 * can be opened. */
http__stream *http__stream_begin(http_request *req, int status, const char *content_type,
                                 err_report *err);
/* Sends n bytes, waiting for the client to take them; false once the
 * client is gone (or for HEAD): stop producing. */
bool http__stream_write(http__stream *st, const char *data, size_t n);
bool http__stream_gone(const http__stream *st);
/* The end of the body: complete, or cut (failed: the client sees an
 * incomplete reply, never a complete wrong one). Logs the request. */
void http__stream_end(http__stream *st, bool failed);
/* For http__send (I/O thread): the response reading the stream, and the
 * session's numbers as they were at the hand-back (Server-Timing). */
struct MHD_Response *http__stream_response(http_request *req);
void http__stream_stats(const http_request *req, orm_session_stats *out);
/* The client as it was at the hand-back (the connection may be gone when
 * the stream ends and is logged). */
void http__stream_peer(const http_request *req, http__peer *out);
/* One holder of a streamed request lets go: true when it was the last one
 * (or the request streams nothing) and the caller must end the request. */
bool http__stream_let_go(http_request *req);
/* The worker's end of a request: false when it is not streamed (resume it
 * as usual); else lets go (ending it when last) and true. */
bool http__stream_worker_done(http_request *req);

/* ---- REST API helpers (http_api_*.c) ---- */

/* The mapper of the {resource} path parameter; 404 when unknown. */
const orm_mapper *http__api_mapper(http_request *req, err_report *err);
/* Every column values (an object, or an array of them for bulk rows) sets
 * is in the role's write list; else 403 with a pointer per column
 * (prefix + "/" + column). */
bool http__api_writable(http_request *req, const orm_mapper *m, const json_t *values,
                        const char *prefix, err_report *err);
/* May the request's role do op on m? Records 404 (hidden), 401 or 403. */
bool http__api_allowed(http_request *req, const orm_mapper *m, cfg_operation op, err_report *err);
/* The {id} path parameter split into key values (composite keys: comma
 * separated, each percent-encoded); NULL with a 404 when the id cannot be
 * a key of m (wrong arity, or a value its column type cannot hold). */
const char **http__api_key(http_request *req, const orm_mapper *m, const char *raw_id,
                           err_report *err);
/* Replies with err, first turning constraint violations into pointers at
 * the model fields of the constraint (prefix + "/" + column). */
void http__api_fail(http_request *req, const orm_mapper *m, const char *pointer_prefix,
                    err_report *err);
/* The pointer prefix for a failed bulk insert of rows (after the
 * session's rollback): prefix + "/<row>" for a unique violation whose row
 * can be told (orm_bulk_conflicting_row), else prefix. */
const char *http__api_rows_pointer(http_request *req, orm_session *s, const orm_mapper *m,
                                   const dto_bulk *rows, const char *pointer_prefix,
                                   const err_report *err);
/* A foreign-key violation on DELETE: a 409 without a pointer (no field of
 * the request is at fault) whose detail names the referencing table. */
void http__api_describe_delete_conflict(const orm_mapper *m, err_report *err);
/* The URL of an entity: /api/<resource>/<identity>. */
const char *http__api_location(arena *a, const orm_mapper *m, const orm_entity *e);
/* The list envelope {"data": ..., "meta": {"limit", "offset", "count"}}
 * around the data the caller writes in between; limit null for limit
 * "all", count null unless the query asked for it (count >= 0); a paged
 * list (an API list of entities, not an aggregate's rows nor a
 * transaction's query) adds "next", its keyset cursor or null. */
void http__api_envelope_begin(jsonw *w);
void http__api_envelope_end(jsonw *w, const query_doc *q, int64_t count, bool paged,
                            const char *next);
/* One page of a translated query in the list envelope: entities through
 * the session (their load plan, DTOs), or an aggregate's rows; false with
 * err set (w may then hold part of it: reply with a problem). */
bool http__api_write_page(jsonw *w, orm_session *s, const orm_mapper *m, const query_doc *q,
                          err_report *err);
/* A list with limit "all", streamed from a server-side cursor
 * (http_api_export.c): true once replied (maybe cut after a later
 * failure), false with err set when nothing was sent. */
bool http__api_export(http_request *req, orm_session *s, const orm_mapper *m, query_doc *q,
                      bool csv, err_report *err);
/* Document limits from the server configuration, and the columns the
 * request's role may name (http__column_filter). */
query_limits http__api_limits(http_request *req);

/* Route handlers (http_api_*.c). */
void http__api_get_entity(http_request *req);
void http__api_create_entity(http_request *req);
void http__api_update_entity(http_request *req);
void http__api_delete_entity(http_request *req);
void http__api_list(http_request *req);
void http__api_query(http_request *req);
void http__api_bulk_insert(http_request *req);
void http__api_bulk_update(http_request *req);
void http__api_transaction(http_request *req);
void http__api_bulk_delete(http_request *req);
void http__api_rpc(http_request *req);
/* The q-value an Accept-style header (Accept, Accept-Encoding) gives the
 * first of names (most specific first, NULL-ended) it lists; -1 when it
 * lists none. A specific entry overrides a wildcard (RFC 9110 §12.5.1). */
double http__header_quality(const char *header, const char *const *names);

/* The representation a request's Accept header asks for: *csv true for
 * text/csv (only when csv_ok: lists, query documents, read-only named
 * queries), false for JSON (also without Accept, or with * / *,
 * application/ *). Neither acceptable: false with a 406 in err. */
bool http__api_format(http_request *req, bool csv_ok, bool *csv /* OUT */, err_report *err);
/* The upsert a request asks for with ?on_conflict=<col,...> (default the
 * primary key: an empty value), &on_conflict_update=<col,...> or
 * &on_conflict_action=nothing. *wanted false without on_conflict. The
 * column lists live in the request arena; problems are 400 items at the
 * parameter ("/on_conflict"). Other query parameters are left alone. */
bool http__api_conflict(http_request *req, const orm_mapper *m, orm_conflict *out /* OUT */,
                        bool *wanted /* OUT */, err_report *err);
/* The same from a transaction operation's "on_conflict" object
 * ({"target": [...], "update": [...]} or {"target": [...], "action":
 * "nothing"}), pointers under pointer. */
bool http__api_conflict_json(arena *a, const orm_mapper *m, const json_t *spec,
                             const char *pointer, orm_conflict *out /* OUT */, err_report *err);

/* CORS (http_cors.c). Answers OPTIONS on a known path: 204 with Allow,
 * plus the preflight headers when server.cors allows the Origin. */
void http__options(http_request *req);
/* Adds Access-Control-Allow-Origin and friends to a response when the
 * request's Origin is allowed (I/O thread, before sending). */
void http__cors_headers(http_request *req, struct MHD_Response *resp);

/* Authentication and the operational routes' role check, before any
 * handler; replies (401/403) and returns false when refused. */
bool http__authenticate(http_request *req);
/* Adds the request's database role, claims and tenant search_path to the
 * options of a session it opens. */
void http__session_identity(http_request *req, orm_session_options *o);
/* Sets the session's row filter from the role's permissions
 * (http_rowfilter.c); none for admins and without auth. */
void http__session_row_filter(http_request *req, orm_session_options *o);
/* The role's "read" lists as a column filter (*fn NULL: every column). */
void http__column_filter(http_request *req, orm_column_filter_fn *fn /* OUT */,
                         void **ctx /* OUT */);
/* A request that failed because its PostgreSQL role (auth.database_role)
 * is missing or out of reach: *out is a 403 naming the role, the log
 * says what to do. False for any other error. */
bool http__role_explains(http_request *req, const err_report *err, err_report *out /* OUT */);
/* May the request's role read every key column of m? */
bool http__key_readable(http_request *req, const orm_mapper *m);

http_method http__method_from_name(const char *name);
const char *http__method_names(arena *a, unsigned methods); /* "GET, POST" */

#endif
