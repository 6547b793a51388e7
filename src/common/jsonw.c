/*
 * jsonw — JSON text or a jansson tree from one sequence of calls (see
 * jsonw.h). Text mode reproduces jansson 2.14's compact dump: dump_string
 * for strings (UTF-8 checked as utf8_check_first/utf8_check_full do),
 * "%lld" for integers, jsonp_dtostr with precision 17 for reals.
 */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init_text(jsonw *w, sbuf *out)
{
    *w = (jsonw){.out = out};
}

void jsonw_init_tree(jsonw *w, arena *a)
{
    *w = (jsonw){.a = a};
}

json_t *jsonw_root(const jsonw *w)
{
    return w->root;
}

static void decref(void *v)
{
    json_decref(v);
}

json_t *jsonw_arena_new(arena *a, json_t *v)
{
    if (v)
        arena_on_reset(a, decref, v);
    return v;
}

void jsonw_key(jsonw *w, const char *key)
{
    w->key = key;
}

/* ---- text mode ------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s (lead byte >= 0x80, at most
 * left bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
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
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = (v << 6) + (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

/* A JSON string; false (out as it was) for text that is not UTF-8. */
static bool text_string(sbuf *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    const unsigned char *s = (const unsigned char *) text, *end = s + len, *run = s;
    sbuf_append_char(out, '"');
    while (s < end) {
        unsigned char c = *s;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(s, (size_t) (end - s));
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
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char) c;
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
    if (s > run)
        sbuf_append_n(out, (const char *) run, (size_t) (s - run));
    sbuf_append_char(out, '"');
    return true;
}

/* The separator and member name before a value; false (out as it was)
 * when the name is not UTF-8. */
static bool text_prefix(jsonw *w)
{
    sbuf *o = w->out;
    if (o->len) {
        char last = o->data[o->len - 1];
        if (last != '{' && last != '[' && last != ':' && last != ',')
            sbuf_append_char(o, ',');
    }
    const char *key = w->key;
    w->key = NULL;
    if (!key)
        return true;
    if (!text_string(o, key, strlen(key)))
        return false;
    sbuf_append_char(o, ':');
    return true;
}

/* Forgets a member whose value cannot be written. */
static void text_undo(jsonw *w, size_t mark)
{
    w->out->len = mark;
    w->out->data[mark] = '\0';
}

/* jansson 2.14 jsonp_dtostr with precision 17. */
static void text_real(sbuf *out, double value)
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

static void text_integer(sbuf *out, long long v)
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

/* ---- tree mode ------------------------------------------------------------ */

/* v (a new reference, NULL = a value jansson refused) into the innermost
 * container, or as the root. */
static void tree_put(jsonw *w, json_t *v)
{
    const char *key = w->key;
    w->key = NULL;
    if (!w->depth) {
        if (!w->root)
            w->root = w->a ? jsonw_arena_new(w->a, v) : v;
        else
            json_decref(v);
    } else if (json_is_object(w->stack[w->depth - 1])) {
        json_object_set_new(w->stack[w->depth - 1], key ? key : "", v);
    } else {
        json_array_append_new(w->stack[w->depth - 1], v);
    }
}

/* ---- both ----------------------------------------------------------------- */

static void begin(jsonw *w, bool object)
{
    if (w->out) {
        size_t mark = w->out->len;
        if (!text_prefix(w))
            text_undo(w, mark);
        sbuf_append_char(w->out, object ? '{' : '[');
        return;
    }
    json_t *c = object ? json_object() : json_array();
    tree_put(w, c);
    if (w->depth == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->stack = realloc(w->stack, w->cap * sizeof *w->stack);
        if (!w->stack)
            abort();
    }
    w->stack[w->depth++] = c;
}

static void end(jsonw *w, bool object)
{
    if (w->out) {
        sbuf_append_char(w->out, object ? '}' : ']');
    } else if (w->depth && !--w->depth) {
        free(w->stack); /* the root is closed: nothing more to nest into */
        w->stack = NULL;
        w->cap = 0;
    }
}

void jsonw_object_begin(jsonw *w)
{
    begin(w, true);
}

void jsonw_object_end(jsonw *w)
{
    end(w, true);
}

void jsonw_array_begin(jsonw *w)
{
    begin(w, false);
}

void jsonw_array_end(jsonw *w)
{
    end(w, false);
}

bool jsonw_stringn(jsonw *w, const char *s, size_t n)
{
    if (!w->out) {
        json_t *v = json_stringn(s, n);
        tree_put(w, v);
        return v != NULL;
    }
    size_t mark = w->out->len;
    if (text_prefix(w) && text_string(w->out, s, n))
        return true;
    text_undo(w, mark);
    return false;
}

bool jsonw_string(jsonw *w, const char *s)
{
    return jsonw_stringn(w, s, strlen(s));
}

void jsonw_integer(jsonw *w, long long v)
{
    if (!w->out) {
        tree_put(w, json_integer((json_int_t) v));
        return;
    }
    size_t mark = w->out->len;
    if (text_prefix(w))
        text_integer(w->out, v);
    else
        text_undo(w, mark);
}

void jsonw_real(jsonw *w, double v)
{
    if (!w->out) {
        tree_put(w, json_real(v));
        return;
    }
    size_t mark = w->out->len;
    if (text_prefix(w))
        text_real(w->out, v);
    else
        text_undo(w, mark);
}

static void literal(jsonw *w, const char *text, json_t *v)
{
    if (!w->out) {
        tree_put(w, v);
        return;
    }
    size_t mark = w->out->len;
    if (text_prefix(w))
        sbuf_append(w->out, text);
    else
        text_undo(w, mark);
}

void jsonw_bool(jsonw *w, bool v)
{
    literal(w, v ? "true" : "false", w->out ? NULL : json_boolean(v));
}

void jsonw_null(jsonw *w)
{
    literal(w, "null", w->out ? NULL : json_null());
}

void jsonw_json(jsonw *w, const json_t *v)
{
    if (!w->out) {
        tree_put(w, json_incref((json_t *) v));
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *child;
        jsonw_object_begin(w);
        json_object_foreach((json_t *) v, key, child)
        {
            jsonw_key(w, key);
            jsonw_json(w, child);
        }
        jsonw_object_end(w);
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *child;
        jsonw_array_begin(w);
        json_array_foreach(v, i, child)
            jsonw_json(w, child);
        jsonw_array_end(w);
        return;
    }
    case JSON_STRING:
        jsonw_stringn(w, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        jsonw_integer(w, (long long) json_integer_value(v));
        return;
    case JSON_REAL:
        jsonw_real(w, json_real_value(v));
        return;
    case JSON_TRUE:
    case JSON_FALSE:
        jsonw_bool(w, json_is_true(v));
        return;
    case JSON_NULL:
        jsonw_null(w);
        return;
    }
}
