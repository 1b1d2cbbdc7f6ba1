/* SPDX-License-Identifier: MIT */
/*
 * Peers by id (chained hash over the id, which is already a hash), the
 * list of all peers that the timers walk, and the CID index from a 16-bit
 * receive CID to every key epoch registered under it. Also the parts of a
 * peer's life that touch several of these at once: creation, forgetting a
 * session, destruction.
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "crypto/siphash.h"
#include "crypto/x25519.h"
#include "internal/bytes.h"

#include <stdlib.h>
#include <string.h>

/*
 * Keyed, because with accept-any an attacker can grind identities whose ids
 * share low bits and turn one bucket into a long list.
 */
static uint32_t bucket_of(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	uint8_t h[SIPHASH_OUT_BYTES];

	siphash13_128(h, e->bucket_key, id, WIRE_PEER_ID_BYTES);
	return load_be32(h) & e->bucket_mask;
}

struct peer *peer_find(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	struct peer *p = e->buckets[bucket_of(e, id)];

	while (p && memcmp(p->id, id, WIRE_PEER_ID_BYTES) != 0)
		p = p->hash_next;
	return p;
}

struct peer *peer_create(struct engine *e, const uint8_t pub[WIRE_KEY_BYTES], bool is_auto)
{
	struct peer *p;
	uint32_t b;

	if (e->peer_count >= e->cfg.max_peers)
		return NULL;
	if (is_auto && e->auto_peer_count >= e->cfg.max_auto_peers)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->pub, pub, WIRE_KEY_BYTES);
	kdf_peer_id(p->id, pub);
	p->is_auto = is_auto;
	p->state = PEER_PENDING;
	peer_tx_reset(p, 1);
	p->next_ping_ms = UINT64_MAX;

	b = bucket_of(e, p->id);
	p->hash_next = e->buckets[b];
	e->buckets[b] = p;
	p->list_next = e->peers;
	if (e->peers)
		e->peers->list_prev = p;
	e->peers = p;
	e->peer_count++;
	if (is_auto)
		e->auto_peer_count++;
	return p;
}

bool static_dh_get(struct engine *e, struct peer *p)
{
	if (!p->has_static_dh) {
		if (!x25519_shared(p->static_dh, e->secret, p->pub))
			return false;
		p->has_static_dh = true;
	}
	return true;
}

void queue_clear(struct peer *p)
{
	struct queued_payload *q = p->queue_head, *next;

	for (; q; q = next) {
		next = q->next;
		secret_wipe(q->data, q->len);
		free(q);
	}
	p->queue_head = p->queue_tail = NULL;
	p->queue_len = 0;
}

void peer_set_state(struct engine *e, struct peer *p, enum engine_peer_state s)
{
	/* awaiting_count drives cookie mode (WIRE.md §10.1); keep it exact. */
	if (p->state == PEER_AWAITING_DATA && s != PEER_AWAITING_DATA)
		e->awaiting_count--;
	if (p->state != PEER_AWAITING_DATA && s == PEER_AWAITING_DATA)
		e->awaiting_count++;
	p->state = s;
}

/*
 * CLOSE, a failed handshake and the AwaitingData sweep all end a session
 * the same way (WIRE.md §15): keys, queue, probe and epoch go; the peer's
 * registration stays. Tx counters are reset by the next key installation.
 */
void peer_forget_session(struct engine *e, struct peer *p)
{
	/*
	 * cur goes, so the shared tx word it was bound to (driftd) is no longer
	 * ours; the counter carries on privately for a RESUME_HELLO (§16.3).
	 */
	if (p->shared_tx)
		peer_tx_reset(p, peer_tx_peek(p));
	epoch_clear(e, &p->cur);
	epoch_clear(e, &p->prev);
	epoch_clear(e, &p->next);
	secret_wipe(&p->ini, sizeof(p->ini));
	secret_wipe(&p->resp, sizeof(p->resp));
	queue_clear(p);
	memset(&p->probe, 0, sizeof(p->probe));
	p->is_ping_outstanding = false;
	p->next_ping_ms = UINT64_MAX;
	p->epoch_ms = 0;
	/*
	 * A HELLO naming this peer's public key moved the address before any
	 * proof; when that attempt dies, go back to what the application said,
	 * so one spoofed packet cannot redirect the peer for good.
	 */
	if (p->has_home_addr) {
		p->addr = p->home_addr;
		p->is_addr_validated = true;
	}
	peer_set_state(e, p, PEER_PENDING);
}

void peer_destroy(struct engine *e, struct peer *p)
{
	struct peer **pp = &e->buckets[bucket_of(e, p->id)];

	peer_forget_session(e, p);
	while (*pp && *pp != p)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = p->hash_next;
	if (p->list_prev)
		p->list_prev->list_next = p->list_next;
	else
		e->peers = p->list_next;
	if (p->list_next)
		p->list_next->list_prev = p->list_prev;
	e->peer_count--;
	if (p->is_auto)
		e->auto_peer_count--;
	free(p->coalesce);
	secret_wipe(p, sizeof(*p));
	free(p);
}

void cid_register(struct engine *e, struct peer *p, struct key_epoch *k)
{
	if (!k->has_cids || k->link.is_linked)
		return;
	k->link.peer = p;
	k->link.epoch = k;
	k->link.cid = k->rx_cid;
	k->link.next = e->cid_index[k->rx_cid];
	e->cid_index[k->rx_cid] = &k->link;
	k->link.is_linked = true;
}

void cid_unregister(struct engine *e, struct key_epoch *k)
{
	struct cid_link **pp;

	if (!k->link.is_linked)
		return;
	for (pp = &e->cid_index[k->link.cid]; *pp; pp = &(*pp)->next) {
		if (*pp == &k->link) {
			*pp = k->link.next;
			break;
		}
	}
	k->link.is_linked = false;
	k->link.next = NULL;
}

struct cid_link *cid_lookup(const struct engine *e, uint16_t cid)
{
	return e->cid_index[cid];
}
