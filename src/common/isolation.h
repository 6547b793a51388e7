/*
 * isolation — transaction isolation levels, parsed in one place for the
 * configuration, transaction documents and the engine's BEGIN (which
 * splices the level into SQL, so only these spellings ever reach it).
 * Results are string literals; thread-safe.
 */
#ifndef RETORT_ISOLATION_H
#define RETORT_ISOLATION_H

#include <stddef.h>

/* The levels the API documents, in their canonical SQL spelling:
 * "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE". */
extern const char *const ISOLATION_LEVELS[];
extern const size_t ISOLATION_N_LEVELS;

/* The canonical spelling of text: one of ISOLATION_LEVELS or "READ
 * UNCOMMITTED" (PostgreSQL runs it as READ COMMITTED), in any case, '_'
 * for ' ' (as SQLAlchemy allows). NULL when text is none of them. */
const char *isolation_level_parse(const char *text);

#endif
