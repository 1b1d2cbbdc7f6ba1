/* SPDX-License-Identifier: MIT */
/*
 * proto/addr: the text forms of addresses. A table of valid inputs with the
 * address they must give, a table of malformed ones that must be refused
 * without touching the output, round trips through addr_format(), and the
 * cookie's address bytes.
 */
#include "proto/addr.h"

#include "tests/lib/harness.h"

static void test_valid(void)
{
	static const struct {
		const char *text;
		bool allow_placeholder;
		uint8_t family;
		uint16_t port;
		const char *formatted;
	} t[] = {
		/* 1 */ {"127.0.0.1:9000", false, ADDR_IPV4, 9000, "127.0.0.1:9000"},
		/* 2 */ {"0.0.0.0:0", false, ADDR_IPV4, 0, "0.0.0.0:0"},
		/* 3 */ {"0.0.0.0:0", true, ADDR_NONE, 0, "0.0.0.0:0"},
		/* 4 */ {"[::1]:51820", false, ADDR_IPV6, 51820, "[::1]:51820"},
		/* 5 */ {"[::]:0", true, ADDR_NONE, 0, "0.0.0.0:0"},
		/* 6 */ {"[2001:2:77::2]:65535", false, ADDR_IPV6, 65535, "[2001:2:77::2]:65535"},
		/* 7 */ {"198.18.77.2:1", true, ADDR_IPV4, 1, "198.18.77.2:1"},
	};

	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct net_addr a;
		char buf[64];

		if (!addr_parse(&a, t[i].text, t[i].allow_placeholder)) {
			fprintf(stderr, "  case %zu: \"%s\" refused\n", i + 1, t[i].text);
			CHECK(false);
			continue;
		}
		CHECK_EQ(a.family, t[i].family);
		CHECK_EQ(a.port, t[i].port);
		addr_format(buf, sizeof(buf), &a);
		CHECK(strcmp(buf, t[i].formatted) == 0);
	}
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		/* 1 */ "",
		/* 2 */ "127.0.0.1",
		/* 3 */ "127.0.0.1:",
		/* 4 */ "127.0.0.1:65536",
		/* 5 */ "127.0.0.1:-1",
		/* 6 */ "127.0.0.1:80x",
		/* 7 */ "300.0.0.1:80",
		/* 8 */ "localhost:80",
		/* 9 */ "::1:80",
		/* 10 */ "[::1]80",
		/* 11 */ "[::1:80",
		/* 12 */ "[zz::1]:80",
		/* 13 */ "[127.0.0.1]:80",
		/* 14 */ ":80",
		/* 15 */ "1.2.3.4: 80",
		/* 16 */ "[0123456789012345678901234567890123456789012345678901234567890123]:1",
		/* 17 */ "0123456789012345678901234567890123456789012345678901234567890123456:1",
		/* 18 */ "1.2.3.4:+80",
	};
	struct net_addr a, before;

	memset(&a, 0x5a, sizeof(a));
	before = a;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		bool ok = addr_parse(&a, bad[i], true);

		if (ok)
			fprintf(stderr, "  case %zu: \"%s\" accepted\n", i + 1, bad[i]);
		CHECK(!ok);
	}
	CHECK(memcmp(&a, &before, sizeof(a)) == 0);
	CHECK(!addr_parse(&a, NULL, true));
}

static void test_cookie_bytes(void)
{
	struct net_addr a;
	uint8_t out[19];
	static const uint8_t v4[7] = {0x04, 127, 0, 0, 1, 0x23, 0x28};

	CHECK(addr_parse(&a, "127.0.0.1:9000", false));
	CHECK_EQ(addr_cookie_bytes(out, &a), 7);
	CHECK_MEM(out, v4, 7);
	CHECK(addr_parse(&a, "[::1]:9000", false));
	CHECK_EQ(addr_cookie_bytes(out, &a), 19);
	CHECK_EQ(out[0], 0x06);
	CHECK_EQ(out[16], 1);
	CHECK_EQ(out[17], 0x23);
	memset(&a, 0, sizeof(a));
	CHECK_EQ(addr_cookie_bytes(out, &a), 0);
}

int main(void)
{
	test_valid();
	test_malformed();
	test_cookie_bytes();
	return harness_finish();
}
