#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Memory comes in chunks; a request typically fits in the first one, so a
 * request costs one malloc for its arena. Large allocations get a chunk of
 * their own so that a big body does not waste the remainder of a chunk. */
enum { CHUNK_SIZE = 16 * 1024, ALIGN = 16 };

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} chunk;

typedef struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *arg;
} cleanup;

struct arena {
    const char *name;
    arena *parent, *first_child, *next_sibling;
    chunk *chunks;
    cleanup *cleanups;
    size_t used;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "retort: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

arena *arena_create(arena *parent, const char *name)
{
    arena *a = xmalloc(sizeof *a);
    memset(a, 0, sizeof *a);
    a->name = name ? name : "unnamed";
    a->parent = parent;
    if (parent) {
        a->next_sibling = parent->first_child;
        parent->first_child = a;
    }
    return a;
}

static void unlink_from_parent(arena *a)
{
    if (!a->parent)
        return;
    for (arena **p = &a->parent->first_child; *p; p = &(*p)->next_sibling) {
        if (*p == a) {
            *p = a->next_sibling;
            break;
        }
    }
}

void arena_destroy(arena *a)
{
    if (!a)
        return;
    /* Callbacks first: they may still read memory of this arena. */
    while (a->cleanups) {
        cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
    }
    while (a->first_child) {
        arena *child = a->first_child;
        arena_destroy(child); /* unlinks itself */
    }
    unlink_from_parent(a);
    for (chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

static size_t round_up(size_t n)
{
    return (n + (ALIGN - 1)) & ~(size_t) (ALIGN - 1);
}

void *arena_alloc(arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - CHUNK_SIZE) {
        fprintf(stderr, "retort: allocation too large in arena %s\n", a->name);
        abort();
    }
    size_t need = round_up(n);
    chunk *c = a->chunks;
    if (!c || c->size - c->used < need) {
        size_t size = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;
        chunk *fresh = xmalloc(sizeof *fresh + size);
        fresh->size = size;
        fresh->used = 0;
        if (c && size != CHUNK_SIZE) {
            /* Keep the current chunk on top: it still has room. */
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            a->chunks = fresh;
        }
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void *arena_alloc_array(arena *a, size_t sz, size_t n)
{
    if (sz != 0 && n > SIZE_MAX / sz) {
        fprintf(stderr, "retort: array size overflow in arena %s\n", a->name);
        abort();
    }
    return arena_alloc(a, sz * n);
}

void *arena_realloc(arena *a, void *old, size_t old_n, size_t new_n)
{
    void *p = arena_alloc(a, new_n);
    if (old && old_n)
        memcpy(p, old, old_n < new_n ? old_n : new_n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *arena_grow(arena *a, void *array, size_t n, size_t elem_size)
{
    if (n == 0 || !array)
        return arena_alloc_array(a, elem_size, 4);
    if (n < 4 || (n & (n - 1)) != 0)
        return array; /* capacity is the next power of two >= 4: room left */
    if (n > SIZE_MAX / 2 / elem_size) {
        fprintf(stderr, "retort: array of %zu elements cannot grow\n", n);
        abort();
    }
    return arena_realloc(a, array, n * elem_size, 2 * n * elem_size);
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vsprintf(arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return arena_strdup(a, "");
    char *p = arena_alloc(a, (size_t) n + 1);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    return p;
}

char *arena_sprintf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_on_reset(arena *a, void (*fn)(void *), void *arg)
{
    cleanup *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}

size_t arena_used(const arena *a)
{
    return a->used;
}

const char *arena_name(const arena *a)
{
    return a->name;
}
