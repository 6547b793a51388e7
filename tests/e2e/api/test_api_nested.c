/*
 * Model-default eager loading below the first level (issue 13 item 7): a
 * many-to-many relationship whose model default is selectin appears
 * inside DTOs reached through another relationship (a shelf's books carry
 * their genres), in GET, lists and query documents, in one statement per
 * level; and it is not followed back through the inverse of the hop that
 * reached it (a genre's books do not list their genres again).
 */
#include "api_support.h"

#include <string.h>

static const char *const CONFIG =
    "{\"models\": {"
    " \"Shelf\": {\"table\": \"api_shelves\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"label\": {\"type\": \"string\", \"length\": 40}},"
    "  \"relationships\": {"
    "   \"books\": {\"target\": \"Book\", \"kind\": \"one_to_many\", \"foreign_key\": \"shelf_id\","
    "              \"back_populates\": \"shelf\", \"order_by\": \"id\"}}},"
    " \"Book\": {\"table\": \"api_books\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"shelf_id\": {\"type\": \"integer\", \"references\": \"api_shelves.id\"},"
    "   \"title\": {\"type\": \"string\", \"length\": 80}},"
    "  \"relationships\": {"
    "   \"shelf\": {\"target\": \"Shelf\", \"kind\": \"many_to_one\", \"foreign_key\": "
    "\"shelf_id\","
    "              \"back_populates\": \"books\"},"
    "   \"genres\": {\"target\": \"Genre\", \"kind\": \"many_to_many\", \"secondary\": "
    "\"BookGenre\","
    "               \"back_populates\": \"books\", \"lazy\": \"selectin\", \"order_by\": "
    "\"name\"}}},"
    " \"Genre\": {\"table\": \"api_genres\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"name\": {\"type\": \"string\", \"length\": 40}},"
    "  \"relationships\": {"
    "   \"books\": {\"target\": \"Book\", \"kind\": \"many_to_many\", \"secondary\": \"BookGenre\","
    "              \"back_populates\": \"genres\", \"order_by\": \"id\"}}},"
    " \"BookGenre\": {\"table\": \"api_book_genres\", \"columns\": {"
    "   \"book_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"api_books.id\"},"
    "   \"genre_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"api_genres.id\"}}}"
    "}}";

static int group_setup(void **state)
{
    (void) state;
    if (api_group_setup_config("an_", CONFIG, NULL) != 0)
        return -1;
    sql_exec("INSERT INTO %s VALUES (1, 'top')", R("shelves"));
    sql_exec("INSERT INTO %s VALUES (10, 1, 'Dune'), (11, 1, 'Emma')", R("books"));
    sql_exec("INSERT INTO %s VALUES (1, 'sf'), (2, 'classic'), (3, 'adventure')", R("genres"));
    sql_exec("INSERT INTO %s VALUES (10, 3), (10, 1), (11, 2)", R("book_genres"));
    return 0;
}

static int group_teardown(void **state)
{
    (void) state;
    return api_group_teardown();
}

/* The genre names of a book DTO, comma-separated, in DTO order. */
static const char *genre_names(const json_t *book)
{
    const json_t *genres = jget(book, "genres");
    assert_true(json_is_array(genres));
    const char *out = "";
    size_t i;
    const json_t *g;
    json_array_foreach(genres, i, g)
    {
        out = S("%s%s%s", out, i ? "," : "", jstr(g, "name"));
    }
    return out;
}

static void check_shelf(const json_t *shelf)
{
    const json_t *books = jget(shelf, "books");
    assert_int_equal(json_array_size(books), 2);
    assert_string_equal(genre_names(json_array_get(books, 0)), "adventure,sf");
    assert_string_equal(genre_names(json_array_get(books, 1)), "classic");
}

static void test_nested_default_selectin(void **state)
{
    (void) state;
    api_reply *r = GET(S("/api/%s/1?include=books", R("shelves")));
    EXPECT_STATUS(r, 200);
    check_shelf(r->body);
    /* shelf, its books, their genres: one statement per level */
    assert_int_equal(api_query_count(r, __FILE__, __LINE__), 3);

    r = GET(S("/api/%s?include=books", R("shelves")));
    EXPECT_STATUS(r, 200);
    check_shelf(json_array_get(jdata(r), 0));

    r = POST(S("/api/%s/query", R("shelves")), "{\"options\": [{\"selectinload\": \"books\"}]}");
    EXPECT_STATUS(r, 200);
    check_shelf(json_array_get(jdata(r), 0));
}

static void test_not_back_through_the_inverse(void **state)
{
    (void) state;
    api_reply *r = GET(S("/api/%s/1?include=books", R("genres")));
    EXPECT_STATUS(r, 200);
    const json_t *book = json_array_get(jget(r->body, "books"), 0);
    assert_string_equal(jstr(book, "title"), "Dune");
    assert_null(json_object_get(book, "genres"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_default_selectin),
        cmocka_unit_test(test_not_back_through_the_inverse),
    };
    return cmocka_run_group_tests_name("api_nested", tests, group_setup, group_teardown);
}
