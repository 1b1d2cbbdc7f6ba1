/* SPDX-License-Identifier: MIT */
/*
 * One hex digit's value, for the parsers that read keys out of text that
 * is not secret-bearing user input (peers files, control replies, bench
 * arguments). Key material typed by a user goes through tools/hex.c, whose
 * decoder runs in time independent of the digits.
 */
#ifndef DRIFT_INTERNAL_HEX_DIGIT_H
#define DRIFT_INTERNAL_HEX_DIGIT_H

/* 0-15, or -1 for anything that is not 0-9, a-f, A-F. */
static inline int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
