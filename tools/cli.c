/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the drift subcommands so they all speak to a user the
 * same way: one error line prefixed with the command, option errors that
 * quote the bad option and show the usage, the identity lines (public key
 * and peer id in lowercase hex), and checks around stdout. It holds no
 * state and no secrets.
 */
#include "tools/cli.h"

#include "crypto/kdf.h"
#include "tools/hex.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "drift %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_option_error(const char *cmd, int c, char **argv, cli_usage_fn usage)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char shortopt[3] = {'-', (char)optopt, '\0'};

	/*
	 * An unknown short option sets optopt and may sit inside a bundle
	 * ("-xf"), so name the letter; an unknown long option leaves optopt 0.
	 * A missing value is always the last argument taken.
	 */
	if (c == '?' && optopt)
		arg = shortopt;
	if (c == ':')
		cli_error(cmd, "option \"%s\" needs a value; see the usage below", arg);
	else
		cli_error(cmd, "unknown option \"%s\"; see the usage below", arg);
	fputc('\n', stderr);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

int cli_extra_argument(const char *cmd, const char *arg, cli_usage_fn usage)
{
	cli_error(cmd, "unexpected argument \"%s\"; see the usage below", arg);
	fputc('\n', stderr);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

void cli_print_identity(FILE *out, const char *indent, const uint8_t pub[WIRE_KEY_BYTES])
{
	uint8_t id[WIRE_PEER_ID_BYTES];
	char hex[2 * WIRE_KEY_BYTES + 1];

	kdf_peer_id(id, pub);
	fprintf(out, "%spublic key: %s\n", indent, hex_encode(hex, pub, WIRE_KEY_BYTES));
	fprintf(out, "%speer id:    %s\n", indent, hex_encode(hex, id, sizeof(id)));
}

void cli_warn_exposed_stdout(const char *cmd)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		cli_error(cmd,
			  "warning: stdout is a file with mode %04o that group or others can "
			  "read; write keys with \"(umask 077; drift %s > FILE)\"",
			  (unsigned)(st.st_mode & 07777), cmd);
}

int cli_finish_stdout(const char *cmd)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return CLI_EXIT_OK;
	cli_error(cmd, "cannot write to stdout: %s; check where the output goes", strerror(errno));
	return CLI_EXIT_FAILURE;
}

int cli_parse_help_only(const char *cmd, int argc, char **argv, cli_usage_fn usage)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_option_error(cmd, c, argv, usage);
	}
	if (optind < argc)
		return cli_extra_argument(cmd, argv[optind], usage);
	return -1;
}
