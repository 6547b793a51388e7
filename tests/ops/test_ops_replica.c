/*
 * Read replicas against a real streaming replica (pg_basebackup -R) of a
 * private primary: reads go to the replica, writes and `Prefer:
 * read=primary` to the primary; a replica that lags more than
 * max_replica_lag_ms (replay paused) is taken out and the reads see the
 * primary's rows; a replica stopped in the middle of a load costs at most
 * the requests in flight on it (503, never a 500 or a wrong body) and
 * comes back by itself once it is started again.
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
    ts_cluster primary, replica;
    ts_server srv;
    arena *a;
    char env_url[600], env_replicas[600];
} F;

enum { N_USERS = 50 };

static const char *psql1(const char *url, const char *sql)
{
    const char *out = NULL;
    if (ts_psql_capture(F.a, url, sql, &out, NULL) != 0)
        return NULL;
    return out;
}

static bool wait_for(const char *url, const char *sql, const char *want, double seconds)
{
    double deadline = ts_now() + seconds;
    while (ts_now() < deadline) {
        const char *v = psql1(url, sql);
        if (v && strcmp(v, want) == 0)
            return true;
        ts_sleep_ms(100);
    }
    return false;
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "replica");
    if (!ts_cluster_start(&F.primary))
        return -1;
    snprintf(F.env_url, sizeof F.env_url, "RETORT_DATABASE_URL=%s", F.primary.url);
    const char *config = ts_source_path(F.a, "config/retort.json");
    if (ts_system("%s %s schema create -c %s >/dev/null", F.env_url, RETORT_BINARY_PATH,
                  config) != 0)
        return -1;
    char seed[256];
    snprintf(seed, sizeof seed,
             "INSERT INTO users (email, name) SELECT 'u' || k || '@example.com', 'User ' || k "
             "FROM generate_series(1, %d) k",
             N_USERS);
    if (ts_psql(F.primary.url, seed) != 0 || !ts_replica_start(&F.replica, &F.primary))
        return -1;
    if (!wait_for(F.replica.url, "SELECT count(*) FROM users", "50", 30))
        return -1;
    snprintf(F.env_replicas, sizeof F.env_replicas, "RETORT_DATABASE_REPLICAS=%s",
             F.replica.url);
    const char *env[] = {F.env_url, F.env_replicas, "RETORT_DATABASE_MAX_REPLICA_LAG_MS=1000",
                         "RETORT_DATABASE_POOL_SIZE=4", "RETORT_DATABASE_MAX_OVERFLOW=4",
                         "RETORT_DATABASE_CONNECT_TIMEOUT=3", "RETORT_SERVER_WORKERS=8", NULL};
    return ts_server_start(&F.srv, config, env) ? 0 : -1;
}

static int teardown(void **state)
{
    (void) state;
    if (F.srv.pid > 0 && ts_server_stop(&F.srv) != 0)
        ts_server_dump_log(&F.srv);
    ts_cluster_destroy(&F.replica);
    ts_cluster_destroy(&F.primary);
    arena_destroy(F.a);
    return 0;
}

static ts_response *call(const char *method, const char *path, const char *body,
                         const char *extra_header)
{
    const char *headers[] = {"Content-Type: application/json", extra_header, NULL};
    return ts_http(F.a, F.srv.port, method, path, headers, body, body ? strlen(body) : 0, 15000);
}

/* /health/pool's replicas[0]; a new reference. */
static json_t *replica_status(void)
{
    ts_response *r = call("GET", "/health/pool", NULL, NULL);
    assert_int_equal(r->status, 200);
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    json_t *rep = json_incref(json_array_get(json_object_get(j, "replicas"), 0));
    json_decref(j);
    assert_non_null(rep);
    return rep;
}

static long long reads(void)
{
    json_t *rep = replica_status();
    long long n = json_integer_value(json_object_get(rep, "reads"));
    json_decref(rep);
    return n;
}

static bool wait_healthy(bool want, double seconds)
{
    double deadline = ts_now() + seconds;
    while (ts_now() < deadline) {
        json_t *rep = replica_status();
        bool h = json_is_true(json_object_get(rep, "healthy"));
        json_decref(rep);
        if (h == want)
            return true;
        ts_sleep_ms(100);
    }
    return false;
}

static size_t list_size(const ts_response *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    size_t n = json_array_size(json_object_get(j, "data"));
    json_decref(j);
    return n;
}

static void test_reads_go_to_the_replica(void **state)
{
    (void) state;
    assert_true(wait_healthy(true, 15));
    json_t *rep = replica_status();
    assert_non_null(strstr(json_string_value(json_object_get(rep, "url")), "127.0.0.1"));
    assert_true(json_is_integer(json_object_get(rep, "checked_in")));
    json_decref(rep);

    long long before = reads();
    for (int i = 0; i < 10; i++) {
        ts_response *r = call("GET", "/api/users?limit=5", NULL, NULL);
        assert_int_equal(r->status, 200);
        assert_int_equal(list_size(r), 5);
    }
    assert_true(reads() >= before + 10);
    /* The replica really served them. */
    assert_true(atoi(psql1(F.replica.url, "SELECT count(*) FROM pg_stat_activity WHERE "
                                          "application_name = 'retort'")) >= 1);

    /* Query documents read too. */
    before = reads();
    assert_int_equal(call("POST", "/api/users/query", "{\"limit\": 2}", NULL)->status, 200);
    assert_int_equal(reads(), before + 1);

    /* Writes, and reads the client wants from the primary, do not. */
    before = reads();
    ts_response *r = call("POST", "/api/users", "{\"email\": \"w@example.com\", \"name\": \"W\"}",
                          NULL);
    assert_int_equal(r->status, 201);
    r = call("GET", "/api/users?email=w@example.com", NULL, "Prefer: read=primary");
    assert_int_equal(r->status, 200);
    assert_int_equal(list_size(r), 1); /* its own write, at once */
    assert_int_equal(reads(), before);
}

static void test_lagging_replica_is_taken_out(void **state)
{
    (void) state;
    assert_true(wait_healthy(true, 15));
    assert_int_equal(ts_psql(F.replica.url, "SELECT pg_wal_replay_pause()"), 0);
    assert_int_equal(ts_psql(F.primary.url, "INSERT INTO users (email, name) VALUES "
                                            "('lag@example.com', 'Lag')"),
                     0);
    assert_true(wait_healthy(false, 15));
    json_t *rep = replica_status();
    assert_true(json_integer_value(json_object_get(rep, "lag_ms")) > 1000);
    json_decref(rep);
    /* Reads go to the primary now: the new row is there. */
    long long before = reads();
    ts_response *r = call("GET", "/api/users?email=lag@example.com", NULL, NULL);
    assert_int_equal(r->status, 200);
    assert_int_equal(list_size(r), 1);
    assert_int_equal(reads(), before);

    assert_int_equal(ts_psql(F.replica.url, "SELECT pg_wal_replay_resume()"), 0);
    assert_true(wait_healthy(true, 15));
}

typedef struct loader {
    int ok, unavailable, other;
    char first_other[256];
} loader;

static void *load(void *arg)
{
    loader *l = arg;
    arena *a = arena_create(NULL, "load");
    double deadline = ts_now() + 40;
    for (int i = 0; i < 60 && ts_now() < deadline; i++) {
        ts_response *r = ts_http(a, F.srv.port, "GET", "/api/users?limit=3", NULL, NULL, 0, 15000);
        json_t *j = r->status == 200 ? json_loads(r->body, 0, NULL) : NULL;
        if (r->status == 200 && json_array_size(json_object_get(j, "data")) == 3)
            l->ok++;
        else if (r->status == 503)
            l->unavailable++;
        else if (l->other++ == 0)
            snprintf(l->first_other, sizeof l->first_other, "%d %.200s", r->status, r->body);
        json_decref(j);
        ts_sleep_ms(10);
    }
    arena_destroy(a);
    return NULL;
}

static void test_replica_stopped_mid_load(void **state)
{
    (void) state;
    assert_true(wait_healthy(true, 15));
    enum { N = 4 };
    loader l[N];
    pthread_t t[N];
    memset(l, 0, sizeof l);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, load, &l[i]);
    ts_sleep_ms(300);
    assert_true(ts_cluster_stop(&F.replica));
    int ok = 0, unavailable = 0, other = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += l[i].ok;
        unavailable += l[i].unavailable;
        other += l[i].other;
        if (l[i].first_other[0])
            printf("loader %d: %s\n", i, l[i].first_other);
    }
    printf("replica stopped mid-load: %d ok, %d 503, %d other\n", ok, unavailable, other);
    assert_int_equal(other, 0);
    assert_true(unavailable <= N * 2); /* at most what was in flight on it */
    assert_true(ok >= N * 60 - N * 2);
    assert_true(wait_healthy(false, 15));
    assert_int_equal(call("GET", "/api/users?limit=1", NULL, NULL)->status, 200);

    /* Started again, it takes reads again by itself. */
    assert_true(ts_cluster_restart(&F.replica));
    assert_true(wait_healthy(true, 20));
    long long before = reads();
    assert_int_equal(call("GET", "/api/users?limit=1", NULL, NULL)->status, 200);
    assert_true(reads() > before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_go_to_the_replica),
        cmocka_unit_test(test_lagging_replica_is_taken_out),
        cmocka_unit_test(test_replica_stopped_mid_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
