/* SPDX-License-Identifier: MIT */
/*
 * drift-dp's kernel-bypass setup: pick the best xsk mode the interface
 * offers (native XDP + zero-copy > native copy > generic), attach the
 * steering program, open one AF_XDP port per RX queue (one per worker),
 * and keep the program's CID map equal to the receive CIDs installed in
 * the session table (a small thread that follows install_seq). It also
 * copies the program's verdict counters into the table header for
 * `drift show`.
 *
 * The interface name is written to <dir>/xdp.dev while the program is
 * attached, so `drift-dp --cleanup` can detach it after a crash.
 */
#ifndef DRIFT_DATAPLANE_DP_XSK_H
#define DRIFT_DATAPLANE_DP_XSK_H

#include "dataplane/handoff.h"
#include "dataplane/port.h"
#include "dataplane/xdp_steer.h"
#include "internal/shm_layout.h"

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum dp_xsk_want {
	DP_XSK_ANY,	/* native first, generic if the driver has no native XDP */
	DP_XSK_NATIVE,	/* native only */
	DP_XSK_GENERIC, /* generic (skb) mode only */
};

struct dp_xsk {
	struct xdp_steer *steer;
	uint32_t ifindex, workers;
	char ifname[IF_NAMESIZE];
	char dev_file[1100];
	bool is_native, is_zerocopy, has_busy_poll;
	struct handoff handoff;
	/* the CID sync thread */
	struct shm_table_header *hdr;
	pthread_t sync;
	bool has_sync;
	_Atomic uint32_t stop;
	uint64_t synced_install_seq;
	uint8_t steered[DRIFT_XDP_CIDS / 8];
	char type[16];
	char why[192];
};

/*
 * Attaches and opens ports[0..workers) on `dev` for UDP port `udp_port`.
 * `dir` is the instance directory (for xdp.dev). Returns 0, or -errno with
 * a reason and its fix in err (nothing is left attached on failure).
 */
int dp_xsk_open(struct dp_xsk *x, enum dp_xsk_want want, const char *dev, uint16_t udp_port,
		uint32_t workers, bool use_busy_poll, const char *dir, struct port **ports,
		char *err, size_t err_len);

/* Starts the CID sync thread on the table. Returns 0 or -errno. */
int dp_xsk_start(struct dp_xsk *x, struct shm_table_header *hdr);

/* Stops the thread and detaches the program; call after the ports are closed. */
void dp_xsk_close(struct dp_xsk *x);

/*
 * For --cleanup: detaches a program a crashed drift-dp left on the
 * interface named in <dir>/xdp.dev (or on `dev` if given). Returns 0 or 1
 * (with a message on stderr).
 */
int dp_xsk_cleanup(const char *dir, const char *dev);

/* RX queues of `dev` from sysfs; 0 when sysfs does not say. */
uint32_t dp_xsk_rx_queues(const char *dev);

/* The name of the interface that holds address `ip` (for --bind without --dev), or -ENOENT. */
int dp_xsk_dev_of_addr(const char *ip, char ifname[IF_NAMESIZE]);

#endif
