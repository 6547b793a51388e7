/*
 * OpenAPI security (issue 11): with an "auth" section the document gets
 * securitySchemes (bearer JWT, X-API-Key), a top-level security
 * requirement (optional when there is an anonymous role), per-operation
 * security (none for liveness and the docs), and 401/403 problem responses
 * on the operations that need credentials. Swagger UI at /docs turns the
 * schemes into its Authorize button. Without "auth" the document is
 * untouched, so it stays byte-identical to the checked-in copy.
 *
 * A pass over the finished document rather than a change to every
 * operation builder: which routes are public is a fact of the route table
 * (HTTP_ROUTE_PUBLIC), mirrored here by path.
 */
#include <string.h>

#include "http_openapi_int.h"

static bool public_path(const char *path)
{
    return strcmp(path, "/health") == 0 || strcmp(path, "/health/ready") == 0 ||
           strcmp(path, "/openapi.json") == 0 || strncmp(path, "/docs", 5) == 0;
}

static json_t *problem_response(const char *description, bool www_authenticate)
{
    json_t *r = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content",
                          "application/problem+json", "schema", "$ref",
                          "#/components/schemas/Problem");
    if (www_authenticate)
        json_object_set_new(
            r, "headers",
            json_pack("{s:{s:s, s:{s:s}}}", "WWW-Authenticate", "description",
                      "Bearer realm=\"retort\" (with error=\"invalid_token\" when credentials "
                      "were sent).",
                      "schema", "type", "string"));
    return r;
}

static json_t *requirement(const cfg_auth *a, bool optional)
{
    json_t *req = json_array();
    if (a->jwt.enabled || a->n_api_keys)
        json_array_append_new(req, json_pack("{s:[]}", "bearerAuth"));
    if (a->n_api_keys)
        json_array_append_new(req, json_pack("{s:[]}", "apiKeyAuth"));
    if (optional)
        json_array_append_new(req, json_object()); /* {}: anonymous is allowed */
    return req;
}

void http__oa_security(json_t *doc, const cfg_config *cfg)
{
    const cfg_auth *a = &cfg->auth;
    if (!a->enabled)
        return;
    json_t *components = json_object_get(doc, "components");
    json_t *schemes = json_object();
    if (a->jwt.enabled || a->n_api_keys)
        json_object_set_new(
            schemes, "bearerAuth",
            json_pack("{s:s, s:s, s:s, s:s}", "type", "http", "scheme", "bearer", "bearerFormat",
                      a->jwt.enabled ? "JWT" : "API key", "description",
                      a->jwt.enabled && a->n_api_keys
                          ? "A JWT whose role claim names the role, or an API key."
                      : a->jwt.enabled ? "A JWT whose role claim names the role."
                                       : "An API key."));
    if (a->n_api_keys)
        json_object_set_new(schemes, "apiKeyAuth",
                            json_pack("{s:s, s:s, s:s, s:s}", "type", "apiKey", "in", "header",
                                      "name", "X-API-Key", "description", "An API key."));
    json_object_set_new(components, "securitySchemes", schemes);
    json_t *responses = json_object_get(components, "responses");
    json_object_set_new(responses, "Unauthorized",
                        problem_response("Missing or invalid credentials, or an anonymous "
                                         "request its role may not make.",
                                         true));
    json_object_set_new(responses, "Forbidden",
                        problem_response("The role may not perform this operation.", false));
    json_object_set_new(doc, "security", requirement(a, a->anonymous_role != NULL));

    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            if (!json_is_object(op) || !json_object_get(op, "responses"))
                continue;
            if (public_path(path)) {
                json_object_set_new(op, "security", json_array());
                continue;
            }
            json_object_set_new(op, "security", requirement(a, a->anonymous_role != NULL));
            json_t *rs = json_object_get(op, "responses");
            json_object_set_new(rs, "401",
                                json_pack("{s:s}", "$ref", "#/components/responses/Unauthorized"));
            json_object_set_new(rs, "403",
                                json_pack("{s:s}", "$ref", "#/components/responses/Forbidden"));
        }
    }
}
