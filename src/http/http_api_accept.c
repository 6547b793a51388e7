/*
 * Content negotiation (SPEC.md §5 "CSV"): JSON unless the Accept header
 * prefers text/csv where a route can give it; an Accept that excludes
 * everything the route can give is a 406, not a JSON body the client said
 * it cannot read. The q-value reading here serves Accept-Encoding too.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* The q the header gives the entry named `name`, or -1 when it names it
 * not. */
static double entry_quality(const char *header, const char *name)
{
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t n = strcspn(p, ";,");
        while (n && p[n - 1] == ' ')
            n--;
        if (n == strlen(name) && strncasecmp(p, name, n) == 0) {
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
            return q;
        }
        p += len;
    }
    return -1;
}

double http__header_quality(const char *header, const char *const *names)
{
    for (size_t i = 0; header && names[i]; i++) {
        double q = entry_quality(header, names[i]);
        if (q >= 0)
            return q;
    }
    return -1;
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
    double json = http__header_quality(accept, JSON);
    double text = csv_ok ? http__header_quality(accept, CSV) : -1;
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
