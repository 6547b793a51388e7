/*
 * coro — the loop, the coroutines, their waits. See coro.h.
 *
 * Shape of one loop turn: resume every ready coroutine (each runs until
 * it waits or ends), then epoll_wait for file descriptors, the eventfd
 * and the nearest timer, and make ready whatever woke. Who may touch
 * what:
 *  - everything but the inbox belongs to the loop's thread;
 *  - the inbox (coroutines woken from other threads, the notify flag) is
 *    guarded by inbox_mu; the eventfd is written when it goes from empty
 *    to non-empty.
 * A coroutine record is never freed while the loop lives (finished ones
 * are kept with their stacks for the next spawn), so a stale timer entry
 * is recognised by its generation and a stale wake only makes a later
 * wait return early, which every wait tolerates.
 *
 * Context switches: on x86-64 a dozen instructions that save the
 * callee-saved registers on the old stack and restore them from the new
 * one (no signal-mask system call, unlike swapcontext); elsewhere
 * ucontext. Under AddressSanitizer every switch is announced with the
 * fiber API, so that ASan knows which stack is current.
 */
#include "coro.h"

#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CORO_ASM_SWITCH 1
/* Saves rbp, rbx, r12-r15, MXCSR and the x87 control word on the current
 * stack, stores the stack pointer in *save, switches to `to` and restores
 * the same from there. */
void coro__switch(void **save, void *to);
__asm__(".text\n"
        ".globl coro__switch\n"
        ".hidden coro__switch\n"
        ".type coro__switch,@function\n"
        "coro__switch:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  subq $8, %rsp\n"
        "  stmxcsr (%rsp)\n"
        "  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  ldmxcsr (%rsp)\n"
        "  fldcw 4(%rsp)\n"
        "  addq $8, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size coro__switch,.-coro__switch\n");
#else
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

typedef enum co_state {
    CO_READY,   /* in the ready list */
    CO_RUNNING, /* the current coroutine */
    CO_WAIT_FD, /* registered in epoll (and maybe the timer heap) */
    CO_PARKED,  /* waiting for coro_wake (and maybe a timer) */
    CO_SLEEP,   /* waiting for a timer only */
    CO_DONE     /* returned; record and stack kept for reuse */
} co_state;

struct coro {
    coro_loop *loop;
#ifdef CORO_ASM_SWITCH
    void *sp;
#else
    ucontext_t ctx;
#endif
    void *stack; /* the usable stack, above the guard page */
    size_t stack_size;
    void (*fn)(void *);
    void *arg;
    co_state state;
    unsigned gen;          /* bumped at every wait: timer entries name it */
    int revents;           /* epoll's events, set when woken by the fd */
    bool timer_fired;      /* woken by its deadline */
    _Atomic int wake_pending;
    bool in_inbox;         /* under loop->inbox_mu */
    coro *next;            /* ready list, free list */
    coro *inbox_next;      /* under loop->inbox_mu */
#ifdef CORO_ASAN
    void *fake_stack;
#endif
};

typedef struct timer_entry {
    double deadline;
    coro *c;
    unsigned gen;
} timer_entry;

struct coro_loop {
    int epfd, evfd;
    void (*on_notify)(coro_loop *, void *);
    void *notify_arg;
#ifdef CORO_ASM_SWITCH
    void *sp; /* the loop's own context */
#else
    ucontext_t ctx;
#endif
    coro *current;
    coro *ready_head, *ready_tail;
    coro *free_list;
    int alive;
    timer_entry *timers;
    size_t n_timers, cap_timers;
    _Atomic bool stopping;

    pthread_mutex_t inbox_mu;
    coro *inbox; /* woken from elsewhere */
    bool notified;
    bool signalled; /* the eventfd holds a value not yet read */

#ifdef CORO_ASAN
    void *fake_stack;
    const void *thread_stack_bottom;
    size_t thread_stack_size;
#endif
};

static _Thread_local coro_loop *tls_loop; /* the loop this thread runs */

double coro_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

coro *coro_self(void)
{
    return tls_loop ? tls_loop->current : NULL;
}

/* ------------------------------------------------------------------------
 * Switching (with ASan's fiber annotations)
 * ------------------------------------------------------------------------ */

/* Loop → coroutine c. Returns when c waits or ends. */
static void switch_to(coro_loop *l, coro *c)
{
    l->current = c;
    c->state = CO_RUNNING;
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&l->fake_stack, c->stack, c->stack_size);
#endif
#ifdef CORO_ASM_SWITCH
    coro__switch(&l->sp, c->sp);
#else
    swapcontext(&l->ctx, &c->ctx);
#endif
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(l->fake_stack, NULL, NULL);
#endif
    l->current = NULL;
}

/* Coroutine → loop; returns when the loop resumes it. */
static void yield_to_loop(coro *c)
{
    coro_loop *l = c->loop;
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&c->fake_stack, l->thread_stack_bottom, l->thread_stack_size);
#endif
#ifdef CORO_ASM_SWITCH
    coro__switch(&c->sp, l->sp);
#else
    swapcontext(&c->ctx, &l->ctx);
#endif
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(c->fake_stack, NULL, NULL);
#endif
}

static void trampoline(void)
{
    coro_loop *l = tls_loop;
    coro *c = l->current;
#ifdef CORO_ASAN
    /* First entry: learn the thread's own stack, to switch back to it. */
    __sanitizer_finish_switch_fiber(NULL, &l->thread_stack_bottom, &l->thread_stack_size);
#endif
    c->fn(c->arg);
    c->state = CO_DONE;
#ifdef CORO_ASAN
    /* NULL: this fiber's fake stack is released, it never comes back. */
    __sanitizer_start_switch_fiber(NULL, l->thread_stack_bottom, l->thread_stack_size);
#endif
#ifdef CORO_ASM_SWITCH
    coro__switch(&c->sp, l->sp);
#else
    setcontext(&l->ctx);
#endif
    abort(); /* not reached */
}

/* ------------------------------------------------------------------------
 * Ready list, timers, inbox
 * ------------------------------------------------------------------------ */

static void make_ready(coro_loop *l, coro *c)
{
    c->state = CO_READY;
    c->next = NULL;
    if (l->ready_tail)
        l->ready_tail->next = c;
    else
        l->ready_head = c;
    l->ready_tail = c;
}

static void heap_swap(timer_entry *t, size_t a, size_t b)
{
    timer_entry x = t[a];
    t[a] = t[b];
    t[b] = x;
}

static void timer_add(coro_loop *l, coro *c, double deadline)
{
    if (l->n_timers == l->cap_timers) {
        l->cap_timers = l->cap_timers ? 2 * l->cap_timers : 64;
        l->timers = realloc(l->timers, l->cap_timers * sizeof *l->timers);
        if (!l->timers)
            abort();
    }
    size_t i = l->n_timers++;
    l->timers[i] = (timer_entry){deadline, c, c->gen};
    while (i > 0 && l->timers[(i - 1) / 2].deadline > l->timers[i].deadline) {
        heap_swap(l->timers, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void timer_pop(coro_loop *l)
{
    l->timers[0] = l->timers[--l->n_timers];
    size_t i = 0;
    for (;;) {
        size_t a = 2 * i + 1, b = a + 1, m = i;
        if (a < l->n_timers && l->timers[a].deadline < l->timers[m].deadline)
            m = a;
        if (b < l->n_timers && l->timers[b].deadline < l->timers[m].deadline)
            m = b;
        if (m == i)
            break;
        heap_swap(l->timers, i, m);
        i = m;
    }
}

static bool timer_live(const timer_entry *t)
{
    co_state s = t->c->state;
    return t->gen == t->c->gen && (s == CO_WAIT_FD || s == CO_PARKED || s == CO_SLEEP);
}

/* Fires due timers; returns the wait in ms until the next (-1: none). */
static int run_timers(coro_loop *l)
{
    double now = coro_now();
    while (l->n_timers > 0) {
        timer_entry t = l->timers[0];
        if (!timer_live(&t)) {
            timer_pop(l);
            continue;
        }
        if (t.deadline > now) {
            double ms = (t.deadline - now) * 1000.0;
            return ms > 1e7 ? 10000000 : (int) ms + 1;
        }
        timer_pop(l);
        t.c->timer_fired = true;
        make_ready(l, t.c);
    }
    return -1;
}

static void signal_locked(coro_loop *l)
{
    if (l->signalled)
        return;
    l->signalled = true;
    uint64_t one = 1;
    ssize_t n = write(l->evfd, &one, sizeof one);
    (void) n; /* EAGAIN: the counter is full, a wake-up is pending anyway */
}

/* Takes what other threads left: woken coroutines, notifications. */
static bool drain_inbox(coro_loop *l)
{
    uint64_t v;
    ssize_t n = read(l->evfd, &v, sizeof v);
    (void) n;
    pthread_mutex_lock(&l->inbox_mu);
    coro *list = l->inbox;
    l->inbox = NULL;
    bool notified = l->notified;
    l->notified = false;
    l->signalled = false;
    for (coro *c = list; c; c = c->inbox_next)
        c->in_inbox = false;
    pthread_mutex_unlock(&l->inbox_mu);
    for (coro *c = list, *next; c; c = next) {
        next = c->inbox_next;
        if (c->state == CO_PARKED)
            make_ready(l, c);
    }
    return notified;
}

/* ------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

coro_loop *coro_loop_create(void (*on_notify)(coro_loop *, void *), void *arg)
{
    coro_loop *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->evfd < 0) {
        if (l->epfd >= 0)
            close(l->epfd);
        if (l->evfd >= 0)
            close(l->evfd);
        free(l);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev);
    l->on_notify = on_notify;
    l->notify_arg = arg;
    pthread_mutex_init(&l->inbox_mu, NULL);
    atomic_init(&l->stopping, false);
    return l;
}

void coro_loop_stop(coro_loop *l)
{
    atomic_store(&l->stopping, true);
    pthread_mutex_lock(&l->inbox_mu);
    signal_locked(l);
    pthread_mutex_unlock(&l->inbox_mu);
}

void coro_loop_notify(coro_loop *l)
{
    pthread_mutex_lock(&l->inbox_mu);
    l->notified = true;
    signal_locked(l);
    pthread_mutex_unlock(&l->inbox_mu);
}

int coro_loop_count(const coro_loop *l)
{
    return l->alive;
}

static void finished(coro_loop *l, coro *c)
{
    /* A wake may still be queued for it: drop it before reuse. */
    pthread_mutex_lock(&l->inbox_mu);
    if (c->in_inbox) {
        coro **pp = &l->inbox;
        while (*pp != c)
            pp = &(*pp)->inbox_next;
        *pp = c->inbox_next;
        c->in_inbox = false;
    }
    pthread_mutex_unlock(&l->inbox_mu);
    c->gen++;
    c->next = l->free_list;
    l->free_list = c;
    l->alive--;
}

void coro_loop_run(coro_loop *l)
{
    tls_loop = l;
    struct epoll_event evs[64];
    for (;;) {
        while (l->ready_head) {
            coro *c = l->ready_head;
            l->ready_head = c->next;
            if (!l->ready_head)
                l->ready_tail = NULL;
            switch_to(l, c);
            if (c->state == CO_DONE)
                finished(l, c);
        }
        if (atomic_load(&l->stopping) && l->alive == 0) {
            /* A notification sent just before the stop still counts. */
            if (drain_inbox(l) && l->on_notify)
                l->on_notify(l, l->notify_arg);
            if (l->alive == 0 && !l->ready_head)
                break;
            continue;
        }
        int timeout = run_timers(l);
        if (l->ready_head)
            continue;
        int n = epoll_wait(l->epfd, evs, 64, timeout);
        bool notified = false;
        for (int i = 0; i < n; i++) {
            coro *c = evs[i].data.ptr;
            if (!c) {
                notified |= drain_inbox(l);
            } else if (c->state == CO_WAIT_FD) {
                c->revents = (int) evs[i].events;
                make_ready(l, c);
            }
        }
        if (notified && l->on_notify)
            l->on_notify(l, l->notify_arg);
        run_timers(l);
    }
    tls_loop = NULL;
}

void coro_loop_destroy(coro_loop *l)
{
    if (!l)
        return;
    for (coro *c = l->free_list, *next; c; c = next) {
        next = c->next;
        munmap((char *) c->stack - sysconf(_SC_PAGESIZE), c->stack_size + (size_t) sysconf(_SC_PAGESIZE));
        free(c);
    }
    free(l->timers);
    close(l->epfd);
    close(l->evfd);
    pthread_mutex_destroy(&l->inbox_mu);
    free(l);
}

/* ------------------------------------------------------------------------
 * Coroutines
 * ------------------------------------------------------------------------ */

static coro *coro_new(coro_loop *l)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t size = (CORO_STACK_SIZE + page - 1) / page * page;
#ifdef CORO_ASAN
    size *= 4; /* ASan's redzones make frames several times larger */
#endif
    char *mem = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED)
        abort();
    /* The guard page: an overflow faults instead of writing over the
     * neighbouring mapping. */
    if (mprotect(mem, page, PROT_NONE) != 0)
        abort();
    coro *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->loop = l;
    c->stack = mem + page;
    c->stack_size = size;
    atomic_init(&c->wake_pending, 0);
    return c;
}

void coro_spawn(coro_loop *l, void (*fn)(void *), void *arg)
{
    coro *c = l->free_list;
    if (c)
        l->free_list = c->next;
    else
        c = coro_new(l);
    c->fn = fn;
    c->arg = arg;
    c->revents = 0;
    c->timer_fired = false;
    atomic_store(&c->wake_pending, 0);
#ifdef CORO_ASAN
    /* The last run's trampoline frame never returned: its redzones. */
    ASAN_UNPOISON_MEMORY_REGION(c->stack, c->stack_size);
#endif
#ifdef CORO_ASM_SWITCH
    /* A stack as coro__switch leaves it, returning into the trampoline
     * as if called: [csr][r15..rbp = 0][trampoline][0], with the stack
     * pointer at 8 mod 16 on entry, as the ABI wants after a call. */
    void **sp = (void **) (((uintptr_t) c->stack + c->stack_size) & ~(uintptr_t) 15);
    void (*entry)(void) = trampoline;
    *--sp = NULL;
    --sp;
    memcpy(sp, &entry, sizeof entry);
    for (int i = 0; i < 6; i++)
        *--sp = NULL;
    uint64_t csr = 0x1F80u | (uint64_t) 0x037Fu << 32; /* the defaults */
    --sp;
    memcpy(sp, &csr, sizeof csr);
    c->sp = sp;
#else
    getcontext(&c->ctx);
    c->ctx.uc_stack.ss_sp = c->stack;
    c->ctx.uc_stack.ss_size = c->stack_size;
    c->ctx.uc_link = NULL;
    makecontext(&c->ctx, trampoline, 0);
#endif
    l->alive++;
    make_ready(l, c);
}

/* ------------------------------------------------------------------------
 * Waits
 * ------------------------------------------------------------------------ */

static int poll_fd(int fd, short events, double deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline > 0) {
            double left = deadline - coro_now();
            if (left <= 0)
                return 0;
            ms = left > 1e7 ? 10000000 : (int) (left * 1000) + 1;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return pfd.revents;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

int coro_wait_fd(int fd, short events, double deadline)
{
    coro *c = coro_self();
    if (!c)
        return poll_fd(fd, events, deadline);
    coro_loop *l = c->loop;
    struct epoll_event ev = {.events = (uint32_t) events | EPOLLONESHOT, .data.ptr = c};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
        return poll_fd(fd, events, deadline); /* e.g. a regular file */
    c->gen++;
    c->revents = 0;
    c->timer_fired = false;
    if (deadline > 0)
        timer_add(l, c, deadline);
    while (c->revents == 0 && !c->timer_fired) {
        c->state = CO_WAIT_FD;
        yield_to_loop(c); /* a stale wake may resume it: wait again */
    }
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    int r = c->revents;
    c->gen++;
    return r;
}

bool coro_park(double deadline)
{
    coro *c = coro_self();
    if (!c)
        abort(); /* threads wait on condition variables */
    if (atomic_exchange(&c->wake_pending, 0))
        return true;
    coro_loop *l = c->loop;
    c->gen++;
    c->timer_fired = false;
    if (deadline > 0)
        timer_add(l, c, deadline);
    c->state = CO_PARKED;
    yield_to_loop(c);
    c->gen++;
    if (atomic_exchange(&c->wake_pending, 0))
        return true;
    return !c->timer_fired; /* neither: spurious, the caller re-checks */
}

void coro_wake(coro *c)
{
    if (atomic_exchange(&c->wake_pending, 1))
        return; /* a wake is already on its way */
    coro_loop *l = c->loop;
    if (tls_loop == l) { /* its own thread: no eventfd needed */
        if (c->state == CO_PARKED)
            make_ready(l, c);
        return;
    }
    pthread_mutex_lock(&l->inbox_mu);
    if (!c->in_inbox) {
        c->in_inbox = true;
        c->inbox_next = l->inbox;
        l->inbox = c;
        signal_locked(l);
    }
    pthread_mutex_unlock(&l->inbox_mu);
}

void coro_sleep(double seconds)
{
    coro *c = coro_self();
    if (!(seconds > 0))
        return;
    if (!c) {
        struct timespec ts = {(time_t) seconds, (long) ((seconds - (double) (time_t) seconds) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return;
    }
    double deadline = coro_now() + seconds;
    coro_loop *l = c->loop;
    do {
        c->gen++;
        c->timer_fired = false;
        timer_add(l, c, deadline);
        c->state = CO_SLEEP;
        yield_to_loop(c);
    } while (!c->timer_fired);
    c->gen++;
}
