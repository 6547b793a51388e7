/*
 * orm_identity — the identity map: one instance per row per session.
 *
 * The key of a row is its primary-key text as PostgreSQL prints it, parts
 * percent-encoded and joined by "," ("3", "3,7"), the same form as a
 * composite key in a URL. Client-given keys are canonicalised first (a
 * uuid in upper case, an integer with a leading zero) so that
 * orm_session_get of a loaded row finds it without SQL. One map per
 * mapper, in the session arena.
 */
#include <ctype.h>
#include <string.h>

#include "orm_int.h"
#include "pgtext.h"

const char *orm__identity_text(arena *a, const orm_mapper *m, const char *const *pk_values)
{
    if (m->n_pk == 1 && pk_values[0]) {
        /* The common case: most keys need no encoding at all. */
        const char *p = pk_values[0];
        for (; *p; p++)
            if (!isalnum((unsigned char) *p) && *p != '-' && *p != '.' && *p != '_' && *p != '~')
                break;
        if (!*p)
            return pk_values[0];
    }
    sbuf b;
    sbuf_init(&b, a, 64);
    for (size_t k = 0; k < m->n_pk; k++) {
        if (!pk_values[k])
            return NULL;
        if (k)
            sbuf_append_char(&b, ',');
        sbuf_append_pct(&b, pk_values[k]);
    }
    return sbuf_str(&b);
}

const char *orm__entity_key(const orm_entity *e)
{
    const orm_mapper *m = e->mapper;
    const char *pk[CFG_MAX_PK_COLUMNS];
    for (size_t k = 0; k < m->n_pk; k++) {
        if (!(e->flags[m->pk[k]] & ORM_COL_LOADED) || !e->values[m->pk[k]])
            return NULL;
        pk[k] = e->values[m->pk[k]];
    }
    return orm__identity_text(e->session->arena, m, pk);
}

const char **orm_key_parse(const orm_mapper *m, const char *identity, arena *a)
{
    const char **key = ARENA_ARRAY(a, const char *, m->n_pk);
    const char *p = identity ? identity : "";
    for (size_t i = 0;; p++) {
        size_t len = strcspn(p, ",");
        if (i == m->n_pk)
            return NULL;
        key[i] = sbuf_pct_decode(a, p, len, false);
        if (!key[i] || !*key[i])
            return NULL;
        i++;
        p += len;
        if (!*p)
            return i == m->n_pk ? key : NULL;
    }
}

static const char *canonical_integer(arena *a, const char *t)
{
    const char *p = t;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char) *p))
        return t;
    while (*p == '0' && isdigit((unsigned char) p[1]))
        p++;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char) *q))
            return t;
    if (strcmp(p, "0") == 0)
        neg = false;
    return neg ? arena_sprintf(a, "-%s", p) : (p == t ? t : arena_strdup(a, p));
}

static const char *canonical_uuid(arena *a, const char *t)
{
    char uuid[PGTEXT_UUID_LEN + 1];
    return pgtext_uuid(t, uuid) ? arena_strdup(a, uuid) : t;
}

const char *orm__canonical_key_part(arena *a, const sql_column *c, const char *text)
{
    if (!text)
        return NULL;
    switch (c->type.kind) {
    case SQL_TYPE_INTEGER:
    case SQL_TYPE_BIGINT:
        return canonical_integer(a, text);
    case SQL_TYPE_UUID:
        return canonical_uuid(a, text);
    default:
        return text;
    }
}

/* ==== the map =========================================================== */

static orm__strmap *map_of(orm_session *s, const orm_mapper *m)
{
    if (m->index >= s->n_identity) {
        size_t n = m->index + 1;
        if (s->opts.registry && orm_registry_count(s->opts.registry) > n)
            n = orm_registry_count(s->opts.registry);
        s->identity = arena_realloc(s->arena, s->identity, s->n_identity * sizeof *s->identity,
                                    n * sizeof *s->identity);
        s->n_identity = n;
    }
    return &s->identity[m->index];
}

orm_entity *orm__identity_get(const orm_session *s, const orm_mapper *m, const char *identity)
{
    if (!identity || m->index >= s->n_identity)
        return NULL;
    return orm__strmap_get(&s->identity[m->index], identity);
}

void orm__identity_put(orm_session *s, orm_entity *e, const char *identity)
{
    e->identity = identity;
    orm__strmap_put(s->arena, map_of(s, e->mapper), identity, e);
    if (!e->in_all) {
        e->in_all = true;
        orm__vec_push(s->arena, &s->all, e);
    }
}

void orm__identity_remove(orm_session *s, orm_entity *e)
{
    if (!e->identity || e->mapper->index >= s->n_identity)
        return;
    orm__strmap *map = &s->identity[e->mapper->index];
    if (orm__strmap_get(map, e->identity) == e)
        orm__strmap_remove(map, e->identity);
}
