/*
 * schema_int — what the files of src/schema share (prefix schema__).
 */
#ifndef RETORT_SCHEMA_INT_H
#define RETORT_SCHEMA_INT_H

#include <string.h>

#include "schema.h"
#include "strbuf.h"

#endif

const char *schema__singular(arena *a, const char *word);
const char *schema__model_name(arena *a, const char *table);
const char *schema__to_one_name(arena *a, const char *column, const char *ref_table);
const char *schema__unique_name(arena *a, const char *name, bool (*taken)(void *, const char *),
                                void *ctx);
