/*
 * query_int — what the translator's files (query_*.c) share and nobody
 * else sees. Prefix query__. Everything allocated lives in the builder's
 * arena.
 *
 * Pointers are built lazily: while translating, the position in the
 * document is a chain of query__path links on the C stack (parent, key or
 * index); the JSON Pointer string is only made when a problem is recorded.
 * A hostile document therefore costs no pointer strings unless it is
 * wrong, and then at most ERR_MAX_ITEMS of them.
 */
#ifndef RETORT_QUERY_INT_H
#define RETORT_QUERY_INT_H

#include "jsonkind.h"
#include "query.h"
#include "sql.h"
#include "strbuf.h"

/* One ORDER BY item. In an aggregate query name is a group_by column or an
 * aggregate label; otherwise a column. */
struct query_order {
    const char *name;         /* as given */
    const sql_column *column; /* NULL when name is an aggregate label */
    size_t aggregate;         /* index in aggregates when column is NULL */
    bool desc;
    sql_nulls nulls;
};

/* One aggregate: fn(column) AS label; count(*) when column is NULL. */
struct query_aggregate {
    const char *label;        /* identifier-safe, unique */
    sql_func_kind fn;         /* COUNT, SUM, AVG, MIN or MAX */
    bool distinct;            /* count_distinct */
    const sql_column *column; /* NULL for count(*) */
};

/* One step of a JSON Pointer. The root link has raw set: a pointer prefix
 * taken as it is (already escaped), e.g. "/where". */
typedef struct query__path {
    const struct query__path *up;
    const char *raw; /* root only */
    const char *key; /* an object member (escaped when materialised) */
    size_t index;    /* an array element, when key and raw are NULL */
} query__path;

#define QUERY__KEY(parent, k) ((query__path){.up = (parent), .key = (k)})
#define QUERY__INDEX(parent, i) ((query__path){.up = (parent), .index = (i)})
#define QUERY__ROOT(prefix) ((query__path){.raw = (prefix) ? (prefix) : ""})

/* The state of one translation call. */
typedef struct query__ctx {
    sql_builder *b;
    arena *a;
    err_report *err;
    query_limits lim;     /* defaults filled in */
    size_t nodes;         /* keys and elements visited */
    size_t problems;      /* problems this translation recorded */
    bool saw_bad_request; /* some problem was a 400 */
    bool aborted;         /* a size or depth limit was hit: stop */
    bool err_was_clean;   /* err held nothing when the call began */
    size_t builder_problems_before;
    const char *saved_builder_pointer;
    unsigned alias_seq;   /* for the aliases of EXISTS subqueries */
    const sql_from *root; /* the queried FROM item (its alias is taken) */
} query__ctx;

/* Starts a translation: limits with defaults, the builder's pointer set to
 * prefix (for limit problems the builder itself finds). */
void query__begin(query__ctx *x, sql_builder *b, const query_limits *lim, const char *prefix,
                  err_report *err);
/* Ends it: restores the builder's pointer, makes a report that holds a
 * query error a 400 (query errors win over value errors). True when
 * neither the translation nor the builder recorded a problem. */
bool query__end(query__ctx *x);

/* The JSON Pointer of a path (RFC 6901: ~ as ~0, / as ~1). In the arena. */
const char *query__pointer(arena *a, const query__path *p);

/* Records a problem at p: ERR_BAD_REQUEST (bad) or ERR_VALIDATION (invalid). */
void query__bad(query__ctx *x, const query__path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void query__invalid(query__ctx *x, const query__path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts one key or element against max_nodes; false (and the
 * translation aborted, one problem at p) past it. */
bool query__count_node(query__ctx *x, const query__path *p);

/* A name from the document, quoted for a message and shortened to a
 * readable length ("\"abc\"", "\"aaaa...\""). In the arena. */
const char *query__quote(arena *a, const char *name);

/* The key and value (borrowed from o) of an object with exactly one
 * member; false, *key and *value untouched, for anything else. */
bool query__single_member(const json_t *o, const char **key /* OUT */,
                          const json_t **value /* OUT */);

/* "Columns: id, email. Relationships: orders." — the valid names of t,
 * for messages (relationships only when they would be valid). In the
 * arena. */
/* The column name names in t, unless it is write-only or one the
 * caller's role may not read (x->lim.readable): the translator's one
 * lookup of a column a document reads, filters, sorts or groups by. */
const sql_column *query__column(const query__ctx *x, const sql_table *t, const char *name);
const char *query__field_list(const query__ctx *x, const sql_table *t, bool relationships);

/* A fresh alias for an EXISTS subquery's table: "<name>_<n>", not the name
 * of any table and not the root's alias (so it never shadows an outer
 * FROM item), at most SQL_MAX_IDENT bytes. In the arena. */
const char *query__alias(query__ctx *x, const char *table);

/* An identifier-safe label: [A-Za-z_][A-Za-z0-9_]*, 1..SQL_MAX_IDENT bytes. */
bool query__label_ok(const char *s);

/* ---- column types ---------------------------------------------------- */

/* True for the types with an order that makes lt/between meaningful. */
bool query__orderable(sql_type_kind k);
/* True for string and text (like/ilike). */
bool query__is_string(sql_type_kind k);

/* ---- the where translator (query_where.c) ------------------------- */

/* Translates a where object at path p over from. *out: the condition, or
 * NULL for an empty object. False after problems. */
bool query__where(query__ctx *x, const sql_from *from, const json_t *where, const query__path *p,
                  sql_node **out /* OUT */);

/* ---- pieces of a query (query_doc.c), shared with the GET form --- */

/* Validates a dotted loader path ("orders.user", "*", "orders.*") from
 * table t and appends the option to q. */
bool query__add_option(query__ctx *x, query_doc *q, const sql_table *t, cfg_strategy kind,
                       const char *path, bool include, const query__path *p);
/* Resolves an order_by name for q (a column, or in an aggregate query a
 * group_by column or an aggregate label) and appends it. */
bool query__add_order(query__ctx *x, query_doc *q, const char *name, bool desc, sql_nulls nulls,
                      const query__path *p);
/* Resolves a field name (column or relationship) and appends it. */
bool query__add_field(query__ctx *x, query_doc *q, const char *name, const query__path *p);
/* Checks a limit/offset value against the limits and stores it. */
bool query__set_paging(query__ctx *x, query_doc *q, bool is_limit, int64_t v, const query__path *p);
/* Empties q and sets its defaults (limit = default_limit). */
void query__query_init(query__ctx *x, query_doc *q, const sql_from *from);
/* limit "all": refused (400 at p) unless the limits allow it. */
bool query__set_all(query__ctx *x, query_doc *q, const query__path *p);
/* What limit "all" does not combine with (relationships, offset): 400s at
 * limit. Called once the whole query is parsed. */
void query__check_all(query__ctx *x, const query_doc *q, const query__path *limit);
/* Records a keyset cursor (copied). */
void query__set_after(query__ctx *x, query_doc *q, const char *after, const query__path *p);
/* fn(column) of an aggregate, count(*) when it has no column. */
sql_node *query__aggregate_expr(sql_builder *b, const sql_from *from, const query_aggregate *g);
/* ANDs cond into q->where. */
bool query__and_where(query__ctx *x, query_doc *q, sql_node *cond);

#endif
