/* SPDX-License-Identifier: MIT */
/*
 * ChaCha20-Poly1305, IETF variant (RFC 8439): 32-byte key, 12-byte nonce,
 * 16-byte tag appended to the ciphertext.
 *
 * Two backends sit behind one interface: OpenSSL EVP and libsodium. A key is
 * expanded once into a struct aead_key (the OpenSSL backend keeps a pre-keyed
 * EVP context there) so the per-packet cost is the cipher alone. The default
 * backend is the faster one on this machine class, measured by
 * perf/aead_bench and recorded in perf/RESULTS.md; DRIFT_AEAD=openssl|sodium
 * in the environment overrides it (read once, in backend_init()).
 *
 * Threads: an aead_key holds mutable cipher state, so one thread at a time
 * may seal or open with it. The dataplane gives every worker its own.
 */
#ifndef DRIFT_CRYPTO_AEAD_H
#define DRIFT_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum aead_size {
	AEAD_KEY_BYTES = 32,
	AEAD_NONCE_BYTES = 12,
	AEAD_TAG_BYTES = 16,
};

enum aead_backend {
	AEAD_BACKEND_DEFAULT = 0, /* whatever aead_default_backend() says */
	AEAD_BACKEND_OPENSSL,
	AEAD_BACKEND_SODIUM,
};

struct aead_key {
	enum aead_backend backend;
	void *evp_ctx;		     /* OpenSSL: pre-keyed EVP_CIPHER_CTX */
	uint8_t key[AEAD_KEY_BYTES]; /* libsodium: raw key */
};

/* The backend AEAD_BACKEND_DEFAULT resolves to. */
enum aead_backend aead_default_backend(void);

/* "openssl" or "sodium". */
const char *aead_backend_name(enum aead_backend b);

/*
 * Expands `key` for `backend`. Returns 0, -ENOMEM if OpenSSL could not
 * allocate or key its context, or -EINVAL for an unknown backend. On error
 * `k` is left zeroed (aead_key_fini() is still safe). The caller wipes its
 * own copy of `key`.
 */
int aead_key_init(struct aead_key *k, const uint8_t key[AEAD_KEY_BYTES], enum aead_backend backend);

/* Wipes the key material and frees backend state. Safe on a zeroed struct. */
void aead_key_fini(struct aead_key *k);

/*
 * out[0 .. pt_len+16) = ciphertext || tag. `out` may equal `pt` (in place);
 * otherwise the buffers must not overlap. Returns 0, or -EINVAL on a length
 * the backend refuses.
 */
int aead_seal(struct aead_key *k, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
	      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out);

/*
 * Verifies and decrypts ct[0 .. ct_len) (ciphertext || tag) into
 * out[0 .. ct_len-16). `out` may equal `ct`. Returns true only if the tag
 * verified; on false `out` holds no plaintext (it is zeroed), and a
 * ct_len below 16 fails without touching `out`.
 *
 * Note: opening in place and failing zeroes the ciphertext too, so a caller
 * that retries with a previous key (rekey grace, WIRE.md §12.2) must open
 * out of place, or keep a copy, for the first attempt.
 */
bool aead_open(struct aead_key *k, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
	       size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out);

/*
 * One-shot forms for the handshake path: expand, seal/open, wipe. They
 * always use libsodium, which needs no allocation, so they cannot fail for
 * want of memory; the handshake path is not throughput-bound.
 */
int aead_seal_once(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		   const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		   uint8_t *out);
bool aead_open_once(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		    const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		    uint8_t *out);

/*
 * Inside crypto/ only: the backend entry points behind the calls above
 * (aead_openssl.c, aead_sodium.c) and the hook backend_init() calls. Same
 * buffer contracts as aead_seal() / aead_open(), but aead.c has already
 * checked the lengths (ct_len >= 16, everything <= INT_MAX) and it, not the
 * backend, zeroes `out` after a failed open.
 */

/* Reads DRIFT_AEAD once. Returns 0, or -EINVAL if it names no backend. */
int aead_init_default(void);

/* A new EVP_CIPHER_CTX keyed for ChaCha20-Poly1305, or NULL. */
void aead_openssl_prefetch(void);
void *aead_openssl_new(const uint8_t key[AEAD_KEY_BYTES]);
void aead_openssl_free(void *evp_ctx);
int aead_openssl_seal(void *evp_ctx, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
		      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out);
bool aead_openssl_open(void *evp_ctx, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
		       size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out);

int aead_sodium_seal(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		     uint8_t *out);
bool aead_sodium_open(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		      const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		      uint8_t *out);

#endif
