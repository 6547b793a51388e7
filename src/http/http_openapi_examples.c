/*
 * http_openapi_examples — the example values of the OpenAPI document:
 * column values, entities, create and update bodies, where and query
 * documents. Deterministic (variant 0 or 1, never random), so the
 * document is the same text for the same models.
 */
#include <string.h>

#include "http_openapi_int.h"

/* A plausible value of column c; variant 0 or 1 gives two different rows. */
static json_t *scalar_example(http__oa *x, const cfg_column *c, int variant);

json_t *http__oa_column_example(http__oa *x, const cfg_column *c, int variant)
{
    if (c->array) {
        if (c->default_json && variant == 0) {
            json_t *dv = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
            if (dv)
                return dv;
        }
        json_t *a = json_array();
        json_array_append_new(a, scalar_example(x, c, variant));
        return a;
    }
    return scalar_example(x, c, variant);
}

static json_t *scalar_example(http__oa *x, const cfg_column *c, int variant)
{
    if (c->n_choices)
        return json_string(c->choices[c->n_choices > 1 && variant ? 1 : 0]);
    if (c->default_json && variant == 0 && !c->array) {
        json_t *dv = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
        if (dv)
            return dv;
    }
    switch (c->type) {
    case CFG_TYPE_SMALLINT:
    case CFG_TYPE_INTEGER:
    case CFG_TYPE_BIGINT:
        return json_integer(variant ? 7 : 1);
    case CFG_TYPE_REAL:
    case CFG_TYPE_FLOAT:
        return json_real(variant ? 2.5 : 1.5);
    case CFG_TYPE_TIME:
        return json_string(variant ? "17:30:00" : "09:00:00");
    case CFG_TYPE_TIMESTAMP:
        return json_string(variant ? "2026-02-28T09:30:00" : "2026-01-31T12:00:00");
    case CFG_TYPE_INTERVAL:
        return json_string(variant ? "PT30M" : "P1DT2H");
    case CFG_TYPE_BYTEA:
        return json_string(variant ? "AQID" : "aGVsbG8=");
    case CFG_TYPE_INET:
        return json_string(variant ? "2001:db8::1" : "192.168.0.1");
    case CFG_TYPE_CIDR:
        return json_string(variant ? "2001:db8::/32" : "10.0.0.0/8");
    case CFG_TYPE_ENUM:
        return json_string("value");
    case CFG_TYPE_NUMERIC: {
        int before = c->precision > 0 ? c->precision - c->scale : 2;
        int scale = c->precision > 0 ? c->scale : 2;
        const char *ip = before >= 2 ? (variant ? "42" : "19") : before == 1 ? "9" : "0";
        const char *fp = scale >= 2 ? ".99" : scale == 1 ? ".5" : "";
        return json_string(arena_sprintf(x->a, "%s%s", ip, fp));
    }
    case CFG_TYPE_STRING:
    case CFG_TYPE_CHAR:
    case CFG_TYPE_TEXT: {
        const char *v = strstr(c->name, "email")
                            ? (variant ? "bob@example.com" : "alice@example.com")
                        : strcmp(c->name, "name") == 0 ? (variant ? "Bob" : "Alice")
                                                       : (variant ? "example two" : "example");
        if (c->type != CFG_TYPE_TEXT && c->length > 0 && strlen(v) > (size_t) c->length)
            v = arena_strndup(x->a, v, (size_t) c->length);
        return json_string(v);
    }
    case CFG_TYPE_BOOLEAN:
        return json_boolean(!variant);
    case CFG_TYPE_UUID:
        return json_string(variant ? "9b2e4c1a-7d35-4f08-a6b1-3c5d7e9f0a12"
                                   : "3fa85f64-5717-4562-b3fc-2c963f66afa6");
    case CFG_TYPE_DATE:
        return json_string(variant ? "2026-02-28" : "2026-01-31");
    case CFG_TYPE_TIMESTAMPTZ:
        return json_string(variant ? "2026-02-28T09:30:00Z" : "2026-01-31T12:00:00Z");
    case CFG_TYPE_JSON:
    case CFG_TYPE_JSONB:
        return json_pack("{s:s}", "key", variant ? "other" : "value");
    }
    return json_null();
}

/* An entity as the API returns it: every serialised column. */
json_t *http__oa_entity_example(http__oa *x, const http__oa_model *om, int variant)
{
    json_t *e = json_object();
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (!c->write_only)
            json_object_set_new(e, c->name, http__oa_column_example(x, c, variant));
    }
    return e;
}

/* A create body: the fields a client would send (not generated keys, not
 * columns the database fills). */
json_t *http__oa_create_example(http__oa *x, const http__oa_model *om, int variant)
{
    json_t *e = json_object();
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (!http__oa_creatable(om, i) || c->server_default || c->autoincrement)
            continue;
        json_object_set_new(e, c->name, http__oa_column_example(x, c, variant));
    }
    return e;
}

/* A column to show filters and updates with: one with choices, else a
 * string that is not a key, else the first updatable one; -1 if none. */
int http__oa_sample_column(const http__oa_model *om, bool need_updatable)
{
    int best = -1, score = 0;
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if (c->write_only || (need_updatable && !http__oa_updatable(om, i)))
            continue;
        /* A unique column is a poor value for a bulk update. */
        bool plain = !c->primary_key && !(need_updatable && c->unique);
        int s = c->n_choices                                                        ? 4
                : (c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT) && plain ? 3
                : plain && !c->references                                           ? 2
                                                                                    : 1;
        if (s > score) {
            best = (int) i;
            score = s;
        }
    }
    return best;
}

/* {"status": {"in": [...]}} or {"email": {"like": "%@example.com"}}. */
json_t *http__oa_where_example(http__oa *x, const http__oa_model *om)
{
    int i = http__oa_sample_column(om, false);
    if (i < 0)
        return json_object();
    const cfg_column *c = &om->model->columns[i];
    json_t *cond;
    if (c->n_choices)
        cond = json_pack("{s:[o,o]}", "in", http__oa_column_example(x, c, 0),
                         http__oa_column_example(x, c, 1));
    else if (c->type == CFG_TYPE_STRING || c->type == CFG_TYPE_TEXT)
        cond = json_pack("{s:s}", "like", strstr(c->name, "email") ? "%@example.com" : "a%");
    else
        cond = json_pack("{s:o}", "eq", http__oa_column_example(x, c, 0));
    return json_pack("{s:o}", c->name, cond);
}

static int first_column_of_type(const http__oa_model *om, cfg_type t)
{
    for (size_t i = 0; i < om->model->n_columns; i++)
        if (om->model->columns[i].type == t && !om->model->columns[i].write_only)
            return (int) i;
    return -1;
}

json_t *http__oa_query_example(http__oa *x, const http__oa_model *om)
{
    json_t *q = json_object();
    json_object_set_new(q, "where", http__oa_where_example(x, om));
    json_t *order = json_array();
    int ts = first_column_of_type(om, CFG_TYPE_TIMESTAMPTZ);
    if (ts >= 0)
        json_array_append_new(order, json_pack("{s:s}", om->model->columns[ts].name, "desc"));
    if (om->model->n_pk)
        json_array_append_new(order, json_string(om->model->columns[om->model->pk[0]].name));
    json_object_set_new(q, "order_by", order);
    json_object_set_new(q, "limit", json_integer(20));
    json_object_set_new(q, "offset", json_integer(0));
    if (om->m && om->m->n_relationships)
        json_object_set_new(q, "options",
                            json_pack("[{s:s}]", "selectinload", om->m->relationships[0].name));
    json_object_set_new(q, "count", json_true());
    return q;
}

/* {"group_by": ["status"], "aggregates": {"n": {"count": "*"}, ...}};
 * NULL when the model has nothing worth grouping by. */
json_t *http__oa_aggregate_example(http__oa *x, const http__oa_model *om)
{
    int g = -1;
    for (size_t i = 0; i < om->model->n_columns && g < 0; i++)
        if (om->model->columns[i].n_choices && !om->model->columns[i].write_only)
            g = (int) i;
    if (g < 0)
        return NULL;
    json_t *aggs = json_pack("{s:{s:s}}", "n", "count", "*");
    for (size_t i = 0; i < om->model->n_columns; i++) {
        const cfg_column *c = &om->model->columns[i];
        if ((c->type == CFG_TYPE_NUMERIC || c->type == CFG_TYPE_FLOAT) && !c->write_only) {
            json_object_set_new(aggs, arena_sprintf(x->a, "sum_%s", c->name),
                                json_pack("{s:s}", "sum", c->name));
            break;
        }
    }
    return json_pack("{s:[s], s:o, s:[{s:s}]}", "group_by", om->model->columns[g].name,
                     "aggregates", aggs, "order_by", "n", "desc");
}
