/*
 * The libmicrohttpd daemon: request life from the first callback to the
 * completion notice. The rule that shapes this file: an I/O thread never
 * waits for the database. Requests for HTTP_ROUTE_DB routes are suspended
 * and handed to the worker pool (http_workers.c), which resumes them with
 * a response; everything else is answered on the spot.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The drain's idle period: keep-alive connections that sent nothing for
 * this long are closed without waiting for the rest of the grace. */
#define DRAIN_QUIET_S 0.5
/* At most this many backlog connections adopted at the drain (the
 * listen backlog is 1,024). */
enum { MAX_ADOPTED = 1024 };

/* ---- request ids ------------------------------------------------------- */

static atomic_uint_fast64_t id_counter;
static uint64_t id_seed;

static const char *new_request_id(arena *a)
{
    uint64_t n = atomic_fetch_add(&id_counter, 1) + 1;
    /* splitmix64 of seed+counter: unique per process, unpredictable enough
     * to not collide across instances. */
    uint64_t z = id_seed + n * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return arena_sprintf(a, "%016llx", (unsigned long long) z);
}

/* A client-supplied id is echoed only when it is short and printable, so
 * it cannot inject into headers or the log. */
static bool acceptable_request_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 128)
        return false;
    for (const char *p = id; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return false;
    return true;
}

/* ---- the request life -------------------------------------------------- */

static http_request *request_new(http_server *s, struct MHD_Connection *conn, const char *url,
                                 const char *method)
{
    arena *a = arena_create(NULL, "request");
    http_request *req = ARENA_NEW(a, http_request);
    req->arena = a;
    req->server = s;
    req->conn = conn;
    req->start = now_s();
    req->method_name = arena_strdup(a, method);
    req->method = http__method_from_name(method);
    req->path = arena_strdup(a, url);
    const char *sent_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    req->request_id = sent_id && acceptable_request_id(sent_id) ? arena_strdup(a, sent_id)
                                                                : new_request_id(a);
    sbuf_init(&req->body, a, 256);
    atomic_store(&req->state, HTTP_REQ_RECEIVING);
    http__parse_query(req);
    http__route(req, s->routes, s->templates, s->n_routes);
    atomic_fetch_add(&s->active, 1);
    return req;
}

static bool is_json_media_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    /* application/problem+json, application/merge-patch+json, ... */
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

static void decref_json(void *p)
{
    json_decref(p);
}

/* Checks shared by every route before its handler runs: route found,
 * method allowed, body size, media type, JSON syntax. Replies and returns
 * false when the request cannot proceed. */
static bool admit(http_request *req)
{
    err_report err;
    err_init(&err, req->arena);
    if (req->too_large) {
        err_set(&err, ERR_TOO_LARGE, "The request body exceeds the limit of %zu bytes.",
                req->server->cfg->max_body_bytes);
    } else if (req->method == HTTP_OPTIONS && (req->route || req->allowed)) {
        http__options(req); /* before credentials: preflights carry none */
        return false;
    } else if (!req->route && req->allowed) {
        http_add_header(req, "Allow", http__method_names(req->arena, req->allowed));
        err_set(&err, ERR_METHOD, "%s is not allowed on %s.", req->method_name, req->path);
    } else if (!req->route) {
        err_set(&err, ERR_NOT_FOUND, "No resource at %s.", req->path);
    } else if (req->bad_query) {
        err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(req->arena, "/%s", req->bad_query),
                     "The query parameter %s%s%sis not valid percent-encoded UTF-8 (or holds a "
                     "NUL byte).",
                     *req->bad_query ? "\"" : "", req->bad_query, *req->bad_query ? "\" " : "");
    } else if (req->too_many_query) {
        err_add_item(&err, ERR_BAD_REQUEST, NULL, "Too many query parameters (at most %d).",
                     HTTP_MAX_QUERY_PARAMS);
    } else if (!http__authenticate(req)) {
        return false;
    } else if ((req->route->flags & HTTP_ROUTE_JSON_BODY) ||
               ((req->route->flags & HTTP_ROUTE_JSON_BODY_OPTIONAL) && req->has_body)) {
        const char *ct =
            MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!req->has_body) {
            err_add_item(&err, ERR_BAD_REQUEST, "", "A JSON request body is required.");
        } else if (!is_json_media_type(ct)) {
            err_set(&err, ERR_MEDIA_TYPE, "The body must be sent as application/json, not %s.",
                    ct ? ct : "without a Content-Type");
        } else {
            json_error_t jerr;
            req->json = json_loadb(req->body.data, req->body.len,
                                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
            if (!req->json)
                err_add_item(&err, ERR_BAD_REQUEST, "",
                             "The body is not valid JSON: %s (line %d, column %d).", jerr.text,
                             jerr.line, jerr.column);
            else
                arena_on_reset(req->arena, decref_json, req->json);
        }
    }
    if (!err_is_set(&err))
        return true;
    if (err.kind == ERR_BAD_REQUEST && err.title == err_kind_title(ERR_BAD_REQUEST))
        err.title = "malformed request";
    http_reply_problem(req, &err);
    return false;
}

/* ---- framing: what a proxy in front could read differently ------------- */

typedef struct framing {
    int n_length, n_encoding;
    const char *length, *encoding;
    bool length_conflict, has_host, bad_value;
} framing;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void) kind;
    framing *f = cls;
    if (!value)
        value = "", value_size = 0;
    /* NUL, CR or LF inside a value (obs-fold included) is how one header
     * becomes two for somebody else. */
    if (strlen(value) != value_size || strpbrk(value, "\r\n"))
        f->bad_value = true;
    if (key_size == 14 && strcasecmp(key, "Content-Length") == 0) {
        if (f->n_length++ && strcmp(f->length, value) != 0)
            f->length_conflict = true;
        f->length = value;
    } else if (key_size == 17 && strcasecmp(key, "Transfer-Encoding") == 0) {
        f->n_encoding++;
        f->encoding = value;
    } else if (key_size == 4 && strcasecmp(key, "Host") == 0) {
        f->has_host = true;
    }
    return MHD_YES;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* RFC 9112 §6.3 and §3.2: a request whose length or headers two parsers
 * could read differently is refused before anything else looks at it. */
static bool framing_ok(http_request *req, const char *version)
{
    framing f = {0};
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, scan_header, &f);
    err_report err;
    err_init(&err, req->arena);
    if (f.bad_value)
        err_set(&err, ERR_BAD_REQUEST,
                "A header value contains a NUL, CR or LF byte (or is folded over lines).");
    else if (f.length_conflict)
        err_set(&err, ERR_BAD_REQUEST, "The request has conflicting Content-Length headers.");
    else if (f.n_length && !all_digits(f.length))
        err_set(&err, ERR_BAD_REQUEST, "Content-Length must be a decimal number of bytes.");
    else if (f.n_encoding && f.n_length)
        err_set(&err, ERR_BAD_REQUEST,
                "A request cannot carry both Content-Length and Transfer-Encoding.");
    else if (f.n_encoding > 1 || (f.n_encoding && strcasecmp(f.encoding, "chunked") != 0))
        err_set(&err, ERR_BAD_REQUEST,
                "Transfer-Encoding \"%s\" is not supported: send chunked or a Content-Length.",
                f.encoding);
    else if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && !f.has_host)
        err_set(&err, ERR_BAD_REQUEST, "An HTTP/1.1 request must carry a Host header.");
    if (!err_is_set(&err))
        return true;
    err.title = "malformed request";
    http_reply_problem(req, &err);
    return false;
}

/* Every reply goes out here: during the drain it asks the client to close,
 * so a keep-alive connection ends with the response to a request it
 * already sent instead of being cut while sending the next. */
static enum MHD_Result send_reply(http_request *req)
{
    /* (A streamed reply decided this before its hand-back: its arena is
     * its writer's now, http_stream.c.) */
    if (atomic_load(&req->server->draining) && !req->stream)
        http_add_header(req, "Connection", "close");
    return http__send(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    http_server *s = cls;
    http_request *req = *req_cls;

    if (!req) {
        http__conn_phase_set(s, conn, HTTP_CONN_BODY);
        req = request_new(s, conn, url, method);
        *req_cls = req;
        atomic_store(&s->last_arrival, req->start);
        if (!framing_ok(req, version)) {
            atomic_store(&req->state, HTTP_REQ_DONE);
            return send_reply(req);
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->cfg->max_body_bytes) {
            /* Answer before reading a byte of an oversized body. */
            req->too_large = true;
            admit(req);
            atomic_store(&req->state, HTTP_REQ_DONE);
            return send_reply(req);
        }
        return MHD_YES;
    }

    int state = atomic_load(&req->state);
    if (state == HTTP_REQ_DONE)
        return send_reply(req); /* resumed by a worker, or answered early */
    if (state == HTTP_REQ_QUEUED)
        return MHD_YES; /* spurious call while suspended */

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        req->has_body = true;
        if (!req->too_large && req->body.len + n > s->cfg->max_body_bytes)
            req->too_large = true; /* chunked upload: no Content-Length to check */
        if (!req->too_large)
            sbuf_append_n(&req->body, upload_data, n);
        *upload_data_size = 0;
        return MHD_YES;
    }

    /* The whole request is in. */
    http__conn_phase_set(s, conn, HTTP_CONN_BUSY);
    if (!admit(req)) {
        atomic_store(&req->state, HTTP_REQ_DONE);
        return send_reply(req);
    }
    if (!(req->route->flags & HTTP_ROUTE_DB)) {
        http__run_handler(req);
        atomic_store(&req->state, HTTP_REQ_DONE);
        return send_reply(req);
    }
    atomic_store(&req->state, HTTP_REQ_QUEUED);
    MHD_suspend_connection(conn);
    if (!http__workers_submit(s, req)) {
        err_report err;
        err_init(&err, req->arena);
        err_set(&err, ERR_UNAVAILABLE,
                "The server is at capacity (%d requests queued); retry shortly.",
                s->cfg->queue_depth);
        http_reply_problem(req, &err);
        atomic_store(&req->state, HTTP_REQ_DONE);
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void) toe;
    http_server *s = cls;
    http_request *req = *req_cls;
    /* Keep-alive: the next request's headers are due within the idle
     * timeout, counted from now, not from its last byte. */
    http__conn_phase_set(s, conn, HTTP_CONN_HEADERS);
    if (!req)
        return;
    *req_cls = NULL;
    /* The writer of a streamed reply may still hold the request: then it
     * ends it when it lets go (http_stream.c). */
    if (http__stream_let_go(req))
        http__request_end(req);
}

void http__request_end(http_request *req)
{
    http_server *s = req->server;
    arena_destroy(req->arena); /* closes the session if a path left it open */
    atomic_fetch_sub(&s->active, 1);
}

/* libmicrohttpd would percent-decode the path before routing; retort
 * decodes each path segment and query value itself, so that an encoded
 * "/" or "," inside a key stays part of that key. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    (void) cls;
    (void) c;
    return strlen(s);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    log_warn("libmicrohttpd: %s", line);
}

/* cfg outlives the server (the app's configuration, or the admin copy the
 * server owns). */
static http_server *start(const cfg_server *cfg, bool admin, const http_route *routes,
                          size_t n_routes, http_app *app, err_report *err);

http_server *http_server_start(const http_route *routes, size_t n_routes, http_app *app,
                               err_report *err)
{
    return start(&app->config->server, false, routes, n_routes, app, err);
}

http_server *http_server_start_admin(const http_route *routes, size_t n_routes, http_app *app,
                                     err_report *err)
{
    /* One small listener: operational routes are cheap and never many. */
    cfg_server *cfg = malloc(sizeof *cfg);
    if (!cfg)
        abort();
    *cfg = app->config->server;
    cfg->port = app->config->server.admin_port;
    cfg->io_threads = 1;
    cfg->workers = 1;
    cfg->queue_depth = 16;
    cfg->access_log = false;
    http_server *s = start(cfg, true, routes, n_routes, app, err);
    if (s)
        s->owned_cfg = cfg;
    else
        free(cfg);
    return s;
}

/* libmicrohttpd's memory pool per connection (its default is 32 KiB). It
 * holds the request line and headers while they are parsed, then the
 * response headers, and it is zeroed after every response, so each
 * keep-alive connection keeps it resident: 10,000 idle connections cost
 * 10,000 times this. The default (8 KiB) keeps that under 100 MB and fits
 * ordinary headers with a bearer token of about 6 KiB; larger headers get
 * libmicrohttpd's own 431 (server.connection_memory_kib raises it). */
static size_t connection_memory(const cfg_server *cfg)
{
    return (size_t) (cfg->connection_memory_kib > 0 ? cfg->connection_memory_kib : 8) * 1024;
}

static http_server *start(const cfg_server *cfg, bool admin, const http_route *routes,
                          size_t n_routes, http_app *app, err_report *err)
{
    if (id_seed == 0 && getrandom(&id_seed, sizeof id_seed, 0) != (ssize_t) sizeof id_seed)
        id_seed = (uint64_t) time(NULL) ^ (uint64_t) getpid() << 32;

    http_server *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->cfg = cfg;
    s->admin = admin;
    s->routes = routes;
    s->n_routes = n_routes;
    s->templates = http__templates_create(routes, n_routes);
    s->app = app;
    atomic_init(&s->active, 0);
    atomic_init(&s->draining, false);
    atomic_init(&s->last_arrival, 0.0);

    struct sockaddr_in6 sa6;
    struct sockaddr_in sa4;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    const char *host = cfg->host && *cfg->host ? cfg->host : "0.0.0.0";
    memset(&sa4, 0, sizeof sa4);
    memset(&sa6, 0, sizeof sa6);
    if (inet_pton(AF_INET, host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t) cfg->port);
        sa = (struct sockaddr *) &sa4;
    } else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t) cfg->port);
        sa = (struct sockaddr *) &sa6;
        flags |= MHD_USE_IPv6;
    } else {
        err_set(err, ERR_CONFIG, "server.host must be an IPv4 or IPv6 address, not \"%s\".",
                host);
        http__templates_destroy(s->templates);
        free(s);
        return NULL;
    }

    if (!http__workers_start(s, err)) {
        http__templates_destroy(s->templates);
        free(s);
        return NULL;
    }
    if (!http__conns_start(s)) {
        err_set(err, ERR_INTERNAL, "Cannot start the connection janitor thread.");
        http__workers_stop(s, 0);
        http__templates_destroy(s->templates);
        free(s);
        return NULL;
    }
    /* Bounded clients: one address holds at most max_connections_per_client
     * of the max_connections slots, and a connection silent for
     * idle_timeout_s is closed (libmicrohttpd restarts that clock at every
     * byte: the total deadlines for headers and bodies are http_conns.c's). */
    /* One polling thread is no thread pool: the option is left out then
     * (libmicrohttpd warns about a pool of 0 or 1). */
    struct MHD_OptionItem pool[] = {
        {cfg->io_threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         cfg->io_threads > 1 ? cfg->io_threads : 0, NULL},
        {MHD_OPTION_END, 0, NULL}};
    s->daemon = MHD_start_daemon(
        flags, (uint16_t) cfg->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        log_mhd, NULL, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_ARRAY, pool,
        MHD_OPTION_NOTIFY_CONNECTION, http__conn_notify, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned) s->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned) (cfg->max_connections_per_client > 0 ? cfg->max_connections_per_client
                                                        : s->max_conns),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) (cfg->idle_timeout_s > 0 ? cfg->idle_timeout_s : 30),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        connection_memory(cfg), MHD_OPTION_END);
    if (!s->daemon) {
        err_set(err, ERR_CONFIG, "Cannot listen on %s:%d (address in use or not available).",
                host, cfg->port);
        http__conns_stop(s);
        http__workers_stop(s, 0);
        http__templates_destroy(s->templates);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    return s;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

static unsigned open_connections(http_server *s)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* Connections the kernel completed before the listener stopped but that
 * nobody accepted yet would be reset by its close: a client (a load
 * balancer) that already sent its request sees it fail, and cannot know
 * it is safe to retry. They are accepted here and handed to the daemon,
 * which answers them like any other during the drain (Connection:
 * close). */
static void adopt_backlog(http_server *s, MHD_socket listener)
{
    int fl = fcntl(listener, F_GETFL);
    if (fl < 0 || fcntl(listener, F_SETFL, fl | O_NONBLOCK) != 0)
        return;
    for (int n = 0; n < MAX_ADOPTED; n++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = accept4(listener, (struct sockaddr *) &addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: the backlog is empty */
        if (MHD_add_connection(s->daemon, fd, (struct sockaddr *) &addr, len) != MHD_YES)
            log_warn("http: a connection accepted during the drain could not be served");
    }
}

bool http_server_stop(http_server *s)
{
    if (!s)
        return true;
    /* From here every response says Connection: close (send_reply). */
    atomic_store(&s->draining, true);
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET) {
        adopt_backlog(s, listener);
        close(listener);
    }
    double start = now_s();
    double deadline = start + s->cfg->shutdown_grace_ms / 1000.0;
    /* Done when no request is in flight and either every connection has
     * closed (each closes after its next response) or none has sent a
     * request for DRAIN_QUIET_S: an idle keep-alive connection is then
     * closed by the daemon's stop, as any server must close one. */
    for (;;) {
        double now = now_s();
        bool quiet = now - start >= DRAIN_QUIET_S &&
                     now - atomic_load(&s->last_arrival) >= DRAIN_QUIET_S;
        if (atomic_load(&s->active) == 0 && (open_connections(s) == 0 || quiet))
            break;
        if (now >= deadline)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Workers finish what is queued and resume those connections, so no
     * connection is left suspended when the daemon stops. A worker stuck
     * past the grace keeps the server: it cannot be freed under it. */
    if (!http__workers_stop(s, deadline))
        return false;
    MHD_stop_daemon(s->daemon);
    http__conns_stop(s);
    http__templates_destroy(s->templates);
    free(s->owned_cfg);
    free(s);
    return true;
}
