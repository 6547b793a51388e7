/*
 * text(): :name parameters become $n (the same name the same $n), casts,
 * quotes, comments and dollar quotes are left alone, unknown or missing
 * names are refused.
 */
#include "core_fixture.h"

static sql_text *text(fixture *fx, const char *sql)
{
    sql_text *t = sql_text_new(fx->b, sql);
    assert_non_null(t);
    return t;
}

static void test_repeated_names(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT :a + :b + :a, :b_2, :a");
    assert_int_equal(t->n_names, 3);
    sql_text_bind(fx->b, t, "a", sql_val_int(1));
    sql_text_bind(fx->b, t, "b", sql_val_str("two"));
    sql_text_bind(fx->b, t, "b_2", sql_val_null());
    fx_assert_compiles(fx, SQL_NODE(t), "SELECT $1 + $2 + $1, $3, $1",
                       (const char *const[]){"1", "two", NULL}, 3);
}

static void test_rebinding_replaces(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT :x");
    sql_text_bind(fx->b, t, "x", sql_val_int(1));
    sql_text_bind(fx->b, t, "x", sql_val_str("again"));
    assert_int_equal(sql_builder_param_count(fx->b), 1);
    fx_assert_compiles(fx, SQL_NODE(t), "SELECT $1", (const char *const[]){"again"}, 1);
}

static void test_casts_are_not_parameters(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT x::text, :id::uuid, CAST(:n AS int), '1'::int, y ::date");
    assert_int_equal(t->n_names, 2);
    sql_text_bind(fx->b, t, "id", sql_val_str("u"));
    sql_text_bind(fx->b, t, "n", sql_val_int(5));
    fx_assert_compiles(fx, SQL_NODE(t),
                       "SELECT x::text, $1::uuid, CAST($2 AS int), '1'::int, y ::date",
                       (const char *const[]){"u", "5"}, 2);
}

static void test_quoted_text_is_skipped(void **state)
{
    fixture *fx = *state;
    const char *sql =
        "SELECT ':no', 'it''s :no', E'\\' :no', e'x\\\\' , \"col:no\", \"a\"\"b:no\", "
        "$$ :no $$, $tag$ :no $x$ $tag$, arr[1:n], a::b -- :no\n"
        ", /* :no /* nested :no */ :no */ :yes, \\:esc, x$1";
    sql_text *t = text(fx, sql);
    assert_int_equal(t->n_names, 1);
    assert_string_equal(t->names[0], "yes");
    sql_text_bind(fx->b, t, "yes", sql_val_bool(true));
    fx_assert_compiles(
        fx, SQL_NODE(t),
        "SELECT ':no', 'it''s :no', E'\\' :no', e'x\\\\' , \"col:no\", \"a\"\"b:no\", "
        "$$ :no $$, $tag$ :no $x$ $tag$, arr[1:n], a::b -- :no\n"
        ", /* :no /* nested :no */ :no */ $1, :esc, x$1",
        (const char *const[]){"true"}, 1);
}

static void test_unknown_name_rejected(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT :a");
    assert_false(sql_text_bind(fx->b, t, "b", sql_val_int(1)));
    assert_int_equal(fx->err.kind, ERR_BAD_REQUEST);
    assert_true(fx_err_has(&fx->err, "The statement has no parameter :b."));
}

static void test_unbound_name_rejected(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT :a, :b, :a");
    sql_text_bind(fx->b, t, "b", sql_val_int(1));
    sql_compiled out;
    assert_false(sql_compile(SQL_NODE(t), fx->a, &out, &fx->err));
    assert_null(out.sql);
    assert_int_equal(fx->err.kind, ERR_BAD_REQUEST);
    assert_int_equal(fx->err.n_items, 1); /* reported once, not per use */
    assert_true(fx_err_has(&fx->err, "The parameter :a has no value."));
}

static void test_refused_texts(void **state)
{
    fixture *fx = *state;
    const char *bad[] = {"SELECT $1",       "SELECT 'open",        "SELECT \"open",
                         "SELECT /* open",  "SELECT /* a /* b */", "SELECT $q$ open",
                         "SELECT E'open\\'"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(sql_text_new(fx->b, bad[i]));
    assert_int_equal(fx->err.n_items, sizeof bad / sizeof bad[0]);
    assert_true(fx_err_has(&fx->err, "positional parameter"));
    assert_true(fx_err_has(&fx->err, "unterminated string"));
    assert_true(fx_err_has(&fx->err, "unterminated quoted identifier"));
    assert_true(fx_err_has(&fx->err, "unterminated comment"));
    assert_true(fx_err_has(&fx->err, "unterminated dollar-quoted string"));
}

static void test_no_parameters(void **state)
{
    fixture *fx = *state;
    sql_text *t = text(fx, "SELECT 1");
    fx_assert_compiles(fx, SQL_NODE(t), "SELECT 1", NULL, 0);
    t = text(fx, "");
    fx_assert_compiles(fx, SQL_NODE(t), "", NULL, 0);
}

/* Numbering continues across a tree: a text() fragment inside a SELECT
 * takes the next numbers, its repeated names keep theirs. */
static void test_fragment_numbering(void **state)
{
    fixture *fx = *state;
    sql_builder *b = fx->b;
    sql_from *u = sql_from_table(b, fx->users, NULL);
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, u);
    sql_select_where(b, s, sql_eq(b, sql_col(b, u, "name"), sql_bind(b, sql_val_str("n"))));
    sql_text *t = text(fx, "email = :e OR email = lower(:e) OR :f");
    sql_text_bind(b, t, "f", sql_val_bool(false));
    sql_text_bind(b, t, "e", sql_val_str("e@x"));
    sql_select_where(b, s, SQL_NODE(t));
    sql_select_limit(b, s, 5);
    fx_assert_compiles(fx, SQL_NODE(s),
                       "SELECT 1 FROM \"users\" WHERE \"users\".\"name\" = $1 AND (email = $2 OR "
                       "email = lower($2) OR $3) LIMIT $4",
                       (const char *const[]){"n", "e@x", "false", "5"}, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repeated_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rebinding_replaces, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_casts_are_not_parameters, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_quoted_text_is_skipped, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_name_rejected, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unbound_name_rejected, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refused_texts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_parameters, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fragment_numbering, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("core_text", tests, NULL, NULL);
}
