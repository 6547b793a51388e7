/*
 * sql_doc_query — the query document of POST .../query into a
 * sql_doc_query: where (sql_doc_where.c), order_by, limit, offset, fields,
 * options, count, group_by and aggregates. The pieces that GET parameters
 * share (options from dotted paths, order items, fields, paging) are here
 * too, as sql_doc__ functions.
 *
 * Keys are handled in a fixed order, not the document's (group_by and
 * aggregates first, since order_by may name their columns and labels), so
 * the same document always gives the same problems in the same order.
 */
#include <string.h>

#include "sql_doc_int.h"

/* ==== the query ========================================================= */

void sql_doc__query_init(sql_doc__ctx *x, sql_doc_query *q, const sql_from *from)
{
    memset(q, 0, sizeof *q);
    q->from = from;
    q->limit = x->lim.default_limit;
    x->root = from;
}

bool sql_doc__and_where(sql_doc__ctx *x, sql_doc_query *q, sql_node *cond)
{
    if (!cond)
        return true;
    if (!q->where) {
        q->where = cond;
        return true;
    }
    q->where = sql_and2(x->b, q->where, cond);
    return q->where != NULL;
}

bool sql_doc__set_paging(sql_doc__ctx *x, sql_doc_query *q, bool is_limit, int64_t v,
                         const sql_doc__path *p)
{
    const char *what = is_limit ? "limit" : "offset";
    if (v < 0) {
        sql_doc__bad(x, p, "The %s must not be negative.", what);
        return false;
    }
    if (is_limit && v > x->lim.max_limit) {
        sql_doc__bad(x, p, "The limit must be at most %d.", x->lim.max_limit);
        return false;
    }
    if (is_limit)
        q->limit = v;
    else
        q->offset = v;
    return true;
}

/* ==== array-valued keys ================================================= */

/* What to do with one element of an array-valued key; p is its path. */
typedef void (*item_fn)(sql_doc__ctx *x, sql_doc_query *q, const json_t *item,
                        const sql_doc__path *p);

/* Calls fn on every element of v, each counted against max_nodes. Anything
 * but an array (with non_empty, also an empty one) is one 400 at p:
 * "<takes>, not <what v is>." */
static void each_item(sql_doc__ctx *x, sql_doc_query *q, const json_t *v, const sql_doc__path *p,
                      bool non_empty, const char *takes, item_fn fn)
{
    if (!json_is_array(v) || (non_empty && json_array_size(v) == 0)) {
        sql_doc__bad(x, p, "%s, not %s.", takes,
                     json_is_array(v) ? "an empty array" : sql_doc__json_type(v));
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        sql_doc__path ep = SQL_DOC__INDEX(p, i);
        if (!sql_doc__count_node(x, &ep))
            return;
        fn(x, q, json_array_get(v, i), &ep);
    }
}

/* ==== loader options ==================================================== */

static const char *const LOAD_NAMES[] = {
    [SQL_DOC_LOAD_SELECTIN] = "selectinload", [SQL_DOC_LOAD_JOINED] = "joinedload",
    [SQL_DOC_LOAD_SELECT] = "lazyload",       [SQL_DOC_LOAD_RAISE] = "raiseload",
    [SQL_DOC_LOAD_NOLOAD] = "noload",
};

const char *sql_doc_load_name(sql_doc_load kind)
{
    if ((unsigned) kind < sizeof LOAD_NAMES / sizeof LOAD_NAMES[0])
        return LOAD_NAMES[kind];
    return "?";
}

static bool load_parse(const char *name, sql_doc_load *out)
{
    for (size_t i = 0; i < sizeof LOAD_NAMES / sizeof LOAD_NAMES[0]; i++) {
        if (strcmp(LOAD_NAMES[i], name) == 0) {
            *out = (sql_doc_load) i;
            return true;
        }
    }
    if (strcmp(name, "selectload") == 0) {
        *out = SQL_DOC_LOAD_SELECT;
        return true;
    }
    return false;
}

static const char *relation_list(arena *a, const sql_table *t)
{
    if (t->n_relations == 0)
        return arena_sprintf(a, "\"%s\" has no relationships", t->name);
    sbuf s;
    sbuf_init(&s, a, 64);
    sbuf_printf(&s, "the relationships of \"%s\" are ", t->name);
    for (size_t i = 0; i < t->n_relations; i++) {
        if (i)
            sbuf_append(&s, ", ");
        sbuf_append(&s, t->relations[i]->name);
    }
    return sbuf_str(&s);
}

bool sql_doc__add_option(sql_doc__ctx *x, sql_doc_query *q, const sql_table *t, sql_doc_load kind,
                         const char *path, bool include, const sql_doc__path *p)
{
    size_t len = strlen(path);
    if (len == 0) {
        sql_doc__bad(x, p, "A loader path names a relationship (\"orders\", \"orders.user\").");
        return false;
    }
    size_t n_hops = 1;
    for (const char *c = path; *c; c++)
        n_hops += *c == '.';
    if (n_hops > (size_t) x->lim.max_depth) {
        sql_doc__bad(x, p, "The loader path has more than %d hops.", x->lim.max_depth);
        return false;
    }
    const sql_relation **hops = ARENA_ARRAY(x->a, const sql_relation *, n_hops);
    size_t n = 0;
    bool wildcard = false;
    const sql_table *at = t;
    const char *seg = path;
    for (size_t i = 0; i < n_hops; i++) {
        const char *dot = strchr(seg, '.');
        size_t sl = dot ? (size_t) (dot - seg) : strlen(seg);
        const char *name = arena_strndup(x->a, seg, sl);
        bool last = i + 1 == n_hops;
        if (sl == 1 && name[0] == '*') {
            if (!last) {
                sql_doc__bad(x, p, "\"*\" may only end a loader path.");
                return false;
            }
            if (kind != SQL_DOC_LOAD_RAISE && kind != SQL_DOC_LOAD_NOLOAD) {
                sql_doc__bad(x, p, "\"*\" is only allowed with raiseload and noload, not %s.",
                             include ? "include" : sql_doc_load_name(kind));
                return false;
            }
            wildcard = true;
            break;
        }
        const sql_relation *rel = sl ? sql_table_relation(at, name) : NULL;
        if (!rel) {
            if (sl && sql_table_column(at, name))
                sql_doc__bad(x, p, "%s is a column of \"%s\", not a relationship.",
                             sql_doc__quote(x->a, name), at->name);
            else if (!sl)
                sql_doc__bad(x, p, "The loader path %s has an empty step.",
                             sql_doc__quote(x->a, path));
            else
                sql_doc__bad(x, p, "Unknown relationship %s in %s: %s.", sql_doc__quote(x->a, name),
                             sql_doc__quote(x->a, path), relation_list(x->a, at));
            return false;
        }
        hops[n++] = rel;
        at = rel->target;
        seg = dot ? dot + 1 : seg + sl;
    }
    SQL__PUSH(x->a, q->options, q->n_options, sql_doc_option);
    q->options[q->n_options++] = (sql_doc_option){
        .kind = kind,
        .path = arena_strdup(x->a, path),
        .hops = hops,
        .n_hops = n,
        .wildcard = wildcard,
        .include = include,
        .pointer = sql_doc__pointer(x->a, p),
    };
    return true;
}

static void option_item(sql_doc__ctx *x, sql_doc_query *q, const json_t *o, const sql_doc__path *p)
{
    const char *key;
    const json_t *path;
    if (!sql_doc__single_member(o, &key, &path)) {
        sql_doc__bad(x, p,
                     "A loader option is an object with one key (selectinload, joinedload, "
                     "lazyload, raiseload or noload) and a path.");
        return;
    }
    sql_doc__path kp = SQL_DOC__KEY(p, key);
    sql_doc_load kind;
    if (!load_parse(key, &kind)) {
        sql_doc__bad(x, &kp,
                     "Unknown loader option %s; expected selectinload, joinedload, "
                     "lazyload (selectload), raiseload or noload.",
                     sql_doc__quote(x->a, key));
        return;
    }
    if (!json_is_string(path)) {
        sql_doc__bad(x, &kp, "A loader option takes a path string (\"orders.user\"), not %s.",
                     sql_doc__json_type(path));
        return;
    }
    sql_doc__add_option(x, q, q->from->table, kind, json_string_value(path), false, &kp);
}

static void parse_options(sql_doc__ctx *x, sql_doc_query *q, const json_t *v,
                          const sql_doc__path *p)
{
    each_item(x, q, v, p, false, "\"options\" takes an array like [{\"selectinload\": \"orders\"}]",
              option_item);
}

/* ==== fields, order_by, group_by, aggregates ============================ */

bool sql_doc__add_field(sql_doc__ctx *x, sql_doc_query *q, const char *name, const sql_doc__path *p)
{
    const sql_table *t = q->from->table;
    const sql_column *c = sql_doc__column(t, name);
    const sql_relation *rel = c ? NULL : sql_table_relation(t, name);
    if (!c && !rel) {
        sql_doc__bad(x, p, "Unknown field %s on %s. %s", sql_doc__quote(x->a, name), t->name,
                     sql_doc__field_list(x->a, t, true));
        return false;
    }
    for (size_t i = 0; i < q->n_fields; i++) {
        if (strcmp(q->fields[i], name) == 0) {
            sql_doc__bad(x, p, "The field \"%s\" is listed twice.", name);
            return false;
        }
    }
    size_t n = q->n_fields;
    SQL__PUSH(x->a, q->fields, n, const char *);
    SQL__PUSH(x->a, q->field_columns, n, const sql_column *);
    SQL__PUSH(x->a, q->field_relations, n, const sql_relation *);
    q->fields[n] = c ? c->name : rel->name;
    q->field_columns[n] = c;
    q->field_relations[n] = rel;
    q->n_fields = n + 1;
    return true;
}

static void field_item(sql_doc__ctx *x, sql_doc_query *q, const json_t *f, const sql_doc__path *p)
{
    if (!json_is_string(f)) {
        sql_doc__bad(x, p, "A field name is a string, not %s.", sql_doc__json_type(f));
        return;
    }
    sql_doc__add_field(x, q, json_string_value(f), p);
}

static void parse_fields(sql_doc__ctx *x, sql_doc_query *q, const json_t *v, const sql_doc__path *p)
{
    each_item(x, q, v, p, true, "\"fields\" takes a non-empty array of field names", field_item);
}

bool sql_doc__add_order(sql_doc__ctx *x, sql_doc_query *q, const char *name, bool desc,
                        sql_nulls nulls, const sql_doc__path *p)
{
    const sql_table *t = q->from->table;
    sql_doc_order o = {.name = NULL, .desc = desc, .nulls = nulls};
    if (q->is_aggregate) {
        for (size_t i = 0; i < q->n_group_by && !o.name; i++)
            if (strcmp(q->group_by[i]->name, name) == 0) {
                o.column = q->group_by[i];
                o.name = o.column->name;
            }
        for (size_t i = 0; i < q->n_aggregates && !o.name; i++)
            if (strcmp(q->aggregates[i].label, name) == 0) {
                o.aggregate = i;
                o.name = q->aggregates[i].label;
            }
        if (!o.name) {
            sql_doc__bad(x, p,
                         "An aggregate query is ordered by its group_by columns or aggregate "
                         "labels; %s is neither.",
                         sql_doc__quote(x->a, name));
            return false;
        }
    } else {
        o.column = sql_doc__column(t, name);
        if (!o.column) {
            if (sql_table_relation(t, name))
                sql_doc__bad(x, p, "\"%s\" is a relationship; order_by takes columns of %s.", name,
                             t->name);
            else
                sql_doc__bad(x, p, "Unknown column %s on %s for order_by. %s",
                             sql_doc__quote(x->a, name), t->name,
                             sql_doc__field_list(x->a, t, false));
            return false;
        }
        o.name = o.column->name;
    }
    SQL__PUSH(x->a, q->order, q->n_order, sql_doc_order);
    q->order[q->n_order++] = o;
    return true;
}

/* "asc" / "desc", or {"dir": ..., "nulls": "first"|"last"}. */
static bool order_spec(sql_doc__ctx *x, const json_t *spec, const sql_doc__path *p, bool *desc,
                       sql_nulls *nulls)
{
    *desc = false;
    *nulls = SQL_NULLS_DEFAULT;
    const json_t *dir = spec, *nl = NULL;
    if (json_is_object(spec)) {
        const char *key;
        const json_t *v;
        bool ok = true;
        dir = NULL;
        json_object_foreach((json_t *) spec, key, v)
        {
            sql_doc__path kp = SQL_DOC__KEY(p, key);
            if (!sql_doc__count_node(x, &kp))
                return false;
            if (strcmp(key, "dir") == 0) {
                dir = v;
            } else if (strcmp(key, "nulls") == 0) {
                nl = v;
            } else {
                sql_doc__bad(x, &kp, "Unknown key %s in an order_by item; expected dir or nulls.",
                             sql_doc__quote(x->a, key));
                ok = false;
            }
        }
        if (!ok)
            return false;
        if (nl) {
            sql_doc__path np = SQL_DOC__KEY(p, "nulls");
            const char *s = json_string_value(nl);
            if (s && strcmp(s, "first") == 0) {
                *nulls = SQL_NULLS_FIRST;
            } else if (s && strcmp(s, "last") == 0) {
                *nulls = SQL_NULLS_LAST;
            } else {
                sql_doc__bad(x, &np, "\"nulls\" is \"first\" or \"last\".");
                return false;
            }
        }
        if (!dir)
            return true;
        sql_doc__path dp = SQL_DOC__KEY(p, "dir");
        const char *s = json_string_value(dir);
        if (s && (strcmp(s, "asc") == 0 || strcmp(s, "desc") == 0)) {
            *desc = s[0] == 'd';
            return true;
        }
        sql_doc__bad(x, &dp, "\"dir\" is \"asc\" or \"desc\".");
        return false;
    }
    const char *s = json_string_value(dir);
    if (s && (strcmp(s, "asc") == 0 || strcmp(s, "desc") == 0)) {
        *desc = s[0] == 'd';
        return true;
    }
    sql_doc__bad(x, p,
                 "An order_by direction is \"asc\" or \"desc\" (or {\"dir\": \"desc\", "
                 "\"nulls\": \"last\"}).");
    return false;
}

static void order_item(sql_doc__ctx *x, sql_doc_query *q, const json_t *item,
                       const sql_doc__path *p)
{
    if (json_is_string(item)) {
        sql_doc__add_order(x, q, json_string_value(item), false, SQL_NULLS_DEFAULT, p);
        return;
    }
    const char *name;
    const json_t *spec;
    if (!sql_doc__single_member(item, &name, &spec)) {
        sql_doc__bad(x, p,
                     "An order_by item is a column name or an object with one column: "
                     "{\"created_at\": \"desc\"}.");
        return;
    }
    sql_doc__path kp = SQL_DOC__KEY(p, name);
    bool desc;
    sql_nulls nulls;
    if (order_spec(x, spec, &kp, &desc, &nulls))
        sql_doc__add_order(x, q, name, desc, nulls, &kp);
}

static void parse_order(sql_doc__ctx *x, sql_doc_query *q, const json_t *v, const sql_doc__path *p)
{
    each_item(x, q, v, p, false,
              "\"order_by\" takes an array like [{\"created_at\": \"desc\"}, \"id\"]", order_item);
}

static void group_by_item(sql_doc__ctx *x, sql_doc_query *q, const json_t *g,
                          const sql_doc__path *p)
{
    const sql_table *t = q->from->table;
    const char *name = json_string_value(g);
    if (!name) {
        sql_doc__bad(x, p, "A group_by item is a column name, not %s.", sql_doc__json_type(g));
        return;
    }
    const sql_column *c = sql_doc__column(t, name);
    if (!c) {
        sql_doc__bad(x, p, "Unknown column %s on %s for group_by. %s", sql_doc__quote(x->a, name),
                     t->name, sql_doc__field_list(x->a, t, false));
        return;
    }
    for (size_t j = 0; j < q->n_group_by; j++) {
        if (q->group_by[j] == c) {
            sql_doc__bad(x, p, "The column \"%s\" is listed twice in group_by.", name);
            return;
        }
    }
    SQL__PUSH(x->a, q->group_by, q->n_group_by, const sql_column *);
    q->group_by[q->n_group_by++] = c;
}

static void parse_group_by(sql_doc__ctx *x, sql_doc_query *q, const json_t *v,
                           const sql_doc__path *p)
{
    each_item(x, q, v, p, false, "\"group_by\" takes an array of column names", group_by_item);
}

static const struct {
    const char *name;
    sql_func_kind fn;
    bool distinct;
} AGGS[] = {
    {"count", SQL_FN_COUNT, false}, {"count_distinct", SQL_FN_COUNT, true},
    {"sum", SQL_FN_SUM, false},     {"avg", SQL_FN_AVG, false},
    {"min", SQL_FN_MIN, false},     {"max", SQL_FN_MAX, false},
};

static bool numeric_kind(sql_type_kind k)
{
    return k == SQL_TYPE_INTEGER || k == SQL_TYPE_BIGINT || k == SQL_TYPE_FLOAT ||
           k == SQL_TYPE_NUMERIC;
}

/* min/max exist for numbers, strings and times (not uuid, boolean, json). */
static bool minmax_kind(sql_type_kind k)
{
    return numeric_kind(k) || sql_doc__is_string(k) || k == SQL_TYPE_DATE ||
           k == SQL_TYPE_TIMESTAMPTZ;
}

static void parse_aggregate(sql_doc__ctx *x, sql_doc_query *q, const char *label,
                            const json_t *spec, const sql_doc__path *p)
{
    const sql_table *t = q->from->table;
    bool ok = true;
    if (!sql_doc__label_ok(label)) {
        sql_doc__bad(x, p,
                     "The aggregate label %s must be 1 to %d letters, digits or underscores, "
                     "not starting with a digit.",
                     sql_doc__quote(x->a, label), SQL_MAX_IDENT);
        ok = false;
    }
    for (size_t i = 0; ok && i < q->n_group_by; i++) {
        if (strcmp(q->group_by[i]->name, label) == 0) {
            sql_doc__bad(x, p, "The aggregate label \"%s\" collides with a group_by column.",
                         label);
            ok = false;
        }
    }
    const char *fname;
    const json_t *arg;
    if (!sql_doc__single_member(spec, &fname, &arg)) {
        sql_doc__bad(x, p,
                     "An aggregate is an object with one function (count, count_distinct, sum, "
                     "avg, min, max) and a column: {\"sum\": \"total\"}.");
        return;
    }
    sql_doc__path fp = SQL_DOC__KEY(p, fname);
    size_t k = 0;
    while (k < sizeof AGGS / sizeof AGGS[0] && strcmp(AGGS[k].name, fname) != 0)
        k++;
    if (k == sizeof AGGS / sizeof AGGS[0]) {
        sql_doc__bad(x, &fp,
                     "Unknown aggregate function %s; expected count, count_distinct, sum, avg, "
                     "min or max.",
                     sql_doc__quote(x->a, fname));
        return;
    }
    const char *cname = json_string_value(arg);
    if (!cname) {
        sql_doc__bad(x, &fp, "\"%s\" takes a column name%s, not %s.", fname,
                     AGGS[k].fn == SQL_FN_COUNT && !AGGS[k].distinct ? " or \"*\"" : "",
                     sql_doc__json_type(arg));
        return;
    }
    const sql_column *c = NULL;
    if (strcmp(cname, "*") == 0) {
        if (AGGS[k].fn != SQL_FN_COUNT || AGGS[k].distinct) {
            sql_doc__bad(x, &fp, "Only count takes \"*\".");
            return;
        }
    } else {
        c = sql_doc__column(t, cname);
        if (!c) {
            sql_doc__bad(x, &fp, "Unknown column %s on %s. %s", sql_doc__quote(x->a, cname),
                         t->name, sql_doc__field_list(x->a, t, false));
            return;
        }
        sql_type_kind tk = c->type.kind;
        if ((AGGS[k].fn == SQL_FN_SUM || AGGS[k].fn == SQL_FN_AVG) && !numeric_kind(tk)) {
            sql_doc__bad(x, &fp, "\"%s\" needs a numeric column; \"%s\" is %s.", fname, c->name,
                         sql_type_kind_name(tk));
            return;
        }
        if ((AGGS[k].fn == SQL_FN_MIN || AGGS[k].fn == SQL_FN_MAX) && !minmax_kind(tk)) {
            sql_doc__bad(x, &fp, "\"%s\" does not apply to %s columns such as \"%s\".", fname,
                         sql_type_kind_name(tk), c->name);
            return;
        }
    }
    if (!ok)
        return;
    SQL__PUSH(x->a, q->aggregates, q->n_aggregates, sql_doc_aggregate);
    q->aggregates[q->n_aggregates++] = (sql_doc_aggregate){
        .label = arena_strdup(x->a, label),
        .fn = AGGS[k].fn,
        .distinct = AGGS[k].distinct,
        .column = c,
    };
}

static void parse_aggregates(sql_doc__ctx *x, sql_doc_query *q, const json_t *v,
                             const sql_doc__path *p)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        sql_doc__bad(x, p,
                     "\"aggregates\" takes a non-empty object of labels: {\"n\": {\"count\": "
                     "\"*\"}}.");
        return;
    }
    const char *label;
    const json_t *spec;
    json_object_foreach((json_t *) v, label, spec)
    {
        sql_doc__path kp = SQL_DOC__KEY(p, label);
        if (!sql_doc__count_node(x, &kp))
            return;
        parse_aggregate(x, q, label, spec, &kp);
    }
}

/* ==== the document ====================================================== */

static const char *const KEYS[] = {"where",   "order_by", "limit",    "offset",    "fields",
                                   "options", "count",    "group_by", "aggregates"};

static bool known_key(const char *k)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (strcmp(KEYS[i], k) == 0)
            return true;
    return false;
}

static void parse_paging(sql_doc__ctx *x, sql_doc_query *q, const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    if (!v)
        return;
    sql_doc__path p = SQL_DOC__KEY(NULL, key);
    if (!json_is_integer(v)) {
        sql_doc__bad(x, &p, "The %s is a non-negative integer, not %s.", key,
                     sql_doc__json_type(v));
        return;
    }
    sql_doc__set_paging(x, q, key[0] == 'l', (int64_t) json_integer_value(v), &p);
}

bool sql_doc_parse_query(sql_builder *b, const sql_from *from, const json_t *doc,
                         const sql_doc_limits *lim, sql_doc_query *out, err_report *err)
{
    sql_doc__ctx x;
    sql_doc__begin(&x, b, lim, NULL, err);
    sql_doc__query_init(&x, out, from);
    sql_doc__path root = SQL_DOC__ROOT("");
    if (!from || !from->table) {
        sql_doc__bad(&x, &root, "A query document needs a table to apply to.");
        return sql_doc__end(&x);
    }
    if (!json_is_object(doc)) {
        sql_doc__invalid(&x, &root, "A query document is a JSON object, not %s.",
                         doc ? sql_doc__json_type(doc) : "nothing");
        return sql_doc__end(&x);
    }

    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) doc, key, v)
    {
        sql_doc__path kp = SQL_DOC__KEY(NULL, key);
        if (!sql_doc__count_node(&x, &kp))
            return sql_doc__end(&x);
        if (!known_key(key))
            sql_doc__bad(&x, &kp,
                         "Unknown key %s in the query document; expected where, order_by, "
                         "limit, offset, fields, options, count, group_by or aggregates.",
                         sql_doc__quote(x.a, key));
    }

    const json_t *group_by = json_object_get(doc, "group_by");
    const json_t *aggregates = json_object_get(doc, "aggregates");
    out->is_aggregate = group_by || aggregates;
    if (group_by) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "group_by");
        parse_group_by(&x, out, group_by, &p);
    }
    if (aggregates && !x.aborted) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "aggregates");
        parse_aggregates(&x, out, aggregates, &p);
    }
    if (group_by && !aggregates && json_is_array(group_by) && json_array_size(group_by) == 0) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "group_by");
        sql_doc__bad(&x, &p, "\"group_by\" needs at least one column (or give aggregates).");
    }

    const json_t *where = json_object_get(doc, "where");
    if (where && !json_is_null(where) && !x.aborted) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "where");
        sql_node *cond;
        b->pointer = "/where"; /* for limits the builders find themselves */
        if (sql_doc__where(&x, from, where, &p, &cond))
            out->where = cond;
        b->pointer = NULL;
    }
    if (x.aborted)
        return sql_doc__end(&x);

    const json_t *order = json_object_get(doc, "order_by");
    if (order) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "order_by");
        parse_order(&x, out, order, &p);
    }
    parse_paging(&x, out, doc, "limit");
    parse_paging(&x, out, doc, "offset");

    const json_t *fields = json_object_get(doc, "fields");
    if (fields && !x.aborted) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "fields");
        if (out->is_aggregate)
            sql_doc__bad(&x, &p,
                         "\"fields\" does not combine with group_by/aggregates (the result "
                         "columns are the group_by columns and the aggregate labels).");
        else
            parse_fields(&x, out, fields, &p);
    }
    const json_t *options = json_object_get(doc, "options");
    if (options && !x.aborted) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "options");
        if (out->is_aggregate)
            sql_doc__bad(&x, &p,
                         "\"options\" does not combine with group_by/aggregates (they return "
                         "rows, not entities).");
        else
            parse_options(&x, out, options, &p);
    }
    const json_t *count = json_object_get(doc, "count");
    if (count) {
        sql_doc__path p = SQL_DOC__KEY(NULL, "count");
        if (json_is_boolean(count))
            out->count = json_is_true(count);
        else
            sql_doc__bad(&x, &p, "\"count\" is true or false, not %s.", sql_doc__json_type(count));
    }
    return sql_doc__end(&x);
}
