/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: drift-vpn's state file codec (tools/vpn_state.h). Whatever
 * parses must hold only values in range (pids >= 2, a port, at most
 * VPN_MAX_PEERS peers with printable endpoints), and must format and parse
 * back to the same state. Any broken invariant calls abort().
 */
#include "tools/vpn_state.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vpn_state s, again;
static char text[4096 + 160 * VPN_MAX_PEERS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;

	if (vpn_state_parse(&s, (const char *)data, size) != 0)
		return 0;
	if (s.n_peers > VPN_MAX_PEERS || (s.dp_pid && s.dp_pid < 2) ||
	    (s.driftd_pid && s.driftd_pid < 2) || s.dp_pid > VPN_STATE_PID_MAX ||
	    s.driftd_pid > VPN_STATE_PID_MAX)
		abort();
	for (uint32_t i = 0; i < s.n_peers; i++)
		if (!s.peers[i].endpoint[0] ||
		    !memchr(s.peers[i].endpoint, 0, sizeof(s.peers[i].endpoint)))
			abort();
	/* The formatter writes every field; only a state with all of them round-trips. */
	if (!s.config_path[0] || !s.dp_pid || !s.driftd_pid || !s.listen_port)
		return 0;
	len = vpn_state_format(&s, text, sizeof(text));
	if (vpn_state_parse(&again, text, len) != 0 || memcmp(&s, &again, sizeof(s)) != 0)
		abort();
	return 0;
}
