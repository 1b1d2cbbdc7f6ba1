/* SPDX-License-Identifier: MIT */
/*
 * The XDP steering program (bpf/drift_xdp.c) as drift-dp sees it: attach
 * it to an interface through libxdp (so it coexists with other XDP
 * programs through libxdp's dispatcher where the kernel and bpffs allow,
 * and attaches alone otherwise), register each AF_XDP socket for its RX
 * queue, mark which receive CIDs the dataplane serves, read the per-CPU
 * verdict counters, and detach. The program's object is built with clang
 * and embedded in drift-dp, so there is no file to find at run time; its
 * layout version (bpf/drift_xdp.h) is checked before it is loaded.
 *
 * The program passes everything that is not a short-header DRIFT packet
 * for a steered CID to the kernel stack, so driftd's UDP socket on the same
 * port keeps receiving handshakes and control packets.
 */
#ifndef DRIFT_DATAPLANE_XDP_STEER_H
#define DRIFT_DATAPLANE_XDP_STEER_H

#include "bpf/drift_xdp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xdp_steer_mode {
	XDP_STEER_NATIVE = 1,  /* driver mode (veth has it) */
	XDP_STEER_GENERIC = 2, /* skb mode: any interface, slower */
};

struct xdp_steer;

/*
 * Loads the embedded program for UDP destination port `udp_port` and
 * attaches it to `ifindex` in `mode`. On failure returns -errno and
 * writes a one-line reason with the fix into err[0..err_len) (e.g. "native
 * XDP not supported by the driver: use --port xsk-generic", "no
 * CAP_NET_ADMIN/CAP_BPF: run as root"). On success *out is set.
 */
int xdp_steer_attach(uint32_t ifindex, enum xdp_steer_mode mode, uint16_t udp_port,
		     struct xdp_steer **out, char *err, size_t err_len);

/* Registers the AF_XDP socket `xsk_fd` for RX queue `queue` (XSKMAP). Returns 0 or -errno. */
int xdp_steer_set_xsk(struct xdp_steer *s, uint32_t queue, int xsk_fd);

/*
 * Marks receive CID `cid` as served by the dataplane (redirected to the
 * queue's socket) or not (passed to the stack). Works after capabilities
 * are dropped (the map fd is already open). Returns 0 or -errno.
 */
int xdp_steer_set_cid(struct xdp_steer *s, uint16_t cid, bool is_steered);

/* Sums the per-CPU verdict counters into out[DRIFT_XDP_V_COUNT]. Returns 0 or -errno. */
int xdp_steer_read_stats(struct xdp_steer *s, uint64_t out[DRIFT_XDP_V_COUNT]);

/* How it is attached, for `drift show`, e.g. "native, libxdp dispatcher" or "generic, alone". */
const char *xdp_steer_describe(const struct xdp_steer *s);

/*
 * What drift-dp keeps after setup so that xdp_steer_set_cid() and, at exit,
 * xdp_steer_detach() still work (as a libcap cap_value_t initializer and
 * as text for `drift show`).
 */
#define XDP_STEER_DETACH_CAPS                       \
	{                                           \
		CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF \
	}
#define XDP_STEER_DETACH_CAPS_TEXT "cap_net_admin,cap_net_raw,cap_bpf"

/* Detaches the program, closes every fd and frees `s` (NULL is fine). */
void xdp_steer_detach(struct xdp_steer *s);

/*
 * After a crash: detaches every program named like ours from `ifindex`
 * (both modes), leaving other programs in place. Returns how many were
 * removed (0 if none) or -errno with a reason in err.
 */
int xdp_steer_cleanup(uint32_t ifindex, char *err, size_t err_len);

#endif
