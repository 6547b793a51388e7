/*
 * golden_cases — the compiler's golden cases: a tree built in C, and the
 * exact SQL text and parameters it must compile to. One entry per
 * construct; test_compile.c runs each as its own test, test_cache.c runs
 * them all through the statement cache and the shape keys.
 */
#ifndef RETORT_GOLDEN_CASES_H
#define RETORT_GOLDEN_CASES_H

#include "core_fixture.h"

typedef struct golden_case {
    const char *name;
    sql_node *(*build)(fixture *fx);
    const char *sql;
    const char *const *params; /* NULL entry = SQL NULL */
    size_t n_params;
} golden_case;

extern const golden_case golden_cases[];
extern const size_t n_golden_cases;

#endif
