/*
 * The REST API's route table (SPEC.md §2). Literal segments outrank
 * parameters per method, so POST /api/{resource}/query is the query route
 * while GET /api/{resource}/query reads the entity whose key is "query".
 * "/api/transaction" is a literal route; the config refuses a model whose
 * table is named "transaction".
 */
#include "http_int.h"

#define DB HTTP_ROUTE_DB
#define JSON_BODY HTTP_ROUTE_JSON_BODY

const http_route HTTP_API_ROUTES[] = {
    {HTTP_GET, "/api/{resource}", http__api_list, DB, "/api/{resource}"},
    {HTTP_POST, "/api/{resource}", http__api_create_entity, DB | JSON_BODY, "/api/{resource}"},
    {HTTP_GET, "/api/{resource}/{id}", http__api_get_entity, DB, "/api/{resource}/{id}"},
    {HTTP_PATCH, "/api/{resource}/{id}", http__api_update_entity, DB | JSON_BODY,
     "/api/{resource}/{id}"},
    {HTTP_DELETE, "/api/{resource}/{id}", http__api_delete_entity, DB, "/api/{resource}/{id}"},
    {HTTP_POST, "/api/{resource}/query", http__api_query, DB | JSON_BODY,
     "/api/{resource}/query"},
    {HTTP_POST, "/api/{resource}/bulk", http__api_bulk_insert, DB | JSON_BODY,
     "/api/{resource}/bulk"},
    {HTTP_PATCH, "/api/{resource}", http__api_bulk_update, DB | JSON_BODY, "/api/{resource}"},
    {HTTP_POST, "/api/transaction", http__api_transaction, DB | JSON_BODY, "/api/transaction"},
};
const size_t HTTP_N_API_ROUTES = sizeof HTTP_API_ROUTES / sizeof HTTP_API_ROUTES[0];
