/* SPDX-License-Identifier: MIT */
/*
 * The vpn.state codec (vpn_state.h). Strict on purpose: `down` kills the
 * pids this file names, so a value that is not exactly what `up` wrote is
 * refused rather than guessed at.
 */
#include "tools/vpn_state.h"

#include "tools/hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t vpn_state_format(const struct vpn_state *s, char *buf, size_t cap)
{
	char hex[2 * WIRE_KEY_BYTES + 1];
	size_t len = 0;
	int n;

	n = snprintf(buf, cap,
		     "config %s\ndp_pid %d\ndriftd_pid %d\nlisten_port %u\npublic_key %s\n",
		     s->config_path, (int)s->dp_pid, (int)s->driftd_pid, s->listen_port,
		     hex_encode(hex, s->self_pub, WIRE_KEY_BYTES));
	len = n > 0 && (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
	for (uint32_t i = 0; i < s->n_peers && len + 1 < cap; i++) {
		n = snprintf(buf + len, cap - len, "peer %s %s %u\n",
			     hex_encode(hex, s->peers[i].pub, WIRE_KEY_BYTES), s->peers[i].endpoint,
			     s->peers[i].keepalive_s);
		len = n > 0 && (size_t)n < cap - len ? len + (size_t)n : cap - 1;
	}
	return len;
}

/* A whole-token unsigned number in [lo, hi]. */
static bool parse_num(const char *tok, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!tok || !*tok || *tok < '0' || *tok > '9')
		return false;
	errno = 0;
	v = strtoul(tok, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_key(uint8_t out[WIRE_KEY_BYTES], const char *tok)
{
	return tok && strlen(tok) == 2 * WIRE_KEY_BYTES &&
	       hex_decode(out, WIRE_KEY_BYTES, tok, strlen(tok), NULL) == HEX_OK;
}

static bool parse_endpoint(char *out, size_t cap, const char *tok)
{
	size_t n = tok ? strlen(tok) : 0;

	if (!n || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF.:[]-", tok[i]))
			return false;
	memcpy(out, tok, n + 1);
	return true;
}

static bool parse_line(struct vpn_state *s, char *line)
{
	char *save = NULL, *key, *a, *b, *c;
	unsigned long v, ka;

	static const uint8_t zero[WIRE_KEY_BYTES];

	if (strncmp(line, "config ", 7) == 0) {
		size_t n = strlen(line + 7);

		/* Every item but peer appears once: a second one is damage, not an update. */
		if (!n || n >= sizeof(s->config_path) || s->config_path[0])
			return false;
		memcpy(s->config_path, line + 7, n + 1);
		return true;
	}
	if (line[0] == ' ')
		return false;
	key = strtok_r(line, " ", &save);
	a = strtok_r(NULL, " ", &save);
	b = strtok_r(NULL, " ", &save);
	c = strtok_r(NULL, " ", &save);
	if (!key)
		return false;
	if (!strcmp(key, "peer")) {
		if (s->n_peers == VPN_MAX_PEERS || strtok_r(NULL, " ", &save) ||
		    !parse_key(s->peers[s->n_peers].pub, a) ||
		    !parse_endpoint(s->peers[s->n_peers].endpoint, sizeof(s->peers[0].endpoint),
				    b) ||
		    !parse_num(c, 0, 65535, &ka))
			return false;
		s->peers[s->n_peers++].keepalive_s = (uint16_t)ka;
		return true;
	}
	if (b)
		return false;
	if (!strcmp(key, "public_key"))
		return !memcmp(s->self_pub, zero, sizeof(zero)) && parse_key(s->self_pub, a);
	if (!strcmp(key, "listen_port") && !s->listen_port && parse_num(a, 1, 65535, &v)) {
		s->listen_port = (uint16_t)v;
		return true;
	}
	if (!strcmp(key, "dp_pid") && !s->dp_pid && parse_num(a, 2, VPN_STATE_PID_MAX, &v)) {
		s->dp_pid = (pid_t)v;
		return true;
	}
	if (!strcmp(key, "driftd_pid") && !s->driftd_pid &&
	    parse_num(a, 2, VPN_STATE_PID_MAX, &v)) {
		s->driftd_pid = (pid_t)v;
		return true;
	}
	return false;
}

int vpn_state_parse(struct vpn_state *s, const char *text, size_t len)
{
	char line[VPN_STATE_PATH_BYTES + 64];
	size_t at = 0;

	memset(s, 0, sizeof(*s));
	if (!text || (len && memchr(text, 0, len)))
		return -EINVAL;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;

		if (n >= sizeof(line))
			return -EINVAL;
		memcpy(line, text + at, n);
		line[n] = 0;
		at += n + 1;
		if (n && !parse_line(s, line)) {
			memset(s, 0, sizeof(*s));
			return -EINVAL;
		}
	}
	return 0;
}
