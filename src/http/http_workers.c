/*
 * The database workers: a bounded FIFO of suspended requests and the
 * coroutines that run their handlers.
 *
 * n loop threads (server.io_threads: one per CPU by default) each run a
 * coro_loop (src/common/coro.h) with up to per_loop request coroutines
 * (server.workers spread over the loops). A request coroutine takes the
 * oldest request from the ring, runs its handler, resumes its connection
 * and takes the next, until the ring is empty. Whenever the handler waits
 * for PostgreSQL (an answer, a pooled connection, a connect) its
 * coroutine yields and the loop thread runs another request: the number
 * of requests in flight is server.workers, not the number of threads.
 *
 * Bounded on purpose: when every coroutine is busy and the ring is full,
 * a new request gets an immediate 503 rather than an ever-growing backlog
 * of clients that time out anyway.
 */
#include <stdlib.h>
#include <time.h>

#include "coro.h"
#include "http_int.h"
#include "log.h"

/* One loop thread. `active` (its request coroutines, alive or about to
 * start) is guarded by the server's mu. */
struct http__loop {
    http_server *server;
    coro_loop *loop;
    int active;
};

/* The request session's one ending, for every handler: a success reply
 * commits, anything else rolls back, and the connection always goes back
 * to the pool before the response is sent. A failed COMMIT replaces the
 * reply, and the headers the handler added with it, by the problem: a
 * client never gets a 2xx for work that did not commit. */
static void finish_session(http_request *req, http_out_header *handler_headers_from)
{
    bool success = req->replied && req->status < 400;
    err_report err;
    err_init(&err, req->arena);
    /* A streamed reply left with its status and headers before the body:
     * nothing of it can change now (http_stream.c). */
    if (orm_session_finish(req->session, success, &err) || !success || req->stream)
        return;
    req->headers = handler_headers_from;
    http_reply_problem(req, &err);
}

void http__run_handler(http_request *req)
{
    http_out_header *before = req->headers;
    req->route->handler(req);
    if (req->session)
        finish_session(req, before);
    if (!req->replied) {
        err_report err;
        err_init(&err, req->arena);
        err_set(&err, ERR_INTERNAL, "The handler for %s produced no response.",
                req->route->name ? req->route->name : req->path);
        http_reply_problem(req, &err);
    }
}

/* A request whose wait in the queue used up its pool_timeout (measured
 * from arrival) is not started: the client gets the 503 a pool timeout
 * would have given, at the same moment. */
static void run_or_expire(http_server *s, http_request *req)
{
    double waited = coro_now() - req->start;
    double limit = s->app->config->database.pool_timeout;
    if (waited < limit) {
        http__run_handler(req);
        return;
    }
    err_report err;
    err_init(&err, req->arena);
    err_set(&err, ERR_POOL_TIMEOUT,
            "The request waited %.3g seconds for a database worker (pool_timeout %.3g); retry "
            "shortly.",
            waited, limit);
    http_reply_problem(req, &err);
}

/* A request coroutine: requests from the ring until it is empty. */
static void request_coroutine(void *arg)
{
    struct http__loop *l = arg;
    http_server *s = l->server;
    pthread_mutex_lock(&s->mu);
    while (s->ring_len > 0) {
        http_request *req = s->ring[s->ring_head];
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
        s->ring_len--;
        s->running++;
        pthread_mutex_unlock(&s->mu); /* never held across the handler's waits */

        run_or_expire(s, req);
        /* A streamed reply was handed back while its handler ran
         * (http_stream.c): the worker lets go instead of resuming. */
        if (!http__stream_worker_done(req)) {
            atomic_store(&req->state, HTTP_REQ_DONE);
            MHD_resume_connection(req->conn);
        }

        pthread_mutex_lock(&s->mu);
        s->running--;
    }
    l->active--;
    pthread_mutex_unlock(&s->mu);
}

/* On the loop's thread after a wake-up: start coroutines for what is
 * queued, up to per_loop. */
static void on_notify(coro_loop *loop, void *arg)
{
    struct http__loop *l = arg;
    http_server *s = l->server;
    pthread_mutex_lock(&s->mu);
    int n = s->per_loop - l->active;
    if (n > s->ring_len)
        n = s->ring_len;
    if (n > 0)
        l->active += n;
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < n; i++)
        coro_spawn(loop, request_coroutine, l);
}

static void *loop_main(void *arg)
{
    struct http__loop *l = arg;
    coro_loop_run(l->loop);
    return NULL;
}

bool http__workers_start(http_server *s, err_report *err)
{
    int workers = s->cfg->workers > 0 ? s->cfg->workers : 1;
    s->ring_cap = s->cfg->queue_depth > 0 ? s->cfg->queue_depth : 1;
    s->n_threads = s->cfg->io_threads > 0 ? s->cfg->io_threads : 1;
    if (s->n_threads > workers)
        s->n_threads = workers;
    s->per_loop = (workers + s->n_threads - 1) / s->n_threads;
    s->ring = calloc((size_t) s->ring_cap, sizeof *s->ring);
    s->threads = calloc((size_t) s->n_threads, sizeof *s->threads);
    s->loops = calloc((size_t) s->n_threads, sizeof *s->loops);
    if (!s->ring || !s->threads || !s->loops)
        abort();
    pthread_mutex_init(&s->mu, NULL);
    int n = s->n_threads;
    s->n_threads = 0;
    for (int i = 0; i < n; i++) {
        struct http__loop *l = &s->loops[i];
        l->server = s;
        l->loop = coro_loop_create(on_notify, l);
        if (!l->loop || pthread_create(&s->threads[i], NULL, loop_main, l) != 0) {
            coro_loop_destroy(l->loop);
            l->loop = NULL;
            http__workers_stop(s, 0);
            err_set(err, ERR_INTERNAL, "Cannot start database worker threads.");
            return false;
        }
        s->n_threads = i + 1;
    }
    return true;
}

bool http__workers_submit(http_server *s, http_request *req)
{
    struct http__loop *wake = NULL;
    pthread_mutex_lock(&s->mu);
    /* Requests already on a coroutine do not count against the queue. */
    bool ok = !s->stopping && s->ring_len < s->ring_cap;
    if (ok) {
        s->ring[(s->ring_head + s->ring_len) % s->ring_cap] = req;
        s->ring_len++;
        /* A loop with room starts a coroutine for it; when every loop is
         * full, a coroutine that finishes its request takes it. */
        for (int i = 0; i < s->n_threads && !wake; i++) {
            struct http__loop *l = &s->loops[s->next_loop++ % (unsigned) s->n_threads];
            if (l->active < s->per_loop)
                wake = l;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (wake)
        coro_loop_notify(wake->loop);
    return ok;
}

bool http__workers_stop(http_server *s, double deadline)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    /* What is queued is still run: each loop starts coroutines for it and
     * returns once they have ended. */
    for (int i = 0; i < s->n_threads; i++) {
        coro_loop_notify(s->loops[i].loop);
        coro_loop_stop(s->loops[i].loop);
    }
    /* pthread_timedjoin_np takes CLOCK_REALTIME; the deadline is
     * monotonic. */
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    double left = deadline - coro_now();
    double until = (double) real.tv_sec + (double) real.tv_nsec / 1e9 + (left > 0 ? left : 0);
    struct timespec abs = {(time_t) until, (long) ((until - (double) (time_t) until) * 1e9)};
    for (int i = 0; i < s->n_threads; i++) {
        int rc = deadline > 0 ? pthread_timedjoin_np(s->threads[i], NULL, &abs)
                              : pthread_join(s->threads[i], NULL);
        if (rc != 0)
            return false; /* still running a request: leave everything */
    }
    for (int i = 0; i < s->n_threads; i++)
        coro_loop_destroy(s->loops[i].loop);
    s->n_threads = 0;
    pthread_mutex_destroy(&s->mu);
    free(s->ring);
    free(s->threads);
    free(s->loops);
    s->ring = NULL, s->threads = NULL, s->loops = NULL;
    return true;
}

int http_server_queue_length(http_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->ring_len + s->running;
    pthread_mutex_unlock(&s->mu);
    return n;
}
