/* SPDX-License-Identifier: MIT */
/*
 * BLAKE2b per RFC 7693: unkeyed, digest length 1..64 written into the
 * parameter block (so H8 is a different function from a truncated H64, which
 * is what DRIFT peer ids need). Portable C, no SIMD: DRIFT hashes a few
 * hundred bytes per handshake, never bulk data. Keys, salt and
 * personalisation are not supported because no DRIFT derivation uses them.
 */
#include "crypto/blake2b.h"

#include "crypto/secret.h"
#include "internal/bytes.h"

#include <stdbool.h>
#include <string.h>

enum {
	BLAKE2B_ROUNDS = 12,
};

/* RFC 7693 §2.6: the SHA-512 initial values. */
static const uint64_t blake2b_iv[8] = {
	0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
	0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* RFC 7693 §2.7: message word schedule; rounds 10 and 11 reuse rows 0 and 1. */
static const uint8_t blake2b_sigma[10][16] = {
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static inline uint64_t rotr64(uint64_t x, unsigned n)
{
	return x >> n | x << (64 - n);
}

/* RFC 7693 §3.1, the mixing function G with rotations 32, 24, 16, 63. */
static inline void mix(uint64_t v[16], int a, int b, int c, int d, uint64_t x, uint64_t y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = rotr64(v[d] ^ v[a], 32);
	v[c] = v[c] + v[d];
	v[b] = rotr64(v[b] ^ v[c], 24);
	v[a] = v[a] + v[b] + y;
	v[d] = rotr64(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = rotr64(v[b] ^ v[c], 63);
}

/* RFC 7693 §3.2, F: compress one 128-byte block; `is_last` sets the f0 flag. */
static void compress(struct blake2b_state *s, const uint8_t block[BLAKE2B_BLOCK_BYTES],
		     bool is_last)
{
	uint64_t m[16], v[16];

	for (int i = 0; i < 16; i++)
		m[i] = load_le64(block + 8 * i);
	for (int i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = blake2b_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (is_last)
		v[14] = ~v[14];

	for (int r = 0; r < BLAKE2B_ROUNDS; r++) {
		const uint8_t *sg = blake2b_sigma[r % 10];

		mix(v, 0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		mix(v, 1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		mix(v, 2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		mix(v, 3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		mix(v, 0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		mix(v, 1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		mix(v, 2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		mix(v, 3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
	for (int i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];

	/* The message words are secrets whenever the hash input is a key. */
	secret_wipe(m, sizeof(m));
	secret_wipe(v, sizeof(v));
}

/* The byte counter t is 128 bits wide; carry into the high word. */
static void count(struct blake2b_state *s, size_t n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

void blake2b_init(struct blake2b_state *s, size_t digest_len)
{
	if (digest_len == 0 || digest_len > BLAKE2B_MAX_DIGEST_BYTES)
		digest_len = BLAKE2B_MAX_DIGEST_BYTES;

	memset(s, 0, sizeof(*s));
	memcpy(s->h, blake2b_iv, sizeof(s->h));
	/* Parameter block word 0: digest length, key length 0, fanout 1, depth 1. */
	s->h[0] ^= 0x01010000ULL ^ (uint64_t)digest_len;
	s->digest_len = digest_len;
}

void blake2b_update(struct blake2b_state *s, const void *in, size_t len)
{
	const uint8_t *p = in;

	while (len > 0) {
		size_t n;

		/*
		 * A full buffer is compressed only once more input arrives:
		 * the final block must be compressed with the last-block flag,
		 * and until now we could not know this one was not it.
		 */
		if (s->buf_len == BLAKE2B_BLOCK_BYTES) {
			count(s, BLAKE2B_BLOCK_BYTES);
			compress(s, s->buf, false);
			s->buf_len = 0;
		}
		/* Whole blocks straight from the input, keeping one back. */
		while (s->buf_len == 0 && len > BLAKE2B_BLOCK_BYTES) {
			count(s, BLAKE2B_BLOCK_BYTES);
			compress(s, p, false);
			p += BLAKE2B_BLOCK_BYTES;
			len -= BLAKE2B_BLOCK_BYTES;
		}
		n = BLAKE2B_BLOCK_BYTES - s->buf_len;
		if (n > len)
			n = len;
		memcpy(s->buf + s->buf_len, p, n);
		s->buf_len += n;
		p += n;
		len -= n;
	}
}

void blake2b_final(struct blake2b_state *s, uint8_t *out)
{
	uint8_t digest[BLAKE2B_MAX_DIGEST_BYTES];

	count(s, s->buf_len);
	memset(s->buf + s->buf_len, 0, BLAKE2B_BLOCK_BYTES - s->buf_len);
	compress(s, s->buf, true);

	for (int i = 0; i < 8; i++)
		store_le64(digest + 8 * i, s->h[i]);
	memcpy(out, digest, s->digest_len);

	secret_wipe(digest, sizeof(digest));
	secret_wipe(s, sizeof(*s));
}

void blake2b_hash(uint8_t *out, size_t digest_len, const void *in, size_t len)
{
	struct blake2b_state s;

	blake2b_init(&s, digest_len);
	blake2b_update(&s, in, len);
	blake2b_final(&s, out);
}
