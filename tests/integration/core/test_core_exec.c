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

static const char *tname(const char *suffix)
{
    return ce_name(&F, F.a, suffix);
}

static void commit(orm_session *s)
{
    err_report err;
    err_init(&err, F.a);
    assert_true(orm_session_commit(s, &err));
    ce_assert_ok(&err, "commit");
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
    eng_result *r = ce_sql(
        s, "SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype AS type "
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
    assert_string_equal(
        ce_scalar(s, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'cx_owners'::regclass AND attname = 'balance'"),
        "numeric(20,6)");
    assert_string_equal(
        ce_scalar(s, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'cx_things'::regclass AND attname = 's_str'"),
        "character varying(20)");
}

