/*
 * The query-document translator's API beyond the golden cases: value
 * conversion per column type (JSON and text), the 400-over-422 rule,
 * hostile documents (depth far past the limit, huge lists, more
 * parameters than the protocol allows), names and values that look like
 * SQL, aliases of nested EXISTS, the standalone where in an UPDATE, and
 * what the translator leaves in the builder and the report.
 */
#include "core_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc_invariants.h"
#include "query_int.h"
#include "sample_metadata.h"

typedef struct dfx {
    arena *a;
    err_report err;
    sql_builder *b;
    sql_metadata *md;
} dfx;

static int setup(void **state)
{
    dfx *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "doc-test");
    err_init(&f->err, f->a);
    f->b = sql_builder_new(f->a, &f->err);
    err_report md_err;
    err_init(&md_err, f->a);
    f->md = sample_metadata(f->a, &md_err);
    assert_non_null(f->md);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    dfx *f = *state;
    arena_destroy(f->a);
    free(f);
    return 0;
}

static const sql_column *col(dfx *f, const char *table, const char *name)
{
    const sql_table *t = sql_metadata_table(f->md, table);
    assert_non_null(t);
    const sql_column *c = sql_table_column(t, name);
    assert_non_null(c);
    return c;
}

static sql_from *from_of(dfx *f, const char *table, const char *alias)
{
    return sql_from_table(f->b, sql_metadata_table(f->md, table), alias);
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s: %s", text, jerr.text);
    return j;
}

/* Converts JSON text for table.column; returns the parameter text ("NULL"
 * for SQL NULL), or NULL when refused (and resets the report). */
static const char *conv(dfx *f, const char *table, const char *column, const char *json)
{
    json_t *v = parse(json);
    sql_value out;
    bool ok = orm_value_json(f->b, col(f, table, column), v, "/v", &out, &f->err);
    json_decref(v);
    if (!ok) {
        assert_int_equal(f->err.kind, ERR_VALIDATION);
        assert_string_equal(f->err.items[0].pointer, "/v");
        err_clear(&f->err);
        return NULL;
    }
    assert_false(err_is_set(&f->err));
    const char *s = sql_value_text(f->a, &out);
    return s ? s : "NULL";
}

static const char *conv_text(dfx *f, const char *table, const char *column, const char *text)
{
    sql_value out;
    if (!orm_value_text(f->b, col(f, table, column), text, "/p", &out, &f->err)) {
        assert_int_equal(f->err.kind, ERR_VALIDATION);
        err_clear(&f->err);
        return NULL;
    }
    return sql_value_text(f->a, &out);
}

/* ==== values ============================================================ */

static void test_value_integers(void **state)
{
    dfx *f = *state;
    assert_string_equal(conv(f, "orders", "version", "42"), "42");
    assert_string_equal(conv(f, "orders", "version", "-2147483648"), "-2147483648");
    assert_string_equal(conv(f, "orders", "version", "2147483647"), "2147483647");
    assert_null(conv(f, "orders", "version", "2147483648"));
    assert_null(conv(f, "orders", "version", "-2147483649"));
    assert_null(conv(f, "orders", "version", "1.0"));
    assert_null(conv(f, "orders", "version", "\"1\""));
    assert_null(conv(f, "orders", "version", "true"));
    assert_string_equal(conv(f, "accounts", "id", "9223372036854775807"), "9223372036854775807");
    assert_string_equal(conv(f, "accounts", "id", "-9223372036854775808"), "-9223372036854775808");
    assert_null(conv(f, "accounts", "id", "[1]"));
    assert_string_equal(conv_text(f, "orders", "version", "+7"), "7");
    assert_string_equal(conv_text(f, "accounts", "id", "9223372036854775807"),
                        "9223372036854775807");
    assert_null(conv_text(f, "accounts", "id", "9223372036854775808"));
    assert_null(conv_text(f, "orders", "version", "4294967296"));
    assert_null(conv_text(f, "orders", "version", " 1"));
    assert_null(conv_text(f, "orders", "version", "1e3"));
    assert_null(conv_text(f, "orders", "version", ""));
    assert_null(conv_text(f, "orders", "version", "0x10"));
}

static void test_value_floats_and_numerics(void **state)
{
    dfx *f = *state;
    assert_string_equal(conv(f, "accounts", "rate", "0.1"), "0.1");
    assert_string_equal(conv(f, "accounts", "rate", "3"), "3");
    assert_null(conv(f, "accounts", "rate", "\"0.1\""));
    assert_string_equal(conv_text(f, "accounts", "rate", "-2.5E-3"), "-0.0025");
    assert_string_equal(conv_text(f, "accounts", "rate", ".5"), "0.5");
    assert_null(conv_text(f, "accounts", "rate", "NaN"));
    assert_null(conv_text(f, "accounts", "rate", "inf"));
    assert_null(conv_text(f, "accounts", "rate", "1e999")); /* not finite */
    assert_null(conv_text(f, "accounts", "rate",
                          "1."
                          "2.3"));

    /* numeric(12,2): exact text kept; precision and scale checked. */
    assert_string_equal(conv(f, "orders", "total", "\"12.50\""), "12.50");
    assert_string_equal(conv(f, "orders", "total", "12.5"), "12.5");
    assert_string_equal(conv(f, "orders", "total", "\"-0.10\""), "-0.10");
    assert_string_equal(conv(f, "orders", "total", "\"9999999999.99\""), "9999999999.99");
    assert_string_equal(conv(f, "orders", "total", "\"1.500\""), "1.500"); /* zeros don't count */
    assert_string_equal(conv(f, "orders", "total", "1e3"), "1000");
    assert_null(conv(f, "orders", "total", "\"99999999999\""));
    assert_null(conv(f, "orders", "total", "\"1.001\""));
    assert_null(conv(f, "orders", "total", "0.001"));
    assert_null(conv(f, "orders", "total", "\"1e3\""));
    assert_null(conv(f, "orders", "total", "\"+1\""));
    assert_null(conv(f, "orders", "total", "\"1.\""));
    assert_null(conv(f, "orders", "total", "\".5\""));
    assert_null(conv(f, "orders", "total", "\"\""));
    assert_null(conv(f, "orders", "total", "\"NaN\""));
    assert_null(conv(f, "orders", "total", "true"));
    /* unconstrained numeric: doubles written out in full, exactly */
    assert_string_equal(conv(f, "accounts", "score", "1e20"), "100000000000000000000");
    assert_string_equal(conv(f, "accounts", "score", "1.5e-7"), "0.00000015");
    assert_string_equal(conv(f, "accounts", "score", "-0.0"), "0");
    assert_string_equal(conv(f, "accounts", "score", "1.5e29"), "150000000000000000000000000000");
    char *big = malloc(1100);
    memset(big, '9', 1099);
    big[0] = '"';
    big[1098] = '"';
    big[1099] = '\0';
    assert_null(conv(f, "accounts", "score", big)); /* over 1000 digits */
    free(big);
    assert_string_equal(conv_text(f, "accounts", "balance", "10.25"), "10.25");
    assert_null(conv_text(f, "accounts", "balance", "10.255"));
}

static void test_value_strings(void **state)
{
    dfx *f = *state;
    assert_string_equal(conv(f, "users", "name", "\"bob\""), "bob");
    assert_null(conv(f, "users", "name", "5"));
    assert_null(conv(f, "users", "name", "\"a\\u0000b\""));
    /* varchar(50): 50 code points, not bytes */
    char s[256] = "\"";
    for (int i = 0; i < 50; i++)
        strcat(s, "\xc3\xa9"); /* é: 2 bytes */
    strcat(s, "\"");
    assert_non_null(conv(f, "orders", "status", "\"paid\""));
    sql_value out;
    json_t *v = parse(s);
    /* 50 code points fit varchar(50) (choices aside: use a column without) */
    assert_true(orm_value_json(f->b, col(f, "genres", "name"), v, "", &out, &f->err));
    json_decref(v);
    s[strlen(s) - 1] = '\0';
    strcat(s, "x\"");
    v = parse(s);
    assert_false(orm_value_json(f->b, col(f, "genres", "name"), v, "", &out, &f->err));
    assert_true(fx_err_has(&f->err, "at most 50 characters"));
    json_decref(v);
    err_clear(&f->err);
    /* choices */
    assert_null(conv(f, "orders", "status", "\"lost\""));
    assert_null(conv_text(f, "orders", "status", "Paid"));
    assert_string_equal(conv_text(f, "orders", "status", "paid"), "paid");
    /* text has no length limit */
    char *long_text = malloc(20003);
    memset(long_text, 'x', 20002);
    long_text[0] = long_text[20001] = '"';
    long_text[20002] = '\0';
    assert_non_null(conv(f, "accounts", "notes", long_text));
    free(long_text);
}

static void test_value_booleans_uuids_dates(void **state)
{
    dfx *f = *state;
    assert_string_equal(conv(f, "accounts", "active", "true"), "true");
    assert_string_equal(conv(f, "accounts", "active", "false"), "false");
    assert_null(conv(f, "accounts", "active", "1"));
    assert_null(conv(f, "accounts", "active", "\"true\""));
    assert_string_equal(conv_text(f, "accounts", "active", "true"), "true");
    assert_null(conv_text(f, "accounts", "active", "TRUE"));
    assert_null(conv_text(f, "accounts", "active", "1"));

    assert_non_null(conv(f, "users", "id", "\"123e4567-e89b-12d3-a456-426614174000\""));
    assert_non_null(conv(f, "users", "id", "\"ABCDEF00-0000-0000-0000-000000000000\""));
    /* PostgreSQL's uuid input: any case, hyphens after groups of four,
     * braces; passed on as given. */
    assert_string_equal(conv(f, "users", "id", "\"123E4567E89B12D3A456426614174000\""),
                        "123E4567E89B12D3A456426614174000");
    assert_string_equal(conv(f, "users", "id", "\"{123e4567-e89b12d3-a456-4266-14174000}\""),
                        "{123e4567-e89b12d3-a456-4266-14174000}");
    assert_string_equal(conv_text(f, "users", "id", "123e4567e89b12d3a456426614174000"),
                        "123e4567e89b12d3a456426614174000");
    assert_null(conv(f, "users", "id", "\"{123e4567-e89b-12d3-a456-426614174000\""));
    assert_null(conv(f, "users", "id", "\"123e4567-e89b-12d3-a456-426614174000-\""));
    assert_null(conv(f, "users", "id", "\"123e4-567e89b12d3a456426614174000\""));
    assert_null(conv(f, "users", "id", "\"123e4567-e89b-12d3-a456-42661417400g\""));
    assert_null(conv(f, "users", "id", "\"123e4567-e89b-12d3-a456-4266141740000\""));
    assert_null(conv(f, "users", "id", "\"\""));
    assert_null(conv(f, "users", "id", "42"));

    assert_string_equal(conv(f, "accounts", "opened", "\"2024-02-29\""), "2024-02-29");
    assert_string_equal(conv(f, "accounts", "opened", "\"2000-02-29\""), "2000-02-29");
    assert_null(conv(f, "accounts", "opened", "\"1900-02-29\""));
    assert_null(conv(f, "accounts", "opened", "\"2023-02-29\""));
    assert_null(conv(f, "accounts", "opened", "\"2026-04-31\""));
    assert_null(conv(f, "accounts", "opened", "\"2026-13-01\""));
    assert_null(conv(f, "accounts", "opened", "\"2026-00-10\""));
    assert_null(conv(f, "accounts", "opened", "\"0000-01-01\""));
    assert_null(conv(f, "accounts", "opened", "\"2026-1-01\""));
    assert_null(conv(f, "accounts", "opened", "\"2026-01-01T00:00:00Z\""));
    assert_null(conv(f, "accounts", "opened", "\"today\""));
    assert_string_equal(conv_text(f, "accounts", "opened", "2026-12-31"), "2026-12-31");
}

static void test_value_timestamps(void **state)
{
    dfx *f = *state;
    static const char *const good[] = {
        "\"2026-01-01T00:00:00Z\"",      "\"2026-01-01t00:00:00z\"",
        "\"2026-01-01 00:00:00+00:00\"", "\"2026-01-01T23:59:59.123456-05:30\"",
        "\"2016-12-31T23:59:60Z\"",      "\"2024-02-29T12:00:00.5+14:00\"",
    };
    static const char *const bad[] = {
        "\"2026-01-01\"",
        "\"2026-01-01T00:00:00\"", /* no offset */
        "\"2026-01-01T24:00:00Z\"",
        "\"2026-01-01T00:60:00Z\"",
        "\"2026-01-01T00:00:61Z\"",
        "\"2026-01-01T00:00:00.Z\"",
        "\"2026-01-01T00:00:00+0100\"",
        "\"2026-01-01T00:00:00+24:00\"",
        "\"2026-01-01T00:00:00Z \"",
        "\"2026-02-30T00:00:00Z\"",
        "\"2026-01-01X00:00:00Z\"",
        "\"now\"",
        "1767225600",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!conv(f, "users", "created_at", good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (conv(f, "users", "created_at", bad[i]))
            fail_msg("accepted %s", bad[i]);
}

static void test_value_json_and_null(void **state)
{
    dfx *f = *state;
    assert_string_equal(conv(f, "accounts", "data", "{\"b\": [1, 2.5, \"x\"], \"a\": null}"),
                        "{\"b\":[1,2.5,\"x\"],\"a\":null}");
    assert_string_equal(conv(f, "accounts", "data", "\"s\""), "\"s\"");
    assert_string_equal(conv(f, "accounts", "data", "7"), "7");
    assert_string_equal(conv_text(f, "accounts", "data", " [1, {\"k\": true}] "),
                        "[1,{\"k\":true}]");
    assert_null(conv_text(f, "accounts", "data", "{nope"));
    /* JSON null is SQL NULL, refused for NOT NULL columns */
    assert_string_equal(conv(f, "users", "name", "null"), "NULL");
    assert_string_equal(conv(f, "accounts", "data", "null"), "NULL");
    assert_null(conv(f, "users", "email", "null"));
    assert_null(conv(f, "orders", "version", "null"));
}

/* ==== errors ============================================================ */

static void test_bad_request_wins_over_validation(void **state)
{
    dfx *f = *state;
    /* A value error first, then a name error: the report is a 400 with both. */
    json_t *doc = parse("{\"where\": {\"name\": 5, \"nope\": 1}}");
    query_doc q;
    assert_false(query_parse(f->b, from_of(f, "users", NULL), doc, NULL, &q, &f->err));
    assert_int_equal(f->err.kind, ERR_BAD_REQUEST);
    assert_int_equal(f->err.status, 400);
    assert_string_equal(f->err.type, "bad-request");
    assert_int_equal(f->err.n_items, 2);
    assert_string_equal(f->err.items[0].pointer, "/where/name");
    assert_string_equal(f->err.items[1].pointer, "/where/nope");
    assert_true(sql_builder_failed(f->b));
    json_decref(doc);

    /* Only value errors: 422. */
    err_report err2;
    err_init(&err2, f->a);
    sql_builder *b2 = sql_builder_new(f->a, &err2);
    doc = parse("{\"where\": {\"name\": 5, \"email\": [1]}}");
    assert_false(query_parse(
        b2, sql_from_table(b2, sql_metadata_table(f->md, "users"), NULL), doc, NULL, &q, &err2));
    assert_int_equal(err2.kind, ERR_VALIDATION);
    assert_int_equal(err2.status, 422);
    assert_int_equal(err2.n_items, 2);
    json_decref(doc);

    /* An error already in the report is never overridden. */
    err_report err3;
    err_init(&err3, f->a);
    err_set(&err3, ERR_NOT_FOUND, "earlier");
    sql_builder *b3 = sql_builder_new(f->a, &err3);
    doc = parse("{\"name\": 5, \"nope\": 1}");
    assert_null(query_where(b3, sql_from_table(b3, sql_metadata_table(f->md, "users"), NULL), doc,
                              "", NULL, &err3));
    assert_int_equal(err3.kind, ERR_NOT_FOUND);
    assert_int_equal(err3.n_items, 2);
    json_decref(doc);
}

static void test_where_alone(void **state)
{
    dfx *f = *state;
    /* No document, or an empty one: no condition and no problem. */
    sql_from *u = from_of(f, "users", NULL);
    assert_null(query_where(f->b, u, NULL, "/where", NULL, &f->err));
    json_t *empty = parse("{}");
    assert_null(query_where(f->b, u, empty, "/where", NULL, &f->err));
    assert_false(err_is_set(&f->err));
    assert_false(sql_builder_failed(f->b));
    json_decref(empty);

    /* Pointers start at the prefix (a transaction operation). */
    json_t *doc = parse("{\"orders\": {\"any\": {\"status\": {\"in\": [\"x\"]}}}}");
    assert_null(query_where(f->b, u, doc, "/operations/2/where", NULL, &f->err));
    assert_string_equal(f->err.items[0].pointer, "/operations/2/where/orders/any/status/in/0");
    json_decref(doc);

    /* Not an object */
    err_clear(&f->err);
    doc = parse("[1]");
    assert_null(query_where(f->b, u, doc, "/where", NULL, &f->err));
    assert_int_equal(f->err.status, 400);
    assert_string_equal(f->err.items[0].pointer, "/where");
    json_decref(doc);
}

static void test_where_in_bulk_update(void **state)
{
    dfx *f = *state;
    sql_from *t = from_of(f, "accounts", NULL);
    json_t *doc = parse("{\"active\": false, \"owner\": {\"in\": [\"a\", \"b\"]}}");
    sql_node *cond = query_where(f->b, t, doc, "/where", NULL, &f->err);
    json_decref(doc);
    assert_non_null(cond);
    sql_update *u = sql_update_new(f->b, t);
    assert_true(
        sql_update_set(f->b, u, col(f, "accounts", "active"), sql_bind(f->b, sql_val_bool(true))));
    assert_true(sql_update_where(f->b, u, cond));
    sql_compiled c;
    assert_true(sql_compile(SQL_NODE(u), f->a, &c, &f->err));
    assert_string_equal(c.sql,
                        "UPDATE \"accounts\" SET \"active\" = $1 WHERE \"accounts\".\"active\" "
                        "= $2 AND \"accounts\".\"owner\" = ANY($3::text[])");
    assert_int_equal(c.n_params, 3);
    assert_string_equal(c.params[1], "false");
    assert_string_equal(c.params[2], "{\"a\",\"b\"}");
}

/* ==== names and values that look like SQL =============================== */

static void test_injection(void **state)
{
    dfx *f = *state;
    static const char *const payloads[] = {
        "x'; DROP TABLE users; --", "\" OR 1=1 --", "$1; SELECT", "') OR ('a'='a", "\\\\'",
        "name\" = 'x' --",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        arena *a = arena_create(f->a, "injection");
        err_report err;
        err_init(&err, a);
        sql_builder *b = sql_builder_new(a, &err);
        sql_from *u = sql_from_table(b, sql_metadata_table(f->md, "users"), NULL);

        /* as a value: bound, matched literally, never in the text */
        json_t *doc =
            json_pack("{s:{s:s, s:{s:s}, s:{s:[s]}}}", "where", "name", payloads[i], "email",
                      "ilike", payloads[i], "id", "not_in", "123e4567-e89b-12d3-a456-426614174000");
        query_doc q;
        assert_true(query_parse(b, u, doc, NULL, &q, &err));
        sql_compiled c;
        sql_select *s = query_select(b, u, &q, &err);
        assert_true(sql_compile(SQL_NODE(s), a, &c, &err));
        assert_null(strstr(c.sql, payloads[i]));
        assert_string_equal(c.params[0], payloads[i]);
        assert_string_equal(c.params[1], payloads[i]);
        const char *why = doc_check_invariants(SQL_NODE(s), &c, f->md, a);
        if (why)
            fail_msg("%s", why);
        json_decref(doc);

        /* as a name: unknown, wherever it is used */
        doc = json_pack("{s:{s:i}, s:[s], s:[s], s:[{s:s}]}", "where", payloads[i], 1, "order_by",
                        payloads[i], "fields", payloads[i], "options", "joinedload", payloads[i]);
        assert_false(query_parse(b, u, doc, NULL, &q, &err));
        assert_int_equal(err.status, 400);
        assert_int_equal(err.n_items, 4);
        json_decref(doc);
        arena_destroy(a);
    }
}

/* ==== hostile documents ================================================= */

static double seconds(clock_t since)
{
    return (double) (clock() - since) / CLOCKS_PER_SEC;
}

static void test_deep_nesting_fails_fast(void **state)
{
    dfx *f = *state;
    /* 1,500 levels (below jansson's parser limit, so a request can carry
     * it): refused at level 17, without recursing further. */
    enum { LEVELS = 1500 };
    json_t *leaf = json_pack("{s:s}", "name", "a");
    for (int i = 0; i < LEVELS; i++)
        leaf = json_pack("{s:o}", i % 2 ? "not" : "not", leaf);
    json_t *doc = json_pack("{s:o}", "where", leaf);
    query_doc q;
    clock_t t0 = clock();
    assert_false(query_parse(f->b, from_of(f, "users", NULL), doc, NULL, &q, &f->err));
    assert_true(seconds(t0) < 1.0);
    assert_int_equal(f->err.status, 400);
    assert_int_equal(f->err.n_items, 1);
    assert_true(fx_err_has(&f->err, "nested more than 16 levels"));
    assert_int_equal(strlen(f->err.items[0].pointer), strlen("/where") + 17 * strlen("/not"));
    json_decref(doc);

    /* the same through or-arrays and any/has */
    err_clear(&f->err);
    json_t *w = json_pack("{s:s}", "status", "paid");
    for (int i = 0; i < LEVELS; i++)
        w = i % 2 ? json_pack("{s:{s:o}}", "user", "has", w)
                  : json_pack("{s:{s:o}}", "orders", "any", w);
    assert_null(query_where(f->b, from_of(f, "orders", NULL), w, "", NULL, &f->err));
    assert_int_equal(f->err.n_items, 1);
    json_decref(w);
}

static void test_deepest_allowed_nesting_compiles(void **state)
{
    dfx *f = *state;
    /* 16 levels of any/has, the worst case for tree height, still fits. */
    json_t *w = json_pack("{s:{s:s}}", "name", "ne", "x"); /* on users, the innermost target */
    for (int i = 0; i < QUERY_MAX_DEPTH; i++)
        w = i % 2 ? json_pack("{s:{s:o}}", "orders", "any", w)
                  : json_pack("{s:{s:o}}", "user", "has", w);
    json_t *doc = json_pack("{s:o, s:b}", "where", w, "count", 1);
    sql_from *u = from_of(f, "users", NULL);
    query_doc q;
    assert_true(query_parse(f->b, u, doc, NULL, &q, &f->err));
    sql_select *s = query_select(f->b, u, &q, &f->err);
    sql_select *cs = query_count_select(f->b, u, &q, &f->err);
    assert_non_null(s);
    assert_non_null(cs);
    sql_compiled c;
    assert_true(sql_compile(SQL_NODE(s), f->a, &c, &f->err));
    const char *why = doc_check_invariants(SQL_NODE(s), &c, f->md, f->a);
    if (why)
        fail_msg("%s", why);
    /* 16 distinct aliases, none shadowing another */
    assert_non_null(strstr(c.sql, "\"orders_15\""));
    assert_non_null(strstr(c.sql, "\"users_16\""));
    json_decref(doc);
}

static void test_huge_lists(void **state)
{
    dfx *f = *state;
    sql_from *u = from_of(f, "users", NULL);
    /* 10,000 values: one parameter */
    json_t *list = json_array();
    for (int i = 0; i < QUERY_MAX_IN_LIST; i++)
        json_array_append_new(list, json_sprintf("n%d", i));
    json_t *doc = json_pack("{s:{s:O}}", "name", "in", list);
    sql_node *cond = query_where(f->b, u, doc, "/where", NULL, &f->err);
    assert_non_null(cond);
    sql_compiled c;
    assert_true(sql_compile(cond, f->a, &c, &f->err));
    assert_int_equal(c.n_params, 1);
    assert_string_equal(c.sql, "\"users\".\"name\" = ANY($1::text[])");
    json_decref(doc);

    /* one more: refused before any element is looked at */
    json_array_append_new(list, json_string("x"));
    doc = json_pack("{s:{s:O}}", "name", "in", list);
    clock_t t0 = clock();
    assert_null(query_where(f->b, u, doc, "/where", NULL, &f->err));
    assert_true(seconds(t0) < 0.5);
    assert_string_equal(f->err.items[0].pointer, "/where/name/in");
    json_decref(doc);
    json_decref(list);

    /* 100,000 or-branches: stopped at max_nodes (one problem) */
    err_clear(&f->err);
    json_t *ors = json_array();
    for (int i = 0; i < 100000; i++)
        json_array_append_new(ors, json_pack("{s:s}", "name", "x"));
    doc = json_pack("{s:o}", "or", ors);
    t0 = clock();
    assert_null(query_where(f->b, u, doc, "/where", NULL, &f->err));
    assert_true(seconds(t0) < 2.0);
    assert_int_equal(f->err.n_items, 1);
    assert_true(fx_err_has(&f->err, "too large"));
    json_decref(doc);

    /* 10,000 unknown keys: every one counted, at most ERR_MAX_ITEMS kept */
    err_clear(&f->err);
    doc = json_object();
    for (int i = 0; i < 10000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(doc, k, json_integer(i));
    }
    assert_null(query_where(f->b, u, doc, "/where", NULL, &f->err));
    assert_int_equal(f->err.n_items, ERR_MAX_ITEMS);
    assert_int_equal(f->err.dropped_items, 10000 - ERR_MAX_ITEMS);
    json_decref(doc);
}

static void test_parameter_limit(void **state)
{
    dfx *f = *state;
    /* With max_nodes raised, 70,000 comparisons need more parameters than
     * the protocol allows: a 400, not a crash or a broken statement. */
    query_limits lim = {.max_nodes = 500000};
    json_t *ors = json_array();
    for (int i = 0; i < 70000; i++)
        json_array_append_new(ors, json_pack("{s:i}", "version", i));
    json_t *doc = json_pack("{s:o}", "or", ors);
    assert_null(query_where(f->b, from_of(f, "orders", NULL), doc, "/where", &lim, &f->err));
    assert_int_equal(f->err.status, 400);
    assert_true(fx_err_has(&f->err, "more than 65535 parameters"));
    assert_string_equal(f->err.items[0].pointer, "/where");
    json_decref(doc);
}

/* ==== structure ========================================================= */

static void test_aliases_never_shadow(void **state)
{
    dfx *f = *state;
    /* The root is aliased like a generated alias: the generator skips it. */
    sql_from *o = from_of(f, "orders", "users_1");
    json_t *doc = parse("{\"user\": {\"has\": {\"orders\": {\"any\": {\"status\": \"paid\"}}}}}");
    sql_node *cond = query_where(f->b, o, doc, "", NULL, &f->err);
    json_decref(doc);
    assert_non_null(cond);
    sql_compiled c;
    assert_true(sql_compile(cond, f->a, &c, &f->err));
    assert_string_equal(
        c.sql, "EXISTS (SELECT 1 FROM \"users\" AS \"users_2\" WHERE \"users_1\".\"user_id\" "
               "= \"users_2\".\"id\" AND EXISTS (SELECT 1 FROM \"orders\" AS \"orders_3\" "
               "WHERE \"users_2\".\"id\" = \"orders_3\".\"user_id\" AND "
               "\"orders_3\".\"status\" = $1))");
}

static void test_query_structure(void **state)
{
    dfx *f = *state;
    json_t *doc = parse("{\"group_by\": [\"status\"], \"aggregates\": {\"n\": {\"count\": \"*\"}, "
                        "\"r\": {\"sum\": \"total\"}, \"u\": {\"count_distinct\": \"user_id\"}}, "
                        "\"order_by\": [{\"r\": \"desc\"}, \"status\"], \"limit\": 3}");
    query_doc q;
    sql_from *o = from_of(f, "orders", NULL);
    assert_true(query_parse(f->b, o, doc, NULL, &q, &f->err));
    json_decref(doc);
    assert_true(q.is_aggregate);
    assert_ptr_equal(q.from, o);
    assert_int_equal(q.n_group_by, 1);
    assert_ptr_equal(q.group_by[0], col(f, "orders", "status"));
    assert_int_equal(q.n_aggregates, 3);
    assert_string_equal(q.aggregates[0].label, "n");
    assert_int_equal(q.aggregates[0].fn, SQL_FN_COUNT);
    assert_null(q.aggregates[0].column);
    assert_int_equal(q.aggregates[1].fn, SQL_FN_SUM);
    assert_true(q.aggregates[2].distinct);
    assert_int_equal(q.n_order, 2);
    assert_null(q.order[0].column);
    assert_int_equal(q.order[0].aggregate, 1);
    assert_true(q.order[0].desc);
    assert_ptr_equal(q.order[1].column, col(f, "orders", "status"));
    assert_int_equal(q.limit, 3);
    assert_int_equal(q.offset, 0);

    /* fields: names with their columns or relationships */
    doc = parse("{\"fields\": [\"email\", \"orders\"], \"count\": true}");
    sql_from *u = from_of(f, "users", NULL);
    assert_true(query_parse(f->b, u, doc, NULL, &q, &f->err));
    json_decref(doc);
    assert_int_equal(q.n_fields, 2);
    assert_string_equal(q.fields[0], "email");
    assert_ptr_equal(q.field_columns[0], col(f, "users", "email"));
    assert_null(q.field_relations[0]);
    assert_null(q.field_columns[1]);
    assert_string_equal(q.field_relations[1]->name, "orders");
    assert_true(q.count);
    assert_false(q.is_aggregate);
    assert_int_equal(q.limit, QUERY_DEFAULT_LIMIT);

    /* a statement built over another FROM item is refused (a bug, 500) */
    sql_from *other = from_of(f, "users", NULL);
    assert_null(query_select(f->b, other, &q, &f->err));
    assert_int_equal(f->err.kind, ERR_INTERNAL);
}

static void test_get_params(void **state)
{
    dfx *f = *state;
    static const char *const names[] = {"status", "include", "order_by", "limit", "count", "where"};
    static const char *const values[] = {"paid", "user", "-total,created_at",
                                         "7",    "true", "{\"version\": {\"gt\": 1}}"};
    sql_from *o = from_of(f, "orders", NULL);
    query_doc q;
    query_limits lim = {.max_limit = 10};
    assert_true(query_parse_params(f->b, o, names, values, 6, &lim, &q, &f->err));
    assert_int_equal(q.limit, 7);
    assert_true(q.count);
    assert_int_equal(q.load.n_options, 1);
    assert_int_equal(q.load.options[0].strategy, CFG_LOAD_SELECTIN);
    assert_true(q.load.options[0].include);
    assert_string_equal(q.load.options[0].pointer, "/include");
    assert_int_equal(q.n_order, 2);
    assert_true(q.order[0].desc);
    assert_false(q.order[1].desc);
    sql_select *s = query_select(f->b, o, &q, &f->err);
    sql_compiled c;
    assert_true(sql_compile(SQL_NODE(s), f->a, &c, &f->err));
    assert_non_null(strstr(c.sql,
                           "WHERE \"orders\".\"status\" = $1 AND \"orders\".\"version\" > $2 "
                           "ORDER BY \"orders\".\"total\" DESC, \"orders\".\"created_at\" "
                           "LIMIT $3 OFFSET $4"));

    /* default limit above a smaller max_limit is capped */
    query_limits small = {.max_limit = 5};
    assert_true(query_parse_params(f->b, o, NULL, NULL, 0, &small, &q, &f->err));
    assert_int_equal(q.limit, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_value_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_floats_and_numerics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_booleans_uuids_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_json_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_request_wins_over_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_in_bulk_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting_fails_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deepest_allowed_nesting_compiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aliases_never_shadow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_params, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
