/* SPDX-License-Identifier: MIT */
/* Value parsers the config parser shares with nothing else (vpn_values.c). */
#ifndef DRIFT_TOOLS_VPN_VALUES_H
#define DRIFT_TOOLS_VPN_VALUES_H

#include "tools/vpn_config.h"

#include <stdbool.h>
#include <stdint.h>

/* Strict decimal: 1 to 10 digits, nothing else, no overflow. */
bool vpn_parse_u32(uint32_t *out, const char *text);

/* Copies p with its host bits cleared into *net; true if there were none. */
bool vpn_prefix_network(struct vpn_prefix *net, const struct vpn_prefix *p);

bool vpn_prefix_same(const struct vpn_prefix *a, const struct vpn_prefix *b);

/* udp://host:port, host:port or [v6]:port into peer; NULL, or what is wrong and the fix. */
const char *vpn_endpoint_split(const char *v, struct vpn_peer *peer);

#endif
