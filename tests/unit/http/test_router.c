/*
 * test_router — routing and request parsing without a server
 * (src/http/http_router.c, http_request.c): template matching, literal
 * segments beating parameters per method, HEAD answered by GET routes,
 * the Allow set of a 405, percent-decoding of path parameters (raw kept
 * for keys), undecodable and over-long paths; query parameters as
 * libmicrohttpd hands them over (escapes, '+', flags, repeats, NUL, the
 * parameter limit); and URL keys (orm_key_parse, dto_key_from_url)
 * including composite keys; q-values of Accept and Accept-Encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dto.h"
#include "http_int.h"
#include "testsupport.h"

static void h(http_request *req)
{
    (void) req;
}

static void h_other(http_request *req)
{
    (void) req;
}

static const http_route ROUTES[] = {
    {HTTP_GET, "/api/{resource}", h, 0, "list", {0}},
    {HTTP_POST, "/api/{resource}", h, 0, "create", {0}},
    {HTTP_GET | HTTP_PATCH | HTTP_DELETE, "/api/{resource}/{id}", h, 0, "item", {0}},
    {HTTP_POST, "/api/{resource}/query", h_other, 0, "query", {0}},
    {HTTP_POST, "/api/transaction", h_other, 0, "transaction", {0}},
    {HTTP_GET, "/health", h, 0, "health", {0}},
    {HTTP_GET, "/a/{x}/b/{y}", h, 0, "two", {0}},
};
enum { N_ROUTES = sizeof ROUTES / sizeof ROUTES[0] };

typedef struct fixture {
    arena *a;
    http__templates *t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_router");
    f->t = http__templates_create(ROUTES, N_ROUTES);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    http__templates_destroy(f->t);
    arena_destroy(f->a);
    free(f);
    return 0;
}

static http_request *route(fixture *f, http_method method, const char *path)
{
    http_request *req = ARENA_NEW(f->a, http_request);
    req->arena = f->a;
    req->method = method;
    req->path = path;
    http__route(req, ROUTES, f->t, N_ROUTES);
    return req;
}

static const char *param(http_request *req, const char *name)
{
    return http_req_path_param(req, name);
}

static void templates_and_parameters(void **state)
{
    fixture *f = *state;
    http_request *r = route(f, HTTP_GET, "/api/users");
    assert_non_null(r->route);
    assert_string_equal(r->route->name, "list");
    assert_string_equal(param(r, "resource"), "users");
    assert_null(param(r, "id"));

    r = route(f, HTTP_GET, "/api/users/42");
    assert_string_equal(r->route->name, "item");
    assert_string_equal(param(r, "id"), "42");

    r = route(f, HTTP_GET, "/a/1/b/2");
    assert_string_equal(param(r, "x"), "1");
    assert_string_equal(param(r, "y"), "2");

    /* Slashes: leading ones collapse, a trailing one adds no segment. */
    assert_string_equal(route(f, HTTP_GET, "//api/users/")->route->name, "list");
    /* An empty segment binds no parameter. */
    assert_null(route(f, HTTP_GET, "/a//b/2")->route);
    /* Nothing matches: no route, no methods. */
    r = route(f, HTTP_GET, "/api/users/1/2");
    assert_null(r->route);
    assert_int_equal(r->allowed, 0);
    assert_null(route(f, HTTP_GET, "/")->route);
    /* Deeper than the router looks: nothing. */
    assert_null(route(f, HTTP_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s")->route);
}

static void literal_beats_parameter(void **state)
{
    fixture *f = *state;
    /* POST: the literal "query" route wins over {id}... */
    http_request *r = route(f, HTTP_POST, "/api/users/query");
    assert_string_equal(r->route->name, "query");
    assert_null(param(r, "id"));
    /* ...for its own method only: GET reads the entity whose key is
     * "query", and is not turned into a 405 by the POST route. */
    r = route(f, HTTP_GET, "/api/users/query");
    assert_string_equal(r->route->name, "item");
    assert_string_equal(param(r, "id"), "query");
    /* "/api/transaction" is literal; GET on it is the list of a resource
     * named "transaction" (the config refuses such a table). */
    assert_string_equal(route(f, HTTP_POST, "/api/transaction")->route->name, "transaction");
    assert_string_equal(route(f, HTTP_GET, "/api/transaction")->route->name, "list");
}

static void head_and_allow(void **state)
{
    fixture *f = *state;
    assert_string_equal(route(f, HTTP_HEAD, "/health")->route->name, "health");
    http_request *r = route(f, HTTP_PUT, "/api/users/7");
    assert_null(r->route);
    assert_int_equal(r->allowed, HTTP_GET | HTTP_PATCH | HTTP_DELETE);
    assert_string_equal(http__method_names(f->a, r->allowed), "GET, PATCH, DELETE, HEAD, OPTIONS");
    r = route(f, HTTP_DELETE, "/api/users");
    assert_int_equal(r->allowed, HTTP_GET | HTTP_POST);
    assert_string_equal(http__method_names(f->a, r->allowed), "GET, POST, HEAD, OPTIONS");
    r = route(f, HTTP_GET, "/api/transaction/x"); /* matches item under GET */
    assert_string_equal(r->route->name, "item");
    assert_int_equal(http__method_from_name("PATCH"), HTTP_PATCH);
    assert_int_equal(http__method_from_name("patch"), 0);
    assert_int_equal(http__method_from_name("BREW"), 0);
}

static void percent_decoding(void **state)
{
    fixture *f = *state;
    http_request *r = route(f, HTTP_GET, "/api/us%65rs/a%2Fb%20c+d");
    assert_string_equal(param(r, "resource"), "users");
    assert_string_equal(param(r, "id"), "a/b c+d"); /* '+' is no space in a path */
    assert_string_equal(http_req_path_param_raw(r, "id"), "a%2Fb%20c+d");
    /* Composite keys keep their raw form for splitting before decoding. */
    r = route(f, HTTP_GET, "/api/tags/3%2C4,7");
    assert_string_equal(param(r, "id"), "3,4,7");
    assert_string_equal(http_req_path_param_raw(r, "id"), "3%2C4,7");
    /* An undecodable segment names nothing: no route, and no 405. */
    static const char *const bad[] = {"/api/users/%zz", "/api/users/%4", "/api/users/%00",
                                      "/api/users/x%"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = route(f, HTTP_GET, bad[i]);
        assert_null(r->route);
        assert_int_equal(r->allowed, 0);
    }
    assert_null(sbuf_pct_decode(f->a, "%G1", 3, false));
    assert_string_equal(sbuf_pct_decode(f->a, "%c3%BC+", 7, true), "\xc3\xbc ");
    sbuf b;
    sbuf_init(&b, f->a, 8);
    sbuf_append_pct(&b, "a b/\xc3\xbc,~-._Z9");
    assert_string_equal(b.data, "a%20b%2F%C3%BC%2C~-._Z9");
}

static void query_parameters(void **state)
{
    fixture *f = *state;
    http_request *r = ARENA_NEW(f->a, http_request);
    r->arena = f->a;
    /* As libmicrohttpd hands them over: '+' already a space, escapes kept. */
    assert_true(http__add_query(r, "q", "a b%2Bc"));
    assert_true(http__add_query(r, "flag", NULL));
    assert_true(http__add_query(r, "q", "second"));
    assert_true(http__add_query(r, "na%6De", "%7B%22x%22%3A1%7D"));
    assert_true(http__add_query(r, "empty", ""));
    assert_int_equal(http_req_query_count(r), 5);
    assert_string_equal(http_req_query(r, "q"), "a b+c"); /* the first of repeats */
    assert_string_equal(http_req_query(r, "flag"), "");
    assert_string_equal(http_req_query(r, "name"), "{\"x\":1}");
    assert_string_equal(http_req_query(r, "empty"), "");
    assert_null(http_req_query(r, "nope"));
    const char *name, *value;
    http_req_query_at(r, 2, &name, &value);
    assert_string_equal(name, "q");
    assert_string_equal(value, "second");
    assert_false(r->too_many_query);
    /* A bad escape, an encoded NUL or text that is not UTF-8: the
     * parameter is named (its pointer), not "too many". */
    assert_false(http__add_query(r, "x", "%zz"));
    assert_string_equal(r->bad_query, "x");
    assert_false(http__add_query(r, "limit", "%00"));
    assert_string_equal(r->bad_query, "limit");
    assert_false(http__add_query(r, "name", "%ff"));
    assert_string_equal(r->bad_query, "name");
    assert_false(http__add_query(r, "%00", "1"));
    assert_string_equal(r->bad_query, "");
    assert_false(r->too_many_query);
    /* At most HTTP_MAX_QUERY_PARAMS parameters. */
    http_request *many = ARENA_NEW(f->a, http_request);
    many->arena = f->a;
    for (int i = 0; i < HTTP_MAX_QUERY_PARAMS; i++)
        assert_true(http__add_query(many, "p", "v"));
    assert_false(many->too_many_query);
    assert_false(http__add_query(many, "p", "v"));
    assert_true(many->too_many_query);
}

/* Keys of URLs: one part per key column, each percent-encoded, "," between. */
static void url_keys(void **state)
{
    fixture *f = *state;
    err_report err;
    err_init(&err, f->a);
    cfg_config *cfg = cfg_load_string(
        f->a,
        ts_dquote(f->a,
                  "{'models': {"
                  " 'Tag': {'table': 'tags', 'columns': {"
                  "   'name': {'type': 'string', 'length': 20, 'primary_key': true}}},"
                  " 'Pair': {'table': 'pairs', 'columns': {"
                  "   'a': {'type': 'integer', 'primary_key': true},"
                  "   'b': {'type': 'uuid', 'primary_key': true},"
                  "   'c': {'type': 'date', 'primary_key': true}}}}}"),
        "test", (char *const[]){NULL}, &err);
    ts_assert_ok(&err, "config");
    orm_registry *reg = orm_registry_create(f->a, cfg, &err);
    ts_assert_ok(&err, "registry");
    const orm_mapper *tag = orm_mapper_by_name(reg, "Tag");
    const orm_mapper *pair = orm_mapper_by_name(reg, "Pair");

    const char **k = orm_key_parse(tag, "a%2Cb%20c", f->a);
    assert_string_equal(k[0], "a,b c");
    assert_null(orm_key_parse(tag, "a,b", f->a)); /* two parts for one column */
    assert_null(orm_key_parse(tag, "", f->a));
    assert_null(orm_key_parse(tag, "%zz", f->a));
    assert_null(orm_key_parse(tag, NULL, f->a));

    static const char *const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const char *id = arena_sprintf(f->a, "007,%s,2026-02-28", uuid);
    k = dto_key_from_url(pair, id, f->a);
    assert_non_null(k);
    assert_string_equal(k[0], "007"); /* canonicalised by orm_session_get */
    assert_string_equal(k[1], uuid);
    assert_string_equal(k[2], "2026-02-28");
    /* Wrong arity, empty parts, values the columns cannot hold. */
    assert_null(dto_key_from_url(pair, "7", f->a));
    assert_null(dto_key_from_url(pair, arena_sprintf(f->a, "7,%s", uuid), f->a));
    assert_null(dto_key_from_url(pair, arena_sprintf(f->a, "7,%s,2026-02-28,1", uuid), f->a));
    assert_null(dto_key_from_url(pair, arena_sprintf(f->a, "7,,2026-02-28"), f->a));
    assert_null(dto_key_from_url(pair, arena_sprintf(f->a, "x,%s,2026-02-28", uuid), f->a));
    assert_null(dto_key_from_url(pair, "7,not-a-uuid,2026-02-28", f->a));
    assert_null(dto_key_from_url(pair, arena_sprintf(f->a, "7,%s,2026-02-30", uuid), f->a));
}

/* Accept and Accept-Encoding are read by one function: q-values, case,
 * spaces, parameters, and a specific entry overriding a wildcard. */
static void header_quality(void **state)
{
    (void) state;
    static const char *const GZIP[] = {"gzip", "*", NULL};
    static const char *const JSON[] = {"application/json", "application/*", "*/*", NULL};
    assert_true(http__header_quality("gzip, deflate", GZIP) == 1.0);
    assert_true(http__header_quality("deflate, GZIP;q=0.5", GZIP) == 0.5);
    assert_true(http__header_quality("deflate", GZIP) < 0);
    assert_true(http__header_quality("*", GZIP) == 1.0);
    assert_true(http__header_quality("gzip;q=0, *", GZIP) == 0.0);
    assert_true(http__header_quality(NULL, GZIP) < 0);
    assert_true(http__header_quality("text/csv, application/*;q=0.2", JSON) == 0.2);
    assert_true(http__header_quality("application/json ; charset=utf-8 ; q=0.7, */*", JSON) == 0.7);
    assert_true(http__header_quality("text/html", JSON) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(templates_and_parameters),
        T(literal_beats_parameter),
        T(head_and_allow),
        T(percent_decoding),
        T(query_parameters),
        T(url_keys),
        T(header_quality),
#undef T
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
