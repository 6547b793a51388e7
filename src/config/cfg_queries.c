/*
 * cfg_queries — the "queries" section: named SQL (SQLAlchemy text()) that
 * the configuration trusts, with typed :name parameters.
 *
 *   "queries": { "top_customers": {
 *       "sql": "SELECT ... WHERE created_at >= :since LIMIT :n",
 *       "params": {"since": "timestamptz", "n": "integer"},
 *       "read_only": true,
 *       "columns": {"user_id": "uuid", "spent": "numeric"} } }
 */
#include <string.h>

#include "cfg_int.h"

static const char *const QUERY_KEYS[] = {"sql", "params", "read_only", "columns", NULL};

/* {"name": "type", ...} into a typed list; false after a problem. */
static bool typed_names(cfg__ctx *ctx, const json_t *obj, const char *ptr,
                        cfg_query_param **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!obj)
        return true;
    if (!json_is_object(obj)) {
        cfg__error(ctx, ptr, "must be an object of names and types, got %s", jsonkind_name(obj));
        return false;
    }
    cfg_query_param *list = ARENA_ARRAY(ctx->a, cfg_query_param, json_object_size(obj) + 1);
    size_t n = 0;
    bool ok = true;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) obj, key, v)
    {
        const char *p = cfg__ptr(ctx, ptr, key);
        cfg_type t;
        if (!cfg__is_identifier(key)) {
            cfg__error(ctx, p, "\"%s\" is not an identifier", key);
            ok = false;
        } else if (!json_is_string(v) || !cfg__type_from_name(json_string_value(v), &t)) {
            cfg__error(ctx, p, "the type must be one of %s", cfg__type_list());
            ok = false;
        } else {
            list[n].name = arena_strdup(ctx->a, key);
            list[n].type = t;
            n++;
        }
    }
    *out = list;
    *n_out = n;
    return ok;
}

void cfg__parse_queries(cfg__ctx *ctx, const json_t *queries, const char *ptr)
{
    if (!json_is_object(queries)) {
        cfg__error(ctx, ptr, "\"queries\" must be an object of named queries, got %s",
                   jsonkind_name(queries));
        return;
    }
    cfg_config *cfg = ctx->cfg;
    cfg->queries = ARENA_ARRAY(ctx->a, cfg_query, json_object_size(queries) + 1);
    const char *name;
    const json_t *q;
    json_object_foreach((json_t *) queries, name, q)
    {
        const char *qp = cfg__ptr(ctx, ptr, name);
        if (!cfg__is_identifier(name)) {
            cfg__error(ctx, qp, "a query name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)");
            continue;
        }
        if (!json_is_object(q)) {
            cfg__error(ctx, qp, "a query must be an object with \"sql\", got %s",
                       jsonkind_name(q));
            continue;
        }
        cfg__check_keys(ctx, q, qp, QUERY_KEYS);
        cfg_query *out = &cfg->queries[cfg->n_queries];
        out->name = arena_strdup(ctx->a, name);
        bool ok = cfg__get_string(ctx, q, qp, "sql", &out->sql);
        if (ok && !out->sql) {
            cfg__error(ctx, cfg__ptr(ctx, qp, "sql"), "a query needs its \"sql\"");
            ok = false;
        }
        ok &= cfg__get_bool(ctx, q, qp, "read_only", &out->read_only);
        ok &= typed_names(ctx, json_object_get(q, "params"), cfg__ptr(ctx, qp, "params"),
                          &out->params, &out->n_params);
        ok &= typed_names(ctx, json_object_get(q, "columns"), cfg__ptr(ctx, qp, "columns"),
                          &out->columns, &out->n_columns);
        if (ok)
            cfg->n_queries++;
    }
}

const cfg_query *cfg_query_by_name(const cfg_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_queries; i++)
        if (strcmp(cfg->queries[i].name, name) == 0)
            return &cfg->queries[i];
    return NULL;
}
