/* SPDX-License-Identifier: MIT */
/*
 * dataplane/frame: build then parse (IPv4, IPv6, VLAN), checksums against a
 * slow reference, one hand-checked frame, and every malformed shape the
 * parser must refuse, including every truncation of a valid frame.
 */
#include "dataplane/frame.h"
#include "internal/bytes.h"

#include "tests/lib/harness.h"

#include <stdio.h>
#include <string.h>

static struct net_route route_v4(void)
{
	struct net_route r = {
		.dst_mac = {0x02, 0, 0, 0, 0, 0xbb},
		.src_mac = {0x02, 0, 0, 0, 0, 0xaa},
		.flags = NET_ROUTE_VALID,
		.ifindex = 3,
		.src = {.family = ADDR_IPV4, .ip = {198, 18, 0, 1}, .port = 7878},
	};

	return r;
}

static struct net_route route_v6(void)
{
	struct net_route r = route_v4();

	memset(&r.src, 0, sizeof(r.src));
	r.src.family = ADDR_IPV6;
	r.src.ip[0] = 0x20;
	r.src.ip[1] = 0x01;
	r.src.ip[15] = 1;
	r.src.port = 7878;
	return r;
}

static struct net_addr dst_of(uint8_t family)
{
	struct net_addr a = {.family = family, .port = 40000};

	if (family == ADDR_IPV4) {
		a.ip[0] = 198;
		a.ip[1] = 18;
		a.ip[3] = 2;
	} else {
		a.ip[0] = 0x20;
		a.ip[1] = 0x01;
		a.ip[15] = 2;
	}
	return a;
}

/* RFC 1071 the slow way: 16-bit big-endian words, carries folded at the end. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t start)
{
	uint32_t s = start;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The UDP checksum of a built frame verifies (pseudo-header + UDP = 0xffff). */
static bool udp_csum_ok(const uint8_t *f, uint32_t l3, bool is_v4)
{
	const uint8_t *ip = f + l3, *udp = ip + (is_v4 ? 20 : 40);
	uint16_t ulen = load_be16(udp + 4);
	uint32_t s = 0;

	if (is_v4) {
		s = ref_sum(ip + 12, 8, 0);
		s += 17 + ulen;
	} else {
		s = ref_sum(ip + 8, 32, 0);
		s += 17 + ulen;
	}
	return ref_sum(udp, ulen, s) == 0xffff;
}

static uint32_t build(uint8_t *buf, const struct net_route *r, uint8_t family, uint16_t plen)
{
	struct net_addr dst = dst_of(family);
	uint32_t hdr = frame_header_bytes(r, family);

	for (uint16_t i = 0; i < plen; i++)
		buf[hdr + i] = (uint8_t)(i * 7 + 1);
	return frame_build(buf, r, &dst, plen);
}

static void test_round_trip(void)
{
	static const uint16_t lens[] = {0, 1, 3, 7, 8, 9, 64, 1347, 1400};
	uint8_t buf[2048];

	for (int v = 0; v < 3; v++)
		for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
			struct net_route r = v == 1 ? route_v6() : route_v4();
			uint8_t family = v == 1 ? ADDR_IPV6 : ADDR_IPV4;
			struct net_addr dst = dst_of(family);
			struct frame_info fi;
			uint32_t n, hdr, l3;

			if (v == 2) {
				r.flags |= NET_ROUTE_VLAN;
				r.vlan_tci = 7;
			}
			hdr = frame_header_bytes(&r, family);
			CHECK_EQ(hdr, (family == ADDR_IPV4 ? 42u : 62u) + (v == 2 ? 4u : 0u));
			n = build(buf, &r, family, lens[i]);
			CHECK_EQ(n, hdr + lens[i]);
			CHECK_EQ(frame_parse(buf, n, 40000, &fi), FRAME_OK);
			CHECK_EQ(fi.payload_off, hdr);
			CHECK_EQ(fi.payload_len, lens[i]);
			CHECK(addr_equal(&fi.src, &r.src));
			CHECK(addr_equal(&fi.dst, &dst));
			CHECK_MEM(fi.src_mac, r.src_mac, 6);
			CHECK_EQ(fi.has_vlan, v == 2);
			CHECK_EQ(fi.vlan_tci, v == 2 ? 7 : 0);
			for (uint16_t k = 0; k < lens[i]; k++)
				if (buf[hdr + k] != (uint8_t)(k * 7 + 1)) {
					CHECK(!"payload intact");
					break;
				}
			l3 = 14 + (v == 2 ? 4 : 0);
			if (family == ADDR_IPV4)
				CHECK_EQ(ref_sum(buf + l3, 20, 0), 0xffff);
			CHECK(udp_csum_ok(buf, l3, family == ADDR_IPV4));
			/* Ethernet padding after the datagram is ignored. */
			memset(buf + n, 0, 20);
			CHECK_EQ(frame_parse(buf, n + 20, 40000, &fi), FRAME_OK);
			CHECK_EQ(fi.payload_len, lens[i]);
		}
}

/* A frame checked byte by byte (IPv4 header checksum worked out by hand: 0xaea8). */
static void test_known_frame(void)
{
	static const uint8_t want[] = {
		0x02, 0,    0,	  0,	0,    0xbb, 0x02, 0,	0,  0,	0,    0xaa,
		0x08, 0x00,							    /* Ethernet */
		0x45, 0,    0x00, 0x1d, 0,    0,    0x40, 0,	64, 17, 0xae, 0xa8, /* IPv4 ... */
		198,  18,   0,	  1,	198,  18,   0,	  2,			    /* addresses */
		0x1e, 0xc6, 0x9c, 0x40, 0x00, 0x09, 0x00, 0x00, /* UDP, csum later */
		0x01,						/* payload */
	};
	struct net_route r = route_v4();
	uint8_t buf[64];
	uint32_t n = build(buf, &r, ADDR_IPV4, 1);

	CHECK_EQ(n, sizeof(want));
	/* Everything but the UDP checksum, which udp_csum_ok() checks independently. */
	CHECK_MEM(buf, want, 40);
	CHECK_MEM(buf + 42, want + 42, 1);
	CHECK(udp_csum_ok(buf, 14, true));
}

static void test_truncations(void)
{
	uint8_t buf[256], copy[256];
	struct net_route r4 = route_v4(), r6 = route_v6();
	struct frame_info fi;

	for (int v = 0; v < 2; v++) {
		uint32_t n = build(buf, v ? &r6 : &r4, v ? ADDR_IPV6 : ADDR_IPV4, 40);

		for (uint32_t cut = 0; cut < n; cut++) {
			enum frame_result res;

			/* A private copy of exactly `cut` bytes: ASan sees any read past it. */
			memcpy(copy, buf, cut);
			res = frame_parse(copy, cut, 40000, &fi);
			CHECK(res != FRAME_OK);
		}
	}
}

static void test_malformed(void)
{
	struct net_route r = route_v4();
	struct frame_info fi;
	uint8_t f[256], g[256];
	uint32_t n = build(f, &r, ADDR_IPV4, 20);

#define MUTATE(stmt, want)                                       \
	do {                                                     \
		memcpy(g, f, n);                                 \
		stmt;                                            \
		CHECK_EQ(frame_parse(g, n, 40000, &fi), (want)); \
	} while (0)
	MUTATE(store_be16(g + 12, 0x0806), FRAME_NOT_IP);
	MUTATE(g[14] = 0x44, FRAME_BAD_IP);			     /* IHL 4 */
	MUTATE(g[14] = 0x55, FRAME_BAD_IP);			     /* version 5 */
	MUTATE(store_be16(g + 16, (uint16_t)(n + 1)), FRAME_BAD_IP); /* total > frame */
	MUTATE(g[24] ^= 1, FRAME_BAD_IP);			     /* header checksum */
	MUTATE(store_be16(g + 38, 7), FRAME_BAD_UDP);		     /* UDP length 7 */
	MUTATE(store_be16(g + 38, 200), FRAME_BAD_UDP);		     /* past the datagram */
	CHECK_EQ(frame_parse(f, n, 40001, &fi), FRAME_WRONG_PORT);
	/* Fragment and not-UDP need a valid header checksum: fix it up after the change. */
	memcpy(g, f, n);
	store_be16(g + 20, 0x2000);
	store_be16(g + 24, 0);
	store_be16(g + 24, (uint16_t)~ref_sum(g + 14, 20, 0));
	CHECK_EQ(frame_parse(g, n, 40000, &fi), FRAME_FRAGMENT);
	memcpy(g, f, n);
	g[23] = 6;
	store_be16(g + 24, 0);
	store_be16(g + 24, (uint16_t)~ref_sum(g + 14, 20, 0));
	CHECK_EQ(frame_parse(g, n, 40000, &fi), FRAME_NOT_UDP);
	/* IPv6 with a hop-by-hop extension header in front of UDP. */
	r = route_v6();
	n = build(f, &r, ADDR_IPV6, 20);
	memcpy(g, f, n);
	g[20] = 0;
	CHECK_EQ(frame_parse(g, n, 40000, &fi), FRAME_NOT_UDP);
	memcpy(g, f, n);
	store_be16(g + 18, 500);
	CHECK_EQ(frame_parse(g, n, 40000, &fi), FRAME_BAD_IP);
	/* VLAN tag with nothing after it. */
	memcpy(g, f, 14);
	store_be16(g + 12, 0x8100);
	CHECK_EQ(frame_parse(g, 16, 40000, &fi), FRAME_TOO_SHORT);
	for (int i = 0; i <= FRAME_RESULT_COUNT; i++)
		CHECK(frame_result_name((enum frame_result)i) != NULL);
#undef MUTATE
}

static void test_build_refuses(void)
{
	struct net_route r = route_v4();
	struct net_addr d6 = dst_of(ADDR_IPV6), d4 = dst_of(ADDR_IPV4);
	uint8_t buf[128];

	CHECK_EQ(frame_build(buf, &r, &d6, 10), 0); /* family mismatch */
	r.flags = 0;
	CHECK_EQ(frame_build(buf, &r, &d4, 10), 0); /* not resolved */
	CHECK_EQ(frame_header_bytes(&r, ADDR_IPV4), 0);
	r = route_v6();
	CHECK_EQ(frame_build(buf, &r, &d6, 65500), 0); /* over 65535 */
}

int main(void)
{
	test_round_trip();
	test_known_frame();
	test_truncations();
	test_malformed();
	test_build_refuses();
	return harness_finish();
}
