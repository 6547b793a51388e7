/*
 * cfg_load — the entry points: defaults, reading the file, and the order
 * of a load: parse the JSON, read the settings, parse each model, apply
 * the environment, then the checks that need everything (settings that
 * depend on each other, references and relationships between models).
 *
 * Memory: a load builds its config in a child arena of the caller's, so a
 * failed load leaves nothing behind; temporaries (JSON pointers, the file
 * text) live in a scratch arena destroyed before returning, and the
 * jansson tree is released before returning on every path.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg_int.h"

static const char *const ROOT_KEYS[] = {"database", "server",  "session", "log",
                                        "models",   "reflect", "queries",
                                        "auth",     NULL};

/* The CPUs this process may run on (its affinity mask, so a container
 * limited with cpusets counts its own), at least 1. */
static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int) n : 1;
}

cfg_config *cfg_default(arena *a)
{
    /* Threads and connections from the machine (measured with
     * tests/bench on 2 cores: see the README's "Sizing"): an I/O thread
     * and a request loop thread per CPU; 32 requests in flight per CPU
     * (coroutines: a request waiting on PostgreSQL holds no thread, so
     * in-flight requests can outnumber threads); 4 pooled connections per
     * CPU, growing by max_overflow under load or a distant database. */
    int cpus = usable_cpus();
    int workers = 32 * cpus;
    cfg_config *c = ARENA_NEW(a, cfg_config);
    c->database = (cfg_database){
        .url = "postgresql://postgres@127.0.0.1:5432/retort",
        .pool_size = 4 * cpus,
        .max_overflow = 20,
        .pool_timeout = 30,
        .pool_recycle = 1800,
        .pool_pre_ping = true,
        .statement_timeout_ms = 5000,
        .isolation_level = "READ COMMITTED",
        .prepared_statements = true,
        .connect_timeout = 5,
        .drift_check_interval = 30,
        .max_replica_lag_ms = 5000,
    };
    c->server = (cfg_server){
        .host = "127.0.0.1",
        .port = 8080,
        .io_threads = cpus,
        .workers = workers,
        .queue_depth = 1024,
        .max_body_bytes = 1048576,
        .max_limit = 1000,
        .default_limit = 100,
        .debug_headers = false,
        .access_log = true,
        .docs_dir = NULL,
        .shutdown_grace_ms = 10000,
        .max_connections_per_client = 256,
        .idle_timeout_s = 30,
        .header_timeout_s = 10,
        .body_timeout_s = 60,
        .max_connections = 10000,
        .connection_memory_kib = 8,
    };
    c->session = (cfg_session){
        .expire_on_commit = false,
        .autoflush = true,
        .retry_attempts = 3,
        .retry_backoff_ms = 10,
    };
    c->log = (cfg_log){.level = "info", .format = "text"};
    return c;
}

static void parse_document(cfg__ctx *ctx, const char *text, size_t len, const char *origin)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        cfg__error(ctx, "", "%s: invalid JSON at line %d, column %d: %s", origin, jerr.line,
                   jerr.column, jerr.text);
        return;
    }
    if (!json_is_object(root)) {
        cfg__error(ctx, "", "the configuration must be a JSON object, got %s", jsonkind_name(root));
    } else {
        cfg__check_keys(ctx, root, "", ROOT_KEYS);
        cfg__parse_settings(ctx, root);
        cfg__parse_auth(ctx, root);
        cfg__parse_replicas(ctx, json_object_get(root, "database"));
        const json_t *models = json_object_get(root, "models");
        if (models)
            cfg__parse_models(ctx, models, "/models");
        const json_t *queries = json_object_get(root, "queries");
        if (queries)
            cfg__parse_queries(ctx, queries, "/queries");
    }
    json_decref(root);
}

static cfg_config *load(arena *a, const char *text, size_t len, const char *origin,
                        char *const *envp, err_report *err)
{
    cfg__ctx ctx = {
        .a = arena_create(a, "config"),
        .outer = a,
        .scratch = arena_create(NULL, "config load scratch"),
        .err = err,
        .envp = envp ? envp : environ,
    };
    ctx.cfg = cfg_default(ctx.a);
    if (!origin)
        origin = "<string>";

    if (text)
        parse_document(&ctx, text, len, origin);
    else
        cfg__error(&ctx, "", "%s: no configuration text", origin);
    cfg__apply_env(&ctx);
    cfg__check_settings(&ctx);
    cfg__check_auth(&ctx);
    if (ctx.ms)
        cfg__resolve_models(&ctx);

    cfg_config *cfg = ctx.cfg;
    if (ctx.n_errors > 0) {
        if (err->kind == ERR_CONFIG && !err->detail && err->arena)
            err->detail = arena_sprintf(err->arena, "%s: %zu problem%s in the configuration",
                                        origin, ctx.n_errors, ctx.n_errors == 1 ? "" : "s");
        arena_destroy(ctx.a);
        cfg = NULL;
    }
    arena_destroy(ctx.scratch);
    return cfg;
}

cfg_config *cfg_load_string(arena *a, const char *json_text, const char *origin, char *const *envp,
                            err_report *err)
{
    return load(a, json_text, json_text ? strlen(json_text) : 0, origin, envp, err);
}

/* The whole file into tmp; NULL with errno set when it cannot be read. */
static char *read_file(arena *tmp, const char *path, size_t *len /* OUT */)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 16 * 1024, n = 0;
    char *buf = arena_alloc(tmp, cap);
    for (;;) {
        if (n == cap) {
            buf = arena_realloc(tmp, buf, cap, cap * 2);
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        errno = saved ? saved : EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

cfg_config *cfg_load(arena *a, const char *path, char *const *envp, err_report *err)
{
    if (!path) {
        err_add_item(err, ERR_CONFIG, NULL, "no configuration file given");
        return NULL;
    }
    arena *tmp = arena_create(NULL, "config file");
    size_t len = 0;
    char *text = read_file(tmp, path, &len);
    cfg_config *cfg = NULL;
    if (!text) {
        err_add_item(err, ERR_CONFIG, NULL, "cannot read the configuration file %s: %s", path,
                     strerror(errno));
    } else {
        cfg = load(a, text, len, path, envp, err);
        if (cfg)
            cfg->path = arena_strdup(a, path);
    }
    arena_destroy(tmp);
    return cfg;
}
