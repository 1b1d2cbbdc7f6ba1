/* SPDX-License-Identifier: MIT */
/*
 * proto/cookie: the stateless DoS cookie (WIRE.md §10). The known-answer
 * MAC (vectors block cookie_mac over the HELLO fields of block
 * session_key_v2), the graded verdicts of cookie_check() including the
 * future-timestamp fix (§24 Q9), secret rotation, every field the MAC binds,
 * and the IPv6 address encoding.
 */
#include "proto/cookie.h"

#include "crypto/backend.h"
#include "crypto/siphash.h"
#include "internal/bytes.h"
#include "tests/lib/harness.h"

enum {
	TS = 1700000000,
	MAX_AGE = 60,
};

static uint8_t static_pub[32], eph_pub[32], nonce[16], secret[32];
static struct net_addr addr4;

static void load_inputs(void)
{
	CHECK_EQ(vectors_bytes("session_key_v2", "out.client_static_pub", static_pub, 32), 32);
	CHECK_EQ(vectors_bytes("session_key_v2", "out.client_ephemeral_pub", eph_pub, 32), 32);
	CHECK_EQ(vectors_bytes("session_key_v2", "in.client_nonce", nonce, 16), 16);
	CHECK_EQ(vectors_bytes("cookie_mac", "in.secret", secret, 32), 32);
	CHECK(addr_parse(&addr4, "127.0.0.1:9000", false));
}

static struct cookie_input input_for(const struct net_addr *from)
{
	struct cookie_input in = {from, static_pub, eph_pub, nonce};

	return in;
}

static void secrets_with(struct cookie_secrets *s, uint8_t fill)
{
	memset(s, 0, sizeof(*s));
	memset(s->current, fill, sizeof(s->current));
}

/* 1: the vector MAC, the address bytes, and the cookie inside the CHALLENGE. */
static void test_vector(void)
{
	uint8_t want_mac[16], want_addr[19], addr_bytes[19], mac[16], cookie[24];
	uint8_t challenge[128];
	struct cookie_input in = input_for(&addr4);
	struct cookie_secrets s;
	long n;

	CHECK_EQ(vectors_bytes("cookie_mac", "out.mac", want_mac, 16), 16);
	n = vectors_bytes("cookie_mac", "in.addr_bytes", want_addr, sizeof(want_addr));
	CHECK_EQ(n, 7);
	CHECK_EQ(addr_cookie_bytes(addr_bytes, &addr4), 7);
	CHECK_MEM(addr_bytes, want_addr, 7);

	cookie_mac(mac, secret, &in, TS);
	CHECK_MEM(mac, want_mac, 16);

	memset(&s, 0, sizeof(s));
	memcpy(s.current, secret, 32);
	cookie_make(cookie, &s, &in, TS);
	CHECK_EQ(load_be64(cookie), TS);
	CHECK_MEM(cookie + 8, want_mac, 16);
	n = vectors_bytes("cookie_mac", "out.challenge_wire", challenge, sizeof(challenge));
	CHECK_EQ(n, 36 + 24);
	CHECK_MEM(challenge + 36, cookie, 24);
	CHECK_EQ(cookie_check(&s, &in, cookie, TS, MAX_AGE), COOKIE_VALID);
}

/* 2-8: the verdict against the age of the cookie (max age 60 s). */
static void test_ages(void)
{
	static const struct {
		int64_t now_minus_ts;
		enum cookie_verdict want;
	} t[] = {
		/* 2 */ {0, COOKIE_VALID},
		/* 3 */ {1, COOKIE_VALID},
		/* 4 */ {MAX_AGE, COOKIE_VALID},
		/* 5 */ {MAX_AGE + 1, COOKIE_EXPIRED},
		/* 6 */ {86400, COOKIE_EXPIRED},
		/* 7 */ {-1, COOKIE_FUTURE}, /* Q9: the reference saturates and accepts */
		/* 8 */ {-3600, COOKIE_FUTURE},
	};
	struct cookie_input in = input_for(&addr4);
	struct cookie_secrets s;
	uint8_t cookie[24];

	secrets_with(&s, 0x31);
	cookie_make(cookie, &s, &in, TS);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		uint64_t now = (uint64_t)((int64_t)TS + t[i].now_minus_ts);
		enum cookie_verdict v = cookie_check(&s, &in, cookie, now, MAX_AGE);

		if (v != t[i].want)
			fprintf(stderr, "  age case %zu: verdict %d, want %d\n", i + 2, v,
				t[i].want);
		CHECK_EQ(v, t[i].want);
	}
	/* 9: no cookie at all. */
	CHECK_EQ(cookie_check(&s, &in, NULL, TS, MAX_AGE), COOKIE_MISSING);
}

/* 10: a MAC of the previous secret survives one rotation, not two. */
static void test_rotation(void)
{
	struct cookie_input in = input_for(&addr4);
	struct cookie_secrets s;
	uint8_t cookie[24], fresh[32], after_one[24];

	secrets_with(&s, 0x41);
	cookie_make(cookie, &s, &in, TS);
	memset(fresh, 0x42, sizeof(fresh));
	cookie_rotate(&s, fresh, 1000);
	CHECK(s.has_previous);
	CHECK_EQ(s.rotated_ms, 1000);
	CHECK_EQ(cookie_check(&s, &in, cookie, TS + 10, MAX_AGE), COOKIE_VALID);
	cookie_make(after_one, &s, &in, TS + 10);
	CHECK(memcmp(after_one + 8, cookie + 8, 16) != 0);
	memset(fresh, 0x43, sizeof(fresh));
	cookie_rotate(&s, fresh, 31000);
	CHECK_EQ(cookie_check(&s, &in, cookie, TS + 20, MAX_AGE), COOKIE_BAD_MAC);
	CHECK_EQ(cookie_check(&s, &in, after_one, TS + 20, MAX_AGE), COOKIE_VALID);
}

/* 11-18: every bound field, changed alone, breaks the MAC. */
static void test_bindings(void)
{
	struct cookie_secrets s;
	uint8_t cookie[24], other_static[32], other_eph[32], other_nonce[16], bad[24];
	struct net_addr other_ip, other_port;
	struct cookie_input base = input_for(&addr4);

	secrets_with(&s, 0x51);
	cookie_make(cookie, &s, &base, TS);
	memcpy(other_static, static_pub, 32);
	other_static[31] ^= 1;
	memcpy(other_eph, eph_pub, 32);
	other_eph[0] ^= 0x80;
	memcpy(other_nonce, nonce, 16);
	other_nonce[7] ^= 4;
	CHECK(addr_parse(&other_ip, "127.0.0.2:9000", false));
	CHECK(addr_parse(&other_port, "127.0.0.1:9001", false));

	const struct {
		struct cookie_input in;
	} t[] = {
		/* 11 */ {{&other_ip, static_pub, eph_pub, nonce}},
		/* 12 */ {{&other_port, static_pub, eph_pub, nonce}},
		/* 13 */ {{&addr4, other_static, eph_pub, nonce}},
		/* 14 */ {{&addr4, static_pub, other_eph, nonce}},
		/* 15 */ {{&addr4, static_pub, eph_pub, other_nonce}},
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		CHECK_EQ(cookie_check(&s, &t[i].in, cookie, TS, MAX_AGE), COOKIE_BAD_MAC);

	/* 16: a timestamp moved (still in range) no longer matches its MAC. */
	memcpy(bad, cookie, 24);
	store_be64(bad, TS - 5);
	CHECK_EQ(cookie_check(&s, &base, bad, TS, MAX_AGE), COOKIE_BAD_MAC);
	/* 17: one MAC bit. */
	memcpy(bad, cookie, 24);
	bad[23] ^= 1;
	CHECK_EQ(cookie_check(&s, &base, bad, TS, MAX_AGE), COOKIE_BAD_MAC);
	/* 18: another server's secret. */
	secrets_with(&s, 0x52);
	CHECK_EQ(cookie_check(&s, &base, cookie, TS, MAX_AGE), COOKIE_BAD_MAC);
}

/* 19-21: IPv6 sources: 0x06 || 16 address bytes || port BE, and the MAC over exactly that. */
static void test_ipv6(void)
{
	static const char label[] = "drift-dos-cookie-v1";
	uint8_t bytes[19], want[19] = {0x06, 0x20, 0x01, 0x0d, 0xb8};
	uint8_t msg[19 + 19 + 64 + 16 + 8], mac[16], ref[16], cookie[24];
	struct net_addr a6, v4_lookalike;
	struct cookie_input in = input_for(&a6);
	struct cookie_input in4 = input_for(&v4_lookalike);
	struct cookie_secrets s;
	size_t n = 0;

	CHECK(addr_parse(&a6, "[2001:db8::7]:443", false));
	want[16] = 0x07;
	want[17] = 0x01;
	want[18] = 0xbb;
	CHECK_EQ(addr_cookie_bytes(bytes, &a6), 19);
	CHECK_MEM(bytes, want, 19);

	/* 20: the MAC input built by hand from WIRE.md §10.2. */
	memcpy(msg, label, sizeof(label) - 1);
	n += sizeof(label) - 1;
	memcpy(msg + n, want, 19);
	n += 19;
	memcpy(msg + n, static_pub, 32);
	n += 32;
	memcpy(msg + n, eph_pub, 32);
	n += 32;
	memcpy(msg + n, nonce, 16);
	n += 16;
	store_be64(msg + n, TS);
	n += 8;
	siphash13_128(ref, secret, msg, n);
	cookie_mac(mac, secret, &in, TS);
	CHECK_MEM(mac, ref, 16);

	/* 21: valid for the v6 source only, not a v4 address with the same leading bytes. */
	memset(&s, 0, sizeof(s));
	memcpy(s.current, secret, 32);
	cookie_make(cookie, &s, &in, TS);
	CHECK_EQ(cookie_check(&s, &in, cookie, TS, MAX_AGE), COOKIE_VALID);
	memset(&v4_lookalike, 0, sizeof(v4_lookalike));
	v4_lookalike.family = ADDR_IPV4;
	memcpy(v4_lookalike.ip, a6.ip, 4);
	v4_lookalike.port = 443;
	CHECK_EQ(cookie_check(&s, &in4, cookie, TS, MAX_AGE), COOKIE_BAD_MAC);
}

int main(void)
{
	if (backend_init() != 0)
		return 1;
	load_inputs();
	test_vector();
	test_ages();
	test_rotation();
	test_bindings();
	test_ipv6();
	return harness_finish();
}
