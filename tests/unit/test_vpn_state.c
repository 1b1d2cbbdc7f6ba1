/* SPDX-License-Identifier: MIT */
/*
 * tools/vpn_state: the state file `drift-vpn down` takes its pids from.
 * A formatted state parses back to itself; a numbered table of malformed
 * lines (pids out of range, pid 1, negative numbers, trailing tokens,
 * short keys, bad endpoints, unknown keys, NUL bytes) is refused whole;
 * and every truncation of a valid file parses or is refused without harm.
 */
#include "tools/vpn_state.h"

#include "tests/lib/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct vpn_state a, b;

static void fill(struct vpn_state *s, uint32_t peers)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->config_path, sizeof(s->config_path), "/etc/drift/dv0.conf");
	s->dp_pid = 4242;
	s->driftd_pid = 4243;
	s->listen_port = 51820;
	memset(s->self_pub, 0xa5, sizeof(s->self_pub));
	s->n_peers = peers;
	for (uint32_t i = 0; i < peers; i++) {
		memset(s->peers[i].pub, (int)i + 1, WIRE_KEY_BYTES);
		snprintf(s->peers[i].endpoint, sizeof(s->peers[i].endpoint),
			 i % 2 ? "-" : "[fd00::%x]:51820", i);
		s->peers[i].keepalive_s = (uint16_t)(i * 7);
	}
}

static void test_round_trip(void)
{
	static char text[4096 + 160 * VPN_MAX_PEERS];
	size_t len;

	for (uint32_t peers = 0; peers <= VPN_MAX_PEERS; peers += VPN_MAX_PEERS / 4) {
		fill(&a, peers);
		len = vpn_state_format(&a, text, sizeof(text));
		CHECK(len > 0 && len < sizeof(text));
		CHECK_EQ(vpn_state_parse(&b, text, len), 0);
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
}

static const char *const bad[] = {
	/* 1 */ "dp_pid 1\n",
	/* 2 */ "dp_pid 0\n",
	/* 3 */ "dp_pid -5\n",
	/* 4 */ "dp_pid 4194305\n",
	/* 5 */ "dp_pid 12 13\n",
	/* 6 */ "dp_pid 12x\n",
	/* 7 */ "driftd_pid\n",
	/* 8 */ "listen_port 0\n",
	/* 9 */ "listen_port 65536\n",
	/* 10 */ "public_key abcd\n",
	/* 11 */ "peer 0101010101010101010101010101010101010101010101010101010101010101 - 70000\n",
	/* 12 */ "peer 0101010101010101010101010101010101010101010101010101010101010101 -\n",
	/* 13 */ "peer 01 - 0\n",
	/* 14 */ "peer 0101010101010101010101010101010101010101010101010101010101010101 a;b 0\n",
	/* 15 */
	"peer 0101010101010101010101010101010101010101010101010101010101010101 - 0 extra\n",
	/* 16 */ "colour blue\n",
	/* 17 */ "config \n",
	/* 18 */ " dp_pid 12\n",
	/* 19 */ "dp_pid +12\n",
	/* 20 */ "dp_pid 12\ndp_pid 13\n",
	/* 21 */ "config /a/longer/path\nconfig /a\n",
	/* 22 */ "listen_port 1\nlisten_port 2\n",
};

static void test_malformed(void)
{
	char text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool ok = vpn_state_parse(&b, bad[i], strlen(bad[i])) == -EINVAL;

		if (!ok)
			fprintf(stderr, "case %zu accepted: %s", i + 1, bad[i]);
		CHECK(ok);
		CHECK_EQ(b.dp_pid, 0);
	}
	/* A NUL byte anywhere is refused. */
	memcpy(text, "dp_pid 12\0\n", 11);
	CHECK_EQ(vpn_state_parse(&b, text, 11), -EINVAL);
	/* Too many peers. */
	{
		static char many[200 * (VPN_MAX_PEERS + 2)];
		size_t len = 0;

		for (uint32_t i = 0; i <= VPN_MAX_PEERS; i++)
			len += (size_t)snprintf(many + len, sizeof(many) - len, "peer %064x - 0\n",
						i);
		CHECK_EQ(vpn_state_parse(&b, many, len), -EINVAL);
	}
	/* A line longer than any valid one. */
	{
		static char longl[VPN_STATE_PATH_BYTES + 200];

		memset(longl, 'a', sizeof(longl));
		memcpy(longl, "config ", 7);
		CHECK_EQ(vpn_state_parse(&b, longl, sizeof(longl)), -EINVAL);
	}
}

static void test_truncations(void)
{
	static char text[4096 + 160 * 4];
	size_t len;

	fill(&a, 3);
	len = vpn_state_format(&a, text, sizeof(text));
	for (size_t n = 0; n <= len; n++) {
		int rc = vpn_state_parse(&b, text, n);

		CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			CHECK(b.n_peers <= 3);
	}
}

int main(void)
{
	test_round_trip();
	test_malformed();
	test_truncations();
	return harness_finish();
}
