/*
 * orm_int — what the files of src/orm share and nobody else sees: the
 * session and entity structs, the identity map, small containers, and the
 * internal entry points of loading and flushing. Prefix orm__.
 *
 * Everything allocated here lives in the session's arena (the request's)
 * unless it belongs to the registry (process arena). Nothing is freed
 * singly.
 */
#ifndef RETORT_ORM_INT_H
#define RETORT_ORM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orm.h"
#include "sql.h"
#include "strbuf.h"

/* ==== limits ============================================================ */

enum {
    /* Keys in one "WHERE fk = ANY($1)" statement of selectin loading. */
    ORM_SELECTIN_BATCH = 500,
    /* A model-default eager strategy is not followed below this depth of
     * a load plan (explicit options are). */
    ORM_MAX_DEFAULT_DEPTH = 8
};

/* ==== small containers (orm_util.c) ====================================== */

/* A growable array of pointers in an arena. */
typedef struct orm__vec {
    void **items;
    size_t n, cap;
} orm__vec;

void orm__vec_push(arena *a, orm__vec *v, void *item);

/* A column's client default as PostgreSQL text (array literal for
 * arrays, JSON text for json/jsonb); NULL when none or null. In a. */
const char *orm__default_text(arena *a, const cfg_column *c);

/* String -> pointer map (open addressing, grows by doubling); keys are
 * borrowed (they must live as long as the map). */
typedef struct orm__strmap {
    const char **keys;
    void **values;
    size_t n, cap;
} orm__strmap;

void *orm__strmap_get(const orm__strmap *m, const char *key);
/* Inserts or replaces. */
void orm__strmap_put(arena *a, orm__strmap *m, const char *key, void *value);
/* Removes key when present. */
void orm__strmap_remove(orm__strmap *m, const char *key);

/* A set of (pointer, pointer, number) triples: "this parent's collection
 * for this relationship already holds this child" during one load. */
typedef struct orm__tripleset {
    struct orm__triple *slots;
    size_t n, cap;
} orm__tripleset;

/* Adds the triple; false when it was already there. */
bool orm__tripleset_add(arena *a, orm__tripleset *s, const void *x, const void *y, size_t z);

/* ==== the session =========================================================== */

struct orm_session {
    arena *arena;
    orm_session_options opts;
    eng_conn *conn; /* NULL until the first statement */
    bool in_tx;     /* an explicit transaction (BEGIN answered) is open */
    bool closed;
    bool committing;  /* inside the final flush (orm_session_flush_final) */
    bool sealed;      /* after the final flush, until commit or rollback */
    bool seal_after_write; /* orm_session_last_write_next: seal after it */
    bool final_write; /* the next write is the last statement before COMMIT
                         (orm__session_final_write, from that flush) */
    orm_entity *failed; /* the instance whose statement failed the last flush */
    orm_session_stats stats;

    /* The unit of work. Lists hold entities in the order they joined them;
     * an entity's in_* flags say whether it is (still) a member, so
     * removal is lazy: a list is compacted when it is walked. */
    orm__strmap *identity; /* per mapper index: identity text -> entity */
    size_t n_identity;     /* mappers covered by identity[] */
    orm__vec added;        /* pending inserts */
    orm__vec dirty;        /* persistent instances with changes */
    orm__vec deleted;      /* persistent instances to delete */
    orm__vec tx_touched;   /* inserted, updated or deleted in this transaction */
    orm__vec all;          /* every instance that has been persistent */
    uint64_t seq;
};

/* ==== entities ============================================================= */

enum {
    ORM_COL_LOADED = 1,  /* values[i] is known (loaded, set or defaulted) */
    ORM_COL_CHANGED = 2, /* differs from orig[i]: to be written */
    ORM_COL_USER = 4,    /* set by the caller (kept when an insert rolls back) */
    ORM_COL_ORIG = 8     /* orig[i] is the row's value */
};

typedef struct orm__rel_slot {
    orm_rel_state state;
    orm__vec items; /* orm_entity *; to-one holds 0 or 1 */
} orm__rel_slot;

struct orm_entity {
    orm_session *session;
    const orm_mapper *mapper;
    orm_state state;
    const char **values;  /* current text values; NULL = SQL NULL */
    const char **orig;    /* as last loaded or written (persistent) */
    unsigned char *flags; /* ORM_COL_* per column */
    orm__vec *deltas;     /* per column: pending "+ delta" texts; NULL = none */
    orm__rel_slot *rels;  /* per relationship */
    const char *identity; /* key text while in the identity map */
    uint64_t seq;         /* order of arrival in the session */
    bool expired;         /* values were expired: refresh before use */
    bool in_added, in_dirty, in_deleted, in_touched, in_all;
    bool delete_flushed; /* ORM_DELETED and the DELETE ran */
    bool tx_inserted;    /* its INSERT ran in the open transaction */
    bool tx_updated;     /* an UPDATE ran in the open transaction */
    bool check_version;  /* orm_entity_require_version: the next write checks it */
    const orm_conflict *conflict; /* an upsert's conflict clause; NULL = plain INSERT */
    orm_upsert_outcome outcome;   /* after an upsert's flush */
};

/* A persistent instance for the row at (row, offset..offset+n_columns) of
 * r: the identity map's instance when the key is already loaded (its
 * loaded and changed values are kept, unloaded ones filled from the row),
 * else a new one registered there. NULL when every key column is NULL (an
 * outer join that found nothing). */
orm_entity *orm__hydrate(orm_session *s, const orm_mapper *m, const eng_result *r, int row,
                         int offset);
/* The same for a row holding only some columns (pos as in orm__slot):
 * the others stay unloaded on a new instance, untouched on a held one. */
orm_entity *orm__hydrate_at(orm_session *s, const orm_mapper *m, const eng_result *r, int row,
                            int offset, const int *pos);

/* Overwrites every column from the row (refresh, RETURNING) and clears
 * the changes. */
void orm__entity_fill(orm_entity *e, const eng_result *r, int row, int offset);

/* Every column loaded (not narrowed by `fields`, not expired). */
bool orm__entity_whole(const orm_entity *e);

/* Forgets loaded values and relationship collections (expire). */
void orm__entity_expire(orm_entity *e);

/* A relationship slot emptied and marked loaded (start of a load). */
void orm__rel_reset(orm_entity *e, size_t rel);
void orm__rel_append(orm_entity *e, size_t rel, orm_entity *child);

/* Puts a modified persistent instance on the dirty list. */
void orm__note_dirty(orm_entity *e);

/* ==== identity (orm_identity.c) ============================================ */

/* The key text of values (text of each key column, in key order): parts
 * percent-encoded and joined by ","; NULL when a part is NULL. Lives in a. */
const char *orm__identity_text(arena *a, const orm_mapper *m, const char *const *pk_values);
/* The key text of an entity's current key values; NULL when incomplete. */
const char *orm__entity_key(const orm_entity *e);
/* Canonical text of a key value given by a client ("0042" -> "42",
 * upper-case uuid -> lower case), so identity lookups match what
 * PostgreSQL returns; the text itself when it is not canonicalisable. */
const char *orm__canonical_key_part(arena *a, const sql_column *c, const char *text);

orm_entity *orm__identity_get(const orm_session *s, const orm_mapper *m, const char *identity);
void orm__identity_put(orm_session *s, orm_entity *e, const char *identity);
void orm__identity_remove(orm_session *s, orm_entity *e);

/* ==== statements ============================================================ */

/* A builder in the session arena reporting into err. */
sql_builder *orm__builder(orm_session *s, err_report *err);

/* The builder failed: make sure err says so. */
bool orm__builder_ok(sql_builder *b, err_report *err);

/* "pk1 = $1 AND pk2 = $2" over from, for the key values given in text. */
sql_node *orm__pk_condition(sql_builder *b, const orm_mapper *m, const sql_from *from,
                            const char *const *pk_values);

/* SELECT every column of m's table (FROM it, *from set), no WHERE yet:
 * a row read back whole (version check, upsert's existing row). */
sql_select *orm__select_row(sql_builder *b, const orm_mapper *m, sql_from **from /* OUT */);

/* Flush when the session's options ask for autoflush. */
bool orm__autoflush(orm_session *s, err_report *err);
/* Takes back an orm_session_last_write_next announcement (true if there
 * was one), for a write made of several statements to re-announce before
 * its last. */
bool orm__session_take_last_write(orm_session *s);

/* The Core type of a declared parameter or result column (orm_rpc.c). */
sql_type_kind orm_query_type(cfg_type type);

/* ==== upsert (orm_upsert.c) ================================================ */

/* c with its defaults made explicit (lives in a): the target is the
 * primary key when c names none; the update list is c's, or else set
 * (the columns the caller gave values), minus target and version columns. */
orm_conflict *orm__conflict_resolve(arena *a, const orm_mapper *m, const orm_conflict *c,
                                   const size_t *set, size_t n_set);
/* Adds the ON CONFLICT clause of c (resolved) to ins over target, and the
 * inserted flag as the last RETURNING item. */
void orm__upsert_clause(sql_builder *b, const orm_mapper *m, const orm_conflict *c,
                        sql_insert *ins, sql_from *target);
/* After the INSERT of an upsert: 1 row gives the outcome from the flag in
 * result column flag_col; 0 rows (do_nothing met a conflict) loads the
 * existing row by the target's values into e. False with err set when
 * that row vanished meanwhile. */
bool orm__upsert_result(orm_session *s, orm_entity *e, const eng_result *r, int flag_col,
                        err_report *err);
/* The 409 of an upsert whose conflicting row the session may not change
 * (outside its row filter) or that vanished meanwhile. */
void orm__upsert_refused(const orm_mapper *m, err_report *err);

/* version + 1: what every UPDATE of a versioned mapper sets (flush, bulk
 * update, upsert). */
sql_node *orm__version_bump(sql_builder *b, const orm_mapper *m, const sql_from *f);

/* ==== loading (orm_load*.c) =============================================== */

/* One FROM item of an entity SELECT and where its columns sit in a row:
 * slot 0 is the statement's primary entity; each joined relationship of
 * the plan adds one slot (pre-order), with its parent slot. */
typedef struct orm__slot {
    const orm_mapper *mapper;
    const orm_load_node *node; /* NULL for slot 0 */
    size_t parent;             /* slot index; unused for slot 0 */
    int offset;                /* first result column */
    sql_from *from;
    /* the columns selected (slot 0 of a query narrowed by `fields`):
     * pos[i] = result column of column i, -1 = not selected; NULL = every
     * column, from offset on */
    const int *pos;
} orm__slot;

typedef struct orm__fetch {
    orm__slot *slots;
    size_t n_slots;
    int n_columns; /* result columns the slots use */
    unsigned alias_seq;
    orm_entity **scratch; /* n_slots: the instances of the row being read */
} orm__fetch;

/* Adds slot 0 (m over from, columns at offset) and, recursively, a LEFT
 * OUTER JOIN with the columns of every joined node among nodes; appends
 * their ORDER BY (relationship order, then key) after what s already has. */
bool orm__fetch_build(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                      sql_from *from, int offset, orm_load_node *const *nodes, size_t n_nodes);
/* The same with slot 0 narrowed to the columns only[] marks (NULL = all). */
bool orm__fetch_build_only(sql_builder *b, sql_select *s, orm__fetch *f, const orm_mapper *m,
                           sql_from *from, int offset, const bool *only,
                           orm_load_node *const *nodes, size_t n_nodes);

/* True when a joined node among nodes (or below a joined one) is to-many:
 * the parent rows repeat, so LIMIT must apply to a wrapped parent SELECT. */
bool orm__joins_to_many(orm_load_node *const *nodes, size_t n_nodes);

/* Hydrates one row of a fetch: slot 0 (returned) and every joined slot,
 * assigning joined children to their parents (first sight of a parent
 * resets its collection; duplicates are ignored). */
orm_entity *orm__fetch_row(orm_session *s, const orm__fetch *f, const eng_result *r, int row,
                           orm__tripleset *seen);

/* ORDER BY of a relationship's children: its order_by column, then the
 * target's key. */
bool orm__order_children(sql_builder *b, sql_select *s, const orm_relationship *rel,
                         const sql_from *target);

/* Loads the given plan nodes for the distinct instances in parents.
 * joined_done: the statement that fetched the parents already joined the
 * nodes whose strategy is joined (else they are fetched like selectin). */
bool orm__load_nodes(orm_session *s, orm_entity *const *parents, size_t n_parents,
                     orm_load_node *const *nodes, size_t n_nodes, bool joined_done,
                     err_report *err);

/* Loads rel for parents with "WHERE key = ANY($1)" statements of at most
 * ORM_SELECTIN_BATCH distinct keys, joining the joined nodes among
 * `joined` (the relationship's plan children). Every parent's collection
 * is replaced (loaded, possibly empty). */
bool orm__load_selectin(orm_session *s, const orm_relationship *rel, orm_entity *const *parents,
                        size_t n_parents, orm_load_node *const *joined, size_t n_joined,
                        err_report *err);

/* The 400 for a relationship that must not be loaded. */
void orm__raise_error(err_report *err, const orm_relationship *rel, const char *path,
                      const char *pointer);

/* ---- row filters (orm_rowfilter.c) ---- */

/* Rewrites stmt in place for the session's row filter (none: no-op);
 * *check_row_ok says the result carries the written rows' check. */
bool orm__apply_row_filters(orm_session *s, sql_node *stmt, bool *check_row_ok,
                            err_report *err);
/* ERR_FORBIDDEN when a written row failed the check. */
bool orm__check_row_ok(const eng_result *r, err_report *err);

#endif
