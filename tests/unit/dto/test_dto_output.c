/*
 * test_dto_output — entities as DTOs (src/dto/dto_output.c, dto_value.c):
 * the JSON form of every column type including NULL, write_only columns
 * never emitted, unloaded columns left out, `fields` subsets, and which
 * relationships appear for a load plan (strategy, named, noload,
 * wildcards, nesting, cycles).
 *
 * No database: entities are transient with values set by hand, and
 * relationship collections are marked loaded through the ORM's internal
 * hooks (orm__rel_reset/orm__rel_append, what its loaders call), the one
 * place this test looks inside src/orm.
 */
#include "dto_fixture.h"
#include "orm_int.h"

static const sql_column *column(const orm_mapper *m, const char *name)
{
    return m->columns[df_col(m, name)];
}

static json_t *value(df_fixture *f, const char *col, const char *text)
{
    return dto_column_value(column(f->item, col), text);
}

/* ---- values by column type ----------------------------------------------- */

static void values_by_type(void **state)
{
    df_fixture *f = *state;
    ts_assert_json(f->a, value(f, "qty", "42"), "42");
    ts_assert_json(f->a, value(f, "qty", "-2147483648"), "-2147483648");
    ts_assert_json(f->a, value(f, "big", "9007199254740993"), "9007199254740993");
    ts_assert_json(f->a, value(f, "ratio", "0.5"), "0.5");
    ts_assert_json(f->a, value(f, "ratio", "3"), "3.0");
    ts_assert_json(f->a, value(f, "ratio", "NaN"), "'NaN'");
    ts_assert_json(f->a, value(f, "ratio", "-Infinity"), "'-Infinity'");
    ts_assert_json(f->a, value(f, "price", "1234.50"), "'1234.50'");
    ts_assert_json(f->a, value(f, "amount", "0.1000000000000000000000000001"),
                   "'0.1000000000000000000000000001'");
    ts_assert_json(f->a, value(f, "active", "t"), "true");
    ts_assert_json(f->a, value(f, "active", "f"), "false");
    ts_assert_json(f->a, value(f, "active", "true"), "true"); /* as set from input */
    ts_assert_json(f->a, value(f, "active", "false"), "false");
    ts_assert_json(f->a, value(f, "ref", "123e4567-e89b-12d3-a456-426614174000"),
                   "'123e4567-e89b-12d3-a456-426614174000'");
    ts_assert_json(f->a, value(f, "name", "\xc3\xa9t\xc3\xa9"), "'\\u00e9t\\u00e9'");
    ts_assert_json(f->a, value(f, "note", "x\"y"), "'x\\'y'");
    ts_assert_json(f->a, value(f, "born", "2026-01-31"), "'2026-01-31'");
    ts_assert_json(f->a, value(f, "seen_at", "2026-01-02 03:04:05.123+00"),
                   "'2026-01-02T03:04:05.123Z'");
    ts_assert_json(f->a, value(f, "seen_at", "2026-01-02 03:04:05+05:30"),
                   "'2026-01-02T03:04:05+05:30'");
    ts_assert_json(f->a, value(f, "seen_at", "2026-01-02 03:04:05-08"),
                   "'2026-01-02T03:04:05-08:00'");
    /* RFC 3339 text set from input is already in its final form. */
    ts_assert_json(f->a, value(f, "seen_at", "2026-01-02T03:04:05Z"), "'2026-01-02T03:04:05Z'");
    ts_assert_json(f->a, value(f, "meta", "{\"a\": [1, null], \"b\": \"c\"}"),
                   "{'a': [1, null], 'b': 'c'}");
    ts_assert_json(f->a, value(f, "meta", "3"), "3");
    ts_assert_json(f->a, value(f, "meta", "\"s\""), "'s'");
    ts_assert_json(f->a, value(f, "meta", "null"), "null"); /* JSON null inside jsonb */
}

static void null_of_every_type(void **state)
{
    df_fixture *f = *state;
    for (size_t i = 0; i < f->item->n_columns; i++) {
        json_t *v = dto_column_value(f->item->columns[i], NULL);
        assert_true(json_is_null(v));
        json_decref(v);
    }
}

/* ---- columns of an entity ---------------------------------------------------- */

static orm_entity *full_item(df_fixture *f)
{
    orm_entity *e = orm_entity_new(f->session, f->item);
    static const char *const values[][2] = {
        {"id", "7"},          {"ref", NULL},          {"name", "abc"},
        {"note", NULL},       {"qty", "-1"},          {"big", "10000000000"},
        {"ratio", "1.5"},     {"price", "10.00"},     {"amount", NULL},
        {"active", "t"},      {"born", "2026-01-31"}, {"seen_at", "2026-01-02 03:04:05+00"},
        {"meta", "[1]"},      {"status", "new"},      {"secret", "hash"},
        {"created_by", "me"}, {"version", "3"},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        orm_entity_set(e, df_col(f->item, values[i][0]), values[i][1]);
    return e;
}

static void entity_columns_in_model_order(void **state)
{
    df_fixture *f = *state;
    ts_assert_json(f->a, dto_entity(full_item(f), NULL, NULL, 0),
                   "{'id': 7, 'ref': null, 'name': 'abc', 'note': null, 'qty': -1,"
                   " 'big': 10000000000, 'ratio': 1.5, 'price': '10.00', 'amount': null,"
                   " 'active': true, 'born': '2026-01-31', 'seen_at': '2026-01-02T03:04:05Z',"
                   " 'meta': [1], 'status': 'new', 'created_by': 'me', 'version': 3}");
}

static void unloaded_columns_left_out(void **state)
{
    df_fixture *f = *state;
    orm_entity *e = orm_entity_new(f->session, f->item);
    orm_entity_set(e, df_col(f->item, "name"), "x");
    orm_entity_set(e, df_col(f->item, "secret"), "hash");
    ts_assert_json(f->a, dto_entity(e, NULL, NULL, 0), "{'name': 'x'}");
    ts_assert_json(f->a, dto_entity(NULL, NULL, NULL, 0), "null");
}

static void fields_subset(void **state)
{
    df_fixture *f = *state;
    orm_entity *e = full_item(f);
    /* Model order, not the order of fields; write_only never, even when
     * named; unknown names are ignored (the translator refused them). */
    const char *fields[] = {"version", "secret", "id", "nope"};
    ts_assert_json(f->a, dto_entity(e, NULL, fields, 4), "{'id': 7, 'version': 3}");
    const char *one[] = {"price"};
    orm_entity *items[] = {e, NULL, e};
    ts_assert_json(f->a, dto_entities(items, 3, NULL, one, 1),
                   "[{'price': '10.00'}, null, {'price': '10.00'}]");
    ts_assert_json(f->a, dto_entities(NULL, 0, NULL, NULL, 0), "[]");
}

/* ---- relationships --------------------------------------------------------------- */

typedef struct graph {
    orm_entity *user, *order1, *order2, *note;
    size_t u_orders, u_notes, o_user, n_user; /* relationship indexes */
} graph;

static orm_entity *user_entity(df_fixture *f, const char *id, const char *email)
{
    orm_entity *u = orm_entity_new(f->session, f->user);
    orm_entity_set(u, df_col(f->user, "id"), id);
    orm_entity_set(u, df_col(f->user, "email"), email);
    orm_entity_set(u, df_col(f->user, "password"), "secret-hash");
    return u;
}

static orm_entity *order_entity(df_fixture *f, const char *id, const char *user_id,
                                const char *total)
{
    orm_entity *o = orm_entity_new(f->session, f->order);
    orm_entity_set(o, df_col(f->order, "id"), id);
    orm_entity_set(o, df_col(f->order, "user_id"), user_id);
    orm_entity_set(o, df_col(f->order, "total"), total);
    return o;
}

static const char U1[] = "00000000-0000-0000-0000-000000000001";

/* user -> orders [o1, o2] (both loaded, back to user), notes unloaded. */
static graph build_graph(df_fixture *f)
{
    graph g;
    g.u_orders = orm_mapper_relationship(f->user, "orders")->index;
    g.u_notes = orm_mapper_relationship(f->user, "notes")->index;
    g.o_user = orm_mapper_relationship(f->order, "user")->index;
    g.n_user = orm_mapper_relationship(f->note, "user")->index;
    g.user = user_entity(f, U1, "a@b.c");
    g.order1 = order_entity(f, "1", U1, "10.50");
    g.order2 = order_entity(f, "2", U1, "0.00");
    orm__rel_reset(g.user, g.u_orders);
    orm__rel_append(g.user, g.u_orders, g.order1);
    orm__rel_append(g.user, g.u_orders, g.order2);
    orm__rel_reset(g.order1, g.o_user);
    orm__rel_append(g.order1, g.o_user, g.user);
    orm__rel_reset(g.order2, g.o_user);
    orm__rel_append(g.order2, g.o_user, g.user);
    g.note = orm_entity_new(f->session, f->note);
    orm_entity_set(g.note, df_col(f->note, "id"), "5");
    orm_entity_set(g.note, df_col(f->note, "user_id"), NULL);
    orm_entity_set(g.note, df_col(f->note, "body"), "hi");
    return g;
}

#define USER_COLS "'id': '00000000-0000-0000-0000-000000000001', 'email': 'a@b.c'"
#define O1 "{'id': 1, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '10.50'}"
#define O2 "{'id': 2, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '0.00'}"

static void default_eager_without_plan(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    /* User.orders is lazy selectin: in; the orders' user (lazy raise) is
     * loaded but not eager: out; notes not loaded: out. password never. */
    ts_assert_json(f->a, dto_entity(g.user, NULL, NULL, 0),
                   "{" USER_COLS ", 'orders': [" O1 ", " O2 "]}");
    /* An eager default that was not loaded does not appear. */
    orm_entity *lonely = user_entity(f, U1, "a@b.c");
    ts_assert_json(f->a, dto_entity(lonely, NULL, NULL, 0), "{" USER_COLS "}");
}

static void plan_strategies(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    static const struct {
        cfg_strategy st;
        bool named;
        bool shown;
    } cases[] = {
        {CFG_LOAD_SELECTIN, false, true}, {CFG_LOAD_JOINED, false, true},
        {CFG_LOAD_SELECT, false, false},  {CFG_LOAD_SELECT, true, true},
        {CFG_LOAD_NOLOAD, false, false},  {CFG_LOAD_NOLOAD, true, false},
        {CFG_LOAD_RAISE, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        orm_load_plan *p =
            df_plan_of(f, f->order, df_node(f, f->order, "user", cases[i].st, cases[i].named));
        /* Inside, the user's orders follow their model default (selectin):
         * the first order is on the path (columns only). */
        ts_assert_json(f->a, dto_entity(g.order1, p, NULL, 0),
                       cases[i].shown
                           ? "{'id': 1, 'user_id': '00000000-0000-0000-0000-000000000001',"
                             " 'total': '10.50', 'user': {" USER_COLS ", 'orders': [" O1 ", " O2
                             "]}}"
                           : O1);
    }
}

static void plan_without_node_uses_model_default(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    orm_load_plan *p = df_plan_of(f, f->user, NULL);
    ts_assert_json(f->a, dto_entity(g.user, p, NULL, 0),
                   "{" USER_COLS ", 'orders': [" O1 ", " O2 "]}");
    /* raiseload('*') / noload('*') cover relationships without a node. */
    p->wildcard_raise = true;
    ts_assert_json(f->a, dto_entity(g.user, p, NULL, 0), "{" USER_COLS "}");
    p->wildcard_raise = false;
    p->wildcard_noload = true;
    ts_assert_json(f->a, dto_entity(g.user, p, NULL, 0), "{" USER_COLS "}");
}

static void nested_and_cycles(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    /* selectinload(orders).joinedload(user): the user inside each order is
     * the root itself: columns only, not expanded again. */
    orm_load_node *orders = df_node(f, f->user, "orders", CFG_LOAD_SELECTIN, true);
    df_add_child(f, orders, df_node(f, f->order, "user", CFG_LOAD_JOINED, false));
    ts_assert_json(f->a, dto_entity(g.user, df_plan_of(f, f->user, orders), NULL, 0),
                   "{" USER_COLS ", 'orders': ["
                   "{'id': 1, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '10.50',"
                   " 'user': {" USER_COLS "}},"
                   "{'id': 2, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '0.00',"
                   " 'user': {" USER_COLS "}}]}");
    /* From an order: user, then the user's orders (the first order is on
     * the path: columns only; the second is expanded, its user is on the
     * path). */
    orm_load_node *user = df_node(f, f->order, "user", CFG_LOAD_JOINED, false);
    orm_load_node *uorders = df_node(f, f->user, "orders", CFG_LOAD_SELECTIN, false);
    df_add_child(f, user, uorders);
    df_add_child(f, uorders, df_node(f, f->order, "user", CFG_LOAD_JOINED, false));
    ts_assert_json(f->a, dto_entity(g.order1, df_plan_of(f, f->order, user), NULL, 0),
                   "{'id': 1, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '10.50',"
                   " 'user': {" USER_COLS ", 'orders': [" O1 ","
                   " {'id': 2, 'user_id': '00000000-0000-0000-0000-000000000001', 'total': '0.00',"
                   "  'user': {" USER_COLS "}}]}}");
    /* A nested level without a node: the model default (Order.user is
     * raise: out). */
    orm_load_node *bare = df_node(f, f->user, "orders", CFG_LOAD_SELECTIN, false);
    ts_assert_json(f->a, dto_entity(g.user, df_plan_of(f, f->user, bare), NULL, 0),
                   "{" USER_COLS ", 'orders': [" O1 ", " O2 "]}");
}

static void to_one_null_and_empty_to_many(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    /* Note.user is lazy joined; loaded and empty: null. */
    orm__rel_reset(g.note, g.n_user);
    ts_assert_json(f->a, dto_entity(g.note, NULL, NULL, 0),
                   "{'id': 5, 'user_id': null, 'body': 'hi', 'user': null}");
    orm_entity *u = user_entity(f, U1, "a@b.c");
    orm__rel_reset(u, g.u_orders);
    orm__rel_reset(u, g.u_notes);
    orm_load_plan *p = df_plan_of(f, f->user, df_node(f, f->user, "notes", CFG_LOAD_SELECT, true));
    ts_assert_json(f->a, dto_entity(u, p, NULL, 0), "{" USER_COLS ", 'orders': [], 'notes': []}");
}

static void fields_and_relationships(void **state)
{
    df_fixture *f = *state;
    graph g = build_graph(f);
    /* fields restricts columns; a relationship named there appears when
     * loaded, an eager one appears as SPEC.md says. */
    const char *only_email[] = {"email"};
    ts_assert_json(f->a, dto_entity(g.user, NULL, only_email, 1),
                   "{'email': 'a@b.c', 'orders': [" O1 ", " O2 "]}");
    const char *with_user[] = {"total", "user"};
    ts_assert_json(f->a, dto_entity(g.order1, NULL, with_user, 2),
                   "{'total': '10.50', 'user': {" USER_COLS ", 'orders': [" O1 ", " O2 "]}}");
    orm_entity *items[] = {g.order2};
    ts_assert_json(f->a, dto_entities(items, 1, NULL, with_user, 2),
                   "[{'total': '0.00', 'user': {" USER_COLS ", 'orders': [" O1 ", " O2 "]}}]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, df_setup, df_teardown)
        T(values_by_type),
        T(null_of_every_type),
        T(entity_columns_in_model_order),
        T(unloaded_columns_left_out),
        T(fields_subset),
        T(default_eager_without_plan),
        T(plan_strategies),
        T(plan_without_node_uses_model_default),
        T(nested_and_cycles),
        T(to_one_null_and_empty_to_many),
        T(fields_and_relationships),
#undef T
    };
    return cmocka_run_group_tests_name("dto_output", tests, NULL, NULL);
}
