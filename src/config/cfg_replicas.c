/*
 * cfg_replicas — "database.replicas": the URLs of read replicas (SPEC.md
 * §5), an array of non-empty strings; RETORT_DATABASE_REPLICAS (URLs
 * separated by commas, "" for none) beats the file. An array is not a
 * scalar setting, so it is not a row of cfg_settings.c.
 */
#include <string.h>

#include "cfg_int.h"

enum { MAX_REPLICAS = 16 };

static void set_replicas(cfg__ctx *ctx, const char **urls, size_t n)
{
    const char **copy = ARENA_ARRAY(ctx->a, const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        copy[i] = arena_strdup(ctx->a, urls[i]);
    ctx->cfg->database.replicas = n ? copy : NULL;
    ctx->cfg->database.n_replicas = n;
}

void cfg__parse_replicas(cfg__ctx *ctx, const json_t *database)
{
    const json_t *arr = json_is_object(database) ? json_object_get(database, "replicas") : NULL;
    const char *ptr = "/database/replicas";
    if (arr && !json_is_array(arr)) {
        cfg__error(ctx, ptr, "\"replicas\" must be an array of database URLs, got %s",
                   jsonkind_name(arr));
    } else if (arr) {
        size_t n = json_array_size(arr);
        const char *urls[MAX_REPLICAS];
        bool ok = true;
        if (n > MAX_REPLICAS) {
            cfg__error(ctx, ptr, "at most %d replicas, got %zu", MAX_REPLICAS, n);
            ok = false;
        }
        for (size_t i = 0; i < n && i < MAX_REPLICAS; i++) {
            const json_t *u = json_array_get(arr, i);
            if (!json_is_string(u) || !*json_string_value(u)) {
                cfg__error(ctx, cfg__ptr_index(ctx, ptr, i),
                           "a replica must be a non-empty URL string, got %s",
                           json_is_string(u) ? "an empty string" : jsonkind_name(u));
                ok = false;
                continue;
            }
            urls[i] = json_string_value(u);
        }
        if (ok)
            set_replicas(ctx, urls, n);
    }

    const char *env = cfg_env_get(ctx->envp, "RETORT_DATABASE_REPLICAS");
    if (!env)
        return;
    const char *urls[MAX_REPLICAS];
    size_t n = 0;
    char *list = arena_strdup(ctx->scratch, env);
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (n == MAX_REPLICAS) {
            cfg__error(ctx, ptr, "environment variable RETORT_DATABASE_REPLICAS: at most %d "
                       "replicas", MAX_REPLICAS);
            return;
        }
        urls[n++] = tok;
    }
    set_replicas(ctx, urls, n);
}
