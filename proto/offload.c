/* SPDX-License-Identifier: MIT */
/*
 * What driftd needs from the engine to hand sessions to an external
 * dataplane (drift-dp): a copy of a session's key epochs to install, a tx
 * counter shared with the dataplane, the reverse import when driftd
 * restarts and finds sessions already flowing, and the dataplane's report
 * of DATA from a new source address.
 *
 * The engine stays the only authority on protocol state; this file only
 * copies state out and, on import, rebuilds the minimum a peer needs to
 * keep rekeying, pinging and closing: an Established peer with one epoch.
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"

#include <errno.h>
#include <string.h>

static void export_epoch(struct engine_epoch_export *out, const struct key_epoch *k)
{
	out->is_set = k->is_set;
	if (!k->is_set)
		return;
	memcpy(out->key, k->key, WIRE_KEY_BYTES);
	out->tx_dir = k->tx_dir;
	out->has_cids = k->has_cids;
	out->is_rx_only_cids = k->is_inherited_cids;
	out->rx_cid = k->rx_cid;
	out->tx_cid = k->tx_cid;
	out->installed_ms = k->installed_ms;
	out->replay = k->replay;
}

int engine_session_export(const struct engine *e, uint64_t now_ms,
			  const uint8_t id[WIRE_PEER_ID_BYTES], struct engine_session_export *out)
{
	const struct peer *p = peer_find(e, id);

	if (!p)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->state = p->state;
	memcpy(out->pub, p->pub, WIRE_KEY_BYTES);
	memcpy(out->id, p->id, WIRE_PEER_ID_BYTES);
	out->addr = p->addr;
	out->is_initiator = p->is_initiator;
	out->epoch_ms = p->epoch_ms;
	out->last_handshake_ms = p->last_handshake_ms;
	out->next_tx_seq = peer_tx_peek(p);
	if (p->state != PEER_ESTABLISHED)
		return 0;
	export_epoch(&out->cur, &p->cur);
	/* The previous epoch only while it still opens packets (REKEY_GRACE_MS). */
	if (epoch_prev_is_live(p, now_ms))
		export_epoch(&out->prev, &p->prev);
	return 0;
}

int engine_bind_tx_counter(struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
			   _Atomic uint64_t *word, uint32_t tag)
{
	struct peer *p = peer_find(e, id);

	if (!p)
		return -ENOENT;
	if (!word) {
		/* Unbinding: carry on from where the shared counter got to. */
		if (p->shared_tx)
			p->tx_seq = peer_tx_peek(p);
		p->shared_tx = NULL;
		return 0;
	}
	if (p->state != PEER_ESTABLISHED || !p->cur.is_set)
		return -ENOTCONN;
	p->shared_tx = word;
	p->shared_tx_tag = tag;
	return 0;
}

int engine_session_import(struct engine *e, uint64_t now_ms, const struct engine_session_export *s,
			  uint32_t rx_floor_seq)
{
	struct peer *p;
	uint8_t id[WIRE_PEER_ID_BYTES];
	int rc;

	if (s->state != PEER_ESTABLISHED || !s->cur.is_set || !addr_is_set(&s->addr))
		return -EINVAL;
	/* Before engine_add_peer(): re-registering would move a live peer's address and role. */
	kdf_peer_id(id, s->pub);
	p = peer_find(e, id);
	if (p && p->state != PEER_PENDING)
		return -EEXIST;
	rc = engine_add_peer(e, s->pub, &s->addr, s->is_initiator, id);
	if (rc)
		return rc;
	p = peer_find(e, id);
	rc = epoch_install(&p->cur, s->cur.key, s->cur.tx_dir, now_ms);
	if (rc)
		return rc;
	if (s->cur.has_cids) {
		p->cur.has_cids = true;
		p->cur.is_inherited_cids = s->cur.is_rx_only_cids;
		p->cur.rx_cid = s->cur.rx_cid;
		p->cur.tx_cid = s->cur.tx_cid;
		cid_register(e, p, &p->cur);
		p->last_cids.is_set = true;
		p->last_cids.rx = s->cur.rx_cid;
		p->last_cids.tx = s->cur.tx_cid;
	}
	/*
	 * The engine's own window for this epoch was lost with the old driftd:
	 * refuse every seq up to the dataplane's highest, so no packet sealed
	 * before the restart can be replayed to the new process.
	 */
	p->cur.replay.highest = rx_floor_seq;
	memset(p->cur.replay.bits, 0xff, sizeof(p->cur.replay.bits));
	/* Seqs above the floor that share its word are unseen (a newer seq clears only later words). */
	p->cur.replay.bits[(rx_floor_seq >> 6) % REPLAY_WORDS] &=
		(UINT64_C(2) << (rx_floor_seq & 63)) - 1;
	p->addr = s->addr;
	p->is_addr_validated = true;
	p->epoch_ms = s->epoch_ms;
	peer_tx_reset(p, s->next_tx_seq ? s->next_tx_seq : 1);
	handshake_established(e, p, now_ms, false);
	p->last_handshake_ms = s->last_handshake_ms;
	return 0;
}

int engine_note_new_source(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
			   const struct net_addr *from, size_t wire_len)
{
	struct peer *p = peer_find(e, id);

	if (!p)
		return -ENOENT;
	if (p->state != PEER_ESTABLISHED || addr_equal(from, &p->addr))
		return 0;
	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	control_on_new_source(e, p, now_ms, from, wire_len);
	return 0;
}

void engine_session_export_wipe(struct engine_session_export *s)
{
	secret_wipe(s, sizeof(*s));
}

void engine_for_each_peer(const struct engine *e, engine_peer_fn fn, void *ctx)
{
	const struct peer *p, *next;

	for (p = e->peers; p; p = next) {
		next = p->list_next;
		fn(ctx, p->id, p->state);
	}
}
