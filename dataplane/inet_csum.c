/* SPDX-License-Identifier: MIT */
/*
 * The wide loops behind inet_csum.h. Each 32-bit lane of a vector is split
 * into its two 16-bit halves, which are added into separate 32-bit
 * accumulators: a lane then takes 2^16 additions before it can overflow, so
 * a block of at most BLOCK_BYTES is summed with no carry handling at all and
 * only then widened into the 64-bit running sum. Halves of a native 32-bit
 * word are native 16-bit lanes, so the result is the same native-lane sum
 * as the scalar code's.
 *
 * The vector type is GCC's generic one. On x86-64 each loop is compiled
 * twice, for AVX2 and for the SSE2 baseline, and a flag set once before
 * main() picks one: a predictable branch, not an indirect call.
 * (target_clones would do the same, but clang 14 cannot call a clone from
 * another translation unit.) Deliberately not here: intrinsics or assembly.
 */
#include "dataplane/inet_csum.h"

#include <stdbool.h>
#include <string.h>

typedef uint32_t lanes32 __attribute__((vector_size(32)));

enum {
	STEP_BYTES = 2 * sizeof(lanes32),
	/* 1 MiB / 64 B = 2^14 steps of at most 0xffff per half: a quarter of a 32-bit lane. */
	BLOCK_BYTES = 1 << 20,
};

/* The last (< STEP_BYTES) bytes: whole words, then a half word, then an odd byte. */
static inline uint64_t add_tail(uint64_t sum, const uint8_t *p, size_t n)
{
	sum = inet_csum_add_words(sum, p, n & ~(size_t)3);
	p += n & ~(size_t)3;
	if (n & 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		sum += h;
		p += 2;
	}
	if (n & 1) {
		/* The odd last byte is the high half of a word whose low half is 0. */
		uint8_t pair[2] = {p[0], 0};
		uint16_t h;

		memcpy(&h, pair, 2);
		sum += h;
	}
	return sum;
}

/* The four accumulators into the 64-bit sum (by pointer: vector arguments change the ABI). */
static inline __attribute__((always_inline)) uint64_t widen(const lanes32 *a, const lanes32 *b,
							    const lanes32 *c, const lanes32 *d)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < sizeof(lanes32) / 4; i++)
		s += (uint64_t)(*a)[i] + (*b)[i] + (*c)[i] + (*d)[i];
	return s;
}

/*
 * Sums n bytes at src into sum, and copies them to dst unless dst is NULL.
 * Inlined into each per-ISA entry below, where the constant dst folds away.
 */
static inline __attribute__((always_inline)) uint64_t sum_copy(uint8_t *dst, const uint8_t *src,
							       size_t n, uint64_t sum)
{
	const lanes32 low = (lanes32){0} + 0xffff;

	while (n >= STEP_BYTES) {
		lanes32 a = {0}, b = {0}, c = {0}, d = {0};
		size_t blk = n < BLOCK_BYTES ? n & ~(size_t)(STEP_BYTES - 1) : BLOCK_BYTES;

		for (size_t i = 0; i < blk; i += STEP_BYTES) {
			lanes32 x, y;

			memcpy(&x, src + i, sizeof(x));
			memcpy(&y, src + i + sizeof(x), sizeof(y));
			if (dst) {
				memcpy(dst + i, &x, sizeof(x));
				memcpy(dst + i + sizeof(x), &y, sizeof(y));
			}
			a += x & low;
			b += x >> 16;
			c += y & low;
			d += y >> 16;
		}
		sum += widen(&a, &b, &c, &d);
		src += blk;
		n -= blk;
		if (dst)
			dst += blk;
	}
	if (dst)
		memcpy(dst, src, n);
	return add_tail(sum, src, n);
}

static uint64_t add_base(uint64_t sum, const uint8_t *p, size_t n)
{
	return sum_copy(NULL, p, n, sum);
}

static uint64_t copy_base(uint8_t *dst, const uint8_t *src, size_t n, uint64_t sum)
{
	return sum_copy(dst, src, n, sum);
}

#if defined(__x86_64__)
static bool has_avx2; /* written once before main() by pick_isa(), read-only after */

__attribute__((target("avx2"))) static uint64_t add_avx2(uint64_t sum, const uint8_t *p, size_t n)
{
	return sum_copy(NULL, p, n, sum);
}

__attribute__((target("avx2"))) static uint64_t copy_avx2(uint8_t *dst, const uint8_t *src,
							  size_t n, uint64_t sum)
{
	return sum_copy(dst, src, n, sum);
}

__attribute__((constructor)) static void pick_isa(void)
{
	__builtin_cpu_init(); /* required before __builtin_cpu_supports in a constructor */
	has_avx2 = __builtin_cpu_supports("avx2");
}

uint64_t inet_csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	return has_avx2 ? add_avx2(sum, p, n) : add_base(sum, p, n);
}

uint64_t inet_csum_copy(uint8_t *dst, const uint8_t *src, size_t n, uint64_t sum)
{
	return has_avx2 ? copy_avx2(dst, src, n, sum) : copy_base(dst, src, n, sum);
}
#else
uint64_t inet_csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	return add_base(sum, p, n);
}

uint64_t inet_csum_copy(uint8_t *dst, const uint8_t *src, size_t n, uint64_t sum)
{
	return copy_base(dst, src, n, sum);
}
#endif
