/*
 * test_orm_schema — the DDL the shipped config's models produce
 * (src/orm/orm_schema.c), without a database: client-side defaults reach
 * the DDL as literals, so rows inserted outside retort get them too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "orm.h"
#include "sql.h"
#include "testsupport.h"

static void test_config_defaults_in_ddl(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test");
    err_report err;
    err_init(&err, a);
    cfg_config *c = cfg_load(a, ts_source_path(a, "config/retort.json"), NULL, &err);
    ts_assert_ok(&err, "load");
    sql_metadata *md = orm_metadata_from_config(a, c, &err);
    ts_assert_ok(&err, "metadata");
    sql_stmts ddl = {0};
    assert_true(sql_compile_create_all(md, a, &ddl, &err));
    const char *script = sql_stmts_script(&ddl, a);
    assert_non_null(strstr(script, "\"version\" integer NOT NULL DEFAULT 1"));
    assert_non_null(strstr(script, "DEFAULT 'pending'"));
    assert_non_null(strstr(script, "DEFAULT gen_random_uuid()"));
    arena_destroy(a);
}

/* Quotes inside a string default are doubled; JSON documents are quoted. */
static void test_default_literals(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test");
    err_report err;
    err_init(&err, a);
    cfg_config *c = cfg_load_string(
        a,
        "{\"models\": {\"T\": {\"table\": \"t\", \"columns\": {"
        " \"id\": {\"type\": \"integer\", \"primary_key\": true},"
        " \"s\": {\"type\": \"text\", \"default\": \"it's\"},"
        " \"b\": {\"type\": \"boolean\", \"default\": false},"
        " \"j\": {\"type\": \"json\", \"default\": {\"a\": [1]}},"
        " \"n\": {\"type\": \"text\", \"default\": null}}}}}",
        "test", NULL, &err);
    ts_assert_ok(&err, "load");
    sql_metadata *md = orm_metadata_from_config(a, c, &err);
    ts_assert_ok(&err, "metadata");
    sql_stmts ddl = {0};
    assert_true(sql_compile_create_all(md, a, &ddl, &err));
    const char *script = sql_stmts_script(&ddl, a);
    assert_non_null(strstr(script, "\"s\" text DEFAULT 'it''s'"));
    assert_non_null(strstr(script, "\"b\" boolean DEFAULT false"));
    assert_non_null(strstr(script, "DEFAULT '{\"a\":[1]}'"));
    assert_null(strstr(script, "\"n\" text DEFAULT"));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_in_ddl),
        cmocka_unit_test(test_default_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
