/*
 * eng_wait — every wait for the server's answer has a deadline.
 *
 * libpq's blocking calls (PQexec*, PQprepare, PQgetResult) wait as long as
 * the socket stays open. A frozen server (SIGSTOP, a hung host behind a
 * live TCP stack) keeps it open and answers nothing: statement_timeout is
 * enforced by that same server, so it cannot fire, and keepalives are
 * answered by its kernel. So the engine sends with libpq's PQsend* calls
 * (blocking mode: the whole message is written before they return) and
 * waits for the answer itself, with poll() and the pool's answer_timeout:
 * past it the connection is marked broken (checkin closes it) and the
 * caller gets ERR_TIMEOUT. The server's own statement_timeout stays the
 * first line; answer_timeout is statement_timeout plus a margin.
 *
 * Results are read as PQexec reads them: the last result of the command,
 * stopping at a COPY state.
 */
#include "eng_int.h"

#include <errno.h>
#include <poll.h>

static double deadline_of(const eng_conn *c)
{
    int ms = c->pool->opts.answer_timeout_ms;
    return ms > 0 ? eng__now() + ms / 1000.0 : 0;
}

/* Waits until a whole result can be read without blocking. False when
 * the deadline passed first (the connection is then marked broken and
 * timed out); a socket error returns true, for PQgetResult to report. */
static bool await(eng_conn *c, double deadline)
{
    PGconn *pg = c->pg;
    while (PQisBusy(pg)) {
        int ms = -1;
        if (deadline > 0) {
            double left = deadline - eng__now();
            if (left <= 0) {
                /* Not a connection that died in the pool: nothing to
                 * replay elsewhere, the database itself is not answering. */
                c->unverified = false;
                c->timed_out = true;
                eng__conn_mark_broken(c);
                return false;
            }
            ms = (int) (left * 1000) + 1;
        }
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        if (pfd.fd < 0)
            return true;
        int n = poll(&pfd, 1, ms);
        if (n < 0 && errno != EINTR)
            return true;
        if (n > 0 && !PQconsumeInput(pg))
            return true;
    }
    return true;
}

PGresult *eng__next_result(eng_conn *c)
{
    return await(c, deadline_of(c)) ? PQgetResult(c->pg) : NULL;
}

/* PQexec's reading: the last result; a COPY state or a dead connection
 * ends it early. */
static PGresult *last_result(eng_conn *c, int sent)
{
    if (!sent)
        return NULL;
    double deadline = deadline_of(c);
    PGresult *last = NULL, *r;
    while (await(c, deadline) && (r = PQgetResult(c->pg)) != NULL) {
        PQclear(last);
        last = r;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
            PQstatus(c->pg) == CONNECTION_BAD)
            break;
    }
    if (c->timed_out) {
        PQclear(last);
        return NULL;
    }
    return last;
}

PGresult *eng__exec(eng_conn *c, const char *sql)
{
    return last_result(c, PQsendQuery(c->pg, sql));
}

PGresult *eng__exec_params(eng_conn *c, const char *sql, int nparams, const char *const *values)
{
    return last_result(c, PQsendQueryParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0));
}

PGresult *eng__exec_prepared(eng_conn *c, const char *name, int nparams,
                             const char *const *values)
{
    return last_result(c, PQsendQueryPrepared(c->pg, name, nparams, values, NULL, NULL, 0));
}

PGresult *eng__prepare(eng_conn *c, const char *name, const char *sql)
{
    return last_result(c, PQsendPrepare(c->pg, name, sql, 0, NULL));
}
