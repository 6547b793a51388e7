/*
 * retort's command line: parses the command and its options, loads the
 * configuration, and runs the command. The commands themselves live in
 * their layers; this file only wires them together.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "cfg.h"
#include "eng.h"
#include "http.h"
#include "log.h"
#include "orm.h"
#include "query.h"
#include "schema.h"
#include "sql.h"
#include "version.h"

typedef struct command {
    const char *name;
    const char *summary;
    const char *usage;
    /* args: the positional arguments after the command's options. */
    int (*run)(const cfg_config *cfg, int nargs, char **args);
    bool needs_config;
    int max_args;
} command;

static int cmd_serve(const cfg_config *cfg, int nargs, char **args);
static int cmd_check(const cfg_config *cfg, int nargs, char **args);
static int cmd_schema(const cfg_config *cfg, int nargs, char **args);
static int cmd_openapi(const cfg_config *cfg, int nargs, char **args);
static int cmd_reflect(const cfg_config *cfg, int nargs, char **args);
static int cmd_migrate(const cfg_config *cfg, int nargs, char **args);

/* --dir: the migrations folder. */
static const char *g_migrations_dir = "migrations";

/* The JSON document the configuration was loaded from (reflected models
 * merged in), for `retort reflect`. */
static json_t *g_document;

static const command COMMANDS[] = {
    {"serve", "serve the configured models over HTTP",
     "Usage: retort serve -c CONFIG\n\n"
     "Loads CONFIG, opens the connection pool and serves the REST API on\n"
     "server.host:server.port until SIGINT or SIGTERM, which stop accepting\n"
     "connections, finish in-flight requests and close the pool.\n",
     cmd_serve, true, 0},
    {"check", "validate the configuration and exit",
     "Usage: retort check -c CONFIG\n\n"
     "Loads CONFIG with the environment applied and checks every setting and\n"
     "model. Prints each problem with its JSON path and exits 1, or exits 0.\n",
     cmd_check, true, 0},
    {"schema", "create, drop, print or diff the tables of the models",
     "Usage: retort schema create|drop|sql|diff -c CONFIG\n\n"
     "  create  CREATE TABLE IF NOT EXISTS for every model, with keys, unique,\n"
     "          not-null, defaults, foreign keys, choices as CHECK and an index\n"
     "          per foreign key, in dependency order, in one transaction\n"
     "          (idempotent)\n"
     "  drop    DROP TABLE IF EXISTS for every model, in reverse order\n"
     "  sql     print the CREATE statements without touching the database\n"
     "  diff    print the DDL that would make the database match the models\n"
     "          (\"-- destructive:\" before each statement that can lose data);\n"
     "          exit 0 when there is nothing to do, 3 when it printed changes\n",
     cmd_schema, true, 1},
    {"migrate", "write, apply and list numbered SQL migrations",
     "Usage: retort migrate new NAME|up|status -c CONFIG [--dir DIR]\n\n"
     "  new NAME  write the schema diff as the next numbered file in DIR\n"
     "            (default migrations/), e.g. 0003_NAME.sql; nothing when the\n"
     "            database already matches the models\n"
     "  up        apply the pending files in order, each in one transaction\n"
     "            with its row in retort_migrations; stop at the first failure\n"
     "  status    list every file as applied or pending\n",
     cmd_migrate, true, 2},
    {"reflect", "print a configuration with the models read from the database",
     "Usage: retort reflect -c CONFIG\n\n"
     "Reads the tables and views of the schemas named by CONFIG's \"reflect\"\n"
     "(default: public) from the database CONFIG connects to, and prints CONFIG\n"
     "with every reflected model (declared models override reflected ones of\n"
     "the same table). The output passes `retort check` and serves the same\n"
     "API; edit it, or keep \"reflect\": true and declare only what you change.\n",
     cmd_reflect, true, 0},
    {"openapi", "print the OpenAPI document of the models",
     "Usage: retort openapi -c CONFIG\n\n"
     "Prints the OpenAPI 3.1 document generated from the models of CONFIG (what\n"
     "GET /openapi.json serves), without touching the database.\n",
     cmd_openapi, true, 0},
};
enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

static void print_help(FILE *out)
{
    fprintf(out, "Usage: retort COMMAND -c CONFIG [options]\n\n"
                 "retort serves PostgreSQL tables described in CONFIG as a REST API.\n\n"
                 "Commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\nOptions:\n"
                 "  -c, --config FILE  configuration file (JSON)\n"
                 "  -h, --help         show help (also: retort COMMAND --help)\n"
                 "  --version          print \"retort X.Y.Z\" and exit\n\n"
                 "Every setting can be overridden from the environment:\n"
                 "RETORT_<SECTION>_<KEY> (RETORT_DATABASE_POOL_SIZE, RETORT_SERVER_PORT),\n"
                 "DATABASE_URL and RETORT_PORT. RETORT_LOG_LEVEL sets debug|info|warn|error.\n");
}

static void print_config_errors(const err_report *err, const char *path)
{
    fprintf(stderr, "retort: %s: %s\n", path ? path : "configuration",
            err->title ? err->title : "invalid configuration");
    if (err->n_items == 0 && err->detail)
        fprintf(stderr, "  %s\n", err->detail);
    for (size_t i = 0; i < err->n_items; i++)
        fprintf(stderr, "  %s: %s\n",
                err->items[i].pointer && *err->items[i].pointer ? err->items[i].pointer : "/",
                err->items[i].detail);
    if (err->dropped_items)
        fprintf(stderr, "  ... and %zu more\n", err->dropped_items);
}

/* ---- schema ------------------------------------------------------------ */

/* How much longer than statement_timeout retort waits for an answer: the
 * server's own timeout fires first whenever the server runs at all. */
enum { ANSWER_MARGIN_MS = 1000 };

/* The pool options of database.* for url (the primary's or a replica's). */
static eng_pool_options pool_options(const cfg_config *cfg, const char *url, int size)
{
    eng_pool_options po;
    eng_pool_options_init(&po);
    po.conninfo = url;
    po.pool_size = size;
    po.max_overflow = cfg->database.max_overflow;
    po.pool_timeout = cfg->database.pool_timeout;
    po.pool_recycle = cfg->database.pool_recycle;
    po.pre_ping = cfg->database.pool_pre_ping;
    po.connect_timeout = cfg->database.connect_timeout;
    po.prepared_statements = cfg->database.prepared_statements;
    /* Once per connection; behind a pooler (detected, or prepared
     * statements off) sessions send SET LOCAL in each transaction. */
    po.statement_timeout_ms =
        cfg->database.prepared_statements ? cfg->database.statement_timeout_ms : 0;
    /* A frozen server cannot enforce its statement_timeout: retort waits
     * that long plus a margin, then gives the connection up. */
    if (cfg->database.statement_timeout_ms > 0)
        po.answer_timeout_ms = cfg->database.statement_timeout_ms + ANSWER_MARGIN_MS;
    po.application_name = "retort";
    return po;
}

/* One connection is all DDL needs; pre-ping off since it is fresh. */
static eng_pool *open_pool(const cfg_config *cfg, int size, err_report *err)
{
    eng_pool_options po = pool_options(cfg, cfg->database.url, size);
    return eng_pool_create(&po, err);
}

static void print_error(const char *what, const err_report *err)
{
    fprintf(stderr, "retort: %s: %s\n", what, err->title ? err->title : "error");
    if (err->detail)
        fprintf(stderr, "  %s\n", err->detail);
    for (size_t i = 0; i < err->n_items; i++)
        fprintf(stderr, "  %s: %s\n", err->items[i].pointer ? err->items[i].pointer : "",
                err->items[i].detail);
}

/* auth.database_role: each role should exist before a request needs it
 * (schema_roles_check). Missing ones are logged as errors naming each
 * role, not fatal: roles are often created by the same deployment step
 * that starts retort, and a request of a missing role gets a 403 naming
 * it (http__role_explains) until the role exists. */
static void check_database_roles(eng_pool *pool, const cfg_config *cfg, arena *a)
{
    if (!cfg->auth.enabled || !cfg->auth.database_role)
        return;
    err_report err;
    err_init(&err, a);
    eng_conn *c = eng_pool_checkout(pool, &err);
    bool ok = c && schema_roles_check(c, cfg, a, &err);
    if (c)
        eng_pool_checkin(pool, c);
    if (!ok && err.kind == ERR_CONFIG)
        for (size_t i = 0; i < err.n_items; i++)
            log_error("auth.database_role: %s", err.items[i].detail);
    else if (!ok)
        log_warn("auth.database_role: the roles could not be checked at start-up: %s",
                 err.detail ? err.detail : err.title);
}

static int cmd_check(const cfg_config *cfg, int nargs, char **args)
{
    (void) nargs;
    (void) args;
    /* The models must also map onto Core tables and relations. */
    arena *a = arena_create(NULL, "check");
    err_report err;
    err_init(&err, a);
    int rc = 0;
    auth_verifier *auth = NULL;
    orm_registry *reg = orm_registry_create(a, cfg, &err);
    if (!reg) {
        print_error("the models cannot be mapped", &err);
        rc = 1;
    } else if (!query_row_filters_check(reg, a, &err)) {
        print_error("a row filter (\"rows\") does not fit its model", &err);
        rc = 1;
    } else if (!(auth = auth_verifier_create(cfg, NULL, &err))) {
        print_error("the auth keys cannot be used", &err);
        rc = 1;
    } else {
        printf("%s: ok (%zu models)\n", cfg->path ? cfg->path : "configuration", cfg->n_models);
    }
    auth_verifier_destroy(auth);
    arena_destroy(a);
    return rc;
}

static int cmd_schema(const cfg_config *cfg, int nargs, char **args)
{
    const char *action = nargs > 0 ? args[0] : "";
    bool create = strcmp(action, "create") == 0, drop = strcmp(action, "drop") == 0,
         print = strcmp(action, "sql") == 0, diff = strcmp(action, "diff") == 0;
    if (!create && !drop && !print && !diff) {
        fprintf(stderr, "retort schema: expected create, drop, sql or diff\n");
        return 2;
    }
    arena *a = arena_create(NULL, "schema");
    err_report err;
    err_init(&err, a);
    int rc = 1;
    sql_metadata *md = orm_metadata_from_config(a, cfg, &err);
    if (!md) {
        print_error("the models cannot be mapped", &err);
    } else if (diff) {
        eng_pool *pool = open_pool(cfg, 1, &err);
        schema_changes ch;
        if (pool && schema_diff_database(pool, cfg, a, &ch, &err)) {
            fputs(schema_changes_script(&ch, a), stdout);
            rc = ch.n ? 3 : 0;
        } else {
            print_error("schema diff failed", &err);
        }
        eng_pool_destroy(pool);
    } else if (print) {
        sql_stmts ddl = {0};
        if (sql_compile_create_all(md, a, &ddl, &err)) {
            fputs(sql_stmts_script(&ddl, a), stdout);
            rc = 0;
        } else {
            print_error("cannot generate the schema", &err);
        }
    } else {
        eng_pool *pool = open_pool(cfg, 1, &err);
        bool ok = pool && (create ? orm_schema_create_all(pool, md, a, &err)
                                  : orm_schema_drop_all(pool, md, a, &err));
        if (ok) {
            printf("schema %s: %zu tables\n", create ? "created" : "dropped", cfg->n_models);
            rc = 0;
        } else {
            print_error(create ? "schema create failed" : "schema drop failed", &err);
        }
        eng_pool_destroy(pool);
    }
    arena_destroy(a);
    return rc;
}

/* ---- openapi ----------------------------------------------------------- */

static int cmd_openapi(const cfg_config *cfg, int nargs, char **args)
{
    (void) nargs;
    (void) args;
    arena *a = arena_create(NULL, "openapi");
    err_report err;
    err_init(&err, a);
    int rc = 1;
    orm_registry *registry = orm_registry_create(a, cfg, &err);
    if (!registry) {
        print_error("the models cannot be mapped", &err);
    } else {
        fputs(http_openapi_text(registry, cfg, a), stdout);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    arena_destroy(a);
    return rc;
}

/* ---- migrate ----------------------------------------------------------- */

static int cmd_migrate(const cfg_config *cfg, int nargs, char **args)
{
    const char *action = nargs > 0 ? args[0] : "";
    bool make = strcmp(action, "new") == 0, up = strcmp(action, "up") == 0,
         status = strcmp(action, "status") == 0;
    if ((!make && !up && !status) || (make != (nargs == 2))) {
        fprintf(stderr, "retort migrate: expected new NAME, up or status\n");
        return 2;
    }
    arena *a = arena_create(NULL, "migrate");
    err_report err;
    err_init(&err, a);
    int rc = 1;
    eng_pool *pool = open_pool(cfg, 1, &err);
    if (!pool) {
        print_error("cannot connect", &err);
    } else if (make) {
        schema_changes ch;
        if (!schema_diff_database(pool, cfg, a, &ch, &err)) {
            print_error("schema diff failed", &err);
        } else if (ch.n == 0) {
            printf("nothing to do: the database matches the models\n");
            rc = 0;
        } else {
            const char *path = schema_migration_new(g_migrations_dir, args[1],
                                                    schema_changes_script(&ch, a), a, &err);
            if (path) {
                printf("wrote %s (%zu statements)\n", path, ch.n);
                rc = 0;
            } else {
                print_error("cannot write the migration", &err);
            }
        }
    } else if (up) {
        int n = schema_migrate_up(pool, g_migrations_dir, a, stdout, &err);
        if (n >= 0) {
            printf("%d migration%s applied\n", n, n == 1 ? "" : "s");
            rc = 0;
        } else {
            print_error("migrate up failed", &err);
        }
    } else {
        schema_migration *list;
        size_t n;
        if (schema_migrations_status(pool, g_migrations_dir, a, &list, &n, &err)) {
            for (size_t i = 0; i < n; i++)
                printf("%-8s %s\n", list[i].applied ? "applied" : "pending", list[i].file);
            rc = 0;
        } else {
            print_error("migrate status failed", &err);
        }
    }
    eng_pool_destroy(pool);
    arena_destroy(a);
    return rc;
}

/* ---- reflect ----------------------------------------------------------- */

static int cmd_reflect(const cfg_config *cfg, int nargs, char **args)
{
    (void) cfg;
    (void) nargs;
    (void) args;
    if (!g_document)
        return 1;
    char *text = json_dumps(g_document, JSON_INDENT(2));
    if (!text)
        return 1;
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- serve ------------------------------------------------------------- */

static int cmd_serve(const cfg_config *cfg, int nargs, char **args)
{
    (void) nargs;
    (void) args;
    /* Signals are taken synchronously by this thread with sigwait(); every
     * thread started below inherits the blocked mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Every open client connection is a descriptor: take what the hard
     * limit allows (10,000 connections need more than the usual 1,024). */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }

    arena *a = arena_create(NULL, "serve");
    err_report err;
    err_init(&err, a);

    eng_pool *pool = open_pool(cfg, cfg->database.pool_size, &err);
    if (!pool) {
        log_error("cannot create the connection pool: %s", err.detail ? err.detail : err.title);
        arena_destroy(a);
        return 1;
    }
    orm_registry *registry = orm_registry_create(a, cfg, &err);
    if (!registry || !query_row_filters_check(registry, a, &err)) {
        print_error(registry ? "a row filter (\"rows\") does not fit its model"
                             : "the models cannot be mapped",
                    &err);
        eng_pool_destroy(pool);
        arena_destroy(a);
        return 1;
    }
    auth_verifier *auth = auth_verifier_create(cfg, NULL, &err);
    if (!auth) {
        print_error("the auth keys cannot be used", &err);
        eng_pool_destroy(pool);
        arena_destroy(a);
        return 1;
    }
    check_database_roles(pool, cfg, a);
    http_metrics *metrics = http_metrics_create();
    sql_cache *cache = sql_cache_create(0);
    /* Readiness without a pool slot: one check per second on a connection
     * of its own (eng_health). */
    eng_health *health = eng_health_start(pool, 1.0);
    /* database.replicas: a pool and a health checker each; reads go to a
     * healthy one (eng_router). */
    eng_router *replicas = NULL;
    if (cfg->database.n_replicas > 0) {
        eng_pool_options ro = pool_options(cfg, NULL, cfg->database.pool_size);
        replicas = eng_router_create(&ro, cfg->database.replicas, cfg->database.n_replicas,
                                     cfg->database.max_replica_lag_ms, &err);
        if (!replicas) {
            log_error("cannot create the replica pools: %s", err.detail ? err.detail : err.title);
            eng_health_stop(health);
            eng_pool_destroy(pool);
            auth_verifier_destroy(auth);
            http_metrics_destroy(metrics);
            sql_cache_destroy(cache);
            arena_destroy(a);
            return 1;
        }
    }
    http_app app = {.config = cfg, .pool = pool, .health = health, .replicas = replicas,
                    .metrics = metrics, .registry = registry, .cache = cache, .auth = auth};
    app.openapi_json = http_openapi_text(registry, cfg, a);
    /* The models against the catalog before the first request. */
    app.drift = schema_drift_create(cfg, orm_registry_metadata(registry));
    err_report drift_err;
    err_init(&drift_err, a);
    json_t *drift = schema_drift_check(app.drift, pool, true, &drift_err);
    for (size_t i = 0; i < json_array_size(drift); i++) {
        json_t *d = json_array_get(drift, i);
        log_warn("drift: model %s (table %s)%s%s: %s",
                 json_string_value(json_object_get(d, "model")),
                 json_string_value(json_object_get(d, "table")),
                 json_object_get(d, "column") ? ", column " : "",
                 json_object_get(d, "column") ? json_string_value(json_object_get(d, "column"))
                                              : "",
                 json_string_value(json_object_get(d, "problem")));
    }
    if (!drift)
        log_warn("drift: the catalog could not be read at start-up: %s",
                 drift_err.detail ? drift_err.detail : drift_err.title);
    json_decref(drift);
    if (!schema_drift_start(app.drift, pool))
        log_warn("drift: the background re-check could not start");
    app.docs_dir = http_docs_find_dir(cfg, a);
    /* With an admin port, the operational routes live only there. */
    bool admin_apart = cfg->server.admin_port != 0;
    size_t n_routes = 0;
    http_route *routes =
        ARENA_ARRAY(a, http_route, HTTP_N_BUILTIN_ROUTES + HTTP_N_API_ROUTES + HTTP_N_DOCS_ROUTES);
    for (size_t i = 0; i < HTTP_N_BUILTIN_ROUTES; i++)
        if (!admin_apart || !(HTTP_BUILTIN_ROUTES[i].flags & HTTP_ROUTE_ADMIN))
            routes[n_routes++] = HTTP_BUILTIN_ROUTES[i];
    memcpy(routes + n_routes, HTTP_API_ROUTES, sizeof *routes * HTTP_N_API_ROUTES);
    n_routes += HTTP_N_API_ROUTES;
    memcpy(routes + n_routes, HTTP_DOCS_ROUTES, sizeof *routes * HTTP_N_DOCS_ROUTES);
    n_routes += HTTP_N_DOCS_ROUTES;

    http_server *server = http_server_start(routes, n_routes, &app, &err);
    http_server *admin = NULL;
    if (server && admin_apart) {
        admin = http_server_start_admin(HTTP_BUILTIN_ROUTES, HTTP_N_BUILTIN_ROUTES, &app, &err);
        if (!admin) {
            http_server_stop(server);
            server = NULL;
        }
    }
    int rc = 0;
    if (!server) {
        log_error("cannot start the server: %s", err.detail ? err.detail : err.title);
        rc = 1;
    } else {
        if (admin)
            log_info("admin endpoints (/metrics, /health/pool) on %s:%d", cfg->server.host,
                     http_server_port(admin));
        log_info("retort %s listening on %s:%d (%zu models, pool_size=%d, max_overflow=%d, "
                 "%zu read replicas)",
                 retort_version(), cfg->server.host, http_server_port(server), cfg->n_models,
                 cfg->database.pool_size, cfg->database.max_overflow, cfg->database.n_replicas);
        int sig = 0;
        sigwait(&stop_signals, &sig);
        log_info("received %s: finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bool drained = http_server_stop(admin);
        drained = http_server_stop(server) && drained;
        if (!drained) {
            /* Requests still run on threads that hold the server and the
             * pool: nothing can be freed safely. The grace is a promise. */
            log_error("shutdown_grace_ms (%d) ran out with requests still running; exiting",
                      cfg->server.shutdown_grace_ms);
            _exit(1);
        }
    }
    eng_router_destroy(replicas);
    eng_health_stop(health);
    schema_drift_destroy(app.drift); /* its thread uses the pool */
    eng_pool_destroy(pool);
    auth_verifier_destroy(auth);
    http_metrics_destroy(metrics);
    sql_cache_destroy(cache);
    arena_destroy(a);
    if (rc == 0)
        log_info("retort stopped");
    return rc;
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *level = getenv("RETORT_LOG_LEVEL");
    log_level lv;
    if (level && log_parse_level(level, &lv))
        log_set_level(lv);

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("retort %s\n", retort_version());
        return fflush(stdout) == 0 ? 0 : 1;
    }
    const command *cmd = NULL;
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            cmd = &COMMANDS[i];
    if (!cmd) {
        fprintf(stderr, "retort: unknown command \"%s\"\n\n", argv[1]);
        print_help(stderr);
        return 2;
    }

    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"dir", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config_path = getenv("RETORT_CONFIG");
    optind = 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:d:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'd':
            g_migrations_dir = optarg;
            break;
        case 'h':
            fputs(cmd->usage, stdout);
            return 0;
        default:
            fputs(cmd->usage, stderr);
            return 2;
        }
    }
    if (argc - optind > cmd->max_args) {
        fprintf(stderr, "retort %s: unexpected argument \"%s\"\n", cmd->name,
                argv[optind + cmd->max_args]);
        fputs(cmd->usage, stderr);
        return 2;
    }
    if (cmd->needs_config && !config_path) {
        fprintf(stderr, "retort %s: a configuration file is required (-c CONFIG)\n", cmd->name);
        return 2;
    }

    arena *process = arena_create(NULL, "process");
    err_report err;
    err_init(&err, process);
    bool reflect = cmd->run == cmd_reflect;
    const cfg_config *cfg = schema_load_config(process, config_path, NULL, reflect,
                                               reflect ? &g_document : NULL, &err);
    int rc;
    if (!cfg) {
        print_config_errors(&err, config_path);
        rc = 1;
    } else {
        /* log.level / log.format (RETORT_LOG_LEVEL, RETORT_LOG_FORMAT), checked
         * by cfg_load. */
        log_level lvl;
        log_format fmt;
        if (log_parse_level(cfg->log.level, &lvl))
            log_set_level(lvl);
        if (log_parse_format(cfg->log.format, &fmt))
            log_set_format(fmt);
        rc = cmd->run(cfg, argc - optind, argv + optind);
    }
    json_decref(g_document);
    arena_destroy(process);
    return rc;
}
