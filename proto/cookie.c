/* SPDX-License-Identifier: MIT */
/*
 * Cookie MAC and validation. The responder keeps no per-client state: the
 * MAC binds the source address and the HELLO's keys and nonce to a
 * timestamp, so only a client that received our CHALLENGE at that address
 * can echo a valid cookie, and the responder pays one SipHash, not an
 * X25519, to find out.
 */
#include "proto/cookie.h"

#include "crypto/secret.h"
#include "crypto/siphash.h"
#include "internal/bytes.h"

#include <string.h>

static const char cookie_label[] = "drift-dos-cookie-v1";

void cookie_mac(uint8_t mac[WIRE_COOKIE_MAC_BYTES], const uint8_t secret[32],
		const struct cookie_input *in, uint64_t timestamp_s)
{
	/* label(19) + addr(<=19) + pubs(64) + nonce(16) + ts(8) */
	uint8_t msg[19 + 19 + 64 + 16 + 8];
	size_t n = sizeof(cookie_label) - 1;

	memcpy(msg, cookie_label, n);
	n += addr_cookie_bytes(msg + n, in->from);
	memcpy(msg + n, in->static_pub, 32);
	n += 32;
	memcpy(msg + n, in->ephemeral_pub, 32);
	n += 32;
	memcpy(msg + n, in->client_nonce, 16);
	n += 16;
	store_be64(msg + n, timestamp_s);
	n += 8;
	siphash13_128(mac, secret, msg, n);
}

void cookie_make(uint8_t cookie[WIRE_COOKIE_BYTES], const struct cookie_secrets *s,
		 const struct cookie_input *in, uint64_t now_unix_s)
{
	store_be64(cookie, now_unix_s);
	cookie_mac(cookie + 8, s->current, in, now_unix_s);
}

enum cookie_verdict cookie_check(const struct cookie_secrets *s, const struct cookie_input *in,
				 const uint8_t *cookie, uint64_t now_unix_s, uint32_t max_age_s)
{
	uint8_t mac[WIRE_COOKIE_MAC_BYTES];
	uint64_t ts;
	bool ok;

	if (!cookie)
		return COOKIE_MISSING;
	ts = load_be64(cookie);
	/* The reference saturates now - ts, letting future stamps pass (Q9); we refuse them. */
	if (ts > now_unix_s)
		return COOKIE_FUTURE;
	if (now_unix_s - ts > max_age_s)
		return COOKIE_EXPIRED;
	cookie_mac(mac, s->current, in, ts);
	ok = secret_equal(mac, cookie + 8, sizeof(mac));
	if (!ok && s->has_previous) {
		cookie_mac(mac, s->previous, in, ts);
		ok = secret_equal(mac, cookie + 8, sizeof(mac));
	}
	secret_wipe(mac, sizeof(mac));
	return ok ? COOKIE_VALID : COOKIE_BAD_MAC;
}

void cookie_rotate(struct cookie_secrets *s, const uint8_t fresh[32], uint64_t now_ms)
{
	memcpy(s->previous, s->current, sizeof(s->previous));
	memcpy(s->current, fresh, sizeof(s->current));
	s->has_previous = true;
	s->rotated_ms = now_ms;
}
