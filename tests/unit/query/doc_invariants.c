#include "doc_invariants.h"

#include <stdlib.h>
#include <string.h>

typedef struct walk_state {
    int max_depth;
    size_t n_params;
} walk_state;

static sql_walk_action visit(const sql_node *n, int depth, void *ctx)
{
    walk_state *w = ctx;
    if (depth > w->max_depth)
        w->max_depth = depth;
    if (n->kind == SQL_PARAM)
        w->n_params++;
    return SQL_WALK_CONTINUE;
}

static const char *const WORDS[] = {
    "SELECT",    "DELETE",  "DISTINCT", "FROM",    "WHERE",   "AND",     "OR",          "NOT",
    "IS",        "NULL",    "TRUE",     "FALSE",   "BETWEEN", "LIKE",    "ILIKE",       "ANY",
    "ALL",       "EXISTS",  "JOIN",     "LEFT",    "OUTER",   "ON",      "AS",          "GROUP",
    "BY",        "ORDER",   "DESC",     "NULLS",   "FIRST",   "LAST",    "LIMIT",       "OFFSET",
    "count",     "sum",     "avg",      "min",     "max",     "integer", "bigint",      "double",
    "precision", "numeric", "text",     "boolean", "uuid",    "date",    "timestamptz", "jsonb",
};

static bool word_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++)
        if (strlen(WORDS[i]) == n && memcmp(WORDS[i], s, n) == 0)
            return true;
    return false;
}

static bool plain_ident(const char *s)
{
    if (!*s || strlen(s) > SQL_MAX_IDENT)
        return false;
    for (const char *p = s; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!alpha && (p == s || *p < '0' || *p > '9'))
            return false;
    }
    return true;
}

static bool metadata_name(const sql_metadata *md, const char *s)
{
    for (size_t i = 0; i < md->n_tables; i++) {
        const sql_table *t = md->tables[i];
        if (strcmp(t->name, s) == 0)
            return true;
        for (size_t j = 0; j < t->n_columns; j++)
            if (strcmp(t->columns[j]->name, s) == 0)
                return true;
    }
    return false;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *doc_check_invariants(const sql_node *stmt, const sql_compiled *c,
                                 const sql_metadata *md, arena *a)
{
    if (!stmt || !c || !c->sql)
        return "nothing compiled";
    if (stmt->height > SQL_MAX_DEPTH)
        return arena_sprintf(a, "tree height %d > SQL_MAX_DEPTH", stmt->height);
    walk_state w = {0};
    if (!sql_walk(stmt, visit, &w))
        return "the walk failed (tree deeper than SQL_MAX_DEPTH)";
    if (w.max_depth > SQL_MAX_DEPTH)
        return arena_sprintf(a, "walk depth %d > SQL_MAX_DEPTH", w.max_depth);
    if (c->n_params > SQL_MAX_PARAMS)
        return "more than SQL_MAX_PARAMS parameters";
    if (w.n_params != c->n_params)
        return arena_sprintf(a, "the walk met %zu parameters, the compiler made %zu", w.n_params,
                             c->n_params);

    bool *seen = calloc(c->n_params + 1, 1);
    const char *why = NULL;
    size_t highest = 0;
    const char *p = c->sql;
    while (*p && !why) {
        if (*p == ' ') {
            p++;
        } else if (*p == '"') { /* "ident" with "" for " */
            char *id = arena_alloc(a, strlen(p) + 1);
            size_t n = 0;
            for (p++;; p++) {
                if (!*p) {
                    why = "unterminated quoted identifier";
                    break;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        id[n++] = '"';
                        p++;
                        continue;
                    }
                    p++;
                    break;
                }
                id[n++] = *p;
            }
            id[n] = '\0';
            if (!why && !metadata_name(md, id) && !plain_ident(id))
                why = arena_sprintf(a, "identifier \"%s\" is neither metadata nor plain", id);
        } else if (*p == '$') {
            p++;
            if (!is_digit(*p)) {
                why = "a $ not followed by digits";
                break;
            }
            size_t k = 0;
            while (is_digit(*p))
                k = k * 10 + (size_t) (*p++ - '0');
            if (k == 0 || k > c->n_params)
                why = arena_sprintf(a, "$%zu outside 1..%zu", k, c->n_params);
            else
                seen[k] = true;
            if (k > highest)
                highest = k;
        } else if (is_alpha(*p)) {
            const char *s = p;
            while (is_alpha(*p) || is_digit(*p))
                p++;
            if (!word_ok(s, (size_t) (p - s)))
                why = arena_sprintf(a, "unexpected word \"%.*s\"", (int) (p - s), s);
        } else if (*p == '1' && !is_digit(p[1])) { /* SELECT 1 */
            p++;
        } else if (strchr("(),.=*[]", *p)) {
            p++;
        } else if (*p == '<' || *p == '>') {
            p++;
            if (*p == '=' || *p == '>')
                p++;
        } else if (p[0] == ':' && p[1] == ':') {
            p += 2;
        } else {
            why = arena_sprintf(a, "unexpected character '%c' in SQL", *p);
        }
    }
    for (size_t k = 1; !why && k <= c->n_params; k++)
        if (!seen[k])
            why = arena_sprintf(a, "$%zu is missing (placeholders not dense)", k);
    free(seen);
    return why;
}
