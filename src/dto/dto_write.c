/*
 * dto_write — JSON text of DTO values appended straight to an sbuf, byte
 * for byte what json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) of
 * jansson 2.14 writes for the json_t that dto_value_from_text would have
 * built: strings escaped like jansson's dump_string (", \ and control
 * characters; \b \f \n \r \t short, others \u00XX in upper-case hex; '/'
 * and non-ASCII as is; invalid UTF-8 is no string at all), integers as
 * %lld, reals as jansson's jsonp_dtostr ("%.17g", ".0" appended without
 * '.' or 'e', no '+' nor leading zeros in the exponent). json/jsonb values
 * still go through jansson (parse, dump): they are rare and arbitrary.
 *
 * No allocation other than the sbuf's own growth (json columns aside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"

/* The length of the valid UTF-8 sequence at s (lead byte >= 0x80), or 0
 * (jansson's utf8_check_first / utf8_check_full). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char u = s[0];
    size_t n;
    unsigned v;
    if (u >= 0xC2 && u <= 0xDF) {
        n = 2;
        v = u & 0x1F;
    } else if (u >= 0xE0 && u <= 0xEF) {
        n = 3;
        v = u & 0x0F;
    } else if (u >= 0xF0 && u <= 0xF4) {
        n = 4;
        v = u & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) /* also stops at the NUL */
            return 0;
        v = (v << 6) + (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

bool dto__write_string(sbuf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    const unsigned char *s = (const unsigned char *) text, *run = s;
    sbuf_append_char(out, '"');
    for (;;) {
        unsigned char c = *s;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(s);
            if (!n) {
                out->len = start;
                out->data[start] = '\0';
                return false;
            }
            s += n;
            continue;
        }
        if (s > run)
            sbuf_append_n(out, (const char *) run, (size_t) (s - run));
        if (c == '\0')
            break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xF];
            n = 6;
        }
        sbuf_append_n(out, esc, n);
        run = ++s;
    }
    sbuf_append_char(out, '"');
    return true;
}

void dto__write_integer(sbuf *out, long long v)
{
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    sbuf_append_n(out, p, (size_t) (buf + sizeof buf - p));
}

/* jansson 2.14 jsonp_dtostr with precision 17. */
static void write_real(sbuf *out, double value)
{
    char buf[64];
    int ret = snprintf(buf, sizeof buf - 3, "%.17g", value);
    if (ret < 0 || (size_t) ret >= sizeof buf - 3)
        return;
    size_t length = (size_t) ret;
    for (char *p = buf; *p; p++) /* jansson's from_locale */
        if (*p == ',')
            *p = '.';
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + length, ".0", 3);
        length += 2;
    }
    char *start = strchr(buf, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, length - (size_t) (end - buf) + 1);
            length -= (size_t) (end - start);
        }
    }
    sbuf_append_n(out, buf, length);
}

bool dto__write_value(sbuf *out, uint32_t oid, const char *text)
{
    if (!text) {
        sbuf_append_n(out, "null", 4);
        return true;
    }
    switch (oid) {
    case DTO_OID_INT2:
    case DTO_OID_INT4:
    case DTO_OID_INT8:
        dto__write_integer(out, strtoll(text, NULL, 10));
        return true;
    case DTO_OID_FLOAT4:
    case DTO_OID_FLOAT8: {
        double d = strtod(text, NULL);
        if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
            return dto__write_string(out, text);
        write_real(out, d);
        return true;
    }
    case DTO_OID_BOOL:
        if (text[0] == 't')
            sbuf_append_n(out, "true", 4);
        else
            sbuf_append_n(out, "false", 5);
        return true;
    case DTO_OID_TIMESTAMPTZ: {
        char buf[64];
        dto_rfc3339(text, buf, sizeof buf);
        return dto__write_string(out, buf);
    }
    case DTO_OID_JSON:
    case DTO_OID_JSONB: {
        json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!j)
            return dto__write_string(out, text);
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(j);
        if (!s)
            return false;
        sbuf_append(out, s);
        free(s);
        return true;
    }
    default:
        return dto__write_string(out, text);
    }
}
