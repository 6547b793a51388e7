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
    /* Runs of blanks (newlines, the tab libpq indents with) become one
     * space; leading and trailing blanks go. */
    char *s = arena_alloc(a, strlen(msg) + 1), *out = s;
    for (const char *q = msg; *q; q++) {
        bool blank = *q == '\n' || *q == '\r' || *q == '\t' || *q == ' ';
        if (!blank)
            *out++ = *q;
        else if (out > s && out[-1] != ' ')
            *out++ = ' ';
    }
    while (out > s && out[-1] == ' ')
        out--;
    *out = '\0';
    return s;
}
