/*
 * sql_meta — building schema metadata: tables, columns, constraints,
 * relations, and looking them up. Resolution across tables (references,
 * relations) and the final checks are in sql_freeze.c.
 *
 * Everything is copied into the metadata's arena. Arrays grow with
 * arena_grow, so they are append-only until freeze.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

/* ==== shared helpers ================================================== */

bool sql__ident_ok(const char *name)
{
    if (!name)
        return false;
    size_t len = strlen(name);
    return len >= 1 && len <= SQL_MAX_IDENT;
}

/* Bytes of s to keep so that at most max bytes remain and no UTF-8
 * sequence is cut (pg_mbcliplen). */
static size_t clip_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* PostgreSQL's makeObjectName(): name1 "_" name2 "_" label, where name1
 * and name2 are shortened (the longer one first) until the whole fits in
 * NAMEDATALEN - 1 bytes. Matching it means the names we give in DDL are
 * the ones PostgreSQL would have chosen, so constraint lookups work the
 * same for reflected databases. */
const char *sql__make_name(arena *a, const char *table, const sql_column *const *cols, size_t n,
                           const char *suffix)
{
    sbuf name2;
    sbuf_init(&name2, a, 64);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_append_char(&name2, '_');
        sbuf_append(&name2, cols[i]->name);
    }
    size_t n1 = strlen(table), n2 = name2.len;
    size_t overhead = strlen(suffix) + 1 + (n ? 1 : 0);
    size_t avail = SQL_MAX_IDENT > overhead ? SQL_MAX_IDENT - overhead : 0;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    n1 = clip_utf8(table, strlen(table), n1);
    n2 = clip_utf8(name2.data, name2.len, n2);
    sbuf out;
    sbuf_init(&out, a, SQL_MAX_IDENT + 1);
    sbuf_append_n(&out, table, n1);
    if (n) {
        sbuf_append_char(&out, '_');
        sbuf_append_n(&out, name2.data, n2);
    }
    sbuf_append_char(&out, '_');
    sbuf_append(&out, suffix);
    return sbuf_str(&out);
}

static bool refuse_frozen(const sql_metadata *md, err_report *err)
{
    if (!md->frozen)
        return false;
    err_add_item(err, ERR_INTERNAL, NULL, "The metadata is frozen and cannot change.");
    return true;
}

static bool check_name(const char *what, const char *name, err_report *err)
{
    if (sql__ident_ok(name))
        return true;
    if (!name)
        err_add_item(err, ERR_CONFIG, NULL, "A %s needs a name.", what);
    else
        err_add_item(err, ERR_CONFIG, NULL, "The %s name \"%s\" must be 1 to %d bytes long.", what,
                     name, SQL_MAX_IDENT);
    return false;
}

/* ==== tables and columns ============================================== */

sql_metadata *sql_metadata_new(arena *a)
{
    sql_metadata *md = ARENA_NEW(a, sql_metadata);
    md->arena = a;
    return md;
}

sql_table *sql_table_add(sql_metadata *md, const char *name, err_report *err)
{
    if (refuse_frozen(md, err) || !check_name("table", name, err))
        return NULL;
    if (sql_metadata_table(md, name)) {
        err_add_item(err, ERR_CONFIG, NULL, "The table \"%s\" is declared twice.", name);
        return NULL;
    }
    sql_table *t = ARENA_NEW(md->arena, sql_table);
    t->name = arena_strdup(md->arena, name);
    t->metadata = md;
    t->index = md->n_tables;
    t->pk_name = sql__make_name(md->arena, t->name, NULL, 0, "pkey");
    SQL__PUSH(md->arena, md->tables, md->n_tables, sql_table *);
    md->tables[md->n_tables++] = t;
    return t;
}

void sql_table_set_location(sql_table *t, const char *schema, const char *sql_name)
{
    if (!t || t->metadata->frozen)
        return;
    t->schema = schema ? arena_strdup(t->metadata->arena, schema) : NULL;
    t->sql_name = sql_name && strcmp(sql_name, t->name) != 0
                      ? arena_strdup(t->metadata->arena, sql_name)
                      : NULL;
}

bool sql_table_located(const sql_table *t)
{
    return t->schema || t->sql_name;
}

void sql_append_table_ident(sbuf *s, const sql_table *t)
{
    if (t->schema) {
        sbuf_append_ident(s, t->schema);
        sbuf_append_char(s, '.');
    }
    sbuf_append_ident(s, t->sql_name ? t->sql_name : t->name);
}

void sql_table_mark_view(sql_table *t)
{
    if (t && !t->metadata->frozen)
        t->view = true;
}

static bool check_type(const sql_table *t, const char *name, sql_type type, err_report *err)
{
    if (type.kind <= SQL_TYPE_NONE || type.kind >= SQL_TYPE__COUNT ||
        (type.kind == SQL_TYPE_ENUM && (!type.name || !*type.name))) {
        err_add_item(err, ERR_CONFIG, NULL, "The column \"%s.%s\" has no valid type.", t->name,
                     name);
        return false;
    }
    if ((type.kind == SQL_TYPE_STRING || type.kind == SQL_TYPE_CHAR) &&
        (type.length < 0 || type.length > 10485760)) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The length of \"%s.%s\" must be between 0 (no limit) and 10485760.", t->name,
                     name);
        return false;
    }
    if (type.kind == SQL_TYPE_NUMERIC && (type.precision < 0 || type.precision > 1000 ||
                                          type.scale < 0 || type.scale > type.precision)) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The numeric column \"%s.%s\" needs 1 <= precision <= 1000 and "
                     "0 <= scale <= precision.",
                     t->name, name);
        return false;
    }
    return true;
}

static bool check_opts(const sql_table *t, const char *name, sql_type type,
                       const sql_column_opts *o, err_report *err)
{
    bool ok = true;
    if (o->autoincrement && type.kind != SQL_TYPE_INTEGER && type.kind != SQL_TYPE_BIGINT) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The column \"%s.%s\" is autoincrement but not an integer or bigint.", t->name,
                     name);
        ok = false;
    }
    if (o->autoincrement && o->server_default) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The column \"%s.%s\" cannot have both autoincrement and a "
                     "server_default.",
                     t->name, name);
        ok = false;
    }
    if (o->server_default && !o->server_default[0]) {
        err_add_item(err, ERR_CONFIG, NULL, "The server_default of \"%s.%s\" is empty.", t->name,
                     name);
        ok = false;
    }
    if (o->n_choices) {
        if (type.kind != SQL_TYPE_STRING && type.kind != SQL_TYPE_TEXT &&
            type.kind != SQL_TYPE_CHAR && type.kind != SQL_TYPE_ENUM) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The column \"%s.%s\" has choices but is not a string or text.", t->name,
                         name);
            ok = false;
        }
        for (size_t i = 0; i < o->n_choices; i++) {
            const char *c = o->choices ? o->choices[i] : NULL;
            if (!c) {
                err_add_item(err, ERR_CONFIG, NULL, "Choice %zu of \"%s.%s\" is missing.", i,
                             t->name, name);
                ok = false;
            } else if (type.kind == SQL_TYPE_STRING && type.length > 0 &&
                       strlen(c) > (size_t) type.length) {
                /* Bytes over characters: a conservative refusal only for
                 * multi-byte choices right at the limit. */
                err_add_item(err, ERR_CONFIG, NULL,
                             "The choice \"%s\" is longer than \"%s.%s\" allows.", c, t->name,
                             name);
                ok = false;
            }
        }
    }
    if (o->references) {
        const char *dot = strrchr(o->references, '.');
        if (!dot || dot == o->references || !dot[1]) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The references of \"%s.%s\" must be \"table.column\", not \"%s\".",
                         t->name, name, o->references);
            ok = false;
        }
    }
    return ok;
}

static bool name_taken(const sql_table *t, const char *name)
{
    return sql_table_column(t, name) || sql_table_relation(t, name);
}

static void add_fk(sql_table *t, const char *name, const sql_column **cols, size_t n,
                   const char *ref_table, const char **ref_cols)
{
    arena *a = t->metadata->arena;
    SQL__PUSH(a, t->foreign_keys, t->n_foreign_keys, sql_foreign_key);
    sql_foreign_key *fk = &t->foreign_keys[t->n_foreign_keys++];
    fk->name = name ? arena_strdup(a, name) : sql__make_name(a, t->name, cols, n, "fkey");
    fk->columns = cols;
    fk->n_columns = n;
    fk->ref_table_name = arena_strdup(a, ref_table);
    fk->ref_column_names = ref_cols;
}

static void add_choices_check(sql_table *t, sql_column *c)
{
    arena *a = t->metadata->arena;
    sbuf expr;
    sbuf_init(&expr, a, 64);
    sbuf_append_ident(&expr, c->name);
    sbuf_append(&expr, " IN (");
    for (size_t i = 0; i < c->n_choices; i++) {
        if (i)
            sbuf_append(&expr, ", ");
        sbuf_append_literal(&expr, c->choices[i]);
    }
    sbuf_append_char(&expr, ')');
    /* Choices checks come before named ones: insert in column order. */
    size_t pos = 0;
    while (pos < t->n_checks && t->checks[pos].choices_of)
        pos++;
    SQL__PUSH(a, t->checks, t->n_checks, sql_check);
    memmove(&t->checks[pos + 1], &t->checks[pos], (t->n_checks - pos) * sizeof(sql_check));
    t->n_checks++;
    sql_check *ck = &t->checks[pos];
    memset(ck, 0, sizeof *ck);
    const sql_column *one[1] = {c};
    ck->name = sql__make_name(a, t->name, one, 1, "check");
    ck->expr = sbuf_str(&expr);
    ck->choices_of = c;
}

sql_column *sql_table_add_column(sql_table *t, const char *name, sql_type type,
                                 const sql_column_opts *opts, err_report *err)
{
    sql_column_opts none = {0};
    const sql_column_opts *o = opts ? opts : &none;
    if (!t || refuse_frozen(t->metadata, err) || !check_name("column", name, err))
        return NULL;
    if (name_taken(t, name)) {
        err_add_item(err, ERR_CONFIG, NULL, "The name \"%s.%s\" is declared twice.", t->name, name);
        return NULL;
    }
    if (!check_type(t, name, type, err) || !check_opts(t, name, type, o, err))
        return NULL;

    arena *a = t->metadata->arena;
    sql_column *c = ARENA_NEW(a, sql_column);
    c->name = arena_strdup(a, name);
    c->table = t;
    c->index = t->n_columns;
    c->type = type;
    c->type.name = type.name ? arena_strdup(a, type.name) : NULL;
    c->generated = o->generated ? arena_strdup(a, o->generated) : NULL;
    c->primary_key = o->primary_key;
    c->nullable = !(o->primary_key || o->not_null);
    c->unique = o->unique;
    c->autoincrement = o->autoincrement;
    c->write_only = o->write_only;
    c->server_default = arena_strdup(a, o->server_default);
    if (o->n_choices) {
        const char **ch = ARENA_ARRAY(a, const char *, o->n_choices);
        for (size_t i = 0; i < o->n_choices; i++)
            ch[i] = arena_strdup(a, o->choices[i]);
        c->choices = ch;
        c->n_choices = o->n_choices;
    }
    SQL__PUSH(a, t->columns, t->n_columns, sql_column *);
    t->columns[t->n_columns++] = c;

    if (o->primary_key) {
        SQL__PUSH(a, t->primary_key, t->n_primary_key, const sql_column *);
        t->primary_key[t->n_primary_key++] = c;
    }
    if (o->unique && !o->primary_key) {
        const sql_column **cols = ARENA_ARRAY(a, const sql_column *, 1);
        cols[0] = c;
        SQL__PUSH(a, t->uniques, t->n_uniques, sql_unique);
        sql_unique *u = &t->uniques[t->n_uniques++];
        u->name = sql__make_name(a, t->name, cols, 1, "key");
        u->columns = cols;
        u->n_columns = 1;
    }
    /* An enum's labels are its type's; an array's choices bound its
     * elements, which a CHECK of IN cannot say. */
    if (o->n_choices && type.kind != SQL_TYPE_ENUM && !type.array)
        add_choices_check(t, c);
    if (o->references) {
        const char *dot = strrchr(o->references, '.');
        const sql_column **cols = ARENA_ARRAY(a, const sql_column *, 1);
        cols[0] = c;
        const char **ref_cols = ARENA_ARRAY(a, const char *, 1);
        ref_cols[0] = arena_strdup(a, dot + 1);
        add_fk(t, NULL, cols, 1, arena_strndup(a, o->references, (size_t) (dot - o->references)),
               ref_cols);
    }
    return c;
}

/* Columns of t by name, for table-level constraints: every name must
 * exist, none twice. NULL (with a problem) otherwise. */
static const sql_column **columns_by_name(sql_table *t, const char *what, const char *const *names,
                                          size_t n, err_report *err)
{
    if (n == 0 || !names) {
        err_add_item(err, ERR_CONFIG, NULL, "The %s of \"%s\" lists no columns.", what, t->name);
        return NULL;
    }
    const sql_column **cols = ARENA_ARRAY(t->metadata->arena, const sql_column *, n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        cols[i] = names[i] ? sql_table_column(t, names[i]) : NULL;
        if (!cols[i]) {
            err_add_item(err, ERR_CONFIG, NULL, "The %s of \"%s\" names the unknown column \"%s\".",
                         what, t->name, names[i] ? names[i] : "(null)");
            ok = false;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (cols[j] == cols[i]) {
                err_add_item(err, ERR_CONFIG, NULL,
                             "The %s of \"%s\" names the column \"%s\" twice.", what, t->name,
                             names[i]);
                ok = false;
            }
        }
    }
    return ok ? cols : NULL;
}

bool sql_table_set_primary_key(sql_table *t, const char *const *columns, size_t n, err_report *err)
{
    if (!t || refuse_frozen(t->metadata, err))
        return false;
    const sql_column **cols = columns_by_name(t, "primary key", columns, n, err);
    if (!cols)
        return false;
    for (size_t i = 0; i < t->n_columns; i++)
        t->columns[i]->primary_key = false;
    /* Rebuilt with SQL__PUSH: primary_key column options may append later. */
    t->primary_key = NULL;
    t->n_primary_key = 0;
    for (size_t i = 0; i < n; i++) {
        sql_column *c = t->columns[cols[i]->index];
        c->primary_key = true;
        c->nullable = false;
        SQL__PUSH(t->metadata->arena, t->primary_key, t->n_primary_key, const sql_column *);
        t->primary_key[t->n_primary_key++] = c;
    }
    return true;
}

bool sql_table_add_unique(sql_table *t, const char *name, const char *const *columns, size_t n,
                          err_report *err)
{
    if (!t || refuse_frozen(t->metadata, err) || (name && !check_name("constraint", name, err)))
        return false;
    const sql_column **cols = columns_by_name(t, "unique constraint", columns, n, err);
    if (!cols)
        return false;
    arena *a = t->metadata->arena;
    SQL__PUSH(a, t->uniques, t->n_uniques, sql_unique);
    sql_unique *u = &t->uniques[t->n_uniques++];
    u->name = name ? arena_strdup(a, name) : sql__make_name(a, t->name, cols, n, "key");
    u->columns = cols;
    u->n_columns = n;
    return true;
}

bool sql_table_add_foreign_key(sql_table *t, const char *name, const char *const *columns, size_t n,
                               const char *ref_table, const char *const *ref_columns,
                               err_report *err)
{
    if (!t || refuse_frozen(t->metadata, err) || (name && !check_name("constraint", name, err)))
        return false;
    const sql_column **cols = columns_by_name(t, "foreign key", columns, n, err);
    if (!cols)
        return false;
    if (!check_name("referenced table", ref_table, err))
        return false;
    arena *a = t->metadata->arena;
    const char **refs = ARENA_ARRAY(a, const char *, n);
    for (size_t i = 0; i < n; i++) {
        if (!ref_columns || !ref_columns[i]) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The foreign key of \"%s\" needs %zu referenced columns.", t->name, n);
            return false;
        }
        refs[i] = arena_strdup(a, ref_columns[i]);
    }
    add_fk(t, name, cols, n, ref_table, refs);
    return true;
}

bool sql_table_add_check(sql_table *t, const char *name, const char *expr, err_report *err)
{
    if (!t || refuse_frozen(t->metadata, err) || !check_name("check constraint", name, err))
        return false;
    if (!expr || !expr[0]) {
        err_add_item(err, ERR_CONFIG, NULL, "The check \"%s\" of \"%s\" has no expression.", name,
                     t->name);
        return false;
    }
    arena *a = t->metadata->arena;
    SQL__PUSH(a, t->checks, t->n_checks, sql_check);
    sql_check *ck = &t->checks[t->n_checks++];
    memset(ck, 0, sizeof *ck);
    ck->name = arena_strdup(a, name);
    ck->expr = arena_strdup(a, expr);
    return true;
}

bool sql_table_add_index(sql_table *t, const char *name, const char *const *columns, size_t n,
                         bool unique, err_report *err)
{
    if (!t || refuse_frozen(t->metadata, err) || (name && !check_name("index", name, err)))
        return false;
    const sql_column **cols = columns_by_name(t, "index", columns, n, err);
    if (!cols)
        return false;
    arena *a = t->metadata->arena;
    SQL__PUSH(a, t->indexes, t->n_indexes, sql_index);
    sql_index *ix = &t->indexes[t->n_indexes++];
    ix->name = name ? arena_strdup(a, name) : sql__make_name(a, t->name, cols, n, "idx");
    ix->columns = cols;
    ix->n_columns = n;
    ix->unique = unique;
    return true;
}

static sql_name_pair *copy_pairs(arena *a, const sql_name_pair *p, size_t n)
{
    sql_name_pair *out = ARENA_ARRAY(a, sql_name_pair, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        out[i].local = arena_strdup(a, p[i].local);
        out[i].remote = arena_strdup(a, p[i].remote);
    }
    return out;
}

static bool pairs_ok(const sql_table *t, const sql_relation_def *d, const sql_name_pair *p,
                     size_t n, const char *what, err_report *err)
{
    if (n == 0 || !p) {
        err_add_item(err, ERR_CONFIG, NULL, "The relation \"%s.%s\" has no %s columns.", t->name,
                     d->name, what);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!p[i].local || !p[i].remote) {
            err_add_item(err, ERR_CONFIG, NULL,
                         "The relation \"%s.%s\" has an incomplete %s column pair.", t->name,
                         d->name, what);
            return false;
        }
    }
    return true;
}

sql_relation *sql_table_add_relation(sql_table *t, const sql_relation_def *def, err_report *err)
{
    if (!t || !def || refuse_frozen(t->metadata, err) || !check_name("relation", def->name, err))
        return NULL;
    if (name_taken(t, def->name)) {
        err_add_item(err, ERR_CONFIG, NULL, "The name \"%s.%s\" is declared twice.", t->name,
                     def->name);
        return NULL;
    }
    if (!check_name("relation target", def->target, err) ||
        (def->secondary && !check_name("relation secondary", def->secondary, err)) ||
        !pairs_ok(t, def, def->on, def->n_on, "join", err) ||
        (def->secondary &&
         !pairs_ok(t, def, def->secondary_on, def->n_secondary_on, "secondary join", err)))
        return NULL;
    if (!def->secondary && def->n_secondary_on) {
        err_add_item(err, ERR_CONFIG, NULL,
                     "The relation \"%s.%s\" has secondary columns but no secondary table.",
                     t->name, def->name);
        return NULL;
    }
    arena *a = t->metadata->arena;
    sql_relation_def *d = ARENA_NEW(a, sql_relation_def);
    d->name = arena_strdup(a, def->name);
    d->kind = def->kind;
    d->target = arena_strdup(a, def->target);
    d->on = copy_pairs(a, def->on, def->n_on);
    d->n_on = def->n_on;
    d->secondary = arena_strdup(a, def->secondary);
    d->secondary_on = copy_pairs(a, def->secondary_on, def->secondary ? def->n_secondary_on : 0);
    d->n_secondary_on = def->secondary ? def->n_secondary_on : 0;

    sql_relation *r = ARENA_NEW(a, sql_relation);
    r->name = d->name;
    r->kind = d->kind;
    r->table = t;
    r->def = d;
    SQL__PUSH(a, t->relations, t->n_relations, sql_relation *);
    t->relations[t->n_relations++] = r;
    return r;
}

/* ==== lookups ========================================================= */

const sql_table *sql_metadata_table(const sql_metadata *md, const char *name)
{
    for (size_t i = 0; md && name && i < md->n_tables; i++)
        if (strcmp(md->tables[i]->name, name) == 0)
            return md->tables[i];
    return NULL;
}

const sql_column *sql_table_column(const sql_table *t, const char *name)
{
    for (size_t i = 0; t && name && i < t->n_columns; i++)
        if (strcmp(t->columns[i]->name, name) == 0)
            return t->columns[i];
    return NULL;
}

const sql_relation *sql_table_relation(const sql_table *t, const char *name)
{
    for (size_t i = 0; t && name && i < t->n_relations; i++)
        if (strcmp(t->relations[i]->name, name) == 0)
            return t->relations[i];
    return NULL;
}

static bool found(sql_constraint_info *out, sql_constraint_kind kind, const sql_table *t,
                  const char *name, const sql_column *const *cols, size_t n)
{
    out->kind = kind;
    out->table = t;
    out->name = name;
    out->columns = cols;
    out->n_columns = n;
    return true;
}

bool sql_metadata_find_constraint(const sql_metadata *md, const char *table, const char *name,
                                  sql_constraint_info *out)
{
    if (!md || !name)
        return false;
    for (size_t ti = 0; ti < md->n_tables; ti++) {
        const sql_table *t = md->tables[ti];
        if (table && strcmp(t->name, table) != 0)
            continue;
        if (t->n_primary_key && strcmp(t->pk_name, name) == 0)
            return found(out, SQL_CONSTRAINT_PRIMARY_KEY, t, t->pk_name, t->primary_key,
                         t->n_primary_key);
        for (size_t i = 0; i < t->n_uniques; i++)
            if (strcmp(t->uniques[i].name, name) == 0)
                return found(out, SQL_CONSTRAINT_UNIQUE, t, t->uniques[i].name,
                             t->uniques[i].columns, t->uniques[i].n_columns);
        for (size_t i = 0; i < t->n_foreign_keys; i++)
            if (strcmp(t->foreign_keys[i].name, name) == 0)
                return found(out, SQL_CONSTRAINT_FOREIGN_KEY, t, t->foreign_keys[i].name,
                             t->foreign_keys[i].columns, t->foreign_keys[i].n_columns);
        for (size_t i = 0; i < t->n_checks; i++)
            if (strcmp(t->checks[i].name, name) == 0)
                return found(out, SQL_CONSTRAINT_CHECK, t, t->checks[i].name, t->checks[i].columns,
                             t->checks[i].n_columns);
        for (size_t i = 0; i < t->n_indexes; i++)
            if (strcmp(t->indexes[i].name, name) == 0)
                return found(out,
                             t->indexes[i].unique ? SQL_CONSTRAINT_UNIQUE : SQL_CONSTRAINT_INDEX, t,
                             t->indexes[i].name, t->indexes[i].columns, t->indexes[i].n_columns);
    }
    return false;
}
