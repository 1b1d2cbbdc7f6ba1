/* SPDX-License-Identifier: MIT */
/*
 * Secure random bytes (the kernel's getrandom through libsodium). There is
 * no failure path: libsodium aborts rather than return weak bytes.
 */
#ifndef DRIFT_CRYPTO_RNG_H
#define DRIFT_CRYPTO_RNG_H

#include <stddef.h>

/* Fills `out` with `len` random bytes. backend_init() must have succeeded. */
void rng_bytes(void *out, size_t len);

#endif
