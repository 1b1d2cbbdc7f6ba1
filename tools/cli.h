/* SPDX-License-Identifier: MIT */
/*
 * What the drift subcommands share: their entry points (one file each,
 * cmd_<name>.c, dispatched from the table in drift.c), the exit codes, and
 * the few helpers every command needs to talk to a user the same way
 * (error lines, option errors, printing an identity, checking stdout).
 * Key-file I/O is keystore.h and hex is hex.h; nothing here touches files.
 */
#ifndef DRIFT_TOOLS_CLI_H
#define DRIFT_TOOLS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "proto/wire.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* the command ran and failed (bad key file, bad input, I/O) */
	CLI_EXIT_USAGE = 2,   /* the command line itself was wrong */
};

/* A subcommand: argv[0] is its name ("genkey"); returns an enum cli_exit. */
typedef int (*cli_main_fn)(int argc, char **argv);

/* Prints the command's help text; `out` is stdout for --help, stderr on errors. */
typedef void (*cli_usage_fn)(FILE *out);

int cmd_genkey_main(int argc, char **argv);
int cmd_pubkey_main(int argc, char **argv);
int cmd_keygen_main(int argc, char **argv);
int cmd_info_main(int argc, char **argv);
int cmd_demo_main(int argc, char **argv);
int cmd_listen_main(int argc, char **argv);
int cmd_send_main(int argc, char **argv);
int cmd_ping_main(int argc, char **argv);
int cmd_show_main(int argc, char **argv);
int cmd_ctl_main(int argc, char **argv);
int cmd_xfer_main(int argc, char **argv);
int cmd_blast_main(int argc, char **argv);
int cmd_sink_main(int argc, char **argv);
int cmd_dp_ping_main(int argc, char **argv);

/* "drift <cmd>: <message>\n" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Reports what getopt_long() (called with a leading ':' in its optstring)
 * rejected: `c` is the '?' or ':' it returned. Prints the error and the
 * usage on stderr and returns CLI_EXIT_USAGE.
 */
int cli_option_error(const char *cmd, int c, char **argv, cli_usage_fn usage);

/* Reports a stray positional argument the same way; returns CLI_EXIT_USAGE. */
int cli_extra_argument(const char *cmd, const char *arg, cli_usage_fn usage);

/*
 * Parses the command line of a subcommand whose only option is --help and
 * that takes no arguments. Returns -1 to go on, or the exit status to
 * return (help printed, or a usage error reported).
 */
int cli_parse_help_only(const char *cmd, int argc, char **argv, cli_usage_fn usage);

/*
 * Prints the two lines every identity command shows, with `indent` before
 * each: "public key: <64 hex>" and "peer id:    <16 hex>" (WIRE.md §3).
 */
void cli_print_identity(FILE *out, const char *indent, const uint8_t pub[WIRE_KEY_BYTES]);

/*
 * Warns (once, on stderr) when stdout is a regular file that group or
 * others can read, since a private key is about to be written there.
 */
void cli_warn_exposed_stdout(const char *cmd);

/* Flushes stdout; on a write error reports it and returns CLI_EXIT_FAILURE. */
int cli_finish_stdout(const char *cmd);

#endif
