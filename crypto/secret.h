/* SPDX-License-Identifier: MIT */
/*
 * Handling of secret bytes: constant-time comparison, zero tests and wiping
 * that the compiler may not elide. Every key, DH result and nonce secret in
 * drift-c is wiped with secret_wipe() on every exit path.
 */
#ifndef DRIFT_CRYPTO_SECRET_H
#define DRIFT_CRYPTO_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* True if the two buffers are equal; time depends only on `len`. */
bool secret_equal(const void *a, const void *b, size_t len);

/* True if every byte is zero; time depends only on `len`. */
bool secret_is_zero(const void *p, size_t len);

/* Overwrites `len` bytes with zeros; never optimised away. NULL-safe. */
void secret_wipe(void *p, size_t len);

#endif
