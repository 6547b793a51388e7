/*
 * dto_rows — one row of a bulk insert validated like a create body and
 * turned into the text values of the caller's column list (Core insert, no
 * entities).
 *
 * Constraint: thousands of rows per request, so a valid row costs its
 * values and nothing else: no scratch arena, and JSON Pointer strings are
 * only made for problems.
 */
#include "dto_int.h"

bool dto_row_values(const orm_mapper *m, const json_t *row, const char *pointer_prefix,
                    const size_t *columns, size_t n_columns, arena *a, const char ***values,
                    bool **is_default, err_report *err)
{
    *values = NULL;
    *is_default = NULL;
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    dto__ctx cx;
    dto__ctx_init(&cx, a, err, false);

    if (!json_is_object(row)) {
        dto__problem(&cx, &(dto__loc){.prefix = prefix},
                     "Expected a JSON object with the fields of %s, got %s.", m->resource,
                     row ? jsonkind_name(row) : "nothing");
        return false;
    }
    for (size_t i = 0; i < n_columns; i++) {
        if (columns[i] >= m->n_columns) {
            err_set(err, ERR_INTERNAL, "Bulk column index %zu is out of range for %s.", columns[i],
                    m->resource);
            return false;
        }
    }
    dto__field *fields = ARENA_ARRAY(a, dto__field, m->n_columns);
    bool *present = ARENA_ARRAY(a, bool, m->n_columns);
    size_t n = dto__fields(&cx, m, row, DTO_CREATE, prefix, 0, NULL, fields, present);
    if (cx.n_problems)
        return false;

    /* The given text of each column, by column index. */
    const char **given = ARENA_ARRAY(a, const char *, m->n_columns);
    for (size_t i = 0; i < n; i++)
        given[fields[i].column] = fields[i].text;

    const char **vals = ARENA_ARRAY(a, const char *, n_columns ? n_columns : 1);
    bool *dflt = ARENA_ARRAY(a, bool, n_columns ? n_columns : 1);
    for (size_t i = 0; i < n_columns; i++) {
        size_t col = columns[i];
        if (present[col]) {
            vals[i] = given[col];
        } else if (m->has_default && m->has_default[col]) {
            vals[i] = m->defaults[col]; /* the registry's text; NULL for null */
        } else if ((int) col == m->version && !m->columns[col]->server_default) {
            vals[i] = "1"; /* as the unit of work does: a versioned row starts at 1 */
        } else {
            /* Neither given nor a client default: DEFAULT, i.e. the
             * server default, the identity, or NULL. */
            dflt[i] = true;
        }
    }
    *values = vals;
    *is_default = dflt;
    return true;
}
