#include "auth_tokens.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

bool tok_genkey(const char *dir, const char *name, const char *kind)
{
    const char *opts = strcmp(kind, "rsa") == 0
                           ? "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
                           : "-algorithm EC -pkeyopt ec_paramgen_curve:P-256";
    return ts_system("openssl genpkey %s -out %s/%s.key 2>/dev/null && "
                     "openssl pkey -in %s/%s.key -pubout -out %s/%s.pub 2>/dev/null",
                     opts, dir, name, dir, name, dir, name) == 0;
}

/* A big-number parameter as bytes, left-padded to width (0 = as is). */
static uint8_t *param(EVP_PKEY *k, const char *name, size_t width, size_t *len)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(k, name, &bn))
        return NULL;
    size_t n = (size_t) BN_num_bytes(bn);
    *len = width ? width : n;
    uint8_t *out = calloc(1, *len + 1);
    BN_bn2bin(bn, out + (*len - n));
    BN_free(bn);
    return out;
}

cjose_jwk_t *tok_private_jwk(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k)
        return NULL;
    cjose_jwk_t *jwk = NULL;
    if (EVP_PKEY_is_a(k, "RSA")) {
        cjose_jwk_rsa_keyspec s = {0};
        s.n = param(k, OSSL_PKEY_PARAM_RSA_N, 0, &s.nlen);
        s.e = param(k, OSSL_PKEY_PARAM_RSA_E, 0, &s.elen);
        s.d = param(k, OSSL_PKEY_PARAM_RSA_D, 0, &s.dlen);
        s.p = param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, 0, &s.plen);
        s.q = param(k, OSSL_PKEY_PARAM_RSA_FACTOR2, 0, &s.qlen);
        s.dp = param(k, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0, &s.dplen);
        s.dq = param(k, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0, &s.dqlen);
        s.qi = param(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0, &s.qilen);
        jwk = cjose_jwk_create_RSA_spec(&s, NULL);
        free(s.n), free(s.e), free(s.d), free(s.p), free(s.q), free(s.dp), free(s.dq), free(s.qi);
    } else {
        cjose_jwk_ec_keyspec s = {.crv = CJOSE_JWK_EC_P_256};
        uint8_t point[65];
        size_t plen = 0;
        EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                       "uncompressed");
        s.d = param(k, OSSL_PKEY_PARAM_PRIV_KEY, 32, &s.dlen);
        if (s.d && EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                   sizeof point, &plen) &&
            plen == 65) {
            s.x = point + 1;
            s.xlen = 32;
            s.y = point + 33;
            s.ylen = 32;
            jwk = cjose_jwk_create_EC_spec(&s, NULL);
        }
        free(s.d);
    }
    EVP_PKEY_free(k);
    return jwk;
}

cjose_jwk_t *tok_oct_jwk(const char *bytes, size_t len)
{
    return cjose_jwk_create_oct_spec((const uint8_t *) bytes, len, NULL);
}

bool tok_write_jwks(const char *path, cjose_jwk_t *const *jwks, const char *const *kids, size_t n)
{
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++) {
        char *text = cjose_jwk_to_json(jwks[i], false, NULL);
        json_t *k = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (!k)
            return false;
        json_object_set_new(k, "kid", json_string(kids[i]));
        json_object_set_new(k, "use", json_string("sig"));
        json_array_append_new(keys, k);
    }
    json_t *set = json_pack("{s:o}", "keys", keys);
    int rc = json_dump_file(set, path, JSON_INDENT(2));
    json_decref(set);
    return rc == 0;
}

const char *tok_sign(arena *a, cjose_jwk_t *key, const char *alg, const char *kid,
                     const json_t *claims)
{
    cjose_header_t *h = cjose_header_new(NULL);
    cjose_header_set(h, CJOSE_HDR_ALG, alg, NULL);
    cjose_header_set(h, "typ", "JWT", NULL);
    if (kid)
        cjose_header_set(h, CJOSE_HDR_KID, kid, NULL);
    char *payload = json_dumps(claims, JSON_COMPACT);
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *) payload, strlen(payload), NULL);
    free(payload);
    cjose_header_release(h);
    const char *ser = NULL;
    const char *out = jws && cjose_jws_export(jws, &ser, NULL) ? arena_strdup(a, ser) : NULL;
    cjose_jws_release(jws);
    return out;
}

static const char *b64url(arena *a, const char *s)
{
    char *out = NULL;
    size_t n = 0;
    cjose_base64url_encode((const uint8_t *) s, strlen(s), &out, &n, NULL);
    const char *r = arena_strndup(a, out, n);
    free(out);
    return r;
}

const char *tok_alg_none(arena *a, const json_t *claims)
{
    char *payload = json_dumps(claims, JSON_COMPACT);
    const char *t = arena_sprintf(a, "%s.%s.", b64url(a, "{\"alg\":\"none\",\"typ\":\"JWT\"}"),
                                  b64url(a, payload));
    free(payload);
    return t;
}

const char *tok_sha256_hex(arena *a, const char *s)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *) s, strlen(s), d);
    char *hex = arena_alloc(a, 65);
    for (size_t i = 0; i < sizeof d; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    return hex;
}
