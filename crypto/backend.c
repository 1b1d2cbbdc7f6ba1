/* SPDX-License-Identifier: MIT */
/*
 * Start-up for crypto/: initialise libsodium and OpenSSL once, pick the
 * AEAD backend (DRIFT_AEAD), and the known-answer self-test that daemons run
 * before they touch a packet. The self-test is deliberately compact, one or
 * two published or WIRE.md vectors per primitive; tests/unit/ holds the
 * exhaustive versions. It does not time anything or choose backends by speed.
 */
#include "crypto/backend.h"

#include "crypto/aead.h"
#include "crypto/blake2b.h"
#include "crypto/kdf.h"
#include "crypto/secret.h"
#include "crypto/siphash.h"
#include "crypto/x25519.h"
#include "crypto/xeddsa.h"
#include "internal/compiler.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t backend_once = PTHREAD_ONCE_INIT;
/* Written once inside pthread_once(), which orders it before every reader. */
static int backend_init_rc;

static void init_once(void)
{
	/* sodium_init() returns 1 when already initialised by someone else. */
	if (sodium_init() < 0 || OPENSSL_init_crypto(0, NULL) != 1) {
		backend_init_rc = -EIO;
		return;
	}
	backend_init_rc = aead_init_default();
}

int backend_init(void)
{
	if (pthread_once(&backend_once, init_once) != 0)
		return -EIO;
	return backend_init_rc;
}

/* Decodes exactly `len` bytes of hex; the tables below are ours, so a bad one is a bug. */
static bool unhex(uint8_t *out, size_t len, const char *hex)
{
	if (strlen(hex) != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* True if `got` equals the hex string `want`. */
static bool equal_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t buf[160];

	return len <= sizeof(buf) && unhex(buf, len, want) && memcmp(got, buf, len) == 0;
}

/* RFC 7693 Appendix A, and H8 of a WIRE.md peer id (vectors.txt peer_id_examples). */
static bool test_blake2b(void)
{
	uint8_t out[64], pub[32];

	blake2b_hash(out, 64, "abc", 3);
	if (!equal_hex(out, 64,
		       "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
		       "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"))
		return false;
	if (!unhex(pub, 32, "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13"))
		return false;
	kdf_peer_id(out, pub);
	return equal_hex(out, 8, "a0ad9eef2a0d64cb");
}

/* vectors.txt cookie_mac: WIRE.md §10.2 input for 127.0.0.1:9000. */
static bool test_siphash(void)
{
	static const char *const parts[] = {
		"047f0000012328",
		"7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13",
		"7b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14",
		"55555555555555555555555555555555",
		"000000006553f100",
	};
	uint8_t msg[128], key[16], mac[16];
	size_t len = strlen("drift-dos-cookie-v1");

	memcpy(msg, "drift-dos-cookie-v1", len);
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t n = strlen(parts[i]) / 2;

		if (!unhex(msg + len, n, parts[i]))
			return false;
		len += n;
	}
	if (!unhex(key, 16, "000102030405060708090a0b0c0d0e0f"))
		return false;
	siphash13_128(mac, key, msg, len);
	return equal_hex(mac, 16, "9b769722d13f1b39f75abf9eae133254");
}

/* RFC 7748 §6.1 (Alice and Bob), and the all-zero result of a low-order point. */
static bool test_x25519(void)
{
	uint8_t a[32], b_pub[32], out[32], zero[32] = {0};
	bool is_ok = false;

	if (!unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a") ||
	    !unhex(b_pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
		goto out;
	x25519_public(out, a);
	if (!equal_hex(out, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
		goto out;
	if (!x25519_shared(out, a, b_pub) ||
	    !equal_hex(out, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"))
		goto out;
	is_ok = !x25519_shared(out, a, zero);
out:
	secret_wipe(a, sizeof(a));
	secret_wipe(out, sizeof(out));
	return is_ok;
}

/* vectors.txt session_key_v2 and hs_cids. */
static bool test_kdf(void)
{
	uint8_t sdh[32], edh[32], cn[16], sn[16], k[32];
	uint16_t init_cid, resp_cid;

	if (!unhex(sdh, 32, "9e004098efc091d4ec2663b4e9f5cfd4d7064571690b4bea97ab146ab9f35056") ||
	    !unhex(edh, 32, "3c528e9fd39731b15d10de8feb5f71d3f65b73c993581dedb03315a9ed177730"))
		return false;
	memset(cn, 0x55, sizeof(cn));
	memset(sn, 0x66, sizeof(sn));
	kdf_session_key(k, sdh, edh, cn, sn);
	if (!equal_hex(k, 32, "92bcd590603b030e151a70e8f2b6a68ef51f1d516c3678313681e38a999cd346"))
		return false;
	kdf_cids(&init_cid, &resp_cid, k);
	return init_cid == 0x7969 && resp_cid == 0x519f;
}

/* RFC 8439 §2.8.2 seal and open, then a flipped tag bit must fail. */
static bool test_aead_backend(enum aead_backend backend)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	static const char want[] =
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca96712"
		"82fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
		"fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
		"1ae10b594f09e26a7e902ecbd0600691";
	const size_t len = sizeof(pt) - 1;
	uint8_t key[32], nonce[12], aad[12], ct[sizeof(pt) - 1 + 16], back[sizeof(pt) - 1];
	struct aead_key k;
	bool is_ok = false;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	if (!unhex(nonce, 12, "070000004041424344454647") ||
	    !unhex(aad, 12, "50515253c0c1c2c3c4c5c6c7"))
		return false;
	if (aead_key_init(&k, key, backend) != 0)
		return false;
	if (aead_seal(&k, nonce, aad, sizeof(aad), (const uint8_t *)pt, len, ct) != 0 ||
	    !equal_hex(ct, sizeof(ct), want))
		goto out;
	if (!aead_open(&k, nonce, aad, sizeof(aad), ct, sizeof(ct), back) ||
	    memcmp(back, pt, len) != 0)
		goto out;
	ct[len] ^= 1;
	is_ok = !aead_open(&k, nonce, aad, sizeof(aad), ct, sizeof(ct), back);
out:
	aead_key_fini(&k);
	return is_ok;
}

/* Ed25519's base point is the image of u = 9; a signature verifies and a changed one does not. */
static bool test_xeddsa(void)
{
	uint8_t nine[32] = {9}, ed[32], secret[32], pub[32], z[64], sig[64];
	static const uint8_t msg[] = "drift selftest";

	if (!xeddsa_edwards_public(ed, nine) ||
	    !equal_hex(ed, 32, "5866666666666666666666666666666666666666666666666666666666666666"))
		return false;
	memset(secret, 0x11, sizeof(secret));
	memset(z, 0x5a, sizeof(z));
	x25519_public(pub, secret);
	xeddsa_sign_with_random(sig, secret, msg, sizeof(msg), z);
	secret_wipe(secret, sizeof(secret));
	if (!xeddsa_verify(sig, pub, msg, sizeof(msg)))
		return false;
	sig[0] ^= 1;
	return !xeddsa_verify(sig, pub, msg, sizeof(msg));
}

int backend_selftest(void)
{
	if (backend_init() != 0)
		return -EPROTO;
	if (!test_blake2b() || !test_siphash() || !test_x25519() || !test_kdf() ||
	    !test_aead_backend(AEAD_BACKEND_OPENSSL) || !test_aead_backend(AEAD_BACKEND_SODIUM) ||
	    !test_xeddsa())
		return -EPROTO;
	return 0;
}
