/*
 * cfg_names — the spelling of every enum in the config file, both ways,
 * and the lookups of cfg.h. Models, columns and relationships are few
 * (tens), so lookups are linear scans over arrays in declaration order.
 */
#include <string.h>

#include "cfg_int.h"

/* Indexed by the enum value; keep in the order of cfg.h. */
static const char *const TYPE_NAMES[] = {
    [CFG_TYPE_INTEGER] = "integer", [CFG_TYPE_BIGINT] = "bigint",
    [CFG_TYPE_FLOAT] = "float",     [CFG_TYPE_NUMERIC] = "numeric",
    [CFG_TYPE_STRING] = "string",   [CFG_TYPE_TEXT] = "text",
    [CFG_TYPE_BOOLEAN] = "boolean", [CFG_TYPE_UUID] = "uuid",
    [CFG_TYPE_DATE] = "date",       [CFG_TYPE_TIMESTAMPTZ] = "timestamptz",
    [CFG_TYPE_JSON] = "json",       [CFG_TYPE_SMALLINT] = "smallint",
    [CFG_TYPE_REAL] = "real",       [CFG_TYPE_CHAR] = "char",
    [CFG_TYPE_TIME] = "time",       [CFG_TYPE_TIMESTAMP] = "timestamp",
    [CFG_TYPE_INTERVAL] = "interval", [CFG_TYPE_JSONB] = "jsonb",
    [CFG_TYPE_BYTEA] = "bytea",     [CFG_TYPE_INET] = "inet",
    [CFG_TYPE_CIDR] = "cidr",       [CFG_TYPE_ENUM] = "enum",
};

/* A strategy's "lazy" value and its loader option, side by side. */
static const char *const LAZY_NAMES[] = {
    [CFG_LOAD_RAISE] = "raise",   [CFG_LOAD_SELECT] = "select", [CFG_LOAD_SELECTIN] = "selectin",
    [CFG_LOAD_JOINED] = "joined", [CFG_LOAD_NOLOAD] = "noload",
};
static const char *const OPTION_NAMES[] = {
    [CFG_LOAD_RAISE] = "raiseload",       [CFG_LOAD_SELECT] = "lazyload",
    [CFG_LOAD_SELECTIN] = "selectinload", [CFG_LOAD_JOINED] = "joinedload",
    [CFG_LOAD_NOLOAD] = "noload",
};

static const char *const KIND_NAMES[] = {
    [CFG_REL_MANY_TO_ONE] = "many_to_one",
    [CFG_REL_ONE_TO_MANY] = "one_to_many",
    [CFG_REL_MANY_TO_MANY] = "many_to_many",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int find(const char *const *names, size_t n, const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return (int) i;
    return -1;
}

static const char *name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t) v < n && names[v] ? names[v] : "unknown";
}

const char *cfg_type_name(cfg_type t)
{
    return name_of(TYPE_NAMES, COUNT(TYPE_NAMES), (int) t);
}

const char *cfg_strategy_name(cfg_strategy s)
{
    return name_of(LAZY_NAMES, COUNT(LAZY_NAMES), (int) s);
}

const char *cfg_strategy_option(cfg_strategy s)
{
    return name_of(OPTION_NAMES, COUNT(OPTION_NAMES), (int) s);
}

const char *cfg_rel_kind_name(cfg_rel_kind k)
{
    return name_of(KIND_NAMES, COUNT(KIND_NAMES), (int) k);
}

bool cfg__type_from_name(const char *s, cfg_type *out)
{
    if (s && strcmp(s, "double") == 0)
        s = "float"; /* double precision, the name PostgreSQL users know */
    int i = find(TYPE_NAMES, COUNT(TYPE_NAMES), s);
    if (i < 0)
        return false;
    *out = (cfg_type) i;
    return true;
}

bool cfg_strategy_from_name(const char *s, bool option, cfg_strategy *out)
{
    int i = option ? find(OPTION_NAMES, COUNT(OPTION_NAMES), s)
                   : find(LAZY_NAMES, COUNT(LAZY_NAMES), s);
    if (i < 0 && option && s && strcmp(s, "selectload") == 0)
        i = CFG_LOAD_SELECT;
    if (i < 0)
        return false;
    *out = (cfg_strategy) i;
    return true;
}

bool cfg__rel_kind_from_name(const char *s, cfg_rel_kind *out)
{
    int i = find(KIND_NAMES, COUNT(KIND_NAMES), s);
    if (i < 0)
        return false;
    *out = (cfg_rel_kind) i;
    return true;
}

const char *cfg__type_list(void)
{
    return "smallint, integer, bigint, real, double (or float), numeric, string, char, text, "
           "boolean, uuid, date, time, timestamp, timestamptz, interval, json, jsonb, bytea, "
           "inet, cidr, enum, each also as an array (\"text[]\")";
}

const char *cfg__lazy_list(void)
{
    return "select, selectin, joined, raise, noload";
}

const char *cfg__rel_kind_list(void)
{
    return "many_to_one, one_to_many, many_to_many";
}

/* ---- lookups ----------------------------------------------------------- */

const cfg_model *cfg_model_by_name(const cfg_config *c, const char *name)
{
    if (!c || !name)
        return NULL;
    for (size_t i = 0; i < c->n_models; i++)
        if (c->models[i].name && strcmp(c->models[i].name, name) == 0)
            return &c->models[i];
    return NULL;
}

const cfg_model *cfg_model_by_table(const cfg_config *c, const char *table)
{
    if (!c || !table)
        return NULL;
    for (size_t i = 0; i < c->n_models; i++)
        if (c->models[i].table && strcmp(c->models[i].table, table) == 0)
            return &c->models[i];
    return NULL;
}

const char *cfg_model_table_name(const cfg_model *m)
{
    return m->table_name ? m->table_name : m->table;
}

const cfg_model *cfg_model_by_table_ref(const cfg_config *c, const char *ref)
{
    const cfg_model *m = cfg_model_by_table(c, ref);
    if (m || !c || !ref)
        return m;
    const char *dot = strchr(ref, '.');
    const cfg_model *found = NULL;
    for (size_t i = 0; i < c->n_models; i++) {
        const cfg_model *x = &c->models[i];
        if (!x->table)
            continue;
        bool hit = dot ? x->schema && strlen(x->schema) == (size_t) (dot - ref) &&
                             strncmp(x->schema, ref, (size_t) (dot - ref)) == 0 &&
                             strcmp(cfg_model_table_name(x), dot + 1) == 0
                       : strcmp(cfg_model_table_name(x), ref) == 0;
        if (hit && found)
            return NULL; /* ambiguous: the schema must be named */
        if (hit)
            found = x;
    }
    return found;
}

const cfg_column *cfg_column_by_name(const cfg_model *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (size_t i = 0; i < m->n_columns; i++)
        if (m->columns[i].name && strcmp(m->columns[i].name, name) == 0)
            return &m->columns[i];
    return NULL;
}

const cfg_relationship *cfg_relationship_by_name(const cfg_model *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (size_t i = 0; i < m->n_relationships; i++)
        if (m->relationships[i].name && strcmp(m->relationships[i].name, name) == 0)
            return &m->relationships[i];
    return NULL;
}
