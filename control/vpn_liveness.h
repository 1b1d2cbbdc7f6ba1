/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's liveness timers, WireGuard's two, as a pure state machine
 * over packet totals (sans-io: control/vpn.c feeds it every tick).
 *
 * Data arms them; any authenticated packet answers:
 * - passive keepalive: data came in and nothing went back for 10 s: ping;
 * - unanswered: data or a ping went out and nothing came back for 15 s:
 *   the peer restarted and forgot the session (nothing on the wire says
 *   so) or the path is gone; a peer we can dial is closed and dialled again.
 * Keepalives are pings, not empty DATA, so that a keepalive never asks for
 * another one and two idle peers stay quiet.
 */
#ifndef DRIFT_CONTROL_VPN_LIVENESS_H
#define DRIFT_CONTROL_VPN_LIVENESS_H

#include <stdbool.h>
#include <stdint.h>

enum {
	VPN_PASSIVE_KEEPALIVE_MS = 10000, /* WireGuard's KEEPALIVE_TIMEOUT */
	VPN_UNANSWERED_MS = 15000,	  /* KEEPALIVE_TIMEOUT + REKEY_TIMEOUT */
};

struct vpn_liveness {
	uint64_t rx_data_seen, rx_any_seen, tx_data_seen; /* totals at the last step */
	uint64_t unanswered_since_ms; /* first send after the last receive; 0 none */
	uint64_t unreplied_since_ms;  /* first data received after the last send; 0 none */
};

/* What a session's totals say now. */
struct vpn_totals {
	uint64_t rx_data; /* DATA received (dataplane and driftd) */
	uint64_t rx_any;  /* every authenticated packet received, DATA included */
	uint64_t tx_data; /* DATA sent by the dataplane */
};

enum vpn_liveness_action {
	VPN_LIVE_NOTHING,
	VPN_LIVE_PING,	  /* passive keepalive: send a ping, then vpn_liveness_pinged() */
	VPN_LIVE_RESTART, /* close the session and handshake again */
};

/* One tick. `can_dial`: the peer has an endpoint (a restart needs one). */
enum vpn_liveness_action vpn_liveness_step(struct vpn_liveness *l, const struct vpn_totals *t,
					   bool can_dial, uint64_t now_ms);
/* A ping went out (keepalive of either kind): it expects a PONG. */
void vpn_liveness_pinged(struct vpn_liveness *l, uint64_t now_ms);
/* The session is down or new: forget the timers (the totals are re-read). */
void vpn_liveness_reset(struct vpn_liveness *l);

#endif
