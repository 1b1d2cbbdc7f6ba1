/* SPDX-License-Identifier: MIT */
/*
 * A single-producer, single-consumer ring of fixed-size entries, laid out
 * in one flat block with no pointers inside, so it can live in memory shared
 * between processes (driftd <-> drift-dp event rings, application rings) as
 * well as between threads.
 *
 * Shape (STYLE.md §7): a power-of-two number of entries; free-running u32
 * producer and consumer indices, masked on access (unsigned wrap-around
 * keeps `prod - cons` right); each side keeps a cached copy of the other's
 * index and reads the real one (acquire) only when the cache runs dry; one
 * release store per batch. Producer and consumer state sit on separate cache
 * lines so the two sides do not bounce one line between cores.
 *
 *   producer: n = spsc_ring_reserve(r, want, &at);  fill entries at..at+n-1
 *             spsc_ring_submit(r, n);
 *   consumer: n = spsc_ring_peek(r, want, &at);     read entries at..at+n-1
 *             spsc_ring_release(r, n);
 *
 * Exactly one thread (or process) produces and one consumes; neither side
 * blocks: empty and full are answered with 0.
 */
#ifndef DRIFT_INTERNAL_SPSC_RING_H
#define DRIFT_INTERNAL_SPSC_RING_H

#include "internal/atomics.h"
#include "internal/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct spsc_ring {
	/* Producer's line: prod is written by the producer only. */
	struct {
		_Atomic uint32_t prod;
		uint32_t cons_cached; /* producer-private copy of cons */
	} p cache_aligned;
	/* Consumer's line: cons is written by the consumer only. */
	struct {
		_Atomic uint32_t cons;
		uint32_t prod_cached; /* consumer-private copy of prod */
	} c cache_aligned;
	/* Read-only after spsc_ring_init(). */
	struct {
		uint32_t mask; /* entries - 1 */
		uint32_t entry_bytes;
	} g cache_aligned;
	uint8_t entries[] cache_aligned;
};

/* Bytes a ring of `entries` (a power of two) entries of `entry_bytes` needs. */
static inline size_t spsc_ring_bytes(uint32_t entries, uint32_t entry_bytes)
{
	return sizeof(struct spsc_ring) + (size_t)entries * entry_bytes;
}

/*
 * Prepares a ring in `mem` (spsc_ring_bytes() long, cache-line aligned).
 * Returns false when `entries` is not a power of two >= 2 or a size is 0.
 */
static inline bool spsc_ring_init(struct spsc_ring *r, uint32_t entries, uint32_t entry_bytes)
{
	if (entries < 2 || (entries & (entries - 1)) || !entry_bytes)
		return false;
	memset(r, 0, sizeof(*r));
	atomic_init(&r->p.prod, 0);
	atomic_init(&r->c.cons, 0);
	r->g.mask = entries - 1;
	r->g.entry_bytes = entry_bytes;
	return true;
}

/* The entry at free-running index `at` (as reserve/peek returned it). */
static inline void *spsc_ring_entry(struct spsc_ring *r, uint32_t at)
{
	return r->entries + (size_t)(at & r->g.mask) * r->g.entry_bytes;
}

/* Producer: up to `want` free entries starting at *at; returns how many. */
static inline uint32_t spsc_ring_reserve(struct spsc_ring *r, uint32_t want, uint32_t *at)
{
	uint32_t prod = read_once(&r->p.prod);
	uint32_t size = r->g.mask + 1;
	uint32_t room = size - (prod - r->p.cons_cached);

	if (room < want) {
		/* The cache ran dry: see how far the consumer really got. */
		r->p.cons_cached = load_acquire(&r->c.cons);
		room = size - (prod - r->p.cons_cached);
	}
	*at = prod;
	return want < room ? want : room;
}

/* Producer: publishes the first `n` reserved entries. */
static inline void spsc_ring_submit(struct spsc_ring *r, uint32_t n)
{
	store_release(&r->p.prod, read_once(&r->p.prod) + n);
}

/* Consumer: up to `want` filled entries starting at *at; returns how many. */
static inline uint32_t spsc_ring_peek(struct spsc_ring *r, uint32_t want, uint32_t *at)
{
	uint32_t cons = read_once(&r->c.cons);
	uint32_t avail = r->c.prod_cached - cons;

	if (avail < want) {
		r->c.prod_cached = load_acquire(&r->p.prod);
		avail = r->c.prod_cached - cons;
	}
	*at = cons;
	return want < avail ? want : avail;
}

/* Consumer: hands the first `n` peeked entries back to the producer. */
static inline void spsc_ring_release(struct spsc_ring *r, uint32_t n)
{
	store_release(&r->c.cons, read_once(&r->c.cons) + n);
}

#endif
