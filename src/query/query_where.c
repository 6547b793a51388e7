/*
 * query_where — a where document into a condition tree.
 *
 *   {"email": {"like": "%@x.org"}, "or": [{"name": "a"}, {"name": null}],
 *    "orders": {"any": {"status": "paid"}}}
 *
 * becomes
 *
 *   "users"."email" LIKE $1 AND ("users"."name" = $2 OR "users"."name" IS NULL)
 *   AND EXISTS (SELECT 1 FROM "orders" AS "orders_1"
 *               WHERE "users"."id" = "orders_1"."user_id" AND "orders_1"."status" = $3)
 *
 * Constraints that shaped it:
 *   - Hostile documents fail fast: every key and element is counted
 *     against max_nodes before it is looked at, and nesting is checked
 *     against max_depth before recursing, so neither the work nor the C
 *     stack depends on the document beyond those limits.
 *   - Every other problem is recorded and the translation goes on with the
 *     next key, so one response lists them all. A failed sub-condition is
 *     never handed to a builder (builders treat a NULL operand without a
 *     problem of their own as misuse).
 *   - Names are looked up (columns, relationships, operators), never
 *     copied into SQL; values go through orm_value_parse_json and become
 *     parameters.
 */
#include <string.h>

#include "query_int.h"

typedef enum op_kind {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_LIKE,
    OP_ILIKE,
    OP_IN,
    OP_NOT_IN,
    OP_IS_NULL,
    OP_BETWEEN,
    OP_CONTAINS,
    OP_OVERLAPS
} op_kind;

static const struct {
    const char *name;
    op_kind op;
    sql_op sql;
} OPS[] = {
    {"eq", OP_EQ, SQL_OP_EQ},           {"ne", OP_NE, SQL_OP_NE},
    {"lt", OP_LT, SQL_OP_LT},           {"le", OP_LE, SQL_OP_LE},
    {"gt", OP_GT, SQL_OP_GT},           {"ge", OP_GE, SQL_OP_GE},
    {"like", OP_LIKE, SQL_OP_LIKE},     {"ilike", OP_ILIKE, SQL_OP_ILIKE},
    {"in", OP_IN, SQL_OP_EQ},           {"not_in", OP_NOT_IN, SQL_OP_NE},
    {"is_null", OP_IS_NULL, SQL_OP_EQ}, {"between", OP_BETWEEN, SQL_OP_EQ},
    {"contains", OP_CONTAINS, SQL_OP_CONTAINS}, {"overlaps", OP_OVERLAPS, SQL_OP_OVERLAPS},
};

enum { N_OPS = sizeof OPS / sizeof OPS[0] };

static const char OP_LIST[] =
    "eq, ne, lt, le, gt, ge, like, ilike, in, not_in, is_null, between, contains, overlaps";

static bool where_object(query__ctx *x, const sql_from *from, const json_t *where,
                         const query__path *p, int depth, sql_node **out);

/* ==== values ============================================================ */

/* {"$claim": "name"} while a row filter is checked (query_limits.
 * claim_placeholders): a value of any type, known only per request. */
static bool is_claim(const query__ctx *x, const json_t *v)
{
    return x->lim.claim_placeholders && json_is_object(v) && json_object_size(v) == 1 &&
           json_is_string(json_object_get(v, "$claim"));
}

/* A parameter for v (not null) compared with column c. */
static sql_node *bind_value(query__ctx *x, const sql_column *c, const json_t *v, unsigned flags,
                            const query__path *p)
{
    if (is_claim(x, v))
        return sql_lit(x->b, SQL_LIT_NULL); /* checked, never run */
    sql_value val;
    const char *msg = orm_value_parse_json(x->a, c, v, flags, &val);
    if (msg) {
        query__invalid(x, p, "%s", msg);
        return NULL;
    }
    return sql_bind(x->b, val);
}

static sql_node *column_ref(query__ctx *x, const sql_from *from, const sql_column *c)
{
    return sql_col_of(x->b, from, c);
}

/* ==== operators ========================================================= */

static bool null_operand(query__ctx *x, const char *op, const json_t *v, const query__path *p)
{
    if (!json_is_null(v))
        return false;
    query__invalid(x, p,
                   "The operator \"%s\" needs a value, not null (use is_null to test for "
                   "null).",
                   op);
    return true;
}

/* in / not_in: one array parameter whatever the length. */
static sql_node *in_list(query__ctx *x, const sql_from *from, const sql_column *c, bool negated,
                         const json_t *arr, const query__path *p)
{
    const char *op = negated ? "not_in" : "in";
    if (is_claim(x, arr)) /* a claim holding the list */
        return sql_lit(x->b, SQL_LIT_TRUE);
    if (!json_is_array(arr)) {
        query__bad(x, p, "The operator \"%s\" takes an array of values, not %s.", op,
                   jsonkind_noun(arr));
        return NULL;
    }
    size_t n = json_array_size(arr);
    if (n > x->lim.max_in_list) {
        query__bad(x, p, "The list of \"%s\" has %zu values; at most %zu are allowed.", op, n,
                   x->lim.max_in_list);
        return NULL;
    }
    sql_value *vals = ARENA_ARRAY(x->a, sql_value, n ? n : 1);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        query__path ep = QUERY__INDEX(p, i);
        if (!query__count_node(x, &ep))
            return NULL;
        const json_t *v = json_array_get(arr, i);
        if (json_is_null(v)) {
            query__invalid(x, &ep,
                           "A list of \"%s\" must not contain null (it never matches; "
                           "combine with is_null in an \"or\").",
                           op);
            ok = false;
            continue;
        }
        const char *msg =
            is_claim(x, v) ? NULL : orm_value_parse_json(x->a, c, v, ORM_VALUE_STRICT, &vals[i]);
        if (msg) {
            query__invalid(x, &ep, "%s", msg);
            ok = false;
        }
    }
    if (!ok)
        return NULL;
    sql_node *col = column_ref(x, from, c);
    if (!col)
        return NULL;
    return negated ? sql_not_in(x->b, col, vals, n) : sql_in(x->b, col, vals, n);
}

static sql_node *between(query__ctx *x, const sql_from *from, const sql_column *c,
                         const json_t *arr, const query__path *p)
{
    if (!json_is_array(arr) || json_array_size(arr) != 2) {
        query__bad(x, p, "The operator \"between\" takes an array of two values [low, high].");
        return NULL;
    }
    sql_node *bounds[2] = {NULL, NULL};
    bool ok = true;
    for (size_t i = 0; i < 2; i++) {
        query__path ep = QUERY__INDEX(p, i);
        if (!query__count_node(x, &ep))
            return NULL;
        const json_t *v = json_array_get(arr, i);
        if (null_operand(x, "between", v, &ep)) {
            ok = false;
            continue;
        }
        bounds[i] = bind_value(x, c, v, 0, &ep);
        ok = ok && bounds[i];
    }
    if (!ok)
        return NULL;
    sql_node *col = column_ref(x, from, c);
    return col ? sql_is_between(x->b, col, bounds[0], bounds[1]) : NULL;
}

/* One operator applied to column c; NULL after a problem. */
static sql_node *apply_op(query__ctx *x, const sql_from *from, const sql_column *c, size_t k,
                          const json_t *v, const query__path *p)
{
    op_kind op = OPS[k].op;
    const char *name = OPS[k].name;
    sql_type_kind type = c->type.kind;

    bool array = c->type.array;
    if ((op == OP_CONTAINS && !array && type != SQL_TYPE_JSONB) || (op == OP_OVERLAPS && !array)) {
        query__bad(x, p,
                     "The operator \"%s\" applies to array fields%s; \"%s\" is %s.", name,
                     op == OP_CONTAINS ? " and jsonb" : "", c->name, sql_type_kind_name(type));
        return NULL;
    }
    if ((op == OP_IN || op == OP_NOT_IN) && array) {
        query__bad(x, p, "The operator \"%s\" does not apply to array fields such as \"%s\"; "
                           "use contains or overlaps.",
                     name, c->name);
        return NULL;
    }
    /* json (unlike jsonb) has no equality in PostgreSQL. */
    if (type == SQL_TYPE_JSON && !array && op != OP_IS_NULL && !(op <= OP_NE && json_is_null(v))) {
        query__bad(x, p,
                     "The field \"%s\" is json, which PostgreSQL cannot compare; only is_null "
                     "applies (jsonb columns also take eq and contains).",
                     c->name);
        return NULL;
    }
    if ((op == OP_LIKE || op == OP_ILIKE) && (!query__is_string(type) || array)) {
        query__bad(x, p, "The operator \"%s\" applies to string and text fields; \"%s\" is %s.",
                     name, c->name, sql_type_kind_name(type));
        return NULL;
    }
    if ((op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE || op == OP_BETWEEN) &&
        !query__orderable(type)) {
        query__bad(x, p, "The operator \"%s\" does not apply to %s fields such as \"%s\".", name,
                   sql_type_kind_name(type), c->name);
        return NULL;
    }

    switch (op) {
    case OP_EQ:
    case OP_NE: {
        if (json_is_null(v)) {
            sql_node *col = column_ref(x, from, c);
            if (!col)
                return NULL;
            return op == OP_EQ ? sql_is_null(x->b, col) : sql_is_not_null(x->b, col);
        }
        sql_node *val = bind_value(x, c, v, ORM_VALUE_STRICT, p);
        sql_node *col = val ? column_ref(x, from, c) : NULL;
        return col ? sql_binary(x->b, OPS[k].sql, col, val) : NULL;
    }
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        if (null_operand(x, name, v, p))
            return NULL;
        sql_node *val = bind_value(x, c, v, 0, p);
        sql_node *col = val ? column_ref(x, from, c) : NULL;
        return col ? sql_binary(x->b, OPS[k].sql, col, val) : NULL;
    }
    case OP_LIKE:
    case OP_ILIKE: {
        if (!json_is_string(v) && !is_claim(x, v)) {
            query__invalid(x, p, "The operator \"%s\" takes a pattern string, not %s.", name,
                           jsonkind_noun(v));
            return NULL;
        }
        sql_node *val = bind_value(x, c, v, 0, p); /* a pattern may exceed the length */
        sql_node *col = val ? column_ref(x, from, c) : NULL;
        return col ? sql_binary(x->b, OPS[k].sql, col, val) : NULL;
    }
    case OP_IN:
    case OP_NOT_IN:
        return in_list(x, from, c, op == OP_NOT_IN, v, p);
    case OP_IS_NULL: {
        if (!json_is_boolean(v)) {
            query__bad(x, p, "The operator \"is_null\" takes true or false, not %s.",
                       jsonkind_noun(v));
            return NULL;
        }
        sql_node *col = column_ref(x, from, c);
        if (!col)
            return NULL;
        return json_is_true(v) ? sql_is_null(x->b, col) : sql_is_not_null(x->b, col);
    }
    case OP_BETWEEN:
        return between(x, from, c, v, p);
    case OP_CONTAINS:
    case OP_OVERLAPS: {
        if (null_operand(x, name, v, p))
            return NULL;
        /* "col @> $1": PostgreSQL types the parameter from the column. */
        sql_node *val = bind_value(x, c, v, 0, p);
        sql_node *col = val ? column_ref(x, from, c) : NULL;
        return col ? sql_binary(x->b, OPS[k].sql, col, val) : NULL;
    }
    }
    return NULL;
}

/* ANDs the parts that translated; false when any failed. n = 0 gives NULL. */
static bool and_parts(query__ctx *x, sql_node **parts, size_t n, bool ok, sql_node **out)
{
    *out = NULL;
    if (!ok || x->aborted)
        return false;
    if (n == 0)
        return true;
    *out = sql_and(x->b, parts, n);
    return *out != NULL;
}

/* "field": value — eq, IS NULL, or an object of operators. */
static bool column_condition(query__ctx *x, const sql_from *from, const sql_column *c,
                             const json_t *v, const query__path *p, sql_node **out)
{
    *out = NULL;
    if (json_is_null(v)) {
        sql_node *col = column_ref(x, from, c);
        *out = col ? sql_is_null(x->b, col) : NULL;
        return *out != NULL;
    }
    if (!json_is_object(v) || is_claim(x, v)) {
        if (c->type.kind == SQL_TYPE_JSON && !c->type.array) {
            query__bad(x, p,
                         "The field \"%s\" is json, which PostgreSQL cannot compare; only "
                         "is_null applies (jsonb columns also take eq and contains).",
                         c->name);
            return false;
        }
        if (json_is_array(v) && c->type.kind != SQL_TYPE_JSONB && !c->type.array) {
            query__invalid(x, p,
                             "Expected a single value for \"%s\", got an array (use {\"in\": "
                             "[...]} for a list).",
                             c->name);
            return false;
        }
        sql_node *val = bind_value(x, c, v, ORM_VALUE_STRICT, p);
        sql_node *col = val ? column_ref(x, from, c) : NULL;
        *out = col ? sql_eq(x->b, col, val) : NULL;
        return *out != NULL;
    }
    size_t n = json_object_size(v);
    if (n == 0) {
        query__bad(x, p, "Expected a value or an object of operators (%s) for \"%s\".", OP_LIST,
                   c->name);
        return false;
    }
    sql_node **parts = ARENA_ARRAY(x->a, sql_node *, n);
    size_t np = 0;
    bool ok = true;
    const char *key;
    const json_t *arg;
    json_object_foreach((json_t *) v, key, arg)
    {
        query__path kp = QUERY__KEY(p, key);
        if (!query__count_node(x, &kp))
            return false;
        size_t k = 0;
        while (k < N_OPS && strcmp(OPS[k].name, key) != 0)
            k++;
        if (k == N_OPS && x->lim.claim_placeholders && strcmp(key, "$claim") == 0) {
            query__bad(x, &kp, "A claim is referred to as {\"$claim\": \"<name>\"}: a string, "
                               "alone in its object.");
            ok = false;
            continue;
        }
        if (k == N_OPS) {
            query__bad(x, &kp, "Unknown operator %s; expected one of %s.", query__quote(x->a, key),
                       OP_LIST);
            ok = false;
            continue;
        }
        sql_node *cond = apply_op(x, from, c, k, arg, &kp);
        if (!cond) {
            ok = false;
            if (x->aborted)
                return false;
            continue;
        }
        parts[np++] = cond;
    }
    return and_parts(x, parts, np, ok, out);
}

/* "relationship": {"any": where} or {"has": where}. */
static bool relation_condition(query__ctx *x, const sql_from *from, const sql_relation *rel,
                               const json_t *v, const query__path *p, int depth, sql_node **out)
{
    *out = NULL;
    bool many = rel->kind == SQL_REL_TO_MANY;
    const char *want = many ? "any" : "has", *other = many ? "has" : "any";
    const char *kind = many ? "to-many" : "to-one";
    const char *key;
    const json_t *sub;
    if (!query__single_member(v, &key, &sub)) {
        query__bad(x, p,
                   "The relationship \"%s\" takes {\"%s\": {...}} (a where document for "
                   "\"%s\"), not %s.",
                   rel->name, want, rel->target ? rel->target->name : "?",
                   json_is_object(v) ? "an object with several keys" : jsonkind_noun(v));
        return false;
    }
    query__path kp = QUERY__KEY(p, key);
    if (!query__count_node(x, &kp))
        return false;
    if (strcmp(key, want) != 0) {
        if (strcmp(key, other) == 0)
            query__bad(x, &kp, "\"%s\" is a %s relationship: use \"%s\", not \"%s\".", rel->name,
                       kind, want, other);
        else
            query__bad(x, &kp,
                       "Unknown key %s under the relationship \"%s\"; expected \"%s\" (it is "
                       "%s).",
                       query__quote(x->a, key), rel->name, want, kind);
        return false;
    }
    if (!json_is_object(sub)) {
        query__bad(x, &kp, "\"%s\" takes a where document (an object), not %s.", want,
                   jsonkind_noun(sub));
        return false;
    }
    if (depth + 1 > x->lim.max_depth) {
        x->aborted = true;
        query__bad(x, &kp, "The where document is nested more than %d levels deep.",
                   x->lim.max_depth);
        return false;
    }
    sql_from *inner = sql_from_table(x->b, rel->target, query__alias(x, rel->target->name));
    if (!inner)
        return false;
    sql_node *cond;
    if (!where_object(x, inner, sub, &kp, depth + 1, &cond))
        return false;
    const char *sec_alias = rel->secondary ? query__alias(x, rel->secondary->name) : NULL;
    *out = sql_relation_exists(x->b, rel, from, inner, sec_alias, cond);
    return *out != NULL;
}

/* "and"/"or": a non-empty array of where documents; "not": one. */
static bool logical(query__ctx *x, const sql_from *from, const char *key, const json_t *v,
                    const query__path *p, int depth, sql_node **out)
{
    *out = NULL;
    if (depth + 1 > x->lim.max_depth) {
        x->aborted = true;
        query__bad(x, p, "The where document is nested more than %d levels deep.",
                   x->lim.max_depth);
        return false;
    }
    if (strcmp(key, "not") == 0) {
        if (!json_is_object(v)) {
            query__bad(x, p, "\"not\" takes a where document (an object), not %s.",
                       jsonkind_noun(v));
            return false;
        }
        if (json_object_size(v) == 0) {
            query__bad(x, p, "\"not\" needs a condition; {} would match every row.");
            return false;
        }
        sql_node *cond;
        if (!where_object(x, from, v, p, depth + 1, &cond))
            return false;
        *out = sql_negate(x->b, cond);
        return *out != NULL;
    }
    bool is_and = strcmp(key, "and") == 0;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        query__bad(x, p, "\"%s\" takes a non-empty array of where documents, not %s.", key,
                   json_is_array(v) ? "an empty array" : jsonkind_noun(v));
        return false;
    }
    size_t n = json_array_size(v);
    sql_node **parts = ARENA_ARRAY(x->a, sql_node *, n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        query__path ep = QUERY__INDEX(p, i);
        if (!query__count_node(x, &ep))
            return false;
        const json_t *w = json_array_get(v, i);
        if (json_is_object(w) && json_object_size(w) == 0) {
            /* Refused rather than read as TRUE: {"or": [{}]} would otherwise
             * make a bulk update's "non-empty where" match every row. */
            query__bad(x, &ep,
                       "An empty where document in \"%s\" would match every row; "
                       "give a condition or remove it.",
                       key);
            ok = false;
            continue;
        }
        if (!json_is_object(w)) {
            query__bad(x, &ep,
                       "Each element of \"%s\" must be a where document (an object), "
                       "not %s.",
                       key, jsonkind_noun(w));
            ok = false;
            continue;
        }
        if (!where_object(x, from, w, &ep, depth + 1, &parts[i])) {
            ok = false;
            if (x->aborted)
                return false;
            continue;
        }
        ok = ok && parts[i];
    }
    if (!ok)
        return false;
    *out = is_and ? sql_and(x->b, parts, n) : sql_or(x->b, parts, n);
    return *out != NULL;
}

/* ==== a where object ==================================================== */

static bool where_object(query__ctx *x, const sql_from *from, const json_t *where,
                         const query__path *p, int depth, sql_node **out)
{
    *out = NULL;
    const sql_table *t = from->table;
    size_t n = json_object_size(where);
    if (n == 0)
        return true;
    sql_node **parts = ARENA_ARRAY(x->a, sql_node *, n);
    size_t np = 0;
    bool ok = true;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *) where, key, v)
    {
        query__path kp = QUERY__KEY(p, key);
        if (!query__count_node(x, &kp))
            return false;
        sql_node *cond = NULL;
        bool done;
        const sql_column *c;
        const sql_relation *rel;
        if (strcmp(key, "and") == 0 || strcmp(key, "or") == 0 || strcmp(key, "not") == 0) {
            done = logical(x, from, key, v, &kp, depth, &cond);
        } else if ((c = query__column(x, t, key))) {
            done = column_condition(x, from, c, v, &kp, &cond);
        } else if ((rel = sql_table_relation(t, key))) {
            done = relation_condition(x, from, rel, v, &kp, depth, &cond);
        } else {
            query__bad(x, &kp, "Unknown field %s on %s. %s Or and, or, not.",
                       query__quote(x->a, key), t->name, query__field_list(x, t, true));
            done = false;
        }
        if (x->aborted)
            return false;
        if (!done || !cond) {
            ok = false;
            continue;
        }
        parts[np++] = cond;
    }
    return and_parts(x, parts, np, ok, out);
}

bool query__where(query__ctx *x, const sql_from *from, const json_t *where, const query__path *p,
                  sql_node **out)
{
    *out = NULL;
    if (!from || !from->table) {
        query__bad(x, p, "A where document needs a table to apply to.");
        return false;
    }
    if (!json_is_object(where)) {
        query__bad(x, p, "A where document must be an object, not %s.", jsonkind_noun(where));
        return false;
    }
    if (!x->root)
        x->root = from;
    return where_object(x, from, where, p, 0, out);
}

sql_node *query_where(sql_builder *b, const sql_from *from, const json_t *where,
                      const char *pointer_prefix, const query_limits *lim, err_report *err)
{
    query__ctx x;
    query__begin(&x, b, lim, pointer_prefix, err);
    query__path root = QUERY__ROOT(pointer_prefix);
    sql_node *cond = NULL;
    if (where)
        query__where(&x, from, where, &root, &cond);
    if (!query__end(&x))
        return NULL;
    return cond;
}
