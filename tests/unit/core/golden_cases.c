/*
 * Golden compiler cases: one builder function per construct, the exact
 * SQL it must produce and every parameter. Add a case: write the builder,
 * add a row to the table at the bottom.
 */
#include "golden_cases.h"

#define B (fx->b)
#define PARAMS(...)                                                                                \
    .params = (const char *const[]){__VA_ARGS__},                                                  \
    .n_params = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)
#define NODES(...)                                                                                 \
    (sql_node *[]){__VA_ARGS__}, sizeof((sql_node *[]){__VA_ARGS__}) / sizeof(sql_node *)
#define COLS(...)                                                                                  \
    (const sql_column *const[]){__VA_ARGS__},                                                      \
        sizeof((const sql_column *const[]){__VA_ARGS__}) / sizeof(const sql_column *)

static const char UUID1[] = "0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69";
static const char UUID2[] = "5f0e8f3c-9d1b-4c8e-a0b2-7c6d5e4f3a21";

static sql_from *from(fixture *fx, const sql_table *t, const char *alias)
{
    return sql_from_table(B, t, alias);
}

static sql_node *col(fixture *fx, const sql_from *f, const char *name)
{
    return sql_col(B, f, name);
}

static sql_node *pstr(fixture *fx, const char *s)
{
    return sql_bind(B, sql_val_str(s));
}

static sql_node *pint(fixture *fx, int64_t i)
{
    return sql_bind(B, sql_val_int(i));
}

static sql_node *op(fixture *fx, sql_op o, sql_node *l, sql_node *r)
{
    return sql_binary(B, o, l, r);
}

static sql_select *select_from(fixture *fx, sql_from *f)
{
    sql_select *s = sql_select_new(B);
    sql_select_from(B, s, f);
    return s;
}

static void item(fixture *fx, sql_select *s, sql_node *e, const char *label)
{
    sql_select_column(B, s, e, label);
}

/* ==== SELECT basics =================================================== */

static sql_node *select_columns(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    item(fx, s, col(fx, u, "email"), "mail");
    return SQL_NODE(s);
}

static sql_node *select_star_alias(fixture *fx)
{
    sql_select *s = select_from(fx, from(fx, fx->users, "u"));
    item(fx, s, sql_star(B), NULL);
    return SQL_NODE(s);
}

static sql_node *select_alias_same_as_table(fixture *fx)
{
    sql_from *u = from(fx, fx->users, "users");
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    return SQL_NODE(s);
}

static sql_node *select_distinct(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *s = select_from(fx, o);
    sql_select_distinct(B, s);
    item(fx, s, col(fx, o, "status"), NULL);
    return SQL_NODE(s);
}

static sql_node *select_no_from(fixture *fx)
{
    sql_select *s = sql_select_new(B);
    item(fx, s, sql_call(B, SQL_FN_NOW, NULL, 0), "now");
    return SQL_NODE(s);
}

static sql_node *where_eq(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_where(B, s, sql_eq(B, col(fx, u, "email"), pstr(fx, "a@b.c")));
    return SQL_NODE(s);
}

static sql_node *where_comparisons(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, "o");
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "id"), NULL);
    sql_select_where(B, s, op(fx, SQL_OP_NE, col(fx, o, "status"), pstr(fx, "cancelled")));
    sql_select_where(B, s, op(fx, SQL_OP_LT, col(fx, o, "total"), pstr(fx, "100.00")));
    sql_select_where(B, s, op(fx, SQL_OP_LE, col(fx, o, "total"), pstr(fx, "99.99")));
    sql_select_where(B, s, op(fx, SQL_OP_GT, col(fx, o, "version"), pint(fx, 1)));
    sql_select_where(B, s, op(fx, SQL_OP_GE, col(fx, o, "version"), pint(fx, 2)));
    return SQL_NODE(s);
}

static sql_node *where_like_ilike(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_where(
        B, s,
        sql_and(B, NODES(op(fx, SQL_OP_LIKE, col(fx, u, "email"), pstr(fx, "%@example.com")),
                         op(fx, SQL_OP_ILIKE, col(fx, u, "name"), pstr(fx, "a%")),
                         op(fx, SQL_OP_NOT_LIKE, col(fx, u, "email"), pstr(fx, "%.test")),
                         op(fx, SQL_OP_NOT_ILIKE, col(fx, u, "name"), pstr(fx, "bot%")))));
    return SQL_NODE(s);
}

/* ==== IN / NOT IN ===================================================== */

static sql_node *where_in_uuid(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_value ids[] = {sql_val_str(UUID1), sql_val_str(UUID2)};
    sql_select_where(B, s, sql_in(B, col(fx, u, "id"), ids, 2));
    return SQL_NODE(s);
}

static sql_node *where_not_in_text(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "id"), NULL);
    sql_value st[] = {sql_val_str("paid"), sql_val_str("shipped")};
    sql_select_where(B, s, sql_not_in(B, col(fx, o, "status"), st, 2));
    return SQL_NODE(s);
}

static sql_node *where_in_int(fixture *fx)
{
    sql_from *bk = from(fx, fx->books, NULL);
    sql_select *s = select_from(fx, bk);
    item(fx, s, col(fx, bk, "title"), NULL);
    sql_value ids[] = {sql_val_int(1), sql_val_int(2), sql_val_int(3)};
    sql_select_where(B, s, sql_in(B, col(fx, bk, "id"), ids, 3));
    return SQL_NODE(s);
}

static sql_node *where_in_empty(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_where(B, s, sql_in(B, col(fx, u, "id"), NULL, 0));
    return SQL_NODE(s);
}

static sql_node *where_in_quoting(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_value v[] = {sql_val_str("a\"b"), sql_val_str("c\\d"), sql_val_str("e,f"),
                     sql_val_null(),      sql_val_str("NULL"), sql_val_str(""),
                     sql_val_str("{x}"),  sql_val_str(" sp ")};
    sql_select_where(B, s, sql_in(B, col(fx, u, "name"), v, 8));
    return SQL_NODE(s);
}

static sql_node *where_in_expression(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_value v[] = {sql_val_str("a@b.c")};
    sql_select_where(B, s, sql_in(B, sql_call1(B, SQL_FN_LOWER, col(fx, u, "email")), v, 1));
    return SQL_NODE(s);
}

/* ==== NULL tests, BETWEEN, boolean structure ========================== */

static sql_node *where_null_tests(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_where(B, s, sql_is_null(B, col(fx, u, "name")));
    sql_select_where(B, s, sql_is_not_null(B, col(fx, u, "created_at")));
    return SQL_NODE(s);
}

static sql_node *where_between(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "id"), NULL);
    sql_select_where(B, s,
                     sql_is_between(B, col(fx, o, "created_at"), pstr(fx, "2026-01-01T00:00:00Z"),
                                    pstr(fx, "2026-02-01T00:00:00Z")));
    sql_select_where(
        B, s,
        sql_negate(B, sql_is_between(B, col(fx, o, "total"), pstr(fx, "1.00"), pstr(fx, "9.99"))));
    return SQL_NODE(s);
}

/* SPEC.md §2's query document, by hand. */
static sql_node *where_spec_document(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    item(fx, s, col(fx, u, "email"), NULL);
    sql_value ids[] = {sql_val_str(UUID1)};
    sql_select_where(
        B, s,
        sql_and(B, NODES(op(fx, SQL_OP_LIKE, col(fx, u, "email"), pstr(fx, "%@example.com")),
                         sql_or(B, NODES(op(fx, SQL_OP_ILIKE, col(fx, u, "name"), pstr(fx, "a%")),
                                         op(fx, SQL_OP_GE, col(fx, u, "created_at"),
                                            pstr(fx, "2026-01-01T00:00:00Z")))),
                         sql_negate(B, sql_in(B, col(fx, u, "id"), ids, 1)))));
    sql_select_order_by(B, s, col(fx, u, "created_at"), true, SQL_NULLS_DEFAULT);
    sql_select_order_by(B, s, col(fx, u, "id"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(B, s, 20);
    sql_select_offset(B, s, 0);
    return SQL_NODE(s);
}

static sql_node *where_or_of_and(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_node *and1 = sql_and2(B, sql_eq(B, col(fx, u, "name"), pstr(fx, "x")),
                              sql_eq(B, col(fx, u, "email"), pstr(fx, "y")));
    sql_select_where(B, s, sql_or2(B, sql_is_null(B, col(fx, u, "name")), and1));
    return SQL_NODE(s);
}

static sql_node *where_deep_nesting(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_node *inner = sql_or2(B, sql_eq(B, col(fx, u, "name"), pstr(fx, "a")),
                              sql_and2(B, sql_eq(B, col(fx, u, "name"), pstr(fx, "b")),
                                       sql_or2(B, sql_is_null(B, col(fx, u, "email")),
                                               sql_eq(B, col(fx, u, "email"), pstr(fx, "c")))));
    sql_node *x = sql_negate(B, sql_negate(B, inner));
    sql_select_where(
        B, s,
        sql_and2(B, x,
                 sql_and2(B, sql_lit(B, SQL_LIT_TRUE), sql_is_not_null(B, col(fx, u, "id")))));
    return SQL_NODE(s);
}

static sql_node *where_empty_and_or(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_where(B, s, sql_and(B, NULL, 0));
    sql_select_where(B, s, sql_or(B, NULL, 0));
    return SQL_NODE(s);
}

/* ==== functions and aggregates ========================================= */

static sql_node *aggregates_group_by(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "status"), NULL);
    item(fx, s, sql_count_star(B), "n");
    item(fx, s, sql_call1(B, SQL_FN_SUM, col(fx, o, "total")), "revenue");
    item(fx, s, sql_call1(B, SQL_FN_AVG, col(fx, o, "total")), "average");
    item(fx, s, sql_call1(B, SQL_FN_MIN, col(fx, o, "created_at")), "first");
    item(fx, s, sql_call1(B, SQL_FN_MAX, col(fx, o, "created_at")), "last");
    sql_select_group_by(B, s, col(fx, o, "status"));
    sql_select_having(B, s, op(fx, SQL_OP_GT, sql_count_star(B), pint(fx, 1)));
    sql_select_order_by(B, s, col(fx, o, "status"), false, SQL_NULLS_DEFAULT);
    return SQL_NODE(s);
}

static sql_node *functions_scalar(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, sql_call1(B, SQL_FN_LOWER, col(fx, u, "email")), "email");
    item(fx, s, sql_call(B, SQL_FN_NOW, NULL, 0), "now");
    item(fx, s, sql_call1(B, SQL_FN_UPPER, col(fx, u, "name")), "upper");
    item(fx, s, sql_call(B, SQL_FN_COALESCE, NODES(col(fx, u, "name"), col(fx, u, "email"))),
         "display");
    item(fx, s, sql_count_distinct(B, col(fx, u, "name")), "names");
    sql_select_where(B, s,
                     sql_eq(B, sql_call1(B, SQL_FN_LOWER, col(fx, u, "email")),
                            sql_call1(B, SQL_FN_LOWER, pstr(fx, "A@B.C"))));
    sql_select_group_by(B, s, col(fx, u, "email"));
    sql_select_group_by(B, s, col(fx, u, "name"));
    return SQL_NODE(s);
}

static sql_node *count_query(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, sql_count_star(B), "count");
    sql_select_where(B, s, op(fx, SQL_OP_LIKE, col(fx, u, "email"), pstr(fx, "%@example.com")));
    return SQL_NODE(s);
}

static sql_node *arithmetic_precedence(fixture *fx)
{
    sql_from *a = from(fx, fx->accounts, NULL);
    sql_select *s = select_from(fx, a);
    item(
        fx, s,
        op(fx, SQL_OP_MUL, op(fx, SQL_OP_ADD, col(fx, a, "balance"), pstr(fx, "1")), pstr(fx, "2")),
        "x");
    item(
        fx, s,
        op(fx, SQL_OP_SUB, col(fx, a, "balance"), op(fx, SQL_OP_SUB, pstr(fx, "3"), pstr(fx, "4"))),
        "y");
    item(
        fx, s,
        op(fx, SQL_OP_SUB, op(fx, SQL_OP_SUB, col(fx, a, "balance"), pstr(fx, "5")), pstr(fx, "6")),
        "z");
    item(
        fx, s,
        op(fx, SQL_OP_DIV, col(fx, a, "balance"), op(fx, SQL_OP_MUL, pstr(fx, "7"), pstr(fx, "8"))),
        "w");
    item(fx, s,
         op(fx, SQL_OP_ADD, col(fx, a, "balance"),
            op(fx, SQL_OP_MUL, pstr(fx, "9"), pstr(fx, "10"))),
         "v");
    return SQL_NODE(s);
}

static sql_node *param_kinds(fixture *fx)
{
    sql_select *s = sql_select_new(B);
    item(fx, s, sql_bind_cast(B, sql_val_bool(true), SQL_TYPE_BOOLEAN), "b");
    item(fx, s, sql_bind_cast(B, sql_val_int(-42), SQL_TYPE_BIGINT), "i");
    item(fx, s, sql_bind_cast(B, sql_val_float(0.1), SQL_TYPE_FLOAT), "f");
    item(fx, s, sql_bind_cast(B, sql_val_null(), SQL_TYPE_TEXT), "t");
    item(fx, s, sql_bind_cast(B, sql_val_str(UUID1), SQL_TYPE_UUID), "u");
    item(fx, s, sql_bind_cast(B, sql_val_str("12.50"), SQL_TYPE_NUMERIC), "n");
    item(fx, s, sql_bind_cast(B, sql_val_str("{\"a\": 1}"), SQL_TYPE_JSON), "j");
    item(fx, s, sql_bind_cast(B, sql_val_bool(false), SQL_TYPE_BOOLEAN), "b2");
    return SQL_NODE(s);
}

/* ==== relationships: EXISTS =========================================== */

static sql_node *exists_any(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_from *o = from(fx, fx->orders, "orders_1");
    sql_select_where(B, s,
                     sql_relation_exists(B, sql_table_relation(fx->users, "orders"), u, o, NULL,
                                         sql_eq(B, col(fx, o, "status"), pstr(fx, "pending"))));
    return SQL_NODE(s);
}

static sql_node *exists_has(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "id"), NULL);
    sql_from *u = from(fx, fx->users, "users_1");
    sql_select_where(
        B, s,
        sql_relation_exists(B, sql_table_relation(fx->orders, "user"), o, u, NULL,
                            op(fx, SQL_OP_LIKE, col(fx, u, "email"), pstr(fx, "%@example.com"))));
    return SQL_NODE(s);
}

static sql_node *exists_many_to_many(fixture *fx)
{
    sql_from *bk = from(fx, fx->books, NULL);
    sql_select *s = select_from(fx, bk);
    item(fx, s, col(fx, bk, "id"), NULL);
    sql_from *g = from(fx, fx->genres, "genres_1");
    sql_select_where(B, s,
                     sql_relation_exists(B, sql_table_relation(fx->books, "genres"), bk, g, NULL,
                                         sql_eq(B, col(fx, g, "name"), pstr(fx, "sf"))));
    return SQL_NODE(s);
}

static sql_node *not_exists_nested(fixture *fx)
{
    /* users without any order that has a user named like 'x%' (two levels of
     * correlation, the inner one referring to its own outer). */
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_from *o = from(fx, fx->orders, "o");
    sql_from *u2 = from(fx, fx->users, "u2");
    sql_node *inner =
        sql_relation_exists(B, sql_table_relation(fx->orders, "user"), o, u2, "ignored",
                            op(fx, SQL_OP_LIKE, col(fx, u2, "name"), pstr(fx, "x%")));
    sql_select_where(B, s,
                     sql_negate(B, sql_relation_exists(B, sql_table_relation(fx->users, "orders"),
                                                       u, o, NULL, inner)));
    return SQL_NODE(s);
}

static sql_node *exists_plain(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_from *o = from(fx, fx->orders, "o");
    sql_select *sub = select_from(fx, o);
    item(fx, sub, col(fx, o, "id"), NULL);
    sql_select_where(B, sub, sql_eq(B, col(fx, o, "user_id"), col(fx, u, "id")));
    sql_select_where(B, s, sql_exists_select(B, sub));
    return SQL_NODE(s);
}

/* ==== joins, ordering, paging, locking, subqueries ==================== */

static sql_node *join_inner_left(fixture *fx)
{
    sql_from *u = from(fx, fx->users, "u");
    sql_from *o = from(fx, fx->orders, "o");
    sql_from *a = from(fx, fx->accounts, "a");
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    item(fx, s, col(fx, o, "id"), "order_id");
    item(fx, s, col(fx, a, "balance"), NULL);
    sql_select_join(B, s, SQL_JOIN_INNER, o,
                    sql_relation_condition(B, sql_table_relation(fx->users, "orders"), u, o));
    sql_select_join(B, s, SQL_JOIN_LEFT, a, sql_eq(B, col(fx, a, "owner"), col(fx, u, "email")));
    sql_select_where(B, s, sql_eq(B, col(fx, o, "status"), pstr(fx, "paid")));
    return SQL_NODE(s);
}

static sql_node *join_many_to_many(fixture *fx)
{
    const sql_relation *r = sql_table_relation(fx->books, "genres");
    sql_from *bk = from(fx, fx->books, NULL);
    sql_from *bg = from(fx, fx->book_genres, "bg");
    sql_from *g = from(fx, fx->genres, "g");
    sql_select *s = select_from(fx, bk);
    item(fx, s, col(fx, bk, "title"), NULL);
    item(fx, s, col(fx, g, "name"), "genre");
    sql_select_join(B, s, SQL_JOIN_LEFT, bg, sql_relation_condition(B, r, bk, bg));
    sql_select_join(B, s, SQL_JOIN_LEFT, g, sql_relation_secondary_condition(B, r, bg, g));
    return SQL_NODE(s);
}

static sql_node *order_limit_offset(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_select_order_by(B, s, col(fx, u, "created_at"), true, SQL_NULLS_LAST);
    sql_select_order_by(B, s, col(fx, u, "name"), false, SQL_NULLS_FIRST);
    sql_select_order_by(B, s, col(fx, u, "email"), true, SQL_NULLS_FIRST);
    sql_select_order_by(B, s, col(fx, u, "id"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(B, s, 20);
    sql_select_offset(B, s, 40);
    return SQL_NODE(s);
}

/* Keyset page after (created_at DESC NULLS LAST, name NULLS FIRST, id):
 * created_at not NULL at the boundary, name NULL. */
static sql_node *keyset_mixed(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_keyset_key keys[] = {
        {col(fx, u, "created_at"), true, SQL_NULLS_LAST, true, sql_val_str("2026-01-01T00:00:00Z")},
        {col(fx, u, "name"), false, SQL_NULLS_FIRST, true, sql_val_null()},
        {col(fx, u, "id"), false, SQL_NULLS_DEFAULT, false, sql_val_str(UUID1)},
    };
    sql_select_where(B, s, sql_keyset_after(B, keys, 3));
    sql_select_order_by(B, s, col(fx, u, "created_at"), true, SQL_NULLS_LAST);
    sql_select_order_by(B, s, col(fx, u, "name"), false, SQL_NULLS_FIRST);
    sql_select_order_by(B, s, col(fx, u, "id"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(B, s, 20);
    return SQL_NODE(s);
}

/* A NOT NULL first key gets the index range. */
static sql_node *keyset_range(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_keyset_key keys[] = {
        {col(fx, u, "email"), true, SQL_NULLS_DEFAULT, false, sql_val_str("b@x")},
        {col(fx, u, "name"), false, SQL_NULLS_DEFAULT, true, sql_val_str("Bo")},
        {col(fx, u, "id"), false, SQL_NULLS_DEFAULT, false, sql_val_str(UUID1)},
    };
    sql_select_where(B, s, sql_keyset_after(B, keys, 3));
    return SQL_NODE(s);
}

/* The boundary's first key is NULL and sorts last: only ties on it follow. */
static sql_node *keyset_null_last(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_keyset_key keys[] = {
        {col(fx, u, "name"), false, SQL_NULLS_DEFAULT, true, sql_val_null()},
        {col(fx, u, "id"), true, SQL_NULLS_DEFAULT, false, sql_val_str(UUID1)},
    };
    sql_select_where(B, s, sql_keyset_after(B, keys, 2));
    return SQL_NODE(s);
}

static sql_node *for_update(fixture *fx)
{
    sql_from *a = from(fx, fx->accounts, NULL);
    sql_select *s = select_from(fx, a);
    item(fx, s, col(fx, a, "balance"), NULL);
    sql_select_where(B, s, sql_eq(B, col(fx, a, "id"), pint(fx, 7)));
    sql_select_lock(B, s, SQL_LOCK_UPDATE, SQL_LOCK_WAIT, NULL);
    return SQL_NODE(s);
}

static sql_node *for_update_of_skip_locked(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, "o");
    sql_from *u = from(fx, fx->users, "u");
    sql_select *s = select_from(fx, o);
    item(fx, s, col(fx, o, "id"), NULL);
    sql_select_join(B, s, SQL_JOIN_LEFT, u,
                    sql_relation_condition(B, sql_table_relation(fx->orders, "user"), o, u));
    sql_select_limit(B, s, 10);
    sql_select_lock(B, s, SQL_LOCK_UPDATE, SQL_LOCK_SKIP_LOCKED, o);
    return SQL_NODE(s);
}

static sql_node *for_share_nowait(fixture *fx)
{
    sql_from *bk = from(fx, fx->books, NULL);
    sql_select *s = select_from(fx, bk);
    item(fx, s, col(fx, bk, "id"), NULL);
    sql_select_lock(B, s, SQL_LOCK_SHARE, SQL_LOCK_NOWAIT, NULL);
    return SQL_NODE(s);
}

static sql_node *subquery_in_from(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_select *inner = select_from(fx, o);
    item(fx, inner, col(fx, o, "status"), NULL);
    item(fx, inner, sql_count_star(B), "n");
    sql_select_group_by(B, inner, col(fx, o, "status"));
    sql_from *t = sql_from_subquery(B, inner, "t");
    sql_select *s = select_from(fx, t);
    item(fx, s, col(fx, t, "status"), NULL);
    item(fx, s, col(fx, t, "n"), NULL);
    sql_select_where(B, s, op(fx, SQL_OP_GT, col(fx, t, "n"), pint(fx, 5)));
    sql_select_order_by(B, s, col(fx, t, "n"), true, SQL_NULLS_DEFAULT);
    return SQL_NODE(s);
}

/* joinedload with a limit: page the parents in a subquery, then join. */
static sql_node *subquery_paged_join(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *page = select_from(fx, u);
    item(fx, page, col(fx, u, "id"), NULL);
    item(fx, page, col(fx, u, "email"), NULL);
    sql_select_order_by(B, page, col(fx, u, "email"), false, SQL_NULLS_DEFAULT);
    sql_select_limit(B, page, 10);
    sql_from *p = sql_from_subquery(B, page, "anon_1");
    sql_from *o = from(fx, fx->orders, "orders_1");
    sql_select *s = select_from(fx, p);
    item(fx, s, col(fx, p, "id"), NULL);
    item(fx, s, col(fx, p, "email"), NULL);
    item(fx, s, col(fx, o, "id"), "orders_1_id");
    sql_select_join(B, s, SQL_JOIN_LEFT, o, sql_eq(B, col(fx, p, "id"), col(fx, o, "user_id")));
    sql_select_order_by(B, s, col(fx, p, "email"), false, SQL_NULLS_DEFAULT);
    return SQL_NODE(s);
}

/* ==== INSERT ========================================================== */

static sql_node *insert_single_returning(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_insert *ins =
        sql_insert_new(B, u, COLS(fx_col(fx->users, "email"), fx_col(fx->users, "name")));
    sql_insert_row(B, ins, (sql_node *[]){pstr(fx, "a@b.c"), sql_bind(B, sql_val_null())});
    sql_insert_returning(B, ins, col(fx, u, "id"), NULL);
    sql_insert_returning(B, ins, col(fx, u, "created_at"), NULL);
    return SQL_NODE(ins);
}

static sql_node *insert_multi_row_default(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    const sql_table *t = fx->orders;
    sql_insert *ins =
        sql_insert_new(B, o, COLS(fx_col(t, "user_id"), fx_col(t, "total"), fx_col(t, "status")));
    sql_insert_row(B, ins, (sql_node *[]){pstr(fx, UUID1), pstr(fx, "10.00"), pstr(fx, "paid")});
    sql_insert_row(B, ins,
                   (sql_node *[]){pstr(fx, UUID2), pstr(fx, "0.50"), sql_lit(B, SQL_LIT_DEFAULT)});
    sql_insert_row(B, ins,
                   (sql_node *[]){pstr(fx, UUID1), sql_lit(B, SQL_LIT_NULL), pstr(fx, "pending")});
    sql_insert_returning(B, ins, col(fx, o, "id"), NULL);
    return SQL_NODE(ins);
}

static sql_node *insert_default_values(fixture *fx)
{
    sql_from *a = from(fx, fx->accounts, NULL);
    sql_insert *ins = sql_insert_new(B, a, NULL, 0);
    sql_insert_returning(B, ins, col(fx, a, "id"), NULL);
    return SQL_NODE(ins);
}

static sql_node *upsert_do_nothing(fixture *fx)
{
    const sql_table *t = fx->book_genres;
    sql_insert *ins =
        sql_insert_new(B, from(fx, t, NULL), COLS(fx_col(t, "book_id"), fx_col(t, "genre_id")));
    sql_insert_row(B, ins, (sql_node *[]){pint(fx, 3), pint(fx, 7)});
    sql_insert_on_conflict_do_nothing(B, ins, COLS(fx_col(t, "book_id"), fx_col(t, "genre_id")));
    return SQL_NODE(ins);
}

static sql_node *upsert_do_nothing_no_target(fixture *fx)
{
    const sql_table *t = fx->genres;
    sql_insert *ins = sql_insert_new(B, from(fx, t, NULL), COLS(fx_col(t, "name")));
    sql_insert_row(B, ins, (sql_node *[]){pstr(fx, "sf")});
    sql_insert_on_conflict_do_nothing(B, ins, NULL, 0);
    return SQL_NODE(ins);
}

static sql_node *upsert_do_update(fixture *fx)
{
    const sql_table *t = fx->users;
    sql_from *u = from(fx, t, NULL);
    sql_insert *ins = sql_insert_new(B, u, COLS(fx_col(t, "email"), fx_col(t, "name")));
    sql_insert_row(B, ins, (sql_node *[]){pstr(fx, "a@b.c"), pstr(fx, "Ann")});
    sql_insert_on_conflict_do_update(B, ins, COLS(fx_col(t, "email")));
    sql_insert_conflict_set(B, ins, fx_col(t, "name"), sql_excluded_col(B, fx_col(t, "name")));
    sql_insert_returning(B, ins, col(fx, u, "id"), NULL);
    sql_insert_returning(B, ins, sql_lit(B, SQL_LIT_INSERTED), "inserted");
    return SQL_NODE(ins);
}

static sql_node *upsert_do_update_expression(fixture *fx)
{
    const sql_table *t = fx->accounts;
    sql_from *a = from(fx, t, "a");
    sql_insert *ins =
        sql_insert_new(B, a, COLS(fx_col(t, "id"), fx_col(t, "owner"), fx_col(t, "balance")));
    sql_insert_row(B, ins, (sql_node *[]){pint(fx, 1), pstr(fx, "ann"), pstr(fx, "5.00")});
    sql_insert_row(B, ins, (sql_node *[]){pint(fx, 2), pstr(fx, "bob"), pstr(fx, "7.00")});
    sql_insert_on_conflict_do_update(B, ins, COLS(fx_col(t, "id")));
    sql_insert_conflict_set(
        B, ins, fx_col(t, "balance"),
        op(fx, SQL_OP_ADD, col(fx, a, "balance"), sql_excluded_col(B, fx_col(t, "balance"))));
    sql_insert_conflict_set(B, ins, fx_col(t, "owner"), sql_excluded_col(B, fx_col(t, "owner")));
    sql_insert_returning(B, ins, col(fx, a, "balance"), "new_balance");
    return SQL_NODE(ins);
}

/* ==== UPDATE / DELETE ================================================= */

static sql_node *update_set_where_returning(fixture *fx)
{
    const sql_table *t = fx->users;
    sql_from *u = from(fx, t, NULL);
    sql_update *up = sql_update_new(B, u);
    sql_update_set(B, up, fx_col(t, "name"), pstr(fx, "Ann"));
    sql_update_set(B, up, fx_col(t, "email"), pstr(fx, "ann@b.c"));
    sql_update_where(B, up, sql_eq(B, col(fx, u, "id"), pstr(fx, UUID1)));
    sql_update_returning(B, up, col(fx, u, "id"), NULL);
    sql_update_returning(B, up, col(fx, u, "name"), NULL);
    return SQL_NODE(up);
}

static sql_node *update_expression(fixture *fx)
{
    const sql_table *t = fx->accounts;
    sql_from *a = from(fx, t, NULL);
    sql_update *up = sql_update_new(B, a);
    sql_update_set(B, up, fx_col(t, "balance"),
                   op(fx, SQL_OP_ADD, col(fx, a, "balance"), pstr(fx, "-10")));
    sql_update_where(B, up, sql_eq(B, col(fx, a, "id"), pint(fx, 7)));
    sql_update_where(
        B, up,
        op(fx, SQL_OP_GE, op(fx, SQL_OP_ADD, col(fx, a, "balance"), pstr(fx, "-10")), pint(fx, 0)));
    sql_update_returning(B, up, col(fx, a, "balance"), NULL);
    return SQL_NODE(up);
}

static sql_node *update_versioned(fixture *fx)
{
    const sql_table *t = fx->orders;
    sql_from *o = from(fx, t, NULL);
    sql_update *up = sql_update_new(B, o);
    sql_update_set(B, up, fx_col(t, "status"), pstr(fx, "shipped"));
    sql_update_set(B, up, fx_col(t, "total"), sql_lit(B, SQL_LIT_DEFAULT));
    sql_update_set(B, up, fx_col(t, "version"),
                   op(fx, SQL_OP_ADD, col(fx, o, "version"), pint(fx, 1)));
    sql_update_where(B, up, sql_eq(B, col(fx, o, "id"), pstr(fx, UUID2)));
    sql_update_where(B, up, sql_eq(B, col(fx, o, "version"), pint(fx, 3)));
    sql_update_returning(B, up, col(fx, o, "version"), NULL);
    return SQL_NODE(up);
}

static sql_node *update_bulk_alias(fixture *fx)
{
    const sql_table *t = fx->orders;
    sql_from *o = from(fx, t, "o");
    sql_update *up = sql_update_new(B, o);
    sql_update_set(B, up, fx_col(t, "status"), pstr(fx, "cancelled"));
    sql_value st[] = {sql_val_str("pending")};
    sql_update_where(B, up, sql_in(B, col(fx, o, "status"), st, 1));
    return SQL_NODE(up);
}

static sql_node *delete_where_returning(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, NULL);
    sql_delete *d = sql_delete_new(B, o);
    sql_delete_where(B, d, sql_eq(B, col(fx, o, "id"), pstr(fx, UUID1)));
    sql_delete_returning(B, d, col(fx, o, "id"), NULL);
    return SQL_NODE(d);
}

static sql_node *delete_alias_in(fixture *fx)
{
    sql_from *o = from(fx, fx->orders, "o");
    sql_delete *d = sql_delete_new(B, o);
    sql_value st[] = {sql_val_str("cancelled"), sql_val_str("pending")};
    sql_delete_where(B, d, sql_in(B, col(fx, o, "status"), st, 2));
    sql_delete_where(B, d, op(fx, SQL_OP_LT, col(fx, o, "created_at"), pstr(fx, "2025-01-01")));
    return SQL_NODE(d);
}

static sql_node *delete_all(fixture *fx)
{
    return SQL_NODE(sql_delete_new(B, from(fx, fx->book_genres, NULL)));
}

/* ==== text() ========================================================== */

static sql_node *text_statement(fixture *fx)
{
    sql_text *t = sql_text_new(
        B, "SELECT * FROM users WHERE id = :id::uuid AND (email = :email OR :email = '')");
    sql_text_bind(B, t, "email", sql_val_str("a@b.c"));
    sql_text_bind(B, t, "id", sql_val_str(UUID1));
    return SQL_NODE(t);
}

static sql_node *text_fragment_in_where(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    sql_select *s = select_from(fx, u);
    item(fx, s, col(fx, u, "id"), NULL);
    sql_text *t = sql_text_new(B, "lower(email) = :e OR name = :e");
    sql_text_bind(B, t, "e", sql_val_str("x"));
    sql_select_where(B, s, SQL_NODE(t));
    sql_select_where(B, s, sql_eq(B, col(fx, u, "name"), pstr(fx, "y")));
    return SQL_NODE(s);
}

/* ==== quoting, roots ================================================== */

static sql_node *quoted_identifiers(fixture *fx)
{
    sql_from *w = from(fx, fx->weird, "a\"b");
    sql_select *s = select_from(fx, w);
    item(fx, s, col(fx, w, "co\"l"), "l\"bl");
    sql_select_where(B, s, sql_eq(B, col(fx, w, "co\"l"), pstr(fx, "\"quoted\" 'value'")));
    return SQL_NODE(s);
}

static sql_node *quoted_identifiers_dml(fixture *fx)
{
    const sql_table *t = fx->weird;
    sql_from *w = from(fx, t, NULL);
    sql_update *up = sql_update_new(B, w);
    sql_update_set(B, up, fx_col(t, "co\"l"), pstr(fx, "v"));
    sql_update_returning(B, up, col(fx, w, "co\"l"), NULL);
    return SQL_NODE(up);
}

static sql_node *expression_root(fixture *fx)
{
    sql_from *u = from(fx, fx->users, NULL);
    return sql_or2(B, op(fx, SQL_OP_LIKE, col(fx, u, "email"), pstr(fx, "%x%")),
                   sql_is_null(B, col(fx, u, "name")));
}

/* ==== the table ======================================================= */

const golden_case golden_cases[] = {
    {"select_columns", select_columns,
     "SELECT \"users\".\"id\", \"users\".\"email\" AS \"mail\" FROM \"users\"", NULL, 0},
    {"select_star_alias", select_star_alias, "SELECT * FROM \"users\" AS \"u\"", NULL, 0},
    {"select_alias_same_as_table", select_alias_same_as_table,
     "SELECT \"users\".\"id\" FROM \"users\"", NULL, 0},
    {"select_distinct", select_distinct, "SELECT DISTINCT \"orders\".\"status\" FROM \"orders\"",
     NULL, 0},
    {"select_no_from", select_no_from, "SELECT now() AS \"now\"", NULL, 0},
    {"where_eq", where_eq, "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"email\" = $1",
     PARAMS("a@b.c")},
    {"where_comparisons", where_comparisons,
     "SELECT \"o\".\"id\" FROM \"orders\" AS \"o\" WHERE \"o\".\"status\" <> $1 AND "
     "\"o\".\"total\" < $2 AND \"o\".\"total\" <= $3 AND \"o\".\"version\" > $4 AND "
     "\"o\".\"version\" >= $5",
     PARAMS("cancelled", "100.00", "99.99", "1", "2")},
    {"where_like_ilike", where_like_ilike,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"email\" LIKE $1 AND "
     "\"users\".\"name\" ILIKE $2 AND \"users\".\"email\" NOT LIKE $3 AND \"users\".\"name\" "
     "NOT ILIKE $4",
     PARAMS("%@example.com", "a%", "%.test", "bot%")},
    {"where_in_uuid", where_in_uuid,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"id\" = ANY($1::uuid[])",
     PARAMS("{\"0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69\",\"5f0e8f3c-9d1b-4c8e-a0b2-7c6d5e4f3a21\"}")},
    {"where_not_in_text", where_not_in_text,
     "SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"status\" <> ALL($1::text[])",
     PARAMS("{\"paid\",\"shipped\"}")},
    {"where_in_int", where_in_int,
     "SELECT \"books\".\"title\" FROM \"books\" WHERE \"books\".\"id\" = ANY($1::integer[])",
     PARAMS("{1,2,3}")},
    {"where_in_empty", where_in_empty,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"id\" = ANY($1::uuid[])",
     PARAMS("{}")},
    {"where_in_quoting", where_in_quoting,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"name\" = ANY($1::text[])",
     PARAMS("{\"a\\\"b\",\"c\\\\d\",\"e,f\",NULL,\"NULL\",\"\",\"{x}\",\" sp \"}")},
    {"where_in_expression", where_in_expression,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE lower(\"users\".\"email\") = ANY($1::text[])",
     PARAMS("{\"a@b.c\"}")},
    {"where_null_tests", where_null_tests,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"name\" IS NULL AND "
     "\"users\".\"created_at\" IS NOT NULL",
     NULL, 0},
    {"where_between", where_between,
     "SELECT \"orders\".\"id\" FROM \"orders\" WHERE \"orders\".\"created_at\" BETWEEN $1 AND $2 "
     "AND NOT (\"orders\".\"total\" BETWEEN $3 AND $4)",
     PARAMS("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "1.00", "9.99")},
    {"where_spec_document", where_spec_document,
     "SELECT \"users\".\"id\", \"users\".\"email\" FROM \"users\" WHERE \"users\".\"email\" LIKE "
     "$1 AND (\"users\".\"name\" ILIKE $2 OR \"users\".\"created_at\" >= $3) AND NOT "
     "(\"users\".\"id\" = ANY($4::uuid[])) ORDER BY \"users\".\"created_at\" DESC, "
     "\"users\".\"id\" LIMIT $5 OFFSET $6",
     PARAMS("%@example.com", "a%", "2026-01-01T00:00:00Z",
            "{\"0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69\"}", "20", "0")},
    {"where_or_of_and", where_or_of_and,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"name\" IS NULL OR "
     "\"users\".\"name\" = $1 AND \"users\".\"email\" = $2",
     PARAMS("x", "y")},
    {"where_deep_nesting", where_deep_nesting,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE NOT (NOT (\"users\".\"name\" = $1 OR "
     "\"users\".\"name\" = $2 AND (\"users\".\"email\" IS NULL OR \"users\".\"email\" = $3))) "
     "AND TRUE AND \"users\".\"id\" IS NOT NULL",
     PARAMS("a", "b", "c")},
    {"where_empty_and_or", where_empty_and_or,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE TRUE AND FALSE", NULL, 0},
    {"aggregates_group_by", aggregates_group_by,
     "SELECT \"orders\".\"status\", count(*) AS \"n\", sum(\"orders\".\"total\") AS \"revenue\", "
     "avg(\"orders\".\"total\") AS \"average\", min(\"orders\".\"created_at\") AS \"first\", "
     "max(\"orders\".\"created_at\") AS \"last\" FROM \"orders\" GROUP BY \"orders\".\"status\" "
     "HAVING count(*) > $1 ORDER BY \"orders\".\"status\"",
     PARAMS("1")},
    {"functions_scalar", functions_scalar,
     "SELECT lower(\"users\".\"email\") AS \"email\", now() AS \"now\", upper(\"users\".\"name\") "
     "AS \"upper\", coalesce(\"users\".\"name\", \"users\".\"email\") AS \"display\", "
     "count(DISTINCT \"users\".\"name\") AS \"names\" FROM \"users\" WHERE "
     "lower(\"users\".\"email\") = lower($1) GROUP BY \"users\".\"email\", \"users\".\"name\"",
     PARAMS("A@B.C")},
    {"count_query", count_query,
     "SELECT count(*) AS \"count\" FROM \"users\" WHERE \"users\".\"email\" LIKE $1",
     PARAMS("%@example.com")},
    {"arithmetic_precedence", arithmetic_precedence,
     "SELECT (\"accounts\".\"balance\" + $1) * $2 AS \"x\", \"accounts\".\"balance\" - ($3 - $4) "
     "AS \"y\", \"accounts\".\"balance\" - $5 - $6 AS \"z\", \"accounts\".\"balance\" / ($7 * $8) "
     "AS \"w\", \"accounts\".\"balance\" + $9 * $10 AS \"v\" FROM \"accounts\"",
     PARAMS("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")},
    {"param_kinds", param_kinds,
     "SELECT $1::boolean AS \"b\", $2::bigint AS \"i\", $3::double precision AS \"f\", "
     "$4::text AS \"t\", $5::uuid AS \"u\", $6::numeric AS \"n\", $7::jsonb AS \"j\", "
     "$8::boolean AS \"b2\"",
     PARAMS("true", "-42", "0.1", NULL, "0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69", "12.50",
            "{\"a\": 1}", "false")},
    {"exists_any", exists_any,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE EXISTS (SELECT 1 FROM \"orders\" AS "
     "\"orders_1\" WHERE \"users\".\"id\" = \"orders_1\".\"user_id\" AND "
     "\"orders_1\".\"status\" = $1)",
     PARAMS("pending")},
    {"exists_has", exists_has,
     "SELECT \"orders\".\"id\" FROM \"orders\" WHERE EXISTS (SELECT 1 FROM \"users\" AS "
     "\"users_1\" WHERE \"orders\".\"user_id\" = \"users_1\".\"id\" AND \"users_1\".\"email\" "
     "LIKE $1)",
     PARAMS("%@example.com")},
    {"exists_many_to_many", exists_many_to_many,
     "SELECT \"books\".\"id\" FROM \"books\" WHERE EXISTS (SELECT 1 FROM \"book_genres\" JOIN "
     "\"genres\" AS \"genres_1\" ON \"book_genres\".\"genre_id\" = \"genres_1\".\"id\" WHERE "
     "\"books\".\"id\" = \"book_genres\".\"book_id\" AND \"genres_1\".\"name\" = $1)",
     PARAMS("sf")},
    {"not_exists_nested", not_exists_nested,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE NOT EXISTS (SELECT 1 FROM \"orders\" AS \"o\" "
     "WHERE \"users\".\"id\" = \"o\".\"user_id\" AND EXISTS (SELECT 1 FROM \"users\" AS \"u2\" "
     "WHERE \"o\".\"user_id\" = \"u2\".\"id\" AND \"u2\".\"name\" LIKE $1))",
     PARAMS("x%")},
    {"exists_plain", exists_plain,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE EXISTS (SELECT \"o\".\"id\" FROM \"orders\" AS "
     "\"o\" WHERE \"o\".\"user_id\" = \"users\".\"id\")",
     NULL, 0},
    {"join_inner_left", join_inner_left,
     "SELECT \"u\".\"id\", \"o\".\"id\" AS \"order_id\", \"a\".\"balance\" FROM \"users\" AS \"u\" "
     "JOIN \"orders\" AS \"o\" ON \"u\".\"id\" = \"o\".\"user_id\" LEFT OUTER JOIN \"accounts\" "
     "AS \"a\" ON \"a\".\"owner\" = \"u\".\"email\" WHERE \"o\".\"status\" = $1",
     PARAMS("paid")},
    {"join_many_to_many", join_many_to_many,
     "SELECT \"books\".\"title\", \"g\".\"name\" AS \"genre\" FROM \"books\" LEFT OUTER JOIN "
     "\"book_genres\" AS \"bg\" ON \"books\".\"id\" = \"bg\".\"book_id\" LEFT OUTER JOIN "
     "\"genres\" AS \"g\" ON \"bg\".\"genre_id\" = \"g\".\"id\"",
     NULL, 0},
    {"order_limit_offset", order_limit_offset,
     "SELECT \"users\".\"id\" FROM \"users\" ORDER BY \"users\".\"created_at\" DESC NULLS LAST, "
     "\"users\".\"name\" NULLS FIRST, \"users\".\"email\" DESC NULLS FIRST, \"users\".\"id\" "
     "LIMIT $1 OFFSET $2",
     PARAMS("20", "40")},
    {"keyset_mixed", keyset_mixed,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"created_at\" < $1 OR "
     "\"users\".\"created_at\" IS NULL OR \"users\".\"created_at\" = $2 AND "
     "\"users\".\"name\" IS NOT NULL OR \"users\".\"created_at\" = $3 AND "
     "\"users\".\"name\" IS NULL AND \"users\".\"id\" > $4 ORDER BY "
     "\"users\".\"created_at\" DESC NULLS LAST, \"users\".\"name\" NULLS FIRST, "
     "\"users\".\"id\" LIMIT $5",
     PARAMS("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", UUID1,
            "20")},
    {"keyset_range", keyset_range,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"email\" <= $1 AND "
     "(\"users\".\"email\" < $2 OR \"users\".\"email\" = $3 AND (\"users\".\"name\" > $4 "
     "OR \"users\".\"name\" IS NULL) OR \"users\".\"email\" = $5 AND \"users\".\"name\" = "
     "$6 AND \"users\".\"id\" > $7)",
     PARAMS("b@x", "b@x", "b@x", "Bo", "b@x", "Bo", UUID1)},
    {"keyset_null_last", keyset_null_last,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE \"users\".\"name\" IS NULL AND "
     "\"users\".\"id\" < $1",
     PARAMS(UUID1)},
    {"for_update", for_update,
     "SELECT \"accounts\".\"balance\" FROM \"accounts\" WHERE \"accounts\".\"id\" = $1 FOR UPDATE",
     PARAMS("7")},
    {"for_update_of_skip_locked", for_update_of_skip_locked,
     "SELECT \"o\".\"id\" FROM \"orders\" AS \"o\" LEFT OUTER JOIN \"users\" AS \"u\" ON "
     "\"o\".\"user_id\" = \"u\".\"id\" LIMIT $1 FOR UPDATE OF \"o\" SKIP LOCKED",
     PARAMS("10")},
    {"for_share_nowait", for_share_nowait,
     "SELECT \"books\".\"id\" FROM \"books\" FOR SHARE NOWAIT", NULL, 0},
    {"subquery_in_from", subquery_in_from,
     "SELECT \"t\".\"status\", \"t\".\"n\" FROM (SELECT \"orders\".\"status\", count(*) AS \"n\" "
     "FROM \"orders\" GROUP BY \"orders\".\"status\") AS \"t\" WHERE \"t\".\"n\" > $1 ORDER BY "
     "\"t\".\"n\" DESC",
     PARAMS("5")},
    {"subquery_paged_join", subquery_paged_join,
     "SELECT \"anon_1\".\"id\", \"anon_1\".\"email\", \"orders_1\".\"id\" AS \"orders_1_id\" "
     "FROM (SELECT \"users\".\"id\", \"users\".\"email\" FROM \"users\" ORDER BY "
     "\"users\".\"email\" LIMIT $1) AS \"anon_1\" LEFT OUTER JOIN \"orders\" AS \"orders_1\" ON "
     "\"anon_1\".\"id\" = \"orders_1\".\"user_id\" ORDER BY \"anon_1\".\"email\"",
     PARAMS("10")},
    {"insert_single_returning", insert_single_returning,
     "INSERT INTO \"users\" (\"email\", \"name\") VALUES ($1, $2) RETURNING \"users\".\"id\", "
     "\"users\".\"created_at\"",
     PARAMS("a@b.c", NULL)},
    {"insert_multi_row_default", insert_multi_row_default,
     "INSERT INTO \"orders\" (\"user_id\", \"total\", \"status\") VALUES ($1, $2, $3), ($4, $5, "
     "DEFAULT), ($6, NULL, $7) RETURNING \"orders\".\"id\"",
     PARAMS("0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69", "10.00", "paid",
            "5f0e8f3c-9d1b-4c8e-a0b2-7c6d5e4f3a21", "0.50", "0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69",
            "pending")},
    {"insert_default_values", insert_default_values,
     "INSERT INTO \"accounts\" DEFAULT VALUES RETURNING \"accounts\".\"id\"", NULL, 0},
    {"upsert_do_nothing", upsert_do_nothing,
     "INSERT INTO \"book_genres\" (\"book_id\", \"genre_id\") VALUES ($1, $2) ON CONFLICT "
     "(\"book_id\", \"genre_id\") DO NOTHING",
     PARAMS("3", "7")},
    {"upsert_do_nothing_no_target", upsert_do_nothing_no_target,
     "INSERT INTO \"genres\" (\"name\") VALUES ($1) ON CONFLICT DO NOTHING", PARAMS("sf")},
    {"upsert_do_update", upsert_do_update,
     "INSERT INTO \"users\" (\"email\", \"name\") VALUES ($1, $2) ON CONFLICT (\"email\") DO "
     "UPDATE SET \"name\" = EXCLUDED.\"name\" RETURNING \"users\".\"id\", (xmax = 0) AS "
     "\"inserted\"",
     PARAMS("a@b.c", "Ann")},
    {"upsert_do_update_expression", upsert_do_update_expression,
     "INSERT INTO \"accounts\" AS \"a\" (\"id\", \"owner\", \"balance\") VALUES ($1, $2, $3), "
     "($4, $5, $6) ON CONFLICT (\"id\") DO UPDATE SET \"balance\" = \"a\".\"balance\" + "
     "EXCLUDED.\"balance\", \"owner\" = EXCLUDED.\"owner\" RETURNING \"a\".\"balance\" AS "
     "\"new_balance\"",
     PARAMS("1", "ann", "5.00", "2", "bob", "7.00")},
    {"update_set_where_returning", update_set_where_returning,
     "UPDATE \"users\" SET \"name\" = $1, \"email\" = $2 WHERE \"users\".\"id\" = $3 RETURNING "
     "\"users\".\"id\", \"users\".\"name\"",
     PARAMS("Ann", "ann@b.c", "0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69")},
    {"update_expression", update_expression,
     "UPDATE \"accounts\" SET \"balance\" = \"accounts\".\"balance\" + $1 WHERE "
     "\"accounts\".\"id\" = $2 AND \"accounts\".\"balance\" + $3 >= $4 RETURNING "
     "\"accounts\".\"balance\"",
     PARAMS("-10", "7", "-10", "0")},
    {"update_versioned", update_versioned,
     "UPDATE \"orders\" SET \"status\" = $1, \"total\" = DEFAULT, \"version\" = "
     "\"orders\".\"version\" + $2 WHERE \"orders\".\"id\" = $3 AND \"orders\".\"version\" = $4 "
     "RETURNING \"orders\".\"version\"",
     PARAMS("shipped", "1", "5f0e8f3c-9d1b-4c8e-a0b2-7c6d5e4f3a21", "3")},
    {"update_bulk_alias", update_bulk_alias,
     "UPDATE \"orders\" AS \"o\" SET \"status\" = $1 WHERE \"o\".\"status\" = ANY($2::text[])",
     PARAMS("cancelled", "{\"pending\"}")},
    {"delete_where_returning", delete_where_returning,
     "DELETE FROM \"orders\" WHERE \"orders\".\"id\" = $1 RETURNING \"orders\".\"id\"",
     PARAMS("0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69")},
    {"delete_alias_in", delete_alias_in,
     "DELETE FROM \"orders\" AS \"o\" WHERE \"o\".\"status\" = ANY($1::text[]) AND "
     "\"o\".\"created_at\" < $2",
     PARAMS("{\"cancelled\",\"pending\"}", "2025-01-01")},
    {"delete_all", delete_all, "DELETE FROM \"book_genres\"", NULL, 0},
    {"text_statement", text_statement,
     "SELECT * FROM users WHERE id = $1::uuid AND (email = $2 OR $2 = '')",
     PARAMS("0b6c7e1e-2f4a-4d53-9a7e-3d2f1c4b5a69", "a@b.c")},
    {"text_fragment_in_where", text_fragment_in_where,
     "SELECT \"users\".\"id\" FROM \"users\" WHERE (lower(email) = $1 OR name = $1) AND "
     "\"users\".\"name\" = $2",
     PARAMS("x", "y")},
    {"quoted_identifiers", quoted_identifiers,
     "SELECT \"a\"\"b\".\"co\"\"l\" AS \"l\"\"bl\" FROM \"we\"\"ird\" AS \"a\"\"b\" WHERE "
     "\"a\"\"b\".\"co\"\"l\" = $1",
     PARAMS("\"quoted\" 'value'")},
    {"quoted_identifiers_dml", quoted_identifiers_dml,
     "UPDATE \"we\"\"ird\" SET \"co\"\"l\" = $1 RETURNING \"we\"\"ird\".\"co\"\"l\"", PARAMS("v")},
    {"expression_root", expression_root,
     "\"users\".\"email\" LIKE $1 OR \"users\".\"name\" IS NULL", PARAMS("%x%")},
};

const size_t n_golden_cases = sizeof golden_cases / sizeof golden_cases[0];
