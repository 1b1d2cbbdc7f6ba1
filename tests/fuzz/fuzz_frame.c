/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the xsk port's frame parser (Ethernet/VLAN/IPv4/IPv6/UDP).
 * The first two bytes pick the DRIFT port; the rest is the frame. A frame
 * that parses must place its payload inside the frame; a frame built from a
 * route made of fuzz bytes must parse back to the same payload.
 */
#include "dataplane/frame.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_info fi;
	struct net_route r;
	struct net_addr dst;
	uint8_t buf[2048] = {0};
	uint16_t port, plen;
	uint32_t n;

	if (size < 2)
		return 0;
	port = (uint16_t)(data[0] << 8 | data[1]);
	if (frame_parse(data + 2, (uint32_t)(size - 2), port, &fi) == FRAME_OK &&
	    (size_t)fi.payload_off + fi.payload_len > size - 2)
		abort();
	if (size < 2 + 40)
		return 0;
	/* A route and destination from fuzz bytes, then build -> parse. */
	memset(&r, 0, sizeof(r));
	memset(&dst, 0, sizeof(dst));
	memcpy(r.dst_mac, data + 2, 6);
	memcpy(r.src_mac, data + 8, 6);
	r.flags = (uint16_t)(NET_ROUTE_VALID | ((data[14] & 1) ? NET_ROUTE_VLAN : 0));
	r.vlan_tci = (uint16_t)(data[15] << 8 | data[16]);
	r.src.family = dst.family = (data[17] & 1) ? ADDR_IPV6 : ADDR_IPV4;
	memcpy(r.src.ip, data + 18, r.src.family == ADDR_IPV4 ? 4 : 16);
	memcpy(dst.ip, data + 18 + 4, r.src.family == ADDR_IPV4 ? 4 : 16);
	r.src.port = (uint16_t)(data[38] << 8 | data[39]);
	dst.port = port;
	plen = (uint16_t)((size - 40) % 1500);
	n = frame_header_bytes(&r, dst.family);
	if (!n)
		abort();
	memcpy(buf + n, data + 40, plen <= size - 40 ? plen : size - 40);
	n = frame_build(buf, &r, &dst, plen);
	if (!n || frame_parse(buf, n, port, &fi) != FRAME_OK || fi.payload_len != plen ||
	    !addr_equal(&fi.src, &r.src) || !addr_equal(&fi.dst, &dst))
		abort();
	return 0;
}
