/* SPDX-License-Identifier: MIT */
/*
 * Codecs for the 36-byte long header and the 7-byte short header, the
 * canonical AAD and the AEAD nonce (WIRE.md §4-§7).
 *
 * Decoding is total: every byte string either decodes into a host-order
 * struct or yields one specific error, reading nothing out of bounds and
 * writing nothing on failure. The codecs know lengths and layouts only; the
 * engine applies the semantic rules (dst checks, replay, keys).
 */
#ifndef DRIFT_PROTO_HEADER_H
#define DRIFT_PROTO_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct long_header {
	uint8_t flags; /* low nibble of byte 0 */
	uint8_t type;  /* enum wire_type */
	uint16_t deadline_ms;
	uint32_t seq;
	uint32_t supersedes;
	uint8_t src_id[WIRE_PEER_ID_BYTES];
	uint8_t dst_id[WIRE_PEER_ID_BYTES];
	uint8_t hop_ttl;
	uint8_t reserved; /* sent as 0; kept so a decoder loses nothing */
	uint16_t payload_len;
	uint32_t send_time_ms;
};

struct short_header {
	uint8_t flags; /* low nibble of byte 0; sent as 0, ignored */
	uint16_t cid;
	uint32_t seq;
};

enum header_error {
	HEADER_OK = 0,
	HEADER_ERR_TOO_SHORT,	    /* fewer bytes than the header (+ tag) needs */
	HEADER_ERR_TOO_LONG,	    /* more than WIRE_MAX_PACKET_BYTES */
	HEADER_ERR_BAD_VERSION,	    /* version nibble is neither 1 nor 2 */
	HEADER_ERR_UNKNOWN_TYPE,    /* long header with a type not in enum wire_type */
	HEADER_ERR_LENGTH_MISMATCH, /* body length impossible for the packet type */
};

enum header_form {
	HEADER_FORM_LONG,
	HEADER_FORM_SHORT,
};

/* Name of an error for logs and tests ("too short", ...). */
const char *header_error_name(enum header_error e);

/* Name of a packet type ("HELLO", ...), or "UNKNOWN". */
const char *header_type_name(uint8_t type);

/* WIRE.md §4 step 1: byte0 >> 4 == 2 means short header, else long. len >= 1. */
static inline enum header_form header_classify(uint8_t byte0)
{
	return (byte0 >> 4) == WIRE_SHORT_VERSION ? HEADER_FORM_SHORT : HEADER_FORM_LONG;
}

/*
 * Decodes a whole long-header datagram buf[0..len): checks length, version,
 * type, and the body length the type allows (WIRE.md §5.3). On success fills
 * `h` and `*body_len` (bytes after the 36-byte header). On failure changes
 * nothing.
 */
enum header_error header_long_decode(struct long_header *h, size_t *body_len, const uint8_t *buf,
				     size_t len);

/* Writes the 36 header bytes; returns out + 36. */
uint8_t *header_long_encode(uint8_t *out, const struct long_header *h);

/*
 * Decodes a whole short-header datagram: at least 23 bytes (7 + tag), at
 * most 1400, version nibble 2.
 */
enum header_error header_short_decode(struct short_header *h, const uint8_t *buf, size_t len);

/* Writes the 7 header bytes; returns out + 7. */
uint8_t *header_short_encode(uint8_t *out, const struct short_header *h);

/*
 * The canonical AAD of a long header (WIRE.md §5.4): the 36 bytes as
 * received with byte 28 (hop_ttl) zeroed.
 */
void header_long_aad(uint8_t aad[WIRE_LONG_HDR_BYTES], const uint8_t raw[WIRE_LONG_HDR_BYTES]);

/*
 * The 12-byte AEAD nonce (WIRE.md §7.2): dir, 0,0,0, type, 0,0,0, seq BE.
 */
static inline void header_nonce(uint8_t nonce[WIRE_AEAD_NONCE_BYTES], uint8_t dir, uint8_t type,
				uint32_t seq)
{
	nonce[0] = dir;
	nonce[1] = nonce[2] = nonce[3] = 0;
	nonce[4] = type;
	nonce[5] = nonce[6] = nonce[7] = 0;
	nonce[8] = (uint8_t)(seq >> 24);
	nonce[9] = (uint8_t)(seq >> 16);
	nonce[10] = (uint8_t)(seq >> 8);
	nonce[11] = (uint8_t)seq;
}

#endif
