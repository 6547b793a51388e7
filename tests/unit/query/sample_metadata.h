/*
 * sample_metadata — the schema the query-document tests and the fuzzer
 * translate against: SPEC.md §1's users/orders, a many-to-many
 * books/genres pair through book_genres, an accounts table with a bigint
 * identity key, a numeric(12,2) balance and a column of every other type,
 * and a table whose names need quoting (we"ird). No cmocka here, so the
 * libFuzzer harness links it too.
 */
#ifndef RETORT_SAMPLE_METADATA_H
#define RETORT_SAMPLE_METADATA_H

#include "arena.h"
#include "error.h"
#include "sql.h"

/* The frozen sample metadata, living in a; NULL (problems in err) if a
 * declaration fails, which would be a bug in this file or in sql_meta. */
sql_metadata *sample_metadata(arena *a, err_report *err);

#endif
