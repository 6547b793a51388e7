/*
 * fuzz_http — libFuzzer over the HTTP request layer: libmicrohttpd's
 * parser and retort's access handler (framing checks, body admission,
 * query and path decoding, routing over the REST API's route templates,
 * the worker hand-off), on a real server on a loopback port.
 *
 * Each input is one client's bytes: sent on a fresh connection, the write
 * side then closed, the reply read until the server closes. The handlers
 * are stand-ins that answer from what the router and the request parsed
 * (no database, so the run measures the request layer, not PostgreSQL).
 * Invariants: no crash or sanitizer report anywhere in the server; what
 * comes back is empty (the library closed the connection) or starts with
 * an HTTP/1.x status line; a 4xx/5xx written by retort (it carries
 * X-Request-Id) is application/problem+json.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static http_server *SERVER; /* runs until the process exits */
static arena *ARENA;
static int PORT;

/* Echoes what was parsed: the route, its path parameters, the query. */
static void echo(http_request *req)
{
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    jsonw_key(w, "route");
    jsonw_string(w, http_req_route_name(req));
    jsonw_key(w, "id");
    const char *id = http_req_path_param(req, "id");
    if (id)
        jsonw_string(w, id);
    else
        jsonw_null(w);
    jsonw_key(w, "query");
    jsonw_object_begin(w);
    for (size_t i = 0; i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        jsonw_key(w, name);
        jsonw_string(w, value);
    }
    jsonw_object_end(w);
    jsonw_object_end(w);
    http_reply_written(req, 200);
}

static void start(void)
{
    arena *a = ARENA = arena_create(NULL, "fuzz_http");
    cfg_config *cfg = cfg_default(a);
    cfg->server.host = "127.0.0.1";
    cfg->server.port = 0;
    cfg->server.io_threads = 1;
    cfg->server.workers = 2;
    cfg->server.max_body_bytes = 65536;
    cfg->server.access_log = false;
    cfg->server.shutdown_grace_ms = 1000;
    static http_app app;
    app.config = cfg;
    /* The API's templates, methods and flags; stand-in handlers. */
    size_t n = HTTP_N_API_ROUTES;
    http_route *routes = ARENA_ARRAY(a, http_route, n + 1);
    for (size_t i = 0; i < n; i++) {
        routes[i] = HTTP_API_ROUTES[i];
        routes[i].handler = echo;
    }
    err_report err;
    err_init(&err, a);
    SERVER = http_server_start(routes, n, &app, &err);
    if (!SERVER) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", err.detail ? err.detail : "");
        abort();
    }
    PORT = http_server_port(SERVER);
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) PORT)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    /* A request the server still waits on (a body shorter than its
     * Content-Length: libmicrohttpd does not act on the client's FIN then)
     * gets no reply; 300 ms is enough to tell. */
    struct timeval tv = {0, 300 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timeval send_tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof send_tv);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        abort();
    return fd;
}

static void check_reply(const char *reply, size_t len)
{
    if (len == 0)
        return; /* libmicrohttpd closed without answering (README: exceptions) */
    if (len < 12 || strncmp(reply, "HTTP/1.", 7) != 0) {
        fprintf(stderr, "fuzz_http: not an HTTP reply: %.80s\n", reply);
        abort();
    }
    int status = atoi(reply + 9);
    const char *head_end = strstr(reply, "\r\n\r\n");
    size_t head = head_end ? (size_t) (head_end - reply) : len;
    char *headers = strndup(reply, head);
    if (status >= 400 && strcasestr(headers, "\r\nX-Request-Id:") &&
        !strcasestr(headers, "\r\nContent-Type: application/problem+json")) {
        fprintf(stderr, "fuzz_http: a %d from retort that is not problem+json:\n%s\n", status,
                headers);
        abort();
    }
    free(headers);
}

/* A whole reply with a Content-Length is in. */
static bool response_complete(const char *reply, size_t len)
{
    const char *end = strstr(reply, "\r\n\r\n");
    if (!end)
        return false;
    const char *cl = strcasestr(reply, "\r\nContent-Length:");
    if (!cl || cl > end)
        return false;
    size_t body = strtoul(cl + 17, NULL, 10);
    return len >= (size_t) (end + 4 - reply) + body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!SERVER)
        start();
    int fd = connect_server();
    size_t off = 0;
    while (off < size) {
        ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server answered early and closed */
        off += (size_t) w;
    }
    shutdown(fd, SHUT_WR);
    size_t cap = 1 << 16, len = 0;
    char *reply = malloc(cap + 1);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            reply = realloc(reply, cap + 1);
        }
        ssize_t r = recv(fd, reply + len, cap - len, 0);
        if (r <= 0)
            break;
        len += (size_t) r;
        reply[len] = '\0';
        if (response_complete(reply, len))
            break; /* the first reply is what is checked; no wait for the close */
    }
    reply[len] = '\0';
    close(fd);
    check_reply(reply, len);
    free(reply);
    return 0;
}
