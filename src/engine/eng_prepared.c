/*
 * eng_prepared — named prepared statements: a bounded LRU per connection,
 * keyed by SQL text, and eng_exec_prepared() on top of it.
 *
 * A miss prepares the statement under a fresh name
 * "rs_<pool nonce>_<connection>_<n>": never reused on a connection, and
 * never the same in two connections, pools or processes, so a statement
 * the server still holds can never be confused with a new one — not even
 * behind a pooler that hands this session's statements to another server
 * connection (that server answers 26000, never another statement's rows).
 * Every result of a named statement is checked against the row
 * description the statement had (eng_check.c). When the cache is over its size, the
 * least recently used statements are DEALLOCATEd — but only while no
 * transaction is open: a DEALLOCATE that fails inside a transaction would
 * abort the caller's transaction, so inside one the cache may grow past its
 * size for a while and is trimmed at the next statement outside one.
 *
 * With prepared_statements off, or behind a detected pooler (PgBouncer in
 * transaction mode, where the next transaction may run on another server
 * connection; eng_pooler.c), everything runs as unnamed statements
 * through eng_exec().
 *
 * Memory: entries are heap copies owned by the connection; eng__conn_close
 * drops them all (the server forgets them with the session).
 */
#include "eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The LRU: a chained hash table plus a doubly linked recency list
 * ------------------------------------------------------------------------ */

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

void eng__stmt_cache_init(eng__stmt_cache *sc, size_t cap)
{
    memset(sc, 0, sizeof *sc);
    sc->cap = cap ? cap : 1;
}

void eng__stmt_free(eng__stmt *e)
{
    if (!e)
        return;
    eng__shape_clear(&e->shape);
    free(e->sql);
    free(e);
}

void eng__stmt_cache_clear(eng__stmt_cache *sc)
{
    for (eng__stmt *e = sc->newest, *next; e; e = next) {
        next = e->older;
        eng__stmt_free(e);
    }
    free(sc->buckets);
    size_t cap = sc->cap;
    uint64_t seq = sc->seq; /* keep names unique for the struct's life */
    memset(sc, 0, sizeof *sc);
    sc->cap = cap;
    sc->seq = seq;
}

eng__stmt *eng__stmt_cache_find(eng__stmt_cache *sc, const char *sql)
{
    if (!sc->buckets)
        return NULL;
    uint64_t h = hash_sql(sql);
    for (eng__stmt *e = sc->buckets[h & (sc->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->sql, sql) == 0)
            return e;
    return NULL;
}

static void lru_unlink(eng__stmt_cache *sc, eng__stmt *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        sc->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        sc->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push_newest(eng__stmt_cache *sc, eng__stmt *e)
{
    e->newer = NULL;
    e->older = sc->newest;
    if (sc->newest)
        sc->newest->newer = e;
    else
        sc->oldest = e;
    sc->newest = e;
}

void eng__stmt_cache_touch(eng__stmt_cache *sc, eng__stmt *e)
{
    if (sc->newest == e)
        return;
    lru_unlink(sc, e);
    lru_push_newest(sc, e);
}

/* Keeps the load factor at or below 1/2; rehashes in place of growing
 * chains. */
static void ensure_buckets(eng__stmt_cache *sc)
{
    if (sc->buckets && (sc->count + 1) * 2 <= sc->nbuckets)
        return;
    size_t n = sc->nbuckets ? sc->nbuckets * 2 : 16;
    while (n < (sc->count + 1) * 2)
        n *= 2;
    eng__stmt **b = eng__xmalloc(n * sizeof *b);
    for (eng__stmt *e = sc->newest; e; e = e->older) {
        size_t i = e->hash & (n - 1);
        e->hnext = b[i];
        b[i] = e;
    }
    free(sc->buckets);
    sc->buckets = b;
    sc->nbuckets = n;
}

eng__stmt *eng__stmt_cache_add(eng__stmt_cache *sc, const char *sql, const char *name)
{
    ensure_buckets(sc);
    eng__stmt *e = eng__xmalloc(sizeof *e);
    e->sql = eng__xstrdup(sql);
    e->hash = hash_sql(sql);
    e->shape.ncols = -1;
    snprintf(e->name, sizeof e->name, "%s", name);
    size_t i = e->hash & (sc->nbuckets - 1);
    e->hnext = sc->buckets[i];
    sc->buckets[i] = e;
    lru_push_newest(sc, e);
    sc->count++;
    return e;
}

void eng__stmt_cache_remove(eng__stmt_cache *sc, eng__stmt *e)
{
    for (eng__stmt **pp = &sc->buckets[e->hash & (sc->nbuckets - 1)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    }
    e->hnext = NULL;
    lru_unlink(sc, e);
    sc->count--;
}

/* ------------------------------------------------------------------------
 * Server side
 * ------------------------------------------------------------------------ */

static bool tx_idle(const eng_conn *c)
{
    return PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/* DEALLOCATE outside a transaction: a failure there (the server already
 * forgot the name) costs nothing. Only a lost connection matters. */
static bool deallocate(eng_conn *c, const eng__stmt *e, err_report *err)
{
    char sql[16 + ENG_STMT_NAME_MAX];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", e->name);
    PGresult *res = PQexec(c->pg, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok && eng__is_connection_error(c, res)) {
        eng__error_from_result(c, res, sql, err);
        PQclear(res);
        return false;
    }
    PQclear(res);
    return true;
}

/* Evicts least recently used statements until `keep` remain. */
static bool trim(eng_conn *c, size_t keep, err_report *err)
{
    while (c->stmts.count > keep) {
        eng__stmt *old = c->stmts.oldest;
        eng__stmt_cache_remove(&c->stmts, old);
        bool ok = deallocate(c, old, err);
        eng__stmt_free(old);
        if (!ok)
            return false;
    }
    return true;
}

bool eng__use_named_statements(const eng_conn *c)
{
    const eng_pool_options *o = &c->pool->opts;
    return o->prepared_statements && o->statement_cache_size > 0 &&
           !atomic_load_explicit(&c->pool->behind_pooler, memory_order_relaxed);
}

void eng__stmt_next_name(eng_conn *c, char name[ENG_STMT_NAME_MAX])
{
    snprintf(name, ENG_STMT_NAME_MAX, "rs_%llx_%llx_%llx", (unsigned long long) c->pool->stmt_nonce,
             (unsigned long long) c->id, (unsigned long long) ++c->stmts.seq);
}

static eng__stmt *prepare(eng_conn *c, const char *sql, err_report *err)
{
    if (tx_idle(c) && !trim(c, c->stmts.cap - 1, err))
        return NULL;
    char name[ENG_STMT_NAME_MAX];
    eng__stmt_next_name(c, name);
    /* No parameter types: the server infers them from the statement, as
     * it does for unnamed statements with text parameters. */
    c->prepare_count++;
    PGresult *res = PQprepare(c->pg, name, sql, 0, NULL);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        eng__error_from_result(c, res, sql, err);
        PQclear(res);
        eng__conn_answered(c);
        return NULL;
    }
    PQclear(res);
    eng__conn_answered(c);
    return eng__stmt_cache_add(&c->stmts, sql, name);
}

/* The server no longer has the statement (26000: DISCARD ALL, DEALLOCATE
 * ALL, a pooler switched sessions), or its cached plan no longer fits the
 * table (0A000 "cached plan must not change result type" after DDL). */
bool eng__stale_statement(const PGresult *res)
{
    if (!res || PQresultStatus(res) != PGRES_FATAL_ERROR)
        return false;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!state)
        return false;
    if (strcmp(state, "26000") == 0)
        return true;
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    return strcmp(state, "0A000") == 0 && msg && strstr(msg, "cached plan must not change");
}

eng_result *eng_exec_prepared(eng_conn *c, arena *a, const char *sql, int nparams,
                              const char *const *values, err_report *err)
{
    if (!eng__conn_usable(c, sql, nparams, err))
        return NULL;
    if (!eng__use_named_statements(c))
        return eng_exec(c, a, sql, nparams, values, err);
    /* In a failed transaction every statement fails with 25P02; do not
     * disturb the cache for that. */
    if (PQtransactionStatus(c->pg) == PQTRANS_INERROR)
        return eng_exec(c, a, sql, nparams, values, err);
    if (tx_idle(c) && c->stmts.count > c->stmts.cap && !trim(c, c->stmts.cap, err))
        return NULL;

    for (int attempt = 0;; attempt++) {
        eng__stmt *e = eng__stmt_cache_find(&c->stmts, sql);
        if (e)
            eng__stmt_cache_touch(&c->stmts, e);
        else if (!(e = prepare(c, sql, err)))
            return NULL;
        PGresult *res = PQexecPrepared(c->pg, e->name, nparams, values, NULL, NULL, 0);
        if (attempt == 0 && eng__stale_statement(res)) {
            bool plan_changed = strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "26000") != 0;
            eng__stmt_cache_remove(&c->stmts, e);
            /* Retry once, and only outside a transaction: inside one the
             * error has already aborted it. */
            if (tx_idle(c)) {
                PQclear(res);
                bool ok = !plan_changed || deallocate(c, e, err);
                eng__stmt_free(e);
                if (!ok)
                    return NULL;
                continue;
            }
            eng__stmt_free(e); /* an orphan on the server until the session ends */
            e = NULL;
        }
        if (e && !eng__check_shape(c, e, res, err)) {
            PQclear(res);
            eng__conn_answered(c);
            return NULL;
        }
        eng_result *r = eng__result_or_error(c, a, res, sql, err);
        eng__conn_answered(c);
        return r;
    }
}
