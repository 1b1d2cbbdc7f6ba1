/* SPDX-License-Identifier: MIT */
/*
 * proto/header: byte-exact decoding and re-encoding of every datagram in
 * the known-answer vectors, round trips, the canonical AAD and nonce, and a
 * table of malformed inputs, each with its specific error.
 */
#include "proto/header.h"

#include "tests/lib/harness.h"

static const uint8_t client_id[8] = {0xa0, 0xad, 0x9e, 0xef, 0x2a, 0x0d, 0x64, 0xcb};
static const uint8_t server_id[8] = {0x8d, 0x7b, 0xde, 0xf7, 0xc1, 0xf5, 0x55, 0x05};

/* Every long-header datagram in vectors.txt with what its header must say. */
struct long_case {
	const char *block, *key;
	uint8_t type, flags, hop_ttl;
	uint32_t seq;
	uint16_t payload_len;
	size_t body_len;
	bool from_client;
};

static const struct long_case long_cases[] = {
	/* 1 */ {"hs_hello", "out.wire", WIRE_TYPE_HELLO, 0, 1, 0, 80, 80, true},
	/* 2 */ {"hs_hello_ack", "out.wire", WIRE_TYPE_HELLO_ACK, 1, 8, 1, 64, 64, false},
	/* 3 */ {"hs_first_data_long", "out.wire", WIRE_TYPE_DATA, 0, 1, 1, 11, 27, true},
	/* 4 */ {"cookie_mac", "out.challenge_wire", WIRE_TYPE_CHALLENGE, 0, 1, 0, 24, 24, false},
	/* 5 */
	{"cookie_mac", "out.hello_with_cookie_wire", WIRE_TYPE_HELLO, 0, 1, 0, 104, 104, true},
	/* 6 */ {"rekey", "out.rekey_request_wire", WIRE_TYPE_REKEY_REQUEST, 0, 1, 3, 48, 48, true},
	/* 7 */ {"rekey", "out.rekey_ack_wire", WIRE_TYPE_REKEY_ACK, 0, 1, 1, 16, 16, false},
	/* 8 */
	{"resumption_ticket", "out.wire", WIRE_TYPE_RESUMPTION_TICKET, 0, 1, 2, 40, 40, false},
	/* 9 */
	{"resumption_handshake", "out.resume_hello_wire", WIRE_TYPE_RESUME_HELLO, 0, 1, 5, 64, 64,
	 true},
	/* 10 */
	{"resumption_handshake", "out.resume_ack_wire", WIRE_TYPE_RESUME_ACK, 0, 1, 1, 64, 64,
	 false},
	/* 11 */
	{"path_challenge_response", "out.path_challenge_wire", WIRE_TYPE_PATH_CHALLENGE, 0, 1, 4,
	 32, 32, false},
	/* 12 */
	{"path_challenge_response", "out.path_response_wire", WIRE_TYPE_PATH_RESPONSE, 0, 1, 6, 32,
	 32, true},
	/* 13 */ {"ping_pong", "out.ping_wire", WIRE_TYPE_PING, 0, 1, 7, 24, 24, true},
	/* 14 */ {"ping_pong", "out.pong_wire", WIRE_TYPE_PONG, 0, 1, 5, 24, 24, false},
	/* 15 */ {"close", "out.close_wire", WIRE_TYPE_CLOSE, 0, 1, 8, 16, 16, true},
	/* 16 */ {"beacon", "out.wire", WIRE_TYPE_BEACON, 0, 1, 9, 30, 46, true},
};

static void test_vectors_long(void)
{
	for (size_t i = 0; i < ARRAY_LEN(long_cases); i++) {
		const struct long_case *lc = &long_cases[i];
		uint8_t wire[WIRE_MAX_PACKET_BYTES], re[WIRE_LONG_HDR_BYTES];
		struct long_header h;
		size_t body = 0;
		long n = vectors_bytes(lc->block, lc->key, wire, sizeof(wire));

		if (n < 0)
			continue;
		CHECK_EQ(header_long_decode(&h, &body, wire, (size_t)n), HEADER_OK);
		CHECK_EQ(h.type, lc->type);
		CHECK_EQ(h.flags, lc->flags);
		CHECK_EQ(h.hop_ttl, lc->hop_ttl);
		CHECK_EQ(h.seq, lc->seq);
		CHECK_EQ(h.payload_len, lc->payload_len);
		CHECK_EQ(body, lc->body_len);
		CHECK_EQ(h.deadline_ms, 0);
		CHECK_EQ(h.supersedes, 0);
		CHECK_EQ(h.send_time_ms, 0);
		CHECK_MEM(h.src_id, lc->from_client ? client_id : server_id, 8);
		CHECK_MEM(h.dst_id, lc->from_client ? server_id : client_id, 8);
		CHECK(header_long_encode(re, &h) == re + WIRE_LONG_HDR_BYTES);
		CHECK_MEM(re, wire, WIRE_LONG_HDR_BYTES);
	}
}

static void test_hello_ack_aad(void)
{
	uint8_t wire[128], want_aad[WIRE_ACK_AAD_BYTES], aad[WIRE_LONG_HDR_BYTES];
	uint8_t header[WIRE_LONG_HDR_BYTES];

	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.wire", wire, sizeof(wire)), 100);
	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.aad", want_aad, sizeof(want_aad)), 84);
	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.header", header, sizeof(header)), 36);
	CHECK_MEM(wire, header, 36);
	header_long_aad(aad, wire);
	CHECK_MEM(aad, want_aad, 36);
	CHECK_EQ(wire[WIRE_OFF_HOP_TTL], 8); /* the wire keeps hop_ttl; only the AAD zeroes it */
	/* the AAD continues with E_s || server_nonce, which are body[0..48) */
	CHECK_MEM(want_aad + 36, wire + 36, 48);
}

static void test_short_vectors(void)
{
	static const struct {
		const char *key;
		uint16_t cid;
		uint32_t seq;
	} cases[] = {
		/* 1 */ {"out.client_to_server_wire", 0x519f, 2},
		/* 2 */ {"out.server_to_client_wire", 0x7969, 1},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t wire[64], re[WIRE_SHORT_HDR_BYTES];
		struct short_header h;
		long n = vectors_bytes("hs_short_data", cases[i].key, wire, sizeof(wire));

		CHECK_EQ(n, 7 + 6 + 16);
		CHECK(header_classify(wire[0]) == HEADER_FORM_SHORT);
		CHECK_EQ(header_short_decode(&h, wire, (size_t)n), HEADER_OK);
		CHECK_EQ(h.cid, cases[i].cid);
		CHECK_EQ(h.seq, cases[i].seq);
		CHECK_EQ(h.flags, 0);
		header_short_encode(re, &h);
		CHECK_MEM(re, wire, WIRE_SHORT_HDR_BYTES);
	}
}

static void test_nonce(void)
{
	static const uint8_t want[12] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t want2[12] = {0, 0, 0, 0, 3, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
	uint8_t n[12];

	header_nonce(n, WIRE_DIR_RESPONDER, WIRE_TYPE_HELLO_ACK, 1);
	CHECK_MEM(n, want, 12);
	header_nonce(n, WIRE_DIR_INITIATOR, WIRE_TYPE_DATA, 0x12345678);
	CHECK_MEM(n, want2, 12);
}

/* Deterministic pseudo-random bytes for round trips (xorshift). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint8_t next_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)rng_state;
}

static void test_round_trip(void)
{
	static const uint8_t types[] = {1, 2, 3, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};

	for (int i = 0; i < 2000; i++) {
		struct long_header h = {0}, d;
		uint8_t buf[WIRE_MAX_PACKET_BYTES] = {0};
		size_t body_len = 0, want_body = 100;

		h.flags = next_byte() & 0xf;
		h.type = types[next_byte() % sizeof(types)];
		h.deadline_ms = (uint16_t)(next_byte() << 8 | next_byte());
		h.seq = (uint32_t)next_byte() << 24 | (uint32_t)next_byte() << 8 | next_byte();
		h.supersedes = (uint32_t)next_byte() << 16 | next_byte();
		for (int k = 0; k < 8; k++) {
			h.src_id[k] = next_byte();
			h.dst_id[k] = next_byte();
		}
		h.hop_ttl = next_byte();
		h.reserved = next_byte();
		h.payload_len = (uint16_t)(next_byte() << 8 | next_byte());
		h.send_time_ms = (uint32_t)next_byte() << 24 | next_byte();
		switch (h.type) {
		case WIRE_TYPE_PATH_CHALLENGE:
		case WIRE_TYPE_PATH_RESPONSE:
			want_body = 32;
			break;
		case WIRE_TYPE_CLOSE:
		case WIRE_TYPE_REKEY_ACK:
			want_body = 16;
			break;
		case WIRE_TYPE_REKEY_REQUEST:
			want_body = 48;
			break;
		case WIRE_TYPE_RESUMPTION_TICKET:
			want_body = 40;
			break;
		case WIRE_TYPE_PING:
		case WIRE_TYPE_PONG:
			want_body = 24;
			break;
		}
		header_long_encode(buf, &h);
		if (header_long_decode(&d, &body_len, buf, 36 + want_body) != HEADER_OK) {
			CHECK(false);
			continue;
		}
		CHECK(memcmp(&d, &h, sizeof(h)) == 0 && body_len == want_body);
	}
}

static void test_malformed_long(void)
{
	uint8_t wire[WIRE_MAX_PACKET_BYTES + 8];
	struct long_header h, before;
	size_t body = 12345;
	long n = vectors_bytes("hs_hello", "out.wire", wire, sizeof(wire));

	CHECK_EQ(n, 116);
	memset(&h, 0x5a, sizeof(h));
	before = h;

	/* 1: every length shorter than the header */
	for (size_t len = 0; len < WIRE_LONG_HDR_BYTES; len++)
		CHECK_EQ(header_long_decode(&h, &body, wire, len), HEADER_ERR_TOO_SHORT);
	/* 2: HELLO bodies 0..79 bytes are too short for the type */
	for (size_t len = 36; len < 116; len++)
		CHECK_EQ(header_long_decode(&h, &body, wire, len), HEADER_ERR_LENGTH_MISMATCH);
	/* 3: more than MAX_PACKET */
	memset(wire + 116, 0, sizeof(wire) - 116);
	CHECK_EQ(header_long_decode(&h, &body, wire, WIRE_MAX_PACKET_BYTES + 1),
		 HEADER_ERR_TOO_LONG);
	CHECK_EQ(header_long_decode(&h, &body, wire, WIRE_MAX_PACKET_BYTES), HEADER_OK);
	h = before;
	body = 12345;
	/* 4: every version nibble other than 1 */
	for (unsigned v = 0; v < 16; v++) {
		wire[0] = (uint8_t)(v << 4);
		if (v != WIRE_LONG_VERSION)
			CHECK_EQ(header_long_decode(&h, &body, wire, 116), HEADER_ERR_BAD_VERSION);
	}
	wire[0] = 0x10;
	/* 5: every unknown type */
	for (unsigned t = 0; t < 256; t++) {
		bool known = (t >= 1 && t <= 3) || t == 6 || (t >= 8 && t <= 18);

		wire[1] = (uint8_t)t;
		if (!known)
			CHECK_EQ(header_long_decode(&h, &body, wire, 116), HEADER_ERR_UNKNOWN_TYPE);
	}
	/* 6: sealed control packets must have their exact body length */
	static const struct {
		uint8_t type;
		size_t body;
	} exact[] = {{9, 32}, {10, 32}, {11, 16}, {12, 48}, {13, 16}, {16, 40}, {17, 24}, {18, 24}};
	for (size_t i = 0; i < ARRAY_LEN(exact); i++) {
		wire[1] = exact[i].type;
		CHECK_EQ(header_long_decode(&h, &body, wire, 36 + exact[i].body - 1),
			 HEADER_ERR_LENGTH_MISMATCH);
		CHECK_EQ(header_long_decode(&h, &body, wire, 36 + exact[i].body + 1),
			 HEADER_ERR_LENGTH_MISMATCH);
	}
	/* 7: minimum bodies of the open-ended types */
	static const struct {
		uint8_t type;
		size_t min;
	} mins[] = {{2, 64}, {3, 16}, {6, 18}, {8, 24}, {14, 64}, {15, 64}};
	for (size_t i = 0; i < ARRAY_LEN(mins); i++) {
		wire[1] = mins[i].type;
		CHECK_EQ(header_long_decode(&h, &body, wire, 36 + mins[i].min - 1),
			 HEADER_ERR_LENGTH_MISMATCH);
	}
	/* 8: nothing above touched the output */
	CHECK(memcmp(&h, &before, sizeof(h)) == 0);
	CHECK_EQ(body, 12345);
	/* 9: flags nibble is decoded, reserved kept */
	wire[0] = 0x1f;
	wire[1] = WIRE_TYPE_HELLO;
	wire[29] = 0x42;
	CHECK_EQ(header_long_decode(&h, &body, wire, 116), HEADER_OK);
	CHECK_EQ(h.flags, 0xf);
	CHECK_EQ(h.reserved, 0x42);
}

static void test_malformed_short(void)
{
	uint8_t wire[WIRE_MAX_PACKET_BYTES + 1] = {0x20, 0x51, 0x9f, 0, 0, 0, 2};
	struct short_header h = {.flags = 9, .cid = 0xabcd, .seq = 77};

	/* 1: under 7 + 16 bytes */
	for (size_t len = 0; len < WIRE_SHORT_MIN_BYTES; len++)
		CHECK_EQ(header_short_decode(&h, wire, len), HEADER_ERR_TOO_SHORT);
	/* 2: over 1400 */
	CHECK_EQ(header_short_decode(&h, wire, sizeof(wire)), HEADER_ERR_TOO_LONG);
	/* 3: wrong version */
	wire[0] = 0x10;
	CHECK_EQ(header_short_decode(&h, wire, 23), HEADER_ERR_BAD_VERSION);
	CHECK(h.flags == 9 && h.cid == 0xabcd && h.seq == 77);
	/* 4: flags are decoded but encode always writes 0 */
	wire[0] = 0x2c;
	CHECK_EQ(header_short_decode(&h, wire, 23), HEADER_OK);
	CHECK_EQ(h.flags, 0xc);
	header_short_encode(wire, &h);
	CHECK_EQ(wire[0], 0x20);
}

static void test_names(void)
{
	CHECK(strcmp(header_type_name(WIRE_TYPE_HELLO), "HELLO") == 0);
	CHECK(strcmp(header_type_name(WIRE_TYPE_PONG), "PONG") == 0);
	CHECK(strcmp(header_type_name(4), "UNKNOWN") == 0);
	CHECK(strcmp(header_type_name(200), "UNKNOWN") == 0);
	CHECK(strcmp(header_error_name(HEADER_ERR_LENGTH_MISMATCH), "length mismatch") == 0);
	CHECK(header_classify(0x10) == HEADER_FORM_LONG);
	CHECK(header_classify(0x2f) == HEADER_FORM_SHORT);
	CHECK(header_classify(0x30) == HEADER_FORM_LONG);
}

int main(void)
{
	test_vectors_long();
	test_hello_ack_aad();
	test_short_vectors();
	test_nonce();
	test_round_trip();
	test_malformed_long();
	test_malformed_short();
	test_names();
	return harness_finish();
}
