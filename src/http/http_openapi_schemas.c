/*
 * http_openapi_schemas — components/schemas of the OpenAPI document: the
 * shared grammars (problems, list envelopes, where and query documents),
 * the DTOs of each model (entity, Create, Update, List, Where, Query, bulk
 * bodies and results), transaction documents and the health bodies.
 *
 * The schemas say what the handlers accept, no more: Create/Update follow
 * dto_apply_input, the where schema follows query_where.
 */
#include <string.h>

#include "http_openapi_int.h"
#include "isolation.h"

const char http__oa_where_grammar[] =
    "A where document: an object whose keys are ANDed. A key is a field, `and`, `or` or "
    "`not`.\n\n"
    "- `{\"field\": value}`: equality; `{\"field\": null}` is `IS NULL`.\n"
    "- `{\"field\": {\"op\": operand, ...}}` with the operators `eq ne lt le gt ge` (a value), "
    "`like ilike` (a pattern), `in not_in` (an array), `is_null` (true or false), `between` "
    "(an array of two values); several operators in one object are ANDed.\n"
    "- `{\"and\": [where, ...]}`, `{\"or\": [where, ...]}`, `{\"not\": where}`.\n"
    "- On a relationship: `{\"rel\": {\"any\": where}}` (to-many) or `{\"rel\": {\"has\": "
    "where}}` (to-one), a correlated `EXISTS` over the related rows.\n\n"
    "Values are always bound parameters and checked against the field's type; names are "
    "checked against the model (an unknown field, relationship or operator is a 400 with a "
    "pointer to it).";

/* ==== shared schemas ===================================================== */

static json_t *obj_schema(const char *description)
{
    json_t *s = json_object();
    json_object_set_new(s, "type", json_string("object"));
    if (description)
        json_object_set_new(s, "description", json_string(description));
    return s;
}

/* The isolation levels a transaction document may name. */
static json_t *isolation_enum(void)
{
    json_t *e = json_array();
    for (size_t i = 0; i < ISOLATION_N_LEVELS; i++)
        json_array_append_new(e, json_string(ISOLATION_LEVELS[i]));
    return e;
}

static json_t *int_schema(const char *description, int minimum)
{
    json_t *s = json_pack("{s:s}", "type", "integer");
    if (minimum >= 0)
        json_object_set_new(s, "minimum", json_integer(minimum));
    if (description)
        json_object_set_new(s, "description", json_string(description));
    return s;
}

static json_t *string_schema(const char *description)
{
    json_t *s = json_pack("{s:s}", "type", "string");
    if (description)
        json_object_set_new(s, "description", json_string(description));
    return s;
}

static void problem_schemas(http__oa *x)
{
    json_t *item = obj_schema("One located problem.");
    json_object_set_new(item, "required", json_pack("[s]", "detail"));
    json_t *ip = json_object();
    json_object_set_new(
        ip, "pointer",
        json_pack("{s:s, s:s, s:s}", "type", "string", "format", "json-pointer", "description",
                  "JSON Pointer (RFC 6901) into the request body or query document, or the "
                  "query parameter (\"/limit\"); absent when no part of the request is at "
                  "fault."));
    json_object_set_new(ip, "detail", string_schema("What is wrong there, in a sentence."));
    json_object_set_new(item, "properties", ip);
    json_object_set_new(x->schemas, "ProblemItem", item);

    json_t *p = obj_schema("An RFC 9457 problem detail (application/problem+json).");
    json_object_set_new(p, "required", json_pack("[s,s,s]", "type", "title", "status"));
    json_t *pp = json_object();
    json_object_set_new(
        pp, "type",
        json_pack("{s:s, s:s, s:s}", "type", "string", "format", "uri-reference", "description",
                  "The problem type, a slug such as \"unique-violation\", \"validation-error\" "
                  "or \"serialization-failure\"."));
    json_object_set_new(pp, "title", string_schema("Short, lower case, stable per type."));
    json_object_set_new(
        pp, "status",
        json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 400, "maximum", 599));
    json_object_set_new(pp, "detail", string_schema("What happened, in full sentences."));
    json_object_set_new(pp, "errors",
                        json_pack("{s:s, s:s, s:o}", "type", "array", "description",
                                  "Every problem found (validation and query errors).", "items",
                                  http__oa_sref(x, "ProblemItem")));
    json_object_set_new(pp, "sqlstate",
                        json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^[0-9A-Z]{5}$",
                                  "description", "PostgreSQL's SQLSTATE, when it sent one."));
    json_object_set_new(pp, "hint", string_schema("Advice, when there is some."));
    json_object_set_new(
        pp, "constraint",
        string_schema("The violated constraint (a `checks` key for CHECK constraints)."));
    json_object_set_new(pp, "operation",
                        int_schema("Index of the failing operation of a transaction document.", 0));
    json_object_set_new(pp, "request_id", string_schema("The request's X-Request-Id."));
    json_object_set_new(p, "properties", pp);
    json_object_set_new(x->schemas, "Problem", p);
}

static void list_schemas(http__oa *x)
{
    json_t *meta = obj_schema("Paging of a list.");
    json_object_set_new(meta, "required", json_pack("[s,s,s]", "limit", "offset", "count"));
    json_object_set_new(
        meta, "properties",
        json_pack("{s:{s:[s,s], s:i, s:s}, s:o, s:{s:[s,s], s:i, s:s}, s:{s:[s,s], s:s}}",
                  "limit", "type", "integer", "null", "minimum", 0, "description",
                  "The page size; null for limit=all (every row).", "offset",
                  int_schema(NULL, 0), "count", "type", "integer", "null", "minimum", 0,
                  "description",
                  "Rows matching the where, ignoring limit and offset; null unless count was "
                  "asked for.",
                  "next", "type", "string", "null", "description",
                  "Entity lists: the keyset cursor of the next page (pass it as after), null "
                  "on the last page."));
    json_object_set_new(
        meta, "example",
        json_pack("{s:i, s:i, s:n}", "limit", x->cfg->server.default_limit, "offset", 0, "count"));
    json_object_set_new(x->schemas, "ListMeta", meta);

    json_t *row = obj_schema("One row of an aggregate query: its group_by columns and its "
                             "aggregate labels.");
    json_object_set_new(row, "additionalProperties", json_true());
    json_object_set_new(x->schemas, "AggregateRow", row);

    json_t *agg = obj_schema("The rows of an aggregate query (group_by / aggregates).");
    json_object_set_new(agg, "required", json_pack("[s,s]", "data", "meta"));
    json_object_set_new(agg, "properties",
                        json_pack("{s:{s:s, s:o}, s:o}", "data", "type", "array", "items",
                                  http__oa_sref(x, "AggregateRow"), "meta",
                                  http__oa_sref(x, "ListMeta")));
    json_object_set_new(x->schemas, "AggregateList", agg);

    json_t *bu = obj_schema("Result of a bulk update.");
    json_object_set_new(bu, "required", json_pack("[s]", "updated"));
    json_object_set_new(bu, "properties",
                        json_pack("{s:o}", "updated", int_schema("Rows updated.", 0)));
    json_object_set_new(x->schemas, "BulkUpdateResult", bu);

    json_t *bd = obj_schema("Result of a bulk delete.");
    json_object_set_new(bd, "required", json_pack("[s]", "deleted"));
    json_object_set_new(bd, "properties",
                        json_pack("{s:o}", "deleted", int_schema("Rows deleted.", 0)));
    json_object_set_new(x->schemas, "BulkDeleteResult", bd);

    json_t *bw = obj_schema("Result of a bulk_create operation (with on_conflict also the rows "
                            "updated).");
    json_object_set_new(bw, "required", json_pack("[s]", "inserted"));
    json_object_set_new(bw, "properties",
                        json_pack("{s:o, s:o}", "inserted", int_schema("Rows inserted.", 0),
                                  "updated", int_schema("Rows updated (upsert).", 0)));
    json_object_set_new(x->schemas, "BulkWriteResult", bw);
}

static void where_schemas(http__oa *x)
{
    json_t *w = obj_schema(http__oa_where_grammar);
    json_object_set_new(w, "properties",
                        json_pack("{s:{s:s, s:o}, s:{s:s, s:o}, s:o}", "and", "type", "array",
                                  "items", http__oa_sref(x, "Where"), "or", "type", "array",
                                  "items", http__oa_sref(x, "Where"), "not",
                                  http__oa_sref(x, "Where")));
    json_object_set_new(w, "additionalProperties", http__oa_sref(x, "FieldCondition"));
    json_object_set_new(x->schemas, "Where", w);

    json_t *fc = json_object();
    json_object_set_new(
        fc, "description",
        json_string("The condition on one field: a value (equality; null is IS NULL), an object of "
                    "operators, or on a relationship {\"any\": where} / {\"has\": where}."));
    json_object_set_new(fc, "anyOf",
                        json_pack("[{s:[s,s,s,s], s:s}, o, o]", "type", "string", "number",
                                  "boolean", "null", "description", "Equality (null: IS NULL).",
                                  http__oa_sref(x, "Operators"),
                                  http__oa_sref(x, "RelationshipFilter")));
    json_object_set_new(x->schemas, "FieldCondition", fc);

    json_t *ops = obj_schema("Operators on one field, ANDed. Operands are checked against the "
                             "field's type.");
    json_object_set_new(ops, "minProperties", json_integer(1));
    json_object_set_new(ops, "additionalProperties", json_false());
    json_t *op = json_object();
    static const char *const CMP[][2] = {{"eq", "equal"},     {"ne", "not equal"},
                                         {"lt", "less than"}, {"le", "less or equal"},
                                         {"gt", "greater"},   {"ge", "greater or equal"}};
    for (size_t i = 0; i < sizeof CMP / sizeof CMP[0]; i++)
        json_object_set_new(op, CMP[i][0], json_pack("{s:s}", "description", CMP[i][1]));
    json_object_set_new(op, "like", string_schema("SQL LIKE pattern (% and _)."));
    json_object_set_new(op, "ilike", string_schema("Case-insensitive LIKE."));
    json_object_set_new(
        op, "in", json_pack("{s:s, s:s}", "type", "array", "description", "One of these values."));
    json_object_set_new(
        op, "not_in",
        json_pack("{s:s, s:s}", "type", "array", "description", "None of these values."));
    json_object_set_new(op, "is_null",
                        json_pack("{s:s, s:s}", "type", "boolean", "description",
                                  "true: IS NULL; false: IS NOT NULL."));
    json_object_set_new(op, "between",
                        json_pack("{s:s, s:i, s:i, s:s}", "type", "array", "minItems", 2,
                                  "maxItems", 2, "description", "[low, high], both included."));
    json_object_set_new(ops, "properties", op);
    json_object_set_new(x->schemas, "Operators", ops);

    json_t *rf = obj_schema("A condition on related rows: any (to-many) or has (to-one).");
    json_object_set_new(rf, "minProperties", json_integer(1));
    json_object_set_new(rf, "maxProperties", json_integer(1));
    json_object_set_new(rf, "additionalProperties", json_false());
    json_object_set_new(rf, "properties",
                        json_pack("{s:o, s:o}", "any", http__oa_sref(x, "Where"), "has",
                                  http__oa_sref(x, "Where")));
    json_object_set_new(x->schemas, "RelationshipFilter", rf);
}

static void query_parts(http__oa *x)
{
    json_t *dir = json_object();
    json_object_set_new(
        dir, "description",
        json_string("asc or desc, or {\"dir\": ..., \"nulls\": \"first\"|\"last\"}."));
    json_object_set_new(
        dir, "anyOf",
        json_pack("[{s:s, s:[s,s]}, {s:s, s:b, s:{s:{s:s, s:[s,s]}, s:{s:s, s:[s,s]}}}]", "type",
                  "string", "enum", "asc", "desc", "type", "object", "additionalProperties", 0,
                  "properties", "dir", "type", "string", "enum", "asc", "desc", "nulls", "type",
                  "string", "enum", "first", "last"));
    json_object_set_new(x->schemas, "OrderDirection", dir);

    json_t *ob = json_object();
    json_object_set_new(ob, "type", json_string("array"));
    json_object_set_new(
        ob, "description",
        json_string("Sort keys in order: a name (ascending) or an object with one name and its "
                    "direction. Names are columns, or in an aggregate query group_by columns and "
                    "aggregate labels."));
    json_t *item = json_object();
    json_object_set_new(item, "anyOf",
                        json_pack("[{s:s}, {s:s, s:i, s:i, s:o}]", "type", "string", "type",
                                  "object", "minProperties", 1, "maxProperties", 1,
                                  "additionalProperties", http__oa_sref(x, "OrderDirection")));
    json_object_set_new(ob, "items", item);
    json_object_set_new(ob, "examples", json_pack("[[{s:s}, s]]", "created_at", "desc", "id"));
    json_object_set_new(x->schemas, "OrderBy", ob);

    json_t *lo = obj_schema(
        "A loader option, SQLAlchemy's names: its value is a relationship path (dots nest: "
        "\"orders.user\"); raiseload and noload also take \"*\" or \"path.*\". selectinload "
        "runs one extra statement per level, joinedload a LEFT OUTER JOIN in the same "
        "statement, lazyload (selectload) one statement per parent, raiseload makes touching "
        "the relationship a 400, noload leaves it out.");
    json_object_set_new(lo, "minProperties", json_integer(1));
    json_object_set_new(lo, "maxProperties", json_integer(1));
    json_object_set_new(lo, "additionalProperties", json_false());
    json_t *lp = json_object();
    static const char *const LOADS[] = {"selectinload", "joinedload", "lazyload",
                                        "selectload",   "raiseload",  "noload"};
    for (size_t i = 0; i < sizeof LOADS / sizeof LOADS[0]; i++)
        json_object_set_new(lp, LOADS[i], json_pack("{s:s}", "type", "string"));
    json_object_set_new(lo, "properties", lp);
    json_object_set_new(x->schemas, "LoaderOption", lo);

    json_t *ag = obj_schema("One aggregate: a function and its column (count also \"*\").");
    json_object_set_new(ag, "minProperties", json_integer(1));
    json_object_set_new(ag, "maxProperties", json_integer(1));
    json_object_set_new(ag, "additionalProperties", json_false());
    json_t *ap = json_object();
    static const char *const AGGS[] = {"count", "count_distinct", "sum", "avg", "min", "max"};
    for (size_t i = 0; i < sizeof AGGS / sizeof AGGS[0]; i++)
        json_object_set_new(ap, AGGS[i], json_pack("{s:s}", "type", "string"));
    json_object_set_new(ag, "properties", ap);
    json_object_set_new(x->schemas, "Aggregate", ag);
}

/* A query document; om NULL: the generic one (transaction operations). */
static json_t *query_schema(http__oa *x, const http__oa_model *om)
{
    const cfg_server *sv = &x->cfg->server;
    json_t *q = obj_schema(
        om ? arena_sprintf(x->a,
                           "A query document over %s. With group_by or aggregates it returns "
                           "rows (AggregateList) instead of entities.",
                           om->model->table)
           : "A query document, as POST /api/{table}/query takes it; names are checked "
             "against the operation's resource.");
    json_object_set_new(q, "additionalProperties", json_false());
    json_t *p = json_object();
    json_object_set_new(p, "where", http__oa_sref(x, om ? om->where : "Where"));
    json_object_set_new(p, "order_by", http__oa_sref(x, "OrderBy"));
    json_object_set_new(
        p, "limit",
        json_pack("{s:[{s:s, s:i, s:i}, {s:s, s:s}], s:i, s:s}", "anyOf", "type", "integer",
                  "minimum", 0, "maximum", sv->max_limit, "type", "string", "const", "all",
                  "default", sv->default_limit, "description",
                  "The page size, or \"all\" on POST /api/{table}/query: every row, streamed "
                  "(chunked, from a server-side cursor, without relationships)."));
    json_object_set_new(p, "after",
                        json_pack("{s:s, s:i, s:s}", "type", "string", "minLength", 1,
                                  "description",
                                  "The keyset cursor meta.next of the page before; not with "
                                  "offset."));
    json_object_set_new(p, "lock",
                        json_pack("{s:s, s:[s,s], s:s}", "type", "string", "enum", "update",
                                  "share", "description",
                                  "Lock the rows read (FOR UPDATE / FOR SHARE) until the "
                                  "transaction ends."));
    json_object_set_new(p, "nowait",
                        json_pack("{s:s, s:s}", "type", "boolean", "description",
                                  "With lock: fail at once on a locked row."));
    json_object_set_new(p, "skip_locked",
                        json_pack("{s:s, s:s}", "type", "boolean", "description",
                                  "With lock: leave locked rows out."));
    json_object_set_new(
        p, "having",
        json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "type", "object", "description",
                  "Conditions over aggregate labels, as in a where document: {\"n\": {\"gt\": "
                  "10}}.",
                  "propertyNames", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$",
                  "additionalProperties", "type", "object"));
    json_object_set_new(
        p, "offset", json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "default", 0));
    json_t *names = NULL, *cols = NULL;
    if (om) {
        names = json_array();
        cols = json_array();
        for (size_t i = 0; i < om->model->n_columns; i++) {
            json_array_append_new(names, json_string(om->model->columns[i].name));
            json_array_append_new(cols, json_string(om->model->columns[i].name));
        }
        for (size_t r = 0; om->m && r < om->m->n_relationships; r++)
            json_array_append_new(names, json_string(om->m->relationships[r].name));
    }
    json_t *fi = json_pack("{s:s}", "type", "string");
    if (names)
        json_object_set_new(fi, "enum", names);
    json_object_set_new(p, "fields",
                        json_pack("{s:s, s:s, s:o}", "type", "array", "description",
                                  "Only these columns (and these relationships, loaded) in each "
                                  "DTO.",
                                  "items", fi));
    json_object_set_new(
        p, "options",
        json_pack("{s:s, s:o}", "type", "array", "items", http__oa_sref(x, "LoaderOption")));
    json_object_set_new(p, "count",
                        json_pack("{s:s, s:b, s:s}", "type", "boolean", "default", 0, "description",
                                  "Also count the matching rows (meta.count)."));
    json_t *gi = json_pack("{s:s}", "type", "string");
    if (cols)
        json_object_set_new(gi, "enum", cols);
    json_object_set_new(p, "group_by", json_pack("{s:s, s:o}", "type", "array", "items", gi));
    json_object_set_new(
        p, "aggregates",
        json_pack("{s:s, s:s, s:{s:s}, s:o}", "type", "object", "description",
                  "Labels (identifiers) to aggregates, e.g. {\"n\": {\"count\": \"*\"}, "
                  "\"revenue\": {\"sum\": \"total\"}}.",
                  "propertyNames", "pattern", "^[A-Za-z_][A-Za-z0-9_]*$", "additionalProperties",
                  http__oa_sref(x, "Aggregate")));
    json_object_set_new(q, "properties", p);
    return q;
}

/* ==== per-model schemas ================================================== */

/* A relationship as a DTO property: the target's DTO, an array for
 * to-many, nullable for to-one. */
static json_t *relationship_schema(http__oa *x, const orm_relationship *r)
{
    const http__oa_model *t = NULL;
    for (size_t i = 0; i < x->n_models; i++)
        if (x->models[i].m == r->target)
            t = &x->models[i];
    const char *target = t ? t->entity : "AggregateRow";
    const char *d = arena_sprintf(
        x->a,
        "%s relationship to %s, present only when loaded: include=%s, a loader option such as "
        "{\"selectinload\": \"%s\"}, or its default strategy (lazy: %s).",
        cfg_rel_kind_name(r->cfg->kind), r->target ? r->target->name : "?", r->name, r->name,
        cfg_strategy_name(r->cfg->lazy));
    if (r->to_many)
        return json_pack("{s:s, s:s, s:o}", "type", "array", "description", d, "items",
                         http__oa_sref(x, target));
    return json_pack("{s:s, s:[o,{s:s}]}", "description", d, "anyOf", http__oa_sref(x, target),
                     "type", "null");
}

static void entity_schemas(http__oa *x, const http__oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *props = json_object();
    for (size_t i = 0; i < md->n_columns; i++)
        if (!md->columns[i].write_only)
            json_object_set_new(props, md->columns[i].name,
                                http__oa_column_schema(x, om, i, HTTP__OA_OUT));
    for (size_t r = 0; om->m && r < om->m->n_relationships; r++)
        json_object_set_new(props, om->m->relationships[r].name,
                            relationship_schema(x, &om->m->relationships[r]));
    json_t *e = obj_schema(arena_sprintf(
        x->a,
        "%s (table %s) as the API returns it. Every column is present unless fields= limits "
        "them; relationships only when loaded.",
        md->name, md->table));
    json_object_set_new(e, "properties", props);
    json_object_set_new(e, "example", http__oa_entity_example(x, om, 0));
    json_object_set_new(x->schemas, om->entity, e);

    json_t *cp = json_object(), *req = json_array();
    for (size_t i = 0; i < md->n_columns; i++) {
        if (!http__oa_creatable(om, i))
            continue;
        json_object_set_new(cp, md->columns[i].name,
                            http__oa_column_schema(x, om, i, HTTP__OA_CREATE));
        if (http__oa_create_required(om, i))
            json_array_append_new(req, json_string(md->columns[i].name));
    }
    json_t *c = obj_schema(arena_sprintf(
        x->a,
        "Body that creates one %s. Unknown fields, read-only fields and the version column "
        "are refused (422, each named); relationships are written through their own "
        "resources.",
        md->name));
    if (json_array_size(req))
        json_object_set_new(c, "required", req);
    else
        json_decref(req);
    json_object_set_new(c, "properties", cp);
    json_object_set_new(c, "additionalProperties", json_false());
    json_object_set_new(x->schemas, om->create, c);

    json_t *up = json_object();
    for (size_t i = 0; i < md->n_columns; i++)
        if (http__oa_updatable(om, i))
            json_object_set_new(up, md->columns[i].name,
                                http__oa_column_schema(x, om, i, HTTP__OA_UPDATE));
    json_t *u = obj_schema(arena_sprintf(
        x->a,
        "Partial update of one %s: only the fields given change. Key columns, read-only fields "
        "and the version column are refused (422).",
        md->name));
    json_object_set_new(u, "properties", up);
    json_object_set_new(u, "additionalProperties", json_false());
    json_object_set_new(x->schemas, om->update, u);

    json_t *l = obj_schema(arena_sprintf(x->a, "A page of %s.", md->table));
    json_object_set_new(l, "required", json_pack("[s,s]", "data", "meta"));
    json_object_set_new(l, "properties",
                        json_pack("{s:{s:s, s:o}, s:o}", "data", "type", "array", "items",
                                  http__oa_sref(x, om->entity), "meta",
                                  http__oa_sref(x, "ListMeta")));
    json_object_set_new(x->schemas, om->list, l);
}

static void model_where_schema(http__oa *x, const http__oa_model *om)
{
    const cfg_model *md = om->model;
    json_t *w = obj_schema(arena_sprintf(x->a,
                                         "A where document over %s (see Where for the "
                                         "grammar).",
                                         md->table));
    json_t *p = json_object();
    for (size_t i = 0; i < md->n_columns; i++) {
        const char *n = md->columns[i].name;
        if (!strcmp(n, "and") || !strcmp(n, "or") || !strcmp(n, "not"))
            continue;
        json_object_set_new(p, n,
                            json_pack("{s:[o,o]}", "anyOf",
                                      http__oa_column_schema(x, om, i, HTTP__OA_FILTER),
                                      http__oa_sref(x, "Operators")));
    }
    for (size_t r = 0; om->m && r < om->m->n_relationships; r++) {
        const orm_relationship *rel = &om->m->relationships[r];
        if (!strcmp(rel->name, "and") || !strcmp(rel->name, "or") || !strcmp(rel->name, "not"))
            continue;
        const char *target = NULL;
        for (size_t k = 0; k < x->n_models; k++)
            if (x->models[k].m == rel->target)
                target = x->models[k].where;
        const char *kw = rel->to_many ? "any" : "has";
        json_object_set_new(
            p, rel->name,
            json_pack("{s:s, s:s, s:[s], s:b, s:{s:o}}", "type", "object", "description",
                      arena_sprintf(x->a, "Rows with %s related %s matching: EXISTS.",
                                    rel->to_many ? "any" : "a", rel->name),
                      "required", kw, "additionalProperties", 0, "properties", kw,
                      http__oa_sref(x, target ? target : "Where")));
    }
    json_object_set_new(
        p, "and", json_pack("{s:s, s:o}", "type", "array", "items", http__oa_sref(x, om->where)));
    json_object_set_new(
        p, "or", json_pack("{s:s, s:o}", "type", "array", "items", http__oa_sref(x, om->where)));
    json_object_set_new(p, "not", http__oa_sref(x, om->where));
    json_object_set_new(w, "properties", p);
    json_object_set_new(w, "additionalProperties", json_false());
    json_object_set_new(x->schemas, om->where, w);
}

static void bulk_schemas(http__oa *x, const http__oa_model *om)
{
    json_t *r = obj_schema("Result of a bulk insert.");
    json_object_set_new(r, "required", json_pack("[s]", "inserted"));
    json_object_set_new(
        r, "properties",
        json_pack("{s:o, s:o, s:{s:s, s:s, s:o}}", "inserted", int_schema("Rows inserted.", 0),
                  "updated", int_schema("With on_conflict: rows updated.", 0), "ids", "type",
                  "array", "description",
                  "The keys of the inserted rows in input order (with returning=id).", "items",
                  http__oa_key_schema(x, om)));
    json_object_set_new(x->schemas, om->bulk_result, r);

    json_t *u = obj_schema(arena_sprintf(
        x->a,
        "A Core bulk update of %s: SET values WHERE where, in one statement (no identity map). "
        "An empty where is refused.",
        om->model->table));
    json_object_set_new(u, "required", json_pack("[s,s]", "where", "values"));
    json_object_set_new(u, "additionalProperties", json_false());
    json_object_set_new(u, "properties",
                        json_pack("{s:{s:i, s:[o]}, s:{s:i, s:[o]}}", "where", "minProperties", 1,
                                  "allOf", http__oa_sref(x, om->where), "values", "minProperties",
                                  1, "allOf", http__oa_sref(x, om->update)));
    json_object_set_new(x->schemas, om->bulk_update, u);
}

/* ==== transactions and health ============================================ */

static void transaction_schemas(http__oa *x)
{
    json_t *res = json_array();
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(res, json_string(x->models[i].model->table));
    json_t *rs = json_pack("{s:s, s:s}", "type", "string", "description", "A resource (table).");
    if (json_array_size(res))
        json_object_set_new(rs, "enum", res);
    else
        json_decref(res);
    json_object_set_new(x->schemas, "Resource", rs);

    /* patternProperties, not properties: a "$ref" key would read as a
     * reference to tools that resolve them. */
    json_object_set_new(
        x->schemas, "ValueRef",
        json_pack("{s:s, s:s, s:[s], s:b, s:{s:{s:s, s:s}}}", "type", "object", "description",
                  "The field of an earlier operation's result, by its ref: {\"$ref\": "
                  "\"u.id\"}.",
                  "required", "$ref", "additionalProperties", 0, "patternProperties", "^[$]ref$",
                  "type", "string", "pattern", "^[^.]+[.].+$"));
    json_object_set_new(
        x->schemas, "ValueAdd",
        json_pack("{s:s, s:s, s:[s], s:b, s:{s:{s:[s,s]}}}", "type", "object", "description",
                  "Update only, numeric fields: add to the current value (col = col + n).",
                  "required", "$add", "additionalProperties", 0, "properties", "$add", "type",
                  "number", "string"));
    json_t *tv = obj_schema("Field values, validated like the resource's Create or Update "
                            "body; any value may be a ValueRef, and in an update a ValueAdd.");
    json_object_set_new(tv, "additionalProperties",
                        json_pack("{s:[o,o,{s:s}]}", "anyOf", http__oa_sref(x, "ValueRef"),
                                  http__oa_sref(x, "ValueAdd"), "description",
                                  "A value of the field."));
    json_object_set_new(x->schemas, "TransactionValues", tv);

    json_t *tk = json_object();
    json_object_set_new(
        tk, "description",
        json_string("The key of the entity: a value, an array for composite keys, or "
                    "a ValueRef."));
    json_object_set_new(tk, "anyOf",
                        json_pack("[{s:[s,s]}, {s:s, s:{s:[s,s]}}, o]", "type", "string", "integer",
                                  "type", "array", "items", "type", "string", "integer",
                                  http__oa_sref(x, "ValueRef")));
    json_object_set_new(x->schemas, "TransactionKey", tk);

    json_t *oc = obj_schema("Upsert: the conflict target (a unique column set; empty: the "
                            "primary key) and the columns to update, or action nothing.");
    json_object_set_new(oc, "additionalProperties", json_false());
    json_object_set_new(
        oc, "properties",
        json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}, s:{s:s, s:[s]}}", "target", "type",
                  "array", "items", "type", "string", "update", "type", "array", "items", "type",
                  "string", "action", "type", "string", "enum", "nothing"));
    json_object_set_new(x->schemas, "OnConflict", oc);

    static const struct {
        const char *name, *op, *description;
        const char *required[4];
    } OPS[] = {
        {"TransactionCreate",
         "create",
         "Create an entity; its DTO is the result.",
         {"op", "resource", "values", NULL}},
        {"TransactionUpdate",
         "update",
         "Update an entity; its DTO is the result.",
         {"op", "resource", "id", "values"}},
        {"TransactionDelete",
         "delete",
         "Delete an entity; {\"deleted\": true} is the result.",
         {"op", "resource", "id", NULL}},
        {"TransactionQuery",
         "query",
         "Run a query document; the list envelope is the result.",
         {"op", "resource", NULL, NULL}},
        {"TransactionBulkCreate",
         "bulk_create",
         "Insert rows in bulk (with on_conflict: upsert); {\"inserted\": n} (and \"updated\") "
         "is the result. Every bad row is reported under rows/i.",
         {"op", "resource", "rows", NULL}},
        {"TransactionBulkUpdate",
         "bulk_update",
         "Update every row a non-empty where selects; {\"updated\": n} is the result.",
         {"op", "resource", "where", "values"}},
        {"TransactionBulkDelete",
         "bulk_delete",
         "Delete every row a non-empty where selects; {\"deleted\": n} is the result.",
         {"op", "resource", "where", NULL}},
    };
    json_t *one_of = json_array(), *mapping = json_object();
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        json_t *s = obj_schema(OPS[i].description);
        json_t *req = json_array();
        for (size_t k = 0; k < 4 && OPS[i].required[k]; k++)
            json_array_append_new(req, json_string(OPS[i].required[k]));
        json_object_set_new(s, "required", req);
        json_object_set_new(s, "additionalProperties", json_false());
        json_t *p = json_object();
        json_object_set_new(p, "op", json_pack("{s:s, s:s}", "type", "string", "const", OPS[i].op));
        json_object_set_new(p, "resource", http__oa_sref(x, "Resource"));
        json_object_set_new(p, "ref",
                            json_pack("{s:s, s:s, s:s}", "type", "string", "pattern", "^[^.]+$",
                                      "description", "Names this result for later ValueRefs."));
        const char *k = OPS[i].op;
        if (!strcmp(k, "update") || !strcmp(k, "delete"))
            json_object_set_new(p, "id", http__oa_sref(x, "TransactionKey"));
        if (!strcmp(k, "create") || !strcmp(k, "update") || !strcmp(k, "bulk_update"))
            json_object_set_new(p, "values", http__oa_sref(x, "TransactionValues"));
        if (!strcmp(k, "query"))
            json_object_set_new(p, "query", http__oa_sref(x, "QueryDocument"));
        if (!strcmp(k, "create") || !strcmp(k, "bulk_create"))
            json_object_set_new(p, "on_conflict", http__oa_sref(x, "OnConflict"));
        if (!strcmp(k, "bulk_create"))
            json_object_set_new(p, "rows",
                                json_pack("{s:s, s:o}", "type", "array", "items",
                                          http__oa_sref(x, "TransactionValues")));
        if (!strcmp(k, "bulk_update") || !strcmp(k, "bulk_delete"))
            json_object_set_new(p, "where", json_pack("{s:i, s:[o]}", "minProperties", 1, "allOf",
                                                      http__oa_sref(x, "Where")));
        json_object_set_new(s, "properties", p);
        json_object_set_new(x->schemas, OPS[i].name, s);
        json_array_append_new(one_of, http__oa_sref(x, OPS[i].name));
        json_object_set_new(
            mapping, OPS[i].op,
            json_string(arena_sprintf(x->a, "#/components/schemas/%s", OPS[i].name)));
    }
    json_object_set_new(x->schemas, "TransactionOperation",
                        json_pack("{s:o, s:{s:s, s:o}}", "oneOf", one_of, "discriminator",
                                  "propertyName", "op", "mapping", mapping));

    json_t *doc = obj_schema(
        "Several operations in one session and one transaction: later operations see earlier "
        "ones, all commit together or none do. A serialization failure or deadlock replays "
        "the whole document with exponential backoff (session.retry_attempts).");
    json_object_set_new(doc, "required", json_pack("[s]", "operations"));
    json_object_set_new(doc, "additionalProperties", json_false());
    json_object_set_new(doc, "properties",
                        json_pack("{s:{s:s, s:o, s:s}, s:{s:s, s:i, s:o}}", "isolation_level",
                                  "type", "string", "enum", isolation_enum(), "description",
                                  "For this transaction (case-insensitive); default: "
                                  "database.isolation_level.",
                                  "operations", "type", "array", "minItems", 1, "items",
                                  http__oa_sref(x, "TransactionOperation")));
    json_object_set_new(x->schemas, "TransactionDocument", doc);

    json_object_set_new(x->schemas, "DeletedResult",
                        json_pack("{s:s, s:[s], s:{s:{s:s, s:b}}}", "type", "object", "required",
                                  "deleted", "properties", "deleted", "type", "boolean", "const",
                                  1));
    json_t *any = json_array();
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(any, http__oa_sref(x, x->models[i].entity));
    json_array_append_new(any, http__oa_sref(x, "DeletedResult"));
    for (size_t i = 0; i < x->n_models; i++)
        json_array_append_new(any, http__oa_sref(x, x->models[i].list));
    json_array_append_new(any, http__oa_sref(x, "AggregateList"));
    json_array_append_new(any, http__oa_sref(x, "BulkWriteResult"));
    json_array_append_new(any, http__oa_sref(x, "BulkUpdateResult"));
    json_array_append_new(any, http__oa_sref(x, "BulkDeleteResult"));
    json_t *tr = obj_schema("One result per operation, in order: the DTO for create and "
                            "update, {\"deleted\": true} for delete, the list envelope for "
                            "query, the counts for bulk_create, bulk_update and bulk_delete.");
    json_object_set_new(tr, "required", json_pack("[s]", "results"));
    json_object_set_new(
        tr, "properties",
        json_pack("{s:{s:s, s:{s:o}}}", "results", "type", "array", "items", "anyOf", any));
    json_object_set_new(x->schemas, "TransactionResults", tr);
}

static void health_schemas(http__oa *x)
{
    json_object_set_new(x->schemas, "Health",
                        json_pack("{s:s, s:[s, s], s:{s:{s:s, s:s}, s:{s:s, s:s}}}", "type",
                                  "object", "required", "status", "version", "properties",
                                  "status", "type", "string", "const", "ok", "version", "type",
                                  "string", "description", "retort's version, X.Y.Z."));
    json_object_set_new(x->schemas, "Readiness",
                        json_pack("{s:s, s:[s], s:{s:{s:s, s:s}}}", "type", "object", "required",
                                  "status", "properties", "status", "type", "string", "const",
                                  "ready"));
    static const char *const POOL[][2] = {
        {"size", "pool_size: connections kept open."},
        {"checked_in", "Idle open connections."},
        {"checked_out", "Connections in use."},
        {"overflow", "Overflow connections open now (0 to max_overflow)."},
        {"max_overflow", "Most overflow connections allowed."},
        {"waiting", "Requests waiting for a connection."},
        {"timeouts", "Checkouts that gave up after pool_timeout, since start."},
        {"recycled", "Connections closed for age (pool_recycle), since start."},
        {"invalidated", "Connections discarded as broken, since start."},
        {"result_mismatches",
         "Results refused because their row description was not their statement's, since "
         "start."},
    };
    static const char *const FLAGS[][2] = {
        {"behind_pooler", "A connection pooler (PgBouncer) answers for the server: statements "
                          "run unnamed."},
        {"saturated", "Every connection the pool may open is in use and requests queue: busy, "
                      "not down (readiness stays up)."},
    };
    json_t *p = json_object(), *req = json_array();
    for (size_t i = 0; i < sizeof POOL / sizeof POOL[0]; i++) {
        json_object_set_new(p, POOL[i][0], int_schema(POOL[i][1], 0));
        json_array_append_new(req, json_string(POOL[i][0]));
    }
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++) {
        json_object_set_new(p, FLAGS[i][0], json_pack("{s:s, s:s}", "type", "boolean",
                                                      "description", FLAGS[i][1]));
        json_array_append_new(req, json_string(FLAGS[i][0]));
    }
    /* Each read replica (database.replicas): its health, then the same
     * pool members. Present only when replicas are configured. */
    json_t *rp = json_deep_copy(p);
    json_object_set_new(rp, "url", json_pack("{s:s, s:s}", "type", "string", "description",
                                             "The replica's URL, password masked."));
    json_object_set_new(rp, "healthy", json_pack("{s:s, s:s}", "type", "boolean", "description",
                                                 "Takes reads now."));
    json_object_set_new(rp, "reachable", json_pack("{s:s, s:s}", "type", "boolean",
                                                   "description", "Answered in the last 3 s."));
    json_object_set_new(rp, "lag_ms", json_pack("{s:[s, s], s:s}", "type", "integer", "null",
                                                "description", "Replication lag; null when unknown."));
    json_object_set_new(rp, "reads", int_schema("Reads routed to the replica, since start.", 0));
    json_object_set_new(rp, "error", json_pack("{s:s, s:s}", "type", "string", "description",
                                               "The last health check's failure."));
    json_t *replica = obj_schema("A read replica.");
    json_object_set_new(replica, "properties", rp);
    json_object_set_new(p, "replicas", json_pack("{s:s, s:o}", "type", "array", "items", replica));
    json_t *s = obj_schema("Connection pool status.");
    json_object_set_new(s, "required", req);
    json_object_set_new(s, "properties", p);
    json_object_set_new(x->schemas, "PoolStatus", s);
}

/* ==== the schemas of a document ========================================== */

void http__oa_model_schemas(http__oa *x, const http__oa_model *om)
{
    entity_schemas(x, om);
    model_where_schema(x, om);
    json_object_set_new(x->schemas, om->query, query_schema(x, om));
    bulk_schemas(x, om);
}

/* Each named query: its parameters (a POST body; GET takes them as query
 * parameters) and its rows in the list envelope (the declared result
 * columns, when there are). */
static void rpc_schemas(http__oa *x)
{
    for (size_t i = 0; i < x->n_rpc; i++) {
        const cfg_query *q = x->rpc[i].q;
        json_t *ps = obj_schema(arena_sprintf(x->a, "The parameters of the named query %s.",
                                              q->name));
        json_t *props = json_object(), *req = json_array();
        for (size_t k = 0; k < q->n_params; k++) {
            json_object_set_new(props, q->params[k].name,
                                http__oa_type_schema(x, &q->params[k], HTTP__OA_CREATE));
            json_array_append_new(req, json_string(q->params[k].name));
        }
        json_object_set_new(ps, "additionalProperties", json_false());
        json_object_set_new(ps, "required", req);
        json_object_set_new(ps, "properties", props);
        json_object_set_new(x->schemas, x->rpc[i].params, ps);

        json_t *row = obj_schema(arena_sprintf(x->a, "A row of %s.", q->name));
        if (q->n_columns) {
            json_t *cols = json_object();
            for (size_t k = 0; k < q->n_columns; k++)
                json_object_set_new(cols, q->columns[k].name,
                                    http__oa_type_schema(x, &q->columns[k], HTTP__OA_OUT));
            json_object_set_new(row, "properties", cols);
        } else {
            json_object_set_new(row, "additionalProperties", json_true());
        }
        json_t *rows = obj_schema(arena_sprintf(x->a, "The rows of %s.", q->name));
        json_object_set_new(rows, "required", json_pack("[s,s]", "data", "meta"));
        json_object_set_new(rows, "properties",
                            json_pack("{s:{s:s, s:o}, s:o}", "data", "type", "array", "items", row,
                                      "meta", http__oa_sref(x, "ListMeta")));
        json_object_set_new(x->schemas, x->rpc[i].rows, rows);
    }
}

void http__oa_shared_schemas(http__oa *x)
{
    rpc_schemas(x);
    problem_schemas(x);
    list_schemas(x);
    where_schemas(x);
    query_parts(x);
    json_object_set_new(x->schemas, "QueryDocument", query_schema(x, NULL));
    transaction_schemas(x);
    health_schemas(x);
}
