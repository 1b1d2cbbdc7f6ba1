/* SPDX-License-Identifier: MIT */
/*
 * Ethernet / 802.1Q / IPv4 / IPv6 / UDP framing for the xsk port (frame.h).
 * frame_parse() walks a received frame down to its UDP payload, checking
 * every claimed length against the bytes that remain before using it;
 * frame_build() writes the headers in front of a payload already in place,
 * both checksums included. Multi-byte fields go through internal/bytes.h.
 *
 * Deliberately not here: the UDP checksum on receive (frame.h says why),
 * IPv4 reassembly, IPv6 extension headers, more than one VLAN tag, and any
 * allocation or state: both directions are pure functions of their inputs.
 */
#include "dataplane/frame.h"

#include "internal/bytes.h"
#include "internal/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum ethertype {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_8021Q = 0x8100,
	ETHERTYPE_8021AD = 0x88a8,
};

/* IPv4 flags and fragment offset (bytes 6..7 of the header). */
enum ipv4_frag {
	IPV4_FRAG_DF = 0x4000,
	IPV4_FRAG_MF = 0x2000,
	IPV4_FRAG_OFFSET = 0x1fff,
};

enum ip_field {
	IP_PROTO_UDP = 17,
	IP_V4_VERSION_IHL5 = 0x45,
	IP_V6_VERSION_WORD = 0x60000000, /* version 6, traffic class 0, flow label 0 */
	IP_TTL = 64,			 /* IPv4 TTL and IPv6 hop limit we send */
	IP_MAX_DATAGRAM_BYTES = 0xffff,
};

/* ------------------------------------------------------------------------- */
/* Checksums (RFC 1071) */

/* a + b with the carry out of bit 63 wrapped back into bit 0 (end-around carry). */
static inline uint64_t add_wrap(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/*
 * One's-complement sum of n bytes into `sum`. The sum is taken over
 * native-order 64-bit loads: since 2^16 = 1 (mod 2^16 - 1), a 64-bit
 * one's-complement sum is congruent to the sum of its four 16-bit lanes, and
 * the byte order of the words only permutes which lane a byte pair lands in
 * (csum_to_host() undoes it once at the end). Two accumulators let the two
 * carry chains overlap. `p` must start at an even offset of the summed
 * stream; only the last chunk of a stream may have an odd length.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	uint64_t other = 0, a, b;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		sum = add_wrap(sum, a);
		other = add_wrap(other, b);
	}
	if (n >= 8) {
		memcpy(&a, p, 8);
		sum = add_wrap(sum, a);
		p += 8;
		n -= 8;
	}
	/* Fixed-size loads for the tail, so no memcpy call with a variable length. */
	if (n & 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		sum = add_wrap(sum, w);
		p += 4;
	}
	if (n & 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		other = add_wrap(other, h);
		p += 2;
	}
	if (n & 1) {
		/* The odd last byte is the high half of a word whose low half is 0. */
		uint8_t pair[2] = {p[0], 0};
		uint16_t h;

		memcpy(&h, pair, 2);
		other = add_wrap(other, h);
	}
	return add_wrap(sum, other);
}

/* Folds a 64-bit sum to 16 bits; still in native lane order. */
static inline uint16_t csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32); /* <= 0x1fffffffe */
	s = (s & 0xffffffffu) + (s >> 32); /* <= 0xffffffff */
	s = (s & 0xffffu) + (s >> 16);	   /* <= 0x1fffe */
	s = (s & 0xffffu) + (s >> 16);	   /* <= 0xffff */
	return (uint16_t)s;
}

/* A folded native-lane sum as the big-endian 16-bit value the wire carries. */
static inline uint16_t csum_to_host(uint16_t lanes)
{
	uint8_t b[2];

	memcpy(b, &lanes, 2);
	return load_be16(b);
}

/* ------------------------------------------------------------------------- */
/* Receive: Ethernet [VLAN] -> IPv4 | IPv6 -> UDP */

/*
 * The IPv4 header at `ip` with `room` bytes to the end of the frame. On
 * success sets *hdr_bytes (IHL * 4) and *payload_bytes (total - IHL * 4).
 */
static enum frame_result parse_ipv4(const uint8_t *ip, uint32_t room, struct frame_info *fi,
				    uint32_t *hdr_bytes, uint32_t *payload_bytes)
{
	uint32_t ihl, total;

	if (unlikely(room < FRAME_IPV4_BYTES))
		return FRAME_TOO_SHORT;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (unlikely((ip[0] >> 4) != 4 || ihl < FRAME_IPV4_BYTES))
		return FRAME_BAD_IP;
	if (unlikely(ihl > room))
		return FRAME_TOO_SHORT;
	/* Trailing Ethernet padding after the datagram is fine; a datagram past the frame is not. */
	total = load_be16(ip + 2);
	if (unlikely(total < ihl || total > room))
		return FRAME_BAD_IP;
	/* A header that includes its own checksum sums to all ones. */
	if (unlikely(csum_fold(csum_add(0, ip, ihl)) != 0xffff))
		return FRAME_BAD_IP;
	if (unlikely(load_be16(ip + 6) & (IPV4_FRAG_MF | IPV4_FRAG_OFFSET)))
		return FRAME_FRAGMENT;
	if (unlikely(ip[9] != IP_PROTO_UDP))
		return FRAME_NOT_UDP;
	/* The 12 bytes after an IPv4 address stay zero (struct net_addr, addr_equal()). */
	memset(&fi->src, 0, sizeof(fi->src));
	memset(&fi->dst, 0, sizeof(fi->dst));
	fi->src.family = ADDR_IPV4;
	fi->dst.family = ADDR_IPV4;
	memcpy(fi->src.ip, ip + 12, 4);
	memcpy(fi->dst.ip, ip + 16, 4);
	*hdr_bytes = ihl;
	*payload_bytes = total - ihl;
	return FRAME_OK;
}

/* The IPv6 header at `ip`; UDP must be the first next header (no extension headers). */
static enum frame_result parse_ipv6(const uint8_t *ip, uint32_t room, struct frame_info *fi,
				    uint32_t *hdr_bytes, uint32_t *payload_bytes)
{
	uint32_t plen;

	if (unlikely(room < FRAME_IPV6_BYTES))
		return FRAME_TOO_SHORT;
	plen = load_be16(ip + 4);
	if (unlikely((ip[0] >> 4) != 6 || plen > room - FRAME_IPV6_BYTES))
		return FRAME_BAD_IP;
	if (unlikely(ip[6] != IP_PROTO_UDP))
		return FRAME_NOT_UDP;
	fi->src.family = ADDR_IPV6;
	fi->dst.family = ADDR_IPV6;
	memcpy(fi->src.ip, ip + 8, 16);
	memcpy(fi->dst.ip, ip + 24, 16);
	*hdr_bytes = FRAME_IPV6_BYTES;
	*payload_bytes = plen;
	return FRAME_OK;
}

/* The UDP header at `udp`, `room` = the IP payload (already known to lie in the frame). */
static enum frame_result parse_udp(const uint8_t *udp, uint32_t room, uint16_t want_port,
				   struct frame_info *fi)
{
	uint32_t ulen;

	if (unlikely(room < FRAME_UDP_BYTES))
		return FRAME_TOO_SHORT;
	ulen = load_be16(udp + 4);
	if (unlikely(ulen < FRAME_UDP_BYTES || ulen > room))
		return FRAME_BAD_UDP;
	fi->src.port = load_be16(udp);
	fi->dst.port = load_be16(udp + 2);
	if (unlikely(fi->dst.port != want_port))
		return FRAME_WRONG_PORT;
	fi->payload_len = (uint16_t)(ulen - FRAME_UDP_BYTES);
	return FRAME_OK;
}

/*
 * Writes straight into *out as it goes (frame.h leaves *out unspecified on
 * failure): filling a local and copying it out costs three times as much,
 * the wide loads of the copy stalling on the narrow stores just made.
 * Offsets fit payload_off: at most 14 + 4 + 60 + 8 = 86.
 */
enum frame_result frame_parse(const uint8_t *frame, uint32_t len, uint16_t want_port,
			      struct frame_info *out)
{
	uint32_t l3 = FRAME_ETH_BYTES, ip_hdr = 0, ip_payload = 0;
	enum frame_result res;
	uint16_t type;

	if (unlikely(len < FRAME_ETH_BYTES))
		return FRAME_TOO_SHORT;
	type = load_be16(frame + 12);
	out->has_vlan = 0;
	out->vlan_tci = 0;
	if (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD) {
		if (unlikely(len < FRAME_ETH_BYTES + FRAME_VLAN_BYTES))
			return FRAME_TOO_SHORT;
		out->has_vlan = 1;
		out->vlan_tci = load_be16(frame + 14);
		type = load_be16(frame + 16);
		l3 += FRAME_VLAN_BYTES;
	}
	if (likely(type == ETHERTYPE_IPV4))
		res = parse_ipv4(frame + l3, len - l3, out, &ip_hdr, &ip_payload);
	else if (type == ETHERTYPE_IPV6)
		res = parse_ipv6(frame + l3, len - l3, out, &ip_hdr, &ip_payload);
	else
		return FRAME_NOT_IP;
	if (unlikely(res != FRAME_OK))
		return res;
	res = parse_udp(frame + l3 + ip_hdr, ip_payload, want_port, out);
	if (unlikely(res != FRAME_OK))
		return res;
	out->payload_off = (uint16_t)(l3 + ip_hdr + FRAME_UDP_BYTES);
	memcpy(out->src_mac, frame + 6, 6);
	return FRAME_OK;
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

/* ------------------------------------------------------------------------- */
/* Send: headers in front of a payload that is already in place */

uint32_t frame_header_bytes(const struct net_route *r, uint8_t family)
{
	uint32_t vlan = (r->flags & NET_ROUTE_VLAN) ? FRAME_VLAN_BYTES : 0;

	if (!(r->flags & NET_ROUTE_VALID) || r->src.family != family)
		return 0;
	if (family == ADDR_IPV4)
		return FRAME_ETH_BYTES + vlan + FRAME_IPV4_BYTES + FRAME_UDP_BYTES;
	if (family == ADDR_IPV6)
		return FRAME_ETH_BYTES + vlan + FRAME_IPV6_BYTES + FRAME_UDP_BYTES;
	return 0;
}

/* Destination and source MAC, then the tag if the route has one; returns the ethertype's offset. */
static uint32_t put_eth(uint8_t *buf, const struct net_route *r)
{
	memcpy(buf, r->dst_mac, 6);
	memcpy(buf + 6, r->src_mac, 6);
	if (!(r->flags & NET_ROUTE_VLAN))
		return 12;
	store_be16(buf + 12, ETHERTYPE_8021Q);
	store_be16(buf + 14, r->vlan_tci);
	return 16;
}

/* 20 bytes: no options, id 0, DF, TTL 64, header checksum filled in. */
static void put_ipv4(uint8_t *ip, const struct net_addr *src, const struct net_addr *dst,
		     uint32_t ulen)
{
	ip[0] = IP_V4_VERSION_IHL5;
	ip[1] = 0;
	store_be16(ip + 2, (uint16_t)(FRAME_IPV4_BYTES + ulen));
	store_be16(ip + 4, 0);
	store_be16(ip + 6, IPV4_FRAG_DF);
	ip[8] = IP_TTL;
	ip[9] = IP_PROTO_UDP;
	store_be16(ip + 10, 0);
	memcpy(ip + 12, src->ip, 4);
	memcpy(ip + 16, dst->ip, 4);
	store_be16(ip + 10, (uint16_t)~csum_to_host(csum_fold(csum_add(0, ip, FRAME_IPV4_BYTES))));
}

/* 40 bytes: traffic class and flow label 0, hop limit 64, UDP as the next header. */
static void put_ipv6(uint8_t *ip, const struct net_addr *src, const struct net_addr *dst,
		     uint32_t ulen)
{
	store_be32(ip, IP_V6_VERSION_WORD);
	store_be16(ip + 4, (uint16_t)ulen);
	ip[6] = IP_PROTO_UDP;
	ip[7] = IP_TTL;
	memcpy(ip + 8, src->ip, 16);
	memcpy(ip + 24, dst->ip, 16);
}

/*
 * UDP header plus checksum over pseudo-header, header and payload. The
 * addresses are summed straight from the IP header just written (src and
 * dst are adjacent in both versions). The rest of the pseudo-header is
 * protocol 17 and the UDP length in both: IPv4 has the 16-bit words
 * (0, 17) and (ulen); IPv6 the 32-bit length (0, ulen) and (0, 0, 0, 17).
 * Either way the words add up to 17 + ulen, which one big-endian 32-bit
 * store spreads over two words without losing a carry.
 */
static void put_udp(uint8_t *udp, const uint8_t *addrs, size_t addr_bytes, uint16_t sport,
		    uint16_t dport, uint32_t ulen)
{
	uint8_t rest[4];
	uint64_t sum;
	uint16_t c;

	store_be16(udp, sport);
	store_be16(udp + 2, dport);
	store_be16(udp + 4, (uint16_t)ulen);
	store_be16(udp + 6, 0);
	store_be32(rest, IP_PROTO_UDP + ulen);
	sum = csum_add(csum_add(0, addrs, addr_bytes), rest, sizeof(rest));
	c = (uint16_t)~csum_to_host(csum_fold(csum_add(sum, udp, ulen)));
	/* 0 on the wire means "no checksum" (IPv4) or is invalid (IPv6): send all ones. */
	store_be16(udp + 6, c ? c : 0xffff);
}

uint32_t frame_build(uint8_t *buf, const struct net_route *r, const struct net_addr *dst,
		     uint16_t payload_len)
{
	uint32_t hdr = frame_header_bytes(r, dst->family);
	uint32_t ulen = FRAME_UDP_BYTES + (uint32_t)payload_len;
	bool is_v4 = dst->family == ADDR_IPV4;
	uint32_t ip_bytes = is_v4 ? FRAME_IPV4_BYTES : FRAME_IPV6_BYTES;
	uint8_t *ip;

	/* IP header + UDP must fit the 16-bit lengths; subtract so the check cannot overflow. */
	if (unlikely(!hdr || ulen > IP_MAX_DATAGRAM_BYTES - ip_bytes))
		return 0;
	ip = buf + put_eth(buf, r) + 2;
	store_be16(ip - 2, is_v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	if (is_v4) {
		put_ipv4(ip, &r->src, dst, ulen);
		put_udp(ip + ip_bytes, ip + 12, 8, r->src.port, dst->port, ulen);
	} else {
		put_ipv6(ip, &r->src, dst, ulen);
		put_udp(ip + ip_bytes, ip + 8, 32, r->src.port, dst->port, ulen);
	}
	return hdr + payload_len;
}
