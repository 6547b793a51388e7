/*
 * Stateless instances: three retort processes behind a real HAProxy serve
 * the same database. One is killed (SIGKILL) in the middle of a load: the
 * others keep answering, and only requests that were in flight on it may
 * fail. Another gets SIGTERM in the middle of a load: it drains its
 * in-flight requests and exits 0, and no request fails.
 */
#include "api_support.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

enum { N_SERVERS = 3, N_THREADS = 4, PER_THREAD = 60 };

static ts_server extra[N_SERVERS - 1];
static ts_haproxy lb;

typedef struct loader {
    int ok, failed;
    char first_failure[256];
} loader;

static void *load(void *arg)
{
    loader *l = arg;
    arena *a = arena_create(NULL, "lb load");
    const char *path = arena_sprintf(a, "/api/%s?limit=2", R("users"));
    double deadline = ts_now() + 40;
    for (int i = 0; i < PER_THREAD && ts_now() < deadline; i++) {
        ts_response *r = ts_http(a, lb.port, "GET", path, NULL, NULL, 0, 15000);
        json_t *j = r->status == 200 ? json_loads(r->body, 0, NULL) : NULL;
        if (j && json_array_size(json_object_get(j, "data")) == 2)
            l->ok++;
        else if (l->failed++ == 0)
            snprintf(l->first_failure, sizeof l->first_failure, "%d %.200s", r->status, r->body);
        json_decref(j);
        ts_sleep_ms(5);
    }
    arena_destroy(a);
    return NULL;
}

/* Runs the load while disrupt(victim) happens 300 ms in; returns failures. */
static int load_while(void (*disrupt)(ts_server *), ts_server *victim)
{
    loader l[N_THREADS];
    pthread_t t[N_THREADS];
    memset(l, 0, sizeof l);
    for (int i = 0; i < N_THREADS; i++)
        pthread_create(&t[i], NULL, load, &l[i]);
    ts_sleep_ms(300);
    disrupt(victim);
    int ok = 0, failed = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += l[i].ok;
        failed += l[i].failed;
        if (l[i].first_failure[0])
            printf("  loader %d: %s\n", i, l[i].first_failure);
    }
    printf("  %d ok, %d failed\n", ok, failed);
    assert_int_equal(ok + failed, N_THREADS * PER_THREAD);
    return failed;
}

static void kill9(ts_server *s)
{
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static int drained_status;

static void sigterm(ts_server *s)
{
    drained_status = ts_server_stop(s); /* SIGTERM, waits for the exit */
    s->pid = 0;
}

static void test_one_killed_others_answer(void **state)
{
    (void) state;
    sql_exec("INSERT INTO %s (email, name) SELECT 'lb' || k || '@example.com', 'LB' "
             "FROM generate_series(1, 5) k",
             R("users"));
    /* Every instance answers through the balancer. */
    for (int i = 0; i < 6; i++)
        assert_int_equal(ts_http(T(), lb.port, "GET", "/health", NULL, NULL, 0, 5000)->status,
                         200);
    printf("SIGKILL one instance mid-load:\n");
    int failed = load_while(kill9, &extra[0]);
    /* Only what was in flight on the killed one may fail. */
    assert_true(failed <= N_THREADS);

    printf("SIGTERM another mid-load:\n");
    failed = load_while(sigterm, &extra[1]);
    assert_int_equal(drained_status, 0);
    assert_int_equal(failed, 0);

    /* The survivor serves everything. */
    api_reply *r = api_call_port(lb.port, "GET", S("/api/%s?limit=1", R("users")), NULL, 0, NULL,
                                 5000);
    EXPECT_STATUS(r, 200);
}

static int group_setup(void **state)
{
    (void) state;
    if (api_group_setup("olb_", NULL) != 0)
        return -1;
    int ports[N_SERVERS] = {API.srv.port};
    for (int i = 0; i < N_SERVERS - 1; i++) {
        if (!api_server_start(&extra[i], NULL))
            return -1;
        ports[i + 1] = extra[i].port;
    }
    return ts_haproxy_start(&lb, ports, N_SERVERS) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void) state;
    ts_haproxy_stop(&lb);
    for (int i = 0; i < N_SERVERS - 1; i++)
        if (extra[i].pid > 0)
            ts_server_stop(&extra[i]);
    return api_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_killed_others_answer, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
