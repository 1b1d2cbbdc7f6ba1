/* SPDX-License-Identifier: MIT */
/*
 * The drift command: a table of subcommands, each in its own cmd_<name>.c,
 * in the manner of WireGuard's `wg`. This file only finds the subcommand,
 * prints the overall help, and initialises the crypto libraries once before
 * any subcommand runs; the subcommands parse their own options.
 */
#include "tools/cli.h"

#include "crypto/backend.h"

#include <stdio.h>
#include <string.h>

#ifndef DRIFT_VERSION
#define DRIFT_VERSION "unknown"
#endif

struct subcommand {
	const char *name;
	cli_main_fn main;
	const char *synopsis; /* options, as in the command's own usage line */
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"genkey", cmd_genkey_main, "", "print a new random private key in hex"},
	{"pubkey", cmd_pubkey_main, "< PRIVATE_KEY_HEX",
	 "read a private key in hex on stdin, print its public key"},
	{"keygen", cmd_keygen_main, "[--out FILE] [--force]",
	 "write a new key file (default ~/.drift/identity.key)"},
	{"info", cmd_info_main, "[--file FILE]", "print the public key and peer id of a key file"},
	{"listen", cmd_listen_main, "[ADDR] [--accept-any] [--echo] ...",
	 "receive messages and print them (with --echo, send them back)"},
	{"send", cmd_send_main, "--to PUBKEY@HOST:PORT MESSAGE|-",
	 "handshake with a peer and send a message or stdin"},
	{"ping", cmd_ping_main, "--to PUBKEY@HOST:PORT [-c N] [--resume]",
	 "time the handshake, echoed round trips and a resumption"},
	{"demo", cmd_demo_main, "", "show identities, a session key and one sealed packet"},
	{"show", cmd_show_main, "[dump] [--name N]",
	 "print driftd's peers, sessions and dataplane"},
	{"ctl", cmd_ctl_main, "REQUEST [ARG...]",
	 "send one request to driftd (rekey, close, ping)"},
	{"xfer", cmd_xfer_main, "send|recv ...",
	 "reliable file transfer through driftd, checked by SHA-256"},
	{"blast", cmd_blast_main, "--to ADDR --peer PUBHEX [--count N] ...",
	 "send numbered datagrams through driftd to `drift sink`"},
	{"sink", cmd_sink_main, "[--accept-any|--peer PUBHEX] [--echo] ...",
	 "receive and check `drift blast` datagrams (or echo them)"},
	{"dp-ping", cmd_dp_ping_main, "--to ADDR --peer PUBHEX [--count N]",
	 "time round trips through driftd against `drift sink --echo`"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift COMMAND [OPTIONS]\n"
		"\n"
		"The command-line tool of drift-c, for DRIFT, an identity-addressed encrypted\n"
		"transport. A private key is a 32-byte X25519 secret; keys and peer ids are\n"
		"shown as lowercase hex.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		const struct subcommand *sc = &subcommands[i];
		char line[128];

		/* A synopsis too long for the column puts the summary on its own line. */
		snprintf(line, sizeof(line), "%s %s", sc->name, sc->synopsis);
		if (strlen(line) > 32)
			fprintf(out, "  %s\n  %-32s %s\n", line, "", sc->summary);
		else
			fprintf(out, "  %-32s %s\n", line, sc->summary);
	}
	fprintf(out, "\n"
		     "Options:\n"
		     "  -h, --help       show this help\n"
		     "  -V, --version    show the version\n"
		     "\n"
		     "Every command takes --help. Examples:\n"
		     "  drift genkey | drift pubkey\n"
		     "  drift keygen && drift info\n"
		     "\n"
		     "Exit status: 0 on success, 1 when the command failed, 2 on a usage error.\n");
}

static const struct subcommand *find(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;
	const char *name = argc > 1 ? argv[1] : NULL;
	int sub_argc = argc - 1;
	char **sub_argv = argv + 1;
	char help_opt[] = "--help";
	char *help_argv[] = {NULL, help_opt, NULL};

	if (!name) {
		fprintf(stderr, "drift: no command given\n\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("drift %s\n", DRIFT_VERSION);
		return CLI_EXIT_OK;
	}
	/* "drift help" and "drift help CMD", as in git and wg. */
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		name = argv[2];
		help_argv[0] = argv[2];
		sub_argc = 2;
		sub_argv = help_argv;
	}
	sc = find(name);
	if (!sc) {
		fprintf(stderr, "drift: unknown %s \"%s\"; choose one of the commands below\n\n",
			name[0] == '-' ? "option" : "command", name);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (backend_init() != 0) {
		fprintf(stderr,
			"drift: cannot initialise the crypto libraries (libsodium, OpenSSL); "
			"check that they are installed and working\n");
		return CLI_EXIT_FAILURE;
	}
	return sc->main(sub_argc, sub_argv);
}
