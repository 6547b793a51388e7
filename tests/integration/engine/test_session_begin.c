/*
 * test_session_begin — the request session's first round trip against a
 * real PostgreSQL: BEGIN pipelined with the first statement
 * (eng_begin_exec) and the optimistic pre-ping (eng_pool_checkout_unpinged):
 * a pooled connection that died is replaced without the request noticing;
 * results, errors and the statement count (X-Query-Count) are what they
 * were with a separate ping and BEGIN.
 *
 * Runs on a private throw-away cluster (it kills backends and stops the
 * cluster); an "admin" pool on the side does the killing.
 */
#include "eng_testing.h"

#include "orm.h"

typedef struct fixture {
    ts_cluster cluster;
    eng_pool *admin;
    arena *a;
} fixture;

static fixture F;

static eng_pool *make_pool(bool pre_ping)
{
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.cluster.url;
    o.pool_size = 1;
    o.max_overflow = 0;
    o.pool_timeout = 2;
    o.connect_timeout = 2;
    o.pre_ping = pre_ping;
    o.application_name = "retort-test-session";
    err_report err;
    err_init(&err, F.a);
    eng_pool *p = eng_pool_create(&o, &err);
    ts_assert_ok(&err, "eng_pool_create");
    assert_non_null(p);
    return p;
}

static eng_pool_status status_of(eng_pool *p)
{
    eng_pool_status s;
    eng_pool_get_status(p, &s);
    return s;
}

static orm_session *open_session(eng_pool *p, bool prepared, int timeout_ms)
{
    orm_session_options o = {
        .pool = p,
        .isolation_level = "READ COMMITTED",
        .statement_timeout_ms = timeout_ms,
        .use_prepared = prepared,
        .expire_on_commit = true,
    };
    return orm_session_open(F.a, &o);
}

static uint64_t statements(const orm_session *s)
{
    orm_session_stats st;
    orm_session_get_stats(s, &st);
    return st.statements;
}

static int backend_pid(eng_pool *p)
{
    eng_conn *c = et_checkout(p, F.a);
    int pid = eng_conn_backend_pid(c);
    eng_pool_checkin(p, c);
    return pid;
}

static void terminate_backend(int pid)
{
    eng_conn *c = et_checkout(F.admin, F.a);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)", pid);
    assert_string_equal(et_scalar(c, F.a, sql), "t");
    eng_pool_checkin(F.admin, c);
}

static int group_setup(void **state)
{
    (void) state;
    if (!ts_cluster_start(&F.cluster))
        return -1;
    F.a = arena_create(NULL, "test_session_begin");
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.cluster.url;
    o.pool_size = 1;
    o.pre_ping = true;
    o.application_name = "retort-test-admin";
    err_report err;
    err_init(&err, F.a);
    F.admin = eng_pool_create(&o, &err);
    if (!F.admin)
        return -1;
    eng_conn *c = eng_pool_checkout(F.admin, &err);
    bool ok = c && eng_exec_command(c,
                                    "CREATE TABLE sb_users (id serial PRIMARY KEY, email text "
                                    "NOT NULL CONSTRAINT sb_users_email_key UNIQUE)",
                                    &err);
    eng_pool_checkin(F.admin, c);
    return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void) state;
    eng_pool_destroy(F.admin);
    ts_cluster_destroy(&F.cluster);
    arena_destroy(F.a);
    return 0;
}

/* ------------------------------------------------------------------------ */

static void test_dead_pooled_connection_replaced_transparently(void **state)
{
    (void) state;
    for (int prepared = 0; prepared < 2; prepared++) {
        eng_pool *p = make_pool(true);
        int pid1 = backend_pid(p);
        terminate_backend(pid1);

        /* The next session's first statement: no error, another backend,
         * one statement counted. */
        orm_session *s = open_session(p, prepared, 5000);
        err_report err;
        err_init(&err, F.a);
        eng_result *r = orm_session_execute(
            s, "SELECT pg_backend_pid(), current_setting('statement_timeout')", 0, NULL, &err);
        ts_assert_ok(&err, "first statement on a dead pooled connection");
        assert_non_null(r);
        assert_int_not_equal(strtol(eng_result_value(r, 0, 0), NULL, 10), pid1);
        assert_string_equal(eng_result_value(r, 0, 1), "5s");
        assert_true(orm_session_in_transaction(s));
        assert_int_equal(statements(s), 1);
        assert_true(orm_session_commit(s, &err));
        orm_session_close(s);
        eng_pool_status st = status_of(p);
        assert_int_equal(st.invalidated, 1);
        assert_int_equal(st.pings_failed, 1);
        assert_int_equal(st.connects, 2);
        assert_int_equal(st.checked_out, 0);
        assert_int_equal(st.checked_in, 1);

        /* Through orm_session_connection (a BEGIN of its own) too. */
        terminate_backend(backend_pid(p));
        s = open_session(p, prepared, 0);
        eng_conn *c = orm_session_connection(s, &err);
        ts_assert_ok(&err, "orm_session_connection on a dead pooled connection");
        assert_non_null(c);
        assert_true(eng_conn_in_transaction(c));
        assert_int_equal(statements(s), 0);
        eng_result *r2 = orm_session_execute(s, "SELECT 2", 0, NULL, &err);
        ts_assert_ok(&err, "SELECT 2");
        assert_string_equal(eng_result_value(r2, 0, 0), "2");
        assert_int_equal(statements(s), 1);
        orm_session_close(s);
        st = status_of(p);
        assert_int_equal(st.invalidated, 2);
        assert_int_equal(st.pings_failed, 2);
        assert_int_equal(st.checked_out, 0);
        eng_pool_destroy(p);
    }
}

static void test_healthy_connection_is_not_pinged(void **state)
{
    (void) state;
    eng_pool *p = make_pool(true);
    int pid = backend_pid(p);
    for (int i = 0; i < 3; i++) {
        orm_session *s = open_session(p, true, 5000);
        err_report err;
        err_init(&err, F.a);
        eng_result *r = orm_session_execute(s, "SELECT pg_backend_pid()", 0, NULL, &err);
        ts_assert_ok(&err, "select");
        assert_int_equal(strtol(eng_result_value(r, 0, 0), NULL, 10), pid);
        /* A second transaction in the same session: BEGIN pipelined again. */
        assert_true(orm_session_commit(s, &err));
        assert_false(orm_session_in_transaction(s));
        r = orm_session_execute(s, "SELECT count(*) FROM sb_users", 0, NULL, &err);
        ts_assert_ok(&err, "second transaction");
        assert_true(orm_session_in_transaction(s));
        assert_int_equal(statements(s), 2);
        orm_session_close(s);
    }
    eng_pool_status st = status_of(p);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.invalidated, 0);
    assert_int_equal(st.pings_failed, 0);
    eng_pool_destroy(p);
}

static void test_first_statement_errors_and_counts(void **state)
{
    (void) state;
    eng_pool *p = make_pool(true);
    for (int prepared = 0; prepared < 2; prepared++) {
        orm_session *s = open_session(p, prepared, 5000);
        err_report err;
        err_init(&err, F.a);
        const char *email[1] = {prepared ? "p@example.com" : "u@example.com"};
        const char *ins = "INSERT INTO sb_users (email) VALUES ($1) RETURNING id";
        assert_non_null(orm_session_execute(s, ins, 1, email, &err));
        assert_true(orm_session_commit(s, &err));
        orm_session_close(s);

        /* Unique violation as the first statement: reported with its
         * constraint, counted, the transaction failed. */
        s = open_session(p, prepared, 5000);
        assert_null(orm_session_execute(s, ins, 1, email, &err));
        assert_int_equal(err.kind, ERR_CONFLICT);
        assert_int_equal(err.status, 409);
        assert_string_equal(err.sqlstate, "23505");
        assert_string_equal(err.constraint, "sb_users_email_key");
        assert_string_equal(err.table, "sb_users");
        assert_int_equal(statements(s), 1);
        assert_true(orm_session_in_transaction(s));
        err_report again;
        err_init(&again, F.a);
        assert_null(orm_session_execute(s, "SELECT 1", 0, NULL, &again));
        assert_string_equal(again.sqlstate, "25P02");
        assert_int_equal(statements(s), 2);
        orm_session_rollback(s);
        assert_false(orm_session_in_transaction(s));
        orm_session_close(s);

        /* Statement timeout from the session options: 504. */
        s = open_session(p, prepared, 50);
        err_init(&err, F.a);
        double t0 = ts_now();
        assert_null(orm_session_execute(s, "SELECT pg_sleep(2)", 0, NULL, &err));
        assert_true(ts_now() - t0 < 1.5);
        assert_int_equal(err.kind, ERR_TIMEOUT);
        assert_int_equal(err.status, 504);
        assert_string_equal(err.sqlstate, "57014");
        assert_int_equal(statements(s), 1);
        orm_session_close(s);

        /* An unknown isolation level: 400, nothing sent, nothing counted. */
        s = open_session(p, prepared, 5000);
        err_init(&err, F.a);
        assert_true(orm_session_set_isolation(s, "SNAPSHOT", &err));
        assert_null(orm_session_execute(s, "SELECT 1", 0, NULL, &err));
        assert_int_equal(err.kind, ERR_BAD_REQUEST);
        assert_int_equal(statements(s), 0);
        assert_false(orm_session_in_transaction(s));
        orm_session_close(s);
    }
    eng_pool_status st = status_of(p);
    assert_int_equal(st.invalidated, 0);
    assert_int_equal(st.checked_out, 0);
    eng_pool_destroy(p);
}

static void test_without_pre_ping_the_error_surfaces(void **state)
{
    (void) state;
    /* pool_pre_ping off: no ping to fold, so no replacement (as before). */
    eng_pool *p = make_pool(false);
    int pid1 = backend_pid(p);
    terminate_backend(pid1);
    orm_session *s = open_session(p, true, 5000);
    err_report err;
    err_init(&err, F.a);
    assert_null(orm_session_execute(s, "SELECT 1", 0, NULL, &err));
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_int_equal(err.status, 503);
    assert_int_equal(statements(s), 0);
    orm_session_close(s);
    eng_pool_status st = status_of(p);
    assert_int_equal(st.invalidated, 1);
    assert_int_equal(st.pings_failed, 0);
    assert_int_not_equal(backend_pid(p), pid1);
    eng_pool_destroy(p);
}

static void test_database_down(void **state)
{
    (void) state;
    eng_pool *p = make_pool(true);
    (void) backend_pid(p);
    assert_true(ts_cluster_stop(&F.cluster));

    /* The pooled connection is dead and no new one can be opened: 503,
     * whichever round trip finds out. */
    orm_session *s = open_session(p, true, 5000);
    err_report err;
    err_init(&err, F.a);
    double t0 = ts_now();
    assert_null(orm_session_execute(s, "SELECT 1", 0, NULL, &err));
    assert_true(ts_now() - t0 < 3);
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_int_equal(err.status, 503);
    assert_memory_equal(err.sqlstate, "08", 2);
    assert_int_equal(statements(s), 0);
    orm_session_close(s);
    eng_pool_status st = status_of(p);
    assert_int_equal(st.checked_out, 0);
    assert_int_equal(st.checked_in, 0);
    assert_int_equal(st.invalidated, 1);
    assert_int_equal(st.pings_failed, 1);

    assert_true(ts_cluster_restart(&F.cluster));
    s = open_session(p, true, 5000);
    err_init(&err, F.a);
    eng_result *r = orm_session_execute(s, "SELECT 3", 0, NULL, &err);
    ts_assert_ok(&err, "after the restart");
    assert_string_equal(eng_result_value(r, 0, 0), "3");
    orm_session_close(s);
    eng_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_pooled_connection_replaced_transparently),
        cmocka_unit_test(test_healthy_connection_is_not_pinged),
        cmocka_unit_test(test_first_statement_errors_and_counts),
        cmocka_unit_test(test_without_pre_ping_the_error_surfaces),
        cmocka_unit_test(test_database_down),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
