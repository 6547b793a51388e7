/*
 * ts_check — test data and checks that need nothing above retort_common:
 * whole files, JSON written with single quotes, JSON comparison and error
 * reports that should be empty. Built as retort_testutil, so tests that
 * link only one layer (tests/unit/core) can use it too.
 */
#include "testsupport.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

char *ts_read_file(arena *a, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = arena_alloc(a, (size_t) n + 1);
    size_t got = fread(s, 1, (size_t) n, f);
    s[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return s;
}

const char *ts_dquote(arena *a, const char *single_quoted)
{
    char *s = arena_strdup(a, single_quoted);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

static void decref(void *j)
{
    json_decref(j);
}

json_t *ts_json(arena *a, const char *single_quoted)
{
    json_error_t jerr;
    json_t *j = json_loads(ts_dquote(a, single_quoted), JSON_DECODE_ANY, &jerr);
    if (!j) {
        print_message("bad test JSON %s: %s\n", single_quoted, jerr.text);
        fail();
    }
    arena_on_reset(a, decref, j);
    return j;
}

void ts_assert_json(arena *a, json_t *actual, const char *expected)
{
    json_t *want = ts_json(a, expected);
    char *got = json_dumps(actual, JSON_COMPACT | JSON_ENCODE_ANY);
    char *exp = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
    bool same = strcmp(got, exp) == 0;
    if (!same)
        print_message("expected %s\n     got %s\n", exp, got);
    free(got);
    free(exp);
    json_decref(actual);
    if (!same)
        fail();
}

void ts_assert_ok(const err_report *err, const char *what)
{
    if (!err_is_set(err))
        return;
    print_message("%s failed: kind %d status %d sqlstate '%s' title '%s' detail '%s'\n", what,
                  (int) err->kind, err->status, err->sqlstate, err->title ? err->title : "",
                  err->detail ? err->detail : "");
    for (size_t i = 0; i < err->n_items; i++)
        print_message("  item %zu: %s: %s\n", i,
                      err->items[i].pointer ? err->items[i].pointer : "(none)",
                      err->items[i].detail ? err->items[i].detail : "(none)");
    fail();
}
