/*
 * The REST routes one by one (SPEC.md §2 routes, "Precise rules", §4):
 * create, get, list parameters, partial update with If-Match, delete, the
 * literal-beats-parameter rule for .../query, composite and
 * percent-encoded keys, and the HTTP-level errors (404, 405 + Allow, 415,
 * 400), every error checked for the problem+json shape.
 */
#include "api_support.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
        fail_msg("bad regex %s", pattern);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

#define UUID_RE "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#define RFC3339_RE                                                                                 \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"

static json_t *create(const char *resource, const char *body)
{
    api_reply *r = POST(S("/api/%s", R(resource)), body);
    EXPECT_STATUS(r, 201);
    assert_true(json_is_object(r->body));
    return r->body;
}

static json_t *create_user(const char *email)
{
    return create("users", S("{\"email\": \"%s\", \"name\": \"N %s\"}", email, email));
}

static json_t *create_order(const char *user_id, const char *total)
{
    return create("orders", S("{\"user_id\": \"%s\", \"total\": \"%s\"}", user_id, total));
}

/* The list of methods in an Allow header contains / lacks m. */
static bool allows(const char *allow, const char *m)
{
    if (!allow)
        return false;
    size_t n = strlen(m);
    for (const char *p = allow; (p = strstr(p, m)); p += n)
        if ((p == allow || p[-1] == ' ' || p[-1] == ',') && (!p[n] || p[n] == ',' || p[n] == ' '))
            return true;
    return false;
}

/* ---- create ------------------------------------------------------------------ */

static void test_create_and_get(void **state)
{
    (void) state;
    api_reply *r = POST(S("/api/%s", R("users")),
                        "{\"email\": \"c1@x.org\", \"name\": \"C One\", \"age\": 30}");
    EXPECT_STATUS(r, 201);
    assert_string_equal(ts_header_get(r->raw, "Content-Type"), "application/json");
    assert_non_null(ts_header_get(r->raw, "X-Request-Id"));
    /* Server-Timing: total, pool wait and database time */
    const char *timing = ts_header_get(r->raw, "Server-Timing");
    assert_non_null(timing);
    int parts = 0;
    for (const char *p = timing; (p = strstr(p, ";dur=")); p++)
        parts++;
    if (!strstr(timing, "total;dur=") || parts < 3)
        fail_msg("Server-Timing lacks total, pool wait and database time: %s", timing);
    json_t *u = r->body;
    /* server defaults are in the DTO: id (gen_random_uuid) and created_at */
    const char *id = jstr(u, "id");
    assert_true(matches(UUID_RE, id));
    const char *created = jstr(u, "created_at");
    if (!matches(RFC3339_RE, created))
        fail_msg("created_at \"%s\" is not RFC 3339", created);
    assert_string_equal(jstr(u, "email"), "c1@x.org");
    assert_string_equal(jstr(u, "name"), "C One");
    assert_int_equal(jint(u, "age"), 30);
    assert_true(json_is_true(jget(u, "active"))); /* client-side default */
    /* orders is lazy "raise": never in the DTO unless asked for */
    assert_null(json_object_get(u, "orders"));

    const char *location = ts_header_get(r->raw, "Location");
    assert_non_null(location);
    assert_string_equal(location, S("/api/%s/%s", R("users"), id));
    assert_int_equal(
        sql_int("SELECT count(*) FROM %s WHERE id = '%s' AND email = 'c1@x.org'", R("users"), id),
        1);

    api_reply *g = GET(location);
    EXPECT_STATUS(g, 200);
    if (!json_equal(g->body, u))
        fail_msg("GET after create differs:\n created %s\n got     %s", J(u), J(g->body));
    /* SPEC: GET /api/users/{id} is 1 statement */
    assert_int_equal(QUERY_COUNT(g), 1);
    /* users has no version column: no ETag */
    assert_null(ts_header_get(g->raw, "ETag"));

    /* numeric keeps its exact decimal digits; version starts at 1; the
     * "pending" default is filled */
    api_reply *o =
        POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\", \"total\": \"10.50\"}", id));
    EXPECT_STATUS(o, 201);
    if (!strstr(o->raw->body, "\"total\":\"10.50\"") && !strstr(o->raw->body, "\"total\":10.50"))
        fail_msg("total lost its digits: %s", o->raw->body);
    assert_string_equal(jstr(o->body, "status"), "pending");
    assert_int_equal(jint(o->body, "version"), 1);
    assert_true(matches(RFC3339_RE, jstr(o->body, "created_at")));
    assert_string_equal(jstr(o->body, "user_id"), id);

    /* Create responses include the model-default eager relationships
     * (books.genres is lazy "selectin"). */
    api_reply *b = POST(S("/api/%s", R("books")), "{\"title\": \"Dune\", \"year\": 1965}");
    EXPECT_STATUS(b, 201);
    assert_true(json_is_integer(jget(b->body, "id")));
    assert_true(json_is_array(jget(b->body, "genres")));
    assert_int_equal(json_array_size(jget(b->body, "genres")), 0);
    api_reply *bg = GET(ts_header_get(b->raw, "Location"));
    EXPECT_STATUS(bg, 200);
    assert_true(json_is_array(jget(bg->body, "genres")));
    assert_int_equal(QUERY_COUNT(bg), 2); /* the book + its selectin genres */
}

static void test_create_validation(void **state)
{
    (void) state;
    const char *users = S("/api/%s", R("users"));
    /* unknown fields: 422 naming each */
    api_reply *r = POST(users, "{\"email\": \"v1@x.org\", \"bogus\": 1, \"nickname\": \"x\"}");
    EXPECT_PROBLEM(r, 422, "/bogus");
    EXPECT_POINTERS(r, "/nickname");
    assert_false(api_has_pointer(r->body, "/email"));

    /* wrong JSON types */
    r = POST(users, "{\"email\": 5, \"age\": \"thirty\", \"active\": \"yes\"}");
    EXPECT_PROBLEM(r, 422, "/email");
    EXPECT_POINTERS(r, "/age", "/active");

    /* missing required (email is NOT NULL without default) */
    r = POST(users, "{\"name\": \"nobody\"}");
    EXPECT_PROBLEM(r, 422, "/email");

    /* too long: name is string(100) */
    char longname[102];
    memset(longname, 'n', 101);
    longname[101] = '\0';
    r = POST(users, S("{\"email\": \"v2@x.org\", \"name\": \"%s\"}", longname));
    EXPECT_PROBLEM(r, 422, "/name");
    /* exactly 100 code points (multi-byte) is fine */
    const char *hundred = "";
    for (int i = 0; i < 100; i++)
        hundred = S("%s\u00e9", hundred);
    r = POST(users, S("{\"email\": \"v3@x.org\", \"name\": \"%s\"}", hundred));
    EXPECT_STATUS(r, 201);

    /* integer out of range */
    r = POST(users, "{\"email\": \"v4@x.org\", \"age\": 4294967296}");
    EXPECT_PROBLEM(r, 422, "/age");

    /* every bad field listed at once */
    r = POST(users,
             S("{\"email\": null, \"name\": \"%s\", \"age\": 1.5, \"bogus\": true}", longname));
    EXPECT_PROBLEM(r, 422, "/email");
    EXPECT_POINTERS(r, "/name", "/age", "/bogus");

    /* a body of the wrong JSON type */
    r = POST(users, "[{\"email\": \"v5@x.org\"}]");
    EXPECT_PROBLEM(r, 422, NULL);
    r = POST(users, "\"v5@x.org\"");
    EXPECT_PROBLEM(r, 422, NULL);

    /* bad choice, bad uuid, bad numeric */
    json_t *u = create_user("v6@x.org");
    const char *uid = jstr(u, "id");
    r = POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\", \"status\": \"lost\"}", uid));
    EXPECT_PROBLEM(r, 422, "/status");
    r = POST(S("/api/%s", R("orders")), "{\"user_id\": \"not-a-uuid\", \"total\": \"abc\"}");
    EXPECT_PROBLEM(r, 422, "/user_id");
    EXPECT_POINTERS(r, "/total");
    r = POST(S("/api/%s", R("orders")), S("{\"user_id\": \"%s\", \"total\": \"1.234\"}", uid));
    EXPECT_PROBLEM(r, 422, "/total"); /* scale 2 */

    /* nothing of the refused bodies was written */
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email IN ('v1@x.org', 'v2@x.org', "
                             "'v4@x.org', 'v5@x.org')",
                             R("users")),
                     0);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE user_id = '%s'", R("orders"), uid), 0);
}

static void test_create_conflicts(void **state)
{
    (void) state;
    json_t *u = create_user("dup@x.org");
    /* unique violation: 409 pointing at the field, never SQL text */
    api_reply *r =
        POST(S("/api/%s", R("users")), "{\"email\": \"dup@x.org\", \"name\": \"again\"}");
    EXPECT_PROBLEM(r, 409, "/email");
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'dup@x.org'", R("users")), 1);

    /* foreign-key violation on create: 409 pointing at the fk field */
    r = POST(S("/api/%s", R("orders")),
             "{\"user_id\": \"00000000-0000-4000-8000-000000000000\", \"total\": \"1.00\"}");
    EXPECT_PROBLEM(r, 409, "/user_id");
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE user_id = "
                             "'00000000-0000-4000-8000-000000000000'",
                             R("orders")),
                     0);

    /* the same through an integer-keyed association */
    json_t *o = create_order(jstr(u, "id"), "3.00");
    r = POST(S("/api/%s", R("items")),
             S("{\"order_id\": \"%s\", \"sku\": \"A-1\", \"qty\": 2}", jstr(o, "id")));
    EXPECT_STATUS(r, 201);
    assert_true(json_is_integer(jget(r->body, "id")));
    r = POST(S("/api/%s", R("items")),
             "{\"order_id\": \"00000000-0000-4000-8000-000000000001\", \"sku\": \"A-2\"}");
    EXPECT_PROBLEM(r, 409, "/order_id");
    EXPECT_NO_SQL(r);

    /* a CHECK violation: 422 pointing at the columns its expression names */
    r = POST(S("/api/%s", R("accounts")), "{\"owner\": \"neg\", \"balance\": \"-0.01\"}");
    EXPECT_PROBLEM(r, 422, "/balance");
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE owner = 'neg'", R("accounts")), 0);
    r = POST(S("/api/%s", R("accounts")), "{\"owner\": \"zero\"}");
    EXPECT_STATUS(r, 201);
    if (!strstr(r->raw->body, "\"balance\":\"0.00\"") &&
        !strstr(r->raw->body, "\"balance\":\"0\"") && !strstr(r->raw->body, "\"balance\":0"))
        fail_msg("balance default 0 not in the DTO: %s", r->raw->body);
}

/* ---- get ------------------------------------------------------------------ */

static void test_get_errors_and_include(void **state)
{
    (void) state;
    const char *users = R("users");
    api_reply *r = GET(S("/api/%s/00000000-0000-4000-8000-00000000abcd", users));
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET(S("/api/%s/not-a-uuid", users));
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET("/api/no_such_resource");
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET("/api/no_such_resource/1");
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET(S("/api/%s/999999", R("books")));
    EXPECT_PROBLEM(r, 404, NULL);

    json_t *u = create_user("inc@x.org");
    const char *uid = jstr(u, "id");
    /* include=orders: 2 statements whatever the number of orders */
    for (int n = 0; n <= 3; n++) {
        if (n > 0)
            create_order(uid, S("%d.00", n));
        api_reply *g = GET(S("/api/%s/%s?include=orders", users, uid));
        EXPECT_STATUS(g, 200);
        json_t *orders = jget(g->body, "orders");
        assert_true(json_is_array(orders));
        assert_int_equal(json_array_size(orders), n);
        assert_int_equal(QUERY_COUNT(g), 2);
    }
    /* two levels: one statement per level */
    json_t *first =
        json_array_get(jget(GET(S("/api/%s/%s?include=orders", users, uid))->body, "orders"), 0);
    r = POST(S("/api/%s", R("items")),
             S("{\"order_id\": \"%s\", \"sku\": \"I-1\"}", jstr(first, "id")));
    EXPECT_STATUS(r, 201);
    assert_int_equal(jint(r->body, "qty"), 1); /* client default */
    api_reply *g2 = GET(S("/api/%s/%s?include=orders,orders.items", users, uid));
    EXPECT_STATUS(g2, 200);
    assert_int_equal(QUERY_COUNT(g2), 3);
    json_t *o0 = json_array_get(jget(g2->body, "orders"), 0);
    assert_int_equal(json_array_size(jget(o0, "items")), 1);
    assert_string_equal(jstr(json_array_get(jget(o0, "items"), 0), "sku"), "I-1");
    assert_true(json_is_array(jget(json_array_get(jget(g2->body, "orders"), 1), "items")));

    /* ordered by the relationship's order_by (created_at) */
    api_reply *g = GET(S("/api/%s/%s?include=orders", users, uid));
    const char *expect =
        sql("SELECT id FROM %s WHERE user_id = '%s' ORDER BY created_at, id", R("orders"), uid);
    assert_string_equal(jcolumn(jget(g->body, "orders"), "id"), expect);

    /* include of something that is not a relationship; unknown parameter */
    r = GET(S("/api/%s/%s?include=bogus", users, uid));
    EXPECT_PROBLEM(r, 400, "/include");
    r = GET(S("/api/%s/%s?include=email", users, uid));
    EXPECT_PROBLEM(r, 400, "/include");
    r = GET(S("/api/%s/%s?bogus=1", users, uid));
    EXPECT_PROBLEM(r, 400, "/bogus");

    /* ETag on the versioned model: the strong form of the version */
    json_t *o = create_order(uid, "5.00");
    g = GET(S("/api/%s/%s", R("orders"), jstr(o, "id")));
    EXPECT_STATUS(g, 200);
    const char *etag = ts_header_get(g->raw, "ETag");
    assert_non_null(etag);
    assert_string_equal(etag, "\"1\"");
    assert_int_equal(QUERY_COUNT(g), 1);
}

/* GET /api/{resource}/query is the entity whose key is "query"; POST is
 * the query route. Composite and percent-encoded keys. */
static void test_literal_routes_and_keys(void **state)
{
    (void) state;
    const char *tags = R("tags");
    api_reply *r = POST(S("/api/%s", tags), "{\"name\": \"query\", \"label\": \"Q\"}");
    EXPECT_STATUS(r, 201);
    assert_string_equal(ts_header_get(r->raw, "Location"), S("/api/%s/query", tags));
    r = GET(S("/api/%s/query", tags));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "name"), "query");
    assert_string_equal(jstr(r->body, "label"), "Q");
    r = POST(S("/api/%s/query", tags), "{\"where\": {\"name\": \"query\"}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 1);
    r = PATCH(S("/api/%s/query", tags), "{\"label\": \"Q2\"}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "label"), "Q2");
    r = GET(S("/api/%s/bulk", tags));
    EXPECT_PROBLEM(r, 404, NULL);

    /* uuid keys: "query" is no uuid, so there is no such user */
    r = GET(S("/api/%s/query", R("users")));
    EXPECT_PROBLEM(r, 404, NULL);

    /* percent-encoded keys: "a/b,c" */
    r = POST(S("/api/%s", tags), "{\"name\": \"a/b,c\", \"label\": \"odd\"}");
    EXPECT_STATUS(r, 201);
    const char *loc = ts_header_get(r->raw, "Location");
    assert_non_null(loc);
    assert_string_equal(loc, S("/api/%s/a%%2Fb%%2Cc", tags));
    r = GET(loc);
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "name"), "a/b,c");

    r = DELETE(S("/api/%s/query", tags));
    EXPECT_STATUS(r, 204);
    r = GET(S("/api/%s/query", tags));
    EXPECT_PROBLEM(r, 404, NULL);

    /* composite key: the association's values in key-column order */
    json_t *b = create("books", "{\"title\": \"Link me\"}");
    json_t *g = create("genres", "{\"name\": \"linking\"}");
    long long bid = jint(b, "id"), gid = jint(g, "id");
    r = POST(S("/api/%s", R("book_genres")),
             S("{\"book_id\": %lld, \"genre_id\": %lld}", bid, gid));
    EXPECT_STATUS(r, 201);
    assert_string_equal(ts_header_get(r->raw, "Location"),
                        S("/api/%s/%lld,%lld", R("book_genres"), bid, gid));
    r = GET(S("/api/%s/%lld,%lld", R("book_genres"), bid, gid));
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "book_id"), bid);
    assert_int_equal(jint(r->body, "genre_id"), gid);
    r = GET(S("/api/%s/%lld%%2C%lld", R("book_genres"), bid, gid)); /* an encoded comma is data */
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET(S("/api/%s/%lld", R("book_genres"), bid));
    EXPECT_PROBLEM(r, 404, NULL);
    r = GET(S("/api/%s/%lld,%lld,1", R("book_genres"), bid, gid));
    EXPECT_PROBLEM(r, 404, NULL);
    /* the book now shows the genre (books.genres is selectin by default) */
    r = GET(S("/api/%s/%lld", R("books"), bid));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jget(r->body, "genres"), "name"), "linking");
    /* a duplicate link is a unique (primary key) violation */
    r = POST(S("/api/%s", R("book_genres")),
             S("{\"book_id\": %lld, \"genre_id\": %lld}", bid, gid));
    EXPECT_PROBLEM(r, 409, NULL);
    EXPECT_NO_SQL(r);
    r = DELETE(S("/api/%s/%lld,%lld", R("book_genres"), bid, gid));
    EXPECT_STATUS(r, 204);
    r = GET(S("/api/%s/%lld,%lld", R("book_genres"), bid, gid));
    EXPECT_PROBLEM(r, 404, NULL);
}

/* ---- list ------------------------------------------------------------------ */

static const char *where_param(const char *doc)
{
    return S("where=%s", U(doc));
}

/* One uuid rule (PostgreSQL's uuid_in) for URL keys and query values: 32
 * hex digits of either case, hyphens after groups of four, braces. A key
 * in any of those forms finds the entity, and ?id= in that form finds the
 * same one (not 404 for one and 422 for the other). */
static void test_uuid_forms_agree(void **state)
{
    (void) state;
    const char *users = R("users");
    json_t *u = create_user("uuid-forms@x.org");
    const char *id = jstr(u, "id");
    char bare[33], upper[33];
    size_t n = 0;
    for (const char *p = id; *p; p++)
        if (*p != '-') {
            bare[n] = *p;
            upper[n] = (char) (*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
            n++;
        }
    bare[n] = upper[n] = '\0';
    const char *forms[] = {id, bare, upper, S("%%7B%s%%7D", id)};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        api_reply *g = GET(S("/api/%s/%s", users, forms[i]));
        EXPECT_STATUS(g, 200);
        assert_string_equal(jstr(g->body, "id"), id);
        api_reply *l = GET(S("/api/%s?id=%s", users, forms[i]));
        EXPECT_STATUS(l, 200);
        json_t *data = jget(l->body, "data");
        assert_int_equal(json_array_size(data), 1);
        assert_string_equal(jstr(json_array_get(data, 0), "id"), id);
    }
    /* Not a uuid at all: the URL names nothing (404), the filter value is
     * invalid (422), both for the same reason. */
    EXPECT_PROBLEM(GET(S("/api/%s/%s0", users, bare)), 404, NULL);
    EXPECT_PROBLEM(GET(S("/api/%s?id=%s0", users, bare)), 422, "/id");
}

static void test_list_parameters(void **state)
{
    (void) state;
    const char *users = R("users");
    for (int i = 0; i < 12; i++) {
        const char *age = i % 4 == 3 ? "null" : S("%d", (i * 7) % 5);
        api_reply *r =
            POST(S("/api/%s", users), S("{\"email\": \"lp-%02d@x.org\", \"age\": %s}", i, age));
        EXPECT_STATUS(r, 201);
        if (i % 3 == 0) {
            create_order(jstr(r->body, "id"), "1.00");
            create_order(jstr(r->body, "id"), "2.00");
        }
    }
    const char *w = where_param("{\"email\": {\"like\": \"lp-%\"}}");
    const char *base = S("/api/%s?%s", users, w);

    /* default paging, count null unless asked */
    api_reply *r = GET(base);
    EXPECT_STATUS(r, 200);
    json_t *data = jdata(r);
    assert_int_equal(json_array_size(data), 12);
    json_t *meta = jget(r->body, "meta");
    assert_int_equal(jint(meta, "limit"), 100); /* server.default_limit */
    assert_int_equal(jint(meta, "offset"), 0);
    assert_true(json_is_null(jget(meta, "count")));
    assert_int_equal(QUERY_COUNT(r), 1);

    /* limit, offset, order_by, count */
    r = GET(S("%s&order_by=email&limit=3&offset=2&count=true", base));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "email"), "lp-02@x.org\nlp-03@x.org\nlp-04@x.org");
    meta = jget(r->body, "meta");
    assert_int_equal(jint(meta, "limit"), 3);
    assert_int_equal(jint(meta, "offset"), 2);
    assert_int_equal(jint(meta, "count"), 12);

    /* order_by=-x,y against SQL */
    r = GET(S("%s&order_by=-age,email", base));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "email"),
                        sql("SELECT email FROM %s WHERE email LIKE 'lp-%%' ORDER BY age DESC, "
                            "email",
                            users));

    /* simple equality field=value */
    r = GET(S("%s&age=2&order_by=email", base));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "email"),
                        sql("SELECT email FROM %s WHERE email LIKE 'lp-%%' AND age = 2 ORDER BY "
                            "email",
                            users));
    assert_true(json_array_size(jdata(r)) > 0);
    r = GET(S("/api/%s?email=lp-05%%40x.org", users));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "email"), "lp-05@x.org");

    /* where= with a null (IS NULL) */
    r = GET(S("/api/%s?%s&order_by=email", users,
              where_param("{\"email\": {\"like\": \"lp-%\"}, \"age\": null}")));
    EXPECT_STATUS(r, 200);
    assert_string_equal(jcolumn(jdata(r), "email"), "lp-03@x.org\nlp-07@x.org\nlp-11@x.org");

    /* include=orders on a list */
    r = GET(S("%s&order_by=email&include=orders", base));
    EXPECT_STATUS(r, 200);
    size_t i;
    json_t *it;
    json_array_foreach(jdata(r), i, it)
    {
        json_t *orders = jget(it, "orders");
        assert_true(json_is_array(orders));
        assert_int_equal(json_array_size(orders), i % 3 == 0 ? 2 : 0);
    }
    assert_int_equal(QUERY_COUNT(r), 2);

    /* limit = max_limit is fine, above it is not */
    r = GET(S("%s&limit=1000", base));
    EXPECT_STATUS(r, 200);
    r = GET(S("%s&limit=1001", base));
    EXPECT_PROBLEM(r, 400, "/limit");
    r = GET(S("%s&limit=-1", base));
    EXPECT_PROBLEM(r, 400, "/limit");
    r = GET(S("%s&offset=-1", base));
    EXPECT_PROBLEM(r, 400, "/offset");
    r = GET(S("%s&limit=abc", base));
    EXPECT_PROBLEM(r, 400, "/limit");
    /* unknown parameters, fields, relationships */
    r = GET(S("%s&bogus=1", base));
    EXPECT_PROBLEM(r, 400, "/bogus");
    r = GET(S("%s&order_by=-nope", base));
    EXPECT_PROBLEM(r, 400, "/order_by");
    r = GET(S("%s&include=nope", base));
    EXPECT_PROBLEM(r, 400, "/include");
    r = GET(S("/api/%s?%s", users, where_param("{\"nope\": 1}")));
    EXPECT_PROBLEM(r, 400, "/where/nope");
    r = GET(S("/api/%s?%s", users, where_param("{\"email\": {\"likes\": \"x\"}}")));
    EXPECT_PROBLEM(r, 400, "/where/email/likes");
    r = GET(S("/api/%s?where=%s", users, U("{\"email\": ")));
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/where");
    r = GET("/api/no_such_resource?limit=1");
    EXPECT_PROBLEM(r, 404, NULL);
    r = POST("/api/no_such_resource", "{}");
    EXPECT_PROBLEM(r, 404, NULL);
    r = PATCH("/api/no_such_resource/1", "{}");
    EXPECT_PROBLEM(r, 404, NULL);
}

/* ---- update ------------------------------------------------------------------ */

static void test_partial_update_and_if_match(void **state)
{
    (void) state;
    json_t *u = create_user("upd@x.org");
    api_reply *c = POST(
        S("/api/%s", R("orders")),
        S("{\"user_id\": \"%s\", \"total\": \"10.00\", \"note\": \"keep me\"}", jstr(u, "id")));
    EXPECT_STATUS(c, 201);
    const char *oid = jstr(c->body, "id");
    const char *path = S("/api/%s/%s", R("orders"), oid);

    /* only the given fields change */
    api_reply *r = PATCH(path, "{\"status\": \"paid\"}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "status"), "paid");
    assert_string_equal(jstr(r->body, "note"), "keep me");
    assert_string_equal(jstr(r->body, "created_at"), jstr(c->body, "created_at"));
    assert_int_equal(jint(r->body, "version"), 2);
    assert_string_equal(ts_header_get(r->raw, "ETag"), "\"2\"");
    assert_string_equal(sql("SELECT status || '|' || total || '|' || note || '|' || version "
                            "FROM %s WHERE id = '%s'",
                            R("orders"), oid),
                        "paid|10.00|keep me|2");

    /* stale If-Match: 412, nothing changes */
    const char *stale[] = {"If-Match: \"1\"", NULL};
    r = api_call("PATCH", path, "{\"status\": \"shipped\"}", stale);
    EXPECT_PROBLEM(r, 412, NULL);
    assert_string_equal(
        sql("SELECT status || '|' || version FROM %s WHERE id = '%s'", R("orders"), oid), "paid|2");

    /* current If-Match: 200, version incremented, new ETag */
    const char *current[] = {"If-Match: \"2\"", NULL};
    r = api_call("PATCH", path, "{\"status\": \"shipped\"}", current);
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "version"), 3);
    assert_string_equal(ts_header_get(r->raw, "ETag"), "\"3\"");
    api_reply *g = GET(path);
    assert_string_equal(ts_header_get(g->raw, "ETag"), "\"3\"");

    /* If-Match: * */
    const char *any[] = {"If-Match: *", NULL};
    r = api_call("PATCH", path, "{\"total\": \"11.25\"}", any);
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "version"), 4);
    assert_string_equal(jstr(r->body, "status"), "shipped");
    assert_string_equal(sql("SELECT total || '|' || status || '|' || version FROM %s WHERE id = "
                            "'%s'",
                            R("orders"), oid),
                        "11.25|shipped|4");

    /* validation on update */
    r = PATCH(path, "{\"status\": \"lost\", \"bogus\": 1}");
    EXPECT_PROBLEM(r, 422, "/status");
    EXPECT_POINTERS(r, "/bogus");
    r = PATCH(path, "{\"user_id\": \"00000000-0000-4000-8000-000000000000\"}");
    EXPECT_PROBLEM(r, 409, "/user_id");
    EXPECT_NO_SQL(r);
    r = PATCH(path, "[1]");
    EXPECT_PROBLEM(r, 422, NULL);
    assert_string_equal(sql("SELECT version FROM %s WHERE id = '%s'", R("orders"), oid), "4");
    r = PATCH(S("/api/%s/00000000-0000-4000-8000-000000000000", R("orders")),
              "{\"status\": \"paid\"}");
    EXPECT_PROBLEM(r, 404, NULL);

    /* unique violation on update points at the field */
    create_user("taken@x.org");
    r = PATCH(S("/api/%s/%s", R("users"), jstr(u, "id")), "{\"email\": \"taken@x.org\"}");
    EXPECT_PROBLEM(r, 409, "/email");
    EXPECT_NO_SQL(r);
    r = PATCH(S("/api/%s/%s", R("users"), jstr(u, "id")), "{\"name\": \"Renamed\"}");
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "name"), "Renamed");
    assert_string_equal(jstr(r->body, "email"), "upd@x.org");

    /* update responses include the model-default eager relationships */
    json_t *b = create("books", "{\"title\": \"Patch me\"}");
    r = PATCH(S("/api/%s/%lld", R("books"), jint(b, "id")), "{\"year\": 2001}");
    EXPECT_STATUS(r, 200);
    assert_true(json_is_array(jget(r->body, "genres")));
}

/* ---- delete ------------------------------------------------------------------- */

static void test_delete(void **state)
{
    (void) state;
    json_t *u = create_user("del@x.org");
    const char *path = S("/api/%s/%s", R("users"), jstr(u, "id"));
    api_reply *r = DELETE(path);
    EXPECT_STATUS(r, 204);
    assert_int_equal(r->raw->body_len, 0);
    r = GET(path);
    EXPECT_PROBLEM(r, 404, NULL);
    r = DELETE(path);
    EXPECT_PROBLEM(r, 404, NULL);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'del@x.org'", R("users")), 0);

    /* a row other rows reference: 409 without a pointer, row kept */
    json_t *p = create_user("parent@x.org");
    create_order(jstr(p, "id"), "1.00");
    r = DELETE(S("/api/%s/%s", R("users"), jstr(p, "id")));
    EXPECT_PROBLEM(r, 409, API_NO_POINTER);
    EXPECT_NO_SQL(r);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email = 'parent@x.org'", R("users")),
                     1);
    r = DELETE(S("/api/no_such_resource/%s", jstr(p, "id")));
    EXPECT_PROBLEM(r, 404, NULL);
}

/* write_only: accepted on input, never serialised (not even inside an
 * error); read_only: serialised, never accepted on input. */
static void test_write_only_read_only(void **state)
{
    (void) state;
    const char *secret = "s3cr3t-hash-0042";
    api_reply *r =
        POST(S("/api/%s", R("accounts")),
             S("{\"owner\": \"wo\", \"balance\": \"5.00\", \"pin_hash\": \"%s\"}", secret));
    EXPECT_STATUS(r, 201);
    assert_null(json_object_get(r->body, "pin_hash"));
    const char *opened = jstr(r->body, "opened_at");
    if (!matches(RFC3339_RE, opened))
        fail_msg("opened_at \"%s\" is not RFC 3339", opened);
    long long id = jint(r->body, "id");
    assert_string_equal(sql("SELECT pin_hash FROM %s WHERE id = %lld", R("accounts"), id), secret);
    const char *one = S("/api/%s/%lld", R("accounts"), id);
    r = GET(one);
    EXPECT_STATUS(r, 200);
    assert_null(json_object_get(r->body, "pin_hash"));
    assert_string_equal(jstr(r->body, "opened_at"), opened);
    r = GET(S("/api/%s?owner=wo", R("accounts")));
    EXPECT_STATUS(r, 200);
    assert_null(strstr(r->raw->body, secret));
    r = PATCH(one, "{\"owner\": \"wo2\"}");
    EXPECT_STATUS(r, 200);
    assert_null(strstr(r->raw->body, secret));

    /* read_only refused on input */
    r = POST(S("/api/%s", R("accounts")),
             "{\"owner\": \"ro\", \"opened_at\": \"2020-01-01T00:00:00Z\"}");
    EXPECT_PROBLEM(r, 422, "/opened_at");
    r = PATCH(one, "{\"opened_at\": \"2020-01-01T00:00:00Z\"}");
    EXPECT_PROBLEM(r, 422, "/opened_at");

    /* a CHECK violation on this row must not echo the row's write_only
     * value (nor the row at all) */
    r = PATCH(one, "{\"balance\": \"-1.00\"}");
    EXPECT_PROBLEM(r, 422, "/balance");
    if (strstr(r->raw->body, secret))
        fail_msg("a write_only value was serialised in a problem: %s", r->raw->body);
    r = api_call("POST", "/api/transaction",
                 S("{\"operations\": [{\"op\": \"update\", \"resource\": \"%s\", \"id\": %lld, "
                   "\"values\": {\"balance\": {\"$add\": -10}}}]}",
                   R("accounts"), id),
                 NULL);
    EXPECT_PROBLEM(r, 422, "/operations/0/values/balance");
    if (strstr(r->raw->body, secret))
        fail_msg("a write_only value was serialised in a problem: %s", r->raw->body);
    assert_string_equal(sql("SELECT balance FROM %s WHERE id = %lld", R("accounts"), id), "5.00");
}

/* ---- HTTP-level errors ----------------------------------------------------------- */

static void test_http_errors(void **state)
{
    (void) state;
    const char *users = S("/api/%s", R("users"));
    json_t *u = create_user("http@x.org");
    const char *one = S("%s/%s", users, jstr(u, "id"));

    /* 405 with Allow */
    api_reply *r = api_call("PUT", users, "{}", NULL);
    EXPECT_PROBLEM(r, 405, NULL);
    const char *allow = ts_header_get(r->raw, "Allow");
    if (!allows(allow, "GET") || !allows(allow, "POST") || !allows(allow, "PATCH") ||
        allows(allow, "DELETE") || allows(allow, "PUT"))
        fail_msg("Allow for %s is \"%s\"", users, allow ? allow : "(absent)");
    r = api_call("PUT", one, "{}", NULL);
    EXPECT_PROBLEM(r, 405, NULL);
    allow = ts_header_get(r->raw, "Allow");
    if (!allows(allow, "GET") || !allows(allow, "PATCH") || !allows(allow, "DELETE") ||
        allows(allow, "PUT"))
        fail_msg("Allow for %s is \"%s\"", one, allow ? allow : "(absent)");
    r = api_call("DELETE", users, NULL, NULL);
    EXPECT_PROBLEM(r, 405, NULL);
    r = api_call("GET", S("%s/bulk/x", users), NULL, NULL);
    EXPECT_PROBLEM(r, 404, NULL);

    /* 415: not JSON */
    const char *text[] = {"Content-Type: text/plain", NULL};
    r = api_call("POST", users, "{\"email\": \"t@x.org\"}", text);
    EXPECT_PROBLEM(r, 415, NULL);
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    r = api_call("PATCH", one, "name=x", form);
    EXPECT_PROBLEM(r, 415, NULL);
    /* JSON with parameters is JSON */
    const char *charset[] = {"Content-Type: application/json; charset=utf-8", NULL};
    r = api_call("POST", users, "{\"email\": \"cs@x.org\"}", charset);
    EXPECT_STATUS(r, 201);

    /* 400: malformed JSON, empty body */
    r = POST(users, "{\"email\": ");
    EXPECT_PROBLEM(r, 400, NULL);
    r = POST(users, "{\"email\": \"a@x.org\",}");
    EXPECT_PROBLEM(r, 400, NULL);
    r = POST(users, "");
    EXPECT_PROBLEM(r, 400, NULL);
    r = PATCH(one, "not json");
    EXPECT_PROBLEM(r, 400, NULL);
    assert_int_equal(sql_int("SELECT count(*) FROM %s WHERE email IN ('t@x.org', 'a@x.org', "
                             "'b@x.org')",
                             R("users")),
                     0);
}

static int group_setup(void **state)
{
    (void) state;
    return api_group_setup("ar_", NULL);
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_get, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_create_validation, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_create_conflicts, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_get_errors_and_include, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_literal_routes_and_keys, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_uuid_forms_agree, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_list_parameters, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_partial_update_and_if_match, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_delete, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_write_only_read_only, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_http_errors, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests_name("e2e api rest", tests, group_setup, group_teardown);
}
