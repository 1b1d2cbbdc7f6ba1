/* SPDX-License-Identifier: MIT */
/*
 * Bridge forwarding (fwd.h): stage while receiving, seal and send at the
 * end of the burst. The decision to forward is driftd's (slot fwd_to); the
 * checks here are only that the target still is the session driftd named
 * (generation), holds a tx key, and has a route when the port needs one.
 */
#include "dataplane/fwd.h"

#include "dataplane/tx.h"
#include "proto/header.h"

#include <string.h>

struct fwd_group {
	uint32_t slot, count, next_seq;
	bool is_ok;
	struct aead_key *key;
	struct slot_view v;
};

uint8_t *fwd_buffer(struct worker *w)
{
	struct worker_fwd *f;

	if (w->fwd_n == PORT_BURST_MAX)
		return NULL;
	f = &w->fwd[w->fwd_n];
	if (!w->has_fwd_spare) {
		if (!w->tx_cache_n)
			w->tx_cache_n = port_tx_alloc(w->port, w->tx_cache, PORT_BURST_MAX);
		if (!w->tx_cache_n)
			return NULL;
		f->frame = w->tx_cache[--w->tx_cache_n];
		w->has_fwd_spare = true;
	}
	return f->frame.data + WIRE_SHORT_HDR_BYTES;
}

void fwd_commit(struct worker *w, uint32_t from_slot, const struct slot_view *v, uint16_t len)
{
	struct worker_fwd *f = &w->fwd[w->fwd_n++];

	f->from_slot = from_slot;
	f->to_slot = v->fwd_to - 1;
	f->to_generation = v->fwd_generation;
	f->len = len;
	w->has_fwd_spare = false;
}

static void give_back(struct worker *w, const struct port_pkt *frame)
{
	/* The cache has room: every frame here was taken from it during this burst. */
	if (w->tx_cache_n < PORT_BURST_MAX)
		w->tx_cache[w->tx_cache_n++] = *frame;
}

/* The burst's group for a target slot; its view is read once per burst. */
static struct fwd_group *group_of(struct worker *w, struct fwd_group *g, uint32_t *n,
				  const struct worker_fwd *f)
{
	struct fwd_group *x;

	for (uint32_t i = 0; i < *n; i++)
		if (g[i].slot == f->to_slot)
			return &g[i];
	x = &g[(*n)++];
	memset(x, 0, sizeof(*x));
	x->slot = f->to_slot;
	if (f->to_slot >= w->hdr->slot_count)
		return x;
	x->is_ok = slot_view_read(shm_slot_at(w->hdr, f->to_slot), &x->v) &&
		   x->v.state == SHM_SLOT_ACTIVE && x->v.generation == f->to_generation &&
		   (x->v.ep[0].flags & SHM_EPOCH_TX) &&
		   (!w->port->ops->needs_route || (x->v.route.flags & NET_ROUTE_VALID));
	return x;
}

/* Header, nonce and an in-place seal; false when the target's seq space is used up. */
static bool seal(struct worker *w, struct fwd_group *g, struct worker_fwd *f)
{
	struct short_header h = {.cid = g->v.ep[0].tx_cid, .seq = g->next_seq++};
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];
	uint8_t *p = f->frame.data;

	if (h.seq >= WIRE_SEQ_SEND_CEILING || h.seq == 0) {
		worker_drop(w, SHM_DROP_TX_SEQ_EXHAUSTED);
		return false;
	}
	tx_note_rekey(w, g->slot, &g->v, h.seq);
	header_short_encode(p, &h);
	header_nonce(nonce, g->v.ep[0].tx_dir, WIRE_TYPE_DATA, h.seq);
	if (aead_seal(g->key, nonce, p, WIRE_SHORT_HDR_BYTES, p + WIRE_SHORT_HDR_BYTES, f->len,
		      p + WIRE_SHORT_HDR_BYTES)) {
		worker_drop(w, SHM_DROP_TX_ERROR);
		return false;
	}
	f->frame.len = (uint16_t)(WIRE_SHORT_MIN_BYTES + f->len);
	f->frame.addr = g->v.addr;
	f->frame.route = &g->v.route;
	return true;
}

static void count(struct worker *w, const struct worker_fwd *f)
{
	struct shm_slot_stats *from = shm_slot_stats_at(w->hdr, w->index, f->from_slot);
	struct shm_slot_stats *to = shm_slot_stats_at(w->hdr, w->index, f->to_slot);

	from->fwd_packets++;
	from->fwd_bytes += f->frame.len;
	to->tx_packets++;
	to->tx_bytes += f->frame.len;
	w->stats->forwarded++;
	w->stats->tx_packets++;
	w->stats->tx_bytes += f->frame.len;
}

void fwd_flush(struct worker *w)
{
	struct fwd_group groups[PORT_BURST_MAX];
	struct fwd_group *of[PORT_BURST_MAX];
	struct port_pkt out[PORT_BURST_MAX];
	uint32_t n_groups = 0, n_out = 0, sent;

	if (!w->fwd_n)
		return;
	for (uint32_t i = 0; i < w->fwd_n; i++) {
		of[i] = group_of(w, groups, &n_groups, &w->fwd[i]);
		of[i]->count++;
	}
	for (uint32_t i = 0; i < n_groups; i++) {
		struct fwd_group *g = &groups[i];

		g->is_ok = g->is_ok && tx_take_seqs(w, g->slot, &g->v, g->count, &g->next_seq);
		if (g->is_ok)
			g->key = tx_key(w, g->slot, &g->v);
		g->is_ok = g->is_ok && g->key;
	}
	for (uint32_t i = 0; i < w->fwd_n; i++) {
		struct worker_fwd *f = &w->fwd[i];

		if (!of[i]->is_ok) {
			worker_drop(w, SHM_DROP_FWD_NO_SESSION);
			give_back(w, &f->frame);
		} else if (!seal(w, of[i], f)) {
			give_back(w, &f->frame);
		} else {
			count(w, f);
			out[n_out++] = f->frame;
		}
	}
	if (w->has_fwd_spare) {
		give_back(w, &w->fwd[w->fwd_n].frame);
		w->has_fwd_spare = false;
	}
	w->fwd_n = 0;
	if (!n_out)
		return;
	sent = port_tx_burst(w->port, out, n_out);
	if (sent < n_out)
		w->stats->drops[SHM_DROP_TX_ERROR] += n_out - sent;
	w->stats->tx_bursts++;
}
