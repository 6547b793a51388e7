/*
 * eng_health — is the database of a pool reachable, and how far behind is
 * it when it is a replica? Answered without waiting for a pool slot.
 *
 * Why not a pooled ping: /health/ready used to check a connection out of
 * the pool, so a saturated pool (every connection busy, requests queued)
 * answered 503 and a readiness probe took exactly the loaded instances out
 * of rotation. Reachability is not a free slot: here a background thread
 * owns one dedicated connection (outside the pool's slots) and runs one
 * short query per interval on it; every answered round trip on a pooled
 * connection also counts (eng__conn_answered stamps pool->last_answer_ms).
 * Readiness is then "something answered within max_age", read from memory.
 *
 * The query also says whether the server is in recovery and, if so, its
 * replication lag (0 when everything received is replayed, else the age of
 * the last replayed transaction), which the replica router uses. A
 * standby cut off from its primary replays all it received, so it counts
 * as current: its staleness is bounded by how long the primary has been
 * unreachable, which the primary's own checks show.
 *
 * Every wait is bounded: connect_timeout for connecting, and a poll()
 * deadline for the query, after which the connection is dropped (a frozen
 * server never answers). Stopping waits at most that long.
 */
#include "eng_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct eng_health {
    eng_pool *pool;
    double interval_s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping;
    PGconn *pg; /* the check connection; the thread's own */
    /* guarded by mu */
    double last_ok;      /* monotonic seconds of the last answered check; 0 = never */
    double lag_ms;       /* -1 = not a replica */
    bool in_recovery;
    uint64_t checks, failures;
    char error[256];     /* the last failure, one line */
};

/* Lag: 0 when everything received is replayed (after a restart the
 * receive position starts at a segment boundary, behind the replay
 * position: "<=", not "="); else the age of the last replayed
 * transaction. */
static const char CHECK_SQL[] =
    "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN -1 "
    "WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) "
    "* 1000, 0) END";

static void fail(eng_health *h, const char *why)
{
    pthread_mutex_lock(&h->mu);
    h->failures++;
    snprintf(h->error, sizeof h->error, "%s", why);
    pthread_mutex_unlock(&h->mu);
    if (h->pg) {
        PQfinish(h->pg);
        h->pg = NULL;
    }
}

static bool connect_check(eng_health *h)
{
    eng_pool *p = h->pool;
    char timeout[16];
    int t = p->opts.connect_timeout > 0 && p->opts.connect_timeout < 5 ? p->opts.connect_timeout
                                                                      : 5;
    snprintf(timeout, sizeof timeout, "%d", t);
    const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {p->conninfo, "retort health", timeout, NULL};
    h->pg = PQconnectdbParams(keys, vals, 1);
    if (h->pg && PQstatus(h->pg) == CONNECTION_OK)
        return true;
    arena *scratch = arena_create(NULL, "eng health");
    fail(h, eng__one_line(scratch, h->pg ? PQerrorMessage(h->pg) : "out of memory"));
    arena_destroy(scratch);
    return false;
}

/* Sends CHECK_SQL and waits at most deadline_s for its result. */
static PGresult *query(eng_health *h, double deadline_s)
{
    if (!PQsendQuery(h->pg, CHECK_SQL))
        return NULL;
    int fd = PQsocket(h->pg);
    double end = eng__now() + deadline_s;
    while (PQisBusy(h->pg)) {
        double left = end - eng__now();
        if (left <= 0)
            return NULL;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int) (left * 1000) + 1);
        if (r < 0 && errno != EINTR)
            return NULL;
        if (r > 0 && !PQconsumeInput(h->pg))
            return NULL;
    }
    PGresult *res = PQgetResult(h->pg);
    for (PGresult *extra; (extra = PQgetResult(h->pg)) != NULL;)
        PQclear(extra);
    return res;
}

static void check_once(eng_health *h)
{
    if (!h->pg && !connect_check(h))
        return;
    PGresult *res = query(h, h->interval_s > 2 ? h->interval_s : 2);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        arena *scratch = arena_create(NULL, "eng health");
        const char *why = res ? PQresultErrorMessage(res) : "no answer in time";
        fail(h, eng__one_line(scratch, why && *why ? why : PQerrorMessage(h->pg)));
        arena_destroy(scratch);
        PQclear(res);
        return;
    }
    bool recovery = PQgetvalue(res, 0, 0)[0] == 't';
    double lag = atof(PQgetvalue(res, 0, 1));
    PQclear(res);
    pthread_mutex_lock(&h->mu);
    h->checks++;
    h->last_ok = eng__now();
    h->in_recovery = recovery;
    h->lag_ms = recovery ? (lag < 0 ? 0 : lag) : -1;
    h->error[0] = '\0';
    pthread_mutex_unlock(&h->mu);
}

static void *run(void *arg)
{
    eng_health *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stopping) {
        pthread_mutex_unlock(&h->mu);
        check_once(h);
        pthread_mutex_lock(&h->mu);
        if (h->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double at = (double) until.tv_sec + (double) until.tv_nsec / 1e9 + h->interval_s;
        until.tv_sec = (time_t) at;
        until.tv_nsec = (long) ((at - (double) until.tv_sec) * 1e9);
        pthread_cond_timedwait(&h->wake, &h->mu, &until);
    }
    pthread_mutex_unlock(&h->mu);
    if (h->pg)
        PQfinish(h->pg);
    h->pg = NULL;
    return NULL;
}

eng_health *eng_health_start(eng_pool *p, double interval_s)
{
    eng_health *h = eng__xmalloc(sizeof *h);
    h->pool = p;
    h->interval_s = interval_s > 0.05 ? interval_s : 1;
    h->lag_ms = -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->wake, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        log_error("engine: cannot start the health checker thread");
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

void eng_health_stop(eng_health *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void eng_health_get(eng_health *h, eng_health_status *out)
{
    memset(out, 0, sizeof *out);
    double now = eng__now();
    double pooled = (double) atomic_load(&h->pool->last_answer_ms) / 1e3;
    pthread_mutex_lock(&h->mu);
    double last = h->last_ok > pooled ? h->last_ok : pooled;
    out->checked = h->checks > 0 || pooled > 0;
    out->age_s = last > 0 ? now - last : -1;
    out->in_recovery = h->in_recovery;
    out->lag_ms = h->lag_ms;
    out->checks = h->checks;
    out->failures = h->failures;
    snprintf(out->error, sizeof out->error, "%s", h->error);
    pthread_mutex_unlock(&h->mu);
}

bool eng_health_ready(eng_health *h, double max_age_s, err_report *err)
{
    eng_health_status st;
    eng_health_get(h, &st);
    if (st.age_s >= 0 && st.age_s <= max_age_s)
        return true;
    if (st.age_s < 0)
        err_set_sqlstate(err, "08006", st.error[0] ? st.error : "the database has not answered yet");
    else
        err_set_sqlstate(err, "08006", st.error[0] ? st.error : "the database stopped answering");
    err->retry_after = 1;
    return false;
}
