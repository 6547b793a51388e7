/*
 * Shape keys and the compiled-statement cache: one compile per shape,
 * values never in the key, bounded LRU, errors not cached, and 4 threads
 * sharing one cache.
 */
#include "golden_cases.h"

#include "strbuf.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* SELECT users.id FROM users WHERE email = $1 AND id = ANY($2) LIMIT $3 */
static sql_node *lookup(sql_builder *b, const sql_table *users, const char *email,
                        const sql_value *ids, size_t n_ids, int64_t limit)
{
    sql_from *u = sql_from_table(b, users, NULL);
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, u);
    sql_select_column(b, s, sql_col(b, u, "id"), NULL);
    sql_select_where(b, s, sql_eq(b, sql_col(b, u, "email"), sql_bind(b, sql_val_str(email))));
    sql_select_where(b, s, sql_in(b, sql_col(b, u, "id"), ids, n_ids));
    sql_select_limit(b, s, limit);
    return SQL_NODE(s);
}

static const char LOOKUP_SQL[] = "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"email\" "
                                 "= $1 AND \"users\".\"id\" = ANY($2::uuid[]) LIMIT $3";

static void test_same_shape_compiles_once(void **state)
{
    fixture *fx = *state;
    sql_cache *c = sql_cache_create(16);
    for (int i = 0; i < 100; i++) {
        char email[32], limit[8];
        snprintf(email, sizeof email, "u%d@x", i);
        snprintf(limit, sizeof limit, "%d", i + 1);
        sql_value ids[3] = {sql_val_str("a"), sql_val_str("b"), sql_val_null()};
        /* The IN list's length varies too: still one array parameter. */
        sql_node *q = lookup(fx->b, fx->users, email, ids, (size_t) (i % 4), i + 1);
        sql_compiled out;
        assert_true(sql_cache_compile(c, q, fx->a, &out, &fx->err));
        assert_string_equal(out.sql, LOOKUP_SQL);
        assert_int_equal(out.n_params, 3);
        assert_string_equal(out.params[0], email);
        const char *arrays[] = {"{}", "{\"a\"}", "{\"a\",\"b\"}", "{\"a\",\"b\",NULL}"};
        assert_string_equal(out.params[1], arrays[i % 4]);
        assert_string_equal(out.params[2], limit);
    }
    sql_cache_stats st;
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.compiles, 1);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.hits, 99);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.capacity, 16);
    sql_cache_destroy(c);
}

static void test_shape_ignores_values(void **state)
{
    fixture *fx = *state;
    sql_value one[] = {sql_val_str("x")};
    sql_value many[] = {sql_val_str("x"), sql_val_str("y"), sql_val_str("z")};
    sql_shape a, b;
    assert_true(sql_shape_of(lookup(fx->b, fx->users, "a", one, 1, 1), fx->a, &a, &fx->err));
    assert_true(sql_shape_of(lookup(fx->b, fx->users, "other", many, 3, 99), fx->a, &b, &fx->err));
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.key, b.key, a.len);
    assert_true(a.hash == b.hash);
    assert_int_equal(a.n_params, 3);
    const char **va = sql_shape_param_values(&a, fx->a);
    assert_string_equal(va[0], "a");
    assert_string_equal(va[1], "{\"x\"}");
    assert_string_equal(va[2], "1");
}

/* Every golden case: the cache gives what the compiler gives, the second
 * time from the cache; different SQL never shares a key. */
static void test_golden_cases_through_cache(void **state)
{
    fixture *fx = *state;
    sql_cache *c = sql_cache_create(0);
    sql_shape *shapes = ARENA_ARRAY(fx->a, sql_shape, n_golden_cases);
    for (size_t i = 0; i < n_golden_cases; i++) {
        const golden_case *gc = &golden_cases[i];
        for (int round = 0; round < 2; round++) {
            sql_node *stmt = gc->build(fx);
            sql_compiled out;
            if (!sql_cache_compile(c, stmt, fx->a, &out, &fx->err))
                fail_msg("%s: cache compile failed", gc->name);
            if (strcmp(out.sql, gc->sql) != 0)
                fail_msg("%s (round %d):\n got %s\nwant %s", gc->name, round, out.sql, gc->sql);
            assert_int_equal(out.n_params, gc->n_params);
            for (size_t k = 0; k < gc->n_params; k++) {
                if (!gc->params[k])
                    assert_null(out.params[k]);
                else
                    assert_string_equal(out.params[k], gc->params[k]);
            }
            if (round == 0)
                assert_true(sql_shape_of(stmt, fx->a, &shapes[i], &fx->err));
        }
    }
    /* Cases with the same SQL text (e.g. IN lists of different lengths)
     * share an entry: the second one is a hit on its first round. */
    size_t distinct = 0;
    for (size_t i = 0; i < n_golden_cases; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(golden_cases[i].sql, golden_cases[j].sql) == 0;
        distinct += !seen;
    }
    assert_true(distinct < n_golden_cases);
    sql_cache_stats st;
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.compiles, distinct);
    assert_int_equal(st.entries, distinct);
    assert_int_equal(st.hits, 2 * n_golden_cases - distinct);
    assert_int_equal(st.evictions, 0);
    for (size_t i = 0; i < n_golden_cases; i++) {
        for (size_t j = 0; j < i; j++) {
            bool same_key = shapes[i].len == shapes[j].len &&
                            memcmp(shapes[i].key, shapes[j].key, shapes[i].len) == 0;
            if (same_key && strcmp(golden_cases[i].sql, golden_cases[j].sql) != 0)
                fail_msg("%s and %s share a shape key", golden_cases[i].name, golden_cases[j].name);
        }
    }
    sql_cache_destroy(c);
}

static sql_node *by_table(fixture *fx, const sql_table *t)
{
    sql_select *s = sql_select_new(fx->b);
    sql_select_from(fx->b, s, sql_from_table(fx->b, t, NULL));
    return SQL_NODE(s);
}

static void test_lru_eviction(void **state)
{
    fixture *fx = *state;
    sql_cache *c = sql_cache_create(2);
    sql_compiled out;
    sql_cache_stats st;
    assert_true(sql_cache_compile(c, by_table(fx, fx->users), fx->a, &out, &fx->err));
    assert_true(sql_cache_compile(c, by_table(fx, fx->orders), fx->a, &out, &fx->err));
    assert_true(sql_cache_compile(c, by_table(fx, fx->users), fx->a, &out, &fx->err)); /* touch */
    assert_true(
        sql_cache_compile(c, by_table(fx, fx->books), fx->a, &out, &fx->err)); /* evicts orders */
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.compiles, 3);
    assert_true(sql_cache_compile(c, by_table(fx, fx->users), fx->a, &out, &fx->err));
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.compiles, 3); /* users stayed */
    assert_true(sql_cache_compile(c, by_table(fx, fx->orders), fx->a, &out, &fx->err));
    assert_string_equal(out.sql, "SELECT 1 FROM \"orders\"");
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.compiles, 4); /* orders was gone */
    assert_int_equal(st.evictions, 2);

    sql_cache_clear(c);
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 0);
    sql_cache_destroy(c);
    sql_cache_destroy(NULL);
}

static void test_errors_are_not_cached(void **state)
{
    fixture *fx = *state;
    sql_cache *c = sql_cache_create(4);
    sql_text *t = sql_text_new(fx->b, "SELECT :missing");
    sql_compiled out;
    assert_false(sql_cache_compile(c, SQL_NODE(t), fx->a, &out, &fx->err));
    assert_null(out.sql);
    assert_true(fx_err_has(&fx->err, ":missing has no value"));
    assert_false(sql_cache_compile(c, SQL_NODE(t), fx->a, &out, &fx->err));
    sql_cache_stats st;
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.compiles, 2);
    /* Bound, it is another shape and compiles. */
    err_clear(&fx->err);
    sql_text_bind(fx->b, t, "missing", sql_val_int(1));
    assert_true(sql_cache_compile(c, SQL_NODE(t), fx->a, &out, &fx->err));
    assert_string_equal(out.sql, "SELECT $1");
    sql_cache_destroy(c);
}

/* ==== threads ========================================================= */

enum { THREADS = 4, ROUNDS = 300, SHAPES = 5 };

typedef struct worker {
    sql_cache *cache;
    const sql_metadata *md;
    int id;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    const sql_table *users = sql_metadata_table(w->md, "users");
    for (int i = 0; i < ROUNDS; i++) {
        arena *a = arena_create(NULL, "worker-request");
        err_report err;
        err_init(&err, a);
        sql_builder *b = sql_builder_new(a, &err);
        char email[48];
        snprintf(email, sizeof email, "t%d-%d@x", w->id, i);
        int shape = (i + w->id) % SHAPES;
        sql_value ids[] = {sql_val_str(email)};
        sql_node *q = lookup(b, users, email, ids, 1, shape);
        if (shape > 0) /* shapes 1..4: 1..4 extra ORDER BY items */
            for (int k = 0; k < shape; k++)
                sql_select_order_by(b, SQL_CAST(q, sql_select),
                                    sql_col(b, SQL_CAST(q, sql_select)->from, "id"), k % 2,
                                    SQL_NULLS_DEFAULT);
        sql_compiled out;
        char want_limit[8];
        snprintf(want_limit, sizeof want_limit, "%d", shape);
        sbuf want;
        sbuf_init(&want, a, 256);
        sbuf_append_n(&want, LOOKUP_SQL, strlen(LOOKUP_SQL) - strlen(" LIMIT $3"));
        for (int k = 0; k < shape; k++)
            sbuf_append(&want, k == 0  ? " ORDER BY \"users\".\"id\""
                               : k % 2 ? ", \"users\".\"id\" DESC"
                                       : ", \"users\".\"id\"");
        sbuf_append(&want, " LIMIT $3");
        if (!sql_cache_compile(w->cache, q, a, &out, &err) || out.n_params != 3 ||
            strcmp(out.sql, sbuf_str(&want)) != 0 || strcmp(out.params[0], email) != 0 ||
            strcmp(out.params[2], want_limit) != 0)
            w->failures++;
        arena_destroy(a);
    }
    return NULL;
}

static void test_concurrent_threads(void **state)
{
    fixture *fx = *state;
    sql_cache *c = sql_cache_create(64);
    pthread_t tid[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.cache = c, .md = fx->md, .id = i};
        assert_int_equal(pthread_create(&tid[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    sql_cache_stats st;
    sql_cache_get_stats(c, &st);
    assert_int_equal(st.entries, SHAPES);
    assert_int_equal(st.hits + st.misses, THREADS * ROUNDS);
    assert_true(st.compiles >= SHAPES && st.compiles <= SHAPES * THREADS);
    assert_int_equal(st.evictions, 0);
    sql_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_shape_compiles_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_shape_ignores_values, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_golden_cases_through_cache, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_lru_eviction, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_errors_are_not_cached, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_threads, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("core_cache", tests, NULL, NULL);
}
