/*
 * test_cfg_ops — the operations settings: "log" (level, format) and the
 * read replicas ("database.replicas", "database.max_replica_lag_ms"), from
 * the file and from the environment, with their errors and pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "testsupport.h"

static arena *A;
static err_report E;

static int setup(void **state)
{
    (void) state;
    A = arena_create(NULL, "test_cfg_ops");
    err_init(&E, A);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    arena_destroy(A);
    return 0;
}

static cfg_config *load(const char *single_quoted, char **envp)
{
    static char *none[] = {NULL};
    return cfg_load_string(A, ts_dquote(A, single_quoted), "t.json", envp ? envp : none, &E);
}

static bool has_item(const char *pointer, const char *text)
{
    for (size_t i = 0; i < E.n_items; i++)
        if (E.items[i].pointer && strcmp(E.items[i].pointer, pointer) == 0 &&
            (!text || (E.items[i].detail && strstr(E.items[i].detail, text))))
            return true;
    return false;
}

static void test_defaults(void **state)
{
    (void) state;
    cfg_config *c = load("{}", NULL);
    assert_non_null(c);
    assert_string_equal(c->log.level, "info");
    assert_string_equal(c->log.format, "text");
    assert_null(c->database.replicas);
    assert_int_equal(c->database.n_replicas, 0);
    assert_int_equal(c->database.max_replica_lag_ms, 5000);
}

static void test_file(void **state)
{
    (void) state;
    cfg_config *c = load("{'log': {'level': 'debug', 'format': 'json'},"
                         " 'database': {'replicas': ['postgresql://r1/db', 'postgresql://r2/db'],"
                         "              'max_replica_lag_ms': 250}}",
                         NULL);
    ts_assert_ok(&E, "load");
    assert_string_equal(c->log.level, "debug");
    assert_string_equal(c->log.format, "json");
    assert_int_equal(c->database.n_replicas, 2);
    assert_string_equal(c->database.replicas[0], "postgresql://r1/db");
    assert_string_equal(c->database.replicas[1], "postgresql://r2/db");
    assert_null(c->database.replicas[2]);
    assert_int_equal(c->database.max_replica_lag_ms, 250);
}

static void test_environment_wins(void **state)
{
    (void) state;
    char *env[] = {"RETORT_LOG_FORMAT=json", "RETORT_LOG_LEVEL=warn",
                   "RETORT_DATABASE_REPLICAS=postgresql://a/x, postgresql://b/x,",
                   "RETORT_DATABASE_MAX_REPLICA_LAG_MS=10", NULL};
    cfg_config *c = load("{'database': {'replicas': ['postgresql://file/db']}}", env);
    ts_assert_ok(&E, "load");
    assert_string_equal(c->log.format, "json");
    assert_string_equal(c->log.level, "warn");
    assert_int_equal(c->database.n_replicas, 2);
    assert_string_equal(c->database.replicas[0], "postgresql://a/x");
    assert_string_equal(c->database.replicas[1], "postgresql://b/x");
    assert_int_equal(c->database.max_replica_lag_ms, 10);

    char *none[] = {"RETORT_DATABASE_REPLICAS=", NULL};
    c = load("{'database': {'replicas': ['postgresql://file/db']}}", none);
    assert_int_equal(c->database.n_replicas, 0);
}

static void test_errors(void **state)
{
    (void) state;
    assert_null(load("{'log': {'format': 'xml', 'level': 'loud', 'colour': true},"
                     " 'database': {'replicas': ['postgresql://ok/db', '', 7],"
                     "              'max_replica_lag_ms': -1}}",
                     NULL));
    assert_true(has_item("/log/format", "text or json"));
    assert_true(has_item("/log/level", "debug, info, warn or error"));
    assert_true(has_item("/log/colour", NULL));
    assert_true(has_item("/database/replicas/1", "non-empty URL"));
    assert_true(has_item("/database/replicas/2", "non-empty URL"));
    assert_true(has_item("/database/max_replica_lag_ms", NULL));

    err_init(&E, A);
    assert_null(load("{'database': {'replicas': 'postgresql://r/db'}}", NULL));
    assert_true(has_item("/database/replicas", "array"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
