/*
 * Schema metadata: builders, lookups, freeze (resolution and checks),
 * constraint names and lookups, types.
 */
#include "core_fixture.h"

#include <string.h>

#define NAMES(...)                                                                                 \
    (const char *const[])                                                                          \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static void test_sample_schema(void **state)
{
    fixture *fx = *state;
    assert_true(fx->md->frozen);
    assert_int_equal(fx->md->n_tables, 7);
    assert_null(sql_metadata_table(fx->md, "nope"));

    const sql_table *o = fx->orders;
    assert_int_equal(o->n_columns, 6);
    const sql_column *uid = fx_col(o, "user_id");
    assert_int_equal(uid->index, 1);
    assert_ptr_equal(uid->table, o);
    assert_false(uid->nullable);
    assert_ptr_equal(uid->references, fx_col(fx->users, "id"));
    assert_true(fx_col(o, "total")->nullable);
    assert_int_equal(fx_col(o, "total")->type.precision, 12);
    assert_int_equal(fx_col(o, "total")->type.scale, 2);
    assert_int_equal(fx_col(o, "status")->n_choices, 4);
    assert_string_equal(fx_col(o, "status")->choices[3], "cancelled");
    assert_string_equal(fx_col(o, "id")->server_default, "gen_random_uuid()");
    assert_true(fx_col(o, "id")->primary_key);
    assert_false(fx_col(o, "id")->nullable);
    assert_null(sql_table_column(o, "nope"));

    assert_int_equal(o->n_primary_key, 1);
    assert_string_equal(o->pk_name, "orders_pkey");
    assert_int_equal(o->n_foreign_keys, 1);
    assert_string_equal(o->foreign_keys[0].name, "orders_user_id_fkey");
    assert_ptr_equal(o->foreign_keys[0].ref_table, fx->users);
    assert_int_equal(o->n_checks, 2);
    assert_string_equal(o->checks[0].name, "orders_status_check");
    assert_ptr_equal(o->checks[0].choices_of, fx_col(o, "status"));
    assert_string_equal(o->checks[1].name, "total_nonnegative");
    assert_int_equal(o->checks[1].n_columns, 1);
    assert_ptr_equal(o->checks[1].columns[0], fx_col(o, "total"));

    const sql_table *bg = fx->book_genres;
    assert_int_equal(bg->n_primary_key, 2);
    assert_string_equal(bg->primary_key[0]->name, "book_id");
    assert_string_equal(bg->primary_key[1]->name, "genre_id");

    assert_true(fx_col(fx->books, "id")->autoincrement);
    assert_true(fx_col(fx->users, "email")->unique);
    assert_string_equal(fx->users->uniques[0].name, "users_email_key");
}

static void test_relations(void **state)
{
    fixture *fx = *state;
    const sql_relation *r = sql_table_relation(fx->users, "orders");
    assert_non_null(r);
    assert_int_equal(r->kind, SQL_REL_TO_MANY);
    assert_ptr_equal(r->table, fx->users);
    assert_ptr_equal(r->target, fx->orders);
    assert_null(r->secondary);
    assert_int_equal(r->n_on, 1);
    assert_ptr_equal(r->on[0].local, fx_col(fx->users, "id"));
    assert_ptr_equal(r->on[0].remote, fx_col(fx->orders, "user_id"));

    r = sql_table_relation(fx->orders, "user");
    assert_int_equal(r->kind, SQL_REL_TO_ONE);
    assert_ptr_equal(r->target, fx->users);

    r = sql_table_relation(fx->books, "genres");
    assert_ptr_equal(r->secondary, fx->book_genres);
    assert_ptr_equal(r->target, fx->genres);
    assert_ptr_equal(r->on[0].remote, fx_col(fx->book_genres, "book_id"));
    assert_int_equal(r->n_secondary_on, 1);
    assert_ptr_equal(r->secondary_on[0].local, fx_col(fx->book_genres, "genre_id"));
    assert_ptr_equal(r->secondary_on[0].remote, fx_col(fx->genres, "id"));
    assert_null(sql_table_relation(fx->books, "nope"));
}

static void test_find_constraint(void **state)
{
    fixture *fx = *state;
    sql_constraint_info ci;
    assert_true(sql_metadata_find_constraint(fx->md, "users", "users_email_key", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_UNIQUE);
    assert_ptr_equal(ci.table, fx->users);
    assert_int_equal(ci.n_columns, 1);
    assert_string_equal(ci.columns[0]->name, "email");

    assert_true(sql_metadata_find_constraint(fx->md, NULL, "orders_user_id_fkey", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_FOREIGN_KEY);
    assert_string_equal(ci.columns[0]->name, "user_id");

    assert_true(sql_metadata_find_constraint(fx->md, "book_genres", "book_genres_pkey", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_PRIMARY_KEY);
    assert_int_equal(ci.n_columns, 2);

    assert_true(sql_metadata_find_constraint(fx->md, NULL, "orders_status_check", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_CHECK);
    assert_true(sql_metadata_find_constraint(fx->md, NULL, "balance_nonnegative", &ci));
    assert_string_equal(ci.columns[0]->name, "balance");

    assert_true(sql_metadata_find_constraint(fx->md, NULL, "accounts_opened_owner_idx", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_UNIQUE);
    assert_true(sql_metadata_find_constraint(fx->md, NULL, "orders_created_at_idx", &ci));
    assert_int_equal(ci.kind, SQL_CONSTRAINT_INDEX);

    assert_false(sql_metadata_find_constraint(fx->md, "orders", "users_email_key", &ci));
    assert_false(sql_metadata_find_constraint(fx->md, NULL, "nope", &ci));
}

/* Generated names follow PostgreSQL's makeObjectName: the longer part is
 * shortened first until the name fits in 63 bytes. */
static void test_long_names(void **state)
{
    fixture *fx = *state;
    char t40[41], c40[41];
    memset(t40, 'a', 40);
    t40[40] = '\0';
    memset(c40, 'b', 40);
    c40[40] = '\0';
    sql_metadata *md = sql_metadata_new(fx->a);
    sql_table *p = sql_table_add(md, "p", &fx->err);
    sql_table_add_column(p, "id", sql_type_of(SQL_TYPE_INTEGER),
                         &(sql_column_opts){.primary_key = true}, &fx->err);
    sql_table *t = sql_table_add(md, t40, &fx->err);
    sql_table_add_column(t, c40, sql_type_of(SQL_TYPE_INTEGER),
                         &(sql_column_opts){.references = "p.id"}, &fx->err);
    assert_true(sql_metadata_freeze(md, &fx->err));
    const char *name = t->foreign_keys[0].name;
    assert_int_equal(strlen(name), 63);
    char want[64];
    memset(want, 'a', 29);
    want[29] = '_';
    memset(want + 30, 'b', 28);
    strcpy(want + 58, "_fkey");
    assert_string_equal(name, want);

    /* A name over 63 bytes is refused rather than truncated by the server. */
    char n64[65];
    memset(n64, 'x', 64);
    n64[64] = '\0';
    assert_null(sql_table_add(sql_metadata_new(fx->a), n64, &fx->err));
    assert_true(fx_err_has(&fx->err, "1 to 63 bytes"));
}

static void test_builder_errors(void **state)
{
    fixture *fx = *state;
    sql_metadata *md = sql_metadata_new(fx->a);
    sql_table *t = sql_table_add(md, "t", &fx->err);
    assert_non_null(t);
    assert_null(sql_table_add(md, "t", &fx->err));
    assert_non_null(sql_table_add_column(t, "id", sql_type_of(SQL_TYPE_INTEGER), NULL, &fx->err));
    assert_null(sql_table_add_column(t, "id", sql_type_of(SQL_TYPE_TEXT), NULL, &fx->err));
    assert_null(sql_table_add_column(t, "s", sql_type_of(SQL_TYPE_TEXT),
                                     &(sql_column_opts){.autoincrement = true}, &fx->err));
    assert_null(sql_table_add_column(t, "n", sql_type_of(SQL_TYPE_INTEGER),
                                     &(sql_column_opts){.choices = NAMES("a"), .n_choices = 1},
                                     &fx->err));
    assert_null(sql_table_add_column(t, "r", sql_type_of(SQL_TYPE_INTEGER),
                                     &(sql_column_opts){.references = "nodot"}, &fx->err));
    assert_null(sql_table_add_column(t, "x", sql_type_numeric(5, 6), NULL, &fx->err));
    assert_null(sql_table_add_column(t, "y", sql_type_of(SQL_TYPE_NONE), NULL, &fx->err));
    assert_null(sql_table_add_column(t, "z", sql_type_string(3),
                                     &(sql_column_opts){.choices = NAMES("long"), .n_choices = 1},
                                     &fx->err));
    assert_null(sql_table_add_column(
        t, "w", sql_type_of(SQL_TYPE_INTEGER),
        &(sql_column_opts){.autoincrement = true, .server_default = "1"}, &fx->err));
    assert_false(sql_table_add_unique(t, NULL, NAMES("id", "id"), 2, &fx->err));
    assert_false(sql_table_add_index(t, NULL, NAMES("nope"), 1, false, &fx->err));
    assert_false(sql_table_set_primary_key(t, NULL, 0, &fx->err));
    assert_false(sql_table_add_check(t, "c", "", &fx->err));
    assert_null(sql_table_add_relation(
        t,
        &(sql_relation_def){
            .name = "id", .target = "t", .on = (sql_name_pair[]){{"id", "id"}}, .n_on = 1},
        &fx->err));
    assert_null(
        sql_table_add_relation(t, &(sql_relation_def){.name = "r", .target = "t"}, &fx->err));
    assert_int_equal(fx->err.kind, ERR_CONFIG);
    assert_int_equal(fx->err.n_items, 15);
    assert_true(fx_err_has(&fx->err, "The table \"t\" is declared twice."));
    assert_true(fx_err_has(&fx->err, "\"t.s\" is autoincrement but not an integer"));
    assert_true(fx_err_has(&fx->err, "has choices but is not a string"));
    assert_true(fx_err_has(&fx->err, "must be \"table.column\""));
    assert_true(fx_err_has(&fx->err, "names the column \"id\" twice"));
    assert_true(fx_err_has(&fx->err, "names the unknown column \"nope\""));
    assert_true(fx_err_has(&fx->err, "The choice \"long\" is longer"));
    assert_true(fx_err_has(&fx->err, "The name \"t.id\" is declared twice."));
}

static void test_freeze_errors(void **state)
{
    fixture *fx = *state;
    sql_metadata *md = sql_metadata_new(fx->a);
    sql_table *p = sql_table_add(md, "p", &fx->err);
    sql_table_add_column(p, "id", sql_type_of(SQL_TYPE_INTEGER),
                         &(sql_column_opts){.primary_key = true}, &fx->err);
    sql_table_add_column(p, "code", sql_type_of(SQL_TYPE_TEXT), NULL, &fx->err);
    sql_table_add_check(p, "p_pkey", "id > 0", &fx->err); /* clashes with the pkey name */
    sql_table *c = sql_table_add(md, "c", &fx->err);
    sql_table_add_column(c, "a", sql_type_of(SQL_TYPE_INTEGER),
                         &(sql_column_opts){.references = "nope.id"}, &fx->err);
    sql_table_add_column(c, "b", sql_type_of(SQL_TYPE_INTEGER),
                         &(sql_column_opts){.references = "p.nope"}, &fx->err);
    sql_table_add_column(c, "d", sql_type_of(SQL_TYPE_UUID),
                         &(sql_column_opts){.references = "p.id"}, &fx->err);
    sql_table_add_column(c, "e", sql_type_of(SQL_TYPE_TEXT),
                         &(sql_column_opts){.references = "p.code"}, &fx->err);
    sql_table_add_relation(
        c,
        &(sql_relation_def){
            .name = "rel", .target = "ghost", .on = (sql_name_pair[]){{"a", "id"}}, .n_on = 1},
        &fx->err);
    sql_table_add_relation(
        c,
        &(sql_relation_def){
            .name = "rel2", .target = "p", .on = (sql_name_pair[]){{"zz", "id"}}, .n_on = 1},
        &fx->err);
    sql_table_add(md, "empty", &fx->err);
    sql_table_add_index(p, "c", NAMES("code"), 1, false, &fx->err); /* index named like a table */
    assert_int_equal(fx->err.n_items, 0);

    assert_false(sql_metadata_freeze(md, &fx->err));
    assert_false(md->frozen);
    assert_int_equal(fx->err.kind, ERR_CONFIG);
    assert_true(fx_err_has(&fx->err, "references the unknown table \"nope\""));
    assert_true(fx_err_has(&fx->err, "references the unknown column \"p.nope\""));
    assert_true(fx_err_has(&fx->err, "\"c.d\" (uuid) cannot reference \"p.id\" (integer)"));
    assert_true(fx_err_has(&fx->err, "must reference the primary key or a unique constraint"));
    assert_true(fx_err_has(&fx->err, "names the unknown table \"ghost\""));
    assert_true(fx_err_has(&fx->err, "joins on the unknown column \"c.zz\""));
    assert_true(fx_err_has(&fx->err, "The table \"empty\" has no columns."));
    assert_true(fx_err_has(&fx->err, "\"p_pkey\" (table \"p\") is used twice"));
    assert_true(fx_err_has(&fx->err, "\"c\" (table \"p\") is used twice"));
    assert_int_equal(fx->err.n_items, 9);
}

static void test_frozen_is_immutable(void **state)
{
    fixture *fx = *state;
    sql_table *t = fx->md->tables[0];
    assert_null(sql_table_add(fx->md, "more", &fx->err));
    assert_null(sql_table_add_column(t, "more", sql_type_of(SQL_TYPE_TEXT), NULL, &fx->err));
    assert_false(sql_table_add_check(t, "more", "true", &fx->err));
    assert_true(fx_err_has(&fx->err, "frozen"));
    assert_true(sql_metadata_freeze(fx->md, &fx->err)); /* idempotent */
}

static void test_types(void **state)
{
    fixture *fx = *state;
    sql_type_kind k;
    const char *names[] = {"integer", "bigint", "float", "numeric",     "string", "text",
                           "boolean", "uuid",   "date",  "timestamptz", "json"};
    for (size_t i = 0; i < 11; i++) {
        assert_true(sql_type_kind_parse(names[i], &k));
        assert_int_equal(k, (sql_type_kind) (i + 1));
        assert_string_equal(sql_type_kind_name(k), names[i]);
    }
    assert_false(sql_type_kind_parse("varchar", &k));
    assert_false(sql_type_kind_parse("none", &k));
    assert_string_equal(sql_type_ddl(fx->a, sql_type_string(0)), "varchar");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_string(12)), "varchar(12)");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_numeric(0, 0)), "numeric");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_numeric(10, 0)), "numeric(10,0)");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_of(SQL_TYPE_FLOAT)), "double precision");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_of(SQL_TYPE_JSON)), "json");
    assert_string_equal(sql_type_ddl(fx->a, sql_type_of(SQL_TYPE_JSONB)), "jsonb");
    sql_type arr = sql_type_string(5);
    arr.array = true;
    assert_string_equal(sql_type_ddl(fx->a, arr), "varchar(5)[]");
    sql_type mood = {.kind = SQL_TYPE_ENUM, .name = "mood", .array = true};
    assert_string_equal(sql_type_ddl(fx->a, mood), "\"mood\"[]");
    assert_string_equal(sql_type_cast(fx->a, mood), "\"mood\"[]");
    sql_type ts = {.kind = SQL_TYPE_TIMESTAMP, .precision = 3};
    assert_string_equal(sql_type_ddl(fx->a, ts), "timestamp(3)");
    assert_null(sql_type_ddl(fx->a, sql_type_of(SQL_TYPE_NONE)));
    assert_string_equal(sql_type_cast_name(SQL_TYPE_STRING), "text");
    assert_string_equal(sql_type_cast_name(SQL_TYPE_TIMESTAMPTZ), "timestamptz");
    assert_null(sql_type_cast_name(SQL_TYPE_NONE));
}

/* A composite foreign key and a relation over two column pairs. */
static void test_composite_keys(void **state)
{
    fixture *fx = *state;
    sql_metadata *md = sql_metadata_new(fx->a);
    sql_table *p = sql_table_add(md, "p", &fx->err);
    sql_table_add_column(p, "a", sql_type_of(SQL_TYPE_INTEGER), NULL, &fx->err);
    sql_table_add_column(p, "b", sql_type_of(SQL_TYPE_BIGINT), NULL, &fx->err);
    assert_true(sql_table_set_primary_key(p, NAMES("b", "a"), 2, &fx->err));
    sql_table *c = sql_table_add(md, "c", &fx->err);
    sql_table_add_column(c, "pa", sql_type_of(SQL_TYPE_BIGINT), NULL, &fx->err);
    sql_table_add_column(c, "pb", sql_type_of(SQL_TYPE_INTEGER), NULL, &fx->err);
    assert_true(
        sql_table_add_foreign_key(c, NULL, NAMES("pa", "pb"), 2, "p", NAMES("a", "b"), &fx->err));
    assert_non_null(sql_table_add_relation(
        c,
        &(sql_relation_def){.name = "parent",
                            .kind = SQL_REL_TO_ONE,
                            .target = "p",
                            .on = (sql_name_pair[]){{"pa", "a"}, {"pb", "b"}},
                            .n_on = 2},
        &fx->err));
    assert_true(sql_metadata_freeze(md, &fx->err));
    assert_string_equal(c->foreign_keys[0].name, "c_pa_pb_fkey");
    assert_ptr_equal(c->foreign_keys[0].ref_columns[1], sql_table_column(p, "b"));
    assert_null(sql_table_column(c, "pa")->references); /* composite: no column-level ref */
    assert_string_equal(p->primary_key[0]->name, "b");

    sql_builder *b = fx->b;
    sql_from *fc = sql_from_table(b, c, NULL), *fp = sql_from_table(b, p, "pp");
    sql_select *s = sql_select_new(b);
    sql_select_from(b, s, fc);
    sql_select_join(b, s, SQL_JOIN_INNER, fp,
                    sql_relation_condition(b, sql_table_relation(c, "parent"), fc, fp));
    fx_assert_compiles(
        fx, SQL_NODE(s),
        "SELECT 1 FROM \"c\" JOIN \"p\" AS \"pp\" ON \"c\".\"pa\" = \"pp\".\"a\" AND "
        "\"c\".\"pb\" = \"pp\".\"b\"",
        NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sample_schema, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_relations, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_find_constraint, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_long_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_builder_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_freeze_errors, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_frozen_is_immutable, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_types, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_composite_keys, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("core_meta", tests, NULL, NULL);
}
