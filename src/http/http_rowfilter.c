/*
 * Row filters of the request's role: the ORM asks, for each table of each
 * statement (orm_rowfilter.c, through query_row_filter), which rows the
 * session may use; the answer is the permission's "rows" where document
 * with every {"$claim": name} replaced by that claim's value. A model the
 * role has no permission on contributes no rows at all, so it stays
 * hidden through include, any/has and joins as it is at its own routes; a
 * claim the token lacks matches no row. Admin roles and requests without
 * auth get no filter.
 *
 * Column lists: a permission's "read" list is the same kind of filter
 * over columns (http__column_filter): the session's DTOs leave the other
 * columns out and the query translator refuses them by name, wherever a
 * document could name one (where at any depth, order_by, fields,
 * group_by, aggregates, GET filters).
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

/* Admins and requests without auth see every row and column. */
static bool restricted(const http_request *req)
{
    const cfg_config *cfg = req->server->app->config;
    return cfg->auth.enabled && req->identity.role && !cfg_is_admin_role(cfg, req->identity.role);
}

/* A column of a table no model maps (an association table's, say) is
 * governed by its own model's permissions, or by none. */
static bool column_readable(void *ctx, const sql_column *c)
{
    const http_request *req = ctx;
    const http_app *app = req->server->app;
    size_t i = 0;
    const orm_mapper *m = orm_mapper_of_column(app->registry, c, &i);
    return !m || auth_can_read(app->config, &req->identity, m->model, m->model->columns[i].name);
}

void http__column_filter(http_request *req, orm_column_filter_fn *fn, void **ctx)
{
    *fn = restricted(req) ? column_readable : NULL;
    *ctx = *fn ? req : NULL;
}

bool http__key_readable(http_request *req, const orm_mapper *m)
{
    for (size_t k = 0; restricted(req) && k < m->n_pk; k++)
        if (!column_readable(req, m->columns[m->pk[k]]))
            return false;
    return true;
}

void http__session_row_filter(http_request *req, orm_session_options *o)
{
    if (!restricted(req))
        return;
    req->row_policy = (query_row_policy){rows_of, req, req->server->app->registry};
    o->row_filter = query_row_filter;
    o->row_filter_ctx = &req->row_policy;
    http__column_filter(req, &o->column_readable, &o->column_readable_ctx);
}
