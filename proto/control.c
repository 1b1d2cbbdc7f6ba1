/* SPDX-License-Identifier: MIT */
/*
 * Sealed control packets (WIRE.md §14, §15, §17, §18): rekey, close, path
 * validation, ping/pong, plus receipt of resumption tickets, and the
 * per-peer timers that drive them.
 *
 * Every sealed control packet shares the per-epoch tx counter with DATA, so
 * the receive replay window covers them too: a captured CLOSE or
 * PATH_CHALLENGE cannot be replayed (WIRE.md §24 Q7), and honest peers,
 * the reference included, never reuse a seq within an epoch.
 */
#include "proto/engine_impl.h"

#include "crypto/kdf.h"
#include "crypto/secret.h"

#include <errno.h>
#include <string.h>

void rtt_sample(struct rtt_estimate *r, uint64_t sample_us)
{
	/* RFC 6298 form (§18.2): rttvar uses the old srtt. */
	if (!r->has_sample) {
		r->srtt_us = sample_us;
		r->rttvar_us = sample_us / 2;
		r->has_sample = true;
		return;
	}
	uint64_t diff = r->srtt_us > sample_us ? r->srtt_us - sample_us : sample_us - r->srtt_us;

	r->rttvar_us = (3 * r->rttvar_us + diff) / 4;
	r->srtt_us = (7 * r->srtt_us + sample_us) / 8;
}

static void emit_simple(struct engine *e, struct peer *p, enum engine_event_type type)
{
	struct engine_event ev = {.type = type};

	memcpy(ev.peer_id, p->id, WIRE_PEER_ID_BYTES);
	ev.addr = p->addr;
	engine_emit(e, &ev);
}

/*
 * Installs K' as cur with fresh CIDs. With `keep_old` the current key moves
 * to prev for the grace period (a normal rekey); without, it is dropped and
 * prev stays as it is (adopting the winner of crossed rekeys).
 */
static int install_rekeyed(struct engine *e, struct peer *p, const uint8_t key[WIRE_KEY_BYTES],
			   uint8_t tx_dir, bool keep_old, uint64_t now_ms)
{
	struct key_epoch fresh;

	if (epoch_install(&fresh, key, tx_dir, now_ms) != 0)
		return -ENOMEM;
	if (keep_old) {
		epoch_move(e, &p->prev, &p->cur, p);
		p->prev.installed_ms = now_ms;
	}
	epoch_move(e, &p->cur, &fresh, p);
	epoch_derive_cids(&p->cur);
	cid_register(e, p, &p->cur);
	p->last_cids.is_set = true;
	p->last_cids.rx = p->cur.rx_cid;
	p->last_cids.tx = p->cur.tx_cid;
	peer_tx_reset(p, 1);
	p->epoch_ms = now_ms;
	p->is_rekey_pending = false;
	e->stats.rekeys++;
	emit_simple(e, p, ENGINE_EV_REKEYED);
	return 0;
}

/* §14.1: the request goes out under the old key; we switch at once. */
int control_rekey(struct engine *e, struct peer *p, uint64_t now_ms)
{
	uint8_t salt[WIRE_REKEY_SALT_BYTES], key[WIRE_KEY_BYTES];
	int rc;

	if (p->state != PEER_ESTABLISHED)
		return -ENOTCONN;
	engine_random(e, salt, sizeof(salt));
	rc = send_sealed(e, p, now_ms, WIRE_TYPE_REKEY_REQUEST, salt, sizeof(salt), NULL);
	if (rc == 0) {
		kdf_rekey(key, p->cur.key, salt);
		rc = install_rekeyed(e, p, key, WIRE_DIR_INITIATOR, true, now_ms);
		p->is_rekey_pending = rc == 0;
	}
	secret_wipe(salt, sizeof(salt));
	secret_wipe(key, sizeof(key));
	return rc;
}

static void on_rekey_request(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *salt)
{
	uint8_t key[WIRE_KEY_BYTES];

	if (p->state != PEER_ESTABLISHED)
		return engine_count_drop(e, DROP_BAD_STATE);
	kdf_rekey(key, p->cur.key, salt);
	if (install_rekeyed(e, p, key, WIRE_DIR_RESPONDER, true, now_ms) == 0)
		send_sealed(e, p, now_ms, WIRE_TYPE_REKEY_ACK, NULL, 0, NULL);
	secret_wipe(key, sizeof(key));
}

/*
 * Both sides sent REKEY_REQUEST at once: each switched to its own K' and
 * can open the other's request only with the key it just retired. Left
 * alone (as in the reference, §14.2) they end on different keys for good.
 * Tie-break as for dual HELLOs: the greater static key's rekey stands; the
 * other side drops its own K' and derives the winner's from the old key.
 */
static void on_crossed_rekey(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *salt)
{
	uint8_t key[WIRE_KEY_BYTES];

	if (memcmp(e->pub, p->pub, WIRE_KEY_BYTES) > 0)
		return engine_count_drop(e, DROP_REKEY_CROSSED);
	kdf_rekey(key, p->prev.key, salt);
	/* Our own K' goes; prev keeps the old key for the grace period. */
	if (install_rekeyed(e, p, key, WIRE_DIR_RESPONDER, false, now_ms) == 0)
		send_sealed(e, p, now_ms, WIRE_TYPE_REKEY_ACK, NULL, 0, NULL);
	secret_wipe(key, sizeof(key));
}

/* §15: sent once; both sides forget the session, an automatic peer entirely. */
static void forget(struct engine *e, struct peer *p)
{
	emit_simple(e, p, ENGINE_EV_CLOSED);
	if (p->is_auto)
		peer_destroy(e, p);
	else
		peer_forget_session(e, p);
}

int control_close(struct engine *e, struct peer *p, uint64_t now_ms)
{
	if (!tx_epoch(p))
		return -ENOTCONN;
	send_sealed(e, p, now_ms, WIRE_TYPE_CLOSE, NULL, 0, NULL);
	forget(e, p);
	return 0;
}

int control_ping(struct engine *e, struct peer *p, uint64_t now_ms)
{
	int rc;

	if (p->state != PEER_ESTABLISHED)
		return -ENOTCONN;
	engine_random(e, p->ping_nonce, sizeof(p->ping_nonce));
	rc = send_sealed(e, p, now_ms, WIRE_TYPE_PING, p->ping_nonce, sizeof(p->ping_nonce), NULL);
	if (rc == 0) {
		p->is_ping_outstanding = true;
		p->ping_sent_ms = now_ms;
	}
	return rc;
}

static void send_probe(struct engine *e, struct peer *p, uint64_t now_ms)
{
	p->probe.last_sent_ms = now_ms;
	send_sealed(e, p, now_ms, WIRE_TYPE_PATH_CHALLENGE, p->probe.challenge,
		    sizeof(p->probe.challenge), &p->probe.candidate);
	engine_schedule(e, now_ms + PATH_PROBE_RETRY_MS);
}

static void start_probe(struct engine *e, struct peer *p, uint64_t now_ms,
			const struct net_addr *candidate, bool is_trusted, size_t rx_credit)
{
	memset(&p->probe, 0, sizeof(p->probe));
	p->probe.is_active = true;
	p->probe.is_trusted = is_trusted;
	p->probe.candidate = *candidate;
	p->probe.started_ms = now_ms;
	p->probe.amp.rx_bytes = rx_credit;
	engine_random(e, p->probe.challenge, sizeof(p->probe.challenge));
	send_probe(e, p, now_ms);
}

/* §17.2: refused while a probe to another candidate is younger than 3 s. */
int control_probe(struct engine *e, struct peer *p, uint64_t now_ms,
		  const struct net_addr *candidate)
{
	if (p->state != PEER_ESTABLISHED)
		return -ENOTCONN;
	if (p->probe.is_active && !addr_equal(&p->probe.candidate, candidate) &&
	    now_ms - p->probe.started_ms < PATH_PROBE_TIMEOUT_MS)
		return -EBUSY;
	start_probe(e, p, now_ms, candidate, true, 0);
	return 0;
}

/* §17.1: authenticated DATA from a new source keeps flowing; the path is probed. */
void control_on_new_source(struct engine *e, struct peer *p, uint64_t now_ms,
			   const struct net_addr *from, size_t rx_len)
{
	struct path_probe *pr = &p->probe;

	if (pr->is_active && addr_equal(&pr->candidate, from)) {
		pr->amp.rx_bytes += rx_len;
		if (now_ms - pr->last_sent_ms < PATH_PROBE_RETRY_MS)
			return;
		if (now_ms - pr->started_ms < PATH_PROBE_TIMEOUT_MS)
			return send_probe(e, p, now_ms);
	}
	start_probe(e, p, now_ms, from, false, rx_len);
}

static void on_path_response(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *pt,
			     const struct net_addr *from)
{
	struct path_probe *pr = &p->probe;

	if (!pr->is_active)
		return engine_count_drop(e, DROP_PATH);
	if (now_ms - pr->started_ms > PATH_PROBE_TIMEOUT_MS) {
		memset(pr, 0, sizeof(*pr));
		return engine_count_drop(e, DROP_PATH);
	}
	if (!addr_equal(from, &pr->candidate) ||
	    !secret_equal(pt, pr->challenge, WIRE_PATH_CHALLENGE_BYTES))
		return engine_count_drop(e, DROP_PATH);
	rtt_sample(&p->rtt, (now_ms - pr->started_ms) * 1000);
	p->addr = pr->candidate;
	p->is_addr_validated = true;
	memset(pr, 0, sizeof(*pr));
	emit_simple(e, p, ENGINE_EV_MIGRATED);
}

/* Plaintext size each sealed control type must have. */
static size_t control_pt_len(uint8_t type)
{
	switch (type) {
	case WIRE_TYPE_PATH_CHALLENGE:
	case WIRE_TYPE_PATH_RESPONSE:
		return WIRE_PATH_CHALLENGE_BYTES;
	case WIRE_TYPE_REKEY_REQUEST:
		return WIRE_REKEY_SALT_BYTES;
	case WIRE_TYPE_RESUMPTION_TICKET:
		return WIRE_TICKET_PLAINTEXT_BYTES;
	case WIRE_TYPE_PING:
	case WIRE_TYPE_PONG:
		return WIRE_PING_NONCE_BYTES;
	default:
		return 0; /* CLOSE, REKEY_ACK */
	}
}

void control_on_sealed(struct engine *e, uint64_t now_ms, const struct long_header *h,
		       const uint8_t *pkt, size_t len, const struct net_addr *from)
{
	uint8_t pt[WIRE_TICKET_PLAINTEXT_BYTES + WIRE_REKEY_SALT_BYTES];
	struct key_epoch *k = NULL;
	struct peer *p;

	if (memcmp(h->dst_id, e->id, WIRE_PEER_ID_BYTES) != 0)
		return engine_count_drop(e, DROP_NOT_FOR_US);
	p = peer_find(e, h->src_id);
	if (!p)
		return engine_count_drop(e, DROP_UNKNOWN_PEER);
	if (!p->cur.is_set)
		return engine_count_drop(e, DROP_NO_SESSION);
	if (len - WIRE_LONG_HDR_BYTES - WIRE_TAG_BYTES != control_pt_len(h->type))
		return engine_count_drop(e, DROP_MALFORMED);
	if (replay_check(&p->cur.replay, h->seq) && open_long(&p->cur, pkt, len, pt))
		k = &p->cur;
	/* A ticket may still be sealed under the key a rekey just retired (§16.2). */
	else if (h->type == WIRE_TYPE_RESUMPTION_TICKET && p->prev.is_set &&
		 replay_check(&p->prev.replay, h->seq) && open_long(&p->prev, pkt, len, pt))
		k = &p->prev;
	/* A peer's REKEY_REQUEST that crossed ours is sealed with the key we just retired. */
	else if (h->type == WIRE_TYPE_REKEY_REQUEST && p->is_rekey_pending &&
		 epoch_prev_is_live(p, now_ms) && replay_check(&p->prev.replay, h->seq) &&
		 open_long(&p->prev, pkt, len, pt))
		k = &p->prev;
	if (!k)
		return engine_count_drop(e, replay_check(&p->cur.replay, h->seq) ? DROP_AUTH
										 : DROP_REPLAY);
	replay_commit(&k->replay, h->seq);
	p->rx_control_packets++;

	switch (h->type) {
	case WIRE_TYPE_PATH_CHALLENGE:
		send_sealed(e, p, now_ms, WIRE_TYPE_PATH_RESPONSE, pt, WIRE_PATH_CHALLENGE_BYTES,
			    from);
		break;
	case WIRE_TYPE_PATH_RESPONSE:
		on_path_response(e, p, now_ms, pt, from);
		break;
	case WIRE_TYPE_CLOSE:
		forget(e, p);
		break;
	case WIRE_TYPE_REKEY_REQUEST:
		if (k == &p->prev)
			on_crossed_rekey(e, p, now_ms, pt);
		else
			on_rekey_request(e, p, now_ms, pt);
		break;
	case WIRE_TYPE_REKEY_ACK:
		p->is_rekey_pending = false; /* the requester switched already (§14.3) */
		break;
	case WIRE_TYPE_RESUMPTION_TICKET:
		if (p->state == PEER_ESTABLISHED)
			resume_on_ticket(e, p, k, pt);
		break;
	case WIRE_TYPE_PING:
		send_sealed(e, p, now_ms, WIRE_TYPE_PONG, pt, WIRE_PING_NONCE_BYTES, from);
		break;
	case WIRE_TYPE_PONG:
		if (p->is_ping_outstanding &&
		    secret_equal(pt, p->ping_nonce, WIRE_PING_NONCE_BYTES)) {
			p->is_ping_outstanding = false;
			rtt_sample(&p->rtt, (now_ms - p->ping_sent_ms) * 1000);
		}
		break;
	}
	secret_wipe(pt, sizeof(pt));
}

/* Per-peer timers; may destroy an automatic peer (the caller iterates safely). */
void control_timers(struct engine *e, struct peer *p, uint64_t now_ms)
{
	if (p->prev.is_set && !epoch_prev_is_live(p, now_ms))
		epoch_clear(e, &p->prev);
	if (p->probe.is_active) {
		if (now_ms - p->probe.started_ms > PATH_PROBE_TIMEOUT_MS)
			memset(&p->probe, 0, sizeof(p->probe));
		else if (now_ms - p->probe.last_sent_ms >= PATH_PROBE_RETRY_MS)
			send_probe(e, p, now_ms);
	}
	if (p->state == PEER_ESTABLISHED && e->cfg.rtt_probe_interval_ms &&
	    now_ms >= p->next_ping_ms) {
		control_ping(e, p, now_ms);
		p->next_ping_ms = now_ms + e->cfg.rtt_probe_interval_ms;
	}
	if (p->state == PEER_AWAITING_ACK)
		handshake_retransmit(e, p, now_ms);
	/* §9.6: an unconfirmed responder key expires after awaiting_data_timeout. */
	if (p->next.is_set && now_ms - p->resp.started_ms >= e->cfg.awaiting_data_timeout_ms) {
		if (p->state != PEER_AWAITING_DATA)
			epoch_clear(e, &p->next);
		else if (p->is_auto)
			peer_destroy(e, p);
		else
			peer_forget_session(e, p);
	}
}
