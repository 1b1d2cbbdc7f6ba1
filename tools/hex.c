/* SPDX-License-Identifier: MIT */
/*
 * Hex encoding and decoding for key material. Digits are converted with
 * masks instead of branches or table lookups, so the time taken depends on
 * the length of the text and not on the secret digits in it (the same idea
 * as wireguard-tools' encoding.c). Trimming whitespace and reporting where a
 * bad character sits happen outside the secret part: trimming looks only at
 * the ends, and the report is built only once the input is rejected.
 */
#include "tools/hex.h"

#include <stdbool.h>
#include <string.h>
/*
 * 1 if lo <= x < hi, else 0, without a branch. Valid for |x|, lo, hi below
 * 2^30: (x - hi) is negative exactly when x < hi and ~(x - lo) is negative
 * exactly when x >= lo, so the sign bit of their AND is the answer.
 */
static unsigned in_range(int x, int lo, int hi)
{
	return ((unsigned)((x - hi) & ~(x - lo))) >> 31;
}

/* The low nibble a character stands for; sets *bad to 1 if it is no digit. */
static unsigned nibble_of(unsigned char ch, unsigned *bad)
{
	int c = ch;
	int lower = c | 0x20; /* folds A-F onto a-f; maps nothing else into a-f */
	unsigned is_digit = in_range(c, '0', '9' + 1);
	unsigned is_alpha = in_range(lower, 'a', 'f' + 1);
	unsigned v = (0u - is_digit) & (unsigned)(c - '0');

	v |= (0u - is_alpha) & (unsigned)(lower - 'a' + 10);
	*bad |= 1u ^ (is_digit | is_alpha);
	return v & 0xf;
}

/* The character for a nibble 0..15: '0' + n, plus 39 more when n > 9. */
static char digit_of(unsigned n)
{
	unsigned over9 = in_range((int)n, 10, 16);

	return (char)('0' + n + ((0u - over9) & ('a' - '0' - 10)));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

const char *hex_error_name(enum hex_error e)
{
	switch (e) {
	case HEX_OK:
		return "ok";
	case HEX_ERR_EMPTY:
		return "empty";
	case HEX_ERR_LENGTH:
		return "wrong number of hex digits";
	case HEX_ERR_BAD_DIGIT:
		return "not a hex digit";
	}
	return "unknown hex error";
}

char *hex_encode(char *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digit_of(in[i] >> 4);
		out[2 * i + 1] = digit_of(in[i] & 0xf);
	}
	out[2 * len] = '\0';
	return out;
}

/* Fills the report for a rejected input: the first non-digit, if any. */
static void locate_bad(struct hex_report *rep, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bad = 0;

		nibble_of((unsigned char)text[i], &bad);
		if (bad) {
			rep->bad_pos = i + 1;
			rep->bad_char = text[i];
			return;
		}
	}
}

enum hex_error hex_decode(uint8_t *out, size_t out_len, const char *text, size_t text_len,
			  struct hex_report *rep)
{
	struct hex_report scratch;
	unsigned bad = 0;
	size_t n = text_len;

	if (!rep)
		rep = &scratch;
	memset(rep, 0, sizeof(*rep));
	memset(out, 0, out_len);

	/* Trim: only the ends are examined, never the digits' values. */
	while (n && is_blank(text[0])) {
		text++;
		n--;
	}
	while (n && is_blank(text[n - 1]))
		n--;
	rep->digits = n;
	if (n == 0)
		return HEX_ERR_EMPTY;

	/* Validate every character in constant time before judging the length. */
	for (size_t i = 0; i < n; i++)
		nibble_of((unsigned char)text[i], &bad);
	if (bad) {
		locate_bad(rep, text, n);
		return HEX_ERR_BAD_DIGIT;
	}
	if (n != 2 * out_len)
		return HEX_ERR_LENGTH;

	/* Every character is a digit now, so `bad` stays 0. */
	for (size_t i = 0; i < out_len; i++) {
		unsigned hi = nibble_of((unsigned char)text[2 * i], &bad);
		unsigned lo = nibble_of((unsigned char)text[2 * i + 1], &bad);

		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return HEX_OK;
}
