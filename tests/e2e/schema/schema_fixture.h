/*
 * schema_fixture — what the tests of src/schema share: databases of their
 * own (created next to the shared test database, so they can be dropped
 * and recreated freely), the retort binary run as a command, and config
 * files pointing at those databases.
 */
#ifndef RETORT_SCHEMA_FIXTURE_H
#define RETORT_SCHEMA_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testsupport.h"

/* The shared test database's URL with its database name replaced. In a. */
static inline const char *sf_db_url(arena *a, const char *db)
{
    const char *base = ts_database_url();
    const char *slash = strrchr(base, '/');
    const char *query = strchr(slash, '?');
    return arena_sprintf(a, "%.*s/%s%s", (int) (slash - base), base, db, query ? query : "");
}

/* Drops and creates database db (empty). */
static inline void sf_fresh_db(arena *a, const char *db)
{
    /* CREATE DATABASE cannot run in a multi-statement transaction: two calls. */
    assert_int_equal(
        ts_psql(ts_database_url(),
                arena_sprintf(a, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db)),
        0);
    assert_int_equal(ts_psql(ts_database_url(), arena_sprintf(a, "CREATE DATABASE \"%s\"", db)), 0);
}

/* Drops and creates database db, then runs sql in it: 0, or -1 with
 * psql's complaint on stderr (for group setups). */
static inline int sf_db_with(arena *a, const char *db, const char *sql)
{
    sf_fresh_db(a, db);
    const char *errors = NULL;
    if (ts_psql_capture(a, sf_db_url(a, db), sql, NULL, &errors) != 0) {
        fprintf(stderr, "psql: %s\n", errors ? errors : "?");
        return -1;
    }
    return 0;
}

/* Drops database db (group teardowns). */
static inline void sf_drop_db(arena *a, const char *db)
{
    ts_psql(ts_database_url(), arena_sprintf(a, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db));
}

/* Runs SQL from a file of the source tree in db. */
static inline void sf_load_sql(arena *a, const char *db, const char *relative)
{
    size_t len;
    char *sql = ts_read_file(a, ts_source_path(a, relative), &len);
    assert_non_null(sql);
    const char *errors = NULL;
    int rc = ts_psql_capture(a, sf_db_url(a, db), sql, NULL, &errors);
    if (rc != 0)
        fprintf(stderr, "psql: %s\n", errors ? errors : "?");
    assert_int_equal(rc, 0);
}

/* A temporary file with text; its path lives in a. */
static inline const char *sf_write_temp(arena *a, const char *text)
{
    char *path = arena_strdup(a, "/tmp/retort-schema-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

/* Runs `retort ARGS` with the environment prefix env (may be NULL);
 * stdout into *out, stderr into *errors (both in a); returns the exit
 * status. */
static inline int sf_run(arena *a, const char *env, const char *args, const char **out,
                         const char **errors)
{
    const char *o = sf_write_temp(a, ""), *e = sf_write_temp(a, "");
    int rc = ts_system("%s %s %s >%s 2>%s", env ? env : "", RETORT_BINARY_PATH, args, o, e);
    size_t n;
    if (out)
        *out = ts_read_file(a, o, &n);
    if (errors)
        *errors = ts_read_file(a, e, &n);
    unlink(o);
    unlink(e);
    return rc;
}

/* A config file for db with the given extra top-level members (JSON
 * text without braces, may be empty). */
static inline const char *sf_config(arena *a, const char *db, const char *members)
{
    return sf_write_temp(
        a, arena_sprintf(a, "{\"database\": {\"url\": \"%s\", \"pool_size\": 2}%s%s}",
                         sf_db_url(a, db), members && *members ? ", " : "", members ? members : ""));
}

#endif
