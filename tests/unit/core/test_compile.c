/*
 * Golden compiler tests: every case of golden_cases.c as its own cmocka
 * test, comparing the full SQL text and every parameter.
 */
#include "golden_cases.h"

#include <stdlib.h>

static void run_case(void **state)
{
    fixture *fx = *state;
    const golden_case *gc = fx->user_state;
    sql_node *stmt = gc->build(fx);
    fx_assert_compiles(fx, stmt, gc->sql, gc->params, gc->n_params);
}

int main(void)
{
    struct CMUnitTest *tests = calloc(n_golden_cases, sizeof *tests);
    for (size_t i = 0; i < n_golden_cases; i++) {
        tests[i].name = golden_cases[i].name;
        tests[i].test_func = run_case;
        tests[i].setup_func = fx_setup;
        tests[i].teardown_func = fx_teardown;
        tests[i].initial_state = (void *) &golden_cases[i];
    }
    int failed = _cmocka_run_group_tests("core_compile", tests, n_golden_cases, NULL, NULL);
    free(tests);
    return failed;
}
