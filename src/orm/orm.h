/*
 * orm — retort's ORM layer: mappers (one per configured model), the
 * request-scoped session every HTTP request works through (SQLAlchemy's
 * Session with Depends(get_db)) with its identity map and unit of work,
 * and the loader strategies (selectin, joined, select, raise, noload).
 *
 * Ownership: the registry and its mappers live in the process arena and
 * are read-only (shared by all threads). Sessions, entities, their values,
 * load plans and result arrays live in the session's arena (the
 * request's); nothing is freed singly. Entity values borrowed from
 * results stay valid until that arena dies, after the session is closed
 * too (DTOs are written then).
 *
 * Lifetime: a session lives in the request's arena and is closed when that
 * arena is destroyed, whatever path the request took (success, error,
 * client gone): an open transaction is rolled back and the connection is
 * returned to the pool. Handlers still close it explicitly as soon as they
 * are done with the database, so the connection goes back before the
 * response is serialised and sent.
 *
 * The session checks a connection out lazily, at its first statement, and
 * begins the transaction then (isolation level and statement timeout from
 * the options). It commits or rolls back only when told to.
 *
 * Thread-safety: a session is used by one thread at a time.
 * Errors: bool/NULL returns with err_report last, as everywhere.
 */
#ifndef RETORT_ORM_H
#define RETORT_ORM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "arena.h"
#include "cfg.h"
#include "eng.h"
#include "error.h"

/* The Core types the ORM's API passes through, by pointer only: callers
 * above (dto, query, http) hold them without seeing Core's API (sql.h). */
typedef struct sql_builder sql_builder;
typedef struct sql_cache sql_cache;
typedef struct sql_column sql_column;
typedef struct sql_from sql_from;
typedef struct sql_metadata sql_metadata;
typedef struct sql_node sql_node;
typedef struct sql_relation sql_relation;
typedef struct sql_select sql_select;
typedef struct sql_table sql_table;
typedef struct sql_value sql_value;

typedef struct orm_session orm_session;
typedef struct orm_mapper orm_mapper;
typedef struct orm_registry orm_registry;

/* Core metadata (tables, keys, constraints, named relations) for the
 * configured models, frozen. Lives in a (the process arena). NULL with
 * ERR_CONFIG items when Core refuses something the config allowed. */
sql_metadata *orm_metadata_from_config(arena *a, const cfg_config *cfg, err_report *err);


/* metadata.create_all / drop_all: runs the DDL of every table, in
 * foreign-key order (reverse for drop), in one transaction on a pooled
 * connection. create is idempotent (IF NOT EXISTS). */
bool orm_schema_create_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err);
bool orm_schema_drop_all(eng_pool *pool, const sql_metadata *md, arena *a, err_report *err);

/* A row filter (orm_rowfilter.c): the condition the rows of table t that
 * the session may use satisfy, over `from` (a FROM item of t), built in b.
 * NULL with err untouched: no filter on t; NULL with err set: failure. */
typedef sql_node *(*orm_row_filter_fn)(void *ctx, sql_builder *b, const sql_table *t,
                                       const sql_from *from, err_report *err);

/* A column filter: may the session's principal read column c (of any
 * table)? A column it may not read is never serialised (dto) and cannot
 * be named by a query (query_limits.readable), so it is no oracle. */
typedef bool (*orm_column_filter_fn)(void *ctx, const sql_column *c);

typedef struct orm_session_options {
    eng_pool *pool;              /* borrowed; outlives every session */
    eng_pool *fallback_pool;     /* NULL, or where to go when pool cannot give a
                                    live connection before the first statement
                                    ran (a read replica that is down: the
                                    primary); borrowed */
    const char *isolation_level; /* NULL = server default */
    int statement_timeout_ms;    /* 0 = none; sent as SET LOCAL in each
                                    transaction unless the pool already set
                                    it on its connections */
    bool use_prepared;           /* run statements through the per-connection cache */
    const char *sql_comment;     /* NULL, or text (no "*" + "/") put before every
                                    statement as a comment, so pg_stat_activity
                                    shows whose query it is (a trace id);
                                    such statements run unnamed, not cached */
    sql_cache *cache;            /* compiled-statement cache; NULL = compile each time */
    const orm_registry *registry; /* mappers; may be NULL for Core-only use */
    bool expire_on_commit;
    bool autoflush;              /* flush before every query */
    double checkout_deadline;    /* CLOCK_MONOTONIC seconds by which a
                                    connection must be had (a request's
                                    arrival + pool_timeout); 0 = the pool's
                                    pool_timeout from the checkout */
    /* Transaction-local settings for every transaction of the session
     * (eng_conn_set_tx_settings): the request's database role, JWT claims,
     * tenant search_path. Borrowed for the session's life; a session with
     * settings always runs its statements inside a transaction. */
    const char *const *tx_setting_names;
    const char *const *tx_setting_values;
    int n_tx_settings;
    /* Applied to every statement the session runs (orm_rowfilter.c): each
     * table read through its filter, UPDATE/DELETE limited by it, rows an
     * INSERT/UPDATE writes checked against it (ERR_FORBIDDEN). NULL = none. */
    orm_row_filter_fn row_filter;
    void *row_filter_ctx;
    /* The columns the session's principal may read (a role's "read"
     * list); NULL = every column. */
    orm_column_filter_fn column_readable;
    void *column_readable_ctx;
} orm_session_options;

/* Opens a session in a; nothing touches the database yet. Registers its
 * own close with arena_on_reset(a), so destroying the arena always
 * returns the connection. */
orm_session *orm_session_open(arena *a, const orm_session_options *opts);

/* The session's arena (the request's). */
arena *orm_session_arena(const orm_session *s);

/* Overrides the isolation level for the next transaction this session
 * begins (a transaction document's "isolation_level"). Fails with
 * ERR_BAD_REQUEST when a transaction is already open. */
bool orm_session_set_isolation(orm_session *s, const char *level, err_report *err);

/* The connection, checked out and inside a transaction (BEGIN sent) on
 * first use. Borrowed until the session closes. */
eng_conn *orm_session_connection(orm_session *s, err_report *err);

/* Runs one statement in the session's transaction and counts it as a
 * statement that reads or writes rows (X-Query-Count). The result lives in
 * the session's arena. A statement that fails leaves the transaction
 * failed: only rollback is possible afterwards. */
eng_result *orm_session_execute(orm_session *s, const char *sql, int nparams,
                                const char *const *values, err_report *err);

/* Compiles a Core statement (through the options' cache when there is
 * one) and runs it like orm_session_execute. */
eng_result *orm_session_execute_stmt(orm_session *s, const sql_node *stmt, err_report *err);

/* Flushes as the end of the unit of work: orm_session_commit follows with
 * nothing but reads in between (the caller builds its DTOs from what the
 * writes returned). The last write may then go without BEGIN, like the
 * commit's own flush; a write after this and before the commit is an
 * ERR_INTERNAL. */
bool orm_session_flush_final(orm_session *s, err_report *err);

/* Declares that the next write is the unit of work's last one before
 * orm_session_commit (only reads may follow): for Core writes a handler
 * runs itself (bulk). It may then go without BEGIN, as after
 * orm_session_flush_final, with the same rule for later writes. */
void orm_session_last_write_next(orm_session *s);

/* Runs a statement whose first row's first column is a count (SELECT
 * count(*) ...) and reads it; 0 without a row. */
bool orm_session_count(orm_session *s, const sql_select *stmt, int64_t *count /* OUT */,
                       err_report *err);

/* Commits the open transaction, if any. The connection stays checked out
 * until close so that the next statement starts a new transaction on it. */
bool orm_session_commit(orm_session *s, err_report *err);
/* Rolls back the open transaction, if any. Never fails the caller: a
 * rollback that cannot reach the database invalidates the connection. */
void orm_session_rollback(orm_session *s);

/* Rolls back whatever is open and returns the connection. Idempotent. */
void orm_session_close(orm_session *s);

/* The one ending of a unit of work: commits when `commit` is true (a
 * failed COMMIT is rolled back and reported in err), rolls back
 * otherwise, and always returns the connection. True only when it
 * committed. On a session already closed it only answers `commit`: the
 * caller settled it itself (a retried transaction document). */
bool orm_session_finish(orm_session *s, bool commit, err_report *err);

bool orm_session_in_transaction(const orm_session *s);

/* Statistics for headers and metrics. */
typedef struct orm_session_stats {
    uint64_t statements;   /* SELECT/INSERT/UPDATE/DELETE/COPY executed */
    double pool_wait_ms;   /* time spent waiting for a connection */
    double db_ms;          /* time spent in statements, BEGIN and COMMIT */
    bool checked_out;      /* a connection was used */
} orm_session_stats;

void orm_session_get_stats(const orm_session *s, orm_session_stats *out /* OUT */);

/* Counts a statement run directly on the connection (e.g. COPY through
 * eng_copy_in) and adds its time. */
void orm_session_count_statement(orm_session *s, double ms);

/* ==== mappers ============================================================
 *
 * One mapper per configured model: the model (cfg), its Core table, its
 * columns aligned by index (mapper->columns[i] is model->columns[i]), its
 * relationships with their Core join paths, targets and inverses. The
 * registry owns all mappers and the frozen Core metadata; it lives in the
 * process arena and is read-only afterwards (shared by every thread).
 */

typedef struct orm_relationship {
    const char *name;
    size_t index;                   /* in mapper->relationships */
    const cfg_relationship *cfg;
    const sql_relation *relation;   /* Core join path */
    const orm_mapper *mapper;       /* owner */
    const orm_mapper *target;
    const orm_mapper *secondary;    /* many_to_many association; NULL otherwise */
    const struct orm_relationship *inverse; /* back_populates; NULL when none */
    bool to_many;
    cfg_strategy lazy;              /* the model's default strategy */
    int order_by;                   /* column of target ordering the children;
                                     * -1 = the target's key */
    bool order_desc;                /* order_by was "-col" */
} orm_relationship;

struct orm_mapper {
    const char *name;               /* "User" */
    const char *resource;           /* "users": the table and URL name */
    size_t index;                   /* in the registry, FK dependency order */
    const cfg_model *model;
    const sql_table *table;
    const sql_column **columns;     /* aligned with model->columns */
    size_t n_columns;
    const size_t *pk;               /* column indexes, key-column order */
    size_t n_pk;
    int version;                    /* column index of version_column; -1 = none */
    orm_relationship *relationships;
    size_t n_relationships;
    /* Client-side defaults ("default" in the config) in text form, by
     * column: has_default[i] says one is declared; defaults[i] is its text
     * (NULL when the default is JSON null). json columns keep the JSON
     * text, strings their contents, numbers and booleans their JSON
     * spelling. Live with the registry. */
    const char *const *defaults;
    const bool *has_default;
};

/* Builds the Core metadata and every mapper; NULL with ERR_CONFIG items. */
orm_registry *orm_registry_create(arena *process, const cfg_config *cfg, err_report *err);
const sql_metadata *orm_registry_metadata(const orm_registry *r);
const cfg_config *orm_registry_config(const orm_registry *r);
size_t orm_registry_count(const orm_registry *r);
/* Mappers in foreign-key dependency order (parents first). */
const orm_mapper *orm_registry_at(const orm_registry *r, size_t i);
const orm_mapper *orm_mapper_by_name(const orm_registry *r, const char *model_name);
const orm_mapper *orm_mapper_by_resource(const orm_registry *r, const char *resource);
/* The mapper of the table column c belongs to, and c's index in it
 * (aligned with model->columns); NULL for a table no model maps. */
const orm_mapper *orm_mapper_of_column(const orm_registry *r, const sql_column *c,
                                       size_t *index /* OUT */);
/* Column index by name; -1 when none. */
int orm_mapper_column(const orm_mapper *m, const char *name);
/* True for a column only the ORM or the database writes: read_only, or
 * the model's version column (1 on insert, +1 per update, checked against
 * If-Match). Input never sets it. */
bool orm_mapper_column_managed(const orm_mapper *m, size_t col);
/* Whether the ORM fills column col of a new row that does not give it
 * (orm_session_add; bulk rows follow the same rule): the client default
 * (mapper->defaults), or "1" for a version column without a server
 * default; *text (may be NULL) gets that value. */
bool orm_mapper_absent_value(const orm_mapper *m, size_t col, const char **text /* OUT */);
const orm_relationship *orm_mapper_relationship(const orm_mapper *m, const char *name);

/* ==== entities ===========================================================
 *
 * An instance of a mapper inside one session (lives in the session's
 * arena). Column values are kept in PostgreSQL text form (NULL = SQL
 * NULL), exactly as they travel to and from libpq; the DTO layer turns
 * them into JSON by column type. Each value remembers whether it is loaded
 * and whether it changed since the last flush (attribute-level dirty
 * tracking, so an UPDATE sets only changed columns).
 */

typedef struct orm_entity orm_entity;

typedef enum orm_state {
    ORM_TRANSIENT, /* not in a session */
    ORM_PENDING,   /* added, not flushed */
    ORM_PERSISTENT,/* has a row, in the identity map */
    ORM_DELETED,   /* delete flushed or pending */
    ORM_DETACHED   /* was persistent; the session let it go (close, its DELETE
                    * committed, or its row vanished on refresh). Values stay
                    * readable. An undone INSERT makes an instance transient. */
} orm_state;

/* A new transient instance; columns unset (client defaults applied on
 * add). */
orm_entity *orm_entity_new(orm_session *s, const orm_mapper *m);
const orm_mapper *orm_entity_mapper(const orm_entity *e);
orm_state orm_entity_state(const orm_entity *e);

/* Column value in text form; NULL when SQL NULL or not loaded (see
 * orm_entity_is_loaded). Borrowed until the session ends. */
const char *orm_entity_get(const orm_entity *e, size_t column);
bool orm_entity_is_loaded(const orm_entity *e, size_t column);
/* True after expire_on_commit or a rollback expired the instance: column
 * values (all but the key) are unloaded until orm_session_refresh, or an
 * orm_session_get of its key, reloads them with one SELECT. A query that
 * returns its row fills them too. */
bool orm_entity_is_expired(const orm_entity *e);
/* The session the instance belongs to. */
orm_session *orm_entity_session(const orm_entity *e);
/* May the session's principal read column c (orm_session_options.
 * column_readable)? True without a filter and for a NULL session. */
bool orm_session_column_readable(const orm_session *s, const sql_column *c);
/* Sets a column (text form, NULL = SQL NULL; copied). Marks it changed
 * when the value differs from what was loaded (setting it back to the
 * loaded value un-marks it). The version column is managed by the flush:
 * setting it has no effect on the UPDATE. */
void orm_entity_set(orm_entity *e, size_t column, const char *text);
/* Sets a column to "col = col + delta" for the next flush (a transaction
 * document's $add); delta in text form (numeric), cast to the column's
 * type. Several calls add up; a later orm_entity_set replaces them.
 * orm_entity_get shows the old value until the flush returns the new one. */
void orm_entity_add_to(orm_entity *e, size_t column, const char *delta);
bool orm_entity_is_modified(const orm_entity *e);
/* Optimistic concurrency on request (an If-Match): the next UPDATE or
 * DELETE of e requires the row to still have the version e was loaded
 * with (zero rows: ERR_STALE, 412). Without it, a versioned row's UPDATE
 * increments the version unchecked — an unconditional write (a PATCH
 * without If-Match, a transaction's $add) never fails on the version. */
void orm_entity_require_version(orm_entity *e);

/* The primary key as one string ("3" or "3,7", each part percent-encoded
 * as in URLs); lives in the session arena. NULL while transient, or
 * pending without a key. This is also the identity map's key. */
const char *orm_entity_identity(const orm_entity *e);

/* The key values of an identity text (the URL form above: m->n_pk
 * non-empty parts, percent-encoded, joined by ","), decoded, in key-column
 * order; NULL when the text has another number of parts, an empty part or
 * an invalid escape. Not checked against the column types (dto_key does)
 * nor canonicalised (orm_session_get does). Lives in a. */
const char **orm_key_parse(const orm_mapper *m, const char *identity, arena *a);

/* The primary key values in key-column order (text form); NULL while
 * pending without a key. Borrowed until the session ends. */
const char *const *orm_entity_key(const orm_entity *e);

typedef enum orm_rel_state {
    ORM_REL_UNLOADED, /* never loaded (strategy raise/select not yet touched/noload) */
    ORM_REL_LOADED
} orm_rel_state;

/* Loaded related instances: to-one gives n 0 or 1. */
orm_rel_state orm_entity_related(const orm_entity *e, size_t relationship,
                                 orm_entity *const **items /* OUT */, size_t *n /* OUT */);

/* ==== values from clients =================================================
 *
 * One set of rules for what a client may send as a column's value, shared
 * by bodies (dto), query documents (query) and keys in URLs, so they never
 * disagree. What passes is accepted by PostgreSQL for that type.
 */

enum {
    /* Also check what a stored value must satisfy beyond its type: the
     * length of strings and the choices. Comparisons other than equality
     * (lt, between, like) do not need it. */
    ORM_VALUE_STRICT = 1u
};

/* Converts a JSON value (not null) for column c. NULL on success; else a
 * sentence saying what was expected (in a). */
const char *orm_value_parse_json(arena *a, const sql_column *c, const json_t *v, unsigned flags,
                                 sql_value *out /* OUT */);
/* The same for text (URL keys, GET parameters). */
const char *orm_value_parse_text(arena *a, const sql_column *c, const char *text, unsigned flags,
                                 sql_value *out /* OUT */);

/* Checks a JSON value against column c and converts it to a parameter
 * value: integer (int32) and bigint take JSON integers; float any number;
 * numeric a number or a decimal string ("-12.50"), kept as exact text and
 * checked against precision and scale; string and text a string of at most
 * length code points (no NUL), one of the choices when there are any;
 * boolean true/false; uuid the canonical 8-4-4-4-12 hex form; date
 * YYYY-MM-DD (a real calendar date); timestamptz RFC 3339 ("T" or a
 * space, optional fraction, "Z" or +hh:mm); json any JSON (its compact
 * text). JSON null is SQL NULL, refused for a NOT NULL column. A mismatch
 * is an ERR_VALIDATION item at pointer. Strings in *out live in b's arena. */
bool orm_value_json(sql_builder *b, const sql_column *c, const json_t *v, const char *pointer,
                    sql_value *out /* OUT */, err_report *err);

/* The same for a text value (a URL key, a GET query parameter): "42", "true",
 * "12.50", a uuid, a date, JSON text for json columns; strings as they
 * are. Never NULL: there is no text for SQL NULL. */
bool orm_value_text(sql_builder *b, const sql_column *c, const char *text, const char *pointer,
                    sql_value *out /* OUT */, err_report *err);

/* ==== the unit of work ==================================================== */

/* transient -> pending: client-side defaults (mapper->defaults) fill the
 * columns never set, and an unset version column starts at "1". Adding a
 * pending or persistent instance does nothing; adding a deleted one not
 * yet flushed cancels the delete; a detached one joins the identity map
 * again when its key is free. */
bool orm_session_add(orm_session *s, orm_entity *e, err_report *err);
/* persistent -> deleted at the next flush; a pending instance is simply
 * forgotten (transient again). Transient or detached: ERR_INTERNAL. */
bool orm_session_delete(orm_session *s, orm_entity *e, err_report *err);
/* Writes pending changes: INSERT ... RETURNING (server defaults, keys)
 * parents first, UPDATE of changed columns only (version_column checked
 * and incremented; zero rows is ERR_STALE, or ERR_NOT_FOUND without a
 * version column), DELETE children first (with a version column, zero
 * rows is ERR_STALE). Order: mappers in dependency order, inserts and
 * updates of one mapper in the order instances joined the session; then
 * deletes in reverse dependency order. A failure leaves the transaction
 * failed: roll back. */
bool orm_session_flush(orm_session *s, err_report *err);
/* The instance whose statement failed the last flush (NULL after a
 * successful one): what a caller holding several pending writes blames. */
orm_entity *orm_session_flush_failed(const orm_session *s);
/* orm_session_commit (above) flushes first, then COMMITs; with
 * expire_on_commit, loaded values are expired (orm_entity_is_expired;
 * orm_session_get or orm_session_refresh reloads them). Instances whose
 * DELETE was committed become detached. A failed COMMIT undoes the
 * instance states like a rollback. It works without a registry (Core
 * only: nothing to flush).
 * orm_session_rollback (above) also undoes instance states: pending and
 * inserted-this-transaction instances become transient (no key pretends
 * to exist), deleted ones persistent again, modified values expired. */

/* ==== upsert ============================================================== */

/* INSERT ... ON CONFLICT (target) DO UPDATE SET ... | DO NOTHING for one
 * instance (Session.merge by a unique key, done by the database). */
typedef struct orm_conflict {
    const size_t *target; /* column indexes: the primary key or the exact
                           * columns of a unique constraint or index;
                           * n_target 0 = the primary key */
    size_t n_target;
    bool do_nothing;      /* keep the existing row as it is */
    const size_t *update; /* DO UPDATE: the columns the proposed row
                           * overwrites; n_update 0 = every column the
                           * instance sets, except the target's */
    size_t n_update;
} orm_conflict;

typedef enum orm_upsert_outcome {
    ORM_UPSERT_NONE = 0, /* not an upsert, or not flushed yet */
    ORM_UPSERT_INSERTED, /* no conflict: a new row */
    ORM_UPSERT_UPDATED,  /* the existing row was updated (version + 1) */
    ORM_UPSERT_KEPT      /* do_nothing met a conflict: the instance holds
                          * the existing row, unchanged */
} orm_upsert_outcome;

/* Checks a conflict target against m: every column exists and the set is
 * the primary key or a unique constraint/index (what PostgreSQL needs for
 * ON CONFLICT); update columns may not include the version column. A
 * problem is an ERR_BAD_REQUEST item at pointer. */
bool orm_conflict_check(const orm_mapper *m, const orm_conflict *c, const char *pointer,
                        err_report *err);

/* Like orm_session_add for a transient instance, but its INSERT resolves a
 * conflict on c->target as c says (c is copied). On update the version
 * column is incremented; either way RETURNING refreshes the instance,
 * which then holds the row and is in the identity map (replacing an
 * instance of the same key loaded earlier). The outcome is known after
 * the flush (orm_entity_upsert_outcome). */
bool orm_session_add_upsert(orm_session *s, orm_entity *e, const orm_conflict *c,
                            err_report *err);

orm_upsert_outcome orm_entity_upsert_outcome(const orm_entity *e);

/* ==== bulk writes (Core: rows, no identity map) ============================ */

enum {
    /* Rows per bulk INSERT statement at most (fewer when the columns times
     * the rows would pass SQL_MAX_PARAMS). */
    ORM_BULK_MAX_ROWS = 1000
};

/* What a bulk INSERT did. keys: with want_keys, the primary key (text
 * values in key-column order) of each row the statement returned, in
 * input order; with do_nothing, rows that met a conflict return nothing
 * and are not in keys. Lives in the session arena. */
typedef struct orm_bulk_result {
    int64_t inserted, updated;
    const char *const **keys;
    size_t n_keys;
} orm_bulk_result;

/* Inserts n_rows rows of the columns cols (indexes into m's columns):
 * values[r][c] is the text of row r's column cols[c] (NULL = SQL NULL),
 * or DEFAULT when defaults[r][c]. Multi-row INSERTs of as many rows as the
 * protocol's parameter limit allows (at most ORM_BULK_MAX_ROWS), all in
 * the session's transaction: all rows or none once the caller commits.
 * With conflict (NULL = plain INSERT), each batch is an upsert (see
 * orm_conflict; the version column is incremented on update) and the
 * result counts inserted and updated rows. */
bool orm_bulk_insert(orm_session *s, const orm_mapper *m, const size_t *cols, size_t n_cols,
                     const char *const *const *values, const bool *const *defaults,
                     size_t n_rows, const orm_conflict *conflict, bool want_keys,
                     orm_bulk_result *out /* OUT */, err_report *err);
/* After a unique violation of constraint by such a bulk insert (and the
 * session's rollback): *row = the first row that repeats an earlier row
 * of the body in the constraint's columns, else (one-column constraints)
 * the first row whose value is already stored (one SELECT). False when
 * it cannot be told (a constraint column the rows leave to the database,
 * another kind of constraint) or the SELECT failed (err set then). */
bool orm_bulk_conflicting_row(orm_session *s, const orm_mapper *m, const size_t *cols,
                              size_t n_cols, const char *const *const *values,
                              const bool *const *defaults, size_t n_rows, const char *constraint,
                              size_t *row /* OUT */, err_report *err);

/* DELETE FROM m's table WHERE where (a condition over from, a FROM item of
 * that table without an alias). A NULL where is refused (ERR_BAD_REQUEST):
 * deleting every row is never implied. Entities of deleted rows held by
 * the session are not told (Core, like SQLAlchemy's bulk delete with
 * synchronize_session=False). *deleted = rows removed. */
bool orm_bulk_delete(orm_session *s, const orm_mapper *m, const sql_from *from, sql_node *where,
                     int64_t *deleted /* OUT */, err_report *err);

/* UPDATE m's table SET cols[i] = values[i] (text, NULL = SQL NULL) WHERE
 * where (over from, as orm_bulk_delete; NULL is refused), and version =
 * version + 1 when m has a version column, so that ETags change. Managed
 * columns (orm_mapper_column_managed) cannot be set: validate first
 * (dto_bulk_values). *updated = rows changed. */
bool orm_bulk_update(orm_session *s, const orm_mapper *m, const sql_from *from, sql_node *where,
                     const size_t *cols, const char *const *values, size_t n,
                     int64_t *updated /* OUT */, err_report *err);

/* ==== named SQL queries (config "queries") =============================== */

/* Checks every named query of cfg as start-up does: its SQL parses as a
 * text() statement, every :name in it is a declared parameter and every
 * declared parameter is used. Problems are ERR_CONFIG items pointing into
 * the config ("/queries/top/params/n"). orm_registry_create runs it. */
bool orm_queries_check(const cfg_config *cfg, arena *a, err_report *err);

/* Runs q in the session's transaction with values[i] (already checked
 * against q->params[i].type) bound to :<q->params[i].name>, each cast to
 * its declared type. A read_only query makes the transaction READ ONLY
 * first, so a write in its SQL fails (SQLSTATE 25006). Counted like any
 * statement; the result lives in the session arena. */
eng_result *orm_session_run_query(orm_session *s, const cfg_query *q, const sql_value *values,
                                  err_report *err);
/* Checks a client's parameters for q — a JSON object (body) or text pairs
 * (names/texts, n of them: GET query parameters; body NULL) — against the
 * declared types with the rules of query documents (orm_value_json /
 * orm_value_text), reporting every unknown, missing or ill-typed one as a
 * 422 item at "/<name>"; then runs q like orm_session_run_query. */
eng_result *orm_session_run_query_params(orm_session *s, const cfg_query *q, const json_t *body,
                                         const char *const *names, const char *const *texts,
                                         size_t n, err_report *err);

/* ==== server-side cursors (large results) ================================ */

/* A result read in batches (DECLARE ... NO SCROLL CURSOR FOR stmt in the
 * session's transaction, then FETCH n), so memory follows the batch, not
 * the row count. Lives in the session arena; the transaction's end (the
 * session's close, whatever the path) closes it on the server. */
typedef struct orm_cursor orm_cursor;

/* Opens a cursor over a Core statement (a SELECT or text()); counts as one
 * statement. The statement is compiled like any other (values are
 * parameters of the DECLARE). */
orm_cursor *orm_cursor_open(orm_session *s, const sql_node *stmt, err_report *err);
/* The next at most n rows (n > 0), in a result living in a (give a
 * per-batch arena and reset it, so batches do not accumulate). 0 rows:
 * the end. A failure fails the transaction. */
eng_result *orm_cursor_fetch(orm_cursor *c, arena *a, int n, err_report *err);
/* CLOSE now (optional; the connection is kept). */
bool orm_cursor_close(orm_cursor *c, err_report *err);

/* ==== loading ============================================================ */

/* A loader option of a request, in terms of Core relations (the query
 * layer makes them from a document's "options" and GET include=):
 * SQLAlchemy's selectinload("orders").joinedload("user") as a path. */
typedef struct orm_load_option {
    cfg_strategy strategy;
    const char *path;          /* as given: "orders.user", "*", "orders.*" */
    const sql_relation **hops; /* n_hops relations, the first one of the
                                * queried table, each next of the previous
                                * one's target */
    size_t n_hops;
    bool wildcard;       /* the path ends in "*" (raise/noload only): every
                          * relationship below hops (of the queried table
                          * when n_hops is 0) */
    bool include;        /* from GET include=: the relationships are named
                          * (they belong in the DTO) */
    const char *pointer; /* where it was given: "/options/1/joinedload",
                          * "/include" */
} orm_load_option;

/* What a request says about loading: its options in document order, and
 * the relationships it names in its fields (named[i] NULL for a column
 * field), each with the pointer of its entry (named_pointers[i]:
 * "/fields/2"; the array or an entry NULL = "/fields"). */
typedef struct orm_load_options {
    orm_load_option *options;
    size_t n_options;
    const sql_relation **named;
    size_t n_named;
    const char **named_pointers;
} orm_load_options;

/* What to load with the primary entities: a tree of relationship paths,
 * each with its effective strategy and whether the request named it
 * (include=, fields). Built from a query document's options, include and
 * fields by the SPEC's precise rules. Lives in the session arena. */
typedef struct orm_load_plan orm_load_plan;

typedef struct orm_load_node {
    const orm_relationship *rel;
    cfg_strategy strategy;
    bool named;     /* in include= or fields: must be in the DTO */
    bool explicit_; /* set by an option naming this hop */
    struct orm_load_node **children;
    size_t n_children;
} orm_load_node;

struct orm_load_plan {
    const orm_mapper *mapper;
    orm_load_node **children;  /* one per relationship of mapper that is loaded or named */
    size_t n_children;
    bool wildcard_raise;       /* {"raiseload": "*"} */
    bool wildcard_noload;      /* {"noload": "*"} */
};

/* o NULL: the model's defaults only (what create and update responses
 * carry). Builds the plan for m from a request's options (in document
 * order; include paths among them) and named fields. A named relationship
 * whose effective strategy is raise is a 400 naming it and the option
 * that would load it (pointer = where it was named: the include option's
 * pointer, or "/fields"). Plan nodes are exactly what is loaded and
 * serialised: strategy selectin or joined, or select when named; children
 * in relationship declaration order. See orm_plan.c for the rules
 * (wildcards apply to one level, SQLAlchemy's per-entity wildcard). */
orm_load_plan *orm_load_plan_build(orm_session *s, const orm_mapper *m,
                                   const orm_load_options *o, err_report *err);

/* Session.get: the identity map first (no SQL when the key is loaded and
 * not expired; an expired instance is reloaded with one SELECT), else
 * autoflush and SELECT by primary key, joined loads in the same
 * statement; then the plan's other relationships. *out is NULL when no row
 * has that key, or its instance is deleted (not an error). pk: text values
 * in key order (canonicalised: "007" finds 7, upper-case uuids match); a
 * value PostgreSQL cannot read as the key's type is a database error, so
 * validate client keys first (orm_value_text). */
bool orm_session_get(orm_session *s, const orm_mapper *m, const char *const *pk,
                     const orm_load_plan *plan, orm_entity **out /* OUT */, err_report *err);

/* session.scalars(stmt): stmt is a Core SELECT over a FROM item of m's
 * table (the query layer translates documents into one); its WHERE, its
 * column ORDER BY items, LIMIT and OFFSET are used, its columns are not.
 * Autoflush, SELECT of the mapper's
 * entities (where, order_by then the key, limit, offset; joined loads in
 * the same statement, the parent SELECT wrapped as a derived table when a
 * to-many join would otherwise page rows), hydration through the identity
 * map (a row already loaded returns that same instance, its loaded values
 * and unflushed changes untouched), then selectin loads per level and
 * select loads per parent. count, when not NULL, runs SELECT count(*)
 * with the same where. stmt NULL: every row, by key. A grouped statement
 * is ERR_BAD_REQUEST (rows, not entities: Core's job). *out lives in the
 * session arena. */
bool orm_session_query(orm_session *s, const orm_mapper *m, const sql_select *stmt,
                       const orm_load_plan *plan, orm_entity ***out /* OUT */,
                       size_t *n /* OUT */, int64_t *count /* OUT, NULL = not asked */,
                       err_report *err);

/* One item of the ORDER BY orm_session_query runs: the statement's column
 * ORDER BY items (each column once, its first mention deciding), then the
 * primary key columns it did not name. */
typedef struct orm_order_key {
    const sql_column *column;
    bool desc;
    int nulls; /* sql_nulls */
} orm_order_key;

/* Fills out (room for m->n_columns) with that ORDER BY; returns its
 * length. Keyset cursors are made and read over exactly these keys. */
size_t orm_query_order(const orm_mapper *m, const sql_select *stmt, orm_order_key *out);

/* Loads one relationship of one instance now (strategy select: the N+1 a
 * client may choose): one SELECT, none for a many-to-one whose target is
 * already in the identity map (as SQLAlchemy's lazy loader). The model's
 * raise strategy is an ERR_BAD_REQUEST naming it and the option that
 * would load it; noload does nothing. */
bool orm_session_load_relationship(orm_session *s, orm_entity *e,
                                   const orm_relationship *rel, err_report *err);

/* Loads the plan's relationships for instances already in the session
 * (e.g. the model-default eager relationships of a created or updated
 * entity): joined nodes at the top are fetched like selectin (one
 * statement), the levels below as the plan says. Autoflushes; expired
 * instances are refreshed first; instances not persistent are skipped. */
bool orm_session_load_plan(orm_session *s, orm_entity *const *entities, size_t n,
                           const orm_load_plan *plan, err_report *err);

/* Reloads every column of a persistent instance with one SELECT by key
 * (Session.refresh): unflushed changes are discarded. The row gone is
 * ERR_NOT_FOUND and the instance becomes detached. Autoflushes first. */
bool orm_session_refresh(orm_session *s, orm_entity *e, err_report *err);

/* The plan node of a dotted relationship path ("orders.items"); NULL when
 * the plan does not load it. Borrowed from the plan. */
const orm_load_node *orm_load_plan_find(const orm_load_plan *plan, const char *path);

#endif
