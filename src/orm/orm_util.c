/*
 * orm_util — the small containers the ORM needs, all in an arena: a
 * pointer vector, a string-keyed hash map (the identity map, key ->
 * parents during a selectin load) and a set of pointer triples
 * (de-duplication of joined rows). Grown by doubling; the old blocks stay
 * in the arena until it dies, which is fine for request-sized data.
 */
#include <string.h>

#include "orm_int.h"

void orm__vec_push(arena *a, orm__vec *v, void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        v->items = arena_realloc(a, v->items, v->cap * sizeof *v->items, cap * sizeof *v->items);
        v->cap = cap;
    }
    v->items[v->n++] = item;
}

/* ==== string map ========================================================== */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Slot of key, or of the empty slot where it would go. Tombstones are
 * keys pointing at TOMBSTONE. */
static const char TOMBSTONE[] = "";

static size_t strmap_find(const orm__strmap *m, const char *key, bool for_insert)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t) hash_str(key) & mask;
    size_t first_free = SIZE_MAX;
    for (;;) {
        const char *k = m->keys[i];
        if (!k)
            return for_insert && first_free != SIZE_MAX ? first_free : i;
        if (k == TOMBSTONE) {
            if (first_free == SIZE_MAX)
                first_free = i;
        } else if (strcmp(k, key) == 0) {
            return i;
        }
        i = (i + 1) & mask;
    }
}

void *orm__strmap_get(const orm__strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t i = strmap_find(m, key, false);
    return m->keys[i] && m->keys[i] != TOMBSTONE ? m->values[i] : NULL;
}

static void strmap_grow(arena *a, orm__strmap *m)
{
    orm__strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->keys = ARENA_ARRAY(a, const char *, m->cap);
    m->values = ARENA_ARRAY(a, void *, m->cap);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] && old.keys[i] != TOMBSTONE) {
            size_t j = strmap_find(m, old.keys[i], true);
            m->keys[j] = old.keys[i];
            m->values[j] = old.values[i];
            m->n++;
        }
}

void orm__strmap_put(arena *a, orm__strmap *m, const char *key, void *value)
{
    /* n counts tombstones too, so probing always finds an empty slot. */
    if ((m->n + 1) * 4 > m->cap * 3)
        strmap_grow(a, m);
    size_t i = strmap_find(m, key, true);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->values[i] = value;
}

void orm__strmap_remove(orm__strmap *m, const char *key)
{
    if (!m->cap)
        return;
    size_t i = strmap_find(m, key, false);
    if (m->keys[i] && m->keys[i] != TOMBSTONE) {
        m->keys[i] = TOMBSTONE;
        m->values[i] = NULL;
    }
}

/* ==== triple set ========================================================== */

struct orm__triple {
    const void *x, *y;
    size_t z;
    bool used;
};

static size_t triple_hash(const void *x, const void *y, size_t z)
{
    uint64_t h = (uint64_t) (uintptr_t) x * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t) (uintptr_t) y + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= (uint64_t) z * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 29;
    return (size_t) h;
}

static void tripleset_grow(arena *a, orm__tripleset *s)
{
    orm__tripleset old = *s;
    s->cap = old.cap ? old.cap * 2 : 64;
    s->slots = ARENA_ARRAY(a, struct orm__triple, s->cap);
    s->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used)
            orm__tripleset_add(a, s, old.slots[i].x, old.slots[i].y, old.slots[i].z);
}

bool orm__tripleset_add(arena *a, orm__tripleset *s, const void *x, const void *y, size_t z)
{
    if ((s->n + 1) * 4 > s->cap * 3)
        tripleset_grow(a, s);
    size_t mask = s->cap - 1;
    for (size_t i = triple_hash(x, y, z) & mask;; i = (i + 1) & mask) {
        struct orm__triple *t = &s->slots[i];
        if (!t->used) {
            *t = (struct orm__triple){.x = x, .y = y, .z = z, .used = true};
            s->n++;
            return true;
        }
        if (t->x == x && t->y == y && t->z == z)
            return false;
    }
}
