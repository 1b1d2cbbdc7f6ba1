/* SPDX-License-Identifier: MIT */
/*
 * The AF_XDP port: one XDP socket on one RX queue of one interface, with
 * its own UMEM (fill, completion, rx and tx rings, a frame stack for tx),
 * through libxdp's xsk API. The XDP steering program (xdp_steer.h) must be
 * attached to the interface and the socket registered with it; this port
 * never loads a program itself.
 *
 * Receive: frames are parsed down to the UDP payload (frame.h) and handed
 * out in place; frames that do not parse go straight back to the fill
 * ring and are counted by reason. Transmit: the worker writes the DRIFT
 * packet at pkt.data; the port writes Ethernet/IP/UDP headers in the
 * headroom in front of it from pkt.route, then posts the descriptors and
 * kicks the kernel once per burst when it asks for it (need_wakeup).
 *
 * Zero-copy is used when the driver offers it (bind with XDP_ZEROCOPY
 * first), copy mode otherwise (veth has no zero-copy).
 */
#ifndef DRIFT_DATAPLANE_PORT_XSK_H
#define DRIFT_DATAPLANE_PORT_XSK_H

#include "dataplane/frame.h"
#include "dataplane/port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port_xsk_config {
	uint32_t ifindex;
	uint32_t queue;
	uint16_t udp_port;  /* our DRIFT port: only frames to it are accepted */
	bool is_generic;    /* the program runs in skb (generic) mode: copy only */
	bool try_zerocopy;  /* bind with XDP_ZEROCOPY first, then fall back to copy */
	bool use_busy_poll; /* SO_PREFER_BUSY_POLL + SO_BUSY_POLL; rx polls with recvfrom */
	uint32_t frames;    /* UMEM frames (power of two, >= 256); 0 = 4096 */
};

/*
 * Creates the UMEM and the socket. Returns 0 with *out set, or -errno
 * with a one-line reason and fix in err[0..err_len).
 */
int port_xsk_open(const struct port_xsk_config *cfg, struct port **out, char *err, size_t err_len);

/* The socket fd, for xdp_steer_set_xsk(). */
int port_xsk_fd(struct port *p);

/* Whether the bind got zero-copy. */
bool port_xsk_is_zerocopy(struct port *p);

/* Whether busy polling was requested and accepted by the kernel. */
bool port_xsk_has_busy_poll(struct port *p);

/* Frames dropped on receive because they did not parse, by frame_result. */
uint64_t port_xsk_rx_dropped(struct port *p, enum frame_result why);

#endif
