/*
 * sign — HMAC-SHA256 tokens in base64url (OpenSSL's libcrypto).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sign.h"
#include "strbuf.h"

bool sign_key_random(sign_key *k)
{
    return RAND_bytes(k->bytes, SIGN_KEY_BYTES) == 1;
}

void sign_key_from_secret(sign_key *k, const char *secret)
{
    SHA256((const unsigned char *) secret, strlen(secret), k->bytes);
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url(sbuf *out, const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8 | p[i + 2];
        sbuf_append_char(out, B64URL[v >> 18 & 63]);
        sbuf_append_char(out, B64URL[v >> 12 & 63]);
        sbuf_append_char(out, B64URL[v >> 6 & 63]);
        sbuf_append_char(out, B64URL[v & 63]);
    }
    if (n - i == 1) {
        unsigned v = (unsigned) p[i] << 16;
        sbuf_append_char(out, B64URL[v >> 18 & 63]);
        sbuf_append_char(out, B64URL[v >> 12 & 63]);
    } else if (n - i == 2) {
        unsigned v = (unsigned) p[i] << 16 | (unsigned) p[i + 1] << 8;
        sbuf_append_char(out, B64URL[v >> 18 & 63]);
        sbuf_append_char(out, B64URL[v >> 12 & 63]);
        sbuf_append_char(out, B64URL[v >> 6 & 63]);
    }
}

static int b64url_value(char c)
{
    const char *at = c ? strchr(B64URL, c) : NULL;
    return at ? (int) (at - B64URL) : -1;
}

/* Decodes n characters into out (at least n * 3 / 4 + 1 bytes); -1 when
 * they are not canonical base64url. */
static long unb64url(const char *s, size_t n, unsigned char *out)
{
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (unsigned) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char) (acc >> bits & 0xff);
        }
    }
    if (acc & ((1u << bits) - 1)) /* non-zero padding bits: not canonical */
        return -1;
    return (long) o;
}

static void mac(const sign_key *k, const void *payload, size_t len,
                unsigned char md[SHA256_DIGEST_LENGTH])
{
    unsigned int md_len = SHA256_DIGEST_LENGTH;
    HMAC(EVP_sha256(), k->bytes, SIGN_KEY_BYTES, payload, len, md, &md_len);
}

const char *sign_token(arena *a, const sign_key *k, const void *payload, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    mac(k, payload, len, md);
    sbuf out;
    sbuf_init(&out, a, 128);
    b64url(&out, payload, len);
    sbuf_append_char(&out, '.');
    b64url(&out, md, sizeof md);
    return sbuf_str(&out);
}

const char *sign_verify(arena *a, const sign_key *k, const char *token, size_t *len)
{
    *len = 0;
    const char *dot = token ? strchr(token, '.') : NULL;
    if (!dot)
        return NULL;
    size_t n_payload = (size_t) (dot - token), n_mac = strlen(dot + 1);
    unsigned char given[SHA256_DIGEST_LENGTH + 3];
    if (n_mac != (SHA256_DIGEST_LENGTH * 4 + 2) / 3 ||
        unb64url(dot + 1, n_mac, given) != SHA256_DIGEST_LENGTH)
        return NULL;
    unsigned char *payload = arena_alloc(a, n_payload * 3 / 4 + 2);
    long n = unb64url(token, n_payload, payload);
    if (n < 0)
        return NULL;
    unsigned char md[SHA256_DIGEST_LENGTH];
    mac(k, payload, (size_t) n, md);
    if (CRYPTO_memcmp(md, given, sizeof md) != 0)
        return NULL;
    payload[n] = '\0';
    *len = (size_t) n;
    return (const char *) payload;
}
