/* SPDX-License-Identifier: MIT */
/*
 * SipHash with 128-bit output, for DRIFT's stateless DoS cookies (WIRE.md
 * §1, §10.2). The round counts are parameters of one static core so that the
 * unit test can run the same code as SipHash-2-4-128 against libsodium's
 * crypto_shorthash_siphashx24 (libsodium has no 1-3 variant); only the 1-3
 * instance is exported. Not for hash tables: no 64-bit output form.
 */
#include "crypto/siphash.h"

#include "crypto/secret.h"
#include "internal/bytes.h"

struct siphash_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t rotl64(uint64_t x, unsigned n)
{
	return x << n | x >> (64 - n);
}

static void sipround(struct siphash_state *s, unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++) {
		s->v0 += s->v1;
		s->v1 = rotl64(s->v1, 13);
		s->v1 ^= s->v0;
		s->v0 = rotl64(s->v0, 32);
		s->v2 += s->v3;
		s->v3 = rotl64(s->v3, 16);
		s->v3 ^= s->v2;
		s->v0 += s->v3;
		s->v3 = rotl64(s->v3, 21);
		s->v3 ^= s->v0;
		s->v2 += s->v1;
		s->v1 = rotl64(s->v1, 17);
		s->v1 ^= s->v2;
		s->v2 = rotl64(s->v2, 32);
	}
}

static void absorb(struct siphash_state *s, uint64_t m, unsigned c_rounds)
{
	s->v3 ^= m;
	sipround(s, c_rounds);
	s->v0 ^= m;
}

/* SipHash-c-d with the 128-bit output tweaks (0xee at init and first finalisation, 0xdd). */
static void siphash_128(uint8_t out[SIPHASH_OUT_BYTES], const uint8_t key[SIPHASH_KEY_BYTES],
			const void *msg, size_t len, unsigned c_rounds, unsigned d_rounds)
{
	const uint8_t *p = msg;
	const uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	/* "somepseudorandomlygeneratedbytes" as four big-endian words. */
	struct siphash_state s = {
		.v0 = 0x736f6d6570736575ULL ^ k0,
		.v1 = 0x646f72616e646f6dULL ^ k1 ^ 0xee,
		.v2 = 0x6c7967656e657261ULL ^ k0,
		.v3 = 0x7465646279746573ULL ^ k1,
	};
	uint8_t last[8] = {0};
	size_t tail = len % 8;

	for (size_t i = 0; i + 8 <= len; i += 8)
		absorb(&s, load_le64(p + i), c_rounds);

	/* Final word: the tail bytes, and the message length mod 256 in the top byte. */
	for (size_t i = 0; i < tail; i++)
		last[i] = p[len - tail + i];
	last[7] = (uint8_t)len;
	absorb(&s, load_le64(last), c_rounds);

	s.v2 ^= 0xee;
	sipround(&s, d_rounds);
	store_le64(out, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
	s.v1 ^= 0xdd;
	sipround(&s, d_rounds);
	store_le64(out + 8, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);

	secret_wipe(&s, sizeof(s));
	secret_wipe(last, sizeof(last));
}

void siphash13_128(uint8_t out[SIPHASH_OUT_BYTES], const uint8_t key[SIPHASH_KEY_BYTES],
		   const void *msg, size_t len)
{
	siphash_128(out, key, msg, len, 1, 3);
}
