/*
 * query_common — what every part of the translator uses: the state of a
 * translation (limits, counters), JSON Pointers built lazily from path
 * links, problem recording with the 400-over-422 rule, one-member
 * objects ({"selectinload": ...}, {"any": ...}), names for messages, and
 * the aliases of EXISTS subqueries.
 */
#include <stdio.h>
#include <string.h>

#include "query_int.h"

/* ==== a translation ==================================================== */

void query__begin(query__ctx *x, sql_builder *b, const query_limits *lim, const char *prefix,
                  err_report *err)
{
    memset(x, 0, sizeof *x);
    x->b = b;
    x->a = sql_builder_arena(b);
    x->err = err;
    if (lim)
        x->lim = *lim;
    if (x->lim.default_limit <= 0)
        x->lim.default_limit = QUERY_DEFAULT_LIMIT;
    if (x->lim.max_limit <= 0)
        x->lim.max_limit = QUERY_MAX_LIMIT;
    if (x->lim.default_limit > x->lim.max_limit)
        x->lim.default_limit = x->lim.max_limit;
    if (x->lim.max_depth <= 0)
        x->lim.max_depth = QUERY_MAX_DEPTH;
    if (x->lim.max_depth > SQL_MAX_DEPTH) /* recursion is bounded whatever is asked */
        x->lim.max_depth = SQL_MAX_DEPTH;
    if (x->lim.max_nodes == 0)
        x->lim.max_nodes = QUERY_MAX_NODES;
    if (x->lim.max_in_list == 0)
        x->lim.max_in_list = QUERY_MAX_IN_LIST;
    x->err_was_clean = !err_is_set(err);
    x->builder_problems_before = sql_builder_problems(b);
    x->saved_builder_pointer = sql_builder_pointer(b);
    sql_builder_set_pointer(b, prefix && *prefix ? prefix : NULL);
}

bool query__end(query__ctx *x)
{
    sql_builder_set_pointer(x->b, x->saved_builder_pointer);
    bool builder_failed = sql_builder_problems(x->b) > x->builder_problems_before + x->problems;
    err_report *err = x->err;
    /* Builders report limits as 400s too. */
    if (builder_failed && err)
        x->saw_bad_request = true;
    if (err && x->err_was_clean && x->saw_bad_request && err->kind == ERR_VALIDATION) {
        err->kind = ERR_BAD_REQUEST;
        err->status = err_kind_status(ERR_BAD_REQUEST);
        err->type = err_kind_type(ERR_BAD_REQUEST);
        err->title = err_kind_title(ERR_BAD_REQUEST);
    }
    return x->problems == 0 && !builder_failed;
}

/* ==== pointers ========================================================= */

const char *query__pointer(arena *a, const query__path *p)
{
    size_t n = 0;
    for (const query__path *q = p; q; q = q->up)
        n++;
    const query__path **links = ARENA_ARRAY(a, const query__path *, n ? n : 1);
    size_t i = n;
    for (const query__path *q = p; q; q = q->up)
        links[--i] = q;
    sbuf s;
    sbuf_init(&s, a, 32);
    for (i = 0; i < n; i++) {
        const query__path *l = links[i];
        if (l->raw) {
            sbuf_append(&s, l->raw);
        } else if (l->key) {
            sbuf_append_char(&s, '/');
            sbuf_append_pointer_token(&s, l->key);
        } else {
            sbuf_printf(&s, "/%zu", l->index);
        }
    }
    return sbuf_str(&s);
}

/* ==== problems ========================================================= */

static void problem(query__ctx *x, err_kind kind, const query__path *p, const char *fmt, va_list ap)
{
    x->problems++;
    sql_builder_count_problem(x->b);
    if (kind == ERR_BAD_REQUEST)
        x->saw_bad_request = true;
    if (!x->err)
        return;
    if (x->err->n_items >= ERR_MAX_ITEMS) { /* counted, not formatted */
        err_add_item(x->err, kind, NULL, "%s", "");
        return;
    }
    const char *msg = arena_vsprintf(x->a, fmt, ap);
    err_add_item(x->err, kind, query__pointer(x->a, p), "%s", msg);
}

void query__bad(query__ctx *x, const query__path *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem(x, ERR_BAD_REQUEST, p, fmt, ap);
    va_end(ap);
}

void query__invalid(query__ctx *x, const query__path *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem(x, ERR_VALIDATION, p, fmt, ap);
    va_end(ap);
}

bool query__count_node(query__ctx *x, const query__path *p)
{
    if (x->aborted)
        return false;
    if (++x->nodes <= x->lim.max_nodes)
        return true;
    x->aborted = true;
    query__bad(x, p, "The document is too large: more than %zu keys and array elements.",
               x->lim.max_nodes);
    return false;
}

bool query__orderable(sql_type_kind k)
{
    return k != SQL_TYPE_JSON && k != SQL_TYPE_JSONB && k != SQL_TYPE_BOOLEAN;
}

bool query__is_string(sql_type_kind k)
{
    return k == SQL_TYPE_STRING || k == SQL_TYPE_TEXT || k == SQL_TYPE_CHAR;
}

/* ==== one-member objects =============================================== */

bool query__single_member(const json_t *o, const char **key, const json_t **value)
{
    if (!json_is_object(o) || json_object_size(o) != 1)
        return false;
    void *it = json_object_iter((json_t *) o);
    *key = json_object_iter_key(it);
    *value = json_object_iter_value(it);
    return true;
}

/* ==== names in messages ================================================ */

enum { QUOTE_MAX = 64 };

const char *query__quote(arena *a, const char *name)
{
    size_t n = strlen(name);
    if (n <= QUOTE_MAX)
        return arena_sprintf(a, "\"%s\"", name);
    size_t cut = QUOTE_MAX;
    while (cut > 0 && ((unsigned char) name[cut] & 0xC0) == 0x80) /* UTF-8 boundary */
        cut--;
    return arena_sprintf(a, "\"%.*s...\"", (int) cut, name);
}

static bool nameable(const query__ctx *x, const sql_column *c)
{
    return !c->write_only && (!x->lim.readable || x->lim.readable(x->lim.readable_ctx, c));
}

const sql_column *query__column(const query__ctx *x, const sql_table *t, const char *name)
{
    const sql_column *c = sql_table_column(t, name);
    return c && nameable(x, c) ? c : NULL;
}

const char *query__field_list(const query__ctx *x, const sql_table *t, bool relationships)
{
    sbuf s;
    sbuf_init(&s, x->a, 64);
    sbuf_append(&s, "Columns: ");
    bool first = true;
    for (size_t i = 0; i < t->n_columns; i++) {
        if (!nameable(x, t->columns[i]))
            continue;
        if (!first)
            sbuf_append(&s, ", ");
        first = false;
        sbuf_append(&s, t->columns[i]->name);
    }
    sbuf_append_char(&s, '.');
    for (size_t i = 0; relationships && i < t->n_relations; i++) {
        sbuf_append(&s, i ? ", " : " Relationships: ");
        sbuf_append(&s, t->relations[i]->name);
    }
    if (relationships && t->n_relations)
        sbuf_append_char(&s, '.');
    return sbuf_str(&s);
}

/* ==== aliases ========================================================== */

const char *query__alias(query__ctx *x, const char *table)
{
    for (;;) {
        char num[24];
        int k = snprintf(num, sizeof num, "_%u", ++x->alias_seq);
        size_t room = SQL_MAX_IDENT - (size_t) k;
        size_t n = strlen(table);
        if (n > room) {
            n = room;
            while (n > 0 && ((unsigned char) table[n] & 0xC0) == 0x80)
                n--;
        }
        const char *alias = arena_sprintf(x->a, "%.*s%s", (int) n, table, num);
        const sql_metadata *md = x->root && x->root->table ? x->root->table->metadata : NULL;
        if (md && sql_metadata_table(md, alias))
            continue;
        if (x->root && strcmp(x->root->alias, alias) == 0)
            continue;
        return alias;
    }
}

bool query__label_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SQL_MAX_IDENT)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && (i == 0 || c < '0' || c > '9'))
            return false;
    }
    return true;
}
