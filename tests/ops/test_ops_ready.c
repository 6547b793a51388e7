/*
 * Readiness under load: /health/ready stays 200 while every pooled
 * connection is busy and checkouts queue (the database is alive, only
 * slow: a lock held by another session), /health/pool reports the
 * saturation, and readiness turns 503 within seconds once the database
 * stops. A private cluster, because the test stops it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

static struct {
    ts_cluster pg;
    ts_server srv;
    arena *a;
    char env_url[600];
} F;

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "ready");
    if (!ts_cluster_start(&F.pg))
        return -1;
    snprintf(F.env_url, sizeof F.env_url, "RETORT_DATABASE_URL=%s", F.pg.url);
    const char *config = ts_source_path(F.a, "config/retort.json");
    if (ts_system("%s %s schema create -c %s >/dev/null", F.env_url, RETORT_BINARY_PATH,
                  config) != 0)
        return -1;
    const char *env[] = {F.env_url, "RETORT_DATABASE_POOL_SIZE=2", "RETORT_DATABASE_MAX_OVERFLOW=0",
                         "RETORT_DATABASE_POOL_TIMEOUT=30", "RETORT_SERVER_WORKERS=6", NULL};
    return ts_server_start(&F.srv, config, env) ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    if (F.srv.pid > 0 && ts_server_stop(&F.srv) != 0)
        ts_server_dump_log(&F.srv);
    ts_cluster_destroy(&F.pg);
    arena_destroy(F.a);
    return 0;
}

static int status_of(const char *path)
{
    return ts_http(F.a, F.srv.port, "GET", path, NULL, NULL, 0, 15000)->status;
}

typedef struct call {
    int status;
} call;

static void *slow_call(void *arg)
{
    call *c = arg;
    arena *a = arena_create(NULL, "slow call");
    c->status = ts_http(a, F.srv.port, "GET", "/api/users?limit=1", NULL, NULL, 0, 60000)->status;
    arena_destroy(a);
    return NULL;
}

static json_t *pool_status(void)
{
    ts_response *r = ts_http(F.a, F.srv.port, "GET", "/health/pool", NULL, NULL, 0, 5000);
    assert_int_equal(r->status, 200);
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_ready_while_saturated_then_503_when_stopped(void **state)
{
    (void) state;
    assert_int_equal(status_of("/health/ready"), 200);
    /* Another session holds the table for 4 s (below the sample statement_timeout of 5 s): every request that reads it
     * waits on a pooled connection, and the rest queue for one. */
    assert_int_equal(ts_system("psql -X -q '%s' -c 'BEGIN; LOCK TABLE users IN ACCESS "
                               "EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT' >/dev/null 2>&1 &",
                               F.pg.url),
                     0);
    /* Wait until the lock is held (psql may start slowly on a busy machine). */
    double until = ts_now() + 10;
    const char *held = "0";
    while (ts_now() < until) {
        ts_psql_capture(F.a, F.pg.url,
                        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE c.relname = 'users' AND l.mode = 'AccessExclusiveLock' AND l.granted",
                        &held, NULL);
        if (held && strcmp(held, "1") == 0)
            break;
        ts_sleep_ms(50);
    }
    enum { N = 4 };
    call calls[N] = {{0}};
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, slow_call, &calls[i]);

    bool saturated = false;
    double deadline = ts_now() + 5;
    while (!saturated && ts_now() < deadline) {
        json_t *j = pool_status();
        saturated = json_is_true(json_object_get(j, "saturated"));
        json_decref(j);
        if (!saturated)
            ts_sleep_ms(50);
    }
    assert_true(saturated);
    /* Busy is not down: readiness answers 200, at once, all along. */
    for (int i = 0; i < 8; i++) {
        ts_response *r = ts_http(F.a, F.srv.port, "GET", "/health/ready", NULL, NULL, 0, 5000);
        assert_int_equal(r->status, 200);
        assert_true(r->seconds < 2.0);
        ts_sleep_ms(100);
    }
    json_t *j = pool_status();
    assert_true(json_is_true(json_object_get(j, "saturated")));
    json_decref(j);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(calls[i].status, 200);
    }

    /* The database stops: readiness says so within seconds. */
    assert_true(ts_cluster_stop(&F.pg));
    double stopped = ts_now();
    int status = 200;
    while (ts_now() < stopped + 15 && (status = status_of("/health/ready")) == 200)
        ts_sleep_ms(100);
    assert_int_equal(status, 503);
    printf("503 %.1f s after the database stopped\n", ts_now() - stopped);
    assert_int_equal(status_of("/health"), 200); /* liveness does not follow the database */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_while_saturated_then_503_when_stopped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
