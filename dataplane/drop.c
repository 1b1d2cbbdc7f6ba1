/* SPDX-License-Identifier: MIT */
/*
 * Names of the fast path's drop reasons. The table is indexed by the enum so
 * a new reason without a name fails the _Static_assert below.
 */
#include "dataplane/drop.h"

#include "internal/compiler.h"

static const char *const drop_names[] = {
	[SHM_DROP_TOO_SHORT] = "too_short",
	[SHM_DROP_NOT_SHORT] = "not_short",
	[SHM_DROP_UNKNOWN_CID] = "unknown_cid",
	[SHM_DROP_AUTH] = "auth",
	[SHM_DROP_REPLAY] = "replay",
	[SHM_DROP_EXPIRED_KEY] = "expired_key",
	[SHM_DROP_NO_APP] = "no_app",
	[SHM_DROP_APP_RING_FULL] = "app_ring_full",
	[SHM_DROP_EVENT_RING_FULL] = "event_ring_full",
	[SHM_DROP_TX_NO_SESSION] = "tx_no_session",
	[SHM_DROP_TX_SEQ_EXHAUSTED] = "tx_seq_exhausted",
	[SHM_DROP_TX_ERROR] = "tx_error",
	[SHM_DROP_OVERSIZE] = "oversize",
	[SHM_DROP_TX_NO_ROUTE] = "tx_no_route",
	[SHM_DROP_FWD_NO_SESSION] = "fwd_no_session",
	[SHM_DROP_HANDOFF_FULL] = "handoff_full",
	[SHM_DROP_TUN_NO_PEER] = "tun_no_peer",
	[SHM_DROP_TUN_PEER_DOWN] = "tun_peer_down",
	[SHM_DROP_TUN_SPOOF] = "tun_spoof",
	[SHM_DROP_TUN_BAD_PACKET] = "tun_bad_packet",
	[SHM_DROP_TUN_WRITE] = "tun_write",
};

_Static_assert(ARRAY_SIZE(drop_names) == SHM_DROP_COUNT, "every drop reason has a name");

const char *drop_name(enum shm_drop d)
{
	if ((unsigned)d >= SHM_DROP_COUNT || !drop_names[d])
		return "unknown";
	return drop_names[d];
}
