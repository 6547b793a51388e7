/*
 * test_cfg_auth — the security settings of the config (src/config/
 * cfg_auth.c): auth (jwt, api_keys, roles, tenancy), server.cors,
 * server.admin_port and model permissions, each mistake reported at its
 * JSON path, all of them in one load.
 */
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

static char *NOENV[] = {NULL};

typedef struct fixture {
    arena *a;
    err_report err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_cfg_auth");
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

static const char *MODELS =
    "'models': {'Order': {'table': 'orders', 'columns': {"
    " 'id': {'type': 'integer', 'primary_key': true},"
    " 'owner': {'type': 'string'}, 'total': {'type': 'numeric'}}%s}}";

static cfg_config *load(fixture *f, const char *single_quoted, char **envp)
{
    err_init(&f->err, f->a);
    return cfg_load_string(f->a, ts_dquote(f->a, single_quoted), "t.json", envp ? envp : NOENV,
                           &f->err);
}

static void expect_item(const err_report *err, const char *pointer, const char *text)
{
    for (size_t i = 0; i < err->n_items; i++)
        if (err->items[i].pointer && strcmp(err->items[i].pointer, pointer) == 0 &&
            (!text || strstr(err->items[i].detail, text)))
            return;
    for (size_t i = 0; i < err->n_items; i++)
        print_message("  %s: %s\n", err->items[i].pointer ? err->items[i].pointer : "(none)",
                      err->items[i].detail);
    fail_msg("no item at %s containing \"%s\"", pointer, text ? text : "");
}

static void test_full_auth_section(void **state)
{
    fixture *f = *state;
    const char *perms = ", 'permissions': {"
                        " 'customer': {'operations': ['list', 'get', 'create'],"
                        "   'read': ['id', 'total'], 'write': ['total'],"
                        "   'rows': {'owner': {'$claim': 'sub'}}},"
                        " 'reporter': {'operations': '*', 'read': '*'}}";
    cfg_config *c = load(
        f,
        arena_sprintf(
            f->a,
            "{'server': {'admin_port': 9090, 'cors': {'origins': ['https://a.example'],"
            "  'methods': ['GET', 'POST'], 'headers': ['Authorization'], 'max_age_s': 60,"
            "  'credentials': true}},"
            " 'auth': {'jwt': {'algorithms': ['HS256', 'ES256'], 'secret_env': 'JWT_SECRET',"
            "   'jwks_file': '/k.json', 'audience': 'a', 'issuer': 'i', 'leeway_s': 10},"
            "  'api_keys': {'rep': {'sha256': '%s', 'role': 'reporter'}},"
            "  'anonymous_role': 'anon', 'admin_roles': ['admin', 'ops'],"
            "  'database_role': true,"
            "  'tenancy': {'claim': 'tenant', 'schemas': {'acme': 'tenant_acme'}}},"
            " %s}",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            arena_sprintf(f->a, MODELS, perms)),
        NULL);
    if (!c)
        expect_item(&f->err, "none", NULL);
    assert_int_equal(c->server.admin_port, 9090);
    assert_true(c->server.cors.enabled);
    assert_string_equal(c->server.cors.methods, "GET, POST");
    assert_string_equal(c->server.cors.headers, "Authorization");
    assert_true(c->server.cors.credentials);
    const cfg_auth *a = &c->auth;
    assert_true(a->enabled && a->jwt.enabled && a->database_role);
    assert_int_equal(a->jwt.algorithms, CFG_JWT_HS256 | CFG_JWT_ES256);
    assert_string_equal(a->jwt.role_claim, "role");
    assert_int_equal(a->jwt.leeway_s, 10);
    assert_int_equal(a->n_api_keys, 1);
    assert_int_equal(a->api_keys[0].sha256[0], 0x9f);
    assert_int_equal(a->api_keys[0].sha256[31], 0x08);
    assert_true(cfg_is_admin_role(c, "ops"));
    assert_false(cfg_is_admin_role(c, "customer"));
    assert_string_equal(cfg_tenant_schema(c, "acme"), "tenant_acme");
    assert_null(cfg_tenant_schema(c, "globex"));
    const cfg_permission *p = cfg_permission_for(&c->models[0], "customer");
    assert_non_null(p);
    assert_int_equal(p->operations, CFG_OP_LIST | CFG_OP_GET | CFG_OP_CREATE);
    assert_int_equal(p->n_read, 2);
    assert_string_equal(p->rows_json, "{\"owner\":{\"$claim\":\"sub\"}}");
    const cfg_permission *r = cfg_permission_for(&c->models[0], "reporter");
    assert_null(r->read);
    assert_null(r->rows_json);
    assert_null(cfg_permission_for(&c->models[0], "anon"));
}

static void test_defaults_without_auth(void **state)
{
    fixture *f = *state;
    cfg_config *c = load(f, "{}", NULL);
    assert_non_null(c);
    assert_false(c->auth.enabled);
    assert_false(c->server.cors.enabled);
    assert_int_equal(c->server.admin_port, 0);
    assert_string_equal(c->server.host, "127.0.0.1");
    /* The environment sets the admin port like any server setting. */
    char *env[] = {"RETORT_SERVER_ADMIN_PORT=9191", NULL};
    c = load(f, "{}", env);
    assert_int_equal(c->server.admin_port, 9191);
}

static void test_every_mistake_at_its_path(void **state)
{
    fixture *f = *state;
    const char *perms = ", 'permissions': {"
                        " 'customer': {'operations': ['list', 'fly'], 'read': ['id', 'nope'],"
                        "   'rows': [1], 'extra': 1},"
                        " 'other': 3}";
    cfg_config *c = load(
        f,
        arena_sprintf(
            f->a,
            "{'server': {'port': 8080, 'admin_port': 8080, 'cors': {'origins': ['*'],"
            "  'credentials': true, 'methods': ['FETCH'], 'max_age_s': -1}},"
            " 'auth': {'jwt': {'algorithms': ['HS512', 'RS256'], 'secret_env': 'BAD NAME',"
            "   'secret_file': '/x', 'leeway_s': 99999},"
            "  'api_keys': {'k': {'sha256': 'abc', 'role': 'r'}, 'm': {'role': 'r'}},"
            "  'admin_roles': 'admin', 'tenancy': {'header': 'X-Tenant', 'schemas': {}},"
            "  'surprise': true},"
            " %s}",
            arena_sprintf(f->a, MODELS, perms)),
        NULL);
    assert_null(c);
    expect_item(&f->err, "/server/admin_port", "must differ");
    expect_item(&f->err, "/server/cors/origins/0", "only origin");
    expect_item(&f->err, "/server/cors/methods/0", "FETCH");
    expect_item(&f->err, "/server/cors/max_age_s", NULL);
    expect_item(&f->err, "/auth/jwt/algorithms/0", "HS512");
    expect_item(&f->err, "/auth/jwt/algorithms", "RS256 and ES256 need");
    expect_item(&f->err, "/auth/jwt/secret_env", "environment variable");
    expect_item(&f->err, "/auth/jwt/secret_file", "not both");
    expect_item(&f->err, "/auth/jwt/leeway_s", NULL);
    expect_item(&f->err, "/auth/api_keys/k/sha256", "64 hexadecimal");
    expect_item(&f->err, "/auth/api_keys/m", "needs");
    expect_item(&f->err, "/auth/admin_roles", "array");
    expect_item(&f->err, "/auth/tenancy/header", "trusted_roles");
    expect_item(&f->err, "/auth/tenancy/schemas", NULL);
    expect_item(&f->err, "/auth/surprise", "unknown key");
    expect_item(&f->err, "/models/Order/permissions/customer/operations/1", "fly");
    expect_item(&f->err, "/models/Order/permissions/customer/read/1", "nope");
    expect_item(&f->err, "/models/Order/permissions/customer/rows", "where document");
    expect_item(&f->err, "/models/Order/permissions/customer/extra", "unknown key");
    expect_item(&f->err, "/models/Order/permissions/other", "object");
}

static void test_permissions_need_auth(void **state)
{
    fixture *f = *state;
    const char *perms = ", 'permissions': {'x': {'operations': ['list']}}";
    assert_null(load(f, arena_sprintf(f->a, "{%s}", arena_sprintf(f->a, MODELS, perms)), NULL));
    expect_item(&f->err, "/models/Order/permissions", "auth");
    assert_null(load(f, "{'auth': {}}", NULL));
    expect_item(&f->err, "/auth", "lets nobody in");
    assert_null(load(f, "{'auth': {'jwt': {}}}", NULL));
    expect_item(&f->err, "/auth/jwt", "needs a key");
    /* The algorithms follow from the keys when not listed. */
    cfg_config *c = load(f, "{'auth': {'jwt': {'secret_file': '/s', 'public_key_file': '/p'}}}",
                         NULL);
    assert_non_null(c);
    assert_int_equal(c->auth.jwt.algorithms, CFG_JWT_HS256 | CFG_JWT_RS256 | CFG_JWT_ES256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_auth_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_without_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_mistake_at_its_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permissions_need_auth, setup, teardown),
    };
    return cmocka_run_group_tests_name("cfg_auth", tests, NULL, NULL);
}
