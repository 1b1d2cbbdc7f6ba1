/* SPDX-License-Identifier: MIT */
/*
 * Byte-order loads and stores plus a bounds-checked read cursor.
 *
 * Packet bytes are never cast to structs: the 7-byte short header and UMEM
 * offsets are unaligned, and UBSan rejects misaligned loads. Every multi-byte
 * wire field goes through these helpers, which compile to single moves.
 */
#ifndef DRIFT_INTERNAL_BYTES_H
#define DRIFT_INTERNAL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

static inline void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * A read cursor over a byte string. Every take checks the bytes that remain
 * (subtracting, never adding, so the check cannot overflow) and latches a
 * failure: callers may take several fields and test cursor_ok() once.
 */
struct cursor {
	const uint8_t *pos;
	size_t left;
	bool failed;
};

static inline void cursor_init(struct cursor *c, const uint8_t *buf, size_t len)
{
	c->pos = buf;
	c->left = len;
	c->failed = false;
}

static inline bool cursor_ok(const struct cursor *c)
{
	return !c->failed;
}

static inline const uint8_t *cursor_take(struct cursor *c, size_t n)
{
	const uint8_t *p = c->pos;

	if (c->failed || n > c->left) {
		c->failed = true;
		return NULL;
	}
	c->pos += n;
	c->left -= n;
	return p;
}

static inline uint8_t cursor_u8(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 1);

	return p ? p[0] : 0;
}

static inline uint16_t cursor_be16(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 2);

	return p ? load_be16(p) : 0;
}

static inline uint32_t cursor_be32(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 4);

	return p ? load_be32(p) : 0;
}

static inline uint64_t cursor_be64(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 8);

	return p ? load_be64(p) : 0;
}

static inline void cursor_copy(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *p = cursor_take(c, n);

	if (p)
		memcpy(dst, p, n);
}

#endif
