/*
 * The command line: help everywhere, `retort check` on good and bad
 * configuration files, environment overrides seen by check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testsupport.h"

#ifndef RETORT_BINARY_PATH
#define RETORT_BINARY_PATH RETORT_SOURCE_DIR "/build/retort"
#endif

static char output[65536];

/* Runs retort with args (a shell fragment), capturing stdout+stderr. */
static int run(const char *env, const char *args)
{
    char path[] = "/tmp/retort-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    int rc = ts_system("%s %s %s >%s 2>&1", env ? env : "", RETORT_BINARY_PATH, args, path);
    FILE *f = fopen(path, "r");
    size_t n = fread(output, 1, sizeof output - 1, f);
    output[n] = '\0';
    fclose(f);
    unlink(path);
    return rc;
}

static const char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/retort-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return path;
}

static void test_help(void **state)
{
    (void) state;
    assert_int_equal(run(NULL, "--help"), 0);
    assert_non_null(strstr(output, "serve"));
    assert_non_null(strstr(output, "check"));
    assert_int_equal(run(NULL, "serve --help"), 0);
    assert_non_null(strstr(output, "Usage: retort serve"));
    assert_int_equal(run(NULL, "check --help"), 0);
    assert_non_null(strstr(output, "Usage: retort check"));
    assert_int_equal(run(NULL, ""), 2);
    assert_int_equal(run(NULL, "frobnicate"), 2);
    assert_non_null(strstr(output, "unknown command"));
    assert_int_equal(run(NULL, "check"), 2);
    assert_non_null(strstr(output, "-c CONFIG"));
}

/* One version, from CMake's project(VERSION): the command line prints it
 * as "retort X.Y.Z" (also GET /health and retort_build_info). */
static void test_version(void **state)
{
    (void) state;
    assert_int_equal(run(NULL, "--version"), 0);
    assert_string_equal(output, "retort " RETORT_EXPECTED_VERSION "\n");
    assert_int_equal(run(NULL, "version"), 0);
    assert_string_equal(output, "retort " RETORT_EXPECTED_VERSION "\n");
    assert_int_equal(run(NULL, "--help"), 0);
    assert_non_null(strstr(output, "--version"));
}

static void test_check_good(void **state)
{
    (void) state;
    assert_int_equal(run(NULL, "check -c " RETORT_SOURCE_DIR "/config/retort.json"), 0);
    assert_non_null(strstr(output, "ok (2 models)"));
}

static void test_check_bad(void **state)
{
    (void) state;
    const char *path = write_temp("{\"server\": {\"prot\": 1, \"port\": \"x\"},"
                                  " \"database\": {\"pool_size\": -1}}");
    char args[128];
    snprintf(args, sizeof args, "check -c %s", path);
    assert_int_equal(run(NULL, args), 1);
    assert_non_null(strstr(output, "/server/prot"));
    assert_non_null(strstr(output, "/server/port"));
    assert_non_null(strstr(output, "/database/pool_size"));
    unlink(path);

    assert_int_equal(run(NULL, "check -c /nonexistent/retort.json"), 1);
    assert_non_null(strstr(output, "/nonexistent/retort.json"));

    /* The environment is validated like the file. */
    assert_int_equal(run("RETORT_SERVER_PORT=notaport",
                         "check -c " RETORT_SOURCE_DIR "/config/retort.json"),
                     1);
    assert_non_null(strstr(output, "RETORT_SERVER_PORT"));
}

/* A permission's "rows" is checked against its model when the config is
 * loaded: names, operators and claim references, each at its pointer;
 * claims stand for any value (their type is the token's). */
static const char *rows_config(const char *rows)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "{\"database\": {\"url\": \"postgresql://x@127.0.0.1:1/x\"},"
             " \"auth\": {\"anonymous_role\": \"anon\", \"admin_roles\": [\"admin\"]},"
             " \"models\": {\"Item\": {\"table\": \"items\", \"columns\": {"
             "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
             "   \"owner\": {\"type\": \"string\", \"length\": 20},"
             "   \"parent_id\": {\"type\": \"integer\", \"references\": \"items.id\"}},"
             "  \"relationships\": {\"parent\": {\"target\": \"Item\", \"kind\": \"many_to_one\","
             "   \"foreign_key\": \"parent_id\"}},"
             "  \"permissions\": {\"anon\": {\"operations\": [\"list\"], \"rows\": %s}}}}}",
             rows);
    return write_temp(text);
}

static void test_check_row_filters(void **state)
{
    (void) state;
    char args[128];
    const char *good = rows_config(
        "{\"owner\": {\"$claim\": \"sub\"}, \"or\": [{\"owner\": {\"in\": {\"$claim\": \"g\"}}},"
        " {\"id\": {\"in\": [1, {\"$claim\": \"n\"}]}}, {\"owner\": {\"like\": {\"$claim\": \"p\"}}},"
        " {\"parent\": {\"has\": {\"owner\": {\"$claim\": \"sub\"}}}}]}");
    snprintf(args, sizeof args, "check -c %s", good);
    if (run(NULL, args) != 0)
        fail_msg("a good row filter is refused: %s", output);
    unlink(good);

    const char *bad = rows_config(
        "{\"ownr\": {\"$claim\": \"sub\"}, \"owner\": {\"$claim\": 5}, \"id\": {\"gt\": \"abc\","
        " \"like_x\": 1}, \"parent\": {\"any\": {\"id\": 1}}}");
    snprintf(args, sizeof args, "check -c %s", bad);
    assert_int_equal(run(NULL, args), 1);
    const char *want[] = {"a row filter (\"rows\") does not fit its model",
                          "/models/Item/permissions/anon/rows/ownr: Unknown field \"ownr\"",
                          "/models/Item/permissions/anon/rows/owner/$claim: A claim",
                          "/models/Item/permissions/anon/rows/id/gt:",
                          "/models/Item/permissions/anon/rows/id/like_x: Unknown operator",
                          "/models/Item/permissions/anon/rows/parent"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(output, want[i]))
            fail_msg("check does not say \"%s\":\n%s", want[i], output);
    /* serve refuses it too, before it listens. */
    snprintf(args, sizeof args, "serve -c %s", bad);
    assert_int_equal(run(NULL, args), 1);
    assert_non_null(strstr(output, "/models/Item/permissions/anon/rows/ownr"));
    unlink(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_check_good),
        cmocka_unit_test(test_check_bad),
        cmocka_unit_test(test_check_row_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
