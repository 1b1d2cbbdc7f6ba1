/* SPDX-License-Identifier: MIT */
/*
 * Shared between the XDP steering program (bpf/drift_xdp.c, built with
 * clang -target bpf) and its loader (dataplane/xdp_steer.c): map layouts,
 * verdict counters, and the layout version the loader checks before it
 * loads an object. Bump DRIFT_XDP_LAYOUT_VERSION on any change here.
 */
#ifndef DRIFT_BPF_DRIFT_XDP_H
#define DRIFT_BPF_DRIFT_XDP_H

#define DRIFT_XDP_LAYOUT_VERSION 1
#define DRIFT_XDP_MAX_QUEUES	 64    /* XSKMAP entries: one per RX queue */
#define DRIFT_XDP_CIDS		 65536 /* receive CIDs are 16 bits (WIRE.md §6) */

/* Per-CPU counters, one per verdict. */
enum drift_xdp_verdict {
	DRIFT_XDP_V_REDIRECT = 0,   /* short header, steered CID, socket on the queue */
	DRIFT_XDP_V_PASS_OTHER,	    /* not IPv4/IPv6 UDP to our port: not ours at all */
	DRIFT_XDP_V_PASS_LONG,	    /* DRIFT long header (or empty): driftd's */
	DRIFT_XDP_V_PASS_CID,	    /* short header whose CID the dataplane does not serve */
	DRIFT_XDP_V_PASS_NO_XSK,    /* steered CID but no socket on this RX queue */
	DRIFT_XDP_V_PASS_MALFORMED, /* truncated headers, IPv4 fragment, IPv6 ext header */
	DRIFT_XDP_V_COUNT,
};

/* The single entry of the config map, written by the loader before attach. */
struct drift_xdp_config {
	unsigned int layout_version; /* DRIFT_XDP_LAYOUT_VERSION */
	unsigned short udp_port;     /* host order */
	unsigned short pad;
};

#endif
