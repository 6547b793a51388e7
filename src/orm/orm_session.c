#include "orm.h"

#include <time.h>

struct orm_session {
    arena *arena;
    orm_session_options opts;
    eng_conn *conn;     /* NULL until the first statement */
    bool in_tx;
    bool closed;
    orm_session_stats stats;
};

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

eng_conn *orm_session_connection(orm_session *s, err_report *err)
{
    if (s->closed) {
        err_set(err, ERR_INTERNAL, "The session is closed.");
        return NULL;
    }
    if (!s->conn) {
        double t0 = now_ms();
        s->conn = eng_pool_checkout(s->opts.pool, err);
        s->stats.pool_wait_ms += now_ms() - t0;
        if (!s->conn)
            return NULL;
        s->stats.checked_out = true;
    }
    if (!s->in_tx) {
        double t0 = now_ms();
        bool ok = eng_begin(s->conn, s->opts.isolation_level, s->opts.statement_timeout_ms, err);
        s->stats.db_ms += now_ms() - t0;
        if (!ok)
            return NULL;
        s->in_tx = true;
    }
    return s->conn;
}

eng_result *orm_session_execute(orm_session *s, const char *sql, int nparams,
                                const char *const *values, err_report *err)
{
    eng_conn *c = orm_session_connection(s, err);
    if (!c)
        return NULL;
    double t0 = now_ms();
    eng_result *r = s->opts.use_prepared ? eng_exec_prepared(c, s->arena, sql, nparams, values, err)
                                         : eng_exec(c, s->arena, sql, nparams, values, err);
    s->stats.db_ms += now_ms() - t0;
    s->stats.statements++;
    return r;
}

eng_result *orm_session_execute_stmt(orm_session *s, const sql_node *stmt, err_report *err)
{
    sql_compiled c;
    bool ok = s->opts.cache ? sql_cache_compile(s->opts.cache, stmt, s->arena, &c, err)
                            : sql_compile(stmt, s->arena, &c, err);
    if (!ok)
        return NULL;
    return orm_session_execute(s, c.sql, (int) c.n_params, c.params, err);
}

void orm_session_count_statement(orm_session *s, double ms)
{
    s->stats.statements++;
    s->stats.db_ms += ms;
}

bool orm_session_commit(orm_session *s, err_report *err)
{
    if (!s->in_tx)
        return true;
    double t0 = now_ms();
    bool ok = eng_commit(s->conn, err);
    s->stats.db_ms += now_ms() - t0;
    s->in_tx = false;
    return ok;
}

void orm_session_rollback(orm_session *s)
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

void orm_session_close(orm_session *s)
{
    if (s->closed)
        return;
    orm_session_rollback(s);
    if (s->conn) {
        eng_pool_checkin(s->opts.pool, s->conn);
        s->conn = NULL;
    }
    s->closed = true;
}

bool orm_session_in_transaction(const orm_session *s)
{
    return s->in_tx;
}

void orm_session_get_stats(const orm_session *s, orm_session_stats *out)
{
    *out = s->stats;
}
