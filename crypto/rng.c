/* SPDX-License-Identifier: MIT */
/*
 * Secure random bytes for keys, nonces, salts and ticket ids. libsodium
 * reads getrandom() and aborts the process rather than return weak bytes,
 * so there is no error path to handle. No user-space DRBG of our own.
 */
#include "crypto/rng.h"

#include <sodium.h>

void rng_bytes(void *out, size_t len)
{
	randombytes_buf(out, len);
}
