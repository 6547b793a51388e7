/*
 * auth — who is asking: JWT bearer tokens (HS256, RS256, ES256 through
 * libcjose), API keys (SHA-256 digests from the config), the anonymous
 * role, and what a role may do with a model (operations, columns).
 *
 * Lifetimes: an auth_verifier holds the keys read when the server starts
 * (the HS256 secret, PEM public keys, JWK sets); it is immutable once
 * created and may be used from any thread without locking. An
 * auth_identity lives in the request's arena.
 *
 * Errors: auth_verifier_create() reports ERR_CONFIG (a file that cannot be
 * read, a key that cannot be used). auth_authenticate() reports
 * ERR_UNAUTHORIZED with a sentence that says what is wrong from the
 * client's side (missing, not valid, expired) and never which key was
 * tried or why a signature did not verify; the log gets no more either.
 * Comparisons of secrets are constant-time.
 */
#ifndef RETORT_AUTH_H
#define RETORT_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "cfg.h"
#include "error.h"

/* Tokens longer than this are refused before any parsing. */
enum { AUTH_MAX_TOKEN = 16384 };

typedef struct auth_verifier auth_verifier;

/* The request's principal. */
typedef struct auth_identity {
    const char *role;        /* NULL only when auth is off */
    bool anonymous;          /* no credentials were sent */
    const char *via;         /* "jwt", "api_key" or "anonymous" */
    json_t *claims;          /* the token's claims ({} otherwise); freed with the arena */
    const char *claims_json; /* the same as compact JSON text, in the arena */
} auth_identity;

/* Reads the keys of cfg->auth.jwt (envp: NULL-terminated "K=V", NULL for
 * the process environment). NULL with ERR_CONFIG when a key cannot be
 * had. With auth off, returns a verifier that lets everyone in. Free with
 * auth_verifier_destroy(). */
auth_verifier *auth_verifier_create(const cfg_config *cfg, char *const *envp, err_report *err);
void auth_verifier_destroy(auth_verifier *v);

/* True when the config has an auth section. */
bool auth_enabled(const auth_verifier *v);

/* Authenticates a request from its Authorization and X-API-Key headers
 * (either may be NULL) at time now (seconds since the epoch). Without
 * credentials the identity is the anonymous role, or ERR_UNAUTHORIZED
 * when there is none. Everything out points into a. */
bool auth_authenticate(const auth_verifier *v, const char *authorization, const char *api_key,
                       int64_t now, arena *a, auth_identity *out /* OUT */, err_report *err);

/* A claim's value as text (strings as they are, numbers and booleans in
 * JSON form); NULL when absent or not a scalar. Lives in a. */
const char *auth_claim_text(const auth_identity *id, const char *name, arena *a);

/* ---- what a role may do (auth_policy.c) --------------------------------- */

typedef enum auth_verdict {
    AUTH_ALLOW,
    AUTH_HIDDEN,    /* the role may not see the model at all: 404 */
    AUTH_DENIED     /* it sees the model but may not do this: 401/403 */
} auth_verdict;

/* May id do op on m? With auth off everything is allowed; admin roles
 * may do everything; a model without permissions is for admins only. */
auth_verdict auth_check(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                        cfg_operation op);
/* The permission governing id on m; NULL for admins and with auth off
 * (no restriction), and when the role has none. */
const cfg_permission *auth_permission(const cfg_config *cfg, const auth_identity *id,
                                      const cfg_model *m);
/* May id read / write column c of m? */
bool auth_can_read(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                   const char *column);
bool auth_can_write(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                    const char *column);
/* Records the error for a verdict other than AUTH_ALLOW: 401 for the
 * anonymous role, else 404 for a hidden model and 403 for a denied
 * operation. */
void auth_refuse(const auth_identity *id, auth_verdict v, const cfg_model *m, cfg_operation op,
                 err_report *err);

#endif
