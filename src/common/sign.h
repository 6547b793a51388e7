/*
 * sign — tamper-evident tokens: a payload and its HMAC-SHA256, both in
 * base64url (RFC 4648 §5, no padding), joined by '.'. What the payload
 * means is the caller's business (keyset cursors carry a query shape and
 * the last row's sort values); sign only guarantees that a token it
 * verifies was made with the same key and not altered.
 *
 * Memory: tokens and decoded payloads live in the arena passed.
 * Thread-safety: a key is read-only after init and may be shared.
 */
#ifndef RETORT_SIGN_H
#define RETORT_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

enum { SIGN_KEY_BYTES = 32 };

typedef struct sign_key {
    unsigned char bytes[SIGN_KEY_BYTES];
} sign_key;

/* A random key (tokens then live as long as the process). False when the
 * system has no randomness to give. */
bool sign_key_random(sign_key *k /* OUT */);
/* A key derived from a configured secret (SHA-256 of it), so several
 * processes accept each other's tokens. */
void sign_key_from_secret(sign_key *k /* OUT */, const char *secret);

/* base64url(payload) "." base64url(HMAC-SHA256(key, payload)); lives in a. */
const char *sign_token(arena *a, const sign_key *k, const void *payload, size_t len);

/* The payload of a token made with k (NUL-terminated copy in a; *len
 * without the NUL), or NULL when the token is malformed or its MAC does
 * not match (compared in constant time). */
const char *sign_verify(arena *a, const sign_key *k, const char *token, size_t *len /* OUT */);

#endif
