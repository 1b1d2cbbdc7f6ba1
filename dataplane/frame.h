/* SPDX-License-Identifier: MIT */
/*
 * Ethernet / 802.1Q / IPv4 / IPv6 / UDP framing for the xsk port, sans-io:
 * parse a received frame down to its UDP payload, and build the headers in
 * front of a payload we are about to send (checksums included).
 *
 * Parsing accepts exactly what the XDP steering program (bpf/drift_xdp.c)
 * redirects: Ethernet II with at most one VLAN tag, IPv4 without options
 * or with options (IHL 5..15), not fragmented, or IPv6 with UDP as the
 * first next header (no extension headers), UDP to `want_port`. Every
 * length is checked against the frame's own bytes, never trusted.
 *
 * The UDP checksum is not verified on receive: a frame sent by a local
 * stack over veth may carry only the pseudo-header sum (checksum offload),
 * and every DRIFT payload is authenticated by its AEAD tag anyway. The
 * IPv4 header checksum is verified (it covers the source address we reply
 * to). On send both are computed; IPv6 always gets a UDP checksum.
 */
#ifndef DRIFT_DATAPLANE_FRAME_H
#define DRIFT_DATAPLANE_FRAME_H

#include "internal/net_route.h"
#include "proto/addr.h"

#include <stdint.h>

enum frame_limits {
	FRAME_ETH_BYTES = 14,
	FRAME_VLAN_BYTES = 4,
	FRAME_IPV4_BYTES = 20,
	FRAME_IPV6_BYTES = 40,
	FRAME_UDP_BYTES = 8,
	FRAME_MAX_HEADER_BYTES = 14 + 4 + 40 + 8, /* 66: fits PORT_FRAME_HEADROOM */
};

enum frame_result {
	FRAME_OK = 0,
	FRAME_TOO_SHORT,  /* ends before a header it announces */
	FRAME_NOT_IP,	  /* ethertype is neither IPv4 nor IPv6 (after one VLAN tag) */
	FRAME_BAD_IP,	  /* version, IHL, total/payload length or header checksum wrong */
	FRAME_FRAGMENT,	  /* IPv4 fragment (MF set or offset != 0) */
	FRAME_NOT_UDP,	  /* IP protocol / IPv6 next header is not UDP */
	FRAME_BAD_UDP,	  /* UDP length < 8 or larger than the IP payload */
	FRAME_WRONG_PORT, /* UDP destination port is not ours */
	FRAME_RESULT_COUNT,
};

struct frame_info {
	uint16_t payload_off; /* UDP payload: frame + payload_off ... */
	uint16_t payload_len; /* ... for payload_len bytes (from the UDP length field) */
	uint16_t vlan_tci;    /* host order, 0 when untagged */
	uint16_t has_vlan;
	struct net_addr src; /* sender's IP and UDP port */
	struct net_addr dst; /* our IP and UDP port as the sender addressed them */
	uint8_t src_mac[6];
};

/*
 * Parses `len` bytes of `frame`. On FRAME_OK fills *out; on any other
 * result *out is unspecified. Never reads past frame[len - 1].
 */
enum frame_result frame_parse(const uint8_t *frame, uint32_t len, uint16_t want_port,
			      struct frame_info *out);

/* A short name for a result, e.g. "bad_ip" (for counters and logs). */
const char *frame_result_name(enum frame_result r);

/*
 * Bytes of headers frame_build() writes for `r` and a destination of
 * family `family` (ADDR_IPV4 / ADDR_IPV6): 42 or 62, plus 4 with a VLAN
 * tag. 0 when the route is not valid or the families differ.
 */
uint32_t frame_header_bytes(const struct net_route *r, uint8_t family);

/*
 * Writes Ethernet [VLAN] IP UDP headers into buf[0 .. frame_header_bytes)
 * for a payload already at buf + frame_header_bytes(..) of `payload_len`
 * bytes, to `dst` (IP + port) from r->src, with the IPv4 header checksum
 * and the UDP checksum (over the payload too) filled in. IPv4: TTL 64, DF
 * set, id 0. IPv6: hop limit 64, flow label 0. Returns the whole frame's
 * length, or 0 if the route is not valid, the families of r->src and dst
 * differ, or the datagram would exceed 65535 bytes.
 */
uint32_t frame_build(uint8_t *buf, const struct net_route *r, const struct net_addr *dst,
		     uint16_t payload_len);

#endif
