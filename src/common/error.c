#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

typedef struct kind_info {
    int status;
    const char *type;
    const char *title;
} kind_info;

static const kind_info KINDS[] = {
    [ERR_NONE] = {200, "about:blank", "ok"},
    [ERR_BAD_REQUEST] = {400, "bad-request", "bad request"},
    [ERR_VALIDATION] = {422, "validation-error", "validation failed"},
    [ERR_NOT_FOUND] = {404, "not-found", "not found"},
    [ERR_METHOD] = {405, "method-not-allowed", "method not allowed"},
    [ERR_TOO_LARGE] = {413, "payload-too-large", "request body too large"},
    [ERR_MEDIA_TYPE] = {415, "unsupported-media-type", "request body is not JSON"},
    [ERR_NOT_ACCEPTABLE] = {406, "not-acceptable", "no acceptable representation"},
    [ERR_CONFLICT] = {409, "conflict", "conflict"},
    [ERR_STALE] = {412, "precondition-failed", "version does not match"},
    [ERR_SERIALIZATION] = {409, "serialization-failure", "transaction could not be serialized"},
    [ERR_POOL_TIMEOUT] = {503, "pool-timeout", "no database connection available"},
    [ERR_UNAVAILABLE] = {503, "service-unavailable", "service unavailable"},
    [ERR_DRIFT] = {503, "schema-drift", "the models no longer match the database"},
    [ERR_TIMEOUT] = {504, "statement-timeout", "statement timed out"},
    [ERR_FORBIDDEN] = {403, "forbidden", "permission denied"},
    [ERR_UNAUTHORIZED] = {401, "unauthorized", "authentication required"},
    [ERR_DB] = {500, "database-error", "database error"},
    [ERR_CONFIG] = {500, "configuration-error", "invalid configuration"},
    [ERR_INTERNAL] = {500, "internal-error", "internal server error"},
};

typedef struct sqlstate_map {
    const char *code;
    int status;
    const char *type;
} sqlstate_map;

static const sqlstate_map SQLSTATES[] = {
#define ERRMAP(code, status, type) {code, status, type},
#include "errcodes.def"
#undef ERRMAP
};

int err_kind_status(err_kind kind)
{
    return KINDS[kind].status;
}

const char *err_kind_type(err_kind kind)
{
    return KINDS[kind].type;
}

const char *err_kind_title(err_kind kind)
{
    return KINDS[kind].title;
}

void err_init(err_report *err, arena *a)
{
    memset(err, 0, sizeof *err);
    err->operation = -1;
    err->arena = a;
}

void err_clear(err_report *err)
{
    err_init(err, err->arena);
}

void err_copy(err_report *dst, const err_report *src)
{
    arena *keep = dst->arena;
    *dst = *src;
    if (!dst->arena)
        dst->arena = keep;
}

static const char *format(err_report *err, const char *fmt, va_list ap)
{
    if (!fmt)
        return NULL;
    if (!err->arena)
        return strchr(fmt, '%') ? NULL : fmt;
    return arena_vsprintf(err->arena, fmt, ap);
}

static void set_kind(err_report *err, err_kind kind)
{
    err->kind = kind;
    err->status = KINDS[kind].status;
    err->type = KINDS[kind].type;
    err->title = KINDS[kind].title;
    if (kind == ERR_POOL_TIMEOUT || kind == ERR_UNAVAILABLE || kind == ERR_DRIFT)
        err->retry_after = 1;
}

void err_set_at(err_report *err, const char *file, int line, err_kind kind,
                const char *fmt, ...)
{
    if (!err || err->kind != ERR_NONE)
        return;
    set_kind(err, kind);
    err->file = file;
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    err->detail = format(err, fmt, ap);
    va_end(ap);
}

void err_add_item(err_report *err, err_kind kind, const char *pointer,
                  const char *fmt, ...)
{
    if (!err)
        return;
    if (err->kind == ERR_NONE)
        set_kind(err, kind);
    if (err->n_items >= ERR_MAX_ITEMS) {
        err->dropped_items++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    err_item *it = &err->items[err->n_items++];
    it->pointer = pointer && err->arena ? arena_strdup(err->arena, pointer) : pointer;
    it->detail = format(err, fmt, ap);
    va_end(ap);
}

const char *err_pointer_join(arena *a, const char *prefix, const char *token)
{
    sbuf s;
    sbuf_init(&s, a, strlen(prefix) + strlen(token) + 8);
    sbuf_append(&s, prefix);
    sbuf_append_char(&s, '/');
    sbuf_append_pointer_token(&s, token);
    return sbuf_str(&s);
}

void err_lookup_sqlstate(const char *sqlstate, int *status, const char **type)
{
    *status = 500;
    *type = "database-error";
    if (!sqlstate || strlen(sqlstate) != 5)
        return;
    for (size_t i = 0; i < sizeof SQLSTATES / sizeof SQLSTATES[0]; i++) {
        const sqlstate_map *m = &SQLSTATES[i];
        if (strlen(m->code) == 5 && strcmp(m->code, sqlstate) == 0) {
            *status = m->status;
            *type = m->type;
            return;
        }
    }
    for (size_t i = 0; i < sizeof SQLSTATES / sizeof SQLSTATES[0]; i++) {
        const sqlstate_map *m = &SQLSTATES[i];
        if (strlen(m->code) == 2 && strncmp(m->code, sqlstate, 2) == 0) {
            *status = m->status;
            *type = m->type;
            return;
        }
    }
}

static err_kind kind_of_sqlstate(const char *s)
{
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return ERR_SERIALIZATION;
    if (strcmp(s, "57014") == 0)
        return ERR_TIMEOUT;
    if (strncmp(s, "08", 2) == 0 || strncmp(s, "57P", 3) == 0 || strncmp(s, "53", 2) == 0)
        return ERR_UNAVAILABLE;
    if (strcmp(s, "42501") == 0)
        return ERR_FORBIDDEN;
    if (strncmp(s, "23", 2) == 0) {
        if (strcmp(s, "23502") == 0 || strcmp(s, "23514") == 0)
            return ERR_VALIDATION;
        return ERR_CONFLICT;
    }
    if (strncmp(s, "22", 2) == 0) {
        int status;
        const char *type;
        err_lookup_sqlstate(s, &status, &type);
        return status == 422 ? ERR_VALIDATION : ERR_BAD_REQUEST;
    }
    return ERR_DB;
}

static const char *title_of_type(const char *type)
{
    if (strcmp(type, "unique-violation") == 0)
        return "unique constraint violated";
    if (strcmp(type, "foreign-key-violation") == 0)
        return "foreign key constraint violated";
    if (strcmp(type, "not-null-violation") == 0)
        return "required value missing";
    if (strcmp(type, "check-violation") == 0)
        return "check constraint violated";
    if (strcmp(type, "serialization-failure") == 0 || strcmp(type, "deadlock-detected") == 0)
        return "transaction could not be serialized";
    if (strcmp(type, "query-canceled") == 0)
        return "statement timed out";
    if (strcmp(type, "database-unavailable") == 0 || strcmp(type, "too-many-connections") == 0 ||
        strcmp(type, "insufficient-resources") == 0)
        return "database unavailable";
    if (strcmp(type, "read-only-transaction") == 0)
        return "database is read-only";
    if (strcmp(type, "insufficient-privilege") == 0)
        return "permission denied";
    if (strcmp(type, "invalid-data") == 0 || strncmp(type, "invalid-", 8) == 0 ||
        strcmp(type, "string-too-long") == 0 || strcmp(type, "numeric-out-of-range") == 0 ||
        strcmp(type, "datetime-out-of-range") == 0)
        return "invalid value";
    return "database error";
}

static const char *public_detail(const char *type)
{
    static const struct {
        const char *type, *detail;
    } DETAILS[] = {
        {"unique-violation", "A value that must be unique is already taken."},
        {"foreign-key-violation",
         "A referenced row does not exist, or this row is still referenced."},
        {"not-null-violation", "A required value is missing."},
        {"check-violation", "A value violates a check constraint."},
        {"exclusion-violation", "The row conflicts with an existing one."},
        {"integrity-violation", "The change violates an integrity constraint."},
        {"serialization-failure",
         "The transaction conflicted with a concurrent one; it may be retried."},
        {"deadlock-detected",
         "The transaction deadlocked with a concurrent one; it may be retried."},
        {"query-canceled", "A statement took longer than the statement timeout."},
        {"database-unavailable", "The database cannot be reached right now; retry shortly."},
        {"too-many-connections", "The database has no free connection slot; retry shortly."},
        {"insufficient-resources", "The database is short of resources; retry shortly."},
        {"read-only-transaction",
         "The database accepts no writes right now (read-only); retry shortly."},
        {"insufficient-privilege", "The database refused the operation."},
        {"string-too-long", "A value is longer than its column allows."},
        {"numeric-out-of-range", "A number is out of range for its column."},
        {"invalid-text-representation", "A value has the wrong format for its column."},
        {"invalid-datetime-format", "A date or time has the wrong format."},
        {"datetime-out-of-range", "A date or time is out of range."},
        {"invalid-data", "A value is not valid for its column."},
    };
    for (size_t i = 0; i < sizeof DETAILS / sizeof DETAILS[0]; i++)
        if (strcmp(DETAILS[i].type, type) == 0)
            return DETAILS[i].detail;
    return NULL;
}

void err_set_sqlstate(err_report *err, const char *sqlstate, const char *message)
{
    if (!err || err->kind != ERR_NONE)
        return;
    const char *code = sqlstate && strlen(sqlstate) == 5 ? sqlstate : "XX000";
    set_kind(err, kind_of_sqlstate(code));
    memcpy(err->sqlstate, code, 6);
    err_lookup_sqlstate(code, &err->status, &err->type);
    err->title = title_of_type(err->type);
    if (err->status == 503)
        err->retry_after = 1;
    err->detail = public_detail(err->type);
    if (message)
        err->db_message = err->arena ? arena_strdup(err->arena, message) : NULL;
}

bool err_is_retryable(const err_report *err)
{
    return err && err->kind == ERR_SERIALIZATION;
}
