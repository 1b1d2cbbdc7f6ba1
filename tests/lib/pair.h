/* SPDX-License-Identifier: MIT */
/*
 * Two (or more) sans-io engines joined by an in-memory wire with a fake
 * clock, as STYLE.md §9 asks: every protocol rule is exercised without a
 * socket or a real timer. The wire can lose, duplicate and reorder
 * packets, and a node can change its address (migration) or have its
 * packets' source rewritten (spoofing).
 *
 *   node 0 (10.0.0.1:1000) ──┐                ┌── node 1 (10.0.0.2:2000)
 *                            └── pair.wire ───┘
 */
#ifndef DRIFT_TESTS_PAIR_H
#define DRIFT_TESTS_PAIR_H

#include "proto/engine.h"
#include "proto/engine_impl.h"

#include "tests/lib/harness.h"

#include <stdlib.h>
#include <string.h>

enum {
	PAIR_NODES = 3,
	PAIR_MAX_INFLIGHT = 16384,
	PAIR_MAX_MSGS = 4096,
	PAIR_MAX_CHUNKS = 32,
};

struct pair_pkt {
	struct net_addr from, to;
	uint64_t deliver_at;
	uint16_t len;
	uint8_t buf[WIRE_MAX_PACKET_BYTES];
};

struct pair_msg {
	uint8_t peer_id[8];
	uint32_t seq, supersedes;
	uint16_t len;
	uint8_t data[WIRE_MAX_PAYLOAD_BYTES];
};

struct pair;

struct pair_node {
	struct pair *pair;
	int index;
	struct engine *e;
	struct net_addr addr;
	bool has_spoof;
	struct net_addr spoof_from; /* packets leave with this source when has_spoof */
	/* Scripted random: chunks consumed in order, then a deterministic PRNG. */
	uint8_t chunk[PAIR_MAX_CHUNKS][64];
	size_t chunk_len[PAIR_MAX_CHUNKS];
	int chunks, next_chunk;
	uint64_t prng;
	unsigned events[8];
	struct pair_msg *msgs;
	unsigned msg_count;
	uint64_t tx_bytes_to[PAIR_NODES]; /* bytes this node sent to each other node's address */
	uint8_t last_tx[WIRE_MAX_PACKET_BYTES]; /* the most recent datagram this node sent */
	size_t last_tx_len;
	bool is_capturing; /* when set, sends are recorded in last_tx but not put on the wire */
};

struct pair {
	struct pair_node node[PAIR_NODES];
	int nodes;
	uint64_t now_ms;
	uint64_t unix_ms; /* unix time given to engines created by pair_node_init */
	uint64_t latency_ms;
	unsigned loss_pct, dup_pct, reorder_pct;
	uint64_t wire_rng;
	struct pair_pkt *q;
	int q_len;
	unsigned sent, lost, delivered;
};

static inline uint64_t pair_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline void pair_random(void *ctx, uint8_t *out, size_t len)
{
	struct pair_node *n = ctx;

	if (n->next_chunk < n->chunks && n->chunk_len[n->next_chunk] == len) {
		memcpy(out, n->chunk[n->next_chunk], len);
		n->next_chunk++;
		return;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)pair_xorshift(&n->prng);
}

/* Queue a scripted random chunk (used when a draw of exactly that length comes). */
static inline void pair_script(struct pair_node *n, const uint8_t *bytes, size_t len)
{
	memcpy(n->chunk[n->chunks], bytes, len);
	n->chunk_len[n->chunks++] = len;
}

static inline void pair_script_fill(struct pair_node *n, uint8_t byte, size_t len)
{
	uint8_t b[64];

	memset(b, byte, len);
	pair_script(n, b, len);
}

static inline void pair_send(void *ctx, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	struct pair_node *n = ctx;
	struct pair *pr = n->pair;
	struct pair_pkt *pk;

	memcpy(n->last_tx, buf, len);
	n->last_tx_len = len;
	for (int i = 0; i < pr->nodes; i++)
		if (addr_equal(to, &pr->node[i].addr))
			n->tx_bytes_to[i] += len;
	if (n->is_capturing)
		return;
	pr->sent++;
	if (pr->loss_pct && pair_xorshift(&pr->wire_rng) % 100 < pr->loss_pct) {
		pr->lost++;
		return;
	}
	for (int copies = 0; copies < 2 && pr->q_len < PAIR_MAX_INFLIGHT; copies++) {
		pk = &pr->q[pr->q_len++];
		pk->from = n->has_spoof ? n->spoof_from : n->addr;
		pk->to = *to;
		pk->deliver_at = pr->now_ms + pr->latency_ms;
		if (pr->reorder_pct && pair_xorshift(&pr->wire_rng) % 100 < pr->reorder_pct)
			pk->deliver_at += 1 + pair_xorshift(&pr->wire_rng) % 5;
		pk->len = (uint16_t)len;
		memcpy(pk->buf, buf, len);
		if (!pr->dup_pct || pair_xorshift(&pr->wire_rng) % 100 >= pr->dup_pct)
			break;
	}
}

static inline void pair_event(void *ctx, const struct engine_event *ev)
{
	struct pair_node *n = ctx;

	if (ev->type < 8)
		n->events[ev->type]++;
	if (ev->type == ENGINE_EV_DATA && n->msg_count < PAIR_MAX_MSGS) {
		struct pair_msg *m = &n->msgs[n->msg_count++];

		memcpy(m->peer_id, ev->peer_id, 8);
		m->seq = ev->seq;
		m->supersedes = ev->supersedes;
		m->len = (uint16_t)ev->payload_len;
		memcpy(m->data, ev->payload, ev->payload_len);
	}
}

static inline void pair_addr(struct net_addr *a, int host, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = ADDR_IPV4;
	a->ip[0] = 10;
	a->ip[3] = (uint8_t)host;
	a->port = port;
}

/* Sets up node i with the given secret (NULL: derived from i) and config (NULL: defaults). */
static inline struct pair_node *pair_node_init(struct pair *pr, int i, const uint8_t *secret,
					       const struct engine_config *cfg)
{
	struct pair_node *n = &pr->node[i];
	struct engine_config def;
	struct engine_io io = {pair_send, pair_event, pair_random, n};
	uint8_t s[32];

	n->pair = pr;
	n->index = i;
	n->prng = 0x1234567ULL * (uint64_t)(i + 7);
	n->msgs = calloc(PAIR_MAX_MSGS, sizeof(*n->msgs));
	pair_addr(&n->addr, i + 1, (uint16_t)(1000 * (i + 1)));
	if (!cfg) {
		engine_config_default(&def);
		cfg = &def;
	}
	if (!secret) {
		memset(s, 0xa0 + i, sizeof(s));
		secret = s;
	}
	n->e = engine_new(secret, cfg, &io, pr->now_ms, pr->unix_ms);
	if (i >= pr->nodes)
		pr->nodes = i + 1;
	return n;
}

static inline void pair_init(struct pair *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->now_ms = 1000;
	pr->unix_ms = UINT64_C(1700000000000);
	pr->latency_ms = 1;
	pr->wire_rng = 0xfeedULL;
	pr->q = calloc(PAIR_MAX_INFLIGHT, sizeof(*pr->q));
}

static inline void pair_fini(struct pair *pr)
{
	for (int i = 0; i < pr->nodes; i++) {
		engine_free(pr->node[i].e);
		free(pr->node[i].msgs);
	}
	free(pr->q);
}

/* Registers a and b with each other; a initiates. Returns b's id as seen by a in out_b. */
static inline void pair_link(struct pair *pr, int a, int b, uint8_t id_of_b[8], uint8_t id_of_a[8])
{
	uint8_t pub_a[32], pub_b[32];
	struct net_addr none = {0};

	engine_public_key(pr->node[a].e, pub_a);
	engine_public_key(pr->node[b].e, pub_b);
	CHECK_EQ(engine_add_peer(pr->node[a].e, pub_b, &pr->node[b].addr, true, id_of_b), 0);
	CHECK_EQ(engine_add_peer(pr->node[b].e, pub_a, &none, false, id_of_a), 0);
}

/*
 * Delivers, in FIFO order, the packets that were on the wire when called and
 * are due; replies they cause wait for the next call. Returns the count.
 */
static inline int pair_deliver_due(struct pair *pr)
{
	static struct pair_pkt batch[PAIR_MAX_INFLIGHT];
	int n = 0, keep = 0, delivered = 0;

	for (int k = 0; k < pr->q_len; k++) {
		if (pr->q[k].deliver_at <= pr->now_ms)
			batch[n++] = pr->q[k];
		else
			pr->q[keep++] = pr->q[k];
	}
	pr->q_len = keep;
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < pr->nodes; i++) {
			if (addr_equal(&batch[k].to, &pr->node[i].addr)) {
				engine_receive(pr->node[i].e, pr->now_ms, batch[k].buf,
					       batch[k].len, &batch[k].from);
				pr->delivered++;
				delivered++;
			}
		}
	}
	return delivered;
}

/* Delivers until the wire is empty without moving the clock (latency must be 0). */
static inline void pair_pump(struct pair *pr)
{
	for (int rounds = 0; rounds < 100 && pr->q_len; rounds++)
		pair_deliver_due(pr);
}

/* Runs the wire and timers for `ms` of fake time, 1 ms per step. */
static inline void pair_run(struct pair *pr, uint64_t ms)
{
	uint64_t end = pr->now_ms + ms;

	while (pr->now_ms < end) {
		pair_deliver_due(pr);
		for (int i = 0; i < pr->nodes; i++)
			if (engine_next_deadline(pr->node[i].e) <= pr->now_ms)
				engine_on_timer(pr->node[i].e, pr->now_ms);
		pair_deliver_due(pr);
		pr->now_ms++;
	}
}

#endif
