/* SPDX-License-Identifier: MIT */
/*
 * dataplane/tun_offload: TSO/USO super-packets (IPv4 with and without
 * options, IPv6, TCP timestamps and SACK blocks) split and compared byte for
 * byte with segments built independently here from their fields (ids, seq,
 * flags, lengths) with checksums from a slow RFC 1071 reference; splits
 * planned back through GRO must rebuild the super-packet the kernel gave;
 * NEEDS_CSUM-only packets; a numbered table of malformed inputs covering
 * every tun_gso_result, with a check that nothing was written; every
 * truncation of valid super-packets (read from the very end of an array so
 * ASan sees any overread); and GRO cases (interleaved flows, seq and id
 * gaps, sizes, PSH, FIN, non-flow packets, eviction, limits).
 *
 * It also prints the cost of one 64 KiB TSO split; nothing asserts speed.
 */
#include "dataplane/tun_offload.h"
#include "internal/bytes.h"

#include "tests/lib/harness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum {
	SEG_CAP = 65535,
	MAX_SEGS = 128,
	MSS = 1448,
	MTU = 1500,
	TCP_FIN = 0x01,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_CWR = 0x80,
};

static uint8_t seg[MAX_SEGS][SEG_CAP];
static uint8_t *outs[MAX_SEGS];
static uint16_t out_lens[MAX_SEGS];
static uint8_t super[70000];
static uint8_t want[SEG_CAP];
static uint8_t payload[70000];
static uint8_t tail[70000]; /* packets copied to its very end for the truncation walk */

/* ------------------------------------------------------------------------- */
/* Reference: RFC 1071 the slow way and packets built from their fields */

static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

enum csum_mode {
	CSUM_FULL,    /* a finished checksum, as on the wire */
	CSUM_PARTIAL, /* the pseudo-header sum, as the kernel leaves it with NEEDS_CSUM */
};

struct spec {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* 6 or 17 */
	uint8_t ip_opt_bytes;
	uint8_t tcp_opt_bytes; /* 0, 12 (timestamps) or 24 (timestamps + one SACK block) */
	uint8_t tos, ttl, host;
	bool is_df;
	uint16_t id;
	uint32_t flow_label;
	uint16_t sport, dport;
	uint32_t seq, ack, tsval;
	uint8_t flags;
	uint16_t win;
};

static uint32_t ip_bytes_of(const struct spec *s)
{
	return s->family == 4 ? 20u + s->ip_opt_bytes : 40u;
}

static uint32_t l4_bytes_of(const struct spec *s)
{
	return s->proto == 6 ? 20u + s->tcp_opt_bytes : 8u;
}

static uint32_t pseudo_of(const uint8_t *b, uint8_t proto, uint32_t l4_len)
{
	uint32_t s = b[0] >> 4 == 4 ? ref_add(0, b + 12, 8) : ref_add(0, b + 8, 32);

	return s + proto + l4_len;
}

static void build_ip(uint8_t *b, const struct spec *s, uint32_t tot)
{
	uint32_t ip = ip_bytes_of(s);

	memset(b, 0, ip);
	if (s->family == 6) {
		store_be32(b, 0x60000000u | (uint32_t)s->tos << 20 | s->flow_label);
		store_be16(b + 4, (uint16_t)(tot - 40));
		b[6] = s->proto;
		b[7] = s->ttl;
		b[8] = 0xfd;
		b[23] = s->host;
		b[24] = 0xfd;
		b[37] = 1;
		b[39] = 2;
		return;
	}
	b[0] = (uint8_t)(0x40 | ip / 4);
	b[1] = s->tos;
	store_be16(b + 2, (uint16_t)tot);
	store_be16(b + 4, s->id);
	store_be16(b + 6, s->is_df ? 0x4000 : 0);
	b[8] = s->ttl;
	b[9] = s->proto;
	b[12] = 10;
	b[15] = s->host;
	b[16] = 10;
	b[18] = 1;
	b[19] = 2;
	for (uint32_t i = 20; i < ip; i += 4) { /* router alert */
		b[i] = 0x94;
		b[i + 1] = 4;
	}
	store_be16(b + 10, (uint16_t)~ref_fold(ref_add(0, b, ip)));
}

static void build_tcp(uint8_t *t, const struct spec *s)
{
	store_be16(t, s->sport);
	store_be16(t + 2, s->dport);
	store_be32(t + 4, s->seq);
	store_be32(t + 8, s->ack);
	t[12] = (uint8_t)((20 + s->tcp_opt_bytes) / 4 << 4);
	t[13] = s->flags;
	store_be16(t + 14, s->win);
	memset(t + 16, 0, 4);
	if (s->tcp_opt_bytes >= 12) {
		static const uint8_t ts[4] = {1, 1, 8, 10};

		memcpy(t + 20, ts, 4);
		store_be32(t + 24, s->tsval);
		store_be32(t + 28, s->tsval - 7);
	}
	if (s->tcp_opt_bytes >= 24) {
		static const uint8_t sack[4] = {1, 1, 5, 10};

		memcpy(t + 32, sack, 4);
		store_be32(t + 36, s->ack + 1000);
		store_be32(t + 40, s->ack + 2000);
	}
}

/* A whole packet from its fields: returns its length. */
static uint32_t build(uint8_t *b, const struct spec *s, const uint8_t *pay, uint32_t plen,
		      enum csum_mode m)
{
	uint32_t ip = ip_bytes_of(s), l4h = l4_bytes_of(s), l4_len = l4h + plen;
	uint8_t *l4 = b + ip, *field = l4 + (s->proto == 6 ? 16 : 6);
	uint16_t c;

	build_ip(b, s, ip + l4_len);
	if (s->proto == 6) {
		build_tcp(l4, s);
	} else {
		store_be16(l4, s->sport);
		store_be16(l4 + 2, s->dport);
		store_be16(l4 + 4, (uint16_t)l4_len);
		memset(l4 + 6, 0, 2);
	}
	memcpy(l4 + l4h, pay, plen);
	if (m == CSUM_PARTIAL) {
		c = ref_fold(pseudo_of(b, s->proto, l4_len));
	} else {
		c = (uint16_t)~ref_fold(ref_add(pseudo_of(b, s->proto, l4_len), l4, l4_len));
		if (c == 0 && s->proto == 17)
			c = 0xffff;
	}
	store_be16(field, c);
	return ip + l4_len;
}

static bool l4_verifies(const uint8_t *b, uint32_t len, uint32_t ip, uint8_t proto)
{
	return ref_fold(ref_add(pseudo_of(b, proto, len - ip), b + ip, len - ip)) == 0xffff;
}

static struct spec tcp_spec(uint8_t family)
{
	return (struct spec){
		.family = family,
		.proto = 6,
		.tcp_opt_bytes = 12,
		.ttl = 64,
		.host = 1,
		.is_df = true,
		.id = 0x1234,
		.flow_label = 0xabcde,
		.sport = 43210,
		.dport = 443,
		.seq = 0x10203040,
		.ack = 0x55667788,
		.tsval = 0xdeadbeef,
		.flags = TCP_ACK,
		.win = 502,
	};
}

static struct spec udp_spec(uint8_t family)
{
	struct spec s = tcp_spec(family);

	s.proto = 17;
	s.tcp_opt_bytes = 0;
	return s;
}

static void fill_payload(uint32_t seed)
{
	for (uint32_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)((i * 131 + seed) ^ (i >> 7));
}

/* The virtio_net_hdr the kernel would give with a super-packet built from s. */
static struct virtio_net_hdr vh_for(const struct spec *s, uint16_t gso_size)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.hdr_len = (uint16_t)(ip_bytes_of(s) + l4_bytes_of(s)),
		.gso_size = gso_size,
		.csum_start = (uint16_t)ip_bytes_of(s),
		.csum_offset = s->proto == 6 ? 16 : 6,
	};

	if (s->proto == 17)
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	else
		vh.gso_type = s->family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	return vh;
}

static enum tun_gso_result split(const struct virtio_net_hdr *vh, const uint8_t *p, size_t len,
				 uint32_t mtu, uint32_t max_out, uint32_t *n)
{
	*n = 0;
	return tun_gso_split(vh, p, len, mtu, outs, out_lens, max_out, SEG_CAP, n);
}

/* ------------------------------------------------------------------------- */
/* Split */

/* Splits a super-packet of plen payload bytes built from s and checks every segment. */
static void check_split(int case_no, const struct spec *s, uint32_t plen, uint16_t mss,
			uint32_t mtu)
{
	struct virtio_net_hdr vh = vh_for(s, mss);
	uint32_t len = build(super, s, payload, plen, CSUM_PARTIAL), n = 0;
	uint32_t n_want = (plen + mss - 1) / mss, ip = ip_bytes_of(s);

	CHECK_EQ(split(&vh, super, len, mtu, MAX_SEGS, &n), TUN_GSO_OK);
	CHECK_EQ(n, n_want);
	for (uint32_t i = 0; i < n && i < n_want; i++) {
		struct spec si = *s;
		uint32_t off = i * mss, pl = plen - off < mss ? plen - off : mss, wl;

		si.id = (uint16_t)(s->id + i);
		si.seq = s->seq + off;
		if (i != 0)
			si.flags = (uint8_t)(si.flags & ~TCP_CWR);
		if (i + 1 != n_want)
			si.flags = (uint8_t)(si.flags & ~(TCP_FIN | TCP_PSH));
		wl = build(want, &si, payload + off, pl, CSUM_FULL);
		CHECK_EQ(out_lens[i], wl);
		if (out_lens[i] != wl || memcmp(outs[i], want, wl) != 0) {
			fprintf(stderr, "  case %d: segment %u of %u differs\n", case_no, i, n);
			CHECK_MEM(outs[i], want, wl < out_lens[i] ? wl : out_lens[i]);
			return;
		}
		CHECK(out_lens[i] <= mtu);
		CHECK(l4_verifies(outs[i], out_lens[i], ip, s->proto));
	}
}

static void test_split_segments(void)
{
	struct spec s;

	fill_payload(1);
	/* 1: TSO v4, timestamps, 64 KiB, flags spread over segments. */
	s = tcp_spec(4);
	s.flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;
	check_split(1, &s, 65535 - 20 - 32, MSS, MTU);
	/* 2: IPv4 options, ids wrapping, seq wrapping, timestamps + SACK. */
	s = tcp_spec(4);
	s.ip_opt_bytes = 8;
	s.tcp_opt_bytes = 24;
	s.id = 0xfffe;
	s.seq = 0xfffff000;
	s.tos = 0x02;
	check_split(2, &s, 20000, 1400, MTU);
	/* 3: TSO v6 with a short last segment, no DF semantics. */
	s = tcp_spec(6);
	s.flags = TCP_ACK | TCP_PSH;
	check_split(3, &s, 65000, 1428, MTU);
	/* 4: TSO v6, no options, one segment only (payload below gso_size). */
	s = tcp_spec(6);
	s.tcp_opt_bytes = 0;
	check_split(4, &s, 700, 1440, MTU);
	/* 5: USO v4 and v6, last segment short. */
	s = udp_spec(4);
	check_split(5, &s, 60000, 1472, MTU);
	s = udp_spec(6);
	check_split(6, &s, 33333, 1452, MTU);
	/* 7: v4 without DF, small mss, 100 segments. */
	s = tcp_spec(4);
	s.is_df = false;
	check_split(7, &s, 100 * 500, 500, 600);
	/* 8: a large mtu: the whole super-packet as one segment. */
	s = tcp_spec(4);
	check_split(8, &s, 60000, 65000, 65535);
}

/* The same super-packet with a lying hdr_len or the ECN bit splits the same. */
static void test_split_hints(void)
{
	static const uint16_t hdr_lens[] = {0, 1, 20, 52, 1500, 65535};
	struct spec s = tcp_spec(4);
	struct virtio_net_hdr vh = vh_for(&s, MSS);
	uint32_t len, n, n0;
	static uint8_t first[MTU];

	fill_payload(2);
	len = build(super, &s, payload, 10000, CSUM_PARTIAL);
	CHECK_EQ(split(&vh, super, len, MTU, MAX_SEGS, &n0), TUN_GSO_OK);
	memcpy(first, outs[0], out_lens[0]);
	for (size_t i = 0; i < ARRAY_LEN(hdr_lens); i++) {
		vh.hdr_len = hdr_lens[i];
		CHECK_EQ(split(&vh, super, len, MTU, MAX_SEGS, &n), TUN_GSO_OK);
		CHECK(n == n0 && memcmp(outs[0], first, out_lens[0]) == 0);
	}
	/* 9: ECN in gso_type, and no NEEDS_CSUM (the field is ignored either way). */
	vh = vh_for(&s, MSS);
	vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	CHECK_EQ(split(&vh, super, len, MTU, MAX_SEGS, &n), TUN_GSO_OK);
	CHECK(n == n0 && memcmp(outs[0], first, out_lens[0]) == 0);
	vh = vh_for(&s, MSS);
	vh.flags = 0;
	vh.csum_start = 3;
	CHECK_EQ(split(&vh, super, len, MTU, MAX_SEGS, &n), TUN_GSO_OK);
	CHECK(n == n0 && memcmp(outs[0], first, out_lens[0]) == 0);
	/* 10: bytes after the IP packet are not part of it. */
	memset(super + len, 0xee, 100);
	vh = vh_for(&s, MSS);
	CHECK_EQ(split(&vh, super, len + 100, MTU, MAX_SEGS, &n), TUN_GSO_OK);
	CHECK(n == n0 && memcmp(outs[0], first, out_lens[0]) == 0);
}

/*
 * Sets the payload word at even offset `at` so that the UDP checksum of the
 * datagram carrying payload[off..off + plen) computes to 0.
 */
static void force_zero_udp_sum(const struct spec *s, uint32_t off, uint32_t plen, uint32_t at)
{
	uint32_t ip = ip_bytes_of(s), sum;

	payload[at] = payload[at + 1] = 0;
	build(want, s, payload + off, plen, CSUM_PARTIAL);
	want[ip + 6] = want[ip + 7] = 0;
	sum = ref_fold(ref_add(pseudo_of(want, 17, plen + 8), want + ip, plen + 8));
	/* fold(sum + w) must be 0xffff: w = 0xffff - sum (sum is never 0: the header has ports). */
	store_be16(payload + at, (uint16_t)(0xffff - sum));
}

static void test_split_none(void)
{
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	struct spec s = tcp_spec(4);
	uint32_t len, n;

	fill_payload(3);
	/* 11: NEEDS_CSUM on a plain TCP v4 packet finishes it exactly as the full sum. */
	len = build(super, &s, payload, 1000, CSUM_PARTIAL);
	vh.csum_start = 20;
	vh.csum_offset = 16;
	CHECK_EQ(split(&vh, super, len, MTU, 1, &n), TUN_GSO_OK);
	CHECK_EQ(build(want, &s, payload, 1000, CSUM_FULL), len);
	CHECK(n == 1 && out_lens[0] == len && memcmp(outs[0], want, len) == 0);
	/* 12: UDP v6 whose sum computes to 0: sent as 0xffff. */
	s = udp_spec(6);
	force_zero_udp_sum(&s, 0, 999, 500);
	len = build(super, &s, payload, 999, CSUM_PARTIAL);
	vh.csum_start = 40;
	vh.csum_offset = 6;
	CHECK_EQ(split(&vh, super, len, MTU, 1, &n), TUN_GSO_OK);
	CHECK(n == 1 && load_be16(outs[0] + 46) == 0xffff);
	CHECK(l4_verifies(outs[0], out_lens[0], 40, 17));
	/* 13: ... and a USO segment whose sum is 0 also carries 0xffff. */
	force_zero_udp_sum(&s, 1452, 1452, 1452 + 100);
	check_split(13, &s, 1452 * 3, 1452, MTU);
	CHECK_EQ(load_be16(outs[1] + 46), 0xffff);
	/* 14: without NEEDS_CSUM a packet is copied as is, bytes past it dropped. */
	s = tcp_spec(6);
	len = build(super, &s, payload, 300, CSUM_FULL);
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	CHECK_EQ(split(&vh, super, len + 9, MTU, 1, &n), TUN_GSO_OK);
	CHECK(n == 1 && out_lens[0] == len && memcmp(outs[0], super, len) == 0);
	/* 15: IPv6 with a hop-by-hop header passes through, and gets its sum finished. */
	memmove(super + 48, super + 40, len - 40);
	memset(super + 40, 0, 8);
	super[40] = 6; /* next header TCP, length 0, PadN */
	super[42] = 1;
	super[43] = 4;
	super[6] = 0;
	store_be16(super + 4, (uint16_t)(len - 40 + 8));
	CHECK_EQ(split(&vh, super, len + 8, MTU, 1, &n), TUN_GSO_OK);
	CHECK(n == 1 && out_lens[0] == len + 8 && memcmp(outs[0], super, len + 8) == 0);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 48;
	vh.csum_offset = 16;
	store_be16(super + 64, ref_fold(pseudo_of(super, 6, len - 40)));
	CHECK_EQ(split(&vh, super, len + 8, MTU, 1, &n), TUN_GSO_OK);
	CHECK(ref_fold(ref_add(pseudo_of(outs[0], 6, len - 40), outs[0] + 48, len - 40)) == 0xffff);
	/* 16: ICMP (any protocol): the checksum field can sit anywhere even. */
	s = tcp_spec(4);
	len = build(super, &s, payload, 100, CSUM_FULL);
	super[9] = 1;
	store_be16(super + 10, 0);
	store_be16(super + 10, (uint16_t)~ref_fold(ref_add(0, super, 20)));
	memset(super + 22, 0, 2);
	vh.csum_start = 20;
	vh.csum_offset = 2;
	CHECK_EQ(split(&vh, super, len, MTU, 1, &n), TUN_GSO_OK);
	CHECK(ref_fold(ref_add(0, outs[0] + 20, len - 20)) == 0xffff);
}

struct bad_case {
	int no;
	enum tun_gso_result want;
	const char *what;
};

/* One malformed input: the result, and nothing written. */
static void expect_bad(const struct bad_case *bc, const struct virtio_net_hdr *vh, const uint8_t *p,
		       size_t len, uint32_t mtu, uint32_t max_out)
{
	uint32_t n = 777;
	enum tun_gso_result r;

	memset(outs[0], 0xa5, 64);
	out_lens[0] = 0x7777;
	r = tun_gso_split(vh, p, len, mtu, outs, out_lens, max_out, SEG_CAP, &n);
	if (r != bc->want)
		fprintf(stderr, "  case %d (%s): got %s, want %s\n", bc->no, bc->what,
			tun_gso_result_name(r), tun_gso_result_name(bc->want));
	CHECK_EQ(r, bc->want);
	CHECK(n == 777 && out_lens[0] == 0x7777 && outs[0][0] == 0xa5 && outs[0][63] == 0xa5);
}

static void test_split_malformed(void)
{
	struct spec s4 = tcp_spec(4), s6 = tcp_spec(6), u4 = udp_spec(4);
	static uint8_t p[4][70000];
	uint32_t l4 = build(p[0], &s4, payload, 14480, CSUM_PARTIAL);
	uint32_t l6 = build(p[1], &s6, payload, 14280, CSUM_PARTIAL);
	uint32_t lu = build(p[2], &u4, payload, 14720, CSUM_PARTIAL);
	struct virtio_net_hdr v4 = vh_for(&s4, MSS), v6 = vh_for(&s6, 1428), vu = vh_for(&u4, 1472);
	struct virtio_net_hdr vh, none = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	uint8_t *q = p[3];

#define BAD(no_, want_, what_) (&(struct bad_case){(no_), TUN_GSO_##want_, (what_)})
	vh = v4, vh.gso_type = 2;
	expect_bad(BAD(20, BAD_HDR, "unknown gso_type"), &vh, p[0], l4, MTU, MAX_SEGS);
	vh = vu, vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	expect_bad(BAD(21, UNSUPPORTED, "UFO"), &vh, p[2], lu, MTU, MAX_SEGS);
	vh = v4, vh.gso_size = 0;
	expect_bad(BAD(22, BAD_HDR, "gso_size 0"), &vh, p[0], l4, MTU, MAX_SEGS);
	vh = v4, vh.gso_size = 65535;
	expect_bad(BAD(23, SEG_TOO_BIG, "gso_size huge"), &vh, p[0], l4, MTU, MAX_SEGS);
	vh = v4, vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	expect_bad(BAD(24, BAD_HDR, "TCPV6 on IPv4"), &vh, p[0], l4, MTU, MAX_SEGS);
	vh = v6, vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	expect_bad(BAD(25, BAD_HDR, "TCPV4 on IPv6"), &vh, p[1], l6, MTU, MAX_SEGS);
	vh = v4, vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	expect_bad(BAD(26, BAD_HDR, "UDP_L4 on TCP"), &vh, p[0], l4, MTU, MAX_SEGS);
	vh = v4, vh.csum_start = 21;
	expect_bad(BAD(27, BAD_CSUM_OFFSETS, "csum_start off by one"), &vh, p[0], l4, MTU, 64);
	vh = v4, vh.csum_start = 65535;
	expect_bad(BAD(28, BAD_CSUM_OFFSETS, "csum_start huge"), &vh, p[0], l4, MTU, 64);
	vh = v4, vh.csum_offset = 6;
	expect_bad(BAD(29, BAD_CSUM_OFFSETS, "UDP csum_offset on TCP"), &vh, p[0], l4, MTU, 64);
	vh = vu, vh.csum_offset = 16;
	expect_bad(BAD(30, BAD_CSUM_OFFSETS, "TCP csum_offset on UDP"), &vh, p[2], lu, MTU, 64);
	expect_bad(BAD(31, TOO_MANY, "10 segments, room for 9"), &v4, p[0], l4, MTU, 9);
	expect_bad(BAD(32, SEG_TOO_BIG, "mtu one short"), &v4, p[0], l4, MTU - 1, 64);
	expect_bad(BAD(33, SEG_TOO_BIG, "mtu tiny"), &v4, p[0], l4, 40, 64);
	expect_bad(BAD(34, TRUNCATED, "empty"), &v4, p[0], 0, MTU, 64);
	/* IPv6 with a hop-by-hop header in front of TCP. */
	memcpy(q, p[1], l6);
	q[6] = 0;
	expect_bad(BAD(35, UNSUPPORTED, "IPv6 extension header"), &v6, q, l6, MTU, 64);
	q[6] = 58;
	expect_bad(BAD(36, BAD_HDR, "IPv6 ICMP under TCPV6"), &v6, q, l6, MTU, 64);
	memcpy(q, p[0], l4);
	q[0] = 0x55;
	expect_bad(BAD(37, NOT_IP, "version 5"), &v4, q, l4, MTU, 64);
	q[0] = 0x44;
	expect_bad(BAD(38, BAD_HDR, "IHL 4"), &v4, q, l4, MTU, 64);
	q[0] = 0x45;
	store_be16(q + 2, 19);
	expect_bad(BAD(39, BAD_HDR, "total length below IHL"), &v4, q, l4, MTU, 64);
	store_be16(q + 2, (uint16_t)(l4 + 1));
	expect_bad(BAD(40, TRUNCATED, "total length past the end"), &v4, q, l4, MTU, 64);
	memcpy(q, p[0], l4);
	store_be16(q + 6, 0x2000);
	expect_bad(BAD(41, UNSUPPORTED, "IPv4 fragment"), &v4, q, l4, MTU, 64);
	memcpy(q, p[0], l4);
	q[32] = 0x40;
	expect_bad(BAD(42, BAD_HDR, "TCP data offset 4"), &v4, q, l4, MTU, 64);
	store_be16(q + 2, 60);
	q[32] = 0xf0;
	expect_bad(BAD(43, TRUNCATED, "TCP header past the IP length"), &v4, q, 60, MTU, 64);
	store_be16(q + 2, 52);
	q[32] = 0x80;
	expect_bad(BAD(44, BAD_HDR, "GSO without payload"), &v4, q, 52, MTU, 64);
	memcpy(q, p[0], l4);
	store_be16(q + 2, 1000);
	store_be16(q + 10, 0);
	store_be16(q + 10, (uint16_t)~ref_fold(ref_add(0, q, 20)));
	q[1] ^= 1; /* IPv4 header sum now wrong */
	vh = none, vh.csum_start = 20, vh.csum_offset = 16;
	expect_bad(BAD(45, BAD_HDR, "NONE with a bad IPv4 header sum"), &vh, q, 1000, MTU, 1);
	q[1] ^= 1;
	expect_bad(BAD(46, TOO_MANY, "NONE with max_out 0"), &vh, q, 1000, MTU, 0);
	expect_bad(BAD(47, SEG_TOO_BIG, "NONE over mtu"), &vh, q, 1000, 999, 1);
	vh.csum_start = 19;
	expect_bad(BAD(48, BAD_CSUM_OFFSETS, "csum_start in the IP header"), &vh, q, 1000, MTU, 1);
	vh.csum_start = 998, vh.csum_offset = 2;
	expect_bad(BAD(49, BAD_CSUM_OFFSETS, "field past the end"), &vh, q, 1000, MTU, 1);
	vh.csum_start = 999, vh.csum_offset = 0;
	expect_bad(BAD(50, BAD_CSUM_OFFSETS, "one byte left"), &vh, q, 1000, MTU, 1);
	vh.csum_start = 20, vh.csum_offset = 15;
	expect_bad(BAD(51, BAD_CSUM_OFFSETS, "odd csum_offset"), &vh, q, 1000, MTU, 1);
	vh.csum_start = 1001, vh.csum_offset = 0;
	expect_bad(BAD(52, BAD_CSUM_OFFSETS, "csum_start past the end"), &vh, q, 1000, MTU, 1);
	q[0] = 0x00;
	expect_bad(BAD(53, NOT_IP, "version 0"), &none, q, 1000, MTU, 1);
	expect_bad(BAD(54, TRUNCATED, "IPv4, 19 bytes"), &v4, p[0], 19, MTU, 64);
	expect_bad(BAD(55, TRUNCATED, "IPv6, 39 bytes"), &v6, p[1], 39, MTU, 64);
#undef BAD
	for (int r = TUN_GSO_OK; r <= TUN_GSO_SEG_TOO_BIG; r++)
		CHECK(strcmp(tun_gso_result_name((enum tun_gso_result)r), "unknown") != 0);
	CHECK(strcmp(tun_gso_result_name((enum tun_gso_result)99), "unknown") == 0);
}

/* 56: every proper prefix of a valid packet fails, read from the end of an array. */
static void test_split_truncations(void)
{
	struct spec specs[3] = {tcp_spec(4), tcp_spec(6), udp_spec(4)};
	uint32_t n, bad = 0;

	specs[0].ip_opt_bytes = 4;
	for (size_t k = 0; k < ARRAY_LEN(specs); k++) {
		struct virtio_net_hdr vh = vh_for(&specs[k], 1000);
		uint32_t len = build(super, &specs[k], payload, 5000, CSUM_PARTIAL);
		struct virtio_net_hdr none = {.flags = 0};

		for (uint32_t cut = 0; cut < len; cut++) {
			uint8_t *at = tail + sizeof(tail) - cut;

			memcpy(at, super, cut);
			bad += split(&vh, at, cut, 65535, MAX_SEGS, &n) == TUN_GSO_OK;
			bad += split(&none, at, cut, 65535, 1, &n) == TUN_GSO_OK;
		}
		memcpy(tail + sizeof(tail) - len, super, len);
		CHECK_EQ(split(&vh, tail + sizeof(tail) - len, len, 65535, MAX_SEGS, &n),
			 TUN_GSO_OK);
	}
	CHECK_EQ(bad, 0);
}

/* ------------------------------------------------------------------------- */
/* GRO */

static uint8_t pool[300][2048];
static struct tun_pkt pkts[300];
static uint32_t n_pkts;
static struct tun_write writes[300];

/* Appends a packet built from *s with plen payload bytes; moves seq and id on. */
static uint32_t add_pkt(struct spec *s, uint32_t plen)
{
	uint32_t i = n_pkts++;

	pkts[i].data = pool[i];
	pkts[i].len = (uint16_t)build(pool[i], s, payload + (s->seq & 1023), plen, CSUM_FULL);
	s->seq += plen;
	s->id++;
	return i;
}

/* Splits the write's super-packet back: it must give back exactly its input packets. */
static void check_write(const struct tun_write *w)
{
	static uint8_t joined[SEG_CAP + 100];
	struct iovec iov[MAX_SEGS + 2];
	uint32_t cnt = tun_gro_iov(w, pkts, iov, MAX_SEGS + 2), total = 0, n;
	uint32_t ip = w->vh.csum_start, c_at = ip + w->vh.csum_offset;
	uint16_t c;

	CHECK_EQ(cnt, 2 + w->count);
	CHECK_EQ(tun_gro_iov(w, pkts, iov, cnt - 1), 0);
	for (uint32_t k = 1; k < cnt; k++) {
		memcpy(joined + total, iov[k].iov_base, iov[k].iov_len);
		total += (uint32_t)iov[k].iov_len;
	}
	CHECK(total <= TUN_GRO_MAX_BYTES);
	CHECK_EQ(w->vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(w->vh.hdr_len, w->head_len);
	if (joined[0] >> 4 == 4) {
		CHECK_EQ(load_be16(joined + 2), total);
		CHECK_EQ(ref_fold(ref_add(0, joined, 20)), 0xffff);
	} else {
		CHECK_EQ(load_be16(joined + 4) + 40u, total);
	}
	CHECK_EQ(split(&w->vh, joined, total, 65535, MAX_SEGS, &n), TUN_GSO_OK);
	CHECK_EQ(n, w->count);
	for (uint32_t k = 0; k < n && k < w->count; k++) {
		CHECK_EQ(out_lens[k], pkts[w->idx[k]].len);
		CHECK(memcmp(outs[k], pkts[w->idx[k]].data, out_lens[k]) == 0);
	}
	/* What the kernel does with CHECKSUM_PARTIAL: sum from csum_start, fold, invert. */
	c = (uint16_t)~ref_fold(ref_add(0, joined + ip, total - ip));
	store_be16(joined + c_at, c);
	CHECK(l4_verifies(joined, total, ip, w->vh.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? 17 : 6));
}

/* Plans pkts[0..n_pkts) and compares with `expect`, e.g. "0,2,4|1,3|5". */
static uint32_t plan_expect(int case_no, const char *expect)
{
	uint32_t nw = tun_gro_plan(pkts, n_pkts, writes);
	char got[2048];
	size_t at = 0;

	for (uint32_t i = 0; i < nw; i++) {
		for (uint32_t j = 0; j < writes[i].count; j++)
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%u",
					       j ? "," : (i ? "|" : ""), writes[i].idx[j]);
		if (writes[i].count > 1)
			check_write(&writes[i]);
		else
			CHECK(writes[i].head_len == 0 && writes[i].vh.gso_type == 0);
	}
	if (expect && strcmp(got, expect) != 0) {
		fprintf(stderr, "  GRO case %d: got %s, want %s\n", case_no, got, expect);
		CHECK(!"plan as expected");
	}
	return nw;
}

static void gro_reset(void)
{
	n_pkts = 0;
}

static void test_gro_flows(void)
{
	struct spec a = tcp_spec(4), b = tcp_spec(4), c = udp_spec(6), d = tcp_spec(6);
	uint32_t i;

	fill_payload(4);
	b.sport++;
	/* 60: interleaved TCP flows A, B, and UDP v6 C coalesce separately. */
	gro_reset();
	for (int k = 0; k < 4; k++) {
		add_pkt(&a, MSS);
		add_pkt(&b, MSS);
		add_pkt(&c, 1000);
	}
	plan_expect(60, "0,3,6,9|1,4,7,10|2,5,8,11");
	CHECK_EQ(writes[0].vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(writes[0].vh.gso_size, MSS);
	CHECK_EQ(writes[0].vh.csum_start, 20);
	CHECK_EQ(writes[0].vh.csum_offset, 16);
	CHECK_EQ(writes[2].vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	CHECK_EQ(writes[2].vh.csum_offset, 6);
	CHECK_EQ(writes[2].head_len, 48);
	/* 61: a seq gap closes the run; the next packet starts a new one. */
	gro_reset();
	add_pkt(&d, 1000);
	add_pkt(&d, 1000);
	d.seq += 1;
	add_pkt(&d, 1000);
	add_pkt(&d, 1000);
	plan_expect(61, "0,1|2,3");
	CHECK_EQ(writes[0].vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	/* 62: a smaller packet ends a run, a larger one cannot join it. */
	gro_reset();
	add_pkt(&a, 1000);
	add_pkt(&a, 1000);
	add_pkt(&a, 500);
	add_pkt(&a, 1000);
	add_pkt(&a, 500);
	add_pkt(&a, 1000);
	plan_expect(62, "0,1,2|3,4|5");
	/* 63: PSH is taken on the last packet and closes the run; the head carries it. */
	gro_reset();
	add_pkt(&a, 800);
	a.flags = TCP_ACK | TCP_PSH;
	add_pkt(&a, 800);
	a.flags = TCP_ACK;
	add_pkt(&a, 800);
	add_pkt(&a, 800);
	plan_expect(63, "0,1|2,3");
	CHECK(writes[0].head[33] & TCP_PSH);
	CHECK(!(writes[1].head[33] & TCP_PSH));
	CHECK_EQ(writes[1].vh.gso_size, 800);
	/* 64: FIN never joins: alone, DATA_VALID, and the flow restarts after it. */
	gro_reset();
	add_pkt(&a, 600);
	add_pkt(&a, 600);
	a.flags = TCP_ACK | TCP_FIN;
	add_pkt(&a, 600);
	a.flags = TCP_ACK;
	add_pkt(&a, 600);
	add_pkt(&a, 600);
	plan_expect(64, "0,1|2|3,4");
	CHECK_EQ(writes[1].vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	/* 65: an IPv4 id gap, a new ack, a new window, new timestamps: each starts over. */
	gro_reset();
	add_pkt(&a, 700);
	a.id++;
	add_pkt(&a, 700);
	a.ack += 1;
	add_pkt(&a, 700);
	a.win++;
	add_pkt(&a, 700);
	a.tsval++;
	add_pkt(&a, 700);
	add_pkt(&a, 700);
	i = add_pkt(&a, 700);
	pool[i][20 + 18] = 1; /* urgent pointer (URG clear): the head could not carry it */
	plan_expect(65, "0|1|2|3|4,5|6");
	/* 66: TOS/TTL change, and a DF change, break the run. */
	gro_reset();
	add_pkt(&a, 700);
	a.ttl--;
	add_pkt(&a, 700);
	a.tos = 1;
	add_pkt(&a, 700);
	a.is_df = false;
	add_pkt(&a, 700);
	add_pkt(&a, 700);
	plan_expect(66, "0|1|2|3,4");
}

static void test_gro_others(void)
{
	struct spec a = tcp_spec(4), icmp = tcp_spec(4), u = udp_spec(4), o = tcp_spec(4);
	uint32_t i;

	fill_payload(5);
	/* 67: a non-flow IP packet of the same hosts closes the run; other hosts' do not. */
	gro_reset();
	add_pkt(&a, 900);
	add_pkt(&a, 900);
	i = add_pkt(&icmp, 100);
	pool[i][9] = 1; /* now ICMP; its IPv4 sum no longer matters to the planner */
	add_pkt(&a, 900);
	icmp.host = 9;
	i = add_pkt(&icmp, 100);
	pool[i][9] = 1;
	add_pkt(&a, 900);
	plan_expect(67, "0,1|2|3,5|4");
	CHECK_EQ(writes[1].vh.flags, 0);
	/* 68: not IP at all, an IPv4 fragment, a pure ACK, IPv4 options: all alone. */
	gro_reset();
	u.host = 7; /* other hosts: the fragment must not close A's run */
	add_pkt(&a, 900);
	i = add_pkt(&u, 100);
	pool[i][0] = 0x20;
	i = add_pkt(&u, 100);
	store_be16(pool[i] + 6, 0x2000);
	add_pkt(&a, 900);
	add_pkt(&a, 0);
	o.ip_opt_bytes = 4;
	o.seq = a.seq;
	add_pkt(&o, 900);
	plan_expect(68, "0,3|1|2|4|5");
	CHECK_EQ(writes[1].vh.flags, 0);
	CHECK_EQ(writes[2].vh.flags, 0);
	CHECK_EQ(writes[3].vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(writes[4].vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	/* 69: a bad IPv4 header sum is never coalesced. */
	gro_reset();
	add_pkt(&a, 900);
	i = add_pkt(&a, 900);
	pool[i][10] ^= 1;
	add_pkt(&a, 900);
	plan_expect(69, "0|1|2");
	/* 70: the run stops at 65535 bytes: (65535 - 52) / 1448 = 45 packets. */
	gro_reset();
	a = tcp_spec(4);
	for (int k = 0; k < 50; k++)
		add_pkt(&a, MSS);
	CHECK_EQ(plan_expect(70, NULL), 2);
	CHECK_EQ(writes[0].count, 45);
	/* 71: UDP runs stop at TUN_GRO_UDP_MAX_SEGS packets. */
	gro_reset();
	for (int k = 0; k < 100; k++)
		add_pkt(&u, 20);
	CHECK_EQ(plan_expect(71, NULL), 2);
	CHECK_EQ(writes[0].count, TUN_GRO_UDP_MAX_SEGS);
	/* 72: small TCP packets: a run holds at most TUN_GRO_MAX_PKTS. */
	gro_reset();
	for (int k = 0; k < 128; k++)
		add_pkt(&a, 10);
	CHECK_EQ(plan_expect(72, NULL), 1);
	CHECK_EQ(writes[0].count, 128);
}

static void test_gro_table(void)
{
	struct spec f[20];
	char expect[512];
	size_t at = 0;
	uint32_t nw;

	/* 73: 20 flows round robin: the least recently grown run is evicted, nothing lost. */
	gro_reset();
	for (int k = 0; k < 20; k++) {
		f[k] = tcp_spec(k & 1 ? 6 : 4);
		f[k].sport = (uint16_t)(1000 + k);
	}
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 20; k++)
			add_pkt(&f[k], 500);
	/* Each new flow evicts the oldest, so no flow ever finds its run: all alone. */
	for (uint32_t i = 0; i < n_pkts; i++)
		at += (size_t)snprintf(expect + at, sizeof(expect) - at, "%s%u", i ? "|" : "", i);
	nw = plan_expect(73, expect);
	CHECK_EQ(nw, 60);
	/* 74: 16 flows fit: each coalesces across the rounds. */
	gro_reset();
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 16; k++)
			add_pkt(&f[k], 500);
	CHECK_EQ(plan_expect(74, NULL), 16);
	/* 75: n above TUN_GRO_MAX_PKTS plans the first TUN_GRO_MAX_PKTS only. */
	gro_reset();
	for (int k = 0; k < 200; k++)
		add_pkt(&f[0], 10);
	nw = tun_gro_plan(pkts, n_pkts, writes);
	CHECK_EQ(nw, 1);
	CHECK_EQ(writes[0].count, TUN_GRO_MAX_PKTS);
	/* 76: tun_gro_iov for a single packet, and with no room. */
	gro_reset();
	add_pkt(&f[0], 10);
	CHECK_EQ(tun_gro_plan(pkts, 1, writes), 1);
	{
		struct iovec iov[2];

		CHECK_EQ(tun_gro_iov(&writes[0], pkts, iov, 1), 0);
		CHECK_EQ(tun_gro_iov(&writes[0], pkts, iov, 2), 2);
		CHECK(iov[1].iov_base == pkts[0].data && iov[1].iov_len == pkts[0].len);
		CHECK_EQ(iov[0].iov_len, sizeof(struct virtio_net_hdr));
	}
	CHECK_EQ(tun_gro_plan(pkts, 0, writes), 0);
}

/* 77: split then plan: the write rebuilds the super-packet the kernel gave. */
static void check_roundtrip(int case_no, const struct spec *s, uint32_t plen, uint16_t mss,
			    const char *expect)
{
	struct virtio_net_hdr vh = vh_for(s, mss);
	uint32_t len = build(super, s, payload, plen, CSUM_PARTIAL), n, nw, total = 0;
	struct iovec iov[MAX_SEGS + 2];
	static uint8_t joined[SEG_CAP];

	CHECK_EQ(split(&vh, super, len, MTU, MAX_SEGS, &n), TUN_GSO_OK);
	gro_reset();
	for (uint32_t i = 0; i < n; i++) {
		memcpy(pool[i], outs[i], out_lens[i]);
		pkts[n_pkts++] = (struct tun_pkt){.data = pool[i], .len = out_lens[i]};
	}
	nw = plan_expect(case_no, expect);
	if (nw != 1)
		return;
	CHECK_EQ(tun_gro_iov(&writes[0], pkts, iov, MAX_SEGS + 2), n + 2);
	for (uint32_t k = 1; k < n + 2; k++) {
		memcpy(joined + total, iov[k].iov_base, iov[k].iov_len);
		total += (uint32_t)iov[k].iov_len;
	}
	CHECK_EQ(total, len);
	CHECK_MEM(joined, super, len);
	CHECK_MEM(&writes[0].vh, &vh, sizeof(vh));
}

static void test_gro_roundtrip(void)
{
	struct spec s = tcp_spec(4);

	fill_payload(6);
	s.flags = TCP_ACK | TCP_PSH;
	check_roundtrip(77, &s, 65535 - 52, MSS, NULL);
	s = tcp_spec(6);
	s.tcp_opt_bytes = 24;
	check_roundtrip(78, &s, 40000, 1416, NULL);
	s = udp_spec(4);
	check_roundtrip(79, &s, 50000, 1472, NULL);
	s = udp_spec(6);
	check_roundtrip(80, &s, 33333, 1452, NULL);
	/* 81: CWR stays on the first segment and FIN on the last: both alone. */
	s = tcp_spec(4);
	s.flags = TCP_ACK | TCP_CWR | TCP_FIN;
	check_roundtrip(81, &s, 5 * MSS, MSS, "0|1,2,3|4");
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/*
 * Not asserted (STYLE 9): the cost of one 64 KiB TSO split into 2 KiB frames
 * and of planning its segments back. Best of 30 batches of 100, since the
 * machine is shared.
 */
static void bench(void)
{
	static uint8_t frames[MAX_SEGS][2048] __attribute__((aligned(64)));
	static uint8_t *frame_ptrs[MAX_SEGS];
	struct spec s = tcp_spec(4);
	struct virtio_net_hdr vh = vh_for(&s, MSS);
	uint32_t len = build(super, &s, payload, 65535 - 52, CSUM_PARTIAL), n = 0;
	double split_ns = 1e12, plan_ns = 1e12;

	for (uint32_t i = 0; i < MAX_SEGS; i++)
		frame_ptrs[i] = frames[i];
	for (int b = 0; b < 30; b++) {
		double t0 = now_ns(), t1;

		for (int r = 0; r < 100; r++)
			tun_gso_split(&vh, super, len, MTU, frame_ptrs, out_lens, MAX_SEGS, 2048,
				      &n);
		t1 = (now_ns() - t0) / 100;
		split_ns = t1 < split_ns ? t1 : split_ns;
	}
	for (uint32_t i = 0; i < n; i++)
		pkts[i] = (struct tun_pkt){.data = frames[i], .len = out_lens[i]};
	for (int b = 0; b < 30; b++) {
		double t0 = now_ns(), t1;

		for (int r = 0; r < 100; r++)
			tun_gro_plan(pkts, n, writes);
		t1 = (now_ns() - t0) / 100;
		plan_ns = t1 < plan_ns ? t1 : plan_ns;
	}
	printf("bench: 64 KiB TSO split into %u segments: %.0f ns; GRO plan of them: %.0f ns\n", n,
	       split_ns, plan_ns);
}

int main(void)
{
	for (int i = 0; i < MAX_SEGS; i++)
		outs[i] = seg[i];
	test_split_segments();
	test_split_hints();
	test_split_none();
	test_split_malformed();
	test_split_truncations();
	test_gro_flows();
	test_gro_others();
	test_gro_table();
	test_gro_roundtrip();
	bench();
	return harness_finish();
}
