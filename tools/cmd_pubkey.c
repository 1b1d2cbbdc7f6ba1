/* SPDX-License-Identifier: MIT */
/*
 * drift pubkey: reads a private key in hex on stdin (either case,
 * surrounding whitespace allowed) and prints its X25519 public key in
 * lowercase hex, like `wg pubkey`. Bad input is refused with the position
 * and the character found, never by echoing the key. Reads no file.
 */
#include "tools/cli.h"

#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "tools/hex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* More than any key plus whitespace; longer input is refused, not truncated. */
enum { PUBKEY_INPUT_BYTES = 1024 };

static void usage(FILE *out)
{
	fprintf(out, "Usage: drift pubkey < PRIVATE_KEY_HEX\n"
		     "\n"
		     "Read a private key (64 hex characters, either case; surrounding whitespace\n"
		     "and a trailing newline are fine) on stdin and print its public key as 64\n"
		     "lowercase hex characters:\n"
		     "  drift genkey | drift pubkey\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help    show this help\n");
}

/*
 * Reads all of stdin into buf with read(2), so no stdio buffer keeps a copy
 * of the key. Returns the length, or -1 (reported) on error or overflow.
 */
static long read_stdin(char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t n = read(STDIN_FILENO, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("pubkey", "stdin: cannot read: %s; pipe a private key in",
				  strerror(errno));
			return -1;
		}
		if (n == 0)
			return (long)len;
		len += (size_t)n;
	}
	cli_error("pubkey",
		  "stdin: input is %zu bytes or more, expected 64 hex characters; "
		  "pipe in the output of \"drift genkey\"",
		  cap);
	return -1;
}

/* One line explaining why the text on stdin is not a private key. */
static void report_bad_hex(enum hex_error e, const struct hex_report *rep)
{
	unsigned char ch = (unsigned char)rep->bad_char;
	char shown[8];

	switch (e) {
	case HEX_ERR_EMPTY:
		cli_error("pubkey", "stdin: no private key given; pipe one in, e.g. "
				    "\"drift genkey | drift pubkey\"");
		break;
	case HEX_ERR_BAD_DIGIT:
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			snprintf(shown, sizeof(shown), "%c", ch);
		else
			snprintf(shown, sizeof(shown), "\\x%02x", ch);
		cli_error("pubkey",
			  "stdin: character \"%s\" at position %zu is not a hex digit; "
			  "expected 64 hex characters (0-9, a-f) as printed by \"drift genkey\"",
			  shown, rep->bad_pos);
		break;
	default:
		cli_error("pubkey",
			  "stdin: found %zu hex digits, expected 64 (a 32-byte private "
			  "key); pipe in the output of \"drift genkey\"",
			  rep->digits);
		break;
	}
}

int cmd_pubkey_main(int argc, char **argv)
{
	char input[PUBKEY_INPUT_BYTES];
	uint8_t secret[WIRE_KEY_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	char hex[2 * WIRE_KEY_BYTES + 1];
	struct hex_report rep;
	enum hex_error e;
	int ret = CLI_EXIT_FAILURE;
	long len;
	int c;

	c = cli_parse_help_only("pubkey", argc, argv, usage);
	if (c >= 0)
		return c;

	len = read_stdin(input, sizeof(input));
	if (len < 0)
		goto out_wipe;
	e = hex_decode(secret, sizeof(secret), input, (size_t)len, &rep);
	if (e != HEX_OK) {
		report_bad_hex(e, &rep);
		goto out_wipe;
	}
	x25519_public(pub, secret);
	printf("%s\n", hex_encode(hex, pub, sizeof(pub)));
	ret = cli_finish_stdout("pubkey");

out_wipe:
	secret_wipe(input, sizeof(input));
	secret_wipe(secret, sizeof(secret));
	return ret;
}
