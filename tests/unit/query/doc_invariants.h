/*
 * doc_invariants — what must hold for every statement the query-document
 * translator produces, whatever the input: checked on each golden case
 * and on each fuzz input. No cmocka here (the fuzzer links it).
 *
 *   - the tree is at most SQL_MAX_DEPTH deep (its height and a full walk);
 *   - placeholders are exactly $1..$n, n == the compiled parameter count
 *     == the parameter nodes the walker meets, n <= SQL_MAX_PARAMS;
 *   - the SQL text is made only of SQL's own words and punctuation, the
 *     placeholders, and double-quoted identifiers that are metadata names
 *     or plain identifiers ([A-Za-z_][A-Za-z0-9_]*: generated aliases,
 *     validated labels) — so no value and no unchecked name from the
 *     request can be in the text.
 */
#ifndef RETORT_DOC_INVARIANTS_H
#define RETORT_DOC_INVARIANTS_H

#include <stdbool.h>

#include "sql.h"

/* NULL when every invariant holds; else what failed (static or in a). */
const char *doc_check_invariants(const sql_node *stmt, const sql_compiled *c,
                                 const sql_metadata *md, arena *a);

#endif
