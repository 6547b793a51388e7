/*
 * query_rowfilter — the ORM's row-filter callback (orm_session_options.
 * row_filter, applied to every statement by orm_rowfilter.c) over where
 * documents: the caller (http) says per model which rows the session may
 * use — all, none, or those matching a where document whose claims it has
 * already substituted — and this file translates that document over each
 * FROM item the ORM hands over. A document that cannot be translated (a
 * claim of the wrong type for its column) matches no row: no guess.
 */
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
