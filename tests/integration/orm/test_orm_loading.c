/*
 * test_orm_loading — loader strategies against a real PostgreSQL, over 1,
 * 10 and 1,000 parents: statement counts (selectin: one per level and
 * batch of 500 keys; joined: one; select: one per parent), identical
 * related lists whatever the strategy (and equal to what SQL computes
 * directly), nested paths, many-to-many, paging with joined to-many
 * loads, count, raise errors, get with a plan, and lazy many-to-one from
 * the identity map.
 *
 * Data (seeded once): users 1..1000; user u has u % 4 orders; order o has
 * o % 3 items; orders carry totals with ties and NULLs (the relationship
 * orders by -total, then id); tags 1..5 labelled e..a, each order has two.
 */
#include "orm_fixture.h"

static int group_setup(void **state)
{
    (void) state;
    if (ofx_group_setup("orm_loading") != 0)
        return -1;
    ofx_sql("INSERT INTO om_users (id, email) SELECT g, 'u' || g || '@x.org' "
            "  FROM generate_series(1, 1000) g;"
            "INSERT INTO om_orders (user_id, total) "
            "  SELECT u, CASE WHEN (u + k) % 11 = 0 THEN NULL ELSE ((u * 7 + k * 3) % 5) * 10 END"
            "  FROM generate_series(1, 1000) u, generate_series(1, 3) k WHERE k <= u % 4"
            "  ORDER BY u, k;"
            "INSERT INTO om_items (order_id, sku) SELECT o.id, 's' || k "
            "  FROM om_orders o, generate_series(1, 2) k WHERE k <= o.id % 3 ORDER BY o.id, k;"
            "INSERT INTO om_tags VALUES (1, 'e'), (2, 'd'), (3, 'c'), (4, 'b'), (5, 'a');"
            "INSERT INTO om_order_tags SELECT id, (id % 5) + 1 FROM om_orders "
            "  UNION ALL SELECT id, ((id + 2) % 5) + 1 FROM om_orders");
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

static int setup(void **state)
{
    (void) state;
    OF.a = arena_create(NULL, "orm loading test");
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    arena_destroy(OF.a);
    return 0;
}

/* "id(child(grandchild,...),...),..." through the relationship names of
 * rels, one per level. Every collection on the way must be loaded. */
static void describe(sbuf *b, orm_entity *const *es, size_t n, const char *const *rels)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_append_char(b, ',');
        const orm_mapper *m = orm_entity_mapper(es[i]);
        sbuf_append(b, orm_entity_get(es[i], m->pk[0]));
        if (!*rels)
            continue;
        orm_entity *const *kids;
        size_t nk;
        assert_int_equal(orm_entity_related(es[i], ofx_rel(m, rels[0]), &kids, &nk),
                         ORM_REL_LOADED);
        sbuf_append_char(b, '(');
        describe(b, kids, nk, rels + 1);
        sbuf_append_char(b, ')');
    }
}

typedef struct run {
    const char *shape;
    uint64_t statements;
    size_t n;
} run;

static run run_doc(const char *model, const char *doc, const char *const *rels)
{
    orm_session *s = ofx_session();
    size_t n;
    orm_entity **es = ofx_run(s, ofx_mapper(model), doc, &n);
    sbuf b;
    sbuf_init(&b, OF.a, 256);
    describe(&b, es, n, rels);
    run r = {.shape = sbuf_str(&b), .statements = ofx_count(s), .n = n};
    orm_session_close(s);
    return r;
}

/* What SQL says users 1..n look like with their orders (and items). */
static const char *expected_users(int n, bool items)
{
    char sql[1024];
    const char *order_part =
        items ? "o.id || '(' || coalesce((SELECT string_agg(i.id::text, ',' ORDER BY i.id) "
                "FROM om_items i WHERE i.order_id = o.id), '') || ')'"
              : "o.id::text";
    snprintf(sql, sizeof sql,
             "SELECT string_agg(u.id || '(' || coalesce((SELECT string_agg(%s, ',' ORDER BY "
             "o.total DESC, o.id) FROM om_orders o WHERE o.user_id = u.id), '') || ')', ',' "
             "ORDER BY u.id) FROM om_users u WHERE u.id <= %d",
             order_part, n);
    return ofx_text(OF.a, sql);
}

static const char *doc_for(int n, const char *rest)
{
    return arena_sprintf(OF.a, "{\"where\": {\"id\": {\"le\": %d}}, \"limit\": 1000%s}", n, rest);
}

static void test_strategies_one_level(void **state)
{
    (void) state;
    static const char *const rels[] = {"orders", NULL};
    const int sizes[] = {1, 10, 1000};
    for (size_t k = 0; k < 3; k++) {
        int n = sizes[k];
        run sel =
            run_doc("User", doc_for(n, ", \"options\": [{\"selectinload\": \"orders\"}]"), rels);
        run joi =
            run_doc("User", doc_for(n, ", \"options\": [{\"joinedload\": \"orders\"}]"), rels);
        run laz = run_doc("User",
                          doc_for(n, ", \"options\": [{\"lazyload\": \"orders\"}], "
                                     "\"fields\": [\"id\", \"orders\"]"),
                          rels);
        assert_int_equal(sel.n, (size_t) n);
        assert_int_equal(joi.n, (size_t) n);
        assert_int_equal(laz.n, (size_t) n);
        assert_int_equal(sel.statements, 1 + (uint64_t) (n + 499) / 500);
        assert_int_equal(joi.statements, 1);
        assert_int_equal(laz.statements, 1 + (uint64_t) n);
        assert_string_equal(sel.shape, joi.shape);
        assert_string_equal(sel.shape, laz.shape);
        assert_string_equal(sel.shape, expected_users(n, false));
    }
}

static void test_nested_paths(void **state)
{
    (void) state;
    static const char *const rels[] = {"orders", "items", NULL};
    const char *want = expected_users(1000, true);
    /* 1000 users -> 1500 orders: selectin is 1 + 2 + 3 batches. */
    run a = run_doc("User", doc_for(1000, ", \"options\": [{\"selectinload\": \"orders.items\"}]"),
                    rels);
    assert_int_equal(a.statements, 6);
    assert_string_equal(a.shape, want);
    run b =
        run_doc("User", doc_for(1000, ", \"options\": [{\"joinedload\": \"orders.items\"}]"), rels);
    assert_int_equal(b.statements, 1);
    assert_string_equal(b.shape, want);
    run c = run_doc("User",
                    doc_for(1000, ", \"options\": [{\"selectinload\": \"orders\"}, "
                                  "{\"joinedload\": \"orders.items\"}]"),
                    rels);
    assert_int_equal(c.statements, 3);
    assert_string_equal(c.shape, want);
    run d = run_doc("User",
                    doc_for(1000, ", \"options\": [{\"joinedload\": \"orders\"}, "
                                  "{\"selectinload\": \"orders.items\"}]"),
                    rels);
    assert_int_equal(d.statements, 4);
    assert_string_equal(d.shape, want);
    /* Ten parents, every mix of strategies. */
    const char *want10 = expected_users(10, true);
    const char *opts[] = {"selectinload", "joinedload"};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            const char *doc = arena_sprintf(
                OF.a, ", \"options\": [{\"%s\": \"orders\"}, {\"%s\": \"orders.items\"}]", opts[i],
                opts[j]);
            run r = run_doc("User", doc_for(10, doc), rels);
            assert_string_equal(r.shape, want10);
        }
}

static void test_many_to_many(void **state)
{
    (void) state;
    static const char *const rels[] = {"tags", NULL};
    const char *want = ofx_text(
        OF.a, "SELECT string_agg(o.id || '(' || (SELECT string_agg(t.id::text, ',' ORDER BY "
              "t.label, t.id) FROM om_order_tags ot JOIN om_tags t ON t.id = ot.tag_id WHERE "
              "ot.order_id = o.id) || ')', ',' ORDER BY o.id) FROM om_orders o WHERE o.id <= 600");
    const char *base = "{\"where\": {\"id\": {\"le\": 600}}, \"limit\": 1000, \"options\": [%s]}";
    run sel = run_doc(
        "Order", arena_sprintf(OF.a, base, "{\"selectinload\": \"tags\"}, {\"noload\": \"user\"}"),
        rels);
    run joi = run_doc(
        "Order", arena_sprintf(OF.a, base, "{\"joinedload\": \"tags\"}, {\"noload\": \"user\"}"),
        rels);
    assert_int_equal(sel.statements, 1 + 2); /* 600 keys: two batches */
    assert_int_equal(joi.statements, 1);
    assert_string_equal(sel.shape, want);
    assert_string_equal(joi.shape, want);
    /* Through two levels: users -> orders -> tags, shared tag instances. */
    static const char *const rels2[] = {"orders", "tags", NULL};
    run a =
        run_doc("User", doc_for(50, ", \"options\": [{\"selectinload\": \"orders.tags\"}]"), rels2);
    run b =
        run_doc("User", doc_for(50, ", \"options\": [{\"joinedload\": \"orders.tags\"}]"), rels2);
    assert_int_equal(a.statements, 3);
    assert_int_equal(b.statements, 1);
    assert_string_equal(a.shape, b.shape);
    /* Lazy per parent, named by fields: the N+1 asked for. */
    const char *want20 = ofx_text(
        OF.a, "SELECT string_agg(o.id || '(' || (SELECT string_agg(t.id::text, ',' ORDER BY "
              "t.label, t.id) FROM om_order_tags ot JOIN om_tags t ON t.id = ot.tag_id WHERE "
              "ot.order_id = o.id) || ')', ',' ORDER BY o.id) FROM om_orders o WHERE o.id <= 20");
    run lz = run_doc("Order",
                     "{\"where\": {\"id\": {\"le\": 20}}, \"fields\": [\"id\", \"tags\"], "
                     "\"options\": [{\"lazyload\": \"tags\"}, {\"noload\": \"user\"}]}",
                     rels);
    assert_int_equal(lz.statements, 21);
    assert_string_equal(lz.shape, want20);
}

static void test_paging_with_joined_to_many(void **state)
{
    (void) state;
    static const char *const rels[] = {"orders", NULL};
    const char *doc = "{\"limit\": 5, \"offset\": 3, \"order_by\": [{\"id\": \"desc\"}], "
                      "\"options\": [{\"%s\": \"orders\"}]}";
    run sel = run_doc("User", arena_sprintf(OF.a, doc, "selectinload"), rels);
    run joi = run_doc("User", arena_sprintf(OF.a, doc, "joinedload"), rels);
    assert_int_equal(sel.n, 5);
    assert_int_equal(joi.n, 5); /* five parents, not five rows */
    assert_int_equal(joi.statements, 1);
    assert_string_equal(sel.shape, joi.shape);
    /* id desc: 1000, 999, 998, then 997 ... 993. */
    assert_int_equal(strncmp(joi.shape, "997(", 4), 0);
    /* A to-one join does not repeat parents: no wrapping needed, still
     * five parents in one statement. */
    static const char *const up[] = {"user", NULL};
    const char *odoc = "{\"limit\": 5, \"offset\": 2, \"options\": [{\"%s\": \"user\"}]}";
    run os = run_doc("Order", arena_sprintf(OF.a, odoc, "selectinload"), up);
    run oj = run_doc("Order", arena_sprintf(OF.a, odoc, "joinedload"), up);
    assert_int_equal(oj.n, 5);
    assert_int_equal(oj.statements, 1);
    assert_int_equal(os.statements, 2);
    assert_string_equal(os.shape, oj.shape);
}

static void test_count(void **state)
{
    (void) state;
    orm_session *s = ofx_session();
    const orm_mapper *U = ofx_mapper("User");
    err_report err;
    err_init(&err, OF.a);
    query_doc *q = ofx_query_doc(
        OF.a, U, "{\"where\": {\"id\": {\"gt\": 100}}, \"limit\": 5, \"count\": true}");
    orm_entity **out;
    size_t n;
    int64_t count = 0;
    assert_true(query_entities(s, U, q, NULL, &out, &n, &count, &err));
    ts_assert_ok(&err, "query");
    assert_int_equal(n, 5);
    assert_int_equal(count, 900);
    assert_int_equal(ofx_count(s), 2);
}

static void test_raise(void **state)
{
    (void) state;
    orm_session *s = ofx_session();
    const orm_mapper *U = ofx_mapper("User");
    const char *msg = "relationship \"orders\" of om_users is not loaded; add {\"selectinload\": "
                      "\"orders\"} or include=orders";
    /* Named in fields, model default raise. */
    err_report err;
    err_init(&err, OF.a);
    query_doc *q = ofx_query_doc(OF.a, U, "{\"fields\": [\"id\", \"orders\"]}");
    assert_null(orm_load_plan_build(s, U, &q->load, &err));
    assert_int_equal(err.kind, ERR_BAD_REQUEST);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.detail, msg);
    assert_int_equal(err.n_items, 1);
    assert_string_equal(err.items[0].pointer, "/fields/1"); /* the entry */
    /* Named, and raised by an option. */
    err_init(&err, OF.a);
    q = ofx_query_doc(OF.a, U,
                      "{\"fields\": [\"orders\"], \"options\": [{\"raiseload\": \"orders\"}]}");
    assert_null(orm_load_plan_build(s, U, &q->load, &err));
    assert_string_equal(err.detail, msg);
    /* both at fault: the fields entry and the explicit option */
    assert_int_equal(err.n_items, 2);
    assert_string_equal(err.items[0].pointer, "/fields/0");
    assert_string_equal(err.items[1].pointer, "/options/0/raiseload");
    /* Nested: orders.items named through include, raised by an option. */
    err_init(&err, OF.a);
    q = ofx_query_doc(OF.a, U,
                      "{\"fields\": [\"orders\"], \"options\": [{\"selectinload\": \"orders\"}, "
                      "{\"raiseload\": \"orders.items\"}]}");
    orm_load_plan *plan = orm_load_plan_build(s, U, &q->load, &err);
    ts_assert_ok(&err, "not named: no error");
    assert_non_null(orm_load_plan_find(plan, "orders"));
    assert_null(orm_load_plan_find(plan, "orders.items"));
    /* Touching it directly. */
    size_t n;
    orm_entity **users = ofx_run(s, U, "{\"limit\": 3}", &n);
    err_init(&err, OF.a);
    assert_false(
        orm_session_load_relationship(s, users[0], orm_mapper_relationship(U, "orders"), &err));
    assert_int_equal(err.kind, ERR_BAD_REQUEST);
    assert_string_equal(err.detail, msg);
    /* noload: omitted even when named, no error. */
    err_init(&err, OF.a);
    q = ofx_query_doc(OF.a, U,
                      "{\"fields\": [\"orders\"], \"options\": [{\"noload\": \"orders\"}]}");
    plan = orm_load_plan_build(s, U, &q->load, &err);
    ts_assert_ok(&err, "noload");
    assert_int_equal(plan->n_children, 0);
}

static void test_get_with_plan(void **state)
{
    (void) state;
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    /* GET /api/users/7?include=orders: two statements. */
    sql_builder *b = sql_builder_new(OF.a, &err);
    query_doc q = {0};
    const char *names[] = {"include"}, *values[] = {"orders,orders.items"};
    assert_true(query_parse_params(b, sql_from_table(b, U->table, NULL), names, values, 1, NULL,
                                     &q, &err));
    orm_load_plan *plan = orm_load_plan_build(s, U, &q.load, &err);
    ts_assert_ok(&err, "plan");
    assert_true(orm_load_plan_find(plan, "orders")->named);
    assert_true(orm_load_plan_find(plan, "orders.items")->named);
    orm_entity *e = NULL;
    assert_true(orm_session_get(s, U, (const char *[]){"7"}, plan, &e, &err));
    ts_assert_ok(&err, "get");
    assert_int_equal(ofx_count(s), 3); /* user, orders, items */
    static const char *const rels[] = {"orders", "items", NULL};
    sbuf sb;
    sbuf_init(&sb, OF.a, 64);
    describe(&sb, &e, 1, rels);
    const char *want = expected_users(7, true);
    assert_non_null(strstr(want, sbuf_str(&sb)));
    /* Again: the user from the identity map, the collections reloaded. */
    assert_true(orm_session_get(s, U, (const char *[]){"7"}, plan, &e, &err));
    assert_int_equal(ofx_count(s), 5);

    /* Joined: one statement for a fresh session. */
    orm_session *s2 = ofx_session();
    query_doc *qj =
        ofx_query_doc(OF.a, U, "{\"options\": [{\"joinedload\": \"orders.items\"}]}");
    orm_load_plan *pj = orm_load_plan_build(s2, U, &qj->load, &err);
    orm_entity *e2 = NULL;
    assert_true(orm_session_get(s2, U, (const char *[]){"7"}, pj, &e2, &err));
    ts_assert_ok(&err, "get joined");
    assert_int_equal(ofx_count(s2), 1);
    sbuf sb2;
    sbuf_init(&sb2, OF.a, 64);
    describe(&sb2, &e2, 1, rels);
    assert_string_equal(sbuf_str(&sb), sbuf_str(&sb2));
}

static void test_lazy_to_one_uses_identity_map(void **state)
{
    (void) state;
    const orm_mapper *O = ofx_mapper("Order");
    orm_session *s = ofx_session();
    size_t n;
    ofx_run(s, ofx_mapper("User"), "{\"where\": {\"id\": {\"le\": 10}}}", &n);
    assert_int_equal(ofx_count(s), 1);
    orm_entity **orders = ofx_run(s, O,
                                  "{\"where\": {\"user_id\": {\"le\": 10}}, \"options\": "
                                  "[{\"lazyload\": \"user\"}], \"fields\": [\"id\", \"user\"]}",
                                  &n);
    assert_int_equal(n, 15);
    assert_int_equal(ofx_count(s), 2); /* every user came from the identity map */
    orm_entity *const *u;
    size_t nu;
    assert_int_equal(orm_entity_related(orders[0], ofx_rel(O, "user"), &u, &nu), ORM_REL_LOADED);
    assert_int_equal(nu, 1);
    assert_string_equal(ofx_val(u[0], "id"), ofx_val(orders[0], "user_id"));
}

static void test_load_plan_for_existing(void **state)
{
    (void) state;
    const orm_mapper *O = ofx_mapper("Order");
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    /* A create response: the model-default eager relationships. */
    orm_load_plan *plan = orm_load_plan_build(s, O, NULL, &err);
    ts_assert_ok(&err, "plan");
    assert_int_equal(plan->n_children, 1);
    assert_string_equal(plan->children[0]->rel->name, "user");
    orm_entity *o = orm_entity_new(s, O);
    orm_entity_set(o, ofx_col(O, "user_id"), "3");
    assert_true(orm_session_add(s, o, &err));
    assert_true(orm_session_load_plan(s, &o, 1, plan, &err));
    ts_assert_ok(&err, "load plan");
    assert_int_equal(ofx_count(s), 2); /* INSERT (autoflush), SELECT user */
    orm_entity *const *u;
    size_t nu;
    assert_int_equal(orm_entity_related(o, ofx_rel(O, "user"), &u, &nu), ORM_REL_LOADED);
    assert_int_equal(nu, 1);
    assert_string_equal(ofx_val(u[0], "id"), "3");
    orm_session_rollback(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_strategies_one_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_to_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_with_joined_to_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_with_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_to_one_uses_identity_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_plan_for_existing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
