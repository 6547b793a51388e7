/*
 * test_sign — tamper-evident tokens: round trips of payloads of every
 * length (base64url without padding), a flipped bit anywhere is refused,
 * another key is refused, malformed tokens are refused, derived keys agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

static void test_round_trip(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "sign");
    sign_key k;
    assert_true(sign_key_random(&k));
    const char text[] = "[\"shape\",\"2026-01-01 00:00:00+00\",null,\"a.b/c\"]";
    for (size_t n = 0; n <= sizeof text - 1; n++) {
        const char *t = sign_token(a, &k, text, n);
        for (const char *p = t; *p; p++)
            assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", *p));
        size_t len;
        const char *back = sign_verify(a, &k, t, &len);
        assert_non_null(back);
        assert_int_equal(len, n);
        assert_memory_equal(back, text, n);
    }
    arena_destroy(a);
}

static void test_tampering(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "sign");
    sign_key k, other;
    sign_key_from_secret(&k, "one");
    sign_key_from_secret(&other, "two");
    const char *t = sign_token(a, &k, "[1,2,3]", 7);
    size_t len;
    assert_null(sign_verify(a, &other, t, &len));
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char *bad = arena_strdup(a, t);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_null(sign_verify(a, &k, bad, &len));
    }
    const char *malformed[] = {"", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", NULL};
    for (size_t i = 0; malformed[i]; i++)
        assert_null(sign_verify(a, &k, malformed[i], &len));
    assert_null(sign_verify(a, &k, NULL, &len));
    /* The same secret gives the same key in another process. */
    sign_key again;
    sign_key_from_secret(&again, "one");
    assert_non_null(sign_verify(a, &again, t, &len));
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
