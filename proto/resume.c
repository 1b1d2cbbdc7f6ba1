/* SPDX-License-Identifier: MIT */
/*
 * 1-RTT session resumption (WIRE.md §16).
 *
 *   client (holds ticket_id, psk)              server (ticket store)
 *   RESUME_HELLO {ticket_id, E_c, n_c}  ──▶    take the ticket (single use)
 *                                       ◀──    RESUME_ACK {E_s, n_s, tag}
 *   K_r = H("drift-resume-key-v1" || psk || dh(E,E) || n_c || n_s) on both sides
 *                                       ◀──    RESUMPTION_TICKET (the next one)
 *
 * The server issues a ticket when a session is confirmed and after every
 * resumption; psk = H("drift-resume-psk-v1" || K || ticket_id) never
 * travels. Our client derives the psk from the key that actually opened the
 * ticket (Q11), verifies the ACK before leaving AwaitingAck (Q23), and falls
 * back to a full HELLO after the first timeout (Q10, in handshake.c).
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "internal/bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	RH_TICKET = 0,
	RH_EPHEMERAL = 16,
	RH_NONCE = 48,
	RA_EPHEMERAL = 0,
	RA_NONCE = 32,
	RA_TAG = 48,
};

bool resume_can_start(const struct engine *e, const struct peer *p)
{
	return p->is_initiator && p->ticket.is_set && p->ticket.expiry_unix_ms > engine_unix_ms(e);
}

/* §16.3: first send uses the old counter's next seq; retransmits use seq 0 (Q19). */
void resume_send_hello(struct engine *e, struct peer *p, uint64_t now_ms, bool is_retransmit)
{
	uint8_t pkt[WIRE_LONG_HDR_BYTES + WIRE_RESUME_HELLO_BODY_BYTES];
	uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	struct long_header h;

	header_for_peer(e, p, &h, WIRE_TYPE_RESUME_HELLO, now_ms);
	if (is_retransmit) {
		h.send_time_ms = 0;
	} else {
		h.seq = peer_tx_peek(p);
		if (h.seq < WIRE_SEQ_SEND_CEILING)
			peer_tx_take(p, &h.seq);
	}
	h.payload_len = WIRE_RESUME_HELLO_BODY_BYTES;
	header_long_encode(pkt, &h);
	memcpy(body + RH_TICKET, p->ini.ticket_id, WIRE_TICKET_ID_BYTES);
	memcpy(body + RH_EPHEMERAL, p->ini.eph_pub, WIRE_KEY_BYTES);
	memcpy(body + RH_NONCE, p->ini.nonce, WIRE_HS_NONCE_BYTES);
	engine_transmit(e, p, &p->addr, pkt, sizeof(pkt));
}

int resume_start(struct engine *e, struct peer *p, uint64_t now_ms)
{
	handshake_begin_attempt(e, p, true, now_ms);
	memcpy(p->ini.ticket_id, p->ticket.id, WIRE_TICKET_ID_BYTES);
	memcpy(p->ini.psk, p->ticket.psk, WIRE_KEY_BYTES);
	resume_send_hello(e, p, now_ms, false);
	return 0;
}

/*
 * ---- server-side ticket store: a ring, the oldest entry overwritten first,
 * indexed by a chained hash of the ticket id so an unauthenticated
 * RESUME_HELLO costs one short chain walk, not a scan of every ticket. The
 * ids are our own random draws, so nobody can lengthen a chain.
 */

static int32_t *ticket_bucket(struct engine *e, const uint8_t id[WIRE_TICKET_ID_BYTES])
{
	return &e->ticket_buckets[load_be32(id) & e->ticket_bucket_mask];
}

static struct ticket_entry *ticket_find(struct engine *e, const uint8_t id[WIRE_TICKET_ID_BYTES])
{
	int32_t i;

	if (!e->tickets)
		return NULL;
	for (i = *ticket_bucket(e, id); i >= 0; i = e->tickets[i].next)
		if (secret_equal(e->tickets[i].id, id, WIRE_TICKET_ID_BYTES))
			return &e->tickets[i];
	return NULL;
}

/* Unlinks and wipes an entry (used, expired, or overwritten by the ring). */
static void ticket_drop(struct engine *e, struct ticket_entry *t)
{
	int32_t self = (int32_t)(t - e->tickets), *pp;

	if (t->is_used) {
		for (pp = ticket_bucket(e, t->id); *pp >= 0; pp = &e->tickets[*pp].next) {
			if (*pp == self) {
				*pp = t->next;
				break;
			}
		}
	}
	secret_wipe(t, sizeof(*t));
	t->next = -1;
}

static int ticket_store_init(struct engine *e)
{
	uint32_t buckets = 16;

	while (buckets < e->cfg.ticket_store_cap)
		buckets <<= 1;
	e->tickets = calloc(e->cfg.ticket_store_cap, sizeof(*e->tickets));
	e->ticket_buckets = malloc(buckets * sizeof(*e->ticket_buckets));
	if (!e->tickets || !e->ticket_buckets) {
		free(e->tickets);
		free(e->ticket_buckets);
		e->tickets = NULL;
		e->ticket_buckets = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < buckets; i++)
		e->ticket_buckets[i] = -1;
	for (uint32_t i = 0; i < e->cfg.ticket_store_cap; i++)
		e->tickets[i].next = -1;
	e->ticket_bucket_mask = buckets - 1;
	return 0;
}

int resume_issue_ticket(struct engine *e, struct peer *p, uint64_t now_ms)
{
	uint8_t pt[WIRE_TICKET_PLAINTEXT_BYTES];
	struct ticket_entry *t;
	int rc;

	if (!e->cfg.ticket_store_cap)
		return 0;
	if (!e->tickets && ticket_store_init(e) != 0)
		return -ENOMEM;
	t = &e->tickets[e->ticket_next];
	e->ticket_next = (e->ticket_next + 1) % e->cfg.ticket_store_cap;
	ticket_drop(e, t);
	engine_random(e, t->id, WIRE_TICKET_ID_BYTES);
	t->expiry_unix_ms = engine_unix_ms(e) + TICKET_TTL_MS;
	kdf_resume_psk(t->psk, p->cur.key, t->id);
	memcpy(t->client_pub, p->pub, WIRE_KEY_BYTES);
	t->has_cids = p->last_cids.is_set;
	t->rx_cid = p->last_cids.rx;
	t->tx_cid = p->last_cids.tx;
	t->is_used = true;
	t->next = *ticket_bucket(e, t->id);
	*ticket_bucket(e, t->id) = (int32_t)(t - e->tickets);
	memcpy(pt, t->id, WIRE_TICKET_ID_BYTES);
	store_be64(pt + WIRE_TICKET_ID_BYTES, t->expiry_unix_ms);
	rc = send_sealed(e, p, now_ms, WIRE_TYPE_RESUMPTION_TICKET, pt, sizeof(pt), NULL);
	secret_wipe(pt, sizeof(pt));
	return rc;
}

/* Client: opened by the caller under `k`; derive the psk from that same key (Q11). */
void resume_on_ticket(struct engine *e, struct peer *p, const struct key_epoch *k,
		      const uint8_t pt[WIRE_TICKET_PLAINTEXT_BYTES])
{
	struct engine_event ev = {.type = ENGINE_EV_TICKET};

	memcpy(p->ticket.id, pt, WIRE_TICKET_ID_BYTES);
	kdf_resume_psk(p->ticket.psk, k->key, p->ticket.id);
	p->ticket.expiry_unix_ms = load_be64(pt + WIRE_TICKET_ID_BYTES);
	p->ticket.is_set = true;
	memcpy(ev.peer_id, p->id, WIRE_PEER_ID_BYTES);
	engine_emit(e, &ev);
}

/* Installs K_r as the session; the old session, if any, stays readable for the grace. */
static int install_resumed(struct engine *e, struct peer *p, const uint8_t key[WIRE_KEY_BYTES],
			   uint8_t tx_dir, uint64_t now_ms)
{
	struct key_epoch fresh;

	if (epoch_install(&fresh, key, tx_dir, now_ms) != 0)
		return -ENOMEM;
	epoch_clear(e, &p->next);
	if (p->cur.is_set) {
		epoch_move(e, &p->prev, &p->cur, p);
		p->prev.installed_ms = now_ms;
	}
	/*
	 * Q6: CIDs are not re-derived on resumption; the last ones carry over so a
	 * peer that still sends with them is understood. We do not send with
	 * them ourselves: the other side may be a new process that never had
	 * them. The client rekeys at once instead (resume_on_ack), which gives
	 * both sides fresh CIDs; until then DATA travels with the long header.
	 */
	fresh.has_cids = p->last_cids.is_set;
	fresh.is_inherited_cids = true;
	fresh.rx_cid = p->last_cids.rx;
	fresh.tx_cid = p->last_cids.tx;
	epoch_move(e, &p->cur, &fresh, p);
	cid_register(e, p, &p->cur);
	if (p->coalesce)
		coalesce_reset(p->coalesce);
	p->epoch_ms = now_ms;
	return 0;
}

/*
 * An accept-any server forgets an automatic peer on CLOSE, yet the ticket it
 * issued names the client's key: a RESUME_HELLO whose src_id is that key's
 * id re-creates the peer, so closing does not make resumption impossible.
 */
static struct peer *peer_from_ticket(struct engine *e, const struct ticket_entry *t,
				     const uint8_t src_id[WIRE_PEER_ID_BYTES],
				     const struct net_addr *from)
{
	uint8_t id[WIRE_PEER_ID_BYTES];
	struct peer *p;

	if (!e->cfg.accept_any_peer)
		return NULL;
	kdf_peer_id(id, t->client_pub);
	if (memcmp(id, src_id, WIRE_PEER_ID_BYTES) != 0)
		return NULL;
	p = peer_create(e, t->client_pub, true);
	if (!p)
		return NULL;
	p->addr = *from;
	/* The client keeps using the CIDs of the ticket's session (Q6): so do we. */
	p->last_cids.is_set = t->has_cids;
	p->last_cids.rx = t->rx_cid;
	p->last_cids.tx = t->tx_cid;
	return p;
}

/* §16.4, server. */
void resume_on_hello(struct engine *e, uint64_t now_ms, const struct long_header *h,
		     const uint8_t *pkt, size_t len, const struct net_addr *from)
{
	const uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	uint8_t ack[WIRE_LONG_HDR_BYTES + WIRE_RESUME_ACK_BODY_BYTES],
		*ab = ack + WIRE_LONG_HDR_BYTES;
	uint8_t eph_secret[WIRE_KEY_BYTES], eph_dh[WIRE_KEY_BYTES], key[WIRE_KEY_BYTES];
	uint8_t psk[WIRE_KEY_BYTES], aad[WIRE_ACK_AAD_BYTES], nonce[WIRE_AEAD_NONCE_BYTES];
	struct ticket_entry *t;
	struct long_header ah;
	struct peer *p;

	if (memcmp(h->dst_id, e->id, WIRE_PEER_ID_BYTES) != 0)
		return engine_count_drop(e, DROP_NOT_FOR_US);
	if (secret_is_zero(body + RH_EPHEMERAL, WIRE_KEY_BYTES))
		return engine_count_drop(e, DROP_AUTH);
	t = ticket_find(e, body + RH_TICKET);
	if (!t)
		return engine_count_drop(e, DROP_TICKET);
	if (t->expiry_unix_ms <= engine_unix_ms(e)) {
		ticket_drop(e, t);
		return engine_count_drop(e, DROP_TICKET);
	}
	p = peer_find(e, h->src_id);
	if (!p)
		p = peer_from_ticket(e, t, h->src_id, from);
	if (!p)
		return engine_count_drop(e, DROP_UNKNOWN_PEER);
	if (!secret_equal(t->client_pub, p->pub, WIRE_KEY_BYTES))
		return engine_count_drop(e, DROP_TICKET);
	memcpy(psk, t->psk, sizeof(psk));
	ticket_drop(e, t); /* single use: a replayed RESUME_HELLO finds nothing */

	engine_random(e, ab + RA_NONCE, WIRE_HS_NONCE_BYTES);
	engine_random(e, eph_secret, sizeof(eph_secret));
	x25519_public(ab + RA_EPHEMERAL, eph_secret);
	if (!x25519_shared(eph_dh, eph_secret, body + RH_EPHEMERAL)) {
		engine_count_drop(e, DROP_AUTH);
		goto out_wipe;
	}
	kdf_resume_key(key, psk, eph_dh, body + RH_NONCE, ab + RA_NONCE);

	/* The header is built before the epoch reset, so send_time is the old epoch's (Q16). */
	header_for_peer(e, p, &ah, WIRE_TYPE_RESUME_ACK, now_ms);
	ah.seq = 1;
	ah.payload_len = WIRE_RESUME_ACK_BODY_BYTES;
	header_long_encode(ack, &ah);
	handshake_ack_aad(aad, &ah, ab + RA_EPHEMERAL, ab + RA_NONCE);
	header_nonce(nonce, WIRE_DIR_RESPONDER, WIRE_TYPE_RESUME_ACK, 1);
	if (aead_seal_once(key, nonce, aad, sizeof(aad), NULL, 0, ab + RA_TAG) != 0 ||
	    install_resumed(e, p, key, WIRE_DIR_RESPONDER, now_ms) != 0) {
		engine_count_drop(e, DROP_AUTH);
		goto out_wipe;
	}
	peer_tx_reset(p, 2); /* the ACK used seq 1 (§13) */
	if (!addr_equal(&p->addr, from)) {
		p->addr = *from;
		p->is_addr_validated = false;
		memset(&p->amp, 0, sizeof(p->amp));
	}
	if (!p->is_addr_validated)
		p->amp.rx_bytes += len;
	engine_transmit(e, p, from, ack, sizeof(ack));
	e->stats.resumptions_completed++;
	handshake_established(e, p, now_ms, true);
	resume_issue_ticket(e, p, now_ms);
out_wipe:
	secret_wipe(eph_secret, sizeof(eph_secret));
	secret_wipe(eph_dh, sizeof(eph_dh));
	secret_wipe(key, sizeof(key));
	secret_wipe(psk, sizeof(psk));
}

/* §16.5, client: verify first, then switch keys. */
void resume_on_ack(struct engine *e, uint64_t now_ms, const struct long_header *h,
		   const uint8_t *pkt, size_t len)
{
	const uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	uint8_t eph_dh[WIRE_KEY_BYTES], key[WIRE_KEY_BYTES];
	struct peer *p = handshake_ack_peer(e, h, true);
	bool ok;

	(void)len;
	if (!p)
		return;
	if (!x25519_shared(eph_dh, p->ini.eph_secret, body + RA_EPHEMERAL))
		return engine_count_drop(e, DROP_AUTH);
	kdf_resume_key(key, p->ini.psk, eph_dh, p->ini.nonce, body + RA_NONCE);
	secret_wipe(eph_dh, sizeof(eph_dh));
	/* Unlike HELLO_ACK, the RESUME_ACK tag uses the header's seq (§16.5). */
	ok = handshake_ack_verify(key, h, body, h->seq) &&
	     install_resumed(e, p, key, WIRE_DIR_INITIATOR, now_ms) == 0;
	secret_wipe(key, sizeof(key));
	if (!ok)
		return engine_count_drop(e, DROP_AUTH);
	rtt_sample(&p->rtt, (now_ms - p->ini.last_sent_ms) * 1000);
	secret_wipe(&p->ini, sizeof(p->ini));
	secret_wipe(&p->ticket, sizeof(p->ticket)); /* used; the server sends a fresh one */
	peer_tx_reset(p, 1);
	p->is_addr_validated = true;
	e->stats.resumptions_completed++;
	handshake_established(e, p, now_ms, true);
	if (p->state == PEER_ESTABLISHED)
		control_rekey(e, p, now_ms);
}

int engine_export_ticket(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
			 uint8_t out[WIRE_TICKET_BLOB_BYTES])
{
	const struct peer *p = peer_find(e, id);
	uint8_t *w = out;

	if (!p)
		return -ENOENT;
	if (!p->ticket.is_set)
		return -ENODATA;
	*w++ = 1;
	memcpy(w, p->ticket.id, WIRE_TICKET_ID_BYTES);
	w += WIRE_TICKET_ID_BYTES;
	memcpy(w, p->ticket.psk, WIRE_KEY_BYTES);
	w += WIRE_KEY_BYTES;
	store_be64(w, p->ticket.expiry_unix_ms);
	w += 8;
	memcpy(w, p->id, WIRE_PEER_ID_BYTES);
	w += WIRE_PEER_ID_BYTES;
	memcpy(w, p->pub, WIRE_KEY_BYTES);
	return 0;
}

int engine_import_ticket(struct engine *e, uint64_t now_ms,
			 const uint8_t blob[WIRE_TICKET_BLOB_BYTES])
{
	const uint8_t *server_id = blob + 1 + WIRE_TICKET_ID_BYTES + WIRE_KEY_BYTES + 8;
	const uint8_t *server_pub = server_id + WIRE_PEER_ID_BYTES;
	uint8_t derived_id[WIRE_PEER_ID_BYTES];
	struct peer *p;
	uint64_t expiry = load_be64(blob + 1 + WIRE_TICKET_ID_BYTES + WIRE_KEY_BYTES);

	(void)now_ms;
	if (blob[0] != 1)
		return -EPROTO;
	kdf_peer_id(derived_id, server_pub);
	if (memcmp(derived_id, server_id, WIRE_PEER_ID_BYTES) != 0)
		return -EINVAL;
	if (expiry <= engine_unix_ms(e))
		return -ETIME;
	p = peer_find(e, server_id);
	if (!p)
		return -ENOENT;
	if (memcmp(p->pub, server_pub, WIRE_KEY_BYTES) != 0)
		return -EKEYREJECTED;
	memcpy(p->ticket.id, blob + 1, WIRE_TICKET_ID_BYTES);
	memcpy(p->ticket.psk, blob + 1 + WIRE_TICKET_ID_BYTES, WIRE_KEY_BYTES);
	p->ticket.expiry_unix_ms = expiry;
	p->ticket.is_set = true;
	return 0;
}
