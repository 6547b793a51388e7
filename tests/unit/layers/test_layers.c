/*
 * test_layers — dependencies point downward: no file of a layer includes a
 * header of a layer it does not link, nor a library header (jansson.h,
 * libpq-fe.h, microhttpd.h) its layer does not link. The allowed sets come
 * from the CMake targets (layers.txt, written by this folder's
 * CMakeLists.txt), so the graph is written down once, in the top-level
 * CMakeLists.txt.
 *
 * A header belongs to the layer whose folder holds it; includes of names
 * found in no layer (system headers) are not checked, except the library
 * headers above. The check is first run on a planted tree, to show that it
 * finds what it is for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_LAYERS = 32, MAX_ALLOWED = 32, MAX_HEADERS = 512 };

typedef struct layer {
    char name[32];
    char path[256]; /* relative to the root: a folder, or one file (main.c) */
    char allowed[MAX_ALLOWED][48];
    size_t n_allowed;
} layer;

typedef struct graph {
    layer layers[MAX_LAYERS];
    size_t n;
    char headers[MAX_HEADERS][256]; /* every header of every layer folder */
    const layer *owner[MAX_HEADERS];
    size_t n_headers;
} graph;

static const char *const LIB_HEADERS[] = {"jansson.h", "libpq-fe.h", "microhttpd.h"};

static void load_layers(graph *g, const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f)
        fail_msg("cannot read %s", file);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        assert_true(g->n < MAX_LAYERS);
        layer *l = &g->layers[g->n];
        memset(l, 0, sizeof *l);
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        snprintf(l->name, sizeof l->name, "%s", tok);
        tok = strtok_r(NULL, " \n", &save);
        assert_non_null(tok);
        snprintf(l->path, sizeof l->path, "%s", tok);
        while ((tok = strtok_r(NULL, " \n", &save))) {
            assert_true(l->n_allowed < MAX_ALLOWED);
            snprintf(l->allowed[l->n_allowed++], sizeof l->allowed[0], "%s", tok);
        }
        g->n++;
    }
    fclose(f);
    assert_true(g->n > 0);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Records the headers in each layer's folder. */
static void index_headers(graph *g, const char *root)
{
    g->n_headers = 0;
    for (size_t i = 0; i < g->n; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", root, g->layers[i].path);
        DIR *d = is_dir(dir) ? opendir(dir) : NULL;
        for (struct dirent *e; d && (e = readdir(d));) {
            if (!has_suffix(e->d_name, ".h"))
                continue;
            assert_true(g->n_headers < MAX_HEADERS);
            snprintf(g->headers[g->n_headers], sizeof g->headers[0], "%s", e->d_name);
            g->owner[g->n_headers++] = &g->layers[i];
        }
        if (d)
            closedir(d);
    }
}

static bool allows(const layer *l, const char *what)
{
    for (size_t i = 0; i < l->n_allowed; i++)
        if (strcmp(l->allowed[i], what) == 0)
            return true;
    return false;
}

/* Violations in one file of layer l. */
static int check_file(const graph *g, const layer *l, const char *path, const char *shown)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    int bad = 0, lineno = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '#')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "include", 7) != 0)
            continue;
        p += 7;
        while (*p == ' ' || *p == '\t')
            p++;
        char close = *p == '"' ? '"' : *p == '<' ? '>' : 0;
        const char *end = close ? strchr(p + 1, close) : NULL;
        if (!end)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int) (end - p - 1), p + 1);
        if (close == '>') {
            for (size_t i = 0; i < sizeof LIB_HEADERS / sizeof LIB_HEADERS[0]; i++) {
                char wanted[64];
                snprintf(wanted, sizeof wanted, "<%s>", LIB_HEADERS[i]);
                if (strcmp(name, LIB_HEADERS[i]) == 0 && !allows(l, wanted)) {
                    print_message("%s:%d: layer %s includes <%s>, a library it does not link\n",
                                  shown, lineno, l->name, name);
                    bad++;
                }
            }
            continue;
        }
        for (size_t i = 0; i < g->n_headers; i++) {
            if (strcmp(g->headers[i], name) != 0)
                continue;
            const layer *owner = g->owner[i];
            if (owner != l && !allows(l, owner->name)) {
                char may[MAX_ALLOWED * 48] = "";
                for (size_t k = 1; k < l->n_allowed; k++)
                    snprintf(may + strlen(may), sizeof may - strlen(may), " %s", l->allowed[k]);
                print_message("%s:%d: layer %s includes \"%s\" of layer %s, which it does not "
                              "link (it links:%s)\n",
                              shown, lineno, l->name, name, owner->name, may);
                bad++;
            }
        }
    }
    fclose(f);
    return bad;
}

/* Violations in every .c and .h of every layer under root. */
static int check_tree(graph *g, const char *root)
{
    index_headers(g, root);
    int bad = 0;
    for (size_t i = 0; i < g->n; i++) {
        const layer *l = &g->layers[i];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, l->path);
        if (!is_dir(path)) {
            if (access(path, R_OK) == 0)
                bad += check_file(g, l, path, l->path);
            continue;
        }
        DIR *d = opendir(path);
        assert_non_null(d);
        for (struct dirent *e; (e = readdir(d));) {
            if (!has_suffix(e->d_name, ".c") && !has_suffix(e->d_name, ".h"))
                continue;
            char file[1024], shown[512];
            snprintf(file, sizeof file, "%s/%s", path, e->d_name);
            snprintf(shown, sizeof shown, "%s/%s", l->path, e->d_name);
            bad += check_file(g, l, file, shown);
        }
        closedir(d);
    }
    return bad;
}

static graph G;

static int setup(void **state)
{
    (void) state;
    const char *file = getenv("RETORT_LAYERS_FILE");
    if (!file)
        return -1;
    load_layers(&G, file);
    return 0;
}

static void put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0700);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The check finds an upward include and an unlinked library header. */
static void test_finds_planted_violations(void **state)
{
    (void) state;
    char root[] = "/tmp/retort-layers-XXXXXX";
    assert_non_null(mkdtemp(root));
    put(root, "src/orm/orm.h", "#include \"sql.h\"\n");  /* down: fine */
    put(root, "src/core/sql.h", "#include <stdio.h>\n"); /* system: fine */
    put(root, "src/core/sql_x.c",
        "#include \"sql.h\"\n"                                /* own: fine */
        "  #  include \"orm.h\"\n"                            /* up: 1 */
        "#include <jansson.h>\n");                            /* unlinked: 2 */
    put(root, "src/engine/eng.c", "#include <libpq-fe.h>\n"); /* linked: fine */
    assert_int_equal(check_tree(&G, root), 2);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_source_tree(void **state)
{
    (void) state;
    assert_int_equal(check_tree(&G, RETORT_SOURCE_DIR), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_planted_violations),
        cmocka_unit_test(test_source_tree),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
