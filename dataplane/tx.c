/* SPDX-License-Identifier: MIT */
/*
 * Transmit stages of the fast path (tx.h), in pipeline order, then the
 * batch driver.
 *
 * A burst is decided before anything is done: gather and classify every
 * message with no side effect, get frames for the ones to send, cut the
 * burst where frames ran out, and only then count drops, raise events,
 * take sequence numbers and seal. Messages past the cut stay in the ring
 * untouched, so nothing is counted twice or lost.
 */
#include "dataplane/tx.h"

#include "crypto/secret.h"
#include "dataplane/slot_view.h"
#include "dataplane/tun_io.h"
#include "internal/bytes.h"
#include "proto/header.h"

#include <string.h>

enum tx_verdict {
	TX_SEND,
	TX_SEND_LONG, /* active session without a tx CID: driftd sends it long */
	TX_NO_SESSION,
	TX_OVERSIZE,
	TX_BUSY,     /* driftd is writing the slot: the message waits in its ring */
	TX_NO_ROUTE, /* the port frames packets itself and driftd has not resolved the next hop */
};

struct tx_group {
	uint32_t slot;
	uint32_t count; /* messages of this burst to seal for the slot */
	uint32_t next_seq;
	bool has_seqs;
	bool is_busy; /* no consistent snapshot could be had */
	struct slot_view v;
};

struct tx_item {
	struct shm_app_msg *m;
	uint8_t channel;
	uint8_t verdict; /* enum tx_verdict */
	uint8_t group;	 /* index into the burst's groups */
	uint16_t len;	 /* m->len read once: the app's memory may change under us */
};

struct tx_burst {
	struct tx_item items[PORT_BURST_MAX];
	struct tx_group groups[PORT_BURST_MAX];
	struct port_pkt frames[PORT_BURST_MAX];
	uint32_t n_items, n_groups, n_frames, used_frames;
	/* [SHM_APP_CHANNELS] is the worker's TUN queue (tun_io.h), read like one more channel */
	uint32_t at[SHM_APP_CHANNELS + 1], taken[SHM_APP_CHANNELS + 1];
};

/* Stage 1: peek up to one burst of messages, channel by channel. */
static void gather(struct worker *w, struct tx_burst *b)
{
	for (uint32_t k = 0; k < SHM_APP_CHANNELS && w->channels; k++) {
		struct shm_app_header *h = app_channel_live(&w->channels[k]);
		struct spsc_ring *r;
		uint32_t n;

		if (!h || b->n_items == PORT_BURST_MAX)
			continue;
		r = shm_app_tx_ring(h, w->index);
		n = spsc_ring_peek(r, PORT_BURST_MAX - b->n_items, &b->at[k]);
		for (uint32_t i = 0; i < n; i++) {
			struct tx_item *it = &b->items[b->n_items++];

			it->m = shm_app_msg_at(r, b->at[k] + i);
			it->channel = (uint8_t)k;
			it->group = 0;
		}
	}
	if (w->tun && b->n_items < PORT_BURST_MAX) {
		struct shm_app_msg *ms[PORT_BURST_MAX];
		uint32_t n = tun_tx_peek(w->tun, PORT_BURST_MAX - b->n_items, ms);

		for (uint32_t i = 0; i < n; i++) {
			struct tx_item *it = &b->items[b->n_items++];

			it->m = ms[i];
			it->channel = SHM_APP_CHANNELS;
			it->group = 0;
		}
	}
}

/* The burst's group for a slot, snapshotting the slot the first time it is seen. */
static uint32_t group_of(struct worker *w, struct tx_burst *b, uint32_t slot)
{
	struct tx_group *g;

	for (uint32_t i = 0; i < b->n_groups; i++)
		if (b->groups[i].slot == slot)
			return i;
	g = &b->groups[b->n_groups];
	memset(g, 0, sizeof(*g));
	g->slot = slot;
	g->is_busy = !slot_view_read(shm_slot_at(w->hdr, slot), &g->v);
	return b->n_groups++;
}

/* Stage 2: what to do with each message, without doing it yet. */
static void classify(struct worker *w, struct tx_burst *b)
{
	for (uint32_t i = 0; i < b->n_items; i++) {
		struct tx_item *it = &b->items[i];
		const struct shm_app_msg *m = it->m;
		struct tx_group *g;

		it->verdict = TX_NO_SESSION;
		uint32_t slot = *(const volatile uint32_t *)&m->slot; /* one read: app memory */

		it->len = m->len; /* checked and used from our copy only */
		if (m->kind != SHM_APP_DATA || slot >= w->hdr->slot_count)
			continue;
		if (it->len > WIRE_MAX_PAYLOAD_BYTES) {
			it->verdict = TX_OVERSIZE;
			continue;
		}
		it->group = (uint8_t)group_of(w, b, slot);
		g = &b->groups[it->group];
		if (g->is_busy) {
			it->verdict = TX_BUSY;
			continue;
		}
		/* A stale generation means the app writes to a slot reused for another peer. */
		if (g->v.state != SHM_SLOT_ACTIVE || g->v.generation != m->generation)
			continue;
		it->verdict = (g->v.ep[0].flags & SHM_EPOCH_TX) ? TX_SEND : TX_SEND_LONG;
		if (it->verdict == TX_SEND && w->port->ops->needs_route &&
		    !(g->v.route.flags & NET_ROUTE_VALID))
			it->verdict = TX_NO_ROUTE;
	}
}

/* Stage 3: frames for the sends, from the worker's cache first; cuts the burst to fit. */
static void get_frames(struct worker *w, struct tx_burst *b)
{
	uint32_t need = 0, sends = 0, i;

	for (i = 0; i < b->n_items; i++)
		need += b->items[i].verdict == TX_SEND;
	while (b->n_frames < need && w->tx_cache_n)
		b->frames[b->n_frames++] = w->tx_cache[--w->tx_cache_n];
	if (b->n_frames < need)
		b->n_frames += port_tx_alloc(w->port, b->frames + b->n_frames, need - b->n_frames);
	/* Cut before the first send without a frame or slot snapshot; the rest waits in its ring. */
	for (i = 0; i < b->n_items; i++) {
		if (b->items[i].verdict == TX_BUSY)
			break;
		if (b->items[i].verdict == TX_SEND && sends++ == b->n_frames)
			break;
	}
	/* Messages wait for frames the port has not got back yet: keep the worker awake. */
	w->is_tx_starved = i == 0 && b->n_items > 0;
	b->n_items = i;
	for (i = 0; i < b->n_items; i++) {
		b->taken[b->items[i].channel]++;
		if (b->items[i].verdict == TX_SEND)
			b->groups[b->items[i].group].count++;
	}
}

bool tx_take_seqs(struct worker *w, uint32_t slot, struct slot_view *v, uint32_t count,
		  uint32_t *first)
{
	struct shm_slot *s = shm_slot_at(w->hdr, slot);
	uint32_t generation = v->generation;

	for (int attempt = 0; attempt < 2; attempt++) {
		/* acq_rel: a new epoch seen here makes driftd's slot write visible to the re-read. */
		uint64_t word = load_acquire(&s->tx_word);

		/*
		 * Add only below the seq ceiling (WIRE.md §13): an add past it would
		 * keep counting and, 2^31 adds later, wrap the low half under the
		 * same key. A compare-exchange keeps the word where it stops.
		 */
		while ((uint32_t)word < WIRE_SEQ_SEND_CEILING &&
		       !atomic_compare_exchange_weak_explicit(&s->tx_word, &word, word + count,
							      memory_order_acq_rel,
							      memory_order_acquire))
			;

		/* The seqs are ours only if they belong to the epoch we will seal with. */
		if ((uint32_t)(word >> 32) == v->ep[0].epoch_id) {
			*first = (uint32_t)word;
			return true;
		}
		/* driftd installed a new epoch meanwhile: seal with that one instead. */
		slot_view_read(s, v);
		if (v->state != SHM_SLOT_ACTIVE || v->generation != generation ||
		    !(v->ep[0].flags & SHM_EPOCH_TX))
			return false;
	}
	return false;
}

/* One fetch_add for a group's seqs; false if the slot changed epoch under us twice. */
static bool take_seqs(struct worker *w, struct tx_group *g)
{
	g->has_seqs = tx_take_seqs(w, g->slot, &g->v, g->count, &g->next_seq);
	return g->has_seqs;
}

void tx_note_rekey(struct worker *w, uint32_t slot, const struct slot_view *v, uint32_t seq)
{
	struct shm_slot *s = shm_slot_at(w->hdr, slot);

	if (seq < WIRE_AUTO_REKEY_THRESHOLD || read_once(&s->rekey_requested))
		return;
	/* Several workers may get here; only the one that moved it from 0 raises the event. */
	if (fetch_add_relaxed(&s->rekey_requested, 1) == 0)
		worker_raise(w, SHM_EV_REKEY_DUE, slot, v->generation, &v->addr, NULL, 0);
}

struct aead_key *tx_key(struct worker *w, uint32_t slot, const struct slot_view *v)
{
	uint32_t live[2] = {v->ep[0].epoch_id, v->ep[1].epoch_id};
	struct aead_key *k = worker_key_find(w, slot, live[0]);
	uint8_t key[WIRE_KEY_BYTES];

	if (likely(k))
		return k;
	if (!slot_view_read_key(shm_slot_at(w->hdr, slot), 0, live[0], key, NULL))
		return NULL;
	k = worker_key_get(w, slot, live[0], key, live);
	secret_wipe(key, sizeof(key));
	return k;
}

/* Stage 4: header, nonce, seal into the next frame. */
static enum shm_drop seal_one(struct worker *w, struct tx_burst *b, struct tx_group *g,
			      const struct tx_item *it)
{
	struct slot_view_epoch *ep = &g->v.ep[0];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	struct short_header h = {.cid = ep->tx_cid};
	struct port_pkt *f;
	struct aead_key *k;

	if (!g->has_seqs && !take_seqs(w, g))
		return SHM_DROP_TX_NO_SESSION;
	h.seq = g->next_seq++;
	if (h.seq >= WIRE_SEQ_SEND_CEILING || h.seq == 0)
		return SHM_DROP_TX_SEQ_EXHAUSTED;
	tx_note_rekey(w, g->slot, &g->v, h.seq);
	k = tx_key(w, g->slot, &g->v);
	if (!k)
		return SHM_DROP_TX_NO_SESSION;
	f = &b->frames[b->used_frames];
	header_short_encode(f->data, &h);
	header_nonce(nonce, ep->tx_dir, WIRE_TYPE_DATA, h.seq);
	/* AAD = the 7 header bytes exactly as sent (WIRE.md §6.1). */
	if (aead_seal(k, nonce, f->data, WIRE_SHORT_HDR_BYTES, it->m->data, it->len,
		      f->data + WIRE_SHORT_HDR_BYTES))
		return SHM_DROP_TX_ERROR;
	f->len = (uint16_t)(WIRE_SHORT_MIN_BYTES + it->len);
	f->addr = g->v.addr;
	f->route = &g->v.route;
	b->used_frames++;
	return SHM_DROP_COUNT;
}

static void count_sent(struct worker *w, uint32_t slot, uint16_t len)
{
	struct shm_slot_stats *ss = shm_slot_stats_at(w->hdr, w->index, slot);

	ss->tx_packets++;
	ss->tx_bytes += len;
	w->stats->tx_packets++;
	w->stats->tx_bytes += len;
}

/* Stage 5: act on every message before the cut. */
static void act(struct worker *w, struct tx_burst *b)
{
	for (uint32_t i = 0; i < b->n_items; i++) {
		struct tx_item *it = &b->items[i];
		struct tx_group *g = &b->groups[it->group];
		enum shm_drop why;

		switch (it->verdict) {
		case TX_SEND:
			why = seal_one(w, b, g, it);
			if (why == SHM_DROP_COUNT)
				count_sent(w, g->slot, b->frames[b->used_frames - 1].len);
			else
				worker_drop(w, why);
			break;
		case TX_SEND_LONG:
			worker_raise(w, SHM_EV_SEND_LONG, g->slot, g->v.generation, &g->v.addr,
				     it->m->data, it->len);
			break;
		case TX_OVERSIZE:
			worker_drop(w, SHM_DROP_OVERSIZE);
			break;
		case TX_NO_ROUTE:
			worker_drop(w, SHM_DROP_TX_NO_ROUTE);
			break;
		default:
			worker_drop(w, SHM_DROP_TX_NO_SESSION);
			break;
		}
	}
}

/* Stage 6: one port burst, frames left over back to the cache, rings released. */
static void flush(struct worker *w, struct tx_burst *b)
{
	if (b->used_frames) {
		uint32_t sent = port_tx_burst(w->port, b->frames, b->used_frames);

		if (sent < b->used_frames)
			w->stats->drops[SHM_DROP_TX_ERROR] += b->used_frames - sent;
		w->stats->tx_bursts++;
	}
	for (uint32_t i = b->used_frames; i < b->n_frames; i++)
		w->tx_cache[w->tx_cache_n++] = b->frames[i];
	for (uint32_t k = 0; k < SHM_APP_CHANNELS; k++)
		if (b->taken[k])
			spsc_ring_release(shm_app_tx_ring(w->channels[k].hdr, w->index),
					  b->taken[k]);
	if (b->taken[SHM_APP_CHANNELS])
		tun_tx_release(w->tun, b->taken[SHM_APP_CHANNELS]);
}

uint32_t tx_process_burst(struct worker *w)
{
	struct tx_burst b;

	b.n_items = b.n_groups = b.n_frames = b.used_frames = 0;
	w->is_tx_starved = false;
	memset(b.taken, 0, sizeof(b.taken));
	gather(w, &b);
	if (!b.n_items)
		return 0;
	classify(w, &b);
	get_frames(w, &b);
	act(w, &b);
	flush(w, &b);
	return b.n_items;
}
