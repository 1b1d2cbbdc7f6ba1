/* SPDX-License-Identifier: MIT */
/*
 * One-time initialisation of the crypto libraries (libsodium, OpenSSL) and
 * the known-answer self-test that daemons run before touching a packet.
 */
#ifndef DRIFT_CRYPTO_BACKEND_H
#define DRIFT_CRYPTO_BACKEND_H

/*
 * Initialises libsodium and OpenSSL and picks the AEAD backend. Idempotent
 * and thread-safe: the work runs once and every call returns its result.
 * Returns 0, -EIO if a library failed to initialise, or -EINVAL if the
 * DRIFT_AEAD environment variable is set to neither "openssl" nor "sodium".
 */
int backend_init(void);

/*
 * Runs the known-answer tests of every primitive and every AEAD backend
 * (RFC 8439, RFC 7748, RFC 7693, SipHash, the WIRE.md KDF vectors).
 * Returns 0, or -EPROTO naming nothing: callers refuse to run.
 */
int backend_selftest(void);

#endif
