/* SPDX-License-Identifier: MIT */
/*
 * X25519 (RFC 7748) for static identities and per-handshake ephemerals.
 * Secrets are stored unclamped; clamping happens inside the multiplication.
 */
#ifndef DRIFT_CRYPTO_X25519_H
#define DRIFT_CRYPTO_X25519_H

#include <stdbool.h>
#include <stdint.h>

enum x25519_size {
	X25519_KEY_BYTES = 32,
};

/* pub = X25519(secret, 9). */
void x25519_public(uint8_t pub[X25519_KEY_BYTES], const uint8_t secret[X25519_KEY_BYTES]);

/* Fresh random secret and its public key (ephemeral or new identity). */
void x25519_keypair(uint8_t pub[X25519_KEY_BYTES], uint8_t secret[X25519_KEY_BYTES]);

/*
 * out = X25519(secret, peer_pub). Returns false, with `out` zeroed, when the
 * result is all zero (a low-order peer point): DRIFT treats that as an
 * authentication failure wherever DH is used.
 */
bool x25519_shared(uint8_t out[X25519_KEY_BYTES], const uint8_t secret[X25519_KEY_BYTES],
		   const uint8_t peer_pub[X25519_KEY_BYTES]);

/* Number of X25519 multiplications this process has performed (DoS tests). */
unsigned long x25519_operations(void);

#endif
