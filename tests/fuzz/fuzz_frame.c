/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the xsk port's frame codec (dataplane/frame.h).
 *
 * Parse: the first two bytes are want_port (big-endian), the rest is the
 * frame. A frame that parses must place its UDP payload inside the frame
 * and must be addressed to want_port.
 *
 * Build: the same bytes also describe a route, a destination and a payload
 * (layout below). frame_build() must refuse exactly the invalid routes and
 * family mismatches; anything it builds must parse back to the same
 * addresses, tag and payload, with a UDP checksum that verifies.
 *
 * Any broken invariant calls abort().
 */
#include "dataplane/frame.h"
#include "internal/bytes.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Build parameters, offsets into the input:
 *   0..1 want_port (also the destination port)   2..7 dst MAC   8..13 src MAC
 *   14 flags (bit 0 valid, bit 1 VLAN)  15..16 TCI  17 families (bit 0 src v6,
 *   bit 1 dst v6)  18..33 src IP  34..49 dst IP  50..51 src port
 *   52..53 payload length (mod BUILD_MAX_PAYLOAD)  54.. payload bytes, repeated
 */
enum {
	BUILD_PARAM_BYTES = 54,
	BUILD_MAX_PAYLOAD = 1600,
	BUILD_MAX_PAD = 63,
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void fuzz_parse(const uint8_t *frame, size_t len, uint16_t want_port)
{
	struct frame_info fi;

	if (len > UINT32_MAX || frame_parse(frame, (uint32_t)len, want_port, &fi) != FRAME_OK)
		return;
	check((size_t)fi.payload_off + fi.payload_len <= len);
	check(fi.payload_off >= FRAME_ETH_BYTES + FRAME_IPV4_BYTES + FRAME_UDP_BYTES);
	check(fi.dst.port == want_port);
	check(fi.src.family == fi.dst.family && addr_is_set(&fi.src));
	check(fi.has_vlan || fi.vlan_tci == 0);
}

/* RFC 1071 over 16-bit words, kept deliberately naive. */
static uint32_t slow_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

/* A packet that includes its checksum sums to all ones. */
static bool udp_sum_ok(const uint8_t *frame, const struct frame_info *fi)
{
	const uint8_t *udp = frame + fi->payload_off - FRAME_UDP_BYTES;
	uint32_t ulen = FRAME_UDP_BYTES + fi->payload_len;
	size_t ip_len = fi->src.family == ADDR_IPV4 ? 4 : 16;
	uint32_t s = slow_sum(0, fi->src.ip, ip_len);

	s = slow_sum(s, fi->dst.ip, ip_len) + 17 + ulen;
	s = slow_sum(s, udp, ulen);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static void fuzz_build(const uint8_t *data, size_t size)
{
	static uint8_t buf[FRAME_MAX_HEADER_BYTES + BUILD_MAX_PAYLOAD + BUILD_MAX_PAD];
	static uint8_t want[BUILD_MAX_PAYLOAD];
	struct net_route r;
	struct net_addr dst;
	struct frame_info fi;
	uint16_t plen;
	uint32_t hdr, want_hdr, n, pad;
	bool is_valid;

	if (size < BUILD_PARAM_BYTES)
		return;
	memset(&r, 0, sizeof(r));
	memset(&dst, 0, sizeof(dst));
	memcpy(r.dst_mac, data + 2, 6);
	memcpy(r.src_mac, data + 8, 6);
	r.flags = data[14] & (NET_ROUTE_VALID | NET_ROUTE_VLAN);
	r.vlan_tci = load_be16(data + 15);
	r.src.family = data[17] & 1 ? ADDR_IPV6 : ADDR_IPV4;
	dst.family = data[17] & 2 ? ADDR_IPV6 : ADDR_IPV4;
	memcpy(r.src.ip, data + 18, r.src.family == ADDR_IPV4 ? 4 : 16);
	memcpy(dst.ip, data + 34, dst.family == ADDR_IPV4 ? 4 : 16);
	r.src.port = load_be16(data + 50);
	dst.port = load_be16(data);
	plen = (uint16_t)(load_be16(data + 52) % BUILD_MAX_PAYLOAD);
	pad = data[17] >> 2;

	is_valid = (r.flags & NET_ROUTE_VALID) && r.src.family == dst.family;
	hdr = frame_header_bytes(&r, dst.family);
	if (!is_valid) {
		check(hdr == 0 && frame_build(buf, &r, &dst, plen) == 0);
		return;
	}
	want_hdr = FRAME_ETH_BYTES + FRAME_UDP_BYTES +
		   (dst.family == ADDR_IPV4 ? FRAME_IPV4_BYTES : FRAME_IPV6_BYTES) +
		   ((r.flags & NET_ROUTE_VLAN) ? FRAME_VLAN_BYTES : 0);
	check(hdr == want_hdr);
	/* The payload from the input's tail, repeated when the tail is shorter. */
	for (uint32_t i = 0; i < plen; i++)
		want[i] = size > BUILD_PARAM_BYTES
				  ? data[BUILD_PARAM_BYTES + i % (size - BUILD_PARAM_BYTES)]
				  : (uint8_t)i;
	memcpy(buf + hdr, want, plen);
	n = frame_build(buf, &r, &dst, plen);
	check(n == hdr + plen);
	memset(buf + n, 0xee, pad); /* trailing Ethernet padding must not matter */
	check(frame_parse(buf, n + pad, dst.port, &fi) == FRAME_OK);
	check(fi.payload_off == hdr && fi.payload_len == plen);
	check(memcmp(buf + fi.payload_off, want, plen) == 0);
	check(addr_equal(&fi.src, &r.src) && addr_equal(&fi.dst, &dst));
	check(memcmp(fi.src_mac, r.src_mac, 6) == 0 && memcmp(buf, r.dst_mac, 6) == 0);
	check(fi.has_vlan == !!(r.flags & NET_ROUTE_VLAN));
	check(fi.vlan_tci == (fi.has_vlan ? r.vlan_tci : 0));
	check(udp_sum_ok(buf, &fi));
	/* Any shorter cut loses part of the payload and must be refused. */
	check(frame_parse(buf, n - 1 - data[16] % n, dst.port, &fi) != FRAME_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	fuzz_parse(data + 2, size - 2, load_be16(data));
	fuzz_build(data, size);
	return 0;
}
