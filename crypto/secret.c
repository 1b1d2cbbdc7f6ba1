/* SPDX-License-Identifier: MIT */
/*
 * Constant-time comparison, zero tests and wiping of secret bytes. Thin
 * wrappers over libsodium, whose versions are written so that neither the
 * compiler nor the branch predictor learns the data; this module adds only
 * NULL-safety and our naming. It does not lock or guard memory pages.
 */
#include "crypto/secret.h"

#include <sodium.h>

bool secret_equal(const void *a, const void *b, size_t len)
{
	/* sodium_memcmp() returns 0 or -1 after touching every byte. */
	return sodium_memcmp(a, b, len) == 0;
}

bool secret_is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

void secret_wipe(void *p, size_t len)
{
	/* Cleanup paths call this on buffers that may never have been set up. */
	if (!p || !len)
		return;
	sodium_memzero(p, len);
}
