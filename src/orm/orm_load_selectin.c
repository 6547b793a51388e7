/*
 * orm_load_selectin — selectin loading (and, one parent at a time, lazy
 * "select" loading): the children of many parents in one statement per
 * batch of at most ORM_SELECTIN_BATCH distinct keys.
 *
 *   SELECT "orders"."user_id", "orders".* FROM "orders"
 *     WHERE "orders"."user_id" = ANY($1::integer[])
 *     ORDER BY <order_by>, "orders"."id"
 *
 *   many-to-many: the association table's key of the parent side is the
 *   first column, and the association table is joined:
 *   SELECT "order_tags"."order_id", "tags".* FROM "tags"
 *     JOIN "order_tags" ON "order_tags"."tag_id" = "tags"."id"
 *     WHERE "order_tags"."order_id" = ANY($1::integer[]) ORDER BY ...
 *
 * A composite foreign key selects all its columns first and matches
 * (k1 = $1 AND k2 = $2) OR ... per batch; the key text of a parent and of
 * a row is then its parts percent-encoded and joined by commas.
 *
 * The first column is the key a row belongs to; rows are handed to every
 * parent with that key (several parents share one for many-to-one), in
 * statement order, which is the relationship's order. The key array is one
 * parameter, so the statement shape does not depend on the batch size.
 * Joined nodes below the relationship join into the same statement.
 *
 * A many-to-one whose target is already in the identity map (loaded, not
 * expired) is taken from there without SQL, as SQLAlchemy's selectin
 * loader does: include=orders,orders.user does not read again the users
 * the session already holds.
 */
#include "orm_int.h"

/* PostgreSQL's INDEX_MAX_KEYS: no key has more columns. */
enum { MAX_KEY_COLUMNS = 32 };

/* The instance a many-to-one key names, when the session holds it whole. */
static orm_entity *held_target(orm_session *s, const orm_relationship *rel, const char *key)
{
    const sql_relation *r = rel->relation;
    const orm_mapper *t = rel->target;
    if (rel->to_many || r->secondary || r->n_on != 1 || t->n_pk != 1 ||
        t->columns[t->pk[0]] != r->on[0].remote)
        return NULL;
    const char *id = orm__identity_text(s->arena, t, &key);
    orm_entity *e = id ? orm__identity_get(s, t, id) : NULL;
    return e && e->state == ORM_PERSISTENT && !e->expired ? e : NULL;
}

/* The key a parent or a row belongs to: the text of its one key column,
 * or for a composite foreign key its columns percent-encoded and joined
 * by commas; NULL when a part is NULL (it matches nothing). */
static const char *composite_text(arena *a, const char *const *parts, size_t n)
{
    if (n == 1)
        return parts[0];
    sbuf b;
    sbuf_init(&b, a, 32);
    for (size_t k = 0; k < n; k++) {
        if (!parts[k])
            return NULL;
        if (k)
            sbuf_append_char(&b, ',');
        sbuf_append_pct(&b, parts[k]);
    }
    return sbuf_str(&b);
}

static const char *parent_key(arena *a, const sql_relation *r, const orm_entity *p)
{
    const char *parts[MAX_KEY_COLUMNS];
    for (size_t k = 0; k < r->n_on && k < MAX_KEY_COLUMNS; k++)
        parts[k] = orm_entity_get(p, r->on[k].local->index);
    return composite_text(a, parts, r->n_on);
}

static const char *row_key(arena *a, const sql_relation *r, const eng_result *res, int row)
{
    const char *parts[MAX_KEY_COLUMNS];
    for (size_t k = 0; k < r->n_on && k < MAX_KEY_COLUMNS; k++)
        parts[k] = eng_result_is_null(res, row, (int) k) ? NULL
                                                         : eng_result_value(res, row, (int) k);
    return composite_text(a, parts, r->n_on);
}

/* WHERE key IN (batch): one array parameter for one column; for a
 * composite key (k1 = $1 AND k2 = $2) OR ..., one group per key. */
static sql_node *keys_condition(arena *a, sql_builder *b, const sql_relation *r,
                                const sql_from *keyed, const sql_value *vals, size_t n,
                                const char *const *const *parts)
{
    if (r->n_on == 1)
        return sql_in(b, sql_col_of(b, keyed, r->on[0].remote), vals, n);
    sql_node **ors = ARENA_ARRAY(a, sql_node *, n);
    for (size_t i = 0; i < n; i++) {
        sql_node **ands = ARENA_ARRAY(a, sql_node *, r->n_on);
        for (size_t k = 0; k < r->n_on; k++)
            ands[k] = sql_eq(b, sql_col_of(b, keyed, r->on[k].remote),
                             sql_bind(b, sql_val_str(parts[i][k])));
        ors[i] = sql_and(b, ands, r->n_on);
    }
    return sql_or(b, ors, n);
}

bool orm__load_selectin(orm_session *s, const orm_relationship *rel, orm_entity *const *parents,
                        size_t n_parents, orm_load_node *const *joined, size_t n_joined,
                        err_report *err)
{
    arena *a = s->arena;
    const sql_relation *r = rel->relation;
    if (r->n_on > MAX_KEY_COLUMNS) {
        err_set(err, ERR_INTERNAL, "The foreign key of \"%s\" has too many columns.", rel->name);
        return false;
    }
    orm__vec key_parts = {0}; /* composite keys: the parts of each distinct key */

    /* Distinct keys in parent order, and the parents of each. Every parent
     * gets a loaded, empty collection first. */
    orm__strmap by_key = {0};
    orm__vec keys = {0};
    for (size_t i = 0; i < n_parents; i++) {
        orm_entity *p = parents[i];
        orm__rel_reset(p, rel->index);
        const char *key = parent_key(a, r, p);
        if (!key)
            continue;
        orm_entity *held = n_joined ? NULL : held_target(s, rel, key);
        if (held) {
            orm__rel_append(p, rel->index, held);
            continue;
        }
        orm__vec *list = orm__strmap_get(&by_key, key);
        if (!list) {
            list = ARENA_NEW(a, orm__vec);
            orm__strmap_put(a, &by_key, key, list);
            orm__vec_push(a, &keys, (void *) key);
            if (r->n_on > 1) {
                const char **parts = ARENA_ARRAY(a, const char *, r->n_on);
                for (size_t k = 0; k < r->n_on; k++)
                    parts[k] = orm_entity_get(p, r->on[k].local->index);
                orm__vec_push(a, &key_parts, (void *) parts);
            }
        }
        orm__vec_push(a, list, p);
    }

    orm__tripleset seen = {0};
    for (size_t start = 0; start < keys.n; start += ORM_SELECTIN_BATCH) {
        size_t n = keys.n - start < ORM_SELECTIN_BATCH ? keys.n - start : ORM_SELECTIN_BATCH;
        sql_value *vals = ARENA_ARRAY(a, sql_value, n);
        for (size_t i = 0; i < n; i++)
            vals[i] = sql_val_str(keys.items[start + i]);

        sql_builder *b = orm__builder(s, err);
        sql_select *sel = sql_select_new(b);
        sql_from *target = sql_from_table(b, rel->target->table, NULL);
        sql_from *keyed = target; /* the FROM item holding the key column */
        sql_select_from(b, sel, target);
        if (r->secondary) {
            keyed = sql_from_table(b, r->secondary, NULL);
            sql_select_join(b, sel, SQL_JOIN_INNER, keyed,
                            sql_eq(b, sql_col_of(b, keyed, r->secondary_on[0].local),
                                   sql_col_of(b, target, r->secondary_on[0].remote)));
        }
        for (size_t k = 0; k < r->n_on; k++) /* the key a row belongs to comes first */
            sql_select_column(b, sel, sql_col_of(b, keyed, r->on[k].remote), NULL);
        sql_select_where(b, sel,
                         keys_condition(a, b, r, keyed, vals, n,
                                        (const char *const *const *) key_parts.items + start));
        orm__order_children(b, sel, rel, target);
        orm__fetch f = {0};
        orm__fetch_build(b, sel, &f, rel->target, target, (int) r->n_on, joined, n_joined);
        if (!orm__builder_ok(b, err))
            return false;
        eng_result *res = orm_session_execute_stmt(s, SQL_NODE(sel), err);
        if (!res)
            return false;
        int rows = eng_result_rows(res);
        for (int row = 0; row < rows; row++) {
            orm_entity *child = orm__fetch_row(s, &f, res, row, &seen);
            const char *key = row_key(a, r, res, row);
            const orm__vec *list = key ? orm__strmap_get(&by_key, key) : NULL;
            if (!child || !list)
                continue;
            for (size_t i = 0; i < list->n; i++)
                if (orm__tripleset_add(a, &seen, list->items[i], child, rel->index))
                    orm__rel_append(list->items[i], rel->index, child);
        }
    }
    return true;
}
