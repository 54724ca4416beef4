// Kiln's heap self-profile: the process's allocation functions, interposed.
//
// The `kiln` executable exports its symbols (-export-dynamic), so these
// definitions of malloc, free and the rest take the place of glibc's for
// every library in the process, the Swift runtime included. Each forwards to
// glibc's own entry point (__libc_malloc …), so the heap itself is glibc's.
//
// While sampling is off (the default) the cost is one relaxed atomic load per
// call. While on, about one allocation per `rate` bytes is sampled, as Go's
// runtime samples (a Poisson process: the bytes to the next sample are drawn
// from an exponential distribution with mean `rate`); a sampled allocation
// records its size and stack (backtrace, taken before any lock) in a table of
// live samples and in a ring of allocation events. free() consults a counting
// filter first, so only frees of (probably) sampled blocks take the lock.
#define _GNU_SOURCE
#include "kiln_sampler.h"

#include <errno.h>
#include <execinfo.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

// Live samples: open addressing over LIVE_SLOTS, at most half of them live
// (16384 samples at the default rate of 512 KiB cover 8 GiB of heap). A slot
// key of 0 is empty, 1 a deleted entry; the table is rebuilt when deleted
// entries pass a quarter of the slots.
#define LIVE_SLOTS 32768
#define LIVE_MAX (LIVE_SLOTS / 2)
#define TOMBSTONE ((uintptr_t)1)
// Counting filter of sampled addresses: 2^20 one-byte counters.
#define FILTER_BITS 20
// Allocation events between drains: 4096, 2 GiB of allocation at the default
// rate (Kiln drains every 10 s).
#define EVENTS 4096

struct live {
    uintptr_t ptr;
    size_t size;
    int depth;
    void *pcs[KILN_HEAP_MAX_DEPTH];
};

enum { EMPTY = 0, WRITING = 1, FULL = 2 };

struct event {
    _Atomic int state;
    int depth;
    size_t size;
    void *pcs[KILN_HEAP_MAX_DEPTH];
};

static _Atomic size_t sample_rate;      // 0: not sampling
static _Atomic int tracking;            // set once sampling started: frees consult the filter
static _Atomic unsigned char *filter;   // mmap'ed 2^FILTER_BITS counters; set before `tracking`
static struct live *tables[2];          // mmap'ed; `live_table` is one of them
static struct live *live_table;
static size_t live_count, tombstones;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event events[EVENTS];
static _Atomic uint64_t next_event;
static _Atomic uint64_t heap_dropped;

// Per thread: bytes until the next sample, the random state, and a guard
// against sampling inside the sampler (backtrace may allocate). Initial-exec
// TLS: no allocation on first access.
static __thread int64_t countdown __attribute__((tls_model("initial-exec")));
static __thread uint64_t rng __attribute__((tls_model("initial-exec")));
static __thread int in_sampler __attribute__((tls_model("initial-exec")));

static inline size_t live_hash(uintptr_t p) { return (size_t)(((p >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - 15)); }
static inline size_t filter_hash(uintptr_t p) { return (size_t)(((p >> 4) * 0xC2B2AE3D27D4EB4Full) >> (64 - FILTER_BITS)); }

// Bytes to the next sample: an exponential draw with mean `rate`.
static int64_t draw(size_t rate) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    double u = ((double)(rng >> 11) + 1.0) / 9007199254740993.0;  // (0, 1]
    double d = -log(u) * (double)rate;
    return d > 1e12 ? (int64_t)1e12 : (int64_t)d + 1;
}

static inline int should_sample(size_t size) {
    size_t rate = atomic_load_explicit(&sample_rate, memory_order_relaxed);
    if (rate == 0 || in_sampler) return 0;
    if (rng == 0) {
        rng = ((uint64_t)(uintptr_t)&rng * 0x9E3779B97F4A7C15ull) ^ (uint64_t)time(NULL) ^ 1;
        countdown = draw(rate);
    }
    countdown -= (int64_t)size;
    if (countdown > 0) return 0;
    countdown = draw(rate);
    return 1;
}

// Slot of `p`, or of the first free slot on its probe path (insert == 1); -1 when absent.
static long find(struct live *t, uintptr_t p, int insert) {
    long reuse = -1;
    for (size_t i = 0, h = live_hash(p); i < LIVE_SLOTS; i++, h = (h + 1) & (LIVE_SLOTS - 1)) {
        uintptr_t k = t[h].ptr;
        if (k == p) return (long)h;
        if (k == TOMBSTONE) {
            if (reuse < 0) reuse = (long)h;
            continue;
        }
        if (k == 0) return insert ? (reuse >= 0 ? reuse : (long)h) : -1;
    }
    return insert ? reuse : -1;
}

// Moves the live entries into the other table, dropping deleted ones. Under live_lock.
static void rebuild(void) {
    struct live *next = live_table == tables[0] ? tables[1] : tables[0];
    memset(next, 0, sizeof(struct live) * LIVE_SLOTS);
    for (size_t i = 0; i < LIVE_SLOTS; i++) {
        if (live_table[i].ptr > TOMBSTONE) next[find(next, live_table[i].ptr, 1)] = live_table[i];
    }
    live_table = next;
    tombstones = 0;
}

__attribute__((noinline)) static void record(void *p, size_t size) {
    in_sampler = 1;
    void *pcs[KILN_HEAP_MAX_DEPTH + 2];
    // Frames 0 and 1 are this function and the interposed allocator.
    int depth = backtrace(pcs, KILN_HEAP_MAX_DEPTH + 2) - 2;
    if (depth < 0) depth = 0;
    uintptr_t key = (uintptr_t)p;
    pthread_mutex_lock(&live_lock);
    if (live_count >= LIVE_MAX) {
        atomic_fetch_add_explicit(&heap_dropped, 1, memory_order_relaxed);
    } else {
        long slot = find(live_table, key, 1);
        struct live *e = &live_table[slot];
        if (e->ptr != key) {
            if (e->ptr == TOMBSTONE) tombstones--;
            live_count++;
            size_t fh = filter_hash(key);
            // A saturated counter stays so: its blocks always take the lock.
            if (atomic_load_explicit(&filter[fh], memory_order_relaxed) < 255) atomic_fetch_add_explicit(&filter[fh], 1, memory_order_release);
        }
        e->ptr = key;
        e->size = size;
        e->depth = depth;
        memcpy(e->pcs, pcs + 2, sizeof(void *) * (size_t)depth);
    }
    pthread_mutex_unlock(&live_lock);
    uint64_t n = atomic_fetch_add_explicit(&next_event, 1, memory_order_relaxed);
    struct event *ev = &events[n % EVENTS];
    int expected = EMPTY;
    if (atomic_compare_exchange_strong_explicit(&ev->state, &expected, WRITING, memory_order_acquire, memory_order_relaxed)) {
        ev->depth = depth;
        ev->size = size;
        memcpy(ev->pcs, pcs + 2, sizeof(void *) * (size_t)depth);
        atomic_store_explicit(&ev->state, FULL, memory_order_release);
    } else {
        atomic_fetch_add_explicit(&heap_dropped, 1, memory_order_relaxed);
    }
    in_sampler = 0;
}

static inline void forget(void *p) {
    if (p == NULL || !atomic_load_explicit(&tracking, memory_order_acquire)) return;
    uintptr_t key = (uintptr_t)p;
    size_t fh = filter_hash(key);
    if (atomic_load_explicit(&filter[fh], memory_order_acquire) == 0) return;
    pthread_mutex_lock(&live_lock);
    long slot = find(live_table, key, 0);
    if (slot >= 0) {
        live_table[slot].ptr = TOMBSTONE;
        live_count--;
        tombstones++;
        if (atomic_load_explicit(&filter[fh], memory_order_relaxed) < 255) atomic_fetch_sub_explicit(&filter[fh], 1, memory_order_relaxed);
        if (tombstones > LIVE_SLOTS / 4) rebuild();
    }
    pthread_mutex_unlock(&live_lock);
}

static inline void *sampled(void *p, size_t size) {
    if (p != NULL && should_sample(size)) record(p, size);
    return p;
}

void *malloc(size_t size) { return sampled(__libc_malloc(size), size); }

void free(void *p) {
    forget(p);
    __libc_free(p);
}

void *calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) total = SIZE_MAX;
    return sampled(__libc_calloc(n, size), total);
}

void *realloc(void *p, size_t size) {
    forget(p);
    return sampled(__libc_realloc(p, size), size);
}

void *memalign(size_t alignment, size_t size) { return sampled(__libc_memalign(alignment, size), size); }

void *aligned_alloc(size_t alignment, size_t size) { return sampled(__libc_memalign(alignment, size), size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = sampled(p, size);
    return 0;
}

void *valloc(size_t size) { return sampled(__libc_valloc(size), size); }

void *pvalloc(size_t size) { return sampled(__libc_pvalloc(size), size); }

int kiln_heap_start(size_t rate) {
    if (rate == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&live_lock);
    if (live_table == NULL) {
        size_t bytes = sizeof(struct live) * LIVE_SLOTS;
        void *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *b = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *f = mmap(NULL, (size_t)1 << FILTER_BITS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED || b == MAP_FAILED || f == MAP_FAILED) {
            pthread_mutex_unlock(&live_lock);
            errno = ENOMEM;
            return -1;
        }
        tables[0] = a;
        tables[1] = b;
        live_table = a;
        filter = (_Atomic unsigned char *)f;
    }
    pthread_mutex_unlock(&live_lock);
    void *warm[2];
    (void)backtrace(warm, 2);  // loads the unwinder now, outside any allocator call
    atomic_store(&tracking, 1);
    atomic_store(&sample_rate, rate);
    return 0;
}

void kiln_heap_stop(void) { atomic_store(&sample_rate, 0); }  // frees keep being tracked

size_t kiln_heap_live(uintptr_t *out, size_t capacity) {
    size_t w = 0;
    pthread_mutex_lock(&live_lock);
    for (size_t i = 0; live_table != NULL && i < LIVE_SLOTS; i++) {
        struct live *e = &live_table[i];
        if (e->ptr <= TOMBSTONE) continue;
        if (w + 2 + (size_t)e->depth > capacity) break;
        out[w++] = (uintptr_t)e->depth;
        out[w++] = (uintptr_t)e->size;
        for (int j = 0; j < e->depth; j++) out[w++] = (uintptr_t)e->pcs[j];
    }
    pthread_mutex_unlock(&live_lock);
    return w;
}

size_t kiln_heap_drain_allocations(uintptr_t *out, size_t capacity) {
    size_t w = 0;
    for (size_t i = 0; i < EVENTS; i++) {
        struct event *ev = &events[i];
        if (atomic_load_explicit(&ev->state, memory_order_acquire) != FULL) continue;
        if (w + 2 + (size_t)ev->depth > capacity) break;
        out[w++] = (uintptr_t)ev->depth;
        out[w++] = (uintptr_t)ev->size;
        for (int j = 0; j < ev->depth; j++) out[w++] = (uintptr_t)ev->pcs[j];
        atomic_store_explicit(&ev->state, EMPTY, memory_order_release);
    }
    return w;
}

uint64_t kiln_heap_dropped(void) { return atomic_load(&heap_dropped); }
