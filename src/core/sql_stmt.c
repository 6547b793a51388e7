/*
 * sql_stmt — statement builders: SELECT, INSERT, UPDATE, DELETE.
 *
 * Statements are built incrementally (like SQLAlchemy's generative
 * select().where().order_by()), so their height grows with every clause
 * added; each addition is checked against SQL_MAX_DEPTH. A statement that
 * is already wrapped (EXISTS, derived table) does not propagate later
 * growth to its parent: finish a statement before wrapping it (the
 * compiler re-checks the depth of the whole tree anyway).
 */
#include <string.h>

#include "sql_int.h"

/* Raises a statement's height for a new child; false past the limit. */
static bool grow_height(sql_builder *b, void *stmt, const void *child)
{
    sql_node *s = stmt;
    int h = sql__height(child) + 1;
    if (!sql__height_ok(b, h))
        return false;
    if (h > s->height)
        s->height = h;
    return true;
}

static bool label_ok(sql_builder *b, const char *label)
{
    if (!label || sql__ident_ok(label))
        return true;
    sql__problem(b, ERR_INTERNAL, "The label \"%s\" must be 1 to %d bytes long.", label,
                 SQL_MAX_IDENT);
    return false;
}

/* cond ANDed onto *where, kept flat: a AND b AND c, not (a AND b) AND c. */
static bool and_into(sql_builder *b, void *stmt, sql_node **where, sql_node *cond)
{
    if (!sql__expr_operand(b, cond, "condition"))
        return false;
    sql_node *w = cond;
    if (*where) {
        const sql_boolop *old =
            sql_is(*where, SQL_BOOLOP) && ((const sql_boolop *) *where)->op == SQL_AND
                ? (const sql_boolop *) *where
                : NULL;
        size_t n = old ? old->n_args + 1 : 2;
        sql_node **args = ARENA_ARRAY(b->arena, sql_node *, n);
        if (old)
            memcpy(args, old->args, old->n_args * sizeof *args);
        else
            args[0] = *where;
        args[n - 1] = cond;
        w = sql_and(b, args, n);
        if (!w)
            return false;
    }
    if (!grow_height(b, stmt, w))
        return false;
    *where = w;
    return true;
}

static bool add_item(sql_builder *b, void *stmt, sql_select_item **items, size_t *n, sql_node *expr,
                     const char *label)
{
    if (!sql__expr_operand(b, expr, "column expression") || !label_ok(b, label) ||
        !grow_height(b, stmt, expr))
        return false;
    SQL__PUSH(b->arena, *items, *n, sql_select_item);
    (*items)[*n].expr = expr;
    (*items)[*n].label = arena_strdup(b->arena, label);
    (*n)++;
    return true;
}

/* A DML target: a FROM item over a table (not a derived table). */
static bool target_ok(sql_builder *b, const sql_from *target)
{
    if (!sql__operand(b, target, "target table"))
        return false;
    if (!target->table) {
        sql__problem(b, ERR_INTERNAL, "The target of INSERT, UPDATE or DELETE must be a table.");
        return false;
    }
    return true;
}

static bool column_of(sql_builder *b, const sql_from *target, const sql_column *c)
{
    if (!sql__operand(b, c, "column"))
        return false;
    if (c->table != target->table) {
        sql__problem(b, ERR_INTERNAL, "The column \"%s.%s\" does not belong to \"%s\".",
                     c->table->name, c->name, target->table->name);
        return false;
    }
    return true;
}

static const sql_column **column_list(sql_builder *b, const sql_from *target,
                                      const sql_column *const *cols, size_t n)
{
    if (n && !cols) {
        sql__problem(b, ERR_INTERNAL, "A column list is missing.");
        return NULL;
    }
    const sql_column **out = ARENA_ARRAY(b->arena, const sql_column *, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        if (!column_of(b, target, cols[i]))
            return NULL;
        for (size_t j = 0; j < i; j++) {
            if (cols[j] == cols[i]) {
                sql__problem(b, ERR_BAD_REQUEST, "The column \"%s\" is listed twice.",
                             cols[i]->name);
                return NULL;
            }
        }
        out[i] = cols[i];
    }
    return out;
}

/* ==== SELECT ========================================================== */

sql_select *sql_select_new(sql_builder *b)
{
    return SQL__NEW(b, sql_select);
}

bool sql_select_distinct(sql_builder *b, sql_select *s)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    s->distinct = true;
    return true;
}

bool sql_select_column(sql_builder *b, sql_select *s, sql_node *expr, const char *label)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    return add_item(b, s, &s->items, &s->n_items, expr, label);
}

bool sql_select_from(sql_builder *b, sql_select *s, sql_from *from)
{
    if (!sql__operand(b, s, "SELECT") || !sql__operand(b, from, "FROM item"))
        return false;
    if (s->from) {
        sql__problem(b, ERR_INTERNAL, "The SELECT already has a FROM item; add a join.");
        return false;
    }
    if (!grow_height(b, s, from))
        return false;
    s->from = from;
    return true;
}

bool sql_select_join(sql_builder *b, sql_select *s, sql_join_kind type, sql_from *from,
                     sql_node *on)
{
    if (!sql__operand(b, s, "SELECT") || !sql__operand(b, from, "joined FROM item") ||
        !sql__expr_operand(b, on, "join condition"))
        return false;
    if (!s->from) {
        sql__problem(b, ERR_INTERNAL, "A join needs the SELECT's FROM item first.");
        return false;
    }
    if (type != SQL_JOIN_INNER && type != SQL_JOIN_LEFT) {
        sql__problem(b, ERR_INTERNAL, "Unknown join type %d.", (int) type);
        return false;
    }
    if (!grow_height(b, s, from) || !grow_height(b, s, on))
        return false;
    SQL__PUSH(b->arena, s->joins, s->n_joins, sql_join);
    s->joins[s->n_joins++] = (sql_join){.type = type, .from = from, .on = on};
    return true;
}

bool sql_select_where(sql_builder *b, sql_select *s, sql_node *cond)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    return and_into(b, s, &s->where, cond);
}

bool sql_select_group_by(sql_builder *b, sql_select *s, sql_node *expr)
{
    if (!sql__operand(b, s, "SELECT") || !sql__expr_operand(b, expr, "GROUP BY expression") ||
        !grow_height(b, s, expr))
        return false;
    SQL__PUSH(b->arena, s->group_by, s->n_group_by, sql_node *);
    s->group_by[s->n_group_by++] = expr;
    return true;
}

bool sql_select_having(sql_builder *b, sql_select *s, sql_node *cond)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    return and_into(b, s, &s->having, cond);
}

bool sql_select_order_by(sql_builder *b, sql_select *s, sql_node *expr, bool desc, sql_nulls nulls)
{
    if (!sql__operand(b, s, "SELECT") || !sql__expr_operand(b, expr, "ORDER BY expression") ||
        !grow_height(b, s, expr))
        return false;
    if (nulls != SQL_NULLS_DEFAULT && nulls != SQL_NULLS_FIRST && nulls != SQL_NULLS_LAST) {
        sql__problem(b, ERR_INTERNAL, "Unknown NULLS order %d.", (int) nulls);
        return false;
    }
    SQL__PUSH(b->arena, s->order_by, s->n_order_by, sql_order_item);
    s->order_by[s->n_order_by++] = (sql_order_item){.expr = expr, .desc = desc, .nulls = nulls};
    return true;
}

static bool paging(sql_builder *b, sql_select *s, sql_param **slot, int64_t n, const char *what)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    if (n < 0) {
        sql__problem(b, ERR_BAD_REQUEST, "The %s must not be negative.", what);
        return false;
    }
    if (*slot) { /* replacing: the old parameter no longer counts */
        (*slot)->value = sql_val_int(n);
        return true;
    }
    sql_param *p = SQL_CAST(sql_bind(b, sql_val_int(n)), sql_param);
    if (!p || !grow_height(b, s, p))
        return false;
    *slot = p;
    return true;
}

bool sql_select_limit(sql_builder *b, sql_select *s, int64_t n)
{
    return paging(b, s, s ? &s->limit : NULL, n, "limit");
}

bool sql_select_offset(sql_builder *b, sql_select *s, int64_t n)
{
    return paging(b, s, s ? &s->offset : NULL, n, "offset");
}

bool sql_select_lock(sql_builder *b, sql_select *s, sql_lock lock, sql_lock_wait wait,
                     const sql_from *of)
{
    if (!sql__operand(b, s, "SELECT"))
        return false;
    if (lock < SQL_LOCK_NONE || lock > SQL_LOCK_SHARE || wait < SQL_LOCK_WAIT ||
        wait > SQL_LOCK_SKIP_LOCKED) {
        sql__problem(b, ERR_INTERNAL, "Unknown lock mode.");
        return false;
    }
    if (of) {
        bool in_from = of == s->from;
        for (size_t i = 0; i < s->n_joins && !in_from; i++)
            in_from = of == s->joins[i].from;
        if (!in_from) {
            sql__problem(b, ERR_INTERNAL, "FOR UPDATE OF \"%s\": not a FROM item of this SELECT.",
                         of->alias);
            return false;
        }
    }
    s->lock = lock;
    s->lock_wait = wait;
    s->lock_of = lock == SQL_LOCK_NONE ? NULL : of;
    return true;
}

/* ==== INSERT ========================================================== */

sql_insert *sql_insert_new(sql_builder *b, sql_from *target, const sql_column *const *columns,
                           size_t n_columns)
{
    if (!target_ok(b, target))
        return NULL;
    const sql_column **cols = column_list(b, target, columns, n_columns);
    if (!cols)
        return NULL;
    sql_insert *ins = SQL__NEW(b, sql_insert);
    ins->target = target;
    ins->height = 2;
    ins->columns = cols;
    ins->n_columns = n_columns;
    return ins;
}

bool sql_insert_row(sql_builder *b, sql_insert *ins, sql_node *const *values)
{
    if (!sql__operand(b, ins, "INSERT"))
        return false;
    if (ins->n_columns == 0) {
        sql__problem(b, ERR_INTERNAL, "An INSERT without columns takes no VALUES rows.");
        return false;
    }
    for (size_t i = 0; i < ins->n_columns; i++)
        if (!sql__expr_operand(b, values ? values[i] : NULL, "inserted value") ||
            !grow_height(b, ins, values[i]))
            return false;
    size_t total = ins->n_rows * ins->n_columns;
    for (size_t i = 0; i < ins->n_columns; i++) {
        SQL__PUSH(b->arena, ins->values, total, sql_node *);
        ins->values[total++] = values[i];
    }
    ins->n_rows++;
    return true;
}

static bool conflict(sql_builder *b, sql_insert *ins, const sql_column *const *target, size_t n,
                     sql_on_conflict how)
{
    if (!sql__operand(b, ins, "INSERT"))
        return false;
    if (how == SQL_CONFLICT_UPDATE && n == 0) {
        sql__problem(b, ERR_INTERNAL, "ON CONFLICT DO UPDATE needs conflict columns.");
        return false;
    }
    const sql_column **cols = column_list(b, ins->target, target, n);
    if (!cols)
        return false;
    ins->conflict = how;
    ins->conflict_columns = cols;
    ins->n_conflict_columns = n;
    ins->conflict_set = NULL;
    ins->n_conflict_set = 0;
    ins->conflict_where = NULL;
    return true;
}

bool sql_insert_on_conflict_do_nothing(sql_builder *b, sql_insert *ins,
                                       const sql_column *const *target, size_t n)
{
    return conflict(b, ins, target, n, SQL_CONFLICT_NOTHING);
}

bool sql_insert_on_conflict_do_update(sql_builder *b, sql_insert *ins,
                                      const sql_column *const *target, size_t n)
{
    return conflict(b, ins, target, n, SQL_CONFLICT_UPDATE);
}

static bool add_set(sql_builder *b, void *stmt, const sql_from *target, sql_set_clause **set,
                    size_t *n, const sql_column *c, sql_node *value)
{
    if (!column_of(b, target, c) || !sql__expr_operand(b, value, "assigned value") ||
        !grow_height(b, stmt, value))
        return false;
    for (size_t i = 0; i < *n; i++) {
        if ((*set)[i].column == c) {
            sql__problem(b, ERR_BAD_REQUEST, "The column \"%s\" is assigned twice.", c->name);
            return false;
        }
    }
    SQL__PUSH(b->arena, *set, *n, sql_set_clause);
    (*set)[(*n)++] = (sql_set_clause){.column = c, .value = value};
    return true;
}

bool sql_insert_conflict_set(sql_builder *b, sql_insert *ins, const sql_column *c, sql_node *value)
{
    if (!sql__operand(b, ins, "INSERT"))
        return false;
    if (ins->conflict != SQL_CONFLICT_UPDATE) {
        sql__problem(b, ERR_INTERNAL, "SET needs ON CONFLICT DO UPDATE first.");
        return false;
    }
    return add_set(b, ins, ins->target, &ins->conflict_set, &ins->n_conflict_set, c, value);
}

bool sql_insert_conflict_where(sql_builder *b, sql_insert *ins, sql_node *cond)
{
    if (!sql__operand(b, ins, "INSERT"))
        return false;
    if (ins->conflict != SQL_CONFLICT_UPDATE) {
        sql__problem(b, ERR_INTERNAL, "WHERE needs ON CONFLICT DO UPDATE first.");
        return false;
    }
    return and_into(b, ins, &ins->conflict_where, cond);
}

bool sql_insert_returning(sql_builder *b, sql_insert *ins, sql_node *expr, const char *label)
{
    if (!sql__operand(b, ins, "INSERT"))
        return false;
    return add_item(b, ins, &ins->returning, &ins->n_returning, expr, label);
}

/* ==== UPDATE ========================================================== */

sql_update *sql_update_new(sql_builder *b, sql_from *target)
{
    if (!target_ok(b, target))
        return NULL;
    sql_update *u = SQL__NEW(b, sql_update);
    u->target = target;
    u->height = 2;
    return u;
}

bool sql_update_set(sql_builder *b, sql_update *u, const sql_column *c, sql_node *value)
{
    if (!sql__operand(b, u, "UPDATE"))
        return false;
    return add_set(b, u, u->target, &u->set, &u->n_set, c, value);
}

bool sql_update_where(sql_builder *b, sql_update *u, sql_node *cond)
{
    if (!sql__operand(b, u, "UPDATE"))
        return false;
    return and_into(b, u, &u->where, cond);
}

bool sql_update_returning(sql_builder *b, sql_update *u, sql_node *expr, const char *label)
{
    if (!sql__operand(b, u, "UPDATE"))
        return false;
    return add_item(b, u, &u->returning, &u->n_returning, expr, label);
}

/* ==== DELETE ========================================================== */

sql_delete *sql_delete_new(sql_builder *b, sql_from *target)
{
    if (!target_ok(b, target))
        return NULL;
    sql_delete *d = SQL__NEW(b, sql_delete);
    d->target = target;
    d->height = 2;
    return d;
}

bool sql_delete_where(sql_builder *b, sql_delete *d, sql_node *cond)
{
    if (!sql__operand(b, d, "DELETE"))
        return false;
    return and_into(b, d, &d->where, cond);
}

bool sql_delete_returning(sql_builder *b, sql_delete *d, sql_node *expr, const char *label)
{
    if (!sql__operand(b, d, "DELETE"))
        return false;
    return add_item(b, d, &d->returning, &d->n_returning, expr, label);
}
