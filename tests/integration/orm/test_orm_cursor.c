/*
 * test_orm_cursor — server-side cursors: 10,000 rows read in batches, in
 * order, each batch in an arena of its own; the session's close (as when
 * a client goes away mid-stream) ends the cursor and returns the
 * connection.
 */
#include "orm_fixture.h"

static void test_batches_in_order(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (id, email) SELECT g, 'u' || g || '@x.org' "
            "FROM generate_series(1, 10000) g");
    const orm_mapper *U = ofx_mapper("User");
    arena *sa = arena_create(OF.a, "cursor session");
    orm_session_options o = {.pool = OF.pool, .cache = OF.cache, .registry = OF.reg};
    orm_session *s = orm_session_open(sa, &o);
    err_report err;
    err_init(&err, sa);
    sql_builder *b = sql_builder_new(sa, &err);
    sql_from *f = sql_from_table(b, U->table, NULL);
    sql_select *sel = sql_select_new(b);
    sql_select_column(b, sel, sql_col(b, f, "id"), NULL);
    sql_select_from(b, sel, f);
    sql_select_where(b, sel, sql_binary(b, SQL_OP_GT, sql_col(b, f, "id"),
                                        sql_bind(b, sql_val_int(0))));
    sql_select_order_by(b, sel, sql_col(b, f, "id"), false, SQL_NULLS_DEFAULT);
    orm_cursor *c = orm_cursor_open(s, SQL_NODE(sel), &err);
    ts_assert_ok(&err, "open");
    assert_non_null(c);
    long next = 1, batches = 0;
    for (;;) {
        arena *batch = arena_create(sa, "batch");
        eng_result *r = orm_cursor_fetch(c, batch, 1000, &err);
        ts_assert_ok(&err, "fetch");
        int rows = eng_result_rows(r);
        for (int i = 0; i < rows; i++)
            assert_int_equal(strtol(eng_result_value(r, i, 0), NULL, 10), next++);
        arena_destroy(batch);
        if (rows == 0)
            break;
        batches++;
    }
    assert_int_equal(next, 10001);
    assert_int_equal(batches, 10);
    assert_int_equal(ofx_count(s), 1); /* DECLARE; the fetches read what it declared */

    /* Walking away mid-stream: closing the session frees the connection. */
    arena *sb = arena_create(OF.a, "abandoned");
    orm_session *s2 = orm_session_open(sb, &o);
    orm_cursor *c2 = orm_cursor_open(s2, SQL_NODE(sel), &err);
    assert_non_null(c2);
    assert_non_null(orm_cursor_fetch(c2, sb, 10, &err));
    eng_pool_status st;
    eng_pool_get_status(OF.pool, &st);
    assert_true(st.checked_out >= 2);
    arena_destroy(sb);
    arena_destroy(sa);
    eng_pool_get_status(OF.pool, &st);
    assert_int_equal(st.checked_out, 0);
}

static int group_setup(void **state)
{
    (void) state;
    return ofx_group_setup("orm_cursor");
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batches_in_order, ofx_setup, ofx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
