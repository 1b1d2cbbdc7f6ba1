/* SPDX-License-Identifier: MIT */
/*
 * The OpenSSL AEAD backend: EVP_chacha20_poly1305 with one EVP_CIPHER_CTX
 * keyed at aead_key_init() time. Per packet we only install the nonce (and
 * the direction), which re-arms Poly1305 without a cipher lookup or key
 * setup. OpenSSL 3.0 still spends ~400 ns per call in EVP dispatch, which
 * is why libsodium wins on small packets (perf/RESULTS.md). Length checks
 * and the zero-on-failure rule are in aead.c.
 */
#include "crypto/aead.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>

/*
 * Fetched once: the legacy EVP_chacha20_poly1305() getter makes OpenSSL 3
 * look the algorithm up in its provider store on every key setup, and the
 * first lookup loads the default provider (milliseconds), which would land
 * on the first handshake.
 */
static EVP_CIPHER *chacha_cipher;
static pthread_once_t chacha_once = PTHREAD_ONCE_INIT;

static void fetch_cipher(void)
{
	chacha_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
}

void aead_openssl_prefetch(void)
{
	pthread_once(&chacha_once, fetch_cipher);
}

void *aead_openssl_new(const uint8_t key[AEAD_KEY_BYTES])
{
	EVP_CIPHER_CTX *ctx;

	aead_openssl_prefetch();
	if (!chacha_cipher || !(ctx = EVP_CIPHER_CTX_new()))
		return NULL;
	/* enc = 1 only to have a direction; every call re-selects it with its nonce. */
	if (EVP_CipherInit_ex(ctx, chacha_cipher, NULL, key, NULL, 1) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void aead_openssl_free(void *evp_ctx)
{
	EVP_CIPHER_CTX_free(evp_ctx);
}

/* Arms the context for one message: nonce, direction, then the AAD. */
static bool start(EVP_CIPHER_CTX *ctx, const uint8_t nonce[AEAD_NONCE_BYTES], int enc,
		  const uint8_t *aad, size_t aad_len)
{
	int n;

	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc) != 1)
		return false;
	return aad_len == 0 || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1;
}

int aead_openssl_seal(void *evp_ctx, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
		      size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = evp_ctx;
	int n;

	if (!start(ctx, nonce, 1, aad, aad_len))
		return -EINVAL;
	/* ChaCha20 is a stream cipher: Update writes all pt_len bytes, Final none. */
	if (pt_len > 0 && EVP_CipherUpdate(ctx, out, &n, pt, (int)pt_len) != 1)
		return -EINVAL;
	if (EVP_CipherFinal_ex(ctx, out + pt_len, &n) != 1)
		return -EINVAL;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_BYTES, out + pt_len) != 1)
		return -EINVAL;
	return 0;
}

bool aead_openssl_open(void *evp_ctx, const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
		       size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = evp_ctx;
	size_t len = ct_len - AEAD_TAG_BYTES;
	const uint8_t *tag = ct + len;
	uint8_t none[AEAD_TAG_BYTES]; /* Final writes no bytes, and `out` may be NULL if len is 0 */
	int n;

	if (!start(ctx, nonce, 0, aad, aad_len))
		return false;
	/* The expected tag must be in place before Final compares it; OpenSSL only reads it. */
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_BYTES, (void *)tag) != 1)
		return false;
	if (len > 0 && EVP_CipherUpdate(ctx, out, &n, ct, (int)len) != 1)
		return false;
	/* Final is where the tag is checked (in constant time, by OpenSSL). */
	return EVP_CipherFinal_ex(ctx, none, &n) == 1;
}
