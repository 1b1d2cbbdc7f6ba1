/* SPDX-License-Identifier: MIT */
/*
 * The numbered datagrams of `drift blast`, `drift sink` and `drift dp-ping`:
 *
 *   seq u64 | count u64 (0 = not said) | pattern bytes derived from seq
 *
 * so the receiver can tell loss (missing seqs), duplication (a seq twice)
 * and corruption (a byte that is not what seq says) apart. The pattern is
 * a splitmix64 stream seeded with seq: cheap, and different for every seq.
 */
#ifndef DRIFT_TOOLS_DGRAM_PATTERN_H
#define DRIFT_TOOLS_DGRAM_PATTERN_H

#include "internal/bytes.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DGRAM_PATTERN_MIN_BYTES = 16,
	DGRAM_PATTERN_MAX_BYTES = 1348,
};

static inline uint64_t dgram_pattern_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Fills `len` (>= DGRAM_PATTERN_MIN_BYTES) bytes at buf for datagram `seq` of `count`. */
static inline void dgram_pattern_fill(uint8_t *buf, size_t len, uint64_t seq, uint64_t count)
{
	uint64_t state = seq;

	store_be64(buf, seq);
	store_be64(buf + 8, count);
	for (size_t i = 16; i < len; i += 8) {
		uint8_t w[8];

		store_le64(w, dgram_pattern_next(&state));
		memcpy(buf + i, w, len - i < 8 ? len - i : 8);
	}
}

/* True when buf[0..len) is an intact datagram; its seq and count go to *seq, *count. */
static inline bool dgram_pattern_check(const uint8_t *buf, size_t len, uint64_t *seq,
				       uint64_t *count)
{
	uint64_t state;

	if (len < DGRAM_PATTERN_MIN_BYTES || len > DGRAM_PATTERN_MAX_BYTES)
		return false;
	*seq = state = load_be64(buf);
	*count = load_be64(buf + 8);
	for (size_t i = 16; i < len; i += 8) {
		uint8_t w[8];

		store_le64(w, dgram_pattern_next(&state));
		if (memcmp(buf + i, w, len - i < 8 ? len - i : 8) != 0)
			return false;
	}
	return true;
}

#endif
