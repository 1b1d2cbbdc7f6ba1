/* SPDX-License-Identifier: MIT */
/*
 * drift send: handshake with a peer, send a message (or stdin, split into
 * datagrams of at most 1348 bytes), optionally wait for the reply of an
 * `drift listen --echo`, then close the session. DATA is a datagram: only
 * --wait-reply confirms that something arrived.
 */
#include "tools/cli.h"
#include "tools/hex.h"
#include "tools/node.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	SEND_MAX_STDIN_BYTES = 16 << 20,
	SEND_CHUNK_BYTES = 1348,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift send --to PUBKEY@HOST:PORT [--key FILE | --ephemeral] [--bind ADDR]\n"
		"                  [--timeout MS] [--wait-reply] [--rekey] [--ticket FILE] "
		"MESSAGE|-\n"
		"\n"
		"Handshake with the peer and send MESSAGE, or standard input with '-' (in\n"
		"datagrams of at most 1348 bytes, up to 16 MiB).\n"
		"\n"
		"Options:\n"
		"  --to PUBKEY@HOST:PORT  the peer: its public key (hex) and UDP address\n"
		"  --key FILE             our identity (default ~/.drift/identity.key)\n"
		"  --ephemeral            use a throwaway identity (the peer needs --accept-any)\n"
		"  --bind ADDR            local address (default 0.0.0.0:0, or [::]:0 for IPv6)\n"
		"  --timeout MS           how long to wait for the handshake / reply (default "
		"5000)\n"
		"  --wait-reply           wait for one reply (e.g. from `drift listen --echo`) and "
		"print it\n"
		"  --rekey                start a new key epoch after the first datagram\n"
		"  --ticket FILE          resume with the ticket in FILE if there is one, and "
		"store\n"
		"                         the peer's next ticket there (mode 0600)\n"
		"  -h, --help             show this help\n");
}

static uint8_t *read_stdin(size_t *len)
{
	uint8_t *buf = malloc(SEND_MAX_STDIN_BYTES + 1);
	size_t n = 0;
	ssize_t r;

	if (!buf)
		return NULL;
	while (n <= SEND_MAX_STDIN_BYTES) {
		r = read(0, buf + n, SEND_MAX_STDIN_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* Never send a silently truncated input. */
			int err = errno;

			free(buf);
			errno = err;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

int cmd_send_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 'T'},	   {"key", required_argument, NULL, 'K'},
		{"ephemeral", no_argument, NULL, 'E'},	   {"bind", required_argument, NULL, 'B'},
		{"timeout", required_argument, NULL, 't'}, {"wait-reply", no_argument, NULL, 'w'},
		{"rekey", no_argument, NULL, 'r'},	   {"ticket", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *to = NULL, *key = NULL, *bind_addr = NULL, *ticket = NULL;
	bool ephemeral = false, wait_reply = false, rekey = false;
	unsigned long timeout_ms = 5000;
	struct node_target target;
	struct DriftTransport *t;
	struct DriftMessage *m = NULL;
	uint8_t pid[8], *data = NULL;
	size_t len = 0, off;
	enum DriftResult r;
	int c, ret = CLI_EXIT_FAILURE;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
			to = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'E':
			ephemeral = true;
			break;
		case 'B':
			bind_addr = optarg;
			break;
		case 'w':
			wait_reply = true;
			break;
		case 'r':
			rekey = true;
			break;
		case 'k':
			ticket = optarg;
			break;
		case 't':
			timeout_ms = strtoul(optarg, &end, 10);
			if (*end || !timeout_ms) {
				cli_error("send", "--timeout \"%s\" is not a positive number of ms",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("send", c, argv, usage);
		}
	}
	if (!to) {
		cli_error("send", "missing --to PUBKEY@HOST:PORT (see drift send --help)");
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc) {
		cli_error("send", "missing MESSAGE (or '-' to read standard input)");
		return CLI_EXIT_USAGE;
	}
	if (optind + 1 < argc)
		return cli_extra_argument("send", argv[optind + 1], usage);
	if (key && ephemeral) {
		cli_error("send", "--key and --ephemeral exclude each other; pick one");
		return CLI_EXIT_USAGE;
	}
	if (!node_parse_target("send", to, &target))
		return CLI_EXIT_USAGE;
	if (strcmp(argv[optind], "-") == 0) {
		data = read_stdin(&len);
		if (!data) {
			cli_error("send", "cannot read standard input: %s; nothing was sent",
				  strerror(errno));
			return CLI_EXIT_FAILURE;
		}
		if (len > SEND_MAX_STDIN_BYTES) {
			cli_error("send", "standard input is larger than 16 MiB; send it in parts");
			free(data);
			return CLI_EXIT_FAILURE;
		}
	} else {
		len = strlen(argv[optind]);
		data = malloc(len + 1);
		if (!data)
			return CLI_EXIT_FAILURE;
		memcpy(data, argv[optind], len);
	}
	t = node_dial("send", &target, bind_addr, key, ephemeral, pid);
	if (!t)
		goto out_free;
	if (ticket)
		node_ticket_load("send", t, ticket);
	r = drift_transport_connect(t, pid, timeout_ms);
	if (r != DRIFT_OK) {
		cli_error("send",
			  "no handshake with %s within %lu ms (%s); check that `drift listen` "
			  "runs there, accepts our key (--accept-any or --peer), and that UDP "
			  "reaches it",
			  target.addr, timeout_ms, node_result_name(r));
		goto out_close;
	}
	for (off = 0; off < len || (len == 0 && off == 0); off += SEND_CHUNK_BYTES) {
		size_t n = len - off < SEND_CHUNK_BYTES ? len - off : SEND_CHUNK_BYTES;

		r = drift_transport_send_data(t, pid, data + off, n, 0, 0);
		if (r != DRIFT_OK) {
			cli_error("send", "sending to %s failed: %s", target.addr,
				  node_result_name(r));
			goto out_close;
		}
		if (len == 0)
			break;
		if (rekey && off == 0 && (r = drift_transport_rekey(t, pid)) != DRIFT_OK) {
			cli_error("send", "rekey with %s failed: %s", target.addr,
				  node_result_name(r));
			goto out_close;
		}
	}
	ret = CLI_EXIT_OK;
	if (wait_reply) {
		r = drift_transport_recv(t, timeout_ms, &m);
		if (r != DRIFT_OK) {
			cli_error("send",
				  "sent %zu bytes to %s but no reply came within %lu ms (is the "
				  "listener running with --echo?)",
				  len, target.addr, timeout_ms);
			ret = CLI_EXIT_FAILURE;
		} else {
			fwrite(drift_message_payload(m), 1, drift_message_payload_len(m), stdout);
			fputc('\n', stdout);
			drift_message_free(m);
		}
	}
	if (ticket && ret == CLI_EXIT_OK && !node_ticket_save("send", t, pid, ticket, 1000))
		ret = CLI_EXIT_FAILURE;
	drift_transport_close_peer(t, pid);
out_close:
	drift_transport_free(t);
out_free:
	free(data);
	return ret;
}
