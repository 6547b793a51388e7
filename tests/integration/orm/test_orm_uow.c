/*
 * test_orm_uow — the unit of work against a real PostgreSQL: inserts in
 * foreign-key order whatever the order of add, deletes children first,
 * UPDATE of changed columns only (a concurrent change to another column
 * survives), increments, client and server defaults, rollback of instance
 * states, optimistic concurrency with a version column (ERR_STALE, 412),
 * expire_on_commit, commit of a Core-only session, and the session's one
 * ending (orm_session_finish) when COMMIT itself fails.
 */
#include "orm_fixture.h"

static orm_entity *new_entity(orm_session *s, const char *model, const char *const *kv)
{
    const orm_mapper *m = ofx_mapper(model);
    orm_entity *e = orm_entity_new(s, m);
    for (size_t i = 0; kv[i]; i += 2)
        orm_entity_set(e, ofx_col(m, kv[i]), kv[i + 1]);
    err_report err;
    err_init(&err, OF.a);
    assert_true(orm_session_add(s, e, &err));
    ts_assert_ok(&err, "add");
    return e;
}

static void must(bool ok, err_report *err, const char *what)
{
    ts_assert_ok(err, what);
    assert_true(ok);
}

static void test_insert_parents_first(void **state)
{
    (void) state;
    orm_session *s = ofx_session();
    /* Children first, on purpose; keys chosen by the client. */
    orm_entity *item =
        new_entity(s, "Item", (const char *[]){"id", "7", "order_id", "100", "sku", "A-1", NULL});
    orm_entity *order = new_entity(
        s, "Order", (const char *[]){"id", "100", "user_id", "50", "total", "12.5", NULL});
    orm_entity *user =
        new_entity(s, "User", (const char *[]){"id", "50", "email", "p@x.org", NULL});
    err_report err;
    err_init(&err, OF.a);
    must(orm_session_flush(s, &err), &err, "flush");
    assert_int_equal(ofx_count(s), 3);
    assert_int_equal(orm_entity_state(item), ORM_PERSISTENT);
    /* Client defaults were applied, server defaults came back. */
    assert_string_equal(ofx_val(user, "status"), "active");
    assert_string_equal(ofx_val(user, "score"), "0");
    assert_non_null(ofx_val(user, "created_at"));
    assert_string_equal(ofx_val(item, "qty"), "1");
    assert_string_equal(ofx_val(order, "total"), "12.50"); /* as PostgreSQL returns it */
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_items WHERE order_id = 100"), 1);

    /* Server-generated keys: RETURNING fills them. */
    orm_session *s2 = ofx_session();
    orm_entity *u2 = new_entity(s2, "User", (const char *[]){"email", "gen@x.org", NULL});
    must(orm_session_commit(s2, &err), &err, "commit 2");
    assert_string_equal(orm_entity_identity(u2), "1");
}

static void test_delete_children_first(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (id, email) VALUES (1, 'a@x.org');"
            "INSERT INTO om_orders (id, user_id) VALUES (10, 1), (11, 1);"
            "INSERT INTO om_items (order_id, sku) VALUES (10, 'a'), (10, 'b'), (11, 'c');"
            "INSERT INTO om_tags (id, label) VALUES (1, 't');"
            "INSERT INTO om_order_tags VALUES (10, 1)");
    const orm_mapper *U = ofx_mapper("User");
    const orm_mapper *O = ofx_mapper("Order");
    const orm_mapper *OT = ofx_mapper("OrderTag");
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    /* Load first (a query autoflushes), then delete parents first, on
     * purpose. */
    orm_entity *user = ofx_get(s, U, "1");
    size_t n;
    orm_entity **orders = ofx_run(s, O, "{\"options\": [{\"selectinload\": \"items\"}]}", &n);
    assert_int_equal(n, 2);
    orm_entity *link = NULL;
    must(orm_session_get(s, OT, (const char *[]){"10", "1"}, NULL, &link, &err), &err, "get link");
    must(orm_session_delete(s, user, &err), &err, "delete user");
    for (size_t i = 0; i < n; i++) {
        must(orm_session_delete(s, orders[i], &err), &err, "delete order");
        orm_entity *const *items;
        size_t ni;
        orm_entity_related(orders[i], ofx_rel(O, "items"), &items, &ni);
        for (size_t k = 0; k < ni; k++)
            must(orm_session_delete(s, items[k], &err), &err, "delete item");
    }
    must(orm_session_delete(s, link, &err), &err, "delete link");
    uint64_t before = ofx_count(s);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_count(s) - before, 1 + 2 + 3 + 1);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users"), 0);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_items"), 0);
    assert_int_equal(orm_entity_state(orders[0]), ORM_DETACHED);
}

static void test_update_changed_columns_only(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (email, name, score) VALUES ('a@x.org', 'A', 1)");
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    orm_entity *e = ofx_get(s, U, "1");
    /* Setting a value to what it is changes nothing. */
    orm_entity_set(e, ofx_col(U, "name"), "A");
    assert_false(orm_entity_is_modified(e));
    err_report err;
    err_init(&err, OF.a);
    must(orm_session_flush(s, &err), &err, "flush");
    assert_int_equal(ofx_count(s), 1);
    /* Set and set back: not modified either. */
    orm_entity_set(e, ofx_col(U, "name"), "B");
    assert_true(orm_entity_is_modified(e));
    orm_entity_set(e, ofx_col(U, "name"), "A");
    assert_false(orm_entity_is_modified(e));

    /* Another transaction changes score; this one changes name only. */
    orm_session *other = ofx_session();
    orm_entity *o = ofx_get(other, U, "1");
    orm_entity_set(o, ofx_col(U, "score"), "99");
    must(orm_session_commit(other, &err), &err, "commit other");

    orm_entity_set(e, ofx_col(U, "name"), "renamed");
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_count(s), 2);
    arena *a = OF.a;
    assert_string_equal(ofx_text(a, "SELECT name FROM om_users WHERE id = 1"), "renamed");
    assert_int_equal(ofx_scalar("SELECT score FROM om_users WHERE id = 1"), 99);
    /* RETURNING brought the whole row back. */
    assert_string_equal(ofx_val(e, "score"), "99");
    assert_false(orm_entity_is_modified(e));
    /* NULL is a value like any other. */
    orm_entity_set(e, ofx_col(U, "name"), NULL);
    must(orm_session_commit(s, &err), &err, "commit null");
    assert_null(ofx_text(a, "SELECT name FROM om_users WHERE id = 1"));
}

static void test_add_to_and_version(void **state)
{
    (void) state;
    const orm_mapper *A = ofx_mapper("Account");
    orm_session *s = ofx_session();
    orm_entity *acc = new_entity(s, "Account", (const char *[]){"owner", "ann", NULL});
    err_report err;
    err_init(&err, OF.a);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_string_equal(ofx_val(acc, "version"), "1");
    assert_string_equal(ofx_val(acc, "balance"), "0.00");

    orm_entity_add_to(acc, ofx_col(A, "balance"), "10.25");
    orm_entity_add_to(acc, ofx_col(A, "balance"), "-0.25");
    assert_true(orm_entity_is_modified(acc));
    assert_string_equal(ofx_val(acc, "balance"), "0.00"); /* until flushed */
    must(orm_session_commit(s, &err), &err, "commit add");
    assert_string_equal(ofx_val(acc, "balance"), "10.00");
    assert_string_equal(ofx_val(acc, "version"), "2");
    assert_int_equal(ofx_scalar("SELECT version FROM om_accounts"), 2);
}

static void test_stale_version(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_accounts (owner, balance, version) VALUES ('ann', 5, 1)");
    const orm_mapper *A = ofx_mapper("Account");
    orm_session *s1 = ofx_session();
    orm_session *s2 = ofx_session();
    orm_entity *a1 = ofx_get(s1, A, "1");
    orm_entity *a2 = ofx_get(s2, A, "1");
    err_report err;
    err_init(&err, OF.a);
    /* s1 has only read so far: commit to let s2's update through. */
    must(orm_session_commit(s1, &err), &err, "commit s1 read");
    orm_entity_set(a2, ofx_col(A, "owner"), "bob");
    must(orm_session_commit(s2, &err), &err, "commit s2");
    assert_string_equal(ofx_val(a2, "version"), "2");

    /* The If-Match check of the HTTP layer: the loaded version. */
    assert_string_equal(orm_entity_get(a1, (size_t) A->version), "1");
    orm_entity_require_version(a1);
    orm_entity_set(a1, ofx_col(A, "owner"), "carl");
    assert_false(orm_session_commit(s1, &err));
    assert_int_equal(err.kind, ERR_STALE);
    assert_int_equal(err.status, 412);
    orm_session_rollback(s1);
    assert_string_equal(ofx_text(OF.a, "SELECT owner FROM om_accounts"), "bob");

    /* After the rollback the instance is expired; get reloads it. */
    assert_true(orm_entity_is_expired(a1));
    orm_entity *again = ofx_get(s1, A, "1");
    assert_ptr_equal(again, a1);
    assert_string_equal(ofx_val(a1, "version"), "2");
    orm_entity_set(a1, ofx_col(A, "owner"), "carl");
    err_init(&err, OF.a);
    must(orm_session_commit(s1, &err), &err, "commit after refresh");
    assert_string_equal(ofx_val(a1, "version"), "3");

    /* A stale delete too. */
    ofx_sql("UPDATE om_accounts SET version = version + 1");
    orm_entity_require_version(a1);
    assert_true(orm_session_delete(s1, a1, &err));
    assert_false(orm_session_flush(s1, &err));
    assert_int_equal(err.kind, ERR_STALE);
    orm_session_rollback(s1);
    assert_int_equal(orm_entity_state(a1), ORM_PERSISTENT);
}

/* Without orm_entity_require_version a write is unconditional: a
 * concurrent change does not fail it, and the version still moves on. */
static void test_unconditional_write_ignores_version(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_accounts (owner, balance, version) VALUES ('uma', 5, 1)");
    const orm_mapper *A = ofx_mapper("Account");
    const char *id = ofx_text(OF.a, "SELECT id FROM om_accounts WHERE owner = 'uma'");
    orm_session *s = ofx_session();
    orm_entity *a = ofx_get(s, A, id);
    ofx_sql("UPDATE om_accounts SET version = version + 5 WHERE owner = 'uma'");
    orm_entity_add_to(a, ofx_col(A, "balance"), "2.50");
    err_report err;
    err_init(&err, OF.a);
    must(orm_session_commit(s, &err), &err, "unconditional $add");
    assert_string_equal(ofx_text(OF.a, "SELECT balance || '|' || version FROM om_accounts WHERE "
                                       "owner = 'uma'"),
                        "7.50|7");
}

static void test_rollback_states(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (email, name) VALUES ('a@x.org', 'A'), ('b@x.org', 'B')");
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    err_report err;
    err_init(&err, OF.a);
    orm_entity *flushed = new_entity(s, "User", (const char *[]){"email", "new@x.org", NULL});
    must(orm_session_flush(s, &err), &err, "flush");
    assert_string_equal(orm_entity_identity(flushed), "3");
    orm_entity *pending = new_entity(s, "User", (const char *[]){"email", "p@x.org", NULL});
    orm_entity *a = ofx_get(s, U, "1");
    orm_entity *b = ofx_get(s, U, "2");
    orm_entity_set(a, ofx_col(U, "name"), "changed");
    must(orm_session_delete(s, b, &err), &err, "delete");
    must(orm_session_flush(s, &err), &err, "flush 2");
    assert_null(ofx_get(s, U, "2")); /* deleted: not found */

    orm_session_rollback(s);
    /* Inserted and pending: transient, no key; what the caller set stays. */
    assert_int_equal(orm_entity_state(flushed), ORM_TRANSIENT);
    assert_int_equal(orm_entity_state(pending), ORM_TRANSIENT);
    assert_null(orm_entity_identity(flushed));
    assert_null(orm_entity_key(flushed));
    assert_null(ofx_val(flushed, "id"));
    assert_null(ofx_val(flushed, "created_at"));
    assert_string_equal(ofx_val(flushed, "email"), "new@x.org");
    /* Deleted: persistent again, in the identity map. */
    assert_int_equal(orm_entity_state(b), ORM_PERSISTENT);
    uint64_t n = ofx_count(s);
    assert_ptr_equal(ofx_get(s, U, "2"), b);
    assert_int_equal(ofx_count(s), n);
    /* Modified: expired; the next get reloads what the database holds. */
    assert_true(orm_entity_is_expired(a));
    assert_null(ofx_val(a, "name"));
    assert_ptr_equal(ofx_get(s, U, "1"), a);
    assert_int_equal(ofx_count(s), n + 1);
    assert_string_equal(ofx_val(a, "name"), "A");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users"), 2);

    /* The transient instance can be added again. */
    must(orm_session_add(s, flushed, &err), &err, "re-add");
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_users WHERE email = 'new@x.org'"), 1);
}

static void test_failed_flush_then_rollback(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (email) VALUES ('dup@x.org')");
    orm_session *s = ofx_session();
    orm_entity *e = new_entity(s, "User", (const char *[]){"email", "dup@x.org", NULL});
    err_report err;
    err_init(&err, OF.a);
    assert_false(orm_session_commit(s, &err));
    assert_int_equal(err.status, 409);
    assert_string_equal(err.sqlstate, "23505");
    orm_session_rollback(s);
    assert_int_equal(orm_entity_state(e), ORM_TRANSIENT);
    /* The session is usable again. */
    err_init(&err, OF.a);
    orm_entity_set(e, ofx_col(ofx_mapper("User"), "email"), "other@x.org");
    must(orm_session_add(s, e, &err), &err, "add");
    must(orm_session_commit(s, &err), &err, "commit");
    assert_string_equal(orm_entity_identity(e), "3"); /* the identity sequence moved on */
}

static void test_expire_on_commit(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (email, name) VALUES ('a@x.org', 'A')");
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session_opts(OF.a, true, true);
    orm_entity *e = ofx_get(s, U, "1");
    orm_entity_set(e, ofx_col(U, "name"), "B");
    err_report err;
    err_init(&err, OF.a);
    must(orm_session_commit(s, &err), &err, "commit");
    assert_true(orm_entity_is_expired(e));
    assert_false(orm_entity_is_loaded(e, ofx_col(U, "name")));
    assert_string_equal(ofx_val(e, "id"), "1"); /* the key stays */
    ofx_sql("UPDATE om_users SET name = 'C'");
    uint64_t n = ofx_count(s);
    must(orm_session_refresh(s, e, &err), &err, "refresh");
    assert_int_equal(ofx_count(s), n + 1);
    assert_string_equal(ofx_val(e, "name"), "C");
    assert_false(orm_entity_is_expired(e));
    /* A query fills an expired instance too. */
    must(orm_session_commit(s, &err), &err, "commit 2");
    assert_true(orm_entity_is_expired(e));
    size_t cnt;
    orm_entity **all = ofx_run(s, U, "{}", &cnt);
    assert_ptr_equal(all[0], e);
    assert_string_equal(ofx_val(e, "name"), "C");
    /* A vanished row: refresh says so. */
    must(orm_session_commit(s, &err), &err, "commit 3");
    ofx_sql("DELETE FROM om_users");
    assert_false(orm_session_refresh(s, e, &err));
    assert_int_equal(err.kind, ERR_NOT_FOUND);
    assert_int_equal(orm_entity_state(e), ORM_DETACHED);
}

static void test_core_only_session(void **state)
{
    (void) state;
    orm_session_options o = {.pool = OF.pool, .autoflush = true};
    orm_session *s = orm_session_open(OF.a, &o);
    err_report err;
    err_init(&err, OF.a);
    assert_non_null(
        orm_session_execute(s, "INSERT INTO om_tags (id, label) VALUES (1, 'x')", 0, NULL, &err));
    must(orm_session_commit(s, &err), &err, "commit");
    assert_int_equal(ofx_count(s), 1);
    assert_false(orm_session_in_transaction(s));
    must(orm_session_commit(s, &err), &err, "commit nothing");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_tags"), 1);
    orm_session_close(s);
}

/* orm_session_finish is every request's ending: a COMMIT that fails (a
 * deferred constraint checked only then) reports the error, leaves no
 * transaction and returns the connection; finishing without commit rolls
 * back; a session already closed only echoes the caller's verdict. */
static void test_finish(void **state)
{
    (void) state;
    ofx_sql("CREATE TABLE om_deferred (id int PRIMARY KEY, user_id int REFERENCES om_users (id) "
            "DEFERRABLE INITIALLY DEFERRED)");
    eng_pool_status before;
    eng_pool_get_status(OF.pool, &before);
    orm_session_options o = {.pool = OF.pool, .autoflush = true};
    orm_session *s = orm_session_open(OF.a, &o);
    err_report err;
    err_init(&err, OF.a);
    assert_non_null(orm_session_execute(s, "INSERT INTO om_deferred VALUES (1, 999)", 0, NULL, &err));
    assert_false(orm_session_finish(s, true, &err));
    assert_string_equal(err.sqlstate, "23503");
    eng_pool_status after;
    eng_pool_get_status(OF.pool, &after);
    assert_int_equal(after.checked_out, before.checked_out);
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_deferred"), 0);
    assert_false(orm_session_finish(s, false, &err)); /* closed: the verdict stands */
    assert_true(orm_session_finish(s, true, &err));

    orm_session *s2 = orm_session_open(OF.a, &o);
    err_init(&err, OF.a);
    assert_non_null(orm_session_execute(s2, "INSERT INTO om_tags (id, label) VALUES (1, 'x')", 0,
                                        NULL, &err));
    assert_false(orm_session_finish(s2, false, &err));
    ts_assert_ok(&err, "finish without commit");
    assert_int_equal(ofx_scalar("SELECT count(*) FROM om_tags"), 0);
    ofx_sql("DROP TABLE om_deferred");
}

static void test_close_keeps_values(void **state)
{
    (void) state;
    ofx_sql("INSERT INTO om_users (email, name) VALUES ('a@x.org', 'A')");
    const orm_mapper *U = ofx_mapper("User");
    orm_session *s = ofx_session();
    orm_entity *e = ofx_get(s, U, "1");
    orm_session_close(s);
    assert_int_equal(orm_entity_state(e), ORM_DETACHED);
    assert_string_equal(ofx_val(e, "name"), "A");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_parents_first, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_delete_children_first, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_update_changed_columns_only, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_add_to_and_version, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_stale_version, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_unconditional_write_ignores_version, ofx_setup,
                                        ofx_teardown),
        cmocka_unit_test_setup_teardown(test_rollback_states, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_failed_flush_then_rollback, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_expire_on_commit, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_core_only_session, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_close_keeps_values, ofx_setup, ofx_teardown),
        cmocka_unit_test_setup_teardown(test_finish, ofx_setup, ofx_teardown),
    };
    if (ofx_group_setup("orm_uow") != 0)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ofx_group_teardown();
    return rc;
}
