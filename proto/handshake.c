/* SPDX-License-Identifier: MIT */
/*
 * The one-round-trip handshake (WIRE.md §9) and its DoS cookie (§10).
 *
 *   initiator                                 responder
 *   HELLO  {S_i, E_i, n_c [, cookie]}  ──▶    cookie gate (no X25519 under load)
 *                                      ◀──    CHALLENGE {ts, mac}        (under load)
 *   HELLO  {S_i, E_i, n_c, cookie}     ──▶    K = H(dh(S,S) dh(E,E) n_c n_s) -> next
 *                                      ◀──    HELLO_ACK {E_s, n_s, tag}  (3x limit)
 *   verify tag, then Established       ──▶    first DATA under K confirms next
 *
 * Differences from the reference that keep the bytes identical: the
 * initiator leaves AwaitingAck only after the tag verifies (Q23) and checks
 * dst_id (Q17); the responder keeps an established session until a new key
 * is confirmed by DATA (Q12), registers its receive CID as soon as it
 * derives the key (Q5), and the static-static DH is computed once per peer.
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"

#include <errno.h>
#include <string.h>

enum {
	HELLO_STATIC = 0,
	HELLO_EPHEMERAL = 32,
	HELLO_NONCE = 64,
	HELLO_COOKIE = 80,
	ACK_EPHEMERAL = 0,
	ACK_NONCE = 32,
	ACK_TAG = 48,
};

static bool is_for_us(const struct engine *e, const struct long_header *h)
{
	return memcmp(h->dst_id, e->id, WIRE_PEER_ID_BYTES) == 0;
}

static void send_hello(struct engine *e, struct peer *p)
{
	uint8_t pkt[WIRE_LONG_HDR_BYTES + WIRE_HELLO_COOKIE_BODY_BYTES];
	uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	size_t body_len = p->ini.has_cookie ? WIRE_HELLO_COOKIE_BODY_BYTES : WIRE_HELLO_BODY_BYTES;
	struct long_header h = {.type = WIRE_TYPE_HELLO, .hop_ttl = 1};

	memcpy(h.src_id, e->id, WIRE_PEER_ID_BYTES);
	memcpy(h.dst_id, p->id, WIRE_PEER_ID_BYTES);
	h.payload_len = (uint16_t)body_len;
	header_long_encode(pkt, &h);
	memcpy(body + HELLO_STATIC, e->pub, WIRE_KEY_BYTES);
	memcpy(body + HELLO_EPHEMERAL, p->ini.eph_pub, WIRE_KEY_BYTES);
	memcpy(body + HELLO_NONCE, p->ini.nonce, WIRE_HS_NONCE_BYTES);
	if (p->ini.has_cookie)
		memcpy(body + HELLO_COOKIE, p->ini.cookie, WIRE_COOKIE_BYTES);
	engine_transmit(e, p, &p->addr, pkt, WIRE_LONG_HDR_BYTES + body_len);
}

/*
 * What HELLO and RESUME_HELLO attempts share: a fresh ephemeral key and
 * client nonce (kept for retransmissions), AwaitingAck, the first retry
 * timer. The ticket fields, for a resumption, are filled by the caller.
 */
void handshake_begin_attempt(struct engine *e, struct peer *p, bool is_resume, uint64_t now_ms)
{
	secret_wipe(&p->ini, sizeof(p->ini));
	p->ini.is_resume = is_resume;
	engine_random(e, p->ini.eph_secret, WIRE_KEY_BYTES);
	x25519_public(p->ini.eph_pub, p->ini.eph_secret);
	engine_random(e, p->ini.nonce, WIRE_HS_NONCE_BYTES);
	p->ini.attempts = 1;
	p->ini.last_sent_ms = now_ms;
	peer_set_state(e, p, PEER_AWAITING_ACK);
	engine_schedule(e, now_ms + ((uint64_t)e->cfg.hs_retry_base_ms << 1));
}

/* Starts a full handshake; a peer holding a live ticket resumes instead (§16.3). */
int handshake_start(struct engine *e, struct peer *p, uint64_t now_ms)
{
	if (!addr_is_set(&p->addr))
		return -EDESTADDRREQ;
	if (resume_can_start(e, p))
		return resume_start(e, p, now_ms);
	handshake_begin_attempt(e, p, false, now_ms);
	send_hello(e, p);
	return 0;
}

/* §9.7: exponential backoff; Q10: a resumption falls back to HELLO at the first timeout. */
void handshake_retransmit(struct engine *e, struct peer *p, uint64_t now_ms)
{
	uint32_t shift = p->ini.attempts < RETRY_SHIFT_MAX ? p->ini.attempts : RETRY_SHIFT_MAX;
	uint64_t due = p->ini.last_sent_ms + ((uint64_t)e->cfg.hs_retry_base_ms << shift);
	struct engine_event ev = {.type = ENGINE_EV_HANDSHAKE_FAILED};

	if (now_ms < due)
		return;
	if (p->ini.attempts >= e->cfg.hs_max_attempts) {
		memcpy(ev.peer_id, p->id, WIRE_PEER_ID_BYTES);
		peer_forget_session(e, p);
		p->is_hs_exhausted = true;
		engine_emit(e, &ev);
		return;
	}
	if (p->ini.is_resume) {
		uint32_t attempts = p->ini.attempts;

		secret_wipe(&p->ticket, sizeof(p->ticket));
		peer_set_state(e, p, PEER_PENDING);
		handshake_start(e, p, now_ms);
		p->ini.attempts = attempts + 1;
		return;
	}
	p->ini.attempts++;
	p->ini.last_sent_ms = now_ms;
	send_hello(e, p);
	shift = p->ini.attempts < RETRY_SHIFT_MAX ? p->ini.attempts : RETRY_SHIFT_MAX;
	engine_schedule(e, now_ms + ((uint64_t)e->cfg.hs_retry_base_ms << shift));
}

static bool cookie_mode(const struct engine *e)
{
	return e->cfg.cookie_always || (e->cfg.cookie_threshold != UINT32_MAX &&
					e->awaiting_count >= e->cfg.cookie_threshold);
}

/* §10.2: stateless, to the claimed src_id at the source address. */
static void send_challenge(struct engine *e, const struct long_header *hello,
			   const struct cookie_input *in)
{
	uint8_t pkt[WIRE_LONG_HDR_BYTES + WIRE_COOKIE_BYTES];
	struct long_header h = {.type = WIRE_TYPE_CHALLENGE, .hop_ttl = 1};

	memcpy(h.src_id, e->id, WIRE_PEER_ID_BYTES);
	memcpy(h.dst_id, hello->src_id, WIRE_PEER_ID_BYTES);
	h.payload_len = WIRE_COOKIE_BYTES;
	header_long_encode(pkt, &h);
	cookie_make(pkt + WIRE_LONG_HDR_BYTES, &e->cookies, in, engine_unix_ms(e) / 1000);
	e->stats.challenges_sent++;
	engine_transmit(e, NULL, in->from, pkt, sizeof(pkt));
}

/* The AEAD associated data of HELLO_ACK and RESUME_ACK (§5.4): canon header || E_s || n_s. */
void handshake_ack_aad(uint8_t aad[WIRE_ACK_AAD_BYTES], const struct long_header *h,
		       const uint8_t *eph_pub, const uint8_t *server_nonce)
{
	uint8_t raw[WIRE_LONG_HDR_BYTES];

	header_long_encode(raw, h);
	header_long_aad(aad, raw);
	memcpy(aad + WIRE_LONG_HDR_BYTES, eph_pub, WIRE_KEY_BYTES);
	memcpy(aad + WIRE_LONG_HDR_BYTES + WIRE_KEY_BYTES, server_nonce, WIRE_HS_NONCE_BYTES);
}

/*
 * The initiator's side of both ACKs (§9.5 step 1, §16.5): the peer named by
 * src_id, in AwaitingAck for the right kind of attempt. Q17: dst_id is
 * checked too. NULL (counted) otherwise.
 */
struct peer *handshake_ack_peer(struct engine *e, const struct long_header *h, bool is_resume)
{
	struct peer *p;

	if (!is_for_us(e, h)) {
		engine_count_drop(e, DROP_NOT_FOR_US);
		return NULL;
	}
	p = peer_find(e, h->src_id);
	if (!p) {
		engine_count_drop(e, DROP_UNKNOWN_PEER);
		return NULL;
	}
	if (p->state != PEER_AWAITING_ACK || p->ini.is_resume != is_resume) {
		engine_count_drop(e, DROP_BAD_STATE);
		return NULL;
	}
	return p;
}

/* Checks an ACK's tag: empty plaintext, AAD = canon header || E_s || n_s (§5.4). */
bool handshake_ack_verify(const uint8_t key[WIRE_KEY_BYTES], const struct long_header *h,
			  const uint8_t *body, uint32_t nonce_seq)
{
	uint8_t aad[WIRE_ACK_AAD_BYTES], nonce[WIRE_AEAD_NONCE_BYTES], empty[1];

	handshake_ack_aad(aad, h, body, body + WIRE_KEY_BYTES);
	header_nonce(nonce, WIRE_DIR_RESPONDER, h->type, nonce_seq);
	return aead_open_once(key, nonce, aad, sizeof(aad),
			      body + WIRE_KEY_BYTES + WIRE_HS_NONCE_BYTES, WIRE_TAG_BYTES, empty);
}

/* §9.3: builds and caches the HELLO_ACK for key K held in p->next. */
static void build_hello_ack(struct engine *e, struct peer *p, const uint8_t *eph_pub,
			    const uint8_t *server_nonce)
{
	uint8_t aad[WIRE_ACK_AAD_BYTES], nonce[WIRE_AEAD_NONCE_BYTES];
	uint8_t *pkt = p->resp.ack, *body = pkt + WIRE_LONG_HDR_BYTES;
	struct long_header h = {.type = WIRE_TYPE_HELLO_ACK, .seq = 1};

	/* Always hop 8 + ROUTED so relays can carry it back (Q3, a wire quirk). */
	h.flags = WIRE_FLAG_ROUTED;
	h.hop_ttl = WIRE_DEFAULT_MESH_TTL;
	memcpy(h.src_id, e->id, WIRE_PEER_ID_BYTES);
	memcpy(h.dst_id, p->id, WIRE_PEER_ID_BYTES);
	h.payload_len = WIRE_HELLO_ACK_BODY_BYTES;
	header_long_encode(pkt, &h);
	memcpy(body + ACK_EPHEMERAL, eph_pub, WIRE_KEY_BYTES);
	memcpy(body + ACK_NONCE, server_nonce, WIRE_HS_NONCE_BYTES);
	handshake_ack_aad(aad, &h, eph_pub, server_nonce);
	header_nonce(nonce, WIRE_DIR_RESPONDER, WIRE_TYPE_HELLO_ACK, 1);
	aead_seal(&p->next.aead, nonce, aad, sizeof(aad), NULL, 0, body + ACK_TAG);
}

/* §9.2 step 7: derive K into p->next. False (nothing changed) on a bad DH. */
static bool derive_responder_key(struct engine *e, struct peer *p, const uint8_t *body,
				 uint64_t now_ms)
{
	uint8_t server_nonce[WIRE_HS_NONCE_BYTES], eph_secret[WIRE_KEY_BYTES];
	uint8_t eph_pub[WIRE_KEY_BYTES], eph_dh[WIRE_KEY_BYTES], key[WIRE_KEY_BYTES];
	bool ok = false;

	if (!static_dh_get(e, p))
		return false;
	engine_random(e, server_nonce, sizeof(server_nonce));
	engine_random(e, eph_secret, sizeof(eph_secret));
	x25519_public(eph_pub, eph_secret);
	if (!x25519_shared(eph_dh, eph_secret, body + HELLO_EPHEMERAL))
		goto out_wipe;
	kdf_session_key(key, p->static_dh, eph_dh, body + HELLO_NONCE, server_nonce);
	epoch_clear(e, &p->next);
	if (epoch_install(&p->next, key, WIRE_DIR_RESPONDER, now_ms) != 0)
		goto out_wipe;
	epoch_derive_cids(&p->next);
	cid_register(e, p, &p->next); /* Q5: short DATA can confirm the key */
	build_hello_ack(e, p, eph_pub, server_nonce);
	ok = true;
out_wipe:
	secret_wipe(eph_secret, sizeof(eph_secret));
	secret_wipe(eph_dh, sizeof(eph_dh));
	secret_wipe(key, sizeof(key));
	return ok;
}

/* Step 4 of §9.2: the peer is named by the key in the body, not by src_id. */
static struct peer *hello_peer(struct engine *e, const uint8_t *static_pub,
			       const struct net_addr *from, bool *is_new)
{
	uint8_t id[WIRE_PEER_ID_BYTES];
	struct peer *p;

	kdf_peer_id(id, static_pub);
	p = peer_find(e, id);
	if (p) {
		if (memcmp(p->pub, static_pub, WIRE_KEY_BYTES) != 0) {
			engine_count_drop(e, DROP_UNKNOWN_PEER);
			return NULL;
		}
		return p;
	}
	if (!e->cfg.accept_any_peer) {
		engine_count_drop(e, DROP_UNKNOWN_PEER);
		return NULL;
	}
	p = peer_create(e, static_pub, true);
	if (!p) {
		engine_count_drop(e, DROP_PEER_LIMIT);
		return NULL;
	}
	p->addr = *from;
	*is_new = true;
	return p;
}

static void send_ack(struct engine *e, struct peer *p, size_t hello_len)
{
	struct amp_budget *b = amp_budget_for(p, &p->resp.ack_to);

	if (b && b->rx_bytes < UINT64_MAX - hello_len)
		b->rx_bytes += hello_len;
	engine_transmit(e, p, &p->resp.ack_to, p->resp.ack, sizeof(p->resp.ack));
}

void handshake_on_hello(struct engine *e, uint64_t now_ms, const struct long_header *h,
			const uint8_t *pkt, size_t len, const struct net_addr *from)
{
	const uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	struct cookie_input in = {from, body + HELLO_STATIC, body + HELLO_EPHEMERAL,
				  body + HELLO_NONCE};
	enum cookie_verdict v;
	bool is_new = false;
	struct peer *p;

	/* 1-2: addressed to us, no all-zero keys (Q21). */
	if (!is_for_us(e, h))
		return engine_count_drop(e, DROP_NOT_FOR_US);
	if (secret_is_zero(in.static_pub, WIRE_KEY_BYTES) ||
	    secret_is_zero(in.ephemeral_pub, WIRE_KEY_BYTES))
		return engine_count_drop(e, DROP_AUTH);
	/* 3: under load, no state and no X25519 before a valid cookie. */
	if (cookie_mode(e)) {
		v = cookie_check(&e->cookies, &in,
				 len >= WIRE_LONG_HDR_BYTES + WIRE_HELLO_COOKIE_BODY_BYTES
					 ? body + HELLO_COOKIE
					 : NULL,
				 engine_unix_ms(e) / 1000, e->cfg.cookie_max_age_s);
		if (v != COOKIE_VALID) {
			if (v != COOKIE_MISSING)
				engine_count_drop(e, DROP_COOKIE);
			return send_challenge(e, h, &in);
		}
	}
	/* 4: who is it. */
	p = hello_peer(e, in.static_pub, from, &is_new);
	if (!p)
		return;
	/* 5: both sides sent HELLO: the greater static key keeps its own attempt. */
	if (p->state == PEER_AWAITING_ACK) {
		if (memcmp(e->pub, p->pub, WIRE_KEY_BYTES) > 0)
			return engine_count_drop(e, DROP_HELLO_IGNORED);
		secret_wipe(&p->ini, sizeof(p->ini));
		peer_set_state(e, p, PEER_PENDING);
	}
	/* 6: a retransmitted HELLO gets the cached ACK, no new key. */
	if (p->next.is_set && memcmp(p->resp.client_nonce, in.client_nonce, 16) == 0)
		return send_ack(e, p, len);
	/* Q12: the HELLO that built the current session, replayed, changes nothing. */
	if (p->state == PEER_ESTABLISHED && p->resp.has_last_nonce &&
	    memcmp(p->resp.last_nonce, in.client_nonce, 16) == 0)
		return engine_count_drop(e, DROP_HELLO_IGNORED);
	/* 7: key agreement into p->next. */
	if (!derive_responder_key(e, p, body, now_ms)) {
		/* A peer made for this HELLO alone must not outlive it (table exhaustion). */
		if (is_new)
			peer_destroy(e, p);
		return engine_count_drop(e, DROP_AUTH);
	}
	memcpy(p->resp.client_nonce, in.client_nonce, WIRE_HS_NONCE_BYTES);
	p->resp.ack_to = *from;
	p->resp.started_ms = now_ms;
	memset(&p->resp.amp, 0, sizeof(p->resp.amp));
	if (p->state != PEER_ESTABLISHED) {
		/* No session to protect: this key is the session (AwaitingData). */
		peer_tx_reset(p, 1);
		p->epoch_ms = now_ms;
		if (p->coalesce)
			coalesce_reset(p->coalesce);
		if (!addr_equal(&p->addr, from) || !p->is_addr_validated) {
			p->addr = *from;
			p->is_addr_validated = false;
			memset(&p->amp, 0, sizeof(p->amp));
		}
		peer_set_state(e, p, PEER_AWAITING_DATA);
	}
	engine_schedule(e, now_ms + e->cfg.awaiting_data_timeout_ms);
	/* 8: send within the amplification budget of the address. */
	send_ack(e, p, len);
}

void handshake_established(struct engine *e, struct peer *p, uint64_t now_ms, bool is_resumed)
{
	struct engine_event ev = {.type = ENGINE_EV_ESTABLISHED, .is_resumed = is_resumed};

	peer_set_state(e, p, PEER_ESTABLISHED);
	p->is_hs_exhausted = false;
	p->is_resumed = is_resumed;
	p->is_rekey_pending = false;
	p->last_handshake_ms = now_ms;
	if (p->cur.has_cids) {
		p->last_cids.is_set = true;
		p->last_cids.rx = p->cur.rx_cid;
		p->last_cids.tx = p->cur.tx_cid;
	}
	e->stats.handshakes_completed++;
	if (e->cfg.rtt_probe_interval_ms) {
		p->next_ping_ms = now_ms + e->cfg.rtt_probe_interval_ms;
		engine_schedule(e, p->next_ping_ms);
	}
	memcpy(ev.peer_id, p->id, WIRE_PEER_ID_BYTES);
	ev.addr = p->addr;
	engine_emit(e, &ev);
	data_flush_queue(e, p, now_ms);
}

/* §9.5, verifying before any state changes (Q23). */
void handshake_on_hello_ack(struct engine *e, uint64_t now_ms, const struct long_header *h,
			    const uint8_t *pkt, size_t len, const struct net_addr *from)
{
	const uint8_t *body = pkt + WIRE_LONG_HDR_BYTES;
	uint8_t eph_dh[WIRE_KEY_BYTES], key[WIRE_KEY_BYTES];
	struct peer *p = handshake_ack_peer(e, h, false);
	bool ok;

	(void)len;
	(void)from;
	if (!p)
		return;
	if (!static_dh_get(e, p) || !x25519_shared(eph_dh, p->ini.eph_secret, body + ACK_EPHEMERAL))
		return engine_count_drop(e, DROP_AUTH);
	kdf_session_key(key, p->static_dh, eph_dh, p->ini.nonce, body + ACK_NONCE);
	secret_wipe(eph_dh, sizeof(eph_dh));
	/* The tag is checked with seq 1, the constant, whatever the header says (Q2). */
	if (!handshake_ack_verify(key, h, body, 1)) {
		secret_wipe(key, sizeof(key));
		return engine_count_drop(e, DROP_AUTH);
	}
	/* Verified: the new key replaces whatever session there was. */
	epoch_clear(e, &p->cur);
	epoch_clear(e, &p->prev);
	ok = epoch_install(&p->cur, key, WIRE_DIR_INITIATOR, now_ms) == 0;
	secret_wipe(key, sizeof(key));
	if (!ok)
		return engine_count_drop(e, DROP_AUTH);
	epoch_derive_cids(&p->cur);
	cid_register(e, p, &p->cur);
	rtt_sample(&p->rtt, (now_ms - p->ini.last_sent_ms) * 1000);
	secret_wipe(&p->ini, sizeof(p->ini));
	peer_tx_reset(p, 1);
	p->epoch_ms = now_ms;
	if (p->coalesce)
		coalesce_reset(p->coalesce);
	p->is_addr_validated = true;
	handshake_established(e, p, now_ms, false);
}

/* §10.3: store the cookie and resend at once. */
void handshake_on_challenge(struct engine *e, uint64_t now_ms, const struct long_header *h,
			    const uint8_t *pkt, size_t len)
{
	struct peer *p;

	(void)len;
	if (!is_for_us(e, h))
		return engine_count_drop(e, DROP_NOT_FOR_US);
	p = peer_find(e, h->src_id);
	if (!p)
		return engine_count_drop(e, DROP_UNKNOWN_PEER);
	if (p->state != PEER_AWAITING_ACK || p->ini.is_resume)
		return engine_count_drop(e, DROP_BAD_STATE);
	memcpy(p->ini.cookie, pkt + WIRE_LONG_HDR_BYTES, WIRE_COOKIE_BYTES);
	p->ini.has_cookie = true;
	p->ini.last_sent_ms = now_ms;
	send_hello(e, p);
}

/* §9.6: the first DATA under p->next makes it the session. */
void handshake_confirm_responder(struct engine *e, struct peer *p, uint64_t now_ms,
				 const struct net_addr *from)
{
	if (p->cur.is_set) {
		/* A re-handshake: the old key stays readable for the grace period. */
		epoch_move(e, &p->prev, &p->cur, p);
		p->prev.installed_ms = now_ms;
		peer_tx_reset(p, 1);
		p->epoch_ms = p->next.installed_ms;
		if (p->coalesce)
			coalesce_reset(p->coalesce); /* §12.4: cleared on handshake */
	}
	epoch_move(e, &p->cur, &p->next, p);
	p->addr = *from;
	p->is_addr_validated = true;
	memset(&p->amp, 0, sizeof(p->amp));
	memcpy(p->resp.last_nonce, p->resp.client_nonce, WIRE_HS_NONCE_BYTES);
	p->resp.has_last_nonce = true;
	handshake_established(e, p, now_ms, false);
	resume_issue_ticket(e, p, now_ms);
}
