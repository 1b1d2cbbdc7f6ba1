/* SPDX-License-Identifier: MIT */
/*
 * DATA in both forms (WIRE.md §6, §12) and the pre-handshake queue.
 *
 * Receive pipeline, long and short alike: find the candidate key epochs →
 * replay pre-check → AEAD open → replay commit (only now, after the tag) →
 * deadline and coalescing (long form) → confirm a pending responder key →
 * address checks → deliver. A short header's CID may be shared by several
 * epochs (Q6): candidates whose peer address equals the source are tried
 * first, then the rest by trial decryption, and the extra work is counted.
 */
#include "proto/engine_impl.h"

#include "crypto/secret.h"
#include "internal/bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int enqueue(struct engine *e, struct peer *p, const uint8_t *payload, size_t len,
		   uint16_t deadline_ms, uint32_t supersedes)
{
	struct queued_payload *q;

	if (p->queue_len >= e->cfg.queue_cap)
		return -ENOBUFS;
	q = malloc(sizeof(*q) + len);
	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->len = (uint16_t)len;
	q->deadline_ms = deadline_ms;
	q->supersedes = supersedes;
	if (len)
		memcpy(q->data, payload, len);
	if (p->queue_tail)
		p->queue_tail->next = q;
	else
		p->queue_head = q;
	p->queue_tail = q;
	p->queue_len++;
	return 0;
}

static int send_short(struct engine *e, struct peer *p, const uint8_t *payload, size_t len)
{
	uint8_t pkt[WIRE_MAX_PACKET_BYTES], nonce[WIRE_AEAD_NONCE_BYTES];
	struct short_header sh = {.cid = p->cur.tx_cid};

	if (!peer_tx_take(p, &sh.seq))
		return -ERANGE;
	header_short_encode(pkt, &sh);
	header_nonce(nonce, p->cur.tx_dir, WIRE_TYPE_DATA, sh.seq);
	/* AAD = the 7 header bytes exactly as on the wire (§6.1). */
	if (aead_seal(&p->cur.aead, nonce, pkt, WIRE_SHORT_HDR_BYTES, payload, len,
		      pkt + WIRE_SHORT_HDR_BYTES))
		return -EIO;
	engine_transmit(e, p, &p->addr, pkt, WIRE_SHORT_HDR_BYTES + len + WIRE_TAG_BYTES);
	return 0;
}

static int send_long(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *payload,
		     size_t len, uint16_t deadline_ms, uint32_t supersedes)
{
	struct long_header h;

	header_for_peer(e, p, &h, WIRE_TYPE_DATA, now_ms);
	h.deadline_ms = deadline_ms;
	h.supersedes = supersedes;
	if (supersedes)
		h.flags |= WIRE_FLAG_COALESCE;
	return seal_and_send(e, p, &h, payload, len, NULL);
}

int data_send(struct engine *e, struct peer *p, uint64_t now_ms, const uint8_t *payload, size_t len,
	      uint16_t deadline_ms, uint32_t supersedes, bool force_long)
{
	size_t wire_len = WIRE_LONG_HDR_BYTES + len + WIRE_TAG_BYTES;
	int rc;

	if (len > WIRE_MAX_PAYLOAD_BYTES)
		return -EMSGSIZE;
	if (p->state == PEER_ESTABLISHED && peer_tx_peek(p) >= WIRE_AUTO_REKEY_THRESHOLD) {
		rc = control_rekey(e, p, now_ms);
		if (rc)
			return rc;
	}
	/* Older payloads first: a new one never overtakes the queue. */
	if (p->queue_head && tx_epoch(p))
		data_flush_queue(e, p, now_ms);
	/* No keys yet, or an unvalidated address out of budget: keep it for later. */
	if (!tx_epoch(p) || p->queue_head || !amp_allows(p, &p->addr, wire_len)) {
		if (p->is_hs_exhausted) {
			p->is_hs_exhausted = false;
			return -EPIPE;
		}
		rc = enqueue(e, p, payload, len, deadline_ms, supersedes);
		if (rc == 0 && p->state == PEER_PENDING && p->is_initiator)
			rc = handshake_start(e, p, now_ms);
		return rc;
	}
	/* §6.3: the short form needs a CID and nothing a short header cannot say. */
	if (!force_long && p->state == PEER_ESTABLISHED && p->cur.has_cids &&
	    !p->cur.is_inherited_cids && !deadline_ms && !supersedes)
		return send_short(e, p, payload, len);
	return send_long(e, p, now_ms, payload, len, deadline_ms, supersedes);
}

/* Queued payloads go out as long-header DATA, in order (§9.5 step 6). */
void data_flush_queue(struct engine *e, struct peer *p, uint64_t now_ms)
{
	struct queued_payload *q;

	while ((q = p->queue_head)) {
		size_t wire_len = WIRE_LONG_HDR_BYTES + q->len + WIRE_TAG_BYTES;

		if (!tx_epoch(p) || !amp_allows(p, &p->addr, wire_len))
			return;
		p->queue_head = q->next;
		if (!p->queue_head)
			p->queue_tail = NULL;
		p->queue_len--;
		send_long(e, p, now_ms, q->data, q->len, q->deadline_ms, q->supersedes);
		secret_wipe(q->data, q->len);
		free(q);
	}
}

/* Steps after authentication, shared by both forms. */
static void accept_data(struct engine *e, uint64_t now_ms, struct peer *p, struct key_epoch *k,
			const struct net_addr *from, uint32_t seq, uint32_t supersedes,
			const uint8_t *payload, size_t len, size_t wire_len)
{
	struct engine_event ev = {.type = ENGINE_EV_DATA};

	if (k == &p->next) {
		handshake_confirm_responder(e, p, now_ms, from);
	} else if (addr_equal(from, &p->addr)) {
		if (!p->is_addr_validated) {
			/* An authenticated, fresh DATA from the address validates it. */
			p->is_addr_validated = true;
			memset(&p->amp, 0, sizeof(p->amp));
			data_flush_queue(e, p, now_ms);
		}
	} else if (p->state == PEER_ESTABLISHED) {
		control_on_new_source(e, p, now_ms, from, wire_len);
	}
	p->rx_packets++;
	p->rx_bytes += len;
	e->stats.delivered++;
	memcpy(ev.peer_id, p->id, WIRE_PEER_ID_BYTES);
	ev.payload = payload;
	ev.payload_len = len;
	ev.seq = seq;
	ev.supersedes = supersedes;
	ev.addr = *from;
	engine_emit(e, &ev);
}

/* rx candidates in order: cur, prev within its grace, an unconfirmed next. */
static int rx_epochs(struct engine *e, struct peer *p, uint64_t now_ms, struct key_epoch **out)
{
	int n = 0;

	if (p->prev.is_set && !epoch_prev_is_live(p, now_ms))
		epoch_clear(e, &p->prev);
	if (p->cur.is_set)
		out[n++] = &p->cur;
	if (p->prev.is_set)
		out[n++] = &p->prev;
	if (p->next.is_set)
		out[n++] = &p->next;
	return n;
}

void data_on_long(struct engine *e, uint64_t now_ms, const struct long_header *h,
		  const uint8_t *pkt, size_t len, const struct net_addr *from)
{
	uint8_t pt[WIRE_MAX_PACKET_BYTES];
	size_t pt_len = len - WIRE_LONG_HDR_BYTES - WIRE_TAG_BYTES;
	struct key_epoch *cand[3], *k = NULL;
	bool saw_replay = false;
	struct peer *p;
	uint64_t epoch;
	int n;

	if (memcmp(h->dst_id, e->id, WIRE_PEER_ID_BYTES) != 0)
		return engine_count_drop(e, DROP_NOT_FOR_US);
	p = peer_find(e, h->src_id);
	if (!p)
		return engine_count_drop(e, DROP_UNKNOWN_PEER);
	n = rx_epochs(e, p, now_ms, cand);
	if (!n)
		return engine_count_drop(e, DROP_NO_SESSION);
	for (int i = 0; i < n && !k; i++) {
		if (!replay_check(&cand[i]->replay, h->seq)) {
			saw_replay = true;
			continue;
		}
		if (open_long(cand[i], pkt, len, pt))
			k = cand[i];
	}
	if (!k)
		return engine_count_drop(e, saw_replay ? DROP_REPLAY : DROP_AUTH);
	replay_commit(&k->replay, h->seq);
	/*
	 * §12.3: deliver only while now <= epoch + send_time + deadline. A
	 * packet under an unconfirmed key (a re-handshake) belongs to that new
	 * session: its epoch and a fresh coalescing table, not the old ones.
	 */
	epoch = k == &p->next ? k->installed_ms : p->epoch_ms;
	if (h->deadline_ms && epoch &&
	    now_ms > epoch + (uint64_t)h->send_time_ms + h->deadline_ms) {
		engine_count_drop(e, DROP_DEADLINE);
		goto out_wipe;
	}
	if (h->supersedes) {
		if (!p->coalesce)
			p->coalesce = calloc(1, sizeof(*p->coalesce));
		else if (k == &p->next && p->state == PEER_ESTABLISHED)
			coalesce_reset(p->coalesce);
		if (!p->coalesce || !coalesce_admit(p->coalesce, h->supersedes, h->seq)) {
			engine_count_drop(e, DROP_SUPERSEDED);
			goto out_wipe;
		}
	}
	accept_data(e, now_ms, p, k, from, h->seq, h->supersedes, pt, pt_len, len);
out_wipe:
	secret_wipe(pt, pt_len);
}

static bool open_short(struct key_epoch *k, const uint8_t *pkt, size_t len, uint32_t seq,
		       uint8_t *pt)
{
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES];

	header_nonce(nonce, k->tx_dir ^ 1, WIRE_TYPE_DATA, seq);
	return aead_open(&k->aead, nonce, pkt, WIRE_SHORT_HDR_BYTES, pkt + WIRE_SHORT_HDR_BYTES,
			 len - WIRE_SHORT_HDR_BYTES, pt);
}

/* Tries one CID entry; true if it authenticated the packet. */
static bool try_link(uint64_t now_ms, struct cid_link *l, const uint8_t *pkt, size_t len,
		     uint32_t seq, uint8_t *pt, bool *saw_replay)
{
	struct key_epoch *k = l->epoch;
	struct peer *p = l->peer;

	if (k == &p->prev && !epoch_prev_is_live(p, now_ms))
		return false;
	if (!replay_check(&k->replay, seq)) {
		*saw_replay = true;
		return false;
	}
	if (!open_short(k, pkt, len, seq, pt))
		return false;
	replay_commit(&k->replay, seq);
	return true;
}

void data_on_short(struct engine *e, uint64_t now_ms, const uint8_t *pkt, size_t len,
		   const struct net_addr *from)
{
	uint8_t pt[WIRE_MAX_PACKET_BYTES];
	size_t pt_len = len - WIRE_SHORT_HDR_BYTES - WIRE_TAG_BYTES;
	uint16_t cid = load_be16(pkt + 1);
	uint32_t seq = load_be32(pkt + 3);
	struct cid_link *head = cid_lookup(e, cid), *l, *hit = NULL;
	bool saw_replay = false;
	unsigned tried = 0;

	if (!head)
		return engine_count_drop(e, DROP_UNKNOWN_CID);
	/* Pass 1: entries whose peer sits at this source address. Pass 2: the others. */
	for (int pass = 0; pass < 2 && !hit; pass++) {
		for (l = head; l && !hit; l = l->next) {
			if (addr_equal(&l->peer->addr, from) != (pass == 0))
				continue;
			tried++;
			if (try_link(now_ms, l, pkt, len, seq, pt, &saw_replay))
				hit = l;
		}
	}
	if (tried > 1 || (hit && head->next))
		e->stats.cid_collisions++;
	if (!hit)
		return engine_count_drop(e, saw_replay ? DROP_REPLAY : DROP_AUTH);
	/* The peer sends with the CIDs a resumption carried over, so it has them: we may too. */
	if (hit->epoch == &hit->peer->cur)
		hit->peer->cur.is_inherited_cids = false;
	accept_data(e, now_ms, hit->peer, hit->epoch, from, seq, 0, pt, pt_len, len);
	secret_wipe(pt, pt_len);
}
