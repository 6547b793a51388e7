/*
 * Connection deadlines that libmicrohttpd does not give: its timeout is
 * an idle timeout, restarted by every byte, so a client that trickles a
 * header a byte at a time holds its slot for ever. Here each connection
 * carries a phase and a total deadline, and a janitor thread ends
 * connections that overrun it:
 *
 *   HEADERS  from accept (server.header_timeout_s), or after a response
 *            on a keep-alive connection (server.idle_timeout_s), until
 *            the headers are complete;
 *   BODY     from the headers until the body is complete
 *            (server.body_timeout_s); a client that half-closed meanwhile
 *            (a partial body, then FIN: it can never complete) is ended
 *            at once;
 *   BUSY     the request is being answered: never touched.
 *
 * Ending means shutdown(2) on the socket: libmicrohttpd then sees the end
 * of the stream and closes the connection itself, through its usual path
 * (completion callback, arena released). The socket is never closed
 * here, and the registry's mutex is held from the lookup to the shutdown;
 * libmicrohttpd reports a connection closed (and we unregister it, under
 * that mutex) before it closes the descriptor, so the descriptor cannot
 * be another connection's by then.
 *
 * Room at the top: when the table is within HTTP_ROOM of full, the
 * janitor also ends connections still waiting for their headers after a
 * second, oldest first, so that /health and a fresh client still get in
 * while slow or idle connections fill the table.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "coro.h"
#include "http_int.h"
#include "log.h"

enum { HTTP_ROOM = 64 };
#define JANITOR_PERIOD_S 0.1
#define CROWDED_GRACE_S 1.0

struct http__conn {
    struct http__conn *prev, *next; /* under s->conns_mu */
    int fd;
    _Atomic int phase;       /* http__conn_phase */
    _Atomic double since;    /* when the phase began */
    _Atomic double deadline; /* of the phase; 0 = none */
    bool shut;               /* under s->conns_mu */
};

static void set_phase(http__conn *c, http__conn_phase phase, double limit_s)
{
    double now = coro_now();
    atomic_store(&c->since, now);
    atomic_store(&c->deadline, limit_s > 0 ? now + limit_s : 0);
    atomic_store(&c->phase, (int) phase);
}

void http__conn_phase_set(http_server *s, struct MHD_Connection *conn, http__conn_phase phase)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http__conn *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    double limit = phase == HTTP_CONN_HEADERS ? s->cfg->idle_timeout_s
                   : phase == HTTP_CONN_BODY  ? s->cfg->body_timeout_s
                                              : 0;
    set_phase(c, phase, limit);
}

void http__conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        http__conn *c = calloc(1, sizeof *c);
        if (!c)
            abort();
        c->fd = info ? info->connect_fd : -1;
        set_phase(c, HTTP_CONN_HEADERS, s->cfg->header_timeout_s);
        pthread_mutex_lock(&s->conns_mu);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        pthread_mutex_unlock(&s->conns_mu);
        *socket_context = c;
        return;
    }
    http__conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&s->conns_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    pthread_mutex_unlock(&s->conns_mu);
    *socket_context = NULL;
    free(c);
}

/* Under s->conns_mu. */
static void end_conn(http__conn *c, const char *why)
{
    c->shut = true;
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
    log_debug("http: connection closed: %s", why);
}

static bool half_closed(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    return fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void sweep(http_server *s)
{
    double now = coro_now();
    pthread_mutex_lock(&s->conns_mu);
    bool crowded = s->n_conns >= s->max_conns - HTTP_ROOM;
    int over = s->n_conns - (s->max_conns - 2 * HTTP_ROOM);
    /* Newest first in the list: walk to the tail, end the oldest first. */
    http__conn *tail = s->conns;
    while (tail && tail->next)
        tail = tail->next;
    for (http__conn *c = tail; c; c = c->prev) {
        if (c->shut)
            continue;
        int phase = atomic_load(&c->phase);
        if (phase == HTTP_CONN_BUSY)
            continue;
        double deadline = atomic_load(&c->deadline);
        if (deadline > 0 && now > deadline)
            end_conn(c, phase == HTTP_CONN_HEADERS ? "headers not complete in time"
                                                   : "body not complete in time");
        else if (phase == HTTP_CONN_BODY && half_closed(c->fd))
            end_conn(c, "the client half-closed with the body incomplete");
        else if (crowded && over > 0 && phase == HTTP_CONN_HEADERS &&
                 now - atomic_load(&c->since) > CROWDED_GRACE_S) {
            end_conn(c, "the connection table is nearly full");
            over--;
        }
    }
    pthread_mutex_unlock(&s->conns_mu);
}

static void *janitor_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->conns_mu);
    while (!s->janitor_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long) (JANITOR_PERIOD_S * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->janitor_wake, &s->conns_mu, &until);
        if (s->janitor_stop)
            break;
        pthread_mutex_unlock(&s->conns_mu);
        sweep(s);
        pthread_mutex_lock(&s->conns_mu);
    }
    pthread_mutex_unlock(&s->conns_mu);
    return NULL;
}

/* The connection table fits in the descriptors left once the pool, the
 * admin listener and the rest have theirs. The soft limit is raised to
 * the hard one first. */
static int table_size(const http_app *app, int wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return wanted;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return wanted;
    const cfg_database *db = &app->config->database;
    long pool = (long) db->pool_size + (db->max_overflow >= 0 ? db->max_overflow : 200);
    long reserve = pool * (1 + (long) db->n_replicas) + 2 * HTTP_ROOM + 64;
    long left = (long) rl.rlim_cur - reserve;
    if (left < wanted) {
        log_warn("http: %ld file descriptors allow %ld connections, not %d; raise the limit "
                 "(ulimit -n) to serve more",
                 (long) rl.rlim_cur, left > 16 ? left : 16, wanted);
        return left > 16 ? (int) left : 16;
    }
    return wanted;
}

bool http__conns_start(http_server *s)
{
    s->max_conns = table_size(s->app, s->cfg->max_connections > 0 ? s->cfg->max_connections
                                                                  : 10000);
    pthread_mutex_init(&s->conns_mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->janitor_wake, &attr);
    pthread_condattr_destroy(&attr);
    s->janitor_stop = false;
    if (pthread_create(&s->janitor, NULL, janitor_main, s) != 0) {
        pthread_cond_destroy(&s->janitor_wake);
        pthread_mutex_destroy(&s->conns_mu);
        return false;
    }
    return true;
}

void http__conns_stop(http_server *s)
{
    pthread_mutex_lock(&s->conns_mu);
    s->janitor_stop = true;
    pthread_cond_signal(&s->janitor_wake);
    pthread_mutex_unlock(&s->conns_mu);
    pthread_join(s->janitor, NULL);
    pthread_cond_destroy(&s->janitor_wake);
    pthread_mutex_destroy(&s->conns_mu);
}
