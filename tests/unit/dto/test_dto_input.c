/*
 * test_dto_input — create and update bodies (src/dto/dto_input.c,
 * dto_fields.c, dto_check.c): every column type and option, every kind of
 * bad value with its exact pointer, all problems of a body at once, the
 * entity untouched unless the whole body is valid, $add only with its
 * flag, and pointer prefixes. No database: entities are transient.
 */
#include "dto_fixture.h"

/* Applies body to a new Item; the entity is returned through *out. */
static bool apply(df_fixture *f, const orm_mapper *m, const char *body, dto_mode mode,
                  const char *prefix, unsigned flags, orm_entity **out)
{
    orm_entity *e = orm_entity_new(f->session, m);
    if (out)
        *out = e;
    return dto_apply_input(m, ts_json(f->a, body), mode, prefix, flags, e, &f->err);
}

#define PTRS(...) ((const char *const[]){__VA_ARGS__})

/* ---- good bodies ----------------------------------------------------------- */

static void create_every_type(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    bool ok = apply(f, f->item,
                    "{'id': 7, 'ref': '123E4567-e89b-12d3-a456-426614174000',"
                    " 'name': '\\u00e9t\\u00e9s!', 'note': 'any length at all, really',"
                    " 'qty': -2147483648, 'big': 9007199254740993, 'ratio': 0.5,"
                    " 'price': '1234.50', 'amount': 0.1, 'active': false,"
                    " 'born': '2024-02-29', 'seen_at': '2026-01-02T03:04:05.5+01:00',"
                    " 'meta': {'a': [1, 'x', null], 'b': {}}, 'status': '\\u00fcn\\u00ef',"
                    " 'secret': 'hash'}",
                    DTO_CREATE, NULL, 0, &e);
    ts_assert_ok(&f->err, "create");
    assert_true(ok);
    assert_string_equal(df_get(e, "id"), "7");
    assert_string_equal(df_get(e, "ref"), "123E4567-e89b-12d3-a456-426614174000");
    assert_string_equal(df_get(e, "name"), "\xc3\xa9t\xc3\xa9s!"); /* 5 code points, 7 bytes */
    assert_string_equal(df_get(e, "qty"), "-2147483648");
    assert_string_equal(df_get(e, "big"), "9007199254740993");
    assert_string_equal(df_get(e, "ratio"), "0.5");
    assert_string_equal(df_get(e, "price"), "1234.50"); /* exact digits kept */
    assert_string_equal(df_get(e, "amount"), "0.1");
    assert_string_equal(df_get(e, "active"), "false");
    assert_string_equal(df_get(e, "born"), "2024-02-29");
    assert_string_equal(df_get(e, "seen_at"), "2026-01-02T03:04:05.5+01:00");
    assert_string_equal(df_get(e, "meta"), "{\"a\":[1,\"x\",null],\"b\":{}}");
    assert_string_equal(df_get(e, "status"), "\xc3\xbcn\xc3\xaf");
    assert_string_equal(df_get(e, "secret"), "hash"); /* write_only: accepted */
    /* Not given: not set (defaults are the unit of work's business). */
    assert_string_equal(df_get(e, "version"), "<unset>");
    assert_string_equal(df_get(e, "created_by"), "<unset>");
}

static void create_minimal(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    /* Only name is required: id is an identity, seen_at has a server
     * default, status and active client defaults, version is the ORM's,
     * created_by is read-only; the rest is nullable. */
    assert_true(apply(f, f->item, "{'name': 'x'}", DTO_CREATE, NULL, 0, &e));
    ts_assert_ok(&f->err, "create");
    assert_string_equal(df_get(e, "name"), "x");
    assert_string_equal(df_get(e, "id"), "<unset>");
}

static void create_nulls(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_true(apply(f, f->item,
                      "{'name': 'x', 'ref': null, 'note': null, 'qty': null, 'big': null,"
                      " 'ratio': null, 'price': null, 'amount': null, 'active': null,"
                      " 'born': null, 'meta': null, 'secret': null}",
                      DTO_CREATE, NULL, 0, &e));
    ts_assert_ok(&f->err, "create");
    assert_string_equal(df_get(e, "qty"), "<null>");
    assert_string_equal(df_get(e, "meta"), "<null>");
    assert_string_equal(df_get(e, "active"), "<null>");
}

static void numeric_forms(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_true(apply(f, f->item,
                      "{'name': 'x', 'price': 9999.99, 'amount': '-0.000000000000000000001'}",
                      DTO_CREATE, NULL, 0, &e));
    ts_assert_ok(&f->err, "numeric");
    assert_string_equal(df_get(e, "price"), "9999.99");
    assert_string_equal(df_get(e, "amount"), "-0.000000000000000000001");
    /* Trailing zeros beyond the scale carry no digits: accepted as given. */
    assert_true(apply(f, f->item, "{'name': 'x', 'price': '12.500', 'amount': 12}", DTO_CREATE,
                      NULL, 0, &e));
    ts_assert_ok(&f->err, "numeric");
    assert_string_equal(df_get(e, "price"), "12.500");
    assert_string_equal(df_get(e, "amount"), "12");
}

static void update_is_partial(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_true(apply(f, f->item, "{}", DTO_UPDATE, NULL, 0, &e));
    assert_true(apply(f, f->item, "{'qty': 5, 'note': null}", DTO_UPDATE, NULL, 0, &e));
    ts_assert_ok(&f->err, "update");
    assert_string_equal(df_get(e, "qty"), "5");
    assert_string_equal(df_get(e, "note"), "<null>");
    assert_string_equal(df_get(e, "name"), "<unset>");
}

/* ---- whole-body problems --------------------------------------------------- */

static void body_not_object(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->item, "[{'name': 'x'}]", DTO_CREATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 1, PTRS(""), PTRS("got an array"));
    err_clear(&f->err);
    assert_false(apply(f, f->item, "'x'", DTO_UPDATE, "/operations/2/values", 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/operations/2/values"), PTRS("got a string"));
    err_clear(&f->err);
    assert_false(dto_apply_input(f->item, NULL, DTO_CREATE, "", 0, NULL, &f->err));
    df_assert_problems(&f->err, 1, PTRS(""), NULL);
}

static void unknown_fields_each_named(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_false(apply(f, f->item, "{'name': 'x', 'colour': 1, 'a/b~c': 2, 'Name': 'y'}",
                       DTO_CREATE, NULL, 0, &e));
    df_assert_problems(&f->err, 3, PTRS("/colour", "/a~1b~0c", "/Name"),
                       PTRS("\"colour\"", "\"a/b~c\"", "\"Name\""));
    /* Nothing was written, not even the valid field. */
    assert_string_equal(df_get(e, "name"), "<unset>");
}

static void relationship_is_not_a_field(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->user, "{'email': 'a@b.c', 'orders': []}", DTO_CREATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/orders"), PTRS("relationship"));
}

static void read_only_and_version_refused(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->item, "{'name': 'x', 'created_by': 'me', 'version': 1}", DTO_CREATE,
                       NULL, 0, NULL));
    df_assert_problems(&f->err, 2, PTRS("/created_by", "/version"),
                       PTRS("read-only", "version column"));
    err_clear(&f->err);
    assert_false(
        apply(f, f->item, "{'created_by': null, 'version': 2}", DTO_UPDATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 2, PTRS("/created_by", "/version"), NULL);
}

static void required_on_create_only(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->item, "{'qty': 1}", DTO_CREATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/name"), PTRS("is required"));
    err_clear(&f->err);
    assert_false(apply(f, f->order, "{}", DTO_CREATE, "/operations/0/values", 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/operations/0/values/user_id"), PTRS("is required"));
    err_clear(&f->err);
    assert_true(apply(f, f->order, "{'total': 3}", DTO_UPDATE, NULL, 0, NULL));
    ts_assert_ok(&f->err, "update");
}

static void null_on_not_null(void **state)
{
    df_fixture *f = *state;
    /* Also for columns with client and server defaults: null is a value. */
    assert_false(apply(f, f->item, "{'name': null, 'status': null, 'seen_at': null}", DTO_CREATE,
                       NULL, 0, NULL));
    df_assert_problems(&f->err, 3, PTRS("/name", "/status", "/seen_at"),
                       PTRS("must not be null", "must not be null", "must not be null"));
    err_clear(&f->err);
    assert_false(apply(f, f->item, "{'name': null}", DTO_UPDATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/name"), PTRS("must not be null"));
    err_clear(&f->err);
    /* An identity key may be omitted, never null. */
    assert_false(apply(f, f->item, "{'name': 'x', 'id': null}", DTO_CREATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 1, PTRS("/id"), PTRS("must not be null"));
}

/* ---- values, one type at a time ------------------------------------------- */

typedef struct bad_case {
    const char *field;
    const char *value; /* single-quoted JSON */
    const char *fragment;
} bad_case;

static const bad_case BAD[] = {
    {"id", "'1'", "integer"},
    {"qty", "'1'", "integer"},
    {"qty", "1.5", "integer"},
    {"qty", "2147483648", "between"},
    {"qty", "-2147483649", "between"},
    {"qty", "true", "integer"},
    {"big", "'9'", "integer"},
    {"big", "[]", "integer"},
    {"ratio", "'0.5'", "number"},
    {"ratio", "{}", "number"},
    {"price", "'abc'", "decimal"},
    {"price", "'1e3'", "decimal"},
    {"price", "'NaN'", "decimal"},
    {"price", "true", "decimal"},
    {"price", "'1.234'", "2 decimal places"},
    {"price", "0.125", "2 decimal places"},
    {"price", "'10000'", "4 digits before"},
    {"price", "-12345.5", "4 digits before"},
    {"amount", "' 1'", "decimal"},
    {"name", "5", "string"},
    {"name", "'toolong'", "at most 5 characters"},
    {"name", "'\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9'", "at most 5 characters"},
    {"note", "['a']", "string"},
    {"active", "'true'", "true or false"},
    {"active", "1", "true or false"},
    {"ref", "'not-a-uuid'", "UUID"},
    {"ref", "'123e4567e89b12d3a45642661417400'", "UUID"},
    {"ref", "'{123e4567-e89b-12d3-a456-426614174000'", "UUID"},
    {"ref", "42", "UUID"},
    {"born", "'2026-02-29'", "date"},
    {"born", "'2026-1-5'", "date"},
    {"born", "'2026-01-05T00:00:00Z'", "date"},
    {"born", "20260105", "date"},
    {"seen_at", "'2026-01-05'", "RFC 3339"},
    {"seen_at", "'2026-01-05T25:00:00Z'", "RFC 3339"},
    {"seen_at", "'2026-01-05T10:00:00'", "RFC 3339"},
    {"seen_at", "'yesterday'", "RFC 3339"},
    {"status", "'old'", "one of"},
    {"status", "'NEW'", "one of"},
    {"secret", "false", "string"},
};

static void each_bad_value(void **state)
{
    df_fixture *f = *state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        err_clear(&f->err);
        const char *body =
            arena_sprintf(f->a, "{'name': 'ok', '%s': %s}", BAD[i].field, BAD[i].value);
        if (strcmp(BAD[i].field, "name") == 0)
            body = arena_sprintf(f->a, "{'name': %s}", BAD[i].value);
        orm_entity *e;
        bool ok = apply(f, f->item, body, DTO_CREATE, NULL, 0, &e);
        if (ok)
            print_message("accepted: %s\n", body);
        assert_false(ok);
        const char *ptr = arena_sprintf(f->a, "/%s", BAD[i].field);
        df_assert_problems(&f->err, 1, PTRS(ptr), PTRS(BAD[i].fragment));
        assert_string_equal(df_get(e, "name"), "<unset>");
    }
}

static void every_problem_at_once(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->item,
                       "{'qty': 'x', 'big': 1.5, 'ratio': null, 'price': '1.001', 'name': 'abcdef',"
                       " 'active': 'no', 'ref': 'x', 'born': 'x', 'seen_at': 'x',"
                       " 'status': 'x', 'extra': 1, 'version': 3}",
                       DTO_CREATE, NULL, 0, NULL));
    df_assert_problems(&f->err, 11,
                       PTRS("/qty", "/big", "/price", "/name", "/active", "/ref", "/born",
                            "/seen_at", "/status", "/extra", "/version"),
                       NULL);
    assert_int_equal(f->err.status, 422);
}

static void pointer_prefix_for_bulk_rows(void **state)
{
    df_fixture *f = *state;
    assert_false(apply(f, f->order, "{'user_id': 'x', 'total': 'y'}", DTO_CREATE, "/3", 0, NULL));
    df_assert_problems(&f->err, 2, PTRS("/3/user_id", "/3/total"), NULL);
}

/* ---- primary keys on update -------------------------------------------------- */

static void primary_key_on_update(void **state)
{
    df_fixture *f = *state;
    orm_entity *e = orm_entity_new(f->session, f->item);
    orm_entity_set(e, df_col(f->item, "id"), "7");
    assert_false(
        dto_apply_input(f->item, ts_json(f->a, "{'id': 7}"), DTO_UPDATE, "", 0, e, &f->err));
    df_assert_problems(&f->err, 1, PTRS("/id"), PTRS("primary key"));
    err_clear(&f->err);
    /* With the flag the current value may be repeated, never changed. */
    assert_true(dto_apply_input(f->item, ts_json(f->a, "{'id': 7, 'qty': 1}"), DTO_UPDATE, "",
                                DTO_ALLOW_PRIMARY_KEY, e, &f->err));
    ts_assert_ok(&f->err, "same key");
    assert_string_equal(df_get(e, "qty"), "1");
    assert_false(dto_apply_input(f->item, ts_json(f->a, "{'id': 8, 'qty': 2}"), DTO_UPDATE, "",
                                 DTO_ALLOW_PRIMARY_KEY, e, &f->err));
    df_assert_problems(&f->err, 1, PTRS("/id"), PTRS("cannot be changed"));
    assert_string_equal(df_get(e, "id"), "7");
    assert_string_equal(df_get(e, "qty"), "1");
    err_clear(&f->err);
    /* uuid keys compare without regard to case. */
    orm_entity *u = orm_entity_new(f->session, f->user);
    orm_entity_set(u, df_col(f->user, "id"), "123e4567-e89b-12d3-a456-426614174000");
    assert_true(dto_apply_input(f->user,
                                ts_json(f->a, "{'id': '123E4567-E89B-12D3-A456-426614174000'}"),
                                DTO_UPDATE, "", DTO_ALLOW_PRIMARY_KEY, u, &f->err));
    ts_assert_ok(&f->err, "uuid key");
    /* On create a key may be given (identity BY DEFAULT, server default). */
    assert_true(apply(f, f->user, "{'id': '123e4567-e89b-12d3-a456-426614174000', 'email': 'a'}",
                      DTO_CREATE, NULL, 0, NULL));
}

/* ---- $add -------------------------------------------------------------------- */

static void add_needs_flag(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_false(apply(f, f->item, "{'qty': {'$add': 1}}", DTO_UPDATE, NULL, 0, &e));
    df_assert_problems(&f->err, 1, PTRS("/qty"), PTRS("$add"));
    assert_false(orm_entity_is_modified(e));
}

static void add_in_transaction_update(void **state)
{
    df_fixture *f = *state;
    orm_entity *e;
    assert_true(apply(f, f->item,
                      "{'qty': {'$add': -3}, 'big': {'$add': '5'}, 'ratio': {'$add': 0.25},"
                      " 'price': {'$add': '-10.25'}, 'amount': {'$add': 1e-3}}",
                      DTO_UPDATE, "/operations/1/values", DTO_ALLOW_ADD, &e));
    ts_assert_ok(&f->err, "$add");
    assert_true(orm_entity_is_modified(e));
    /* Increments are not values: the columns stay unset. */
    assert_string_equal(df_get(e, "qty"), "<unset>");
}

static void add_refusals(void **state)
{
    df_fixture *f = *state;
    const char *prefix = "/operations/1/values";
    assert_false(apply(f, f->item,
                       "{'name': {'$add': 1}, 'qty': {'$add': 1.5}, 'big': {'$add': null},"
                       " 'price': {'$add': '0.001'}, 'ratio': {'$add': 1, 'x': 2},"
                       " 'amount': {'$add': 'x'}, 'active': {'$add': 1},"
                       " 'id': {'$add': 1}, 'version': {'$add': 1}}",
                       DTO_UPDATE, prefix, DTO_ALLOW_ADD, NULL));
    df_assert_problems(&f->err, 9,
                       PTRS("/operations/1/values/name/$add", "/operations/1/values/qty/$add",
                            "/operations/1/values/big/$add", "/operations/1/values/price/$add",
                            "/operations/1/values/ratio", "/operations/1/values/amount/$add",
                            "/operations/1/values/active/$add", "/operations/1/values/id",
                            "/operations/1/values/version"),
                       PTRS("string", "integer", "got null", "decimal places", "no other member",
                            "decimal", "boolean", "primary key", "version column"));
    err_clear(&f->err);
    /* Not on create, even with the flag. */
    assert_false(apply(f, f->item, "{'name': 'x', 'qty': {'$add': 1}}", DTO_CREATE, NULL,
                       DTO_ALLOW_ADD, NULL));
    df_assert_problems(&f->err, 1, PTRS("/qty"), PTRS("only to updates"));
    err_clear(&f->err);
    /* On a json column {"$add": 1} is just a JSON value. */
    orm_entity *e;
    assert_true(apply(f, f->item, "{'meta': {'$add': 1}}", DTO_UPDATE, NULL, 0, &e));
    assert_string_equal(df_get(e, "meta"), "{\"$add\":1}");
}

/* ---- validation without an entity, and reports without an arena -------------- */

static void validate_only(void **state)
{
    df_fixture *f = *state;
    assert_true(dto_apply_input(f->item, ts_json(f->a, "{'name': 'x'}"), DTO_CREATE, NULL, 0, NULL,
                                &f->err));
    assert_false(
        dto_apply_input(f->item, ts_json(f->a, "{'name': 1}"), DTO_CREATE, NULL, 0, NULL, &f->err));
    df_assert_problems(&f->err, 1, PTRS("/name"), NULL);
}

static void report_without_arena(void **state)
{
    df_fixture *f = *state;
    err_report bare;
    err_init(&bare, NULL);
    assert_false(dto_apply_input(f->item, ts_json(f->a, "{'name': 1, 'x': 2}"), DTO_CREATE, NULL, 0,
                                 NULL, &bare));
    assert_int_equal(bare.status, 422);
    assert_int_equal(bare.n_items, 2);
    assert_null(bare.items[0].pointer); /* its scratch pointer would dangle */
    assert_false(dto_apply_input(f->item, ts_json(f->a, "{}"), DTO_CREATE, NULL, 0, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, df_setup, df_teardown)
        T(create_every_type),
        T(create_minimal),
        T(create_nulls),
        T(numeric_forms),
        T(update_is_partial),
        T(body_not_object),
        T(unknown_fields_each_named),
        T(relationship_is_not_a_field),
        T(read_only_and_version_refused),
        T(required_on_create_only),
        T(null_on_not_null),
        T(each_bad_value),
        T(every_problem_at_once),
        T(pointer_prefix_for_bulk_rows),
        T(primary_key_on_update),
        T(add_needs_flag),
        T(add_in_transaction_update),
        T(add_refusals),
        T(validate_only),
        T(report_without_arena),
#undef T
    };
    return cmocka_run_group_tests_name("dto_input", tests, NULL, NULL);
}
