/*
 * test_orm_plan — load plans (src/orm/orm_plan.c) by SPEC.md's precise
 * rules, without a database: the registry is built from a config string,
 * query documents and GET parameters are translated by Core, and the
 * session never runs a statement (it has no pool).
 *
 *   - effective strategy: the option for the relationship, else its lazy
 *   - include=a,a.b: selectinload, every hop named
 *   - a dotted option sets its last hop; earlier hops without an option of
 *     their own get the same strategy; a hop's own option beats an implied
 *     one, else the first in document order wins
 *   - named + select: loaded per parent; named + raise: 400 naming the
 *     relationship and the option; noload: omitted even when named
 *   - wildcards for relationships without an option of their own, at
 *     their level
 *   - a default eager strategy is not followed back through the inverse,
 *     and stops at ORM_MAX_DEFAULT_DEPTH
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "query.h"
#include "sql.h"

static const char *const CONFIG =
    "{\"models\": {"
    " \"User\": {\"table\": \"pu_users\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true}},"
    "  \"relationships\": {"
    "   \"orders\": {\"target\": \"Order\", \"kind\": \"one_to_many\", \"foreign_key\": "
    "\"user_id\","
    "                \"back_populates\": \"user\"}}},"
    " \"Order\": {\"table\": \"pu_orders\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"user_id\": {\"type\": \"integer\", \"references\": \"pu_users.id\"}},"
    "  \"relationships\": {"
    "   \"user\": {\"target\": \"User\", \"kind\": \"many_to_one\", \"foreign_key\": \"user_id\","
    "              \"back_populates\": \"orders\", \"lazy\": \"selectin\"},"
    "   \"items\": {\"target\": \"Item\", \"kind\": \"one_to_many\", \"foreign_key\": \"order_id\","
    "               \"back_populates\": \"order\"},"
    "   \"tags\": {\"target\": \"Tag\", \"kind\": \"many_to_many\", \"secondary\": \"OrderTag\"}}},"
    " \"Item\": {\"table\": \"pu_items\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"order_id\": {\"type\": \"integer\", \"references\": \"pu_orders.id\"}},"
    "  \"relationships\": {"
    "   \"order\": {\"target\": \"Order\", \"kind\": \"many_to_one\", \"foreign_key\": "
    "\"order_id\","
    "               \"back_populates\": \"items\", \"lazy\": \"joined\"}}},"
    " \"Tag\": {\"table\": \"pu_tags\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true}}},"
    " \"OrderTag\": {\"table\": \"pu_order_tags\", \"columns\": {"
    "   \"order_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"pu_orders.id\"},"
    "   \"tag_id\": {\"type\": \"integer\", \"primary_key\": true, \"references\": "
    "\"pu_tags.id\"}}},"
    " \"Category\": {\"table\": \"pu_categories\", \"columns\": {"
    "   \"id\": {\"type\": \"integer\", \"primary_key\": true},"
    "   \"parent_id\": {\"type\": \"integer\", \"references\": \"pu_categories.id\"}},"
    "  \"relationships\": {"
    "   \"children\": {\"target\": \"Category\", \"kind\": \"one_to_many\", \"foreign_key\": "
    "\"parent_id\","
    "                  \"back_populates\": \"parent\", \"lazy\": \"selectin\"},"
    "   \"parent\": {\"target\": \"Category\", \"kind\": \"many_to_one\", \"foreign_key\": "
    "\"parent_id\","
    "                \"back_populates\": \"children\", \"lazy\": \"selectin\"}}}"
    "}}";

typedef struct fx {
    arena *a;
    err_report err;
    orm_registry *reg;
    orm_session *s;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->a = arena_create(NULL, "test_orm_plan");
    err_init(&f->err, f->a);
    cfg_config *cfg = cfg_load_string(f->a, CONFIG, "test", (char *const[]){NULL}, &f->err);
    assert_non_null(cfg);
    f->reg = orm_registry_create(f->a, cfg, &f->err);
    assert_non_null(f->reg);
    orm_session_options o = {.autoflush = true};
    f->s = orm_session_open(f->a, &o);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    arena_destroy(f->a);
    free(f);
    return 0;
}

static const orm_mapper *mapper(fx *f, const char *name)
{
    const orm_mapper *m = orm_mapper_by_name(f->reg, name);
    assert_non_null(m);
    return m;
}

/* The plan of a query document over model; NULL (with f->err) on error. */
static orm_load_plan *plan_of(fx *f, const char *model, const char *json)
{
    const orm_mapper *m = mapper(f, model);
    err_init(&f->err, f->a);
    json_error_t jerr;
    json_t *doc = json_loads(json, 0, &jerr);
    assert_non_null(doc);
    sql_builder *b = sql_builder_new(f->a, &f->err);
    query_doc *q = arena_alloc(f->a, sizeof *q);
    bool ok = query_parse(b, sql_from_table(b, m->table, NULL), doc, NULL, q, &f->err);
    json_decref(doc);
    if (!ok) {
        print_message("document refused: %s\n", f->err.n_items ? f->err.items[0].detail : "?");
        fail();
    }
    return orm_load_plan_build(f->s, m, &q->load, &f->err);
}

static orm_load_plan *plan_ok(fx *f, const char *model, const char *json)
{
    orm_load_plan *p = plan_of(f, model, json);
    if (!p)
        print_message("plan refused: %s\n", f->err.detail ? f->err.detail : "?");
    assert_non_null(p);
    return p;
}

/* "path=strategy[*]" for every node, pre-order, "*" marking named nodes. */
static void shape_nodes(char *out, size_t cap, orm_load_node *const *nodes, size_t n,
                        const char *prefix)
{
    static const char *const names[] = {"raise", "select", "selectin", "joined", "noload"};
    for (size_t i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", nodes[i]->rel->name);
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s=%s%s", len ? " " : "", path, names[nodes[i]->strategy],
                 nodes[i]->named ? "*" : "");
        shape_nodes(out, cap, nodes[i]->children, nodes[i]->n_children, path);
    }
}

static const char *shape(const orm_load_plan *p)
{
    static char buf[2048];
    buf[0] = '\0';
    shape_nodes(buf, sizeof buf, p->children, p->n_children, "");
    return buf;
}

static void test_model_defaults(void **state)
{
    fx *f = *state;
    /* Order.user is selectin by default; User.orders (raise) stops it. */
    assert_string_equal(shape(plan_ok(f, "Order", "{}")), "user=selectin");
    orm_load_plan *p = orm_load_plan_build(f->s, mapper(f, "Order"), NULL, &f->err);
    assert_non_null(p);
    assert_string_equal(shape(p), "user=selectin");
    /* User.orders is raise: nothing. */
    assert_string_equal(shape(plan_ok(f, "User", "{}")), "");
}

static void test_include(void **state)
{
    fx *f = *state;
    const orm_mapper *U = mapper(f, "User");
    sql_builder *b = sql_builder_new(f->a, &f->err);
    query_doc q = {0};
    const char *names[] = {"include"}, *values[] = {"orders,orders.items"};
    assert_true(query_parse_params(b, sql_from_table(b, U->table, NULL), names, values, 1, NULL,
                                     &q, &f->err));
    orm_load_plan *p = orm_load_plan_build(f->s, U, &q.load, &f->err);
    assert_non_null(p);
    /* Item.order (joined by default) is the inverse of the hop: not followed. */
    assert_string_equal(shape(p), "orders=selectin* orders.items=selectin*");
    /* include=orders.items alone names and loads both hops. */
    query_doc q2 = {0};
    const char *v2[] = {"orders.items"};
    assert_true(query_parse_params(b, sql_from_table(b, U->table, NULL), names, v2, 1, NULL, &q2,
                                     &f->err));
    p = orm_load_plan_build(f->s, U, &q2.load, &f->err);
    assert_string_equal(shape(p), "orders=selectin* orders.items=selectin*");
}

static void test_dotted_option_sets_earlier_hops(void **state)
{
    fx *f = *state;
    orm_load_plan *p = plan_ok(f, "User", "{\"options\": [{\"joinedload\": \"orders.items\"}]}");
    assert_string_equal(shape(p), "orders=joined orders.items=joined");
    assert_false(p->children[0]->explicit_);
    assert_true(p->children[0]->children[0]->explicit_);
}

static void test_hop_own_option_wins(void **state)
{
    fx *f = *state;
    /* The option naming "orders" itself wins over the one implying it,
     * whatever the order. */
    assert_string_equal(
        shape(plan_ok(
            f, "User",
            "{\"options\": [{\"joinedload\": \"orders.items\"}, {\"selectinload\": \"orders\"}]}")),
        "orders=selectin orders.items=joined");
    assert_string_equal(
        shape(plan_ok(
            f, "User",
            "{\"options\": [{\"selectinload\": \"orders\"}, {\"joinedload\": \"orders.items\"}]}")),
        "orders=selectin orders.items=joined");
    /* Both imply it: the first in document order. */
    assert_string_equal(shape(plan_ok(f, "User",
                                      "{\"options\": [{\"joinedload\": \"orders.items\"}, "
                                      "{\"selectinload\": \"orders.tags\"}]}")),
                        "orders=joined orders.items=joined orders.tags=selectin");
    assert_string_equal(shape(plan_ok(f, "User",
                                      "{\"options\": [{\"selectinload\": \"orders.tags\"}, "
                                      "{\"joinedload\": \"orders.items\"}]}")),
                        "orders=selectin orders.items=joined orders.tags=selectin");
    /* Two options naming the same hop: the first. */
    assert_string_equal(
        shape(plan_ok(
            f, "User",
            "{\"options\": [{\"joinedload\": \"orders\"}, {\"selectinload\": \"orders\"}]}")),
        "orders=joined");
}

static void test_named_strategies(void **state)
{
    fx *f = *state;
    /* select named: loaded per parent; not named: not in the plan. */
    assert_string_equal(
        shape(plan_ok(
            f, "User",
            "{\"fields\": [\"id\", \"orders\"], \"options\": [{\"lazyload\": \"orders\"}]}")),
        "orders=select*");
    assert_string_equal(shape(plan_ok(f, "User", "{\"options\": [{\"lazyload\": \"orders\"}]}")),
                        "");
    /* noload: omitted even when named. */
    assert_string_equal(
        shape(plan_ok(f, "User",
                      "{\"fields\": [\"orders\"], \"options\": [{\"noload\": \"orders\"}]}")),
        "");
    /* raise named: 400 naming the relationship and the option. */
    assert_null(plan_of(f, "User", "{\"fields\": [\"id\", \"orders\"]}"));
    assert_int_equal(f->err.kind, ERR_BAD_REQUEST);
    assert_string_equal(f->err.detail, "relationship \"orders\" of pu_users is not loaded; add "
                                       "{\"selectinload\": \"orders\"} or include=orders");
    assert_string_equal(f->err.items[0].pointer, "/fields/1"); /* the entry */
    /* Named and eager: marked named. */
    assert_string_equal(
        shape(plan_ok(f, "User",
                      "{\"fields\": [\"orders\"], \"options\": [{\"joinedload\": \"orders\"}]}")),
        "orders=joined*");
    /* The implied strategy of an earlier hop counts as its option: a named
     * relationship implied raise is a 400. */
    assert_null(plan_of(
        f, "User", "{\"fields\": [\"orders\"], \"options\": [{\"raiseload\": \"orders.items\"}]}"));
    assert_int_equal(f->err.kind, ERR_BAD_REQUEST);
}

static void test_wildcards(void **state)
{
    fx *f = *state;
    orm_load_plan *p = plan_ok(f, "Order", "{\"options\": [{\"raiseload\": \"*\"}]}");
    assert_string_equal(shape(p), "");
    assert_true(p->wildcard_raise);
    assert_false(p->wildcard_noload);
    p = plan_ok(f, "Order", "{\"options\": [{\"noload\": \"*\"}]}");
    assert_string_equal(shape(p), "");
    assert_true(p->wildcard_noload);
    /* A relationship with its own option escapes the wildcard, in either
     * order. */
    assert_string_equal(
        shape(plan_ok(f, "Order",
                      "{\"options\": [{\"raiseload\": \"*\"}, {\"selectinload\": \"items\"}]}")),
        "items=selectin");
    assert_string_equal(
        shape(plan_ok(f, "Order",
                      "{\"options\": [{\"selectinload\": \"user\"}, {\"raiseload\": \"*\"}]}")),
        "user=selectin");
    /* Wildcard raise and the relationship named: 400; noload: omitted. */
    assert_null(
        plan_of(f, "Order", "{\"fields\": [\"user\"], \"options\": [{\"raiseload\": \"*\"}]}"));
    assert_string_equal(f->err.detail, "relationship \"user\" of pu_orders is not loaded; add "
                                       "{\"selectinload\": \"user\"} or include=user");
    assert_string_equal(
        shape(plan_ok(f, "Order", "{\"fields\": [\"user\"], \"options\": [{\"noload\": \"*\"}]}")),
        "");
    /* One level: "order.*" applies to Order's relationships under
     * Item.order (whose own strategy stays its default, joined). */
    assert_string_equal(shape(plan_ok(f, "Item", "{}")), "order=joined order.user=selectin");
    assert_string_equal(shape(plan_ok(f, "Item", "{\"options\": [{\"raiseload\": \"order.*\"}]}")),
                        "order=joined");
    /* A top-level wildcard does not reach below the first level. */
    assert_string_equal(
        shape(plan_ok(f, "Item",
                      "{\"options\": [{\"noload\": \"*\"}, {\"joinedload\": \"order\"}]}")),
        "order=joined order.user=selectin");
}

static void test_cycles(void **state)
{
    fx *f = *state;
    /* Order.user is eager by default but is the inverse of User.orders. */
    assert_string_equal(
        shape(plan_ok(f, "User", "{\"options\": [{\"selectinload\": \"orders\"}]}")),
        "orders=selectin");
    /* An explicit option may go back through it. */
    assert_string_equal(
        shape(plan_ok(f, "User", "{\"options\": [{\"selectinload\": \"orders.user\"}]}")),
        "orders=selectin orders.user=selectin");
    /* Category: children and parent are eager by default and inverses of
     * each other: children follow children down to the depth bound. */
    orm_load_plan *p = plan_ok(f, "Category", "{}");
    assert_int_equal(p->n_children, 2);
    const orm_load_node *n = p->children[0];
    int depth = 1;
    while (n->n_children) {
        assert_int_equal(n->n_children, 1); /* parent is not followed back */
        n = n->children[0];
        depth++;
    }
    assert_int_equal(depth, 8);
    /* parent follows parent the same way; parent.children is the
     * inverse, so never followed. */
    assert_string_equal(p->children[1]->rel->name, "parent");
    assert_non_null(orm_load_plan_find(p, "parent.parent.parent"));
    assert_null(orm_load_plan_find(p, "parent.children"));
    assert_non_null(orm_load_plan_find(p, "children.children.children"));
    assert_null(orm_load_plan_find(p, "children.parent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotted_option_sets_earlier_hops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hop_own_option_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_strategies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wildcards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
