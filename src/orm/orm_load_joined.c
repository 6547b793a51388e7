/*
 * orm_load_joined — joined eager loading: LEFT OUTER JOINs in the
 * statement that fetches the parents, and the hydration of its rows.
 *
 *   SELECT "users".*, "ld_1".*, "ld_2".* FROM "users"
 *     LEFT OUTER JOIN "orders" AS "ld_1" ON "users"."id" = "ld_1"."user_id"
 *     LEFT OUTER JOIN "items" AS "ld_2" ON "ld_1"."id" = "ld_2"."order_id"
 *     WHERE ... ORDER BY <parent order>, "users"."id",
 *                        <orders order>, "ld_1"."id", <items order>, "ld_2"."id"
 *
 * Each entity of a row is a "slot": slot 0 is the statement's primary
 * entity, every joined plan node below adds one (pre-order). A parent
 * repeats once per joined child (and per combination of sibling to-many
 * joins); the identity map makes every repeat the same instance, and a
 * set of (parent, child, relationship) drops repeated children, so each
 * collection holds its children once, in first-appearance order. The
 * ORDER BY makes that order the relationship's order (its order_by, then
 * the key): the same lists selectin and select loading produce.
 *
 * Many-to-many joins the association table too (no columns selected).
 * The same code serves the root query, selectin batches and per-parent
 * loads, so joined nodes nest under any strategy.
 */
#include "orm_int.h"

/* A column of a FROM item that may be a derived table (the wrapped parent
 * SELECT of a limited query), where columns are found by name. */
static sql_node *column_of(sql_builder *b, const sql_from *f, const sql_column *c)
{
    return f->table ? sql_col_of(b, f, c) : sql_col(b, f, c->name);
}

bool orm__order_children(sql_builder *b, sql_select *s, const orm_relationship *rel,
                         const sql_from *target)
{
    const orm_mapper *t = rel->target;
    bool ok = true;
    if (rel->order_by >= 0)
        ok = sql_select_order_by(b, s, column_of(b, target, t->columns[rel->order_by]),
                                 rel->order_desc, SQL_NULLS_DEFAULT);
    for (size_t k = 0; ok && k < t->n_pk; k++)
        ok = sql_select_order_by(b, s, column_of(b, target, t->columns[t->pk[k]]), false,
                                 SQL_NULLS_DEFAULT);
    return ok;
}

static void push_slot(sql_builder *b, orm__fetch *f, orm__slot slot)
{
    arena *a = sql_builder_arena(b);
    f->slots = arena_realloc(a, f->slots, f->n_slots * sizeof *f->slots,
                             (f->n_slots + 1) * sizeof *f->slots);
    f->slots[f->n_slots++] = slot;
}

static bool add_columns(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                        const sql_from *from)
{
    for (size_t i = 0; i < m->n_columns; i++)
        if (!sql_select_column(b, s, column_of(b, from, m->columns[i]), NULL))
            return false;
    f->n_columns += (int) m->n_columns;
    return true;
}

static const char *next_alias(sql_builder *b, orm__fetch *f)
{
    return arena_sprintf(sql_builder_arena(b), "ld_%u", ++f->alias_seq);
}

static bool add_joins(sql_builder *b, sql_select *s, orm__fetch *f, size_t parent,
                      orm_load_node *const *nodes, size_t n_nodes);

static bool add_join(sql_builder *b, sql_select *s, orm__fetch *f, size_t parent,
                     const orm_load_node *node)
{
    const orm_relationship *rel = node->rel;
    const sql_relation *r = rel->relation;
    const sql_from *pf = f->slots[parent].from;
    sql_from *target = sql_from_table(b, rel->target->table, next_alias(b, f));
    sql_node *local = column_of(b, pf, r->on[0].local);
    if (r->secondary) {
        sql_from *sec = sql_from_table(b, r->secondary, next_alias(b, f));
        if (!sql_select_join(b, s, SQL_JOIN_LEFT, sec,
                             sql_eq(b, local, sql_col_of(b, sec, r->on[0].remote))) ||
            !sql_select_join(b, s, SQL_JOIN_LEFT, target,
                             sql_eq(b, sql_col_of(b, sec, r->secondary_on[0].local),
                                    sql_col_of(b, target, r->secondary_on[0].remote))))
            return false;
    } else {
        /* Every column pair: a composite foreign key joins on all of them. */
        sql_node **eqs = ARENA_ARRAY(sql_builder_arena(b), sql_node *, r->n_on);
        for (size_t i = 0; i < r->n_on; i++)
            eqs[i] = sql_eq(b, i ? column_of(b, pf, r->on[i].local) : local,
                            sql_col_of(b, target, r->on[i].remote));
        if (!sql_select_join(b, s, SQL_JOIN_LEFT, target,
                             r->n_on == 1 ? eqs[0] : sql_and(b, eqs, r->n_on)))
            return false;
    }
    size_t me = f->n_slots;
    push_slot(b, f,
              (orm__slot){.mapper = rel->target,
                          .node = node,
                          .parent = parent,
                          .offset = f->n_columns,
                          .from = target});
    return add_columns(b, s, f, rel->target, target) &&
           add_joins(b, s, f, me, node->children, node->n_children);
}

static bool add_joins(sql_builder *b, sql_select *s, orm__fetch *f, size_t parent,
                      orm_load_node *const *nodes, size_t n_nodes)
{
    for (size_t i = 0; i < n_nodes; i++)
        if (nodes[i]->strategy == CFG_LOAD_JOINED && !add_join(b, s, f, parent, nodes[i]))
            return false;
    return true;
}

/* Slot 0 narrowed to the columns only[] marks: pos maps them. */
static bool add_some_columns(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                             const sql_from *from, const bool *only)
{
    int *pos = ARENA_ARRAY(sql_builder_arena(b), int, m->n_columns);
    for (size_t i = 0; i < m->n_columns; i++) {
        pos[i] = -1;
        if (!only[i])
            continue;
        if (!sql_select_column(b, s, column_of(b, from, m->columns[i]), NULL))
            return false;
        pos[i] = f->n_columns++;
    }
    f->slots[0].pos = pos;
    return true;
}

bool orm__fetch_build_only(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                           sql_from *from, int offset, const bool *only,
                           orm_load_node *const *nodes, size_t n_nodes)
{
    f->n_columns = offset;
    push_slot(b, f, (orm__slot){.mapper = m, .offset = offset, .from = from});
    if (!(only ? add_some_columns(b, s, f, m, from, only) : add_columns(b, s, f, m, from)) ||
        !add_joins(b, s, f, 0, nodes, n_nodes))
        return false;
    /* The children's order, after whatever orders the primary entities. */
    for (size_t k = 1; k < f->n_slots; k++)
        if (!orm__order_children(b, s, f->slots[k].node->rel, f->slots[k].from))
            return false;
    f->scratch = ARENA_ARRAY(sql_builder_arena(b), orm_entity *, f->n_slots);
    return true;
}

bool orm__fetch_build(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                      sql_from *from, int offset, orm_load_node *const *nodes, size_t n_nodes)
{
    return orm__fetch_build_only(b, s, f, m, from, offset, NULL, nodes, n_nodes);
}

bool orm__joins_to_many(orm_load_node *const *nodes, size_t n_nodes)
{
    for (size_t i = 0; i < n_nodes; i++)
        if (nodes[i]->strategy == CFG_LOAD_JOINED &&
            (nodes[i]->rel->to_many ||
             orm__joins_to_many(nodes[i]->children, nodes[i]->n_children)))
            return true;
    return false;
}

orm_entity *orm__fetch_row(orm_session *s, const orm__fetch *f, const eng_result *r, int row,
                           orm__tripleset *seen)
{
    orm_entity **ents = f->scratch;
    ents[0] =
        orm__hydrate_at(s, f->slots[0].mapper, r, row, f->slots[0].offset, f->slots[0].pos);
    for (size_t k = 1; k < f->n_slots; k++) {
        const orm__slot *slot = &f->slots[k];
        orm_entity *parent = ents[slot->parent];
        ents[k] = NULL;
        if (!parent)
            continue;
        size_t ri = slot->node->rel->index;
        if (orm__tripleset_add(s->arena, seen, parent, NULL, ri))
            orm__rel_reset(parent, ri); /* first sight in this load */
        orm_entity *child = orm__hydrate(s, slot->mapper, r, row, slot->offset);
        ents[k] = child;
        if (child && orm__tripleset_add(s->arena, seen, parent, child, ri))
            orm__rel_append(parent, ri, child);
    }
    return ents[0];
}
