/* SPDX-License-Identifier: MIT */
/*
 * tools/hex: encoding vectors, a numbered table of well-formed and
 * malformed decoder inputs (whitespace, case, length, bad characters at the
 * class boundaries, embedded NUL and high bytes), every byte value in every
 * position, zeroed output on failure, and random round trips.
 */
#include "tools/hex.h"

#include "tests/lib/harness.h"

#include <ctype.h>

struct encode_case {
	const uint8_t *in;
	size_t len;
	const char *want;
};

static void test_encode(void)
{
	static const uint8_t all[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
	static const uint8_t zero[] = {0x00}, ff[] = {0xff}, mid[] = {0x9a, 0xa9};
	static const struct encode_case cases[] = {
		/* 1 */ {zero, 0, ""},
		/* 2 */ {zero, 1, "00"},
		/* 3 */ {ff, 1, "ff"},
		/* 4 */ {mid, 2, "9aa9"},
		/* 5 */ {all, sizeof(all), "0123456789abcdef"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		CHECK(hex_encode(out, cases[i].in, cases[i].len) == out);
		if (strcmp(out, cases[i].want) != 0)
			fprintf(stderr, "  encode case %zu: got \"%s\"\n", i + 1, out);
		CHECK(strcmp(out, cases[i].want) == 0);
	}
}

struct decode_case {
	const char *text;
	size_t text_len; /* 0: strlen(text) */
	size_t out_len;
	enum hex_error want;
	const char *want_hex; /* HEX_OK: the bytes, re-encoded */
	size_t digits;
	size_t bad_pos; /* HEX_ERR_BAD_DIGIT: 1-based */
	char bad_char;
};

static const struct decode_case decode_cases[] = {
	/* 1 */ {"0123456789abcdef", 0, 8, HEX_OK, "0123456789abcdef", 16, 0, 0},
	/* 2 */ {"0123456789ABCDEF", 0, 8, HEX_OK, "0123456789abcdef", 16, 0, 0},
	/* 3 */ {" \t0123456789aBcDeF\r\n\n", 0, 8, HEX_OK, "0123456789abcdef", 16, 0, 0},
	/* 4 */ {"\v\f00ff\v\f", 0, 2, HEX_OK, "00ff", 4, 0, 0},
	/* 5 */ {"", 0, 8, HEX_ERR_EMPTY, NULL, 0, 0, 0},
	/* 6 */ {" \n\t\r ", 0, 8, HEX_ERR_EMPTY, NULL, 0, 0, 0},
	/* 7 */ {"0123456789abcde", 0, 8, HEX_ERR_LENGTH, NULL, 15, 0, 0},
	/* 8 */ {"0123456789abcdef00", 0, 8, HEX_ERR_LENGTH, NULL, 18, 0, 0},
	/* 9 */ {"00", 0, 8, HEX_ERR_LENGTH, NULL, 2, 0, 0},
	/* 10 */ {"0123456789abcdeg", 0, 8, HEX_ERR_BAD_DIGIT, NULL, 16, 16, 'g'},
	/* 11 */ {"0x23456789abcdef", 0, 8, HEX_ERR_BAD_DIGIT, NULL, 16, 2, 'x'},
	/* 12 */ {"01234567 89abcdef", 0, 8, HEX_ERR_BAD_DIGIT, NULL, 17, 9, ' '},
	/* 13 */ {"01234567\n89abcdef", 0, 8, HEX_ERR_BAD_DIGIT, NULL, 17, 9, '\n'},
	/* 14 */
	{"01234567\0"
	 "89abcdef",
	 17, 8, HEX_ERR_BAD_DIGIT, NULL, 17, 9, '\0'},
	/* 15 */ {"0123456789abcde\xff", 0, 8, HEX_ERR_BAD_DIGIT, NULL, 16, 16, '\xff'},
	/* 16 */ {"/0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, '/'},
	/* 17 */ {":0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, ':'},
	/* 18 */ {"@0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, '@'},
	/* 19 */ {"G0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, 'G'},
	/* 20 */ {"`0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, '`'},
	/* 21 */ {"g0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, 'g'},
	/* 22: a bad digit is reported before a bad length */
	{"zz0", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 3, 1, 'z'},
	/* 23: a sign or prefix is not hex */
	{"-1", 0, 1, HEX_ERR_BAD_DIGIT, NULL, 2, 1, '-'},
	/* 24: zero-length output wants zero digits */
	{"00", 0, 0, HEX_ERR_LENGTH, NULL, 2, 0, 0},
};

static void test_decode_table(void)
{
	uint8_t out[16];
	char re[33];

	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];
		size_t len = c->text_len ? c->text_len : strlen(c->text);
		struct hex_report rep;
		enum hex_error e;

		memset(out, 0xee, sizeof(out));
		e = hex_decode(out, c->out_len, c->text, len, &rep);
		if (e != c->want || rep.digits != c->digits || rep.bad_pos != c->bad_pos)
			fprintf(stderr, "  decode case %zu: error %s, digits %zu, bad_pos %zu\n",
				i + 1, hex_error_name(e), rep.digits, rep.bad_pos);
		CHECK_EQ(e, c->want);
		CHECK_EQ(rep.digits, c->digits);
		CHECK_EQ(rep.bad_pos, c->bad_pos);
		CHECK_EQ(rep.bad_char, c->bad_char);
		if (e == HEX_OK)
			CHECK(strcmp(hex_encode(re, out, c->out_len), c->want_hex) == 0);
		else
			for (size_t j = 0; j < c->out_len; j++)
				CHECK_EQ(out[j], 0); /* no partial secret left */
		CHECK_EQ(out[c->out_len], 0xee);     /* nothing written past out_len */
	}
}

/* Every byte value as the first and as the second digit of a one-byte decode. */
static void test_every_byte(void)
{
	for (int ch = 0; ch < 256; ch++) {
		enum hex_error want = HEX_ERR_BAD_DIGIT;
		char text[2];
		uint8_t out;

		if (isxdigit(ch))
			want = HEX_OK;
		else if (ch == ' ' || (ch >= '\t' && ch <= '\r'))
			want = HEX_ERR_LENGTH; /* trimmed away, leaving one digit */
		for (int pos = 0; pos < 2; pos++) {
			enum hex_error e;

			text[pos] = (char)ch;
			text[1 - pos] = '5';
			e = hex_decode(&out, 1, text, 2, NULL);
			if (e != want)
				fprintf(stderr, "  byte 0x%02x at %d: %s\n", ch, pos,
					hex_error_name(e));
			CHECK_EQ(e, want);
			if (e == HEX_OK) {
				unsigned v =
					(unsigned)(isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10);

				CHECK_EQ(out, pos == 0 ? (v << 4 | 5) : (0x50 | v));
			}
		}
	}
}

static void test_round_trip(void)
{
	uint8_t in[64], out[64];
	char text[129];

	srand(1234);
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(rand() % 65);

		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)rand();
		hex_encode(text, in, len);
		CHECK_EQ(strlen(text), 2 * len);
		if (len == 0) {
			CHECK_EQ(hex_decode(out, 0, text, 0, NULL), HEX_ERR_EMPTY);
			continue;
		}
		CHECK_EQ(hex_decode(out, len, text, strlen(text), NULL), HEX_OK);
		CHECK_MEM(out, in, len);
	}
}

static void test_names(void)
{
	CHECK(strcmp(hex_error_name(HEX_OK), "ok") == 0);
	CHECK(strcmp(hex_error_name(HEX_ERR_BAD_DIGIT), "not a hex digit") == 0);
	CHECK(strlen(hex_error_name(HEX_ERR_EMPTY)) > 0);
	CHECK(strlen(hex_error_name(HEX_ERR_LENGTH)) > 0);
}

int main(void)
{
	test_encode();
	test_decode_table();
	test_every_byte();
	test_round_trip();
	test_names();
	return harness_finish();
}
