/*
 * Content negotiation (SPEC.md §5 "CSV"): JSON unless the Accept header
 * prefers text/csv where a route can give it; an Accept that excludes
 * everything the route can give is a 406, not a JSON body the client said
 * it cannot read.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* The q of the best Accept entry matching one of types (NULL-ended), or
 * -1 when none matches. */
static double quality(const char *accept, const char *const *types)
{
    double best = -1;
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t name = strcspn(p, ";,");
        while (name && p[name - 1] == ' ')
            name--;
        double q = 1;
        const char *semi = memchr(p, ';', len);
        for (const char *s = semi; s && s < p + len;) {
            s++;
            while (*s == ' ')
                s++;
            if ((s[0] == 'q' || s[0] == 'Q') && s[1] == '=')
                q = strtod(s + 2, NULL);
            s = memchr(s, ';', (size_t) (p + len - s));
        }
        for (size_t t = 0; types[t]; t++)
            if (strlen(types[t]) == name && strncasecmp(p, types[t], name) == 0 && q > best)
                best = q;
        p += len;
    }
    return best;
}

bool http__api_format(http_request *req, bool csv_ok, bool *csv, err_report *err)
{
    *csv = false;
    const char *accept = http_req_header(req, "Accept");
    if (!accept || !*accept)
        return true;
    static const char *const JSON[] = {"application/json", "application/problem+json",
                                       "application/*", "*/*", NULL};
    static const char *const CSV[] = {"text/csv", "text/*", NULL};
    double json = quality(accept, JSON);
    double text = csv_ok ? quality(accept, CSV) : -1;
    if (text > 0 && text > json) {
        *csv = true;
        return true;
    }
    if (json > 0)
        return true;
    err_set(err, ERR_NOT_ACCEPTABLE,
            "This resource is sent as application/json%s; the Accept header (%s) allows "
            "neither.",
            csv_ok ? " or text/csv" : "", accept);
    return false;
}
