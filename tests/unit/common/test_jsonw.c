/*
 * test_jsonw — the one JSON writer (src/common/jsonw.c): text mode gives
 * byte for byte what json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) gives for
 * the tree tree mode builds from the same calls; strings (escapes,
 * control characters, UTF-8 of every length, embedded NUL, invalid UTF-8
 * dropped with its member), reals, integers, nesting, separators, any
 * jansson value replayed through jsonw_json, and arena-owned roots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonw.h"

typedef void (*writes)(jsonw *w);

/* Runs f in both modes; the text must equal jansson's dump of the tree. */
static void same(writes f, const char *expected)
{
    arena *a = arena_create(NULL, "test_jsonw");
    sbuf out;
    sbuf_init(&out, a, 4);
    jsonw t;
    jsonw_init_text(&t, &out);
    f(&t);
    jsonw tree;
    jsonw_init_tree(&tree, a);
    f(&tree);
    char *dumped = json_dumps(jsonw_root(&tree), JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(dumped);
    if (strcmp(dumped, out.data) != 0 || (expected && strcmp(expected, out.data) != 0)) {
        print_message("jansson: %s\njsonw:   %s\nwanted:  %s\n", dumped, out.data,
                      expected ? expected : "(as jansson)");
        free(dumped);
        fail();
    }
    assert_int_equal(strlen(out.data), out.len);
    free(dumped);
    arena_destroy(a); /* the tree's root dies with the arena: LSan checks */
}

static void scalars(jsonw *w)
{
    jsonw_array_begin(w);
    jsonw_null(w);
    jsonw_bool(w, true);
    jsonw_bool(w, false);
    jsonw_integer(w, 0);
    jsonw_integer(w, -9223372036854775807LL - 1);
    jsonw_integer(w, 9223372036854775807LL);
    jsonw_real(w, 0.1);
    jsonw_real(w, 1e300);
    jsonw_real(w, -0.0);
    jsonw_real(w, 1e-7);
    jsonw_real(w, 3.0);
    jsonw_real(w, 123456789012345678.0);
    jsonw_string(w, "");
    jsonw_array_end(w);
}

static void test_scalars(void **state)
{
    (void) state;
    same(scalars, "[null,true,false,0,-9223372036854775808,9223372036854775807,"
                  "0.10000000000000001,1.0000000000000001e300,-0.0,9.9999999999999995e-8,3.0,"
                  "1.2345678901234568e17,\"\"]");
}

static void strings(jsonw *w)
{
    jsonw_array_begin(w);
    jsonw_string(w, "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f");
    jsonw_string(w, "\x01\x1f\x7f");
    jsonw_string(w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* 2, 3 and 4 bytes */
    jsonw_stringn(w, "a\0b", 3);
    assert_false(jsonw_string(w, "bad \xc3")); /* truncated sequence */
    assert_false(jsonw_string(w, "\xed\xa0\x80")); /* a surrogate */
    assert_false(jsonw_string(w, "\xc0\xaf")); /* overlong */
    assert_false(jsonw_string(w, "\xf4\x90\x80\x80")); /* beyond U+10FFFF */
    jsonw_string(w, "last");
    jsonw_array_end(w);
}

static void test_strings(void **state)
{
    (void) state;
    same(strings, "[\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\","
                  "\"\\u0001\\u001F\x7f\",\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
                  "\"a\\u0000b\",\"last\"]");
}

static void members(jsonw *w)
{
    jsonw_object_begin(w);
    jsonw_key(w, "a");
    jsonw_integer(w, 1);
    jsonw_key(w, "bad");
    jsonw_string(w, "\xff"); /* dropped with its name */
    jsonw_key(w, "k\"ey");
    jsonw_object_begin(w);
    jsonw_object_end(w);
    jsonw_key(w, "list");
    jsonw_array_begin(w);
    jsonw_array_begin(w);
    jsonw_array_end(w);
    jsonw_object_begin(w);
    jsonw_key(w, "x");
    jsonw_null(w);
    jsonw_object_end(w);
    jsonw_array_end(w);
    jsonw_key(w, "\xff");
    jsonw_integer(w, 2); /* a name that is not UTF-8: dropped */
    jsonw_key(w, "z");
    jsonw_bool(w, false);
    jsonw_object_end(w);
}

static void test_members_and_nesting(void **state)
{
    (void) state;
    same(members, "{\"a\":1,\"k\\\"ey\":{},\"list\":[[],{\"x\":null}],\"z\":false}");
}

static const char *const DOCUMENTS[] = {
    "{\"b\": 1, \"a\": [1, 2.5, \"x\", null, true, {\"c\": {}}], \"\": \"\\u0000\"}",
    "[]",
    "\"\\u00e9\\ud83d\\ude00\"",
    "-1.5e-300",
    "{\"deep\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}",
};
static size_t doc_index;

static void replay(jsonw *w)
{
    json_t *v = json_loads(DOCUMENTS[doc_index], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(v);
    jsonw_json(w, v);
    json_decref(v);
}

static void test_jansson_values(void **state)
{
    (void) state;
    for (doc_index = 0; doc_index < sizeof DOCUMENTS / sizeof DOCUMENTS[0]; doc_index++)
        same(replay, NULL);
}

/* The text writer continues what the buffer holds with a separator. */
static void test_separators(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "test_jsonw");
    sbuf out;
    sbuf_init(&out, a, 4);
    jsonw w;
    jsonw_init_text(&w, &out);
    jsonw_integer(&w, 1);
    jsonw_string(&w, "x");
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    assert_string_equal(out.data, "1,\"x\",{}");
    arena_destroy(a);
}

/* A caller's tree without an arena is a new reference. */
static void test_tree_without_arena(void **state)
{
    (void) state;
    jsonw w;
    jsonw_init_tree(&w, NULL);
    members(&w);
    json_t *root = jsonw_root(&w);
    assert_int_equal(json_object_size(root), 4);
    json_decref(root);
    jsonw_init_tree(&w, NULL);
    jsonw_string(&w, "\xff");
    assert_null(jsonw_root(&w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_members_and_nesting),
        cmocka_unit_test(test_jansson_values),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_tree_without_arena),
    };
    return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
