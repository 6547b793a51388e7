/*
 * Authentication, permissions, CORS and the operational endpoints, end to
 * end (issue 11): the real retort binary with config/test/auth.json, keys
 * generated with openssl for this run, tokens signed with libcjose.
 *
 * Tokens: HS256 (secret from the environment), RS256 (a PEM key and a key
 * of a two-key JWK set), ES256 (JWK set) are accepted; expired, not yet
 * valid, wrong audience, wrong issuer, alg none, HS256 signed with the RSA
 * public key, an unknown key, truncated and garbage tokens get 401 with
 * WWW-Authenticate and a problem that names no key. Then the operations
 * matrix: two roles × every route × allowed/denied; hidden models; the
 * anonymous role; API keys; read lists (nothing unreadable in any answer
 * or usable in any document); upserts that meet rows outside the row
 * filter; CORS; /metrics and /health/pool on the admin listener and
 * behind an admin role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "api_support.h"
#include "auth_tokens.h"
#include "cfg.h"

static char keydir[256];
static cjose_jwk_t *K_HS, *K_RSA1, *K_RSA2, *K_EC, *K_RSA_OTHER, *K_CONFUSED;
static const char *SECRET = "retort-test-secret-0123456789abcdef-0123456789";
static const char *REPORTER_KEY = "rk_live_2f8a6c1e9b7d4a3f";
static const char *U1 = "00000000-0000-4000-8000-000000000001";
static const char *U2 = "00000000-0000-4000-8000-000000000002";

/* ---- SQL truth over one libpq connection (psql per query is slow) ---- */

static PGconn *db;

/* The first column of the first row of a query (NULL when no row), in T. */
static const char *q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *q(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = arena_vsprintf(T(), fmt, ap);
    va_end(ap);
    if (!db)
        db = PQconnectdb(ts_database_url());
    PGresult *r = PQexec(db, text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("SQL failed: %s\n%s", PQerrorMessage(db), text);
    const char *v = PQntuples(r) > 0 ? arena_strdup(T(), PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static long qint(const char *sql_text)
{
    return strtol(q("%s", sql_text), NULL, 10);
}

/* ---- tokens ------------------------------------------------------------ */

static json_t *claims_for(const char *role, const char *sub)
{
    time_t now = time(NULL);
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "aud", "retort-test", "iss",
                          "https://issuer.test", "role", role, "iat", (json_int_t) now, "exp",
                          (json_int_t) now + 600);
    if (sub)
        json_object_set_new(c, "sub", json_string(sub));
    arena_on_reset(T(), (void (*)(void *)) json_decref, c);
    return c;
}

static const char *bearer(const char *token)
{
    return S("Authorization: Bearer %s", token);
}

static const char *hs(const char *role, const char *sub)
{
    return tok_sign(T(), K_HS, "HS256", NULL, claims_for(role, sub));
}

static api_reply *call_as(const char *token, const char *method, const char *path,
                          const char *body)
{
    const char *h[] = {token ? bearer(token) : NULL, NULL};
    return api_call(method, path, body, token ? h : NULL);
}

/* 401 problem+json with WWW-Authenticate, naming nothing secret. */
static void expect_401(const api_reply *r)
{
    EXPECT_PROBLEM(r, 401, NULL);
    const char *www = ts_header_get(r->raw, "WWW-Authenticate");
    if (!www || strncmp(www, "Bearer", 6) != 0)
        fail_msg("401 without WWW-Authenticate: Bearer (%s)", www ? www : "absent");
    const char *text = api_problem_text(r->body);
    if (strstr(text, "signature") || strstr(text, "secret") || strstr(text, SECRET) ||
        strstr(text, "RS256") || strstr(text, "HS256") || strstr(text, "kid") ||
        strstr(text, "audience") || strstr(text, "issuer"))
        fail_msg("the 401 says too much: %s", text);
}

/* ---- setup ------------------------------------------------------------- */

static char *replace(const char *text, const char *what, const char *with)
{
    size_t n = strlen(text) + 16 * strlen(with) + 1;
    char *out = calloc(1, n);
    const char *p = text;
    for (const char *hit; (hit = strstr(p, what));) {
        strncat(out, p, (size_t) (hit - p));
        strcat(out, with);
        p = hit + strlen(what);
    }
    strcat(out, p);
    return out;
}

static int group_setup(void **state)
{
    (void) state;
    snprintf(keydir, sizeof keydir, "/tmp/retort-auth-keys-%d", (int) getpid());
    if (ts_system("rm -rf %s && mkdir -p %s", keydir, keydir) != 0 ||
        !tok_genkey(keydir, "rsa1", "rsa") || !tok_genkey(keydir, "rsa2", "rsa") ||
        !tok_genkey(keydir, "ec", "ec") || !tok_genkey(keydir, "other", "rsa")) {
        fprintf(stderr, "openssl could not generate the test keys\n");
        return -1;
    }
    K_HS = tok_oct_jwk(SECRET, strlen(SECRET));
    K_RSA1 = tok_private_jwk(keydir, "rsa1");
    K_RSA2 = tok_private_jwk(keydir, "rsa2");
    K_EC = tok_private_jwk(keydir, "ec");
    K_RSA_OTHER = tok_private_jwk(keydir, "other");
    /* Algorithm confusion: the RSA public key's PEM bytes as an HMAC key. */
    arena *a = arena_create(NULL, "keys");
    size_t pem_len = 0;
    const char *pem = ts_read_file(a, S("%s/rsa1.pub", keydir), &pem_len);
    K_CONFUSED = pem ? tok_oct_jwk(pem, pem_len) : NULL;
    arena_destroy(a);
    cjose_jwk_t *set[] = {K_RSA2, K_EC};
    const char *kids[] = {"rsa-2", "ec-1"};
    if (!K_HS || !K_RSA1 || !K_RSA2 || !K_EC || !K_RSA_OTHER || !K_CONFUSED ||
        !tok_write_jwks(S("%s/jwks.json", keydir), set, kids, 2)) {
        fprintf(stderr, "cannot build the test keys\n");
        return -1;
    }
    arena *g = arena_create(NULL, "config");
    const char *tmpl = ts_read_file(g, ts_source_path(g, "config/test/auth.json"), NULL);
    char *c1 = replace(tmpl, "@KEYDIR@", keydir);
    char *c2 = replace(c1, "0000000000000000000000000000000000000000000000000000000000000000",
                       tok_sha256_hex(g, REPORTER_KEY));
    API.admin_port = ts_free_port();
    static char admin_env[64], secret_env[128];
    snprintf(admin_env, sizeof admin_env, "RETORT_SERVER_ADMIN_PORT=%d", API.admin_port);
    snprintf(secret_env, sizeof secret_env, "RETORT_TEST_JWT_SECRET=%s", SECRET);
    const char *env[] = {admin_env, secret_env, NULL};
    int rc = api_group_setup_config("au_", c2, env);
    free(c1);
    free(c2);
    arena_destroy(g);
    if (rc == 0) {
        sql_exec("INSERT INTO au_users (id, email, name, password_hash) VALUES "
                 "('%s', 'one@example.com', 'One', 'pbkdf2$600000$one'), "
                 "('%s', 'two@example.com', 'Two', 'pbkdf2$600000$two')",
                 U1, U2);
        sql_exec("INSERT INTO au_orders (user_id, total, status) SELECT u, (10 * g)::numeric, "
                 "'pending' FROM (VALUES ('%s'::uuid), ('%s'::uuid)) v(u), "
                 "generate_series(1, 3) g",
                 U1, U2);
        sql_exec("INSERT INTO au_secrets (body) VALUES ('classified')");
        arena_destroy(API.test);
        API.test = NULL;
    }
    return rc;
}

static int group_teardown(void **state)
{
    (void) state;
    cjose_jwk_t *keys[] = {K_HS, K_RSA1, K_RSA2, K_EC, K_RSA_OTHER, K_CONFUSED};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cjose_jwk_release(keys[i]);
    ts_system("rm -rf %s", keydir);
    PQfinish(db);
    return api_group_teardown();
}

/* ---- tokens accepted ---------------------------------------------------- */

static void test_valid_tokens(void **state)
{
    (void) state;
    json_t *c = claims_for("reporter", NULL);
    const char *tokens[] = {
        tok_sign(T(), K_HS, "HS256", NULL, c),
        tok_sign(T(), K_RSA1, "RS256", NULL, c),        /* the PEM key */
        tok_sign(T(), K_RSA2, "RS256", "rsa-2", c),     /* JWKS, by kid */
        tok_sign(T(), K_RSA2, "RS256", NULL, c),        /* JWKS, no kid: every RSA key tried */
        tok_sign(T(), K_EC, "ES256", "ec-1", c),        /* JWKS */
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        assert_non_null(tokens[i]);
        api_reply *r = call_as(tokens[i], "GET", S("/api/%s", R("orders")), NULL);
        if (r->status != 200)
            fail_msg("token %zu: expected 200, got %d: %s", i, r->status, r->raw->body);
    }
    /* A small clock skew is forgiven (leeway_s 5). */
    json_t *skew = claims_for("reporter", NULL);
    json_object_set_new(skew, "exp", json_integer((json_int_t) time(NULL) - 2));
    EXPECT_STATUS(call_as(tok_sign(T(), K_HS, "HS256", NULL, skew), "GET",
                          S("/api/%s", R("orders")), NULL),
                  200);
}

/* ---- tokens refused ----------------------------------------------------- */

static void test_refused_tokens(void **state)
{
    (void) state;
    time_t now = time(NULL);
    json_t *expired = claims_for("reporter", NULL);
    json_object_set_new(expired, "exp", json_integer((json_int_t) now - 3600));
    json_t *early = claims_for("reporter", NULL);
    json_object_set_new(early, "nbf", json_integer((json_int_t) now + 3600));
    json_t *aud = claims_for("reporter", NULL);
    json_object_set_new(aud, "aud", json_string("someone-else"));
    json_t *iss = claims_for("reporter", NULL);
    json_object_set_new(iss, "iss", json_string("https://evil.test"));
    json_t *ok = claims_for("reporter", NULL);
    const char *good = tok_sign(T(), K_HS, "HS256", NULL, ok);
    struct {
        const char *what, *token;
    } cases[] = {
        {"expired", tok_sign(T(), K_HS, "HS256", NULL, expired)},
        {"not yet valid", tok_sign(T(), K_RSA1, "RS256", NULL, early)},
        {"wrong audience", tok_sign(T(), K_EC, "ES256", "ec-1", aud)},
        {"wrong issuer", tok_sign(T(), K_HS, "HS256", NULL, iss)},
        {"alg none", tok_alg_none(T(), ok)},
        {"HS256 with the RSA public key", tok_sign(T(), K_CONFUSED, "HS256", NULL, ok)},
        {"unknown RSA key", tok_sign(T(), K_RSA_OTHER, "RS256", NULL, ok)},
        {"unknown key with a known kid", tok_sign(T(), K_RSA_OTHER, "RS256", "rsa-2", ok)},
        {"ES256 token naming an RSA key", tok_sign(T(), K_EC, "ES256", "rsa-2", ok)},
        {"truncated", arena_strndup(T(), good, strlen(good) - 7)},
        {"garbage", "abc.def.ghi"},
        {"not base64", "e30.e30.!!!"},
        {"two segments", "eyJhbGciOiJIUzI1NiJ9.e30"},
        {"empty", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        api_reply *r = call_as(cases[i].token, "GET", S("/api/%s", R("orders")), NULL);
        if (r->status != 401)
            fail_msg("%s: expected 401, got %d: %s", cases[i].what, r->status, r->raw->body);
        expect_401(r);
        assert_non_null(strstr(ts_header_get(r->raw, "WWW-Authenticate"), "invalid_token"));
    }
    api_reply *r = call_as(tok_sign(T(), K_HS, "HS256", NULL, expired), "GET",
                           S("/api/%s", R("orders")), NULL);
    assert_non_null(strstr(api_problem_text(r->body), "expired"));
    /* Another scheme, and two credentials at once. */
    const char *basic[] = {"Authorization: Basic YWRtaW46YWRtaW4=", NULL};
    expect_401(api_call("GET", S("/api/%s", R("orders")), NULL, basic));
    const char *both[] = {bearer(good), S("X-API-Key: %s", REPORTER_KEY), NULL};
    expect_401(api_call("GET", S("/api/%s", R("orders")), NULL, both));
}

/* ---- API keys and the anonymous role ------------------------------------ */

static void test_api_keys_and_anonymous(void **state)
{
    (void) state;
    const char *as_header[] = {S("X-API-Key: %s", REPORTER_KEY), NULL};
    EXPECT_STATUS(api_call("GET", S("/api/%s", R("orders")), NULL, as_header), 200);
    const char *as_bearer[] = {S("Authorization: Bearer %s", REPORTER_KEY), NULL};
    EXPECT_STATUS(api_call("GET", S("/api/%s", R("orders")), NULL, as_bearer), 200);
    const char *wrong[] = {"X-API-Key: rk_live_2f8a6c1e9b7d4a3e", NULL};
    expect_401(api_call("GET", S("/api/%s", R("orders")), NULL, wrong));
    const char *wrong_bearer[] = {"Authorization: Bearer not-a-key", NULL};
    expect_401(api_call("GET", S("/api/%s", R("orders")), NULL, wrong_bearer));

    /* anon may list users and nothing else. */
    EXPECT_STATUS(GET(S("/api/%s", R("users"))), 200);
    expect_401(GET(S("/api/%s/%s", R("users"), U1)));
    expect_401(GET(S("/api/%s", R("orders"))));
    expect_401(DELETE(S("/api/%s/%s", R("users"), U1)));
    expect_401(POST(S("/api/%s/query", R("secrets")), "{}"));
    EXPECT_PROBLEM(GET(S("/api/%s", R("nothing"))), 404, NULL);
    assert_int_equal(sql_int("SELECT count(*) FROM au_users"), 2);
}

/* ---- the operations matrix ---------------------------------------------- */

typedef struct route_case {
    const char *name;
    cfg_operation op;
    int ok_status;
} route_case;

static long orders_before; /* rows before new_order() added one */

static const char *new_order(const char *user)
{
    const char *row = q("WITH n AS (INSERT INTO au_orders (user_id, total) VALUES ('%s', 5) "
                          "RETURNING id) SELECT id || ' ' || (SELECT count(*) FROM au_orders) "
                          "FROM n",
                          user);
    const char *space = strchr(row, ' ');
    orders_before = strtol(space + 1, NULL, 10);
    return arena_strndup(T(), row, (size_t) (space - row));
}

/* Sends the request of route c against Order as token. */
static api_reply *order_route(const char *token, cfg_operation op)
{
    const char *orders = R("orders");
    const char *id = new_order(U1);
    switch (op) {
    case CFG_OP_LIST:
        return call_as(token, "GET", S("/api/%s", orders), NULL);
    case CFG_OP_GET:
        return call_as(token, "GET", S("/api/%s/%s", orders, id), NULL);
    case CFG_OP_QUERY:
        return call_as(token, "POST", S("/api/%s/query", orders), "{\"limit\": 2}");
    case CFG_OP_AGGREGATE:
        return call_as(token, "POST", S("/api/%s/query", orders),
                       "{\"aggregates\": {\"n\": {\"count\": \"*\"}}}");
    case CFG_OP_CREATE:
        return call_as(token, "POST", S("/api/%s", orders),
                       S("{\"user_id\": \"%s\", \"total\": \"7.00\"}", U1));
    case CFG_OP_UPDATE:
        return call_as(token, "PATCH", S("/api/%s/%s", orders, id), "{\"total\": \"8.00\"}");
    case CFG_OP_DELETE:
        return call_as(token, "DELETE", S("/api/%s/%s", orders, id), NULL);
    case CFG_OP_BULK_INSERT:
        return call_as(token, "POST", S("/api/%s/bulk", orders),
                       S("[{\"user_id\": \"%s\", \"total\": \"1.00\"}]", U1));
    case CFG_OP_BULK_UPDATE:
        return call_as(token, "PATCH", S("/api/%s", orders),
                       S("{\"where\": {\"id\": \"%s\"}, \"values\": {\"status\": \"paid\"}}", id));
    default:
        fail_msg("no route for operation %d", (int) op);
    }
    return NULL;
}

static void test_operations_matrix(void **state)
{
    (void) state;
    static const route_case routes[] = {
        {"list", CFG_OP_LIST, 200},          {"get", CFG_OP_GET, 200},
        {"query", CFG_OP_QUERY, 200},        {"aggregate", CFG_OP_AGGREGATE, 200},
        {"create", CFG_OP_CREATE, 201},      {"update", CFG_OP_UPDATE, 200},
        {"delete", CFG_OP_DELETE, 204},      {"bulk_insert", CFG_OP_BULK_INSERT, 201},
        {"bulk_update", CFG_OP_BULK_UPDATE, 200},
    };
    /* config/test/auth.json: Order permissions. */
    struct {
        const char *role;
        unsigned allowed;
    } roles[] = {
        {"customer", CFG_OP_LIST | CFG_OP_GET | CFG_OP_QUERY | CFG_OP_AGGREGATE | CFG_OP_CREATE |
                         CFG_OP_UPDATE | CFG_OP_BULK_UPDATE},
        {"reporter", CFG_OP_LIST | CFG_OP_QUERY | CFG_OP_AGGREGATE},
        {"admin", ~0u},
    };
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
        const char *token = hs(roles[r].role, U1);
        for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
            api_reply *rep = order_route(token, routes[i].op);
            bool allowed = roles[r].allowed & routes[i].op;
            int want = allowed ? routes[i].ok_status : 403;
            if (rep->status != want)
                fail_msg("%s %s: expected %d, got %d: %s", roles[r].role, routes[i].name, want,
                         rep->status, rep->raw->body);
            if (!allowed) {
                EXPECT_PROBLEM(rep, 403, NULL);
                /* Refused before anything ran: the row order_route added is all. */
                assert_int_equal(qint("SELECT count(*) FROM au_orders"), orders_before + 1);
            }
        }
    }
    /* A transaction checks each operation. */
    const char *tx = S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", "
                       "\"query\": {}}, {\"op\": \"delete\", \"resource\": \"%s\", "
                       "\"id\": \"%s\"}]}",
                       R("orders"), R("orders"), new_order(U1));
    api_reply *rep = call_as(hs("customer", U1), "POST", "/api/transaction", tx);
    EXPECT_PROBLEM(rep, 403, NULL);
    assert_int_equal(jint(rep->body, "operation"), 1);
    EXPECT_STATUS(call_as(hs("admin", U1), "POST", "/api/transaction", tx), 200);
}

static void test_hidden_model(void **state)
{
    (void) state;
    const char *secrets = R("secrets");
    api_reply *hidden = call_as(hs("customer", U1), "GET", S("/api/%s", secrets), NULL);
    api_reply *unknown = call_as(hs("customer", U1), "GET", S("/api/%s", R("nothing")), NULL);
    EXPECT_PROBLEM(hidden, 404, NULL);
    EXPECT_PROBLEM(unknown, 404, NULL);
    /* The same answer as for a resource that does not exist, name aside. */
    assert_string_equal(jstr(hidden->body, "title"), jstr(unknown->body, "title"));
    EXPECT_PROBLEM(call_as(hs("reporter", NULL), "POST", S("/api/%s/query", secrets), "{}"),
                   404, NULL);
    const char *tx = S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", "
                       "\"query\": {}}]}",
                       secrets);
    EXPECT_PROBLEM(call_as(hs("customer", U1), "POST", "/api/transaction", tx), 404,
                   "/operations/0/resource");
    api_reply *admin = call_as(hs("admin", NULL), "GET", S("/api/%s", secrets), NULL);
    EXPECT_STATUS(admin, 200);
    assert_int_equal(json_array_size(jdata(admin)), 1);
}

/* ---- row filters ------------------------------------------------------------ */

/* The customer's rows: Order.rows = {"user_id": {"$claim": "sub"}},
 * User.rows = {"id": {"$claim": "sub"}}; truth from SQL. */
static void test_row_filters(void **state)
{
    (void) state;
    const char *orders = S("/api/%s", R("orders"));
    const char *users = S("/api/%s", R("users"));
    const char *me = hs("customer", U1);
    long mine = qint(S("SELECT count(*) FROM au_orders WHERE user_id = '%s'", U1));
    long theirs = qint(S("SELECT count(*) FROM au_orders WHERE user_id = '%s'", U2));
    assert_true(mine > 0 && theirs > 0);

    api_reply *r = call_as(me, "GET", S("%s?limit=1000", orders), NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), mine);
    size_t i;
    json_t *row;
    json_array_foreach(jdata(r), i, row) assert_string_equal(jstr(row, "user_id"), U1);
    /* an export reads through the same filter (the cursor's statement) */
    r = call_as(me, "GET", S("%s?limit=all&count=true", orders), NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), mine);
    assert_int_equal(jint(jget(r->body, "meta"), "count"), mine);
    json_array_foreach(jdata(r), i, row) assert_string_equal(jstr(row, "user_id"), U1);

    const char *other = q("SELECT id FROM au_orders WHERE user_id = '%s' LIMIT 1", U2);
    EXPECT_PROBLEM(call_as(me, "GET", S("%s/%s", orders, other), NULL), 404, NULL);
    EXPECT_PROBLEM(call_as(me, "PATCH", S("%s/%s", orders, other), "{\"total\": \"1.00\"}"),
                   404, NULL);

    r = call_as(me, "POST", S("%s/query", orders),
                "{\"where\": {\"total\": {\"ge\": 0}}, \"limit\": 1000, \"count\": true}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(jget(r->body, "meta"), "count"), mine);

    r = call_as(me, "POST", S("%s/query", orders),
                "{\"aggregates\": {\"n\": {\"count\": \"*\"}, \"s\": {\"sum\": \"total\"}}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(json_array_get(jdata(r), 0), "n"), mine);
    assert_string_equal(jstr(json_array_get(jdata(r), 0), "s"),
                        q("SELECT sum(total) FROM au_orders WHERE user_id = '%s'", U1));

    /* include and any: the filters of both models apply. */
    r = call_as(me, "GET", S("%s?include=orders", users), NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 1);
    json_t *u = json_array_get(jdata(r), 0);
    assert_string_equal(jstr(u, "id"), U1);
    assert_int_equal(json_array_size(jget(u, "orders")), mine);
    r = call_as(me, "POST", S("%s/query", users),
                S("{\"where\": {\"orders\": {\"any\": {\"user_id\": \"%s\"}}}}", U2));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 0);
    r = call_as(me, "POST", S("%s/query", orders),
                S("{\"where\": {\"user\": {\"has\": {\"id\": \"%s\"}}}, "
                  "\"options\": [{\"joinedload\": \"user\"}]}",
                  U1));
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), mine);

    /* Bulk update reaches only the role's rows. */
    r = call_as(me, "PATCH", orders,
                "{\"where\": {\"total\": {\"ge\": 0}}, \"values\": {\"status\": \"paid\"}}");
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(r->body, "updated"), mine);
    assert_int_equal(qint(S("SELECT count(*) FROM au_orders WHERE user_id = '%s' AND "
                            "status = 'paid'",
                            U2)),
                     0);

    /* Writes that would put a row outside the filter: 403, nothing kept. */
    long before = qint("SELECT count(*) FROM au_orders");
    api_reply *c = call_as(me, "POST", orders, S("{\"user_id\": \"%s\", \"total\": \"1.00\"}", U2));
    EXPECT_PROBLEM(c, 403, NULL);
    const char *own = q("SELECT id FROM au_orders WHERE user_id = '%s' LIMIT 1", U1);
    EXPECT_PROBLEM(call_as(me, "PATCH", S("%s/%s", orders, own), S("{\"user_id\": \"%s\"}", U2)),
                   403, NULL);
    EXPECT_PROBLEM(call_as(me, "PATCH", orders,
                           S("{\"where\": {\"id\": \"%s\"}, \"values\": {\"user_id\": \"%s\"}}",
                             own, U2)),
                   403, NULL);
    const char *tx = S("{\"operations\": [{\"op\": \"create\", \"resource\": \"%s\", "
                       "\"values\": {\"user_id\": \"%s\", \"total\": \"2.00\"}}, "
                       "{\"op\": \"create\", \"resource\": \"%s\", \"values\": "
                       "{\"user_id\": \"%s\", \"total\": \"2.00\"}}]}",
                       R("orders"), U1, R("orders"), U2);
    r = call_as(me, "POST", "/api/transaction", tx);
    EXPECT_PROBLEM(r, 403, NULL);
    assert_int_equal(qint("SELECT count(*) FROM au_orders"), before);
    assert_int_equal(qint(S("SELECT count(*) FROM au_orders WHERE user_id = '%s'", U2)), theirs);

    /* Columns outside the role's write list: 403 naming each. */
    api_reply *w = call_as(me, "POST", orders,
                           S("{\"user_id\": \"%s\", \"total\": \"1.00\", \"created_at\": "
                             "\"2020-01-01T00:00:00Z\"}",
                             U1));
    EXPECT_PROBLEM(w, 403, "/created_at");
    EXPECT_PROBLEM(call_as(me, "PATCH", S("%s/%s", orders, own),
                           "{\"created_at\": \"2020-01-01T00:00:00Z\"}"),
                   403, "/created_at");
    EXPECT_PROBLEM(call_as(me, "PATCH", orders,
                           "{\"where\": {\"total\": {\"ge\": 0}}, \"values\": {\"created_at\": "
                           "\"2020-01-01T00:00:00Z\"}}"),
                   403, "/values/created_at");
    w = call_as(me, "POST", "/api/transaction",
                S("{\"operations\": [{\"op\": \"update\", \"resource\": \"%s\", \"id\": "
                  "\"%s\", \"values\": {\"created_at\": \"2020-01-01T00:00:00Z\"}}]}",
                  R("orders"), own));
    EXPECT_PROBLEM(w, 403, "/operations/0/values/created_at");
    assert_int_equal(qint("SELECT count(*) FROM au_orders WHERE created_at < '2021-01-01'"), 0);

    /* A transaction's query sees the filtered rows. */
    tx = S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
           "{\"count\": true, \"limit\": 1}}]}",
           R("orders"));
    r = call_as(me, "POST", "/api/transaction", tx);
    EXPECT_STATUS(r, 200);
    assert_int_equal(jint(jget(json_array_get(jget(r->body, "results"), 0), "meta"), "count"),
                     mine);

    /* A token without the claim matches no row. */
    r = call_as(hs("customer", NULL), "GET", orders, NULL);
    EXPECT_STATUS(r, 200);
    assert_int_equal(json_array_size(jdata(r)), 0);
    /* The reporter has no row filter. */
    r = call_as(hs("reporter", NULL), "POST", S("%s/query", orders),
                "{\"aggregates\": {\"n\": {\"count\": \"*\"}}}");
    assert_int_equal(jint(json_array_get(jdata(r), 0), "n"), before);
}

/* ---- write-only columns ------------------------------------------------------ */

/* password_hash is write_only: settable, never readable, and never usable
 * to probe its value (the oracle of issue 11), even by an admin. */
static void test_write_only_is_write_only(void **state)
{
    (void) state;
    const char *admin = hs("admin", NULL);
    const char *users = S("/api/%s", R("users"));
    const char *orders = S("/api/%s", R("orders"));
    struct {
        const char *path, *body, *pointer;
    } docs[] = {
        {S("%s/query", users), "{\"where\": {\"password_hash\": {\"like\": \"pbkdf2$6%%\"}}, \"count\": true}",
         "/where/password_hash"},
        {S("%s/query", users), "{\"where\": {\"or\": [{\"name\": \"x\"}, {\"not\": {\"password_hash\": \"a\"}}]}}",
         "/where/or/1/not/password_hash"},
        {S("%s/query", orders), "{\"where\": {\"user\": {\"has\": {\"password_hash\": {\"like\": \"p%%\"}}}}}",
         "/where/user/has/password_hash"},
        {S("%s/query", users), "{\"order_by\": [\"password_hash\"]}", "/order_by/0"},
        {S("%s/query", users), "{\"fields\": [\"id\", \"password_hash\"]}", "/fields/1"},
        {S("%s/query", users), "{\"group_by\": [\"password_hash\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}}",
         "/group_by/0"},
        {S("%s/query", users), "{\"aggregates\": {\"m\": {\"min\": \"password_hash\"}}}", NULL},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        api_reply *r = call_as(admin, "POST", docs[i].path, docs[i].body);
        if (r->status != 400)
            fail_msg("case %zu: expected 400, got %d: %s", i, r->status, r->raw->body);
        EXPECT_PROBLEM(r, 400, docs[i].pointer);
        if (strstr(r->raw->body, "pbkdf2"))
            fail_msg("case %zu leaks a value: %s", i, r->raw->body);
    }
    /* GET filters, order_by, fields; bulk update's where. */
    EXPECT_PROBLEM(call_as(admin, "GET", S("%s?password_hash=x", users), NULL), 400,
                   "/password_hash");
    EXPECT_PROBLEM(call_as(admin, "GET", S("%s?order_by=password_hash", users), NULL), 400, NULL);
    EXPECT_PROBLEM(call_as(admin, "GET", S("%s?fields=password_hash", users), NULL), 400, NULL);
    EXPECT_PROBLEM(call_as(admin, "GET", S("%s?where=%s", users, U("{\"password_hash\": \"a\"}")),
                           NULL),
                   400, NULL);
    EXPECT_PROBLEM(call_as(admin, "PATCH", users,
                           "{\"where\": {\"password_hash\": {\"like\": \"p%%\"}}, \"values\": "
                           "{\"name\": \"x\"}}"),
                   400, "/where/password_hash");
    /* Still writable, never serialised. */
    api_reply *c = call_as(admin, "POST", users,
                           "{\"email\": \"wo@example.com\", \"password_hash\": \"pbkdf2$1$x\"}");
    EXPECT_STATUS(c, 201);
    assert_null(json_object_get(c->body, "password_hash"));
    assert_string_equal(q("SELECT password_hash FROM au_users WHERE email = 'wo@example.com'"),
                        "pbkdf2$1$x");
    /* The document names it nowhere a client could sort or filter by it. */
    api_reply *doc = GET("/openapi.json");
    json_t *params = jget(jget(jget(jget(doc->body, "paths"), users), "get"), "parameters");
    size_t i;
    json_t *prm;
    json_array_foreach(params, i, prm)
    {
        const char *name = json_string_value(json_object_get(prm, "name"));
        if (name && strcmp(name, "password_hash") == 0)
            fail_msg("password_hash is a GET filter in the OpenAPI document");
        const char *d = json_string_value(json_object_get(prm, "description"));
        if (name && strcmp(name, "order_by") == 0 && d && strstr(d, "password_hash"))
            fail_msg("order_by offers password_hash: %s", d);
    }
}

/* ---- read lists ------------------------------------------------------------- */

/* The auditor may read Order's id, user_id, status, version and created_at
 * (not total) and User's id and name (not email): what it may not read is
 * in no answer, and no document may name it. */
static void no_key(const json_t *o, const char *key, const char *where)
{
    if (json_object_get(o, key))
        fail_msg("%s shows %s: %s", where, key, J(o));
}

static void test_read_lists(void **state)
{
    (void) state;
    const char *me = hs("auditor", U1);
    const char *orders = S("/api/%s", R("orders"));
    const char *users = S("/api/%s", R("users"));
    const char *own = q("SELECT id FROM au_orders WHERE user_id = '%s' LIMIT 1", U1);

    /* Output: lists, one entity, includes both ways, CSV. */
    api_reply *r = call_as(me, "GET", S("%s?include=user&limit=2", orders), NULL);
    EXPECT_STATUS(r, 200);
    assert_true(json_array_size(jdata(r)) > 0);
    size_t i;
    json_t *row;
    json_array_foreach(jdata(r), i, row)
    {
        no_key(row, "total", "a list");
        assert_string_equal(jstr(row, "status"), jstr(row, "status"));
        no_key(jget(row, "user"), "email", "an included user");
        assert_string_equal(jstr(jget(row, "user"), "name"), "One");
    }
    assert_non_null(json_object_get(jget(r->body, "meta"), "next")); /* the key is readable */
    r = call_as(me, "GET", S("%s/%s", orders, own), NULL);
    EXPECT_STATUS(r, 200);
    no_key(r->body, "total", "GET one");
    r = call_as(me, "GET", S("%s?include=orders", users), NULL);
    EXPECT_STATUS(r, 200);
    json_array_foreach(jdata(r), i, row)
    {
        no_key(row, "email", "a user");
        size_t k;
        json_t *o;
        json_array_foreach(jget(row, "orders"), k, o) no_key(o, "total", "an included order");
    }
    r = call_as(me, "POST", S("%s/query", orders),
                "{\"options\": [{\"joinedload\": \"user\"}], \"limit\": 3}");
    EXPECT_STATUS(r, 200);
    json_array_foreach(jdata(r), i, row)
    {
        no_key(row, "total", "a query");
        no_key(jget(row, "user"), "email", "a joined user");
    }
    const char *csv_h[] = {bearer(me), "Accept: text/csv", NULL};
    r = api_call("GET", orders, NULL, csv_h);
    EXPECT_STATUS(r, 200);
    if (strstr(r->raw->body, "total"))
        fail_msg("CSV shows total: %.200s", r->raw->body);
    /* exports (limit=all, streamed rows) keep the read list too */
    r = call_as(me, "GET", S("%s?limit=all", orders), NULL);
    EXPECT_STATUS(r, 200);
    assert_true(json_array_size(jdata(r)) > 0);
    json_array_foreach(jdata(r), i, row) no_key(row, "total", "an export");
    r = api_call("GET", S("%s?limit=all", orders), NULL, csv_h);
    EXPECT_STATUS(r, 200);
    if (strstr(r->raw->body, "total"))
        fail_msg("a CSV export shows total: %.200s", r->raw->body);

    /* Writes: the answers of create, update, upsert and transactions. */
    r = call_as(me, "POST", orders, S("{\"user_id\": \"%s\", \"total\": \"3.25\"}", U1));
    EXPECT_STATUS(r, 201);
    no_key(r->body, "total", "a create's answer");
    const char *made = jstr(r->body, "id");
    assert_string_equal(q("SELECT total FROM au_orders WHERE id = '%s'", made), "3.25");
    r = call_as(me, "PATCH", S("%s/%s", orders, made), "{\"total\": \"3.50\"}");
    EXPECT_STATUS(r, 200);
    no_key(r->body, "total", "an update's answer");
    r = call_as(me, "POST", S("%s?on_conflict=id", orders),
                S("{\"id\": \"%s\", \"user_id\": \"%s\", \"total\": \"3.75\"}", made, U1));
    EXPECT_STATUS(r, 200);
    no_key(r->body, "total", "an upsert's answer");
    r = call_as(me, "POST", "/api/transaction",
                S("{\"operations\": [{\"op\": \"update\", \"resource\": \"%s\", \"id\": \"%s\", "
                  "\"values\": {\"total\": \"4.00\"}}, {\"op\": \"query\", \"resource\": \"%s\", "
                  "\"query\": {\"limit\": 1}}]}",
                  R("orders"), made, R("orders")));
    EXPECT_STATUS(r, 200);
    no_key(json_array_get(jget(r->body, "results"), 0), "total", "a transaction's update");
    no_key(json_array_get(jget(json_array_get(jget(r->body, "results"), 1), "data"), 0), "total",
           "a transaction's query");
    assert_string_equal(q("SELECT total FROM au_orders WHERE id = '%s'", made), "4.00");

    /* No document may name an unreadable column: 400 at its pointer, and
     * the answer names no value. */
    struct {
        const char *path, *body, *pointer;
    } docs[] = {
        {S("%s/query", orders), "{\"where\": {\"total\": {\"gt\": 0}}, \"count\": true}",
         "/where/total"},
        {S("%s/query", orders), "{\"where\": {\"or\": [{\"status\": \"x\"}, {\"total\": 3}]}}",
         "/where/or/1/total"},
        {S("%s/query", orders), "{\"where\": {\"user\": {\"has\": {\"email\": {\"like\": \"o%%\"}}}}}",
         "/where/user/has/email"},
        {S("%s/query", users), "{\"where\": {\"orders\": {\"any\": {\"total\": {\"gt\": 1}}}}}",
         "/where/orders/any/total"},
        {S("%s/query", orders), "{\"order_by\": [{\"total\": \"desc\"}]}", "/order_by/0/total"},
        {S("%s/query", orders), "{\"fields\": [\"id\", \"total\"]}", "/fields/1"},
        {S("%s/query", orders), "{\"group_by\": [\"total\"], \"aggregates\": {\"n\": {\"count\": \"*\"}}}",
         "/group_by/0"},
        {S("%s/query", orders), "{\"aggregates\": {\"s\": {\"sum\": \"total\"}}}", NULL},
        {S("%s/query", orders),
         "{\"group_by\": [\"status\"], \"aggregates\": {\"m\": {\"max\": \"total\"}}, "
         "\"having\": {\"m\": {\"gt\": 10}}}",
         NULL},
    };
    for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
        r = call_as(me, "POST", docs[d].path, docs[d].body);
        if (r->status != 400)
            fail_msg("case %zu: expected 400, got %d: %s", d, r->status, r->raw->body);
        EXPECT_PROBLEM(r, 400, docs[d].pointer);
        if (strstr(r->raw->body, "example.com") || strstr(r->raw->body, "3.25"))
            fail_msg("case %zu leaks a value: %s", d, r->raw->body);
    }
    EXPECT_PROBLEM(call_as(me, "GET", S("%s?total=10", orders), NULL), 400, "/total");
    EXPECT_PROBLEM(call_as(me, "GET", S("%s?order_by=-total", orders), NULL), 400, NULL);
    EXPECT_PROBLEM(call_as(me, "GET", S("%s?fields=id,total", orders), NULL), 400, NULL);
    EXPECT_PROBLEM(call_as(me, "GET", S("%s?where=%s", orders, U("{\"total\": {\"gt\": 1}}")),
                           NULL),
                   400, NULL);
    EXPECT_PROBLEM(call_as(me, "GET", S("%s?email=one@example.com", users), NULL), 400, "/email");
    EXPECT_PROBLEM(call_as(me, "PATCH", orders,
                           "{\"where\": {\"total\": {\"gt\": 0}}, \"values\": {\"status\": "
                           "\"paid\"}}"),
                   400, "/where/total");
    r = call_as(me, "POST", "/api/transaction",
                S("{\"operations\": [{\"op\": \"query\", \"resource\": \"%s\", \"query\": "
                  "{\"where\": {\"total\": 4}}}]}",
                  R("orders")));
    EXPECT_PROBLEM(r, 400, NULL);
    EXPECT_POINTER_PREFIX(r, "/operations/0/");
    /* The key is readable, so bulk inserts may return it. */
    r = call_as(me, "POST", S("%s/bulk?returning=id", orders),
                S("[{\"user_id\": \"%s\", \"total\": \"1.00\"}]", U1));
    EXPECT_STATUS(r, 201);
    assert_int_equal(json_array_size(jget(r->body, "ids")), 1);

    /* Admins read everything. */
    r = call_as(hs("admin", NULL), "GET", S("%s/%s", orders, made), NULL);
    EXPECT_STATUS(r, 200);
    assert_string_equal(jstr(r->body, "total"), "4.00");
}

/* ---- upsert and row filters ------------------------------------------------- */

/* ON CONFLICT DO UPDATE never overwrites a row outside the role's row
 * filter: a conflict with such a row is a 409 and nothing changes. */
static void test_upsert_row_filter(void **state)
{
    (void) state;
    const char *me = hs("auditor", U1);
    const char *orders = S("/api/%s", R("orders"));
    const char *theirs = q("SELECT id FROM au_orders WHERE user_id = '%s' LIMIT 1", U2);
    const char *before = q("SELECT total || ' ' || version || ' ' || user_id FROM au_orders "
                           "WHERE id = '%s'",
                           theirs);
    const char *steal = S("{\"id\": \"%s\", \"user_id\": \"%s\", \"total\": \"999.00\"}", theirs,
                          U1);
    EXPECT_PROBLEM(call_as(me, "POST", S("%s?on_conflict=id", orders), steal), 409, NULL);
    EXPECT_PROBLEM(call_as(me, "POST", S("%s?on_conflict=id&on_conflict_update=total", orders),
                           steal),
                   409, NULL);
    EXPECT_PROBLEM(call_as(me, "POST", S("%s?on_conflict=id&on_conflict_action=nothing", orders),
                           steal),
                   409, NULL);
    EXPECT_PROBLEM(call_as(me, "POST", S("%s/bulk?on_conflict=id", orders),
                           S("[{\"user_id\": \"%s\", \"total\": \"1.00\"}, %s]", U1, steal)),
                   409, NULL);
    api_reply *r = call_as(me, "POST", "/api/transaction",
                           S("{\"operations\": [{\"op\": \"create\", \"resource\": \"%s\", "
                             "\"values\": %s, \"on_conflict\": {\"target\": [\"id\"]}}]}",
                             R("orders"), steal));
    EXPECT_PROBLEM(r, 409, NULL);
    assert_string_equal(q("SELECT total || ' ' || version || ' ' || user_id FROM au_orders "
                          "WHERE id = '%s'",
                          theirs),
                        before);
    /* Its own rows upsert as usual; moving one out of the filter is 403. */
    const char *own = q("SELECT id FROM au_orders WHERE user_id = '%s' LIMIT 1", U1);
    r = call_as(me, "POST", S("%s?on_conflict=id", orders),
                S("{\"id\": \"%s\", \"user_id\": \"%s\", \"total\": \"6.50\"}", own, U1));
    EXPECT_STATUS(r, 200);
    assert_string_equal(q("SELECT total FROM au_orders WHERE id = '%s'", own), "6.50");
    EXPECT_PROBLEM(call_as(me, "POST", S("%s?on_conflict=id", orders),
                           S("{\"id\": \"%s\", \"user_id\": \"%s\"}", own, U2)),
                   403, NULL);
    assert_string_equal(q("SELECT user_id FROM au_orders WHERE id = '%s'", own), U1);
    /* An upsert needs the upsert operation, not just create. */
    EXPECT_PROBLEM(call_as(hs("customer", U1), "POST", S("%s?on_conflict=id", orders),
                           S("{\"id\": \"%s\", \"user_id\": \"%s\"}", own, U1)),
                   403, NULL);
}

/* ---- CORS ---------------------------------------------------------------- */

static void test_cors(void **state)
{
    (void) state;
    const char *path = S("/api/%s", R("orders"));
    const char *pre[] = {"Origin: https://app.example.com", "Access-Control-Request-Method: PATCH",
                         "Access-Control-Request-Headers: authorization, content-type", NULL};
    api_reply *r = api_call("OPTIONS", path, NULL, pre);
    EXPECT_STATUS(r, 204);
    assert_string_equal(ts_header_get(r->raw, "Access-Control-Allow-Origin"),
                        "https://app.example.com");
    assert_non_null(strstr(ts_header_get(r->raw, "Access-Control-Allow-Methods"), "PATCH"));
    assert_non_null(strstr(ts_header_get(r->raw, "Access-Control-Allow-Headers"),
                           "Authorization"));
    assert_string_equal(ts_header_get(r->raw, "Access-Control-Max-Age"), "300");
    assert_string_equal(ts_header_get(r->raw, "Access-Control-Allow-Credentials"), "true");
    assert_non_null(strstr(ts_header_get(r->raw, "Allow"), "OPTIONS"));
    const char *count = ts_header_get(r->raw, "X-Query-Count");
    if (count)
        assert_string_equal(count, "0"); /* answered without the database */

    const char *evil[] = {"Origin: https://evil.example.com",
                          "Access-Control-Request-Method: DELETE", NULL};
    r = api_call("OPTIONS", path, NULL, evil);
    EXPECT_STATUS(r, 204);
    assert_null(ts_header_get(r->raw, "Access-Control-Allow-Origin"));
    assert_null(ts_header_get(r->raw, "Access-Control-Allow-Methods"));

    /* A simple request: the origin is echoed, Vary says it varies. */
    const char *simple[] = {"Origin: https://app.example.com",
                            S("X-API-Key: %s", REPORTER_KEY), NULL};
    r = api_call("GET", path, NULL, simple);
    EXPECT_STATUS(r, 200);
    assert_string_equal(ts_header_get(r->raw, "Access-Control-Allow-Origin"),
                        "https://app.example.com");
    assert_non_null(strstr(ts_header_get(r->raw, "Vary"), "Origin"));
    assert_non_null(strstr(ts_header_get(r->raw, "Access-Control-Expose-Headers"),
                           "X-Request-Id"));
    /* Errors carry the CORS headers too, so the browser can read them. */
    const char *simple_anon[] = {"Origin: https://app.example.com", NULL};
    r = api_call("GET", path, NULL, simple_anon);
    expect_401(r);
    assert_non_null(ts_header_get(r->raw, "Access-Control-Allow-Origin"));
    /* OPTIONS on an unknown path is still 404. */
    EXPECT_PROBLEM(api_call("OPTIONS", "/nowhere", NULL, pre), 404, NULL);
}

/* ---- operational endpoints ----------------------------------------------- */

static void test_operational_endpoints(void **state)
{
    (void) state;
    EXPECT_STATUS(GET("/health"), 200);
    EXPECT_STATUS(GET("/health/ready"), 200);
    EXPECT_STATUS(GET("/openapi.json"), 200);
    /* On the admin listener only. */
    EXPECT_PROBLEM(GET("/metrics"), 404, NULL);
    EXPECT_PROBLEM(call_as(hs("admin", NULL), "GET", "/health/pool", NULL), 404, NULL);
    EXPECT_STATUS(api_call_port(API.admin_port, "GET", "/metrics", NULL, 0, NULL, 10000), 200);
    EXPECT_STATUS(api_call_port(API.admin_port, "GET", "/health/pool", NULL, 0, NULL, 10000),
                  200);
    EXPECT_STATUS(api_call_port(API.admin_port, "GET", "/health", NULL, 0, NULL, 10000), 200);
    EXPECT_PROBLEM(api_call_port(API.admin_port, "GET", S("/api/%s", R("users")), NULL, 0, NULL,
                                 10000),
                   404, NULL);

    /* Without an admin port they need an admin role. */
    ts_server second = {0};
    const char *env[] = {"RETORT_SERVER_ADMIN_PORT=0", NULL};
    assert_true(api_server_start(&second, env));
    int port = second.port;
    const char *admin[] = {bearer(hs("admin", NULL)), NULL};
    const char *customer[] = {bearer(hs("customer", U1)), NULL};
    api_reply *r = api_call_port(port, "GET", "/metrics", NULL, 0, NULL, 10000);
    expect_401(r);
    EXPECT_PROBLEM(api_call_port(port, "GET", "/health/pool", NULL, 0, customer, 10000), 403,
                   NULL);
    EXPECT_STATUS(api_call_port(port, "GET", "/metrics", NULL, 0, admin, 10000), 200);
    EXPECT_STATUS(api_call_port(port, "GET", "/health/pool", NULL, 0, admin, 10000), 200);
    EXPECT_STATUS(api_call_port(port, "GET", "/health", NULL, 0, NULL, 10000), 200);
    assert_int_equal(ts_server_stop(&second), 0);
    unlink(second.log_path);
}

/* ---- the OpenAPI document ------------------------------------------------- */

static void test_openapi_security(void **state)
{
    (void) state;
    api_reply *r = GET("/openapi.json");
    EXPECT_STATUS(r, 200);
    json_t *schemes = jget(jget(r->body, "components"), "securitySchemes");
    assert_string_equal(jstr(jget(schemes, "bearerAuth"), "scheme"), "bearer");
    assert_string_equal(jstr(jget(schemes, "bearerAuth"), "bearerFormat"), "JWT");
    assert_string_equal(jstr(jget(schemes, "apiKeyAuth"), "name"), "X-API-Key");
    /* anon exists: credentials are optional ({} among the requirements). */
    assert_int_equal(json_array_size(jget(r->body, "security")), 3);
    json_t *paths = jget(r->body, "paths");
    json_t *list = jget(jget(paths, S("/api/%s", R("orders"))), "get");
    assert_int_equal(json_array_size(jget(list, "security")), 3);
    assert_non_null(jget(jget(list, "responses"), "401"));
    assert_non_null(jget(jget(list, "responses"), "403"));
    json_t *health = jget(jget(paths, "/health"), "get");
    assert_int_equal(json_array_size(jget(health, "security")), 0);
    assert_null(json_object_get(jget(health, "responses"), "401"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_tokens, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_refused_tokens, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_api_keys_and_anonymous, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_operations_matrix, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_hidden_model, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_row_filters, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_write_only_is_write_only, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_read_lists, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_row_filter, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_cors, api_test_setup, api_test_teardown),
        cmocka_unit_test_setup_teardown(test_operational_endpoints, api_test_setup,
                                        api_test_teardown),
        cmocka_unit_test_setup_teardown(test_openapi_security, api_test_setup, api_test_teardown),
    };
    return cmocka_run_group_tests_name("api_auth", tests, group_setup, group_teardown);
}
