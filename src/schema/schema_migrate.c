/*
 * schema_migrate — numbered SQL files in a folder ("0001_add_notes.sql"),
 * applied in order, each in one transaction together with its row in
 * retort_migrations, so a file is either applied and recorded or neither:
 * a failure rolls the file back and stops, and the next `up` starts again
 * from that file.
 *
 * The version is the file's number; a file is pending when its version is
 * not in retort_migrations. Files are read whole; their text goes to
 * PostgreSQL as one simple-protocol query (several statements, no
 * parameters), as psql -1 would send it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "schema_int.h"

static const char *const CREATE_TABLE =
    "CREATE TABLE IF NOT EXISTS " SCHEMA_MIGRATIONS_TABLE " ("
    " version text PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "0007_add_notes.sql" → version "0007", name "add_notes". */
static bool parse_name(arena *a, const char *file, schema_migration *m)
{
    size_t n = strlen(file);
    size_t d = 0;
    while (is_digit(file[d]))
        d++;
    if (d == 0 || file[d] != '_' || n < d + 6 || strcmp(file + n - 4, ".sql") != 0)
        return false;
    m->version = arena_strndup(a, file, d);
    m->name = arena_strndup(a, file + d + 1, n - d - 5);
    m->file = arena_strdup(a, file);
    return true;
}

static int by_version(const void *x, const void *y)
{
    const schema_migration *a = x, *b = y;
    long va = strtol(a->version, NULL, 10), vb = strtol(b->version, NULL, 10);
    return va < vb ? -1 : va > vb;
}

bool schema_migrations_list(const char *dir, arena *a, schema_migration **out, size_t *n,
                            err_report *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return true; /* no folder yet: nothing written */
        err_set(err, ERR_CONFIG, "Cannot read the migrations folder %s: %s.", dir, strerror(errno));
        return false;
    }
    size_t cap = 16;
    schema_migration *list = ARENA_ARRAY(a, schema_migration, cap);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        schema_migration m = {0};
        if (!parse_name(a, e->d_name, &m))
            continue;
        if (*n == cap) {
            schema_migration *grown = ARENA_ARRAY(a, schema_migration, cap * 2);
            memcpy(grown, list, sizeof *list * cap);
            list = grown;
            cap *= 2;
        }
        list[(*n)++] = m;
    }
    closedir(d);
    qsort(list, *n, sizeof *list, by_version);
    for (size_t i = 1; i < *n; i++)
        if (strtol(list[i].version, NULL, 10) == strtol(list[i - 1].version, NULL, 10)) {
            err_set(err, ERR_CONFIG, "Two migrations have the number %s: %s and %s.",
                    list[i].version, list[i - 1].file, list[i].file);
            return false;
        }
    *out = list;
    return true;
}

/* Marks m->applied from the table (created when missing). */
static bool read_applied(eng_conn *c, arena *a, schema_migration *list, size_t n,
                         err_report *err)
{
    if (!eng_exec_command(c, CREATE_TABLE, err))
        return false;
    eng_result *r = eng_exec(c, a, "SELECT version FROM " SCHEMA_MIGRATIONS_TABLE, 0, NULL, err);
    if (!r)
        return false;
    for (int i = 0; i < eng_result_rows(r); i++) {
        long v = strtol(eng_result_value(r, i, 0), NULL, 10);
        for (size_t k = 0; k < n; k++)
            if (strtol(list[k].version, NULL, 10) == v)
                list[k].applied = true;
    }
    return true;
}

bool schema_migrations_status(eng_pool *pool, const char *dir, arena *a, schema_migration **out,
                              size_t *n, err_report *err)
{
    if (!schema_migrations_list(dir, a, out, n, err))
        return false;
    eng_conn *c = eng_pool_checkout(pool, err);
    if (!c)
        return false;
    bool ok = read_applied(c, a, *out, *n, err);
    eng_pool_checkin(pool, c);
    return ok;
}

static char *read_text(arena *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sbuf s;
    sbuf_init(&s, a, 4096);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sbuf_append_n(&s, buf, got);
    fclose(f);
    return (char *) sbuf_str(&s);
}

int schema_migrate_up(eng_pool *pool, const char *dir, arena *a, FILE *log, err_report *err)
{
    schema_migration *list;
    size_t n;
    if (!schema_migrations_status(pool, dir, a, &list, &n, err))
        return -1;
    int applied = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].applied)
            continue;
        const char *path = arena_sprintf(a, "%s/%s", dir, list[i].file);
        const char *sql = read_text(a, path);
        if (!sql) {
            err_set(err, ERR_CONFIG, "Cannot read %s: %s.", path, strerror(errno));
            return -1;
        }
        eng_conn *c = eng_pool_checkout(pool, err);
        if (!c)
            return -1;
        const char *params[2] = {list[i].version, list[i].name};
        bool ok = eng_begin(c, NULL, 0, err) && (!*sql || eng_exec_command(c, sql, err)) &&
                  eng_exec(c, a,
                           "INSERT INTO " SCHEMA_MIGRATIONS_TABLE " (version, name) VALUES ($1, $2)",
                           2, params, err) &&
                  eng_commit(c, err);
        eng_pool_checkin(pool, c); /* rolls back what a failure left open */
        if (!ok) {
            if (log)
                fprintf(log, "failed %s (rolled back)\n", list[i].file);
            return -1;
        }
        if (log)
            fprintf(log, "applied %s\n", list[i].file);
        applied++;
    }
    return applied;
}

const char *schema_migration_new(const char *dir, const char *name, const char *script, arena *a,
                                 err_report *err)
{
    for (const char *p = name; *p; p++)
        if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')) {
            err_set(err, ERR_CONFIG,
                    "A migration name uses letters, digits and underscores, not \"%s\".", name);
            return NULL;
        }
    if (!*name) {
        err_set(err, ERR_CONFIG, "A migration needs a name.");
        return NULL;
    }
    schema_migration *list;
    size_t n;
    if (!schema_migrations_list(dir, a, &list, &n, err))
        return NULL;
    long next = n ? strtol(list[n - 1].version, NULL, 10) + 1 : 1;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        err_set(err, ERR_CONFIG, "Cannot create the migrations folder %s: %s.", dir,
                strerror(errno));
        return NULL;
    }
    const char *path = arena_sprintf(a, "%s/%04ld_%s.sql", dir, next, name);
    FILE *f = fopen(path, "wx");
    if (!f || fputs(script, f) < 0 || fclose(f) != 0) {
        err_set(err, ERR_CONFIG, "Cannot write %s: %s.", path, strerror(errno));
        return NULL;
    }
    return path;
}
