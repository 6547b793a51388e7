/*
 * test_exec — statement execution against a real PostgreSQL: parameters
 * and NULLs, result accessors, SQLSTATE classification (unique, check,
 * not-null, statement timeout, syntax), the prepared-statement cache,
 * COPY FROM STDIN, transactions and isolation levels.
 *
 * Uses RETORT_TEST_DATABASE_URL when set (in a schema of its own, chosen
 * through PGOPTIONS), otherwise a private throw-away cluster.
 */
#include "eng_testing.h"

#include <unistd.h>

typedef struct fixture {
    ts_cluster cluster; /* used when RETORT_TEST_DATABASE_URL is not set */
    char url[512];
    char schema[64];
    eng_pool *pool;
    arena *a;    /* per test */
    eng_conn *c; /* per test, from pool */
} fixture;

static fixture F;

static eng_pool *make_pool(bool prepared, int cache_size)
{
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.url;
    o.pool_size = 2;
    o.max_overflow = 0;
    o.pool_timeout = 5;
    o.connect_timeout = 5;
    o.prepared_statements = prepared;
    o.statement_cache_size = cache_size;
    err_report err;
    err_init(&err, NULL);
    eng_pool *p = eng_pool_create(&o, &err);
    assert_non_null(p);
    return p;
}

static int group_setup(void **state)
{
    (void) state;
    if (!ts_database_or_cluster(&F.cluster, F.url, sizeof F.url))
        return -1;
    /* Every connection of this process works in its own schema. */
    snprintf(F.schema, sizeof F.schema, "eng_exec_%d", (int) getpid());
    char opts[128];
    snprintf(opts, sizeof opts, "-c search_path=%s", F.schema);
    setenv("PGOPTIONS", opts, 1);

    F.pool = make_pool(true, 256);
    arena *a = arena_create(NULL, "test_exec setup");
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(F.pool, &err);
    if (!c) {
        fprintf(stderr, "cannot connect: %s\n", err.detail ? err.detail : "?");
        return -1;
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; "
             "CREATE TABLE %s.users (id serial PRIMARY KEY, "
             "  email text NOT NULL CONSTRAINT users_email_key UNIQUE, "
             "  age int CONSTRAINT users_age_check CHECK (age >= 0), name text); "
             "CREATE TABLE %s.items (a int, b text)",
             F.schema, F.schema, F.schema, F.schema);
    bool ok = eng_exec_command(c, sql, &err);
    eng_pool_checkin(F.pool, c);
    arena_destroy(a);
    return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test_exec teardown");
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(F.pool, &err);
    if (c) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", F.schema);
        eng_exec_command(c, sql, &err);
        eng_pool_checkin(F.pool, c);
    }
    arena_destroy(a);
    eng_pool_destroy(F.pool);
    if (F.cluster.dir[0])
        ts_cluster_destroy(&F.cluster);
    return 0;
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_exec test");
    F.c = et_checkout(F.pool, F.a);
    et_command(F.c, F.a, "TRUNCATE users, items RESTART IDENTITY");
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    eng_pool_checkin(F.pool, F.c);
    F.c = NULL;
    arena_destroy(F.a);
    eng_pool_status s;
    eng_pool_get_status(F.pool, &s);
    assert_int_equal(s.checked_out, 0);
    return 0;
}

/* ------------------------------------------------------------------------ */

static void test_params_and_nulls(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *params[3] = {"41", NULL, "it's \"quoted\"; DROP TABLE users"};
    eng_result *r = eng_exec(F.c, F.a,
                             "SELECT $1::int + 1 AS answer, $2::text IS NULL AS missing, "
                             "$2::text AS nothing, $3::text AS echo",
                             3, params, &err);
    ts_assert_ok(&err, "select");
    assert_int_equal(eng_result_rows(r), 1);
    assert_int_equal(eng_result_cols(r), 4);
    assert_string_equal(eng_result_value(r, 0, 0), "42");
    assert_false(eng_result_is_null(r, 0, 0));
    assert_string_equal(eng_result_value(r, 0, 1), "t");
    assert_true(eng_result_is_null(r, 0, 2));
    assert_string_equal(eng_result_value(r, 0, 2), "");
    assert_int_equal(eng_result_length(r, 0, 2), 0);
    assert_string_equal(eng_result_value(r, 0, 3), params[2]); /* bound, not spliced */
    assert_int_equal(eng_result_length(r, 0, 3), (int) strlen(params[2]));

    /* NULL through an INSERT, read back. */
    const char *row[3] = {"a@example.com", NULL, "Ann"};
    r = eng_exec(F.c, F.a, "INSERT INTO users (email, age, name) VALUES ($1, $2, $3) RETURNING id",
                 3, row, &err);
    ts_assert_ok(&err, "insert");
    assert_int_equal(eng_result_affected(r), 1);
    assert_string_equal(eng_result_value(r, 0, 0), "1");
    r = eng_exec(F.c, F.a, "SELECT age, name FROM users WHERE email = $1", 1, row, &err);
    ts_assert_ok(&err, "select back");
    assert_true(eng_result_is_null(r, 0, 0));
    assert_string_equal(eng_result_value(r, 0, 1), "Ann");
}

static void test_result_accessors(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    eng_result *r = eng_exec(F.c, F.a,
                             "SELECT g AS n, 'x' || g AS \"Label\", g % 2 = 0 AS even "
                             "FROM generate_series(1, 3) g ORDER BY g",
                             0, NULL, &err);
    ts_assert_ok(&err, "select");
    assert_int_equal(eng_result_rows(r), 3);
    assert_int_equal(eng_result_cols(r), 3);
    assert_string_equal(eng_result_colname(r, 0), "n");
    assert_string_equal(eng_result_colname(r, 1), "Label");
    assert_null(eng_result_colname(r, 3));
    assert_int_equal(eng_result_coltype(r, 0), 23);       /* int4 */
    assert_int_equal(eng_result_coltype(r, 1), 25);       /* text */
    assert_int_equal(eng_result_coltype(r, 2), 16);       /* bool */
    assert_int_equal(eng_result_colindex(r, "Label"), 1); /* exact, no case folding */
    assert_int_equal(eng_result_colindex(r, "label"), -1);
    assert_int_equal(eng_result_colindex(r, "even"), 2);
    assert_int_equal(eng_result_colindex(r, "nope"), -1);
    assert_string_equal(eng_result_value(r, 2, 1), "x3");
    assert_string_equal(eng_result_value(r, 1, 2), "t");
    assert_string_equal(eng_result_value(r, 9, 0), ""); /* out of range */
    assert_true(eng_result_is_null(r, 9, 0));
    assert_int_equal(eng_result_affected(r), 3);

    et_command(F.c, F.a, "INSERT INTO items SELECT g, 'v' FROM generate_series(1, 5) g");
    r = eng_exec(F.c, F.a, "UPDATE items SET b = 'w' WHERE a > 2", 0, NULL, &err);
    assert_int_equal(eng_result_affected(r), 3);
    assert_int_equal(eng_result_rows(r), 0);
    r = eng_exec(F.c, F.a, "DELETE FROM items WHERE a = 1", 0, NULL, &err);
    assert_int_equal(eng_result_affected(r), 1);
    r = eng_exec(F.c, F.a, "", 0, NULL, &err);
    ts_assert_ok(&err, "empty");
    assert_non_null(r);
    assert_int_equal(eng_result_affected(r), 0);
}

/* ---- errors ------------------------------------------------------------------- */

static void test_unique_violation(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *p[1] = {"dup@example.com"};
    assert_non_null(eng_exec(F.c, F.a, "INSERT INTO users (email) VALUES ($1)", 1, p, &err));
    assert_null(eng_exec(F.c, F.a, "INSERT INTO users (email) VALUES ($1)", 1, p, &err));
    assert_int_equal(err.kind, ERR_CONFLICT);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.sqlstate, "23505");
    assert_string_equal(err.type, "unique-violation");
    assert_non_null(err.constraint);
    assert_string_equal(err.constraint, "users_email_key");
    assert_string_equal(err.table, "users");
    /* PostgreSQL's words stay in the log-only field; the public detail
     * is ours and quotes no row contents. */
    assert_non_null(err.db_message);
    assert_non_null(strstr(err.db_message, "already exists"));
    assert_non_null(err.detail);
    assert_null(strstr(err.detail, "already exists"));
    assert_false(eng_conn_is_broken(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM users"), "1");
}

static void test_check_violation(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *p[2] = {"c@example.com", "-1"};
    assert_null(eng_exec(F.c, F.a, "INSERT INTO users (email, age) VALUES ($1, $2)", 2, p, &err));
    assert_int_equal(err.kind, ERR_VALIDATION);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.sqlstate, "23514");
    assert_string_equal(err.constraint, "users_age_check");
    assert_string_equal(err.table, "users");
}

static void test_not_null_violation(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *p[1] = {NULL};
    assert_null(eng_exec(F.c, F.a, "INSERT INTO users (email) VALUES ($1)", 1, p, &err));
    assert_int_equal(err.kind, ERR_VALIDATION);
    assert_int_equal(err.status, 422);
    assert_string_equal(err.sqlstate, "23502");
    assert_string_equal(err.column, "email");
    assert_string_equal(err.table, "users");
}

static void test_first_error_stays(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *p[1] = {NULL};
    assert_null(eng_exec(F.c, F.a, "INSERT INTO users (email) VALUES ($1)", 1, p, &err));
    assert_null(eng_exec(F.c, F.a, "SELECT 1/0", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "23502");
    assert_string_equal(err.column, "email");
}

static void test_syntax_error_keeps_sql_out(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    assert_null(
        eng_exec(F.c, F.a, "SELEC id FROM users WHERE email = 'secret-value'", 0, NULL, &err));
    assert_int_equal(err.kind, ERR_DB);
    assert_int_equal(err.status, 500);
    assert_string_equal(err.sqlstate, "42601");
    assert_non_null(err.db_message);
    assert_null(strstr(err.db_message, "secret-value"));
    assert_true(err.detail == NULL || strstr(err.detail, "secret-value") == NULL);
    assert_false(eng_conn_is_broken(F.c));

    err_init(&err, F.a);
    assert_null(eng_exec(F.c, F.a, "SELECT * FROM no_such_table", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "42P01");
}

static void test_parameter_count_mismatch(void **state)
{
    (void) state;
    /* The server refuses the Bind (08P01) but the session lives on: a bug
     * of ours, not an unavailable database. */
    err_report err;
    err_init(&err, F.a);
    const char *p[2] = {"1", "2"};
    assert_null(eng_exec(F.c, F.a, "SELECT $1::int", 2, p, &err));
    assert_string_equal(err.sqlstate, "08P01");
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_int_equal(err.status, 500);
    assert_false(eng_conn_is_broken(F.c));
    err_init(&err, F.a);
    assert_null(eng_exec_prepared(F.c, F.a, "SELECT $1::int", 2, p, &err));
    assert_string_equal(err.sqlstate, "08P01");
    assert_false(eng_conn_is_broken(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT 1"), "1");
}

static void test_statement_timeout(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_begin(F.c, NULL, 50, &err));
    assert_string_equal(et_scalar(F.c, F.a, "SHOW statement_timeout"), "50ms");
    double t0 = ts_now();
    assert_null(eng_exec(F.c, F.a, "SELECT pg_sleep(2)", 0, NULL, &err));
    double took = ts_now() - t0;
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_int_equal(err.status, 504);
    assert_string_equal(err.sqlstate, "57014");
    assert_true(took < 1.5);
    assert_false(eng_conn_is_broken(F.c));
    assert_true(eng_conn_in_transaction(F.c)); /* failed, still open */

    err_report rb;
    err_init(&rb, F.a);
    assert_true(eng_rollback(F.c, &rb));
    assert_false(eng_conn_in_transaction(F.c));
    /* SET LOCAL ended with the transaction. */
    assert_string_equal(et_scalar(F.c, F.a, "SHOW statement_timeout"), "0");
    assert_string_equal(et_scalar(F.c, F.a, "SELECT 1 FROM pg_sleep(0.06)"), "1");
}

/* ---- prepared statements ------------------------------------------------------ */

static long server_prepared(eng_conn *c)
{
    return et_scalar_long(c, F.a, "SELECT count(*) FROM pg_prepared_statements");
}

static const char *run_prepared(eng_conn *c, const char *sql, const char *param)
{
    err_report err;
    err_init(&err, F.a);
    const char *p[1] = {param};
    eng_result *r = eng_exec_prepared(c, F.a, sql, 1, p, &err);
    ts_assert_ok(&err, sql);
    assert_non_null(r);
    return eng_result_value(r, 0, 0);
}

static void test_prepared_same_sql_prepares_once(void **state)
{
    (void) state;
    const char *sql = "SELECT $1::int * 2";
    uint64_t before = eng_conn_prepare_count(F.c);
    long on_server = server_prepared(F.c);
    assert_string_equal(run_prepared(F.c, sql, "21"), "42");
    assert_string_equal(run_prepared(F.c, sql, "5"), "10");
    assert_string_equal(run_prepared(F.c, sql, "0"), "0");
    uint64_t after = eng_conn_prepare_count(F.c);
    /* The connection may have had it from an earlier test: 0 or 1. */
    assert_true(after - before <= 1);
    assert_true(after >= 1);
    assert_true(server_prepared(F.c) <= on_server + 1);

    /* The server forgot it (DISCARD ALL, a pooler): re-prepared once,
     * transparently. */
    et_command(F.c, F.a, "DEALLOCATE ALL");
    assert_string_equal(run_prepared(F.c, sql, "4"), "8");
    assert_int_equal(eng_conn_prepare_count(F.c), after + 1);
    assert_string_equal(run_prepared(F.c, sql, "3"), "6");
    assert_int_equal(eng_conn_prepare_count(F.c), after + 1);
}

static void test_prepared_lru_eviction(void **state)
{
    (void) state;
    eng_pool *p = make_pool(true, 2);
    eng_conn *c = et_checkout(p, F.a);
    const char *A = "SELECT $1::int + 100", *B = "SELECT $1::int + 200",
               *C = "SELECT $1::int + 300";

    assert_string_equal(run_prepared(c, A, "1"), "101");
    assert_string_equal(run_prepared(c, B, "1"), "201");
    assert_int_equal(eng_conn_prepare_count(c), 2);
    assert_string_equal(run_prepared(c, C, "1"), "301"); /* evicts A */
    assert_int_equal(eng_conn_prepare_count(c), 3);
    assert_int_equal(server_prepared(c), 2);             /* A was DEALLOCATEd */
    assert_string_equal(run_prepared(c, B, "2"), "202"); /* hit; B is newest */
    assert_int_equal(eng_conn_prepare_count(c), 3);
    assert_string_equal(run_prepared(c, A, "2"), "102"); /* miss, evicts C */
    assert_int_equal(eng_conn_prepare_count(c), 4);
    assert_string_equal(run_prepared(c, B, "3"), "203"); /* still cached */
    assert_int_equal(eng_conn_prepare_count(c), 4);
    assert_string_equal(run_prepared(c, C, "3"), "303"); /* miss, evicts A */
    assert_int_equal(eng_conn_prepare_count(c), 5);
    assert_int_equal(server_prepared(c), 2);

    /* Inside a transaction nothing is DEALLOCATEd (a failure there would
     * abort the caller's transaction); the cache is trimmed afterwards. */
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_begin(c, NULL, 0, &err));
    assert_string_equal(run_prepared(c, A, "4"), "104");
    assert_string_equal(run_prepared(c, "SELECT $1::int + 400", "4"), "404");
    assert_int_equal(server_prepared(c), 4);
    assert_true(eng_commit(c, &err));
    assert_string_equal(run_prepared(c, A, "5"), "105"); /* hit, then trimmed */
    assert_int_equal(server_prepared(c), 2);

    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

static void test_prepared_statements_off(void **state)
{
    (void) state;
    eng_pool *p = make_pool(false, 256);
    eng_conn *c = et_checkout(p, F.a);
    for (int i = 0; i < 3; i++)
        assert_string_equal(run_prepared(c, "SELECT $1::int - 1", "10"), "9");
    assert_int_equal(eng_conn_prepare_count(c), 0);
    assert_int_equal(server_prepared(c), 0);
    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

static void test_prepared_error_is_classified(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char *p[1] = {"-5"};
    assert_null(eng_exec_prepared(
        F.c, F.a, "INSERT INTO users (email, age) VALUES ('p@x', $1::int)", 1, p, &err));
    assert_string_equal(err.sqlstate, "23514");
    assert_string_equal(err.constraint, "users_age_check");

    err_init(&err, F.a);
    assert_null(eng_exec_prepared(F.c, F.a, "SELEC 1", 0, NULL, &err)); /* fails at prepare */
    assert_string_equal(err.sqlstate, "42601");
}

/* ---- BEGIN pipelined with the first statement (eng_begin_exec) ----------------- */

/* eng_begin_exec with one text parameter (NULL: none); *began filled. */
static eng_result *begin_exec(eng_conn *c, const char *level, int timeout_ms, bool prepared,
                              const char *sql, const char *param, bool *began, err_report *err)
{
    const char *p[1] = {param};
    return eng_begin_exec(c, F.a, level, timeout_ms, prepared, sql, param ? 1 : 0, param ? p : NULL,
                          began, err);
}

static void test_begin_exec_results(void **state)
{
    (void) state;
    /* The same results as eng_begin + eng_exec / eng_exec_prepared, in
     * the transaction the BEGIN opened, with its isolation level and
     * SET LOCAL already in force for the statement itself. */
    static const char *const sql =
        "SELECT $1::int * 2 AS twice, current_setting('transaction_isolation') AS iso, "
        "current_setting('statement_timeout') AS timeout, NULL::text AS nothing";
    for (int prepared = 0; prepared < 2; prepared++) {
        err_report err;
        err_init(&err, F.a);
        bool began = false;
        eng_result *r = begin_exec(F.c, "REPEATABLE READ", 1500, prepared, sql, "21", &began, &err);
        ts_assert_ok(&err, "eng_begin_exec");
        assert_non_null(r);
        assert_true(began);
        assert_true(eng_conn_in_transaction(F.c));
        assert_int_equal(eng_result_rows(r), 1);
        assert_int_equal(eng_result_cols(r), 4);
        assert_string_equal(eng_result_colname(r, 0), "twice");
        assert_string_equal(eng_result_value(r, 0, 0), "42");
        assert_string_equal(eng_result_value(r, 0, 1), "repeatable read");
        assert_string_equal(eng_result_value(r, 0, 2), "1500ms");
        assert_true(eng_result_is_null(r, 0, 3));
        /* The rest of the transaction goes on as usual. */
        et_command(F.c, F.a, "INSERT INTO items VALUES (1, 'in tx')");
        assert_true(eng_commit(F.c, &err));
        assert_false(eng_conn_in_transaction(F.c));
        /* SET LOCAL ended with the transaction. */
        assert_string_equal(et_scalar(F.c, F.a, "SHOW statement_timeout"), "0");
    }
    assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM items"), "2");

    /* Defaults: no isolation level, no timeout; writes and affected rows. */
    err_report err;
    err_init(&err, F.a);
    bool began = false;
    eng_result *r = begin_exec(F.c, NULL, 0, true, "UPDATE items SET b = $1", "x", &began, &err);
    ts_assert_ok(&err, "eng_begin_exec UPDATE");
    assert_true(began);
    assert_int_equal(eng_result_affected(r), 2);
    assert_string_equal(et_scalar(F.c, F.a, "SHOW transaction_isolation"), "read committed");
    assert_true(eng_rollback(F.c, &err));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT string_agg(DISTINCT b, ',') FROM items"),
                        "in tx");
}

static void test_begin_exec_prepared_cache(void **state)
{
    (void) state;
    const char *sql = "SELECT $1::int + 7000";
    err_report err;
    err_init(&err, F.a);
    uint64_t before = eng_conn_prepare_count(F.c);
    bool began = false;
    /* Miss: the Parse travels in the same round trip. */
    eng_result *r = begin_exec(F.c, NULL, 0, true, sql, "1", &began, &err);
    ts_assert_ok(&err, "first");
    assert_string_equal(eng_result_value(r, 0, 0), "7001");
    assert_int_equal(eng_conn_prepare_count(F.c), before + 1);
    assert_true(eng_commit(F.c, &err));
    /* Hit, pipelined or not: no new prepare. */
    r = begin_exec(F.c, NULL, 0, true, sql, "2", &began, &err);
    assert_string_equal(eng_result_value(r, 0, 0), "7002");
    assert_string_equal(run_prepared(F.c, sql, "3"), "7003");
    assert_true(eng_commit(F.c, &err));
    assert_string_equal(run_prepared(F.c, sql, "4"), "7004");
    assert_int_equal(eng_conn_prepare_count(F.c), before + 1);
    ts_assert_ok(&err, "commits");

    /* Unprepared: nothing enters the cache. */
    r = begin_exec(F.c, NULL, 0, false, "SELECT $1::int + 8000", "1", &began, &err);
    assert_string_equal(eng_result_value(r, 0, 0), "8001");
    assert_int_equal(eng_conn_prepare_count(F.c), before + 1);
    assert_true(eng_rollback(F.c, &err));

    /* A statement that fails at its Parse is not cached, and leaves the
     * transaction failed like any failed statement. */
    err_init(&err, F.a);
    began = false;
    assert_null(begin_exec(F.c, NULL, 0, true, "SELEC $1", "1", &began, &err));
    assert_true(began);
    assert_string_equal(err.sqlstate, "42601");
    assert_true(eng_conn_in_transaction(F.c));
    err_report again;
    err_init(&again, F.a);
    assert_null(eng_exec(F.c, F.a, "SELECT 1", 0, NULL, &again));
    assert_string_equal(again.sqlstate, "25P02");
    assert_true(eng_rollback(F.c, &again));
    uint64_t n = eng_conn_prepare_count(F.c);
    err_init(&err, F.a);
    assert_null(eng_exec_prepared(F.c, F.a, "SELEC $1", 0, NULL, &err)); /* prepared again */
    assert_int_equal(eng_conn_prepare_count(F.c), n + 1);

    /* The server forgot the statement: inside the transaction the error
     * stands (26000), the name is forgotten, the next use prepares again. */
    et_command(F.c, F.a, "DEALLOCATE ALL");
    err_init(&err, F.a);
    assert_null(begin_exec(F.c, NULL, 0, true, sql, "5", &began, &err));
    assert_string_equal(err.sqlstate, "26000");
    assert_true(eng_rollback(F.c, &again));
    n = eng_conn_prepare_count(F.c);
    assert_string_equal(run_prepared(F.c, sql, "6"), "7006");
    assert_int_equal(eng_conn_prepare_count(F.c), n + 1);
}

static void test_begin_exec_large_statement(void **state)
{
    (void) state;
    /* Far more than a socket buffer of SQL and parameters in the same
     * pipeline as BEGIN (W5 binds 4,000 parameters): nothing blocks. */
    enum { N = 30000 };
    size_t cap = 2 * (size_t) N * 8 + 256, n = 0;
    char *sql = arena_alloc(F.a, cap);
    const char **values = ARENA_ARRAY(F.a, const char *, N);
    n += (size_t) snprintf(sql + n, cap - n, "SELECT array_length(ARRAY[");
    for (int i = 0; i < N; i++) {
        n += (size_t) snprintf(sql + n, cap - n, "%s$%d", i ? "," : "", i + 1);
        values[i] = arena_sprintf(F.a, "value number %d, padded to be a little longer", i);
    }
    n += (size_t) snprintf(sql + n, cap - n, "]::text[], 1), md5(array_to_string(ARRAY[");
    for (int i = 0; i < N; i++)
        n += (size_t) snprintf(sql + n, cap - n, "%s$%d", i ? "," : "", i + 1);
    snprintf(sql + n, cap - n, "]::text[], ''))");
    for (int prepared = 0; prepared < 2; prepared++) {
        err_report err;
        err_init(&err, F.a);
        bool began = false;
        eng_result *r = eng_begin_exec(F.c, F.a, "READ COMMITTED", 5000, prepared, sql, N,
                                       values, &began, &err);
        ts_assert_ok(&err, "large first statement");
        assert_true(began);
        assert_string_equal(eng_result_value(r, 0, 0), "30000");
        assert_int_equal(eng_result_length(r, 0, 1), 32);
        assert_true(eng_commit(F.c, &err));
    }
}

static void test_begin_exec_errors(void **state)
{
    (void) state;
    for (int prepared = 0; prepared < 2; prepared++) {
        et_command(F.c, F.a, "TRUNCATE users");
        err_report err;
        err_init(&err, F.a);
        const char *email = "dup@example.com";
        const char *ins = "INSERT INTO users (email) VALUES ($1)";
        assert_non_null(eng_exec(F.c, F.a, ins, 1, &email, &err));
        bool began = false;
        assert_null(begin_exec(F.c, "SERIALIZABLE", 5000, prepared, ins, email, &began, &err));
        /* Reported exactly as eng_exec reports it (test_unique_violation). */
        assert_true(began);
        assert_int_equal(err.kind, ERR_CONFLICT);
        assert_int_equal(err.status, 409);
        assert_string_equal(err.sqlstate, "23505");
        assert_string_equal(err.type, "unique-violation");
        assert_string_equal(err.constraint, "users_email_key");
        assert_string_equal(err.table, "users");
        assert_non_null(err.db_message);
        assert_null(strstr(err.detail, "already exists"));
        assert_false(eng_conn_is_broken(F.c));
        /* The transaction is failed, as after eng_begin + a failed statement. */
        assert_true(eng_conn_in_transaction(F.c));
        err_report c;
        err_init(&c, F.a);
        assert_false(eng_commit(F.c, &c));
        assert_string_equal(c.sqlstate, "25P02");
        assert_false(eng_conn_in_transaction(F.c));
    }

    /* Statement timeout set by the pipelined SET LOCAL: ERR_TIMEOUT. */
    for (int prepared = 0; prepared < 2; prepared++) {
        err_report err;
        err_init(&err, F.a);
        bool began = false;
        double t0 = ts_now();
        assert_null(
            begin_exec(F.c, NULL, 50, prepared, "SELECT pg_sleep($1::float8)", "2", &began, &err));
        double took = ts_now() - t0;
        assert_true(began);
        assert_int_equal(err.kind, ERR_TIMEOUT);
        assert_int_equal(err.status, 504);
        assert_string_equal(err.sqlstate, "57014");
        assert_true(took < 1.5);
        assert_false(eng_conn_is_broken(F.c));
        assert_true(eng_conn_in_transaction(F.c)); /* failed, still open */
        assert_true(eng_rollback(F.c, NULL));
        assert_string_equal(et_scalar(F.c, F.a, "SHOW statement_timeout"), "0");
    }

    /* Refused before anything is sent: no transaction, began false. */
    const char *bad_level = "READ COMMITTED; DROP TABLE users";
    err_report err;
    err_init(&err, F.a);
    bool began = true;
    assert_null(begin_exec(F.c, bad_level, 0, true, "SELECT 1", NULL, &began, &err));
    assert_false(began);
    assert_int_equal(err.kind, ERR_BAD_REQUEST);
    assert_non_null(err.hint);
    assert_false(eng_conn_in_transaction(F.c));
    err_init(&err, F.a);
    assert_null(begin_exec(F.c, NULL, -1, true, "SELECT 1", NULL, &began, &err));
    assert_int_equal(err.kind, ERR_BAD_REQUEST);
    err_init(&err, F.a);
    assert_null(begin_exec(F.c, NULL, 0, true, NULL, NULL, &began, &err));
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_false(eng_conn_in_transaction(F.c));
    assert_true(eng_begin(F.c, NULL, 0, &err));
    assert_null(begin_exec(F.c, NULL, 0, true, "SELECT 1", NULL, &began, &err));
    assert_false(began);
    assert_int_equal(err.kind, ERR_INTERNAL); /* already in a transaction */
    assert_true(eng_rollback(F.c, NULL));

    /* The parameter count refused by the server (08P01): a bug of ours,
     * the connection lives on. */
    err_init(&err, F.a);
    const char *two[2] = {"1", "2"};
    assert_null(
        eng_begin_exec(F.c, F.a, NULL, 0, true, "SELECT $1::int + 1", 2, two, &began, &err));
    assert_string_equal(err.sqlstate, "08P01");
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_false(eng_conn_is_broken(F.c));
    assert_true(eng_rollback(F.c, NULL));

    /* COPY cannot run through it: refused (CopyFail) as eng_exec refuses
     * it; the statement failed, the connection stays usable. */
    err_init(&err, F.a);
    assert_null(
        begin_exec(F.c, NULL, 0, false, "COPY items (a, b) FROM STDIN", NULL, &began, &err));
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_true(began);
    assert_false(eng_conn_is_broken(F.c));
    assert_true(eng_conn_in_transaction(F.c));
    assert_true(eng_rollback(F.c, NULL));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT 1"), "1");
}

/* ---- COPY -------------------------------------------------------------------- */

static void test_copy_in(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    const char data[] = "1\tone\n2\t\\N\n3\tthree\n";
    int64_t n = eng_copy_in(F.c, "COPY items (a, b) FROM STDIN", data, strlen(data), &err);
    ts_assert_ok(&err, "copy");
    assert_int_equal(n, 3);
    eng_result *r = eng_exec(F.c, F.a, "SELECT a, b FROM items ORDER BY a", 0, NULL, &err);
    assert_int_equal(eng_result_rows(r), 3);
    assert_string_equal(eng_result_value(r, 0, 1), "one");
    assert_true(eng_result_is_null(r, 1, 1));
    assert_string_equal(eng_result_value(r, 2, 0), "3");

    /* A big one, sent in several chunks. */
    size_t rows = 50000, cap = rows * 16, len = 0;
    char *big = arena_alloc(F.a, cap);
    for (size_t i = 0; i < rows; i++)
        len += (size_t) snprintf(big + len, cap - len, "%zu\trow%zu\n", i, i);
    n = eng_copy_in(F.c, "COPY items (a, b) FROM STDIN", big, len, &err);
    ts_assert_ok(&err, "big copy");
    assert_int_equal(n, (int64_t) rows);

    /* Bad data: classified, and the connection stays usable. */
    const char bad[] = "1\tok\nnot-a-number\tx\n";
    err_init(&err, F.a);
    assert_int_equal(eng_copy_in(F.c, "COPY items (a, b) FROM STDIN", bad, strlen(bad), &err), -1);
    assert_string_equal(err.sqlstate, "22P02");
    assert_int_equal(err.status, 422);
    assert_false(eng_conn_is_broken(F.c));
    assert_false(eng_conn_in_transaction(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM items"), "50003");

    /* Not a COPY FROM STDIN. */
    err_init(&err, F.a);
    assert_int_equal(eng_copy_in(F.c, "SELECT 1", "", 0, &err), -1);
    assert_int_equal(err.kind, ERR_INTERNAL);
    err_init(&err, F.a);
    assert_int_equal(eng_copy_in(F.c, "COPY nosuch FROM STDIN", "", 0, &err), -1);
    assert_string_equal(err.sqlstate, "42P01");
    assert_string_equal(et_scalar(F.c, F.a, "SELECT 1"), "1");

    /* COPY through eng_exec is refused and leaves the connection usable. */
    err_init(&err, F.a);
    assert_null(eng_exec(F.c, F.a, "COPY items (a, b) FROM STDIN", 0, NULL, &err));
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_false(eng_conn_is_broken(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM items"), "50003");
}

/* ---- transactions -------------------------------------------------------------- */

static void test_begin_commit_rollback(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    assert_false(eng_conn_in_transaction(F.c));

    assert_true(eng_begin(F.c, NULL, 0, &err));
    assert_true(eng_conn_in_transaction(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SHOW transaction_isolation"), "read committed");
    et_command(F.c, F.a, "INSERT INTO items VALUES (1, 'kept')");
    assert_true(eng_commit(F.c, &err));
    assert_false(eng_conn_in_transaction(F.c));

    assert_true(eng_begin(F.c, "REPEATABLE READ", 0, &err));
    et_command(F.c, F.a, "INSERT INTO items VALUES (2, 'dropped')");
    assert_true(eng_rollback(F.c, &err));
    assert_false(eng_conn_in_transaction(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT string_agg(b, ',') FROM items"), "kept");

    static const struct {
        const char *given, *shown;
    } levels[] = {
        {"SERIALIZABLE", "serializable"},
        {"repeatable read", "repeatable read"},
        {"read_committed", "read committed"},
        {"READ UNCOMMITTED", "read uncommitted"},
    };
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        assert_true(eng_begin(F.c, levels[i].given, 0, &err));
        assert_string_equal(et_scalar(F.c, F.a, "SHOW transaction_isolation"), levels[i].shown);
        assert_true(eng_commit(F.c, &err));
    }
    ts_assert_ok(&err, "transactions");

    /* A second BEGIN is a bug in the caller, not a warning. */
    assert_true(eng_begin(F.c, NULL, 0, &err));
    assert_false(eng_begin(F.c, NULL, 0, &err));
    assert_int_equal(err.kind, ERR_INTERNAL);
    assert_true(eng_rollback(F.c, NULL));
}

static void test_bad_isolation_rejected(void **state)
{
    (void) state;
    const char *bad[] = {"READ COMMITTED; DROP TABLE users", "SNAPSHOT", "serializable ",
                         "READ  COMMITTED", "AUTOCOMMIT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_report err;
        err_init(&err, F.a);
        assert_false(eng_begin(F.c, bad[i], 0, &err));
        assert_int_equal(err.kind, ERR_BAD_REQUEST);
        assert_int_equal(err.status, 400);
        assert_non_null(err.hint);
        assert_false(eng_conn_in_transaction(F.c));
    }
    err_report err;
    err_init(&err, F.a);
    assert_false(eng_begin(F.c, NULL, -5, &err));
    assert_int_equal(err.kind, ERR_BAD_REQUEST);
    assert_string_equal(et_scalar(F.c, F.a, "SELECT to_regclass('users') IS NOT NULL"), "t");
}

static void test_commit_of_failed_transaction(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_begin(F.c, "SERIALIZABLE", 0, &err));
    et_command(F.c, F.a, "INSERT INTO items VALUES (7, 'lost')");
    assert_null(eng_exec(F.c, F.a, "SELECT 1/0", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "22012");

    err_init(&err, F.a);
    assert_null(eng_exec(F.c, F.a, "SELECT 1", 0, NULL, &err)); /* aborted */
    assert_string_equal(err.sqlstate, "25P02");
    err_init(&err, F.a);
    assert_null(eng_exec_prepared(F.c, F.a, "SELECT 1", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "25P02");

    err_init(&err, F.a);
    assert_false(eng_commit(F.c, &err)); /* COMMIT answers ROLLBACK */
    assert_string_equal(err.sqlstate, "25P02");
    assert_false(eng_conn_in_transaction(F.c));
    assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM items"), "0");
}

/* ---- the last statement with COMMIT (eng_exec_commit) --------------------------- */

static void test_exec_commit(void **state)
{
    (void) state;
    for (int prepared = 0; prepared < 2; prepared++) {
        err_report err;
        err_init(&err, F.a);
        bool committed = true;
        et_command(F.c, F.a, "DELETE FROM items");
        /* Outside a transaction: refused, nothing sent. */
        const char *v[] = {"11"};
        assert_null(eng_exec_commit(F.c, F.a, prepared, "INSERT INTO items VALUES ($1::int, 'b')",
                                    1, v, &committed, &err));
        assert_false(committed);
        assert_int_equal(err.kind, ERR_INTERNAL);

        /* Committed with its statement: the result and the transaction. */
        err_init(&err, F.a);
        assert_true(eng_begin(F.c, NULL, 0, &err));
        et_command(F.c, F.a, "INSERT INTO items VALUES (10, 'a')");
        eng_result *r = eng_exec_commit(F.c, F.a, prepared,
                                        "INSERT INTO items VALUES ($1::int, 'b') RETURNING a", 1,
                                        v, &committed, &err);
        ts_assert_ok(&err, "eng_exec_commit");
        assert_non_null(r);
        assert_true(committed);
        assert_string_equal(eng_result_value(r, 0, 0), "11");
        assert_false(eng_conn_in_transaction(F.c));
        assert_string_equal(et_scalar(F.c, F.a, "SELECT string_agg(b, ',' ORDER BY a) FROM items"),
                            "a,b");

        /* A failing statement never commits: the transaction is left failed. */
        assert_true(eng_begin(F.c, NULL, 0, &err));
        et_command(F.c, F.a, "INSERT INTO items VALUES (20, 'x')");
        assert_null(eng_exec_commit(F.c, F.a, prepared,
                                    "INSERT INTO users (email, age) VALUES ('c@x.org', -1)", 0,
                                    NULL, &committed, &err));
        assert_false(committed);
        assert_string_equal(err.sqlstate, "23514");
        assert_true(eng_conn_in_transaction(F.c));
        assert_true(eng_rollback(F.c, NULL));
        assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM items WHERE a = 20"), "0");

        /* A failing COMMIT (a deferred unique constraint): no transaction left. */
        err_init(&err, F.a);
        et_command(F.c, F.a,
                   "CREATE TEMP TABLE IF NOT EXISTS deferred (a int UNIQUE DEFERRABLE INITIALLY "
                   "DEFERRED); DELETE FROM deferred");
        assert_true(eng_begin(F.c, NULL, 0, &err));
        et_command(F.c, F.a, "INSERT INTO deferred VALUES (1)");
        assert_null(eng_exec_commit(F.c, F.a, prepared, "INSERT INTO deferred VALUES (1)", 0,
                                    NULL, &committed, &err));
        assert_false(committed);
        assert_string_equal(err.sqlstate, "23505");
        assert_false(eng_conn_in_transaction(F.c));
        assert_string_equal(et_scalar(F.c, F.a, "SELECT count(*) FROM deferred"), "0");
        assert_false(eng_conn_is_broken(F.c));
    }
}

static void test_exec_command(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_exec_command(F.c, "SET application_name = 'x'; RESET application_name", &err));
    assert_false(eng_exec_command(F.c, "SET no_such_setting = 1", &err));
    assert_string_equal(err.sqlstate, "42704");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_params_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_accessors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_null_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_error_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_keeps_sql_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_count_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_same_sql_prepares_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_lru_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_statements_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepared_error_is_classified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_exec_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_exec_prepared_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_exec_large_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_exec_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_commit_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_isolation_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_of_failed_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
