/* SPDX-License-Identifier: MIT */
/*
 * DRIFT's key-file format (WIRE.md §3): exactly 36 bytes, the ASCII magic
 * "DRFT" followed by the raw, unclamped 32-byte X25519 secret. This module
 * is the byte codec only; reading and writing files (permissions, atomic
 * replace) lives in tools/keystore.c.
 */
#ifndef DRIFT_PROTO_KEYFILE_H
#define DRIFT_PROTO_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

enum keyfile_error {
	KEYFILE_OK = 0,
	KEYFILE_ERR_SIZE,  /* not exactly 36 bytes */
	KEYFILE_ERR_MAGIC, /* does not start with "DRFT" */
};

/* Human-readable reason ("size is not 36 bytes", ...). */
const char *keyfile_error_name(enum keyfile_error e);

/* Extracts the secret; on error writes nothing. */
enum keyfile_error keyfile_decode(uint8_t secret[WIRE_KEY_BYTES], const uint8_t *buf, size_t len);

/* Writes the 36 file bytes; returns out + 36. */
uint8_t *keyfile_encode(uint8_t out[WIRE_KEYFILE_BYTES], const uint8_t secret[WIRE_KEY_BYTES]);

#endif
