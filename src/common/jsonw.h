/*
 * jsonw — the one JSON output path: begin object / key / value … calls
 * that either append compact JSON text to an sbuf (replies) or build a
 * jansson tree (results a later step must read, such as a transaction's
 * $ref targets). A traversal written once against jsonw serves both, and
 * both agree: text mode writes byte for byte what json_dumps(tree,
 * JSON_COMPACT | JSON_ENCODE_ANY) of jansson 2.14 gives for the tree mode
 * builds (member order as written; strings escaped ", \ and control
 * characters, \b \f \n \r \t short, others \u00XX; '/' and non-ASCII as
 * is; reals "%.17g" with ".0" when needed).
 *
 * A string that is not valid UTF-8 (or a member name that is not) is no
 * JSON at all: the value and its member name are dropped, as
 * json_object_set_new(o, k, json_string(bad)) drops them.
 *
 * Memory: text in the sbuf's arena. In tree mode the root is owned by
 * the arena given to jsonw_init_tree (decref'd when it dies; jsonw_root
 * borrows it), or with a NULL arena it is a new reference the caller
 * takes with jsonw_root; the stack of open containers is freed when the
 * root closes. Member names of containers must be valid UTF-8. Not
 * thread-safe: one writer, one thread.
 */
#ifndef RETORT_JSONW_H
#define RETORT_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "strbuf.h"

typedef struct jsonw {
    sbuf *out;       /* text mode when set */
    const char *key; /* member name of the next value; NULL in arrays */
    /* tree mode: the open containers (heap, innermost last), the root and
     * its owner (NULL: the caller) */
    arena *a;
    json_t **stack;
    size_t depth, cap;
    json_t *root;
} jsonw;

/* Text mode: values are appended to out, which should be empty (a value
 * is separated by ',' from what out ends with unless that is '{', '[',
 * ':' or ','). */
void jsonw_init_text(jsonw *w, sbuf *out);
/* Tree mode: the first value written becomes the root, owned by a (NULL:
 * by the caller). Write whole values: the stack lives until the root
 * closes. */
void jsonw_init_tree(jsonw *w, arena *a);
/* The tree's root (borrowed when an arena owns it, else a new reference);
 * NULL before any value (or when the value was refused). */
json_t *jsonw_root(const jsonw *w);

/* The member name of the next value inside an object (borrowed until
 * that value is written). */
void jsonw_key(jsonw *w, const char *key);
void jsonw_object_begin(jsonw *w);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w);
void jsonw_array_end(jsonw *w);
/* False (nothing written) for text that is not valid UTF-8. */
bool jsonw_string(jsonw *w, const char *s);
bool jsonw_stringn(jsonw *w, const char *s, size_t n);
void jsonw_integer(jsonw *w, long long v);
/* A finite double (callers write NaN and infinities as strings). */
void jsonw_real(jsonw *w, double v);
void jsonw_bool(jsonw *w, bool v);
void jsonw_null(jsonw *w);
/* A jansson value, borrowed (text mode walks it; tree mode shares it). */
void jsonw_json(jsonw *w, const json_t *v);

/* Gives the reference to v to arena a (json_decref when a dies) and
 * returns v, borrowed from then on. */
json_t *jsonw_arena_new(arena *a, json_t *v);

#endif
