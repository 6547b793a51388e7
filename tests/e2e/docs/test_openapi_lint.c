/*
 * The OpenAPI document passes a real linter: Redocly CLI (npm's
 * @redocly/cli, pinned in scripts/docs-assets) with openapi/redocly.yaml
 * (its recommended rules plus strict example checks), with no error and no
 * warning, for
 *   - the checked-in openapi/retort.openapi.json (the sample config; the
 *     unit test test_openapi keeps it current), and
 *   - the document `retort openapi` prints for tests/unit/http/
 *     openapi_fixture.json (every column type and option, composite keys,
 *     many-to-many, name collisions).
 *
 * The linter is found at $RETORT_REDOCLY, else
 * ${RETORT_TOOLS_DIR:-<source>/.retort/tools}/node_modules/.bin/redocly;
 * without it the test fails and says to run scripts/docs-assets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testsupport.h"

#ifndef RETORT_BINARY_PATH
#define RETORT_BINARY_PATH "retort"
#endif

typedef struct fixture {
    arena *a;
    const char *redocly;
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_openapi_lint");
    const char *r = getenv("RETORT_REDOCLY");
    if (!r || !*r) {
        const char *tools = getenv("RETORT_TOOLS_DIR");
        r = tools && *tools ? arena_sprintf(f->a, "%s/node_modules/.bin/redocly", tools)
                            : ts_source_path(f->a, ".retort/tools/node_modules/.bin/redocly");
    }
    f->redocly = r;
    snprintf(f->dir, sizeof f->dir, "/tmp/retort-lint-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ts_system("rm -rf '%s'", f->dir);
    arena_destroy(f->a);
    free(f);
    return 0;
}

/* Lints doc; fails with the linter's output unless it is clean. */
static void lint(fixture *f, const char *doc)
{
    if (access(f->redocly, X_OK) != 0)
        fail_msg("the OpenAPI linter is not installed at %s: run scripts/docs-assets "
                 "(npm install of @redocly/cli into .retort/tools)",
                 f->redocly);
    const char *out = arena_sprintf(f->a, "%s/lint.out", f->dir);
    int rc = ts_system("cd '%s' && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "
                       "NO_COLOR=1 '%s' lint --config openapi/redocly.yaml '%s' >'%s' 2>&1",
                       RETORT_SOURCE_DIR, f->redocly, doc, out);
    const char *text = ts_read_file(f->a, out, NULL);
    if (!text)
        text = "";
    /* Exit 0 means no error; a clean run also has no warning. */
    bool warned = strstr(text, "warning") != NULL;
    if (rc != 0 || warned || !strstr(text, "Your API description is valid"))
        fail_msg("redocly lint %s: exit %d%s\n%s", doc, rc, warned ? ", with warnings" : "", text);
}

static void test_checked_in_document(void **state)
{
    fixture *f = *state;
    lint(f, ts_source_path(f->a, "openapi/retort.openapi.json"));
}

static void test_fixture_document(void **state)
{
    fixture *f = *state;
    const char *doc = arena_sprintf(f->a, "%s/fixture.openapi.json", f->dir);
    int rc = ts_system("'%s' openapi -c '%s' >'%s'", RETORT_BINARY_PATH,
                       ts_source_path(f->a, "tests/unit/http/openapi_fixture.json"), doc);
    assert_int_equal(rc, 0);
    lint(f, doc);
}

/* With auth: securitySchemes, per-operation security, 401/403 (issue 11). */
static void test_auth_document(void **state)
{
    fixture *f = *state;
    const char *doc = arena_sprintf(f->a, "%s/auth.openapi.json", f->dir);
    int rc = ts_system("'%s' openapi -c '%s' >'%s'", RETORT_BINARY_PATH,
                       ts_source_path(f->a, "config/test/auth.json"), doc);
    assert_int_equal(rc, 0);
    lint(f, doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checked_in_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fixture_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_document, setup, teardown),
    };
    return cmocka_run_group_tests_name("openapi lint", tests, NULL, NULL);
}
