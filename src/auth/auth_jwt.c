/*
 * auth_jwt — verifying a bearer JWT: shape, algorithm, signature, then the
 * registered claims (exp and nbf with auth.jwt.leeway_s, aud, iss).
 *
 * The algorithm is taken from the token's header only to pick among the
 * algorithms the config lists; "none" and anything unlisted fail before
 * any key is touched, and each key verifies only the algorithm it was
 * loaded for (an HS256 token is checked against the secret, never against
 * an RSA public key read as bytes). Every failure is the same sentence for
 * the client; expiry is the one reason worth telling (the client can act
 * on it by refreshing the token).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"

static const struct {
    const char *name;
    cfg_jwt_alg alg;
} ALGS[] = {{"HS256", CFG_JWT_HS256}, {"RS256", CFG_JWT_RS256}, {"ES256", CFG_JWT_ES256}};

static const char *const INVALID = "The bearer token is not valid.";

/* Three base64url segments, nothing else: refuses whitespace, padding and
 * JWE's five segments before libcjose sees them. */
static bool well_formed(const char *t, size_t n)
{
    if (n == 0 || n > AUTH_MAX_TOKEN)
        return false;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_'))
            return false;
    }
    return dots == 2 && t[0] != '.' && t[n - 1] != '.';
}

static bool number_claim(const json_t *claims, const char *name, bool *present, double *out)
{
    const json_t *v = json_object_get(claims, name);
    *present = v != NULL;
    if (!v)
        return true;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return false;
    *out = json_number_value(v);
    return true;
}

static bool audience_matches(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *item;
    json_array_foreach(aud, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), want) == 0)
            return true;
    }
    return false;
}

/* The claims of a verified token, or the sentence saying why not. */
static const char *check_claims(const cfg_jwt *j, const json_t *claims, int64_t now)
{
    bool has_exp, has_nbf;
    double exp = 0, nbf = 0;
    if (!number_claim(claims, "exp", &has_exp, &exp) ||
        !number_claim(claims, "nbf", &has_nbf, &nbf))
        return INVALID;
    if (has_exp && (double) now > exp + j->leeway_s)
        return "The bearer token has expired.";
    if (has_nbf && (double) now + j->leeway_s < nbf)
        return "The bearer token is not valid yet.";
    if (j->audience && !audience_matches(json_object_get(claims, "aud"), j->audience))
        return INVALID;
    if (j->issuer) {
        const char *iss = json_string_value(json_object_get(claims, "iss"));
        if (!iss || strcmp(iss, j->issuer) != 0)
            return INVALID;
    }
    return NULL;
}

/* Tries the keys of alg; a kid that names a key narrows it to that key
 * (which must then be of alg), an unknown kid does not (keys rotate). */
static bool verify_signature(const auth_verifier *v, cjose_jws_t *jws, cfg_jwt_alg alg,
                             const char *kid)
{
    bool kid_known = false;
    for (size_t i = 0; kid && i < v->n_keys; i++)
        kid_known |= v->keys[i].kid && strcmp(v->keys[i].kid, kid) == 0;
    for (size_t i = 0; i < v->n_keys; i++) {
        const auth__key *k = &v->keys[i];
        if (k->alg != alg)
            continue;
        if (kid_known && (!k->kid || strcmp(k->kid, kid) != 0))
            continue;
        if (cjose_jws_verify(jws, k->jwk, NULL))
            return true;
    }
    return false;
}

bool auth__verify_jwt(const auth_verifier *v, const char *token, int64_t now, json_t **claims,
                      err_report *err)
{
    const cfg_jwt *j = &v->auth->jwt;
    size_t n = strlen(token);
    if (!j->enabled || !well_formed(token, n)) {
        auth__unauthorized(err, INVALID);
        return false;
    }
    cjose_jws_t *jws = cjose_jws_import(token, n, NULL);
    if (!jws) {
        auth__unauthorized(err, INVALID);
        return false;
    }
    const char *why = INVALID;
    json_t *payload = NULL;
    json_t *header = (json_t *) cjose_jws_get_protected(jws);
    const char *alg_name = json_string_value(json_object_get(header, "alg"));
    const char *kid = json_string_value(json_object_get(header, "kid"));
    cfg_jwt_alg alg = 0;
    for (size_t i = 0; alg_name && i < sizeof ALGS / sizeof ALGS[0]; i++)
        if (strcmp(ALGS[i].name, alg_name) == 0)
            alg = ALGS[i].alg;
    /* RFC 7515 §4.1.11: extensions we do not understand must fail. */
    bool ok = alg && (j->algorithms & alg) && !json_object_get(header, "crit") &&
              verify_signature(v, jws, alg, kid);
    uint8_t *text = NULL;
    size_t text_len = 0;
    if (ok && cjose_jws_get_plaintext(jws, &text, &text_len, NULL)) {
        payload = json_loadb((const char *) text, text_len, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object(payload))
            why = check_claims(j, payload, now);
    }
    cjose_jws_release(jws);
    if (!ok || !json_is_object(payload) || why) {
        json_decref(payload);
        auth__unauthorized(err, why ? why : INVALID);
        return false;
    }
    *claims = payload;
    return true;
}
