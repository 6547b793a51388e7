/*
 * coro — coroutines on a per-thread event loop, so that code written as
 * plain blocking calls (the ORM, the engine's libpq waits) can wait for a
 * socket without holding a thread.
 *
 * A coro_loop belongs to the thread that calls coro_loop_run: an epoll
 * set, an eventfd for wake-ups from other threads, a timer heap and the
 * coroutines it runs. Coroutines are cooperative and never move between
 * threads: one runs until it waits (coro_wait_fd, coro_park, coro_sleep)
 * or returns. Each has its own mmap'ed stack with a guard page below it;
 * stacks are pooled by the loop and reused.
 *
 * The waits work everywhere: called from a coroutine they yield to the
 * loop; called from a plain thread (the health checker, the CLI, tests)
 * coro_wait_fd is poll() and coro_sleep is nanosleep. Code below the
 * loop therefore never needs to know where it runs. coro_park needs a
 * coroutine: threads keep their condition variables.
 *
 * Rules for code that runs in a coroutine: never hold a mutex across a
 * wait (another coroutine of the same thread may need it), never block
 * the thread in anything but these waits, and keep stack use moderate
 * (CORO_STACK_SIZE).
 *
 * Deadlines are CLOCK_MONOTONIC seconds (coro_now()); 0 means none.
 */
#ifndef RETORT_CORO_H
#define RETORT_CORO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct coro_loop coro_loop;
typedef struct coro coro;

/* Usable stack per coroutine (virtual; pages are committed on touch). */
#define CORO_STACK_SIZE ((size_t) 256 * 1024)

/* CLOCK_MONOTONIC in seconds. */
double coro_now(void);

/* A loop for the calling thread to run. on_notify, if not NULL, runs on
 * the loop's thread after every coro_loop_notify (from any thread; a
 * burst of notifications may be folded into one call); it may spawn. */
coro_loop *coro_loop_create(void (*on_notify)(coro_loop *l, void *arg), void *arg);
/* Runs until coro_loop_stop was called and no coroutine is left. */
void coro_loop_run(coro_loop *l);
/* Thread-safe: asks the loop to return once its coroutines have ended. */
void coro_loop_stop(coro_loop *l);
/* Thread-safe: makes the loop call on_notify soon. */
void coro_loop_notify(coro_loop *l);
/* After coro_loop_run has returned (or never ran). */
void coro_loop_destroy(coro_loop *l);
/* Coroutines alive on l (its own thread only). */
int coro_loop_count(const coro_loop *l);

/* Starts fn(arg) as a coroutine of l; from l's own thread only (in
 * on_notify or in one of its coroutines). It first runs at the loop's
 * next turn. */
void coro_spawn(coro_loop *l, void (*fn)(void *arg), void *arg);

/* The running coroutine, or NULL on a plain thread (or in the loop). */
coro *coro_self(void);

/* Waits until fd is ready for events (POLLIN and/or POLLOUT) or the
 * deadline passes. Returns the ready events (POLLERR and POLLHUP
 * included), 0 on the deadline, -1 on an error (errno). */
int coro_wait_fd(int fd, short events, double deadline);

/* Suspends the running coroutine until coro_wake(coro_self()) or the
 * deadline. A wake that came before the park is not lost: park returns at
 * once. May also return true spuriously: callers re-check their
 * condition (like a condition variable). False on the deadline. */
bool coro_park(double deadline);
/* Thread-safe: resumes c if it is parked, or makes its next park return.
 * c must still exist: wake it while holding the lock that keeps it
 * parked (its waiter record). */
void coro_wake(coro *c);

/* Sleeps for seconds: yields in a coroutine, nanosleep otherwise. */
void coro_sleep(double seconds);

#endif
