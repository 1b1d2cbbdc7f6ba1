/* SPDX-License-Identifier: MIT */
/*
 * driftd's drift-vpn mode (`driftd --tun`): the configured peers and what
 * WireGuard users expect of them. Every session goes to the TUN device
 * drift-dp serves (slot app_channel SHM_CHANNEL_TUN); a peer with an
 * endpoint is (re)connected until its session is up, and kept up across
 * idle periods and NATs by a ping every PersistentKeepalive seconds.
 * Liveness follows WireGuard's timers (vpn_liveness.h): a passive
 * keepalive after 10 s of receiving only, and a new handshake with a peer
 * that answered nothing for 15 s (it restarted and forgot the session).
 * Also the two observability outputs: a Prometheus text endpoint on
 * 127.0.0.1 and a qlog-style NDJSON event file.
 */
#ifndef DRIFT_CONTROL_VPN_H
#define DRIFT_CONTROL_VPN_H

#include "control/vpn_liveness.h"
#include "proto/engine.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct driftd;

enum {
	VPN_RECONNECT_MS = 5000, /* between handshake attempts to a peer that is down */
	DRIFTD_VPN_MAX_PEERS = 4096,
};

struct driftd_vpn_peer {
	uint8_t pub[WIRE_KEY_BYTES];
	uint8_t id[WIRE_PEER_ID_BYTES];
	bool has_endpoint;
	uint16_t keepalive_s;
	uint64_t next_connect_ms, next_keepalive_ms;
	uint64_t handshakes, connects, keepalives;
	/*
	 * A session we initiated is up: send one empty DATA (next tick), as
	 * WireGuard's initiator does, so the responder confirms its keys and
	 * installs the session before either side has traffic to send.
	 */
	bool needs_confirm;
	struct vpn_liveness live;
	uint64_t restarts; /* sessions closed because the peer stopped answering */
};

struct driftd_vpn {
	bool is_on;
	struct driftd_vpn_peer *peers;
	uint32_t n;
	int metrics_fd; /* listening TCP socket on 127.0.0.1, -1 off */
	uint16_t metrics_port;
	FILE *qlog;		/* NULL off */
	uint64_t early_packets; /* DATA driftd opened and handed to the TUN (vpn_on_data) */
};

/* Turns the mode on; metrics_port 0 and qlog_path NULL mean off. Returns 0 or -errno. */
int vpn_init(struct driftd *d, uint16_t metrics_port, const char *qlog_path);
void vpn_fini(struct driftd *d);

/* ctl `vpn-peer`: adds (or updates) a configured peer. addr NULL: no endpoint. */
int vpn_add_peer(struct driftd *d, const uint8_t pub[WIRE_KEY_BYTES], const struct net_addr *addr,
		 uint16_t keepalive_s);

/* Every tick: reconnects, keepalives, metrics requests. */
void vpn_tick(struct driftd *d, uint64_t now_ms);

/* Every engine event, before driftd acts on it: counters and the qlog line. */
void vpn_on_event(struct driftd *d, const struct engine_event *ev);
/*
 * DATA the engine opened (a new session's first packets reach driftd before
 * its slot is installed): in drift-vpn mode it belongs on the TUN, so it
 * goes to worker 0 as SHM_EV_TUN_WRITE, which checks it against the peer's
 * AllowedIPs like its own. True when the event was drift-vpn's to handle.
 */
bool vpn_on_data(struct driftd *d, const struct engine_event *ev);
/* drift-dp saw TUN traffic for the peer with this key and no session: dial it now. */
void vpn_on_want(struct driftd *d, const uint8_t pub[WIRE_KEY_BYTES], uint64_t now_ms);

/* The Prometheus text exposition of everything drift-vpn counts (also used by tests). */
size_t vpn_metrics_render(struct driftd *d, char *buf, size_t cap);

#endif
