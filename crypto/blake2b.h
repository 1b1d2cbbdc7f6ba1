/* SPDX-License-Identifier: MIT */
/*
 * BLAKE2b (RFC 7693), unkeyed, with any digest length from 1 to 64 bytes.
 *
 * Our own implementation because DRIFT needs an 8-byte digest for peer ids
 * (the digest-length parameter set to 8, not a truncation) and libsodium
 * refuses digest lengths below 16.
 */
#ifndef DRIFT_CRYPTO_BLAKE2B_H
#define DRIFT_CRYPTO_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>

enum blake2b_size {
	BLAKE2B_BLOCK_BYTES = 128,
	BLAKE2B_MAX_DIGEST_BYTES = 64,
};

struct blake2b_state {
	uint64_t h[8];
	uint64_t t[2];
	uint8_t buf[BLAKE2B_BLOCK_BYTES];
	size_t buf_len;
	size_t digest_len;
};

/* Starts an unkeyed hash with `digest_len` in 1..64 (else clamped to 64). */
void blake2b_init(struct blake2b_state *s, size_t digest_len);
void blake2b_update(struct blake2b_state *s, const void *in, size_t len);
/* Writes digest_len bytes to `out` and wipes the state. */
void blake2b_final(struct blake2b_state *s, uint8_t *out);

/* One-shot convenience. */
void blake2b_hash(uint8_t *out, size_t digest_len, const void *in, size_t len);

#endif
