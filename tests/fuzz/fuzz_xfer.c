/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the `drift xfer` message decoder. Any input must decode or
 * be refused without reading out of bounds; a refusal leaves the output
 * untouched, and anything accepted must re-encode to exactly the input.
 */
#include "tools/xfer_codec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t re[XFER_MAX_MSG_BYTES];
	struct xfer_msg m, before;
	size_t len;

	memset(&m, 0xa5, sizeof(m));
	before = m;
	if (!xfer_codec_decode(&m, data, size)) {
		if (memcmp(&m, &before, sizeof(m)) != 0)
			abort();
		return 0;
	}
	len = (size_t)(xfer_codec_encode(re, &m) - re);
	if (len != size || memcmp(re, data, size) != 0)
		abort();
	return 0;
}
