/* SPDX-License-Identifier: MIT */
/* drift-vpn's liveness timers (vpn_liveness.h). */
#include "control/vpn_liveness.h"

#include <string.h>

enum vpn_liveness_action vpn_liveness_step(struct vpn_liveness *l, const struct vpn_totals *t,
					   bool can_dial, uint64_t now_ms)
{
	bool got_data = t->rx_data != l->rx_data_seen;
	bool got_any = t->rx_any != l->rx_any_seen;
	bool sent_data = t->tx_data != l->tx_data_seen;

	l->rx_data_seen = t->rx_data;
	l->rx_any_seen = t->rx_any;
	l->tx_data_seen = t->tx_data;
	/* Both in one tick: their order is unknown; take it as an exchange. */
	if (got_any)
		l->unanswered_since_ms = 0;
	else if (sent_data && !l->unanswered_since_ms)
		l->unanswered_since_ms = now_ms;
	if (sent_data)
		l->unreplied_since_ms = 0;
	else if (got_data && !l->unreplied_since_ms)
		l->unreplied_since_ms = now_ms;
	if (can_dial && l->unanswered_since_ms &&
	    now_ms - l->unanswered_since_ms >= VPN_UNANSWERED_MS) {
		l->unanswered_since_ms = l->unreplied_since_ms = 0;
		return VPN_LIVE_RESTART;
	}
	if (l->unreplied_since_ms && now_ms - l->unreplied_since_ms >= VPN_PASSIVE_KEEPALIVE_MS) {
		l->unreplied_since_ms = 0;
		return VPN_LIVE_PING;
	}
	return VPN_LIVE_NOTHING;
}

void vpn_liveness_pinged(struct vpn_liveness *l, uint64_t now_ms)
{
	if (!l->unanswered_since_ms)
		l->unanswered_since_ms = now_ms;
}

void vpn_liveness_reset(struct vpn_liveness *l)
{
	l->unanswered_since_ms = l->unreplied_since_ms = 0;
}
