/* SPDX-License-Identifier: MIT */
/*
 * Ethernet / 802.1Q / IPv4 / IPv6 / UDP framing (frame.h). Every length is
 * checked against the bytes we were given before it is used; multi-byte
 * fields go through the endian helpers.
 */
#include "dataplane/frame.h"

#include "internal/bytes.h"

#include <string.h>

enum {
	ETH_P_IPV4 = 0x0800,
	ETH_P_IPV6 = 0x86DD,
	ETH_P_8021Q = 0x8100,
	ETH_P_8021AD = 0x88A8,
	IPPROTO_UDP_ = 17,
	IPV4_MF = 0x2000,
	IPV4_DF = 0x4000,
	IPV4_OFFSET_MASK = 0x1FFF,
	HOP_LIMIT = 64,
};

/* One's-complement sum of n bytes, 8 at a time (unaligned loads through memcpy). */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		sum += v;
		sum += sum < v; /* end-around carry */
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;

		memcpy(&v, p, n);
		sum += v;
		sum += sum < v;
	}
	return sum;
}

/* Folds a 64-bit native-order sum to the 16-bit checksum, in network order bytes. */
static uint16_t csum_fold(uint64_t sum)
{
	uint16_t r;

	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	r = (uint16_t)~sum;
	/* The sum was taken over native-order words: convert to the wire's order. */
	return load_be16((const uint8_t *)&r);
}

static void put_csum(uint8_t *at, uint16_t c)
{
	store_be16(at, c);
}

/* A checksum over a buffer that includes its own checksum field verifies to 0. */
static bool csum_ok(const uint8_t *p, size_t n)
{
	return csum_fold(csum_add(0, p, n)) == 0;
}

static enum frame_result parse_udp(const uint8_t *udp, uint32_t room, uint16_t want_port,
				   struct frame_info *out)
{
	uint16_t ulen;

	if (room < FRAME_UDP_BYTES)
		return FRAME_TOO_SHORT;
	ulen = load_be16(udp + 4);
	if (ulen < FRAME_UDP_BYTES || ulen > room)
		return FRAME_BAD_UDP;
	if (load_be16(udp + 2) != want_port)
		return FRAME_WRONG_PORT;
	out->src.port = load_be16(udp);
	out->dst.port = load_be16(udp + 2);
	out->payload_len = (uint16_t)(ulen - FRAME_UDP_BYTES);
	return FRAME_OK;
}

static enum frame_result parse_ipv4(const uint8_t *ip, uint32_t room, uint16_t want_port,
				    struct frame_info *out)
{
	uint32_t ihl, total;
	uint16_t frag;

	if (room < FRAME_IPV4_BYTES)
		return FRAME_TOO_SHORT;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || ihl < FRAME_IPV4_BYTES)
		return FRAME_BAD_IP;
	if (ihl > room)
		return FRAME_TOO_SHORT;
	total = load_be16(ip + 2);
	/* Trailing Ethernet padding is allowed; a datagram longer than the frame is not. */
	if (total < ihl || total > room || !csum_ok(ip, ihl))
		return FRAME_BAD_IP;
	frag = load_be16(ip + 6);
	if (frag & (IPV4_MF | IPV4_OFFSET_MASK))
		return FRAME_FRAGMENT;
	if (ip[9] != IPPROTO_UDP_)
		return FRAME_NOT_UDP;
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.family = out->dst.family = ADDR_IPV4;
	memcpy(out->src.ip, ip + 12, 4);
	memcpy(out->dst.ip, ip + 16, 4);
	out->payload_off = (uint16_t)(out->payload_off + ihl + FRAME_UDP_BYTES);
	return parse_udp(ip + ihl, total - ihl, want_port, out);
}

static enum frame_result parse_ipv6(const uint8_t *ip, uint32_t room, uint16_t want_port,
				    struct frame_info *out)
{
	uint32_t plen;

	if (room < FRAME_IPV6_BYTES)
		return FRAME_TOO_SHORT;
	if (ip[0] >> 4 != 6)
		return FRAME_BAD_IP;
	plen = load_be16(ip + 4);
	if (plen > room - FRAME_IPV6_BYTES)
		return FRAME_BAD_IP;
	if (ip[6] != IPPROTO_UDP_)
		return FRAME_NOT_UDP;
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.family = out->dst.family = ADDR_IPV6;
	memcpy(out->src.ip, ip + 8, 16);
	memcpy(out->dst.ip, ip + 24, 16);
	out->payload_off = (uint16_t)(out->payload_off + FRAME_IPV6_BYTES + FRAME_UDP_BYTES);
	return parse_udp(ip + FRAME_IPV6_BYTES, plen, want_port, out);
}

enum frame_result frame_parse(const uint8_t *frame, uint32_t len, uint16_t want_port,
			      struct frame_info *out)
{
	uint32_t off = FRAME_ETH_BYTES;
	uint16_t type;

	if (len < FRAME_ETH_BYTES || len > 0xffff)
		return FRAME_TOO_SHORT;
	memcpy(out->src_mac, frame + 6, 6);
	out->has_vlan = 0;
	out->vlan_tci = 0;
	type = load_be16(frame + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (len < FRAME_ETH_BYTES + FRAME_VLAN_BYTES)
			return FRAME_TOO_SHORT;
		out->has_vlan = 1;
		out->vlan_tci = load_be16(frame + 14);
		type = load_be16(frame + 16);
		off += FRAME_VLAN_BYTES;
	}
	out->payload_off = (uint16_t)off;
	if (type == ETH_P_IPV4)
		return parse_ipv4(frame + off, len - off, want_port, out);
	if (type == ETH_P_IPV6)
		return parse_ipv6(frame + off, len - off, want_port, out);
	return FRAME_NOT_IP;
}

const char *frame_result_name(enum frame_result r)
{
	static const char *const names[FRAME_RESULT_COUNT] = {
		[FRAME_OK] = "ok",
		[FRAME_TOO_SHORT] = "too_short",
		[FRAME_NOT_IP] = "not_ip",
		[FRAME_BAD_IP] = "bad_ip",
		[FRAME_FRAGMENT] = "fragment",
		[FRAME_NOT_UDP] = "not_udp",
		[FRAME_BAD_UDP] = "bad_udp",
		[FRAME_WRONG_PORT] = "wrong_port",
	};

	return (unsigned)r < FRAME_RESULT_COUNT ? names[r] : "unknown";
}

uint32_t frame_header_bytes(const struct net_route *r, uint8_t family)
{
	uint32_t n = FRAME_ETH_BYTES + FRAME_UDP_BYTES;

	if (!(r->flags & NET_ROUTE_VALID) || r->src.family != family)
		return 0;
	if (family == ADDR_IPV4)
		n += FRAME_IPV4_BYTES;
	else if (family == ADDR_IPV6)
		n += FRAME_IPV6_BYTES;
	else
		return 0;
	return n + ((r->flags & NET_ROUTE_VLAN) ? FRAME_VLAN_BYTES : 0);
}

/* The pseudo-header's contribution to the UDP checksum. */
static uint64_t pseudo_sum(const struct net_addr *src, const struct net_addr *dst, uint32_t ulen)
{
	uint8_t tail[8] = {0};
	size_t n = src->family == ADDR_IPV4 ? 4 : 16;
	uint64_t sum = csum_add(csum_add(0, src->ip, n), dst->ip, n);

	/* IPv4: zero, protocol, UDP length; IPv6: 32-bit length, 3 zero bytes, next header. */
	if (src->family == ADDR_IPV4) {
		tail[1] = IPPROTO_UDP_;
		store_be16(tail + 2, (uint16_t)ulen);
		return csum_add(sum, tail, 4);
	}
	store_be32(tail, ulen);
	tail[7] = IPPROTO_UDP_;
	return csum_add(sum, tail, 8);
}

uint32_t frame_build(uint8_t *buf, const struct net_route *r, const struct net_addr *dst,
		     uint16_t payload_len)
{
	uint32_t hdr = frame_header_bytes(r, dst->family);
	uint32_t ulen = FRAME_UDP_BYTES + (uint32_t)payload_len, off = 12;
	uint8_t *ip, *udp;
	uint16_t c;

	if (!hdr || ulen + FRAME_IPV6_BYTES > 0xffff)
		return 0;
	memcpy(buf, r->dst_mac, 6);
	memcpy(buf + 6, r->src_mac, 6);
	if (r->flags & NET_ROUTE_VLAN) {
		store_be16(buf + off, ETH_P_8021Q);
		store_be16(buf + off + 2, r->vlan_tci);
		off += FRAME_VLAN_BYTES;
	}
	ip = buf + off + 2;
	if (dst->family == ADDR_IPV4) {
		store_be16(buf + off, ETH_P_IPV4);
		ip[0] = 0x45;
		ip[1] = 0;
		store_be16(ip + 2, (uint16_t)(FRAME_IPV4_BYTES + ulen));
		store_be16(ip + 4, 0);
		store_be16(ip + 6, IPV4_DF);
		ip[8] = HOP_LIMIT;
		ip[9] = IPPROTO_UDP_;
		store_be16(ip + 10, 0);
		memcpy(ip + 12, r->src.ip, 4);
		memcpy(ip + 16, dst->ip, 4);
		put_csum(ip + 10, csum_fold(csum_add(0, ip, FRAME_IPV4_BYTES)));
		udp = ip + FRAME_IPV4_BYTES;
	} else {
		store_be16(buf + off, ETH_P_IPV6);
		store_be32(ip, 6u << 28);
		store_be16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP_;
		ip[7] = HOP_LIMIT;
		memcpy(ip + 8, r->src.ip, 16);
		memcpy(ip + 24, dst->ip, 16);
		udp = ip + FRAME_IPV6_BYTES;
	}
	store_be16(udp, r->src.port);
	store_be16(udp + 2, dst->port);
	store_be16(udp + 4, (uint16_t)ulen);
	store_be16(udp + 6, 0);
	c = csum_fold(csum_add(pseudo_sum(&r->src, dst, ulen), udp, ulen));
	/* A computed 0 is sent as all ones (0 means "no checksum" in IPv4, forbidden in IPv6). */
	put_csum(udp + 6, c ? c : 0xffff);
	return hdr + payload_len;
}
