/* SPDX-License-Identifier: MIT */
/*
 * proto/offload.c: what driftd uses to hand sessions to an external
 * dataplane, on the in-memory wire of tests/lib/pair.h with a fake clock.
 * Each numbered case drives one call (session export, the shared tx
 * counter and how an epoch change drops it, import after a restart, a new
 * source reported by the dataplane, the peer walk) and asserts what the
 * peer on the other end of the wire actually sees.
 *
 * Node 0 is the client (initiator), node 1 the server (responder), node 2
 * a spare engine when a case needs one. RTT probing is off and the wire
 * has no latency, so it carries only what the case causes and the clock
 * moves only when a case moves it.
 */
#include "tests/lib/pair.h"

#include "crypto/backend.h"

#include <errno.h>
#include <stdatomic.h>

enum {
	CLIENT = 0,
	SERVER = 1,
	THIRD = 2,
	TAG = 7,
	FAR_DEADLINE_MS = 60000,
};

static uint8_t server_id[8], client_id[8];

/* ---- helpers (as in test_engine.c) */

static void cfg_quiet(struct engine_config *c)
{
	engine_config_default(c);
	c->rtt_probe_interval_ms = 0;
}

/* Client (node 0) and server (node 1), registered with each other, no latency. */
static void setup(struct pair *pr)
{
	struct engine_config q;

	cfg_quiet(&q);
	pair_init(pr);
	pr->latency_ms = 0;
	pair_node_init(pr, CLIENT, NULL, &q);
	pair_node_init(pr, SERVER, NULL, &q);
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

static enum engine_peer_state state_of(struct pair *pr, int node)
{
	struct engine_peer_info info;

	if (engine_peer_info(eng(pr, node), id_at(node), &info) != 0)
		return (enum engine_peer_state) - 1;
	return info.state;
}

static uint32_t next_seq_of(struct pair *pr, int node)
{
	struct engine_peer_info info;

	CHECK_EQ(engine_peer_info(eng(pr, node), id_at(node), &info), 0);
	return info.next_tx_seq;
}

static uint64_t drops(struct pair *pr, int node, enum engine_drop d)
{
	return engine_stats(eng(pr, node))->drops[d];
}

static int send_ex(struct pair *pr, int from, const char *text, uint16_t deadline_ms)
{
	return engine_send_data(eng(pr, from), pr->now_ms, id_at(from), (const uint8_t *)text,
				strlen(text), deadline_ms, 0);
}

static int send_text(struct pair *pr, int from, const char *text)
{
	return send_ex(pr, from, text, 0);
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

static void settle(struct pair *pr)
{
	pair_pump(pr);
}

/* Client sends "hello"; both end Established. */
static void establish(struct pair *pr)
{
	CHECK_EQ(send_text(pr, CLIENT, "hello"), 0);
	settle(pr);
	CHECK_EQ(state_of(pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(state_of(pr, SERVER), PEER_ESTABLISHED);
	CHECK_EQ(delivered(pr, SERVER, "hello"), 1);
}

static bool last_is_short(struct pair *pr, int node)
{
	const struct pair_node *n = &pr->node[node];

	return n->last_tx_len && header_classify(n->last_tx[0]) == HEADER_FORM_SHORT;
}

/* The seq of the datagram `node` sent last (short or long header). */
static uint32_t last_seq(struct pair *pr, int node)
{
	const struct pair_node *n = &pr->node[node];
	struct short_header sh;
	struct long_header lh;
	size_t body;

	if (last_is_short(pr, node)) {
		CHECK_EQ(header_short_decode(&sh, n->last_tx, n->last_tx_len), HEADER_OK);
		return sh.seq;
	}
	CHECK_EQ(header_long_decode(&lh, &body, n->last_tx, n->last_tx_len), HEADER_OK);
	return lh.seq;
}

/* A long-header DATA from `from` with seq `seq`, captured rather than sent. */
static size_t capture_long(struct pair *pr, int from, uint32_t seq, const char *text, uint8_t *out)
{
	struct pair_node *n = &pr->node[from];
	int rc;

	engine_test_set_tx_seq(eng(pr, from), id_at(from), seq);
	n->last_tx_len = 0;
	n->is_capturing = true;
	rc = send_ex(pr, from, text, FAR_DEADLINE_MS); /* a deadline forces the long form */
	n->is_capturing = false;
	CHECK_EQ(rc, 0);
	CHECK(!last_is_short(pr, from));
	CHECK_EQ(last_seq(pr, from), seq);
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

static void export_of(struct pair *pr, int node, struct engine_session_export *out)
{
	CHECK_EQ(engine_session_export(eng(pr, node), pr->now_ms, id_at(node), out), 0);
}

static uint64_t tx_word(uint32_t tag, uint32_t seq)
{
	return (uint64_t)tag << 32 | seq;
}

static bool is_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Replaces node `i`'s engine by a fresh one with the same identity (a restart). */
static void restart_node(struct pair *pr, int i)
{
	struct engine_config q;

	cfg_quiet(&q);
	engine_free(pr->node[i].e);
	free(pr->node[i].msgs);
	memset(&pr->node[i], 0, sizeof(pr->node[i]));
	pair_node_init(pr, i, NULL, &q);
}

/* ---- cases */

/*
 * 1: after a handshake both sides export one Established epoch: the same
 * key, opposite directions, crossed CIDs and no previous epoch. A peer
 * with no session exports without keys; an unknown one is -ENOENT.
 */
static void test_export_after_handshake(void)
{
	static const uint8_t unknown[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
	struct engine_session_export c, s;
	uint8_t pub_c[32], pub_s[32];
	struct pair pr;

	setup(&pr);
	export_of(&pr, CLIENT, &c);
	CHECK_EQ(c.state, PEER_PENDING);
	CHECK(!c.cur.is_set && !c.prev.is_set);
	CHECK(is_all_zero(c.cur.key, sizeof(c.cur.key)));
	CHECK_MEM(c.id, server_id, 8);
	CHECK_EQ(engine_session_export(eng(&pr, CLIENT), pr.now_ms, unknown, &c), -ENOENT);

	establish(&pr);
	export_of(&pr, CLIENT, &c);
	export_of(&pr, SERVER, &s);
	engine_public_key(eng(&pr, CLIENT), pub_c);
	engine_public_key(eng(&pr, SERVER), pub_s);
	CHECK_EQ(c.state, PEER_ESTABLISHED);
	CHECK_EQ(s.state, PEER_ESTABLISHED);
	CHECK(c.cur.is_set && s.cur.is_set);
	CHECK_MEM(c.cur.key, s.cur.key, WIRE_KEY_BYTES);
	CHECK(!is_all_zero(c.cur.key, sizeof(c.cur.key)));
	CHECK_EQ(c.cur.tx_dir, WIRE_DIR_INITIATOR);
	CHECK_EQ(s.cur.tx_dir, WIRE_DIR_RESPONDER);
	CHECK(c.cur.has_cids && s.cur.has_cids);
	CHECK(!c.cur.is_rx_only_cids && !s.cur.is_rx_only_cids);
	CHECK_EQ(c.cur.rx_cid, s.cur.tx_cid);
	CHECK_EQ(c.cur.tx_cid, s.cur.rx_cid);
	CHECK(!c.prev.is_set && !s.prev.is_set);
	CHECK_MEM(c.pub, pub_s, 32);
	CHECK_MEM(s.pub, pub_c, 32);
	CHECK_MEM(c.id, server_id, 8);
	CHECK_MEM(s.id, client_id, 8);
	CHECK(c.is_initiator && !s.is_initiator);
	CHECK(addr_equal(&c.addr, &pr.node[SERVER].addr));
	CHECK(addr_equal(&s.addr, &pr.node[CLIENT].addr));
	CHECK_EQ(c.next_tx_seq, next_seq_of(&pr, CLIENT));
	CHECK_EQ(s.next_tx_seq, next_seq_of(&pr, SERVER));
	CHECK(c.next_tx_seq >= 2); /* "hello" went out as seq 1 */
	/* The server's window saw the client's seq 1. */
	CHECK(s.cur.replay.highest >= 1);
	CHECK(!replay_check(&s.cur.replay, 1));

	engine_session_export_wipe(&c);
	CHECK(is_all_zero(&c, sizeof(c)));
	engine_session_export_wipe(&s);
	pair_fini(&pr);
}

/*
 * 2: a bound peer takes its tx seqs from the shared word, interleaved with
 * whatever the dataplane takes; every packet type draws from it; a word
 * naming another epoch is refused; unbinding carries the word's count back.
 */
static void test_bind_tx_counter(void)
{
	static const uint8_t unknown[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct engine_session_export c;
	_Atomic uint64_t word;
	uint32_t next, low;
	struct pair pr;

	setup(&pr);
	atomic_init(&word, tx_word(TAG, 1));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, &word, TAG), -ENOTCONN);
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), unknown, &word, TAG), -ENOENT);
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), unknown, NULL, 0), -ENOENT);
	establish(&pr);

	export_of(&pr, CLIENT, &c);
	next = c.next_tx_seq;
	atomic_store(&word, tx_word(TAG, next));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, &word, TAG), 0);
	CHECK_EQ(next_seq_of(&pr, CLIENT), next);

	CHECK_EQ(send_text(&pr, CLIENT, "bound 1"), 0);
	CHECK(last_is_short(&pr, CLIENT));
	CHECK_EQ(last_seq(&pr, CLIENT), next);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, next + 1));
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "bound 1"), 1);

	/* The dataplane takes 100 seqs; the engine's next packet follows them. */
	for (int i = 0; i < 100; i++)
		atomic_fetch_add(&word, 1);
	CHECK_EQ(next_seq_of(&pr, CLIENT), next + 101);
	CHECK_EQ(send_text(&pr, CLIENT, "bound 2"), 0);
	CHECK(last_is_short(&pr, CLIENT));
	CHECK_EQ(last_seq(&pr, CLIENT), next + 101);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, next + 102));
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "bound 2"), 1);

	/* Control packets share the counter (WIRE.md §13). */
	CHECK_EQ(engine_ping(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	CHECK_EQ(pr.node[CLIENT].last_tx[1], WIRE_TYPE_PING);
	CHECK_EQ(last_seq(&pr, CLIENT), next + 102);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, next + 103));
	settle(&pr);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 0);

	/* A word that names another epoch gives no seq. */
	atomic_store(&word, tx_word(TAG + 1, next + 103));
	pr.node[CLIENT].last_tx_len = 0;
	CHECK_EQ(send_text(&pr, CLIENT, "wrong tag"), -ERANGE);
	CHECK_EQ(pr.node[CLIENT].last_tx_len, 0);
	atomic_store(&word, tx_word(TAG, next + 103));

	/* Unbinding: the private counter continues from the word, not from before. */
	for (int i = 0; i < 10; i++)
		atomic_fetch_add(&word, 1);
	low = next + 113;
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, NULL, 0), 0);
	CHECK_EQ(next_seq_of(&pr, CLIENT), low);
	CHECK_EQ(send_text(&pr, CLIENT, "unbound"), 0);
	CHECK_EQ(last_seq(&pr, CLIENT), low);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, low));
	CHECK_EQ(next_seq_of(&pr, CLIENT), low + 1);
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "unbound"), 1);
	/* Unbinding again changes nothing. */
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, NULL, 0), 0);
	CHECK_EQ(next_seq_of(&pr, CLIENT), low + 1);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 0);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	pair_fini(&pr);
}

/*
 * 3: a rekey changes the current epoch, so the binding drops: the new
 * epoch counts privately from 1 and the word stays where it was. Export
 * shows the old key as prev for the 2 s grace only. A rekey the other side
 * starts drops the binding just the same.
 */
static void test_rekey_drops_binding(void)
{
	struct engine_session_export old, now, srv;
	_Atomic uint64_t word, word2;
	uint64_t w;
	struct pair pr;

	setup(&pr);
	establish(&pr);
	export_of(&pr, CLIENT, &old);
	atomic_init(&word, tx_word(TAG, old.next_tx_seq));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, &word, TAG), 0);

	CHECK_EQ(engine_rekey(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	/* The REKEY_REQUEST itself went out under the old key, from the word. */
	CHECK_EQ(pr.node[CLIENT].last_tx[1], WIRE_TYPE_REKEY_REQUEST);
	CHECK_EQ(last_seq(&pr, CLIENT), old.next_tx_seq);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, old.next_tx_seq + 1));
	settle(&pr);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_REKEYED], 1);
	CHECK_EQ(pr.node[SERVER].events[ENGINE_EV_REKEYED], 1);

	w = atomic_load(&word);
	CHECK_EQ(next_seq_of(&pr, CLIENT), 1);
	CHECK_EQ(send_text(&pr, CLIENT, "after rekey"), 0);
	CHECK(last_is_short(&pr, CLIENT));
	CHECK_EQ(last_seq(&pr, CLIENT), 1);
	CHECK_EQ(atomic_load(&word), w);
	CHECK_EQ(send_text(&pr, CLIENT, "after rekey 2"), 0);
	CHECK_EQ(last_seq(&pr, CLIENT), 2);
	CHECK_EQ(atomic_load(&word), w);
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "after rekey"), 1);
	CHECK_EQ(delivered(&pr, SERVER, "after rekey 2"), 1);

	export_of(&pr, CLIENT, &now);
	export_of(&pr, SERVER, &srv);
	CHECK(now.cur.is_set);
	CHECK(memcmp(now.cur.key, old.cur.key, WIRE_KEY_BYTES) != 0);
	CHECK_MEM(now.cur.key, srv.cur.key, WIRE_KEY_BYTES);
	CHECK_EQ(now.cur.rx_cid, srv.cur.tx_cid);
	CHECK_EQ(now.next_tx_seq, 3);
	CHECK(now.prev.is_set);
	CHECK_MEM(now.prev.key, old.cur.key, WIRE_KEY_BYTES);
	CHECK_EQ(now.prev.tx_dir, old.cur.tx_dir);
	CHECK(srv.prev.is_set);

	pr.now_ms += REKEY_GRACE_MS - 1;
	export_of(&pr, CLIENT, &now);
	CHECK(now.prev.is_set);
	pr.now_ms += 2;
	export_of(&pr, CLIENT, &now);
	CHECK(!now.prev.is_set);
	CHECK(is_all_zero(&now.prev, sizeof(now.prev)));
	CHECK(now.cur.is_set);

	/* Bound again to the new epoch; the server rekeys this time. */
	atomic_init(&word2, tx_word(TAG + 1, now.next_tx_seq));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, &word2, TAG + 1), 0);
	CHECK_EQ(engine_rekey(eng(&pr, SERVER), pr.now_ms, client_id), 0);
	settle(&pr); /* the client answers with REKEY_ACK under the newest key */
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_REKEYED], 2);
	CHECK_EQ(atomic_load(&word2), tx_word(TAG + 1, now.next_tx_seq));
	CHECK_EQ(send_text(&pr, CLIENT, "after server rekey"), 0);
	CHECK_EQ(atomic_load(&word2), tx_word(TAG + 1, now.next_tx_seq));
	CHECK_EQ(last_seq(&pr, CLIENT), 2); /* the REKEY_ACK had seq 1 */
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "after server rekey"), 1);
	CHECK_EQ(atomic_load(&word), w);

	engine_session_export_wipe(&old);
	engine_session_export_wipe(&now);
	engine_session_export_wipe(&srv);
	pair_fini(&pr);
}

/*
 * 4: driftd restarts. A fresh engine with the client's identity imports
 * the exported session: Established at once, sending from the exported
 * next seq, refusing the server's seqs up to the floor but accepting every
 * newer one, even out of order. A second import is -EEXIST and changes
 * nothing; a session that is not Established is -EINVAL and adds no peer.
 */
static void test_import(void)
{
	uint8_t pkt[5][WIRE_MAX_PACKET_BYTES];
	size_t len[5];
	struct engine_session_export ex, again, bad;
	struct engine_peer_info info;
	struct engine_config q;
	uint32_t floor = 100, next;
	struct pair pr;

	setup(&pr);
	establish(&pr);
	CHECK_EQ(send_text(&pr, SERVER, "before restart"), 0);
	settle(&pr);
	CHECK_EQ(delivered(&pr, CLIENT, "before restart"), 1);
	export_of(&pr, CLIENT, &ex);
	ex.next_tx_seq += 20; /* the dataplane sent more while driftd was away */
	next = ex.next_tx_seq;

	restart_node(&pr, CLIENT);
	CHECK_EQ(state_of(&pr, CLIENT), (enum engine_peer_state) - 1);
	CHECK_EQ(engine_session_import(eng(&pr, CLIENT), pr.now_ms, &ex, floor), 0);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(next_seq_of(&pr, CLIENT), next);
	export_of(&pr, CLIENT, &again);
	CHECK_EQ(again.state, PEER_ESTABLISHED);
	CHECK(again.cur.is_set);
	CHECK_MEM(again.cur.key, ex.cur.key, WIRE_KEY_BYTES);
	CHECK_EQ(again.cur.tx_dir, ex.cur.tx_dir);
	CHECK_EQ(again.cur.has_cids, ex.cur.has_cids);
	CHECK_EQ(again.cur.rx_cid, ex.cur.rx_cid);
	CHECK_EQ(again.cur.tx_cid, ex.cur.tx_cid);
	CHECK_EQ(again.next_tx_seq, next);
	CHECK(addr_equal(&again.addr, &ex.addr));
	CHECK_EQ(again.is_initiator, ex.is_initiator);
	CHECK_EQ(again.epoch_ms, ex.epoch_ms);
	CHECK_EQ(again.last_handshake_ms, ex.last_handshake_ms);
	CHECK(!again.prev.is_set);

	/* The imported session sends; the server, which never restarted, reads it. */
	CHECK_EQ(send_text(&pr, CLIENT, "from imported"), 0);
	CHECK(last_is_short(&pr, CLIENT));
	CHECK_EQ(last_seq(&pr, CLIENT), next);
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "from imported"), 1);
	CHECK_EQ(drops(&pr, SERVER, DROP_REPLAY), 0);

	/* Server -> imported engine: the floor refuses seqs up to rx_floor_seq. */
	len[0] = capture_long(&pr, SERVER, floor - 60, "old -60", pkt[0]);
	len[1] = capture_long(&pr, SERVER, floor, "at floor", pkt[1]);
	len[2] = capture_long(&pr, SERVER, floor + 10, "floor +10", pkt[2]);
	len[3] = capture_long(&pr, SERVER, floor + 5, "floor +5", pkt[3]);
	len[4] = capture_long(&pr, SERVER, floor + 1, "floor +1", pkt[4]);
	engine_test_set_tx_seq(eng(&pr, SERVER), client_id, floor + 11);
	inject(&pr, CLIENT, pkt[0], len[0], &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_REPLAY), 1);
	CHECK_EQ(delivered(&pr, CLIENT, "old -60"), 0);
	inject(&pr, CLIENT, pkt[1], len[1], &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_REPLAY), 2);
	CHECK_EQ(delivered(&pr, CLIENT, "at floor"), 0);
	inject(&pr, CLIENT, pkt[2], len[2], &pr.node[SERVER].addr);
	CHECK_EQ(delivered(&pr, CLIENT, "floor +10"), 1);
	/* Newer than the floor but reordered behind floor + 10: never seen, so accepted. */
	inject(&pr, CLIENT, pkt[3], len[3], &pr.node[SERVER].addr);
	CHECK_EQ(delivered(&pr, CLIENT, "floor +5"), 1);
	inject(&pr, CLIENT, pkt[4], len[4], &pr.node[SERVER].addr);
	CHECK_EQ(delivered(&pr, CLIENT, "floor +1"), 1);
	CHECK_EQ(drops(&pr, CLIENT, DROP_REPLAY), 2);
	/* ... and each only once. */
	inject(&pr, CLIENT, pkt[2], len[2], &pr.node[SERVER].addr);
	inject(&pr, CLIENT, pkt[3], len[3], &pr.node[SERVER].addr);
	CHECK_EQ(drops(&pr, CLIENT, DROP_REPLAY), 4);
	CHECK_EQ(delivered(&pr, CLIENT, "floor +10"), 1);
	CHECK_EQ(delivered(&pr, CLIENT, "floor +5"), 1);
	/* Short DATA from the server continues the session. */
	CHECK_EQ(send_text(&pr, SERVER, "short after import"), 0);
	CHECK(last_is_short(&pr, SERVER));
	settle(&pr);
	CHECK_EQ(delivered(&pr, CLIENT, "short after import"), 1);

	/* Importing again: -EEXIST, and the live peer keeps its address and role. */
	CHECK_EQ(engine_session_import(eng(&pr, CLIENT), pr.now_ms, &ex, floor), -EEXIST);
	bad = ex;
	pair_addr(&bad.addr, 77, 7777);
	bad.is_initiator = !ex.is_initiator;
	CHECK_EQ(engine_session_import(eng(&pr, CLIENT), pr.now_ms, &bad, floor), -EEXIST);
	CHECK_EQ(engine_peer_info(eng(&pr, CLIENT), server_id, &info), 0);
	CHECK(addr_equal(&info.addr, &pr.node[SERVER].addr));
	CHECK_EQ(info.is_initiator, ex.is_initiator);
	CHECK_EQ(info.state, PEER_ESTABLISHED);
	CHECK_EQ(send_text(&pr, CLIENT, "still there"), 0);
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "still there"), 1);

	/* Not Established, or no key, or no address: -EINVAL, and no peer appears. */
	cfg_quiet(&q);
	pair_node_init(&pr, THIRD, NULL, &q);
	bad = ex;
	bad.state = PEER_AWAITING_ACK;
	CHECK_EQ(engine_session_import(eng(&pr, THIRD), pr.now_ms, &bad, 0), -EINVAL);
	bad = ex;
	bad.cur.is_set = false;
	CHECK_EQ(engine_session_import(eng(&pr, THIRD), pr.now_ms, &bad, 0), -EINVAL);
	bad = ex;
	memset(&bad.addr, 0, sizeof(bad.addr));
	CHECK_EQ(engine_session_import(eng(&pr, THIRD), pr.now_ms, &bad, 0), -EINVAL);
	CHECK_EQ(engine_peer_info(eng(&pr, THIRD), server_id, &info), -ENOENT);
	/* A peer registered from configuration (Pending) takes the import. */
	CHECK_EQ(engine_add_peer(eng(&pr, THIRD), ex.pub, &ex.addr, true, NULL), 0);
	CHECK_EQ(engine_session_import(eng(&pr, THIRD), pr.now_ms, &ex, 0), 0);
	CHECK_EQ(engine_peer_info(eng(&pr, THIRD), server_id, &info), 0);
	CHECK_EQ(info.state, PEER_ESTABLISHED);
	CHECK_EQ(info.next_tx_seq, next);

	engine_session_export_wipe(&ex);
	engine_session_export_wipe(&again);
	engine_session_export_wipe(&bad);
	pair_fini(&pr);
}

/*
 * 5: the dataplane saw authenticated DATA from another address: the engine
 * probes it with a PATH_CHALLENGE there (WIRE.md §17.1) and migrates once
 * it is answered from there. The current address, a peer with no session
 * and an unknown id send nothing.
 */
static void test_note_new_source(void)
{
	static const uint8_t unknown[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	struct engine_peer_info info;
	struct net_addr other;
	struct pair pr;
	int i;

	setup(&pr);
	pair_addr(&other, 9, 9000);
	CHECK_EQ(engine_note_new_source(eng(&pr, CLIENT), pr.now_ms, server_id, &other, 200), 0);
	CHECK_EQ(pr.q_len, 0);
	establish(&pr);
	CHECK_EQ(pr.q_len, 0);

	CHECK_EQ(engine_note_new_source(eng(&pr, CLIENT), pr.now_ms, unknown, &other, 200),
		 -ENOENT);
	CHECK_EQ(engine_note_new_source(eng(&pr, CLIENT), pr.now_ms, server_id,
					&pr.node[SERVER].addr, 200),
		 0);
	CHECK_EQ(pr.q_len, 0);

	CHECK_EQ(engine_note_new_source(eng(&pr, CLIENT), pr.now_ms, server_id, &other, 200), 0);
	CHECK_EQ(pr.q_len, 1);
	i = wire_find(&pr, WIRE_TYPE_PATH_CHALLENGE);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK(addr_equal(&pr.q[i].to, &other));
		CHECK(addr_equal(&pr.q[i].from, &pr.node[CLIENT].addr));
	}
	/* Not migrated on the dataplane's word alone. */
	CHECK_EQ(engine_peer_info(eng(&pr, CLIENT), server_id, &info), 0);
	CHECK(addr_equal(&info.addr, &pr.node[SERVER].addr));

	/* The server really is there now: it answers and the client migrates. */
	pr.node[SERVER].addr = other;
	settle(&pr);
	CHECK_EQ(pr.node[CLIENT].events[ENGINE_EV_MIGRATED], 1);
	CHECK_EQ(engine_peer_info(eng(&pr, CLIENT), server_id, &info), 0);
	CHECK(addr_equal(&info.addr, &other));
	CHECK_EQ(send_text(&pr, CLIENT, "to the new address"), 0);
	settle(&pr);
	CHECK_EQ(delivered(&pr, SERVER, "to the new address"), 1);
	pair_fini(&pr);
}

struct visit_log {
	int count;
	uint8_t ids[8][8];
	enum engine_peer_state states[8];
};

static void visit(void *ctx, const uint8_t id[WIRE_PEER_ID_BYTES], enum engine_peer_state state)
{
	struct visit_log *log = ctx;

	if (log->count < 8) {
		memcpy(log->ids[log->count], id, 8);
		log->states[log->count] = state;
	}
	log->count++;
}

static int times_visited(const struct visit_log *log, const uint8_t id[8],
			 enum engine_peer_state *state)
{
	int n = 0;

	for (int i = 0; i < log->count && i < 8; i++) {
		if (memcmp(log->ids[i], id, 8) == 0) {
			n++;
			*state = log->states[i];
		}
	}
	return n;
}

/* 6: engine_for_each_peer visits every peer exactly once, with its state. */
static void test_for_each_peer(void)
{
	struct visit_log log = {0};
	uint8_t pub[32], third_id[8], extra_id[8];
	enum engine_peer_state st = PEER_PENDING;
	struct engine_config q;
	struct pair pr;

	setup(&pr);
	cfg_quiet(&q);
	pair_node_init(&pr, THIRD, NULL, &q);
	engine_for_each_peer(eng(&pr, THIRD), visit, &log);
	CHECK_EQ(log.count, 0);

	establish(&pr);
	engine_public_key(eng(&pr, THIRD), pub);
	CHECK_EQ(engine_add_peer(eng(&pr, CLIENT), pub, &pr.node[THIRD].addr, true, third_id), 0);
	memset(pub, 0x55, sizeof(pub));
	CHECK_EQ(engine_add_peer(eng(&pr, CLIENT), pub, NULL, false, extra_id), 0);

	engine_for_each_peer(eng(&pr, CLIENT), visit, &log);
	CHECK_EQ(log.count, 3);
	CHECK_EQ(times_visited(&log, server_id, &st), 1);
	CHECK_EQ(st, PEER_ESTABLISHED);
	CHECK_EQ(times_visited(&log, third_id, &st), 1);
	CHECK_EQ(st, PEER_PENDING);
	CHECK_EQ(times_visited(&log, extra_id, &st), 1);
	CHECK_EQ(st, PEER_PENDING);

	memset(&log, 0, sizeof(log));
	engine_for_each_peer(eng(&pr, SERVER), visit, &log);
	CHECK_EQ(log.count, 1);
	CHECK_EQ(times_visited(&log, client_id, &st), 1);
	CHECK_EQ(st, PEER_ESTABLISHED);
	pair_fini(&pr);
}

/*
 * 7: CLOSE ends the epoch too, so it drops the binding: once driftd frees
 * the slot and the dataplane reuses the word for another session, nothing
 * the engine does for this peer (its info, export, or the RESUME_HELLO of
 * the next session) reads or advances that word.
 */
static void test_close_drops_binding(void)
{
	struct engine_session_export c;
	_Atomic uint64_t word;
	uint32_t next;
	struct pair pr;

	setup(&pr);
	establish(&pr);
	export_of(&pr, CLIENT, &c);
	next = c.next_tx_seq;
	atomic_init(&word, tx_word(TAG, next));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, &word, TAG), 0);
	CHECK_EQ(engine_close(eng(&pr, CLIENT), pr.now_ms, server_id), 0);
	CHECK_EQ(pr.node[CLIENT].last_tx[1], WIRE_TYPE_CLOSE);
	CHECK_EQ(last_seq(&pr, CLIENT), next);
	CHECK_EQ(atomic_load(&word), tx_word(TAG, next + 1));
	settle(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_PENDING);
	CHECK_EQ(state_of(&pr, SERVER), PEER_PENDING);

	/* The slot goes to another session. */
	atomic_store(&word, tx_word(TAG + 5, 500));
	CHECK_EQ(next_seq_of(&pr, CLIENT), next + 1);
	export_of(&pr, CLIENT, &c);
	CHECK_EQ(c.next_tx_seq, next + 1);
	CHECK_EQ(send_text(&pr, CLIENT, "next session"), 0);
	settle(&pr);
	CHECK_EQ(state_of(&pr, CLIENT), PEER_ESTABLISHED);
	CHECK_EQ(delivered(&pr, SERVER, "next session"), 1);
	CHECK_EQ(atomic_load(&word), tx_word(TAG + 5, 500));
	CHECK_EQ(engine_bind_tx_counter(eng(&pr, CLIENT), server_id, NULL, 0), 0);
	CHECK_EQ(atomic_load(&word), tx_word(TAG + 5, 500));
	engine_session_export_wipe(&c);
	pair_fini(&pr);
}

/* ---- the case table */

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	/* 1 */ {"export after a handshake", test_export_after_handshake},
	/* 2 */ {"shared tx counter", test_bind_tx_counter},
	/* 3 */ {"rekey drops the binding; prev exported within grace", test_rekey_drops_binding},
	/* 4 */ {"import after a restart", test_import},
	/* 5 */ {"new source from the dataplane", test_note_new_source},
	/* 6 */ {"for_each_peer", test_for_each_peer},
	/* 7 */ {"close drops the binding", test_close_drops_binding},
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
