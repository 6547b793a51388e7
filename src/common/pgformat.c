/*
 * pgformat — see pgformat.h. Each parser is strict and total: it walks
 * the string once and never reads past its end.
 */
#include "pgformat.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtext.h"
#include "strbuf.h"

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool two(const char *s, int max, int *v)
{
    if (!digit(s[0]) || !digit(s[1]))
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return *v <= max;
}

/* ==== time and timestamp =============================================== */

/* HH:MM[:SS[.f]] at *s; moves *s past it. */
static bool clock(const char **s)
{
    const char *p = *s;
    int h, m, sec = 0;
    if (!two(p, 24, &h) || p[2] != ':' || !two(p + 3, 59, &m))
        return false;
    p += 5;
    bool frac = false;
    if (*p == ':') {
        if (!two(p + 1, 60, &sec))
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            if (!digit(*p))
                return false;
            while (digit(*p))
                p++, frac = true;
        }
    }
    if (h == 24 && (m || sec || frac))
        return false;
    *s = p;
    return true;
}

bool pgf_time_ok(const char *s)
{
    return clock(&s) && *s == '\0';
}

bool pgf_timestamp_ok(const char *s)
{
    char date[11];
    if (strlen(s) < 11)
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!pgtext_date(date) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    const char *p = s + 11;
    return clock(&p) && *p == '\0';
}

void pgf_timestamp_iso(const char *pg, char *out, size_t cap)
{
    snprintf(out, cap, "%s", pg);
    if (strlen(out) >= 19 && out[10] == ' ' && digit(out[0]) && out[4] == '-' &&
        !strchr(out, 'B'))
        out[10] = 'T';
}

/* ==== intervals ======================================================== */

/* [-]digits[.digits] at *s. */
static bool number(const char **s, bool fraction)
{
    const char *p = *s;
    if (*p == '-')
        p++;
    if (!digit(*p))
        return false;
    while (digit(*p))
        p++;
    if (fraction && *p == '.') {
        p++;
        if (!digit(*p))
            return false;
        while (digit(*p))
            p++;
    }
    *s = p;
    return true;
}

bool pgf_duration_ok(const char *s)
{
    if (*s++ != 'P')
        return false;
    static const char DATE[] = "YMWD", TIME[] = "HMS";
    bool any = false, in_time = false;
    const char *units = DATE;
    while (*s) {
        if (*s == 'T' && !in_time) {
            in_time = true;
            units = TIME;
            s++;
            if (!*s)
                return false;
            continue;
        }
        if (!number(&s, true) || !*s)
            return false;
        const char *u = strchr(units, *s);
        if (!u)
            return false;
        units = u + 1; /* each unit once, in order */
        s++;
        any = true;
    }
    return any;
}

/* Appends n followed by unit unless n is zero text ("0", "-0"). */
static void component(sbuf *b, const char *num, size_t len, char unit)
{
    bool zero = true;
    for (size_t i = 0; i < len; i++)
        if (num[i] != '0' && num[i] != '-' && num[i] != '.')
            zero = false;
    if (zero)
        return;
    sbuf_append_n(b, num, len);
    sbuf_append_char(b, unit);
}

bool pgf_interval_iso(const char *pg, char *out, size_t cap)
{
    arena *a = arena_create(NULL, "interval");
    sbuf date, time;
    sbuf_init(&date, a, 32);
    sbuf_init(&time, a, 32);
    const char *p = pg;
    bool ok = true;
    while (ok && *p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *start = p;
        if (*p == '+' || *p == '-')
            p++;
        const char *digits = p;
        while (digit(*p))
            p++;
        if (p == digits) {
            ok = false;
            break;
        }
        if (*p == ':') {
            /* [+-]H+:MM:SS[.f], the sign applies to every part */
            bool neg = *start == '-';
            const char *h = digits;
            size_t hl = (size_t) (p - digits);
            int mm, ss;
            if (!two(p + 1, 59, &mm) || p[3] != ':' || !two(p + 4, 60, &ss)) {
                ok = false;
                break;
            }
            const char *f = p + 6, *fe = f;
            if (*fe == '.')
                for (fe++; digit(*fe);)
                    fe++;
            while (hl > 1 && *h == '0')
                h++, hl--;
            char buf[64];
            snprintf(buf, sizeof buf, "%s%.*s", neg ? "-" : "", (int) hl, h);
            component(&time, buf, strlen(buf), 'H');
            snprintf(buf, sizeof buf, "%s%d", neg ? "-" : "", mm);
            component(&time, buf, strlen(buf), 'M');
            /* seconds: strip trailing zeros of the fraction */
            size_t fl = (size_t) (fe - f);
            while (fl > 1 && f[fl - 1] == '0')
                fl--;
            if (fl == 1)
                fl = 0;
            snprintf(buf, sizeof buf, "%s%d%.*s", neg ? "-" : "", ss, (int) fl, f);
            component(&time, buf, strlen(buf), 'S');
            p = fe;
            continue;
        }
        size_t nl = (size_t) (p - start);
        const char *num = *start == '+' ? start + 1 : start;
        if (*start == '+')
            nl--;
        if (*p != ' ') {
            ok = false;
            break;
        }
        p++;
        const char *unit = p;
        while (*p && *p != ' ')
            p++;
        size_t ul = (size_t) (p - unit);
        char u = 0;
        if ((ul == 4 || ul == 5) && strncmp(unit, "year", 4) == 0)
            u = 'Y';
        else if ((ul == 3 || ul == 4) && strncmp(unit, "mon", 3) == 0)
            u = 'M';
        else if ((ul == 3 || ul == 4) && strncmp(unit, "day", 3) == 0)
            u = 'D';
        if (!u) {
            ok = false;
            break;
        }
        component(&date, num, nl, u);
    }
    if (ok) {
        if (date.len == 0 && time.len == 0)
            snprintf(out, cap, "PT0S");
        else
            snprintf(out, cap, "P%s%s%s", sbuf_str(&date), time.len ? "T" : "", sbuf_str(&time));
    } else {
        snprintf(out, cap, "%s", pg);
    }
    arena_destroy(a);
    return ok;
}

/* ==== bytea ============================================================ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int) (p - B64) : -1;
}

const char *pgf_base64_to_bytea(arena *a, const char *s, size_t len)
{
    if (len % 4 != 0)
        return NULL;
    sbuf out;
    sbuf_init(&out, a, len / 4 * 6 + 3);
    sbuf_append(&out, "\\x");
    static const char HEX[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_value(s[i + k])) < 0) {
                return NULL;
            }
        }
        unsigned n = (unsigned) (v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        unsigned char bytes[3] = {(unsigned char) (n >> 16), (unsigned char) (n >> 8),
                                  (unsigned char) n};
        for (int k = 0; k < 3 - pad; k++) {
            sbuf_append_char(&out, HEX[bytes[k] >> 4]);
            sbuf_append_char(&out, HEX[bytes[k] & 15]);
        }
    }
    return sbuf_str(&out);
}

const char *pgf_bytea_to_base64(arena *a, const char *hex)
{
    if (hex[0] != '\\' || hex[1] != 'x')
        return NULL;
    hex += 2;
    size_t n = strlen(hex);
    if (n % 2)
        return NULL;
    size_t bytes = n / 2;
    sbuf out;
    sbuf_init(&out, a, (bytes + 2) / 3 * 4 + 1);
    for (size_t i = 0; i < bytes; i += 3) {
        unsigned v = 0;
        size_t k;
        for (k = 0; k < 3 && i + k < bytes; k++) {
            int hi = sbuf_hex_digit(hex[2 * (i + k)]);
            int lo = sbuf_hex_digit(hex[2 * (i + k) + 1]);
            if (hi < 0 || lo < 0)
                return NULL;
            v |= (unsigned) (hi << 4 | lo) << (16 - 8 * k);
        }
        sbuf_append_char(&out, B64[v >> 18 & 63]);
        sbuf_append_char(&out, B64[v >> 12 & 63]);
        sbuf_append_char(&out, k > 1 ? B64[v >> 6 & 63] : '=');
        sbuf_append_char(&out, k > 2 ? B64[v & 63] : '=');
    }
    return sbuf_str(&out);
}

/* ==== inet and cidr ==================================================== */

bool pgf_inet_ok(const char *s, bool cidr)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t) (slash - s) : strlen(s);
    if (len == 0 || len >= sizeof addr)
        return false;
    memcpy(addr, s, len);
    addr[len] = '\0';
    unsigned char bin[16];
    int bits;
    if (inet_pton(AF_INET, addr, bin) == 1)
        bits = 32;
    else if (inet_pton(AF_INET6, addr, bin) == 1)
        bits = 128;
    else
        return false;
    int prefix = bits;
    if (slash) {
        const char *p = slash + 1;
        if (!digit(*p) || strlen(p) > 3)
            return false;
        prefix = 0;
        for (; digit(*p); p++)
            prefix = prefix * 10 + (*p - '0');
        if (*p || prefix > bits)
            return false;
    }
    if (cidr)
        for (int b = prefix; b < bits; b++)
            if (bin[b / 8] & (0x80 >> (b % 8)))
                return false;
    return true;
}

/* ==== arrays =========================================================== */

bool pgf_array_parse(arena *a, const char *text, const char ***elems, size_t *n)
{
    const char *p = text;
    *n = 0;
    if (*p++ != '{')
        return false;
    size_t cap = 8, count = 0;
    const char **out = ARENA_ARRAY(a, const char *, cap);
    sbuf e;
    sbuf_init(&e, a, 32);
    if (*p == '}' && p[1] == '\0') {
        *elems = out;
        return true;
    }
    for (;;) {
        sbuf_reset(&e);
        const char *value;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                sbuf_append_char(&e, *p++);
            }
            if (*p++ != '"')
                return false;
            value = arena_strdup(a, sbuf_str(&e));
        } else {
            const char *start = p;
            while (*p && *p != ',' && *p != '}') {
                if (*p == '{' || *p == '"')
                    return false; /* more dimensions */
                p++;
            }
            if (p == start)
                return false;
            value = (p - start == 4 && strncmp(start, "NULL", 4) == 0)
                        ? NULL
                        : arena_strndup(a, start, (size_t) (p - start));
        }
        if (count == cap) {
            const char **grown = ARENA_ARRAY(a, const char *, cap * 2);
            memcpy(grown, out, sizeof *out * cap);
            out = grown;
            cap *= 2;
        }
        out[count++] = value;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}' && p[1] == '\0')
            break;
        return false;
    }
    *elems = out;
    *n = count;
    return true;
}
