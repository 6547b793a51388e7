/*
 * sql_freeze — the last step of building metadata: resolve what names
 * other tables (foreign keys, relations), check what only the whole schema
 * can tell (types of both ends, referenced keys, constraint names), and
 * make the metadata immutable so that any thread may read it.
 *
 * Every problem is reported (ERR_CONFIG items), so a configuration with
 * several mistakes gets them all at once.
 */
#include <ctype.h>
#include <string.h>

#include "sql_int.h"

/* Types two ends of a foreign key may have. */
static int type_family(sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT: return 1;
    case SQL_TYPE_STRING:
    case SQL_TYPE_TEXT: return 2;
    default: return 100 + (int) k;
    }
}

static bool same_column_set(const sql_column *const *a, size_t na, const sql_column *const *b,
                            size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        bool hit = false;
        for (size_t j = 0; j < nb && !hit; j++)
            hit = a[i] == b[j];
        if (!hit)
            return false;
    }
    return true;
}

/* PostgreSQL wants the referenced columns to carry a primary key or unique
 * constraint (or unique index) on exactly that set. */
static bool is_unique_key(const sql_table *t, const sql_column *const *cols, size_t n)
{
    if (same_column_set(cols, n, t->primary_key, t->n_primary_key))
        return true;
    for (size_t i = 0; i < t->n_uniques; i++)
        if (same_column_set(cols, n, t->uniques[i].columns, t->uniques[i].n_columns))
            return true;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].unique &&
            same_column_set(cols, n, t->indexes[i].columns, t->indexes[i].n_columns))
            return true;
    return false;
}

static bool resolve_fk(const sql_metadata *md, sql_table *t, sql_foreign_key *fk, err_report *err)
{
    const sql_table *rt = sql_metadata_table(md, fk->ref_table_name);
    if (!rt) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The foreign key \"%s\" of \"%s\" references the unknown table \"%s\".",
                     fk->name, t->name, fk->ref_table_name);
        return false;
    }
    const sql_column **rc = ARENA_ARRAY(md->arena, const sql_column *, fk->n_columns);
    bool ok = true;
    for (size_t i = 0; i < fk->n_columns; i++) {
        rc[i] = sql_table_column(rt, fk->ref_column_names[i]);
        if (!rc[i]) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The foreign key \"%s\" of \"%s\" references the unknown column "
                         "\"%s.%s\".",
                         fk->name, t->name, rt->name, fk->ref_column_names[i]);
            ok = false;
        } else if (type_family(rc[i]->type.kind) != type_family(fk->columns[i]->type.kind)) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The column \"%s.%s\" (%s) cannot reference \"%s.%s\" (%s).", t->name,
                         fk->columns[i]->name, sql_type_kind_name(fk->columns[i]->type.kind),
                         rt->name, rc[i]->name, sql_type_kind_name(rc[i]->type.kind));
            ok = false;
        }
    }
    if (ok && !is_unique_key(rt, rc, fk->n_columns)) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The foreign key \"%s\" of \"%s\" must reference the primary key or a "
                     "unique constraint of \"%s\".",
                     fk->name, t->name, rt->name);
        ok = false;
    }
    if (!ok)
        return false;
    fk->ref_table = rt;
    fk->ref_columns = rc;
    if (fk->n_columns == 1 && !fk->columns[0]->references)
        t->columns[fk->columns[0]->index]->references = rc[0];
    return true;
}

static bool resolve_pairs(const sql_table *rel_owner, const char *rel_name, const sql_table *local,
                          const sql_table *remote, const sql_name_pair *names, size_t n,
                          sql_column_pair **out, arena *a, err_report *err)
{
    sql_column_pair *pairs = ARENA_ARRAY(a, sql_column_pair, n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        pairs[i].local = sql_table_column(local, names[i].local);
        pairs[i].remote = sql_table_column(remote, names[i].remote);
        if (!pairs[i].local || !pairs[i].remote) {
            const char *tn = pairs[i].local ? remote->name : local->name;
            const char *cn = pairs[i].local ? names[i].remote : names[i].local;
            err_add_item(err, ERR_CONFIG, NULL,
                         "The relation \"%s.%s\" joins on the unknown column \"%s.%s\".",
                         rel_owner->name, rel_name, tn, cn);
            ok = false;
        } else if (type_family(pairs[i].local->type.kind) !=
                   type_family(pairs[i].remote->type.kind)) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The relation \"%s.%s\" joins \"%s.%s\" with \"%s.%s\" of another "
                         "type.",
                         rel_owner->name, rel_name, local->name, pairs[i].local->name, remote->name,
                         pairs[i].remote->name);
            ok = false;
        }
    }
    *out = pairs;
    return ok;
}

static bool resolve_relation(const sql_metadata *md, sql_table *t, sql_relation *r, err_report *err)
{
    const sql_relation_def *d = r->def;
    const sql_table *target = sql_metadata_table(md, d->target);
    const sql_table *secondary = d->secondary ? sql_metadata_table(md, d->secondary) : NULL;
    if (!target || (d->secondary && !secondary)) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The relation \"%s.%s\" names the unknown table \"%s\".", t->name, d->name,
                     target ? d->secondary : d->target);
        return false;
    }
    bool ok = resolve_pairs(t, d->name, t, secondary ? secondary : target, d->on, d->n_on, &r->on,
                            md->arena, err);
    if (secondary)
        ok = resolve_pairs(t, d->name, secondary, target, d->secondary_on, d->n_secondary_on,
                           &r->secondary_on, md->arena, err) &&
             ok;
    if (!ok)
        return false;
    r->target = target;
    r->secondary = secondary;
    r->n_on = d->n_on;
    r->n_secondary_on = secondary ? d->n_secondary_on : 0;
    return true;
}

/* The columns a trusted CHECK expression mentions, for error pointers: its
 * identifiers (unquoted ones folded to lower case, as PostgreSQL does)
 * that name a column, string literals skipped. */
static void find_check_columns(const sql_table *t, sql_check *ck, arena *a)
{
    const sql_column **cols = ARENA_ARRAY(a, const sql_column *, t->n_columns);
    size_t n = 0;
    char word[SQL_MAX_IDENT + 1];
    for (const char *p = ck->expr; *p;) {
        size_t len = 0;
        if (*p == '\'') {
            for (p++; *p; p++) {
                if (*p == '\'' && p[1] == '\'')
                    p++;
                else if (*p == '\'')
                    break;
            }
            if (*p)
                p++;
            continue;
        } else if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] != '"') {
                    p++;
                    break;
                }
                if (*p == '"')
                    p++; /* "" is one quote */
                if (len < SQL_MAX_IDENT)
                    word[len++] = *p;
            }
        } else if (isalpha((unsigned char) *p) || *p == '_' || (unsigned char) *p >= 0x80) {
            while (isalnum((unsigned char) *p) || *p == '_' || *p == '$' ||
                   (unsigned char) *p >= 0x80) {
                if (len < SQL_MAX_IDENT)
                    word[len++] = (char) tolower((unsigned char) *p);
                p++;
            }
        } else {
            p++;
            continue;
        }
        word[len] = '\0';
        const sql_column *c = sql_table_column(t, word);
        bool seen = false;
        for (size_t i = 0; c && i < n; i++)
            seen = seen || cols[i] == c;
        if (c && !seen)
            cols[n++] = c;
    }
    ck->columns = cols;
    ck->n_columns = n;
}

/* Constraint names: those backed by an index (primary key, unique,
 * indexes) share the schema's namespace with tables; every constraint
 * name must be unique within its table. */
typedef struct name_seen {
    const char **names;
    size_t n;
} name_seen;

static bool note_name(name_seen *s, arena *a, const char *name, const char *table, err_report *err)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The constraint or index name \"%s\" (table \"%s\") is used twice.", name,
                         table);
            return false;
        }
    }
    SQL__PUSH(a, s->names, s->n, const char *);
    s->names[s->n++] = name;
    return true;
}

static bool check_names(const sql_metadata *md, err_report *err)
{
    arena *a = md->arena;
    name_seen schema = {0};
    bool ok = true;
    for (size_t ti = 0; ti < md->n_tables; ti++)
        ok = note_name(&schema, a, md->tables[ti]->name, md->tables[ti]->name, err) && ok;
    for (size_t ti = 0; ti < md->n_tables; ti++) {
        const sql_table *t = md->tables[ti];
        name_seen local = {0};
        if (t->n_primary_key) {
            ok = note_name(&schema, a, t->pk_name, t->name, err) && ok;
            ok = note_name(&local, a, t->pk_name, t->name, err) && ok;
        }
        for (size_t i = 0; i < t->n_uniques; i++) {
            ok = note_name(&schema, a, t->uniques[i].name, t->name, err) && ok;
            ok = note_name(&local, a, t->uniques[i].name, t->name, err) && ok;
        }
        for (size_t i = 0; i < t->n_indexes; i++)
            ok = note_name(&schema, a, t->indexes[i].name, t->name, err) && ok;
        for (size_t i = 0; i < t->n_foreign_keys; i++)
            ok = note_name(&local, a, t->foreign_keys[i].name, t->name, err) && ok;
        for (size_t i = 0; i < t->n_checks; i++)
            ok = note_name(&local, a, t->checks[i].name, t->name, err) && ok;
    }
    return ok;
}

bool sql_metadata_freeze(sql_metadata *md, err_report *err)
{
    if (!md)
        return false;
    if (md->frozen)
        return true;
    bool ok = true;
    for (size_t ti = 0; ti < md->n_tables; ti++) {
        sql_table *t = md->tables[ti];
        if (t->n_columns == 0) {
            err_add_item(err, ERR_CONFIG, NULL, "The table \"%s\" has no columns.", t->name);
            ok = false;
        }
        for (size_t i = 0; i < t->n_foreign_keys; i++)
            ok = resolve_fk(md, t, &t->foreign_keys[i], err) && ok;
        for (size_t i = 0; i < t->n_relations; i++)
            ok = resolve_relation(md, t, t->relations[i], err) && ok;
        for (size_t i = 0; i < t->n_checks; i++)
            find_check_columns(t, &t->checks[i], md->arena);
    }
    ok = check_names(md, err) && ok;
    if (ok)
        md->frozen = true;
    return ok;
}
