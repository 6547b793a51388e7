/*
 * cfg_json — the small tools every part of the loader uses: recording a
 * problem, building JSON pointers (err_pointer_join), refusing unknown
 * keys, and typed getters that report wrong types at the key's pointer
 * (JSON types named by common's jsonkind_name).
 */
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

#include "cfg_int.h"

void cfg__error(cfg__ctx *ctx, const char *pointer, const char *fmt, ...)
{
    ctx->n_errors++;
    /* A report without an arena keeps pointers as given: they must then
     * outlive this load, so they go to the caller's arena. */
    if (pointer && !ctx->err->arena)
        pointer = arena_strdup(ctx->outer, pointer);
    va_list ap;
    va_start(ap, fmt);
    const char *detail = arena_vsprintf(ctx->scratch, fmt, ap);
    va_end(ap);
    err_add_item(ctx->err, ERR_CONFIG, pointer, "%s", detail);
}

const char *cfg__ptr(cfg__ctx *ctx, const char *parent, const char *key)
{
    return err_pointer_join(ctx->scratch, parent, key);
}

const char *cfg__ptr_index(cfg__ctx *ctx, const char *parent, size_t index)
{
    return arena_sprintf(ctx->scratch, "%s/%zu", parent, index);
}

/* Optimal string alignment distance (a transposition costs 1), for
 * "did you mean" hints; names longer than CFG_MAX_IDENTIFIER are not worth it. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > CFG_MAX_IDENTIFIER || m > CFG_MAX_IDENTIFIER)
        return SIZE_MAX;
    size_t d[CFG_MAX_IDENTIFIER + 1][CFG_MAX_IDENTIFIER + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

/* The allowed key closest to key, if it is close enough to be a typo. */
static const char *closest(const char *key, const char *const *allowed)
{
    const char *best = NULL;
    size_t best_d = 3; /* at most two edits */
    for (const char *const *k = allowed; *k; k++) {
        size_t d = edit_distance(key, *k);
        if (d < best_d && d < strlen(key)) {
            best = *k;
            best_d = d;
        }
    }
    return best;
}

bool cfg__check_keys(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *const *allowed)
{
    bool ok = true;
    const char *key;
    json_t *value;
    /* json_object_foreach wants a non-const object; it does not modify it. */
    json_t *o = (json_t *) obj;
    json_object_foreach(o, key, value)
    {
        bool known = false;
        for (const char *const *k = allowed; *k; k++) {
            if (strcmp(*k, key) == 0) {
                known = true;
                break;
            }
        }
        if (!known) {
            const char *hint = closest(key, allowed);
            if (hint)
                cfg__error(ctx, cfg__ptr(ctx, ptr, key), "unknown key \"%s\"; did you mean \"%s\"?",
                           key, hint);
            else
                cfg__error(ctx, cfg__ptr(ctx, ptr, key), "unknown key \"%s\"", key);
            ok = false;
        }
    }
    return ok;
}

bool cfg__is_identifier(const char *s)
{
    if (!s || !*s)
        return false;
    if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        char c = *p;
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return n <= CFG_MAX_IDENTIFIER;
}

bool cfg__get_bool(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key, bool *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must be a boolean, got %s", key,
                   jsonkind_name(v));
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool cfg__get_int(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key, long long min,
                  long long max, int *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (!json_is_integer(v)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must be an integer, got %s", key,
                   jsonkind_name(v));
        return false;
    }
    long long n = json_integer_value(v);
    if (n < min || n > max) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must be between %lld and %lld, got %lld",
                   key, min, max, n);
        return false;
    }
    *out = (int) n;
    return true;
}

bool cfg__get_string(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                     const char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (!json_is_string(v)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must be a string, got %s", key,
                   jsonkind_name(v));
        return false;
    }
    if (json_string_length(v) == 0) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must not be empty", key);
        return false;
    }
    *out = arena_strdup(ctx->a, json_string_value(v));
    return true;
}

bool cfg__get_identifier(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                         const char **out)
{
    const char *s = NULL;
    if (!cfg__get_string(ctx, obj, ptr, key, &s))
        return false;
    if (!s)
        return true;
    if (!cfg__is_identifier(s)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key),
                   "\"%s\" is not a valid name: use letters, digits and underscores, "
                   "not starting with a digit, at most %d characters",
                   s, CFG_MAX_IDENTIFIER);
        return false;
    }
    *out = s;
    return true;
}
