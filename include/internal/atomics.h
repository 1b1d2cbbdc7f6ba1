/* SPDX-License-Identifier: MIT */
/*
 * The atomics drift-c uses, named for intent (STYLE.md §7) over C11
 * <stdatomic.h>: relaxed reads and writes of a shared word, acquire loads
 * and release stores that order the data around an index, and a full
 * fence. No `volatile` for synchronisation anywhere else.
 *
 * The objects are _Atomic-qualified, lock-free on the platforms we build
 * for, so they work the same in memory shared between processes.
 */
#ifndef DRIFT_INTERNAL_ATOMICS_H
#define DRIFT_INTERNAL_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free (shared memory)");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free (shared memory)");

/* A value another thread may change; no ordering with anything else. */
#define read_once(p)	 atomic_load_explicit((p), memory_order_relaxed)
#define write_once(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

/* Reads after this see everything written before the matching store_release. */
#define load_acquire(p) atomic_load_explicit((p), memory_order_acquire)

/* Everything written before this is visible to whoever load_acquires the value. */
#define store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)

#define fetch_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)

#define fence_full() atomic_thread_fence(memory_order_seq_cst)

#endif
