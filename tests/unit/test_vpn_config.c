/* SPDX-License-Identifier: MIT */
/*
 * tools/vpn_config: a full two-peer config (v4 and v6 endpoints, base64 and
 * hex keys, comments, odd white space, mixed-case keys) read field by field,
 * the same text with CRLF endings, the wg-quick keys that only warn, long
 * comma lists, then a numbered table of configs that must be refused, each
 * message checked for the file, the line and the key or fix it names. Every
 * prefix of a valid config is parsed to show truncation never crashes. Key
 * and prefix codecs, the file checks of vpn_config_load() (size, mode
 * 0600) and numeric and local name resolution close the program.
 */
#include "tools/vpn_config.h"

#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "tests/lib/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIV_B64  "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define PRIV_HEX  "c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669"
#define PUB_A_B64 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
#define PUB_A_HEX "c53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f038"
#define PUB_B_HEX "4eb32f4a83f88d842563a448cc181bb2c42a637bf12363e2fb2ef594e5965d7d"

/* Two lines: the smallest valid config. */
#define IFACE "[Interface]\nPrivateKey = " PRIV_B64 "\n"
/* Two more lines: a peer with key A. */
#define PEER_A "[Peer]\nPublicKey = " PUB_A_B64 "\n"

static const char full_config[] = "# drift-vpn config for alice\n"		/* 1 */
				  "[Interface]\n"				/* 2 */
				  "PrivateKey = " PRIV_B64 "\n"			/* 3 */
				  "  ListenPort=51820   # trailing comment\n"	/* 4 */
				  "Address = 10.8.0.1/24, fd08::1/64\n"		/* 5 */
				  "address = 10.9.0.1/16\n"			/* 6 */
				  "MTU = 1340\n"				/* 7 */
				  "Port = XSK\n"				/* 8 */
				  "Device = eth0\n"				/* 9 */
				  "MetricsPort = 9100\n"			/* 10 */
				  "Qlog = /var/log/drift/alice.qlog\n"		/* 11 */
				  "Workers = 4\n"				/* 12 */
				  "; an inih-style comment\n"			/* 13 */
				  "\t \n"					/* 14 */
				  "[Peer]\n"					/* 15 */
				  "PublicKey = " PUB_A_B64 "\n"			/* 16 */
				  "Endpoint = udp://192.0.2.10:51820\n"		/* 17 */
				  "AllowedIPs = 10.8.0.2/32, 192.168.10.0/24\n" /* 18 */
				  "AllowedIPs = 10.10.0.0/16\n"			/* 19 */
				  "PersistentKeepalive = 25\n"			/* 20 */
				  "\n"						/* 21 */
				  "[ peer ]\n"					/* 22 */
				  "publickey = " PUB_B_HEX "\n"			/* 23 */
				  "endpoint = [2001:db8::10]:51821\n"		/* 24 */
				  "allowedips = fd08::2/128,2001:db8:1::/48\n"	/* 25 */
				  "persistentkeepalive = off"; /* 26, no final newline */

static struct vpn_config cfg;
static char big[2 << 20];

static bool prefix_is(const struct vpn_prefix *p, const char *text)
{
	char buf[VPN_PREFIX_TEXT_BYTES];

	vpn_prefix_format(buf, sizeof(buf), p);
	if (strcmp(buf, text) == 0)
		return true;
	fprintf(stderr, "  prefix %s, want %s\n", buf, text);
	return false;
}

static int parse(struct vpn_config *c, const char *text, size_t len, char *err)
{
	int rc = vpn_config_parse(c, "test.conf", text, len, err);

	if (rc != 0)
		fprintf(stderr, "  parse: %s\n", err);
	return rc;
}

static void check_full(const struct vpn_config *c)
{
	uint8_t a[WIRE_KEY_BYTES], b[WIRE_KEY_BYTES], priv[WIRE_KEY_BYTES];
	const struct vpn_peer *p0 = &c->peers[0], *p1 = &c->peers[1];

	harness_unhex(PRIV_HEX, priv, sizeof(priv));
	harness_unhex(PUB_A_HEX, a, sizeof(a));
	harness_unhex(PUB_B_HEX, b, sizeof(b));
	CHECK(c->has_private_key);
	CHECK_MEM(c->private_key, priv, WIRE_KEY_BYTES);
	CHECK(c->private_key_file[0] == '\0');
	CHECK(c->has_listen_port);
	CHECK_EQ(c->listen_port, 51820);
	CHECK_EQ(c->interface_line, 2);
	CHECK_EQ(c->n_addresses, 3);
	CHECK(prefix_is(&c->addresses[0], "10.8.0.1/24"));
	CHECK(prefix_is(&c->addresses[1], "fd08::1/64"));
	CHECK(prefix_is(&c->addresses[2], "10.9.0.1/16"));
	CHECK_EQ(c->mtu, 1340);
	CHECK(strcmp(c->port_type, "xsk") == 0);
	CHECK(strcmp(c->device, "eth0") == 0);
	CHECK_EQ(c->metrics_port, 9100);
	CHECK(strcmp(c->qlog_path, "/var/log/drift/alice.qlog") == 0);
	CHECK_EQ(c->workers, 4);
	CHECK_EQ(c->n_warnings, 0);
	CHECK_EQ(c->n_peers, 2);
	CHECK_EQ(c->n_allowed, 5);

	CHECK_EQ(p0->line, 15);
	CHECK_MEM(p0->pub, a, WIRE_KEY_BYTES);
	CHECK(p0->has_endpoint && strcmp(p0->endpoint_host, "192.0.2.10") == 0);
	CHECK_EQ(p0->endpoint_port, 51820);
	CHECK_EQ(p0->keepalive_s, 25);
	CHECK_EQ(p0->first_allowed, 0);
	CHECK_EQ(p0->n_allowed, 3);
	CHECK(prefix_is(&c->allowed[0], "10.8.0.2/32"));
	CHECK(prefix_is(&c->allowed[1], "192.168.10.0/24"));
	CHECK(prefix_is(&c->allowed[2], "10.10.0.0/16"));

	CHECK_EQ(p1->line, 22);
	CHECK_MEM(p1->pub, b, WIRE_KEY_BYTES);
	CHECK(p1->has_endpoint && strcmp(p1->endpoint_host, "2001:db8::10") == 0);
	CHECK_EQ(p1->endpoint_port, 51821);
	CHECK_EQ(p1->keepalive_s, 0);
	CHECK_EQ(p1->first_allowed, 3);
	CHECK_EQ(p1->n_allowed, 2);
	CHECK(prefix_is(&c->allowed[3], "fd08::2/128"));
	CHECK(prefix_is(&c->allowed[4], "2001:db8:1::/48"));
}

static void test_full_config(void)
{
	char err[VPN_ERR_BYTES];

	CHECK_EQ(parse(&cfg, full_config, strlen(full_config), err), 0);
	check_full(&cfg);
	vpn_config_wipe(&cfg);
	CHECK(!cfg.has_private_key);
	CHECK(secret_is_zero(cfg.private_key, WIRE_KEY_BYTES));
}

/* The same text with CRLF endings and a UTF-8 byte-order mark reads the same. */
static void test_crlf(void)
{
	char err[VPN_ERR_BYTES];
	size_t n = 0;

	memcpy(big, "\xef\xbb\xbf", 3);
	n = 3;
	for (const char *p = full_config; *p; p++) {
		if (*p == '\n')
			big[n++] = '\r';
		big[n++] = *p;
	}
	CHECK_EQ(parse(&cfg, big, n, err), 0);
	check_full(&cfg);
}

static void test_warnings(void)
{
	static const char text[] = IFACE "DNS = 1.1.1.1\n"
					 "PostUp = iptables -A FORWARD -i %i -j ACCEPT;true\n"
					 "PostDown = true\n"
					 "SaveConfig = true\n"
					 "FwMark = 0x1\n"
					 "Table = off\n";
	char err[VPN_ERR_BYTES];
	int n;

	CHECK_EQ(parse(&cfg, text, strlen(text), err), 0);
	CHECK_EQ(cfg.n_warnings, 4);
	CHECK_EQ(cfg.n_warnings_dropped, 2);
	CHECK(strcmp(cfg.warnings[0],
		     "test.conf:3: DNS is not supported by drift-vpn and is ignored") == 0);
	CHECK(strcmp(cfg.warnings[1],
		     "test.conf:4: PostUp is not supported by drift-vpn and is ignored") == 0);

	/* A wg-quick hook longer than inih's line buffer is still only a warning. */
	n = snprintf(big, sizeof(big), IFACE "PostUp = /usr/local/bin/hook %0300d\n", 0);
	CHECK_EQ(parse(&cfg, big, (size_t)n, err), 0);
	CHECK_EQ(cfg.n_warnings, 1);
}

/* PrivateKeyFile instead of PrivateKey, and no peer at all, are both fine. */
static void test_key_file_no_peers(void)
{
	static const char text[] = "[Interface]\nPrivateKeyFile = /etc/drift/alice.key\n";
	char err[VPN_ERR_BYTES];

	CHECK_EQ(parse(&cfg, text, strlen(text), err), 0);
	CHECK(!cfg.has_private_key);
	CHECK(strcmp(cfg.private_key_file, "/etc/drift/alice.key") == 0);
	CHECK_EQ(cfg.n_peers, 0);
	CHECK(strcmp(cfg.port_type, "auto") == 0);
}

/* A list longer than inih's 200-byte line buffer is handed over item by item. */
static void test_long_list(void)
{
	char err[VPN_ERR_BYTES];
	int n = snprintf(big, sizeof(big), IFACE PEER_A "AllowedIPs = ");

	for (int i = 0; i < 60; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "%s10.%d.0.0/16", i ? ", " : "", i);
	n += snprintf(big + n, sizeof(big) - (size_t)n, "\n");
	CHECK(n > 600);
	CHECK_EQ(parse(&cfg, big, (size_t)n, err), 0);
	CHECK_EQ(cfg.n_allowed, 60);
	CHECK(prefix_is(&cfg.allowed[59], "10.59.0.0/16"));
}

/* Every prefix of a valid config: may fail, must not crash or break an invariant. */
static void test_truncation(void)
{
	char err[VPN_ERR_BYTES];
	size_t len = strlen(full_config);
	unsigned accepted = 0;

	for (size_t n = 0; n <= len; n++) {
		memcpy(big, full_config, n); /* a private copy so ASan sees reads past n */
		if (vpn_config_parse(&cfg, "test.conf", big, n, err) != 0) {
			CHECK(strncmp(err, "test.conf:", 10) == 0);
			CHECK(!cfg.has_private_key);
			continue;
		}
		accepted++;
		CHECK(cfg.n_allowed <= VPN_MAX_ALLOWED && cfg.n_peers <= 2);
		for (uint32_t i = 0; i < cfg.n_peers; i++)
			CHECK(cfg.peers[i].first_allowed + cfg.peers[i].n_allowed <= cfg.n_allowed);
	}
	CHECK(accepted > 0);
}

struct error_case {
	const char *text;
	uint32_t line; /* 0: the message has no line */
	const char *want[2];
};

static const struct error_case error_cases[] = {
	/* 1 */ {IFACE "PrivateKeyFile = /etc/k\n", 3, {"PrivateKeyFile = /etc/k", "exactly one"}},
	/* 2 */ {"[Interface]\nListenPort = 5\n", 1, {"neither PrivateKey nor PrivateKeyFile"}},
	/* 3 */ {IFACE "ListenPort = 0\n", 3, {"ListenPort = 0:", "1 to 65535"}},
	/* 4 */ {IFACE "ListenPort = 70000\n", 3, {"ListenPort = 70000:", "1 to 65535"}},
	/* 5 */ {IFACE "ListenPort = 51820x\n", 3, {"ListenPort = 51820x:", "1 to 65535"}},
	/* 6 */ {IFACE "MTU = 1400\n", 3, {"MTU = 1400:", "DRIFT's largest payload is 1348 bytes"}},
	/* 7 */ {IFACE "MTU = 1279\n", 3, {"MTU = 1279:", "1280-1348"}},
	/* 8 */ {IFACE "Port = tcp\n", 3, {"Port = tcp:", "auto, xsk or udp"}},
	/* 9 */
	{IFACE "PresharedKey = " PUB_A_B64 "\n", 3, {"PresharedKey = ", "no pre-shared key"}},
	/* 10 */ {IFACE PEER_A "PresharedKey = " PUB_A_B64 "\n", 5, {"PresharedKey", "weaken"}},
	/* 11 */ {IFACE "[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3, {"[Peer] has no PublicKey"}},
	/* 12 */ {IFACE PEER_A PEER_A, 6, {"PublicKey = " PUB_A_B64, "[Peer] at line 3"}},
	/* 13 */
	{IFACE PEER_A "Endpoint = tcp://192.0.2.1:51820\n",
	 5,
	 {"Endpoint = tcp://192.0.2.1:51820:", "only udp endpoints are supported"}},
	/* 14 */
	{IFACE PEER_A "Endpoint = ws://vpn.example.com:443\n",
	 5,
	 {"Endpoint = ws://", "only udp endpoints are supported by drift-vpn today"}},
	/* 15 */ {IFACE PEER_A "Endpoint = 192.0.2.1\n", 5, {"Endpoint = 192.0.2.1:", "no port"}},
	/* 16 */ {IFACE PEER_A "Endpoint = fd00::1:51820\n", 5, {"Endpoint", "brackets"}},
	/* 17 */ {IFACE PEER_A "Endpoint = 192.0.2.1:0\n", 5, {"Endpoint", "1 to 65535"}},
	/* 18 */ {IFACE PEER_A "Endpoint = [fd00::1:51820\n", 5, {"Endpoint", "[ADDRESS]:PORT"}},
	/* 19 */ {IFACE PEER_A "Endpoint = 10.1:51820\n", 5, {"Endpoint", "not a valid name"}},
	/* 20 */
	{IFACE PEER_A "AllowedIPs = 10.0.0.1/24\n",
	 5,
	 {"AllowedIPs = 10.0.0.1/24:", "10.0.0.1/24 has host bits set: write 10.0.0.0/24"}},
	/* 21 */
	{IFACE PEER_A "AllowedIPs = 10.0.0.0/8, fd00::1/64\n",
	 5,
	 {"AllowedIPs = fd00::1/64:", "write fd00::/64"}},
	/* 22 */
	{IFACE PEER_A "AllowedIPs = 10.1.0.0/16\n"
		      "[Peer]\nPublicKey = " PUB_B_HEX "\nAllowedIPs = 10.2.0.0/16, 10.1.0.0/16\n",
	 8,
	 {"[Peer] at line 3", "this [Peer] is at line 6"}},
	/* 23 */ {IFACE PEER_A "PersistentKeepalive = 70000\n", 5, {"PersistentKeepalive = 70000"}},
	/* 24 */
	{IFACE PEER_A "PersistentKeepalive = sometimes\n",
	 5,
	 {"PersistentKeepalive", "0 to 65535"}},
	/* 25 */ {IFACE "[Wireguard]\n", 3, {"unknown section [Wireguard]"}},
	/* 26 */ {IFACE "Foo = 1\n", 3, {"Foo = 1:", "unknown key in [Interface]"}},
	/* 27 */ {IFACE PEER_A "Bar = 2\n", 5, {"Bar = 2:", "unknown key in [Peer]"}},
	/* 28 */ {IFACE "PublicKey = " PUB_A_B64 "\n", 3, {"PublicKey", "belongs in [Peer]"}},
	/* 29 */
	{IFACE PEER_A "ListenPort = 5\n", 5, {"ListenPort = 5:", "belongs in [Interface]"}},
	/* 30 */ {"ListenPort = 5\n" IFACE, 1, {"ListenPort = 5:", "before any section"}},
	/* 31 */ {IFACE "ListenPort = 5\nlistenport = 6\n", 4, {"listenport = 6:", "at line 3"}},
	/* 32 */ {IFACE "ListenPort =\n", 3, {"ListenPort = :", "empty value"}},
	/* 33 */
	{IFACE PEER_A "AllowedIPs = 10.0.0.0/8,,10.1.0.0/16\n", 5, {"AllowedIPs", "empty item"}},
	/* 34 */ {IFACE "ListenPort 5\n", 3, {"ListenPort...: expected KEY = VALUE"}},
	/* 35 */ {IFACE "Listen Port = 5\n", 3, {"KEY being one word"}},
	/* 36 */ {IFACE "[Peer\n", 3, {"[Peer", "must end with ']'"}},
	/* 37 */ {"[Interface]\nPrivateKey = abcdef\n", 2, {"PrivateKey = (hidden):", "not a key"}},
	/* 38 */
	{"[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmn=\n",
	 2,
	 {"PrivateKey = (hidden):", "not a key"}},
	/* 39 */ {"", 0, {"no [Interface] section"}},
	/* 40 */
	{IFACE "Address = 10.0.0.300/24\n", 3, {"Address = 10.0.0.300/24:", "not an address"}},
	/* 41 */ {IFACE "Workers = 17\n", 3, {"Workers = 17:", "0 to 16"}},
	/* 42 */ {IFACE "Device = eth0/1\n", 3, {"Device = eth0/1:", "not an interface name"}},
	/* 43 */
	{IFACE PEER_A "Endpoint = 192.0.2.1:5\nEndpoint = 192.0.2.1:6\n",
	 6,
	 {"Endpoint = 192.0.2.1:6:", "already set at line 5"}},
	/* 44 */
	{"[Interface]\nPrivateKeyFile = /k\nPrivateKey = " PRIV_HEX "\n",
	 3,
	 {"PrivateKey = (hidden):", "exactly one"}},
	/* 45 */ {IFACE "MetricsPort = 65536\n", 3, {"MetricsPort = 65536:", "0 to 65535"}},
	/* 46 */
	{IFACE PEER_A "[Peer]\nPublicKey = " PUB_A_HEX "1\n", 6, {"PublicKey", "not a key"}},
	/* 47 */
	{IFACE "# only a comment\n[Peer]\r\nPublicKey = " PUB_A_B64 "\r\nEndpoint = udp:/x\r\n",
	 6,
	 {"Endpoint = udp:/x:", "1 to 65535"}},
	/* 48 */ {IFACE PEER_A "Endpoint = UDP+TLS://h:1\n", 5, {"only udp endpoints"}},
	/* 49 */ {IFACE "Port = \n", 3, {"Port = :", "empty value"}},
	/* 50 */ {IFACE "Address = 10.0.0.1/24, \n", 3, {"Address", "empty item"}},
	/* 51 */
	{IFACE "PrivateKye = " PRIV_B64 "\n", 3, {"PrivateKye = (hidden):", "unknown key"}},
	/* 52 */
	{"[Interface]\nPrivateKey " PRIV_B64 "\n", 2, {"PrivateKey...: expected KEY = VALUE"}},
	/* 53 */ {IFACE "Qlog = /tmp/a\x01z\n", 3, {"control byte 0x01"}},
	/* 54 */ {IFACE PEER_A "Endpoint = 192.0.2.1:51820:1\n", 5, {"Endpoint", "brackets"}},
};

static void expect_error(unsigned n, const char *text, size_t len, uint32_t line,
			 const char *const want[2])
{
	char err[VPN_ERR_BYTES], where[64];
	bool ok;
	int rc;

	memset(err, 0, sizeof(err));
	rc = vpn_config_parse(&cfg, "test.conf", text, len, err);
	if (line)
		snprintf(where, sizeof(where), "test.conf:%u: ", line);
	else
		snprintf(where, sizeof(where), "test.conf: ");
	ok = rc == -1 && strncmp(err, where, strlen(where)) == 0 &&
	     (!want[0] || strstr(err, want[0])) && (!want[1] || strstr(err, want[1])) &&
	     !cfg.has_private_key && cfg.n_peers == 0 && !strstr(err, PRIV_B64) &&
	     !strstr(err, PRIV_HEX);
	if (!ok)
		fprintf(stderr, "  case %u: rc %d, message \"%s\"\n", n, rc, err);
	CHECK(ok);
}

static void test_error_table(void)
{
	for (unsigned i = 0; i < ARRAY_LEN(error_cases); i++)
		expect_error(i + 1, error_cases[i].text, strlen(error_cases[i].text),
			     error_cases[i].line, error_cases[i].want);
}

/* Errors that need a generated text: sizes, counts, bytes a literal cannot hold. */
static void test_generated_errors(void)
{
	static const char *const own_key[2] = {"[Peer] has this interface's own public key"};
	static const char *const nul[2] = {"control byte 0x00"};
	static const char *const long_value[2] = {"Qlog = /", "too long for the parser"};
	static const char *const addresses[2] = {"Address = 10.0.0.17/8:", "at most 16"};
	static const char *const peers[2] = {"too many [Peer] sections (at most 256)"};
	static const char *const allowed[2] = {"AllowedIPs = 10.4.0.0/32:", "at most 1024"};
	static const char *const too_big[2] = {"too large"};
	uint8_t priv[WIRE_KEY_BYTES], pub[WIRE_KEY_BYTES];
	char hex[2 * WIRE_KEY_BYTES + 1];
	int n;

	/* 101: a peer whose key is our own public key. */
	harness_unhex(PRIV_HEX, priv, sizeof(priv));
	x25519_public(pub, priv);
	for (int i = 0; i < WIRE_KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", pub[i]);
	n = snprintf(big, sizeof(big), IFACE "[Peer]\nPublicKey = %s\n", hex);
	expect_error(101, big, (size_t)n, 3, own_key);

	/* 102: a NUL byte inside a line. */
	n = snprintf(big, sizeof(big), IFACE "ListenPort = 5X\n");
	big[n - 3] = '\0';
	expect_error(102, big, (size_t)n, 3, nul);

	/* 103: a value longer than inih's line buffer. */
	n = snprintf(big, sizeof(big), IFACE "Qlog = /%0250d\n", 0);
	expect_error(103, big, (size_t)n, 3, long_value);

	/* 104: 17 addresses. */
	n = snprintf(big, sizeof(big), IFACE);
	for (int i = 1; i <= 17; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "Address = 10.0.0.%d/8\n", i);
	expect_error(104, big, (size_t)n, 19, addresses);

	/* 105: 257 peers, each with its own key. */
	n = snprintf(big, sizeof(big), IFACE);
	for (int i = 0; i <= VPN_MAX_PEERS; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, "[Peer]\nPublicKey = %064x\n",
			      i + 1);
	expect_error(105, big, (size_t)n, 3 + 2 * VPN_MAX_PEERS, peers);

	/* 106: 1025 AllowedIPs over two peers. */
	n = snprintf(big, sizeof(big), IFACE PEER_A);
	for (int i = 0; i <= VPN_MAX_ALLOWED; i++) {
		if (i == 512)
			n += snprintf(big + n, sizeof(big) - (size_t)n,
				      "[Peer]\nPublicKey = " PUB_B_HEX "\n");
		n += snprintf(big + n, sizeof(big) - (size_t)n, "AllowedIPs = 10.%d.%d.0/32\n",
			      i / 256, i % 256);
	}
	expect_error(106, big, (size_t)n, 5 + VPN_MAX_ALLOWED + 2, allowed);

	/* 107: more than 1 MiB. */
	memset(big, '\n', VPN_MAX_FILE_BYTES + 1);
	expect_error(107, big, VPN_MAX_FILE_BYTES + 1, 0, too_big);
}

static void test_key_parse(void)
{
	static const uint8_t zero[WIRE_KEY_BYTES];
	static const char *const bad[] = {
		"",
		PUB_A_B64 "=",
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg",	/* no '=' */
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D==", /* '=' too early */
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=", /* stray low bits */
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp*Dg=", /* not base64 */
		"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp-Dg=", /* URL-safe alphabet */
		PUB_A_HEX "0",
		"g53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f038",
		" c53201039adba14be71f886da1d8dbe9eebded08cb111b75340078999aa9f03",
	};
	uint8_t a[WIRE_KEY_BYTES], b[WIRE_KEY_BYTES];

	CHECK(vpn_key_parse(a, PUB_A_B64));
	CHECK(vpn_key_parse(b, PUB_A_HEX));
	CHECK_MEM(a, b, WIRE_KEY_BYTES);
	CHECK(vpn_key_parse(b, "C53201039ADBA14BE71F886DA1D8DBE9EEBDED08CB111B75340078999AA9F038"));
	CHECK_MEM(a, b, WIRE_KEY_BYTES);
	CHECK(vpn_key_parse(a, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	CHECK_MEM(a, zero, WIRE_KEY_BYTES);
	CHECK(vpn_key_parse(a, "//////////////////////////////////////////8="));
	CHECK_EQ(a[31], 0xff);
	for (unsigned i = 0; i < ARRAY_LEN(bad); i++) {
		memset(a, 0xa5, sizeof(a));
		if (vpn_key_parse(a, bad[i]) || memcmp(a, zero, sizeof(a)) != 0) {
			fprintf(stderr, "  key case %u accepted or not zeroed: \"%s\"\n", i + 1,
				bad[i]);
			CHECK(false);
		}
	}
}

static void test_prefix(void)
{
	static const char *const good[][2] = {
		{"10.0.0.1/24", "10.0.0.1/24"}, {"fd00::1/64", "fd00::1/64"},
		{"10.0.0.1", "10.0.0.1/32"},	{"::/0", "::/0"},
		{"0.0.0.0/0", "0.0.0.0/0"},	{"FD00:0::1/128", "fd00::1/128"},
	};
	static const char *const bad[] = {
		"",	      "/24",	       "10.0.0.1/",    "10.0.0.1/33",
		"fd00::/129", "10.0.0.1/24x",  "10.0.0.1/+4",  " 10.0.0.1/24",
		"10.0.0/24",  "10.0.0.1/0024", "fd00::1/64/1", "example.com/24",
	};
	struct vpn_prefix p;
	char buf[VPN_PREFIX_TEXT_BYTES];

	for (unsigned i = 0; i < ARRAY_LEN(good); i++) {
		CHECK(vpn_prefix_parse(&p, good[i][0]));
		CHECK(prefix_is(&p, good[i][1]));
	}
	for (unsigned i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&p, 0x5a, sizeof(p));
		if (vpn_prefix_parse(&p, bad[i]) || p.family != 0x5a) {
			fprintf(stderr, "  prefix case %u accepted or changed: \"%s\"\n", i + 1,
				bad[i]);
			CHECK(false);
		}
	}
	CHECK(vpn_prefix_parse(&p, "2001:db8:ffff:ffff:ffff:ffff:255.255.255.255/128"));
	vpn_prefix_format(buf, 8, &p); /* truncates, stays terminated */
	CHECK_EQ(strlen(buf), 7);
}

static char dir[] = "/tmp/test_vpn_config.XXXXXX";

static const char *in_dir(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const char *write_file(const char *name, const char *text, size_t len, mode_t mode)
{
	const char *path = in_dir(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return path;
	CHECK_EQ(write(fd, text, len), (long long)len);
	CHECK_EQ(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_load(void)
{
	static const char key_file_config[] = "[Interface]\nPrivateKeyFile = /k\n";
	char err[VPN_ERR_BYTES], want[256];
	const char *path;

	CHECK(mkdtemp(dir) != NULL);
	path = write_file("ok.conf", full_config, strlen(full_config), 0600);
	CHECK_EQ(vpn_config_load(&cfg, path, err), 0);
	check_full(&cfg);

	path = write_file("open.conf", full_config, strlen(full_config), 0644);
	CHECK_EQ(vpn_config_load(&cfg, path, err), -EPERM);
	snprintf(want, sizeof(want), "chmod 600 %s", path);
	CHECK(strstr(err, want) != NULL && strncmp(err, path, strlen(path)) == 0);
	CHECK(!cfg.has_private_key && secret_is_zero(cfg.private_key, WIRE_KEY_BYTES));

	/* No key in the file: its mode is the user's business. */
	path = write_file("keyfile.conf", key_file_config, strlen(key_file_config), 0644);
	CHECK_EQ(vpn_config_load(&cfg, path, err), 0);

	path = write_file("bad.conf", IFACE "MTU = 9000\n", strlen(IFACE "MTU = 9000\n"), 0600);
	CHECK_EQ(vpn_config_load(&cfg, path, err), -EINVAL);
	CHECK(strstr(err, "bad.conf:3: MTU = 9000") != NULL);

	memset(big, '#', VPN_MAX_FILE_BYTES + 1);
	path = write_file("big.conf", big, VPN_MAX_FILE_BYTES + 1, 0600);
	CHECK_EQ(vpn_config_load(&cfg, path, err), -EFBIG);
	CHECK(strstr(err, "too large") != NULL);
	unlink(in_dir("big.conf"));

	CHECK_EQ(vpn_config_load(&cfg, "/nonexistent/drift-vpn.conf", err), -ENOENT);
	CHECK(strstr(err, "/nonexistent/drift-vpn.conf: cannot open") == err);
	CHECK_EQ(vpn_config_load(&cfg, dir, err), -EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);

	unlink(in_dir("ok.conf"));
	unlink(in_dir("open.conf"));
	unlink(in_dir("keyfile.conf"));
	unlink(in_dir("bad.conf"));
	CHECK_EQ(rmdir(dir), 0);
}

static void test_resolve(void)
{
	static const char text[] =
		IFACE PEER_A "Endpoint = 192.0.2.7:1000\n"
			     "[Peer]\nPublicKey = " PUB_B_HEX "\nEndpoint = [fd00::7]:2000\n"
			     "[Peer]\nPublicKey = " PRIV_HEX "\nEndpoint = localhost:3000\n";
	static const uint8_t v4[4] = {192, 0, 2, 7}, lo4[4] = {127, 0, 0, 1};
	uint8_t v6[16] = {0xfd}, lo6[16] = {[15] = 1};
	const struct net_addr *e;
	char err[VPN_ERR_BYTES];

	v6[15] = 7;
	CHECK_EQ(parse(&cfg, text, strlen(text), err), 0);
	CHECK_EQ(vpn_config_resolve(&cfg, err), 0);
	e = &cfg.peers[0].endpoint;
	CHECK(e->family == ADDR_IPV4 && memcmp(e->ip, v4, 4) == 0 && e->port == 1000);
	e = &cfg.peers[1].endpoint;
	CHECK(e->family == ADDR_IPV6 && memcmp(e->ip, v6, 16) == 0 && e->port == 2000);
	e = &cfg.peers[2].endpoint;
	CHECK(e->port == 3000 && ((e->family == ADDR_IPV4 && memcmp(e->ip, lo4, 4) == 0) ||
				  (e->family == ADDR_IPV6 && memcmp(e->ip, lo6, 16) == 0)));

	/* A name the resolver refuses before asking any server. */
	snprintf(cfg.peers[2].endpoint_host, sizeof(cfg.peers[2].endpoint_host), "a..b");
	CHECK(vpn_config_resolve(&cfg, err) < 0);
	CHECK(strstr(err, "test.conf:9: Endpoint = a..b:3000: cannot resolve a..b") == err);
}

int main(void)
{
	test_full_config();
	test_crlf();
	test_warnings();
	test_key_file_no_peers();
	test_long_list();
	test_truncation();
	test_error_table();
	test_generated_errors();
	test_key_parse();
	test_prefix();
	test_load();
	test_resolve();
	return harness_finish();
}
