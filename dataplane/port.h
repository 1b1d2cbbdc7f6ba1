/* SPDX-License-Identifier: MIT */
/*
 * The only I/O interface a drift-dp worker sees (DPDK ethdev-like): receive
 * and transmit bursts over arrays of frame descriptors. Every port type
 * (mem, udp, and later xsk and tun) implements the same five calls, so the
 * worker loop and every data-path test run unchanged over each of them.
 *
 * Buffers are owned by the port. rx_burst() hands out descriptors that point
 * into port memory; they stay valid until the worker gives them back with
 * rx_release() (once per burst, after delivering). For tx, the worker asks
 * the port for empty frames with tx_alloc(), writes DRIFT packets into them
 * and hands them back with tx_burst(); the port owns them again from then
 * on, whether they were sent or dropped. No call allocates memory.
 *
 * A port that coalesces on receive (UDP_GRO) splits each super-buffer into
 * one descriptor per datagram before returning, and a port that segments on
 * send (UDP_SEGMENT) merges runs of same-destination, same-size frames
 * itself; the worker never sees either.
 *
 * Threads: a port belongs to one worker thread; no call is thread-safe.
 */
#ifndef DRIFT_DATAPLANE_PORT_H
#define DRIFT_DATAPLANE_PORT_H

#include "internal/net_route.h"
#include "proto/addr.h"

#include <stdbool.h>
#include <stdint.h>

enum port_limits {
	PORT_BURST_MAX = 64,	   /* descriptors per rx_burst / tx_burst */
	PORT_FRAME_BYTES = 2048,   /* a tx frame: room for one DRIFT packet (<= 1400 B) */
	PORT_FRAME_HEADROOM = 256, /* bytes before pkt.data the xsk/tun ports may use for headers */
};

/*
 * One frame. `addr` is the UDP peer: source on rx, destination on tx. On
 * tx, `route` says how to frame it for ports that build their own
 * Ethernet/IP/UDP headers (xsk); socket ports ignore it. It points into
 * the sender's slot snapshot and is valid until tx_burst() returns.
 */
struct port_pkt {
	uint8_t *data;
	uint16_t len;
	uint16_t pad;
	uint32_t cookie; /* the port's own handle for the buffer; the worker does not touch it */
	struct net_addr addr;
	const struct net_route *route;
};

struct port_stats {
	uint64_t rx_packets, rx_bytes, rx_syscalls, rx_nobufs, rx_truncated;
	uint64_t tx_packets, tx_bytes, tx_syscalls, tx_errors, gro_segments, gso_sends;
};

struct port;

struct port_ops {
	const char *name; /* "mem", "udp", ... */
	/*
	 * Up to `max` (<= PORT_BURST_MAX) received frames into pkts[]. Never
	 * blocks. Returns how many (0 when nothing is ready).
	 */
	uint32_t (*rx_burst)(struct port *p, struct port_pkt *pkts, uint32_t max);
	/* Gives back every frame of the last rx_burst(). */
	void (*rx_release)(struct port *p, struct port_pkt *pkts, uint32_t n);
	/*
	 * Up to `max` empty tx frames: data points at PORT_FRAME_BYTES of
	 * writable memory (with PORT_FRAME_HEADROOM before it), len = 0.
	 */
	uint32_t (*tx_alloc)(struct port *p, struct port_pkt *pkts, uint32_t max);
	/*
	 * Sends frames pkts[0..n) (each with data, len, addr set; data is the
	 * pointer tx_alloc returned). Takes ownership of all n. Returns how
	 * many were handed to the kernel or peer; the rest were dropped and
	 * counted in tx_errors.
	 */
	uint32_t (*tx_burst)(struct port *p, struct port_pkt *pkts, uint32_t n);
	/*
	 * An fd that becomes readable when rx_burst() has work, for the
	 * worker's sleep; -1 when the port offers none (the worker then polls
	 * with a short timed sleep).
	 */
	int (*wait_fd)(struct port *p);
	/* Prepares rx_burst() to be woken through wait_fd (re-arm); may be NULL. */
	void (*arm)(struct port *p);
	void (*close)(struct port *p);
	/*
	 * Pushes out what earlier tx_burst() calls queued but the kernel has not
	 * taken yet (an xsk port in copy mode sends 32 per syscall) and reclaims
	 * completed frames. Returns how many are still queued: while that is
	 * not 0 the worker must not sleep (nothing would wake it). May be NULL.
	 */
	uint32_t (*tx_flush)(struct port *p);
	/*
	 * The port frames packets itself and needs pkt.route on tx: the
	 * worker drops (and counts) DATA for a session without a resolved
	 * route before it spends a sequence number on it.
	 */
	bool needs_route;
};

struct port {
	const struct port_ops *ops;
	struct port_stats stats;
};

static inline uint32_t port_rx_burst(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	return p->ops->rx_burst(p, pkts, max);
}

static inline void port_rx_release(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	p->ops->rx_release(p, pkts, n);
}

static inline uint32_t port_tx_alloc(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	return p->ops->tx_alloc(p, pkts, max);
}

static inline uint32_t port_tx_burst(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	return p->ops->tx_burst(p, pkts, n);
}

static inline void port_close(struct port *p)
{
	if (p)
		p->ops->close(p);
}

#endif
