/* SPDX-License-Identifier: MIT */
/*
 * The engine's front door: creation, the receive dispatcher (classify →
 * decode → forwarding gate → per-type handler), timers, transmission with
 * the amplification limit, and the public calls of proto/engine.h.
 *
 * Timers (all in one place, as STYLE.md asks):
 *   handshake retransmit  last_sent + retry_base << min(attempts, 12)   §9.7
 *   awaiting-data expiry  resp.started + awaiting_data_timeout (30 s)    §9.6
 *   cookie rotation       rotated + cookie_rotate_ms (30 s)              §10.2
 *   rekey grace           prev.installed + 2 s                           §14.3
 *   path probe            retry every 500 ms, abandoned after 3 s         §17
 *   ping                  every rtt_probe_interval_ms (5 s)              §18
 */
#include "proto/engine_impl.h"

#include "crypto/backend.h"
#include "crypto/kdf.h"
#include "crypto/rng.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const drop_names[DROP_COUNT] = {
	[DROP_MALFORMED] = "malformed",
	[DROP_NOT_FOR_US] = "not_for_us",
	[DROP_MESH] = "mesh_unsupported",
	[DROP_UNKNOWN_PEER] = "unknown_peer",
	[DROP_UNKNOWN_CID] = "unknown_cid",
	[DROP_NO_SESSION] = "no_session",
	[DROP_BAD_STATE] = "bad_state",
	[DROP_AUTH] = "auth",
	[DROP_REPLAY] = "replay",
	[DROP_DEADLINE] = "deadline",
	[DROP_SUPERSEDED] = "superseded",
	[DROP_COOKIE] = "cookie",
	[DROP_AMPLIFICATION] = "amplification",
	[DROP_TICKET] = "ticket",
	[DROP_PEER_LIMIT] = "peer_limit",
	[DROP_PATH] = "path",
	[DROP_HELLO_IGNORED] = "hello_ignored",
	[DROP_REKEY_CROSSED] = "rekey_crossed",
};

const char *engine_drop_name(enum engine_drop d)
{
	return d < DROP_COUNT ? drop_names[d] : "invalid";
}

const char *engine_peer_state_name(enum engine_peer_state s)
{
	switch (s) {
	case PEER_PENDING:
		return "pending";
	case PEER_AWAITING_ACK:
		return "awaiting_ack";
	case PEER_AWAITING_DATA:
		return "awaiting_data";
	case PEER_ESTABLISHED:
		return "established";
	}
	return "invalid";
}

void engine_config_default(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cookie_threshold = UINT32_MAX;
	cfg->cookie_max_age_s = 60;
	cfg->cookie_rotate_ms = 30000;
	cfg->hs_retry_base_ms = 50;
	cfg->hs_max_attempts = 10;
	cfg->rtt_probe_interval_ms = 5000;
	cfg->awaiting_data_timeout_ms = 30000;
	cfg->max_peers = 16384;
	cfg->max_auto_peers = 8192;
	cfg->ticket_store_cap = 16384;
	cfg->queue_cap = 256;
}

/* ---- helpers shared by the engine's files */

uint64_t engine_unix_ms(const struct engine *e)
{
	return e->unix_base_ms + e->now_ms;
}

void engine_random(struct engine *e, uint8_t *out, size_t len)
{
	if (e->io.random)
		e->io.random(e->io.ctx, out, len);
	else
		rng_bytes(out, len);
}

void engine_schedule(struct engine *e, uint64_t at_ms)
{
	if (at_ms < e->next_deadline_ms)
		e->next_deadline_ms = at_ms;
}

void engine_emit(struct engine *e, const struct engine_event *ev)
{
	if (e->io.event)
		e->io.event(e->io.ctx, ev);
}

void engine_count_drop(struct engine *e, enum engine_drop d)
{
	e->stats.drops[d]++;
}

/*
 * Which budget limits sends to `to` (Q20: every packet to an address that
 * has not proven it receives, not only HELLO_ACK): the peer address before
 * validation, a reactive probe's candidate, or a re-handshake's ACK target.
 */
struct amp_budget *amp_budget_for(struct peer *p, const struct net_addr *to)
{
	if (!p)
		return NULL;
	if (addr_equal(to, &p->addr))
		return p->is_addr_validated ? NULL : &p->amp;
	if (p->probe.is_active && !p->probe.is_trusted && addr_equal(to, &p->probe.candidate))
		return &p->probe.amp;
	if (p->next.is_set && addr_equal(to, &p->resp.ack_to))
		return &p->resp.amp;
	return NULL;
}

bool amp_allows(struct peer *p, const struct net_addr *to, size_t len)
{
	const struct amp_budget *b = amp_budget_for(p, to);

	return !b || b->tx_bytes + len <= 3 * b->rx_bytes;
}

bool engine_transmit(struct engine *e, struct peer *p, const struct net_addr *to,
		     const uint8_t *buf, size_t len)
{
	struct amp_budget *b = amp_budget_for(p, to);

	if (!addr_is_set(to))
		return false;
	if (b) {
		if (b->tx_bytes + len > 3 * b->rx_bytes) {
			engine_count_drop(e, DROP_AMPLIFICATION);
			return false;
		}
		b->tx_bytes += len;
	}
	e->stats.tx_packets++;
	e->stats.tx_bytes += len;
	if (p) {
		p->tx_packets++;
		p->tx_bytes += len;
	}
	if (e->io.send)
		e->io.send(e->io.ctx, to, buf, len);
	return true;
}

/* ---- lifecycle */

struct engine *engine_new(const uint8_t secret[WIRE_KEY_BYTES], const struct engine_config *cfg,
			  const struct engine_io *io, uint64_t now_ms, uint64_t unix_ms)
{
	struct engine *e;
	uint32_t buckets = 16;
	uint8_t fresh[32];

	if (backend_init() != 0 || !cfg->max_peers || !cfg->hs_max_attempts ||
	    cfg->max_peers > (1u << 24))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	while (buckets < cfg->max_peers)
		buckets <<= 1;
	e->buckets = calloc(buckets, sizeof(*e->buckets));
	if (!e->buckets) {
		free(e);
		return NULL;
	}
	e->bucket_mask = buckets - 1;
	e->cfg = *cfg;
	if (io)
		e->io = *io;
	memcpy(e->secret, secret, WIRE_KEY_BYTES);
	x25519_public(e->pub, e->secret);
	kdf_peer_id(e->id, e->pub);
	e->now_ms = now_ms;
	e->unix_base_ms = unix_ms - now_ms;
	e->next_deadline_ms = UINT64_MAX;
	engine_random(e, fresh, sizeof(fresh));
	memcpy(e->cookies.current, fresh, sizeof(fresh));
	memcpy(e->bucket_key, fresh + 16, sizeof(e->bucket_key)); /* unused half of the secret */
	e->cookies.rotated_ms = now_ms;
	secret_wipe(fresh, sizeof(fresh));
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	while (e->peers)
		peer_destroy(e, e->peers);
	if (e->tickets)
		secret_wipe(e->tickets, (size_t)e->cfg.ticket_store_cap * sizeof(*e->tickets));
	free(e->tickets);
	free(e->ticket_buckets);
	free(e->buckets);
	secret_wipe(e, sizeof(*e));
	free(e);
}

void engine_public_key(const struct engine *e, uint8_t out[WIRE_KEY_BYTES])
{
	memcpy(out, e->pub, WIRE_KEY_BYTES);
}

void engine_peer_id(const struct engine *e, uint8_t out[WIRE_PEER_ID_BYTES])
{
	memcpy(out, e->id, WIRE_PEER_ID_BYTES);
}

int engine_add_peer(struct engine *e, const uint8_t pub[WIRE_KEY_BYTES],
		    const struct net_addr *addr, bool is_initiator,
		    uint8_t out_id[WIRE_PEER_ID_BYTES])
{
	uint8_t id[WIRE_PEER_ID_BYTES];
	struct peer *p;

	if (secret_is_zero(pub, WIRE_KEY_BYTES) || memcmp(pub, e->pub, WIRE_KEY_BYTES) == 0)
		return -EINVAL;
	kdf_peer_id(id, pub);
	p = peer_find(e, id);
	if (p && memcmp(p->pub, pub, WIRE_KEY_BYTES) != 0)
		return -EEXIST;
	if (!p) {
		p = peer_create(e, pub, false);
		if (!p)
			return -ENOSPC;
	}
	if (p->is_auto) {
		p->is_auto = false; /* the application owns it now */
		e->auto_peer_count--;
	}
	p->is_initiator = is_initiator;
	if (addr && addr_is_set(addr)) {
		/* An address the application configured is trusted as validated. */
		p->addr = *addr;
		p->is_addr_validated = true;
		p->home_addr = *addr;
		p->has_home_addr = true;
	}
	if (out_id)
		memcpy(out_id, p->id, WIRE_PEER_ID_BYTES);
	return 0;
}

/* ---- receive */

static void dispatch_long(struct engine *e, uint64_t now_ms, const uint8_t *buf, size_t len,
			  const struct net_addr *from)
{
	struct long_header h;
	size_t body;

	if (header_long_decode(&h, &body, buf, len) != HEADER_OK)
		return engine_count_drop(e, DROP_MALFORMED);
	/* §4 forwarding gate: not ours and meant to travel on is transit, never local. */
	if (memcmp(h.dst_id, e->id, WIRE_PEER_ID_BYTES) != 0 && h.hop_ttl > 1)
		return engine_count_drop(e, DROP_MESH);
	switch (h.type) {
	case WIRE_TYPE_HELLO:
		return handshake_on_hello(e, now_ms, &h, buf, len, from);
	case WIRE_TYPE_HELLO_ACK:
		return handshake_on_hello_ack(e, now_ms, &h, buf, len, from);
	case WIRE_TYPE_CHALLENGE:
		return handshake_on_challenge(e, now_ms, &h, buf, len);
	case WIRE_TYPE_DATA:
		return data_on_long(e, now_ms, &h, buf, len, from);
	case WIRE_TYPE_RESUME_HELLO:
		return resume_on_hello(e, now_ms, &h, buf, len, from);
	case WIRE_TYPE_RESUME_ACK:
		return resume_on_ack(e, now_ms, &h, buf, len);
	case WIRE_TYPE_BEACON:
		return engine_count_drop(e, DROP_MESH);
	default:
		return control_on_sealed(e, now_ms, &h, buf, len, from);
	}
}

void engine_receive(struct engine *e, uint64_t now_ms, const uint8_t *buf, size_t len,
		    const struct net_addr *from)
{
	struct short_header sh;

	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	now_ms = e->now_ms;
	e->stats.rx_packets++;
	e->stats.rx_bytes += len;
	if (!len || !buf)
		return engine_count_drop(e, DROP_MALFORMED);
	if (header_classify(buf[0]) == HEADER_FORM_LONG)
		return dispatch_long(e, now_ms, buf, len, from);
	if (header_short_decode(&sh, buf, len) != HEADER_OK)
		return engine_count_drop(e, DROP_MALFORMED);
	data_on_short(e, now_ms, buf, len, from);
}

/* ---- timers */

static bool cookie_mode_reachable(const struct engine *e)
{
	return e->cfg.cookie_always || e->cfg.cookie_threshold != UINT32_MAX;
}

static uint64_t peer_deadline(const struct engine *e, const struct peer *p)
{
	uint64_t t = UINT64_MAX;

	if (p->state == PEER_AWAITING_ACK) {
		uint32_t s = p->ini.attempts < RETRY_SHIFT_MAX ? p->ini.attempts : RETRY_SHIFT_MAX;

		t = p->ini.last_sent_ms + ((uint64_t)e->cfg.hs_retry_base_ms << s);
	}
	if (p->next.is_set && p->resp.started_ms + e->cfg.awaiting_data_timeout_ms < t)
		t = p->resp.started_ms + e->cfg.awaiting_data_timeout_ms;
	if (p->prev.is_set && p->prev.installed_ms + REKEY_GRACE_MS < t)
		t = p->prev.installed_ms + REKEY_GRACE_MS;
	if (p->probe.is_active && p->probe.last_sent_ms + PATH_PROBE_RETRY_MS < t)
		t = p->probe.last_sent_ms + PATH_PROBE_RETRY_MS;
	if (p->state == PEER_ESTABLISHED && e->cfg.rtt_probe_interval_ms && p->next_ping_ms < t)
		t = p->next_ping_ms;
	return t;
}

void engine_on_timer(struct engine *e, uint64_t now_ms)
{
	struct peer *p, *next;
	uint8_t fresh[32];

	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	now_ms = e->now_ms;
	if (cookie_mode_reachable(e) && now_ms - e->cookies.rotated_ms >= e->cfg.cookie_rotate_ms) {
		engine_random(e, fresh, sizeof(fresh));
		cookie_rotate(&e->cookies, fresh, now_ms);
		secret_wipe(fresh, sizeof(fresh));
	}
	for (p = e->peers; p; p = next) {
		next = p->list_next;
		control_timers(e, p, now_ms);
	}
	e->next_scan_ms = now_ms + HS_SCAN_MS;
	/* Recompute from scratch: timers only ever move the deadline later. */
	e->next_deadline_ms = UINT64_MAX;
	if (cookie_mode_reachable(e))
		engine_schedule(e, e->cookies.rotated_ms + e->cfg.cookie_rotate_ms);
	for (p = e->peers; p; p = p->list_next)
		engine_schedule(e, peer_deadline(e, p));
}

/*
 * Timers are quantised to a peer scan every HS_SCAN_MS (25 ms, the
 * reference's handshake scan): each scan walks every peer, so with many
 * peers whose deadlines are spread out a scan per deadline would cost
 * O(peers) per millisecond.
 */
uint64_t engine_next_deadline(const struct engine *e)
{
	if (e->next_deadline_ms == UINT64_MAX)
		return UINT64_MAX;
	return e->next_deadline_ms > e->next_scan_ms ? e->next_deadline_ms : e->next_scan_ms;
}

/* ---- application calls */

int engine_send_data(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
		     const uint8_t *payload, size_t len, uint16_t deadline_ms, uint32_t supersedes)
{
	struct peer *p = peer_find(e, id);

	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	if (!p)
		return -ENOENT;
	if (len && !payload)
		return -EINVAL;
	return data_send(e, p, e->now_ms, payload, len, deadline_ms, supersedes, false);
}

#define WITH_PEER(e, id, now_ms, call)                  \
	do {                                            \
		struct peer *p_ = peer_find((e), (id)); \
		if ((now_ms) > (e)->now_ms)             \
			(e)->now_ms = (now_ms);         \
		return p_ ? call : -ENOENT;             \
	} while (0)

static int connect_peer(struct engine *e, struct peer *p)
{
	if (p->state != PEER_PENDING)
		return 0;
	if (!p->is_initiator)
		return -ENOTCONN;
	p->is_hs_exhausted = false;
	return handshake_start(e, p, e->now_ms);
}

int engine_connect(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	WITH_PEER(e, id, now_ms, connect_peer(e, p_));
}

void engine_set_accept_any_peer(struct engine *e, bool accept_any)
{
	e->cfg.accept_any_peer = accept_any;
}

void engine_set_max_auto_peers(struct engine *e, uint32_t max_auto)
{
	/* Chained buckets: a table sized for fewer peers only gets longer chains. */
	e->cfg.max_auto_peers = max_auto;
	if (e->cfg.max_peers < max_auto + 1024)
		e->cfg.max_peers = max_auto + 1024;
}

void engine_set_cookies(struct engine *e, bool always, uint32_t threshold)
{
	e->cfg.cookie_always = always;
	e->cfg.cookie_threshold = threshold;
	e->cookies.rotated_ms = e->now_ms;
	engine_schedule(e, e->now_ms + e->cfg.cookie_rotate_ms);
}

int engine_rekey(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	WITH_PEER(e, id, now_ms, control_rekey(e, p_, e->now_ms));
}

int engine_close(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	WITH_PEER(e, id, now_ms, control_close(e, p_, e->now_ms));
}

int engine_ping(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	WITH_PEER(e, id, now_ms, control_ping(e, p_, e->now_ms));
}

int engine_probe_path(struct engine *e, uint64_t now_ms, const uint8_t id[WIRE_PEER_ID_BYTES],
		      const struct net_addr *candidate)
{
	WITH_PEER(e, id, now_ms, control_probe(e, p_, e->now_ms, candidate));
}

const struct engine_stats *engine_stats(const struct engine *e)
{
	return &e->stats;
}

uint32_t engine_awaiting_data_count(const struct engine *e)
{
	return e->awaiting_count;
}

int engine_peer_info(const struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES],
		     struct engine_peer_info *out)
{
	const struct peer *p = peer_find(e, id);

	if (!p)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->state = p->state;
	out->addr = p->addr;
	out->is_initiator = p->is_initiator;
	out->has_ticket = p->ticket.is_set;
	out->srtt_us = !p->rtt.has_sample	     ? UINT32_MAX
		       : p->rtt.srtt_us > UINT32_MAX ? UINT32_MAX
						     : (uint32_t)p->rtt.srtt_us;
	out->next_tx_seq = peer_tx_peek(p);
	out->rx_cid = p->cur.rx_cid;
	out->tx_cid = p->cur.tx_cid;
	out->has_short_header =
		p->state == PEER_ESTABLISHED && p->cur.has_cids && !p->cur.is_inherited_cids;
	out->rx_packets = p->rx_packets;
	out->tx_packets = p->tx_packets;
	out->rx_bytes = p->rx_bytes;
	out->tx_bytes = p->tx_bytes;
	out->rx_control_packets = p->rx_control_packets;
	out->last_handshake_ms = p->last_handshake_ms;
	out->is_hs_exhausted = p->is_hs_exhausted;
	out->is_resumed = p->is_resumed;
	return 0;
}

void engine_test_set_tx_seq(struct engine *e, const uint8_t id[WIRE_PEER_ID_BYTES], uint32_t seq)
{
	struct peer *p = peer_find(e, id);

	if (p)
		p->tx_seq = seq;
}
