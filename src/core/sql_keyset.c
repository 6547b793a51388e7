/*
 * sql_keyset — the WHERE condition of a keyset (cursor) page: the rows
 * that sort strictly after the last row of the previous page, for any
 * ORDER BY (mixed directions, NULLS FIRST/LAST).
 *
 * A row-value comparison ((a, b) > ($1, $2)) would be shorter, but it
 * only fits when every key has the same direction and no NULLs; the
 * expanded form below is correct for all of them, and the extra range on
 * the first key keeps an index on it usable.
 */
#include "sql_int.h"

/* PostgreSQL's default: NULLS LAST for ASC, NULLS FIRST for DESC. */
static bool nulls_last(const sql_keyset_key *k)
{
    if (k->nulls == SQL_NULLS_DEFAULT)
        return !k->desc;
    return k->nulls == SQL_NULLS_LAST;
}

/* No row sorts after a NULL boundary value unless NULLs come first (then
 * every non-NULL value does). */
static bool has_after(const sql_keyset_key *k)
{
    return k->value.kind != SQL_VAL_NULL || (k->nullable && !nulls_last(k));
}

/* "expr sorts after value" for one key (has_after(k) holds). */
static sql_node *after(sql_builder *b, const sql_keyset_key *k)
{
    if (k->value.kind == SQL_VAL_NULL)
        return sql_is_not_null(b, k->expr);
    sql_node *cmp = sql_binary(b, k->desc ? SQL_OP_LT : SQL_OP_GT, k->expr, sql_bind(b, k->value));
    if (k->nullable && nulls_last(k))
        return sql_or2(b, cmp, sql_is_null(b, k->expr));
    return cmp;
}

static sql_node *equal(sql_builder *b, const sql_keyset_key *k)
{
    if (k->value.kind == SQL_VAL_NULL)
        return sql_is_null(b, k->expr);
    return sql_eq(b, k->expr, sql_bind(b, k->value));
}

sql_node *sql_keyset_after(sql_builder *b, const sql_keyset_key *keys, size_t n)
{
    if (!n || !keys) {
        sql__problem(b, ERR_INTERNAL, "A keyset condition needs at least one key.");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!sql__expr_operand(b, keys[i].expr, "keyset key"))
            return NULL;

    /* The walker meets parameters in the compiler's order, so values are
     * bound as the terms are built, left to right. */
    sql_node *range = NULL;
    const sql_keyset_key *k0 = &keys[0];
    if (k0->value.kind != SQL_VAL_NULL && (!k0->nullable || !nulls_last(k0)))
        range = sql_binary(b, k0->desc ? SQL_OP_LE : SQL_OP_GE, k0->expr, sql_bind(b, k0->value));

    sql_node **terms = ARENA_ARRAY(sql_builder_arena(b), sql_node *, n);
    size_t n_terms = 0;
    for (size_t i = 0; i < n; i++) {
        /* Build the prefix only when the term exists, so no parameter is
         * bound for a term that is dropped. */
        if (!has_after(&keys[i]))
            continue;
        sql_node **parts = ARENA_ARRAY(sql_builder_arena(b), sql_node *, i + 1);
        for (size_t j = 0; j < i; j++)
            parts[j] = equal(b, &keys[j]);
        parts[i] = after(b, &keys[i]);
        terms[n_terms++] = sql_and(b, parts, i + 1);
    }
    sql_node *cond = sql_or(b, terms, n_terms); /* FALSE when there is none */
    return range ? sql_and2(b, range, cond) : cond;
}
