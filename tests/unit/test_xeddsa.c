/* SPDX-License-Identifier: MIT */
/*
 * crypto/xeddsa: sign/verify round trips over several keys (with both
 * values of the Edwards sign bit) and message lengths; the acceptance
 * criterion that a signature verifies with plain Ed25519 under
 * xeddsa_edwards_public(pub); that conversion equals the point kB computed
 * from the clamped secret with its sign bit cleared; and the rejections:
 * changed message, R or s, wrong key, s >= L, all-zero signature, u >= p.
 */
#include "crypto/xeddsa.h"

#include "crypto/backend.h"
#include "crypto/rng.h"
#include "crypto/x25519.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

#include <sodium.h>

/* The group order L, little-endian. */
static const uint8_t order_l[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

struct test_key {
	uint8_t secret[32], pub[32];
};

/* Secrets 11..11 and 22..22 of vectors.txt, a few fixed patterns, and random ones. */
static void make_keys(struct test_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i < 6)
			memset(keys[i].secret, (int)(0x11 * (i + 1)), 32);
		else
			rng_bytes(keys[i].secret, 32);
		x25519_public(keys[i].pub, keys[i].secret);
	}
}

/* The Ed25519 point of the clamped secret (libsodium clamps as X25519 does). */
static void edwards_point(uint8_t e[32], const uint8_t secret[32])
{
	CHECK_EQ(crypto_scalarmult_ed25519_base(e, secret), 0);
}

/* Case 1: conversion of u = 9 is the Ed25519 base point (y = 4/5). */
static void test_base_point(void)
{
	uint8_t nine[32] = {9}, ed[32], want[32];

	CHECK(xeddsa_edwards_public(ed, nine));
	CHECK_EQ(harness_unhex("5866666666666666666666666666666666666666666666666666666666666666",
			       want, 32),
		 32);
	CHECK_MEM(ed, want, 32);
}

/* Cases 2..: round trips; the signature is plain Ed25519 under the converted key. */
static void test_round_trips(void)
{
	static const size_t msg_lens[] = {0, 1, 32, 100, 1000};
	struct test_key keys[12];
	uint8_t msg[1000];
	unsigned sign_bits[2] = {0, 0};

	make_keys(keys, ARRAY_SIZE(keys));
	rng_bytes(msg, sizeof(msg));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		uint8_t ed[32], e[32], mont[32];

		/* The converted key is kB with the sign bit cleared, and maps back to u. */
		CHECK(xeddsa_edwards_public(ed, keys[i].pub));
		edwards_point(e, keys[i].secret);
		sign_bits[e[31] >> 7]++;
		e[31] &= 0x7f;
		CHECK_MEM(ed, e, 32);
		CHECK_EQ(crypto_sign_ed25519_pk_to_curve25519(mont, ed), 0);
		CHECK_MEM(mont, keys[i].pub, 32);

		for (size_t m = 0; m < ARRAY_SIZE(msg_lens); m++) {
			uint8_t sig[64];
			size_t len = msg_lens[m];

			xeddsa_sign(sig, keys[i].secret, msg, len);
			CHECK(xeddsa_verify(sig, keys[i].pub, msg, len));
			CHECK_EQ(crypto_sign_ed25519_verify_detached(sig, msg, len, ed), 0);
		}
	}
	/* Both branches of calculate_key_pair (a = k and a = -k) were exercised. */
	CHECK(sign_bits[0] > 0);
	CHECK(sign_bits[1] > 0);
}

/* Fixed Z gives the same signature; another Z another one, and both verify. */
static void test_determinism(void)
{
	uint8_t secret[32], pub[32], z[64], sig1[64], sig2[64];
	static const uint8_t msg[] = "presence ticket";

	memset(secret, 0x11, sizeof(secret));
	x25519_public(pub, secret);
	memset(z, 0x01, sizeof(z));
	xeddsa_sign_with_random(sig1, secret, msg, sizeof(msg), z);
	xeddsa_sign_with_random(sig2, secret, msg, sizeof(msg), z);
	CHECK_MEM(sig1, sig2, 64);
	z[63] ^= 1;
	xeddsa_sign_with_random(sig2, secret, msg, sizeof(msg), z);
	CHECK(memcmp(sig1, sig2, 32) != 0);
	CHECK(xeddsa_verify(sig1, pub, msg, sizeof(msg)));
	CHECK(xeddsa_verify(sig2, pub, msg, sizeof(msg)));
}

/* out = s + L as 256-bit little-endian integers (s < L, so no overflow). */
static void add_order(uint8_t out[32], const uint8_t s[32])
{
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		carry += (unsigned)s[i] + order_l[i];
		out[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

/* Flips one bit of a copy of the signature and reports whether it still verifies. */
static bool verifies_flipped(const uint8_t sig[64], size_t bit, const uint8_t pub[32],
			     const uint8_t *msg, size_t len)
{
	uint8_t bad[64];

	memcpy(bad, sig, 64);
	bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	return xeddsa_verify(bad, pub, msg, len);
}

/* The negative table. */
static void test_rejections(void)
{
	struct test_key keys[2];
	uint8_t msg[48], sig[64], bad[64], pub[32], ed[32];
	unsigned accepted = 0;

	make_keys(keys, ARRAY_SIZE(keys));
	rng_bytes(msg, sizeof(msg));
	xeddsa_sign(sig, keys[0].secret, msg, sizeof(msg));
	CHECK(xeddsa_verify(sig, keys[0].pub, msg, sizeof(msg)));

	/* Every bit of R and s, and every bit of the message. */
	for (size_t bit = 0; bit < 512; bit++)
		accepted += verifies_flipped(sig, bit, keys[0].pub, msg, sizeof(msg));
	for (size_t bit = 0; bit < 8 * sizeof(msg); bit++) {
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		accepted += xeddsa_verify(sig, keys[0].pub, msg, sizeof(msg));
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	CHECK_EQ(accepted, 0);
	/* A shorter message. */
	CHECK(!xeddsa_verify(sig, keys[0].pub, msg, sizeof(msg) - 1));
	/* Another key. */
	CHECK(!xeddsa_verify(sig, keys[1].pub, msg, sizeof(msg)));

	/* s + L is the same scalar mod L but not canonical. */
	memcpy(bad, sig, 32);
	add_order(bad + 32, sig + 32);
	CHECK(!xeddsa_verify(bad, keys[0].pub, msg, sizeof(msg)));
	/* All zeros: R is a small-order point. */
	memset(bad, 0, sizeof(bad));
	CHECK(!xeddsa_verify(bad, keys[0].pub, msg, sizeof(msg)));

	/* u with bit 255 set is >= p even though X25519 would ignore the bit. */
	memcpy(pub, keys[0].pub, 32);
	pub[31] |= 0x80;
	CHECK(!xeddsa_edwards_public(ed, pub));
	CHECK(!xeddsa_verify(sig, pub, msg, sizeof(msg)));
}

/* xeddsa_edwards_public() refuses u >= p and u = -1 (p - 1), accepts p - 2. */
static void test_conversion_range(void)
{
	static const struct {
		const char *what, *u;
		bool is_valid;
	} cases[] = {
		{"p", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false},
		{"p + 1", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		 false},
		{"2^256 - 1", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		 false},
		{"-1", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", false},
		{"-2", "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", true},
		{"0", "0000000000000000000000000000000000000000000000000000000000000000", true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t u[32], ed[32];

		fprintf(stderr, "conversion case %zu: u = %s\n", i + 1, cases[i].what);
		CHECK_EQ(harness_unhex(cases[i].u, u, 32), 32);
		CHECK_EQ(xeddsa_edwards_public(ed, u), cases[i].is_valid);
		if (cases[i].is_valid)
			CHECK(!(ed[31] & 0x80));
	}
}

int main(void)
{
	CHECK_EQ(backend_init(), 0);
	test_base_point();
	test_round_trips();
	test_determinism();
	test_rejections();
	test_conversion_range();
	return harness_finish();
}
