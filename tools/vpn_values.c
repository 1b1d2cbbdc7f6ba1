/* SPDX-License-Identifier: MIT */
/*
 * The value parsers behind drift-vpn's config file (vpn_config.c): keys
 * (base64 without a branch or table on the secret, or hex), prefixes and
 * endpoints. Sans-io; the public ones are declared in vpn_config.h, the
 * rest in vpn_values.h for the parser.
 */
#include "tools/vpn_values.h"

#include "crypto/secret.h"
#include "tools/hex.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Strict decimal: 1 to 10 digits, nothing else, no overflow. */
bool vpn_parse_u32(uint32_t *out, const char *text)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; text[i]; i++) {
		if (i == 10 || text[i] < '0' || text[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if (i == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * -1 (all bits) if lo <= c <= hi, else 0, without a branch: (lo - 1 - c) and
 * (c - hi - 1) are both negative exactly inside the range, and both lie in
 * (-512, 512), so the AND shifted right by 8 is -1 or 0 (gcc and clang shift
 * signed values arithmetically).
 */
static int mask_in(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* The 6-bit value of a base64 character, or -1; no branch or table on the secret. */
static int b64_value(unsigned char ch)
{
	int c = ch;

	return -1 + (mask_in(c, 'A', 'Z') & (c - 'A' + 1)) +
	       (mask_in(c, 'a', 'z') & (c - 'a' + 27)) + (mask_in(c, '0', '9') & (c - '0' + 53)) +
	       (mask_in(c, '+', '+') & 63) + (mask_in(c, '/', '/') & 64);
}

/*
 * 44 characters: ten groups of four give 30 bytes, then three characters
 * (18 bits) give the last 2 bytes and 2 bits that must be zero, then '='.
 */
static bool key_from_base64(uint8_t out[WIRE_KEY_BYTES], const char *t)
{
	int bad = 0, v[4];
	uint32_t acc;

	for (int g = 0; g < 11; g++) {
		for (int i = 0; i < 4; i++) {
			v[i] = g == 10 && i == 3 ? 0 : b64_value((unsigned char)t[4 * g + i]);
			bad |= v[i];
		}
		acc = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		      (uint32_t)v[3];
		out[3 * g] = (uint8_t)(acc >> 16);
		out[3 * g + 1] = (uint8_t)(acc >> 8);
		/* In the last group the 2 stray bits land above 0x3f, so bad shows them. */
		if (g < 10)
			out[3 * g + 2] = (uint8_t)acc;
		else
			bad |= (int)((acc >> 6) & 3) << 8;
	}
	if (bad != (bad & 0x3f) || t[43] != '=') {
		secret_wipe(out, WIRE_KEY_BYTES);
		return false;
	}
	return true;
}

bool vpn_key_parse(uint8_t out[WIRE_KEY_BYTES], const char *text)
{
	size_t len = strnlen(text, 65);

	if (len == 44)
		return key_from_base64(out, text);
	if (len == 64)
		return hex_decode(out, WIRE_KEY_BYTES, text, 64, NULL) == HEX_OK;
	secret_wipe(out, WIRE_KEY_BYTES);
	return false;
}

bool vpn_prefix_parse(struct vpn_prefix *p, const char *text)
{
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
	struct vpn_prefix q = {0};
	char addr[VPN_PREFIX_TEXT_BYTES];
	uint32_t len, max;

	if (addr_len == 0 || addr_len >= sizeof(addr))
		return false;
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	if (inet_pton(AF_INET, addr, q.ip) == 1) {
		q.family = ADDR_IPV4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, q.ip) == 1) {
		q.family = ADDR_IPV6;
		max = 128;
	} else {
		return false;
	}
	len = max;
	if (slash && (strlen(slash + 1) > 3 || !vpn_parse_u32(&len, slash + 1) || len > max))
		return false;
	q.len = (uint8_t)len;
	*p = q;
	return true;
}

void vpn_prefix_format(char *buf, size_t cap, const struct vpn_prefix *p)
{
	char addr[VPN_PREFIX_TEXT_BYTES];
	int af = p->family == ADDR_IPV4 ? AF_INET : AF_INET6;

	if (!cap)
		return;
	if ((p->family != ADDR_IPV4 && p->family != ADDR_IPV6) ||
	    !inet_ntop(af, p->ip, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, cap, "%s/%u", addr, p->len);
}

/* Copies p with its host bits cleared into *net; true if there were none. */
bool vpn_prefix_network(struct vpn_prefix *net, const struct vpn_prefix *p)
{
	unsigned bytes = p->family == ADDR_IPV4 ? 4 : 16;

	*net = *p;
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)p->len - 8 * (int)i;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff00 >> bits);

		net->ip[i] &= i < bytes ? mask : 0;
	}
	return memcmp(net->ip, p->ip, sizeof(p->ip)) == 0;
}

bool vpn_prefix_same(const struct vpn_prefix *a, const struct vpn_prefix *b)
{
	return a->family == b->family && a->len == b->len && memcmp(a->ip, b->ip, 16) == 0;
}

/* Host characters: a name (letters, digits, '-', '.', '_') or, in brackets, IPv6. */
static bool host_ok(const char *host, size_t len, bool bracketed)
{
	char buf[64];
	uint8_t bin[16];
	bool numeric = true;

	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		if (!(is_alnum(c) || c == '.' || c == '-' || c == '_' || (bracketed && c == ':')))
			return false;
		numeric &= (c >= '0' && c <= '9') || c == '.';
	}
	/* Refuse what getaddrinfo() would read as a legacy number ("10.1" = 10.0.0.1). */
	if (bracketed || numeric) {
		if (len >= sizeof(buf))
			return false;
		memcpy(buf, host, len);
		buf[len] = '\0';
		return inet_pton(bracketed ? AF_INET6 : AF_INET, buf, bin) == 1;
	}
	return true;
}

/* udp://host:port, host:port or [v6]:port. Returns NULL or what is wrong and the fix. */
const char *vpn_endpoint_split(const char *v, struct vpn_peer *peer)
{
	const char *sep = strstr(v, "://"), *host, *port;
	size_t host_len;
	uint32_t num;
	bool bracketed;

	if (sep) {
		if (sep - v != 3 || strncasecmp(v, "udp", 3) != 0)
			return "only udp endpoints are supported by drift-vpn today; write "
			       "udp://HOST:PORT or HOST:PORT";
		v = sep + 3;
	}
	bracketed = *v == '[';
	if (bracketed) {
		host = v + 1;
		port = strchr(host, ']');
		if (!port || port[1] != ':')
			return "write an IPv6 endpoint as [ADDRESS]:PORT";
		host_len = (size_t)(port - host);
		port += 2;
	} else {
		host = v;
		port = strrchr(v, ':');
		if (!port)
			return "no port; write HOST:PORT, e.g. vpn.example.com:51820";
		host_len = (size_t)(port - host);
		if (memchr(host, ':', host_len))
			return "an IPv6 endpoint needs brackets; write [ADDRESS]:PORT";
		port++;
	}
	if (!vpn_parse_u32(&num, port) || num < 1 || num > 65535)
		return "the port is not a number from 1 to 65535; write HOST:PORT";
	if (host_len == 0 || host_len >= sizeof(peer->endpoint_host))
		return "the host is empty or longer than 255 characters; write HOST:PORT";
	if (!host_ok(host, host_len, bracketed))
		return "the host is not a valid name or address; write HOST:PORT";
	memcpy(peer->endpoint_host, host, host_len);
	peer->endpoint_host[host_len] = '\0';
	peer->endpoint_port = (uint16_t)num;
	return NULL;
}
