/*
 * retort behind a real PgBouncer 1.18 in transaction pooling mode, with
 * its default prepared_statements: true, as a new user would run it: a
 * mixed load (filtered lists, gets by key, lists by foreign key, creates)
 * from several clients over two server connections, every body compared
 * with the SQL truth read straight from PostgreSQL. Zero wrong answers and
 * zero 5xx are required; /health/pool must show the pooler was detected.
 *
 * (The full REST suites also run through PgBouncer, prepared statements
 * on and off: tests/e2e/api/CMakeLists.txt.)
 */
#include "api_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_USERS = 20, N_THREADS = 4, PER_THREAD = 50 };

typedef struct truth {
    char id[64], email[64];
    long orders;
} truth;

static truth users[N_USERS];

typedef struct worker {
    int index;
    int wrong, server_errors, created;
    char first_problem[512];
} worker;

static void note(worker *w, const char *fmt, const char *a, const char *b)
{
    if (!w->first_problem[0])
        snprintf(w->first_problem, sizeof w->first_problem, fmt, a, b);
}

static json_t *data_of(json_t *body)
{
    json_t *d = json_object_get(body, "data");
    return json_is_array(d) ? d : NULL;
}

/* One request and its check against the truth; no cmocka calls (threads). */
static void one(worker *w, arena *a, int i)
{
    int k = (w->index * 7 + i) % N_USERS;
    const truth *u = &users[k];
    const char *path = NULL, *body = NULL, *method = "GET", *email = NULL;
    int kind = i % 4;
    char buf[512];
    switch (kind) {
    case 0:
        snprintf(buf, sizeof buf, "/api/%s?name=User%%20%d", R("users"), k);
        break;
    case 1:
        snprintf(buf, sizeof buf, "/api/%s/%s", R("users"), u->id);
        break;
    case 2:
        snprintf(buf, sizeof buf, "/api/%s?user_id=%s&limit=100", R("orders"), u->id);
        break;
    default:
        snprintf(buf, sizeof buf, "/api/%s", R("users"));
        method = "POST";
        email = arena_sprintf(a, "pgb-%d-%d@example.com", w->index, i);
        body = arena_sprintf(a, "{\"email\": \"%s\", \"name\": \"New\"}", email);
        break;
    }
    path = arena_strdup(a, buf);
    const char *headers[] = {"Content-Type: application/json", NULL};
    ts_response *r = ts_http(a, API.srv.port, method, path, headers, body,
                             body ? strlen(body) : 0, 30000);
    if (r->status >= 500 || r->status == 0) {
        w->server_errors++;
        note(w, "%s answered %s", path, r->body);
        return;
    }
    json_t *j = json_loads(r->body, 0, NULL);
    bool right = false;
    if (kind == 0) {
        json_t *d = r->status == 200 && j ? data_of(j) : NULL;
        right = d && json_array_size(d) == 1 &&
                strcmp(json_string_value(json_object_get(json_array_get(d, 0), "email")),
                       u->email) == 0;
    } else if (kind == 1) {
        right = r->status == 200 && j &&
                json_is_string(json_object_get(j, "email")) &&
                strcmp(json_string_value(json_object_get(j, "email")), u->email) == 0 &&
                strcmp(json_string_value(json_object_get(j, "id")), u->id) == 0;
    } else if (kind == 2) {
        json_t *d = r->status == 200 && j ? data_of(j) : NULL;
        right = d && (long) json_array_size(d) == u->orders;
        for (size_t x = 0; right && x < json_array_size(d); x++)
            right = strcmp(json_string_value(json_object_get(json_array_get(d, x), "user_id")),
                           u->id) == 0;
    } else {
        right = r->status == 201 && j && json_is_string(json_object_get(j, "email")) &&
                strcmp(json_string_value(json_object_get(j, "email")), email) == 0;
        if (right)
            w->created++;
    }
    if (!right) {
        w->wrong++;
        note(w, "%s: wrong answer %s", path, r->body);
    }
    json_decref(j);
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    double deadline = ts_now() + 60;
    for (int i = 0; i < PER_THREAD && ts_now() < deadline; i++) {
        arena *a = arena_create(NULL, "pgbouncer request");
        one(w, a, i);
        arena_destroy(a);
    }
    return NULL;
}

static void test_mixed_load_through_pgbouncer(void **state)
{
    (void) state;
    /* The truth: users "User k" with k mod 4 orders each, written in two
     * statements straight to PostgreSQL. */
    const char *rows = sql("INSERT INTO %s (email, name, age) SELECT 'user' || k || "
                           "'@example.com', 'User ' || k, k FROM generate_series(0, %d) k "
                           "RETURNING age, id",
                           R("users"), N_USERS - 1);
    for (const char *p = rows; p && *p;) {
        int k = atoi(p);
        const char *bar = strchr(p, '|');
        assert_non_null(bar);
        assert_true(k >= 0 && k < N_USERS);
        snprintf(users[k].id, sizeof users[k].id, "%.36s", bar + 1);
        snprintf(users[k].email, sizeof users[k].email, "user%d@example.com", k);
        users[k].orders = k % 4;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    sql_exec("INSERT INTO %s (user_id, total) SELECT u.id, o FROM %s u, generate_series(1, 3) o "
             "WHERE o <= u.age %% 4",
             R("orders"), R("users"));

    worker w[N_THREADS];
    pthread_t t[N_THREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < N_THREADS; i++) {
        w[i].index = i;
        pthread_create(&t[i], NULL, run_worker, &w[i]);
    }
    int wrong = 0, errors = 0, created = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(t[i], NULL);
        wrong += w[i].wrong;
        errors += w[i].server_errors;
        created += w[i].created;
        if (w[i].first_problem[0])
            printf("worker %d: %s\n", i, w[i].first_problem);
    }
    printf("through PgBouncer: %d requests, %d wrong answers, %d 5xx, %d created\n",
           N_THREADS * PER_THREAD, wrong, errors, created);
    assert_int_equal(wrong, 0);
    assert_int_equal(errors, 0);
    /* Every 201 is a row, and no other row appeared. */
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'pgb-%%'", R("users")),
                     created);

    api_reply *r = GET("/health/pool");
    EXPECT_STATUS(r, 200);
    assert_true(json_is_true(json_object_get(r->body, "behind_pooler")));
    assert_int_equal(jint(r->body, "result_mismatches"), 0);
}

static int group_setup(void **state)
{
    (void) state;
    setenv("RETORT_TEST_VIA_PGBOUNCER", "prepared", 1);
    return api_group_setup("opb_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mixed_load_through_pgbouncer, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
