/*
 * Routing: path templates matched segment by segment. Literal segments
 * outrank "{param}" segments, so "/api/{resource}/query" beats
 * "/api/{resource}/{id}" for the method it is declared with, while for
 * other methods "query" remains an ordinary id (SPEC.md: GET
 * /api/{resource}/query is the entity whose key is "query").
 */
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

enum { MAX_SEGMENTS = 16 };

typedef struct segments {
    const char *start[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    size_t n;
    bool overflow;
} segments;

static void split(const char *path, segments *out)
{
    out->n = 0;
    out->overflow = false;
    const char *p = path;
    while (*p == '/')
        p++;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t) (end - p) : strlen(p);
        if (out->n == MAX_SEGMENTS) {
            out->overflow = true;
            return;
        }
        out->start[out->n] = p;
        out->len[out->n] = len;
        out->n++;
        p += len;
        if (*p == '/')
            p++;
    }
}

/* Returns the match score (number of literal segments + 1), 0 when the
 * template does not match. */
static int match(const segments *tmpl, const segments *path)
{
    if (tmpl->n != path->n)
        return 0;
    int score = 1;
    for (size_t i = 0; i < tmpl->n; i++) {
        bool is_param = tmpl->len[i] > 1 && tmpl->start[i][0] == '{';
        if (is_param) {
            if (path->len[i] == 0)
                return 0;
            continue;
        }
        if (tmpl->len[i] != path->len[i] ||
            memcmp(tmpl->start[i], path->start[i], tmpl->len[i]) != 0)
            return 0;
        score++;
    }
    return score;
}

/* Templates are split once, when the server starts, not per request. */
struct http__templates {
    segments *tmpl;
};

http__templates *http__templates_create(const http_route *routes, size_t n)
{
    http__templates *t = calloc(1, sizeof *t);
    if (!t || !(t->tmpl = calloc(n ? n : 1, sizeof *t->tmpl)))
        abort();
    for (size_t i = 0; i < n; i++)
        split(routes[i].path, &t->tmpl[i]);
    return t;
}

void http__templates_destroy(http__templates *t)
{
    if (!t)
        return;
    free(t->tmpl);
    free(t);
}

void http__route(http_request *req, const http_route *routes, const http__templates *templates,
                 size_t n)
{
    segments path;
    split(req->path, &path);
    if (path.overflow)
        return;
    const http_route *best = NULL;
    segments best_tmpl;
    int best_score = 0;
    for (size_t i = 0; i < n; i++) {
        const segments *tmpl = &templates->tmpl[i];
        int score = match(tmpl, &path);
        if (!score)
            continue;
        unsigned methods = routes[i].methods;
        if (methods & HTTP_GET)
            methods |= HTTP_HEAD;
        if (!(methods & req->method)) {
            req->allowed |= routes[i].methods;
            continue;
        }
        if (score > best_score) {
            best = &routes[i];
            best_score = score;
            best_tmpl = *tmpl;
        }
    }
    if (!best)
        return;
    /* A more specific template under another method must not turn this
     * request into a 405: the chosen route answers it. */
    req->route = best;
    for (size_t i = 0; i < best_tmpl.n && req->n_params < HTTP_MAX_PATH_PARAMS; i++) {
        if (!(best_tmpl.len[i] > 1 && best_tmpl.start[i][0] == '{'))
            continue;
        char *value = sbuf_pct_decode(req->arena, path.start[i], path.len[i], false);
        if (!value) {
            /* An undecodable segment cannot name anything. */
            req->route = NULL;
            req->allowed = 0;
            return;
        }
        req->param_names[req->n_params] =
            arena_strndup(req->arena, best_tmpl.start[i] + 1, best_tmpl.len[i] - 2);
        req->param_values[req->n_params] = value;
        req->param_raw[req->n_params] = arena_strndup(req->arena, path.start[i], path.len[i]);
        req->n_params++;
    }
}

http_method http__method_from_name(const char *name)
{
    static const struct {
        const char *name;
        http_method m;
    } names[] = {{"GET", HTTP_GET},     {"POST", HTTP_POST},     {"PUT", HTTP_PUT},
                 {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}, {"HEAD", HTTP_HEAD},
                 {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].m;
    return 0;
}

const char *http__method_names(arena *a, unsigned methods)
{
    static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                                        "OPTIONS"};
    sbuf b;
    sbuf_init(&b, a, 64);
    if (methods & HTTP_GET)
        methods |= HTTP_HEAD;
    /* Every known path answers OPTIONS (CORS preflight, http_cors.c). */
    if (methods)
        methods |= HTTP_OPTIONS;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(methods & (1u << i)))
            continue;
        if (b.len)
            sbuf_append(&b, ", ");
        sbuf_append(&b, names[i]);
    }
    return sbuf_str(&b);
}
