/*
 * sql_doc_int — what the translator's files (sql_doc_*.c) share and nobody
 * else sees. Prefix sql_doc__. Everything allocated lives in the builder's
 * arena.
 *
 * Pointers are built lazily: while translating, the position in the
 * document is a chain of sql_doc__path links on the C stack (parent, key or
 * index); the JSON Pointer string is only made when a problem is recorded.
 * A hostile document therefore costs no pointer strings unless it is
 * wrong, and then at most ERR_MAX_ITEMS of them.
 */
#ifndef RETORT_SQL_DOC_INT_H
#define RETORT_SQL_DOC_INT_H

#include "jsonkind.h"
#include "sql_int.h"

/* One step of a JSON Pointer. The root link has raw set: a pointer prefix
 * taken as it is (already escaped), e.g. "/where". */
typedef struct sql_doc__path {
    const struct sql_doc__path *up;
    const char *raw; /* root only */
    const char *key; /* an object member (escaped when materialised) */
    size_t index;    /* an array element, when key and raw are NULL */
} sql_doc__path;

#define SQL_DOC__KEY(parent, k) ((sql_doc__path){.up = (parent), .key = (k)})
#define SQL_DOC__INDEX(parent, i) ((sql_doc__path){.up = (parent), .index = (i)})
#define SQL_DOC__ROOT(prefix) ((sql_doc__path){.raw = (prefix) ? (prefix) : ""})

/* The state of one translation call. */
typedef struct sql_doc__ctx {
    sql_builder *b;
    arena *a;
    err_report *err;
    sql_doc_limits lim;   /* defaults filled in */
    size_t nodes;         /* keys and elements visited */
    size_t problems;      /* problems this translation recorded */
    bool saw_bad_request; /* some problem was a 400 */
    bool aborted;         /* a size or depth limit was hit: stop */
    bool err_was_clean;   /* err held nothing when the call began */
    size_t builder_problems_before;
    const char *saved_builder_pointer;
    unsigned alias_seq;   /* for the aliases of EXISTS subqueries */
    const sql_from *root; /* the queried FROM item (its alias is taken) */
} sql_doc__ctx;

/* Starts a translation: limits with defaults, the builder's pointer set to
 * prefix (for limit problems the builder itself finds). */
void sql_doc__begin(sql_doc__ctx *x, sql_builder *b, const sql_doc_limits *lim, const char *prefix,
                    err_report *err);
/* Ends it: restores the builder's pointer, makes a report that holds a
 * query error a 400 (query errors win over value errors). True when
 * neither the translation nor the builder recorded a problem. */
bool sql_doc__end(sql_doc__ctx *x);

/* The JSON Pointer of a path (RFC 6901: ~ as ~0, / as ~1). In the arena. */
const char *sql_doc__pointer(arena *a, const sql_doc__path *p);

/* Records a problem at p: ERR_BAD_REQUEST (bad) or ERR_VALIDATION (invalid). */
void sql_doc__bad(sql_doc__ctx *x, const sql_doc__path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sql_doc__invalid(sql_doc__ctx *x, const sql_doc__path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Counts one key or element against max_nodes; false (and the
 * translation aborted, one problem at p) past it. */
bool sql_doc__count_node(sql_doc__ctx *x, const sql_doc__path *p);

/* A name from the document, quoted for a message and shortened to a
 * readable length ("\"abc\"", "\"aaaa...\""). In the arena. */
const char *sql_doc__quote(arena *a, const char *name);

/* "a string", "an array", "a number" (a real), ... for messages
 * (jsonkind_name, but a real is "a number"). Static. */
const char *sql_doc__json_type(const json_t *v);

/* The key and value (borrowed from o) of an object with exactly one
 * member; false, *key and *value untouched, for anything else. */
bool sql_doc__single_member(const json_t *o, const char **key /* OUT */,
                            const json_t **value /* OUT */);

/* "Columns: id, email. Relationships: orders." — the valid names of t,
 * for messages (relationships only when they would be valid). In the
 * arena. */
/* The column name names in t, unless it is write-only: the translator's
 * one lookup of a column a document reads, filters, sorts or groups by. */
const sql_column *sql_doc__column(const sql_table *t, const char *name);

const char *sql_doc__field_list(arena *a, const sql_table *t, bool relationships);

/* A fresh alias for an EXISTS subquery's table: "<name>_<n>", not the name
 * of any table and not the root's alias (so it never shadows an outer
 * FROM item), at most SQL_MAX_IDENT bytes. In the arena. */
const char *sql_doc__alias(sql_doc__ctx *x, const char *table);

/* An identifier-safe label: [A-Za-z_][A-Za-z0-9_]*, 1..SQL_MAX_IDENT bytes. */
bool sql_doc__label_ok(const char *s);

/* ---- values (sql_doc_values.c) -------------------------------------- */

enum {
    /* Also check what a stored value must satisfy beyond its type: the
     * length of strings and the choices. Comparisons other than equality
     * (lt, between, like) do not need it. */
    SQL_DOC__STRICT = 1u
};

/* Converts a JSON value (not null) for column c. NULL on success; else a
 * sentence saying what was expected (in a). */
const char *sql_doc__from_json(arena *a, const sql_column *c, const json_t *v, unsigned flags,
                               sql_value *out /* OUT */);
/* The same for text (GET parameters). */
const char *sql_doc__from_text(arena *a, const sql_column *c, const char *text, unsigned flags,
                               sql_value *out /* OUT */);

/* True for the types with an order that makes lt/between meaningful. */
bool sql_doc__orderable(sql_type_kind k);
/* True for string and text (like/ilike). */
bool sql_doc__is_string(sql_type_kind k);

/* ---- the where translator (sql_doc_where.c) ------------------------- */

/* Translates a where object at path p over from. *out: the condition, or
 * NULL for an empty object. False after problems. */
bool sql_doc__where(sql_doc__ctx *x, const sql_from *from, const json_t *where,
                    const sql_doc__path *p, sql_node **out /* OUT */);

/* ---- pieces of a query (sql_doc_query.c), shared with the GET form --- */

/* Validates a dotted loader path ("orders.user", "*", "orders.*") from
 * table t and appends the option to q. */
bool sql_doc__add_option(sql_doc__ctx *x, sql_doc_query *q, const sql_table *t, sql_doc_load kind,
                         const char *path, bool include, const sql_doc__path *p);
/* Resolves an order_by name for q (a column, or in an aggregate query a
 * group_by column or an aggregate label) and appends it. */
bool sql_doc__add_order(sql_doc__ctx *x, sql_doc_query *q, const char *name, bool desc,
                        sql_nulls nulls, const sql_doc__path *p);
/* Resolves a field name (column or relationship) and appends it. */
bool sql_doc__add_field(sql_doc__ctx *x, sql_doc_query *q, const char *name,
                        const sql_doc__path *p);
/* Checks a limit/offset value against the limits and stores it. */
bool sql_doc__set_paging(sql_doc__ctx *x, sql_doc_query *q, bool is_limit, int64_t v,
                         const sql_doc__path *p);
/* Empties q and sets its defaults (limit = default_limit). */
void sql_doc__query_init(sql_doc__ctx *x, sql_doc_query *q, const sql_from *from);
/* ANDs cond into q->where. */
bool sql_doc__and_where(sql_doc__ctx *x, sql_doc_query *q, sql_node *cond);

#endif
