/*
 * test_isolation — the one isolation level parser (src/common/isolation.c)
 * shared by the configuration, transaction documents and BEGIN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "isolation.h"

static void test_spellings(void **state)
{
    (void) state;
    static const char *const CASES[][2] = {
        {"READ COMMITTED", "READ COMMITTED"},   {"read committed", "READ COMMITTED"},
        {"read_committed", "READ COMMITTED"},   {"Repeatable Read", "REPEATABLE READ"},
        {"serializable", "SERIALIZABLE"},       {"READ UNCOMMITTED", "READ UNCOMMITTED"},
        {"SNAPSHOT", NULL},                     {"", NULL},
        {"READ  COMMITTED", NULL},              {"SERIALIZABLE SERIALIZABLE SERIALIZABLE", NULL},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const char *got = isolation_level_parse(CASES[i][0]);
        if (CASES[i][1])
            assert_string_equal(got, CASES[i][1]);
        else
            assert_null(got);
    }
    assert_null(isolation_level_parse(NULL));
}

static void test_documented_levels(void **state)
{
    (void) state;
    assert_int_equal(ISOLATION_N_LEVELS, 3);
    for (size_t i = 0; i < ISOLATION_N_LEVELS; i++)
        assert_ptr_equal(isolation_level_parse(ISOLATION_LEVELS[i]),
                         isolation_level_parse(ISOLATION_LEVELS[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_documented_levels),
    };
    return cmocka_run_group_tests_name("isolation", tests, NULL, NULL);
}
