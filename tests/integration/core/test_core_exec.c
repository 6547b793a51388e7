/*
 * test_core_exec — Core statements executed on a real PostgreSQL through
 * request sessions: the schema comes from configuration JSON
 * (cfg_load_string -> orm_metadata_from_config -> create_all), every
 * column type makes a round trip to JSON (dto), every statement kind the
 * builders make runs, values that look like SQL stay values, and
 * integrity errors come back classified and mapped to constraints and
 * columns of the metadata. Also transaction visibility between sessions.
 *
 * Tables are prefixed "cx_"; test_core_cache_exec uses "cc_".
 */
#include "core_exec_fixture.h"

#include <math.h>

static ce_fixture F;

static int group_setup(void **state)
{
    (void) state;
    return ce_group_setup(&F, "cx_");
}

static int group_teardown(void **state)
{
    (void) state;
    return ce_group_teardown(&F);
}

static int setup(void **state)
{
    (void) state;
    F.a = arena_create(NULL, "test_core_exec test");
    ce_truncate(&F, F.a);
    return 0;
}

static int teardown(void **state)
{
    (void) state;
    arena_destroy(F.a); /* closes every session still open */
    F.a = NULL;
    eng_pool_status st;
    eng_pool_get_status(F.pool, &st);
    assert_int_equal(st.checked_out, 0);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static sql_builder *builder(err_report *berr)
{
    err_init(berr, F.a);
    return sql_builder_new(F.a, berr);
}

static orm_session *session(void)
{
    return ce_session(F.a, F.pool, F.cache);
}

static const sql_column *col(const sql_table *t, const char *name)
{
    const sql_column *c = sql_table_column(t, name);
    assert_non_null(c);
    return c;
}

static const sql_relation *rel(const sql_table *t, const char *name)
{
    const sql_relation *r = sql_table_relation(t, name);
    assert_non_null(r);
    return r;
}

static void commit(orm_session *s)
{
    err_report err;
    err_init(&err, F.a);
    assert_true(orm_session_commit(s, &err));
    ts_assert_ok(&err, "commit");
}

/* SET LOCAL TimeZone, through text() with a parameter. */
static void set_timezone(orm_session *s, const char *tz)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    sql_text *t = sql_text_new(b, "SELECT set_config('TimeZone', :tz, true) AS tz");
    assert_true(sql_text_bind(b, t, "tz", sql_val_str(tz)));
    eng_result *r = ce_run(s, b, t, &berr);
    assert_string_equal(eng_result_value(r, 0, 0), tz);
}

static sql_insert *insert_owners(sql_builder *b, const char *const *names,
                                 const char *const *balances, size_t n)
{
    sql_from *t = sql_from_table(b, F.owners, NULL);
    const sql_column *cols[2] = {col(F.owners, "name"), col(F.owners, "balance")};
    sql_insert *ins = sql_insert_new(b, t, cols, 2);
    for (size_t i = 0; i < n; i++) {
        sql_node *row[2] = {sql_bind(b, sql_val_str(names[i])),
                            balances[i] ? sql_bind(b, sql_val_str(balances[i]))
                                        : sql_lit(b, SQL_LIT_DEFAULT)};
        sql_insert_row(b, ins, row);
    }
    sql_insert_returning(b, ins, sql_col(b, t, "id"), NULL);
    sql_insert_returning(b, ins, sql_col(b, t, "name"), NULL);
    sql_insert_returning(b, ins, sql_col(b, t, "balance"), NULL);
    return ins;
}

/* Owners alice (100), bob (50.5), carol (0); things a1 (alice, 10),
 * a2 (alice, 20), a3 (alice, NULL), b1 (bob, 5), orphan (no owner, 7);
 * tags red, blue; a1 is red and blue, b1 is blue. Committed. */
typedef struct seeded {
    const char *alice, *bob, *carol; /* uuids */
} seeded;

static seeded seed(void)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    orm_session *s = session();
    const char *names[] = {"alice", "bob", "carol"};
    const char *balances[] = {"100", "50.5", NULL};
    eng_result *r = ce_run(s, b, insert_owners(b, names, balances, 3), &berr);
    assert_int_equal(eng_result_rows(r), 3);
    seeded ids = {arena_strdup(F.a, eng_result_value(r, 0, 0)),
                  arena_strdup(F.a, eng_result_value(r, 1, 0)),
                  arena_strdup(F.a, eng_result_value(r, 2, 0))};

    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *tc[4] = {col(F.things, "owner_id"), col(F.things, "n_int"),
                               col(F.things, "s_text"), col(F.things, "n_float")};
    sql_insert *ins = sql_insert_new(b, t, tc, 4);
    struct {
        const char *owner;
        int n; /* -1 = NULL */
        const char *text;
        double f;
    } rows[] = {{ids.alice, 10, "a1", 1.5},
                {ids.alice, 20, "a2", 2.25},
                {ids.alice, -1, "a3", 0},
                {ids.bob, 5, "b1", -4},
                {NULL, 7, "orphan", 8}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sql_node *row[4] = {sql_bind(b, sql_val_str(rows[i].owner)),
                            sql_bind(b, rows[i].n < 0 ? sql_val_null() : sql_val_int(rows[i].n)),
                            sql_bind(b, sql_val_str(rows[i].text)),
                            sql_bind(b, sql_val_float(rows[i].f))};
        sql_insert_row(b, ins, row);
    }
    r = ce_run(s, b, ins, &berr);
    assert_int_equal(eng_result_affected(r), 5);

    sql_from *tg = sql_from_table(b, F.tags, NULL);
    const sql_column *gc[1] = {col(F.tags, "name")};
    sql_insert *tags = sql_insert_new(b, tg, gc, 1);
    sql_insert_row(b, tags, (sql_node *[]){sql_bind(b, sql_val_str("red"))});
    sql_insert_row(b, tags, (sql_node *[]){sql_bind(b, sql_val_str("blue"))});
    ce_run(s, b, tags, &berr);

    sql_from *tt = sql_from_table(b, F.thing_tags, NULL);
    const sql_column *ttc[2] = {col(F.thing_tags, "thing_id"), col(F.thing_tags, "tag_id")};
    sql_insert *links = sql_insert_new(b, tt, ttc, 2);
    const int pairs[][2] = {{1, 1}, {1, 2}, {4, 2}};
    for (size_t i = 0; i < 3; i++)
        sql_insert_row(b, links,
                       (sql_node *[]){sql_bind(b, sql_val_int(pairs[i][0])),
                                      sql_bind(b, sql_val_int(pairs[i][1]))});
    r = ce_run(s, b, links, &berr);
    assert_int_equal(eng_result_affected(r), 3);
    commit(s);
    orm_session_close(s);
    return ids;
}

/* SELECT count(*) FROM things WHERE cond (cond built on t). */
static long count_things(orm_session *s, sql_builder *b, err_report *berr, sql_from *t,
                         sql_node *cond)
{
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_count_star(b), "n");
    sql_select_from(b, q, t);
    if (cond)
        sql_select_where(b, q, cond);
    eng_result *r = ce_run(s, b, q, berr);
    return strtol(eng_result_value(r, 0, 0), NULL, 10);
}

/* ---- the schema from configuration ------------------------------------------------ */

static void test_schema_from_config(void **state)
{
    (void) state;
    /* The bridge kept what the config declared. */
    assert_int_equal(F.md->n_tables, 4);
    assert_true(F.md->frozen);
    assert_int_equal(F.thing_tags->n_primary_key, 2);
    assert_string_equal(F.thing_tags->primary_key[0]->name, "thing_id");
    assert_string_equal(F.thing_tags->primary_key[1]->name, "tag_id");
    assert_true(col(F.owners, "name")->unique);
    assert_false(col(F.owners, "name")->nullable);
    assert_int_equal(col(F.owners, "balance")->type.kind, SQL_TYPE_NUMERIC);
    assert_int_equal(col(F.owners, "balance")->type.precision, 20);
    assert_int_equal(col(F.owners, "balance")->type.scale, 6);
    assert_int_equal(col(F.things, "s_str")->type.length, 20);
    assert_ptr_equal(col(F.things, "owner_id")->references, col(F.owners, "id"));
    assert_ptr_equal(rel(F.things, "tags")->secondary, F.thing_tags);
    assert_ptr_equal(rel(F.owners, "things")->target, F.things);

    /* Every constraint the server has is one the metadata knows, of the
     * same kind, and the other way round. */
    orm_session *s = session();
    eng_result *r =
        ce_sql(s, "SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype AS type "
                  "FROM pg_constraint c JOIN pg_class k ON k.oid = c.conrelid "
                  "JOIN pg_namespace n ON n.oid = k.relnamespace "
                  "WHERE n.nspname = current_schema() AND k.relname LIKE 'cx\\_%' ORDER BY 1, 2");
    size_t expected = 0;
    for (size_t i = 0; i < F.md->n_tables; i++) {
        const sql_table *t = F.md->tables[i];
        expected += (t->n_primary_key ? 1 : 0) + t->n_uniques + t->n_foreign_keys + t->n_checks;
    }
    assert_int_equal(eng_result_rows(r), (int) expected);
    assert_int_equal(expected, 4 /* pkeys */ + 2 /* unique names */ + 3 /* fkeys */ + 1);
    for (int i = 0; i < eng_result_rows(r); i++) {
        const char *tbl = eng_result_value(r, i, 0), *name = eng_result_value(r, i, 1);
        char type = eng_result_value(r, i, 2)[0];
        sql_constraint_info info;
        if (!sql_metadata_find_constraint(F.md, tbl, name, &info))
            fail_msg("the server's constraint %s.%s is not in the metadata", tbl, name);
        sql_constraint_kind want = type == 'p'   ? SQL_CONSTRAINT_PRIMARY_KEY
                                   : type == 'u' ? SQL_CONSTRAINT_UNIQUE
                                   : type == 'f' ? SQL_CONSTRAINT_FOREIGN_KEY
                                                 : SQL_CONSTRAINT_CHECK;
        assert_int_equal(info.kind, want);
        assert_string_equal(info.table->name, tbl);
    }
    /* The foreign keys not covered by a key got an index. */
    assert_string_equal(ce_scalar(s, "SELECT count(*) FROM pg_indexes WHERE schemaname = "
                                     "current_schema() AND indexname IN "
                                     "('cx_things_owner_id_idx', 'cx_thing_tags_tag_id_idx')"),
                        "2");
    /* The column types are the ones declared (type OIDs through the
     * result, below, and the DDL names here). */
    assert_string_equal(ce_scalar(s,
                                  "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                  "WHERE attrelid = 'cx_owners'::regclass AND attname = 'balance'"),
                        "numeric(20,6)");
    assert_string_equal(ce_scalar(s,
                                  "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                  "WHERE attrelid = 'cx_things'::regclass AND attname = 's_str'"),
                        "character varying(20)");
}

/* ---- 1. types --------------------------------------------------------------------- */

static const char TRICKY[] = "it's \"quoted\" back\\slash \\n not a newline; tab\there\n"
                             "ünïcødé 日本語 emoji 🎉🧪 '); DROP TABLE cx_things; --";
static const char UUID1[] = "8d3c1f2e-6b4a-4c1d-9e7f-0a1b2c3d4e5f";

static const char *const TYPE_COLUMNS[] = {"n_int", "n_big", "s_str", "n_float", "n_num", "s_text",
                                           "flag",  "ref",   "day",   "at",      "doc"};
enum { N_TYPE_COLUMNS = sizeof TYPE_COLUMNS / sizeof TYPE_COLUMNS[0] };

/* What dto makes of the three rows insert_type_rows() writes, with the
 * timestamps as the session's time zone shows them. */
static json_t *expected_rows(const char *at1, const char *at3)
{
    json_t *doc = json_pack("{s:[i,i,{s:n,s:[]}],s:s,s:f,s:b,s:{}}", "a", 1, 2, "b", "c", "s",
                            "x\"y\\z \u2713", "n", 1.5, "t", 1, "empty");
    json_t *rows = json_pack(
        "[{s:i,s:i,s:I,s:s,s:f,s:s,s:s,s:b,s:s,s:s,s:s,s:o},"
        " {s:i,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n},"
        " {s:i,s:i,s:I,s:s,s:f,s:s,s:s,s:b,s:s,s:s,s:s,s:[]}]",
        /* row 1 */
        "id", 1, "n_int", 2147483647, "n_big", (json_int_t) 9007199254740993LL, "s_str",
        "varchar(20) ok", "n_float", -1234.5625, "n_num", "12345678901234.123456", "s_text", TRICKY,
        "flag", 1, "ref", UUID1, "day", "2026-01-02", "at", at1, "doc", doc,
        /* row 2: NULL in every nullable column */
        "id", 2, "n_int", "n_big", "s_str", "n_float", "n_num", "s_text", "flag", "ref", "day",
        "at", "doc",
        /* row 3: the other edges */
        "id", 3, "n_int", -2147483647 - 1, "n_big", (json_int_t) INT64_MIN, "s_str",
        "exactly-twenty-chars", "n_float", 0.1, "n_num", "-0.000001", "s_text", "", "flag", 0,
        "ref", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "day", "1999-12-31", "at", at3, "doc");
    assert_non_null(rows);
    return rows;
}

/* One multi-row INSERT ... RETURNING of every type: ordinary values, NULL
 * everywhere, and edges. */
static eng_result *insert_type_rows(orm_session *s)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *cols[N_TYPE_COLUMNS];
    for (size_t i = 0; i < N_TYPE_COLUMNS; i++)
        cols[i] = col(F.things, TYPE_COLUMNS[i]);
    sql_insert *ins = sql_insert_new(b, t, cols, N_TYPE_COLUMNS);
    sql_node *full[N_TYPE_COLUMNS] = {
        sql_bind(b, sql_val_int(2147483647)),
        sql_bind(b, sql_val_int(9007199254740993LL)), /* 2^53 + 1: no double holds it */
        sql_bind(b, sql_val_str("varchar(20) ok")),
        sql_bind(b, sql_val_float(-1234.5625)),
        sql_bind(b, sql_val_str("12345678901234.123456")), /* 20 digits: no double either */
        sql_bind(b, sql_val_str(TRICKY)),
        sql_bind(b, sql_val_bool(true)),
        sql_bind(b, sql_val_str(UUID1)),
        sql_bind(b, sql_val_str("2026-01-02")),
        sql_bind(b, sql_val_str("2026-01-02T03:04:05.123456+02:00")),
        sql_bind(b, sql_val_str("{\"a\": [1, 2, {\"b\": null, \"c\": []}], "
                                "\"s\": \"x\\\"y\\\\z \\u2713\", \"n\": 1.5, \"t\": true, "
                                "\"empty\": {}}")),
    };
    sql_insert_row(b, ins, full);
    sql_node *nulls[N_TYPE_COLUMNS];
    for (size_t i = 0; i < N_TYPE_COLUMNS; i++)
        nulls[i] = sql_bind(b, sql_val_null());
    sql_insert_row(b, ins, nulls);
    sql_node *edges[N_TYPE_COLUMNS] = {
        sql_bind(b, sql_val_int(-2147483647 - 1)),
        sql_bind(b, sql_val_int(INT64_MIN)),
        sql_bind(b, sql_val_str("exactly-twenty-chars")),
        sql_bind(b, sql_val_float(0.1)),
        sql_bind(b, sql_val_str("-0.000001")),
        sql_bind(b, sql_val_str("")), /* empty, not NULL */
        sql_bind(b, sql_val_bool(false)),
        sql_bind(b, sql_val_str("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")), /* read back lower */
        sql_bind(b, sql_val_str("1999-12-31")),
        sql_bind(b, sql_val_str("2026-07-01T12:00:00Z")),
        sql_bind(b, sql_val_str("[]")),
    };
    sql_insert_row(b, ins, edges);
    sql_insert_returning(b, ins, sql_col(b, t, "id"), NULL);
    for (size_t i = 0; i < N_TYPE_COLUMNS; i++)
        sql_insert_returning(b, ins, sql_col(b, t, TYPE_COLUMNS[i]), NULL);
    eng_result *r = ce_run(s, b, ins, &berr);
    assert_int_equal(eng_result_rows(r), 3);
    assert_int_equal(eng_result_affected(r), 3);
    return r;
}

static eng_result *select_type_rows(orm_session *s)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    sql_from *t = sql_from_table(b, F.things, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, t, "id"), NULL);
    for (size_t i = 0; i < N_TYPE_COLUMNS; i++)
        sql_select_column(b, q, sql_col(b, t, TYPE_COLUMNS[i]), NULL);
    sql_select_from(b, q, t);
    sql_select_order_by(b, q, sql_col(b, t, "id"), false, SQL_NULLS_DEFAULT);
    return ce_run(s, b, q, &berr);
}

static void test_type_round_trip(void **state)
{
    (void) state;
    orm_session *s = session();
    set_timezone(s, "UTC");
    eng_result *ret = insert_type_rows(s);

    /* The created columns' type OIDs decide the JSON forms. */
    const uint32_t oids[] = {DTO_OID_INT4,   DTO_OID_INT4,    DTO_OID_INT8,        DTO_OID_VARCHAR,
                             DTO_OID_FLOAT8, DTO_OID_NUMERIC, DTO_OID_TEXT,        DTO_OID_BOOL,
                             DTO_OID_UUID,   DTO_OID_DATE,    DTO_OID_TIMESTAMPTZ, DTO_OID_JSONB};
    assert_int_equal(eng_result_cols(ret), (int) (sizeof oids / sizeof oids[0]));
    for (int c = 0; c < eng_result_cols(ret); c++)
        assert_int_equal(eng_result_coltype(ret, c), oids[c]);

    json_t *returned = dto_rows(ret);
    /* The bigint is exact, not its double neighbour; numeric stays a
     * string of its digits. */
    json_t *row1 = json_array_get(returned, 0);
    assert_true(json_is_integer(json_object_get(row1, "n_big")));
    assert_true(json_integer_value(json_object_get(row1, "n_big")) == 9007199254740993LL);
    assert_true((double) 9007199254740993LL == 9007199254740992.0); /* why it matters */
    assert_string_equal(json_string_value(json_object_get(row1, "n_num")), "12345678901234.123456");
    assert_true(json_is_real(json_object_get(row1, "n_float")));
    assert_string_equal(json_string_value(json_object_get(row1, "s_text")), TRICKY);
    /* One object per row; the same through dto_row_object. */
    ce_json_same(dto_row_object(ret, 1), json_incref(json_array_get(returned, 1)));
    ce_json_same(returned, expected_rows("2026-01-02T01:04:05.123456Z", "2026-07-01T12:00:00Z"));

    /* Selected back in the same transaction, then after commit. */
    ce_json_same(dto_rows(select_type_rows(s)),
                 expected_rows("2026-01-02T01:04:05.123456Z", "2026-07-01T12:00:00Z"));
    commit(s);
    orm_session *other = session();
    set_timezone(other, "UTC");
    ce_json_same(dto_rows(select_type_rows(other)),
                 expected_rows("2026-01-02T01:04:05.123456Z", "2026-07-01T12:00:00Z"));
}

/* The same instants seen from other time zones: the session's offset in
 * RFC 3339 form, half-hour zones and summer time included; and the same
 * instant written with another offset finds the row. */
static void test_timestamptz_zones(void **state)
{
    (void) state;
    orm_session *s = session();
    insert_type_rows(s);
    commit(s);

    static const struct {
        const char *zone, *at1, *at3;
    } zones[] = {
        {"UTC", "2026-01-02T01:04:05.123456Z", "2026-07-01T12:00:00Z"},
        {"Asia/Kolkata", "2026-01-02T06:34:05.123456+05:30", "2026-07-01T17:30:00+05:30"},
        {"America/St_Johns", "2026-01-01T21:34:05.123456-03:30", "2026-07-01T09:30:00-02:30"},
        {"Europe/Berlin", "2026-01-02T02:04:05.123456+01:00", "2026-07-01T14:00:00+02:00"},
    };
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        set_timezone(s, zones[i].zone);
        ce_json_same(dto_rows(select_type_rows(s)), expected_rows(zones[i].at1, zones[i].at3));
        commit(s); /* set_config(..., true) ends with the transaction */
    }

    const char *same_instant[] = {"2026-01-02T01:04:05.123456Z", "2026-01-02 06:34:05.123456+05:30",
                                  "2026-01-01T21:34:05.123456-03:30"};
    for (size_t i = 0; i < 3; i++) {
        err_report berr;
        sql_builder *b = builder(&berr);
        sql_from *t = sql_from_table(b, F.things, NULL);
        sql_select *q = sql_select_new(b);
        sql_select_column(b, q, sql_col(b, t, "id"), NULL);
        sql_select_from(b, q, t);
        sql_select_where(b, q,
                         sql_eq(b, sql_col(b, t, "at"), sql_bind(b, sql_val_str(same_instant[i]))));
        ce_json_eq(dto_rows(ce_run(s, b, q, &berr)), "[{'id': 1}]");
    }
}

/* Values JSON has no number or RFC 3339 form for stay strings of
 * PostgreSQL's text; BC timestamps are not turned into RFC 3339 lookalikes. */
static void test_type_edges(void **state)
{
    (void) state;
    orm_session *s = session();
    set_timezone(s, "UTC");
    err_report berr;
    sql_builder *b = builder(&berr);
    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *cols[3] = {col(F.things, "n_float"), col(F.things, "n_num"),
                                 col(F.things, "at")};
    sql_insert *ins = sql_insert_new(b, t, cols, 3);
    struct {
        double f;
        const char *num, *at;
    } rows[] = {{NAN, "NaN", "infinity"},
                {INFINITY, "0", "-infinity"},
                {-INFINITY, "0", "0044-03-15 12:00:00+00 BC"},
                {-0.0, "0", "9999-12-31T23:59:59.999999Z"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        sql_insert_row(b, ins,
                       (sql_node *[]){sql_bind(b, sql_val_float(rows[i].f)),
                                      sql_bind(b, sql_val_str(rows[i].num)),
                                      sql_bind(b, sql_val_str(rows[i].at))});
    sql_insert_returning(b, ins, sql_col(b, t, "n_float"), NULL);
    sql_insert_returning(b, ins, sql_col(b, t, "n_num"), NULL);
    sql_insert_returning(b, ins, sql_col(b, t, "at"), NULL);
    ce_json_eq(dto_rows(ce_run(s, b, ins, &berr)),
               "[{'n_float': 'NaN', 'n_num': 'NaN', 'at': 'infinity'},"
               " {'n_float': 'Infinity', 'n_num': '0.000000', 'at': '-infinity'},"
               " {'n_float': '-Infinity', 'n_num': '0.000000', 'at': '0044-03-15 12:00:00+00 BC'},"
               " {'n_float': -0.0, 'n_num': '0.000000', 'at': '9999-12-31T23:59:59.999999Z'}]");
    commit(s);

    /* Local mean time offsets have seconds (+00:19:32), which RFC 3339
     * cannot write: the instant must survive (as UTC), not be truncated
     * to +00:19. */
    static const struct {
        const char *zone, *instant;
    } lmt[] = {
        {"Europe/Amsterdam", "1900-01-01T00:00:00Z"},
        {"Europe/Amsterdam", "1900-01-01T23:59:59.5Z"},  /* next day locally */
        {"America/New_York", "1880-03-01T00:00:00Z"},    /* Feb 29 locally */
        {"America/New_York", "1883-11-18T16:59:59.25Z"}, /* last second of LMT */
    };
    for (size_t i = 0; i < sizeof lmt / sizeof lmt[0]; i++) {
        set_timezone(s, lmt[i].zone);
        sql_text *q = sql_text_new(b, "SELECT :t::timestamptz AS at, :t::timestamptz::text AS raw");
        sql_text_bind(b, q, "t", sql_val_str(lmt[i].instant));
        eng_result *r = ce_run(s, b, q, &berr);
        json_t *at = dto_cell(r, 0, 0);
        if (!json_is_string(at) || strcmp(json_string_value(at), lmt[i].instant) != 0)
            fail_msg("%s in %s (server text %s) became %s", lmt[i].instant, lmt[i].zone,
                     eng_result_value(r, 0, 1), json_is_string(at) ? json_string_value(at) : "?");
        json_decref(at);
        commit(s);
    }
}

/* ---- 2. statement kinds ------------------------------------------------------------- */

static void test_select_join_group_order(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    /* LEFT OUTER JOIN + WHERE + GROUP BY + HAVING + ORDER BY ... DESC NULLS
     * LAST + LIMIT/OFFSET, all values bound. */
    for (int variant = 0; variant < 4; variant++) {
        sql_from *o = sql_from_table(b, F.owners, "o");
        sql_from *t = sql_from_table(b, F.things, "t");
        sql_select *q = sql_select_new(b);
        sql_select_column(b, q, sql_col(b, o, "name"), "owner");
        sql_select_column(b, q, sql_call1(b, SQL_FN_COUNT, sql_col(b, t, "id")), "things");
        sql_select_column(b, q, sql_call1(b, SQL_FN_SUM, sql_col(b, t, "n_int")), "total");
        sql_select_from(b, q, o);
        sql_select_join(b, q, SQL_JOIN_LEFT, t,
                        sql_relation_condition(b, rel(F.owners, "things"), o, t));
        sql_select_where(
            b, q,
            sql_binary(b, SQL_OP_GE, sql_col(b, o, "balance"), sql_bind(b, sql_val_str("0"))));
        sql_select_group_by(b, q, sql_col(b, o, "name"));
        sql_select_having(b, q,
                          sql_binary(b, SQL_OP_GE, sql_call1(b, SQL_FN_COUNT, sql_col(b, t, "id")),
                                     sql_bind(b, sql_val_int(variant == 1 ? 1 : 0))));
        sql_select_order_by(b, q, sql_call1(b, SQL_FN_SUM, sql_col(b, t, "n_int")), true,
                            variant == 3 ? SQL_NULLS_FIRST : SQL_NULLS_LAST);
        sql_select_order_by(b, q, sql_col(b, o, "name"), false, SQL_NULLS_DEFAULT);
        if (variant == 2) {
            sql_select_limit(b, q, 2);
            sql_select_offset(b, q, 1);
        }
        json_t *rows = dto_rows(ce_run(s, b, q, &berr));
        switch (variant) {
        case 0:
            ce_json_eq(rows, "[{'owner': 'alice', 'things': 3, 'total': 30},"
                             " {'owner': 'bob', 'things': 1, 'total': 5},"
                             " {'owner': 'carol', 'things': 0, 'total': null}]");
            break;
        case 1: /* HAVING count >= 1 */
            ce_json_eq(rows, "[{'owner': 'alice', 'things': 3, 'total': 30},"
                             " {'owner': 'bob', 'things': 1, 'total': 5}]");
            break;
        case 2: /* LIMIT 2 OFFSET 1 */
            ce_json_eq(rows, "[{'owner': 'bob', 'things': 1, 'total': 5},"
                             " {'owner': 'carol', 'things': 0, 'total': null}]");
            break;
        default: /* NULLS FIRST */
            ce_json_eq(rows, "[{'owner': 'carol', 'things': 0, 'total': null},"
                             " {'owner': 'alice', 'things': 3, 'total': 30},"
                             " {'owner': 'bob', 'things': 1, 'total': 5}]");
            break;
        }
    }

    /* INNER vs LEFT OUTER JOIN along the many-to-one relation. */
    for (int left = 0; left < 2; left++) {
        sql_from *t = sql_from_table(b, F.things, "t");
        sql_from *o = sql_from_table(b, F.owners, "o");
        sql_select *q = sql_select_new(b);
        sql_select_column(b, q, sql_col(b, t, "s_text"), "thing");
        sql_select_column(b, q, sql_col(b, o, "name"), "owner");
        sql_select_from(b, q, t);
        sql_select_join(b, q, left ? SQL_JOIN_LEFT : SQL_JOIN_INNER, o,
                        sql_relation_condition(b, rel(F.things, "owner"), t, o));
        sql_select_where(
            b, q, sql_binary(b, SQL_OP_GT, sql_col(b, t, "n_int"), sql_bind(b, sql_val_int(6))));
        sql_select_order_by(b, q, sql_col(b, t, "s_text"), false, SQL_NULLS_DEFAULT);
        json_t *rows = dto_rows(ce_run(s, b, q, &berr));
        if (left)
            ce_json_eq(rows,
                       "[{'thing': 'a1', 'owner': 'alice'}, {'thing': 'a2', 'owner': 'alice'},"
                       " {'thing': 'orphan', 'owner': null}]");
        else
            ce_json_eq(rows,
                       "[{'thing': 'a1', 'owner': 'alice'}, {'thing': 'a2', 'owner': 'alice'}]");
    }

    /* DESC puts NULL first unless told otherwise. */
    for (int nulls_last = 0; nulls_last < 2; nulls_last++) {
        sql_from *t = sql_from_table(b, F.things, NULL);
        sql_select *q = sql_select_new(b);
        sql_select_column(b, q, sql_col(b, t, "s_text"), NULL);
        sql_select_from(b, q, t);
        sql_select_order_by(b, q, sql_col(b, t, "n_int"), true,
                            nulls_last ? SQL_NULLS_LAST : SQL_NULLS_DEFAULT);
        json_t *rows = dto_rows(ce_run(s, b, q, &berr));
        if (nulls_last)
            ce_json_eq(rows, "[{'s_text': 'a2'}, {'s_text': 'a1'}, {'s_text': 'orphan'},"
                             " {'s_text': 'b1'}, {'s_text': 'a3'}]");
        else
            ce_json_eq(rows, "[{'s_text': 'a3'}, {'s_text': 'a2'}, {'s_text': 'a1'},"
                             " {'s_text': 'orphan'}, {'s_text': 'b1'}]");
    }
}

static sql_select *owner_by_name(sql_builder *b, const char *name, sql_lock_wait wait)
{
    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, o, "name"), NULL);
    sql_select_column(b, q, sql_col(b, o, "balance"), NULL);
    sql_select_from(b, q, o);
    sql_select_where(b, q, sql_eq(b, sql_col(b, o, "name"), sql_bind(b, sql_val_str(name))));
    sql_select_lock(b, q, SQL_LOCK_UPDATE, wait, NULL);
    return q;
}

static void test_select_for_update(void **state)
{
    (void) state;
    seed();
    err_report berr;
    sql_builder *b = builder(&berr);
    orm_session *holder = session(), *other = session();

    ce_json_eq(dto_rows(ce_run(holder, b, owner_by_name(b, "bob", SQL_LOCK_WAIT), &berr)),
               "[{'name': 'bob', 'balance': '50.500000'}]");
    /* The row is locked: NOWAIT fails at once, SKIP LOCKED skips it. */
    err_report *err = ce_run_fails(other, owner_by_name(b, "bob", SQL_LOCK_NOWAIT));
    assert_string_equal(err->sqlstate, "55P03");
    orm_session_rollback(other);
    ce_json_eq(dto_rows(ce_run(other, b, owner_by_name(b, "bob", SQL_LOCK_SKIP_LOCKED), &berr)),
               "[]");
    ce_json_eq(dto_rows(ce_run(other, b, owner_by_name(b, "alice", SQL_LOCK_NOWAIT), &berr)),
               "[{'name': 'alice', 'balance': '100.000000'}]");
    orm_session_rollback(other);
    commit(holder); /* releases the lock */
    ce_json_eq(dto_rows(ce_run(other, b, owner_by_name(b, "bob", SQL_LOCK_NOWAIT), &berr)),
               "[{'name': 'bob', 'balance': '50.500000'}]");
}

static sql_insert *insert_tags(sql_builder *b, const char *const *names, size_t n)
{
    sql_from *tg = sql_from_table(b, F.tags, NULL);
    const sql_column *cols[1] = {col(F.tags, "name")};
    sql_insert *ins = sql_insert_new(b, tg, cols, 1);
    for (size_t i = 0; i < n; i++)
        sql_insert_row(b, ins, (sql_node *[]){sql_bind(b, sql_val_str(names[i]))});
    sql_insert_returning(b, ins, sql_col(b, tg, "id"), NULL);
    sql_insert_returning(b, ins, sql_col(b, tg, "name"), NULL);
    return ins;
}

static void test_insert_kinds(void **state)
{
    (void) state;
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    /* Single row, server defaults returned. */
    const char *dave[] = {"dave"};
    const char *no_balance[] = {NULL};
    eng_result *r = ce_run(s, b, insert_owners(b, dave, no_balance, 1), &berr);
    assert_int_equal(eng_result_affected(r), 1);
    assert_int_equal(eng_result_rows(r), 1);
    assert_int_equal(strlen(eng_result_value(r, 0, 0)), 36); /* gen_random_uuid() */
    assert_int_equal(eng_result_coltype(r, 0), DTO_OID_UUID);
    assert_string_equal(eng_result_value(r, 0, 2), "0.000000");

    /* Multi-row with RETURNING, in VALUES order. */
    const char *three[] = {"t1", "t2", "t3"};
    ce_json_eq(dto_rows(ce_run(s, b, insert_tags(b, three, 3), &berr)),
               "[{'id': 1, 'name': 't1'}, {'id': 2, 'name': 't2'}, {'id': 3, 'name': 't3'}]");

    /* ON CONFLICT (name) DO NOTHING: nothing inserted, nothing returned. */
    const char *again[] = {"t2"};
    sql_insert *ins = insert_tags(b, again, 1);
    sql_insert_on_conflict_do_nothing(b, ins, (const sql_column *[]){col(F.tags, "name")}, 1);
    r = ce_run(s, b, ins, &berr);
    assert_int_equal(eng_result_affected(r), 0);
    assert_int_equal(eng_result_rows(r), 0);
    /* Without a target, and with one new row among old ones. */
    const char *mixed[] = {"t1", "t4", "t3"};
    ins = insert_tags(b, mixed, 3);
    sql_insert_on_conflict_do_nothing(b, ins, NULL, 0);
    r = ce_run(s, b, ins, &berr);
    assert_int_equal(eng_result_affected(r), 1);
    /* Identity values are drawn before the conflict check: the skipped t2
     * used 4, the skipped t1 5. */
    ce_json_eq(dto_rows(r), "[{'id': 6, 'name': 't4'}]");

    /* ON CONFLICT (name) DO UPDATE SET balance = EXCLUDED.balance. */
    for (int round = 0; round < 2; round++) {
        const char *who[] = {"dave", "erin"};
        const char *bal[] = {round ? "7.25" : "12.5", "1"};
        ins = insert_owners(b, who, bal, 2);
        sql_insert_on_conflict_do_update(b, ins, (const sql_column *[]){col(F.owners, "name")}, 1);
        sql_insert_conflict_set(b, ins, col(F.owners, "balance"),
                                sql_excluded_col(b, col(F.owners, "balance")));
        r = ce_run(s, b, ins, &berr);
        assert_int_equal(eng_result_affected(r), 2);
        assert_string_equal(eng_result_value(r, 0, 1), "dave");
        assert_string_equal(eng_result_value(r, 0, 2), round ? "7.250000" : "12.500000");
        assert_string_equal(eng_result_value(r, 1, 2), "1.000000");
    }
    assert_string_equal(ce_scalar(s, "SELECT count(*) FROM cx_owners"), "2");
    assert_string_equal(ce_scalar(s, "SELECT string_agg(name || '=' || balance, ',' ORDER BY name) "
                                     "FROM cx_owners"),
                        "dave=7.250000,erin=1.000000");
    commit(s);
}

static void test_update_delete_returning(void **state)
{
    (void) state;
    seeded ids = seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    /* balance = balance + $1: exact decimal arithmetic on the server. */
    const char *deltas[] = {"0.000001", "-50.500001", "12345678901234.5"};
    const char *after[] = {"50.500001", "0.000000", "12345678901234.500000"};
    for (size_t i = 0; i < 3; i++) {
        sql_from *o = sql_from_table(b, F.owners, NULL);
        sql_update *u = sql_update_new(b, o);
        sql_update_set(b, u, col(F.owners, "balance"),
                       sql_binary(b, SQL_OP_ADD, sql_col(b, o, "balance"),
                                  sql_bind(b, sql_val_str(deltas[i]))));
        sql_update_where(b, u, sql_eq(b, sql_col(b, o, "name"), sql_bind(b, sql_val_str("bob"))));
        sql_update_returning(b, u, sql_col(b, o, "name"), NULL);
        sql_update_returning(b, u, sql_col(b, o, "balance"), "new_balance");
        eng_result *r = ce_run(s, b, u, &berr);
        assert_int_equal(eng_result_affected(r), 1);
        json_t *got = dto_rows(r);
        json_t *want = json_pack("[{s:s,s:s}]", "name", "bob", "new_balance", after[i]);
        ce_json_same(got, want);
    }

    /* Several rows, several SET items, NULL stays NULL. */
    sql_from *t = sql_from_table(b, F.things, NULL);
    sql_update *u = sql_update_new(b, t);
    sql_update_set(b, u, col(F.things, "n_int"),
                   sql_binary(b, SQL_OP_MUL, sql_col(b, t, "n_int"), sql_bind(b, sql_val_int(3))));
    sql_update_set(b, u, col(F.things, "flag"), sql_lit(b, SQL_LIT_TRUE));
    sql_update_where(b, u,
                     sql_eq(b, sql_col(b, t, "owner_id"), sql_bind(b, sql_val_str(ids.alice))));
    sql_update_returning(b, u, sql_col(b, t, "s_text"), NULL);
    sql_update_returning(b, u, sql_col(b, t, "n_int"), NULL);
    sql_update_returning(b, u, sql_col(b, t, "flag"), NULL);
    eng_result *r = ce_run(s, b, u, &berr);
    assert_int_equal(eng_result_affected(r), 3);
    json_t *rows = dto_rows(r);
    /* RETURNING order follows the scan; compare as a set keyed by s_text. */
    json_t *by = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        json_object_set(by, json_string_value(json_object_get(row, "s_text")), row);
    json_decref(rows);
    ce_json_eq(by, "{'a1': {'s_text': 'a1', 'n_int': 30, 'flag': true},"
                   " 'a2': {'s_text': 'a2', 'n_int': 60, 'flag': true},"
                   " 'a3': {'s_text': 'a3', 'n_int': null, 'flag': true}}");

    /* DELETE ... RETURNING; a DELETE that matches nothing. */
    for (int k = 0; k < 2; k++) {
        sql_from *d = sql_from_table(b, F.things, NULL);
        sql_delete *del = sql_delete_new(b, d);
        sql_delete_where(b, del, sql_is_null(b, sql_col(b, d, "owner_id")));
        sql_delete_returning(b, del, sql_col(b, d, "id"), NULL);
        sql_delete_returning(b, del, sql_col(b, d, "s_text"), "gone");
        r = ce_run(s, b, del, &berr);
        if (k == 0) {
            assert_int_equal(eng_result_affected(r), 1);
            ce_json_eq(dto_rows(r), "[{'id': 5, 'gone': 'orphan'}]");
        } else {
            assert_int_equal(eng_result_affected(r), 0);
            ce_json_eq(dto_rows(r), "[]");
        }
    }
    assert_string_equal(ce_scalar(s, "SELECT count(*) FROM cx_things"), "4");
    commit(s);
}

static void test_text_named_params(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    /* The same name twice is one parameter; ':who' in a string literal and
     * the :: cast are not names. */
    sql_text *t =
        sql_text_new(b, "SELECT name, ':who' AS literal, :who::text AS echo FROM cx_owners "
                        "WHERE name = :who OR balance > :min ORDER BY name");
    assert_true(sql_text_bind(b, t, "who", sql_val_str("bob")));
    assert_true(sql_text_bind(b, t, "min", sql_val_str("99.5")));
    sql_compiled c;
    err_report cerr;
    err_init(&cerr, F.a);
    assert_true(sql_compile(SQL_NODE(t), F.a, &c, &cerr));
    assert_int_equal(c.n_params, 2);
    assert_string_equal(c.sql, "SELECT name, ':who' AS literal, $1::text AS echo FROM cx_owners "
                               "WHERE name = $1 OR balance > $2 ORDER BY name");
    ce_json_eq(dto_rows(ce_run(s, b, t, &berr)),
               "[{'name': 'alice', 'literal': ':who', 'echo': 'bob'},"
               " {'name': 'bob', 'literal': ':who', 'echo': 'bob'}]");

    /* Binding again replaces the value. */
    assert_true(sql_text_bind(b, t, "who", sql_val_str("carol")));
    assert_true(sql_text_bind(b, t, "min", sql_val_str("1000")));
    ce_json_eq(dto_rows(ce_run(s, b, t, &berr)),
               "[{'name': 'carol', 'literal': ':who', 'echo': 'carol'}]");

    /* A DML text statement with a NULL value. */
    sql_text *up = sql_text_new(b, "UPDATE cx_things SET s_str = :v, n_num = :n "
                                   "WHERE s_text = :t RETURNING s_str, n_num");
    sql_text_bind(b, up, "v", sql_val_null());
    sql_text_bind(b, up, "n", sql_val_str("1.5"));
    sql_text_bind(b, up, "t", sql_val_str("b1"));
    eng_result *r = ce_run(s, b, up, &berr);
    assert_int_equal(eng_result_affected(r), 1);
    ce_json_eq(dto_rows(r), "[{'s_str': null, 'n_num': '1.500000'}]");
}

static json_t *owner_names(orm_session *s, sql_builder *b, err_report *berr, bool negated,
                           const sql_value *ids, size_t n)
{
    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, o, "name"), NULL);
    sql_select_from(b, q, o);
    sql_node *x = sql_col(b, o, "id");
    sql_select_where(b, q, negated ? sql_not_in(b, x, ids, n) : sql_in(b, x, ids, n));
    sql_select_order_by(b, q, sql_col(b, o, "name"), false, SQL_NULLS_DEFAULT);
    return dto_rows(ce_run(s, b, q, berr));
}

static void test_in_not_in_uuid(void **state)
{
    (void) state;
    seeded ids = seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);
    const sql_value two[] = {sql_val_str(ids.alice), sql_val_str(ids.carol)};
    const sql_value one[] = {sql_val_str(ids.bob)};
    const sql_value unknown[] = {sql_val_str("00000000-0000-0000-0000-000000000000"),
                                 sql_val_str(ids.bob)};

    ce_json_eq(owner_names(s, b, &berr, false, two, 2), "[{'name': 'alice'}, {'name': 'carol'}]");
    ce_json_eq(owner_names(s, b, &berr, false, one, 1), "[{'name': 'bob'}]");
    ce_json_eq(owner_names(s, b, &berr, false, unknown, 2), "[{'name': 'bob'}]");
    ce_json_eq(owner_names(s, b, &berr, false, NULL, 0), "[]"); /* IN () is false */
    ce_json_eq(owner_names(s, b, &berr, true, two, 2), "[{'name': 'bob'}]");
    ce_json_eq(owner_names(s, b, &berr, true, one, 1), "[{'name': 'alice'}, {'name': 'carol'}]");
    ce_json_eq(owner_names(s, b, &berr, true, NULL, 0), /* NOT IN () is true */
               "[{'name': 'alice'}, {'name': 'bob'}, {'name': 'carol'}]");

    /* A malformed uuid in the list is a 22P02, not a string comparison. */
    const sql_value bad[] = {sql_val_str("not-a-uuid")};
    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_from(b, q, o);
    sql_select_where(b, q, sql_in(b, sql_col(b, o, "id"), bad, 1));
    err_report *err = ce_run_fails(s, q);
    assert_string_equal(err->sqlstate, "22P02");
    assert_int_equal(err->status, 422);
}

/* Names of owners (or s_text of things) with EXISTS over a relation. */
static json_t *exists_names(orm_session *s, const sql_table *outer_t, const char *label_col,
                            const char *relation, const char *inner_col, sql_value inner_value,
                            bool negate)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    const sql_relation *r = rel(outer_t, relation);
    sql_from *outer = sql_from_table(b, outer_t, NULL);
    sql_from *inner = sql_from_table(b, r->target, "inner_1");
    sql_node *cond =
        inner_col ? sql_eq(b, sql_col(b, inner, inner_col), sql_bind(b, inner_value)) : NULL;
    sql_node *ex = sql_relation_exists(b, r, outer, inner, NULL, cond);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, outer, label_col), NULL);
    sql_select_from(b, q, outer);
    sql_select_where(b, q, negate ? sql_negate(b, ex) : ex);
    sql_select_order_by(b, q, sql_col(b, outer, label_col), false, SQL_NULLS_DEFAULT);
    return dto_rows(ce_run(s, b, q, &berr));
}

static void test_relation_exists(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    /* one_to_many: owners with any thing / a thing with n_int = 20 / none */
    ce_json_eq(exists_names(s, F.owners, "name", "things", NULL, sql_val_null(), false),
               "[{'name': 'alice'}, {'name': 'bob'}]");
    ce_json_eq(exists_names(s, F.owners, "name", "things", "n_int", sql_val_int(5), false),
               "[{'name': 'bob'}]");
    ce_json_eq(exists_names(s, F.owners, "name", "things", NULL, sql_val_null(), true),
               "[{'name': 'carol'}]");
    /* many_to_one */
    ce_json_eq(exists_names(s, F.things, "s_text", "owner", "name", sql_val_str("bob"), false),
               "[{'s_text': 'b1'}]");
    /* many_to_many, both directions */
    ce_json_eq(exists_names(s, F.things, "s_text", "tags", "name", sql_val_str("blue"), false),
               "[{'s_text': 'a1'}, {'s_text': 'b1'}]");
    ce_json_eq(exists_names(s, F.things, "s_text", "tags", "name", sql_val_str("red"), false),
               "[{'s_text': 'a1'}]");
    ce_json_eq(exists_names(s, F.things, "s_text", "tags", NULL, sql_val_null(), true),
               "[{'s_text': 'a2'}, {'s_text': 'a3'}, {'s_text': 'orphan'}]");
    ce_json_eq(exists_names(s, F.tags, "name", "things", "s_text", sql_val_str("b1"), false),
               "[{'name': 'blue'}]");
    ce_json_eq(exists_names(s, F.tags, "name", "things", NULL, sql_val_null(), false),
               "[{'name': 'blue'}, {'name': 'red'}]");
}

static void test_aggregates_typed(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_select *q = sql_select_new(b);
    sql_node *bal = sql_col(b, o, "balance");
    sql_select_column(b, q, sql_count_star(b), "n");
    sql_select_column(b, q, sql_call1(b, SQL_FN_SUM, bal), "total");
    sql_select_column(b, q, sql_call1(b, SQL_FN_AVG, bal), "mean");
    sql_select_column(b, q, sql_call1(b, SQL_FN_MIN, bal), "lo");
    sql_select_column(b, q, sql_call1(b, SQL_FN_MAX, bal), "hi");
    sql_select_from(b, q, o);
    eng_result *r = ce_run(s, b, q, &berr);
    assert_int_equal(eng_result_coltype(r, 0), DTO_OID_INT8);
    assert_int_equal(eng_result_coltype(r, 1), DTO_OID_NUMERIC);
    ce_json_eq(dto_rows(r), "[{'n': 3, 'total': '150.500000', 'mean': '50.1666666666666667',"
                            " 'lo': '0.000000', 'hi': '100.000000'}]");

    /* Per owner over integers and floats: count and sum of int are
     * integers, avg of int is an exact numeric string, float stays real. */
    sql_from *t = sql_from_table(b, F.things, NULL);
    sql_select *g = sql_select_new(b);
    sql_node *owner = sql_col(b, t, "owner_id");
    sql_select_column(b, g, sql_count_distinct(b, sql_col(b, t, "n_int")), "n");
    sql_select_column(b, g, sql_call1(b, SQL_FN_SUM, sql_col(b, t, "n_int")), "total");
    sql_select_column(b, g, sql_call1(b, SQL_FN_AVG, sql_col(b, t, "n_int")), "mean");
    sql_select_column(b, g, sql_call1(b, SQL_FN_MAX, sql_col(b, t, "n_float")), "fmax");
    sql_select_column(b, g, sql_call1(b, SQL_FN_SUM, sql_col(b, t, "n_float")), "fsum");
    sql_select_from(b, g, t);
    sql_select_group_by(b, g, owner);
    sql_select_order_by(b, g, sql_call1(b, SQL_FN_SUM, sql_col(b, t, "n_int")), true,
                        SQL_NULLS_LAST);
    r = ce_run(s, b, g, &berr);
    ce_json_eq(dto_rows(r),
               "[{'n': 2, 'total': 30, 'mean': '15.0000000000000000', 'fmax': 2.25, 'fsum': 3.75},"
               " {'n': 1, 'total': 7, 'mean': '7.0000000000000000', 'fmax': 8.0, 'fsum': 8.0},"
               " {'n': 1, 'total': 5, 'mean': '5.0000000000000000', 'fmax': -4.0, 'fsum': -4.0}]");

    /* Aggregates over no rows: count 0, the others NULL. */
    sql_from *e = sql_from_table(b, F.owners, NULL);
    sql_select *none = sql_select_new(b);
    sql_select_column(b, none, sql_count_star(b), "n");
    sql_select_column(b, none, sql_call1(b, SQL_FN_SUM, sql_col(b, e, "balance")), "total");
    sql_select_from(b, none, e);
    sql_select_where(b, none, sql_lit(b, SQL_LIT_FALSE));
    ce_json_eq(dto_rows(ce_run(s, b, none, &berr)), "[{'n': 0, 'total': null}]");
}

/* ---- 3. values that look like SQL --------------------------------------------------- */

static void test_injection_stays_data(void **state)
{
    (void) state;
    static const char INJ1[] = "x'); DROP TABLE cx_things; --";
    static const char INJ2[] = "%' OR '1'='1";
    static const char *const values[] = {INJ1, INJ2, "plain", "100%", "1000", "a\\%b"};
    enum { N = sizeof values / sizeof values[0] };
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *cols[1] = {col(F.things, "s_text")};
    sql_insert *ins = sql_insert_new(b, t, cols, 1);
    for (size_t i = 0; i < N; i++)
        sql_insert_row(b, ins, (sql_node *[]){sql_bind(b, sql_val_str(values[i]))});
    assert_int_equal(eng_result_affected(ce_run(s, b, ins, &berr)), N);
    commit(s);

    static const struct {
        sql_op op;
        const char *value;
        long matches;
    } cases[] = {
        {SQL_OP_EQ, INJ1, 1},          {SQL_OP_EQ, INJ2, 1},
        {SQL_OP_EQ, "' OR '1'='1", 0}, {SQL_OP_LIKE, INJ1, 1}, /* its _ matches only itself here */
        {SQL_OP_LIKE, INJ2, 1}, /* %' OR '1'='1: only the value ending so */
        {SQL_OP_NE, INJ1, N - 1},      {SQL_OP_ILIKE, "%drop table%", 1},
        {SQL_OP_LIKE, "100%", 2},   /* % unescaped: 100% and 1000 */
        {SQL_OP_LIKE, "100\\%", 1}, /* escaped: only 100% */
        {SQL_OP_LIKE, "a\\\\\\%b", 1}, {SQL_OP_LIKE, "%", N},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sql_from *f = sql_from_table(b, F.things, NULL);
        long n = count_things(s, b, &berr, f,
                              sql_binary(b, cases[i].op, sql_col(b, f, "s_text"),
                                         sql_bind(b, sql_val_str(cases[i].value))));
        if (n != cases[i].matches)
            fail_msg("case %zu (%s): %ld matches, expected %ld", i, cases[i].value, n,
                     cases[i].matches);
    }
    /* Through text() too. */
    sql_text *tx = sql_text_new(b, "SELECT count(*) AS n FROM cx_things WHERE s_text = :v");
    sql_text_bind(b, tx, "v", sql_val_str(INJ1));
    ce_json_eq(dto_rows(ce_run(s, b, tx, &berr)), "[{'n': 1}]");
    commit(s);

    /* The table is still there, with every row, in a fresh session. */
    orm_session *check = session();
    assert_string_equal(ce_scalar(check, "SELECT to_regclass('cx_things') IS NOT NULL"), "t");
    assert_string_equal(ce_scalar(check, "SELECT count(*) FROM cx_things"), "6");
    sql_from *f = sql_from_table(b, F.things, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_col(b, f, "s_text"), NULL);
    sql_select_from(b, q, f);
    sql_select_order_by(b, q, sql_col(b, f, "id"), false, SQL_NULLS_DEFAULT);
    eng_result *r = ce_run(check, b, q, &berr);
    for (int i = 0; i < (int) N; i++)
        assert_string_equal(eng_result_value(r, i, 0), values[i]);
}

/* ---- 4. integrity errors through the session ---------------------------------------- */

/* After a failure the transaction is aborted (25P02 for anything else)
 * until rolled back; then the session works again. */
static void recover(orm_session *s)
{
    assert_true(orm_session_in_transaction(s));
    err_report err;
    err_init(&err, F.a);
    assert_null(orm_session_execute(s, "SELECT 1", 0, NULL, &err));
    assert_string_equal(err.sqlstate, "25P02");
    orm_session_rollback(s);
    assert_false(orm_session_in_transaction(s));
    assert_string_equal(ce_scalar(s, "SELECT count(*) FROM cx_owners"), "3");
}

static void expect_constraint(const err_report *err, sql_constraint_kind kind, const char *table,
                              const char *name, const char *const *columns, size_t n)
{
    assert_non_null(err->constraint);
    assert_string_equal(err->constraint, name);
    assert_non_null(err->table);
    assert_string_equal(err->table, table);
    sql_constraint_info info;
    assert_true(sql_metadata_find_constraint(F.md, err->table, err->constraint, &info));
    assert_int_equal(info.kind, kind);
    assert_string_equal(info.table->name, table);
    assert_int_equal(info.n_columns, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(info.columns[i]->name, columns[i]);
    /* Without the table too (names are unique in this schema). */
    assert_true(sql_metadata_find_constraint(F.md, NULL, err->constraint, &info));
    assert_int_equal(info.kind, kind);
}

static void test_unique_violation(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);
    const char *names[] = {"alice"};
    const char *bal[] = {"1"};
    err_report *err = ce_run_fails(s, insert_owners(b, names, bal, 1));
    assert_int_equal(err->kind, ERR_CONFLICT);
    assert_int_equal(err->status, 409);
    assert_string_equal(err->sqlstate, "23505");
    assert_string_equal(err->type, "unique-violation");
    expect_constraint(err, SQL_CONSTRAINT_UNIQUE, "cx_owners", "cx_owners_name_key",
                      (const char *[]){"name"}, 1);
    recover(s);

    /* The composite primary key of the association table. */
    sql_from *tt = sql_from_table(b, F.thing_tags, NULL);
    const sql_column *cols[2] = {col(F.thing_tags, "thing_id"), col(F.thing_tags, "tag_id")};
    sql_insert *dup = sql_insert_new(b, tt, cols, 2);
    sql_insert_row(b, dup,
                   (sql_node *[]){sql_bind(b, sql_val_int(4)), sql_bind(b, sql_val_int(2))});
    err = ce_run_fails(s, dup);
    assert_string_equal(err->sqlstate, "23505");
    assert_int_equal(err->status, 409);
    expect_constraint(err, SQL_CONSTRAINT_PRIMARY_KEY, "cx_thing_tags", "cx_thing_tags_pkey",
                      (const char *[]){"thing_id", "tag_id"}, 2);
    recover(s);
}

static void test_foreign_key_violation(void **state)
{
    (void) state;
    seeded ids = seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    /* Referencing a missing owner. */
    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *cols[1] = {col(F.things, "owner_id")};
    sql_insert *ins = sql_insert_new(b, t, cols, 1);
    sql_insert_row(
        b, ins, (sql_node *[]){sql_bind(b, sql_val_str("11111111-2222-4333-8444-555555555555"))});
    err_report *err = ce_run_fails(s, ins);
    assert_int_equal(err->kind, ERR_CONFLICT);
    assert_int_equal(err->status, 409);
    assert_string_equal(err->sqlstate, "23503");
    assert_string_equal(err->type, "foreign-key-violation");
    expect_constraint(err, SQL_CONSTRAINT_FOREIGN_KEY, "cx_things", "cx_things_owner_id_fkey",
                      (const char *[]){"owner_id"}, 1);
    recover(s);

    /* Deleting an owner that still has things: the same constraint. */
    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_delete *del = sql_delete_new(b, o);
    sql_delete_where(b, del, sql_eq(b, sql_col(b, o, "id"), sql_bind(b, sql_val_str(ids.alice))));
    err = ce_run_fails(s, del);
    assert_string_equal(err->sqlstate, "23503");
    assert_int_equal(err->status, 409);
    expect_constraint(err, SQL_CONSTRAINT_FOREIGN_KEY, "cx_things", "cx_things_owner_id_fkey",
                      (const char *[]){"owner_id"}, 1);
    recover(s);

    /* carol has none: deleted. */
    del = sql_delete_new(b, o);
    sql_delete_where(b, del, sql_eq(b, sql_col(b, o, "id"), sql_bind(b, sql_val_str(ids.carol))));
    assert_int_equal(eng_result_affected(ce_run(s, b, del, &berr)), 1);
    orm_session_rollback(s);
}

static void test_check_violation(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_update *u = sql_update_new(b, o);
    sql_update_set(
        b, u, col(F.owners, "balance"),
        sql_binary(b, SQL_OP_SUB, sql_col(b, o, "balance"), sql_bind(b, sql_val_str("50.500001"))));
    sql_update_where(b, u, sql_eq(b, sql_col(b, o, "name"), sql_bind(b, sql_val_str("bob"))));
    err_report *err = ce_run_fails(s, u);
    assert_int_equal(err->kind, ERR_VALIDATION);
    assert_int_equal(err->status, 422);
    assert_string_equal(err->sqlstate, "23514");
    assert_string_equal(err->type, "check-violation");
    expect_constraint(err, SQL_CONSTRAINT_CHECK, "cx_owners", "cx_owners_balance_nonnegative",
                      (const char *[]){"balance"}, 1);
    recover(s);

    /* Exactly to zero is allowed. */
    u = sql_update_new(b, o);
    sql_update_set(
        b, u, col(F.owners, "balance"),
        sql_binary(b, SQL_OP_SUB, sql_col(b, o, "balance"), sql_bind(b, sql_val_str("50.5"))));
    sql_update_where(b, u, sql_eq(b, sql_col(b, o, "name"), sql_bind(b, sql_val_str("bob"))));
    sql_update_returning(b, u, sql_col(b, o, "balance"), NULL);
    ce_json_eq(dto_rows(ce_run(s, b, u, &berr)), "[{'balance': '0.000000'}]");
    orm_session_rollback(s);
}

static void test_not_null_and_data_errors(void **state)
{
    (void) state;
    seed();
    orm_session *s = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    const char *names[] = {NULL};
    const char *bal[] = {"1"};
    err_report *err = ce_run_fails(s, insert_owners(b, names, bal, 1));
    assert_int_equal(err->kind, ERR_VALIDATION);
    assert_int_equal(err->status, 422);
    assert_string_equal(err->sqlstate, "23502");
    assert_string_equal(err->type, "not-null-violation");
    assert_non_null(err->column);
    assert_string_equal(err->column, "name");
    assert_string_equal(err->table, "cx_owners");
    assert_non_null(sql_table_column(sql_metadata_table(F.md, err->table), err->column));
    recover(s);

    /* varchar(20) overflow and numeric(20,6) overflow: 422 as well. */
    sql_from *t = sql_from_table(b, F.things, NULL);
    const sql_column *sc[1] = {col(F.things, "s_str")};
    sql_insert *ins = sql_insert_new(b, t, sc, 1);
    sql_insert_row(b, ins, (sql_node *[]){sql_bind(b, sql_val_str("twenty-one characters"))});
    err = ce_run_fails(s, ins);
    assert_string_equal(err->sqlstate, "22001");
    assert_int_equal(err->status, 422);
    recover(s);

    const sql_column *nc[1] = {col(F.things, "n_num")};
    ins = sql_insert_new(b, t, nc, 1);
    sql_insert_row(b, ins, (sql_node *[]){sql_bind(b, sql_val_str("123456789012345"))});
    err = ce_run_fails(s, ins);
    assert_string_equal(err->sqlstate, "22003");
    assert_int_equal(err->status, 422);
    recover(s);
}

/* ---- 5. transactions across sessions ------------------------------------------------ */

static long count_owner(orm_session *s, const char *name)
{
    err_report berr;
    sql_builder *b = builder(&berr);
    sql_from *o = sql_from_table(b, F.owners, NULL);
    sql_select *q = sql_select_new(b);
    sql_select_column(b, q, sql_count_star(b), NULL);
    sql_select_from(b, q, o);
    sql_select_where(b, q, sql_eq(b, sql_col(b, o, "name"), sql_bind(b, sql_val_str(name))));
    return strtol(eng_result_value(ce_run(s, b, q, &berr), 0, 0), NULL, 10);
}

static void test_commit_rollback_visibility(void **state)
{
    (void) state;
    orm_session *writer = session(), *reader = session();
    err_report berr;
    sql_builder *b = builder(&berr);

    const char *dave[] = {"dave"}, *erin[] = {"erin"}, *one[] = {"1"};
    ce_run(writer, b, insert_owners(b, dave, one, 1), &berr);
    assert_int_equal(count_owner(writer, "dave"), 1); /* its own write */
    assert_int_equal(count_owner(reader, "dave"), 0); /* not committed */
    err_report err;
    err_init(&err, F.a);
    assert_int_not_equal(eng_conn_backend_pid(orm_session_connection(writer, &err)),
                         eng_conn_backend_pid(orm_session_connection(reader, &err)));
    commit(writer);
    assert_false(orm_session_in_transaction(writer));
    assert_int_equal(count_owner(reader, "dave"), 1); /* READ COMMITTED: next statement sees it */

    ce_run(writer, b, insert_owners(b, erin, one, 1), &berr); /* a new transaction */
    assert_true(orm_session_in_transaction(writer));
    assert_int_equal(count_owner(writer, "erin"), 1);
    orm_session_rollback(writer);
    assert_int_equal(count_owner(writer, "erin"), 0);
    assert_int_equal(count_owner(reader, "erin"), 0);

    /* REPEATABLE READ keeps its snapshot until it ends. */
    orm_session_rollback(reader);
    assert_true(orm_session_set_isolation(reader, "REPEATABLE READ", &err));
    assert_int_equal(count_owner(reader, "erin"), 0);
    ce_run(writer, b, insert_owners(b, erin, one, 1), &berr);
    commit(writer);
    assert_int_equal(count_owner(reader, "erin"), 0);
    commit(reader);
    assert_int_equal(count_owner(reader, "erin"), 1);

    /* Closing a session with an open transaction rolls it back. */
    const char *frank[] = {"frank"};
    ce_run(writer, b, insert_owners(b, frank, one, 1), &berr);
    orm_session_close(writer);
    assert_int_equal(count_owner(reader, "frank"), 0);
    orm_session_close(reader);
    ts_assert_ok(&err, "sessions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_from_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamptz_zones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_join_group_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_for_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_delete_returning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_named_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_not_in_uuid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relation_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregates_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injection_stays_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_key_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_null_and_data_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_rollback_visibility, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
