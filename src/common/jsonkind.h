/*
 * jsonkind — the JSON type of a value as a noun phrase for messages ("an
 * object", "a string", "null"), so the configuration loader, the query
 * translator and body validation say "..., got an array" the same way.
 *
 * The only part of common that knows jansson (see README.md). Results are
 * string literals; thread-safe.
 */
#ifndef RETORT_JSONKIND_H
#define RETORT_JSONKIND_H

#include <jansson.h>

/* "an object", "an array", "a string", "an integer", "a real number",
 * "a boolean" or "null". v must not be NULL. */
const char *jsonkind_name(const json_t *v);
/* The same, except that a real is "a number" (the wording of query
 * documents and column values). */
const char *jsonkind_noun(const json_t *v);

#endif
