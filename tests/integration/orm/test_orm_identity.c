/*
 * test_orm_identity — the identity map against a real PostgreSQL: one row
 * is one instance per session. Repeated orm_session_get issues no SQL;
 * overlapping queries return the same instances; a query never
 * overwrites unflushed changes; keys are canonicalised; instances reached
 * through relationships are the ones get returns.
 */
#include "orm_fixture.h"

static void seed_users(int n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO om_users (email, name) SELECT 'u' || g || '@x.org', 'name ' || g "
             "FROM generate_series(1, %d) g",
             n);
    ofx_sql(sql);
}

static void test_get_twice_no_sql(void **state)
{
    (void) state;
    seed_users(3);
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    orm_entity *a = ofx_get(s, U, "2");
    assert_non_null(a);
    assert_int_equal(ofx_count(s), 1);
    assert_string_equal(ofx_val(a, "email"), "u2@x.org");
    assert_int_equal(orm_entity_state(a), ORM_PERSISTENT);
    assert_string_equal(orm_entity_identity(a), "2");

    orm_entity *b = ofx_get(s, U, "2");
    assert_ptr_equal(a, b);
    assert_int_equal(ofx_count(s), 1); /* no SQL for a loaded key */
    orm_entity *c = ofx_get(s, U, "002");
    assert_ptr_equal(a, c); /* canonical key text */
    assert_int_equal(ofx_count(s), 1);

    /* A missing key is a statement and NULL, not an error. */
    assert_null(ofx_get(s, U, "99"));
    assert_int_equal(ofx_count(s), 2);
}

static void test_overlapping_queries(void **state)
{
    (void) state;
    seed_users(10);
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    size_t na, nb;
    orm_entity **a = ofx_run(s, U, "{\"where\": {\"id\": {\"le\": 6}}}", &na);
    orm_entity **b = ofx_run(
        s, U, "{\"where\": {\"id\": {\"ge\": 4}}, \"order_by\": [{\"id\": \"desc\"}]}", &nb);
    assert_int_equal(na, 6);
    assert_int_equal(nb, 7);
    /* b is 10..4; a is 1..6: ids 4, 5, 6 are the same instances. */
    assert_ptr_equal(a[3], b[6]);
    assert_ptr_equal(a[4], b[5]);
    assert_ptr_equal(a[5], b[4]);
    assert_string_equal(ofx_val(b[0], "id"), "10");
    assert_int_equal(ofx_count(s), 2);

    /* get of a queried key: no SQL. */
    orm_entity *e = ofx_get(s, U, "5");
    assert_ptr_equal(e, a[4]);
    assert_int_equal(ofx_count(s), 2);
}

static void test_query_keeps_unflushed_changes(void **state)
{
    (void) state;
    seed_users(3);
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session_opts(OF.a, false, false); /* no autoflush */
    orm_entity *e = ofx_get(s, U, "1");
    orm_entity_set(e, ofx_col(U, "name"), "changed here");
    assert_true(orm_entity_is_modified(e));
    /* Someone else changes the row meanwhile. */
    ofx_sql("UPDATE om_users SET name = 'changed there', status = 'gone' WHERE id = 1");
    size_t n;
    orm_entity **all = ofx_run(s, U, "{}", &n);
    assert_int_equal(n, 3);
    assert_ptr_equal(all[0], e);
    assert_string_equal(ofx_val(e, "name"), "changed here"); /* not overwritten */
    assert_true(orm_entity_is_modified(e));
    /* Loaded values are not refreshed either (no populate_existing). */
    assert_true(orm_entity_is_loaded(e, ofx_col(U, "status")));
    /* seeded by SQL: the client default reached the DDL */
    assert_string_equal(ofx_val(e, "status"), "active");
}

static void test_autoflush_before_query(void **state)
{
    (void) state;
    seed_users(2);
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    orm_entity *n = orm_entity_new(s, U);
    orm_entity_set(n, ofx_col(U, "email"), "new@x.org");
    err_report err;
    err_init(&err, OF.a);
    assert_true(orm_session_add(s, n, &err));
    assert_int_equal(orm_entity_state(n), ORM_PENDING);
    assert_null(orm_entity_identity(n));
    size_t cnt;
    orm_entity **all = ofx_run(s, U, "{\"where\": {\"email\": \"new@x.org\"}}", &cnt);
    assert_int_equal(cnt, 1);
    assert_ptr_equal(all[0], n); /* the flushed instance, not a copy */
    assert_int_equal(orm_entity_state(n), ORM_PERSISTENT);
    assert_string_equal(orm_entity_identity(n), "3");
    assert_int_equal(ofx_count(s), 2); /* INSERT, SELECT */
    /* Get of its key: identity map. */
    assert_ptr_equal(ofx_get(s, U, "3"), n);
    assert_int_equal(ofx_count(s), 2);
    const char *const *key = orm_entity_key(n);
    assert_non_null(key);
    assert_string_equal(key[0], "3");
}

static void test_related_instances_are_the_same(void **state)
{
    (void) state;
    seed_users(2);
    ofx_sql("INSERT INTO om_orders (user_id, total) VALUES (1, 10), (1, 20), (2, 5)");
    const orm_mapper *U = ofx_mapper("User");
    const orm_mapper *O = ofx_mapper("Order");
    orm_session *s = ofx_session();
    size_t n;
    orm_entity **users = ofx_run(s, U, "{\"options\": [{\"joinedload\": \"orders\"}]}", &n);
    assert_int_equal(n, 2);
    assert_int_equal(ofx_count(s), 1);
    orm_entity *const *orders;
    size_t no;
    assert_int_equal(orm_entity_related(users[0], ofx_rel(U, "orders"), &orders, &no),
                     ORM_REL_LOADED);
    assert_int_equal(no, 2);
    /* order_by -total: 20 first. */
    assert_string_equal(ofx_val(orders[0], "total"), "20.00");
    assert_ptr_equal(ofx_get(s, O, "2"), orders[0]);
    assert_int_equal(ofx_count(s), 1);

    /* Orders queried directly: Order.user is selectin by default, and the
     * users are the instances already loaded. */
    size_t n2;
    orm_entity **os = ofx_run(s, O, "{}", &n2);
    assert_int_equal(n2, 3);
    orm_entity *const *owner;
    size_t nu;
    assert_int_equal(orm_entity_related(os[2], ofx_rel(O, "user"), &owner, &nu), ORM_REL_LOADED);
    assert_int_equal(nu, 1);
    assert_ptr_equal(owner[0], users[1]);
    assert_ptr_equal(os[0], orders[1]);
    assert_int_equal(ofx_count(s), 3);
}

static void test_composite_keys(void **state)
{
    (void) state;
    seed_users(1);
    ofx_sql("INSERT INTO om_orders (user_id, total) VALUES (1, 1), (1, 2)");
    ofx_sql("INSERT INTO om_tags (id, label) VALUES (1, 'a'), (2, 'b')");
    ofx_sql("INSERT INTO om_order_tags (order_id, tag_id) VALUES (1, 2), (2, 1)");
    const orm_mapper *OT = ofx_mapper("OrderTag");
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    orm_entity *e = NULL;
    const char *pk[2] = {"1", "2"};
    assert_true(orm_session_get(s, OT, pk, NULL, &e, &err));
    assert_non_null(e);
    assert_string_equal(orm_entity_identity(e), "1,2");
    orm_entity *again = NULL;
    const char *pk2[2] = {"01", "2"};
    assert_true(orm_session_get(s, OT, pk2, NULL, &again, &err));
    assert_ptr_equal(e, again);
    assert_int_equal(ofx_count(s), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_twice_no_sql, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_overlapping_queries, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_query_keeps_unflushed_changes, ofx_setup,
                                        ofx_teardown),
        cmocka_unit_test_setup_teardown(test_autoflush_before_query, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_related_instances_are_the_same, ofx_setup,
                                        ofx_teardown),
        cmocka_unit_test_setup_teardown(test_composite_keys, ofx_setup, ofx_teardown),
    };
    if (ofx_group_setup("orm_identity") != 0)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ofx_group_teardown();
    return rc;
}
