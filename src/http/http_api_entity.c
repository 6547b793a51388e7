/*
 * One entity: GET, POST (create), PATCH (partial update through the unit
 * of work) and DELETE on /api/{resource}[/{id}]. Every handler commits or
 * rolls back explicitly; the worker closes the session afterwards.
 */
#include <string.h>

#include "dto.h"
#include "http_int.h"

/* The translated query parameters of a single-entity route: only include
 * and fields make sense there; anything else is a 400 naming it. */
static bool entity_params(http_request *req, const orm_mapper *m, query_doc *q,
                          err_report *err)
{
    size_t n = http_req_query_count(req);
    const char **names = ARENA_ARRAY(http_req_arena(req), const char *, n + 1);
    const char **values = ARENA_ARRAY(http_req_arena(req), const char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        http_req_query_at(req, i, &names[i], &values[i]);
        if (strcmp(names[i], "include") != 0 && strcmp(names[i], "fields") != 0)
            err_add_item(err, ERR_BAD_REQUEST, arena_sprintf(http_req_arena(req), "/%s", names[i]),
                         "Unknown query parameter \"%s\": a single %s takes include and fields.",
                         names[i], m->resource);
    }
    if (err_is_set(err))
        return false;
    query_limits lim = http__api_limits(req);
    return query_parse_params_model(m, http_req_arena(req), names, values, n, &lim, q, err);
}

/* The strong ETag of the entity's version; NULL without a version
 * column. Read before COMMIT, since expire_on_commit unloads values. */
static const char *etag_of(http_request *req, const orm_mapper *m, const orm_entity *e)
{
    if (m->version < 0)
        return NULL;
    const char *v = orm_entity_get(e, (size_t) m->version);
    return v ? arena_sprintf(http_req_arena(req), "\"%s\"", v) : NULL;
}

/* Whether an If-None-Match list holds etag (or "*"): the client's copy is
 * current. Weak tags compare by their opaque part (RFC 9110 §13.1.2). */
static bool none_match(const char *list, const char *etag)
{
    if (!list || !etag)
        return false;
    size_t elen = strlen(etag);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        const char *t = p;
        size_t tlen = len;
        if (tlen > 2 && t[0] == 'W' && t[1] == '/') {
            t += 2;
            tlen -= 2;
        }
        if ((len == 1 && *p == '*') || (tlen == elen && strncmp(t, etag, elen) == 0))
            return true;
        p += len;
    }
    return false;
}

static bool prefers_minimal(http_request *req)
{
    const char *prefer = http_req_header(req, "Prefer");
    return prefer && strstr(prefer, "return=minimal") != NULL;
}

static void reply_entity(http_request *req, int status, const char *etag)
{
    if (etag)
        http_add_header(req, "ETag", etag);
    if (status != 200 && status != 201) {
        http_reply_written(req, status);
        return;
    }
    if (http_req_method(req) != HTTP_GET && prefers_minimal(req)) {
        /* Prefer: return=minimal: the status, Location and ETag only. */
        http_add_header(req, "Preference-Applied", "return=minimal");
        http_reply_empty(req, status);
        return;
    }
    if (http_req_method(req) != HTTP_GET && http_req_header(req, "Prefer") &&
        strstr(http_req_header(req, "Prefer"), "return=representation"))
        http_add_header(req, "Preference-Applied", "return=representation");
    http_reply_written(req, status);
}

/* If-Match against the version column: "*" or the strong ETag. */
/* If-Match: compared with the loaded version here, and the write then
 * requires that version in its WHERE (a concurrent change is 412 too).
 * Without If-Match the write is unconditional. */
static bool if_match(http_request *req, const orm_mapper *m, orm_entity *e, err_report *err)
{
    const char *want = http_req_header(req, "If-Match");
    if (!want || m->version < 0)
        return true;
    orm_entity_require_version(e);
    const char *v = orm_entity_get(e, (size_t) m->version);
    const char *etag = arena_sprintf(http_req_arena(req), "\"%s\"", v ? v : "");
    /* A list of tags is allowed: any one matching is enough. */
    for (const char *p = want; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if ((len == 1 && *p == '*') || (len == strlen(etag) && strncmp(p, etag, len) == 0))
            return true;
        p += len;
    }
    err_set(err, ERR_STALE, "If-Match %s does not match the current version %s of this %s.",
            want, etag, m->name);
    return false;
}

static orm_entity *load_by_key(http_request *req, const orm_mapper *m, const orm_load_plan *plan,
                               err_report *err)
{
    const char **key = http__api_key(req, m, http_req_path_param_raw(req, "id"), err);
    if (!key)
        return NULL;
    orm_entity *e = NULL;
    if (!orm_session_get(http_req_session(req), m, key, plan, &e, err))
        return NULL;
    if (!e)
        err_set(err, ERR_NOT_FOUND, "There is no %s with key \"%s\".", m->resource,
                http_req_path_param(req, "id"));
    return e;
}

void http__api_get_entity(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    query_doc q;
    const orm_mapper *m = http__api_mapper(req, &err);
    const orm_load_plan *plan = NULL;
    orm_entity *e = NULL;
    bool csv;
    if (m && http__api_format(req, false, &csv, &err) && entity_params(req, m, &q, &err))
        plan = orm_load_plan_build(s, m, &q.load, &err);
    if (plan)
        e = load_by_key(req, m, plan, &err);
    /* The DTO is written before COMMIT: with expire_on_commit the values
     * would be gone afterwards. */
    if (e)
        dto_write_entity(http_reply_writer(req), e, plan, q.fields, q.n_fields);
    const char *etag = e ? etag_of(req, m, e) : NULL;
    if (!e) {
        http__api_fail(req, m, NULL, &err);
        return;
    }
    if (none_match(http_req_header(req, "If-None-Match"), etag)) {
        http_add_header(req, "ETag", etag);
        http_reply_empty(req, 304);
        return;
    }
    reply_entity(req, 200, etag);
}

/* The DTO of a created or updated entity carries the model-default eager
 * relationships; it is built before COMMIT so that a failing commit never
 * answers 2xx. */
static bool write_dto(http_request *req, const orm_mapper *m, orm_entity *e, err_report *err)
{
    orm_session *s = http_req_session(req);
    const orm_load_plan *plan = orm_load_plan_build(s, m, NULL, err);
    if (!plan || !orm_session_flush_final(s, err) || !orm_session_load_plan(s, &e, 1, plan, err))
        return false;
    dto_write_entity(http_reply_writer(req), e, plan, NULL, 0);
    return true;
}

void http__api_create_entity(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    if (!m) {
        http_reply_problem(req, &err);
        return;
    }
    orm_conflict conflict;
    bool upsert = false;
    for (size_t i = 0; i < http_req_query_count(req); i++) {
        const char *name, *value;
        http_req_query_at(req, i, &name, &value);
        if (strncmp(name, "on_conflict", 11) != 0)
            err_add_item(&err, ERR_BAD_REQUEST, arena_sprintf(http_req_arena(req), "/%s", name),
                         "Unknown query parameter \"%s\": a create takes on_conflict, "
                         "on_conflict_update and on_conflict_action.",
                         name);
    }
    if (err_is_set(&err) || !http__api_conflict(req, m, &conflict, &upsert, &err)) {
        http_reply_problem(req, &err);
        return;
    }
    orm_entity *e = orm_entity_new(s, m);
    const char *etag = NULL, *location = NULL;
    if (http__api_writable(req, m, http_req_json(req), "", &err) &&
        dto_apply_input(m, http_req_json(req), DTO_CREATE, "", 0, e, &err) &&
        (upsert ? orm_session_add_upsert(s, e, &conflict, &err) : orm_session_add(s, e, &err)) &&
        write_dto(req, m, e, &err) &&
        (etag = etag_of(req, m, e), location = http__api_location(http_req_arena(req), m, e))) {
        http_add_header(req, "Location", location);
        /* An upsert that found the row answers 200: nothing was created. */
        bool created = !upsert || orm_entity_upsert_outcome(e) == ORM_UPSERT_INSERTED;
        reply_entity(req, created ? 201 : 200, etag);
        return;
    }
    http__api_fail(req, m, "", &err);
}

void http__api_update_entity(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    const orm_mapper *m = http__api_mapper(req, &err);
    orm_entity *e = m ? load_by_key(req, m, NULL, &err) : NULL;
    if (e && if_match(req, m, e, &err) &&
        http__api_writable(req, m, http_req_json(req), "", &err) &&
        dto_apply_input(m, http_req_json(req), DTO_UPDATE, "", 0, e, &err) &&
        write_dto(req, m, e, &err)) {
        reply_entity(req, 200, etag_of(req, m, e));
        return;
    }
    http__api_fail(req, m, "", &err);
}

void http__api_delete_entity(http_request *req)
{
    err_report err;
    err_init(&err, http_req_arena(req));
    orm_session *s = http_req_session(req);
    const orm_mapper *m = http__api_mapper(req, &err);
    orm_entity *e = m ? load_by_key(req, m, NULL, &err) : NULL;
    /* The DELETE is flushed here, not by the commit after the handler:
     * a conflict must be described before the reply is chosen. */
    if (e && if_match(req, m, e, &err) && orm_session_delete(s, e, &err) &&
        orm_session_flush_final(s, &err)) {
        http_reply_empty(req, 204);
        return;
    }
    http__api_describe_delete_conflict(m, &err);
    http_reply_problem(req, &err);
}

