/*
 * http_openapi_paths — the paths of the OpenAPI document and the
 * components they refer to: parameters, headers, and the problem+json
 * responses with their examples. The operations are generated from the
 * route tables (HTTP_API_ROUTES, HTTP_BUILTIN_ROUTES, HTTP_DOCS_ROUTES):
 * each documented route gives its tag, operationId, summary, description
 * and problem statuses (http_route_doc); what its parameters, body and
 * success response look like is written here, once per route. Every
 * operation lists its success response, then its problems in status
 * order.
 */
#include <string.h>

#include "http_openapi_int.h"

static const struct {
    int status;
    unsigned bit;
    const char *name, *description;
} PROBLEMS[] = {
    {400, HTTP_P400, "BadRequest",
     ("Malformed request: bad JSON, an unknown query parameter, field, relationship or operator, "
      "a limit out of range, a relationship named without an option that loads it (raise), an "
      "unknown op, $ref or isolation_level.")},
    {404, HTTP_P404, "NotFound", "Unknown resource or no entity with that key."},
    {406, HTTP_P406, "NotAcceptable",
     "Accept excludes every representation the route has (JSON, and CSV where it is offered)."},
    {409, HTTP_P409, "Conflict",
     ("A unique or foreign-key violation (pointers at the model fields of the constraint; none "
      "for a delete still referenced), or a serialization failure after the last retry (type "
      "serialization-failure, with Retry-After).")},
    {412, HTTP_P412, "PreconditionFailed", "If-Match does not match the entity's current version."},
    {413, HTTP_P413, "ContentTooLarge", "The body is larger than server.max_body_bytes."},
    {415, HTTP_P415, "UnsupportedMediaType",
     "The body is not application/json (or another +json type)."},
    {422, HTTP_P422, "UnprocessableContent",
     ("Validation failed: wrong JSON types, values that do not fit their column, unknown or "
      "read-only fields, missing required fields, CHECK and NOT NULL violations. Every bad field "
      "is listed.")},
    {500, HTTP_P500, "InternalServerError",
     "A bug: the details are in the server log under the request id."},
    {503, HTTP_P503, "ServiceUnavailable",
     ("No pooled connection within pool_timeout, the request queue is full, or the database is "
      "unreachable or was lost mid-request.")},
    {504, HTTP_P504, "GatewayTimeout", "The statement ran longer than database.statement_timeout_ms."},
};
enum { N_PROBLEMS = sizeof PROBLEMS / sizeof PROBLEMS[0] };

/* ==== parameters, headers, responses ===================================== */

static json_t *query_param(const char *name, const char *description, json_t *schema,
                           json_t *example)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "in", "query", "description",
                          description, "schema", schema);
    if (example)
        json_object_set_new(p, "example", example);
    return p;
}

/* An optional request header with a string value. */
static json_t *header_param(const char *name, const char *description, const char *example)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s}, s:s}", "name", name, "in", "header",
                     "description", description, "required", 0, "schema", "type", "string",
                     "example", example);
}

static void components_misc(http__oa *x)
{
    json_t *h = x->headers;
    json_object_set_new(
        h, "X-Request-Id",
        json_pack("{s:s, s:{s:s}}", "description",
                  "The request's id: the client's X-Request-Id when it is at most 128 printable "
                  "characters, else a generated one. It is in the server's log lines.",
                  "schema", "type", "string"));
    json_object_set_new(
        h, "Server-Timing",
        json_pack("{s:s, s:{s:s}}", "description",
                  "total, pool (waiting for a connection) and db (statements) durations in "
                  "milliseconds: \"total;dur=1.9, pool;dur=0.0, db;dur=1.2\".",
                  "schema", "type", "string"));
    json_object_set_new(
        h, "X-Query-Count",
        json_pack("{s:s, s:{s:s, s:i}}", "description",
                  "With server.debug_headers on: SQL statements that read or wrote rows "
                  "(not BEGIN, COMMIT, SET or pool pings).",
                  "schema", "type", "integer", "minimum", 0));
    json_object_set_new(h, "ETag",
                        json_pack("{s:s, s:{s:s, s:s}}", "description",
                                  "The entity's version as a strong tag, e.g. \"3\".", "schema",
                                  "type", "string", "pattern", "^\"[0-9]+\"$"));
    json_object_set_new(h, "Location",
                        json_pack("{s:s, s:{s:s, s:s}}", "description",
                                  "The URL of the created entity.", "schema", "type", "string",
                                  "format", "uri-reference"));
    json_object_set_new(h, "Retry-After",
                        json_pack("{s:s, s:{s:s, s:i}}", "description",
                                  "Seconds to wait before trying again.", "schema", "type",
                                  "integer", "minimum", 0));

    json_object_set_new(h, "Link",
                        json_pack("{s:s, s:{s:s}}", "description",
                                  "<this URL with after=<cursor>>; rel=\"next\" when there is "
                                  "a next page (keyset paging).",
                                  "schema", "type", "string"));
    json_object_set_new(h, "Content-Range",
                        json_pack("{s:s, s:{s:s, s:s}}", "description",
                                  "With Prefer: count=exact: the rows of this page and the "
                                  "total, \"0-24/3120\" (\"*/0\" when empty).",
                                  "schema", "type", "string", "pattern",
                                  "^([0-9]+-[0-9]+|[*])/[0-9]+$"));

    json_t *p = x->parameters;
    json_object_set_new(
        p, "after",
        query_param("after",
                    "The keyset cursor of the page before (meta.next): the next page starts "
                    "after its last row. Opaque and signed; a cursor of another query "
                    "(resource, order_by, where) is a 400. Not with offset.",
                    json_pack("{s:s, s:i}", "type", "string", "minLength", 1), NULL));
    json_object_set_new(
        p, "Prefer",
        header_param("Prefer",
                     "return=minimal: no body (Location and ETag kept); return=representation: "
                     "the DTO (the default); count=exact: count the rows and send "
                     "Content-Range; read=primary: read from the primary, not a replica.",
                     "count=exact"));
    json_object_set_new(p, "If-None-Match",
                        header_param("If-None-Match",
                                     "The ETag the client holds (or *): the current one gives "
                                     "304 Not Modified without a body.",
                                     "\"1\""));
    /* upsert */
    const char *cols = "[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*";
    json_object_set_new(
        p, "on_conflict",
        query_param("on_conflict",
                    "Upsert: the conflict target, a unique column set, comma separated (empty: "
                    "the primary key). Inserted rows: 201; updated: 200 with version + 1.",
                    json_pack("{s:s, s:s}", "type", "string", "pattern",
                              arena_sprintf(x->a, "^(%s)?$", cols)),
                    NULL));
    json_object_set_new(p, "on_conflict_update",
                        query_param("on_conflict_update",
                                    "With on_conflict: the columns to update on a conflict, "
                                    "comma separated (default: every column the body sets).",
                                    json_pack("{s:s, s:s}", "type", "string", "pattern",
                                              arena_sprintf(x->a, "^%s$", cols)),
                                    NULL));
    json_object_set_new(p, "on_conflict_action",
                        query_param("on_conflict_action",
                                    "With on_conflict: nothing leaves an existing row as it is "
                                    "(DO NOTHING).",
                                    json_pack("{s:s, s:[s]}", "type", "string", "enum", "nothing"),
                                    NULL));
    json_object_set_new(
        p, "X-Request-Id",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i}}", "name", "X-Request-Id", "in", "header",
                  "description",
                  "An id for this request, echoed in the response and the server's log when it "
                  "is 1 to 128 printable ASCII characters.",
                  "required", 0, "schema", "type", "string", "maxLength", 128));
    json_object_set_new(
        p, "limit",
        json_pack("{s:s, s:s, s:s, s:{s:[{s:s, s:i, s:i}, {s:s, s:s}], s:i}}", "name", "limit",
                  "in", "query", "description",
                  "Page size (at most server.max_limit), or all: every row, streamed "
                  "(chunked, read from a server-side cursor, without relationships; not with "
                  "offset).",
                  "schema", "anyOf", "type", "integer", "minimum", 0, "maximum",
                  x->cfg->server.max_limit, "type", "string", "const", "all", "default",
                  x->cfg->server.default_limit));
    json_object_set_new(p, "offset",
                        json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:i}}", "name", "offset", "in",
                                  "query", "description", "Rows to skip.", "schema", "type",
                                  "integer", "minimum", 0, "default", 0));
    json_object_set_new(p, "count",
                        json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", "count", "in", "query",
                                  "description", "Also count the matching rows (meta.count).",
                                  "schema", "type", "boolean", "default", 0));
    json_object_set_new(p, "returning",
                        json_pack("{s:s, s:s, s:s, s:{s:s, s:[s]}}", "name", "returning", "in",
                                  "query", "description",
                                  "returning=id: also return the keys of the inserted rows, in "
                                  "input order.",
                                  "schema", "type", "string", "enum", "id"));
    json_object_set_new(p, "If-Match",
                        header_param("If-Match",
                                     "The ETag of the version the change is based on (or *): a "
                                     "stale one is a 412. Without it the change is not checked.",
                                     "\"1\""));
}

static json_t *problem_example(http__oa *x, int status)
{
    const cfg_server *sv = &x->cfg->server;
    err_kind kind = status == 400   ? ERR_BAD_REQUEST
                    : status == 404 ? ERR_NOT_FOUND
                    : status == 406 ? ERR_NOT_ACCEPTABLE
                    : status == 409 ? ERR_CONFLICT
                    : status == 412 ? ERR_STALE
                    : status == 413 ? ERR_TOO_LARGE
                    : status == 415 ? ERR_MEDIA_TYPE
                    : status == 422 ? ERR_VALIDATION
                    : status == 503 ? ERR_POOL_TIMEOUT
                    : status == 504 ? ERR_TIMEOUT
                                    : ERR_INTERNAL;
    json_t *e = json_pack("{s:s, s:s, s:i}", "type", err_kind_type(kind), "title",
                          err_kind_title(kind), "status", status);
    const char *detail = NULL, *pointer = NULL, *item = NULL;
    switch (status) {
    case 400:
        pointer = "/limit";
        item = arena_sprintf(x->a, "The limit must be at most %d.", sv->max_limit);
        break;
    case 404:
        detail = "No resource at /api/nowhere.";
        break;
    case 406:
        detail = "Accept: application/xml excludes application/json and text/csv.";
        break;
    case 409: {
        /* A unique column of the first model that has one. */
        const http__oa_model *um = NULL;
        const cfg_column *uc = NULL;
        for (size_t i = 0; i < x->n_models && !uc; i++)
            for (size_t c = 0; c < x->models[i].model->n_columns && !uc; c++)
                if (x->models[i].model->columns[c].unique &&
                    !x->models[i].model->columns[c].primary_key) {
                    um = &x->models[i];
                    uc = &um->model->columns[c];
                }
        json_object_set_new(e, "type", json_string("unique-violation"));
        json_object_set_new(e, "title", json_string("unique constraint violated"));
        if (!uc) {
            detail = "A value that must be unique is already taken.";
            json_object_set_new(e, "sqlstate", json_string("23505"));
            break;
        }
        const char *constraint = arena_sprintf(x->a, "%s_%s_key", um->model->table, uc->name);
        /* Never PostgreSQL's message: it quotes row contents. */
        json_object_set_new(e, "detail",
                            json_string("A value that must be unique is already taken."));
        json_object_set_new(e, "sqlstate", json_string("23505"));
        json_object_set_new(e, "constraint", json_string(constraint));
        pointer = arena_sprintf(x->a, "/%s", uc->name);
        item = arena_sprintf(x->a, "%s must be unique (%s).", uc->name, constraint);
        break;
    }
    case 412: {
        const char *name = "entity";
        for (size_t i = 0; i < x->n_models; i++)
            if (x->models[i].m && x->models[i].m->version >= 0) {
                name = x->models[i].model->name;
                break;
            }
        detail = arena_sprintf(x->a,
                               "If-Match \"1\" does not match the current version \"2\" of "
                               "this %s.",
                               name);
        break;
    }
    case 413:
        detail = arena_sprintf(x->a, "The request body exceeds the limit of %zu bytes.",
                               sv->max_body_bytes);
        break;
    case 415:
        detail = "The body must be sent as application/json, not text/plain.";
        break;
    case 422: {
        /* A required field of the first model that has one. */
        const cfg_column *req = NULL;
        for (size_t i = 0; i < x->n_models && !req; i++)
            for (size_t c = 0; c < x->models[i].model->n_columns && !req; c++)
                if (http__oa_create_required(&x->models[i], c))
                    req = &x->models[i].model->columns[c];
        const http__oa_model *rm = NULL;
        for (size_t i = 0; i < x->n_models && !rm; i++)
            for (size_t c = 0; c < x->models[i].model->n_columns && !rm; c++)
                if (&x->models[i].model->columns[c] == req)
                    rm = &x->models[i];
        pointer = req ? arena_sprintf(x->a, "/%s", req->name) : "";
        item = req ? arena_sprintf(x->a, "The field \"%s.%s\" is required.", rm->model->table,
                                   req->name)
                   : "The body must be a JSON object.";
        break;
    }
    case 503:
        detail = "No database connection became free within pool_timeout.";
        break;
    case 504:
        /* What a statement timeout (SQLSTATE 57014) gives. */
        json_object_set_new(e, "type", json_string("query-canceled"));
        json_object_set_new(e, "sqlstate", json_string("57014"));
        detail = "A statement took longer than the statement timeout.";
        break;
    default:
        detail = "The server failed to complete the request; the request id identifies it in "
                 "the server log.";
        break;
    }
    if (item) {
        if (!json_object_get(e, "detail"))
            json_object_set_new(e, "detail", json_string(item));
        json_object_set_new(e, "errors",
                            json_pack("[{s:s, s:s}]", "pointer", pointer, "detail", item));
    } else if (detail) {
        json_object_set_new(e, "detail", json_string(detail));
    }
    json_object_set_new(e, "request_id", json_string("4f2a9c1e7b3d5a60"));
    return e;
}

static json_t *std_headers(http__oa *x, bool db)
{
    json_t *h = json_object();
    json_object_set_new(h, "X-Request-Id", http__oa_ref(x, "headers", "X-Request-Id"));
    json_object_set_new(h, "Server-Timing", http__oa_ref(x, "headers", "Server-Timing"));
    if (db)
        json_object_set_new(h, "X-Query-Count", http__oa_ref(x, "headers", "X-Query-Count"));
    return h;
}

static void problem_responses(http__oa *x)
{
    for (size_t i = 0; i < N_PROBLEMS; i++) {
        int st = PROBLEMS[i].status;
        json_t *h = std_headers(x, false);
        if (st == 503 || st == 409)
            json_object_set_new(h, "Retry-After", http__oa_ref(x, "headers", "Retry-After"));
        json_t *r = json_object();
        json_object_set_new(r, "description", json_string(PROBLEMS[i].description));
        json_object_set_new(r, "headers", h);
        json_object_set_new(r, "content",
                            json_pack("{s:{s:o, s:o}}", "application/problem+json", "schema",
                                      http__oa_sref(x, "Problem"), "example",
                                      problem_example(x, st)));
        json_object_set_new(x->responses, PROBLEMS[i].name, r);
    }
}

void http__oa_components(http__oa *x)
{
    components_misc(x);
    problem_responses(x);
}

/* ==== operations ========================================================= */

/* An operationId not used yet: base, else base2, base3, ... */
static const char *op_id(http__oa *x, const char *base)
{
    return http__oa_unique(x, x->op_ids, base, "");
}

/* One operation: its route's documentation with the model filled in. */
typedef struct op_spec {
    const char *tag, *id, *summary, *description;
    bool db;
    unsigned problems; /* HTTP_P* bits, HTTP_P412_IF_VERSIONED resolved */
} op_spec;

static json_t *op_new(http__oa *x, const op_spec *o)
{
    json_t *op = json_object();
    json_object_set_new(op, "tags", json_pack("[s]", o->tag));
    json_object_set_new(op, "summary", json_string(o->summary));
    if (o->description)
        json_object_set_new(op, "description", json_string(o->description));
    json_object_set_new(op, "operationId", json_string(op_id(x, o->id)));
    json_object_set_new(op, "parameters",
                        json_pack("[o]", http__oa_ref(x, "parameters", "X-Request-Id")));
    return op;
}

static void add_param(json_t *op, json_t *param)
{
    json_array_append_new(json_object_get(op, "parameters"), param);
}

static void json_body(json_t *op, const char *description, json_t *schema, json_t *example)
{
    json_t *media = json_pack("{s:o}", "schema", schema);
    if (example)
        json_object_set_new(media, "example", example);
    json_object_set_new(op, "requestBody",
                        json_pack("{s:s, s:b, s:{s:o}}", "description", description, "required", 1,
                                  "content", "application/json", media));
}

/* The success response, then the operation's problems in status order. */
static void responses(http__oa *x, json_t *op, const op_spec *o, int status,
                      const char *description, const char *media_type, json_t *schema,
                      json_t *example, json_t *extra_headers)
{
    json_t *rs = json_object();
    json_t *ok = json_object();
    json_object_set_new(ok, "description", json_string(description));
    json_t *h = std_headers(x, o->db);
    if (extra_headers) {
        json_object_update(h, extra_headers);
        json_decref(extra_headers);
    }
    json_object_set_new(ok, "headers", h);
    if (media_type) {
        json_t *m = json_pack("{s:o}", "schema", schema);
        if (example)
            json_object_set_new(m, "example", example);
        json_object_set_new(ok, "content", json_pack("{s:o}", media_type, m));
    }
    json_object_set_new(rs, arena_sprintf(x->a, "%d", status), ok);
    for (size_t i = 0; i < N_PROBLEMS; i++)
        if (o->problems & PROBLEMS[i].bit)
            json_object_set_new(rs, arena_sprintf(x->a, "%d", PROBLEMS[i].status),
                                http__oa_ref(x, "responses", PROBLEMS[i].name));
    json_object_set_new(op, "responses", rs);
}

static json_t *path_item(json_t *paths, const char *path)
{
    json_t *p = json_object_get(paths, path);
    if (!p) {
        p = json_object();
        json_object_set_new(paths, path, p);
    }
    return p;
}


/* include= and fields= (every route that returns entities). */
static void shape_params(http__oa *x, json_t *op, const http__oa_model *om)
{
    if (om->m && om->m->n_relationships)
        add_param(
            op, query_param("include",
                            arena_sprintf(x->a,
                                          "Relationship paths to load and return, comma separated "
                                          "(selectinload; dots nest). Relationships of %s: %s.",
                                          om->model->table, http__oa_relationship_list(x, om)),
                            json_pack("{s:s, s:s}", "type", "string", "pattern",
                                      "^[A-Za-z_][A-Za-z0-9_.]*(,[A-Za-z_][A-Za-z0-9_.]*)*$"),
                            json_string(om->m->relationships[0].name)));
    add_param(op, query_param("fields",
                              arena_sprintf(x->a,
                                            "Only these columns (and relationships), comma "
                                            "separated. Columns of %s: %s.",
                                            om->model->table, http__oa_column_list(x, om)),
                              json_pack("{s:s, s:s}", "type", "string", "pattern",
                                        "^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$"),
                              NULL));
}

static bool is_control_param(const char *name)
{
    static const char *const CONTROL[] = {"limit", "offset", "order_by", "include",
                                          "count", "fields", "where"};
    for (size_t i = 0; i < sizeof CONTROL / sizeof CONTROL[0]; i++)
        if (strcmp(name, CONTROL[i]) == 0)
            return true;
    return false;
}

static json_t *id_param(http__oa *x, const http__oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *p = json_pack("{s:s, s:s, s:b}", "name", "id", "in", "path", "required", 1);
    if (md->n_pk == 1) {
        json_object_set_new(
            p, "description",
            json_string(arena_sprintf(x->a, "The primary key (%s).", md->columns[md->pk[0]].name)));
        json_object_set_new(p, "schema", http__oa_column_schema(x, om, md->pk[0], HTTP__OA_KEY));
        json_object_set_new(p, "example", http__oa_column_example(x, &md->columns[md->pk[0]], 0));
        return p;
    }
    /* The example is the parsed value (an array); style simple puts it in
     * the URL as "3,7". */
    const char *cols = "";
    json_t *ex = json_array();
    for (size_t k = 0; k < md->n_pk; k++) {
        const cfg_column *c = &md->columns[md->pk[k]];
        cols = arena_sprintf(x->a, "%s%s%s", cols, k ? ", " : "", c->name);
        json_array_append_new(ex, http__oa_column_example(x, c, 0));
    }
    json_object_set_new(
        p, "description",
        json_string(arena_sprintf(x->a,
                                  "The composite primary key: %s, in this order, joined by commas, "
                                  "each percent-encoded.",
                                  cols)));
    json_object_set_new(p, "style", json_string("simple"));
    json_object_set_new(p, "explode", json_false());
    json_object_set_new(p, "schema", http__oa_key_schema(x, om));
    json_object_set_new(p, "example", ex);
    return p;
}

/* The spec's example, over the configured models: create a parent, a
 * child referring to it by $ref, and a query. */
static json_t *transaction_example(http__oa *x)
{
    json_t *ops = json_array();
    if (x->n_models == 0)
        return json_pack("{s:o}", "operations", ops);
    const http__oa_model *parent = &x->models[0], *child = NULL;
    const char *fk = NULL;
    for (size_t i = 0; i < x->n_models && !child; i++)
        for (size_t r = 0; x->models[i].m && r < x->models[i].m->n_relationships; r++) {
            const orm_relationship *rel = &x->models[i].m->relationships[r];
            if (rel->cfg->kind == CFG_REL_MANY_TO_ONE && rel->target != x->models[i].m &&
                rel->cfg->foreign_key && rel->target && rel->target->model->n_pk == 1) {
                for (size_t k = 0; k < x->n_models; k++)
                    if (x->models[k].m == rel->target)
                        parent = &x->models[k];
                child = &x->models[i];
                fk = rel->cfg->foreign_key;
                break;
            }
        }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:o}", "op", "create", "resource",
                                         parent->model->table, "ref", "p", "values",
                                         http__oa_create_example(x, parent, 1)));
    if (child) {
        json_t *v = http__oa_create_example(x, child, 0);
        json_object_set_new(
            v, fk,
            json_pack(
                "{s:s}", "$ref",
                arena_sprintf(x->a, "p.%s", parent->model->columns[parent->model->pk[0]].name)));
        json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "create", "resource",
                                             child->model->table, "values", v));
    }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:{s:o, s:i}}", "op", "query", "resource",
                                         parent->model->table, "query", "where",
                                         http__oa_where_example(x, parent), "limit", 10));
    return json_pack("{s:s, s:o}", "isolation_level", "SERIALIZABLE", "operations", ops);
}


/* ---- each route's parameters, body and success response ----------------- */

typedef void op_details(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om);

static bool versioned(const http__oa_model *om)
{
    return om && om->m && om->m->version >= 0;
}

static json_t *etag_header(http__oa *x, const http__oa_model *om)
{
    return versioned(om) ? json_pack("{s:o}", "ETag", http__oa_ref(x, "headers", "ETag")) : NULL;
}

/* A writable column for examples of update bodies; -1 when none. */
static json_t *sample_values(http__oa *x, const http__oa_model *om, int *sc)
{
    *sc = http__oa_sample_column(om, true);
    json_t *vals = json_object();
    if (*sc >= 0)
        json_object_set_new(vals, om->model->columns[*sc].name,
                            http__oa_column_example(x, &om->model->columns[*sc], 1));
    return vals;
}

/* A list's success response also in CSV (Accept: text/csv): RFC 4180, a
 * header row, the JSON form of each value. */
static void add_csv(json_t *op, const char *status)
{
    json_t *ok = json_object_get(json_object_get(op, "responses"), status);
    json_object_set_new(json_object_get(ok, "content"), "text/csv",
                        json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "description",
                                  "RFC 4180 with a header row; NULL is an empty field, the "
                                  "empty string \"\"."));
}

/* The headers a list response may carry: Link (keyset), Content-Range. */
static json_t *list_headers(http__oa *x)
{
    return json_pack("{s:o, s:o}", "Link", http__oa_ref(x, "headers", "Link"), "Content-Range",
                     http__oa_ref(x, "headers", "Content-Range"));
}

static void list_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    const cfg_model *md = om->model;
    const char *t = md->table;
    add_param(op, http__oa_ref(x, "parameters", "limit"));
    add_param(op, http__oa_ref(x, "parameters", "offset"));
    add_param(op, http__oa_ref(x, "parameters", "after"));
    add_param(op, http__oa_ref(x, "parameters", "Prefer"));
    add_param(op, query_param("order_by",
                              arena_sprintf(x->a,
                                            "Sort keys, comma separated; a leading - sorts "
                                            "descending. Columns of %s: %s.",
                                            t, http__oa_column_list(x, om)),
                              json_pack("{s:s, s:s}", "type", "string", "pattern",
                                        "^-?[A-Za-z_][A-Za-z0-9_]*(,-?[A-Za-z_][A-Za-z0-9_]*)*$"),
                              NULL));
    shape_params(x, op, om);
    add_param(op, http__oa_ref(x, "parameters", "count"));
    add_param(op,
              json_pack("{s:s, s:s, s:s, s:{s:{s:o, s:o}}}", "name", "where", "in", "query",
                        "description",
                        arena_sprintf(x->a, "A where document over %s as URL-encoded JSON.\n\n%s",
                                      t, http__oa_where_grammar),
                        "content", "application/json", "schema", http__oa_sref(x, om->where),
                        "example", http__oa_where_example(x, om)));
    for (size_t i = 0; i < md->n_columns; i++) {
        const cfg_column *c = &md->columns[i];
        if (c->write_only || is_control_param(c->name))
            continue;
        json_t *s = http__oa_column_schema(x, om, i, HTTP__OA_PARAM);
        json_object_del(s, "description");
        add_param(
            op, query_param(c->name,
                            arena_sprintf(x->a, "Only rows whose %s equals this value%s.", c->name,
                                          c->type == CFG_TYPE_JSON || c->type == CFG_TYPE_JSONB || c->array
                                              ? " (JSON text)"
                                              : ""),
                            s, NULL));
    }
    responses(x, op, o, 200, arena_sprintf(x->a, "A page of %s (every row with limit=all).", t),
              "application/json", http__oa_sref(x, om->list), NULL, list_headers(x));
    add_csv(op, "200");
}

static void upsert_params(http__oa *x, json_t *op)
{
    add_param(op, http__oa_ref(x, "parameters", "on_conflict"));
    add_param(op, http__oa_ref(x, "parameters", "on_conflict_update"));
    add_param(op, http__oa_ref(x, "parameters", "on_conflict_action"));
}

static void create_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    upsert_params(x, op);
    add_param(op, http__oa_ref(x, "parameters", "Prefer"));
    json_body(op, arena_sprintf(x->a, "The new %s.", om->model->name),
              http__oa_sref(x, om->create), http__oa_create_example(x, om, 0));
    json_t *hdr = json_pack("{s:o}", "Location", http__oa_ref(x, "headers", "Location"));
    if (versioned(om))
        json_object_set_new(hdr, "ETag", http__oa_ref(x, "headers", "ETag"));
    responses(x, op, o, 201, "Created (no body with Prefer: return=minimal).", "application/json",
              http__oa_sref(x, om->entity), NULL, hdr);
    /* an upsert that updated: the same DTO, 200 */
    json_t *rs = json_object_get(op, "responses");
    json_t *updated = json_deep_copy(json_object_get(rs, "201"));
    json_object_set_new(updated, "description",
                        json_string("Upsert (on_conflict): the existing row was updated."));
    json_object_set_new(rs, "200", updated);
}

static void bulk_update_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    json_t *bu_ex = json_object();
    json_object_set_new(bu_ex, "where", http__oa_where_example(x, om));
    int sc;
    json_object_set_new(bu_ex, "values", sample_values(x, om, &sc));
    json_body(op, "where and values.", http__oa_sref(x, om->bulk_update), sc >= 0 ? bu_ex : NULL);
    if (sc < 0)
        json_decref(bu_ex);
    responses(x, op, o, 200, "The number of rows updated.", "application/json",
              http__oa_sref(x, "BulkUpdateResult"), json_pack("{s:i}", "updated", 3), NULL);
}

static void get_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    add_param(op, id_param(x, om));
    shape_params(x, op, om);
    if (versioned(om))
        add_param(op, http__oa_ref(x, "parameters", "If-None-Match"));
    responses(x, op, o, 200, arena_sprintf(x->a, "The %s.", om->model->name), "application/json",
              http__oa_sref(x, om->entity), NULL, etag_header(x, om));
    if (versioned(om))
        json_object_set_new(json_object_get(op, "responses"), "304",
                            json_pack("{s:s, s:o}", "description",
                                      "Not modified: If-None-Match holds the current ETag.",
                                      "headers", etag_header(x, om)));
}

static void update_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    add_param(op, id_param(x, om));
    if (versioned(om))
        add_param(op, http__oa_ref(x, "parameters", "If-Match"));
    add_param(op, http__oa_ref(x, "parameters", "Prefer"));
    int sc;
    json_body(op, "The fields to change.", http__oa_sref(x, om->update),
              sample_values(x, om, &sc));
    responses(x, op, o, 200, arena_sprintf(x->a, "The updated %s.", om->model->name),
              "application/json", http__oa_sref(x, om->entity), NULL, etag_header(x, om));
}

static void delete_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    add_param(op, id_param(x, om));
    if (versioned(om))
        add_param(op, http__oa_ref(x, "parameters", "If-Match"));
    responses(x, op, o, 204, "Deleted.", NULL, NULL, NULL, NULL);
}

static void query_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    json_t *qmedia = json_pack("{s:o}", "schema", http__oa_sref(x, om->query));
    json_t *qex = json_pack("{s:{s:s, s:o}}", "entities", "summary", "Filter, sort, page, load",
                            "value", http__oa_query_example(x, om));
    json_t *agg = http__oa_aggregate_example(x, om);
    if (agg)
        json_object_set_new(
            qex, "aggregate",
            json_pack("{s:s, s:o}", "summary", "Group and aggregate", "value", agg));
    json_object_set_new(qmedia, "examples", qex);
    json_object_set_new(op, "requestBody",
                        json_pack("{s:s, s:b, s:{s:o}}", "description", "The query document.",
                                  "required", 1, "content", "application/json", qmedia));
    add_param(op, http__oa_ref(x, "parameters", "Prefer"));
    responses(x, op, o, 200, "The matching entities, or the aggregate rows.", "application/json",
              json_pack("{s:[o,o]}", "anyOf", http__oa_sref(x, om->list),
                        http__oa_sref(x, "AggregateList")),
              NULL, json_pack("{s:o}", "Content-Range", http__oa_ref(x, "headers", "Content-Range")));
    add_csv(op, "200");
}

static void bulk_delete_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    add_param(op,
              json_pack("{s:s, s:s, s:s, s:{s:{s:o, s:o}}}", "name", "where", "in", "query",
                        "description",
                        "The rows to delete: a non-empty where document as URL-encoded JSON (or "
                        "give it in the body).",
                        "content", "application/json", "schema", http__oa_sref(x, om->where),
                        "example", http__oa_where_example(x, om)));
    json_t *media = json_pack("{s:{s:s, s:b, s:[s], s:{s:o}}, s:{s:o}}", "schema", "type",
                              "object", "additionalProperties", 0, "required", "where",
                              "properties", "where", http__oa_sref(x, om->where), "example",
                              "where", http__oa_where_example(x, om));
    json_object_set_new(op, "requestBody",
                        json_pack("{s:s, s:b, s:{s:o}}", "description",
                                  "{\"where\": ...} instead of the query parameter.",
                                  "required", 0, "content", "application/json", media));
    responses(x, op, o, 200, "The number of rows deleted.", "application/json",
              http__oa_sref(x, "BulkDeleteResult"), json_pack("{s:i}", "deleted", 3), NULL);
}

static void bulk_insert_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    add_param(op, http__oa_ref(x, "parameters", "returning"));
    upsert_params(x, op);
    json_body(
        op, "The rows.",
        json_pack("{s:s, s:o}", "type", "array", "items", http__oa_sref(x, om->create)),
        json_pack("[o,o]", http__oa_create_example(x, om, 0), http__oa_create_example(x, om, 1)));
    responses(x, op, o, 201, "The rows were inserted.", "application/json",
              http__oa_sref(x, om->bulk_result), NULL, NULL);
}

static void transaction_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    json_body(op, "The transaction document.", http__oa_sref(x, "TransactionDocument"),
              transaction_example(x));
    responses(x, op, o, 200, "Every operation's result, in order.", "application/json",
              http__oa_sref(x, "TransactionResults"), NULL, NULL);
}

static void health_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "Alive.", "application/json", http__oa_sref(x, "Health"),
              json_pack("{s:s, s:s}", "status", "ok", "version", "0.1.0"), NULL);
}

static void readiness_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "Ready.", "application/json", http__oa_sref(x, "Readiness"),
              json_pack("{s:s}", "status", "ready"), NULL);
}

static void pool_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "The pool's status.", "application/json",
              http__oa_sref(x, "PoolStatus"),
              json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:b}", "size",
                        10, "checked_in", 9, "checked_out", 1, "overflow", 0, "max_overflow", 20,
                        "waiting", 0, "timeouts", 0, "recycled", 0, "invalidated", 0,
                        "result_mismatches", 0, "behind_pooler", 0, "saturated", 0),
              NULL);
}

static void metrics_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "Metrics (text/plain; version=0.0.4).", "text/plain",
              json_pack("{s:s}", "type", "string"), NULL, NULL);
}

static void openapi_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "The document.", "application/json",
              json_pack("{s:s}", "type", "object"), NULL, NULL);
}

static void docs_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    responses(x, op, o, 200, "An HTML page.", "text/html", json_pack("{s:s}", "type", "string"),
              NULL, NULL);
}

static void docs_asset_op(http__oa *x, json_t *op, const op_spec *o, const http__oa_model *om)
{
    (void) om;
    add_param(op, json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:s}, s:s}", "name", "file", "in", "path",
                            "required", 1, "description", "A file name.", "schema", "type",
                            "string", "pattern", "^[A-Za-z0-9_-][A-Za-z0-9._-]*$", "example",
                            "swagger-ui-bundle.js"));
    /* Several media types: the success response is written out here. */
    json_t *content = json_object();
    json_object_set_new(content, "text/javascript",
                        json_pack("{s:{s:s}}", "schema", "type", "string"));
    json_object_set_new(content, "text/css", json_pack("{s:{s:s}}", "schema", "type", "string"));
    json_object_set_new(
        content, "image/png",
        json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "contentMediaType", "image/png"));
    responses(x, op, o, 200, "The file.", NULL, NULL, NULL, NULL);
    json_t *ok = json_object_get(json_object_get(op, "responses"), "200");
    json_object_set_new(ok, "content", content);
}

/* The details of each documented route, by method and path template. */
static const struct {
    unsigned method;
    const char *path;
    op_details *details;
} DETAILS[] = {
    {HTTP_GET, "/api/{resource}", list_op},
    {HTTP_POST, "/api/{resource}", create_op},
    {HTTP_PATCH, "/api/{resource}", bulk_update_op},
    {HTTP_GET, "/api/{resource}/{id}", get_op},
    {HTTP_PATCH, "/api/{resource}/{id}", update_op},
    {HTTP_DELETE, "/api/{resource}/{id}", delete_op},
    {HTTP_POST, "/api/{resource}/query", query_op},
    {HTTP_POST, "/api/{resource}/bulk", bulk_insert_op},
    {HTTP_DELETE, "/api/{resource}", bulk_delete_op},
    {HTTP_POST, "/api/transaction", transaction_op},
    {HTTP_GET, "/health", health_op},
    {HTTP_GET, "/health/ready", readiness_op},
    {HTTP_GET, "/health/pool", pool_op},
    {HTTP_GET, "/metrics", metrics_op},
    {HTTP_GET, "/openapi.json", openapi_op},
    {HTTP_GET, "/docs", docs_op},
    {HTTP_GET, "/docs/{file}", docs_asset_op},
};

/* ---- operations from the route tables ------------------------------------ */

/* text with the model's names in place of {table}, {Name}, {Plural},
 * {Singular} and {if_match}. Lives in x->a. */
static const char *expand(http__oa *x, const char *text, const http__oa_model *om)
{
    if (!text || !om || !strchr(text, '{'))
        return text;
    const struct {
        const char *name, *value;
    } vars[] = {
        {"{table}", om->model->table},
        {"{Name}", om->model->name},
        {"{Plural}", om->plural},
        {"{Singular}", om->singular},
        {"{if_match}", versioned(om) ? " If-Match is checked against the version column." : ""},
    };
    sbuf b;
    sbuf_init(&b, x->a, strlen(text) + 32);
    for (const char *p = text; *p;) {
        size_t i = 0;
        while (i < sizeof vars / sizeof vars[0] && strncmp(p, vars[i].name, strlen(vars[i].name)))
            i++;
        if (i < sizeof vars / sizeof vars[0]) {
            sbuf_append(&b, vars[i].value);
            p += strlen(vars[i].name);
        } else {
            sbuf_append_char(&b, *p++);
        }
    }
    return sbuf_str(&b);
}

static const char *method_key(unsigned method)
{
    switch (method) {
    case HTTP_POST:
        return "post";
    case HTTP_PUT:
        return "put";
    case HTTP_PATCH:
        return "patch";
    case HTTP_DELETE:
        return "delete";
    default:
        return "get";
    }
}

/* /api/rpc/{name}: one path per named query of the config, its
 * parameters and rows from the query; GET only for read-only ones. The
 * route's texts have the query's name for {table} and {Name}. */
static void rpc_ops(http__oa *x, json_t *paths, const http_route *rt, const op_spec *base)
{
    bool get = rt->methods == HTTP_GET;
    for (size_t i = 0; i < x->n_rpc; i++) {
        const http__oa_rpc *r = &x->rpc[i];
        const cfg_query *q = r->q;
        if (get && !q->read_only)
            continue;
        cfg_model named = {.name = r->camel, .table = q->name};
        http__oa_model om = {.model = &named, .plural = r->camel, .singular = r->camel};
        op_spec o = *base;
        o.id = expand(x, rt->doc.operation_id, &om);
        o.summary = expand(x, rt->doc.summary, &om);
        o.description = expand(x, rt->doc.description, &om);
        if (!q->read_only)
            o.problems &= ~(unsigned) HTTP_P406;
        json_t *op = op_new(x, &o);
        if (get) {
            for (size_t k = 0; k < q->n_params; k++) {
                json_t *ps = http__oa_type_schema(x, &q->params[k], HTTP__OA_PARAM);
                json_object_del(ps, "description");
                json_t *param = query_param(q->params[k].name, "A parameter of the query.", ps,
                                            NULL);
                json_object_set_new(param, "required", json_true());
                add_param(op, param);
            }
        } else {
            json_body(op, "The parameters.", http__oa_sref(x, r->params), NULL);
            if (q->n_params == 0)
                json_object_set_new(json_object_get(op, "requestBody"), "required", json_false());
        }
        responses(x, op, &o, 200, arena_sprintf(x->a, "The rows of %s.", q->name),
                  "application/json", http__oa_sref(x, r->rows), NULL, NULL);
        if (q->read_only)
            add_csv(op, "200");
        json_object_set_new(path_item(paths, arena_sprintf(x->a, "/api/rpc/%s", q->name)),
                            method_key(rt->methods), op);
    }
}

/* The operations of the documented routes: those under /api/{resource}
 * for model om, or (om NULL) the others. */
static void route_ops(http__oa *x, json_t *paths, const http_route *routes, size_t n,
                      const http__oa_model *om)
{
    for (size_t r = 0; r < n; r++) {
        const http_route *rt = &routes[r];
        const http_route_doc *d = &rt->doc;
        bool per_model = strstr(rt->path, "{resource}") != NULL;
        if (!d->operation_id || per_model != (om != NULL))
            continue;
        /* A read-only model (a view) has only its reads. */
        if (om && om->model->read_only && rt->methods != HTTP_GET &&
            !(rt->methods == HTTP_POST && strstr(rt->path, "/query")))
            continue;
        op_details *details = NULL;
        for (size_t i = 0; i < sizeof DETAILS / sizeof DETAILS[0] && !details; i++)
            if (DETAILS[i].method == rt->methods && strcmp(DETAILS[i].path, rt->path) == 0)
                details = DETAILS[i].details;
        unsigned problems = d->problems & ~(unsigned) HTTP_P412_IF_VERSIONED;
        if ((d->problems & HTTP_P412_IF_VERSIONED) && versioned(om))
            problems |= HTTP_P412;
        if (strstr(rt->path, "/api/rpc/{name}")) {
            op_spec base = {d->tag, NULL, NULL, NULL, (rt->flags & HTTP_ROUTE_DB) != 0,
                            problems};
            rpc_ops(x, paths, rt, &base);
            continue;
        }
        op_spec o = {d->tag ? d->tag : om->model->table,
                     expand(x, d->operation_id, om),
                     expand(x, d->summary, om),
                     expand(x, d->description, om),
                     (rt->flags & HTTP_ROUTE_DB) != 0,
                     problems};
        json_t *op = op_new(x, &o);
        if (details)
            details(x, op, &o, om);
        else
            responses(x, op, &o, 200, "OK.", NULL, NULL, NULL, NULL);
        const char *path = rt->path;
        if (per_model) {
            const char *at = strstr(path, "{resource}");
            path = arena_sprintf(x->a, "%.*s%s%s", (int) (at - path), path, om->model->table,
                                 at + strlen("{resource}"));
        }
        json_object_set_new(path_item(paths, path), method_key(rt->methods), op);
    }
}

void http__oa_model_paths(http__oa *x, json_t *paths, const http__oa_model *om)
{
    route_ops(x, paths, HTTP_API_ROUTES, HTTP_N_API_ROUTES, om);
}

void http__oa_shared_paths(http__oa *x, json_t *paths)
{
    route_ops(x, paths, HTTP_API_ROUTES, HTTP_N_API_ROUTES, NULL);
    route_ops(x, paths, HTTP_BUILTIN_ROUTES, HTTP_N_BUILTIN_ROUTES, NULL);
    route_ops(x, paths, HTTP_DOCS_ROUTES, HTTP_N_DOCS_ROUTES, NULL);
}
