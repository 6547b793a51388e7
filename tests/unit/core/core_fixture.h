/*
 * core_fixture — what the core unit tests share: a per-test arena, error
 * report and builder, and the sample schema (SPEC.md §1's users/orders, a
 * many-to-many books/genres pair with its association table, an account
 * table with identity and server defaults, and a table whose names need
 * quoting). Everything lives in the fixture's arena; fx_teardown destroys
 * it, so the sanitizers see anything left behind.
 */
#ifndef RETORT_CORE_FIXTURE_H
#define RETORT_CORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arena.h"
#include "error.h"
#include "sql.h"

typedef struct fixture {
    arena *a;
    err_report err;
    sql_builder *b;
    sql_metadata *md;
    const sql_table *users, *orders, *books, *genres, *book_genres, *accounts, *weird;
    void *user_state; /* for tests that need one more pointer */
} fixture;

/* The sample metadata, frozen, living in a. Fails the test on error. */
sql_metadata *fx_metadata(arena *a);

/* cmocka setup/teardown: *state becomes a fixture (initial state, if any,
 * is kept in user_state). */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Looks a column up, failing the test when absent. */
const sql_column *fx_col(const sql_table *t, const char *name);

/* Compiles and compares the full SQL text and every parameter (NULL
 * expected = SQL NULL). Also checks that $1..$n are dense and that the
 * walker meets the parameters in $n order. */
void fx_assert_compiles(fixture *fx, const sql_node *stmt, const char *sql,
                        const char *const *params, size_t n_params);

/* True when some item of err has a detail containing needle. */
bool fx_err_has(const err_report *err, const char *needle);

#endif
