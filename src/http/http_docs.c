/*
 * GET /openapi.json, GET /docs and GET /docs/{file}: the OpenAPI document
 * built once at start-up (http_app.openapi_json) and a page that renders
 * it with Swagger UI, whose files (npm's swagger-ui-dist, installed by
 * scripts/docs-assets) are read from a local directory, so the page works
 * with no internet access.
 *
 * These routes run on the I/O thread: they never touch the database. The
 * document is served from the app's process-lifetime text without a
 * copy; an asset is read into the request's arena (once: the reply points
 * at it).
 *
 * Asset names are one path segment of letters, digits, '.', '-' and '_',
 * never starting with '.', with a known extension: no traversal out of the
 * directory, no hidden files, no guessing of content types.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_int.h"
#include "log.h"

enum { DOCS_MAX_NAME = 128, DOCS_MAX_FILE = 32 * 1024 * 1024 };

/* The page. Relative URLs, so it also works behind a proxy that mounts
 * retort under a prefix: from /docs, "docs/x" is /docs/x and
 * "openapi.json" is /openapi.json. validatorUrl null keeps Swagger UI from
 * calling its online validator. Without the Swagger UI files the page
 * still lists the operations, and says how to install them. */
static const char DOCS_PAGE[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>retort API</title>\n"
    "<link rel=\"stylesheet\" href=\"docs/swagger-ui.css\">\n"
    "<link rel=\"icon\" type=\"image/png\" href=\"docs/favicon-32x32.png\" sizes=\"32x32\">\n"
    "<style>body{margin:0}#retort-fallback{font-family:sans-serif;margin:2em}</style>\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"swagger-ui\"></div>\n"
    "<div id=\"retort-fallback\" hidden>\n"
    "<h1>retort API</h1>\n"
    "<p>Swagger UI's files are not installed on this server (run scripts/docs-assets, or set "
    "server.docs_dir). The OpenAPI document is at <a href=\"openapi.json\">openapi.json</a>.</p>\n"
    "<ul id=\"retort-operations\"></ul>\n"
    "</div>\n"
    "<script src=\"docs/swagger-ui-bundle.js\"></script>\n"
    "<script src=\"docs/swagger-ui-standalone-preset.js\"></script>\n"
    "<script>\n"
    "(function () {\n"
    "  if (typeof SwaggerUIBundle === \"function\") {\n"
    "    window.ui = SwaggerUIBundle({\n"
    "      url: \"openapi.json\",\n"
    "      dom_id: \"#swagger-ui\",\n"
    "      deepLinking: true,\n"
    "      validatorUrl: null,\n"
    "      presets: [SwaggerUIBundle.presets.apis].concat(\n"
    "        typeof SwaggerUIStandalonePreset === \"undefined\" ? [] : "
    "[SwaggerUIStandalonePreset]),\n"
    "      plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n"
    "      layout: typeof SwaggerUIStandalonePreset === \"undefined\" ? \"BaseLayout\"\n"
    "                                                              : \"StandaloneLayout\"\n"
    "    });\n"
    "    return;\n"
    "  }\n"
    "  var box = document.getElementById(\"retort-fallback\");\n"
    "  box.hidden = false;\n"
    "  fetch(\"openapi.json\").then(function (r) { return r.json(); }).then(function (doc) {\n"
    "    var list = document.getElementById(\"retort-operations\");\n"
    "    Object.keys(doc.paths || {}).forEach(function (path) {\n"
    "      Object.keys(doc.paths[path]).forEach(function (method) {\n"
    "        var li = document.createElement(\"li\");\n"
    "        li.textContent = method.toUpperCase() + \" \" + path + \" \\u2014 \" +\n"
    "                         (doc.paths[path][method].summary || \"\");\n"
    "        list.appendChild(li);\n"
    "      });\n"
    "    });\n"
    "  });\n"
    "})();\n"
    "</script>\n"
    "</body>\n"
    "</html>\n";

/* Points the reply at a body that outlives the request (no copy). */
static void reply_static(http_request *req, int status, const char *content_type, const char *body,
                         size_t len)
{
    req->status = status;
    req->content_type = content_type;
    req->resp_body = body;
    req->resp_len = len;
    req->replied = true;
}

static void not_found(http_request *req, const char *detail)
{
    err_report err;
    err_init(&err, req->arena);
    err_set(&err, ERR_NOT_FOUND, "%s", detail);
    http_reply_problem(req, &err);
}

static void openapi_json(http_request *req)
{
    const char *doc = http_req_app(req)->openapi_json;
    if (!doc) {
        not_found(req, "This server has no OpenAPI document.");
        return;
    }
    http_add_header(req, "Cache-Control", "no-cache");
    reply_static(req, 200, "application/json", doc, strlen(doc));
}

static void docs_page(http_request *req)
{
    /* "/docs/" would break the page's relative URLs: send it to "/docs". */
    size_t n = strcspn(req->path, "?");
    if (n > 0 && req->path[n - 1] == '/') {
        http_add_header(req, "Location", "../docs");
        http_reply_empty(req, 308);
        return;
    }
    http_add_header(req, "Cache-Control", "no-cache");
    reply_static(req, 200, "text/html; charset=utf-8", DOCS_PAGE, sizeof DOCS_PAGE - 1);
}

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".png", "image/png"},
    {".html", "text/html; charset=utf-8"},
    {".map", "application/json"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".txt", "text/plain; charset=utf-8"},
};

/* The content type of a safe asset name; NULL when the name is refused. */
static const char *asset_type(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DOCS_MAX_NAME || name[0] == '.')
        return NULL;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        if (!ok)
            return NULL;
    }
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        size_t e = strlen(TYPES[i].ext);
        if (n > e && strcmp(name + n - e, TYPES[i].ext) == 0)
            return TYPES[i].type;
    }
    return NULL;
}

static void docs_asset(http_request *req)
{
    const char *name = http_req_path_param(req, "file");
    const char *dir = http_req_app(req)->docs_dir;
    if (name && strcmp(name, "index.html") == 0) {
        http_add_header(req, "Location", "../docs");
        http_reply_empty(req, 308);
        return;
    }
    const char *type = name ? asset_type(name) : NULL;
    if (!type) {
        not_found(req, "No such file in the documentation page.");
        return;
    }
    if (!dir) {
        not_found(req, "Swagger UI's files are not installed on this server: run "
                       "scripts/docs-assets or set server.docs_dir.");
        return;
    }
    const char *path = arena_sprintf(req->arena, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > DOCS_MAX_FILE) {
        if (fd >= 0)
            close(fd);
        not_found(req, "No such file in the documentation page.");
        return;
    }
    size_t size = (size_t) st.st_size;
    char *body = arena_alloc(req->arena, size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, body + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t) r;
    }
    close(fd);
    if (got != size) {
        err_report err;
        err_init(&err, req->arena);
        err_set(&err, ERR_INTERNAL, "Reading %s failed.", path);
        http_reply_problem(req, &err);
        return;
    }
    http_add_header(req, "Cache-Control", "public, max-age=3600");
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    reply_static(req, 200, type, body, size);
}

const http_route HTTP_DOCS_ROUTES[] = {
    {HTTP_GET, "/openapi.json", openapi_json, HTTP_ROUTE_PUBLIC, "/openapi.json",
     {"documentation", "getOpenApi", "This OpenAPI document",
      "The OpenAPI 3.1 document generated from the models at start-up.", HTTP_P400}},
    {HTTP_GET, "/docs", docs_page, HTTP_ROUTE_PUBLIC, "/docs",
     {"documentation", "getDocs", "API documentation page",
      "A page that renders this document with Swagger UI, served from local files (works "
      "offline).",
      HTTP_P400}},
    {HTTP_GET, "/docs/{file}", docs_asset, HTTP_ROUTE_PUBLIC, "/docs/{file}",
     {"documentation", "getDocsAsset", "A file of the documentation page",
      "Swagger UI's scripts, style sheet and icons, from server.docs_dir.",
      HTTP_P400 | HTTP_P404}},
};
const size_t HTTP_N_DOCS_ROUTES = sizeof HTTP_DOCS_ROUTES / sizeof HTTP_DOCS_ROUTES[0];

/* ---- where the Swagger UI files are ------------------------------------ */

static bool has_bundle(const char *dir)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/swagger-ui-bundle.js", dir);
    return n > 0 && (size_t) n < sizeof path && access(path, R_OK) == 0;
}

const char *http_docs_find_dir(const cfg_config *cfg, arena *a)
{
    if (cfg && cfg->server.docs_dir && *cfg->server.docs_dir) {
        if (!has_bundle(cfg->server.docs_dir))
            log_warn("server.docs_dir %s has no swagger-ui-bundle.js: /docs will not render",
                     cfg->server.docs_dir);
        return arena_strdup(a, cfg->server.docs_dir);
    }
    const char *env = getenv("RETORT_DOCS_DIR");
    if (env && *env) {
        if (!has_bundle(env))
            log_warn("RETORT_DOCS_DIR %s has no swagger-ui-bundle.js: /docs will not render", env);
        return arena_strdup(a, env);
    }
    /* The executable's directory: build/retort finds build/docs-assets. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *exe_dir = NULL;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            exe_dir = exe;
        }
    }
    const char *candidates[] = {
        "build/docs-assets/swagger-ui-dist",
        exe_dir ? arena_sprintf(a, "%s/docs-assets/swagger-ui-dist", exe_dir) : NULL,
        exe_dir ? arena_sprintf(a, "%s/../build/docs-assets/swagger-ui-dist", exe_dir) : NULL,
        ".retort/tools/node_modules/swagger-ui-dist",
        "/usr/share/retort/docs",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i] || !has_bundle(candidates[i]))
            continue;
        char real[PATH_MAX];
        return arena_strdup(a, realpath(candidates[i], real) ? real : candidates[i]);
    }
    log_warn("Swagger UI's files were not found (run scripts/docs-assets, or set "
             "server.docs_dir or RETORT_DOCS_DIR): /docs will list the operations only");
    return NULL;
}
