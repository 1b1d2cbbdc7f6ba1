/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the TUN offloads (dataplane/tun_offload.h).
 *
 * Byte 0 picks the mode.
 *   bit 0 clear, split: bytes 1..10 are the virtio_net_hdr (host order),
 *     11..12 the mtu (big-endian), the rest the packet. tun_gso_split() must
 *     not crash; on OK every segment is a whole IP packet of <= mtu bytes
 *     whose checksums verify (a slow reference here), GSO payloads
 *     concatenate back to the original payload, and a NONE packet without
 *     NEEDS_CSUM is copied unchanged. The segments then go through
 *     tun_gro_plan() and each coalesced write is split again: that must give
 *     back exactly the segments it was made of.
 *   bit 0 set, GRO: the rest is records [length be16][bytes] (cut short at
 *     the end), up to TUN_GRO_MAX_PKTS packets; bit 1 set first rewrites the
 *     IPv4 header checksum of every record that looks like IPv4 (so runs can
 *     form). The plan must cover every packet exactly once, in order, and
 *     each coalesced write split again must give back its packets except
 *     for the TCP/UDP checksum field, which GRO does not verify.
 *
 * Any broken invariant calls abort().
 */
#include "dataplane/tun_offload.h"
#include "internal/bytes.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	SEG_CAP = 65535,
	MAX_SEGS = TUN_GRO_MAX_PKTS,
	SPLIT_PREFIX = 13,
	IOV_CAP = TUN_GRO_MAX_PKTS + 2,
};

static uint8_t seg_buf[MAX_SEGS][SEG_CAP];
static uint8_t again_buf[MAX_SEGS][SEG_CAP];
static uint8_t joined[SEG_CAP];
static uint8_t records[1 << 20];
static struct tun_write writes[TUN_GRO_MAX_PKTS];

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* RFC 1071 over 16-bit big-endian words, kept deliberately naive. */
static uint32_t slow_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static bool sum_ok(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* IP header length of a whole, well-formed IP packet of len bytes; 0 if it is not one. */
static uint32_t ip_ok(const uint8_t *p, size_t len)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		uint32_t ihl = (p[0] & 15u) * 4;

		return ihl >= 20 && ihl <= len && load_be16(p + 2) == len &&
				       sum_ok(slow_sum(0, p, ihl))
			       ? ihl
			       : 0;
	}
	if (len >= 40 && p[0] >> 4 == 6)
		return 40u + load_be16(p + 4) == len ? 40 : 0;
	return 0;
}

/* The TCP/UDP checksum of a whole segment with an L4 header at ip, pseudo-header included. */
static bool l4_ok(const uint8_t *p, size_t len, uint32_t ip, uint8_t proto)
{
	bool is_v4 = p[0] >> 4 == 4;
	uint32_t s = is_v4 ? slow_sum(0, p + 12, 8) : slow_sum(0, p + 8, 32);

	s += proto + (uint32_t)(len - ip);
	return sum_ok(slow_sum(s, p + ip, len - ip));
}

/* Header bytes (IP + L4) of a GSO segment, from its own fields. */
static uint32_t hdr_bytes(const uint8_t *p, uint32_t ip, bool is_tcp)
{
	return ip + (is_tcp ? (uint32_t)(p[ip + 12] >> 4) * 4 : 8);
}

/*
 * Checks a plan over pkts[0..n) and splits every coalesced write again. With
 * is_exact, the re-split must equal the packets byte for byte; otherwise the
 * L4 checksum field may differ.
 */
static void check_plan(const struct tun_pkt *pkts, uint32_t n, bool is_exact)
{
	static uint8_t *outs[MAX_SEGS];
	uint16_t lens[MAX_SEGS];
	bool seen[TUN_GRO_MAX_PKTS] = {false};
	struct iovec iov[IOV_CAP];
	uint32_t nw = tun_gro_plan(pkts, n, writes), prev_first = 0;

	check(nw <= n && (n == 0 || nw > 0));
	for (uint32_t k = 0; k < MAX_SEGS; k++)
		outs[k] = again_buf[k];
	for (uint32_t wi = 0; wi < nw; wi++) {
		const struct tun_write *w = &writes[wi];
		uint32_t cnt, total = 0, n_again = 0;
		size_t at = 0;

		check(w->count >= 1 && w->count <= n);
		check(wi == 0 || w->idx[0] > prev_first);
		prev_first = w->idx[0];
		for (uint32_t k = 0; k < w->count; k++) {
			check(w->idx[k] < n && !seen[w->idx[k]]);
			check(k == 0 || w->idx[k] > w->idx[k - 1]);
			seen[w->idx[k]] = true;
		}
		cnt = tun_gro_iov(w, pkts, iov, IOV_CAP);
		check(cnt == (w->head_len ? 2u + w->count : 2u));
		check(tun_gro_iov(w, pkts, iov, cnt - 1) == 0);
		check(iov[0].iov_len == sizeof(struct virtio_net_hdr));
		for (uint32_t k = 1; k < cnt; k++)
			total += (uint32_t)iov[k].iov_len;
		if (!w->head_len) {
			check(w->count == 1 && w->vh.gso_type == VIRTIO_NET_HDR_GSO_NONE);
			check(total == pkts[w->idx[0]].len &&
			      iov[1].iov_base == pkts[w->idx[0]].data);
			continue;
		}
		/* The write is one IP packet whose own length says total. */
		check(total <= TUN_GRO_MAX_BYTES && w->count >= 2 && w->vh.hdr_len == w->head_len);
		for (uint32_t k = 1; k < cnt; k++) {
			memcpy(joined + at, iov[k].iov_base, iov[k].iov_len);
			at += iov[k].iov_len;
		}
		check(ip_ok(joined, total) != 0);
		check(tun_gso_split(&w->vh, joined, total, SEG_CAP, outs, lens, MAX_SEGS, SEG_CAP,
				    &n_again) == TUN_GSO_OK);
		check(n_again == w->count);
		for (uint32_t k = 0; k < w->count; k++) {
			const struct tun_pkt *p = &pkts[w->idx[k]];
			uint32_t f = w->vh.csum_start + w->vh.csum_offset;

			check(lens[k] == p->len);
			if (is_exact) {
				check(memcmp(outs[k], p->data, p->len) == 0);
				continue;
			}
			check(memcmp(outs[k], p->data, f) == 0);
			check(memcmp(outs[k] + f + 2, p->data + f + 2, p->len - f - 2) == 0);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		check(seen[i]);
}

static void check_segments(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
			   uint32_t mtu, uint8_t *const *outs, const uint16_t *lens, uint32_t n)
{
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t ip0 = ip_ok(outs[0], lens[0]), hdr0, at;
	bool is_tcp = gso != VIRTIO_NET_HDR_GSO_UDP_L4;

	check(n >= 1 && n <= MAX_SEGS);
	for (uint32_t i = 0; i < n; i++)
		check(lens[i] <= mtu && ip_ok(outs[i], lens[i]) == ip0);
	check(ip0 != 0);
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		check(n == 1 && lens[0] <= len);
		/* The field held the part of the sum that lies outside (pseudo-header): add it back. */
		if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			check(sum_ok(slow_sum(load_be16(pkt + vh->csum_start + vh->csum_offset),
					      outs[0] + vh->csum_start, lens[0] - vh->csum_start)));
		else
			check(memcmp(outs[0], pkt, lens[0]) == 0);
		return;
	}
	/* Every segment verifies, and the payloads concatenate back to the original's. */
	hdr0 = hdr_bytes(pkt, ip0, is_tcp);
	at = hdr0;
	for (uint32_t i = 0; i < n; i++) {
		check(hdr_bytes(outs[i], ip0, is_tcp) == hdr0 && lens[i] > hdr0);
		check(l4_ok(outs[i], lens[i], ip0, is_tcp ? 6 : 17));
		check(at + (lens[i] - hdr0) <= len);
		check(memcmp(outs[i] + hdr0, pkt + at, lens[i] - hdr0) == 0);
		at += lens[i] - hdr0;
	}
	check(pkt[0] >> 4 == 4 ? at == load_be16(pkt + 2) : at == 40u + load_be16(pkt + 4));
}

static void fuzz_split(const uint8_t *data, size_t size)
{
	static uint8_t *outs[MAX_SEGS];
	uint16_t lens[MAX_SEGS];
	struct tun_pkt pkts[MAX_SEGS];
	struct virtio_net_hdr vh;
	uint32_t mtu, n = 0;

	if (size < SPLIT_PREFIX)
		return;
	memcpy(&vh, data + 1, sizeof(vh));
	mtu = load_be16(data + 11);
	for (uint32_t k = 0; k < MAX_SEGS; k++)
		outs[k] = seg_buf[k];
	if (tun_gso_split(&vh, data + SPLIT_PREFIX, size - SPLIT_PREFIX, mtu, outs, lens, MAX_SEGS,
			  SEG_CAP, &n) != TUN_GSO_OK)
		return;
	check_segments(&vh, data + SPLIT_PREFIX, size - SPLIT_PREFIX, mtu, outs, lens, n);
	for (uint32_t i = 0; i < n; i++)
		pkts[i] = (struct tun_pkt){.data = outs[i], .len = lens[i]};
	check_plan(pkts, n, true);
}

static void fuzz_gro(const uint8_t *data, size_t size)
{
	struct tun_pkt pkts[TUN_GRO_MAX_PKTS];
	bool fix_v4 = data[0] & 2;
	size_t at = 1, used = 0;
	uint32_t n = 0;

	while (at + 2 <= size && n < TUN_GRO_MAX_PKTS) {
		size_t len = load_be16(data + at), left = size - at - 2;
		uint8_t *p = records + used;

		len = len < left ? len : left;
		if (len > sizeof(records) - used)
			break;
		memcpy(p, data + at + 2, len);
		at += 2 + len;
		used += len;
		if (fix_v4 && len >= 20 && p[0] >> 4 == 4 && (p[0] & 15u) * 4 <= len) {
			uint32_t ihl = (p[0] & 15u) * 4, s;

			p[10] = p[11] = 0;
			s = slow_sum(0, p, ihl);
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			store_be16(p + 10, (uint16_t)~s);
		}
		pkts[n++] = (struct tun_pkt){.data = p, .len = (uint16_t)len};
	}
	check_plan(pkts, n, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_gro(data, size);
	else
		fuzz_split(data, size);
	return 0;
}
