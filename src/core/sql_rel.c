/*
 * sql_rel — trees for named relations: the join condition of each hop and
 * the correlated EXISTS that relationship any/has compile to, e.g.
 *
 *   EXISTS (SELECT 1 FROM "orders" AS "orders_1"
 *           WHERE "users"."id" = "orders_1"."user_id" AND <cond>)
 *
 * and for many-to-many
 *
 *   EXISTS (SELECT 1 FROM "book_genres" JOIN "genres" AS "g"
 *           ON "book_genres"."genre_id" = "g"."id"
 *           WHERE "books"."id" = "book_genres"."book_id" AND <cond>)
 */
#include "sql_int.h"

static bool resolved(sql_builder *b, const sql_relation *rel)
{
    if (!sql__operand(b, rel, "relation"))
        return false;
    if (rel->target)
        return true;
    sql__problem(b, ERR_INTERNAL, "The relation \"%s\" is not resolved (freeze the metadata).",
                 rel->name);
    return false;
}

static sql_node *pairs_condition(sql_builder *b, const sql_column_pair *pairs, size_t n,
                                 const sql_from *local, const sql_from *remote)
{
    sql_node **eqs = ARENA_ARRAY(b->arena, sql_node *, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        eqs[i] =
            sql_eq(b, sql_col_of(b, local, pairs[i].local), sql_col_of(b, remote, pairs[i].remote));
        if (!eqs[i])
            return NULL;
    }
    return sql_and(b, eqs, n);
}

sql_node *sql_relation_condition(sql_builder *b, const sql_relation *rel, const sql_from *local,
                                 const sql_from *remote)
{
    if (!resolved(b, rel))
        return NULL;
    return pairs_condition(b, rel->on, rel->n_on, local, remote);
}

sql_node *sql_relation_secondary_condition(sql_builder *b, const sql_relation *rel,
                                           const sql_from *secondary, const sql_from *target)
{
    if (!resolved(b, rel))
        return NULL;
    if (!rel->secondary) {
        sql__problem(b, ERR_INTERNAL, "The relation \"%s\" has no secondary table.", rel->name);
        return NULL;
    }
    return pairs_condition(b, rel->secondary_on, rel->n_secondary_on, secondary, target);
}

sql_node *sql_relation_exists(sql_builder *b, const sql_relation *rel, const sql_from *outer,
                              sql_from *inner, const char *secondary_alias, sql_node *cond)
{
    if (!resolved(b, rel) || !sql__operand(b, outer, "outer FROM item") ||
        !sql__operand(b, inner, "inner FROM item"))
        return NULL;
    if (inner->table != rel->target) {
        sql__problem(b, ERR_INTERNAL, "The relation \"%s\" leads to \"%s\", not \"%s\".", rel->name,
                     rel->target->name, inner->alias);
        return NULL;
    }
    sql_select *s = sql_select_new(b);
    sql_node *path;
    if (rel->secondary) {
        sql_from *sec = sql_from_table(b, rel->secondary, secondary_alias);
        if (!sql_select_from(b, s, sec) ||
            !sql_select_join(b, s, SQL_JOIN_INNER, inner,
                             sql_relation_secondary_condition(b, rel, sec, inner)))
            return NULL;
        path = sql_relation_condition(b, rel, outer, sec);
    } else {
        if (!sql_select_from(b, s, inner))
            return NULL;
        path = sql_relation_condition(b, rel, outer, inner);
    }
    if (!sql_select_where(b, s, path) || (cond && !sql_select_where(b, s, cond)))
        return NULL;
    return sql_exists_select(b, s);
}
