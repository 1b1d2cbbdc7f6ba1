/* SPDX-License-Identifier: MIT */
/*
 * The XDP steering program of drift-dp's xsk port. For each frame on the
 * interface: Ethernet (at most one VLAN tag) -> IPv4 (not a fragment) or
 * IPv6 (UDP as the first next header) -> UDP to the configured DRIFT port
 * -> DRIFT short header (high nibble of the first byte 2) whose receive CID
 * the dataplane serves (drift_cids) -> the AF_XDP socket of this RX queue
 * (drift_xsks). Everything else goes to the kernel stack unchanged, so
 * driftd's UDP socket on the same port keeps receiving handshakes and
 * control packets, and other traffic on the interface is untouched. It
 * never drops. Every verdict is counted per CPU (drift_stats).
 *
 * Built with clang -target bpf; bpf/drift_xdp.h is shared with the loader.
 */
#include "bpf/drift_xdp.h"

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

/* The loader reads this from the object before loading it. */
const volatile __u32 drift_xdp_layout_version = DRIFT_XDP_LAYOUT_VERSION;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, DRIFT_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} drift_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DRIFT_XDP_CIDS);
	__type(key, __u32);
	__type(value, __u32);
} drift_cids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drift_xdp_config);
} drift_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DRIFT_XDP_V_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} drift_stats SEC(".maps");

/* libxdp's dispatcher runs us at the default priority and goes on after a PASS. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(drift_xdp_steer);

#define VLAN_HDR_BYTES 4

static __always_inline int count(__u32 verdict, int action)
{
	__u64 *n = bpf_map_lookup_elem(&drift_stats, &verdict);

	if (n)
		*n += 1;
	return action;
}

SEC("xdp")
int drift_xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct drift_xdp_config *cfg;
	struct udphdr *udp;
	__u32 zero = 0, cid, queue;
	__u32 *steered;
	__u8 *drift;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		if (l3 + VLAN_HDR_BYTES > end)
			return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
		proto = *(__u16 *)(l3 + 2);
		l3 += VLAN_HDR_BYTES;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end)
			return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
		if (ip->protocol != IPPROTO_UDP)
			return count(DRIFT_XDP_V_PASS_OTHER, XDP_PASS);
		if (ip->ihl < 5 || (ip->frag_off & bpf_htons(0x3fff)))
			return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
		udp = l3 + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
		if (ip6->nexthdr != IPPROTO_UDP)
			return count(DRIFT_XDP_V_PASS_OTHER, XDP_PASS);
		udp = (void *)(ip6 + 1);
	} else {
		return count(DRIFT_XDP_V_PASS_OTHER, XDP_PASS);
	}
	if ((void *)(udp + 1) > end)
		return count(DRIFT_XDP_V_PASS_MALFORMED, XDP_PASS);
	cfg = bpf_map_lookup_elem(&drift_cfg, &zero);
	if (!cfg || udp->dest != bpf_htons(cfg->udp_port))
		return count(DRIFT_XDP_V_PASS_OTHER, XDP_PASS);
	drift = (__u8 *)(udp + 1);
	/* Long headers (and anything too short to be a short header) are driftd's. */
	if ((void *)(drift + 3) > end || (drift[0] >> 4) != 2)
		return count(DRIFT_XDP_V_PASS_LONG, XDP_PASS);
	cid = (__u32)drift[1] << 8 | drift[2];
	steered = bpf_map_lookup_elem(&drift_cids, &cid);
	if (!steered || !*steered)
		return count(DRIFT_XDP_V_PASS_CID, XDP_PASS);
	queue = ctx->rx_queue_index;
	if (!bpf_map_lookup_elem(&drift_xsks, &queue))
		return count(DRIFT_XDP_V_PASS_NO_XSK, XDP_PASS);
	count(DRIFT_XDP_V_REDIRECT, XDP_PASS);
	return bpf_redirect_map(&drift_xsks, queue, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
