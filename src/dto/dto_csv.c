/*
 * dto_csv — lists as CSV (RFC 4180): a header row, then one record per
 * entity or row, CRLF line ends. Each field holds what the JSON form of
 * the value holds (the same writer decides it: RFC 3339 timestamps, exact
 * numeric digits, true/false, JSON text for json columns); strings
 * unquoted unless they contain a comma, a quote, CR or LF. NULL is an
 * empty field and the empty string is "" (PostgreSQL's COPY convention),
 * so the two stay apart.
 */
#include <stdlib.h>
#include <string.h>

#include "dto_int.h"

static void quoted(sbuf *b, const char *s, size_t n, bool force)
{
    if (!force && !memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\r', n) &&
        !memchr(s, '\n', n)) {
        sbuf_append_n(b, s, n);
        return;
    }
    sbuf_append_char(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            sbuf_append_char(b, '"');
        sbuf_append_char(b, s[i]);
    }
    sbuf_append_char(b, '"');
}

void dto_csv_value(sbuf *b, const json_t *v)
{
    if (!v || json_is_null(v))
        return;
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        quoted(b, json_string_value(v), n, n == 0);
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text) {
        quoted(b, text, strlen(text), false);
        free(text);
    }
}

static void header(sbuf *b, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_append_char(b, ',');
        quoted(b, names[i], strlen(names[i]), false);
    }
    sbuf_append(b, "\r\n");
}

/* The columns a DTO shows: fields' columns, or every column that is not
 * write_only; never one the session's role may not read (not even in the
 * header). */
static size_t shown_columns(const orm_session *s, const orm_mapper *m, const char *const *fields,
                            size_t n_fields, size_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_columns; i++) {
        if (m->model->columns[i].write_only || !orm_session_column_readable(s, m->columns[i]))
            continue;
        bool named = n_fields == 0;
        for (size_t f = 0; f < n_fields && !named; f++)
            named = strcmp(fields[f], m->model->columns[i].name) == 0;
        if (named)
            out[n++] = i;
    }
    return n;
}

void dto_csv_entities(sbuf *b, const orm_session *s, const orm_mapper *m,
                      orm_entity *const *items, size_t n, const char *const *fields,
                      size_t n_fields)
{
    arena *a = b->arena;
    size_t *cols = ARENA_ARRAY(a, size_t, m->n_columns + 1);
    size_t nc = shown_columns(s, m, fields, n_fields, cols);
    const char **names = ARENA_ARRAY(a, const char *, nc + 1);
    for (size_t c = 0; c < nc; c++)
        names[c] = m->model->columns[cols[c]].name;
    header(b, names, nc);
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                sbuf_append_char(b, ',');
            const char *text = orm_entity_get(items[r], cols[c]);
            if (!text)
                continue;
            jsonw w;
            jsonw_init_tree(&w, NULL);
            dto_write_column(&w, m->columns[cols[c]], text);
            json_t *v = jsonw_root(&w);
            dto_csv_value(b, v);
            json_decref(v);
        }
        sbuf_append(b, "\r\n");
    }
}

void dto_csv_header(sbuf *b, const eng_result *r)
{
    int cols = eng_result_cols(r);
    const char **names = ARENA_ARRAY(b->arena, const char *, (size_t) cols + 1);
    for (int c = 0; c < cols; c++)
        names[c] = eng_result_colname(r, c);
    header(b, names, (size_t) cols);
}

void dto_csv_row(sbuf *b, const eng_result *r, int row)
{
    for (int c = 0; c < eng_result_cols(r); c++) {
        if (c)
            sbuf_append_char(b, ',');
        json_t *v = dto_cell(r, row, c);
        dto_csv_value(b, v);
        json_decref(v);
    }
    sbuf_append(b, "\r\n");
}

void dto_csv_rows(sbuf *b, const eng_result *r)
{
    dto_csv_header(b, r);
    for (int row = 0; row < eng_result_rows(r); row++)
        dto_csv_row(b, r, row);
}
