/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the short-header decoder. Any input must either be refused
 * or decode to a header whose re-encoding reproduces bytes 1..6 (byte 0's
 * flags are always sent as zero).
 */
#include "proto/header.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct short_header h;
	uint8_t re[WIRE_SHORT_HDR_BYTES];

	if (size >= 1 && header_classify(data[0]) == HEADER_FORM_LONG &&
	    header_short_decode(&h, data, size) == HEADER_OK)
		abort(); /* the classifier and the decoder must agree */
	if (header_short_decode(&h, data, size) != HEADER_OK)
		return 0;
	header_short_encode(re, &h);
	if (re[0] != 0x20 || memcmp(re + 1, data + 1, WIRE_SHORT_HDR_BYTES - 1) != 0)
		abort();
	return 0;
}
