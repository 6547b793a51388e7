/*
 * test_orm_reuse — the identity map saves statements inside one session:
 * selectin loading of a many-to-one takes targets the session already
 * holds (loaded, not expired) without SQL, and still reads the others.
 */
#include "orm_fixture.h"

static void test_selectin_many_to_one_uses_identity_map(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (id, email) VALUES (1, 'a@x.org'), (2, 'b@x.org');"
            "INSERT INTO om_orders (id, user_id, total) VALUES (10, 1, 5), (11, 2, 6), (12, 1, 7)");
    const orm_mapper *U = ofx_mapper("User");
    const orm_mapper *O = ofx_mapper("Order");
    orm_session *s = ofx_session();
    orm_entity *u1 = ofx_get(s, U, "1");
    orm_entity *u2 = ofx_get(s, U, "2");
    assert_int_equal(ofx_count(s), 2);

    /* Order.user is selectin by default: every target is held. */
    size_t n;
    orm_entity **orders = ofx_run(s, O, "{\"order_by\": [\"id\"]}", &n);
    assert_int_equal(n, 3);
    assert_int_equal(ofx_count(s), 3); /* the orders only */
    orm_entity *const *items;
    size_t k;
    size_t rel = ofx_rel(O, "user");
    assert_int_equal(orm_entity_related(orders[0], rel, &items, &k), ORM_REL_LOADED);
    assert_int_equal(k, 1);
    assert_ptr_equal(items[0], u1);
    orm_entity_related(orders[1], rel, &items, &k);
    assert_ptr_equal(items[0], u2);

    /* A target the session lacks is still read, in one statement. */
    orm_session *s2 = ofx_session();
    ofx_get(s2, U, "1");
    orders = ofx_run(s2, O, "{\"order_by\": [\"id\"]}", &n);
    assert_int_equal(ofx_count(s2), 3); /* get, orders, the one missing user */
    orm_entity_related(orders[1], rel, &items, &k);
    assert_int_equal(k, 1);
    assert_string_equal(orm_entity_identity(items[0]), "2");
}

static int group_setup(void **state)
{
    (void) state;
    return ofx_group_setup("orm_reuse");
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_selectin_many_to_one_uses_identity_map, ofx_setup,
                                        ofx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
