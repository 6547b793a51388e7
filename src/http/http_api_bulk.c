/*
 * Bulk writes through Core (rows, no identity map): POST
 * /api/{resource}/bulk inserts a JSON array with multi-row INSERTs, one
 * round trip per batch, all rows or none; PATCH /api/{resource} updates
 * every row a required, non-empty where document selects.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

/* Rows per INSERT: as many as the protocol's parameter limit allows, but
 * no more than this, so a batch stays a reasonable statement. */
enum { BULK_MAX_ROWS_PER_BATCH = 1000 };

/* The columns any row names, in model order: the INSERT's column list;
 * plus the version column, which rows never name but which starts at 1,
 * and columns with a client-side default, which the ORM would fill.
 * Unknown names are left for dto_row_values to report. */
static size_t used_columns(const orm_mapper *m, const json_t *rows, size_t *cols)
{
    size_t n = 0;
    for (size_t c = 0; c < m->n_columns; c++) {
        const char *name = m->model->columns[c].name;
        if ((int) c == m->version || (m->has_default && m->has_default[c])) {
            cols[n++] = c;
            continue;
        }
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            if (json_object_get(row, name)) {
                cols[n++] = c;
                break;
            }
        }
    }
    return n;
}

static bool insert_batch(orm_session *s, const orm_mapper *m, const size_t *cols, size_t n_cols,
                         const char ***values, bool **defaults, size_t first, size_t count,
                         bool returning, json_t *ids, err_report *err)
{
    arena *a = orm_session_arena(s);
    sql_builder *b = sql_builder_new(a, err);
    sql_from *target = sql_from_table(b, m->table, NULL);
    const sql_column **columns = ARENA_ARRAY(a, const sql_column *, n_cols);
    for (size_t c = 0; c < n_cols; c++)
        columns[c] = m->columns[cols[c]];
    sql_insert *ins = sql_insert_new(b, target, columns, n_cols);
    sql_node **row = ARENA_ARRAY(a, sql_node *, n_cols);
    for (size_t r = first; r < first + count; r++) {
        for (size_t c = 0; c < n_cols; c++)
            row[c] = defaults[r][c] ? sql_lit(b, SQL_LIT_DEFAULT)
                                    : sql_bind(b, values[r][c] ? sql_val_str(values[r][c])
                                                               : sql_val_null());
        sql_insert_row(b, ins, row);
    }
    if (returning)
        for (size_t k = 0; k < m->n_pk; k++)
            sql_insert_returning(b, ins, sql_col_of(b, target, m->columns[m->pk[k]]), NULL);
    eng_result *res = orm_session_execute_stmt(s, SQL_NODE(ins), err);
    if (!res)
        return false;
    if (returning) {
        for (int r = 0; r < eng_result_rows(res); r++) {
            if (m->n_pk == 1) {
                json_array_append_new(ids, dto_cell(res, r, 0));
                continue;
            }
            json_t *key = json_array();
            for (int k = 0; k < (int) m->n_pk; k++)
                json_array_append_new(key, dto_cell(res, r, k));
            json_array_append_new(ids, key);
        }
    }
    return true;
}

void http__api_bulk_insert(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    arena *a = http_req_arena(req);
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    const json_t *rows = http_req_json(req);
    bool returning = false;
    for (size_t i = 0; m && i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strcmp(name, "returning") == 0 && strcmp(value, "id") == 0)
            returning = true;
        else
            err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(a, "/%s", name),
                         "Unknown query parameter \"%s\": bulk insert takes returning=id.", name);
    }
    if (m && !err_is_set(&err) && !json_is_array(rows))
        err_add_item(&err, ERR_VALIDATION, "", "A bulk insert body is a JSON array of objects.");
    if (!m || err_is_set(&err)) {
        http_reply_problem(req, &err);
        return;
    }
    size_t n = json_array_size(rows);
    size_t *cols = ARENA_ARRAY(a, size_t, m->n_columns + 1);
    size_t n_cols = used_columns(m, rows, cols);
    const char ***values = ARENA_ARRAY(a, const char **, n + 1);
    bool **defaults = ARENA_ARRAY(a, bool *, n + 1);
    /* Every row is validated before anything is sent: the first bad row
     * is reported and nothing is inserted. */
    for (size_t i = 0; i < n; i++) {
        const char *prefix = arena_sprintf(a, "/%zu", i);
        if (!dto_row_values(m, json_array_get(rows, i), prefix, cols, n_cols, a, &values[i],
                            &defaults[i], &err)) {
            http_reply_problem(req, &err);
            return;
        }
    }
    size_t per_batch = n_cols ? SQL_MAX_PARAMS / n_cols : BULK_MAX_ROWS_PER_BATCH;
    if (per_batch > BULK_MAX_ROWS_PER_BATCH)
        per_batch = BULK_MAX_ROWS_PER_BATCH;
    json_t *ids = returning ? json_array() : NULL;
    bool ok = true;
    for (size_t first = 0; ok && first < n; first += per_batch) {
        size_t count = n - first < per_batch ? n - first : per_batch;
        ok = insert_batch(s, m, cols, n_cols, values, defaults, first, count, returning, ids,
                          &err);
    }
    if (!ok || !orm_session_commit(s, &err)) {
        json_decref(ids);
        orm_session_rollback(s);
        http__api_fail(req, m, "", &err);
        return;
    }
    json_t *out = json_pack("{s:I}", "inserted", (json_int_t) n);
    if (ids)
        json_object_set_new(out, "ids", ids);
    http_reply_json(req, 201, out);
}

/* SET values of a bulk update, each validated against its column. The
 * version column, when there is one, is bumped so that ETags change. */
static bool bulk_set(sql_builder *b, const orm_mapper *m, sql_update *u, sql_from *target,
                     const json_t *values, err_report *err)
{
    arena *a = sql_builder_arena(b);
    if (!json_is_object(values) || json_object_size(values) == 0) {
        err_add_item(err, ERR_VALIDATION, "/values",
                     "values must be an object naming at least one field.");
        return false;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) values, key, v)
    {
        const char *pointer = arena_sprintf(a, "/values/%s", key);
        int c = orm_mapper_column(m, key);
        if (c < 0) {
            err_add_item(err, ERR_VALIDATION, pointer, "Unknown field \"%s\" on %s.", key,
                         m->resource);
            continue;
        }
        const cfg_column *cc = &m->model->columns[c];
        if (cc->read_only || cc->primary_key || c == m->version) {
            err_add_item(err, ERR_VALIDATION, pointer, "%s cannot be set by a bulk update.", key);
            continue;
        }
        sql_value val;
        if (orm_value_json(b, m->columns[c], v, pointer, &val, err))
            sql_update_set(b, u, m->columns[c], sql_bind(b, val));
    }
    if (m->version >= 0) {
        const sql_column *vc = m->columns[m->version];
        sql_update_set(b, u, vc,
                       sql_binary(b, SQL_OP_ADD, sql_col_of(b, target, vc),
                                  sql_bind(b, sql_val_int(1))));
    }
    return !err_is_set(err);
}

void http__api_bulk_update(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
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
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) doc, key, v)
    {
        if (strcmp(key, "where") != 0 && strcmp(key, "values") != 0)
            err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(http_req_arena(req), "/%s", key),
                         "Unknown key \"%s\": a bulk update takes where and values.", key);
    }
    const json_t *where = json_object_get(doc, "where");
    if (!json_is_object(where) || json_object_size(where) == 0)
        err_add_item(&err, ERR_BAD_REQUEST, "/where",
                     "A bulk update needs a non-empty where document; updating every row is "
                     "refused.");
    sql_builder *b = sql_builder_new(http_req_arena(req), &err);
    sql_from *target = sql_from_table(b, m->table, NULL);
    sql_update *u = sql_update_new(b, target);
    query_limits lim = http__api_limits(http_req_app(req));
    sql_node *cond = err_is_set(&err) ? NULL : query_where(b, target, where, "/where", &lim, &err);
    if (cond)
        sql_update_where(b, u, cond);
    eng_result *r = NULL;
    if (cond && bulk_set(b, m, u, target, json_object_get(doc, "values"), &err))
        r = orm_session_execute_stmt(s, SQL_NODE(u), &err);
    if (!r || !orm_session_commit(s, &err)) {
        orm_session_rollback(s);
        http__api_fail(req, m, "/values", &err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:I}", "updated", (json_int_t) eng_result_affected(r)));
}
