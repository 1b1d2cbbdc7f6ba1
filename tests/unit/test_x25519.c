/* SPDX-License-Identifier: MIT */
/*
 * crypto/x25519: RFC 7748 §5.2 (single and iterated) and §6.1, rejection
 * of every low-order point (all-zero output, `out` zeroed), the WIRE.md
 * session_key_v2 keys and DH values, and the multiplication counter.
 */
#include "crypto/x25519.h"

#include "crypto/backend.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

static void unhex32(uint8_t out[32], const char *hex)
{
	CHECK_EQ(harness_unhex(hex, out, 32), 32);
}

/* Cases 1-2: RFC 7748 §5.2 single multiplications (case 2's u has bit 255 set; it is masked). */
static void test_rfc7748_vectors(void)
{
	static const struct {
		const char *scalar, *u, *out;
	} cases[] = {
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		 "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		 "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t k[32], u[32], want[32], out[32];

		fprintf(stderr, "case %zu: RFC 7748 §5.2 vector %zu\n", i + 1, i + 1);
		unhex32(k, cases[i].scalar);
		unhex32(u, cases[i].u);
		unhex32(want, cases[i].out);
		CHECK(x25519_shared(out, k, u));
		CHECK_MEM(out, want, 32);
	}
}

/* Case 3: RFC 7748 §5.2 iteration, k = u = 9; checked after 1 and 1000 rounds. */
static void test_rfc7748_iterated(void)
{
	uint8_t k[32] = {9}, u[32] = {9}, r[32], want1[32], want1000[32];
	unsigned failures = 0;

	unhex32(want1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	unhex32(want1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");

	for (int i = 1; i <= 1000; i++) {
		failures += !x25519_shared(r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			CHECK_MEM(k, want1, 32);
	}
	CHECK_MEM(k, want1000, 32);
	CHECK_EQ(failures, 0);
}

/* Case 4: RFC 7748 §6.1 Alice and Bob. */
static void test_rfc7748_dh(void)
{
	uint8_t a[32], b[32], a_pub[32], b_pub[32], want[32], s1[32], s2[32];

	unhex32(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex32(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	x25519_public(a_pub, a);
	x25519_public(b_pub, b);
	unhex32(want, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	CHECK_MEM(a_pub, want, 32);
	unhex32(want, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	CHECK_MEM(b_pub, want, 32);
	unhex32(want, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	CHECK(x25519_shared(s1, a, b_pub));
	CHECK(x25519_shared(s2, b, a_pub));
	CHECK_MEM(s1, want, 32);
	CHECK_MEM(s2, want, 32);
}

/*
 * Cases 5..: points of order 1, 2, 4 and 8, as small values, as p + 0 and
 * p + 1, and with the ignored bit 255 set; each
 * must fail with `out` zeroed (x25519_shared writes zeros over 0xAA).
 */
static void test_low_order(void)
{
	static const char *const points[] = {
		"0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
		"0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p = 0 */
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 = 1 */
		/* The same with bit 255 set, which X25519 ignores (RFC 7748 §5). */
		"0000000000000000000000000000000000000000000000000000000000000080",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	};
	uint8_t secret[32], zero[32] = {0};

	memset(secret, 0x42, sizeof(secret));
	for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
		uint8_t u[32], out[32];

		fprintf(stderr, "case %zu: low-order point %zu\n", i + 5, i);
		unhex32(u, points[i]);
		memset(out, 0xaa, sizeof(out));
		CHECK(!x25519_shared(out, secret, u));
		CHECK_MEM(out, zero, 32);
	}
}

/* WIRE.md vectors.txt session_key_v2: public keys and both DH values, from both sides. */
static void test_session_vectors(void)
{
	static const char *const pairs[][2] = {
		{"in.client_static_secret", "out.client_static_pub"},
		{"in.server_static_secret", "out.server_static_pub"},
		{"in.client_ephemeral_secret", "out.client_ephemeral_pub"},
		{"in.server_ephemeral_secret", "out.server_ephemeral_pub"},
	};
	uint8_t sec[4][32], pub[4][32], want[32], dh[32];

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		CHECK_EQ(vectors_bytes("session_key_v2", pairs[i][0], sec[i], 32), 32);
		CHECK_EQ(vectors_bytes("session_key_v2", pairs[i][1], want, 32), 32);
		x25519_public(pub[i], sec[i]);
		CHECK_MEM(pub[i], want, 32);
	}
	CHECK_EQ(vectors_bytes("session_key_v2", "out.static_dh", want, 32), 32);
	CHECK(x25519_shared(dh, sec[0], pub[1]));
	CHECK_MEM(dh, want, 32);
	CHECK(x25519_shared(dh, sec[1], pub[0]));
	CHECK_MEM(dh, want, 32);
	CHECK_EQ(vectors_bytes("session_key_v2", "out.ephemeral_dh", want, 32), 32);
	CHECK(x25519_shared(dh, sec[2], pub[3]));
	CHECK_MEM(dh, want, 32);
	CHECK(x25519_shared(dh, sec[3], pub[2]));
	CHECK_MEM(dh, want, 32);

	/* The resumption ephemerals of vectors.txt resumption_handshake. */
	memset(sec[0], 0x99, 32);
	memset(sec[1], 0xaa, 32);
	x25519_public(pub[0], sec[0]);
	x25519_public(pub[1], sec[1]);
	CHECK_EQ(vectors_bytes("resumption_handshake", "out.client_eph_pub", want, 32), 32);
	CHECK_MEM(pub[0], want, 32);
	CHECK_EQ(vectors_bytes("resumption_handshake", "out.server_eph_pub", want, 32), 32);
	CHECK_MEM(pub[1], want, 32);
	CHECK_EQ(vectors_bytes("resumption_handshake", "out.ephemeral_dh", want, 32), 32);
	CHECK(x25519_shared(dh, sec[0], pub[1]));
	CHECK_MEM(dh, want, 32);
}

/* Fresh key pairs agree, and every multiplication is counted once. */
static void test_keypair_and_counter(void)
{
	uint8_t a_pub[32], a[32], b_pub[32], b[32], s1[32], s2[32], again[32];
	unsigned long before = x25519_operations();

	x25519_keypair(a_pub, a);
	x25519_keypair(b_pub, b);
	CHECK(memcmp(a, b, 32) != 0);
	x25519_public(again, a);
	CHECK_MEM(again, a_pub, 32);
	CHECK(x25519_shared(s1, a, b_pub));
	CHECK(x25519_shared(s2, b, a_pub));
	CHECK_MEM(s1, s2, 32);
	CHECK(!x25519_shared(s1, a, (const uint8_t[32]){0}));
	CHECK_EQ(x25519_operations() - before, 6);
}

int main(void)
{
	CHECK_EQ(backend_init(), 0);
	test_rfc7748_vectors();
	test_rfc7748_iterated();
	test_rfc7748_dh();
	test_low_order();
	test_session_vectors();
	test_keypair_and_counter();
	return harness_finish();
}
