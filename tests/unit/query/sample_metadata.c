#include "sample_metadata.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})

typedef struct builder {
    err_report *err;
    bool ok;
} builder;

static void column(builder *g, sql_table *t, const char *name, sql_type type, sql_column_opts opts)
{
    if (g->ok && t && !sql_table_add_column(t, name, type, &opts, g->err))
        g->ok = false;
}

static void check(builder *g, bool ok)
{
    g->ok = g->ok && ok;
}

sql_metadata *sample_metadata(arena *a, err_report *err)
{
    builder g = {.err = err, .ok = true};
    sql_metadata *md = sql_metadata_new(a);

    sql_table *users = sql_table_add(md, "users", err);
    check(&g, users != NULL);
    column(&g, users, "id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.primary_key = true, .server_default = "gen_random_uuid()"});
    column(&g, users, "email", sql_type_string(255),
           (sql_column_opts){.unique = true, .not_null = true});
    column(&g, users, "name", sql_type_string(100), (sql_column_opts){0});
    column(&g, users, "created_at", sql_type_of(SQL_TYPE_TIMESTAMPTZ),
           (sql_column_opts){.server_default = "now()"});

    sql_table *orders = sql_table_add(md, "orders", err);
    check(&g, orders != NULL);
    column(&g, orders, "id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.primary_key = true, .server_default = "gen_random_uuid()"});
    column(&g, orders, "user_id", sql_type_of(SQL_TYPE_UUID),
           (sql_column_opts){.not_null = true, .references = "users.id"});
    column(&g, orders, "total", sql_type_numeric(12, 2), (sql_column_opts){0});
    column(&g, orders, "status", sql_type_string(50),
           (sql_column_opts){.choices = NAMES("pending", "paid", "shipped", "cancelled"),
                             .n_choices = 4});
    column(&g, orders, "version", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.not_null = true});
    column(&g, orders, "created_at", sql_type_of(SQL_TYPE_TIMESTAMPTZ),
           (sql_column_opts){.server_default = "now()"});

    sql_table *books = sql_table_add(md, "books", err);
    check(&g, books != NULL);
    column(&g, books, "id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.primary_key = true, .autoincrement = true});
    column(&g, books, "title", sql_type_string(200), (sql_column_opts){.not_null = true});

    sql_table *genres = sql_table_add(md, "genres", err);
    check(&g, genres != NULL);
    column(&g, genres, "id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.primary_key = true, .autoincrement = true});
    column(&g, genres, "name", sql_type_string(50),
           (sql_column_opts){.not_null = true, .unique = true});

    sql_table *book_genres = sql_table_add(md, "book_genres", err);
    check(&g, book_genres != NULL);
    column(&g, book_genres, "book_id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.not_null = true, .references = "books.id"});
    column(&g, book_genres, "genre_id", sql_type_of(SQL_TYPE_INTEGER),
           (sql_column_opts){.not_null = true, .references = "genres.id"});
    if (g.ok)
        check(&g, sql_table_set_primary_key(book_genres, NAMES("book_id", "genre_id"), 2, err));

    sql_table *accounts = sql_table_add(md, "accounts", err);
    check(&g, accounts != NULL);
    column(&g, accounts, "id", sql_type_of(SQL_TYPE_BIGINT),
           (sql_column_opts){.primary_key = true, .autoincrement = true});
    column(&g, accounts, "owner", sql_type_string(100), (sql_column_opts){.not_null = true});
    column(&g, accounts, "balance", sql_type_numeric(12, 2),
           (sql_column_opts){.not_null = true, .server_default = "0"});
    column(&g, accounts, "active", sql_type_of(SQL_TYPE_BOOLEAN),
           (sql_column_opts){.not_null = true, .server_default = "true"});
    column(&g, accounts, "opened", sql_type_of(SQL_TYPE_DATE), (sql_column_opts){0});
    column(&g, accounts, "rate", sql_type_of(SQL_TYPE_FLOAT), (sql_column_opts){0});
    column(&g, accounts, "notes", sql_type_of(SQL_TYPE_TEXT), (sql_column_opts){0});
    column(&g, accounts, "data", sql_type_of(SQL_TYPE_JSON), (sql_column_opts){0});
    column(&g, accounts, "score", sql_type_of(SQL_TYPE_NUMERIC), (sql_column_opts){0});

    sql_table *weird = sql_table_add(md, "we\"ird", err);
    check(&g, weird != NULL);
    column(&g, weird, "id", sql_type_of(SQL_TYPE_INTEGER), (sql_column_opts){.primary_key = true});
    column(&g, weird, "co\"l", sql_type_of(SQL_TYPE_TEXT), (sql_column_opts){0});
    if (!g.ok)
        return NULL;

    check(&g, sql_table_add_relation(users,
                                     &(sql_relation_def){.name = "orders",
                                                         .kind = SQL_REL_TO_MANY,
                                                         .target = "orders",
                                                         .on = (sql_name_pair[]){{"id", "user_id"}},
                                                         .n_on = 1},
                                     err) != NULL);
    check(&g, sql_table_add_relation(orders,
                                     &(sql_relation_def){.name = "user",
                                                         .kind = SQL_REL_TO_ONE,
                                                         .target = "users",
                                                         .on = (sql_name_pair[]){{"user_id", "id"}},
                                                         .n_on = 1},
                                     err) != NULL);
    check(&g, sql_table_add_relation(
                  books,
                  &(sql_relation_def){.name = "genres",
                                      .kind = SQL_REL_TO_MANY,
                                      .target = "genres",
                                      .on = (sql_name_pair[]){{"id", "book_id"}},
                                      .n_on = 1,
                                      .secondary = "book_genres",
                                      .secondary_on = (sql_name_pair[]){{"genre_id", "id"}},
                                      .n_secondary_on = 1},
                  err) != NULL);
    check(&g, sql_table_add_relation(
                  genres,
                  &(sql_relation_def){.name = "books",
                                      .kind = SQL_REL_TO_MANY,
                                      .target = "books",
                                      .on = (sql_name_pair[]){{"id", "genre_id"}},
                                      .n_on = 1,
                                      .secondary = "book_genres",
                                      .secondary_on = (sql_name_pair[]){{"book_id", "id"}},
                                      .n_secondary_on = 1},
                  err) != NULL);
    if (!g.ok || !sql_metadata_freeze(md, err))
        return NULL;
    return md;
}
