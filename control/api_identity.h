/* SPDX-License-Identifier: MIT */
/*
 * The layout behind the opaque struct DriftIdentity, shared by the API
 * files that need the secret (the transport takes ownership of an
 * identity). Not installed; applications see only include/drift.h.
 */
#ifndef DRIFT_CONTROL_API_IDENTITY_H
#define DRIFT_CONTROL_API_IDENTITY_H

#include <stdint.h>

struct DriftIdentity {
	uint8_t secret[32]; /* unclamped X25519 secret; wiped on free */
	uint8_t public_key[32];
	uint8_t peer_id[8];
};

#endif
