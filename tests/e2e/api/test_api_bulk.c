/*
 * Bulk writes through Core (SPEC.md §2 routes, "Precise rules"): 5,000-row
 * inserts, ?returning=id in input order, all rows or none; bulk update
 * with a required where. Hostile bodies (malformed, truncated, invalid
 * UTF-8, 10,000 levels deep, too many nodes, oversized) are refused fast
 * and leave the server healthy with no connection checked out. /metrics.
 */
#include "api_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int group_setup(void **state)
{
    (void) state;
    return api_group_setup("ab_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

/* A growing buffer in T(). */
typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = arena_realloc(T(), b->p, b->len, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* ---- bulk insert --------------------------------------------------------------- */

static void test_bulk_insert_5000(void **state)
{
    (void) state;
    buf b = {0};
    put(&b, "[");
    for (int i = 0; i < 5000; i++) {
        char row[160];
        snprintf(row, sizeof row,
                 "%s{\"title\": \"bulk-%05d\", \"year\": %d, \"price\": \"%d.%02d\"%s}",
                 i ? "," : "", i, 1900 + i % 120, i % 100, i % 97,
                 i % 3 == 0 ? ", \"in_print\": true" : "");
        put(&b, row);
    }
    put(&b, "]");
    double t0 = ts_now();
    api_reply *r = POST(S("/api/%s/bulk", R("books")), b.p);
    double took = ts_now() - t0;
    EXPECT_STATUS(r, 201);
    printf("bulk insert of 5000 rows: %.3f s, X-Query-Count %s\n", took,
           ts_header_get(r->raw, "X-Query-Count") ? ts_header_get(r->raw, "X-Query-Count") : "-");
    assert_int_equal(jint(r->body, "inserted"), 5000);
    assert_null(json_object_get(r->body, "ids")); /* only with ?returning=id */
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE title LIKE 'bulk-%%'", R("books")),
                     5000);
    /* values arrived intact (spot checks) and absent keys are NULL */
    assert_string_equal(sql("SELECT year || '|' || price || '|' || coalesce(in_print::text, "
                            "'null') FROM %s WHERE title IN ('bulk-00000', 'bulk-04999', "
                            "'bulk-00301') ORDER BY title",
                            R("books")),
                        "1900|0.00|true\n1961|1.10|null\n1979|99.52|null");
    /* thousands of rows per request, not one statement per row */
    const char *qc = ts_header_get(r->raw, "X-Query-Count");
    if (qc)
        assert_true(strtol(qc, NULL, 10) <= 50);
}

static void test_bulk_returning_ids_in_order(void **state)
{
    (void) state;
    buf b = {0};
    put(&b, "[");
    /* titles deliberately not in id order when sorted */
    for (int i = 0; i < 12; i++) {
        char row[96];
        snprintf(row, sizeof row, "%s{\"title\": \"ret-%c-%02d\"}", i ? "," : "", "zyxwvutsrqpo"[i],
                 i);
        put(&b, row);
    }
    put(&b, "]");
    api_reply *r = POST(S("/api/%s/bulk?returning=id", R("books")), b.p);
    EXPECT_STATUS(r, 201);
    assert_int_equal(jint(r->body, "inserted"), 12);
    json_t *ids = jget(r->body, "ids");
    assert_int_equal(json_array_size(ids), 12);
    for (int i = 0; i < 12; i++) {
        json_t *id = json_array_get(ids, (size_t) i);
        assert_true(json_is_integer(id));
        assert_string_equal(sql("SELECT title FROM %s WHERE id = %lld", R("books"),
                                (long long) json_integer_value(id)),
                            S("ret-%c-%02d", "zyxwvutsrqpo"[i], i));
    }
    /* uuid keys, server-generated */
    r = POST(S("/api/%s/bulk?returning=id", R("users")),
             "[{\"email\": \"br-2@x.org\"}, {\"email\": \"br-0@x.org\"}, {\"email\": "
             "\"br-1@x.org\", \"name\": \"one\"}]");
    EXPECT_STATUS(r, 201);
    ids = jget(r->body, "ids");
    assert_int_equal(json_array_size(ids), 3);
    const char *emails[] = {"br-2@x.org", "br-0@x.org", "br-1@x.org"};
    for (int i = 0; i < 3; i++) {
        assert_true(json_is_string(json_array_get(ids, (size_t) i)));
        assert_string_equal(sql("SELECT email FROM %s WHERE id = '%s'", R("users"),
                                json_string_value(json_array_get(ids, (size_t) i))),
                            emails[i]);
    }
    /* unknown query parameter */
    r = POST(S("/api/%s/bulk?returning=everything", R("books")), "[{\"title\": \"x\"}]");
    EXPECT_PROBLEM(r, 400, "/returning");
    /* client defaults are applied to bulk rows too (active defaults to true) */
    assert_string_equal(sql("SELECT string_agg(coalesce(active::text, 'null'), ',') FROM %s "
                            "WHERE email LIKE 'br-%%'",
                            R("users")),
                        "true,true,true");
}

static void test_bulk_all_or_nothing(void **state)
{
    (void) state;
    const char *path = S("/api/%s/bulk", R("books"));
    const char *rows[] = {
        "{\"title\": 42}",                            /* wrong type */
        "{\"year\": 1999}",                           /* title missing */
        "{\"title\": \"ok\", \"bogus\": 1}",          /* unknown field */
        "{\"title\": \"ok\", \"price\": \"12.345\"}", /* scale */
    };
    const char *pointers[] = {"/3/title", "/3/title", "/3/bogus", "/3/price"};
    for (int k = 0; k < 4; k++) {
        buf b = {0};
        put(&b, "[");
        for (int i = 0; i < 6; i++) {
            put(&b, i ? "," : "");
            put(&b, i == 3 ? rows[k] : S("{\"title\": \"bad-%d-%d\"}", k, i));
        }
        put(&b, "]");
        api_reply *r = POST(path, b.p);
        EXPECT_PROBLEM(r, 422, pointers[k]);
    }
    assert_int_equal(
        sql_int("SELECT count(*) FROM %s WHERE title LIKE 'bad-%%' OR title = 'ok'", R("books")),
        0);

    /* a database-level failure in a later batch undoes the earlier ones:
     * 2,500 users, the last one a duplicate of the first */
    buf b = {0};
    put(&b, "[");
    for (int i = 0; i < 2500; i++) {
        char row[64];
        snprintf(row, sizeof row, "%s{\"email\": \"bd-%04d@x.org\"}", i ? "," : "",
                 i == 2499 ? 0 : i);
        put(&b, row);
    }
    put(&b, "]");
    api_reply *r = POST(S("/api/%s/bulk", R("users")), b.p);
    EXPECT_PROBLEM(r, 409, NULL);
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'bd-%%'", R("users")), 0);

    /* a foreign key that does not exist */
    r = POST(S("/api/%s/bulk", R("orders")),
             "[{\"user_id\": \"00000000-0000-4000-8000-000000000000\"}]");
    EXPECT_PROBLEM(r, 409, NULL);
    EXPECT_NO_SQL(r);

    /* a body that is not an array */
    r = POST(path, "{\"title\": \"x\"}");
    EXPECT_PROBLEM(r, 422, NULL);
    r = POST(path, "[1, 2]");
    EXPECT_PROBLEM(r, 422, "/0");
    r = POST("/api/no_such_resource/bulk", "[]");
    EXPECT_PROBLEM(r, 404, NULL);
}

/* ---- bulk update ---------------------------------------------------------------- */

static void test_bulk_update(void **state)
{
    (void) state;
    const char *books = R("books");
    sql_exec("INSERT INTO %s (title, year, price) SELECT 'upd-' || i, 1900 + i, 1.00 FROM "
             "generate_series(1, 20) i",
             books);
    const char *path = S("/api/%s", books);
    api_reply *r = PATCH(path, "{\"where\": {\"title\": {\"like\": \"upd-%\"}, \"year\": {\"lt\": "
                               "1908}}, \"values\": {\"price\": \"9.99\", \"in_print\": false}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "updated"), 7);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE title LIKE 'upd-%%' AND price = 9.99 "
                             "AND in_print = false",
                             books),
                     7);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE title LIKE 'upd-%%' AND price = 1.00 "
                             "AND in_print IS NULL",
                             books),
                     13);
    /* nothing matches: 0 */
    r = PATCH(path, "{\"where\": {\"title\": \"no such title\"}, \"values\": {\"year\": 1}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "updated"), 0);

    /* an empty or missing where is refused: updating every row */
    r = PATCH(path, "{\"where\": {}, \"values\": {\"price\": \"0.01\"}}");
    EXPECT_PROBLEM(r, 400, "/where");
    r = PATCH(path, "{\"values\": {\"price\": \"0.01\"}}");
    EXPECT_PROBLEM(r, 400, "/where");
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE price = 0.01", books), 0);
    /* bad where / values */
    r = PATCH(path, "{\"where\": {\"nope\": 1}, \"values\": {\"price\": \"1\"}}");
    EXPECT_PROBLEM(r, 400, "/where/nope");
    r = PATCH(path, "{\"where\": {\"year\": 1901}, \"values\": {\"bogus\": 1, \"year\": \"x\"}}");
    EXPECT_PROBLEM(r, 422, "/values/bogus");
    EXPECT_POINTERS(r, "/values/year");
    assert_int_equal(sql_int("SELECT year FROM %s WHERE title = 'upd-1'", books), 1901);
    /* a CHECK violation through Core: 422 pointing at the column */
    sql_exec("INSERT INTO %s (owner, balance) VALUES ('bu-a', 5), ('bu-b', 1)", R("accounts"));
    r = PATCH(S("/api/%s", R("accounts")),
              "{\"where\": {\"owner\": {\"like\": \"bu-%\"}}, \"values\": {\"balance\": -1}}");
    EXPECT_PROBLEM(r, 422, "/values/balance");
    EXPECT_NO_SQL(r);
    assert_string_equal(sql("SELECT string_agg(balance::text, ',' ORDER BY owner) FROM %s WHERE "
                            "owner LIKE 'bu-%%'",
                            R("accounts")),
                        "5.00,1.00");
}

/* ---- hostile bodies ------------------------------------------------------------- */

static const char *nested_arrays(int depth)
{
    char *s = arena_alloc(T(), (size_t) depth * 2 + 1);
    memset(s, '[', (size_t) depth);
    memset(s + depth, ']', (size_t) depth);
    return s;
}

/* a where document: {"and": [{"and": [ ... {"email": "x"} ... ]}]} */
static const char *nested_where(const char *op, int depth)
{
    bool array = strcmp(op, "not") != 0;
    buf b = {0};
    for (int i = 0; i < depth; i++)
        put(&b, S("{\"%s\": %s", op, array ? "[" : ""));
    put(&b, "{\"email\": \"x\"}");
    for (int i = 0; i < depth; i++)
        put(&b, array ? "]}" : "}");
    return b.p;
}

static const char *nested_and(int depth)
{
    return S("{\"where\": %s}", nested_where("and", depth));
}

static void expect_fast_400(api_reply *r)
{
    EXPECT_PROBLEM(r, 400, NULL);
    /* generous: the machine may be loaded; a refusal that parses or
     * translates the whole document the slow way takes far longer */
    if (r->raw->seconds > 5.0)
        fail_msg("%s %s took %.2f s to refuse", r->method, r->path, r->raw->seconds);
}

static void test_hostile_bodies(void **state)
{
    (void) state;
    const char *paths[] = {S("/api/%s/query", R("users")), "/api/transaction",
                           S("/api/%s/bulk", R("books")), S("/api/%s", R("users"))};
    const char *deep_arrays = nested_arrays(10000);
    const char *deep_and = nested_and(10000);
    const char *deep_objects = "";
    {
        buf b = {0};
        for (int i = 0; i < 10000; i++)
            put(&b, "{\"a\":");
        put(&b, "1");
        for (int i = 0; i < 10000; i++)
            put(&b, "}");
        deep_objects = b.p;
    }
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        const char *p = paths[k];
        expect_fast_400(POST(p, "{\"where\": {\"email\": }}"));
        expect_fast_400(POST(p, "{\"where\": {\"email\": {\"like\": \"x")); /* truncated */
        expect_fast_400(POST(p, "[{\"title\": \"a\"}, {\"title\": "));      /* truncated */
        expect_fast_400(POST(p, "{\"a\": \"\xff\xfe\"}"));                  /* not UTF-8 */
        expect_fast_400(POST(p, "{\"a\": \"\\ud800\"}"));                   /* lone surrogate */
        expect_fast_400(api_call_port(API.srv.port, "POST", p, "{\"a\": \"\0\"}", 9, NULL,
                                      30000)); /* a raw NUL in a string */
        expect_fast_400(POST(p, deep_arrays));
        expect_fast_400(POST(p, deep_and));
        expect_fast_400(POST(p, deep_objects));
    }
    /* deep but within the JSON parser's limits: the query translator
     * refuses it with a pointer into the document */
    api_reply *r = POST(paths[0], nested_and(400));
    expect_fast_400(r);
    EXPECT_POINTER_PREFIX(r, "/where");
    r = POST(paths[0], S("{\"where\": %s}", nested_where("not", 40)));
    expect_fast_400(r);
    EXPECT_POINTER_PREFIX(r, "/where");
    r = POST(paths[0], S("{\"where\": %s}", nested_where("or", 40)));
    expect_fast_400(r);
    EXPECT_POINTER_PREFIX(r, "/where");
    /* too many nodes: a 100,000-element in list */
    buf b = {0};
    put(&b, "{\"where\": {\"age\": {\"in\": [0");
    for (int i = 1; i < 100000; i++)
        put(&b, ",1");
    put(&b, "]}}}");
    r = POST(paths[0], b.p);
    expect_fast_400(r);
    /* the same documents in a transaction are pointed at inside it */
    r = POST("/api/transaction",
             S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": %s}]}",
               R("users"), nested_and(400)));
    expect_fast_400(r);
    EXPECT_POINTER_PREFIX(r, "/operations/0/query/where");
    /* and GET where= */
    r = GET(S("/api/%s?where=%s", R("users"), U(nested_where("and", 40))));
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/where");

    /* a body shorter than its Content-Length, then the client goes away:
     * no answer is owed, but the server must not be hurt */
    const char *raw = S("POST /api/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 1000\r\nConnection: close\r\n\r\n{\"email\": \"tr",
                        R("users"));
    ts_response *tr = ts_http_raw(T(), API.srv.port, raw, strlen(raw), 500);
    assert_true(tr->status == 0 || tr->status == 400 || tr->status == 408);
    /* garbage instead of HTTP */
    tr = ts_http_raw(T(), API.srv.port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 16,
                     1000);
    assert_true(tr->status == 0 || tr->status == 400);
    assert_int_equal(GET("/health")->status, 200);
    assert_int_equal(api_pool_checked_out(API.srv.port), 0);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'tr%%'", R("users")), 0);
}

/* Over max_body_bytes: 413, from Content-Length or while reading a
 * chunked body; a body within the limit still works. */
static ts_server small;

static void test_body_too_large(void **state)
{
    (void) state;
    const char *env[] = {"RETORT_SERVER_MAX_BODY_BYTES=512", NULL};
    assert_true(api_server_start(&small, env));
    char big[2048];
    snprintf(big, sizeof big, "{\"email\": \"big@x.org\", \"name\": \"%0900d\"}", 0);
    api_reply *r =
        api_call_port(small.port, "POST", S("/api/%s", R("users")), big, strlen(big), NULL, 10000);
    EXPECT_PROBLEM(r, 413, NULL);
    r = api_call_port(small.port, "POST", "/api/transaction", big, strlen(big), NULL, 10000);
    EXPECT_PROBLEM(r, 413, NULL);
    /* chunked: no Content-Length to refuse early */
    const char *head = S("POST /api/%s/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/json\r\nTransfer-Encoding: chunked\r\nConnection: "
                         "close\r\n\r\n",
                         R("books"));
    buf b = {0};
    put(&b, head);
    for (int i = 0; i < 8; i++) {
        put(&b, "80\r\n");
        char chunk[129];
        memset(chunk, ' ', 128);
        chunk[128] = '\0';
        if (i == 0)
            chunk[0] = '[';
        put(&b, chunk);
        put(&b, "\r\n");
    }
    put(&b, "1\r\n]\r\n0\r\n\r\n");
    ts_response *tr = ts_http_raw(T(), small.port, b.p, b.len, 10000);
    assert_int_equal(tr->status, 413);
    /* within the limit */
    r = api_call_port(small.port, "POST", S("/api/%s", R("users")), "{\"email\": \"small@x.org\"}",
                      strlen("{\"email\": \"small@x.org\"}"), NULL, 10000);
    EXPECT_STATUS(r, 201);
    r = api_call_port(small.port, "GET", "/health", NULL, 0, NULL, 5000);
    EXPECT_STATUS(r, 200);
    assert_int_equal(api_pool_checked_out(small.port), 0);
    int stop = ts_server_stop(&small);
    if (stop != 0)
        ts_server_dump_log(&small);
    unlink(small.log_path);
    assert_int_equal(stop, 0);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'big@x.org'", R("users")), 0);
}

/* ---- metrics --------------------------------------------------------------------- */

/* The value of the first line starting with prefix and containing every
 * label in labels; -1 when there is none. */
static double metric_value(const char *text, const char *prefix, const char *const *labels)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t) (end - line) : strlen(line);
        const char *l = S("%.*s", (int) n, line);
        bool ok = strncmp(l, prefix, strlen(prefix)) == 0;
        for (size_t i = 0; ok && labels && labels[i]; i++)
            ok = strstr(l, labels[i]) != NULL;
        if (ok) {
            const char *sp = strrchr(l, ' ');
            return sp ? strtod(sp + 1, NULL) : -1;
        }
        line = end ? end + 1 : NULL;
    }
    return -1;
}

static void test_metrics(void **state)
{
    (void) state;
    /* a few known requests */
    api_reply *r = GET(S("/api/%s/00000000-0000-4000-8000-000000000000", R("users")));
    EXPECT_STATUS(r, 404);
    r = POST(S("/api/%s/query", R("users")), "{\"limit\": 1}");
    EXPECT_STATUS(r, 200);
    r = POST(S("/api/%s/bulk", R("books")), "[{\"title\": \"metrics\"}]");
    EXPECT_STATUS(r, 201);

    /* connections go back to the pool as requests finish */
    assert_int_equal(api_pool_checked_out(API.srv.port), 0);
    r = GET("/metrics");
    EXPECT_STATUS(r, 200);
    const char *ct = ts_header_get(r->raw, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "text/plain"));
    const char *m = r->raw->body;
    /* requests by route template and status */
    const char *l1[] = {"route=\"/api/{resource}/{id}\"", "status=\"404\"", NULL};
    const char *l2[] = {"route=\"/api/{resource}/query\"", "status=\"200\"", NULL};
    const char *l3[] = {"route=\"/api/{resource}/bulk\"", "status=\"201\"", NULL};
    const char *l4[] = {"route=\"/api/{resource}/query\"", "status=\"400\"", NULL};
    assert_true(metric_value(m, "retort_http_requests_total{", l1) >= 1);
    assert_true(metric_value(m, "retort_http_requests_total{", l2) >= 1);
    assert_true(metric_value(m, "retort_http_requests_total{", l3) >= 1);
    assert_true(metric_value(m, "retort_http_requests_total{", l4) >= 1);
    /* route templates, never concrete paths */
    if (strstr(m, S("/api/%s", R("users"))))
        fail_msg("a concrete path leaked into the metric labels");
    /* latency histogram */
    const char *h1[] = {"route=\"/api/{resource}/bulk\"", "le=\"+Inf\"", NULL};
    assert_true(metric_value(m, "retort_http_request_duration_seconds_bucket{", h1) >= 1);
    assert_true(strstr(m, "# TYPE retort_http_request_duration_seconds histogram") != NULL);
    const char *h2[] = {"route=\"/api/{resource}/bulk\"", NULL};
    assert_true(metric_value(m, "retort_http_request_duration_seconds_count{", h2) >= 1);
    assert_true(metric_value(m, "retort_http_request_duration_seconds_sum{", h2) > 0);
    /* pool gauges */
    assert_true(metric_value(m, "retort_pool_size ", NULL) == 6);
    assert_true(metric_value(m, "retort_pool_checked_out ", NULL) == 0);
    assert_true(metric_value(m, "retort_pool_checked_in ", NULL) >= 1);
    assert_true(metric_value(m, "retort_pool_overflow ", NULL) >= 0);
    assert_true(metric_value(m, "retort_pool_waiting ", NULL) == 0);
    /* statements executed, transaction retries */
    double statements = metric_value(m, "retort_statements_total ", NULL);
    assert_true(statements >= 5);
    assert_true(metric_value(m, "retort_transaction_retries_total ", NULL) >= 0);
    /* the counter moves with each statement-running request */
    r = POST(S("/api/%s/query", R("users")), "{\"limit\": 1}");
    EXPECT_STATUS(r, 200);
    r = GET("/metrics");
    assert_true(metric_value(r->raw->body, "retort_statements_total ", NULL) >= statements + 1);
}

/* Issue 13 item 7: a bulk body's validation names every bad field of
 * every bad row; a unique violation points at the row that broke it. */
static void test_bulk_errors_name_every_row(void **state)
{
    (void) state;
    const char *path = S("/api/%s/bulk", R("books"));
    api_reply *r = POST(path, "[{\"title\": \"ok\"}, {\"title\": 42}, {\"title\": \"ok\"}, "
                              "{\"year\": 1999, \"bogus\": 1}, {\"title\": \"x\", \"price\": "
                              "\"1.234\"}]");
    EXPECT_PROBLEM(r, 422, NULL);
    EXPECT_POINTERS(r, "/1/title", "/3/title", "/3/bogus", "/4/price");
    assert_int_equal(json_array_size(jget(r->body, "errors")), 4);

    /* a duplicate inside the body: the later row */
    const char *users = S("/api/%s/bulk", R("users"));
    r = POST(users, "[{\"email\": \"be-0@x.org\"}, {\"email\": \"be-1@x.org\"}, "
                    "{\"email\": \"be-2@x.org\"}, {\"email\": \"be-1@x.org\"}]");
    EXPECT_PROBLEM(r, 409, "/3/email");
    EXPECT_NO_SQL(r);
    /* a row that repeats a stored one (in a later batch of 2,500 rows) */
    r = POST(S("/api/%s", R("users")), "{\"email\": \"be-stored@x.org\"}");
    EXPECT_STATUS(r, 201);
    buf b = {0};
    put(&b, "[");
    for (int i = 0; i < 2500; i++) {
        char row[64];
        if (i == 2100)
            snprintf(row, sizeof row, ",{\"email\": \"be-stored@x.org\"}");
        else
            snprintf(row, sizeof row, "%s{\"email\": \"be-%04d@x.org\"}", i ? "," : "", i + 10);
        put(&b, row);
    }
    put(&b, "]");
    r = POST(users, b.p);
    EXPECT_PROBLEM(r, 409, "/2100/email");
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email LIKE 'be-%%'", R("users")), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_insert_5000, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_returning_ids_in_order, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_all_or_nothing, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_update, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_errors_name_every_row, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bodies, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_body_too_large, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_metrics, api_test_setup, api_test_teardown),
    };
    int rc = cmocka_run_group_tests_name("e2e api bulk and hostile bodies", tests, group_setup,
                                         group_teardown);
    if (small.pid > 0)
        ts_server_stop(&small);
    return rc;
}
