/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's config file: WireGuard's INI shape ([Interface] with PrivateKey,
 * ListenPort, Address; one [Peer] per peer with PublicKey, Endpoint,
 * AllowedIPs, PersistentKeepalive) plus drift-c's own [Interface] keys, parsed
 * with libinih into one fixed-size struct. vpn_config_parse() is pure (bytes
 * in, struct or one message out) so it can be unit-tested and fuzzed;
 * vpn_config_load() adds the file checks and vpn_config_resolve() the name
 * lookups. Nothing here applies a config: no device, route or socket is touched.
 */
#ifndef DRIFT_TOOLS_VPN_CONFIG_H
#define DRIFT_TOOLS_VPN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/addr.h"
#include "proto/wire.h"

enum vpn_limit {
	VPN_MAX_ADDRESSES = 16,
	VPN_MAX_PEERS = 256,
	VPN_MAX_ALLOWED = 1024, /* AllowedIPs entries over all peers together */
	VPN_ERR_BYTES = 512,
	VPN_MAX_WARNINGS = 4,
	VPN_WARNING_BYTES = 160,
	VPN_MAX_FILE_BYTES = 1 << 20,	      /* parse and load refuse anything larger */
	VPN_MTU_MIN = 1280,		      /* IPv6's minimum link MTU */
	VPN_MTU_MAX = WIRE_MAX_PAYLOAD_BYTES, /* DRIFT's largest payload: 1348 */
	VPN_PREFIX_TEXT_BYTES = 46 + 4,	      /* INET6_ADDRSTRLEN + "/128" */
};

/* An IP prefix: Address (host bits may be set) or AllowedIPs (they may not). */
struct vpn_prefix {
	uint8_t family; /* ADDR_IPV4 or ADDR_IPV6 */
	uint8_t len;	/* 0..32 or 0..128 */
	uint8_t ip[16]; /* IPv4 uses the first 4 bytes; the rest stay zero */
};

struct vpn_peer {
	uint8_t pub[WIRE_KEY_BYTES];
	bool has_public_key;
	bool has_endpoint;
	char endpoint_host[256];	   /* as written, without scheme and brackets */
	uint16_t endpoint_port;		   /* 1..65535 when has_endpoint */
	struct net_addr endpoint;	   /* filled by vpn_config_resolve() */
	uint16_t keepalive_s;		   /* PersistentKeepalive, 0 = off; "off" accepted */
	uint32_t first_allowed, n_allowed; /* range in vpn_config.allowed */
	uint32_t line;			   /* line of its [Peer] header */
};

struct vpn_config {
	char path[256];		 /* for messages */
	uint32_t interface_line; /* line of the first [Interface] header, 0 if none */
	bool has_private_key;
	uint8_t private_key[WIRE_KEY_BYTES]; /* wipe with vpn_config_wipe() */
	char private_key_file[256];	     /* PrivateKeyFile, "" if none */
	uint16_t listen_port;
	bool has_listen_port;
	struct vpn_prefix addresses[VPN_MAX_ADDRESSES]; /* Address, repeatable, comma lists */
	uint32_t n_addresses;
	uint32_t mtu; /* 0 = default */
	/* drift-c extras in [Interface]: */
	char port_type[16];    /* Port = auto|xsk|udp, stored lowercase (default "auto") */
	char device[32];       /* Device = the underlay interface for xsk ("" = from the route) */
	uint16_t metrics_port; /* MetricsPort = Prometheus text endpoint on 127.0.0.1, 0 = off */
	char qlog_path[256];   /* Qlog = path of an NDJSON event log, "" = off */
	uint32_t workers;      /* Workers = 1..SHM_MAX_WORKERS, 0 = default */
	struct vpn_peer peers[VPN_MAX_PEERS];
	uint32_t n_peers;
	/* Peer i owns allowed[peers[i].first_allowed .. + n_allowed); ranges are contiguous and in
	 * peer order. */
	struct vpn_prefix allowed[VPN_MAX_ALLOWED];
	uint32_t n_allowed;
	/* Keys accepted but ignored (wg-quick's DNS, PostUp, ...): the first four messages, and how
	 * many more there were. */
	char warnings[VPN_MAX_WARNINGS][VPN_WARNING_BYTES];
	uint32_t n_warnings;
	uint32_t n_warnings_dropped;
};

/*
 * Parses `len` bytes of config text (need not be NUL-terminated; at most
 * VPN_MAX_FILE_BYTES). `path` only names the file in messages. Returns 0, or
 * -1 with `err` holding one line: "PATH:LINE: KEY = VALUE: what is wrong; how
 * to fix" (or "PATH:LINE: ..." / "PATH: ..." when no single key is at fault).
 * Secret values (PrivateKey, PresharedKey, anything shaped like a key under
 * another name) are never quoted. On failure *cfg is zeroed, so no key
 * material is left in it. Pure: no I/O, no allocation or global state of
 * ours, safe on any thread. Limits from libinih's line buffer (200 bytes in
 * Debian's build): Address and AllowedIPs lists may be any length (they are
 * fed to inih item by item), wg-quick hooks are cut (they are ignored), any
 * other value longer than what fits is refused with a message.
 */
int vpn_config_parse(struct vpn_config *cfg, const char *path, const char *text, size_t len,
		     char err[VPN_ERR_BYTES]);

/*
 * Reads the regular file at `path` (at most VPN_MAX_FILE_BYTES) and parses
 * it. A file that contains PrivateKey must not be readable by group or
 * others: the message says "chmod 600 PATH". Returns 0 or a negative errno
 * (-ENOENT and friends from the OS, -EFBIG too large, -EINVAL not a regular
 * file or a parse error, -EPERM readable key), with `err` filled on every
 * failure and *cfg zeroed. The copy of the file in memory is wiped.
 */
int vpn_config_load(struct vpn_config *cfg, const char *path, char err[VPN_ERR_BYTES]);

/*
 * Fills peers[i].endpoint for every peer with an endpoint: a numeric address
 * is converted directly, a name goes through getaddrinfo() (blocking; call it
 * from the control thread). Returns 0, -EAGAIN when the resolver failed
 * temporarily (worth a retry) or -ENOENT, with `err` naming the peer's line
 * and the host. Peers before the failing one keep their resolved address.
 */
int vpn_config_resolve(struct vpn_config *cfg, char err[VPN_ERR_BYTES]);

/*
 * Parses "10.0.0.1/24" or "fd00::1/64" (no surrounding spaces; no "/len"
 * means a single host, /32 or /128). Host bits may be set; callers that
 * need a network check that themselves. Returns false, *p untouched, on
 * anything else. vpn_prefix_format() writes at most VPN_PREFIX_TEXT_BYTES
 * including the NUL, truncating to `cap`.
 */
bool vpn_prefix_parse(struct vpn_prefix *p, const char *text);
void vpn_prefix_format(char *buf, size_t cap, const struct vpn_prefix *p);

/*
 * Parses a key: 44 characters of base64 (WireGuard's form, "=" last, must
 * decode to exactly 32 bytes with no stray bits) or 64 hex digits (drift
 * genkey's form). Runs in time that depends only on the length. Returns
 * false, with `out` zeroed, on anything else.
 */
bool vpn_key_parse(uint8_t out[WIRE_KEY_BYTES], const char *text);

/* Wipes the private key (secret_wipe) and clears has_private_key. NULL-safe. */
void vpn_config_wipe(struct vpn_config *cfg);

#endif
