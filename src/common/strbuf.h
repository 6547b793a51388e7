/*
 * strbuf — a growable string in an arena (SQL text, response bodies).
 * The buffer's memory lives in the arena given to sbuf_init(); it is never
 * freed singly. The contents are always NUL-terminated.
 */
#ifndef RETORT_STRBUF_H
#define RETORT_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

typedef struct sbuf {
    arena *arena;
    char *data;
    size_t len, cap;
} sbuf;

void sbuf_init(sbuf *b, arena *a, size_t initial_cap);
void sbuf_append(sbuf *b, const char *s);
void sbuf_append_n(sbuf *b, const char *s, size_t n);
void sbuf_append_char(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a double-quoted SQL identifier ("a""b"). */
void sbuf_append_ident(sbuf *b, const char *s);
/* Appends s as a SQL string literal ('it''s', or E'a\\b' when s holds a
 * backslash): DDL only, for trusted configuration strings. */
void sbuf_append_literal(sbuf *b, const char *s);
/* Appends token as one JSON Pointer reference token (RFC 6901: "~" as
 * "~0", "/" as "~1"), without the "/" that precedes it. */
void sbuf_append_pointer_token(sbuf *b, const char *token);
/* Appends s percent-encoded (RFC 3986): every byte but the unreserved
 * A-Z a-z 0-9 - . _ ~ as %XX. URLs and identity keys ("3,7") use it. */
void sbuf_append_pct(sbuf *b, const char *s);
/* s[0..n) percent-decoded into a ('+' as a space when plus_is_space,
 * else kept). NULL when s holds an invalid escape or a NUL byte. */
char *sbuf_pct_decode(arena *a, const char *s, size_t n, bool plus_is_space);
/* The value of a hex digit of either case; -1 for any other character. */
int sbuf_hex_digit(char c);
void sbuf_reset(sbuf *b);
/* The contents, living in the buffer's arena. */
const char *sbuf_str(const sbuf *b);

#endif
