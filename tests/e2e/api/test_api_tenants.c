/*
 * Tenants (issue 11): config/test/tenants.json puts each request's tables
 * in the schema of its tenant (the "tenant" claim, or X-Tenant from the
 * trusted role "ops"). Two tenant schemas hold the same table; the public
 * schema holds one too, with a row no request may ever see. The pool has
 * ONE connection, so requests of both tenants take turns on it: rows must
 * never cross, and an unknown or missing tenant is refused, never served
 * from the default schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_support.h"
#include "auth_tokens.h"

static const char *SECRET = "tenant-test-secret-0123456789abcdef-0123456789";
static cjose_jwk_t *K;

static const char *token(const char *role, const char *tenant)
{
    json_t *c = json_pack("{s:s, s:I}", "role", role, "exp", (json_int_t) time(NULL) + 600);
    if (tenant)
        json_object_set_new(c, "tenant", json_string(tenant));
    const char *t = tok_sign(T(), K, "HS256", NULL, c);
    json_decref(c);
    return S("Authorization: Bearer %s", t);
}

static api_reply *as(const char *tenant, const char *method, const char *path, const char *body)
{
    const char *h[] = {token("member", tenant), NULL};
    return api_call(method, path, body, h);
}

static int group_setup(void **state)
{
    (void) state;
    K = tok_oct_jwk(SECRET, strlen(SECRET));
    arena *g = arena_create(NULL, "config");
    const char *text = ts_read_file(g, ts_source_path(g, "config/test/tenants.json"), NULL);
    static char secret_env[128], admin_env[64];
    snprintf(secret_env, sizeof secret_env, "RETORT_TEST_JWT_SECRET=%s", SECRET);
    API.admin_port = ts_free_port();
    snprintf(admin_env, sizeof admin_env, "RETORT_SERVER_ADMIN_PORT=%d", API.admin_port);
    const char *env[] = {secret_env, admin_env, NULL};
    /* retort schema create makes tn_notes in public: the decoy. */
    int rc = text ? api_group_setup_config("tn_", text, env) : -1;
    arena_destroy(g);
    if (rc != 0)
        return rc;
    sql_exec("INSERT INTO public.%s (body) VALUES ('public: never served')", R("notes"));
    for (int i = 0; i < 2; i++) {
        const char *schema = R(i ? "globex" : "acme");
        sql_exec("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; "
                 "CREATE TABLE %s.%s (LIKE public.%s INCLUDING ALL)",
                 schema, schema, schema, R("notes"), R("notes"));
    }
    arena_destroy(API.test);
    API.test = NULL;
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    cjose_jwk_release(K);
    sql_exec("DROP SCHEMA IF EXISTS %s CASCADE; DROP SCHEMA IF EXISTS %s CASCADE", R("acme"),
             R("globex"));
    return api_group_teardown();
}

static void test_interleaved_tenants_never_cross(void **state)
{
    (void) state;
    const char *notes = S("/api/%s", R("notes"));
    /* Alternate tenants on the one pooled connection. */
    for (int i = 0; i < 10; i++) {
        const char *tenant = i % 2 ? "globex" : "acme";
        api_reply *r = as(tenant, "POST", notes, S("{\"body\": \"%s %d\"}", tenant, i));
        EXPECT_STATUS(r, 201);
        r = as(tenant, "GET", notes, NULL);
        EXPECT_STATUS(r, 200);
        json_t *data = jdata(r);
        size_t k;
        json_t *row;
        json_array_foreach(data, k, row)
        {
            const char *body = jstr(row, "body");
            if (strncmp(body, tenant, strlen(tenant)) != 0)
                fail_msg("tenant %s saw \"%s\"", tenant, body);
        }
        assert_int_equal(json_array_size(data), i / 2 + 1);
    }
    /* The truth in SQL: five rows per tenant schema, public untouched. */
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s WHERE body LIKE 'acme%%'", R("acme"),
                             R("notes")),
                     5);
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s WHERE body LIKE 'globex%%'", R("globex"),
                             R("notes")),
                     5);
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s", R("acme"), R("notes")), 5);
    assert_int_equal(sql_int("SELECT count(*) FROM public.%s", R("notes")), 1);

    /* Keys overlap across tenants (both start at 1): each sees its own. */
    api_reply *a = as("acme", "GET", S("%s/1", notes), NULL);
    api_reply *g = as("globex", "GET", S("%s/1", notes), NULL);
    EXPECT_STATUS(a, 200);
    EXPECT_STATUS(g, 200);
    assert_string_equal(jstr(a->body, "body"), "acme 0");
    assert_string_equal(jstr(g->body, "body"), "globex 1");
    /* Query documents, aggregates, bulk updates and transactions too. */
    api_reply *q = as("acme", "POST", S("%s/query", notes),
                      "{\"aggregates\": {\"n\": {\"count\": \"*\"}}}");
    EXPECT_STATUS(q, 200);
    assert_int_equal(jint(json_array_get(jdata(q), 0), "n"), 5);
    api_reply *u = as("globex", "PATCH", notes,
                      "{\"where\": {\"id\": {\"ge\": 1}}, \"values\": {\"body\": \"globex x\"}}");
    EXPECT_STATUS(u, 200);
    assert_int_equal(jint(u->body, "updated"), 5);
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s WHERE body = 'globex x'", R("acme"), R("notes")), 0);
    const char *tx = S("{\"operations\": [{\"op\": \"create\", \"resource\": \"%s\", "
                       "\"values\": {\"body\": \"acme tx\"}}, {\"op\": \"query\", "
                       "\"resource\": \"%s\", \"query\": {\"count\": true}}]}",
                       R("notes"), R("notes"));
    api_reply *t = as("acme", "POST", "/api/transaction", tx);
    EXPECT_STATUS(t, 200);
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s WHERE body = 'acme tx'", R("acme"), R("notes")), 1);
    assert_int_equal(sql_int("SELECT count(*) FROM %s.%s WHERE body = 'acme tx'", R("globex"), R("notes")),
                     0);
}

static void test_unknown_or_missing_tenant(void **state)
{
    (void) state;
    const char *notes = S("/api/%s", R("notes"));
    EXPECT_PROBLEM(as("initech", "GET", notes, NULL), 403, NULL);
    EXPECT_PROBLEM(as(NULL, "GET", notes, NULL), 403, NULL);
    /* A member may not pick its tenant with the header... */
    const char *h[] = {token("member", "acme"), "X-Tenant: globex", NULL};
    EXPECT_PROBLEM(api_call("GET", notes, NULL, h), 403, NULL);
    /* ... the trusted role may. */
    const char *ops[] = {token("ops", NULL), "X-Tenant: globex", NULL};
    api_reply *r = api_call("GET", notes, NULL, ops);
    EXPECT_STATUS(r, 200);
    assert_true(json_array_size(jdata(r)) >= 5);
    const char *bad[] = {token("ops", NULL), "X-Tenant: public", NULL};
    EXPECT_PROBLEM(api_call("GET", notes, NULL, bad), 403, NULL);
    /* The public decoy was never read. */
    assert_int_equal(sql_int("SELECT count(*) FROM public.%s", R("notes")), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interleaved_tenants_never_cross, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_or_missing_tenant, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests_name("api_tenants", tests, group_setup, group_teardown);
}
