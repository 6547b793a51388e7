/*
 * orm_fixture — what the ORM integration tests share: one configuration
 * (users → orders → items, orders ↔ tags through an association model, a
 * versioned model, a self-referential one), a PostgreSQL database (the one
 * RETORT_TEST_DATABASE_URL names, else a private throw-away cluster), a
 * schema of the test binary's own (search_path through PGOPTIONS, so
 * binaries running side by side never meet), the registry, and helpers:
 * sessions, raw SQL, translated query documents, statement counts.
 * Header-only (static inline) so each test stays one source file.
 */
#ifndef RETORT_ORM_FIXTURE_H
#define RETORT_ORM_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "arena.h"
#include "cfg.h"
#include "eng.h"
#include "error.h"
#include "orm.h"
#include "sql.h"
#include "query.h"
#include "strbuf.h"
#include "testsupport.h"

/* Models are declared children first on purpose: the registry, not the
 * file, decides the order of inserts. */
static const char *const OFX_CONFIG =
    "{\"models\": {"
    " \"Item\": {\"table\": \"om_items\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    "   \"order_id\": {\"type\": \"integer\", \"nullable\": false, \"references\": "
    "\"om_orders.id\"},"
    "   \"sku\": {\"type\": \"string\", \"length\": 40},"
    "   \"qty\": {\"type\": \"integer\", \"default\": 1}},"
    "  \"relationships\": {"
    "   \"order\": {\"target\": \"Order\", \"kind\": \"many_to_one\", \"foreign_key\": "
    "\"order_id\","
    "               \"back_populates\": \"items\"}}},"
    " \"Order\": {\"table\": \"om_orders\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    "   \"user_id\": {\"type\": \"integer\", \"nullable\": false, \"references\": \"om_users.id\"},"
    "   \"total\": {\"type\": \"numeric\", \"precision\": 12, \"scale\": 2},"
    "   \"note\": {\"type\": \"text\"}},"
    "  \"relationships\": {"
    "   \"user\": {\"target\": \"User\", \"kind\": \"many_to_one\", \"foreign_key\": \"user_id\","
    "              \"back_populates\": \"orders\", \"lazy\": \"selectin\"},"
    "   \"items\": {\"target\": \"Item\", \"kind\": \"one_to_many\", \"foreign_key\": \"order_id\","
    "               \"back_populates\": \"order\"},"
    "   \"tags\": {\"target\": \"Tag\", \"kind\": \"many_to_many\", \"secondary\": \"OrderTag\","
    "              \"back_populates\": \"orders\", \"order_by\": \"label\"}}},"
    " \"User\": {\"table\": \"om_users\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    "   \"email\": {\"type\": \"string\", \"length\": 255, \"nullable\": false, \"unique\": true},"
    "   \"name\": {\"type\": \"string\", \"length\": 100},"
    "   \"status\": {\"type\": \"string\", \"length\": 20, \"default\": \"active\"},"
    "   \"score\": {\"type\": \"integer\", \"default\": 0},"
    "   \"created_at\": {\"type\": \"timestamptz\", \"server_default\": \"now()\"}},"
    "  \"relationships\": {"
    "   \"orders\": {\"target\": \"Order\", \"kind\": \"one_to_many\", \"foreign_key\": "
    "\"user_id\","
    "                \"back_populates\": \"user\", \"order_by\": \"-total\"}}},"
    " \"Tag\": {\"table\": \"om_tags\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"label\": {\"type\": \"string\", \"length\": 40, \"nullable\": false}},"
    "  \"relationships\": {"
    "   \"orders\": {\"target\": \"Order\", \"kind\": \"many_to_many\", \"secondary\": "
    "\"OrderTag\","
    "                \"back_populates\": \"tags\"}}},"
    " \"OrderTag\": {\"table\": \"om_order_tags\", \"columns\": {"
    "   \"order_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"om_orders.id\"},"
    "   \"tag_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"om_tags.id\"}}},"
    " \"Account\": {\"table\": \"om_accounts\", \"version_column\": \"version\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    "   \"owner\": {\"type\": \"text\"},"
    "   \"balance\": {\"type\": \"numeric\", \"precision\": 12, \"scale\": 2, \"default\": "
    "\"0.00\"},"
    "   \"version\": {\"type\": \"integer\", \"nullable\": false}}},"
    " \"Category\": {\"table\": \"om_categories\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"parent_id\": {\"type\": \"integer\", \"references\": \"om_categories.id\"}},"
    "  \"relationships\": {"
    "   \"children\": {\"target\": \"Category\", \"kind\": \"one_to_many\", \"foreign_key\": "
    "\"parent_id\","
    "                  \"back_populates\": \"parent\", \"lazy\": \"selectin\"},"
    "   \"parent\": {\"target\": \"Category\", \"kind\": \"many_to_one\", \"foreign_key\": "
    "\"parent_id\","
    "                \"back_populates\": \"children\"}}}"
    "}}";

typedef struct ofx {
    ts_cluster cluster; /* when RETORT_TEST_DATABASE_URL is not set */
    bool own_cluster;
    char url[512];
    char schema[64];
    arena *proc; /* config, registry */
    cfg_config *cfg;
    orm_registry *reg;
    eng_pool *pool;
    sql_cache *cache;
    arena *a; /* per test */
} ofx;

static ofx OF;

/* Runs SQL outside any session (its own committed transaction). */
static inline void ofx_sql(const char *sql)
{
    arena *a = arena_create(NULL, "ofx_sql");
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(OF.pool, &err);
    ts_assert_ok(&err, "checkout");
    eng_exec_command(c, sql, &err);
    eng_pool_checkin(OF.pool, c);
    ts_assert_ok(&err, sql);
    arena_destroy(a);
}

/* The first value of the first row of sql, as a long. */
static inline long ofx_scalar(const char *sql)
{
    arena *a = arena_create(NULL, "ofx_scalar");
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(OF.pool, &err);
    ts_assert_ok(&err, "checkout");
    eng_result *r = eng_exec(c, a, sql, 0, NULL, &err);
    long v = r && eng_result_rows(r) ? strtol(eng_result_value(r, 0, 0), NULL, 10) : -1;
    eng_pool_checkin(OF.pool, c);
    ts_assert_ok(&err, sql);
    arena_destroy(a);
    return v;
}

static inline const char *ofx_text(arena *out, const char *sql)
{
    err_report err;
    err_init(&err, out);
    eng_conn *c = eng_pool_checkout(OF.pool, &err);
    ts_assert_ok(&err, "checkout");
    eng_result *r = eng_exec(c, out, sql, 0, NULL, &err);
    const char *v = r && eng_result_rows(r) && !eng_result_is_null(r, 0, 0)
                        ? arena_strdup(out, eng_result_value(r, 0, 0))
                        : NULL;
    eng_pool_checkin(OF.pool, c);
    ts_assert_ok(&err, sql);
    return v;
}

static inline int ofx_group_setup(const char *name)
{
    if (!ts_database_or_cluster(&OF.cluster, OF.url, sizeof OF.url))
        return -1;
    OF.own_cluster = OF.cluster.running; /* started here, not the shared database */
    snprintf(OF.schema, sizeof OF.schema, "%s_%d", name, (int) getpid());
    char opts[128];
    snprintf(opts, sizeof opts, "-c search_path=%s", OF.schema);
    setenv("PGOPTIONS", opts, 1);

    OF.proc = arena_create(NULL, "orm test process");
    err_report err;
    err_init(&err, OF.proc);
    OF.cfg = cfg_load_string(OF.proc, OFX_CONFIG, "orm_fixture", (char *const[]){NULL}, &err);
    if (!OF.cfg) {
        ts_assert_ok(&err, "config");
        return -1;
    }
    OF.reg = orm_registry_create(OF.proc, OF.cfg, &err);
    if (!OF.reg) {
        ts_assert_ok(&err, "registry");
        return -1;
    }
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = OF.url;
    o.pool_size = 4;
    o.max_overflow = 0;
    o.pool_timeout = 10;
    o.connect_timeout = 10;
    OF.pool = eng_pool_create(&o, &err);
    if (!OF.pool) {
        ts_assert_ok(&err, "pool");
        return -1;
    }
    OF.cache = sql_cache_create(0);
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", OF.schema,
             OF.schema);
    ofx_sql(sql);
    if (!orm_schema_create_all(OF.pool, orm_registry_metadata(OF.reg), OF.proc, &err)) {
        ts_assert_ok(&err, "create_all");
        return -1;
    }
    return 0;
}

static inline int ofx_group_teardown(void)
{
    err_report err;
    err_init(&err, OF.proc);
    orm_schema_drop_all(OF.pool, orm_registry_metadata(OF.reg), OF.proc, &err);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", OF.schema);
    ofx_sql(sql);
    eng_pool_destroy(OF.pool);
    sql_cache_destroy(OF.cache);
    arena_destroy(OF.proc);
    if (OF.own_cluster)
        ts_cluster_destroy(&OF.cluster);
    return 0;
}

/* Per test: empty tables, a fresh arena. */
static inline int ofx_setup(void **state)
{
    (void) state;
    ofx_sql("TRUNCATE om_order_tags, om_items, om_orders, om_users, om_tags, om_accounts, "
            "om_categories RESTART IDENTITY CASCADE");
    OF.a = arena_create(NULL, "orm test");
    return 0;
}

static inline int ofx_teardown(void **state)
{
    (void) state;
    arena_destroy(OF.a); /* closes every session opened in it */
    OF.a = NULL;
    return 0;
}

static inline orm_session *ofx_session_opts(arena *a, bool autoflush, bool expire_on_commit)
{
    orm_session_options o = {
        .pool = OF.pool,
        .use_prepared = true,
        .cache = OF.cache,
        .registry = OF.reg,
        .autoflush = autoflush,
        .expire_on_commit = expire_on_commit,
    };
    return orm_session_open(a, &o);
}

static inline orm_session *ofx_session(void)
{
    return ofx_session_opts(OF.a, true, false);
}

static inline uint64_t ofx_count(const orm_session *s)
{
    orm_session_stats st;
    orm_session_get_stats(s, &st);
    return st.statements;
}

static inline const orm_mapper *ofx_mapper(const char *model)
{
    const orm_mapper *m = orm_mapper_by_name(OF.reg, model);
    assert_non_null(m);
    return m;
}

static inline size_t ofx_col(const orm_mapper *m, const char *name)
{
    int i = orm_mapper_column(m, name);
    assert_true(i >= 0);
    return (size_t) i;
}

static inline size_t ofx_rel(const orm_mapper *m, const char *name)
{
    const orm_relationship *r = orm_mapper_relationship(m, name);
    assert_non_null(r);
    return r->index;
}

/* A query document translated over m's table; err receives problems. */
static inline query_doc *ofx_parse(arena *a, const orm_mapper *m, const char *json,
                                       err_report *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    if (!doc)
        print_message("bad JSON in test: %s\n", jerr.text);
    assert_non_null(doc);
    sql_builder *b = sql_builder_new(a, err);
    sql_from *from = sql_from_table(b, m->table, NULL);
    query_doc *q = ARENA_NEW(a, query_doc);
    bool ok = query_parse(b, from, doc, NULL, q, err);
    json_decref(doc);
    return ok ? q : NULL;
}

static inline query_doc *ofx_query_doc(arena *a, const orm_mapper *m, const char *json)
{
    err_report err;
    err_init(&err, a);
    query_doc *q = ofx_parse(a, m, json, &err);
    ts_assert_ok(&err, json);
    assert_non_null(q);
    return q;
}

/* Runs a query document with its plan; returns the entities. */
static inline orm_entity **ofx_run(orm_session *s, const orm_mapper *m, const char *json, size_t *n)
{
    arena *a = orm_session_arena(s);
    err_report err;
    err_init(&err, a);
    query_doc *q = ofx_query_doc(a, m, json);
    orm_load_plan *plan = orm_load_plan_build(s, m, &q->load, &err);
    ts_assert_ok(&err, "plan");
    orm_entity **out = NULL;
    int64_t count = 0;
    bool ok = query_entities(s, m, q, plan, &out, n, &count, &err);
    ts_assert_ok(&err, json);
    assert_true(ok);
    return out;
}

static inline orm_entity *ofx_get(orm_session *s, const orm_mapper *m, const char *key)
{
    err_report err;
    err_init(&err, orm_session_arena(s));
    orm_entity *e = NULL;
    const char *pk[1] = {key};
    bool ok = orm_session_get(s, m, pk, NULL, &e, &err);
    ts_assert_ok(&err, "get");
    assert_true(ok);
    return e;
}

static inline const char *ofx_val(const orm_entity *e, const char *column)
{
    return orm_entity_get(e, ofx_col(orm_entity_mapper(e), column));
}

#endif
