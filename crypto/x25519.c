/* SPDX-License-Identifier: MIT */
/*
 * X25519 (RFC 7748) through libsodium, plus the one rule DRIFT adds: an
 * all-zero shared secret (a low-order peer point) is a failure wherever DH
 * is used (WIRE.md §1). Counts multiplications so DoS tests can check that
 * cookies keep unauthenticated HELLOs from costing us scalar mults. Key
 * storage and encoding (key files, hex) live elsewhere.
 */
#include "crypto/x25519.h"

#include "crypto/rng.h"
#include "crypto/secret.h"

#include <sodium.h>
#include <stdatomic.h>

/*
 * Written by any thread, read by tests and metrics. Relaxed: the count
 * orders nothing else, it only has to be exact once the threads are idle.
 */
static atomic_ulong x25519_ops;

static void count_op(void)
{
	atomic_fetch_add_explicit(&x25519_ops, 1, memory_order_relaxed);
}

void x25519_public(uint8_t pub[X25519_KEY_BYTES], const uint8_t secret[X25519_KEY_BYTES])
{
	count_op();
	/*
	 * libsodium reports failure only for an all-zero result, which a
	 * clamped scalar (2^254 <= k < 2^255, k = 0 mod 8) times the base
	 * point of prime order L never gives: 8L > 2^255.
	 */
	(void)crypto_scalarmult_base(pub, secret);
}

void x25519_keypair(uint8_t pub[X25519_KEY_BYTES], uint8_t secret[X25519_KEY_BYTES])
{
	rng_bytes(secret, X25519_KEY_BYTES);
	x25519_public(pub, secret);
}

bool x25519_shared(uint8_t out[X25519_KEY_BYTES], const uint8_t secret[X25519_KEY_BYTES],
		   const uint8_t peer_pub[X25519_KEY_BYTES])
{
	int rc;

	count_op();
	rc = crypto_scalarmult(out, secret, peer_pub);
	/*
	 * libsodium's ref10 code rejects known low-order points before it
	 * writes `out`, the others return -1 after computing zeros; test the
	 * bytes as well so the rule never depends on which path ran.
	 */
	if (rc != 0 || secret_is_zero(out, X25519_KEY_BYTES)) {
		secret_wipe(out, X25519_KEY_BYTES);
		return false;
	}
	return true;
}

unsigned long x25519_operations(void)
{
	return atomic_load_explicit(&x25519_ops, memory_order_relaxed);
}
