/*
 * eng_util — clock and heap helpers shared by the engine's files.
 */
#include "eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double eng__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Like the arena: allocation never returns NULL, so callers never check. */
void *eng__xmalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "retort: out of memory (%zu bytes) in the engine\n", n);
        abort();
    }
    return p;
}

char *eng__xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = eng__xmalloc(n);
    memcpy(p, s, n);
    return p;
}

const char *eng__one_line(arena *a, const char *msg)
{
    if (!msg || !*msg)
        return "the database connection failed";
    if (!a)
        return NULL;
    char *s = arena_strdup(a, msg);
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    for (char *q = s; *q; q++)
        if (*q == '\n' || *q == '\r' || *q == '\t')
            *q = ' ';
    return s;
}
