/*
 * auth — the verifier's life and the authentication of one request: which
 * credential was sent (a bearer JWT, a bearer API key, an X-API-Key
 * header, nothing) and the role it stands for.
 *
 * API keys are compared by their SHA-256 digest with CRYPTO_memcmp over
 * every configured key, so neither the match nor its position shows in
 * the time taken.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth_int.h"

enum { MAX_ROLE = 63 };

void auth__unauthorized(err_report *err, const char *detail)
{
    err_set(err, ERR_UNAUTHORIZED, "%s", detail);
}

auth_verifier *auth_verifier_create(const cfg_config *cfg, char *const *envp, err_report *err)
{
    auth_verifier *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->cfg = cfg;
    v->auth = &cfg->auth;
    if (!auth__load_keys(v, envp ? envp : environ, err)) {
        auth_verifier_destroy(v);
        return NULL;
    }
    return v;
}

void auth_verifier_destroy(auth_verifier *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_keys; i++) {
        cjose_jwk_release(v->keys[i].jwk);
        free(v->keys[i].kid);
    }
    free(v->keys);
    free(v);
}

bool auth_enabled(const auth_verifier *v)
{
    return v && v->auth->enabled;
}

static void decref(void *p)
{
    json_decref(p);
}

static void set_identity(arena *a, auth_identity *out, const char *role, const char *via,
                         json_t *claims)
{
    out->role = role;
    out->via = via;
    out->anonymous = strcmp(via, "anonymous") == 0;
    out->claims = claims ? claims : json_object();
    arena_on_reset(a, decref, out->claims);
    char *text = json_dumps(out->claims, JSON_COMPACT);
    if (!text)
        abort();
    out->claims_json = arena_strdup(a, text);
    free(text);
}

static bool api_key_role(const auth_verifier *v, const char *key, const char **role)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *) key, strlen(key), digest);
    const char *found = NULL;
    for (size_t i = 0; i < v->auth->n_api_keys; i++) {
        const cfg_api_key *k = &v->auth->api_keys[i];
        if (CRYPTO_memcmp(digest, k->sha256, sizeof digest) == 0)
            found = k->role;
    }
    *role = found;
    return found != NULL;
}

static bool from_api_key(const auth_verifier *v, const char *key, arena *a, auth_identity *out,
                         err_report *err)
{
    const char *role = NULL;
    if (!*key || strlen(key) > AUTH_MAX_TOKEN || !api_key_role(v, key, &role)) {
        auth__unauthorized(err, "The API key is not valid.");
        return false;
    }
    set_identity(a, out, role, "api_key", NULL);
    return true;
}

static bool from_jwt(const auth_verifier *v, const char *token, int64_t now, arena *a,
                     auth_identity *out, err_report *err)
{
    json_t *claims = NULL;
    if (!auth__verify_jwt(v, token, now, &claims, err))
        return false;
    const json_t *r = json_object_get(claims, v->auth->jwt.role_claim);
    const char *role = NULL;
    if (json_is_string(r) && json_string_length(r) > 0 && json_string_length(r) <= MAX_ROLE &&
        strlen(json_string_value(r)) == json_string_length(r))
        role = arena_strdup(a, json_string_value(r));
    else if (!r)
        role = v->auth->anonymous_role;
    if (!role) {
        json_decref(claims);
        auth__unauthorized(err, "The bearer token names no usable role.");
        return false;
    }
    set_identity(a, out, role, "jwt", claims);
    return true;
}

bool auth_authenticate(const auth_verifier *v, const char *authorization, const char *api_key,
                       int64_t now, arena *a, auth_identity *out, err_report *err)
{
    *out = (auth_identity){0};
    if (!auth_enabled(v))
        return true;
    if (authorization && api_key) {
        auth__unauthorized(err, "Send one credential: an Authorization header or X-API-Key.");
        return false;
    }
    if (api_key)
        return from_api_key(v, api_key, a, out, err);
    if (!authorization) {
        if (!v->auth->anonymous_role) {
            auth__unauthorized(err, "This request needs credentials: a bearer token or an API "
                                    "key.");
            return false;
        }
        set_identity(a, out, v->auth->anonymous_role, "anonymous", NULL);
        return true;
    }
    if (strncasecmp(authorization, "Bearer ", 7) != 0) {
        auth__unauthorized(err, "Use the Bearer scheme: Authorization: Bearer <token>.");
        return false;
    }
    const char *cred = authorization + 7;
    while (*cred == ' ')
        cred++;
    /* A JWT has exactly two dots; an API key is anything else. */
    const char *dot = strchr(cred, '.');
    bool jwt_shaped = dot && strchr(dot + 1, '.') && !strchr(strchr(dot + 1, '.') + 1, '.');
    if (jwt_shaped && v->auth->jwt.enabled)
        return from_jwt(v, cred, now, a, out, err);
    if (v->auth->n_api_keys > 0)
        return from_api_key(v, cred, a, out, err);
    auth__unauthorized(err, "The bearer token is not valid.");
    return false;
}

const char *auth_claim_text(const auth_identity *id, const char *name, arena *a)
{
    const json_t *v = id->claims ? json_object_get(id->claims, name) : NULL;
    if (json_is_string(v))
        return arena_strdup(a, json_string_value(v));
    if (json_is_integer(v))
        return arena_sprintf(a, "%lld", (long long) json_integer_value(v));
    if (json_is_real(v))
        return arena_sprintf(a, "%.17g", json_real_value(v));
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return NULL;
}
