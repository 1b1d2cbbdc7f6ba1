/* SPDX-License-Identifier: MIT */
/*
 * Every wire size, packet type, flag bit and protocol limit of DRIFT
 * (../shared/spec/WIRE.md §2, §5, §6). Sizes derived from others carry a
 * _Static_assert so a typo cannot survive the build.
 */
#ifndef DRIFT_PROTO_WIRE_H
#define DRIFT_PROTO_WIRE_H

#include <stdint.h>

enum wire_version {
	WIRE_LONG_VERSION = 1,	/* high nibble of byte 0, long header */
	WIRE_SHORT_VERSION = 2, /* high nibble of byte 0, short header */
};

enum wire_size {
	WIRE_LONG_HDR_BYTES = 36,
	WIRE_SHORT_HDR_BYTES = 7,
	WIRE_TAG_BYTES = 16,
	WIRE_KEY_BYTES = 32,
	WIRE_PEER_ID_BYTES = 8,
	WIRE_HS_NONCE_BYTES = 16,
	WIRE_AEAD_NONCE_BYTES = 12,
	WIRE_MAX_PACKET_BYTES = 1400,
	WIRE_MAX_PAYLOAD_BYTES = 1348,
	WIRE_COOKIE_BYTES = 24,
	WIRE_COOKIE_MAC_BYTES = 16,
	WIRE_TICKET_ID_BYTES = 16,
	WIRE_TICKET_PLAINTEXT_BYTES = 24,
	WIRE_TICKET_BLOB_BYTES = 97,
	WIRE_PATH_CHALLENGE_BYTES = 16,
	WIRE_PING_NONCE_BYTES = 8,
	WIRE_REKEY_SALT_BYTES = 32,
	WIRE_HELLO_BODY_BYTES = 80,
	WIRE_HELLO_COOKIE_BODY_BYTES = 104,
	WIRE_HELLO_ACK_BODY_BYTES = 64,
	WIRE_RESUME_HELLO_BODY_BYTES = 64,
	WIRE_RESUME_ACK_BODY_BYTES = 64,
	WIRE_ACK_AAD_BYTES = 84, /* canon header || ephemeral pub || server nonce */
	WIRE_BEACON_ENTRY_BYTES = 14,
	WIRE_SHORT_MIN_BYTES = 23,
	WIRE_KEYFILE_BYTES = 36,
};

_Static_assert(WIRE_MAX_PAYLOAD_BYTES ==
		       WIRE_MAX_PACKET_BYTES - WIRE_LONG_HDR_BYTES - WIRE_TAG_BYTES,
	       "MAX_PAYLOAD = 1400 - 36 - 16");
_Static_assert(WIRE_SHORT_MIN_BYTES == WIRE_SHORT_HDR_BYTES + WIRE_TAG_BYTES, "short min = 7 + 16");
_Static_assert(WIRE_HELLO_COOKIE_BODY_BYTES == WIRE_HELLO_BODY_BYTES + WIRE_COOKIE_BYTES,
	       "HELLO with cookie = 80 + 24");
_Static_assert(WIRE_HELLO_ACK_BODY_BYTES == WIRE_KEY_BYTES + WIRE_HS_NONCE_BYTES + WIRE_TAG_BYTES,
	       "HELLO_ACK body = E_s + server nonce + tag");
_Static_assert(WIRE_ACK_AAD_BYTES == WIRE_LONG_HDR_BYTES + WIRE_KEY_BYTES + WIRE_HS_NONCE_BYTES,
	       "ACK AAD = 36 + 32 + 16");
_Static_assert(WIRE_TICKET_PLAINTEXT_BYTES == WIRE_TICKET_ID_BYTES + 8, "ticket = id + u64 expiry");
_Static_assert(WIRE_TICKET_BLOB_BYTES == 1 + WIRE_TICKET_ID_BYTES + WIRE_KEY_BYTES + 8 +
						 WIRE_PEER_ID_BYTES + WIRE_KEY_BYTES,
	       "ticket blob = version + id + psk + expiry + server id + server pub");
_Static_assert(WIRE_KEYFILE_BYTES == 4 + WIRE_KEY_BYTES, "key file = DRFT + secret");

/* Packet types (WIRE.md §5.3). 0, 4, 5, 7 and 19..255 are unknown. */
enum wire_type {
	WIRE_TYPE_HELLO = 1,
	WIRE_TYPE_HELLO_ACK = 2,
	WIRE_TYPE_DATA = 3,
	WIRE_TYPE_BEACON = 6,
	WIRE_TYPE_CHALLENGE = 8,
	WIRE_TYPE_PATH_CHALLENGE = 9,
	WIRE_TYPE_PATH_RESPONSE = 10,
	WIRE_TYPE_CLOSE = 11,
	WIRE_TYPE_REKEY_REQUEST = 12,
	WIRE_TYPE_REKEY_ACK = 13,
	WIRE_TYPE_RESUME_HELLO = 14,
	WIRE_TYPE_RESUME_ACK = 15,
	WIRE_TYPE_RESUMPTION_TICKET = 16,
	WIRE_TYPE_PING = 17,
	WIRE_TYPE_PONG = 18,
	WIRE_TYPE_COUNT = 19, /* one past the largest type number */
};

/* Flag bits, low nibble of byte 0 of a long header (WIRE.md §5.2). */
enum wire_flag {
	WIRE_FLAG_ROUTED = 0x1,
	WIRE_FLAG_COALESCE = 0x2,
	WIRE_FLAG_MASK = 0xf,
};

/* Byte offsets inside the long header that callers patch in place. */
enum wire_offset {
	WIRE_OFF_HOP_TTL = 28,
};

enum wire_limit {
	WIRE_DEFAULT_MESH_TTL = 8,
	WIRE_MAX_INCOMING_HOP_TTL = 16,
};

/* Sequence-number limits (WIRE.md §13, §14). */
#define WIRE_SEQ_SEND_CEILING	  UINT32_C(0x80000000)
#define WIRE_AUTO_REKEY_THRESHOLD UINT32_C(0x60000000)

/* AEAD direction byte (WIRE.md §7.1). */
enum wire_direction {
	WIRE_DIR_INITIATOR = 0, /* HELLO sender, rekey requester, resumption client */
	WIRE_DIR_RESPONDER = 1,
};

#endif
