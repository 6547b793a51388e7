/*
 * Golden cases of the query-document translator, driven by data:
 *
 *   tests/unit/query/golden/compile/<case>/query.json    the input (below)
 *                               expected.sql  one statement per line: the
 *                                             SELECT, then the count SELECT
 *                                             when the query asks for count
 *                               params.json   its parameters (an array; an
 *                                             array of arrays for two lines)
 *                               options.json  (optional) the loader options
 *   tests/unit/query/golden/reject/<case>/query.json
 *                              problem.json   {"status": 400, "errors":
 *                                             [{"pointer": "/where/x",
 *                                               "detail": "substring"}]}
 *                                             compared on status and the set
 *                                             of pointers (details, when
 *                                             given, must be contained)
 *
 * query.json: {"resource": "users" (default), "alias": "u" (optional),
 * "limits": {...query_limits...} (optional), and one of
 *   "query": a query document (query_parse),
 *   "get":   a URL query string "a=1&b=x%2Cy" (query_parse_params),
 *   "where": a where document alone (query_where, prefix "/where",
 *            compiled as an expression)}.
 *
 * Every compiled statement is also checked against doc_invariants.
 * Adding a case means adding a folder. GOLDEN_UPDATE=1 writes what the
 * translator produces into compile cases that lack expected.sql (review
 * it before committing).
 */
#include "core_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_invariants.h"
#include "query.h"
#include "sample_metadata.h"
#include "testsupport.h"

#define GOLDEN_DIR RETORT_SOURCE_DIR "/tests/unit/query/golden"

/* ==== files ============================================================= */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *) x, *(char *const *) y);
}

/* Sorted case folder names of dir; *n set. Free with free_names. */
static char **list_cases(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ==== GET query strings ================================================= */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *url_decode(arena *a, const char *s, size_t n)
{
    char *out = arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[k++] = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (s[i] == '+') {
            out[k++] = ' ';
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

static size_t split_query(arena *a, const char *qs, const char ***names, const char ***values)
{
    size_t cap = 1;
    for (const char *p = qs; *p; p++)
        cap += *p == '&';
    *names = ARENA_ARRAY(a, const char *, cap);
    *values = ARENA_ARRAY(a, const char *, cap);
    size_t n = 0;
    const char *s = qs;
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t) (amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        size_t nl = eq ? (size_t) (eq - s) : len;
        (*names)[n] = url_decode(a, s, nl);
        (*values)[n] = eq ? url_decode(a, eq + 1, len - nl - 1) : "";
        n++;
        if (!amp)
            break;
        s = amp + 1;
    }
    return n;
}

/* ==== running a case ==================================================== */

typedef struct outcome {
    bool ok;
    err_report err;
    const char *sql[2];
    json_t *params[2]; /* arrays of strings/null; owned */
    size_t n_stmts;
    json_t *options;       /* owned */
    const char *invariant; /* a broken invariant, or NULL */
} outcome;

static json_t *params_json(const sql_compiled *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n_params; i++)
        json_array_append_new(arr, c->params[i] ? json_string(c->params[i]) : json_null());
    return arr;
}

static json_t *options_json(const query_doc *q)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < q->load.n_options; i++) {
        const orm_load_option *o = &q->load.options[i];
        json_t *hops = json_array();
        for (size_t h = 0; h < o->n_hops; h++)
            json_array_append_new(hops, json_string(o->hops[h]->name));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:b, s:b, s:s}", "kind",
                                             cfg_strategy_option(o->strategy), "path", o->path, "hops",
                                             hops, "wildcard", o->wildcard, "include", o->include,
                                             "pointer", o->pointer));
    }
    return arr;
}

static void compile_into(outcome *out, arena *a, const sql_metadata *md, const sql_node *stmt)
{
    sql_compiled c;
    if (!out->ok || !stmt || !sql_compile(stmt, a, &c, &out->err)) {
        out->ok = false;
        return;
    }
    const char *why = doc_check_invariants(stmt, &c, md, a);
    if (why && !out->invariant)
        out->invariant = why;
    out->sql[out->n_stmts] = c.sql;
    out->params[out->n_stmts] = params_json(&c);
    out->n_stmts++;
}

static void limits_from(const json_t *j, query_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    if (!j)
        return;
    lim->default_limit = (int) json_integer_value(json_object_get(j, "default_limit"));
    lim->max_limit = (int) json_integer_value(json_object_get(j, "max_limit"));
    lim->max_depth = (int) json_integer_value(json_object_get(j, "max_depth"));
    lim->max_nodes = (size_t) json_integer_value(json_object_get(j, "max_nodes"));
    lim->max_in_list = (size_t) json_integer_value(json_object_get(j, "max_in_list"));
}

/* Runs the input of one case through translate, build and compile. */
static void run_input(const json_t *input, arena *a, outcome *out)
{
    memset(out, 0, sizeof *out);
    err_init(&out->err, a);
    err_report md_err;
    err_init(&md_err, a);
    sql_metadata *md = sample_metadata(a, &md_err);
    assert_non_null(md);
    sql_builder *b = sql_builder_new(a, &out->err);

    const char *resource = json_string_value(json_object_get(input, "resource"));
    const sql_table *t = sql_metadata_table(md, resource ? resource : "users");
    assert_non_null(t);
    sql_from *from = sql_from_table(b, t, json_string_value(json_object_get(input, "alias")));
    query_limits lim;
    limits_from(json_object_get(input, "limits"), &lim);

    const json_t *query = json_object_get(input, "query");
    const json_t *get = json_object_get(input, "get");
    const json_t *where = json_object_get(input, "where");
    if (where) {
        sql_node *cond = query_where(b, from, where, "/where", &lim, &out->err);
        out->ok = !err_is_set(&out->err) && cond;
        compile_into(out, a, md, cond);
        return;
    }
    query_doc q;
    if (query) {
        out->ok = query_parse(b, from, query, &lim, &q, &out->err);
    } else {
        assert_true(json_is_string(get));
        const char **names, **values;
        size_t n = split_query(a, json_string_value(get), &names, &values);
        out->ok = query_parse_params(b, from, names, values, n, &lim, &q, &out->err);
    }
    if (out->ok != !err_is_set(&out->err))
        out->invariant = "the parser's result disagrees with its error report";
    if (!out->ok)
        return;
    out->options = options_json(&q);
    compile_into(out, a, md, SQL_NODE(query_select(b, from, &q, &out->err)));
    if (q.count)
        compile_into(out, a, md, SQL_NODE(query_count_select(b, from, &q, &out->err)));
    if (!out->ok && !err_is_set(&out->err))
        out->invariant = "a build failed without a problem";
}

static void outcome_free(outcome *o)
{
    for (size_t i = 0; i < 2; i++)
        json_decref(o->params[i]);
    json_decref(o->options);
}

static void print_problems(const err_report *err)
{
    print_message("    status %d\n", err->status);
    for (size_t i = 0; i < err->n_items; i++)
        print_message("    %s: %s\n", err->items[i].pointer ? err->items[i].pointer : "(none)",
                      err->items[i].detail ? err->items[i].detail : "?");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Writes the outcome as the expected files of a compile case. */
static void update_case(const char *dir, const outcome *o)
{
    char path[1024], *text;
    snprintf(path, sizeof path, "%s/expected.sql", dir);
    char sqls[65536];
    snprintf(sqls, sizeof sqls, "%s\n%s%s", o->sql[0], o->n_stmts > 1 ? o->sql[1] : "",
             o->n_stmts > 1 ? "\n" : "");
    write_file(path, sqls);
    json_t *params =
        o->n_stmts > 1 ? json_pack("[OO]", o->params[0], o->params[1]) : json_incref(o->params[0]);
    text = json_dumps(params, JSON_ENCODE_ANY);
    snprintf(path, sizeof path, "%s/params.json", dir);
    char *line = malloc(strlen(text) + 2);
    sprintf(line, "%s\n", text);
    write_file(path, line);
    free(line);
    free(text);
    json_decref(params);
    if (json_array_size(o->options)) {
        snprintf(path, sizeof path, "%s/options.json", dir);
        json_dump_file(o->options, path, JSON_INDENT(1));
    }
}

static bool check_compile_case(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/query.json", dir);
    json_error_t jerr;
    json_t *input = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!input) {
        print_message("[%s] query.json: %s\n", name, jerr.text);
        return false;
    }
    arena *a = arena_create(NULL, "golden-case");
    outcome o;
    run_input(input, a, &o);
    bool pass = true;
    if (!o.ok) {
        print_message("[%s] expected to compile; problems:\n", name);
        print_problems(&o.err);
        pass = false;
    } else if (o.invariant) {
        print_message("[%s] invariant broken: %s\n", name, o.invariant);
        pass = false;
    } else {
        snprintf(path, sizeof path, "%s/expected.sql", dir);
        char *expected = ts_read_file(a, path, NULL);
        if (!expected && getenv("GOLDEN_UPDATE")) {
            update_case(dir, &o);
            print_message("[%s] written: %s\n", name, o.sql[0]);
            expected = ts_read_file(a, path, NULL);
        }
        snprintf(path, sizeof path, "%s/params.json", dir);
        json_t *params = json_load_file(path, JSON_DECODE_ANY, &jerr);
        if (!expected || !params) {
            print_message("[%s] expected.sql or params.json missing or unreadable\n", name);
            pass = false;
        } else {
            /* one statement per line */
            char *line = expected;
            for (size_t i = 0; i < 2 && pass; i++) {
                char *nl = line ? strchr(line, '\n') : NULL;
                if (nl)
                    *nl = '\0';
                bool want = line && *line;
                if (want != (i < o.n_stmts)) {
                    print_message("[%s] expected %s statement %zu\n", name, want ? "a" : "no",
                                  i + 1);
                    pass = false;
                } else if (want && strcmp(line, o.sql[i]) != 0) {
                    print_message("[%s] SQL %zu differs\n  expected: %s\n  actual:   %s\n", name,
                                  i + 1, line, o.sql[i]);
                    pass = false;
                }
                line = nl ? nl + 1 : NULL;
            }
            const json_t *want0 = o.n_stmts > 1 ? json_array_get(params, 0) : params;
            const json_t *want1 = o.n_stmts > 1 ? json_array_get(params, 1) : NULL;
            for (size_t i = 0; i < o.n_stmts && pass; i++) {
                const json_t *want = i ? want1 : want0;
                if (!json_equal((json_t *) want, o.params[i])) {
                    char *got = json_dumps(o.params[i], JSON_ENCODE_ANY);
                    print_message("[%s] params %zu differ; actual: %s\n", name, i + 1, got);
                    free(got);
                    pass = false;
                }
            }
        }
        json_decref(params);

        snprintf(path, sizeof path, "%s/options.json", dir);
        json_t *options = json_load_file(path, 0, &jerr);
        if (pass && options && !json_equal(options, o.options)) {
            char *got = json_dumps(o.options, JSON_INDENT(1));
            print_message("[%s] options differ; actual: %s\n", name, got);
            free(got);
            pass = false;
        }
        json_decref(options);
    }
    outcome_free(&o);
    arena_destroy(a);
    json_decref(input);
    return pass;
}

static bool has_pointer(const err_report *err, const char *pointer, const char *detail)
{
    for (size_t i = 0; i < err->n_items; i++) {
        if (!err->items[i].pointer || strcmp(err->items[i].pointer, pointer) != 0)
            continue;
        if (!detail || (err->items[i].detail && strstr(err->items[i].detail, detail)))
            return true;
    }
    return false;
}

static bool check_reject_case(const char *dir, const char *name)
{
    char path[1024];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/query.json", dir);
    json_t *input = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    snprintf(path, sizeof path, "%s/problem.json", dir);
    json_t *problem = json_load_file(path, 0, &jerr);
    if (!input || !problem) {
        print_message("[%s] query.json or problem.json unreadable: %s\n", name, jerr.text);
        json_decref(input);
        json_decref(problem);
        return false;
    }
    arena *a = arena_create(NULL, "golden-case");
    outcome o;
    run_input(input, a, &o);
    bool pass = true;
    const json_t *errors = json_object_get(problem, "errors");
    int status = (int) json_integer_value(json_object_get(problem, "status"));
    if (o.ok) {
        print_message("[%s] expected a rejection, got: %s\n", name, o.sql[0]);
        pass = false;
    } else if (o.invariant) {
        print_message("[%s] invariant broken: %s\n", name, o.invariant);
        pass = false;
    } else if (o.err.status != status) {
        print_message("[%s] status %d, expected %d\n", name, o.err.status, status);
        pass = false;
    } else {
        size_t i;
        const json_t *e;
        json_array_foreach(errors, i, e)
        {
            const char *ptr = json_string_value(json_object_get(e, "pointer"));
            const char *detail = json_string_value(json_object_get(e, "detail"));
            if (!ptr || !has_pointer(&o.err, ptr, detail)) {
                print_message("[%s] no problem at %s%s%s\n", name, ptr ? ptr : "(null)",
                              detail ? " containing " : "", detail ? detail : "");
                pass = false;
            }
        }
        for (i = 0; i < o.err.n_items; i++) {
            bool listed = false;
            size_t j;
            json_array_foreach(errors, j, e)
            {
                const char *ptr = json_string_value(json_object_get(e, "pointer"));
                listed = listed || (ptr && o.err.items[i].pointer &&
                                    strcmp(ptr, o.err.items[i].pointer) == 0);
            }
            if (!listed) {
                print_message("[%s] unexpected problem at %s\n", name,
                              o.err.items[i].pointer ? o.err.items[i].pointer : "(none)");
                pass = false;
            }
        }
    }
    if (!pass || getenv("GOLDEN_VERBOSE")) {
        if (pass)
            print_message("[%s]\n", name);
        print_problems(&o.err);
    }
    outcome_free(&o);
    arena_destroy(a);
    json_decref(input);
    json_decref(problem);
    return pass;
}

static size_t run_folder(const char *kind, bool (*check)(const char *, const char *),
                         size_t *n_cases)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", GOLDEN_DIR, kind);
    char **names = list_cases(dir, n_cases);
    size_t failed = 0;
    for (size_t i = 0; i < *n_cases; i++) {
        char cdir[2048];
        snprintf(cdir, sizeof cdir, "%s/%s", dir, names[i]);
        if (!check(cdir, names[i]))
            failed++;
    }
    free_names(names, *n_cases);
    return failed;
}

static void test_compile_cases(void **state)
{
    (void) state;
    size_t n;
    size_t failed = run_folder("compile", check_compile_case, &n);
    print_message("%zu compile cases, %zu failed\n", n, failed);
    assert_true(n >= 40);
    assert_int_equal(failed, 0);
}

static void test_reject_cases(void **state)
{
    (void) state;
    size_t n;
    size_t failed = run_folder("reject", check_reject_case, &n);
    print_message("%zu reject cases, %zu failed\n", n, failed);
    assert_true(n >= 40);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_cases),
        cmocka_unit_test(test_reject_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
