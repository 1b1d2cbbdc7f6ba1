/* SPDX-License-Identifier: MIT */
/*
 * Hand-off between the workers of one drift-dp: a receive CID belongs to
 * one worker (cid % worker_count), the only writer of that epoch's replay
 * window. With the udp port the kernel steers each CID to its owner; with
 * one xsk socket per RX queue the NIC (or veth) decides the queue, so a
 * worker that receives a short-header packet for a CID it does not own
 * passes a copy to the owner through a private SPSC ring ([from][to]) and
 * wakes the owner if it sleeps (the need_wakeup rule of app_channel.h, on
 * a futex word per worker).
 *
 * Threads: handoff_push/flush by worker `from` only; drain by worker `to`.
 */
#ifndef DRIFT_DATAPLANE_HANDOFF_H
#define DRIFT_DATAPLANE_HANDOFF_H

#include "dataplane/port.h"
#include "internal/compiler.h"
#include "internal/shm_layout.h"

#include <stdbool.h>
#include <stdint.h>

enum { HANDOFF_RING_ENTRIES = 512 };

struct handoff_waker {
	_Atomic uint32_t wake cache_aligned;
	_Atomic uint32_t needs_wakeup;
};

struct handoff {
	uint32_t workers;
	struct spsc_ring *ring[SHM_MAX_WORKERS][SHM_MAX_WORKERS]; /* [from][to]; NULL when equal */
	uint32_t pending[SHM_MAX_WORKERS]; /* [from]: bit `to` set = pushed since the last flush */
	struct handoff_waker waker[SHM_MAX_WORKERS];
};

/* Allocates the rings for `workers` workers (1 needs none). Returns 0 or -ENOMEM/-EINVAL. */
int handoff_init(struct handoff *h, uint32_t workers);
void handoff_fini(struct handoff *h);

/* The worker that owns a received short-header packet's CID. */
static inline uint32_t handoff_owner(const struct handoff *h, uint16_t cid)
{
	return cid % h->workers;
}

/* Copies `pkt` into ring [from][to]. False when the ring is full (the caller counts it). */
bool handoff_push(struct handoff *h, uint32_t from, uint32_t to, const struct port_pkt *pkt);

/* After a burst of pushes: wakes each owner that got packets and sleeps. Returns wake-ups made. */
uint32_t handoff_flush(struct handoff *h, uint32_t from);

#endif
