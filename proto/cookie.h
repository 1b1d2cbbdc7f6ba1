/* SPDX-License-Identifier: MIT */
/*
 * Stateless DoS cookies (WIRE.md §10): the MAC a responder puts in a
 * CHALLENGE and later checks in the echoed HELLO, and the rotating secret.
 * Pure functions; the engine decides when cookie mode is on.
 */
#ifndef DRIFT_PROTO_COOKIE_H
#define DRIFT_PROTO_COOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/wire.h"

struct cookie_secrets {
	uint8_t current[32]; /* only the first 16 bytes key the MAC (WIRE.md §10.2) */
	uint8_t previous[32];
	bool has_previous;
	uint64_t rotated_ms;
};

/* The HELLO fields the MAC covers. */
struct cookie_input {
	const struct net_addr *from;
	const uint8_t *static_pub;    /* 32 */
	const uint8_t *ephemeral_pub; /* 32 */
	const uint8_t *client_nonce;  /* 16 */
};

/* Graded outcome of checking a HELLO's cookie (STYLE.md §5). */
enum cookie_verdict {
	COOKIE_VALID,
	COOKIE_MISSING, /* body shorter than 104 bytes */
	COOKIE_EXPIRED, /* older than the max age */
	COOKIE_FUTURE,	/* timestamp ahead of our clock (WIRE.md §24 Q9) */
	COOKIE_BAD_MAC, /* matches neither the current nor the previous secret */
};

/* mac = SipHash-1-3-128(secret[0..16], "drift-dos-cookie-v1" || addr || fields || ts BE). */
void cookie_mac(uint8_t mac[WIRE_COOKIE_MAC_BYTES], const uint8_t secret[32],
		const struct cookie_input *in, uint64_t timestamp_s);

/* Writes the 24-byte cookie (timestamp BE || mac) for `now_unix_s`. */
void cookie_make(uint8_t cookie[WIRE_COOKIE_BYTES], const struct cookie_secrets *s,
		 const struct cookie_input *in, uint64_t now_unix_s);

/* Checks an echoed 24-byte cookie (NULL when the HELLO had none). */
enum cookie_verdict cookie_check(const struct cookie_secrets *s, const struct cookie_input *in,
				 const uint8_t *cookie, uint64_t now_unix_s, uint32_t max_age_s);

/* Moves current to previous and installs `fresh` (32 random bytes). */
void cookie_rotate(struct cookie_secrets *s, const uint8_t fresh[32], uint64_t now_ms);

#endif
