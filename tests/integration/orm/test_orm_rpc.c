/*
 * test_orm_rpc — named SQL queries (config "queries") against a real
 * PostgreSQL: every parameter type bound and cast, values that try to
 * inject SQL arrive as data, the same name twice binds one parameter,
 * a read_only query cannot write, a writing query can.
 */
#include "orm_fixture.h"

static const char *const QUERIES =
    "{'queries': {"
    " 'types': {'sql': 'SELECT :i AS i, :bi AS bi, :f AS f, :n AS n, :s AS s, :t AS t, :b AS b, "
    "  :u AS u, :d AS d, :ts AS ts, :j AS j, pg_typeof(:i)::text AS ti, pg_typeof(:j)::text AS tj',"
    "  'params': {'i': 'integer', 'bi': 'bigint', 'f': 'float', 'n': 'numeric', 's': 'string',"
    "   't': 'text', 'b': 'boolean', 'u': 'uuid', 'd': 'date', 'ts': 'timestamptz', 'j': 'json'},"
    "  'read_only': true},"
    " 'by_email': {'sql': 'SELECT count(*) FROM om_users WHERE email = :e OR name = :e',"
    "  'params': {'e': 'text'}, 'read_only': true},"
    " 'sneaky': {'sql': 'UPDATE om_users SET name = :n', 'params': {'n': 'text'},"
    "  'read_only': true},"
    " 'rename': {'sql': 'UPDATE om_users SET name = :n WHERE id = :id', "
    "  'params': {'n': 'text', 'id': 'integer'}}}}";

static const cfg_config *load_queries(void)
{
    err_report err;
    err_init(&err, OF.a);
    static char *noenv[] = {NULL};
    cfg_config *c = cfg_load_string(OF.a, ts_dquote(OF.a, QUERIES), "rpc.json", noenv, &err);
    ts_assert_ok(&err, "queries config");
    assert_non_null(c);
    assert_true(orm_queries_check(c, OF.a, &err));
    return c;
}

static void test_every_type(void **state)
{
    (void) state;
    const cfg_config *c = load_queries();
    const cfg_query *q = cfg_query_by_name(c, "types");
    sql_value v[] = {
        sql_val_str("42"),
        sql_val_str("9007199254740993"),
        sql_val_str("1.5"),
        sql_val_str("12.50"),
        sql_val_str("a'b"),
        sql_val_str("line\nbreak"),
        sql_val_str("true"),
        sql_val_str("0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69"),
        sql_val_str("2026-02-28"),
        sql_val_str("2026-01-01T10:00:00Z"),
        sql_val_str("{\"k\": [1, 2]}"),
    };
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    eng_result *r = orm_session_run_query(s, q, v, &err);
    ts_assert_ok(&err, "types");
    assert_non_null(r);
    assert_string_equal(eng_result_value(r, 0, 0), "42");
    assert_string_equal(eng_result_value(r, 0, 1), "9007199254740993");
    assert_string_equal(eng_result_value(r, 0, 3), "12.50");
    assert_string_equal(eng_result_value(r, 0, 4), "a'b");
    assert_string_equal(eng_result_value(r, 0, 6), "t");
    assert_string_equal(eng_result_value(r, 0, 8), "2026-02-28");
    assert_string_equal(eng_result_value(r, 0, 10), "{\"k\": [1, 2]}");
    assert_string_equal(eng_result_value(r, 0, 11), "integer");
    /* json and jsonb are kept apart: a json parameter is bound as json. */
    assert_string_equal(eng_result_value(r, 0, 12), "json");
    assert_int_equal(ofx_count(s), 1);
    orm_session_rollback(s);
}

static void test_injection_is_data(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (id, email, name) VALUES (1, 'a@x.org', 'A')");
    const cfg_config *c = load_queries();
    const cfg_query *q = cfg_query_by_name(c, "by_email");
    const char *attacks[] = {
        "' OR '1'='1",
        "a@x.org'; DROP TABLE om_users; --",
        "$1",
        ":e",
        "a@x.org\\' OR 1=1 --",
        "\") OR true --",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        orm_session *s = ofx_session();
        err_report err;
        err_init(&err, OF.a);
        sql_value v = sql_val_str(attacks[i]);
        eng_result *r = orm_session_run_query(s, q, &v, &err);
        ts_assert_ok(&err, attacks[i]);
        assert_string_equal(eng_result_value(r, 0, 0), "0");
        orm_session_close(s);
    }
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users"), 1);
}

static void test_read_only_and_writes(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (id, email, name) VALUES (1, 'a@x.org', 'A')");
    const cfg_config *c = load_queries();
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    sql_value n = sql_val_str("hacked");
    assert_null(orm_session_run_query(s, cfg_query_by_name(c, "sneaky"), &n, &err));
    assert_string_equal(err.sqlstate, "25006");
    orm_session_close(s);

    orm_session *s2 = ofx_session();
    err_report e2;
    err_init(&e2, OF.a);
    sql_value v[] = {sql_val_str("B"), sql_val_str("1")};
    assert_non_null(orm_session_run_query(s2, cfg_query_by_name(c, "rename"), v, &e2));
    assert_true(orm_session_commit(s2, &e2));
    ts_assert_ok(&e2, "rename");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users WHERE name = 'B'"), 1);
}

static int group_setup(void **state)
{
    (void) state;
    return ofx_group_setup("orm_rpc");
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_type, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_injection_is_data, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_and_writes, ofx_setup, ofx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
