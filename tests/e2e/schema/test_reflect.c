/*
 * test_reflect — `retort reflect` on a realistic schema the test creates
 * (tests/e2e/schema/shop.sql: 18 tables and a view, composite keys, a
 * self-referential foreign key, two foreign keys to the same table, a pure
 * association table and one with extra columns, an enum, arrays, generated
 * and identity columns, every supported type), then:
 *
 *   - the printed config passes `retort check`;
 *   - `retort schema create` from it on an empty database gives a catalog
 *     that reflects to the same models (round trip);
 *   - `retort serve` with "reflect": true (no hand-written model) serves
 *     the API, and every type survives every route (create, get, list,
 *     query, update, bulk, transaction) with nulls and extremes, while
 *     malformed values are 422 with a pointer;
 *   - a view is read-only (405), an unsupported type is a start-up error
 *     naming table, column and type; secondary names the table.
 */
#include "schema_fixture.h"

static arena *G;
static const char *SRC = "retort_reflect_src", *COPY = "retort_reflect_copy";
static json_t *REFLECTED; /* the printed config */
static ts_server SRV;

static json_t *model(const char *name)
{
    json_t *m = json_object_get(json_object_get(REFLECTED, "models"), name);
    if (!m)
        fail_msg("no reflected model %s", name);
    return m;
}

static json_t *rel(const char *m, const char *r)
{
    json_t *x = json_object_get(json_object_get(model(m), "relationships"), r);
    if (!x)
        fail_msg("no relationship %s.%s", m, r);
    return x;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "(none)";
}

static json_t *column(const char *m, const char *c)
{
    json_t *x = json_object_get(json_object_get(model(m), "columns"), c);
    if (!x)
        fail_msg("no column %s.%s", m, c);
    return x;
}

static int group_setup(void **state)
{
    (void) state;
    G = arena_create(NULL, "reflect group");
    sf_fresh_db(G, SRC);
    sf_load_sql(G, SRC, "tests/e2e/schema/shop.sql");
    const char *cfg = sf_config(G, SRC, "\"reflect\": true");
    const char *out, *errors;
    int rc = sf_run(G, NULL, arena_sprintf(G, "reflect -c %s", cfg), &out, &errors);
    if (rc != 0)
        fprintf(stderr, "reflect: %s\n", errors);
    assert_int_equal(rc, 0);
    json_error_t jerr;
    REFLECTED = json_loads(out, 0, &jerr);
    assert_non_null(REFLECTED);
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    if (SRV.pid)
        ts_server_stop(&SRV);
    json_decref(REFLECTED);
    arena_destroy(G);
    return 0;
}

/* ==== the printed config =============================================== */

static void test_models_and_columns(void **state)
{
    (void) state;
    json_t *models = json_object_get(REFLECTED, "models");
    assert_int_equal(json_object_size(models), 19);
    assert_null(json_object_get(REFLECTED, "reflect"));
    assert_non_null(json_object_get(REFLECTED, "database"));
    assert_string_equal(str(model("OrderLine"), "table"), "order_lines");
    assert_string_equal(str(model("Category"), "table"), "categories");
    assert_string_equal(str(model("Address"), "table"), "addresses");

    /* types and modifiers */
    assert_string_equal(str(column("Customer", "email"), "type"), "string");
    assert_int_equal(json_integer_value(json_object_get(column("Customer", "email"), "length")),
                     255);
    assert_true(json_is_true(json_object_get(column("Customer", "email"), "unique")));
    assert_true(json_is_false(json_object_get(column("Customer", "email"), "nullable")));
    assert_string_equal(str(column("Customer", "country"), "type"), "char");
    assert_string_equal(str(column("Customer", "tags"), "type"), "text[]");
    assert_string_equal(str(column("Product", "price"), "type"), "numeric");
    assert_int_equal(json_integer_value(json_object_get(column("Product", "price"), "precision")),
                     10);
    assert_int_equal(json_integer_value(json_object_get(column("Product", "price"), "scale")), 2);
    assert_string_equal(str(column("Product", "weight_kg"), "type"), "double");
    assert_string_equal(str(column("Product", "stock"), "type"), "smallint");
    assert_string_equal(str(column("Product", "attributes"), "type"), "jsonb");
    assert_string_equal(str(column("Product", "raw_import"), "type"), "json");
    assert_string_equal(str(column("Product", "thumbnail"), "type"), "bytea");
    assert_string_equal(str(column("Product", "sizes"), "type"), "integer[]");
    assert_string_equal(str(column("Product", "price_with_tax"), "generated"),
                        "(price * 1.21)");
    assert_string_equal(str(column("Supplier", "rating"), "type"), "real");
    assert_string_equal(str(column("Supplier", "ip_allow"), "type"), "inet");
    assert_string_equal(str(column("Supplier", "network"), "type"), "cidr");
    assert_string_equal(str(column("Supplier", "id"), "server_default"), "gen_random_uuid()");
    assert_string_equal(str(column("Employee", "shift_start"), "type"), "time");
    assert_string_equal(str(column("Order", "placed_at"), "type"), "timestamp");
    assert_string_equal(str(column("Shipment", "transit"), "type"), "interval");
    json_t *status = column("Order", "status");
    assert_string_equal(str(status, "type"), "enum");
    assert_string_equal(str(status, "enum"), "order_status");
    assert_int_equal(json_array_size(json_object_get(status, "choices")), 4);
    assert_string_equal(str(column("Shipment", "statuses"), "type"), "enum[]");

    /* keys: identity, serial, always-identity, composite */
    assert_true(json_is_true(json_object_get(column("Customer", "id"), "autoincrement")));
    assert_true(json_is_true(json_object_get(column("Address", "id"), "autoincrement")));
    assert_null(json_object_get(column("Address", "id"), "server_default"));
    assert_true(json_is_true(json_object_get(column("OrderLine", "order_id"), "primary_key")));
    assert_true(json_is_true(json_object_get(column("OrderLine", "line_no"), "primary_key")));
    assert_string_equal(str(column("OrderLine", "order_id"), "references"), "orders.id");

    /* checks keep their names */
    json_t *checks = json_object_get(model("Review"), "checks");
    assert_non_null(json_object_get(checks, "reviews_stars_check"));

    /* views: read-only, keyed by id */
    assert_true(json_is_true(json_object_get(model("ProductSummary"), "read_only")));
    assert_true(json_is_true(json_object_get(column("ProductSummary", "id"), "primary_key")));
}

static void test_relationships(void **state)
{
    (void) state;
    /* many_to_one and back, with back_populates */
    assert_string_equal(str(rel("Order", "customer"), "kind"), "many_to_one");
    assert_string_equal(str(rel("Order", "customer"), "back_populates"), "orders");
    assert_string_equal(str(rel("Customer", "orders"), "kind"), "one_to_many");
    assert_string_equal(str(rel("Customer", "orders"), "foreign_key"), "customer_id");
    /* two foreign keys to the same table: distinct readable names */
    assert_string_equal(str(rel("Order", "billing_address"), "target"), "Address");
    assert_string_equal(str(rel("Order", "shipping_address"), "target"), "Address");
    assert_string_equal(str(rel("Address", "orders_by_billing_address"), "back_populates"),
                        "billing_address");
    assert_string_equal(str(rel("Address", "orders_by_shipping_address"), "back_populates"),
                        "shipping_address");
    /* self-referential */
    assert_string_equal(str(rel("Category", "parent"), "target"), "Category");
    assert_string_equal(str(rel("Category", "categories_by_parent"), "back_populates"), "parent");
    assert_string_equal(str(rel("Employee", "manager"), "target"), "Employee");
    /* a column without _id: the relationship never takes a column's name */
    assert_string_equal(str(rel("Order", "employee"), "foreign_key"), "handled_by");
    /* pure association: many_to_many both ways through the table's name */
    assert_string_equal(str(rel("Product", "tags"), "kind"), "many_to_many");
    assert_string_equal(str(rel("Product", "tags"), "secondary"), "product_tags");
    assert_string_equal(str(rel("Product", "tags"), "back_populates"), "products");
    assert_string_equal(str(rel("Tag", "products"), "target"), "Product");
    /* association with extra columns: a model, no many_to_many */
    assert_string_equal(str(rel("WishlistItem", "customer"), "kind"), "many_to_one");
    assert_string_equal(str(rel("Customer", "wishlist_items"), "kind"), "one_to_many");
    json_t *crels = json_object_get(model("Customer"), "relationships");
    const char *k;
    json_t *v;
    json_object_foreach(crels, k, v)
    {
        assert_string_not_equal(str(v, "kind"), "many_to_many");
        /* never a column's name */
        assert_null(json_object_get(json_object_get(model("Customer"), "columns"), k));
    }
}

static void test_check_and_schema_sql(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    char *text = json_dumps(REFLECTED, JSON_INDENT(2));
    const char *cfg = sf_write_temp(a, text);
    free(text);
    const char *out, *errors;
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "check -c %s", cfg), &out, &errors), 0);
    assert_non_null(strstr(out, "ok (19 models)"));
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "schema sql -c %s", cfg), &out, &errors), 0);
    assert_non_null(strstr(out, "CREATE TYPE \"order_status\" AS ENUM"));
    assert_non_null(strstr(out, "GENERATED ALWAYS AS ((price * 1.21)) STORED"));
    assert_null(strstr(out, "\"product_summaries\" (")); /* views are not created */
    arena_destroy(a);
}

/* reflect → schema create on an empty database → reflect: same models. */
static void test_round_trip(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    sf_fresh_db(a, COPY);
    json_t *doc = json_deep_copy(REFLECTED);
    json_object_set_new(json_object_get(doc, "database"), "url",
                        json_string(sf_db_url(a, COPY)));
    char *text = json_dumps(doc, JSON_INDENT(2));
    const char *cfg = sf_write_temp(a, text);
    free(text);
    json_decref(doc);
    const char *out, *errors;
    int rc = sf_run(a, NULL, arena_sprintf(a, "schema create -c %s", cfg), &out, &errors);
    if (rc)
        fprintf(stderr, "%s\n", errors);
    assert_int_equal(rc, 0);
    /* the view is the DBA's: recreate it, as a migration would */
    assert_int_equal(ts_psql(sf_db_url(a, COPY),
                             "CREATE VIEW product_summaries AS SELECT p.id, p.name, c.name AS "
                             "category, p.price, p.active FROM products p JOIN categories c ON "
                             "c.id = p.category_id"),
                     0);
    const char *again = sf_config(a, COPY, "\"reflect\": true");
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "reflect -c %s", again), &out, &errors), 0);
    json_t *second = json_loads(out, 0, NULL);
    assert_non_null(second);
    json_t *m1 = json_object_get(REFLECTED, "models"), *m2 = json_object_get(second, "models");
    const char *name;
    json_t *spec;
    json_object_foreach(m1, name, spec)
    {
        json_t *other = json_object_get(m2, name);
        /* PostgreSQL rewrites a CHECK's text each time it stores it (casts
         * of IN lists), so checks are compared by name. */
        spec = json_deep_copy(spec);
        other = json_deep_copy(other);
        json_t *models[2] = {spec, other};
        for (int k = 0; k < 2; k++) {
            const char *cn;
            json_t *cv;
            json_object_foreach(json_object_get(models[k], "checks"), cn, cv)
                json_object_set_new(json_object_get(models[k], "checks"), cn, json_true());
        }
        if (!json_equal(spec, other)) {
            char *x = json_dumps(spec, JSON_COMPACT), *y = json_dumps(other, JSON_COMPACT);
            fprintf(stderr, "model %s differs:\n  %s\n  %s\n", name, x, y ? y : "(missing)");
            free(x);
            free(y);
            fail();
        }
        json_decref(spec);
        json_decref(other);
    }
    assert_int_equal(json_object_size(m1), json_object_size(m2));
    json_decref(second);
    arena_destroy(a);
}

static void test_unsupported_type_names_column(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    const char *db = "retort_reflect_bad";
    sf_fresh_db(a, db);
    assert_int_equal(ts_psql(sf_db_url(a, db),
                             "CREATE TABLE meters (id integer PRIMARY KEY, reading point)"),
                     0);
    const char *cfg = sf_config(a, db, "\"reflect\": true");
    const char *out, *errors;
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "check -c %s", cfg), &out, &errors), 1);
    assert_non_null(strstr(errors, "\"public\".\"meters\".\"reading\" has the type point"));
    /* excluded, the rest reflects */
    cfg = sf_config(a, db, "\"reflect\": {\"exclude\": [\"meters\"]}");
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "reflect -c %s", cfg), &out, &errors), 0);
    assert_null(strstr(out, "meters"));
    arena_destroy(a);
}

/* ==== the API with no hand-written model ================================ */

static int port(void)
{
    if (!SRV.pid) {
        arena *a = G;
        /* declared models extend the reflected ones: one override */
        const char *cfg = sf_config(
            a, SRC,
            "\"reflect\": true, \"server\": {\"debug_headers\": true},"
            " \"models\": {\"Order\": {\"table\": \"orders\", \"version_column\": \"version\"}}");
        const char *env[] = {arena_sprintf(a, "RETORT_DATABASE_URL=%s", sf_db_url(a, SRC)), NULL};
        if (!ts_server_start(&SRV, cfg, env)) {
            ts_server_dump_log(&SRV);
            fail_msg("server did not start");
        }
    }
    return SRV.port;
}

static ts_response *call(arena *a, const char *method, const char *path, const char *body)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    return ts_http(a, port(), method, path, h, body, body ? strlen(body) : 0, 10000);
}

static json_t *json_of(arena *a, ts_response *r)
{
    json_t *j = json_loads(r->body, JSON_DECODE_ANY, NULL);
    if (j)
        arena_on_reset(a, (void (*)(void *)) json_decref, j);
    return j;
}

static void expect_status(ts_response *r, int status, const char *what)
{
    if (r->status != status) {
        fprintf(stderr, "%s: expected %d, got %d: %s\n", what, status, r->status, r->body);
        fail();
    }
}

typedef struct type_case {
    const char *column;
    const char *input;    /* JSON */
    const char *expected; /* JSON as served; NULL = input */
} type_case;

static const type_case CASES[] = {
    {"c_smallint", "32767", NULL},
    {"c_smallint", "-32768", NULL},
    {"c_integer", "1073741823", NULL}, /* c_generated doubles it */
    {"c_integer", "-1073741824", NULL},
    {"c_bigint", "-9223372036854775808", NULL},
    {"c_real", "1.5", NULL},
    {"c_double", "1e300", NULL},
    {"c_numeric", "\"1234567.125\"", NULL},
    {"c_numeric", "-0.5", "\"-0.500\""},
    {"c_numeric_any", "\"123456789012345678901234567890.000000001\"", NULL},
    {"c_text", "\"h\\u00e9llo \\\"world\\\" \\\\ {x}\"", NULL},
    {"c_varchar", "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"", NULL},
    {"c_char", "\"ab\"", NULL},
    {"c_char", "\"abcd\"", NULL},
    {"c_char", "\"ab  \"", "\"ab\""},
    {"c_boolean", "false", NULL},
    {"c_uuid", "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"", NULL},
    {"c_date", "\"2024-02-29\"", NULL},
    {"c_time", "\"23:59:59.999999\"", NULL},
    {"c_time", "\"00:00\"", "\"00:00:00\""},
    {"c_timestamp", "\"2026-01-31T12:00:00.5\"", NULL},
    {"c_timestamp", "\"0001-01-01T00:00:00\"", NULL},
    {"c_timestamptz", "\"2026-01-31T12:00:00+02:00\"", "\"2026-01-31T10:00:00Z\""},
    {"c_interval", "\"P1Y2M3DT4H5M6.5S\"", NULL},
    {"c_interval", "\"PT0S\"", NULL},
    {"c_interval", "\"P-1DT2H\"", NULL},
    {"c_json", "{\"b\": 1, \"a\": [true, null]}", NULL},
    {"c_jsonb", "{\"b\": 1, \"a\": [true, null]}", NULL},
    {"c_jsonb", "\"just a string\"", NULL},
    {"c_bytea", "\"AAEC/w==\"", NULL},
    {"c_bytea", "\"\"", NULL},
    {"c_inet", "\"2001:db8::1/64\"", NULL},
    {"c_inet", "\"192.168.0.1\"", NULL},
    {"c_cidr", "\"10.0.0.0/8\"", NULL},
    {"c_enum", "\"shipped\"", NULL},
    {"c_text_arr", "[\"a\", null, \"NULL\", \"x,y\", \"{z}\", \"\\\"q\\\"\"]", NULL},
    {"c_text_arr", "[]", NULL},
    {"c_int_arr", "[1, -2147483648, null]", NULL},
    {"c_enum_arr", "[\"paid\", \"pending\"]", NULL},
};

typedef struct bad_case {
    const char *column, *input;
} bad_case;

static const bad_case BAD[] = {
    {"c_smallint", "32768"},
    {"c_integer", "1.5"},
    {"c_bigint", "\"1\""},
    {"c_real", "\"x\""},
    {"c_numeric", "\"1.0001\""},
    {"c_numeric", "\"abc\""},
    {"c_varchar", "\"toolong\""},
    {"c_char", "\"abcde\""},
    {"c_boolean", "1"},
    {"c_uuid", "\"not-a-uuid\""},
    {"c_date", "\"2023-02-29\""},
    {"c_time", "\"25:00:00\""},
    {"c_timestamp", "\"2026-01-31T12:00:00Z\""},
    {"c_timestamptz", "\"2026-01-31 12:00\""},
    {"c_interval", "\"1 day\""},
    {"c_bytea", "\"not base64!\""},
    {"c_inet", "\"300.1.1.1\""},
    {"c_cidr", "\"10.1.0.0/8\""},
    {"c_enum", "\"lost\""},
    {"c_text_arr", "\"a\""},
    {"c_int_arr", "[1, \"x\"]"},
    {"c_enum_arr", "[\"lost\"]"},
    {"c_generated", "4"},
};

static json_t *field(json_t *o, const char *c)
{
    return json_object_get(o, c);
}

static void assert_value(arena *a, const char *route, json_t *got, const char *expected,
                         const char *column)
{
    json_t *want = json_loads(expected, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "%s %s: expected %s, got %s\n", route, column, expected, g ? g : "(none)");
        free(g);
        json_decref(want);
        fail();
    }
    json_decref(want);
    (void) a;
}

static void test_every_type_every_route(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const type_case *tc = &CASES[i];
        const char *want = tc->expected ? tc->expected : tc->input;
        const char *body = arena_sprintf(a, "{\"%s\": %s}", tc->column, tc->input);

        /* create */
        ts_response *r = call(a, "POST", "/api/samples", body);
        expect_status(r, 201, body);
        json_t *e = json_of(a, r);
        assert_value(a, "create", field(e, tc->column), want, tc->column);
        json_int_t id = json_integer_value(field(e, "id"));

        /* get, list, query */
        r = call(a, "GET", arena_sprintf(a, "/api/samples/%lld", (long long) id), NULL);
        expect_status(r, 200, "get");
        assert_value(a, "get", field(json_of(a, r), tc->column), want, tc->column);
        r = call(a, "GET", arena_sprintf(a, "/api/samples?id=%lld", (long long) id), NULL);
        expect_status(r, 200, "list");
        assert_value(a, "list",
                     field(json_array_get(json_object_get(json_of(a, r), "data"), 0), tc->column),
                     want, tc->column);
        r = call(a, "POST", "/api/samples/query",
                 arena_sprintf(a, "{\"where\": {\"id\": %lld}}", (long long) id));
        expect_status(r, 200, "query");
        assert_value(a, "query",
                     field(json_array_get(json_object_get(json_of(a, r), "data"), 0), tc->column),
                     want, tc->column);

        /* update: to null and back */
        r = call(a, "PATCH", arena_sprintf(a, "/api/samples/%lld", (long long) id),
                 arena_sprintf(a, "{\"%s\": null}", tc->column));
        expect_status(r, 200, "update to null");
        assert_true(json_is_null(field(json_of(a, r), tc->column)));
        r = call(a, "PATCH", arena_sprintf(a, "/api/samples/%lld", (long long) id), body);
        expect_status(r, 200, "update");
        assert_value(a, "update", field(json_of(a, r), tc->column), want, tc->column);

        /* bulk */
        r = call(a, "POST", "/api/samples/bulk?returning=id", arena_sprintf(a, "[%s]", body));
        expect_status(r, 201, "bulk");
        json_int_t bid = json_integer_value(json_array_get(json_object_get(json_of(a, r), "ids"), 0));
        r = call(a, "GET", arena_sprintf(a, "/api/samples/%lld", (long long) bid), NULL);
        assert_value(a, "bulk", field(json_of(a, r), tc->column), want, tc->column);

        /* transaction */
        r = call(a, "POST", "/api/transaction",
                 arena_sprintf(a,
                               "{\"operations\": [{\"op\": \"create\", \"resource\": \"samples\","
                               " \"values\": %s}]}",
                               body));
        expect_status(r, 200, "transaction");
        json_t *res = json_array_get(json_object_get(json_of(a, r), "results"), 0);
        assert_value(a, "transaction", field(res, tc->column), want, tc->column);
    }
    arena_destroy(a);
}

static void test_malformed_values_point_at_the_field(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const bad_case *bc = &BAD[i];
        const char *body = arena_sprintf(a, "{\"%s\": %s}", bc->column, bc->input);
        ts_response *r = call(a, "POST", "/api/samples", body);
        expect_status(r, 422, body);
        json_t *p = json_of(a, r);
        json_t *items = json_object_get(p, "errors");
        assert_true(json_array_size(items) >= 1);
        assert_string_equal(str(json_array_get(items, 0), "pointer"),
                            arena_sprintf(a, "/%s", bc->column));
    }
    /* nothing was written */
    ts_response *r = call(a, "POST", "/api/samples/query",
                          "{\"where\": {\"c_enum\": \"lost\"}, \"count\": true}");
    expect_status(r, 422, "query with a bad enum label");
    arena_destroy(a);
}

static void test_array_and_jsonb_operators(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    ts_response *r = call(a, "POST", "/api/samples",
                          "{\"c_text_arr\": [\"red\", \"green\"], \"c_jsonb\": {\"k\": [1, 2]},"
                          " \"c_enum_arr\": [\"paid\"], \"c_integer\": 21}");
    expect_status(r, 201, "create");
    json_t *e = json_of(a, r);
    assert_int_equal(json_integer_value(field(e, "c_generated")), 42);
    r = call(a, "POST", "/api/samples/query",
             "{\"where\": {\"c_text_arr\": {\"contains\": [\"green\"]},"
             " \"c_enum_arr\": {\"overlaps\": [\"paid\", \"shipped\"]},"
             " \"c_jsonb\": {\"contains\": {\"k\": [2]}}}, \"count\": true}");
    expect_status(r, 200, "contains");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_of(a, r), "meta"),
                                                        "count")),
                     1);
    r = call(a, "POST", "/api/samples/query",
             "{\"where\": {\"c_enum\": {\"in\": [\"paid\", \"shipped\"]}}}");
    expect_status(r, 200, "enum in");
    r = call(a, "POST", "/api/samples/query", "{\"where\": {\"c_text\": {\"contains\": [\"a\"]}}}");
    expect_status(r, 400, "contains on text");
    r = call(a, "POST", "/api/samples/query", "{\"where\": {\"c_json\": {\"eq\": {}}}}");
    expect_status(r, 400, "eq on json");
    r = call(a, "POST", "/api/samples/query", "{\"where\": {\"c_char\": \"ab\"}}");
    expect_status(r, 200, "char eq");
    arena_destroy(a);
}

static void test_relationships_and_views_served(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    ts_response *r = call(a, "POST", "/api/customers",
                          "{\"email\": \"ada@example.com\", \"name\": \"Ada\"}");
    expect_status(r, 201, "customer");
    json_int_t cid = json_integer_value(field(json_of(a, r), "id"));
    assert_string_equal(str(json_of(a, r), "country"), "NL");
    r = call(a, "POST", "/api/categories", "{\"name\": \"Toys\", \"slug\": \"toys\"}");
    expect_status(r, 201, "category");
    json_int_t cat = json_integer_value(field(json_of(a, r), "id"));
    r = call(a, "POST", "/api/categories",
             arena_sprintf(a, "{\"name\": \"Balls\", \"slug\": \"balls\", \"parent_id\": %lld}",
                           (long long) cat));
    expect_status(r, 201, "subcategory");
    r = call(a, "POST", "/api/products",
             arena_sprintf(a,
                           "{\"category_id\": %lld, \"sku\": \"BALL1\", \"name\": \"Ball\","
                           " \"price\": \"10.00\"}",
                           (long long) cat));
    expect_status(r, 201, "product");
    json_int_t pid = json_integer_value(field(json_of(a, r), "id"));
    assert_string_equal(str(json_of(a, r), "price_with_tax"), "12.10");
    r = call(a, "POST", "/api/tags", "{\"label\": \"round\"}");
    json_int_t tid = json_integer_value(field(json_of(a, r), "id"));
    r = call(a, "POST", "/api/product_tags",
             arena_sprintf(a, "{\"product_id\": %lld, \"tag_id\": %lld}", (long long) pid,
                           (long long) tid));
    expect_status(r, 201, "link");
    r = call(a, "GET", arena_sprintf(a, "/api/products/%lld?include=tags,category.parent", (long long) pid),
             NULL);
    expect_status(r, 200, "include");
    json_t *p = json_of(a, r);
    assert_string_equal(str(json_array_get(field(p, "tags"), 0), "label"), "round");
    r = call(a, "GET", arena_sprintf(a, "/api/categories/%lld?include=categories_by_parent", (long long) cat),
             NULL);
    expect_status(r, 200, "self-referential");
    assert_int_equal(json_array_size(field(json_of(a, r), "categories_by_parent")), 1);
    r = call(a, "POST", "/api/orders",
             arena_sprintf(a, "{\"customer_id\": %lld, \"placed_at\": \"2026-01-31T12:00:00\"}",
                           (long long) cid));
    expect_status(r, 201, "order");
    assert_string_equal(str(json_of(a, r), "status"), "pending");
    assert_non_null(ts_header_get(r, "ETag")); /* the declared override */
    json_int_t oid = json_integer_value(field(json_of(a, r), "id"));
    r = call(a, "POST", "/api/order_lines",
             arena_sprintf(a,
                           "{\"order_id\": %lld, \"line_no\": 1, \"product_id\": %lld,"
                           " \"quantity\": 2, \"unit_price\": \"10.00\"}",
                           (long long) oid, (long long) pid));
    expect_status(r, 201, "composite key");
    r = call(a, "GET", arena_sprintf(a, "/api/order_lines/%lld,1", (long long) oid), NULL);
    expect_status(r, 200, "get by composite key");
    r = call(a, "POST", "/api/order_lines",
             arena_sprintf(a,
                           "{\"order_id\": %lld, \"line_no\": 2, \"product_id\": %lld,"
                           " \"quantity\": 0, \"unit_price\": \"1\"}",
                           (long long) oid, (long long) pid));
    expect_status(r, 422, "check constraint");
    r = call(a, "POST", "/api/payments",
             arena_sprintf(a, "{\"order_id\": %lld, \"amount\": \"5\", \"method\": \"card\"}",
                           (long long) oid));
    expect_status(r, 201, "identity always");
    r = call(a, "POST", "/api/warehouses", "{\"code\": \"AMS\", \"name\": \"Amsterdam\"}");
    expect_status(r, 201, "char key");
    r = call(a, "GET", "/api/warehouses/AMS", NULL);
    expect_status(r, 200, "char key lookup");
    assert_string_equal(str(json_of(a, r), "code"), "AMS");
    assert_string_equal(str(json_of(a, r), "opens"), "08:00:00");

    /* the view: readable, not writable */
    r = call(a, "GET", "/api/product_summaries", NULL);
    expect_status(r, 200, "view list");
    assert_true(json_array_size(json_object_get(json_of(a, r), "data")) >= 1);
    r = call(a, "POST", "/api/product_summaries/query", "{\"where\": {\"category\": \"Toys\"}}");
    expect_status(r, 200, "view query");
    r = call(a, "POST", "/api/product_summaries", "{\"name\": \"x\"}");
    expect_status(r, 405, "view create");
    r = call(a, "DELETE", arena_sprintf(a, "/api/product_summaries/%lld", (long long) pid), NULL);
    expect_status(r, 405, "view delete");
    r = call(a, "GET", "/openapi.json", NULL);
    expect_status(r, 200, "openapi");
    assert_non_null(strstr(r->body, "\"duration\""));
    json_t *doc = json_of(a, r);
    json_t *paths = json_object_get(doc, "paths");
    assert_non_null(json_object_get(json_object_get(paths, "/api/product_summaries"), "get"));
    assert_null(json_object_get(json_object_get(paths, "/api/product_summaries"), "post"));
    assert_non_null(json_object_get(paths, "/api/product_summaries/query"));
    assert_null(json_object_get(paths, "/api/product_summaries/bulk"));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_and_columns),
        cmocka_unit_test(test_relationships),
        cmocka_unit_test(test_check_and_schema_sql),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_unsupported_type_names_column),
        cmocka_unit_test(test_every_type_every_route),
        cmocka_unit_test(test_malformed_values_point_at_the_field),
        cmocka_unit_test(test_array_and_jsonb_operators),
        cmocka_unit_test(test_relationships_and_views_served),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
