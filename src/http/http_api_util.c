/*
 * What every REST handler needs: the mapper of {resource}, the key in
 * {id}, entity URLs, document limits, and errors that point at fields.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

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

/* A create or bulk insert with on_conflict parameters is an upsert: it
 * may change existing rows, so it needs the "upsert" operation too. */
static bool is_upsert(const http_request *req)
{
    if (http_req_method(req) != HTTP_POST)
        return false;
    for (size_t i = 0; i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strncmp(name, "on_conflict", 11) == 0)
            return true;
    }
    return false;
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

bool http__api_writable(http_request *req, const orm_mapper *m, const json_t *values,
                        const char *prefix, err_report *err)
{
    const http_app *app = http_req_app(req);
    if (json_is_array(values)) {
        bool ok = true;
        size_t i;
        json_t *row;
        json_array_foreach(values, i, row)
        {
            ok &= http__api_writable(req, m, row,
                                     arena_sprintf(http_req_arena(req), "%s/%zu", prefix, i), err);
        }
        return ok;
    }
    if (!json_is_object(values))
        return true; /* the DTO reports the shape */
    bool ok = true;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) values, key, v)
    {
        if (cfg_column_by_name(m->model, key) &&
            !auth_can_write(app->config, http_req_identity(req), m->model, key)) {
            err_add_item(err, ERR_FORBIDDEN, err_pointer_join(http_req_arena(req), prefix, key),
                         "Your role may not write %s.", key);
            ok = false;
        }
    }
    return ok;
}

const orm_mapper *http__api_mapper(http_request *req, err_report *err)
{
    const char *resource = http_req_path_param(req, "resource");
    const orm_registry *reg = http_req_app(req)->registry;
    const orm_mapper *m = reg && resource ? orm_mapper_by_resource(reg, resource) : NULL;
    if (!m) {
        err_set(err, ERR_NOT_FOUND, "There is no resource named \"%s\".",
                resource ? resource : "");
        return NULL;
    }
    /* Permissions first: a hidden model says nothing about itself. */
    if (!http__api_allowed(req, m, route_operation(req), err) ||
        (is_upsert(req) && !http__api_allowed(req, m, CFG_OP_UPSERT, err)))
        return NULL;
    json_t *drift = schema_drift_of_table(http_req_app(req)->drift, m->model->table);
    if (drift) {
        err_set(err, ERR_DRIFT,
                "The resource \"%s\" no longer matches the database; see checks.drift.",
                m->resource);
        err->table = m->model->table;
        json_decref(drift);
        return NULL;
    }
    /* A read-only model (a view) answers reads: GET, HEAD and POST …/query. */
    http_method method = http_req_method(req);
    const char *path = http_req_path(req);
    size_t n = path ? strlen(path) : 0;
    bool query = n >= 6 && strcmp(path + n - 6, "/query") == 0 && method == HTTP_POST;
    if (m->model->read_only && method != HTTP_GET && method != HTTP_HEAD && !query) {
        http_add_header(req, "Allow", "GET, HEAD");
        err_set(err, ERR_METHOD, "The resource \"%s\" is read-only (a view).", m->resource);
        return NULL;
    }
    return m;
}

const char **http__api_key(http_request *req, const orm_mapper *m, const char *raw_id,
                           err_report *err)
{
    const char **key = dto_key_from_url(m, raw_id, http_req_arena(req));
    if (!key)
        err_set(err, ERR_NOT_FOUND, "There is no %s with key \"%s\".", m->resource,
                raw_id ? raw_id : "");
    return key;
}

const char *http__api_location(arena *a, const orm_mapper *m, const orm_entity *e)
{
    return arena_sprintf(a, "/api/%s/%s", m->resource, orm_entity_identity(e));
}

void http__api_envelope_begin(jsonw *w)
{
    jsonw_object_begin(w);
    jsonw_key(w, "data");
}

void http__api_envelope_end(jsonw *w, const query_doc *q, int64_t count, bool paged,
                            const char *next)
{
    jsonw_key(w, "meta");
    jsonw_object_begin(w);
    jsonw_key(w, "limit");
    if (q->all)
        jsonw_null(w);
    else
        jsonw_integer(w, q->limit);
    jsonw_key(w, "offset");
    jsonw_integer(w, q->offset);
    jsonw_key(w, "count");
    if (q->count && count >= 0)
        jsonw_integer(w, count);
    else
        jsonw_null(w);
    if (paged) {
        jsonw_key(w, "next");
        if (next)
            jsonw_string(w, next);
        else
            jsonw_null(w);
    }
    jsonw_object_end(w);
    jsonw_object_end(w);
}

query_limits http__api_limits(http_request *req)
{
    const http_app *app = http_req_app(req);
    query_limits lim = {0}; /* zero members take the translator's defaults */
    lim.default_limit = app->config->server.default_limit;
    lim.max_limit = app->config->server.max_limit;
    http__column_filter(req, &lim.readable, &lim.readable_ctx);
    return lim;
}

bool http__api_write_page(jsonw *w, orm_session *s, const orm_mapper *m, const query_doc *q,
                          err_report *err)
{
    int64_t count = -1;
    if (q->is_aggregate) { /* rows, not entities */
        eng_result *r = query_rows(s, q, &count, err);
        if (!r)
            return false;
        http__api_envelope_begin(w);
        dto_write_rows(w, r);
        http__api_envelope_end(w, q, count, false, NULL);
        return true;
    }
    const orm_load_plan *plan = orm_load_plan_build(s, m, &q->load, err);
    orm_entity **items = NULL;
    size_t n = 0;
    if (!plan || !query_entities(s, m, q, plan, &items, &n, &count, err))
        return false;
    http__api_envelope_begin(w);
    dto_write_entities(w, items, n, plan, q->fields, q->n_fields);
    http__api_envelope_end(w, q, count, false, NULL);
    return true;
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
    dto_point_at_constraint(http_req_app(req)->registry, m, pointer_prefix, err);
    http_reply_problem(req, err);
}

const char *http__api_rows_pointer(http_request *req, orm_session *s, const orm_mapper *m,
                                   const dto_bulk *rows, const char *pointer_prefix,
                                   const err_report *err)
{
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    if (strcmp(err->sqlstate, "23505") != 0)
        return prefix;
    /* Found with the constraint's columns in the rows (or one SELECT),
     * never from PostgreSQL's message. */
    err_report scratch;
    err_init(&scratch, http_req_arena(req));
    size_t row;
    if (!orm_bulk_conflicting_row(s, m, rows->columns, rows->n_columns, rows->values,
                                  rows->defaults, rows->n_rows, err->constraint, &row, &scratch))
        return prefix;
    return arena_sprintf(http_req_arena(req), "%s/%zu", prefix, row);
}
