/*
 * test_dto_write — the streamed DTO writer (dto_write_entity,
 * dto_write_entities in src/dto/dto_output.c, dto_write.c) against the
 * json_t path: for every column type and awkward value (NULL, reals such
 * as 0.1, 1e300, -0.0, NaN; integers; numeric strings; unicode, emoji,
 * control characters, quotes; invalid UTF-8; json columns with nested
 * objects; timestamptz), relationships, plans, cycles and fields subsets,
 * the text equals json_dumps(dto_entity(...), JSON_COMPACT |
 * JSON_ENCODE_ANY) byte for byte.
 *
 * No database: transient entities, relationship collections marked
 * loaded through orm__rel_reset/orm__rel_append (as test_dto_output).
 */
#include "dto_fixture.h"
#include "orm_int.h"

static void assert_same_entity(df_fixture *f, const orm_entity *e, const orm_load_plan *plan,
                               const char *const *fields, size_t n_fields)
{
    json_t *tree = dto_entity(e, plan, fields, n_fields);
    char *want = json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(tree);
    assert_non_null(want);
    sbuf out;
    sbuf_init(&out, f->a, 16);
    jsonw w;
    jsonw_init_text(&w, &out);
    dto_write_entity(&w, e, plan, fields, n_fields);
    if (strcmp(want, out.data) != 0 || strlen(want) != out.len) {
        print_message("jansson: %s\nstreamed: %s\n", want, out.data);
        free(want);
        fail();
    }
    free(want);
}

static void assert_same_entities(df_fixture *f, orm_entity *const *items, size_t n,
                                 const orm_load_plan *plan, const char *const *fields,
                                 size_t n_fields)
{
    json_t *tree = dto_entities(items, n, plan, fields, n_fields);
    /* as inside the list envelope */
    json_t *env = json_pack("{s:o}", "data", tree);
    char *want = json_dumps(env, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(env);
    assert_non_null(want);
    sbuf out;
    sbuf_init(&out, f->a, 16);
    jsonw w;
    jsonw_init_text(&w, &out);
    jsonw_object_begin(&w);
    jsonw_key(&w, "data");
    dto_write_entities(&w, items, n, plan, fields, n_fields);
    jsonw_object_end(&w);
    if (strcmp(want, out.data) != 0 || strlen(want) != out.len) {
        print_message("jansson: %s\nstreamed: %s\n", want, out.data);
        free(want);
        fail();
    }
    free(want);
}

/* ---- values ---------------------------------------------------------------- */

static orm_entity *item_with(df_fixture *f, const char *col, const char *text)
{
    orm_entity *e = orm_entity_new(f->session, f->item);
    orm_entity_set(e, df_col(f->item, "id"), "1");
    orm_entity_set(e, df_col(f->item, col), text);
    orm_entity_set(e, df_col(f->item, "version"), "2");
    return e;
}

static void every_value(void **state)
{
    df_fixture *f = *state;
    static const char *const cases[][2] = {
        {"qty", "42"},
        {"qty", "-2147483648"},
        {"qty", "0"},
        {"qty", NULL},
        {"big", "9223372036854775807"},
        {"big", "-9223372036854775808"},
        {"big", "9007199254740993"},
        {"ratio", "0.1"},
        {"ratio", "0.5"},
        {"ratio", "3"},
        {"ratio", "-0"},
        {"ratio", "-0.0"},
        {"ratio", "1e300"},
        {"ratio", "-1e-300"},
        {"ratio", "1e-5"},
        {"ratio", "1e21"},
        {"ratio", "123456789012345678"},
        {"ratio", "5e-324"},
        {"ratio", "1.7976931348623157e308"},
        {"ratio", "2.2250738585072014e-308"},
        {"ratio", "0.30000000000000004"},
        {"ratio", "100"},
        {"ratio", "1e16"},
        {"ratio", "1e17"},
        {"ratio", "3.14159"},
        {"ratio", "NaN"},
        {"ratio", "Infinity"},
        {"ratio", "-Infinity"},
        {"ratio", NULL},
        {"price", "1234.50"},
        {"amount", "0.1000000000000000000000000001"},
        {"amount", "-0"},
        {"active", "t"},
        {"active", "f"},
        {"active", "true"},
        {"active", "false"},
        {"active", NULL},
        {"ref", "123e4567-e89b-12d3-a456-426614174000"},
        {"name", "\xc3\xa9t\xc3\xa9"},
        {"name", ""},
        {"name", "\xf0\x9f\x98\x80 emoji"},
        {"name", "\xe2\x82\xac\xef\xbf\xbf\xf4\x8f\xbf\xbf"},
        {"note", "x\"y\\z/w"},
        {"note", "\b\f\n\r\t\x01\x1f\x7f end"},
        {"note", "line1\nline2\x1b[0m"},
        {"note", "</script>"},
        /* invalid UTF-8: jansson has no string for it, the member goes */
        {"note", "bad \xff byte"},
        {"note", "\xc0\xaf"},
        {"note", "\xed\xa0\x80"},
        {"note", "\xe2\x82"},
        {"note", "\xf4\x90\x80\x80"},
        {"note", "\x80"},
        {"born", "2026-01-31"},
        {"seen_at", "2026-01-02 03:04:05.123+00"},
        {"seen_at", "2026-01-02 03:04:05+05:30"},
        {"seen_at", "2026-01-02 03:04:05-08"},
        {"seen_at", "1890-01-01 00:00:00+00:53:28"},
        {"seen_at", "infinity"},
        {"seen_at", "2026-01-02T03:04:05Z"},
        {"meta", "{\"a\": [1, null, 2.5, 1e300, -0.0], \"b\": {\"c\": \"d\\u0001\\\"\"}}"},
        {"meta", "3"},
        {"meta", "\"s\""},
        {"meta", "null"},
        {"meta", "[]"},
        {"meta", "{}"},
        {"meta", "{\"z\": 1, \"a\": 2, \"z\": 3}"},
        {"meta", "{\"emoji\": \"\\ud83d\\ude00\"}"},
        {"meta", "not json"},
        {"meta", "true"},
        {"status", "\xc3\xbcn\xc3\xaf"},
        {"created_by", "me"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        orm_entity *e = item_with(f, cases[i][0], cases[i][1]);
        assert_same_entity(f, e, NULL, NULL, 0);
        /* the value alone, first and last member */
        const char *only[] = {cases[i][0]};
        assert_same_entity(f, e, NULL, only, 1);
    }
}

static orm_entity *full_item(df_fixture *f)
{
    orm_entity *e = orm_entity_new(f->session, f->item);
    static const char *const values[][2] = {
        {"id", "7"},
        {"ref", NULL},
        {"name", "a\"b"},
        {"note", "\xff"},
        {"qty", "-1"},
        {"big", "10000000000"},
        {"ratio", "0.1"},
        {"price", "10.00"},
        {"amount", NULL},
        {"active", "t"},
        {"born", "2026-01-31"},
        {"seen_at", "2026-01-02 03:04:05+00"},
        {"meta", "{\"k\": {\"n\": [1, {\"x\": null}]}}"},
        {"status", "new"},
        {"secret", "hash"},
        {"created_by", "me"},
        {"version", "3"},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        orm_entity_set(e, df_col(f->item, values[i][0]), values[i][1]);
    return e;
}

static void entities_and_fields(void **state)
{
    df_fixture *f = *state;
    orm_entity *e = full_item(f);
    assert_same_entity(f, e, NULL, NULL, 0);
    assert_same_entity(f, NULL, NULL, NULL, 0);
    const char *fields[] = {"version", "secret", "id", "nope", "note"};
    assert_same_entity(f, e, NULL, fields, 5);
    const char *bad_only[] = {"note"}; /* the one member dropped: {} */
    assert_same_entity(f, e, NULL, bad_only, 1);
    orm_entity *empty = orm_entity_new(f->session, f->item);
    assert_same_entity(f, empty, NULL, NULL, 0);
    orm_entity *items[] = {e, NULL, e, empty};
    assert_same_entities(f, items, 4, NULL, NULL, 0);
    assert_same_entities(f, items, 4, NULL, fields, 5);
    assert_same_entities(f, NULL, 0, NULL, NULL, 0);
    orm_entity *nulls[] = {NULL, NULL};
    assert_same_entities(f, nulls, 2, NULL, NULL, 0);
}

/* ---- relationships ------------------------------------------------------------ */

static const char U1[] = "00000000-0000-0000-0000-000000000001";

static orm_entity *user_entity(df_fixture *f, const char *id, const char *email)
{
    orm_entity *u = orm_entity_new(f->session, f->user);
    orm_entity_set(u, df_col(f->user, "id"), id);
    orm_entity_set(u, df_col(f->user, "email"), email);
    orm_entity_set(u, df_col(f->user, "password"), "secret-hash");
    return u;
}

static orm_entity *order_entity(df_fixture *f, const char *id, const char *total)
{
    orm_entity *o = orm_entity_new(f->session, f->order);
    orm_entity_set(o, df_col(f->order, "id"), id);
    orm_entity_set(o, df_col(f->order, "user_id"), U1);
    orm_entity_set(o, df_col(f->order, "total"), total);
    return o;
}

static void relationships(void **state)
{
    df_fixture *f = *state;
    size_t u_orders = orm_mapper_relationship(f->user, "orders")->index;
    size_t u_notes = orm_mapper_relationship(f->user, "notes")->index;
    size_t o_user = orm_mapper_relationship(f->order, "user")->index;
    size_t n_user = orm_mapper_relationship(f->note, "user")->index;
    orm_entity *user = user_entity(f, U1, "\xf0\x9f\x98\x80@b.c");
    orm_entity *o1 = order_entity(f, "1", "10.50"), *o2 = order_entity(f, "2", NULL);
    orm__rel_reset(user, u_orders);
    orm__rel_append(user, u_orders, o1);
    orm__rel_append(user, u_orders, o2);
    orm__rel_reset(o1, o_user);
    orm__rel_append(o1, o_user, user);
    orm__rel_reset(o2, o_user);
    orm__rel_append(o2, o_user, user);
    orm_entity *note = orm_entity_new(f->session, f->note);
    orm_entity_set(note, df_col(f->note, "id"), "5");
    orm_entity_set(note, df_col(f->note, "user_id"), NULL);
    orm_entity_set(note, df_col(f->note, "body"), "hi\n");
    orm__rel_reset(note, n_user);

    /* model defaults, no plan */
    assert_same_entity(f, user, NULL, NULL, 0);
    assert_same_entity(f, o1, NULL, NULL, 0);
    assert_same_entity(f, note, NULL, NULL, 0); /* to-one null */
    /* every strategy on Order.user */
    static const cfg_strategy sts[] = {CFG_LOAD_SELECTIN, CFG_LOAD_JOINED, CFG_LOAD_SELECT,
                                       CFG_LOAD_NOLOAD, CFG_LOAD_RAISE};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
        for (int named = 0; named < 2; named++)
            assert_same_entity(f, o1,
                               df_plan_of(f, f->order, df_node(f, f->order, "user", sts[i], named)),
                               NULL, 0);
    /* wildcards */
    orm_load_plan *p = df_plan_of(f, f->user, NULL);
    assert_same_entity(f, user, p, NULL, 0);
    p->wildcard_raise = true;
    assert_same_entity(f, user, p, NULL, 0);
    /* nested, cycles */
    orm_load_node *orders = df_node(f, f->user, "orders", CFG_LOAD_SELECTIN, true);
    df_add_child(f, orders, df_node(f, f->order, "user", CFG_LOAD_JOINED, false));
    assert_same_entity(f, user, df_plan_of(f, f->user, orders), NULL, 0);
    orm_load_node *u = df_node(f, f->order, "user", CFG_LOAD_JOINED, false);
    orm_load_node *uorders = df_node(f, f->user, "orders", CFG_LOAD_SELECTIN, false);
    df_add_child(f, u, uorders);
    df_add_child(f, uorders, df_node(f, f->order, "user", CFG_LOAD_JOINED, false));
    assert_same_entity(f, o1, df_plan_of(f, f->order, u), NULL, 0);
    /* empty to-many, named select */
    orm_entity *lonely = user_entity(f, U1, "a\"b");
    orm__rel_reset(lonely, u_orders);
    orm__rel_reset(lonely, u_notes);
    orm_load_plan *pn = df_plan_of(f, f->user, df_node(f, f->user, "notes", CFG_LOAD_SELECT, true));
    assert_same_entity(f, lonely, pn, NULL, 0);
    /* fields with relationships, lists */
    const char *only_email[] = {"email"};
    assert_same_entity(f, user, NULL, only_email, 1);
    const char *with_user[] = {"total", "user"};
    assert_same_entity(f, o1, NULL, with_user, 2);
    orm_entity *items[] = {o2, NULL, o1};
    assert_same_entities(f, items, 3, NULL, with_user, 2);
    orm_entity *users[] = {user, lonely, user};
    assert_same_entities(f, users, 3, df_plan_of(f, f->user, orders), NULL, 0);
    assert_same_entities(f, users, 3, pn, only_email, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, df_setup, df_teardown)
        T(every_value),
        T(entities_and_fields),
        T(relationships),
#undef T
    };
    return cmocka_run_group_tests_name("dto_write", tests, NULL, NULL);
}
