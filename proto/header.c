/* SPDX-License-Identifier: MIT */
/*
 * Long (36-byte) and short (7-byte) header codecs and the canonical AAD
 * (WIRE.md §4-§7). Pure byte work: no keys, no state, no allocation. The
 * per-type body rules below are the lengths the reference receiver accepts;
 * bodies the receiver would reject after decryption (a sealed control
 * packet whose plaintext has the wrong size) are refused here already, so
 * the engine never spends an AEAD operation on them.
 */
#include "proto/header.h"

#include "internal/bytes.h"

#include <string.h>

/*
 * Body length rules per packet type: at least `min_body`; at most
 * `max_body` when `is_exact` (a sealed control packet has a fixed
 * plaintext, so body = plaintext + tag). HELLO, HELLO_ACK, CHALLENGE and the
 * RESUME pair ignore trailing bytes (WIRE.md §9.2, §9.3, §16.4).
 */
struct body_rule {
	const char *name;
	uint16_t min_body;
	bool is_exact;
};

static const struct body_rule body_rules[WIRE_TYPE_COUNT] = {
	[WIRE_TYPE_HELLO] = {"HELLO", WIRE_HELLO_BODY_BYTES, false},
	[WIRE_TYPE_HELLO_ACK] = {"HELLO_ACK", WIRE_HELLO_ACK_BODY_BYTES, false},
	[WIRE_TYPE_DATA] = {"DATA", WIRE_TAG_BYTES, false},
	[WIRE_TYPE_BEACON] = {"BEACON", WIRE_TAG_BYTES + 2, false},
	[WIRE_TYPE_CHALLENGE] = {"CHALLENGE", WIRE_COOKIE_BYTES, false},
	[WIRE_TYPE_PATH_CHALLENGE] = {"PATH_CHALLENGE", WIRE_PATH_CHALLENGE_BYTES + WIRE_TAG_BYTES,
				      true},
	[WIRE_TYPE_PATH_RESPONSE] = {"PATH_RESPONSE", WIRE_PATH_CHALLENGE_BYTES + WIRE_TAG_BYTES,
				     true},
	[WIRE_TYPE_CLOSE] = {"CLOSE", WIRE_TAG_BYTES, true},
	[WIRE_TYPE_REKEY_REQUEST] = {"REKEY_REQUEST", WIRE_REKEY_SALT_BYTES + WIRE_TAG_BYTES, true},
	[WIRE_TYPE_REKEY_ACK] = {"REKEY_ACK", WIRE_TAG_BYTES, true},
	[WIRE_TYPE_RESUME_HELLO] = {"RESUME_HELLO", WIRE_RESUME_HELLO_BODY_BYTES, false},
	[WIRE_TYPE_RESUME_ACK] = {"RESUME_ACK", WIRE_RESUME_ACK_BODY_BYTES, false},
	[WIRE_TYPE_RESUMPTION_TICKET] = {"RESUMPTION_TICKET",
					 WIRE_TICKET_PLAINTEXT_BYTES + WIRE_TAG_BYTES, true},
	[WIRE_TYPE_PING] = {"PING", WIRE_PING_NONCE_BYTES + WIRE_TAG_BYTES, true},
	[WIRE_TYPE_PONG] = {"PONG", WIRE_PING_NONCE_BYTES + WIRE_TAG_BYTES, true},
};

const char *header_error_name(enum header_error e)
{
	switch (e) {
	case HEADER_OK:
		return "ok";
	case HEADER_ERR_TOO_SHORT:
		return "too short";
	case HEADER_ERR_TOO_LONG:
		return "too long";
	case HEADER_ERR_BAD_VERSION:
		return "bad version";
	case HEADER_ERR_UNKNOWN_TYPE:
		return "unknown type";
	case HEADER_ERR_LENGTH_MISMATCH:
		return "length mismatch";
	}
	return "invalid error code";
}

const char *header_type_name(uint8_t type)
{
	if (type < WIRE_TYPE_COUNT && body_rules[type].name)
		return body_rules[type].name;
	return "UNKNOWN";
}

enum header_error header_long_decode(struct long_header *h, size_t *body_len, const uint8_t *buf,
				     size_t len)
{
	const struct body_rule *rule;
	struct long_header out;
	struct cursor c;
	uint8_t byte0;
	size_t body;

	if (len < WIRE_LONG_HDR_BYTES)
		return HEADER_ERR_TOO_SHORT;
	if (len > WIRE_MAX_PACKET_BYTES)
		return HEADER_ERR_TOO_LONG;
	byte0 = buf[0];
	if (byte0 >> 4 != WIRE_LONG_VERSION)
		return HEADER_ERR_BAD_VERSION;
	if (buf[1] >= WIRE_TYPE_COUNT || !body_rules[buf[1]].name)
		return HEADER_ERR_UNKNOWN_TYPE;

	rule = &body_rules[buf[1]];
	body = len - WIRE_LONG_HDR_BYTES;
	if (body < rule->min_body || (rule->is_exact && body != rule->min_body))
		return HEADER_ERR_LENGTH_MISMATCH;

	cursor_init(&c, buf, WIRE_LONG_HDR_BYTES);
	out.flags = cursor_u8(&c) & WIRE_FLAG_MASK;
	out.type = cursor_u8(&c);
	out.deadline_ms = cursor_be16(&c);
	out.seq = cursor_be32(&c);
	out.supersedes = cursor_be32(&c);
	cursor_copy(&c, out.src_id, WIRE_PEER_ID_BYTES);
	cursor_copy(&c, out.dst_id, WIRE_PEER_ID_BYTES);
	out.hop_ttl = cursor_u8(&c);
	out.reserved = cursor_u8(&c);
	out.payload_len = cursor_be16(&c);
	out.send_time_ms = cursor_be32(&c);
	if (!cursor_ok(&c))
		return HEADER_ERR_TOO_SHORT; /* unreachable: length checked above */

	*h = out;
	*body_len = body;
	return HEADER_OK;
}

uint8_t *header_long_encode(uint8_t *out, const struct long_header *h)
{
	out[0] = (uint8_t)(WIRE_LONG_VERSION << 4 | (h->flags & WIRE_FLAG_MASK));
	out[1] = h->type;
	store_be16(out + 2, h->deadline_ms);
	store_be32(out + 4, h->seq);
	store_be32(out + 8, h->supersedes);
	memcpy(out + 12, h->src_id, WIRE_PEER_ID_BYTES);
	memcpy(out + 20, h->dst_id, WIRE_PEER_ID_BYTES);
	out[WIRE_OFF_HOP_TTL] = h->hop_ttl;
	out[29] = h->reserved;
	store_be16(out + 30, h->payload_len);
	store_be32(out + 32, h->send_time_ms);
	return out + WIRE_LONG_HDR_BYTES;
}

enum header_error header_short_decode(struct short_header *h, const uint8_t *buf, size_t len)
{
	if (len < WIRE_SHORT_MIN_BYTES)
		return HEADER_ERR_TOO_SHORT;
	if (len > WIRE_MAX_PACKET_BYTES)
		return HEADER_ERR_TOO_LONG;
	if (buf[0] >> 4 != WIRE_SHORT_VERSION)
		return HEADER_ERR_BAD_VERSION;
	h->flags = buf[0] & WIRE_FLAG_MASK;
	h->cid = load_be16(buf + 1);
	h->seq = load_be32(buf + 3);
	return HEADER_OK;
}

uint8_t *header_short_encode(uint8_t *out, const struct short_header *h)
{
	/* Flags are always sent as 0 (WIRE.md §6.1); the field exists for decoding. */
	out[0] = WIRE_SHORT_VERSION << 4;
	store_be16(out + 1, h->cid);
	store_be32(out + 3, h->seq);
	return out + WIRE_SHORT_HDR_BYTES;
}

void header_long_aad(uint8_t aad[WIRE_LONG_HDR_BYTES], const uint8_t raw[WIRE_LONG_HDR_BYTES])
{
	/* hop_ttl is excluded so relays can decrement it without breaking the tag. */
	memcpy(aad, raw, WIRE_LONG_HDR_BYTES);
	aad[WIRE_OFF_HOP_TTL] = 0;
}
