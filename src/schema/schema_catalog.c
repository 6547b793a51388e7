/*
 * schema_catalog — the tables, views, columns, keys, checks, indexes and
 * enum types of some schemas, read from pg_catalog in one REPEATABLE READ
 * snapshot. Every query takes the schema names as one bound text[]
 * parameter; lists (key columns, enum labels) come back as JSON arrays so
 * that no name is ever split on a separator it might contain.
 */
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

static const char *const Q_TABLES =
    "SELECT c.oid, n.nspname, c.relname, c.relkind"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm')"
    " AND NOT c.relispartition"
    " ORDER BY n.nspname, c.relname";

static const char *const Q_COLUMNS =
    "SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
    " et.typname, etn.nspname, et.typtype, t.typcategory = 'A' AND t.typelem <> 0,"
    " a.atttypmod, a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid),"
    " a.attidentity, a.attgenerated"
    " FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    " JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0"
    "      THEN t.typelem ELSE t.oid END"
    " JOIN pg_catalog.pg_namespace etn ON etn.oid = et.typnamespace"
    " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm')"
    " AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attrelid, a.attnum";

/* contype p, u, f, c; the columns as JSON arrays in key order. */
static const char *const Q_CONSTRAINTS =
    "SELECT k.conrelid, k.conname, k.contype,"
    " (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),"
    " fn.nspname, f.relname,"
    " (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.confkey) WITH ORDINALITY u(n, o)"
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n),"
    " CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_expr(k.conbin, k.conrelid) END"
    " FROM pg_catalog.pg_constraint k"
    " JOIN pg_catalog.pg_class c ON c.oid = k.conrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid"
    " LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace"
    " WHERE n.nspname = ANY($1::text[]) AND k.contype IN ('p', 'u', 'f', 'c')"
    " ORDER BY k.conrelid, k.contype, k.conname";

/* Plain indexes on columns only (no expressions, no predicates), not
 * backing a constraint. */
static const char *const Q_INDEXES =
    "SELECT i.indrelid, ic.relname,"
    " (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY"
    "  u(n, o) JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n)"
    " FROM pg_catalog.pg_index i"
    " JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
    " JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY($1::text[]) AND NOT i.indisunique AND NOT i.indisprimary"
    " AND i.indexprs IS NULL AND i.indpred IS NULL AND 0 <> ALL (i.indkey::int2[])"
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)"
    " ORDER BY i.indrelid, ic.relname";

static const char *const Q_ENUMS =
    "SELECT n.nspname, t.typname, json_agg(e.enumlabel ORDER BY e.enumsortorder)"
    " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid"
    " WHERE n.nspname = ANY($1::text[])"
    " GROUP BY n.nspname, t.typname ORDER BY n.nspname, t.typname";

/* ==== helpers ========================================================== */

static const char *cell(const eng_result *r, int row, int col, arena *a)
{
    if (eng_result_is_null(r, row, col))
        return NULL;
    return arena_strdup(a, eng_result_value(r, row, col));
}

/* A JSON array of strings into a NULL-terminated array in a. */
static const char **names(const eng_result *r, int row, int col, arena *a, size_t *n)
{
    *n = 0;
    if (eng_result_is_null(r, row, col))
        return ARENA_ARRAY(a, const char *, 1);
    json_t *arr = json_loads(eng_result_value(r, row, col), 0, NULL);
    size_t len = json_is_array(arr) ? json_array_size(arr) : 0;
    const char **out = ARENA_ARRAY(a, const char *, len + 1);
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s)
            out[(*n)++] = arena_strdup(a, s);
    }
    json_decref(arr);
    return out;
}

/* The table with that oid (the text of pg_class.oid); tables are few, and
 * every other query is ordered by the same oid, so a linear search from
 * the last hit is enough. */
typedef struct oid_index {
    const char **oids;
    size_t n, last;
} oid_index;

static schema_table *by_oid(schema_catalog *cat, oid_index *ix, const char *oid)
{
    for (size_t k = 0; k < ix->n; k++) {
        size_t i = (ix->last + k) % ix->n;
        if (strcmp(ix->oids[i], oid) == 0) {
            ix->last = i;
            return &cat->tables[i];
        }
    }
    return NULL;
}

static eng_result *query(eng_conn *c, arena *a, const char *sql, const char *schemas,
                         err_report *err)
{
    const char *params[1] = {schemas};
    return eng_exec(c, a, sql, 1, params, err);
}

/* ==== reading ========================================================== */

static void read_columns(schema_catalog *cat, oid_index *ix, const eng_result *r, arena *a)
{
    int rows = eng_result_rows(r);
    size_t *cap = ARENA_ARRAY(a, size_t, cat->n_tables + 1);
    for (int i = 0; i < rows; i++) {
        schema_table *t = by_oid(cat, ix, eng_result_value(r, i, 0));
        if (!t)
            continue;
        size_t ti = (size_t) (t - cat->tables);
        if (t->n_columns == cap[ti]) {
            size_t ncap = cap[ti] ? cap[ti] * 2 : 8;
            schema_column *cols = ARENA_ARRAY(a, schema_column, ncap);
            if (t->n_columns)
                memcpy(cols, t->columns, sizeof *cols * t->n_columns);
            t->columns = cols;
            cap[ti] = ncap;
        }
        schema_column *col = &t->columns[t->n_columns++];
        col->name = cell(r, i, 1, a);
        col->type_sql = cell(r, i, 2, a);
        col->type_name = cell(r, i, 3, a);
        col->type_schema = cell(r, i, 4, a);
        col->type_kind = eng_result_value(r, i, 5)[0];
        col->is_array = eng_result_value(r, i, 6)[0] == 't';
        col->typmod = atoi(eng_result_value(r, i, 7));
        col->not_null = eng_result_value(r, i, 8)[0] == 't';
        const char *gen = eng_result_value(r, i, 11);
        if (gen[0] == 's')
            col->generated = cell(r, i, 9, a);
        else
            col->default_expr = cell(r, i, 9, a);
        col->identity = eng_result_value(r, i, 10)[0];
    }
}

#define PUSH(a, arr, n, T)                                                                         \
    do {                                                                                           \
        T *grown_ = ARENA_ARRAY((a), T, (n) + 1);                                                  \
        if (n)                                                                                     \
            memcpy(grown_, (arr), sizeof(T) * (n));                                                \
        (arr) = grown_;                                                                            \
    } while (0)

static void read_constraints(schema_catalog *cat, oid_index *ix, const eng_result *r, arena *a)
{
    int rows = eng_result_rows(r);
    for (int i = 0; i < rows; i++) {
        schema_table *t = by_oid(cat, ix, eng_result_value(r, i, 0));
        if (!t)
            continue;
        const char *name = cell(r, i, 1, a);
        size_t n;
        const char **cols = names(r, i, 3, a, &n);
        switch (eng_result_value(r, i, 2)[0]) {
        case 'p':
            t->pk = (schema_key){name, cols, n};
            break;
        case 'u':
            PUSH(a, t->uniques, t->n_uniques, schema_key);
            t->uniques[t->n_uniques++] = (schema_key){name, cols, n};
            break;
        case 'f': {
            size_t nref;
            const char **ref = names(r, i, 6, a, &nref);
            if (nref != n)
                break;
            PUSH(a, t->fks, t->n_fks, schema_fk);
            t->fks[t->n_fks++] = (schema_fk){name, cols, n, cell(r, i, 4, a), cell(r, i, 5, a), ref};
            break;
        }
        case 'c':
            PUSH(a, t->checks, t->n_checks, schema_check);
            t->checks[t->n_checks++] = (schema_check){name, cell(r, i, 7, a)};
            break;
        }
    }
}

static void read_indexes(schema_catalog *cat, oid_index *ix, const eng_result *r, arena *a)
{
    int rows = eng_result_rows(r);
    for (int i = 0; i < rows; i++) {
        schema_table *t = by_oid(cat, ix, eng_result_value(r, i, 0));
        if (!t)
            continue;
        size_t n;
        const char **cols = names(r, i, 2, a, &n);
        PUSH(a, t->indexes, t->n_indexes, schema_key);
        t->indexes[t->n_indexes++] = (schema_key){cell(r, i, 1, a), cols, n};
    }
}

static void read_enums(schema_catalog *cat, const eng_result *r, arena *a)
{
    int rows = eng_result_rows(r);
    cat->enums = ARENA_ARRAY(a, schema_enum, (size_t) rows + 1);
    for (int i = 0; i < rows; i++) {
        schema_enum *e = &cat->enums[cat->n_enums++];
        e->schema = cell(r, i, 0, a);
        e->name = cell(r, i, 1, a);
        e->labels = names(r, i, 2, a, &e->n_labels);
    }
}

schema_catalog *schema_catalog_read(eng_conn *c, arena *a, const char *const *schemas,
                                    size_t n_schemas, err_report *err)
{
    sql_value *vals = ARENA_ARRAY(a, sql_value, n_schemas + 1);
    for (size_t i = 0; i < n_schemas; i++)
        vals[i] = sql_val_str(schemas[i]);
    const char *list = sql_array_literal(a, vals, n_schemas);

    /* One snapshot for all five queries; read-only, so a failure leaves
     * nothing behind. */
    if (!eng_exec_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
        return NULL;
    schema_catalog *cat = ARENA_NEW(a, schema_catalog);
    eng_result *tables = query(c, a, Q_TABLES, list, err);
    eng_result *columns = tables ? query(c, a, Q_COLUMNS, list, err) : NULL;
    eng_result *cons = columns ? query(c, a, Q_CONSTRAINTS, list, err) : NULL;
    eng_result *indexes = cons ? query(c, a, Q_INDEXES, list, err) : NULL;
    eng_result *enums = indexes ? query(c, a, Q_ENUMS, list, err) : NULL;
    if (!enums) {
        err_report ignored;
        err_init(&ignored, a);
        eng_rollback(c, &ignored);
        return NULL;
    }
    if (!eng_commit(c, err))
        return NULL;

    int rows = eng_result_rows(tables);
    cat->tables = ARENA_ARRAY(a, schema_table, (size_t) rows + 1);
    oid_index ix = {ARENA_ARRAY(a, const char *, (size_t) rows + 1), (size_t) rows, 0};
    for (int i = 0; i < rows; i++) {
        schema_table *t = &cat->tables[cat->n_tables++];
        ix.oids[i] = cell(tables, i, 0, a);
        t->schema = cell(tables, i, 1, a);
        t->name = cell(tables, i, 2, a);
        t->kind = eng_result_value(tables, i, 3)[0];
    }
    read_columns(cat, &ix, columns, a);
    read_constraints(cat, &ix, cons, a);
    read_indexes(cat, &ix, indexes, a);
    read_enums(cat, enums, a);
    return cat;
}

/* ==== lookups ========================================================== */

const schema_table *schema_catalog_table(const schema_catalog *cat, const char *schema,
                                         const char *name)
{
    for (size_t i = 0; cat && i < cat->n_tables; i++)
        if (strcmp(cat->tables[i].name, name) == 0 &&
            (!schema || strcmp(cat->tables[i].schema, schema) == 0))
            return &cat->tables[i];
    return NULL;
}

const schema_column *schema_table_column(const schema_table *t, const char *name)
{
    for (size_t i = 0; t && i < t->n_columns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

const schema_enum *schema_catalog_enum(const schema_catalog *cat, const char *schema,
                                       const char *name)
{
    for (size_t i = 0; cat && i < cat->n_enums; i++)
        if (strcmp(cat->enums[i].name, name) == 0 &&
            (!schema || strcmp(cat->enums[i].schema, schema) == 0))
            return &cat->enums[i];
    return NULL;
}
