/* SPDX-License-Identifier: MIT */
/*
 * Hex text for keys on the command line: lowercase encoding and a strict
 * decoder that accepts either case and surrounding whitespace. Both run in
 * time that depends only on the length, never on the digits, because the
 * bytes are usually a private key. This module knows nothing about files or
 * streams; the subcommands read stdin and keystore.c handles key files.
 */
#ifndef DRIFT_TOOLS_HEX_H
#define DRIFT_TOOLS_HEX_H

#include <stddef.h>
#include <stdint.h>

enum hex_error {
	HEX_OK = 0,
	HEX_ERR_EMPTY,	   /* nothing but whitespace */
	HEX_ERR_LENGTH,	   /* digit count is not exactly 2 * out_len */
	HEX_ERR_BAD_DIGIT, /* a character that is not 0-9, a-f or A-F */
};

/*
 * What went wrong, for a message. `digits` is the number of characters
 * between the trimmed ends; `bad_pos` and `bad_char` locate the first
 * non-hex character (HEX_ERR_BAD_DIGIT only), counted from 1 in the trimmed
 * text. Filled on every call.
 */
struct hex_report {
	size_t digits;
	size_t bad_pos;
	char bad_char;
};

/* Short reason for logs and messages ("not a hex digit", ...). */
const char *hex_error_name(enum hex_error e);

/*
 * Writes 2 * len lowercase hex characters and a NUL: `out` must hold
 * 2 * len + 1 bytes. Returns out.
 */
char *hex_encode(char *out, const uint8_t *in, size_t len);

/*
 * Decodes text[0 .. text_len) into exactly out_len bytes. Leading and
 * trailing whitespace (space, tab, CR, LF, VT, FF) is ignored; anything
 * else must be a hex digit. On failure `out` is zeroed, so no partial
 * secret is left behind. `rep` may be NULL.
 */
enum hex_error hex_decode(uint8_t *out, size_t out_len, const char *text, size_t text_len,
			  struct hex_report *rep);

#endif
