/* SPDX-License-Identifier: MIT */
/*
 * Consistent copies of a session slot for the fast path: the fields rx.c
 * and tx.c decide on, read under the slot seqlock (session_table.h). Keys
 * and replay seeds are copied separately and only when a worker keys a new
 * epoch, so the per-packet copy stays about one cache line.
 *
 * A slot that stays mid-write for SESSION_TABLE_READ_TRIES attempts reads
 * as FREE: the packet is dropped or punted, never processed with a torn key.
 */
#ifndef DRIFT_DATAPLANE_SLOT_VIEW_H
#define DRIFT_DATAPLANE_SLOT_VIEW_H

#include "dataplane/session_table.h"
#include "proto/replay.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct slot_view_epoch {
	uint32_t epoch_id;
	uint8_t flags;
	uint8_t tx_dir;
	uint16_t rx_cid, tx_cid;
	uint64_t rx_until_ms;
};

struct slot_view {
	uint32_t state, generation;
	int32_t app_channel;
	uint8_t peer_id[WIRE_PEER_ID_BYTES];
	struct net_addr addr;
	struct net_route route;
	uint32_t fwd_to, fwd_generation;
	struct slot_view_epoch ep[2];
};

static inline void slot_view_copy(struct slot_view *v, const struct shm_slot *s)
{
	v->state = s->state;
	v->generation = s->generation;
	v->app_channel = s->app_channel;
	memcpy(v->peer_id, s->peer_id, sizeof(v->peer_id));
	v->addr = s->addr;
	v->route = s->route;
	v->fwd_to = s->fwd_to;
	v->fwd_generation = s->fwd_generation;
	for (int e = 0; e < 2; e++) {
		v->ep[e].epoch_id = s->ep[e].epoch_id;
		v->ep[e].flags = s->ep[e].flags;
		v->ep[e].tx_dir = s->ep[e].tx_dir;
		v->ep[e].rx_cid = s->ep[e].rx_cid;
		v->ep[e].tx_cid = s->ep[e].tx_cid;
		v->ep[e].rx_until_ms = s->ep[e].rx_until_ms;
	}
}

/* Fills `v` from slot `s`. Returns false (v reads as FREE) if no consistent copy was had. */
static inline bool slot_view_read(struct shm_slot *s, struct slot_view *v)
{
	for (uint32_t tries = 0; tries < SESSION_TABLE_READ_TRIES; tries++) {
		uint32_t q = session_table_read_begin(s);

		slot_view_copy(v, s);
		if (!session_table_read_retry(s, q))
			return true;
	}
	v->state = SHM_SLOT_FREE;
	return false;
}

/*
 * Copies the key (and, if `seed` is not NULL, the replay seed) of the epoch
 * at position `pos`, if that position still holds `epoch_id`. Returns false
 * otherwise; the caller wipes `key` after use.
 */
static inline bool slot_view_read_key(struct shm_slot *s, uint32_t pos, uint32_t epoch_id,
				      uint8_t key[WIRE_KEY_BYTES], struct replay_window *seed)
{
	for (uint32_t tries = 0; tries < SESSION_TABLE_READ_TRIES; tries++) {
		uint32_t q = session_table_read_begin(s);
		bool is_same = s->ep[pos].epoch_id == epoch_id;

		memcpy(key, s->ep[pos].key, WIRE_KEY_BYTES);
		if (seed)
			*seed = s->ep[pos].replay_seed;
		if (!session_table_read_retry(s, q))
			return is_same;
	}
	return false;
}

#endif
