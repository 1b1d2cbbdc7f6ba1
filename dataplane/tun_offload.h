/* SPDX-License-Identifier: MIT */
/*
 * Sans-io offloads for a TUN device opened with IFF_VNET_HDR and the
 * offloads TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6.
 *
 *   TUN read:  [virtio_net_hdr][IP super-packet <= 64 KiB]
 *                 -> tun_gso_split() -> IP packets of <= mtu bytes, checksums final
 *   TUN write: a burst of IP packets -> tun_gro_plan() -> writes
 *                 -> tun_gro_iov() -> [virtio_net_hdr][head][payload][payload]...
 *
 * Both directions are pure functions of their inputs: no allocation, no
 * state between calls, no syscalls, safe on any thread. Every length in the
 * input is checked against the bytes that remain before it is used.
 *
 * virtio_net_hdr fields are in host byte order (the legacy TUN layout, which
 * is little-endian on every host we run on; we never set TUNSETVNETBE).
 *
 * Deliberately not here: UFO (VIRTIO_NET_HDR_GSO_UDP), IPv6 extension
 * headers in super-packets, BIG TCP (> 64 KiB), SCTP CRC offload, and any
 * re-segmentation to a smaller size than gso_size (a segment over mtu is an
 * error; PMTU is the sender's job).
 */
#ifndef DRIFT_DATAPLANE_TUN_OFFLOAD_H
#define DRIFT_DATAPLANE_TUN_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Linux 6.2 uapi; older installed headers (Debian 12's 6.1) lack it. The value is ABI. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Why tun_gso_split() refused a packet; TUN_GSO_OK is success. */
enum tun_gso_result {
	TUN_GSO_OK = 0,
	TUN_GSO_BAD_HDR,	  /* gso_type/gso_size/IP version/L4 header fields inconsistent */
	TUN_GSO_TRUNCATED,	  /* a header or claimed length runs past the bytes read */
	TUN_GSO_NOT_IP,		  /* IP version nibble is neither 4 nor 6 */
	TUN_GSO_BAD_CSUM_OFFSETS, /* NEEDS_CSUM with csum_start/csum_offset out of place */
	TUN_GSO_UNSUPPORTED,	  /* UFO, IPv4 fragment, IPv6 extension header */
	TUN_GSO_TOO_MANY,	  /* more segments than max_out */
	TUN_GSO_SEG_TOO_BIG,	  /* a segment larger than mtu, out_cap or 65535 */
};

/* A static string naming r ("ok", "bad-hdr", ...); "unknown" for other values. */
const char *tun_gso_result_name(enum tun_gso_result r);

/*
 * Splits one packet read from the TUN: vh is its virtio_net_hdr, pkt/len the
 * IP packet after it. Bytes past the IP header's own length are ignored.
 *
 * gso_type NONE: one output, a copy; with VIRTIO_NET_HDR_F_NEEDS_CSUM the
 * checksum at csum_start + csum_offset (which holds the pseudo-header sum) is
 * finished over csum_start..end. Other IP protocols and IPv6 extension
 * headers pass through untouched; an IPv4 header checksum must verify.
 *
 * TCPV4/TCPV6 (the ECN bit is accepted): segments of vh->gso_size payload
 * bytes, each with copied IP+TCP headers (lengths parsed here; vh->hdr_len is
 * only a hint from the kernel and is ignored), IPv4 total length and id =
 * first id + i with a fresh header checksum, IPv6 payload length, TCP
 * seq += offset, FIN and PSH only on the last segment, CWR only on the
 * first, and a full TCP checksum.
 * UDP_L4: the same cut with the UDP length and a full UDP checksum per
 * segment (a computed 0 is sent as 0xffff).
 * With NEEDS_CSUM set on a GSO packet, csum_start must be the L4 header and
 * csum_offset its checksum field.
 *
 * outs[0..max_out) are caller buffers of out_cap bytes each. Everything is
 * checked before the first byte is written: on an error nothing is written
 * and *n_out / out_lens are untouched. On TUN_GSO_OK, *n_out segments were
 * written and out_lens[i] holds the length of outs[i].
 */
enum tun_gso_result tun_gso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len,
				  uint32_t mtu, uint8_t *const *outs, uint16_t *out_lens,
				  uint32_t max_out, size_t out_cap, uint32_t *n_out);

/*
 * GRO planning: coalescing a burst of received IP packets into writes to the
 * TUN. TUN_GRO_HEAD_MAX covers IPv6 (40) + TCP with 40 bytes of options (60).
 * TUN_GRO_UDP_MAX_SEGS keeps a UDP write within the kernel's UDP_MAX_SEGMENTS
 * on every kernel since USO (older kernels allow 64, newer ones 128).
 */
enum {
	TUN_GRO_MAX_PKTS = 128,
	TUN_GRO_HEAD_MAX = 120,
	TUN_GRO_MAX_BYTES = 65535,
	TUN_GRO_UDP_MAX_SEGS = 64,
	TUN_GRO_MAX_RUNS = 16, /* flows coalesced at once; the least recently grown is closed */
};

/* One received plaintext IP packet; data stays owned by the caller. */
struct tun_pkt {
	const uint8_t *data;
	uint16_t len;
};

/*
 * One write to the TUN. A coalesced write is vh + head[head_len] (the first
 * packet's headers with lengths and checksum fields rewritten) + for each
 * packet k of the run in order, pkts[idx[k]].data + head_len for
 * len - head_len bytes. A single packet has count 1 and head_len 0: vh + the
 * packet whole.
 */
struct tun_write {
	struct virtio_net_hdr vh;
	uint8_t head[TUN_GRO_HEAD_MAX];
	uint16_t head_len;
	uint16_t count;			/* packets in this write */
	uint16_t idx[TUN_GRO_MAX_PKTS]; /* which input packets, in order (only count used) */
};

/*
 * Plans the writes for pkts[0..n) in arrival order; n above TUN_GRO_MAX_PKTS
 * plans only the first TUN_GRO_MAX_PKTS (call again for the rest). writes
 * must have room for n entries. Returns the number of writes: every planned
 * packet is in exactly one, writes are ordered by their first packet, and a
 * flow's packets keep their order.
 *
 * Coalesced: TCP with flags exactly ACK (PSH allowed on the last packet) and
 * UDP, over IPv4 without options or fragmentation (header checksum valid,
 * ids consecutive) or IPv6 without extension headers; same addresses, ports,
 * TOS/TTL (traffic class/flow label/hop limit), for TCP the same header
 * length, options bytes, ack, window and urgent pointer and consecutive seq;
 * one payload size except a smaller last packet; at most TUN_GRO_MAX_BYTES
 * in total. So a coalesced write, cut again at gso_size, gives back its
 * packets exactly except for their TCP/UDP checksum fields. Coalesced writes
 * carry NEEDS_CSUM with the checksum field holding the pseudo-header sum;
 * single TCP/UDP packets carry DATA_VALID (they arrived authenticated),
 * anything else flags 0. TCP/UDP checksums of the packets are not verified.
 */
uint32_t tun_gro_plan(const struct tun_pkt *pkts, uint32_t n, struct tun_write *writes);

/*
 * Fills iov[0..cap) for write w over the same pkts: [vh][head or the whole
 * packet][payloads...]. The entries point into w and pkts, which must outlive
 * the writev(). Returns the entry count, or 0 if cap is too small or w is
 * not a write tun_gro_plan() could have made.
 */
uint32_t tun_gro_iov(const struct tun_write *w, const struct tun_pkt *pkts, struct iovec *iov,
		     uint32_t cap);

#endif
