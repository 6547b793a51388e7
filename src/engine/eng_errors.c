/*
 * eng_errors — turning a failed PGresult (or a dead connection) into an
 * err_report. Translation only reads the connection: whether the failure
 * took the session with it is the connection's own state (libpq's status
 * after the result was read to its end), judged by eng__conn_healthy().
 *
 * Constraint: every string is copied into err->arena here, because the
 * caller PQclear()s the result right after. The statement text is logged,
 * never stored in the report (STYLE §4: SQL goes to the log only).
 */
#include "eng_int.h"

#include <string.h>

#include "log.h"

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_live_protocol_error(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    return state && strcmp(state, "08P01") == 0 && severity && strcmp(severity, "ERROR") == 0;
}

bool eng__is_connection_error(const eng_conn *c, const PGresult *res)
{
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK)
        return true;
    if (!res)
        return true; /* out of memory or a protocol mix-up: do not trust it */
    const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0))
        return true;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    /* 08P01 at ERROR level is the server refusing one message ("bind
     * message supplies 2 parameters, but prepared statement requires 1");
     * the session goes on. */
    if (is_live_protocol_error(res))
        return false;
    /* Class 08 (connection exception) and 57P0x (admin/crash shutdown,
     * cannot connect now, database dropped, idle session timeout). */
    return starts_with(state, "08") || starts_with(state, "57P");
}

static const char *field(arena *a, const PGresult *res, int code)
{
    const char *v = res ? PQresultErrorField(res, code) : NULL;
    return v && a ? arena_strdup(a, v) : NULL;
}

void eng__error_from_result(const eng_conn *c, const PGresult *res, const char *sql,
                            err_report *err)
{
    bool connection_level = eng__is_connection_error(c, res);
    if (!err || err_is_set(err))
        return;

    if (c->timed_out) {
        err_set(err, ERR_TIMEOUT,
                "The database did not answer within %d ms; the connection was given up.",
                c->pool->opts.answer_timeout_ms);
        log_warn("engine: connection %llu (backend %d): no answer within %d ms%s%.300s",
                 (unsigned long long) c->id, c->backend_pid, c->pool->opts.answer_timeout_ms,
                 sql ? "; statement: " : "", sql ? sql : "");
        return;
    }
    arena *scratch = arena_create(NULL, "eng error");
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state || strlen(state) != 5)
        /* libpq's own errors carry no SQLSTATE: a lost connection is 08006
         * (connection failure), anything else is internal. */
        state = connection_level ? "08006" : "XX000";

    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary)
        primary =
            eng__one_line(scratch, res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
                                   : c->pg                           ? PQerrorMessage(c->pg)
                                                                     : NULL);
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    /* PostgreSQL's primary message has no final period; its detail is
     * sentences ("Key (email)=(a@b.c) already exists."). */
    const char *message =
        detail && primary ? arena_sprintf(scratch, "%s. %s", primary, detail) : primary;

    err_set_sqlstate(err, state, message);
    if (!connection_level && res && is_live_protocol_error(res)) {
        /* A malformed request of ours (wrong parameter count), not an
         * unavailable database: a bug, not a 503 worth retrying. */
        err->kind = ERR_INTERNAL;
        err->status = err_kind_status(ERR_INTERNAL);
        err->type = err_kind_type(ERR_INTERNAL);
        err->title = err_kind_title(ERR_INTERNAL);
        err->retry_after = 0;
    }
    err->db_hint = field(err->arena, res, PG_DIAG_MESSAGE_HINT);
    err->table = field(err->arena, res, PG_DIAG_TABLE_NAME);
    err->column = field(err->arena, res, PG_DIAG_COLUMN_NAME);
    err->constraint = field(err->arena, res, PG_DIAG_CONSTRAINT_NAME);

    /* An unverified connection (checked out without its pre-ping) that
     * fails is most likely one that died in the pool: checkin says so in
     * one warning if it was; the details go to the debug log. */
    if (err->status >= 500 && c->unverified)
        log_debug("engine: connection %llu: SQLSTATE %s: %s%s%.300s", (unsigned long long) c->id,
                  err->sqlstate, message ? message : "", sql ? "; statement: " : "",
                  sql ? sql : "");
    else if (err->status >= 500)
        log_warn("engine: connection %llu: SQLSTATE %s: %s%s%.300s", (unsigned long long) c->id,
                 err->sqlstate, message ? message : "", sql ? "; statement: " : "", sql ? sql : "");
    arena_destroy(scratch);
}
