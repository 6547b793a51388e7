#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* PostgreSQL refuses to run as root; when the tests do (CI, containers),
 * the cluster belongs to the postgres system user. */
static const char *as_postgres(void)
{
    return geteuid() == 0 ? "runuser -u postgres -- " : "";
}

static const char *pg_bin(void)
{
    const char *b = getenv("RETORT_TEST_PGBIN");
    return b && *b ? b : "/usr/lib/postgresql/15/bin";
}

bool ts_cluster_start(ts_cluster *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/retort-pg-XXXXXX");
    if (!mkdtemp(c->dir))
        return false;
    if (geteuid() == 0 && ts_system("chown postgres: %s", c->dir) != 0)
        return false;
    if (ts_system("%s%s/initdb -D %s/data -U postgres -A trust --no-sync >%s/initdb.log 2>&1",
                  as_postgres(), pg_bin(), c->dir, c->dir) != 0) {
        ts_system("cat %s/initdb.log", c->dir);
        return false;
    }
    c->port = ts_free_port();
    snprintf(c->url, sizeof c->url, "postgresql://postgres@127.0.0.1:%d/postgres", c->port);
    return ts_cluster_restart(c);
}

bool ts_cluster_restart(ts_cluster *c)
{
    int rc = ts_system("%s%s/pg_ctl -D %s/data -l %s/pg.log -w -t 60 "
                       "-o \"-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off "
                       "-c max_connections=200\" start >/dev/null",
                       as_postgres(), pg_bin(), c->dir, c->dir, c->port, c->dir);
    c->running = rc == 0;
    if (!c->running)
        ts_system("cat %s/pg.log", c->dir);
    return c->running;
}

bool ts_cluster_stop(ts_cluster *c)
{
    if (!c->running)
        return true;
    int rc = ts_system("%s%s/pg_ctl -D %s/data -m fast -w -t 60 stop >/dev/null", as_postgres(),
                       pg_bin(), c->dir);
    c->running = rc != 0;
    return rc == 0;
}

void ts_cluster_destroy(ts_cluster *c)
{
    if (!c->dir[0])
        return;
    ts_cluster_stop(c);
    ts_system("rm -rf %s", c->dir);
    c->dir[0] = '\0';
}

bool ts_database_or_cluster(ts_cluster *c, char *url, size_t size)
{
    const char *env = getenv("RETORT_TEST_DATABASE_URL");
    if (env && *env) {
        snprintf(url, size, "%s", env);
        return true;
    }
    if (!ts_cluster_start(c))
        return false;
    snprintf(url, size, "%s", c->url);
    return true;
}
