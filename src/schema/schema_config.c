/*
 * schema_config — a configuration whose models come (partly) from the
 * catalog: the file is read, its settings loaded on their own to find the
 * database, the catalog reflected, the declared models laid over the
 * reflected ones, and the result loaded like any configuration file, so
 * reflected and declared models meet exactly the same checks.
 *
 * Declared over reflected, by table (and "schema"): the declared model's
 * name wins; its columns and relationships are merged key by key into the reflected
 * ones (a key set to null removes the reflected key); its other keys
 * replace the reflected ones. Declared models of tables that were not
 * reflected are kept as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema_int.h"

/* Merges the members of over into base, key by key; null deletes. */
static void merge_members(json_t *base, json_t *over)
{
    const char *key;
    json_t *v;
    json_object_foreach(over, key, v)
    {
        json_t *have = json_object_get(base, key);
        if (json_is_null(v))
            json_object_del(base, key);
        else if (json_is_object(have) && json_is_object(v))
            json_object_update(have, v);
        else
            json_object_set(base, key, v);
    }
}

static const char *table_of(json_t *spec)
{
    return json_string_value(json_object_get(spec, "table"));
}

/* The same table: same name, and the same "schema" (absent = default). */
static bool same_table(json_t *a, json_t *b)
{
    const char *ta = table_of(a), *tb = table_of(b);
    const char *sa = json_string_value(json_object_get(a, "schema"));
    const char *sb = json_string_value(json_object_get(b, "schema"));
    return ta && tb && strcmp(ta, tb) == 0 && (sa ? sb && strcmp(sa, sb) == 0 : !sb);
}

/* Renames model old to new in every relationship's target/secondary. */
static void rename_model(json_t *models, const char *old, const char *new_name)
{
    const char *mname;
    json_t *m;
    json_object_foreach(models, mname, m)
    {
        const char *rname;
        json_t *r;
        json_t *rels = json_object_get(m, "relationships");
        json_object_foreach(rels, rname, r)
        {
            const char *keys[] = {"target", "secondary"};
            for (size_t k = 0; k < 2; k++) {
                const char *v = json_string_value(json_object_get(r, keys[k]));
                if (v && strcmp(v, old) == 0)
                    json_object_set_new(r, keys[k], json_string(new_name));
            }
        }
    }
}

json_t *schema_merge_models(json_t *reflected, json_t *declared)
{
    json_t *out = json_deep_copy(reflected);
    const char *dname;
    json_t *d;
    json_object_foreach(declared, dname, d)
    {
        const char *table = json_is_object(d) ? table_of(d) : NULL;
        const char *rname = NULL;
        json_t *r = NULL;
        const char *k;
        json_t *v;
        json_object_foreach(out, k, v)
        {
            if (table && same_table(v, d)) {
                rname = k;
                r = v;
                break;
            }
        }
        if (!r) {
            /* A reflected model of another table with this name steps aside. */
            json_t *clash = json_object_get(out, dname);
            if (clash) {
                char *renamed = NULL;
                for (int i = 2; !renamed || json_object_get(out, renamed); i++) {
                    free(renamed);
                    size_t n = strlen(dname) + 16;
                    renamed = malloc(n);
                    snprintf(renamed, n, "%s%d", dname, i);
                }
                json_object_set(out, renamed, clash);
                json_object_del(out, dname);
                rename_model(out, dname, renamed);
                free(renamed);
            }
            json_object_set(out, dname, d);
            continue;
        }
        json_incref(r);
        char *old = strdup(rname);
        json_object_del(out, old);
        const char *section;
        json_t *sv;
        json_object_foreach(d, section, sv)
        {
            json_t *have = json_object_get(r, section);
            if ((strcmp(section, "columns") == 0 || strcmp(section, "relationships") == 0) &&
                json_is_object(have) && json_is_object(sv)) {
                const char *name;
                json_t *spec;
                json_object_foreach(sv, name, spec)
                {
                    json_t *rs = json_object_get(have, name);
                    if (json_is_object(rs) && json_is_object(spec))
                        merge_members(rs, spec);
                    else
                        json_object_set(have, name, spec);
                }
            } else {
                json_object_set(r, section, sv);
            }
        }
        json_object_set_new(out, dname, r);
        if (strcmp(old, dname) != 0)
            rename_model(out, old, dname);
        free(old);
    }
    return out;
}

/* The file's JSON; NULL when it cannot be read or parsed (cfg_load then
 * reports why, with the usual messages). */
static json_t *read_document(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root && !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static eng_pool *catalog_pool(const cfg_config *cfg, err_report *err)
{
    eng_pool_options po;
    eng_pool_options_init(&po);
    po.conninfo = cfg->database.url;
    po.pool_size = 1;
    po.max_overflow = 0;
    po.connect_timeout = cfg->database.connect_timeout;
    po.prepared_statements = false;
    po.application_name = "retort reflect";
    return eng_pool_create(&po, err);
}

cfg_config *schema_load_config(arena *a, const char *path, char *const *envp, bool force,
                               json_t **document, err_report *err)
{
    if (document)
        *document = NULL;
    json_t *root = path ? read_document(path) : NULL;
    if (!root)
        return cfg_load(a, path, envp, err);

    /* The settings alone: the database to reflect, and whether to. */
    json_t *settings = json_copy(root);
    json_t *declared = json_incref(json_object_get(root, "models"));
    json_object_del(settings, "models");
    char *text = json_dumps(settings, JSON_COMPACT);
    json_decref(settings);
    arena *tmp = arena_create(NULL, "reflect settings");
    cfg_config *base = cfg_load_string(tmp, text, path, envp, err);
    free(text);
    if (!base || !(base->reflect.enabled || force)) {
        arena_destroy(tmp);
        json_decref(declared);
        if (!base) {
            json_decref(root);
            return NULL;
        }
        cfg_config *cfg = cfg_load(a, path, envp, err);
        if (cfg && document)
            *document = root;
        else
            json_decref(root);
        return cfg;
    }
    if (!base->reflect.enabled) {
        static const char *const PUBLIC[] = {"public", NULL};
        base->reflect.schemas = PUBLIC;
        base->reflect.n_schemas = 1;
    }

    eng_pool *pool = catalog_pool(base, err);
    json_t *reflected = pool ? schema_reflect(pool, base, err) : NULL;
    eng_pool_destroy(pool);
    arena_destroy(tmp);
    if (!reflected) {
        json_decref(declared);
        json_decref(root);
        return NULL;
    }
    json_t *models = json_is_object(declared) ? schema_merge_models(reflected, declared)
                                              : json_incref(reflected);
    json_decref(reflected);
    json_decref(declared);
    json_object_set_new(root, "models", models);
    char *merged = json_dumps(root, JSON_COMPACT);
    cfg_config *cfg = cfg_load_string(a, merged, path, envp, err);
    free(merged);
    /* The printed document is complete: its models are explicit, so it
     * no longer reflects. (The loaded config keeps "reflect": its exclude
     * list tells schema diff which tables are not the models'.) */
    json_object_del(root, "reflect");
    if (cfg)
        cfg->path = arena_strdup(a, path);
    if (cfg && document)
        *document = root;
    else
        json_decref(root);
    return cfg;
}
