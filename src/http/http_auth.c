/*
 * Authentication at the door: after routing and before the body is
 * parsed or a worker is involved, the request's credentials become its
 * identity (auth.h), on the I/O thread, without the database. Public
 * routes (liveness, the docs) skip it; the operational routes need an
 * admin role unless they are served on the admin listener.
 */
#include <time.h>

#include "http_int.h"

const auth_identity *http_req_identity(const http_request *req)
{
    return &req->identity;
}

bool http__authenticate(http_request *req)
{
    const http_app *app = req->server->app;
    unsigned flags = req->route->flags;
    if ((flags & HTTP_ROUTE_PUBLIC) || ((flags & HTTP_ROUTE_ADMIN) && req->server->opts.admin))
        return true;
    if (!app || !app->auth || !auth_enabled(app->auth))
        return true;
    err_report err;
    err_init(&err, req->arena);
    if (auth_authenticate(app->auth, http_req_header(req, "Authorization"),
                          http_req_header(req, "X-API-Key"), (int64_t) time(NULL), req->arena,
                          &req->identity, &err)) {
        if (!(flags & HTTP_ROUTE_ADMIN) || cfg_is_admin_role(app->config, req->identity.role))
            return true;
        if (req->identity.anonymous)
            err_set(&err, ERR_UNAUTHORIZED, "This endpoint needs the credentials of an admin "
                                            "role.");
        else
            err_set(&err, ERR_FORBIDDEN, "This endpoint is for admin roles.");
    }
    http_reply_problem(req, &err);
    return false;
}
