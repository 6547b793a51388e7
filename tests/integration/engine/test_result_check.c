/*
 * test_result_check — a named statement's result is refused when its row
 * description is not the statement's, and statement names never meet
 * across connections and pools.
 *
 * The mismatch is forced the way a pooler or a stray PREPARE would cause
 * it: the server-side statement behind the cached name is replaced (by
 * SQL, DEALLOCATE + PREPARE under the same name) with one of another
 * shape. The next execution must fail with a retryable 503, close the
 * connection at checkin and never hand out the rows; the next connection
 * works. Both execution paths are covered: eng_exec_prepared and the
 * pipelined eng_begin_exec.
 */
#include "eng_testing.h"

#include <regex.h>

typedef struct fixture {
    ts_cluster cluster;
    char url[512];
    eng_pool *pool;
    arena *a;
} fixture;

static fixture F;

static eng_pool *make_pool(void)
{
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.url;
    o.pool_size = 2;
    o.max_overflow = 0;
    o.pool_timeout = 5;
    o.connect_timeout = 5;
    err_report err;
    err_init(&err, NULL);
    eng_pool *p = eng_pool_create(&o, &err);
    assert_non_null(p);
    return p;
}

static int group_setup(void **state)
{
    (void) state;
    return ts_database_or_cluster(&F.cluster, F.url, sizeof F.url) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void) state;
    ts_cluster_destroy(&F.cluster);
    return 0;
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_result_check");
    F.pool = make_pool();
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    eng_pool_destroy(F.pool);
    arena_destroy(F.a);
    return 0;
}

static const char *const SQL = "SELECT $1::int AS a, 'x'::text AS b";

/* The server-side name of a statement this session prepared. */
static const char *server_name(eng_conn *c, const char *sql)
{
    const char *params[] = {sql};
    err_report err;
    err_init(&err, F.a);
    eng_result *r = eng_exec(c, F.a, "SELECT name FROM pg_prepared_statements WHERE statement = $1",
                             1, params, &err);
    ts_assert_ok(&err, "pg_prepared_statements");
    assert_int_equal(eng_result_rows(r), 1);
    return arena_strdup(F.a, eng_result_value(r, 0, 0));
}

/* Replaces the statement behind name with another of a different shape. */
static void swap_statement(eng_conn *c, const char *name, const char *other)
{
    et_command(c, F.a, arena_sprintf(F.a, "DEALLOCATE %s", name));
    et_command(c, F.a, arena_sprintf(F.a, "PREPARE %s(int) AS %s", name, other));
}

static eng_result *run(eng_conn *c, err_report *err)
{
    const char *params[] = {"7"};
    return eng_exec_prepared(c, F.a, SQL, 1, params, err);
}

static void expect_refused(eng_conn *c, eng_result *r, const err_report *err)
{
    assert_null(r);
    assert_int_equal(err->status, 503);
    assert_true(err->retry_after > 0);
    eng_pool_status before, after;
    eng_pool_get_status(F.pool, &before);
    eng_pool_checkin(F.pool, c);
    eng_pool_get_status(F.pool, &after);
    assert_int_equal(after.invalidated, before.invalidated + 1);
    assert_int_equal(after.checked_in, before.checked_in); /* closed, not pooled */
}

static void expect_works_again(void)
{
    eng_conn *c = et_checkout(F.pool, F.a);
    err_report err;
    err_init(&err, F.a);
    eng_result *r = run(c, &err);
    ts_assert_ok(&err, "after the mismatch");
    assert_string_equal(eng_result_value(r, 0, 0), "7");
    assert_string_equal(eng_result_value(r, 0, 1), "x");
    eng_pool_checkin(F.pool, c);
}

static void test_names_are_unique_per_pool_and_connection(void **state)
{
    (void) state;
    eng_pool *other = make_pool();
    eng_conn *c1 = et_checkout(F.pool, F.a);
    eng_conn *c2 = et_checkout(F.pool, F.a);
    eng_conn *c3 = et_checkout(other, F.a);
    err_report err;
    err_init(&err, F.a);
    assert_non_null(run(c1, &err));
    assert_non_null(run(c2, &err));
    assert_non_null(run(c3, &err));
    ts_assert_ok(&err, "run");
    const char *n1 = server_name(c1, SQL), *n2 = server_name(c2, SQL), *n3 = server_name(c3, SQL);
    regex_t re;
    assert_int_equal(regcomp(&re, "^rs_[0-9a-f]+_[0-9a-f]+_[0-9a-f]+$", REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, n1, 0, NULL, 0), 0);
    regfree(&re);
    assert_string_not_equal(n1, n2);
    assert_string_not_equal(n1, n3);
    assert_string_not_equal(n2, n3);
    /* A direct connection is no pooler: named statements stay on. */
    eng_pool_status st;
    eng_pool_get_status(F.pool, &st);
    assert_false(st.behind_pooler);
    eng_pool_checkin(F.pool, c1);
    eng_pool_checkin(F.pool, c2);
    eng_pool_checkin(other, c3);
    eng_pool_destroy(other);
}

static void test_types_and_names_swapped(void **state)
{
    (void) state;
    eng_conn *c = et_checkout(F.pool, F.a);
    err_report err;
    err_init(&err, F.a);
    assert_non_null(run(c, &err)); /* learns the shape */
    swap_statement(c, server_name(c, SQL), "SELECT $1::text AS b, 1 AS a");
    eng_result *r = run(c, &err);
    expect_refused(c, r, &err);
    eng_pool_status st;
    eng_pool_get_status(F.pool, &st);
    assert_int_equal(st.shape_mismatches, 1);
    expect_works_again();
}

static void test_same_names_other_types(void **state)
{
    (void) state;
    eng_conn *c = et_checkout(F.pool, F.a);
    err_report err;
    err_init(&err, F.a);
    assert_non_null(run(c, &err));
    swap_statement(c, server_name(c, SQL), "SELECT $1::bigint AS a, 'x'::varchar AS b");
    expect_refused(c, run(c, &err), &err);
    expect_works_again();
}

static void test_extra_column(void **state)
{
    (void) state;
    eng_conn *c = et_checkout(F.pool, F.a);
    err_report err;
    err_init(&err, F.a);
    assert_non_null(run(c, &err));
    swap_statement(c, server_name(c, SQL), "SELECT $1::int AS a, 'x'::text AS b, 0 AS c");
    expect_refused(c, run(c, &err), &err);
    expect_works_again();
}

/* The pipelined first round trip of a transaction checks too. */
static void test_pipelined_path(void **state)
{
    (void) state;
    eng_conn *c = et_checkout(F.pool, F.a);
    err_report err;
    err_init(&err, F.a);
    const char *params[] = {"7"};
    bool began = false;
    eng_result *r = eng_begin_exec(c, F.a, NULL, 0, true, SQL, 1, params, &began, &err);
    ts_assert_ok(&err, "begin_exec");
    assert_non_null(r);
    assert_true(eng_commit(c, &err));
    swap_statement(c, server_name(c, SQL), "SELECT 'y'::text AS a, $1::int AS b");
    r = eng_begin_exec(c, F.a, NULL, 0, true, SQL, 1, params, &began, &err);
    assert_true(began);
    expect_refused(c, r, &err);
    expect_works_again();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_names_are_unique_per_pool_and_connection, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_types_and_names_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_names_other_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
