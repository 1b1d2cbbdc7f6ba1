/* SPDX-License-Identifier: MIT */
/*
 * One-time initialisation of the crypto libraries (libsodium, OpenSSL) and
 * the known-answer self-test that daemons run before touching a packet.
 */
#ifndef DRIFT_CRYPTO_BACKEND_H
#define DRIFT_CRYPTO_BACKEND_H

/*
 * Initialises libsodium and OpenSSL and picks the AEAD backend. Idempotent
 * and thread-safe. Returns 0, or -EIO if a library failed to initialise.
 */
int backend_init(void);

/*
 * Runs the known-answer tests of every primitive and every AEAD backend
 * (RFC 8439, RFC 7748, RFC 7693, SipHash, the WIRE.md KDF vectors).
 * Returns 0, or -EPROTO naming nothing: callers refuse to run.
 */
int backend_selftest(void);

#endif
