/*
 * query_params — the query parameters of GET /api/{resource} into a
 * query_doc, the same structure a query document gives:
 *
 *   ?status=paid&order_by=-created_at,id&limit=20&include=user&count=true
 *
 * SPEC: pointers for GET query parameters name the parameter ("/limit",
 * "/order_by"); inside where= they continue into the where document
 * ("/where/email/like"). Parameter values arrive percent-decoded, as text:
 * a column's value is converted to its type here (orm_value_parse_text).
 */
#include <string.h>

#include "query_int.h"

static const char *const CONTROL[] = {"limit",  "offset", "order_by", "include",
                                      "count",  "fields", "where",    "after"};

static bool is_control(const char *name)
{
    for (size_t i = 0; i < sizeof CONTROL / sizeof CONTROL[0]; i++)
        if (strcmp(CONTROL[i], name) == 0)
            return true;
    return false;
}

/* Strict non-negative decimal integer (no sign, no spaces), <= INT64_MAX. */
static bool parse_count(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Calls fn for each comma-separated item of list; an empty item is a
 * problem. */
typedef void (*item_fn)(query__ctx *x, query_doc *q, const char *item, const query__path *p);

static void each_item(query__ctx *x, query_doc *q, const char *list, const query__path *p,
                      item_fn fn)
{
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t) (comma - s) : strlen(s);
        if (!query__count_node(x, p))
            return;
        if (n == 0) {
            query__bad(x, p, "The list %s has an empty item.", query__quote(x->a, list));
        } else {
            fn(x, q, arena_strndup(x->a, s, n), p);
        }
        if (!comma || x->aborted)
            return;
        s = comma + 1;
    }
}

static void order_item(query__ctx *x, query_doc *q, const char *item, const query__path *p)
{
    bool desc = item[0] == '-';
    if (desc && !item[1]) {
        query__bad(x, p, "\"-\" must be followed by a column name.");
        return;
    }
    query__add_order(x, q, desc ? item + 1 : item, desc, SQL_NULLS_DEFAULT, p);
}

static void include_item(query__ctx *x, query_doc *q, const char *item, const query__path *p)
{
    query__add_option(x, q, q->from->table, CFG_LOAD_SELECTIN, item, true, p);
}

static void field_item(query__ctx *x, query_doc *q, const char *item, const query__path *p)
{
    query__add_field(x, q, item, p);
}

static void control(query__ctx *x, query_doc *q, const char *name, const char *value,
                    const query__path *p)
{
    if (strcmp(name, "limit") == 0 || strcmp(name, "offset") == 0) {
        int64_t v;
        if (name[0] == 'l' && strcmp(value, "all") == 0) {
            query__set_all(x, q, p);
            return;
        }
        if (!parse_count(value, &v)) {
            query__bad(x, p, "The %s is a non-negative integer, not %s.", name,
                       query__quote(x->a, value));
            return;
        }
        query__set_paging(x, q, name[0] == 'l', v, p);
    } else if (strcmp(name, "order_by") == 0) {
        each_item(x, q, value, p, order_item);
    } else if (strcmp(name, "include") == 0) {
        each_item(x, q, value, p, include_item);
    } else if (strcmp(name, "fields") == 0) {
        each_item(x, q, value, p, field_item);
    } else if (strcmp(name, "after") == 0) {
        if (!*value)
            query__bad(x, p, "after is the cursor a previous page gave in meta.next.");
        else
            query__set_after(x, q, value, p);
    } else if (strcmp(name, "count") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
            q->count = value[0] == 't';
        else
            query__bad(x, p, "count is true or false, not %s.", query__quote(x->a, value));
    } else { /* where */
        json_error_t jerr;
        json_t *doc = json_loads(value, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc) {
            query__bad(x, p, "where= is not a JSON object: %s (at character %d).", jerr.text,
                       jerr.position);
            return;
        }
        sql_node *cond;
        sql_builder_set_pointer(x->b, "/where");
        if (query__where(x, q->from, doc, p, &cond))
            query__and_where(x, q, cond);
        sql_builder_set_pointer(x->b, NULL);
        json_decref(doc);
    }
}

/* "eq.5", "gte.2026-01-01", "in.(1,2)": another tool's operator syntax.
 * Taken as a value it would quietly match nothing; it is a 400 that shows
 * retort's form instead. */
static const char *foreign_operator(const char *value)
{
    static const char *const OPS[] = {"eq",    "neq", "gt", "gte", "lt", "lte", "like",
                                      "ilike", "in",  "is", "not", "cs", "cd",  "fts"};
    const char *dot = strchr(value, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strlen(OPS[i]) == (size_t) (dot - value) &&
            strncmp(OPS[i], value, (size_t) (dot - value)) == 0)
            return OPS[i];
    return NULL;
}

/* name=value for a column: equality with the converted value. */
static void equality(query__ctx *x, query_doc *q, const sql_column *c, const char *value,
                     const query__path *p)
{
    const char *op = foreign_operator(value);
    if (op) {
        query__bad(x, p,
                   "%s=%s looks like another tool's operator syntax; name=value means equality "
                   "here. Filter with where=, e.g. where={\"%s\": {\"%s\": ...}} (operators eq "
                   "ne lt le gt ge like ilike in not_in is_null between).",
                   c->name, query__quote(x->a, value), c->name,
                   strcmp(op, "gte") == 0   ? "ge"
                   : strcmp(op, "lte") == 0 ? "le"
                   : strcmp(op, "neq") == 0 ? "ne"
                                            : op);
        return;
    }
    sql_value v;
    const char *msg = orm_value_parse_text(x->a, c, value, ORM_VALUE_STRICT, &v);
    if (msg) {
        query__invalid(x, p, "%s", msg);
        return;
    }
    sql_builder_set_pointer(x->b, query__pointer(x->a, p)); /* for limits the builders find */
    sql_node *col = sql_col_of(x->b, q->from, c);
    sql_node *param = col ? sql_bind(x->b, v) : NULL;
    sql_node *cond = param ? sql_eq(x->b, col, param) : NULL;
    if (cond)
        query__and_where(x, q, cond);
    sql_builder_set_pointer(x->b, NULL);
}

bool query_parse_params(sql_builder *b, const sql_from *from, const char *const *names,
                        const char *const *values, size_t n, const query_limits *lim,
                        query_doc *out, err_report *err)
{
    query__ctx x;
    query__begin(&x, b, lim, NULL, err);
    query__query_init(&x, out, from);
    if (!from || !from->table) {
        query__path root = QUERY__ROOT("");
        query__bad(&x, &root, "Query parameters need a table to apply to.");
        return query__end(&x);
    }
    const sql_table *t = from->table;
    for (size_t i = 0; i < n && !x.aborted; i++) {
        const char *name = names[i] ? names[i] : "";
        const char *value = values && values[i] ? values[i] : "";
        query__path p = QUERY__KEY(NULL, name);
        if (!query__count_node(&x, &p))
            break;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = names[j] && strcmp(names[j], name) == 0;
        if (dup) {
            query__bad(&x, &p, "The parameter %s is given more than once.",
                       query__quote(x.a, name));
            continue;
        }
        const sql_column *c;
        if (is_control(name)) {
            control(&x, out, name, value, &p);
        } else if ((c = query__column(&x, t, name))) {
            equality(&x, out, c, value, &p);
        } else if (sql_table_relation(t, name)) {
            query__bad(&x, &p,
                       "\"%s\" is a relationship: filter it with where={\"%s\": {\"%s\": "
                       "{...}}}, load it with include=%s.",
                       name, name,
                       sql_table_relation(t, name)->kind == SQL_REL_TO_MANY ? "any" : "has", name);
        } else {
            query__bad(&x, &p,
                       "Unknown query parameter %s; expected limit, offset, after, order_by, include, "
                       "count, fields, where, or a column of %s. %s",
                       query__quote(x.a, name), t->name, query__field_list(&x, t, true));
        }
    }
    query__path lp = QUERY__KEY(NULL, "limit");
    query__check_all(&x, out, &lp);
    return query__end(&x);
}
