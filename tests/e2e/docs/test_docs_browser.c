/*
 * GET /docs in a real browser: the real retort binary (config/retort.json
 * against the test database) serves the page, Swagger UI's files from the
 * local docs directory and /openapi.json; headless Chromium renders it
 * with every host but 127.0.0.1 unresolvable, so the page provably works
 * offline; the rendered DOM must hold a section for every resource (users,
 * orders) and their operations.
 *
 * Tools (scripts/docs-assets installs them): Chromium at $RETORT_CHROMIUM,
 * else `chromium` on PATH; Swagger UI's files in $RETORT_DOCS_DIR, else
 * <source>/build/docs-assets/swagger-ui-dist. The test fails, saying what
 * to run, when either is missing.
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

typedef struct fixture {
    arena *a;
    ts_server srv;
    const char *docs_dir;
    const char *chromium;
    char tmp[64];
    char env_docs[600];
} fixture;

static fixture F;

static int setup_group(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_docs_browser");
    const char *d = getenv("RETORT_DOCS_DIR");
    F.docs_dir = d && *d ? d : ts_source_path(F.a, "build/docs-assets/swagger-ui-dist");
    F.chromium = ts_chromium(F.a);
    snprintf(F.tmp, sizeof F.tmp, "/tmp/retort-browser-XXXXXX");
    if (!mkdtemp(F.tmp))
        return -1;
    if (!ts_database_url())
        return -1;
    snprintf(F.env_docs, sizeof F.env_docs, "RETORT_DOCS_DIR=%s", F.docs_dir);
    const char *env[] = {F.env_docs, "RETORT_DATABASE_POOL_SIZE=2", NULL};
    if (!ts_server_start(&F.srv, ts_source_path(F.a, "config/retort.json"), env))
        return -1;
    return 0;
}

static int teardown_group(void **state)
{
    (void) state;
    if (F.srv.pid > 0 && ts_server_stop(&F.srv) != 0)
        ts_server_dump_log(&F.srv);
    ts_system("rm -rf '%s'", F.tmp);
    arena_destroy(F.a);
    return 0;
}

static void require_assets(void)
{
    const char *bundle = arena_sprintf(F.a, "%s/swagger-ui-bundle.js", F.docs_dir);
    if (access(bundle, R_OK) != 0)
        fail_msg("Swagger UI's files are not in %s: run scripts/docs-assets (or set "
                 "RETORT_DOCS_DIR)",
                 F.docs_dir);
}

static ts_response *get(const char *path)
{
    return ts_http(F.a, F.srv.port, "GET", path, NULL, NULL, 0, 15000);
}

static void test_served_document_is_the_checked_in_one(void **state)
{
    (void) state;
    ts_response *r = get("/openapi.json");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/json");
    char *file = ts_read_file(F.a, ts_source_path(F.a, "openapi/retort.openapi.json"), NULL);
    assert_non_null(file);
    if (strcmp(r->body, file) != 0)
        fail_msg("GET /openapi.json differs from openapi/retort.openapi.json (%zu vs %zu "
                 "bytes); is the checked-in copy stale (test_openapi)?",
                 r->body_len, strlen(file));
}

static void test_assets_are_served(void **state)
{
    (void) state;
    require_assets();
    ts_response *r = get("/docs");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "docs/swagger-ui-bundle.js"));
    size_t len = 0;
    char *bundle =
        ts_read_file(F.a, arena_sprintf(F.a, "%s/swagger-ui-bundle.js", F.docs_dir), &len);
    r = get("/docs/swagger-ui-bundle.js");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "text/javascript; charset=utf-8");
    assert_int_equal(r->body_len, len);
    assert_memory_equal(r->body, bundle, len);
    r = get("/docs/swagger-ui.css");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "text/css; charset=utf-8");
    r = get("/docs/..%2F..%2Fconfig%2Fretort.json");
    assert_int_equal(r->status, 404);
}

/* Renders url in headless Chromium and returns the DOM after scripts ran. */
static const char *render(const char *fragment)
{
    if (!F.chromium)
        fail_msg("chromium is not installed: run scripts/docs-assets (apt-get install "
                 "chromium), or set RETORT_CHROMIUM");
    require_assets();
    static int n;
    n++;
    const char *profile = arena_sprintf(F.a, "%s/profile-%d", F.tmp, n);
    const char *dom = arena_sprintf(F.a, "%s/dom-%d.html", F.tmp, n);
    const char *log = arena_sprintf(F.a, "%s/chromium-%d.log", F.tmp, n);
    /* Every host but the server is unresolvable: nothing may come from the
     * internet. */
    int rc = ts_system(
        "timeout 120 '%s' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync "
        "--disable-dev-shm-usage --disable-extensions --user-data-dir='%s' "
        "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' "
        "--virtual-time-budget=10000 --dump-dom 'http://127.0.0.1:%d/docs%s' >'%s' 2>'%s'",
        F.chromium, profile, F.srv.port, fragment, dom, log);
    const char *text = ts_read_file(F.a, dom, NULL);
    if (rc != 0 || !text || !*text) {
        const char *l = ts_read_file(F.a, log, NULL);
        fail_msg("chromium exited %d with %s DOM; its log:\n%.4000s", rc,
                 text && *text ? "a" : "no", l ? l : "");
    }
    return text;
}

static void expect_in_dom(const char *dom, const char *needle)
{
    if (!strstr(dom, needle)) {
        ts_server_dump_log(&F.srv);
        fail_msg("the rendered /docs has no %s; DOM (first 3000 bytes):\n%.3000s", needle, dom);
    }
}

static void test_rendered_by_swagger_ui(void **state)
{
    (void) state;
    const char *dom = render("");
    /* Swagger UI ran (not the fallback list) and rendered the document. */
    expect_in_dom(dom, "class=\"swagger-ui\"");
    expect_in_dom(dom, "id=\"retort-fallback\" hidden");
    expect_in_dom(dom, "retort API");
    /* A section per resource, with its operations. */
    static const char *const NEEDLES[] = {
        "id=\"operations-tag-users\"",
        "id=\"operations-tag-orders\"",
        "id=\"operations-users-listUsers\"",
        "id=\"operations-users-createUser\"",
        "id=\"operations-users-getUser\"",
        "id=\"operations-users-queryUsers\"",
        "id=\"operations-orders-listOrders\"",
        "id=\"operations-orders-updateOrder\"",
        "id=\"operations-orders-bulkInsertOrders\"",
        "id=\"operations-transactions-runTransaction\"",
        "id=\"operations-health-getPoolStatus\"",
    };
    for (size_t i = 0; i < sizeof NEEDLES / sizeof NEEDLES[0]; i++)
        expect_in_dom(dom, NEEDLES[i]);
}

static void test_operation_details_render(void **state)
{
    (void) state;
    /* Deep link: the operation is expanded with its parameters, request
     * body and responses. */
    const char *dom = render("#/orders/updateOrder");
    expect_in_dom(dom, "opblock opblock-patch is-open");
    expect_in_dom(dom, "If-Match");
    expect_in_dom(dom, "412");
    expect_in_dom(dom, "application/problem+json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_document_is_the_checked_in_one),
        cmocka_unit_test(test_assets_are_served),
        cmocka_unit_test(test_rendered_by_swagger_ui),
        cmocka_unit_test(test_operation_details_render),
    };
    return cmocka_run_group_tests_name("/docs in a browser", tests, setup_group, teardown_group);
}
