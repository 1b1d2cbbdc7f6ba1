/* SPDX-License-Identifier: MIT */
/*
 * Draining drift-dp's event rings (one per worker): packets the fast path
 * cannot handle and the few facts only driftd can act on.
 *
 *   SHM_EV_PUNT        long header, or a short header with a CID the
 *                      worker did not know: if the CID is installed now
 *                      (the worker's index was a moment old), hand it back
 *                      to the same worker's reinject ring, so the epoch's one
 *                      replay window sees it; otherwise the engine takes it
 *                      (handshakes, control packets, long DATA, the first
 *                      short DATA that confirms a responder's key).
 *   SHM_EV_PUNT_TRIED  a short header whose CID is installed but no installed key
 *                      opened it: a colliding session the engine has not handed
 *                      over yet (its first DATA); straight to the engine
 *   SHM_EV_SEND_LONG   an application payload for a session with no tx CID
 *   SHM_EV_REKEY_DUE   the epoch's seq passed the auto-rekey threshold
 *   SHM_EV_NEW_SOURCE  authenticated DATA from another address: path validation
 */
#include "control/driftd.h"

#include "internal/bytes.h"

#include <string.h>

enum {
	DRAIN_BURST = 64,
	DRAIN_MAX_PER_CALL = 4096, /* bounded work per loop turn: the socket gets its turn too */
};

static struct driftd_peer *peer_of_event(struct driftd *d, const struct shm_event *ev)
{
	struct driftd_peer *p;

	if (ev->slot >= d->table.hdr->slot_count)
		return NULL;
	p = d->slot_peer[ev->slot];
	if (!p || p->generation != ev->generation) {
		d->stats.stale_events++;
		return NULL;
	}
	return p;
}

static void reinject(struct driftd *d, uint32_t w, const struct shm_event *ev)
{
	struct spsc_ring *r = shm_reinject_ring_at(d->table.hdr, w);
	uint32_t at;

	if (spsc_ring_reserve(r, 1, &at) != 1)
		return; /* the worker is far behind; counted as a drop by the peer's loss */
	memcpy(spsc_ring_entry(r, at), ev, sizeof(*ev));
	spsc_ring_submit(r, 1);
	d->stats.reinjected++;
}

static void on_punt(struct driftd *d, uint32_t w, const struct shm_event *ev)
{
	uint64_t now = driftd_now_ms();

	d->stats.punts++;
	if (ev->len >= WIRE_SHORT_MIN_BYTES && ev->data[0] >> 4 == WIRE_SHORT_VERSION &&
	    installer_owns_cid(d, load_be16(ev->data + 1))) {
		reinject(d, w, ev);
		return;
	}
	engine_receive(d->engine, now, ev->data, ev->len, &ev->from);
}

static void on_event(struct driftd *d, uint32_t w, const struct shm_event *ev)
{
	struct driftd_peer *p;
	uint64_t now = driftd_now_ms();

	if (ev->len > WIRE_MAX_PACKET_BYTES)
		return;
	switch (ev->type) {
	case SHM_EV_PUNT:
		on_punt(d, w, ev);
		break;
	case SHM_EV_PUNT_TRIED:
		/* The worker tried every installed key; only the engine's others are left. */
		d->stats.punts++;
		engine_receive(d->engine, now, ev->data, ev->len, &ev->from);
		break;
	case SHM_EV_SEND_LONG:
		if ((p = peer_of_event(d, ev))) {
			d->stats.send_long++;
			engine_send_data(d->engine, now, p->id, ev->data, ev->len, 0, 0);
		}
		break;
	case SHM_EV_REKEY_DUE:
		if ((p = peer_of_event(d, ev))) {
			d->stats.rekey_due++;
			engine_rekey(d->engine, now, p->id);
		}
		break;
	case SHM_EV_NEW_SOURCE:
		if ((p = peer_of_event(d, ev))) {
			d->stats.new_source++;
			engine_note_new_source(d->engine, now, p->id, &ev->from, ev->len);
		}
		break;
	default:
		break;
	}
}

void dp_events_drain(struct driftd *d)
{
	struct shm_table_header *h = d->table.hdr;
	uint32_t done = 0;

	for (uint32_t w = 0; w < h->worker_count; w++) {
		struct spsc_ring *r = shm_event_ring_at(h, w);
		uint32_t n, at;

		while (done < DRAIN_MAX_PER_CALL && (n = spsc_ring_peek(r, DRAIN_BURST, &at))) {
			for (uint32_t i = 0; i < n; i++)
				on_event(d, w, spsc_ring_entry(r, at + i));
			spsc_ring_release(r, n);
			done += n;
			installer_sync_dirty(d);
		}
	}
}
