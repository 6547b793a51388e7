/*
 * auth_policy — what a role may do with a model, from the models'
 * "permissions" (SPEC.md §5): admin roles may do everything; a role without
 * a permission on a model does not see it (404, which hides that it
 * exists); a role that sees it but lacks the operation gets 403; the
 * anonymous role gets 401 for both (credentials might help).
 */
#include <string.h>

#include "auth.h"

static bool unrestricted(const cfg_config *cfg, const auth_identity *id)
{
    return !cfg->auth.enabled || !id || !id->role || cfg_is_admin_role(cfg, id->role);
}

const cfg_permission *auth_permission(const cfg_config *cfg, const auth_identity *id,
                                      const cfg_model *m)
{
    if (unrestricted(cfg, id))
        return NULL;
    return cfg_permission_for(m, id->role);
}

auth_verdict auth_check(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                        cfg_operation op)
{
    if (unrestricted(cfg, id))
        return AUTH_ALLOW;
    const cfg_permission *p = cfg_permission_for(m, id->role);
    if (!p)
        return AUTH_HIDDEN;
    return (p->operations & op) ? AUTH_ALLOW : AUTH_DENIED;
}

static bool listed(const char *const *list, size_t n, const char *column)
{
    if (!list)
        return true; /* "*" */
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], column) == 0)
            return true;
    return false;
}

bool auth_can_read(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                   const char *column)
{
    if (unrestricted(cfg, id))
        return true;
    const cfg_permission *p = cfg_permission_for(m, id->role);
    return p && listed(p->read, p->n_read, column);
}

bool auth_can_write(const cfg_config *cfg, const auth_identity *id, const cfg_model *m,
                    const char *column)
{
    if (unrestricted(cfg, id))
        return true;
    const cfg_permission *p = cfg_permission_for(m, id->role);
    return p && listed(p->write, p->n_write, column);
}

void auth_refuse(const auth_identity *id, auth_verdict v, const cfg_model *m, cfg_operation op,
                 err_report *err)
{
    const char *what = cfg_operation_name(op);
    /* SPEC.md §5: credentials might help an anonymous request, so it gets
     * 401 whether the model is hidden or the operation is denied. */
    if (id && id->anonymous)
        err_set(err, ERR_UNAUTHORIZED, "This request needs credentials.");
    else if (v == AUTH_HIDDEN)
        err_set(err, ERR_NOT_FOUND, "There is no resource named \"%s\".", m->table);
    else
        err_set(err, ERR_FORBIDDEN, "Your role may not %s %s.", what ? what : "use", m->table);
}
