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

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    b->data[0] = '\0';
}

const char *sbuf_str(const sbuf *b)
{
    return b->data;
}
