/*
 * eng_pool — the QueuePool: checkout, checkin, the FIFO of waiters, the
 * status snapshot, create and destroy.
 *
 * Constraints that shaped it:
 *  - The mutex guards lists and counters only. Connecting, pinging,
 *    rolling back and closing happen outside it, with the connection
 *    parked in CONNECTING / RESETTING / CLOSING so its slot stays counted.
 *  - Strict FIFO: each blocked checkout is a waiter with its own condition
 *    variable, queued in arrival order. Whoever frees a connection (checkin)
 *    or a slot (a connection closed) hands it straight to the head waiter,
 *    so a late arrival can never overtake a waiter, and no thundering herd.
 *    A checkout that finds waiters queued joins the queue even if it could
 *    have barged.
 *  - pool_recycle and pre-ping are checked by the thread that checked the
 *    connection out, after it leaves the lock; a dead or expired
 *    connection is replaced in the same slot, so the caller either gets a
 *    working connection or ERR_UNAVAILABLE, never a dead one.
 *  - eng_pool_checkout_unpinged skips the pre-ping's round trip and marks
 *    the connection unverified instead: the caller's first round trip is
 *    the ping. If it fails at the connection level, checkin counts the
 *    failed ping (pings_failed, invalidated) and the caller checks out
 *    again with eng_pool_checkout, which pings.
 */
#include "eng_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coro.h"
#include "log.h"

/* Tells w it was served (granted or cancelled). Under p->mu, which keeps
 * the waiter (on the sleeper's stack) alive until it is told. */
static void notify_waiter_locked(eng__waiter *w)
{
    if (w->co)
        coro_wake(w->co);
    else
        pthread_cond_signal(&w->cond);
}

/* ------------------------------------------------------------------------
 * Options, create, destroy
 * ------------------------------------------------------------------------ */

void eng_pool_options_init(eng_pool_options *o)
{
    memset(o, 0, sizeof *o);
    o->pool_size = 5; /* SQLAlchemy's defaults */
    o->max_overflow = 10;
    o->pool_timeout = 30.0;
    o->pool_recycle = -1.0;
    o->pre_ping = false;
    o->connect_timeout = 10; /* libpq's default is to wait forever */
    o->prepared_statements = true;
    o->statement_cache_size = 256;
    o->application_name = "retort";
    o->tcp_user_timeout_ms = 10000;
}

static bool looks_like_conninfo(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0 ||
           strchr(s, '=') != NULL;
}

static bool check_options(const eng_pool_options *o, err_report *err)
{
    if (o->pool_size < 0 || o->max_overflow < -1) {
        err_set(err, ERR_CONFIG, "pool_size must be 0 or more and max_overflow -1 or more.");
        return false;
    }
    if (o->pool_size == 0 && o->max_overflow == 0) {
        err_set(err, ERR_CONFIG,
                "pool_size and max_overflow are both 0: no connection could "
                "ever be checked out.");
        return false;
    }
    if (!(o->pool_timeout >= 0) || o->connect_timeout < 0 || o->statement_cache_size < 0 ||
        o->statement_timeout_ms < 0 || o->tcp_user_timeout_ms < 0 || o->answer_timeout_ms < 0) {
        err_set(err, ERR_CONFIG,
                "pool_timeout, connect_timeout, statement_cache_size and the timeouts cannot be "
                "negative.");
        return false;
    }
    if (o->conninfo && looks_like_conninfo(o->conninfo)) {
        char *msg = NULL;
        PQconninfoOption *parsed = PQconninfoParse(o->conninfo, &msg);
        if (!parsed) {
            arena *scratch = arena_create(NULL, "eng conninfo error");
            err_set(err, ERR_CONFIG, "The database URL is not valid: %s",
                    msg ? eng__one_line(scratch, msg) : "out of memory");
            arena_destroy(scratch);
            PQfreemem(msg);
            return false;
        }
        PQconninfoFree(parsed);
    }
    return true;
}

eng_pool *eng_pool_create(const eng_pool_options *opts, err_report *err)
{
    eng_pool_options defaults;
    if (!opts) {
        eng_pool_options_init(&defaults);
        opts = &defaults;
    }
    if (!check_options(opts, err))
        return NULL;
    eng_pool *p = eng__xmalloc(sizeof *p);
    p->opts = *opts;
    p->conninfo = eng__xstrdup(opts->conninfo ? opts->conninfo : "");
    p->application_name = eng__xstrdup(opts->application_name);
    p->opts.conninfo = p->conninfo;
    p->opts.application_name = p->application_name;
    p->capacity = opts->max_overflow < 0 || opts->pool_size > INT_MAX - opts->max_overflow
                      ? INT_MAX
                      : opts->pool_size + opts->max_overflow;
    pthread_mutex_init(&p->mu, NULL);
    p->stmt_nonce = eng__random_nonce();
    atomic_init(&p->behind_pooler, false);
    atomic_init(&p->shape_mismatches, 0);
    atomic_init(&p->last_answer_ms, 0);
    return p;
}

int eng_pool_statement_timeout_ms(const eng_pool *p)
{
    /* Behind a pooler a session setting would land on whichever server
     * session the pooler picked: sessions SET LOCAL instead. */
    return atomic_load(&p->behind_pooler) ? 0 : p->opts.statement_timeout_ms;
}

static void pool_free(eng_pool *p)
{
    pthread_mutex_destroy(&p->mu);
    free(p->conninfo);
    free(p->application_name);
    free(p);
}

/* After eng_pool_destroy, the thread that makes the pool empty frees it. */
static bool last_one_out_locked(const eng_pool *p)
{
    return p->closing && p->open == 0 && p->sleepers == 0;
}

void eng_pool_destroy(eng_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    for (eng__waiter *w; (w = p->wait_head) != NULL;) {
        p->wait_head = w->next;
        w->prev = w->next = NULL;
        w->cancelled = true;
        p->waiting--;
        notify_waiter_locked(w);
    }
    p->wait_tail = NULL;
    int n = p->lists[ENG_CONN_IDLE].count;
    eng_conn **idle = eng__xmalloc((size_t) (n > 0 ? n : 1) * sizeof *idle);
    for (int i = 0; i < n; i++) {
        idle[i] = p->lists[ENG_CONN_IDLE].head;
        eng_conn_set_state(p, idle[i], ENG_CONN_CLOSING);
    }
    pthread_mutex_unlock(&p->mu);

    for (int i = 0; i < n; i++)
        eng__conn_close(idle[i]);

    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < n; i++)
        eng_conn_set_state(p, idle[i], ENG_CONN_FREE);
    int still_open = p->open;
    bool last = last_one_out_locked(p);
    pthread_mutex_unlock(&p->mu);

    for (int i = 0; i < n; i++)
        eng__conn_free(idle[i]);
    free(idle);
    if (last)
        pool_free(p);
    else
        log_warn("engine: pool destroyed with %d connection(s) still checked out; it is freed "
                 "when the last one is checked in",
                 still_open);
}

/* ------------------------------------------------------------------------
 * Slots and waiters (all *_locked functions run with p->mu held)
 * ------------------------------------------------------------------------ */

static eng__waiter *pop_waiter_locked(eng_pool *p)
{
    eng__waiter *w = p->wait_head;
    if (!w)
        return NULL;
    p->wait_head = w->next;
    if (p->wait_head)
        p->wait_head->prev = NULL;
    else
        p->wait_tail = NULL;
    w->next = w->prev = NULL;
    p->waiting--;
    return w;
}

static void remove_waiter_locked(eng_pool *p, eng__waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        p->wait_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        p->wait_tail = w->prev;
    w->next = w->prev = NULL;
    p->waiting--;
}

/* A new connection record holding a slot, to be connected outside the
 * lock by whoever receives it. */
static eng_conn *reserve_slot_locked(eng_pool *p)
{
    eng_conn *c = eng__conn_new(p);
    eng_conn_set_state(p, c, ENG_CONN_CONNECTING);
    return c;
}

/* A slot was given back: the head waiter may open a connection in it. */
static void slot_freed_locked(eng_pool *p)
{
    if (p->closing || !p->wait_head || p->open >= p->capacity)
        return;
    eng__waiter *w = pop_waiter_locked(p);
    w->granted = reserve_slot_locked(p);
    notify_waiter_locked(w);
}

/* Without waiting: an idle connection (now IN_USE), a fresh slot (now
 * CONNECTING), or NULL when the pool is at capacity. */
static eng_conn *take_locked(eng_pool *p)
{
    eng_conn *c = p->lists[ENG_CONN_IDLE].head;
    if (c) {
        eng_conn_set_state(p, c, ENG_CONN_IN_USE);
        return c;
    }
    if (p->open < p->capacity)
        return reserve_slot_locked(p);
    return NULL;
}

static struct timespec deadline_after(double seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (!(seconds > 0))
        return ts;
    if (seconds > 1e7)
        seconds = 1e7;               /* "forever" without overflowing time_t arithmetic */
    time_t whole = (time_t) seconds; /* positive: truncation is floor */
    ts.tv_sec += whole;
    ts.tv_nsec += (long) ((seconds - (double) whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Queues behind earlier waiters and sleeps until served or the deadline.
 * Returns the granted connection (IN_USE or CONNECTING) or NULL with err
 * set. *free_pool tells the caller to free a destroyed pool after
 * unlocking. */
static eng_conn *wait_locked(eng_pool *p, double wait_s, err_report *err,
                             bool *free_pool /* OUT */)
{
    eng__waiter w;
    memset(&w, 0, sizeof w);
    /* In a request coroutine the wait parks the coroutine, not the
     * thread: its loop runs other requests meanwhile. */
    w.co = coro_self();
    if (!w.co) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&w.cond, &attr);
        pthread_condattr_destroy(&attr);
    }

    w.prev = p->wait_tail;
    if (p->wait_tail)
        p->wait_tail->next = &w;
    else
        p->wait_head = &w;
    p->wait_tail = &w;
    p->waiting++;
    p->sleepers++;

    struct timespec deadline = deadline_after(wait_s);
    double co_deadline = (double) deadline.tv_sec + (double) deadline.tv_nsec / 1e9;
    while (!w.granted && !w.cancelled) {
        bool expired;
        if (w.co) {
            /* Never across the park: other coroutines of this thread
             * check in and out meanwhile. */
            pthread_mutex_unlock(&p->mu);
            coro_park(co_deadline);
            pthread_mutex_lock(&p->mu);
            expired = coro_now() >= co_deadline;
        } else {
            expired = pthread_cond_timedwait(&w.cond, &p->mu, &deadline) == ETIMEDOUT;
        }
        if (expired && !w.granted && !w.cancelled) {
            remove_waiter_locked(p, &w);
            p->timeouts++;
            break;
        }
    }
    p->sleepers--;
    if (!w.co)
        pthread_cond_destroy(&w.cond);

    *free_pool = last_one_out_locked(p);
    if (w.granted)
        return w.granted;
    if (w.cancelled)
        err_set(err, ERR_UNAVAILABLE, "The connection pool is shutting down.");
    else
        err_set(err, ERR_POOL_TIMEOUT,
                "No database connection became free within %.3g seconds (pool_size %d, "
                "max_overflow %d).",
                wait_s, p->opts.pool_size, p->opts.max_overflow);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Retiring: closing a connection outside the lock and giving its slot back
 * ------------------------------------------------------------------------ */

/* c is owned by the caller (any state but IDLE and FREE). counter, when
 * not NULL, is bumped under the lock (invalidated, recycled). */
static void retire(eng_pool *p, eng_conn *c, uint64_t *counter)
{
    pthread_mutex_lock(&p->mu);
    if (counter)
        (*counter)++;
    eng_conn_set_state(p, c, ENG_CONN_CLOSING);
    pthread_mutex_unlock(&p->mu);

    eng__conn_close(c); /* PQfinish: sends Terminate, closes the socket */

    pthread_mutex_lock(&p->mu);
    eng_conn_set_state(p, c, ENG_CONN_FREE);
    slot_freed_locked(p);
    bool last = last_one_out_locked(p);
    pthread_mutex_unlock(&p->mu);
    eng__conn_free(c);
    if (last)
        pool_free(p);
}

/* ------------------------------------------------------------------------
 * Checkout
 * ------------------------------------------------------------------------ */

/* Runs outside the lock on what take_locked/wait_locked produced: opens a
 * reserved slot, or vets an idle connection (recycle, pre-ping) and
 * replaces it in place when it fails. With ping false the pre-ping is left
 * to the caller's first round trip: the connection is marked unverified. */
static eng_conn *make_ready(eng_pool *p, eng_conn *c, bool ping, err_report *err)
{
    bool fresh = c->state == ENG_CONN_CONNECTING; /* nobody else moves it now */
    c->unverified = false;
    if (!fresh) {
        uint64_t *reason = NULL;
        if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
            reason = &p->invalidated;
        } else if (p->opts.pool_recycle > 0 && eng__now() - c->created_at > p->opts.pool_recycle) {
            reason = &p->recycled;
        } else if (p->opts.pre_ping && !ping && eng__conn_looks_alive(c)) {
            c->unverified = true; /* optimistic: the caller's first round trip pings */
        } else if (p->opts.pre_ping && (!ping || !eng__conn_ping(c))) {
            reason = &p->invalidated;
            pthread_mutex_lock(&p->mu);
            p->pings_failed++;
            pthread_mutex_unlock(&p->mu);
            log_warn("engine: connection %llu (backend %d) failed its pre-ping; replacing it",
                     (unsigned long long) c->id, c->backend_pid);
        }
        if (!reason) {
            pthread_mutex_lock(&p->mu);
            p->checkouts++;
            pthread_mutex_unlock(&p->mu);
            return c;
        }
        pthread_mutex_lock(&p->mu);
        (*reason)++;
        eng_conn_set_state(p, c, ENG_CONN_CONNECTING);
        pthread_mutex_unlock(&p->mu);
        eng__conn_close(c);
    }

    if (!eng__conn_open(c, err)) {
        retire(p, c, NULL);
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    p->connects++;
    p->checkouts++;
    eng_conn_set_state(p, c, ENG_CONN_IN_USE);
    pthread_mutex_unlock(&p->mu);
    log_debug("engine: connection %llu opened (backend %d)", (unsigned long long) c->id,
              c->backend_pid);
    return c;
}

static eng_conn *checkout(eng_pool *p, bool ping, double wait_s, err_report *err)
{
    bool free_pool = false;
    eng_conn *c = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->closing) {
        pthread_mutex_unlock(&p->mu);
        err_set(err, ERR_UNAVAILABLE, "The connection pool is shutting down.");
        return NULL;
    }
    if (p->waiting == 0) /* FIFO: never overtake a queued waiter */
        c = take_locked(p);
    if (!c)
        c = wait_locked(p, wait_s, err, &free_pool);
    pthread_mutex_unlock(&p->mu);
    if (free_pool)
        pool_free(p);
    return c ? make_ready(p, c, ping, err) : NULL;
}

eng_conn *eng_pool_checkout(eng_pool *p, err_report *err)
{
    return checkout(p, true, p->opts.pool_timeout, err);
}

eng_conn *eng_pool_checkout_unpinged(eng_pool *p, err_report *err)
{
    return checkout(p, false, p->opts.pool_timeout, err);
}

eng_conn *eng_pool_checkout_within(eng_pool *p, double max_wait_s, bool pinged, err_report *err)
{
    double wait_s = max_wait_s < p->opts.pool_timeout ? max_wait_s : p->opts.pool_timeout;
    return checkout(p, pinged, wait_s > 0 ? wait_s : 0, err);
}

/* ------------------------------------------------------------------------
 * Checkin
 * ------------------------------------------------------------------------ */

/* Rolls back what the caller left open. Returns false when the connection
 * cannot be trusted afterwards. Runs unlocked, in state RESETTING. */
static bool reset(eng_conn *c)
{
    PGresult *res = eng__exec(c, "ROLLBACK");
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK &&
              PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    PQclear(res);
    if (!ok)
        log_warn("engine: connection %llu could not be rolled back at checkin; closing it",
                 (unsigned long long) c->id);
    return ok;
}

void eng_pool_checkin(eng_pool *p, eng_conn *c)
{
    if (!c)
        return;
    if (c->pool != p) {
        log_error("engine: a connection was checked in to a pool it does not belong to");
        abort();
    }

    eng_conn_set_tx_settings(c, NULL, NULL, 0); /* they lived in the borrower's memory */
    bool healthy = eng__conn_healthy(c);
    if (healthy) {
        PGTransactionStatusType ts = PQtransactionStatus(c->pg);
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
            pthread_mutex_lock(&p->mu);
            if (c->state == ENG_CONN_IN_USE)
                eng_conn_set_state(p, c, ENG_CONN_RESETTING);
            pthread_mutex_unlock(&p->mu);
            healthy = reset(c);
        } else if (ts != PQTRANS_IDLE) {
            healthy = false; /* ACTIVE: a command still running; UNKNOWN: dead */
        }
    }
    if (!healthy) {
        if (c->unverified && !eng__conn_alive(c)) {
            /* Handed out without its pre-ping, and the first round trip
             * found it dead: that was the ping failing. */
            pthread_mutex_lock(&p->mu);
            p->pings_failed++;
            pthread_mutex_unlock(&p->mu);
            log_warn("engine: connection %llu (backend %d) failed its first round trip "
                     "(optimistic pre-ping); closing it",
                     (unsigned long long) c->id, c->backend_pid);
        }
        retire(p, c, &p->invalidated);
        return;
    }
    c->unverified = false;

    pthread_mutex_lock(&p->mu);
    eng__waiter *w = p->closing ? NULL : pop_waiter_locked(p);
    if (w) {
        /* Straight to the head waiter: the connection never becomes idle,
         * so nobody can take it out of turn. */
        if (c->state != ENG_CONN_IN_USE)
            eng_conn_set_state(p, c, ENG_CONN_IN_USE);
        w->granted = c;
        notify_waiter_locked(w);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    if (p->closing || p->lists[ENG_CONN_IDLE].count >= p->opts.pool_size) {
        /* QueuePool's rule: the pool keeps at most pool_size idle
         * connections; one returned to a full pool is overflow and is
         * closed (overflow drops). Under steady load the overflow stays
         * open instead of being closed and reopened on every request. */
        pthread_mutex_unlock(&p->mu);
        retire(p, c, NULL);
        return;
    }
    eng_conn_set_state(p, c, ENG_CONN_IDLE);
    pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------------
 * Ping and status
 * ------------------------------------------------------------------------ */

bool eng_pool_ping(eng_pool *p, err_report *err)
{
    /* Two tries: the first connection may be one that died while idle
     * (without pre-ping nothing noticed); the second is then fresh or
     * another idle one. */
    for (int attempt = 0; attempt < 2; attempt++) {
        eng_conn *c = eng_pool_checkout(p, err);
        if (!c)
            return false;
        bool ok = eng__conn_ping(c);
        if (!ok) {
            pthread_mutex_lock(&p->mu);
            p->pings_failed++;
            pthread_mutex_unlock(&p->mu);
            eng__conn_mark_broken(c);
        }
        eng_pool_checkin(p, c);
        if (ok)
            return true;
    }
    err_set_sqlstate(err, "08006", "the database did not answer a ping");
    return false;
}

void eng_pool_get_status(eng_pool *p, eng_pool_status *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->mu);
    out->size = p->opts.pool_size;
    out->checked_in = p->lists[ENG_CONN_IDLE].count;
    /* Everything that holds a slot for a caller: in use, being vetted or
     * opened for a checkout, being rolled back at checkin, broken but not
     * yet returned. */
    out->checked_out = p->lists[ENG_CONN_IN_USE].count + p->lists[ENG_CONN_CONNECTING].count +
                       p->lists[ENG_CONN_RESETTING].count + p->lists[ENG_CONN_BROKEN].count;
    int over = p->open - p->opts.pool_size;
    out->overflow = over > 0 ? over : 0;
    out->max_overflow = p->opts.max_overflow;
    out->waiting = p->waiting;
    out->timeouts = p->timeouts;
    out->recycled = p->recycled;
    out->invalidated = p->invalidated;
    out->checkouts = p->checkouts;
    out->connects = p->connects;
    out->pings_failed = p->pings_failed;
    pthread_mutex_unlock(&p->mu);
    out->behind_pooler = atomic_load(&p->behind_pooler);
    out->shape_mismatches = atomic_load(&p->shape_mismatches);
}
