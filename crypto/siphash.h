/* SPDX-License-Identifier: MIT */
/*
 * SipHash-1-3 with 128-bit output, as DRIFT's DoS cookies use it (WIRE.md
 * §1, §10.2): one compression round, three finalisation rounds, the standard
 * 128-bit tweaks. Output is the first then the second 64-bit word, each
 * little-endian. libsodium only ships the 2-4 variants, hence this module.
 */
#ifndef DRIFT_CRYPTO_SIPHASH_H
#define DRIFT_CRYPTO_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

enum siphash_size {
	SIPHASH_KEY_BYTES = 16,
	SIPHASH_OUT_BYTES = 16,
};

/* out = SipHash-1-3-128(k0 = LE64(key[0..8]), k1 = LE64(key[8..16]), msg). */
void siphash13_128(uint8_t out[SIPHASH_OUT_BYTES], const uint8_t key[SIPHASH_KEY_BYTES],
		   const void *msg, size_t len);

#endif
