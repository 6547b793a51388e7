#include "api_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RETORT_BINARY_PATH
#define RETORT_BINARY_PATH RETORT_SOURCE_DIR "/build/retort"
#endif

api_fixture API;

static const char *const *group_env;
static char env_store[8][600];

/* RETORT_TEST_VIA_PGBOUNCER=prepared|unnamed: the same program through a
 * real PgBouncer in transaction pooling mode (tests/e2e/api/CMakeLists.txt
 * registers those runs): retort serves through it with
 * database.prepared_statements on or off, while the schema commands and
 * the SQL truth the tests compare with go straight to the database. The
 * table prefix gets a suffix so the runs do not share tables. */
static ts_pgbouncer bouncer;
static char bouncer_env[2][600];
static char via_prefix[32];

static const char *via_pgbouncer(void)
{
    const char *v = getenv("RETORT_TEST_VIA_PGBOUNCER");
    return v && *v ? v : NULL;
}

/* ---- strings ------------------------------------------------------------ */

arena *T(void)
{
    if (!API.test)
        API.test = arena_create(NULL, "api test");
    return API.test;
}

const char *S(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vsprintf(T(), fmt, ap);
    va_end(ap);
    return s;
}

const char *R(const char *name)
{
    return S("%s%s", API.prefix, name);
}

const char *U(const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(T(), 3 * n + 1);
    char *o = out;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char) *p;
        } else {
            sprintf(o, "%%%02X", *p);
            o += 3;
        }
    }
    *o = '\0';
    return out;
}

static void decref(void *p)
{
    json_decref(p);
}

static void free_ptr(void *p)
{
    free(p);
}

const char *J(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text)
        fail_msg("cannot serialise JSON");
    arena_on_reset(T(), free_ptr, text);
    return text;
}

json_t *jparse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("not JSON (%s): %.500s", e.text, text);
    arena_on_reset(T(), decref, j);
    return j;
}

/* ---- setup --------------------------------------------------------------- */

/* text (NULL: the template config/test/api.json) with every "api_"
 * replaced by prefix */
static bool write_config(const char *prefix, const char *text, const char *out_path)
{
    if (!text) {
        const char *tmpl = ts_source_path(API.group, "config/test/api.json");
        text = ts_read_file(API.group, tmpl, NULL);
        if (!text) {
            fprintf(stderr, "cannot read %s\n", tmpl);
            return false;
        }
    }
    FILE *f = fopen(out_path, "w");
    if (!f)
        return false;
    for (const char *p = text; *p;) {
        const char *hit = strstr(p, "\"api_");
        if (!hit) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t) (hit - p), f);
        if (strncmp(hit, "\"api_keys\"", 10) == 0) { /* auth.api_keys is not a table */
            fputs("\"api_", f);
            p = hit + 5;
            continue;
        }
        fprintf(f, "\"%s", prefix);
        p = hit + 5;
    }
    fclose(f);
    return true;
}

static int run_schema(const char *what)
{
    char log[256];
    snprintf(log, sizeof log, "/tmp/retort-api-schema-%d.log", (int) getpid());
    int rc = ts_system("RETORT_DATABASE_URL='%s' %s schema %s -c %s >%s 2>&1", ts_database_url(),
                       RETORT_BINARY_PATH, what, API.config_path, log);
    if (rc != 0) {
        fprintf(stderr, "retort schema %s failed (%d):\n", what, rc);
        ts_system("cat %s >&2", log);
    }
    unlink(log);
    return rc;
}

bool api_server_start(ts_server *s, const char *const *extra_env)
{
    const char *env[24];
    size_t n = 0;
    env[n++] = "RETORT_SERVER_DEBUG_HEADERS=true";
    if (bouncer.pid > 0) {
        env[n++] = bouncer_env[0];
        env[n++] = bouncer_env[1];
    }
    for (size_t i = 0; group_env && group_env[i] && n < 12; i++)
        env[n++] = group_env[i];
    for (size_t i = 0; extra_env && extra_env[i] && n < 22; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    return ts_server_start(s, API.config_path, env);
}

int api_group_setup(const char *prefix, const char *const *extra_env)
{
    return api_group_setup_config(prefix, NULL, extra_env);
}

int api_group_setup_config(const char *prefix, const char *config_text,
                           const char *const *extra_env)
{
    signal(SIGPIPE, SIG_IGN);
    const char *via = via_pgbouncer();
    if (via) {
        snprintf(via_prefix, sizeof via_prefix, "%sb%c_", prefix, via[0]);
        prefix = via_prefix;
        if (!ts_pgbouncer_start(&bouncer, ts_database_url(), 2))
            return -1;
        snprintf(bouncer_env[0], sizeof bouncer_env[0], "RETORT_DATABASE_URL=%s", bouncer.url);
        snprintf(bouncer_env[1], sizeof bouncer_env[1], "RETORT_DATABASE_PREPARED_STATEMENTS=%s",
                 strcmp(via, "unnamed") == 0 ? "false" : "true");
    }
    API.prefix = prefix;
    API.group = arena_create(NULL, "api group");
    ts_database_url(); /* exits loudly without RETORT_TEST_DATABASE_URL */
    snprintf(API.config_path, sizeof API.config_path, "/tmp/retort-api-%s%d.json", prefix,
             (int) getpid());
    if (!write_config(prefix, config_text, API.config_path))
        return -1;
    if (run_schema("drop") != 0 || run_schema("create") != 0)
        return -1;
    /* keep copies of the environment strings: putenv keeps the pointers */
    size_t n = 0;
    static const char *envp[8];
    for (size_t i = 0; extra_env && extra_env[i] && n < 7; i++) {
        snprintf(env_store[n], sizeof env_store[n], "%s", extra_env[i]);
        envp[n] = env_store[n];
        n++;
    }
    envp[n] = NULL;
    group_env = envp;
    if (!api_server_start(&API.srv, NULL))
        return -1;
    return 0;
}

int api_group_teardown(void)
{
    int rc = 0;
    if (API.srv.pid > 0) {
        rc = ts_server_stop(&API.srv);
        if (rc != 0) {
            printf("retort serve exited with %d\n", rc);
            ts_server_dump_log(&API.srv);
        }
    }
    if (getenv("RETORT_API_KEEP_LOG") == NULL)
        unlink(API.srv.log_path);
    unlink(API.config_path);
    ts_pgbouncer_stop(&bouncer);
    arena_destroy(API.test);
    API.test = NULL;
    arena_destroy(API.group);
    return rc == 0 ? 0 : -1;
}

static double test_started;
static int deferred_failures;

void api_defer_failure(void)
{
    deferred_failures++;
}

int api_test_setup(void **state)
{
    (void) state;
    test_started = ts_now();
    deferred_failures = 0;
    arena_destroy(API.test);
    API.test = arena_create(NULL, "api test");
    return 0;
}

long api_pool_checked_out(int port)
{
    long out = -1;
    double deadline = ts_now() + 3;
    do {
        arena *a = arena_create(NULL, "pool");
        ts_response *r = ts_http(a, port, "GET", "/health/pool", NULL, NULL, 0, 5000);
        json_t *j = r->status == 200 ? json_loads(r->body, 0, NULL) : NULL;
        out = j && json_is_integer(json_object_get(j, "checked_out"))
                  ? (long) json_integer_value(json_object_get(j, "checked_out"))
                  : -1;
        json_decref(j);
        arena_destroy(a);
        if (out == 0)
            break;
        ts_sleep_ms(50);
    } while (ts_now() < deadline);
    return out;
}

int api_test_teardown(void **state)
{
    (void) state;
    int rc = 0;
    int status;
    if (API.srv.pid > 0 && waitpid(API.srv.pid, &status, WNOHANG) == API.srv.pid) {
        printf("ERROR: retort serve died (status 0x%x)\n", status);
        API.srv.pid = 0;
        ts_server_dump_log(&API.srv);
        rc = -1;
    } else {
        arena *a = arena_create(NULL, "health");
        ts_response *r = ts_http(a, API.srv.port, "GET", "/health", NULL, NULL, 0, 5000);
        if (r->status != 200) {
            printf("ERROR: GET /health after the test answered %d\n", r->status);
            rc = -1;
        }
        arena_destroy(a);
        long out = api_pool_checked_out(API.admin_port ? API.admin_port : API.srv.port);
        if (out != 0) {
            printf("ERROR: /health/pool checked_out is %ld after the test (expected 0)\n", out);
            rc = -1;
        }
    }
    if (deferred_failures) {
        printf("ERROR: %d deferred failure(s) in this test (see above)\n", deferred_failures);
        rc = -1;
    }
    printf("  (%.2f s)\n", ts_now() - test_started);
    arena_destroy(API.test);
    API.test = NULL;
    return rc;
}

/* ---- HTTP --------------------------------------------------------------- */

api_reply *api_call_port(int port, const char *method, const char *path, const char *body,
                         size_t body_len, const char *const *headers, int timeout_ms)
{
    api_reply *rep = ARENA_NEW(T(), api_reply);
    rep->method = method;
    rep->path = path;
    rep->raw = ts_http(T(), port, method, path, headers, body, body ? body_len : 0, timeout_ms);
    rep->status = rep->raw->status;
    if (rep->raw->seconds > 1.0 || getenv("RETORT_API_TRACE"))
        printf("  slow? %s %.200s -> %d in %.3f s\n", method, path, rep->status, rep->raw->seconds);
    const char *ct = ts_header_get(rep->raw, "Content-Type");
    if (ct && strstr(ct, "json") && rep->raw->body_len > 0) {
        rep->body = json_loadb(rep->raw->body, rep->raw->body_len, JSON_DECODE_ANY, NULL);
        if (rep->body)
            arena_on_reset(T(), decref, rep->body);
    }
    return rep;
}

api_reply *api_call(const char *method, const char *path, const char *body,
                    const char *const *headers)
{
    return api_call_port(API.srv.port, method, path, body, body ? strlen(body) : 0, headers, 30000);
}

static void describe(const api_reply *r)
{
    print_error("  request: %s %s\n  reply: %d %.3000s\n", r->method, r->path, r->status,
                r->raw->body ? r->raw->body : "");
}

long api_query_count(const api_reply *r, const char *file, int line)
{
    const char *v = ts_header_get(r->raw, "X-Query-Count");
    if (!v) {
        print_error("no X-Query-Count header (server.debug_headers is on)\n");
        describe(r);
        _fail(file, line);
    }
    return strtol(v, NULL, 10);
}

void api_expect_status(const api_reply *r, int code, const char *file, int line)
{
    if (r->status == code)
        return;
    print_error("expected status %d, got %d\n", code, r->status);
    describe(r);
    _fail(file, line);
}

bool api_has_pointer(const json_t *problem, const char *pointer)
{
    const json_t *errors = json_object_get(problem, "errors");
    size_t i;
    const json_t *it;
    json_array_foreach(errors, i, it)
    {
        const char *p = json_string_value(json_object_get(it, "pointer"));
        if (p && strcmp(p, pointer) == 0)
            return true;
    }
    return false;
}

const char *api_problem_text(const json_t *problem)
{
    const char *detail = json_string_value(json_object_get(problem, "detail"));
    const char *text = S("%s", detail ? detail : "");
    const json_t *errors = json_object_get(problem, "errors");
    size_t i;
    const json_t *it;
    json_array_foreach(errors, i, it)
    {
        const char *d = json_string_value(json_object_get(it, "detail"));
        text = S("%s\n%s", text, d ? d : "");
    }
    return text;
}

void api_expect_problem(const api_reply *r, int code, const char *pointer, const char *file,
                        int line)
{
    const char *why = NULL;
    const char *ct = ts_header_get(r->raw, "Content-Type");
    const json_t *p = r->body;
    if (r->status != code)
        why = S("expected status %d, got %d", code, r->status);
    else if (!ct || strncmp(ct, "application/problem+json", 24) != 0)
        why = S("Content-Type is %s, not application/problem+json", ct ? ct : "absent");
    else if (!json_is_object(p))
        why = "the body is not a JSON object";
    else if (!json_is_string(json_object_get(p, "type")) ||
             !*json_string_value(json_object_get(p, "type")))
        why = "\"type\" is missing or not a non-empty string";
    else if (!json_is_string(json_object_get(p, "title")))
        why = "\"title\" is missing or not a string";
    else if (!json_is_integer(json_object_get(p, "status")) ||
             json_integer_value(json_object_get(p, "status")) != code)
        why = "\"status\" is missing or differs from the HTTP status";
    else if (!json_is_string(json_object_get(p, "detail")))
        why = "\"detail\" is missing or not a string";
    else if (json_object_get(p, "errors") && !json_is_array(json_object_get(p, "errors")))
        why = "\"errors\" is not an array";
    if (!why && json_object_get(p, "errors")) {
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(p, "errors"), i, it)
        {
            if (!json_is_object(it) || !json_is_string(json_object_get(it, "detail")))
                why = S("errors[%zu] has no detail string", i);
            else if (json_object_get(it, "pointer") &&
                     !json_is_string(json_object_get(it, "pointer")))
                why = S("errors[%zu].pointer is not a string", i);
            else if (json_is_string(json_object_get(it, "pointer")) &&
                     json_string_value(json_object_get(it, "pointer"))[0] &&
                     json_string_value(json_object_get(it, "pointer"))[0] != '/')
                why = S("errors[%zu].pointer is not a JSON Pointer", i);
        }
    }
    if (!why && pointer == API_NO_POINTER) {
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(p, "errors"), i, it)
        {
            if (json_object_get(it, "pointer"))
                why = S("errors[%zu] has a pointer; expected none", i);
        }
    } else if (!why && pointer && !api_has_pointer(p, pointer)) {
        why = S("no errors[] item has the pointer \"%s\"", pointer);
    }
    if (!why)
        return;
    print_error("%s\n", why);
    describe(r);
    _fail(file, line);
}

void api_expect_pointers(const api_reply *r, const char *const *pointers, const char *file,
                         int line)
{
    for (size_t i = 0; pointers[i]; i++) {
        if (!api_has_pointer(r->body, pointers[i])) {
            print_error("no errors[] item has the pointer \"%s\"\n", pointers[i]);
            describe(r);
            _fail(file, line);
        }
    }
}

void api_expect_pointer_prefix(const api_reply *r, const char *prefix, const char *file, int line)
{
    const json_t *errors = json_object_get(r->body, "errors");
    size_t i;
    const json_t *it;
    json_array_foreach(errors, i, it)
    {
        const char *p = json_string_value(json_object_get(it, "pointer"));
        if (p && strncmp(p, prefix, strlen(prefix)) == 0)
            return;
    }
    print_error("no errors[] item has a pointer starting with \"%s\"\n", prefix);
    describe(r);
    _fail(file, line);
}

void api_expect_no_sql(const api_reply *r, const char *file, int line)
{
    static const char *const needles[] = {"INSERT INTO",
                                          "SELECT ",
                                          "UPDATE \"",
                                          "DELETE FROM",
                                          " WHERE ",
                                          "RETURNING",
                                          "duplicate key value",
                                          "violates unique constraint",
                                          "violates foreign key constraint",
                                          "violates check constraint",
                                          "violates not-null constraint",
                                          "ERROR:",
                                          "DETAIL:",
                                          "Key (",
                                          "$1",
                                          NULL};
    const char *body = r->raw->body ? r->raw->body : "";
    for (size_t i = 0; needles[i]; i++) {
        if (strstr(body, needles[i])) {
            /* deferred: the rest of the test still runs, the test fails in
             * its teardown */
            print_error("%s:%d: DEFERRED FAILURE: the problem body contains SQL or a raw "
                        "PostgreSQL message (\"%s\")\n",
                        file, line, needles[i]);
            describe(r);
            api_defer_failure();
            return;
        }
    }
}

/* ---- JSON helpers ----------------------------------------------------------- */

json_t *jget(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        fail_msg("no key \"%s\" in %.2000s", key, o ? J(o) : "(null)");
    return v;
}

const char *jstr(const json_t *o, const char *key)
{
    json_t *v = jget(o, key);
    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string in %.2000s", key, J(o));
    return json_string_value(v);
}

long long jint(const json_t *o, const char *key)
{
    json_t *v = jget(o, key);
    if (!json_is_integer(v))
        fail_msg("\"%s\" is not an integer in %.2000s", key, J(o));
    return (long long) json_integer_value(v);
}

json_t *jdata(const api_reply *r)
{
    if (!json_is_object(r->body) || !json_is_array(json_object_get(r->body, "data")) ||
        !json_is_object(json_object_get(r->body, "meta")))
        fail_msg("%s %s: not a list envelope {data, meta}: %d %.2000s", r->method, r->path,
                 r->status, r->raw->body);
    json_t *meta = json_object_get(r->body, "meta");
    json_t *limit = json_object_get(meta, "limit"); /* null: limit=all */
    if (!(json_is_integer(limit) || json_is_null(limit)) ||
        !json_is_integer(json_object_get(meta, "offset")) || !json_object_get(meta, "count"))
        fail_msg("%s %s: meta lacks limit, offset or count: %.2000s", r->method, r->path,
                 r->raw->body);
    return json_object_get(r->body, "data");
}

const char *jcolumn(const json_t *array, const char *key)
{
    const char *out = "";
    size_t i;
    const json_t *it;
    json_array_foreach(array, i, it)
    {
        const json_t *v = json_object_get(it, key);
        const char *text = json_is_string(v)    ? json_string_value(v)
                           : json_is_integer(v) ? S("%lld", (long long) json_integer_value(v))
                           : v                  ? J(v)
                                                : "(absent)";
        out = i ? S("%s\n%s", out, text) : text;
    }
    return out;
}

/* ---- SQL ------------------------------------------------------------------ */

static const char *run_sql(const char *text)
{
    const char *out, *errors;
    if (ts_psql_capture(T(), ts_database_url(), text, &out, &errors) != 0) {
        print_error("psql failed on: %s\n%s\n", text, errors ? errors : "");
        fail();
    }
    return out;
}

const char *sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vsprintf(T(), fmt, ap);
    va_end(ap);
    return run_sql(text);
}

long long sql_int(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vsprintf(T(), fmt, ap);
    va_end(ap);
    const char *out = run_sql(text);
    char *end;
    long long v = strtoll(out, &end, 10);
    if (end == out || *end)
        fail_msg("expected one integer from %s, got \"%s\"", text, out);
    return v;
}

void sql_exec(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = arena_vsprintf(T(), fmt, ap);
    va_end(ap);
    run_sql(text);
}
