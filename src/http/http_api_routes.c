/*
 * The REST API's route table (SPEC.md §2): handlers, and what the OpenAPI
 * document says about each (http_openapi_paths.c generates the operations
 * from these rows). Literal segments outrank parameters per method, so
 * POST /api/{resource}/query is the query route while GET
 * /api/{resource}/query reads the entity whose key is "query".
 * "/api/transaction" and "/api/rpc/..." are literal routes; the config
 * refuses a model whose table is named "transaction" or "rpc".
 */
#include "http_int.h"

#define DB HTTP_ROUTE_DB
#define JSON_BODY HTTP_ROUTE_JSON_BODY

const http_route HTTP_API_ROUTES[] = {
    {HTTP_GET, "/api/{resource}", http__api_list, DB, "/api/{resource}",
     {NULL, "list{Plural}", "List {table}",
      "A page of {table}, filtered by equality parameters (one per column) and a where "
      "document, sorted by order_by. Unknown parameters are a 400. Keyset paging: meta.next "
      "(and Link rel=\"next\") is the cursor of the next page, passed back as after=. "
      "limit=all streams every row (chunked, from a server-side cursor, without "
      "relationships). Accept: text/csv gives CSV.",
      HTTP_P400 | HTTP_P406 | HTTP_P422 | HTTP_P_DB}},
    {HTTP_POST, "/api/{resource}", http__api_create_entity, DB | JSON_BODY, "/api/{resource}",
     {NULL, "create{Singular}", "Create one {Name}",
      "Validates the body (every problem listed), inserts the row through the unit of work and "
      "returns the created DTO with the model's default eager relationships. With "
      "on_conflict it is an upsert: 201 inserted, 200 updated (version + 1).",
      HTTP_P_BODY | HTTP_P409 | HTTP_P_DB}},
    {HTTP_GET, "/api/{resource}/{id}", http__api_get_entity, DB, "/api/{resource}/{id}",
     {NULL, "get{Singular}", "Get one {Name} by key",
      "Session.get: the entity with that primary key, with the relationships include= names. "
      "On versioned models If-None-Match with the current ETag is a 304.",
      HTTP_P400 | HTTP_P404 | HTTP_P_DB}},
    {HTTP_PATCH, "/api/{resource}/{id}", http__api_update_entity, DB | JSON_BODY,
     "/api/{resource}/{id}",
     {NULL, "update{Singular}", "Update one {Name}",
      "A partial update through the unit of work: only the given fields change.{if_match}",
      HTTP_P_BODY | HTTP_P404 | HTTP_P409 | HTTP_P412_IF_VERSIONED | HTTP_P_DB}},
    {HTTP_DELETE, "/api/{resource}/{id}", http__api_delete_entity, DB, "/api/{resource}/{id}",
     {NULL, "delete{Singular}", "Delete one {Name}",
      "Deletes the row; rows elsewhere that still reference it make this a 409.",
      HTTP_P400 | HTTP_P404 | HTTP_P409 | HTTP_P412_IF_VERSIONED | HTTP_P_DB}},
    {HTTP_POST, "/api/{resource}/query", http__api_query, DB | JSON_BODY,
     "/api/{resource}/query",
     {NULL, "query{Plural}", "Query {table} with a query document",
      "Entities through the ORM (identity map, loader options), or with group_by / aggregates "
      "rows through Core. \"after\" pages by keyset, \"limit\": \"all\" streams every "
      "row, Accept: text/csv gives CSV.",
      HTTP_P_BODY | HTTP_P406 | HTTP_P_DB}},
    {HTTP_POST, "/api/{resource}/bulk", http__api_bulk_insert, DB | JSON_BODY,
     "/api/{resource}/bulk",
     {NULL, "bulkInsert{Plural}", "Insert {table} in bulk",
      "A Core bulk insert of a JSON array, each row validated like a create body (pointers "
      "/i/field, every bad row listed; a unique violation points at the row); batched, one "
      "round trip per batch, all rows or none. With on_conflict it is an upsert.",
      HTTP_P_BODY | HTTP_P409 | HTTP_P_DB}},
    {HTTP_PATCH, "/api/{resource}", http__api_bulk_update, DB | JSON_BODY, "/api/{resource}",
     {NULL, "bulkUpdate{Plural}", "Update {table} in bulk",
      "A Core UPDATE of every row matching where (no identity map, no per-row validation "
      "beyond the values' types). An empty where is refused; the version column, when there "
      "is one, is incremented.",
      HTTP_P_BODY | HTTP_P409 | HTTP_P_DB}},
    {HTTP_POST, "/api/transaction", http__api_transaction, DB | JSON_BODY, "/api/transaction",
     {"transactions", "runTransaction", "Run operations in one transaction",
      "All operations share one session and one transaction; all commit together or none do. "
      "A failure names the failing operation (operation, pointers under /operations/i/). "
      "Serialization failures and deadlocks are replayed with backoff; when the retries run "
      "out: 409 serialization-failure with Retry-After.",
      HTTP_P_BODY | HTTP_P404 | HTTP_P409 | HTTP_P_DB}},
    {HTTP_DELETE, "/api/{resource}", http__api_bulk_delete, DB | HTTP_ROUTE_JSON_BODY_OPTIONAL,
     "/api/{resource}",
     {NULL, "bulkDelete{Plural}", "Delete {table} by a where document",
      "Deletes every row a required, non-empty where document selects (query parameter or "
      "body), in one statement. Rows elsewhere that still reference them make this a 409.",
      HTTP_P_BODY | HTTP_P409 | HTTP_P_DB}},
    /* One operation per named query of the config ({name}): its
     * parameters and result columns come from the query. */
    {HTTP_POST, "/api/rpc/{name}", http__api_rpc, DB | HTTP_ROUTE_JSON_BODY_OPTIONAL,
     "/api/rpc/{name}",
     {"rpc", "call{Name}", "Run the named query {table}",
      "A named SQL query of the config with a JSON object of typed parameters (every value "
      "bound); rows in the list envelope. Read-only queries run in a READ ONLY transaction "
      "and also answer Accept: text/csv.",
      HTTP_P_BODY | HTTP_P404 | HTTP_P406 | HTTP_P409 | HTTP_P_DB}},
    {HTTP_GET, "/api/rpc/{name}", http__api_rpc, DB, "/api/rpc/{name}",
     {"rpc", "get{Name}", "Run the read-only named query {table}",
      "The read-only named query with its parameters as query parameters; rows in the list "
      "envelope, or CSV with Accept: text/csv.",
      HTTP_P400 | HTTP_P404 | HTTP_P406 | HTTP_P422 | HTTP_P_DB}},
};
const size_t HTTP_N_API_ROUTES = sizeof HTTP_API_ROUTES / sizeof HTTP_API_ROUTES[0];
