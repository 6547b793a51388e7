#include "core_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES(...)                                                                                 \
    (const char *const[])                                                                          \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define N_OF(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static sql_table *table(sql_metadata *md, const char *name, err_report *err)
{
    sql_table *t = sql_table_add(md, name, err);
    assert_non_null(t);
    return t;
}

static void column(sql_table *t, const char *name, sql_type type, sql_column_opts opts,
                   err_report *err)
{
    if (!sql_table_add_column(t, name, type, &opts, err))
        fail_msg("column %s.%s: %s", t->name, name, err->n_items ? err->items[0].detail : "?");
}

sql_metadata *fx_metadata(arena *a)
{
    err_report err;
    err_init(&err, a);
    sql_metadata *md = sql_metadata_new(a);

    /* Declared out of dependency order on purpose (create order is tested). */
    sql_table *orders = table(md, "orders", &err);
    column(orders, "id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.primary_key = true, .server_default = "gen_random_uuid()"}, &err);
    column(orders, "user_id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.not_null = true, .references = "users.id"}, &err);
    column(orders, "total", sql_type_numeric(12, 2), (sql_column_opts){0}, &err);
    column(orders, "status", sql_type_string(50),
           (sql_column_opts){.choices = NAMES("pending", "paid", "shipped", "cancelled"),
                             .n_choices = 4},
           &err);
    column(orders, "version", sql_type_of(SQL_TYPE_INTEGER), (sql_column_opts){.not_null = true},
           &err);
    column(orders, "created_at", sql_type_of(SQL_TYPE_TIMESTAMPTZ),
           (sql_column_opts){.server_default = "now()"}, &err);
    assert_true(sql_table_add_check(orders, "total_nonnegative", "total >= 0", &err));
    assert_true(sql_table_add_index(orders, NULL, NAMES("created_at"), 1, false, &err));

    sql_table *users = table(md, "users", &err);
    column(users, "id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.primary_key = true, .server_default = "gen_random_uuid()"}, &err);
    column(users, "email", sql_type_string(255),
           (sql_column_opts){.unique = true, .not_null = true}, &err);
    column(users, "name", sql_type_string(100), (sql_column_opts){0}, &err);
    column(users, "created_at", sql_type_of(SQL_TYPE_TIMESTAMPTZ),
           (sql_column_opts){.server_default = "now()"}, &err);

    sql_table *book_genres = table(md, "book_genres", &err);
    column(book_genres, "book_id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.not_null = true, .references = "books.id"}, &err);
    column(book_genres, "genre_id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.not_null = true, .references = "genres.id"}, &err);
    assert_true(sql_table_set_primary_key(book_genres, NAMES("book_id", "genre_id"), 2, &err));

    sql_table *books = table(md, "books", &err);
    column(books, "id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.primary_key = true, .autoincrement = true}, &err);
    column(books, "title", sql_type_string(200), (sql_column_opts){.not_null = true}, &err);

    sql_table *genres = table(md, "genres", &err);
    column(genres, "id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.primary_key = true, .autoincrement = true}, &err);
    column(genres, "name", sql_type_string(50), (sql_column_opts){.not_null = true, .unique = true},
           &err);

    sql_table *accounts = table(md, "accounts", &err);
    column(accounts, "id", sql_type_of(SQL_TYPE_BIGINT),
           (sql_column_opts){.primary_key = true, .autoincrement = true}, &err);
    column(accounts, "owner", sql_type_string(100), (sql_column_opts){.not_null = true}, &err);
    column(accounts, "balance", sql_type_numeric(12, 2),
           (sql_column_opts){.not_null = true, .server_default = "0"}, &err);
    column(accounts, "active", sql_type_of(SQL_TYPE_BOOLEAN),
           (sql_column_opts){.not_null = true, .server_default = "true"}, &err);
    column(accounts, "opened", sql_type_of(SQL_TYPE_DATE), (sql_column_opts){0}, &err);
    column(accounts, "rate", sql_type_of(SQL_TYPE_FLOAT), (sql_column_opts){0}, &err);
    column(accounts, "notes", sql_type_of(SQL_TYPE_TEXT), (sql_column_opts){0}, &err);
    column(accounts, "data", sql_type_of(SQL_TYPE_JSONB), (sql_column_opts){0}, &err);
    assert_true(sql_table_add_check(accounts, "balance_nonnegative", "balance >= 0", &err));
    assert_true(sql_table_add_unique(accounts, NULL, NAMES("owner", "opened"), 2, &err));
    assert_true(sql_table_add_index(accounts, NULL, NAMES("opened", "owner"), 2, true, &err));

    sql_table *weird = table(md, "we\"ird", &err);
    column(weird, "id", sql_type_of(SQL_TYPE_INTEGER), (sql_column_opts){.primary_key = true},
           &err);
    column(weird, "co\"l", sql_type_of(SQL_TYPE_TEXT), (sql_column_opts){0}, &err);

    assert_non_null(
        sql_table_add_relation(users,
                               &(sql_relation_def){.name = "orders",
                                                   .kind = SQL_REL_TO_MANY,
                                                   .target = "orders",
                                                   .on = (sql_name_pair[]){{"id", "user_id"}},
                                                   .n_on = 1},
                               &err));
    assert_non_null(
        sql_table_add_relation(orders,
                               &(sql_relation_def){.name = "user",
                                                   .kind = SQL_REL_TO_ONE,
                                                   .target = "users",
                                                   .on = (sql_name_pair[]){{"user_id", "id"}},
                                                   .n_on = 1},
                               &err));
    assert_non_null(sql_table_add_relation(
        books,
        &(sql_relation_def){.name = "genres",
                            .kind = SQL_REL_TO_MANY,
                            .target = "genres",
                            .on = (sql_name_pair[]){{"id", "book_id"}},
                            .n_on = 1,
                            .secondary = "book_genres",
                            .secondary_on = (sql_name_pair[]){{"genre_id", "id"}},
                            .n_secondary_on = 1},
        &err));
    assert_non_null(sql_table_add_relation(
        genres,
        &(sql_relation_def){.name = "books",
                            .kind = SQL_REL_TO_MANY,
                            .target = "books",
                            .on = (sql_name_pair[]){{"id", "genre_id"}},
                            .n_on = 1,
                            .secondary = "book_genres",
                            .secondary_on = (sql_name_pair[]){{"book_id", "id"}},
                            .n_secondary_on = 1},
        &err));

    if (!sql_metadata_freeze(md, &err))
        fail_msg("freeze: %s", err.n_items ? err.items[0].detail : "?");
    assert_int_equal(err.kind, ERR_NONE);
    return md;
}

int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    fx->user_state = *state;
    fx->a = arena_create(NULL, "core-test");
    err_init(&fx->err, fx->a);
    fx->b = sql_builder_new(fx->a, &fx->err);
    fx->md = fx_metadata(fx->a);
    fx->users = sql_metadata_table(fx->md, "users");
    fx->orders = sql_metadata_table(fx->md, "orders");
    fx->books = sql_metadata_table(fx->md, "books");
    fx->genres = sql_metadata_table(fx->md, "genres");
    fx->book_genres = sql_metadata_table(fx->md, "book_genres");
    fx->accounts = sql_metadata_table(fx->md, "accounts");
    fx->weird = sql_metadata_table(fx->md, "we\"ird");
    *state = fx;
    return 0;
}

int fx_teardown(void **state)
{
    fixture *fx = *state;
    arena_destroy(fx->a);
    free(fx);
    return 0;
}

const sql_column *fx_col(const sql_table *t, const char *name)
{
    const sql_column *c = sql_table_column(t, name);
    if (!c)
        fail_msg("no column %s.%s", t->name, name);
    return c;
}

bool fx_err_has(const err_report *err, const char *needle)
{
    for (size_t i = 0; i < err->n_items; i++)
        if (err->items[i].detail && strstr(err->items[i].detail, needle))
            return true;
    return err->detail && strstr(err->detail, needle);
}

static void print_errors(const err_report *err)
{
    for (size_t i = 0; i < err->n_items; i++)
        print_error("  problem: %s\n", err->items[i].detail ? err->items[i].detail : "?");
}

/* $1..$n each appear, and nothing above $n. */
static void assert_dense(const char *sql, size_t n)
{
    bool *seen = calloc(n + 1, sizeof *seen);
    for (const char *p = sql; (p = strchr(p, '$'));) {
        p++;
        if (*p < '0' || *p > '9')
            continue;
        unsigned long k = strtoul(p, (char **) &p, 10);
        if (k == 0 || k > n) {
            free(seen);
            fail_msg("placeholder $%lu outside 1..%zu", k, n);
        }
        seen[k] = true;
    }
    for (size_t k = 1; k <= n; k++) {
        if (!seen[k]) {
            free(seen);
            fail_msg("placeholder $%zu missing", k);
        }
    }
    free(seen);
}

void fx_assert_compiles(fixture *fx, const sql_node *stmt, const char *sql,
                        const char *const *params, size_t n_params)
{
    if (sql_builder_failed(fx->b)) {
        print_errors(&fx->err);
        fail_msg("the builder failed");
    }
    assert_non_null(stmt);
    sql_compiled out;
    if (!sql_compile(stmt, fx->a, &out, &fx->err)) {
        print_errors(&fx->err);
        fail_msg("compile failed");
    }
    assert_string_equal(out.sql, sql);
    assert_int_equal(out.n_params, n_params);
    for (size_t i = 0; i < n_params; i++) {
        if (!params[i]) {
            if (out.params[i])
                fail_msg("param $%zu: expected NULL, got \"%s\"", i + 1, out.params[i]);
        } else {
            if (!out.params[i])
                fail_msg("param $%zu: expected \"%s\", got NULL", i + 1, params[i]);
            assert_string_equal(out.params[i], params[i]);
        }
    }
    assert_dense(out.sql, out.n_params);

    /* The walker meets the parameters in $n order: what the cache binds. */
    sql_shape shape;
    assert_true(sql_shape_of(stmt, fx->a, &shape, &fx->err));
    assert_int_equal(shape.n_params, out.n_params);
    const char **vals = sql_shape_param_values(&shape, fx->a);
    for (size_t i = 0; i < out.n_params; i++) {
        if (!out.params[i])
            assert_null(vals[i]);
        else
            assert_string_equal(vals[i], out.params[i]);
    }
    assert_int_equal(fx->err.kind, ERR_NONE);
}
