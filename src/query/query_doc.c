/*
 * query_doc — the query document of POST .../query into a
 * query_doc: where (query_where.c), order_by, limit, offset, fields,
 * options, count, group_by and aggregates. The pieces that GET parameters
 * share (options from dotted paths, order items, fields, paging) are here
 * too, as query__ functions.
 *
 * Keys are handled in a fixed order, not the document's (group_by and
 * aggregates first, since order_by may name their columns and labels), so
 * the same document always gives the same problems in the same order.
 */
#include <string.h>

#include "query_int.h"

/* ==== the query ========================================================= */

void query__query_init(query__ctx *x, query_doc *q, const sql_from *from)
{
    memset(q, 0, sizeof *q);
    q->from = from;
    q->limit = x->lim.default_limit;
    x->root = from;
}

bool query__and_where(query__ctx *x, query_doc *q, sql_node *cond)
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

void query__set_after(query__ctx *x, query_doc *q, const char *after, const query__path *p)
{
    if (q->is_aggregate) {
        query__bad(x, p, "An aggregate query has no cursor: page it with limit and offset.");
        return;
    }
    q->after = arena_strdup(x->a, after);
}

bool query__set_paging(query__ctx *x, query_doc *q, bool is_limit, int64_t v, const query__path *p)
{
    const char *what = is_limit ? "limit" : "offset";
    if (v < 0) {
        query__bad(x, p, "The %s must not be negative.", what);
        return false;
    }
    if (is_limit && v > x->lim.max_limit) {
        query__bad(x, p, "The limit must be at most %d.", x->lim.max_limit);
        return false;
    }
    if (is_limit)
        q->limit = v;
    else
        q->offset = v;
    return true;
}

bool query__set_all(query__ctx *x, query_doc *q, const query__path *p)
{
    if (!x->lim.allow_all) {
        query__bad(x, p, "limit \"all\" is for lists (GET /api/{resource} and POST "
                         "/api/{resource}/query), which stream it; here the limit is a number.");
        return false;
    }
    q->all = true;
    q->limit = 0;
    return true;
}

void query__check_all(query__ctx *x, const query_doc *q, const query__path *limit)
{
    if (!q->all)
        return;
    bool related = q->load.n_options > 0;
    for (size_t i = 0; i < q->n_fields && !related; i++)
        related = q->field_relations[i] != NULL;
    if (related)
        query__bad(x, limit,
                   "limit \"all\" streams rows without their relationships: drop include, "
                   "options and relationship fields, or page with limit and after.");
    if (q->offset > 0)
        query__bad(x, limit, "limit \"all\" starts at the first row (or at after), not at an "
                             "offset.");
}

/* ==== array-valued keys ================================================= */

/* What to do with one element of an array-valued key; p is its path. */
typedef void (*item_fn)(query__ctx *x, query_doc *q, const json_t *item, const query__path *p);

/* Calls fn on every element of v, each counted against max_nodes. Anything
 * but an array (with non_empty, also an empty one) is one 400 at p:
 * "<takes>, not <what v is>." */
static void each_item(query__ctx *x, query_doc *q, const json_t *v, const query__path *p,
                      bool non_empty, const char *takes, item_fn fn)
{
    if (!json_is_array(v) || (non_empty && json_array_size(v) == 0)) {
        query__bad(x, p, "%s, not %s.", takes,
                   json_is_array(v) ? "an empty array" : jsonkind_noun(v));
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        query__path ep = QUERY__INDEX(p, i);
        if (!query__count_node(x, &ep))
            return;
        fn(x, q, json_array_get(v, i), &ep);
    }
}

/* ==== loader options ==================================================== */

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

bool query__add_option(query__ctx *x, query_doc *q, const sql_table *t, cfg_strategy kind,
                       const char *path, bool include, const query__path *p)
{
    size_t len = strlen(path);
    if (len == 0) {
        query__bad(x, p, "A loader path names a relationship (\"orders\", \"orders.user\").");
        return false;
    }
    size_t n_hops = 1;
    for (const char *c = path; *c; c++)
        n_hops += *c == '.';
    if (n_hops > (size_t) x->lim.max_depth) {
        query__bad(x, p, "The loader path has more than %d hops.", x->lim.max_depth);
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
                query__bad(x, p, "\"*\" may only end a loader path.");
                return false;
            }
            if (kind != CFG_LOAD_RAISE && kind != CFG_LOAD_NOLOAD) {
                query__bad(x, p, "\"*\" is only allowed with raiseload and noload, not %s.",
                           include ? "include" : cfg_strategy_option(kind));
                return false;
            }
            wildcard = true;
            break;
        }
        const sql_relation *rel = sl ? sql_table_relation(at, name) : NULL;
        if (!rel) {
            if (sl && query__column(x, at, name))
                query__bad(x, p, "%s is a column of \"%s\", not a relationship.",
                           query__quote(x->a, name), at->name);
            else if (!sl)
                query__bad(x, p, "The loader path %s has an empty step.", query__quote(x->a, path));
            else
                query__bad(x, p, "Unknown relationship %s in %s: %s.", query__quote(x->a, name),
                           query__quote(x->a, path), relation_list(x->a, at));
            return false;
        }
        hops[n++] = rel;
        at = rel->target;
        seg = dot ? dot + 1 : seg + sl;
    }
    orm_load_options *lo = &q->load;
    ARENA_PUSH(x->a, lo->options, lo->n_options, orm_load_option);
    lo->options[lo->n_options++] = (orm_load_option){
        .strategy = kind,
        .path = arena_strdup(x->a, path),
        .hops = hops,
        .n_hops = n,
        .wildcard = wildcard,
        .include = include,
        .pointer = query__pointer(x->a, p),
    };
    return true;
}

static void option_item(query__ctx *x, query_doc *q, const json_t *o, const query__path *p)
{
    const char *key;
    const json_t *path;
    if (!query__single_member(o, &key, &path)) {
        query__bad(x, p,
                   "A loader option is an object with one key (selectinload, joinedload, "
                   "lazyload, raiseload or noload) and a path.");
        return;
    }
    query__path kp = QUERY__KEY(p, key);
    cfg_strategy kind;
    if (!cfg_strategy_from_name(key, true, &kind)) {
        query__bad(x, &kp,
                   "Unknown loader option %s; expected selectinload, joinedload, "
                   "lazyload (selectload), raiseload or noload.",
                   query__quote(x->a, key));
        return;
    }
    if (!json_is_string(path)) {
        query__bad(x, &kp, "A loader option takes a path string (\"orders.user\"), not %s.",
                   jsonkind_noun(path));
        return;
    }
    query__add_option(x, q, q->from->table, kind, json_string_value(path), false, &kp);
}

static void parse_options(query__ctx *x, query_doc *q, const json_t *v, const query__path *p)
{
    each_item(x, q, v, p, false, "\"options\" takes an array like [{\"selectinload\": \"orders\"}]",
              option_item);
}

/* ==== fields, order_by, group_by, aggregates ============================ */

bool query__add_field(query__ctx *x, query_doc *q, const char *name, const query__path *p)
{
    const sql_table *t = q->from->table;
    const sql_column *c = query__column(x, t, name);
    const sql_relation *rel = c ? NULL : sql_table_relation(t, name);
    if (!c && !rel) {
        query__bad(x, p, "Unknown field %s on %s. %s", query__quote(x->a, name), t->name,
                   query__field_list(x, t, true));
        return false;
    }
    for (size_t i = 0; i < q->n_fields; i++) {
        if (strcmp(q->fields[i], name) == 0) {
            query__bad(x, p, "The field \"%s\" is listed twice.", name);
            return false;
        }
    }
    size_t n = q->n_fields;
    ARENA_PUSH(x->a, q->fields, n, const char *);
    ARENA_PUSH(x->a, q->field_columns, n, const sql_column *);
    ARENA_PUSH(x->a, q->field_relations, n, const sql_relation *);
    ARENA_PUSH(x->a, q->load.named_pointers, n, const char *);
    q->fields[n] = c ? c->name : rel->name;
    q->field_columns[n] = c;
    q->field_relations[n] = rel;
    /* a relationship's entry, for a raise problem the plan may find */
    q->load.named_pointers[n] = rel ? query__pointer(x->a, p) : NULL;
    q->n_fields = n + 1;
    q->load.named = q->field_relations;
    q->load.n_named = q->n_fields;
    return true;
}

static void field_item(query__ctx *x, query_doc *q, const json_t *f, const query__path *p)
{
    if (!json_is_string(f)) {
        query__bad(x, p, "A field name is a string, not %s.", jsonkind_noun(f));
        return;
    }
    query__add_field(x, q, json_string_value(f), p);
}

static void parse_fields(query__ctx *x, query_doc *q, const json_t *v, const query__path *p)
{
    each_item(x, q, v, p, true, "\"fields\" takes a non-empty array of field names", field_item);
}

bool query__add_order(query__ctx *x, query_doc *q, const char *name, bool desc, sql_nulls nulls,
                      const query__path *p)
{
    const sql_table *t = q->from->table;
    query_order o = {.name = NULL, .desc = desc, .nulls = nulls};
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
            query__bad(x, p,
                       "An aggregate query is ordered by its group_by columns or aggregate "
                       "labels; %s is neither.",
                       query__quote(x->a, name));
            return false;
        }
    } else {
        o.column = query__column(x, t, name);
        if (!o.column) {
            if (sql_table_relation(t, name))
                query__bad(x, p, "\"%s\" is a relationship; order_by takes columns of %s.", name,
                           t->name);
            else
                query__bad(x, p, "Unknown column %s on %s for order_by. %s",
                           query__quote(x->a, name), t->name, query__field_list(x, t, false));
            return false;
        }
        o.name = o.column->name;
    }
    ARENA_PUSH(x->a, q->order, q->n_order, query_order);
    q->order[q->n_order++] = o;
    return true;
}

/* "asc" / "desc", or {"dir": ..., "nulls": "first"|"last"}. */
static bool order_spec(query__ctx *x, const json_t *spec, const query__path *p, bool *desc,
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
            query__path kp = QUERY__KEY(p, key);
            if (!query__count_node(x, &kp))
                return false;
            if (strcmp(key, "dir") == 0) {
                dir = v;
            } else if (strcmp(key, "nulls") == 0) {
                nl = v;
            } else {
                query__bad(x, &kp, "Unknown key %s in an order_by item; expected dir or nulls.",
                           query__quote(x->a, key));
                ok = false;
            }
        }
        if (!ok)
            return false;
        if (nl) {
            query__path np = QUERY__KEY(p, "nulls");
            const char *s = json_string_value(nl);
            if (s && strcmp(s, "first") == 0) {
                *nulls = SQL_NULLS_FIRST;
            } else if (s && strcmp(s, "last") == 0) {
                *nulls = SQL_NULLS_LAST;
            } else {
                query__bad(x, &np, "\"nulls\" is \"first\" or \"last\".");
                return false;
            }
        }
        if (!dir)
            return true;
        query__path dp = QUERY__KEY(p, "dir");
        const char *s = json_string_value(dir);
        if (s && (strcmp(s, "asc") == 0 || strcmp(s, "desc") == 0)) {
            *desc = s[0] == 'd';
            return true;
        }
        query__bad(x, &dp, "\"dir\" is \"asc\" or \"desc\".");
        return false;
    }
    const char *s = json_string_value(dir);
    if (s && (strcmp(s, "asc") == 0 || strcmp(s, "desc") == 0)) {
        *desc = s[0] == 'd';
        return true;
    }
    query__bad(x, p,
               "An order_by direction is \"asc\" or \"desc\" (or {\"dir\": \"desc\", "
               "\"nulls\": \"last\"}).");
    return false;
}

static void order_item(query__ctx *x, query_doc *q, const json_t *item, const query__path *p)
{
    if (json_is_string(item)) {
        query__add_order(x, q, json_string_value(item), false, SQL_NULLS_DEFAULT, p);
        return;
    }
    const char *name;
    const json_t *spec;
    if (!query__single_member(item, &name, &spec)) {
        query__bad(x, p,
                   "An order_by item is a column name or an object with one column: "
                   "{\"created_at\": \"desc\"}.");
        return;
    }
    query__path kp = QUERY__KEY(p, name);
    bool desc;
    sql_nulls nulls;
    if (order_spec(x, spec, &kp, &desc, &nulls))
        query__add_order(x, q, name, desc, nulls, &kp);
}

static void parse_order(query__ctx *x, query_doc *q, const json_t *v, const query__path *p)
{
    each_item(x, q, v, p, false,
              "\"order_by\" takes an array like [{\"created_at\": \"desc\"}, \"id\"]", order_item);
}

static void group_by_item(query__ctx *x, query_doc *q, const json_t *g, const query__path *p)
{
    const sql_table *t = q->from->table;
    const char *name = json_string_value(g);
    if (!name) {
        query__bad(x, p, "A group_by item is a column name, not %s.", jsonkind_noun(g));
        return;
    }
    const sql_column *c = query__column(x, t, name);
    if (!c) {
        query__bad(x, p, "Unknown column %s on %s for group_by. %s", query__quote(x->a, name),
                   t->name, query__field_list(x, t, false));
        return;
    }
    for (size_t j = 0; j < q->n_group_by; j++) {
        if (q->group_by[j] == c) {
            query__bad(x, p, "The column \"%s\" is listed twice in group_by.", name);
            return;
        }
    }
    ARENA_PUSH(x->a, q->group_by, q->n_group_by, const sql_column *);
    q->group_by[q->n_group_by++] = c;
}

static void parse_group_by(query__ctx *x, query_doc *q, const json_t *v, const query__path *p)
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
    return numeric_kind(k) || query__is_string(k) || k == SQL_TYPE_DATE ||
           k == SQL_TYPE_TIMESTAMPTZ;
}

static void parse_aggregate(query__ctx *x, query_doc *q, const char *label, const json_t *spec,
                            const query__path *p)
{
    const sql_table *t = q->from->table;
    bool ok = true;
    if (!query__label_ok(label)) {
        query__bad(x, p,
                   "The aggregate label %s must be 1 to %d letters, digits or underscores, "
                   "not starting with a digit.",
                   query__quote(x->a, label), SQL_MAX_IDENT);
        ok = false;
    }
    for (size_t i = 0; ok && i < q->n_group_by; i++) {
        if (strcmp(q->group_by[i]->name, label) == 0) {
            query__bad(x, p, "The aggregate label \"%s\" collides with a group_by column.", label);
            ok = false;
        }
    }
    const char *fname;
    const json_t *arg;
    if (!query__single_member(spec, &fname, &arg)) {
        query__bad(x, p,
                   "An aggregate is an object with one function (count, count_distinct, sum, "
                   "avg, min, max) and a column: {\"sum\": \"total\"}.");
        return;
    }
    query__path fp = QUERY__KEY(p, fname);
    size_t k = 0;
    while (k < sizeof AGGS / sizeof AGGS[0] && strcmp(AGGS[k].name, fname) != 0)
        k++;
    if (k == sizeof AGGS / sizeof AGGS[0]) {
        query__bad(x, &fp,
                   "Unknown aggregate function %s; expected count, count_distinct, sum, avg, "
                   "min or max.",
                   query__quote(x->a, fname));
        return;
    }
    const char *cname = json_string_value(arg);
    if (!cname) {
        query__bad(x, &fp, "\"%s\" takes a column name%s, not %s.", fname,
                   AGGS[k].fn == SQL_FN_COUNT && !AGGS[k].distinct ? " or \"*\"" : "",
                   jsonkind_noun(arg));
        return;
    }
    const sql_column *c = NULL;
    if (strcmp(cname, "*") == 0) {
        if (AGGS[k].fn != SQL_FN_COUNT || AGGS[k].distinct) {
            query__bad(x, &fp, "Only count takes \"*\".");
            return;
        }
    } else {
        c = query__column(x, t, cname);
        if (!c) {
            query__bad(x, &fp, "Unknown column %s on %s. %s", query__quote(x->a, cname), t->name,
                       query__field_list(x, t, false));
            return;
        }
        sql_type_kind tk = c->type.kind;
        if ((AGGS[k].fn == SQL_FN_SUM || AGGS[k].fn == SQL_FN_AVG) && !numeric_kind(tk)) {
            query__bad(x, &fp, "\"%s\" needs a numeric column; \"%s\" is %s.", fname, c->name,
                       sql_type_kind_name(tk));
            return;
        }
        if ((AGGS[k].fn == SQL_FN_MIN || AGGS[k].fn == SQL_FN_MAX) && !minmax_kind(tk)) {
            query__bad(x, &fp, "\"%s\" does not apply to %s columns such as \"%s\".", fname,
                       sql_type_kind_name(tk), c->name);
            return;
        }
    }
    if (!ok)
        return;
    ARENA_PUSH(x->a, q->aggregates, q->n_aggregates, query_aggregate);
    q->aggregates[q->n_aggregates++] = (query_aggregate){
        .label = arena_strdup(x->a, label),
        .fn = AGGS[k].fn,
        .distinct = AGGS[k].distinct,
        .column = c,
    };
}

static void parse_aggregates(query__ctx *x, query_doc *q, const json_t *v, const query__path *p)
{
    if (!json_is_object(v) || json_object_size(v) == 0) {
        query__bad(x, p,
                   "\"aggregates\" takes a non-empty object of labels: {\"n\": {\"count\": "
                   "\"*\"}}.");
        return;
    }
    const char *label;
    const json_t *spec;
    json_object_foreach((json_t *) v, label, spec)
    {
        query__path kp = QUERY__KEY(p, label);
        if (!query__count_node(x, &kp))
            return;
        parse_aggregate(x, q, label, spec, &kp);
    }
}

/* ==== the document ====================================================== */

static const char *const KEYS[] = {"where",   "order_by", "limit",    "offset",      "fields",
                                   "options", "count",    "group_by", "aggregates",  "after",
                                   "lock",    "nowait",   "having",   "skip_locked"};

/* "lock": "update"|"share", "nowait": true, "skip_locked": true. */
static void parse_lock(query__ctx *x, query_doc *q, const json_t *doc)
{
    const json_t *lock = json_object_get(doc, "lock");
    const json_t *nowait = json_object_get(doc, "nowait");
    const json_t *skip = json_object_get(doc, "skip_locked");
    if (lock) {
        query__path p = QUERY__KEY(NULL, "lock");
        const char *s = json_string_value(lock);
        if (s && strcmp(s, "update") == 0)
            q->lock = SQL_LOCK_UPDATE;
        else if (s && strcmp(s, "share") == 0)
            q->lock = SQL_LOCK_SHARE;
        else
            query__bad(x, &p, "\"lock\" is \"update\" (FOR UPDATE) or \"share\" (FOR SHARE).");
        if (q->is_aggregate)
            query__bad(x, &p, "Rows of an aggregate query cannot be locked.");
    }
    const char *names[] = {"nowait", "skip_locked"};
    const json_t *flags[] = {nowait, skip};
    for (int i = 0; i < 2; i++) {
        if (!flags[i])
            continue;
        query__path p = QUERY__KEY(NULL, names[i]);
        if (!json_is_boolean(flags[i]))
            query__bad(x, &p, "\"%s\" is true or false.", names[i]);
        else if (json_is_true(flags[i]) && !lock)
            query__bad(x, &p, "\"%s\" applies to a \"lock\".", names[i]);
        else if (json_is_true(flags[i]))
            q->lock_wait = i == 0 ? SQL_LOCK_NOWAIT : SQL_LOCK_SKIP_LOCKED;
    }
    if (nowait && skip && json_is_true(nowait) && json_is_true(skip)) {
        query__path p = QUERY__KEY(NULL, "skip_locked");
        query__bad(x, &p, "\"nowait\" and \"skip_locked\" exclude each other.");
    }
}

static const struct {
    const char *name;
    sql_op op;
} HAVING_OPS[] = {{"eq", SQL_OP_EQ}, {"ne", SQL_OP_NE}, {"lt", SQL_OP_LT},
                  {"le", SQL_OP_LE}, {"gt", SQL_OP_GT}, {"ge", SQL_OP_GE}};

/* "having": {"label": {"gt": 10}, "label2": 5}: aggregate labels compared
 * with numbers (a bare number means eq); ANDed. */
static void parse_having(query__ctx *x, query_doc *q, const json_t *having, const query__path *p)
{
    if (!q->is_aggregate) {
        query__bad(x, p, "\"having\" filters groups: it needs group_by or aggregates.");
        return;
    }
    if (!json_is_object(having)) {
        query__bad(x, p, "\"having\" is an object of aggregate labels and conditions.");
        return;
    }
    const char *label;
    const json_t *cond;
    json_object_foreach((json_t *) having, label, cond)
    {
        query__path lp = QUERY__KEY(p, label);
        size_t g = q->n_aggregates;
        for (size_t i = 0; i < q->n_aggregates; i++)
            if (strcmp(q->aggregates[i].label, label) == 0)
                g = i;
        if (g == q->n_aggregates) {
            query__bad(x, &lp, "%s is not an aggregate label of this query.",
                       query__quote(x->a, label));
            continue;
        }
        json_t *wrapped = NULL;
        if (!json_is_object(cond))
            cond = wrapped = json_pack("{s:O}", "eq", cond);
        const char *opname;
        const json_t *v;
        json_object_foreach((json_t *) cond, opname, v)
        {
            query__path op = QUERY__KEY(&lp, opname);
            size_t k = 0;
            while (k < sizeof HAVING_OPS / sizeof HAVING_OPS[0] &&
                   strcmp(HAVING_OPS[k].name, opname) != 0)
                k++;
            if (k == sizeof HAVING_OPS / sizeof HAVING_OPS[0]) {
                query__bad(x, &op,
                           "Unknown operator %s in having; expected eq, ne, lt, le, gt or ge.",
                           query__quote(x->a, opname));
                continue;
            }
            sql_value val;
            if (json_is_integer(v)) {
                val = sql_val_int(json_integer_value(v));
            } else if (json_is_real(v)) {
                val = sql_val_float(json_real_value(v));
            } else {
                query__invalid(x, &op, "A having value is a number, not %s.", jsonkind_noun(v));
                continue;
            }
            sql_node *agg = query__aggregate_expr(x->b, q->from, &q->aggregates[g]);
            sql_node *c = sql_binary(x->b, HAVING_OPS[k].op, agg, sql_bind(x->b, val));
            q->having = q->having ? sql_and2(x->b, q->having, c) : c;
        }
        json_decref(wrapped);
    }
}

static bool known_key(const char *k)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (strcmp(KEYS[i], k) == 0)
            return true;
    return false;
}

static void parse_paging(query__ctx *x, query_doc *q, const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    if (!v)
        return;
    query__path p = QUERY__KEY(NULL, key);
    if (key[0] == 'l' && json_is_string(v) && strcmp(json_string_value(v), "all") == 0) {
        query__set_all(x, q, &p);
        return;
    }
    if (!json_is_integer(v)) {
        query__bad(x, &p, "The %s is a non-negative integer%s, not %s.", key,
                   key[0] == 'l' && x->lim.allow_all ? " or \"all\"" : "", jsonkind_noun(v));
        return;
    }
    query__set_paging(x, q, key[0] == 'l', (int64_t) json_integer_value(v), &p);
}

bool query_parse(sql_builder *b, const sql_from *from, const json_t *doc, const query_limits *lim,
                 query_doc *out, err_report *err)
{
    query__ctx x;
    query__begin(&x, b, lim, NULL, err);
    query__query_init(&x, out, from);
    query__path root = QUERY__ROOT("");
    if (!from || !from->table) {
        query__bad(&x, &root, "A query document needs a table to apply to.");
        return query__end(&x);
    }
    if (!json_is_object(doc)) {
        query__invalid(&x, &root, "A query document is a JSON object, not %s.",
                       doc ? jsonkind_noun(doc) : "nothing");
        return query__end(&x);
    }

    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) doc, key, v)
    {
        query__path kp = QUERY__KEY(NULL, key);
        if (!query__count_node(&x, &kp))
            return query__end(&x);
        if (!known_key(key))
            query__bad(&x, &kp,
                       "Unknown key %s in the query document; expected where, order_by, "
                       "limit, offset, after, fields, options, count, lock, nowait, "
                       "skip_locked, group_by, aggregates or having.",
                       query__quote(x.a, key));
    }

    const json_t *group_by = json_object_get(doc, "group_by");
    const json_t *aggregates = json_object_get(doc, "aggregates");
    out->is_aggregate = group_by || aggregates;
    if (group_by) {
        query__path p = QUERY__KEY(NULL, "group_by");
        parse_group_by(&x, out, group_by, &p);
    }
    if (aggregates && !x.aborted) {
        query__path p = QUERY__KEY(NULL, "aggregates");
        parse_aggregates(&x, out, aggregates, &p);
    }
    if (group_by && !aggregates && json_is_array(group_by) && json_array_size(group_by) == 0) {
        query__path p = QUERY__KEY(NULL, "group_by");
        query__bad(&x, &p, "\"group_by\" needs at least one column (or give aggregates).");
    }

    const json_t *where = json_object_get(doc, "where");
    if (where && !json_is_null(where) && !x.aborted) {
        query__path p = QUERY__KEY(NULL, "where");
        sql_node *cond;
        sql_builder_set_pointer(b, "/where"); /* for limits the builders find themselves */
        if (query__where(&x, from, where, &p, &cond))
            out->where = cond;
        sql_builder_set_pointer(b, NULL);
    }
    if (x.aborted)
        return query__end(&x);

    const json_t *order = json_object_get(doc, "order_by");
    if (order) {
        query__path p = QUERY__KEY(NULL, "order_by");
        parse_order(&x, out, order, &p);
    }
    parse_paging(&x, out, doc, "limit");
    parse_paging(&x, out, doc, "offset");

    const json_t *fields = json_object_get(doc, "fields");
    if (fields && !x.aborted) {
        query__path p = QUERY__KEY(NULL, "fields");
        if (out->is_aggregate)
            query__bad(&x, &p,
                       "\"fields\" does not combine with group_by/aggregates (the result "
                       "columns are the group_by columns and the aggregate labels).");
        else
            parse_fields(&x, out, fields, &p);
    }
    const json_t *options = json_object_get(doc, "options");
    if (options && !x.aborted) {
        query__path p = QUERY__KEY(NULL, "options");
        if (out->is_aggregate)
            query__bad(&x, &p,
                       "\"options\" does not combine with group_by/aggregates (they return "
                       "rows, not entities).");
        else
            parse_options(&x, out, options, &p);
    }
    const json_t *count = json_object_get(doc, "count");
    if (count) {
        query__path p = QUERY__KEY(NULL, "count");
        if (json_is_boolean(count))
            out->count = json_is_true(count);
        else
            query__bad(&x, &p, "\"count\" is true or false, not %s.", jsonkind_noun(count));
    }
    const json_t *after = json_object_get(doc, "after");
    if (after && !json_is_null(after)) {
        query__path p = QUERY__KEY(NULL, "after");
        if (!json_is_string(after) || !json_string_length(after))
            query__bad(&x, &p, "\"after\" is the cursor a previous page gave in meta.next.");
        else
            query__set_after(&x, out, json_string_value(after), &p);
    }
    parse_lock(&x, out, doc);
    const json_t *having = json_object_get(doc, "having");
    if (having && !x.aborted) {
        query__path p = QUERY__KEY(NULL, "having");
        parse_having(&x, out, having, &p);
    }
    query__path lp = QUERY__KEY(NULL, "limit");
    query__check_all(&x, out, &lp);
    return query__end(&x);
}
