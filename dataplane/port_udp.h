/* SPDX-License-Identifier: MIT */
/*
 * The UDP socket port: one SO_REUSEPORT socket per worker, received through
 * an io_uring multishot recvmsg on a provided-buffer ring (no syscall while
 * completions keep arriving), sent with one sendmmsg() per burst. Runs of
 * same-destination, same-size frames go out as one UDP_SEGMENT (GSO)
 * message; GRO super-buffers are split back into one descriptor per
 * datagram. port_udp_steer() spreads short-header DRIFT packets over the
 * workers' sockets by CID with a classic-BPF reuseport program.
 *
 * It does not pick a source address per packet (no IP_PKTINFO), does not
 * fragment, and does not look inside packets beyond the steering bytes.
 */
#ifndef DRIFT_DATAPLANE_PORT_UDP_H
#define DRIFT_DATAPLANE_PORT_UDP_H

#include "dataplane/port.h"
#include "proto/addr.h"

#include <stdbool.h>
#include <stdint.h>

struct port_udp_config {
	/*
	 * Family (ADDR_IPV4 or ADDR_IPV6) and port; an all-zero ip binds the
	 * wildcard. An IPv6 socket also accepts IPv4 (v4-mapped) peers.
	 */
	struct net_addr bind;
	/*
	 * Provided receive buffers, a power of two <= 32768; 0 picks 64 with
	 * GRO (64 KiB each) or 512 without (one datagram each).
	 */
	uint32_t rx_buffers;
	bool use_gro, use_gso;
};

/*
 * Opens, binds and arms a port. Returns 0 with *out set (close it with
 * port_close()), -EINVAL for a bad config, -ENOMEM, or the -errno of
 * socket(), bind() (-EADDRINUSE when a socket without SO_REUSEPORT holds
 * the port) or io_uring setup. A kernel without UDP_GRO leaves GRO off.
 */
int port_udp_open(const struct port_udp_config *cfg, struct port **out);

/*
 * Steers the reuseport group that ports[0..n) belong to (opened in this
 * order, nothing else in the group before them): a datagram whose first
 * byte has high nibble 2 (short header, WIRE.md §6) goes to ports[cid % n],
 * cid being bytes 1-2 big-endian; anything else, and anything shorter than
 * 3 bytes, to group index n, the socket driftd opens on the same address
 * afterwards (the kernel hashes while that index is empty). One call per
 * group, from setup code. Returns 0, -EINVAL (n == 0, not udp ports) or
 * the -errno of setsockopt(SO_ATTACH_REUSEPORT_CBPF).
 */
int port_udp_steer(struct port *const *ports, uint32_t n);

/* The bound local port (host order), e.g. after binding port 0. */
int port_udp_local_port(struct port *p);

/* How often the multishot receive had ended and was submitted again. */
uint64_t port_udp_rx_rearms(struct port *p);

#endif
