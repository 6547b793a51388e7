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
 *     sql_doc_where, the statuses follow the handlers.
 *   - Component names come from model names, which may collide with the
 *     fixed ones ("Problem") or each other ("User" + "List" vs a model
 *     "UserList"): every name is taken once, a clash gets a "_2" suffix.
 *
 * Memory: a private arena holds names and texts while building; the
 * returned json_t is the caller's.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define OA_VERSION "0.1.0"

/* ==== context ============================================================ */

typedef struct oa_model {
    const orm_mapper *m;
    const cfg_model *model;
    /* component schema names */
    const char *entity, *create, *update, *list, *where, *query, *bulk_result, *bulk_update;
    const char *plural;   /* "Users": resource in CamelCase, for operationIds */
    const char *singular; /* "User": model name, first letter upper case */
} oa_model;

typedef struct oa {
    arena *a;
    const cfg_config *cfg;
    oa_model *models;
    size_t n_models;
    json_t *taken;  /* component names in use (a set) */
    json_t *op_ids; /* operationIds in use (a set) */
    json_t *schemas, *parameters, *responses, *headers;
} oa;

/* Problem responses an operation can give, as bits. */
enum {
    P400 = 1 << 0,
    P404 = 1 << 1,
    P409 = 1 << 2,
    P412 = 1 << 3,
    P413 = 1 << 4,
    P415 = 1 << 5,
    P422 = 1 << 6,
    P500 = 1 << 7,
    P503 = 1 << 8,
    P504 = 1 << 9
};
#define P_DB (P500 | P503 | P504)          /* runs statements on a pooled connection */
#define P_BODY (P400 | P413 | P415 | P422) /* takes a JSON body */

static const struct {
    int status;
    unsigned bit;
    const char *name, *description;
} PROBLEMS[] = {
    {400, P400, "BadRequest",
     ("Malformed request: bad JSON, an unknown query parameter, field, relationship or operator, "
     "a limit out of range, a relationship named without an option that loads it (raise), an "
     "unknown op, $ref or isolation_level.")},
    {404, P404, "NotFound", "Unknown resource or no entity with that key."},
    {409, P409, "Conflict",
     ("A unique or foreign-key violation (pointers at the model fields of the constraint; none "
     "for a delete still referenced), or a serialization failure after the last retry (type "
     "serialization-failure, with Retry-After).")},
    {412, P412, "PreconditionFailed", "If-Match does not match the entity's current version."},
    {413, P413, "ContentTooLarge", "The body is larger than server.max_body_bytes."},
    {415, P415, "UnsupportedMediaType",
     "The body is not application/json (or another +json type)."},
    {422, P422, "UnprocessableContent",
     ("Validation failed: wrong JSON types, values that do not fit their column, unknown or "
     "read-only fields, missing required fields, CHECK and NOT NULL violations. Every bad field "
     "is listed.")},
    {500, P500, "InternalServerError",
     "A bug: the details are in the server log under the request id."},
    {503, P503, "ServiceUnavailable",
     ("No pooled connection within pool_timeout, the request queue is full, or the database is "
     "unreachable or was lost mid-request.")},
    {504, P504, "GatewayTimeout", "The statement ran longer than database.statement_timeout_ms."},
};
enum { N_PROBLEMS = sizeof PROBLEMS / sizeof PROBLEMS[0] };

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

static const char WHERE_GRAMMAR[] =
    "A where document: an object whose keys are ANDed. A key is a field, `and`, `or` or "
    "`not`.\n\n"
    "- `{\"field\": value}`: equality; `{\"field\": null}` is `IS NULL`.\n"
    "- `{\"field\": {\"op\": operand, ...}}` with the operators `eq ne lt le gt ge` (a value), "
    "`like ilike` (a pattern), `in not_in` (an array), `is_null` (true or false), `between` "
    "(an array of two values); several operators in one object are ANDed.\n"
    "- `{\"and\": [where, ...]}`, `{\"or\": [where, ...]}`, `{\"not\": where}`.\n"
    "- On a relationship: `{\"rel\": {\"any\": where}}` (to-many) or `{\"rel\": {\"has\": "
    "where}}` (to-one), a correlated `EXISTS` over the related rows.\n\n"
    "Values are always bound parameters and checked against the field's type; names are "
    "checked against the model (an unknown field, relationship or operator is a 400 with a "
    "pointer to it).";

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

static void put(json_t *o, const char *key, json_t *v)
{
    json_object_set_new(o, key, v);
}

static json_t *str(const char *s)
{
    return json_string(s);
}

static json_t *ref(oa *x, const char *section, const char *name)
{
    return json_pack("{s:s}", "$ref", arena_sprintf(x->a, "#/components/%s/%s", section, name));
}

static json_t *sref(oa *x, const char *name)
{
    return ref(x, "schemas", name);
}

/* A component name not taken yet: base, else base_2, base_3, ... */
static const char *take_name(oa *x, const char *base)
{
    const char *name = base;
    for (int i = 2; json_object_get(x->taken, name); i++)
        name = arena_sprintf(x->a, "%s_%d", base, i);
    json_object_set_new(x->taken, name, json_true());
    return name;
}

static const char *op_id(oa *x, const char *base)
{
    const char *id = base;
    for (int i = 2; json_object_get(x->op_ids, id); i++)
        id = arena_sprintf(x->a, "%s%d", base, i);
    json_object_set_new(x->op_ids, id, json_true());
    return id;
}

/* "book_genres" -> "BookGenres". */
static const char *camel(oa *x, const char *s)
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

/* ==== columns ============================================================ */

/* What a column schema is for. */
typedef enum col_use {
    USE_OUT,    /* the entity DTO (responses) */
    USE_CREATE, /* a create body */
    USE_UPDATE, /* an update body */
    USE_FILTER, /* a value in a where document (null means IS NULL) */
    USE_PARAM,  /* a query-string or path value: text, never null */
    USE_KEY     /* a key value in a result (bulk ids) */
} col_use;

static bool is_version(const oa_model *om, size_t i)
{
    return om->m && om->m->version == (int) i;
}

static bool server_generated(const cfg_column *c)
{
    return c->server_default || c->autoincrement;
}

static bool out_read_only(const oa_model *om, size_t i)
{
    const cfg_column *c = &om->model->columns[i];
    return c->read_only || is_version(om, i) || (c->primary_key && server_generated(c));
}

/* Accepted in a create body: neither read-only nor the version column. */
static bool creatable(const oa_model *om, size_t i)
{
    return !om->model->columns[i].read_only && !is_version(om, i);
}

/* Accepted in an update body: and not a key column. */
static bool updatable(const oa_model *om, size_t i)
{
    return creatable(om, i) && !om->model->columns[i].primary_key;
}

/* Required on create: NOT NULL without a client default, server default
 * or identity (dto_apply_input). */
static bool create_required(const oa_model *om, size_t i)
{
    const cfg_column *c = &om->model->columns[i];
    return creatable(om, i) && !c->nullable && !c->default_json && !server_generated(c);
}

/* ^-?digits(.digits)?$ bounded by precision and scale as numeric_check
 * counts them: leading zeros and trailing fraction zeros are free. */
static const char *numeric_pattern(oa *x, const cfg_column *c)
{
    if (c->precision <= 0)
        return "^-?[0-9]+(\\.[0-9]+)?$";
    int before = c->precision - c->scale;
    const char *ip = before > 0 ? arena_sprintf(x->a, "0*[0-9]{1,%d}", before) : "0+";
    const char *fp =
        c->scale > 0 ? arena_sprintf(x->a, "(\\.[0-9]{1,%d}0*)?", c->scale) : "(\\.0+)?";
    return arena_sprintf(x->a, "^-?%s%s$", ip, fp);
}

static json_t *type_of(const char *t, bool nullable)
{
    return nullable ? json_pack("[s,s]", t, "null") : str(t);
}

static const char *numeric_name(oa *x, const cfg_column *c)
{
    if (c->precision > 0)
        return arena_sprintf(x->a, "numeric(%d,%d)", c->precision, c->scale);
    return "numeric";
}

/* d + " " + a formatted sentence (d may be ""). */
__attribute__((format(printf, 3, 4))) static const char *sentence(arena *a, const char *d,
                                                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *s = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return *d ? arena_sprintf(a, "%s %s", d, s) : s;
}

/* The sentences describing a column (NULL when there is nothing to say). */
static const char *column_description(oa *x, const oa_model *om, size_t i, col_use use)
{
    const cfg_column *c = &om->model->columns[i];
    bool input = use == USE_CREATE || use == USE_UPDATE;
    const char *d = "";
#define ADD(...) d = sentence(x->a, d, __VA_ARGS__)
    if (c->type == CFG_TYPE_NUMERIC && (input || use == USE_FILTER))
        ADD("Exact decimal %s: a decimal string such as \"19.99\" (kept exact) or a JSON "
            "number.",
            numeric_name(x, c));
    else if (c->type == CFG_TYPE_NUMERIC)
        ADD("Exact decimal %s, as a string of its digits.", numeric_name(x, c));
    else if (c->type == CFG_TYPE_FLOAT && use == USE_OUT)
        ADD("Double precision (NaN and Infinity are sent as strings).");
    else if (c->type == CFG_TYPE_JSON)
        ADD("Any JSON value (jsonb).");
    else if (c->type == CFG_TYPE_TIMESTAMPTZ)
        ADD("Timestamp with time zone, RFC 3339.");
    if (c->primary_key)
        ADD("Primary key%s.", c->autoincrement ? " (identity)" : "");
    if (c->primary_key && server_generated(c) && use == USE_CREATE)
        ADD("Generated by the database when omitted.");
    if (c->unique && !c->primary_key)
        ADD("Unique.");
    if (c->references)
        ADD("References %s.", c->references);
    if (c->server_default && !(c->primary_key && use == USE_CREATE))
        ADD("%s %s.", use == USE_CREATE ? "Set by the database when omitted:" : "Database default:",
            c->server_default);
    if (is_version(om, i))
        ADD("Version column: 1 on insert, incremented by every update; sent as the ETag and "
            "checked against If-Match.");
    if (c->read_only && use == USE_OUT)
        ADD("Read-only: never accepted on input.");
    if (c->write_only && input)
        ADD("Write-only: accepted on input, never returned.");
    if (c->n_choices && c->type != CFG_TYPE_STRING && c->type != CFG_TYPE_TEXT) {
        const char *list = "";
        for (size_t k = 0; k < c->n_choices; k++)
            list = arena_sprintf(x->a, "%s%s%s", list, k ? ", " : "", c->choices[k]);
        ADD("One of: %s.", list);
    }
#undef ADD
    return *d ? d : NULL;
}

static json_t *column_schema(oa *x, const oa_model *om, size_t i, col_use use)
{
    const cfg_column *c = &om->model->columns[i];
    bool nullable = use == USE_FILTER ||
                    (c->nullable && (use == USE_OUT || use == USE_CREATE || use == USE_UPDATE));
    bool input = use == USE_CREATE || use == USE_UPDATE || use == USE_FILTER;
    json_t *s = json_object();
    switch (c->type) {
    case CFG_TYPE_INTEGER:
        put(s, "type", type_of("integer", nullable));
        put(s, "format", str("int32"));
        break;
    case CFG_TYPE_BIGINT:
        put(s, "type", type_of("integer", nullable));
        put(s, "format", str("int64"));
        break;
    case CFG_TYPE_FLOAT:
        put(s, "type", type_of("number", nullable));
        put(s, "format", str("double"));
        break;
    case CFG_TYPE_NUMERIC:
        if (input) {
            json_t *t = json_pack("[s,s]", "string", "number");
            if (nullable)
                json_array_append_new(t, str("null"));
            put(s, "type", t);
        } else {
            put(s, "type", type_of("string", nullable));
        }
        put(s, "pattern", str(numeric_pattern(x, c)));
        break;
    case CFG_TYPE_STRING:
    case CFG_TYPE_TEXT:
        put(s, "type", type_of("string", nullable));
        if (c->type == CFG_TYPE_STRING && c->length > 0)
            put(s, "maxLength", json_integer(c->length));
        break;
    case CFG_TYPE_BOOLEAN:
        put(s, "type", type_of("boolean", nullable));
        break;
    case CFG_TYPE_UUID:
        put(s, "type", type_of("string", nullable));
        put(s, "format", str("uuid"));
        break;
    case CFG_TYPE_DATE:
        put(s, "type", type_of("string", nullable));
        put(s, "format", str("date"));
        break;
    case CFG_TYPE_TIMESTAMPTZ:
        put(s, "type", type_of("string", nullable));
        put(s, "format", str("date-time"));
        break;
    case CFG_TYPE_JSON:
        if (use == USE_PARAM) {
            put(s, "type", str("string"));
            put(s, "contentMediaType", str("application/json"));
        }
        break;
    }
    if (c->n_choices && (c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT)) {
        json_t *e = json_array();
        for (size_t k = 0; k < c->n_choices; k++)
            json_array_append_new(e, str(c->choices[k]));
        if (nullable)
            json_array_append_new(e, json_null());
        put(s, "enum", e);
    }
    if (use == USE_KEY || use == USE_FILTER)
        return s;
    const char *d = column_description(x, om, i, use);
    if (d)
        put(s, "description", str(d));
    if (use == USE_CREATE && c->default_json) {
        json_t *dv = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
        if (dv)
            put(s, "default", dv);
    }
    if (use == USE_OUT && out_read_only(om, i))
        put(s, "readOnly", json_true());
    if ((use == USE_CREATE || use == USE_UPDATE) && c->write_only)
        put(s, "writeOnly", json_true());
    return s;
}

/* ==== examples =========================================================== */

/* A plausible value of column c; variant 0 or 1 gives two different rows. */
static json_t *column_example(oa *x, const cfg_column *c, int variant)
{
    if (c->n_choices)
        return str(c->choices[c->n_choices > 1 && variant ? 1 : 0]);
    if (c->default_json && variant == 0) {
        json_t *dv = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
        if (dv)
            return dv;
    }
    switch (c->type) {
    case CFG_TYPE_INTEGER:
    case CFG_TYPE_BIGINT:
        return json_integer(variant ? 7 : 1);
    case CFG_TYPE_FLOAT:
        return json_real(variant ? 2.5 : 1.5);
    case CFG_TYPE_NUMERIC: {
        int before = c->precision > 0 ? c->precision - c->scale : 2;
        int scale = c->precision > 0 ? c->scale : 2;
        const char *ip = before >= 2 ? (variant ? "42" : "19") : before == 1 ? "9" : "0";
        const char *fp = scale >= 2 ? ".99" : scale == 1 ? ".5" : "";
        return str(arena_sprintf(x->a, "%s%s", ip, fp));
    }
    case CFG_TYPE_STRING:
    case CFG_TYPE_TEXT: {
        const char *v = strstr(c->name, "email")
                            ? (variant ? "bob@example.com" : "alice@example.com")
                        : strcmp(c->name, "name") == 0 ? (variant ? "Bob" : "Alice")
                                                       : (variant ? "example two" : "example");
        if (c->type == CFG_TYPE_STRING && c->length > 0 && strlen(v) > (size_t) c->length)
            v = arena_strndup(x->a, v, (size_t) c->length);
        return str(v);
    }
    case CFG_TYPE_BOOLEAN:
        return json_boolean(!variant);
    case CFG_TYPE_UUID:
        return str(variant ? "9b2e4c1a-7d35-4f08-a6b1-3c5d7e9f0a12"
                           : "3fa85f64-5717-4562-b3fc-2c963f66afa6");
    case CFG_TYPE_DATE:
        return str(variant ? "2026-02-28" : "2026-01-31");
    case CFG_TYPE_TIMESTAMPTZ:
        return str(variant ? "2026-02-28T09:30:00Z" : "2026-01-31T12:00:00Z");
    case CFG_TYPE_JSON:
        return json_pack("{s:s}", "key", variant ? "other" : "value");
    }
    return json_null();
}

/* An entity as the API returns it: every serialised column. */
static json_t *entity_example(oa *x, const oa_model *om, int variant)
{
    json_t *e = json_object();
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (!c->write_only)
            put(e, c->name, column_example(x, c, variant));
    }
    return e;
}

/* A create body: the fields a client would send (not generated keys, not
 * columns the database fills). */
static json_t *create_example(oa *x, const oa_model *om, int variant)
{
    json_t *e = json_object();
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (!creatable(om, i) || c->server_default || c->autoincrement)
            continue;
        put(e, c->name, column_example(x, c, variant));
    }
    return e;
}

/* A column to show filters and updates with: one with choices, else a
 * string that is not a key, else the first updatable one; -1 if none. */
static int sample_column(const oa_model *om, bool need_updatable)
{
    int best = -1, score = 0;
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (c->write_only || (need_updatable && !updatable(om, i)))
            continue;
        /* A unique column is a poor value for a bulk update. */
        bool plain = !c->primary_key && !(need_updatable && c->unique);
        int s = c->n_choices                                                        ? 4
                : (c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT) && plain ? 3
                : plain && !c->references                                           ? 2
                                                                                    : 1;
        if (s > score) {
            best = (int) i;
            score = s;
        }
    }
    return best;
}

/* {"status": {"in": [...]}} or {"email": {"like": "%@example.com"}}. */
static json_t *where_example(oa *x, const oa_model *om)
{
    int i = sample_column(om, false);
    if (i < 0)
        return json_object();
    const cfg_column *c = &om->model->columns[i];
    json_t *cond;
    if (c->n_choices)
        cond = json_pack("{s:[o,o]}", "in", column_example(x, c, 0), column_example(x, c, 1));
    else if (c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT)
        cond = json_pack("{s:s}", "like", strstr(c->name, "email") ? "%@example.com" : "a%");
    else
        cond = json_pack("{s:o}", "eq", column_example(x, c, 0));
    return json_pack("{s:o}", c->name, cond);
}

static int first_column_of_type(const oa_model *om, cfg_type t)
{
    for (size_t i = 0; i < om->model->n_columns; i++)
        if (om->model->columns[i].type == t && !om->model->columns[i].write_only)
            return (int) i;
    return -1;
}

static json_t *query_example(oa *x, const oa_model *om)
{
    json_t *q = json_object();
    put(q, "where", where_example(x, om));
    json_t *order = json_array();
    int ts = first_column_of_type(om, CFG_TYPE_TIMESTAMPTZ);
    if (ts >= 0)
        json_array_append_new(order, json_pack("{s:s}", om->model->columns[ts].name, "desc"));
    if (om->model->n_pk)
        json_array_append_new(order, str(om->model->columns[om->model->pk[0]].name));
    put(q, "order_by", order);
    put(q, "limit", json_integer(20));
    put(q, "offset", json_integer(0));
    if (om->m && om->m->n_relationships)
        put(q, "options", json_pack("[{s:s}]", "selectinload", om->m->relationships[0].name));
    put(q, "count", json_true());
    return q;
}

/* {"group_by": ["status"], "aggregates": {"n": {"count": "*"}, ...}};
 * NULL when the model has nothing worth grouping by. */
static json_t *aggregate_example(oa *x, const oa_model *om)
{
    int g = -1;
    for (size_t i = 0; i < om->model->n_columns && g < 0; i++)
        if (om->model->columns[i].n_choices && !om->model->columns[i].write_only)
            g = (int) i;
    if (g < 0)
        return NULL;
    json_t *aggs = json_pack("{s:{s:s}}", "n", "count", "*");
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if ((c->type == CFG_TYPE_NUMERIC || c->type == CFG_TYPE_FLOAT) && !c->write_only) {
            put(aggs, arena_sprintf(x->a, "sum_%s", c->name), json_pack("{s:s}", "sum", c->name));
            break;
        }
    }
    return json_pack("{s:[s], s:o, s:[{s:s}]}", "group_by", om->model->columns[g].name,
                     "aggregates", aggs, "order_by", "n", "desc");
}

/* ==== shared schemas ===================================================== */

static json_t *obj_schema(const char *description)
{
    json_t *s = json_object();
    put(s, "type", str("object"));
    if (description)
        put(s, "description", str(description));
    return s;
}

static json_t *int_schema(const char *description, int minimum)
{
    json_t *s = json_pack("{s:s}", "type", "integer");
    if (minimum >= 0)
        put(s, "minimum", json_integer(minimum));
    if (description)
        put(s, "description", str(description));
    return s;
}

static json_t *string_schema(const char *description)
{
    json_t *s = json_pack("{s:s}", "type", "string");
    if (description)
        put(s, "description", str(description));
    return s;
}

static void problem_schemas(oa *x)
{
    json_t *item = obj_schema("One located problem.");
    put(item, "required", json_pack("[s]", "detail"));
    json_t *ip = json_object();
    put(ip, "pointer",
        json_pack("{s:s, s:s, s:s}", "type", "string", "format", "json-pointer", "description",
                  "JSON Pointer (RFC 6901) into the request body or query document, or the "
                  "query parameter (\"/limit\"); absent when no part of the request is at "
                  "fault."));
    put(ip, "detail", string_schema("What is wrong there, in a sentence."));
    put(item, "properties", ip);
    put(x->schemas, "ProblemItem", item);

    json_t *p = obj_schema("An RFC 9457 problem detail (application/problem+json).");
    put(p, "required", json_pack("[s,s,s]", "type", "title", "status"));
    json_t *pp = json_object();
    put(pp, "type",
        json_pack("{s:s, s:s, s:s}", "type", "string", "format", "uri-reference", "description",
                  "The problem type, a slug such as \"unique-violation\", \"validation-error\" "
                  "or \"serialization-failure\"."));
    put(pp, "title", string_schema("Short, lower case, stable per type."));
    put(pp, "status",
        json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 400, "maximum", 599));
    put(pp, "detail", string_schema("What happened, in full sentences."));
    put(pp, "errors",
        json_pack("{s:s, s:s, s:o}", "type", "array", "description",
                  "Every problem found (validation and query errors).", "items",
                  sref(x, "ProblemItem")));
    put(pp, "sqlstate",
        json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^[0-9A-Z]{5}$", "description",
                  "PostgreSQL's SQLSTATE, when it sent one."));
    put(pp, "hint", string_schema("Advice, when there is some."));
    put(pp, "constraint",
        string_schema("The violated constraint (a `checks` key for CHECK constraints)."));
    put(pp, "operation",
        int_schema("Index of the failing operation of a transaction document.", 0));
    put(pp, "request_id", string_schema("The request's X-Request-Id."));
    put(p, "properties", pp);
    put(x->schemas, "Problem", p);
}

static void list_schemas(oa *x)
{
    json_t *meta = obj_schema("Paging of a list.");
    put(meta, "required", json_pack("[s,s,s]", "limit", "offset", "count"));
    put(meta, "properties",
        json_pack("{s:o, s:o, s:{s:[s,s], s:i, s:s}}", "limit", int_schema(NULL, 0), "offset",
                  int_schema(NULL, 0), "count", "type", "integer", "null", "minimum", 0,
                  "description",
                  "Rows matching the where, ignoring limit and offset; null "
                  "unless count was asked for."));
    put(meta, "example",
        json_pack("{s:i, s:i, s:n}", "limit", x->cfg->server.default_limit, "offset", 0, "count"));
    put(x->schemas, "ListMeta", meta);

    json_t *row = obj_schema("One row of an aggregate query: its group_by columns and its "
                             "aggregate labels.");
    put(row, "additionalProperties", json_true());
    put(x->schemas, "AggregateRow", row);

    json_t *agg = obj_schema("The rows of an aggregate query (group_by / aggregates).");
    put(agg, "required", json_pack("[s,s]", "data", "meta"));
    put(agg, "properties",
        json_pack("{s:{s:s, s:o}, s:o}", "data", "type", "array", "items", sref(x, "AggregateRow"),
                  "meta", sref(x, "ListMeta")));
    put(x->schemas, "AggregateList", agg);

    json_t *bu = obj_schema("Result of a bulk update.");
    put(bu, "required", json_pack("[s]", "updated"));
    put(bu, "properties", json_pack("{s:o}", "updated", int_schema("Rows updated.", 0)));
    put(x->schemas, "BulkUpdateResult", bu);
}

static void where_schemas(oa *x)
{
    json_t *w = obj_schema(WHERE_GRAMMAR);
    put(w, "properties",
        json_pack("{s:{s:s, s:o}, s:{s:s, s:o}, s:o}", "and", "type", "array", "items",
                  sref(x, "Where"), "or", "type", "array", "items", sref(x, "Where"), "not",
                  sref(x, "Where")));
    put(w, "additionalProperties", sref(x, "FieldCondition"));
    put(x->schemas, "Where", w);

    json_t *fc = json_object();
    put(fc, "description",
        str("The condition on one field: a value (equality; null is IS NULL), an object of "
            "operators, or on a relationship {\"any\": where} / {\"has\": where}."));
    put(fc, "anyOf",
        json_pack("[{s:[s,s,s,s], s:s}, o, o]", "type", "string", "number", "boolean", "null",
                  "description", "Equality (null: IS NULL).", sref(x, "Operators"),
                  sref(x, "RelationshipFilter")));
    put(x->schemas, "FieldCondition", fc);

    json_t *ops = obj_schema("Operators on one field, ANDed. Operands are checked against the "
                             "field's type.");
    put(ops, "minProperties", json_integer(1));
    put(ops, "additionalProperties", json_false());
    json_t *op = json_object();
    static const char *const CMP[][2] = {{"eq", "equal"},     {"ne", "not equal"},
                                         {"lt", "less than"}, {"le", "less or equal"},
                                         {"gt", "greater"},   {"ge", "greater or equal"}};
    for (size_t i = 0; i < sizeof CMP / sizeof CMP[0]; i++)
        put(op, CMP[i][0], json_pack("{s:s}", "description", CMP[i][1]));
    put(op, "like", string_schema("SQL LIKE pattern (% and _)."));
    put(op, "ilike", string_schema("Case-insensitive LIKE."));
    put(op, "in", json_pack("{s:s, s:s}", "type", "array", "description", "One of these values."));
    put(op, "not_in",
        json_pack("{s:s, s:s}", "type", "array", "description", "None of these values."));
    put(op, "is_null",
        json_pack("{s:s, s:s}", "type", "boolean", "description",
                  "true: IS NULL; false: IS NOT NULL."));
    put(op, "between",
        json_pack("{s:s, s:i, s:i, s:s}", "type", "array", "minItems", 2, "maxItems", 2,
                  "description", "[low, high], both included."));
    put(ops, "properties", op);
    put(x->schemas, "Operators", ops);

    json_t *rf = obj_schema("A condition on related rows: any (to-many) or has (to-one).");
    put(rf, "minProperties", json_integer(1));
    put(rf, "maxProperties", json_integer(1));
    put(rf, "additionalProperties", json_false());
    put(rf, "properties",
        json_pack("{s:o, s:o}", "any", sref(x, "Where"), "has", sref(x, "Where")));
    put(x->schemas, "RelationshipFilter", rf);
}

static void query_parts(oa *x)
{
    json_t *dir = json_object();
    put(dir, "description", str("asc or desc, or {\"dir\": ..., \"nulls\": \"first\"|\"last\"}."));
    put(dir, "anyOf",
        json_pack("[{s:s, s:[s,s]}, {s:s, s:b, s:{s:{s:s, s:[s,s]}, s:{s:s, s:[s,s]}}}]", "type",
                  "string", "enum", "asc", "desc", "type", "object", "additionalProperties", 0,
                  "properties", "dir", "type", "string", "enum", "asc", "desc", "nulls", "type",
                  "string", "enum", "first", "last"));
    put(x->schemas, "OrderDirection", dir);

    json_t *ob = json_object();
    put(ob, "type", str("array"));
    put(ob, "description",
        str("Sort keys in order: a name (ascending) or an object with one name and its "
            "direction. Names are columns, or in an aggregate query group_by columns and "
            "aggregate labels."));
    json_t *item = json_object();
    put(item, "anyOf",
        json_pack("[{s:s}, {s:s, s:i, s:i, s:o}]", "type", "string", "type", "object",
                  "minProperties", 1, "maxProperties", 1, "additionalProperties",
                  sref(x, "OrderDirection")));
    put(ob, "items", item);
    put(ob, "examples", json_pack("[[{s:s}, s]]", "created_at", "desc", "id"));
    put(x->schemas, "OrderBy", ob);

    json_t *lo = obj_schema(
        "A loader option, SQLAlchemy's names: its value is a relationship path (dots nest: "
        "\"orders.user\"); raiseload and noload also take \"*\" or \"path.*\". selectinload "
        "runs one extra statement per level, joinedload a LEFT OUTER JOIN in the same "
        "statement, lazyload (selectload) one statement per parent, raiseload makes touching "
        "the relationship a 400, noload leaves it out.");
    put(lo, "minProperties", json_integer(1));
    put(lo, "maxProperties", json_integer(1));
    put(lo, "additionalProperties", json_false());
    json_t *lp = json_object();
    static const char *const LOADS[] = {"selectinload", "joinedload", "lazyload",
                                        "selectload",   "raiseload",  "noload"};
    for (size_t i = 0; i < sizeof LOADS / sizeof LOADS[0]; i++)
        put(lp, LOADS[i], json_pack("{s:s}", "type", "string"));
    put(lo, "properties", lp);
    put(x->schemas, "LoaderOption", lo);

    json_t *ag = obj_schema("One aggregate: a function and its column (count also \"*\").");
    put(ag, "minProperties", json_integer(1));
    put(ag, "maxProperties", json_integer(1));
    put(ag, "additionalProperties", json_false());
    json_t *ap = json_object();
    static const char *const AGGS[] = {"count", "count_distinct", "sum", "avg", "min", "max"};
    for (size_t i = 0; i < sizeof AGGS / sizeof AGGS[0]; i++)
        put(ap, AGGS[i], json_pack("{s:s}", "type", "string"));
    put(ag, "properties", ap);
    put(x->schemas, "Aggregate", ag);
}

/* A query document; om NULL: the generic one (transaction operations). */
static json_t *query_schema(oa *x, const oa_model *om)
{
    const cfg_server *sv = &x->cfg->server;
    json_t *q = obj_schema(
        om ? arena_sprintf(x->a,
                           "A query document over %s. With group_by or aggregates it returns "
                           "rows (AggregateList) instead of entities.",
                           om->model->table)
           : "A query document, as POST /api/{table}/query takes it; names are checked "
             "against the operation's resource.");
    put(q, "additionalProperties", json_false());
    json_t *p = json_object();
    put(p, "where", sref(x, om ? om->where : "Where"));
    put(p, "order_by", sref(x, "OrderBy"));
    put(p, "limit",
        json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 0, "maximum", sv->max_limit,
                  "default", sv->default_limit));
    put(p, "offset", json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "default", 0));
    json_t *names = NULL, *cols = NULL;
    if (om) {
        names = json_array();
        cols = json_array();
        for (size_t i = 0; i < om->model->n_columns; i++) {
            json_array_append_new(names, str(om->model->columns[i].name));
            json_array_append_new(cols, str(om->model->columns[i].name));
        }
        for (size_t r = 0; om->m && r < om->m->n_relationships; r++)
            json_array_append_new(names, str(om->m->relationships[r].name));
    }
    json_t *fi = json_pack("{s:s}", "type", "string");
    if (names)
        put(fi, "enum", names);
    put(p, "fields",
        json_pack("{s:s, s:s, s:o}", "type", "array", "description",
                  "Only these columns (and these relationships, loaded) in each "
                  "DTO.",
                  "items", fi));
    put(p, "options", json_pack("{s:s, s:o}", "type", "array", "items", sref(x, "LoaderOption")));
    put(p, "count",
        json_pack("{s:s, s:b, s:s}", "type", "boolean", "default", 0, "description",
                  "Also count the matching rows (meta.count)."));
    json_t *gi = json_pack("{s:s}", "type", "string");
    if (cols)
        put(gi, "enum", cols);
    put(p, "group_by", json_pack("{s:s, s:o}", "type", "array", "items", gi));
    put(p, "aggregates",
        json_pack("{s:s, s:s, s:{s:s}, s:o}", "type", "object", "description",
                  "Labels (identifiers) to aggregates, e.g. {\"n\": {\"count\": \"*\"}, "
                  "\"revenue\": {\"sum\": \"total\"}}.",
                  "propertyNames", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$", "additionalProperties",
                  sref(x, "Aggregate")));
    put(q, "properties", p);
    return q;
}

/* ==== per-model schemas ================================================== */

/* A relationship as a DTO property: the target's DTO, an array for
 * to-many, nullable for to-one. */
static json_t *relationship_schema(oa *x, const orm_relationship *r)
{
    const oa_model *t = NULL;
    for (size_t i = 0; i < x->n_models; i++)
        if (x->models[i].m == r->target)
            t = &x->models[i];
    const char *target = t ? t->entity : "AggregateRow";
    const char *d = arena_sprintf(
        x->a,
        "%s relationship to %s, present only when loaded: include=%s, a loader option such as "
        "{\"selectinload\": \"%s\"}, or its default strategy (lazy: %s).",
        cfg_rel_kind_name(r->cfg->kind), r->target ? r->target->name : "?", r->name, r->name,
        cfg_lazy_name(r->cfg->lazy));
    if (r->to_many)
        return json_pack("{s:s, s:s, s:o}", "type", "array", "description", d, "items",
                         sref(x, target));
    return json_pack("{s:s, s:[o,{s:s}]}", "description", d, "anyOf", sref(x, target), "type",
                     "null");
}

static void entity_schemas(oa *x, const oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *props = json_object();
    for (size_t i = 0; i < md->n_columns; i++)
        if (!md->columns[i].write_only)
            put(props, md->columns[i].name, column_schema(x, om, i, USE_OUT));
    for (size_t r = 0; om->m && r < om->m->n_relationships; r++)
        put(props, om->m->relationships[r].name, relationship_schema(x, &om->m->relationships[r]));
    json_t *e = obj_schema(arena_sprintf(
        x->a,
        "%s (table %s) as the API returns it. Every column is present unless fields= limits "
        "them; relationships only when loaded.",
        md->name, md->table));
    put(e, "properties", props);
    put(e, "example", entity_example(x, om, 0));
    put(x->schemas, om->entity, e);

    json_t *cp = json_object(), *req = json_array();
    for (size_t i = 0; i < md->n_columns; i++) {
        if (!creatable(om, i))
            continue;
        put(cp, md->columns[i].name, column_schema(x, om, i, USE_CREATE));
        if (create_required(om, i))
            json_array_append_new(req, str(md->columns[i].name));
    }
    json_t *c = obj_schema(arena_sprintf(
        x->a,
        "Body that creates one %s. Unknown fields, read-only fields and the version column "
        "are refused (422, each named); relationships are written through their own "
        "resources.",
        md->name));
    if (json_array_size(req))
        put(c, "required", req);
    else
        json_decref(req);
    put(c, "properties", cp);
    put(c, "additionalProperties", json_false());
    put(x->schemas, om->create, c);

    json_t *up = json_object();
    for (size_t i = 0; i < md->n_columns; i++)
        if (updatable(om, i))
            put(up, md->columns[i].name, column_schema(x, om, i, USE_UPDATE));
    json_t *u = obj_schema(arena_sprintf(
        x->a,
        "Partial update of one %s: only the fields given change. Key columns, read-only fields "
        "and the version column are refused (422).",
        md->name));
    put(u, "properties", up);
    put(u, "additionalProperties", json_false());
    put(x->schemas, om->update, u);

    json_t *l = obj_schema(arena_sprintf(x->a, "A page of %s.", md->table));
    put(l, "required", json_pack("[s,s]", "data", "meta"));
    put(l, "properties",
        json_pack("{s:{s:s, s:o}, s:o}", "data", "type", "array", "items", sref(x, om->entity),
                  "meta", sref(x, "ListMeta")));
    put(x->schemas, om->list, l);
}

static void model_where_schema(oa *x, const oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *w = obj_schema(arena_sprintf(x->a,
                                         "A where document over %s (see Where for the "
                                         "grammar).",
                                         md->table));
    json_t *p = json_object();
    for (size_t i = 0; i < md->n_columns; i++) {
        const char *n = md->columns[i].name;
        if (!strcmp(n, "and") || !strcmp(n, "or") || !strcmp(n, "not"))
            continue;
        put(p, n,
            json_pack("{s:[o,o]}", "anyOf", column_schema(x, om, i, USE_FILTER),
                      sref(x, "Operators")));
    }
    for (size_t r = 0; om->m && r < om->m->n_relationships; r++) {
        const orm_relationship *rel = &om->m->relationships[r];
        if (!strcmp(rel->name, "and") || !strcmp(rel->name, "or") || !strcmp(rel->name, "not"))
            continue;
        const char *target = NULL;
        for (size_t k = 0; k < x->n_models; k++)
            if (x->models[k].m == rel->target)
                target = x->models[k].where;
        const char *kw = rel->to_many ? "any" : "has";
        put(p, rel->name,
            json_pack("{s:s, s:s, s:[s], s:b, s:{s:o}}", "type", "object", "description",
                      arena_sprintf(x->a, "Rows with %s related %s matching: EXISTS.",
                                    rel->to_many ? "any" : "a", rel->name),
                      "required", kw, "additionalProperties", 0, "properties", kw,
                      sref(x, target ? target : "Where")));
    }
    put(p, "and", json_pack("{s:s, s:o}", "type", "array", "items", sref(x, om->where)));
    put(p, "or", json_pack("{s:s, s:o}", "type", "array", "items", sref(x, om->where)));
    put(p, "not", sref(x, om->where));
    put(w, "properties", p);
    put(w, "additionalProperties", json_false());
    put(x->schemas, om->where, w);
}

/* The schema of a key value of om (single key: its column; composite: an
 * array in key-column order). */
static json_t *key_schema(oa *x, const oa_model *om)
{
    const cfg_model *md = om->model;
    if (md->n_pk == 1)
        return column_schema(x, om, md->pk[0], USE_KEY);
    json_t *items = json_array();
    for (size_t k = 0; k < md->n_pk; k++)
        json_array_append_new(items, column_schema(x, om, md->pk[k], USE_KEY));
    return json_pack("{s:s, s:o, s:I, s:I}", "type", "array", "prefixItems", items, "minItems",
                     (json_int_t) md->n_pk, "maxItems", (json_int_t) md->n_pk);
}

static void bulk_schemas(oa *x, const oa_model *om)
{
    json_t *r = obj_schema("Result of a bulk insert.");
    put(r, "required", json_pack("[s]", "inserted"));
    put(r, "properties",
        json_pack("{s:o, s:{s:s, s:s, s:o}}", "inserted", int_schema("Rows inserted.", 0), "ids",
                  "type", "array", "description",
                  "The keys of the inserted rows in input order (with returning=id).", "items",
                  key_schema(x, om)));
    put(x->schemas, om->bulk_result, r);

    json_t *u = obj_schema(arena_sprintf(
        x->a,
        "A Core bulk update of %s: SET values WHERE where, in one statement (no identity map). "
        "An empty where is refused.",
        om->model->table));
    put(u, "required", json_pack("[s,s]", "where", "values"));
    put(u, "additionalProperties", json_false());
    put(u, "properties",
        json_pack("{s:{s:i, s:[o]}, s:{s:i, s:[o]}}", "where", "minProperties", 1, "allOf",
                  sref(x, om->where), "values", "minProperties", 1, "allOf", sref(x, om->update)));
    put(x->schemas, om->bulk_update, u);
}

/* ==== transactions and health ============================================ */

static void transaction_schemas(oa *x)
{
    json_t *res = json_array();
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(res, str(x->models[i].model->table));
    json_t *rs = json_pack("{s:s, s:s}", "type", "string", "description", "A resource (table).");
    if (json_array_size(res))
        put(rs, "enum", res);
    else
        json_decref(res);
    put(x->schemas, "Resource", rs);

    /* patternProperties, not properties: a "$ref" key would read as a
     * reference to tools that resolve them. */
    put(x->schemas, "ValueRef",
        json_pack("{s:s, s:s, s:[s], s:b, s:{s:{s:s, s:s}}}", "type", "object", "description",
                  "The field of an earlier operation's result, by its ref: {\"$ref\": "
                  "\"u.id\"}.",
                  "required", "$ref", "additionalProperties", 0, "patternProperties", "^[$]ref$",
                  "type", "string", "pattern", "^[^.]+[.].+$"));
    put(x->schemas, "ValueAdd",
        json_pack("{s:s, s:s, s:[s], s:b, s:{s:{s:[s,s]}}}", "type", "object", "description",
                  "Update only, numeric fields: add to the current value (col = col + n).",
                  "required", "$add", "additionalProperties", 0, "properties", "$add", "type",
                  "number", "string"));
    json_t *tv = obj_schema("Field values, validated like the resource's Create or Update "
                            "body; any value may be a ValueRef, and in an update a ValueAdd.");
    put(tv, "additionalProperties",
        json_pack("{s:[o,o,{s:s}]}", "anyOf", sref(x, "ValueRef"), sref(x, "ValueAdd"),
                  "description", "A value of the field."));
    put(x->schemas, "TransactionValues", tv);

    json_t *tk = json_object();
    put(tk, "description",
        str("The key of the entity: a value, an array for composite keys, or "
            "a ValueRef."));
    put(tk, "anyOf",
        json_pack("[{s:[s,s]}, {s:s, s:{s:[s,s]}}, o]", "type", "string", "integer", "type",
                  "array", "items", "type", "string", "integer", sref(x, "ValueRef")));
    put(x->schemas, "TransactionKey", tk);

    static const struct {
        const char *name, *op, *description;
        const char *required[4];
    } OPS[] = {
        {"TransactionCreate",
         "create",
         "Create an entity; its DTO is the result.",
         {"op", "resource", "values", NULL}},
        {"TransactionUpdate",
         "update",
         "Update an entity; its DTO is the result.",
         {"op", "resource", "id", "values"}},
        {"TransactionDelete",
         "delete",
         "Delete an entity; {\"deleted\": true} is the result.",
         {"op", "resource", "id", NULL}},
        {"TransactionQuery",
         "query",
         "Run a query document; the list envelope is the result.",
         {"op", "resource", NULL, NULL}},
    };
    json_t *one_of = json_array(), *mapping = json_object();
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        json_t *s = obj_schema(OPS[i].description);
        json_t *req = json_array();
        for (size_t k = 0; k < 4 && OPS[i].required[k]; k++)
            json_array_append_new(req, str(OPS[i].required[k]));
        put(s, "required", req);
        put(s, "additionalProperties", json_false());
        json_t *p = json_object();
        put(p, "op", json_pack("{s:s, s:s}", "type", "string", "const", OPS[i].op));
        put(p, "resource", sref(x, "Resource"));
        put(p, "ref",
            json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^[^.]+$", "description",
                      "Names this result for later ValueRefs."));
        if (strcmp(OPS[i].op, "create") && strcmp(OPS[i].op, "query"))
            put(p, "id", sref(x, "TransactionKey"));
        if (!strcmp(OPS[i].op, "create") || !strcmp(OPS[i].op, "update"))
            put(p, "values", sref(x, "TransactionValues"));
        if (!strcmp(OPS[i].op, "query"))
            put(p, "query", sref(x, "QueryDocument"));
        put(s, "properties", p);
        put(x->schemas, OPS[i].name, s);
        json_array_append_new(one_of, sref(x, OPS[i].name));
        put(mapping, OPS[i].op, str(arena_sprintf(x->a, "#/components/schemas/%s", OPS[i].name)));
    }
    put(x->schemas, "TransactionOperation",
        json_pack("{s:o, s:{s:s, s:o}}", "oneOf", one_of, "discriminator", "propertyName", "op",
                  "mapping", mapping));

    json_t *doc = obj_schema(
        "Several operations in one session and one transaction: later operations see earlier "
        "ones, all commit together or none do. A serialization failure or deadlock replays "
        "the whole document with exponential backoff (session.retry_attempts).");
    put(doc, "required", json_pack("[s]", "operations"));
    put(doc, "additionalProperties", json_false());
    put(doc, "properties",
        json_pack("{s:{s:s, s:[s,s,s], s:s}, s:{s:s, s:i, s:o}}", "isolation_level", "type",
                  "string", "enum", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE",
                  "description",
                  "For this transaction (case-insensitive); default: "
                  "database.isolation_level.",
                  "operations", "type", "array", "minItems", 1, "items",
                  sref(x, "TransactionOperation")));
    put(x->schemas, "TransactionDocument", doc);

    put(x->schemas, "DeletedResult",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:b}}}", "type", "object", "required", "deleted",
                  "properties", "deleted", "type", "boolean", "const", 1));
    json_t *any = json_array();
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(any, sref(x, x->models[i].entity));
    json_array_append_new(any, sref(x, "DeletedResult"));
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(any, sref(x, x->models[i].list));
    json_array_append_new(any, sref(x, "AggregateList"));
    json_t *tr = obj_schema("One result per operation, in order: the DTO for create and "
                            "update, {\"deleted\": true} for delete, the list envelope for "
                            "query.");
    put(tr, "required", json_pack("[s]", "results"));
    put(tr, "properties",
        json_pack("{s:{s:s, s:{s:o}}}", "results", "type", "array", "items", "anyOf", any));
    put(x->schemas, "TransactionResults", tr);
}

static void health_schemas(oa *x)
{
    put(x->schemas, "Health",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:s}}}", "type", "object", "required", "status",
                  "properties", "status", "type", "string", "const", "ok"));
    put(x->schemas, "Readiness",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:s}}}", "type", "object", "required", "status",
                  "properties", "status", "type", "string", "const", "ready"));
    static const char *const POOL[][2] = {
        {"size", "pool_size: connections kept open."},
        {"checked_in", "Idle open connections."},
        {"checked_out", "Connections in use."},
        {"overflow", "Overflow connections open now (0 to max_overflow)."},
        {"max_overflow", "Most overflow connections allowed."},
        {"waiting", "Requests waiting for a connection."},
        {"timeouts", "Checkouts that gave up after pool_timeout, since start."},
        {"recycled", "Connections closed for age (pool_recycle), since start."},
        {"invalidated", "Connections discarded as broken, since start."},
    };
    json_t *p = json_object(), *req = json_array();
    for (size_t i = 0; i < sizeof POOL / sizeof POOL[0]; i++) {
        put(p, POOL[i][0], int_schema(POOL[i][1], 0));
        json_array_append_new(req, str(POOL[i][0]));
    }
    json_t *s = obj_schema("Connection pool status.");
    put(s, "required", req);
    put(s, "properties", p);
    put(x->schemas, "PoolStatus", s);
}

/* ==== parameters, headers, responses ===================================== */

static void components_misc(oa *x)
{
    json_t *h = x->headers;
    put(h, "X-Request-Id",
        json_pack("{s:s, s:{s:s}}", "description",
                  "The request's id: the client's X-Request-Id when it is at most 128 printable "
                  "characters, else a generated one. It is in the server's log lines.",
                  "schema", "type", "string"));
    put(h, "Server-Timing",
        json_pack("{s:s, s:{s:s}}", "description",
                  "total, pool (waiting for a connection) and db (statements) durations in "
                  "milliseconds: \"total;dur=1.9, pool;dur=0.0, db;dur=1.2\".",
                  "schema", "type", "string"));
    put(h, "X-Query-Count",
        json_pack("{s:s, s:{s:s, s:i}}", "description",
                  "With server.debug_headers on: SQL statements that read or wrote rows "
                  "(not BEGIN, COMMIT, SET or pool pings).",
                  "schema", "type", "integer", "minimum", 0));
    put(h, "ETag",
        json_pack("{s:s, s:{s:s, s:s}}", "description",
                  "The entity's version as a strong tag, e.g. \"3\".", "schema", "type", "string",
                  "pattern", "^\"[0-9]+\"$"));
    put(h, "Location",
        json_pack("{s:s, s:{s:s, s:s}}", "description", "The URL of the created entity.", "schema",
                  "type", "string", "format", "uri-reference"));
    put(h, "Retry-After",
        json_pack("{s:s, s:{s:s, s:i}}", "description", "Seconds to wait before trying again.",
                  "schema", "type", "integer", "minimum", 0));

    json_t *p = x->parameters;
    put(p, "X-Request-Id",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i}}", "name", "X-Request-Id", "in", "header",
                  "description",
                  "An id for this request, echoed in the response and the server's log when it "
                  "is 1 to 128 printable ASCII characters.",
                  "required", 0, "schema", "type", "string", "maxLength", 128));
    put(p, "limit",
        json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:i, s:i}}", "name", "limit", "in", "query",
                  "description", "Page size (at most server.max_limit).", "schema", "type",
                  "integer", "minimum", 0, "maximum", x->cfg->server.max_limit, "default",
                  x->cfg->server.default_limit));
    put(p, "offset",
        json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:i}}", "name", "offset", "in", "query",
                  "description", "Rows to skip.", "schema", "type", "integer", "minimum", 0,
                  "default", 0));
    put(p, "count",
        json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "name", "count", "in", "query", "description",
                  "Also count the matching rows (meta.count).", "schema", "type", "boolean",
                  "default", 0));
    put(p, "returning",
        json_pack("{s:s, s:s, s:s, s:{s:s, s:[s]}}", "name", "returning", "in", "query",
                  "description",
                  "returning=id: also return the keys of the inserted rows, in "
                  "input order.",
                  "schema", "type", "string", "enum", "id"));
    put(p, "If-Match",
        json_pack("{s:s, s:s, s:s, s:b, s:{s:s}, s:s}", "name", "If-Match", "in", "header",
                  "description",
                  "The ETag of the version the change is based on (or *): a stale one is a "
                  "412. Without it the change is not checked.",
                  "required", 0, "schema", "type", "string", "example", "\"1\""));
}

static json_t *problem_example(oa *x, int status)
{
    const cfg_server *sv = &x->cfg->server;
    err_kind kind = status == 400   ? ERR_BAD_REQUEST
                    : status == 404 ? ERR_NOT_FOUND
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
    case 409: {
        /* A unique column of the first model that has one. */
        const oa_model *um = NULL;
        const cfg_column *uc = NULL;
        for (size_t i = 0; i < x->n_models && !uc; i++)
            for (size_t c = 0; c < x->models[i].model->n_columns && !uc; c++)
                if (x->models[i].model->columns[c].unique &&
                    !x->models[i].model->columns[c].primary_key) {
                    um = &x->models[i];
                    uc = &um->model->columns[c];
                }
        put(e, "type", str("unique-violation"));
        put(e, "title", str("unique constraint violated"));
        if (!uc) {
            detail = "A value that must be unique is already taken.";
            put(e, "sqlstate", str("23505"));
            break;
        }
        const char *constraint = arena_sprintf(x->a, "%s_%s_key", um->model->table, uc->name);
        /* Never PostgreSQL's message: it quotes row contents. */
        put(e, "detail", str("A value that must be unique is already taken."));
        put(e, "sqlstate", str("23505"));
        put(e, "constraint", str(constraint));
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
                if (create_required(&x->models[i], c))
                    req = &x->models[i].model->columns[c];
        const oa_model *rm = NULL;
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
        put(e, "type", str("query-canceled"));
        put(e, "sqlstate", str("57014"));
        detail = "A statement took longer than the statement timeout.";
        break;
    default:
        detail = "The server failed to complete the request; the request id identifies it in "
                 "the server log.";
        break;
    }
    if (item) {
        if (!json_object_get(e, "detail"))
            put(e, "detail", str(item));
        put(e, "errors", json_pack("[{s:s, s:s}]", "pointer", pointer, "detail", item));
    } else if (detail) {
        put(e, "detail", str(detail));
    }
    put(e, "request_id", str("4f2a9c1e7b3d5a60"));
    return e;
}

static json_t *std_headers(oa *x, bool db)
{
    json_t *h = json_object();
    put(h, "X-Request-Id", ref(x, "headers", "X-Request-Id"));
    put(h, "Server-Timing", ref(x, "headers", "Server-Timing"));
    if (db)
        put(h, "X-Query-Count", ref(x, "headers", "X-Query-Count"));
    return h;
}

static void problem_responses(oa *x)
{
    for (size_t i = 0; i < N_PROBLEMS; i++) {
        int st = PROBLEMS[i].status;
        json_t *h = std_headers(x, false);
        if (st == 503 || st == 409)
            put(h, "Retry-After", ref(x, "headers", "Retry-After"));
        json_t *r = json_object();
        put(r, "description", str(PROBLEMS[i].description));
        put(r, "headers", h);
        put(r, "content",
            json_pack("{s:{s:o, s:o}}", "application/problem+json", "schema", sref(x, "Problem"),
                      "example", problem_example(x, st)));
        put(x->responses, PROBLEMS[i].name, r);
    }
}

/* ==== operations ========================================================= */

typedef struct op_spec {
    const char *tag, *id, *summary, *description;
    bool db;
} op_spec;

static json_t *op_new(oa *x, const op_spec *o)
{
    json_t *op = json_object();
    put(op, "tags", json_pack("[s]", o->tag));
    put(op, "summary", str(o->summary));
    if (o->description)
        put(op, "description", str(o->description));
    put(op, "operationId", str(op_id(x, o->id)));
    put(op, "parameters", json_pack("[o]", ref(x, "parameters", "X-Request-Id")));
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
        put(media, "example", example);
    put(op, "requestBody",
        json_pack("{s:s, s:b, s:{s:o}}", "description", description, "required", 1, "content",
                  "application/json", media));
}

/* The success response, then the problems of `problems` in status order. */
static void responses(oa *x, json_t *op, const op_spec *o, int status, const char *description,
                      const char *media_type, json_t *schema, json_t *example,
                      json_t *extra_headers, unsigned problems)
{
    json_t *rs = json_object();
    json_t *ok = json_object();
    put(ok, "description", str(description));
    json_t *h = std_headers(x, o->db);
    if (extra_headers) {
        json_object_update(h, extra_headers);
        json_decref(extra_headers);
    }
    put(ok, "headers", h);
    if (media_type) {
        json_t *m = json_pack("{s:o}", "schema", schema);
        if (example)
            put(m, "example", example);
        put(ok, "content", json_pack("{s:o}", media_type, m));
    }
    put(rs, arena_sprintf(x->a, "%d", status), ok);
    for (size_t i = 0; i < N_PROBLEMS; i++)
        if (problems & PROBLEMS[i].bit)
            put(rs, arena_sprintf(x->a, "%d", PROBLEMS[i].status),
                ref(x, "responses", PROBLEMS[i].name));
    put(op, "responses", rs);
}

static json_t *path_item(json_t *paths, const char *path)
{
    json_t *p = json_object_get(paths, path);
    if (!p) {
        p = json_object();
        put(paths, path, p);
    }
    return p;
}

static json_t *query_param(const char *name, const char *description, json_t *schema,
                           json_t *example)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "in", "query", "description",
                          description, "schema", schema);
    if (example)
        put(p, "example", example);
    return p;
}

static const char *relationship_list(oa *x, const oa_model *om)
{
    const char *s = "";
    for (size_t r = 0; om->m && r < om->m->n_relationships; r++)
        s = arena_sprintf(x->a, "%s%s%s", s, r ? ", " : "", om->m->relationships[r].name);
    return s;
}

static const char *column_list(oa *x, const oa_model *om)
{
    const char *s = "";
    for (size_t i = 0; i < om->model->n_columns; i++)
        s = arena_sprintf(x->a, "%s%s%s", s, i ? ", " : "", om->model->columns[i].name);
    return s;
}

/* include= and fields= (every route that returns entities). */
static void shape_params(oa *x, json_t *op, const oa_model *om)
{
    if (om->m && om->m->n_relationships)
        add_param(
            op, query_param("include",
                            arena_sprintf(x->a,
                                          "Relationship paths to load and return, comma separated "
                                          "(selectinload; dots nest). Relationships of %s: %s.",
                                          om->model->table, relationship_list(x, om)),
                            json_pack("{s:s, s:s}", "type", "string", "pattern",
                                      "^[A-Za-z_][A-Za-z0-9_.]*(,[A-Za-z_][A-Za-z0-9_.]*)*$"),
                            str(om->m->relationships[0].name)));
    add_param(op, query_param("fields",
                              arena_sprintf(x->a,
                                            "Only these columns (and relationships), comma "
                                            "separated. Columns of %s: %s.",
                                            om->model->table, column_list(x, om)),
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

static json_t *id_param(oa *x, const oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *p = json_pack("{s:s, s:s, s:b}", "name", "id", "in", "path", "required", 1);
    if (md->n_pk == 1) {
        put(p, "description",
            str(arena_sprintf(x->a, "The primary key (%s).", md->columns[md->pk[0]].name)));
        put(p, "schema", column_schema(x, om, md->pk[0], USE_KEY));
        put(p, "example", column_example(x, &md->columns[md->pk[0]], 0));
        return p;
    }
    /* The example is the parsed value (an array); style simple puts it in
     * the URL as "3,7". */
    const char *cols = "";
    json_t *ex = json_array();
    for (size_t k = 0; k < md->n_pk; k++) {
        const cfg_column *c = &md->columns[md->pk[k]];
        cols = arena_sprintf(x->a, "%s%s%s", cols, k ? ", " : "", c->name);
        json_array_append_new(ex, column_example(x, c, 0));
    }
    put(p, "description",
        str(arena_sprintf(x->a,
                          "The composite primary key: %s, in this order, joined by commas, "
                          "each percent-encoded.",
                          cols)));
    put(p, "style", str("simple"));
    put(p, "explode", json_false());
    put(p, "schema", key_schema(x, om));
    put(p, "example", ex);
    return p;
}

static void model_paths(oa *x, json_t *paths, const oa_model *om)
{
    const cfg_model *md = om->model;
    const char *t = md->table;
    bool versioned = om->m && om->m->version >= 0;
    const char *base = arena_sprintf(x->a, "/api/%s", t);
    json_t *collection = path_item(paths, base);
    json_t *item = path_item(paths, arena_sprintf(x->a, "%s/{id}", base));

    /* GET /api/t */
    op_spec o = {t, arena_sprintf(x->a, "list%s", om->plural), arena_sprintf(x->a, "List %s", t),
                 arena_sprintf(x->a,
                               "A page of %s, filtered by equality parameters (one per column) "
                               "and a where document, sorted by order_by. Unknown parameters "
                               "are a 400.",
                               t),
                 true};
    json_t *op = op_new(x, &o);
    add_param(op, ref(x, "parameters", "limit"));
    add_param(op, ref(x, "parameters", "offset"));
    add_param(op, query_param("order_by",
                              arena_sprintf(x->a,
                                            "Sort keys, comma separated; a leading - sorts "
                                            "descending. Columns of %s: %s.",
                                            t, column_list(x, om)),
                              json_pack("{s:s, s:s}", "type", "string", "pattern",
                                        "^-?[A-Za-z_][A-Za-z0-9_]*(,-?[A-Za-z_][A-Za-z0-9_]*)*$"),
                              NULL));
    shape_params(x, op, om);
    add_param(op, ref(x, "parameters", "count"));
    add_param(op,
              json_pack("{s:s, s:s, s:s, s:{s:{s:o, s:o}}}", "name", "where", "in", "query",
                        "description",
                        arena_sprintf(x->a, "A where document over %s as URL-encoded JSON.\n\n%s",
                                      t, WHERE_GRAMMAR),
                        "content", "application/json", "schema", sref(x, om->where), "example",
                        where_example(x, om)));
    for (size_t i = 0; i < md->n_columns; i++) {
        const cfg_column *c = &md->columns[i];
        if (c->write_only || is_control_param(c->name))
            continue;
        json_t *s = column_schema(x, om, i, USE_PARAM);
        json_object_del(s, "description");
        add_param(
            op, query_param(c->name,
                            arena_sprintf(x->a, "Only rows whose %s equals this value%s.", c->name,
                                          c->type == CFG_TYPE_JSON ? " (JSON text)" : ""),
                            s, NULL));
    }
    responses(x, op, &o, 200, arena_sprintf(x->a, "A page of %s.", t), "application/json",
              sref(x, om->list), NULL, NULL, P400 | P422 | P_DB);
    put(collection, "get", op);

    /* POST /api/t */
    o = (op_spec){t, arena_sprintf(x->a, "create%s", om->singular),
                  arena_sprintf(x->a, "Create one %s", md->name),
                  "Validates the body (every problem listed), inserts the row through the unit "
                  "of work and returns the created DTO with the model's default eager "
                  "relationships.",
                  true};
    op = op_new(x, &o);
    json_body(op, arena_sprintf(x->a, "The new %s.", md->name), sref(x, om->create),
              create_example(x, om, 0));
    json_t *hdr = json_pack("{s:o}", "Location", ref(x, "headers", "Location"));
    if (versioned)
        put(hdr, "ETag", ref(x, "headers", "ETag"));
    responses(x, op, &o, 201, "Created.", "application/json", sref(x, om->entity), NULL, hdr,
              P_BODY | P409 | P_DB);
    put(collection, "post", op);

    /* PATCH /api/t (bulk update) */
    o = (op_spec){t, arena_sprintf(x->a, "bulkUpdate%s", om->plural),
                  arena_sprintf(x->a, "Update %s in bulk", t),
                  "A Core UPDATE of every row matching where (no identity map, no per-row "
                  "validation beyond the values' types). An empty where is refused; the version "
                  "column, when there is one, is incremented.",
                  true};
    op = op_new(x, &o);
    json_t *bu_ex = json_object();
    put(bu_ex, "where", where_example(x, om));
    int sc = sample_column(om, true);
    json_t *vals = json_object();
    if (sc >= 0)
        put(vals, md->columns[sc].name, column_example(x, &md->columns[sc], 1));
    put(bu_ex, "values", vals);
    json_body(op, "where and values.", sref(x, om->bulk_update), sc >= 0 ? bu_ex : NULL);
    if (sc < 0)
        json_decref(bu_ex);
    responses(x, op, &o, 200, "The number of rows updated.", "application/json",
              sref(x, "BulkUpdateResult"), json_pack("{s:i}", "updated", 3), NULL,
              P_BODY | P409 | P_DB);
    put(collection, "patch", op);

    /* GET /api/t/{id} */
    o = (op_spec){t, arena_sprintf(x->a, "get%s", om->singular),
                  arena_sprintf(x->a, "Get one %s by key", md->name),
                  "Session.get: the entity with that primary key, with the relationships "
                  "include= names.",
                  true};
    op = op_new(x, &o);
    add_param(op, id_param(x, om));
    shape_params(x, op, om);
    responses(x, op, &o, 200, arena_sprintf(x->a, "The %s.", md->name), "application/json",
              sref(x, om->entity), NULL,
              versioned ? json_pack("{s:o}", "ETag", ref(x, "headers", "ETag")) : NULL,
              P400 | P404 | P_DB);
    put(item, "get", op);

    /* PATCH /api/t/{id} */
    o = (op_spec){t, arena_sprintf(x->a, "update%s", om->singular),
                  arena_sprintf(x->a, "Update one %s", md->name),
                  versioned ? "A partial update through the unit of work: only the given fields "
                              "change. If-Match is checked against the version column."
                            : "A partial update through the unit of work: only the given fields "
                              "change.",
                  true};
    op = op_new(x, &o);
    add_param(op, id_param(x, om));
    if (versioned)
        add_param(op, ref(x, "parameters", "If-Match"));
    json_t *up_ex = json_object();
    if (sc >= 0)
        put(up_ex, md->columns[sc].name, column_example(x, &md->columns[sc], 1));
    json_body(op, "The fields to change.", sref(x, om->update), up_ex);
    responses(x, op, &o, 200, arena_sprintf(x->a, "The updated %s.", md->name), "application/json",
              sref(x, om->entity), NULL,
              versioned ? json_pack("{s:o}", "ETag", ref(x, "headers", "ETag")) : NULL,
              P_BODY | P404 | P409 | (versioned ? P412 : 0) | P_DB);
    put(item, "patch", op);

    /* DELETE /api/t/{id} */
    o = (op_spec){t, arena_sprintf(x->a, "delete%s", om->singular),
                  arena_sprintf(x->a, "Delete one %s", md->name),
                  "Deletes the row; rows elsewhere that still reference it make this a 409.", true};
    op = op_new(x, &o);
    add_param(op, id_param(x, om));
    if (versioned)
        add_param(op, ref(x, "parameters", "If-Match"));
    responses(x, op, &o, 204, "Deleted.", NULL, NULL, NULL, NULL,
              P400 | P404 | P409 | (versioned ? P412 : 0) | P_DB);
    put(item, "delete", op);

    /* POST /api/t/query */
    o = (op_spec){t, arena_sprintf(x->a, "query%s", om->plural),
                  arena_sprintf(x->a, "Query %s with a query document", t),
                  "Entities through the ORM (identity map, loader options), or with group_by / "
                  "aggregates rows through Core.",
                  true};
    op = op_new(x, &o);
    json_t *qmedia = json_pack("{s:o}", "schema", sref(x, om->query));
    json_t *qex = json_pack("{s:{s:s, s:o}}", "entities", "summary", "Filter, sort, page, load",
                            "value", query_example(x, om));
    json_t *agg = aggregate_example(x, om);
    if (agg)
        put(qex, "aggregate",
            json_pack("{s:s, s:o}", "summary", "Group and aggregate", "value", agg));
    put(qmedia, "examples", qex);
    put(op, "requestBody",
        json_pack("{s:s, s:b, s:{s:o}}", "description", "The query document.", "required", 1,
                  "content", "application/json", qmedia));
    responses(x, op, &o, 200, "The matching entities, or the aggregate rows.", "application/json",
              json_pack("{s:[o,o]}", "anyOf", sref(x, om->list), sref(x, "AggregateList")), NULL,
              NULL, P_BODY | P_DB);
    put(path_item(paths, arena_sprintf(x->a, "%s/query", base)), "post", op);

    /* POST /api/t/bulk */
    o = (op_spec){t, arena_sprintf(x->a, "bulkInsert%s", om->plural),
                  arena_sprintf(x->a, "Insert %s in bulk", t),
                  "A Core bulk insert of a JSON array, each row validated like a create body "
                  "(pointers /i/field); batched, one round trip per batch, all rows or none.",
                  true};
    op = op_new(x, &o);
    add_param(op, ref(x, "parameters", "returning"));
    json_body(op, "The rows.",
              json_pack("{s:s, s:o}", "type", "array", "items", sref(x, om->create)),
              json_pack("[o,o]", create_example(x, om, 0), create_example(x, om, 1)));
    responses(x, op, &o, 201, "The rows were inserted.", "application/json",
              sref(x, om->bulk_result), NULL, NULL, P_BODY | P409 | P_DB);
    put(path_item(paths, arena_sprintf(x->a, "%s/bulk", base)), "post", op);
}

/* The spec's example, over the configured models: create a parent, a
 * child referring to it by $ref, and a query. */
static json_t *transaction_example(oa *x)
{
    json_t *ops = json_array();
    if (x->n_models == 0)
        return json_pack("{s:o}", "operations", ops);
    const oa_model *parent = &x->models[0], *child = NULL;
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
                                         create_example(x, parent, 1)));
    if (child) {
        json_t *v = create_example(x, child, 0);
        put(v, fk,
            json_pack(
                "{s:s}", "$ref",
                arena_sprintf(x->a, "p.%s", parent->model->columns[parent->model->pk[0]].name)));
        json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "create", "resource",
                                             child->model->table, "values", v));
    }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:{s:o, s:i}}", "op", "query", "resource",
                                         parent->model->table, "query", "where",
                                         where_example(x, parent), "limit", 10));
    return json_pack("{s:s, s:o}", "isolation_level", "SERIALIZABLE", "operations", ops);
}

static void shared_paths(oa *x, json_t *paths)
{
    op_spec o = {"transactions", "runTransaction", "Run operations in one transaction",
                 "All operations share one session and one transaction; all commit together "
                 "or none do. A failure names the failing operation (operation, pointers "
                 "under /operations/i/). Serialization failures and deadlocks are replayed "
                 "with backoff; when the retries run out: 409 serialization-failure with "
                 "Retry-After.",
                 true};
    json_t *op = op_new(x, &o);
    json_body(op, "The transaction document.", sref(x, "TransactionDocument"),
              transaction_example(x));
    responses(x, op, &o, 200, "Every operation's result, in order.", "application/json",
              sref(x, "TransactionResults"), NULL, NULL, P_BODY | P404 | P409 | P_DB);
    put(path_item(paths, "/api/transaction"), "post", op);

    o = (op_spec){"health", "getHealth", "Liveness",
                  "Answers on the I/O thread without touching the database.", false};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "Alive.", "application/json", sref(x, "Health"),
              json_pack("{s:s}", "status", "ok"), NULL, P400);
    put(path_item(paths, "/health"), "get", op);

    o = (op_spec){"health", "getReadiness", "Readiness",
                  "Pre-pings a pooled connection: 200 when the database answers, else 503.", true};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "Ready.", "application/json", sref(x, "Readiness"),
              json_pack("{s:s}", "status", "ready"), NULL, P400 | P503);
    put(path_item(paths, "/health/ready"), "get", op);

    o = (op_spec){"health", "getPoolStatus", "Connection pool status",
                  "Counters of the connection pool; no database access.", false};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "The pool's status.", "application/json", sref(x, "PoolStatus"),
              json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "size", 10, "checked_in",
                        9, "checked_out", 1, "overflow", 0, "max_overflow", 20, "waiting", 0,
                        "timeouts", 0, "recycled", 0, "invalidated", 0),
              NULL, P400);
    put(path_item(paths, "/health/pool"), "get", op);

    o = (op_spec){"health", "getMetrics", "Prometheus metrics",
                  "Prometheus text exposition: requests by route and status, a latency "
                  "histogram, pool gauges, statements executed, transaction replays.",
                  false};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "Metrics (text/plain; version=0.0.4).", "text/plain",
              json_pack("{s:s}", "type", "string"), NULL, NULL, P400);
    put(path_item(paths, "/metrics"), "get", op);

    o = (op_spec){"documentation", "getOpenApi", "This OpenAPI document",
                  "The OpenAPI 3.1 document generated from the models at start-up.", false};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "The document.", "application/json",
              json_pack("{s:s}", "type", "object"), NULL, NULL, P400);
    put(path_item(paths, "/openapi.json"), "get", op);

    o = (op_spec){"documentation", "getDocs", "API documentation page",
                  "A page that renders this document with Swagger UI, served from local files "
                  "(works offline).",
                  false};
    op = op_new(x, &o);
    responses(x, op, &o, 200, "An HTML page.", "text/html", json_pack("{s:s}", "type", "string"),
              NULL, NULL, P400);
    put(path_item(paths, "/docs"), "get", op);

    o = (op_spec){"documentation", "getDocsAsset", "A file of the documentation page",
                  "Swagger UI's scripts, style sheet and icons, from server.docs_dir.", false};
    op = op_new(x, &o);
    add_param(op, json_pack("{s:s, s:s, s:b, s:s, s:{s:s, s:s}, s:s}", "name", "file", "in", "path",
                            "required", 1, "description", "A file name.", "schema", "type",
                            "string", "pattern", "^[A-Za-z0-9_-][A-Za-z0-9._-]*$", "example",
                            "swagger-ui-bundle.js"));
    json_t *rs = json_object();
    json_t *ok =
        json_pack("{s:s, s:o}", "description", "The file.", "headers", std_headers(x, false));
    json_t *content = json_object();
    put(content, "text/javascript", json_pack("{s:{s:s}}", "schema", "type", "string"));
    put(content, "text/css", json_pack("{s:{s:s}}", "schema", "type", "string"));
    put(content, "image/png",
        json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "contentMediaType", "image/png"));
    put(ok, "content", content);
    put(rs, "200", ok);
    put(rs, "400", ref(x, "responses", "BadRequest"));
    put(rs, "404", ref(x, "responses", "NotFound"));
    put(op, "responses", rs);
    put(path_item(paths, "/docs/{file}"), "get", op);
}

/* ==== the document ======================================================= */

static void name_models(oa *x, const orm_registry *reg)
{
    const cfg_config *cfg = x->cfg;
    x->models = ARENA_ARRAY(x->a, oa_model, cfg->n_models + 1);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const cfg_model *md = &cfg->models[i];
        oa_model *om = &x->models[x->n_models++];
        om->model = md;
        om->m = reg ? orm_mapper_by_name(reg, md->name) : NULL;
        om->plural = camel(x, md->table);
        om->singular = camel(x, md->name);
    }
    /* Entity names first, so models keep their own names when they can. */
    for (size_t i = 0; i < x->n_models; i++)
        x->models[i].entity = take_name(x, x->models[i].model->name);
    for (size_t i = 0; i < x->n_models; i++) {
        oa_model *om = &x->models[i];
        const char *n = om->model->name;
        om->create = take_name(x, arena_sprintf(x->a, "%sCreate", n));
        om->update = take_name(x, arena_sprintf(x->a, "%sUpdate", n));
        om->list = take_name(x, arena_sprintf(x->a, "%sList", n));
        om->where = take_name(x, arena_sprintf(x->a, "%sWhere", n));
        om->query = take_name(x, arena_sprintf(x->a, "%sQuery", n));
        om->bulk_result = take_name(x, arena_sprintf(x->a, "%sBulkInsertResult", n));
        om->bulk_update = take_name(x, arena_sprintf(x->a, "%sBulkUpdate", n));
    }
}

static json_t *tags(oa *x)
{
    json_t *t = json_array();
    for (size_t i = 0; i < x->n_models; i++) {
        const oa_model *om = &x->models[i];
        const char *d = arena_sprintf(x->a, "The %s model (table %s). Columns: %s.",
                                      om->model->name, om->model->table, column_list(x, om));
        if (om->m && om->m->n_relationships)
            d = arena_sprintf(x->a, "%s Relationships: %s.", d, relationship_list(x, om));
        if (om->m && om->m->version >= 0)
            d = arena_sprintf(x->a, "%s Versioned by %s (ETag / If-Match).", d,
                              om->model->version_column);
        json_array_append_new(t,
                              json_pack("{s:s, s:s}", "name", om->model->table, "description", d));
    }
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "transactions", "description",
                                       "Several operations in one transaction."));
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "health", "description",
                                       "Liveness, readiness, pool status and metrics."));
    json_array_append_new(t, json_pack("{s:s, s:s}", "name", "documentation", "description",
                                       "This document and the page that renders it."));
    return t;
}

json_t *http_openapi_document(const orm_registry *reg, const cfg_config *cfg)
{
    oa x = {0};
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
        model_paths(&x, paths, &x.models[i]);
    shared_paths(&x, paths);

    for (size_t i = 0; i < x.n_models; i++) {
        const oa_model *om = &x.models[i];
        entity_schemas(&x, om);
        model_where_schema(&x, om);
        put(x.schemas, om->query, query_schema(&x, om));
        bulk_schemas(&x, om);
    }
    problem_schemas(&x);
    list_schemas(&x);
    where_schemas(&x);
    query_parts(&x);
    put(x.schemas, "QueryDocument", query_schema(&x, NULL));
    transaction_schemas(&x);
    health_schemas(&x);
    components_misc(&x);
    problem_responses(&x);

    json_t *doc = json_object();
    put(doc, "openapi", str("3.1.0"));
    put(doc, "info",
        json_pack("{s:s, s:s, s:s}", "title", "retort API", "version", OA_VERSION, "description",
                  INFO_DESCRIPTION));
    put(doc, "servers",
        json_pack("[{s:s, s:s}]", "url", "/", "description",
                  "The retort server that serves this document."));
    put(doc, "security", json_array());
    put(doc, "tags", tags(&x));
    put(doc, "paths", paths);
    json_t *components = json_object();
    put(components, "schemas", x.schemas);
    put(components, "parameters", x.parameters);
    put(components, "headers", x.headers);
    put(components, "responses", x.responses);
    put(doc, "components", components);

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
