/* SPDX-License-Identifier: MIT */
/*
 * drift.h - the public C API of libdrift (drift-c's embedded mode).
 *
 * Source-compatible with the C ABI of the original DRIFT project: the same
 * type names, function names, argument order and result codes, so a C
 * program written against DRIFT's header compiles against this one
 * unchanged and links with -ldrift (pkg-config: drift).
 *
 * Ownership: every handle returned by a *_generate / *_from_secret call is
 * released with the matching *_free call, which accepts NULL.
 *
 * Threads: an identity handle may be read (public key, peer id) from any
 * number of threads at once; freeing it must not race with any other use.
 */
#ifndef DRIFT_H
#define DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these. The values are part of the ABI. */
enum DriftResult {
	DRIFT_OK = 0,
	DRIFT_ERR_INVALID_ADDR = 1,
	DRIFT_ERR_UNKNOWN_PEER = 2,
	DRIFT_ERR_AUTH_FAILED = 3,
	DRIFT_ERR_PACKET_TOO_SHORT = 4,
	DRIFT_ERR_SESSION_EXHAUSTED = 5,
	DRIFT_ERR_HANDSHAKE_EXHAUSTED = 6,
	DRIFT_ERR_QUEUE_FULL = 7,
	DRIFT_ERR_TIMEOUT = 8,
	DRIFT_ERR_IO = 9,
	DRIFT_ERR_INVALID_ARGUMENT = 10,
	DRIFT_ERR_INTERNAL = 99,
};

/* An X25519 key pair: the node's long-term identity. Opaque. */
struct DriftIdentity;

/*
 * A fresh random identity, or NULL if the library could not initialise its
 * crypto (the random source or a failed self-test). Free with
 * drift_identity_free().
 */
struct DriftIdentity *drift_identity_generate(void);

/*
 * The identity whose X25519 secret is the 32 bytes at `secret` (stored
 * unclamped, as DRIFT key files hold it). NULL if `secret` is NULL.
 * The caller keeps ownership of `secret` and should wipe it.
 */
struct DriftIdentity *drift_identity_from_secret(const uint8_t *secret);

/* Writes the 32-byte public key to `out`. DRIFT_ERR_INVALID_ARGUMENT on NULL. */
enum DriftResult drift_identity_public_key(const struct DriftIdentity *id, uint8_t *out);

/*
 * Writes the 8-byte peer id (BLAKE2b-64 of "drift-peer-id-v1" || public
 * key) to `out`. DRIFT_ERR_INVALID_ARGUMENT on NULL.
 */
enum DriftResult drift_identity_peer_id(const struct DriftIdentity *id, uint8_t *out);

/* Wipes the secret and frees the identity. NULL is a no-op. */
void drift_identity_free(struct DriftIdentity *id);

#ifdef __cplusplus
}
#endif

#endif
