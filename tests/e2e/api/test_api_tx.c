/*
 * POST /api/transaction (SPEC.md §2 "Transaction document", "Precise
 * rules"): create/update/delete/query operations with $ref and $add in one
 * session and one transaction; later operations see earlier ones; a
 * failing operation leaves nothing committed and is named by its index;
 * unknown op / $ref / isolation_level are 400; concurrent SERIALIZABLE
 * transfers under a CHECK (balance >= 0) keep the total and apply every
 * acknowledged transfer exactly once.
 */
#include "api_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int group_setup(void **state)
{
    (void) state;
    return api_group_setup("at_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

/* sprintf into T() after replacing {users}, {orders}, {accounts} by the
 * prefixed resource names */
static const char *D(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *D(const char *fmt, ...)
{
    const char *names[] = {"users", "orders", "accounts"};
    const char *f = fmt;
    for (int i = 0; i < 3; i++) {
        const char *token = S("{%s}", names[i]);
        const char *out = "";
        for (const char *p = f;;) {
            const char *hit = strstr(p, token);
            if (!hit) {
                out = S("%s%s", out, p);
                break;
            }
            out = S("%s%.*s%s", out, (int) (hit - p), p, R(names[i]));
            p = hit + strlen(token);
        }
        f = out;
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vsprintf(T(), f, ap);
    va_end(ap);
    return text;
}

static api_reply *tx(const char *doc)
{
    return POST("/api/transaction", doc);
}

/* A new account with this balance (SQL, not the API); returns its id. */
static long long account(const char *owner, const char *balance)
{
    return sql_int("INSERT INTO %s (owner, balance) VALUES ('%s', %s) RETURNING id", R("accounts"),
                   owner, balance);
}

static json_t *result(const api_reply *r, size_t i)
{
    json_t *results = jget(r->body, "results");
    if (!json_is_array(results) || i >= json_array_size(results))
        fail_msg("no results[%zu] in %s", i, r->raw->body);
    return json_array_get(results, i);
}

static void expect_operation(const api_reply *r, int index)
{
    json_t *op = json_object_get(r->body, "operation");
    if (!json_is_integer(op) || json_integer_value(op) != index)
        fail_msg("expected \"operation\": %d in %s", index, r->raw->body);
}

/* Every pointer of the problem is under /operations/i/. */
static void expect_pointers_under(const api_reply *r, int index)
{
    const char *prefix = S("/operations/%d/", index);
    json_t *errors = json_object_get(r->body, "errors");
    size_t i;
    json_t *it;
    json_array_foreach(errors, i, it)
    {
        const char *p = json_string_value(json_object_get(it, "pointer"));
        if (p && strncmp(p, prefix, strlen(prefix)) != 0)
            fail_msg("pointer %s is not under %s: %s", p, prefix, r->raw->body);
    }
}

static void test_all_operations(void **state)
{
    (void) state;
    long long a = account("tx-a", "100.00"), b = account("tx-b", "50.00");
    long long gone = account("tx-gone", "0");
    const char *doc =
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"tx1@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"ref\": \"o\", \"values\": "
          "{\"user_id\": "
          "{\"$ref\": \"u.id\"}, \"total\": \"10.00\"}},"
          "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
          "{\"balance\": "
          "{\"$add\": -10}}},"
          "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
          "{\"balance\": "
          "{\"$add\": \"10.00\"}}},"
          "{\"op\": \"query\", \"resource\": \"{users}\", \"query\": {\"where\": {\"email\": "
          "\"tx1@x.org\"}, \"options\": [{\"selectinload\": \"orders\"}], \"count\": true}},"
          "{\"op\": \"update\", \"resource\": \"{orders}\", \"id\": {\"$ref\": \"o.id\"}, "
          "\"values\": "
          "{\"status\": \"paid\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"ref\": \"o2\", \"values\": "
          "{\"user_id\": "
          "{\"$ref\": \"u.id\"}, \"total\": \"99.00\"}},"
          "{\"op\": \"delete\", \"resource\": \"{orders}\", \"id\": {\"$ref\": \"o2.id\"}},"
          "{\"op\": \"delete\", \"resource\": \"{accounts}\", \"id\": %lld},"
          "{\"op\": \"query\", \"resource\": \"{orders}\", \"query\": {\"where\": {\"user\": "
          "{\"has\": "
          "{\"email\": \"tx1@x.org\"}}}}}"
          "]}",
          a, b, gone);
    api_reply *r = tx(doc);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jget(r->body, "results")), 10);
    json_t *u = result(r, 0), *o = result(r, 1);
    const char *uid = jstr(u, "id");
    assert_string_equal(jstr(u, "email"), "tx1@x.org");
    assert_non_null(json_object_get(u, "created_at")); /* server default in the DTO */
    assert_string_equal(jstr(o, "user_id"), uid);      /* $ref */
    assert_string_equal(jstr(o, "status"), "pending");
    /* $add: the DTO shows the new balances */
    json_t *ba = jget(result(r, 2), "balance"), *bb = jget(result(r, 3), "balance");
    if (!(json_is_string(ba) && strcmp(json_string_value(ba), "90.00") == 0))
        fail_msg("balance of a after $add -10: %s", J(ba));
    if (!(json_is_string(bb) && strcmp(json_string_value(bb), "60.00") == 0))
        fail_msg("balance of b after $add 10.00: %s", J(bb));
    /* the query sees the earlier operations (the list envelope) */
    json_t *q = result(r, 4);
    json_t *data = jget(q, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(jstr(json_array_get(data, 0), "id"), uid);
    assert_int_equal(json_array_size(jget(json_array_get(data, 0), "orders")), 1);
    assert_int_equal(jint(jget(q, "meta"), "count"), 1);
    /* update by $ref; version bumped */
    assert_string_equal(jstr(result(r, 5), "status"), "paid");
    assert_int_equal(jint(result(r, 5), "version"), 2);
    /* delete */
    assert_true(json_is_true(jget(result(r, 7), "deleted")));
    assert_true(json_is_true(jget(result(r, 8), "deleted")));
    /* the last query sees the deletion */
    assert_int_equal(json_array_size(jget(result(r, 9), "data")), 1);

    /* committed */
    assert_string_equal(sql("SELECT o.status || '|' || o.total || '|' || o.version FROM %s o "
                            "JOIN %s u ON u.id = o.user_id WHERE u.email = 'tx1@x.org'",
                            R("orders"), R("users")),
                        "paid|10.00|2");
    assert_string_equal(sql("SELECT string_agg(balance::text, ',' ORDER BY id) FROM %s WHERE id "
                            "IN (%lld, %lld, %lld)",
                            R("accounts"), a, b, gone),
                        "90.00,60.00");
}

static void test_failure_commits_nothing(void **state)
{
    (void) state;
    /* a unique violation at operation 2 */
    const char *doc =
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": "
          "\"tf1@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"b\", \"values\": "
          "{\"email\": \"tf2@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": "
          "\"tf1@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": "
          "\"tf3@x.org\"}}"
          "]}");
    api_reply *r = tx(doc);
    EXPECT_PROBLEM(r, 409, "/operations/2/values/email");
    EXPECT_NO_SQL(r);
    expect_operation(r, 2);
    expect_pointers_under(r, 2);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'tf%%'", R("users")), 0);

    /* validation (422) at operation 2 */
    doc =
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"tf4@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"u.id\"}, \"total\": \"1.00\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"u.id\"}, \"status\": \"lost\", \"bogus\": 1}}"
          "]}");
    r = tx(doc);
    EXPECT_PROBLEM(r, 422, "/operations/2/values/status");
    EXPECT_POINTERS(r, "/operations/2/values/bogus");
    expect_operation(r, 2);
    expect_pointers_under(r, 2);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'tf4@x.org'", R("users")), 0);

    /* a CHECK violation at operation 2: 422 pointing at the checked column */
    long long a = account("tf-a", "5.00"), b = account("tf-b", "5.00");
    doc =
        D("{\"operations\": ["
          "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
          "{\"balance\": {\"$add\": 1}}},"
          "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": \"tf5@x.org\"}},"
          "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
          "{\"balance\": {\"$add\": -6}}}"
          "]}",
          a, b);
    r = tx(doc);
    EXPECT_PROBLEM(r, 422, "/operations/2/values/balance");
    EXPECT_NO_SQL(r);
    expect_operation(r, 2);
    assert_string_equal(sql("SELECT string_agg(balance::text, ',' ORDER BY id) FROM %s WHERE id "
                            "IN (%lld, %lld)",
                            R("accounts"), a, b),
                        "5.00,5.00");
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'tf5@x.org'", R("users")), 0);

    /* an unknown id at operation 2: 404 */
    doc = D("{\"operations\": ["
            "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
            "{\"balance\": {\"$add\": 1}}},"
            "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, \"values\": "
            "{\"balance\": {\"$add\": 1}}},"
            "{\"op\": \"delete\", \"resource\": \"{accounts}\", \"id\": 987654321}"
            "]}",
            a, b);
    r = tx(doc);
    EXPECT_PROBLEM(r, 404, NULL);
    expect_operation(r, 2);
    assert_string_equal(sql("SELECT string_agg(balance::text, ',' ORDER BY id) FROM %s WHERE id "
                            "IN (%lld, %lld)",
                            R("accounts"), a, b),
                        "5.00,5.00");

    /* a query error at operation 2: pointers continue into the query */
    doc =
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": \"tf6@x.org\"}},"
          "{\"op\": \"query\", \"resource\": \"{users}\", \"query\": {}},"
          "{\"op\": \"query\", \"resource\": \"{users}\", \"query\": {\"where\": {\"nope\": 1}}}"
          "]}");
    r = tx(doc);
    EXPECT_PROBLEM(r, 400, "/operations/2/query/where/nope");
    expect_operation(r, 2);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'tf6@x.org'", R("users")), 0);

    /* a delete of a referenced row at operation 2: 409 */
    doc =
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"tf7@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"u.id\"}}},"
          "{\"op\": \"delete\", \"resource\": \"{users}\", \"id\": {\"$ref\": \"u.id\"}}"
          "]}");
    r = tx(doc);
    /* SPEC: a foreign-key violation on DELETE is a 409 without a pointer */
    EXPECT_PROBLEM(r, 409, NULL);
    EXPECT_NO_SQL(r);
    expect_operation(r, 2);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'tf7@x.org'", R("users")), 0);
    EXPECT_PROBLEM(r, 409, API_NO_POINTER);
}

static void test_bad_documents(void **state)
{
    (void) state;
    const char *users = R("users");
    /* unknown op */
    api_reply *r = tx(S("{\"operations\": [{\"op\": \"upsert\", \"resource\": \"%s\", "
                        "\"values\": {\"email\": \"bd1@x.org\"}}]}",
                        users));
    EXPECT_PROBLEM(r, 400, "/operations/0/op");
    expect_operation(r, 0);
    /* unknown $ref (no such ref; a ref declared later; a field it lacks) */
    r = tx(
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"bd2@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"nobody.id\"}}}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/1/values/user_id");
    expect_operation(r, 1);
    r = tx(
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"u.id\"}}},"
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"bd3@x.org\"}}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/0/values/user_id");
    expect_operation(r, 0);
    r = tx(
        D("{\"operations\": ["
          "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": {\"email\": "
          "\"bd4@x.org\"}},"
          "{\"op\": \"create\", \"resource\": \"{orders}\", \"values\": {\"user_id\": {\"$ref\": "
          "\"u.nope\"}}}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/1/values/user_id");
    /* unknown isolation level */
    r = tx(S("{\"isolation_level\": \"CHAOTIC\", \"operations\": [{\"op\": \"query\", "
             "\"resource\": \"%s\"}]}",
             users));
    EXPECT_PROBLEM(r, 400, "/isolation_level");
    /* unknown resource */
    r = tx("{\"operations\": [{\"op\": \"query\", \"resource\": \"no_such_resource\"}]}");
    EXPECT_PROBLEM(r, 404, NULL);
    /* a body of the wrong JSON type */
    r = tx("[]");
    EXPECT_PROBLEM(r, 422, NULL);
    /* $add on a column that cannot add */
    r = tx(S("{\"operations\": [{\"op\": \"create\", \"resource\": \"%s\", \"values\": "
             "{\"email\": {\"$add\": 1}}}]}",
             users));
    EXPECT_PROBLEM(r, 422, "/operations/0/values/email");
    /* malformed JSON */
    r = tx("{\"operations\": [");
    EXPECT_PROBLEM(r, 400, NULL);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'bd%%'", users), 0);

    /* every isolation level is accepted */
    const char *levels[] = {"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"};
    for (int i = 0; i < 3; i++) {
        r = tx(S("{\"isolation_level\": \"%s\", \"operations\": [{\"op\": \"create\", "
                 "\"resource\": \"%s\", \"values\": {\"email\": \"iso%d@x.org\"}}]}",
                 levels[i], users, i));
        EXPECT_STATUS(r, 200);
    }
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'iso%%'", users), 3);
}

/* ---- concurrent transfers ------------------------------------------------------- */

enum { N_ACCOUNTS = 5, N_THREADS = 4, N_TRANSFERS = 25 };

typedef struct transfer {
    int from, to; /* indexes into ids */
    long cents;
    int status;    /* HTTP status; 0 = not sent or no answer */
    char type[48]; /* problem type when not 200 */
    char body[256];
} transfer;

typedef struct worker {
    int port;
    const char *resource;
    long long *ids;
    unsigned seed;
    double deadline;
    transfer t[N_TRANSFERS];
} worker;

static void *transfer_thread(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < N_TRANSFERS && ts_now() < w->deadline; i++) {
        transfer *t = &w->t[i];
        t->from = (int) (rand_r(&w->seed) % N_ACCOUNTS);
        t->to = (int) ((t->from + 1 + rand_r(&w->seed) % (N_ACCOUNTS - 1)) % N_ACCOUNTS);
        t->cents = 1 + (long) (rand_r(&w->seed) % 6000);
        arena *a = arena_create(NULL, "transfer");
        /* amounts as a JSON number when whole, else a decimal string */
        const char *minus, *plus;
        if (t->cents % 100 == 0) {
            minus = arena_sprintf(a, "%ld", -t->cents / 100);
            plus = arena_sprintf(a, "%ld", t->cents / 100);
        } else {
            minus = arena_sprintf(a, "\"-%ld.%02ld\"", t->cents / 100, t->cents % 100);
            plus = arena_sprintf(a, "\"%ld.%02ld\"", t->cents / 100, t->cents % 100);
        }
        const char *doc = arena_sprintf(
            a,
            "{\"isolation_level\": \"SERIALIZABLE\", \"operations\": ["
            "{\"op\": \"update\", \"resource\": \"%s\", \"id\": %lld, \"values\": {\"balance\": "
            "{\"$add\": %s}}},"
            "{\"op\": \"update\", \"resource\": \"%s\", \"id\": %lld, \"values\": {\"balance\": "
            "{\"$add\": %s}}}]}",
            w->resource, w->ids[t->from], minus, w->resource, w->ids[t->to], plus);
        ts_response *r =
            ts_http(a, w->port, "POST", "/api/transaction", NULL, doc, strlen(doc), 20000);
        t->status = r->status;
        snprintf(t->body, sizeof t->body, "%s", r->body ? r->body : "");
        json_t *j = json_loads(r->body, 0, NULL);
        const char *type = json_string_value(json_object_get(j, "type"));
        snprintf(t->type, sizeof t->type, "%s", type ? type : "");
        json_decref(j);
        arena_destroy(a);
    }
    return NULL;
}

static long long metric(const char *text, const char *name)
{
    const char *p = text;
    size_t n = strlen(name);
    while ((p = strstr(p, name))) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
        p += n;
    }
    return -1;
}

static void test_concurrent_transfers(void **state)
{
    (void) state;
    long long ids[N_ACCOUNTS];
    long balance[N_ACCOUNTS];
    for (int i = 0; i < N_ACCOUNTS; i++) {
        ids[i] = account(S("bank-%d", i), "100.00");
        balance[i] = 10000;
    }
    api_reply *m0 = GET("/metrics");
    EXPECT_STATUS(m0, 200);
    long long retries_before = metric(m0->raw->body, "retort_transaction_retries_total");

    static worker w[N_THREADS];
    pthread_t th[N_THREADS];
    double deadline = ts_now() + 40;
    for (int i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].port = API.srv.port;
        w[i].resource = R("accounts");
        w[i].ids = ids;
        w[i].seed = 1234u + (unsigned) i * 7919u;
        w[i].deadline = deadline;
        pthread_create(&th[i], NULL, transfer_thread, &w[i]);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(th[i], NULL);

    int ok = 0, serialization = 0, check = 0, sent = 0, bad = 0;
    for (int i = 0; i < N_THREADS; i++) {
        for (int k = 0; k < N_TRANSFERS; k++) {
            transfer *t = &w[i].t[k];
            if (t->status == 0 && t->cents == 0)
                continue; /* not sent: deadline */
            sent++;
            if (t->status == 200) {
                ok++;
                balance[t->from] -= t->cents;
                balance[t->to] += t->cents;
            } else if (t->status == 409 && (strcmp(t->type, "serialization-failure") == 0 ||
                                            strcmp(t->type, "deadlock-detected") == 0)) {
                serialization++;
            } else if (t->status == 422) {
                check++;
            } else {
                print_error("transfer %d/%d (%d -> %d, %ld cents): %d %s\n", i, k, t->from, t->to,
                            t->cents, t->status, t->body);
                bad++;
            }
        }
    }
    printf("transfers: %d sent, %d applied, %d serialization failures, %d check violations\n", sent,
           ok, serialization, check);
    assert_int_equal(bad, 0);
    assert_int_equal(sent, N_THREADS * N_TRANSFERS);
    assert_true(ok > 0);

    /* the total is unchanged and every acknowledged transfer applied once */
    const char *in = "";
    for (int i = 0; i < N_ACCOUNTS; i++)
        in = S("%s%s%lld", in, i ? "," : "", ids[i]);
    assert_int_equal(
        sql_int("SELECT (sum(balance) * 100)::bigint FROM %s WHERE id IN (%s)", R("accounts"), in),
        10000LL * N_ACCOUNTS);
    const char *expect = "";
    for (int i = 0; i < N_ACCOUNTS; i++)
        expect = S("%s%s%ld", expect, i ? "," : "", balance[i]);
    assert_string_equal(sql("SELECT string_agg(((balance * 100)::bigint)::text, ',' ORDER BY id) "
                            "FROM %s WHERE id IN (%s)",
                            R("accounts"), in),
                        expect);
    assert_int_equal(
        sql_int("SELECT count(*) FROM %s WHERE id IN (%s) AND balance < 0", R("accounts"), in), 0);

    /* a 409 after the last retry means session.retry_attempts (3) replays */
    api_reply *m1 = GET("/metrics");
    EXPECT_STATUS(m1, 200);
    long long retries = metric(m1->raw->body, "retort_transaction_retries_total");
    assert_true(retries >= 0 && retries_before >= 0);
    printf("transaction retries: %lld\n", retries - retries_before);
    assert_true(retries - retries_before >= 3LL * serialization);
}

/* A serialization failure after the last retry: 409 serialization-failure
 * with Retry-After, nothing applied. Forced with retry_attempts 0 and a
 * row updated by a concurrent SERIALIZABLE transaction held open in psql. */
static void test_serialization_failure_reply(void **state)
{
    (void) state;
    ts_server s2;
    const char *env[] = {"RETORT_SESSION_RETRY_ATTEMPTS=0", NULL};
    assert_true(api_server_start(&s2, env));
    long long a = account("sf-a", "10.00");
    /* The new server's first connection (and, behind PgBouncer, its pooler
     * check) is made now, not inside psql's window below. */
    api_reply *warm = api_call_port(s2.port, "GET", S("/api/%s", R("accounts")), NULL, 0, NULL,
                                    20000);
    EXPECT_STATUS(warm, 200);
    /* psql updates a and holds its row lock for 6 s before committing;
     * once it sleeps, the API transaction reads a under SERIALIZABLE, then
     * waits on the lock and fails with 40001 when psql commits. */
    /* The application name is this table's own: the variants of this test
     * (direct, behind PgBouncer) run side by side on one cluster, and
     * another one's psql asleep must not count as ours. */
    const char *lock_app = S("retort_lock_%s", R("accounts"));
    int rc = ts_system("PGAPPNAME=%s psql -X -q '%s' -c \"BEGIN; UPDATE %s SET "
                       "balance = balance + 1 WHERE id = %lld; SELECT pg_sleep(6); COMMIT;\" "
                       ">/dev/null 2>&1 &",
                       lock_app, ts_database_url(), R("accounts"), a);
    assert_int_equal(rc, 0);
    double until = ts_now() + 10;
    while (sql_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s' AND "
                   "wait_event = 'PgSleep'",
                   lock_app) == 0) {
        if (ts_now() > until)
            fail_msg("the locking psql session never reached pg_sleep");
        ts_sleep_ms(50);
    }
    const char *doc = D("{\"isolation_level\": \"SERIALIZABLE\", \"operations\": ["
                        "{\"op\": \"update\", \"resource\": \"{accounts}\", \"id\": %lld, "
                        "\"values\": {\"balance\": {\"$add\": 5}}}]}",
                        a);
    api_reply *r =
        api_call_port(s2.port, "POST", "/api/transaction", doc, strlen(doc), NULL, 20000);
    int stop = ts_server_stop(&s2);
    if (stop != 0)
        ts_server_dump_log(&s2);
    unlink(s2.log_path);
    EXPECT_PROBLEM(r, 409, NULL);
    assert_string_equal(jstr(r->body, "type"), "serialization-failure");
    assert_non_null(ts_header_get(r->raw, "Retry-After"));
    EXPECT_NO_SQL(r);
    /* psql's +1 only (it has committed: the failure came from its commit) */
    assert_string_equal(sql("SELECT balance FROM %s WHERE id = %lld", R("accounts"), a), "11.00");
    assert_int_equal(stop, 0);
}

/* Bulk writes as operations (issue 13 item 3): bulk_create (and its
 * upsert), bulk_update and bulk_delete in the document's session, with
 * $ref, seeing earlier operations, keeping the identity map honest, and
 * all undone when a later step fails. */
static void test_bulk_operations(void **state)
{
    (void) state;
    api_reply *r = tx(D(
        "{\"operations\": ["
        "{\"op\": \"create\", \"resource\": \"{users}\", \"ref\": \"u\", \"values\": "
        "{\"email\": \"bo@x.org\"}},"
        "{\"op\": \"bulk_create\", \"resource\": \"{orders}\", \"rows\": ["
        "{\"user_id\": {\"$ref\": \"u.id\"}, \"total\": \"1.00\"},"
        "{\"user_id\": {\"$ref\": \"u.id\"}, \"total\": \"2.00\"},"
        "{\"user_id\": {\"$ref\": \"u.id\"}, \"total\": \"3.00\"}]},"
        "{\"op\": \"bulk_update\", \"resource\": \"{orders}\", \"where\": {\"user_id\": "
        "{\"$ref\": \"u.id\"}, \"total\": {\"ge\": \"2.00\"}}, \"values\": {\"status\": \"paid\"}},"
        "{\"op\": \"query\", \"resource\": \"{orders}\", \"query\": {\"where\": {\"user_id\": "
        "{\"$ref\": \"u.id\"}}, \"order_by\": [\"total\"]}},"
        "{\"op\": \"bulk_delete\", \"resource\": \"{orders}\", \"where\": {\"status\": "
        "\"pending\", \"user_id\": {\"$ref\": \"u.id\"}}}]}"));
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(result(r, 1), "inserted"), 3);
    assert_int_equal(jint(result(r, 2), "updated"), 2);
    json_t *page = jget(result(r, 3), "data");
    assert_int_equal(json_array_size(page), 3);
    assert_string_equal(jstr(json_array_get(page, 2), "status"), "paid");
    assert_int_equal(jint(json_array_get(page, 2), "version"), 2); /* bulk update: + 1 */
    assert_int_equal(jint(result(r, 4), "deleted"), 1);
    const char *uid = jstr(result(r, 0), "id");
    assert_string_equal(sql("SELECT string_agg(total || ':' || status || ':' || version, ',' "
                            "ORDER BY total) FROM %s WHERE user_id = '%s'",
                            R("orders"), uid),
                        "2.00:paid:2,3.00:paid:2");

    /* an instance the session holds is read again after a bulk update: the
     * update by id sees version 2, not a stale 1 */
    const char *oid = sql("SELECT id FROM %s WHERE user_id = '%s' AND total = 2", R("orders"), uid);
    r = tx(D("{\"operations\": ["
             "{\"op\": \"update\", \"resource\": \"{orders}\", \"id\": \"%s\", \"values\": "
             "{\"note\": \"a\"}},"
             "{\"op\": \"bulk_update\", \"resource\": \"{orders}\", \"where\": {\"id\": \"%s\"}, "
             "\"values\": {\"status\": \"shipped\"}},"
             "{\"op\": \"update\", \"resource\": \"{orders}\", \"id\": \"%s\", \"values\": "
             "{\"note\": \"b\"}}]}",
             oid, oid, oid));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(result(r, 2), "status"), "shipped");
    assert_string_equal(jstr(result(r, 2), "note"), "b");
    assert_int_equal(jint(result(r, 2), "version"), 5);

    /* upsert rows */
    r = tx(D("{\"operations\": [{\"op\": \"bulk_create\", \"resource\": \"{users}\", "
             "\"on_conflict\": {\"target\": [\"email\"], \"update\": [\"name\"]}, \"rows\": ["
             "{\"email\": \"bo@x.org\", \"name\": \"Again\"}, {\"email\": \"bo2@x.org\"}]}]}"));
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(result(r, 0), "inserted"), 1);
    assert_int_equal(jint(result(r, 0), "updated"), 1);
    assert_string_equal(sql("SELECT name FROM %s WHERE email = 'bo@x.org'", R("users")), "Again");
}

static void test_bulk_operations_fail_whole(void **state)
{
    (void) state;
    EXPECT_STATUS(POST(S("/api/%s", R("users")), "{\"email\": \"bf-stored@x.org\"}"), 201);
    long long before = sql_int("SELECT count(*) FROM %s", R("users"));
    /* a unique violation in the fourth step: the row, under its operation */
    api_reply *r = tx(D(
        "{\"operations\": ["
        "{\"op\": \"create\", \"resource\": \"{users}\", \"values\": {\"email\": \"bf0@x.org\"}},"
        "{\"op\": \"bulk_create\", \"resource\": \"{users}\", \"rows\": [{\"email\": "
        "\"bf1@x.org\"}, {\"email\": \"bf2@x.org\"}]},"
        "{\"op\": \"bulk_update\", \"resource\": \"{users}\", \"where\": {\"email\": {\"like\": "
        "\"bf%%\"}}, \"values\": {\"name\": \"changed\"}},"
        "{\"op\": \"bulk_create\", \"resource\": \"{users}\", \"rows\": [{\"email\": "
        "\"bf3@x.org\"}, {\"email\": \"bf-stored@x.org\"}]}]}"));
    EXPECT_PROBLEM(r, 409, "/operations/3/rows/1/email");
    expect_operation(r, 3);
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s", R("users")), before);

    /* every bad row of a bulk_create, under its operation */
    r = tx(D("{\"operations\": [{\"op\": \"bulk_create\", \"resource\": \"{users}\", \"rows\": ["
             "{\"email\": \"ok@x.org\"}, {\"email\": 5}, {\"name\": \"no email\"}]}]}"));
    EXPECT_PROBLEM(r, 422, NULL);
    EXPECT_POINTERS(r, "/operations/0/rows/1/email", "/operations/0/rows/2/email");
    expect_pointers_under(r, 0);
    /* a where is required and non-empty; keys are checked per op */
    r = tx(D("{\"operations\": [{\"op\": \"bulk_delete\", \"resource\": \"{users}\", "
             "\"where\": {}}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/0/where");
    r = tx(D("{\"operations\": [{\"op\": \"bulk_update\", \"resource\": \"{users}\", "
             "\"where\": {\"nope\": 1}, \"values\": {\"name\": \"x\"}}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/0/where/nope");
    r = tx(D("{\"operations\": [{\"op\": \"bulk_delete\", \"resource\": \"{users}\", "
             "\"where\": {\"email\": \"x\"}, \"rows\": []}]}"));
    EXPECT_PROBLEM(r, 400, "/operations/0/rows");
    /* a foreign key still pointing at a row a bulk_delete removes: 409 */
    const char *uid = jstr(POST(S("/api/%s", R("users")), "{\"email\": \"bfk@x.org\"}")->body, "id");
    EXPECT_STATUS(POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\"}", uid)), 201);
    r = tx(D("{\"operations\": [{\"op\": \"bulk_delete\", \"resource\": \"{users}\", "
             "\"where\": {\"email\": \"bfk@x.org\"}}]}"));
    EXPECT_PROBLEM(r, 409, NULL);
    expect_operation(r, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_operations, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_operations_fail_whole, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_all_operations, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_failure_commits_nothing, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_documents, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_transfers, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_serialization_failure_reply, api_test_setup,
                                        api_test_teardown),
    };
    return cmocka_run_group_tests_name("e2e api transactions", tests, group_setup, group_teardown);
}
