/*
 * test_core_cache_exec — the compiled-statement cache and the
 * per-connection prepared statements together, on a real PostgreSQL: one
 * statement shape compiles once and is prepared once per connection
 * whatever its values (IN-list lengths included); PgBouncer mode
 * (prepared_statements off) gives the same results with nothing prepared.
 *
 * Pools of one connection make "the connection" well defined: every
 * session of such a pool runs on the same backend. Tables are prefixed
 * "cc_"; test_core_exec uses "cx_".
 */
#include "core_exec_fixture.h"

static ce_fixture F;

enum { N_ROWS = 50 };

/* cc_things: ids 1..50, n_int = id * 10, s_text "row<id>". Committed. */
static void seed(void)
{
    arena *a = arena_create(NULL, "test_core_cache_exec seed");
    ce_truncate(&F, a);
    orm_session *s = ce_session(a, F.pool, NULL);
    ce_sql(s, "INSERT INTO cc_things (n_int, s_text) "
              "SELECT g * 10, 'row' || g FROM generate_series(1, 50) g");
    err_report err;
    err_init(&err, a);
    assert_true(orm_session_commit(s, &err));
    arena_destroy(a);
}

static int group_setup(void **state)
{
    (void) state;
    if (ce_group_setup(&F, "cc_") != 0)
        return -1;
    seed();
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    return ce_group_teardown(&F);
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_core_cache_exec test");
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    arena_destroy(F.a);
    F.a = NULL;
    return 0;
}

/* ---- the two statement shapes ------------------------------------------------------ */

/* Shape A: SELECT id, n_int, s_text FROM cc_things WHERE n_int = $1 */
static eng_result *by_value(orm_session *s, int64_t n_int)
{
    err_report berr;
    err_init(&berr, F.a);
    sql_builder *b = sql_builder_new(F.a, &berr);
    sql_from *t = sql_from_table(b, F.things, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, t, "id"), NULL);
    sql_select_column(b, q, sql_col(b, t, "n_int"), NULL);
    sql_select_column(b, q, sql_col(b, t, "s_text"), NULL);
    sql_select_from(b, q, t);
    sql_select_where(b, q, sql_eq(b, sql_col(b, t, "n_int"), sql_bind(b, sql_val_int(n_int))));
    return ce_run(s, b, q, &berr);
}

/* Shape B: SELECT id FROM cc_things WHERE id = ANY($1::integer[]) ORDER BY
 * id LIMIT $2 */
static eng_result *by_ids(orm_session *s, const int64_t *ids, size_t n)
{
    err_report berr;
    err_init(&berr, F.a);
    sql_builder *b = sql_builder_new(F.a, &berr);
    sql_value *vals = ARENA_ARRAY(F.a, sql_value, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        vals[i] = sql_val_int(ids[i]);
    sql_from *t = sql_from_table(b, F.things, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, t, "id"), NULL);
    sql_select_from(b, q, t);
    sql_select_where(b, q, sql_in(b, sql_col(b, t, "id"), vals, n));
    sql_select_order_by(b, q, sql_col(b, t, "id"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(b, q, 100);
    return ce_run(s, b, q, &berr);
}

static const int64_t IDS[] = {3, 1, 4, 15, 9, 26, 5};
static const size_t LENGTHS[] = {0, 1, 2, 7, 3};

/* Runs shape A with 50 values, then shape B with lists of several lengths,
 * in one session; returns every result as JSON. Checks each result. */
static json_t *workload(orm_session *s, sql_cache *cache, uint64_t *prepares_after_a)
{
    json_t *all = json_array();
    for (int i = 1; i <= N_ROWS; i++) {
        eng_result *r = by_value(s, i * 10);
        assert_int_equal(eng_result_rows(r), 1);
        assert_int_equal(strtol(eng_result_value(r, 0, 0), NULL, 10), i);
        json_array_append_new(all, dto_rows(r));
    }
    if (cache) {
        sql_cache_stats st;
        sql_cache_get_stats(cache, &st);
        assert_int_equal(st.compiles, 1);
        assert_int_equal(st.misses, 1);
        assert_int_equal(st.hits, N_ROWS - 1);
        assert_int_equal(st.entries, 1);
    }
    err_report err;
    err_init(&err, F.a);
    eng_conn *c = orm_session_connection(s, &err);
    ts_assert_ok(&err, "connection");
    *prepares_after_a = eng_conn_prepare_count(c);

    for (size_t k = 0; k < sizeof LENGTHS / sizeof LENGTHS[0]; k++) {
        eng_result *r = by_ids(s, IDS, LENGTHS[k]);
        /* All of 3 1 4 15 9 26 5 exist (1..50). */
        assert_int_equal(eng_result_rows(r), (int) LENGTHS[k]);
        json_array_append_new(all, dto_rows(r));
    }
    if (cache) {
        sql_cache_stats st;
        sql_cache_get_stats(cache, &st);
        assert_int_equal(st.compiles, 2); /* the IN-list length is not part of the shape */
        assert_int_equal(st.entries, 2);
        assert_int_equal(st.hits, N_ROWS - 1 + sizeof LENGTHS / sizeof LENGTHS[0] - 1);
    }
    return all;
}

/* Statements the server holds for this connection, asked without
 * preparing anything. */
static long server_prepared(eng_conn *c)
{
    err_report err;
    err_init(&err, F.a);
    eng_result *r = eng_exec(c, F.a, "SELECT count(*) FROM pg_prepared_statements", 0, NULL, &err);
    ts_assert_ok(&err, "pg_prepared_statements");
    return strtol(eng_result_value(r, 0, 0), NULL, 10);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_one_shape_one_compile_one_prepare(void **state)
{
    (void) state;
    eng_pool *pool = ce_pool(&F, 1, true);
    sql_cache *cache = sql_cache_create(16);
    orm_session *s = ce_session(F.a, pool, cache);

    uint64_t after_a = 0;
    json_t *results = workload(s, cache, &after_a);
    assert_int_equal(after_a, 1); /* 50 executions, one Parse */

    err_report err;
    err_init(&err, F.a);
    eng_conn *c = orm_session_connection(s, &err);
    assert_int_equal(eng_conn_prepare_count(c), 2); /* the second shape: one more */
    assert_int_equal(server_prepared(c), 2);
    int pid = eng_conn_backend_pid(c);
    assert_true(orm_session_commit(s, &err));
    orm_session_close(s);

    /* A later session gets the same connection: both shapes are cache hits
     * and still prepared there. */
    orm_session *again = ce_session(F.a, pool, cache);
    eng_result *r = by_value(again, 420);
    assert_string_equal(eng_result_value(r, 0, 2), "row42");
    r = by_ids(again, IDS, 4);
    assert_int_equal(eng_result_rows(r), 4);
    c = orm_session_connection(again, &err);
    assert_int_equal(eng_conn_backend_pid(c), pid);
    assert_int_equal(eng_conn_prepare_count(c), 2);
    sql_cache_stats st;
    sql_cache_get_stats(cache, &st);
    assert_int_equal(st.compiles, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.hits, N_ROWS - 1 + 4 + 2);
    orm_session_close(again);

    /* Without a statement cache the compiler runs every time, but the SQL
     * text is the same, so the connection prepares nothing new. */
    orm_session *uncached = ce_session(F.a, pool, NULL);
    ce_json_same(dto_rows(by_value(uncached, 10)), json_incref(json_array_get(results, 0)));
    c = orm_session_connection(uncached, &err);
    assert_int_equal(eng_conn_prepare_count(c), 2);
    sql_cache_get_stats(cache, &st);
    assert_int_equal(st.compiles, 2);
    orm_session_close(uncached);
    ts_assert_ok(&err, "sessions");

    json_decref(results);
    sql_cache_destroy(cache);
    eng_pool_destroy(pool);
}

static void test_pgbouncer_mode_same_results(void **state)
{
    (void) state;
    /* Reference results with prepared statements. */
    eng_pool *prepared = ce_pool(&F, 1, true);
    sql_cache *cache1 = sql_cache_create(16);
    orm_session *s1 = ce_session(F.a, prepared, cache1);
    uint64_t after_a = 0;
    json_t *reference = workload(s1, cache1, &after_a);
    orm_session_close(s1);

    /* prepared_statements = false: unnamed statements only, even though
     * the session asks for prepared execution. */
    eng_pool *bouncer = ce_pool(&F, 1, false);
    sql_cache *cache2 = sql_cache_create(16);
    orm_session *s2 = ce_session(F.a, bouncer, cache2);
    json_t *results = workload(s2, cache2, &after_a);
    assert_int_equal(after_a, 0);
    err_report err;
    err_init(&err, F.a);
    eng_conn *c = orm_session_connection(s2, &err);
    ts_assert_ok(&err, "connection");
    assert_int_equal(eng_conn_prepare_count(c), 0);
    assert_int_equal(server_prepared(c), 0);
    ce_json_same(results, reference);
    orm_session_close(s2);

    sql_cache_destroy(cache1);
    sql_cache_destroy(cache2);
    eng_pool_destroy(prepared);
    eng_pool_destroy(bouncer);
}

/* One cache shared by a prepared pool and an unprepared one: the cache
 * does not care how statements run. */
static void test_cache_shared_between_modes(void **state)
{
    (void) state;
    sql_cache *cache = sql_cache_create(16);
    eng_pool *pools[2] = {ce_pool(&F, 1, true), ce_pool(&F, 1, false)};
    for (int p = 0; p < 2; p++) {
        orm_session *s = ce_session(F.a, pools[p], cache);
        for (int i = 1; i <= 10; i++) {
            eng_result *r = by_value(s, i * 10);
            assert_int_equal(strtol(eng_result_value(r, 0, 0), NULL, 10), i);
        }
        err_report err;
        err_init(&err, F.a);
        eng_conn *c = orm_session_connection(s, &err);
        assert_int_equal(eng_conn_prepare_count(c), p == 0 ? 1 : 0);
        orm_session_close(s);
    }
    sql_cache_stats st;
    sql_cache_get_stats(cache, &st);
    assert_int_equal(st.compiles, 1);
    assert_int_equal(st.hits, 19);
    sql_cache_destroy(cache);
    eng_pool_destroy(pools[0]);
    eng_pool_destroy(pools[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_shape_one_compile_one_prepare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pgbouncer_mode_same_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_shared_between_modes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
