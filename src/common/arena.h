/*
 * arena — region allocator with hierarchical lifetimes.
 *
 * Every request's memory comes from its arena; process-lifetime data
 * (config, mappers, statement cache) lives in a process arena. Allocation
 * never returns NULL (it aborts on out-of-memory), so callers never check.
 * Non-memory resources (PGresult, json_t, pooled connections) are tied to
 * an arena with arena_on_reset(), so one arena_destroy() releases
 * everything on every path, error paths included.
 *
 * Thread-safety: an arena is used by one thread at a time. A request moves
 * between threads (I/O thread -> database worker -> I/O thread) but is
 * never touched by two at once, and the hand-over goes through a mutex.
 */
#ifndef RETORT_ARENA_H
#define RETORT_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

/* Creates an arena. With a parent, the child is destroyed when the parent
 * is (children first). The name appears in leak and debug reports and must
 * outlive the arena (a string literal). */
arena *arena_create(arena *parent, const char *name);

/* Runs the reset callbacks (last registered first), destroys children and
 * frees all memory. NULL is accepted. */
void arena_destroy(arena *a);

/* Zeroed memory, aligned for any type, living until the arena dies. */
void *arena_alloc(arena *a, size_t n);

/* Zeroed array of n elements of sz bytes; aborts if sz*n overflows. */
void *arena_alloc_array(arena *a, size_t sz, size_t n);

/* Grows an allocation made from this arena (the old block stays in the
 * arena until it dies). Copies old_n bytes; new bytes are zeroed. */
void *arena_realloc(arena *a, void *old, size_t old_n, size_t new_n);

/* Append-only arrays without a capacity field: capacity is implicit (4,
 * then doubling at powers of two). Returns the (maybe moved) array with
 * room for one more element at index n. ARENA_PUSH(a, arr, n, T) makes
 * room in place; then arr[n++] = x. */
void *arena_grow(arena *a, void *array, size_t n, size_t elem_size);
#define ARENA_PUSH(a, array, n, T) ((array) = (T *) arena_grow((a), (array), (n), sizeof(T)))

/* Copies of strings, living in a. NULL in, NULL out. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_sprintf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Registers fn(arg) to run when the arena is destroyed; callbacks run in
 * reverse order of registration, before any memory is freed. */
void arena_on_reset(arena *a, void (*fn)(void *), void *arg);

/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const arena *a);
const char *arena_name(const arena *a);

#define ARENA_NEW(a, T) ((T *) arena_alloc((a), sizeof(T)))
#define ARENA_ARRAY(a, T, n) ((T *) arena_alloc_array((a), sizeof(T), (n)))

#endif
