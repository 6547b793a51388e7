/*
 * The OpenAPI document generated from the models (src/http/http_openapi*.c),
 * without a database:
 *   - openapi/retort.openapi.json is what config/retort.json generates now
 *     (byte for byte; the failure prints the regeneration command), and
 *     generating twice gives the same text;
 *   - every route of SPEC.md §2 per resource, unique operationIds, the
 *     right problem statuses per route, ETag/If-Match on versioned models;
 *   - DTO schemas from tests/unit/http/openapi_fixture.json (every column
 *     type and option, composite keys, many-to-many, a model whose name
 *     collides with a fixed schema): required fields, formats, readOnly and
 *     writeOnly, enums, numeric patterns checked with a real regex engine,
 *     relationships as references to the target DTO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "orm.h"
#include "testsupport.h"

#define REGENERATE "build/retort openapi -c config/retort.json > openapi/retort.openapi.json"

typedef struct fx {
    arena *a;
    err_report err;
    const cfg_config *cfg;
    orm_registry *reg;
    json_t *doc;
} fx;

/* Loads a config from the source tree, ignoring the environment, so the
 * document does not depend on who runs the test. */
static int load(void **state, const char *relative)
{
    fx *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_openapi");
    err_init(&f->err, f->a);
    const char *path = arena_sprintf(f->a, "%s/%s", RETORT_SOURCE_DIR, relative);
    f->cfg = cfg_load(f->a, path, (char *const[]){NULL}, &f->err);
    if (!f->cfg) {
        fprintf(stderr, "%s: %s\n", path, f->err.n_items ? f->err.items[0].detail : "?");
        return -1;
    }
    f->reg = orm_registry_create(f->a, f->cfg, &f->err);
    if (!f->reg)
        return -1;
    f->doc = http_openapi_document(f->reg, f->cfg);
    *state = f;
    return 0;
}

static int setup_sample(void **state)
{
    return load(state, "config/retort.json");
}

static int setup_fixture(void **state)
{
    return load(state, "tests/unit/http/openapi_fixture.json");
}

static int teardown(void **state)
{
    fx *f = *state;
    json_decref(f->doc);
    arena_destroy(f->a);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Follows a path of object keys ("paths", "/api/users", "get", NULL). */
static json_t *at(json_t *j, ...)
{
    va_list ap;
    va_start(ap, j);
    for (const char *k = va_arg(ap, const char *); k && j; k = va_arg(ap, const char *))
        j = json_object_get(j, k);
    va_end(ap);
    return j;
}

static json_t *schema(fx *f, const char *name)
{
    json_t *s = at(f->doc, "components", "schemas", name, NULL);
    if (!s)
        fail_msg("no schema %s", name);
    return s;
}

static json_t *prop(fx *f, const char *schema_name, const char *property)
{
    return at(schema(f, schema_name), "properties", property, NULL);
}

static json_t *op(fx *f, const char *path, const char *method)
{
    json_t *o = at(f->doc, "paths", path, method, NULL);
    if (!o)
        fail_msg("no operation %s %s", method, path);
    return o;
}

static bool array_has(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static const char *ref_of(const json_t *j)
{
    return json_string_value(json_object_get(j, "$ref"));
}

/* The parameter of an operation by name (a $ref'd one by its target). */
static json_t *param(fx *f, json_t *o, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(o, "parameters"), i, p)
    {
        const char *r = ref_of(p);
        json_t *target = r ? at(f->doc, "components", "parameters", strrchr(r, '/') + 1, NULL) : p;
        if (target && strcmp(json_string_value(json_object_get(target, "name")), name) == 0)
            return target;
    }
    return NULL;
}

/* ---- the checked-in document ------------------------------------------- */

static void test_checked_in_document_is_current(void **state)
{
    fx *f = *state;
    const char *now = http_openapi_text(f->reg, f->cfg, f->a);
    const char *path = arena_sprintf(f->a, "%s/openapi/retort.openapi.json", RETORT_SOURCE_DIR);
    const char *file = ts_read_file(f->a, path, NULL);
    if (!file)
        fail_msg("%s is missing; generate it with:\n  %s", path, REGENERATE);
    if (strcmp(file, now) != 0) {
        int line = 1;
        size_t i = 0;
        while (file[i] && file[i] == now[i]) {
            if (file[i] == '\n')
                line++;
            i++;
        }
        printf("openapi/retort.openapi.json is stale (first difference on line %d).\n"
               "Regenerate it from the repository root with:\n  %s\n",
               line, REGENERATE);
        fail();
    }
}

static void test_deterministic(void **state)
{
    fx *f = *state;
    const char *one = http_openapi_text(f->reg, f->cfg, f->a);
    const char *two = http_openapi_text(f->reg, f->cfg, f->a);
    assert_string_equal(one, two);
    assert_true(strlen(one) > 1000);
    assert_int_equal(one[strlen(one) - 1], '\n');
    /* Nothing from the process or the database settings leaks in. */
    assert_null(strstr(one, f->cfg->database.url));
}

static void test_top_level(void **state)
{
    fx *f = *state;
    assert_string_equal(json_string_value(at(f->doc, "openapi", NULL)), "3.1.0");
    assert_non_null(at(f->doc, "info", "title", NULL));
    assert_non_null(at(f->doc, "info", "version", NULL));
    assert_true(json_array_size(at(f->doc, "servers", NULL)) >= 1);
    json_t *tags = at(f->doc, "tags", NULL);
    bool users = false, orders = false;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *n = json_string_value(json_object_get(t, "name"));
        users = users || strcmp(n, "users") == 0;
        orders = orders || strcmp(n, "orders") == 0;
        assert_non_null(json_object_get(t, "description"));
    }
    assert_true(users && orders);
}

/* ---- routes ------------------------------------------------------------- */

static void test_every_route(void **state)
{
    fx *f = *state;
    static const char *const RESOURCES[] = {"users", "orders"};
    for (size_t r = 0; r < 2; r++) {
        const char *base = arena_sprintf(f->a, "/api/%s", RESOURCES[r]);
        op(f, base, "get");
        op(f, base, "post");
        op(f, base, "patch");
        const char *item = arena_sprintf(f->a, "%s/{id}", base);
        op(f, item, "get");
        op(f, item, "patch");
        op(f, item, "delete");
        op(f, arena_sprintf(f->a, "%s/query", base), "post");
        op(f, arena_sprintf(f->a, "%s/bulk", base), "post");
    }
    op(f, "/api/transaction", "post");
    static const char *const GETS[] = {"/health",       "/health/ready", "/health/pool", "/metrics",
                                       "/openapi.json", "/docs",         "/docs/{file}"};
    for (size_t i = 0; i < sizeof GETS / sizeof GETS[0]; i++)
        op(f, GETS[i], "get");

    /* operationIds are unique; every operation has a summary, a tag and a
     * 4xx. */
    json_t *seen = json_object();
    const char *path;
    json_t *item;
    json_object_foreach(at(f->doc, "paths", NULL), path, item)
    {
        const char *method;
        json_t *o;
        json_object_foreach(item, method, o)
        {
            const char *id = json_string_value(json_object_get(o, "operationId"));
            assert_non_null(id);
            assert_null(json_object_get(seen, id));
            json_object_set_new(seen, id, json_true());
            assert_non_null(json_object_get(o, "summary"));
            assert_int_equal(json_array_size(json_object_get(o, "tags")), 1);
            assert_non_null(at(o, "responses", "400", NULL));
        }
    }
    json_decref(seen);
}

static void test_list_parameters(void **state)
{
    fx *f = *state;
    json_t *o = op(f, "/api/users", "get");
    static const char *const NAMES[] = {"limit",  "offset", "order_by", "include",     "count",
                                        "fields", "where",  "email",    "X-Request-Id"};
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!param(f, o, NAMES[i]))
            fail_msg("GET /api/users has no parameter %s", NAMES[i]);
    /* limit is bounded by server.max_limit. */
    json_t *limit_forms = at(param(f, o, "limit"), "schema", "anyOf", NULL);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(limit_forms, 0), "maximum")),
                     f->cfg->server.max_limit);
    /* or "all": every row, streamed */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(limit_forms, 1), "const")), "all");
    /* where= is JSON with the model's where schema. */
    assert_string_equal(
        ref_of(at(param(f, o, "where"), "content", "application/json", "schema", NULL)),
        "#/components/schemas/UserWhere");
    /* The entity route takes include and fields, nothing else. */
    json_t *g = op(f, "/api/users/{id}", "get");
    assert_non_null(param(f, g, "include"));
    assert_non_null(param(f, g, "fields"));
    assert_null(param(f, g, "limit"));
    assert_string_equal(json_string_value(at(param(f, g, "id"), "schema", "format", NULL)), "uuid");
    assert_non_null(param(f, op(f, "/api/users/bulk", "post"), "returning"));
}

/* Issue 13's surface: keyset cursors, Prefer, CSV, If-None-Match/304,
 * upsert, DELETE by where, named queries, bulk transaction operations. */
static void test_query_api_surface(void **state)
{
    fx *f = *state;
    json_t *list = op(f, "/api/users", "get");
    static const char *const LIST[] = {"after", "Prefer"};
    for (size_t i = 0; i < 2; i++)
        if (!param(f, list, LIST[i]))
            fail_msg("GET /api/users has no parameter %s", LIST[i]);
    assert_non_null(at(list, "responses", "200", "content", "text/csv", NULL));
    assert_non_null(at(list, "responses", "200", "headers", "Link", NULL));
    assert_non_null(at(list, "responses", "200", "headers", "Content-Range", NULL));
    assert_non_null(at(list, "responses", "406", NULL));
    json_t *query = op(f, "/api/users/query", "post");
    assert_non_null(at(query, "responses", "200", "content", "text/csv", NULL));
    assert_non_null(at(schema(f, "QueryDocument"), "properties", "after", NULL));
    assert_non_null(at(schema(f, "QueryDocument"), "properties", "lock", NULL));
    assert_non_null(at(schema(f, "QueryDocument"), "properties", "having", NULL));
    assert_non_null(at(schema(f, "ListMeta"), "properties", "next", NULL));
    /* versioned entities: If-None-Match and 304 */
    json_t *get = op(f, "/api/orders/{id}", "get");
    assert_non_null(param(f, get, "If-None-Match"));
    assert_non_null(at(get, "responses", "304", NULL));
    /* upsert */
    static const char *const UPSERT[] = {"on_conflict", "on_conflict_update",
                                         "on_conflict_action"};
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(param(f, op(f, "/api/users", "post"), UPSERT[i]));
        assert_non_null(param(f, op(f, "/api/users/bulk", "post"), UPSERT[i]));
    }
    assert_non_null(at(op(f, "/api/users", "post"), "responses", "200", NULL));
    /* DELETE by where */
    json_t *del = op(f, "/api/users", "delete");
    assert_non_null(param(f, del, "where"));
    assert_non_null(at(del, "responses", "200", NULL));
    assert_non_null(at(del, "responses", "409", NULL));
    /* the sample's named query: POST and (read-only) GET with its params */
    json_t *rpc = op(f, "/api/rpc/top_customers", "post");
    assert_string_equal(ref_of(at(rpc, "requestBody", "content", "application/json", "schema",
                                  NULL)),
                        "#/components/schemas/TopCustomersParams");
    json_t *rget = op(f, "/api/rpc/top_customers", "get");
    assert_non_null(param(f, rget, "since"));
    assert_non_null(param(f, rget, "n"));
    assert_non_null(at(rget, "responses", "200", "content", "text/csv", NULL));
    assert_non_null(at(schema(f, "TopCustomersRows"), "properties", "data", "items",
                       "properties", "spent", NULL));
    /* bulk operations of transaction documents */
    json_t *map = at(schema(f, "TransactionOperation"), "discriminator", "mapping", NULL);
    static const char *const OPS[] = {"bulk_create", "bulk_update", "bulk_delete"};
    for (size_t i = 0; i < 3; i++)
        if (!json_object_get(map, OPS[i]))
            fail_msg("TransactionOperation has no %s", OPS[i]);
    assert_non_null(at(schema(f, "TransactionCreate"), "properties", "on_conflict", NULL));
}

static bool has_status(json_t *o, const char *status)
{
    return at(o, "responses", status, NULL) != NULL;
}

static void test_statuses(void **state)
{
    fx *f = *state;
    json_t *create = op(f, "/api/users", "post");
    static const char *const CREATE[] = {"201", "400", "409", "413", "415", "422", "503", "504"};
    for (size_t i = 0; i < sizeof CREATE / sizeof CREATE[0]; i++)
        if (!has_status(create, CREATE[i]))
            fail_msg("POST /api/users lacks %s", CREATE[i]);
    assert_false(has_status(create, "404"));
    assert_true(has_status(op(f, "/api/users/{id}", "get"), "404"));
    assert_true(has_status(op(f, "/api/users/{id}", "delete"), "204"));
    assert_true(has_status(op(f, "/api/transaction", "post"), "409"));
    assert_true(has_status(op(f, "/health/ready", "get"), "503"));
    assert_false(has_status(op(f, "/health", "get"), "503"));

    /* Every error response is problem+json; 503 says Retry-After. */
    const char *name;
    json_t *r;
    json_object_foreach(at(f->doc, "components", "responses", NULL), name, r)
    {
        assert_string_equal(ref_of(at(r, "content", "application/problem+json", "schema", NULL)),
                            "#/components/schemas/Problem");
        assert_non_null(at(r, "content", "application/problem+json", "example", NULL));
        assert_non_null(at(r, "headers", "X-Request-Id", NULL));
    }
    assert_non_null(at(f->doc, "components", "responses", "ServiceUnavailable", "headers",
                       "Retry-After", NULL));
    json_t *problem = schema(f, "Problem");
    static const char *const FIELDS[] = {"type",       "title",     "status",
                                         "detail",     "errors",    "sqlstate",
                                         "constraint", "operation", "request_id"};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        assert_non_null(at(problem, "properties", FIELDS[i], NULL));
}

static void test_versioned_models(void **state)
{
    fx *f = *state;
    /* orders has a version column: ETag out, If-Match in, 412. */
    assert_non_null(
        at(op(f, "/api/orders/{id}", "get"), "responses", "200", "headers", "ETag", NULL));
    assert_non_null(at(op(f, "/api/orders", "post"), "responses", "201", "headers", "ETag", NULL));
    assert_non_null(param(f, op(f, "/api/orders/{id}", "patch"), "If-Match"));
    assert_non_null(param(f, op(f, "/api/orders/{id}", "delete"), "If-Match"));
    assert_true(has_status(op(f, "/api/orders/{id}", "patch"), "412"));
    /* users has none. */
    assert_null(at(op(f, "/api/users/{id}", "get"), "responses", "200", "headers", "ETag", NULL));
    assert_null(param(f, op(f, "/api/users/{id}", "patch"), "If-Match"));
    assert_false(has_status(op(f, "/api/users/{id}", "patch"), "412"));
    /* The version column is server-owned. */
    assert_true(json_is_true(at(prop(f, "Order", "version"), "readOnly", NULL)));
    assert_null(prop(f, "OrderCreate", "version"));
    assert_null(prop(f, "OrderUpdate", "version"));
}

static void test_sample_dtos(void **state)
{
    fx *f = *state;
    json_t *req = at(schema(f, "UserCreate"), "required", NULL);
    assert_int_equal(json_array_size(req), 1);
    assert_true(array_has(req, "email"));
    assert_int_equal(json_integer_value(at(prop(f, "UserCreate", "email"), "maxLength", NULL)),
                     255);
    req = at(schema(f, "OrderCreate"), "required", NULL);
    assert_int_equal(json_array_size(req), 1);
    assert_true(array_has(req, "user_id"));
    assert_string_equal(json_string_value(at(prop(f, "OrderCreate", "status"), "default", NULL)),
                        "pending");
    assert_true(array_has(at(prop(f, "Order", "status"), "enum", NULL), "shipped"));
    assert_string_equal(json_string_value(at(prop(f, "User", "created_at"), "format", NULL)),
                        "date-time");
    /* Relationships: to-many an array of the target, to-one nullable. */
    assert_string_equal(ref_of(at(prop(f, "User", "orders"), "items", NULL)),
                        "#/components/schemas/Order");
    json_t *any = at(prop(f, "Order", "user"), "anyOf", NULL);
    assert_string_equal(ref_of(json_array_get(any, 0)), "#/components/schemas/User");
    /* The list envelope. */
    assert_string_equal(ref_of(at(prop(f, "UserList", "data"), "items", NULL)),
                        "#/components/schemas/User");
    assert_string_equal(ref_of(prop(f, "UserList", "meta")), "#/components/schemas/ListMeta");
    assert_non_null(at(prop(f, "ListMeta", "count"), "type", NULL));
}

static void test_transaction_and_where_grammar(void **state)
{
    fx *f = *state;
    json_t *ops = at(schema(f, "Operators"), "properties", NULL);
    static const char *const OPS[] = {"eq",   "ne",    "lt", "le",     "gt",      "ge",
                                      "like", "ilike", "in", "not_in", "is_null", "between"};
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        assert_non_null(json_object_get(ops, OPS[i]));
    assert_non_null(prop(f, "Where", "and"));
    assert_non_null(prop(f, "Where", "or"));
    assert_non_null(prop(f, "Where", "not"));
    assert_non_null(prop(f, "RelationshipFilter", "any"));
    assert_non_null(prop(f, "RelationshipFilter", "has"));
    /* Per model: relationships take any (to-many) / has (to-one). */
    assert_string_equal(ref_of(at(prop(f, "UserWhere", "orders"), "properties", "any", NULL)),
                        "#/components/schemas/OrderWhere");
    assert_string_equal(ref_of(at(prop(f, "OrderWhere", "user"), "properties", "has", NULL)),
                        "#/components/schemas/UserWhere");
    /* The transaction document: the seven ops, the isolation levels. */
    json_t *map = at(schema(f, "TransactionOperation"), "discriminator", "mapping", NULL);
    assert_int_equal(json_object_size(map), 7);
    assert_true(array_has(at(prop(f, "TransactionDocument", "isolation_level"), "enum", NULL),
                          "SERIALIZABLE"));
    assert_true(array_has(at(schema(f, "Resource"), "enum", NULL), "orders"));
    assert_non_null(at(op(f, "/api/transaction", "post"), "requestBody", "content",
                       "application/json", "example", "operations", NULL));
}

/* ---- the fixture: every type and option --------------------------------- */

static void test_fixture_types(void **state)
{
    fx *f = *state;
    struct {
        const char *schema, *prop, *type, *format;
    } cases[] = {
        {"Author", "id", "integer", "int32"},
        {"Author", "balance", "integer", "int64"},
        {"Author", "rating", "number", "double"},
        {"Author", "born", "string", "date"},
        {"Author", "created_at", "string", "date-time"},
        {"Book", "id", "string", "uuid"},
        {"Author", "active", "boolean", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *p = prop(f, cases[i].schema, cases[i].prop);
        assert_non_null(p);
        json_t *t = json_object_get(p, "type");
        const char *t0 =
            json_is_array(t) ? json_string_value(json_array_get(t, 0)) : json_string_value(t);
        assert_string_equal(t0, cases[i].type);
        if (cases[i].format)
            assert_string_equal(json_string_value(json_object_get(p, "format")), cases[i].format);
    }
    /* json: any value (no type). */
    assert_null(at(prop(f, "Author", "profile"), "type", NULL));
    /* Nullable columns accept null; NOT NULL ones do not. */
    assert_true(array_has(at(prop(f, "Author", "bio"), "type", NULL), "null"));
    assert_true(json_is_string(at(prop(f, "Author", "name"), "type", NULL)));
    /* numeric: a string out, a string or a number in. */
    assert_true(array_has(at(prop(f, "Book", "price"), "type", NULL), "string"));
    assert_false(array_has(at(prop(f, "Book", "price"), "type", NULL), "number"));
    assert_true(array_has(at(prop(f, "BookCreate", "price"), "type", NULL), "number"));
    /* choices on a NOT NULL column: an enum without null. */
    json_t *e = at(prop(f, "BookCreate", "format"), "enum", NULL);
    assert_int_equal(json_array_size(e), 3);
}

static void test_fixture_read_write_only(void **state)
{
    fx *f = *state;
    /* write_only: accepted on input (writeOnly), never in the DTO. */
    assert_null(prop(f, "Author", "password_hash"));
    assert_true(json_is_true(at(prop(f, "AuthorCreate", "password_hash"), "writeOnly", NULL)));
    assert_true(json_is_true(at(prop(f, "AuthorUpdate", "password_hash"), "writeOnly", NULL)));
    /* read_only: in the DTO (readOnly), never on input. */
    assert_true(json_is_true(at(prop(f, "Author", "balance"), "readOnly", NULL)));
    assert_null(prop(f, "AuthorCreate", "balance"));
    assert_null(prop(f, "AuthorUpdate", "balance"));
    /* Server-generated keys are readOnly in the DTO, optional on create,
     * absent from updates. */
    assert_true(json_is_true(at(prop(f, "Author", "id"), "readOnly", NULL)));
    assert_non_null(prop(f, "AuthorCreate", "id"));
    assert_null(prop(f, "AuthorUpdate", "id"));
    /* A key the client must give (no default) is not readOnly. */
    assert_null(at(prop(f, "Genre", "id"), "readOnly", NULL));
    /* Required: NOT NULL without default, server default or identity. */
    json_t *req = at(schema(f, "AuthorCreate"), "required", NULL);
    assert_int_equal(json_array_size(req), 2);
    assert_true(array_has(req, "name") && array_has(req, "password_hash"));
    req = at(schema(f, "BookCreate"), "required", NULL);
    assert_int_equal(json_array_size(req), 3);
    assert_true(array_has(req, "author_id") && array_has(req, "title") && array_has(req, "format"));
    req = at(schema(f, "GenreCreate"), "required", NULL);
    assert_true(array_has(req, "id"));
    assert_false(json_is_true(at(schema(f, "AuthorCreate"), "additionalProperties", NULL)));
}

static void test_fixture_relationships_and_keys(void **state)
{
    fx *f = *state;
    assert_string_equal(ref_of(at(prop(f, "Book", "genres"), "items", NULL)),
                        "#/components/schemas/Genre");
    assert_string_equal(ref_of(at(prop(f, "Author", "books"), "items", NULL)),
                        "#/components/schemas/Book");
    /* A composite key: simple style, no explode, the key columns' types in
     * order. */
    json_t *id = param(f, op(f, "/api/book_genres/{id}", "get"), "id");
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(id, "style")), "simple");
    assert_true(json_is_false(json_object_get(id, "explode")));
    json_t *items = at(id, "schema", "prefixItems", NULL);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "format")),
                        "uuid");
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "type")),
                        "integer");
    assert_non_null(
        strstr(json_string_value(json_object_get(id, "description")), "book_id, genre_id"));
    /* Bulk ids of a composite key are arrays. */
    assert_string_equal(
        json_string_value(at(prop(f, "BookGenreBulkInsertResult", "ids"), "items", "type", NULL)),
        "array");
    /* Book is versioned, Author is not. */
    assert_non_null(param(f, op(f, "/api/books/{id}", "patch"), "If-Match"));
    assert_null(param(f, op(f, "/api/authors/{id}", "patch"), "If-Match"));
}

static void test_fixture_name_collision(void **state)
{
    fx *f = *state;
    /* The model "Problem" cannot take the problem+json schema's name. */
    assert_non_null(prop(f, "Problem", "status"));
    assert_non_null(prop(f, "Problem_2", "note"));
    assert_string_equal(ref_of(at(op(f, "/api/problems/{id}", "get"), "responses", "200", "content",
                                  "application/json", "schema", NULL)),
                        "#/components/schemas/Problem_2");
    /* A column named like a control parameter gets no equality filter (the
     * control parameter wins), the others do. */
    json_t *list = op(f, "/api/problems", "get");
    json_t *count = param(f, list, "count");
    assert_string_equal(json_string_value(at(count, "schema", "type", NULL)), "boolean");
    assert_non_null(param(f, list, "note"));
}

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void test_fixture_numeric_patterns(void **state)
{
    fx *f = *state;
    /* numeric(8,2): 6 digits before the point, 2 after (trailing zeros
     * free), as the server counts them. */
    const char *p = json_string_value(at(prop(f, "BookCreate", "price"), "pattern", NULL));
    assert_non_null(p);
    const char *good[] = {"0", "12", "-12.5", "12.50", "123456.78", "0001.5", "1.2300", "-0.01"};
    const char *bad[] = {"1234567", "1.234", "1.", ".5", "+1", "1e3", "abc", "1,5", ""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!matches(p, good[i]))
            fail_msg("%s should match %s", good[i], p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (matches(p, bad[i]))
            fail_msg("%s should not match %s", bad[i], p);
    /* numeric(3,3): nothing before the point but zeros. */
    p = json_string_value(at(prop(f, "Book", "ratio"), "pattern", NULL));
    assert_true(matches(p, "0.125") && matches(p, "-0.5") && matches(p, "0"));
    assert_false(matches(p, "1.5") || matches(p, "0.1234"));
    /* numeric without precision: any decimal. */
    p = json_string_value(at(prop(f, "Book", "copies"), "pattern", NULL));
    assert_true(matches(p, "123456789012345678901234567890.123456789"));
    assert_false(matches(p, "1e5"));
}

int main(void)
{
    const struct CMUnitTest sample[] = {
        cmocka_unit_test(test_checked_in_document_is_current),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_top_level),
        cmocka_unit_test(test_every_route),
        cmocka_unit_test(test_list_parameters),
        cmocka_unit_test(test_query_api_surface),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_versioned_models),
        cmocka_unit_test(test_sample_dtos),
        cmocka_unit_test(test_transaction_and_where_grammar),
    };
    const struct CMUnitTest fixture[] = {
        cmocka_unit_test(test_fixture_types),
        cmocka_unit_test(test_fixture_read_write_only),
        cmocka_unit_test(test_fixture_relationships_and_keys),
        cmocka_unit_test(test_fixture_name_collision),
        cmocka_unit_test(test_fixture_numeric_patterns),
        cmocka_unit_test(test_deterministic),
    };
    int failed =
        cmocka_run_group_tests_name("openapi: config/retort.json", sample, setup_sample, teardown);
    failed += cmocka_run_group_tests_name("openapi: openapi_fixture.json", fixture, setup_fixture,
                                          teardown);
    return failed;
}
