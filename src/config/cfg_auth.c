/*
 * cfg_auth — the security settings: the "auth" section (JWT, API keys,
 * anonymous and admin roles, database roles, tenancy), "server.cors", and
 * each model's "permissions". Everything is checked here except what needs
 * the query layer (a permission's row filter is compiled against its model
 * when the server starts) and what needs the environment at serve time
 * (the JWT secret and key files are read by the auth layer).
 *
 * Secrets never live in the file: HS256 takes secret_env (a variable's
 * name) or secret_file; API keys are stored as the SHA-256 hex of the key.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "strbuf.h"

static const char *const AUTH_KEYS[] = {"jwt",           "api_keys",      "anonymous_role",
                                        "admin_roles",   "database_role", "tenancy",
                                        NULL};
static const char *const JWT_KEYS[] = {"algorithms", "secret_env", "secret_file",
                                       "public_key_file", "jwks_file", "audience",
                                       "issuer",     "leeway_s",   "role_claim",
                                       NULL};
static const char *const API_KEY_KEYS[] = {"sha256", "role", NULL};
static const char *const TENANCY_KEYS[] = {"claim", "header", "trusted_roles", "schemas", NULL};
static const char *const CORS_KEYS[] = {"origins", "methods", "headers", "max_age_s",
                                        "credentials", NULL};
static const char *const PERMISSION_KEYS[] = {"operations", "read", "write", "rows", NULL};

static const struct {
    const char *name;
    cfg_jwt_alg alg;
} ALGORITHMS[] = {{"HS256", CFG_JWT_HS256}, {"RS256", CFG_JWT_RS256}, {"ES256", CFG_JWT_ES256}};

static const struct {
    const char *name;
    cfg_operation op;
} OPERATIONS[] = {
    {"list", CFG_OP_LIST},
    {"get", CFG_OP_GET},
    {"query", CFG_OP_QUERY},
    {"aggregate", CFG_OP_AGGREGATE},
    {"create", CFG_OP_CREATE},
    {"update", CFG_OP_UPDATE},
    {"delete", CFG_OP_DELETE},
    {"bulk_insert", CFG_OP_BULK_INSERT},
    {"bulk_update", CFG_OP_BULK_UPDATE},
    {"bulk_delete", CFG_OP_BULK_DELETE},
    {"upsert", CFG_OP_UPSERT},
    {"rpc", CFG_OP_RPC},
};
enum { N_OPERATIONS = sizeof OPERATIONS / sizeof OPERATIONS[0] };

static const char *const DEFAULT_CORS_METHODS = "GET, POST, PATCH, DELETE";
static const char *const DEFAULT_CORS_HEADERS =
    "Authorization, Content-Type, X-API-Key, If-Match, X-Request-Id";

const char *cfg_operation_name(cfg_operation op)
{
    for (size_t i = 0; i < N_OPERATIONS; i++)
        if (OPERATIONS[i].op == op)
            return OPERATIONS[i].name;
    return NULL;
}

/* ---- small readers ------------------------------------------------------- */

/* An array of non-empty strings at obj[key] (absent: true, *out untouched).
 * Duplicates are refused. Strings live in ctx->a. */
static bool get_strings(cfg__ctx *ctx, const json_t *obj, const char *ptr, const char *key,
                        bool allow_empty, const char *const **out /* OUT */,
                        size_t *n_out /* OUT */)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    const char *vptr = cfg__ptr(ctx, ptr, key);
    if (!json_is_array(v)) {
        cfg__error(ctx, vptr, "\"%s\" must be an array of strings, got %s", key,
                   jsonkind_name(v));
        return false;
    }
    size_t n = json_array_size(v);
    if (n == 0 && !allow_empty) {
        cfg__error(ctx, vptr, "\"%s\" must list at least one value", key);
        return false;
    }
    const char **list = ARENA_ARRAY(ctx->a, const char *, n + 1);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        const char *iptr = cfg__ptr_index(ctx, vptr, i);
        if (!json_is_string(item) || json_string_length(item) == 0) {
            cfg__error(ctx, iptr, "an item of \"%s\" must be a non-empty string, got %s", key,
                       jsonkind_name(item));
            ok = false;
            continue;
        }
        list[i] = arena_strdup(ctx->a, json_string_value(item));
        for (size_t j = 0; j < i; j++)
            if (list[j] && strcmp(list[j], list[i]) == 0) {
                cfg__error(ctx, iptr, "\"%s\" is listed twice", list[i]);
                ok = false;
            }
    }
    if (ok) {
        *out = list;
        *n_out = n;
    }
    return ok;
}

/* "A, B, C" of a list; ctx->a. */
static const char *joined(cfg__ctx *ctx, const char *const *list, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 2;
    char *s = arena_alloc(ctx->a, len);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, list[i]);
    }
    return s;
}

static bool is_env_name(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* ---- auth.jwt ------------------------------------------------------------ */

static void parse_jwt(cfg__ctx *ctx, const json_t *jwt, const char *ptr)
{
    cfg_jwt *j = &ctx->cfg->auth.jwt;
    if (!json_is_object(jwt)) {
        cfg__error(ctx, ptr, "\"jwt\" must be an object, got %s", jsonkind_name(jwt));
        return;
    }
    cfg__check_keys(ctx, jwt, ptr, JWT_KEYS);
    j->enabled = true;
    cfg__get_string(ctx, jwt, ptr, "secret_env", &j->secret_env);
    cfg__get_string(ctx, jwt, ptr, "secret_file", &j->secret_file);
    cfg__get_string(ctx, jwt, ptr, "public_key_file", &j->public_key_file);
    cfg__get_string(ctx, jwt, ptr, "jwks_file", &j->jwks_file);
    cfg__get_string(ctx, jwt, ptr, "audience", &j->audience);
    cfg__get_string(ctx, jwt, ptr, "issuer", &j->issuer);
    cfg__get_int(ctx, jwt, ptr, "leeway_s", 0, 3600, &j->leeway_s);
    cfg__get_string(ctx, jwt, ptr, "role_claim", &j->role_claim);

    if (j->secret_env && !is_env_name(j->secret_env))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "secret_env"),
                   "\"secret_env\" must name an environment variable (letters, digits, "
                   "underscores), got \"%s\"",
                   j->secret_env);
    if (j->secret_env && j->secret_file)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "secret_file"),
                   "give either \"secret_env\" or \"secret_file\", not both");

    bool has_secret = j->secret_env || j->secret_file;
    bool has_public = j->public_key_file || j->jwks_file;
    const char *const *names = NULL;
    size_t n = 0;
    const char *aptr = cfg__ptr(ctx, ptr, "algorithms");
    if (!json_object_get(jwt, "algorithms")) {
        /* The keys given say which algorithms can be verified. */
        j->algorithms = (has_secret ? CFG_JWT_HS256 : 0u) |
                        (has_public ? (unsigned) (CFG_JWT_RS256 | CFG_JWT_ES256) : 0u);
        if (!j->algorithms)
            cfg__error(ctx, ptr,
                       "\"jwt\" needs a key: \"secret_env\" or \"secret_file\" (HS256), "
                       "\"public_key_file\" or \"jwks_file\" (RS256, ES256)");
        return;
    }
    if (!get_strings(ctx, jwt, ptr, "algorithms", false, &names, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < sizeof ALGORITHMS / sizeof ALGORITHMS[0] &&
               strcmp(ALGORITHMS[k].name, names[i]) != 0)
            k++;
        if (k == sizeof ALGORITHMS / sizeof ALGORITHMS[0]) {
            cfg__error(ctx, cfg__ptr_index(ctx, aptr, i),
                       "unknown algorithm \"%s\"; expected HS256, RS256 or ES256", names[i]);
            continue;
        }
        j->algorithms |= ALGORITHMS[k].alg;
    }
    if ((j->algorithms & CFG_JWT_HS256) && !has_secret)
        cfg__error(ctx, aptr, "HS256 needs \"secret_env\" or \"secret_file\"");
    if ((j->algorithms & (CFG_JWT_RS256 | CFG_JWT_ES256)) && !has_public)
        cfg__error(ctx, aptr, "RS256 and ES256 need \"public_key_file\" or \"jwks_file\"");
}

/* ---- auth.api_keys ------------------------------------------------------- */

static void parse_api_keys(cfg__ctx *ctx, const json_t *keys, const char *ptr)
{
    cfg_auth *auth = &ctx->cfg->auth;
    if (!json_is_object(keys)) {
        cfg__error(ctx, ptr, "\"api_keys\" must be an object of name: {sha256, role}, got %s",
                   jsonkind_name(keys));
        return;
    }
    auth->api_keys = ARENA_ARRAY(ctx->a, cfg_api_key, json_object_size(keys) + 1);
    const char *name;
    json_t *spec;
    json_object_foreach((json_t *) keys, name, spec)
    {
        const char *kptr = cfg__ptr(ctx, ptr, name);
        if (!json_is_object(spec)) {
            cfg__error(ctx, kptr, "API key \"%s\" must be an object, got %s", name,
                       jsonkind_name(spec));
            continue;
        }
        cfg__check_keys(ctx, spec, kptr, API_KEY_KEYS);
        cfg_api_key k = {.name = arena_strdup(ctx->a, name)};
        const char *hex = NULL;
        bool ok = cfg__get_string(ctx, spec, kptr, "sha256", &hex) &&
                  cfg__get_string(ctx, spec, kptr, "role", &k.role);
        if (!ok)
            continue;
        if (!hex || !k.role) {
            cfg__error(ctx, kptr, "API key \"%s\" needs \"sha256\" (the key's SHA-256 in hex) "
                       "and \"role\"", name);
            continue;
        }
        bool hex_ok = strlen(hex) == 64;
        for (size_t i = 0; hex_ok && i < 32; i++) {
            int hi = sbuf_hex_digit(hex[2 * i]), lo = sbuf_hex_digit(hex[2 * i + 1]);
            hex_ok = hi >= 0 && lo >= 0;
            k.sha256[i] = (unsigned char) (hi << 4 | lo);
        }
        if (!hex_ok) {
            cfg__error(ctx, cfg__ptr(ctx, kptr, "sha256"),
                       "\"sha256\" must be 64 hexadecimal digits (e.g. the output of "
                       "`printf %%s KEY | sha256sum`)");
            continue;
        }
        auth->api_keys[auth->n_api_keys++] = k;
    }
}

/* ---- auth.tenancy -------------------------------------------------------- */

static void parse_tenancy(cfg__ctx *ctx, const json_t *t, const char *ptr)
{
    cfg_tenancy *ten = &ctx->cfg->auth.tenancy;
    if (!json_is_object(t)) {
        cfg__error(ctx, ptr, "\"tenancy\" must be an object, got %s", jsonkind_name(t));
        return;
    }
    cfg__check_keys(ctx, t, ptr, TENANCY_KEYS);
    ten->enabled = true;
    cfg__get_string(ctx, t, ptr, "claim", &ten->claim);
    cfg__get_string(ctx, t, ptr, "header", &ten->header);
    get_strings(ctx, t, ptr, "trusted_roles", false, &ten->trusted_roles, &ten->n_trusted_roles);
    if (!ten->claim && !ten->header)
        cfg__error(ctx, ptr, "\"tenancy\" needs a \"claim\" or a \"header\" naming the tenant");
    if (ten->header && !ten->trusted_roles)
        cfg__error(ctx, cfg__ptr(ctx, ptr, "header"),
                   "a tenant \"header\" needs \"trusted_roles\": the roles allowed to choose "
                   "their tenant");
    const json_t *schemas = json_object_get(t, "schemas");
    const char *sptr = cfg__ptr(ctx, ptr, "schemas");
    if (!schemas || !json_is_object(schemas) || json_object_size(schemas) == 0) {
        cfg__error(ctx, sptr, "\"schemas\" must be an object of tenant: schema, with at least "
                   "one tenant");
        return;
    }
    ten->tenants = ARENA_ARRAY(ctx->a, cfg_tenant, json_object_size(schemas));
    const char *name;
    json_t *schema;
    json_object_foreach((json_t *) schemas, name, schema)
    {
        const char *s = NULL;
        if (!cfg__get_identifier(ctx, schemas, sptr, name, &s))
            continue;
        ten->tenants[ten->n_tenants++] = (cfg_tenant){arena_strdup(ctx->a, name), s};
    }
}

/* ---- auth ---------------------------------------------------------------- */

void cfg__parse_auth(cfg__ctx *ctx, const json_t *root)
{
    const json_t *auth = json_object_get(root, "auth");
    if (!auth)
        return;
    cfg_auth *a = &ctx->cfg->auth;
    if (!json_is_object(auth)) {
        cfg__error(ctx, "/auth", "\"auth\" must be an object, got %s", jsonkind_name(auth));
        return;
    }
    cfg__check_keys(ctx, auth, "/auth", AUTH_KEYS);
    a->enabled = true;
    a->jwt.role_claim = "role";
    a->jwt.leeway_s = 30;
    const json_t *v;
    if ((v = json_object_get(auth, "jwt")))
        parse_jwt(ctx, v, "/auth/jwt");
    if ((v = json_object_get(auth, "api_keys")))
        parse_api_keys(ctx, v, "/auth/api_keys");
    if ((v = json_object_get(auth, "anonymous_role")) && !json_is_null(v))
        cfg__get_string(ctx, auth, "/auth", "anonymous_role", &a->anonymous_role);
    get_strings(ctx, auth, "/auth", "admin_roles", true, &a->admin_roles, &a->n_admin_roles);
    cfg__get_bool(ctx, auth, "/auth", "database_role", &a->database_role);
    if ((v = json_object_get(auth, "tenancy")))
        parse_tenancy(ctx, v, "/auth/tenancy");
    if (!a->jwt.enabled && !json_object_get(auth, "api_keys") && !a->anonymous_role)
        cfg__error(ctx, "/auth",
                   "\"auth\" lets nobody in: configure \"jwt\", \"api_keys\" or an "
                   "\"anonymous_role\"");
}

/* ---- server.cors --------------------------------------------------------- */

void cfg__parse_cors(cfg__ctx *ctx, const json_t *cors, const char *ptr)
{
    cfg_cors *c = &ctx->cfg->server.cors;
    if (!json_is_object(cors)) {
        cfg__error(ctx, ptr, "\"cors\" must be an object, got %s", jsonkind_name(cors));
        return;
    }
    cfg__check_keys(ctx, cors, ptr, CORS_KEYS);
    c->enabled = true;
    c->max_age_s = 600;
    c->methods = DEFAULT_CORS_METHODS;
    c->headers = DEFAULT_CORS_HEADERS;
    if (!json_object_get(cors, "origins"))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "origins"),
                   "\"cors\" needs \"origins\": the origins allowed, or [\"*\"]");
    get_strings(ctx, cors, ptr, "origins", false, &c->origins, &c->n_origins);
    const char *const *list = NULL;
    size_t n = 0;
    if (get_strings(ctx, cors, ptr, "methods", false, &list, &n) && list) {
        static const char *const METHODS[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"};
        for (size_t i = 0; i < n; i++) {
            bool known = false;
            for (size_t k = 0; k < sizeof METHODS / sizeof METHODS[0]; k++)
                known |= strcmp(METHODS[k], list[i]) == 0;
            if (!known)
                cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "methods"), i),
                           "unknown method \"%s\"", list[i]);
        }
        c->methods = joined(ctx, list, n);
    }
    list = NULL;
    if (get_strings(ctx, cors, ptr, "headers", true, &list, &n) && list) {
        for (size_t i = 0; i < n; i++)
            if (strspn(list[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                strlen(list[i]))
                cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "headers"), i),
                           "\"%s\" is not a header name", list[i]);
        c->headers = joined(ctx, list, n);
    }
    cfg__get_int(ctx, cors, ptr, "max_age_s", 0, 86400, &c->max_age_s);
    cfg__get_bool(ctx, cors, ptr, "credentials", &c->credentials);
    for (size_t i = 0; i < c->n_origins; i++)
        if (strcmp(c->origins[i], "*") == 0 && (c->n_origins > 1 || c->credentials))
            cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, "origins"), i),
                       "\"*\" must be the only origin, and excludes \"credentials\": true");
}

/* ---- models' permissions ------------------------------------------------- */

/* "*" or a list of the model's column names; NULL list = every column. */
static void parse_columns_list(cfg__ctx *ctx, const cfg_model *m, const json_t *spec,
                               const char *ptr, const char *key, const char *const **out,
                               size_t *n_out)
{
    const json_t *v = json_object_get(spec, key);
    if (!v || (json_is_string(v) && strcmp(json_string_value(v), "*") == 0))
        return;
    if (!json_is_array(v)) {
        cfg__error(ctx, cfg__ptr(ctx, ptr, key), "\"%s\" must be \"*\" or an array of columns",
                   key);
        return;
    }
    const char *const *list = NULL;
    size_t n = 0;
    if (!get_strings(ctx, spec, ptr, key, true, &list, &n))
        return;
    for (size_t i = 0; i < n; i++)
        if (!cfg_column_by_name(m, list[i]))
            cfg__error(ctx, cfg__ptr_index(ctx, cfg__ptr(ctx, ptr, key), i),
                       "\"%s\" is not a column of \"%s\"", list[i], m->name);
    *out = list;
    *n_out = n;
}

static void parse_permission(cfg__ctx *ctx, const cfg_model *m, cfg_permission *p,
                             const json_t *spec, const char *ptr)
{
    cfg__check_keys(ctx, spec, ptr, PERMISSION_KEYS);
    const json_t *ops = json_object_get(spec, "operations");
    const char *optr = cfg__ptr(ctx, ptr, "operations");
    if (json_is_string(ops) && strcmp(json_string_value(ops), "*") == 0) {
        p->operations = ~0u;
    } else if (!json_is_array(ops)) {
        cfg__error(ctx, optr, "\"operations\" must be \"*\" or an array of: list, get, query, "
                   "aggregate, create, update, delete, bulk_insert, bulk_update, bulk_delete, "
                   "upsert, rpc");
    } else {
        for (size_t i = 0; i < json_array_size(ops); i++) {
            const char *name = json_string_value(json_array_get(ops, i));
            size_t k = 0;
            while (name && k < N_OPERATIONS && strcmp(OPERATIONS[k].name, name) != 0)
                k++;
            if (!name || k == N_OPERATIONS)
                cfg__error(ctx, cfg__ptr_index(ctx, optr, i),
                           "unknown operation %s%s%s; expected list, get, query, aggregate, "
                           "create, update, delete, bulk_insert, bulk_update, bulk_delete, "
                           "upsert or rpc",
                           name ? "\"" : "", name ? name : "(not a string)", name ? "\"" : "");
            else
                p->operations |= OPERATIONS[k].op;
        }
    }
    parse_columns_list(ctx, m, spec, ptr, "read", &p->read, &p->n_read);
    parse_columns_list(ctx, m, spec, ptr, "write", &p->write, &p->n_write);
    const json_t *rows = json_object_get(spec, "rows");
    if (rows && !json_is_object(rows))
        cfg__error(ctx, cfg__ptr(ctx, ptr, "rows"),
                   "\"rows\" must be a where document (an object), got %s", jsonkind_name(rows));
    else if (rows && json_object_size(rows) > 0) {
        char *text = json_dumps(rows, JSON_COMPACT);
        if (!text)
            abort(); /* jansson fails only when out of memory */
        p->rows_json = arena_strdup(ctx->a, text);
        free(text);
    }
}

void cfg__parse_permissions(cfg__ctx *ctx, cfg_model *m, const json_t *spec, const char *ptr)
{
    const json_t *perms = json_object_get(spec, "permissions");
    if (!perms)
        return;
    const char *pptr = cfg__ptr(ctx, ptr, "permissions");
    if (!json_is_object(perms)) {
        cfg__error(ctx, pptr, "\"permissions\" must be an object of role: permission, got %s",
                   jsonkind_name(perms));
        return;
    }
    m->permissions = ARENA_ARRAY(ctx->a, cfg_permission, json_object_size(perms) + 1);
    const char *role;
    json_t *p;
    json_object_foreach((json_t *) perms, role, p)
    {
        const char *rptr = cfg__ptr(ctx, pptr, role);
        if (!json_is_object(p)) {
            cfg__error(ctx, rptr, "the permission of \"%s\" must be an object, got %s", role,
                       jsonkind_name(p));
            continue;
        }
        cfg_permission *perm = &m->permissions[m->n_permissions++];
        perm->role = arena_strdup(ctx->a, role);
        parse_permission(ctx, m, perm, p, rptr);
    }
}

void cfg__check_auth(cfg__ctx *ctx)
{
    const cfg_config *c = ctx->cfg;
    if (c->auth.enabled)
        return;
    for (size_t i = 0; i < c->n_models; i++)
        if (c->models[i].n_permissions > 0)
            cfg__error(ctx, cfg__ptr(ctx, cfg__model_ptr(ctx, &c->models[i]), "permissions"),
                       "\"permissions\" need an \"auth\" section that says who the roles are");
}

/* ---- lookups ------------------------------------------------------------- */

const cfg_permission *cfg_permission_for(const cfg_model *m, const char *role)
{
    for (size_t i = 0; role && i < m->n_permissions; i++)
        if (strcmp(m->permissions[i].role, role) == 0)
            return &m->permissions[i];
    return NULL;
}

bool cfg_is_admin_role(const cfg_config *c, const char *role)
{
    for (size_t i = 0; role && i < c->auth.n_admin_roles; i++)
        if (strcmp(c->auth.admin_roles[i], role) == 0)
            return true;
    return false;
}

const char *cfg_tenant_schema(const cfg_config *c, const char *tenant)
{
    for (size_t i = 0; tenant && i < c->auth.tenancy.n_tenants; i++)
        if (strcmp(c->auth.tenancy.tenants[i].name, tenant) == 0)
            return c->auth.tenancy.tenants[i].schema;
    return NULL;
}
