/*
 * test_jsonkind — the JSON type names of messages (src/common/jsonkind.c),
 * shared by the configuration loader, the query translator and body
 * validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jsonkind.h"

static void test_every_type(void **state)
{
    (void) state;
    static const struct {
        const char *json, *name;
    } CASES[] = {
        {"{}", "an object"},    {"[]", "an array"},       {"\"x\"", "a string"},
        {"1", "an integer"},    {"1.5", "a real number"}, {"true", "a boolean"},
        {"false", "a boolean"}, {"null", "null"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        json_t *v = json_loads(CASES[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        assert_string_equal(jsonkind_name(v), CASES[i].name);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
