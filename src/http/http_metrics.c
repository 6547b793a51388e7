/*
 * Prometheus metrics: request counts by route template, method and status,
 * a latency histogram per route, statements executed, plus the pool's
 * gauges and counters read at scrape time. Series are few (routes are
 * templates, not paths), so a mutex-protected list is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "strbuf.h"

static const double BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
enum { N_BUCKETS = sizeof BUCKETS / sizeof BUCKETS[0] };

typedef struct series {
    struct series *next;
    char route[96], method[12];
    int status;
    uint64_t count;
} series;

typedef struct latency {
    struct latency *next;
    char route[96];
    uint64_t buckets[N_BUCKETS];
    uint64_t count;
    double sum;
} latency;

struct http_metrics {
    pthread_mutex_t mu;
    series *series;
    latency *latencies;
    uint64_t statements;
    uint64_t extra[HTTP_METRIC_COUNTERS];
};

http_metrics *http_metrics_create(void)
{
    http_metrics *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void http_metrics_destroy(http_metrics *m)
{
    if (!m)
        return;
    for (series *s = m->series, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    for (latency *l = m->latencies, *n; l; l = n) {
        n = l->next;
        free(l);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static void copy_label(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void http_metrics_observe(http_metrics *m, const char *route, const char *method, int status,
                          double seconds, uint64_t statements)
{
    pthread_mutex_lock(&m->mu);
    series *s = m->series;
    for (; s; s = s->next)
        if (s->status == status && strcmp(s->method, method) == 0 &&
            strncmp(s->route, route, sizeof s->route - 1) == 0)
            break;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            abort();
        copy_label(s->route, sizeof s->route, route);
        copy_label(s->method, sizeof s->method, method);
        s->status = status;
        s->next = m->series;
        m->series = s;
    }
    s->count++;
    latency *l = m->latencies;
    for (; l; l = l->next)
        if (strncmp(l->route, route, sizeof l->route - 1) == 0)
            break;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l)
            abort();
        copy_label(l->route, sizeof l->route, route);
        l->next = m->latencies;
        m->latencies = l;
    }
    for (int i = 0; i < N_BUCKETS; i++)
        if (seconds <= BUCKETS[i])
            l->buckets[i]++;
    l->count++;
    l->sum += seconds;
    m->statements += statements;
    pthread_mutex_unlock(&m->mu);
}

void http_metrics_add(http_metrics *m, http_metric_counter c, uint64_t n)
{
    pthread_mutex_lock(&m->mu);
    m->extra[c] += n;
    pthread_mutex_unlock(&m->mu);
}

/* Route templates contain only path characters, but escape anyway: a
 * label value must not be able to break the exposition format. */
static void append_label(sbuf *b, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            sbuf_append_char(b, '\\');
        if (*p == '\n') {
            sbuf_append(b, "\\n");
            continue;
        }
        sbuf_append_char(b, *p);
    }
}

const char *http_metrics_render(http_metrics *m, eng_pool *pool, arena *a)
{
    sbuf b;
    sbuf_init(&b, a, 4096);
    pthread_mutex_lock(&m->mu);
    sbuf_append(&b, "# HELP retort_http_requests_total HTTP requests by route, method and status.\n"
                    "# TYPE retort_http_requests_total counter\n");
    for (series *s = m->series; s; s = s->next) {
        sbuf_append(&b, "retort_http_requests_total{route=\"");
        append_label(&b, s->route);
        sbuf_printf(&b, "\",method=\"%s\",status=\"%d\"} %llu\n", s->method, s->status,
                    (unsigned long long) s->count);
    }
    sbuf_append(&b, "# HELP retort_http_request_duration_seconds Request latency by route.\n"
                    "# TYPE retort_http_request_duration_seconds histogram\n");
    for (latency *l = m->latencies; l; l = l->next) {
        for (int i = 0; i < N_BUCKETS; i++) {
            sbuf_append(&b, "retort_http_request_duration_seconds_bucket{route=\"");
            append_label(&b, l->route);
            sbuf_printf(&b, "\",le=\"%g\"} %llu\n", BUCKETS[i],
                        (unsigned long long) l->buckets[i]);
        }
        sbuf_append(&b, "retort_http_request_duration_seconds_bucket{route=\"");
        append_label(&b, l->route);
        sbuf_printf(&b, "\",le=\"+Inf\"} %llu\n", (unsigned long long) l->count);
        sbuf_append(&b, "retort_http_request_duration_seconds_sum{route=\"");
        append_label(&b, l->route);
        sbuf_printf(&b, "\"} %.6f\n", l->sum);
        sbuf_append(&b, "retort_http_request_duration_seconds_count{route=\"");
        append_label(&b, l->route);
        sbuf_printf(&b, "\"} %llu\n", (unsigned long long) l->count);
    }
    sbuf_printf(&b,
                "# HELP retort_statements_total SQL statements that read or write rows.\n"
                "# TYPE retort_statements_total counter\nretort_statements_total %llu\n",
                (unsigned long long) m->statements);
    sbuf_printf(&b,
                "# HELP retort_transaction_retries_total Transaction replays after "
                "serialization failures or deadlocks.\n"
                "# TYPE retort_transaction_retries_total counter\n"
                "retort_transaction_retries_total %llu\n",
                (unsigned long long) m->extra[HTTP_METRIC_TX_RETRIES]);
    pthread_mutex_unlock(&m->mu);

    if (pool) {
        eng_pool_status st;
        eng_pool_get_status(pool, &st);
        const struct {
            const char *name, *type, *help;
            unsigned long long v;
        } gauges[] = {
            {"retort_pool_size", "gauge", "Configured pool_size.", (unsigned long long) st.size},
            {"retort_pool_checked_in", "gauge", "Idle open connections.",
             (unsigned long long) st.checked_in},
            {"retort_pool_checked_out", "gauge", "Connections in use.",
             (unsigned long long) st.checked_out},
            {"retort_pool_overflow", "gauge", "Overflow connections open now.",
             (unsigned long long) st.overflow},
            {"retort_pool_waiting", "gauge", "Checkouts waiting for a connection.",
             (unsigned long long) st.waiting},
            {"retort_pool_timeouts_total", "counter", "Checkouts that timed out.", st.timeouts},
            {"retort_pool_recycled_total", "counter", "Connections replaced for age.",
             st.recycled},
            {"retort_pool_invalidated_total", "counter", "Connections discarded as broken.",
             st.invalidated},
            {"retort_pool_checkouts_total", "counter", "Connection checkouts.", st.checkouts},
            {"retort_pool_connects_total", "counter", "Connections opened.", st.connects},
        };
        for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++)
            sbuf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", gauges[i].name,
                        gauges[i].help, gauges[i].name, gauges[i].type, gauges[i].name,
                        gauges[i].v);
    }
    return sbuf_str(&b);
}
