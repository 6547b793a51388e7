/*
 * Row filters of the request's role: the ORM asks, for each table of each
 * statement (orm_rowfilter.c, through query_row_filter), which rows the
 * session may use; the answer is the permission's "rows" where document
 * with every {"$claim": name} replaced by that claim's value. A model the
 * role has no permission on contributes no rows at all, so it stays
 * hidden through include, any/has and joins as it is at its own routes; a
 * claim the token lacks matches no row. Admin roles and requests without
 * auth get no filter.
 */
#include <string.h>

#include "http_int.h"

/* A copy of doc with claims substituted; NULL when a claim is missing. */
static json_t *substitute(const json_t *doc, const json_t *claims)
{
    if (json_is_object(doc)) {
        const json_t *name = json_object_get(doc, "$claim");
        if (name && json_object_size(doc) == 1) {
            const json_t *v = json_is_string(name) ? json_object_get(claims, json_string_value(name))
                                                   : NULL;
            return v && !json_is_null(v) ? json_deep_copy(v) : NULL;
        }
        json_t *out = json_object();
        const char *key;
        json_t *child;
        json_object_foreach((json_t *) doc, key, child)
        {
            json_t *c = substitute(child, claims);
            if (!c) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, c);
        }
        return out;
    }
    if (json_is_array(doc)) {
        json_t *out = json_array();
        size_t i;
        json_t *child;
        json_array_foreach(doc, i, child)
        {
            json_t *c = substitute(child, claims);
            if (!c) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, c);
        }
        return out;
    }
    return json_deep_copy(doc);
}

static query_row_access rows_of(void *ctx, const orm_mapper *m, json_t **doc)
{
    const http_request *req = ctx;
    const cfg_permission *p = cfg_permission_for(m->model, req->identity.role);
    if (!p)
        return QUERY_ROWS_NONE;
    if (!p->rows_json)
        return QUERY_ROWS_ALL;
    json_t *rows = json_loads(p->rows_json, 0, NULL);
    *doc = rows ? substitute(rows, req->identity.claims) : NULL;
    json_decref(rows);
    return *doc ? QUERY_ROWS_WHERE : QUERY_ROWS_NONE; /* a missing claim matches no row */
}

void http__session_row_filter(http_request *req, orm_session_options *o)
{
    const http_app *app = req->server->app;
    const cfg_config *cfg = app->config;
    if (!cfg->auth.enabled || !req->identity.role || cfg_is_admin_role(cfg, req->identity.role))
        return;
    req->row_policy = (query_row_policy){rows_of, req, app->registry};
    o->row_filter = query_row_filter;
    o->row_filter_ctx = &req->row_policy;
}
