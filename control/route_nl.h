/* SPDX-License-Identifier: MIT */
/*
 * Next-hop resolution for the xsk port, through rtnetlink: for a peer
 * address, the egress interface, our source address on it, the next hop
 * (the peer or its gateway) and that hop's MAC from the neighbour table,
 * our own MAC, and a VLAN tag when the egress interface is a VLAN device.
 * driftd resolves each session's route when it installs the session,
 * writes it into the slot (struct net_route), and resolves again when the
 * kernel reports a neighbour, route or link change.
 *
 * Two layers: message builders and parsers that never touch a socket
 * (route_nl_build_* / route_nl_parse_*; unit-tested and fuzzed on bytes),
 * and a small blocking query client over them (route_nl_open/resolve).
 * It never changes kernel state, so it needs no capability.
 */
#ifndef DRIFT_CONTROL_ROUTE_NL_H
#define DRIFT_CONTROL_ROUTE_NL_H

#include "internal/net_route.h"
#include "proto/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- sans-io ------------------------------------------------------------- */

/* What an RTM_NEWROUTE answer to RTM_GETROUTE says. */
struct route_nl_route {
	uint32_t oif;
	bool has_gateway, has_prefsrc;
	struct net_addr gateway; /* ip only (port 0) */
	struct net_addr prefsrc; /* ip only */
};

/* What an RTM_NEWLINK answer says about one interface. */
struct route_nl_link {
	uint32_t ifindex;
	uint8_t mac[6];
	bool has_mac;
	bool is_vlan;		/* IFLA_LINKINFO kind "vlan" */
	uint16_t vlan_id;	/* IFLA_VLAN_ID */
	uint32_t lower_ifindex; /* IFLA_LINK of a VLAN device */
	uint32_t mtu;
};

/*
 * Builders write one request into buf[0..cap) and return its length, or 0
 * if cap is too small or an argument is bad.
 *   getroute: RTM_GETROUTE for host `dst` (family from dst);
 *   getneigh: RTM_GETNEIGH dump for `family` (AF_INET / AF_INET6 values of ADDR_*);
 *   getlink:  RTM_GETLINK for `ifindex`.
 */
size_t route_nl_build_getroute(uint8_t *buf, size_t cap, uint32_t seq, const struct net_addr *dst);
size_t route_nl_build_getneigh(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family);
size_t route_nl_build_getlink(uint8_t *buf, size_t cap, uint32_t seq, uint32_t ifindex);

/*
 * Parsers take one datagram `len` bytes as received (it may hold several
 * netlink messages) and consider only messages with sequence `seq`.
 * Return 0 when found (out filled), 1 when the datagram held nothing
 * final yet (keep reading: a dump continues until NLMSG_DONE), -ENOENT
 * when the dump ended without a match, the negative errno an NLMSG_ERROR
 * carried, or -EPROTO when a message or attribute is malformed (lengths
 * past the datagram, short headers, bad attribute sizes).
 *
 * parse_neigh looks for `ip` (family `family`) on `ifindex` and accepts
 * only an entry with a link-layer address in state REACHABLE, STALE,
 * DELAY, PROBE, PERMANENT or NOARP (not INCOMPLETE or FAILED).
 */
int route_nl_parse_route(const uint8_t *buf, size_t len, uint32_t seq, struct route_nl_route *out);
int route_nl_parse_neigh(const uint8_t *buf, size_t len, uint32_t seq, uint8_t family,
			 const uint8_t ip[16], uint32_t ifindex, uint8_t mac[6]);
int route_nl_parse_link(const uint8_t *buf, size_t len, uint32_t seq, struct route_nl_link *out);

/*
 * Whether a datagram from the change-notice socket holds a neighbour,
 * route, address or link notice (any RTM_NEW/DEL of those). Malformed
 * datagrams count as a change (resolving again is always safe).
 */
bool route_nl_is_change(const uint8_t *buf, size_t len);

/* ---- the query client ----------------------------------------------------- */

struct route_nl;

/*
 * Opens a query socket and a change-notice socket (RTMGRP_NEIGH, IPv4/IPv6
 * route and address groups, RTMGRP_LINK). Returns 0 or -errno.
 */
int route_nl_open(struct route_nl **out);
void route_nl_close(struct route_nl *r);

/*
 * Resolves the route to `dst` (ip + port); out->src gets our address with
 * port `src_port`. Returns 0 with out->flags = NET_ROUTE_VALID (| VLAN),
 * -ENETUNREACH when there is no route, -EAGAIN when the next hop's MAC is
 * not known yet (the kernel learns it as soon as any packet goes that way,
 * e.g. the handshake driftd sends through its socket: ask again later),
 * -EOPNOTSUPP when the egress device has no MAC (loopback, tun), or -errno.
 * Blocks for at most ~100 ms waiting for the kernel's answers.
 */
int route_nl_resolve(struct route_nl *r, const struct net_addr *dst, uint16_t src_port,
		     struct net_route *out);

/* The change-notice socket, for poll(): readable when a notice waits. */
int route_nl_change_fd(const struct route_nl *r);

/* Reads every waiting notice without blocking; true if any was a change. */
bool route_nl_drain_changes(struct route_nl *r);

#endif
