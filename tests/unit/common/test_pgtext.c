/*
 * test_pgtext — the one uuid validator and RFC 3339 parser
 * (src/common/pgtext.c) that config defaults, bodies, query documents and
 * URL keys share. Accepted forms are ones PostgreSQL reads whatever its
 * settings; uuid follows uuid_in exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pgtext.h"

#define CANON "123e4567-e89b-12d3-a456-426614174000"

static void test_uuid(void **state)
{
    (void) state;
    static const char *const GOOD[] = {
        CANON,
        "123E4567-E89B-12D3-A456-426614174000",
        "123e4567e89b12d3a456426614174000",
        "{123e4567-e89b-12d3-a456-426614174000}",
        "{123e4567e89b12d3a456426614174000}",
        "123e-4567-e89b-12d3-a456-4266-1417-4000", /* a hyphen after any group of four */
    };
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        char out[PGTEXT_UUID_LEN + 1] = "";
        assert_true(pgtext_uuid(GOOD[i], out));
        assert_string_equal(out, CANON);
        assert_true(pgtext_uuid(GOOD[i], NULL));
    }
    static const char *const BAD[] = {
        "",
        "not-a-uuid",
        "123e4567e89b12d3a45642661417400",   /* 31 digits */
        "123e4567e89b12d3a4564266141740000", /* 33 digits */
        "123e4567-e89b-12d3-a456-42661417400g",
        "123e4567-e89b-12d3-a456-426614174000-", /* not after the last group */
        "-123e4567-e89b-12d3-a456-426614174000",
        "123e4567--e89b-12d3-a456-426614174000",
        "123e4-567e89b12d3a456426614174000", /* not inside a group */
        "{123e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-426614174000}",
        "(123e4567-e89b-12d3-a456-426614174000)",
        " 123e4567-e89b-12d3-a456-426614174000",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char out[PGTEXT_UUID_LEN + 1] = "untouched";
        if (pgtext_uuid(BAD[i], out))
            print_message("accepted: \"%s\"\n", BAD[i]);
        assert_false(pgtext_uuid(BAD[i], out));
        assert_string_equal(out, "untouched");
    }
}

static void test_date(void **state)
{
    (void) state;
    assert_true(pgtext_date("2024-02-29"));
    assert_true(pgtext_date("2000-02-29"));
    assert_true(pgtext_date("0001-01-01"));
    assert_true(pgtext_date("9999-12-31"));
    assert_false(pgtext_date("1900-02-29"));
    assert_false(pgtext_date("2023-02-29"));
    assert_false(pgtext_date("2026-04-31"));
    assert_false(pgtext_date("2026-13-01"));
    assert_false(pgtext_date("2026-00-10"));
    assert_false(pgtext_date("2026-01-00"));
    assert_false(pgtext_date("0000-01-01")); /* PostgreSQL has no year 0 */
    assert_false(pgtext_date("2026-1-01"));
    assert_false(pgtext_date("2026-01-01T00:00:00Z"));
    assert_false(pgtext_date("2026-01-0"));
    assert_false(pgtext_date("today"));
    assert_false(pgtext_date(""));
}

static void test_time(void **state)
{
    (void) state;
    assert_true(pgtext_time("00:00:00"));
    assert_true(pgtext_time("23:59:60"));
    assert_true(pgtext_time("12:30:45.123456"));
    assert_false(pgtext_time("24:00:00"));
    assert_false(pgtext_time("12:60:00"));
    assert_false(pgtext_time("12:00:61"));
    assert_false(pgtext_time("12:00"));
    assert_false(pgtext_time("12:00:00."));
    assert_false(pgtext_time("12:00:00Z"));
}

static void test_timestamptz(void **state)
{
    (void) state;
    assert_true(pgtext_timestamptz("2026-01-31T12:00:00Z"));
    assert_true(pgtext_timestamptz("2026-01-31t12:00:00z"));
    assert_true(pgtext_timestamptz("2026-01-31 12:00:00.5+05:30"));
    assert_true(pgtext_timestamptz("2026-01-31T23:59:60-23:59"));
    assert_false(pgtext_timestamptz("2026-01-31T12:00:00"));      /* no offset */
    assert_false(pgtext_timestamptz("2026-01-31T12:00:00+0530")); /* ±hh:mm only */
    assert_false(pgtext_timestamptz("2026-01-31T12:00:00+24:00"));
    assert_false(pgtext_timestamptz("2026-01-31T12:00:00+05:60"));
    assert_false(pgtext_timestamptz("2026-01-31T12:00:00Z "));
    assert_false(pgtext_timestamptz("2026-01-31X12:00:00Z"));
    assert_false(pgtext_timestamptz("2026-02-30T12:00:00Z"));
    assert_false(pgtext_timestamptz("2026-01-31T25:00:00Z"));
    assert_false(pgtext_timestamptz("2026-01-31"));
    assert_false(pgtext_timestamptz("yesterday"));
}

static void test_length(void **state)
{
    (void) state;
    assert_int_equal(pgtext_length(""), 0);
    assert_int_equal(pgtext_length("abc"), 3);
    assert_int_equal(pgtext_length("\xc3\xa9t\xc3\xa9"), 3); /* été */
    assert_int_equal(pgtext_length("\xf0\x9f\x98\x80!"), 2); /* an emoji and ! */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid),   cmocka_unit_test(test_date),
        cmocka_unit_test(test_time),   cmocka_unit_test(test_timestamptz),
        cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
