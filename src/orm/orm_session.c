/*
 * orm_session — the request-scoped session: lazy checkout and BEGIN,
 * statement counting (X-Query-Count), commit and rollback, and what they
 * do to the instances of the unit of work (orm_flush.c writes them).
 *
 * Instance states across the transaction's end:
 *   commit:   flush first; then, with expire_on_commit, every persistent
 *             instance is expired (the next orm_session_get or
 *             orm_session_refresh reloads it with one SELECT); instances
 *             whose DELETE ran become detached.
 *   rollback: pending instances and those inserted in the transaction
 *             become transient (identity and server-filled values gone,
 *             what the caller set kept); deleted ones are persistent
 *             again; modified or updated ones are expired.
 *   close:    the transaction is rolled back, the instances are detached
 *             but keep their values, so DTOs can still be written from
 *             them after the connection went back to the pool.
 */
#include "orm_int.h"

#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void close_on_reset(void *arg)
{
    orm_session_close(arg);
}

orm_session *orm_session_open(arena *a, const orm_session_options *opts)
{
    orm_session *s = ARENA_NEW(a, orm_session);
    s->arena = a;
    s->opts = *opts;
    arena_on_reset(a, close_on_reset, s);
    return s;
}

arena *orm_session_arena(const orm_session *s)
{
    return s->arena;
}

bool orm_session_set_isolation(orm_session *s, const char *level, err_report *err)
{
    if (s->in_tx) {
        err_set(err, ERR_BAD_REQUEST,
                "The isolation level cannot change inside an open transaction.");
        return false;
    }
    s->opts.isolation_level = level ? arena_strdup(s->arena, level) : NULL;
    return true;
}

/* ==== which statements need BEGIN ==========================================
 *
 * A transaction is opened only when one is needed, so that the database
 * receives what the request's work is and nothing more:
 *
 *   - at READ COMMITTED, with no SET LOCAL to send (statement_timeout set
 *     per connection by the pool), reads run on their own: every
 *     statement takes its own snapshot at that level anyway, and a read
 *     changes nothing that COMMIT or ROLLBACK would have to settle;
 *   - the first write opens the transaction, BEGIN pipelined with it (one
 *     round trip), unless it is the last statement before COMMIT and none
 *     is open (flush inside orm_session_commit: final_write): then it goes
 *     alone, an implicit transaction of one statement;
 *   - REPEATABLE READ and SERIALIZABLE (one snapshot for the whole
 *     request), a server-default level, a SET LOCAL (statement_timeout
 *     for a transaction pooler), orm_session_connection and raw SQL
 *     (orm_session_execute: it may write) always open the transaction at
 *     the first statement, pipelined with it.
 *
 * So a one-row GET is one statement, a create is one INSERT … RETURNING,
 * a PATCH is its SELECT and its UPDATE, a transaction document at
 * SERIALIZABLE is BEGIN … COMMIT. Commit and rollback settle only what was
 * opened; SPEC's session semantics stay: the work commits or rolls back
 * explicitly and the connection always goes back.
 *
 * Round trips and the optimistic pre-ping: with pool_pre_ping the
 * connection is checked out unpinged (the pool looks at its socket
 * first, which catches terminated backends) and its first round trip is
 * the ping. If that round trip finds the connection dead before anything
 * of the request can have taken effect — BEGIN not answered, or a
 * statement that only reads — the connection is given back (checkin
 * closes it: invalidated, pings_failed) and the round trip is replayed
 * once on a connection checked out the usual way, pre-ping included. A
 * write sent alone is never replayed: it may have committed.
 */

static bool is_read_committed(const char *level)
{
    if (!level)
        return false; /* the server's default could be anything */
    const char *want = "read committed";
    for (; *level && *want; level++, want++) {
        char ch = *level == '_' ? ' ' : *level;
        if ((ch | 0x20) != *want)
            return false;
    }
    return !*level && !*want;
}

/* The SET LOCAL statement_timeout a transaction needs: none when the pool
 * already set this timeout on its connections (asked after the checkout,
 * when a pooler would have been detected). */
static int set_local_ms(const orm_session *s)
{
    int want = s->opts.statement_timeout_ms;
    return want > 0 && eng_pool_statement_timeout_ms(s->opts.pool) == want ? 0 : want;
}

/* Transaction-local settings (role, claims, tenant) exist only inside a
 * transaction, so a session with any always begins one. */
static bool reads_without_transaction(const orm_session *s)
{
    return s->opts.n_tx_settings == 0 && set_local_ms(s) == 0 &&
           is_read_committed(s->opts.isolation_level);
}

/* A plain SELECT: no row locks (they would end with its implicit
 * transaction), no raw text that could write. */
static bool is_plain_read(const sql_node *stmt)
{
    return stmt->kind == SQL_SELECT && ((const sql_select *) stmt)->lock == SQL_LOCK_NONE;
}

/* A connection from the session's pool, waiting no longer than the
 * request's checkout deadline when it has one. */
static eng_conn *take(orm_session *s, bool optimistic, double t0_ms, err_report *err)
{
    if (s->opts.checkout_deadline > 0)
        return eng_pool_checkout_within(s->opts.pool, s->opts.checkout_deadline - t0_ms / 1e3,
                                        !optimistic, err);
    return optimistic ? eng_pool_checkout_unpinged(s->opts.pool, err)
                      : eng_pool_checkout(s->opts.pool, err);
}

static bool checkout(orm_session *s, bool optimistic, err_report *err)
{
    double t0 = now_ms();
    err_report scratch;
    err_report *e = err;
    if (s->opts.fallback_pool && err) {
        err_init(&scratch, err->arena);
        e = &scratch; /* a replica's failure is not the request's */
    }
    s->conn = take(s, optimistic, t0, e);
    if (!s->conn && s->opts.fallback_pool) {
        /* The read replica cannot give a live connection and nothing ran
         * yet: the primary serves the read. */
        s->opts.pool = s->opts.fallback_pool;
        s->opts.fallback_pool = NULL;
        s->conn = take(s, optimistic, t0, err);
    }
    s->stats.pool_wait_ms += now_ms() - t0;
    if (!s->conn)
        return false;
    s->stats.checked_out = true;
    if (s->opts.n_tx_settings > 0)
        eng_conn_set_tx_settings(s->conn, s->opts.tx_setting_names, s->opts.tx_setting_values,
                                 s->opts.n_tx_settings);
    return true;
}

static bool have_connection(orm_session *s, err_report *err)
{
    if (s->closed) {
        err_set(err, ERR_INTERNAL, "The session is closed.");
        return false;
    }
    return s->conn || checkout(s, true, err);
}

/* After a failed attempt: was the connection dead in the pool? Only if it
 * was handed out unverified, nothing that could have taken effect was
 * answered (harmless: BEGIN not answered, or a read) and the connection is
 * broken now. Then the attempt is replayed on another connection. */
static bool dead_in_pool(const orm_session *s, bool was_unverified, bool harmless)
{
    /* Still unverified: a server that did not answer in time (frozen)
     * clears it, and is not worth a replay. */
    return was_unverified && harmless && eng_conn_is_broken(s->conn) &&
           eng_conn_is_unverified(s->conn);
}

/* Gives the dead connection back (checkin closes it: invalidated++,
 * pings_failed++) and checks another out, pre-ping included. */
static bool replace_connection(orm_session *s, err_report *err)
{
    eng_pool_checkin(s->opts.pool, s->conn);
    s->conn = NULL;
    return checkout(s, false, err);
}

/* While the connection is unverified, an attempt reports into a scratch
 * report (same arena), so that the failure of a connection that is then
 * replaced never reaches err. */
static err_report *attempt_report(const orm_session *s, err_report *scratch, err_report *err)
{
    if (!err || !eng_conn_is_unverified(s->conn))
        return err;
    err_init(scratch, err->arena);
    return scratch;
}

static void report(err_report *err, const err_report *attempt)
{
    if (attempt != err && !err_is_set(err))
        err_copy(err, attempt);
}

eng_conn *orm_session_connection(orm_session *s, err_report *err)
{
    if (!have_connection(s, err))
        return NULL;
    while (!s->in_tx) {
        bool unverified = eng_conn_is_unverified(s->conn);
        err_report scratch;
        err_report *e = attempt_report(s, &scratch, err);
        double t0 = now_ms();
        bool ok = eng_begin(s->conn, s->opts.isolation_level, set_local_ms(s), e);
        s->stats.db_ms += now_ms() - t0;
        if (ok) {
            s->in_tx = true;
            break;
        }
        if (!dead_in_pool(s, unverified, true)) {
            report(err, e);
            return NULL;
        }
        if (!replace_connection(s, err))
            return NULL;
    }
    return s->conn;
}

static eng_result *exec_one(orm_session *s, const char *sql, int nparams,
                            const char *const *values, err_report *err)
{
    double t0 = now_ms();
    eng_result *r = s->opts.use_prepared
                        ? eng_exec_prepared(s->conn, s->arena, sql, nparams, values, err)
                        : eng_exec(s->conn, s->arena, sql, nparams, values, err);
    s->stats.db_ms += now_ms() - t0;
    return r;
}

/* A statement with no transaction around it: a read, or the request's
 * only write. Counted once the server can have run it. */
static eng_result *execute_alone(orm_session *s, const char *sql, int nparams,
                                 const char *const *values, bool read, err_report *err)
{
    for (;;) {
        bool unverified = eng_conn_is_unverified(s->conn);
        err_report scratch;
        err_report *e = attempt_report(s, &scratch, err);
        eng_result *r = exec_one(s, sql, nparams, values, e);
        if (r || !dead_in_pool(s, unverified, read)) {
            s->stats.statements++;
            if (!r)
                report(err, e);
            return r;
        }
        if (!replace_connection(s, err))
            return NULL;
    }
}

/* The transaction's first statement: BEGIN (+ SET LOCAL) and the
 * statement in one round trip. It counts as a statement once BEGIN was
 * answered, as when BEGIN went first on its own. */
static eng_result *begin_and_execute(orm_session *s, const char *sql, int nparams,
                                     const char *const *values, err_report *err)
{
    for (;;) {
        bool unverified = eng_conn_is_unverified(s->conn);
        err_report scratch;
        err_report *e = attempt_report(s, &scratch, err);
        bool began = false;
        double t0 = now_ms();
        eng_result *r = eng_begin_exec(s->conn, s->arena, s->opts.isolation_level,
                                       set_local_ms(s), s->opts.use_prepared, sql, nparams,
                                       values, &began, e);
        s->stats.db_ms += now_ms() - t0;
        if (began) {
            s->in_tx = true;
            s->stats.statements++;
        }
        if (r)
            return r;
        if (!dead_in_pool(s, unverified, !began)) {
            report(err, e);
            return NULL;
        }
        if (!replace_connection(s, err))
            return NULL;
    }
}

static eng_result *execute(orm_session *s, const char *sql, int nparams,
                           const char *const *values, bool read, err_report *err)
{
    bool final_write = !read && s->final_write;
    if (!read && s->sealed) {
        /* The final write may have committed on its own already. */
        err_set(err, ERR_INTERNAL, "A write after the session's last one.");
        return NULL;
    }
    if (!read) {
        s->final_write = false;
        s->sealed = s->seal_after_write;
        s->seal_after_write = false;
    }
    if (!have_connection(s, err))
        return NULL;
    if (s->opts.sql_comment && sql) {
        /* A per-request text would make every statement a new one for the
         * prepared-statement cache: traced statements run unnamed. */
        sql = arena_sprintf(s->arena, "/* %s */ %s", s->opts.sql_comment, sql);
        s->opts.use_prepared = false;
    }
    if (s->in_tx) {
        eng_result *r = exec_one(s, sql, nparams, values, err);
        s->stats.statements++;
        return r;
    }
    /* A row filter checks written rows after the statement and undoes a
     * refused one by rolling back: such a write needs its transaction. */
    if (reads_without_transaction(s) && (read || (final_write && !s->opts.row_filter)))
        return execute_alone(s, sql, nparams, values, read, err);
    return begin_and_execute(s, sql, nparams, values, err);
}

eng_result *orm_session_execute(orm_session *s, const char *sql, int nparams,
                                const char *const *values, err_report *err)
{
    return execute(s, sql, nparams, values, false, err);
}

eng_result *orm_session_execute_stmt(orm_session *s, const sql_node *stmt, err_report *err)
{
    /* Statements are built in the session's arena for this session; the
     * row filter rewrites them there before they are compiled. */
    bool check_row_ok = false;
    if (!orm__apply_row_filters(s, (sql_node *) stmt, &check_row_ok, err))
        return NULL;
    sql_compiled c;
    bool ok = s->opts.cache ? sql_cache_compile(s->opts.cache, stmt, s->arena, &c, err)
                            : sql_compile(stmt, s->arena, &c, err);
    if (!ok)
        return NULL;
    eng_result *r = execute(s, c.sql, (int) c.n_params, c.params, is_plain_read(stmt), err);
    if (r && check_row_ok && !orm__check_row_ok(r, err))
        return NULL;
    return r;
}

void orm_session_count_statement(orm_session *s, double ms)
{
    s->stats.statements++;
    s->stats.db_ms += ms;
}

/* ==== transaction end: what happens to the instances ===================== */

static void after_commit(orm_session *s)
{
    for (size_t i = 0; i < s->tx_touched.n; i++) {
        orm_entity *e = s->tx_touched.items[i];
        e->in_touched = false;
        e->tx_inserted = e->tx_updated = false;
        if (e->state == ORM_DELETED && e->delete_flushed)
            e->state = ORM_DETACHED;
    }
    s->tx_touched.n = 0;
    if (!s->opts.expire_on_commit)
        return;
    for (size_t i = 0; i < s->all.n; i++) {
        orm_entity *e = s->all.items[i];
        if (e->state == ORM_PERSISTENT)
            orm__entity_expire(e);
    }
}

/* An instance whose INSERT is undone: transient, no key, only what the
 * caller set. */
static void make_transient(orm_session *s, orm_entity *e)
{
    orm__identity_remove(s, e);
    e->identity = NULL;
    e->state = ORM_TRANSIENT;
    e->tx_inserted = e->tx_updated = e->delete_flushed = false;
    for (size_t i = 0; i < e->mapper->n_columns; i++) {
        if (e->flags[i] & ORM_COL_USER) {
            e->flags[i] = ORM_COL_LOADED | ORM_COL_CHANGED | ORM_COL_USER;
        } else {
            e->flags[i] = 0;
            e->values[i] = NULL;
        }
        e->orig[i] = NULL;
    }
    for (size_t k = 0; k < e->mapper->n_relationships; k++) {
        e->rels[k].state = ORM_REL_UNLOADED;
        e->rels[k].items.n = 0;
    }
}

static void undo_states(orm_session *s)
{
    for (size_t i = 0; i < s->added.n; i++) {
        orm_entity *e = s->added.items[i];
        if (e->in_added && e->state == ORM_PENDING)
            e->state = ORM_TRANSIENT;
        e->in_added = false;
    }
    for (size_t i = 0; i < s->tx_touched.n; i++) {
        orm_entity *e = s->tx_touched.items[i];
        e->in_touched = false;
        if (e->tx_inserted) {
            make_transient(s, e);
            continue;
        }
        if (e->delete_flushed) {
            e->delete_flushed = false;
            e->state = ORM_PERSISTENT;
            orm__identity_put(s, e, e->identity);
        }
        if (e->tx_updated)
            orm__entity_expire(e);
        e->tx_updated = false;
    }
    for (size_t i = 0; i < s->deleted.n; i++) {
        orm_entity *e = s->deleted.items[i];
        if (e->in_deleted && e->state == ORM_DELETED)
            e->state = ORM_PERSISTENT;
        e->in_deleted = false;
    }
    for (size_t i = 0; i < s->dirty.n; i++) {
        orm_entity *e = s->dirty.items[i];
        if (e->in_dirty && e->state == ORM_PERSISTENT)
            orm__entity_expire(e);
        e->in_dirty = false;
    }
    s->added.n = s->tx_touched.n = s->deleted.n = s->dirty.n = 0;
}

void orm_session_last_write_next(orm_session *s)
{
    s->final_write = true;
    s->seal_after_write = true;
}

bool orm__session_take_last_write(orm_session *s)
{
    bool announced = s->seal_after_write;
    s->final_write = s->seal_after_write = false;
    return announced;
}

bool orm_session_flush_final(orm_session *s, err_report *err)
{
    s->committing = true;
    bool flushed = orm_session_flush(s, err);
    s->committing = false;
    s->final_write = false;
    s->sealed = true;
    return flushed;
}

bool orm_session_commit(orm_session *s, err_report *err)
{
    bool flushed = orm_session_flush_final(s, err);
    s->sealed = s->seal_after_write = false;
    if (!flushed)
        return false; /* the transaction failed: only rollback is left */
    if (s->in_tx) {
        double t0 = now_ms();
        bool ok = eng_commit(s->conn, err);
        s->stats.db_ms += now_ms() - t0;
        s->in_tx = false;
        if (!ok) {
            /* A failed COMMIT rolled the transaction back. */
            undo_states(s);
            return false;
        }
    }
    after_commit(s);
    return true;
}

static void rollback_db(orm_session *s)
{
    if (!s->in_tx)
        return;
    err_report ignored;
    err_init(&ignored, NULL);
    double t0 = now_ms();
    if (!eng_rollback(s->conn, &ignored))
        eng_conn_invalidate(s->conn);
    s->stats.db_ms += now_ms() - t0;
    s->in_tx = false;
}

void orm_session_rollback(orm_session *s)
{
    s->sealed = s->seal_after_write = s->final_write = false;
    rollback_db(s);
    undo_states(s);
}

void orm_session_close(orm_session *s)
{
    if (s->closed)
        return;
    rollback_db(s);
    /* Detach without expiring: DTOs are written after close. */
    for (size_t i = 0; i < s->all.n; i++) {
        orm_entity *e = s->all.items[i];
        if (e->state == ORM_PERSISTENT || e->state == ORM_DELETED)
            e->state = ORM_DETACHED;
    }
    for (size_t i = 0; i < s->added.n; i++) {
        orm_entity *e = s->added.items[i];
        if (e->state == ORM_PENDING)
            e->state = ORM_TRANSIENT;
    }
    s->added.n = s->tx_touched.n = s->deleted.n = s->dirty.n = 0;
    if (s->conn) {
        eng_pool_checkin(s->opts.pool, s->conn);
        s->conn = NULL;
    }
    s->closed = true;
}

bool orm_session_finish(orm_session *s, bool commit, err_report *err)
{
    if (s->closed)
        return commit;
    bool committed = commit && orm_session_commit(s, err);
    if (!committed)
        orm_session_rollback(s);
    orm_session_close(s);
    return committed;
}

bool orm_session_in_transaction(const orm_session *s)
{
    return s->in_tx;
}

void orm_session_get_stats(const orm_session *s, orm_session_stats *out)
{
    *out = s->stats;
}
