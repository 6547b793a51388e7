/*
 * query — retort's query language: SPEC.md's JSON query documents (the body
 * of POST .../query, the where of bulk updates and transaction operations)
 * and the query parameters of GET lists, translated into a Core SELECT
 * (and its count) plus the ORM load options the document asks for.
 *
 * It sits above the ORM: names are looked up in Core metadata, values are
 * checked by the ORM's value rules (orm_value_*), loader options are the
 * ORM's (orm_load_option, strategies cfg_strategy), and the entities of a
 * query are run through the session (query_entities).
 *
 * Thread-safety: reentrant; everything lives in the builder's arena.
 */
#ifndef RETORT_QUERY_H
#define RETORT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "orm.h"

/*
 * Names are only ever looked up in metadata, never copied into SQL: a
 * name that is not a column or relationship of the table is an error. A
 * value is validated against its column's type (orm_value_json) and always
 * becomes a bound parameter.
 *
 * Errors. Every problem found is added to err as an item with the JSON
 * Pointer of the offending element and a sentence saying what was expected,
 * so one bad document reports all of its problems. Problems with the
 * document itself (unknown key, field, operator or relationship, an
 * operand of the wrong shape, any instead of has, limit above max_limit,
 * the size and depth limits) are ERR_BAD_REQUEST (400); a value that does
 * not fit its column (wrong JSON type, out of range, bad uuid or date, too
 * long, not one of the choices) is ERR_VALIDATION (422). A report holding
 * both is a 400 whatever their order (query errors win; every item is
 * kept). err should be the report of the builder b; the translator's
 * problems count as the builder's (sql_builder_failed). Size and depth
 * limits stop the translation at once (no recursion deeper than max_depth,
 * no work past max_nodes); other problems are collected.
 *
 * Lifetimes. Everything produced (nodes, arrays, names, pointers) lives in
 * b's arena; no json_t reference is kept after a call returns.
 */

/* The bounds of a translation. A zero member takes the default below; a
 * NULL query_limits * means all defaults. */
typedef struct query_limits {
    int default_limit;  /* limit when the document gives none */
    int max_limit;      /* largest limit accepted (server.max_limit) */
    int max_depth;      /* nesting of and/or/not/any/has in a where */
    size_t max_nodes;   /* keys and array elements in the whole document */
    size_t max_in_list; /* values in one in/not_in list */
    /* limit "all" (GET limit=all, "limit": "all") is accepted: the caller
     * streams every row from a server-side cursor (query_export) */
    bool allow_all;
    /* The columns the caller's role may read (its "read" list): any other
     * column is as unknown as a write_only one in where (any/has too),
     * order_by, fields, group_by, aggregates and GET filters, so it can
     * be no oracle. NULL = every column. */
    orm_column_filter_fn readable;
    void *readable_ctx;
    /* Checking a row filter's document (query_row_filters_check): a
     * {"$claim": "name"} value stands for a value of the right type and
     * shape, known only per request; every name and operator is checked. */
    bool claim_placeholders;
} query_limits;

enum {
    QUERY_DEFAULT_LIMIT = 100,
    QUERY_MAX_LIMIT = 1000,
    /* Each any/has level adds three levels to the tree (EXISTS, SELECT,
     * AND), so 16 keeps every translated statement under SQL_MAX_DEPTH. */
    QUERY_MAX_DEPTH = 16,
    QUERY_MAX_NODES = 50000,
    QUERY_MAX_IN_LIST = 10000
};

/* One ORDER BY item and one aggregate (query_int.h: they hold Core's
 * enums, and callers above only pass them along). */
typedef struct query_order query_order;
typedef struct query_aggregate query_aggregate;

/* A translated query. Trees refer to `from` (the queried table's FROM
 * item given to the parser); build statements with that same FROM item. */
typedef struct query_doc {
    const sql_from *from;
    sql_node *where; /* NULL = no condition */
    query_order *order;
    size_t n_order;
    int64_t limit, offset; /* limit defaults to default_limit, offset to 0 */
    /* limit "all" (only with query_limits.allow_all): every row, no LIMIT;
     * limit is then 0. Loader options, include and relationships in fields
     * are refused with it (an export is rows, read batch by batch). */
    bool all;
    bool count;            /* the total count was asked for */
    /* fields: names as given, each a column (field_columns[i]) or a
     * relationship (field_relations[i]); n_fields 0 = every column. */
    const char **fields;
    const sql_column **field_columns;
    const sql_relation **field_relations;
    size_t n_fields;
    /* loader options (document order; include= ones appended), and named
     * = field_relations, n_named = n_fields: what orm_load_plan_build
     * takes */
    orm_load_options load;
    query_aggregate *aggregates; /* document order */
    size_t n_aggregates;
    const sql_column **group_by;
    size_t n_group_by;
    bool is_aggregate; /* group_by or aggregates given: rows, not entities */
    /* "after" / GET after=: a keyset cursor as given (opaque here: the
     * layer that made it checks and applies it); NULL = none. */
    const char *after;
    /* "lock": "update" | "share", with "nowait" or "skip_locked" */
    int lock;      /* sql_lock */
    int lock_wait; /* sql_lock_wait */
    /* "having": {"<aggregate label>": {"gt": 10}, ...}: a condition over
     * the aggregates (built with the SELECT); NULL = none */
    sql_node *having;
} query_doc;

/* Translates a where document over `from` (a FROM item of a table): keys
 * ANDed; a non-object value means eq, null means IS NULL (eq null / ne
 * null too); operators eq ne lt le gt ge like ilike in not_in is_null
 * between (like/ilike on string and text only; lt..between not on boolean
 * or json; in/not_in one array parameter, no null elements); and/or take
 * non-empty arrays of where documents, not one; a relationship takes
 * {"any": where} (to-many) or {"has": where} (to-one), compiled to a
 * correlated EXISTS over the target (through the secondary table for
 * many-to-many), with fresh aliases ("orders_1") that never shadow an
 * outer FROM item; {"any": {}} means "has at least one". An empty object
 * inside and/or/not is refused ({"or": [{}]} would match every row and so
 * defeat a bulk update's "non-empty where" check). Pointers start with
 * pointer_prefix ("/where", "/operations/2/where"; "" for a document that
 * is the where itself). Returns the condition, or NULL: for an empty
 * document or where == NULL (no condition, err untouched), or after
 * problems (err_is_set). lim may be NULL. */
sql_node *query_where(sql_builder *b, const sql_from *from, const json_t *where,
                      const char *pointer_prefix, const query_limits *lim, err_report *err);

/* Translates a query document (POST .../query): where, order_by (["id",
 * {"created_at": "desc"}, {"name": {"dir": "asc", "nulls": "last"}}]),
 * limit (0..max_limit, default default_limit), offset (>= 0), fields
 * (columns and relationships), options ([{"selectinload": "orders.user"},
 * {"raiseload": "*"}], kinds selectinload joinedload lazyload/selectload
 * raiseload noload, each hop checked), count (boolean), group_by (columns)
 * and aggregates ({"label": {"count": "*"|"col"}}, count_distinct, sum and
 * avg on numbers, min and max on numbers, strings and times; labels
 * identifier-safe and distinct from group_by columns). With group_by or
 * aggregates the query is an aggregate: order_by names group_by columns
 * or labels, fields and options are refused. Any other key is an error
 * ("/<key>"); a document that is not an object is a 422. *out is filled
 * even on failure (with what was valid). */
bool query_parse(sql_builder *b, const sql_from *from, const json_t *doc, const query_limits *lim,
                 query_doc *out /* OUT */, err_report *err);

/* Translates GET list query parameters (already percent-decoded, n pairs,
 * each name at most once): limit, offset, order_by=-created_at,id,
 * include=orders,orders.user (selectinload options marked include),
 * count=true|false, fields=a,b, where=<where document as JSON text>, and
 * any column name: equality with the text converted to the column's type.
 * Pointers name the parameter ("/limit"; "/where/..." inside where=). */
bool query_parse_params(sql_builder *b, const sql_from *from, const char *const *names,
                        const char *const *values, size_t n, const query_limits *lim,
                        query_doc *out /* OUT */, err_report *err);

/* The Core SELECT of a translated query over from (the FROM item given to
 * the parser): the fields' columns or every column, where, order_by,
 * LIMIT, OFFSET. For an aggregate query: the group_by columns, then each
 * aggregate AS its label, GROUP BY the group_by columns. Lives in b's
 * arena; NULL on error. */
sql_select *query_select(sql_builder *b, sql_from *from, const query_doc *q, err_report *err);

/* SELECT count(*) AS "count" with the same where (no order, limit or
 * offset); for an aggregate query the number of result rows (the grouped
 * SELECT as a derived table "groups"). */
sql_select *query_count_select(sql_builder *b, sql_from *from, const query_doc *q, err_report *err);

/* ==== running ============================================================ */

/* The entities of a translated entity query (not an aggregate: that is an
 * ERR_BAD_REQUEST, rows are Core's job): orm_session_query of
 * query_select(q) with plan (from orm_load_plan_build(s, m, &q->load)).
 * *count is the total when q->count asked for it, else -1. */
bool query_entities(orm_session *s, const orm_mapper *m, const query_doc *q,
                    const orm_load_plan *plan, orm_entity ***out /* OUT */, size_t *n /* OUT */,
                    int64_t *count /* OUT */, err_report *err);

/* ==== for callers that build no Core trees ================================ */

/* query_parse, query_parse_params and query_where over a FROM item of m's
 * table made here (its builder in a, reporting to err); query_where_model
 * fills out->from and out->where only, and is false without a condition
 * (an empty or absent where, or problems). */
bool query_parse_model(const orm_mapper *m, arena *a, const json_t *doc, const query_limits *lim,
                       query_doc *out /* OUT */, err_report *err);
bool query_parse_params_model(const orm_mapper *m, arena *a, const char *const *names,
                              const char *const *values, size_t n, const query_limits *lim,
                              query_doc *out /* OUT */, err_report *err);
bool query_where_model(const orm_mapper *m, arena *a, const json_t *where,
                       const char *pointer_prefix, const query_limits *lim,
                       query_doc *out /* OUT */, err_report *err);

/* The rows of a query (an aggregate's groups) run through the session, and
 * *count the number of rows the query would give without paging when
 * q->count asked for it (else -1). The result lives in the session arena. */
eng_result *query_rows(orm_session *s, const query_doc *q, int64_t *count /* OUT */,
                       err_report *err);

/* ==== exports: every row, read from a server-side cursor ================== */

/* The statement of an export (q->all) for orm_cursor_open: an aggregate's
 * query_select; for entities the columns their DTO shows (fields', else
 * every column that is not write_only) ordered by the effective keyset
 * order (order_by, then the key: a total order), without LIMIT. With
 * count, runs the query's count first (*count). Lives in the session
 * arena; NULL on error. */
const sql_node *query_export(orm_session *s, const orm_mapper *m, const query_doc *q,
                             int64_t *count /* OUT, NULL = not wanted */, err_report *err);

/* ==== keyset paging (query_cursor.c) ===================================== */

/* When q has an "after" cursor: checks it (its signature, and that it
 * belongs to this query's shape: resource, effective ORDER BY, where) and
 * ANDs "rows after the cursor's row" into q->where; a bad cursor is a 400
 * item at pointer. Nodes live in a. */
bool query_keyset_apply(const orm_mapper *m, arena *a, query_doc *q, const char *pointer,
                        err_report *err);
/* The cursor of the page after items (n of them, as the query returned
 * them) when the page is full, else NULL; where is q->where before
 * query_keyset_apply. Lives in a. */
const char *query_keyset_next(const orm_mapper *m, arena *a, const query_doc *q,
                              const sql_node *where, orm_entity *const *items, size_t n);

/* ---- row filters (query_rowfilter.c) ---------------------------------- */

typedef enum query_row_access {
    QUERY_ROWS_ALL,
    QUERY_ROWS_NONE,
    QUERY_ROWS_WHERE
} query_row_access;

/* Which rows of each model a session may use: rows_of answers per mapper,
 * with *doc (a new reference, taken over) for QUERY_ROWS_WHERE: a where
 * document, claims already substituted. */
typedef struct query_row_policy {
    query_row_access (*rows_of)(void *ctx, const orm_mapper *m, json_t **doc /* OUT */);
    void *ctx;
    const orm_registry *registry;
} query_row_policy;

/* An orm_row_filter_fn over a query_row_policy (ctx): the policy's where
 * document translated over `from`; FALSE for QUERY_ROWS_NONE and for a
 * document that does not translate; NULL (no filter) for QUERY_ROWS_ALL. */
sql_node *query_row_filter(void *ctx, sql_builder *b, const sql_table *t, const sql_from *from,
                           err_report *err);

/* Checks every permission's "rows" document of every model against its
 * model at start-up (names, operators, shapes, each {"$claim": "name"}
 * well formed): one ERR_CONFIG item per problem, its pointer into the
 * configuration ("/models/Order/permissions/customer/rows/owner"). */
bool query_row_filters_check(const orm_registry *reg, arena *a, err_report *err);

#endif
