/* SPDX-License-Identifier: MIT */
/*
 * dataplane/frame: build then parse (IPv4, IPv6, each with and without a
 * VLAN tag), both checksums recomputed by a slow RFC 1071 reference over
 * many payload lengths, frames checked against fixed bytes worked out
 * independently, a numbered table of malformed frames that together
 * produce every frame_result, every truncation of valid frames (read from
 * the very end of an array so ASan sees any overread), and the frames
 * frame_build() must refuse.
 */
#include "dataplane/frame.h"
#include "internal/bytes.h"

#include "tests/lib/harness.h"

#include <stdio.h>
#include <string.h>

enum {
	DRIFT_PORT = 40000,
	OUR_PORT = 7878,
	V4_MAX_PAYLOAD = 65535 - 20 - 8, /* IPv4 total length is 16 bits */
	V6_MAX_PAYLOAD = 65535 - 40 - 8, /* frame_build counts the IPv6 header too */
};

/* Room for the largest frame frame_build() may produce, plus padding. */
static uint8_t big[FRAME_MAX_HEADER_BYTES + 65535 + 64];

static struct net_route route_of(uint8_t family, bool has_vlan)
{
	struct net_route r = {
		.dst_mac = {0x02, 0, 0, 0, 0, 0xbb},
		.src_mac = {0x02, 0, 0, 0, 0, 0xaa},
		.flags = NET_ROUTE_VALID,
		.ifindex = 3,
		.src = {.family = family, .port = OUR_PORT},
	};
	static const uint8_t v4[4] = {198, 18, 0, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	memcpy(r.src.ip, family == ADDR_IPV4 ? v4 : v6, family == ADDR_IPV4 ? 4 : 16);
	if (has_vlan) {
		r.flags |= NET_ROUTE_VLAN;
		r.vlan_tci = 0x2064; /* priority 1, VLAN 100 */
	}
	return r;
}

static struct net_addr dst_of(uint8_t family)
{
	struct net_addr a = {.family = family, .port = DRIFT_PORT};
	static const uint8_t v4[4] = {198, 18, 0, 2};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

	memcpy(a.ip, family == ADDR_IPV4 ? v4 : v6, family == ADDR_IPV4 ? 4 : 16);
	return a;
}

/* RFC 1071 the slow way: 16-bit big-endian words, odd byte padded, carries folded. */
static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_csum(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Recomputes the IPv4 header checksum with the field zeroed; true if it matches. */
static bool ipv4_csum_right(const uint8_t *ip)
{
	uint8_t h[60];
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	memcpy(h, ip, ihl);
	h[10] = h[11] = 0;
	return ref_csum(ref_add(0, h, ihl)) == load_be16(ip + 10);
}

/* Recomputes the UDP checksum from an explicit pseudo-header (RFC 768, RFC 8200 §8.1). */
static bool udp_csum_right(const uint8_t *ip, bool is_v4)
{
	const uint8_t *udp = ip + (is_v4 ? 20 : 40);
	uint16_t ulen = load_be16(udp + 4);
	uint8_t pseudo[40] = {0}, hdr[8];
	size_t pseudo_len;
	uint32_t s;
	uint16_t want;

	if (is_v4) {
		/* source, destination, zero, protocol, UDP length */
		memcpy(pseudo, ip + 12, 8);
		pseudo[9] = 17;
		store_be16(pseudo + 10, ulen);
		pseudo_len = 12;
	} else {
		/* source, destination, 32-bit length, three zero bytes, next header */
		memcpy(pseudo, ip + 8, 32);
		store_be32(pseudo + 32, ulen);
		pseudo[39] = 17;
		pseudo_len = 40;
	}
	s = ref_add(0, pseudo, pseudo_len);
	memcpy(hdr, udp, 8);
	hdr[6] = hdr[7] = 0;
	s = ref_add(ref_add(s, hdr, 8), udp + 8, (size_t)ulen - 8);
	want = ref_csum(s);
	return load_be16(udp + 6) == (want ? want : 0xffff);
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + 1 + (i >> 8));
}

/* Payload first (frame_build() expects it in place), then the headers. */
static uint32_t build(uint8_t *buf, const struct net_route *r, uint16_t plen)
{
	struct net_addr dst = dst_of(r->src.family);
	uint32_t hdr = frame_header_bytes(r, r->src.family);

	for (uint32_t i = 0; i < plen; i++)
		buf[hdr + i] = pattern(i);
	return frame_build(buf, r, &dst, plen);
}

static bool payload_intact(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != pattern(i))
			return false;
	return true;
}

/* Builds, checks the headers field by field and both checksums, parses back. */
static void round_trip(uint8_t family, bool has_vlan, uint16_t plen)
{
	struct net_route r = route_of(family, has_vlan);
	struct net_addr dst = dst_of(family);
	bool is_v4 = family == ADDR_IPV4;
	uint32_t l3 = has_vlan ? 18 : 14, hdr = l3 + (is_v4 ? 28 : 48);
	const uint8_t *ip = big + l3;
	struct frame_info fi;
	uint32_t n;

	CHECK_EQ(frame_header_bytes(&r, family), hdr);
	n = build(big, &r, plen);
	CHECK_EQ(n, hdr + plen);
	if (n != hdr + plen)
		return;
	CHECK_MEM(big, r.dst_mac, 6);
	CHECK_MEM(big + 6, r.src_mac, 6);
	if (has_vlan) {
		CHECK_EQ(load_be16(big + 12), 0x8100);
		CHECK_EQ(load_be16(big + 14), 0x2064);
	}
	CHECK_EQ(load_be16(ip - 2), is_v4 ? 0x0800 : 0x86dd);
	if (is_v4) {
		CHECK_EQ(ip[0], 0x45);
		CHECK_EQ(load_be16(ip + 2), 28 + plen);
		CHECK_EQ(load_be32(ip + 4), 0x00004000); /* id 0, DF, offset 0 */
		CHECK_EQ(ip[8], 64);
		CHECK_EQ(ip[9], 17);
		CHECK(ipv4_csum_right(ip));
	} else {
		CHECK_EQ(load_be32(ip), 0x60000000);
		CHECK_EQ(load_be16(ip + 4), 8 + plen);
		CHECK_EQ(ip[6], 17);
		CHECK_EQ(ip[7], 64);
	}
	CHECK_EQ(load_be16(big + hdr - 8), OUR_PORT);
	CHECK_EQ(load_be16(big + hdr - 6), DRIFT_PORT);
	CHECK_EQ(load_be16(big + hdr - 4), 8 + plen);
	CHECK(udp_csum_right(ip, is_v4));
	CHECK(payload_intact(big + hdr, plen));

	memset(&fi, 0xa5, sizeof(fi));
	CHECK_EQ(frame_parse(big, n, DRIFT_PORT, &fi), FRAME_OK);
	CHECK_EQ(fi.payload_off, hdr);
	CHECK_EQ(fi.payload_len, plen);
	CHECK(addr_equal(&fi.src, &r.src));
	CHECK(addr_equal(&fi.dst, &dst));
	CHECK_MEM(fi.src_mac, r.src_mac, 6);
	CHECK_EQ(fi.has_vlan, has_vlan);
	CHECK_EQ(fi.vlan_tci, has_vlan ? 0x2064 : 0);
	/* Ethernet padding after the datagram is ignored. */
	memset(big + n, 0, 18);
	CHECK_EQ(frame_parse(big, n + 18, DRIFT_PORT, &fi), FRAME_OK);
	CHECK_EQ(fi.payload_len, plen);
}

static void test_round_trip(void)
{
	static const uint16_t lens[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 1347, 1400, 2000};

	for (int v = 0; v < 4; v++)
		for (size_t i = 0; i < ARRAY_LEN(lens); i++)
			round_trip(v & 1 ? ADDR_IPV6 : ADDR_IPV4, v & 2, lens[i]);
}

/* Every payload length 0..600 (all alignments of the 8-byte loads), then the largest. */
static void test_checksum_lengths(void)
{
	for (uint16_t len = 0; len <= 600; len++) {
		round_trip(ADDR_IPV4, false, len);
		round_trip(ADDR_IPV6, len & 1, len);
	}
	/*
	 * A payload word equal to the checksum of the same frame with that word
	 * zero makes the sum all ones, so the computed checksum is 0 and must go
	 * out as 0xffff.
	 */
	for (int v = 0; v < 2; v++) {
		struct net_route r = route_of(v ? ADDR_IPV6 : ADDR_IPV4, v);
		struct net_addr dst = dst_of(r.src.family);
		uint32_t hdr = frame_header_bytes(&r, r.src.family);

		memset(big + hdr, 0, 2);
		CHECK_EQ(frame_build(big, &r, &dst, 2), hdr + 2);
		memcpy(big + hdr, big + hdr - 2, 2);
		CHECK_EQ(frame_build(big, &r, &dst, 2), hdr + 2);
		CHECK_EQ(load_be16(big + hdr - 2), 0xffff);
		CHECK(udp_csum_right(big + hdr - 8 - (v ? 40 : 20), !v));
	}
	round_trip(ADDR_IPV4, true, V4_MAX_PAYLOAD);
	round_trip(ADDR_IPV6, true, V6_MAX_PAYLOAD);
	/* A payload of all 0xff bytes drives the sum through every carry. */
	for (int v = 0; v < 2; v++) {
		struct net_route r = route_of(v ? ADDR_IPV6 : ADDR_IPV4, false);
		struct net_addr dst = dst_of(r.src.family);
		uint32_t hdr = frame_header_bytes(&r, r.src.family);

		memset(big + hdr, 0xff, 9000);
		CHECK_EQ(frame_build(big, &r, &dst, 9000), hdr + 9000);
		CHECK(udp_csum_right(big + 14, !v));
	}
}

/*
 * Frames worked out independently of this code (a few lines of Python with
 * struct.pack). IPv4 header sum by hand: 4500+001f+0000+4000+4011+c612+0001
 * +c612+0002 = 0x25157 -> 0x5159 -> checksum 0xaea6.
 */
static const uint8_t known_v4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, /* MACs */
	0x08, 0x00,								/* IPv4 */
	0x45, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xae, 0xa6, /* IP */
	0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,				/* addrs */
	0x1e, 0xc6, 0x9c, 0x40, 0x00, 0x0b, 0x2f, 0x40,				/* UDP */
	'h',  'i',  '!',
};

static const uint8_t known_v6_vlan[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, /* MACs */
	0x81, 0x00, 0x20, 0x64, 0x86, 0xdd,					/* 802.1Q, IPv6 */
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40,				/* IPv6 */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, /* src */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02,				/* dst */
	0x1e, 0xc6, 0x9c, 0x40, 0x00, 0x0d, 0xa7, 0x7f, /* UDP */
	'd',  'r',  'i',  'f',	't',
};

/* Received, not built by us: 802.1ad tag, IPv4 options (IHL 6), no UDP checksum, padding. */
static const uint8_t known_rx[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x02, 0x00, 0x00, 0x00, 0x00, 0xcc, /* MACs */
	0x88, 0xa8, 0x00, 0x05, 0x08, 0x00,					/* 802.1ad */
	0x46, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00, 0x03, 0x11, 0x8e, 0x8b, /* IP */
	0x0a, 0x00, 0x00, 0x09, 0x0a, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, /* + NOPs */
	0x14, 0xe9, 0x9c, 0x40, 0x00, 0x0c, 0x00, 0x00,				/* UDP */
	'p',  'i',  'n',  'g',	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* pad */
};

static void test_known_frames(void)
{
	struct net_route r4 = route_of(ADDR_IPV4, false), r6 = route_of(ADDR_IPV6, true);
	struct net_addr d4 = dst_of(ADDR_IPV4), d6 = dst_of(ADDR_IPV6);
	static const struct net_addr rx_src = {ADDR_IPV4, {10, 0, 0, 9}, 5353};
	static const struct net_addr rx_dst = {ADDR_IPV4, {10, 0, 0, 1}, DRIFT_PORT};
	uint8_t buf[128];
	struct frame_info fi;

	memcpy(buf + 42, "hi!", 3);
	CHECK_EQ(frame_build(buf, &r4, &d4, 3), sizeof(known_v4));
	CHECK_MEM(buf, known_v4, sizeof(known_v4));
	memcpy(buf + 66, "drift", 5);
	CHECK_EQ(frame_build(buf, &r6, &d6, 5), sizeof(known_v6_vlan));
	CHECK_MEM(buf, known_v6_vlan, sizeof(known_v6_vlan));

	CHECK_EQ(frame_parse(known_rx, sizeof(known_rx), DRIFT_PORT, &fi), FRAME_OK);
	CHECK_EQ(fi.payload_off, 50);
	CHECK_EQ(fi.payload_len, 4);
	CHECK_MEM(known_rx + fi.payload_off, "ping", 4);
	CHECK(addr_equal(&fi.src, &rx_src));
	CHECK(addr_equal(&fi.dst, &rx_dst));
	CHECK_MEM(fi.src_mac, known_rx + 6, 6);
	CHECK_EQ(fi.has_vlan, 1);
	CHECK_EQ(fi.vlan_tci, 5);
}

/*
 * Each cut of a valid frame, copied so that it ends exactly at the end of
 * `tail`: a read past frame[cut - 1] is a read past the array, which ASan
 * reports. A cut is accepted only once the whole UDP payload is present.
 */
static void truncations(const uint8_t *frame, uint32_t n, uint32_t full)
{
	static uint8_t tail[256];
	struct frame_info fi;

	for (uint32_t cut = 0; cut <= n; cut++) {
		uint8_t *copy = tail + sizeof(tail) - cut;
		enum frame_result res;

		memcpy(copy, frame, cut);
		res = frame_parse(copy, cut, DRIFT_PORT, &fi);
		if (cut < full) {
			CHECK(res != FRAME_OK);
		} else {
			CHECK_EQ(res, FRAME_OK);
			CHECK((uint32_t)fi.payload_off + fi.payload_len <= cut);
		}
	}
}

static void test_truncations(void)
{
	uint8_t buf[256];

	for (int v = 0; v < 4; v++) {
		struct net_route r = route_of(v & 1 ? ADDR_IPV6 : ADDR_IPV4, v & 2);
		uint32_t n = build(buf, &r, 40);

		truncations(buf, n, n);
		/* With Ethernet padding behind it: every cut from the datagram's end on is fine. */
		memset(buf + n, 0, 24);
		truncations(buf, n + 24, n);
	}
	truncations(known_rx, sizeof(known_rx), sizeof(known_rx) - 6);
}

enum frame_kind { V4, V6, V4_VLAN };

/* One change to a valid 20-byte-payload frame, and what the parser must say. */
struct malformed_case {
	enum frame_kind kind;
	uint8_t width;	/* 1 or 2 bytes written at `off` */
	uint16_t off;	/* absolute offset in the frame */
	uint16_t value; /* written big-endian */
	bool fix_csum;	/* recompute the IPv4 header checksum afterwards */
	uint16_t port;	/* want_port; 0 means DRIFT_PORT */
	enum frame_result want;
};

/*
 * Offsets. V4 (62 bytes): type 12, ver/IHL 14, total 16, frag 20, proto 23,
 * csum 24, UDP 34 (dport 36, len 38), payload 42; IP total 48.
 * V6 (82 bytes): type 12, ver 14, plen 18, next header 20, UDP 54 (dport
 * 56, len 58), payload 62; plen 28. V4_VLAN: tag 12..15, inner type 16.
 */
static const struct malformed_case malformed_cases[] = {
	/* 1 */ {V4, 2, 12, 0x0806, false, 0, FRAME_NOT_IP}, /* ARP */
	/* 2 */ {V4, 2, 12, 0x0040, false, 0, FRAME_NOT_IP}, /* 802.3 length */
	/* 3 */ {V4, 2, 12, 0x8100, false, 0, FRAME_NOT_IP}, /* tag eats 0x0800 */
	/* 4 */ {V4_VLAN, 2, 16, 0x0806, false, 0, FRAME_NOT_IP},
	/* 5 */ {V4_VLAN, 2, 16, 0x8100, false, 0, FRAME_NOT_IP}, /* second tag */
	/* 6 */ {V4_VLAN, 2, 12, 0x88a8, false, 0, FRAME_OK},	  /* 802.1ad */
	/* 7 */ {V4, 1, 14, 0x55, true, 0, FRAME_BAD_IP},	  /* version 5 */
	/* 8 */ {V4, 1, 14, 0x65, true, 0, FRAME_BAD_IP},	  /* version 6 */
	/* 9 */ {V4, 1, 14, 0x44, true, 0, FRAME_BAD_IP},	  /* IHL 4 */
	/* 10 */ {V4, 1, 14, 0x40, true, 0, FRAME_BAD_IP},	  /* IHL 0 */
	/* 11 */ {V4, 1, 14, 0x4f, false, 0, FRAME_TOO_SHORT},	  /* IHL 15: 60 > 48 bytes */
	/* 12 */ {V4, 2, 16, 49, true, 0, FRAME_BAD_IP},	  /* total > frame */
	/* 13 */ {V4, 2, 16, 0xffff, true, 0, FRAME_BAD_IP},
	/* 14 */ {V4, 2, 16, 19, true, 0, FRAME_BAD_IP}, /* total < IHL */
	/* 15 */ {V4, 2, 16, 0, true, 0, FRAME_BAD_IP},
	/* 16 */ {V4, 2, 24, 0x1234, false, 0, FRAME_BAD_IP},  /* header checksum */
	/* 17 */ {V4, 1, 26, 199, false, 0, FRAME_BAD_IP},     /* source changed after sum */
	/* 18 */ {V4, 2, 20, 0x2000, true, 0, FRAME_FRAGMENT}, /* MF */
	/* 19 */ {V4, 2, 20, 0x4001, true, 0, FRAME_FRAGMENT}, /* offset 8 with DF */
	/* 20 */ {V4, 2, 20, 0x1fff, true, 0, FRAME_FRAGMENT},
	/* 21 */ {V4, 2, 20, 0x0000, true, 0, FRAME_OK},    /* DF clear is fine */
	/* 22 */ {V4, 1, 23, 6, true, 0, FRAME_NOT_UDP},    /* TCP */
	/* 23 */ {V4, 1, 23, 136, true, 0, FRAME_NOT_UDP},  /* UDP-Lite */
	/* 24 */ {V4, 2, 16, 27, true, 0, FRAME_TOO_SHORT}, /* IP ends inside UDP */
	/* 25 */ {V4, 2, 16, 38, true, 0, FRAME_BAD_UDP},   /* UDP 28 > IP payload 18 */
	/* 26 */ {V4, 2, 38, 7, false, 0, FRAME_BAD_UDP},   /* UDP length 7 */
	/* 27 */ {V4, 2, 38, 0, false, 0, FRAME_BAD_UDP},
	/* 28 */ {V4, 2, 38, 29, false, 0, FRAME_BAD_UDP}, /* one past the datagram */
	/* 29 */ {V4, 2, 38, 0xffff, false, 0, FRAME_BAD_UDP},
	/* 30 */ {V4, 2, 38, 8, false, 0, FRAME_OK}, /* shorter than IP payload: fine */
	/* 31 */ {V4, 2, 36, 40001, false, 0, FRAME_WRONG_PORT},
	/* 32 */ {V4, 2, 36, DRIFT_PORT, false, 443, FRAME_WRONG_PORT},
	/* 33 */ {V4, 2, 34, DRIFT_PORT, false, 0, FRAME_OK}, /* source port is not checked */
	/* 34 */ {V6, 1, 14, 0x40, false, 0, FRAME_BAD_IP},   /* version 4 */
	/* 35 */ {V6, 1, 14, 0x70, false, 0, FRAME_BAD_IP},
	/* 36 */ {V6, 2, 18, 29, false, 0, FRAME_BAD_IP}, /* payload > frame */
	/* 37 */ {V6, 2, 18, 0xffff, false, 0, FRAME_BAD_IP},
	/* 38 */ {V6, 1, 20, 0, false, 0, FRAME_NOT_UDP},  /* hop-by-hop header first */
	/* 39 */ {V6, 1, 20, 44, false, 0, FRAME_NOT_UDP}, /* fragment header */
	/* 40 */ {V6, 1, 20, 43, false, 0, FRAME_NOT_UDP}, /* routing header */
	/* 41 */ {V6, 1, 20, 6, false, 0, FRAME_NOT_UDP},
	/* 42 */ {V6, 2, 18, 7, false, 0, FRAME_TOO_SHORT}, /* IP ends inside UDP */
	/* 43 */ {V6, 2, 18, 27, false, 0, FRAME_BAD_UDP},  /* UDP 28 > payload 27 */
	/* 44 */ {V6, 2, 58, 7, false, 0, FRAME_BAD_UDP},
	/* 45 */ {V6, 2, 58, 29, false, 0, FRAME_BAD_UDP},
	/* 46 */ {V6, 2, 56, 1, false, 0, FRAME_WRONG_PORT},
	/* 47 */ {V6, 2, 14, 0x6fff, false, 0, FRAME_OK}, /* traffic class, flow label */
};

static void test_malformed(void)
{
	bool seen[FRAME_RESULT_COUNT] = {false};
	uint8_t frames[3][128], g[128];
	uint32_t lens[3];

	for (int k = 0; k < 3; k++) {
		struct net_route r = route_of(k == V6 ? ADDR_IPV6 : ADDR_IPV4, k == V4_VLAN);

		lens[k] = build(frames[k], &r, 20);
	}
	CHECK_EQ(lens[V4], 62);
	CHECK_EQ(lens[V6], 82);
	for (size_t i = 0; i < ARRAY_LEN(malformed_cases); i++) {
		const struct malformed_case *mc = &malformed_cases[i];
		uint32_t l3 = mc->kind == V4_VLAN ? 18 : 14;
		struct frame_info fi;
		enum frame_result res;

		memcpy(g, frames[mc->kind], lens[mc->kind]);
		if (mc->width == 1)
			g[mc->off] = (uint8_t)mc->value;
		else
			store_be16(g + mc->off, mc->value);
		if (mc->fix_csum) {
			size_t ihl = (size_t)(g[l3] & 0x0f) * 4;

			store_be16(g + l3 + 10, 0);
			store_be16(g + l3 + 10, ref_csum(ref_add(0, g + l3, ihl < 20 ? 20 : ihl)));
		}
		res = frame_parse(g, lens[mc->kind], mc->port ? mc->port : DRIFT_PORT, &fi);
		if (res != mc->want)
			fprintf(stderr, "malformed case %zu: got %s, want %s\n", i + 1,
				frame_result_name(res), frame_result_name(mc->want));
		CHECK_EQ(res, mc->want);
		if ((unsigned)res < FRAME_RESULT_COUNT)
			seen[res] = true;
	}
	/* The table produces every result, from frames of every other size too. */
	CHECK_EQ(frame_parse(frames[V4], 0, DRIFT_PORT, &(struct frame_info){0}), FRAME_TOO_SHORT);
	CHECK_EQ(frame_parse(frames[V4_VLAN], 16, DRIFT_PORT, &(struct frame_info){0}),
		 FRAME_TOO_SHORT);
	for (int r = 0; r < FRAME_RESULT_COUNT; r++) {
		if (!seen[r])
			fprintf(stderr, "no malformed case yields %s\n",
				frame_result_name((enum frame_result)r));
		CHECK(seen[r]);
	}
}

static void test_result_names(void)
{
	for (int i = 0; i < FRAME_RESULT_COUNT; i++) {
		const char *name = frame_result_name((enum frame_result)i);

		CHECK(name != NULL && name[0] != '\0' && strcmp(name, "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(name, frame_result_name((enum frame_result)j)) != 0);
	}
	CHECK(strcmp(frame_result_name(FRAME_RESULT_COUNT), "unknown") == 0);
	CHECK(strcmp(frame_result_name((enum frame_result) - 1), "unknown") == 0);
	CHECK(strcmp(frame_result_name(FRAME_BAD_IP), "bad_ip") == 0);
}

static void test_build_refuses(void)
{
	struct net_route r4 = route_of(ADDR_IPV4, false), r6 = route_of(ADDR_IPV6, true);
	struct net_addr d4 = dst_of(ADDR_IPV4), d6 = dst_of(ADDR_IPV6), none = {0};
	struct net_route bad;

	/* 1: family mismatch, both ways */
	CHECK_EQ(frame_build(big, &r4, &d6, 10), 0);
	CHECK_EQ(frame_build(big, &r6, &d4, 10), 0);
	CHECK_EQ(frame_header_bytes(&r4, ADDR_IPV6), 0);
	/* 2: not resolved, with or without the VLAN flag */
	bad = r4;
	bad.flags = 0;
	CHECK_EQ(frame_build(big, &bad, &d4, 10), 0);
	CHECK_EQ(frame_header_bytes(&bad, ADDR_IPV4), 0);
	bad.flags = NET_ROUTE_VLAN;
	CHECK_EQ(frame_build(big, &bad, &d4, 10), 0);
	/* 3: no family at all */
	bad = r4;
	bad.src.family = ADDR_NONE;
	CHECK_EQ(frame_build(big, &bad, &none, 10), 0);
	CHECK_EQ(frame_header_bytes(&bad, ADDR_NONE), 0);
	bad.src.family = 5;
	none.family = 5;
	CHECK_EQ(frame_build(big, &bad, &none, 10), 0);
	/* 4: oversize, one past the largest accepted payload */
	CHECK_EQ(frame_build(big, &r4, &d4, V4_MAX_PAYLOAD + 1), 0);
	CHECK_EQ(frame_build(big, &r4, &d4, 0xffff), 0);
	CHECK_EQ(frame_build(big, &r6, &d6, V6_MAX_PAYLOAD + 1), 0);
	CHECK_EQ(frame_build(big, &r6, &d6, 0xffff), 0);
	CHECK_EQ(frame_build(big, &r4, &d4, V4_MAX_PAYLOAD), 42 + V4_MAX_PAYLOAD);
	CHECK_EQ(frame_build(big, &r6, &d6, V6_MAX_PAYLOAD), 66 + V6_MAX_PAYLOAD);
	/* 5: header sizes */
	CHECK_EQ(frame_header_bytes(&r4, ADDR_IPV4), 42);
	CHECK_EQ(frame_header_bytes(&r6, ADDR_IPV6), 66);
	CHECK(frame_header_bytes(&r6, ADDR_IPV6) <= FRAME_MAX_HEADER_BYTES);
}

int main(void)
{
	test_round_trip();
	test_checksum_lengths();
	test_known_frames();
	test_truncations();
	test_malformed();
	test_result_names();
	test_build_refuses();
	return harness_finish();
}
