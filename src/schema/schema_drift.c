/*
 * schema_drift — are the models still what the database holds? The check
 * readiness runs: each model's table must exist and each of its columns
 * must exist with the type the model declares. (What only schema diff
 * cares about — defaults, keys, checks — does not break requests and is
 * left to it.)
 *
 * The result is cached. A background thread re-checks it every
 * database.drift_check_interval seconds (readiness runs on the I/O thread
 * and must never wait for a pool slot, so it only reads the cache); a
 * statement that fails because a table, column or type is not what the
 * models say re-checks at once (schema_drift_check with force, on a
 * worker). Requests ask schema_drift_of_table() on their hot path: a
 * mutex-protected look-up in a short list, no database work.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "schema_int.h"

struct schema_drift {
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* signalled by destroy */
    pthread_t thread;
    bool running, stopping;
    eng_pool *pool;       /* the background thread's */
    const sql_metadata *md;
    const cfg_config *cfg;
    double interval;  /* seconds between background checks; <= 0 = none */
    double checked;   /* monotonic time of the last check; 0 = never */
    bool checking;
    json_t *items;    /* the last check's differences (array), owned */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

schema_drift *schema_drift_create(const cfg_config *cfg, const sql_metadata *md)
{
    schema_drift *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->md = md;
    d->cfg = cfg;
    d->interval = cfg->database.drift_check_interval;
    d->items = json_array();
    return d;
}

void schema_drift_destroy(schema_drift *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    bool joined = d->running;
    pthread_mutex_unlock(&d->lock);
    if (joined)
        pthread_join(d->thread, NULL);
    json_decref(d->items);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static const char *model_of(const cfg_config *cfg, const char *table)
{
    const cfg_model *m = cfg_model_by_table(cfg, table);
    return m ? m->name : table;
}

static void item(json_t *items, const char *model, const char *table, const char *column,
                 const char *problem)
{
    json_t *o = json_pack("{s:s, s:s}", "model", model, "table", table);
    if (column)
        json_object_set_new(o, "column", json_string(column));
    json_object_set_new(o, "problem", json_string(problem));
    json_array_append_new(items, o);
}

json_t *schema_drift_compare(const cfg_config *cfg, const sql_metadata *md,
                             const schema_catalog *cat, const char *schema, arena *a)
{
    json_t *items = json_array();
    for (size_t i = 0; i < md->n_tables; i++) {
        const sql_table *t = md->tables[i];
        const char *model = model_of(cfg, t->name);
        const schema_table *ct = schema__catalog_of(cat, t, schema);
        if (!ct) {
            item(items, model, t->name, NULL,
                 arena_sprintf(a, "the %s \"%s\".\"%s\" does not exist",
                               t->view ? "view" : "table", schema__table_schema(t, schema),
                               schema__table_name(t)));
            continue;
        }
        for (size_t k = 0; k < t->n_columns; k++) {
            const sql_column *c = t->columns[k];
            const schema_column *cc = schema_table_column(ct, c->name);
            sql_type have;
            if (!cc)
                item(items, model, t->name, c->name, "the column does not exist");
            else if (!schema__catalog_type(cc, &have) || !schema__same_type(c->type, have))
                item(items, model, t->name, c->name,
                     arena_sprintf(a, "the column is %s, the model says %s", cc->type_sql,
                                   sql_type_ddl(a, c->type)));
        }
    }
    return items;
}

/* Runs the check now; false when the catalog could not be read (the
 * cached result is kept then). */
static bool check_now(schema_drift *d, eng_pool *pool, err_report *err)
{
    arena *a = arena_create(NULL, "drift check");
    eng_conn *c = eng_pool_checkout(pool, err);
    const char *schema = schema_default_name(d->cfg);
    size_t n_schemas = 0;
    const char **schemas = schema__model_schemas(d->md, schema, a, &n_schemas);
    schema_catalog *cat = c ? schema_catalog_read(c, a, schemas, n_schemas, err) : NULL;
    if (c)
        eng_pool_checkin(pool, c);
    json_t *items = cat ? schema_drift_compare(d->cfg, d->md, cat, schema, a) : NULL;
    arena_destroy(a);
    pthread_mutex_lock(&d->lock);
    if (items) {
        json_decref(d->items);
        d->items = items;
        d->checked = now_s();
    }
    d->checking = false;
    pthread_mutex_unlock(&d->lock);
    return items != NULL;
}

json_t *schema_drift_check(schema_drift *d, eng_pool *pool, bool force, err_report *err)
{
    pthread_mutex_lock(&d->lock);
    bool due = d->checked == 0 || force || (d->interval > 0 && now_s() - d->checked >= d->interval);
    bool run = due && !d->checking;
    if (run)
        d->checking = true;
    pthread_mutex_unlock(&d->lock);
    if (run && !check_now(d, pool, err))
        return NULL;
    pthread_mutex_lock(&d->lock);
    json_t *copy = json_deep_copy(d->items);
    pthread_mutex_unlock(&d->lock);
    return copy;
}

json_t *schema_drift_items(schema_drift *d)
{
    if (!d)
        return json_array();
    pthread_mutex_lock(&d->lock);
    json_t *copy = json_deep_copy(d->items);
    pthread_mutex_unlock(&d->lock);
    return copy;
}

/* The background re-check: every interval until destroy. */
static void *recheck_loop(void *arg)
{
    schema_drift *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double secs = d->interval;
        until.tv_sec += (time_t) secs;
        until.tv_nsec += (long) ((secs - (double) (time_t) secs) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!d->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&d->wake, &d->lock, &until);
        if (d->stopping)
            break;
        pthread_mutex_unlock(&d->lock);
        json_t *items = schema_drift_check(d, d->pool, true, NULL);
        json_decref(items);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

bool schema_drift_start(schema_drift *d, eng_pool *pool)
{
    if (!d || d->interval <= 0)
        return true;
    d->pool = pool;
    if (pthread_create(&d->thread, NULL, recheck_loop, d) != 0)
        return false;
    d->running = true;
    return true;
}

json_t *schema_drift_of_table(schema_drift *d, const char *table)
{
    if (!d)
        return NULL;
    json_t *mine = NULL;
    pthread_mutex_lock(&d->lock);
    size_t i;
    json_t *v;
    json_array_foreach(d->items, i, v)
    {
        const char *t = json_string_value(json_object_get(v, "table"));
        if (t && strcmp(t, table) == 0) {
            if (!mine)
                mine = json_array();
            json_array_append_new(mine, json_deep_copy(v));
        }
    }
    pthread_mutex_unlock(&d->lock);
    return mine;
}
