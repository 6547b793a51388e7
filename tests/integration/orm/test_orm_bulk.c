/*
 * test_orm_bulk — bulk rows through the ORM against a real PostgreSQL, as
 * the HTTP bulk routes use them: a JSON array validated by dto_bulk_rows
 * and inserted by orm_bulk_insert (client defaults and the first version
 * filled by the ORM's rule, DEFAULT for server defaults and identities,
 * keys returned in input order, batches split at the parameter limit),
 * and orm_bulk_update (SET of validated values, version + 1 per row,
 * managed columns refused, a condition required).
 */
#include "dto.h"
#include "orm_fixture.h"

static void must(bool ok, err_report *err, const char *what)
{
    ts_assert_ok(err, what);
    assert_true(ok);
}

static void test_bulk_insert_fills_like_the_unit_of_work(void **state)
{
    (void) state;
    const orm_mapper *A = ofx_mapper("Account");
    err_report err;
    err_init(&err, OF.a);
    dto_bulk rows;
    must(dto_bulk_rows(A, ts_json(OF.a, "[{'owner': 'ann'}, {'owner': 'bob', 'balance': '7.5'},"
                                  " {'balance': 1}]"),
                       NULL, OF.a, &rows, &err),
         &err, "rows");
    orm_session *s = ofx_session();
    orm_bulk_result res;
    must(orm_bulk_insert(s, A, rows.columns, rows.n_columns, rows.values, rows.defaults,
                         rows.n_rows, NULL, true, &res, &err),
         &err, "insert");
    assert_int_equal(ofx_count(s), 1); /* one statement */
    assert_int_equal(res.inserted, 3);
    assert_int_equal(res.n_keys, 3);
    must(orm_session_commit(s, &err), &err, "commit");
    for (size_t r = 0; r < 3; r++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM om_accounts WHERE id = %s AND version = 1", res.keys[r][0]);
        assert_int_equal(ofx_scalar(sql), 1);
    }
    /* The client default where the row gave none; the given value else. */
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_accounts WHERE owner = 'ann' AND "
                                "balance = 0"),
                     1);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_accounts WHERE owner = 'bob' AND "
                                "balance = 7.5"),
                     1);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_accounts WHERE owner IS NULL"), 1);
    /* Keys in input order. */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM om_accounts WHERE id = %s AND owner = 'bob'",
             res.keys[1][0]);
    assert_int_equal(ofx_scalar(sql), 1);
}

static void test_bulk_insert_batches(void **state)
{
    (void) state;
    const orm_mapper *U = ofx_mapper("User");
    err_report err;
    err_init(&err, OF.a);
    /* Five columns (email, name, status, score: client defaults, and
     * nothing else): 2,500 rows take three statements of at most 1,000. */
    sbuf body;
    sbuf_init(&body, OF.a, 1 << 16);
    sbuf_append(&body, "[");
    for (int i = 0; i < 2500; i++)
        sbuf_printf(&body, "%s{\"email\": \"u%d@x.org\", \"name\": \"n\"}", i ? "," : "", i);
    sbuf_append(&body, "]");
    json_t *rows_json = json_loads(body.data, 0, NULL);
    assert_non_null(rows_json);
    dto_bulk rows;
    must(dto_bulk_rows(U, rows_json, NULL, OF.a, &rows, &err), &err, "rows");
    orm_session *s = ofx_session();
    orm_bulk_result res;
    must(orm_bulk_insert(s, U, rows.columns, rows.n_columns, rows.values, rows.defaults,
                         rows.n_rows, NULL, false, &res, &err),
         &err, "insert");
    json_decref(rows_json);
    assert_int_equal(ofx_count(s), 3);
    assert_int_equal(res.inserted, 2500);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users WHERE status = 'active' AND "
                                "score = 0 AND created_at IS NOT NULL"),
                     2500);
}

static void test_bulk_update_bumps_versions(void **state)
{
    (void) state;
    const orm_mapper *A = ofx_mapper("Account");
    ofx_sql("INSERT INTO om_accounts (id, owner, balance, version) VALUES "
            "(1, 'a', 1, 1), (2, 'b', 2, 4), (3, 'c', 3, 1)");
    err_report err;
    err_init(&err, OF.a);
    size_t *cols, n;
    const char **values;
    must(dto_bulk_values(A, ts_json(OF.a, "{'balance': '9.99', 'owner': null}"), "/values", OF.a,
                         &cols, &values, &n, &err),
         &err, "values");
    query_doc *q = ofx_query_doc(OF.a, A, "{\"where\": {\"id\": {\"in\": [1, 2]}}}");
    orm_session *s = ofx_session();
    int64_t updated = -1;
    must(orm_bulk_update(s, A, q->from, q->where, cols, values, n, &updated, &err), &err,
         "update");
    assert_int_equal(updated, 2);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_accounts WHERE balance = 9.99 AND "
                                "owner IS NULL"),
                     2);
    assert_int_equal(ofx_scalar("SELECT sum(version) FROM om_accounts"), 2 + 5 + 1);

    /* The version column and read-only columns are the ORM's: refused. */
    size_t version = ofx_col(A, "version");
    const char *one = "1";
    err_report e2;
    err_init(&e2, OF.a);
    orm_session *s2 = ofx_session();
    assert_false(orm_bulk_update(s2, A, q->from, q->where, &version, &one, 1, &updated, &e2));
    assert_int_equal(e2.kind, ERR_INTERNAL);
    assert_int_equal(ofx_count(s2), 0);
    /* No condition, no update. */
    err_report e3;
    err_init(&e3, OF.a);
    assert_false(orm_bulk_update(s2, A, q->from, NULL, cols, values, n, &updated, &e3));
    assert_int_equal(e3.kind, ERR_BAD_REQUEST);
    orm_session_rollback(s2);
}

static int group_setup(void **state)
{
    (void) state;
    return ofx_group_setup("orm_bulk");
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_insert_fills_like_the_unit_of_work, ofx_setup,
                                        ofx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_insert_batches, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_update_bumps_versions, ofx_setup,
                                        ofx_teardown),
    };
    return cmocka_run_group_tests_name("orm_bulk", tests, group_setup, group_teardown);
}
