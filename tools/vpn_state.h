/* SPDX-License-Identifier: MIT */
/*
 * RUN/NAME/vpn.state: what `drift-vpn up` started, for `down` and `show`.
 * Text, one item per line:
 *   config PATH | dp_pid N | driftd_pid N | listen_port N | public_key HEX64
 *   peer HEX64 ENDPOINT|- KEEPALIVE_S      (one per peer, config order)
 * Sans-io: the codec is here, the file I/O in vpn_common.c.
 */
#ifndef DRIFT_TOOLS_VPN_STATE_H
#define DRIFT_TOOLS_VPN_STATE_H

#include "tools/vpn_config.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { VPN_STATE_PATH_BYTES = 1024, VPN_STATE_PID_MAX = 4194304 };

struct vpn_state {
	char config_path[VPN_STATE_PATH_BYTES];
	pid_t dp_pid, driftd_pid;
	uint16_t listen_port;
	uint8_t self_pub[WIRE_KEY_BYTES];
	uint32_t n_peers;
	struct {
		uint8_t pub[WIRE_KEY_BYTES];
		char endpoint[64]; /* "-" for none */
		uint16_t keepalive_s;
	} peers[VPN_MAX_PEERS];
};

/* Writes the text form into buf (cap bytes, at least 4096 + 160 per peer); returns its length. */
size_t vpn_state_format(const struct vpn_state *s, char *buf, size_t cap);

/*
 * Parses text[0..len) into s (zeroed first). Returns 0, or -EINVAL for any
 * line that is not exactly one of the forms above with values in range
 * (pids 2..VPN_STATE_PID_MAX, port 1..65535, keepalive 0..65535), more
 * than VPN_MAX_PEERS peers, or a NUL byte.
 */
int vpn_state_parse(struct vpn_state *s, const char *text, size_t len);

#endif
