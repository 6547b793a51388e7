/*
 * eng_exec — running statements on a checked-out connection: parameterised
 * statements, utility commands, transaction control and COPY FROM STDIN.
 * Prepared statements live in eng_prepared.c.
 *
 * Everything here is synchronous libpq (blocking mode), every answer awaited
 * with a deadline (eng_wait.c). A failure
 * is copied into err before its PGresult is cleared; a connection-level
 * failure also marks the connection broken so checkin closes it.
 */
#include "eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isolation.h"
#include "log.h"

enum { ENG_MAX_PARAMS = 65535 }; /* the protocol's Int16 parameter count */

/* ------------------------------------------------------------------------
 * Shared by eng_exec.c and eng_prepared.c
 * ------------------------------------------------------------------------ */

bool eng__conn_usable(eng_conn *c, const char *sql, int nparams, err_report *err)
{
    if (!sql) {
        err_set(err, ERR_INTERNAL, "No statement was given.");
        return false;
    }
    if (!c || !eng__conn_alive(c)) {
        /* 08003: connection does not exist. No I/O on a dead session. */
        err_set_sqlstate(err, "08003", "the database connection was lost earlier");
        return false;
    }
    if (nparams < 0 || nparams > ENG_MAX_PARAMS) {
        err_set(err, ERR_INTERNAL, "A statement may have at most %d parameters.", ENG_MAX_PARAMS);
        return false;
    }
    return true;
}

/* A COPY that arrived through the wrong door: end it so the connection
 * stays in a known state. COPY IN can be refused; COPY OUT would need its
 * data read, so the connection is given up instead. */
void eng__abandon_copy(eng_conn *c, ExecStatusType st)
{
    if (st == PGRES_COPY_IN &&
        eng__put_copy(c, "COPY FROM STDIN goes through eng_copy_in", 0, true)) {
        PGresult *r;
        while ((r = eng__next_result(c)) != NULL)
            PQclear(r);
        return;
    }
    eng__conn_mark_broken(c);
}

eng_result *eng__result_or_error(eng_conn *c, arena *a, PGresult *res, const char *sql,
                                 err_report *err)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    switch (st) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        return eng__result_new(a, res);
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
        PQclear(res);
        eng__abandon_copy(c, st);
        err_set(err, ERR_INTERNAL, "COPY statements go through eng_copy_in.");
        return NULL;
    default:
        eng__error_from_result(c, res, sql, err);
        PQclear(res);
        return NULL;
    }
}

/* ------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------ */

eng_result *eng_exec(eng_conn *c, arena *a, const char *sql, int nparams, const char *const *values,
                     err_report *err)
{
    if (!eng__conn_usable(c, sql, nparams, err))
        return NULL;
    /* Unnamed statement, extended protocol: parameters travel apart from
     * the SQL, as text; results come back as text. */
    PGresult *res = eng__exec_params(c, sql, nparams, values);
    eng_result *r = eng__result_or_error(c, a, res, sql, err);
    eng__conn_answered(c);
    return r;
}

/* Simple-protocol run of a statement whose result nobody reads. */
static bool run_command(eng_conn *c, const char *sql, PGresult **keep /* OUT, may be NULL */,
                        err_report *err)
{
    if (!eng__conn_usable(c, sql, 0, err))
        return false;
    PGresult *res = eng__exec(c, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        eng__conn_answered(c);
        if (keep)
            *keep = res;
        else
            PQclear(res);
        return true;
    }
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
        PQclear(res);
        eng__abandon_copy(c, st);
        eng__conn_answered(c);
        err_set(err, ERR_INTERNAL, "COPY statements go through eng_copy_in.");
        return false;
    }
    eng__error_from_result(c, res, sql, err);
    PQclear(res);
    eng__conn_answered(c);
    return false;
}

bool eng_exec_command(eng_conn *c, const char *sql, err_report *err)
{
    return run_command(c, sql, NULL, err);
}

/* ------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------ */

bool eng__begin_statements(eng_conn *c, const char *isolation_level, int statement_timeout_ms,
                           char begin_sql[ENG_BEGIN_SQL_MAX], char set_sql[ENG_BEGIN_SQL_MAX],
                           err_report *err)
{
    const char *level = NULL;
    if (isolation_level && *isolation_level) {
        level = isolation_level_parse(isolation_level);
        if (!level) {
            bool first = err && !err_is_set(err);
            err_set(err, ERR_BAD_REQUEST, "Unknown isolation level \"%.64s\".", isolation_level);
            if (first)
                err->hint =
                    "Use READ COMMITTED, REPEATABLE READ, SERIALIZABLE or READ UNCOMMITTED.";
            return false;
        }
    }
    if (statement_timeout_ms < 0) {
        err_set(err, ERR_BAD_REQUEST, "A statement timeout cannot be negative.");
        return false;
    }
    if (!eng__conn_usable(c, "BEGIN", 0, err))
        return false;
    if (eng_conn_in_transaction(c)) {
        /* PostgreSQL would only warn and carry on inside the old one. */
        err_set(err, ERR_INTERNAL, "A transaction is already open on this connection.");
        return false;
    }
    snprintf(begin_sql, ENG_BEGIN_SQL_MAX, "BEGIN%s%s", level ? " ISOLATION LEVEL " : "",
             level ? level : "");
    set_sql[0] = '\0';
    if (statement_timeout_ms > 0)
        snprintf(set_sql, ENG_BEGIN_SQL_MAX, "SET LOCAL statement_timeout = %d",
                 statement_timeout_ms);
    return true;
}

void eng__undo_begin(eng_conn *c)
{
    if (!eng_conn_in_transaction(c) || c->broken)
        return;
    PGresult *res = eng__exec(c, "ROLLBACK");
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        eng__conn_mark_broken(c);
    PQclear(res);
}

bool eng_begin(eng_conn *c, const char *isolation_level, int statement_timeout_ms, err_report *err)
{
    if (c->n_tx_settings > 0) {
        /* Settings are bound parameters: the extended protocol, pipelined
         * with BEGIN (eng_pipeline.c), still one round trip. */
        bool began = false;
        eng__begin_pipeline(c, NULL, isolation_level, statement_timeout_ms, false, NULL, 0, NULL,
                            &began, err);
        return began;
    }
    char begin_sql[ENG_BEGIN_SQL_MAX], set_sql[ENG_BEGIN_SQL_MAX];
    if (!eng__begin_statements(c, isolation_level, statement_timeout_ms, begin_sql, set_sql, err))
        return false;

    /* One round trip: a BEGIN inside a multi-statement simple query opens
     * a real transaction block that outlives the query string. */
    char sql[2 * ENG_BEGIN_SQL_MAX + 4];
    snprintf(sql, sizeof sql, "%s%s%s", begin_sql, set_sql[0] ? "; " : "", set_sql);
    if (run_command(c, sql, NULL, err))
        return true;
    /* BEGIN succeeded but SET failed: do not leave the block open. */
    eng__undo_begin(c);
    return false;
}

bool eng_commit(eng_conn *c, err_report *err)
{
    PGresult *res = NULL;
    if (!run_command(c, "COMMIT", &res, err))
        return false;
    /* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK. */
    bool rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back) {
        err_set_sqlstate(err, "25P02",
                         "the transaction was rolled back because a statement in it failed");
        return false;
    }
    return true;
}

bool eng_rollback(eng_conn *c, err_report *err)
{
    return run_command(c, "ROLLBACK", NULL, err);
}

/* ------------------------------------------------------------------------
 * COPY FROM STDIN
 * ------------------------------------------------------------------------ */

enum { COPY_CHUNK = 256 * 1024 };

int64_t eng_copy_in(eng_conn *c, const char *copy_sql, const char *data, size_t len,
                    err_report *err)
{
    if (!eng__conn_usable(c, copy_sql, 0, err))
        return -1;
    if (!data && len > 0) {
        err_set(err, ERR_INTERNAL, "No COPY data was given.");
        return -1;
    }
    PGresult *res = eng__exec(c, copy_sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COPY_IN) {
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
            err_set(err, ERR_INTERNAL,
                    "The statement given to eng_copy_in is not COPY FROM STDIN.");
        else if (st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            eng__abandon_copy(c, st);
            err_set(err, ERR_INTERNAL,
                    "The statement given to eng_copy_in is not COPY FROM STDIN.");
        } else
            eng__error_from_result(c, res, copy_sql, err);
        PQclear(res);
        eng__conn_answered(c);
        return -1;
    }
    PQclear(res);

    bool sent = true;
    for (size_t off = 0; off < len && sent;) {
        size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
        sent = eng__put_copy(c, data + off, (int) n, false);
        off += n;
    }
    if (sent)
        sent = eng__put_copy(c, NULL, 0, true);

    /* Drain every result, keeping the first error; the connection is back
     * to idle (or in a failed transaction) only after the last one. */
    int64_t rows = -1;
    bool failed = false;
    while ((res = eng__next_result(c)) != NULL) {
        st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK) {
            const char *n = PQcmdTuples(res);
            rows = n && *n ? strtoll(n, NULL, 10) : 0;
        } else if (st == PGRES_COPY_IN) {
            /* Only if PQputCopyEnd failed: nothing more can be done. */
            PQclear(res);
            break;
        } else if (!failed) {
            failed = true;
            eng__error_from_result(c, res, copy_sql, err);
        }
        PQclear(res);
    }
    if (!failed && (!sent || rows < 0))
        eng__error_from_result(c, NULL, copy_sql, err);
    eng__conn_answered(c);
    if (failed || !sent || rows < 0)
        return -1;
    return rows;
}
