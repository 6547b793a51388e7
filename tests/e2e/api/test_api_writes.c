/*
 * Writes of issue 13 over real HTTP (SPEC.md §5): upserts on POST, bulk
 * and transaction create (201 inserted / 200 updated, version + 1,
 * {"inserted", "updated"}), bulk delete by a where document (query
 * parameter or body; empty where refused; foreign keys enforced),
 * transaction documents flushed through the unit of work (child before
 * parent, $ref inside a query's where), and named SQL queries (every
 * parameter type, GET for read-only ones only, unknown and ill-typed
 * parameters 422 with pointers, injection attempts as data).
 */
#include "api_support.h"

#include <string.h>

static int group_setup(void **state)
{
    (void) state;
    return api_group_setup("aw_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

static const char *new_user(const char *email)
{
    api_reply *r = POST(S("/api/%s", R("users")), S("{\"email\": \"%s\", \"name\": \"N\"}", email));
    EXPECT_STATUS(r, 201);
    return jstr(r->body, "id");
}

static void test_upsert_single(void **state)
{
    (void) state;
    const char *uid = new_user("up1@x.org");
    const char *oid = "7d8f3b52-1c0e-4c55-9a2b-0d5b7f0e1a01";
    const char *path = S("/api/%s?on_conflict=", R("orders"));
    api_reply *r = POST(path, S("{\"id\": \"%s\", \"user_id\": \"%s\", \"total\": \"5.00\"}", oid, uid));
    EXPECT_STATUS(r, 201);
    assert_int_equal(jint(r->body, "version"), 1);
    r = POST(path, S("{\"id\": \"%s\", \"user_id\": \"%s\", \"total\": \"9.00\"}", oid, uid));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "total"), "9.00");
    assert_int_equal(jint(r->body, "version"), 2);
    assert_non_null(ts_header_get(r->raw, "Location"));

    /* By a unique column, DO NOTHING keeps the row. */
    r = POST(S("/api/%s?on_conflict=email&on_conflict_action=nothing", R("users")),
             "{\"email\": \"up1@x.org\", \"name\": \"Other\"}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "name"), "N");
    assert_string_equal(jstr(r->body, "id"), uid);

    /* Only the named columns change. */
    r = POST(S("/api/%s?on_conflict=email&on_conflict_update=age", R("users")),
             "{\"email\": \"up1@x.org\", \"name\": \"Ignored\", \"age\": 41}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "age"), 41);
    assert_string_equal(jstr(r->body, "name"), "N");

    /* A target no unique constraint covers, an unknown column. */
    r = POST(S("/api/%s?on_conflict=name", R("users")), "{\"email\": \"q@x.org\"}");
    EXPECT_PROBLEM(r, 400, "/on_conflict");
    r = POST(S("/api/%s?on_conflict=nope", R("users")), "{\"email\": \"q@x.org\"}");
    EXPECT_PROBLEM(r, 400, "/on_conflict");
    r = POST(S("/api/%s?on_conflict_action=nothing", R("users")), "{\"email\": \"q@x.org\"}");
    EXPECT_PROBLEM(r, 400, "/on_conflict_action");
}

static void test_upsert_bulk(void **state)
{
    (void) state;
    new_user("b1@x.org");
    api_reply *r = POST(S("/api/%s/bulk?on_conflict=email", R("users")),
                        "[{\"email\": \"b1@x.org\", \"name\": \"B1\"}, {\"email\": \"b2@x.org\"},"
                        " {\"email\": \"b3@x.org\"}]");
    EXPECT_STATUS(r, 201);
    assert_int_equal(jint(r->body, "inserted"), 2);
    assert_int_equal(jint(r->body, "updated"), 1);
    assert_string_equal(sql("SELECT name FROM %s WHERE email = 'b1@x.org'", R("users")), "B1");
    r = POST(S("/api/%s/bulk?on_conflict=email&on_conflict_action=nothing", R("users")),
             "[{\"email\": \"b1@x.org\", \"name\": \"zz\"}, {\"email\": \"b4@x.org\"}]");
    EXPECT_STATUS(r, 201);
    assert_int_equal(jint(r->body, "inserted"), 1);
    assert_int_equal(jint(r->body, "updated"), 0);
    assert_string_equal(sql("SELECT name FROM %s WHERE email = 'b1@x.org'", R("users")), "B1");
}

static void test_bulk_delete(void **state)
{
    (void) state;
    const char *u = new_user("del@x.org");
    for (int i = 0; i < 5; i++) {
        api_reply *r = POST(S("/api/%s", R("orders")),
                            S("{\"user_id\": \"%s\", \"total\": \"%d.00\", \"note\": \"bd\"}", u, i));
        EXPECT_STATUS(r, 201);
    }
    const char *where = U("{\"note\": \"bd\", \"total\": {\"lt\": \"2\"}}");
    api_reply *r = api_call("DELETE", S("/api/%s?where=%s", R("orders"), where), NULL, NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "deleted"), 2);
    const char *const json[] = {"Content-Type: application/json", NULL};
    r = api_call("DELETE", S("/api/%s", R("orders")), "{\"where\": {\"note\": \"bd\"}}", json);
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "deleted"), 3);
    /* Every row is never implied. */
    r = api_call("DELETE", S("/api/%s", R("orders")), NULL, NULL);
    EXPECT_PROBLEM(r, 400, "/where");
    r = api_call("DELETE", S("/api/%s?where=%s", R("orders"), U("{}")), NULL, NULL);
    EXPECT_PROBLEM(r, 400, "/where");
    r = api_call("DELETE", S("/api/%s?where=%s", R("orders"), U("{\"nope\": 1}")), NULL, NULL);
    EXPECT_PROBLEM(r, 400, "/where/nope");
    /* A user still referenced by an order: 409, nothing deleted. */
    r = POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\", \"total\": \"1.00\"}", u));
    EXPECT_STATUS(r, 201);
    r = api_call("DELETE", S("/api/%s?where=%s", R("users"), U("{\"email\": \"del@x.org\"}")),
                 NULL, NULL);
    EXPECT_PROBLEM(r, 409, NULL);
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'del@x.org'", R("users")), 1);
}

static void test_transaction_unit_of_work(void **state)
{
    (void) state;
    /* The child first: the flush puts the parent first. */
    const char *uid = "3f1c2a9e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    api_reply *r = POST("/api/transaction",
                        S("{\"operations\": ["
                          "{\"op\": \"create\", \"resource\": \"%s\", \"values\": {\"user_id\": "
                          "\"%s\", \"total\": \"3.00\"}},"
                          "{\"op\": \"create\", \"resource\": \"%s\", \"ref\": \"u\", \"values\": "
                          "{\"id\": \"%s\", \"email\": \"tx-child@x.org\"}},"
                          "{\"op\": \"query\", \"resource\": \"%s\", \"query\": {\"where\": "
                          "{\"user_id\": {\"$ref\": \"u.id\"}}}},"
                          "{\"op\": \"create\", \"resource\": \"%s\", \"on_conflict\": {\"target\": "
                          "[\"email\"], \"update\": [\"name\"]}, \"values\": {\"email\": "
                          "\"tx-child@x.org\", \"name\": \"Up\"}}]}",
                          R("orders"), uid, R("users"), uid, R("orders"), R("users")));
    EXPECT_STATUS(r, 200);
    json_t *results = jget(r->body, "results");
    assert_string_equal(jstr(json_array_get(results, 0), "user_id"), uid);
    assert_string_equal(jstr(json_array_get(results, 1), "email"), "tx-child@x.org");
    assert_int_equal(json_array_size(jget(json_array_get(results, 2), "data")), 1);
    assert_string_equal(jstr(json_array_get(results, 3), "name"), "Up");
    assert_string_equal(jstr(json_array_get(results, 3), "id"), uid);
}

static void test_rpc(void **state)
{
    (void) state;
    api_reply *r = POST("/api/rpc/types",
                        "{\"i\": 42, \"bi\": 9007199254740993, \"f\": 1.5, \"n\": \"12.50\", "
                        "\"s\": \"a'b\", \"t\": \"x\\ny\", \"b\": true, "
                        "\"u\": \"0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69\", \"d\": \"2026-02-28\", "
                        "\"ts\": \"2026-01-01T10:00:00Z\", \"j\": {\"k\": [1, 2]}}");
    EXPECT_STATUS(r, 200);
    json_t *row = json_array_get(jdata(r), 0);
    assert_int_equal(jint(row, "i"), 42);
    assert_int_equal(jint(row, "bi"), 9007199254740993LL);
    assert_string_equal(jstr(row, "n"), "12.50");
    assert_string_equal(jstr(row, "s"), "a'b");
    assert_true(json_is_true(jget(row, "b")));
    assert_string_equal(jstr(row, "ts"), "2026-01-01T10:00:00Z");
    assert_int_equal(json_array_size(jget(jget(row, "j"), "k")), 2);
    assert_int_equal(jint(jget(r->body, "meta"), "count"), 1);

    /* GET with query parameters for a read-only query. */
    new_user("rpc@x.org");
    r = GET(S("/api/rpc/users_named?name=%s", U("rpc@x.org")));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 1);
    /* Injection attempts are values. */
    const char *attacks[] = {"' OR '1'='1", "x'; DROP TABLE aw_users; --", ":name", "$1"};
    for (size_t i = 0; i < 4; i++) {
        r = GET(S("/api/rpc/users_named?name=%s", U(attacks[i])));
        EXPECT_STATUS(r, 200);
        assert_int_equal(json_array_size(jdata(r)), 0);
    }
    assert_true(sql_int("SELECT count(*) FROM %s", R("users")) >= 1);

    /* Problems: unknown, missing, ill-typed parameters; GET on a writer. */
    r = POST("/api/rpc/users_named", "{\"name\": \"a\", \"extra\": 1}");
    EXPECT_PROBLEM(r, 422, "/extra");
    r = POST("/api/rpc/users_named", "{}");
    EXPECT_PROBLEM(r, 422, "/name");
    r = POST("/api/rpc/types", "{\"i\": \"x\", \"bi\": 1, \"f\": 1, \"n\": 1, \"s\": \"\", "
                               "\"t\": \"\", \"b\": 1, \"u\": \"nope\", \"d\": \"2026-02-30\", "
                               "\"ts\": \"x\", \"j\": null}");
    EXPECT_PROBLEM(r, 422, "/i");
    EXPECT_POINTERS(r, "/i", "/b", "/u", "/d", "/ts");
    r = GET(S("/api/rpc/rename_user?name=a&email=%s", U("rpc@x.org")));
    EXPECT_PROBLEM(r, 405, NULL);
    r = POST("/api/rpc/rename_user", "{\"name\": \"Renamed\", \"email\": \"rpc@x.org\"}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(json_array_get(jdata(r), 0), "name"), "Renamed");
    r = POST("/api/rpc/nope", "{}");
    EXPECT_PROBLEM(r, 404, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert_single, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_bulk, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_delete, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_transaction_unit_of_work, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_rpc, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests_name("e2e api writes (issue 13)", tests, group_setup,
                                       group_teardown);
}
