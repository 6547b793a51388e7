/*
 * cfg_int — what the files of src/config share privately. Nothing here is
 * part of the public API (cfg.h); every name carries the cfg__ prefix.
 *
 * A load runs in one cfg__ctx: the arena the config lives in, a scratch
 * arena for JSON pointers (destroyed when the load ends), the report that
 * collects every problem, and per-model bookkeeping used to avoid
 * reporting follow-on errors about things that were already reported
 * (a column with an unknown type is not also "incompatible" with the
 * column it references).
 *
 * Not thread-safe: one load, one thread, one context.
 */
#ifndef RETORT_CFG_INT_H
#define RETORT_CFG_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "jsonkind.h"

/* Per-model state during a load, parallel to cfg->models. */
typedef struct cfg__model_state {
    bool broken;   /* the model's own spec is unusable: skip checks into it */
    bool *col_bad; /* [n_columns]: column spec had an error */
    bool *rel_bad; /* [n_relationships]: relationship spec had an error */
} cfg__model_state;

typedef struct cfg__ctx {
    arena *a;       /* the config lives here (a child of the caller's) */
    arena *outer;   /* the caller's arena */
    arena *scratch; /* pointers and temporaries; dies with the load */
    err_report *err;
    size_t n_errors; /* problems this load recorded */
    cfg_config *cfg;
    cfg__model_state *ms; /* [cfg->n_models] */
    bool *setting_bad;    /* per row of cfg_settings.c: a value was refused */
    char *const *envp;    /* NULL-terminated "K=V"; never NULL here */
} cfg__ctx;

/* ---- errors and pointers (cfg_json.c) -------------------------------- */

/* Records one problem at pointer (NULL = none, "" = whole document). */
void cfg__error(cfg__ctx *ctx, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* parent + "/" + key with RFC 6901 escaping (err_pointer_join); scratch. */
const char *cfg__ptr(cfg__ctx *ctx, const char *parent, const char *key);
/* parent + "/" + index; scratch. */
const char *cfg__ptr_index(cfg__ctx *ctx, const char *parent, size_t index);

/* Reports every key of obj not in allowed (NULL-terminated); false if any. */
bool cfg__check_keys(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *const *allowed);

/* [A-Za-z_][A-Za-z0-9_]*, at most CFG_MAX_IDENTIFIER bytes. */
bool cfg__is_identifier(const char *s);

/* Typed getters for an optional member of obj. Absent: returns true and
 * leaves *out alone. Wrong type or bad value: records a problem at
 * ptr/key and returns false. Strings are copied into ctx->a. */
bool cfg__get_bool(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                   bool *out /* OUT */);
bool cfg__get_int(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key, long long min,
                  long long max, int *out /* OUT */);
bool cfg__get_string(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                     const char **out /* OUT */);
/* A string that must be an identifier (see cfg__is_identifier). */
bool cfg__get_identifier(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                         const char **out /* OUT */);

/* ---- scalar settings (cfg_settings.c) -------------------------------- */

/* Reads the "database", "server", "session" sections and "reflect". */
void cfg__parse_settings(cfg__ctx *ctx, const json_t *root);
/* Applies RETORT_<SECTION>_<KEY> and the shortcuts from ctx->envp. */
void cfg__apply_env(cfg__ctx *ctx);
/* Checks that involve more than one setting (default_limit <= max_limit). */
void cfg__check_settings(cfg__ctx *ctx);
/* "database.replicas" and RETORT_DATABASE_REPLICAS (cfg_replicas.c);
 * database is the file's "database" object or NULL. */
void cfg__parse_replicas(cfg__ctx *ctx, const json_t *database);

/* ---- models (cfg_models.c, cfg_resolve.c) ----------------------------- */

/* Parses "models": each model on its own, no cross-references yet. */
void cfg__parse_models(cfg__ctx *ctx, const json_t *models, const char *ptr);
/* Cross-model checks: unique tables, references, relationship targets,
 * foreign keys, secondaries, order_by, back_populates. */
void cfg__resolve_models(cfg__ctx *ctx);

/* Pointer of model m ("/models/User"), its column i, its relationship i. */
const char *cfg__model_ptr(cfg__ctx *ctx, const cfg_model *m);
const char *cfg__column_ptr(cfg__ctx *ctx, const cfg_model *m, const cfg_column *c);
const char *cfg__rel_ptr(cfg__ctx *ctx, const cfg_model *m, const cfg_relationship *r);

/* ---- named queries (cfg_queries.c) ------------------------------------ */

/* Parses "queries": names, SQL text, parameter and column types. Whether
 * the SQL's :names match the parameters is checked where SQL is parsed
 * (the ORM registry, at start-up). */
void cfg__parse_queries(cfg__ctx *ctx, const json_t *queries, const char *ptr);

/* ---- security (cfg_auth.c) ------------------------------------------ */

/* Reads the "auth" section. */
void cfg__parse_auth(cfg__ctx *ctx, const json_t *root);
/* Reads "server.cors" (cors is the value, ptr its pointer). */
void cfg__parse_cors(cfg__ctx *ctx, const json_t *cors, const char *ptr);
/* Reads a model's "permissions" (spec is the model, ptr its pointer). */
void cfg__parse_permissions(cfg__ctx *ctx, cfg_model *m, const json_t *spec, const char *ptr);
/* Checks once everything is read: permissions need an auth section. */
void cfg__check_auth(cfg__ctx *ctx);

/* ---- values (cfg_values.c) -------------------------------------------- */

/* Checks a column's "default" against its type, nullability, length and
 * choices; on success stores it as JSON text in c->default_json. */
bool cfg__set_default(cfg__ctx *ctx, cfg_column *c, const json_t *v, const char *ptr);

/* ---- names (cfg_names.c) ---------------------------------------------- */

bool cfg__type_from_name(const char *s, cfg_type *out /* OUT */);
bool cfg__rel_kind_from_name(const char *s, cfg_rel_kind *out /* OUT */);
/* "integer, bigint, ..." for messages. */
const char *cfg__type_list(void);
const char *cfg__lazy_list(void);
const char *cfg__rel_kind_list(void);

#endif
