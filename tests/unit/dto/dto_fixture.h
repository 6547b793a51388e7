/*
 * dto_fixture — what the DTO unit tests share: a registry built from
 * configuration JSON (no database: orm_registry_create only builds
 * metadata and mappers), a session without a pool (transient entities
 * never touch it), and helpers to parse bodies and look at reports.
 *
 * Header-only (static inline) so each test stays one source file.
 */
#ifndef RETORT_DTO_FIXTURE_H
#define RETORT_DTO_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg.h"
#include "dto.h"
#include "orm.h"
#include "testsupport.h"

/* One model with a column of every type and every option, and a pair of
 * models with relationships both ways. Single quotes stand for double
 * quotes (ts_dquote). */
static const char DF_MODELS[] =
    "{'models': {"
    " 'Item': {'table': 'items', 'version_column': 'version',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'ref': {'type': 'uuid'},"
    "   'name': {'type': 'string', 'length': 5, 'nullable': false},"
    "   'note': {'type': 'text'},"
    "   'qty': {'type': 'integer'},"
    "   'big': {'type': 'bigint'},"
    "   'ratio': {'type': 'float'},"
    "   'price': {'type': 'numeric', 'precision': 6, 'scale': 2},"
    "   'amount': {'type': 'numeric'},"
    "   'active': {'type': 'boolean', 'default': true},"
    "   'born': {'type': 'date'},"
    "   'seen_at': {'type': 'timestamptz', 'nullable': false, 'server_default': 'now()'},"
    "   'meta': {'type': 'json'},"
    "   'status': {'type': 'string', 'length': 10, 'nullable': false, 'default': 'new',"
    "              'choices': ['new', 'done', '\\u00fcn\\u00ef']},"
    "   'secret': {'type': 'string', 'write_only': true},"
    "   'created_by': {'type': 'string', 'read_only': true, 'nullable': false},"
    "   'version': {'type': 'integer', 'nullable': false}}},"
    " 'User': {'table': 'users',"
    "  'columns': {"
    "   'id': {'type': 'uuid', 'primary_key': true, 'server_default': 'gen_random_uuid()'},"
    "   'email': {'type': 'string', 'length': 255, 'nullable': false},"
    "   'password': {'type': 'string', 'write_only': true}},"
    "  'relationships': {"
    "   'orders': {'target': 'Order', 'kind': 'one_to_many', 'foreign_key': 'user_id',"
    "              'back_populates': 'user', 'lazy': 'selectin'},"
    "   'notes': {'target': 'Note', 'kind': 'one_to_many', 'foreign_key': 'user_id',"
    "             'back_populates': 'user'}}},"
    " 'Order': {'table': 'orders',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'user_id': {'type': 'uuid', 'nullable': false, 'references': 'users.id'},"
    "   'total': {'type': 'numeric', 'precision': 12, 'scale': 2}},"
    "  'relationships': {"
    "   'user': {'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id',"
    "            'back_populates': 'orders'}}},"
    " 'Note': {'table': 'notes',"
    "  'columns': {"
    "   'id': {'type': 'integer', 'primary_key': true, 'autoincrement': true},"
    "   'user_id': {'type': 'uuid', 'references': 'users.id'},"
    "   'body': {'type': 'text'}},"
    "  'relationships': {"
    "   'user': {'target': 'User', 'kind': 'many_to_one', 'foreign_key': 'user_id',"
    "            'back_populates': 'notes', 'lazy': 'joined'}}}"
    "}}";

typedef struct df_fixture {
    arena *process; /* config, metadata, mappers */
    arena *a;       /* the request: session, entities, reports */
    cfg_config *cfg;
    orm_registry *reg;
    orm_session *session;
    const orm_mapper *item, *user, *order, *note;
    err_report err;
} df_fixture;

static inline void df_print_items(const err_report *err)
{
    for (size_t i = 0; i < err->n_items; i++)
        print_message("  item %zu: %s: %s\n", i,
                      err->items[i].pointer ? err->items[i].pointer : "(none)",
                      err->items[i].detail ? err->items[i].detail : "(none)");
}

static inline int df_setup(void **state)
{
    df_fixture *f = calloc(1, sizeof *f);
    f->process = arena_create(NULL, "test_dto_process");
    f->a = arena_create(NULL, "test_dto_request");
    err_report err;
    err_init(&err, f->process);
    f->cfg = cfg_load_string(f->process, ts_dquote(f->process, DF_MODELS), "dto.json", NULL, &err);
    ts_assert_ok(&err, "cfg_load_string");
    assert_non_null(f->cfg);
    f->reg = orm_registry_create(f->process, f->cfg, &err);
    ts_assert_ok(&err, "orm_registry_create");
    assert_non_null(f->reg);
    f->item = orm_mapper_by_name(f->reg, "Item");
    f->user = orm_mapper_by_name(f->reg, "User");
    f->order = orm_mapper_by_name(f->reg, "Order");
    f->note = orm_mapper_by_name(f->reg, "Note");
    assert_non_null(f->item);
    assert_non_null(f->user);
    assert_non_null(f->order);
    assert_non_null(f->note);
    /* No pool: nothing here may reach the database. */
    orm_session_options o = {.registry = f->reg};
    f->session = orm_session_open(f->a, &o);
    err_init(&f->err, f->a);
    *state = f;
    return 0;
}

static inline int df_teardown(void **state)
{
    df_fixture *f = *state;
    arena_destroy(f->a);
    arena_destroy(f->process);
    free(f);
    return 0;
}

/* The item at pointer, or fails listing all items. */
static inline const err_item *df_item_at(const err_report *err, const char *pointer)
{
    for (size_t i = 0; i < err->n_items; i++)
        if (err->items[i].pointer && strcmp(err->items[i].pointer, pointer) == 0)
            return &err->items[i];
    print_message("no problem at %s; problems:\n", pointer);
    df_print_items(err);
    fail();
    return NULL;
}

/* A 422 with exactly these pointers (any order), each detail containing
 * the matching fragment (NULL: any detail). */
static inline void df_assert_problems(const err_report *err, size_t n, const char *const *pointers,
                                      const char *const *fragments)
{
    if (err->kind != ERR_VALIDATION || err->status != 422 || err->n_items != n) {
        print_message("expected 422 with %zu problems, got kind %d status %d with %zu:\n", n,
                      (int) err->kind, err->status, err->n_items);
        df_print_items(err);
        fail();
    }
    for (size_t i = 0; i < n; i++) {
        const err_item *it = df_item_at(err, pointers[i]);
        if (fragments && fragments[i] && (!it->detail || !strstr(it->detail, fragments[i]))) {
            print_message("problem at %s: '%s' does not contain '%s'\n", pointers[i],
                          it->detail ? it->detail : "", fragments[i]);
            fail();
        }
    }
}

/* Column index by name (asserting it exists). */
static inline size_t df_col(const orm_mapper *m, const char *name)
{
    int i = orm_mapper_column(m, name);
    assert_true(i >= 0);
    return (size_t) i;
}

/* A value of an entity column as text ("<unset>" when not loaded,
 * "<null>" for NULL). */
static inline const char *df_get(const orm_entity *e, const char *name)
{
    size_t i = df_col(orm_entity_mapper(e), name);
    if (!orm_entity_is_loaded(e, i))
        return "<unset>";
    const char *v = orm_entity_get(e, i);
    return v ? v : "<null>";
}

/* Hand-built load plans: a node per relationship, children, a root. */
static inline orm_load_node *df_node(df_fixture *f, const orm_mapper *m, const char *rel,
                                     cfg_strategy st, bool named)
{
    orm_load_node *n = ARENA_NEW(f->a, orm_load_node);
    n->rel = orm_mapper_relationship(m, rel);
    assert_non_null(n->rel);
    n->strategy = st;
    n->named = named;
    return n;
}

static inline void df_add_child(df_fixture *f, orm_load_node *parent, orm_load_node *child)
{
    orm_load_node **c = ARENA_ARRAY(f->a, orm_load_node *, parent->n_children + 1);
    for (size_t i = 0; i < parent->n_children; i++)
        c[i] = parent->children[i];
    c[parent->n_children++] = child;
    parent->children = c;
}

static inline orm_load_plan *df_plan_of(df_fixture *f, const orm_mapper *m, orm_load_node *n)
{
    orm_load_plan *p = ARENA_NEW(f->a, orm_load_plan);
    p->mapper = m;
    if (n) {
        p->children = ARENA_ARRAY(f->a, orm_load_node *, 1);
        p->children[0] = n;
        p->n_children = 1;
    }
    return p;
}

#endif
