/*
 * The database worker pool: a bounded FIFO of suspended requests and the
 * threads that run their handlers. Bounded on purpose: when every worker
 * is busy and the queue is full, a new request gets an immediate 503
 * rather than an ever-growing backlog of clients that time out anyway.
 */
#include <stdlib.h>
#include <time.h>

#include "http_int.h"
#include "log.h"

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
    if (orm_session_finish(req->session, success, &err) || !success)
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
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double waited = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9 - req->start;
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

static void *worker_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->ring_len == 0 && !s->stopping)
            pthread_cond_wait(&s->not_empty, &s->mu);
        if (s->ring_len == 0 && s->stopping)
            break;
        http_request *req = s->ring[s->ring_head];
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
        s->ring_len--;
        s->running++;
        pthread_mutex_unlock(&s->mu);

        run_or_expire(s, req);
        atomic_store(&req->state, HTTP_REQ_DONE);
        MHD_resume_connection(req->conn);

        pthread_mutex_lock(&s->mu);
        s->running--;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

bool http__workers_start(http_server *s, err_report *err)
{
    s->ring_cap = s->cfg->queue_depth > 0 ? s->cfg->queue_depth : 1;
    s->n_threads = s->cfg->workers > 0 ? s->cfg->workers : 1;
    s->ring = calloc((size_t) s->ring_cap, sizeof *s->ring);
    s->threads = calloc((size_t) s->n_threads, sizeof *s->threads);
    if (!s->ring || !s->threads)
        abort();
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->not_empty, NULL);
    for (int i = 0; i < s->n_threads; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) {
            s->n_threads = i;
            http__workers_stop(s, 0);
            err_set(err, ERR_INTERNAL, "Cannot start database worker threads.");
            return false;
        }
    }
    return true;
}

bool http__workers_submit(http_server *s, http_request *req)
{
    pthread_mutex_lock(&s->mu);
    /* Requests already on a worker do not count against the queue. */
    bool ok = !s->stopping && s->ring_len < s->ring_cap;
    if (ok) {
        s->ring[(s->ring_head + s->ring_len) % s->ring_cap] = req;
        s->ring_len++;
        pthread_cond_signal(&s->not_empty);
    }
    pthread_mutex_unlock(&s->mu);
    return ok;
}

bool http__workers_stop(http_server *s, double deadline)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->not_empty);
    pthread_mutex_unlock(&s->mu);
    /* pthread_timedjoin_np takes CLOCK_REALTIME; the deadline is
     * monotonic. */
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    double left = deadline - ((double) mono.tv_sec + (double) mono.tv_nsec / 1e9);
    double until = (double) real.tv_sec + (double) real.tv_nsec / 1e9 + (left > 0 ? left : 0);
    struct timespec abs = {(time_t) until, (long) ((until - (double) (time_t) until) * 1e9)};
    for (int i = 0; i < s->n_threads; i++) {
        int rc = deadline > 0 ? pthread_timedjoin_np(s->threads[i], NULL, &abs)
                              : pthread_join(s->threads[i], NULL);
        if (rc != 0)
            return false; /* still running a request: leave everything */
    }
    s->n_threads = 0;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->not_empty);
    return true;
}

int http_server_queue_length(http_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->ring_len + s->running;
    pthread_mutex_unlock(&s->mu);
    return n;
}
