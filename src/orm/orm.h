/*
 * orm — retort's ORM layer. For now: the request-scoped session, the unit
 * every HTTP request works through (SQLAlchemy's Session with
 * Depends(get_db)). Mappers, the identity map, the unit of work and loader
 * strategies join it here.
 *
 * Lifetime: a session lives in the request's arena and is closed when that
 * arena is destroyed, whatever path the request took (success, error,
 * client gone): an open transaction is rolled back and the connection is
 * returned to the pool. Handlers still close it explicitly as soon as they
 * are done with the database, so the connection goes back before the
 * response is serialised and sent.
 *
 * The session checks a connection out lazily, at its first statement, and
 * begins the transaction then (isolation level and statement timeout from
 * the options). It commits or rolls back only when told to.
 *
 * Thread-safety: a session is used by one thread at a time.
 * Errors: bool/NULL returns with err_report last, as everywhere.
 */
#ifndef RETORT_ORM_H
#define RETORT_ORM_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "cfg.h"
#include "eng.h"
#include "sql.h"
#include "error.h"

typedef struct orm_session orm_session;

/* Core metadata (tables, keys, constraints, named relations) for the
 * configured models, frozen. Lives in a (the process arena). NULL with
 * ERR_CONFIG items when Core refuses something the config allowed. */
sql_metadata *orm_metadata_from_config(arena *a, const cfg_config *cfg, err_report *err);

/* metadata.create_all / drop_all: runs the DDL of every table, in
 * foreign-key order (reverse for drop), in one transaction on a pooled
 * connection. create is idempotent (IF NOT EXISTS). */
bool orm_schema_create_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err);
bool orm_schema_drop_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err);

typedef struct orm_session_options {
    eng_pool *pool;              /* borrowed; outlives every session */
    const char *isolation_level; /* NULL = server default */
    int statement_timeout_ms;    /* 0 = none */
    bool use_prepared;           /* run statements through the per-connection cache */
    sql_cache *cache;            /* compiled-statement cache; NULL = compile each time */
} orm_session_options;

/* Opens a session in a; nothing touches the database yet. Registers its
 * own close with arena_on_reset(a), so destroying the arena always
 * returns the connection. */
orm_session *orm_session_open(arena *a, const orm_session_options *opts);

/* The session's arena (the request's). */
arena *orm_session_arena(const orm_session *s);

/* Overrides the isolation level for the next transaction this session
 * begins (a transaction document's "isolation_level"). Fails with
 * ERR_BAD_REQUEST when a transaction is already open. */
bool orm_session_set_isolation(orm_session *s, const char *level, err_report *err);

/* The connection, checked out and inside a transaction (BEGIN sent) on
 * first use. Borrowed until the session closes. */
eng_conn *orm_session_connection(orm_session *s, err_report *err);

/* Runs one statement in the session's transaction and counts it as a
 * statement that reads or writes rows (X-Query-Count). The result lives in
 * the session's arena. A statement that fails leaves the transaction
 * failed: only rollback is possible afterwards. */
eng_result *orm_session_execute(orm_session *s, const char *sql, int nparams,
                                const char *const *values, err_report *err);

/* Compiles a Core statement (through the options' cache when there is
 * one) and runs it like orm_session_execute. */
eng_result *orm_session_execute_stmt(orm_session *s, const sql_node *stmt, err_report *err);

/* Commits the open transaction, if any. The connection stays checked out
 * until close so that the next statement starts a new transaction on it. */
bool orm_session_commit(orm_session *s, err_report *err);
/* Rolls back the open transaction, if any. Never fails the caller: a
 * rollback that cannot reach the database invalidates the connection. */
void orm_session_rollback(orm_session *s);

/* Rolls back whatever is open and returns the connection. Idempotent. */
void orm_session_close(orm_session *s);

bool orm_session_in_transaction(const orm_session *s);

/* Statistics for headers and metrics. */
typedef struct orm_session_stats {
    uint64_t statements;   /* SELECT/INSERT/UPDATE/DELETE/COPY executed */
    double pool_wait_ms;   /* time spent waiting for a connection */
    double db_ms;          /* time spent in statements, BEGIN and COMMIT */
    bool checked_out;      /* a connection was used */
} orm_session_stats;

void orm_session_get_stats(const orm_session *s, orm_session_stats *out /* OUT */);

/* Counts a statement run directly on the connection (e.g. COPY through
 * eng_copy_in) and adds its time. */
void orm_session_count_statement(orm_session *s, double ms);

#endif
