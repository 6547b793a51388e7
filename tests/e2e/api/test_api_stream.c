/*
 * Streamed exports (issue 13 item 5, SPEC.md §5 "streaming") over real
 * HTTP: limit=all on GET lists and "limit": "all" in query documents send
 * every row chunked from a server-side cursor. An export lists exactly the
 * rows (and the order) that the keyset pages of the same query list, as
 * JSON and as CSV; problems before the first row are still problem+json;
 * a client that disconnects after the first chunk gets its cursor closed,
 * its transaction rolled back and its connection back in the pool
 * (/health/pool); and the server's memory stays flat over a 300,000-row
 * export (peak RSS grows by far less than the body).
 */
#include "api_support.h"
#include "jsonw.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int group_setup(void **state)
{
    (void) state;
    /* A small ASan quarantine: freed batches are reused as they would be
     * without the sanitizer, so RSS measures what the server holds. */
    static const char *const env[] = {
        "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=8", NULL};
    return api_group_setup("as_", env);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

static void seed_books(int n)
{
    sql_exec("TRUNCATE %s, %s CASCADE", R("book_genres"), R("books"));
    sql_exec("INSERT INTO %s (id, title, year, price) SELECT g, 'title, \"' || (g %% 97) || '\"', "
             "CASE WHEN g %% 11 = 0 THEN NULL ELSE 1900 + g %% 37 END, (g %% 1000) / 7.0 "
             "FROM generate_series(1, %d) g",
             R("books"), n);
}

/* data[] of every keyset page of a query document, concatenated. */
static json_t *walk_pages(const char *doc_fields)
{
    json_t *all = json_array();
    const char *after = NULL;
    for (int pages = 0; pages < 100; pages++) {
        const char *doc = after ? S("{%s, \"limit\": 1000, \"after\": \"%s\"}", doc_fields, after)
                                : S("{%s, \"limit\": 1000}", doc_fields);
        api_reply *r = POST(S("/api/%s/query", R("books")), doc);
        EXPECT_STATUS(r, 200);
        /* an export is rows: without the model's default eager
         * relationships (genres is selectin) */
        size_t i;
        json_t *o;
        json_array_foreach(jdata(r), i, o)
        {
            json_object_del(o, "genres");
            json_array_append(all, o);
        }
        json_t *next = jget(jget(r->body, "meta"), "next");
        if (json_is_null(next))
            break;
        after = json_string_value(next);
    }
    jsonw_arena_new(T(), all);
    return all;
}

static void test_export_equals_pages(void **state)
{
    (void) state;
    seed_books(10000);
    const char *fields = "\"order_by\": [{\"year\": {\"dir\": \"desc\", \"nulls\": \"first\"}}, "
                         "\"title\"], \"where\": {\"id\": {\"le\": 9500}}";
    json_t *pages = walk_pages(fields);
    assert_int_equal(json_array_size(pages), 9500);

    api_reply *r = POST(S("/api/%s/query", R("books")),
                        S("{%s, \"limit\": \"all\", \"count\": true}", fields));
    EXPECT_STATUS(r, 200);
    const char *te = ts_header_get(r->raw, "Transfer-Encoding");
    assert_non_null(te);
    assert_string_equal(te, "chunked");
    assert_null(ts_header_get(r->raw, "Content-Length"));
    assert_string_equal(J(jdata(r)), J(pages));
    json_t *meta = jget(r->body, "meta");
    assert_true(json_is_null(jget(meta, "limit")));
    assert_true(json_is_null(jget(meta, "next")));
    assert_int_equal(jint(meta, "count"), 9500);

    /* GET: the same rows as the SQL truth, in the order given + the key */
    r = GET(S("/api/%s?limit=all&order_by=-year,title&fields=id,title", R("books")));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "id"),
                        sql("SELECT string_agg(id::text, E'\\n' ORDER BY year DESC, title, id) "
                            "FROM %s",
                            R("books")));
    json_t *first = json_array_get(jdata(r), 0);
    assert_int_equal(json_object_size(first), 2); /* fields narrows the rows */

    /* an export that starts at a cursor */
    r = GET(S("/api/%s?limit=1000&order_by=id", R("books")));
    const char *after = json_string_value(jget(jget(r->body, "meta"), "next"));
    r = GET(S("/api/%s?limit=all&order_by=id&after=%s", R("books"), U(after)));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 9000);
    assert_int_equal(json_integer_value(jget(json_array_get(jdata(r), 0), "id")), 1001);

    /* an empty export is still a list */
    r = GET(S("/api/%s?limit=all&year=1", R("books")));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 0);
}

static void test_export_csv(void **state)
{
    (void) state;
    seed_books(2500);
    api_reply *r = api_call("GET", S("/api/%s?limit=all&order_by=id&fields=id,title,price",
                                     R("books")),
                            NULL, (const char *const[]){"Accept: text/csv", NULL});
    EXPECT_STATUS(r, 200);
    assert_non_null(strstr(ts_header_get(r->raw, "Content-Type"), "text/csv"));
    const char *body = r->raw->body;
    assert_true(strncmp(body, "id,title,price\r\n", 16) == 0);
    /* the same records as the paged CSV, page after page */
    const char *paged = "";
    for (int p = 0; p < 3; p++) {
        api_reply *pr =
            api_call("GET",
                     S("/api/%s?limit=1000&offset=%d&order_by=id&fields=id,title,price",
                       R("books"), p * 1000),
                     NULL, (const char *const[]){"Accept: text/csv", NULL});
        EXPECT_STATUS(pr, 200);
        const char *records = strstr(pr->raw->body, "\r\n") + 2; /* without its header */
        paged = S("%s%s", paged, records);
    }
    assert_string_equal(body + 16, paged);
    /* an empty CSV export has its header row */
    r = api_call("GET", S("/api/%s?limit=all&year=1&fields=id,title", R("books")), NULL,
                 (const char *const[]){"Accept: text/csv", NULL});
    EXPECT_STATUS(r, 200);
    assert_string_equal(r->raw->body, "id,title\r\n");
}

static void test_export_problems(void **state)
{
    (void) state;
    /* what limit=all does not combine with, and where it does not apply */
    api_reply *r = GET(S("/api/%s?limit=all&include=genres", R("books")));
    EXPECT_PROBLEM(r, 400, "/limit");
    r = GET(S("/api/%s?limit=all&offset=5", R("books")));
    EXPECT_PROBLEM(r, 400, "/limit");
    r = POST(S("/api/%s/query", R("books")),
             "{\"limit\": \"all\", \"options\": [{\"selectinload\": \"genres\"}]}");
    EXPECT_PROBLEM(r, 400, "/limit");
    r = POST("/api/transaction",
             S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
               "{\"limit\": \"all\"}}]}",
               R("books")));
    EXPECT_PROBLEM(r, 400, "/operations/0/query/limit");
    r = POST(S("/api/%s/query", R("books")), "{\"limit\": \"every\"}");
    EXPECT_PROBLEM(r, 400, "/limit");
    /* a bad where is found before anything is sent */
    r = GET(S("/api/%s?limit=all&where=%s", R("books"), U("{\"nope\": 1}")));
    EXPECT_PROBLEM(r, 400, "/where/nope");
    /* HEAD: the headers of the export, no body */
    r = api_call("HEAD", S("/api/%s?limit=all", R("books")), NULL, NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(r->raw->body_len, 0);
}

/* ---- a client that goes away ----------------------------------------- */

static int connect_to(int port, bool small_window)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    /* a small receive window: the server cannot finish into buffers */
    int small = 4096;
    if (small_window)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    return fd;
}

static long pool_checked_out(void)
{
    ts_response *p = ts_http(T(), API.srv.port, "GET", "/health/pool", NULL, NULL, 0, 5000);
    assert_non_null(p);
    json_t *j = jparse(p->body);
    return (long) jint(j, "checked_out");
}

static void test_disconnect_frees_the_connection(void **state)
{
    (void) state;
    seed_books(200000);
    for (int round = 0; round < 3; round++) {
        int fd = connect_to(API.srv.port, true);
        const char *req = S("GET /api/%s?limit=all HTTP/1.1\r\nHost: x\r\n\r\n", R("books"));
        assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t) strlen(req));
        /* the first chunk arrives */
        char buf[4096];
        size_t got = 0;
        double until = ts_now() + 30;
        while (got < sizeof buf && ts_now() < until) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, 1000) <= 0)
                continue;
            ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
            assert_true(n > 0);
            got += (size_t) n;
        }
        assert_int_equal(got, sizeof buf);
        assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
        assert_non_null(strstr(buf, "chunked"));
        /* while it streams, it holds a connection */
        assert_int_equal(pool_checked_out(), 1);
        close(fd);

        /* the connection comes back to the pool, rolled back (well before
         * the 30 s idle timeout would close a stalled client) */
        long out = 1;
        for (double end = ts_now() + 20; ts_now() < end; ts_sleep_ms(50))
            if ((out = pool_checked_out()) == 0)
                break;
        assert_int_equal(out, 0);
    }
    /* no transaction is left open in the server with a cursor */
    assert_int_equal(sql_int("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                             "'%%retort_cursor%%' AND state LIKE 'idle in transaction%%'"),
                     0);
    /* and the server answers as before */
    api_reply *r = GET(S("/api/%s?limit=3", R("books")));
    EXPECT_STATUS(r, 200);
}

/* ---- memory ------------------------------------------------------------- */

/* VmHWM/VmRSS of the server in KiB. */
static long proc_kib(const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int) API.srv.pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return v;
}

/* Reads a whole export through a socket without keeping it; its size. */
static size_t drain_export(const char *path)
{
    int fd = connect_to(API.srv.port, false);
    const char *req = S("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t) strlen(req));
    char buf[65536];
    size_t total = 0;
    char tail[8] = "";
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        total += (size_t) n;
        size_t keep = (size_t) n < 5 ? (size_t) n : 5;
        memcpy(tail, buf + n - (ssize_t) keep, keep);
        tail[keep] = '\0';
    }
    close(fd);
    assert_string_equal(tail, "0\r\n\r\n"); /* the last chunk: complete */
    return total;
}

static void test_rss_stays_flat(void **state)
{
    (void) state;
    seed_books(300000);
    const char *path = S("/api/%s?limit=all", R("books"));
    /* a first, short export warms up the pool, caches and allocator */
    drain_export(S("/api/%s?limit=all&where=%s", R("books"), U("{\"id\": {\"le\": 5000}}")));
    long before = proc_kib("VmHWM");
    size_t bytes = drain_export(path);
    long after = proc_kib("VmHWM");
    long grown = after - before;
    print_message("export of 300,000 rows: %zu bytes sent; peak RSS %ld KiB -> %ld KiB (+%ld)\n",
                  bytes, before, after, grown);
    assert_true(bytes > 20u * 1024 * 1024);
    /* holding the rows would cost more than the body; a batch is ~100 KiB */
    assert_true(grown * 1024 < (long) bytes / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_equals_pages, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_export_csv, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_export_problems, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_frees_the_connection, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_rss_stays_flat, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
