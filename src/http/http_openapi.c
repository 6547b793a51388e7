/*
 * The OpenAPI 3.1 document of the REST API, generated from the models
 * (SPEC.md §2): GET /openapi.json serves it, `retort openapi` prints it,
 * openapi/retort.openapi.json is the copy for the sample config.
 *
 * One pass over the models builds, per model, the schemas of its DTOs
 * (the entity, Create and Update bodies, the list envelope, its where and
 * query documents, bulk bodies and results) and the paths of its
 * resource; then the shared pieces: problem+json responses, the query and
 * transaction grammars, the health, metrics and documentation routes.
 *
 * What shaped it:
 *   - Determinism. jansson keeps insertion order and everything is
 *     inserted in a fixed order (models in config order, columns in
 *     declaration order), so one config always gives the same text: the
 *     checked-in copy is compared byte for byte (tests/unit/http). Nothing
 *     from the process environment goes in: no database URL, host or port.
 *   - The schemas say what the handlers accept, no more: Create/Update
 *     follow dto_apply_input (required fields, read-only and version
 *     columns refused, write-only ones accepted), the where schema follows
 *     query_where, the statuses follow the handlers.
 *   - Component names come from model names, which may collide with the
 *     fixed ones ("Problem") or each other ("User" + "List" vs a model
 *     "UserList"): every name is taken once, a clash gets a "_2" suffix.
 *
 * Memory: a private arena holds names and texts while building; the
 * returned json_t is the caller's.
 *
 * This file names the components and assembles the document; the pieces
 * come from the other http_openapi_*.c files (see http_openapi_int.h).
 */
#include <ctype.h>
#include <stdlib.h>

#include "http_openapi_int.h"

#define OA_VERSION "0.1.0"

/* Schema names that are not derived from models; reserved first. */
static const char *const FIXED_SCHEMAS[] = {
    "Problem",
    "ProblemItem",
    "ListMeta",
    "AggregateRow",
    "AggregateList",
    "Where",
    "FieldCondition",
    "Operators",
    "RelationshipFilter",
    "OrderBy",
    "OrderDirection",
    "LoaderOption",
    "Aggregate",
    "QueryDocument",
    "BulkUpdateResult",
    "BulkDeleteResult",
    "BulkWriteResult",
    "OnConflict",
    "TransactionBulkCreate",
    "TransactionBulkUpdate",
    "TransactionBulkDelete",
    "Resource",
    "TransactionDocument",
    "TransactionOperation",
    "TransactionCreate",
    "TransactionUpdate",
    "TransactionDelete",
    "TransactionQuery",
    "TransactionKey",
    "TransactionValues",
    "ValueRef",
    "ValueAdd",
    "DeletedResult",
    "TransactionResults",
    "Health",
    "Readiness",
    "PoolStatus",
};

static const char INFO_DESCRIPTION[] =
    "retort serves the tables of its configured models as a REST API over PostgreSQL. This "
    "document is generated from the models (`retort openapi -c CONFIG`; `GET /openapi.json` "
    "on a running server; `GET /docs` renders it).\n\n"
    "## Resources\n\n"
    "Each model is a resource named after its table: `GET` and `POST /api/{table}`, `GET`, "
    "`PATCH` and `DELETE /api/{table}/{id}`, `POST /api/{table}/query` (a query document), "
    "`POST /api/{table}/bulk` (bulk insert) and `PATCH /api/{table}` (bulk update); `POST "
    "/api/transaction` runs several operations in one transaction. A composite primary key in "
    "a URL is its values in key-column order, joined by commas, each percent-encoded "
    "(`/api/book_genres/3,7`).\n\n"
    "## Output\n\n"
    "A single entity is its DTO object; a list is `{\"data\": [...], \"meta\": {\"limit\", "
    "\"offset\", \"count\"}}`, where `count` is null unless `count=true` asked for it. `uuid`, "
    "`date` and `timestamptz` values are strings (RFC 3339 for timestamps); `numeric` values "
    "are strings of their exact decimal digits. Relationships appear only when loaded: named "
    "in `include` or `fields`, by a loader option of a query document (`selectinload`, "
    "`joinedload`, `lazyload`, `raiseload`, `noload`; paths nest with dots), or by the "
    "relationship's default strategy (`lazy`: `selectin` or `joined`). A relationship whose "
    "strategy is `raise` cannot be named without an option that loads it: that is a 400 "
    "naming the option.\n\n"
    "## Optimistic concurrency\n\n"
    "A model with a version column sends its version as a strong `ETag` (`\"3\"`); `PATCH` and "
    "`DELETE` take `If-Match` with that tag (or `*`) and answer 412 when it is stale.\n\n"
    "## Errors\n\n"
    "Every error is RFC 9457 `application/problem+json` (the `Problem` schema): `type`, "
    "`title`, `status`, `detail`, and for validation and query errors `errors[{pointer, "
    "detail}]`, each pointer a JSON Pointer into the body or query document (`/where/email/"
    "like`, `/3/total` for the fourth row of a bulk body; GET parameters are named as "
    "`/limit`). Statuses: 400 malformed JSON or query document; 404 unknown resource or key; "
    "405 a method the path does not take (with `Allow`); 409 unique or foreign-key violation, "
    "or a serialization failure after the last retry (with `Retry-After`); 412 stale "
    "`If-Match`; 413 body over the size limit; 415 body not JSON; 422 validation, `CHECK` and "
    "`NOT NULL` violations (every bad field listed); 503 no pooled connection in time, queue "
    "full or database unreachable (with `Retry-After`); 504 statement timeout; 500 only for "
    "bugs. Never a stack trace, never SQL text.\n\n"
    "## Headers\n\n"
    "Every response carries `X-Request-Id` (the client's own, when it sends a short printable "
    "one) and `Server-Timing` (`total`, `pool` wait and `db` time, in milliseconds); with "
    "`server.debug_headers` on, `X-Query-Count` counts the SQL statements that read or wrote "
    "rows.";

/* ==== names and references =============================================== */

json_t *http__oa_ref(http__oa *x, const char *section, const char *name)
{
    return json_pack("{s:s}", "$ref", arena_sprintf(x->a, "#/components/%s/%s", section, name));
}

json_t *http__oa_sref(http__oa *x, const char *name)
{
    return http__oa_ref(x, "schemas", name);
}

const char *http__oa_unique(http__oa *x, json_t *set, const char *base, const char *sep)
{
    const char *name = base;
    for (int i = 2; json_object_get(set, name); i++)
        name = arena_sprintf(x->a, "%s%s%d", base, sep, i);
    json_object_set_new(set, name, json_true());
    return name;
}

/* A component name not taken yet: base, else base_2, base_3, ... */
static const char *take_name(http__oa *x, const char *base)
{
    return http__oa_unique(x, x->taken, base, "_");
}

/* "book_genres" -> "BookGenres". */
const char *http__oa_camel(http__oa *x, const char *s)
{
    char *out = arena_strdup(x->a, s);
    size_t n = 0;
    bool up = true;
    for (const char *p = s; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        out[n++] = up ? (char) toupper((unsigned char) *p) : *p;
        up = false;
    }
    out[n] = '\0';
    return out;
}

/* ==== the document ======================================================= */

static void name_models(http__oa *x, const orm_registry *reg)
{
    const cfg_config *cfg = x->cfg;
    x->models = ARENA_ARRAY(x->a, http__oa_model, cfg->n_models + 1);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const cfg_model *md = &cfg->models[i];
        http__oa_model *om = &x->models[x->n_models++];
        om->model = md;
        om->m = reg ? orm_mapper_by_name(reg, md->name) : NULL;
        om->plural = http__oa_camel(x, md->table);
        om->singular = http__oa_camel(x, md->name);
    }
    /* Entity names first, so models keep their own names when they can. */
    for (size_t i = 0; i < x->n_models; i++)
        x->models[i].entity = take_name(x, x->models[i].model->name);
    for (size_t i = 0; i < x->n_models; i++) {
        http__oa_model *om = &x->models[i];
        const char *n = om->model->name;
        om->create = take_name(x, arena_sprintf(x->a, "%sCreate", n));
        om->update = take_name(x, arena_sprintf(x->a, "%sUpdate", n));
        om->list = take_name(x, arena_sprintf(x->a, "%sList", n));
        om->where = take_name(x, arena_sprintf(x->a, "%sWhere", n));
        om->query = take_name(x, arena_sprintf(x->a, "%sQuery", n));
        om->bulk_result = take_name(x, arena_sprintf(x->a, "%sBulkInsertResult", n));
        om->bulk_update = take_name(x, arena_sprintf(x->a, "%sBulkUpdate", n));
    }
    /* Named queries (/api/rpc/<name>): their parameters and rows. */
    x->rpc = ARENA_ARRAY(x->a, http__oa_rpc, cfg->n_queries + 1);
    for (size_t i = 0; i < cfg->n_queries; i++) {
        http__oa_rpc *r = &x->rpc[x->n_rpc++];
        r->q = &cfg->queries[i];
        r->camel = http__oa_camel(x, r->q->name);
        r->params = take_name(x, arena_sprintf(x->a, "%sParams", r->camel));
        r->rows = take_name(x, arena_sprintf(x->a, "%sRows", r->camel));
    }
}

static json_t *tags(http__oa *x)
{
    json_t *t = json_array();
    for (size_t i = 0; i < x->n_models; i++) {
        const http__oa_model *om = &x->models[i];
        const char *d =
            arena_sprintf(x->a, "The %s model (table %s). Columns: %s.", om->model->name,
                          om->model->table, http__oa_column_list(x, om));
        if (om->m && om->m->n_relationships)
            d = arena_sprintf(x->a, "%s Relationships: %s.", d, http__oa_relationship_list(x, om));
        if (om->m && om->m->version >= 0)
            d = arena_sprintf(x->a, "%s Versioned by %s (ETag / If-Match).", d,
                              om->model->version_column);
        json_array_append_new(t,
                              json_pack("{s:s, s:s}", "name", om->model->table, "description", d));
    }
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "transactions", "description",
                                       "Several operations in one transaction."));
    if (x->n_rpc)
        json_array_append_new(t, json_pack("{s:s, s:s}", "name", "rpc", "description",
                                           "Named SQL queries of the configuration."));
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "health", "description",
                                       "Liveness, readiness, pool status and metrics."));
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "documentation", "description",
                                       "This document and the page that renders it."));
    return t;
}

json_t *http_openapi_document(const orm_registry *reg, const cfg_config *cfg)
{
    http__oa x = {0};
    x.a = arena_create(NULL, "openapi");
    x.cfg = cfg;
    x.taken = json_object();
    x.op_ids = json_object();
    x.schemas = json_object();
    x.parameters = json_object();
    x.responses = json_object();
    x.headers = json_object();
    for (size_t i = 0; i < sizeof FIXED_SCHEMAS / sizeof FIXED_SCHEMAS[0]; i++)
        take_name(&x, FIXED_SCHEMAS[i]);
    name_models(&x, reg);

    json_t *paths = json_object();
    for (size_t i = 0; i < x.n_models; i++)
        http__oa_model_paths(&x, paths, &x.models[i]);
    http__oa_shared_paths(&x, paths);

    for (size_t i = 0; i < x.n_models; i++)
        http__oa_model_schemas(&x, &x.models[i]);
    http__oa_shared_schemas(&x);
    http__oa_components(&x);

    json_t *doc = json_object();
    json_object_set_new(doc, "openapi", json_string("3.1.0"));
    json_object_set_new(doc, "info",
                        json_pack("{s:s, s:s, s:s}", "title", "retort API", "version", OA_VERSION,
                                  "description", INFO_DESCRIPTION));
    json_object_set_new(doc, "servers",
                        json_pack("[{s:s, s:s}]", "url", "/", "description",
                                  "The retort server that serves this document."));
    json_object_set_new(doc, "security", json_array());
    json_object_set_new(doc, "tags", tags(&x));
    json_object_set_new(doc, "paths", paths);
    json_t *components = json_object();
    json_object_set_new(components, "schemas", x.schemas);
    json_object_set_new(components, "parameters", x.parameters);
    json_object_set_new(components, "headers", x.headers);
    json_object_set_new(components, "responses", x.responses);
    json_object_set_new(doc, "components", components);
    if (cfg)
        http__oa_security(doc, cfg);

    json_decref(x.taken);
    json_decref(x.op_ids);
    arena_destroy(x.a);
    return doc;
}

const char *http_openapi_text(const orm_registry *reg, const cfg_config *cfg, arena *a)
{
    json_t *doc = http_openapi_document(reg, cfg);
    char *text = json_dumps(doc, JSON_INDENT(2));
    json_decref(doc);
    const char *out = arena_sprintf(a, "%s\n", text ? text : "{}");
    free(text);
    return out;
}
