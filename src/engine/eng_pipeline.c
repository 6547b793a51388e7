/*
 * eng_pipeline — eng_begin_exec: BEGIN, SET LOCAL statement_timeout and a
 * transaction's first statement in one round trip, with libpq's pipeline
 * mode; eng_exec_commit (at the end): its last statement and COMMIT.
 *
 * What goes out, before a single Sync (extended protocol throughout):
 *   BEGIN [ISOLATION LEVEL x]             unnamed statement
 *   SET LOCAL statement_timeout = n       when n > 0
 *   Parse rs_…                            prepared, not yet in the cache
 *   the statement                         rs_…, or unnamed (a named
 *                                         one's result is checked by
 *                                         eng__check_shape)
 * The server runs them in order and skips everything after the first
 * error up to the Sync (PGRES_PIPELINE_ABORTED). So: BEGIN failing means
 * nothing ran; SET failing means the statement did not run, and the block
 * is rolled back as eng_begin does; a failed Parse or statement leaves the
 * transaction failed, exactly as eng_exec* after eng_begin would. The
 * server disarms statement_timeout after every Execute and arms it again
 * at the next message, so SET LOCAL applies to the statement as it did
 * when the two went in separate round trips.
 *
 * The connection is in non-blocking mode: what the socket does not take
 * at once is flushed by eng_wait.c while it reads the server's replies,
 * so large parameters never deadlock with them, and the whole exchange is
 * bounded by answer_timeout_ms.
 */
#include "eng_int.h"

#include <stdio.h>
#include <string.h>

enum { Q_BEGIN, Q_SET, Q_SETTINGS, Q_PARSE, Q_STMT, Q_COMMIT, Q_N };

typedef struct pipeline {
    bool queued[Q_N];
    PGresult *res[Q_N]; /* one result per queued query, in order; NULL if never read */
} pipeline;

static bool is_copy(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
}

/* Reads each queued query's result and its terminating NULL, then the
 * Sync's PGRES_PIPELINE_SYNC. False when the connection broke or libpq
 * lost track of the pipeline (a result missing, an unexpected one): the
 * results not read stay NULL. */
static bool read_results(eng_conn *c, pipeline *pl)
{
    for (int q = 0; q < Q_N; q++) {
        if (!pl->queued[q])
            continue;
        PGresult *r = eng__next_result(c);
        if (!r)
            return false;
        pl->res[q] = r;
        if (is_copy(r)) {
            /* Refused as eng_exec refuses it (COPY IN: CopyFail, the
             * statement fails; its results are read up to their NULL). */
            eng__abandon_copy(c, PQresultStatus(r));
            if (c->broken)
                return false;
            continue;
        }
        /* One result per query here (no multi-statement strings in the
         * extended protocol), then NULL. Anything else: do not trust it. */
        PGresult *extra = eng__next_result(c);
        if (extra) {
            PQclear(extra);
            return false;
        }
        if (PQstatus(c->pg) != CONNECTION_OK)
            return false;
    }
    PGresult *sync = eng__next_result(c);
    bool ok = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    return ok;
}

static bool answered_ok(const pipeline *pl, int q)
{
    if (!pl->queued[q])
        return true;
    ExecStatusType st = pl->res[q] ? PQresultStatus(pl->res[q]) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || (q == Q_SETTINGS && st == PGRES_TUPLES_OK);
}

/* The statement cache, as eng_exec_prepared uses it inside a
 * transaction: no trimming (a failing DEALLOCATE would abort it). When
 * named: sql's entry (touched) and its server name in name, or NULL and
 * a new name for a statement not prepared yet. */
static eng__stmt *cached_statement(eng_conn *c, const char *sql, bool named,
                                   char name[ENG_STMT_NAME_MAX])
{
    eng__stmt *e = named ? eng__stmt_cache_find(&c->stmts, sql) : NULL;
    if (e) {
        eng__stmt_cache_touch(&c->stmts, e);
        memcpy(name, e->name, ENG_STMT_NAME_MAX);
    } else if (named) {
        eng__stmt_next_name(c, name);
    }
    return e;
}

/* Queues the statement: its Parse first when named and not cached (no
 * parameter types: the server infers them, as for eng_exec). */
static bool send_statement(eng_conn *c, pipeline *pl, bool named, const eng__stmt *e,
                           const char *name, const char *sql, int nparams,
                           const char *const *values)
{
    PGconn *pg = c->pg;
    if (named && !e) {
        c->prepare_count++;
        if (!(pl->queued[Q_PARSE] = PQsendPrepare(pg, name, sql, 0, NULL)))
            return false;
    }
    return pl->queued[Q_STMT] =
               named ? PQsendQueryPrepared(pg, name, nparams, values, NULL, NULL, 0)
                     : PQsendQueryParams(pg, sql, nparams, NULL, values, NULL, NULL, 0);
}

bool eng__settings_statement(const eng_conn *c, char *buf, size_t size, const char **params)
{
    int n = c->n_tx_settings < ENG_MAX_TX_SETTINGS ? c->n_tx_settings : ENG_MAX_TX_SETTINGS;
    if (n <= 0)
        return false;
    size_t len = (size_t) snprintf(buf, size, "SELECT ");
    for (int i = 0; i < n && len < size; i++) {
        len += (size_t) snprintf(buf + len, size - len, "%sset_config($%d, $%d, true)",
                                 i ? ", " : "", 2 * i + 1, 2 * i + 2);
        params[2 * i] = c->tx_names[i];
        params[2 * i + 1] = c->tx_values[i];
    }
    return true;
}

void eng_conn_set_tx_settings(eng_conn *c, const char *const *names, const char *const *values,
                              int n)
{
    c->tx_names = names;
    c->tx_values = values;
    c->n_tx_settings = n < ENG_MAX_TX_SETTINGS ? n : ENG_MAX_TX_SETTINGS;
}

eng_result *eng_begin_exec(eng_conn *c, arena *a, const char *isolation_level,
                           int statement_timeout_ms, bool prepared, const char *sql, int nparams,
                           const char *const *values, bool *began, err_report *err)
{
    if (!sql) {
        if (began)
            *began = false;
        eng__conn_usable(c, NULL, nparams, err); /* records the refusal */
        return NULL;
    }
    return eng__begin_pipeline(c, a, isolation_level, statement_timeout_ms, prepared, sql,
                               nparams, values, began, err);
}

/* The statement's answer in a pipeline whose BEGIN (if any) went well:
 * its Parse (a new cache entry), a COPY refused, a stale cached statement
 * forgotten (inside a transaction there is no retry, as in
 * eng_exec_prepared: an orphan on the server until the session ends), the
 * row description checked, then the result or the error. */
static eng_result *statement_result(eng_conn *c, pipeline *pl, arena *a, const char *sql,
                                    const char *name, eng__stmt *e, err_report *err)
{
    if (!answered_ok(pl, Q_PARSE)) {
        eng__error_from_result(c, pl->res[Q_PARSE], sql, err);
        return NULL;
    }
    if (pl->queued[Q_PARSE])
        e = eng__stmt_cache_add(&c->stmts, sql, name);
    PGresult *res = pl->res[Q_STMT];
    pl->res[Q_STMT] = NULL; /* eng__result_or_error takes it over */
    if (res && is_copy(res)) {
        PQclear(res); /* abandoned in read_results */
        err_set(err, ERR_INTERNAL, "COPY statements go through eng_copy_in.");
        return NULL;
    }
    if (e && eng__stale_statement(res)) {
        eng__stmt_cache_remove(&c->stmts, e);
        eng__stmt_free(e);
        e = NULL;
    }
    if (e && !eng__check_shape(c, e, res, err)) {
        PQclear(res);
        return NULL;
    }
    return eng__result_or_error(c, a, res, sql, err);
}

eng_result *eng__begin_pipeline(eng_conn *c, arena *a, const char *isolation_level,
                                int statement_timeout_ms, bool prepared, const char *sql,
                                int nparams, const char *const *values, bool *began,
                                err_report *err)
{
    if (began)
        *began = false;
    char begin_sql[ENG_BEGIN_SQL_MAX], set_sql[ENG_BEGIN_SQL_MAX];
    if (!eng__begin_statements(c, isolation_level, statement_timeout_ms, begin_sql, set_sql, err))
        return NULL;
    if (!eng__conn_usable(c, sql ? sql : begin_sql, sql ? nparams : 0, err))
        return NULL;
    char settings_sql[64 + 40 * ENG_MAX_TX_SETTINGS];
    const char *settings[2 * ENG_MAX_TX_SETTINGS];
    bool has_settings = eng__settings_statement(c, settings_sql, sizeof settings_sql, settings);

    bool named = sql && prepared && eng__use_named_statements(c);
    char name[ENG_STMT_NAME_MAX] = "";
    eng__stmt *e = cached_statement(c, sql, named, name);

    pipeline pl;
    memset(&pl, 0, sizeof pl);
    PGconn *pg = c->pg;
    bool sent = PQenterPipelineMode(pg) == 1;
    if (sent)
        sent = pl.queued[Q_BEGIN] = PQsendQueryParams(pg, begin_sql, 0, NULL, NULL, NULL, NULL, 0);
    if (sent && set_sql[0])
        sent = pl.queued[Q_SET] = PQsendQueryParams(pg, set_sql, 0, NULL, NULL, NULL, NULL, 0);
    if (sent && has_settings)
        sent = pl.queued[Q_SETTINGS] = PQsendQueryParams(pg, settings_sql, 2 * c->n_tx_settings,
                                                         NULL, settings, NULL, NULL, 0);
    if (sent && sql)
        sent = send_statement(c, &pl, named, e, name, sql, nparams, values);
    if (sent)
        sent = PQpipelineSync(pg) == 1;

    bool complete = sent && read_results(c, &pl);
    /* Out of pipeline mode before anything else is sent (ROLLBACK below).
     * That fails only with results still pending: the connection is then
     * in an unknown state and is given up. */
    if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF && PQexitPipelineMode(pg) != 1)
        complete = false;

    eng_result *out = NULL;
    if (!answered_ok(&pl, Q_BEGIN) || !answered_ok(&pl, Q_SET) ||
        !answered_ok(&pl, Q_SETTINGS)) {
        /* The transaction did not start (or a setting failed): report the
         * first failure, no result of the statement exists. A missing
         * result is a lost connection (eng__error_from_result with NULL). */
        int q = !answered_ok(&pl, Q_BEGIN) ? Q_BEGIN : !answered_ok(&pl, Q_SET) ? Q_SET : Q_SETTINGS;
        if (pl.res[q] && is_copy(pl.res[q]))
            err_set(err, ERR_INTERNAL, "COPY statements go through eng_copy_in.");
        else
            eng__error_from_result(c, pl.res[q],
                                   q == Q_BEGIN ? begin_sql
                                   : q == Q_SET ? set_sql
                                                : settings_sql,
                                   err);
        if (!complete)
            eng__conn_mark_broken(c);
        else
            eng__undo_begin(c);
        goto done;
    }
    if (began)
        *began = true;
    c->unverified = false; /* BEGIN was answered: the connection was alive */
    if (!sql)
        goto done; /* eng_begin: nothing more was sent */

    out = statement_result(c, &pl, a, sql, name, e, err);
    if (!complete) {
        /* Answered, but the pipeline did not end cleanly (lost Sync, a
         * result too many): the connection cannot be trusted any more. The
         * statement's work dies with the transaction. */
        eng__conn_mark_broken(c);
    }

done:
    for (int q = 0; q < Q_N; q++)
        PQclear(pl.res[q]);
    eng__conn_answered(c);
    return out;
}

/* ------------------------------------------------------------------------
 * eng_exec_commit: a transaction's last statement and its COMMIT in one
 * round trip.
 *
 *   Parse rs_…       prepared, not yet in the cache
 *   the statement    rs_…, or unnamed
 *   COMMIT
 *   Sync
 *
 * The server skips everything after a failed statement up to the Sync, so
 * a failed statement never commits: the transaction is left failed, as
 * after eng_exec*, for the caller's rollback. A COMMIT that fails (a
 * deferred constraint, a serialization failure) has ended the
 * transaction. Only for a statement whose answer decides nothing: the
 * COMMIT has run before anyone reads it.
 * ------------------------------------------------------------------------ */

eng_result *eng_exec_commit(eng_conn *c, arena *a, bool prepared, const char *sql, int nparams,
                            const char *const *values, bool *committed, err_report *err)
{
    *committed = false;
    if (!eng__conn_usable(c, sql, nparams, err))
        return NULL;
    if (PQtransactionStatus(c->pg) != PQTRANS_INTRANS) {
        err_set(err, ERR_INTERNAL, "A statement sent with COMMIT needs an open transaction.");
        return NULL;
    }
    bool named = prepared && eng__use_named_statements(c);
    char name[ENG_STMT_NAME_MAX] = "";
    eng__stmt *e = cached_statement(c, sql, named, name);

    pipeline pl;
    memset(&pl, 0, sizeof pl);
    PGconn *pg = c->pg;
    bool sent = PQenterPipelineMode(pg) == 1;
    if (sent)
        sent = send_statement(c, &pl, named, e, name, sql, nparams, values);
    if (sent)
        sent = pl.queued[Q_COMMIT] = PQsendQueryParams(pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
    if (sent)
        sent = PQpipelineSync(pg) == 1;

    bool complete = sent && read_results(c, &pl);
    if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF && PQexitPipelineMode(pg) != 1)
        complete = false;

    eng_result *out = statement_result(c, &pl, a, sql, name, e, err);
    if (out) {
        PGresult *cr = pl.res[Q_COMMIT];
        if (cr && PQresultStatus(cr) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(cr), "COMMIT") == 0) {
            *committed = true;
        } else {
            if (cr && PQresultStatus(cr) == PGRES_COMMAND_OK)
                err_set_sqlstate(err, "25P02",
                                 "the transaction was rolled back because a statement in it "
                                 "failed");
            else
                eng__error_from_result(c, cr, "COMMIT", err);
            out = NULL;
        }
    }

    if (!complete)
        eng__conn_mark_broken(c);
    for (int q = 0; q < Q_N; q++)
        PQclear(pl.res[q]);
    eng__conn_answered(c);
    return out;
}
