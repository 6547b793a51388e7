/*
 * eng_conn — one connection's life: the state lists and the one function
 * that moves a connection between them, opening, pinging and closing the
 * libpq connection, and the small per-connection accessors.
 *
 * Constraint: the pool mutex is held for list moves only, never for I/O.
 * eng_conn_set_state() asserts that; the I/O helpers below assert nothing
 * and must be called unlocked.
 */
#include "eng_int.h"

#include <poll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro.h"
#include "log.h"

/* ------------------------------------------------------------------------
 * States and lists
 * ------------------------------------------------------------------------ */

static const char *const STATE_NAMES[ENG_CONN_NSTATES] = {
    [ENG_CONN_FREE] = "free",           [ENG_CONN_CONNECTING] = "connecting",
    [ENG_CONN_IDLE] = "idle",           [ENG_CONN_IN_USE] = "in use",
    [ENG_CONN_RESETTING] = "resetting", [ENG_CONN_BROKEN] = "broken",
    [ENG_CONN_CLOSING] = "closing",
};

const char *eng__state_name(eng_conn_state s)
{
    return (unsigned) s < ENG_CONN_NSTATES ? STATE_NAMES[s] : "?";
}

/* ALLOWED[from] is a bit set of the states `from` may move to: the table
 * in eng_int.h, written once. */
#define BIT(s) (1u << (s))
static const unsigned ALLOWED[ENG_CONN_NSTATES] = {
    [ENG_CONN_FREE] = BIT(ENG_CONN_CONNECTING),
    [ENG_CONN_CONNECTING] = BIT(ENG_CONN_IN_USE) | BIT(ENG_CONN_CLOSING),
    [ENG_CONN_IDLE] = BIT(ENG_CONN_IN_USE) | BIT(ENG_CONN_CLOSING),
    [ENG_CONN_IN_USE] = BIT(ENG_CONN_IDLE) | BIT(ENG_CONN_RESETTING) | BIT(ENG_CONN_BROKEN) |
                        BIT(ENG_CONN_CONNECTING) | BIT(ENG_CONN_CLOSING),
    [ENG_CONN_RESETTING] = BIT(ENG_CONN_IDLE) | BIT(ENG_CONN_IN_USE) | BIT(ENG_CONN_CLOSING),
    [ENG_CONN_BROKEN] = BIT(ENG_CONN_CLOSING),
    [ENG_CONN_CLOSING] = BIT(ENG_CONN_FREE),
};
#undef BIT

static void list_remove(eng__conn_list *l, eng_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->count--;
}

static void list_append(eng__conn_list *l, eng_conn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    l->count++;
}

void eng_conn_set_state(eng_pool *p, eng_conn *c, eng_conn_state to)
{
    eng_conn_state from = c->state;
    if ((unsigned) to >= ENG_CONN_NSTATES || !(ALLOWED[from] & (1u << to))) {
        log_error("engine: connection %llu: illegal state change %s -> %s",
                  (unsigned long long) c->id, eng__state_name(from), eng__state_name(to));
        abort();
    }
    if (from != ENG_CONN_FREE)
        list_remove(&p->lists[from], c);
    else
        p->open++;
    if (to != ENG_CONN_FREE)
        list_append(&p->lists[to], c);
    else
        p->open--;
    c->state = to;
}

/* ------------------------------------------------------------------------
 * Life: new, open, ping, close, free
 * ------------------------------------------------------------------------ */

eng_conn *eng__conn_new(eng_pool *p)
{
    eng_conn *c = eng__xmalloc(sizeof *c);
    c->pool = p;
    c->state = ENG_CONN_FREE;
    c->id = ++p->next_id; /* called with p->mu held */
    int cap = p->opts.statement_cache_size;
    eng__stmt_cache_init(&c->stmts, (size_t) (cap > 0 ? cap : 1));
    return c;
}

void eng__conn_free(eng_conn *c)
{
    if (!c)
        return;
    eng__conn_close(c);
    free(c);
}

/* Server notices and warnings ("there is no transaction in progress")
 * would go to stderr through libpq's default processor; they belong in
 * the log, at debug level. */
static void notice_to_log(void *arg, const char *message)
{
    const eng_conn *c = arg;
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    log_debug("engine: connection %llu: %.*s", (unsigned long long) c->id, (int) n, message);
}

/* statement_timeout once per connection, not per request: a session
 * setting on a direct connection (a pooler would hand it to whichever
 * server session it picked; sessions then SET LOCAL, see
 * eng_pool_statement_timeout_ms). */
static bool set_statement_timeout(eng_conn *c)
{
    if (eng_pool_statement_timeout_ms(c->pool) <= 0)
        return true;
    char sql[64];
    snprintf(sql, sizeof sql, "SET statement_timeout = %d", c->pool->opts.statement_timeout_ms);
    PGresult *res = eng__exec(c, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* PQconnectdbParams without blocking the thread: PQconnectStartParams
 * and PQconnectPoll, waiting with coro_wait_fd (a coroutine yields; a
 * plain thread polls). connect_timeout bounds the whole handshake (libpq
 * applies it only in its own blocking connect). Host names are still
 * resolved synchronously inside PQconnectStartParams: use addresses where
 * that matters. */
static PGconn *connect_async(const char *const *keys, const char *const *vals, int timeout_s)
{
    PGconn *pg = PQconnectStartParams(keys, vals, 1);
    if (!pg || PQstatus(pg) == CONNECTION_BAD)
        return pg;
    double deadline = timeout_s > 0 ? eng__now() + timeout_s : 0;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        short events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        int ev = coro_wait_fd(PQsocket(pg), events, deadline);
        if (ev == 0) {
            /* PQstatus stays not OK: the caller reports and finishes. */
            log_warn("engine: connecting took longer than connect_timeout (%d s)", timeout_s);
            return pg;
        }
        st = PQconnectPoll(pg);
    }
    if (st == PGRES_POLLING_OK && PQsetnonblocking(pg, 1) != 0) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

bool eng__conn_open(eng_conn *c, err_report *err)
{
    eng_pool *p = c->pool;
    const char *keys[12], *vals[12];
    char timeout[24], user_timeout[24];
    int n = 0;

    /* With expand_dbname, entries before "dbname" can be overridden by the
     * connection string and entries after it override it: the URL may
     * change the encoding and the keepalive settings; our options win
     * over the URL for the rest. Keepalives and tcp_user_timeout turn a
     * dead network path into an error instead of a wait without end. */
    keys[n] = "client_encoding", vals[n++] = "UTF8";
    keys[n] = "keepalives", vals[n++] = "1";
    keys[n] = "keepalives_idle", vals[n++] = "10";
    keys[n] = "keepalives_interval", vals[n++] = "5";
    keys[n] = "keepalives_count", vals[n++] = "3";
    if (p->opts.tcp_user_timeout_ms > 0) {
        snprintf(user_timeout, sizeof user_timeout, "%d", p->opts.tcp_user_timeout_ms);
        keys[n] = "tcp_user_timeout", vals[n++] = user_timeout;
    }
    keys[n] = "dbname", vals[n++] = p->conninfo ? p->conninfo : "";
    if (p->application_name && *p->application_name)
        keys[n] = "application_name", vals[n++] = p->application_name;
    if (p->opts.connect_timeout > 0) {
        snprintf(timeout, sizeof timeout, "%d", p->opts.connect_timeout);
        keys[n] = "connect_timeout", vals[n++] = timeout;
    }
    keys[n] = NULL, vals[n] = NULL;

    PGconn *pg = connect_async(keys, vals, p->opts.connect_timeout);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        arena *scratch = arena_create(NULL, "eng connect error");
        const char *msg = eng__one_line(scratch, pg ? PQerrorMessage(pg) : "out of memory");
        log_warn("engine: cannot connect to the database: %s", msg ? msg : "");
        if (err && !err_is_set(err)) {
            /* libpq does not expose the SQLSTATE of a refused connection;
             * 08001 (unable to establish connection) covers them all. */
            err_set_sqlstate(err, "08001", msg);
        }
        arena_destroy(scratch);
        PQfinish(pg);
        return false;
    }
    PQsetNoticeProcessor(pg, notice_to_log, c);
    c->pg = pg;
    c->created_at = eng__now();
    c->backend_pid = PQbackendPID(pg);
    c->broken = false;
    c->timed_out = false;
    c->invalidated = false;
    c->unverified = false;
    c->prepare_count = 0;
    if (!eng__detect_pooler(c) || !set_statement_timeout(c)) {
        log_warn("engine: a new connection failed its first query");
        if (err && !err_is_set(err))
            err_set_sqlstate(err, "08006", "the new connection failed its first query");
        PQfinish(pg);
        c->pg = NULL;
        return false;
    }
    return true;
}

void eng__conn_close(eng_conn *c)
{
    eng__stmt_cache_clear(&c->stmts);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->backend_pid = 0;
}

bool eng__conn_ping(eng_conn *c)
{
    if (!eng__conn_alive(c)) {
        c->broken = true;
        return false;
    }
    /* The empty query is the cheapest round trip the protocol has: the
     * server answers EmptyQueryResponse + ReadyForQuery without parsing. */
    PGresult *res = eng__exec(c, "");
    bool ok = res && PQresultStatus(res) == PGRES_EMPTY_QUERY && PQstatus(c->pg) == CONNECTION_OK;
    PQclear(res);
    if (!ok)
        c->broken = true;
    else
        c->unverified = false;
    return ok;
}

bool eng__conn_looks_alive(eng_conn *c)
{
    if (!eng__conn_alive(c))
        return false;
    /* An idle connection has nothing to say. Readable means the server
     * wrote while we were not asking: almost always its FATAL goodbye
     * (terminated backend, shutdown) and the end of the stream. */
    struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN | POLLRDHUP};
    if (pfd.fd < 0 || poll(&pfd, 1, 0) < 0)
        return false;
    if (!pfd.revents)
        return true;
    if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR) || !PQconsumeInput(c->pg) ||
        PQstatus(c->pg) != CONNECTION_OK) {
        c->broken = true;
        return false;
    }
    PGnotify *n;
    while ((n = PQnotifies(c->pg)) != NULL)
        PQfreemem(n);
    return true;
}

void eng__conn_mark_broken(eng_conn *c)
{
    eng_pool *p = c->pool;
    bool first = !c->broken;
    c->broken = true;
    pthread_mutex_lock(&p->mu);
    if (c->state == ENG_CONN_IN_USE)
        eng_conn_set_state(p, c, ENG_CONN_BROKEN);
    pthread_mutex_unlock(&p->mu);
    if (first && c->unverified) /* checkin warns if it was the optimistic pre-ping */
        log_debug("engine: connection %llu (backend %d) lost on its first round trip",
                  (unsigned long long) c->id, c->backend_pid);
    else if (first)
        log_warn("engine: connection %llu (backend %d) lost; it will be closed at checkin",
                 (unsigned long long) c->id, c->backend_pid);
}

void eng__conn_answered(eng_conn *c)
{
    if (!eng__conn_alive(c))
        return;
    c->unverified = false;
    /* Proof that the database is reachable, for readiness (eng_health). */
    atomic_store_explicit(&c->pool->last_answer_ms, (uint_fast64_t) (eng__now() * 1e3),
                          memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Public accessors
 * ------------------------------------------------------------------------ */

void eng_conn_invalidate(eng_conn *c)
{
    if (!c)
        return;
    eng_pool *p = c->pool;
    c->invalidated = true;
    pthread_mutex_lock(&p->mu);
    if (c->state == ENG_CONN_IN_USE)
        eng_conn_set_state(p, c, ENG_CONN_BROKEN);
    pthread_mutex_unlock(&p->mu);
}

int eng_conn_backend_pid(const eng_conn *c)
{
    return c ? c->backend_pid : 0;
}

bool eng__conn_alive(const eng_conn *c)
{
    return !c->broken && c->pg && PQstatus(c->pg) == CONNECTION_OK;
}

bool eng__conn_healthy(const eng_conn *c)
{
    return eng__conn_alive(c) && !c->invalidated;
}

bool eng_conn_is_broken(const eng_conn *c)
{
    return c && !eng__conn_alive(c);
}

bool eng_conn_is_unverified(const eng_conn *c)
{
    return c && c->unverified;
}

bool eng_conn_in_transaction(const eng_conn *c)
{
    if (!c || !c->pg)
        return false;
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

uint64_t eng_conn_prepare_count(const eng_conn *c)
{
    return c ? c->prepare_count : 0;
}
