/*
 * testsupport — what the tests share: files, JSON written with single
 * quotes and checks on it, the test database, private PostgreSQL
 * clusters, free ports, a small HTTP/1.1 client, and the real retort
 * binary started as a child process.
 *
 * Memory: results live in the arena the caller passes; processes and
 * clusters are stopped by their *_stop/_destroy functions, which tests call
 * from teardown so that a failing assertion still cleans up.
 *
 * Two libraries: retort_testutil (ts_check.c: files, JSON text, checks;
 * needs only retort_common, jansson and cmocka, so single-layer tests can
 * link it) and retort_testsupport (everything else; links the whole
 * service and retort_testutil).
 */
#ifndef RETORT_TESTSUPPORT_H
#define RETORT_TESTSUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/types.h>

#include <jansson.h>

#include "arena.h"
#include "error.h"

/* ---- files, JSON text and checks (ts_check.c, retort_testutil) --------- */

/* The whole file at path, NUL-terminated, in a; NULL when it cannot be
 * opened. *len (may be NULL) gets its length. */
char *ts_read_file(arena *a, const char *path, size_t *len /* OUT */);
/* single_quoted with every ' turned into ": test JSON without escapes
 * ("{'id': 1}"). In a. */
const char *ts_dquote(arena *a, const char *single_quoted);
/* The JSON of single-quoted text; released when a is reset. A bad text
 * fails the test. */
json_t *ts_json(arena *a, const char *single_quoted);
/* Fails unless actual, compact, is the text of expected (single-quoted
 * JSON): values and key order. Consumes actual. */
void ts_assert_json(arena *a, json_t *actual, const char *expected);
/* Fails, printing the report (kind, status, SQLSTATE, title, detail,
 * items), if err holds an error; what names the step that made it. */
void ts_assert_ok(const err_report *err, const char *what);

/* ---- the shared test database (scripts/test) ------------------------- */

/* RETORT_TEST_DATABASE_URL; a test that needs it fails loudly without it. */
const char *ts_database_url(void);

/* Runs sql (any number of statements) with psql -At against url, on a
 * path free of libpq; returns psql's exit code (-1 when it could not run).
 * *out gets its output, rows separated by "\n", without final newlines;
 * *errors what it wrote to stderr (NULL when unreadable); both may be NULL
 * and live in a. */
int ts_psql_capture(arena *a, const char *url, const char *sql, const char **out /* OUT */,
                    const char **errors /* OUT */);
/* ts_psql_capture without the output; returns the exit code. */
int ts_psql(const char *url, const char *sql);

/* ---- private clusters (for tests that stop and start PostgreSQL) ------- */

typedef struct ts_cluster {
    char dir[256];   /* data directory */
    char url[512];
    int port;
    bool running;
} ts_cluster;

/* initdb into a fresh temporary directory on a free loopback port, start.
 * Runs PostgreSQL as the postgres user when the tests run as root. */
bool ts_cluster_start(ts_cluster *c);
bool ts_cluster_stop(ts_cluster *c);    /* fast shutdown, keeps the data */
bool ts_cluster_restart(ts_cluster *c); /* start again after a stop */
void ts_cluster_destroy(ts_cluster *c); /* stop and remove the directory */

/* The database of an integration test: RETORT_TEST_DATABASE_URL when set,
 * else a private cluster started in *c (its teardown calls
 * ts_cluster_destroy, a no-op when none was started). The URL is copied
 * into url[size]. False when the cluster could not start. */
bool ts_database_or_cluster(ts_cluster *c, char *url, size_t size);

/* ---- ports and processes ------------------------------------------------ */

int ts_free_port(void);
/* Runs a shell command; returns its exit status (-1 if it could not run). */
int ts_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double ts_now(void); /* monotonic seconds */
void ts_sleep_ms(int ms);
/* Path of a file in the source tree (arena copy). */
const char *ts_source_path(arena *a, const char *relative);
/* An executable's path found on PATH; NULL when it is not there. */
const char *ts_on_path(arena *a, const char *name);
/* The Chromium the browser tests drive: $RETORT_CHROMIUM, else chromium
 * on PATH; NULL when there is none. */
const char *ts_chromium(arena *a);

/* ---- HTTP client ------------------------------------------------------- */

typedef struct ts_header {
    const char *name, *value;
} ts_header;

typedef struct ts_response {
    int status;         /* 0 when the request failed at the socket level */
    ts_header *headers;
    size_t n_headers;
    char *body;         /* NUL-terminated */
    size_t body_len;
    double seconds;     /* wall time of the exchange */
} ts_response;

/* One request on a fresh connection to 127.0.0.1:port ("Connection:
 * close"). headers: "Name: value" strings, NULL-terminated, may be NULL.
 * body may be NULL. Gives up after timeout_ms. Everything lives in a. */
ts_response *ts_http(arena *a, int port, const char *method, const char *path,
                     const char *const *headers, const char *body, size_t body_len,
                     int timeout_ms);
/* Sends raw bytes as the whole request and reads the response. */
ts_response *ts_http_raw(arena *a, int port, const char *raw, size_t len, int timeout_ms);
/* Case-insensitive header lookup; NULL when absent. */
const char *ts_header_get(const ts_response *r, const char *name);

/* A GET on its own thread (concurrent clients): fill port, path and
 * timeout_ms (0 = 30 s), start, join; then status (0 = no answer),
 * retry_after (the header was present) and seconds are set. */
typedef struct ts_get {
    int port;
    const char *path;
    int timeout_ms;
    int status;
    bool retry_after;
    double seconds;
    pthread_t thread;
} ts_get;
void ts_get_start(ts_get *g);
void ts_get_join(ts_get *g);

/* ---- the retort binary -------------------------------------------------- */

typedef struct ts_server {
    pid_t pid;
    int port;
    char log_path[256];
} ts_server;

/* Starts retort serve -c config with extra environment ("K=V",
 * NULL-terminated), on a free port, and waits until /health answers.
 * stderr goes to a log file shown when a test fails. */
bool ts_server_start(ts_server *s, const char *config_path, const char *const *env);
/* SIGTERM, waits; returns the exit status (or -1). */
int ts_server_stop(ts_server *s);
/* Prints the server's log to stdout (for failure diagnosis). */
void ts_server_dump_log(const ts_server *s);

/* ---- real components (ts_components.c) --------------------------------- */

/* PgBouncer (Debian's pgbouncer, as the postgres user when root) on a free
 * loopback port in transaction pooling mode, with server_pool_size server
 * connections per database, in front of upstream_url's server; url is the
 * same database through PgBouncer. */
typedef struct ts_pgbouncer {
    char dir[256];
    char url[512];
    int port;
    pid_t pid;
} ts_pgbouncer;
bool ts_pgbouncer_start(ts_pgbouncer *b, const char *upstream_url, int server_pool_size);
void ts_pgbouncer_stop(ts_pgbouncer *b); /* also removes its directory */

/* A streaming replica of primary (a ts_cluster): pg_basebackup -R into a
 * fresh directory, started on a free port. Stop, restart and destroy it
 * with the ts_cluster functions. */
bool ts_replica_start(ts_cluster *replica, const ts_cluster *primary);

/* HAProxy (Debian's haproxy) on a free loopback port, round robin over
 * 127.0.0.1:backend_ports[0..n), health-checking GET /health/ready every
 * 300 ms, retrying only requests whose connection failed. */
typedef struct ts_haproxy {
    char dir[256];
    int port;
    pid_t pid;
} ts_haproxy;
bool ts_haproxy_start(ts_haproxy *h, const int *backend_ports, size_t n);
void ts_haproxy_stop(ts_haproxy *h);

#endif
