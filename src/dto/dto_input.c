/*
 * dto_input — a create or update body validated as a whole and, only when
 * every field is valid, written into the entity (SQLAlchemy's "construct
 * the instance from a validated Pydantic model").
 *
 * Temporaries (the builder of the ORM's value rules, texts, pointers) live in
 * a scratch arena that dies before this returns: the entity copies what it
 * is given (orm_entity_set) and the report copies pointers and details
 * into its own arena.
 */
#include "dto_int.h"

bool dto_apply_input(const orm_mapper *m, const json_t *body, dto_mode mode,
                     const char *pointer_prefix, unsigned flags, orm_entity *e, err_report *err)
{
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    arena *scratch = arena_create(err ? err->arena : NULL, "dto_input");
    dto__ctx *cx = ARENA_NEW(scratch, dto__ctx);
    dto__ctx_init(cx, scratch, err, true);

    if (!json_is_object(body)) {
        dto__problem(cx, &(dto__loc){.prefix = prefix},
                     "Expected a JSON object with the fields of %s, got %s.", m->resource,
                     body ? jsonkind_name(body) : "nothing");
        arena_destroy(scratch);
        return false;
    }
    dto__field *fields = ARENA_ARRAY(scratch, dto__field, m->n_columns);
    bool *present = ARENA_ARRAY(scratch, bool, m->n_columns);
    size_t n = dto__fields(cx, m, body, mode, prefix, flags, e, fields, present);
    bool ok = cx->n_problems == 0;
    if (ok && e) {
        for (size_t i = 0; i < n; i++) {
            if (fields[i].is_add)
                orm_entity_add_to(e, fields[i].column, fields[i].text);
            else
                orm_entity_set(e, fields[i].column, fields[i].text);
        }
    }
    arena_destroy(scratch);
    return ok;
}
