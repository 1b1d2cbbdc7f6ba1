/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071) for the fast path: a wide sum over a
 * buffer, the same sum fused with a copy (one pass over the bytes when a
 * packet is cut into segments), and the small inline pieces around them
 * (pseudo-header words, fold, store).
 *
 * Sums are kept in "native lanes": the bytes are added as host-order words,
 * and since 2^16 = 1 (mod 2^16 - 1) any word width reduces to the sum of its
 * 16-bit lanes, whose byte order is host order rather than network order.
 * A folded native-lane sum is therefore stored into a packet with a plain
 * memcpy (inet_csum_put) and never byte-swapped. Values that are known as
 * host integers (a length, a protocol number) enter through
 * inet_csum_add_be16(), which puts them into the same lane order.
 *
 * Every chunk added to one running sum must start at an even offset of the
 * summed stream; only the last chunk may have an odd length. The running
 * sum is a plain 64-bit integer: with each call adding at most 2^16 per two
 * bytes, it cannot overflow for any packet-sized input (2^47 bytes).
 *
 * Deliberately not here: CRC32c (SCTP) and any incremental-update helper
 * beyond adding words; callers zero a field and re-add.
 */
#ifndef DRIFT_DATAPLANE_INET_CSUM_H
#define DRIFT_DATAPLANE_INET_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Adds n bytes at p to sum. Any alignment, any n. Uses AVX2 where the CPU has
 * it (chosen once at load time), SSE2 otherwise. Pure; any thread.
 */
uint64_t inet_csum_add(uint64_t sum, const uint8_t *p, size_t n);

/*
 * Copies n bytes from src to dst (which must not overlap) and returns sum
 * plus their checksum: one read of src instead of a memcpy and a second pass.
 */
uint64_t inet_csum_copy(uint8_t *dst, const uint8_t *src, size_t n, uint64_t sum);

/* Adds a header made of n / 4 whole 32-bit words (IP, TCP, UDP): inline, no call. */
static inline uint64_t inet_csum_add_words(uint64_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		sum += w;
	}
	return sum;
}

/* Adds the 16-bit value v as the packet would carry it (big-endian). */
static inline uint64_t inet_csum_add_be16(uint64_t sum, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return sum + __builtin_bswap16(v);
#else
	return sum + v;
#endif
}

/* Folds a running sum to 16 bits (still native lanes); 0 only if the sum is 0. */
static inline uint16_t inet_csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32); /* <= 0x1fffffffe */
	s = (s & 0xffffffffu) + (s >> 32); /* <= 0xffffffff */
	s = (s & 0xffffu) + (s >> 16);	   /* <= 0x1fffe */
	s = (s & 0xffffu) + (s >> 16);	   /* <= 0xffff */
	return (uint16_t)s;
}

/* The checksum field value for a sum taken with the field zeroed. */
static inline uint16_t inet_csum_finish(uint64_t sum)
{
	return (uint16_t)~inet_csum_fold(sum);
}

/* Stores a native-lane 16-bit value into a packet field (2 bytes, any alignment). */
static inline void inet_csum_put(uint8_t *field, uint16_t lanes)
{
	memcpy(field, &lanes, 2);
}

/* A sum over bytes that include their own checksum field is all ones when it verifies. */
static inline bool inet_csum_is_valid(uint64_t sum)
{
	return inet_csum_fold(sum) == 0xffff;
}

#endif
