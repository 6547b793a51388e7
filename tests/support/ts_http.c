#include "testsupport.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t) w;
    }
    return true;
}

/* Decodes a chunked body in place; returns the decoded length. */
static size_t dechunk(char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        char *end;
        unsigned long size = strtoul(body + in, &end, 16);
        char *crlf = strstr(end, "\r\n");
        if (!crlf || size == 0)
            break;
        in = (size_t) (crlf - body) + 2;
        if (in + size > len)
            size = len - in;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2;
    }
    body[out] = '\0';
    return out;
}

static void parse(arena *a, ts_response *r, char *raw, size_t len)
{
    char *head_end = strstr(raw, "\r\n\r\n");
    if (!head_end || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
        return;
    }
    *head_end = '\0';
    r->body = head_end + 4;
    r->body_len = len - (size_t) (r->body - raw);
    size_t cap = 1;
    for (char *p = raw; *p; p++)
        cap += *p == '\n';
    r->headers = ARENA_ARRAY(a, ts_header, cap);
    char *save = NULL;
    strtok_r(raw, "\r\n", &save); /* status line */
    for (char *line; (line = strtok_r(NULL, "\r\n", &save));) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        r->headers[r->n_headers].name = line;
        r->headers[r->n_headers].value = value;
        r->n_headers++;
    }
    const char *te = ts_header_get(r, "Transfer-Encoding");
    if (te && strcasecmp(te, "chunked") == 0)
        r->body_len = dechunk(r->body, r->body_len);
}

static ts_response *exchange(arena *a, int port, const char *head, size_t head_len,
                             const char *body, size_t body_len, int timeout_ms)
{
    ts_response *r = ARENA_NEW(a, ts_response);
    r->body = "";
    double start = ts_now();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    /* The server may answer (413) before reading the whole body, so a
     * failed send is not an error: the response is what counts. */
    if (send_all(fd, head, head_len) && body)
        send_all(fd, body, body_len);
    size_t cap = 65536, len = 0;
    char *raw = arena_alloc(a, cap);
    for (;;) {
        int left = timeout_ms - (int) ((ts_now() - start) * 1000);
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        if (len + 1 >= cap) {
            raw = arena_realloc(a, raw, len, cap * 2);
            cap *= 2;
        }
        ssize_t n = recv(fd, raw + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    close(fd);
    raw[len] = '\0';
    r->seconds = ts_now() - start;
    parse(a, r, raw, len);
    return r;
}

ts_response *ts_http_raw(arena *a, int port, const char *raw, size_t len, int timeout_ms)
{
    return exchange(a, port, raw, len, NULL, 0, timeout_ms);
}

ts_response *ts_http(arena *a, int port, const char *method, const char *path,
                     const char *const *headers, const char *body, size_t body_len,
                     int timeout_ms)
{
    char *req = arena_sprintf(a, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n",
                              method, path, port);
    bool has_type = false;
    for (size_t i = 0; headers && headers[i]; i++) {
        req = arena_sprintf(a, "%s%s\r\n", req, headers[i]);
        has_type |= strncasecmp(headers[i], "Content-Type:", 13) == 0;
    }
    if (body) {
        if (!has_type)
            req = arena_sprintf(a, "%sContent-Type: application/json\r\n", req);
        req = arena_sprintf(a, "%sContent-Length: %zu\r\n", req, body_len);
    }
    req = arena_sprintf(a, "%s\r\n", req);
    return exchange(a, port, req, strlen(req), body, body_len, timeout_ms);
}

const char *ts_header_get(const ts_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void *get_thread(void *arg)
{
    ts_get *g = arg;
    arena *a = arena_create(NULL, "ts_get");
    ts_response *r = ts_http(a, g->port, "GET", g->path, NULL, NULL, 0,
                             g->timeout_ms > 0 ? g->timeout_ms : 30000);
    g->status = r->status;
    g->retry_after = ts_header_get(r, "Retry-After") != NULL;
    g->seconds = r->seconds;
    arena_destroy(a);
    return NULL;
}

void ts_get_start(ts_get *g)
{
    if (pthread_create(&g->thread, NULL, get_thread, g) != 0)
        abort();
}

void ts_get_join(ts_get *g)
{
    pthread_join(g->thread, NULL);
}
