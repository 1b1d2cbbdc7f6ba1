/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the hex decoder of the key tools. Any input must decode or
 * be refused without reading out of bounds; anything accepted must
 * re-encode to the trimmed input in lowercase, a refusal must leave the
 * output zeroed, and encoding the raw input must decode back to it.
 */
#include "tools/hex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_HEX_MAX_BYTES = 256 };

/* Decodes `text` into `out_len` bytes and checks what the result promises. */
static void check_decode(const char *text, size_t len, size_t out_len)
{
	uint8_t out[FUZZ_HEX_MAX_BYTES];
	char re[2 * FUZZ_HEX_MAX_BYTES + 1];
	struct hex_report rep;
	size_t start = 0;

	if (hex_decode(out, out_len, text, len, &rep) != HEX_OK) {
		for (size_t i = 0; i < out_len; i++)
			if (out[i] != 0)
				abort();
		if (rep.bad_pos > rep.digits)
			abort();
		return;
	}
	if (rep.digits != 2 * out_len)
		abort();
	while (start < len && isspace((unsigned char)text[start]))
		start++;
	hex_encode(re, out, out_len);
	for (size_t i = 0; i < 2 * out_len; i++)
		if (re[i] != tolower((unsigned char)text[start + i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t back[FUZZ_HEX_MAX_BYTES];
	char text[2 * FUZZ_HEX_MAX_BYTES + 1];
	const char *in = size ? (const char *)data : "";

	/* As a private key (what drift pubkey reads) and at the input's own scale. */
	check_decode(in, size, 32);
	check_decode(in, size, size / 2 < FUZZ_HEX_MAX_BYTES ? size / 2 : FUZZ_HEX_MAX_BYTES);

	/* Round trip of the raw bytes. */
	if (size == 0 || size > FUZZ_HEX_MAX_BYTES)
		return 0;
	hex_encode(text, data, size);
	if (hex_decode(back, size, text, 2 * size, NULL) != HEX_OK || memcmp(back, data, size) != 0)
		abort();
	return 0;
}
