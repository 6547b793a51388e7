/*
 * eng — the engine: libpq connections, a QueuePool, statement execution
 * and SQLSTATE-classified errors. The only module that includes
 * libpq-fe.h; nothing above it sees libpq types.
 *
 * Pool semantics follow SQLAlchemy's QueuePool: pool_size connections are
 * kept; up to max_overflow more are opened under load, and a connection
 * returned while pool_size are already idle is closed (so overflow drops
 * back to 0 once load falls, without closing and reopening under steady
 * load); a checkout waits at most pool_timeout seconds, served in FIFO
 * order, then fails with ERR_POOL_TIMEOUT; pool_recycle replaces
 * connections older than that at checkout; pool_pre_ping tests a
 * connection at checkout and transparently replaces a dead one; a
 * connection that failed at the connection level is invalidated (closed),
 * never returned to the pool. eng_pool_checkout_unpinged hands the
 * pre-ping over to the caller's first round trip (one round trip fewer per
 * checkout).
 *
 * Thread-safety: eng_pool_* functions may be called from any thread. An
 * eng_conn belongs to the thread that checked it out until it is checked
 * in; eng_exec* on one connection must not run concurrently.
 *
 * Ownership: the pool is a process-lifetime heap object (create/destroy).
 * Results live in the arena passed to eng_exec* (PQclear runs when that
 * arena dies). Error strings are copied into err's arena before the
 * PGresult is cleared.
 */
#ifndef RETORT_ENG_H
#define RETORT_ENG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"

typedef struct eng_pool eng_pool;
typedef struct eng_conn eng_conn;
typedef struct eng_result eng_result;

typedef struct eng_pool_options {
    const char *conninfo;     /* libpq URL or key=value string; copied */
    int pool_size;            /* connections kept open */
    int max_overflow;         /* extra connections under load; -1 = unlimited */
    double pool_timeout;      /* seconds a checkout may wait */
    double pool_recycle;      /* seconds; <= 0 disables */
    bool pre_ping;
    int connect_timeout;      /* seconds; 0 = libpq default (the URL's
                                 connect_timeout, else no limit) */
    bool prepared_statements; /* false: unnamed statements (PgBouncer) */
    int statement_cache_size; /* prepared statements kept per connection;
                                 0 = unnamed statements, as if
                                 prepared_statements were false */
    const char *application_name;
    int statement_timeout_ms; /* SET once per new connection (a session
                                 setting) when no pooler is detected;
                                 0 = the server's */
    int tcp_user_timeout_ms;  /* TCP keepalives are always on; this bounds
                                 unacknowledged sends (0 = the kernel's) */
    double overflow_idle_s;   /* an overflow connection (one returned while
                                 pool_size are idle) stays open until it has
                                 been idle this long; 0 = closed at once, as
                                 SQLAlchemy's QueuePool does */
    int answer_timeout_ms;    /* the longest a call waits for the server's
                                 answer before the connection is given up
                                 (ERR_TIMEOUT, 504); 0 = no limit. Bounds a
                                 frozen server, which statement_timeout
                                 cannot. */
} eng_pool_options;

/* Defaults: pool_size 5, max_overflow 10, pool_timeout 30, pool_recycle off,
 * overflow_idle_s 10,
 * pre_ping off, connect_timeout 10, prepared_statements on,
 * statement_cache_size 256, application_name "retort", statement_timeout
 * the server's, tcp_user_timeout 10 s, answer_timeout none, conninfo NULL (the libpq
 * environment: PGHOST, PGDATABASE ...). */
void eng_pool_options_init(eng_pool_options *o);

typedef struct eng_pool_status {
    int size;          /* pool_size */
    int checked_in;    /* idle open connections */
    int checked_out;   /* connections in use */
    int overflow;      /* overflow connections open now (0..max_overflow) */
    int max_overflow;
    int waiting;       /* checkouts waiting for a connection */
    uint64_t timeouts, recycled, invalidated; /* since start */
    uint64_t checkouts, connects, pings_failed;
    bool behind_pooler;        /* a pooler (PgBouncer) was detected: unnamed
                                  statements only */
    uint64_t shape_mismatches; /* results refused: their row description
                                  was not their statement's */
} eng_pool_status;

/* Creates the pool (opts is copied; NULL = defaults). No connection is
 * opened until the first checkout (like SQLAlchemy); use eng_pool_ping()
 * to verify reachability. ERR_CONFIG for impossible sizes or a conninfo
 * libpq cannot parse. */
eng_pool *eng_pool_create(const eng_pool_options *opts, err_report *err);

/* Closes every idle connection and frees the pool. All connections should
 * have been checked in: checkouts still waiting fail with ERR_UNAVAILABLE,
 * and with connections still out the pool is freed (with a warning in the
 * log) when the last of them is checked in. */
void eng_pool_destroy(eng_pool *p);

/* Checks a connection out, waiting up to pool_timeout in FIFO order.
 * Returns NULL with ERR_POOL_TIMEOUT (503, Retry-After) when the wait runs
 * out, or ERR_UNAVAILABLE when the database cannot be reached. With
 * pool_pre_ping, an idle connection is tested with a round trip first and
 * transparently replaced when it is dead. */
eng_conn *eng_pool_checkout(eng_pool *p, err_report *err);

/* Like eng_pool_checkout, but without the separate pre-ping round trip
 * ("optimistic pre-ping"): with pool_pre_ping on, a connection taken from
 * the idle pool is handed out untested and eng_conn_is_unverified() says
 * so until a round trip on it has been answered. The caller then owns the
 * ping: when its first round trip fails at the connection level
 * (eng_conn_is_broken() afterwards) before anything of its work can have
 * taken effect (e.g. the BEGIN of eng_begin / eng_begin_exec failed), it
 * checks the connection in — checkin closes it, invalidated++ and
 * pings_failed++ — and checks another out with eng_pool_checkout (pinged),
 * once. A fresh, recycled or (pre_ping off) unpinged connection is never
 * unverified. orm_session works this way; everything else keeps using
 * eng_pool_checkout. */
eng_conn *eng_pool_checkout_unpinged(eng_pool *p, err_report *err);

/* eng_pool_checkout (pinged) or eng_pool_checkout_unpinged, waiting at
 * most max_wait_s seconds (and never more than pool_timeout): for a caller
 * whose own deadline started earlier (a request that queued first). 0 or
 * less: only a connection free right now, else ERR_POOL_TIMEOUT. */
eng_conn *eng_pool_checkout_within(eng_pool *p, double max_wait_s, bool pinged, err_report *err);

/* Returns a connection: a transaction still open (or failed) is rolled
 * back (if that fails, the connection is closed); an invalidated or broken
 * connection is closed (invalidated++); otherwise it goes straight to the
 * longest-waiting checkout, else back to the pool, else — pool_size
 * already idle — it is overflow and is closed. NULL is accepted. The
 * connection must not be used afterwards. */
void eng_pool_checkin(eng_pool *p, eng_conn *c);

/* The statement_timeout the pool sets on every connection at connect (ms;
 * 0 = none, or a pooler was detected): a session asking for this timeout
 * then needs no SET LOCAL of its own. */
int eng_pool_statement_timeout_ms(const eng_pool *p);

/* Checks out a connection, tests it with a round trip (always, whatever
 * pre_ping says), checks it in. For /health/ready. */
bool eng_pool_ping(eng_pool *p, err_report *err);

/* A consistent snapshot of the counters, taken under the pool lock.
 * checked_out counts every connection held for a caller: in use, being
 * opened or vetted for a checkout, being rolled back at checkin, or broken
 * and not yet returned. overflow is max(0, open connections - pool_size).
 * With nothing checked out: checked_out 0, overflow 0, checked_in <=
 * pool_size. */
void eng_pool_get_status(eng_pool *p, eng_pool_status *out /* OUT */);

/* Marks a connection so that checkin closes it instead of pooling it. */
void eng_conn_invalidate(eng_conn *c);

/* The server process id of the connection (for tests and logs). */
int eng_conn_backend_pid(const eng_conn *c);

/* True after a connection-level failure. */
bool eng_conn_is_broken(const eng_conn *c);

/* True while a connection from eng_pool_checkout_unpinged has been handed
 * out without its pre-ping and no round trip on it has been answered yet:
 * a connection-level failure now means it was dead in the pool. */
bool eng_conn_is_unverified(const eng_conn *c);

/* ---- reachability without a pool slot (eng_health.c) ------------------ */

typedef struct eng_health eng_health;

typedef struct eng_health_status {
    bool checked;      /* something has answered at least once */
    double age_s;      /* seconds since the database last answered (a pooled
                          round trip or the check query); -1 = never */
    bool in_recovery;  /* the server is a standby */
    double lag_ms;     /* replication lag of a standby; -1 on a primary */
    uint64_t checks, failures;
    char error[256];   /* the last check's failure; "" when it answered */
} eng_health_status;

/* Starts a thread that runs one short query every interval_s seconds on a
 * dedicated connection to p's database (not one of p's slots, so a
 * saturated pool does not delay it); each query waits at most
 * max(interval_s, 2) seconds. Every answered round trip on p's pooled
 * connections counts as well. NULL if the thread cannot start. */
eng_health *eng_health_start(eng_pool *p, double interval_s);
/* Stops the thread (waits at most one bounded query) and frees h; NULL ok. */
void eng_health_stop(eng_health *h);
/* True when the database answered within max_age_s; else ERR_UNAVAILABLE
 * (SQLSTATE 08006, Retry-After) with the last failure as detail. Reads
 * memory only: never waits. */
bool eng_health_ready(eng_health *h, double max_age_s, err_report *err);
void eng_health_get(eng_health *h, eng_health_status *out /* OUT */);

/* ---- read replicas (eng_router.c) -------------------------------------- */

typedef struct eng_router eng_router;

typedef struct eng_replica_status {
    eng_pool *pool;     /* borrowed; the replica's own pool */
    const char *label;  /* its URL with the password masked; borrowed */
    bool healthy;       /* takes reads now */
    bool reachable;     /* answered within the last 3 s */
    bool in_recovery;   /* a standby (a promoted one takes no reads) */
    double lag_ms;      /* replication lag; -1 when unknown or not a standby */
    uint64_t reads;     /* reads routed to it since start */
    char error[256];    /* its health check's last failure, "" when fine */
} eng_replica_status;

/* One pool (template_opts with each URL as conninfo) and one health checker
 * per replica. A replica takes reads while it is a standby that answered
 * within 3 s with a lag of at most max_lag_ms; it is taken out otherwise
 * and comes back by itself when it recovers. NULL on a bad URL (err). */
eng_router *eng_router_create(const eng_pool_options *template_opts, const char *const *urls,
                              size_t n, int max_lag_ms, err_report *err);
void eng_router_destroy(eng_router *r); /* NULL ok */
size_t eng_router_count(const eng_router *r);
/* The pool of a healthy replica, in turn; NULL when none is healthy (read
 * from the primary then). Never waits: reads what the checkers saw. */
eng_pool *eng_router_read_pool(eng_router *r);
void eng_router_replica(eng_router *r, size_t i, eng_replica_status *out /* OUT */);

/* ---- execution ----------------------------------------------------- */

/* Runs a statement with text parameters (NULL entries are SQL NULL) and
 * text results. Returns NULL on error with err filled from the SQLSTATE;
 * a connection-level failure also marks the connection broken. The result
 * lives in a. */
eng_result *eng_exec(eng_conn *c, arena *a, const char *sql, int nparams,
                     const char *const *values, err_report *err);

/* Like eng_exec, but prepares sql once per connection under a generated
 * name ("rs_<n>"), keyed by the sql text, in a bounded LRU per connection
 * (evicted statements are DEALLOCATEd, outside transactions only). A
 * statement the server forgot (26000) is prepared again, once. With
 * prepared_statements off it runs as an unnamed statement. */
eng_result *eng_exec_prepared(eng_conn *c, arena *a, const char *sql, int nparams,
                              const char *const *values, err_report *err);

/* Runs utility statements without parameters or interesting results
 * (BEGIN, COMMIT, SET LOCAL ...). */
bool eng_exec_command(eng_conn *c, const char *sql, err_report *err);

/* BEGIN with an isolation level (NULL = server default) and a statement
 * timeout in ms applied with SET LOCAL (0 = none), in one round trip. An
 * unknown isolation level or a negative timeout is ERR_BAD_REQUEST and
 * nothing is sent. If SET LOCAL fails, the transaction is rolled back. */
bool eng_begin(eng_conn *c, const char *isolation_level, int statement_timeout_ms,
               err_report *err);

/* Settings for every transaction this connection begins until it is
 * checked in: n name/value pairs (borrowed until then), applied with
 * set_config(name, value, true) — transaction-local, like SET LOCAL — as
 * one parameterized statement in the same round trip as BEGIN (eng_begin
 * and eng_begin_exec). For the request's database role ("role"), its JWT
 * claims ("request.jwt.claims") and its tenant's "search_path". Values are
 * bound parameters, never SQL text. A failing setting (an unknown role)
 * fails the BEGIN, and no transaction is left open. */
void eng_conn_set_tx_settings(eng_conn *c, const char *const *names, const char *const *values,
                              int n);

/* eng_begin followed by the transaction's first statement, in one round
 * trip (libpq pipeline mode: BEGIN [ISOLATION LEVEL x], SET LOCAL
 * statement_timeout when > 0, the Parse of the statement when prepared and
 * not yet in the connection's cache, the statement, one Sync). prepared
 * selects eng_exec_prepared's behaviour (the per-connection cache; unnamed
 * when the pool has prepared statements off), else eng_exec's.
 *
 * *began (may be NULL) tells whether the transaction was opened: false
 * when BEGIN or SET LOCAL failed or nothing was sent (then no transaction
 * is left open, as with eng_begin, and the statement did not run); true
 * once BEGIN and SET LOCAL were answered, whatever the statement did.
 * Returns the statement's result, or NULL with err filled exactly as
 * eng_begin, eng_exec or eng_exec_prepared would have filled it: a failed
 * statement leaves the transaction failed (only ROLLBACK is left), a
 * connection-level failure marks the connection broken. */
eng_result *eng_begin_exec(eng_conn *c, arena *a, const char *isolation_level,
                           int statement_timeout_ms, bool prepared, const char *sql, int nparams,
                           const char *const *values, bool *began /* OUT */, err_report *err);
bool eng_commit(eng_conn *c, err_report *err);
/* The open transaction's last statement and COMMIT in one round trip
 * (pipeline mode), for a statement whose answer nothing between it and the
 * COMMIT needs. *committed says whether COMMIT succeeded. A failed
 * statement never commits: NULL, err as eng_exec* fills it, and the
 * transaction is left failed (roll it back). A failed COMMIT: NULL, err
 * from COMMIT, no transaction open any more. prepared as eng_begin_exec.
 * The result lives in a. */
eng_result *eng_exec_commit(eng_conn *c, arena *a, bool prepared, const char *sql, int nparams,
                            const char *const *values, bool *committed /* OUT */,
                            err_report *err);
bool eng_rollback(eng_conn *c, err_report *err);

/* True while a transaction is open on the connection (idle in
 * transaction or failed in transaction). */
bool eng_conn_in_transaction(const eng_conn *c);

/* COPY table (columns) FROM STDIN with the given text-format data
 * (tab-separated, "\N" for NULL). Returns the number of rows or -1. */
int64_t eng_copy_in(eng_conn *c, const char *copy_sql, const char *data, size_t len,
                    err_report *err);

/* Prepared statements this connection has prepared so far (tests). */
uint64_t eng_conn_prepare_count(const eng_conn *c);

/* ---- results (borrowed until the arena dies) --------------------------- */

int eng_result_rows(const eng_result *r);
int eng_result_cols(const eng_result *r);
const char *eng_result_colname(const eng_result *r, int col);
uint32_t eng_result_coltype(const eng_result *r, int col); /* type OID */
int eng_result_colindex(const eng_result *r, const char *name); /* -1 = none */
bool eng_result_is_null(const eng_result *r, int row, int col);
const char *eng_result_value(const eng_result *r, int row, int col); /* "" when NULL */
int eng_result_length(const eng_result *r, int row, int col);
int64_t eng_result_affected(const eng_result *r); /* rows touched by INSERT/UPDATE/DELETE */

#endif
