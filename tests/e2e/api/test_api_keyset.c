/*
 * Keyset paging and the HTTP conventions of issue 13 over real HTTP:
 * every page boundary of 10,000 rows with ties and NULLs (GET with
 * order_by=-year, and a query document with mixed directions and NULLS
 * FIRST) equals OFFSET truth computed by PostgreSQL; rows inserted while
 * paging neither skip nor repeat the rows that existed; tampered and
 * foreign cursors are 400s; meta.next and Link: rel="next". Conventions:
 * Prefer: count=exact with Content-Range, Prefer: return=minimal, If-None-
 * Match → 304, gzip above 1 KiB, HEAD, ?col=eq.x → 400, having, locks.
 */
#include "api_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int group_setup(void **state)
{
    (void) state;
    return api_group_setup("ak_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

static void seed_books(void)
{
    sql_exec("TRUNCATE %s, %s CASCADE", R("book_genres"), R("books"));
    /* 37 distinct years (ties), every 11th NULL, titles with ties too. */
    sql_exec("INSERT INTO %s (id, title, year) SELECT g, 't' || (g %% 97), "
             "CASE WHEN g %% 11 = 0 THEN NULL ELSE 1900 + g %% 37 END "
             "FROM generate_series(1, 10000) g",
             R("books"));
}

/* ids of every page, following meta.next, joined by "\n". */
static const char *walk_get(const char *query, int *pages)
{
    const char *out = "";
    const char *after = NULL;
    *pages = 0;
    for (;;) {
        const char *path = after ? S("/api/%s?%s&after=%s", R("books"), query, U(after))
                                 : S("/api/%s?%s", R("books"), query);
        api_reply *r = GET(path);
        EXPECT_STATUS(r, 200);
        (*pages)++;
        const char *ids = jcolumn(jdata(r), "id");
        if (*ids)
            out = *out ? S("%s\n%s", out, ids) : ids;
        json_t *next = jget(jget(r->body, "meta"), "next");
        const char *link = ts_header_get(r->raw, "Link");
        if (json_is_null(next)) {
            assert_null(link);
            return out;
        }
        assert_non_null(link);
        assert_non_null(strstr(link, "rel=\"next\""));
        after = json_string_value(next);
        assert_true(*pages < 100);
    }
}

static void test_keyset_matches_offset_truth(void **state)
{
    (void) state;
    seed_books();
    int pages;
    const char *got = walk_get("order_by=-year&limit=1000", &pages);
    const char *truth = sql("SELECT string_agg(id::text, E'\\n' ORDER BY year DESC, id) FROM %s",
                            R("books"));
    assert_string_equal(got, truth);
    assert_int_equal(pages, 11); /* ten full pages, then an empty one says "no more" */

    /* A query document: mixed directions, NULLs first, a tie-breaking title. */
    const char *doc_fmt = "{\"order_by\": [{\"year\": {\"dir\": \"asc\", \"nulls\": \"first\"}}, "
                          "{\"title\": \"desc\"}], \"limit\": 700%s}";
    const char *all = "";
    const char *after = NULL;
    for (int i = 0; i < 30; i++) {
        api_reply *r = POST(S("/api/%s/query", R("books")),
                            S(doc_fmt, after ? S(", \"after\": \"%s\"", after) : ""));
        EXPECT_STATUS(r, 200);
        const char *ids = jcolumn(jdata(r), "id");
        /* Each boundary equals OFFSET over the same order. */
        const char *page_truth =
            sql("SELECT coalesce(string_agg(id::text, E'\\n' ORDER BY o), '') FROM (SELECT id, "
                "row_number() OVER (ORDER BY year ASC NULLS FIRST, title DESC, id) AS o FROM %s) "
                "s WHERE o > %d AND o <= %d",
                R("books"), i * 700, (i + 1) * 700);
        assert_string_equal(ids, page_truth);
        if (*ids)
            all = *all ? S("%s\n%s", all, ids) : ids;
        json_t *next = jget(jget(r->body, "meta"), "next");
        if (json_is_null(next))
            break;
        after = json_string_value(next);
    }
    size_t lines = *all ? 1 : 0;
    for (const char *p = all; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 10000);
}

static void test_inserts_while_paging(void **state)
{
    (void) state;
    seed_books();
    const char *seen = "";
    const char *after = NULL;
    for (int page = 0; page < 40; page++) {
        const char *path = after ? S("/api/%s?order_by=year&limit=500&after=%s", R("books"), U(after))
                                 : S("/api/%s?order_by=year&limit=500", R("books"));
        api_reply *r = GET(path);
        EXPECT_STATUS(r, 200);
        const char *ids = jcolumn(jdata(r), "id");
        if (*ids)
            seen = *seen ? S("%s\n%s", seen, ids) : ids;
        /* Rows land before and after the boundary between pages. */
        sql_exec("INSERT INTO %s (id, title, year) SELECT 20000 + %d * 10 + g, 'new', "
                 "1900 + (g * 7) %% 37 FROM generate_series(1, 5) g",
                 R("books"), page);
        json_t *next = jget(jget(r->body, "meta"), "next");
        if (json_is_null(next))
            break;
        after = json_string_value(next);
    }
    /* Every original row exactly once, nothing twice. */
    const char *list = seen;
    size_t n = 0, originals = 0;
    for (const char *p = list; *p;) {
        long id = strtol(p, NULL, 10);
        n++;
        originals += id <= 10000;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    assert_int_equal(originals, 10000);
    /* No duplicates: as many distinct ids as ids. */
    const char *csv = S("{%s}", list);
    for (char *q = (char *) csv; *q; q++)
        if (*q == '\n')
            *q = ',';
    assert_int_equal(sql_int("SELECT count(DISTINCT x) FROM unnest('%s'::int[]) x", csv),
                     (long long) n);
}

static void test_bad_cursors(void **state)
{
    (void) state;
    seed_books();
    api_reply *r = GET(S("/api/%s?order_by=year&limit=10", R("books")));
    EXPECT_STATUS(r, 200);
    const char *next = json_string_value(jget(jget(r->body, "meta"), "next"));
    assert_non_null(next);
    /* Another order, another filter: another query shape. */
    r = GET(S("/api/%s?order_by=-year&limit=10&after=%s", R("books"), U(next)));
    EXPECT_PROBLEM(r, 400, "/after");
    r = GET(S("/api/%s?order_by=year&year=1901&limit=10&after=%s", R("books"), U(next)));
    EXPECT_PROBLEM(r, 400, "/after");
    /* Tampered: one character changed. */
    char *bad = (char *) S("%s", next);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    r = GET(S("/api/%s?order_by=year&limit=10&after=%s", R("books"), U(bad)));
    EXPECT_PROBLEM(r, 400, "/after");
    r = GET(S("/api/%s?order_by=year&limit=10&offset=5&after=%s", R("books"), U(next)));
    EXPECT_PROBLEM(r, 400, "/after");
    r = POST(S("/api/%s/query", R("books")), "{\"after\": 5}");
    EXPECT_PROBLEM(r, 400, "/after");
    /* The same query continues. */
    r = GET(S("/api/%s?order_by=year&limit=10&after=%s", R("books"), U(next)));
    EXPECT_STATUS(r, 200);
}

static void test_conventions(void **state)
{
    (void) state;
    seed_books();
    /* Prefer: count=exact → Content-Range. */
    const char *const count[] = {"Prefer: count=exact", NULL};
    api_reply *r = api_call("GET", S("/api/%s?limit=25&offset=50", R("books")), NULL, count);
    EXPECT_STATUS(r, 200);
    assert_string_equal(ts_header_get(r->raw, "Content-Range"), "50-74/10000");
    assert_int_equal(jint(jget(r->body, "meta"), "count"), 10000);

    /* gzip above 1 KiB when accepted, never below or when not accepted. */
    const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    r = api_call("GET", S("/api/%s?limit=100", R("books")), NULL, gz);
    EXPECT_STATUS(r, 200);
    assert_string_equal(ts_header_get(r->raw, "Content-Encoding"), "gzip");
    r = api_call("GET", S("/api/%s?limit=1&fields=id", R("books")), NULL, gz);
    assert_null(ts_header_get(r->raw, "Content-Encoding"));
    const char *const nogz[] = {"Accept-Encoding: gzip;q=0, identity", NULL};
    r = api_call("GET", S("/api/%s?limit=100", R("books")), NULL, nogz);
    assert_null(ts_header_get(r->raw, "Content-Encoding"));

    /* HEAD where GET is: same status and headers, no body. */
    r = api_call("HEAD", S("/api/%s/1", R("books")), NULL, NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(r->raw->body_len, 0);

    /* ?col=eq.x is another tool's syntax: 400 naming where=. */
    r = GET(S("/api/%s?year=eq.1901", R("books")));
    EXPECT_PROBLEM(r, 400, "/year");
    assert_non_null(strstr(api_problem_text(r->body), "where="));

    /* If-None-Match → 304 for versioned entities; Prefer: return=minimal. */
    api_reply *u = POST(S("/api/%s", R("users")), "{\"email\": \"conv@x.org\"}");
    EXPECT_STATUS(u, 201);
    const char *const minimal[] = {"Prefer: return=minimal", "Content-Type: application/json",
                                   NULL};
    r = api_call("POST", S("/api/%s", R("orders")),
                 S("{\"user_id\": \"%s\", \"total\": \"1.00\"}", jstr(u->body, "id")), minimal);
    EXPECT_STATUS(r, 201);
    assert_int_equal(r->raw->body_len, 0);
    const char *location = ts_header_get(r->raw, "Location");
    assert_non_null(location);
    assert_string_equal(ts_header_get(r->raw, "Preference-Applied"), "return=minimal");
    r = GET(location);
    EXPECT_STATUS(r, 200);
    const char *etag = ts_header_get(r->raw, "ETag");
    assert_string_equal(etag, "\"1\"");
    const char *const inm[] = {"If-None-Match: \"1\"", NULL};
    r = api_call("GET", location, NULL, inm);
    EXPECT_STATUS(r, 304);
    assert_int_equal(r->raw->body_len, 0);
    const char *const inm_old[] = {"If-None-Match: \"0\"", NULL};
    r = api_call("GET", location, NULL, inm_old);
    EXPECT_STATUS(r, 200);
}

static void test_having_and_locks(void **state)
{
    (void) state;
    seed_books();
    api_reply *r = POST(S("/api/%s/query", R("books")),
                        "{\"group_by\": [\"year\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}, "
                        "\"having\": {\"n\": {\"gt\": 260}}, \"order_by\": [\"year\"]}");
    EXPECT_STATUS(r, 200);
    long long want = sql_int("SELECT count(*) FROM (SELECT year FROM %s GROUP BY year HAVING "
                             "count(*) > 260) s",
                             R("books"));
    assert_int_equal((long long) json_array_size(jdata(r)), want);
    r = POST(S("/api/%s/query", R("books")),
             "{\"group_by\": [\"year\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}, "
             "\"having\": {\"nope\": 1}}");
    EXPECT_PROBLEM(r, 400, "/having/nope");
    r = POST(S("/api/%s/query", R("books")),
             "{\"where\": {\"id\": {\"lt\": 5}}, \"lock\": \"update\", \"skip_locked\": true}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 4);
    r = POST(S("/api/%s/query", R("books")), "{\"lock\": \"exclusive\"}");
    EXPECT_PROBLEM(r, 400, "/lock");
    r = POST(S("/api/%s/query", R("books")), "{\"nowait\": true}");
    EXPECT_PROBLEM(r, 400, "/nowait");
}

/* The body into a file for python3. */
static const char *to_file(const char *name, const char *body, size_t len)
{
    const char *path = S("/tmp/retort-csv-%d-%s", (int) getpid(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(body, 1, len, f), len);
    fclose(f);
    return path;
}

/* Python's csv module reads the CSV back into exactly the JSON data (its
 * columns: relationships, nested in JSON, are not part of CSV). */
static void csv_equals_json(const char *csv_path, const char *json_path)
{
    const char *cmd = S(
        "python3 -c 'import csv, json, sys\n"
        "def text(v):\n"
        "    if v is None: return \"\"\n"
        "    if isinstance(v, bool): return \"true\" if v else \"false\"\n"
        "    if isinstance(v, str): return v\n"
        "    return json.dumps(v, separators=(\",\", \":\"), ensure_ascii=False)\n"
        "rows = list(csv.DictReader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")))\n"
        "data = json.load(open(sys.argv[2], encoding=\"utf-8\"))[\"data\"]\n"
        "assert len(rows) == len(data), (len(rows), len(data))\n"
        "for r, d in zip(rows, data):\n"
        "    cols = [k for k in d if k in r or not isinstance(d[k], (list, dict))]\n"
        "    assert list(r.keys()) == cols, (list(r.keys()), cols)\n"
        "    for k in cols: assert r[k] == text(d[k]), (k, r[k], d[k])\n"
        "' %s %s",
        csv_path, json_path);
    assert_int_equal(system(cmd), 0);
}

static void test_csv(void **state)
{
    (void) state;
    seed_books();
    sql_exec("INSERT INTO %s (id, title, year, price, rating, published, in_print) VALUES "
             "(10001, 'a,\"b\"' || chr(10) || 'c', NULL, 12.50, 1.25, '2026-02-28', true), "
             "(10002, '', 2001, NULL, NULL, NULL, false)",
             R("books"));
    const char *const csv[] = {"Accept: text/csv", NULL};
    const char *path = S("/api/%s?order_by=-id&limit=40", R("books"));
    api_reply *c = api_call("GET", path, NULL, csv);
    EXPECT_STATUS(c, 200);
    assert_non_null(strstr(ts_header_get(c->raw, "Content-Type"), "text/csv"));
    api_reply *j = GET(path);
    EXPECT_STATUS(j, 200);
    csv_equals_json(to_file("books.csv", c->raw->body, c->raw->body_len),
                    to_file("books.json", j->raw->body, j->raw->body_len));

    /* A query document and timestamps, uuids, booleans. */
    POST(S("/api/%s", R("users")), "{\"email\": \"csv@x.org\", \"name\": \"C, sv\"}");
    const char *const csv_json[] = {"Accept: text/csv", "Content-Type: application/json", NULL};
    const char *doc = "{\"order_by\": [\"email\"], \"limit\": 10}";
    c = api_call("POST", S("/api/%s/query", R("users")), doc, csv_json);
    EXPECT_STATUS(c, 200);
    j = POST(S("/api/%s/query", R("users")), doc);
    csv_equals_json(to_file("users.csv", c->raw->body, c->raw->body_len),
                    to_file("users.json", j->raw->body, j->raw->body_len));

    /* Aggregates and read-only named queries too. */
    const char *agg = "{\"group_by\": [\"year\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}, "
                      "\"order_by\": [\"year\"], \"limit\": 50}";
    c = api_call("POST", S("/api/%s/query", R("books")), agg, csv_json);
    EXPECT_STATUS(c, 200);
    j = POST(S("/api/%s/query", R("books")), agg);
    csv_equals_json(to_file("agg.csv", c->raw->body, c->raw->body_len),
                    to_file("agg.json", j->raw->body, j->raw->body_len));
    c = api_call("GET", S("/api/rpc/users_named?name=%s", U("csv@x.org")), NULL, csv);
    EXPECT_STATUS(c, 200);
    assert_non_null(strstr(c->raw->body, "email,name\r\ncsv@x.org,\"C, sv\"\r\n"));

    /* 406: an Accept that excludes what the route can give. */
    const char *const xml[] = {"Accept: application/xml", NULL};
    EXPECT_PROBLEM(api_call("GET", path, NULL, xml), 406, NULL);
    EXPECT_PROBLEM(api_call("GET", S("/api/%s/1", R("books")), NULL, csv), 406, NULL);
    const char *const any[] = {"Accept: text/html, */*;q=0.1", NULL};
    EXPECT_STATUS(api_call("GET", path, NULL, any), 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keyset_matches_offset_truth, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_inserts_while_paging, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_cursors, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_conventions, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_having_and_locks, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_csv, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests_name("e2e api keyset and conventions (issue 13)", tests,
                                       group_setup, group_teardown);
}
