/* SPDX-License-Identifier: MIT */
/*
 * drift info: shows the identity held in a key file, its public key and
 * peer id in lowercase hex (WIRE.md §3). The file must pass every check of
 * keystore_read() (owner-only mode, 36 bytes, "DRFT" magic); a refusal is
 * one line naming the file, the problem and the fix. The secret is never
 * printed.
 */
#include "tools/cli.h"

#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "tools/keystore.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift info [--file FILE]\n"
		"\n"
		"Print the public key and peer id of the identity in a key file. The file must\n"
		"be 36 bytes (\"DRFT\" + 32-byte secret) and readable by its owner only.\n"
		"\n"
		"Options:\n"
		"  --file FILE    the key file to read (default ~/.drift/identity.key)\n"
		"  -h, --help     show this help\n");
}

int cmd_info_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char path_buf[KEYSTORE_PATH_BYTES];
	char msg[KEYSTORE_MESSAGE_BYTES];
	uint8_t secret[WIRE_KEY_BYTES];
	uint8_t pub[WIRE_KEY_BYTES];
	struct keystore_report rep;
	const char *path = NULL;
	int ret = CLI_EXIT_FAILURE;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("info", c, argv, usage);
		}
	}
	if (optind < argc)
		return cli_extra_argument("info", argv[optind], usage);
	if (path && !*path) {
		cli_error("info", "--file \"\" is empty; give the path of a key file");
		return CLI_EXIT_USAGE;
	}
	if (!path) {
		err = keystore_default_path(path_buf, sizeof(path_buf), false);
		if (err) {
			cli_error("info",
				  "cannot find the default key file: %s; set HOME or pass "
				  "--file FILE",
				  strerror(-err));
			return CLI_EXIT_FAILURE;
		}
		path = path_buf;
	}

	if (keystore_read(path, secret, &rep) != KEYSTORE_OK) {
		cli_error("info", "%s", keystore_describe(msg, sizeof(msg), path, &rep));
		goto out_wipe;
	}
	x25519_public(pub, secret);
	printf("key file:   %s\n", path);
	cli_print_identity(stdout, "", pub);
	ret = cli_finish_stdout("info");

out_wipe:
	secret_wipe(secret, sizeof(secret));
	return ret;
}
