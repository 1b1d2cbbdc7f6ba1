/* SPDX-License-Identifier: MIT */
/*
 * A worker's side of the TUN device (drift-vpn): its queue fd, the
 * cryptokey routing that picks a session for each packet, and the two
 * batch steps the worker loop runs.
 *
 *   TUN read (64 KiB super-packet) -> tun_gso_split -> AllowedIPs(dst) -> peer
 *     -> that peer's slot -> the tx queue tx.c seals from like a channel
 *   rx.c opens DATA of a TUN session into tun_rx_buffer() -> tun_rx_commit()
 *     checks AllowedIPs(src) is the sending peer -> tun_rx_flush() at the
 *     end of the burst coalesces (GRO) and writes
 *
 * Peers are the order of the peers file (allowed_ips.h); which slot holds
 * a peer's session is looked up from the table whenever driftd installs
 * something (install_seq moves), by public key.
 */
#ifndef DRIFT_DATAPLANE_TUN_IO_H
#define DRIFT_DATAPLANE_TUN_IO_H

#include "dataplane/allowed_ips.h"
#include "dataplane/tun_offload.h"
#include "dataplane/tun_uring.h"
#include "internal/shm_layout.h"

#include <stdbool.h>
#include <stdint.h>

struct worker;

enum tun_io_const {
	TUN_TXQ = 512,	    /* segments waiting to be sealed, per worker */
	TUN_SEGS_MAX = 64,  /* most segments one super-packet may split into */
	TUN_READS_MAX = 64, /* reads per poll (small packets arrive one per read) */
	TUN_READ_BYTES = 65536 + 64,
	TUN_NO_PEER = UINT32_MAX,
	/*
	 * Polls to skip after a read found the TUN empty: an empty read is a
	 * syscall, and a spinning worker would otherwise spend most of its
	 * idle polls (and a shared core) on them. A sleeping worker is woken
	 * by the TUN's poll, so this delays nothing after a sleep.
	 */
	TUN_EMPTY_SKIP = 8,
	/* A packet for a peer with no session asks driftd to dial it, at most this often. */
	TUN_WANT_INTERVAL_MS = 1000,
};

/* Built once by drift-dp, read by every worker. */
struct tun_shared {
	struct allowed_ips table;
	struct allowed_ips_peers peers;
	uint32_t mtu; /* largest inner packet a segment may be */
	/* open addressing on the public key's first bytes: peer index + 1, 0 = empty */
	uint32_t *by_pub;
	uint32_t by_pub_mask;
};

struct tun_worker {
	int fd;
	const struct tun_shared *shared;
	uint32_t slot_count;
	/* tx: segments split from TUN reads, consumed by tx.c in order */
	struct shm_app_msg *q;
	uint32_t q_head, q_n;
	uint8_t *read_buf;
	struct shm_app_msg *tails; /* [TUN_READS_MAX] scratch for group_fragment_tails() */
	uint32_t skip_polls;	   /* left to skip after an empty read */
	/* Batched reads and writes (tun_uring.h); plain read()/writev() without it. */
	struct tun_uring ur;
	bool has_uring;
	struct iovec iov_pool[3 * TUN_GRO_MAX_PKTS];
	/* peer <-> slot, rebuilt when install_seq moves */
	uint64_t map_seq;
	bool has_map;
	uint32_t *peer_slot, *peer_gen; /* [peers.n] */
	uint64_t *peer_want_ms;		/* [peers.n] last SHM_EV_TUN_WANT for the peer, 0 never */
	uint32_t *slot_peer;		/* [slot_count] */
	/* rx: this burst's opened packets */
	uint8_t (*rx_buf)[WIRE_MAX_PAYLOAD_BYTES];
	struct tun_pkt rx_pkts[TUN_GRO_MAX_PKTS];
	uint32_t rx_n;
	struct tun_write *writes; /* [TUN_GRO_MAX_PKTS] */
};

/* Loads the peers file into s (the table and the key index). err names the file and line. */
int tun_shared_load(struct tun_shared *s, const char *peers_path, uint32_t mtu, char *err,
		    size_t err_cap);
void tun_shared_fini(struct tun_shared *s);

/* The peer index of a public key, TUN_NO_PEER if the file does not list it. */
uint32_t tun_shared_peer_of(const struct tun_shared *s, const uint8_t pub[WIRE_KEY_BYTES]);

int tun_worker_init(struct tun_worker *t, int fd, const struct tun_shared *s, uint32_t slot_count);
void tun_worker_fini(struct tun_worker *t);

/* What the worker's sleep polls for TUN input. */
int tun_wait_fd(const struct tun_worker *t);

/* Rebuilds the peer <-> slot maps when driftd has installed something since the last look. */
void tun_map_refresh(struct worker *w);

/* Worker loop: read, split and route TUN packets into the tx queue. Returns reads done. */
uint32_t tun_tx_fill(struct worker *w);

/* tx.c: up to max queued segments (in order) and, after sealing, how many were used. */
uint32_t tun_tx_peek(struct tun_worker *t, uint32_t max, struct shm_app_msg **out);
void tun_tx_release(struct tun_worker *t, uint32_t n);

/* rx.c: where to open the next TUN session packet (NULL: this burst is full). */
uint8_t *tun_rx_buffer(struct worker *w);
/* The packet opened into the last buffer is len bytes from `slot`: keep it or drop it. */
void tun_rx_commit(struct worker *w, uint32_t slot, uint16_t len);
/*
 * rx.c, the reinject ring: a packet driftd opened before the session was
 * installed (SHM_EV_TUN_WRITE). Same checks as the worker's own packets
 * (the inner source must be the sending peer's), then the same TUN batch.
 */
void tun_rx_from_driftd(struct worker *w, const struct shm_event *ev);
/* End of an rx burst: coalesce and write what was kept. */
void tun_rx_flush(struct worker *w);

#endif
