/* SPDX-License-Identifier: MIT */
/*
 * How to put a UDP datagram on the wire ourselves (the xsk port builds
 * Ethernet/IP/UDP headers in user space): the next hop's MAC, our MAC, the
 * VLAN tag if any, and the source address and port. driftd resolves it
 * through netlink (control/route_nl.h) and keeps it in the session slot;
 * the dataplane only reads it (dataplane/frame.h builds the headers).
 */
#ifndef DRIFT_INTERNAL_NET_ROUTE_H
#define DRIFT_INTERNAL_NET_ROUTE_H

#include "proto/addr.h"

#include <stdint.h>

enum net_route_flags {
	NET_ROUTE_VALID = 1 << 0, /* every field below is set */
	NET_ROUTE_VLAN = 1 << 1,  /* add an 802.1Q tag with vlan_tci */
};

struct net_route {
	uint8_t dst_mac[6];  /* next hop: the peer itself or the gateway */
	uint8_t src_mac[6];  /* the egress interface's address */
	uint16_t vlan_tci;   /* host order; used with NET_ROUTE_VLAN */
	uint16_t flags;	     /* enum net_route_flags */
	uint32_t ifindex;    /* egress interface */
	struct net_addr src; /* our address and UDP port on that path (family = the peer's) */
};

#endif
