/*
 * core_exec_fixture — what the Core execution tests share: a schema
 * declared in configuration JSON (cfg_load_string), turned into Core
 * metadata (orm_metadata_from_config), created on a real PostgreSQL
 * (orm_schema_create_all) and dropped again; a pool, a statement cache and
 * request sessions; helpers that run Core statements and compare results
 * as JSON (dto).
 *
 * Each test program uses its own table prefix ("cx_", "cc_"), so the
 * programs may run at the same time against one database. The database is
 * RETORT_TEST_DATABASE_URL when set, otherwise a private throw-away
 * cluster (ts_database_or_cluster).
 *
 * Header-only (static inline), like eng_testing.h.
 */
#ifndef RETORT_CORE_EXEC_FIXTURE_H
#define RETORT_CORE_EXEC_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "arena.h"
#include "cfg.h"
#include "dto.h"
#include "eng.h"
#include "error.h"
#include "orm.h"
#include "sql.h"
#include "testsupport.h"

/* The models, with ' for " and @ for the table prefix. Owner 1-n Thing,
 * Thing n-n Tag through ThingTag (composite primary key of two foreign
 * keys); one column of every type on Thing; a named CHECK on Owner. */
static const char CE_MODELS[] =
    "{'models': {"
    " 'Owner': {'table': '@owners',"
    "  'columns': {"
    "   'id': {'type': 'uuid', 'primary_key': true, 'server_default': 'gen_random_uuid()'},"
    "   'name': {'type': 'string', 'length': 40, 'nullable': false, 'unique': true},"
    "   'balance': {'type': 'numeric', 'precision': 20, 'scale': 6, 'nullable': false,"
    "               'server_default': '0'}},"
    "  'checks': {'@owners_balance_nonnegative': 'balance >= 0'},"
    "  'relationships': {'things': {'target': 'Thing', 'kind': 'one_to_many',"
    "                               'foreign_key': 'owner_id', 'back_populates': 'owner'}}},"
    " 'Thing': {'table': '@things',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'owner_id': {'type': 'uuid', 'references': '@owners.id'},"
    "   'n_int': {'type': 'integer'},"
    "   'n_big': {'type': 'bigint'},"
    "   'n_float': {'type': 'float'},"
    "   'n_num': {'type': 'numeric', 'precision': 20, 'scale': 6},"
    "   's_str': {'type': 'string', 'length': 20},"
    "   's_text': {'type': 'text'},"
    "   'flag': {'type': 'boolean'},"
    "   'ref': {'type': 'uuid'},"
    "   'day': {'type': 'date'},"
    "   'at': {'type': 'timestamptz'},"
    "   'doc': {'type': 'jsonb'}},"
    "  'relationships': {"
    "   'owner': {'target': 'Owner', 'kind': 'many_to_one', 'foreign_key': 'owner_id',"
    "             'back_populates': 'things'},"
    "   'tags': {'target': 'Tag', 'kind': 'many_to_many', 'secondary': 'ThingTag',"
    "            'back_populates': 'things'}}},"
    " 'Tag': {'table': '@tags',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'name': {'type': 'string', 'length': 40, 'nullable': false, 'unique': true}},"
    "  'relationships': {'things': {'target': 'Thing', 'kind': 'many_to_many',"
    "                               'secondary': 'ThingTag', 'back_populates': 'tags'}}},"
    " 'ThingTag': {'table': '@thing_tags',"
    "  'columns': {"
    "   'thing_id': {'type': 'integer', 'primary_key': true, 'references': '@things.id'},"
    "   'tag_id': {'type': 'integer', 'primary_key': true, 'references': '@tags.id'}}}"
    "}}";

typedef struct ce_fixture {
    ts_cluster cluster; /* used when RETORT_TEST_DATABASE_URL is not set */
    char url[512];
    const char *prefix;
    arena *process; /* config and metadata: the process arena */
    cfg_config *cfg;
    sql_metadata *md;
    const sql_table *owners, *things, *tags, *thing_tags;
    eng_pool *pool; /* pool_size 2: two sessions at once */
    sql_cache *cache;
    arena *a; /* per test */
} ce_fixture;

/* The table name with the fixture's prefix, in a. */
static inline const char *ce_name(const ce_fixture *f, arena *a, const char *suffix)
{
    return arena_sprintf(a, "%s%s", f->prefix, suffix);
}

/* CE_MODELS as JSON for this prefix, in a. */
static inline const char *ce_config_json(arena *a, const char *prefix)
{
    size_t plen = strlen(prefix), n = 0;
    char *out = arena_alloc(a, sizeof CE_MODELS * (plen + 1));
    for (const char *p = CE_MODELS; *p; p++) {
        if (*p == '@') {
            memcpy(out + n, prefix, plen);
            n += plen;
        } else {
            out[n++] = *p == '\'' ? '"' : *p;
        }
    }
    out[n] = '\0';
    return out;
}

static inline eng_pool *ce_pool(const ce_fixture *f, int size, bool prepared)
{
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = f->url;
    o.pool_size = size;
    o.max_overflow = 0;
    o.pool_timeout = 5;
    o.connect_timeout = 5;
    o.prepared_statements = prepared;
    o.application_name = "retort-core-exec-test";
    err_report err;
    err_init(&err, NULL);
    eng_pool *p = eng_pool_create(&o, &err);
    assert_non_null(p);
    return p;
}

/* Everything before the first test: the database, config -> metadata,
 * drop_all, then create_all twice (it must be idempotent). Returns 0 or
 * -1 like a cmocka group setup. */
static inline int ce_group_setup(ce_fixture *f, const char *prefix)
{
    f->prefix = prefix;
    if (!ts_database_or_cluster(&f->cluster, f->url, sizeof f->url))
        return -1;
    f->process = arena_create(NULL, "core exec process");
    err_report err;
    err_init(&err, f->process);
    char *const noenv[] = {NULL};
    f->cfg = cfg_load_string(f->process, ce_config_json(f->process, prefix), "core-exec-test",
                             noenv, &err);
    if (!f->cfg) {
        fprintf(stderr, "config refused: %s\n", err.n_items ? err.items[0].detail : "?");
        return -1;
    }
    f->md = orm_metadata_from_config(f->process, f->cfg, &err);
    if (!f->md) {
        fprintf(stderr, "metadata refused: %s\n", err.n_items ? err.items[0].detail : "?");
        return -1;
    }
    f->owners = sql_metadata_table(f->md, ce_name(f, f->process, "owners"));
    f->things = sql_metadata_table(f->md, ce_name(f, f->process, "things"));
    f->tags = sql_metadata_table(f->md, ce_name(f, f->process, "tags"));
    f->thing_tags = sql_metadata_table(f->md, ce_name(f, f->process, "thing_tags"));
    if (!f->owners || !f->things || !f->tags || !f->thing_tags)
        return -1;

    f->pool = ce_pool(f, 2, true);
    f->cache = sql_cache_create(0);
    bool ok = orm_schema_drop_all(f->pool, f->md, f->process, &err) &&
              orm_schema_create_all(f->pool, f->md, f->process, &err) &&
              orm_schema_create_all(f->pool, f->md, f->process, &err);
    if (!ok)
        fprintf(stderr, "schema: %s (%s)\n", err.detail ? err.detail : "?", err.sqlstate);
    return ok ? 0 : -1;
}

static inline int ce_group_teardown(ce_fixture *f)
{
    int rc = 0;
    if (f->pool && f->md) {
        err_report err;
        err_init(&err, f->process);
        if (!orm_schema_drop_all(f->pool, f->md, f->process, &err)) {
            fprintf(stderr, "drop_all: %s\n", err.detail ? err.detail : "?");
            rc = -1;
        }
        /* Every table is gone. */
        eng_conn *c = eng_pool_checkout(f->pool, &err);
        const char *sql =
            arena_sprintf(f->process,
                          "SELECT count(to_regclass(t)) FROM unnest(ARRAY['%sowners', "
                          "'%sthings', '%stags', '%sthing_tags']) t",
                          f->prefix, f->prefix, f->prefix, f->prefix);
        eng_result *r = c ? eng_exec(c, f->process, sql, 0, NULL, &err) : NULL;
        if (!r || strcmp(eng_result_value(r, 0, 0), "0") != 0) {
            fprintf(stderr, "drop_all left tables behind\n");
            rc = -1;
        }
        eng_pool_checkin(f->pool, c);
    }
    eng_pool_destroy(f->pool);
    sql_cache_destroy(f->cache);
    arena_destroy(f->process);
    if (f->cluster.dir[0])
        ts_cluster_destroy(&f->cluster);
    return rc;
}

static inline orm_session *ce_session(arena *a, eng_pool *pool, sql_cache *cache)
{
    orm_session_options o = {.pool = pool, .use_prepared = true, .cache = cache};
    return orm_session_open(a, &o);
}

/* Runs raw SQL (setup only) in the session; asserts success. */
static inline eng_result *ce_sql(orm_session *s, const char *sql)
{
    err_report err;
    err_init(&err, orm_session_arena(s));
    eng_result *r = orm_session_execute(s, sql, 0, NULL, &err);
    ts_assert_ok(&err, sql);
    assert_non_null(r);
    return r;
}

/* Empties the tables (identities restart) and commits. */
static inline void ce_truncate(const ce_fixture *f, arena *a)
{
    orm_session *s = ce_session(a, f->pool, NULL);
    ce_sql(s, arena_sprintf(a, "TRUNCATE %sthing_tags, %sthings, %stags, %sowners RESTART IDENTITY",
                            f->prefix, f->prefix, f->prefix, f->prefix));
    err_report err;
    err_init(&err, a);
    assert_true(orm_session_commit(s, &err));
    orm_session_close(s);
}

/* Runs a Core statement built with b; asserts the builder and the
 * execution succeeded. */
static inline eng_result *ce_run(orm_session *s, sql_builder *b, const void *stmt, err_report *berr)
{
    ts_assert_ok(berr, "build");
    assert_false(sql_builder_failed(b));
    assert_non_null(stmt);
    err_report err;
    err_init(&err, orm_session_arena(s));
    eng_result *r = orm_session_execute_stmt(s, (const sql_node *) stmt, &err);
    ts_assert_ok(&err, "execute");
    assert_non_null(r);
    return r;
}

/* Runs a statement that must fail; returns the report (in the session's
 * arena). */
static inline err_report *ce_run_fails(orm_session *s, const void *stmt)
{
    err_report *err = ARENA_NEW(orm_session_arena(s), err_report);
    err_init(err, orm_session_arena(s));
    assert_null(orm_session_execute_stmt(s, (const sql_node *) stmt, err));
    assert_true(err_is_set(err));
    return err;
}

/* Compares two JSON values; consumes both. */
static inline void ce_json_same_at(json_t *actual, json_t *expected, const char *file, int line)
{
    bool same = actual && expected && json_equal(actual, expected);
    if (!same) {
        char *a = actual ? json_dumps(actual, JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
        char *e = expected ? json_dumps(expected, JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
        print_message("%s:%d: JSON differs\n  actual:   %s\n  expected: %s\n", file, line,
                      a ? a : "(none)", e ? e : "(none)");
        free(a);
        free(e);
    }
    json_decref(expected);
    json_decref(actual);
    if (!same)
        _fail(file, line);
}
#define ce_json_same(actual, expected) ce_json_same_at((actual), (expected), __FILE__, __LINE__)

/* Compares JSON with the expected text (' for "); consumes actual. */
static inline void ce_json_eq_at(json_t *actual, const char *expected_text, const char *file,
                                 int line)
{
    char *text = strdup(expected_text);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t jerr;
    json_t *expected = json_loads(text, JSON_DECODE_ANY, &jerr);
    free(text);
    if (!expected)
        print_message("%s:%d: bad expected JSON: %s\n", file, line, jerr.text);
    ce_json_same_at(actual, expected, file, line);
}
#define ce_json_eq(actual, expected) ce_json_eq_at((actual), (expected), __FILE__, __LINE__)

/* The first cell of the first row, as text copied into a. */
static inline const char *ce_scalar(orm_session *s, const char *sql)
{
    eng_result *r = ce_sql(s, sql);
    assert_true(eng_result_rows(r) >= 1);
    return arena_strdup(orm_session_arena(s), eng_result_value(r, 0, 0));
}

#endif
