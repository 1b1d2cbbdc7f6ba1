/* SPDX-License-Identifier: MIT */
/*
 * crypto/siphash: the WIRE.md cookie MAC reproduced byte for byte, and the
 * shared core run as SipHash-2-4-128 against libsodium's
 * crypto_shorthash_siphashx24, which proves the rounds, the 128-bit tweaks
 * and the length padding; the 1-3 instance differs from it only in the two
 * round counts. The core is static, so this file includes siphash.c itself.
 */
#include "crypto/siphash.c"

#include "crypto/backend.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

#include <sodium.h>

/* Case 1: vectors.txt cookie_mac, mac_input laid out as WIRE.md §10.2. */
static void test_cookie_mac(void)
{
	uint8_t secret[32], msg[160], mac[16], want[16], wire[128];
	size_t len = 0;
	long n;
	char *ts = vectors_get("cookie_mac", "in.timestamp_unix_secs");
	uint64_t timestamp = ts ? strtoull(ts, NULL, 10) : 0;

	free(ts);
	CHECK_EQ(vectors_bytes("cookie_mac", "in.secret", secret, sizeof(secret)), 32);
	memcpy(msg, "drift-dos-cookie-v1", 19);
	len = 19;
	n = vectors_bytes("cookie_mac", "in.addr_bytes", msg + len, 19);
	CHECK_EQ(n, 7); /* 0x04 || 127.0.0.1 || port 9000 */
	len += n > 0 ? (size_t)n : 0;
	CHECK_EQ(vectors_bytes("session_key_v2", "out.client_static_pub", msg + len, 32), 32);
	len += 32;
	CHECK_EQ(vectors_bytes("session_key_v2", "out.client_ephemeral_pub", msg + len, 32), 32);
	len += 32;
	CHECK_EQ(vectors_bytes("vector_inputs", "in.client_nonce", msg + len, 16), 16);
	len += 16;
	store_be64(msg + len, timestamp);
	len += 8;
	CHECK_EQ(len, 19 + 7 + 32 + 32 + 16 + 8);

	/* Only the first 16 bytes of the 32-byte server secret are the key. */
	siphash13_128(mac, secret, msg, len);
	CHECK_EQ(vectors_bytes("cookie_mac", "out.mac", want, sizeof(want)), 16);
	CHECK_MEM(mac, want, 16);

	/* The CHALLENGE body carries timestamp || mac after the 36-byte header. */
	CHECK_EQ(vectors_bytes("cookie_mac", "out.challenge_wire", wire, sizeof(wire)), 60);
	CHECK_EQ(load_be64(wire + 36), timestamp);
	CHECK_MEM(wire + 44, mac, 16);
}

/* Case 2: the SipHash reference vector for SipHash-2-4-128, key 00..0f, empty message. */
static void test_reference_24(void)
{
	static const uint8_t want[16] = {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
					 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93};
	uint8_t key[16], out[16];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	siphash_128(out, key, NULL, 0, 2, 4);
	CHECK_MEM(out, want, 16);
}

/* Case 3: the 2-4 instance of our core equals libsodium for every length 0..200. */
static void test_core_against_libsodium(void)
{
	uint8_t key[16], msg[200];
	unsigned mismatches = 0, same_as_13 = 0;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + 1);

	for (size_t len = 0; len <= sizeof(msg); len++) {
		uint8_t ours[16], theirs[16], ours13[16];

		siphash_128(ours, key, msg, len, 2, 4);
		crypto_shorthash_siphashx24(theirs, msg, len, key);
		if (memcmp(ours, theirs, 16) != 0) {
			mismatches++;
			fprintf(stderr, "  len %zu differs from libsodium\n", len);
		}
		siphash13_128(ours13, key, msg, len);
		if (memcmp(ours13, theirs, 16) == 0)
			same_as_13++;
	}
	CHECK_EQ(mismatches, 0);
	/* Structural: what we export is not SipHash-2-4. */
	CHECK_EQ(same_as_13, 0);
}

/* Case 4: every key and message bit matters, and the output is deterministic. */
static void test_sensitivity(void)
{
	uint8_t key[16] = {0}, msg[24] = {0}, base[16], out[16];
	unsigned unchanged = 0;

	siphash13_128(base, key, msg, sizeof(msg));
	siphash13_128(out, key, msg, sizeof(msg));
	CHECK_MEM(out, base, 16);
	for (int bit = 0; bit < 128; bit++) {
		key[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		siphash13_128(out, key, msg, sizeof(msg));
		unchanged += memcmp(out, base, 16) == 0;
		key[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	for (int bit = 0; bit < 192; bit++) {
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		siphash13_128(out, key, msg, sizeof(msg));
		unchanged += memcmp(out, base, 16) == 0;
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	/* A trailing zero byte changes the length byte. */
	siphash13_128(out, key, msg, sizeof(msg) - 1);
	unchanged += memcmp(out, base, 16) == 0;
	CHECK_EQ(unchanged, 0);
}

int main(void)
{
	CHECK_EQ(backend_init(), 0);
	test_cookie_mac();
	test_reference_24();
	test_core_against_libsodium();
	test_sensitivity();
	return harness_finish();
}
