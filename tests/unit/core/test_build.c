/*
 * Builders: the limits (depth, parameters) checked while building and
 * again while compiling, problems collected instead of crashes, value and
 * array-literal formatting, result types, compile-time checks.
 */
#include "core_fixture.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ==== limits ========================================================== */

static void test_depth_limit_while_building(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_node *n = sql_col(b, u, "name");
    for (int h = 2; h <= SQL_MAX_DEPTH; h++) {
        n = sql_negate(b, n);
        assert_non_null(n);
        assert_int_equal(n->height, h);
    }
    assert_false(sql_builder_failed(b));
    assert_null(sql_negate(b, n)); /* height 65 */
    assert_true(sql_builder_failed(b));
    assert_int_equal(fx->err.kind, ERR_BAD_REQUEST);
    assert_true(fx_err_has(&fx->err, "nested more than 64 levels"));
    /* Later builders given the NULL stay quiet: one problem, no crash. */
    assert_null(sql_and2(b, NULL, sql_col(b, u, "id")));
    assert_null(sql_negate(b, NULL));
    sql_select *s = sql_select_new(b);
    assert_false(sql_select_where(b, s, NULL));
    assert_int_equal(fx->err.n_items, 1);

    /* The deepest legal expression does not fit in a SELECT (which is a
     * node too), and that is reported by the SELECT builder. */
    err_report err2;
    err_init(&err2, fx->a);
    sql_builder *b2 = sql_builder_new(fx->a, &err2);
    sql_node *deep = sql_col(b2, u, "name");
    for (int h = 2; h <= SQL_MAX_DEPTH; h++)
        deep = sql_negate(b2, deep);
    sql_select *s2 = sql_select_new(b2);
    assert_false(sql_select_where(b2, s2, deep));
    assert_true(fx_err_has(&err2, "nested more than 64 levels"));
}

/* A statement that grows after being wrapped escapes the builder's check;
 * the compiler, the walker and the shape key still refuse it. */
static void test_depth_limit_while_compiling(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_from *o = sql_from_table(b, fx->orders, "o");
    sql_select *inner = sql_select_new(b);
    sql_select_from(b, inner, o);
    sql_select *outer = sql_select_new(b);
    sql_select_from(b, outer, u);
    sql_select_where(b, outer, sql_exists_select(b, inner));
    sql_node *deep = sql_col(b, o, "status");
    for (int h = 2; h < SQL_MAX_DEPTH; h++)
        deep = sql_negate(b, deep);
    assert_true(sql_select_where(b, inner, deep)); /* inner: height 64, outer: 66 */
    assert_false(sql_builder_failed(b));

    sql_compiled out;
    assert_false(sql_compile(SQL_NODE(outer), fx->a, &out, &fx->err));
    assert_true(fx_err_has(&fx->err, "nested more than 64 levels"));
    assert_int_equal(fx->err.n_items, 1);
    sql_shape shape;
    assert_false(sql_shape_of(SQL_NODE(outer), fx->a, &shape, &fx->err));
}

static void test_param_limit_while_building(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    for (int i = 0; i < SQL_MAX_PARAMS; i++)
        assert_non_null(sql_bind(b, sql_val_int(i)));
    assert_int_equal(sql_builder_param_count(b), SQL_MAX_PARAMS);
    assert_false(sql_builder_failed(b));
    assert_null(sql_bind(b, sql_val_int(0)));
    assert_null(sql_in(b, sql_col(b, sql_from_table(b, fx->users, NULL), "id"), NULL, 0));
    assert_null(sql_bind_cast(b, sql_val_int(0), SQL_TYPE_INTEGER));
    assert_int_equal(fx->err.n_items, 1);
    assert_int_equal(fx->err.kind, ERR_BAD_REQUEST);
    assert_true(fx_err_has(&fx->err, "more than 65535 parameters"));
}

/* The compiler counts what it emits: a node used twice is two $n. */
static void test_param_limit_while_compiling(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_node *eq = sql_eq(b, sql_col(b, u, "name"), sql_bind(b, sql_val_str("x")));
    size_t n = (size_t) SQL_MAX_PARAMS + 1;
    sql_node **args = ARENA_ARRAY(fx->a, sql_node *, n);
    for (size_t i = 0; i < n; i++)
        args[i] = eq;
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, u);
    sql_select_where(b, s, sql_or(b, args, n));
    assert_false(sql_builder_failed(b));
    sql_compiled out;
    assert_false(sql_compile(SQL_NODE(s), fx->a, &out, &fx->err));
    assert_int_equal(fx->err.n_items, 1);
    assert_true(fx_err_has(&fx->err, "more than 65535 parameters"));

    /* One fewer use compiles, with $65535 last. */
    err_clear(&fx->err);
    sql_select *ok = sql_select_new(b);
    sql_select_from(b, ok, u);
    sql_select_where(b, ok, sql_or(b, args, n - 1));
    assert_true(sql_compile(SQL_NODE(ok), fx->a, &out, &fx->err));
    assert_int_equal(out.n_params, SQL_MAX_PARAMS);
    const char *tail = "\"users\".\"name\" = $65535";
    assert_string_equal(out.sql + strlen(out.sql) - strlen(tail), tail);
}

/* ==== problems, not crashes =========================================== */

static void test_problems_are_collected(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_builder_set_pointer(b, "/where/nope");
    sql_from *u = sql_from_table(b, fx->users, NULL);
    assert_null(sql_col(b, u, "nope"));
    sql_builder_set_pointer(b, "/where/also");
    assert_null(sql_col(b, u, "also"));
    sql_builder_set_pointer(b, NULL);
    assert_null(sql_col_of(b, u, fx_col(fx->orders, "id")));
    assert_int_equal(fx->err.n_items, 3);
    assert_string_equal(fx->err.items[0].pointer, "/where/nope");
    assert_string_equal(fx->err.items[0].detail, "The table \"users\" has no column \"nope\".");
    assert_string_equal(fx->err.items[1].pointer, "/where/also");
    assert_null(fx->err.items[2].pointer);
    assert_true(fx_err_has(&fx->err, "\"orders.id\" does not belong to \"users\""));
    assert_int_equal(fx->err.kind, ERR_BAD_REQUEST); /* the first kind stays */
}

static void test_builder_misuse(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_node *name = sql_col(b, u, "name");
    sql_select *s = sql_select_new(b);
    assert_null(sql_eq(b, NULL, name)); /* NULL with no earlier problem */
    assert_int_equal(fx->err.kind, ERR_INTERNAL);
    assert_true(fx_err_has(&fx->err, "left operand"));
    assert_null(sql_eq(b, name, SQL_NODE(s)));
    assert_true(fx_err_has(&fx->err, "cannot be a SQL_SELECT"));
    assert_null(sql_call1(b, SQL_FN_SUM, sql_star(b)));
    assert_null(sql_call(b, SQL_FN_NOW, &name, 1));
    assert_null(sql_call(b, SQL_FN_LOWER, NULL, 0));
    assert_null(sql_call(b, SQL_FN_COALESCE, NULL, 0));
    assert_false(sql_select_limit(b, s, -1));
    assert_false(sql_select_offset(b, s, -5));
    assert_null(sql_in(b, sql_bind(b, sql_val_null()), NULL, 0)); /* element type unknown */
    assert_null(sql_bind_cast(b, sql_val_int(1), SQL_TYPE_NONE));
    assert_null(sql_from_table(b, fx->users, ""));
    assert_false(sql_select_column(b, s, name, ""));
    assert_false(sql_select_join(b, s, SQL_JOIN_INNER, u, sql_lit(b, SQL_LIT_TRUE))); /* no FROM */
    sql_select_from(b, s, u);
    assert_false(sql_select_from(b, s, u));
    assert_false(
        sql_select_lock(b, s, SQL_LOCK_UPDATE, SQL_LOCK_WAIT, sql_from_table(b, fx->orders, NULL)));
    sql_insert *ins = sql_insert_new(b, u, NULL, 0);
    assert_false(sql_insert_row(b, ins, &name));
    assert_false(sql_insert_conflict_set(b, ins, fx_col(fx->users, "name"), name));
    assert_false(sql_insert_on_conflict_do_update(b, ins, NULL, 0));
    assert_null(sql_insert_new(b, u, (const sql_column *const[]){fx_col(fx->orders, "id")}, 1));
    assert_null(sql_insert_new(
        b, u, (const sql_column *const[]){fx_col(fx->users, "id"), fx_col(fx->users, "id")}, 2));
    sql_update *up = sql_update_new(b, u);
    assert_true(sql_update_set(b, up, fx_col(fx->users, "name"), name));
    assert_false(sql_update_set(b, up, fx_col(fx->users, "name"), name));
    sql_select *sub = sql_select_new(b);
    assert_null(sql_update_new(b, sql_from_subquery(b, sub, "t")));
    assert_null(sql_relation_exists(b, sql_table_relation(fx->users, "orders"), u,
                                    sql_from_table(b, fx->books, NULL), NULL, NULL));
    assert_null(sql_relation_secondary_condition(b, sql_table_relation(fx->users, "orders"), u, u));
    assert_int_equal(fx->err.n_items, 24);
}

static void test_compile_checks(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_from *u2 = sql_from_table(b, fx->users, NULL);
    sql_from *o = sql_from_table(b, fx->orders, NULL);

    /* A column of a FROM item the statement does not have. */
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, u);
    sql_select_where(b, s, sql_eq(b, sql_col(b, o, "status"), sql_bind(b, sql_val_str("x"))));
    /* DEFAULT and * where they mean nothing; EXCLUDED outside ON CONFLICT. */
    sql_select_where(b, s, sql_eq(b, sql_col(b, u, "name"), sql_lit(b, SQL_LIT_DEFAULT)));
    sql_select_where(b, s, sql_eq(b, sql_col(b, u, "name"), sql_star(b)));
    sql_select_where(
        b, s, sql_eq(b, sql_col(b, u, "name"), sql_excluded_col(b, fx_col(fx->users, "name"))));
    /* Two FROM items with one alias. */
    sql_select_join(b, s, SQL_JOIN_INNER, u2, sql_lit(b, SQL_LIT_TRUE));
    assert_false(sql_builder_failed(b));
    sql_compiled out;
    assert_false(sql_compile(SQL_NODE(s), fx->a, &out, &fx->err));
    assert_null(out.sql);
    assert_int_equal(fx->err.n_items, 5);
    assert_true(fx_err_has(&fx->err, "\"orders\".\"status\" refers to a FROM item"));
    assert_true(fx_err_has(&fx->err, "DEFAULT is only valid"));
    assert_true(fx_err_has(&fx->err, "* is only valid"));
    assert_true(fx_err_has(&fx->err, "EXCLUDED is only valid"));
    assert_true(fx_err_has(&fx->err, "alias \"users\" is used twice"));

    err_clear(&fx->err);
    sql_update *up = sql_update_new(b, u);
    sql_insert *ins =
        sql_insert_new(b, u, (const sql_column *const[]){fx_col(fx->users, "name")}, 1);
    sql_insert *ins2 =
        sql_insert_new(b, u, (const sql_column *const[]){fx_col(fx->users, "name")}, 1);
    sql_insert_row(b, ins2, (sql_node *[]){sql_bind(b, sql_val_str("n"))});
    sql_insert_on_conflict_do_update(b, ins2,
                                     (const sql_column *const[]){fx_col(fx->users, "email")}, 1);
    assert_false(sql_compile(SQL_NODE(up), fx->a, &out, &fx->err));
    assert_false(sql_compile(SQL_NODE(ins), fx->a, &out, &fx->err));
    assert_false(sql_compile(SQL_NODE(ins2), fx->a, &out, &fx->err));
    assert_false(sql_compile(SQL_NODE(u), fx->a, &out, &fx->err));
    assert_false(sql_compile(NULL, fx->a, &out, &fx->err));
    assert_true(fx_err_has(&fx->err, "has nothing to SET"));
    assert_true(fx_err_has(&fx->err, "has no VALUES row"));
    assert_true(fx_err_has(&fx->err, "ON CONFLICT DO UPDATE has nothing to SET"));
    assert_true(fx_err_has(&fx->err, "A FROM item is not a statement."));
    assert_true(fx_err_has(&fx->err, "There is no statement to compile."));
}

/* ==== values ========================================================== */

static void test_value_text(void **state)
{
    fixture *fx = *state;
    arena *a = fx->a;
    sql_value v = sql_val_int(INT64_MIN);
    assert_string_equal(sql_value_text(a, &v), "-9223372036854775808");
    v = sql_val_float(0.1);
    assert_string_equal(sql_value_text(a, &v), "0.1");
    v = sql_val_float(1.0 / 3.0);
    assert_string_equal(sql_value_text(a, &v), "0.3333333333333333");
    v = sql_val_float(1e300);
    assert_string_equal(sql_value_text(a, &v), "1e+300");
    v = sql_val_float(-0.0);
    assert_string_equal(sql_value_text(a, &v), "-0");
    v = sql_val_float(INFINITY);
    assert_string_equal(sql_value_text(a, &v), "Infinity");
    v = sql_val_float(-INFINITY);
    assert_string_equal(sql_value_text(a, &v), "-Infinity");
    v = sql_val_float(NAN);
    assert_string_equal(sql_value_text(a, &v), "NaN");
    v = sql_val_bool(false);
    assert_string_equal(sql_value_text(a, &v), "false");
    v = sql_val_str("");
    assert_string_equal(sql_value_text(a, &v), "");
    v = sql_val_str(NULL);
    assert_int_equal(v.kind, SQL_VAL_NULL);
    assert_null(sql_value_text(a, &v));
}

static void test_array_literal(void **state)
{
    fixture *fx = *state;
    sql_value text[] = {sql_val_str("a\"b"), sql_val_str("c\\d"), sql_val_str("e,f"),
                        sql_val_null(),      sql_val_str("NULL"), sql_val_str(""),
                        sql_val_str("{x}"),  sql_val_str(" sp "), sql_val_str("é\n")};
    assert_string_equal(
        sql_array_literal(fx->a, text, 9),
        "{\"a\\\"b\",\"c\\\\d\",\"e,f\",NULL,\"NULL\",\"\",\"{x}\",\" sp \",\"é\n\"}");
    sql_value other[] = {sql_val_int(1),          sql_val_int(-2),    sql_val_bool(true),
                         sql_val_bool(false),     sql_val_float(1.5), sql_val_float(NAN),
                         sql_val_float(-INFINITY)};
    assert_string_equal(sql_array_literal(fx->a, other, 7), "{1,-2,true,false,1.5,NaN,-Infinity}");
    assert_string_equal(sql_array_literal(fx->a, NULL, 0), "{}");
}

/* The builder copies text values: the caller's buffer may change. */
static void test_values_are_copied(void **state)
{
    fixture *fx = *state;
    char buf[8] = "first";
    sql_value list[] = {sql_val_str(buf)};
    sql_node *p = sql_bind(fx->b, sql_val_str(buf));
    sql_node *in = sql_in_typed(fx->b, p, SQL_TYPE_TEXT, false, list, 1);
    strcpy(buf, "later");
    sql_compiled out;
    assert_true(sql_compile(in, fx->a, &out, &fx->err));
    assert_string_equal(out.sql, "$1 = ANY($2::text[])");
    assert_string_equal(out.params[0], "first");
    assert_string_equal(out.params[1], "{\"first\"}");
}

/* ==== types and casts ================================================= */

static void test_expr_types(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *o = sql_from_table(b, fx->orders, NULL);
    sql_from *a = sql_from_table(b, fx->accounts, NULL);
    sql_from *bk = sql_from_table(b, fx->books, NULL);
    assert_int_equal(sql_expr_type(sql_col(b, o, "id")), SQL_TYPE_UUID);
    assert_int_equal(sql_expr_type(sql_col(b, o, "status")), SQL_TYPE_STRING);
    assert_int_equal(sql_expr_type(sql_count_star(b)), SQL_TYPE_BIGINT);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_SUM, sql_col(b, bk, "id"))),
                     SQL_TYPE_BIGINT);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_SUM, sql_col(b, a, "id"))),
                     SQL_TYPE_NUMERIC);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_AVG, sql_col(b, a, "rate"))),
                     SQL_TYPE_FLOAT);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_AVG, sql_col(b, bk, "id"))),
                     SQL_TYPE_NUMERIC);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_MAX, sql_col(b, o, "created_at"))),
                     SQL_TYPE_TIMESTAMPTZ);
    assert_int_equal(sql_expr_type(sql_call1(b, SQL_FN_LOWER, sql_col(b, o, "status"))),
                     SQL_TYPE_TEXT);
    assert_int_equal(sql_expr_type(sql_call(b, SQL_FN_NOW, NULL, 0)), SQL_TYPE_TIMESTAMPTZ);
    assert_int_equal(sql_expr_type(sql_binary(b, SQL_OP_ADD, sql_col(b, a, "balance"),
                                              sql_bind(b, sql_val_str("1")))),
                     SQL_TYPE_NUMERIC);
    assert_int_equal(sql_expr_type(sql_is_null(b, sql_col(b, a, "id"))), SQL_TYPE_BOOLEAN);
    assert_int_equal(sql_expr_type(sql_bind(b, sql_val_int(1))), SQL_TYPE_BIGINT);
    assert_int_equal(sql_expr_type(sql_bind(b, sql_val_null())), SQL_TYPE_NONE);
    assert_int_equal(sql_expr_type(sql_bind_cast(b, sql_val_str("x"), SQL_TYPE_DATE)),
                     SQL_TYPE_DATE);

    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, o);
    sql_select_column(b, s, sql_col(b, o, "user_id"), NULL);
    sql_select_column(b, s, sql_count_star(b), "n");
    sql_from *t = sql_from_subquery(b, s, "t");
    assert_int_equal(sql_expr_type(sql_col(b, t, "user_id")), SQL_TYPE_UUID);
    assert_int_equal(sql_expr_type(sql_col(b, t, "n")), SQL_TYPE_BIGINT);
    assert_null(sql_col(b, t, "status"));
    assert_true(fx_err_has(&fx->err, "The subquery \"t\" has no column \"status\"."));
}

static void test_checked_cast(void **state)
{
    fixture *fx = *state;
    sql_node *n = sql_bind(fx->b, sql_val_int(3));
    assert_true(sql_is(n, SQL_PARAM));
    assert_false(sql_is(n, SQL_COLREF));
    assert_false(sql_is(NULL, SQL_PARAM));
    sql_param *p = SQL_CAST(n, sql_param);
    assert_int_equal(p->value.u.i, 3);
    const sql_param *cp = SQL_CCAST(n, sql_param);
    assert_ptr_equal(cp, p);
    assert_null(SQL_CAST(NULL, sql_select));
    assert_int_equal(SQL_KIND_OF(sql_delete), SQL_DELETE);
    assert_string_equal(sql_node_kind_name(SQL_BETWEEN), "SQL_BETWEEN");
    assert_string_equal(sql_node_kind_name((sql_node_kind) 999), "(bad node kind)");
}

/* Builders accept a replaced LIMIT without counting a second parameter. */
static void test_limit_replaced(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, sql_from_table(b, fx->books, NULL));
    sql_select_limit(b, s, 10);
    sql_select_limit(b, s, 30);
    sql_select_offset(b, s, 0);
    assert_int_equal(sql_builder_param_count(b), 2);
    fx_assert_compiles(fx, SQL_NODE(s), "SELECT 1 FROM \"books\" LIMIT $1 OFFSET $2",
                       (const char *const[]){"30", "0"}, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_depth_limit_while_building, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit_while_compiling, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_param_limit_while_building, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_param_limit_while_compiling, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_problems_are_collected, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_builder_misuse, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_compile_checks, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_value_text, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_array_literal, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_values_are_copied, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_expr_types, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_checked_cast, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_limit_replaced, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("core_build", tests, NULL, NULL);
}
