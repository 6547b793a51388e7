/*
 * test_dto_rows — bulk-insert rows (src/dto/dto_rows.c): values for the
 * caller's column list, client defaults, the version column, DEFAULT
 * markers, and row problems with pointers under the row's prefix; whole
 * arrays (dto_bulk_rows), bulk update values, and client keys
 * (dto_key.c). No database.
 */
#include "dto_fixture.h"

#define PTRS(...) ((const char *const[]){__VA_ARGS__})

typedef struct row_out {
    const char **values;
    bool *is_default;
} row_out;

/* Column indexes of Item by name. */
static size_t *columns(df_fixture *f, const char *const *names, size_t n)
{
    size_t *cols = ARENA_ARRAY(f->a, size_t, n);
    for (size_t i = 0; i < n; i++)
        cols[i] = df_col(f->item, names[i]);
    return cols;
}

static bool row(df_fixture *f, const char *row_sq, const char *prefix, const char *const *names,
                size_t n, row_out *out)
{
    return dto_row_values(f->item, ts_json(f->a, row_sq), prefix, columns(f, names, n), n, f->a,
                          &out->values, &out->is_default, &f->err);
}

static void values_defaults_and_markers(void **state)
{
    df_fixture *f = *state;
    const char *names[] = {"name", "qty",     "status", "active", "seen_at",
                           "id",   "version", "meta",   "price"};
    row_out r;
    assert_true(row(f, "{'name': '\\u00fc', 'qty': null, 'meta': [1, {'a': 'b'}], 'price': 2.5}",
                    "/0", names, 9, &r));
    ts_assert_ok(&f->err, "row");
    assert_string_equal(r.values[0], "\xc3\xbc");
    assert_false(r.is_default[0]);
    assert_null(r.values[1]); /* explicit null is NULL, not DEFAULT */
    assert_false(r.is_default[1]);
    assert_string_equal(r.values[2], "new"); /* client default */
    assert_false(r.is_default[2]);
    assert_string_equal(r.values[3], "true"); /* client default of a boolean */
    assert_false(r.is_default[3]);
    assert_null(r.values[4]); /* server default: DEFAULT */
    assert_true(r.is_default[4]);
    assert_null(r.values[5]); /* identity: DEFAULT */
    assert_true(r.is_default[5]);
    assert_string_equal(r.values[6], "1"); /* version without a default */
    assert_false(r.is_default[6]);
    assert_string_equal(r.values[7], "[1,{\"a\":\"b\"}]");
    assert_string_equal(r.values[8], "2.5");
}

static void given_values_win(void **state)
{
    df_fixture *f = *state;
    const char *names[] = {"status", "active", "seen_at", "id"};
    row_out r;
    assert_true(row(f,
                    "{'name': 'n', 'status': 'done', 'active': false,"
                    " 'seen_at': '2026-01-01T00:00:00Z', 'id': 3}",
                    "/1", names, 4, &r));
    assert_string_equal(r.values[0], "done");
    assert_string_equal(r.values[1], "false");
    assert_string_equal(r.values[2], "2026-01-01T00:00:00Z");
    assert_string_equal(r.values[3], "3");
    for (size_t i = 0; i < 4; i++)
        assert_false(r.is_default[i]);
    /* A valid key outside the column list is not an error, and not used. */
    const char *only_name[] = {"name"};
    assert_true(row(f, "{'name': 'n', 'qty': 4}", "/2", only_name, 1, &r));
    assert_string_equal(r.values[0], "n");
    /* No columns at all: DEFAULT VALUES. */
    assert_true(dto_row_values(f->item, ts_json(f->a, "{'name': 'n'}"), "/3", NULL, 0, f->a,
                               &r.values, &r.is_default, &f->err));
    ts_assert_ok(&f->err, "no columns");
}

static void row_problems(void **state)
{
    df_fixture *f = *state;
    const char *names[] = {"name", "qty"};
    row_out r = {(const char **) 1, (bool *) 1};
    assert_false(row(f,
                     "{'qty': {'$add': 1}, 'big': 'x', 'version': 2, 'created_by': 'me',"
                     " 'whatever': 0}",
                     "/3", names, 2, &r));
    assert_null(r.values);
    assert_null(r.is_default);
    df_assert_problems(
        &f->err, 6,
        PTRS("/3/qty", "/3/big", "/3/version", "/3/created_by", "/3/whatever", "/3/name"),
        PTRS("$add", "integer", "version column", "read-only", "Unknown field", "is required"));
    err_clear(&f->err);
    assert_false(row(f, "[]", "/4", names, 2, &r));
    df_assert_problems(&f->err, 1, PTRS("/4"), PTRS("got an array"));
    err_clear(&f->err);
    assert_false(row(f, "{'name': null}", NULL, names, 2, &r));
    df_assert_problems(&f->err, 1, PTRS("/name"), PTRS("must not be null"));
}

static void bad_column_index(void **state)
{
    df_fixture *f = *state;
    size_t cols[] = {999};
    row_out r;
    assert_false(dto_row_values(f->item, ts_json(f->a, "{'name': 'n'}"), "/0", cols, 1, f->a,
                                &r.values, &r.is_default, &f->err));
    assert_int_equal(f->err.kind, ERR_INTERNAL);
}

/* The rows of a whole array: the column list any row names plus what
 * the ORM fills, and the first bad row's problems. */
static void whole_array(void **state)
{
    df_fixture *f = *state;
    dto_bulk rows;
    assert_true(dto_bulk_rows(f->item, ts_json(f->a, "[{'name': 'a'}, {'name': 'b', 'qty': 2}]"),
                              NULL, f->a, &rows, &f->err));
    ts_assert_ok(&f->err, "rows");
    assert_int_equal(rows.n_rows, 2);
    /* name, qty (named), active and status (client defaults), version */
    assert_int_equal(rows.n_columns, 5);
    const char *names[] = {"name", "qty", "active", "status", "version"};
    for (size_t c = 0; c < rows.n_columns; c++) {
        bool found = false;
        for (size_t i = 0; i < 5; i++)
            found = found || rows.columns[c] == df_col(f->item, names[i]);
        assert_true(found);
    }
    for (size_t c = 0; c < rows.n_columns; c++) {
        if (rows.columns[c] == df_col(f->item, "qty")) {
            assert_true(rows.defaults[0][c]); /* row 0 has no qty: DEFAULT */
            assert_string_equal(rows.values[1][c], "2");
        }
        if (rows.columns[c] == df_col(f->item, "version"))
            assert_string_equal(rows.values[0][c], "1");
    }
    assert_false(dto_bulk_rows(f->item, ts_json(f->a, "[{'name': 'a'}, {'qty': 'x'}]"), NULL,
                               f->a, &rows, &f->err));
    df_assert_problems(&f->err, 2, PTRS("/1/qty", "/1/name"), PTRS("integer", "is required"));
    /* every bad row, not only the first */
    err_init(&f->err, f->a);
    assert_false(dto_bulk_rows(f->item,
                               ts_json(f->a, "[{'qty': 1}, {'name': 'b'}, {'name': 'c', 'qty': 'x'}]"),
                               "/operations/2/rows", f->a, &rows, &f->err));
    df_assert_problems(&f->err, 2, PTRS("/operations/2/rows/0/name", "/operations/2/rows/2/qty"),
                       PTRS("is required", "integer"));
}

static void bulk_update_values(void **state)
{
    df_fixture *f = *state;
    size_t *cols, n;
    const char **texts;
    assert_true(dto_bulk_values(f->item, ts_json(f->a, "{'qty': 4, 'note': null, 'price': '1.5'}"),
                                "/values", f->a, &cols, &texts, &n, &f->err));
    ts_assert_ok(&f->err, "values");
    assert_int_equal(n, 3);
    assert_int_equal(cols[0], df_col(f->item, "qty"));
    assert_string_equal(texts[0], "4");
    assert_int_equal(cols[1], df_col(f->item, "note"));
    assert_null(texts[1]);
    assert_string_equal(texts[2], "1.5");
    /* Every problem at once: unknown, the key, managed columns, values. */
    assert_false(dto_bulk_values(f->item,
                                 ts_json(f->a, "{'nope': 1, 'id': 2, 'version': 3,"
                                               " 'created_by': 'x', 'qty': 'x', 'name': null}"),
                                 "/values", f->a, &cols, &texts, &n, &f->err));
    df_assert_problems(&f->err, 6,
                       PTRS("/values/nope", "/values/id", "/values/version", "/values/created_by",
                            "/values/qty", "/values/name"),
                       PTRS("Unknown field", "cannot be set by a bulk update",
                            "cannot be set by a bulk update", "cannot be set by a bulk update",
                            "integer", "null"));
    err_clear(&f->err);
    assert_false(dto_bulk_values(f->item, ts_json(f->a, "{}"), "/values", f->a, &cols, &texts,
                                 &n, &f->err));
    df_assert_problems(&f->err, 1, PTRS("/values"), PTRS("at least one field"));
    err_clear(&f->err);
    assert_false(
        dto_bulk_values(f->item, NULL, "/values", f->a, &cols, &texts, &n, &f->err));
    df_assert_problems(&f->err, 1, PTRS("/values"), PTRS("at least one field"));
}

static void keys(void **state)
{
    df_fixture *f = *state;
    const char **k = dto_key_from_url(f->item, "007", f->a);
    assert_non_null(k);
    assert_string_equal(k[0], "007"); /* orm_session_get canonicalises */
    assert_null(dto_key_from_url(f->item, "x", f->a));     /* not an integer */
    assert_null(dto_key_from_url(f->item, "1,2", f->a));   /* one key column */
    assert_null(dto_key_from_url(f->item, "", f->a));
    assert_null(dto_key_from_url(f->item, NULL, f->a));
    assert_null(dto_key_from_url(f->item, "99999999999", f->a)); /* beyond int32 */
    k = dto_key_from_url(f->user, "0F8FAD5B-D9CB-469F-A165-70867728950E", f->a);
    assert_non_null(k);
    assert_null(dto_key_from_url(f->user, "not-a-uuid", f->a));
    k = dto_key_from_json(f->item, ts_json(f->a, "12"), f->a);
    assert_string_equal(k[0], "12");
    k = dto_key_from_json(f->item, ts_json(f->a, "'12'"), f->a);
    assert_string_equal(k[0], "12");
    k = dto_key_from_json(f->item, ts_json(f->a, "[12]"), f->a);
    assert_string_equal(k[0], "12");
    assert_null(dto_key_from_json(f->item, ts_json(f->a, "[1, 2]"), f->a));
    assert_null(dto_key_from_json(f->item, ts_json(f->a, "1.5"), f->a));
    assert_null(dto_key_from_json(f->item, NULL, f->a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, df_setup, df_teardown)
        T(values_defaults_and_markers),
        T(given_values_win),
        T(row_problems),
        T(bad_column_index),
        T(whole_array),
        T(bulk_update_values),
        T(keys),
#undef T
    };
    return cmocka_run_group_tests_name("dto_rows", tests, NULL, NULL);
}
