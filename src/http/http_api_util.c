/*
 * What every REST handler needs: the mapper of {resource}, the key in
 * {id}, entity URLs, document limits, and errors that point at fields.
 */
#include <string.h>

#include "http_int.h"
#include "strbuf.h"

/* The operation a REST route performs (SPEC.md §5 names), from the
 * route and method; a query document with aggregates is "aggregate". */
static cfg_operation route_operation(const http_request *req)
{
    const char *route = http_req_route_name(req);
    http_method method = http_req_method(req);
    if (strcmp(route, "/api/{resource}/query") == 0) {
        const json_t *doc = http_req_json(req);
        return json_object_get(doc, "aggregates") || json_object_get(doc, "group_by")
                   ? CFG_OP_AGGREGATE
                   : CFG_OP_QUERY;
    }
    if (strcmp(route, "/api/{resource}/bulk") == 0)
        return CFG_OP_BULK_INSERT;
    if (strcmp(route, "/api/{resource}/{id}") == 0)
        return method == HTTP_PATCH    ? CFG_OP_UPDATE
               : method == HTTP_DELETE ? CFG_OP_DELETE
                                       : CFG_OP_GET;
    return method == HTTP_POST     ? CFG_OP_CREATE
           : method == HTTP_PATCH  ? CFG_OP_BULK_UPDATE
           : method == HTTP_DELETE ? CFG_OP_BULK_DELETE
                                   : CFG_OP_LIST;
}

bool http__api_allowed(http_request *req, const orm_mapper *m, cfg_operation op, err_report *err)
{
    const http_app *app = http_req_app(req);
    auth_verdict v = auth_check(app->config, http_req_identity(req), m->model, op);
    if (v == AUTH_ALLOW)
        return true;
    auth_refuse(http_req_identity(req), v, m->model, op, err);
    return false;
}

const orm_mapper *http__api_mapper(http_request *req, err_report *err)
{
    const char *resource = http_req_path_param(req, "resource");
    const orm_registry *reg = http_req_app(req)->registry;
    const orm_mapper *m = reg && resource ? orm_mapper_by_resource(reg, resource) : NULL;
    if (!m)
        err_set(err, ERR_NOT_FOUND, "There is no resource named \"%s\".",
                resource ? resource : "");
    else if (!http__api_allowed(req, m, route_operation(req), err))
        return NULL;
    return m;
}

const char **http__api_key(http_request *req, const orm_mapper *m, const char *raw_id,
                           err_report *err)
{
    arena *a = http_req_arena(req);
    const char **key = ARENA_ARRAY(a, const char *, m->n_pk);
    err_report value_err;
    err_init(&value_err, NULL);
    sql_builder *b = sql_builder_new(a, &value_err);
    const char *p = raw_id ? raw_id : "";
    size_t i = 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (i == m->n_pk)
            goto not_found;
        key[i] = http__decode(a, p, len, false);
        if (!key[i] || !*key[i])
            goto not_found;
        const sql_column *c = m->columns[m->pk[i]];
        sql_value ignored;
        if (!sql_doc_value_from_text(b, c, key[i], "/id", &ignored, &value_err))
            goto not_found; /* a value the key column cannot hold names nothing */
        i++;
        if (!p[len])
            break;
        p += len + 1;
    }
    if (i == m->n_pk)
        return key;
not_found:
    err_set(err, ERR_NOT_FOUND, "There is no %s with key \"%s\".", m->resource,
            raw_id ? raw_id : "");
    return NULL;
}

const char *http__api_location(arena *a, const orm_mapper *m, const orm_entity *e)
{
    return arena_sprintf(a, "/api/%s/%s", m->resource, orm_entity_identity(e));
}

sql_doc_limits http__api_limits(const http_app *app)
{
    sql_doc_limits lim = {0}; /* zero members take the translator's defaults */
    lim.default_limit = app->config->server.default_limit;
    lim.max_limit = app->config->server.max_limit;
    return lim;
}

static const char *model_field(const orm_mapper *m, const sql_column *c)
{
    /* Table columns and model fields share names; the mapper is the
     * authority on what the client calls a field. */
    int i = orm_mapper_column(m, c->name);
    return i >= 0 ? m->model->columns[i].name : c->name;
}

void http__api_point_at_constraint(const http_app *app, const orm_mapper *m,
                                   const char *pointer_prefix, err_report *err)
{
    if (!err->sqlstate[0] || strncmp(err->sqlstate, "23", 2) != 0 || err->n_items)
        return;
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    const char *table = err->table ? err->table : m ? m->resource : NULL;
    const orm_mapper *owner = table && app->registry
                                  ? orm_mapper_by_resource(app->registry, table)
                                  : m;
    sql_constraint_info info;
    if (strcmp(err->sqlstate, "23502") == 0 && err->column) {
        err_add_item(err, err->kind, arena_sprintf(err->arena, "%s/%s", prefix, err->column),
                     "%s must not be null.", err->column);
        err->detail = err->items[0].detail;
        return;
    }
    if (!err->constraint || !app->registry ||
        !sql_metadata_find_constraint(orm_registry_metadata(app->registry), table,
                                      err->constraint, &info))
        return;
    const char *what = info.kind == SQL_CONSTRAINT_FOREIGN_KEY ? "must reference an existing row"
                       : info.kind == SQL_CONSTRAINT_CHECK      ? "violates the check"
                                                               : "must be unique";
    for (size_t i = 0; i < info.n_columns; i++) {
        const char *field = owner ? model_field(owner, info.columns[i]) : info.columns[i]->name;
        err_add_item(err, err->kind, arena_sprintf(err->arena, "%s/%s", prefix, field),
                     "%s %s (%s).", field, what, info.name);
    }
    if (err->n_items)
        err->detail = err->items[0].detail;
}

void http__api_describe_delete_conflict(const orm_mapper *m, err_report *err)
{
    if (strcmp(err->sqlstate, "23503") == 0 && err->arena)
        err->detail = arena_sprintf(err->arena, "This %s row is still referenced by %s.",
                                    m ? m->resource : "", err->table ? err->table : "other rows");
}

void http__api_fail(http_request *req, const orm_mapper *m, const char *pointer_prefix,
                    err_report *err)
{
    http__api_point_at_constraint(http_req_app(req), m, pointer_prefix, err);
    http_reply_problem(req, err);
}
