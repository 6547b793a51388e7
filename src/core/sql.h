/*
 * sql — retort's Core: schema metadata, the SQL expression tree, its
 * builders and walker, the PostgreSQL compiler, the compiled-statement
 * cache and DDL. Nothing here executes SQL: the engine does, with the text
 * and parameters produced here. core never includes libpq-fe.h.
 *
 * Ownership.
 *   - Metadata (sql_metadata and every table, column, constraint and
 *     relation in it) lives in the arena given to sql_metadata_new(),
 *     normally the process arena. Builders copy every string they are
 *     given. After sql_metadata_freeze() it is immutable and may be read by
 *     any number of threads without locking.
 *   - Trees (nodes, values, strings in them) live in the arena of the
 *     sql_builder that made them, normally the request arena. Builders copy
 *     text values and names. A tree references metadata, which must outlive
 *     it.
 *   - Compiled SQL, parameter arrays, DDL text and shape keys live in the
 *     arena passed to the function that produced them.
 *   - The statement cache (sql_cache) is a process-lifetime heap object
 *     (create/destroy); its entries are heap blocks it owns; what it hands
 *     out is copied into the caller's arena.
 *
 * Thread-safety. A builder and its tree belong to one thread at a time
 * (like the request arena). Frozen metadata and sql_cache may be used from
 * any thread. Everything else is reentrant.
 *
 * Errors. Fallible functions return bool or NULL and take err_report *err
 * last. Builders never crash on bad input: they record a problem in the
 * builder's err_report (err_add_item, so one bad query reports every
 * problem) and return NULL/false; builders receiving a NULL operand after
 * an earlier error return NULL quietly, so a chain of builder calls can be
 * checked once, at the end (sql_builder_failed()). Metadata problems are
 * ERR_CONFIG; limits and unknown names are ERR_BAD_REQUEST; misuse of the
 * API (wrong node kinds, missing operands) is ERR_INTERNAL.
 *
 * Values never appear in SQL text: every value is a $n parameter, passed
 * separately in text format (NULL entry = SQL NULL), ready for
 * PQexecParams. Every identifier is double-quoted and comes from metadata
 * (or a caller-chosen alias/label, which is quoted the same way). The only
 * literals are the ones SQL demands (NULL, TRUE, FALSE, *, DEFAULT, the 1
 * of an EXISTS subquery) and, in DDL only, the trusted strings of the
 * configuration.
 */
#ifndef RETORT_SQL_H
#define RETORT_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "strbuf.h"

/* ==== limits (the only place they are named) ========================== */

enum {
    /* Nodes on the longest root-to-leaf path of a tree (a statement counts
     * as one node). Checked by the builders, again by the compiler and the
     * walker, so no pass recurses deeper than this. */
    SQL_MAX_DEPTH = 64,
    /* $n placeholders in one statement: the wire protocol's Int16 count. */
    SQL_MAX_PARAMS = 65535,
    /* Bytes in an identifier: PostgreSQL's NAMEDATALEN - 1. Longer names
     * would be truncated by the server and could collide. */
    SQL_MAX_IDENT = 63,
    /* Entries of a statement cache created with capacity 0. */
    SQL_CACHE_DEFAULT_CAPACITY = 1024
};

/* ==== types and values ================================================ */

typedef enum sql_type_kind {
    SQL_TYPE_NONE = 0, /* unknown: PostgreSQL infers it from context */
    SQL_TYPE_INTEGER,
    SQL_TYPE_BIGINT,
    SQL_TYPE_FLOAT,   /* double precision */
    SQL_TYPE_NUMERIC, /* numeric(precision, scale) */
    SQL_TYPE_STRING,  /* varchar(length) */
    SQL_TYPE_TEXT,
    SQL_TYPE_BOOLEAN,
    SQL_TYPE_UUID,
    SQL_TYPE_DATE,
    SQL_TYPE_TIMESTAMPTZ,
    SQL_TYPE_JSON, /* json: kept as sent */
    SQL_TYPE_SMALLINT,
    SQL_TYPE_REAL,      /* float4 */
    SQL_TYPE_CHAR,      /* char(length), blank-padded */
    SQL_TYPE_TIME,      /* time without time zone */
    SQL_TYPE_TIMESTAMP, /* timestamp without time zone */
    SQL_TYPE_INTERVAL,
    SQL_TYPE_JSONB,
    SQL_TYPE_BYTEA,
    SQL_TYPE_INET,
    SQL_TYPE_CIDR,
    SQL_TYPE_ENUM,      /* a named enum type (sql_type.name) */
    SQL_TYPE__COUNT
} sql_type_kind;

typedef struct sql_type {
    sql_type_kind kind;
    int length;    /* STRING: varchar(length), CHAR: char(length); 0 = no limit */
    int precision; /* NUMERIC: 0 = unconstrained numeric; TIME, TIMESTAMP(TZ):
                      fractional digits, 0 = the default */
    int scale;     /* SQL_TYPE_NUMERIC only, 0 <= scale <= precision */
    bool array;    /* a one-dimensional array of the type */
    const char *name; /* ENUM: the type's name, from trusted metadata */
} sql_type;

sql_type sql_type_of(sql_type_kind kind);
sql_type sql_type_string(int length);
sql_type sql_type_numeric(int precision, int scale);

/* The configuration's name of a kind ("integer", "string", "json", ...);
 * "none" for SQL_TYPE_NONE. Static string. */
const char *sql_type_kind_name(sql_type_kind kind);
/* The reverse of sql_type_kind_name (config loader). False when unknown. */
bool sql_type_kind_parse(const char *name, sql_type_kind *out /* OUT */);
/* The type as used in a cast, without modifiers ("uuid", "numeric",
 * "text" for strings, "double precision"). Static string; NULL for NONE
 * and for ENUM (whose cast is its quoted name: sql_type_cast). */
const char *sql_type_cast_name(sql_type_kind kind);
/* The cast of a whole type, array brackets included ("text[]",
 * "\"mood\"[]"). Lives in a; NULL for NONE. */
const char *sql_type_cast(arena *a, sql_type type);
/* The type as written in DDL ("numeric(12,2)", "varchar(255)", "jsonb").
 * Lives in a. */
const char *sql_type_ddl(arena *a, sql_type type);

typedef enum sql_value_kind {
    SQL_VAL_NULL = 0,
    SQL_VAL_BOOL,
    SQL_VAL_INT,
    SQL_VAL_FLOAT,
    SQL_VAL_TEXT /* also uuid, numeric, dates, json: their text form */
} sql_value_kind;

/* A value bound to a parameter. Which union member is valid depends on
 * kind: BOOL b, INT i, FLOAT f, TEXT s; none for NULL. The string of a
 * value passed to a builder is copied into the builder's arena. */
typedef struct sql_value {
    sql_value_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        const char *s;
    } u;
} sql_value;

static inline sql_value sql_val_null(void)
{
    sql_value v = {.kind = SQL_VAL_NULL};
    return v;
}
static inline sql_value sql_val_bool(bool b)
{
    sql_value v = {.kind = SQL_VAL_BOOL, .u.b = b};
    return v;
}
static inline sql_value sql_val_int(int64_t i)
{
    sql_value v = {.kind = SQL_VAL_INT, .u.i = i};
    return v;
}
static inline sql_value sql_val_float(double f)
{
    sql_value v = {.kind = SQL_VAL_FLOAT, .u.f = f};
    return v;
}
/* s NULL gives a NULL value. */
static inline sql_value sql_val_str(const char *s)
{
    sql_value v = {.kind = s ? SQL_VAL_TEXT : SQL_VAL_NULL, .u.s = s};
    return v;
}

/* The text-format parameter of a value: "true"/"false", decimal digits,
 * the shortest round-tripping double ("Infinity", "NaN"), or the string.
 * NULL for SQL_VAL_NULL. Lives in a (a TEXT value's string is returned
 * as is, borrowed). */
const char *sql_value_text(arena *a, const sql_value *v);

/* A PostgreSQL array literal of the values ("{1,NULL,\"a\\\"b\"}"): text
 * elements are always double-quoted with " and \ backslash-escaped, so
 * commas, braces, spaces and the word NULL are data; NULL values are NULL.
 * An empty list is "{}". Lives in a. */
const char *sql_array_literal(arena *a, const sql_value *values, size_t n);

/* ==== schema metadata ================================================= */

typedef struct sql_metadata sql_metadata;
typedef struct sql_table sql_table;
typedef struct sql_column sql_column;
typedef struct sql_relation sql_relation;

/* Everything below is read-only for callers: build it with the functions
 * that follow. Fields marked "freeze" are filled by sql_metadata_freeze(). */

struct sql_column {
    const char *name;
    const sql_table *table;
    size_t index; /* position in table->columns */
    sql_type type;
    bool nullable;              /* false for primary key and not_null columns */
    bool unique;                /* single-column UNIQUE constraint */
    bool primary_key;           /* part of table->primary_key */
    bool autoincrement;         /* GENERATED BY DEFAULT AS IDENTITY */
    const char *server_default; /* trusted SQL expression; NULL = none */
    const char *generated;      /* GENERATED ALWAYS AS (this) STORED; NULL = none */
    const char *const *choices; /* allowed values (CHECK ... IN, or the enum's labels) */
    size_t n_choices;
    const sql_column *references; /* freeze: column-level FK target */
    /* Accepted on input, never read back: the query translator treats it
     * as unknown in where, order_by, fields, group_by, aggregates and GET
     * filters, so a password hash cannot be an oracle. */
    bool write_only;
};

typedef struct sql_unique {
    const char *name; /* "<table>_<cols>_key" unless given */
    const sql_column **columns;
    size_t n_columns;
} sql_unique;

typedef struct sql_foreign_key {
    const char *name; /* "<table>_<cols>_fkey" unless given */
    const sql_column **columns;
    size_t n_columns;
    const char *ref_table_name;     /* as declared */
    const char **ref_column_names;  /* as declared, n_columns */
    const sql_table *ref_table;     /* freeze */
    const sql_column **ref_columns; /* freeze, n_columns */
} sql_foreign_key;

typedef struct sql_check {
    const char *name;             /* given, or "<table>_<col>_check" for choices */
    const char *expr;             /* trusted SQL boolean expression */
    const sql_column *choices_of; /* the column whose choices made it; NULL for
                                   * a named check */
    const sql_column **columns;   /* freeze: columns the expression mentions */
    size_t n_columns;
} sql_check;

typedef struct sql_index {
    const char *name; /* "<table>_<cols>_idx" unless given */
    const sql_column **columns;
    size_t n_columns;
    bool unique;
} sql_index;

struct sql_table {
    const char *name; /* unique in the metadata: the key, aliases, the resource */
    /* Where the table lives when that is not "name" on the search path
     * (sql_table_set_location): the compiler then writes "schema"."sql_name"
     * AS "name". Both NULL for an ordinary table. */
    const char *schema;
    const char *sql_name;
    const sql_metadata *metadata;
    bool view; /* read-only, not created or dropped by DDL (sql_table_mark_view) */
    size_t index; /* declaration order in metadata */
    sql_column **columns;
    size_t n_columns;
    const sql_column **primary_key; /* key-column order */
    size_t n_primary_key;
    const char *pk_name; /* "<table>_pkey" */
    sql_unique *uniques; /* single-column (from column flags) and composite */
    size_t n_uniques;
    sql_foreign_key *foreign_keys; /* column-level references and composite */
    size_t n_foreign_keys;
    sql_check *checks; /* choices checks (column order), then named checks */
    size_t n_checks;
    sql_index *indexes; /* declared indexes (not the FK indexes of DDL) */
    size_t n_indexes;
    sql_relation **relations;
    size_t n_relations;
};

struct sql_metadata {
    arena *arena;
    sql_table **tables; /* declaration order */
    size_t n_tables;
    bool frozen;
};

typedef enum sql_relation_kind { SQL_REL_TO_ONE, SQL_REL_TO_MANY } sql_relation_kind;

/* local = remote, one equality of a join path. */
typedef struct sql_column_pair {
    const sql_column *local, *remote;
} sql_column_pair;

typedef struct sql_name_pair {
    const char *local, *remote;
} sql_name_pair;

/* A named join path from a table to a target, what relationship any/has
 * compile to. Without secondary: on[i] is (column of this table, column of
 * target). With secondary (many-to-many): on[i] is (column of this table,
 * column of secondary) and secondary_on[j] is (column of secondary, column
 * of target). */
typedef struct sql_relation_def {
    const char *name;
    sql_relation_kind kind;
    const char *target;
    const sql_name_pair *on;
    size_t n_on;
    const char *secondary; /* NULL unless many-to-many */
    const sql_name_pair *secondary_on;
    size_t n_secondary_on;
} sql_relation_def;

struct sql_relation {
    const char *name;
    sql_relation_kind kind;
    const sql_table *table;     /* the owner ("local" side) */
    const sql_table *target;    /* freeze */
    const sql_table *secondary; /* freeze; NULL unless many-to-many */
    sql_column_pair *on;        /* freeze: local = target (or secondary) */
    size_t n_on;
    sql_column_pair *secondary_on; /* freeze: secondary = target */
    size_t n_secondary_on;
    const sql_relation_def *def; /* the names as declared (copied) */
};

/* Options of a column; zero-initialised means a nullable plain column. */
typedef struct sql_column_opts {
    bool primary_key; /* joins the primary key in declaration order; NOT NULL */
    bool not_null;
    bool unique;
    bool autoincrement;         /* integer/bigint only */
    const char *server_default; /* trusted SQL, verbatim in DDL */
    const char *generated;      /* trusted SQL: a stored generated column */
    /* string, char, text: CHECK (col IN (...)); enum: the type's labels
     * (CREATE TYPE ... AS ENUM) */
    const char *const *choices;
    size_t n_choices;
    const char *references; /* "table.column", resolved by freeze */
    bool write_only;        /* see sql_column.write_only */
} sql_column_opts;

/* An empty metadata living in a (normally the process arena). */
sql_metadata *sql_metadata_new(arena *a);

/* Adds a table (names: 1..SQL_MAX_IDENT bytes, unique). NULL on error. */
sql_table *sql_table_add(sql_metadata *md, const char *name, err_report *err);
/* Marks t as a view (or any relation DDL must not create or drop). */
void sql_table_mark_view(sql_table *t);
/* The table is "schema"."sql_name" in PostgreSQL (schema NULL: the
 * search path; sql_name NULL: name), like SQLAlchemy's Table(..., schema=).
 * Statements then name it schema-qualified and alias it as name. */
void sql_table_set_location(sql_table *t, const char *schema, const char *sql_name);
/* "schema"."sql_name", or "name": the table as SQL names it. */
void sql_append_table_ident(sbuf *s, const sql_table *t);
/* True when t needs sql_table_set_location's qualified name. */
bool sql_table_located(const sql_table *t);

/* Adds a column; opts may be NULL. Checks the name, the type's modifiers
 * and the options that need no other table. NULL on error. */
sql_column *sql_table_add_column(sql_table *t, const char *name, sql_type type,
                                 const sql_column_opts *opts, err_report *err);

/* Sets the primary key explicitly, in this column order (composite keys);
 * replaces what primary_key column options declared. */
bool sql_table_set_primary_key(sql_table *t, const char *const *columns, size_t n, err_report *err);

/* A composite UNIQUE constraint; name NULL = "<table>_<cols>_key". */
bool sql_table_add_unique(sql_table *t, const char *name, const char *const *columns, size_t n,
                          err_report *err);

/* A composite foreign key; name NULL = "<table>_<cols>_fkey". The target
 * is resolved by freeze (it may be declared later). */
bool sql_table_add_foreign_key(sql_table *t, const char *name, const char *const *columns, size_t n,
                               const char *ref_table, const char *const *ref_columns,
                               err_report *err);

/* A named CHECK constraint; expr is trusted SQL (configuration). */
bool sql_table_add_check(sql_table *t, const char *name, const char *expr, err_report *err);

/* A declared index; name NULL = "<table>_<cols>_idx". */
bool sql_table_add_index(sql_table *t, const char *name, const char *const *columns, size_t n,
                         bool unique, err_report *err);

/* A named relation (join path); resolved by freeze. The name must not be a
 * column's name (query documents use both as keys). */
sql_relation *sql_table_add_relation(sql_table *t, const sql_relation_def *def, err_report *err);

/* Resolves references, foreign keys and relations, checks types, keys and
 * constraint names, and makes the metadata immutable. Reports every
 * problem (ERR_CONFIG items). Builders refuse frozen metadata; DDL and the
 * relation builders require it. */
bool sql_metadata_freeze(sql_metadata *md, err_report *err);

/* Lookups by exact name; NULL when absent. Borrowed from the metadata. */
const sql_table *sql_metadata_table(const sql_metadata *md, const char *name);
const sql_column *sql_table_column(const sql_table *t, const char *name);
const sql_relation *sql_table_relation(const sql_table *t, const char *name);

typedef enum sql_constraint_kind {
    SQL_CONSTRAINT_PRIMARY_KEY,
    SQL_CONSTRAINT_UNIQUE, /* unique constraint or unique index */
    SQL_CONSTRAINT_FOREIGN_KEY,
    SQL_CONSTRAINT_CHECK,
    SQL_CONSTRAINT_INDEX
} sql_constraint_kind;

typedef struct sql_constraint_info {
    sql_constraint_kind kind;
    const sql_table *table;
    const char *name;
    const sql_column *const *columns; /* the columns to point at */
    size_t n_columns;
} sql_constraint_info;

/* Finds a constraint or index by the name PostgreSQL reports (error field
 * "constraint"), within table when table is not NULL: how a 23505/23503/
 * 23514 error finds the fields it is about. False when unknown. */
bool sql_metadata_find_constraint(const sql_metadata *md, const char *table, const char *name,
                                  sql_constraint_info *out /* OUT */);

/* Tables in foreign-key dependency order (a table after every table it
 * references; declaration order otherwise; self-references ignored):
 * create in this order, drop in reverse. *out is an array of
 * md->n_tables pointers living in a. A cycle is an ERR_CONFIG error naming
 * the tables on it. Requires frozen metadata. */
bool sql_metadata_create_order(const sql_metadata *md, arena *a, const sql_table ***out /* OUT */,
                               err_report *err);

/* ==== the expression tree ============================================= */

typedef enum sql_node_kind {
    SQL_FROM = 1, /* a table or derived table in FROM / a DML target */
    SQL_COLREF,   /* from.column */
    SQL_EXCLUDED, /* EXCLUDED.column in ON CONFLICT DO UPDATE */
    SQL_PARAM,    /* a bound value: $n */
    SQL_LITERAL,  /* NULL TRUE FALSE * DEFAULT */
    SQL_BINOP,    /* comparison, LIKE, arithmetic */
    SQL_BOOLOP,   /* AND / OR over n operands */
    SQL_NOT,
    SQL_NULLTEST, /* IS [NOT] NULL */
    SQL_BETWEEN,
    SQL_ANY, /* x = ANY($n::t[]) (IN) or x <> ALL($n::t[]) (NOT IN) */
    SQL_FUNC,
    SQL_EXISTS,
    SQL_TEXT, /* text() with :name parameters */
    SQL_SELECT,
    SQL_INSERT,
    SQL_UPDATE,
    SQL_DELETE,
    SQL_NODE_KIND_COUNT
} sql_node_kind;

/* Every node starts with these two members, in this order; a pointer to
 * any node may be viewed as a sql_node. height = 1 + the largest height of
 * its children (a leaf is 1); builders keep it <= SQL_MAX_DEPTH. */
typedef struct sql_node {
    sql_node_kind kind;
    int height;
} sql_node;

typedef struct sql_select sql_select;

typedef struct sql_from {
    sql_node_kind kind; /* SQL_FROM */
    int height;
    const sql_table *table;     /* valid when subquery == NULL */
    const sql_select *subquery; /* a derived table; then table == NULL */
    const char *alias;          /* never NULL: the table's name if not aliased */
    bool aliased;               /* emit AS "alias" */
} sql_from;

typedef struct sql_colref {
    sql_node_kind kind; /* SQL_COLREF */
    int height;
    const sql_from *from;     /* not a child: the walker does not visit it */
    const sql_column *column; /* NULL when from is a derived table */
    const char *name;         /* column name, or the derived table's label */
} sql_colref;

typedef struct sql_excluded {
    sql_node_kind kind; /* SQL_EXCLUDED */
    int height;
    const sql_column *column;
} sql_excluded;

typedef struct sql_param {
    sql_node_kind kind; /* SQL_PARAM */
    int height;
    sql_type_kind type; /* hint; NONE = inferred by PostgreSQL */
    bool cast;          /* emit $n::type (always for arrays) */
    bool is_array;      /* then values/n_values, else value, is valid */
    sql_value value;
    const sql_value *values;
    size_t n_values;
} sql_param;

typedef enum sql_literal_kind {
    SQL_LIT_NULL,
    SQL_LIT_TRUE,
    SQL_LIT_FALSE,
    SQL_LIT_STAR,    /* SELECT * and count(*) */
    SQL_LIT_DEFAULT, /* VALUES (DEFAULT) */
    /* (xmax = 0): in the RETURNING list of an INSERT ... ON CONFLICT DO
     * UPDATE, true for a row this statement inserted and false for one it
     * updated (an updated row version carries the updating transaction's
     * id in xmax; a fresh one carries 0). Boolean. */
    SQL_LIT_INSERTED
} sql_literal_kind;

typedef struct sql_literal {
    sql_node_kind kind; /* SQL_LITERAL */
    int height;
    sql_literal_kind value;
} sql_literal;

typedef enum sql_op {
    SQL_OP_EQ,
    SQL_OP_NE,
    SQL_OP_LT,
    SQL_OP_LE,
    SQL_OP_GT,
    SQL_OP_GE,
    SQL_OP_LIKE,
    SQL_OP_NOT_LIKE,
    SQL_OP_ILIKE,
    SQL_OP_NOT_ILIKE,
    SQL_OP_ADD,
    SQL_OP_SUB,
    SQL_OP_MUL,
    SQL_OP_DIV,
    SQL_OP_CONTAINS, /* array @> array */
    SQL_OP_OVERLAPS  /* array && array */
} sql_op;

typedef struct sql_binop {
    sql_node_kind kind; /* SQL_BINOP */
    int height;
    sql_op op;
    sql_node *left, *right;
} sql_binop;

typedef enum sql_boolop_kind { SQL_AND, SQL_OR } sql_boolop_kind;

typedef struct sql_boolop {
    sql_node_kind kind; /* SQL_BOOLOP; always >= 1 operand */
    int height;
    sql_boolop_kind op;
    sql_node **args;
    size_t n_args;
} sql_boolop;

typedef struct sql_not {
    sql_node_kind kind; /* SQL_NOT */
    int height;
    sql_node *arg;
} sql_not;

typedef struct sql_nulltest {
    sql_node_kind kind; /* SQL_NULLTEST */
    int height;
    sql_node *arg;
    bool negated; /* IS NOT NULL */
} sql_nulltest;

typedef struct sql_between {
    sql_node_kind kind; /* SQL_BETWEEN */
    int height;
    sql_node *arg, *low, *high;
} sql_between;

typedef struct sql_any {
    sql_node_kind kind; /* SQL_ANY */
    int height;
    sql_node *lhs;
    sql_param *array; /* is_array, cast, type != NONE */
    bool negated;     /* NOT IN: lhs <> ALL(array) */
} sql_any;

typedef enum sql_func_kind {
    SQL_FN_COUNT, /* count(x), count(*), count(DISTINCT x) */
    SQL_FN_SUM,
    SQL_FN_AVG,
    SQL_FN_MIN,
    SQL_FN_MAX,
    SQL_FN_LOWER,
    SQL_FN_UPPER,
    SQL_FN_NOW,
    SQL_FN_COALESCE
} sql_func_kind;

typedef struct sql_func {
    sql_node_kind kind; /* SQL_FUNC */
    int height;
    sql_func_kind fn;
    bool distinct; /* count(DISTINCT x) */
    sql_node **args;
    size_t n_args;
} sql_func;

typedef struct sql_exists {
    sql_node_kind kind; /* SQL_EXISTS */
    int height;
    sql_select *select;
} sql_exists;

/* One piece of a text() statement: verbatim SQL, then (unless name < 0)
 * the parameter names[name]. */
typedef struct sql_text_piece {
    const char *sql;
    size_t len;
    int name;
} sql_text_piece;

typedef struct sql_text {
    sql_node_kind kind; /* SQL_TEXT */
    int height;
    const char *sql; /* as given */
    sql_text_piece *pieces;
    size_t n_pieces;
    const char **names;   /* distinct names, first-occurrence order */
    sql_param **bindings; /* per name; NULL until bound */
    size_t n_names;
} sql_text;

typedef struct sql_select_item {
    sql_node *expr;
    const char *label; /* AS "label"; NULL = none */
} sql_select_item;

typedef enum sql_join_kind { SQL_JOIN_INNER, SQL_JOIN_LEFT } sql_join_kind;

typedef struct sql_join {
    sql_join_kind type;
    sql_from *from;
    sql_node *on;
} sql_join;

typedef enum sql_nulls { SQL_NULLS_DEFAULT, SQL_NULLS_FIRST, SQL_NULLS_LAST } sql_nulls;

typedef struct sql_order_item {
    sql_node *expr;
    bool desc;
    sql_nulls nulls;
} sql_order_item;

typedef enum sql_lock { SQL_LOCK_NONE, SQL_LOCK_UPDATE, SQL_LOCK_SHARE } sql_lock;
typedef enum sql_lock_wait { SQL_LOCK_WAIT, SQL_LOCK_NOWAIT, SQL_LOCK_SKIP_LOCKED } sql_lock_wait;

struct sql_select {
    sql_node_kind kind; /* SQL_SELECT */
    int height;
    bool distinct;
    sql_select_item *items; /* none: SELECT 1 */
    size_t n_items;
    sql_from *from; /* NULL: no FROM clause */
    sql_join *joins;
    size_t n_joins;
    sql_node *where;
    sql_node **group_by;
    size_t n_group_by;
    sql_node *having;
    sql_order_item *order_by;
    size_t n_order_by;
    sql_param *limit, *offset; /* NULL = none */
    sql_lock lock;
    sql_lock_wait lock_wait;
    const sql_from *lock_of; /* FOR UPDATE OF "alias"; NULL = all */
};

typedef struct sql_set_clause {
    const sql_column *column;
    sql_node *value;
} sql_set_clause;

typedef enum sql_on_conflict {
    SQL_CONFLICT_NONE,
    SQL_CONFLICT_NOTHING,
    SQL_CONFLICT_UPDATE
} sql_on_conflict;

typedef struct sql_insert {
    sql_node_kind kind; /* SQL_INSERT */
    int height;
    sql_from *target;
    const sql_column **columns; /* none: DEFAULT VALUES */
    size_t n_columns;
    sql_node **values; /* n_rows rows of n_columns, row-major */
    size_t n_rows;
    sql_on_conflict conflict;
    const sql_column **conflict_columns;
    size_t n_conflict_columns;
    sql_set_clause *conflict_set; /* SQL_CONFLICT_UPDATE only */
    size_t n_conflict_set;
    sql_node *conflict_where; /* DO UPDATE ... WHERE; NULL = none */
    sql_select_item *returning;
    size_t n_returning;
} sql_insert;

typedef struct sql_update {
    sql_node_kind kind; /* SQL_UPDATE */
    int height;
    sql_from *target;
    sql_set_clause *set;
    size_t n_set;
    sql_node *where;
    sql_select_item *returning;
    size_t n_returning;
} sql_update;

typedef struct sql_delete {
    sql_node_kind kind; /* SQL_DELETE */
    int height;
    sql_from *target;
    sql_node *where;
    sql_select_item *returning;
    size_t n_returning;
} sql_delete;

/* True when n is a node of kind k (false for NULL). */
static inline bool sql_is(const void *n, sql_node_kind k)
{
    return n && ((const sql_node *) n)->kind == k;
}

/* The kind of a node struct type, at compile time. */
/* clang-format off */
#define SQL_KIND_OF(T)                      \
    _Generic((T *) 0,                       \
             sql_from *: SQL_FROM,          \
             sql_colref *: SQL_COLREF,      \
             sql_excluded *: SQL_EXCLUDED,  \
             sql_param *: SQL_PARAM,        \
             sql_literal *: SQL_LITERAL,    \
             sql_binop *: SQL_BINOP,        \
             sql_boolop *: SQL_BOOLOP,      \
             sql_not *: SQL_NOT,            \
             sql_nulltest *: SQL_NULLTEST,  \
             sql_between *: SQL_BETWEEN,    \
             sql_any *: SQL_ANY,            \
             sql_func *: SQL_FUNC,          \
             sql_exists *: SQL_EXISTS,      \
             sql_text *: SQL_TEXT,          \
             sql_select *: SQL_SELECT,      \
             sql_insert *: SQL_INSERT,      \
             sql_update *: SQL_UPDATE,      \
             sql_delete *: SQL_DELETE)
/* clang-format on */

/* Checked downcasts: abort with a message naming file and line when n is
 * not a T (a programming error, never input-dependent). NULL passes. */
void *sql_checked_cast(const void *n, sql_node_kind k, const char *file, int line);
#define SQL_CAST(n, T) ((T *) sql_checked_cast((n), SQL_KIND_OF(T), __FILE__, __LINE__))
#define SQL_CCAST(n, T) ((const T *) sql_checked_cast((n), SQL_KIND_OF(T), __FILE__, __LINE__))
/* Upcast of any node struct pointer. */
#define SQL_NODE(p) ((sql_node *) (p))

/* "SQL_BINOP", ... (debugging and messages). Static string. */
const char *sql_node_kind_name(sql_node_kind kind);

/* The SQL type an expression yields, as far as the tree tells (column
 * types, count = bigint, lower = text, comparisons = boolean ...);
 * SQL_TYPE_NONE when unknown. */
sql_type_kind sql_expr_type(const sql_node *n);

/* ==== builders ======================================================== */

/* A builder: the arena trees live in, the error report, and the counters
 * behind the limits. Lives in a; one per request (or per statement). */
typedef struct sql_builder sql_builder;

sql_builder *sql_builder_new(arena *a, err_report *err);
arena *sql_builder_arena(const sql_builder *b);
/* True once any builder call recorded a problem. */
bool sql_builder_failed(const sql_builder *b);
/* Parameters created so far (each IN list counts one). */
size_t sql_builder_param_count(const sql_builder *b);
/* JSON Pointer attached to problems recorded from now on (the translator
 * sets it to the query-document position it is translating); copied. NULL
 * for none. */
void sql_builder_set_pointer(sql_builder *b, const char *pointer);
const char *sql_builder_pointer(const sql_builder *b);
/* Problems recorded so far. */
size_t sql_builder_problems(const sql_builder *b);
/* Records a problem in the builder's report (at its pointer) and counts
 * it. */
void sql_builder_problem(sql_builder *b, err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Counts a problem that the caller reported itself (a value checked
 * against its column, a query document's own problems), so that
 * sql_builder_failed sees it. */
void sql_builder_count_problem(sql_builder *b);

/* FROM items. alias NULL = the table's own name (no AS). A derived table
 * needs an alias. */
sql_from *sql_from_table(sql_builder *b, const sql_table *t, const char *alias);
sql_from *sql_from_subquery(sql_builder *b, sql_select *s, const char *alias);

/* Column references. sql_col looks the name up (a table column, or a
 * derived table's output: its label, or the name of an unlabelled column
 * reference); an unknown name is an ERR_BAD_REQUEST problem. */
sql_node *sql_col(sql_builder *b, const sql_from *f, const char *name);
sql_node *sql_col_of(sql_builder *b, const sql_from *f, const sql_column *c);
sql_node *sql_excluded_col(sql_builder *b, const sql_column *c);

/* Parameters (bound values). sql_bind lets PostgreSQL infer the type from
 * context (col = $1, VALUES, SET, LIMIT); sql_bind_cast emits $n::type
 * where the context says nothing (e.g. a bare SELECT item). */
sql_node *sql_bind(sql_builder *b, sql_value v);
sql_node *sql_bind_cast(sql_builder *b, sql_value v, sql_type_kind type);

/* The literals SQL demands: NULL, TRUE, FALSE, * and DEFAULT, and the
 * upsert's inserted-or-updated flag (SQL_LIT_INSERTED, RETURNING only). */
sql_node *sql_lit(sql_builder *b, sql_literal_kind value);
sql_node *sql_star(sql_builder *b);

/* Binary operators: comparisons, [NOT] [I]LIKE, arithmetic (a + $1). */
sql_node *sql_binary(sql_builder *b, sql_op op, sql_node *left, sql_node *right);
sql_node *sql_eq(sql_builder *b, sql_node *left, sql_node *right);

/* AND/OR of n operands (any depth). No operand: TRUE for AND, FALSE for
 * OR; one operand: the operand itself. */
sql_node *sql_and(sql_builder *b, sql_node *const *args, size_t n);
sql_node *sql_or(sql_builder *b, sql_node *const *args, size_t n);
sql_node *sql_and2(sql_builder *b, sql_node *x, sql_node *y);
sql_node *sql_or2(sql_builder *b, sql_node *x, sql_node *y);
sql_node *sql_negate(sql_builder *b, sql_node *x);

sql_node *sql_is_null(sql_builder *b, sql_node *x);
sql_node *sql_is_not_null(sql_builder *b, sql_node *x);
sql_node *sql_is_between(sql_builder *b, sql_node *x, sql_node *low, sql_node *high);

/* IN / NOT IN: x = ANY($n::type[]) / x <> ALL($n::type[]) with ONE array
 * parameter whatever n is (n may be 0), so the statement shape does not
 * depend on the list length. The element type comes from x
 * (sql_expr_type); sql_in_typed names it when x does not tell. */
sql_node *sql_in(sql_builder *b, sql_node *x, const sql_value *values, size_t n);
sql_node *sql_not_in(sql_builder *b, sql_node *x, const sql_value *values, size_t n);
sql_node *sql_in_typed(sql_builder *b, sql_node *x, sql_type_kind type, bool negated,
                       const sql_value *values, size_t n);

/* Functions; arity is checked (now: 0, coalesce: >= 1, others: 1). */
sql_node *sql_call(sql_builder *b, sql_func_kind fn, sql_node *const *args, size_t n);
sql_node *sql_call1(sql_builder *b, sql_func_kind fn, sql_node *arg);
sql_node *sql_count_star(sql_builder *b);
sql_node *sql_count_distinct(sql_builder *b, sql_node *x);

/* EXISTS (subquery); the subquery may reference outer FROM items
 * (correlation). Finish building s first: its height is taken now (the
 * compiler re-checks the depth anyway). */
sql_node *sql_exists_select(sql_builder *b, sql_select *s);

/* Relationship any/has: EXISTS (SELECT 1 FROM target AS inner [JOIN
 * secondary] WHERE <join path from outer> [AND cond]). inner must be a
 * FROM item of rel->target built by the caller (cond refers to it);
 * secondary_alias names the association table (NULL = its name). */
sql_node *sql_relation_exists(sql_builder *b, const sql_relation *rel, const sql_from *outer,
                              sql_from *inner, const char *secondary_alias, sql_node *cond);
/* The join condition of a relation's first hop: AND of local = remote over
 * rel->on, local columns from `local`, remote ones from `remote` (the
 * target, or the secondary table). */
sql_node *sql_relation_condition(sql_builder *b, const sql_relation *rel, const sql_from *local,
                                 const sql_from *remote);
/* The second hop of a many-to-many relation: secondary = target. */
sql_node *sql_relation_secondary_condition(sql_builder *b, const sql_relation *rel,
                                           const sql_from *secondary, const sql_from *target);

/* ---- SELECT ---- */
sql_select *sql_select_new(sql_builder *b);
bool sql_select_distinct(sql_builder *b, sql_select *s);
bool sql_select_column(sql_builder *b, sql_select *s, sql_node *expr, const char *label);
bool sql_select_from(sql_builder *b, sql_select *s, sql_from *from);
bool sql_select_join(sql_builder *b, sql_select *s, sql_join_kind type, sql_from *from,
                     sql_node *on);
/* Adds a condition; several calls are ANDed (like Select.where()). */
bool sql_select_where(sql_builder *b, sql_select *s, sql_node *cond);
bool sql_select_group_by(sql_builder *b, sql_select *s, sql_node *expr);
bool sql_select_having(sql_builder *b, sql_select *s, sql_node *cond);
bool sql_select_order_by(sql_builder *b, sql_select *s, sql_node *expr, bool desc, sql_nulls nulls);
/* LIMIT $n / OFFSET $n: parameters, so paging does not change the shape.
 * Negative values are refused. */
bool sql_select_limit(sql_builder *b, sql_select *s, int64_t n);
bool sql_select_offset(sql_builder *b, sql_select *s, int64_t n);
/* FOR UPDATE / FOR SHARE [OF of] [NOWAIT | SKIP LOCKED]. */
bool sql_select_lock(sql_builder *b, sql_select *s, sql_lock lock, sql_lock_wait wait,
                     const sql_from *of);

/* ---- keyset paging ---- */

/* One item of the ORDER BY a keyset page continues, and the value it had
 * in the last row of the previous page. */
typedef struct sql_keyset_key {
    sql_node *expr;  /* the ordered expression (normally a column reference);
                      * it may be emitted several times, so it must hold no
                      * parameter */
    bool desc;
    sql_nulls nulls; /* as in the ORDER BY; DEFAULT = PostgreSQL's (last
                      * for ASC, first for DESC) */
    bool nullable;   /* false: expr is never NULL (skips the IS NULL cases) */
    sql_value value; /* SQL_VAL_NULL when the last row had NULL there */
} sql_keyset_key;

/* The condition "this row sorts after the boundary row" for ORDER BY
 * keys[0..n) (the last keys being the primary key, so the order is total):
 *   (k0 after v0) OR (k0 = v0 AND k1 after v1) OR ...
 * where "after" follows each key's direction and NULLS placement and
 * "=" is IS NULL for a NULL boundary value. When key 0's boundary is not
 * NULL and no NULL sorts after it, the whole is ANDed with the range
 * k0 >= v0 (k0 <= v0 descending), which lets PostgreSQL start an index
 * scan at the boundary. Every value is a parameter; the shape of the
 * condition depends only on the keys' directions, nullability and which
 * values are NULL. FALSE when nothing can follow. */
sql_node *sql_keyset_after(sql_builder *b, const sql_keyset_key *keys, size_t n);

/* ---- INSERT ---- */
/* INSERT INTO target (columns); no columns and no rows: DEFAULT VALUES. */
sql_insert *sql_insert_new(sql_builder *b, sql_from *target, const sql_column *const *columns,
                           size_t n_columns);
/* One VALUES row of n_columns expressions (sql_bind, sql_lit(SQL_LIT_DEFAULT) ...). */
bool sql_insert_row(sql_builder *b, sql_insert *ins, sql_node *const *values);
/* ON CONFLICT [(target)] DO NOTHING. */
bool sql_insert_on_conflict_do_nothing(sql_builder *b, sql_insert *ins,
                                       const sql_column *const *target, size_t n);
/* ON CONFLICT (target) DO UPDATE SET ... (target required); add the SET
 * list with sql_insert_conflict_set (e.g. col = sql_excluded_col(col)). */
bool sql_insert_on_conflict_do_update(sql_builder *b, sql_insert *ins,
                                      const sql_column *const *target, size_t n);
bool sql_insert_conflict_set(sql_builder *b, sql_insert *ins, const sql_column *c, sql_node *value);
/* ANDs cond into DO UPDATE's WHERE: a conflicting row that fails it is
 * left alone and returns nothing (a row filter's rows only). */
bool sql_insert_conflict_where(sql_builder *b, sql_insert *ins, sql_node *cond);
bool sql_insert_returning(sql_builder *b, sql_insert *ins, sql_node *expr, const char *label);

/* ---- UPDATE ---- */
sql_update *sql_update_new(sql_builder *b, sql_from *target);
bool sql_update_set(sql_builder *b, sql_update *u, const sql_column *c, sql_node *value);
bool sql_update_where(sql_builder *b, sql_update *u, sql_node *cond); /* ANDed */
bool sql_update_returning(sql_builder *b, sql_update *u, sql_node *expr, const char *label);

/* ---- DELETE ---- */
sql_delete *sql_delete_new(sql_builder *b, sql_from *target);
bool sql_delete_where(sql_builder *b, sql_delete *d, sql_node *cond); /* ANDed */
bool sql_delete_returning(sql_builder *b, sql_delete *d, sql_node *expr, const char *label);

/* ---- text() ---- */
/* A trusted SQL text with :name parameters (config-declared named
 * queries). Parsed now: :name becomes $n at compile time (the same name
 * the same $n); `::type` casts, 'strings', E'strings', "identifiers",
 * $tag$dollar quotes$tag$ and comments are not scanned for names; \: is a
 * literal colon. Positional $1 parameters and unterminated quotes are
 * refused. May be a whole statement or a fragment inside a tree. */
sql_text *sql_text_new(sql_builder *b, const char *sql);
/* Binds a value to :name; a name the text does not contain is refused.
 * Binding again replaces. */
bool sql_text_bind(sql_builder *b, sql_text *t, const char *name, sql_value v);
/* The same with the parameter cast to type ($n::type), for a declared
 * parameter type whatever the context in the text says. */
bool sql_text_bind_typed(sql_builder *b, sql_text *t, const char *name, sql_value v,
                         sql_type_kind type);

/* ==== walker ========================================================== */

typedef enum sql_walk_action {
    SQL_WALK_CONTINUE, /* visit the children */
    SQL_WALK_PRUNE,    /* do not visit this node's children */
    SQL_WALK_STOP      /* end the walk */
} sql_walk_action;

/* depth: 1 for the node sql_walk was called on. */
typedef sql_walk_action (*sql_walk_fn)(const sql_node *n, int depth, void *ctx);

/* Visits n and every node below it, pre-order, children in the order the
 * compiler emits them (so parameters are met in $n order, the first
 * occurrence of each text() name only). A colref's FROM item is a
 * reference, not a child. Returns false when fn stopped the walk or the
 * tree is deeper than SQL_MAX_DEPTH (nothing below that depth is visited). */
bool sql_walk(const sql_node *n, sql_walk_fn fn, void *ctx);

/* ==== compiler ======================================================== */

typedef struct sql_compiled {
    const char *sql;     /* PostgreSQL text with $1..$n; lives in the arena */
    size_t n_params;     /* <= SQL_MAX_PARAMS */
    const char **params; /* text values, NULL entry = SQL NULL; in the arena */
} sql_compiled;

/* Compiles a statement (SELECT, INSERT, UPDATE, DELETE, text()) or an
 * expression into deterministic SQL text and its parameters. Problems are
 * added to err (all of them) and make it return false; *out is then
 * zeroed. */
bool sql_compile(const sql_node *stmt, arena *a, sql_compiled *out /* OUT */, err_report *err);

/* The shape of a statement: everything that decides its SQL text, and
 * nothing of its parameter values. Equal keys <=> equal SQL text. Computed
 * by one walk, far cheaper than compiling; params are the tree's parameter
 * nodes in $n order (what the cache binds on a hit). Everything lives in a. */
typedef struct sql_shape {
    const unsigned char *key;
    size_t len;
    uint64_t hash; /* FNV-1a of key */
    const sql_param **params;
    size_t n_params;
} sql_shape;

bool sql_shape_of(const sql_node *stmt, arena *a, sql_shape *out /* OUT */, err_report *err);

/* The text-format parameters of a shape (what sql_compile would give),
 * living in a. */
const char **sql_shape_param_values(const sql_shape *shape, arena *a);

/* ==== compiled-statement cache ======================================== */

/* A bounded LRU map from statement shape to compiled SQL text, shared by
 * all threads (one mutex). Process-lifetime heap object. */
typedef struct sql_cache sql_cache;

typedef struct sql_cache_stats {
    uint64_t hits, misses;
    uint64_t compiles; /* sql_compile runs (a miss compiles once; two
                        * threads missing the same shape together may both
                        * compile, one result is kept) */
    uint64_t evictions;
    size_t entries, capacity;
} sql_cache_stats;

/* capacity 0 = SQL_CACHE_DEFAULT_CAPACITY. */
sql_cache *sql_cache_create(size_t capacity);
void sql_cache_destroy(sql_cache *c); /* NULL accepted */

/* Like sql_compile, through the cache: the shape is computed; a hit copies
 * the cached SQL into a and binds this tree's values; a miss compiles and
 * stores the SQL. */
bool sql_cache_compile(sql_cache *c, const sql_node *stmt, arena *a, sql_compiled *out /* OUT */,
                       err_report *err);
void sql_cache_get_stats(sql_cache *c, sql_cache_stats *out /* OUT */);
void sql_cache_clear(sql_cache *c); /* drops every entry (stats kept) */

/* ==== DDL ============================================================= */

/* A list of SQL statements (no trailing semicolons) living in an arena. */
typedef struct sql_stmts {
    const char **items;
    size_t n;
} sql_stmts;

/* Appends CREATE TABLE IF NOT EXISTS for t (types, NOT NULL, identity,
 * server defaults, named PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK
 * constraints), then CREATE INDEX IF NOT EXISTS for every foreign key not
 * already covered by the leading columns of the primary key, a unique
 * constraint or an index, and for every declared index. Needs frozen
 * metadata. Strings live in a. */
bool sql_compile_create_table(const sql_table *t, arena *a, sql_stmts *out /* OUT, appended */,
                              err_report *err);
/* Appends DROP TABLE IF EXISTS for t. */
bool sql_compile_drop_table(const sql_table *t, arena *a, sql_stmts *out /* OUT, appended */,
                            err_report *err);
/* Every table, in create order / reverse create order (metadata.create_all
 * / drop_all). */
bool sql_compile_create_all(const sql_metadata *md, arena *a, sql_stmts *out /* OUT */,
                            err_report *err);
bool sql_compile_drop_all(const sql_metadata *md, arena *a, sql_stmts *out /* OUT */,
                          err_report *err);
/* The statements as one script: each followed by ";\n", a blank line
 * between them (`retort schema sql`). Lives in a. */
const char *sql_stmts_script(const sql_stmts *s, arena *a);
/* A column as CREATE TABLE and ALTER TABLE ADD COLUMN write it: name,
 * type, NOT NULL, identity, default, generation. Lives in a. */
const char *sql_compile_column_def(const sql_column *c, arena *a);
/* CREATE INDEX IF NOT EXISTS for the referencing columns of fk, or NULL
 * when the primary key, a unique key or an index of t already leads with
 * them. Lives in a. */
const char *sql_compile_fk_index(const sql_table *t, const sql_foreign_key *fk, arena *a);
/* CREATE TYPE "name" AS ENUM (...) for an enum column's type and labels.
 * Lives in a. */
const char *sql_compile_create_enum(const sql_column *c, arena *a);

#endif
