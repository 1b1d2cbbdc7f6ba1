/* SPDX-License-Identifier: MIT */
/*
 * The identity part of the public API (include/drift.h): an X25519 key pair
 * and its peer id, behind the opaque struct DriftIdentity that DRIFT's C ABI
 * defines. The secret is wiped when the handle is freed.
 */
#include "drift.h"

#include "control/api_identity.h"
#include "crypto/backend.h"
#include "crypto/kdf.h"
#include "crypto/rng.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"

#include <stdlib.h>
#include <string.h>

static struct DriftIdentity *identity_new(const uint8_t secret[X25519_KEY_BYTES])
{
	struct DriftIdentity *id;

	if (backend_init() != 0)
		return NULL;
	id = calloc(1, sizeof(*id));
	if (!id)
		return NULL;
	memcpy(id->secret, secret, X25519_KEY_BYTES);
	x25519_public(id->public_key, id->secret);
	kdf_peer_id(id->peer_id, id->public_key);
	return id;
}

struct DriftIdentity *drift_identity_generate(void)
{
	struct DriftIdentity *id;
	uint8_t secret[X25519_KEY_BYTES];

	if (backend_init() != 0)
		return NULL;
	rng_bytes(secret, sizeof(secret));
	id = identity_new(secret);
	secret_wipe(secret, sizeof(secret));
	return id;
}

struct DriftIdentity *drift_identity_from_secret(const uint8_t *secret)
{
	if (!secret)
		return NULL;
	return identity_new(secret);
}

enum DriftResult drift_identity_public_key(const struct DriftIdentity *id, uint8_t *out)
{
	if (!id || !out)
		return DRIFT_ERR_INVALID_ARGUMENT;
	memcpy(out, id->public_key, X25519_KEY_BYTES);
	return DRIFT_OK;
}

enum DriftResult drift_identity_peer_id(const struct DriftIdentity *id, uint8_t *out)
{
	if (!id || !out)
		return DRIFT_ERR_INVALID_ARGUMENT;
	memcpy(out, id->peer_id, KDF_PEER_ID_BYTES);
	return DRIFT_OK;
}

void drift_identity_free(struct DriftIdentity *id)
{
	if (!id)
		return;
	secret_wipe(id, sizeof(*id));
	free(id);
}
