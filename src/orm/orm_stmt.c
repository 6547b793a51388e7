/*
 * orm_stmt — what every ORM statement needs: a builder in the session
 * arena, key conditions, the SELECT of one row by key, and autoflush.
 * Every statement the ORM runs goes through orm_session_execute_stmt, so
 * each is counted once for X-Query-Count.
 */
#include "orm_int.h"

sql_builder *orm__builder(orm_session *s, err_report *err)
{
    return sql_builder_new(s->arena, err);
}

bool orm__builder_ok(sql_builder *b, err_report *err)
{
    if (!sql_builder_failed(b))
        return true;
    if (!err_is_set(err))
        err_set(err, ERR_INTERNAL, "A statement could not be built.");
    return false;
}

sql_node *orm__pk_condition(sql_builder *b, const orm_mapper *m, const sql_from *from,
                            const char *const *pk_values)
{
    sql_node *eqs[CFG_MAX_PK_COLUMNS];
    for (size_t k = 0; k < m->n_pk; k++)
        eqs[k] = sql_eq(b, sql_col_of(b, from, m->columns[m->pk[k]]),
                        sql_bind(b, sql_val_str(pk_values[k])));
    return sql_and(b, eqs, m->n_pk);
}

sql_select *orm__select_row(sql_builder *b, const orm_mapper *m, sql_from **from)
{
    *from = sql_from_table(b, m->table, NULL);
    sql_select *sel = sql_select_new(b);
    for (size_t i = 0; i < m->n_columns; i++)
        sql_select_column(b, sel, sql_col_of(b, *from, m->columns[i]), NULL);
    sql_select_from(b, sel, *from);
    return sel;
}

bool orm__autoflush(orm_session *s, err_report *err)
{
    return !s->opts.autoflush || orm_session_flush(s, err);
}
