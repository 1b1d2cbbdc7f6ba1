/* SPDX-License-Identifier: MIT */
/*
 * What the networking subcommands (listen, send, ping) share: loading the
 * node's identity from a key file (or making a throwaway one), binding a
 * transport with an error that names the address and the fix, and parsing
 * a peer given as PUBKEY@HOST:PORT.
 */
#ifndef DRIFT_TOOLS_NODE_H
#define DRIFT_TOOLS_NODE_H

#include "drift.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct node_target {
	uint8_t pub[32];
	char addr[80]; /* "10.0.0.2:9000" or "[fd00::2]:9000" */
};

/*
 * Binds a transport at `bind_addr` with the identity from `key_path` (NULL:
 * the default key file) or a fresh one when `is_ephemeral`. Prints one line
 * on stderr naming the problem and the fix, and returns NULL, on failure.
 * `pub` receives our public key.
 */
struct DriftTransport *node_open(const char *cmd, const char *bind_addr, const char *key_path,
				 bool is_ephemeral, uint8_t pub[32]);

/*
 * node_open() plus the target registered as an initiator peer (its id in
 * `pid`); the bind address defaults to the target's family's wildcard.
 */
struct DriftTransport *node_dial(const char *cmd, const struct node_target *target,
				 const char *bind_addr, const char *key_path, bool is_ephemeral,
				 uint8_t pid[8]);

/* Parses PUBKEY@HOST:PORT; false (after printing why) when malformed. */
bool node_parse_target(const char *cmd, const char *text, struct node_target *out);

/* Parses a 64-digit hex public key; false (after printing why) when malformed. */
bool node_parse_pubkey(const char *cmd, const char *what, const char *hex, uint8_t pub[32]);

/*
 * Resumption tickets kept across runs (--ticket FILE): the 97-byte export
 * blob, mode 0600, replaced atomically. node_ticket_load() imports the file
 * for `pid` if it exists and is usable (a bad or stale one is reported and
 * ignored: the session then starts with a full handshake); it returns true
 * when a ticket was loaded. node_ticket_save() waits up to `wait_ms` for the
 * peer's ticket and writes it; false (after printing why) on failure.
 */
bool node_ticket_load(const char *cmd, struct DriftTransport *t, const char *path);
bool node_ticket_save(const char *cmd, struct DriftTransport *t, const uint8_t pid[8],
		      const char *path, unsigned wait_ms);

/* Parses --busy-poll microseconds (0-1000000); false after printing why. */
bool node_parse_busy_poll(const char *cmd, const char *text, uint32_t *out);

/* Human name of a DriftResult ("timeout", ...). */
const char *node_result_name(enum DriftResult r);

/* Monotonic microseconds. */
uint64_t node_now_us(void);

/* Set by SIGINT/SIGTERM once node_catch_signals() ran. */
extern volatile sig_atomic_t node_stop;
void node_catch_signals(void);

#endif
