/*
 * orm_cursor — server-side cursors for results too large to hold: the
 * statement is declared once and read FETCH by FETCH, each batch in an
 * arena the caller resets, so a million-row export holds one batch at a
 * time (on both sides: PostgreSQL produces rows as they are fetched).
 *
 * A cursor lives inside the session's transaction; whatever ends that
 * (commit, rollback, the session's close when the request's arena dies, a
 * client that went away) also closes the cursor on the server.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "orm_int.h"

struct orm_cursor {
    orm_session *session;
    eng_conn *conn;
    char name[32];
    bool closed;
};

static double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

orm_cursor *orm_cursor_open(orm_session *s, const sql_node *stmt, err_report *err)
{
    /* The row filter applies to a cursor as to any read: rows the role
     * may not see are never declared. */
    bool check_row_ok = false;
    if (!orm__apply_row_filters(s, (sql_node *) stmt, &check_row_ok, err))
        return NULL;
    sql_compiled out;
    if (!sql_compile(stmt, s->arena, &out, err))
        return NULL;
    eng_conn *conn = orm_session_connection(s, err); /* DECLARE needs a transaction */
    if (!conn)
        return NULL;
    orm_cursor *c = ARENA_NEW(s->arena, orm_cursor);
    c->session = s;
    c->conn = conn;
    snprintf(c->name, sizeof c->name, "retort_cursor_%llu", (unsigned long long) ++s->seq);
    const char *sql =
        arena_sprintf(s->arena, "DECLARE \"%s\" NO SCROLL CURSOR FOR %s", c->name, out.sql);
    double t0 = ms_now();
    eng_result *r = eng_exec(conn, s->arena, sql, (int) out.n_params, out.params, err);
    orm_session_count_statement(s, ms_now() - t0);
    return r ? c : NULL;
}

eng_result *orm_cursor_fetch(orm_cursor *c, arena *a, int n, err_report *err)
{
    if (c->closed || n <= 0) {
        err_set(err, ERR_INTERNAL, "The cursor is closed or the batch is empty.");
        return NULL;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "FETCH FORWARD %d FROM \"%s\"", n, c->name);
    double t0 = ms_now();
    eng_result *r = eng_exec(c->conn, a, sql, 0, NULL, err);
    c->session->stats.db_ms += ms_now() - t0;
    return r;
}

bool orm_cursor_close(orm_cursor *c, err_report *err)
{
    if (c->closed)
        return true;
    c->closed = true;
    char sql[64];
    snprintf(sql, sizeof sql, "CLOSE \"%s\"", c->name);
    return eng_exec_command(c->conn, sql, err);
}
