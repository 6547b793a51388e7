/*
 * eng_wait — every wait for the server's answer has a deadline.
 *
 * libpq's blocking calls (PQexec*, PQprepare, PQgetResult) wait as long as
 * the socket stays open. A frozen server (SIGSTOP, a hung host behind a
 * live TCP stack) keeps it open and answers nothing: statement_timeout is
 * enforced by that same server, so it cannot fire, and keepalives are
 * answered by its kernel. So the engine runs pooled connections in
 * libpq's non-blocking mode, sends with the PQsend* calls, and does every
 * wait itself, here, with coro_wait_fd and the pool's answer_timeout:
 * flushing what the socket did not take yet (a large bulk insert, a slow
 * reader) and waiting for the answer. Past the deadline the connection is
 * marked broken (checkin closes it) and the caller gets ERR_TIMEOUT. The
 * server's own statement_timeout stays the first line; answer_timeout is
 * statement_timeout plus a margin.
 *
 * coro_wait_fd is the one seam between the engine and the request
 * coroutines (src/common/coro.h): inside a coroutine a wait yields the
 * thread to the loop, which runs other requests meanwhile; on a plain
 * thread (the health checker, the CLI, tests) it is poll().
 *
 * Results are read as PQexec reads them: the last result of the command,
 * stopping at a COPY state.
 */
#include "eng_int.h"

#include <poll.h>

#include "coro.h"

static double deadline_of(const eng_conn *c)
{
    int ms = c->pool->opts.answer_timeout_ms;
    return ms > 0 ? eng__now() + ms / 1000.0 : 0;
}

static bool timed_out(eng_conn *c)
{
    /* Not a connection that died in the pool: nothing to replay
     * elsewhere, the database itself is not answering. */
    c->unverified = false;
    c->timed_out = true;
    eng__conn_mark_broken(c);
    return false;
}

/* Writes out what libpq still holds (non-blocking mode queues what the
 * socket did not take), reading meanwhile so that a server blocked on
 * writing its answer never deadlocks with us. */
static bool flush(eng_conn *c, double deadline)
{
    PGconn *pg = c->pg;
    int r;
    while ((r = PQflush(pg)) == 1) {
        int ev = coro_wait_fd(PQsocket(pg), POLLIN | POLLOUT, deadline);
        if (ev == 0)
            return timed_out(c);
        if (ev < 0 || ((ev & POLLIN) && !PQconsumeInput(pg)))
            return true; /* PQgetResult reports it */
    }
    return true;
}

/* Waits until a whole result can be read without blocking. False when
 * the deadline passed first (the connection is then marked broken and
 * timed out); a socket error returns true, for PQgetResult to report. */
static bool await(eng_conn *c, double deadline)
{
    PGconn *pg = c->pg;
    if (!flush(c, deadline))
        return false;
    while (PQisBusy(pg)) {
        int fd = PQsocket(pg);
        if (fd < 0)
            return true;
        int ev = coro_wait_fd(fd, POLLIN, deadline);
        if (ev == 0)
            return timed_out(c);
        if (ev < 0 || !PQconsumeInput(pg))
            return true;
    }
    return true;
}

bool eng__put_copy(eng_conn *c, const char *data, int n, bool end)
{
    double deadline = deadline_of(c);
    for (;;) {
        int r = end ? PQputCopyEnd(c->pg, data) : PQputCopyData(c->pg, data, n);
        if (r != 0)
            return r == 1 && flush(c, deadline);
        /* 0: libpq's buffer is full (non-blocking mode): let it drain. */
        int ev = coro_wait_fd(PQsocket(c->pg), POLLIN | POLLOUT, deadline);
        if (ev == 0)
            return timed_out(c);
        if (ev < 0 || ((ev & POLLIN) && !PQconsumeInput(c->pg)) || PQflush(c->pg) < 0)
            return false;
    }
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
