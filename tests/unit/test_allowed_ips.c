/* SPDX-License-Identifier: MIT */
/*
 * dataplane/allowed_ips: the longest-prefix-match trie and the peers-file
 * parser. Fixed cases are tables of prefixes to insert and addresses to
 * look up; the random case checks thousands of clustered prefixes against
 * a linear scan; the parser has a malformed-line table (line number and
 * reason checked) and is run over every truncation of a valid file, each
 * copied into an exact-size buffer so ASan sees any overread.
 */
#include "dataplane/allowed_ips.h"

#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static const char *const case_names[] = {
	[1] = "IPv4 exact and longest match",
	[2] = "IPv6 exact and longest match",
	[3] = "/0 default routes, each family on its own",
	[4] = "overlapping prefixes inside one byte and across bytes",
	[5] = "/32 and /128 host routes",
	[6] = "host bits beyond the length are ignored",
	[7] = "same prefix twice: the later value wins",
	[8] = "compressed paths split where a new prefix leaves them",
	[9] = "bad family or length: -EINVAL, table unchanged",
	[10] = "random clustered prefixes against a linear reference, v4 and v6",
	[11] = "node count stays under 2N + 2 (path compression)",
	[12] = "packet lookup: v4/v6 source and destination, truncated, not IP",
	[13] = "peers file: comments, blank lines, CRLF, tabs, values in file order",
	[14] = "peers file: malformed lines refused with the line and the reason",
	[15] = "peers file: 4096 peers and 64 KiB lines fine, one more refused",
	[16] = "peers file: every truncation of a valid file is safe",
	[17] = "peers file: load from a path; missing, not regular, too large",
	[18] = "peers file: tiny or no error buffer",
};

enum {
	NONE = -1, /* "no match" in the tables below */
};

/* ---- helpers ------------------------------------------------------------------------ */

/* "addr/len" or "addr" (host route) into family, bytes and length. */
static bool parse_text(const char *text, uint8_t *fam, uint8_t ip[16], uint8_t *len)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);

	memcpy(buf, text, n);
	buf[n] = 0;
	*fam = strchr(buf, ':') ? ADDR_IPV6 : ADDR_IPV4;
	memset(ip, 0, 16);
	if (inet_pton(*fam == ADDR_IPV6 ? AF_INET6 : AF_INET, buf, ip) != 1)
		return false;
	*len = slash ? (uint8_t)atoi(slash + 1) : (*fam == ADDR_IPV6 ? 128 : 32);
	return true;
}

static int ins(struct allowed_ips *t, const char *prefix, uint32_t value)
{
	uint8_t fam, ip[16], len;

	if (!parse_text(prefix, &fam, ip, &len)) {
		fprintf(stderr, "  bad test prefix %s\n", prefix);
		return -1;
	}
	return allowed_ips_insert(t, fam, ip, len, value);
}

/* The value an address maps to, or NONE. */
static long look(const struct allowed_ips *t, const char *addr)
{
	uint8_t fam, ip[16], len;
	uint32_t v;
	bool hit;

	if (!parse_text(addr, &fam, ip, &len))
		return -2;
	hit = fam == ADDR_IPV6 ? allowed_ips_lookup6(t, ip, &v) : allowed_ips_lookup4(t, ip, &v);
	return hit ? (long)v : NONE;
}

struct ins_step {
	const char *prefix;
	uint32_t value;
};

struct probe {
	const char *addr;
	long want;
};

static void run_table(int num, const struct ins_step *ins_steps, size_t n_ins,
		      const struct probe *probes, size_t n_probes)
{
	struct allowed_ips t;

	CHECK_EQ(allowed_ips_init(&t), 0);
	for (size_t i = 0; i < n_ins; i++)
		CHECK_EQ(ins(&t, ins_steps[i].prefix, ins_steps[i].value), 0);
	for (size_t i = 0; i < n_probes; i++) {
		long got = look(&t, probes[i].addr);

		if (got != probes[i].want)
			fprintf(stderr, "  case %d (%s): %s -> %ld, want %ld\n", num,
				case_names[num], probes[i].addr, got, probes[i].want);
		CHECK_EQ(got, probes[i].want);
	}
	allowed_ips_fini(&t);
}

#define RUN_TABLE(num, i, p) run_table(num, i, ARRAY_LEN(i), p, ARRAY_LEN(p))

/* ---- fixed tables ------------------------------------------------------------------- */

static void test_tables(void)
{
	static const struct ins_step i1[] = {
		{"10.0.0.0/8", 1}, {"10.1.0.0/16", 2}, {"10.1.2.0/24", 3}, {"192.168.0.0/16", 4}};
	/* The last probe: a v4 table says nothing about v6. */
	static const struct probe p1[] = {
		{"10.0.0.1", 1},	 {"10.1.0.1", 2},    {"10.1.2.3", 3},
		{"10.1.3.3", 2},	 {"10.2.2.3", 1},    {"11.0.0.0", NONE},
		{"9.255.255.255", NONE}, {"192.168.9.9", 4}, {"192.169.0.0", NONE},
		{"10.255.255.255", 1},	 {"fd00::1", NONE},
	};
	static const struct ins_step i2[] = {
		{"fd00::/8", 1}, {"fd00:1::/32", 2}, {"fd00:1:2::/48", 3}, {"2001:db8::/32", 4}};
	static const struct probe p2[] = {
		{"fd00::1", 1}, {"fd00:1::5", 2},   {"fd00:1:2::5", 3},	     {"fd00:1:3::5", 2},
		{"fdff::1", 1}, {"fe00::", NONE},   {"2001:db8:ffff::1", 4}, {"2001:db9::", NONE},
		{"::", NONE},	{"10.0.0.1", NONE},
	};
	static const struct ins_step i3[] = {
		{"0.0.0.0/0", 7}, {"10.0.0.0/8", 1}, {"::/0", 9}, {"fd00::/16", 2}};
	static const struct probe p3[] = {
		{"1.2.3.4", 7}, {"10.9.9.9", 1}, {"255.255.255.255", 7}, {"0.0.0.0", 7},
		{"::1", 9},	{"fd00::9", 2},	 {"ffff::", 9},
	};
	static const struct ins_step i3b[] = {{"::/0", 9}};
	static const struct probe p3b[] = {{"1.2.3.4", NONE}, {"2001::1", 9}};
	static const struct ins_step i4[] = {
		{"128.0.0.0/1", 1},    {"192.0.0.0/2", 2},   {"192.0.0.0/7", 3},
		{"193.0.0.0/8", 4},    {"193.128.0.0/9", 5}, {"193.192.0.0/15", 6},
		{"193.192.0.0/16", 7}, {"0.0.0.0/1", 8},
	};
	static const struct probe p4[] = {
		{"128.0.0.0", 1},   {"191.255.0.0", 1}, {"192.0.0.1", 3},   {"192.255.0.1", 3},
		{"193.0.0.1", 4},   {"193.127.0.1", 4}, {"193.128.0.0", 5}, {"193.192.5.5", 7},
		{"193.193.5.5", 6}, {"193.194.0.0", 5}, {"194.0.0.0", 2},   {"255.255.255.255", 2},
		{"1.1.1.1", 8},
	};
	static const struct ins_step i5[] = {
		{"10.0.0.1/32", 1},	   {"10.0.0.0/24", 2},
		{"fd00::1/128", 3},	   {"fd00::/127", 4},
		{"255.255.255.255/32", 5}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 6},
	};
	static const struct probe p5[] = {
		{"10.0.0.1", 1},
		{"10.0.0.0", 2},
		{"10.0.0.2", 2},
		{"fd00::1", 3},
		{"fd00::", 4},
		{"fd00::2", NONE},
		{"255.255.255.255", 5},
		{"255.255.255.254", NONE},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", NONE},
	};
	static const struct ins_step i6[] = {
		{"10.1.2.3/8", 1},
		{"172.16.99.1/12", 2},
		{"fd00:1:2:3::4/16", 3},
		{"1.2.3.4/0", 4},
	};
	static const struct probe p6[] = {
		{"10.200.0.0", 1},  {"172.31.0.0", 2}, {"172.32.0.0", 4},
		{"fd00:ffff::", 3}, {"fd01::", NONE},  {"9.9.9.9", 4},
	};
	static const struct ins_step i7[] = {
		{"10.0.0.0/8", 1}, {"10.0.0.0/8", 2}, {"10.9.0.0/8", 3}, {"fd00::/64", 4},
		{"fd00::1/64", 5}, {"0.0.0.0/0", 6},  {"0.0.0.0/0", 7},
	};
	static const struct probe p7[] = {{"10.1.1.1", 3}, {"fd00::9", 5}, {"1.1.1.1", 7}};
	/* A /128 alone is one node far below the root; the rest split its edge. */
	static const struct ins_step i8[] = {
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/128", 1},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:0/112", 2},
		{"2001:db8:aaaa:bbbb::/64", 3},
		{"2001:db8:aaaa:bbbc::/64", 4},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeef:1/128", 5},
		{"2001:db8:ab00::/40", 6},
		{"2001:db8::/32", 7},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:100/120", 8},
	};
	static const struct probe p8[] = {
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", 1},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:2", 2},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:101", 8},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeef:1", 5},
		{"2001:db8:aaaa:bbbb:cccc:dddd:eeef:2", 3},
		{"2001:db8:aaaa:bbbb:1::", 3},
		{"2001:db8:aaaa:bbbc:cccc:dddd:eeee:1", 4},
		{"2001:db8:aaaa:bbbd::", 7},
		{"2001:db8:ab12::", 6},
		{"2001:db8:ffff::", 7},
		{"2001:db9::", NONE},
	};

	RUN_TABLE(1, i1, p1);
	RUN_TABLE(2, i2, p2);
	RUN_TABLE(3, i3, p3);
	RUN_TABLE(3, i3b, p3b);
	RUN_TABLE(4, i4, p4);
	RUN_TABLE(5, i5, p5);
	RUN_TABLE(6, i6, p6);
	RUN_TABLE(7, i7, p7);
	RUN_TABLE(8, i8, p8);
}

/* 9 */
static void test_invalid(void)
{
	static const uint8_t ip[16] = {10, 0, 0, 1};
	struct allowed_ips t;

	CHECK_EQ(allowed_ips_init(&t), 0);
	CHECK_EQ(allowed_ips_insert(&t, ADDR_IPV4, ip, 33, 1), -EINVAL);
	CHECK_EQ(allowed_ips_insert(&t, ADDR_IPV6, ip, 129, 1), -EINVAL);
	CHECK_EQ(allowed_ips_insert(&t, ADDR_NONE, ip, 8, 1), -EINVAL);
	CHECK_EQ(allowed_ips_insert(&t, 5, ip, 8, 1), -EINVAL);
	CHECK_EQ(allowed_ips_insert(&t, ADDR_IPV4, NULL, 8, 1), -EINVAL);
	CHECK_EQ(look(&t, "10.0.0.1"), NONE);
	CHECK_EQ(look(&t, "a00::"), NONE);
	CHECK_EQ(allowed_ips_insert(&t, ADDR_IPV4, ip, 32, 1), 0);
	CHECK_EQ(look(&t, "10.0.0.1"), 1);
	allowed_ips_fini(&t);
	allowed_ips_fini(&t); /* twice is fine */
}

/* ---- random against a reference ----------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct ref_prefix {
	uint8_t ip[16];
	uint8_t len;
	uint32_t value;
};

static bool ref_covers(const struct ref_prefix *r, const uint8_t *ip)
{
	for (unsigned bit = 0; bit < r->len; bit++)
		if ((r->ip[bit / 8] ^ ip[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

/* Longest match; among equal prefixes the later insert wins. */
static long ref_lookup(const struct ref_prefix *ref, size_t n, const uint8_t *ip)
{
	long best = NONE;
	int best_len = -1;

	for (size_t i = 0; i < n; i++)
		if (ref[i].len >= best_len && ref_covers(&ref[i], ip)) {
			best_len = ref[i].len;
			best = ref[i].value;
		}
	return best;
}

/* An address near one of a few cluster heads, so prefixes share long paths. */
static void random_addr(uint8_t *ip, unsigned n_bytes, const uint8_t heads[8][16])
{
	const uint8_t *h = heads[rng() % 8];
	unsigned keep = (unsigned)(rng() % (8 * n_bytes + 1));

	for (unsigned i = 0; i < n_bytes; i++)
		ip[i] = (uint8_t)rng();
	for (unsigned bit = 0; bit < keep; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		ip[bit / 8] = (uint8_t)((ip[bit / 8] & ~m) | (h[bit / 8] & m));
	}
}

static unsigned probe_mismatches(const struct allowed_ips *t, const struct ref_prefix *ref,
				 size_t n, unsigned n_bytes, const uint8_t heads[8][16],
				 unsigned n_probes)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n_probes; i++) {
		uint8_t ip[16];
		uint32_t v;
		bool hit;
		long want;

		if (n && i % 2) { /* inside or just beside a prefix inserted earlier */
			const struct ref_prefix *r = &ref[rng() % n];

			memcpy(ip, r->ip, 16);
			for (unsigned bit = r->len ? r->len - 1 : 0; bit < 8 * n_bytes; bit++)
				if (rng() & 1)
					ip[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		} else {
			random_addr(ip, n_bytes, heads);
		}
		want = ref_lookup(ref, n, ip);
		hit = n_bytes == 4 ? allowed_ips_lookup4(t, ip, &v)
				   : allowed_ips_lookup6(t, ip, &v);
		bad += (hit ? (long)v : NONE) != want;
	}
	return bad;
}

/* 10 */
static void test_random(unsigned n_bytes, unsigned n_prefixes)
{
	struct ref_prefix *ref = calloc(n_prefixes, sizeof(*ref));
	uint8_t heads[8][16];
	struct allowed_ips t;
	unsigned bad = 0;

	for (int h = 0; h < 8; h++)
		for (int i = 0; i < 16; i++)
			heads[h][i] = (uint8_t)rng();
	CHECK_EQ(allowed_ips_init(&t), 0);
	for (unsigned i = 0; i < n_prefixes; i++) {
		struct ref_prefix *r = &ref[i];
		uint8_t raw[16] = {0};

		random_addr(raw, n_bytes, heads);
		/* Mostly long prefixes, some short, a few /0 and full-length ones. */
		r->len = (uint8_t)(rng() % 4 ? 8 * n_bytes - rng() % (4 * n_bytes)
					     : rng() % (8 * n_bytes + 1));
		r->value = (uint32_t)rng();
		for (unsigned bit = 0; bit < r->len; bit++)
			r->ip[bit / 8] |= raw[bit / 8] & (0x80 >> (bit % 8));
		CHECK_EQ(allowed_ips_insert(&t, n_bytes == 4 ? ADDR_IPV4 : ADDR_IPV6, raw, r->len,
					    r->value),
			 0);
		if (i % 500 == 499) /* intermediate states must be right as well */
			bad += probe_mismatches(&t, ref, i + 1, n_bytes, heads, 500);
	}
	bad += probe_mismatches(&t, ref, n_prefixes, n_bytes, heads, 5000);
	if (bad)
		fprintf(stderr, "  case 10 (%s): %u mismatches, %u-byte addresses\n",
			case_names[10], bad, n_bytes);
	CHECK_EQ(bad, 0);
	allowed_ips_fini(&t);
	free(ref);
}

/* 11 */
static void test_node_count(void)
{
	for (unsigned n_bytes = 4; n_bytes <= 16; n_bytes += 12) {
		struct allowed_ips t;
		unsigned n = 3000;

		CHECK_EQ(allowed_ips_init(&t), 0);
		for (unsigned i = 0; i < n; i++) {
			uint8_t ip[16];

			for (int b = 0; b < 16; b++)
				ip[b] = (uint8_t)rng();
			CHECK_EQ(allowed_ips_insert(&t, n_bytes == 4 ? ADDR_IPV4 : ADDR_IPV6, ip,
						    (uint8_t)(8 * n_bytes), i),
				 0);
		}
		CHECK(t.n_nodes < 2 * n + 2);
		allowed_ips_fini(&t);
		CHECK_EQ(t.n_nodes, 0);
	}
}

/* ---- packets ------------------------------------------------------------------------ */

/* 12 */
static void test_packets(void)
{
	uint8_t v4[20] = {0x45}, v6[40] = {0x60};
	struct allowed_ips t;
	uint32_t v = 99;

	CHECK_EQ(allowed_ips_init(&t), 0);
	CHECK_EQ(ins(&t, "10.0.0.1/32", 1), 0);
	CHECK_EQ(ins(&t, "10.0.0.2/32", 2), 0);
	CHECK_EQ(ins(&t, "fd00::1/128", 3), 0);
	CHECK_EQ(ins(&t, "fd00::2/128", 4), 0);
	inet_pton(AF_INET, "10.0.0.1", v4 + 12);
	inet_pton(AF_INET, "10.0.0.2", v4 + 16);
	inet_pton(AF_INET6, "fd00::1", v6 + 8);
	inet_pton(AF_INET6, "fd00::2", v6 + 24);

	CHECK(allowed_ips_lookup_packet(&t, v4, sizeof(v4), true, &v) && v == 2);
	CHECK(allowed_ips_lookup_packet(&t, v4, sizeof(v4), false, &v) && v == 1);
	CHECK(allowed_ips_lookup_packet(&t, v6, sizeof(v6), true, &v) && v == 4);
	CHECK(allowed_ips_lookup_packet(&t, v6, sizeof(v6), false, &v) && v == 3);
	/* Truncated, wrong version, empty. */
	CHECK(!allowed_ips_lookup_packet(&t, v4, 19, true, &v));
	CHECK(!allowed_ips_lookup_packet(&t, v6, 39, true, &v));
	CHECK(!allowed_ips_lookup_packet(&t, v6, 20, true, &v)); /* v6 at a v4 length */
	CHECK(!allowed_ips_lookup_packet(&t, NULL, 0, true, &v));
	v4[0] = 0x55;
	CHECK(!allowed_ips_lookup_packet(&t, v4, sizeof(v4), true, &v));
	v4[0] = 0x05;
	CHECK(!allowed_ips_lookup_packet(&t, v4, sizeof(v4), true, &v));
	v6[0] = 0x6f; /* traffic-class bits do not matter */
	CHECK(allowed_ips_lookup_packet(&t, v6, sizeof(v6), true, &v) && v == 4);
	v6[25] = 1; /* fd00:1::2: no route */
	CHECK(!allowed_ips_lookup_packet(&t, v6, sizeof(v6), true, &v));
	CHECK_EQ(v, 4); /* untouched on a miss */
	allowed_ips_fini(&t);
}

/* ---- peers file --------------------------------------------------------------------- */

#define K1 "0101010101010101010101010101010101010101010101010101010101010101"
#define K2 "a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
#define K3 "F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3F3f3"

static const char good_file[] =
	"# drift-vpn peers\n"
	"\n"
	"peer " K1 " 10.0.0.2/32 fd00::2/128   # the laptop\r\n"
	"   \t\n"
	"peer\t" K2 "\t10.0.1.0/24 10.0.1.0/24\tfd00:1::/64\n"
	"peer " K3 "\n"
	"peer 0404040404040404040404040404040404040404040404040404040404040404 "
	"0.0.0.0/0 ::/0";

/* 13 */
static void test_parse_good(void)
{
	struct allowed_ips t;
	struct allowed_ips_peers peers = {0};
	char err[256];
	uint8_t k3[WIRE_KEY_BYTES];

	memset(k3, 0xf3, sizeof(k3));
	CHECK_EQ(allowed_ips_init(&t), 0);
	CHECK_EQ(ins(&t, "192.168.0.0/16", 77), 0); /* replaced by the file's contents */
	CHECK_EQ(
		allowed_ips_parse_peers(&t, &peers, good_file, strlen(good_file), err, sizeof(err)),
		0);
	CHECK_EQ(err[0], 0);
	CHECK_EQ(peers.n, 4);
	CHECK(peers.pub && peers.pub[0][0] == 0x01 && peers.pub[1][31] == 0xa2);
	CHECK_MEM(peers.pub[2], k3, sizeof(k3));
	CHECK_EQ(look(&t, "10.0.0.2"), 0);
	CHECK_EQ(look(&t, "fd00::2"), 0);
	CHECK_EQ(look(&t, "10.0.1.77"), 1);
	CHECK_EQ(look(&t, "fd00:1::77"), 1);
	CHECK_EQ(look(&t, "10.0.0.3"), 3);
	CHECK_EQ(look(&t, "192.168.1.1"), 3);
	CHECK_EQ(look(&t, "2001::1"), 3);
	allowed_ips_peers_free(&peers);
	allowed_ips_peers_free(&peers);
	CHECK(peers.n == 0 && !peers.pub);

	/* An empty file is zero peers and an empty table. */
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, NULL, 0, err, sizeof(err)), 0);
	CHECK_EQ(peers.n, 0);
	CHECK_EQ(look(&t, "10.0.0.2"), NONE);
	allowed_ips_fini(&t);
}

struct bad_line {
	const char *text;
	const char *want; /* a substring of the message */
	size_t len;	  /* 0: strlen(text) */
};

#define NUL_LINE "peer " K1 " 10.0.0.0\0/8\n"

/* 14 */
static void test_parse_bad(void)
{
	static const struct bad_line bad[] = {
		{"bogus " K1 "\n", "line 1: unknown keyword \"bogus\""},
		{"# c\n\nPeer " K1 "\n", "line 3: unknown keyword \"Peer\""},
		{"peer\n", "line 1: peer has no public key"},
		{"peer   # key in a comment " K1 "\n", "line 1: peer has no public key"},
		{"peer zz01010101010101010101010101010101010101010101010101010101010101\n",
		 "line 1: public key \"zz01010101010101010101010101010101010101...\" is not 64 "
		 "hex digits"},
		{"peer 0101\n", "line 1: public key \"0101\" is not 64 hex digits"},
		{"peer " K1 "0\n", "is not 64 hex digits"},
		{"peer " K1 " 10.0.0.2\n", "line 1: prefix \"10.0.0.2\" has no /length"},
		{"peer " K1 " 10.0.0.256/32\n", "prefix \"10.0.0.256/32\" is not an IPv4 or IPv6"},
		{"peer " K1 " 1.2.3/24\n", "prefix \"1.2.3/24\" is not an IPv4 or IPv6"},
		{"peer " K1 " fd00:::1/64\n", "is not an IPv4 or IPv6 address"},
		{"peer " K1 " fe80::1%eth0/128\n", "is not an IPv4 or IPv6 address"},
		{"peer " K1 " 10.0.0.0/33\n", "prefix \"10.0.0.0/33\": the length must be 0-32"},
		{"peer " K1 " fd00::/129\n", "prefix \"fd00::/129\": the length must be 0-128"},
		{"peer " K1 " 10.0.0.0/08\n", "the length must be 0-32"},
		{"peer " K1 " 10.0.0.0/\n", "the length must be 0-32"},
		{"peer " K1 " 10.0.0.0/-1\n", "the length must be 0-32"},
		{"peer " K1 " 10.0.0.0/8/8\n", "the length must be 0-32"},
		{"peer " K1 " 10.0.0.1/24\n",
		 "line 1: prefix \"10.0.0.1/24\" has host bits set (did you mean 10.0.0.0/24?)"},
		{"peer " K1 " fd00::1/64\n", "has host bits set (did you mean fd00::/64?)"},
		{"peer " K1 " 0.0.0.1/0\n", "has host bits set (did you mean 0.0.0.0/0?)"},
		{"peer " K1 "\npeer " K2 "\npeer " K1 "\n",
		 "line 3: public key 0101010101010101... is already the peer on line 1"},
		{"peer " K1 "\n#\npeer " K3 "\npeer " K3 "\n", "line 4: public key F3f3"},
		{"peer " K1 " 10.0.0.0/8\npeer " K2 " 10.0.0.0/8\n",
		 "line 2: prefix \"10.0.0.0/8\" is already given to the peer on line 1"},
		{"peer " K1 " ::/0\npeer " K2 " ::/0\n",
		 "line 2: prefix \"::/0\" is already given"},
		{"peer " K1 " fd00::/16\npeer " K2 " fd00:0::/16\n", "is already given to"},
		{"peer " K1 " 10.0.0.0/8\x01\n", "line 1: control character 0x01 in column 81"},
		{NUL_LINE, "line 1: control character 0x00 in column 79", sizeof(NUL_LINE) - 1},
		{"peer " K1 "\x7f\n", "control character 0x7f"},
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		struct allowed_ips t;
		struct allowed_ips_peers peers = {7, NULL};
		char err[256];
		int rc;

		CHECK_EQ(allowed_ips_init(&t), 0);
		CHECK_EQ(ins(&t, "172.16.0.0/12", 5), 0);
		rc = allowed_ips_parse_peers(&t, &peers, bad[i].text, len, err, sizeof(err));
		if (rc != -1 || !strstr(err, bad[i].want))
			fprintf(stderr, "  case 14 #%zu: rc %d, err \"%s\", want \"%s\"\n", i, rc,
				err, bad[i].want);
		CHECK_EQ(rc, -1);
		CHECK(strstr(err, bad[i].want) != NULL);
		/* Nothing changed: the table and peers are as before. */
		CHECK_EQ(look(&t, "172.16.1.1"), 5);
		CHECK_EQ(look(&t, "10.0.0.0"), NONE);
		CHECK(peers.n == 7 && !peers.pub);
		allowed_ips_fini(&t);
	}
}

/* "peer <key i>" lines, key i the hex of i; returns the text (malloc'd). */
static char *many_peers(unsigned n, size_t *len)
{
	char *text = malloc((size_t)n * 70 + 1), *p = text;

	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, "peer %064x\n", i);
	*len = (size_t)(p - text);
	return text;
}

/* A comment line, a peer line of line_len bytes (spaces at the end), one more peer. */
static char *long_line_file(size_t line_len, size_t *len)
{
	static const char head[] = "# one\npeer " K1, tail[] = "\npeer " K2 " 10.0.0.0/8";
	char *text = malloc(line_len + 200);
	size_t at = strlen(head);

	memcpy(text, head, at);
	memset(text + at, ' ', 6 + line_len - at);
	at = 6 + line_len;
	memcpy(text + at, tail, strlen(tail));
	*len = at + strlen(tail);
	return text;
}

/* 15 */
static void test_parse_limits(void)
{
	struct allowed_ips t;
	struct allowed_ips_peers peers = {0};
	char err[256], *text;
	size_t len;

	CHECK_EQ(allowed_ips_init(&t), 0);
	text = many_peers(ALLOWED_IPS_MAX_PEERS, &len);
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, text, len, err, sizeof(err)), 0);
	CHECK_EQ(peers.n, ALLOWED_IPS_MAX_PEERS);
	allowed_ips_peers_free(&peers);
	free(text);
	text = many_peers(ALLOWED_IPS_MAX_PEERS + 1, &len);
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, text, len, err, sizeof(err)), -1);
	CHECK(strstr(err, "line 4097: more than 4096 peers") != NULL);
	free(text);

	/* A line of exactly 64 KiB (padding spaces) is fine; one byte more is not. */
	text = long_line_file(ALLOWED_IPS_MAX_LINE_BYTES, &len);
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, text, len, err, sizeof(err)), 0);
	CHECK_EQ(peers.n, 2);
	allowed_ips_peers_free(&peers);
	free(text);
	text = long_line_file(ALLOWED_IPS_MAX_LINE_BYTES + 1, &len);
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, text, len, err, sizeof(err)), -1);
	CHECK(strstr(err, "line 2: longer than 65536 bytes") != NULL);
	free(text);
	allowed_ips_fini(&t);
}

/* 16 */
static void test_parse_truncated(void)
{
	size_t full = strlen(good_file);
	unsigned ok = 0;

	for (size_t cut = 0; cut <= full; cut++) {
		char *copy = malloc(cut ? cut : 1), err[256];
		struct allowed_ips t;
		struct allowed_ips_peers peers = {0};
		int rc;

		memcpy(copy, good_file, cut);
		CHECK_EQ(allowed_ips_init(&t), 0);
		rc = allowed_ips_parse_peers(&t, &peers, copy, cut, err, sizeof(err));
		if (rc == 0) {
			ok++;
			CHECK(peers.n <= 4);
		} else {
			CHECK(strncmp(err, "line ", 5) == 0);
			CHECK(peers.n == 0 && !peers.pub);
		}
		allowed_ips_peers_free(&peers);
		allowed_ips_fini(&t);
		free(copy);
	}
	/* At least every cut at a line end, and the whole file, parse. */
	CHECK(ok >= 7);
}

static bool write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* 17 */
static void test_load(void)
{
	char dir[] = "/tmp/test_allowed_ips.XXXXXX", path[64], err[512];
	static const char bad[] = "peer " K1 "\npeer " K2 " 10.0.0.1/8\n";
	struct allowed_ips t;
	struct allowed_ips_peers peers = {0};
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/peers", dir);
	CHECK_EQ(allowed_ips_init(&t), 0);
	CHECK(write_file(path, good_file, strlen(good_file)));
	CHECK_EQ(allowed_ips_load_peers(&t, &peers, path, err, sizeof(err)), 0);
	CHECK_EQ(peers.n, 4);
	CHECK_EQ(look(&t, "fd00:1::1"), 1);
	allowed_ips_peers_free(&peers);

	CHECK(write_file(path, bad, strlen(bad)));
	CHECK_EQ(allowed_ips_load_peers(&t, &peers, path, err, sizeof(err)), -1);
	CHECK(strncmp(err, path, strlen(path)) == 0);
	CHECK(strstr(err, ": line 2: prefix \"10.0.0.1/8\" has host bits set") != NULL);
	CHECK_EQ(look(&t, "fd00:1::1"), 1); /* the table from before stays */

	/* Over 16 MiB (sparse, so the test writes nothing much). */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && ftruncate(fd, ALLOWED_IPS_MAX_FILE_BYTES + 1) == 0);
	close(fd);
	CHECK_EQ(allowed_ips_load_peers(&t, &peers, path, err, sizeof(err)), -1);
	CHECK(strstr(err, "larger than the 16 MiB limit") != NULL);
	unlink(path);

	CHECK_EQ(allowed_ips_load_peers(&t, &peers, path, err, sizeof(err)), -1);
	CHECK(strstr(err, "/peers: cannot open: No such file") != NULL);
	CHECK_EQ(allowed_ips_load_peers(&t, &peers, dir, err, sizeof(err)), -1);
	CHECK(strstr(err, ": not a regular file") != NULL);
	CHECK(peers.n == 0 && !peers.pub);
	rmdir(dir);
	allowed_ips_fini(&t);
}

/* 18 */
static void test_small_err(void)
{
	static const char bad[] = "bogus\n";
	struct allowed_ips t;
	struct allowed_ips_peers peers = {0};
	char err[8];

	CHECK_EQ(allowed_ips_init(&t), 0);
	memset(err, 'x', sizeof(err));
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, bad, strlen(bad), err, sizeof(err)), -1);
	CHECK(strcmp(err, "line 1:") == 0);
	CHECK_EQ(allowed_ips_parse_peers(&t, &peers, bad, strlen(bad), NULL, 0), -1);
	CHECK_EQ(allowed_ips_load_peers(&t, &peers, "/nonexistent/peers", NULL, 0), -1);
	allowed_ips_fini(&t);
}

int main(void)
{
	test_tables();
	test_invalid();
	test_random(4, 3000);
	test_random(16, 3000);
	test_node_count();
	test_packets();
	test_parse_good();
	test_parse_bad();
	test_parse_limits();
	test_parse_truncated();
	test_load();
	test_small_err();
	return harness_finish();
}
