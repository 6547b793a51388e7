/*
 * fuzz_query — libFuzzer harness for the query-document translator and the
 * compiler (STYLE.md §8). Each input is parsed as JSON and, against every
 * table of the sample schema, translated as
 *   - a query document (query_parse), then built and compiled
 *     (SELECT, and the count SELECT when asked);
 *   - a where document alone (query_where), compiled as an expression;
 *   - GET parameters: the object's string members as name=value pairs
 *     (query_parse_params).
 * A fresh arena per input; everything is destroyed before returning.
 *
 * Invariants (abort on violation, which libFuzzer reports as a crash):
 *   - a translation succeeds exactly when it records no problem; a failure
 *     is a 400 or a 422 whose every item has a JSON Pointer;
 *   - what translated also builds and compiles;
 *   - every compiled statement passes doc_check_invariants: depth <=
 *     SQL_MAX_DEPTH, placeholders $1..$n dense with n == parameters <=
 *     SQL_MAX_PARAMS, and SQL text made only of SQL words, placeholders
 *     and identifiers that are metadata names or plain identifiers (so no
 *     raw input string can reach the text).
 *
 * The same file runs under gcc as fuzz_query_replay (replay_main.c), which
 * feeds it the checked-in corpus as a unit test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_invariants.h"
#include "sample_metadata.h"
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static arena *md_arena;
static sql_metadata *md;
static int verbose = -1; /* FUZZ_QUERY_VERBOSE=1: one line per translation */

static void note(const char *mode, const sql_table *t, bool ok, const err_report *err)
{
    if (verbose < 0)
        verbose = getenv("FUZZ_QUERY_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "  %-6s %-12s %s%s\n", mode, t->name, ok ? "compiled" : "rejected: ",
                ok ? "" : (err->n_items && err->items[0].pointer ? err->items[0].pointer : "?"));
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_query: invariant broken: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

static const sql_metadata *metadata(void)
{
    if (!md) {
        md_arena = arena_create(NULL, "fuzz-metadata");
        err_report err;
        err_init(&err, md_arena);
        md = sample_metadata(md_arena, &err);
        if (!md)
            die("the sample metadata does not build", NULL);
    }
    return md;
}

/* After a translation: ok must agree with the report, a failure must be a
 * located 400/422. */
static void check_outcome(bool ok, const err_report *err, const sql_builder *b)
{
    if (ok != !err_is_set(err))
        die("the result disagrees with the error report", NULL);
    if (ok != !sql_builder_failed(b))
        die("the result disagrees with sql_builder_failed", NULL);
    if (ok)
        return;
    if (err->status != 400 && err->status != 422)
        die("a rejected document is not a 400 or a 422",
            err->n_items && err->items[0].detail ? err->items[0].detail : NULL);
    if (err->n_items == 0)
        die("a rejected document has no problem item", NULL);
    for (size_t i = 0; i < err->n_items; i++) {
        const char *p = err->items[i].pointer;
        if (!p || (*p && *p != '/'))
            die("a problem without a JSON Pointer", err->items[i].detail);
    }
}

static void compile_checked(const sql_node *stmt, arena *a, err_report *err)
{
    if (!stmt)
        die("a translated query did not build", err->n_items ? err->items[0].detail : NULL);
    sql_compiled c;
    if (!sql_compile(stmt, a, &c, err))
        die("a translated query did not compile", err->n_items ? err->items[0].detail : NULL);
    const char *why = doc_check_invariants(stmt, &c, md, a);
    if (why)
        die(why, c.sql);
}

static void run_query(const sql_table *t, const json_t *doc, arena *parent)
{
    arena *a = arena_create(parent, "fuzz-query");
    err_report err;
    err_init(&err, a);
    sql_builder *b = sql_builder_new(a, &err);
    sql_from *from = sql_from_table(b, t, NULL);
    query_doc q;
    bool ok = query_parse(b, from, doc, NULL, &q, &err);
    check_outcome(ok, &err, b);
    note("query", t, ok, &err);
    if (ok) {
        compile_checked(SQL_NODE(query_select(b, from, &q, &err)), a, &err);
        if (q.count)
            compile_checked(SQL_NODE(query_count_select(b, from, &q, &err)), a, &err);
    }
    arena_destroy(a);
}

static void run_where(const sql_table *t, const json_t *doc, arena *parent)
{
    arena *a = arena_create(parent, "fuzz-where");
    err_report err;
    err_init(&err, a);
    sql_builder *b = sql_builder_new(a, &err);
    sql_from *from = sql_from_table(b, t, NULL);
    sql_node *cond = query_where(b, from, doc, "/where", NULL, &err);
    check_outcome(!err_is_set(&err), &err, b);
    note("where", t, !err_is_set(&err), &err);
    if (cond) {
        /* as a bulk update's condition: a whole statement */
        sql_delete *d = sql_delete_new(b, from);
        if (!sql_delete_where(b, d, cond))
            die("a translated where does not fit a DELETE", NULL);
        compile_checked(SQL_NODE(d), a, &err);
    } else if (!err_is_set(&err) && json_is_object(doc) && json_object_size(doc) != 0) {
        die("a non-empty where gave no condition and no problem", NULL);
    }
    arena_destroy(a);
}

static void run_params(const sql_table *t, const json_t *doc, arena *parent)
{
    if (!json_is_object(doc))
        return;
    arena *a = arena_create(parent, "fuzz-params");
    size_t n = json_object_size(doc), k = 0;
    const char **names = arena_alloc_array(a, sizeof *names, n + 1);
    const char **values = arena_alloc_array(a, sizeof *values, n + 1);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) doc, key, v)
    {
        if (json_is_string(v)) {
            names[k] = key;
            values[k++] = json_string_value(v);
        }
    }
    err_report err;
    err_init(&err, a);
    sql_builder *b = sql_builder_new(a, &err);
    sql_from *from = sql_from_table(b, t, NULL);
    query_doc q;
    bool ok = query_parse_params(b, from, names, values, k, NULL, &q, &err);
    check_outcome(ok, &err, b);
    note("params", t, ok, &err);
    if (ok) {
        compile_checked(SQL_NODE(query_select(b, from, &q, &err)), a, &err);
        if (q.count)
            compile_checked(SQL_NODE(query_count_select(b, from, &q, &err)), a, &err);
    }
    arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const sql_metadata *m = metadata();
    json_error_t jerr;
    json_t *doc = json_loadb((const char *) data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc)
        return 0;
    arena *a = arena_create(NULL, "fuzz-input");
    for (size_t i = 0; i < m->n_tables; i++) {
        run_query(m->tables[i], doc, a);
        run_where(m->tables[i], doc, a);
        run_params(m->tables[i], doc, a);
    }
    arena_destroy(a);
    json_decref(doc);
    return 0;
}
