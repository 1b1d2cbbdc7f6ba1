/* SPDX-License-Identifier: MIT */
/*
 * The installer: the only writer of session slots in drift-dp's table.
 * After every engine call, the peers the engine reported on (established,
 * rekeyed, migrated, closed) are "dirty"; installer_sync_dirty() copies
 * each one's current and previous key epochs into its slot under the
 * slot's seqlock, and binds the engine's tx counter to the slot's tx word
 * so driftd's control packets and drift-dp's DATA never reuse a seq.
 *
 * Epoch ids: a key is recognised by a BLAKE2b fingerprint, so an epoch
 * keeps its id (and the dataplane its replay window) when it moves from
 * current to previous. It also owns the two restart paths: re-attaching
 * to a table that outlived driftd, and re-installing every session into a
 * table a restarted drift-dp created (seeding each replay window from the
 * old table, still mapped, so no packet seen before can be replayed).
 */
#include "control/driftd.h"

#include "crypto/blake2b.h"
#include "crypto/rng.h"
#include "crypto/secret.h"
#include "crypto/siphash.h"
#include "internal/atomics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	GRACE_MS = 2000, /* REKEY_GRACE_MS of the engine (WIRE.md §14) */
};

static uint32_t bucket_of(const struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	uint8_t h[SIPHASH_OUT_BYTES];

	/* Keyed: peer ids are chosen by whoever makes a key. */
	siphash13_128(h, d->bucket_key, id, WIRE_PEER_ID_BYTES);
	return (h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16) & (DRIFTD_PEER_BUCKETS - 1);
}

static void free_list_reset(struct driftd *d)
{
	uint32_t n = d->table.hdr->slot_count;

	d->free_count = 0;
	/* Pushed in reverse so slot 0 is handed out first. */
	for (uint32_t i = n; i-- > 0;)
		if (shm_slot_at(d->table.hdr, i)->state == SHM_SLOT_FREE)
			d->free_slots[d->free_count++] = (int32_t)i;
}

int installer_init(struct driftd *d)
{
	d->buckets = calloc(DRIFTD_PEER_BUCKETS, sizeof(*d->buckets));
	d->free_slots = calloc(d->table.hdr->slot_count, sizeof(*d->free_slots));
	d->slot_peer = calloc(d->table.hdr->slot_count, sizeof(*d->slot_peer));
	d->retry = calloc(DRIFTD_RETRY_MAX, sizeof(*d->retry));
	if (!d->buckets || !d->free_slots || !d->slot_peer || !d->retry)
		return -ENOMEM;
	rng_bytes(d->bucket_key, sizeof(d->bucket_key));
	d->next_epoch_id = read_once(&d->table.hdr->epoch_id_high) + 1;
	d->next_generation = read_once(&d->table.hdr->generation_high);
	free_list_reset(d);
	return 0;
}

void installer_fini(struct driftd *d)
{
	struct driftd_peer *p, *next;

	for (uint32_t b = 0; d->buckets && b < DRIFTD_PEER_BUCKETS; b++)
		for (p = d->buckets[b]; p; p = next) {
			next = p->hash_next;
			secret_wipe(p, sizeof(*p));
			free(p);
		}
	free(d->buckets);
	free(d->free_slots);
	free(d->slot_peer);
	free(d->retry);
	d->retry = NULL;
	d->slot_peer = NULL;
	d->buckets = NULL;
	d->free_slots = NULL;
}

struct driftd_peer *installer_peer(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES],
				   bool create)
{
	uint32_t b = bucket_of(d, id);
	struct driftd_peer *p;

	for (p = d->buckets[b]; p; p = p->hash_next)
		if (memcmp(p->id, id, WIRE_PEER_ID_BYTES) == 0)
			return p;
	if (!create)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->id, id, WIRE_PEER_ID_BYTES);
	p->slot = -1;
	p->channel = d->listen_channel;
	p->hash_next = d->buckets[b];
	d->buckets[b] = p;
	d->peer_count++;
	return p;
}

void installer_mark_dirty(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	struct driftd_peer *p = installer_peer(d, id, true);

	if (p && !p->is_dirty) {
		p->is_dirty = true;
		p->dirty_next = d->dirty;
		d->dirty = p;
	}
}

static void key_fp(uint8_t out[DRIFTD_KEY_FP_BYTES], const uint8_t key[WIRE_KEY_BYTES])
{
	blake2b_hash(out, DRIFTD_KEY_FP_BYTES, key, WIRE_KEY_BYTES);
}

/* The id of the epoch with this key: the one it had in the slot, or a new one. */
static uint32_t epoch_id_for(struct driftd *d, const struct driftd_peer *p,
			     const uint8_t fp[DRIFTD_KEY_FP_BYTES])
{
	for (int i = 0; i < 2; i++)
		if (p->epoch_id[i] && secret_equal(fp, p->key_fp[i], DRIFTD_KEY_FP_BYTES))
			return p->epoch_id[i];
	if (d->next_epoch_id == 0)
		d->next_epoch_id = 1;
	if (d->next_epoch_id > read_once(&d->table.hdr->epoch_id_high))
		store_release(&d->table.hdr->epoch_id_high, d->next_epoch_id);
	return d->next_epoch_id++;
}

static void fill_epoch(struct shm_epoch *out, const struct engine_epoch_export *k, uint32_t id,
		       bool is_cur, uint64_t now_ms)
{
	memset(out, 0, sizeof(*out));
	if (!k->is_set)
		return;
	out->epoch_id = id;
	out->tx_dir = k->tx_dir;
	out->rx_cid = k->rx_cid;
	out->tx_cid = k->tx_cid;
	memcpy(out->key, k->key, WIRE_KEY_BYTES);
	out->replay_seed = k->replay;
	if (k->has_cids)
		out->flags |= SHM_EPOCH_RX;
	if (is_cur && k->has_cids && !k->is_rx_only_cids)
		out->flags |= SHM_EPOCH_TX;
	out->rx_until_ms = UINT64_MAX;
	if (!is_cur) {
		uint64_t age = now_ms > k->installed_ms ? now_ms - k->installed_ms : 0;

		out->rx_until_ms = now_ms + (age < GRACE_MS ? GRACE_MS - age : 0);
	}
}

/* driftd's count of receive CIDs in the table, so a punted packet is classified in O(1). */
static void account_cids(struct driftd *d, const struct shm_slot *s, int delta)
{
	if (s->state != SHM_SLOT_ACTIVE)
		return;
	for (int e = 0; e < 2; e++)
		if (s->ep[e].flags & SHM_EPOCH_RX)
			d->cid_refs[s->ep[e].rx_cid] += delta;
}

static void remove_peer(struct driftd *d, struct driftd_peer *p)
{
	struct shm_slot *s;

	if (p->slot < 0)
		return;
	engine_bind_tx_counter(d->engine, p->id, NULL, 0);
	s = shm_slot_at(d->table.hdr, (uint32_t)p->slot);
	account_cids(d, s, -1);
	session_table_write_begin(s);
	s->state = SHM_SLOT_FREE;
	s->fwd_to = 0;
	secret_wipe(s->ep, sizeof(s->ep));
	session_table_write_end(d->table.hdr, s);
	ctl_app_notify(d, p->channel, SHM_APP_CLOSED, p, NULL, 0);
	d->free_slots[d->free_count++] = p->slot;
	d->slot_peer[p->slot] = NULL;
	p->slot = -1;
	memset(p->epoch_id, 0, sizeof(p->epoch_id));
	d->stats.removals++;
}

/*
 * Writes the slot. `seeds` (optional) replace the replay seeds: the windows
 * the previous dataplane had for these epochs.
 */
static void write_slot(struct driftd *d, struct driftd_peer *p,
		       const struct engine_session_export *s, const uint32_t ids[2],
		       const struct replay_window *seeds[2], uint64_t now_ms)
{
	struct shm_slot *slot = shm_slot_at(d->table.hdr, (uint32_t)p->slot);
	bool is_new_cur = ids[0] != p->epoch_id[0];
	uint64_t age_ms = now_ms > s->last_handshake_ms ? now_ms - s->last_handshake_ms : 0;
	struct net_route route;
	uint32_t fwd_to, fwd_generation;

	/* Outside the seqlock: resolving may wait for the kernel. */
	if (slot->state == SHM_SLOT_ACTIVE && addr_equal(&slot->addr, &s->addr) &&
	    (slot->route.flags & NET_ROUTE_VALID))
		route = slot->route;
	else
		routes_lookup(d, &s->addr, &route);
	forwarding_target(d, s->id, &fwd_to, &fwd_generation);
	account_cids(d, slot, -1);
	session_table_write_begin(slot);
	slot->state = SHM_SLOT_ACTIVE;
	slot->generation = p->generation;
	slot->app_channel = p->channel;
	memcpy(slot->peer_pub, s->pub, WIRE_KEY_BYTES);
	memcpy(slot->peer_id, s->id, WIRE_PEER_ID_BYTES);
	slot->addr = s->addr;
	slot->route = route;
	slot->fwd_to = fwd_to;
	slot->fwd_generation = fwd_generation;
	slot->is_initiator = s->is_initiator;
	slot->last_handshake_unix_ms = driftd_unix_ms() - age_ms;
	slot->epoch_base_ms = s->epoch_ms;
	fill_epoch(&slot->ep[0], &s->cur, ids[0], true, now_ms);
	fill_epoch(&slot->ep[1], &s->prev, ids[1], false, now_ms);
	for (int i = 0; i < 2; i++)
		if (seeds && seeds[i])
			slot->ep[i].replay_seed = *seeds[i];
	/* A new current epoch starts its shared counter where the engine's is. */
	if (is_new_cur) {
		store_release(&slot->tx_word, (uint64_t)ids[0] << 32 | s->next_tx_seq);
		write_once(&slot->rekey_requested, 0);
	}
	session_table_write_end(d->table.hdr, slot);
	account_cids(d, slot, 1);
	if (is_new_cur)
		engine_bind_tx_counter(d->engine, p->id, &slot->tx_word, ids[0]);
}

static void sync_peer(struct driftd *d, struct driftd_peer *p, const struct replay_window *seeds[2])
{
	struct engine_session_export s;
	uint64_t now_ms = driftd_now_ms();
	uint8_t fp[2][DRIFTD_KEY_FP_BYTES];
	uint32_t ids[2] = {0, 0};
	bool is_new_slot = false;

	if (engine_session_export(d->engine, now_ms, p->id, &s) != 0 ||
	    s.state != PEER_ESTABLISHED || !s.cur.is_set) {
		remove_peer(d, p);
		goto out;
	}
	if (p->slot < 0) {
		if (!d->free_count) {
			fprintf(stderr,
				"driftd: session table full (%u slots): restart drift-dp "
				"with a larger --slots\n",
				d->table.hdr->slot_count);
			goto out;
		}
		p->slot = d->free_slots[--d->free_count];
		d->slot_peer[p->slot] = p;
		/* Generations never repeat within a table, even across driftd restarts. */
		p->generation = ++d->next_generation;
		store_release(&d->table.hdr->generation_high, d->next_generation);
		memset(p->epoch_id, 0, sizeof(p->epoch_id));
		is_new_slot = true;
	}
	key_fp(fp[0], s.cur.key);
	ids[0] = epoch_id_for(d, p, fp[0]);
	if (s.prev.is_set) {
		key_fp(fp[1], s.prev.key);
		ids[1] = epoch_id_for(d, p, fp[1]);
	}
	write_slot(d, p, &s, ids, seeds, now_ms);
	memcpy(p->epoch_id, ids, sizeof(ids));
	memcpy(p->key_fp[0], fp[0], DRIFTD_KEY_FP_BYTES);
	if (s.prev.is_set)
		memcpy(p->key_fp[1], fp[1], DRIFTD_KEY_FP_BYTES);
	d->stats.installs++;
	if (is_new_slot)
		ctl_app_notify(d, p->channel, SHM_APP_ESTABLISHED, p, NULL, 0);
out:
	engine_session_export_wipe(&s);
}

void installer_sync_dirty(struct driftd *d)
{
	struct driftd_peer *p;

	/*
	 * Control packets the engine just produced (a REKEY_ACK above all) leave
	 * before the workers can seal DATA under the keys we are about to
	 * install, so the peer sees the ACK first.
	 */
	if (d->dirty && d->fd >= 0)
		uring_loop_flush(&d->loop);

	while ((p = d->dirty)) {
		d->dirty = p->dirty_next;
		p->is_dirty = false;
		p->dirty_next = NULL;
		sync_peer(d, p, NULL);
	}
}

/* The highest seq the dataplane accepted under `epoch_id` in slot i, or 0. */
static const struct replay_window *old_window(struct shm_table_header *h, uint32_t i,
					      uint32_t epoch_id)
{
	for (uint32_t e = 0; e < 2; e++) {
		struct shm_window *w = shm_window_at(h, i, e);

		if (epoch_id && w->epoch_id == epoch_id)
			return &w->w;
	}
	return NULL;
}

/* One slot found at start: rebuild its engine peer (driftd restarted, drift-dp did not). */
static void reattach_slot(struct driftd *d, uint32_t i)
{
	struct shm_slot *slot = shm_slot_at(d->table.hdr, i);
	struct engine_session_export s;
	const struct replay_window *w;
	struct driftd_peer *p;
	uint64_t word = load_acquire(&slot->tx_word), age_ms;

	memset(&s, 0, sizeof(s));
	s.state = PEER_ESTABLISHED;
	memcpy(s.pub, slot->peer_pub, WIRE_KEY_BYTES);
	s.addr = slot->addr;
	s.is_initiator = slot->is_initiator;
	s.epoch_ms = slot->epoch_base_ms;
	/* Keep the handshake time: the slot has it in unix ms, the engine wants its own clock. */
	age_ms = driftd_unix_ms() > slot->last_handshake_unix_ms
			 ? driftd_unix_ms() - slot->last_handshake_unix_ms
			 : 0;
	s.last_handshake_ms = driftd_now_ms() > age_ms ? driftd_now_ms() - age_ms : 0;
	s.next_tx_seq = (uint32_t)word;
	s.cur.is_set = true;
	memcpy(s.cur.key, slot->ep[0].key, WIRE_KEY_BYTES);
	s.cur.tx_dir = slot->ep[0].tx_dir;
	s.cur.has_cids = slot->ep[0].flags & SHM_EPOCH_RX;
	s.cur.is_rx_only_cids = !(slot->ep[0].flags & SHM_EPOCH_TX);
	s.cur.rx_cid = slot->ep[0].rx_cid;
	s.cur.tx_cid = slot->ep[0].tx_cid;
	w = old_window(d->table.hdr, i, slot->ep[0].epoch_id);
	if (engine_session_import(d->engine, driftd_now_ms(), &s, w ? w->highest : 0) != 0)
		goto out;
	p = installer_peer(d, slot->peer_id, true);
	if (!p)
		goto out;
	p->slot = (int32_t)i;
	d->slot_peer[i] = p;
	p->generation = slot->generation;
	p->channel = slot->app_channel;
	for (int e = 0; e < 2; e++) {
		p->epoch_id[e] = slot->ep[e].epoch_id;
		key_fp(p->key_fp[e], slot->ep[e].key);
		if (p->epoch_id[e] >= d->next_epoch_id)
			d->next_epoch_id = p->epoch_id[e] + 1;
	}
	/* The dataplane kept counting: continue from its word, same epoch tag. */
	engine_bind_tx_counter(d->engine, p->id, &slot->tx_word, slot->ep[0].epoch_id);
	d->stats.reattached++;
out:
	engine_session_export_wipe(&s);
}

void installer_reattach(struct driftd *d)
{
	struct shm_table_header *h = d->table.hdr;

	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct shm_slot *slot = shm_slot_at(h, i);

		if (slot->state == SHM_SLOT_ACTIVE && (slot->ep[0].flags & SHM_EPOCH_RX))
			reattach_slot(d, i);
	}
	free_list_reset(d);
	/* Slots we could not re-import are freed so workers stop using them. */
	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct shm_slot *slot = shm_slot_at(h, i);
		struct driftd_peer *p = installer_peer(d, slot->peer_id, false);

		if (slot->state == SHM_SLOT_ACTIVE && (!p || p->slot != (int32_t)i)) {
			session_table_write_begin(slot);
			slot->state = SHM_SLOT_FREE;
			secret_wipe(slot->ep, sizeof(slot->ep));
			session_table_write_end(h, slot);
		}
	}
	free_list_reset(d);
	memset(d->cid_refs, 0, sizeof(d->cid_refs));
	for (uint32_t i = 0; i < h->slot_count; i++)
		account_cids(d, shm_slot_at(h, i), 1);
	/* Bridge pairs live on in the slots the dataplane forwards with: learn them back. */
	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct shm_slot *slot = shm_slot_at(h, i), *to;

		if (slot->state != SHM_SLOT_ACTIVE || !slot->fwd_to || slot->fwd_to > h->slot_count)
			continue;
		to = shm_slot_at(h, slot->fwd_to - 1);
		if (to->state == SHM_SLOT_ACTIVE && to->generation == slot->fwd_generation &&
		    d->fwd_count < DRIFTD_FWD_MAX) {
			memcpy(d->fwds[d->fwd_count].from, slot->peer_id, WIRE_PEER_ID_BYTES);
			memcpy(d->fwds[d->fwd_count++].to, to->peer_id, WIRE_PEER_ID_BYTES);
		}
	}
	installer_sync_dirty(d); /* the imports' ESTABLISHED events */
}

struct reinstall {
	struct driftd_peer *p;
	struct replay_window w[2];
	bool has_w[2];
};

/*
 * drift-dp restarted with a new table at the same path: `old` is the
 * previous table, still mapped. Unbind every counter while the old words
 * are readable, keep the old windows, switch tables, install everything.
 */
void installer_reinstall_all(struct driftd *d, const struct session_table *old)
{
	struct reinstall *r = calloc(d->peer_count ? d->peer_count : 1, sizeof(*r));
	uint32_t n = 0;

	for (uint32_t b = 0; b < DRIFTD_PEER_BUCKETS; b++)
		for (struct driftd_peer *p = d->buckets[b]; p; p = p->hash_next) {
			if (p->slot < 0)
				continue;
			engine_bind_tx_counter(d->engine, p->id, NULL, 0);
			if (r && n < d->peer_count) {
				r[n].p = p;
				for (int e = 0; e < 2; e++) {
					const struct replay_window *w = old_window(
						old->hdr, (uint32_t)p->slot, p->epoch_id[e]);

					r[n].has_w[e] = w != NULL;
					if (w)
						r[n].w[e] = *w;
				}
				n++;
			}
			p->slot = -1;
		}
	memset(d->slot_peer, 0, d->table.hdr->slot_count * sizeof(*d->slot_peer));
	memset(d->cid_refs, 0, sizeof(d->cid_refs));
	free_list_reset(d);
	for (uint32_t i = 0; i < n; i++) {
		const struct replay_window *seeds[2] = {r[i].has_w[0] ? &r[i].w[0] : NULL,
							r[i].has_w[1] ? &r[i].w[1] : NULL};
		/* New epoch ids in the new table; the counter goes on from the engine's copy. */
		memset(r[i].p->epoch_id, 0, sizeof(r[i].p->epoch_id));
		sync_peer(d, r[i].p, seeds);
	}
	d->stats.reinstalls++;
	free(r);
}

bool installer_owns_cid(struct driftd *d, uint16_t cid)
{
	return d->cid_refs[cid] != 0;
}
