/* SPDX-License-Identifier: MIT */
/*
 * driftd's state, shared by its modules: the engine that runs every
 * handshake, rekey, resumption and path validation; the dataplane's
 * session table it installs sessions into (installer.c, the only writer of
 * slots); the event rings it drains (dp_events.c); the control socket
 * (ctl.c) and the application channels it hands out.
 *
 *   socket (long headers) ──▶ engine ──▶ installer ──▶ table (shm) ──▶ drift-dp
 *   drift-dp event rings  ──▶ dp_events ──▶ engine / re-inject ring
 *   ctl socket (CLI, apps) ──▶ ctl ──▶ engine, app channels
 *
 * Threads: one. Every module here runs on driftd's loop thread.
 */
#ifndef DRIFT_CONTROL_DRIFTD_H
#define DRIFT_CONTROL_DRIFTD_H

#include "control/uring_loop.h"
#include "control/vpn.h"
#include "dataplane/session_table.h"
#include "internal/net_route.h"
#include "internal/shm_layout.h"
#include "proto/engine.h"

struct route_nl;

#include <stdbool.h>
#include <stdint.h>

enum driftd_limits {
	DRIFTD_PEER_BUCKETS = 1 << 16,
	DRIFTD_CTL_CLIENTS = 64,
	DRIFTD_KEY_FP_BYTES = 16,
	DRIFTD_RETRY_MAX = 1024, /* punted packets waiting for their key epoch (dp_events.c) */
};

/* What driftd knows about a peer beyond the engine: where it lives in the table. */
struct driftd_peer {
	uint8_t id[WIRE_PEER_ID_BYTES];
	int32_t slot;	 /* table slot, -1 when not installed */
	int32_t channel; /* app channel its DATA goes to, -1 none */
	uint32_t generation;
	uint32_t epoch_id[2];			/* installed ep[0], ep[1] */
	uint8_t key_fp[2][DRIFTD_KEY_FP_BYTES]; /* fingerprints of those keys */
	bool is_dirty;
	struct driftd_peer *hash_next;
	struct driftd_peer *dirty_next;
};

struct driftd_channel {
	bool is_mapped;
	int fd;
	struct shm_app_header *hdr;
	size_t map_bytes; /* what we mapped; never the (application-writable) header's size */
	_Atomic uint32_t is_broken; /* the file was truncated under us (shm_guard.h) */
	uint32_t owner_pid;
	int ctl_client; /* index of the ctl connection that attached it, -1 */
};

struct driftd_ctl_client {
	int fd;
	uint32_t pid;
	int channel;
	/* A pending "connect": reply once the peer is up, fails, or time runs out. */
	bool has_connect;
	uint8_t connect_id[WIRE_PEER_ID_BYTES];
	uint64_t connect_deadline_ms;
};

struct driftd_stats {
	uint64_t punts, reinjected, reinject_full, send_long, rekey_due, new_source, installs,
		removals;
	uint64_t stale_events, app_ctl_full, reattached, reinstalls;
	uint64_t retried, retry_expired, retry_full;
	uint64_t route_resolves, route_failures, route_updates, socket_shorts;
};

/* routes.c: next hops for the xsk port, cached by peer address. */
enum { DRIFTD_ROUTE_CACHE = 64, DRIFTD_FWD_MAX = 64 };

struct driftd_route_entry {
	struct net_addr ip;
	struct net_route route;
	int rc;
};

struct driftd_routes {
	struct route_nl *nl; /* opened on first need (xsk port only) */
	struct driftd_route_entry cache[DRIFTD_ROUTE_CACHE];
	uint32_t n;
	bool has_pending; /* a resolution failed: try again next tick */
	int last_error;
};

/* forwarding.c: bridge pairs, one direction each (DATA from `from` is sent on `to`). */
struct driftd_fwd {
	uint8_t from[WIRE_PEER_ID_BYTES];
	uint8_t to[WIRE_PEER_ID_BYTES];
};

/* A punted packet the engine could not place yet (dp_events.c). */
struct driftd_retry {
	struct shm_event ev;
	uint32_t worker;
	uint64_t since_ms;
};

struct driftd {
	const char *name;
	char run_dir[256];
	char dir[512]; /* run_dir/name */
	struct engine *engine;
	uint8_t pub[WIRE_KEY_BYTES];

	int fd, family; /* the long-header socket (SO_REUSEPORT on drift-dp's port) */
	struct uring_loop loop;
	struct net_addr bind_addr;

	struct session_table table;
	uint64_t dp_instance;
	uint32_t next_epoch_id;
	uint32_t next_generation; /* last generation handed out (installer.c) */
	int32_t *free_slots;
	uint32_t free_count;
	struct driftd_peer **slot_peer; /* slot -> peer installed there */

	struct driftd_peer **buckets;
	uint8_t bucket_key[16];
	struct driftd_peer *dirty;
	uint16_t cid_refs[65536]; /* installed receive CIDs (installer.c) */
	uint32_t peer_count;

	struct driftd_channel channels[SHM_APP_CHANNELS];
	int listen_channel;  /* where sessions started by peers go, -1 none */
	bool channels_stale; /* drift-dp restarted and its channel files are not ready yet */

	int ctl_fd;
	struct driftd_ctl_client clients[DRIFTD_CTL_CLIENTS];

	struct driftd_retry *retry; /* DRIFTD_RETRY_MAX entries */
	uint32_t retry_count;

	struct driftd_routes routes;
	struct driftd_fwd fwds[DRIFTD_FWD_MAX];
	uint32_t fwd_count;

	struct driftd_vpn vpn; /* --tun: drift-vpn's peers, metrics, qlog (vpn.c) */

	char caps_kept[SHM_TEXT_BYTES];
	uint64_t started_unix_ms;
	struct driftd_stats stats;
};

/* CLOCK_MONOTONIC in ms: the engine's clock and the table's rx_until_ms clock. */
uint64_t driftd_now_ms(void);
uint64_t driftd_unix_ms(void);

/* ---- installer.c: the only writer of session slots */
int installer_init(struct driftd *d);
void installer_fini(struct driftd *d);
struct driftd_peer *installer_peer(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES],
				   bool create);
void installer_mark_dirty(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES]);
void installer_sync_dirty(struct driftd *d);
void installer_reattach(struct driftd *d);
void installer_reinstall_all(struct driftd *d, const struct session_table *old);
bool installer_owns_cid(struct driftd *d, uint16_t cid);

/* ---- routes.c */
void routes_lookup(struct driftd *d, const struct net_addr *dst, struct net_route *out);
void routes_tick(struct driftd *d);
void routes_fini(struct driftd *d);

/* ---- forwarding.c */
int forwarding_add(struct driftd *d, const uint8_t a[WIRE_PEER_ID_BYTES],
		   const uint8_t b[WIRE_PEER_ID_BYTES]);
int forwarding_remove(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES]);
/* The fwd_to / fwd_generation a slot of peer `id` should carry (0/0: deliver locally). */
void forwarding_target(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES], uint32_t *fwd_to,
		       uint32_t *fwd_generation);
void forwarding_tick(struct driftd *d);

/* ---- dp_events.c */
void dp_events_drain(struct driftd *d);
/*
 * A datagram driftd's socket received: with the xsk port, a short header
 * for an installed CID (the XDP program had not learnt it yet) goes to the
 * CID's worker; returns false for everything the engine should see.
 */
bool dp_events_from_socket(struct driftd *d, const uint8_t *buf, size_t len,
			   const struct net_addr *from);

/* ---- ctl.c */
int ctl_open(struct driftd *d);
void ctl_poll(struct driftd *d);
void ctl_close(struct driftd *d);
void ctl_app_notify(struct driftd *d, int channel, uint16_t kind, const struct driftd_peer *dp,
		    const uint8_t *data, size_t len);

/* ---- channels.c: application channel files */
int channels_open(struct driftd *d);
void channels_close(struct driftd *d);
int channels_attach(struct driftd *d, uint32_t pid, int client);
void channels_detach(struct driftd *d, int channel);
void channels_reap(struct driftd *d);
void channels_adopt_orphans(struct driftd *d, int channel);

/* ---- show.c */
void show_write(struct driftd *d, bool is_dump, void (*line)(void *ctx, const char *text),
		void *ctx);

#endif
