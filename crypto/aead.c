/* SPDX-License-Identifier: MIT */
/*
 * The AEAD interface: picks a backend, expands keys, checks lengths once
 * for both backends and enforces the failure contract of aead_open() (no
 * plaintext left behind). The cipher work itself is in aead_openssl.c and
 * aead_sodium.c. Nonce construction (WIRE.md §7.2) belongs to proto/.
 */
#include "crypto/aead.h"

#include "crypto/secret.h"
#include "internal/compiler.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*
 * OpenSSL counts lengths in int; cap both backends at the same value so a
 * length that works on one works on the other. DRIFT packets are < 1400 B.
 */
enum {
	AEAD_MAX_LEN = INT_MAX - AEAD_TAG_BYTES,
};

static inline bool open_lengths_ok(size_t aad_len, size_t ct_len)
{
	return ct_len >= AEAD_TAG_BYTES && ct_len - AEAD_TAG_BYTES <= AEAD_MAX_LEN &&
	       aad_len <= AEAD_MAX_LEN;
}

/*
 * Default backend: OpenSSL. perf/RESULTS.md ("AEAD backends (crypto/)")
 * measured it ahead of libsodium at the DATA packet sizes, about 1.6x at
 * 1024 bytes and 1.3x at 1400, for both seal and open; libsodium wins only
 * for small packets (64 bytes), where OpenSSL's per-call EVP overhead
 * dominates. Re-run perf/aead_bench before changing this. Written only by
 * aead_init_default(), which backend_init() runs once under pthread_once();
 * read-only afterwards.
 */
static enum aead_backend aead_default = AEAD_BACKEND_OPENSSL;

int aead_init_default(void)
{
	const char *env = getenv("DRIFT_AEAD");

	aead_openssl_prefetch(); /* provider loading happens here, not in a handshake */
	if (!env || !*env)
		return 0;
	if (strcmp(env, "openssl") == 0)
		aead_default = AEAD_BACKEND_OPENSSL;
	else if (strcmp(env, "sodium") == 0)
		aead_default = AEAD_BACKEND_SODIUM;
	else
		return -EINVAL;
	return 0;
}

enum aead_backend aead_default_backend(void)
{
	return aead_default;
}

const char *aead_backend_name(enum aead_backend b)
{
	if (b == AEAD_BACKEND_DEFAULT)
		b = aead_default;
	switch (b) {
	case AEAD_BACKEND_OPENSSL:
		return "openssl";
	case AEAD_BACKEND_SODIUM:
		return "sodium";
	case AEAD_BACKEND_DEFAULT:
		break;
	}
	return "unknown";
}

int aead_key_init(struct aead_key *k, const uint8_t key[AEAD_KEY_BYTES], enum aead_backend backend)
{
	memset(k, 0, sizeof(*k));
	if (backend == AEAD_BACKEND_DEFAULT)
		backend = aead_default;

	switch (backend) {
	case AEAD_BACKEND_OPENSSL:
		/* The EVP context holds the only copy; k->key stays zero. */
		k->evp_ctx = aead_openssl_new(key);
		if (!k->evp_ctx)
			return -ENOMEM;
		break;
	case AEAD_BACKEND_SODIUM:
		memcpy(k->key, key, AEAD_KEY_BYTES);
		break;
	default:
		return -EINVAL;
	}
	k->backend = backend;
	return 0;
}

void aead_key_fini(struct aead_key *k)
{
	/* EVP_CIPHER_CTX_free() cleanses the key schedule it holds. */
	if (k->evp_ctx)
		aead_openssl_free(k->evp_ctx);
	secret_wipe(k, sizeof(*k));
}

int aead_seal(struct aead_key *k, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
	      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	if (unlikely(pt_len > AEAD_MAX_LEN || aad_len > AEAD_MAX_LEN))
		return -EINVAL;
	if (k->backend == AEAD_BACKEND_OPENSSL)
		return aead_openssl_seal(k->evp_ctx, nonce, aad, aad_len, pt, pt_len, out);
	if (k->backend == AEAD_BACKEND_SODIUM)
		return aead_sodium_seal(k->key, nonce, aad, aad_len, pt, pt_len, out);
	return -EINVAL;
}

bool aead_open(struct aead_key *k, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
	       size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	bool is_valid = false;

	if (unlikely(!open_lengths_ok(aad_len, ct_len)))
		return false;
	if (k->backend == AEAD_BACKEND_OPENSSL)
		is_valid = aead_openssl_open(k->evp_ctx, nonce, aad, aad_len, ct, ct_len, out);
	else if (k->backend == AEAD_BACKEND_SODIUM)
		is_valid = aead_sodium_open(k->key, nonce, aad, aad_len, ct, ct_len, out);
	/* OpenSSL has written unauthenticated plaintext by the time the tag fails. */
	if (unlikely(!is_valid))
		secret_wipe(out, ct_len - AEAD_TAG_BYTES);
	return is_valid;
}

int aead_seal_once(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		   const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		   uint8_t *out)
{
	/* libsodium keeps no expanded state, so there is nothing to wipe after. */
	if (pt_len > AEAD_MAX_LEN || aad_len > AEAD_MAX_LEN)
		return -EINVAL;
	return aead_sodium_seal(key, nonce, aad, aad_len, pt, pt_len, out);
}

bool aead_open_once(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		    const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		    uint8_t *out)
{
	if (!open_lengths_ok(aad_len, ct_len))
		return false;
	if (!aead_sodium_open(key, nonce, aad, aad_len, ct, ct_len, out)) {
		secret_wipe(out, ct_len - AEAD_TAG_BYTES);
		return false;
	}
	return true;
}
