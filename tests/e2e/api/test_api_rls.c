/*
 * PostgreSQL roles and row-level security (issue 11): config/test/rls.json
 * sets auth.database_role, so each request runs SET LOCAL ROLE <its role>
 * and request.jwt.claims inside its transaction. A policy on rl_orders lets
 * a role see and write only the rows whose user_id is its "sub" claim; the
 * test drives every route as that role and compares with the truth
 * computed in SQL: lists, get, query documents, aggregates, include,
 * any, bulk update, delete, create and update of a row into someone
 * else's hands, transactions. The admin role (BYPASSRLS) sees everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_support.h"
#include "auth_tokens.h"

static const char *SECRET = "rls-test-secret-0123456789abcdef-0123456789abc";
static const char *U1 = "00000000-0000-4000-8000-0000000000a1";
static const char *U2 = "00000000-0000-4000-8000-0000000000a2";
static cjose_jwk_t *K;

static const char *bearer(const char *role, const char *sub)
{
    json_t *c = json_pack("{s:s, s:I}", "role", role, "exp", (json_int_t) time(NULL) + 600);
    if (sub)
        json_object_set_new(c, "sub", json_string(sub));
    const char *t = tok_sign(T(), K, "HS256", NULL, c);
    json_decref(c);
    return S("Authorization: Bearer %s", t);
}

static api_reply *customer(const char *method, const char *path, const char *body)
{
    const char *h[] = {bearer(R("customer"), U1), NULL};
    return api_call(method, path, body, h);
}

static int group_setup(void **state)
{
    (void) state;
    K = tok_oct_jwk(SECRET, strlen(SECRET));
    arena *g = arena_create(NULL, "config");
    const char *text = ts_read_file(g, ts_source_path(g, "config/test/rls.json"), NULL);
    static char secret_env[128], admin_env[64];
    snprintf(secret_env, sizeof secret_env, "RETORT_TEST_JWT_SECRET=%s", SECRET);
    API.admin_port = ts_free_port();
    snprintf(admin_env, sizeof admin_env, "RETORT_SERVER_ADMIN_PORT=%d", API.admin_port);
    const char *env[] = {secret_env, admin_env, NULL};
    int rc = text ? api_group_setup_config("rl_", text, env) : -1;
    arena_destroy(g);
    if (rc != 0)
        return rc;
    /* Roles are per cluster: create them once, grant every time. */
    sql_exec("DO $$ BEGIN CREATE ROLE %s NOLOGIN; "
             "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
             R("customer"));
    sql_exec("DO $$ BEGIN CREATE ROLE %s NOLOGIN BYPASSRLS; "
             "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
             R("owner"));
    sql_exec("GRANT SELECT, INSERT, UPDATE, DELETE ON %s, %s TO %s, %s", R("users"), R("orders"),
             R("customer"), R("owner"));
    sql_exec("ALTER TABLE %s ENABLE ROW LEVEL SECURITY", R("orders"));
    sql_exec("CREATE POLICY own_orders ON %s USING "
             "(user_id::text = current_setting('request.jwt.claims', true)::json->>'sub') "
             "WITH CHECK "
             "(user_id::text = current_setting('request.jwt.claims', true)::json->>'sub')",
             R("orders"));
    sql_exec("INSERT INTO %s (id, email) VALUES ('%s', 'a1@example.com'), "
             "('%s', 'a2@example.com')",
             R("users"), U1, U2);
    sql_exec("INSERT INTO %s (user_id, total) VALUES ('%s', 10), ('%s', 20), "
             "('%s', 30), ('%s', 100), ('%s', 200), ('%s', 300)",
             R("orders"), U1, U1, U1, U2, U2, U2);
    arena_destroy(API.test);
    API.test = NULL;
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    cjose_jwk_release(K);
    return api_group_teardown();
}

static const char *other_order(void)
{
    return sql("SELECT id FROM %s WHERE user_id = '%s' ORDER BY total LIMIT 1", R("orders"), U2);
}

static void test_reads_see_only_own_rows(void **state)
{
    (void) state;
    const char *orders = S("/api/%s", R("orders"));
    long own = sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), U1);
    api_reply *r = customer("GET", orders, NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), own);
    assert_string_equal(jcolumn(jdata(r), "user_id"), S("%s\n%s\n%s", U1, U1, U1));

    EXPECT_PROBLEM(customer("GET", S("%s/%s", orders, other_order()), NULL), 404, NULL);

    r = customer("POST", S("%s/query", orders), "{\"where\": {\"total\": {\"ge\": 0}}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), own);

    r = customer("POST", S("%s/query", orders),
                 "{\"aggregates\": {\"n\": {\"count\": \"*\"}, \"s\": {\"sum\": \"total\"}}}");
    EXPECT_STATUS(r, 200);
    json_t *row = json_array_get(jdata(r), 0);
    assert_int_equal(jint(row, "n"), own);
    assert_string_equal(jstr(row, "s"),
                        sql("SELECT sum(total) FROM %s WHERE user_id = '%s'", R("orders"), U1));

    /* include: the other user's orders are not loaded. */
    r = customer("GET", S("/api/%s?include=orders&order_by=email", R("users")), NULL);
    EXPECT_STATUS(r, 200);
    json_t *users = jdata(r);
    assert_int_equal(json_array_size(users), 2);
    assert_int_equal(json_array_size(jget(json_array_get(users, 0), "orders")), own);
    assert_int_equal(json_array_size(jget(json_array_get(users, 1), "orders")), 0);

    /* any: an EXISTS over orders sees only own orders too. */
    r = customer("POST", S("/api/%s/query", R("users")),
                 "{\"where\": {\"orders\": {\"any\": {\"total\": {\"ge\": 100}}}}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 0);

    /* The admin role bypasses the policy. */
    const char *h[] = {bearer(R("owner"), NULL), NULL};
    r = api_call("GET", orders, NULL, h);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), sql_int("SELECT count(*) FROM %s", R("orders")));
}

static void test_writes_stay_in_own_rows(void **state)
{
    (void) state;
    const char *orders = S("/api/%s", R("orders"));
    long total = sql_int("SELECT count(*) FROM %s", R("orders"));
    /* Bulk update touches only own rows. */
    api_reply *r = customer("PATCH", orders,
                            "{\"where\": {\"status\": \"pending\"}, \"values\": "
                            "{\"status\": \"paid\"}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "updated"),
                     sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), U1));
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE user_id = '%s' AND "
                             "status = 'paid'", R("orders"),
                             U2),
                     0);
    /* Someone else's order can be neither deleted nor changed. */
    const char *theirs = other_order();
    EXPECT_PROBLEM(customer("DELETE", S("%s/%s", orders, theirs), NULL), 404, NULL);
    EXPECT_PROBLEM(customer("PATCH", S("%s/%s", orders, theirs), "{\"total\": \"1.00\"}"), 404,
                   NULL);
    /* A row created or moved into someone else's hands fails the policy's
     * WITH CHECK: 403, nothing written. */
    api_reply *c = customer("POST", orders, S("{\"user_id\": \"%s\", \"total\": \"5.00\"}", U2));
    EXPECT_PROBLEM(c, 403, NULL);
    EXPECT_NO_SQL(c);
    const char *mine = sql("SELECT id FROM %s WHERE user_id = '%s' LIMIT 1", R("orders"), U1);
    EXPECT_PROBLEM(customer("PATCH", S("%s/%s", orders, mine), S("{\"user_id\": \"%s\"}", U2)),
                   403, NULL);
    assert_int_equal(sql_int("SELECT count(*) FROM %s", R("orders")), total);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), U2), 3);

    /* A transaction runs as the role too. */
    const char *tx = S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
                       "{\"count\": true}}, {\"op\": \"delete\", \"resource\": \"%s\", "
                       "\"id\": \"%s\"}]}",
                       R("orders"), R("orders"), theirs);
    r = customer("POST", "/api/transaction", tx);
    EXPECT_PROBLEM(r, 404, NULL);
    assert_int_equal(jint(r->body, "operation"), 1);
    tx = S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
           "{\"count\": true}}]}",
           R("orders"));
    r = customer("POST", "/api/transaction", tx);
    EXPECT_STATUS(r, 200);
    json_t *page = json_array_get(jget(r->body, "results"), 0);
    assert_int_equal(jint(jget(page, "meta"), "count"),
                     sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), U1));
    assert_int_equal(sql_int("SELECT count(*) FROM %s", R("orders")), total);
}

/* A role of the config with no PostgreSQL role (api_ghost is never
 * created): the start-up log names it, and its requests get a 403 that
 * names it instead of PostgreSQL's 22023. */
static void test_missing_database_role(void **state)
{
    (void) state;
    const char *log = ts_read_file(T(), API.srv.log_path, NULL);
    const char *said = S("The PostgreSQL role \"%s\" does not exist", R("ghost"));
    if (!log || !strstr(log, said))
        fail_msg("the start-up log does not say: %s", said);
    const char *h[] = {bearer(R("ghost"), U1), NULL};
    api_reply *r = api_call("GET", S("/api/%s", R("users")), NULL, h);
    EXPECT_PROBLEM(r, 403, NULL);
    const char *text = api_problem_text(r->body);
    if (!strstr(text, R("ghost")) || strstr(r->raw->body, "22023"))
        fail_msg("the problem should name the role, not the SQLSTATE: %s", r->raw->body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_see_only_own_rows, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_missing_database_role, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_writes_stay_in_own_rows, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests_name("api_rls", tests, group_setup, group_teardown);
}
