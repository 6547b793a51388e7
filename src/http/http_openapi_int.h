/*
 * Private to the OpenAPI generator (http_openapi*.c): the state of one
 * generation and what its files share.
 *
 *   http_openapi.c           the document: component names, tags, assembly
 *   http_openapi_columns.c   a model's columns: which body takes them, their
 *                            value schemas, key schemas, name lists
 *   http_openapi_examples.c  example values, entities, bodies, documents
 *   http_openapi_schemas.c   components/schemas: the shared grammars, the
 *                            DTOs of each model, transactions, health
 *   http_openapi_paths.c     components/parameters, headers and responses;
 *                            the operations of every path
 *
 * Ownership: names and texts live in x->a, the generator's private arena,
 * which dies when the document is done. Every json_t returned is a new
 * reference, handed on with jansson's stealing setters
 * (json_object_set_new, json_array_append_new). One http__oa per call of
 * http_openapi_document; nothing is shared between threads.
 */
#ifndef RETORT_HTTP_OPENAPI_INT_H
#define RETORT_HTTP_OPENAPI_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Handlers build no SQL: Core's API (sql.h) stays out of src/http. Only
 * the types the ORM passes through are visible (forward-declared). */
#ifdef RETORT_SQL_H
#error "src/http must not include sql.h: use the ORM, DTO and query APIs"
#endif

/* A configured model, its mapper (NULL without a registry) and the names
 * of its components and operations. */
typedef struct http__oa_model {
    const orm_mapper *m;
    const cfg_model *model;
    /* component schema names */
    const char *entity, *create, *update, *list, *where, *query, *bulk_result, *bulk_update;
    const char *plural;   /* "Users": resource in CamelCase, for operationIds */
    const char *singular; /* "User": model name, first letter upper case */
} http__oa_model;

/* A named query of the config and its component names. */
typedef struct http__oa_rpc {
    const cfg_query *q;
    const char *camel;        /* "TopCustomers" */
    const char *params, *rows; /* schema names */
} http__oa_rpc;

/* One generation of the document: the components built so far and the
 * names taken. */
typedef struct http__oa {
    arena *a;
    const cfg_config *cfg;
    http__oa_model *models;
    size_t n_models;
    json_t *taken;  /* component names in use (a set) */
    json_t *op_ids; /* operationIds in use (a set) */
    json_t *schemas, *parameters, *responses, *headers;
    http__oa_rpc *rpc; /* the config's named queries */
    size_t n_rpc;
} http__oa;

/* ---- names and references (http_openapi.c) ------------------------------ */

/* {"$ref": "#/components/<section>/<name>"}. */
json_t *http__oa_ref(http__oa *x, const char *section, const char *name);
/* A reference to the schema component name. */
json_t *http__oa_sref(http__oa *x, const char *name);
/* The first of base, base<sep>2, base<sep>3, ... that set does not hold
 * yet; set holds it from now on. Lives in x->a. */
const char *http__oa_unique(http__oa *x, json_t *set, const char *base, const char *sep);
/* "book_genres" -> "BookGenres" (operationIds). Lives in x->a. */
const char *http__oa_camel(http__oa *x, const char *s);

/* ---- columns (http_openapi_columns.c) ----------------------------------- */

/* What a column schema is for. */
typedef enum http__oa_use {
    HTTP__OA_OUT,    /* the entity DTO (responses) */
    HTTP__OA_CREATE, /* a create body */
    HTTP__OA_UPDATE, /* an update body */
    HTTP__OA_FILTER, /* a value in a where document (null means IS NULL) */
    HTTP__OA_PARAM,  /* a query-string or path value: text, never null */
    HTTP__OA_KEY     /* a key value in a result (bulk ids) */
} http__oa_use;

/* Accepted in a create body: neither read-only nor the version column. */
bool http__oa_creatable(const http__oa_model *om, size_t i);
/* Accepted in an update body: and not a key column. */
bool http__oa_updatable(const http__oa_model *om, size_t i);
/* Required on create: NOT NULL without a client default, server default
 * or identity (dto_apply_input). */
bool http__oa_create_required(const http__oa_model *om, size_t i);
/* The schema of column i of om for use. */
json_t *http__oa_column_schema(http__oa *x, const http__oa_model *om, size_t i, http__oa_use use);
/* The schema of a named query's parameter or result column (its declared
 * type, as a column of that type would have). */
json_t *http__oa_type_schema(http__oa *x, const cfg_query_param *p, http__oa_use use);
/* The schema of a key value of om (single key: its column; composite: an
 * array in key-column order). */
json_t *http__oa_key_schema(http__oa *x, const http__oa_model *om);
/* "id, email, name": the columns of om, for descriptions. In x->a. */
const char *http__oa_column_list(http__oa *x, const http__oa_model *om);
/* The relationships of om, likewise ("" when none). In x->a. */
const char *http__oa_relationship_list(http__oa *x, const http__oa_model *om);

/* ---- examples (http_openapi_examples.c) --------------------------------- */

/* A plausible value of column c; variant 0 or 1 gives two different rows. */
json_t *http__oa_column_example(http__oa *x, const cfg_column *c, int variant);
/* An entity as the API returns it: every serialised column. */
json_t *http__oa_entity_example(http__oa *x, const http__oa_model *om, int variant);
/* A create body: the fields a client would send (not generated keys, not
 * columns the database fills). */
json_t *http__oa_create_example(http__oa *x, const http__oa_model *om, int variant);
/* A column to show filters and updates with: one with choices, else a
 * string that is not a key, else the first updatable one; -1 if none. */
int http__oa_sample_column(const http__oa_model *om, bool need_updatable);
/* {"status": {"in": [...]}} or {"email": {"like": "%@example.com"}}. */
json_t *http__oa_where_example(http__oa *x, const http__oa_model *om);
/* A query document: where, order_by, paging, a loader option, count. */
json_t *http__oa_query_example(http__oa *x, const http__oa_model *om);
/* {"group_by": ["status"], "aggregates": {"n": {"count": "*"}, ...}};
 * NULL when the model has nothing worth grouping by. */
json_t *http__oa_aggregate_example(http__oa *x, const http__oa_model *om);

/* ---- components/schemas (http_openapi_schemas.c) ------------------------ */

/* The where grammar in Markdown (the Where schema, the where= parameter). */
extern const char http__oa_where_grammar[];

/* om's entity, Create, Update, List, Where, Query and bulk schemas. */
void http__oa_model_schemas(http__oa *x, const http__oa_model *om);
/* The schemas every document has: problems, lists, the where and query
 * grammars, transactions, health. */
void http__oa_shared_schemas(http__oa *x);

/* ---- components and paths (http_openapi_paths.c) ------------------------ */

/* The parameters, headers and (problem) responses components. */
void http__oa_components(http__oa *x);
/* The operations of om's resource, into paths. */
void http__oa_model_paths(http__oa *x, json_t *paths, const http__oa_model *om);
/* The transaction, health, metrics and documentation operations. */
void http__oa_shared_paths(http__oa *x, json_t *paths);
/* With auth configured: securitySchemes, security requirements, 401/403
 * responses, on the finished document (http_openapi_security.c). */
void http__oa_security(json_t *doc, const cfg_config *cfg);

#endif
