/* SPDX-License-Identifier: MIT */
/*
 * Every block of the known-answer vectors (tests/vectors/vectors.txt)
 * reproduced byte for byte by real engines: two nodes with the vector
 * secrets, scripted random draws (ephemerals, nonces, salt, ticket id,
 * challenge, ping nonce) and a clock that does not move, so every
 * send_time_ms is 0 as in the vectors.
 */
#include "tests/lib/pair.h"

#include "crypto/aead.h"
#include "crypto/backend.h"

/* Node 0 is the client (secret 11..), node 1 the server (22..). */
static uint8_t client_id[8], server_id[8];

static bool wire_is(struct pair *pr, int q_index, const char *block, const char *key)
{
	uint8_t want[WIRE_MAX_PACKET_BYTES];
	long n = vectors_bytes(block, key, want, sizeof(want));

	if (n < 0 || pr->q_len <= q_index) {
		fprintf(stderr, "  %s/%s: nothing on the wire (q_len %d)\n", block, key, pr->q_len);
		return false;
	}
	if ((long)pr->q[q_index].len != n || memcmp(pr->q[q_index].buf, want, (size_t)n) != 0) {
		fprintf(stderr, "  %s/%s differs\n", block, key);
		harness_dump_diff(pr->q[q_index].buf, want, pr->q[q_index].len);
		return false;
	}
	return true;
}

/* The handshake of hs_hello .. hs_first_data_long; the pair is left established. */
static void vector_pair(struct pair *pr, bool check)
{
	uint8_t cs[32], ss[32];
	struct engine_config cfg;

	pair_init(pr);
	pr->latency_ms = 0;
	engine_config_default(&cfg);
	cfg.rtt_probe_interval_ms = 0;
	memset(cs, 0x11, 32);
	memset(ss, 0x22, 32);
	pair_node_init(pr, 0, cs, &cfg);
	pair_node_init(pr, 1, ss, &cfg);
	pair_script_fill(&pr->node[0], 0x33, 32); /* client ephemeral secret */
	pair_script_fill(&pr->node[0], 0x55, 16); /* client nonce */
	pair_script_fill(&pr->node[1], 0x66, 16); /* server nonce */
	pair_script_fill(&pr->node[1], 0x44, 32); /* server ephemeral secret */
	pair_link(pr, 0, 1, server_id, client_id);

	CHECK_EQ(engine_send_data(pr->node[0].e, pr->now_ms, server_id,
				  (const uint8_t *)"hello drift", 11, 0, 0),
		 0);
	if (check)
		CHECK(wire_is(pr, 0, "hs_hello", "out.wire"));
	pair_deliver_due(pr);
	if (check)
		CHECK(wire_is(pr, 0, "hs_hello_ack", "out.wire"));
	pair_deliver_due(pr);
	if (check)
		CHECK(wire_is(pr, 0, "hs_first_data_long", "out.wire"));
	pair_pump(pr);
}

static void test_handshake_cids_short(void)
{
	struct pair pr;
	struct engine_peer_info ci, si;
	uint8_t want_id[8];

	vector_pair(&pr, true);
	vectors_bytes("peer_id_examples", "out.server_peer_id", want_id, 8);
	CHECK_MEM(server_id, want_id, 8);
	vectors_bytes("peer_id_examples", "out.client_peer_id", want_id, 8);
	CHECK_MEM(client_id, want_id, 8);
	CHECK_EQ(pr.node[1].msg_count, 1);
	CHECK(pr.node[1].msg_count && memcmp(pr.node[1].msgs[0].data, "hello drift", 11) == 0);

	/* hs_cids: the initiator receives on 7969 and sends on 519f. */
	engine_peer_info(pr.node[0].e, server_id, &ci);
	engine_peer_info(pr.node[1].e, client_id, &si);
	CHECK_EQ(ci.state, PEER_ESTABLISHED);
	CHECK_EQ(si.state, PEER_ESTABLISHED);
	CHECK_EQ(ci.rx_cid, 0x7969);
	CHECK_EQ(ci.tx_cid, 0x519f);
	CHECK_EQ(si.rx_cid, 0x519f);
	CHECK_EQ(si.tx_cid, 0x7969);

	/* hs_short_data: client seq 2, server seq 1. */
	CHECK_EQ(engine_send_data(pr.node[0].e, pr.now_ms, server_id, (const uint8_t *)"ping-2", 6,
				  0, 0),
		 0);
	CHECK(wire_is(&pr, 0, "hs_short_data", "out.client_to_server_wire"));
	pair_pump(&pr);
	engine_test_set_tx_seq(pr.node[1].e, client_id, 1);
	CHECK_EQ(engine_send_data(pr.node[1].e, pr.now_ms, client_id, (const uint8_t *)"pong-1", 6,
				  0, 0),
		 0);
	CHECK(wire_is(&pr, 0, "hs_short_data", "out.server_to_client_wire"));
	pair_pump(&pr);
	CHECK_EQ(pr.node[1].msg_count, 2);
	/*
	 * The server's automatic ticket already used its seq 1, and our replay
	 * window covers control packets too (Q7), so the forced seq 1 is refused.
	 */
	CHECK_EQ(pr.node[0].msg_count, 0);
	CHECK_EQ(engine_stats(pr.node[0].e)->drops[DROP_REPLAY], 1);
	CHECK_EQ(engine_stats(pr.node[0].e)->handshakes_completed, 1);
	CHECK_EQ(engine_stats(pr.node[1].e)->handshakes_completed, 1);
	pair_fini(&pr);
}

static void test_cookie(void)
{
	struct pair pr;
	struct engine_config cfg;
	uint8_t cs[32], ss[32], secret[32];

	pair_init(&pr);
	pr.latency_ms = 0;
	engine_config_default(&cfg);
	cfg.cookie_always = true;
	memset(cs, 0x11, 32);
	memset(ss, 0x22, 32);
	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	pair_script(&pr.node[1], secret, 32); /* the server's first cookie secret */
	pair_node_init(&pr, 0, cs, NULL);
	pair_node_init(&pr, 1, ss, &cfg);
	/* in.cookie_addr: 127.0.0.1:9000 */
	memset(&pr.node[0].addr, 0, sizeof(pr.node[0].addr));
	pr.node[0].addr.family = ADDR_IPV4;
	pr.node[0].addr.ip[0] = 127;
	pr.node[0].addr.ip[3] = 1;
	pr.node[0].addr.port = 9000;
	pair_script_fill(&pr.node[0], 0x33, 32);
	pair_script_fill(&pr.node[0], 0x55, 16);
	pair_link(&pr, 0, 1, server_id, client_id);
	engine_send_data(pr.node[0].e, pr.now_ms, server_id, (const uint8_t *)"x", 1, 0, 0);
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "cookie_mac", "out.challenge_wire"));
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "cookie_mac", "out.hello_with_cookie_wire"));
	pair_pump(&pr);
	CHECK_EQ(engine_stats(pr.node[1].e)->challenges_sent, 1);
	CHECK_EQ(pr.node[1].msg_count, 1);
	pair_fini(&pr);
}

static void test_rekey(void)
{
	struct pair pr;
	struct engine_peer_info ci;

	vector_pair(&pr, false);
	engine_send_data(pr.node[0].e, pr.now_ms, server_id, (const uint8_t *)"ping-2", 6, 0, 0);
	pair_pump(&pr);
	pair_script_fill(&pr.node[0], 0x77, 32); /* salt */
	CHECK_EQ(engine_rekey(pr.node[0].e, pr.now_ms, server_id), 0);
	CHECK(wire_is(&pr, 0, "rekey", "out.rekey_request_wire"));
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "rekey", "out.rekey_ack_wire"));
	pair_pump(&pr);
	engine_peer_info(pr.node[0].e, server_id, &ci);
	CHECK_EQ(ci.rx_cid, 0xeb33);
	CHECK_EQ(ci.tx_cid, 0x08e4);
	pair_fini(&pr);
}

static void test_ticket_and_resumption(void)
{
	struct pair pr;
	uint8_t blob[WIRE_TICKET_BLOB_BYTES], want[WIRE_TICKET_BLOB_BYTES];

	pair_init(&pr); /* only to set unix_ms before vector_pair's pair_init: redo below */
	pair_fini(&pr);
	vector_pair(&pr, false);
	/* Issue the vector's ticket: id 88.., expiry 1700000000000, server seq 2. */
	pr.node[1].e->unix_base_ms = UINT64_C(1700000000000) - 86400000 - pr.now_ms;
	pair_script_fill(&pr.node[1], 0x88, 16);
	engine_test_set_tx_seq(pr.node[1].e, client_id, 2);
	CHECK_EQ(resume_issue_ticket(pr.node[1].e, peer_find(pr.node[1].e, client_id), pr.now_ms),
		 0);
	CHECK(wire_is(&pr, 0, "resumption_ticket", "out.wire"));
	pair_pump(&pr);
	pr.node[0].e->unix_base_ms = pr.node[1].e->unix_base_ms;
	CHECK_EQ(engine_export_ticket(pr.node[0].e, server_id, blob), 0);
	CHECK_EQ(vectors_bytes("ticket_export_blob", "out.blob", want, sizeof(want)), 97);
	CHECK_MEM(blob, want, 97);

	/* Forget the session on both sides, then resume with the ticket. */
	CHECK_EQ(engine_close(pr.node[0].e, pr.now_ms, server_id), 0);
	pair_pump(&pr);
	engine_test_set_tx_seq(pr.node[0].e, server_id, 5);
	pair_script_fill(&pr.node[0], 0x99, 32); /* client ephemeral */
	pair_script_fill(&pr.node[0], 0xbb, 16); /* client nonce */
	pair_script_fill(&pr.node[1], 0xcc, 16); /* server nonce */
	pair_script_fill(&pr.node[1], 0xaa, 32); /* server ephemeral */
	CHECK_EQ(engine_send_data(pr.node[0].e, pr.now_ms, server_id, (const uint8_t *)"again", 5,
				  0, 0),
		 0);
	CHECK(wire_is(&pr, 0, "resumption_handshake", "out.resume_hello_wire"));
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "resumption_handshake", "out.resume_ack_wire"));
	pair_pump(&pr);
	CHECK_EQ(engine_stats(pr.node[0].e)->resumptions_completed, 1);
	CHECK_EQ(engine_stats(pr.node[1].e)->resumptions_completed, 1);
	CHECK(pr.node[1].msg_count >= 2 &&
	      memcmp(pr.node[1].msgs[pr.node[1].msg_count - 1].data, "again", 5) == 0);
	pair_fini(&pr);
}

static void test_path_ping_close(void)
{
	struct pair pr;
	static const uint8_t challenge[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
					      0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
	static const uint8_t ping_nonce[8] = {0, 1, 2, 3, 4, 5, 6, 7};

	vector_pair(&pr, false);
	engine_test_set_tx_seq(pr.node[1].e, client_id, 4);
	engine_test_set_tx_seq(pr.node[0].e, server_id, 6);
	pair_script(&pr.node[1], challenge, 16);
	CHECK_EQ(engine_probe_path(pr.node[1].e, pr.now_ms, client_id, &pr.node[0].addr), 0);
	CHECK(wire_is(&pr, 0, "path_challenge_response", "out.path_challenge_wire"));
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "path_challenge_response", "out.path_response_wire"));
	pair_pump(&pr);
	CHECK_EQ(pr.node[1].events[ENGINE_EV_MIGRATED], 1);

	engine_test_set_tx_seq(pr.node[0].e, server_id, 7);
	engine_test_set_tx_seq(pr.node[1].e, client_id, 5);
	pair_script(&pr.node[0], ping_nonce, 8);
	CHECK_EQ(engine_ping(pr.node[0].e, pr.now_ms, server_id), 0);
	CHECK(wire_is(&pr, 0, "ping_pong", "out.ping_wire"));
	pair_deliver_due(&pr);
	CHECK(wire_is(&pr, 0, "ping_pong", "out.pong_wire"));
	pair_pump(&pr);

	engine_test_set_tx_seq(pr.node[0].e, server_id, 8);
	CHECK_EQ(engine_close(pr.node[0].e, pr.now_ms, server_id), 0);
	CHECK(wire_is(&pr, 0, "close", "out.close_wire"));
	pair_pump(&pr);
	CHECK_EQ(pr.node[1].events[ENGINE_EV_CLOSED], 1);
	pair_fini(&pr);
}

/*
 * beacon: this node does not run mesh routing (BEACONs are dropped as
 * mesh_unsupported), but the datagram is still built here from the header
 * codec and the AEAD exactly as WIRE.md §19.1 says, so the layers a future
 * mesh would use are pinned: client seq 9, plaintext length in payload_len.
 */
static void test_beacon(void)
{
	uint8_t key[32], pt[64], want[WIRE_MAX_PACKET_BYTES], pkt[WIRE_MAX_PACKET_BYTES];
	uint8_t nonce[WIRE_AEAD_NONCE_BYTES], aad[WIRE_LONG_HDR_BYTES];
	struct long_header h = {.type = WIRE_TYPE_BEACON, .seq = 9, .hop_ttl = 1};
	long pt_len = vectors_bytes("beacon", "out.plaintext", pt, sizeof(pt));
	long want_len = vectors_bytes("beacon", "out.wire", want, sizeof(want));

	vectors_bytes("session_key_v2", "out.session_key", key, sizeof(key));
	vectors_bytes("peer_id_examples", "out.client_peer_id", h.src_id, 8);
	vectors_bytes("peer_id_examples", "out.server_peer_id", h.dst_id, 8);
	if (pt_len < 0 || want_len < 0)
		return;
	h.payload_len = (uint16_t)pt_len;
	header_long_encode(pkt, &h);
	header_nonce(nonce, WIRE_DIR_INITIATOR, WIRE_TYPE_BEACON, 9);
	header_long_aad(aad, pkt);
	CHECK_EQ(aead_seal_once(key, nonce, aad, sizeof(aad), pt, (size_t)pt_len,
				pkt + WIRE_LONG_HDR_BYTES),
		 0);
	CHECK_EQ(WIRE_LONG_HDR_BYTES + pt_len + WIRE_TAG_BYTES, want_len);
	CHECK_MEM(pkt, want, (size_t)want_len);
}

int main(void)
{
	if (backend_init() != 0)
		return 1;
	test_handshake_cids_short();
	test_cookie();
	test_rekey();
	test_ticket_and_resumption();
	test_path_ping_close();
	test_beacon();
	return harness_finish();
}
