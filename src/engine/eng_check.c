/*
 * eng_check — a named statement's results are checked against the
 * statement's row description before anyone decodes them.
 *
 * Why: the decoders above (ORM hydration, DTOs) read columns by position.
 * A result that belongs to another statement — a pooler that moved this
 * session's statement names to another server connection, a server-side
 * PREPARE under the same name, DDL racing a cached plan — would be read as
 * if it were the expected one: wrong rows with a 200. Statement names are
 * already unique per process and connection (eng_prepared.c), so this is
 * defence in depth, and cheap: an int, the type OIDs and the names
 * compared against a copy kept in the cache entry.
 *
 * The shape is learned from the statement's first successful result on
 * this connection (its Parse went out on this connection, in the same
 * round trip or the one just before). Unnamed statements need no check:
 * their Parse, Bind and Execute travel together to one server session.
 * Command results (INSERT without RETURNING: no columns) are checked the
 * same way — zero columns is a shape too.
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

void eng__shape_clear(eng__shape *s)
{
    for (int i = 0; s->names && i < s->ncols; i++)
        free(s->names[i]);
    free(s->names);
    free(s->types);
    s->names = NULL;
    s->types = NULL;
    s->ncols = -1;
}

static void learn(eng__shape *s, const PGresult *res)
{
    int n = PQnfields(res);
    s->ncols = n;
    s->types = eng__xmalloc(sizeof *s->types * (size_t) (n > 0 ? n : 1));
    s->names = eng__xmalloc(sizeof *s->names * (size_t) (n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        s->types[i] = (uint32_t) PQftype(res, i);
        s->names[i] = eng__xstrdup(PQfname(res, i));
    }
}

/* The first difference, for the log; NULL when res fits s. */
static const char *difference(const eng__shape *s, const PGresult *res, int *col /* OUT */)
{
    *col = -1;
    if (PQnfields(res) != s->ncols)
        return "column count";
    for (int i = 0; i < s->ncols; i++) {
        *col = i;
        if ((uint32_t) PQftype(res, i) != s->types[i])
            return "column type";
        if (strcmp(PQfname(res, i), s->names[i]) != 0)
            return "column name";
    }
    return NULL;
}

bool eng__check_shape(eng_conn *c, eng__stmt *e, const PGresult *res, err_report *err)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return true; /* errors are reported as errors */
    if (e->shape.ncols < 0) {
        learn(&e->shape, res);
        return true;
    }
    int col;
    const char *what = difference(&e->shape, res, &col);
    if (!what)
        return true;

    atomic_fetch_add(&c->pool->shape_mismatches, 1);
    log_error("engine: connection %llu (backend %d): the result of statement %s does not match "
              "its row description (%s differs%s%d: expected %d columns, got %d); the connection "
              "is closed and the rows are discarded",
              (unsigned long long) c->id, c->backend_pid, e->name, what,
              col >= 0 ? " at column " : "", col >= 0 ? col : 0, e->shape.ncols, PQnfields(res));
    err_set_sqlstate(err, "08P01", "a result did not match the statement it was read for");
    err->retry_after = 1;
    /* Whatever answered here is not the session we prepared on: nothing
     * more goes through this connection, and the name is forgotten. */
    eng_conn_invalidate(c);
    eng__stmt_cache_remove(&c->stmts, e);
    eng__stmt_free(e);
    return false;
}
