/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the key-file codec. Anything accepted must re-encode to
 * exactly the input.
 */
#include "proto/keyfile.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t secret[WIRE_KEY_BYTES], re[WIRE_KEYFILE_BYTES];

	if (keyfile_decode(secret, data, size) != KEYFILE_OK)
		return 0;
	keyfile_encode(re, secret);
	if (size != WIRE_KEYFILE_BYTES || memcmp(re, data, size) != 0)
		abort();
	return 0;
}
