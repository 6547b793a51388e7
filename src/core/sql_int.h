/*
 * sql_int — what the files of src/core share and nobody else sees.
 * Prefix sql__. Everything allocated here lives in the arena passed.
 */
#ifndef RETORT_SQL_INT_H
#define RETORT_SQL_INT_H

#include <stdarg.h>

#include "sql.h"
#include "strbuf.h"

/* ---- builder state (sql_build.c) ------------------------------------- */

struct sql_builder {
    arena *arena;
    err_report *err;
    size_t n_params;
    size_t n_problems;         /* problems this builder recorded */
    bool param_limit_reported; /* report each limit once, not per node */
    bool depth_limit_reported;
    const char *pointer; /* JSON Pointer for problems; may be NULL */
};

/* Records a problem (sql_builder_problem: the builder's pointer, counted). */
#define sql__problem sql_builder_problem

/* NULL-operand rule: true when x is usable. A NULL after an earlier
 * problem is quiet; a NULL without one is recorded as misuse. */
bool sql__operand(sql_builder *b, const void *x, const char *what);

/* Like sql__operand, and x must be an expression (not a statement or a
 * FROM item), since it is going to be an operand. */
bool sql__expr_operand(sql_builder *b, const void *x, const char *what);

/* Checks a new node's height against SQL_MAX_DEPTH (records a problem). */
bool sql__height_ok(sql_builder *b, int height);

/* Counts one more parameter against SQL_MAX_PARAMS. */
bool sql__count_param(sql_builder *b);

/* Allocates a node of kind k and size sz with height 1. */
void *sql__node_new(sql_builder *b, size_t sz, sql_node_kind k);
#define SQL__NEW(b, T) ((T *) sql__node_new((b), sizeof(T), SQL_KIND_OF(T)))

/* Height of a node (0 for NULL). */
static inline int sql__height(const void *n)
{
    return n ? ((const sql_node *) n)->height : 0;
}

/* Core's append-only arrays (metadata, statements): arena_grow. */
#define SQL__PUSH ARENA_PUSH

/* A name usable as an identifier: 1..SQL_MAX_IDENT bytes. */
bool sql__ident_ok(const char *name);

/* ---- values (sql_value.c) ------------------------------------------- */

/* Appends the text form of a double (shortest round-trip). */
void sql__append_double(sbuf *s, double f);

/* Text value of a parameter node (array literal for IN lists). */
const char *sql__param_text(arena *a, const sql_param *p);


/* ---- names (sql_meta.c) ---------------------------------------------- */

/* PostgreSQL-style generated names: "<table>_<col>_<col>_<suffix>",
 * truncated to SQL_MAX_IDENT bytes on a UTF-8 boundary. */
const char *sql__make_name(arena *a, const char *table, const sql_column *const *cols, size_t n,
                           const char *suffix);

/* ---- compiler helpers (sql_compile.c, sql_text.c) ------------------------ */

/* Operator precedence used to decide parentheses (higher binds tighter). */
int sql__prec(const sql_node *n);

const char *sql__op_sql(sql_op op);
const char *sql__func_sql(sql_func_kind fn);

/* The output column of a derived table: the item labelled name, or an
 * unlabelled column reference of that name. NULL when none. */
const sql_node *sql__subquery_item(const sql_select *s, const char *name);

/* 64-bit FNV-1a. */
uint64_t sql__fnv1a(const void *data, size_t len);

#endif
