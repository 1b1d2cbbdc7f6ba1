/* SPDX-License-Identifier: MIT */
/*
 * Text forms of struct net_addr: "1.2.3.4:9000" and "[::1]:9000", the way
 * DRIFT's API and CLI spell addresses. Parsing is strict: a port is
 * required and must be 0..65535, nothing may trail it.
 */
#include "proto/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

static bool parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool addr_parse(struct net_addr *out, const char *text, bool allow_placeholder)
{
	struct net_addr a = {0};
	char host[64];
	const char *colon;
	size_t n;

	if (!text)
		return false;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || (n = (size_t)(close - text - 1)) >= sizeof(host))
			return false;
		memcpy(host, text + 1, n);
		host[n] = 0;
		if (inet_pton(AF_INET6, host, a.ip) != 1 || !parse_port(close + 2, &a.port))
			return false;
		a.family = ADDR_IPV6;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (n = (size_t)(colon - text)) >= sizeof(host))
			return false;
		memcpy(host, text, n);
		host[n] = 0;
		if (inet_pton(AF_INET, host, a.ip) != 1 || !parse_port(colon + 1, &a.port))
			return false;
		a.family = ADDR_IPV4;
	}
	if (allow_placeholder && a.port == 0) {
		static const uint8_t zero[16];

		/* "0.0.0.0:0" / "[::]:0": a responder's placeholder, learnt from the HELLO. */
		if (memcmp(a.ip, zero, sizeof(zero)) == 0)
			memset(&a, 0, sizeof(a));
	}
	*out = a;
	return true;
}

void addr_format(char *buf, size_t len, const struct net_addr *a)
{
	char host[INET6_ADDRSTRLEN];

	if (a->family == ADDR_IPV4 && inet_ntop(AF_INET, a->ip, host, sizeof(host)))
		snprintf(buf, len, "%s:%u", host, a->port);
	else if (a->family == ADDR_IPV6 && inet_ntop(AF_INET6, a->ip, host, sizeof(host)))
		snprintf(buf, len, "[%s]:%u", host, a->port);
	else
		snprintf(buf, len, "0.0.0.0:0");
}
