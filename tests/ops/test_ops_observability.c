/*
 * What an SRE reads: JSON log lines parsed and checked field by field,
 * the W3C trace id in the access log and in pg_stat_activity, no row
 * contents at info, and /metrics clean under `promtool check metrics`
 * with the process, build, resource, pool-wait, database-time and
 * database-state series.
 */
#include "api_support.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
static const char *const TRACEPARENT = "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
                                       "00f067aa0ba902b7-01";

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* Every line of the server's log, each parsed as JSON (fails otherwise);
 * a JSON array owned by T. */
static json_t *log_lines(void)
{
    const char *text = ts_read_file(T(), API.srv.log_path, NULL);
    assert_non_null(text);
    json_t *lines = json_array();
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t) (nl - p) : strlen(p);
        json_error_t e;
        json_t *j = json_loadb(p, n, 0, &e);
        if (!json_is_object(j))
            fail_msg("a log line is not a JSON object (%s): %.*s", e.text, (int) n, p);
        json_array_append_new(lines, j);
        p = nl ? nl + 1 : p + n;
    }
    arena_on_reset(T(), (void (*)(void *)) json_decref, lines);
    return lines;
}

static json_t *access_line(json_t *lines, const char *request_id)
{
    size_t i;
    json_t *j;
    json_array_foreach(lines, i, j)
    {
        const char *id = json_string_value(json_object_get(j, "request_id"));
        const char *msg = json_string_value(json_object_get(j, "msg"));
        if (id && msg && strcmp(id, request_id) == 0 && strcmp(msg, "request") == 0)
            return j;
    }
    fail_msg("no access-log line for request %s", request_id);
    return NULL;
}

static void test_json_access_log(void **state)
{
    (void) state;
    const char *headers[] = {TRACEPARENT, "X-Request-Id: obs-list-1", "User-Agent: obs-test/1.0",
                             NULL};
    api_reply *r = api_call("GET", S("/api/%s?limit=2", R("users")), NULL, headers);
    EXPECT_STATUS(r, 200);
    ts_sleep_ms(100);
    json_t *line = access_line(log_lines(), "obs-list-1");
    assert_true(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                        jstr(line, "time")));
    assert_string_equal(jstr(line, "level"), "info");
    assert_string_equal(jstr(line, "trace_id"), TRACE);
    assert_string_equal(jstr(line, "method"), "GET");
    assert_string_equal(jstr(line, "route"), "/api/{resource}");
    assert_string_equal(jstr(line, "path"), S("/api/%s", R("users")));
    assert_int_equal(jint(line, "status"), 200);
    assert_int_equal(jint(line, "bytes"), (long long) r->raw->body_len);
    assert_true(jint(line, "statements") >= 1);
    assert_true(json_is_number(jget(line, "duration_ms")));
    assert_true(json_real_value(jget(line, "duration_ms")) > 0);
    assert_true(json_is_number(jget(line, "pool_wait_ms")));
    assert_true(json_is_number(jget(line, "db_ms")));
    assert_string_equal(jstr(line, "client"), "127.0.0.1");
    assert_string_equal(jstr(line, "user_agent"), "obs-test/1.0");

    /* No traceparent (or a malformed one): no trace_id field at all. */
    const char *bad[] = {"traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                         "X-Request-Id: obs-list-2", NULL};
    EXPECT_STATUS(api_call("GET", S("/api/%s?limit=1", R("users")), NULL, bad), 200);
    ts_sleep_ms(100);
    line = access_line(log_lines(), "obs-list-2");
    assert_null(json_object_get(line, "trace_id"));
}

static void test_no_row_contents_at_info(void **state)
{
    (void) state;
    const char *secret = "very-private-address@example.com";
    api_reply *r = POST(S("/api/%s", R("users")), S("{\"email\": \"%s\"}", secret));
    EXPECT_STATUS(r, 201);
    r = POST(S("/api/%s", R("users")), S("{\"email\": \"%s\"}", secret));
    EXPECT_STATUS(r, 409);
    ts_sleep_ms(100);
    json_t *lines = log_lines();
    size_t i;
    json_t *j;
    bool refused = false;
    json_array_foreach(lines, i, j)
    {
        char *text = json_dumps(j, JSON_COMPACT);
        bool leaked = strstr(text, "very-private-address") != NULL;
        free(text);
        if (leaked)
            fail_msg("a row value reached the log at %s", jstr(j, "level"));
        const char *msg = json_string_value(json_object_get(j, "msg"));
        if (msg && strcmp(msg, "database refused the request") == 0) {
            refused = true;
            assert_string_equal(jstr(j, "sqlstate"), "23505");
            assert_non_null(json_object_get(j, "constraint"));
        }
    }
    assert_true(refused);
}

typedef struct blocked {
    int status;
} blocked;

static void *traced_call(void *arg)
{
    blocked *b = arg;
    arena *a = arena_create(NULL, "traced");
    const char *headers[] = {TRACEPARENT, "X-Request-Id: obs-traced", NULL};
    b->status = ts_http(a, API.srv.port, "GET", S("/api/%s?limit=1", R("users")), headers, NULL,
                        0, 30000)
                    ->status;
    arena_destroy(a);
    return NULL;
}

/* A DBA sees the trace id of the request behind a running query. */
static void test_trace_id_in_pg_stat_activity(void **state)
{
    (void) state;
    assert_int_equal(ts_system("psql -X -q '%s' -c 'BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE "
                               "MODE; SELECT pg_sleep(4); COMMIT' >/dev/null 2>&1 &",
                               ts_database_url(), R("users")),
                     0);
    /* Wait until the lock is held (psql may start slowly on a busy machine). */
    double until = ts_now() + 10;
    while (ts_now() < until &&
           sql_int("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                   "WHERE c.relname = '%s' AND l.mode = 'AccessExclusiveLock' AND l.granted",
                   R("users")) == 0)
        ts_sleep_ms(50);
    blocked b = {0};
    pthread_t t;
    pthread_create(&t, NULL, traced_call, &b);
    long long seen = 0;
    double deadline = ts_now() + 3.5;
    while (seen == 0 && ts_now() < deadline) {
        seen = sql_int("SELECT count(*) FROM pg_stat_activity WHERE starts_with(query, "
                       "chr(47) || chr(42) || ' trace_id=%s request_id=obs-traced ')",
                       TRACE);
        if (!seen)
            ts_sleep_ms(100);
    }
    if (!seen)
        printf("pg_stat_activity:\n%s\n",
               sql("SELECT state || ' ' || coalesce(wait_event_type, '-') || ' ' || left(query, 120) "
                   "FROM pg_stat_activity WHERE backend_type = 'client backend'"));
    pthread_join(t, NULL);
    assert_int_equal(b.status, 200);
    assert_true(seen >= 1);
}

static void test_metrics_promtool(void **state)
{
    (void) state;
    EXPECT_STATUS(GET(S("/api/%s?limit=1", R("users"))), 200);
    api_reply *r = GET("/metrics");
    EXPECT_STATUS(r, 200);
    const char *m = r->raw->body;
    char path[] = "/tmp/retort-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, m, strlen(m)), (ssize_t) strlen(m));
    close(fd);
    int rc = ts_system("promtool check metrics <%s >%s.out 2>&1", path, path);
    if (rc != 0)
        ts_system("cat %s.out", path);
    ts_system("rm -f %s %s.out", path, path);
    assert_int_equal(rc, 0);

    const char *must[] = {
        "\nprocess_cpu_seconds_total ",
        "\nprocess_resident_memory_bytes ",
        "\nprocess_open_fds ",
        "\nprocess_max_fds ",
        "\nprocess_start_time_seconds ",
        S("\nretort_build_info{version=\"%s\"} 1", RETORT_EXPECTED_VERSION),
        S(",resource=\"%s\"", R("users")),
        "\nretort_pool_wait_seconds_bucket{le=\"+Inf\"} ",
        "\nretort_db_time_seconds_bucket{le=\"+Inf\"} ",
        "\nretort_pool_behind_pooler 0",
        "\nretort_pool_result_mismatches_total 0",
        "\nretort_database_up 1",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (!strstr(m, must[i]))
            fail_msg("/metrics lacks %s", must[i]);
}

static int group_setup(void **state)
{
    (void) state;
    static const char *const env[] = {"RETORT_LOG_FORMAT=json", NULL};
    return api_group_setup("obs_", env);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_access_log, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_no_row_contents_at_info, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_trace_id_in_pg_stat_activity, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_metrics_promtool, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
