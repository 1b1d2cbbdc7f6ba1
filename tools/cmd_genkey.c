/* SPDX-License-Identifier: MIT */
/*
 * drift genkey: prints a new random private key, 64 lowercase hex
 * characters and a newline, like `wg genkey`. The key is the raw 32-byte
 * X25519 secret, unclamped (WIRE.md §3). It writes no file; `drift keygen`
 * does that.
 */
#include "tools/cli.h"

#include "crypto/rng.h"
#include "crypto/secret.h"
#include "tools/hex.h"

#include <stdio.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: drift genkey\n"
		     "\n"
		     "Print a new random private key (32 bytes as 64 lowercase hex characters) on\n"
		     "stdout. Keep it secret; derive its public key with \"drift pubkey\":\n"
		     "  (umask 077; drift genkey > alice.priv)\n"
		     "  drift pubkey < alice.priv\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help    show this help\n");
}

int cmd_genkey_main(int argc, char **argv)
{
	uint8_t secret[WIRE_KEY_BYTES];
	char hex[2 * WIRE_KEY_BYTES + 1];
	int c;

	c = cli_parse_help_only("genkey", argc, argv, usage);
	if (c >= 0)
		return c;

	cli_warn_exposed_stdout("genkey");
	rng_bytes(secret, sizeof(secret));
	printf("%s\n", hex_encode(hex, secret, sizeof(secret)));
	secret_wipe(secret, sizeof(secret));
	secret_wipe(hex, sizeof(hex));
	return cli_finish_stdout("genkey");
}
