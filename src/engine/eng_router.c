/*
 * eng_router — read replicas: one pool and one health checker per replica
 * (database.replicas), and the choice of a replica for a read.
 *
 * A replica takes reads while its health checker (eng_health, one query a
 * second on its own connection) says it is a standby that answered within
 * the last READY_AGE_S seconds with a replication lag of at most
 * max_lag_ms. Anything else — it stopped answering, it lags, it was
 * promoted — takes it out; the checker keeps trying, so it comes back on
 * its own when it recovers. Healthy replicas take reads in turn; with
 * none, eng_router_read_pool answers NULL and the caller reads from the
 * primary. What counts as a read (and that anything after a write stays on
 * the primary) is the caller's decision: the router only picks.
 *
 * Thread-safety: everything after create is read-only except the
 * round-robin cursor and the counters (atomics); pools and checkers are
 * internally synchronised.
 */
#include "eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const double READY_AGE_S = 3.0;

typedef struct replica {
    eng_pool *pool;
    eng_health *health;
    char *label;   /* the URL without its password, for status and logs */
    atomic_bool healthy; /* as of the last pick, for the transition log */
    atomic_uint_fast64_t reads;
} replica;

struct eng_router {
    replica *replicas;
    size_t n;
    int max_lag_ms;
    atomic_uint_fast64_t next;
};

/* postgresql://user:secret@host/db -> postgresql://user:***@host/db */
static char *redact(const char *url)
{
    char *out = eng__xstrdup(url);
    char *scheme = strstr(out, "://");
    char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at) {
        size_t tail = strlen(at);
        memcpy(colon + 1, "***", 3);
        memmove(colon + 4, at, tail + 1);
    }
    return out;
}

eng_router *eng_router_create(const eng_pool_options *template_opts, const char *const *urls,
                              size_t n, int max_lag_ms, err_report *err)
{
    eng_router *r = eng__xmalloc(sizeof *r);
    r->replicas = eng__xmalloc(sizeof *r->replicas * (n ? n : 1));
    r->max_lag_ms = max_lag_ms;
    atomic_init(&r->next, 0);
    for (size_t i = 0; i < n; i++) {
        eng_pool_options o = *template_opts;
        o.conninfo = urls[i];
        replica *x = &r->replicas[i];
        x->pool = eng_pool_create(&o, err);
        if (!x->pool) {
            r->n = i;
            eng_router_destroy(r);
            return NULL;
        }
        x->label = redact(urls[i]);
        x->health = eng_health_start(x->pool, 1.0);
        atomic_init(&x->healthy, false);
        atomic_init(&x->reads, 0);
        r->n = i + 1;
    }
    return r;
}

void eng_router_destroy(eng_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        eng_health_stop(r->replicas[i].health);
        eng_pool_destroy(r->replicas[i].pool);
        free(r->replicas[i].label);
    }
    free(r->replicas);
    free(r);
}

size_t eng_router_count(const eng_router *r)
{
    return r ? r->n : 0;
}

/* Healthy now? Logs the transitions (once each way). */
static bool healthy(eng_router *r, size_t i, eng_health_status *st)
{
    replica *x = &r->replicas[i];
    if (x->health) {
        eng_health_get(x->health, st);
    } else {
        memset(st, 0, sizeof *st);
        st->age_s = -1;
    }
    bool ok = st->age_s >= 0 && st->age_s <= READY_AGE_S && st->in_recovery &&
              st->lag_ms <= (double) r->max_lag_ms;
    bool was = atomic_exchange(&x->healthy, ok);
    if (was && !ok)
        log_warn("engine: replica %zu (%s) taken out of reads: %s", i, x->label,
                 st->age_s < 0 || st->age_s > READY_AGE_S ? "not answering"
                 : !st->in_recovery                       ? "no longer a standby"
                                                          : "replication lag too high");
    else if (!was && ok)
        log_info("engine: replica %zu (%s) takes reads (lag %.0f ms)", i, x->label, st->lag_ms);
    return ok;
}

eng_pool *eng_router_read_pool(eng_router *r)
{
    if (!r || r->n == 0)
        return NULL;
    uint64_t start = atomic_fetch_add(&r->next, 1);
    for (size_t k = 0; k < r->n; k++) {
        size_t i = (size_t) ((start + k) % r->n);
        eng_health_status st;
        if (healthy(r, i, &st)) {
            atomic_fetch_add(&r->replicas[i].reads, 1);
            return r->replicas[i].pool;
        }
    }
    return NULL;
}

void eng_router_replica(eng_router *r, size_t i, eng_replica_status *out)
{
    memset(out, 0, sizeof *out);
    if (!r || i >= r->n)
        return;
    replica *x = &r->replicas[i];
    out->pool = x->pool;
    out->label = x->label;
    eng_health_status st;
    out->healthy = healthy(r, i, &st);
    out->reachable = st.age_s >= 0 && st.age_s <= READY_AGE_S;
    out->lag_ms = st.in_recovery ? st.lag_ms : -1;
    out->in_recovery = st.in_recovery;
    out->reads = atomic_load(&x->reads);
    snprintf(out->error, sizeof out->error, "%s", st.error);
}
