/* SPDX-License-Identifier: MIT */
/*
 * drift keygen: creates a new identity and writes it as a key file
 * (WIRE.md §3: "DRFT" + 32-byte secret, mode 0600), by default at
 * ~/.drift/identity.key, then prints the public key and peer id. The write
 * is atomic and never replaces an existing file unless --force is given
 * (keystore.c does the file work). The secret itself is never printed.
 */
#include "tools/cli.h"

#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "tools/keystore.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift keygen [--out FILE] [--force]\n"
		"\n"
		"Create a new identity (an X25519 key pair) and write its private key to a key\n"
		"file: 36 bytes, \"DRFT\" followed by the 32-byte secret, mode 0600. Prints the\n"
		"public key and the peer id. The file is written atomically; an existing file\n"
		"is never replaced without --force.\n"
		"\n"
		"Options:\n"
		"  -o, --out FILE   where to write the key file\n"
		"                   (default ~/.drift/identity.key; ~/.drift is created 0700)\n"
		"  -f, --force      replace FILE if it already exists\n"
		"  -h, --help       show this help\n");
}

int cmd_keygen_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char path_buf[KEYSTORE_PATH_BYTES];
	char msg[KEYSTORE_MESSAGE_BYTES];
	uint8_t secret[WIRE_KEY_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	struct keystore_report rep;
	const char *path = NULL;
	bool force = false;
	int ret = CLI_EXIT_FAILURE;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("keygen", c, argv, usage);
		}
	}
	if (optind < argc)
		return cli_extra_argument("keygen", argv[optind], usage);
	if (path && !*path) {
		cli_error("keygen", "--out \"\" is empty; give the path of the key file to create");
		return CLI_EXIT_USAGE;
	}
	if (!path) {
		err = keystore_default_path(path_buf, sizeof(path_buf), true);
		if (err) {
			cli_error("keygen",
				  "cannot prepare ~/.drift for the default key file: %s; "
				  "set HOME or pass --out FILE",
				  strerror(-err));
			return CLI_EXIT_FAILURE;
		}
		path = path_buf;
	}

	x25519_keypair(pub, secret);
	if (keystore_write(path, secret, force, &rep) != KEYSTORE_OK) {
		cli_error("keygen", "%s", keystore_describe(msg, sizeof(msg), path, &rep));
		goto out_wipe;
	}
	printf("wrote key file %s (mode 0600)\n", path);
	cli_print_identity(stdout, "", pub);
	ret = cli_finish_stdout("keygen");

out_wipe:
	secret_wipe(secret, sizeof(secret));
	return ret;
}
