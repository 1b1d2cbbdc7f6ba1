/* SPDX-License-Identifier: MIT */
/*
 * The 36-byte key-file codec: "DRFT" || secret (WIRE.md §3). Strict by
 * design: any other size or magic is refused, so a file written by another
 * tool is never half-understood.
 */
#include "proto/keyfile.h"

#include <string.h>

static const uint8_t keyfile_magic[4] = {'D', 'R', 'F', 'T'};

const char *keyfile_error_name(enum keyfile_error e)
{
	switch (e) {
	case KEYFILE_OK:
		return "ok";
	case KEYFILE_ERR_SIZE:
		return "size is not 36 bytes";
	case KEYFILE_ERR_MAGIC:
		return "does not start with the magic \"DRFT\"";
	}
	return "invalid error code";
}

enum keyfile_error keyfile_decode(uint8_t secret[WIRE_KEY_BYTES], const uint8_t *buf, size_t len)
{
	if (len != WIRE_KEYFILE_BYTES)
		return KEYFILE_ERR_SIZE;
	if (memcmp(buf, keyfile_magic, sizeof(keyfile_magic)) != 0)
		return KEYFILE_ERR_MAGIC;
	memcpy(secret, buf + sizeof(keyfile_magic), WIRE_KEY_BYTES);
	return KEYFILE_OK;
}

uint8_t *keyfile_encode(uint8_t out[WIRE_KEYFILE_BYTES], const uint8_t secret[WIRE_KEY_BYTES])
{
	memcpy(out, keyfile_magic, sizeof(keyfile_magic));
	memcpy(out + sizeof(keyfile_magic), secret, WIRE_KEY_BYTES);
	return out + WIRE_KEYFILE_BYTES;
}
