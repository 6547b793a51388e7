/*
 * The upsert options of a request (SPEC.md §5 "upsert"): query parameters
 * of POST /api/{r} and POST /api/{r}/bulk, or a transaction create's
 * "on_conflict" object, into an orm_conflict. The ORM checks the target
 * against the model's unique constraints.
 */
#include <string.h>

#include "http_int.h"

/* "a,b" into column indexes; false (with an item at pointer) for an
 * unknown column. */
static bool column_list(arena *a, const orm_mapper *m, const char *text, const char *pointer,
                        size_t **out, size_t *n, err_report *err)
{
    *out = ARENA_ARRAY(a, size_t, m->n_columns + 1);
    *n = 0;
    bool ok = true;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        char *name = arena_alloc(a, len + 1);
        memcpy(name, p, len);
        int c = len ? orm_mapper_column(m, name) : -1;
        if (c < 0) {
            err_add_item(err, ERR_BAD_REQUEST, pointer, "\"%s\" is not a column of %s.", name,
                         m->resource);
            ok = false;
        } else if (*n < m->n_columns) {
            (*out)[(*n)++] = (size_t) c;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return ok;
}

bool http__api_conflict(http_request *req, const orm_mapper *m, orm_conflict *out,
                        bool *wanted, err_report *err)
{
    arena *a = http_req_arena(req);
    *out = (orm_conflict){0};
    const char *target = http_req_query(req, "on_conflict");
    const char *update = http_req_query(req, "on_conflict_update");
    const char *action = http_req_query(req, "on_conflict_action");
    *wanted = target != NULL;
    if (!target) {
        if (update || action)
            err_add_item(err, ERR_BAD_REQUEST, update ? "/on_conflict_update" : "/on_conflict_action",
                         "on_conflict_update and on_conflict_action need on_conflict (the "
                         "conflict target; empty for the primary key).");
        return !err_is_set(err);
    }
    size_t *cols, *upd;
    size_t n, n_upd = 0;
    bool ok = column_list(a, m, target, "/on_conflict", &cols, &n, err);
    out->target = cols;
    out->n_target = n;
    if (action) {
        if (strcmp(action, "nothing") != 0) {
            err_add_item(err, ERR_BAD_REQUEST, "/on_conflict_action",
                         "on_conflict_action takes \"nothing\" (keep the existing row).");
            ok = false;
        }
        if (update) {
            err_add_item(err, ERR_BAD_REQUEST, "/on_conflict_update",
                         "on_conflict_update and on_conflict_action=nothing exclude each other.");
            ok = false;
        }
        out->do_nothing = true;
    } else if (update) {
        ok &= column_list(a, m, update, "/on_conflict_update", &upd, &n_upd, err);
        if (!n_upd && ok) {
            err_add_item(err, ERR_BAD_REQUEST, "/on_conflict_update",
                         "on_conflict_update names the columns to overwrite.");
            ok = false;
        }
        out->update = upd;
        out->n_update = n_upd;
    }
    return ok && orm_conflict_check(m, out, "/on_conflict", err);
}

/* ["a", "b"] into column indexes. */
static bool json_columns(arena *a, const orm_mapper *m, const json_t *list, const char *pointer,
                         size_t **out, size_t *n, err_report *err)
{
    *out = ARENA_ARRAY(a, size_t, json_array_size(list) + 1);
    *n = 0;
    if (!json_is_array(list)) {
        err_add_item(err, ERR_BAD_REQUEST, pointer, "An array of column names is expected.");
        return false;
    }
    bool ok = true;
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        int c = json_is_string(v) ? orm_mapper_column(m, json_string_value(v)) : -1;
        if (c < 0) {
            err_add_item(err, ERR_BAD_REQUEST, arena_sprintf(a, "%s/%zu", pointer, i),
                         "Not a column of %s.", m->resource);
            ok = false;
        } else {
            (*out)[(*n)++] = (size_t) c;
        }
    }
    return ok;
}

bool http__api_conflict_json(arena *a, const orm_mapper *m, const json_t *spec,
                             const char *pointer, orm_conflict *out, err_report *err)
{
    *out = (orm_conflict){0};
    if (!json_is_object(spec)) {
        err_add_item(err, ERR_BAD_REQUEST, pointer,
                     "on_conflict is an object: {\"target\": [...], \"update\": [...]} or "
                     "{\"target\": [...], \"action\": \"nothing\"}.");
        return false;
    }
    bool ok = true;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) spec, key, v)
    {
        if (strcmp(key, "target") && strcmp(key, "update") && strcmp(key, "action")) {
            err_add_item(err, ERR_BAD_REQUEST, arena_sprintf(a, "%s/%s", pointer, key),
                         "Unknown key \"%s\": on_conflict takes target, update and action.", key);
            ok = false;
        }
    }
    size_t *cols = NULL, n = 0;
    const json_t *target = json_object_get(spec, "target");
    if (target)
        ok &= json_columns(a, m, target, arena_sprintf(a, "%s/target", pointer), &cols, &n, err);
    out->target = cols;
    out->n_target = n;
    const json_t *action = json_object_get(spec, "action");
    const json_t *update = json_object_get(spec, "update");
    if (action) {
        if (!json_is_string(action) || strcmp(json_string_value(action), "nothing") != 0 ||
            update) {
            err_add_item(err, ERR_BAD_REQUEST, arena_sprintf(a, "%s/action", pointer),
                         "action takes \"nothing\", and excludes update.");
            ok = false;
        }
        out->do_nothing = true;
    } else if (update) {
        size_t *upd = NULL, n_upd = 0;
        ok &= json_columns(a, m, update, arena_sprintf(a, "%s/update", pointer), &upd, &n_upd,
                           err);
        out->update = upd;
        out->n_update = n_upd;
    }
    return ok && orm_conflict_check(m, out, arena_sprintf(a, "%s/target", pointer), err);
}
