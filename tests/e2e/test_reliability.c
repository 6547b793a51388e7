/*
 * Reliability of the real binary under a hostile or unlucky environment
 * (issue 15), against a private cluster this program freezes and locks:
 *
 *   - request framing a proxy could read differently: 400 problem+json at
 *     once (conflicting Content-Length, unknown Transfer-Encoding, no Host,
 *     CR inside a value);
 *   - a burst against a pool of two with pool_timeout 1 s while the
 *     database holds a lock: every 503 within 1.5 s of the request's
 *     arrival, with Retry-After;
 *   - the database frozen (SIGSTOP) mid-request: an answer within
 *     statement_timeout + margin, and SIGTERM exits within the grace;
 *   - SIGTERM under keep-alive load: every request that was sent gets its
 *     response, responses during the drain say Connection: close, exit 0;
 *   - 2,000 slow connections from one address (127.0.0.2) while a client
 *     from another is served quickly;
 *   - a client that trickles its headers, or its body, a byte at a time is
 *     cut at the total deadline (server.header_timeout_s, body_timeout_s),
 *     although each byte restarts libmicrohttpd's idle timeout; a partial
 *     body followed by the client's FIN is released at once;
 *   - a 6 KiB bearer token fits the default connection memory (8 KiB; more
 *     with server.connection_memory_kib), 64 KiB is a 431;
 *   - with the connection table full of slow connections, /health and the
 *     admin listener still answer;
 *   - with a row locked and writes to it waiting (issue 10), on one loop
 *     thread, requests that do not touch that row are answered while the
 *     lock is still held: a waiting request holds no thread.
 *
 * Bounds are generous where the machine's load decides (CI is shared);
 * the ones the issue fixes (1.5 s for a 503) are kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

static struct {
    ts_cluster pg;
    arena *a;
    char env_url[600];
    char user_path[128]; /* GET /api/users/<an existing id> */
    const char *user_id, *other_id; /* two existing users */
} F;

static bool start_server(ts_server *srv, const char *const *extra)
{
    const char *env[16];
    size_t n = 0;
    env[n++] = F.env_url;
    env[n++] = "RETORT_SERVER_ACCESS_LOG=false";
    for (size_t i = 0; extra && extra[i] && n < 15; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    return ts_server_start(srv, ts_source_path(F.a, "config/retort.json"), env);
}

/* Waits up to limit_s for the server to exit; its exit status, or -1. */
static int wait_exit(ts_server *srv, double limit_s, double *took)
{
    double t0 = ts_now();
    int status = 0;
    while (ts_now() - t0 < limit_s) {
        if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
            srv->pid = 0;
            *took = ts_now() - t0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        ts_sleep_ms(10);
    }
    *took = ts_now() - t0;
    return -1;
}

static void freeze_database(bool frozen)
{
    int rc = ts_system("pm=$(head -1 %s/data/postmaster.pid) && kill -%s $pm $(pgrep -P $pm)",
                       F.pg.dir, frozen ? "STOP" : "CONT");
    assert_int_equal(rc, 0);
}

static int setup_group(void **state)
{
    (void) state;
    signal(SIGPIPE, SIG_IGN);
    /* 2,000 client sockets here and as many on the server side. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    F.a = arena_create(NULL, "e2e reliability");
    if (!ts_cluster_start(&F.pg))
        return -1;
    snprintf(F.env_url, sizeof F.env_url, "RETORT_DATABASE_URL=%s", F.pg.url);
    if (ts_system("RETORT_DATABASE_URL='%s' %s schema create -c %s >/dev/null", F.pg.url,
                  RETORT_BINARY_PATH, ts_source_path(F.a, "config/retort.json")) != 0)
        return -1;
    const char *id = NULL;
    if (ts_psql_capture(F.a, F.pg.url,
                        "INSERT INTO users (email, name) VALUES ('r@x.org', 'R') RETURNING id",
                        &id, NULL) != 0 ||
        !id)
        return -1;
    snprintf(F.user_path, sizeof F.user_path, "/api/users/%s", id);
    F.user_id = id;
    if (ts_psql_capture(F.a, F.pg.url,
                        "INSERT INTO users (email, name) VALUES ('r2@x.org', 'R2') RETURNING id",
                        &F.other_id, NULL) != 0 ||
        !F.other_id)
        return -1;
    return 0;
}

static int teardown_group(void **state)
{
    (void) state;
    ts_cluster_destroy(&F.pg);
    arena_destroy(F.a);
    return 0;
}

/* ---- framing ------------------------------------------------------------ */

static void expect_bad_request(ts_server *srv, const char *what, const char *raw)
{
    arena *a = arena_create(NULL, "framing");
    ts_response *r = ts_http_raw(a, srv->port, raw, strlen(raw), 5000);
    if (r->status != 400 || !ts_header_get(r, "Content-Type") ||
        strcmp(ts_header_get(r, "Content-Type"), "application/problem+json") != 0)
        fail_msg("%s: expected a 400 problem+json, got %d: %s", what, r->status,
                 r->body ? r->body : "");
    if (r->seconds > 3)
        fail_msg("%s: answered after %.1f s", what, r->seconds);
    arena_destroy(a);
}

static void test_framing(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    expect_bad_request(&srv, "two Content-Length",
                       "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x");
    expect_bad_request(&srv, "Transfer-Encoding: foo",
                       "POST /api/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n");
    expect_bad_request(&srv, "Transfer-Encoding: gzip, chunked",
                       "POST /api/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
                       "chunked\r\n\r\n0\r\n\r\n");
    expect_bad_request(&srv, "Content-Length and Transfer-Encoding",
                       "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    expect_bad_request(&srv, "HTTP/1.1 without Host", "GET /health HTTP/1.1\r\n\r\n");
    expect_bad_request(&srv, "CR in a value", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n");
    /* HTTP/1.0 without Host is fine. */
    arena *a = arena_create(NULL, "framing");
    const char *ok = "GET /health HTTP/1.0\r\n\r\n";
    assert_int_equal(ts_http_raw(a, srv.port, ok, strlen(ok), 5000)->status, 200);
    arena_destroy(a);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- URL values checked before the database sees them ------------------ */

static void expect_url_problem(ts_server *srv, const char *path, int status, const char *pointer)
{
    arena *a = arena_create(NULL, "url");
    ts_response *r = ts_http(a, srv->port, "GET", path, NULL, NULL, 0, 10000);
    json_error_t je;
    json_t *j = r->body ? json_loads(r->body, 0, &je) : NULL;
    if (r->status != status || !j)
        fail_msg("GET %s: expected %d, got %d: %s", path, status, r->status,
                 r->body ? r->body : "");
    /* Never PostgreSQL's own explanation (22021: invalid byte sequence). */
    if (json_object_get(j, "sqlstate"))
        fail_msg("GET %s: the database saw the value: %s", path, r->body);
    if (pointer) {
        const char *got = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "errors"), 0), "pointer"));
        if (!got || strcmp(got, pointer) != 0)
            fail_msg("GET %s: expected pointer %s: %s", path, pointer, r->body);
    }
    json_decref(j);
    arena_destroy(a);
}

static void test_invalid_utf8_in_every_url_position(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    expect_url_problem(&srv, "/api/users?name=%ff", 400, "/name");
    expect_url_problem(&srv, "/api/users?name=%c3%28", 400, "/name");    /* bad continuation */
    expect_url_problem(&srv, "/api/users?name=%ed%a0%80", 400, "/name"); /* a surrogate */
    expect_url_problem(&srv, "/api/users?name=%c0%af", 400, "/name");    /* overlong */
    expect_url_problem(&srv, "/api/users?%ff=1", 400, "/");
    expect_url_problem(&srv, "/api/users?limit=%00", 400, "/limit");
    expect_url_problem(&srv, "/api/users?where=%ff", 400, "/where");
    expect_url_problem(&srv, "/api/users?order_by=%ff", 400, "/order_by");
    expect_url_problem(&srv, "/api/users?include=%ff", 400, "/include");
    expect_url_problem(&srv, "/api/users?fields=%ff", 400, "/fields");
    /* A key that is not UTF-8 names nothing. */
    expect_url_problem(&srv, "/api/users/%ff", 404, NULL);
    expect_url_problem(&srv, "/api/orders/%ff%fe", 404, NULL);
    /* Well-formed multi-byte text still reaches the filter. */
    arena *a = arena_create(NULL, "url");
    assert_int_equal(
        ts_http(a, srv.port, "GET", "/api/users?name=%e2%82%ac%f0%9f%98%80", NULL, NULL, 0, 10000)
            ->status,
        200);
    arena_destroy(a);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- transaction documents: missing fields, unconditional $add ------------ */

static ts_response *post_tx(arena *a, int port, const char *doc)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    return ts_http(a, port, "POST", "/api/transaction", h, doc, strlen(doc), 20000);
}

static void expect_tx_problem(ts_server *srv, const char *doc, int status, const char *pointer)
{
    arena *a = arena_create(NULL, "tx");
    ts_response *r = post_tx(a, srv->port, doc);
    if (r->status != status || !strstr(r->body, pointer))
        fail_msg("%s: expected %d at %s, got %d: %s", doc, status, pointer, r->status, r->body);
    arena_destroy(a);
}

static void test_transaction_operations_with_missing_fields(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    expect_tx_problem(&srv,
                      "{\"operations\": [{\"op\": \"update\", \"resource\": \"users\", "
                      "\"values\": {\"name\": \"x\"}}]}",
                      422, "\"/operations/0/id\"");
    expect_tx_problem(&srv, "{\"operations\": [{\"op\": \"delete\", \"resource\": \"users\"}]}",
                      422, "\"/operations/0/id\"");
    expect_tx_problem(&srv, "{\"operations\": [{\"resource\": \"users\"}]}", 422,
                      "\"/operations/0/op\"");
    expect_tx_problem(&srv, "{\"operations\": [{\"op\": \"create\", \"values\": {}}]}", 422,
                      "\"/operations/0/resource\"");
    expect_tx_problem(&srv, "{\"operations\": [{\"op\": 7, \"resource\": \"users\"}]}", 422,
                      "\"/operations/0/op\"");
    expect_tx_problem(&srv,
                      "{\"operations\": [{\"op\": \"create\", \"resource\": \"users\", "
                      "\"values\": [1]}]}",
                      422, "\"/operations/0/values\"");
    expect_tx_problem(&srv,
                      "{\"operations\": [{\"op\": \"query\", \"resource\": \"users\", "
                      "\"query\": \"x\"}]}",
                      422, "\"/operations/0/query\"");
    expect_tx_problem(&srv,
                      "{\"operations\": [{\"op\": \"create\", \"resource\": \"users\", "
                      "\"ref\": 1, \"values\": {\"email\": \"q@x.org\"}}]}",
                      422, "\"/operations/0/ref\"");
    assert_int_equal(ts_server_stop(&srv), 0);
}

enum { BANK_ACCOUNTS = 5, BANK_THREADS = 4, BANK_TRANSFERS = 30 };

typedef struct bank_worker {
    int port;
    const char (*ids)[64];
    unsigned seed;
    int ok, stale, other;
    char other_body[200];
} bank_worker;

static void *bank_thread(void *arg)
{
    bank_worker *w = arg;
    for (int i = 0; i < BANK_TRANSFERS; i++) {
        arena *a = arena_create(NULL, "bank");
        int from = (int) (rand_r(&w->seed) % BANK_ACCOUNTS);
        int to = (from + 1 + (int) (rand_r(&w->seed) % (BANK_ACCOUNTS - 1))) % BANK_ACCOUNTS;
        int cents = 1 + (int) (rand_r(&w->seed) % 500);
        char doc[512];
        snprintf(doc, sizeof doc,
                 "{\"operations\": [{\"op\": \"update\", \"resource\": \"orders\", \"id\": "
                 "\"%s\", \"values\": {\"total\": {\"$add\": \"-%d.%02d\"}}}, {\"op\": \"update\", "
                 "\"resource\": \"orders\", \"id\": \"%s\", \"values\": {\"total\": {\"$add\": "
                 "\"%d.%02d\"}}}]}",
                 w->ids[from], cents / 100, cents % 100, w->ids[to], cents / 100, cents % 100);
        ts_response *r = post_tx(a, w->port, doc);
        if (r->status == 200)
            w->ok++;
        else if (r->status == 412)
            w->stale++;
        else if (r->status != 503 && r->status != 409) {
            w->other++;
            snprintf(w->other_body, sizeof w->other_body, "%d %s", r->status, r->body);
        }
        arena_destroy(a);
    }
    return NULL;
}

/* Concurrent $add transfers between versioned rows while retort's
 * backends are killed: the sum is preserved and no transfer fails on the
 * version (an $add asks for no version check). */
static void test_bank_transfers_with_backends_killed(void **state)
{
    (void) state;
    ts_server srv;
    const char *env[] = {"RETORT_DATABASE_POOL_SIZE=4", NULL};
    assert_true(start_server(&srv, env));
    const char *uid = NULL;
    ts_psql_capture(F.a, F.pg.url, "SELECT id FROM users LIMIT 1", &uid, NULL);
    assert_non_null(uid);
    char ids[BANK_ACCOUNTS][64];
    for (int i = 0; i < BANK_ACCOUNTS; i++) {
        const char *id = NULL;
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO orders (user_id, total, status) VALUES ('%s', 1000, 'paid') "
                 "RETURNING id",
                 uid);
        assert_int_equal(ts_psql_capture(F.a, F.pg.url, sql, &id, NULL), 0);
        snprintf(ids[i], sizeof ids[i], "%s", id);
    }
    bank_worker w[BANK_THREADS];
    pthread_t t[BANK_THREADS];
    for (int i = 0; i < BANK_THREADS; i++) {
        w[i] = (bank_worker){.port = srv.port, .ids = (const char(*)[64]) ids, .seed = 7u + (unsigned) i};
        pthread_create(&t[i], NULL, bank_thread, &w[i]);
    }
    /* Kill retort's backends every 0.3 s while the transfers run. */
    for (int k = 0; k < 10; k++) {
        ts_sleep_ms(300);
        ts_psql(F.pg.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "application_name = 'retort' AND pid <> pg_backend_pid()");
    }
    int ok = 0, stale = 0;
    for (int i = 0; i < BANK_THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
        stale += w[i].stale;
        if (w[i].other)
            fail_msg("unexpected answer: %s", w[i].other_body);
    }
    const char *sum = NULL;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT sum(total) FROM orders WHERE id IN ('%s', '%s', '%s', '%s', '%s')",
             ids[0], ids[1], ids[2], ids[3], ids[4]);
    ts_psql_capture(F.a, F.pg.url, sql, &sum, NULL);
    print_message("bank: %d transfers committed, %d stale\n", ok, stale);
    assert_string_equal(sum, "5000.00");
    assert_int_equal(stale, 0);
    assert_true(ok > 0);
    ts_server_stop(&srv);
}

/* ---- a burst against a small pool ---------------------------------------- */

/* Holds an exclusive lock on users for hold_s seconds from a psql in the
 * background; returns once the lock is granted. */
static void lock_users(double hold_s)
{
    assert_int_equal(ts_system("psql -X -q '%s' -c 'BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE "
                               "MODE; SELECT pg_sleep(%.1f); COMMIT' >/dev/null 2>&1 &",
                               F.pg.url, hold_s),
                     0);
    double t0 = ts_now();
    for (;;) {
        const char *out = NULL;
        ts_psql_capture(F.a, F.pg.url,
                        "SELECT count(*) FROM pg_locks WHERE relation = 'users'::regclass AND "
                        "mode = 'AccessExclusiveLock' AND granted",
                        &out, NULL);
        if (out && strcmp(out, "1") == 0)
            return;
        if (ts_now() - t0 > 10)
            fail_msg("the lock on users was never granted");
        ts_sleep_ms(20);
    }
}

static void test_pool_burst_answers_within_pool_timeout(void **state)
{
    (void) state;
    ts_server srv;
    const char *env[] = {"RETORT_DATABASE_POOL_SIZE=2", "RETORT_DATABASE_MAX_OVERFLOW=0",
                         "RETORT_DATABASE_POOL_TIMEOUT=1", "RETORT_SERVER_WORKERS=4",
                         "RETORT_DATABASE_STATEMENT_TIMEOUT_MS=6000", NULL};
    assert_true(start_server(&srv, env));
    assert_int_equal(ts_http(F.a, srv.port, "GET", F.user_path, NULL, NULL, 0, 10000)->status,
                     200);
    lock_users(4);
    enum { N = 16 };
    ts_get calls[N];
    for (int i = 0; i < N; i++) {
        calls[i] = (ts_get){.port = srv.port, .path = F.user_path};
        ts_get_start(&calls[i]);
    }
    int unavailable = 0;
    for (int i = 0; i < N; i++) {
        ts_get_join(&calls[i]);
        if (calls[i].status == 503) {
            unavailable++;
            assert_true(calls[i].retry_after);
            if (calls[i].seconds > 1.5)
                fail_msg("a 503 came %.2f s after the request (pool_timeout 1 s)",
                         calls[i].seconds);
        } else if (calls[i].status != 200) {
            fail_msg("status %d after %.2f s", calls[i].status, calls[i].seconds);
        }
    }
    /* Two requests hold the pool behind the lock: the other 14 cannot all
     * have been served within a second. */
    assert_true(unavailable >= 1);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- the database frozen --------------------------------------------------- */

static void test_frozen_database_answers_and_stops(void **state)
{
    (void) state;
    ts_server srv;
    /* A new connection to the frozen server waits connect_timeout (2 s,
     * libpq's least) before failing: inside the grace. */
    const char *env[] = {"RETORT_DATABASE_STATEMENT_TIMEOUT_MS=1000",
                         "RETORT_SERVER_SHUTDOWN_GRACE_MS=4000", "RETORT_DATABASE_POOL_SIZE=2",
                         "RETORT_DATABASE_CONNECT_TIMEOUT=2", NULL};
    assert_true(start_server(&srv, env));
    assert_int_equal(ts_http(F.a, srv.port, "GET", F.user_path, NULL, NULL, 0, 10000)->status,
                     200);
    freeze_database(true);
    /* statement_timeout cannot fire in a frozen server: retort's own
     * deadline (statement_timeout + 1 s) answers. */
    ts_response *r = ts_http(F.a, srv.port, "GET", F.user_path, NULL, NULL, 0, 20000);
    bool answered = r->status == 504 || r->status == 503;
    double took = r->seconds;

    /* SIGTERM with a request in flight on the frozen database: the drain
     * ends within the grace. */
    ts_get c = {.port = srv.port, .path = F.user_path};
    ts_get_start(&c);
    ts_sleep_ms(200);
    kill(srv.pid, SIGTERM);
    double exit_took = 0;
    int rc = wait_exit(&srv, 15, &exit_took);
    ts_get_join(&c);
    freeze_database(false);
    if (!answered)
        fail_msg("GET on a frozen database: status %d after %.2f s", r->status, took);
    if (took > 6)
        fail_msg("GET on a frozen database answered after %.2f s", took);
    if (rc != 0 || exit_took > 6)
        fail_msg("SIGTERM on a frozen database: exit %d after %.2f s (grace 4 s)", rc, exit_took);
    if (c.status != 504 && c.status != 503)
        fail_msg("the request in flight at SIGTERM: status %d after %.2f s", c.status, c.seconds);
    if (srv.pid > 0)
        ts_server_stop(&srv);
}

/* ---- SIGTERM under keep-alive load ------------------------------------------ */

typedef struct keepalive {
    int port;
    const char *path;
    atomic_bool *stop;
    int sent, answered, unanswered, closes_announced;
} keepalive;

/* Reads one response (headers + Content-Length body). Returns false when
 * the connection ended first; *close when it says Connection: close. */
static bool read_response(int fd, bool *close_after)
{
    char buf[65536];
    buf[0] = '\0';
    size_t len = 0;
    char *end = NULL;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
        if (len + 1 >= sizeof buf)
            return false;
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return false;
        len += (size_t) n;
        buf[len] = '\0';
    }
    *close_after = strcasestr(buf, "\r\nConnection: close") != NULL;
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
        fprintf(stderr, "keep-alive: unexpected response: %.200s\n", buf);
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
    size_t have = len - (size_t) (end + 4 - buf);
    while (have < body) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return false;
        have += (size_t) n;
    }
    return true;
}

static int connect_to(int port, const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (from) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, from, &src.sin_addr);
        if (bind(fd, (struct sockaddr *) &src, sizeof src) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *keepalive_thread(void *arg)
{
    keepalive *k = arg;
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", k->path);
    while (!atomic_load(k->stop)) {
        int fd = connect_to(k->port, NULL);
        if (fd < 0)
            break; /* not listening any more */
        for (int i = 0; i < 100000; i++) {
            if (send(fd, req, (size_t) n, MSG_NOSIGNAL) != n)
                break; /* the server closed first: this request never went */
            k->sent++;
            bool close_after = false;
            if (!read_response(fd, &close_after)) {
                k->unanswered++;
                break;
            }
            k->answered++;
            if (close_after) {
                k->closes_announced++;
                break;
            }
        }
        close(fd);
    }
    return NULL;
}

static void test_sigterm_under_keepalive_load(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    enum { N = 8 };
    atomic_bool stop = false;
    keepalive k[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        k[i] = (keepalive){srv.port, F.user_path, &stop, 0, 0, 0, 0};
        pthread_create(&t[i], NULL, keepalive_thread, &k[i]);
    }
    ts_sleep_ms(1500);
    kill(srv.pid, SIGTERM);
    double took = 0;
    int rc = wait_exit(&srv, 20, &took);
    atomic_store(&stop, true);
    int sent = 0, answered = 0, unanswered = 0, announced = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        sent += k[i].sent;
        answered += k[i].answered;
        unanswered += k[i].unanswered;
        announced += k[i].closes_announced;
    }
    print_message("keep-alive drain: %d sent, %d answered, %d closes announced, exit %d after "
                  "%.2f s\n",
                  sent, answered, announced, rc, took);
    assert_int_equal(rc, 0);
    assert_true(answered > N);
    assert_int_equal(unanswered, 0);
    assert_true(announced >= 1);
}

/* ---- slow clients ------------------------------------------------------------- */

static void test_slow_clients_from_one_address(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    enum { SLOW = 2000 };
    int *fds = calloc(SLOW, sizeof *fds);
    int opened = 0;
    const char *partial = "GET /health HTTP/1.1\r\nHo";
    for (int i = 0; i < SLOW; i++) {
        fds[i] = connect_to(srv.port, "127.0.0.2");
        if (fds[i] < 0)
            continue;
        opened++;
        send(fds[i], partial, strlen(partial), MSG_NOSIGNAL);
    }
    assert_true(opened > 0);
    double worst = 0;
    for (int i = 0; i < 10; i++) {
        ts_response *r = ts_http(F.a, srv.port, "GET", "/health", NULL, NULL, 0, 10000);
        assert_int_equal(r->status, 200);
        if (r->seconds > worst)
            worst = r->seconds;
    }
    print_message("2,000 slow connections from 127.0.0.2 (%d connected): /health from 127.0.0.1 "
                  "worst %.1f ms\n",
                  opened, worst * 1e3);
    /* The figure is 100 ms; a loaded CI machine gets some slack. */
    assert_true(worst < 0.5);
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* True once the server has ended the connection (EOF or reset). */
static bool closed_by_server(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) != 1)
        return false;
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Sends prefix, then one byte of filler every 200 ms; returns the seconds
 * until the server ended the connection, or -1 after limit_s. */
static double trickle(int port, const char *prefix, double limit_s)
{
    int fd = connect_to(port, NULL);
    assert_true(fd >= 0);
    double t0 = ts_now();
    assert_int_equal(send(fd, prefix, strlen(prefix), MSG_NOSIGNAL), (ssize_t) strlen(prefix));
    double took = -1;
    while (ts_now() - t0 < limit_s) {
        if (send(fd, "a", 1, MSG_NOSIGNAL) != 1 || closed_by_server(fd)) {
            took = ts_now() - t0;
            break;
        }
        ts_sleep_ms(200);
    }
    close(fd);
    return took;
}

/* ---- total deadlines ------------------------------------------------------ */

static void test_header_and_body_deadlines(void **state)
{
    (void) state;
    ts_server srv;
    const char *env[] = {"RETORT_SERVER_HEADER_TIMEOUT_S=1", "RETORT_SERVER_BODY_TIMEOUT_S=1",
                         NULL};
    assert_true(start_server(&srv, env));
    double h = trickle(srv.port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", 8);
    double b = trickle(srv.port,
                       "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 100000\r\n\r\n{\"name\": \"",
                       8);
    print_message("trickled headers cut after %.2f s, body after %.2f s (deadlines 1 s)\n", h, b);
    assert_true(h > 0 && h < 8);
    assert_true(b > 0 && b < 8);
    /* The server is fine afterwards. */
    assert_int_equal(ts_http(F.a, srv.port, "GET", "/health", NULL, NULL, 0, 10000)->status, 200);
    assert_int_equal(ts_server_stop(&srv), 0);
}

static void test_half_closed_body_released(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL)); /* body deadline 60 s, idle 30 s */
    int fd = connect_to(srv.port, NULL);
    assert_true(fd >= 0);
    const char *partial = "POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                          "\r\nContent-Length: 1000\r\n\r\n{\"name\"";
    assert_int_equal(send(fd, partial, strlen(partial), MSG_NOSIGNAL), (ssize_t) strlen(partial));
    double t0 = ts_now();
    shutdown(fd, SHUT_WR); /* the body can never complete now */
    double took = -1;
    while (ts_now() - t0 < 10) {
        if (closed_by_server(fd)) {
            took = ts_now() - t0;
            break;
        }
        ts_sleep_ms(50);
    }
    close(fd);
    print_message("half-closed connection released after %.2f s\n", took);
    assert_true(took >= 0 && took < 10);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- header sizes ------------------------------------------------------------ */

static int get_with_token(int port, size_t token_len)
{
    arena *a = arena_create(NULL, "large header");
    char *h = arena_alloc(a, token_len + 64);
    memcpy(h, "Authorization: Bearer ", 22);
    memset(h + 22, 'a', token_len);
    const char *headers[] = {h,
                             "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                             "(KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                             "Accept: application/json", "Accept-Encoding: gzip, deflate, br",
                             "Accept-Language: en-US,en;q=0.9", NULL};
    int status = ts_http(a, port, "GET", "/health", headers, NULL, 0, 10000)->status;
    arena_destroy(a);
    return status;
}

static void test_large_headers(void **state)
{
    (void) state;
    ts_server srv;
    assert_true(start_server(&srv, NULL));
    /* The default connection memory (8 KiB) holds a 6 KiB bearer token
     * with ordinary browser headers; 64 KiB is a 431. */
    assert_int_equal(get_with_token(srv.port, 6144), 200);
    assert_int_equal(get_with_token(srv.port, 65536), 431);
    assert_int_equal(ts_server_stop(&srv), 0);
    /* server.connection_memory_kib makes room for larger ones. */
    static const char *const more[] = {"RETORT_SERVER_CONNECTION_MEMORY_KIB=16", NULL};
    assert_true(start_server(&srv, more));
    assert_int_equal(get_with_token(srv.port, 12288), 200);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- room for /health and the admin listener --------------------------------- */

static void test_full_table_keeps_room_for_health(void **state)
{
    (void) state;
    ts_server srv;
    int admin_port = ts_free_port();
    char admin_env[64];
    snprintf(admin_env, sizeof admin_env, "RETORT_SERVER_ADMIN_PORT=%d", admin_port);
    const char *env[] = {"RETORT_SERVER_MAX_CONNECTIONS=200", admin_env, NULL};
    assert_true(start_server(&srv, env));
    /* More slow connections than the table holds, from two addresses
     * (the per-client limit is 256): each sends half a request line. */
    enum { SLOW = 240 };
    int fds[SLOW];
    int opened = 0;
    for (int i = 0; i < SLOW; i++) {
        fds[i] = connect_to(srv.port, i % 2 ? "127.0.0.2" : "127.0.0.3");
        if (fds[i] >= 0 && send(fds[i], "GET /he", 7, MSG_NOSIGNAL) == 7)
            opened++;
    }
    ts_sleep_ms(1500); /* older than the grace the janitor gives them */
    int health = 0, admin = 0;
    for (int i = 0; i < 50 && !(health && admin); i++) {
        if (!health)
            health = ts_http(F.a, srv.port, "GET", "/health", NULL, NULL, 0, 2000)->status == 200;
        if (!admin)
            admin = ts_http(F.a, admin_port, "GET", "/metrics", NULL, NULL, 0, 2000)->status == 200;
        if (!(health && admin))
            ts_sleep_ms(100);
    }
    print_message("%d slow connections opened against a table of 200: /health %s, admin %s\n",
                  opened, health ? "answered" : "NOT answered", admin ? "answered" : "NOT answered");
    assert_true(health);
    assert_true(admin);
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* ---- a slow database -------------------------------------------------------- */

typedef struct patch_call {
    int port;
    const char *path;
    int status;
    pthread_t thread;
} patch_call;

static void *patch_main(void *arg)
{
    patch_call *p = arg;
    arena *a = arena_create(NULL, "patch call");
    const char *h[] = {"Content-Type: application/json", NULL};
    const char *body = "{\"name\": \"Slow\"}";
    p->status = ts_http(a, p->port, "PATCH", p->path, h, body, strlen(body), 60000)->status;
    arena_destroy(a);
    return NULL;
}

static bool row_lock_held(void)
{
    const char *out = NULL;
    ts_psql_capture(F.a, F.pg.url,
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FOR UPDATE%' AND "
                    "state = 'active' AND pid <> pg_backend_pid()",
                    &out, NULL);
    return out && strcmp(out, "1") == 0;
}

static void test_slow_row_does_not_hold_others(void **state)
{
    (void) state;
    ts_server srv;
    /* One loop thread, more requests in flight than threads. */
    const char *env[] = {"RETORT_SERVER_IO_THREADS=1", "RETORT_SERVER_WORKERS=32",
                         "RETORT_DATABASE_POOL_SIZE=8", "RETORT_DATABASE_MAX_OVERFLOW=0",
                         "RETORT_DATABASE_STATEMENT_TIMEOUT_MS=30000", NULL};
    assert_true(start_server(&srv, env));
    /* Row 0 locked for 12 s by another session. */
    assert_int_equal(ts_system("psql -X -q '%s' -c \"SELECT id FROM users WHERE id = '%s' FOR "
                               "UPDATE; SELECT pg_sleep(12)\" >/dev/null 2>&1 &",
                               F.pg.url, F.user_id),
                     0);
    double t0 = ts_now();
    while (!row_lock_held()) {
        if (ts_now() - t0 > 10)
            fail_msg("the row lock was never taken");
        ts_sleep_ms(50);
    }
    /* Writes to the locked row wait on the database... */
    enum { SLOW = 4, FAST = 40 };
    patch_call slow[SLOW];
    const char *slow_path = arena_sprintf(F.a, "/api/users/%s", F.user_id);
    for (int i = 0; i < SLOW; i++) {
        slow[i] = (patch_call){.port = srv.port, .path = slow_path};
        pthread_create(&slow[i].thread, NULL, patch_main, &slow[i]);
    }
    ts_sleep_ms(300);
    /* ... while reads of another row, and of the locked row (readers
     * are not blocked by FOR UPDATE), are answered. */
    const char *paths[2] = {arena_sprintf(F.a, "/api/users/%s", F.other_id), slow_path};
    ts_get fast[FAST];
    for (int i = 0; i < FAST; i++) {
        fast[i] = (ts_get){.port = srv.port, .path = paths[i % 2], .timeout_ms = 20000};
        ts_get_start(&fast[i]);
    }
    for (int i = 0; i < FAST; i++) {
        ts_get_join(&fast[i]);
        assert_int_equal(fast[i].status, 200);
    }
    /* All of them came back while the row was still locked. */
    bool still_locked = row_lock_held();
    print_message("%d reads answered with %d writes waiting on a locked row (lock still held: "
                  "%s)\n",
                  FAST, SLOW, still_locked ? "yes" : "no");
    assert_true(still_locked);
    for (int i = 0; i < SLOW; i++) {
        pthread_join(slow[i].thread, NULL);
        assert_int_equal(slow[i].status, 200);
    }
    assert_int_equal(ts_server_stop(&srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_invalid_utf8_in_every_url_position),
        cmocka_unit_test(test_transaction_operations_with_missing_fields),
        cmocka_unit_test(test_bank_transfers_with_backends_killed),
        cmocka_unit_test(test_pool_burst_answers_within_pool_timeout),
        cmocka_unit_test(test_frozen_database_answers_and_stops),
        cmocka_unit_test(test_sigterm_under_keepalive_load),
        cmocka_unit_test(test_slow_clients_from_one_address),
        cmocka_unit_test(test_header_and_body_deadlines),
        cmocka_unit_test(test_half_closed_body_released),
        cmocka_unit_test(test_large_headers),
        cmocka_unit_test(test_full_table_keeps_room_for_health),
        cmocka_unit_test(test_slow_row_does_not_hold_others),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
