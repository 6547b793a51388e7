/*
 * test_diff — `retort schema diff` on a database changed behind the
 * models' back in ten ways (table missing and extra, column missing and
 * extra, type, nullability, default, unique key, foreign key and its
 * index, CHECK, enum label): each change is found, destructive steps are
 * marked, the exit status is 3, and applying the printed script makes the
 * next diff empty (exit 0).
 */
#include "schema_fixture.h"

static const char *const DB = "retort_diff";

static const char *models(arena *a, bool archived)
{
    return arena_sprintf(
        a,
        "\"models\": {"
        " \"Author\": {\"table\": \"authors\", \"columns\": {"
        "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
        "   \"name\": {\"type\": \"string\", \"length\": 100, \"nullable\": false},"
        "   \"email\": {\"type\": \"string\", \"length\": 200, \"unique\": true},"
        "   \"bio\": {\"type\": \"text\"}}},"
        " \"Book\": {\"table\": \"books\", \"columns\": {"
        "   \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
        "   \"author_id\": {\"type\": \"integer\", \"nullable\": false, \"references\": "
        "\"authors.id\"},"
        "   \"title\": {\"type\": \"text\", \"nullable\": false},"
        "   \"status\": {\"type\": \"enum\", \"enum\": \"book_status\", \"choices\": [\"draft\", "
        "\"published\"%s], \"default\": \"draft\"},"
        "   \"pages\": {\"type\": \"integer\", \"default\": 0},"
        "   \"tags\": {\"type\": \"text[]\"}},"
        "  \"checks\": {\"books_pages_check\": \"pages >= 0\"}},"
        " \"Tag\": {\"table\": \"tags\", \"columns\": {"
        "   \"label\": {\"type\": \"string\", \"length\": 40, \"primary_key\": true}}}}",
        archived ? ", \"archived\"" : "");
}

static int diff(arena *a, const char *cfg, const char **out)
{
    const char *errors;
    int rc = sf_run(a, NULL, arena_sprintf(a, "schema diff -c %s", cfg), out, &errors);
    if (rc != 0 && rc != 3)
        fprintf(stderr, "schema diff: %s\n", errors);
    return rc;
}

static void expect_line(const char *out, const char *line)
{
    if (!strstr(out, line)) {
        fprintf(stderr, "missing from the diff: %s\n--- diff ---\n%s\n", line, out);
        fail();
    }
}

static void test_ten_kinds_of_change(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    sf_fresh_db(a, DB);
    const char *cfg = sf_config(a, DB, models(a, false));
    const char *out, *errors;
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "schema create -c %s", cfg), &out, &errors),
                     0);
    assert_int_equal(diff(a, cfg, &out), 0);
    assert_string_equal(out, "");

    assert_int_equal(
        ts_psql(sf_db_url(a, DB),
                "DROP TABLE tags;"
                "CREATE TABLE legacy (id integer PRIMARY KEY);"
                "ALTER TABLE authors DROP COLUMN bio;"
                "ALTER TABLE authors ADD COLUMN nickname text;"
                "ALTER TABLE authors ALTER COLUMN name TYPE varchar(50);"
                "ALTER TABLE books ALTER COLUMN title DROP NOT NULL;"
                "ALTER TABLE books ALTER COLUMN pages SET DEFAULT 5;"
                "ALTER TABLE authors DROP CONSTRAINT authors_email_key;"
                "ALTER TABLE books DROP CONSTRAINT books_author_id_fkey;"
                "DROP INDEX books_author_id_idx;"
                "ALTER TABLE books DROP CONSTRAINT books_pages_check;"
                "ALTER TABLE books ALTER COLUMN tags TYPE integer[] USING NULL"),
        0);
    const char *cfg2 = sf_config(a, DB, models(a, true)); /* adds an enum label */
    assert_int_equal(diff(a, cfg2, &out), 3);
    expect_line(out, "ALTER TYPE \"book_status\" ADD VALUE IF NOT EXISTS 'archived';");
    expect_line(out, "CREATE TABLE IF NOT EXISTS \"tags\" (");
    expect_line(out, "-- destructive: drops table \"legacy\" and its data\nDROP TABLE \"legacy\";");
    expect_line(out, "ALTER TABLE \"authors\" ADD COLUMN \"bio\" text;");
    expect_line(out, "-- destructive: drops column \"authors\".\"nickname\" and its data\n"
                     "ALTER TABLE \"authors\" DROP COLUMN \"nickname\";");
    expect_line(out, "-- destructive: changes the type of \"authors\".\"name\" from character "
                     "varying(50) to varchar(100)\n"
                     "ALTER TABLE \"authors\" ALTER COLUMN \"name\" TYPE varchar(100) USING "
                     "\"name\"::varchar(100);");
    expect_line(out, "ALTER TABLE \"books\" ALTER COLUMN \"title\" SET NOT NULL;");
    expect_line(out, "ALTER TABLE \"books\" ALTER COLUMN \"pages\" SET DEFAULT 0;");
    expect_line(out, "ALTER TABLE \"authors\" ADD CONSTRAINT \"authors_email_key\" UNIQUE "
                     "(\"email\");");
    expect_line(out, "ALTER TABLE \"books\" ADD CONSTRAINT \"books_author_id_fkey\" FOREIGN KEY "
                     "(\"author_id\") REFERENCES \"authors\" (\"id\");");
    expect_line(out, "CREATE INDEX IF NOT EXISTS \"books_author_id_idx\" ON \"books\" "
                     "(\"author_id\");");
    expect_line(out, "ALTER TABLE \"books\" ADD CONSTRAINT \"books_pages_check\" CHECK (pages >= "
                     "0);");
    expect_line(out, "-- destructive: changes the type of \"books\".\"tags\" from integer[] to "
                     "text[]");
    /* nothing else: every statement is one of the above */
    size_t statements = 0;
    for (const char *p = out; (p = strchr(p, ';')); p++)
        statements++;
    assert_int_equal(statements, 13);

    /* applying the script makes the database match */
    assert_int_equal(ts_psql(sf_db_url(a, DB), out), 0);
    assert_int_equal(diff(a, cfg2, &out), 0);
    assert_string_equal(out, "");
    arena_destroy(a);
}

/* Excluded tables are not the models' business. */
static void test_excluded_tables_stay(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    const char *cfg = sf_config(a, DB,
                                arena_sprintf(a, "\"reflect\": {\"exclude\": [\"audit\"]}, %s",
                                              "\"models\": {}"));
    assert_int_equal(ts_psql(sf_db_url(a, DB), "CREATE TABLE audit (id integer PRIMARY KEY)"),
                     0);
    const char *out;
    /* reflect on: every reflected table is a model, "audit" is excluded */
    assert_int_equal(diff(a, cfg, &out), 0);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_kinds_of_change),
        cmocka_unit_test(test_excluded_tables_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
