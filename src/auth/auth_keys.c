/*
 * auth_keys — the JWT verification keys, read once when the server starts:
 * the HS256 secret (from the variable secret_env names, or secret_file),
 * a PEM public key (RSA → RS256, P-256 → ES256) and the keys of a JWK set.
 * PEM keys go through OpenSSL and become JWKs, so one verifier (libcjose)
 * serves them all and a key can only ever verify its own algorithm: an
 * RSA public key is never an HMAC secret.
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "log.h"

/* RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
enum { MIN_SECRET_BYTES = 32, MAX_KEY_FILE = 1 << 20 };

static void add_key(auth_verifier *v, cjose_jwk_t *jwk, cfg_jwt_alg alg, const char *kid)
{
    auth__key *keys = realloc(v->keys, (v->n_keys + 1) * sizeof *keys);
    if (!keys)
        abort();
    v->keys = keys;
    v->keys[v->n_keys++] = (auth__key){jwk, alg, kid ? strdup(kid) : NULL};
}

/* The whole file into a heap buffer (NUL-terminated); NULL when unreadable. */
static char *slurp(const char *path, size_t *len /* OUT */)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MAX_KEY_FILE + 1);
    if (!buf)
        abort();
    size_t n = fread(buf, 1, MAX_KEY_FILE + 1, f);
    bool bad = ferror(f) || n > MAX_KEY_FILE;
    fclose(f);
    if (bad) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool load_secret(auth_verifier *v, char *const *envp, err_report *err)
{
    const cfg_jwt *j = &v->auth->jwt;
    char *file = NULL;
    const char *secret;
    size_t len = 0;
    if (j->secret_env) {
        secret = cfg_env_get(envp, j->secret_env);
        if (!secret) {
            err_add_item(err, ERR_CONFIG, "/auth/jwt/secret_env",
                         "the environment variable %s (the HS256 secret) is not set",
                         j->secret_env);
            return false;
        }
        len = strlen(secret);
    } else {
        file = slurp(j->secret_file, &len);
        if (!file) {
            err_add_item(err, ERR_CONFIG, "/auth/jwt/secret_file", "cannot read %s: %s",
                         j->secret_file, strerror(errno));
            return false;
        }
        /* A file written by echo ends with a newline that is not the key. */
        while (len > 0 && (file[len - 1] == '\n' || file[len - 1] == '\r'))
            len--;
        secret = file;
    }
    bool ok = len >= MIN_SECRET_BYTES;
    if (!ok)
        err_add_item(err, ERR_CONFIG,
                     j->secret_env ? "/auth/jwt/secret_env" : "/auth/jwt/secret_file",
                     "the HS256 secret must be at least %d bytes long", MIN_SECRET_BYTES);
    cjose_jwk_t *jwk = ok ? cjose_jwk_create_oct_spec((const uint8_t *) secret, len, NULL) : NULL;
    if (ok && !jwk) {
        err_add_item(err, ERR_CONFIG, "/auth/jwt", "the HS256 secret cannot be used");
        ok = false;
    }
    if (jwk)
        add_key(v, jwk, CFG_JWT_HS256, NULL);
    if (file) {
        memset(file, 0, len);
        free(file);
    }
    return ok;
}

/* ---- PEM ----------------------------------------------------------------- */

static uint8_t *bn_bytes(EVP_PKEY *pkey, const char *param, size_t *len)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
        return NULL;
    *len = (size_t) BN_num_bytes(bn);
    uint8_t *out = malloc(*len ? *len : 1);
    if (!out)
        abort();
    BN_bn2bin(bn, out);
    BN_free(bn);
    return out;
}

static cjose_jwk_t *rsa_jwk(EVP_PKEY *pkey)
{
    cjose_jwk_rsa_keyspec spec = {0};
    spec.n = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_N, &spec.nlen);
    spec.e = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_E, &spec.elen);
    cjose_jwk_t *jwk = spec.n && spec.e ? cjose_jwk_create_RSA_spec(&spec, NULL) : NULL;
    free(spec.n);
    free(spec.e);
    return jwk;
}

static cjose_jwk_t *ec_jwk(EVP_PKEY *pkey)
{
    char group[64] = "";
    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        NULL) ||
        (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))
        return NULL;
    uint8_t point[65];
    size_t len = 0;
    EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                   "uncompressed");
    if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                         &len) ||
        len != 65 || point[0] != 0x04)
        return NULL;
    cjose_jwk_ec_keyspec spec = {.crv = CJOSE_JWK_EC_P_256,
                                 .x = point + 1,
                                 .xlen = 32,
                                 .y = point + 33,
                                 .ylen = 32};
    return cjose_jwk_create_EC_spec(&spec, NULL);
}

static bool load_pem(auth_verifier *v, err_report *err)
{
    const char *path = v->auth->jwt.public_key_file;
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_add_item(err, ERR_CONFIG, "/auth/jwt/public_key_file", "cannot read %s: %s", path,
                     strerror(errno));
        return false;
    }
    EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    cjose_jwk_t *jwk = NULL;
    cfg_jwt_alg alg = CFG_JWT_RS256;
    if (pkey && EVP_PKEY_is_a(pkey, "RSA")) {
        jwk = rsa_jwk(pkey);
    } else if (pkey && EVP_PKEY_is_a(pkey, "EC")) {
        jwk = ec_jwk(pkey);
        alg = CFG_JWT_ES256;
    }
    EVP_PKEY_free(pkey);
    if (!jwk) {
        err_add_item(err, ERR_CONFIG, "/auth/jwt/public_key_file",
                     "%s holds no usable public key: expected a PEM \"PUBLIC KEY\" of RSA "
                     "(RS256) or EC P-256 (ES256)",
                     path);
        return false;
    }
    if (!(v->auth->jwt.algorithms & alg))
        log_warn("auth: the key in %s is for %s, which auth.jwt.algorithms does not list", path,
                 alg == CFG_JWT_RS256 ? "RS256" : "ES256");
    add_key(v, jwk, alg, NULL);
    return true;
}

/* ---- JWKS ---------------------------------------------------------------- */

static bool load_jwks(auth_verifier *v, err_report *err)
{
    const char *path = v->auth->jwt.jwks_file;
    json_error_t jerr;
    json_t *set = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    json_t *keys = json_object_get(set, "keys");
    if (!json_is_array(keys)) {
        err_add_item(err, ERR_CONFIG, "/auth/jwt/jwks_file",
                     "%s is not a JWK set (a JSON object with a \"keys\" array)%s%s", path,
                     set ? "" : ": ", set ? "" : jerr.text);
        json_decref(set);
        return false;
    }
    size_t before = v->n_keys;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        json_t *k = json_array_get(keys, i);
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *alg_name = json_string_value(json_object_get(k, "alg"));
        const char *use = json_string_value(json_object_get(k, "use"));
        const char *kid = json_string_value(json_object_get(k, "kid"));
        cfg_jwt_alg alg;
        if (kty && strcmp(kty, "RSA") == 0)
            alg = CFG_JWT_RS256;
        else if (kty && strcmp(kty, "EC") == 0)
            alg = CFG_JWT_ES256;
        else
            continue; /* symmetric keys never come from a key set */
        if ((use && strcmp(use, "sig") != 0) ||
            (alg_name && strcmp(alg_name, alg == CFG_JWT_RS256 ? "RS256" : "ES256") != 0))
            continue;
        const char *crv = json_string_value(json_object_get(k, "crv"));
        if (alg == CFG_JWT_ES256 && (!crv || strcmp(crv, "P-256") != 0))
            continue;
        if (!(v->auth->jwt.algorithms & alg))
            continue;
        /* Only the public members: a set that carries private ones must not
         * make retort hold them. */
        json_t *pub = json_pack("{s:s}", "kty", kty);
        static const char *const PUBLIC[] = {"n", "e", "crv", "x", "y"};
        for (size_t p = 0; p < sizeof PUBLIC / sizeof PUBLIC[0]; p++)
            if (json_object_get(k, PUBLIC[p]))
                json_object_set(pub, PUBLIC[p], json_object_get(k, PUBLIC[p]));
        cjose_jwk_t *jwk = cjose_jwk_import_json((cjose_header_t *) pub, NULL);
        json_decref(pub);
        if (!jwk) {
            log_warn("auth: key %zu of %s cannot be used; skipped", i, path);
            continue;
        }
        add_key(v, jwk, alg, kid);
    }
    json_decref(set);
    if (v->n_keys == before) {
        err_add_item(err, ERR_CONFIG, "/auth/jwt/jwks_file",
                     "%s holds no usable signing key for the configured algorithms", path);
        return false;
    }
    return true;
}

bool auth__load_keys(auth_verifier *v, char *const *envp, err_report *err)
{
    const cfg_jwt *j = &v->auth->jwt;
    if (!j->enabled)
        return true;
    bool ok = true;
    if ((j->algorithms & CFG_JWT_HS256) && (j->secret_env || j->secret_file))
        ok &= load_secret(v, envp, err);
    if (j->public_key_file)
        ok &= load_pem(v, err);
    if (j->jwks_file)
        ok &= load_jwks(v, err);
    return ok;
}
