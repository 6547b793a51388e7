/*
 * sql_cache — the compiled-statement cache: shape key -> SQL text, a
 * bounded LRU shared by every worker thread.
 *
 * One mutex guards the table and the LRU list; it is held only for the
 * lookup (plus a memcpy of the SQL into the caller's arena) and the
 * insert, never while compiling, so a slow compile does not stall other
 * workers. Two threads missing the same shape at once both compile; the
 * first insert wins and the second result is dropped (stats count both
 * compiles).
 *
 * Entries are single malloc blocks (entry, key bytes, SQL text) owned by
 * the cache and freed on eviction, clear or destroy. What callers get is
 * always a copy in their own arena, so an eviction never pulls text from
 * under a running request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

typedef struct entry {
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU list: head = most recent */
    uint64_t hash;
    size_t key_len, sql_len, n_params;
    unsigned char *key;
    char *sql;
} entry;

struct sql_cache {
    pthread_mutex_t mu;
    size_t capacity, n;
    entry **buckets;
    size_t n_buckets; /* power of two, >= 2 * capacity */
    entry lru;        /* sentinel */
    sql_cache_stats stats;
};

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fprintf(stderr, "retort: out of memory (statement cache)\n");
        abort();
    }
    return p;
}

sql_cache *sql_cache_create(size_t capacity)
{
    sql_cache *c = xcalloc(1, sizeof *c);
    c->capacity = capacity ? capacity : SQL_CACHE_DEFAULT_CAPACITY;
    c->n_buckets = 16;
    while (c->n_buckets < 2 * c->capacity)
        c->n_buckets *= 2;
    c->buckets = xcalloc(c->n_buckets, sizeof *c->buckets);
    c->lru.prev = c->lru.next = &c->lru;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void lru_unlink(entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void lru_push_front(sql_cache *c, entry *e)
{
    e->next = c->lru.next;
    e->prev = &c->lru;
    c->lru.next->prev = e;
    c->lru.next = e;
}

static entry **bucket_of(sql_cache *c, uint64_t hash)
{
    return &c->buckets[hash & (c->n_buckets - 1)];
}

static entry *find(sql_cache *c, const sql_shape *s)
{
    for (entry *e = *bucket_of(c, s->hash); e; e = e->hnext)
        if (e->hash == s->hash && e->key_len == s->len && memcmp(e->key, s->key, s->len) == 0)
            return e;
    return NULL;
}

static void remove_entry(sql_cache *c, entry *e)
{
    for (entry **p = bucket_of(c, e->hash); *p; p = &(*p)->hnext) {
        if (*p == e) {
            *p = e->hnext;
            break;
        }
    }
    lru_unlink(e);
    c->n--;
    free(e);
}

static entry *make_entry(const sql_shape *s, const sql_compiled *out)
{
    size_t sql_len = strlen(out->sql);
    entry *e = xcalloc(1, sizeof *e + s->len + sql_len + 1);
    e->key = (unsigned char *) (e + 1);
    e->sql = (char *) e->key + s->len;
    memcpy(e->key, s->key, s->len);
    memcpy(e->sql, out->sql, sql_len + 1);
    e->hash = s->hash;
    e->key_len = s->len;
    e->sql_len = sql_len;
    e->n_params = out->n_params;
    return e;
}

bool sql_cache_compile(sql_cache *c, const sql_node *stmt, arena *a, sql_compiled *out,
                       err_report *err)
{
    memset(out, 0, sizeof *out);
    sql_shape shape;
    if (!sql_shape_of(stmt, a, &shape, err))
        return false;

    pthread_mutex_lock(&c->mu);
    entry *e = find(c, &shape);
    if (e && e->n_params == shape.n_params) {
        lru_unlink(e);
        lru_push_front(c, e);
        out->sql = arena_strndup(a, e->sql, e->sql_len);
        out->n_params = e->n_params;
        c->stats.hits++;
        pthread_mutex_unlock(&c->mu);
        out->params = sql_shape_param_values(&shape, a);
        return true;
    }
    c->stats.misses++;
    c->stats.compiles++;
    pthread_mutex_unlock(&c->mu);

    if (!sql_compile(stmt, a, out, err))
        return false;

    entry *fresh = make_entry(&shape, out);
    pthread_mutex_lock(&c->mu);
    if (find(c, &shape)) {
        free(fresh); /* another thread got there first */
    } else {
        while (c->n >= c->capacity) {
            remove_entry(c, c->lru.prev);
            c->stats.evictions++;
        }
        entry **b = bucket_of(c, fresh->hash);
        fresh->hnext = *b;
        *b = fresh;
        lru_push_front(c, fresh);
        c->n++;
    }
    pthread_mutex_unlock(&c->mu);
    return true;
}

void sql_cache_get_stats(sql_cache *c, sql_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    out->entries = c->n;
    out->capacity = c->capacity;
    pthread_mutex_unlock(&c->mu);
}

void sql_cache_clear(sql_cache *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->lru.next != &c->lru)
        remove_entry(c, c->lru.next);
    pthread_mutex_unlock(&c->mu);
}

void sql_cache_destroy(sql_cache *c)
{
    if (!c)
        return;
    sql_cache_clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c->buckets);
    free(c);
}
