/* SPDX-License-Identifier: MIT */
/*
 * crypto/blake2b: the RFC 7693 Appendix A vector, every digest length that
 * libsodium also accepts (16..64) checked against crypto_generichash on
 * block-boundary message lengths and with the input fed in pieces, the
 * short digests libsodium refuses (from Python's hashlib, an independent
 * implementation), and the 8-byte WIRE.md peer ids.
 */
#include "crypto/blake2b.h"

#include "crypto/backend.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

#include <sodium.h>

/* Case 1: RFC 7693 Appendix A, BLAKE2b-512("abc"). */
static void test_rfc7693(void)
{
	static const uint8_t want[64] = {
		0xba, 0x80, 0xa5, 0x3f, 0x98, 0x1c, 0x4d, 0x0d, 0x6a, 0x27, 0x97, 0xb6, 0x9f,
		0x12, 0xf6, 0xe9, 0x4c, 0x21, 0x2f, 0x14, 0x68, 0x5a, 0xc4, 0xb7, 0x4b, 0x12,
		0xbb, 0x6f, 0xdb, 0xff, 0xa2, 0xd1, 0x7d, 0x87, 0xc5, 0x39, 0x2a, 0xab, 0x79,
		0x2d, 0xc2, 0x52, 0xd5, 0xde, 0x45, 0x33, 0xcc, 0x95, 0x18, 0xd3, 0x8a, 0xa8,
		0xdb, 0xf1, 0x92, 0x5a, 0xb9, 0x23, 0x86, 0xed, 0xd4, 0x00, 0x99, 0x23,
	};
	uint8_t out[64];

	blake2b_hash(out, 64, "abc", 3);
	CHECK_MEM(out, want, 64);
}

/* Cases 2..: digest lengths below libsodium's minimum, from hashlib.blake2b(digest_size=n). */
static void test_short_digests(void)
{
	static const struct {
		const char *msg;
		size_t digest_len;
		const char *want;
	} cases[] = {
		{"abc", 8, "d8bb14d833d59559"},
		{"", 8, "e4a6a0577479b2b4"},
		{"abc", 1, "6b"},
		{"abc", 15, "cb322ea749b92c9a46ca598e516025"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t out[64], want[64];
		long n = harness_unhex(cases[i].want, want, sizeof(want));

		fprintf(stderr, "case %zu: H%zu(\"%s\")\n", i + 2, cases[i].digest_len,
			cases[i].msg);
		CHECK_EQ(n, (long)cases[i].digest_len);
		memset(out, 0xee, sizeof(out));
		blake2b_hash(out, cases[i].digest_len, cases[i].msg, strlen(cases[i].msg));
		CHECK_MEM(out, want, cases[i].digest_len);
		/* Nothing written past the digest. */
		CHECK(out[cases[i].digest_len] == 0xee);
	}
}

/* A digest length of 0 or above 64 is clamped to 64. */
static void test_clamp(void)
{
	uint8_t a[64], b[64];

	blake2b_hash(a, 64, "x", 1);
	blake2b_hash(b, 0, "x", 1);
	CHECK_MEM(a, b, 64);
	blake2b_hash(b, 65, "x", 1);
	CHECK_MEM(a, b, 64);
}

/* Feeds `msg` in pieces of `chunk` bytes (0 = all at once, with an empty update first). */
static void hash_in_pieces(uint8_t *out, size_t digest_len, const uint8_t *msg, size_t len,
			   size_t chunk)
{
	struct blake2b_state s;

	blake2b_init(&s, digest_len);
	if (chunk == 0) {
		blake2b_update(&s, msg, 0);
		blake2b_update(&s, msg, len);
	} else {
		for (size_t off = 0; off < len; off += chunk)
			blake2b_update(&s, msg + off, len - off < chunk ? len - off : chunk);
	}
	blake2b_final(&s, out);
}

/* Every libsodium-compatible digest length, message length and split against crypto_generichash. */
static void test_against_libsodium(void)
{
	static const size_t lens[] = {0, 1, 127, 128, 129, 255, 256, 257, 1000};
	static const size_t chunks[] = {0, 1, 7, 64, 127, 128, 129, 500};
	uint8_t msg[1000];
	unsigned mismatches = 0, runs = 0;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);

	for (size_t dl = crypto_generichash_BYTES_MIN; dl <= crypto_generichash_BYTES_MAX; dl++) {
		for (size_t li = 0; li < ARRAY_SIZE(lens); li++) {
			uint8_t want[64];

			crypto_generichash(want, dl, msg, lens[li], NULL, 0);
			for (size_t ci = 0; ci < ARRAY_SIZE(chunks); ci++) {
				uint8_t got[64];

				hash_in_pieces(got, dl, msg, lens[li], chunks[ci]);
				runs++;
				if (memcmp(got, want, dl) != 0) {
					mismatches++;
					fprintf(stderr,
						"  digest %zu, len %zu, chunk %zu differs\n", dl,
						lens[li], chunks[ci]);
				}
			}
		}
	}
	CHECK_EQ(runs, 49 * ARRAY_SIZE(lens) * ARRAY_SIZE(chunks));
	CHECK_EQ(mismatches, 0);
}

/* WIRE.md §3 peer ids, H8("drift-peer-id-v1" || pub), hashed here without kdf.c. */
static void test_peer_ids(void)
{
	static const char *const keys[][2] = {
		{"in.client_pub", "out.client_peer_id"},
		{"in.server_pub", "out.server_peer_id"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		uint8_t msg[16 + 32], id[8], want[8];

		memcpy(msg, "drift-peer-id-v1", 16);
		CHECK_EQ(vectors_bytes("peer_id_examples", keys[i][0], msg + 16, 32), 32);
		CHECK_EQ(vectors_bytes("peer_id_examples", keys[i][1], want, 8), 8);
		blake2b_hash(id, 8, msg, sizeof(msg));
		CHECK_MEM(id, want, 8);
	}
}

int main(void)
{
	CHECK_EQ(backend_init(), 0);
	test_rfc7693();
	test_short_digests();
	test_clamp();
	test_against_libsodium();
	test_peer_ids();
	return harness_finish();
}
