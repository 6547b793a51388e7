/*
 * test_cfg — the configuration loader (src/config): the sample file,
 * defaults, every kind of bad file (with the exact JSON pointer, and every
 * problem collected), environment overrides and their precedence, and
 * models with relationships, including many_to_many through an
 * association model with a composite key.
 *
 * Documents are written with single quotes for readability; doc() turns
 * them into JSON. Every test passes its own environment, so the process
 * environment never leaks in (except the one test about it).
 */
#include <sched.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "testsupport.h"

typedef struct fixture {
    arena *a;
    err_report err;
} fixture;

static char *NOENV[] = {NULL};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_cfg");
    err_init(&f->err, f->a);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_destroy(f->a);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static cfg_config *load_env(fixture *f, const char *single_quoted, char **envp)
{
    return cfg_load_string(f->a, ts_dquote(f->a, single_quoted), "test.json", envp, &f->err);
}

static cfg_config *load(fixture *f, const char *single_quoted)
{
    return load_env(f, single_quoted, NOENV);
}

static void print_items(const err_report *err)
{
    for (size_t i = 0; i < err->n_items; i++)
        print_message("  item %zu: %s: %s\n", i,
                      err->items[i].pointer ? err->items[i].pointer : "(none)",
                      err->items[i].detail ? err->items[i].detail : "(none)");
}

/* The item at pointer (exact), or fails the test listing all items. */
static const err_item *item_at(const err_report *err, const char *pointer)
{
    for (size_t i = 0; i < err->n_items; i++) {
        const char *p = err->items[i].pointer;
        if ((p == NULL && pointer == NULL) || (p && pointer && strcmp(p, pointer) == 0))
            return &err->items[i];
    }
    print_message("no item at %s among:\n", pointer ? pointer : "(none)");
    print_items(err);
    fail();
    return NULL;
}

/* Asserts an item at pointer whose detail contains text. */
static void expect_item(const err_report *err, const char *pointer, const char *text)
{
    const err_item *it = item_at(err, pointer);
    if (text && (!it->detail || !strstr(it->detail, text))) {
        print_message("item at %s: \"%s\" lacks \"%s\"\n", pointer, it->detail, text);
        fail();
    }
}

static void expect_items(const err_report *err, size_t n)
{
    if (err->n_items != n) {
        print_message("expected %zu items, got %zu:\n", n, err->n_items);
        print_items(err);
    }
    assert_int_equal(err->n_items, n);
    if (n > 0) {
        assert_int_equal(err->kind, ERR_CONFIG);
    }
}

/* Loads a document that must fail with exactly n problems. */
static void load_fails(fixture *f, const char *single_quoted, size_t n)
{
    cfg_config *c = load(f, single_quoted);
    if (c) {
        print_message("the document loaded but should not have\n");
        fail();
    }
    expect_items(&f->err, n);
}

static cfg_config *load_ok(fixture *f, const char *single_quoted, char **envp)
{
    cfg_config *c = load_env(f, single_quoted, envp);
    if (!c) {
        print_message("the document did not load:\n");
        print_items(&f->err);
        fail();
    }
    assert_int_equal(f->err.kind, ERR_NONE);
    return c;
}

/* A users/orders pair like the sample, as a base for relationship tests.
 * %s slots: User's relationship spec, Order's relationship spec. */
static const char *users_orders(fixture *f, const char *user_rel, const char *order_rel)
{
    return arena_sprintf(f->a,
                         "{'models': {"
                         " 'User': {'table': 'users', 'columns': {"
                         "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
                         "   'email': {'type': 'string', 'length': 255, 'unique': true}},"
                         "  'relationships': {'orders': %s}},"
                         " 'Order': {'table': 'orders', 'columns': {"
                         "   'id': {'type': 'integer', 'primary_key': true},"
                         "   'user_id': {'type': 'integer', 'references': 'users.id'},"
                         "   'note': {'type': 'text'},"
                         "   'created_at': {'type': 'timestamptz'}},"
                         "  'relationships': {'user': %s}}}}",
                         user_rel, order_rel);
}

static const char *USER_ORDERS_OK =
    "{'target': 'Order', 'kind': 'one_to_many', 'foreign_key': 'user_id',"
    " 'back_populates': 'user', 'order_by': '-created_at'}";
static const char *ORDER_USER_OK =
    "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id',"
    " 'back_populates': 'orders'}";

/* ---- the sample file and defaults ----------------------------------------------- */

/* Threads and pool size default from the CPUs the process may use. */
static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return (int) sysconf(_SC_NPROCESSORS_ONLN);
}

static void test_sample_config(void **state)
{
    fixture *f = *state;
    const char *path = RETORT_SOURCE_DIR "/config/retort.json";
    cfg_config *c = cfg_load(f->a, path, NOENV, &f->err);
    if (!c)
        print_items(&f->err);
    assert_non_null(c);
    assert_string_equal(c->path, path);

    assert_string_equal(c->database.url, "postgresql://postgres@127.0.0.1:5432/retort");
    assert_int_equal(c->database.pool_size, 4 * usable_cpus());
    assert_int_equal(c->database.max_overflow, 20);
    assert_true(c->database.pool_timeout == 30.0);
    assert_true(c->database.pool_recycle == 1800.0);
    assert_true(c->database.pool_pre_ping);
    assert_int_equal(c->database.statement_timeout_ms, 5000);
    assert_string_equal(c->database.isolation_level, "READ COMMITTED");
    assert_true(c->database.prepared_statements);
    assert_int_equal(c->database.connect_timeout, 5);

    assert_string_equal(c->server.host, "127.0.0.1");
    assert_int_equal(c->server.port, 8080);
    assert_int_equal(c->server.io_threads, usable_cpus());
    assert_int_equal(c->server.workers, 32 * usable_cpus());
    assert_int_equal(c->server.queue_depth, 1024);
    assert_int_equal(c->server.max_body_bytes, 1048576);
    assert_int_equal(c->server.max_limit, 1000);
    assert_int_equal(c->server.default_limit, 100);
    assert_false(c->server.debug_headers);
    assert_true(c->server.access_log);
    assert_null(c->server.docs_dir);

    assert_false(c->session.expire_on_commit);
    assert_true(c->session.autoflush);
    assert_int_equal(c->session.retry_attempts, 3);
    assert_int_equal(c->session.retry_backoff_ms, 10);
    assert_false(c->reflect.enabled);

    assert_int_equal(c->n_models, 2);
    const cfg_model *user = &c->models[0], *order = &c->models[1];
    assert_string_equal(user->name, "User");
    assert_string_equal(user->table, "users");
    assert_int_equal(user->n_columns, 4);
    const char *user_cols[] = {"id", "email", "name", "created_at"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(user->columns[i].name, user_cols[i]);
    const cfg_column *id = &user->columns[0];
    assert_int_equal(id->type, CFG_TYPE_UUID);
    assert_true(id->primary_key);
    assert_false(id->nullable);
    assert_string_equal(id->server_default, "gen_random_uuid()");
    assert_int_equal(user->n_pk, 1);
    assert_int_equal(user->pk[0], 0);
    const cfg_column *email = &user->columns[1];
    assert_int_equal(email->type, CFG_TYPE_STRING);
    assert_int_equal(email->length, 255);
    assert_true(email->unique);
    assert_false(email->nullable);
    assert_true(user->columns[2].nullable);
    assert_null(user->version_column);

    assert_int_equal(user->n_relationships, 1);
    const cfg_relationship *orders = &user->relationships[0];
    assert_string_equal(orders->name, "orders");
    assert_int_equal(orders->kind, CFG_REL_ONE_TO_MANY);
    assert_ptr_equal(orders->target, order);
    assert_string_equal(orders->foreign_key, "user_id");
    assert_string_equal(orders->back_populates, "user");
    assert_int_equal(orders->lazy, CFG_LOAD_RAISE);
    assert_string_equal(orders->order_by, "created_at");
    assert_ptr_equal(orders->inverse, &order->relationships[0]);

    assert_string_equal(order->table, "orders");
    assert_string_equal(order->version_column, "version");
    const cfg_column *user_id = cfg_column_by_name(order, "user_id");
    assert_non_null(user_id);
    assert_string_equal(user_id->references, "users.id");
    assert_ptr_equal(user_id->ref_model, user);
    assert_ptr_equal(user_id->ref_column, id);
    assert_false(user_id->nullable);
    const cfg_column *total = cfg_column_by_name(order, "total");
    assert_int_equal(total->type, CFG_TYPE_NUMERIC);
    assert_int_equal(total->precision, 12);
    assert_int_equal(total->scale, 2);
    const cfg_column *status = cfg_column_by_name(order, "status");
    assert_string_equal(status->default_json, "\"pending\"");
    assert_int_equal(status->n_choices, 4);
    assert_string_equal(status->choices[0], "pending");
    assert_string_equal(status->choices[3], "cancelled");
    assert_null(status->choices[4]);
    assert_string_equal(cfg_column_by_name(order, "version")->default_json, "1");

    const cfg_relationship *u = &order->relationships[0];
    assert_int_equal(u->kind, CFG_REL_MANY_TO_ONE);
    assert_ptr_equal(u->target, user);
    assert_ptr_equal(u->inverse, orders);
    assert_int_equal(u->lazy, CFG_LOAD_RAISE);
    assert_null(u->order_by);
}

static void expect_defaults(const cfg_config *c)
{
    assert_string_equal(c->database.url, "postgresql://postgres@127.0.0.1:5432/retort");
    assert_int_equal(c->database.pool_size, 4 * usable_cpus());
    assert_int_equal(c->database.max_overflow, 20);
    assert_true(c->database.pool_timeout == 30.0);
    assert_true(c->database.pool_recycle == 1800.0);
    assert_true(c->database.pool_pre_ping);
    assert_int_equal(c->database.statement_timeout_ms, 5000);
    assert_string_equal(c->database.isolation_level, "READ COMMITTED");
    assert_true(c->database.prepared_statements);
    assert_int_equal(c->database.connect_timeout, 5);
    assert_string_equal(c->server.host, "127.0.0.1");
    assert_int_equal(c->server.port, 8080);
    assert_int_equal(c->server.io_threads, usable_cpus());
    assert_int_equal(c->server.workers, 32 * usable_cpus());
    assert_int_equal(c->server.queue_depth, 1024);
    assert_int_equal(c->server.max_body_bytes, 1048576);
    assert_int_equal(c->server.max_limit, 1000);
    assert_int_equal(c->server.default_limit, 100);
    assert_false(c->server.debug_headers);
    assert_true(c->server.access_log);
    assert_null(c->server.docs_dir);
    assert_false(c->session.expire_on_commit);
    assert_true(c->session.autoflush);
    assert_int_equal(c->session.retry_attempts, 3);
    assert_int_equal(c->session.retry_backoff_ms, 10);
    assert_false(c->reflect.enabled);
    assert_int_equal(c->n_models, 0);
    assert_null(c->models);
    assert_null(c->path);
}

static void test_defaults(void **state)
{
    fixture *f = *state;
    expect_defaults(cfg_default(f->a));
    expect_defaults(load_ok(f, "{}", NOENV));
    expect_defaults(
        load_ok(f, "{'database': {}, 'server': {}, 'session': {}, 'models': {}}", NOENV));
}

static void test_all_settings_from_file(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(
        f,
        "{'database': {'url': 'postgresql://x@db/y', 'pool_size': 3, 'max_overflow': 0,"
        "  'pool_timeout': 2.5, 'pool_recycle': -1, 'pool_pre_ping': false,"
        "  'statement_timeout_ms': 0, 'isolation_level': 'serializable',"
        "  'prepared_statements': false, 'connect_timeout': 9},"
        " 'server': {'host': '127.0.0.1', 'port': 1, 'io_threads': 4, 'workers': 8,"
        "  'queue_depth': 7, 'max_body_bytes': 5000000000, 'max_limit': 50, 'default_limit': 50,"
        "  'debug_headers': true, 'access_log': false, 'docs_dir': '/srv/docs'},"
        " 'session': {'expire_on_commit': true, 'autoflush': false, 'retry_attempts': 0,"
        "  'retry_backoff_ms': 250},"
        " 'reflect': true}",
        NOENV);
    assert_string_equal(c->database.url, "postgresql://x@db/y");
    assert_int_equal(c->database.pool_size, 3);
    assert_int_equal(c->database.max_overflow, 0);
    assert_true(c->database.pool_timeout == 2.5);
    assert_true(c->database.pool_recycle == -1.0);
    assert_false(c->database.pool_pre_ping);
    assert_int_equal(c->database.statement_timeout_ms, 0);
    assert_string_equal(c->database.isolation_level, "SERIALIZABLE");
    assert_false(c->database.prepared_statements);
    assert_int_equal(c->database.connect_timeout, 9);
    assert_string_equal(c->server.host, "127.0.0.1");
    assert_int_equal(c->server.port, 1);
    assert_int_equal(c->server.io_threads, 4);
    assert_int_equal(c->server.workers, 8);
    assert_int_equal(c->server.queue_depth, 7);
    assert_true(c->server.max_body_bytes == (size_t) 5000000000LL);
    assert_int_equal(c->server.max_limit, 50);
    assert_int_equal(c->server.default_limit, 50);
    assert_true(c->server.debug_headers);
    assert_false(c->server.access_log);
    assert_string_equal(c->server.docs_dir, "/srv/docs");
    assert_true(c->session.expire_on_commit);
    assert_false(c->session.autoflush);
    assert_int_equal(c->session.retry_attempts, 0);
    assert_int_equal(c->session.retry_backoff_ms, 250);
    assert_true(c->reflect.enabled);
}

/* ---- bad files ---------------------------------------------------------------------- */

static void test_unknown_keys_at_every_level(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'databse': {}, 'database': {'pool_sise': 1}, 'server': {'prot': 80},"
               " 'session': {'autoflsh': true},"
               " 'models': {'User': {'table': 'users', 'colour': 'red',"
               "   'columns': {'id': {'type': 'integer', 'primary': true, 'primary_key': true}},"
               "   'relationships': {}}},"
               " 'models2': 1}",
               7);
    expect_item(&f->err, "/databse", "unknown key \"databse\"");
    expect_item(&f->err, "/database/pool_sise", "pool_sise");
    expect_item(&f->err, "/server/prot", "did you mean \"port\"?");
    expect_item(&f->err, "/database/pool_sise", "did you mean \"pool_size\"?");
    expect_item(&f->err, "/session/autoflsh", NULL);
    expect_item(&f->err, "/models/User/colour", NULL);
    expect_item(&f->err, "/models/User/columns/id/primary", NULL);
    expect_item(&f->err, "/models2", "did you mean \"models\"?");
    expect_item(&f->err, "/models/User/colour", "unknown key \"colour\"");
    /* no hint when nothing is close */
    assert_null(strstr(item_at(&f->err, "/models/User/colour")->detail, "did you mean"));
    /* the column name with / and ~ is invalid: reported with an escaped pointer */
    err_init(&f->err, f->a);
    load_fails(f,
               "{'models': {'User': {'table': 'users', 'columns': {"
               " 'id': {'type': 'integer', 'primary_key': true},"
               " 'a/b~c': {'type': 'text'}}}}}",
               1);
    expect_item(&f->err, "/models/User/columns/a~1b~0c", "not a valid name");
}

static void test_unknown_relationship_key(void **state)
{
    fixture *f = *state;
    load_fails(f,
               users_orders(f,
                            "{'target': 'Order', 'kind': 'one_to_many', 'foreign_key': "
                            "'user_id', 'lazzy': 'select'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id'}"),
               1);
    expect_item(&f->err, "/models/User/relationships/orders/lazzy", "unknown key");
}

static void test_wrong_types(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'database': {'pool_size': '10', 'pool_timeout': '30', 'url': 5},"
               " 'server': {'debug_headers': 'yes', 'docs_dir': 5, 'port': 80.0},"
               " 'session': {'retry_attempts': 1.5},"
               " 'reflect': 'no'}",
               8);
    expect_item(&f->err, "/database/pool_size", "must be an integer, got a string");
    expect_item(&f->err, "/database/pool_timeout", "number of seconds");
    expect_item(&f->err, "/database/url", "must be a string, got an integer");
    expect_item(&f->err, "/server/debug_headers", "must be a boolean");
    expect_item(&f->err, "/server/docs_dir", "a string or null");
    expect_item(&f->err, "/server/port", "got a real number");
    expect_item(&f->err, "/session/retry_attempts", NULL);
    expect_item(&f->err, "/reflect", NULL);
}

static void test_wrong_section_types(void **state)
{
    fixture *f = *state;
    load_fails(f, "{'database': [], 'server': 1, 'session': null, 'models': []}", 4);
    expect_item(&f->err, "/database", "must be an object, got an array");
    expect_item(&f->err, "/server", NULL);
    expect_item(&f->err, "/session", "got null");
    expect_item(&f->err, "/models", NULL);
}

static void test_bad_values(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'database': {'pool_size': -1, 'isolation_level': 'READ SOMETIMES', 'url': '',"
               "  'pool_timeout': -3},"
               " 'server': {'port': 70000, 'max_limit': 100, 'default_limit': 500, 'host': '',"
               "  'max_body_bytes': 0, 'docs_dir': ''},"
               " 'session': {'retry_attempts': -1}}",
               10);
    expect_item(&f->err, "/database/pool_size", "between 1 and 10000, got -1");
    expect_item(&f->err, "/database/isolation_level", "unknown isolation level \"READ SOMETIMES\"");
    expect_item(&f->err, "/database/url", "must not be empty");
    expect_item(&f->err, "/database/pool_timeout", NULL);
    expect_item(&f->err, "/server/port", "between 1 and 65535, got 70000");
    expect_item(&f->err, "/server/default_limit", "must not exceed \"max_limit\" (100)");
    expect_item(&f->err, "/server/host", NULL);
    expect_item(&f->err, "/server/max_body_bytes", NULL);
    expect_item(&f->err, "/server/docs_dir", "use null");
    expect_item(&f->err, "/session/retry_attempts", NULL);

    err_init(&f->err, f->a);
    load_fails(f, "{'server': {'port': 0}}", 1);
    expect_item(&f->err, "/server/port", NULL);
}

static void test_invalid_json(void **state)
{
    fixture *f = *state;
    load_fails(f, "{\n  'database': {\n    'pool_size': 10,\n  }\n}", 1);
    const err_item *it = item_at(&f->err, "");
    assert_non_null(strstr(it->detail, "line 4"));
    assert_non_null(strstr(it->detail, "test.json"));
    assert_non_null(strstr(f->err.detail, "test.json"));

    err_init(&f->err, f->a);
    load_fails(f, "{'server': {'port': 1},\n 'server': {'port': 2}}", 1);
    expect_item(&f->err, "", "line 2");
    assert_non_null(strstr(item_at(&f->err, "")->detail, "duplicate"));

    err_init(&f->err, f->a);
    load_fails(f, "", 1);
    expect_item(&f->err, "", "invalid JSON");

    err_init(&f->err, f->a);
    load_fails(f, "[1, 2]", 1);
    expect_item(&f->err, "", "must be a JSON object, got an array");

    err_init(&f->err, f->a);
    assert_null(cfg_load_string(f->a, NULL, NULL, NOENV, &f->err));
    expect_items(&f->err, 1);
}

static void test_missing_file(void **state)
{
    fixture *f = *state;
    const char *path = "/nonexistent/retort-test/config.json";
    assert_null(cfg_load(f->a, path, NOENV, &f->err));
    expect_items(&f->err, 1);
    expect_item(&f->err, NULL, path);
    expect_item(&f->err, NULL, "No such file");

    err_init(&f->err, f->a);
    assert_null(cfg_load(f->a, NULL, NOENV, &f->err));
    expect_items(&f->err, 1);
}

static void test_file_with_invalid_json_has_line(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/retort-test-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("{\n\"server\": {\n\"port\": 8080\n\"host\": \"x\"}}\n", fp);
    fclose(fp);
    assert_null(cfg_load(f->a, path, NOENV, &f->err));
    remove(path);
    expect_items(&f->err, 1);
    expect_item(&f->err, "", "line 4");
    expect_item(&f->err, "", path);
}

static void test_three_mistakes_three_items(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'server': {'prot': 8080},"
               " 'database': {'pool_size': -5},"
               " 'models': {'User': {'table': 'users', 'columns': {"
               "   'id': {'type': 'integer', 'primary_key': true},"
               "   'email': {'type': 'strin'}}}}}",
               3);
    expect_item(&f->err, "/server/prot", NULL);
    expect_item(&f->err, "/database/pool_size", NULL);
    expect_item(&f->err, "/models/User/columns/email/type", "unknown column type \"strin\"");
    assert_non_null(strstr(f->err.detail, "3 problems"));
}

static void test_failed_load_leaves_nothing(void **state)
{
    fixture *f = *state;
    arena *errs = arena_create(NULL, "errors");
    err_init(&f->err, errs);
    size_t before = arena_used(f->a);
    assert_null(cfg_load_string(f->a, "{\"server\": {\"port\": -1}}", NULL, NOENV, &f->err));
    assert_int_equal(arena_used(f->a), before);
    expect_items(&f->err, 1);
    arena_destroy(errs);
}

static void test_report_without_arena(void **state)
{
    fixture *f = *state;
    err_report bare;
    err_init(&bare, NULL);
    assert_null(cfg_load_string(f->a, "{\"server\": {\"prot\": 1}}", NULL, NOENV, &bare));
    assert_int_equal(bare.n_items, 1);
    /* the pointer must outlive the load (ASan checks the read) */
    assert_string_equal(bare.items[0].pointer, "/server/prot");
}

/* ---- columns ------------------------------------------------------------------------- */

static void test_bad_column_type(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'models': {'User': {'table': 'users', 'columns': {"
               " 'id': {'type': 'integer', 'primary_key': true},"
               " 'email': {'type': 'varchar', 'length': 10},"
               " 'age': {'type': 5},"
               " 'name': {'nullable': false},"
               " 'x': 'text'}}}}",
               4);
    expect_item(&f->err, "/models/User/columns/email/type", "unknown column type \"varchar\"");
    expect_item(&f->err, "/models/User/columns/email/type", "timestamptz");
    expect_item(&f->err, "/models/User/columns/age/type", "must be a string");
    expect_item(&f->err, "/models/User/columns/name/type", "needs a \"type\"");
    expect_item(&f->err, "/models/User/columns/x", "must be an object");
}

static void test_missing_primary_key(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'models': {'User': {'table': 'users', 'columns': {"
               " 'id': {'type': 'integer'}, 'email': {'type': 'text'}}}}}",
               1);
    expect_item(&f->err, "/models/User/columns", "no primary key");

    err_init(&f->err, f->a);
    load_fails(f, "{'models': {'User': {'table': 'users', 'columns': {}}}}", 1);
    expect_item(&f->err, "/models/User/columns", "at least one column");

    err_init(&f->err, f->a);
    load_fails(f, "{'models': {'User': {'columns': {'id': {'type': 'uuid', 'primary_key': 1}}}}}",
               2);
    expect_item(&f->err, "/models/User/table", "needs a \"table\"");
    expect_item(&f->err, "/models/User/columns/id/primary_key", "must be a boolean");

    err_init(&f->err, f->a);
    load_fails(f, "{'models': {'User': {'table': 'users'}, 'Tag': 3}}", 2);
    expect_item(&f->err, "/models/User/columns", "needs \"columns\"");
    expect_item(&f->err, "/models/Tag", "must be an object");
}

static void test_composite_key_limit(void **state)
{
    fixture *f = *state;
    load_ok(f,
            "{'models': {'K': {'table': 'k', 'columns': {"
            " 'a': {'type': 'integer', 'primary_key': true},"
            " 'b': {'type': 'integer', 'primary_key': true},"
            " 'c': {'type': 'integer', 'primary_key': true},"
            " 'd': {'type': 'integer', 'primary_key': true},"
            " 'e': {'type': 'integer', 'primary_key': true},"
            " 'f': {'type': 'integer', 'primary_key': true},"
            " 'g': {'type': 'integer', 'primary_key': true},"
            " 'h': {'type': 'integer', 'primary_key': true}}}}}",
            NOENV);
    load_fails(f,
               "{'models': {'K': {'table': 'k', 'columns': {"
               " 'a': {'type': 'integer', 'primary_key': true},"
               " 'b': {'type': 'integer', 'primary_key': true},"
               " 'c': {'type': 'integer', 'primary_key': true},"
               " 'd': {'type': 'integer', 'primary_key': true},"
               " 'e': {'type': 'integer', 'primary_key': true},"
               " 'f': {'type': 'integer', 'primary_key': true},"
               " 'g': {'type': 'integer', 'primary_key': true},"
               " 'h': {'type': 'integer', 'primary_key': true},"
               " 'i': {'type': 'integer', 'primary_key': true}}}}}",
               1);
    expect_item(&f->err, "/models/K/columns/i/primary_key", "at most 8");
}

static void test_column_order_and_key_order(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f,
                            "{'models': {'Z': {'table': 'z', 'columns': {"
                            " 'zeta': {'type': 'text'},"
                            " 'b_key': {'type': 'integer', 'primary_key': true},"
                            " 'alpha': {'type': 'text'},"
                            " 'a_key': {'type': 'bigint', 'primary_key': true},"
                            " 'mid': {'type': 'json'}}},"
                            " 'A': {'table': 'a', 'columns': {'id': {'type': 'uuid', "
                            "'primary_key': true}}}}}",
                            NOENV);
    const cfg_model *z = &c->models[0];
    assert_string_equal(z->name, "Z");
    assert_string_equal(c->models[1].name, "A");
    const char *order[] = {"zeta", "b_key", "alpha", "a_key", "mid"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(z->columns[i].name, order[i]);
    assert_int_equal(z->n_pk, 2);
    assert_int_equal(z->pk[0], 1);
    assert_int_equal(z->pk[1], 3);
    assert_false(z->columns[1].nullable);
    assert_false(z->columns[3].nullable);
}

static void test_column_options_values(void **state)
{
    fixture *f = *state;
    cfg_config *c =
        load_ok(f,
                "{'models': {'T': {'table': 't', 'columns': {"
                " 'id': {'type': 'bigint', 'primary_key': true, 'autoincrement': true},"
                " 'secret': {'type': 'text', 'write_only': true},"
                " 'stamp': {'type': 'timestamptz', 'read_only': true, 'server_default': 'now()'},"
                " 'price': {'type': 'numeric', 'precision': 10, 'scale': 2, 'default': '12.50'},"
                " 'ratio': {'type': 'float', 'default': 0.1},"
                " 'whole': {'type': 'float', 'default': 2},"
                " 'big': {'type': 'bigint', 'default': 9007199254740993},"
                " 'flag': {'type': 'boolean', 'default': false, 'nullable': false},"
                " 'doc': {'type': 'json', 'default': {'a': [1, 2], 'b': null}},"
                " 'maybe': {'type': 'text', 'default': null},"
                " 'day': {'type': 'date', 'default': '2024-02-29'},"
                " 'at': {'type': 'timestamptz', 'default': '2026-01-01T00:00:00.5+01:00'},"
                " 'ref': {'type': 'uuid', 'default': '123e4567-E89B-12d3-a456-426614174000'},"
                " 'mood': {'type': 'string', 'length': 3, 'choices': ['joy', 'sad'],"
                "          'default': 'sad'}}}}}",
                NOENV);
    const cfg_model *t = cfg_model_by_name(c, "T");
    const cfg_column *id = cfg_column_by_name(t, "id");
    assert_true(id->autoincrement);
    assert_false(id->nullable);
    assert_null(id->default_json);
    assert_true(cfg_column_by_name(t, "secret")->write_only);
    assert_true(cfg_column_by_name(t, "stamp")->read_only);
    assert_string_equal(cfg_column_by_name(t, "stamp")->server_default, "now()");
    assert_null(cfg_column_by_name(t, "stamp")->default_json);
    assert_string_equal(cfg_column_by_name(t, "price")->default_json, "\"12.50\"");
    assert_int_equal(cfg_column_by_name(t, "price")->scale, 2);
    assert_string_equal(cfg_column_by_name(t, "ratio")->default_json, "0.1");
    assert_string_equal(cfg_column_by_name(t, "whole")->default_json, "2");
    assert_string_equal(cfg_column_by_name(t, "big")->default_json, "9007199254740993");
    assert_string_equal(cfg_column_by_name(t, "flag")->default_json, "false");
    assert_false(cfg_column_by_name(t, "flag")->nullable);
    assert_string_equal(cfg_column_by_name(t, "doc")->default_json, "{\"a\":[1,2],\"b\":null}");
    assert_string_equal(cfg_column_by_name(t, "maybe")->default_json, "null");
    assert_string_equal(cfg_column_by_name(t, "day")->default_json, "\"2024-02-29\"");
    assert_non_null(cfg_column_by_name(t, "at")->default_json);
    assert_non_null(cfg_column_by_name(t, "ref")->default_json);
    const cfg_column *mood = cfg_column_by_name(t, "mood");
    assert_int_equal(mood->length, 3);
    assert_int_equal(mood->n_choices, 2);
    assert_string_equal(mood->default_json, "\"sad\"");
    assert_null(cfg_column_by_name(t, "nope"));
}

static void test_bad_column_options(void **state)
{
    fixture *f = *state;
    load_fails(
        f,
        "{'models': {'T': {'table': 't', 'columns': {"
        " 'id': {'type': 'uuid', 'primary_key': true, 'autoincrement': true, 'nullable': true},"
        " 'n': {'type': 'integer', 'autoincrement': true},"
        " 'both': {'type': 'text', 'read_only': true, 'write_only': true},"
        " 'len': {'type': 'text', 'length': 10},"
        " 'len0': {'type': 'string', 'length': 0},"
        " 'num': {'type': 'numeric', 'precision': 4, 'scale': 5},"
        " 'num2': {'type': 'numeric', 'scale': 2},"
        " 'prec': {'type': 'integer', 'precision': 4},"
        " 'ch': {'type': 'integer', 'choices': ['a']},"
        " 'ch2': {'type': 'string', 'choices': []},"
        " 'ch3': {'type': 'string', 'choices': ['a', 'a', 3]},"
        " 'ch4': {'type': 'string', 'length': 2, 'choices': ['abc']},"
        " 'sd': {'type': 'text', 'server_default': ''},"
        " 'ref': {'type': 'integer', 'references': 'users'}}}}}",
        16);
    expect_item(&f->err, "/models/T/columns/id/autoincrement", "integer and bigint primary key");
    expect_item(&f->err, "/models/T/columns/id/nullable", "cannot be nullable");
    expect_item(&f->err, "/models/T/columns/n/autoincrement", NULL);
    expect_item(&f->err, "/models/T/columns/both/read_only", "both");
    expect_item(&f->err, "/models/T/columns/len/length", "only to string and char columns");
    expect_item(&f->err, "/models/T/columns/len0/length", "between 1 and");
    expect_item(&f->err, "/models/T/columns/num/scale", "must not exceed");
    expect_item(&f->err, "/models/T/columns/num2/scale", "needs a \"precision\"");
    expect_item(&f->err, "/models/T/columns/prec/precision", "only to numeric");
    expect_item(&f->err, "/models/T/columns/ch/choices", "only to string, char, text and enum");
    expect_item(&f->err, "/models/T/columns/ch2/choices", "at least one");
    expect_item(&f->err, "/models/T/columns/ch3/choices/1", "duplicate choice");
    expect_item(&f->err, "/models/T/columns/ch3/choices/2", "must be a string");
    expect_item(&f->err, "/models/T/columns/ch4/choices/0", "longer than");
    expect_item(&f->err, "/models/T/columns/sd/server_default", "must not be empty");
    expect_item(&f->err, "/models/T/columns/ref/references", "\"table.column\"");
}

static void test_bad_defaults(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'models': {'T': {'table': 't', 'columns': {"
               " 'id': {'type': 'integer', 'primary_key': true, 'default': null},"
               " 'i': {'type': 'integer', 'default': 3000000000},"
               " 'j': {'type': 'integer', 'default': '3'},"
               " 'f': {'type': 'float', 'default': true},"
               " 'n': {'type': 'numeric', 'default': '1.2.3'},"
               " 's': {'type': 'string', 'length': 2, 'default': 'abc'},"
               " 'c': {'type': 'text', 'choices': ['x', 'y'], 'default': 'z'},"
               " 'b': {'type': 'boolean', 'default': 0},"
               " 'u': {'type': 'uuid', 'default': 'not-a-uuid'},"
               " 'd': {'type': 'date', 'default': '2023-02-29'},"
               " 't': {'type': 'timestamptz', 'default': '2026-01-01T00:00:00'}}}}}",
               11);
    expect_item(&f->err, "/models/T/columns/id/default", "not nullable");
    expect_item(&f->err, "/models/T/columns/i/default", "out of range");
    expect_item(&f->err, "/models/T/columns/j/default", "must be an integer, got a string");
    expect_item(&f->err, "/models/T/columns/f/default", "must be a number");
    expect_item(&f->err, "/models/T/columns/n/default", "decimal");
    expect_item(&f->err, "/models/T/columns/s/default", "longer than its length 2");
    expect_item(&f->err, "/models/T/columns/c/default", "not one of its choices");
    expect_item(&f->err, "/models/T/columns/b/default", "must be a boolean");
    expect_item(&f->err, "/models/T/columns/u/default", "UUID");
    expect_item(&f->err, "/models/T/columns/d/default", "date");
    expect_item(&f->err, "/models/T/columns/t/default", "RFC 3339");
}

static void test_identifiers(void **state)
{
    fixture *f = *state;
    char name63[64], name64[65];
    memset(name63, 'c', 63);
    name63[63] = '\0';
    memset(name64, 'c', 64);
    name64[64] = '\0';
    cfg_config *c = load_ok(f,
                            arena_sprintf(f->a,
                                          "{'models': {'T': {'table': '_t1', 'columns': {"
                                          " '%s': {'type': 'integer', 'primary_key': true}}}}}",
                                          name63),
                            NOENV);
    assert_string_equal(c->models[0].columns[0].name, name63);

    load_fails(f,
               arena_sprintf(f->a,
                             "{'models': {'T': {'table': 'user-table', 'columns': {"
                             " '%s': {'type': 'integer', 'primary_key': true},"
                             " '1st': {'type': 'text'}},"
                             " 'relationships': {'bad name': {'target': 'T', 'kind': "
                             "'many_to_one', 'foreign_key': '%s'}},"
                             " 'checks': {'ok-not': 'x > 0'}},"
                             " 'Bad Model': {'table': 'b', 'columns': {"
                             " 'id': {'type': 'integer', 'primary_key': true}}}}}",
                             name64, name64),
               7);
    expect_item(&f->err, "/models/T/table", "\"user-table\" is not a valid name");
    expect_item(&f->err, arena_sprintf(f->a, "/models/T/columns/%s", name64), "at most 63");
    expect_item(&f->err, "/models/T/columns/1st", NULL);
    expect_item(&f->err, "/models/T/relationships/bad name", NULL);
    expect_item(&f->err, "/models/T/relationships/bad name/foreign_key", NULL);
    expect_item(&f->err, "/models/T/checks/ok-not", NULL);
    expect_item(&f->err, "/models/Bad Model", "model name");
}

static void test_unique_tables(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'models': {"
               " 'A': {'table': 'things', 'columns': {'id': {'type': 'integer', 'primary_key': "
               "true}}},"
               " 'B': {'table': 'things', 'columns': {'id': {'type': 'integer', 'primary_key': "
               "true}}},"
               " 'C': {'table': 'transaction', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}}}}}",
               2);
    expect_item(&f->err, "/models/B/table", "already used by model \"A\"");
    expect_item(&f->err, "/models/C/table", "route");
}

static void test_version_column_and_checks(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f,
                            "{'models': {'T': {'table': 't', 'version_column': 'v',"
                            " 'checks': {'positive_v': 'v > 0', 'short_name': 'length(name) < 9'},"
                            " 'columns': {'id': {'type': 'integer', 'primary_key': true},"
                            "  'v': {'type': 'bigint', 'nullable': false, 'default': 1},"
                            "  'name': {'type': 'text'}}}}}",
                            NOENV);
    const cfg_model *t = &c->models[0];
    assert_string_equal(t->version_column, "v");
    assert_int_equal(t->n_checks, 2);
    assert_string_equal(t->checks[0].name, "positive_v");
    assert_string_equal(t->checks[0].expression, "v > 0");
    assert_string_equal(t->checks[1].name, "short_name");

    load_fails(f,
               "{'models': {"
               " 'T': {'table': 't', 'version_column': 'ver', 'checks': {'c': ''},"
               "  'columns': {'id': {'type': 'integer', 'primary_key': true}}},"
               " 'U': {'table': 'u', 'version_column': 'name', 'checks': [],"
               "  'columns': {'id': {'type': 'integer', 'primary_key': true},"
               "   'name': {'type': 'text'}}}}}",
               4);
    expect_item(&f->err, "/models/T/version_column", "not a column of \"T\"");
    expect_item(&f->err, "/models/T/checks/c", "non-empty");
    expect_item(&f->err, "/models/U/version_column", "integer or bigint, not text");
    expect_item(&f->err, "/models/U/checks", "must be an object");
}

/* ---- references and relationships ----------------------------------------------------- */

static void test_relationship_pair_resolves(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f, users_orders(f, USER_ORDERS_OK, ORDER_USER_OK), NOENV);
    const cfg_model *user = cfg_model_by_table(c, "users");
    const cfg_model *order = cfg_model_by_name(c, "Order");
    const cfg_relationship *orders = cfg_relationship_by_name(user, "orders");
    const cfg_relationship *u = cfg_relationship_by_name(order, "user");
    assert_ptr_equal(orders->target, order);
    assert_ptr_equal(u->target, user);
    assert_ptr_equal(orders->inverse, u);
    assert_ptr_equal(u->inverse, orders);
    assert_string_equal(orders->order_by, "-created_at");
    assert_null(orders->secondary);
    assert_null(orders->secondary_local);
    assert_null(cfg_relationship_by_name(user, "nope"));
}

static void test_lazy_strategies(void **state)
{
    fixture *f = *state;
    const char *names[] = {"select", "selectin", "joined", "raise", "noload"};
    const cfg_strategy values[] = {CFG_LOAD_SELECT, CFG_LOAD_SELECTIN, CFG_LOAD_JOINED, CFG_LOAD_RAISE,
                               CFG_LOAD_NOLOAD};
    for (size_t i = 0; i < 5; i++) {
        const char *rel = arena_sprintf(f->a,
                                        "{'target': 'User', 'kind': 'many_to_one', "
                                        "'foreign_key': 'user_id', 'lazy': '%s'}",
                                        names[i]);
        cfg_config *c = load_ok(f,
                                users_orders(f,
                                             "{'target': 'Order', 'kind': 'one_to_many', "
                                             "'foreign_key': 'user_id'}",
                                             rel),
                                NOENV);
        const cfg_relationship *r = &cfg_model_by_name(c, "Order")->relationships[0];
        assert_int_equal(r->lazy, values[i]);
        assert_null(r->inverse);
        assert_int_equal(cfg_model_by_name(c, "User")->relationships[0].lazy, CFG_LOAD_RAISE);
    }
    load_fails(f,
               users_orders(f,
                            "{'target': 'Order', 'kind': 'one_to_many', 'foreign_key': "
                            "'user_id', 'lazy': 'eager'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id', "
                            "'lazy': 1}"),
               2);
    expect_item(&f->err, "/models/User/relationships/orders/lazy", "unknown loader strategy");
    expect_item(&f->err, "/models/Order/relationships/user/lazy", "must be a string");
}

static void test_unresolved_references(void **state)
{
    fixture *f = *state;
    load_fails(f,
               "{'models': {"
               " 'User': {'table': 'users', 'columns': {"
               "  'id': {'type': 'integer', 'primary_key': true},"
               "  'email': {'type': 'text'}}},"
               " 'Order': {'table': 'orders', 'columns': {"
               "  'id': {'type': 'integer', 'primary_key': true},"
               "  'a': {'type': 'integer', 'references': 'userz.id'},"
               "  'b': {'type': 'integer', 'references': 'users.idd'},"
               "  'c': {'type': 'text', 'references': 'users.email'},"
               "  'd': {'type': 'uuid', 'references': 'users.id'},"
               "  'e': {'type': 'bigint', 'references': 'users.id'}}}}}",
               4);
    expect_item(&f->err, "/models/Order/columns/a/references", "table \"userz\"");
    expect_item(&f->err, "/models/Order/columns/b/references", "column \"idd\"");
    expect_item(&f->err, "/models/Order/columns/c/references", "must be unique");
    expect_item(&f->err, "/models/Order/columns/d/references", "same type");
}

static void test_relationship_missing_target(void **state)
{
    fixture *f = *state;
    load_fails(f,
               users_orders(f,
                            "{'target': 'Ordr', 'kind': 'one_to_many', 'foreign_key': 'user_id', "
                            "'back_populates': 'user'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id'}"),
               1);
    expect_item(&f->err, "/models/User/relationships/orders/target", "\"Ordr\"");

    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f, "{'kind': 'one_to_many', 'foreign_key': 'user_id'}",
                            "{'target': 'User', 'kind': 'many_to_none', 'foreign_key': 'user_id'}"),
               2);
    expect_item(&f->err, "/models/User/relationships/orders/target", "needs a \"target\"");
    expect_item(&f->err, "/models/Order/relationships/user/kind", "unknown relationship kind");
}

static void test_back_populates_mismatch(void **state)
{
    fixture *f = *state;
    /* names a relationship that does not exist */
    load_fails(f,
               users_orders(f, USER_ORDERS_OK,
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'user_id', 'back_populates': 'ordres'}"),
               2);
    expect_item(&f->err, "/models/Order/relationships/user/back_populates",
                "\"ordres\", which is not a relationship of \"User\"");
    expect_item(&f->err, "/models/User/relationships/orders/back_populates",
                "has \"back_populates\": \"ordres\", not \"orders\"");

    /* the other side does not name this one back */
    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f, USER_ORDERS_OK,
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'user_id'}"),
               1);
    expect_item(&f->err, "/models/User/relationships/orders/back_populates",
                "\"Order.user\" must name \"orders\"");

    /* kinds that are not inverse: reported once for the pair */
    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f, USER_ORDERS_OK,
                            "{'target': 'User', 'kind': 'one_to_many', 'foreign_key': "
                            "'user_id', 'back_populates': 'orders'}"),
               2);
    expect_item(&f->err, "/models/User/relationships/orders/kind",
                "its inverse \"Order.user\" must be many_to_one, not one_to_many");
    /* and Order.user's own foreign key check (one_to_many: column of users) */
    expect_item(&f->err, "/models/Order/relationships/user/foreign_key",
                "not a column of \"User\"");

    /* the named relationship targets another model */
    err_init(&f->err, f->a);
    load_fails(f,
               "{'models': {"
               " 'User': {'table': 'users', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}},"
               "  'relationships': {'orders': {'target': 'Order', 'kind': 'one_to_many',"
               "   'foreign_key': 'user_id', 'back_populates': 'shop'}}},"
               " 'Shop': {'table': 'shops', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}}},"
               " 'Order': {'table': 'orders', 'columns': {"
               "   'id': {'type': 'integer', 'primary_key': true},"
               "   'user_id': {'type': 'integer', 'references': 'users.id'},"
               "   'shop_id': {'type': 'integer', 'references': 'shops.id'}},"
               "  'relationships': {'shop': {'target': 'Shop', 'kind': 'many_to_one',"
               "   'foreign_key': 'shop_id'}}}}}",
               1);
    expect_item(&f->err, "/models/User/relationships/orders/back_populates",
                "\"Order.shop\" targets \"Shop\", not \"User\"");

    /* a pair with different foreign keys */
    err_init(&f->err, f->a);
    load_fails(f,
               "{'models': {"
               " 'User': {'table': 'users', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}},"
               "  'relationships': {'orders': {'target': 'Order', 'kind': 'one_to_many',"
               "   'foreign_key': 'buyer_id', 'back_populates': 'seller'}}},"
               " 'Order': {'table': 'orders', 'columns': {"
               "   'id': {'type': 'integer', 'primary_key': true},"
               "   'buyer_id': {'type': 'integer', 'references': 'users.id'},"
               "   'seller_id': {'type': 'integer', 'references': 'users.id'}},"
               "  'relationships': {'seller': {'target': 'User', 'kind': 'many_to_one',"
               "   'foreign_key': 'seller_id', 'back_populates': 'orders'}}}}}",
               1);
    expect_item(&f->err, "/models/User/relationships/orders/foreign_key", "same foreign key");
}

static void test_bad_foreign_key(void **state)
{
    fixture *f = *state;
    /* many_to_one: not a column of this model */
    load_fails(f,
               users_orders(f, USER_ORDERS_OK,
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'owner_id', 'back_populates': 'orders'}"),
               2);
    expect_item(&f->err, "/models/Order/relationships/user/foreign_key",
                "\"owner_id\", which is not a column of \"Order\"");
    /* the pair's foreign keys differ too, reported on the first side */
    expect_item(&f->err, "/models/User/relationships/orders/foreign_key", "same foreign key");

    /* many_to_one: a column without references */
    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f,
                            "{'target': 'Order', 'kind': 'one_to_many', 'foreign_key': "
                            "'user_id'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'note'}"),
               1);
    expect_item(&f->err, "/models/Order/relationships/user/foreign_key",
                "column \"note\" of \"Order\" has no \"references\"");

    /* one_to_many: the target's column references another table */
    err_init(&f->err, f->a);
    load_fails(f,
               "{'models': {"
               " 'User': {'table': 'users', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}},"
               "  'relationships': {'orders': {'target': 'Order', 'kind': 'one_to_many',"
               "   'foreign_key': 'shop_id'}}},"
               " 'Shop': {'table': 'shops', 'columns': {'id': {'type': 'integer', "
               "'primary_key': true}}},"
               " 'Order': {'table': 'orders', 'columns': {"
               "   'id': {'type': 'integer', 'primary_key': true},"
               "   'shop_id': {'type': 'integer', 'references': 'shops.id'}}}}}",
               1);
    expect_item(&f->err, "/models/User/relationships/orders/foreign_key",
                "references table \"shops\", but the foreign key of this one_to_many "
                "relationship must reference \"users\"");

    /* missing foreign_key, misplaced secondary and order_by */
    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f, "{'target': 'Order', 'kind': 'one_to_many', 'secondary': 'X'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'user_id', 'order_by': 'id'}"),
               3);
    expect_item(&f->err, "/models/User/relationships/orders/foreign_key",
                "needs a \"foreign_key\"");
    expect_item(&f->err, "/models/User/relationships/orders/secondary", "only to many_to_many");
    expect_item(&f->err, "/models/Order/relationships/user/order_by", "only to one_to_many");

    /* order_by naming no column of the target; a relationship named like a column */
    err_init(&f->err, f->a);
    load_fails(f,
               users_orders(f,
                            "{'target': 'Order', 'kind': 'one_to_many', 'foreign_key': "
                            "'user_id', 'order_by': '-placed_at'}",
                            "{'target': 'User', 'kind': 'many_to_one', 'foreign_key': "
                            "'user_id'}, 'note': {'target': 'User', 'kind': 'many_to_one', "
                            "'foreign_key': 'user_id'}"),
               2);
    expect_item(&f->err, "/models/User/relationships/orders/order_by",
                "\"placed_at\", which is not a column of \"Order\"");
    expect_item(&f->err, "/models/Order/relationships/note", "same name as a column");
}

static void test_no_follow_on_errors(void **state)
{
    fixture *f = *state;
    /* the foreign key column has an unknown type: the reference and both
     * relationships that use it stay quiet */
    const char *base = "{'models': {"
                       " 'User': {%s 'columns': {'id': {'type': 'integer', 'primary_key': true}},"
                       "  'relationships': {'orders': {'target': 'Order', 'kind': 'one_to_many',"
                       "   'foreign_key': 'user_id', 'back_populates': 'user'}}},"
                       " 'Order': %s}}";
    const char *order = "{'table': 'orders', 'columns': {"
                        " 'id': {'type': 'integer', 'primary_key': true},"
                        " 'user_id': {'type': %s, 'references': %s}},"
                        " 'relationships': {'user': {'target': 'User', 'kind': 'many_to_one',"
                        "  'foreign_key': 'user_id', 'back_populates': 'orders'}}}";
    load_fails(f,
               arena_sprintf(f->a, base, "'table': 'users',",
                             arena_sprintf(f->a, order, "'int'", "'users.id'")),
               1);
    expect_item(&f->err, "/models/Order/columns/user_id/type", NULL);

    /* a malformed reference */
    err_init(&f->err, f->a);
    load_fails(f,
               arena_sprintf(f->a, base, "'table': 'users',",
                             arena_sprintf(f->a, order, "'integer'", "'users'")),
               1);
    expect_item(&f->err, "/models/Order/columns/user_id/references", NULL);

    /* the referenced model has no table */
    err_init(&f->err, f->a);
    load_fails(
        f, arena_sprintf(f->a, base, "", arena_sprintf(f->a, order, "'integer'", "'users.id'")), 1);
    expect_item(&f->err, "/models/User/table", NULL);

    /* the target model is not an object */
    err_init(&f->err, f->a);
    load_fails(f, arena_sprintf(f->a, base, "'table': 'users',", "5"), 1);
    expect_item(&f->err, "/models/Order", "must be an object");
}

/* ---- many_to_many -------------------------------------------------------------------------- */

static const char *BOOKS =
    "{'models': {"
    " 'Book': {'table': 'books', 'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'title': {'type': 'text', 'nullable': false}},"
    "  'relationships': {'genres': {'target': 'Genre', 'kind': 'many_to_many',"
    "   'secondary': 'BookGenre', 'back_populates': 'books', 'lazy': 'selectin',"
    "   'order_by': 'name'}}},"
    " 'Genre': {'table': 'genres', 'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true},"
    "   'name': {'type': 'string', 'length': 50, 'unique': true}},"
    "  'relationships': {'books': {'target': 'Book', 'kind': 'many_to_many',"
    "   'secondary': 'BookGenre', 'back_populates': 'genres'}}},"
    " 'BookGenre': {'table': 'book_genres', 'columns': {"
    "   'book_id': {'type': 'integer', 'primary_key': true, 'references': 'books.id'},"
    "   'genre_id': {'type': 'bigint', 'primary_key': true, 'references': 'genres.id'}},"
    "  'relationships': {"
    "   'book': {'target': 'Book', 'kind': 'many_to_one', 'foreign_key': 'book_id'},"
    "   'genre': {'target': 'Genre', 'kind': 'many_to_one', 'foreign_key': 'genre_id'}}}}}";

static void test_many_to_many(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f, BOOKS, NOENV);
    const cfg_model *book = cfg_model_by_name(c, "Book");
    const cfg_model *genre = cfg_model_by_name(c, "Genre");
    const cfg_model *bg = cfg_model_by_table(c, "book_genres");
    assert_non_null(bg);
    assert_int_equal(bg->n_pk, 2);
    assert_string_equal(bg->columns[bg->pk[0]].name, "book_id");
    assert_string_equal(bg->columns[bg->pk[1]].name, "genre_id");
    assert_ptr_equal(bg->columns[0].ref_model, book);
    assert_ptr_equal(bg->columns[1].ref_model, genre);

    const cfg_relationship *genres = cfg_relationship_by_name(book, "genres");
    const cfg_relationship *books = cfg_relationship_by_name(genre, "books");
    assert_int_equal(genres->kind, CFG_REL_MANY_TO_MANY);
    assert_ptr_equal(genres->target, genre);
    assert_ptr_equal(genres->secondary, bg);
    assert_string_equal(genres->secondary_name, "BookGenre");
    assert_null(genres->foreign_key);
    assert_ptr_equal(genres->secondary_local, &bg->columns[0]);
    assert_ptr_equal(genres->secondary_remote, &bg->columns[1]);
    assert_ptr_equal(books->secondary_local, &bg->columns[1]);
    assert_ptr_equal(books->secondary_remote, &bg->columns[0]);
    assert_ptr_equal(genres->inverse, books);
    assert_ptr_equal(books->inverse, genres);
    assert_int_equal(genres->lazy, CFG_LOAD_SELECTIN);
    assert_int_equal(books->lazy, CFG_LOAD_RAISE);
    assert_string_equal(genres->order_by, "name");
}

static void test_many_to_many_self(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(
        f,
        "{'models': {"
        " 'User': {'table': 'users', 'columns': {'id': {'type': 'uuid', 'primary_key': true}},"
        "  'relationships': {'follows': {'target': 'User', 'kind': 'many_to_many',"
        "   'secondary': 'Follow'}}},"
        " 'Follow': {'table': 'follows', 'columns': {"
        "   'follower_id': {'type': 'uuid', 'primary_key': true, 'references': 'users.id'},"
        "   'followed_id': {'type': 'uuid', 'primary_key': true, 'references': 'users.id'}}}}}",
        NOENV);
    const cfg_relationship *r = &c->models[0].relationships[0];
    assert_string_equal(r->secondary_local->name, "follower_id");
    assert_string_equal(r->secondary_remote->name, "followed_id");
}

/* SQLAlchemy spells secondary as the association table's name. */
static void test_many_to_many_secondary_table(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(
        f,
        "{'models': {"
        " 'Post': {'table': 'posts', 'columns': {'id': {'type': 'integer', 'primary_key': true}},"
        "  'relationships': {'tags': {'target': 'Tag', 'kind': 'many_to_many',"
        "   'secondary': 'post_tags', 'back_populates': 'posts'}}},"
        " 'Tag': {'table': 'tags', 'columns': {'id': {'type': 'integer', 'primary_key': true}},"
        "  'relationships': {'posts': {'target': 'Post', 'kind': 'many_to_many',"
        "   'secondary': 'PostTag', 'back_populates': 'tags'}}},"
        " 'PostTag': {'table': 'post_tags', 'columns': {"
        "   'post_id': {'type': 'integer', 'primary_key': true, 'references': 'posts.id'},"
        "   'tag_id': {'type': 'integer', 'primary_key': true, 'references': 'tags.id'}}}}}",
        NOENV);
    const cfg_model *pt = cfg_model_by_name(c, "PostTag");
    assert_ptr_equal(c->models[0].relationships[0].secondary, pt);
    assert_ptr_equal(c->models[1].relationships[0].secondary, pt);
    assert_string_equal(c->models[0].relationships[0].secondary_local->name, "post_id");
}

static void test_reflect_forms(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f, "{'reflect': true}", NOENV);
    assert_true(c->reflect.enabled);
    assert_int_equal(c->reflect.n_schemas, 1);
    assert_string_equal(c->reflect.schemas[0], "public");
    c = load_ok(f, "{'reflect': {'schemas': ['app', 'public'], 'exclude': ['audit_log']}}", NOENV);
    assert_true(c->reflect.enabled);
    assert_int_equal(c->reflect.n_schemas, 2);
    assert_string_equal(c->reflect.schemas[0], "app");
    assert_int_equal(c->reflect.n_exclude, 1);
    assert_string_equal(c->reflect.exclude[0], "audit_log");
    load_fails(f, "{'reflect': {'schemas': [], 'tables': 1}}", 2);
    expect_item(&f->err, "/reflect/schemas", "at least one");
    expect_item(&f->err, "/reflect/tables", NULL);
}

/* The types real schemas use, arrays, enums, generated columns, views. */
static void test_more_types(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(
        f,
        "{'models': {'T': {'table': 't', 'read_only': true, 'columns': {"
        " 'id': {'type': 'smallint', 'primary_key': true},"
        " 'r': {'type': 'real'}, 'd': {'type': 'double'}, 'c': {'type': 'char', 'length': 3},"
        " 'tm': {'type': 'time', 'precision': 3}, 'ts': {'type': 'timestamp'},"
        " 'iv': {'type': 'interval'}, 'j': {'type': 'json'}, 'jb': {'type': 'jsonb'},"
        " 'b': {'type': 'bytea'}, 'ip': {'type': 'inet'}, 'net': {'type': 'cidr'},"
        " 'mood': {'type': 'enum', 'enum': 'mood', 'choices': ['sad', 'ok'], 'default': 'ok'},"
        " 'tags': {'type': 'text[]', 'default': ['a', null]},"
        " 'moods': {'type': 'enum[]', 'enum': 'mood', 'choices': ['sad', 'ok']},"
        " 'g': {'type': 'integer', 'generated': 'id * 2'}}}}}",
        NOENV);
    const cfg_model *m = &c->models[0];
    assert_true(m->read_only);
    assert_int_equal(cfg_column_by_name(m, "id")->type, CFG_TYPE_SMALLINT);
    assert_int_equal(cfg_column_by_name(m, "d")->type, CFG_TYPE_FLOAT);
    assert_int_equal(cfg_column_by_name(m, "c")->length, 3);
    assert_int_equal(cfg_column_by_name(m, "tm")->precision, 3);
    assert_int_equal(cfg_column_by_name(m, "jb")->type, CFG_TYPE_JSONB);
    const cfg_column *tags = cfg_column_by_name(m, "tags");
    assert_true(tags->array);
    assert_int_equal(tags->type, CFG_TYPE_TEXT);
    assert_string_equal(tags->default_json, "[\"a\",null]");
    assert_string_equal(cfg_column_by_name(m, "moods")->enum_name, "mood");
    assert_true(cfg_column_by_name(m, "moods")->array);
    assert_true(cfg_column_by_name(m, "g")->read_only);
    assert_string_equal(cfg_column_by_name(m, "g")->generated, "id * 2");

    load_fails(f,
               "{'models': {'T': {'table': 't', 'columns': {"
               " 'id': {'type': 'integer', 'primary_key': true},"
               " 'e': {'type': 'enum'}, 'x': {'type': 'text', 'enum': 'e'},"
               " 'n': {'type': 'money'}, 'a': {'type': 'integer[]', 'default': [1, 'x']}}}}}",
               4);
    expect_item(&f->err, "/models/T/columns/e", "needs \"enum\"");
    expect_item(&f->err, "/models/T/columns/x/enum", "only to enum");
    expect_item(&f->err, "/models/T/columns/n/type", "unknown column type \"money\"");
    expect_item(&f->err, "/models/T/columns/a/default/1", "must be an integer");
}

static void test_many_to_many_bad_secondary(void **state)
{
    fixture *f = *state;
    load_fails(
        f,
        "{'models': {"
        " 'Book': {'table': 'books', 'columns': {'id': {'type': 'integer', 'primary_key': true}},"
        "  'relationships': {"
        "   'genres': {'target': 'Genre', 'kind': 'many_to_many', 'secondary': 'BookGenre'},"
        "   'tags': {'target': 'Genre', 'kind': 'many_to_many', 'secondary': 'Tagging'},"
        "   'shelves': {'target': 'Genre', 'kind': 'many_to_many', 'foreign_key': 'id'}}},"
        " 'Genre': {'table': 'genres', 'columns': {'id': {'type': 'integer', 'primary_key': "
        "true}}},"
        " 'BookGenre': {'table': 'book_genres', 'columns': {"
        "   'id': {'type': 'integer', 'primary_key': true},"
        "   'book_id': {'type': 'integer', 'references': 'books.id'},"
        "   'genre_id': {'type': 'integer', 'references': 'genres.id'}}}}}",
        4);
    expect_item(&f->err, "/models/Book/relationships/genres/secondary",
                "\"BookGenre\" must have a primary key of exactly two columns, one referencing "
                "\"books\" and one referencing \"genres\"");
    expect_item(&f->err, "/models/Book/relationships/tags/secondary",
                "no model is named \"Tagging\" and no model has the table \"Tagging\"");
    expect_item(&f->err, "/models/Book/relationships/shelves/foreign_key", "takes no");
    expect_item(&f->err, "/models/Book/relationships/shelves/secondary", "needs a \"secondary\"");
}

/* ---- environment --------------------------------------------------------------------------- */

static void test_env_overrides_every_kind(void **state)
{
    fixture *f = *state;
    char *env[] = {"RETORT_DATABASE_POOL_SIZE=42",
                   "RETORT_DATABASE_POOL_TIMEOUT=2.5",
                   "RETORT_DATABASE_POOL_PRE_PING=false",
                   "RETORT_DATABASE_ISOLATION_LEVEL=repeatable read",
                   "RETORT_DATABASE_PREPARED_STATEMENTS=0",
                   "RETORT_SERVER_HOST=::1",
                   "RETORT_SERVER_DEBUG_HEADERS=1",
                   "RETORT_SERVER_ACCESS_LOG=FALSE",
                   "RETORT_SERVER_MAX_BODY_BYTES=2048",
                   "RETORT_SERVER_DOCS_DIR=/opt/docs",
                   "RETORT_SESSION_EXPIRE_ON_COMMIT=true",
                   "RETORT_SESSION_RETRY_ATTEMPTS=0",
                   "RETORT_REFLECT=true",
                   "UNRELATED=1",
                   "RETORT_UNKNOWN_THING=ignored",
                   NULL};
    cfg_config *c = load_ok(f, "{'database': {'pool_size': 5}, 'server': {'docs_dir': '/x'}}", env);
    assert_int_equal(c->database.pool_size, 42);
    assert_true(c->database.pool_timeout == 2.5);
    assert_false(c->database.pool_pre_ping);
    assert_string_equal(c->database.isolation_level, "REPEATABLE READ");
    assert_false(c->database.prepared_statements);
    assert_string_equal(c->server.host, "::1");
    assert_true(c->server.debug_headers);
    assert_false(c->server.access_log);
    assert_int_equal(c->server.max_body_bytes, 2048);
    assert_string_equal(c->server.docs_dir, "/opt/docs");
    assert_true(c->session.expire_on_commit);
    assert_int_equal(c->session.retry_attempts, 0);
    assert_true(c->reflect.enabled);
    /* untouched settings keep file or default values */
    assert_int_equal(c->server.port, 8080);

    /* an empty optional string resets it to none */
    char *env2[] = {"RETORT_SERVER_DOCS_DIR=", NULL};
    c = load_ok(f, "{'server': {'docs_dir': '/x'}}", env2);
    assert_null(c->server.docs_dir);
}

static void test_env_precedence(void **state)
{
    fixture *f = *state;
    const char *file = "{'database': {'url': 'postgresql://file/db'}, 'server': {'port': 1111}}";

    cfg_config *c = load_ok(f, file, NOENV);
    assert_string_equal(c->database.url, "postgresql://file/db");
    assert_int_equal(c->server.port, 1111);

    /* shortcut beats file */
    char *shortcuts[] = {"DATABASE_URL=postgresql://short/db", "RETORT_PORT=2222", NULL};
    c = load_ok(f, file, shortcuts);
    assert_string_equal(c->database.url, "postgresql://short/db");
    assert_int_equal(c->server.port, 2222);

    /* long name beats shortcut, whatever the order in the environment */
    char *both[] = {"DATABASE_URL=postgresql://short/db", "RETORT_SERVER_PORT=3333",
                    "RETORT_DATABASE_URL=postgresql://long/db", "RETORT_PORT=2222", NULL};
    c = load_ok(f, file, both);
    assert_string_equal(c->database.url, "postgresql://long/db");
    assert_int_equal(c->server.port, 3333);

    /* environment beats defaults when the file says nothing */
    char *port_only[] = {"RETORT_PORT=4444", NULL};
    c = load_ok(f, "{}", port_only);
    assert_int_equal(c->server.port, 4444);
    assert_string_equal(c->database.url, "postgresql://postgres@127.0.0.1:5432/retort");

    /* a bad file value is still reported even if the environment overrides it */
    char *fix[] = {"RETORT_SERVER_PORT=80", NULL};
    assert_null(load_env(f, "{'server': {'port': 0}}", fix));
    expect_items(&f->err, 1);
    expect_item(&f->err, "/server/port", "between 1 and 65535, got 0");

    /* the environment can break default_limit <= max_limit */
    err_init(&f->err, f->a);
    char *limits[] = {"RETORT_SERVER_MAX_LIMIT=10", NULL};
    assert_null(load_env(f, "{}", limits));
    expect_items(&f->err, 1);
    expect_item(&f->err, "/server/default_limit", "(100) must not exceed \"max_limit\" (10)");
}

static void test_env_bad_values(void **state)
{
    fixture *f = *state;
    char *env[] = {"RETORT_SERVER_PORT=eighty",
                   "RETORT_DATABASE_POOL_SIZE=-3",
                   "RETORT_SERVER_DEBUG_HEADERS=maybe",
                   "RETORT_DATABASE_ISOLATION_LEVEL=CHAOS",
                   "RETORT_DATABASE_POOL_TIMEOUT=soon",
                   "RETORT_SERVER_WORKERS=12abc",
                   "RETORT_SERVER_HOST=",
                   "RETORT_SESSION_RETRY_BACKOFF_MS=99999999999999999999",
                   NULL};
    assert_null(load_env(f, "{}", env));
    expect_items(&f->err, 8);
    expect_item(&f->err, "/server/port", "environment variable RETORT_SERVER_PORT");
    expect_item(&f->err, "/server/port", "\"eighty\"");
    expect_item(&f->err, "/database/pool_size", "RETORT_DATABASE_POOL_SIZE must be between 1");
    expect_item(&f->err, "/server/debug_headers", "RETORT_SERVER_DEBUG_HEADERS");
    expect_item(&f->err, "/database/isolation_level", "RETORT_DATABASE_ISOLATION_LEVEL");
    expect_item(&f->err, "/database/pool_timeout", "RETORT_DATABASE_POOL_TIMEOUT");
    expect_item(&f->err, "/server/workers", "\"12abc\"");
    expect_item(&f->err, "/server/host", "RETORT_SERVER_HOST must not be empty");
    expect_item(&f->err, "/session/retry_backoff_ms", "RETORT_SESSION_RETRY_BACKOFF_MS");

    /* a bad shortcut names the shortcut */
    err_init(&f->err, f->a);
    char *shortcut[] = {"RETORT_PORT=0", NULL};
    assert_null(load_env(f, "{}", shortcut));
    expect_items(&f->err, 1);
    expect_item(&f->err, "/server/port", "environment variable RETORT_PORT must be between");
}

static void test_env_process_environment(void **state)
{
    fixture *f = *state;
    setenv("RETORT_SERVER_PORT", "6543", 1);
    setenv("RETORT_SESSION_AUTOFLUSH", "false", 1);
    cfg_config *c = load_ok(f, "{}", NULL);
    unsetenv("RETORT_SERVER_PORT");
    unsetenv("RETORT_SESSION_AUTOFLUSH");
    assert_int_equal(c->server.port, 6543);
    assert_false(c->session.autoflush);
}

/* ---- names and lookups --------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void) state;
    const char *types[] = {"integer", "bigint", "float", "numeric",     "string", "text",
                           "boolean", "uuid",   "date",  "timestamptz", "json"};
    for (int i = CFG_TYPE_INTEGER; i <= CFG_TYPE_JSON; i++)
        assert_string_equal(cfg_type_name((cfg_type) i), types[i]);
    assert_string_equal(cfg_strategy_name(CFG_LOAD_RAISE), "raise");
    assert_string_equal(cfg_strategy_name(CFG_LOAD_SELECT), "select");
    assert_string_equal(cfg_strategy_name(CFG_LOAD_SELECTIN), "selectin");
    assert_string_equal(cfg_strategy_name(CFG_LOAD_JOINED), "joined");
    assert_string_equal(cfg_strategy_name(CFG_LOAD_NOLOAD), "noload");
    assert_string_equal(cfg_rel_kind_name(CFG_REL_MANY_TO_ONE), "many_to_one");
    assert_string_equal(cfg_rel_kind_name(CFG_REL_ONE_TO_MANY), "one_to_many");
    assert_string_equal(cfg_rel_kind_name(CFG_REL_MANY_TO_MANY), "many_to_many");
    assert_string_equal(cfg_type_name((cfg_type) 99), "unknown");
}

static void test_lookups(void **state)
{
    fixture *f = *state;
    cfg_config *c = load_ok(f, BOOKS, NOENV);
    assert_ptr_equal(cfg_model_by_name(c, "Genre"), &c->models[1]);
    assert_ptr_equal(cfg_model_by_table(c, "genres"), &c->models[1]);
    assert_null(cfg_model_by_name(c, "genres"));
    assert_null(cfg_model_by_table(c, "Genre"));
    assert_null(cfg_model_by_name(c, NULL));
    assert_null(cfg_model_by_name(NULL, "Genre"));
    assert_ptr_equal(cfg_column_by_name(&c->models[1], "name"), &c->models[1].columns[1]);
    assert_null(cfg_column_by_name(NULL, "name"));
    assert_null(cfg_relationship_by_name(&c->models[1], NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_sample_config),
        T(test_defaults),
        T(test_all_settings_from_file),
        T(test_unknown_keys_at_every_level),
        T(test_unknown_relationship_key),
        T(test_wrong_types),
        T(test_wrong_section_types),
        T(test_bad_values),
        T(test_invalid_json),
        T(test_missing_file),
        T(test_file_with_invalid_json_has_line),
        T(test_three_mistakes_three_items),
        T(test_failed_load_leaves_nothing),
        T(test_report_without_arena),
        T(test_bad_column_type),
        T(test_missing_primary_key),
        T(test_composite_key_limit),
        T(test_column_order_and_key_order),
        T(test_column_options_values),
        T(test_bad_column_options),
        T(test_bad_defaults),
        T(test_identifiers),
        T(test_unique_tables),
        T(test_version_column_and_checks),
        T(test_relationship_pair_resolves),
        T(test_lazy_strategies),
        T(test_unresolved_references),
        T(test_relationship_missing_target),
        T(test_back_populates_mismatch),
        T(test_bad_foreign_key),
        T(test_no_follow_on_errors),
        T(test_many_to_many),
        T(test_many_to_many_self),
        T(test_many_to_many_secondary_table),
        T(test_many_to_many_bad_secondary),
        T(test_reflect_forms),
        T(test_more_types),
        T(test_env_overrides_every_kind),
        T(test_env_precedence),
        T(test_env_bad_values),
        T(test_env_process_environment),
        T(test_names),
        T(test_lookups),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
