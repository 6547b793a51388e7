/*
 * api_support — what the REST API end-to-end tests share.
 *
 * Each test program owns a table prefix ("ar_", "aq_", ...): the template
 * config/test/api.json names its tables "api_users", "api_orders", ...; the
 * group setup writes a copy with "api_" replaced by the program's prefix,
 * drops and creates that schema with the real `retort schema` command and
 * starts `retort serve` on it (debug headers on). Programs can therefore
 * run in parallel against the same database without seeing each other's
 * rows. Resource names are the table names: R("users") is "ar_users".
 *
 * Memory: every reply, parsed body and formatted string lives in the
 * per-test arena (T), released by the per-test teardown, which also checks
 * that the server is healthy and holds no pooled connection.
 */
#ifndef RETORT_API_SUPPORT_H
#define RETORT_API_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>

#include "testsupport.h"

typedef struct api_reply {
    int status;
    json_t *body; /* parsed JSON body, NULL when none or not JSON (owned by T) */
    ts_response *raw;
    const char *method, *path;
} api_reply;

typedef struct api_fixture {
    const char *prefix;
    char config_path[256];
    ts_server srv;
    int admin_port; /* server.admin_port, where teardown checks the pool; 0 = srv.port */
    arena *group; /* group lifetime */
    arena *test;  /* per test */
} api_fixture;

extern api_fixture API;

/* ---- setup --------------------------------------------------------------- */

/* Writes the prefixed config, drops and creates the schema, starts the
 * server with RETORT_SERVER_DEBUG_HEADERS=true plus extra_env ("K=V",
 * NULL-terminated, may be NULL). Returns 0 / -1 (cmocka group setup). */
int api_group_setup(const char *prefix, const char *const *extra_env);
/* The same with another config (JSON text, "api_" prefixed the same way). */
int api_group_setup_config(const char *prefix, const char *config_text,
                           const char *const *extra_env);
int api_group_teardown(void);
/* Per-test: a fresh arena; teardown checks /health and /health/pool. */
int api_test_setup(void **state);
int api_test_teardown(void **state);
/* Marks the running test failed without stopping it. */
void api_defer_failure(void);

/* Starts another server on the same config with extra environment. */
bool api_server_start(ts_server *s, const char *const *extra_env);

/* ---- strings ------------------------------------------------------------ */

/* The per-test arena. */
arena *T(void);
/* sprintf into the per-test arena. */
const char *S(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefixed table / resource name: R("users") -> "ar_users". */
const char *R(const char *name);
/* Percent-encodes everything but unreserved characters. */
const char *U(const char *s);
/* JSON text of v (compact, sorted keys), in T. */
const char *J(const json_t *v);

/* ---- HTTP --------------------------------------------------------------- */

/* One request to the group's server. body may be NULL; headers
 * NULL-terminated or NULL. */
api_reply *api_call(const char *method, const char *path, const char *body,
                    const char *const *headers);
api_reply *api_call_port(int port, const char *method, const char *path, const char *body,
                         size_t body_len, const char *const *headers, int timeout_ms);
#define GET(path) api_call("GET", (path), NULL, NULL)
#define POST(path, body) api_call("POST", (path), (body), NULL)
#define PATCH(path, body) api_call("PATCH", (path), (body), NULL)
#define DELETE(path) api_call("DELETE", (path), NULL, NULL)

/* X-Query-Count as an integer; fails the test when the header is absent. */
#define QUERY_COUNT(rep) api_query_count((rep), __FILE__, __LINE__)
long api_query_count(const api_reply *r, const char *file, int line);

/* ---- assertions ------------------------------------------------------------ */

#define EXPECT_STATUS(rep, code) api_expect_status((rep), (code), __FILE__, __LINE__)
void api_expect_status(const api_reply *r, int code, const char *file, int line);

/* A problem+json reply with this status: Content-Type, type, title, status
 * (equal to the HTTP status) and detail. pointer: NULL = not checked; a
 * string = some errors[] item has exactly this pointer; API_NO_POINTER =
 * no errors[] item carries a pointer. */
#define API_NO_POINTER ((const char *) 1)
#define EXPECT_PROBLEM(rep, code, pointer)                                                         \
    api_expect_problem((rep), (code), (pointer), __FILE__, __LINE__)
void api_expect_problem(const api_reply *r, int code, const char *pointer, const char *file,
                        int line);
/* Every pointer in the NULL-terminated list is present among errors[]. */
#define EXPECT_POINTERS(rep, ...)                                                                  \
    api_expect_pointers((rep), (const char *const[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)
void api_expect_pointers(const api_reply *r, const char *const *pointers, const char *file,
                         int line);
/* The body contains no SQL text or PostgreSQL message. A violation is a
 * deferred failure: reported at once, the test goes on and fails in its
 * teardown (api_defer_failure). */
#define EXPECT_NO_SQL(rep) api_expect_no_sql((rep), __FILE__, __LINE__)
void api_expect_no_sql(const api_reply *r, const char *file, int line);
/* Some errors[] item's pointer starts with prefix. */
#define EXPECT_POINTER_PREFIX(rep, prefix)                                                         \
    api_expect_pointer_prefix((rep), (prefix), __FILE__, __LINE__)
void api_expect_pointer_prefix(const api_reply *r, const char *prefix, const char *file, int line);
/* Whether errors[] has an item with this pointer. */
bool api_has_pointer(const json_t *problem, const char *pointer);
/* Concatenated detail texts (detail + errors[].detail), for "names X". */
const char *api_problem_text(const json_t *problem);

/* ---- JSON helpers ----------------------------------------------------------- */

json_t *jget(const json_t *o, const char *key);     /* borrowed; fails when absent */
const char *jstr(const json_t *o, const char *key); /* fails when not a string */
long long jint(const json_t *o, const char *key);   /* fails when not an integer */
/* data[] of a list envelope; fails when the shape is wrong. */
json_t *jdata(const api_reply *r);
/* "a\nb\n..." of the key of every element of an array (integers or strings). */
const char *jcolumn(const json_t *array, const char *key);
/* Parse JSON text into T. */
json_t *jparse(const char *text);

/* ---- SQL truth (psql) ------------------------------------------------------ */

/* Runs one SQL statement with psql -At against the test database and
 * returns its output, rows separated by "\n", without a final newline. Fails
 * the test when psql fails. */
const char *sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long long sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs SQL (no output wanted). */
void sql_exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Polls /health/pool until checked_out is 0 (up to 3 s); returns the last
 * checked_out seen. */
long api_pool_checked_out(int port);

#endif
