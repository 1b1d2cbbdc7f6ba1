/* SPDX-License-Identifier: MIT */
/*
 * crypto/aead: both backends (and the one-shot forms) against RFC 8439
 * §2.8.2 and the WIRE.md packet vectors; each backend opens what the other
 * sealed across block-boundary lengths; in-place operation; every flipped
 * bit of ciphertext, tag, AAD and nonce is rejected with the output zeroed;
 * truncated inputs fail; key set-up and tear-down edge cases.
 */
#include "crypto/aead.h"

#include "crypto/backend.h"
#include "crypto/rng.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

#include <errno.h>

static const enum aead_backend backends[] = {AEAD_BACKEND_OPENSSL, AEAD_BACKEND_SODIUM};

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* WIRE.md §7.2: direction, 0, 0, 0, type, 0, 0, 0, seq (u32 BE). */
static void make_nonce(uint8_t nonce[AEAD_NONCE_BYTES], uint8_t dir, uint8_t type, uint32_t seq)
{
	memset(nonce, 0, AEAD_NONCE_BYTES);
	nonce[0] = dir;
	nonce[4] = type;
	store_be32(nonce + 8, seq);
}

/*
 * Seals with backend `b` (or the one-shot form when `b` is DEFAULT) and
 * checks against `want`, then opens it back to `pt`.
 */
static void seal_open_kat(enum aead_backend b, const uint8_t *key, const uint8_t *nonce,
			  const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
			  const uint8_t *want)
{
	uint8_t out[256], back[256];
	struct aead_key k;

	if (b == AEAD_BACKEND_DEFAULT) {
		CHECK_EQ(aead_seal_once(key, nonce, aad, aad_len, pt, pt_len, out), 0);
		CHECK_MEM(out, want, pt_len + AEAD_TAG_BYTES);
		CHECK(aead_open_once(key, nonce, aad, aad_len, out, pt_len + 16, back));
		if (pt_len)
			CHECK_MEM(back, pt, pt_len);
		return;
	}
	CHECK_EQ(aead_key_init(&k, key, b), 0);
	CHECK_EQ(k.backend, b);
	CHECK_EQ(aead_seal(&k, nonce, aad, aad_len, pt, pt_len, out), 0);
	CHECK_MEM(out, want, pt_len + AEAD_TAG_BYTES);
	CHECK(aead_open(&k, nonce, aad, aad_len, out, pt_len + AEAD_TAG_BYTES, back));
	if (pt_len) /* pt may be NULL, and memcmp() takes no NULL even for 0 bytes */
		CHECK_MEM(back, pt, pt_len);
	aead_key_fini(&k);
}

/* Cases 1-3: RFC 8439 §2.8.2 on OpenSSL, libsodium and the one-shot form. */
static void test_rfc8439(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	static const char want_hex[] =
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca96712"
		"82fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
		"fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
		"1ae10b594f09e26a7e902ecbd0600691";
	uint8_t key[32], nonce[12], aad[12], want[sizeof(pt) - 1 + 16];
	const enum aead_backend which[] = {AEAD_BACKEND_OPENSSL, AEAD_BACKEND_SODIUM,
					   AEAD_BACKEND_DEFAULT};

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	CHECK_EQ(harness_unhex(want_hex, want, sizeof(want)), (long)sizeof(want));
	CHECK_EQ(harness_unhex("070000004041424344454647", nonce, 12), 12);
	CHECK_EQ(harness_unhex("50515253c0c1c2c3c4c5c6c7", aad, 12), 12);
	for (size_t i = 0; i < ARRAY_SIZE(which); i++) {
		const char *via = which[i] == AEAD_BACKEND_DEFAULT ? "seal_once"
								   : aead_backend_name(which[i]);

		fprintf(stderr, "case %zu: RFC 8439 2.8.2 via %s\n", i + 1, via);
		seal_open_kat(which[i], key, nonce, aad, sizeof(aad), (const uint8_t *)pt,
			      sizeof(pt) - 1, want);
	}
}

/* Cases 4-6: vectors.txt hs_hello_ack: empty plaintext, 84-byte AAD, tag only. */
static void test_hello_ack_tag(void)
{
	uint8_t key[32], aad[84], tag[16], wire[100], nonce[12];
	const enum aead_backend which[] = {AEAD_BACKEND_OPENSSL, AEAD_BACKEND_SODIUM,
					   AEAD_BACKEND_DEFAULT};

	CHECK_EQ(vectors_bytes("hs_hello_ack", "in.session_key", key, 32), 32);
	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.aad", aad, sizeof(aad)), 84);
	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.tag", tag, sizeof(tag)), 16);
	CHECK_EQ(vectors_bytes("hs_hello_ack", "out.wire", wire, sizeof(wire)), 100);
	CHECK_MEM(wire + 84, tag, 16);
	make_nonce(nonce, 1, 2, 1);
	for (size_t i = 0; i < ARRAY_SIZE(which); i++)
		seal_open_kat(which[i], key, nonce, aad, sizeof(aad), NULL, 0, tag);
}

/* Cases 7-9: the client's first DATA (long header, AAD = header with hop_ttl zeroed). */
static void test_first_data_long(void)
{
	uint8_t key[32], wire[128], aad[36], pt[16], nonce[12];
	long n;
	const enum aead_backend which[] = {AEAD_BACKEND_OPENSSL, AEAD_BACKEND_SODIUM,
					   AEAD_BACKEND_DEFAULT};

	CHECK_EQ(vectors_bytes("session_key_v2", "out.session_key", key, 32), 32);
	CHECK_EQ(vectors_bytes("hs_first_data_long", "in.payload", pt, sizeof(pt)), 11);
	CHECK_MEM(pt, "hello drift", 11);
	n = vectors_bytes("hs_first_data_long", "out.wire", wire, sizeof(wire));
	CHECK_EQ(n, 36 + 11 + 16);
	memcpy(aad, wire, 36);
	aad[28] = 0;
	make_nonce(nonce, 0, 3, 1);
	for (size_t i = 0; i < ARRAY_SIZE(which); i++)
		seal_open_kat(which[i], key, nonce, aad, sizeof(aad), pt, 11, wire + 36);
}

/* Cases 10-13: hs_short_data, both directions; AAD = the 7 header bytes. */
static void test_short_data(void)
{
	static const struct {
		const char *wire_key, *pt_key;
		uint8_t dir;
		uint32_t seq;
	} cases[] = {
		{"out.client_to_server_wire", "in.client_payload", 0, 2},
		{"out.server_to_client_wire", "in.server_payload", 1, 1},
	};
	uint8_t key[32];

	CHECK_EQ(vectors_bytes("session_key_v2", "out.session_key", key, 32), 32);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t wire[64], pt[16], nonce[12];

		CHECK_EQ(vectors_bytes("hs_short_data", cases[i].wire_key, wire, sizeof(wire)),
			 7 + 6 + 16);
		CHECK_EQ(vectors_bytes("hs_short_data", cases[i].pt_key, pt, sizeof(pt)), 6);
		CHECK_EQ(load_be32(wire + 3), cases[i].seq);
		make_nonce(nonce, cases[i].dir, 3, cases[i].seq);
		for (size_t b = 0; b < ARRAY_SIZE(backends); b++)
			seal_open_kat(backends[b], key, nonce, wire, 7, pt, 6, wire + 7);
	}
}

/* Each backend opens what the other sealed, and both seal to the same bytes. */
static void test_cross_backend(void)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 1023, 1024, 1400, 8192};
	static uint8_t pt[8192], sealed[2][8192 + 16], back[8192];
	uint8_t key[32], nonce[12], aad[36];
	struct aead_key k[2];

	rng_bytes(key, sizeof(key));
	rng_bytes(aad, sizeof(aad));
	rng_bytes(pt, sizeof(pt));
	for (size_t b = 0; b < 2; b++)
		CHECK_EQ(aead_key_init(&k[b], key, backends[b]), 0);

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		/* Odd cases carry a 36-byte AAD, even ones none. */
		size_t len = lens[i], aad_len = i % 2 ? sizeof(aad) : 0;

		fprintf(stderr, "cross-backend length %zu, aad %zu\n", len, aad_len);
		rng_bytes(nonce, sizeof(nonce));
		for (size_t b = 0; b < 2; b++) {
			int rc = aead_seal(&k[b], nonce, aad, aad_len, pt, len, sealed[b]);

			CHECK_EQ(rc, 0);
		}
		CHECK_MEM(sealed[0], sealed[1], len + 16);
		for (size_t b = 0; b < 2; b++) {
			memset(back, 0xaa, len);
			CHECK(aead_open(&k[1 - b], nonce, aad, aad_len, sealed[b], len + 16, back));
			CHECK_MEM(back, pt, len);
		}
	}
	for (size_t b = 0; b < 2; b++)
		aead_key_fini(&k[b]);
}

/* Sealing and opening in place (out == pt / out == ct) gives the out-of-place bytes. */
static void test_in_place(void)
{
	uint8_t key[32], nonce[12], aad[7], pt[1400], ref[1400 + 16], buf[1400 + 16];

	rng_bytes(key, sizeof(key));
	rng_bytes(nonce, sizeof(nonce));
	rng_bytes(aad, sizeof(aad));
	rng_bytes(pt, sizeof(pt));
	for (size_t b = 0; b < ARRAY_SIZE(backends); b++) {
		struct aead_key k;

		fprintf(stderr, "in place, %s\n", aead_backend_name(backends[b]));
		CHECK_EQ(aead_key_init(&k, key, backends[b]), 0);
		CHECK_EQ(aead_seal(&k, nonce, aad, sizeof(aad), pt, sizeof(pt), ref), 0);
		memcpy(buf, pt, sizeof(pt));
		CHECK_EQ(aead_seal(&k, nonce, aad, sizeof(aad), buf, sizeof(pt), buf), 0);
		CHECK_MEM(buf, ref, sizeof(ref));
		CHECK(aead_open(&k, nonce, aad, sizeof(aad), buf, sizeof(buf), buf));
		CHECK_MEM(buf, pt, sizeof(pt));
		/* A failed in-place open leaves zeros, not plaintext. */
		memcpy(buf, ref, sizeof(ref));
		buf[0] ^= 0x80;
		CHECK(!aead_open(&k, nonce, aad, sizeof(aad), buf, sizeof(buf), buf));
		CHECK(is_zero(buf, sizeof(pt)));
		aead_key_fini(&k);
	}
}

/* Tries one tampered open; counts an accept or a non-zeroed output as a fault. */
static unsigned tampered_open(struct aead_key *k, const uint8_t *nonce, const uint8_t *aad,
			      const uint8_t *ct, size_t ct_len)
{
	uint8_t out[64 + 16];

	memset(out, 0xaa, sizeof(out));
	if (aead_open(k, nonce, aad, 16, ct, ct_len, out))
		return 1;
	return !is_zero(out, ct_len - 16);
}

/* Every single-bit change of ciphertext, tag, AAD or nonce is rejected; the output is zeroed. */
static void test_bit_flips(void)
{
	uint8_t key[32], nonce[12], aad[16], pt[64], ct[64 + 16];

	rng_bytes(key, sizeof(key));
	rng_bytes(nonce, sizeof(nonce));
	rng_bytes(aad, sizeof(aad));
	rng_bytes(pt, sizeof(pt));
	for (size_t b = 0; b < ARRAY_SIZE(backends); b++) {
		struct aead_key k;
		unsigned faults = 0, tries = 0;

		fprintf(stderr, "bit flips, %s\n", aead_backend_name(backends[b]));
		CHECK_EQ(aead_key_init(&k, key, backends[b]), 0);
		CHECK_EQ(aead_seal(&k, nonce, aad, sizeof(aad), pt, sizeof(pt), ct), 0);
		for (size_t bit = 0; bit < 8 * sizeof(ct); bit++, tries++) {
			ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			faults += tampered_open(&k, nonce, aad, ct, sizeof(ct));
			ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		for (size_t bit = 0; bit < 8 * sizeof(aad); bit++, tries++) {
			aad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			faults += tampered_open(&k, nonce, aad, ct, sizeof(ct));
			aad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		for (size_t bit = 0; bit < 8 * sizeof(nonce); bit++, tries++) {
			nonce[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			faults += tampered_open(&k, nonce, aad, ct, sizeof(ct));
			nonce[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		CHECK_EQ(tries, 8 * (80 + 16 + 12));
		CHECK_EQ(faults, 0);
		/* Untouched, it still opens: the loops restored every bit. */
		CHECK_EQ(tampered_open(&k, nonce, aad, ct, sizeof(ct)), 1);
		/* A dropped byte and a wrong key fail as well. */
		CHECK_EQ(tampered_open(&k, nonce, aad, ct, sizeof(ct) - 1), 0);
		aead_key_fini(&k);
		key[0] ^= 1;
		CHECK_EQ(aead_key_init(&k, key, backends[b]), 0);
		CHECK_EQ(tampered_open(&k, nonce, aad, ct, sizeof(ct)), 0);
		aead_key_fini(&k);
		key[0] ^= 1;
	}
}

/* Inputs shorter than the tag fail without touching `out`, on every path. */
static void test_truncated(void)
{
	uint8_t key[32] = {1}, nonce[12] = {0}, ct[16] = {0}, out[16];

	for (size_t b = 0; b < ARRAY_SIZE(backends); b++) {
		struct aead_key k;

		CHECK_EQ(aead_key_init(&k, key, backends[b]), 0);
		for (size_t len = 0; len < 16; len++) {
			memset(out, 0xaa, sizeof(out));
			CHECK(!aead_open(&k, nonce, NULL, 0, ct, len, out));
			CHECK(out[0] == 0xaa);
		}
		aead_key_fini(&k);
	}
	for (size_t len = 0; len < 16; len++)
		CHECK(!aead_open_once(key, nonce, NULL, 0, ct, len, out));
}

/* Key set-up: default resolution, bad backend, fini twice and on a zeroed struct. */
static void test_key_lifecycle(void)
{
	uint8_t key[32] = {7};
	struct aead_key k, zero;

	memset(&zero, 0, sizeof(zero));
	memset(&k, 0, sizeof(k));
	aead_key_fini(&k);
	CHECK_MEM(&k, &zero, sizeof(k));

	CHECK_EQ(aead_key_init(&k, key, AEAD_BACKEND_DEFAULT), 0);
	CHECK_EQ(k.backend, aead_default_backend());
	CHECK(aead_default_backend() != AEAD_BACKEND_DEFAULT);
	aead_key_fini(&k);
	CHECK_MEM(&k, &zero, sizeof(k));
	aead_key_fini(&k);

	CHECK_EQ(aead_key_init(&k, key, (enum aead_backend)42), -EINVAL);
	aead_key_fini(&k);

	/* The OpenSSL backend keeps the key only inside its EVP context. */
	CHECK_EQ(aead_key_init(&k, key, AEAD_BACKEND_OPENSSL), 0);
	CHECK(k.evp_ctx != NULL);
	CHECK(is_zero(k.key, sizeof(k.key)));
	aead_key_fini(&k);
	CHECK_EQ(aead_key_init(&k, key, AEAD_BACKEND_SODIUM), 0);
	CHECK(k.evp_ctx == NULL);
	CHECK_MEM(k.key, key, 32);
	aead_key_fini(&k);

	CHECK(strcmp(aead_backend_name(AEAD_BACKEND_OPENSSL), "openssl") == 0);
	CHECK(strcmp(aead_backend_name(AEAD_BACKEND_SODIUM), "sodium") == 0);
	CHECK(strcmp(aead_backend_name(AEAD_BACKEND_DEFAULT),
		     aead_backend_name(aead_default_backend())) == 0);
}

/* One key, many packets: the pre-keyed OpenSSL context must not carry state across calls. */
static void test_reuse(void)
{
	uint8_t key[32], nonce[12], pt[100], ct[2][116], out[100];
	struct aead_key k[2];

	rng_bytes(key, sizeof(key));
	rng_bytes(pt, sizeof(pt));
	for (size_t b = 0; b < 2; b++)
		CHECK_EQ(aead_key_init(&k[b], key, backends[b]), 0);
	for (uint32_t seq = 1; seq <= 50; seq++) {
		make_nonce(nonce, 0, 3, seq);
		for (size_t b = 0; b < 2; b++)
			CHECK_EQ(aead_seal(&k[b], nonce, pt, seq % 37, pt, seq, ct[b]), 0);
		CHECK_MEM(ct[0], ct[1], seq + 16);
		/* Interleave a failing open to be sure it leaves nothing behind. */
		ct[0][0] ^= 1;
		CHECK(!aead_open(&k[0], nonce, pt, seq % 37, ct[0], seq + 16, out));
		ct[0][0] ^= 1;
		CHECK(aead_open(&k[0], nonce, pt, seq % 37, ct[0], seq + 16, out));
		CHECK_MEM(out, pt, seq);
	}
	for (size_t b = 0; b < 2; b++)
		aead_key_fini(&k[b]);
}

int main(void)
{
	CHECK_EQ(backend_init(), 0);
	test_rfc8439();
	test_hello_ack_tag();
	test_first_data_long();
	test_short_data();
	test_cross_backend();
	test_in_place();
	test_bit_flips();
	test_truncated();
	test_key_lifecycle();
	test_reuse();
	return harness_finish();
}
