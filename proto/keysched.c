/* SPDX-License-Identifier: MIT */
/*
 * Key epochs and the sealed long-header packets built from them.
 *
 * A peer holds up to three epochs: `cur` (sending and first choice for
 * receiving), `prev` (receive-only for REKEY_GRACE_MS after a rekey or
 * resumption, with its own replay window, WIRE.md §24 Q8) and `next` (a
 * responder's key derived from a HELLO and not yet confirmed by DATA, so a
 * replayed HELLO cannot tear down an established session, Q12).
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "internal/atomics.h"
#include "internal/bytes.h"

#include <errno.h>
#include <string.h>

int epoch_install(struct key_epoch *k, const uint8_t key[WIRE_KEY_BYTES], uint8_t tx_dir,
		  uint64_t now_ms)
{
	int rc;

	memset(k, 0, sizeof(*k));
	rc = aead_key_init(&k->aead, key, AEAD_BACKEND_DEFAULT);
	if (rc)
		return rc;
	memcpy(k->key, key, WIRE_KEY_BYTES);
	k->tx_dir = tx_dir;
	k->installed_ms = now_ms;
	k->is_set = true;
	replay_reset(&k->replay);
	return 0;
}

void epoch_derive_cids(struct key_epoch *k)
{
	uint16_t init_rx, resp_rx;

	/* The direction-0 side receives on the initiator CID (WIRE.md §6.2). */
	kdf_cids(&init_rx, &resp_rx, k->key);
	k->rx_cid = k->tx_dir == WIRE_DIR_INITIATOR ? init_rx : resp_rx;
	k->tx_cid = k->tx_dir == WIRE_DIR_INITIATOR ? resp_rx : init_rx;
	k->has_cids = true;
}

void epoch_clear(struct engine *e, struct key_epoch *k)
{
	if (!k->is_set && !k->link.is_linked)
		return;
	cid_unregister(e, k);
	aead_key_fini(&k->aead);
	secret_wipe(k, sizeof(*k));
}

/* Moves an epoch (with its CID registration) from one slot to another. */
void epoch_move(struct engine *e, struct key_epoch *dst, struct key_epoch *src, struct peer *p)
{
	bool was_linked = src->link.is_linked;

	epoch_clear(e, dst);
	cid_unregister(e, src);
	memcpy(dst, src, sizeof(*dst));
	dst->link.is_linked = false;
	dst->link.next = NULL;
	/* src's AEAD context now belongs to dst: zero, do not free. */
	secret_wipe(src, sizeof(*src));
	if (was_linked)
		cid_register(e, p, dst);
}

bool epoch_prev_is_live(const struct peer *p, uint64_t now_ms)
{
	return p->prev.is_set && now_ms - p->prev.installed_ms < REKEY_GRACE_MS;
}

/* The key our sends use: cur, or a responder's unconfirmed key while no session exists. */
struct key_epoch *tx_epoch(struct peer *p)
{
	if (p->cur.is_set)
		return &p->cur;
	if (p->state == PEER_AWAITING_DATA && p->next.is_set)
		return &p->next;
	return NULL;
}

/* The "mh" header of WIRE.md §5.3: per-peer defaults, direct path. */
void header_for_peer(const struct engine *e, const struct peer *p, struct long_header *h,
		     uint8_t type, uint64_t now_ms)
{
	uint64_t since = 0;

	memset(h, 0, sizeof(*h));
	h->type = type;
	memcpy(h->src_id, e->id, WIRE_PEER_ID_BYTES);
	memcpy(h->dst_id, p->id, WIRE_PEER_ID_BYTES);
	h->hop_ttl = 1;
	if ((p->cur.is_set || p->next.is_set) && now_ms > p->epoch_ms)
		since = now_ms - p->epoch_ms;
	h->send_time_ms = since > UINT32_MAX ? UINT32_MAX : (uint32_t)since;
}

/*
 * Seals `pt` under the peer's tx epoch into a long-header packet built from
 * `h` (seq and payload_len are filled here) and sends it to `to` (the peer
 * address when NULL). payload_len follows the reference's inconsistency
 * (WIRE.md §5.5): the plaintext length for DATA and BEACON, plaintext + tag
 * for every other type.
 */
int seal_and_send(struct engine *e, struct peer *p, struct long_header *h, const uint8_t *pt,
		  size_t pt_len, const struct net_addr *to)
{
	uint8_t pkt[WIRE_MAX_PACKET_BYTES], nonce[WIRE_AEAD_NONCE_BYTES], aad[WIRE_LONG_HDR_BYTES];
	struct key_epoch *k = tx_epoch(p);
	bool is_data = h->type == WIRE_TYPE_DATA || h->type == WIRE_TYPE_BEACON;

	if (!k)
		return -ENOTCONN;
	if (pt_len > WIRE_MAX_PAYLOAD_BYTES)
		return -EMSGSIZE;
	if (!peer_tx_take(p, &h->seq))
		return -ERANGE;
	h->payload_len = (uint16_t)(is_data ? pt_len : pt_len + WIRE_TAG_BYTES);
	header_long_encode(pkt, h);
	header_nonce(nonce, k->tx_dir, h->type, h->seq);
	header_long_aad(aad, pkt);
	if (aead_seal(&k->aead, nonce, aad, sizeof(aad), pt, pt_len, pkt + WIRE_LONG_HDR_BYTES))
		return -EIO;
	engine_transmit(e, p, to ? to : &p->addr, pkt,
			WIRE_LONG_HDR_BYTES + pt_len + WIRE_TAG_BYTES);
	return 0;
}

/* A sealed control packet with the per-peer default header. */
int send_sealed(struct engine *e, struct peer *p, uint64_t now_ms, uint8_t type, const uint8_t *pt,
		size_t pt_len, const struct net_addr *to)
{
	struct long_header h;

	header_for_peer(e, p, &h, type, now_ms);
	return seal_and_send(e, p, &h, pt, pt_len, to);
}

/* Opens a sealed long-header packet under `k`; `pt` receives len - 52 bytes. */
bool open_long(struct key_epoch *k, const uint8_t *pkt, size_t len, uint8_t *pt)
{
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES], aad[WIRE_LONG_HDR_BYTES];

	if (!k->is_set || len < WIRE_LONG_HDR_BYTES + WIRE_TAG_BYTES)
		return false;
	header_nonce(nonce, k->tx_dir ^ 1, pkt[1], load_be32(pkt + 4));
	header_long_aad(aad, pkt);
	return aead_open(&k->aead, nonce, aad, sizeof(aad), pkt + WIRE_LONG_HDR_BYTES,
			 len - WIRE_LONG_HDR_BYTES, pt);
}

/*
 * The per-epoch tx counter (WIRE.md §13: one counter shared by every packet
 * type). In driftd the dataplane seals DATA under the same key, so once the
 * epoch is installed the counter lives in the session slot and both sides
 * take seqs with an atomic add; the high half names the epoch it belongs to.
 */
uint32_t peer_tx_peek(const struct peer *p)
{
	uint64_t word;

	if (!p->shared_tx)
		return p->tx_seq;
	word = read_once(p->shared_tx);
	/* Another epoch's word, or past the ceiling: nothing more may be sent under this key. */
	if ((uint32_t)(word >> 32) != p->shared_tx_tag || (uint32_t)word >= WIRE_SEQ_SEND_CEILING)
		return WIRE_SEQ_SEND_CEILING;
	return (uint32_t)word;
}

bool peer_tx_take(struct peer *p, uint32_t *seq)
{
	uint64_t word;

	if (!p->shared_tx) {
		if (p->tx_seq >= WIRE_SEQ_SEND_CEILING)
			return false;
		*seq = p->tx_seq++;
		return true;
	}
	word = read_once(p->shared_tx);
	/* Add only below the ceiling and under our tag, so the word never wraps (WIRE.md §13). */
	do {
		if ((uint32_t)(word >> 32) != p->shared_tx_tag ||
		    (uint32_t)word >= WIRE_SEQ_SEND_CEILING)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		p->shared_tx, &word, word + 1, memory_order_acq_rel, memory_order_acquire));
	*seq = (uint32_t)word;
	return true;
}

/* A new current epoch: its own counter from `start`, not shared until installed again. */
void peer_tx_reset(struct peer *p, uint32_t start)
{
	p->tx_seq = start;
	p->shared_tx = NULL;
}
