/*
 * Row filters of the request's role: the ORM asks, for each table of each
 * statement (orm_rowfilter.c), which rows the session may use; the answer
 * is the permission's "rows" where document with every {"$claim": name}
 * replaced by that claim's value, translated by the query translator over
 * the statement's FROM item. A model the role has no permission on
 * contributes no rows at all (FALSE), so it stays hidden through include,
 * any/has and joins as it is at its own routes; a claim the token lacks
 * matches no row. Admin roles and requests without auth get no filter.
 */
#include <string.h>

#include "http_int.h"
#include "log.h"
#include "query.h"

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

static sql_node *row_filter(void *ctx, sql_builder *b, const sql_table *t, const sql_from *from,
                            err_report *err)
{
    http_request *req = ctx;
    const http_app *app = req->server->app;
    const orm_mapper *m = app->registry ? orm_mapper_by_resource(app->registry, t->name) : NULL;
    if (!m)
        return NULL;
    const cfg_permission *p = cfg_permission_for(m->model, req->identity.role);
    if (!p)
        return sql_lit(b, SQL_LIT_FALSE);
    if (!p->rows_json)
        return NULL;
    json_t *rows = json_loads(p->rows_json, 0, NULL);
    json_t *doc = rows ? substitute(rows, req->identity.claims) : NULL;
    json_decref(rows);
    if (!doc)
        return sql_lit(b, SQL_LIT_FALSE); /* a missing claim matches no row */
    err_report ferr;
    err_init(&ferr, req->arena);
    sql_builder *fb = sql_builder_new(sql_builder_arena(b), &ferr);
    sql_node *cond = query_where(fb, from, doc, "", NULL, &ferr);
    json_decref(doc);
    if (err_is_set(&ferr)) {
        /* The config's filter does not fit the claim's value (a claim of
         * the wrong type): no rows rather than a guess. */
        log_warn("request %s: the row filter of role %s on %s cannot be used: %s",
                 req->request_id, req->identity.role, t->name,
                 ferr.n_items ? ferr.items[0].detail : ferr.detail ? ferr.detail : "");
        return sql_lit(b, SQL_LIT_FALSE);
    }
    (void) err;
    return cond;
}

void http__session_row_filter(http_request *req, orm_session_options *o)
{
    const cfg_config *cfg = req->server->app->config;
    if (!cfg->auth.enabled || !req->identity.role || cfg_is_admin_role(cfg, req->identity.role))
        return;
    o->row_filter = row_filter;
    o->row_filter_ctx = req;
}
