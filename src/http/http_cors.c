/*
 * CORS (server.cors): which browser origins may call the API. Preflights
 * (OPTIONS with Origin and Access-Control-Request-Method) are answered on
 * the I/O thread from the config alone: no credentials, no database. An
 * origin that is not allowed simply gets no CORS headers, and the browser
 * refuses the response; the request itself is served as for any client.
 */
#include <stdio.h>
#include <string.h>

#include "http_int.h"

/* The origin to echo, or NULL when origin is not allowed. */
static const char *allowed_origin(const cfg_cors *c, const char *origin)
{
    if (!c->enabled || !origin)
        return NULL;
    for (size_t i = 0; i < c->n_origins; i++) {
        if (strcmp(c->origins[i], "*") == 0)
            return "*";
        if (strcmp(c->origins[i], origin) == 0)
            return origin;
    }
    return NULL;
}

static const cfg_cors *cors_of(const http_request *req)
{
    const http_app *app = req->server->app;
    return app && app->config ? &app->config->server.cors : NULL;
}

void http__options(http_request *req)
{
    http_add_header(req, "Allow",
                    http__method_names(req->arena, req->allowed |
                                                       (req->route ? req->route->methods : 0)));
    const cfg_cors *c = cors_of(req);
    const char *origin = http_req_header(req, "Origin");
    const char *want = http_req_header(req, "Access-Control-Request-Method");
    if (c && want && allowed_origin(c, origin)) {
        http_add_header(req, "Access-Control-Allow-Methods", c->methods);
        http_add_header(req, "Access-Control-Allow-Headers", c->headers);
        char age[16];
        snprintf(age, sizeof age, "%d", c->max_age_s);
        http_add_header(req, "Access-Control-Max-Age", age);
    }
    http_reply_empty(req, 204);
}

void http__cors_headers(http_request *req, struct MHD_Response *resp)
{
    const cfg_cors *c = cors_of(req);
    if (!c || !c->enabled)
        return;
    /* Responses differ by Origin, so caches must key on it. */
    const char *vary = MHD_get_response_header(resp, "Vary");
    if (vary) {
        /* One Vary header: gzip may have set it (Accept-Encoding). */
        char both[128];
        snprintf(both, sizeof both, "%s, Origin", vary);
        MHD_del_response_header(resp, "Vary", vary);
        MHD_add_response_header(resp, "Vary", both);
    } else {
        MHD_add_response_header(resp, "Vary", "Origin");
    }
    const char *origin = allowed_origin(c, http_req_header(req, "Origin"));
    if (!origin)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    if (c->credentials)
        MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "ETag, Location, Retry-After, WWW-Authenticate, X-Request-Id, "
                            "Server-Timing");
}
