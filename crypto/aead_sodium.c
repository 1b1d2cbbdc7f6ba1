/* SPDX-License-Identifier: MIT */
/*
 * The libsodium AEAD backend: crypto_aead_chacha20poly1305_ietf_*_detached
 * with the tag written right after the ciphertext, which is DRIFT's layout
 * (WIRE.md §7.3). ChaCha20 has no key schedule, so the raw key is the whole
 * per-key state. Length checks and the zero-on-failure rule are in aead.c.
 */
#include "crypto/aead.h"

#include <errno.h>
#include <sodium.h>

int aead_sodium_seal(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
		     uint8_t *out)
{
	/* In place (out == pt) is supported by libsodium. */
	if (crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + pt_len, NULL, pt, pt_len,
							       aad, aad_len, NULL, nonce, key) != 0)
		return -EINVAL;
	return 0;
}

bool aead_sodium_open(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		      const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
		      uint8_t *out)
{
	size_t len = ct_len - AEAD_TAG_BYTES;

	/* libsodium verifies the tag before it decrypts a single byte. */
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, ct, len, ct + len, aad,
								  aad_len, nonce, key) == 0;
}
