/*
 * The HTTP layer in-process, on a real port, with a real pool against the
 * test database: routing, body admission (413/415/400), request ids,
 * timing headers, the worker hand-off (503 when the queue is full, /health
 * unaffected by busy workers), and sessions closed on every path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "strbuf.h"
#include "testsupport.h"

static atomic_int gate_open;   /* blocking handler waits for this */
static atomic_int blocked_now; /* handlers currently blocked */

static void wait_gate(void)
{
    atomic_fetch_add(&blocked_now, 1);
    double deadline = ts_now() + 10;
    while (!atomic_load(&gate_open) && ts_now() < deadline)
        ts_sleep_ms(5);
    atomic_fetch_sub(&blocked_now, 1);
}

static void h_echo(http_request *req)
{
    json_t *out = json_object();
    json_object_set(out, "body", http_req_json(req));
    json_object_set_new(out, "resource", json_string(http_req_path_param(req, "resource")));
    http_reply_json_new(req, 200, out);
}

static void h_item(http_request *req)
{
    const char *q = http_req_query(req, "q");
    http_reply_json_new(req, 200,
                    json_pack("{s:s, s:s, s:s?}", "resource", http_req_path_param(req, "resource"),
                              "id", http_req_path_param(req, "id"), "q", q));
}

static void h_query(http_request *req)
{
    http_reply_json_new(req, 200, json_pack("{s:s}", "route", "query"));
}

/* Runs a statement in the request's session and commits. */
static void h_db(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    const char *params[] = {"41"};
    eng_result *r = orm_session_execute(s, "SELECT $1::int + 1 AS n", 1, params, &err);
    if (!r || !orm_session_commit(s, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    http_reply_json_new(req, 200, json_pack("{s:s}", "n", eng_result_value(r, 0, 0)));
}

/* Fails inside an open transaction and never commits: the session must
 * still roll back and return its connection. */
static void h_db_error(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    eng_result *r = orm_session_execute(s, "SELECT 1/0", 0, NULL, &err);
    assert_null(r);
    http_reply_problem(req, &err);
}

/* Holds a pooled connection until the gate opens. */
static void h_db_block(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    if (!orm_session_execute(s, "SELECT 1", 0, NULL, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    wait_gate();
    http_reply_empty(req, 204);
}

static void h_forgets_reply(http_request *req)
{
    (void) req;
}

static const http_route TEST_ROUTES[] = {
    {HTTP_POST, "/api/{resource}/query", h_query, HTTP_ROUTE_JSON_BODY, "query", {0}},
    {HTTP_GET | HTTP_DELETE, "/api/{resource}/{id}", h_item, 0, "item", {0}},
    {HTTP_POST, "/api/{resource}", h_echo, HTTP_ROUTE_JSON_BODY, "echo", {0}},
    {HTTP_GET, "/db", h_db, HTTP_ROUTE_DB, "db", {0}},
    {HTTP_GET, "/db/error", h_db_error, HTTP_ROUTE_DB, "db_error", {0}},
    {HTTP_GET, "/db/block", h_db_block, HTTP_ROUTE_DB, "db_block", {0}},
    {HTTP_GET, "/broken", h_forgets_reply, 0, "broken", {0}},
};

typedef struct fixture {
    arena *a;
    cfg_config *cfg;
    eng_pool *pool;
    http_metrics *metrics;
    http_app app;
    http_server *server;
    http_route routes[32];
    int port;
} fixture;

static int start(void **state, int workers, int queue_depth, int pool_size)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_http_server");
    f->cfg = cfg_default(f->a);
    f->cfg->server.debug_headers = true;
    f->cfg->database.url = ts_database_url();
    err_report err;
    err_init(&err, f->a);
    eng_pool_options po;
    eng_pool_options_init(&po);
    po.conninfo = ts_database_url();
    po.pool_size = pool_size;
    po.max_overflow = 0;
    po.pool_timeout = 5;
    f->pool = eng_pool_create(&po, &err);
    assert_non_null(f->pool);
    f->metrics = http_metrics_create();
    f->app = (http_app){.config = f->cfg, .pool = f->pool, .metrics = f->metrics};
    size_t n = 0;
    for (size_t i = 0; i < HTTP_N_BUILTIN_ROUTES; i++)
        f->routes[n++] = HTTP_BUILTIN_ROUTES[i];
    for (size_t i = 0; i < sizeof TEST_ROUTES / sizeof TEST_ROUTES[0]; i++)
        f->routes[n++] = TEST_ROUTES[i];
    http_server_options so = {.host = "127.0.0.1", .port = 0, .io_threads = 2,
                              .workers = workers, .queue_depth = queue_depth,
                              .max_body_bytes = 1024, .access_log = false,
                              .shutdown_grace_s = 5};
    f->server = http_server_start(&so, f->routes, n, &f->app, &err);
    assert_non_null(f->server);
    f->port = http_server_port(f->server);
    assert_true(f->port > 0);
    atomic_store(&gate_open, 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start(state, 4, 64, 4);
}

/* One worker and a queue of one: the third database request finds the
 * queue full. */
static int setup_tiny(void **state)
{
    return start(state, 1, 1, 1);
}

static int teardown(void **state)
{
    fixture *f = *state;
    atomic_store(&gate_open, 1);
    http_server_stop(f->server);
    eng_pool_status st;
    eng_pool_get_status(f->pool, &st);
    assert_int_equal(st.checked_out, 0);
    eng_pool_destroy(f->pool);
    http_metrics_destroy(f->metrics);
    arena_destroy(f->a);
    free(f);
    return 0;
}

static json_t *body_json(const ts_response *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j)
        fail_msg("response body is not JSON: %s", r->body);
    return j;
}

static void assert_problem(const ts_response *r, int status, const char *type)
{
    assert_int_equal(r->status, status);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/problem+json");
    json_t *j = body_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
    assert_string_equal(json_string_value(json_object_get(j, "type")), type);
    assert_non_null(json_string_value(json_object_get(j, "title")));
    json_decref(j);
}

static void test_routing_and_params(void **state)
{
    fixture *f = *state;
    arena *a = arena_create(NULL, "t");
    ts_response *r = ts_http(a, f->port, "GET", "/api/book_genres/3%2C7?q=a%20b+c", NULL, NULL,
                             0, 5000);
    assert_int_equal(r->status, 200);
    json_t *j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "resource")), "book_genres");
    assert_string_equal(json_string_value(json_object_get(j, "id")), "3,7");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "a b c");
    json_decref(j);

    /* "query" is a literal segment for POST only; GET treats it as an id. */
    r = ts_http(a, f->port, "GET", "/api/users/query", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "query");
    json_decref(j);
    r = ts_http(a, f->port, "POST", "/api/users/query", NULL, "{}", 2, 5000);
    assert_int_equal(r->status, 200);
    j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "route")), "query");
    json_decref(j);

    r = ts_http(a, f->port, "GET", "/nowhere", NULL, NULL, 0, 5000);
    assert_problem(r, 404, "not-found");
    r = ts_http(a, f->port, "GET", "/api/users/%zz", NULL, NULL, 0, 5000);
    assert_problem(r, 404, "not-found");

    r = ts_http(a, f->port, "PUT", "/api/users/1", NULL, "{}", 2, 5000);
    assert_problem(r, 405, "method-not-allowed");
    const char *allow = ts_header_get(r, "Allow");
    assert_non_null(allow);
    assert_non_null(strstr(allow, "GET"));
    assert_non_null(strstr(allow, "DELETE"));
    assert_null(strstr(allow, "PUT"));
    r = ts_http(a, f->port, "DELETE", "/health", NULL, NULL, 0, 5000);
    assert_problem(r, 405, "method-not-allowed");
    assert_string_equal(ts_header_get(r, "Allow"), "GET, HEAD, OPTIONS");
    arena_destroy(a);
}

static void test_body_admission(void **state)
{
    fixture *f = *state;
    arena *a = arena_create(NULL, "t");
    const char *doc = "{\"email\":\"a@b.c\",\"n\":[1,2]}";
    ts_response *r = ts_http(a, f->port, "POST", "/api/users", NULL, doc, strlen(doc), 5000);
    assert_int_equal(r->status, 200);
    json_t *j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "body"), "email")),
                        "a@b.c");
    json_decref(j);

    /* +json media types are JSON too. */
    const char *merge[] = {"Content-Type: application/merge-patch+json; charset=utf-8", NULL};
    r = ts_http(a, f->port, "POST", "/api/users", merge, doc, strlen(doc), 5000);
    assert_int_equal(r->status, 200);

    r = ts_http(a, f->port, "POST", "/api/users", NULL, "{\"a\":", 5, 5000);
    assert_problem(r, 400, "bad-request");
    j = body_json(r);
    const char *detail = json_string_value(json_object_get(j, "detail"));
    assert_non_null(strstr(detail, "line 1"));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0),
                                          "pointer")),
        "");
    json_decref(j);

    r = ts_http(a, f->port, "POST", "/api/users", NULL, "{\"a\":1,\"a\":2}", 13, 5000);
    assert_problem(r, 400, "bad-request");

    r = ts_http(a, f->port, "POST", "/api/users", NULL, NULL, 0, 5000);
    assert_problem(r, 400, "bad-request");

    const char *text[] = {"Content-Type: text/plain", NULL};
    r = ts_http(a, f->port, "POST", "/api/users", text, doc, strlen(doc), 5000);
    assert_problem(r, 415, "unsupported-media-type");

    char *big = arena_alloc(a, 4096);
    memset(big, ' ', 4095);
    big[0] = '[';
    big[4094] = ']';
    r = ts_http(a, f->port, "POST", "/api/users", NULL, big, 4095, 5000);
    assert_problem(r, 413, "payload-too-large");

    /* Without Content-Length (chunked upload) the limit still holds. */
    sbuf b;
    sbuf_init(&b, a, 8192);
    sbuf_append(&b, "POST /api/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 4; i++) {
        sbuf_printf(&b, "%x\r\n", 500);
        for (int k = 0; k < 500; k++)
            sbuf_append_char(&b, ' ');
        sbuf_append(&b, "\r\n");
    }
    sbuf_append(&b, "0\r\n\r\n");
    r = ts_http_raw(a, f->port, b.data, b.len, 5000);
    assert_problem(r, 413, "payload-too-large");

    /* A small chunked body is accepted. */
    sbuf_reset(&b);
    sbuf_append(&b, "POST /api/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
    r = ts_http_raw(a, f->port, b.data, b.len, 5000);
    assert_int_equal(r->status, 200);
    j = body_json(r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "body"), "a")), 1);
    json_decref(j);
    arena_destroy(a);
}

static void test_request_id_and_timing(void **state)
{
    fixture *f = *state;
    arena *a = arena_create(NULL, "t");
    ts_response *r = ts_http(a, f->port, "GET", "/health", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    const char *id1 = ts_header_get(r, "X-Request-Id");
    assert_non_null(id1);
    assert_int_equal(strlen(id1), 16);
    r = ts_http(a, f->port, "GET", "/health", NULL, NULL, 0, 5000);
    assert_string_not_equal(ts_header_get(r, "X-Request-Id"), id1);

    const char *mine[] = {"X-Request-Id: trace-abc-123", NULL};
    r = ts_http(a, f->port, "GET", "/db", mine, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "X-Request-Id"), "trace-abc-123");
    const char *timing = ts_header_get(r, "Server-Timing");
    assert_non_null(timing);
    assert_non_null(strstr(timing, "total;dur="));
    assert_non_null(strstr(timing, "pool;dur="));
    assert_non_null(strstr(timing, "db;dur="));
    assert_string_equal(ts_header_get(r, "X-Query-Count"), "1");
    json_t *j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "n")), "42");
    json_decref(j);

    /* An id that could inject a header is replaced by a generated one. */
    const char *evil[] = {"X-Request-Id: a b", NULL};
    r = ts_http(a, f->port, "GET", "/health", evil, NULL, 0, 5000);
    assert_string_not_equal(ts_header_get(r, "X-Request-Id"), "a b");
    arena_destroy(a);
}

static void test_sessions_closed_on_every_path(void **state)
{
    fixture *f = *state;
    arena *a = arena_create(NULL, "t");
    for (int i = 0; i < 20; i++) {
        ts_response *r = ts_http(a, f->port, "GET", "/db/error", NULL, NULL, 0, 5000);
        assert_problem(r, 400, "invalid-data");
        json_t *j = body_json(r);
        assert_string_equal(json_string_value(json_object_get(j, "sqlstate")), "22012");
        json_decref(j);
        r = ts_http(a, f->port, "GET", "/db", NULL, NULL, 0, 5000);
        assert_int_equal(r->status, 200);
    }
    ts_response *r = ts_http(a, f->port, "GET", "/broken", NULL, NULL, 0, 5000);
    assert_problem(r, 500, "internal-error");
    r = ts_http(a, f->port, "GET", "/health/pool", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    json_t *j = body_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "checked_out")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 4);
    assert_true(json_integer_value(json_object_get(j, "checked_in")) >= 1);
    assert_int_equal(json_integer_value(json_object_get(j, "invalidated")), 0);
    json_decref(j);
    arena_destroy(a);
}

typedef struct getter {
    int port;
    const char *path;
    int status;
} getter;

static void *get_in_thread(void *arg)
{
    getter *g = arg;
    arena *a = arena_create(NULL, "getter");
    ts_response *r = ts_http(a, g->port, "GET", g->path, NULL, NULL, 0, 15000);
    g->status = r->status;
    arena_destroy(a);
    return NULL;
}

/* With one worker busy and one request queued, the next database request
 * is refused at once with 503 + Retry-After, while /health and
 * /health/pool still answer promptly. */
static void test_full_queue_and_health_while_busy(void **state)
{
    fixture *f = *state;
    getter g[2] = {{f->port, "/db/block", 0}, {f->port, "/db/block", 0}};
    pthread_t t[2];
    pthread_create(&t[0], NULL, get_in_thread, &g[0]);
    double deadline = ts_now() + 20; /* generous: CI machines are shared */
    while (atomic_load(&blocked_now) < 1 && ts_now() < deadline)
        ts_sleep_ms(5);
    assert_int_equal(atomic_load(&blocked_now), 1);
    pthread_create(&t[1], NULL, get_in_thread, &g[1]);
    while (http_server_queue_length(f->server) < 2 && ts_now() < deadline)
        ts_sleep_ms(5);
    assert_int_equal(http_server_queue_length(f->server), 2);

    arena *a = arena_create(NULL, "t");
    ts_response *r = ts_http(a, f->port, "GET", "/db", NULL, NULL, 0, 5000);
    assert_problem(r, 503, "service-unavailable");
    assert_string_equal(ts_header_get(r, "Retry-After"), "1");

    r = ts_http(a, f->port, "GET", "/health", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    /* The database requests stay blocked until released; /health must not
     * wait for them. The bound only has to separate "answered" from
     * "queued behind the database" on a loaded machine. */
    assert_true(r->seconds < 3.0);
    r = ts_http(a, f->port, "GET", "/health/pool", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    json_t *j = body_json(r);
    assert_int_equal(json_integer_value(json_object_get(j, "checked_out")), 1);
    json_decref(j);

    atomic_store(&gate_open, 1);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    assert_int_equal(g[0].status, 204);
    assert_int_equal(g[1].status, 204);

    r = ts_http(a, f->port, "GET", "/metrics", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "retort_http_requests_total{route=\"db_block\",method=\"GET\","
                                    "status=\"204\"} 2"));
    assert_non_null(strstr(r->body, "retort_http_requests_total{route=\"db\",method=\"GET\","
                                    "status=\"503\"} 1"));
    assert_non_null(strstr(r->body, "retort_pool_checked_out 0"));
    arena_destroy(a);
}

/* Many concurrent clients over a few I/O threads and workers: every
 * request answered, nothing leaked. */
static void *hammer(void *arg)
{
    getter *g = arg;
    arena *a = arena_create(NULL, "hammer");
    g->status = 200;
    for (int i = 0; i < 50; i++) {
        ts_response *r = ts_http(a, g->port, "GET", i % 2 ? "/db" : "/db/error", NULL, NULL, 0,
                                 10000);
        if (r->status != (i % 2 ? 200 : 400))
            g->status = r->status;
    }
    arena_destroy(a);
    return NULL;
}

static void test_concurrent_clients(void **state)
{
    fixture *f = *state;
    enum { N = 8 };
    getter g[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        g[i] = (getter){f->port, NULL, 0};
        pthread_create(&t[i], NULL, hammer, &g[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].status, 200);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routing_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_admission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_id_and_timing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_closed_on_every_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_and_health_while_busy, setup_tiny,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
