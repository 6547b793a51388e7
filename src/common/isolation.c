/*
 * isolation — the one parser of isolation level names (see isolation.h).
 */
#include "isolation.h"

#include <string.h>
#include <strings.h>

/* The documented levels first; READ UNCOMMITTED is accepted, not offered. */
static const char *const ALL_LEVELS[] = {"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE",
                                         "READ UNCOMMITTED"};
const char *const ISOLATION_LEVELS[] = {"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"};
const size_t ISOLATION_N_LEVELS = sizeof ISOLATION_LEVELS / sizeof ISOLATION_LEVELS[0];

const char *isolation_level_parse(const char *text)
{
    char buf[32];
    size_t n = text ? strlen(text) : sizeof buf;
    if (n >= sizeof buf)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '_' ? ' ' : text[i];
    for (size_t i = 0; i < sizeof ALL_LEVELS / sizeof ALL_LEVELS[0]; i++)
        if (strcasecmp(buf, ALL_LEVELS[i]) == 0)
            return ALL_LEVELS[i];
    return NULL;
}
