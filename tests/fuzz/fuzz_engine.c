/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the whole engine receive path. On the first call it builds,
 * over the in-memory wire of tests/lib/pair.h, a client (secret 11..) with
 * an Established session to responder A (secret 22..), using the scripted
 * randomness of the known-answer vectors so that A's session key is the
 * vectors' key and the vector datagrams in the seed corpus authenticate;
 * and a fresh responder B with the same identity, accept_any_peer on and
 * cookies after two half-open handshakes.
 *
 * Each input is fed as one datagram, and, when byte 0 is 2..8, the rest is
 * also cut into that many equal datagrams; every datagram goes to A and B
 * from two sources: the client's address and a stranger's. Time moves 1 ms
 * per input, and 31 s every 256 inputs so that cookie rotation, the
 * AwaitingData sweep, rekey grace and probe expiry all run; timers run
 * every 16 inputs. If an input (a replayed CLOSE, say) ends A's session,
 * the client re-establishes it before the next input.
 *
 * Engines keep state across inputs (building them per input would cost a
 * handshake each time), so a crash may need the inputs before it to
 * reproduce; the engines are never freed and stay reachable, so leak
 * checking sees only what an input loses.
 */
#include "tests/lib/pair.h"

#include "crypto/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	FZ_CLIENT = 0,
	FZ_A = 1,
	FZ_B = 2,
	FZ_MAX_PIECES = 8,
	FZ_TIMER_EVERY = 16,
	FZ_JUMP_EVERY = 256,
	FZ_JUMP_MS = 31000,
};

static struct pair fz;
static bool fz_ready;
static uint8_t fz_a_id[8], fz_client_id[8];
static struct net_addr fz_stranger;
static unsigned long fz_inputs;

static void capture_all(bool on)
{
	for (int i = 0; i < fz.nodes; i++)
		fz.node[i].is_capturing = on;
	fz.q_len = 0;
}

static bool is_established(int node, const uint8_t id[8])
{
	struct engine_peer_info info;

	return engine_peer_info(fz.node[node].e, id, &info) == 0 && info.state == PEER_ESTABLISHED;
}

/* Both ends Established on the same key (a replayed REKEY_REQUEST moves only A). */
static bool session_ok(struct peer *c, struct peer *a)
{
	return c->state == PEER_ESTABLISHED && a->state == PEER_ESTABLISHED && c->cur.is_set &&
	       a->cur.is_set && memcmp(c->cur.key, a->cur.key, WIRE_KEY_BYTES) == 0;
}

/*
 * Brings the client <-> A session back if an input ended or desynchronised
 * it: both sides forget it and the client runs a full handshake (its ticket
 * is dropped so a resumption cannot wait on a timer that never runs here).
 */
static void keep_session(void)
{
	struct peer *c = peer_find(fz.node[FZ_CLIENT].e, fz_a_id);
	struct peer *a = peer_find(fz.node[FZ_A].e, fz_client_id);

	if (!c || !a || session_ok(c, a))
		return;
	peer_forget_session(fz.node[FZ_CLIENT].e, c);
	peer_forget_session(fz.node[FZ_A].e, a);
	memset(&c->ticket, 0, sizeof(c->ticket));
	c->is_hs_exhausted = false;
	capture_all(false);
	engine_send_data(fz.node[FZ_CLIENT].e, fz.now_ms, fz_a_id, (const uint8_t *)"again", 5, 0,
			 0);
	pair_pump(&fz);
	capture_all(true);
}

static void setup(void)
{
	struct engine_config cfg, bcfg;
	uint8_t client_secret[32], server_secret[32];

	if (backend_init() != 0)
		abort();
	pair_init(&fz);
	fz.latency_ms = 0;
	engine_config_default(&cfg);
	cfg.rtt_probe_interval_ms = 0;
	cfg.max_peers = 16;
	cfg.ticket_store_cap = 16;
	bcfg = cfg;
	bcfg.accept_any_peer = true;
	bcfg.cookie_threshold = 2;
	bcfg.max_peers = 256;
	bcfg.max_auto_peers = 128;
	memset(client_secret, 0x11, sizeof(client_secret));
	memset(server_secret, 0x22, sizeof(server_secret));
	pair_node_init(&fz, FZ_CLIENT, client_secret, &cfg);
	pair_node_init(&fz, FZ_A, server_secret, &cfg);
	pair_node_init(&fz, FZ_B, server_secret, &bcfg);
	if (!fz.q || !fz.node[FZ_CLIENT].e || !fz.node[FZ_A].e || !fz.node[FZ_B].e)
		abort();
	/* The draws of the vectors' handshake (tests/unit/test_engine_vectors.c). */
	pair_script_fill(&fz.node[FZ_CLIENT], 0x33, 32);
	pair_script_fill(&fz.node[FZ_CLIENT], 0x55, 16);
	pair_script_fill(&fz.node[FZ_A], 0x66, 16);
	pair_script_fill(&fz.node[FZ_A], 0x44, 32);
	pair_link(&fz, FZ_CLIENT, FZ_A, fz_a_id, fz_client_id);
	engine_send_data(fz.node[FZ_CLIENT].e, fz.now_ms, fz_a_id, (const uint8_t *)"hello drift",
			 11, 0, 0);
	pair_pump(&fz);
	if (!is_established(FZ_A, fz_client_id))
		abort();
	capture_all(true);
	pair_addr(&fz_stranger, 99, 9999);
}

static void feed(const uint8_t *buf, size_t len)
{
	static const int responders[] = {FZ_A, FZ_B};

	for (size_t r = 0; r < ARRAY_LEN(responders); r++) {
		struct engine *e = fz.node[responders[r]].e;

		engine_receive(e, fz.now_ms, buf, len, &fz.node[FZ_CLIENT].addr);
		engine_receive(e, fz.now_ms, buf, len, &fz_stranger);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_ready) {
		setup();
		fz_ready = true;
	}
	fz_inputs++;
	fz.now_ms += fz_inputs % FZ_JUMP_EVERY ? 1 : FZ_JUMP_MS;
	keep_session();

	feed(size ? data : NULL, size);
	if (size > 1 && data[0] >= 2 && data[0] <= FZ_MAX_PIECES) {
		size_t pieces = data[0], piece = (size - 1) / pieces, off = 1;

		for (size_t i = 0; i < pieces; i++) {
			size_t len = i + 1 == pieces ? size - off : piece;

			feed(data + off, len);
			off += len;
		}
	}
	if (fz_inputs % FZ_TIMER_EVERY == 0)
		for (int i = 0; i < fz.nodes; i++)
			engine_on_timer(fz.node[i].e, fz.now_ms);
	fz.q_len = 0; /* replies were only recorded (capture mode) */
	return 0;
}
