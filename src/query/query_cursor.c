/*
 * Keyset (cursor) paging (SPEC.md §5 "keyset paging"): GET after=<cursor>
 * and the query document's "after"; the cursor of the next page.
 *
 * A cursor is opaque to clients and tamper-evident: a signed token
 * (common/sign, HMAC-SHA256) of the query's shape and the sort values of
 * the last row of the page. The shape is the resource, the effective
 * ORDER BY (orm_query_order: the order given, then the key) and the
 * where's statement shape, so a cursor handed to another query is a 400,
 * not a silently wrong page. The key is RETORT_CURSOR_SECRET's (every
 * process behind a balancer accepts the others' cursors), else random
 * per process (cursors end with it).
 *
 * The next page is WHERE <where> AND <rows after the boundary> (Core's
 * sql_keyset_after): stable under concurrent inserts and deletes, and an
 * index on the first sort key serves it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "query_int.h"
#include "jsonw.h"
#include "sign.h"

static sign_key KEY;
static pthread_once_t KEY_ONCE = PTHREAD_ONCE_INIT;

static void init_key(void)
{
    const char *secret = getenv("RETORT_CURSOR_SECRET");
    if (secret && *secret) {
        sign_key_from_secret(&KEY, secret);
        return;
    }
    if (!sign_key_random(&KEY)) {
        /* No system randomness: still a per-process key, only a weaker one. */
        char seed[64];
        snprintf(seed, sizeof seed, "%ld.%ld.%d", (long) time(NULL), (long) clock(),
                 (int) getpid());
        sign_key_from_secret(&KEY, seed);
    }
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static const char *shape_of(arena *a, const orm_mapper *m, const orm_order_key *keys, size_t n,
                            const sql_node *where)
{
    uint64_t h = fnv(14695981039346656037ULL, m->resource, strlen(m->resource) + 1);
    for (size_t i = 0; i < n; i++) {
        h = fnv(h, keys[i].column->name, strlen(keys[i].column->name) + 1);
        unsigned char dir[2] = {(unsigned char) keys[i].desc, (unsigned char) keys[i].nulls};
        h = fnv(h, dir, sizeof dir);
    }
    sql_shape shape;
    err_report scratch;
    err_init(&scratch, a);
    if (where && sql_shape_of(where, a, &shape, &scratch))
        h = fnv(h, shape.key, shape.len);
    return arena_sprintf(a, "%016llx", (unsigned long long) h);
}

/* The ORDER BY the ORM will run for q (orm_query_order of q's SELECT). */
static size_t effective_order(arena *a, const orm_mapper *m, const query_doc *q,
                              orm_order_key *keys)
{
    err_report scratch;
    err_init(&scratch, a);
    sql_builder *b = sql_builder_new(a, &scratch);
    sql_select *sel = query_select(b, (sql_from *) q->from, q, &scratch);
    return orm_query_order(m, sel, keys);
}

static void bad_cursor(err_report *err, const char *pointer, const char *why)
{
    err_add_item(err, ERR_BAD_REQUEST, pointer, "%s", why);
}

bool query_keyset_apply(const orm_mapper *m, arena *a, query_doc *q, const char *pointer,
                        err_report *err)
{
    if (!q->after)
        return true;
    pthread_once(&KEY_ONCE, init_key);
    sql_builder *b = sql_builder_new(a, err);
    if (q->offset > 0) {
        bad_cursor(err, pointer, "after and offset exclude each other: a cursor already says "
                                 "where the page starts.");
        return false;
    }
    orm_order_key *keys = ARENA_ARRAY(a, orm_order_key, m->n_columns + 1);
    size_t n = effective_order(a, m, q, keys);
    size_t len;
    const char *payload = sign_verify(a, &KEY, q->after, &len);
    json_t *doc = payload ? json_loadb(payload, len, 0, NULL) : NULL;
    if (doc)
        jsonw_arena_new(a, doc);
    const json_t *values = json_object_get(doc, "v");
    if (!json_is_array(values) || !json_is_string(json_object_get(doc, "s"))) {
        bad_cursor(err, pointer,
                   "The cursor is not one this server made (or it was altered); take "
                   "meta.next of the previous page as it is.");
        return false;
    }
    if (strcmp(json_string_value(json_object_get(doc, "s")), shape_of(a, m, keys, n, q->where)) ||
        json_array_size(values) != n) {
        bad_cursor(err, pointer,
                   "The cursor belongs to another query: the resource, order_by and where "
                   "must be those of the page that gave it.");
        return false;
    }
    sql_keyset_key *kk = ARENA_ARRAY(a, sql_keyset_key, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(values, i);
        kk[i] = (sql_keyset_key){
            .expr = sql_col_of(b, q->from, keys[i].column),
            .desc = keys[i].desc,
            .nulls = (sql_nulls) keys[i].nulls,
            .nullable = keys[i].column->nullable,
            .value = json_is_string(v) ? sql_val_str(arena_strdup(a, json_string_value(v)))
                                       : sql_val_null(),
        };
    }
    sql_node *after = sql_keyset_after(b, kk, n);
    if (!after)
        return false;
    q->where = q->where ? sql_and2(b, q->where, after) : after;
    return !sql_builder_failed(b);
}

const char *query_keyset_next(const orm_mapper *m, arena *a, const query_doc *q,
                              const sql_node *where, orm_entity *const *items, size_t n)
{
    if (!n || q->limit <= 0 || (int64_t) n < q->limit || q->is_aggregate)
        return NULL;
    pthread_once(&KEY_ONCE, init_key);
    orm_order_key *keys = ARENA_ARRAY(a, orm_order_key, m->n_columns + 1);
    size_t nk = effective_order(a, m, q, keys);
    const orm_entity *last = items[n - 1];
    json_t *values = json_array();
    for (size_t i = 0; i < nk; i++) {
        /* A cursor carries its sort values (signed, not encrypted): a key
         * the role may not read (its key column, say) gives no cursor. */
        if (!orm_session_column_readable(orm_entity_session(last), keys[i].column)) {
            json_decref(values);
            return NULL;
        }
        int c = orm_mapper_column(m, keys[i].column->name);
        const char *v = c >= 0 ? orm_entity_get(last, (size_t) c) : NULL;
        json_array_append_new(values, v ? json_string(v) : json_null());
    }
    json_t *doc = json_pack("{s:s, s:o}", "s", shape_of(a, m, keys, nk, where), "v", values);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return NULL;
    const char *token = sign_token(a, &KEY, text, strlen(text));
    free(text);
    return token;
}
