/*
 * test_pgformat — the text forms of time, timestamp, interval, bytea,
 * inet/cidr and arrays (src/common/pgformat.c), both ways, with the
 * extremes and the malformed input each must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pgformat.h"

static void test_time(void **state)
{
    (void) state;
    assert_true(pgf_time_ok("00:00:00"));
    assert_true(pgf_time_ok("23:59:59.999999"));
    assert_true(pgf_time_ok("24:00:00"));
    assert_true(pgf_time_ok("12:30"));
    assert_false(pgf_time_ok("24:00:01"));
    assert_false(pgf_time_ok("12:60:00"));
    assert_false(pgf_time_ok("12:00:00+02"));
    assert_false(pgf_time_ok("12:00:00."));
    assert_false(pgf_time_ok("1:00:00"));
    assert_false(pgf_time_ok(""));
}

static void test_timestamp(void **state)
{
    (void) state;
    assert_true(pgf_timestamp_ok("2026-01-31T12:00:00"));
    assert_true(pgf_timestamp_ok("2024-02-29 00:00:00.5"));
    assert_true(pgf_timestamp_ok("0001-01-01T00:00:00"));
    assert_true(pgf_timestamp_ok("9999-12-31T23:59:59.999999"));
    assert_false(pgf_timestamp_ok("2026-01-31T12:00:00Z"));
    assert_false(pgf_timestamp_ok("2026-01-31T12:00:00+01:00"));
    assert_false(pgf_timestamp_ok("2023-02-29T00:00:00"));
    assert_false(pgf_timestamp_ok("2026-13-01T00:00:00"));
    assert_false(pgf_timestamp_ok("2026-01-31"));
    char out[64];
    pgf_timestamp_iso("2026-12-07 17:43:46.173953", out, sizeof out);
    assert_string_equal(out, "2026-12-07T17:43:46.173953");
    pgf_timestamp_iso("infinity", out, sizeof out);
    assert_string_equal(out, "infinity");
}

static void test_duration(void **state)
{
    (void) state;
    assert_true(pgf_duration_ok("P1Y2M3DT4H5M6.5S"));
    assert_true(pgf_duration_ok("PT0S"));
    assert_true(pgf_duration_ok("P2W"));
    assert_true(pgf_duration_ok("P-1DT2H"));
    assert_false(pgf_duration_ok("P"));
    assert_false(pgf_duration_ok("PT"));
    assert_false(pgf_duration_ok("P1H"));
    assert_false(pgf_duration_ok("PT1D"));
    assert_false(pgf_duration_ok("P1M1Y"));
    assert_false(pgf_duration_ok("1 day"));
    assert_true(pgf_duration_ok("P1.5Y2M")); /* PostgreSQL takes fractions anywhere */
}

static void test_interval_iso(void **state)
{
    (void) state;
    static const char *const CASES[][2] = {
        {"00:00:00", "PT0S"},
        {"1 day", "P1D"},
        {"1 year 2 mons 3 days 04:05:06.5", "P1Y2M3DT4H5M6.5S"},
        {"-1 days +02:03:00", "P-1DT2H3M"},
        {"-00:00:01", "PT-1S"},
        {"3 mons", "P3M"},
        {"100:00:00", "PT100H"},
        {"01:02:03.250000", "PT1H2M3.25S"},
        {"-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808",
         "P-178956970Y-8M-2147483648DT-2562047788H-54.775808S"},
    };
    char out[128];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        assert_true(pgf_interval_iso(CASES[i][0], out, sizeof out));
        assert_string_equal(out, CASES[i][1]);
        assert_true(pgf_duration_ok(out));
    }
    assert_false(pgf_interval_iso("@ 1 day", out, sizeof out));
    assert_string_equal(out, "@ 1 day");
}

static void test_bytea(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test");
    assert_string_equal(pgf_base64_to_bytea(a, "aGVsbG8=", 8), "\\x68656c6c6f");
    assert_string_equal(pgf_base64_to_bytea(a, "", 0), "\\x");
    assert_string_equal(pgf_base64_to_bytea(a, "AP8=", 4), "\\x00ff");
    assert_null(pgf_base64_to_bytea(a, "aGVsbG8", 7));
    assert_null(pgf_base64_to_bytea(a, "a=Vs", 4));
    assert_null(pgf_base64_to_bytea(a, "a!Vs", 4));
    assert_string_equal(pgf_bytea_to_base64(a, "\\x68656c6c6f"), "aGVsbG8=");
    assert_string_equal(pgf_bytea_to_base64(a, "\\x"), "");
    assert_string_equal(pgf_bytea_to_base64(a, "\\x00ff"), "AP8=");
    assert_string_equal(pgf_bytea_to_base64(a, "\\x000102"), "AAEC");
    assert_null(pgf_bytea_to_base64(a, "hello"));
    arena_destroy(a);
}

static void test_inet(void **state)
{
    (void) state;
    assert_true(pgf_inet_ok("192.168.0.1", false));
    assert_true(pgf_inet_ok("10.1.2.3/8", false));
    assert_true(pgf_inet_ok("2001:db8::1/64", false));
    assert_true(pgf_inet_ok("10.0.0.0/8", true));
    assert_true(pgf_inet_ok("2001:db8::/32", true));
    assert_false(pgf_inet_ok("10.1.0.0/8", true));
    assert_false(pgf_inet_ok("10.0.0.0/33", false));
    assert_false(pgf_inet_ok("300.1.1.1", false));
    assert_false(pgf_inet_ok("host", false));
    assert_false(pgf_inet_ok("", false));
    assert_false(pgf_inet_ok("10.0.0.1/", false));
}

static void test_arrays(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test");
    const char **e;
    size_t n;
    assert_true(pgf_array_parse(a, "{}", &e, &n));
    assert_int_equal(n, 0);
    assert_true(pgf_array_parse(a, "{1,NULL,3}", &e, &n));
    assert_int_equal(n, 3);
    assert_string_equal(e[0], "1");
    assert_null(e[1]);
    assert_true(pgf_array_parse(a, "{\"a b\",\"NULL\",\"x\\\"y\\\\z\",\"\"}", &e, &n));
    assert_int_equal(n, 4);
    assert_string_equal(e[0], "a b");
    assert_string_equal(e[1], "NULL");
    assert_string_equal(e[2], "x\"y\\z");
    assert_string_equal(e[3], "");
    assert_false(pgf_array_parse(a, "{{1,2},{3,4}}", &e, &n));
    assert_false(pgf_array_parse(a, "[0:1]={1,2}", &e, &n));
    assert_false(pgf_array_parse(a, "{1,2", &e, &n));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),       cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_duration),   cmocka_unit_test(test_interval_iso),
        cmocka_unit_test(test_bytea),      cmocka_unit_test(test_inet),
        cmocka_unit_test(test_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
