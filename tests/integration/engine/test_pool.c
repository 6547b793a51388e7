/*
 * test_pool — the QueuePool against a real PostgreSQL: overflow, checkout
 * timeout, FIFO waiters, recycle, pre-ping, invalidation, reset on
 * checkin, database down and back, and many checkouts from many threads.
 *
 * Runs on a private throw-away cluster (it stops and restarts it). Every
 * test builds its own pool so the counters it checks start at zero; an
 * "admin" pool on the side kills backends and looks at pg_stat_activity.
 */
#include "eng_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct fixture {
    ts_cluster cluster;
    eng_pool *admin;
    arena *a;
} fixture;

static fixture F;

static eng_pool *make_pool(int size, int overflow, double timeout,
                           void (*tweak)(eng_pool_options *))
{
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.cluster.url;
    o.pool_size = size;
    o.max_overflow = overflow;
    o.pool_timeout = timeout;
    o.connect_timeout = 2;
    o.application_name = "retort-test-pool";
    o.overflow_idle_s = 0; /* QueuePool's rule, which these tests check */
    if (tweak)
        tweak(&o);
    err_report err;
    err_init(&err, F.a);
    eng_pool *p = eng_pool_create(&o, &err);
    ts_assert_ok(&err, "eng_pool_create");
    assert_non_null(p);
    return p;
}

static eng_pool_status status_of(eng_pool *p)
{
    eng_pool_status s;
    eng_pool_get_status(p, &s);
    return s;
}

#define assert_status(p, in, out, over)                                                            \
    do {                                                                                           \
        eng_pool_status s_ = status_of(p);                                                         \
        assert_int_equal(s_.checked_in, (in));                                                     \
        assert_int_equal(s_.checked_out, (out));                                                   \
        assert_int_equal(s_.overflow, (over));                                                     \
    } while (0)

/* pg_terminate_backend(pid, timeout) waits until the backend is gone. */
static void terminate_backend(int pid)
{
    eng_conn *c = et_checkout(F.admin, F.a);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d, 5000)", pid);
    assert_string_equal(et_scalar(c, F.a, sql), "t");
    eng_pool_checkin(F.admin, c);
}

static long backends_with_pid(int pid)
{
    eng_conn *c = et_checkout(F.admin, F.a);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %d", pid);
    long n = et_scalar_long(c, F.a, sql);
    eng_pool_checkin(F.admin, c);
    return n;
}

static void admin_tweak(eng_pool_options *o)
{
    o->pre_ping = true; /* survives the database restart test */
    o->application_name = "retort-test-admin";
}

static int group_setup(void **state)
{
    (void) state;
    if (!ts_cluster_start(&F.cluster))
        return -1;
    F.a = arena_create(NULL, "test_pool");
    F.admin = make_pool(1, 0, 5, admin_tweak);
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    eng_pool_destroy(F.admin);
    ts_cluster_destroy(&F.cluster);
    arena_destroy(F.a);
    return 0;
}

/* ------------------------------------------------------------------------ */

static void test_overflow_opened_and_closed(void **state)
{
    (void) state;
    eng_pool *p = make_pool(2, 2, 0.3, NULL);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.size, 2);
    assert_int_equal(s.max_overflow, 2);
    assert_status(p, 0, 0, 0); /* nothing opened before the first checkout */
    assert_int_equal(s.connects, 0);

    eng_conn *c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = et_checkout(p, F.a);
        assert_status(p, 0, i + 1, i + 1 > 2 ? i + 1 - 2 : 0);
    }
    s = status_of(p);
    assert_int_equal(s.connects, 4);
    assert_int_equal(s.checkouts, 4);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_int_not_equal(eng_conn_backend_pid(c[i]), eng_conn_backend_pid(c[j]));
    int kept_pid = eng_conn_backend_pid(c[3]);
    int closed_pid = eng_conn_backend_pid(c[0]);

    /* QueuePool: a returned connection is kept while fewer than pool_size
     * are idle; returned to a full pool it is overflow and is closed. */
    eng_pool_checkin(p, c[3]);
    assert_status(p, 1, 3, 2);
    eng_pool_checkin(p, c[2]);
    assert_status(p, 2, 2, 2);
    eng_pool_checkin(p, c[1]); /* pool full: closed, overflow drops */
    assert_status(p, 2, 1, 1);
    eng_pool_checkin(p, c[0]);
    assert_status(p, 2, 0, 0);
    assert_int_equal(status_of(p).invalidated, 0);

    double t0 = ts_now();
    while (backends_with_pid(closed_pid) != 0 && ts_now() - t0 < 5)
        ts_sleep_ms(10);
    assert_int_equal(backends_with_pid(closed_pid), 0);
    assert_int_equal(backends_with_pid(kept_pid), 1);

    /* Idle connections are reused, not reopened. */
    eng_conn *a = et_checkout(p, F.a);
    eng_conn *b = et_checkout(p, F.a);
    s = status_of(p);
    assert_int_equal(s.connects, 4);
    assert_int_equal(s.checkouts, 6);
    assert_int_equal(s.invalidated, 0);
    eng_pool_checkin(p, a);
    eng_pool_checkin(p, b);
    eng_pool_destroy(p);
}

static void short_overflow_idle(eng_pool_options *o)
{
    o->overflow_idle_s = 0.3;
}

/* retort's default: overflow stays open while it is in use now and then,
 * and is closed once it has been idle for overflow_idle_s. */
static void test_overflow_kept_until_idle(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 2, 1, short_overflow_idle);
    eng_conn *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = et_checkout(p, F.a);
    for (int i = 0; i < 3; i++)
        eng_pool_checkin(p, c[i]);
    assert_status(p, 3, 0, 2); /* returned to a full pool, but kept */
    assert_int_equal(status_of(p).connects, 3);
    ts_sleep_ms(500);
    /* The next checkin finds the longest-idle one past the limit. */
    eng_conn *a = et_checkout(p, F.a);
    eng_pool_checkin(p, a);
    assert_status(p, 2, 0, 1);
    assert_int_equal(status_of(p).connects, 3);
    eng_pool_destroy(p);
}

/* A server that accepts the TCP connection and never answers the startup
 * message (a listener nobody accepts from: the kernel completes the
 * handshake for its backlog). The non-blocking connect is bounded by
 * connect_timeout as a whole, so the checkout fails instead of waiting. */
static void test_connect_to_silent_server_is_bounded(void **state)
{
    (void) state;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(l, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal(listen(l, 16), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(l, (struct sockaddr *) &sa, &len), 0);
    const char *url = arena_sprintf(F.a, "postgresql://postgres@127.0.0.1:%d/postgres",
                                    ntohs(sa.sin_port));

    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = url;
    o.pool_size = 1;
    o.max_overflow = 0;
    o.connect_timeout = 1;
    err_report err;
    err_init(&err, F.a);
    eng_pool *p = eng_pool_create(&o, &err);
    assert_non_null(p);
    double t0 = ts_now();
    assert_null(eng_pool_checkout(p, &err));
    double took = ts_now() - t0;
    assert_string_equal(err.sqlstate, "08001");
    print_message("connect to a silent server gave up after %.2f s (connect_timeout 1 s)\n",
                  took);
    assert_true(took < 10); /* PQconnectPoll has no deadline of its own */
    eng_pool_destroy(p);
    close(l);
}

static void test_checkout_timeout(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 1, 0.3, NULL);
    eng_conn *a = et_checkout(p, F.a);
    eng_conn *b = et_checkout(p, F.a);

    err_report err;
    err_init(&err, F.a);
    double t0 = ts_now();
    eng_conn *c = eng_pool_checkout(p, &err);
    double waited = ts_now() - t0;
    assert_null(c);
    assert_int_equal(err.kind, ERR_POOL_TIMEOUT);
    assert_int_equal(err.status, 503);
    assert_true(err.retry_after > 0);
    assert_true(waited >= 0.3);
    assert_true(waited < 1.3);

    eng_pool_status s = status_of(p);
    assert_int_equal(s.timeouts, 1);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.checked_out, 2);
    assert_int_equal(s.overflow, 1);

    eng_pool_checkin(p, a);
    eng_pool_checkin(p, b);
    assert_status(p, 1, 0, 0);
    eng_pool_destroy(p);
}

/* A waiter served before its deadline gets the returned connection. */
typedef struct delayed_checkin {
    eng_pool *p;
    eng_conn *c;
    int delay_ms;
} delayed_checkin;

static void *checkin_later(void *arg)
{
    delayed_checkin *d = arg;
    ts_sleep_ms(d->delay_ms);
    eng_pool_checkin(d->p, d->c);
    return NULL;
}

static void test_waiter_served_by_checkin(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 5, NULL);
    eng_conn *a = et_checkout(p, F.a);
    int pid = eng_conn_backend_pid(a);

    delayed_checkin d = {p, a, 150};
    pthread_t t;
    pthread_create(&t, NULL, checkin_later, &d);
    double t0 = ts_now();
    eng_conn *b = et_checkout(p, F.a);
    double waited = ts_now() - t0;
    pthread_join(t, NULL);
    assert_int_equal(eng_conn_backend_pid(b), pid); /* handed over, not reopened */
    assert_true(waited >= 0.1 && waited < 3);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.timeouts, 0);
    assert_int_equal(s.connects, 1);
    eng_pool_checkin(p, b);
    eng_pool_destroy(p);
}

/* ---- FIFO ----------------------------------------------------------------- */

enum { FIFO_THREADS = 5 };

typedef struct fifo_state {
    eng_pool *p;
    pthread_mutex_t mu;
    int order[FIFO_THREADS + 1];
    int served;
} fifo_state;

typedef struct fifo_arg {
    fifo_state *st;
    int index;
} fifo_arg;

static void record(fifo_state *st, int index)
{
    pthread_mutex_lock(&st->mu);
    st->order[st->served++] = index;
    pthread_mutex_unlock(&st->mu);
}

static void *fifo_worker(void *arg)
{
    fifo_arg *fa = arg;
    err_report err;
    err_init(&err, NULL);
    eng_conn *c = eng_pool_checkout(fa->st->p, &err);
    if (!c) {
        record(fa->st, -1);
        return NULL;
    }
    record(fa->st, fa->index);
    ts_sleep_ms(10);
    eng_pool_checkin(fa->st->p, c);
    return NULL;
}

static void wait_for_waiters(eng_pool *p, int n)
{
    double t0 = ts_now();
    while (status_of(p).waiting != n && ts_now() - t0 < 5)
        ts_sleep_ms(1);
    assert_int_equal(status_of(p).waiting, n);
}

static void test_fifo_order(void **state)
{
    (void) state;
    fifo_state st;
    memset(&st, 0, sizeof st);
    pthread_mutex_init(&st.mu, NULL);
    st.p = make_pool(1, 0, 10, NULL);
    eng_conn *held = et_checkout(st.p, F.a);

    /* Queue the threads in a known order: start one, wait until it is
     * waiting, start the next. */
    pthread_t t[FIFO_THREADS];
    fifo_arg args[FIFO_THREADS];
    for (int i = 0; i < FIFO_THREADS; i++) {
        args[i] = (fifo_arg){&st, i};
        pthread_create(&t[i], NULL, fifo_worker, &args[i]);
        wait_for_waiters(st.p, i + 1);
    }

    /* Release; then queue ourselves again: a late arrival must not barge
     * ahead of the waiters, so we are served last. */
    eng_pool_checkin(st.p, held);
    eng_conn *again = et_checkout(st.p, F.a);
    record(&st, FIFO_THREADS);
    for (int i = 0; i < FIFO_THREADS; i++)
        pthread_join(t[i], NULL);

    assert_int_equal(st.served, FIFO_THREADS + 1);
    for (int i = 0; i <= FIFO_THREADS; i++)
        assert_int_equal(st.order[i], i);
    eng_pool_status s = status_of(st.p);
    assert_int_equal(s.timeouts, 0);
    assert_int_equal(s.connects, 1);
    assert_int_equal(s.checkouts, FIFO_THREADS + 2);
    assert_int_equal(s.waiting, 0);
    eng_pool_checkin(st.p, again);
    eng_pool_destroy(st.p);
    pthread_mutex_destroy(&st.mu);
}

/* ---- recycle, pre-ping, invalidation ---------------------------------------- */

static void recycle_tweak(eng_pool_options *o)
{
    o->pool_recycle = 0.2;
}

static void test_recycle(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, recycle_tweak);
    eng_conn *c = et_checkout(p, F.a);
    int pid1 = eng_conn_backend_pid(c);
    eng_pool_checkin(p, c);

    c = et_checkout(p, F.a); /* young enough: the same connection */
    assert_int_equal(eng_conn_backend_pid(c), pid1);
    eng_pool_checkin(p, c);

    ts_sleep_ms(300);
    c = et_checkout(p, F.a);
    int pid2 = eng_conn_backend_pid(c);
    assert_int_not_equal(pid2, pid1);
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    assert_int_equal(et_scalar_long(c, F.a, "SELECT pg_backend_pid()"), pid2);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.recycled, 1);
    assert_int_equal(s.connects, 2);
    assert_int_equal(s.invalidated, 0);
    assert_int_equal(s.checked_out, 1);
    eng_pool_checkin(p, c);

    double t0 = ts_now();
    while (backends_with_pid(pid1) != 0 && ts_now() - t0 < 5)
        ts_sleep_ms(10);
    assert_int_equal(backends_with_pid(pid1), 0); /* the old one was closed */
    eng_pool_destroy(p);
}

static void pre_ping_tweak(eng_pool_options *o)
{
    o->pre_ping = true;
}

static void timeout_tweak(eng_pool_options *o)
{
    o->statement_timeout_ms = 150;
    o->answer_timeout_ms = 5000;
}

/* statement_timeout is set once on each new connection (no SET per
 * request); the server enforces it (504). */
static void test_statement_timeout_per_connection(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, timeout_tweak);
    assert_int_equal(eng_pool_statement_timeout_ms(p), 150);
    eng_conn *c = et_checkout(p, F.a);
    assert_string_equal(et_scalar(c, F.a, "SHOW statement_timeout"), "150ms");
    err_report err;
    err_init(&err, F.a);
    assert_null(eng_exec(c, F.a, "SELECT pg_sleep(2)", 0, NULL, &err));
    assert_int_equal(err.kind, ERR_TIMEOUT);
    assert_string_equal(err.sqlstate, "57014");
    assert_false(eng_conn_is_broken(c));
    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

/* A pre-pinging pool of one whose idle connection's backend was
 * terminated; *pid gets that backend's pid. */
static eng_pool *pool_with_dead_idle(int *pid)
{
    eng_pool *p = make_pool(1, 0, 1, pre_ping_tweak);
    eng_conn *c = et_checkout(p, F.a);
    *pid = eng_conn_backend_pid(c);
    eng_pool_checkin(p, c);
    terminate_backend(*pid);
    return p;
}

static void test_pre_ping_replaces_killed_connection(void **state)
{
    (void) state;
    int pid1;
    eng_pool *p = pool_with_dead_idle(&pid1);
    eng_conn *c;

    c = et_checkout(p, F.a); /* transparently replaced */
    int pid2 = eng_conn_backend_pid(c);
    assert_int_not_equal(pid2, pid1);
    assert_false(eng_conn_is_broken(c));
    assert_int_equal(et_scalar_long(c, F.a, "SELECT pg_backend_pid()"), pid2);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.invalidated, 1);
    assert_int_equal(s.pings_failed, 1);
    assert_int_equal(s.connects, 2);
    assert_int_equal(s.checked_out, 1);
    eng_pool_checkin(p, c);
    assert_status(p, 1, 0, 0);
    eng_pool_destroy(p);
}

/* ---- optimistic pre-ping (eng_pool_checkout_unpinged) ------------------------ */

static eng_result *first_statement(eng_conn *c, const char *sql, bool *began, err_report *err)
{
    return eng_begin_exec(c, F.a, NULL, 1000, true, sql, 0, NULL, began, err);
}

static void test_unpinged_checkout_marks_unverified(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, pre_ping_tweak);
    eng_conn *c = eng_pool_checkout_unpinged(p, &(err_report){0});
    assert_non_null(c);
    assert_false(eng_conn_is_unverified(c)); /* fresh: just connected */
    int pid1 = eng_conn_backend_pid(c);
    eng_pool_checkin(p, c);

    c = eng_pool_checkout_unpinged(p, &(err_report){0});
    assert_int_equal(eng_conn_backend_pid(c), pid1);
    assert_true(eng_conn_is_unverified(c)); /* from the pool, not pinged */
    err_report err;
    err_init(&err, F.a);
    bool began = false;
    eng_result *r = first_statement(c, "SELECT pg_backend_pid()", &began, &err);
    ts_assert_ok(&err, "first statement");
    assert_true(began);
    assert_int_equal(strtol(eng_result_value(r, 0, 0), NULL, 10), pid1);
    assert_false(eng_conn_is_unverified(c)); /* answered */
    assert_true(eng_commit(c, &err));
    eng_pool_checkin(p, c);

    /* Any answered round trip verifies it, an SQL error included. */
    c = eng_pool_checkout_unpinged(p, &err);
    assert_true(eng_conn_is_unverified(c));
    assert_false(eng_exec_command(c, "SELEC 1", &err));
    assert_false(eng_conn_is_unverified(c));
    eng_pool_checkin(p, c);

    /* eng_pool_checkout pings: never unverified. */
    c = et_checkout(p, F.a);
    assert_false(eng_conn_is_unverified(c));
    eng_pool_checkin(p, c);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.checkouts, 4);
    assert_int_equal(s.connects, 1);
    assert_int_equal(s.invalidated, 0);
    assert_int_equal(s.pings_failed, 0);
    eng_pool_destroy(p);

    /* Without pool_pre_ping there is no ping to fold: never unverified. */
    p = make_pool(1, 0, 1, NULL);
    eng_pool_checkin(p, et_checkout(p, F.a));
    c = eng_pool_checkout_unpinged(p, &err);
    assert_false(eng_conn_is_unverified(c));
    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

static void test_unpinged_checkout_sees_terminated_backend(void **state)
{
    (void) state;
    /* A backend that was terminated while idle said goodbye on the socket:
     * the unpinged checkout sees it without a round trip and replaces the
     * connection, counted as a failed ping. */
    int pid1;
    eng_pool *p = pool_with_dead_idle(&pid1);
    err_report err;
    err_init(&err, F.a);
    eng_conn *c = eng_pool_checkout_unpinged(p, &err);
    ts_assert_ok(&err, "unpinged checkout");
    assert_int_not_equal(eng_conn_backend_pid(c), pid1);
    assert_false(eng_conn_is_unverified(c)); /* fresh */
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    eng_pool_checkin(p, c);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.invalidated, 1);
    assert_int_equal(s.pings_failed, 1);
    assert_int_equal(s.connects, 2);
    eng_pool_destroy(p);
}

static void test_unpinged_dead_connection_is_the_failed_ping(void **state)
{
    (void) state;
    for (int pipelined = 0; pipelined < 2; pipelined++) {
        eng_pool *p = make_pool(1, 0, 1, pre_ping_tweak);
        eng_conn *c = et_checkout(p, F.a);
        int pid1 = eng_conn_backend_pid(c);
        eng_pool_checkin(p, c);

        err_report err;
        err_init(&err, F.a);
        c = eng_pool_checkout_unpinged(p, &err);
        ts_assert_ok(&err, "unpinged checkout");
        assert_int_equal(eng_conn_backend_pid(c), pid1);
        assert_true(eng_conn_is_unverified(c));
        /* Dies after the pool looked at its socket: only the first round
         * trip can notice. */
        terminate_backend(pid1);
        bool began = true;
        if (pipelined)
            assert_null(first_statement(c, "SELECT 1", &began, &err));
        else
            assert_false(eng_begin(c, NULL, 1000, &err));
        /* The first round trip failed at the connection level, before
         * BEGIN was answered: the caller may replace the connection. */
        assert_int_equal(err.kind, ERR_UNAVAILABLE);
        assert_true(eng_conn_is_broken(c));
        assert_true(eng_conn_is_unverified(c));
        if (pipelined)
            assert_false(began);
        eng_pool_checkin(p, c);
        eng_pool_status s = status_of(p);
        assert_int_equal(s.invalidated, 1);
        assert_int_equal(s.pings_failed, 1);
        assert_int_equal(s.checked_out, 0);
        assert_int_equal(s.checked_in, 0);

        c = et_checkout(p, F.a);
        assert_int_not_equal(eng_conn_backend_pid(c), pid1);
        assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
        eng_pool_checkin(p, c);
        eng_pool_destroy(p);
    }
}

static void test_unpinged_failure_after_begin_is_not_a_ping(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, pre_ping_tweak);
    eng_pool_checkin(p, et_checkout(p, F.a));
    err_report err;
    err_init(&err, F.a);
    eng_conn *c = eng_pool_checkout_unpinged(p, &err);
    assert_true(eng_conn_is_unverified(c));
    /* BEGIN is answered, then the statement takes the session down: that
     * is the statement's failure, not a dead pooled connection. */
    bool began = false;
    assert_null(first_statement(c, "SELECT pg_terminate_backend(pg_backend_pid())", &began, &err));
    assert_true(began);
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_true(eng_conn_is_broken(c));
    assert_false(eng_conn_is_unverified(c));
    eng_pool_checkin(p, c);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.invalidated, 1);
    assert_int_equal(s.pings_failed, 0);
    eng_pool_destroy(p);
}

static void test_exec_failure_invalidates(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, NULL); /* no pre-ping */
    eng_conn *c = et_checkout(p, F.a);
    int pid1 = eng_conn_backend_pid(c);
    eng_pool_checkin(p, c);

    terminate_backend(pid1);

    c = et_checkout(p, F.a); /* nobody noticed: the dead one comes back */
    assert_int_equal(eng_conn_backend_pid(c), pid1);
    err_report err;
    err_init(&err, F.a);
    assert_null(eng_exec(c, F.a, "SELECT 1", 0, NULL, &err));
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_int_equal(err.status, 503);
    assert_true(strncmp(err.sqlstate, "08", 2) == 0 || strcmp(err.sqlstate, "57P01") == 0);
    assert_true(eng_conn_is_broken(c));

    /* Further use fails at once, without I/O. */
    err_report again;
    err_init(&again, F.a);
    assert_null(eng_exec(c, F.a, "SELECT 1", 0, NULL, &again));
    assert_int_equal(again.kind, ERR_UNAVAILABLE);
    assert_string_equal(again.sqlstate, "08003");

    assert_status(p, 0, 1, 0);
    eng_pool_checkin(p, c); /* closed, not pooled */
    eng_pool_status s = status_of(p);
    assert_int_equal(s.checked_in, 0);
    assert_int_equal(s.checked_out, 0);
    assert_int_equal(s.invalidated, 1);

    c = et_checkout(p, F.a);
    assert_int_not_equal(eng_conn_backend_pid(c), pid1);
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

static void test_invalidate_on_demand(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 1, NULL);
    eng_conn *c = et_checkout(p, F.a);
    int pid1 = eng_conn_backend_pid(c);
    eng_conn_invalidate(c);
    assert_false(eng_conn_is_broken(c)); /* alive until checked in */
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    eng_pool_checkin(p, c);
    eng_pool_status s = status_of(p);
    assert_int_equal(s.invalidated, 1);
    assert_int_equal(s.checked_in, 0);

    c = et_checkout(p, F.a);
    assert_int_not_equal(eng_conn_backend_pid(c), pid1);
    eng_pool_checkin(p, c);
    eng_pool_checkin(p, NULL); /* accepted */
    eng_pool_destroy(p);
}

/* ---- reset on checkin ----------------------------------------------------- */

static void test_checkin_rolls_back(void **state)
{
    (void) state;
    eng_conn *adm = et_checkout(F.admin, F.a);
    et_command(adm, F.a, "DROP TABLE IF EXISTS pool_rb; CREATE TABLE pool_rb (id int)");
    eng_pool_checkin(F.admin, adm);

    eng_pool *p = make_pool(1, 0, 1, NULL);
    eng_conn *c = et_checkout(p, F.a);
    int pid = eng_conn_backend_pid(c);
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_begin(c, NULL, 0, &err));
    et_command(c, F.a, "INSERT INTO pool_rb VALUES (1)");
    assert_true(eng_conn_in_transaction(c));
    eng_pool_checkin(p, c); /* no commit */

    c = et_checkout(p, F.a);
    assert_int_equal(eng_conn_backend_pid(c), pid); /* kept, not closed */
    assert_false(eng_conn_in_transaction(c));
    assert_int_equal(et_scalar_long(c, F.a, "SELECT count(*) FROM pool_rb"), 0);

    /* A failed transaction is rolled back too. */
    assert_true(eng_begin(c, NULL, 0, &err));
    assert_null(eng_exec(c, F.a, "SELECT 1/0", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "22012");
    assert_true(eng_conn_in_transaction(c));
    eng_pool_checkin(p, c);

    c = et_checkout(p, F.a);
    assert_int_equal(eng_conn_backend_pid(c), pid);
    assert_false(eng_conn_in_transaction(c));
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    eng_pool_status s = status_of(p);
    assert_int_equal(s.invalidated, 0);
    assert_int_equal(s.connects, 1);
    eng_pool_checkin(p, c);
    eng_pool_destroy(p);
}

/* ---- many threads ------------------------------------------------------------ */

enum { STRESS_THREADS = 8, STRESS_ITERATIONS = 1000 };

typedef struct stress_state {
    eng_pool *p;
    double deadline;
    atomic_int done, failures;
} stress_state;

static void *stress_worker(void *arg)
{
    stress_state *st = arg;
    for (int i = 0; i < STRESS_ITERATIONS && ts_now() < st->deadline; i++) {
        arena *a = arena_create(NULL, "stress iteration");
        err_report err;
        err_init(&err, a);
        eng_conn *c = eng_pool_checkout(st->p, &err);
        bool ok = c != NULL;
        if (c) {
            char n[16];
            snprintf(n, sizeof n, "%d", i);
            const char *params[1] = {n};
            eng_result *r = i % 2 ? eng_exec_prepared(c, a, "SELECT $1::int + 1", 1, params, &err)
                                  : eng_exec(c, a, "SELECT $1::int + 1", 1, params, &err);
            ok = r && strtol(eng_result_value(r, 0, 0), NULL, 10) == i + 1;
            eng_pool_checkin(st->p, c);
        }
        arena_destroy(a); /* after checkin: results die with their arena */
        if (ok)
            atomic_fetch_add(&st->done, 1);
        else
            atomic_fetch_add(&st->failures, 1);
    }
    return NULL;
}

static void test_many_threads_no_leak(void **state)
{
    (void) state;
    stress_state st;
    memset(&st, 0, sizeof st);
    st.p = make_pool(4, 4, 10, NULL);
    st.deadline = ts_now() + 20;
    pthread_t t[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++)
        pthread_create(&t[i], NULL, stress_worker, &st);
    for (int i = 0; i < STRESS_THREADS; i++)
        pthread_join(t[i], NULL);

    int done = atomic_load(&st.done);
    assert_int_equal(atomic_load(&st.failures), 0);
    assert_true(done >= 500); /* the time bound never cuts it that short */
    eng_pool_status s = status_of(st.p);
    assert_int_equal(s.checked_out, 0);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.overflow, 0);
    assert_true(s.checked_in >= 1 && s.checked_in <= 4);
    assert_int_equal(s.checkouts, (uint64_t) done);
    /* Connections are reused: overflow is closed only when returned to a
     * pool that already has pool_size idle, which steady load rarely
     * allows. */
    assert_true(s.connects >= (uint64_t) s.checked_in);
    assert_true(s.connects <= 8 + (uint64_t) done / 20);
    assert_int_equal(s.timeouts, 0);
    assert_int_equal(s.invalidated, 0);
    print_message("stress: %d checkouts, %llu connects\n", done, (unsigned long long) s.connects);

    /* The server agrees: only the idle ones are still connected. */
    eng_conn *adm = et_checkout(F.admin, F.a);
    double t0 = ts_now();
    long n;
    while ((n = et_scalar_long(adm, F.a,
                               "SELECT count(*) FROM pg_stat_activity "
                               "WHERE application_name = 'retort-test-pool'")) != s.checked_in &&
           ts_now() - t0 < 5)
        ts_sleep_ms(10);
    assert_int_equal(n, s.checked_in);
    eng_pool_checkin(F.admin, adm);
    eng_pool_destroy(st.p);
}

/* ---- destroy ----------------------------------------------------------------- */

typedef struct doomed_waiter {
    eng_pool *p;
    err_kind kind;
    double waited;
} doomed_waiter;

static void *wait_on_doomed_pool(void *arg)
{
    doomed_waiter *d = arg;
    err_report err;
    err_init(&err, NULL);
    double t0 = ts_now();
    eng_conn *c = eng_pool_checkout(d->p, &err);
    d->waited = ts_now() - t0;
    d->kind = c ? ERR_NONE : err.kind;
    return NULL; /* never touches the pool again: it may be freed by now */
}

/* Destroying a pool with a connection out and a waiter queued: the waiter
 * fails at once, and the pool is freed when the last connection returns
 * (the sanitizers check both: no leak, no use after free). */
static void test_destroy_with_connection_out(void **state)
{
    (void) state;
    eng_pool *p = make_pool(1, 0, 10, NULL);
    eng_conn *c = et_checkout(p, F.a);
    doomed_waiter d = {p, ERR_NONE, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_on_doomed_pool, &d);
    wait_for_waiters(p, 1);

    eng_pool_destroy(p);
    pthread_join(t, NULL);
    assert_int_equal(d.kind, ERR_UNAVAILABLE);
    assert_true(d.waited < 5);

    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1"); /* still usable */
    eng_pool_checkin(p, c);                                  /* closes it and frees the pool */
}

/* ---- database down and back ------------------------------------------------------ */

static void test_database_down_and_back(void **state)
{
    (void) state;
    eng_pool *p = make_pool(2, 0, 1, pre_ping_tweak);
    eng_conn *c = et_checkout(p, F.a);
    eng_pool_checkin(p, c);
    err_report err;
    err_init(&err, F.a);
    assert_true(eng_pool_ping(p, &err));

    assert_true(ts_cluster_stop(&F.cluster));

    /* The idle connection fails its pre-ping; reconnecting is refused. */
    double t0 = ts_now();
    assert_null(eng_pool_checkout(p, &err));
    double took = ts_now() - t0;
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_int_equal(err.status, 503);
    assert_true(err.retry_after > 0);
    assert_memory_equal(err.sqlstate, "08", 2);
    assert_true(took < 3);

    /* No idle connection left: a fresh connect fails just as fast. */
    err_init(&err, F.a);
    t0 = ts_now();
    assert_null(eng_pool_checkout(p, &err));
    assert_int_equal(err.kind, ERR_UNAVAILABLE);
    assert_true(ts_now() - t0 < 3);

    err_init(&err, F.a);
    assert_false(eng_pool_ping(p, &err));
    assert_int_equal(err.kind, ERR_UNAVAILABLE);

    eng_pool_status s = status_of(p);
    assert_int_equal(s.checked_out, 0);
    assert_int_equal(s.checked_in, 0);
    assert_int_equal(s.waiting, 0);
    assert_true(s.invalidated >= 1);
    assert_true(s.pings_failed >= 1);

    assert_true(ts_cluster_restart(&F.cluster));

    err_init(&err, F.a);
    assert_true(eng_pool_ping(p, &err));
    c = et_checkout(p, F.a);
    assert_string_equal(et_scalar(c, F.a, "SELECT 1"), "1");
    eng_pool_checkin(p, c);
    assert_status(p, 1, 0, 0);
    eng_pool_destroy(p);
}

/* ---- options ------------------------------------------------------------------ */

static void test_bad_options(void **state)
{
    (void) state;
    eng_pool_options o;
    eng_pool_options_init(&o);
    err_report err;

    o.conninfo = "postgresql://postgres@127.0.0.1:1/x?nosuchoption=1";
    err_init(&err, F.a);
    assert_null(eng_pool_create(&o, &err));
    assert_int_equal(err.kind, ERR_CONFIG);

    eng_pool_options_init(&o);
    o.conninfo = F.cluster.url;
    o.pool_size = 0;
    o.max_overflow = 0;
    err_init(&err, F.a);
    assert_null(eng_pool_create(&o, &err));
    assert_int_equal(err.kind, ERR_CONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overflow_opened_and_closed),
        cmocka_unit_test(test_overflow_kept_until_idle),
        cmocka_unit_test(test_connect_to_silent_server_is_bounded),
        cmocka_unit_test(test_checkout_timeout),
        cmocka_unit_test(test_waiter_served_by_checkin),
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_recycle),
        cmocka_unit_test(test_pre_ping_replaces_killed_connection),
        cmocka_unit_test(test_unpinged_checkout_marks_unverified),
        cmocka_unit_test(test_unpinged_checkout_sees_terminated_backend),
        cmocka_unit_test(test_statement_timeout_per_connection),
        cmocka_unit_test(test_unpinged_dead_connection_is_the_failed_ping),
        cmocka_unit_test(test_unpinged_failure_after_begin_is_not_a_ping),
        cmocka_unit_test(test_exec_failure_invalidates),
        cmocka_unit_test(test_invalidate_on_demand),
        cmocka_unit_test(test_checkin_rolls_back),
        cmocka_unit_test(test_many_threads_no_leak),
        cmocka_unit_test(test_destroy_with_connection_out),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_database_down_and_back),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
