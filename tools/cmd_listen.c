/* SPDX-License-Identifier: MIT */
/*
 * drift listen: a DRIFT node that prints every message it receives with the
 * sender's peer id, and with --echo sends each one back (for interop and
 * latency checks). Who may connect: identities given with --peer, or anyone
 * with --accept-any. Runs until SIGINT/SIGTERM or --count messages.
 */
#include "tools/cli.h"

#include "crypto/kdf.h"
#include "tools/hex.h"
#include "tools/node.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
	LISTEN_MAX_PEERS = 64,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift listen [ADDR] [--accept-any] [--peer PUBKEY]...\n"
		"                    [--key FILE | --ephemeral] [--echo] [--cookies always|N]\n"
		"                    [--max-peers N] [--busy-poll US] [--count N] [--quiet]\n"
		"\n"
		"Receive DRIFT messages on UDP ADDR (default 0.0.0.0:9000; [::]:PORT for IPv6)\n"
		"and print each as: PEER_ID LEN bytes: TEXT (or hex:... when not printable).\n"
		"\n"
		"Options:\n"
		"  --accept-any    accept a handshake from any identity\n"
		"  --peer PUBKEY   accept this identity (64 hex digits); repeatable\n"
		"  --key FILE      our identity (default ~/.drift/identity.key)\n"
		"  --ephemeral     use a throwaway identity instead of a key file\n"
		"  --echo          send every message back to its sender\n"
		"  --cookies always|N  demand DoS cookies from every HELLO, or once N\n"
		"                  handshakes are half-open (default: never)\n"
		"  --max-peers N   how many identities --accept-any may register (default 8192)\n"
		"  --busy-poll US  poll up to US microseconds for the next message before "
		"sleeping\n"
		"                  (lower latency, one busy core; default 0)\n"
		"  --count N       exit after N messages\n"
		"  --quiet         do not print messages, only the summary at exit\n"
		"  -h, --help      show this help\n");
}

static void print_message(const uint8_t from[8], const uint8_t *p, size_t n)
{
	char id[17], hex[2 * 1348 + 1];
	bool printable = true;

	hex_encode(id, from, 8);
	for (size_t i = 0; i < n && printable; i++)
		printable = isprint(p[i]) || p[i] == '\t';
	if (printable)
		printf("%s %zu bytes: %.*s\n", id, n, (int)n, (const char *)p);
	else
		printf("%s %zu bytes: hex:%s\n", id, n, hex_encode(hex, p, n));
	fflush(stdout);
}

int cmd_listen_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"accept-any", no_argument, NULL, 'A'},
		{"peer", required_argument, NULL, 'P'},
		{"key", required_argument, NULL, 'K'},
		{"ephemeral", no_argument, NULL, 'E'},
		{"echo", no_argument, NULL, 'e'},
		{"count", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"cookies", required_argument, NULL, 'C'},
		{"max-peers", required_argument, NULL, 'M'},
		{"busy-poll", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	const char *peers[LISTEN_MAX_PEERS], *key = NULL, *bind_addr = "0.0.0.0:9000";
	bool accept_any = false, echo = false, ephemeral = false, quiet = false;
	bool cookies_always = false;
	unsigned long cookie_threshold = UINT32_MAX, max_peers = 0;
	uint32_t busy_poll_us = 0;
	unsigned long count = 0, received = 0, echoed = 0;
	struct DriftTransport *t;
	uint8_t pub[32], id[8];
	char pub_hex[65], id_hex[17], local[64];
	int npeers = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'A':
			accept_any = true;
			break;
		case 'P':
			if (npeers == LISTEN_MAX_PEERS) {
				cli_error("listen", "at most %d --peer options", LISTEN_MAX_PEERS);
				return CLI_EXIT_USAGE;
			}
			peers[npeers++] = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'E':
			ephemeral = true;
			break;
		case 'e':
			echo = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'b':
			if (!node_parse_busy_poll("listen", optarg, &busy_poll_us))
				return CLI_EXIT_USAGE;
			break;
		case 'M': {
			char *end;

			max_peers = strtoul(optarg, &end, 10);
			if (*end || !max_peers || max_peers > (1ul << 22)) {
				cli_error("listen",
					  "--max-peers \"%s\" is not a number from 1 to %lu",
					  optarg, 1ul << 22);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'C': {
			char *end;

			if (strcmp(optarg, "always") == 0) {
				cookies_always = true;
				break;
			}
			cookie_threshold = strtoul(optarg, &end, 10);
			if (*end || !cookie_threshold || cookie_threshold >= UINT32_MAX) {
				cli_error("listen",
					  "--cookies \"%s\" is neither \"always\" nor a positive "
					  "number of half-open handshakes",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'c': {
			char *end;

			count = strtoul(optarg, &end, 10);
			if (*end || !count) {
				cli_error("listen", "--count \"%s\" is not a positive number",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("listen", c, argv, usage);
		}
	}
	if (optind < argc)
		bind_addr = argv[optind++];
	if (optind < argc)
		return cli_extra_argument("listen", argv[optind], usage);
	if (!accept_any && !npeers) {
		cli_error("listen",
			  "nobody could connect: pass --accept-any, or --peer PUBKEY for each "
			  "identity allowed in");
		return CLI_EXIT_USAGE;
	}
	if (key && ephemeral) {
		cli_error("listen", "--key and --ephemeral exclude each other; pick one");
		return CLI_EXIT_USAGE;
	}
	for (int i = 0; i < npeers; i++)
		if (!node_parse_pubkey("listen", "--peer", peers[i], pub))
			return CLI_EXIT_USAGE;

	t = node_open("listen", bind_addr, key, ephemeral, pub);
	if (!t)
		return CLI_EXIT_FAILURE;
	drift_transport_set_accept_any(t, accept_any);
	if (max_peers)
		drift_transport_set_max_peers(t, (uint32_t)max_peers);
	if (busy_poll_us)
		drift_transport_set_busy_poll(t, busy_poll_us);
	if (cookies_always || cookie_threshold != UINT32_MAX)
		drift_transport_set_cookies(t, cookies_always, (uint32_t)cookie_threshold);
	for (int i = 0; i < npeers; i++) {
		uint8_t peer_pub[32];

		node_parse_pubkey("listen", "--peer", peers[i], peer_pub);
		if (drift_transport_add_peer(t, peer_pub, "0.0.0.0:0", 0, id) != DRIFT_OK) {
			cli_error("listen",
				  "--peer %s cannot be registered (our own key, or an id "
				  "collision)",
				  peers[i]);
			drift_transport_free(t);
			return CLI_EXIT_USAGE;
		}
	}
	drift_transport_local_addr(t, local, sizeof(local));
	hex_encode(pub_hex, pub, 32);
	kdf_peer_id(id, pub);
	hex_encode(id_hex, id, 8);
	printf("listening on %s\npublic key %s\npeer id    %s\n", local, pub_hex, id_hex);
	fflush(stdout);

	node_catch_signals();
	while (!node_stop && (!count || received < count)) {
		struct DriftMessage *m = NULL;
		uint8_t from[8];

		if (drift_transport_recv(t, 200, &m) != DRIFT_OK)
			continue;
		received++;
		drift_message_peer_id(m, from);
		if (!quiet)
			print_message(from, drift_message_payload(m), drift_message_payload_len(m));
		if (echo &&
		    drift_transport_send_data(t, from, drift_message_payload(m),
					      drift_message_payload_len(m), 0, 0) == DRIFT_OK)
			echoed++;
		drift_message_free(m);
	}
	fprintf(stderr, "drift listen: %lu messages received, %lu echoed, %llu handshakes\n",
		received, echoed, (unsigned long long)drift_transport_handshakes_completed(t));
	drift_transport_free(t);
	return CLI_EXIT_OK;
}
