/* SPDX-License-Identifier: MIT */
/*
 * Receive stages of the fast path (rx.h), in pipeline order, then the
 * batch drivers.
 *
 * Order of checks (STYLE.md §4): length and form, CID lookup, slot
 * snapshot, replay pre-check, AEAD open, and only then anything that
 * changes state (replay commit, stats, delivery, events). A packet that
 * fails authentication under every candidate key moves nothing.
 */
#include "dataplane/rx.h"

#include "crypto/secret.h"
#include "dataplane/fwd.h"
#include "dataplane/handoff.h"
#include "dataplane/slot_view.h"
#include "dataplane/tun_io.h"
#include "internal/bytes.h"
#include "proto/header.h"
#include "proto/replay.h"

#include <string.h>

/* Largest short-header datagram whose plaintext fits a struct shm_app_msg. */
enum {
	RX_MAX_SHORT_BYTES = WIRE_SHORT_HDR_BYTES + WIRE_MAX_PAYLOAD_BYTES + WIRE_TAG_BYTES,
};

enum rx_verdict {
	RX_SKIP,      /* the candidate no longer holds this CID */
	RX_EXPIRED,   /* its epoch's rx grace is over */
	RX_REPLAY,    /* the window refused the seq */
	RX_AUTH_FAIL, /* the tag did not verify */
	RX_OK,
	RX_BUSY, /* a candidate slot is mid-write: try the packet again shortly */
};

struct rx_cand {
	uint32_t slot;
	uint8_t ep;
	struct slot_view v;
};

/* What a burst is processing: one packet, its parsed header, where it goes. */
struct rx_pkt {
	const struct port_pkt *pkt;
	uint16_t cid;
	uint32_t seq;
	/*
	 * driftd handed it back (reinject ring): it may go up again only as
	 * SHM_EV_PUNT_TRIED, which driftd gives straight to the engine, so a
	 * packet cannot bounce between the two processes.
	 */
	bool from_driftd;
	bool may_hold; /* false once the packet has waited WORKER_HOLD_MS */
	bool saw_busy; /* a candidate slot could not be read consistently */
};

static bool punt_as(struct worker *w, const struct port_pkt *pkt, uint16_t type)
{
	if (!worker_raise(w, type, 0, 0, &pkt->addr, pkt->data, pkt->len))
		return false;
	w->stats->punted++;
	return true;
}

static bool punt(struct worker *w, const struct port_pkt *pkt)
{
	return punt_as(w, pkt, SHM_EV_PUNT);
}

/* driftd is there to take a packet no installed key opens (SHM_EV_PUNT_TRIED). */
static bool can_punt(struct worker *w)
{
	return read_once(&w->hdr->driftd_pid) != 0;
}

/* ...or one the fast path cannot even look at: a long header, an unknown CID (SHM_EV_PUNT). */
static bool can_punt_unknown(struct worker *w, const struct rx_pkt *p)
{
	return !p->from_driftd && can_punt(w);
}

/* Stage 1: length and form. Returns false when the packet was dropped or punted. */
static bool check_form(struct worker *w, struct rx_pkt *p)
{
	const struct port_pkt *pkt = p->pkt;

	if (unlikely(pkt->len > WIRE_MAX_PACKET_BYTES)) {
		worker_drop(w, SHM_DROP_OVERSIZE);
		return false;
	}
	if (pkt->len < 1 || header_classify(pkt->data[0]) != HEADER_FORM_SHORT) {
		/* Long headers are driftd's: handshakes, control, long DATA. */
		if (!can_punt_unknown(w, p))
			worker_drop(w, SHM_DROP_NOT_SHORT);
		else if (!punt(w, pkt))
			worker_drop(w, SHM_DROP_EVENT_RING_FULL);
		return false;
	}
	if (unlikely(pkt->len < WIRE_SHORT_MIN_BYTES)) {
		worker_drop(w, SHM_DROP_TOO_SHORT);
		return false;
	}
	/* A plaintext that would not fit an app message is larger than any DRIFT DATA. */
	if (unlikely(pkt->len > RX_MAX_SHORT_BYTES)) {
		worker_drop(w, SHM_DROP_OVERSIZE);
		return false;
	}
	p->cid = load_be16(pkt->data + 1);
	p->seq = load_be32(pkt->data + 3);
	return true;
}

/* Stage 2a: the candidates the index lists for the CID that still carry it. */
static uint32_t collect(struct worker *w, struct rx_pkt *p, struct rx_cand *c, uint32_t *listed)
{
	uint32_t n = 0;

	*listed = 0;
	for (uint32_t i = cid_index_first(&w->cids, p->cid); i != CID_INDEX_END;
	     i = w->cids.entries[i].next) {
		struct cid_index_entry *e = &w->cids.entries[i];
		struct slot_view_epoch *ep;

		(*listed)++;
		if (n == RX_MAX_CANDIDATES)
			continue;
		c[n].slot = e->slot;
		c[n].ep = e->ep;
		if (!slot_view_read(shm_slot_at(w->hdr, e->slot), &c[n].v))
			p->saw_busy = true;
		ep = &c[n].v.ep[e->ep];
		/* Re-check against the live slot: the index may predate driftd's last write. */
		if (c[n].v.state == SHM_SLOT_ACTIVE && (ep->flags & SHM_EPOCH_RX) &&
		    ep->rx_cid == p->cid)
			n++;
	}
	return n;
}

/* Stage 2b: lookup, with one rebuild if driftd changed the table since the index was made. */
static uint32_t lookup(struct worker *w, struct rx_pkt *p, struct rx_cand *c)
{
	uint32_t listed, n = collect(w, p, c, &listed);

	if (!n && cid_index_is_stale(&w->cids, w->hdr)) {
		cid_index_rebuild(&w->cids, w->hdr);
		n = collect(w, p, c, &listed);
	}
	if (listed > 1)
		w->stats->cid_collisions++;
	/* Candidates whose address is the packet's source go first: the likely owner. */
	for (uint32_t i = 1, front = 0; i < n; i++) {
		if (!addr_equal(&c[i].v.addr, &p->pkt->addr))
			continue;
		while (front < i && addr_equal(&c[front].v.addr, &p->pkt->addr))
			front++;
		if (front < i) {
			struct rx_cand t = c[front];

			c[front] = c[i];
			c[i] = t;
		}
	}
	return n;
}

/* Stage 3: the replay window of an epoch, adopting a free position for a new epoch. */
static struct shm_window *window_for(struct worker *w, struct rx_cand *c)
{
	uint32_t id = c->v.ep[c->ep].epoch_id;
	uint32_t live0 = c->v.ep[0].epoch_id, live1 = c->v.ep[1].epoch_id;
	struct shm_window *win[2] = {shm_window_at(w->hdr, c->slot, 0),
				     shm_window_at(w->hdr, c->slot, 1)};
	uint32_t pos = c->ep;
	struct replay_window seed;
	uint8_t key[WIRE_KEY_BYTES];

	for (uint32_t i = 0; i < 2; i++)
		if (win[i]->epoch_id == id)
			return win[i];
	/* Never evict the window of the other live epoch (rekey grace keeps both). */
	if (win[pos]->epoch_id && (win[pos]->epoch_id == live0 || win[pos]->epoch_id == live1))
		pos ^= 1;
	if (!slot_view_read_key(shm_slot_at(w->hdr, c->slot), c->ep, id, key, &seed))
		return NULL;
	secret_wipe(key, sizeof(key));
	win[pos]->w = seed;
	win[pos]->epoch_id = id;
	w->stats->epoch_adopts++;
	return win[pos];
}

/* Stage 4: the worker's pre-keyed context for the candidate's epoch. */
static struct aead_key *key_for(struct worker *w, struct rx_cand *c)
{
	uint32_t id = c->v.ep[c->ep].epoch_id;
	uint32_t live[2] = {c->v.ep[0].epoch_id, c->v.ep[1].epoch_id};
	struct aead_key *k = worker_key_find(w, c->slot, id);
	uint8_t key[WIRE_KEY_BYTES];

	if (likely(k))
		return k;
	if (!slot_view_read_key(shm_slot_at(w->hdr, c->slot), c->ep, id, key, NULL))
		return NULL;
	k = worker_key_get(w, c->slot, id, key, live);
	secret_wipe(key, sizeof(key));
	return k;
}

/* Stage 5: replay pre-check, open, commit. `dst` receives the plaintext. */
static enum rx_verdict open_cand(struct worker *w, struct rx_pkt *p, struct rx_cand *c,
				 uint8_t *dst)
{
	struct slot_view_epoch *ep = &c->v.ep[c->ep];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	struct shm_window *win;
	struct aead_key *k;
	bool is_replay;

	if (ep->rx_until_ms != UINT64_MAX && w->now_ms > ep->rx_until_ms)
		return RX_EXPIRED;
	win = window_for(w, c);
	if (!win)
		return RX_SKIP;
	is_replay = !replay_check(&win->w, p->seq);
	/*
	 * A refused seq is a replay only if this key opens the packet: with 16-bit
	 * CIDs it may belong to another session, one driftd has not installed yet
	 * (a responder awaiting its first DATA). So while driftd can take a punt,
	 * a refused packet is still opened (into scratch) to tell the two apart.
	 */
	if (is_replay && !can_punt(w))
		return RX_REPLAY;
	k = key_for(w, c);
	if (!k)
		return RX_SKIP;
	/* We receive in the direction opposite to the one we send in (WIRE.md §7.1). */
	header_nonce(nonce, (uint8_t)(ep->tx_dir ^ 1), WIRE_TYPE_DATA, p->seq);
	if (!aead_open(k, nonce, p->pkt->data, WIRE_SHORT_HDR_BYTES,
		       p->pkt->data + WIRE_SHORT_HDR_BYTES, p->pkt->len - WIRE_SHORT_HDR_BYTES,
		       is_replay ? w->scratch : dst))
		return RX_AUTH_FAIL;
	if (is_replay)
		return RX_REPLAY;
	replay_commit(&win->w, p->seq);
	return RX_OK;
}

/* A reserved rx ring entry for the candidate's channel, or NULL with the reason. */
static struct shm_app_msg *reserve_msg(struct worker *w, const struct slot_view *v,
				       enum shm_drop *why)
{
	struct worker_app_rx *a;
	struct shm_app_header *h;
	struct spsc_ring *r;
	int32_t k = v->app_channel;

	if (k < 0 || k >= SHM_APP_CHANNELS || !w->channels ||
	    !(h = app_channel_live(&w->channels[k]))) {
		*why = SHM_DROP_NO_APP;
		return NULL;
	}
	a = &w->app_rx[k];
	r = shm_app_rx_ring(h, w->index);
	/* Reserve once per burst; a burst never needs more than PORT_BURST_MAX entries. */
	if (!a->reserved && !a->used)
		a->reserved = spsc_ring_reserve(r, PORT_BURST_MAX, &a->at);
	if (a->used == a->reserved) {
		*why = SHM_DROP_APP_RING_FULL;
		return NULL;
	}
	return shm_app_msg_at(r, a->at + a->used);
}

/* Stage 6: stats, the ring entry's header, and the new-source event. */
static void deliver(struct worker *w, struct rx_pkt *p, struct rx_cand *c, struct shm_app_msg *m,
		    enum shm_drop why)
{
	struct shm_slot_stats *ss = shm_slot_stats_at(w->hdr, w->index, c->slot);
	uint16_t len = (uint16_t)(p->pkt->len - WIRE_SHORT_MIN_BYTES);
	uint64_t *last = &w->new_source_ms[c->slot];

	ss->rx_packets++;
	ss->rx_bytes += p->pkt->len;
	ss->last_rx_mono_ms = w->now_ms;
	w->stats->rx_packets++;
	w->stats->rx_bytes += p->pkt->len;
	if (m) {
		m->slot = c->slot;
		m->generation = c->v.generation;
		m->len = len;
		m->kind = SHM_APP_DATA;
		memcpy(m->peer_id, c->v.peer_id, WIRE_PEER_ID_BYTES);
		w->app_rx[c->v.app_channel].used++;
	} else if (why != SHM_DROP_COUNT) { /* SHM_DROP_COUNT: forwarded, not dropped */
		ss->drops++;
		worker_drop(w, why);
	}
	/* Path validation is driftd's (WIRE.md §17); tell it, at a bounded rate. */
	if (!addr_equal(&p->pkt->addr, &c->v.addr) &&
	    (!*last || w->now_ms - *last >= WORKER_NEW_SOURCE_MS)) {
		*last = w->now_ms;
		worker_raise(w, SHM_EV_NEW_SOURCE, c->slot, c->v.generation, &p->pkt->addr, NULL,
			     p->pkt->len);
	}
}

/* No slot knows the CID: driftd may be mid-install (handshake race), else drop. */
static void unknown_cid(struct worker *w, struct rx_pkt *p)
{
	if (!can_punt_unknown(w, p))
		worker_drop(w, SHM_DROP_UNKNOWN_CID);
	else if (!punt(w, p->pkt))
		worker_drop(w, SHM_DROP_EVENT_RING_FULL);
}

/* Every stage for one packet. Returns false if the packet must be held and retried. */
static bool rx_one(struct worker *w, struct rx_pkt *p)
{
	struct rx_cand c[RX_MAX_CANDIDATES];
	bool saw[RX_BUSY + 1] = {false};
	uint32_t n, opens = 0;

	if (!check_form(w, p))
		return true;
	n = lookup(w, p, c);
	if (!n && p->saw_busy && p->may_hold)
		return false;
	if (!n) {
		unknown_cid(w, p);
		return true;
	}
	for (uint32_t i = 0; i < n; i++) {
		enum shm_drop why = SHM_DROP_NO_APP;
		struct shm_app_msg *m = NULL;
		uint8_t *dst = NULL;
		enum rx_verdict v;

		/* A bridged session's plaintext goes straight into a tx frame (fwd.h). */
		if (c[i].v.fwd_to) {
			dst = fwd_buffer(w);
			why = dst ? SHM_DROP_COUNT : SHM_DROP_TX_ERROR;
		} else if (c[i].v.app_channel == SHM_CHANNEL_TUN) {
			/* drift-vpn: plaintext is an IP packet for the TUN (tun_io.h). */
			dst = tun_rx_buffer(w);
			why = dst ? SHM_DROP_COUNT : SHM_DROP_APP_RING_FULL;
		} else if ((m = reserve_msg(w, &c[i].v, &why)) != NULL) {
			dst = m->data;
		}
		v = open_cand(w, p, &c[i], dst ? dst : w->scratch);
		opens += v >= RX_AUTH_FAIL;
		if (v == RX_OK) {
			w->stats->trial_opens += opens - 1;
			if (c[i].v.fwd_to && dst)
				fwd_commit(w, c[i].slot, &c[i].v,
					   (uint16_t)(p->pkt->len - WIRE_SHORT_MIN_BYTES));
			else if (c[i].v.app_channel == SHM_CHANNEL_TUN && dst)
				tun_rx_commit(w, c[i].slot,
					      (uint16_t)(p->pkt->len - WIRE_SHORT_MIN_BYTES));
			deliver(w, p, &c[i], m, why);
			return true;
		}
		saw[v] = true;
	}
	/* Nothing opened it, but a slot we could not read might have: hold, do not judge. */
	if (p->saw_busy && p->may_hold)
		return false;
	if (opens > 1)
		w->stats->trial_opens += opens - 1;
	/* No installed key opened it: it may be for a session driftd holds but has not installed. */
	if (!saw[RX_REPLAY] && saw[RX_AUTH_FAIL] && can_punt(w)) {
		if (!punt_as(w, p->pkt, SHM_EV_PUNT_TRIED))
			worker_drop(w, SHM_DROP_EVENT_RING_FULL);
		return true;
	}
	/* The most telling reason: a replay beats a failed tag beats an expired key. */
	worker_drop(w, saw[RX_REPLAY]	   ? SHM_DROP_REPLAY
		       : saw[RX_AUTH_FAIL] ? SHM_DROP_AUTH
		       : saw[RX_EXPIRED]   ? SHM_DROP_EXPIRED_KEY
					   : SHM_DROP_UNKNOWN_CID);
	return true;
}

/* Copies a packet into the worker's hold (room for one burst). */
static void hold(struct worker *w, const struct port_pkt *pkt, bool from_driftd)
{
	struct worker_held *h;

	if (pkt->len > WIRE_MAX_PACKET_BYTES) {
		worker_drop(w, SHM_DROP_OVERSIZE);
		return;
	}
	/* Cannot happen (the hold is empty when a burst starts); if it did, the slot is unknown. */
	if (w->held_n == PORT_BURST_MAX) {
		worker_drop(w, SHM_DROP_UNKNOWN_CID);
		return;
	}
	if (!w->held_n)
		w->held_since_ms = w->now_ms;
	h = &w->held[w->held_n++];
	h->len = pkt->len;
	h->from_driftd = from_driftd;
	h->from = pkt->addr;
	memcpy(h->data, pkt->data, pkt->len);
}

static void burst_begin(struct worker *w)
{
	memset(w->app_rx, 0, sizeof(w->app_rx));
	w->now_ms = worker_mono_ms();
}

/* One submit per touched ring, and a wake-up only for an application that sleeps. */
static void burst_end(struct worker *w)
{
	fwd_flush(w);
	if (w->tun)
		tun_rx_flush(w);
	if (w->handoff)
		w->stats->wakeups_sent += handoff_flush(w->handoff, w->index);
	for (uint32_t k = 0; k < SHM_APP_CHANNELS; k++) {
		struct shm_app_header *h;

		if (!w->app_rx[k].used)
			continue;
		h = w->channels[k].hdr;
		spsc_ring_submit(shm_app_rx_ring(h, w->index), w->app_rx[k].used);
		if (app_channel_wake_app(h))
			w->stats->wakeups_sent++;
	}
}

/* A short header whose CID another worker owns (multi-queue xsk): pass it on. */
static bool hand_off(struct worker *w, const struct port_pkt *pkt)
{
	uint32_t owner;

	if (!w->handoff || pkt->len < 3 || header_classify(pkt->data[0]) != HEADER_FORM_SHORT)
		return false;
	owner = handoff_owner(w->handoff, load_be16(pkt->data + 1));
	if (owner == w->index)
		return false;
	if (handoff_push(w->handoff, w->index, owner, pkt))
		w->stats->handed_off++;
	else
		worker_drop(w, SHM_DROP_HANDOFF_FULL);
	return true;
}

void rx_process_burst(struct worker *w, struct port_pkt *pkts, uint32_t n)
{
	bool is_holding = false;

	burst_begin(w);
	for (uint32_t i = 0; i < n; i++) {
		struct rx_pkt p = {.pkt = &pkts[i], .may_hold = true};

		if (hand_off(w, &pkts[i]))
			continue;
		/* After the first held packet the rest of the burst waits too: order. */
		if (is_holding || !rx_one(w, &p)) {
			is_holding = true;
			hold(w, &pkts[i], false);
		}
	}
	w->stats->rx_bursts++;
	burst_end(w);
}

/* Runs the packets waiting in ring r (reinject or hand-off) through the rx stages. */
static uint32_t drain_ring(struct worker *w, struct spsc_ring *r, bool from_driftd)
{
	uint32_t at, n = spsc_ring_peek(r, PORT_BURST_MAX, &at);
	bool is_holding = false;

	if (!n)
		return 0;
	burst_begin(w);
	for (uint32_t i = 0; i < n; i++) {
		struct shm_event *ev = spsc_ring_entry(r, at + i);
		struct port_pkt pkt = {.data = ev->data, .addr = ev->from};
		struct rx_pkt p = {.pkt = &pkt, .from_driftd = from_driftd, .may_hold = true};

		/* drift-vpn: DATA driftd opened before the session was installed. */
		if (from_driftd && ev->type == SHM_EV_TUN_WRITE) {
			tun_rx_from_driftd(w, ev);
			continue;
		}
		/* driftd's entry is not trusted more than the wire: clamp its length. */
		pkt.len = ev->len <= WIRE_MAX_PACKET_BYTES ? ev->len : WIRE_MAX_PACKET_BYTES + 1;
		if (is_holding || !rx_one(w, &p)) {
			is_holding = true;
			hold(w, &pkt, from_driftd);
		}
	}
	spsc_ring_release(r, n);
	burst_end(w);
	return n;
}

uint32_t rx_drain_reinject(struct worker *w)
{
	/*
	 * driftd sent these back because their CID is installed now. The CID may
	 * still be another session's (16-bit CIDs collide): one no installed key
	 * opens goes up as SHM_EV_PUNT_TRIED, to the engine, which may hold the
	 * responder key it belongs to (its first DATA).
	 */
	return drain_ring(w, w->reinject, true);
}

uint32_t rx_drain_handoff(struct worker *w)
{
	uint32_t done = 0;

	if (!w->handoff)
		return 0;
	for (uint32_t from = 0; from < w->handoff->workers; from++) {
		struct spsc_ring *r = w->handoff->ring[from][w->index];
		uint32_t n;

		if (r && w->held_n == 0 && (n = drain_ring(w, r, false)) != 0) {
			w->stats->handed_in += n;
			done += n;
		}
	}
	return done;
}

uint32_t rx_retry_held(struct worker *w)
{
	uint32_t i, n = w->held_n;
	bool may_hold;

	burst_begin(w);
	/* A slot mid-write for this long has a dead writer: stop waiting for it. */
	may_hold = w->now_ms - w->held_since_ms < WORKER_HOLD_MS;
	for (i = 0; i < n; i++) {
		struct worker_held *h = &w->held[i];
		struct port_pkt pkt = {.data = h->data, .len = h->len, .addr = h->from};
		struct rx_pkt p = {
			.pkt = &pkt, .from_driftd = h->from_driftd, .may_hold = may_hold};

		if (!rx_one(w, &p))
			break;
	}
	/* Whatever is still blocked moves to the front, in order. */
	memmove(w->held, w->held + i, (n - i) * sizeof(*w->held));
	w->held_n = n - i;
	burst_end(w);
	return i;
}
