/*
 * eng_testing — helpers shared by the engine's integration tests: a
 * report with an arena, running a statement and reading one value, asking
 * the server about backends. Header-only (static inline) so each test
 * stays one source file.
 */
#ifndef RETORT_ENG_TESTING_H
#define RETORT_ENG_TESTING_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "eng.h"
#include "error.h"
#include "testsupport.h"

/* The first column of the first row of sql, copied into a. */
static inline const char *et_scalar(eng_conn *c, arena *a, const char *sql)
{
    err_report err;
    err_init(&err, a);
    eng_result *r = eng_exec(c, a, sql, 0, NULL, &err);
    ts_assert_ok(&err, sql);
    assert_non_null(r);
    assert_true(eng_result_rows(r) >= 1);
    return arena_strdup(a, eng_result_value(r, 0, 0));
}

static inline long et_scalar_long(eng_conn *c, arena *a, const char *sql)
{
    return strtol(et_scalar(c, a, sql), NULL, 10);
}

static inline void et_command(eng_conn *c, arena *a, const char *sql)
{
    err_report err;
    err_init(&err, a);
    bool ok = eng_exec_command(c, sql, &err);
    ts_assert_ok(&err, sql);
    assert_true(ok);
}

static inline eng_conn *et_checkout(eng_pool *p, arena *a)
{
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(p, &err);
    ts_assert_ok(&err, "checkout");
    assert_non_null(c);
    return c;
}

#endif
