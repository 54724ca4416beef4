// A CPU sampler for Kiln's self-profiling: SIGPROF at a fixed rate of
// process CPU time, each sample the interrupted thread's return addresses.
// The signal handler only writes into a fixed ring of slots (no locks, no
// allocation); a Swift task drains it. Opt-in (`--self-profiling.enabled`).
#ifndef KILN_SAMPLER_H
#define KILN_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

// Most frames kept per sample (leaf first).
#define KILN_SAMPLER_MAX_DEPTH 64

// Starts sampling `hz` times per second of CPU time (ITIMER_PROF). Returns 0,
// or -1 with errno set. Calling it twice without stopping is an error.
int kiln_sampler_start(int hz);

// Stops the timer and restores the previous SIGPROF disposition.
void kiln_sampler_stop(void);

// Moves the finished samples into `out` as records [depth, pc × depth]
// (uintptr_t each) while they fit in `capacity` words; returns the words
// written. Samples that arrived while the ring was full are counted in
// kiln_sampler_dropped().
size_t kiln_sampler_drain(uintptr_t *out, size_t capacity);

// Samples lost because every slot was full.
uint64_t kiln_sampler_dropped(void);

// dladdr(3) for `pc`: its symbol (NULL when none), the object file and its
// load address. Returns 0 when no object contains `pc`.
int kiln_symbolize(uintptr_t pc, const char **symbol, const char **file, uintptr_t *base);

// Heap sampling (heap.c): Kiln's allocation functions are interposed; while
// sampling, about one allocation per `rate` bytes (Poisson, as Go samples)
// is recorded with its stack (leaf first, at most KILN_HEAP_MAX_DEPTH frames).
#define KILN_HEAP_MAX_DEPTH 32

// Starts sampling every `rate` bytes on average (Go's default: 512 KiB).
// Returns 0, or -1 with errno set.
int kiln_heap_start(size_t rate);

// Stops taking samples; the frees of sampled blocks are still tracked.
void kiln_heap_stop(void);

// Copies the sampled blocks still allocated into `out` as records
// [depth, size, pc × depth] while they fit in `capacity` words; returns the
// words written.
size_t kiln_heap_live(uintptr_t *out, size_t capacity);

// Moves the sampled allocations since the last call into `out`, as
// kiln_heap_live's records; returns the words written.
size_t kiln_heap_drain_allocations(uintptr_t *out, size_t capacity);

// Samples lost to a full table or ring.
uint64_t kiln_heap_dropped(void);

#endif
