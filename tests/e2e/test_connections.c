/*
 * Connections and a slow database, on the real binary (issues 10 and 15):
 *
 *   - a client that trickles its headers, or its body, a byte at a time
 *     is cut at the total deadline (server.header_timeout_s,
 *     server.body_timeout_s), although each byte would restart
 *     libmicrohttpd's idle timeout;
 *   - a partial body followed by the client's FIN is released at once,
 *     not after the idle timeout;
 *   - with the connection table full of slow connections, /health and
 *     the admin listener still answer;
 *   - with a row locked and writes to it waiting, on one loop thread,
 *     requests that do not touch that row are answered while the lock is
 *     still held (a waiting request holds no thread).
 *
 * Bounds are generous (several times the deadline under test, far below
 * the 30 s idle timeout that would otherwise apply), so a loaded machine
 * does not break them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testsupport.h"

static struct {
    ts_cluster pg;
    arena *a;
    char env_url[600];
    const char *ids[2]; /* two existing users */
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

static int setup_group(void **state)
{
    (void) state;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    F.a = arena_create(NULL, "e2e connections");
    if (!ts_cluster_start(&F.pg))
        return -1;
    snprintf(F.env_url, sizeof F.env_url, "RETORT_DATABASE_URL=%s", F.pg.url);
    if (ts_system("RETORT_DATABASE_URL='%s' %s schema create -c %s >/dev/null", F.pg.url,
                  RETORT_BINARY_PATH, ts_source_path(F.a, "config/retort.json")) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const char *sql = arena_sprintf(F.a,
                                        "INSERT INTO users (email, name) VALUES ('c%d@x.org', "
                                        "'C') RETURNING id",
                                        i);
        if (ts_psql_capture(F.a, F.pg.url, sql, &F.ids[i], NULL) != 0 || !F.ids[i])
            return -1;
    }
    return 0;
}

static int teardown_group(void **state)
{
    (void) state;
    ts_cluster_destroy(&F.pg);
    arena_destroy(F.a);
    return 0;
}

static int connect_from(int port, const char *from)
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
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
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
    int fd = connect_from(port, NULL);
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
    int fd = connect_from(srv.port, NULL);
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
    /* An 8 KiB bearer token with ordinary browser headers fits the
     * connection's memory; 64 KiB does not. */
    assert_int_equal(get_with_token(srv.port, 8192), 200);
    assert_int_equal(get_with_token(srv.port, 65536), 431);
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
        fds[i] = connect_from(srv.port, i % 2 ? "127.0.0.2" : "127.0.0.3");
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
                               F.pg.url, F.ids[0]),
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
    const char *slow_path = arena_sprintf(F.a, "/api/users/%s", F.ids[0]);
    for (int i = 0; i < SLOW; i++) {
        slow[i] = (patch_call){.port = srv.port, .path = slow_path};
        pthread_create(&slow[i].thread, NULL, patch_main, &slow[i]);
    }
    ts_sleep_ms(300);
    /* ... while reads of another row, and of the locked row (readers
     * are not blocked by FOR UPDATE), are answered. */
    const char *paths[2] = {arena_sprintf(F.a, "/api/users/%s", F.ids[1]), slow_path};
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
        cmocka_unit_test(test_header_and_body_deadlines),
        cmocka_unit_test(test_half_closed_body_released),
        cmocka_unit_test(test_large_headers),
        cmocka_unit_test(test_full_table_keeps_room_for_health),
        cmocka_unit_test(test_slow_row_does_not_hold_others),
    };
    return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
