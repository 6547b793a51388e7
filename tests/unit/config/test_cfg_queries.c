/*
 * test_cfg_queries — the "queries" section: names, SQL, typed parameters
 * and result columns, read_only; every problem with its pointer; and the
 * start-up check (orm_queries_check) that the SQL's :names and the
 * declared parameters match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "orm.h"
#include "testsupport.h"

static char *NOENV[] = {NULL};

static bool has_item(const err_report *err, const char *pointer, const char *text)
{
    for (size_t i = 0; i < err->n_items; i++)
        if (err->items[i].pointer && strcmp(err->items[i].pointer, pointer) == 0 &&
            (!text || (err->items[i].detail && strstr(err->items[i].detail, text))))
            return true;
    for (size_t i = 0; i < err->n_items; i++)
        print_message("  %s: %s\n", err->items[i].pointer, err->items[i].detail);
    return false;
}

static void test_queries_parse(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "cfg queries");
    err_report err;
    err_init(&err, a);
    const char *doc =
        "{'queries': {'top': {'sql': 'SELECT user_id FROM orders WHERE created_at >= :since "
        "LIMIT :n', 'params': {'since': 'timestamptz', 'n': 'integer'}, 'read_only': true, "
        "'columns': {'user_id': 'uuid'}}, 'touch': {'sql': 'UPDATE t SET x = 1'}}}";
    cfg_config *c = cfg_load_string(a, ts_dquote(a, doc), "q.json", NOENV, &err);
    assert_non_null(c);
    assert_int_equal(c->n_queries, 2);
    const cfg_query *q = cfg_query_by_name(c, "top");
    assert_non_null(q);
    assert_true(q->read_only);
    assert_int_equal(q->n_params, 2);
    assert_string_equal(q->params[0].name, "since");
    assert_int_equal(q->params[0].type, CFG_TYPE_TIMESTAMPTZ);
    assert_int_equal(q->params[1].type, CFG_TYPE_INTEGER);
    assert_int_equal(q->n_columns, 1);
    assert_int_equal(q->columns[0].type, CFG_TYPE_UUID);
    assert_false(cfg_query_by_name(c, "touch")->read_only);
    assert_null(cfg_query_by_name(c, "nope"));
    assert_true(orm_queries_check(c, a, &err));
    arena_destroy(a);
}

static void test_queries_problems(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "cfg queries");
    err_report err;
    err_init(&err, a);
    const char *doc = "{'queries': {'bad-name': {'sql': 'SELECT 1'},"
                      " 'nosql': {'params': {}},"
                      " 'types': {'sql': 'SELECT :a', 'params': {'a': 'varchar'}},"
                      " 'keys': {'sql': 'SELECT 1', 'cache': true},"
                      " 'ro': {'sql': 'SELECT 1', 'read_only': 'yes'}}}";
    assert_null(cfg_load_string(a, ts_dquote(a, doc), "q.json", NOENV, &err));
    assert_true(has_item(&err, "/queries/bad-name", "identifier"));
    assert_true(has_item(&err, "/queries/nosql/sql", "needs"));
    assert_true(has_item(&err, "/queries/types/params/a", "type"));
    assert_true(has_item(&err, "/queries/keys/cache", NULL));
    assert_true(has_item(&err, "/queries/ro/read_only", NULL));
    arena_destroy(a);
}

/* Start-up: undeclared :names, unused parameters, SQL text() refuses. */
static void test_queries_check(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "cfg queries");
    err_report err;
    err_init(&err, a);
    const char *doc = "{'queries': {"
                      " 'undeclared': {'sql': 'SELECT :x, :y::int', 'params': {'x': 'text'}},"
                      " 'unused': {'sql': 'SELECT 1', 'params': {'z': 'integer'}},"
                      " 'positional': {'sql': 'SELECT $1'},"
                      " 'fine': {'sql': 'SELECT \\u0027:not_a_param\\u0027, :v', "
                      "          'params': {'v': 'uuid'}}}}";
    cfg_config *c = cfg_load_string(a, ts_dquote(a, doc), "q.json", NOENV, &err);
    assert_non_null(c);
    assert_false(orm_queries_check(c, a, &err));
    assert_true(has_item(&err, "/queries/undeclared/params", ":y"));
    assert_true(has_item(&err, "/queries/unused/params/z", "never uses"));
    assert_true(has_item(&err, "/queries/positional/sql", NULL));
    assert_int_equal(err.n_items, 3);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries_parse),
        cmocka_unit_test(test_queries_problems),
        cmocka_unit_test(test_queries_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
