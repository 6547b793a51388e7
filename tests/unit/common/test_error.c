/*
 * test_error — the error record (src/common/error.c): the first error
 * stays, located items with pointers, kinds and their defaults, and the
 * SQLSTATE table of errcodes.def (exact code, then class, then 500), and
 * the JSON Pointers items carry (err_pointer_join, sbuf_append_pointer_token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "strbuf.h"

typedef struct fixture {
    arena *a;
    err_report err;
} fixture;

static fixture F;

static int setup(void **state)
{
    F.a = arena_create(NULL, "test_error");
    err_init(&F.err, F.a);
    *state = &F;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_destroy(f->a);
    return 0;
}

static void test_init(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->err.kind, ERR_NONE);
    assert_false(err_is_set(&f->err));
    assert_false(err_is_set(NULL));
    assert_int_equal(f->err.operation, -1);
    assert_int_equal(f->err.n_items, 0);
    assert_string_equal(f->err.sqlstate, "");
    assert_ptr_equal(f->err.arena, f->a);
}

static void test_first_error_stays(void **state)
{
    fixture *f = *state;
    err_set(&f->err, ERR_NOT_FOUND, "no user %d", 42);
    int line = __LINE__ - 1;
    assert_true(err_is_set(&f->err));
    assert_int_equal(f->err.kind, ERR_NOT_FOUND);
    assert_int_equal(f->err.status, 404);
    assert_string_equal(f->err.type, "not-found");
    assert_string_equal(f->err.title, "not found");
    assert_string_equal(f->err.detail, "no user 42");
    assert_non_null(strstr(f->err.file, "test_error.c"));
    assert_int_equal(f->err.line, line);

    /* later errors, including database ones, do not overwrite the cause */
    err_set(&f->err, ERR_INTERNAL, "cleanup failed");
    err_set_sqlstate(&f->err, "08006", "connection lost");
    assert_int_equal(f->err.kind, ERR_NOT_FOUND);
    assert_string_equal(f->err.detail, "no user 42");
    assert_string_equal(f->err.sqlstate, "");

    /* cleared, it takes a new error and keeps its arena */
    err_clear(&f->err);
    assert_false(err_is_set(&f->err));
    assert_ptr_equal(f->err.arena, f->a);
    err_set(&f->err, ERR_TIMEOUT, "slow");
    assert_int_equal(f->err.status, 504);

    /* NULL reports are ignored */
    err_set(NULL, ERR_INTERNAL, "x");
    err_add_item(NULL, ERR_VALIDATION, "/a", "x");
    err_set_sqlstate(NULL, "23505", "x");
}

static void test_without_arena(void **state)
{
    (void) state;
    err_report e;
    err_init(&e, NULL);
    err_set(&e, ERR_BAD_REQUEST, "a literal");
    assert_string_equal(e.detail, "a literal");
    err_clear(&e);
    err_set(&e, ERR_BAD_REQUEST, "formatted %d", 1);
    assert_null(e.detail); /* nowhere to format into: dropped */
    assert_int_equal(e.kind, ERR_BAD_REQUEST);
    err_clear(&e);
    err_add_item(&e, ERR_VALIDATION, "/x", "literal item");
    assert_string_equal(e.items[0].pointer, "/x");
    assert_string_equal(e.items[0].detail, "literal item");
}

static void test_items(void **state)
{
    fixture *f = *state;
    char ptr[32];
    snprintf(ptr, sizeof ptr, "/where/email/like");
    err_add_item(&f->err, ERR_VALIDATION, ptr, "operator %s needs a string", "like");
    ptr[1] = 'X'; /* the report keeps its own copy */
    err_add_item(&f->err, ERR_BAD_REQUEST, "/3/total", "must be a number");
    err_add_item(&f->err, ERR_BAD_REQUEST, "", "the whole document");
    err_add_item(&f->err, ERR_BAD_REQUEST, NULL, "no location");

    /* the first kind stays */
    assert_int_equal(f->err.kind, ERR_VALIDATION);
    assert_int_equal(f->err.status, 422);
    assert_string_equal(f->err.type, "validation-error");
    assert_int_equal(f->err.n_items, 4);
    assert_string_equal(f->err.items[0].pointer, "/where/email/like");
    assert_string_equal(f->err.items[0].detail, "operator like needs a string");
    assert_string_equal(f->err.items[1].pointer, "/3/total");
    assert_string_equal(f->err.items[2].pointer, "");
    assert_null(f->err.items[3].pointer);
    assert_string_equal(f->err.items[3].detail, "no location");

    /* items added after an error keep that error's kind */
    err_clear(&f->err);
    err_set(&f->err, ERR_NOT_FOUND, "gone");
    err_add_item(&f->err, ERR_VALIDATION, "/a", "x");
    assert_int_equal(f->err.kind, ERR_NOT_FOUND);
    assert_int_equal(f->err.n_items, 1);
}

static void test_item_overflow(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < ERR_MAX_ITEMS + 5; i++)
        err_add_item(&f->err, ERR_VALIDATION, "/x", "item %d", i);
    assert_int_equal(f->err.n_items, ERR_MAX_ITEMS);
    assert_int_equal(f->err.dropped_items, 5);
    assert_string_equal(f->err.items[ERR_MAX_ITEMS - 1].detail, "item 63");
}

static void test_kind_defaults(void **state)
{
    (void) state;
    assert_int_equal(err_kind_status(ERR_BAD_REQUEST), 400);
    assert_int_equal(err_kind_status(ERR_VALIDATION), 422);
    assert_int_equal(err_kind_status(ERR_METHOD), 405);
    assert_int_equal(err_kind_status(ERR_TOO_LARGE), 413);
    assert_int_equal(err_kind_status(ERR_MEDIA_TYPE), 415);
    assert_int_equal(err_kind_status(ERR_STALE), 412);
    assert_int_equal(err_kind_status(ERR_SERIALIZATION), 409);
    assert_int_equal(err_kind_status(ERR_POOL_TIMEOUT), 503);
    assert_int_equal(err_kind_status(ERR_CONFIG), 500);
    assert_string_equal(err_kind_type(ERR_STALE), "precondition-failed");
    assert_string_equal(err_kind_title(ERR_CONFIG), "invalid configuration");

    /* pool timeout and unavailable carry Retry-After */
    err_report e;
    err_init(&e, NULL);
    err_set(&e, ERR_POOL_TIMEOUT, "no connection");
    assert_true(e.retry_after > 0);
    err_init(&e, NULL);
    err_set(&e, ERR_CONFLICT, "dup");
    assert_int_equal(e.retry_after, 0);
}

static void expect_lookup(const char *code, int status, const char *type)
{
    int s = 0;
    const char *t = NULL;
    err_lookup_sqlstate(code, &s, &t);
    assert_int_equal(s, status);
    assert_string_equal(t, type);
}

static void test_sqlstate_lookup(void **state)
{
    (void) state;
    /* exact codes */
    expect_lookup("23505", 409, "unique-violation");
    expect_lookup("23503", 409, "foreign-key-violation");
    expect_lookup("23502", 422, "not-null-violation");
    expect_lookup("23514", 422, "check-violation");
    expect_lookup("40001", 409, "serialization-failure");
    expect_lookup("40P01", 409, "deadlock-detected");
    expect_lookup("57014", 504, "query-canceled");
    expect_lookup("42501", 403, "insufficient-privilege");
    expect_lookup("22001", 422, "string-too-long");
    expect_lookup("25006", 503, "read-only-transaction"); /* not 500: retry */
    /* the exact code wins over its class */
    expect_lookup("22P02", 422, "invalid-text-representation");
    /* classes */
    expect_lookup("22012", 400, "invalid-data"); /* division_by_zero */
    expect_lookup("22023", 400, "invalid-data");
    expect_lookup("23000", 409, "integrity-violation");
    expect_lookup("08006", 503, "database-unavailable");
    expect_lookup("08001", 503, "database-unavailable");
    expect_lookup("53100", 503, "insufficient-resources");
    /* fallback */
    expect_lookup("XX000", 500, "database-error");
    expect_lookup("P0001", 500, "database-error");
    expect_lookup(NULL, 500, "database-error");
    expect_lookup("235", 500, "database-error");
    expect_lookup("235050", 500, "database-error");
}

static void test_set_sqlstate(void **state)
{
    fixture *f = *state;

    err_set_sqlstate(&f->err, "23505", "duplicate key value violates unique constraint");
    assert_int_equal(f->err.kind, ERR_CONFLICT);
    assert_int_equal(f->err.status, 409);
    assert_string_equal(f->err.type, "unique-violation");
    assert_string_equal(f->err.sqlstate, "23505");
    assert_string_equal(f->err.db_message, "duplicate key value violates unique constraint");
    assert_string_equal(f->err.detail, "A value that must be unique is already taken.");
    assert_int_equal(f->err.retry_after, 0);
    assert_false(err_is_retryable(&f->err));

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "40001", "could not serialize access");
    assert_int_equal(f->err.kind, ERR_SERIALIZATION);
    assert_int_equal(f->err.status, 409);
    assert_string_equal(f->err.type, "serialization-failure");
    assert_true(err_is_retryable(&f->err));

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "40P01", "deadlock detected");
    assert_int_equal(f->err.kind, ERR_SERIALIZATION);
    assert_true(err_is_retryable(&f->err));

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "08006", "connection failure");
    assert_int_equal(f->err.kind, ERR_UNAVAILABLE);
    assert_int_equal(f->err.status, 503);
    assert_string_equal(f->err.type, "database-unavailable");
    assert_true(f->err.retry_after > 0);
    assert_false(err_is_retryable(&f->err));

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "22012", "division by zero");
    assert_int_equal(f->err.status, 400);
    assert_string_equal(f->err.type, "invalid-data");

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "57014", "canceling statement due to statement timeout");
    assert_int_equal(f->err.kind, ERR_TIMEOUT);
    assert_int_equal(f->err.status, 504);

    err_clear(&f->err);
    err_set_sqlstate(&f->err, "P0001", "raised by a function");
    assert_int_equal(f->err.kind, ERR_DB);
    assert_int_equal(f->err.status, 500);
    assert_string_equal(f->err.type, "database-error");

    /* no SQLSTATE at all: treated as an internal database error */
    err_clear(&f->err);
    err_set_sqlstate(&f->err, NULL, NULL);
    assert_string_equal(f->err.sqlstate, "XX000");
    assert_int_equal(f->err.status, 500);
    assert_null(f->err.detail);
}

static void test_copy(void **state)
{
    fixture *f = *state;
    err_set(&f->err, ERR_STALE, "version %d", 3);
    err_add_item(&f->err, ERR_STALE, "/version", "stale");

    arena *other = arena_create(NULL, "other");
    err_report dst;
    err_init(&dst, other);
    err_copy(&dst, &f->err);
    assert_int_equal(dst.kind, ERR_STALE);
    assert_string_equal(dst.detail, "version 3");
    assert_int_equal(dst.n_items, 1);
    assert_ptr_equal(dst.arena, f->a); /* the source's arena comes along */

    err_report bare;
    err_init(&bare, NULL);
    err_init(&dst, other);
    err_copy(&dst, &bare);
    assert_ptr_equal(dst.arena, other); /* a source without one keeps dst's */
    arena_destroy(other);
}

static void test_pointer_join(void **state)
{
    fixture *f = *state;
    assert_string_equal(err_pointer_join(f->a, "", "email"), "/email");
    assert_string_equal(err_pointer_join(f->a, "/models/User", "a/b~c"), "/models/User/a~1b~0c");
    assert_string_equal(err_pointer_join(f->a, "/x", ""), "/x/");
    assert_string_equal(err_pointer_join(f->a, "/x", "~01/"), "/x/~001~1");

    sbuf b;
    sbuf_init(&b, f->a, 4);
    sbuf_append(&b, "/where/");
    sbuf_append_pointer_token(&b, "a~/b");
    assert_string_equal(sbuf_str(&b), "/where/a~0~1b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_init),
        T(test_first_error_stays),
        T(test_without_arena),
        T(test_items),
        T(test_item_overflow),
        T(test_kind_defaults),
        T(test_sqlstate_lookup),
        T(test_set_sqlstate),
        T(test_copy),
        T(test_pointer_join),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
