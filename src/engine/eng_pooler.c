/*
 * eng_pooler — is a connection pooler (PgBouncer, or any proxy that
 * multiplexes sessions) between retort and PostgreSQL?
 *
 * The handshake's BackendKeyData carries the server process id; a pooler
 * answers the handshake itself and announces a key of its own (PgBouncer:
 * random bytes). So on each new connection the server is asked for
 * pg_backend_pid() and the two are compared: equal means a direct
 * session, different means a pooler. One round trip per new connection
 * (connections live for minutes to hours), no setting to forget.
 *
 * Behind a pooler in transaction mode, consecutive transactions of one
 * client connection may run on different server connections, so nothing
 * that lives in a server session can be relied on: the pool then runs
 * every statement unnamed (Parse, Bind and Execute in one message batch).
 * Everything else retort does already holds there: session settings are
 * SET LOCAL inside the transaction, the pipelined BEGIN + first statement
 * ends in one Sync, and nothing survives a COMMIT. The decision is per
 * pool and one way (a pool pointed at a pooler stays in that mode).
 */
#include "eng_int.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

uint64_t eng__random_nonce(void)
{
    uint64_t n = 0;
    if (getrandom(&n, sizeof n, GRND_NONBLOCK) != (ssize_t) sizeof n) {
        /* No entropy yet (early boot): time and pid still separate two
         * processes sharing a pooler in practice. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        n = ((uint64_t) ts.tv_sec << 32) ^ (uint64_t) ts.tv_nsec ^ ((uint64_t) getpid() << 16);
    }
    return n ? n : 1;
}

bool eng__detect_pooler(eng_conn *c)
{
    PGresult *res = PQexec(c->pg, "SELECT pg_backend_pid()");
    bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
              PQnfields(res) == 1;
    if (!ok) {
        PQclear(res);
        c->broken = true;
        return false;
    }
    int server_pid = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (server_pid == PQbackendPID(c->pg))
        return true;
    c->backend_pid = server_pid; /* the real one, for logs and pg_stat_activity */
    eng_pool *p = c->pool;
    if (!atomic_exchange(&p->behind_pooler, true) && p->opts.prepared_statements &&
        p->opts.statement_cache_size > 0)
        log_warn("engine: the database URL leads to a connection pooler (the server's process "
                 "id is not the one the handshake announced): prepared statements are off for "
                 "this pool, every statement runs unnamed");
    return true;
}
