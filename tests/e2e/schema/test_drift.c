/*
 * test_drift — models checked against the catalog behind a running
 * server: after an ALTER TABLE the readiness probe is a 503 problem whose
 * checks.drift names model, table, column and problem, requests touching
 * the drifted model are 503 with that problem (not 500), other models are
 * served, and fixing the table makes everything ready again. With a long
 * re-check interval, the first request that hits the missing column
 * triggers the re-check itself.
 */
#include "schema_fixture.h"

static const char *const DB = "retort_drift";

static const char *config(arena *a, const char *interval)
{
    return sf_write_temp(
        a,
        arena_sprintf(
            a,
            "{\"models\": {"
            " \"Author\": {\"table\": \"authors\", \"columns\": {"
            "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
            "   \"name\": {\"type\": \"text\"}}},"
            " \"Book\": {\"table\": \"books\", \"columns\": {"
            "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
            "   \"title\": {\"type\": \"text\"}, \"pages\": {\"type\": \"integer\"}}}},"
            " \"database\": {\"url\": \"%s\", \"pool_size\": 2, \"drift_check_interval\": %s}}",
            sf_db_url(a, DB), interval));
}

static ts_response *get(arena *a, ts_server *s, const char *path)
{
    return ts_http(a, s->port, "GET", path, NULL, NULL, 0, 10000);
}

static json_t *body(arena *a, ts_response *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    arena_on_reset(a, (void (*)(void *)) json_decref, j);
    return j;
}

static void start(arena *a, ts_server *s, const char *interval)
{
    const char *env[] = {arena_sprintf(a, "RETORT_DATABASE_URL=%s", sf_db_url(a, DB)), NULL};
    if (!ts_server_start(s, config(a, interval), env)) {
        ts_server_dump_log(s);
        fail_msg("server did not start");
    }
}

static void expect_drift(arena *a, ts_response *r, const char *column, const char *problem)
{
    if (r->status != 503)
        fail_msg("expected 503, got %d: %s", r->status, r->body);
    json_t *p = body(a, r);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "schema-drift");
    json_t *drift = json_object_get(json_object_get(p, "checks"), "drift");
    assert_int_equal(json_array_size(drift), 1);
    json_t *d = json_array_get(drift, 0);
    assert_string_equal(json_string_value(json_object_get(d, "model")), "Book");
    assert_string_equal(json_string_value(json_object_get(d, "table")), "books");
    assert_string_equal(json_string_value(json_object_get(d, "column")), column);
    assert_non_null(strstr(json_string_value(json_object_get(d, "problem")), problem));
}

/* Readiness until it answers want (the background re-check runs every
 * 0.2 s); bounded, for loaded machines. */
static ts_response *ready_until(arena *a, ts_server *s, int want)
{
    ts_response *r = NULL;
    double deadline = ts_now() + 20;
    do {
        r = get(a, s, "/health/ready");
        if (r->status == want)
            break;
        ts_sleep_ms(100);
    } while (ts_now() < deadline);
    return r;
}

static void test_drift_behind_a_running_server(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    sf_fresh_db(a, DB);
    const char *out, *errors;
    assert_int_equal(
        sf_run(a, NULL, arena_sprintf(a, "schema create -c %s", config(a, "0.2")), &out, &errors),
        0);
    ts_server s = {0};
    start(a, &s, "0.2");
    assert_int_equal(get(a, &s, "/health/ready")->status, 200);
    assert_int_equal(get(a, &s, "/api/books")->status, 200);

    assert_int_equal(ts_psql(sf_db_url(a, DB), "ALTER TABLE books DROP COLUMN title"), 0);
    expect_drift(a, ready_until(a, &s, 503), "title", "does not exist");
    expect_drift(a, get(a, &s, "/api/books"), "title", "does not exist");
    assert_int_equal(get(a, &s, "/api/authors")->status, 200);

    assert_int_equal(ts_psql(sf_db_url(a, DB), "ALTER TABLE books ADD COLUMN title integer"), 0);
    ts_response *r = get(a, &s, "/api/books"); /* a type the model does not expect */
    (void) r;
    r = ready_until(a, &s, 503);
    json_t *p = body(a, r);
    const char *problem = json_string_value(
        json_object_get(json_array_get(json_object_get(json_object_get(p, "checks"), "drift"), 0),
                        "problem"));
    for (double t = ts_now() + 20; (!problem || !strstr(problem, "integer")) && ts_now() < t;) {
        ts_sleep_ms(100);
        p = body(a, get(a, &s, "/health/ready"));
        problem = json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(p, "checks"), "drift"), 0), "problem"));
    }
    assert_string_equal(problem, "the column is integer, the model says text");

    assert_int_equal(
        ts_psql(sf_db_url(a, DB), "ALTER TABLE books ALTER COLUMN title TYPE text"), 0);
    assert_int_equal(ready_until(a, &s, 200)->status, 200);
    assert_int_equal(get(a, &s, "/api/books")->status, 200);
    assert_int_equal(ts_server_stop(&s), 0);
    arena_destroy(a);
}

/* A long interval: the failing request re-checks, and is a 503. */
static void test_request_triggers_the_check(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    ts_server s = {0};
    start(a, &s, "3600");
    assert_int_equal(get(a, &s, "/health/ready")->status, 200);
    assert_int_equal(ts_psql(sf_db_url(a, DB), "ALTER TABLE books DROP COLUMN pages"), 0);
    expect_drift(a, get(a, &s, "/api/books"), "pages", "does not exist");
    expect_drift(a, get(a, &s, "/health/ready"), "pages", "does not exist");
    assert_int_equal(ts_server_stop(&s), 0);

    /* at start-up: the check runs before the first request */
    start(a, &s, "3600");
    expect_drift(a, get(a, &s, "/api/books/1"), "pages", "does not exist");
    assert_int_equal(ts_server_stop(&s), 0);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drift_behind_a_running_server),
        cmocka_unit_test(test_request_triggers_the_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
