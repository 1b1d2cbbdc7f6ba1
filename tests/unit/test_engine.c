/* SPDX-License-Identifier: MIT */
/*
 * proto/engine behaviour: two or three engines on the in-memory wire of
 * tests/lib/pair.h with a fake clock. Each numbered case drives a protocol
 * situation (replays, forgeries, floods, loss, rekey, resumption,
 * migration, the sequence ceiling, ...) and asserts what a peer actually
 * sees: delivered payloads, drop counters by reason, events, peer state,
 * and the number of X25519 operations spent. The WIRE.md §24 item a case
 * demonstrates is named in its comment; docs/compat.md points back here.
 *
 * Node 0 is the client (initiator), node 1 the server (responder, learns
 * the client's address from the HELLO), node 2 a third party when needed.
 * RTT probing is off unless a case turns it on, so the wire carries only
 * what the case causes.
 */
#include "tests/lib/pair.h"

#include "crypto/backend.h"
#include "crypto/kdf.h"
#include "crypto/x25519.h"
#include "internal/bytes.h"

#include <errno.h>

enum {
	CLIENT = 0,
	SERVER = 1,
	THIRD = 2,
	LONG_DATA_MIN = WIRE_LONG_HDR_BYTES + WIRE_TAG_BYTES,
};

static uint8_t server_id[8], client_id[8];
static uint8_t first_hello[WIRE_MAX_PACKET_BYTES]; /* the HELLO of the last establish() */
static size_t first_hello_len;

/* ---- helpers */

static void cfg_quiet(struct engine_config *c)
{
	engine_config_default(c);
	c->rtt_probe_interval_ms = 0;
}

/* Client (node 0) and server (node 1), registered with each other; NULL cfg: quiet defaults. */
static void setup(struct pair *pr, uint64_t latency_ms, const struct engine_config *client_cfg,
		  const struct engine_config *server_cfg)
{
	struct engine_config q;

	cfg_quiet(&q);
	pair_init(pr);
	pr->latency_ms = latency_ms;
	pair_node_init(pr, CLIENT, NULL, client_cfg ? client_cfg : &q);
	pair_node_init(pr, SERVER, NULL, server_cfg ? server_cfg : &q);
	pair_link(pr, CLIENT, SERVER, server_id, client_id);
}

static const uint8_t *id_at(int node)
{
	return node == CLIENT ? server_id : client_id;
}

static struct engine *eng(struct pair *pr, int node)
{
	return pr->node[node].e;
}

/* The peer entry node `node` keeps for its counterpart (client <-> server). */
static struct peer *peer_of(struct pair *pr, int node)
{
	return peer_find(eng(pr, node), id_at(node));
}

static enum engine_peer_state state_of(struct pair *pr, int node)
{
	struct engine_peer_info info;

	if (engine_peer_info(eng(pr, node), id_at(node), &info) != 0)
		return (enum engine_peer_state) - 1;
	return info.state;
}

static uint64_t drops(struct pair *pr, int node, enum engine_drop d)
{
	return engine_stats(eng(pr, node))->drops[d];
}

static uint64_t drops_total(struct pair *pr, int node)
{
	uint64_t sum = 0;

	for (int d = 0; d < DROP_COUNT; d++)
		sum += engine_stats(eng(pr, node))->drops[d];
	return sum;
}

static int send_ex(struct pair *pr, int from, const char *text, uint16_t deadline_ms,
		   uint32_t supersedes)
{
	return engine_send_data(eng(pr, from), pr->now_ms, id_at(from), (const uint8_t *)text,
				strlen(text), deadline_ms, supersedes);
}

static int send_text(struct pair *pr, int from, const char *text)
{
	return send_ex(pr, from, text, 0, 0);
}

/* How many times `node` was handed the payload `text`. */
static unsigned delivered(struct pair *pr, int node, const char *text)
{
	size_t len = strlen(text);
	unsigned n = 0;

	for (unsigned i = 0; i < pr->node[node].msg_count; i++)
		n += pr->node[node].msgs[i].len == len &&
		     memcmp(pr->node[node].msgs[i].data, text, len) == 0;
	return n;
}

/* Lets the wire and the timers run until quiet (latency 0) or for a while. */
static void settle(struct pair *pr)
{
	if (pr->latency_ms == 0)
		pair_pump(pr);
	else
		pair_run(pr, 40 * pr->latency_ms + 10);
}

/* Client sends "hello" (its HELLO is kept in first_hello); both end Established. */
static void establish(struct pair *pr)
{
	CHECK_EQ(send_text(pr, CLIENT, "hello"), 0);
	CHECK(pr->q_len >= 1);
	if (pr->q_len >= 1) {
		first_hello_len = pr->q[0].len;
		memcpy(first_hello, pr->q[0].buf, first_hello_len);
	}
	settle(pr);
	CHECK_EQ(state_of(pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(pr, SERVER, "hello"), 1);
}

/* Runs `node`'s next send without putting it on the wire; returns the datagram. */
static size_t capture_data(struct pair *pr, int from, const char *text, uint16_t deadline_ms,
			   uint32_t supersedes, uint8_t *out)
{
	struct pair_node *n = &pr->node[from];
	int rc;

	n->last_tx_len = 0;
	n->is_capturing = true;
	rc = send_ex(pr, from, text, deadline_ms, supersedes);
	n->is_capturing = false;
	CHECK_EQ(rc, 0);
	memcpy(out, n->last_tx, n->last_tx_len);
	return n->last_tx_len;
}

static void inject(struct pair *pr, int to, const uint8_t *buf, size_t len,
		   const struct net_addr *from)
{
	engine_receive(eng(pr, to), pr->now_ms, buf, len, from);
}

/* Index of the first queued long-header packet of `type`, or -1. */
static int wire_find(struct pair *pr, uint8_t type)
{
	for (int i = 0; i < pr->q_len; i++)
		if (pr->q[i].len >= WIRE_LONG_HDR_BYTES && pr->q[i].buf[0] >> 4 == 1 &&
		    pr->q[i].buf[1] == type)
			return i;
	return -1;
}

/* Copies the first queued packet of `type` into `out`; returns its length (0: none). */
static size_t wire_copy(struct pair *pr, uint8_t type, uint8_t *out)
{
	int i = wire_find(pr, type);

	CHECK(i >= 0);
	if (i < 0)
		return 0;
	memcpy(out, pr->q[i].buf, pr->q[i].len);
	return pr->q[i].len;
}

/* Removes every queued packet addressed to `node`; returns how many were DATA. */
static unsigned wire_drop_to(struct pair *pr, int node)
{
	unsigned data = 0;
	int keep = 0;

	for (int i = 0; i < pr->q_len; i++) {
		struct pair_pkt *pk = &pr->q[i];

		if (!addr_equal(&pk->to, &pr->node[node].addr)) {
			pr->q[keep++] = *pk;
			continue;
		}
		data += pk->buf[0] >> 4 == 2 || pk->buf[1] == WIRE_TYPE_DATA;
	}
	pr->q_len = keep;
	return data;
}

static void set_addr(struct net_addr *a, uint8_t host, uint16_t port)
{
	pair_addr(a, host, port);
}

/* A HELLO (WIRE.md §9.1) from an identity we only name by its public key. */
static size_t craft_hello(uint8_t *out, const uint8_t dst[8], const uint8_t *static_pub,
			  const uint8_t *eph_pub, const uint8_t *nonce)
{
	struct long_header h = {
		.type = WIRE_TYPE_HELLO, .hop_ttl = 1, .payload_len = WIRE_HELLO_BODY_BYTES};

	kdf_peer_id(h.src_id, static_pub);
	memcpy(h.dst_id, dst, 8);
	header_long_encode(out, &h);
	memcpy(out + 36, static_pub, 32);
	memcpy(out + 68, eph_pub, 32);
	memcpy(out + 100, nonce, 16);
	return WIRE_LONG_HDR_BYTES + WIRE_HELLO_BODY_BYTES;
}

/* ---- 1-6: replay, forgery, malformed input, wrong destination */

/* 1: replayed long and short DATA, both directions: delivered once, then DROP_REPLAY. */
static void test_replayed_data(void)
{
	uint8_t pkt[WIRE_MAX_PACKET_BYTES], old[WIRE_MAX_PACKET_BYTES];
	size_t len, old_len;
	uint64_t replays;
	struct pair pr;
	static const struct {
		int from;
		const char *text;
		uint16_t deadline_ms; /* non-zero forces the long header */
		uint8_t version;
	} t[] = {
		{CLIENT, "long c->s", 5000, 1},
		{CLIENT, "short c->s", 0, 2},
		{SERVER, "long s->c", 5000, 1},
		{SERVER, "short s->c", 0, 2},
	};

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		int to = t[i].from == CLIENT ? SERVER : CLIENT;

		replays = drops(&pr, to, DROP_REPLAY);
		len = capture_data(&pr, t[i].from, t[i].text, t[i].deadline_ms, 0, pkt);
		CHECK_EQ(pkt[0] >> 4, t[i].version);
		for (int copy = 0; copy < 3; copy++)
			inject(&pr, to, pkt, len, &pr.node[t[i].from].addr);
		CHECK_EQ(delivered(&pr, to, t[i].text), 1);
		CHECK_EQ(drops(&pr, to, DROP_REPLAY), replays + 2);
	}
	/* A packet never delivered but older than the window is refused too. */
	old_len = capture_data(&pr, CLIENT, "too old", 0, 0, old);
	engine_test_set_tx_seq(eng(&pr, CLIENT), server_id, 5000);
	CHECK_EQ(send_text(&pr, CLIENT, "far ahead"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "far ahead"), 1);
	replays = drops(&pr, SERVER, DROP_REPLAY);
	inject(&pr, SERVER, old, old_len, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "too old"), 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), replays + 1);
	pair_fini(&pr);
}

/* 2: a HELLO replayed while AwaitingData gets the cached ACK: same bytes, no new key, no X25519. */
static void test_hello_replay_awaiting_data(void)
{
	uint8_t hello[WIRE_MAX_PACKET_BYTES], ack[WIRE_MAX_PACKET_BYTES], key[32];
	size_t hello_len, ack_len;
	unsigned long ops;
	uint64_t tx;
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "after replay"), 0);
	hello_len = wire_copy(&pr, WIRE_TYPE_HELLO, hello);
	pair_deliver_due(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_AWAITING_DATA);
	ack_len = wire_copy(&pr, WIRE_TYPE_HELLO_ACK, ack);
	pr.q_len = 0; /* the first ACK is lost */
	memcpy(key, peer_of(&pr, SERVER)->next.key, 32);

	ops = x25519_operations();
	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	inject(&pr, SERVER, hello, hello_len, &pr.node[CLIENT].addr);
	CHECK_EQ(x25519_operations() - ops, 0);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx + 1);
	CHECK_EQ(pr.q_len, 1);
	CHECK_EQ(pr.q[0].len, ack_len);
	CHECK_MEM(pr.q[0].buf, ack, ack_len);
	CHECK_MEM(peer_of(&pr, SERVER)->next.key, key, 32);
	CHECK_EQ(state_of(&pr, SERVER), PEER_AWAITING_DATA);
	CHECK_EQ(engine_awaiting_data_count(eng(&pr, SERVER)), 1);

	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "after replay"), 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->handshakes_completed, 1);
	pair_fini(&pr);
}

/*
 * 3 (Q12): the HELLO that built an Established session, replayed (from the
 * client's address or another one), is ignored at no X25519 cost; a fresh
 * HELLO in the client's name only prepares a key, and the running session
 * keeps working in both directions either way.
 */
static void test_hello_replay_established(void)
{
	uint8_t hello[WIRE_MAX_PACKET_BYTES];
	struct engine_peer_info info;
	struct net_addr elsewhere;
	unsigned long ops;
	struct pair pr;
	uint64_t tx;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	memcpy(hello, first_hello, first_hello_len);
	set_addr(&elsewhere, 77, 7777);

	ops = x25519_operations();
	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	inject(&pr, SERVER, hello, first_hello_len, &pr.node[CLIENT].addr);
	inject(&pr, SERVER, hello, first_hello_len, &elsewhere);
	CHECK_EQ(x25519_operations() - ops, 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_HELLO_IGNORED), 2);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(addr_equal(&info.addr, &pr.node[CLIENT].addr));

	/* A new nonce: a real key agreement into `next`; the session is untouched. */
	hello[WIRE_LONG_HDR_BYTES + 64] ^= 0xff;
	inject(&pr, SERVER, hello, first_hello_len, &elsewhere);
	CHECK(peer_of(&pr, SERVER)->next.is_set);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(addr_equal(&info.addr, &pr.node[CLIENT].addr));
	pr.q_len = 0; /* its HELLO_ACK goes to the stranger */

	CHECK_EQ(send_text(&pr, CLIENT, "still c->s"), 0);
	CHECK_EQ(send_text(&pr, SERVER, "still s->c"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "still c->s"), 1);
	CHECK_EQ(delivered(&pr, CLIENT, "still s->c"), 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->handshakes_completed, 1);
	pair_fini(&pr);
}

/* 4: a flipped byte anywhere the tag covers → DROP_AUTH, window and counters unchanged. */
static void test_forged_tags(void)
{
	static const struct {
		bool is_long;
		size_t offset; /* from the start; SIZE_MAX = last byte (tag) */
		uint8_t mask;
	} t[] = {
		{false, SIZE_MAX, 0x01}, /* short: tag */
		{false, 7, 0x80},	 /* short: first ciphertext byte */
		{false, 4, 0x01},	 /* short: seq */
		{false, 0, 0x01},	 /* short: flag bit (part of the AAD) */
		{true, SIZE_MAX, 0x40},	 /* long: tag */
		{true, 36, 0x01},	 /* long: ciphertext */
		{true, 0, 0x02},	 /* long: flags nibble */
		{true, 2, 0x10},	 /* long: deadline */
		{true, 7, 0x01},	 /* long: seq */
		{true, 11, 0x01},	 /* long: supersedes */
		{true, 29, 0x01},	 /* long: reserved */
		{true, 31, 0x01},	 /* long: payload_len */
		{true, 35, 0x01},	 /* long: send_time_ms */
	};
	uint8_t pkt[2][WIRE_MAX_PACKET_BYTES], bad[WIRE_MAX_PACKET_BYTES];
	struct replay_window before;
	size_t len[2];
	struct pair pr;
	uint64_t tx;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	len[0] = capture_data(&pr, CLIENT, "genuine short", 0, 0, pkt[0]);
	len[1] = capture_data(&pr, CLIENT, "genuine long", 9000, 0, pkt[1]);
	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		size_t n = len[t[i].is_long], off = t[i].offset == SIZE_MAX ? n - 1 : t[i].offset;
		uint64_t auth = drops(&pr, SERVER, DROP_AUTH);
		uint64_t rx = peer_of(&pr, SERVER)->rx_packets;

		memcpy(bad, pkt[t[i].is_long], n);
		bad[off] ^= t[i].mask;
		before = peer_of(&pr, SERVER)->cur.replay;
		inject(&pr, SERVER, bad, n, &pr.node[CLIENT].addr);
		if (drops(&pr, SERVER, DROP_AUTH) != auth + 1)
			fprintf(stderr, "  forgery %zu (offset %zu) not counted as auth\n", i + 1,
				off);
		CHECK_EQ(drops(&pr, SERVER, DROP_AUTH), auth + 1);
		CHECK_MEM(&peer_of(&pr, SERVER)->cur.replay, &before, sizeof(before));
		CHECK_EQ(peer_of(&pr, SERVER)->rx_packets, rx);
		CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	}
	CHECK_EQ(pr.node[SERVER].msg_count, 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx); /* no reply, no probe */
	/* The genuine packets still go through: nothing moved the window. */
	inject(&pr, SERVER, pkt[0], len[0], &pr.node[CLIENT].addr);
	inject(&pr, SERVER, pkt[1], len[1], &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "genuine short"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "genuine long"), 1);
	/* hop_ttl (byte 28) is outside the AAD (§5.4): rewriting it is not a forgery. */
	len[1] = capture_data(&pr, CLIENT, "hop rewritten", 9000, 0, pkt[1]);
	pkt[1][WIRE_OFF_HOP_TTL] = 0;
	inject(&pr, SERVER, pkt[1], len[1], &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "hop rewritten"), 1);
	pair_fini(&pr);
}

/* 5: truncated, oversized and otherwise undecodable datagrams → DROP_MALFORMED, nothing else. */
static void test_malformed(void)
{
	enum base { B_NONE, B_SHORT, B_LONG, B_HELLO, B_PING };
	static const struct {
		const char *what;
		enum base base;
		size_t len; /* 0: as captured */
		int byte0;  /* -1: keep */
		int type;   /* -1: keep */
	} t[] = {
		{"empty datagram", B_NONE, 0, -1, -1},
		{"one long byte", B_NONE, 1, 0x10, -1},
		{"long header cut at 35", B_LONG, 35, -1, -1},
		{"long DATA body shorter than a tag", B_LONG, LONG_DATA_MIN - 1, -1, -1},
		{"short DATA cut at 22", B_SHORT, 22, -1, -1},
		{"short header alone", B_SHORT, 7, -1, -1},
		{"long DATA of 1401 bytes", B_LONG, 1401, -1, -1},
		{"short DATA of 1401 bytes", B_SHORT, 1401, -1, -1},
		{"long DATA of 4000 bytes", B_LONG, 4000, -1, -1},
		{"version 0", B_LONG, 0, 0x00, -1},
		{"version 3", B_LONG, 0, 0x30, -1},
		{"version 15", B_SHORT, 0, 0xf0, -1},
		{"type 0", B_LONG, 0, -1, 0},
		{"retired type 4", B_LONG, 0, -1, 4},
		{"retired type 7", B_LONG, 0, -1, 7},
		{"type 19", B_LONG, 0, -1, 19},
		{"type 255", B_LONG, 0, -1, 255},
		{"HELLO body of 79", B_HELLO, 36 + 79, -1, -1},
		{"PING body one byte short", B_PING, 36 + 23, -1, -1},
		{"PING body one byte long", B_PING, 36 + 25, -1, -1},
		{"CLOSE of the PING's size", B_PING, 0, -1, WIRE_TYPE_CLOSE},
	};
	static uint8_t base[5][4096], buf[4096];
	size_t base_len[5] = {0};
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	base_len[B_SHORT] = capture_data(&pr, CLIENT, "short", 0, 0, base[B_SHORT]);
	base_len[B_LONG] = capture_data(&pr, CLIENT, "long", 100, 0, base[B_LONG]);
	memcpy(base[B_HELLO], first_hello, first_hello_len);
	base_len[B_HELLO] = first_hello_len;
	pr.node[CLIENT].is_capturing = true;
	CHECK_EQ(engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	pr.node[CLIENT].is_capturing = false;
	memcpy(base[B_PING], pr.node[CLIENT].last_tx, pr.node[CLIENT].last_tx_len);
	base_len[B_PING] = pr.node[CLIENT].last_tx_len;

	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		size_t len = t[i].len ? t[i].len : base_len[t[i].base];
		uint64_t bad = drops(&pr, SERVER, DROP_MALFORMED), all = drops_total(&pr, SERVER);

		memset(buf, 0x5a, sizeof(buf));
		memcpy(buf, base[t[i].base], base_len[t[i].base] < len ? base_len[t[i].base] : len);
		if (t[i].byte0 >= 0)
			buf[0] = (uint8_t)t[i].byte0;
		if (t[i].type >= 0)
			buf[1] = (uint8_t)t[i].type;
		inject(&pr, SERVER, len ? buf : NULL, len, &pr.node[CLIENT].addr);
		if (drops(&pr, SERVER, DROP_MALFORMED) != bad + 1)
			fprintf(stderr, "  malformed case \"%s\" not counted\n", t[i].what);
		CHECK_EQ(drops(&pr, SERVER, DROP_MALFORMED), bad + 1);
		CHECK_EQ(drops_total(&pr, SERVER), all + 1);
	}
	CHECK_EQ(pr.node[SERVER].msg_count, 1);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	pair_fini(&pr);
}

/*
 * 6: a long header for someone else. hop_ttl 1 is processed locally and
 * refused by the handler (DROP_NOT_FOR_US); hop_ttl > 1 is transit, which
 * this node does not forward (DROP_MESH, WIRE.md §19 not implemented);
 * BEACON is mesh too.
 */
static void test_wrong_destination(void)
{
	enum { P_DATA, P_HELLO, P_PING, P_COUNT };
	static const struct {
		int packet;
		uint8_t hop_ttl;
		bool is_other_dst;
		enum engine_drop want;
	} t[] = {
		{P_DATA, 1, true, DROP_NOT_FOR_US}, {P_HELLO, 1, true, DROP_NOT_FOR_US},
		{P_PING, 1, true, DROP_NOT_FOR_US}, {P_DATA, 2, true, DROP_MESH},
		{P_HELLO, 8, true, DROP_MESH},	    {P_PING, 16, true, DROP_MESH},
	};
	uint8_t pkt[P_COUNT][WIRE_MAX_PACKET_BYTES], buf[WIRE_MAX_PACKET_BYTES];
	uint8_t beacon[36 + 18] = {0x10, WIRE_TYPE_BEACON};
	size_t len[P_COUNT];
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	pair_node_init(&pr, THIRD, NULL, NULL);
	establish(&pr);
	len[P_DATA] = capture_data(&pr, CLIENT, "for the server", 100, 0, pkt[P_DATA]);
	memcpy(pkt[P_HELLO], first_hello, first_hello_len);
	len[P_HELLO] = first_hello_len;
	pr.node[CLIENT].is_capturing = true;
	engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id);
	pr.node[CLIENT].is_capturing = false;
	len[P_PING] = pr.node[CLIENT].last_tx_len;
	memcpy(pkt[P_PING], pr.node[CLIENT].last_tx, len[P_PING]);

	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		uint64_t before = drops(&pr, SERVER, t[i].want), all = drops_total(&pr, SERVER);

		memcpy(buf, pkt[t[i].packet], len[t[i].packet]);
		buf[27] ^= 0x01; /* last byte of dst_id */
		buf[WIRE_OFF_HOP_TTL] = t[i].hop_ttl;
		inject(&pr, SERVER, buf, len[t[i].packet], &pr.node[CLIENT].addr);
		CHECK_EQ(drops(&pr, SERVER, t[i].want), before + 1);
		CHECK_EQ(drops_total(&pr, SERVER), all + 1);
	}
	/* The untouched packets reach a third node, whose id they do not name. */
	for (int p = 0; p < P_COUNT; p++)
		inject(&pr, THIRD, pkt[p], len[p], &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, THIRD, DROP_NOT_FOR_US), P_COUNT);
	/* A BEACON addressed to us: mesh routing is not implemented by this node. */
	memcpy(beacon + 12, client_id, 8);
	memcpy(beacon + 20, server_id, 8);
	beacon[WIRE_OFF_HOP_TTL] = 1;
	inject(&pr, SERVER, beacon, sizeof(beacon), &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, SERVER, DROP_MESH), 4);
	CHECK_EQ(pr.node[SERVER].msg_count, 1);
	/* The real packets are still fine for the real server. */
	inject(&pr, SERVER, pkt[P_DATA], len[P_DATA], &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "for the server"), 1);
	pair_fini(&pr);
}

/* ---- 7-8: denial of service: cookies and the amplification limit */

/*
 * 7: once `cookie_threshold` peers await DATA, HELLOs from fresh
 * identities (accept_any_peer on) cost no X25519 and no state: each gets a
 * CHALLENGE. A cookie replayed from another address is refused the same
 * cheap way, and the real client that echoes its cookie completes.
 */
static void test_hello_flood_cookies(void)
{
	enum { THRESHOLD = 4, FLOOD = 300 };
	uint8_t pub[32], eph[32], nonce[16], pkt[WIRE_MAX_PACKET_BYTES];
	uint64_t challenges = 0, tx_bytes = 0, cookie_drops;
	struct engine_config scfg;
	struct net_addr from;
	unsigned long ops = 0;
	uint32_t peers = 0;
	struct pair pr;
	size_t len;

	cfg_quiet(&scfg);
	scfg.accept_any_peer = true;
	scfg.cookie_threshold = THRESHOLD;
	setup(&pr, 0, NULL, &scfg);
	for (int i = 0; i < THRESHOLD + FLOOD; i++) {
		memset(pub, 0x3c, sizeof(pub));
		store_be32(pub, (uint32_t)i + 1);
		memset(eph, 0x71, sizeof(eph));
		store_be32(eph + 8, (uint32_t)i);
		memset(nonce, i & 0xff, sizeof(nonce));
		len = craft_hello(pkt, server_id, pub, eph, nonce);
		set_addr(&from, (uint8_t)(100 + i % 100), (uint16_t)(20000 + i));
		if (i == THRESHOLD) {
			ops = x25519_operations();
			challenges = engine_stats(eng(&pr, SERVER))->challenges_sent;
			tx_bytes = engine_stats(eng(&pr, SERVER))->tx_bytes;
			peers = eng(&pr, SERVER)->peer_count;
		}
		inject(&pr, SERVER, pkt, len, &from);
		if (i < THRESHOLD)
			CHECK_EQ(engine_awaiting_data_count(eng(&pr, SERVER)), (uint32_t)i + 1);
	}
	pr.q_len = 0; /* HELLO_ACKs and CHALLENGEs to addresses nobody owns */
	CHECK_EQ(x25519_operations() - ops, 0);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->challenges_sent - challenges, FLOOD);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_bytes - tx_bytes,
		 FLOOD * (WIRE_LONG_HDR_BYTES + WIRE_COOKIE_BYTES));
	CHECK_EQ(eng(&pr, SERVER)->peer_count, peers);
	CHECK_EQ(engine_awaiting_data_count(eng(&pr, SERVER)), THRESHOLD);

	/* The real client: HELLO, CHALLENGE, HELLO with cookie. */
	CHECK_EQ(send_text(&pr, CLIENT, "via cookie"), 0);
	pair_deliver_due(&pr);
	CHECK(wire_find(&pr, WIRE_TYPE_CHALLENGE) >= 0);
	pair_deliver_due(&pr);
	len = wire_copy(&pr, WIRE_TYPE_HELLO, pkt);
	CHECK_EQ(len, WIRE_LONG_HDR_BYTES + WIRE_HELLO_COOKIE_BODY_BYTES);
	/* The same cookie from another address: refused by one SipHash. */
	set_addr(&from, 66, 6666);
	ops = x25519_operations();
	cookie_drops = drops(&pr, SERVER, DROP_COOKIE);
	inject(&pr, SERVER, pkt, len, &from);
	CHECK_EQ(x25519_operations() - ops, 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_COOKIE), cookie_drops + 1);
	CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "via cookie"), 1);
	pair_fini(&pr);
}

/* Bytes the server sent to the client's address never exceed 3x what it got from there. */
static bool amp_ok(struct pair *pr)
{
	uint64_t sent = pr->node[SERVER].tx_bytes_to[CLIENT];
	uint64_t got = pr->node[CLIENT].tx_bytes_to[SERVER];

	if (sent > 3 * got)
		fprintf(stderr, "  amplification: sent %llu for %llu received\n",
			(unsigned long long)sent, (unsigned long long)got);
	return sent <= 3 * got;
}

/*
 * 8 (Q20): until the client's address is validated, everything the
 * responder sends there (HELLO_ACKs for every HELLO retransmission, and
 * DATA the application sends while AwaitingData) stays within 3x the bytes
 * received from it; what does not fit waits in the queue and is flushed,
 * in full, once an authenticated DATA validates the address.
 */
static void test_amplification(void)
{
	enum { PAYLOADS = 30, PAYLOAD_BYTES = 50 };
	uint8_t payload[PAYLOAD_BYTES];
	unsigned early, seen[PAYLOADS] = {0};
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "c0"), 0);
	pair_deliver_due(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_AWAITING_DATA);
	for (int i = 0; i < PAYLOADS; i++) {
		memset(payload, 0xd0, sizeof(payload));
		payload[0] = (uint8_t)i;
		CHECK_EQ(engine_send_data(eng(&pr, SERVER), pr.now_ms, client_id, payload,
					  sizeof(payload), 0, 0),
			 0);
		CHECK(amp_ok(&pr));
	}
	/* 116 bytes in: the 100-byte ACK and two 102-byte DATA fit in 348; the rest wait. */
	CHECK_EQ(pr.node[SERVER].tx_bytes_to[CLIENT], 100 + 2 * 102);
	early = wire_drop_to(&pr, CLIENT); /* every reply is lost */
	CHECK_EQ(early, 2);
	for (int r = 0; r < 5; r++) {
		pr.now_ms = engine_next_deadline(eng(&pr, CLIENT));
		engine_on_timer(eng(&pr, CLIENT), pr.now_ms); /* HELLO retransmission */
		pair_deliver_due(&pr);			      /* cached ACK, within budget */
		CHECK(amp_ok(&pr));
		CHECK_EQ(wire_drop_to(&pr, CLIENT), 0);
		CHECK_EQ(state_of(&pr, SERVER), PEER_AWAITING_DATA);
	}
	CHECK(!peer_of(&pr, SERVER)->is_addr_validated);
	/* Now the ACK gets through; the client's DATA validates the address. */
	pr.now_ms = engine_next_deadline(eng(&pr, CLIENT));
	engine_on_timer(eng(&pr, CLIENT), pr.now_ms);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK(peer_of(&pr, SERVER)->is_addr_validated);
	for (unsigned i = 0; i < pr.node[CLIENT].msg_count; i++)
		if (pr.node[CLIENT].msgs[i].len == PAYLOAD_BYTES)
			seen[pr.node[CLIENT].msgs[i].data[0] % PAYLOADS]++;
	for (int i = 0; i < PAYLOADS; i++)
		CHECK_EQ(seen[i], i < (int)early ? 0 : 1);
	CHECK_EQ(delivered(&pr, SERVER, "c0"), 1);
	pair_fini(&pr);
}

/* ---- 9-11: resumption tickets */

/* Closes from the client and lets both sides forget the session. */
static void close_session(struct pair *pr)
{
	CHECK_EQ(engine_close(eng(pr, CLIENT), pr->now_ms, server_id), 0);
	settle(pr);
	CHECK_EQ(state_of(pr, CLIENT), PEER_PENDING);
	CHECK_EQ(state_of(pr, SERVER), PEER_PENDING);
}

/* 9: a ticket is single use: the same RESUME_HELLO again → DROP_TICKET, session untouched. */
static void test_ticket_reuse(void)
{
	uint8_t rh[WIRE_MAX_PACKET_BYTES];
	struct engine_peer_info info;
	unsigned long ops;
	struct pair pr;
	uint64_t tx;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_TICKET], 1);
	engine_peer_info(eng(&pr, CLIENT), server_id, &info);
	CHECK(info.has_ticket);
	close_session(&pr);
	CHECK_EQ(pr.node[SERVER].events[ENGINE_EV_CLOSED], 1);

	CHECK_EQ(send_text(&pr, CLIENT, "resumed"), 0);
	len = wire_copy(&pr, WIRE_TYPE_RESUME_HELLO, rh);
	pair_pump(&pr);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->resumptions_completed, 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 1);
	CHECK_EQ(delivered(&pr, SERVER, "resumed"), 1);

	ops = x25519_operations();
	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	inject(&pr, SERVER, rh, len, &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, SERVER, DROP_TICKET), 1);
	CHECK_EQ(x25519_operations() - ops, 0);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 1);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(send_text(&pr, CLIENT, "after reuse c->s"), 0);
	CHECK_EQ(send_text(&pr, SERVER, "after reuse s->c"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "after reuse c->s"), 1);
	CHECK_EQ(delivered(&pr, CLIENT, "after reuse s->c"), 1);
	pair_fini(&pr);
}

/*
 * 10: expired tickets. (a) The server's clock says the ticket is a day
 * old: it drops the RESUME_HELLO, and the client falls back to a full
 * HELLO. (b) The client's clock says so: it never offers the ticket.
 */
static void test_ticket_expired(void)
{
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	establish(&pr);
	close_session(&pr);
	eng(&pr, SERVER)->unix_base_ms += TICKET_TTL_MS;
	CHECK_EQ(send_text(&pr, CLIENT, "server expired it"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_RESUME_HELLO) >= 0);
	pair_run(&pr, 400);
	CHECK_EQ(drops(&pr, SERVER, DROP_TICKET), 1);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 0);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->handshakes_completed, 2);
	CHECK_EQ(delivered(&pr, SERVER, "server expired it"), 1);
	pair_fini(&pr);

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	close_session(&pr);
	eng(&pr, CLIENT)->unix_base_ms += TICKET_TTL_MS;
	CHECK_EQ(send_text(&pr, CLIENT, "client expired it"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_HELLO) >= 0);
	CHECK(wire_find(&pr, WIRE_TYPE_RESUME_HELLO) < 0);
	pair_pump(&pr);
	CHECK_EQ(drops(&pr, SERVER, DROP_TICKET), 0);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 0);
	CHECK_EQ(delivered(&pr, SERVER, "client expired it"), 1);
	pair_fini(&pr);
}

/*
 * 11 (Q10): a client holding a ticket the server never issued sends one
 * RESUME_HELLO, then falls back to a full HELLO at the first timeout
 * (100 ms) and completes; the reference would retry the ticket forever.
 */
static void test_unknown_ticket_fallback(void)
{
	uint8_t blob[WIRE_TICKET_BLOB_BYTES], pub[32];
	uint64_t t0, done = 0;
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	engine_public_key(eng(&pr, SERVER), pub);
	blob[0] = 1;
	memset(blob + 1, 0x42, 16);
	memset(blob + 17, 0x43, 32);
	store_be64(blob + 49, pr.unix_ms + 3600 * 1000);
	memcpy(blob + 57, server_id, 8);
	memcpy(blob + 65, pub, 32);
	CHECK_EQ(engine_import_ticket(eng(&pr, CLIENT), pr.now_ms, blob), 0);

	t0 = pr.now_ms;
	CHECK_EQ(send_text(&pr, CLIENT, "fell back"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_RESUME_HELLO) >= 0);
	for (int ms = 0; ms < 1000 && !done; ms++) {
		pair_run(&pr, 1);
		if (state_of(&pr, CLIENT) == PEER_ESTABLISHED)
			done = pr.now_ms;
	}
	CHECK(done != 0);
	CHECK(done - t0 <= 110); /* first timeout (100 ms) + one round trip */
	CHECK_EQ(drops(&pr, SERVER, DROP_TICKET), 1);
	pair_run(&pr, 20);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "fell back"), 1);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->resumptions_completed, 0);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->handshakes_completed, 1);
	pair_fini(&pr);
}

/* ---- 12-15: rekey, key epochs and connection ids */

/* Counts deliveries of "<tag><index>" payloads into seen[index]. */
static void tally(struct pair *pr, int node, char tag, unsigned *seen, unsigned n)
{
	for (unsigned i = 0; i < pr->node[node].msg_count; i++) {
		const struct pair_msg *m = &pr->node[node].msgs[i];
		unsigned idx;

		if (m->len != 7 || m->data[0] != (uint8_t)tag)
			continue;
		idx = (unsigned)atoi((const char *)m->data + 1);
		if (idx < n)
			seen[idx]++;
	}
}

/*
 * 12: several thousand messages in both directions over a 1 ms wire, with
 * a rekey from each side in the middle: every message arrives exactly once.
 */
static void test_rekey_under_load(void)
{
	enum { N = 3000 };
	static unsigned seen_s[N], seen_c[N];
	unsigned once_s = 0, once_c = 0;
	char text[16];
	struct pair pr;

	memset(seen_s, 0, sizeof(seen_s));
	memset(seen_c, 0, sizeof(seen_c));
	setup(&pr, 1, NULL, NULL);
	establish(&pr);
	for (unsigned i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "c%06u", i);
		CHECK_EQ(send_text(&pr, CLIENT, text), 0);
		snprintf(text, sizeof(text), "s%06u", i);
		CHECK_EQ(send_text(&pr, SERVER, text), 0);
		if (i == N / 3)
			CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
		if (i == 2 * N / 3)
			CHECK_EQ(engine_rekey(eng(&pr, SERVER), pr.now_ms, client_id), 0);
		if (i % 5 == 4)
			pair_run(&pr, 1);
	}
	pair_run(&pr, 50);
	tally(&pr, SERVER, 'c', seen_s, N);
	tally(&pr, CLIENT, 's', seen_c, N);
	for (unsigned i = 0; i < N; i++) {
		once_s += seen_s[i] == 1;
		once_c += seen_c[i] == 1;
	}
	CHECK_EQ(once_s, N);
	CHECK_EQ(once_c, N);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->rekeys, 2);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->rekeys, 2);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_REKEYED], 2);
	CHECK_EQ(drops_total(&pr, SERVER), 0);
	CHECK_EQ(drops_total(&pr, CLIENT), 0);
	pair_fini(&pr);
}

/*
 * 13 (Q8, Q6): an old-key packet with a high seq, captured before a rekey
 * and delivered 1.5 s later, is accepted and leaves the new key's window
 * alone. After the 2 s grace the old key is gone and so is its CID entry.
 */
static void test_rekey_grace_windows(void)
{
	uint8_t old1[WIRE_MAX_PACKET_BYTES], old2[WIRE_MAX_PACKET_BYTES];
	size_t len1, len2;
	uint16_t old_cid;
	char text[16];
	struct peer *sp;
	struct pair pr;
	uint64_t rejected;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	engine_test_set_tx_seq(eng(&pr, CLIENT), server_id, 100000);
	len1 = capture_data(&pr, CLIENT, "old high", 0, 0, old1);
	len2 = capture_data(&pr, CLIENT, "old late", 0, 0, old2);
	CHECK_EQ(old1[0] >> 4, 2);
	CHECK_EQ(load_be32(old1 + 3), 100000);
	old_cid = peer_of(&pr, SERVER)->cur.rx_cid;

	CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	pair_pump(&pr);
	sp = peer_of(&pr, SERVER);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->rekeys, 1);
	CHECK(sp->prev.is_set);
	CHECK_EQ(sp->prev.rx_cid, old_cid);
	CHECK(sp->cur.rx_cid != old_cid);
	for (int i = 1; i <= 5; i++) {
		snprintf(text, sizeof(text), "new %d", i);
		CHECK_EQ(send_text(&pr, CLIENT, text), 0);
	}
	pair_pump(&pr);

	pr.now_ms += 1500;
	inject(&pr, SERVER, old1, len1, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "old high"), 1);
	for (int i = 6; i <= 10; i++) {
		snprintf(text, sizeof(text), "new %d", i);
		CHECK_EQ(send_text(&pr, CLIENT, text), 0);
	}
	pair_pump(&pr);
	for (int i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "new %d", i);
		CHECK_EQ(delivered(&pr, SERVER, text), 1);
	}
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 0);

	/* Past the grace: the timer retires the old key and unregisters its CID. */
	pr.now_ms += 600;
	engine_on_timer(eng(&pr, SERVER), pr.now_ms);
	CHECK(!sp->prev.is_set);
	for (struct cid_link *l = cid_lookup(eng(&pr, SERVER), old_cid); l; l = l->next)
		CHECK(l->peer != sp || l->epoch == &sp->cur);
	CHECK(cid_lookup(eng(&pr, SERVER), old_cid) == NULL);
	rejected = drops(&pr, SERVER, DROP_UNKNOWN_CID);
	inject(&pr, SERVER, old2, len2, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "old late"), 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_UNKNOWN_CID), rejected + 1);
	pair_fini(&pr);
}

/*
 * 14 (Q6): two peers' sessions forced onto one receive CID through the
 * internal hooks. The reference's last writer would win and one peer's
 * short-header traffic would be lost; here both are delivered, to the
 * right peer, and stats.cid_collisions counts the disambiguation.
 */
static void test_cid_collision(void)
{
	enum { N = 20 };
	uint8_t third_id[8], server_for_third[8];
	struct peer *pa, *pb, *qb;
	unsigned links = 0, ok_a = 0, ok_b = 0;
	struct engine_config q;
	char text[16];
	struct pair pr;
	uint16_t shared;

	setup(&pr, 0, NULL, NULL);
	cfg_quiet(&q);
	pair_node_init(&pr, THIRD, NULL, &q);
	pair_link(&pr, THIRD, SERVER, server_for_third, third_id);
	establish(&pr);
	CHECK_EQ(engine_send_data(eng(&pr, THIRD), pr.now_ms, server_for_third,
				  (const uint8_t *)"third", 5, 0, 0),
		 0);
	pair_pump(&pr);
	pa = peer_find(eng(&pr, SERVER), client_id);
	pb = peer_find(eng(&pr, SERVER), third_id);
	qb = peer_find(eng(&pr, THIRD), server_for_third);
	CHECK(pa && pb && qb && pb->state == PEER_ESTABLISHED);
	if (!pa || !pb || !qb)
		goto out;

	shared = pa->cur.rx_cid;
	cid_unregister(eng(&pr, SERVER), &pb->cur);
	pb->cur.rx_cid = shared;
	cid_register(eng(&pr, SERVER), pb, &pb->cur);
	qb->cur.tx_cid = shared;
	for (struct cid_link *l = cid_lookup(eng(&pr, SERVER), shared); l; l = l->next)
		links++;
	CHECK_EQ(links, 2);

	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "a%02d", i);
		CHECK_EQ(send_text(&pr, CLIENT, text), 0);
		snprintf(text, sizeof(text), "b%02d", i);
		CHECK_EQ(engine_send_data(eng(&pr, THIRD), pr.now_ms, server_for_third,
					  (const uint8_t *)text, strlen(text), 0, 0),
			 0);
		CHECK_EQ(pr.q[pr.q_len - 1].buf[0] >> 4, 2); /* short header */
	}
	pair_pump(&pr);
	for (unsigned i = 0; i < pr.node[SERVER].msg_count; i++) {
		const struct pair_msg *m = &pr.node[SERVER].msgs[i];

		if (m->len == 3 && m->data[0] == 'a')
			ok_a += memcmp(m->peer_id, client_id, 8) == 0;
		if (m->len == 3 && m->data[0] == 'b')
			ok_b += memcmp(m->peer_id, third_id, 8) == 0;
	}
	CHECK_EQ(ok_a, N);
	CHECK_EQ(ok_b, N);
	CHECK(engine_stats(eng(&pr, SERVER))->cid_collisions >= 2 * N);
	CHECK_EQ(drops_total(&pr, SERVER), 0);
out:
	pair_fini(&pr);
}

/*
 * 15 (Q5): the initiator's first (long-header) DATA is lost; the next one
 * is short-header, and it alone completes the responder's handshake.
 */
static void test_short_data_confirms(void)
{
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "first (lost)"), 0);
	pair_deliver_due(&pr); /* HELLO */
	pair_deliver_due(&pr); /* HELLO_ACK: the client flushes its queue as long DATA */
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_AWAITING_DATA);
	CHECK(wire_find(&pr, WIRE_TYPE_DATA) >= 0);
	CHECK_EQ(wire_drop_to(&pr, SERVER), 1);

	CHECK_EQ(send_text(&pr, CLIENT, "second (short)"), 0);
	CHECK(pr.q_len == 1 && pr.q[0].buf[0] >> 4 == 2);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "second (short)"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "first (lost)"), 0);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->handshakes_completed, 1);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_TICKET], 1);
	CHECK_EQ(send_text(&pr, SERVER, "reply"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, CLIENT, "reply"), 1);
	pair_fini(&pr);
}

/* ---- 16-18: path validation and migration */

/* 16: the client moves; its DATA keeps arriving, the new path is probed and adopted. */
static void test_migration(void)
{
	struct engine_peer_info info;
	struct net_addr moved;
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	establish(&pr);
	set_addr(&moved, 9, 1999);
	pr.node[CLIENT].addr = moved;
	CHECK_EQ(send_text(&pr, CLIENT, "from the new address"), 0);
	pair_run(&pr, 20);
	CHECK_EQ(delivered(&pr, SERVER, "from the new address"), 1);
	CHECK_EQ(pr.node[SERVER].events[ENGINE_EV_MIGRATED], 1);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(addr_equal(&info.addr, &moved));
	CHECK(info.srtt_us != UINT32_MAX); /* PATH_CHALLENGE -> PATH_RESPONSE is an RTT sample */
	CHECK(!peer_of(&pr, SERVER)->probe.is_active);
	CHECK_EQ(send_text(&pr, SERVER, "to the new address"), 0);
	pair_run(&pr, 10);
	CHECK_EQ(delivered(&pr, CLIENT, "to the new address"), 1);
	CHECK_EQ(drops_total(&pr, SERVER), 0);
	pair_fini(&pr);
}

/*
 * 17: the client's packets arrive with a rewritten (spoofed) source. They
 * are authentic, so they are delivered, but the PATH_CHALLENGE to the fake
 * address is never answered from there: after 3 s the address has not
 * moved, the probe is abandoned, and a PATH_RESPONSE from the real
 * address does not count for the fake candidate.
 */
static void test_spoofed_source_no_migration(void)
{
	uint8_t challenge[WIRE_MAX_PACKET_BYTES];
	struct engine_peer_info info;
	size_t challenge_len = 0, spoofed_len;
	uint64_t path_drops;
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	pair_node_init(&pr, THIRD, NULL,
		       NULL); /* sits at the spoofed address, counts what it gets */
	set_addr(&pr.node[THIRD].addr, 66, 6666);
	establish(&pr);
	pr.node[CLIENT].has_spoof = true;
	pr.node[CLIENT].spoof_from = pr.node[THIRD].addr;
	CHECK_EQ(send_text(&pr, CLIENT, "rewritten source"), 0);
	spoofed_len = pr.node[CLIENT].last_tx_len;
	pr.node[CLIENT].has_spoof = false;
	for (int ms = 0; ms < 5 && !challenge_len; ms++) {
		pair_run(&pr, 1);
		if (wire_find(&pr, WIRE_TYPE_PATH_CHALLENGE) >= 0)
			challenge_len = wire_copy(&pr, WIRE_TYPE_PATH_CHALLENGE, challenge);
	}
	CHECK(challenge_len > 0);
	CHECK_EQ(delivered(&pr, SERVER, "rewritten source"), 1);
	CHECK(peer_of(&pr, SERVER)->probe.is_active);

	/* The challenge shown to the real client: it answers from its real address. */
	path_drops = drops(&pr, SERVER, DROP_PATH);
	inject(&pr, CLIENT, challenge, challenge_len, &pr.node[SERVER].addr);
	pair_run(&pr, 5);
	CHECK_EQ(drops(&pr, SERVER, DROP_PATH), path_drops + 1);

	pair_run(&pr, 3500);
	CHECK_EQ(pr.node[SERVER].events[ENGINE_EV_MIGRATED], 0);
	CHECK(!peer_of(&pr, SERVER)->probe.is_active);
	/* Q20: probe retries to the unproven address stay within 3x what came from it. */
	CHECK(pr.node[SERVER].tx_bytes_to[THIRD] > 0);
	CHECK(pr.node[SERVER].tx_bytes_to[THIRD] <= 3 * spoofed_len);
	CHECK(drops(&pr, SERVER, DROP_AMPLIFICATION) > 0);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(addr_equal(&info.addr, &pr.node[CLIENT].addr));
	CHECK_EQ(send_text(&pr, SERVER, "still the old path"), 0);
	pair_run(&pr, 10);
	CHECK_EQ(delivered(&pr, CLIENT, "still the old path"), 1);
	pair_fini(&pr);
}

/* 18: replayed or forged DATA from another address starts no probe and sends nothing. */
static void test_replay_from_spoofed_address(void)
{
	uint8_t pkt[WIRE_MAX_PACKET_BYTES], bad[WIRE_MAX_PACKET_BYTES];
	struct net_addr elsewhere;
	struct pair pr;
	uint64_t tx;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	set_addr(&elsewhere, 77, 7777);
	len = capture_data(&pr, CLIENT, "once", 0, 0, pkt);
	inject(&pr, SERVER, pkt, len, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "once"), 1);

	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	inject(&pr, SERVER, pkt, len, &elsewhere);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 1);
	memcpy(bad, pkt, len);
	bad[len - 1] ^= 1;
	bad[4] ^= 0x40; /* a fresh seq, so the tag is what fails */
	inject(&pr, SERVER, bad, len, &elsewhere);
	CHECK_EQ(drops(&pr, SERVER, DROP_AUTH), 1);
	CHECK(!peer_of(&pr, SERVER)->probe.is_active);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx);
	CHECK_EQ(delivered(&pr, SERVER, "once"), 1);

	/* Control: a fresh authentic packet from there does start a probe. */
	len = capture_data(&pr, CLIENT, "fresh", 0, 0, pkt);
	inject(&pr, SERVER, pkt, len, &elsewhere);
	CHECK_EQ(delivered(&pr, SERVER, "fresh"), 1);
	CHECK(peer_of(&pr, SERVER)->probe.is_active);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx + 1);
	pair_fini(&pr);
}

/* ---- 19: the sequence ceiling */

/* 19: at the auto-rekey threshold the next send rekeys first; at 2^31 nothing can be sent. */
static void test_sequence_ceiling(void)
{
	struct engine_peer_info info;
	char text[16];
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	engine_test_set_tx_seq(eng(&pr, CLIENT), server_id, WIRE_AUTO_REKEY_THRESHOLD);
	CHECK_EQ(send_text(&pr, CLIENT, "at the threshold"), 0);
	pair_pump(&pr);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->rekeys, 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->rekeys, 1);
	CHECK_EQ(delivered(&pr, SERVER, "at the threshold"), 1);
	engine_peer_info(eng(&pr, CLIENT), server_id, &info);
	CHECK_EQ(info.next_tx_seq, 2); /* the DATA was seq 1 of the new epoch */
	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "c%d", i);
		CHECK_EQ(send_text(&pr, CLIENT, text), 0);
		snprintf(text, sizeof(text), "s%d", i);
		CHECK_EQ(send_text(&pr, SERVER, text), 0);
	}
	pair_pump(&pr);
	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "c%d", i);
		CHECK_EQ(delivered(&pr, SERVER, text), 1);
		snprintf(text, sizeof(text), "s%d", i);
		CHECK_EQ(delivered(&pr, CLIENT, text), 1);
	}

	engine_test_set_tx_seq(eng(&pr, CLIENT), server_id, WIRE_SEQ_SEND_CEILING - 1);
	CHECK_EQ(engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id), 0); /* the last seq */
	CHECK_EQ(engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id), -ERANGE);
	CHECK_EQ(send_text(&pr, CLIENT, "past the ceiling"), -ERANGE);
	CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), -ERANGE);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "past the ceiling"), 0);
	CHECK_EQ(send_text(&pr, SERVER, "other direction"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, CLIENT, "other direction"), 1);
	pair_fini(&pr);
}

/* ---- 20-21: forged handshake replies */

/* Starts a handshake and returns the responder's reply of `type`, kept off the wire. */
static size_t grab_ack(struct pair *pr, uint8_t type, uint8_t *out)
{
	size_t len;

	pair_deliver_due(pr);
	len = wire_copy(pr, type, out);
	pr->q_len = 0;
	return len;
}

/*
 * 20 (Q17): a HELLO_ACK naming another destination. With its hop_ttl (not
 * authenticated, §5.4) rewritten to 1 it passes the forwarding gate and
 * is refused by the dst check, before any X25519; as sent (hop 8) it is
 * transit. The genuine ACK still completes the handshake.
 */
static void test_hello_ack_wrong_dst(void)
{
	uint8_t ack[WIRE_MAX_PACKET_BYTES], bad[WIRE_MAX_PACKET_BYTES];
	unsigned long ops;
	struct pair pr;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "q17"), 0);
	len = grab_ack(&pr, WIRE_TYPE_HELLO_ACK, ack);
	CHECK_EQ(ack[WIRE_OFF_HOP_TTL], WIRE_DEFAULT_MESH_TTL); /* Q3 */
	memcpy(bad, ack, len);
	bad[27] ^= 0x01;
	bad[WIRE_OFF_HOP_TTL] = 1;
	ops = x25519_operations();
	inject(&pr, CLIENT, bad, len, &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_NOT_FOR_US), 1);
	CHECK_EQ(x25519_operations() - ops, 0);
	bad[WIRE_OFF_HOP_TTL] = WIRE_DEFAULT_MESH_TTL;
	inject(&pr, CLIENT, bad, len, &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_MESH), 1);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_AWAITING_ACK);

	inject(&pr, CLIENT, ack, len, &pr.node[SERVER].addr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "q17"), 1);
	pair_fini(&pr);
}

/* Byte changes that make a forged ACK (HELLO_ACK or RESUME_ACK, same body layout). */
static const struct {
	size_t offset, len;
	int fill; /* -1: flip the low bit of each byte */
} ack_forgeries[] = {
	{36, 64, 0x5a}, /* garbage body */
	{36, 32, 0x00}, /* all-zero E_s: the DH result is zero */
	{99, 1, -1},	/* last tag byte */
	{70, 1, -1},	/* a server nonce byte */
	{7, 1, -1},	/* header seq (in the AAD) */
	{35, 1, -1},	/* header send_time_ms (in the AAD) */
};

static void forge_ack(uint8_t *bad, const uint8_t *ack, size_t len, size_t i)
{
	memcpy(bad, ack, len);
	for (size_t k = 0; k < ack_forgeries[i].len; k++) {
		uint8_t *b = &bad[ack_forgeries[i].offset + k];

		*b = ack_forgeries[i].fill < 0 ? *b ^ 1 : (uint8_t)ack_forgeries[i].fill;
	}
}

/*
 * 21 (Q23, with Q17 for RESUME_ACK): forged HELLO_ACKs and RESUME_ACKs (right
 * src_id, bad body) are dropped without leaving AwaitingAck; retransmission
 * continues and the genuine reply completes the handshake.
 */
static void test_forged_acks(void)
{
	uint8_t ack[WIRE_MAX_PACKET_BYTES], bad[WIRE_MAX_PACKET_BYTES];
	struct pair pr;
	uint64_t tx;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "after forgeries"), 0);
	len = grab_ack(&pr, WIRE_TYPE_HELLO_ACK, ack);
	for (size_t i = 0; i < ARRAY_LEN(ack_forgeries); i++) {
		forge_ack(bad, ack, len, i);
		inject(&pr, CLIENT, bad, len, &pr.node[SERVER].addr);
		CHECK_EQ(drops(&pr, CLIENT, DROP_AUTH), i + 1);
		CHECK_EQ(state_of(&pr, CLIENT), PEER_AWAITING_ACK);
	}
	/* Still retransmitting with the same ephemeral key. */
	tx = engine_stats(eng(&pr, CLIENT))->tx_packets;
	pr.now_ms = engine_next_deadline(eng(&pr, CLIENT));
	engine_on_timer(eng(&pr, CLIENT), pr.now_ms);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->tx_packets, tx + 1);
	CHECK(wire_find(&pr, WIRE_TYPE_HELLO) >= 0);
	pr.q_len = 0;
	inject(&pr, CLIENT, ack, len, &pr.node[SERVER].addr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "after forgeries"), 1);

	/* The same for a resumption's RESUME_ACK. */
	close_session(&pr);
	CHECK_EQ(send_text(&pr, CLIENT, "resumed after forgeries"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_RESUME_HELLO) >= 0);
	len = grab_ack(&pr, WIRE_TYPE_RESUME_ACK, ack);
	memcpy(bad, ack, len);
	bad[27] ^= 0x01; /* Q17: another destination, hop_ttl 1 */
	bad[WIRE_OFF_HOP_TTL] = 1;
	inject(&pr, CLIENT, bad, len, &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_NOT_FOR_US), 1);
	for (size_t i = 0; i < ARRAY_LEN(ack_forgeries); i++) {
		uint64_t auth = drops(&pr, CLIENT, DROP_AUTH);

		forge_ack(bad, ack, len, i);
		inject(&pr, CLIENT, bad, len, &pr.node[SERVER].addr);
		CHECK_EQ(drops(&pr, CLIENT, DROP_AUTH), auth + 1);
		CHECK_EQ(state_of(&pr, CLIENT), PEER_AWAITING_ACK);
	}
	inject(&pr, CLIENT, ack, len, &pr.node[SERVER].addr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->resumptions_completed, 1);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "resumed after forgeries"), 1);
	pair_fini(&pr);
}

/* ---- 22-23: deadline and coalescing */

/*
 * 22: deadline_ms against a 5 ms wire. Each side measures from its own
 * epoch (Q16): the client's epoch starts one latency after the server's,
 * so client->server DATA ages by two latencies and server->client by none.
 */
static void test_deadlines(void)
{
	static const struct {
		int from;
		uint16_t deadline_ms;
		bool is_delivered;
	} t[] = {
		{CLIENT, 2, false}, {CLIENT, 4, false}, {CLIENT, 100, true}, {CLIENT, 1000, true},
		{CLIENT, 0, true},  {SERVER, 2, true},	{SERVER, 100, true},
	};
	uint8_t pkt[WIRE_MAX_PACKET_BYTES];
	uint64_t missed = 0;
	struct pair pr;
	char text[32];
	size_t len;

	setup(&pr, 5, NULL, NULL);
	establish(&pr);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		int to = t[i].from == CLIENT ? SERVER : CLIENT;

		snprintf(text, sizeof(text), "deadline case %zu", i);
		CHECK_EQ(send_ex(&pr, t[i].from, text, t[i].deadline_ms, 0), 0);
		pair_run(&pr, 20);
		CHECK_EQ(delivered(&pr, to, text), t[i].is_delivered);
		missed += !t[i].is_delivered;
	}
	CHECK_EQ(drops(&pr, SERVER, DROP_DEADLINE), missed);
	CHECK_EQ(drops(&pr, CLIENT, DROP_DEADLINE), 0);
	/* Held back on the wire: 200 ms late is too late for 50, in time for 500. */
	len = capture_data(&pr, CLIENT, "held 50", 50, 0, pkt);
	pr.now_ms += 200;
	inject(&pr, SERVER, pkt, len, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "held 50"), 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_DEADLINE), missed + 1);
	len = capture_data(&pr, CLIENT, "held 500", 500, 0, pkt);
	pr.now_ms += 200;
	inject(&pr, SERVER, pkt, len, &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "held 500"), 1);
	pair_fini(&pr);
}

/* 23: an older update of a group arriving after a newer one is superseded. */
static void test_coalescing(void)
{
	enum { UPDATES = 200 };
	uint8_t u[4][WIRE_MAX_PACKET_BYTES];
	uint32_t last_seq = 0;
	bool is_monotonic = true;
	unsigned got = 0;
	size_t len[4];
	char text[16];
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	len[0] = capture_data(&pr, CLIENT, "pos 1", 0, 7, u[0]);
	len[1] = capture_data(&pr, CLIENT, "pos 2", 0, 7, u[1]);
	len[2] = capture_data(&pr, CLIENT, "pos 3", 0, 7, u[2]);
	len[3] = capture_data(&pr, CLIENT, "other 1", 0, 8, u[3]);
	CHECK_EQ(u[0][0], 0x10 | WIRE_FLAG_COALESCE);
	inject(&pr, SERVER, u[1], len[1], &pr.node[CLIENT].addr);
	inject(&pr, SERVER, u[0], len[0], &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "pos 2"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "pos 1"), 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_SUPERSEDED), 1);
	inject(&pr, SERVER, u[3], len[3], &pr.node[CLIENT].addr); /* another group: unaffected */
	inject(&pr, SERVER, u[2], len[2], &pr.node[CLIENT].addr);
	CHECK_EQ(delivered(&pr, SERVER, "other 1"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "pos 3"), 1);
	CHECK_EQ(pr.node[SERVER].msgs[1].supersedes, 7);
	/* The superseded packet used its replay slot (§12.2): again, it is a replay. */
	inject(&pr, SERVER, u[0], len[0], &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 1);
	pair_fini(&pr);

	/* A reordering wire: deliveries within a group only ever move forward. */
	setup(&pr, 2, NULL, NULL);
	establish(&pr);
	pr.reorder_pct = 30;
	for (int i = 0; i < UPDATES; i++) {
		snprintf(text, sizeof(text), "upd %03d", i);
		CHECK_EQ(send_ex(&pr, CLIENT, text, 0, 9), 0);
		if (i % 4 == 3)
			pair_run(&pr, 1);
	}
	pair_run(&pr, 30);
	for (unsigned i = 0; i < pr.node[SERVER].msg_count; i++) {
		const struct pair_msg *m = &pr.node[SERVER].msgs[i];

		if (m->supersedes != 9)
			continue;
		got++;
		is_monotonic &= m->seq > last_seq;
		last_seq = m->seq;
	}
	CHECK(is_monotonic);
	CHECK(drops(&pr, SERVER, DROP_SUPERSEDED) > 0);
	CHECK_EQ(got + drops(&pr, SERVER, DROP_SUPERSEDED), UPDATES);
	snprintf(text, sizeof(text), "upd %03d", UPDATES - 1);
	CHECK_EQ(delivered(&pr, SERVER, text), 1); /* the newest is never superseded */
	pair_fini(&pr);
}

/* ---- 24-26: who starts, who gives up, and a bad wire */

/*
 * 24: both sides initiate at the same moment. The greater static key keeps
 * its attempt (the other HELLO is DROP_HELLO_IGNORED), the smaller becomes
 * responder; both end Established on one key and both queued payloads
 * arrive, then traffic flows both ways.
 */
static void test_dual_initiation(void)
{
	uint8_t pub0[32], pub1[32];
	struct engine_config q;
	struct peer *p0, *p1;
	struct pair pr;
	int big, small;

	cfg_quiet(&q);
	pair_init(&pr);
	pr.latency_ms = 1;
	pair_node_init(&pr, 0, NULL, &q);
	pair_node_init(&pr, 1, NULL, &q);
	engine_public_key(eng(&pr, 0), pub0);
	engine_public_key(eng(&pr, 1), pub1);
	CHECK_EQ(engine_add_peer(eng(&pr, 0), pub1, &pr.node[1].addr, true, server_id), 0);
	CHECK_EQ(engine_add_peer(eng(&pr, 1), pub0, &pr.node[0].addr, true, client_id), 0);
	big = memcmp(pub0, pub1, 32) > 0 ? 0 : 1;
	small = 1 - big;

	CHECK_EQ(send_text(&pr, 0, "from 0"), 0);
	CHECK_EQ(send_text(&pr, 1, "from 1"), 0);
	CHECK_EQ(pr.q_len, 2); /* two HELLOs cross */
	pair_run(&pr, 50);
	CHECK_EQ(drops(&pr, big, DROP_HELLO_IGNORED), 1);
	CHECK_EQ(drops(&pr, small, DROP_HELLO_IGNORED), 0);
	CHECK_EQ(state_of(&pr, 0), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, 1), PEER_ESTABLISHED);
	p0 = peer_of(&pr, 0);
	p1 = peer_of(&pr, 1);
	CHECK_MEM(p0->cur.key, p1->cur.key, 32);
	CHECK_EQ((big == 0 ? p0 : p1)->cur.tx_dir, WIRE_DIR_INITIATOR);
	CHECK_EQ((small == 0 ? p0 : p1)->cur.tx_dir, WIRE_DIR_RESPONDER);
	CHECK_EQ(delivered(&pr, 1, "from 0"), 1);
	CHECK_EQ(delivered(&pr, 0, "from 1"), 1);
	CHECK_EQ(send_text(&pr, 0, "again from 0"), 0);
	CHECK_EQ(send_text(&pr, 1, "again from 1"), 0);
	pair_run(&pr, 10);
	CHECK_EQ(delivered(&pr, 1, "again from 0"), 1);
	CHECK_EQ(delivered(&pr, 0, "again from 1"), 1);
	CHECK_EQ(engine_stats(eng(&pr, 0))->handshakes_completed, 1);
	CHECK_EQ(engine_stats(eng(&pr, 1))->handshakes_completed, 1);
	pair_fini(&pr);
}

/*
 * 25: an unreachable peer. Ten HELLOs go out on the 50 ms << attempts
 * schedule (the tenth at 51.1 s), then ENGINE_EV_HANDSHAKE_FAILED, and the
 * next send reports -EPIPE exactly once before starting over.
 */
static void test_handshake_exhaustion(void)
{
	uint64_t t0, last_hello = 0, failed_at = 0, tx = 1;
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	pr.loss_pct = 100;
	t0 = pr.now_ms;
	CHECK_EQ(send_text(&pr, CLIENT, "never arrives"), 0);
	while (pr.now_ms - t0 < 120000 && !failed_at) {
		uint64_t at = pr.now_ms;

		pair_run(&pr, 1);
		if (engine_stats(eng(&pr, CLIENT))->tx_packets != tx) {
			tx = engine_stats(eng(&pr, CLIENT))->tx_packets;
			last_hello = at;
		}
		if (pr.node[CLIENT].events[ENGINE_EV_HANDSHAKE_FAILED])
			failed_at = at;
	}
	CHECK_EQ(tx, 10);
	CHECK_EQ(last_hello - t0, 51100);
	CHECK(failed_at >= last_hello);
	CHECK(failed_at - t0 <= 51100 + 51200);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_HANDSHAKE_FAILED], 1);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_PENDING);
	CHECK_EQ(peer_of(&pr, CLIENT)->queue_len, 0);
	pair_run(&pr, 1000);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->tx_packets, 10);

	CHECK_EQ(send_text(&pr, CLIENT, "told once"), -EPIPE);
	CHECK_EQ(send_text(&pr, CLIENT, "starts over"), 0);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_AWAITING_ACK);
	pr.loss_pct = 0;
	pair_run(&pr, 300);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "starts over"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "told once"), 0);
	pair_fini(&pr);
}

/* 26: 10% loss, 5% duplication, 10% reordering: the handshake completes, nothing arrives twice. */
static void test_lossy_wire(void)
{
	enum { N = 1500 };
	static unsigned seen_s[N], seen_c[N];
	unsigned twice = 0, got_s = 0, got_c = 0, sent_c = 0, sent_s = 0;
	char text[16];
	struct pair pr;

	memset(seen_s, 0, sizeof(seen_s));
	memset(seen_c, 0, sizeof(seen_c));
	setup(&pr, 2, NULL, NULL);
	pr.loss_pct = 10;
	pr.dup_pct = 5;
	pr.reorder_pct = 10;
	CHECK_EQ(send_text(&pr, CLIENT, "hello"), 0);
	for (int ms = 0; ms < 5000; ms++) {
		if (state_of(&pr, CLIENT) == PEER_ESTABLISHED &&
		    state_of(&pr, SERVER) == PEER_ESTABLISHED)
			break;
		pair_run(&pr, 1);
		/* A lost first DATA leaves the server waiting: any later DATA confirms (Q5). */
		if (ms % 50 == 49 && state_of(&pr, CLIENT) == PEER_ESTABLISHED)
			send_text(&pr, CLIENT, "nudge");
	}
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);

	for (unsigned i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "c%06u", i);
		sent_c += send_text(&pr, CLIENT, text) == 0;
		snprintf(text, sizeof(text), "s%06u", i);
		sent_s += send_text(&pr, SERVER, text) == 0;
		if (i % 2)
			pair_run(&pr, 1);
	}
	pair_run(&pr, 100);
	CHECK_EQ(sent_c, N);
	CHECK_EQ(sent_s, N);
	tally(&pr, SERVER, 'c', seen_s, N);
	tally(&pr, CLIENT, 's', seen_c, N);
	for (unsigned i = 0; i < N; i++) {
		twice += (seen_s[i] > 1) + (seen_c[i] > 1);
		got_s += seen_s[i] != 0;
		got_c += seen_c[i] != 0;
	}
	CHECK_EQ(twice, 0);
	CHECK(got_s >= N * 8 / 10 && got_s < N);
	CHECK(got_c >= N * 8 / 10 && got_c < N);
	CHECK(drops(&pr, SERVER, DROP_REPLAY) > 0); /* the duplicates were seen and refused */
	CHECK(pr.lost > 0);
	pair_fini(&pr);
}

/* ---- 27-28: CLOSE, PING */

/*
 * 27: CLOSE forgets the session on both sides (keys, CIDs) and a new
 * handshake works afterwards: a resumption, whose key receives on the old
 * CIDs until the client's immediate rekey brings fresh ones (Q6), or a full
 * handshake when the server keeps no tickets. A captured CLOSE replayed
 * into the new session does nothing (Q7).
 */
static void test_close(void)
{
	uint8_t close_pkt[WIRE_MAX_PACKET_BYTES], data[WIRE_MAX_PACKET_BYTES];
	struct engine_peer_info info;
	struct engine_config scfg;
	size_t close_len, data_len;
	uint16_t server_cid, client_cid;
	uint64_t before;
	struct pair pr;

	setup(&pr, 0, NULL, NULL);
	establish(&pr);
	server_cid = peer_of(&pr, SERVER)->cur.rx_cid;
	client_cid = peer_of(&pr, CLIENT)->cur.rx_cid;
	data_len = capture_data(&pr, CLIENT, "old session", 0, 0, data);
	pr.node[CLIENT].is_capturing = true;
	CHECK_EQ(engine_close(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	pr.node[CLIENT].is_capturing = false;
	close_len = pr.node[CLIENT].last_tx_len;
	memcpy(close_pkt, pr.node[CLIENT].last_tx, close_len);
	CHECK_EQ(close_pkt[1], WIRE_TYPE_CLOSE);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_PENDING);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_CLOSED], 1);
	CHECK(cid_lookup(eng(&pr, CLIENT), client_cid) == NULL);
	inject(&pr, SERVER, close_pkt, close_len, &pr.node[CLIENT].addr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);
	CHECK_EQ(pr.node[SERVER].events[ENGINE_EV_CLOSED], 1);
	CHECK(cid_lookup(eng(&pr, SERVER), server_cid) == NULL);
	CHECK(!peer_of(&pr, SERVER)->cur.is_set && !peer_of(&pr, CLIENT)->cur.is_set);
	CHECK_EQ(engine_close(eng(&pr, CLIENT), pr.now_ms, server_id), -ENOTCONN);
	inject(&pr, SERVER, data, data_len, &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, SERVER, DROP_UNKNOWN_CID), 1);
	CHECK_EQ(delivered(&pr, SERVER, "old session"), 0);

	CHECK_EQ(send_text(&pr, CLIENT, "second session"), 0);
	pair_deliver_due(&pr); /* RESUME_HELLO */
	/* Q6: the resumed key receives on the old CID but does not send with it. */
	CHECK_EQ(peer_of(&pr, SERVER)->cur.rx_cid, server_cid);
	CHECK(peer_of(&pr, SERVER)->cur.is_inherited_cids);
	CHECK(cid_lookup(eng(&pr, SERVER), server_cid) != NULL);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(!info.has_short_header);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 1);
	CHECK_EQ(delivered(&pr, SERVER, "second session"), 1);
	/* The client rekeys at once, which gives both sides fresh CIDs for short headers. */
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->rekeys, 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->rekeys, 1);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK(info.has_short_header);
	CHECK_EQ(info.rx_cid, peer_of(&pr, CLIENT)->cur.tx_cid);
	before = drops(&pr, SERVER, DROP_AUTH) + drops(&pr, SERVER, DROP_REPLAY);
	inject(&pr, SERVER, close_pkt, close_len, &pr.node[CLIENT].addr);
	CHECK_EQ(drops(&pr, SERVER, DROP_AUTH) + drops(&pr, SERVER, DROP_REPLAY), before + 1);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(send_text(&pr, CLIENT, "survived the replay"), 0);
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "survived the replay"), 1);
	pair_fini(&pr);

	/* The server closes; with no tickets kept the next session is a full handshake. */
	cfg_quiet(&scfg);
	scfg.ticket_store_cap = 0;
	setup(&pr, 0, NULL, &scfg);
	establish(&pr);
	CHECK_EQ(engine_close(eng(&pr, SERVER), pr.now_ms, client_id), 0);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_PENDING);
	CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_CLOSED], 1);
	CHECK_EQ(send_text(&pr, CLIENT, "full again"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_HELLO) >= 0);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->handshakes_completed, 2);
	CHECK_EQ(delivered(&pr, SERVER, "full again"), 1);
	pair_fini(&pr);
}

/*
 * 28: PING/PONG gives an RTT sample (the responder has none before);
 * the periodic PING does the same; a replayed PING gets no second PONG (Q7).
 */
static void test_ping(void)
{
	uint8_t ping[WIRE_MAX_PACKET_BYTES];
	struct engine_peer_info info;
	struct engine_config scfg;
	struct pair pr;
	uint64_t tx;
	size_t len;

	setup(&pr, 3, NULL, NULL);
	establish(&pr);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK_EQ(info.srtt_us, UINT32_MAX);
	engine_peer_info(eng(&pr, CLIENT), server_id, &info);
	CHECK_EQ(info.srtt_us, 6000); /* HELLO -> HELLO_ACK */
	CHECK_EQ(engine_ping(eng(&pr, SERVER), pr.now_ms, client_id), 0);
	pair_run(&pr, 20);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK_EQ(info.srtt_us, 6000);

	pr.node[CLIENT].is_capturing = true;
	CHECK_EQ(engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	pr.node[CLIENT].is_capturing = false;
	len = pr.node[CLIENT].last_tx_len;
	memcpy(ping, pr.node[CLIENT].last_tx, len);
	tx = engine_stats(eng(&pr, SERVER))->tx_packets;
	inject(&pr, SERVER, ping, len, &pr.node[CLIENT].addr);
	inject(&pr, SERVER, ping, len, &pr.node[CLIENT].addr);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->tx_packets, tx + 1);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 1);
	pair_fini(&pr);

	/* The periodic probe (5 s by default) on the responder. */
	engine_config_default(&scfg);
	setup(&pr, 3, NULL, &scfg);
	establish(&pr);
	pair_run(&pr, 5100);
	engine_peer_info(eng(&pr, SERVER), client_id, &info);
	CHECK_EQ(info.srtt_us, 6000);
	pair_fini(&pr);
}

/* ---- 29-30: key checks and tickets across a rekey */

/*
 * 29 (Q21): HELLOs with an all-zero static or ephemeral key are refused
 * before any X25519; a low-order ephemeral is refused by the all-zero DH
 * check. None of them leaves state behind; the genuine HELLO still works.
 */
static void test_bad_hello_keys(void)
{
	static const struct {
		size_t offset;
		uint8_t first; /* byte 0 of the key; the other 31 are zero */
		bool is_free;  /* refused with no X25519 at all */
	} t[] = {
		{36, 0, true},	/* static all zero */
		{68, 0, true},	/* ephemeral all zero */
		{68, 1, false}, /* ephemeral u = 1: low order, DH result zero */
	};
	uint8_t hello[WIRE_MAX_PACKET_BYTES], bad[WIRE_MAX_PACKET_BYTES];
	unsigned long ops;
	struct pair pr;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "good keys"), 0);
	len = wire_copy(&pr, WIRE_TYPE_HELLO, hello);
	pr.q_len = 0;
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		memcpy(bad, hello, len);
		memset(bad + t[i].offset, 0, 32);
		bad[t[i].offset] = t[i].first;
		ops = x25519_operations();
		inject(&pr, SERVER, bad, len, &pr.node[CLIENT].addr);
		CHECK_EQ(drops(&pr, SERVER, DROP_AUTH), i + 1);
		if (t[i].is_free)
			CHECK_EQ(x25519_operations() - ops, 0);
		CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);
		CHECK(!peer_of(&pr, SERVER)->next.is_set);
		CHECK_EQ(pr.q_len, 0);
	}
	inject(&pr, SERVER, hello, len, &pr.node[CLIENT].addr);
	pair_pump(&pr);
	CHECK_EQ(state_of(&pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "good keys"), 1);
	pair_fini(&pr);
}

/*
 * 30 (Q11): the ticket arrives after the client rekeyed, so it opens with
 * the previous key. The psk comes from that same key, as on the server, and
 * resuming with it works (the reference derives it from the new key and
 * the resumption fails).
 */
static void test_ticket_across_rekey(void)
{
	uint8_t ticket[WIRE_MAX_PACKET_BYTES];
	struct pair pr;
	size_t len;

	setup(&pr, 0, NULL, NULL);
	CHECK_EQ(send_text(&pr, CLIENT, "first"), 0);
	pair_deliver_due(&pr); /* HELLO */
	pair_deliver_due(&pr); /* HELLO_ACK */
	pair_deliver_due(&pr); /* DATA: the server confirms and issues a ticket */
	len = wire_copy(&pr, WIRE_TYPE_RESUMPTION_TICKET, ticket);
	wire_drop_to(&pr, CLIENT);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_TICKET], 0);
	CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	pair_pump(&pr);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->rekeys, 1);

	pr.now_ms += 500;
	inject(&pr, CLIENT, ticket, len, &pr.node[SERVER].addr);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_TICKET], 1);
	close_session(&pr);
	CHECK_EQ(send_text(&pr, CLIENT, "resumed with it"), 0);
	CHECK(wire_find(&pr, WIRE_TYPE_RESUME_HELLO) >= 0);
	pair_pump(&pr);
	CHECK_EQ(engine_stats(eng(&pr, CLIENT))->resumptions_completed, 1);
	CHECK_EQ(engine_stats(eng(&pr, SERVER))->resumptions_completed, 1);
	CHECK_EQ(delivered(&pr, SERVER, "resumed with it"), 1);
	pair_fini(&pr);
}

/*
 * 31: both sides request a rekey at the same moment. Each switches to its
 * own K' and receives the other's request under the key it just retired;
 * the greater static key's rekey stands and the other side adopts it, so
 * both end on one key (the reference would stay split for good, §14.2).
 */
static void test_crossed_rekey(void)
{
	struct pair pr;
	struct peer *c, *s;
	int winner;

	setup(&pr, 1, NULL, NULL);
	establish(&pr);
	CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	CHECK_EQ(engine_rekey(eng(&pr, SERVER), pr.now_ms, client_id), 0);
	pair_run(&pr, 20);
	c = peer_of(&pr, CLIENT);
	s = peer_of(&pr, SERVER);
	CHECK(c->cur.is_set && s->cur.is_set);
	CHECK_MEM(c->cur.key, s->cur.key, WIRE_KEY_BYTES);
	CHECK(c->cur.tx_dir != s->cur.tx_dir);
	CHECK_EQ(c->cur.rx_cid, s->cur.tx_cid);
	CHECK(!c->is_rekey_pending && !s->is_rekey_pending);
	/* c->pub is the server's key, s->pub the client's: the greater one keeps its rekey. */
	winner = memcmp(c->pub, s->pub, WIRE_KEY_BYTES) > 0 ? SERVER : CLIENT;
	CHECK_EQ(drops(&pr, winner, DROP_REKEY_CROSSED), 1);
	CHECK_EQ(drops(&pr, winner == CLIENT ? SERVER : CLIENT, DROP_REKEY_CROSSED), 0);
	CHECK_EQ(send_text(&pr, CLIENT, "after crossed rekey c"), 0);
	CHECK_EQ(send_text(&pr, SERVER, "after crossed rekey s"), 0);
	pair_run(&pr, 20);
	CHECK_EQ(delivered(&pr, SERVER, "after crossed rekey c"), 1);
	CHECK_EQ(delivered(&pr, CLIENT, "after crossed rekey s"), 1);
	pair_fini(&pr);
}

/*
 * 32: accept-any: a HELLO whose ephemeral key is low order (DH result zero)
 * from ever new identities must not leave automatic peers behind, or a
 * flood would fill the table and lock every genuine client out.
 */
static void test_failed_hello_leaves_no_peer(void)
{
	uint8_t hello[WIRE_MAX_PACKET_BYTES], pub[32], eph[32] = {1}, nonce[16] = {0};
	struct engine_config scfg;
	struct pair pr;
	size_t len;

	cfg_quiet(&scfg);
	scfg.accept_any_peer = true;
	scfg.max_auto_peers = 4;
	setup(&pr, 0, NULL, &scfg);
	for (int i = 0; i < 20; i++) {
		memset(pub, 0x30 + i, sizeof(pub));
		len = craft_hello(hello, server_id, pub, eph, nonce);
		inject(&pr, SERVER, hello, len, &pr.node[CLIENT].addr);
	}
	CHECK_EQ(drops(&pr, SERVER, DROP_AUTH), 20);
	CHECK_EQ(drops(&pr, SERVER, DROP_PEER_LIMIT), 0);
	CHECK_EQ(eng(&pr, SERVER)->auto_peer_count, 0);
	/* A genuine stranger still gets in. */
	pair_node_init(&pr, THIRD, NULL, NULL);
	{
		uint8_t spub[32], sid[8];

		engine_public_key(eng(&pr, SERVER), spub);
		CHECK_EQ(engine_add_peer(eng(&pr, THIRD), spub, &pr.node[SERVER].addr, true, sid),
			 0);
		CHECK_EQ(engine_send_data(eng(&pr, THIRD), pr.now_ms, sid, (const uint8_t *)"in", 2,
					  0, 0),
			 0);
	}
	pair_pump(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "in"), 1);
	CHECK_EQ(eng(&pr, SERVER)->auto_peer_count, 1);
	pair_fini(&pr);
}

/*
 * 33: a HELLO spoofed with a registered initiator peer's public key moves
 * that peer's address to the spoofed source while the (never confirmed)
 * key waits; when it expires the configured address comes back, so the
 * next handshake goes to the real peer.
 */
static void test_spoofed_hello_address_restored(void)
{
	uint8_t hello[WIRE_MAX_PACKET_BYTES], spub[32], eph[32], nonce[16] = {7};
	struct net_addr evil;
	struct pair pr;
	size_t len;

	setup(&pr, 1, NULL, NULL);
	/* The server's peer entry for the client becomes an initiator with a home address. */
	engine_public_key(eng(&pr, CLIENT), spub);
	CHECK_EQ(engine_add_peer(eng(&pr, SERVER), spub, &pr.node[CLIENT].addr, true, NULL), 0);
	memset(eph, 0x21, sizeof(eph));
	eph[0] = 9; /* any valid-looking point: x25519 of it is not zero */
	set_addr(&evil, 66, 6666);
	len = craft_hello(hello, server_id, spub, eph, nonce);
	inject(&pr, SERVER, hello, len, &evil);
	CHECK(addr_equal(&peer_of(&pr, SERVER)->addr, &evil));
	pair_run(&pr, 31000); /* the awaiting-data timeout (30 s) */
	CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);
	CHECK(addr_equal(&peer_of(&pr, SERVER)->addr, &pr.node[CLIENT].addr));
	CHECK_EQ(send_text(&pr, SERVER, "to the real client"), 0);
	pair_run(&pr, 50);
	CHECK_EQ(delivered(&pr, CLIENT, "to the real client"), 1);
	pair_fini(&pr);
}

/*
 * 34: an established responder whose client restarted: the new session's
 * first DATA carries a coalescing group and a deadline. It is judged by
 * the new session (fresh coalescing table, the new key's epoch), so it
 * confirms the new key instead of being dropped by the old session's state.
 */
static void test_rehandshake_with_coalescing_and_deadline(void)
{
	struct engine_config ccfg;
	uint8_t secret[32];
	struct pair pr;

	setup(&pr, 1, NULL, NULL);
	establish(&pr);
	for (int i = 0; i < 50; i++)
		CHECK_EQ(send_ex(&pr, CLIENT, "old update", 0, 7), 0);
	pair_run(&pr, 20);
	pair_run(&pr, 5000); /* the old session's epoch is now 5 s in the past */
	/* The client restarts: same identity, new engine, nothing remembered. */
	engine_free(pr.node[CLIENT].e);
	memset(secret, 0xa0 + CLIENT, sizeof(secret));
	cfg_quiet(&ccfg);
	{
		struct engine_io io = {pair_send, pair_event, pair_random, &pr.node[CLIENT]};
		uint8_t spub[32];

		pr.node[CLIENT].e = engine_new(secret, &ccfg, &io, pr.now_ms, pr.unix_ms);
		engine_public_key(eng(&pr, SERVER), spub);
		CHECK_EQ(engine_add_peer(eng(&pr, CLIENT), spub, &pr.node[SERVER].addr, true, NULL),
			 0);
	}
	CHECK_EQ(send_ex(&pr, CLIENT, "new update", 100, 7), 0);
	pair_run(&pr, 20);
	CHECK_EQ(delivered(&pr, SERVER, "new update"), 1);
	CHECK_EQ(drops(&pr, SERVER, DROP_SUPERSEDED), 0);
	CHECK_EQ(drops(&pr, SERVER, DROP_DEADLINE), 0);
	CHECK(!peer_of(&pr, SERVER)->next.is_set);
	CHECK_MEM(peer_of(&pr, SERVER)->cur.key, peer_of(&pr, CLIENT)->cur.key, WIRE_KEY_BYTES);
	pair_fini(&pr);
}

/* ---- the case table */

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	/* 1 */ {"replayed long and short DATA", test_replayed_data},
	/* 2 */ {"HELLO replayed while AwaitingData", test_hello_replay_awaiting_data},
	/* 3 */ {"HELLO replayed while Established (Q12)", test_hello_replay_established},
	/* 4 */ {"forged tags", test_forged_tags},
	/* 5 */ {"truncated, oversized, undecodable", test_malformed},
	/* 6 */ {"wrong destination", test_wrong_destination},
	/* 7 */ {"HELLO flood under cookies", test_hello_flood_cookies},
	/* 8 */ {"amplification limit (Q20)", test_amplification},
	/* 9 */ {"ticket reuse", test_ticket_reuse},
	/* 10 */ {"expired tickets", test_ticket_expired},
	/* 11 */ {"unknown ticket falls back (Q10)", test_unknown_ticket_fallback},
	/* 12 */ {"rekey under load", test_rekey_under_load},
	/* 13 */ {"rekey grace windows and stale CIDs (Q8, Q6)", test_rekey_grace_windows},
	/* 14 */ {"CID collision (Q6)", test_cid_collision},
	/* 15 */ {"short DATA confirms the responder (Q5)", test_short_data_confirms},
	/* 16 */ {"migration", test_migration},
	/* 17 */ {"spoofed source does not migrate", test_spoofed_source_no_migration},
	/* 18 */ {"replay from a spoofed address", test_replay_from_spoofed_address},
	/* 19 */ {"sequence ceiling", test_sequence_ceiling},
	/* 20 */ {"HELLO_ACK for another destination (Q17)", test_hello_ack_wrong_dst},
	/* 21 */ {"forged HELLO_ACK and RESUME_ACK (Q23)", test_forged_acks},
	/* 22 */ {"deadlines (Q16)", test_deadlines},
	/* 23 */ {"coalescing", test_coalescing},
	/* 24 */ {"dual initiation", test_dual_initiation},
	/* 25 */ {"handshake exhaustion", test_handshake_exhaustion},
	/* 26 */ {"lossy wire", test_lossy_wire},
	/* 27 */ {"CLOSE and a new session (Q6, Q7)", test_close},
	/* 28 */ {"PING/PONG RTT (Q7)", test_ping},
	/* 29 */ {"all-zero and low-order HELLO keys (Q21)", test_bad_hello_keys},
	/* 30 */ {"ticket opened with the previous key (Q11)", test_ticket_across_rekey},
	/* 31 */ {"crossed rekeys converge", test_crossed_rekey},
	/* 32 */ {"failed HELLOs leave no automatic peer", test_failed_hello_leaves_no_peer},
	/* 33 */
	{"spoofed HELLO: configured address restored", test_spoofed_hello_address_restored},
	/* 34 */
	{"re-handshake judged by the new session", test_rehandshake_with_coalescing_and_deadline},
};

int main(int argc, char **argv)
{
	int only = argc > 1 ? atoi(argv[1]) : 0;

	if (backend_init() != 0)
		return 1;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned failed = harness_failed;

		if (only && (size_t)only != i + 1)
			continue;
		cases[i].run();
		if (harness_failed != failed)
			fprintf(stderr, "case %zu (%s): %u check(s) failed\n", i + 1, cases[i].name,
				harness_failed - failed);
	}
	return harness_finish();
}
