/* SPDX-License-Identifier: MIT */
/*
 * TUN offloads (tun_offload.h): tun_gso_split() cuts a TSO/USO super-packet
 * read from the TUN into MTU-sized IP packets, tun_gro_plan() groups a burst
 * of received packets into super-packets to write back.
 *
 * Split: everything is validated and sized before the first byte is written;
 * then each segment is one header copy, a few field stores, and one fused
 * copy+checksum pass over its payload (inet_csum_copy). The IPv4 header sum
 * and the pseudo-header + L4 header sum are taken once, over a template with
 * the per-segment fields zeroed; a segment adds only the words it changes
 * and never reads back a header it just stored (a store-forwarding stall).
 *
 * GRO: one pass over the burst with a table of TUN_GRO_MAX_RUNS open runs
 * (one per flow). A write slot is taken when a run or single packet starts,
 * so writes come out ordered by their first packet; a run is finished (its
 * head and virtio_net_hdr built) when it closes, is evicted, or the burst
 * ends. Payloads are never copied: tun_gro_iov() points at them.
 *
 * Deliberately not here: walking IPv6 extension headers, verifying TCP/UDP
 * checksums of received packets (the tunnel authenticated them), and any
 * per-flow state that outlives one call.
 */
#include "dataplane/tun_offload.h"

#include "dataplane/inet_csum.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include <stdbool.h>
#include <string.h>

enum ip_wire {
	IPV4_HDR_BYTES = 20,
	IPV4_FRAG_MF = 0x2000,
	IPV4_FRAG_OFFSET = 0x1fff,
	IPV6_HDR_BYTES = 40,
	TCP_HDR_BYTES = 20,
	TCP_CSUM_OFFSET = 16,
	UDP_HDR_BYTES = 8,
	UDP_CSUM_OFFSET = 6,
	IP_MAX_PACKET_BYTES = 0xffff,
};

/* A split's header template and a GRO head both hold the largest IPv4 + TCP header pair. */
_Static_assert(TUN_GRO_HEAD_MAX >= 60 + 60, "head must hold 60 bytes of IPv4 and of TCP header");

enum l4_proto {
	L4_TCP = 6,
	L4_UDP = 17,
};

enum tcp_flag {
	TCP_FIN = 0x01,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_CWR = 0x80,
};

const char *tun_gso_result_name(enum tun_gso_result r)
{
	static const char *const names[] = {
		[TUN_GSO_OK] = "ok",
		[TUN_GSO_BAD_HDR] = "bad-hdr",
		[TUN_GSO_TRUNCATED] = "truncated",
		[TUN_GSO_NOT_IP] = "not-ip",
		[TUN_GSO_BAD_CSUM_OFFSETS] = "bad-csum-offsets",
		[TUN_GSO_UNSUPPORTED] = "unsupported",
		[TUN_GSO_TOO_MANY] = "too-many",
		[TUN_GSO_SEG_TOO_BIG] = "seg-too-big",
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}

/* ------------------------------------------------------------------------- */
/* Split: TUN read -> IP packets */

/* What the parse of a packet read from the TUN found. */
struct ip_view {
	uint32_t tot_bytes; /* the IP packet per its own header (<= bytes read) */
	uint16_t ip_bytes;  /* IP header */
	uint16_t l4_bytes;  /* TCP/UDP header; GSO packets only */
	uint8_t version;    /* 4 or 6 */
	uint8_t proto;	    /* IPv4 protocol or IPv6 next header */
	bool is_fragment;   /* IPv4 MF set or a fragment offset */
};

/*
 * A super-packet being cut, fixed per call so the per-segment loop only
 * stores. hdr is the IP + L4 headers with every per-segment field zeroed
 * (IPv4 length, id and checksum; IPv6 payload length; TCP seq, flags and
 * checksum; UDP length and checksum), and the sums are over that template:
 * each segment adds its own few words and never reads back what it wrote.
 */
struct seg_job {
	const uint8_t *pkt;
	struct ip_view v;
	uint32_t hdr_bytes;	/* IP + L4 headers, copied into every segment */
	uint32_t payload_bytes; /* after hdr_bytes */
	uint32_t seg_payload;	/* vh->gso_size */
	uint32_t n_segs;
	uint32_t first_seq;
	uint16_t first_id;
	uint8_t tcp_flags; /* of the super-packet */
	uint64_t ip_sum;   /* IPv4 template header */
	uint64_t l4_sum;   /* pseudo-header addresses + protocol + template L4 header */
	uint8_t hdr[TUN_GRO_HEAD_MAX];
};

static enum tun_gso_result parse_ip(const uint8_t *pkt, size_t len, struct ip_view *v)
{
	if (unlikely(len < 1))
		return TUN_GSO_TRUNCATED;
	v->version = pkt[0] >> 4;
	v->l4_bytes = 0;
	if (v->version == 4) {
		if (unlikely(len < IPV4_HDR_BYTES))
			return TUN_GSO_TRUNCATED;
		v->ip_bytes = (uint16_t)((pkt[0] & 0x0f) * 4);
		v->tot_bytes = load_be16(pkt + 2);
		if (unlikely(v->ip_bytes < IPV4_HDR_BYTES))
			return TUN_GSO_BAD_HDR;
		if (unlikely(v->tot_bytes > len))
			return TUN_GSO_TRUNCATED;
		if (unlikely(v->tot_bytes < v->ip_bytes))
			return TUN_GSO_BAD_HDR;
		v->proto = pkt[9];
		v->is_fragment = load_be16(pkt + 6) & (IPV4_FRAG_MF | IPV4_FRAG_OFFSET);
		return TUN_GSO_OK;
	}
	if (v->version == 6) {
		if (unlikely(len < IPV6_HDR_BYTES))
			return TUN_GSO_TRUNCATED;
		v->ip_bytes = IPV6_HDR_BYTES;
		v->tot_bytes = IPV6_HDR_BYTES + (uint32_t)load_be16(pkt + 4);
		if (unlikely(v->tot_bytes > len))
			return TUN_GSO_TRUNCATED;
		v->proto = pkt[6];
		v->is_fragment = false;
		return TUN_GSO_OK;
	}
	return TUN_GSO_NOT_IP;
}

/* IPv6 extension headers (RFC 8200 4.1 and the IANA list): hop-by-hop, routing, ... */
static bool is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case 0:
	case 43:
	case 44:
	case 50:
	case 51:
	case 60:
	case 135:
	case 139:
	case 140:
		return true;
	default:
		return false;
	}
}

/* The L4 header of a GSO packet: the protocol gso_type names, whole, inside tot_bytes. */
static enum tun_gso_result parse_l4(const uint8_t *pkt, uint8_t gso_type, struct ip_view *v)
{
	uint8_t want = gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? L4_UDP : L4_TCP;
	uint32_t room = v->tot_bytes - v->ip_bytes, doff;

	if ((gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && v->version != 4) ||
	    (gso_type == VIRTIO_NET_HDR_GSO_TCPV6 && v->version != 6))
		return TUN_GSO_BAD_HDR;
	if (unlikely(v->proto != want))
		return v->version == 6 && is_ipv6_ext(v->proto) ? TUN_GSO_UNSUPPORTED
								: TUN_GSO_BAD_HDR;
	if (unlikely(v->is_fragment))
		return TUN_GSO_UNSUPPORTED;
	if (want == L4_UDP) {
		if (unlikely(room < UDP_HDR_BYTES))
			return TUN_GSO_TRUNCATED;
		v->l4_bytes = UDP_HDR_BYTES;
		return TUN_GSO_OK;
	}
	if (unlikely(room < TCP_HDR_BYTES))
		return TUN_GSO_TRUNCATED;
	doff = (uint32_t)(pkt[v->ip_bytes + 12] >> 4) * 4;
	if (unlikely(doff < TCP_HDR_BYTES))
		return TUN_GSO_BAD_HDR;
	if (unlikely(doff > room))
		return TUN_GSO_TRUNCATED;
	v->l4_bytes = (uint16_t)doff;
	return TUN_GSO_OK;
}

/* gso_type NONE: a copy, with a CHECKSUM_PARTIAL sum finished if the kernel left one. */
static enum tun_gso_result split_none(const struct virtio_net_hdr *vh, const uint8_t *pkt,
				      const struct ip_view *v, uint32_t limit, uint8_t *out,
				      uint16_t *out_len)
{
	uint32_t tot = v->tot_bytes, start = vh->csum_start, off = vh->csum_offset;
	bool needs_csum = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	uint16_t c;

	/* The field must lie inside the packet past the IP header, at an even offset. */
	if (needs_csum && unlikely(start < v->ip_bytes || start > tot || tot - start < 2 ||
				   off > tot - start - 2 || (off & 1)))
		return TUN_GSO_BAD_CSUM_OFFSETS;
	/* GSO segments get a fresh IPv4 header sum; a packet passed through must already have one. */
	if (v->version == 4 &&
	    unlikely(!inet_csum_is_valid(inet_csum_add_words(0, pkt, v->ip_bytes))))
		return TUN_GSO_BAD_HDR;
	if (unlikely(tot > limit))
		return TUN_GSO_SEG_TOO_BIG;
	if (!needs_csum) {
		memcpy(out, pkt, tot);
		*out_len = (uint16_t)tot;
		return TUN_GSO_OK;
	}
	memcpy(out, pkt, start);
	c = inet_csum_finish(inet_csum_copy(out + start, pkt + start, tot - start, 0));
	/* As the kernel's skb_checksum_help(): 0 goes out as 0xffff (CSUM_MANGLED_0). */
	inet_csum_put(out + start + off, c ? c : 0xffff);
	*out_len = (uint16_t)tot;
	return TUN_GSO_OK;
}

/* The template header and the sums every segment shares, taken once. */
static void job_prepare(struct seg_job *j)
{
	const uint8_t *p = j->pkt;
	uint8_t *h = j->hdr, *l4 = j->hdr + j->v.ip_bytes;

	j->hdr_bytes = (uint32_t)j->v.ip_bytes + j->v.l4_bytes;
	j->payload_bytes = j->v.tot_bytes - j->hdr_bytes;
	memcpy(h, p, j->hdr_bytes);
	if (j->v.version == 4) {
		j->first_id = load_be16(h + 4);
		memset(h + 2, 0, 4);  /* total length, id */
		memset(h + 10, 0, 2); /* header checksum */
		j->ip_sum = inet_csum_add_words(0, h, j->v.ip_bytes);
		j->l4_sum = inet_csum_add_words(0, h + 12, 8);
	} else {
		j->first_id = 0;
		j->ip_sum = 0;
		memset(h + 4, 0, 2); /* payload length */
		j->l4_sum = inet_csum_add_words(0, h + 8, 32);
	}
	j->l4_sum = inet_csum_add_be16(j->l4_sum, j->v.proto);
	if (j->v.proto == L4_TCP) {
		j->first_seq = load_be32(l4 + 4);
		j->tcp_flags = l4[13];
		memset(l4 + 4, 0, 4); /* seq */
		l4[13] = 0;	      /* flags; the data offset byte before it stays */
		memset(l4 + TCP_CSUM_OFFSET, 0, 2);
	} else {
		j->first_seq = 0;
		j->tcp_flags = 0;
		memset(l4 + 4, 0, 4); /* length, checksum */
	}
	j->l4_sum = inet_csum_add_words(j->l4_sum, l4, j->v.l4_bytes);
}

/* TCP flags of segment i: CWR only on the first, FIN and PSH only on the last. */
static uint8_t seg_tcp_flags(const struct seg_job *j, uint32_t i)
{
	uint8_t f = j->tcp_flags;

	if (i != 0)
		f = (uint8_t)(f & ~TCP_CWR);
	if (i + 1 != j->n_segs)
		f = (uint8_t)(f & ~(TCP_FIN | TCP_PSH));
	return f;
}

/* n (a multiple of 4, <= 120) header bytes in words: no rep-movs start-up per segment. */
static inline void copy_hdr(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, src + i, 8);
		memcpy(dst + i, &w, 8);
	}
	if (i < n) {
		uint32_t w;

		memcpy(&w, src + i, 4);
		memcpy(dst + i, &w, 4);
	}
}

/* Writes segment i: the template, its per-segment fields, then payload and L4 sum in one pass. */
static uint16_t write_seg(const struct seg_job *j, uint32_t i, uint8_t *out)
{
	uint32_t off = i * j->seg_payload, left = j->payload_bytes - off;
	uint32_t pay = left < j->seg_payload ? left : j->seg_payload;
	uint32_t ip = j->v.ip_bytes, seg_bytes = j->hdr_bytes + pay;
	uint16_t l4_len = (uint16_t)(seg_bytes - ip), c;
	uint8_t *l4 = out + ip;
	uint64_t sum = inet_csum_add_be16(j->l4_sum, l4_len);

	copy_hdr(out, j->hdr, j->hdr_bytes);
	if (j->v.version == 4) {
		uint16_t id = (uint16_t)(j->first_id + i);
		uint64_t ip_sum = inet_csum_add_be16(j->ip_sum, (uint16_t)seg_bytes);

		store_be16(out + 2, (uint16_t)seg_bytes);
		store_be16(out + 4, id);
		inet_csum_put(out + 10, inet_csum_finish(inet_csum_add_be16(ip_sum, id)));
	} else {
		store_be16(out + 4, l4_len);
	}
	if (j->v.proto == L4_TCP) {
		uint32_t seq = j->first_seq + off;
		uint8_t flags = seg_tcp_flags(j, i);

		store_be32(l4 + 4, seq);
		l4[13] = flags;
		sum = inet_csum_add_be16(sum, (uint16_t)(seq >> 16));
		sum = inet_csum_add_be16(sum, (uint16_t)seq);
		sum = inet_csum_add_be16(sum, flags); /* low byte of the word at 12 */
	} else {
		store_be16(l4 + 4, l4_len);
		sum = inet_csum_add_be16(sum, l4_len); /* the length is in the header too */
	}
	sum = inet_csum_copy(out + j->hdr_bytes, j->pkt + j->hdr_bytes + off, pay, sum);
	c = inet_csum_finish(sum);
	if (j->v.proto == L4_TCP)
		inet_csum_put(l4 + TCP_CSUM_OFFSET, c);
	else
		inet_csum_put(l4 + UDP_CSUM_OFFSET, c ? c : 0xffff); /* 0 means "none" */
	return (uint16_t)seg_bytes;
}

enum tun_gso_result tun_gso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
				  uint32_t mtu, uint8_t *const *outs, uint16_t *out_lens,
				  uint32_t max_out, size_t out_cap, uint32_t *n_out)
{
	uint8_t gso_type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t limit = mtu < IP_MAX_PACKET_BYTES ? mtu : IP_MAX_PACKET_BYTES, first;
	struct seg_job j; /* no initializer: the NONE path must not pay for zeroing hdr[] */
	enum tun_gso_result r;

	if (out_cap < limit)
		limit = (uint32_t)out_cap;
	if (unlikely(gso_type != VIRTIO_NET_HDR_GSO_NONE && gso_type != VIRTIO_NET_HDR_GSO_TCPV4 &&
		     gso_type != VIRTIO_NET_HDR_GSO_TCPV6 && gso_type != VIRTIO_NET_HDR_GSO_UDP_L4))
		return gso_type == VIRTIO_NET_HDR_GSO_UDP ? TUN_GSO_UNSUPPORTED : TUN_GSO_BAD_HDR;
	r = parse_ip(pkt, len, &j.v);
	if (unlikely(r != TUN_GSO_OK))
		return r;
	if (gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (unlikely(max_out < 1))
			return TUN_GSO_TOO_MANY;
		r = split_none(vh, pkt, &j.v, limit, outs[0], &out_lens[0]);
		if (r == TUN_GSO_OK)
			*n_out = 1;
		return r;
	}
	j.pkt = pkt;
	j.seg_payload = vh->gso_size;
	if (unlikely(j.seg_payload == 0))
		return TUN_GSO_BAD_HDR;
	r = parse_l4(pkt, gso_type, &j.v);
	if (unlikely(r != TUN_GSO_OK))
		return r;
	/* hdr_len is the kernel's linear-part size, a hint only; csum_* must match what we parsed. */
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    unlikely(vh->csum_start != j.v.ip_bytes ||
		     vh->csum_offset != (j.v.proto == L4_TCP ? TCP_CSUM_OFFSET : UDP_CSUM_OFFSET)))
		return TUN_GSO_BAD_CSUM_OFFSETS;
	job_prepare(&j);
	if (unlikely(j.payload_bytes == 0))
		return TUN_GSO_BAD_HDR;
	/* The first segment is the largest: all but the last carry exactly gso_size. */
	first = j.hdr_bytes + (j.payload_bytes < j.seg_payload ? j.payload_bytes : j.seg_payload);
	if (unlikely(first > limit))
		return TUN_GSO_SEG_TOO_BIG;
	j.n_segs = j.payload_bytes / j.seg_payload + (j.payload_bytes % j.seg_payload != 0);
	if (unlikely(j.n_segs > max_out))
		return TUN_GSO_TOO_MANY;
	for (uint32_t i = 0; i < j.n_segs; i++)
		out_lens[i] = write_seg(&j, i, outs[i]);
	*n_out = j.n_segs;
	return TUN_GSO_OK;
}

/* ------------------------------------------------------------------------- */
/* GRO: a burst of IP packets -> writes */

enum gro_kind {
	GRO_NOT_IP, /* not a sound IPv4/IPv6 header: touches no run */
	GRO_IP,	    /* IP without a TCP/UDP flow we can see: closes runs of its address pair */
	GRO_TCP,
	GRO_UDP,
};

/* One input packet as the planner sees it. */
struct gro_view {
	uint32_t hash;	   /* of addresses and ports; 0 unless TCP/UDP */
	uint16_t payload;  /* bytes after hdr_bytes */
	uint8_t kind;	   /* enum gro_kind */
	uint8_t ip_bytes;  /* IP header */
	uint8_t hdr_bytes; /* IP + TCP/UDP header, <= 120 */
	bool can_merge;	   /* this packet's shape alone allows coalescing */
};

/* An open run: the packets of one flow being coalesced into writes[write]. */
struct gro_run {
	struct gro_view view; /* of the first packet */
	uint32_t total;	      /* bytes of the coalesced packet so far */
	uint32_t next_seq;    /* TCP: the seq the next packet must carry */
	uint16_t next_id;     /* IPv4: the id the next packet must carry */
	uint16_t first;	      /* first packet, whose headers become the head */
	uint16_t last;	      /* latest packet added; the oldest is evicted first */
	uint16_t write;	      /* index into writes[] */
	uint16_t seg_bytes;   /* payload of every packet but the last */
	bool is_live;
};

struct gro_plan {
	const struct tun_pkt *pkts;
	struct tun_write *writes;
	uint32_t n_writes;
	struct gro_run runs[TUN_GRO_MAX_RUNS];
};

static uint32_t flow_hash(const uint8_t *d, const struct gro_view *g)
{
	bool is_v6 = d[0] >> 4 == 6;
	const uint8_t *a = d + (is_v6 ? 8 : 12);
	uint64_t h = g->kind, w;
	uint32_t ports;

	/* Multiply-xor over 8-byte words: enough spread for a 16-entry linear table. */
	for (unsigned i = 0; i < (is_v6 ? 32u : 8u); i += 8) {
		memcpy(&w, a + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	memcpy(&ports, d + g->ip_bytes, 4);
	h = (h ^ ports) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/* Sets ip_bytes and the total length for a sound IP header; false otherwise. */
static bool gro_parse_ip(const uint8_t *d, uint32_t len, struct gro_view *g, uint32_t *tot,
			 bool *is_mergeable_ip)
{
	if (len >= IPV4_HDR_BYTES && d[0] >> 4 == 4) {
		uint32_t ihl = (uint32_t)(d[0] & 0x0f) * 4;

		*tot = load_be16(d + 2);
		if (ihl < IPV4_HDR_BYTES || *tot < ihl || *tot > len)
			return false;
		g->ip_bytes = (uint8_t)ihl;
		/* The head we would build keeps one header: no options, no fragments, sound sum. */
		*is_mergeable_ip = ihl == IPV4_HDR_BYTES && *tot == len &&
				   inet_csum_is_valid(inet_csum_add_words(0, d, IPV4_HDR_BYTES));
		return true;
	}
	if (len >= IPV6_HDR_BYTES && d[0] >> 4 == 6) {
		*tot = IPV6_HDR_BYTES + (uint32_t)load_be16(d + 4);
		if (*tot > len)
			return false;
		g->ip_bytes = IPV6_HDR_BYTES;
		*is_mergeable_ip = *tot == len;
		return true;
	}
	return false;
}

static void gro_parse(const struct tun_pkt *p, struct gro_view *g)
{
	const uint8_t *d = p->data;
	uint32_t tot, room;
	bool is_v4, is_mergeable_ip = false;
	uint8_t proto;

	memset(g, 0, sizeof(*g));
	if (!d || !gro_parse_ip(d, p->len, g, &tot, &is_mergeable_ip))
		return;
	g->kind = GRO_IP;
	is_v4 = d[0] >> 4 == 4;
	proto = is_v4 ? d[9] : d[6];
	room = tot - g->ip_bytes;
	if (is_v4 && (load_be16(d + 6) & (IPV4_FRAG_MF | IPV4_FRAG_OFFSET)))
		return;
	if (proto == L4_TCP && room >= TCP_HDR_BYTES) {
		uint32_t doff = (uint32_t)(d[g->ip_bytes + 12] >> 4) * 4;
		uint8_t flags = d[g->ip_bytes + 13];

		if (doff < TCP_HDR_BYTES || doff > room)
			return;
		g->kind = GRO_TCP;
		g->hdr_bytes = (uint8_t)(g->ip_bytes + doff);
		g->can_merge = is_mergeable_ip && (flags & ~TCP_PSH) == TCP_ACK;
	} else if (proto == L4_UDP && room >= UDP_HDR_BYTES) {
		g->kind = GRO_UDP;
		g->hdr_bytes = (uint8_t)(g->ip_bytes + UDP_HDR_BYTES);
		g->can_merge = is_mergeable_ip && load_be16(d + g->ip_bytes + 4) == room;
	} else {
		return;
	}
	g->payload = (uint16_t)(tot - g->hdr_bytes);
	g->can_merge = g->can_merge && g->payload > 0;
	g->hash = flow_hash(d, g);
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* n / 4 whole words equal; no libc call and no early exit for the short spans compared here. */
static bool words_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t diff = 0;

	for (size_t i = 0; i + 4 <= n; i += 4)
		diff |= load32(a + i) ^ load32(b + i);
	return diff == 0;
}

/* Same version and addresses. */
static bool same_addrs(const uint8_t *a, const uint8_t *b)
{
	bool is_v6 = a[0] >> 4 == 6;

	if (a[0] >> 4 != b[0] >> 4)
		return false;
	return is_v6 ? words_equal(a + 8, b + 8, 32) : words_equal(a + 12, b + 12, 8);
}

static bool same_flow(const uint8_t *a, const struct gro_view *ga, const uint8_t *b,
		      const struct gro_view *gb)
{
	return ga->hash == gb->hash && ga->kind == gb->kind && same_addrs(a, b) &&
	       load32(a + ga->ip_bytes) == load32(b + gb->ip_bytes);
}

/* Can packet q (view g) join run r, whose first packet is f? */
static bool can_extend(const struct gro_run *r, uint16_t count, const uint8_t *f, const uint8_t *q,
		       const struct gro_view *g)
{
	const uint8_t *ft = f + g->ip_bytes, *qt = q + g->ip_bytes;
	uint32_t max_count = g->kind == GRO_UDP ? TUN_GRO_UDP_MAX_SEGS : TUN_GRO_MAX_PKTS;

	if (!g->can_merge || g->hdr_bytes != r->view.hdr_bytes || g->payload > r->seg_bytes ||
	    count >= max_count || g->payload > TUN_GRO_MAX_BYTES - r->total)
		return false;
	if (q[0] >> 4 == 4) {
		/* TOS (ECN included), DF and TTL as the head will say; ids consecutive. */
		if (q[1] != f[1] || load_be16(q + 6) != load_be16(f + 6) || q[8] != f[8] ||
		    load_be16(q + 4) != r->next_id)
			return false;
	} else if (load32(q) != load32(f) || q[7] != f[7]) {
		return false; /* traffic class, flow label, hop limit */
	}
	if (g->kind == GRO_UDP)
		return true;
	/* ack, data offset byte, window and urgent pointer, then the options byte for byte */
	return load_be32(qt + 4) == r->next_seq && load32(qt + 8) == load32(ft + 8) &&
	       qt[12] == ft[12] && load_be16(qt + 14) == load_be16(ft + 14) &&
	       load_be16(qt + 18) == load_be16(ft + 18) &&
	       words_equal(qt + TCP_HDR_BYTES, ft + TCP_HDR_BYTES,
			   (size_t)g->hdr_bytes - g->ip_bytes - TCP_HDR_BYTES);
}

static struct tun_write *new_write(struct gro_plan *pl, uint32_t i, uint8_t flags)
{
	struct tun_write *w = &pl->writes[pl->n_writes++];

	memset(&w->vh, 0, sizeof(w->vh));
	w->vh.flags = flags;
	w->head_len = 0;
	w->count = 1;
	w->idx[0] = (uint16_t)i;
	return w;
}

/* The head of a coalesced write: the first packet's headers grown to the whole run. */
static void build_head(const struct gro_plan *pl, const struct gro_run *r, struct tun_write *w)
{
	const uint8_t *f = pl->pkts[r->first].data, *last = pl->pkts[r->last].data;
	uint32_t ip = r->view.ip_bytes, l4_len = r->total - ip;
	bool is_tcp = r->view.kind == GRO_TCP;
	uint16_t csum_off = is_tcp ? TCP_CSUM_OFFSET : UDP_CSUM_OFFSET;
	uint8_t *h = w->head, *l4 = h + ip;
	uint64_t pseudo;

	memcpy(h, f, r->view.hdr_bytes);
	if (f[0] >> 4 == 4) {
		store_be16(h + 2, (uint16_t)r->total);
		memset(h + 10, 0, 2);
		inet_csum_put(h + 10, inet_csum_finish(inet_csum_add_words(0, h, IPV4_HDR_BYTES)));
		pseudo = inet_csum_add_words(0, h + 12, 8);
		w->vh.gso_type = is_tcp ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_UDP_L4;
	} else {
		store_be16(h + 4, (uint16_t)l4_len);
		pseudo = inet_csum_add_words(0, h + 8, 32);
		w->vh.gso_type = is_tcp ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_UDP_L4;
	}
	pseudo = inet_csum_add_be16(pseudo, is_tcp ? L4_TCP : L4_UDP);
	pseudo = inet_csum_add_be16(pseudo, (uint16_t)l4_len);
	if (is_tcp)
		l4[13] = (uint8_t)((l4[13] & ~TCP_PSH) | (last[ip + 13] & TCP_PSH));
	else
		store_be16(l4 + 4, (uint16_t)l4_len);
	/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, not inverted. */
	inet_csum_put(l4 + csum_off, inet_csum_fold(pseudo));
	w->head_len = r->view.hdr_bytes;
	w->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	w->vh.hdr_len = r->view.hdr_bytes;
	w->vh.gso_size = r->seg_bytes;
	w->vh.csum_start = (uint16_t)ip;
	w->vh.csum_offset = csum_off;
}

static void finish_run(struct gro_plan *pl, struct gro_run *r)
{
	struct tun_write *w = &pl->writes[r->write];

	r->is_live = false;
	if (w->count > 1)
		build_head(pl, r, w);
	/* else it stays what new_write() made: a single TCP/UDP packet, DATA_VALID */
}

static struct gro_run *find_run(struct gro_plan *pl, const uint8_t *d, const struct gro_view *g)
{
	for (unsigned k = 0; k < TUN_GRO_MAX_RUNS; k++) {
		struct gro_run *r = &pl->runs[k];

		if (r->is_live && same_flow(pl->pkts[r->first].data, &r->view, d, g))
			return r;
	}
	return NULL;
}

/* A non-flow IP packet (ICMP, fragment, ...) must not overtake its hosts' open runs. */
static void close_pair(struct gro_plan *pl, const uint8_t *d)
{
	for (unsigned k = 0; k < TUN_GRO_MAX_RUNS; k++) {
		struct gro_run *r = &pl->runs[k];

		if (r->is_live && same_addrs(pl->pkts[r->first].data, d))
			finish_run(pl, r);
	}
}

static void open_run(struct gro_plan *pl, uint32_t i, const struct gro_view *g)
{
	const uint8_t *d = pl->pkts[i].data;
	struct gro_run *r = NULL;

	for (unsigned k = 0; k < TUN_GRO_MAX_RUNS && !r; k++)
		if (!pl->runs[k].is_live)
			r = &pl->runs[k];
	if (!r) {
		r = &pl->runs[0];
		for (unsigned k = 1; k < TUN_GRO_MAX_RUNS; k++)
			if (pl->runs[k].last < r->last)
				r = &pl->runs[k];
		finish_run(pl, r);
	}
	r->view = *g;
	r->total = (uint32_t)g->hdr_bytes + g->payload;
	r->next_seq = load_be32(d + g->ip_bytes + 4) + g->payload; /* unused for UDP */
	r->next_id = (uint16_t)(load_be16(d + 4) + 1);		   /* unused for IPv6 */
	r->first = r->last = (uint16_t)i;
	r->write = (uint16_t)pl->n_writes;
	r->seg_bytes = g->payload;
	r->is_live = true;
	new_write(pl, i, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* Adds packet i to r; closes r after a short packet or a PSH. */
static void extend_run(struct gro_plan *pl, struct gro_run *r, uint32_t i, const struct gro_view *g)
{
	const uint8_t *d = pl->pkts[i].data;
	struct tun_write *w = &pl->writes[r->write];

	w->idx[w->count++] = (uint16_t)i;
	r->last = (uint16_t)i;
	r->total += g->payload;
	r->next_seq += g->payload;
	r->next_id++;
	if (g->payload < r->seg_bytes || (g->kind == GRO_TCP && (d[g->ip_bytes + 13] & TCP_PSH)))
		finish_run(pl, r);
}

/* One packet: join its flow's run, or close that run and start anew, or go alone. */
static void plan_one(struct gro_plan *pl, uint32_t i)
{
	const uint8_t *d = pl->pkts[i].data;
	struct gro_view g;
	struct gro_run *r;
	bool is_psh;

	gro_parse(&pl->pkts[i], &g);
	if (g.kind == GRO_NOT_IP || g.kind == GRO_IP) {
		if (g.kind == GRO_IP)
			close_pair(pl, d);
		new_write(pl, i, 0);
		return;
	}
	r = find_run(pl, d, &g);
	if (r) {
		if (can_extend(r, pl->writes[r->write].count, pl->pkts[r->first].data, d, &g)) {
			extend_run(pl, r, i, &g);
			return;
		}
		finish_run(pl, r);
	}
	is_psh = g.kind == GRO_TCP && (d[g.ip_bytes + 13] & TCP_PSH);
	if (g.can_merge && !is_psh)
		open_run(pl, i, &g);
	else
		new_write(pl, i, VIRTIO_NET_HDR_F_DATA_VALID);
}

uint32_t tun_gro_plan(const struct tun_pkt *pkts, uint32_t n, struct tun_write *writes)
{
	struct gro_plan pl = {.pkts = pkts, .writes = writes};

	if (n > TUN_GRO_MAX_PKTS)
		n = TUN_GRO_MAX_PKTS;
	for (uint32_t i = 0; i < n; i++)
		plan_one(&pl, i);
	for (unsigned k = 0; k < TUN_GRO_MAX_RUNS; k++)
		if (pl.runs[k].is_live)
			finish_run(&pl, &pl.runs[k]);
	return pl.n_writes;
}

uint32_t tun_gro_iov(const struct tun_write *w, const struct tun_pkt *pkts, struct iovec *iov,
		     uint32_t cap)
{
	uint32_t need = w->head_len ? 2u + w->count : 2u;

	if (w->count == 0 || w->count > TUN_GRO_MAX_PKTS || w->head_len > TUN_GRO_HEAD_MAX ||
	    (!w->head_len && w->count != 1) || need > cap)
		return 0;
	/* iovec is not const-correct; writev() only reads these. */
	iov[0].iov_base = (void *)(uintptr_t)&w->vh;
	iov[0].iov_len = sizeof(w->vh);
	if (!w->head_len) {
		iov[1].iov_base = (void *)(uintptr_t)pkts[w->idx[0]].data;
		iov[1].iov_len = pkts[w->idx[0]].len;
		return 2;
	}
	iov[1].iov_base = (void *)(uintptr_t)w->head;
	iov[1].iov_len = w->head_len;
	for (uint32_t k = 0; k < w->count; k++) {
		const struct tun_pkt *p = &pkts[w->idx[k]];

		if (p->len < w->head_len)
			return 0;
		iov[2 + k].iov_base = (void *)(uintptr_t)(p->data + w->head_len);
		iov[2 + k].iov_len = p->len - w->head_len;
	}
	return need;
}
