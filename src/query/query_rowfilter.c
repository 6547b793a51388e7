/*
 * query_rowfilter — the ORM's row-filter callback (orm_session_options.
 * row_filter, applied to every statement by orm_rowfilter.c) over where
 * documents: the caller (http) says per model which rows the session may
 * use — all, none, or those matching a where document whose claims it has
 * already substituted — and this file translates that document over each
 * FROM item the ORM hands over. A document that cannot be translated (a
 * claim of the wrong type for its column) matches no row: no guess.
 *
 * At start-up every "rows" document is translated once with its claims
 * as placeholders (query_row_filters_check), so a misspelt column,
 * relationship or operator stops the server instead of hiding every row.
 */
#include <string.h>

#include "query.h"

#include "log.h"
#include "sql.h"

sql_node *query_row_filter(void *ctx, sql_builder *b, const sql_table *t, const sql_from *from,
                           err_report *err)
{
    (void) err;
    const query_row_policy *p = ctx;
    const orm_mapper *m = p->registry ? orm_mapper_by_resource(p->registry, t->name) : NULL;
    if (!m)
        return NULL;
    json_t *doc = NULL;
    switch (p->rows_of(p->ctx, m, &doc)) {
    case QUERY_ROWS_ALL: return NULL;
    case QUERY_ROWS_NONE: return sql_lit(b, SQL_LIT_FALSE);
    case QUERY_ROWS_WHERE: break;
    }
    err_report ferr;
    err_init(&ferr, sql_builder_arena(b));
    sql_builder *fb = sql_builder_new(sql_builder_arena(b), &ferr);
    sql_node *cond = query_where(fb, from, doc, "", NULL, &ferr);
    json_decref(doc);
    if (err_is_set(&ferr)) {
        log_warn("the row filter on %s cannot be used (%s): no rows", t->name,
                 ferr.n_items ? ferr.items[0].detail : ferr.detail ? ferr.detail : "");
        return sql_lit(b, SQL_LIT_FALSE);
    }
    return cond;
}

bool query_row_filters_check(const orm_registry *reg, arena *a, err_report *err)
{
    bool ok = true;
    const cfg_config *cfg = orm_registry_config(reg);
    for (size_t i = 0; i < cfg->n_models; i++) {
        const cfg_model *model = &cfg->models[i];
        const orm_mapper *m = orm_mapper_by_name(reg, model->name);
        for (size_t k = 0; m && k < model->n_permissions; k++) {
            const cfg_permission *p = &model->permissions[k];
            if (!p->rows_json)
                continue;
            const char *ptr = err_pointer_join(a, "/models", model->name);
            ptr = err_pointer_join(a, ptr, "permissions");
            ptr = err_pointer_join(a, err_pointer_join(a, ptr, p->role), "rows");
            json_t *doc = json_loads(p->rows_json, 0, NULL);
            err_report one;
            err_init(&one, a);
            query_limits lim = {.claim_placeholders = true};
            query_doc out;
            query_where_model(m, a, doc, ptr, &lim, &out, &one);
            json_decref(doc);
            if (!err_is_set(&one))
                continue;
            ok = false;
            for (size_t e = 0; e < one.n_items; e++)
                err_add_item(err, ERR_CONFIG, one.items[e].pointer, "%s", one.items[e].detail);
            if (!one.n_items)
                err_add_item(err, ERR_CONFIG, ptr, "%s", one.detail ? one.detail : one.title);
        }
    }
    return ok;
}
