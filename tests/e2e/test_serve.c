/*
 * The real retort binary on a real port against a private PostgreSQL
 * cluster (private because these tests stop, freeze and restart it):
 * health routes, pool status, error routes, readiness across a database
 * outage, /health and /health/ready while the database hangs, graceful
 * shutdown. The sample models' tables are created with `retort schema
 * create`, so GET /api/users is a request that needs the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testsupport.h"

typedef struct fixture {
    ts_cluster pg;
    ts_server srv;
    arena *a;
    char env_url[600];
} fixture;

static fixture F;

static int setup_group(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "e2e");
    if (!ts_cluster_start(&F.pg))
        return -1;
    snprintf(F.env_url, sizeof F.env_url, "RETORT_DATABASE_URL=%s", F.pg.url);
    const char *env[] = {F.env_url,
                         "RETORT_DATABASE_POOL_SIZE=2",
                         "RETORT_DATABASE_MAX_OVERFLOW=0",
                         /* Long enough that connections opened while the
                          * database is frozen complete after it thaws. */
                         "RETORT_DATABASE_POOL_TIMEOUT=20",
                         "RETORT_DATABASE_CONNECT_TIMEOUT=20",
                         "RETORT_SERVER_WORKERS=4",
                         NULL};
    const char *config = ts_source_path(F.a, "config/retort.json");
    if (ts_system("%s %s schema create -c %s >/dev/null", F.env_url, RETORT_BINARY_PATH,
                  config) != 0)
        return -1;
    if (!ts_server_start(&F.srv, config, env))
        return -1;
    return 0;
}

static int teardown_group(void **state)
{
    (void) state;
    if (F.srv.pid > 0 && ts_server_stop(&F.srv) != 0)
        ts_server_dump_log(&F.srv);
    ts_cluster_destroy(&F.pg);
    arena_destroy(F.a);
    return 0;
}

static ts_response *get(const char *path)
{
    return ts_http(F.a, F.srv.port, "GET", path, NULL, NULL, 0, 15000);
}

static json_t *body_json(const ts_response *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body, 0, &e);
    if (!j)
        fail_msg("response body is not JSON (%d): %s", r->status, r->body);
    return j;
}

static void test_health(void **state)
{
    (void) state;
    ts_response *r = get("/health");
    assert_int_equal(r->status, 200);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/json");
    assert_non_null(ts_header_get(r, "X-Request-Id"));
    assert_non_null(strstr(ts_header_get(r, "Server-Timing"), "total;dur="));
    json_t *j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(j, "version")), RETORT_EXPECTED_VERSION);
    json_decref(j);

    r = get("/health/ready");
    assert_int_equal(r->status, 200);
    j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
    json_decref(j);
}

static void test_pool_status(void **state)
{
    (void) state;
    assert_int_equal(get("/api/users?limit=1")->status, 200); /* opens a pooled connection */
    ts_response *r = get("/health/pool");
    assert_int_equal(r->status, 200);
    json_t *j = body_json(r);
    const char *fields[] = {"size",      "checked_in", "checked_out", "overflow",
                            "max_overflow", "waiting", "timeouts",  "recycled",
                            "invalidated",  "result_mismatches"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_true(json_is_integer(json_object_get(j, fields[i])));
    /* A direct connection: no pooler detected; nothing queued. */
    assert_true(json_is_false(json_object_get(j, "behind_pooler")));
    assert_true(json_is_false(json_object_get(j, "saturated")));
    assert_int_equal(json_object_size(j), sizeof fields / sizeof fields[0] + 2);
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "max_overflow")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "checked_out")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "overflow")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "waiting")), 0);
    assert_true(json_integer_value(json_object_get(j, "checked_in")) >= 1);
    json_decref(j);
}

static void test_errors(void **state)
{
    (void) state;
    ts_response *r = get("/no/such/route");
    assert_int_equal(r->status, 404);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/problem+json");
    json_t *j = body_json(r);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "not-found");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
    json_decref(j);

    r = ts_http(F.a, F.srv.port, "POST", "/health", NULL, "{}", 2, 5000);
    assert_int_equal(r->status, 405);
    assert_string_equal(ts_header_get(r, "Allow"), "GET, HEAD, OPTIONS");

    /* Over max_body_bytes (1 MiB in the sample config): refused from the
     * Content-Length alone. */
    size_t big = 2 * 1024 * 1024;
    char *body = arena_alloc(F.a, big);
    memset(body, ' ', big);
    r = ts_http(F.a, F.srv.port, "POST", "/health", NULL, body, big, 15000);
    assert_int_equal(r->status, 413);

    r = get("/metrics");
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "retort_http_requests_total{route=\"/health\""));
    assert_non_null(strstr(r->body, "retort_pool_size 2"));
}

/* SIGSTOP/SIGCONT every process of the cluster: connections stay open but
 * nothing answers, as when the database host stalls. */
static void freeze_database(bool frozen)
{
    int rc = ts_system("pm=$(head -1 %s/data/postmaster.pid) && kill -%s $pm $(pgrep -P $pm)",
                       F.pg.dir, frozen ? "STOP" : "CONT");
    assert_int_equal(rc, 0);
}

typedef struct call {
    const char *path;
    int status;
} call;

static void *call_thread(void *arg)
{
    call *c = arg;
    arena *a = arena_create(NULL, "call");
    c->status = ts_http(a, F.srv.port, "GET", c->path, NULL, NULL, 0, 30000)->status;
    arena_destroy(a);
    return NULL;
}

static void test_health_answers_while_database_hangs(void **state)
{
    (void) state;
    freeze_database(true);
    enum { N = 4 }; /* two hold both pooled connections, two wait */
    call calls[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        calls[i] = (call){"/api/users?limit=1", 0};
        pthread_create(&t[i], NULL, call_thread, &calls[i]);
    }
    double deadline = ts_now() + 20; /* generous: CI machines are shared */
    json_t *pool = NULL;
    while (ts_now() < deadline) {
        ts_response *r = get("/health/pool");
        assert_int_equal(r->status, 200);
        json_decref(pool);
        pool = body_json(r);
        if (json_integer_value(json_object_get(pool, "waiting")) >= 1)
            break;
        ts_sleep_ms(20);
    }
    assert_int_equal(json_integer_value(json_object_get(pool, "checked_in")), 0);
    assert_true(json_integer_value(json_object_get(pool, "waiting")) >= 1);
    assert_true(json_is_true(json_object_get(pool, "saturated")));
    json_decref(pool);

    ts_response *r = get("/health");
    assert_int_equal(r->status, 200);
    /* The database requests stay blocked until released; /health must not
     * wait for them. The bound only has to separate "answered" from
     * "queued behind the database" on a loaded machine. */
    assert_true(r->seconds < 3.0);
    /* Neither does readiness: it reads what the health checker saw; the
     * stalled database turns it to 503 within a few seconds. */
    r = get("/health/ready");
    assert_true(r->seconds < 3.0);
    int ready = 200;
    deadline = ts_now() + 20;
    while (ts_now() < deadline && (ready = get("/health/ready")->status) == 200)
        ts_sleep_ms(100);
    assert_int_equal(ready, 503);

    freeze_database(false);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(calls[i].status, 200);
    }
}

static void test_ready_across_outage(void **state)
{
    (void) state;
    assert_true(ts_cluster_stop(&F.pg));
    /* Readiness follows the health checker: 503 within a few seconds. */
    ts_response *r = get("/health/ready");
    double deadline = ts_now() + 20;
    while (ts_now() < deadline && r->status == 200) {
        ts_sleep_ms(100);
        r = get("/health/ready");
    }
    assert_int_equal(r->status, 503);
    assert_string_equal(ts_header_get(r, "Content-Type"), "application/problem+json");
    assert_non_null(ts_header_get(r, "Retry-After"));
    r = get("/health");
    assert_int_equal(r->status, 200);

    assert_true(ts_cluster_restart(&F.pg));
    int status = 0;
    deadline = ts_now() + 20;
    while (ts_now() < deadline && status != 200) {
        status = get("/health/ready")->status;
        if (status != 200)
            ts_sleep_ms(100);
    }
    assert_int_equal(status, 200);
    /* The pooled connections died with the server: the next request
     * replaces them. */
    assert_int_equal(get("/api/users?limit=1")->status, 200);
    r = get("/health/pool");
    json_t *j = body_json(r);
    assert_true(json_integer_value(json_object_get(j, "invalidated")) >= 1);
    assert_int_equal(json_integer_value(json_object_get(j, "checked_out")), 0);
    json_decref(j);
}

/* SIGTERM with a request in flight: the request completes, then retort
 * exits 0. */
static void test_graceful_shutdown(void **state)
{
    (void) state;
    freeze_database(true);
    call c = {"/api/users?limit=1", 0};
    pthread_t t;
    pthread_create(&t, NULL, call_thread, &c);
    ts_sleep_ms(300);
    kill(F.srv.pid, SIGTERM);
    ts_sleep_ms(300);
    freeze_database(false);
    pthread_join(t, NULL);
    assert_int_equal(c.status, 200);
    int status = 0;
    double deadline = ts_now() + 15;
    pid_t w = 0;
    while (ts_now() < deadline && (w = waitpid(F.srv.pid, &status, WNOHANG)) == 0)
        ts_sleep_ms(20);
    assert_int_equal(w, F.srv.pid);
    F.srv.pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Nothing listens any more. */
    assert_int_equal(get("/health")->status, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_pool_status),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_health_answers_while_database_hangs),
        cmocka_unit_test(test_ready_across_outage),
        cmocka_unit_test(test_graceful_shutdown),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
