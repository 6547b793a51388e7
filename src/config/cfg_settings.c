/*
 * cfg_settings — the scalar settings of "database", "server", "session"
 * and the top-level "reflect", described once in SETTINGS below. The same
 * row drives the file parser, the environment override
 * (RETORT_<SECTION>_<KEY>, plus an optional shortcut name) and the range
 * check, so a value is validated the same way wherever it comes from.
 *
 * Adding a setting: a field in cfg.h, its default in cfg_default()
 * (cfg_load.c), one row here.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg_int.h"
#include "isolation.h"

typedef enum setting_kind {
    S_INT,        /* int field, JSON integer, range [min, max] */
    S_SIZE,       /* size_t field, JSON integer, range [min, max] */
    S_SECONDS,    /* double field, any JSON number, range [dmin, dmax] */
    S_BOOL,       /* bool field: JSON true/false; env true/false/1/0 */
    S_STRING,     /* const char * field, non-empty */
    S_OPT_STRING, /* const char * field, non-empty or null (env: empty = null) */
    S_ISOLATION   /* const char * field, one of ISOLATION_LEVELS */
} setting_kind;

typedef struct setting {
    const char *section; /* NULL: a top-level key */
    const char *key;
    setting_kind kind;
    size_t offset;        /* of the field in cfg_config */
    long long min, max;   /* S_INT, S_SIZE */
    double dmin, dmax;    /* S_SECONDS */
    const char *shortcut; /* a second environment name; the long one wins */
} setting;

#define AT(section, type, field) (offsetof(cfg_config, section) + offsetof(type, field))
#define DB(field) AT(database, cfg_database, field)
#define SRV(field) AT(server, cfg_server, field)
#define SES(field) AT(session, cfg_session, field)
#define LOG(field) AT(log, cfg_log, field)

static const setting SETTINGS[] = {
    {"database", "url", S_STRING, DB(url), 0, 0, 0, 0, "DATABASE_URL"},
    {"database", "pool_size", S_INT, DB(pool_size), 1, 10000, 0, 0, NULL},
    {"database", "max_overflow", S_INT, DB(max_overflow), 0, 10000, 0, 0, NULL},
    {"database", "pool_timeout", S_SECONDS, DB(pool_timeout), 0, 0, 0, 86400, NULL},
    {"database", "pool_recycle", S_SECONDS, DB(pool_recycle), 0, 0, -1e9, 1e9, NULL},
    {"database", "pool_pre_ping", S_BOOL, DB(pool_pre_ping), 0, 0, 0, 0, NULL},
    {"database", "statement_timeout_ms", S_INT, DB(statement_timeout_ms), 0, INT_MAX, 0, 0, NULL},
    {"database", "isolation_level", S_ISOLATION, DB(isolation_level), 0, 0, 0, 0, NULL},
    {"database", "prepared_statements", S_BOOL, DB(prepared_statements), 0, 0, 0, 0, NULL},
    {"database", "connect_timeout", S_INT, DB(connect_timeout), 0, 86400, 0, 0, NULL},
    {"database", "drift_check_interval", S_SECONDS, DB(drift_check_interval), 0, 0, 0, 86400,
     NULL},
    {"database", "max_replica_lag_ms", S_INT, DB(max_replica_lag_ms), 0, INT_MAX, 0, 0, NULL},

    {"server", "host", S_STRING, SRV(host), 0, 0, 0, 0, NULL},
    {"server", "port", S_INT, SRV(port), 1, 65535, 0, 0, "RETORT_PORT"},
    {"server", "admin_port", S_INT, SRV(admin_port), 0, 65535, 0, 0, NULL},
    {"server", "io_threads", S_INT, SRV(io_threads), 1, 1024, 0, 0, NULL},
    {"server", "workers", S_INT, SRV(workers), 1, 10000, 0, 0, NULL},
    {"server", "queue_depth", S_INT, SRV(queue_depth), 1, 10000000, 0, 0, NULL},
    {"server", "max_body_bytes", S_SIZE, SRV(max_body_bytes), 1, LLONG_MAX, 0, 0, NULL},
    {"server", "max_limit", S_INT, SRV(max_limit), 1, INT_MAX, 0, 0, NULL},
    {"server", "default_limit", S_INT, SRV(default_limit), 1, INT_MAX, 0, 0, NULL},
    {"server", "debug_headers", S_BOOL, SRV(debug_headers), 0, 0, 0, 0, NULL},
    {"server", "access_log", S_BOOL, SRV(access_log), 0, 0, 0, 0, NULL},
    {"server", "docs_dir", S_OPT_STRING, SRV(docs_dir), 0, 0, 0, 0, NULL},
    {"server", "shutdown_grace_ms", S_INT, SRV(shutdown_grace_ms), 0, 3600000, 0, 0, NULL},
    {"server", "max_connections_per_client", S_INT, SRV(max_connections_per_client), 1, 100000,
     0, 0, NULL},
    {"server", "idle_timeout_s", S_INT, SRV(idle_timeout_s), 1, 86400, 0, 0, NULL},
    {"server", "header_timeout_s", S_INT, SRV(header_timeout_s), 1, 86400, 0, 0, NULL},
    {"server", "body_timeout_s", S_INT, SRV(body_timeout_s), 1, 86400, 0, 0, NULL},
    {"server", "max_connections", S_INT, SRV(max_connections), 16, 1000000, 0, 0, NULL},
    {"server", "connection_memory_kib", S_INT, SRV(connection_memory_kib), 4, 1024, 0, 0, NULL},

    {"session", "expire_on_commit", S_BOOL, SES(expire_on_commit), 0, 0, 0, 0, NULL},
    {"session", "autoflush", S_BOOL, SES(autoflush), 0, 0, 0, 0, NULL},
    {"session", "retry_attempts", S_INT, SES(retry_attempts), 0, 100, 0, 0, NULL},
    {"session", "retry_backoff_ms", S_INT, SES(retry_backoff_ms), 0, 60000, 0, 0, NULL},

    {"log", "level", S_STRING, LOG(level), 0, 0, 0, 0, NULL},
    {"log", "format", S_STRING, LOG(format), 0, 0, 0, 0, NULL},

    /* Also {"schemas": [...], "exclude": [...]} in the file (parse_reflect). */
    {NULL, "reflect", S_BOOL, AT(reflect, cfg_reflect, enabled), 0, 0, 0, 0, NULL},
};

enum { N_SETTINGS = sizeof SETTINGS / sizeof SETTINGS[0] };

static const char *const SECTIONS[] = {"database", "server", "session", "log"};


/* A parsed value, whichever source it came from. */
typedef union value {
    long long i;
    double d;
    bool b;
    const char *s;
} value;

/* ---- one value ---------------------------------------------------------- */

/* Remembers that a value of s was refused, so checks that combine it with
 * other settings stay quiet. */
static void refuse(cfg__ctx *ctx, const setting *s)
{
    if (!ctx->setting_bad)
        ctx->setting_bad = ARENA_ARRAY(ctx->scratch, bool, N_SETTINGS);
    ctx->setting_bad[s - SETTINGS] = true;
}

static bool refused(const cfg__ctx *ctx, const char *section, const char *key)
{
    for (size_t i = 0; ctx->setting_bad && i < N_SETTINGS; i++)
        if (SETTINGS[i].section && strcmp(SETTINGS[i].section, section) == 0 &&
            strcmp(SETTINGS[i].key, key) == 0)
            return ctx->setting_bad[i];
    return false;
}

static const char *setting_ptr(cfg__ctx *ctx, const setting *s)
{
    const char *parent = s->section ? cfg__ptr(ctx, "", s->section) : "";
    return cfg__ptr(ctx, parent, s->key);
}

/* "RETORT_DATABASE_POOL_SIZE"; scratch. */
static const char *env_name(cfg__ctx *ctx, const setting *s)
{
    const char *name = s->section ? arena_sprintf(ctx->scratch, "RETORT_%s_%s", s->section, s->key)
                                  : arena_sprintf(ctx->scratch, "RETORT_%s", s->key);
    char *up = (char *) name;
    for (char *p = up; *p; p++)
        *p = (char) toupper((unsigned char) *p);
    return up;
}

/* Range and enum checks shared by both sources. who: "\"port\"" or
 * "environment variable RETORT_SERVER_PORT". */
static bool check_value(cfg__ctx *ctx, const setting *s, value *v, const char *ptr, const char *who)
{
    switch (s->kind) {
    case S_INT:
    case S_SIZE:
        if (v->i < s->min || v->i > s->max) {
            cfg__error(ctx, ptr, "%s must be between %lld and %lld, got %lld", who, s->min, s->max,
                       v->i);
            return false;
        }
        return true;
    case S_SECONDS:
        if (!isfinite(v->d) || v->d < s->dmin || v->d > s->dmax) {
            cfg__error(ctx, ptr, "%s must be between %g and %g seconds, got %g", who, s->dmin,
                       s->dmax, v->d);
            return false;
        }
        return true;
    case S_ISOLATION: {
        const char *canon = isolation_level_parse(v->s);
        if (!canon) {
            cfg__error(ctx, ptr,
                       "%s: unknown isolation level \"%s\"; expected READ COMMITTED, "
                       "REPEATABLE READ or SERIALIZABLE",
                       who, v->s);
            return false;
        }
        v->s = canon; /* a literal: lives forever */
        return true;
    }
    case S_STRING:
        if (!*v->s) {
            cfg__error(ctx, ptr, "%s must not be empty", who);
            return false;
        }
        return true;
    case S_BOOL:
    case S_OPT_STRING:
        return true;
    }
    return true;
}

static void store(cfg__ctx *ctx, const setting *s, value v)
{
    char *field = (char *) ctx->cfg + s->offset;
    switch (s->kind) {
    case S_INT:
        *(int *) (void *) field = (int) v.i;
        break;
    case S_SIZE:
        *(size_t *) (void *) field = (size_t) v.i;
        break;
    case S_SECONDS:
        *(double *) (void *) field = v.d;
        break;
    case S_BOOL:
        *(bool *) (void *) field = v.b;
        break;
    case S_ISOLATION:
        *(const char **) (void *) field = v.s;
        break;
    case S_STRING:
    case S_OPT_STRING:
        *(const char **) (void *) field = v.s ? arena_strdup(ctx->a, v.s) : NULL;
        break;
    }
}

/* ---- the file ----------------------------------------------------------- */

static bool from_json(cfg__ctx *ctx, const setting *s, const json_t *j, const char *ptr, value *out)
{
    const char *want = NULL;
    switch (s->kind) {
    case S_INT:
    case S_SIZE:
        if (json_is_integer(j)) {
            out->i = json_integer_value(j);
            return true;
        }
        want = "an integer";
        break;
    case S_SECONDS:
        if (json_is_number(j)) {
            out->d = json_number_value(j);
            return true;
        }
        want = "a number of seconds";
        break;
    case S_BOOL:
        if (json_is_boolean(j)) {
            out->b = json_is_true(j);
            return true;
        }
        want = "a boolean";
        break;
    case S_OPT_STRING:
        if (json_is_null(j)) {
            out->s = NULL;
            return true;
        }
        if (json_is_string(j) && json_string_length(j) == 0) {
            cfg__error(ctx, ptr, "\"%s\" must not be empty; use null for none", s->key);
            return false;
        }
        /* fall through */
    case S_STRING:
    case S_ISOLATION:
        if (json_is_string(j)) {
            out->s = json_string_value(j);
            return true;
        }
        want = s->kind == S_OPT_STRING ? "a string or null" : "a string";
        break;
    }
    cfg__error(ctx, ptr, "\"%s\" must be %s, got %s", s->key, want, jsonkind_name(j));
    return false;
}

static void parse_one(cfg__ctx *ctx, const setting *s, const json_t *j)
{
    const char *ptr = setting_ptr(ctx, s);
    value v = {0};
    const char *who = arena_sprintf(ctx->scratch, "\"%s\"", s->key);
    if (from_json(ctx, s, j, ptr, &v) && check_value(ctx, s, &v, ptr, who))
        store(ctx, s, v);
    else
        refuse(ctx, s);
}

static void parse_section(cfg__ctx *ctx, const json_t *root, const char *section)
{
    const json_t *obj = json_object_get(root, section);
    if (!obj)
        return;
    const char *ptr = cfg__ptr(ctx, "", section);
    if (!json_is_object(obj)) {
        cfg__error(ctx, ptr, "\"%s\" must be an object, got %s", section, jsonkind_name(obj));
        return;
    }
    const char **allowed = ARENA_ARRAY(ctx->scratch, const char *, N_SETTINGS + 2);
    size_t n = 0;
    /* Objects inside a section are parsed by their own files. */
    if (strcmp(section, "server") == 0)
        allowed[n++] = "cors";
    if (strcmp(section, "database") == 0)
        allowed[n++] = "replicas"; /* an array: cfg_replicas.c */
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (SETTINGS[i].section && strcmp(SETTINGS[i].section, section) == 0)
            allowed[n++] = SETTINGS[i].key;
    cfg__check_keys(ctx, obj, ptr, allowed);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &SETTINGS[i];
        if (!s->section || strcmp(s->section, section) != 0)
            continue;
        const json_t *j = json_object_get(obj, s->key);
        if (j)
            parse_one(ctx, s, j);
    }
    const json_t *cors = strcmp(section, "server") == 0 ? json_object_get(obj, "cors") : NULL;
    if (cors)
        cfg__parse_cors(ctx, cors, cfg__ptr(ctx, ptr, "cors"));
}

/* A non-empty array of names into *out (NULL-terminated, in ctx->a). */
static void name_list(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                      const char *const **out, size_t *n)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return;
    const char *kptr = cfg__ptr(ctx, ptr, key);
    if (!json_is_array(v)) {
        cfg__error(ctx, kptr, "\"%s\" must be an array of names, got %s", key, jsonkind_name(v));
        return;
    }
    const char **list = ARENA_ARRAY(ctx->a, const char *, json_array_size(v) + 1);
    size_t k = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0) {
            cfg__error(ctx, cfg__ptr_index(ctx, kptr, i), "expected a name, got %s",
                       jsonkind_name(e));
            continue;
        }
        list[k++] = arena_strdup(ctx->a, json_string_value(e));
    }
    *out = list;
    *n = k;
}

/* "reflect": {"schemas": [...], "exclude": [...]}; true/false go through
 * SETTINGS like any boolean. */
static void parse_reflect(cfg__ctx *ctx, const json_t *obj)
{
    static const char *const KEYS[] = {"schemas", "exclude", NULL};
    cfg_reflect *r = &ctx->cfg->reflect;
    cfg__check_keys(ctx, obj, "/reflect", KEYS);
    r->enabled = true;
    name_list(ctx, obj, "/reflect", "schemas", &r->schemas, &r->n_schemas);
    name_list(ctx, obj, "/reflect", "exclude", &r->exclude, &r->n_exclude);
    if (json_object_get(obj, "schemas") && r->n_schemas == 0)
        cfg__error(ctx, "/reflect/schemas", "\"schemas\" must name at least one schema");
}

void cfg__parse_settings(cfg__ctx *ctx, const json_t *root)
{
    const json_t *reflect = json_object_get(root, "reflect");
    if (json_is_object(reflect))
        parse_reflect(ctx, reflect);
    for (size_t i = 0; i < sizeof SECTIONS / sizeof SECTIONS[0]; i++)
        parse_section(ctx, root, SECTIONS[i]);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &SETTINGS[i];
        if (s->section)
            continue;
        const json_t *j = json_object_get(root, s->key);
        if (j && !json_is_object(j))
            parse_one(ctx, s, j);
    }
}

/* ---- the environment ---------------------------------------------------- */

const char *cfg_env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static bool from_text(cfg__ctx *ctx, const setting *s, const char *text, const char *ptr,
                      const char *who, value *out)
{
    switch (s->kind) {
    case S_INT:
    case S_SIZE: {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(text, &end, 10);
        if (!*text || isspace((unsigned char) *text) || *end || errno == ERANGE) {
            cfg__error(ctx, ptr, "%s must be an integer, got \"%s\"", who, text);
            return false;
        }
        out->i = n;
        return true;
    }
    case S_SECONDS: {
        char *end = NULL;
        errno = 0;
        double d = strtod(text, &end);
        if (!*text || isspace((unsigned char) *text) || *end || errno == ERANGE) {
            cfg__error(ctx, ptr, "%s must be a number of seconds, got \"%s\"", who, text);
            return false;
        }
        out->d = d;
        return true;
    }
    case S_BOOL:
        if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0) {
            out->b = true;
            return true;
        }
        if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0) {
            out->b = false;
            return true;
        }
        cfg__error(ctx, ptr, "%s must be true, false, 1 or 0, got \"%s\"", who, text);
        return false;
    case S_OPT_STRING:
        out->s = *text ? text : NULL; /* set but empty: back to the default */
        return true;
    case S_STRING:
    case S_ISOLATION:
        out->s = text;
        return true;
    }
    return false;
}

void cfg__apply_env(cfg__ctx *ctx)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &SETTINGS[i];
        const char *name = env_name(ctx, s);
        const char *text = cfg_env_get(ctx->envp, name);
        if (!text && s->shortcut) {
            name = s->shortcut;
            text = cfg_env_get(ctx->envp, name);
        }
        if (!text)
            continue;
        const char *ptr = setting_ptr(ctx, s);
        const char *who = arena_sprintf(ctx->scratch, "environment variable %s", name);
        value v = {0};
        if (from_text(ctx, s, text, ptr, who, &v) && check_value(ctx, s, &v, ptr, who))
            store(ctx, s, v);
        else
            refuse(ctx, s);
    }
}

/* ---- settings that depend on each other --------------------------------- */

/* s is one of the NULL-terminated choices. */
static bool one_of(const char *s, const char *const *choices)
{
    for (; *choices; choices++)
        if (strcmp(s, *choices) == 0)
            return true;
    return false;
}

void cfg__check_settings(cfg__ctx *ctx)
{
    static const char *const PUBLIC[] = {"public", NULL};
    cfg_reflect *r = &ctx->cfg->reflect;
    if (r->enabled && r->n_schemas == 0) {
        r->schemas = PUBLIC;
        r->n_schemas = 1;
    }
    const cfg_log *log = &ctx->cfg->log;
    static const char *const LEVELS[] = {"debug", "info", "warn", "error", NULL};
    static const char *const FORMATS[] = {"text", "json", NULL};
    if (!refused(ctx, "log", "level") && !one_of(log->level, LEVELS))
        cfg__error(ctx, "/log/level", "\"level\" must be debug, info, warn or error, got \"%s\"",
                   log->level);
    if (!refused(ctx, "log", "format") && !one_of(log->format, FORMATS))
        cfg__error(ctx, "/log/format", "\"format\" must be text or json, got \"%s\"",
                   log->format);
    const cfg_server *srv = &ctx->cfg->server;
    if (srv->admin_port != 0 && srv->admin_port == srv->port && !refused(ctx, "server", "port"))
        cfg__error(ctx, "/server/admin_port",
                   "\"admin_port\" (%d) must differ from \"port\"; leave it out (or 0) to serve "
                   "/metrics and /health/pool on the main port",
                   srv->admin_port);
    if (refused(ctx, "server", "default_limit") || refused(ctx, "server", "max_limit"))
        return;
    if (srv->default_limit > srv->max_limit)
        cfg__error(ctx, "/server/default_limit",
                   "\"default_limit\" (%d) must not exceed \"max_limit\" (%d)", srv->default_limit,
                   srv->max_limit);
}
