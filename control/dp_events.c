/* SPDX-License-Identifier: MIT */
/*
 * Draining drift-dp's event rings (one per worker): packets the fast path
 * cannot handle and the few facts only driftd can act on.
 *
 *   SHM_EV_PUNT        long header, or a short header with a CID the
 *                      worker did not know: if the CID is installed now
 *                      (the worker's index was a moment old), hand it back
 *                      to the same worker's reinject ring, so the epoch's one
 *                      replay window sees it (if no installed key opens it,
 *                      it comes back as SHM_EV_PUNT_TRIED); otherwise the engine takes it
 *                      (handshakes, control packets, long DATA, the first
 *                      short DATA that confirms a responder's key).
 *   SHM_EV_PUNT_TRIED  a short header whose CID is installed but no installed key
 *                      opened it: a colliding session the engine has not handed
 *                      over yet (its first DATA); straight to the engine
 *   SHM_EV_SEND_LONG   an application payload for a session with no tx CID
 *   SHM_EV_REKEY_DUE   the epoch's seq passed the auto-rekey threshold
 *   SHM_EV_NEW_SOURCE  authenticated DATA from another address: path validation
 *   SHM_EV_TUN_WANT    drift-vpn: TUN traffic for a peer with no session: dial it now
 */
#include "control/driftd.h"

#include "internal/bytes.h"

#include <stddef.h>
#include <string.h>

enum {
	RETRY_MAX_AGE_MS = 100, /* how long a short header with a CID nobody knows waits */
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

	if (spsc_ring_reserve(r, 1, &at) != 1) {
		d->stats.reinject_full++; /* the worker is far behind */
		return;
	}
	memcpy(spsc_ring_entry(r, at), ev, sizeof(*ev));
	spsc_ring_submit(r, 1);
	d->stats.reinjected++;
}

/*
 * A short header whose CID the engine does not know yet: the peer switched
 * to a new key epoch (it answered our REKEY_REQUEST) and its DATA, taking
 * the dataplane's path, overtook its REKEY_ACK, which comes through our
 * socket. Keep it a moment and try again after the socket was read.
 */
static void stash(struct driftd *d, uint32_t w, const struct shm_event *ev, uint64_t now)
{
	struct driftd_retry *r;

	if (d->retry_count == DRIFTD_RETRY_MAX) {
		d->stats.retry_full++;
		return;
	}
	r = &d->retry[d->retry_count++];
	r->ev = *ev;
	r->worker = w;
	r->since_ms = now;
}

static bool is_short(const struct shm_event *ev)
{
	return ev->len >= WIRE_SHORT_MIN_BYTES && ev->data[0] >> 4 == WIRE_SHORT_VERSION;
}

/* Gives a punted packet to the engine; false when the engine did not know its CID. */
static bool to_engine(struct driftd *d, const struct shm_event *ev, uint64_t now)
{
	uint64_t unknown = engine_stats(d->engine)->drops[DROP_UNKNOWN_CID];

	engine_receive(d->engine, now, ev->data, ev->len, &ev->from);
	return engine_stats(d->engine)->drops[DROP_UNKNOWN_CID] == unknown;
}

static void on_punt(struct driftd *d, uint32_t w, const struct shm_event *ev, bool may_stash)
{
	uint64_t now = driftd_now_ms();

	if (is_short(ev) && installer_owns_cid(d, load_be16(ev->data + 1))) {
		reinject(d, w, ev);
		return;
	}
	if (!to_engine(d, ev, now) && may_stash && is_short(ev))
		stash(d, w, ev, now);
}

bool dp_events_from_socket(struct driftd *d, const uint8_t *buf, size_t len,
			   const struct net_addr *from)
{
	struct shm_event ev;
	uint16_t cid;

	/* With the udp port the steering program never sends shorts here. */
	if (len < WIRE_SHORT_MIN_BYTES || len > WIRE_MAX_PACKET_BYTES ||
	    buf[0] >> 4 != WIRE_SHORT_VERSION || strcmp(d->table.hdr->port_type, "xsk") != 0)
		return false;
	cid = load_be16(buf + 1);
	if (!installer_owns_cid(d, cid))
		return false;
	memset(&ev, 0, offsetof(struct shm_event, data));
	ev.type = SHM_EV_PUNT;
	ev.len = (uint16_t)len;
	ev.from = *from;
	memcpy(ev.data, buf, len);
	/* The CID's owner worker: the one whose window sees that epoch (handoff.h). */
	reinject(d, cid % d->table.hdr->worker_count, &ev);
	d->stats.socket_shorts++;
	return true;
}

/* Runs the stashed packets again (after the socket had its turn); drops the old ones. */
static void retry_stashed(struct driftd *d)
{
	uint64_t now = driftd_now_ms();
	uint32_t n = d->retry_count, kept = 0;

	d->retry_count = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct driftd_retry *r = &d->retry[i];
		bool is_done;

		if (now - r->since_ms > RETRY_MAX_AGE_MS) {
			d->stats.retry_expired++;
			continue;
		}
		if (installer_owns_cid(d, load_be16(r->ev.data + 1))) {
			reinject(d, r->worker, &r->ev);
			d->stats.retried++;
			continue;
		}
		is_done = to_engine(d, &r->ev, now);
		if (is_done) {
			d->stats.retried++;
			continue;
		}
		d->retry[kept++] = *r; /* still unknown: keep waiting */
	}
	d->retry_count = kept;
	installer_sync_dirty(d);
}

static void on_event(struct driftd *d, uint32_t w, const struct shm_event *ev)
{
	struct driftd_peer *p;
	uint64_t now = driftd_now_ms();

	if (ev->len > WIRE_MAX_PACKET_BYTES)
		return;
	switch (ev->type) {
	case SHM_EV_PUNT:
		d->stats.punts++;
		on_punt(d, w, ev, true);
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
	case SHM_EV_TUN_WANT:
		if (ev->len == WIRE_KEY_BYTES)
			vpn_on_want(d, ev->data, now);
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

	if (d->retry_count)
		retry_stashed(d);
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
