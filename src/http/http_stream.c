/*
 * http_stream — replies sent while they are produced (SPEC.md §5
 * "streaming"): a list of every row goes out chunked as it is read from a
 * server-side cursor, one batch at a time, so memory does not grow with
 * the row count.
 *
 * How: the worker makes a socket pair, sets the status and headers, and
 * hands the request back to libmicrohttpd (resume) before the body
 * exists; the I/O thread queues a response that reads the other end
 * (http__stream_response); the worker keeps writing batches into its end
 * (http__stream_write). The I/O thread never waits for the writer: its
 * end is non-blocking, and when nothing is there yet it suspends the
 * connection, which the writer resumes once it has written or ended.
 * A client that goes away closes the connection,
 * libmicrohttpd destroys the response and its end of the pair, the next
 * write fails, the handler stops, and the worker's usual tail rolls the
 * transaction back (closing the cursor) and checks the connection in.
 *
 * Lifetimes. Once handed back, the request has two holders: libmicrohttpd
 * (until its completion notice) and the worker (until the handler has
 * returned and the session is closed). The last one to let go ends the
 * request (http__request_end), so neither the arena nor the session can
 * die under the writer. While both hold it only the worker touches the
 * request arena: the I/O thread reads what was set before the hand-back
 * and allocates nothing for a streamed reply (arena.h: one thread at a
 * time).
 *
 * A failure after the first byte cannot become a problem+json any more:
 * the body is cut (no final chunk, the connection closes), so a client
 * sees an incomplete reply, never a complete wrong one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "http_int.h"
#include "log.h"

/* The reading end, shared by the response (libmicrohttpd's thread) and
 * the writer; heap, freed by whichever lets go last. */
typedef struct stream_pipe {
    atomic_int refs;
    int fd;          /* non-blocking: the I/O thread never waits on it */
    atomic_bool cut; /* the writer failed: end the body with an error */
    /* The reader found nothing yet and suspended the connection; the
     * writer resumes it once it has written (or ended). */
    atomic_bool parked;
    struct MHD_Connection *conn;
} stream_pipe;

struct http__stream {
    http_request *req;
    stream_pipe *pipe;
    int fd;                /* the writer's end; -1 once ended */
    bool gone;             /* the client went away (or HEAD: nothing to send) */
    atomic_bool handed;    /* the response owns a reference to pipe */
    atomic_int holders;    /* libmicrohttpd and the worker */
    size_t bytes;
    orm_session_stats at_start; /* for Server-Timing, taken before the hand-back */
    http__peer peer;            /* for the access log, taken then too */
};

static void pipe_unref(stream_pipe *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        if (p->fd >= 0)
            close(p->fd);
        free(p);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ---- the I/O thread's side ------------------------------------------- */

/* libmicrohttpd's content reader: blocks until the writer has written
 * (the worker writes as fast as the database answers, so the wait is one
 * FETCH at most). EOF after a cut is an error, which makes libmicrohttpd
 * close the connection without the final chunk. */
static ssize_t read_pipe(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_pipe *p = cls;
    for (;;) {
        ssize_t n = read(p->fd, buf, max);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The next batch is still being read from the database: park
             * the connection rather than block this I/O thread (the
             * pattern microhttpd.h prescribes: suspend, return 0). A write
             * between the read and the flag would find nobody parked, so
             * look once more. */
            atomic_store(&p->parked, true);
            MHD_suspend_connection(p->conn);
            struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
            if (poll(&pfd, 1, 0) != 0 && atomic_exchange(&p->parked, false))
                MHD_resume_connection(p->conn);
            return 0;
        }
        if (n == 0 && !atomic_load(&p->cut))
            return MHD_CONTENT_READER_END_OF_STREAM;
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

/* The response dies with the request or the connection: its end closes
 * now, so a writer still at work gets EPIPE and stops. */
static void free_pipe(void *cls)
{
    stream_pipe *p = cls;
    atomic_store(&p->parked, false);
    close(p->fd);
    p->fd = -1;
    pipe_unref(p);
}

struct MHD_Response *http__stream_response(http_request *req)
{
    http__stream *st = req->stream;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_pipe, st->pipe,
                                          free_pipe);
    if (r)
        atomic_store(&st->handed, true);
    return r;
}

void http__stream_stats(const http_request *req, orm_session_stats *out)
{
    *out = req->stream->at_start;
}

void http__stream_peer(const http_request *req, http__peer *out)
{
    *out = req->stream->peer;
}

bool http__stream_let_go(http_request *req)
{
    return !req->stream || atomic_fetch_sub(&req->stream->holders, 1) == 1;
}

bool http__stream_worker_done(http_request *req)
{
    if (!req->stream)
        return false;
    if (http__stream_let_go(req))
        http__request_end(req);
    return true;
}

/* ---- the worker's side ------------------------------------------------ */

/* The reader parked the connection waiting for data: there is some now
 * (or the end). */
static void wake_reader(stream_pipe *p)
{
    if (atomic_exchange(&p->parked, false))
        MHD_resume_connection(p->conn);
}

/* Runs when the request ends (after both holders let go): the writer's
 * end, and the reading end when no response ever took it. */
static void close_stream(void *arg)
{
    http__stream *st = arg;
    if (st->fd >= 0) {
        close(st->fd);
        wake_reader(st->pipe);
    }
    st->fd = -1;
    if (!atomic_load(&st->handed))
        pipe_unref(st->pipe);
    pipe_unref(st->pipe);
}

http__stream *http__stream_begin(http_request *req, int status, const char *content_type,
                                 err_report *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        err_set(err, ERR_UNAVAILABLE, "The server cannot open a stream now (%s); retry shortly.",
                errno == EMFILE || errno == ENFILE ? "too many open files" : "no socket");
        return NULL;
    }
    stream_pipe *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    atomic_init(&p->refs, 2);
    atomic_init(&p->cut, false);
    atomic_init(&p->parked, false);
    p->conn = req->conn;
    p->fd = sv[0];
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    http__stream *st = ARENA_NEW(req->arena, http__stream);
    st->req = req;
    st->pipe = p;
    st->fd = sv[1];
    st->gone = req->method == HTTP_HEAD; /* headers only: libmicrohttpd sends no body */
    atomic_init(&st->handed, false);
    atomic_init(&st->holders, 2);
    arena_on_reset(req->arena, close_stream, st);
    if (req->session)
        orm_session_get_stats(req->session, &st->at_start);
    http__peer_of(req, &st->peer);

    req->status = status;
    req->content_type = content_type;
    req->replied = true;
    /* send_reply adds no header to a streamed reply (it would allocate in
     * the arena the worker is using): the drain's Connection: close is
     * decided here. */
    if (atomic_load(&req->server->draining))
        http_add_header(req, "Connection", "close");
    req->stream = st;
    atomic_store(&req->state, HTTP_REQ_DONE);
    MHD_resume_connection(req->conn);
    return st;
}

/* The one place a streamed reply waits: for room in the pair's buffer,
 * which the I/O thread empties as the client reads; a request coroutine
 * yields to its loop meanwhile. False when the wait ran out (a client
 * that stopped reading is closed by libmicrohttpd's idle timeout first,
 * which ends the wait with an error). */
static bool wait_writable(int fd, int timeout_ms)
{
    return coro_wait_fd(fd, POLLOUT, coro_now() + timeout_ms / 1000.0) > 0;
}

bool http__stream_write(http__stream *st, const char *data, size_t n)
{
    const cfg_server *cfg = st->req->server->cfg;
    int stall_ms = ((cfg->idle_timeout_s > 0 ? cfg->idle_timeout_s : 30) + 5) * 1000;
    while (n > 0 && !st->gone) {
        ssize_t k = send(st->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            data += k;
            n -= (size_t) k;
            st->bytes += (size_t) k;
            wake_reader(st->pipe);
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
                   wait_writable(st->fd, stall_ms)) {
            continue;
        } else {
            st->gone = true; /* EPIPE/ECONNRESET: the response (client) is gone */
        }
    }
    return !st->gone;
}

bool http__stream_gone(const http__stream *st)
{
    return st->gone;
}

void http__stream_end(http__stream *st, bool failed)
{
    http_request *req = st->req;
    if (failed && !st->gone)
        log_warn("request %s: the streamed reply was cut after %zu bytes", req->request_id,
                 st->bytes);
    if (failed)
        atomic_store(&st->pipe->cut, true);
    if (st->fd >= 0) {
        close(st->fd); /* EOF for the reader: the last chunk, or the cut */
        wake_reader(st->pipe);
    }
    st->fd = -1;
    req->resp_len = st->bytes;
    orm_session_stats stats = {0};
    if (req->session)
        orm_session_get_stats(req->session, &stats);
    http__observe(req, (now_s() - req->start) * 1e3, &stats);
}
