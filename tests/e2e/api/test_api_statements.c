/*
 * What PostgreSQL actually receives per request (issue 10): counted by
 * pg_stat_statements in a private cluster started with
 * shared_preload_libraries, so that nothing else runs there and BEGIN and
 * COMMIT are counted as the statements they are (track_utility).
 *
 * The minimum: a one-row GET is its SELECT, a GET with include=orders and a
 * query document with selectinload are their two SELECTs, a create is one
 * INSERT … RETURNING, a PATCH its SELECT and its UPDATE — none wrapped in
 * BEGIN/COMMIT at READ COMMITTED, and statement_timeout is not SET per
 * request. A SERIALIZABLE transaction document is wrapped. A failed
 * single-statement write leaves its connection clean for the next request.
 * X-Query-Count agrees with the server's count (it leaves BEGIN/COMMIT
 * out).
 */
#include "api_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ts_cluster PG;

/* The statements the server ran since the last reset, one "calls|query"
 * per line (queries normalised by pg_stat_statements), and their total. */
typedef struct received {
    const char *text;
    long long total, begins, commits, rollbacks, sets;
} received;

static void reset(void)
{
    sql_exec("SELECT pg_stat_statements_reset()");
}

/* Leaves out this test's own queries, what a new connection runs once
 * (the pooler check and SET statement_timeout: per connection, not per
 * request; a SET LOCAL would still count) and the readiness checker's
 * once-a-second probe on its own connection. Used inside formats. */
#define NOT_OURS                                                                                   \
    "query NOT LIKE '%%pg_stat_statements%%' AND query <> 'SELECT pg_backend_pid()' AND query "    \
    "NOT LIKE 'SET statement_timeout%%' AND query NOT LIKE '%%pg_is_in_recovery()%%'"

/* Calls of the statements whose text starts with prefix ("" = all). */
static long long calls(const char *prefix)
{
    return sql_int("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE " NOT_OURS
                   " AND query ILIKE '%s%%'",
                   prefix);
}

static received seen(void)
{
    received r;
    r.text = sql("SELECT coalesce(string_agg(calls || '|' || query, E'\\n' ORDER BY query), '') "
                 "FROM pg_stat_statements WHERE " NOT_OURS);
    r.total = calls("");
    r.begins = calls("BEGIN");
    r.commits = calls("COMMIT");
    r.rollbacks = calls("ROLLBACK");
    r.sets = calls("SET ");
    return r;
}

/* Exactly n statements completed, none of them BEGIN, COMMIT, ROLLBACK or
 * SET, and X-Query-Count says sent (pg_stat_statements does not count a
 * statement that failed). */
#define EXPECT_BARE(rep, n) expect_bare((rep), (n), (n), __FILE__, __LINE__)
#define EXPECT_BARE_FAILED(rep, sent) expect_bare((rep), 0, (sent), __FILE__, __LINE__)
static void expect_bare(const api_reply *rep, long long n, long sent, const char *file, int line)
{
    received r = seen();
    if (r.total != n || r.begins || r.commits || r.rollbacks || r.sets)
        fail_msg("%s:%d: %s %s: PostgreSQL received %lld statements (%lld BEGIN, %lld COMMIT, "
                 "%lld ROLLBACK, %lld SET), expected %lld bare ones:\n%s",
                 file, line, rep->method, rep->path, r.total, r.begins, r.commits, r.rollbacks,
                 r.sets, n, r.text);
    long qc = api_query_count(rep, file, line);
    if (qc != sent)
        fail_msg("%s:%d: X-Query-Count %ld, expected %ld", file, line, qc, sent);
}

static int group_setup(void **state)
{
    (void) state;
    if (!ts_cluster_start(&PG))
        return -1;
    if (ts_psql(PG.url, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'") != 0 ||
        !ts_cluster_stop(&PG) || !ts_cluster_restart(&PG) ||
        ts_psql(PG.url, "CREATE EXTENSION pg_stat_statements") != 0 ||
        ts_psql(PG.url, "ALTER SYSTEM SET pg_stat_statements.track_utility = on; "
                        "SELECT pg_reload_conf()") != 0)
        return -1;
    /* Everything below (schema, server, sql()) uses this cluster. */
    setenv("RETORT_TEST_DATABASE_URL", PG.url, 1);
    /* The background drift check (every 30 s by default) runs its catalog
     * reads on a pool connection whenever it is due: it would land inside
     * whichever request's count it happens to overlap. */
    static const char *const env[] = {"RETORT_DATABASE_DRIFT_CHECK_INTERVAL=0", NULL};
    return api_group_setup("st_", env);
}

static int group_teardown(void **state)
{
    (void) state;
    int rc = api_group_teardown();
    ts_cluster_destroy(&PG);
    return rc;
}

static const char *create_user(const char *email)
{
    api_reply *r = POST(S("/api/%s", R("users")), S("{\"email\": \"%s\", \"name\": \"N\"}", email));
    EXPECT_STATUS(r, 201);
    return jstr(r->body, "id");
}

static const char *create_order(const char *user_id)
{
    api_reply *r =
        POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\", \"total\": \"5.00\"}", user_id));
    EXPECT_STATUS(r, 201);
    return jstr(r->body, "id");
}

static void test_one_request_one_statement_each(void **state)
{
    (void) state;
    reset();
    api_reply *r = POST(S("/api/%s", R("users")), "{\"email\": \"one@x.org\", \"name\": \"N\"}");
    EXPECT_STATUS(r, 201);
    EXPECT_BARE(r, 1); /* INSERT … RETURNING */
    const char *id = jstr(r->body, "id");
    create_order(id);
    create_order(id);

    reset();
    r = GET(S("/api/%s/%s", R("users"), id));
    EXPECT_STATUS(r, 200);
    EXPECT_BARE(r, 1);

    reset();
    r = GET(S("/api/%s/%s?include=orders", R("users"), id));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jget(r->body, "orders")), 2);
    EXPECT_BARE(r, 2); /* the user, its orders */

    reset();
    r = POST(S("/api/%s/query", R("users")),
             "{\"where\": {\"email\": {\"like\": \"one%\"}}, \"order_by\": [{\"created_at\": "
             "\"desc\"}], \"limit\": 20, \"options\": [{\"selectinload\": \"orders\"}]}");
    EXPECT_STATUS(r, 200);
    EXPECT_BARE(r, 2);

    reset();
    r = GET(S("/api/%s?limit=5", R("users")));
    EXPECT_STATUS(r, 200);
    EXPECT_BARE(r, 1);
}

static void test_single_writes_are_bare(void **state)
{
    (void) state;
    const char *uid = create_user("writer@x.org");
    const char *oid = create_order(uid);

    reset();
    api_reply *r = PATCH(S("/api/%s/%s", R("orders"), oid), "{\"status\": \"paid\"}");
    EXPECT_STATUS(r, 200);
    EXPECT_BARE(r, 2); /* its SELECT, its UPDATE */
    assert_string_equal(sql("SELECT status FROM %s WHERE id = '%s'", R("orders"), oid), "paid");

    reset();
    r = POST(S("/api/%s/bulk", R("users")),
             "[{\"email\": \"b1@x.org\"}, {\"email\": \"b2@x.org\"}, {\"email\": \"b3@x.org\"}]");
    EXPECT_STATUS(r, 201);
    EXPECT_BARE(r, 1); /* one batch: one INSERT */

    reset();
    r = PATCH(S("/api/%s", R("users")),
              "{\"where\": {\"email\": {\"like\": \"b%\"}}, \"values\": {\"name\": \"B\"}}");
    EXPECT_STATUS(r, 200);
    EXPECT_BARE(r, 1);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE name = 'B'", R("users")), 3);

    reset();
    r = DELETE(S("/api/%s/%s", R("orders"), oid));
    EXPECT_STATUS(r, 204);
    EXPECT_BARE(r, 2); /* its SELECT, its DELETE */
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE id = '%s'", R("orders"), oid), 0);
}

static void test_serializable_document_is_wrapped(void **state)
{
    (void) state;
    reset();
    api_reply *r =
        POST("/api/transaction",
             S("{\"isolation_level\": \"SERIALIZABLE\", \"operations\": [{\"op\": \"create\", "
               "\"resource\": \"%s\", \"values\": {\"email\": \"ser@x.org\"}}, {\"op\": "
               "\"query\", \"resource\": \"%s\", \"query\": {\"where\": {\"email\": \"ser@x.org\"}}}]}",
               R("users"), R("users")));
    EXPECT_STATUS(r, 200);
    received got = seen();
    if (got.begins != 1 || got.commits != 1)
        fail_msg("a SERIALIZABLE document must be one BEGIN … COMMIT:\n%s", got.text);
    if (!strstr(got.text, "SERIALIZABLE") && !strstr(got.text, "serializable"))
        fail_msg("BEGIN without the isolation level:\n%s", got.text);
    assert_int_equal(got.total - got.begins - got.commits, QUERY_COUNT(r));

    /* A multi-statement write at READ COMMITTED is wrapped too. */
    reset();
    r = POST("/api/transaction",
             S("{\"operations\": [{\"op\": \"create\", \"resource\": \"%s\", \"values\": "
               "{\"email\": \"rc1@x.org\"}}, {\"op\": \"create\", \"resource\": \"%s\", "
               "\"values\": {\"email\": \"rc2@x.org\"}}]}",
               R("users"), R("users")));
    EXPECT_STATUS(r, 200);
    got = seen();
    if (got.begins != 1 || got.commits != 1)
        fail_msg("two creates must be one BEGIN … COMMIT:\n%s", got.text);
}

static void test_failed_single_write_leaves_connection_clean(void **state)
{
    (void) state;
    create_user("dup@x.org");
    for (int i = 0; i < 3; i++) {
        reset();
        api_reply *r = POST(S("/api/%s", R("users")), "{\"email\": \"dup@x.org\"}");
        EXPECT_PROBLEM(r, 409, NULL);
        EXPECT_BARE_FAILED(r, 1); /* the INSERT alone: no BEGIN, no ROLLBACK */
        /* The next requests run on the same connections, unharmed. */
        r = GET(S("/api/%s?email=dup@x.org", R("users")));
        EXPECT_STATUS(r, 200);
        assert_int_equal(json_array_size(jdata(r)), 1);
    }
    assert_int_equal(sql_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                             "'retort' AND state LIKE 'idle in transaction%%'"),
                     0);
    api_reply *pool = GET("/health/pool");
    EXPECT_STATUS(pool, 200);
    assert_int_equal(jint(pool->body, "invalidated"), 0);
}

/* ---- keyset pages use an index (issue 13 item 1) --------------------- */

/* The plan PostgreSQL makes for the statement retort sent (its text from
 * pg_stat_statements, parameters and all), as a generic plan: the plan
 * every page of that shape gets, whatever the cursor's values. */
static const char *generic_plan(const char *statement)
{
    int n = 0;
    for (const char *p = strchr(statement, '$'); p; p = strchr(p + 1, '$'))
        if (atoi(p + 1) > n)
            n = atoi(p + 1);
    const char *args = "";
    for (int i = 0; i < n; i++)
        args = S("%s%sNULL", args, i ? ", " : "");
    return sql("SET plan_cache_mode = force_generic_plan; PREPARE page AS %s; "
               "EXPLAIN (COSTS OFF) EXECUTE page%s%s%s",
               statement, n ? "(" : "", args, n ? ")" : "");
}

/* The SELECT of books a request sent (not the genres' selectin load). */
static const char *books_select(void)
{
    return sql("SELECT query FROM pg_stat_statements WHERE query LIKE 'SELECT%%%s%%ORDER BY%%' "
               "AND query NOT LIKE '%%%s%%' AND " NOT_OURS " ORDER BY length(query) DESC LIMIT 1",
               R("books"), R("book_genres"));
}

static void expect_index_scan(const char *path)
{
    api_reply *r = GET(path);
    EXPECT_STATUS(r, 200);
    const char *after = json_string_value(jget(jget(r->body, "meta"), "next"));
    assert_non_null(after);
    reset();
    r = GET(S("%s&after=%s", path, U(after)));
    EXPECT_STATUS(r, 200);
    const char *stmt = books_select();
    const char *plan = generic_plan(stmt);
    if (!strstr(plan, "Index Scan") && !strstr(plan, "Index Only Scan"))
        fail_msg("GET %s: the next page is not an index scan:\n%s\n%s", path, stmt, plan);
    if (strstr(plan, "Sort"))
        fail_msg("GET %s: the next page sorts instead of reading the index in order:\n%s\n%s",
                 path, stmt, plan);
}

static void test_keyset_pages_use_an_index(void **state)
{
    (void) state;
    sql_exec("INSERT INTO %s (title, year) SELECT 't' || (g %% 500), 1900 + g %% 37 "
             "FROM generate_series(1, 20000) g",
             R("books"));
    /* the documented access paths (README "Keyset paging"): the key, and
     * an index on the sort key with the key after it */
    sql_exec("CREATE INDEX %s_title_id ON %s (title, id)", R("books"), R("books"));
    sql_exec("ANALYZE %s", R("books"));
    expect_index_scan(S("/api/%s?limit=50&order_by=id", R("books")));
    expect_index_scan(S("/api/%s?limit=50", R("books")));
    expect_index_scan(S("/api/%s?limit=50&order_by=title", R("books")));
    /* descending: the same index read backwards when the tie-breaking key
     * goes the same way (a mixed order needs an index in that order) */
    expect_index_scan(S("/api/%s?limit=50&order_by=-title,-id", R("books")));
}

/* SQLSTATE 25006: a write while the database takes none (a standby after
 * a failover, default_transaction_read_only for maintenance) is a 503
 * with Retry-After, not a 500. The private cluster makes this safe. */
static void test_read_only_database_is_503(void **state)
{
    (void) state;
    sql_exec("ALTER SYSTEM SET default_transaction_read_only = on");
    sql_exec("SELECT pg_reload_conf()");
    ts_sleep_ms(300);
    api_reply *r = POST(S("/api/%s", R("users")), "{\"email\": \"ro@x.org\"}");
    sql_exec("SET default_transaction_read_only = off; ALTER SYSTEM RESET "
             "default_transaction_read_only");
    sql_exec("SELECT pg_reload_conf()");
    EXPECT_PROBLEM(r, 503, NULL);
    assert_non_null(ts_header_get(r->raw, "Retry-After"));
    assert_string_equal(jstr(r->body, "type"), "read-only-transaction");
    EXPECT_NO_SQL(r);
    ts_sleep_ms(300);
    r = POST(S("/api/%s", R("users")), "{\"email\": \"ro@x.org\"}");
    EXPECT_STATUS(r, 201);
}

/* `fields` narrows the SELECT list (issue 13 item 8): the statement reads
 * the fields asked for plus the key, the version and the join columns,
 * never the other columns. */
static void test_fields_narrow_the_select(void **state)
{
    (void) state;
    const char *uid = create_user("narrow@x.org");
    create_order(uid);
    reset();
    api_reply *r = POST(S("/api/%s/query", R("users")),
                        "{\"fields\": [\"email\"], \"where\": {\"email\": \"narrow@x.org\"}}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(J(jdata(r)), "[{\"email\":\"narrow@x.org\"}]");
    const char *q = sql("SELECT query FROM pg_stat_statements WHERE query LIKE 'SELECT%%' AND "
                        NOT_OURS);
    const char *cols = S("SELECT \"%s\".\"id\", \"%s\".\"email\" FROM", R("users"), R("users"));
    if (strncmp(q, cols, strlen(cols)) != 0)
        fail_msg("fields [email] should select id and email only:\n%s", q);

    /* orders: total + the key, the version and user_id (the join column) */
    reset();
    r = GET(S("/api/%s?fields=total&user_id=%s", R("orders"), uid));
    EXPECT_STATUS(r, 200);
    q = sql("SELECT query FROM pg_stat_statements WHERE query LIKE 'SELECT%%' AND " NOT_OURS);
    const char *o = R("orders");
    cols = S("SELECT \"%s\".\"id\", \"%s\".\"user_id\", \"%s\".\"total\", \"%s\".\"version\" FROM",
             o, o, o, o);
    if (strncmp(q, cols, strlen(cols)) != 0)
        fail_msg("fields=total should select id, user_id, total and version only:\n%s", q);
    assert_int_equal(json_object_size(json_array_get(jdata(r), 0)), 1);

    /* an entity read narrowed earlier in a document is read whole for an update */
    r = POST("/api/transaction",
             S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
               "{\"fields\": [\"email\"], \"where\": {\"id\": \"%s\"}}}, {\"op\": \"update\", "
               "\"resource\": \"%s\", \"id\": \"%s\", \"values\": {\"name\": \"Whole\"}}]}",
               R("users"), uid, R("users"), uid));
    EXPECT_STATUS(r, 200);
    json_t *updated = json_array_get(jget(r->body, "results"), 1);
    assert_string_equal(jstr(updated, "name"), "Whole");
    assert_string_equal(jstr(updated, "email"), "narrow@x.org");
    assert_non_null(json_object_get(updated, "created_at"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_request_one_statement_each, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_single_writes_are_bare, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_serializable_document_is_wrapped, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_failed_single_write_leaves_connection_clean,
                                        api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_keyset_pages_use_an_index, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_database_is_503, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_fields_narrow_the_select, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
