/*
 * sql_text — text(): trusted SQL with :name parameters.
 *
 * The text is split once, when the node is built, into verbatim pieces
 * each followed by a parameter name; the compiler then only concatenates
 * and numbers (the same name gets the same $n). The scanner follows
 * PostgreSQL's lexer closely enough to never mistake data for a parameter:
 * it skips 'strings' (with '' escapes), E'strings' (with backslash
 * escapes), "identifiers", $tag$dollar quotes$tag$, -- and nested
 * comments. A colon is a parameter only when it starts :name, is not part
 * of a :: cast, and does not follow a word character (so a[1:n] array
 * slices stay as they are); \: writes a literal colon.
 */
#include <ctype.h>
#include <string.h>

#include "sql_int.h"

static bool word_char(char c)
{
    return isalnum((unsigned char) c) || c == '_' || (unsigned char) c >= 0x80;
}

static bool name_start(char c)
{
    return isalpha((unsigned char) c) || c == '_';
}

typedef struct scan {
    sql_builder *b;
    sql_text *t;
    const char *sql; /* the copy being scanned */
    sbuf piece;      /* verbatim text of the current piece */
    bool bad;
} scan;

static void add_piece(scan *s, int name)
{
    arena *a = s->b->arena;
    SQL__PUSH(a, s->t->pieces, s->t->n_pieces, sql_text_piece);
    sql_text_piece *p = &s->t->pieces[s->t->n_pieces++];
    p->sql = arena_strndup(a, s->piece.data, s->piece.len);
    p->len = s->piece.len;
    p->name = name;
    sbuf_reset(&s->piece);
}

static int name_index(scan *s, const char *name, size_t len)
{
    sql_text *t = s->t;
    for (size_t i = 0; i < t->n_names; i++)
        if (strlen(t->names[i]) == len && memcmp(t->names[i], name, len) == 0)
            return (int) i;
    if (t->n_names >= SQL_MAX_PARAMS) {
        sql__problem(s->b, ERR_BAD_REQUEST, "The text has more than %d parameter names.",
                     SQL_MAX_PARAMS);
        s->bad = true;
        return -1;
    }
    SQL__PUSH(s->b->arena, t->names, t->n_names, const char *);
    t->names[t->n_names] = arena_strndup(s->b->arena, name, len);
    return (int) t->n_names++;
}

/* Copies a quoted section starting at p (the opening quote) into the
 * piece; returns the position after it, or NULL when unterminated. */
static const char *copy_quoted(scan *s, const char *p, char quote, bool backslash)
{
    const char *start = p++;
    for (; *p; p++) {
        if (backslash && *p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == quote) {
            if (p[1] == quote) {
                p++;
                continue;
            }
            sbuf_append_n(&s->piece, start, (size_t) (p + 1 - start));
            return p + 1;
        }
    }
    return NULL;
}

static const char *copy_block_comment(scan *s, const char *p)
{
    const char *start = p;
    int depth = 0;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (p[0] == '*' && p[1] == '/') {
            p += 2;
            if (--depth == 0) {
                sbuf_append_n(&s->piece, start, (size_t) (p - start));
                return p;
            }
        } else {
            p++;
        }
    }
    return NULL;
}

/* $tag$ ... $tag$ (tag may be empty); p at the first $. Returns NULL when
 * p does not start a dollar quote (*unterminated false) or the quote does
 * not end (*unterminated true). */
static const char *copy_dollar_quote(scan *s, const char *p, bool *unterminated)
{
    const char *q = p + 1;
    if (name_start(*q))
        while (word_char(*q) && *q != '$')
            q++;
    *unterminated = false;
    if (*q != '$')
        return NULL;
    size_t tag_len = (size_t) (q + 1 - p);
    const char *end = q + 1;
    for (;;) {
        end = strchr(end, '$');
        if (!end) {
            *unterminated = true;
            return NULL;
        }
        if (strncmp(end, p, tag_len) == 0)
            break;
        end++;
    }
    end += tag_len;
    sbuf_append_n(&s->piece, p, (size_t) (end - p));
    return end;
}

static void unterminated(scan *s, const char *what)
{
    sql__problem(s->b, ERR_BAD_REQUEST, "The text has an unterminated %s.", what);
    s->bad = true;
}

static void parse(scan *s)
{
    const char *p = s->sql;
    while (!s->bad && *p) {
        char c = *p;
        bool after_word = p > s->sql && word_char(p[-1]);
        if (c == '\'') {
            bool e = after_word && (p[-1] == 'E' || p[-1] == 'e') &&
                     !(p - 1 > s->sql && word_char(p[-2]));
            const char *next = copy_quoted(s, p, '\'', e);
            if (!next) {
                unterminated(s, "string");
                break;
            }
            p = next;
        } else if (c == '"') {
            const char *next = copy_quoted(s, p, '"', false);
            if (!next) {
                unterminated(s, "quoted identifier");
                break;
            }
            p = next;
        } else if (c == '-' && p[1] == '-') {
            size_t n = strcspn(p, "\n");
            sbuf_append_n(&s->piece, p, n);
            p += n;
        } else if (c == '/' && p[1] == '*') {
            const char *next = copy_block_comment(s, p);
            if (!next) {
                unterminated(s, "comment");
                break;
            }
            p = next;
        } else if (c == '$' && !after_word) {
            if (isdigit((unsigned char) p[1])) {
                sql__problem(s->b, ERR_BAD_REQUEST,
                             "The text uses a positional parameter; use :name instead.");
                s->bad = true;
                break;
            }
            bool open = false;
            const char *next = copy_dollar_quote(s, p, &open);
            if (open) {
                unterminated(s, "dollar-quoted string");
                break;
            }
            if (!next)
                sbuf_append_char(&s->piece, *p++);
            else
                p = next;
        } else if (c == '\\' && p[1] == ':') {
            sbuf_append_char(&s->piece, ':');
            p += 2;
        } else if (c == ':' && p[1] == ':') {
            sbuf_append_n(&s->piece, p, 2);
            p += 2;
        } else if (c == ':' && name_start(p[1]) && !after_word) {
            const char *name = ++p;
            while (isalnum((unsigned char) *p) || *p == '_')
                p++;
            int idx = name_index(s, name, (size_t) (p - name));
            if (idx >= 0)
                add_piece(s, idx);
        } else {
            sbuf_append_char(&s->piece, c);
            p++;
        }
    }
    if (!s->bad)
        add_piece(s, -1);
}

sql_text *sql_text_new(sql_builder *b, const char *sql)
{
    if (!sql__operand(b, sql, "text"))
        return NULL;
    sql_text *t = SQL__NEW(b, sql_text);
    t->sql = arena_strdup(b->arena, sql);
    scan s = {.b = b, .t = t, .sql = t->sql};
    sbuf_init(&s.piece, b->arena, strlen(sql) + 1);
    parse(&s);
    if (s.bad)
        return NULL;
    t->bindings = ARENA_ARRAY(b->arena, sql_param *, t->n_names ? t->n_names : 1);
    return t;
}

static bool bind(sql_builder *b, sql_text *t, const char *name, sql_value v, sql_type_kind type)
{
    if (!sql__operand(b, t, "text") || !sql__operand(b, name, "parameter name"))
        return false;
    for (size_t i = 0; i < t->n_names; i++) {
        if (strcmp(t->names[i], name) != 0)
            continue;
        if (t->bindings[i]) { /* rebinding: reuse the counted parameter */
            t->bindings[i]->value =
                v.kind == SQL_VAL_TEXT ? sql_val_str(arena_strdup(b->arena, v.u.s)) : v;
            if (type != SQL_TYPE_NONE) {
                t->bindings[i]->type = type;
                t->bindings[i]->cast = true;
            }
            return true;
        }
        sql_param *p = SQL_CAST(type == SQL_TYPE_NONE ? sql_bind(b, v) : sql_bind_cast(b, v, type),
                                sql_param);
        if (!p)
            return false;
        t->bindings[i] = p;
        t->height = 2;
        return true;
    }
    sql__problem(b, ERR_BAD_REQUEST, "The statement has no parameter :%s.", name);
    return false;
}

bool sql_text_bind(sql_builder *b, sql_text *t, const char *name, sql_value v)
{
    return bind(b, t, name, v, SQL_TYPE_NONE);
}

bool sql_text_bind_typed(sql_builder *b, sql_text *t, const char *name, sql_value v,
                         sql_type_kind type)
{
    return bind(b, t, name, v, type);
}
