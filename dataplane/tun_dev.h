/* SPDX-License-Identifier: MIT */
/*
 * The TUN device drift-vpn's traffic enters and leaves by: one multi-queue
 * TUN with IFF_VNET_HDR, one queue fd per worker, and the offloads that let
 * the kernel hand over (and take back) 64 KiB TCP and UDP super-packets.
 * drift-dp creates it; it disappears when the last queue fd closes.
 */
#ifndef DRIFT_DATAPLANE_TUN_DEV_H
#define DRIFT_DATAPLANE_TUN_DEV_H

#include "internal/shm_layout.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct tun_dev {
	char name[IF_NAMESIZE];
	int fds[SHM_MAX_WORKERS];
	uint32_t queues;
	bool has_uso;  /* UDP segmentation offload accepted (Linux 6.2+) */
	char why[160]; /* offloads in use, for `drift show` */
};

/*
 * Creates (or attaches to an existing non-persistent-owned) TUN `name` with
 * `queues` queues, non-blocking, vnet header of sizeof(struct
 * virtio_net_hdr), offloads CSUM|TSO4|TSO6 (+USO4|USO6 where the kernel
 * has them). Returns 0 or -errno with err filled with what to do.
 */
int tun_dev_open(struct tun_dev *t, const char *name, uint32_t queues, char *err, size_t err_cap);

void tun_dev_close(struct tun_dev *t);

#endif
