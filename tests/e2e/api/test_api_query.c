/*
 * Query documents (SPEC.md §2 "Query document", "Precise rules"): every
 * operator, and/or/not, implicit AND, null, relationship any/has
 * (many-to-many included), each compared with the truth computed by SQL
 * over the same rows; order_by, limit/offset, fields, count; loader options
 * (selectinload, joinedload, raiseload, noload) with X-Query-Count over 5
 * and 50 parents and identical JSON between strategies; aggregates.
 *
 * Rows are seeded with SQL (psql), not through the API, so the truth does
 * not depend on the code under test.
 */
#include "api_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "{P}" in text -> the table prefix */
static const char *P(const char *text)
{
    const char *out = "";
    for (const char *p = text; *p;) {
        const char *hit = strstr(p, "{P}");
        if (!hit)
            return S("%s%s", out, p);
        out = S("%s%.*s%s", out, (int) (hit - p), p, API.prefix);
        p = hit + 3;
    }
    return out;
}

static const char *SEED =
    "INSERT INTO {P}genres (name) VALUES ('scifi'), ('fantasy'), ('horror'), ('classic'), "
    "('poetry');\n"
    "INSERT INTO {P}books (title, year, price, rating, published, in_print)\n"
    "SELECT CASE WHEN i % 5 = 0 THEN 'The ' ELSE '' END || 'Book ' || chr(65 + i % 26) || ' ' || "
    "i,\n"
    "       CASE WHEN i % 7 = 0 THEN NULL ELSE 1980 + (i * 3) % 40 END,\n"
    "       CASE WHEN i % 6 = 0 THEN NULL ELSE ((i * 37) % 5000) / 100.0 END,\n"
    "       CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 10) / 2.0 END,\n"
    "       CASE WHEN i % 9 = 0 THEN NULL ELSE date '1990-01-01' + (i * 97) END,\n"
    "       CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END\n"
    "FROM generate_series(1, 40) i;\n"
    "INSERT INTO {P}books (title, year, price) VALUES ('100% Pure', 1999, 5.00), "
    "('snake_case', 2005, 7.50), ('the lower', 1984, 12.00), ('Zebra Zone', 2015, 30.00), "
    "('100 Years', 1967, 9.99);\n"
    "INSERT INTO {P}book_genres (book_id, genre_id)\n"
    "SELECT b.id, g.id FROM {P}books b JOIN {P}genres g\n"
    "  ON g.name = (ARRAY['scifi','fantasy','horror','classic'])[b.id % 4 + 1]\n"
    "  WHERE b.id % 11 <> 0\n"
    "UNION\n"
    "SELECT b.id, g.id FROM {P}books b JOIN {P}genres g\n"
    "  ON g.name = (ARRAY['scifi','fantasy','horror','classic'])[(b.id + 1) % 4 + 1]\n"
    "  WHERE b.id % 3 = 0 AND b.id % 11 <> 0;\n"
    /* users u01..u10 with 0-3 orders each; items 0-2 per order */
    "INSERT INTO {P}users (email, name, age, active)\n"
    "SELECT 'u' || lpad(i::text, 2, '0') || '@x.org',\n"
    "       CASE WHEN i % 4 = 0 THEN NULL ELSE (ARRAY['alice','Bob','carol','Dave','ann'])[i % 5 + "
    "1] END,\n"
    "       20 + i * 3 % 50, i % 3 <> 0\n"
    "FROM generate_series(1, 10) i;\n"
    "INSERT INTO {P}orders (user_id, total, status, version, created_at)\n"
    "SELECT u.id, ((u.k * 10 + n) * 137 % 10000) / 100.0,\n"
    "       (ARRAY['pending','paid','shipped','cancelled'])[(u.k + n) % 4 + 1], 1,\n"
    "       timestamptz '2026-01-01 00:00:00+00' + (u.k * 10 + n) * interval '1 minute'\n"
    "FROM (SELECT id, substr(email, 2, 2)::int AS k FROM {P}users) u, generate_series(1, 4) n\n"
    "WHERE n <= u.k % 4;\n"
    "INSERT INTO {P}items (order_id, sku, qty)\n"
    "SELECT o.id, 'SKU-' || m, m FROM {P}orders o, generate_series(1, 2) m\n"
    "WHERE m <= extract(minute FROM o.created_at)::int % 3;\n"
    /* X-Query-Count parents: qc5-00..04 and qc50-00..49 with 0-3 orders,
     * qc5-02 with 20 orders; created_at distinct */
    "INSERT INTO {P}users (email, age)\n"
    "SELECT 'qc5-' || lpad(i::text, 2, '0') || '@x.org', i FROM generate_series(0, 4) i\n"
    "UNION ALL\n"
    "SELECT 'qc50-' || lpad(i::text, 2, '0') || '@x.org', i FROM generate_series(0, 49) i;\n"
    "INSERT INTO {P}orders (user_id, total, status, version, created_at)\n"
    "SELECT u.id, n + 0.25, 'paid', 1,\n"
    "       timestamptz '2026-02-01 00:00:00+00' + (u.age * 100 + n) * interval '1 second'\n"
    "         + CASE WHEN u.email LIKE 'qc50-%' THEN interval '1 day' ELSE interval '0' END\n"
    "FROM {P}users u, generate_series(1, 20) n\n"
    "WHERE u.email LIKE 'qc%' AND (n <= u.age % 4 OR u.email = 'qc5-02@x.org');\n"
    "INSERT INTO {P}items (order_id, sku, qty)\n"
    "SELECT o.id, 'Q-' || m, m FROM {P}orders o JOIN {P}users u ON u.id = o.user_id, "
    "generate_series(1, 2) m WHERE u.email LIKE 'qc50-%' AND m <= u.age % 3;\n";

static int group_setup(void **state)
{
    (void) state;
    if (api_group_setup("aq_", NULL) != 0)
        return -1;
    sql_exec("%s", P(SEED));
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

/* ---- where documents against SQL --------------------------------------------- */

typedef struct where_case {
    const char *resource; /* without prefix */
    const char *where;    /* JSON */
    const char *sql;      /* condition on alias t; {P} = prefix */
    bool nonempty;        /* the seed must make this case select something */
} where_case;

#define BG_EXISTS(cond)                                                                            \
    "EXISTS (SELECT 1 FROM {P}book_genres bg JOIN {P}genres g ON g.id = bg.genre_id "              \
    "WHERE bg.book_id = t.id AND " cond ")"

static const where_case CASES[] = {
    /* comparison operators */
    {"books", "{\"year\": 1989}", "t.year = 1989", true},
    {"books", "{\"year\": {\"eq\": 1989}}", "t.year = 1989", true},
    {"books", "{\"year\": {\"ne\": 1989}}", "t.year <> 1989", true},
    {"books", "{\"year\": {\"lt\": 1990}}", "t.year < 1990", true},
    {"books", "{\"year\": {\"le\": 1990}}", "t.year <= 1990", true},
    {"books", "{\"year\": {\"gt\": 2010}}", "t.year > 2010", true},
    {"books", "{\"year\": {\"ge\": 2010}}", "t.year >= 2010", true},
    {"books", "{\"price\": {\"gt\": \"25.00\"}}", "t.price > 25.00", true},
    {"books", "{\"price\": {\"le\": 10}}", "t.price <= 10", true},
    {"books", "{\"price\": \"9.99\"}", "t.price = 9.99", true},
    {"books", "{\"rating\": {\"ge\": 3.5}}", "t.rating >= 3.5", true},
    {"books", "{\"published\": {\"lt\": \"2000-01-01\"}}", "t.published < '2000-01-01'", true},
    {"books", "{\"in_print\": true}", "t.in_print = true", true},
    {"books", "{\"in_print\": {\"ne\": true}}", "t.in_print <> true", true},
    /* pattern operators (% and _ are wildcards, as in SQL) */
    {"books", "{\"title\": {\"like\": \"The %\"}}", "t.title LIKE 'The %'", true},
    {"books", "{\"title\": {\"like\": \"100%\"}}", "t.title LIKE '100%'", true},
    {"books", "{\"title\": {\"like\": \"%e_c%\"}}", "t.title LIKE '%e_c%'", true},
    {"books", "{\"title\": {\"ilike\": \"the%\"}}", "t.title ILIKE 'the%'", true},
    {"books", "{\"title\": {\"ilike\": \"%z%\"}}", "t.title ILIKE '%z%'", true},
    /* sets, nulls, ranges */
    {"books", "{\"year\": {\"in\": [1983, 1989, 2001, 1492]}}",
     "t.year IN (1983, 1989, 2001, 1492)", true},
    {"books", "{\"year\": {\"not_in\": [1983, 1989]}}", "t.year NOT IN (1983, 1989)", true},
    {"books", "{\"title\": {\"in\": [\"snake_case\", \"Zebra Zone\"]}}",
     "t.title IN ('snake_case', 'Zebra Zone')", true},
    {"books", "{\"year\": {\"is_null\": true}}", "t.year IS NULL", true},
    {"books", "{\"year\": {\"is_null\": false}}", "t.year IS NOT NULL", true},
    {"books", "{\"price\": null}", "t.price IS NULL", true},
    {"books", "{\"year\": {\"between\": [1990, 2000]}}", "t.year BETWEEN 1990 AND 2000", true},
    {"books", "{\"published\": {\"between\": [\"1995-01-01\", \"2005-12-31\"]}}",
     "t.published BETWEEN '1995-01-01' AND '2005-12-31'", true},
    {"books", "{\"year\": {\"ge\": 1990, \"lt\": 2000}}", "t.year >= 1990 AND t.year < 2000", true},
    /* boolean structure */
    {"books", "{\"year\": {\"gt\": 1995}, \"price\": {\"lt\": \"30\"}}",
     "t.year > 1995 AND t.price < 30", true},
    {"books", "{\"and\": [{\"year\": {\"gt\": 1995}}, {\"rating\": {\"lt\": 3}}]}",
     "t.year > 1995 AND t.rating < 3", true},
    {"books", "{\"or\": [{\"year\": {\"lt\": 1985}}, {\"title\": {\"like\": \"%Z%\"}}]}",
     "(t.year < 1985 OR t.title LIKE '%Z%')", true},
    {"books", "{\"not\": {\"year\": {\"gt\": 2000}}}", "NOT (t.year > 2000)", true},
    {"books", "{\"not\": {\"or\": [{\"year\": null}, {\"price\": null}]}}",
     "NOT (t.year IS NULL OR t.price IS NULL)", true},
    {"books",
     "{\"or\": [{\"and\": [{\"year\": {\"ge\": 2000}}, {\"in_print\": true}]}, "
     "{\"not\": {\"rating\": {\"ge\": 1}}}], \"title\": {\"like\": \"%o%\"}}",
     "((t.year >= 2000 AND t.in_print = true) OR NOT (t.rating >= 1)) AND t.title LIKE '%o%'",
     true},
    /* many-to-many any */
    {"books", "{\"genres\": {\"any\": {\"name\": \"scifi\"}}}", BG_EXISTS("g.name = 'scifi'"),
     true},
    {"books", "{\"genres\": {\"any\": {\"name\": {\"in\": [\"horror\", \"classic\"]}}}}",
     BG_EXISTS("g.name IN ('horror', 'classic')"), true},
    {"books", "{\"genres\": {\"any\": {}}}",
     "EXISTS (SELECT 1 FROM {P}book_genres bg WHERE bg.book_id = t.id)", true},
    {"books", "{\"not\": {\"genres\": {\"any\": {}}}}",
     "NOT EXISTS (SELECT 1 FROM {P}book_genres bg WHERE bg.book_id = t.id)", true},
    {"books", "{\"genres\": {\"any\": {\"name\": \"fantasy\"}}, \"year\": {\"lt\": 2000}}",
     BG_EXISTS("g.name = 'fantasy'") " AND t.year < 2000", true},
    {"books",
     "{\"and\": [{\"genres\": {\"any\": {\"name\": \"scifi\"}}}, "
     "{\"genres\": {\"any\": {\"name\": \"fantasy\"}}}]}",
     BG_EXISTS("g.name = 'scifi'") " AND " BG_EXISTS("g.name = 'fantasy'"), true},
    {"genres", "{\"books\": {\"any\": {\"year\": {\"lt\": 1990}}}}",
     "EXISTS (SELECT 1 FROM {P}book_genres bg JOIN {P}books b ON b.id = bg.book_id "
     "WHERE bg.genre_id = t.id AND b.year < 1990)",
     true},
    {"genres", "{\"not\": {\"books\": {\"any\": {}}}}",
     "NOT EXISTS (SELECT 1 FROM {P}book_genres bg WHERE bg.genre_id = t.id)", true},
    /* one-to-many any, nested */
    {"users", "{\"orders\": {\"any\": {\"status\": \"paid\"}}}",
     "EXISTS (SELECT 1 FROM {P}orders o WHERE o.user_id = t.id AND o.status = 'paid')", true},
    {"users", "{\"orders\": {\"any\": {\"items\": {\"any\": {\"qty\": 2}}}}}",
     "EXISTS (SELECT 1 FROM {P}orders o JOIN {P}items i ON i.order_id = o.id "
     "WHERE o.user_id = t.id AND i.qty = 2)",
     true},
    {"users", "{\"not\": {\"orders\": {\"any\": {}}}, \"email\": {\"like\": \"u%\"}}",
     "NOT EXISTS (SELECT 1 FROM {P}orders o WHERE o.user_id = t.id) AND t.email LIKE 'u%'", true},
    {"users", "{\"name\": null}", "t.name IS NULL", true},
    {"users", "{\"name\": {\"ilike\": \"a%\"}}", "t.name ILIKE 'a%'", true},
    {"users", "{\"active\": false}", "t.active = false", true},
    {"users", "{\"or\": [{\"name\": {\"ilike\": \"b%\"}}, {\"age\": {\"ge\": 60}}]}",
     "(t.name ILIKE 'b%' OR t.age >= 60)", true},
    {"users", "{\"created_at\": {\"ge\": \"2000-01-01T00:00:00Z\"}, \"email\": {\"like\": \"u%\"}}",
     "t.created_at >= '2000-01-01T00:00:00Z' AND t.email LIKE 'u%'", true},
    /* many-to-one has, nested */
    {"orders", "{\"user\": {\"has\": {\"email\": {\"like\": \"u0%\"}}}}",
     "EXISTS (SELECT 1 FROM {P}users u WHERE u.id = t.user_id AND u.email LIKE 'u0%')", true},
    {"orders", "{\"user\": {\"has\": {\"active\": true}}, \"status\": {\"ne\": \"cancelled\"}}",
     "EXISTS (SELECT 1 FROM {P}users u WHERE u.id = t.user_id AND u.active) "
     "AND t.status <> 'cancelled'",
     true},
    {"orders", "{\"total\": {\"between\": [\"1.00\", \"50.00\"]}}", "t.total BETWEEN 1 AND 50",
     true},
    {"orders", "{\"created_at\": {\"ge\": \"2026-01-01T00:40:00Z\"}}",
     "t.created_at >= '2026-01-01T00:40:00Z'", true},
    {"orders", "{\"created_at\": {\"lt\": \"2026-01-01T01:40:00+01:00\"}}",
     "t.created_at < '2026-01-01T01:40:00+01:00'", true},
    {"items", "{\"order\": {\"has\": {\"user\": {\"has\": {\"email\": \"u03@x.org\"}}}}}",
     "EXISTS (SELECT 1 FROM {P}orders o JOIN {P}users u ON u.id = o.user_id "
     "WHERE o.id = t.order_id AND u.email = 'u03@x.org')",
     true},
};

/* A DTO restricted by fields: no column outside them (relationships whose
 * strategy is eager may still appear: their values are arrays/objects). */
static bool only_fields(const json_t *dto, const char *const *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) dto, key, v)
    {
        bool asked = false;
        for (size_t i = 0; fields[i]; i++)
            asked |= strcmp(fields[i], key) == 0;
        if (!asked && !json_is_array(v) && !json_is_object(v))
            return false;
    }
    for (size_t i = 0; fields[i]; i++)
        if (!json_object_get(dto, fields[i]))
            return false;
    return true;
}

static void test_where_operators(void **state)
{
    (void) state;
    size_t n_cases = sizeof CASES / sizeof CASES[0];
    /* the truth of every case in one psql run: "n:id,id,..." per line */
    const char *script = "";
    for (size_t i = 0; i < n_cases; i++)
        script = S("%sSELECT count(*) || ':' || coalesce(string_agg(t.id::text, ',' ORDER BY "
                   "t.id), '') FROM %s t WHERE %s;\n",
                   script, R(CASES[i].resource), P(CASES[i].sql));
    const char *truths = sql("%s", script);
    int failures = 0;
    const char *line = truths;
    for (size_t i = 0; i < n_cases; i++) {
        const where_case *c = &CASES[i];
        size_t len = strcspn(line, "\n");
        const char *t = S("%.*s", (int) len, line);
        line += len + (line[len] == '\n');
        long long n = strtoll(t, NULL, 10);
        const char *truth = strchr(t, ':') + 1;
        if (c->nonempty && n == 0)
            fail_msg("case %zu selects nothing in the seed: %s", i, c->where);
        api_reply *r = POST(S("/api/%s/query", R(c->resource)),
                            S("{\"where\": %s, \"fields\": [\"id\"], \"order_by\": [\"id\"], "
                              "\"limit\": 1000, \"count\": true}",
                              c->where));
        if (r->status != 200) {
            print_error("case %zu: POST %s where %s -> %d %s\n", i, c->resource, c->where,
                        r->status, r->raw->body);
            failures++;
            continue;
        }
        const char *got = "";
        size_t k;
        json_t *it;
        json_array_foreach(jdata(r), k, it)
        {
            json_t *id = json_object_get(it, "id");
            got = S("%s%s%s", got, k ? "," : "",
                    json_is_string(id) ? json_string_value(id) : J(id ? id : json_null()));
        }
        json_t *count = json_object_get(json_object_get(r->body, "meta"), "count");
        if (strcmp(got, truth) != 0 || !json_is_integer(count) || json_integer_value(count) != n) {
            print_error("case %zu: %s where %s\n  SQL (%lld rows): %s\n  got (count %s): %s\n", i,
                        c->resource, c->where, n, truth, count ? J(count) : "absent", got);
            failures++;
            continue;
        }
        const char *const only_id[] = {"id", NULL};
        json_array_foreach(jdata(r), k, it)
        {
            if (!only_fields(it, only_id)) {
                print_error("case %zu: fields [\"id\"] gave %s\n", i, J(it));
                failures++;
                break;
            }
        }
        /* the same where document through GET ?where= */
        api_reply *g = GET(
            S("/api/%s?where=%s&order_by=id&limit=1000&count=true", R(c->resource), U(c->where)));
        const char *gids = g->status == 200 ? jcolumn(jdata(g), "id") : "";
        for (char *p = (char *) gids; *p; p++)
            if (*p == '\n')
                *p = ',';
        if (g->status != 200 || strcmp(gids, truth) != 0) {
            print_error("case %zu: GET ?where=%s -> %d %.500s\n", i, c->where, g->status,
                        g->raw->body);
            failures++;
        }
    }
    if (failures)
        fail_msg("%d where case(s) disagree with SQL", failures);
}

/* ---- order_by, limit, offset, fields, count --------------------------------------- */

static void test_order_paging_fields_count(void **state)
{
    (void) state;
    const char *books = R("books");
    const char *q = S("/api/%s/query", books);
    api_reply *r = POST(q, "{\"order_by\": [{\"year\": \"desc\"}, \"id\"], \"limit\": 1000, "
                           "\"fields\": [\"id\", \"title\"]}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "id"),
                        sql("SELECT id FROM %s ORDER BY year DESC, id", books));
    size_t i;
    json_t *it;
    const char *const id_title[] = {"id", "title", NULL};
    json_array_foreach(jdata(r), i, it)
    {
        if (!only_fields(it, id_title))
            fail_msg("fields [id, title] gave %s", J(it));
    }
    r = POST(S("/api/%s/query", R("users")), "{\"fields\": [\"email\"], \"limit\": 3}");
    EXPECT_STATUS(r, 200);
    const char *const email[] = {"email", NULL};
    json_array_foreach(jdata(r), i, it)
    {
        if (json_object_size(it) != 1 || !only_fields(it, email))
            fail_msg("users fields [email] gave %s", J(it));
    }

    r = POST(q, "{\"order_by\": [{\"price\": \"asc\"}, {\"id\": \"desc\"}], \"limit\": 1000}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "id"),
                        sql("SELECT id FROM %s ORDER BY price ASC, id DESC", books));

    /* limit/offset slice the same order; count ignores them */
    r = POST(q, "{\"where\": {\"year\": {\"is_null\": false}}, \"order_by\": [\"year\", \"id\"], "
                "\"limit\": 5, \"offset\": 3, \"count\": true}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "id"),
                        sql("SELECT id FROM %s WHERE year IS NOT NULL ORDER BY year, id "
                            "LIMIT 5 OFFSET 3",
                            books));
    json_t *meta = jget(r->body, "meta");
    assert_int_equal(jint(meta, "limit"), 5);
    assert_int_equal(jint(meta, "offset"), 3);
    assert_int_equal(jint(meta, "count"),
                     sql_int("SELECT count(*) FROM %s WHERE year IS NOT NULL", books));
    /* without count: null */
    r = POST(q, "{\"limit\": 2}");
    EXPECT_STATUS(r, 200);
    assert_true(json_is_null(jget(jget(r->body, "meta"), "count")));
    assert_int_equal(json_array_size(jdata(r)), 2);
    /* an empty document: default limit */
    r = POST(q, "{}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(jget(r->body, "meta"), "limit"), 100);
    /* offset past the end */
    r = POST(q, "{\"offset\": 100000, \"count\": true}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 0);
    assert_int_equal(jint(jget(r->body, "meta"), "count"),
                     sql_int("SELECT count(*) FROM %s", books));
}

/* Unknown operators, fields, relationships; bad paging: 400 with a pointer
 * into the query document. */
static void test_query_errors(void **state)
{
    (void) state;
    const char *q = S("/api/%s/query", R("users"));
    struct {
        const char *doc, *pointer;
        bool prefix; /* the pointer may continue below this one */
    } bad[] = {
        {"{\"where\": {\"nope\": 1}}", "/where/nope", false},
        {"{\"where\": {\"email\": {\"likes\": \"x\"}}}", "/where/email/likes", false},
        {"{\"where\": {\"or\": [{\"email\": \"a\"}, {\"nope\": 2}]}}", "/where/or/1/nope", false},
        {"{\"where\": {\"not\": {\"age\": {\"btw\": [1, 2]}}}}", "/where/not/age/btw", false},
        {"{\"where\": {\"orders\": {\"any\": {\"nope\": 1}}}}", "/where/orders/any/nope", false},
        {"{\"where\": {\"nope\": {\"any\": {}}}}", "/where/nope", false},
        {"{\"where\": {\"age\": {\"between\": [1]}}}", "/where/age/between", true},
        {"{\"order_by\": [\"nope\"]}", "/order_by/0", false},
        {"{\"order_by\": [{\"email\": \"sideways\"}]}", "/order_by/0", true},
        {"{\"fields\": [\"id\", \"nope\"]}", "/fields/1", false},
        {"{\"options\": [{\"selectinload\": \"nope\"}]}", "/options/0", true},
        {"{\"options\": [{\"joinedload\": \"orders.nope\"}]}", "/options/0", true},
        {"{\"limit\": 1001}", "/limit", false},
        {"{\"limit\": -1}", "/limit", false},
        {"{\"offset\": -5}", "/offset", false},
        {"{\"bogus\": true}", "/bogus", false},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        api_reply *r = POST(q, bad[i].doc);
        if (bad[i].prefix) {
            EXPECT_PROBLEM(r, 400, NULL);
            EXPECT_POINTER_PREFIX(r, bad[i].pointer);
        } else {
            EXPECT_PROBLEM(r, 400, bad[i].pointer);
        }
    }
    /* wrong relationship operator (any on a to-one, has on a to-many) */
    api_reply *r = POST(S("/api/%s/query", R("orders")), "{\"where\": {\"user\": {\"any\": {}}}}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/where/user");
    r = POST(q, "{\"where\": {\"orders\": {\"has\": {}}}}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/where/orders");
    /* unknown loader option name */
    r = POST(q, "{\"options\": [{\"fastload\": \"orders\"}]}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/options/0");
    /* unknown resource */
    r = POST("/api/no_such_resource/query", "{}");
    EXPECT_PROBLEM(r, 404, NULL);
}

/* ---- loader options ------------------------------------------------------------- */

static const char *orders_per_user(const char *like)
{
    return sql("SELECT u.email || ':' || count(o.id) FROM %s u LEFT JOIN %s o ON o.user_id = u.id "
               "WHERE u.email LIKE '%s' GROUP BY u.email ORDER BY u.email",
               R("users"), R("orders"), like);
}

static const char *shape_orders(const json_t *users)
{
    const char *out = "";
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
    {
        json_t *orders = json_object_get(u, "orders");
        if (!json_is_array(orders))
            fail_msg("no orders array in %s", J(u));
        out = S("%s%s%s:%zu", out, i ? "\n" : "", jstr(u, "email"), json_array_size(orders));
    }
    return out;
}

/* "key|child,child" per parent, from a list of DTOs (parent order) */
static const char *nested_map(const json_t *parents, const char *key, const char *rel,
                              const char *child_key)
{
    const char *out = "";
    size_t i;
    json_t *p;
    json_array_foreach(parents, i, p)
    {
        json_t *k = jget(p, key);
        const char *line = S("%s|", json_is_string(k) ? json_string_value(k) : J(k));
        json_t *children = jget(p, rel);
        if (!json_is_array(children))
            fail_msg("%s is not an array in %s", rel, J(p));
        size_t c;
        json_t *ch;
        json_array_foreach(children, c, ch)
        {
            json_t *v = jget(ch, child_key);
            line = S("%s%s%s", line, c ? "," : "", json_is_string(v) ? json_string_value(v) : J(v));
        }
        out = i ? S("%s\n%s", out, line) : line;
    }
    return out;
}

static void test_loader_options(void **state)
{
    (void) state;
    const char *q = S("/api/%s/query", R("users"));
    const char *w = "\"where\": {\"email\": {\"like\": \"u%\"}}, \"order_by\": [\"email\"]";

    api_reply *sel = POST(q, S("{%s, \"options\": [{\"selectinload\": \"orders\"}]}", w));
    EXPECT_STATUS(sel, 200);
    assert_string_equal(shape_orders(jdata(sel)), orders_per_user("u%"));
    assert_int_equal(QUERY_COUNT(sel), 2);
    /* each user's orders are its own, in the relationship's order */
    assert_string_equal(nested_map(jdata(sel), "email", "orders", "id"),
                        sql("SELECT u.email || '|' || coalesce(string_agg(o.id::text, ',' ORDER "
                            "BY o.created_at), '') FROM %s u LEFT JOIN %s o ON o.user_id = u.id "
                            "WHERE u.email LIKE 'u%%' GROUP BY u.email ORDER BY u.email",
                            R("users"), R("orders")));
    size_t i;
    json_t *u;
    json_array_foreach(jdata(sel), i, u)
    {
        assert_null(json_object_get(json_array_get(jget(u, "orders"), 0), "items"));
    }

    api_reply *join = POST(q, S("{%s, \"options\": [{\"joinedload\": \"orders\"}]}", w));
    EXPECT_STATUS(join, 200);
    assert_int_equal(QUERY_COUNT(join), 1);
    if (!json_equal(jdata(sel), jdata(join)))
        fail_msg("selectinload and joinedload differ:\n%s\n%s", J(jdata(sel)), J(jdata(join)));

    /* include= is shorthand for selectinload */
    api_reply *inc = GET(S("/api/%s?where=%s&order_by=email&include=orders", R("users"),
                           U("{\"email\": {\"like\": \"u%\"}}")));
    EXPECT_STATUS(inc, 200);
    assert_int_equal(QUERY_COUNT(inc), 2);
    if (!json_equal(jdata(sel), jdata(inc)))
        fail_msg("include=orders and selectinload differ");

    /* two levels: one statement per level with selectin, one in all joined */
    api_reply *sel2 = POST(q, S("{%s, \"options\": [{\"selectinload\": \"orders.items\"}]}", w));
    EXPECT_STATUS(sel2, 200);
    assert_int_equal(QUERY_COUNT(sel2), 3);
    api_reply *join2 = POST(q, S("{%s, \"options\": [{\"joinedload\": \"orders.items\"}]}", w));
    EXPECT_STATUS(join2, 200);
    assert_int_equal(QUERY_COUNT(join2), 1);
    if (!json_equal(jdata(sel2), jdata(join2)))
        fail_msg("orders.items: selectinload and joinedload differ:\n%s\n%s", J(jdata(sel2)),
                 J(jdata(join2)));
    /* every order's items, in the relationship's order (id) */
    json_t *all_orders = jparse("[]");
    json_array_foreach(jdata(sel2), i, u)
    {
        json_array_extend(all_orders, jget(u, "orders"));
    }
    const char *got_items = nested_map(all_orders, "id", "items", "id");
    const char *want_items =
        sql("SELECT o.id || '|' || coalesce(string_agg(i.id::text, ',' ORDER BY i.id), '') FROM "
            "%s o JOIN %s u ON u.id = o.user_id LEFT JOIN %s i ON i.order_id = o.id WHERE u.email "
            "LIKE 'u%%' GROUP BY o.id, u.email, o.created_at ORDER BY u.email, o.created_at",
            R("orders"), R("users"), R("items"));
    assert_string_equal(got_items, want_items);
    api_reply *inc2 = GET(S("/api/%s?where=%s&order_by=email&include=orders,orders.items",
                            R("users"), U("{\"email\": {\"like\": \"u%\"}}")));
    EXPECT_STATUS(inc2, 200);
    assert_int_equal(QUERY_COUNT(inc2), 3);
    assert_true(json_equal(jdata(sel2), jdata(inc2)));

    /* the option naming a hop wins over a hop implied by a dotted path:
     * orders selectin (named), items joined into that statement */
    api_reply *mix = POST(q, S("{%s, \"options\": [{\"joinedload\": \"orders.items\"}, "
                               "{\"selectinload\": \"orders\"}]}",
                               w));
    EXPECT_STATUS(mix, 200);
    assert_int_equal(QUERY_COUNT(mix), 2);
    assert_true(json_equal(jdata(sel2), jdata(mix)));
    /* neither names "orders": the first in document order (selectin) wins
     * for it: users, orders (+ joined user), items */
    api_reply *first = POST(q, S("{%s, \"options\": [{\"selectinload\": \"orders.items\"}, "
                                 "{\"joinedload\": \"orders.user\"}]}",
                                 w));
    EXPECT_STATUS(first, 200);
    assert_int_equal(QUERY_COUNT(first), 3);
    json_array_foreach(jdata(first), i, u)
    {
        size_t k;
        json_t *o;
        json_array_foreach(jget(u, "orders"), k, o)
        {
            assert_string_equal(jstr(jget(o, "user"), "id"), jstr(u, "id"));
            assert_true(json_is_array(jget(o, "items")));
        }
    }

    /* raise: a relationship named while its strategy is raise is a 400
     * naming it and the option that would load it */
    api_reply *r = POST(q, S("{%s, \"fields\": [\"id\", \"orders\"]}", w));
    EXPECT_PROBLEM(r, 400, NULL);
    const char *text = api_problem_text(r->body);
    if (!strstr(text, "orders") || (!strstr(text, "selectinload") && !strstr(text, "joinedload")))
        fail_msg("the raise problem does not name the relationship and an option: %s", text);
    r = POST(q, S("{%s, \"options\": [{\"raiseload\": \"orders\"}], \"fields\": [\"email\", "
                  "\"orders\"]}",
                  w));
    EXPECT_PROBLEM(r, 400, NULL);
    text = api_problem_text(r->body);
    if (!strstr(text, "orders") || (!strstr(text, "selectinload") && !strstr(text, "joinedload")))
        fail_msg("the raiseload problem does not name the relationship and an option: %s", text);
    r = POST(q, S("{%s, \"options\": [{\"raiseload\": \"*\"}], \"fields\": [\"email\", "
                  "\"orders\"]}",
                  w));
    EXPECT_PROBLEM(r, 400, NULL);
    /* raise on something nobody touches is fine */
    r = POST(q, S("{%s, \"options\": [{\"raiseload\": \"*\"}]}", w));
    EXPECT_STATUS(r, 200);
    assert_null(json_object_get(json_array_get(jdata(r), 0), "orders"));
    r = POST(S("/api/%s/query", R("orders")),
             "{\"options\": [{\"selectinload\": \"items\"}], \"fields\": [\"id\", \"user\"]}");
    EXPECT_PROBLEM(r, 400, NULL);
    text = api_problem_text(r->body);
    if (!strstr(text, "user"))
        fail_msg("the raise problem does not name \"user\": %s", text);

    /* noload: omitted, even when named, and never loaded */
    r = POST(q, S("{%s, \"options\": [{\"noload\": \"orders\"}], \"fields\": [\"id\", "
                  "\"email\", \"orders\"]}",
                  w));
    EXPECT_STATUS(r, 200);
    json_array_foreach(jdata(r), i, u)
    {
        assert_null(json_object_get(u, "orders"));
        assert_non_null(json_object_get(u, "email"));
    }
    assert_int_equal(QUERY_COUNT(r), 1);

    /* a model-default eager relationship (books.genres is selectin) */
    const char *bq = S("/api/%s/query", R("books"));
    r = POST(bq, "{\"order_by\": [\"id\"], \"limit\": 1000}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(QUERY_COUNT(r), 2);
    assert_string_equal(nested_map(jdata(r), "id", "genres", "name"),
                        sql("SELECT b.id || '|' || coalesce(string_agg(g.name, ',' ORDER BY "
                            "g.name), '') FROM %s b LEFT JOIN %s bg ON bg.book_id = b.id LEFT "
                            "JOIN %s g ON g.id = bg.genre_id GROUP BY b.id ORDER BY b.id",
                            R("books"), R("book_genres"), R("genres")));
    api_reply *bj = POST(bq, "{\"order_by\": [\"id\"], \"limit\": 1000, \"options\": "
                             "[{\"joinedload\": \"genres\"}]}");
    EXPECT_STATUS(bj, 200);
    assert_int_equal(QUERY_COUNT(bj), 1);
    assert_true(json_equal(jdata(r), jdata(bj)));
    r = POST(bq, "{\"limit\": 5, \"options\": [{\"noload\": \"genres\"}]}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(QUERY_COUNT(r), 1);
    assert_null(json_object_get(json_array_get(jdata(r), 0), "genres"));
    r = POST(bq, "{\"limit\": 5, \"options\": [{\"raiseload\": \"genres\"}]}");
    EXPECT_STATUS(r, 200);
    assert_null(json_object_get(json_array_get(jdata(r), 0), "genres"));

    /* many-to-many from the other side, by include */
    r = GET(S("/api/%s?include=books&order_by=name", R("genres")));
    EXPECT_STATUS(r, 200);
    assert_int_equal(QUERY_COUNT(r), 2);
    assert_string_equal(nested_map(jdata(r), "name", "books", "id"),
                        sql("SELECT g.name || '|' || coalesce(string_agg(bg.book_id::text, ',' "
                            "ORDER BY bg.book_id), '') FROM %s g LEFT JOIN %s bg ON bg.genre_id "
                            "= g.id GROUP BY g.name ORDER BY g.name",
                            R("genres"), R("book_genres")));
}

/* ---- X-Query-Count: selectin vs joined over 5 and 50 parents ------------------------ */

static void test_query_count_strategies(void **state)
{
    (void) state;
    const char *users = R("users");
    /* GET one entity: 1; with include=orders: 2 whatever the number */
    const char *ids = sql("SELECT id FROM %s WHERE email LIKE 'qc5-%%' ORDER BY email", users);
    for (const char *p = ids; *p;) {
        size_t n = strcspn(p, "\n");
        const char *id = S("%.*s", (int) n, p);
        api_reply *r = GET(S("/api/%s/%s", users, id));
        EXPECT_STATUS(r, 200);
        assert_int_equal(QUERY_COUNT(r), 1);
        r = GET(S("/api/%s/%s?include=orders", users, id));
        EXPECT_STATUS(r, 200);
        assert_int_equal(QUERY_COUNT(r), 2);
        assert_int_equal(json_array_size(jget(r->body, "orders")),
                         sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), id));
        p += n + (p[n] == '\n');
    }
    assert_int_equal(sql_int("SELECT count(*) FROM %s o JOIN %s u ON u.id = o.user_id "
                             "WHERE u.email = 'qc5-02@x.org'",
                             R("orders"), users),
                     20);

    const char *likes[] = {"qc5-%", "qc50-%"};
    for (int k = 0; k < 2; k++) {
        const char *w =
            S("\"where\": {\"email\": {\"like\": \"%s\"}}, \"order_by\": [\"email\"]", likes[k]);
        const char *q = S("/api/%s/query", users);
        api_reply *sel = POST(q, S("{%s, \"options\": [{\"selectinload\": \"orders\"}]}", w));
        EXPECT_STATUS(sel, 200);
        assert_int_equal(json_array_size(jdata(sel)), k ? 50 : 5);
        assert_int_equal(QUERY_COUNT(sel), 2);
        assert_string_equal(shape_orders(jdata(sel)), orders_per_user(likes[k]));

        api_reply *selc = POST(q, S("{%s, \"count\": true, \"options\": [{\"selectinload\": "
                                    "\"orders\"}]}",
                                    w));
        EXPECT_STATUS(selc, 200);
        assert_int_equal(QUERY_COUNT(selc), 3);
        assert_int_equal(jint(jget(selc->body, "meta"), "count"), k ? 50 : 5);

        api_reply *join = POST(q, S("{%s, \"options\": [{\"joinedload\": \"orders\"}]}", w));
        EXPECT_STATUS(join, 200);
        assert_int_equal(QUERY_COUNT(join), 1);
        api_reply *joinc = POST(q, S("{%s, \"count\": true, \"options\": [{\"joinedload\": "
                                     "\"orders\"}]}",
                                     w));
        EXPECT_STATUS(joinc, 200);
        assert_int_equal(QUERY_COUNT(joinc), 2);

        api_reply *inc = GET(S("/api/%s?where=%s&order_by=email&include=orders", users,
                               U(S("{\"email\": {\"like\": \"%s\"}}", likes[k]))));
        EXPECT_STATUS(inc, 200);
        assert_int_equal(QUERY_COUNT(inc), 2);

        /* identical JSON whatever the strategy */
        if (!json_equal(jdata(sel), jdata(join)) || !json_equal(jdata(sel), jdata(inc)) ||
            !json_equal(jdata(sel), jdata(selc)) || !json_equal(jdata(sel), jdata(joinc)))
            fail_msg("%s: strategies differ\n selectin %s\n joined   %s\n include  %s", likes[k],
                     J(jdata(sel)), J(jdata(join)), J(jdata(inc)));

        /* limit applies to parents, not joined rows */
        api_reply *sl = POST(q, S("{%s, \"limit\": 3, \"offset\": 1, \"options\": "
                                  "[{\"selectinload\": \"orders\"}]}",
                                  w));
        api_reply *jl = POST(q, S("{%s, \"limit\": 3, \"offset\": 1, \"options\": "
                                  "[{\"joinedload\": \"orders\"}]}",
                                  w));
        EXPECT_STATUS(sl, 200);
        EXPECT_STATUS(jl, 200);
        assert_int_equal(json_array_size(jdata(jl)), 3);
        assert_int_equal(QUERY_COUNT(jl), 1);
        if (!json_equal(jdata(sl), jdata(jl)))
            fail_msg("%s with limit 3 offset 1: selectin %s\n joined %s", likes[k], J(jdata(sl)),
                     J(jdata(jl)));
    }
    /* two levels over 50 parents */
    const char *w50 = "\"where\": {\"email\": {\"like\": \"qc50-%\"}}, \"order_by\": [\"email\"]";
    const char *q = S("/api/%s/query", users);
    api_reply *s2 = POST(q, S("{%s, \"options\": [{\"selectinload\": \"orders.items\"}]}", w50));
    api_reply *j2 = POST(q, S("{%s, \"options\": [{\"joinedload\": \"orders.items\"}]}", w50));
    EXPECT_STATUS(s2, 200);
    EXPECT_STATUS(j2, 200);
    assert_int_equal(QUERY_COUNT(s2), 3);
    assert_int_equal(QUERY_COUNT(j2), 1);
    assert_true(json_equal(jdata(s2), jdata(j2)));
}

/* ---- aggregates --------------------------------------------------------------------- */

static const char *agg_rows(const json_t *data, const char *const *keys, size_t n)
{
    const char *out = "";
    size_t i;
    json_t *row;
    json_array_foreach(data, i, row)
    {
        const char *line = "";
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_object_get(row, keys[k]);
            const char *t = json_is_string(v)    ? json_string_value(v)
                            : json_is_integer(v) ? S("%lld", (long long) json_integer_value(v))
                            : v                  ? J(v)
                                                 : "(absent)";
            line = k ? S("%s|%s", line, t) : t;
        }
        out = i ? S("%s\n%s", out, line) : line;
    }
    return out;
}

static void test_aggregates(void **state)
{
    (void) state;
    const char *orders = R("orders");
    const char *q = S("/api/%s/query", orders);
    api_reply *r =
        POST(q, "{\"group_by\": [\"status\"], \"aggregates\": {\"n\": {\"count\": "
                "\"*\"}, \"revenue\": {\"sum\": \"total\"}}, \"order_by\": [\"status\"]}");
    EXPECT_STATUS(r, 200);
    const char *keys[] = {"status", "n", "revenue"};
    assert_string_equal(agg_rows(jdata(r), keys, 3),
                        sql("SELECT status || '|' || count(*) || '|' || sum(total) FROM %s "
                            "GROUP BY status ORDER BY status",
                            orders));
    /* rows, not entities: exactly the grouped and aggregated keys */
    assert_int_equal(json_object_size(json_array_get(jdata(r), 0)), 3);
    assert_int_equal(QUERY_COUNT(r), 1);

    /* with a where (relationship included) */
    r = POST(q, "{\"where\": {\"user\": {\"has\": {\"email\": {\"like\": \"u%\"}}}}, "
                "\"group_by\": [\"status\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}, "
                "\"order_by\": [\"status\"]}");
    EXPECT_STATUS(r, 200);
    const char *keys2[] = {"status", "n"};
    assert_string_equal(agg_rows(jdata(r), keys2, 2),
                        sql("SELECT o.status || '|' || count(*) FROM %s o JOIN %s u ON u.id = "
                            "o.user_id WHERE u.email LIKE 'u%%' GROUP BY o.status ORDER BY "
                            "o.status",
                            orders, R("users")));

    /* without group_by: one row */
    r = POST(q, "{\"aggregates\": {\"n\": {\"count\": \"*\"}, \"revenue\": {\"sum\": "
                "\"total\"}}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 1);
    const char *keys3[] = {"n", "revenue"};
    assert_string_equal(agg_rows(jdata(r), keys3, 2),
                        sql("SELECT count(*) || '|' || sum(total) FROM %s", orders));

    /* names are checked */
    r = POST(q, "{\"group_by\": [\"nope\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/group_by");
    r = POST(q, "{\"group_by\": [\"status\"], \"aggregates\": {\"s\": {\"sum\": \"nope\"}}}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/aggregates/s");
    r = POST(q, "{\"group_by\": [\"status\"], \"aggregates\": {\"s\": {\"explode\": "
                "\"total\"}}}");
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/aggregates/s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_where_operators, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_order_paging_fields_count, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_query_errors, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_loader_options, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_query_count_strategies, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_aggregates, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests_name("e2e api query", tests, group_setup, group_teardown);
}
