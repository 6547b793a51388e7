/*
 * The walker: every node once, pre-order, in the order the compiler writes
 * them; depths; PRUNE and STOP.
 */
#include "core_fixture.h"

#include <string.h>

typedef struct trace {
    sql_node_kind kinds[128];
    int depths[128];
    size_t n;
    sql_node_kind prune, stop; /* 0 = none */
} trace;

static sql_walk_action record(const sql_node *n, int depth, void *ctx)
{
    trace *t = ctx;
    if (t->n < 128) {
        t->kinds[t->n] = n->kind;
        t->depths[t->n] = depth;
    }
    t->n++;
    if (n->kind == t->stop)
        return SQL_WALK_STOP;
    return n->kind == t->prune ? SQL_WALK_PRUNE : SQL_WALK_CONTINUE;
}

/* SELECT u.id, count(*) AS n FROM users u JOIN orders o ON u.id = o.user_id
 * WHERE u.email LIKE $1 AND EXISTS (SELECT 1 FROM orders o2 WHERE o2.id = $2)
 * GROUP BY u.id HAVING count(*) > $3 ORDER BY u.id LIMIT $4 OFFSET $5 */
static sql_select *sample(fixture *fx)
{
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, "u");
    sql_from *o = sql_from_table(b, fx->orders, "o");
    sql_from *o2 = sql_from_table(b, fx->orders, "o2");
    sql_select *sub = sql_select_new(b);
    sql_select_from(b, sub, o2);
    sql_select_where(b, sub, sql_eq(b, sql_col(b, o2, "id"), sql_bind(b, sql_val_str("p2"))));
    sql_select *s = sql_select_new(b);
    sql_select_column(b, s, sql_col(b, u, "id"), NULL);
    sql_select_column(b, s, sql_count_star(b), "n");
    sql_select_from(b, s, u);
    sql_select_join(b, s, SQL_JOIN_INNER, o,
                    sql_relation_condition(b, sql_table_relation(fx->users, "orders"), u, o));
    sql_select_where(
        b, s, sql_binary(b, SQL_OP_LIKE, sql_col(b, u, "email"), sql_bind(b, sql_val_str("p1"))));
    sql_select_where(b, s, sql_exists_select(b, sub));
    sql_select_group_by(b, s, sql_col(b, u, "id"));
    sql_select_having(b, s,
                      sql_binary(b, SQL_OP_GT, sql_count_star(b), sql_bind(b, sql_val_int(3))));
    sql_select_order_by(b, s, sql_col(b, u, "id"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(b, s, 4);
    sql_select_offset(b, s, 5);
    assert_false(sql_builder_failed(b));
    return s;
}

static void test_visits_every_node_in_order(void **state)
{
    fixture *fx = *state;
    trace t = {0};
    assert_true(sql_walk(SQL_NODE(sample(fx)), record, &t));
    const sql_node_kind want[] = {
        SQL_SELECT, SQL_COLREF,                          /* u.id */
        SQL_FUNC,   SQL_LITERAL,                         /* count(*) */
        SQL_FROM,                                        /* users u */
        SQL_FROM,                                        /* JOIN orders o */
        SQL_BINOP,  SQL_COLREF,  SQL_COLREF,             /* ON */
        SQL_BOOLOP,                                      /* WHERE ... AND ... */
        SQL_BINOP,  SQL_COLREF,  SQL_PARAM,              /* LIKE $1 */
        SQL_EXISTS, SQL_SELECT,  SQL_FROM,               /* EXISTS (SELECT 1 FROM o2 */
        SQL_BINOP,  SQL_COLREF,  SQL_PARAM,              /*   WHERE o2.id = $2) */
        SQL_COLREF,                                      /* GROUP BY */
        SQL_BINOP,  SQL_FUNC,    SQL_LITERAL, SQL_PARAM, /* HAVING count(*) > $3 */
        SQL_COLREF,                                      /* ORDER BY */
        SQL_PARAM,  SQL_PARAM,                           /* LIMIT, OFFSET */
    };
    const int depth[] = {1, 2, 2, 3, 2, 2, 2, 3, 3, 2, 3, 4, 4, 3,
                         4, 5, 5, 6, 6, 2, 2, 3, 4, 3, 2, 2, 2};
    size_t n = sizeof want / sizeof want[0];
    assert_int_equal(t.n, n);
    for (size_t i = 0; i < n; i++) {
        if (t.kinds[i] != want[i] || t.depths[i] != depth[i])
            fail_msg("node %zu: %s at depth %d, expected %s at depth %d", i,
                     sql_node_kind_name(t.kinds[i]), t.depths[i], sql_node_kind_name(want[i]),
                     depth[i]);
    }
}

static void test_prune_and_stop(void **state)
{
    fixture *fx = *state;
    sql_select *s = sample(fx);
    trace t = {.prune = SQL_EXISTS};
    assert_true(sql_walk(SQL_NODE(s), record, &t));
    assert_int_equal(t.n, 27 - 5); /* the subquery's 5 nodes are skipped */

    trace t2 = {.stop = SQL_EXISTS};
    assert_false(sql_walk(SQL_NODE(s), record, &t2));
    assert_int_equal(t2.n, 14);
    assert_int_equal(t2.kinds[13], SQL_EXISTS);

    trace t3 = {0};
    assert_true(sql_walk(NULL, record, &t3));
    assert_int_equal(t3.n, 0);
}

static void test_dml_and_text(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    const sql_table *a = fx->accounts;
    sql_from *f = sql_from_table(b, a, NULL);
    sql_insert *ins =
        sql_insert_new(b, f, (const sql_column *const[]){fx_col(a, "id"), fx_col(a, "owner")}, 2);
    sql_insert_row(b, ins,
                   (sql_node *[]){sql_bind(b, sql_val_int(1)), sql_bind(b, sql_val_str("a"))});
    sql_insert_on_conflict_do_update(b, ins, (const sql_column *const[]){fx_col(a, "id")}, 1);
    sql_insert_conflict_set(b, ins, fx_col(a, "owner"), sql_excluded_col(b, fx_col(a, "owner")));
    sql_insert_returning(b, ins, sql_col(b, f, "id"), NULL);
    trace t = {0};
    assert_true(sql_walk(SQL_NODE(ins), record, &t));
    const sql_node_kind want[] = {SQL_INSERT, SQL_FROM,     SQL_PARAM,
                                  SQL_PARAM,  SQL_EXCLUDED, SQL_COLREF};
    assert_int_equal(t.n, 6);
    assert_memory_equal(t.kinds, want, sizeof want);

    sql_text *tx = sql_text_new(b, "SELECT :b, :a, :b");
    sql_text_bind(b, tx, "a", sql_val_int(1));
    sql_text_bind(b, tx, "b", sql_val_int(2));
    trace t2 = {0};
    assert_true(sql_walk(SQL_NODE(tx), record, &t2));
    assert_int_equal(t2.n, 3); /* the text and its two names, once each */
    sql_shape shape;
    assert_true(sql_shape_of(SQL_NODE(tx), fx->a, &shape, &fx->err));
    assert_int_equal(shape.n_params, 2);
    assert_int_equal(shape.params[0]->value.u.i, 2); /* :b comes first: $1 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_visits_every_node_in_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_prune_and_stop, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dml_and_text, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("core_walk", tests, NULL, NULL);
}
