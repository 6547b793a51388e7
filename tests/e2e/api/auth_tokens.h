/*
 * auth_tokens — keys and tokens for the auth tests: PEM keys generated
 * with the openssl command, JWK sets written from them, and JWTs signed
 * with libcjose (the library retort verifies with, used here only to
 * produce honest signatures; the forged tokens are built by hand).
 */
#ifndef RETORT_AUTH_TOKENS_H
#define RETORT_AUTH_TOKENS_H

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdbool.h>

#include "arena.h"

/* Runs openssl to write <dir>/<name>.key (private) and <name>.pub (public
 * PEM); kind "rsa" or "ec" (P-256). */
bool tok_genkey(const char *dir, const char *name, const char *kind);
/* The private key in <dir>/<name>.key as a JWK (release with
 * cjose_jwk_release). */
cjose_jwk_t *tok_private_jwk(const char *dir, const char *name);
/* An HMAC key from bytes. */
cjose_jwk_t *tok_oct_jwk(const char *bytes, size_t len);
/* Writes {"keys": [...]} of the public halves of jwks[i] with kids[i]. */
bool tok_write_jwks(const char *path, cjose_jwk_t *const *jwks, const char *const *kids, size_t n);
/* A compact JWS of claims (borrowed) signed with alg; kid may be NULL. */
const char *tok_sign(arena *a, cjose_jwk_t *key, const char *alg, const char *kid,
                     const json_t *claims);
/* An unsigned token: header {"alg":"none"} and an empty signature. */
const char *tok_alg_none(arena *a, const json_t *claims);
/* Hex SHA-256 of s. */
const char *tok_sha256_hex(arena *a, const char *s);

#endif
