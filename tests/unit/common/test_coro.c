/*
 * test_coro — the coroutine loop (src/common/coro.c): waits on file
 * descriptors yield instead of blocking, parks are woken from another
 * thread (also before they park), deadlines fire, stacks are reused, and
 * the same waits work on a plain thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "coro.h"

/* ---- two coroutines talk through pipes: each wait yields ---------------- */

typedef struct pingpong {
    int in, out;
    int rounds;
    int *log;
    int *n_log;
    int id;
} pingpong;

static void pingpong_main(void *arg)
{
    pingpong *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        if (p->id == 1 || i > 0) {
            assert_true(coro_wait_fd(p->in, POLLIN, coro_now() + 10) & POLLIN);
            char b;
            assert_int_equal(read(p->in, &b, 1), 1);
        }
        p->log[(*p->n_log)++] = p->id;
        assert_int_equal(write(p->out, "x", 1), 1);
    }
}

static void start_pingpong(coro_loop *l, void *arg)
{
    pingpong *pp = arg;
    coro_spawn(l, pingpong_main, &pp[0]);
    coro_spawn(l, pingpong_main, &pp[1]);
    coro_loop_stop(l);
}

static void test_wait_fd_yields(void **state)
{
    (void) state;
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    int log[64], n_log = 0;
    pingpong pp[2] = {{.in = b[0], .out = a[1], .rounds = 10, .log = log, .n_log = &n_log, .id = 0},
                      {.in = a[0], .out = b[1], .rounds = 10, .log = log, .n_log = &n_log, .id = 1}};
    coro_loop *l = coro_loop_create(start_pingpong, pp);
    assert_non_null(l);
    coro_loop_notify(l);
    coro_loop_run(l); /* one thread ran both: they alternated */
    assert_int_equal(n_log, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(log[i], i % 2);
    coro_loop_destroy(l);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* ---- deadlines ------------------------------------------------------------ */

static void deadlines_main(void *arg)
{
    int *fds = arg;
    double t0 = coro_now();
    assert_int_equal(coro_wait_fd(fds[0], POLLIN, t0 + 0.05), 0); /* nothing to read */
    assert_true(coro_now() - t0 >= 0.04);
    assert_false(coro_park(coro_now() + 0.02)); /* nobody wakes it */
    coro_sleep(0.01);
    assert_non_null(coro_self());
}

typedef struct one {
    void (*fn)(void *);
    void *arg;
} one;

static void start_one(coro_loop *l, void *arg)
{
    one *o = arg;
    coro_spawn(l, o->fn, o->arg);
    coro_loop_stop(l);
}

static void test_deadlines(void **state)
{
    (void) state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    one o = {deadlines_main, fds};
    coro_loop *l = coro_loop_create(start_one, &o);
    coro_loop_notify(l);
    coro_loop_run(l);
    coro_loop_destroy(l);
    /* The same waits on a plain thread. */
    assert_null(coro_self());
    assert_int_equal(coro_wait_fd(fds[0], POLLIN, coro_now() + 0.01), 0);
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_true(coro_wait_fd(fds[0], POLLIN, 0) & POLLIN);
    coro_sleep(0.001);
    close(fds[0]), close(fds[1]);
}

/* ---- park / wake across threads ------------------------------------------ */

enum { N_PARKERS = 50 };

typedef struct parkers {
    pthread_mutex_t mu;
    coro *waiting[N_PARKERS];
    bool granted[N_PARKERS];
    int n_waiting;
    atomic_int done;
} parkers;

typedef struct parker_arg {
    parkers *p;
    int i;
} parker_arg;

static void parker_main(void *arg)
{
    parker_arg *a = arg;
    parkers *p = a->p;
    pthread_mutex_lock(&p->mu);
    p->waiting[a->i] = coro_self();
    p->n_waiting++;
    while (!p->granted[a->i]) {
        pthread_mutex_unlock(&p->mu); /* never across the park */
        coro_park(coro_now() + 10);
        pthread_mutex_lock(&p->mu);
    }
    p->waiting[a->i] = NULL;
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_add(&p->done, 1);
}

typedef struct spawn_parkers {
    parkers *p;
    parker_arg args[N_PARKERS];
} spawn_parkers;

static void start_parkers(coro_loop *l, void *arg)
{
    spawn_parkers *sp = arg;
    if (coro_loop_count(l) > 0)
        return;
    for (int i = 0; i < N_PARKERS; i++) {
        sp->args[i] = (parker_arg){sp->p, i};
        coro_spawn(l, parker_main, &sp->args[i]);
    }
    coro_loop_stop(l);
}

static void *run_loop(void *arg)
{
    coro_loop_run(arg);
    return NULL;
}

static void test_park_wake(void **state)
{
    (void) state;
    spawn_parkers sp;
    parkers p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    atomic_init(&p.done, 0);
    sp.p = &p;
    coro_loop *l = coro_loop_create(start_parkers, &sp);
    pthread_t t;
    pthread_create(&t, NULL, run_loop, l);
    coro_loop_notify(l);
    /* Grant in reverse order, racing with the parks. */
    for (int i = N_PARKERS - 1; i >= 0; i--) {
        for (int tries = 0; tries < 100000; tries++) {
            pthread_mutex_lock(&p.mu);
            coro *c = p.waiting[i];
            if (c) {
                p.granted[i] = true;
                coro_wake(c); /* under the lock that keeps it parked */
            }
            pthread_mutex_unlock(&p.mu);
            if (c)
                break;
            coro_sleep(0.0001);
        }
    }
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&p.done), N_PARKERS);
    coro_loop_destroy(l);
    pthread_mutex_destroy(&p.mu);
}

/* ---- stacks are reused ---------------------------------------------------- */

static void touch_stack(void *arg)
{
    volatile char buf[16 * 1024];
    memset((char *) buf, 1, sizeof buf);
    (*(int *) arg)++;
}

typedef struct reuse {
    int count, rounds;
} reuse;

static void start_reuse(coro_loop *l, void *arg)
{
    reuse *r = arg;
    for (int i = 0; i < 8; i++)
        coro_spawn(l, touch_stack, &r->count);
    if (++r->rounds == 100)
        coro_loop_stop(l);
    else
        coro_loop_notify(l);
}

static void test_reuse(void **state)
{
    (void) state;
    reuse r = {0, 0};
    coro_loop *l = coro_loop_create(start_reuse, &r);
    coro_loop_notify(l);
    coro_loop_run(l);
    assert_int_equal(r.count, 800);
    coro_loop_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_fd_yields),
        cmocka_unit_test(test_deadlines),
        cmocka_unit_test(test_park_wake),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
