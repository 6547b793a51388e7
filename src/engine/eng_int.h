/*
 * eng_int — what the engine's .c files share privately. Nothing outside
 * src/engine includes this header (it pulls in libpq-fe.h).
 *
 * Locking: everything in struct eng_pool below `mu` is guarded by it. A
 * connection's list membership and `state` change only under the pool
 * mutex, through eng_conn_set_state(). The remaining eng_conn fields (the
 * PGconn, the statement cache, the flags) belong to whoever holds the
 * connection: the checking-out thread, or the pool while the connection is
 * CONNECTING, RESETTING or CLOSING on behalf of a caller. The mutex is
 * never held across I/O: connecting, pinging, rolling back and closing all
 * happen outside it, with the connection parked in a state that keeps its
 * slot counted.
 *
 * Memory: pools, connections and cache entries are process-lifetime heap
 * objects (malloc/free through eng__xmalloc, which aborts on OOM like the
 * arena does). Results live in the caller's arena.
 */
#ifndef RETORT_ENG_INT_H
#define RETORT_ENG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "eng.h"

/* ---- connection states -------------------------------------------------
 *
 *                          +--------- checkout ---------+
 *                          v                            |
 *   FREE --> CONNECTING --> IN_USE --- clean checkin --> IDLE
 *                |           |  |  \                      ^
 *                |           |  |   +-> RESETTING --------+ (rolled back)
 *                |           |  v           |
 *                |           | BROKEN       |
 *                v           v  v           v
 *                +-------> CLOSING <--------+   --> FREE
 *
 * Allowed moves (eng_conn_set_state aborts on any other):
 *   FREE       -> CONNECTING                  a slot is reserved
 *   CONNECTING -> IN_USE | CLOSING            connected | connect failed
 *   IDLE       -> IN_USE | CLOSING            checkout | pool destroyed
 *   IN_USE     -> IDLE                        clean checkin
 *              -> RESETTING                   checkin with a transaction open
 *              -> BROKEN                      connection-level failure, or
 *                                             eng_conn_invalidate()
 *              -> CONNECTING                  replaced at checkout (pool_recycle,
 *                                             failed pre-ping), same slot
 *              -> CLOSING                     checkin to a full pool (overflow)
 *   RESETTING  -> IDLE | IN_USE | CLOSING     rolled back (IN_USE: handed to the
 *                                             head waiter) | rollback failed
 *   BROKEN     -> CLOSING                     checkin
 *   CLOSING    -> FREE                        PQfinish done, slot given back
 *
 * Every state but FREE holds one of the pool's pool_size + max_overflow
 * slots, so a connection being opened or closed outside the lock is still
 * counted and the limit is never exceeded.
 */
typedef enum eng_conn_state {
    ENG_CONN_FREE = 0,   /* on no list: not yet admitted, or closed */
    ENG_CONN_CONNECTING, /* slot reserved; PQconnectdbParams runs unlocked */
    ENG_CONN_IDLE,       /* open, in the pool, ready for a checkout */
    ENG_CONN_IN_USE,     /* checked out by one thread */
    ENG_CONN_RESETTING,  /* being checked in: ROLLBACK runs unlocked */
    ENG_CONN_BROKEN,     /* still checked out, but failed or invalidated */
    ENG_CONN_CLOSING,    /* retired: PQfinish runs unlocked, then FREE */
    ENG_CONN_NSTATES
} eng_conn_state;

const char *eng__state_name(eng_conn_state s);

typedef struct eng__conn_list {
    eng_conn *head, *tail; /* IDLE is FIFO: checkout takes the head */
    int count;
} eng__conn_list;

/* ---- per-connection prepared-statement cache (eng_stmt_cache.c) ------- */

/* "rs_<process nonce>_<connection id>_<n>" in hex: at most 3 + 3 * 16 + 2
 * characters, below PostgreSQL's 63. */
enum { ENG_STMT_NAME_MAX = 64 };

/* The row description a statement's results must have (eng_check.c):
 * learned from its first result on the connection that prepared it. */
typedef struct eng__shape {
    int ncols;        /* -1 = not learned yet */
    uint32_t *types;  /* ncols type OIDs; heap */
    char **names;     /* ncols column names; heap */
} eng__shape;

typedef struct eng__stmt {
    char *sql;     /* key; heap copy */
    char name[ENG_STMT_NAME_MAX]; /* on the server */
    eng__shape shape;
    uint64_t hash;
    struct eng__stmt *hnext;         /* bucket chain */
    struct eng__stmt *newer, *older; /* LRU list */
} eng__stmt;

typedef struct eng__stmt_cache {
    eng__stmt **buckets;
    size_t nbuckets, count, cap;
    eng__stmt *newest, *oldest;
    uint64_t seq; /* next name number */
} eng__stmt_cache;

void eng__stmt_cache_init(eng__stmt_cache *sc, size_t cap);
/* Frees every entry without telling the server (the connection is gone or
 * going). */
void eng__stmt_cache_clear(eng__stmt_cache *sc);
eng__stmt *eng__stmt_cache_find(eng__stmt_cache *sc, const char *sql);
/* Inserts a new entry as the most recently used, under the given server
 * name; the cache may exceed cap (the caller trims). Returns it. */
eng__stmt *eng__stmt_cache_add(eng__stmt_cache *sc, const char *sql, const char *name);
void eng__stmt_cache_touch(eng__stmt_cache *sc, eng__stmt *e);
/* Unlinks e; the caller frees it with eng__stmt_free(). */
void eng__stmt_cache_remove(eng__stmt_cache *sc, eng__stmt *e);
void eng__stmt_free(eng__stmt *e);

/* ---- the connection ---------------------------------------------------- */

struct eng_conn {
    eng_pool *pool;
    eng_conn_state state;  /* guarded by pool->mu */
    eng_conn *prev, *next; /* in pool->lists[state] */
    PGconn *pg;            /* NULL until connected */
    uint64_t id;           /* for logs */
    double created_at;     /* monotonic; for pool_recycle */
    int backend_pid;
    bool broken;            /* connection-level failure seen */
    bool invalidated;       /* eng_conn_invalidate() was called */
    bool timed_out;         /* the server did not answer within
                               answer_timeout_ms (eng_wait.c) */
    bool unverified;        /* handed out by eng_pool_checkout_unpinged without
                               its pre-ping; cleared by the first answered
                               round trip (eng__conn_answered) */
    uint64_t prepare_count; /* PQprepare calls on this connection */
    eng__stmt_cache stmts;
    /* eng_conn_set_tx_settings: borrowed until checkin, which clears them */
    const char *const *tx_names;
    const char *const *tx_values;
    int n_tx_settings;
};

/* ---- waiters: one per blocked checkout, strict FIFO --------------------- */

typedef struct eng__waiter {
    pthread_cond_t cond; /* a thread sleeps on it (co NULL) */
    struct coro *co;     /* or a coroutine parks (coro.h) */
    eng_conn *granted; /* set by the thread that serves this waiter: an
                          IN_USE connection, or a CONNECTING slot */
    bool cancelled;    /* the pool is being destroyed */
    struct eng__waiter *prev, *next;
} eng__waiter;

/* ---- the pool ------------------------------------------------------------ */

struct eng_pool {
    /* immutable after create */
    eng_pool_options opts; /* string members point at the copies below */
    char *conninfo, *application_name;
    int capacity; /* pool_size + max_overflow, INT_MAX if unlimited */

    pthread_mutex_t mu;
    eng__conn_list lists[ENG_CONN_NSTATES]; /* FREE list stays empty */
    int open;                               /* connections in any state but FREE */
    eng__waiter *wait_head, *wait_tail;
    int waiting;  /* waiters in the queue */
    int sleepers; /* threads inside the wait, queued or just woken */
    bool closing; /* eng_pool_destroy ran; the last one out frees */
    uint64_t next_id;
    uint64_t timeouts, recycled, invalidated, checkouts, connects, pings_failed;

    /* Written without the lock (eng_pooler.c, eng_check.c). */
    uint64_t stmt_nonce;         /* random, per pool: statement names of two
                                    processes (or pools) never meet */
    atomic_bool behind_pooler;   /* a connection pooler (PgBouncer) answers
                                    for the server: no named statements */
    atomic_uint_fast64_t shape_mismatches; /* results refused by eng_check */
    atomic_uint_fast64_t last_answer_ms;   /* eng__now() of the last round trip
                                              the server answered (eng_health) */
};

/* Moves c from its current list to the list of `to`, keeping pool->open in
 * step (FREE -> anything takes a slot, anything -> FREE gives it back).
 * The one place where a connection changes state; call with pool->mu held.
 * Aborts on a transition the state diagram above does not allow. (Named as
 * STYLE §6 names it, although it is private.) */
void eng_conn_set_state(eng_pool *p, eng_conn *c, eng_conn_state to);

/* ---- connection I/O (eng_conn.c); all called without the pool lock ----- */

/* A zeroed connection in state FREE, not yet on any list. */
eng_conn *eng__conn_new(eng_pool *p);
void eng__conn_free(eng_conn *c);
/* Opens c->pg. On failure c->pg stays NULL and err holds ERR_UNAVAILABLE
 * with SQLSTATE 08001. */
bool eng__conn_open(eng_conn *c, err_report *err);
/* PQfinish and forget prepared statements; c can be opened again. */
void eng__conn_close(eng_conn *c);
/* A cheap round trip; false (and the connection marked broken) when the
 * server does not answer. */
bool eng__conn_ping(eng_conn *c);
/* The ping without a round trip: false (and c->broken set) when an idle
 * connection's socket shows the server hung up or said goodbye. Catches
 * terminated backends and restarts, not a silent network path. */
bool eng__conn_looks_alive(eng_conn *c);

/* eng_wait.c: libpq's blocking calls with the pool's answer_timeout_ms
 * as a deadline on the answer. NULL on a timeout (c->timed_out, c marked
 * broken) or when nothing could be sent. Results as PQexec gives them. */
PGresult *eng__exec(eng_conn *c, const char *sql);
PGresult *eng__exec_params(eng_conn *c, const char *sql, int nparams, const char *const *values);
PGresult *eng__exec_prepared(eng_conn *c, const char *name, int nparams,
                             const char *const *values);
PGresult *eng__prepare(eng_conn *c, const char *name, const char *sql);
/* PQgetResult with the deadline (pipelines, COPY). */
PGresult *eng__next_result(eng_conn *c);
/* PQputCopyData (end false: n bytes of data) or PQputCopyEnd (end true:
 * data is the error message or NULL), waiting while libpq's buffer is
 * full, then flushed; false on an error or the deadline. */
bool eng__put_copy(eng_conn *c, const char *data, int n, bool end);
/* Records a connection-level failure: sets c->broken and, if the
 * connection is checked out, moves it to BROKEN (takes the pool lock). */
void eng__conn_mark_broken(eng_conn *c);
/* Can the connection serve another statement? Derived from its state
 * alone: libpq's status (a FATAL error or a lost socket leaves it bad once
 * the result was read), a stream the engine saw fall out of step
 * (broken: no answer in time, an incomplete pipeline, an abandoned COPY,
 * a failed ROLLBACK), or eng_conn_invalidate(). */
bool eng__conn_healthy(const eng_conn *c);
/* The same without eng_conn_invalidate(): is the session itself alive? */
bool eng__conn_alive(const eng_conn *c);
/* A round trip on c is over: if the connection survived it, the server
 * answered, so c is no longer unverified. Call after every round trip. */
void eng__conn_answered(eng_conn *c);

/* ---- execution helpers (eng_exec.c) ------------------------------------ */

/* False (err filled) when sql or c is NULL, c is broken or closed, or
 * nparams is out of the protocol's range. No I/O. */
bool eng__conn_usable(eng_conn *c, const char *sql, int nparams, err_report *err);
/* A COPY that arrived through the wrong door (a COPY result from
 * eng_exec*): COPY IN is refused with CopyFail and its error result read
 * up to the NULL that ends it, leaving the connection usable (the
 * statement failed); COPY OUT would need its data read, so the connection
 * is marked broken instead. */
void eng__abandon_copy(eng_conn *c, ExecStatusType st);
/* Turns a PQexec* result into an eng_result in a, or fills err and clears
 * res. sql is for the log. */
eng_result *eng__result_or_error(eng_conn *c, arena *a, PGresult *res, const char *sql,
                                 err_report *err);

enum { ENG_BEGIN_SQL_MAX = 64 };
/* What eng_begin sends, checked: the BEGIN [ISOLATION LEVEL x] statement
 * into begin_sql and, for a timeout > 0, "SET LOCAL statement_timeout = n"
 * into set_sql (else ""). False (err filled, nothing sent) for an unknown
 * isolation level, a negative timeout, an unusable connection or a
 * transaction already open. */
/* "SELECT set_config($1, $2, true), ..." for the connection's
 * transaction settings into buf, and the 2n parameter values into params
 * (capacity 2 * ENG_MAX_TX_SETTINGS); false when there are none. */
enum { ENG_MAX_TX_SETTINGS = 8 };
/* eng_begin_exec's pipeline; sql NULL sends only BEGIN and the settings
 * (eng_begin with transaction settings). */
eng_result *eng__begin_pipeline(eng_conn *c, arena *a, const char *isolation_level,
                                int statement_timeout_ms, bool prepared, const char *sql,
                                int nparams, const char *const *values, bool *began,
                                err_report *err);
bool eng__settings_statement(const eng_conn *c, char *buf, size_t size, const char **params);

bool eng__begin_statements(eng_conn *c, const char *isolation_level, int statement_timeout_ms,
                           char begin_sql[ENG_BEGIN_SQL_MAX], char set_sql[ENG_BEGIN_SQL_MAX],
                           err_report *err);
/* After BEGIN succeeded and what followed it in the same round trip
 * failed: do not leave the block open (ROLLBACK; on failure the connection
 * is marked broken). */
void eng__undo_begin(eng_conn *c);

/* ---- prepared statements (eng_prepared.c) ------------------------------ */

/* True when statements go through the named-statement cache (the pool's
 * prepared_statements on and statement_cache_size > 0). */
bool eng__use_named_statements(const eng_conn *c);
/* The next never-used server name for a statement on c:
 * "rs_<pool nonce>_<connection id>_<n>", unique across processes, pools and
 * connections, so that behind a pooler that moves sessions between server
 * connections a name can only ever mean the statement it was prepared for
 * (the server says 26000 instead of running another statement). */
void eng__stmt_next_name(eng_conn *c, char name[ENG_STMT_NAME_MAX]);
/* The server no longer has the statement (26000), or its cached plan no
 * longer fits (0A000 "cached plan must not change result type"). */
bool eng__stale_statement(const PGresult *res);

/* ---- result checking (eng_check.c) -------------------------------------- */

/* Checks the row description of res (a successful result of the named
 * statement e) against the statement's: the first result teaches it, later
 * ones must have the same column count, names and type OIDs. On a
 * mismatch: false, err = ERR_UNAVAILABLE (503, retryable), the connection
 * invalidated (checkin closes it), e forgotten by the cache and freed —
 * the rows are never handed to a decoder that expects another statement's
 * columns. */
bool eng__check_shape(eng_conn *c, eng__stmt *e, const PGresult *res, err_report *err);
/* Frees a learned shape (eng__stmt_free). */
void eng__shape_clear(eng__shape *s);

/* ---- connection poolers (eng_pooler.c) ----------------------------------- */

/* Run once per new connection: asks the server for its backend pid and
 * compares it with the one the connection handshake announced. A pooler
 * (PgBouncer) announces its own key, so they differ: the pool then stops
 * using named statements (logged once). Also records the real backend pid.
 * False only when the connection failed (then c is broken). */
bool eng__detect_pooler(eng_conn *c);
/* A random 64-bit nonce for statement names. */
uint64_t eng__random_nonce(void);

/* ---- errors (eng_errors.c) ---------------------------------------------- */

/* Fills err from a failed result (res may be NULL: then from the
 * connection's error message) and marks the connection broken on a
 * connection-level failure. Copies every string into err->arena before the
 * caller clears res. sql goes to the log (for 5xx), never into err. */
void eng__error_from_result(const eng_conn *c, const PGresult *res, const char *sql,
                            err_report *err);
/* True when the SQLSTATE (or the connection status) means the session is
 * gone: class 08, 57P0x, or FATAL/PANIC severity. */
bool eng__is_connection_error(const eng_conn *c, const PGresult *res);

/* ---- results (eng_result.c) ---------------------------------------------- */

/* Wraps res in an eng_result living in a; PQclear runs when a dies. Takes
 * over res. */
eng_result *eng__result_new(arena *a, PGresult *res);

/* ---- small helpers (eng_util.c) ------------------------------------------ */

double eng__now(void); /* CLOCK_MONOTONIC seconds */
void *eng__xmalloc(size_t n);
char *eng__xstrdup(const char *s);
/* libpq messages end with a newline and may span lines (one per host
 * tried, or an explanation indented by a tab); a report wants one line.
 * Lives in a; NULL when a is NULL; a literal for an empty message. */
const char *eng__one_line(arena *a, const char *msg);

#endif
