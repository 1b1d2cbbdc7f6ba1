/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the long-header decoder. Any input must either be refused
 * or decode to a header whose re-encoding reproduces the 36 input bytes.
 */
#include "proto/header.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct long_header h;
	uint8_t re[WIRE_LONG_HDR_BYTES], aad[WIRE_LONG_HDR_BYTES];
	size_t body = 0;

	if (header_long_decode(&h, &body, data, size) != HEADER_OK)
		return 0;
	if (body != size - WIRE_LONG_HDR_BYTES)
		abort();
	header_long_encode(re, &h);
	if (memcmp(re, data, WIRE_LONG_HDR_BYTES) != 0)
		abort();
	header_long_aad(aad, data);
	if (aad[WIRE_OFF_HOP_TTL] != 0)
		abort();
	return 0;
}
