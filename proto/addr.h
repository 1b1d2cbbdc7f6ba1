/* SPDX-License-Identifier: MIT */
/*
 * A network address as the sans-io engine sees it: family, raw IP bytes
 * and port, with no socket types, so proto/ stays free of OS headers that
 * differ between drivers. Drivers convert to and from sockaddr.
 */
#ifndef DRIFT_PROTO_ADDR_H
#define DRIFT_PROTO_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum addr_family {
	ADDR_NONE = 0, /* placeholder "0.0.0.0:0": learn from the first HELLO */
	ADDR_IPV4 = 4,
	ADDR_IPV6 = 6,
};

struct net_addr {
	uint8_t family; /* enum addr_family */
	uint8_t ip[16]; /* IPv4 uses the first 4 bytes; the rest stay zero */
	uint16_t port;	/* host order */
};

static inline bool addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static inline bool addr_is_set(const struct net_addr *a)
{
	return a->family == ADDR_IPV4 || a->family == ADDR_IPV6;
}

/*
 * The cookie's address bytes (WIRE.md §10.2): 0x04 || ipv4 || port BE, or
 * 0x06 || ipv6 || port BE. Returns the length written (7 or 19), 0 for an
 * unset address. `out` holds at least 19 bytes.
 */
static inline size_t addr_cookie_bytes(uint8_t out[19], const struct net_addr *a)
{
	size_t ip_len = a->family == ADDR_IPV4 ? 4 : a->family == ADDR_IPV6 ? 16 : 0;

	if (!ip_len)
		return 0;
	out[0] = a->family;
	memcpy(out + 1, a->ip, ip_len);
	out[1 + ip_len] = (uint8_t)(a->port >> 8);
	out[2 + ip_len] = (uint8_t)a->port;
	return 3 + ip_len;
}

/*
 * Parses "a.b.c.d:port" or "[v6]:port". With `allow_placeholder`, an
 * all-zero address with port 0 becomes ADDR_NONE. Returns true on success;
 * `out` is untouched on failure. addr_format() writes at most 64 bytes.
 */
bool addr_parse(struct net_addr *out, const char *text, bool allow_placeholder);
void addr_format(char *buf, size_t len, const struct net_addr *a);

#endif
