/* SPDX-License-Identifier: MIT */
/*
 * What the dataplane subcommands (show, xfer, blast, sink, dp-ping) share:
 * their common options (--name, --run-dir, --to, --peer, --accept-any,
 * --timeout), reaching driftd through libdrift's drift_app.h with one error
 * line that names the problem and the fix, and starting or accepting a
 * session. The traffic each tool makes is its own file's business.
 */
#ifndef DRIFT_TOOLS_APP_LINK_H
#define DRIFT_TOOLS_APP_LINK_H

#include "drift_app.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

enum app_link_opt {
	APP_LINK_OPT_NAME = 0x100,
	APP_LINK_OPT_RUN_DIR,
	APP_LINK_OPT_TO,
	APP_LINK_OPT_PEER,
	APP_LINK_OPT_ACCEPT_ANY,
	APP_LINK_OPT_TIMEOUT,
};

/* getopt_long() entries of the shared options; put them first in a command's table. */
#define APP_LINK_LONGOPTS_CTL                                            \
	{"name", required_argument, NULL, APP_LINK_OPT_NAME},            \
	{                                                                \
		"run-dir", required_argument, NULL, APP_LINK_OPT_RUN_DIR \
	}
#define APP_LINK_LONGOPTS                                                        \
	APP_LINK_LONGOPTS_CTL, {"to", required_argument, NULL, APP_LINK_OPT_TO}, \
		{"peer", required_argument, NULL, APP_LINK_OPT_PEER},            \
		{"accept-any", no_argument, NULL, APP_LINK_OPT_ACCEPT_ANY},      \
	{                                                                        \
		"connect-timeout", required_argument, NULL, APP_LINK_OPT_TIMEOUT \
	}

struct app_link_opts {
	const char *run_dir; /* NULL: $DRIFT_RUN_DIR or /run/drift */
	const char *name;    /* NULL: "drift" */
	const char *to;	     /* --to ADDR, checked by addr_parse() */
	bool has_peer;
	uint8_t peer_pub[DRIFT_APP_KEY_BYTES];
	uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES]; /* set by app_link_listen() with --peer */
	bool accept_any;
	uint32_t timeout_ms; /* handshake wait, default 5000 */
};

void app_link_opts_init(struct app_link_opts *o);

/*
 * Takes one getopt_long() result: 1 when it was a shared option (stored),
 * 0 when it is the command's own, -1 when its value is bad (reported).
 */
int app_link_option(const char *cmd, int c, const char *arg, struct app_link_opts *o);

/* The usage lines of the shared options, for a command's --help. */
extern const char app_link_usage_common[];

/* drift_app_open() / drift_app_attach() with the failure reported in one line; NULL then. */
struct DriftApp *app_link_open(const char *cmd, const struct app_link_opts *o);
struct DriftApp *app_link_attach(const char *cmd, const struct app_link_opts *o);

/* The options a sender (--to, --peer) or a receiver (--accept-any | --peer) needs; reported. */
bool app_link_check_dial(const char *cmd, const struct app_link_opts *o);
bool app_link_check_listen(const char *cmd, const struct app_link_opts *o);

/* Initiator: needs --to and --peer; connects and fills *s, or reports why not. */
bool app_link_dial(const char *cmd, struct DriftApp *app, const struct app_link_opts *o,
		   struct DriftAppSession *s);

/*
 * Responder: needs --accept-any or --peer (registered, its id kept in
 * o->peer_id); asks driftd to send peers' sessions to our channel.
 */
bool app_link_listen(const char *cmd, struct DriftApp *app, struct app_link_opts *o);

/* True when a message from `s` is one the responder's --peer filter lets through. */
bool app_link_peer_allowed(const struct app_link_opts *o, const struct DriftAppSession *s);

/*
 * drift_app_send() that waits out a full ring (sleeping a few microseconds
 * at a time) for up to wait_us. Returns 0 or the last error.
 */
int app_link_send(struct DriftApp *app, const struct DriftAppSession *s, const void *buf,
		  size_t len, uint64_t wait_us);

#endif
