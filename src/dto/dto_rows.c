/*
 * dto_rows — bulk bodies for the ORM's bulk writes (rows, no entities): a
 * bulk insert's rows validated like create bodies into the text values of
 * one column list, and the values of a bulk update.
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
        /* Neither given nor filled as the unit of work fills it (client
         * default, version 1): DEFAULT, i.e. the server default, the
         * identity, or NULL. */
        if (present[col])
            vals[i] = given[col];
        else
            dflt[i] = !orm_mapper_absent_value(m, col, &vals[i]);
    }
    *values = vals;
    *is_default = dflt;
    return true;
}

/* The columns any row names, in model order, plus those the ORM fills
 * when a row does not (client defaults, the version column). Unknown
 * names are left for dto_row_values to report. */
static size_t used_columns(const orm_mapper *m, const json_t *rows, size_t *cols)
{
    size_t n = 0;
    for (size_t c = 0; c < m->n_columns; c++) {
        bool used = orm_mapper_absent_value(m, c, NULL);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            if (used)
                break;
            used = json_object_get(row, m->model->columns[c].name) != NULL;
        }
        if (used)
            cols[n++] = c;
    }
    return n;
}

bool dto_bulk_rows(const orm_mapper *m, const json_t *rows, const char *pointer_prefix, arena *a,
                   dto_bulk *out, err_report *err)
{
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    *out = (dto_bulk){0};
    size_t n = json_array_size(rows);
    size_t *cols = ARENA_ARRAY(a, size_t, m->n_columns + 1);
    size_t n_cols = used_columns(m, rows, cols);
    const char ***values = ARENA_ARRAY(a, const char **, n + 1);
    bool **defaults = ARENA_ARRAY(a, bool *, n + 1);
    /* Every bad row is reported, each with all its problems. */
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (!dto_row_values(m, json_array_get(rows, i), arena_sprintf(a, "%s/%zu", prefix, i),
                            cols, n_cols, a, &values[i], &defaults[i], err)) {
            ok = false;
            if (err->kind == ERR_INTERNAL)
                break;
        }
    }
    if (!ok)
        return false;
    *out = (dto_bulk){.columns = cols,
                      .n_columns = n_cols,
                      .values = (const char *const *const *) values,
                      .defaults = (const bool *const *) defaults,
                      .n_rows = n};
    return true;
}

bool dto_bulk_values(const orm_mapper *m, const json_t *values, const char *pointer_prefix,
                     arena *a, size_t **columns, const char ***texts, size_t *n, err_report *err)
{
    *columns = NULL;
    *texts = NULL;
    *n = 0;
    const char *prefix = pointer_prefix ? pointer_prefix : "";
    dto__ctx cx;
    dto__ctx_init(&cx, a, err, false);
    if (!json_is_object(values) || json_object_size(values) == 0) {
        dto__problem(&cx, &(dto__loc){.prefix = prefix},
                     "values must be an object naming at least one field.");
        return false;
    }
    size_t *cols = ARENA_ARRAY(a, size_t, json_object_size(values));
    const char **out = ARENA_ARRAY(a, const char *, json_object_size(values));
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) values, key, v)
    {
        dto__loc at = {.prefix = prefix, .key = key};
        int c = orm_mapper_column(m, key);
        if (c < 0) {
            dto__problem(&cx, &at, "Unknown field \"%s\" on %s.", key, m->resource);
            continue;
        }
        if (orm_mapper_column_managed(m, (size_t) c) || m->model->columns[c].primary_key) {
            dto__problem(&cx, &at, "%s cannot be set by a bulk update.", key);
            continue;
        }
        if (dto__column_text(&cx, m, (size_t) c, v, &at, &out[k]))
            cols[k++] = (size_t) c;
    }
    if (cx.n_problems)
        return false;
    *columns = cols;
    *texts = out;
    *n = k;
    return true;
}
