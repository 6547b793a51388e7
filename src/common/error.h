/*
 * error — the error record that carries a failure from where it happened
 * (the compiler, libpq, the pool, a validator) all the way to the
 * problem+json response.
 *
 * Convention: fallible functions return bool (or NULL) and take
 * `err_report *err` as their last parameter. The first error recorded
 * stays; later err_set() calls on a report that already holds an error are
 * ignored, so a cleanup path cannot overwrite the real cause.
 *
 * Strings in a report are either literals or live in the arena given to
 * err_init(); a report never owns heap memory.
 *
 * Validation and query-document errors collect several problems, each with
 * a JSON Pointer (RFC 6901) into the request body, in `items`.
 */
#ifndef RETORT_ERROR_H
#define RETORT_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef enum err_kind {
    ERR_NONE = 0,
    ERR_BAD_REQUEST,     /* malformed JSON, bad query document: 400 */
    ERR_VALIDATION,      /* body or value failed validation: 422 */
    ERR_NOT_FOUND,       /* unknown route, resource or id: 404 */
    ERR_METHOD,          /* wrong method: 405 */
    ERR_TOO_LARGE,       /* body over max_body_bytes: 413 */
    ERR_MEDIA_TYPE,      /* body is not JSON: 415 */
    ERR_NOT_ACCEPTABLE,  /* Accept excludes every representation: 406 */
    ERR_CONFLICT,        /* integrity violation: 409 */
    ERR_STALE,           /* version mismatch: 412 */
    ERR_SERIALIZATION,   /* 40001/40P01: retryable: 409 after retries */
    ERR_POOL_TIMEOUT,    /* no connection within pool_timeout: 503 */
    ERR_UNAVAILABLE,     /* queue full, database unreachable: 503 */
    ERR_TIMEOUT,         /* statement timeout: 504 */
    ERR_FORBIDDEN,       /* 403 */
    ERR_UNAUTHORIZED,    /* 401 */
    ERR_DB,              /* any other database error */
    ERR_CONFIG,          /* bad configuration (start-up only) */
    ERR_INTERNAL,        /* a bug: 500 */
    ERR_DRIFT            /* the models no longer match the catalog: 503 */
} err_kind;

/* One located problem: a JSON Pointer and a sentence. */
typedef struct err_item {
    const char *pointer; /* "" for the whole document; NULL when none */
    const char *detail;
} err_item;

enum { ERR_MAX_ITEMS = 64 };

typedef struct err_report {
    err_kind kind;
    char sqlstate[6];   /* "" unless PostgreSQL sent one */
    int status;         /* HTTP status */
    const char *type;   /* problem type slug, e.g. "unique-violation" */
    const char *title;  /* short, lower case, no final period */
    const char *detail; /* full sentences; may be NULL */
    const char *hint;
    const char *table, *column, *constraint; /* from PQresultErrorField */
    /* PostgreSQL's own message and hint: for the log only. They can quote
     * row contents (write-only columns included) and SQL, so they never
     * reach a response; detail then holds a sentence of ours. */
    const char *db_message, *db_hint;
    const char *file;   /* where it was recorded: for the log only */
    int line;
    int retry_after;    /* seconds, for 503 and 409 serialization; 0 = none */
    int operation;      /* index of the failing transaction op; -1 = none */
    size_t n_items;
    err_item items[ERR_MAX_ITEMS];
    size_t dropped_items; /* items beyond ERR_MAX_ITEMS */
    arena *arena;       /* where formatted strings go; may be NULL */
} err_report;

/* Prepares an empty report whose formatted strings live in a (a may be
 * NULL, then only literal strings are kept and details are dropped). */
void err_init(err_report *err, arena *a);

static inline bool err_is_set(const err_report *err)
{
    return err && err->kind != ERR_NONE;
}

/* Records an error unless one is already recorded. Status, type and title
 * default from the kind; detail is printf-formatted into the arena. */
void err_set_at(err_report *err, const char *file, int line, err_kind kind,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define err_set(err, kind, ...) err_set_at((err), __FILE__, __LINE__, (kind), __VA_ARGS__)

/* Adds a located problem (for 400/422 bodies). Sets the kind if none is
 * set yet; an existing kind is kept. */
void err_add_item(err_report *err, err_kind kind, const char *pointer,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records a database error by SQLSTATE: status and type come from
 * errcodes.def, the kind from the class, detail is a public sentence for
 * the type. message is PostgreSQL's text, kept in db_message for the log
 * only. */
void err_set_sqlstate(err_report *err, const char *sqlstate, const char *message);

/* prefix + "/" + token, the token escaped (RFC 6901: "~" as "~0", "/" as
 * "~1"): the pointer of a member of the value at prefix. Lives in a. */
const char *err_pointer_join(arena *a, const char *prefix, const char *token);

/* Maps a SQLSTATE to status and type slug (exact, then class, then 500). */
void err_lookup_sqlstate(const char *sqlstate, int *status /* OUT */,
                         const char **type /* OUT */);

/* Default HTTP status, type slug and title of a kind. */
int err_kind_status(err_kind kind);
const char *err_kind_type(err_kind kind);
const char *err_kind_title(err_kind kind);

/* Clears a report for reuse (e.g. between transaction replays). */
void err_clear(err_report *err);

/* Copies src into dst (strings are shared, not duplicated). */
void err_copy(err_report *dst, const err_report *src);

/* True for errors worth replaying the whole transaction for. */
bool err_is_retryable(const err_report *err);

#endif
