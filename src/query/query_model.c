/*
 * query_model — the query language for callers that build no Core trees
 * (the HTTP handlers): a document, GET parameters or a where document of a
 * mapper translated over a FROM item of its table made here, and the rows
 * of an aggregate query run through the session.
 */
#include "query_int.h"

/* A builder in a and the FROM item of m's table, reporting to err. */
static sql_from *model_from(const orm_mapper *m, arena *a, sql_builder **b, err_report *err)
{
    *b = sql_builder_new(a, err);
    return sql_from_table(*b, m->table, NULL);
}

bool query_parse_model(const orm_mapper *m, arena *a, const json_t *doc, const query_limits *lim,
                       query_doc *out, err_report *err)
{
    sql_builder *b;
    sql_from *from = model_from(m, a, &b, err);
    return query_parse(b, from, doc, lim, out, err);
}

bool query_parse_params_model(const orm_mapper *m, arena *a, const char *const *names,
                              const char *const *values, size_t n, const query_limits *lim,
                              query_doc *out, err_report *err)
{
    sql_builder *b;
    sql_from *from = model_from(m, a, &b, err);
    return query_parse_params(b, from, names, values, n, lim, out, err);
}

bool query_where_model(const orm_mapper *m, arena *a, const json_t *where,
                       const char *pointer_prefix, const query_limits *lim, query_doc *out,
                       err_report *err)
{
    sql_builder *b;
    sql_from *from = model_from(m, a, &b, err);
    *out = (query_doc){.from = from};
    out->where = query_where(b, from, where, pointer_prefix, lim, err);
    return out->where != NULL;
}

eng_result *query_rows(orm_session *s, const query_doc *q, int64_t *count, err_report *err)
{
    *count = -1;
    sql_builder *b = sql_builder_new(orm_session_arena(s), err);
    sql_from *from = (sql_from *) q->from;
    sql_select *sel = query_select(b, from, q, err);
    eng_result *r = sel ? orm_session_execute_stmt(s, SQL_NODE(sel), err) : NULL;
    if (!r || !q->count)
        return r;
    sql_select *cs = query_count_select(b, from, q, err);
    return cs && orm_session_count(s, cs, count, err) ? r : NULL;
}
