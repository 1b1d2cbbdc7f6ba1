/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: drift-vpn's config parser (tools/vpn_config.c). Any input
 * must parse or be refused without reading out of bounds. A refusal leaves
 * one message naming the file and no key material in the struct. Anything
 * accepted must keep every invariant the rest of drift-vpn relies on (counts
 * within the arrays, peer ranges tiling allowed[], networks without host
 * bits, unique keys and prefixes, NUL-terminated strings), and must survive
 * a round trip: written back as canonical text, it parses to the same values.
 * The input is also fed to the key and prefix parsers on their own.
 */
#include "tools/vpn_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_TEXT_BYTES = 1 << 20 };

static struct vpn_config cfg, again;
static char text[FUZZ_TEXT_BYTES];
static size_t text_used;

static void require(bool ok)
{
	if (!ok)
		abort();
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static bool prefix_sane(const struct vpn_prefix *p)
{
	return (p->family == ADDR_IPV4 && p->len <= 32) ||
	       (p->family == ADDR_IPV6 && p->len <= 128);
}

/* True if p has no bits set past its length. */
static bool is_network(const struct vpn_prefix *p)
{
	for (unsigned bit = p->len; bit < 128; bit++)
		if (p->ip[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static void check_peers(const struct vpn_config *c)
{
	uint32_t next = 0;

	require(c->n_peers <= VPN_MAX_PEERS && c->n_allowed <= VPN_MAX_ALLOWED);
	for (uint32_t i = 0; i < c->n_peers; i++) {
		const struct vpn_peer *p = &c->peers[i];

		require(p->has_public_key && p->line > 0);
		require(i == 0 || p->line > c->peers[i - 1].line);
		require(p->first_allowed == next && p->n_allowed <= c->n_allowed - next);
		next += p->n_allowed;
		require(terminated(p->endpoint_host, sizeof(p->endpoint_host)));
		require(p->has_endpoint ? p->endpoint_port != 0 && p->endpoint_host[0]
					: !p->endpoint_host[0]);
		for (uint32_t j = 0; j < i; j++)
			require(memcmp(p->pub, c->peers[j].pub, WIRE_KEY_BYTES) != 0);
	}
	require(next == c->n_allowed);
	for (uint32_t i = 0; i < c->n_allowed; i++) {
		require(prefix_sane(&c->allowed[i]) && is_network(&c->allowed[i]));
		for (uint32_t j = 0; j < i; j++)
			require(c->allowed[i].family != c->allowed[j].family ||
				c->allowed[i].len != c->allowed[j].len ||
				memcmp(c->allowed[i].ip, c->allowed[j].ip, 16) != 0);
	}
}

static void check_accepted(const struct vpn_config *c)
{
	require(c->has_private_key != (c->private_key_file[0] != '\0'));
	require(c->interface_line > 0 && c->n_addresses <= VPN_MAX_ADDRESSES);
	for (uint32_t i = 0; i < c->n_addresses; i++)
		require(prefix_sane(&c->addresses[i]));
	require(c->mtu == 0 || (c->mtu >= VPN_MTU_MIN && c->mtu <= VPN_MTU_MAX));
	require(!c->has_listen_port || c->listen_port != 0);
	require(strcmp(c->port_type, "auto") == 0 || strcmp(c->port_type, "xsk") == 0 ||
		strcmp(c->port_type, "udp") == 0);
	require(terminated(c->path, sizeof(c->path)) &&
		terminated(c->private_key_file, sizeof(c->private_key_file)) &&
		terminated(c->device, sizeof(c->device)) &&
		terminated(c->qlog_path, sizeof(c->qlog_path)));
	require(strlen(c->device) < 16);
	require(c->n_warnings <= VPN_MAX_WARNINGS);
	require(c->n_warnings_dropped == 0 || c->n_warnings == VPN_MAX_WARNINGS);
	for (uint32_t i = 0; i < c->n_warnings; i++)
		require(terminated(c->warnings[i], VPN_WARNING_BYTES) &&
			strstr(c->warnings[i], "is ignored"));
	check_peers(c);
}

/* Appends to text[]; the canonical form of any accepted input is far below its size. */
static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(text + text_used, sizeof(text) - text_used, fmt, ap);
	va_end(ap);
	require(w >= 0 && (size_t)w < sizeof(text) - text_used);
	text_used += (size_t)w;
}

static void put_key(const char *name, const uint8_t key[WIRE_KEY_BYTES])
{
	put("%s=", name);
	for (int i = 0; i < WIRE_KEY_BYTES; i++)
		put("%02x", key[i]);
	put("\n");
}

static void put_prefix(const char *name, const struct vpn_prefix *p)
{
	char buf[VPN_PREFIX_TEXT_BYTES];

	vpn_prefix_format(buf, sizeof(buf), p);
	put("%s=%s\n", name, buf);
}

/* Writes c back as canonical text: hex keys, one list item per line, no scheme. */
static void write_back(const struct vpn_config *c)
{
	text_used = 0;
	put("[Interface]\n");
	if (c->has_private_key)
		put_key("PrivateKey", c->private_key);
	else
		put("PrivateKeyFile=%s\n", c->private_key_file);
	if (c->has_listen_port)
		put("ListenPort=%u\n", c->listen_port);
	for (uint32_t i = 0; i < c->n_addresses; i++)
		put_prefix("Address", &c->addresses[i]);
	if (c->mtu)
		put("MTU=%u\n", c->mtu);
	put("Port=%s\nMetricsPort=%u\nWorkers=%u\n", c->port_type, c->metrics_port, c->workers);
	if (c->device[0])
		put("Device=%s\n", c->device);
	if (c->qlog_path[0])
		put("Qlog=%s\n", c->qlog_path);
	for (uint32_t i = 0; i < c->n_peers; i++) {
		const struct vpn_peer *p = &c->peers[i];
		bool v6 = strchr(p->endpoint_host, ':') != NULL;

		put("[Peer]\n");
		put_key("PublicKey", p->pub);
		if (p->has_endpoint)
			put(v6 ? "Endpoint=[%s]:%u\n" : "Endpoint=%s:%u\n", p->endpoint_host,
			    p->endpoint_port);
		put("PersistentKeepalive=%u\n", p->keepalive_s);
		for (uint32_t j = 0; j < p->n_allowed; j++)
			put_prefix("AllowedIPs", &c->allowed[p->first_allowed + j]);
	}
}

static void check_round_trip(const struct vpn_config *c)
{
	char err[VPN_ERR_BYTES];

	write_back(c);
	if (vpn_config_parse(&again, c->path, text, text_used, err) != 0) {
		fprintf(stderr, "round trip refused: %s\n%.*s", err, (int)text_used, text);
		abort();
	}
	require(again.has_private_key == c->has_private_key &&
		memcmp(again.private_key, c->private_key, WIRE_KEY_BYTES) == 0 &&
		strcmp(again.private_key_file, c->private_key_file) == 0);
	require(again.has_listen_port == c->has_listen_port && again.listen_port == c->listen_port);
	require(again.n_addresses == c->n_addresses &&
		memcmp(again.addresses, c->addresses, sizeof(c->addresses)) == 0);
	require(again.mtu == c->mtu && strcmp(again.port_type, c->port_type) == 0 &&
		strcmp(again.device, c->device) == 0 && again.metrics_port == c->metrics_port &&
		strcmp(again.qlog_path, c->qlog_path) == 0 && again.workers == c->workers);
	require(again.n_peers == c->n_peers && again.n_allowed == c->n_allowed &&
		memcmp(again.allowed, c->allowed, c->n_allowed * sizeof(c->allowed[0])) == 0);
	for (uint32_t i = 0; i < c->n_peers; i++) {
		const struct vpn_peer *a = &again.peers[i], *b = &c->peers[i];

		require(memcmp(a->pub, b->pub, WIRE_KEY_BYTES) == 0 &&
			a->has_endpoint == b->has_endpoint &&
			strcmp(a->endpoint_host, b->endpoint_host) == 0 &&
			a->endpoint_port == b->endpoint_port && a->keepalive_s == b->keepalive_s &&
			a->first_allowed == b->first_allowed && a->n_allowed == b->n_allowed);
	}
}

static void check_refused(const struct vpn_config *c, const char *err)
{
	static const uint8_t zero[WIRE_KEY_BYTES];
	const char *at;

	require(terminated(err, VPN_ERR_BYTES) && strncmp(err, "fuzz.conf:", 10) == 0);
	/* Internal errors carry no KEY = VALUE, so input text cannot fake one. */
	at = err + 10 + strspn(err + 10, "0123456789");
	require(strncmp(at, ": internal error", 16) != 0 &&
		strncmp(at, " internal error", 15) != 0);
	require(!c->has_private_key && memcmp(c->private_key, zero, WIRE_KEY_BYTES) == 0);
	require(c->n_peers == 0 && c->n_allowed == 0);
}

/* The value parsers on their own, on the input as one string. */
static void check_values(const uint8_t *data, size_t size)
{
	static const uint8_t zero[WIRE_KEY_BYTES];
	char s[128], re[VPN_PREFIX_TEXT_BYTES];
	uint8_t key[WIRE_KEY_BYTES];
	struct vpn_prefix p, q;

	if (size >= sizeof(s))
		return;
	if (size) /* data may be NULL when size is 0 */
		memcpy(s, data, size);
	s[size] = '\0';
	if (!vpn_key_parse(key, s))
		require(memcmp(key, zero, sizeof(key)) == 0);
	if (!vpn_prefix_parse(&p, s))
		return;
	require(prefix_sane(&p));
	vpn_prefix_format(re, sizeof(re), &p);
	require(vpn_prefix_parse(&q, re) && memcmp(&p, &q, sizeof(p)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[VPN_ERR_BYTES];

	check_values(data, size);
	memset(err, 'x', sizeof(err));
	if (vpn_config_parse(&cfg, "fuzz.conf", (const char *)data, size, err) != 0) {
		check_refused(&cfg, err);
		return 0;
	}
	require(err[0] == '\0');
	check_accepted(&cfg);
	check_round_trip(&cfg);
	vpn_config_wipe(&cfg);
	return 0;
}
