/* SPDX-License-Identifier: MIT */
/*
 * XEdDSA (Signal's specification) over X25519 identity keys: a node signs
 * with the same secret that is its DRIFT address, and anyone holding the
 * X25519 public key verifies. A signature is a standard Ed25519 signature
 * under the Edwards form of the public key with sign bit 0, which is how the
 * tests check it. Used later for presence tickets and rotation announces.
 */
#ifndef DRIFT_CRYPTO_XEDDSA_H
#define DRIFT_CRYPTO_XEDDSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xeddsa_size {
	XEDDSA_SIG_BYTES = 64,
	XEDDSA_RANDOM_BYTES = 64,
};

/*
 * Signs `msg` with the X25519 secret, using the 64 caller-supplied random
 * bytes Z (tests pass fixed ones; xeddsa_sign() draws them).
 */
void xeddsa_sign_with_random(uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_secret[32],
			     const uint8_t *msg, size_t len,
			     const uint8_t random[XEDDSA_RANDOM_BYTES]);

void xeddsa_sign(uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_secret[32], const uint8_t *msg,
		 size_t len);

/* True if `sig` is a valid XEdDSA signature of `msg` by `x25519_pub`. */
bool xeddsa_verify(const uint8_t sig[XEDDSA_SIG_BYTES], const uint8_t x25519_pub[32],
		   const uint8_t *msg, size_t len);

/*
 * The Ed25519 public key (sign bit 0) that corresponds to a Montgomery u
 * coordinate: y = (u - 1) / (u + 1) mod p. False for u = -1 (no image) or
 * u >= p.
 */
bool xeddsa_edwards_public(uint8_t ed_pub[32], const uint8_t x25519_pub[32]);

#endif
