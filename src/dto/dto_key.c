/*
 * dto_key — a client's key for an entity: the {id} of a URL (composite
 * keys "3,7", parts percent-encoded: orm_key_parse) or the "id" of a
 * transaction operation (a string, an integer, or an array of them), into
 * the text values orm_session_get takes.
 */
#include "dto_int.h"

const char **dto_key_from_url(const orm_mapper *m, const char *identity, arena *a)
{
    const char **key = orm_key_parse(m, identity, a);
    if (!key)
        return NULL;
    /* A value the key column cannot hold names nothing: no SQL for it. */
    err_report ignored;
    err_init(&ignored, NULL);
    sql_builder *b = sql_builder_new(a, &ignored);
    for (size_t k = 0; k < m->n_pk; k++) {
        sql_value v;
        if (!orm_value_text(b, m->columns[m->pk[k]], key[k], "/id", &v, &ignored))
            return NULL;
    }
    return key;
}

const char **dto_key_from_json(const orm_mapper *m, const json_t *id, arena *a)
{
    size_t n = json_is_array(id) ? json_array_size(id) : 1;
    if (!id || n != m->n_pk)
        return NULL;
    const char **key = ARENA_ARRAY(a, const char *, m->n_pk);
    for (size_t k = 0; k < n; k++) {
        const json_t *part = json_is_array(id) ? json_array_get(id, k) : id;
        if (json_is_string(part))
            key[k] = arena_strdup(a, json_string_value(part));
        else if (json_is_integer(part))
            key[k] = arena_sprintf(a, "%lld", (long long) json_integer_value(part));
        else
            return NULL;
    }
    return key;
}
