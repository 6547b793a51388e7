/*
 * W3C Trace Context: the trace id of a request's `traceparent` header,
 * for the access log and for the comment that carries it into
 * PostgreSQL (pg_stat_activity.query shows it), so a DBA can find the
 * request behind a query.
 *
 * traceparent = version "-" trace-id "-" parent-id "-" flags, lower-case
 * hex: 2, 32, 16 and 2 digits. Version ff is invalid; an all-zero trace or
 * parent id is invalid; a future version may append fields after the
 * flags ("-..."), which are ignored. Anything else: no trace id.
 */
#include <string.h>

#include "http_int.h"

static bool hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool zeros(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

const char *http__trace_id(http_request *req)
{
    if (req->trace_checked)
        return req->trace_id;
    req->trace_checked = true;
    const char *tp = http_req_header(req, "traceparent");
    if (!tp)
        return NULL;
    size_t n = strlen(tp);
    if (n < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' || !hex(tp, 2) ||
        !hex(tp + 3, 32) || !hex(tp + 36, 16) || !hex(tp + 53, 2))
        return NULL;
    if (strncmp(tp, "ff", 2) == 0 || zeros(tp + 3, 32) || zeros(tp + 36, 16))
        return NULL;
    if (strncmp(tp, "00", 2) == 0 ? n != 55 : (n > 55 && tp[55] != '-'))
        return NULL;
    req->trace_id = arena_strndup(req->arena, tp + 3, 32);
    return req->trace_id;
}

const char *http__sql_comment(http_request *req)
{
    const char *trace = http__trace_id(req);
    if (!trace)
        return NULL;
    /* Both parts are validated hex / printable without spaces; a request id
     * holding "*" or "/" is left out so the comment cannot be closed. */
    const char *id = req->request_id;
    bool safe_id = id && strpbrk(id, "*/") == NULL;
    return safe_id ? arena_sprintf(req->arena, "trace_id=%s request_id=%s", trace, id)
                   : arena_sprintf(req->arena, "trace_id=%s", trace);
}
