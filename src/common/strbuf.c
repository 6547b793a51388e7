#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void sbuf_init(sbuf *b, arena *a, size_t initial_cap)
{
    b->arena = a;
    b->cap = initial_cap < 16 ? 16 : initial_cap;
    b->data = arena_alloc(a, b->cap);
    b->len = 0;
}

static void reserve(sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = arena_realloc(b->arena, b->data, b->len + 1, cap);
    b->cap = cap;
}

void sbuf_append_n(sbuf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_append(sbuf *b, const char *s)
{
    sbuf_append_n(b, s, strlen(s));
}

void sbuf_append_char(sbuf *b, char c)
{
    sbuf_append_n(b, &c, 1);
}

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n > 0) {
        reserve(b, (size_t) n);
        vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        b->len += (size_t) n;
    }
    va_end(ap);
}

void sbuf_append_ident(sbuf *b, const char *s)
{
    sbuf_append_char(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            sbuf_append_char(b, '"');
        sbuf_append_char(b, *p);
    }
    sbuf_append_char(b, '"');
}

void sbuf_append_literal(sbuf *b, const char *s)
{
    /* With standard_conforming_strings off a backslash in '...' would be an
     * escape; E'...' means the same under either setting. */
    bool esc = strchr(s, '\\') != NULL;
    if (esc)
        sbuf_append_char(b, 'E');
    sbuf_append_char(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || (esc && *p == '\\'))
            sbuf_append_char(b, *p);
        sbuf_append_char(b, *p);
    }
    sbuf_append_char(b, '\'');
}

void sbuf_append_pointer_token(sbuf *b, const char *token)
{
    for (const char *p = token; *p; p++) {
        if (*p == '~')
            sbuf_append(b, "~0");
        else if (*p == '/')
            sbuf_append(b, "~1");
        else
            sbuf_append_char(b, *p);
    }
}

void sbuf_append_pct(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            sbuf_append_char(b, (char) c);
        } else {
            sbuf_append_char(b, '%');
            sbuf_append_char(b, hex[c >> 4]);
            sbuf_append_char(b, hex[c & 15]);
        }
    }
}

int sbuf_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *sbuf_pct_decode(arena *a, const char *s, size_t n, bool plus_is_space)
{
    char *out = arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return NULL;
            int hi = sbuf_hex_digit(s[i + 1]);
            int lo = sbuf_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char) (hi * 16 + lo);
            if (c == '\0')
                return NULL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    b->data[0] = '\0';
}

const char *sbuf_str(const sbuf *b)
{
    return b->data;
}
