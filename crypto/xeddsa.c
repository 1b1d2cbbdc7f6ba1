/* SPDX-License-Identifier: MIT */
/*
 * XEdDSA (Signal, "The XEdDSA and VXEdDSA Signature Schemes", rev. 1) on
 * Curve25519: sign with an X25519 secret, verify against the X25519 public
 * key. The signature is an ordinary Ed25519 signature under the Edwards
 * point that shares the key's y coordinate with sign bit 0, so verification
 * converts u to y = (u - 1) / (u + 1) and hands over to libsodium's Ed25519
 * verifier. Not VXEdDSA (no VRF output), and nothing here is on a hot path.
 */
#include "crypto/xeddsa.h"

#include "crypto/rng.h"
#include "crypto/secret.h"

#include <openssl/bn.h>
#include <sodium.h>
#include <string.h>

/* Little-endian encodings of p = 2^255 - 19 and of the group order q (L). */
static const uint8_t xeddsa_p[32] = {
	0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
static const uint8_t xeddsa_q[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* a < b for 32-byte little-endian integers. Public inputs only: not constant time. */
static bool less_than(const uint8_t a[32], const uint8_t b[32])
{
	for (int i = 31; i >= 0; i--) {
		if (a[i] != b[i])
			return a[i] < b[i];
	}
	return false;
}

/* Finishes the SHA-512 in `st` and reduces the digest mod q; wipes both. */
static void hash_mod_q(uint8_t out[32], crypto_hash_sha512_state *st)
{
	uint8_t wide[crypto_hash_sha512_BYTES];

	crypto_hash_sha512_final(st, wide);
	crypto_core_ed25519_scalar_reduce(out, wide);
	secret_wipe(wide, sizeof(wide));
	secret_wipe(st, sizeof(*st));
}

/*
 * calculate_key_pair(k): E = kB with k clamped as X25519 does; the public
 * key A is E with its sign bit cleared, and the private scalar a is k or -k
 * (mod q) so that aB = A. Returns false only if libsodium refuses the
 * scalar, which a clamped k (never 0 mod q) cannot trigger.
 */
static bool calculate_key_pair(uint8_t a[32], uint8_t A[32], const uint8_t x25519_secret[32])
{
	uint8_t wide[64] = {0}, k[32];
	bool is_ok = false;

	memcpy(wide, x25519_secret, 32);
	wide[0] &= 248;
	wide[31] &= 127;
	wide[31] |= 64;
	crypto_core_ed25519_scalar_reduce(k, wide);
	if (crypto_scalarmult_ed25519_base_noclamp(A, k) != 0)
		goto out;
	if (A[31] & 0x80) {
		crypto_core_ed25519_scalar_negate(a, k);
		A[31] &= 0x7f;
	} else {
		memcpy(a, k, 32);
	}
	is_ok = true;
out:
	secret_wipe(wide, sizeof(wide));
	secret_wipe(k, sizeof(k));
	return is_ok;
}

void xeddsa_sign_with_random(uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_secret[32],
			     const uint8_t *msg, size_t len,
			     const uint8_t random[XEDDSA_RANDOM_BYTES])
{
	/* hash_1's prefix: 2^256 - 1 - i for i = 1, as 32 little-endian bytes. */
	static const uint8_t hash1_prefix[32] = {
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	crypto_hash_sha512_state st;
	uint8_t a[32], A[32], r[32], h[32], ha[32];

	if (!calculate_key_pair(a, A, x25519_secret)) {
		memset(sig, 0, XEDDSA_SIG_BYTES); /* verifies under no key */
		goto out;
	}

	/* r = hash_1(a || M || Z) mod q; R = rB. */
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, hash1_prefix, sizeof(hash1_prefix));
	crypto_hash_sha512_update(&st, a, sizeof(a));
	crypto_hash_sha512_update(&st, msg, len);
	crypto_hash_sha512_update(&st, random, XEDDSA_RANDOM_BYTES);
	hash_mod_q(r, &st);
	/* libsodium refuses r = 0 (probability 2^-252); an all-zero R then fails verify. */
	if (crypto_scalarmult_ed25519_base_noclamp(sig, r) != 0)
		memset(sig, 0, 32);

	/* h = SHA-512(R || A || M) mod q; s = r + h a mod q. */
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, sig, 32);
	crypto_hash_sha512_update(&st, A, sizeof(A));
	crypto_hash_sha512_update(&st, msg, len);
	hash_mod_q(h, &st);
	crypto_core_ed25519_scalar_mul(ha, h, a);
	crypto_core_ed25519_scalar_add(sig + 32, r, ha);
out:
	secret_wipe(a, sizeof(a));
	secret_wipe(r, sizeof(r));
	secret_wipe(ha, sizeof(ha));
}

void xeddsa_sign(uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_secret[32], const uint8_t *msg,
		 size_t len)
{
	uint8_t z[XEDDSA_RANDOM_BYTES];

	rng_bytes(z, sizeof(z));
	xeddsa_sign_with_random(sig, x25519_secret, msg, len, z);
	secret_wipe(z, sizeof(z));
}

bool xeddsa_edwards_public(uint8_t ed_pub[32], const uint8_t x25519_pub[32])
{
	BN_CTX *ctx;
	BIGNUM *p, *u, *num, *den, *y;
	bool is_ok = false;

	/* The whole 256-bit string as an integer: bit 255 set means u >= p too. */
	if (!less_than(x25519_pub, xeddsa_p))
		return false;

	ctx = BN_CTX_new();
	if (!ctx)
		return false;
	BN_CTX_start(ctx);
	p = BN_CTX_get(ctx);
	u = BN_CTX_get(ctx);
	num = BN_CTX_get(ctx);
	den = BN_CTX_get(ctx);
	y = BN_CTX_get(ctx);
	if (!y || !BN_lebin2bn(xeddsa_p, 32, p) || !BN_lebin2bn(x25519_pub, 32, u))
		goto out;
	/* y = (u - 1) / (u + 1) mod p; u = p - 1 makes the divisor 0 and has no image. */
	if (!BN_sub(num, u, BN_value_one()) || !BN_nnmod(num, num, p, ctx))
		goto out;
	if (!BN_add(den, u, BN_value_one()) || !BN_nnmod(den, den, p, ctx) || BN_is_zero(den))
		goto out;
	if (!BN_mod_inverse(den, den, p, ctx) || !BN_mod_mul(y, num, den, p, ctx))
		goto out;
	/* y < p < 2^255, so bit 255 (the sign of x) is 0 as XEdDSA requires. */
	is_ok = BN_bn2lebinpad(y, ed_pub, 32) == 32;
out:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	return is_ok;
}

bool xeddsa_verify(const uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_pub[32],
		   const uint8_t *msg, size_t len)
{
	uint8_t A[32];

	if (!xeddsa_edwards_public(A, x25519_pub))
		return false;
	/*
	 * s must be reduced (s < q). libsodium checks this too, but only
	 * once the top nibble is set; say it here so it is not an accident.
	 */
	if (!less_than(sig + 32, xeddsa_q))
		return false;
	/* Also rejects small-order A and R and non-canonical A. */
	return crypto_sign_ed25519_verify_detached(sig, msg, len, A) == 0;
}
