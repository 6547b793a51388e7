/*
 * Bulk writes (rows, no identity map) through the ORM: POST
 * /api/{resource}/bulk inserts a JSON array in multi-row batches, all rows
 * or none; PATCH /api/{resource} updates every row a required, non-empty
 * where document selects.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

void http__api_bulk_insert(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    arena *a = http_req_arena(req);
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    const json_t *body = http_req_json(req);
    bool returning = false;
    for (size_t i = 0; m && i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strcmp(name, "returning") == 0 && strcmp(value, "id") == 0)
            returning = true;
        else if (strncmp(name, "on_conflict", 11) != 0)
            err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(a, "/%s", name),
                         "Unknown query parameter \"%s\": bulk insert takes returning=id and "
                         "on_conflict, on_conflict_update, on_conflict_action.",
                         name);
    }
    if (m && returning && !http__key_readable(req, m)) /* security: a read list */
        err_add_item(&err, ERR_BAD_REQUEST, "/returning",
                     "Your role may not read the key of %s.", m->resource);
    orm_conflict conflict;
    bool upsert = false;
    if (m && !err_is_set(&err))
        http__api_conflict(req, m, &conflict, &upsert, &err);
    if (m && !err_is_set(&err) && !json_is_array(body))
        err_add_item(&err, ERR_VALIDATION, "", "A bulk insert body is a JSON array of objects.");
    if (!m || err_is_set(&err)) {
        http_reply_problem(req, &err);
        return;
    }
    dto_bulk rows;
    orm_bulk_result done;
    /* Every row is validated before anything is sent: every bad row is
     * reported and nothing is inserted. */
    if (!http__api_writable(req, m, body, "", &err) ||
        !dto_bulk_rows(m, body, NULL, a, &rows, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    orm_session_last_write_next(s); /* one batch: one INSERT, no BEGIN/COMMIT */
    if (!orm_bulk_insert(s, m, rows.columns, rows.n_columns, rows.values, rows.defaults,
                         rows.n_rows, upsert ? &conflict : NULL, returning, &done, &err)) {
        /* Rolled back first: finding the row that broke a constraint is a
         * read, and a multi-batch insert's transaction is aborted. */
        orm_session_rollback(s);
        http__api_fail(req, m, http__api_rows_pointer(req, s, m, &rows, "", &err), &err);
        return;
    }
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    jsonw_key(w, "inserted");
    jsonw_integer(w, (long long) (upsert ? done.inserted : (int64_t) rows.n_rows));
    if (upsert) {
        jsonw_key(w, "updated");
        jsonw_integer(w, (long long) done.updated);
    }
    if (returning) {
        jsonw_key(w, "ids");
        jsonw_array_begin(w);
        for (size_t r = 0; r < done.n_keys; r++) {
            if (m->n_pk > 1)
                jsonw_array_begin(w);
            for (size_t k = 0; k < m->n_pk; k++)
                dto_write_column(w, m->columns[m->pk[k]], done.keys[r][k]);
            if (m->n_pk > 1)
                jsonw_array_end(w);
        }
        jsonw_array_end(w);
    }
    jsonw_object_end(w);
    http_reply_written(req, 201);
}

/* The bulk body's keys are only those named (allowed, NULL-ended). */
static void only_keys(arena *a, const json_t *body, const char *const *allowed,
                      const char *what, err_report *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) body, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(key, allowed[i]) != 0)
            i++;
        if (!allowed[i])
            err_add_item(err, ERR_BAD_REQUEST, arena_sprintf(a, "/%s", key),
                         "Unknown key \"%s\": %s.", key, what);
    }
}

/* A bulk update or delete never means every row: its where is required
 * and non-empty. */
static void where_required(const json_t *where, const char *pointer, const char *verb,
                           const char *gerund, err_report *err)
{
    if (!json_is_object(where) || json_object_size(where) == 0)
        err_add_item(err, ERR_BAD_REQUEST, pointer,
                     "A bulk %s needs a non-empty where document; %s every row is refused.",
                     verb, gerund);
}

/* {"<counted>": n}, the answer of a bulk update or delete. */
static void reply_count(http_request *req, const char *counted, int64_t n)
{
    jsonw *w = http_reply_writer(req);
    jsonw_object_begin(w);
    jsonw_key(w, counted);
    jsonw_integer(w, (long long) n);
    jsonw_object_end(w);
    http_reply_written(req, 200);
}

void http__api_bulk_update(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    arena *a = http_req_arena(req);
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    const json_t *doc = http_req_json(req);
    if (m && !json_is_object(doc))
        err_add_item(&err, ERR_VALIDATION, "",
                     "A bulk update body is an object with where and values.");
    if (!m || err_is_set(&err)) {
        http_reply_problem(req, &err);
        return;
    }
    static const char *const KEYS[] = {"where", "values", NULL};
    only_keys(a, doc, KEYS, "a bulk update takes where and values", &err);
    const json_t *where = json_object_get(doc, "where");
    where_required(where, "/where", "update", "updating", &err);
    query_limits lim = http__api_limits(req);
    query_doc q;
    size_t *columns = NULL, n = 0;
    const char **values = NULL;
    int64_t updated = 0;
    orm_session_last_write_next(s); /* one UPDATE: no BEGIN/COMMIT */
    /* The values are only looked at once the where document is sound. */
    bool ok = !err_is_set(&err) && query_where_model(m, a, where, "/where", &lim, &q, &err) &&
              http__api_writable(req, m, json_object_get(doc, "values"), "/values", &err) &&
              dto_bulk_values(m, json_object_get(doc, "values"), "/values", a, &columns,
                              &values, &n, &err) &&
              orm_bulk_update(s, m, q.from, q.where, columns, values, n, &updated, &err);
    if (!ok) {
        http__api_fail(req, m, "/values", &err);
        return;
    }
    reply_count(req, "updated", updated);
}

/* DELETE /api/{resource}?where=<where document> or with a body
 * {"where": {...}}: every row the (required, non-empty) where selects, in
 * one statement; {"deleted": n}. */
void http__api_bulk_delete(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    arena *a = http_req_arena(req);
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    const json_t *body = http_req_json(req);
    const json_t *where = NULL;
    const char *pointer = "/where";
    json_t *parsed = NULL;
    for (size_t i = 0; m && i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strcmp(name, "where") != 0) {
            err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(a, "/%s", name),
                         "Unknown query parameter \"%s\": a bulk delete takes where (or a body "
                         "{\"where\": ...}).",
                         name);
            continue;
        }
        json_error_t jerr;
        parsed = json_loads(value, JSON_REJECT_DUPLICATES, &jerr);
        if (!parsed)
            err_add_item(&err, ERR_BAD_REQUEST, "/where", "where is not valid JSON: %s.",
                         jerr.text);
        else
            jsonw_arena_new(a, parsed);
        where = parsed;
    }
    if (m && body) {
        if (where)
            err_add_item(&err, ERR_BAD_REQUEST, "/where",
                         "Give the where document once: as a query parameter or in the body.");
        else if (!json_is_object(body))
            err_add_item(&err, ERR_VALIDATION, "", "A bulk delete body is {\"where\": {...}}.");
        else {
            static const char *const KEYS[] = {"where", NULL};
            only_keys(a, body, KEYS, "a bulk delete body has only where", &err);
            where = json_object_get(body, "where");
        }
    }
    if (m && !err_is_set(&err))
        where_required(where, pointer, "delete", "deleting", &err);
    if (!m || err_is_set(&err)) {
        http_reply_problem(req, &err);
        return;
    }
    query_doc q;
    int64_t deleted = 0;
    query_limits lim = http__api_limits(req);
    if (!query_where_model(m, a, where, pointer, &lim, &q, &err) ||
        !orm_bulk_delete(s, m, q.from, q.where, &deleted, &err)) {
        http__api_describe_delete_conflict(m, &err);
        http_reply_problem(req, &err);
        return;
    }
    reply_count(req, "deleted", deleted);
}
