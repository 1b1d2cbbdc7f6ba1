/* SPDX-License-Identifier: MIT */
/*
 * The in-process port: two ends joined back to back, for tests and for
 * running the data path without privileges. Frames one end sends arrive at
 * the other with rx addr = the sender's address. Each direction has a fixed
 * frame pool and two SPSC rings (frames in flight, frames given back), so
 * the two ends can live on two threads without a lock, and a sender that
 * runs out of frames gets fewer from tx_alloc() instead of losing packets.
 *
 * Test hooks: port_mem_inject() queues a raw frame at an end as if it had
 * arrived from any address (replay, tamper, fuzz), through a third ring
 * whose producer is the injecting thread (one injector per end).
 *
 * Not a model of a network: no loss, no reordering, no MTU.
 */
#ifndef DRIFT_DATAPLANE_PORT_MEM_H
#define DRIFT_DATAPLANE_PORT_MEM_H

#include "dataplane/port.h"

#include <stdint.h>

enum port_mem_const {
	PORT_MEM_POOL_FRAMES = 512,   /* frames per direction, power of two */
	PORT_MEM_INJECT_ENTRIES = 64, /* injected frames queued per end, power of two */
};

/*
 * Makes a connected pair. *a has address addr_a, *b addr_b. Close each end
 * with port_close(); memory goes when both are closed. Returns 0, -ENOMEM,
 * or -errno from eventfd().
 */
int port_mem_pair_new(const struct net_addr *addr_a, const struct net_addr *addr_b, struct port **a,
		      struct port **b);

/*
 * Queues `len` bytes at `to` as a received frame from `from`, and wakes
 * `to`'s worker. Any thread, but one injecting thread per end. Returns 0,
 * -EMSGSIZE (len > PORT_FRAME_BYTES) or -ENOBUFS (queue full, counted).
 */
int port_mem_inject(struct port *to, const uint8_t *data, uint16_t len,
		    const struct net_addr *from);

/* Frames dropped at this end's receive side (injection queue full). */
uint64_t port_mem_drops(struct port *p);

#endif
