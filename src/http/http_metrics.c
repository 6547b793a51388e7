/*
 * Prometheus metrics: request counts by route template, method, status and
 * resource, a latency histogram per route and resource, histograms of the
 * time requests waited for a pooled connection and spent in the database,
 * statements executed, plus what is read at scrape time: the pool's gauges
 * and counters, the database's reachability and replication state, the
 * build and the process (http_metrics_process.c). Series are few (routes
 * are templates, resources are the configured models, never paths), so a
 * mutex-protected list is enough.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"
#include "strbuf.h"

static const double BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
enum { N_BUCKETS = sizeof BUCKETS / sizeof BUCKETS[0] };

typedef struct series {
    struct series *next;
    char route[96], method[12], resource[64];
    int status;
    uint64_t count;
} series;

typedef struct histogram {
    uint64_t buckets[N_BUCKETS];
    uint64_t count;
    double sum;
} histogram;

typedef struct latency {
    struct latency *next;
    char route[96], resource[64];
    histogram h;
} latency;

struct http_metrics {
    pthread_mutex_t mu;
    series *series;
    latency *latencies;
    histogram pool_wait, db_time; /* per request that used the database */
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

static void observe(histogram *h, double seconds)
{
    for (int i = 0; i < N_BUCKETS; i++)
        if (seconds <= BUCKETS[i])
            h->buckets[i]++;
    h->count++;
    h->sum += seconds;
}

void http_metrics_observe(http_metrics *m, const http_metrics_sample *x)
{
    const char *resource = x->resource ? x->resource : "";
    pthread_mutex_lock(&m->mu);
    series *s = m->series;
    for (; s; s = s->next)
        if (s->status == x->status && strcmp(s->method, x->method) == 0 &&
            strncmp(s->route, x->route, sizeof s->route - 1) == 0 &&
            strncmp(s->resource, resource, sizeof s->resource - 1) == 0)
            break;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            abort();
        copy_label(s->route, sizeof s->route, x->route);
        copy_label(s->method, sizeof s->method, x->method);
        copy_label(s->resource, sizeof s->resource, resource);
        s->status = x->status;
        s->next = m->series;
        m->series = s;
    }
    s->count++;
    latency *l = m->latencies;
    for (; l; l = l->next)
        if (strncmp(l->route, x->route, sizeof l->route - 1) == 0 &&
            strncmp(l->resource, resource, sizeof l->resource - 1) == 0)
            break;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l)
            abort();
        copy_label(l->route, sizeof l->route, x->route);
        copy_label(l->resource, sizeof l->resource, resource);
        l->next = m->latencies;
        m->latencies = l;
    }
    observe(&l->h, x->seconds);
    if (x->used_database) {
        observe(&m->pool_wait, x->pool_wait_seconds);
        observe(&m->db_time, x->db_seconds);
    }
    m->statements += x->statements;
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

/* ,resource="x" when the series has one (API routes), nothing otherwise. */
static void append_resource(sbuf *b, const char *resource)
{
    if (!*resource)
        return;
    sbuf_append(b, ",resource=\"");
    append_label(b, resource);
    sbuf_append_char(b, '"');
}

/* name_bucket{<labels>le="..."} lines, _sum and _count; labels is "" or
 * `route="x",` style text already escaped. */
static void render_histogram(sbuf *b, const char *name, const char *labels, const histogram *h)
{
    for (int i = 0; i < N_BUCKETS; i++)
        sbuf_printf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, BUCKETS[i],
                    (unsigned long long) h->buckets[i]);
    sbuf_printf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long) h->count);
    size_t n = strlen(labels);
    /* _sum and _count take the labels without the trailing comma. */
    sbuf_printf(b, "%s_sum%s%.*s%s %.6f\n", name, n ? "{" : "", (int) (n ? n - 1 : 0), labels,
                n ? "}" : "", h->sum);
    sbuf_printf(b, "%s_count%s%.*s%s %llu\n", name, n ? "{" : "", (int) (n ? n - 1 : 0), labels,
                n ? "}" : "", (unsigned long long) h->count);
}

enum { POOL_SERIES = 12 };

/* The pool's series as numbers, in the order of POOL_FAMILIES. */
static void pool_values(eng_pool *pool, unsigned long long v[POOL_SERIES])
{
    eng_pool_status st;
    eng_pool_get_status(pool, &st);
    unsigned long long x[POOL_SERIES] = {
        (unsigned long long) st.size,     (unsigned long long) st.checked_in,
        (unsigned long long) st.checked_out, (unsigned long long) st.overflow,
        (unsigned long long) st.waiting,  st.timeouts,
        st.recycled,                      st.invalidated,
        st.checkouts,                     st.connects,
        st.behind_pooler ? 1ull : 0ull,   st.shape_mismatches,
    };
    memcpy(v, x, sizeof x);
}

static const char *const POOL_FAMILIES[POOL_SERIES][3] = {
    {"size", "gauge", "Configured pool_size."},
    {"checked_in", "gauge", "Idle open connections."},
    {"checked_out", "gauge", "Connections in use."},
    {"overflow", "gauge", "Overflow connections open now."},
    {"waiting", "gauge", "Checkouts waiting for a connection."},
    {"timeouts_total", "counter", "Checkouts that timed out."},
    {"recycled_total", "counter", "Connections replaced for age."},
    {"invalidated_total", "counter", "Connections discarded as broken."},
    {"checkouts_total", "counter", "Connection checkouts."},
    {"connects_total", "counter", "Connections opened."},
    {"behind_pooler", "gauge",
     "1 when a connection pooler (PgBouncer) answers for the server: unnamed statements."},
    {"result_mismatches_total", "counter",
     "Results refused because their row description was not their statement's."},
};

/* prefix<family>{labels[i]} for each of the n pools, family by family (the
 * exposition format wants a family's lines together). */
static void render_pools(sbuf *b, const char *prefix, eng_pool *const *pools,
                         const char *const *labels, size_t n)
{
    unsigned long long (*v)[POOL_SERIES] = calloc(n ? n : 1, sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++)
        pool_values(pools[i], v[i]);
    for (size_t f = 0; f < POOL_SERIES; f++) {
        sbuf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", prefix, POOL_FAMILIES[f][0],
                    POOL_FAMILIES[f][2], prefix, POOL_FAMILIES[f][0], POOL_FAMILIES[f][1]);
        for (size_t i = 0; i < n; i++)
            sbuf_printf(b, "%s%s%s %llu\n", prefix, POOL_FAMILIES[f][0], labels[i], v[i][f]);
    }
    free(v);
}

/* Per replica: health, lag, reads, and its pool's series, labelled
 * replica="<index>". */
static void render_replicas(sbuf *b, const http_app *app)
{
    size_t n = eng_router_count(app->replicas);
    if (n == 0)
        return;
    static const char *const HELP[][3] = {
        {"retort_replica_healthy", "gauge", "1 while the replica takes reads."},
        {"retort_replica_up", "gauge", "1 when the replica answered in the last 3 s."},
        {"retort_replica_lag_seconds", "gauge", "Replication lag; -1 when unknown."},
        {"retort_replica_reads_total", "counter", "Reads routed to the replica."},
    };
    for (size_t h = 0; h < sizeof HELP / sizeof HELP[0]; h++) {
        sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", HELP[h][0], HELP[h][2], HELP[h][0],
                    HELP[h][1]);
        for (size_t i = 0; i < n; i++) {
            eng_replica_status st;
            eng_router_replica(app->replicas, i, &st);
            double v = h == 0   ? st.healthy
                       : h == 1 ? st.reachable
                       : h == 2 ? (st.lag_ms >= 0 ? st.lag_ms / 1e3 : -1)
                                : (double) st.reads;
            sbuf_printf(b, "%s{replica=\"%zu\"} %g\n", HELP[h][0], i, v);
        }
    }
    eng_pool **pools = calloc(n, sizeof *pools);
    char(*text)[48] = calloc(n, sizeof *text);
    const char **labels = calloc(n, sizeof *labels);
    if (!pools || !text || !labels)
        abort();
    for (size_t i = 0; i < n; i++) {
        eng_replica_status st;
        eng_router_replica(app->replicas, i, &st);
        pools[i] = st.pool;
        snprintf(text[i], sizeof text[i], "{replica=\"%zu\"}", i);
        labels[i] = text[i];
    }
    render_pools(b, "retort_replica_pool_", pools, labels, n);
    free(pools);
    free(text);
    free(labels);
}

const char *http_metrics_render(const http_app *app, arena *a)
{
    http_metrics *m = app->metrics;
    sbuf b;
    sbuf_init(&b, a, 8192);
    pthread_mutex_lock(&m->mu);
    sbuf_append(&b, "# HELP retort_http_requests_total HTTP requests by route, method, status "
                    "and resource.\n"
                    "# TYPE retort_http_requests_total counter\n");
    for (series *s = m->series; s; s = s->next) {
        sbuf_append(&b, "retort_http_requests_total{route=\"");
        append_label(&b, s->route);
        sbuf_printf(&b, "\",method=\"%s\",status=\"%d\"", s->method, s->status);
        append_resource(&b, s->resource);
        sbuf_printf(&b, "} %llu\n", (unsigned long long) s->count);
    }
    sbuf_append(&b, "# HELP retort_http_request_duration_seconds Request latency by route and "
                    "resource.\n"
                    "# TYPE retort_http_request_duration_seconds histogram\n");
    for (latency *l = m->latencies; l; l = l->next) {
        sbuf labels;
        sbuf_init(&labels, a, 160);
        sbuf_append(&labels, "route=\"");
        append_label(&labels, l->route);
        sbuf_append_char(&labels, '"');
        append_resource(&labels, l->resource);
        sbuf_append_char(&labels, ',');
        render_histogram(&b, "retort_http_request_duration_seconds", sbuf_str(&labels), &l->h);
    }
    sbuf_append(&b, "# HELP retort_pool_wait_seconds Time a request waited for a pooled "
                    "connection.\n# TYPE retort_pool_wait_seconds histogram\n");
    render_histogram(&b, "retort_pool_wait_seconds", "", &m->pool_wait);
    sbuf_append(&b, "# HELP retort_db_time_seconds Time a request spent in database round "
                    "trips.\n# TYPE retort_db_time_seconds histogram\n");
    render_histogram(&b, "retort_db_time_seconds", "", &m->db_time);
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

    if (app->pool) {
        static const char *const NO_LABELS[] = {""};
        render_pools(&b, "retort_pool_", &app->pool, NO_LABELS, 1);
    }
    if (app->health) {
        eng_health_status hs;
        eng_health_get(app->health, &hs);
        sbuf_printf(&b,
                    "# HELP retort_database_up 1 when the database answered in the last 3 s.\n"
                    "# TYPE retort_database_up gauge\nretort_database_up %d\n"
                    "# HELP retort_database_last_answer_age_seconds Seconds since the database "
                    "last answered.\n# TYPE retort_database_last_answer_age_seconds gauge\n"
                    "retort_database_last_answer_age_seconds %.3f\n",
                    hs.age_s >= 0 && hs.age_s <= 3 ? 1 : 0, hs.age_s);
    }
    render_replicas(&b, app);
    http__metrics_render_process(&b);
    return sbuf_str(&b);
}
