/*
 * dto_fields — the members of a create or update body (or of a bulk row)
 * checked against the model: which names are fields at all, which may be
 * written, which must be given, and each value by its column.
 *
 * Constraint: one bad body must report every problem at once (one 422
 * with an item per field), so nothing here stops at the first problem,
 * and nothing is written anywhere until the caller has seen that there
 * were none.
 *
 * The version column is managed by the ORM (1 on insert, +1 per update,
 * checked against If-Match), so it is refused on input like a read_only
 * column; it is never "required".
 */
#include <string.h>
#include <strings.h>

#include "dto_int.h"

/* A name from the body for a message: at most 64 bytes, cut on a UTF-8
 * boundary, so a hostile key cannot make a huge problem document. */
static const char *short_name(arena *a, const char *name)
{
    size_t n = strlen(name);
    if (n <= 64)
        return name;
    size_t cut = 60;
    while (cut > 0 && ((unsigned char) name[cut] & 0xC0) == 0x80)
        cut--;
    return arena_sprintf(a, "%.*s...", (int) cut, name);
}

static bool is_version(const orm_mapper *m, size_t col)
{
    return m->version >= 0 && (size_t) m->version == col;
}

bool dto__input_refused(const orm_mapper *m, size_t col)
{
    return orm_mapper_column_managed(m, col);
}

bool dto__required(const orm_mapper *m, size_t col)
{
    const cfg_column *c = &m->model->columns[col];
    return !c->nullable && !c->default_json && !c->server_default && !c->autoincrement &&
           !dto__input_refused(m, col);
}

/* update: the primary key may be named (DTO_ALLOW_PRIMARY_KEY) only with
 * its current value; it is never changed through a body. */
static bool same_key(const orm_mapper *m, size_t col, const orm_entity *e, const char *text)
{
    if (!e || !orm_entity_is_loaded(e, col))
        return true;
    const char *cur = orm_entity_get(e, col);
    if (!cur || !text)
        return cur == text;
    if (m->columns[col]->type.kind == SQL_TYPE_UUID)
        return strcasecmp(cur, text) == 0;
    return strcmp(cur, text) == 0;
}

/* {"$add": delta}: an object whose only member is "$add". */
static const json_t *add_operand(const orm_mapper *m, size_t col, const json_t *v)
{
    if (!json_is_object(v) || m->columns[col]->type.kind == SQL_TYPE_JSON)
        return NULL;
    return json_object_get(v, "$add");
}

static void one_field(dto__ctx *cx, const orm_mapper *m, size_t col, const json_t *v, dto_mode mode,
                      unsigned flags, const orm_entity *e, const dto__loc *at, dto__field *out,
                      size_t *n_out)
{
    const sql_column *c = m->columns[col];
    if (dto__input_refused(m, col)) {
        if (is_version(m, col))
            dto__problem(cx, at,
                         "The field \"%s.%s\" is the version column; the server sets it "
                         "(send the version in If-Match instead).",
                         c->table->name, c->name);
        else
            dto__problem(cx, at, "The field \"%s.%s\" is read-only.", c->table->name, c->name);
        return;
    }
    if (mode == DTO_UPDATE && c->primary_key && !(flags & DTO_ALLOW_PRIMARY_KEY)) {
        dto__problem(cx, at,
                     "The field \"%s.%s\" is part of the primary key and cannot be "
                     "changed.",
                     c->table->name, c->name);
        return;
    }
    const json_t *delta = add_operand(m, col, v);
    if (delta) {
        if (!(flags & DTO_ALLOW_ADD)) {
            dto__problem(cx, at,
                         "\"$add\" is only accepted in the update operations of a "
                         "transaction (\"%s.%s\").",
                         c->table->name, c->name);
            return;
        }
        if (mode != DTO_UPDATE || c->primary_key) {
            dto__problem(cx, at,
                         "\"$add\" applies only to updates of a non-key field "
                         "(\"%s.%s\").",
                         c->table->name, c->name);
            return;
        }
        if (json_object_size(v) != 1) {
            dto__problem(cx, at,
                         "Expected {\"$add\": number} for \"%s.%s\", with no other "
                         "member.",
                         c->table->name, c->name);
            return;
        }
        const char *text;
        dto__loc sub = {.prefix = at->prefix, .key = at->key, .sub = "$add"};
        if (dto__delta_text(cx, m, col, delta, &sub, &text))
            out[(*n_out)++] = (dto__field){.column = col, .text = text, .is_add = true};
        return;
    }
    const char *text;
    if (!dto__column_text(cx, m, col, v, at, &text))
        return;
    if (mode == DTO_UPDATE && c->primary_key) {
        if (!same_key(m, col, e, text))
            dto__problem(cx, at,
                         "The field \"%s.%s\" is part of the primary key and cannot be "
                         "changed.",
                         c->table->name, c->name);
        return; /* never written: the key stays what it is */
    }
    out[(*n_out)++] = (dto__field){.column = col, .text = text};
}

size_t dto__fields(dto__ctx *cx, const orm_mapper *m, const json_t *body, dto_mode mode,
                   const char *prefix, unsigned flags, const orm_entity *e, dto__field *fields,
                   bool *present)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) body, key, v)
    {
        dto__loc at = {.prefix = prefix, .key = key};
        int col = orm_mapper_column(m, key);
        if (col < 0) {
            if (orm_mapper_relationship(m, key))
                dto__problem(cx, &at,
                             "\"%s\" is a relationship of %s; related rows are written "
                             "through their own resource.",
                             key, m->resource);
            else
                dto__problem(cx, &at, "Unknown field \"%s\": %s has no such field.",
                             short_name(cx->a, key), m->resource);
            continue;
        }
        present[col] = true;
        one_field(cx, m, (size_t) col, v, mode, flags, e, &at, fields, &n);
    }
    if (mode == DTO_CREATE) {
        for (size_t i = 0; i < m->n_columns; i++)
            if (!present[i] && dto__required(m, i))
                dto__problem(cx, &(dto__loc){.prefix = prefix, .key = m->columns[i]->name},
                             "The field \"%s.%s\" is required.", m->columns[i]->table->name,
                             m->columns[i]->name);
    }
    return n;
}
