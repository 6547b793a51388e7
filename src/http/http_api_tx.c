/*
 * POST /api/transaction: several operations in one session and one
 * transaction. Writes go through the unit of work: creates and updates
 * are flushed together, parents first, when a later operation needs what
 * they produce (a $ref, a query, a delete) or at the end, so a child may
 * be created before its parent; all commit together or none do. A serialization failure or deadlock replays
 * the whole document in a fresh session with exponential backoff and
 * jitter, up to session.retry_attempts replays.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "coro.h"
#include "dto.h"
#include "jsonkind.h"
#include "http_int.h"
#include "isolation.h"

typedef struct tx_ref {
    const char *name;
    size_t op; /* the operation that declared it: its result is results[op] */
} tx_ref;

/* A create or update whose result waits for the next flush. */
typedef struct tx_pending {
    size_t op;
    const orm_mapper *m;
    orm_entity *e;
} tx_pending;

typedef struct tx_run {
    http_request *req;
    arena *a;
    orm_session *s;
    const json_t *ops;
    tx_ref *refs;
    size_t n_refs;
    json_t *results;
    tx_pending *pending;
    size_t n_pending;
    err_report *err;
} tx_run;

static json_t *op_write_result(tx_run *t, const orm_mapper *m, orm_entity *e);

/* Flushes the unit of work and writes the results of the writes that
 * waited for it. A failing flush is charged to the write whose statement
 * failed (orm_session_flush_failed). */
static bool settle(tx_run *t)
{
    if (!t->n_pending)
        return true;
    if (!orm_session_flush(t->s, t->err)) {
        size_t blame = t->pending[0].op;
        const orm_mapper *m = t->pending[0].m;
        const orm_entity *failed = orm_session_flush_failed(t->s);
        for (size_t i = 0; i < t->n_pending; i++)
            if (t->pending[i].e == failed) {
                blame = t->pending[i].op;
                m = t->pending[i].m;
                break;
            }
        t->err->operation = (int) blame;
        dto_point_at_constraint(http_req_app(t->req)->registry, m,
                                arena_sprintf(t->a, "/operations/%zu/values", blame), t->err);
        return false;
    }
    for (size_t i = 0; i < t->n_pending; i++) {
        json_t *dto = op_write_result(t, t->pending[i].m, t->pending[i].e);
        if (!dto) {
            t->err->operation = (int) t->pending[i].op;
            return false;
        }
        json_array_set_new(t->results, t->pending[i].op, dto);
    }
    t->n_pending = 0;
    return true;
}

/* Replaces every {"$ref": "name.field"} in v (a copy) by that field of the
 * named earlier result. NULL with a 400 item when a reference is unknown. */
static json_t *resolve_refs(tx_run *t, const json_t *v, const char *pointer)
{
    if (json_is_object(v)) {
        const json_t *ref = json_object_get(v, "$ref");
        if (ref && json_object_size(v) == 1) {
            const char *text = json_string_value(ref);
            const char *dot = text ? strchr(text, '.') : NULL;
            for (size_t i = 0; dot && i < t->n_refs; i++) {
                if (strlen(t->refs[i].name) == (size_t) (dot - text) &&
                    strncmp(t->refs[i].name, text, (size_t) (dot - text)) == 0) {
                    /* What the ref names may still be in the unit of work. */
                    if (!settle(t))
                        return NULL;
                    json_t *field = json_object_get(json_array_get(t->results, t->refs[i].op),
                                                    dot + 1);
                    if (field)
                        return json_incref(field);
                }
            }
            err_add_item(t->err, ERR_BAD_REQUEST, pointer,
                         "Unknown $ref \"%s\": it must name an earlier operation's ref and one "
                         "of its fields, as \"ref.field\".",
                         text ? text : "");
            return NULL;
        }
        json_t *out = json_object();
        const char *key;
        json_t *child;
        json_object_foreach((json_t *) v, key, child)
        {
            json_t *r = resolve_refs(t, child, arena_sprintf(t->a, "%s/%s", pointer, key));
            if (!r) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, r);
        }
        return out;
    }
    return json_incref((json_t *) v);
}

/* Key of an update/delete operation: a string, a number, an array for
 * composite keys, or a {"$ref"}. */
static const char **op_key(tx_run *t, const orm_mapper *m, const json_t *id, const char *pointer)
{
    json_t *resolved = resolve_refs(t, id, pointer);
    if (!resolved)
        return NULL;
    const char **key = dto_key_from_json(m, resolved, t->a);
    json_decref(resolved);
    if (!key) {
        err_add_item(t->err, ERR_VALIDATION, pointer,
                     "id must be the key of %s (%zu value%s) or a $ref.", m->resource, m->n_pk,
                     m->n_pk == 1 ? "" : "s");
        return NULL;
    }
    return key;
}

static orm_entity *op_load(tx_run *t, const orm_mapper *m, const json_t *op, const char *base)
{
    const char *pointer = arena_sprintf(t->a, "%s/id", base);
    const char **key = op_key(t, m, json_object_get(op, "id"), pointer);
    if (!key)
        return NULL;
    orm_entity *e = NULL;
    if (!orm_session_get(t->s, m, key, NULL, &e, t->err))
        return NULL;
    if (!e)
        err_set(t->err, ERR_NOT_FOUND, "There is no %s with that key.", m->resource);
    return e;
}

static json_t *op_write_result(tx_run *t, const orm_mapper *m, orm_entity *e)
{
    const orm_load_plan *plan = orm_load_plan_build(t->s, m, NULL, t->err);
    if (!plan)
        return NULL;
    if (!orm_session_load_plan(t->s, &e, 1, plan, t->err))
        return NULL;
    return dto_entity(e, plan, NULL, 0);
}

static json_t *op_query(tx_run *t, const orm_mapper *m, const json_t *doc, const char *base)
{
    /* The translator points into the query document; prefix its items. */
    err_report qerr;
    err_init(&qerr, t->a);
    query_limits lim = http__api_limits(t->req);
    query_doc q;
    json_t *out = NULL;
    json_t *empty = doc ? NULL : json_object();
    /* $ref may stand for any value of the query document too. */
    json_t *resolved = doc ? resolve_refs(t, doc, arena_sprintf(t->a, "%s/query", base)) : NULL;
    if (doc && !resolved) {
        json_decref(empty);
        return NULL;
    }
    if (resolved)
        jsonw_arena_new(t->a, resolved);
    if (settle(t) && query_parse_model(m, t->a, resolved ? resolved : empty, &lim, &q, &qerr)) {
        if (q.is_aggregate) {
            err_add_item(&qerr, ERR_BAD_REQUEST, "",
                         "Aggregates are not available inside a transaction document.");
        } else {
            /* A tree: a later $ref may read it. */
            jsonw w;
            jsonw_init_tree(&w, NULL);
            if (http__api_write_page(&w, t->s, m, &q, &qerr))
                out = jsonw_root(&w);
            else
                json_decref(jsonw_root(&w));
        }
    }
    if (!out) {
        const char *prefix = arena_sprintf(t->a, "%s/query", base);
        err_report *err = t->err;
        if (!err_is_set(err)) {
            err_copy(err, &qerr);
            err->n_items = 0;
            err->dropped_items = 0;
            for (size_t i = 0; i < qerr.n_items; i++)
                err_add_item(err, qerr.kind, arena_sprintf(t->a, "%s%s", prefix,
                                                           qerr.items[i].pointer
                                                               ? qerr.items[i].pointer
                                                               : ""),
                             "%s", qerr.items[i].detail);
        }
    }
    json_decref(empty);
    return out;
}

/* One operation; its result is appended to t->results. */
static bool run_op(tx_run *t, size_t i, const json_t *op)
{
    const char *base = arena_sprintf(t->a, "/operations/%zu", i);
    if (!json_is_object(op)) {
        err_add_item(t->err, ERR_VALIDATION, base, "An operation is an object.");
        return false;
    }
    /* Missing or mistyped fields: 422 with the field's pointer. */
    static const struct {
        const char *name;
        json_type type;
        bool required_for_keyed;
    } FIELDS[] = {{"op", JSON_STRING, false},     {"resource", JSON_STRING, false},
                  {"ref", JSON_STRING, false},    {"values", JSON_OBJECT, false},
                  {"query", JSON_OBJECT, false},  {"id", JSON_NULL, true}};
    const char *kind = json_string_value(json_object_get(op, "op"));
    bool keyed = kind && (strcmp(kind, "update") == 0 || strcmp(kind, "delete") == 0);
    for (size_t f = 0; f < sizeof FIELDS / sizeof FIELDS[0]; f++) {
        const json_t *v = json_object_get(op, FIELDS[f].name);
        const char *at = arena_sprintf(t->a, "%s/%s", base, FIELDS[f].name);
        bool required = f < 2 || (FIELDS[f].required_for_keyed && keyed);
        if (!v && required)
            err_add_item(t->err, ERR_VALIDATION, at, "%s is required%s.", FIELDS[f].name,
                         f == 5 ? " for update and delete: the key or a $ref" : "");
        else if (v && FIELDS[f].type != JSON_NULL && json_typeof(v) != FIELDS[f].type &&
                 !(f == 3 && json_is_null(v)))
            err_add_item(t->err, ERR_VALIDATION, at, "%s must be %s, not %s.", FIELDS[f].name,
                         FIELDS[f].type == JSON_STRING ? "a string" : "an object",
                         jsonkind_name(v));
    }
    if (err_is_set(t->err))
        return false;
    const char *resource = json_string_value(json_object_get(op, "resource"));
    const char *ref = json_string_value(json_object_get(op, "ref"));
    bool known = strcmp(kind, "create") == 0 || strcmp(kind, "update") == 0 ||
                 strcmp(kind, "delete") == 0 || strcmp(kind, "query") == 0;
    if (!known) {
        err_add_item(t->err, ERR_BAD_REQUEST, arena_sprintf(t->a, "%s/op", base),
                     "Unknown op \"%s\": expected create, update, delete or query.",
                     kind ? kind : "");
        return false;
    }
    const orm_mapper *m = resource ? orm_mapper_by_resource(http_req_app(t->req)->registry,
                                                            resource)
                                   : NULL;
    cfg_operation opk = strcmp(kind, "create") == 0   ? CFG_OP_CREATE
                        : strcmp(kind, "update") == 0 ? CFG_OP_UPDATE
                        : strcmp(kind, "delete") == 0 ? CFG_OP_DELETE
                        : json_object_get(json_object_get(op, "query"), "aggregates")
                            ? CFG_OP_AGGREGATE
                            : CFG_OP_QUERY;
    if (m && !http__api_allowed(t->req, m, opk, t->err)) {
        if (t->err->kind == ERR_NOT_FOUND)
            m = NULL; /* hidden: indistinguishable from unknown */
        else
            return false;
        err_clear(t->err);
    }
    /* A create with on_conflict may change existing rows: "upsert" too. */
    if (m && opk == CFG_OP_CREATE && json_object_get(op, "on_conflict") &&
        !http__api_allowed(t->req, m, CFG_OP_UPSERT, t->err))
        return false;
    if (!m) {
        err_add_item(t->err, ERR_NOT_FOUND, arena_sprintf(t->a, "%s/resource", base),
                     "There is no resource named \"%s\".", resource ? resource : "");
        return false;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) op, key, v)
    {
        if (strcmp(key, "op") && strcmp(key, "resource") && strcmp(key, "ref") &&
            strcmp(key, "values") && strcmp(key, "id") && strcmp(key, "query") &&
            (strcmp(key, "on_conflict") || strcmp(kind, "create")))
            err_add_item(t->err, ERR_BAD_REQUEST, arena_sprintf(t->a, "%s/%s", base, key),
                         "Unknown key \"%s\" in an operation.", key);
    }
    if (err_is_set(t->err))
        return false;

    json_t *result = NULL;
    if (strcmp(kind, "query") == 0) {
        result = op_query(t, m, json_object_get(op, "query"), base);
    } else if (strcmp(kind, "delete") == 0) {
        orm_entity *e = settle(t) ? op_load(t, m, op, base) : NULL;
        if (e && orm_session_delete(t->s, e, t->err) && orm_session_flush(t->s, t->err))
            result = json_pack("{s:b}", "deleted", 1);
    } else {
        const char *vp = arena_sprintf(t->a, "%s/values", base);
        json_t *values = resolve_refs(t, json_object_get(op, "values") ? json_object_get(op, "values")
                                                                        : json_null(),
                                      vp);
        bool create = strcmp(kind, "create") == 0;
        const json_t *spec = json_object_get(op, "on_conflict");
        orm_conflict conflict;
        bool upsert = spec != NULL;
        if (upsert && !http__api_conflict_json(t->a, m, spec,
                                               arena_sprintf(t->a, "%s/on_conflict", base),
                                               &conflict, t->err)) {
            json_decref(values);
            return false;
        }
        orm_entity *e = !values ? NULL : create ? orm_entity_new(t->s, m) : op_load(t, m, op, base);
        if (e && http__api_writable(t->req, m, values, vp, t->err) &&
            dto_apply_input(m, values, create ? DTO_CREATE : DTO_UPDATE, vp, DTO_ALLOW_ADD,
                                 e, t->err) &&
            (!create || (upsert ? orm_session_add_upsert(t->s, e, &conflict, t->err)
                                : orm_session_add(t->s, e, t->err)))) {
            /* The result waits for the flush (settle): a placeholder now. */
            t->pending[t->n_pending++] = (tx_pending){i, m, e};
            result = json_null();
        }
        json_decref(values);
    }
    if (!result) {
        if (strcmp(kind, "delete") == 0)
            http__api_describe_delete_conflict(m, t->err);
        else if (strcmp(kind, "query") != 0)
            dto_point_at_constraint(http_req_app(t->req)->registry, m,
                                    arena_sprintf(t->a, "%s/values", base), t->err);
        return false;
    }
    json_array_append_new(t->results, result);
    if (ref) {
        t->refs[t->n_refs].name = ref;
        t->refs[t->n_refs].op = i;
        t->n_refs++;
    }
    return true;
}

/* One attempt in a fresh session (its own child arena), so a replay starts
 * from nothing: no identity map, no half-applied state. */
static bool attempt(http_request *req, const json_t *doc, const char *isolation,
                    const json_t **results, err_report *err)
{
    arena *a = arena_create(http_req_arena(req), "transaction attempt");
    orm_session_options o = http__session_options(req, isolation);
    http__session_identity(req, &o);
    const json_t *ops = json_object_get(doc, "operations");
    tx_run t = {.req = req, .a = http_req_arena(req), .s = orm_session_open(a, &o), .ops = ops,
                .results = jsonw_arena_new(a, json_array()), .err = err};
    t.refs = ARENA_ARRAY(t.a, tx_ref, json_array_size(ops) + 1);
    t.pending = ARENA_ARRAY(t.a, tx_pending, json_array_size(ops) + 1);
    bool ok = true;
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
    {
        if (!run_op(&t, i, op)) {
            if (err->operation < 0) /* settle() may have blamed an earlier write */
                err->operation = (int) i;
            ok = false;
            break;
        }
    }
    /* An attempt is its own unit of work: a serialization failure at its
     * COMMIT is retried with a fresh one, so it ends here, not after the
     * handler (which then finds the session closed). */
    ok = orm_session_finish(t.s, ok && settle(&t), err);
    /* The request's timing and X-Query-Count report the last attempt. */
    req->session = t.s;
    *results = ok ? t.results : NULL;
    return ok;
}

static void backoff(int attempt_no, int base_ms)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t) sizeof r)
        r = (unsigned) time(NULL);
    long ms = (long) base_ms << (attempt_no < 10 ? attempt_no : 10);
    ms = ms / 2 + (long) (r % (unsigned long) (ms / 2 + 1)); /* jitter: [ms/2, ms] */
    coro_sleep((double) ms / 1000.0); /* yields the request's loop thread */
}

void http__api_transaction(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    const json_t *doc = http_req_json(req);
    const char *isolation = NULL;
    if (!json_is_object(doc)) {
        err_add_item(&err, ERR_VALIDATION, "",
                     "A transaction document is an object with operations.");
    } else {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *) doc, key, v)
        {
            if (strcmp(key, "operations") != 0 && strcmp(key, "isolation_level") != 0)
                err_add_item(&err, ERR_BAD_REQUEST,
                             arena_sprintf(http_req_arena(req), "/%s", key),
                             "Unknown key \"%s\": a transaction takes operations and "
                             "isolation_level.",
                             key);
        }
        const json_t *level = json_object_get(doc, "isolation_level");
        if (level) {
            isolation = isolation_level_parse(json_string_value(level));
            if (!isolation)
                err_add_item(&err, ERR_BAD_REQUEST, "/isolation_level",
                             "Unknown isolation_level: expected READ COMMITTED, REPEATABLE READ "
                             "or SERIALIZABLE.");
        }
        const json_t *ops = json_object_get(doc, "operations");
        if (!json_is_array(ops) || json_array_size(ops) == 0)
            err_add_item(&err, ERR_VALIDATION, "/operations",
                         "operations must be a non-empty array.");
    }
    if (err_is_set(&err)) {
        http_reply_problem(req, &err);
        return;
    }
    const cfg_session *cs = &http_req_app(req)->config->session;
    const json_t *results = NULL;
    for (int replay = 0;; replay++) {
        err_clear(&err);
        if (attempt(req, doc, isolation, &results, &err))
            break;
        if (!err_is_retryable(&err) || replay >= cs->retry_attempts) {
            if (err_is_retryable(&err))
                err.retry_after = 1;
            http_reply_problem(req, &err);
            return;
        }
        if (http_req_app(req)->metrics)
            http_metrics_add(http_req_app(req)->metrics, HTTP_METRIC_TX_RETRIES, 1);
        backoff(replay, cs->retry_backoff_ms);
    }
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    jsonw_key(w, "results");
    jsonw_json(w, results);
    jsonw_object_end(w);
    http_reply_written(req, 200);
}
