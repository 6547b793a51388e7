/*
 * ts_components — the real components an operator runs retort with,
 * started by the tests: PgBouncer (Debian's pgbouncer) in front of a
 * database, HAProxy in front of retort instances, a streaming replica of
 * a private cluster (pg_basebackup -R). Loopback only, free ports, a
 * temporary directory each; *_stop removes it.
 */
#include "testsupport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* PgBouncer and PostgreSQL refuse to run as root. */
static const char *as_postgres(void)
{
    return geteuid() == 0 ? "runuser -u postgres -- " : "";
}

static bool own_dir(char *dir)
{
    if (!mkdtemp(dir))
        return false;
    return geteuid() != 0 || ts_system("chown postgres: %s", dir) == 0;
}

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* "postgresql://user@host:port/db?x" -> port and db (db copied). */
static bool parse_url(const char *url, int *port, char *db, size_t dbsize)
{
    const char *at = strrchr(url, '@');
    const char *hostport = at ? at + 1 : strstr(url, "//");
    if (!hostport)
        return false;
    if (!at)
        hostport += 2;
    const char *colon = strchr(hostport, ':');
    const char *slash = strchr(hostport, '/');
    if (!colon || !slash || colon > slash)
        return false;
    *port = atoi(colon + 1);
    size_t n = strcspn(slash + 1, "?");
    if (n == 0 || n >= dbsize)
        return false;
    memcpy(db, slash + 1, n);
    db[n] = '\0';
    return *port > 0;
}

static bool port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static bool wait_port(int port, double seconds)
{
    double deadline = ts_now() + seconds;
    while (ts_now() < deadline) {
        if (port_open(port))
            return true;
        ts_sleep_ms(50);
    }
    return false;
}

static pid_t read_pid(const char *path, double seconds)
{
    double deadline = ts_now() + seconds;
    while (ts_now() < deadline) {
        FILE *f = fopen(path, "r");
        long pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0)
            return (pid_t) pid;
        ts_sleep_ms(50);
    }
    return 0;
}

/* SIGTERM to a daemon we started, a wait of up to 5 s, then its
 * directory removed. */
static void stop_daemon(pid_t *pid, char *dir)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        for (int i = 0; i < 100 && kill(*pid, 0) == 0; i++)
            ts_sleep_ms(50);
        *pid = 0;
    }
    if (dir[0])
        ts_system("rm -rf %s", dir);
    dir[0] = '\0';
}

/* ---- PgBouncer ------------------------------------------------------------ */

bool ts_pgbouncer_start(ts_pgbouncer *b, const char *upstream_url, int server_pool_size)
{
    memset(b, 0, sizeof *b);
    char db[128];
    int upstream_port;
    if (!parse_url(upstream_url, &upstream_port, db, sizeof db)) {
        fprintf(stderr, "ts_pgbouncer_start: cannot read %s\n", upstream_url);
        return false;
    }
    snprintf(b->dir, sizeof b->dir, "/tmp/retort-pgbouncer-XXXXXX");
    if (!own_dir(b->dir))
        return false;
    b->port = ts_free_port();
    char path[512], ini[2048];
    snprintf(path, sizeof path, "%s/userlist.txt", b->dir);
    if (!write_text(path, "\"postgres\" \"\"\n"))
        return false;
    /* Transaction pooling with few server connections, so that many
     * client sessions share each one: what moves a client's statements to
     * another server connection between two transactions. */
    snprintf(ini, sizeof ini,
             "[databases]\n"
             "* = host=127.0.0.1 port=%d\n"
             "[pgbouncer]\n"
             "listen_addr = 127.0.0.1\n"
             "listen_port = %d\n"
             "unix_socket_dir =\n"
             "auth_type = trust\n"
             "auth_file = %s/userlist.txt\n"
             "pool_mode = transaction\n"
             "default_pool_size = %d\n"
             "max_client_conn = 500\n"
             "ignore_startup_parameters = extra_float_digits\n"
             "logfile = %s/pgbouncer.log\n"
             "pidfile = %s/pgbouncer.pid\n"
             "admin_users = postgres\n",
             upstream_port, b->port, b->dir, server_pool_size > 0 ? server_pool_size : 2, b->dir,
             b->dir);
    snprintf(path, sizeof path, "%s/pgbouncer.ini", b->dir);
    if (!write_text(path, ini))
        return false;
    if (geteuid() == 0)
        ts_system("chown -R postgres: %s", b->dir);
    if (ts_system("%spgbouncer -d -q %s >%s/start.log 2>&1", as_postgres(), path, b->dir) != 0) {
        ts_system("cat %s/start.log %s/pgbouncer.log 2>/dev/null", b->dir, b->dir);
        return false;
    }
    snprintf(path, sizeof path, "%s/pgbouncer.pid", b->dir);
    b->pid = read_pid(path, 10);
    snprintf(b->url, sizeof b->url, "postgresql://postgres@127.0.0.1:%d/%s", b->port, db);
    if (b->pid <= 0 || !wait_port(b->port, 10)) {
        ts_system("cat %s/pgbouncer.log 2>/dev/null", b->dir);
        return false;
    }
    return true;
}

void ts_pgbouncer_stop(ts_pgbouncer *b)
{
    stop_daemon(&b->pid, b->dir);
}

/* ---- a streaming replica ---------------------------------------------------- */

bool ts_replica_start(ts_cluster *replica, const ts_cluster *primary)
{
    memset(replica, 0, sizeof *replica);
    snprintf(replica->dir, sizeof replica->dir, "/tmp/retort-replica-XXXXXX");
    if (!own_dir(replica->dir))
        return false;
    const char *bin = getenv("RETORT_TEST_PGBIN");
    if (!bin || !*bin)
        bin = "/usr/lib/postgresql/15/bin";
    /* -R writes standby.signal and primary_conninfo: a streaming replica. */
    if (ts_system("%s%s/pg_basebackup -D %s/data -R -X stream -c fast -h 127.0.0.1 -p %d "
                  "-U postgres >%s/basebackup.log 2>&1",
                  as_postgres(), bin, replica->dir, primary->port, replica->dir) != 0) {
        ts_system("cat %s/basebackup.log", replica->dir);
        return false;
    }
    replica->port = ts_free_port();
    snprintf(replica->url, sizeof replica->url, "postgresql://postgres@127.0.0.1:%d/postgres",
             replica->port);
    return ts_cluster_restart(replica);
}

/* ---- HAProxy ------------------------------------------------------------------ */

bool ts_haproxy_start(ts_haproxy *h, const int *backend_ports, size_t n)
{
    memset(h, 0, sizeof *h);
    snprintf(h->dir, sizeof h->dir, "/tmp/retort-haproxy-XXXXXX");
    if (!mkdtemp(h->dir))
        return false;
    h->port = ts_free_port();
    char cfg[4096];
    int len = snprintf(
        cfg, sizeof cfg,
        "global\n"
        "  maxconn 512\n"
        "defaults\n"
        "  mode http\n"
        "  timeout connect 1s\n"
        "  timeout client 30s\n"
        "  timeout server 30s\n"
        "  option http-server-close\n"
        "  option redispatch\n"
        "  retries 3\n"
        /* Only a request that never reached a server is sent to another:
         * safe for writes too. */
        "  retry-on conn-failure\n"
        "frontend fe\n"
        "  bind 127.0.0.1:%d\n"
        "  default_backend be\n"
        "backend be\n"
        "  balance roundrobin\n"
        "  option httpchk GET /health/ready\n"
        "  http-check expect status 200\n"
        "  default-server inter 300ms fall 2 rise 2\n",
        h->port);
    for (size_t i = 0; i < n && len > 0 && (size_t) len < sizeof cfg; i++)
        len += snprintf(cfg + len, sizeof cfg - (size_t) len,
                        "  server s%zu 127.0.0.1:%d check\n", i, backend_ports[i]);
    char path[512];
    snprintf(path, sizeof path, "%s/haproxy.cfg", h->dir);
    if (!write_text(path, cfg))
        return false;
    if (ts_system("haproxy -q -D -f %s -p %s/haproxy.pid >%s/haproxy.log 2>&1", path, h->dir,
                  h->dir) != 0) {
        ts_system("cat %s/haproxy.log", h->dir);
        return false;
    }
    snprintf(path, sizeof path, "%s/haproxy.pid", h->dir);
    h->pid = read_pid(path, 10);
    return h->pid > 0 && wait_port(h->port, 10);
}

void ts_haproxy_stop(ts_haproxy *h)
{
    stop_daemon(&h->pid, h->dir);
}
