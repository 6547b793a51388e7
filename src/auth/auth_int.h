/*
 * Private to src/auth: the verifier and what its files share (auth__).
 */
#ifndef RETORT_AUTH_INT_H
#define RETORT_AUTH_INT_H

#include <cjose/cjose.h>

#include "auth.h"

/* One verification key and the algorithm it serves. */
typedef struct auth__key {
    cjose_jwk_t *jwk;
    cfg_jwt_alg alg;      /* HS256 for the secret, RS256 or ES256 for public keys */
    char *kid;            /* NULL = none; heap */
} auth__key;

struct auth_verifier {
    const cfg_config *cfg;
    const cfg_auth *auth;
    auth__key *keys;      /* heap */
    size_t n_keys;
};

/* Reads the JWT keys of v->auth into v->keys (auth_keys.c). */
bool auth__load_keys(auth_verifier *v, char *const *envp, err_report *err);

/* Verifies a compact JWS and checks its claims (auth_jwt.c). On success
 * *claims is a new reference (the caller's). */
bool auth__verify_jwt(const auth_verifier *v, const char *token, int64_t now,
                      json_t **claims /* OUT */, err_report *err);

/* The 401 every credential failure gets; detail is a public sentence. */
void auth__unauthorized(err_report *err, const char *detail);

#endif
