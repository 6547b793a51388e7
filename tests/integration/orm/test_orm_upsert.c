/*
 * test_orm_upsert — INSERT ... ON CONFLICT through the unit of work and
 * Core bulk writes against a real PostgreSQL: inserted vs updated (from
 * one statement), version increments, client defaults that never
 * overwrite a stored value, DO NOTHING returning the existing row, conflict
 * targets checked against the unique constraints, children upserted
 * before their parents, several sessions upserting the same keys at once
 * (one row per key, every increment counted), bulk upserts with their
 * counts, and bulk deletes (condition required, foreign keys enforced).
 */
#include <pthread.h>

#include "orm_fixture.h"

static void must(bool ok, err_report *err, const char *what)
{
    ts_assert_ok(err, what);
    assert_true(ok);
}

static orm_entity *upsert(orm_session *s, const char *model, const char *const *kv,
                          const orm_conflict *c, err_report *err)
{
    const orm_mapper *m = ofx_mapper(model);
    orm_entity *e = orm_entity_new(s, m);
    for (size_t i = 0; kv[i]; i += 2)
        orm_entity_set(e, ofx_col(m, kv[i]), kv[i + 1]);
    must(orm_session_add_upsert(s, e, c, err), err, "add_upsert");
    return e;
}

static void test_upsert_by_key_versions(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, OF.a);
    orm_conflict by_pk = {0};
    orm_session *s = ofx_session();
    orm_entity *a = upsert(s, "Account", (const char *[]){"id", "1", "owner", "ann", NULL}, &by_pk,
                           &err);
    must(orm_session_commit(s, &err), &err, "commit 1");
    assert_int_equal(orm_entity_upsert_outcome(a), ORM_UPSERT_INSERTED);
    assert_string_equal(ofx_val(a, "version"), "1");
    assert_string_equal(ofx_val(a, "balance"), "0.00");
    ofx_sql("UPDATE om_accounts SET balance = 5 WHERE id = 1");

    orm_session *s2 = ofx_session();
    orm_entity *b = upsert(s2, "Account", (const char *[]){"id", "1", "owner", "bob", NULL},
                           &by_pk, &err);
    must(orm_session_commit(s2, &err), &err, "commit 2");
    assert_int_equal(ofx_count(s2), 1); /* one statement tells inserted from updated */
    assert_int_equal(orm_entity_upsert_outcome(b), ORM_UPSERT_UPDATED);
    assert_string_equal(ofx_val(b, "owner"), "bob");
    assert_string_equal(ofx_val(b, "version"), "2");
    /* balance has a client default, but the body did not set it. */
    assert_string_equal(ofx_val(b, "balance"), "5.00");

    /* An explicit update list: only owner changes, even if balance is set. */
    orm_session *s3 = ofx_session();
    size_t owner = ofx_col(ofx_mapper("Account"), "owner");
    orm_conflict only_owner = {.update = &owner, .n_update = 1};
    orm_entity *c = upsert(
        s3, "Account", (const char *[]){"id", "1", "owner", "cy", "balance", "99", NULL},
        &only_owner, &err);
    must(orm_session_commit(s3, &err), &err, "commit 3");
    assert_string_equal(ofx_val(c, "owner"), "cy");
    assert_string_equal(ofx_val(c, "balance"), "5.00");
    assert_string_equal(ofx_val(c, "version"), "3");
}

static void test_upsert_unique_target_and_nothing(void **state)
{
    (void) state;
    const orm_mapper *U = ofx_mapper("User");
    size_t email = ofx_col(U, "email");
    ofx_sql("INSERT INTO om_users (id, email, name, status) VALUES (7, 'k@x.org', 'Kim', 'gone')");
    err_report err;
    err_init(&err, OF.a);
    orm_session *s = ofx_session();
    orm_conflict by_email = {.target = &email, .n_target = 1};
    orm_entity *u = upsert(s, "User", (const char *[]){"email", "k@x.org", "name", "Kay", NULL},
                           &by_email, &err);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(orm_entity_upsert_outcome(u), ORM_UPSERT_UPDATED);
    assert_string_equal(orm_entity_identity(u), "7");
    assert_string_equal(ofx_val(u, "name"), "Kay");
    assert_string_equal(ofx_val(u, "status"), "gone"); /* the default did not overwrite it */

    orm_session *s2 = ofx_session();
    orm_conflict nothing = {.target = &email, .n_target = 1, .do_nothing = true};
    orm_entity *v = upsert(s2, "User", (const char *[]){"email", "k@x.org", "name", "Zed", NULL},
                           &nothing, &err);
    must(orm_session_commit(s2, &err), &err, "commit nothing");
    assert_int_equal(orm_entity_upsert_outcome(v), ORM_UPSERT_KEPT);
    assert_string_equal(ofx_val(v, "name"), "Kay");
    assert_string_equal(orm_entity_identity(v), "7");

    /* A target that no unique constraint covers is refused before SQL. */
    size_t name = ofx_col(U, "name");
    orm_conflict bad = {.target = &name, .n_target = 1};
    err_report e2;
    err_init(&e2, OF.a);
    assert_false(orm_conflict_check(U, &bad, "/on_conflict", &e2));
    assert_int_equal(e2.kind, ERR_BAD_REQUEST);
}

/* The unit of work orders upserts like inserts: parents first. */
static void test_upsert_child_before_parent(void **state)
{
    (void) state;
    err_report err;
    err_init(&err, OF.a);
    orm_session *s = ofx_session();
    orm_conflict by_pk = {0};
    upsert(s, "Order", (const char *[]){"id", "30", "user_id", "3", "total", "1.00", NULL}, &by_pk,
           &err);
    upsert(s, "User", (const char *[]){"id", "3", "email", "c@x.org", NULL}, &by_pk, &err);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_orders WHERE user_id = 3"), 1);
}

enum { RACERS = 4, KEYS = 5, ROUNDS = 10 };

static void *racer(void *arg)
{
    (void) arg;
    arena *a = arena_create(NULL, "racer");
    for (int round = 0; round < ROUNDS; round++) {
        for (int k = 1; k <= KEYS; k++) {
            orm_session_options o = {
                .pool = OF.pool, .use_prepared = true, .cache = OF.cache, .registry = OF.reg,
                .autoflush = true};
            arena *ra = arena_create(a, "round");
            orm_session *s = orm_session_open(ra, &o);
            err_report err;
            err_init(&err, ra);
            const orm_mapper *m = orm_mapper_by_name(OF.reg, "Account");
            orm_entity *e = orm_entity_new(s, m);
            char id[8];
            snprintf(id, sizeof id, "%d", k);
            orm_entity_set(e, (size_t) orm_mapper_column(m, "id"), id);
            orm_entity_set(e, (size_t) orm_mapper_column(m, "owner"), "racer");
            orm_conflict c = {0};
            bool ok = orm_session_add_upsert(s, e, &c, &err) && orm_session_commit(s, &err);
            if (!ok)
                fprintf(stderr, "racer: %s\n", err.detail ? err.detail : err.title);
            arena_destroy(ra);
            if (!ok) {
                arena_destroy(a);
                return (void *) 1;
            }
        }
    }
    arena_destroy(a);
    return NULL;
}

static void test_concurrent_upserts(void **state)
{
    (void) state;
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
    int failed = 0;
    for (int i = 0; i < RACERS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        failed += rc != NULL;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_accounts"), KEYS);
    /* Every upsert after the first of a key bumped its version once. */
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM om_accounts WHERE version = %d",
             RACERS * ROUNDS);
    assert_int_equal(ofx_scalar(sql), KEYS);
}

static void test_bulk_upsert_and_delete(void **state)
{
    (void) state;
    const orm_mapper *U = ofx_mapper("User");
    ofx_sql("INSERT INTO om_users (id, email, name) VALUES (1, 'a@x.org', 'A')");
    err_report err;
    err_init(&err, OF.a);
    orm_session *s = ofx_session();
    size_t cols[] = {ofx_col(U, "id"), ofx_col(U, "email"), ofx_col(U, "name")};
    const char *r0[] = {"1", "a@x.org", "A2"};
    const char *r1[] = {"2", "b@x.org", "B"};
    const char *r2[] = {"3", "c@x.org", NULL};
    const char *const *rows[] = {r0, r1, r2};
    orm_conflict by_pk = {0};
    orm_bulk_result res;
    must(orm_bulk_insert(s, U, cols, 3, rows, NULL, 3, &by_pk, true, &res, &err), &err, "bulk");
    assert_int_equal(res.inserted, 2);
    assert_int_equal(res.updated, 1);
    assert_int_equal(res.n_keys, 3);
    assert_string_equal(res.keys[0][0], "1");
    assert_string_equal(res.keys[2][0], "3");
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users WHERE name = 'A2'"), 1);

    /* Bulk delete: a condition is required. */
    orm_session *s2 = ofx_session();
    sql_builder *b = sql_builder_new(OF.a, &err);
    sql_from *f = sql_from_table(b, U->table, NULL);
    int64_t deleted = -1;
    err_report e2;
    err_init(&e2, OF.a);
    assert_false(orm_bulk_delete(s2, U, f, NULL, &deleted, &e2));
    assert_int_equal(e2.kind, ERR_BAD_REQUEST);
    orm_session_rollback(s2);

    orm_session *s3 = ofx_session();
    sql_node *cond = sql_in(b, sql_col(b, f, "id"),
                            (sql_value[]){sql_val_str("2"), sql_val_str("3")}, 2);
    must(orm_bulk_delete(s3, U, f, cond, &deleted, &err), &err, "delete");
    assert_int_equal(deleted, 2);
    must(orm_session_commit(s3, &err), &err, "commit delete");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users"), 1);

    /* A foreign key that still points at a row: 409, nothing deleted. */
    ofx_sql("INSERT INTO om_orders (id, user_id) VALUES (1, 1)");
    orm_session *s4 = ofx_session();
    sql_node *all_a = sql_binary(b, SQL_OP_LIKE, sql_col(b, f, "email"),
                                 sql_bind(b, sql_val_str("%@x.org")));
    err_report e3;
    err_init(&e3, OF.a);
    assert_false(orm_bulk_delete(s4, U, f, all_a, &deleted, &e3));
    assert_int_equal(e3.kind, ERR_CONFLICT);
    assert_string_equal(e3.sqlstate, "23503");
    orm_session_rollback(s4);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users"), 1);
}

static int group_setup(void **state)
{
    (void) state;
    return ofx_group_setup("orm_upsert");
}

static int group_teardown(void **state)
{
    (void) state;
    return ofx_group_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert_by_key_versions, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_unique_target_and_nothing, ofx_setup,
                                        ofx_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_child_before_parent, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_upserts, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_upsert_and_delete, ofx_setup, ofx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
