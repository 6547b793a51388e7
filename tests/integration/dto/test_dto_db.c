/*
 * test_dto_db — DTOs against a real PostgreSQL: bodies validated into
 * entities that the unit of work inserts and updates, then serialised from
 * what the server returned (RETURNING, SELECT): numeric digits kept,
 * booleans from 't'/'f', timestamptz as RFC 3339, json parsed, uuid
 * strings, write_only columns never out; relationships loaded by a plan
 * (selectinload) nested in the DTO; bulk rows from dto_row_values inserted
 * through Core with DEFAULT where the server must fill a column; $add.
 *
 * The database is RETORT_TEST_DATABASE_URL when set, otherwise a private
 * throw-away cluster. Tables carry the prefix "dx_" so this program may
 * share a database with others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg.h"
#include "dto.h"
#include "sql.h"
#include "eng.h"
#include "orm.h"
#include "query.h"
#include "testsupport.h"

static const char MODELS[] =
    "{'models': {"
    " 'DxUser': {'table': 'dx_users',"
    "  'columns': {"
    "   'id': {'type': 'uuid', 'primary_key': true, 'server_default': 'gen_random_uuid()'},"
    "   'email': {'type': 'string', 'length': 100, 'nullable': false, 'unique': true},"
    "   'password': {'type': 'string', 'write_only': true},"
    "   'created_at': {'type': 'timestamptz', 'nullable': false, 'server_default': 'now()',"
    "                  'read_only': true}},"
    "  'relationships': {"
    "   'orders': {'target': 'DxOrder', 'kind': 'one_to_many', 'foreign_key': 'user_id',"
    "              'back_populates': 'user', 'order_by': 'id'}}},"
    " 'DxOrder': {'table': 'dx_orders', 'version_column': 'version',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'user_id': {'type': 'uuid', 'nullable': false, 'references': 'dx_users.id'},"
    "   'total': {'type': 'numeric', 'precision': 12, 'scale': 2, 'nullable': false},"
    "   'status': {'type': 'string', 'length': 20, 'nullable': false, 'default': 'pending',"
    "              'choices': ['pending', 'paid']},"
    "   'paid': {'type': 'boolean', 'nullable': false, 'server_default': 'false'},"
    "   'placed': {'type': 'date'},"
    "   'at': {'type': 'timestamptz'},"
    "   'ratio': {'type': 'float'},"
    "   'big': {'type': 'bigint'},"
    "   'meta': {'type': 'json'},"
    "   'version': {'type': 'integer', 'nullable': false, 'default': 1}},"
    "  'relationships': {"
    "   'user': {'target': 'DxUser', 'kind': 'many_to_one', 'foreign_key': 'user_id',"
    "            'back_populates': 'orders'}}}"
    "}}";

typedef struct fixture {
    ts_cluster cluster;
    char url[512];
    arena *process;
    cfg_config *cfg;
    orm_registry *reg;
    const orm_mapper *users, *orders;
    eng_pool *pool;
    arena *a; /* per test */
} fixture;

static fixture F;

/* ---- helpers ------------------------------------------------------------------ */

static orm_session *session(arena *a)
{
    orm_session_options o = {.pool = F.pool, .registry = F.reg, .autoflush = true};
    orm_session *s = orm_session_open(a, &o);
    err_report err;
    err_init(&err, a);
    /* Timestamps come back in UTC, so expected DTOs can say "Z". */
    assert_non_null(orm_session_execute(s, "SET TIME ZONE 'UTC'", 0, NULL, &err));
    ts_assert_ok(&err, "SET TIME ZONE");
    return s;
}

static void commit(orm_session *s)
{
    err_report err;
    err_init(&err, orm_session_arena(s));
    bool ok = orm_session_commit(s, &err);
    ts_assert_ok(&err, "commit");
    assert_true(ok);
}

/* A plan from a query document's options (single-quoted JSON). */
static const orm_load_plan *plan(orm_session *s, const orm_mapper *m, const char *doc_sq)
{
    arena *a = orm_session_arena(s);
    err_report err;
    err_init(&err, a);
    sql_builder *b = sql_builder_new(a, &err);
    sql_from *from = sql_from_table(b, m->table, NULL);
    query_doc *q = ARENA_NEW(a, query_doc);
    bool ok = query_parse(b, from, ts_json(a, doc_sq), NULL, q, &err);
    ts_assert_ok(&err, "parse query");
    assert_true(ok);
    const orm_load_plan *p = orm_load_plan_build(s, m, &q->load, &err);
    ts_assert_ok(&err, "plan");
    assert_non_null(p);
    return p;
}

/* Creates a user through a body; returns it flushed (key and server
 * defaults returned). */
static orm_entity *create(orm_session *s, const orm_mapper *m, const char *body_sq)
{
    arena *a = orm_session_arena(s);
    err_report err;
    err_init(&err, a);
    orm_entity *e = orm_entity_new(s, m);
    bool ok = dto_apply_input(m, ts_json(a, body_sq), DTO_CREATE, "", 0, e, &err) &&
              orm_session_add(s, e, &err) && orm_session_flush(s, &err);
    ts_assert_ok(&err, "create");
    assert_true(ok);
    return e;
}

static const char *text_of(const orm_entity *e, const char *col)
{
    int i = orm_mapper_column(orm_entity_mapper(e), col);
    assert_true(i >= 0);
    return orm_entity_get(e, (size_t) i);
}

/* ---- setup --------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void) state;
    if (!ts_database_or_cluster(&F.cluster, F.url, sizeof F.url))
        return -1;
    F.process = arena_create(NULL, "test_dto_db process");
    err_report err;
    err_init(&err, F.process);
    char *const noenv[] = {NULL};
    F.cfg = cfg_load_string(F.process, ts_dquote(F.process, MODELS), "dto-db-test", noenv, &err);
    F.reg = F.cfg ? orm_registry_create(F.process, F.cfg, &err) : NULL;
    if (!F.reg) {
        fprintf(stderr, "models refused: %s\n",
                err.n_items  ? err.items[0].detail
                : err.detail ? err.detail
                             : "?");
        return -1;
    }
    F.users = orm_mapper_by_name(F.reg, "DxUser");
    F.orders = orm_mapper_by_name(F.reg, "DxOrder");
    eng_pool_options o;
    eng_pool_options_init(&o);
    o.conninfo = F.url;
    o.pool_size = 2;
    o.max_overflow = 0;
    o.pool_timeout = 5;
    o.connect_timeout = 5;
    o.application_name = "retort-dto-test";
    F.pool = eng_pool_create(&o, &err);
    if (!F.pool)
        return -1;
    const sql_metadata *md = orm_registry_metadata(F.reg);
    bool ok = orm_schema_drop_all(F.pool, md, F.process, &err) &&
              orm_schema_create_all(F.pool, md, F.process, &err);
    if (!ok)
        fprintf(stderr, "schema: %s (%s)\n", err.detail ? err.detail : "?", err.sqlstate);
    return ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void) state;
    if (F.pool && F.reg) {
        err_report err;
        err_init(&err, F.process);
        orm_schema_drop_all(F.pool, orm_registry_metadata(F.reg), F.process, &err);
    }
    eng_pool_destroy(F.pool);
    arena_destroy(F.process);
    if (F.cluster.dir[0])
        ts_cluster_destroy(&F.cluster);
    return 0;
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_dto_db request");
    orm_session *s = session(F.a);
    err_report err;
    err_init(&err, F.a);
    assert_non_null(
        orm_session_execute(s, "TRUNCATE dx_orders, dx_users RESTART IDENTITY", 0, NULL, &err));
    ts_assert_ok(&err, "truncate");
    commit(s);
    orm_session_close(s);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    arena_destroy(F.a);
    F.a = NULL;
    return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

static void created_dto_from_returned_row(void **state)
{
    (void) state;
    orm_session *s = session(F.a);
    orm_entity *u = create(s, F.users, "{'email': 'a@example.com', 'password': 'hash'}");
    const char *uid = text_of(u, "id");
    assert_non_null(uid);
    assert_int_equal(strlen(uid), 36);
    orm_entity *o = create(s, F.orders,
                           arena_sprintf(F.a,
                                         "{'user_id': '%s', 'total': '10.50', 'placed': "
                                         "'2026-02-28', 'at': '2026-01-02T03:04:05.25+01:00',"
                                         " 'ratio': 0.5, 'big': 9007199254740993,"
                                         " 'meta': {'tags': ['x'], 'n': 1.5}}",
                                         uid));
    commit(s);
    /* What RETURNING gave back: the server's forms of every type. */
    ts_assert_json(F.a, dto_entity(o, NULL, NULL, 0),
                   arena_sprintf(F.a,
                                 "{'id': 1, 'user_id': '%s', 'total': '10.50', 'status': 'pending',"
                                 " 'paid': false, 'placed': '2026-02-28',"
                                 " 'at': '2026-01-02T02:04:05.25Z', 'ratio': 0.5,"
                                 " 'big': 9007199254740993, 'meta': {'n': 1.5, 'tags': ['x']},"
                                 " 'version': 1}",
                                 uid));
    json_t *udto = dto_entity(u, NULL, NULL, 0);
    assert_null(json_object_get(udto, "password"));
    const char *created = json_string_value(json_object_get(udto, "created_at"));
    assert_non_null(created);
    assert_int_equal(created[10], 'T');
    assert_int_equal(created[strlen(created) - 1], 'Z');
    json_decref(udto);
}

static void nested_by_plan(void **state)
{
    (void) state;
    orm_session *s = session(F.a);
    orm_entity *u = create(s, F.users, "{'email': 'b@example.com'}");
    const char *uid = arena_strdup(F.a, text_of(u, "id"));
    create(s, F.orders, arena_sprintf(F.a, "{'user_id': '%s', 'total': 1}", uid));
    create(s, F.orders, arena_sprintf(F.a, "{'user_id': '%s', 'total': '2.5'}", uid));
    commit(s);
    orm_session_close(s);

    /* A fresh session: everything comes from SELECTs. */
    arena *a = arena_create(F.a, "second request");
    s = session(a);
    err_report err;
    err_init(&err, a);
    const orm_load_plan *p = plan(s, F.users, "{'options': [{'selectinload': 'orders'}]}");
    orm_entity *got = NULL;
    const char *pk[] = {uid};
    bool ok = orm_session_get(s, F.users, pk, p, &got, &err);
    ts_assert_ok(&err, "get");
    assert_true(ok);
    assert_non_null(got);
    const char *fields[] = {"email", "orders"};
    ts_assert_json(a, dto_entity(got, p, fields, 2),
                   arena_sprintf(a,
                                 "{'email': 'b@example.com', 'orders': ["
                                 "{'id': 1, 'user_id': '%s', 'total': '1.00', 'status': 'pending',"
                                 " 'paid': false, 'placed': null, 'at': null, 'ratio': null,"
                                 " 'big': null, 'meta': null, 'version': 1},"
                                 "{'id': 2, 'user_id': '%s', 'total': '2.50', 'status': 'pending',"
                                 " 'paid': false, 'placed': null, 'at': null, 'ratio': null,"
                                 " 'big': null, 'meta': null, 'version': 1}]}",
                                 uid, uid));
    /* Without the option the relationship (lazy raise) is not in the DTO. */
    const orm_load_plan *none = plan(s, F.users, "{}");
    json_t *plain = dto_entity(got, none, NULL, 0);
    assert_null(json_object_get(plain, "orders"));
    json_decref(plain);
    orm_session_close(s);
}

static void update_with_add(void **state)
{
    (void) state;
    orm_session *s = session(F.a);
    orm_entity *u = create(s, F.users, "{'email': 'c@example.com'}");
    orm_entity *o = create(
        s, F.orders, arena_sprintf(F.a, "{'user_id': '%s', 'total': '10.00'}", text_of(u, "id")));
    commit(s);
    err_report err;
    err_init(&err, F.a);
    bool ok = dto_apply_input(F.orders,
                              ts_json(F.a, "{'total': {'$add': '-2.25'}, 'status': 'paid',"
                                           " 'paid': true}"),
                              DTO_UPDATE, "/operations/0/values", DTO_ALLOW_ADD, o, &err) &&
              orm_session_flush(s, &err);
    ts_assert_ok(&err, "update");
    assert_true(ok);
    commit(s);
    orm_session_close(s);

    arena *a = arena_create(F.a, "check");
    s = session(a);
    err_init(&err, a);
    orm_entity *again = NULL;
    const char *pk[] = {"1"};
    assert_true(orm_session_get(s, F.orders, pk, NULL, &again, &err));
    ts_assert_ok(&err, "get");
    const char *fields[] = {"total", "status", "paid", "version"};
    ts_assert_json(a, dto_entity(again, NULL, fields, 4),
                   "{'total': '7.75', 'status': 'paid', 'paid': true, 'version': 2}");
    orm_session_close(s);
}

static void bulk_rows_with_defaults(void **state)
{
    (void) state;
    orm_session *s = session(F.a);
    orm_entity *u = create(s, F.users, "{'email': 'd@example.com'}");
    const char *uid = arena_strdup(F.a, text_of(u, "id"));
    json_t *rows =
        ts_json(F.a, arena_sprintf(F.a,
                                   "[{'user_id': '%s', 'total': 1, 'paid': true},"
                                   " {'user_id': '%s', 'total': '2.00', 'status': 'paid'}]",
                                   uid, uid));
    /* The union of the keys, plus version (client default). */
    const char *names[] = {"user_id", "total", "paid", "status", "version"};
    size_t cols[5];
    const sql_column *ccols[5];
    for (size_t i = 0; i < 5; i++) {
        cols[i] = (size_t) orm_mapper_column(F.orders, names[i]);
        ccols[i] = F.orders->columns[cols[i]];
    }
    err_report err;
    err_init(&err, F.a);
    sql_builder *b = sql_builder_new(F.a, &err);
    sql_insert *ins = sql_insert_new(b, sql_from_table(b, F.orders->table, NULL), ccols, 5);
    for (size_t r = 0; r < json_array_size(rows); r++) {
        const char **values;
        bool *is_default;
        bool ok = dto_row_values(F.orders, json_array_get(rows, r), arena_sprintf(F.a, "/%zu", r),
                                 cols, 5, F.a, &values, &is_default, &err);
        ts_assert_ok(&err, "row");
        assert_true(ok);
        sql_node *cells[5];
        for (size_t i = 0; i < 5; i++)
            cells[i] =
                is_default[i] ? sql_lit(b, SQL_LIT_DEFAULT) : sql_bind(b, sql_val_str(values[i]));
        assert_true(sql_insert_row(b, ins, cells));
    }
    eng_result *res = orm_session_execute_stmt(s, (const sql_node *) ins, &err);
    ts_assert_ok(&err, "insert");
    assert_non_null(res);
    commit(s);
    orm_session_close(s);

    arena *a = arena_create(F.a, "check");
    s = session(a);
    err_init(&err, a);
    eng_result *r = orm_session_execute(
        s, "SELECT total, paid, status, version FROM dx_orders ORDER BY id", 0, NULL, &err);
    ts_assert_ok(&err, "select");
    ts_assert_json(a, dto_rows(r),
                   "[{'total': '1.00', 'paid': true, 'status': 'pending', 'version': 1},"
                   " {'total': '2.00', 'paid': false, 'status': 'paid', 'version': 1}]");
    orm_session_close(s);
}

static void bulk_row_problems(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, F.a);
    size_t cols[] = {(size_t) orm_mapper_column(F.orders, "total")};
    const char **values;
    bool *is_default;
    assert_false(dto_row_values(F.orders, ts_json(F.a, "{'total': 'x', 'nope': 1}"), "/3", cols, 1,
                                F.a, &values, &is_default, &err));
    assert_null(values);
    assert_int_equal(err.status, 422);
    assert_int_equal(err.n_items, 3); /* total, nope, user_id required */
    bool seen_total = false, seen_nope = false, seen_user = false;
    for (size_t i = 0; i < err.n_items; i++) {
        seen_total |= strcmp(err.items[i].pointer, "/3/total") == 0;
        seen_nope |= strcmp(err.items[i].pointer, "/3/nope") == 0;
        seen_user |= strcmp(err.items[i].pointer, "/3/user_id") == 0;
    }
    assert_true(seen_total && seen_nope && seen_user);
    err_clear(&err);
    assert_false(dto_row_values(F.orders, ts_json(F.a, "[1]"), "/4", cols, 1, F.a, &values,
                                &is_default, &err));
    assert_int_equal(err.n_items, 1);
    assert_string_equal(err.items[0].pointer, "/4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(created_dto_from_returned_row), T(nested_by_plan),    T(update_with_add),
        T(bulk_rows_with_defaults),       T(bulk_row_problems),
#undef T
    };
    return cmocka_run_group_tests_name("dto_db", tests, group_setup, group_teardown);
}
