/* SPDX-License-Identifier: MIT */
/*
 * The wire format of `drift xfer`, a reliable bulk transfer carried in
 * DRIFT datagrams. Four messages, all fields big-endian:
 *
 *   DATA     type=1 | flags | xfer_id u32 | index u64 | payload (1..1300)
 *   ACK      type=2 | 0     | xfer_id u32 | next u64 | sack u64
 *   FIN      type=3 | 0     | xfer_id u32 | chunks u64 | bytes u64 | sha256[32]
 *   FIN_ACK  type=4 | 0     | xfer_id u32 | status u8 | duplicates u64
 *
 * `next` is the count of chunks the receiver holds in order (the first one
 * it misses); SACK bit i says it also holds chunk next + 1 + i. FIN closes
 * the stream with its size and hash; FIN_ACK gives the verdict and the
 * receiver's duplicate count for the sender's summary.
 *
 * This module only encodes and decodes; windows, timers and files are
 * xfer_send.c's and xfer_recv.c's.
 */
#ifndef DRIFT_TOOLS_XFER_CODEC_H
#define DRIFT_TOOLS_XFER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xfer_codec_const {
	XFER_CHUNK_BYTES = 1300,
	XFER_HDR_BYTES = 6, /* type, flags, xfer_id */
	XFER_DATA_HDR_BYTES = XFER_HDR_BYTES + 8,
	XFER_ACK_BYTES = XFER_HDR_BYTES + 16,
	XFER_FIN_BYTES = XFER_HDR_BYTES + 16 + 32,
	XFER_FIN_ACK_BYTES = XFER_HDR_BYTES + 1 + 8,
	XFER_MAX_MSG_BYTES = XFER_DATA_HDR_BYTES + XFER_CHUNK_BYTES,
	XFER_SACK_BITS = 64,
	/* Indices stay far below 2^64 so index + window arithmetic cannot wrap (1.4 EB). */
	XFER_MAX_CHUNKS_LOG2 = 50,
};

_Static_assert(XFER_MAX_MSG_BYTES <= 1348, "a DATA message must fit one DRIFT datagram");

enum xfer_type {
	XFER_DATA = 1,
	XFER_ACK = 2,
	XFER_FIN = 3,
	XFER_FIN_ACK = 4,
};

enum xfer_flags {
	XFER_FLAG_RETRANSMIT = 1 << 0, /* DATA: this chunk was sent before */
};

enum xfer_status {
	XFER_STATUS_OK = 0,	  /* size and SHA-256 matched */
	XFER_STATUS_MISMATCH = 1, /* they did not */
};

/* A decoded message, host order. data.payload points into the decoded buffer. */
struct xfer_msg {
	uint8_t type; /* enum xfer_type */
	uint8_t flags;
	uint32_t xfer_id;
	union {
		struct {
			uint64_t index;
			const uint8_t *payload;
			uint16_t len;
		} data;
		struct {
			uint64_t next;
			uint64_t sack;
		} ack;
		struct {
			uint64_t chunks;
			uint64_t bytes;
			uint8_t sha256[32];
		} fin;
		struct {
			uint8_t status; /* enum xfer_status */
			uint64_t duplicates;
		} fin_ack;
	};
};

/* Chunks a stream of `bytes` bytes is cut into. */
static inline uint64_t xfer_codec_chunks(uint64_t bytes)
{
	return bytes / XFER_CHUNK_BYTES + (bytes % XFER_CHUNK_BYTES != 0);
}

/*
 * Writes `m` at `out` (XFER_MAX_MSG_BYTES of room is always enough) and
 * returns the advanced write position. `m` must be valid (as decode would
 * accept it); DATA copies data.len bytes from data.payload.
 */
uint8_t *xfer_codec_encode(uint8_t *out, const struct xfer_msg *m);

/*
 * Decodes `len` bytes at `buf`. Returns true with *out filled, or false with
 * *out untouched when the message is malformed: unknown type, wrong length
 * for its type, flags it may not carry, an empty or oversized DATA payload,
 * an index at or past 2^50, an unknown FIN_ACK status, or a FIN whose chunk
 * count does not match its byte count.
 */
bool xfer_codec_decode(struct xfer_msg *out, const uint8_t *buf, size_t len);

#endif
