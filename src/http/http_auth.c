/*
 * Authentication at the door: after routing and before the body is
 * parsed or a worker is involved, the request's credentials become its
 * identity (auth.h), on the I/O thread, without the database. Public
 * routes (liveness, the docs) skip it; the operational routes need an
 * admin role unless they are served on the admin listener.
 */
#include <string.h>
#include <time.h>

#include "http_int.h"
#include "log.h"

const auth_identity *http_req_identity(const http_request *req)
{
    return &req->identity;
}

/* auth.tenancy: the tenant is a trusted role's header, else the claim;
 * its schema, or a refusal (401 anonymous, 403 otherwise) — never the
 * default schema's data. */
static bool choose_tenant(http_request *req, err_report *err)
{
    const cfg_config *cfg = req->server->app->config;
    const cfg_tenancy *t = &cfg->auth.tenancy;
    if (!t->enabled)
        return true;
    const char *tenant = NULL;
    if (t->header && http_req_header(req, t->header)) {
        bool trusted = false;
        for (size_t i = 0; i < t->n_trusted_roles; i++)
            trusted |= req->identity.role && strcmp(t->trusted_roles[i], req->identity.role) == 0;
        if (!trusted) {
            err_set(err, req->identity.anonymous ? ERR_UNAUTHORIZED : ERR_FORBIDDEN,
                    "Your role may not choose its tenant with %s.", t->header);
            return false;
        }
        tenant = http_req_header(req, t->header);
    } else if (t->claim) {
        tenant = auth_claim_text(&req->identity, t->claim, req->arena);
    }
    req->tenant_schema = cfg_tenant_schema(cfg, tenant);
    if (req->tenant_schema)
        return true;
    if (req->identity.anonymous)
        err_set(err, ERR_UNAUTHORIZED, "This request needs credentials that name a tenant.");
    else
        err_set(err, ERR_FORBIDDEN, "The request names no tenant this server knows.");
    return false;
}

void http__session_identity(http_request *req, orm_session_options *o)
{
    const cfg_auth *a = &req->server->app->config->auth;
    if (req->n_settings == 0) {
        int n = 0;
        if (a->database_role && req->identity.role) {
            req->setting_names[n] = "role";
            req->setting_values[n++] = req->identity.role;
            req->setting_names[n] = "request.jwt.claims";
            req->setting_values[n++] = req->identity.claims_json;
        }
        if (req->tenant_schema) {
            /* Like schema_translate_map: every unqualified table name of
             * every statement resolves in the tenant's schema, and only
             * there (pg_catalog aside): no fallback to public. */
            req->setting_names[n] = "search_path";
            req->setting_values[n++] = arena_sprintf(req->arena, "\"%s\"", req->tenant_schema);
        }
        req->n_settings = n;
    }
    o->tx_setting_names = req->setting_names;
    o->tx_setting_values = req->setting_values;
    o->n_tx_settings = req->n_settings;
    http__session_row_filter(req, o);
}

bool http__authenticate(http_request *req)
{
    const http_app *app = req->server->app;
    unsigned flags = req->route->flags;
    if ((flags & HTTP_ROUTE_PUBLIC) || ((flags & HTTP_ROUTE_ADMIN) && req->server->admin))
        return true;
    if (!app || !app->auth || !auth_enabled(app->auth))
        return true;
    err_report err;
    err_init(&err, req->arena);
    if (auth_authenticate(app->auth, http_req_header(req, "Authorization"),
                          http_req_header(req, "X-API-Key"), (int64_t) time(NULL), req->arena,
                          &req->identity, &err)) {
        req->role = req->identity.role; /* the access log's role */
        if (flags & HTTP_ROUTE_ADMIN) {
            if (cfg_is_admin_role(app->config, req->identity.role))
                return true;
        } else if (choose_tenant(req, &err)) {
            return true;
        }
        if (err_is_set(&err))
            goto refuse;
        if (req->identity.anonymous)
            err_set(&err, ERR_UNAUTHORIZED, "This endpoint needs the credentials of an admin "
                                            "role.");
        else
            err_set(&err, ERR_FORBIDDEN, "This endpoint is for admin roles.");
    }
refuse:
    http_reply_problem(req, &err);
    return false;
}

bool http__role_explains(http_request *req, const err_report *err, err_report *out)
{
    const cfg_config *cfg = req->server->app ? req->server->app->config : NULL;
    const char *role = req->identity.role;
    if (!cfg || !cfg->auth.database_role || !role || !err->db_message ||
        (strcmp(err->sqlstate, "22023") != 0 && strcmp(err->sqlstate, "42501") != 0))
        return false;
    /* PostgreSQL: role "x" does not exist / permission denied to set role "x" */
    const char *quoted = arena_sprintf(req->arena, "role \"%s\"", role);
    if (!strstr(err->db_message, quoted))
        return false;
    log_error("request %s: auth.database_role: the PostgreSQL role \"%s\" cannot be used "
              "(%s); create it and GRANT it to retort's login role",
              req->request_id, role, err->db_message);
    err_init(out, req->arena);
    err_set(out, ERR_FORBIDDEN,
            "The role \"%s\" has no PostgreSQL role this server may switch to "
            "(auth.database_role); the server log says more.",
            role);
    return true;
}
