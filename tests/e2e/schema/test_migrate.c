/*
 * test_migrate — `retort migrate new|up|status` with numbered files in a
 * folder (--dir): up from an empty database, up from a half-migrated one
 * (only the pending files run), a failing file rolled back whole and left
 * pending, and "nothing to do" when the database matches.
 */
#include <sys/stat.h>

#include "schema_fixture.h"

static const char *const AUTHORS =
    "\"Author\": {\"table\": \"authors\", \"columns\": {"
    " \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    " \"name\": {\"type\": \"string\", \"length\": 100, \"nullable\": false}}}";
static const char *const BOOKS =
    "\"Book\": {\"table\": \"books\", \"columns\": {"
    " \"id\": {\"type\": \"integer\", \"primary_key\": true, \"autoincrement\": true},"
    " \"author_id\": {\"type\": \"integer\", \"references\": \"authors.id\"},"
    " \"title\": {\"type\": \"text\", \"nullable\": false, \"default\": \"untitled\"}}}";

static int run(arena *a, const char *args, const char **out)
{
    const char *errors;
    int rc = sf_run(a, NULL, args, out, &errors);
    if (rc != 0)
        fprintf(stderr, "retort %s: %s%s\n", args, *out, errors);
    return rc;
}

static const char *temp_dir(arena *a)
{
    char *d = arena_strdup(a, "/tmp/retort-migrations-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void test_new_up_status(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    const char *db = "retort_migrate", *dir = temp_dir(a);
    sf_fresh_db(a, db);
    const char *v1 = sf_config(a, db, arena_sprintf(a, "\"models\": {%s}", AUTHORS));
    const char *v2 = sf_config(a, db, arena_sprintf(a, "\"models\": {%s, %s}", AUTHORS, BOOKS));
    const char *out;

    /* from an empty database */
    assert_int_equal(run(a, arena_sprintf(a, "migrate new init -c %s --dir %s", v1, dir), &out), 0);
    assert_non_null(strstr(out, "0001_init.sql"));
    assert_int_equal(run(a, arena_sprintf(a, "migrate status -c %s --dir %s", v1, dir), &out), 0);
    assert_string_equal(out, "pending  0001_init.sql\n");
    assert_int_equal(run(a, arena_sprintf(a, "migrate up -c %s --dir %s", v1, dir), &out), 0);
    assert_non_null(strstr(out, "applied 0001_init.sql"));
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "schema diff -c %s", v1), &out, NULL), 0);
    assert_int_equal(run(a, arena_sprintf(a, "migrate new again -c %s --dir %s", v1, dir), &out), 0);
    assert_non_null(strstr(out, "nothing to do"));

    /* the next model */
    assert_int_equal(run(a, arena_sprintf(a, "migrate new books -c %s --dir %s", v2, dir), &out),
                     0);
    assert_non_null(strstr(out, "0002_books.sql"));
    size_t len;
    const char *file = ts_read_file(a, arena_sprintf(a, "%s/0002_books.sql", dir), &len);
    assert_non_null(strstr(file, "CREATE TABLE IF NOT EXISTS \"books\""));
    assert_non_null(strstr(file, "DEFAULT 'untitled'"));
    assert_int_equal(run(a, arena_sprintf(a, "migrate status -c %s --dir %s", v2, dir), &out), 0);
    assert_string_equal(out, "applied  0001_init.sql\npending  0002_books.sql\n");
    assert_int_equal(run(a, arena_sprintf(a, "migrate up -c %s --dir %s", v2, dir), &out), 0);
    assert_null(strstr(out, "0001_init.sql"));
    assert_non_null(strstr(out, "applied 0002_books.sql"));
    assert_non_null(strstr(out, "1 migration applied"));
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "schema diff -c %s", v2), &out, NULL), 0);

    /* a second database, half-migrated by hand: only 0002 is pending */
    const char *db2 = "retort_migrate_half";
    sf_fresh_db(a, db2);
    const char *half = sf_config(a, db2, arena_sprintf(a, "\"models\": {%s, %s}", AUTHORS, BOOKS));
    const char *sql = ts_read_file(a, arena_sprintf(a, "%s/0001_init.sql", dir), &len);
    assert_int_equal(ts_psql(sf_db_url(a, db2), sql), 0);
    assert_int_equal(ts_psql(sf_db_url(a, db2),
                             "CREATE TABLE retort_migrations (version text PRIMARY KEY, name text "
                             "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
                             "INSERT INTO retort_migrations (version, name) VALUES ('0001', "
                             "'init')"),
                     0);
    assert_int_equal(run(a, arena_sprintf(a, "migrate up -c %s --dir %s", half, dir), &out), 0);
    assert_string_equal(out, "applied 0002_books.sql\n1 migration applied\n");
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "schema diff -c %s", half), &out, NULL), 0);

    /* a failing file: rolled back whole, left pending, the next one not run */
    const char *bad = arena_sprintf(a, "%s/0003_bad.sql", dir);
    FILE *f = fopen(bad, "w");
    fputs("ALTER TABLE authors ADD COLUMN x integer;\nSELECT 1 / 0;\n", f);
    fclose(f);
    f = fopen(arena_sprintf(a, "%s/0004_after.sql", dir), "w");
    fputs("ALTER TABLE authors ADD COLUMN y integer;\n", f);
    fclose(f);
    const char *errors;
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "migrate up -c %s --dir %s", v2, dir), &out,
                            &errors),
                     1);
    assert_non_null(strstr(out, "failed 0003_bad.sql (rolled back)"));
    const char *cols;
    assert_int_equal(ts_psql_capture(a, sf_db_url(a, db),
                                     "SELECT count(*) FROM information_schema.columns WHERE "
                                     "table_name = 'authors' AND column_name IN ('x', 'y')",
                                     &cols, NULL),
                     0);
    assert_string_equal(cols, "0");
    assert_int_equal(run(a, arena_sprintf(a, "migrate status -c %s --dir %s", v2, dir), &out), 0);
    assert_string_equal(out, "applied  0001_init.sql\napplied  0002_books.sql\n"
                             "pending  0003_bad.sql\npending  0004_after.sql\n");
    ts_system("rm -rf %s", dir);
    arena_destroy(a);
}

static void test_bad_usage(void **state)
{
    (void) state;
    arena *a = arena_create(NULL, "t");
    const char *cfg = sf_config(a, "retort_migrate", "");
    const char *out, *errors;
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "migrate -c %s", cfg), &out, &errors), 2);
    assert_int_equal(sf_run(a, NULL, arena_sprintf(a, "migrate new -c %s", cfg), &out, &errors), 2);
    assert_int_equal(
        sf_run(a, NULL, arena_sprintf(a, "migrate new 'a b' -c %s --dir /tmp/x", cfg), &out,
               &errors),
        1);
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_up_status),
        cmocka_unit_test(test_bad_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
