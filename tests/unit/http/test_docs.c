/*
 * GET /openapi.json, /docs and /docs/{file} (src/http/http_docs.c)
 * in-process on a real port, with no database (these routes run on the
 * I/O thread and never open a session): the cached document served as is,
 * the page and its relative URLs, assets with their content types, and
 * every way out of the assets directory refused (traversal, encoded
 * slashes, hidden files, symlinks, unknown extensions). Also where
 * http_docs_find_dir() looks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "testsupport.h"

static const char DOC[] = "{\n  \"openapi\": \"3.1.0\"\n}\n";
static const char BUNDLE[] = "window.SwaggerUIBundle = function () {};\n";

typedef struct fixture {
    arena *a;
    cfg_config *cfg;
    http_app app;
    http_server *server;
    char dir[64];
    int port;
} fixture;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int start(void **state, bool with_dir)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_docs");
    f->cfg = cfg_default(f->a);
    snprintf(f->dir, sizeof f->dir, "/tmp/retort-docs-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    write_file(f->dir, "swagger-ui-bundle.js", BUNDLE);
    write_file(f->dir, "swagger-ui.css", "body{}\n");
    write_file(f->dir, "favicon-32x32.png", "\x89PNG\r\n");
    write_file(f->dir, "secret", "no extension\n");
    write_file(f->dir, ".hidden.js", "hidden\n");
    char link[128];
    snprintf(link, sizeof link, "%s/link.js", f->dir);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub.js", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);

    f->app =
        (http_app){.config = f->cfg, .openapi_json = DOC, .docs_dir = with_dir ? f->dir : NULL};
    cfg_server *srv = &f->cfg->server;
    srv->host = "127.0.0.1";
    srv->port = 0;
    srv->io_threads = 2;
    srv->workers = 1;
    srv->queue_depth = 4;
    srv->max_body_bytes = 1024;
    srv->access_log = false;
    srv->shutdown_grace_ms = 5000;
    err_report err;
    err_init(&err, f->a);
    f->server = http_server_start(HTTP_DOCS_ROUTES, HTTP_N_DOCS_ROUTES, &f->app, &err);
    assert_non_null(f->server);
    f->port = http_server_port(f->server);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start(state, true);
}

static int setup_no_dir(void **state)
{
    return start(state, false);
}

static int teardown(void **state)
{
    fixture *f = *state;
    http_server_stop(f->server);
    ts_system("rm -rf '%s'", f->dir);
    arena_destroy(f->a);
    free(f);
    return 0;
}

static ts_response *get(fixture *f, const char *path)
{
    ts_response *r = ts_http(f->a, f->port, "GET", path, NULL, NULL, 0, 5000);
    assert_int_not_equal(r->status, 0);
    return r;
}

static void test_openapi_json(void **state)
{
    fixture *f = *state;
    ts_response *r = get(f, "/openapi.json");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/json");
    assert_string_equal(r->body, DOC);
    assert_non_null(ts_header_get(r, "X-Request-Id"));
    /* A route of its own: other methods are a 405. */
    r = ts_http(f->a, f->port, "POST", "/openapi.json",
                (const char *[]){"Content-Type: application/json", NULL}, "{}", 2, 5000);
    assert_int_equal(r->status, 405);
    assert_non_null(strstr(ts_header_get(r, "Allow"), "GET"));
}

static void test_page(void **state)
{
    fixture *f = *state;
    ts_response *r = get(f, "/docs");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "text/html; charset=utf-8");
    /* Relative URLs: the assets under /docs/, the document next to it; no
     * online validator. */
    assert_non_null(strstr(r->body, "src=\"docs/swagger-ui-bundle.js\""));
    assert_non_null(strstr(r->body, "href=\"docs/swagger-ui.css\""));
    assert_non_null(strstr(r->body, "url: \"openapi.json\""));
    assert_non_null(strstr(r->body, "validatorUrl: null"));
    assert_null(strstr(r->body, "http://"));
    assert_null(strstr(r->body, "https://"));
    /* "/docs/" and "/docs/index.html" would break the relative URLs. */
    r = get(f, "/docs/");
    assert_int_equal(r->status, 308);
    assert_string_equal(ts_header_get(r, "Location"), "../docs");
    r = get(f, "/docs/index.html");
    assert_int_equal(r->status, 308);
    r = ts_http(f->a, f->port, "HEAD", "/docs", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
}

static void test_assets(void **state)
{
    fixture *f = *state;
    ts_response *r = get(f, "/docs/swagger-ui-bundle.js");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "text/javascript; charset=utf-8");
    assert_string_equal(r->body, BUNDLE);
    assert_string_equal(ts_header_get(r, "X-Content-Type-Options"), "nosniff");
    r = get(f, "/docs/swagger-ui.css");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "text/css; charset=utf-8");
    r = get(f, "/docs/favicon-32x32.png");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "image/png");
    assert_int_equal(r->body_len, 6);
}

static void test_no_way_out(void **state)
{
    fixture *f = *state;
    static const char *const PATHS[] = {
        "/docs/missing.js",         /* absent */
        "/docs/secret",             /* no known extension */
        "/docs/.hidden.js",         /* hidden file */
        "/docs/link.js",            /* a symlink out of the directory */
        "/docs/sub.js",             /* not a regular file */
        "/docs/..%2Fsecret.js",     /* encoded slash */
        "/docs/%2e%2e",             /* encoded .. */
        "/docs/..",                 /* .. */
        "/docs/a%00.js",            /* NUL */
        "/docs/%2Fetc%2Fpasswd.js", /* absolute */
        "/docs/../openapi.json.js",
        "/docs/x/swagger-ui.css", /* deeper paths are no route */
    };
    for (size_t i = 0; i < sizeof PATHS / sizeof PATHS[0]; i++) {
        ts_response *r = get(f, PATHS[i]);
        if (r->status != 404)
            fail_msg("%s: %d %s", PATHS[i], r->status, r->body);
        assert_null(strstr(r->body, "root:"));
    }
    ts_response *r = get(f, "/docs/missing.js");
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/problem+json");
}

static void test_not_installed(void **state)
{
    fixture *f = *state;
    /* Without the files the page is still served (it says what to do)... */
    ts_response *r = get(f, "/docs");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "scripts/docs-assets"));
    /* ...and the assets are a 404 that says how to install them. */
    r = get(f, "/docs/swagger-ui-bundle.js");
    assert_int_equal(r->status, 404);
    assert_non_null(strstr(r->body, "scripts/docs-assets"));
}

static void test_find_dir(void **state)
{
    fixture *f = *state;
    arena *a = f->a;
    /* server.docs_dir wins. */
    f->cfg->server.docs_dir = f->dir;
    setenv("RETORT_DOCS_DIR", "/nonexistent", 1);
    assert_string_equal(http_docs_find_dir(f->cfg, a), f->dir);
    /* Then RETORT_DOCS_DIR. */
    f->cfg->server.docs_dir = NULL;
    setenv("RETORT_DOCS_DIR", f->dir, 1);
    assert_string_equal(http_docs_find_dir(f->cfg, a), f->dir);
    unsetenv("RETORT_DOCS_DIR");
    /* Then the built-in search, relative to the working directory: a
     * directory holding swagger-ui-bundle.js is found. */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char tree[128];
    snprintf(tree, sizeof tree, "%s/build/docs-assets/swagger-ui-dist", f->dir);
    assert_int_equal(
        ts_system("mkdir -p '%s' && cp '%s/swagger-ui-bundle.js' '%s/'", tree, f->dir, tree), 0);
    assert_int_equal(chdir(f->dir), 0);
    const char *found = http_docs_find_dir(f->cfg, a);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(found);
    assert_non_null(strstr(found, "build/docs-assets/swagger-ui-dist"));
}

int main(void)
{
    const struct CMUnitTest with_dir[] = {
        cmocka_unit_test_setup_teardown(test_openapi_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_way_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_installed, setup_no_dir, teardown),
        cmocka_unit_test_setup_teardown(test_find_dir, setup, teardown),
    };
    return cmocka_run_group_tests_name("docs routes", with_dir, NULL, NULL);
}
