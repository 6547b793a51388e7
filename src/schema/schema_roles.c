/*
 * schema_roles — with auth.database_role, every request runs as its role
 * (set_config('role', ...) in its transaction), so each role the
 * configuration names must exist in PostgreSQL and retort's login role
 * must be a member of it. Checked once at start-up, so a missing role is
 * one clear message naming it instead of every request of that role
 * failing with PostgreSQL's 22023.
 */
#include <string.h>

#include "schema_int.h"

/* Adds name to the JSON array of names unless it is NULL or there. */
static void add_role(json_t *names, const char *name)
{
    if (!name)
        return;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) if (strcmp(json_string_value(v), name) == 0) return;
    json_array_append_new(names, json_string(name));
}

/* Every role of the configuration: anonymous, admin, API keys' and those
 * of the models' permissions. New reference. */
static json_t *config_roles(const cfg_config *cfg)
{
    json_t *names = json_array();
    const cfg_auth *au = &cfg->auth;
    add_role(names, au->anonymous_role);
    for (size_t i = 0; i < au->n_admin_roles; i++)
        add_role(names, au->admin_roles[i]);
    for (size_t i = 0; i < au->n_api_keys; i++)
        add_role(names, au->api_keys[i].role);
    for (size_t m = 0; m < cfg->n_models; m++)
        for (size_t p = 0; p < cfg->models[m].n_permissions; p++)
            add_role(names, cfg->models[m].permissions[p].role);
    return names;
}

static const char ROLES_SQL[] =
    "SELECT r.name, pr.oid IS NOT NULL, "
    "       pr.oid IS NOT NULL AND pg_has_role(current_user, pr.oid, 'MEMBER') "
    "FROM unnest($1::text[]) WITH ORDINALITY AS r(name, n) "
    "LEFT JOIN pg_roles pr ON pr.rolname = r.name ORDER BY r.n";

bool schema_roles_check(eng_conn *c, const cfg_config *cfg, arena *a, err_report *err)
{
    if (!cfg->auth.enabled || !cfg->auth.database_role)
        return true;
    json_t *names = config_roles(cfg);
    /* A text[] literal: each name quoted, quotes and backslashes escaped. */
    sbuf lit;
    sbuf_init(&lit, a, 64);
    sbuf_append_char(&lit, '{');
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (i)
            sbuf_append_char(&lit, ',');
        sbuf_append_char(&lit, '"');
        for (const char *p = json_string_value(v); *p; p++) {
            if (*p == '"' || *p == '\\')
                sbuf_append_char(&lit, '\\');
            sbuf_append_char(&lit, *p);
        }
        sbuf_append_char(&lit, '"');
    }
    sbuf_append_char(&lit, '}');
    json_decref(names);
    const char *params[1] = {sbuf_str(&lit)};
    eng_result *r = eng_exec(c, a, ROLES_SQL, 1, params, err);
    if (!r)
        return false;
    bool ok = true;
    for (int row = 0; row < eng_result_rows(r); row++) {
        const char *name = eng_result_value(r, row, 0);
        if (strcmp(eng_result_value(r, row, 1), "t") != 0) {
            err_add_item(err, ERR_CONFIG, "/auth/database_role",
                         "The PostgreSQL role \"%s\" does not exist; every request of that role "
                         "would fail (CREATE ROLE \"%s\" NOLOGIN, then GRANT it to retort's "
                         "login role).",
                         name, name);
            ok = false;
        } else if (strcmp(eng_result_value(r, row, 2), "t") != 0) {
            err_add_item(err, ERR_CONFIG, "/auth/database_role",
                         "retort's login role may not switch to the PostgreSQL role \"%s\" "
                         "(GRANT \"%s\" TO the login role).",
                         name, name);
            ok = false;
        }
    }
    return ok;
}
