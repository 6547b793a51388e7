/*
 * test_arena — the region allocator (src/common/arena.c): allocation,
 * alignment, zeroing, growth across chunks, parent/child lifetimes, reset
 * callbacks (LIFO, before memory goes), string helpers and realloc.
 * Leaks and use-after-free are left to the sanitizers. The abort on an
 * overflowing array size is not exercised (it would end the test run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static int setup(void **state)
{
    *state = arena_create(NULL, "test_arena");
    return 0;
}

static int teardown(void **state)
{
    arena_destroy(*state);
    return 0;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void test_alloc_basic(void **state)
{
    arena *a = *state;
    assert_string_equal(arena_name(a), "test_arena");
    assert_int_equal(arena_used(a), 0);
    char *p = arena_alloc(a, 10);
    assert_non_null(p);
    memset(p, 'x', 10);
    assert_int_equal(arena_used(a), 10);
    char *q = arena_alloc(a, 5);
    assert_true(q >= p + 10 || q + 5 <= p); /* no overlap */
    assert_int_equal(arena_used(a), 15);
    /* zero bytes still gives a distinct, usable pointer */
    void *z1 = arena_alloc(a, 0), *z2 = arena_alloc(a, 0);
    assert_non_null(z1);
    assert_ptr_not_equal(z1, z2);
}

static void test_alignment(void **state)
{
    arena *a = *state;
    for (size_t n = 1; n < 200; n += 7) {
        void *p = arena_alloc(a, n);
        assert_int_equal((uintptr_t) p % _Alignof(max_align_t), 0);
    }
    /* large blocks too */
    void *big = arena_alloc(a, 100000);
    assert_int_equal((uintptr_t) big % _Alignof(max_align_t), 0);
    double *d = ARENA_NEW(a, double);
    *d = 1.5;
    long double *ld = ARENA_ARRAY(a, long double, 3);
    ld[2] = 2.5L;
    assert_true(*d == 1.5 && ld[2] == 2.5L);
}

static void test_zeroed(void **state)
{
    arena *a = *state;
    /* dirty memory, let it go, and make sure new blocks come back zeroed */
    for (int round = 0; round < 3; round++) {
        arena *child = arena_create(a, "dirty");
        for (int i = 0; i < 50; i++)
            memset(arena_alloc(child, 1000), 0xAB, 1000);
        arena_destroy(child);
        for (int i = 0; i < 50; i++)
            assert_true(all_zero(arena_alloc(a, 1000), 1000));
    }
    int *arr = ARENA_ARRAY(a, int, 1000);
    assert_true(all_zero(arr, 1000 * sizeof(int)));
    assert_true(all_zero(arena_alloc_array(a, 24, 0), 1));
}

static void test_many_allocations_across_chunks(void **state)
{
    arena *a = *state;
    enum { N = 5000 };
    unsigned char **blocks = malloc(N * sizeof *blocks);
    for (size_t i = 0; i < N; i++) {
        size_t n = 1 + (i * 37) % 300;
        if (i % 500 == 0)
            n = 20000 + i; /* a block bigger than a chunk now and then */
        blocks[i] = arena_alloc(a, n);
        memset(blocks[i], (int) (i & 0xFF), n);
    }
    for (size_t i = 0; i < N; i++) {
        size_t n = 1 + (i * 37) % 300;
        if (i % 500 == 0)
            n = 20000 + i;
        assert_int_equal(blocks[i][0], i & 0xFF);
        assert_int_equal(blocks[i][n - 1], i & 0xFF);
    }
    free(blocks);
}

static int trace[16];
static int n_trace;

static void record(void *arg)
{
    trace[n_trace++] = *(int *) arg; /* reads arena memory: must still be alive */
}

static void test_on_reset_lifo(void **state)
{
    (void) state;
    n_trace = 0;
    arena *a = arena_create(NULL, "lifo");
    for (int i = 1; i <= 4; i++) {
        int *v = ARENA_NEW(a, int);
        *v = i;
        arena_on_reset(a, record, v);
    }
    assert_int_equal(n_trace, 0);
    arena_destroy(a);
    assert_int_equal(n_trace, 4);
    assert_int_equal(trace[0], 4);
    assert_int_equal(trace[1], 3);
    assert_int_equal(trace[2], 2);
    assert_int_equal(trace[3], 1);
}

static void test_children_die_with_parent(void **state)
{
    (void) state;
    n_trace = 0;
    arena *parent = arena_create(NULL, "parent");
    arena *child = arena_create(parent, "child");
    arena *grandchild = arena_create(child, "grandchild");
    arena *sibling = arena_create(parent, "sibling");
    int *p = ARENA_NEW(parent, int), *c = ARENA_NEW(child, int);
    int *g = ARENA_NEW(grandchild, int), *s = ARENA_NEW(sibling, int);
    *p = 1, *c = 2, *g = 3, *s = 4;
    arena_on_reset(parent, record, p);
    arena_on_reset(child, record, c);
    arena_on_reset(grandchild, record, g);
    arena_on_reset(sibling, record, s);
    assert_string_equal(arena_name(grandchild), "grandchild");

    /* a child destroyed early unlinks itself; the parent does not touch it again */
    arena *early = arena_create(parent, "early");
    int *e = ARENA_NEW(early, int);
    *e = 9;
    arena_on_reset(early, record, e);
    arena_destroy(early);
    assert_int_equal(n_trace, 1);
    assert_int_equal(trace[0], 9);

    arena_destroy(parent);
    /* the parent's callbacks run first, then every descendant's */
    assert_int_equal(n_trace, 5);
    assert_int_equal(trace[1], 1);
    bool seen[5] = {false};
    for (int i = 1; i < 5; i++)
        seen[trace[i]] = true;
    assert_true(seen[2] && seen[3] && seen[4]);
    /* likewise one level down: the child's callbacks run before its own
     * children are destroyed */
    int pos_child = 0, pos_grand = 0;
    for (int i = 0; i < 5; i++) {
        if (trace[i] == 2)
            pos_child = i;
        if (trace[i] == 3)
            pos_grand = i;
    }
    assert_true(pos_child < pos_grand);
}

static void test_destroy_null_and_unnamed(void **state)
{
    (void) state;
    arena_destroy(NULL);
    arena *a = arena_create(NULL, NULL);
    assert_string_equal(arena_name(a), "unnamed");
    arena_destroy(a);
}

static void test_strings(void **state)
{
    arena *a = *state;
    assert_null(arena_strdup(a, NULL));
    assert_null(arena_strndup(a, NULL, 3));
    const char *src = "hello";
    char *d = arena_strdup(a, src);
    assert_string_equal(d, "hello");
    assert_ptr_not_equal(d, src);
    assert_string_equal(arena_strndup(a, "hello world", 5), "hello");
    assert_string_equal(arena_strdup(a, ""), "");

    assert_string_equal(arena_sprintf(a, "%d-%s-%.2f", 42, "x", 1.5), "42-x-1.50");
    assert_string_equal(arena_sprintf(a, "%s", ""), "");
    /* longer than a chunk */
    char *big = malloc(40001);
    memset(big, 'q', 40000);
    big[40000] = '\0';
    char *s = arena_sprintf(a, "<%s>", big);
    assert_int_equal(strlen(s), 40002);
    assert_int_equal(s[0], '<');
    assert_int_equal(s[40001], '>');
    free(big);
}

static char *vformat(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *vformat(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return s;
}

static void test_vsprintf(void **state)
{
    arena *a = *state;
    assert_string_equal(vformat(a, "%s=%u", "n", 7u), "n=7");
}

static void test_grow_with_realloc(void **state)
{
    arena *a = *state;
    char *p = arena_alloc(a, 8);
    memcpy(p, "abcdefg", 8);
    char *q = arena_realloc(a, p, 8, 64);
    assert_string_equal(q, "abcdefg");
    assert_true(all_zero(q + 8, 56));
    /* shrinking copies only what fits */
    char *r = arena_realloc(a, q, 64, 3);
    assert_memory_equal(r, "abc", 3);
    /* from NULL: a fresh zeroed block */
    char *n = arena_realloc(a, NULL, 0, 16);
    assert_true(all_zero(n, 16));
    /* growing past a chunk keeps the contents */
    int *arr = ARENA_ARRAY(a, int, 10);
    for (int i = 0; i < 10; i++)
        arr[i] = i;
    int *grown = arena_realloc(a, arr, 10 * sizeof(int), 10000 * sizeof(int));
    for (int i = 0; i < 10; i++)
        assert_int_equal(grown[i], i);
    assert_true(all_zero(grown + 10, 9990 * sizeof(int)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alloc_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_allocations_across_chunks, setup, teardown),
        cmocka_unit_test(test_on_reset_lifo),
        cmocka_unit_test(test_children_die_with_parent),
        cmocka_unit_test(test_destroy_null_and_unnamed),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vsprintf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow_with_realloc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
