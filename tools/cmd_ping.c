/* SPDX-License-Identifier: MIT */
/*
 * drift ping: measures a DRIFT session against `drift listen --echo`: the
 * handshake time (connect to first established), COUNT round trips of
 * SIZE-byte messages, and with --resume a second, resumed handshake (close,
 * then 1-RTT resumption with the ticket the listener sent). Prints a line
 * per event and a summary, like ping(8).
 */
#include "tools/cli.h"
#include "tools/hex.h"
#include "tools/node.h"

#include "internal/bytes.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	PING_MIN_BYTES = 16, /* seq (8) + send time (8) */
	PING_MAX_COUNT = 100000,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift ping --to PUBKEY@HOST:PORT [--key FILE | --ephemeral] [--bind ADDR]\n"
		"                  [-c COUNT] [-s SIZE] [-i INTERVAL_MS] [--timeout MS] "
		"[--resume]\n"
		"\n"
		"Handshake with a `drift listen --echo` peer, time COUNT echoed messages, and\n"
		"with --resume close the session and time a 1-RTT resumption.\n"
		"\n"
		"Options:\n"
		"  --to PUBKEY@HOST:PORT  the echoing peer\n"
		"  --key FILE             our identity (default ~/.drift/identity.key)\n"
		"  --ephemeral            a throwaway identity (the peer needs --accept-any)\n"
		"  --bind ADDR            local address (default 0.0.0.0:0, or [::]:0 for IPv6)\n"
		"  -c, --count COUNT      messages to send (default 10)\n"
		"  -s, --size SIZE        bytes per message, 16-1348 (default 64)\n"
		"  -i, --interval MS      pause between messages (default 100)\n"
		"  --timeout MS           wait per handshake / reply (default 2000)\n"
		"  --resume               close, then resume with the ticket and ping once more\n"
		"  --busy-poll US         poll up to US microseconds for each reply before "
		"sleeping\n"
		"  -h, --help             show this help\n");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* One echoed round trip; returns the RTT in µs or 0 when no matching reply came. */
static uint64_t round_trip(struct DriftTransport *t, const uint8_t pid[8], uint64_t seq,
			   size_t size, unsigned long timeout_ms)
{
	uint8_t buf[1348] = {0};
	uint64_t start = node_now_us(), deadline = start + timeout_ms * 1000ULL;

	store_be64(buf, seq);
	store_be64(buf + 8, start);
	if (drift_transport_send_data(t, pid, buf, size, 0, 0) != DRIFT_OK)
		return 0;
	for (uint64_t now = node_now_us(); now < deadline && !node_stop; now = node_now_us()) {
		struct DriftMessage *m = NULL;
		uint64_t left_ms = (deadline - now) / 1000 + 1; /* now < deadline: no underflow */
		bool match;

		if (drift_transport_recv(t, left_ms, &m) != DRIFT_OK)
			break;
		match = drift_message_payload_len(m) >= PING_MIN_BYTES &&
			load_be64(drift_message_payload(m)) == seq;
		drift_message_free(m);
		if (match)
			return node_now_us() - start ? node_now_us() - start : 1;
	}
	return 0;
}

static void print_handshake(const char *what, struct DriftTransport *t, const uint8_t pid[8],
			    const char *addr, uint64_t us)
{
	struct DriftPeerStats st;
	char id[17];

	drift_transport_peer_stats(t, pid, &st);
	hex_encode(id, pid, 8);
	printf("%s handshake with %s at %s: %.3f ms (%s)\n", what, id, addr, us / 1000.0,
	       st.was_resumed ? "1-RTT resumption with a ticket" : "full X25519 handshake");
}

int cmd_ping_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 'T'},
		{"key", required_argument, NULL, 'K'},
		{"ephemeral", no_argument, NULL, 'E'},
		{"bind", required_argument, NULL, 'B'},
		{"count", required_argument, NULL, 'c'},
		{"size", required_argument, NULL, 's'},
		{"interval", required_argument, NULL, 'i'},
		{"timeout", required_argument, NULL, 't'},
		{"resume", no_argument, NULL, 'R'},
		{"busy-poll", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *to = NULL, *key = NULL, *bind_addr = NULL;
	unsigned long count = 10, size = 64, interval = 100, timeout_ms = 2000;
	bool ephemeral = false, resume = false;
	uint32_t busy_poll_us = 0;
	struct node_target target;
	struct DriftTransport *t;
	struct DriftPeerStats st;
	uint64_t *rtts, start, rtt;
	unsigned long got = 0;
	uint8_t pid[8];
	enum DriftResult r;
	int c, ret = CLI_EXIT_FAILURE;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":hc:s:i:", longopts, NULL)) != -1) {
		unsigned long *num = NULL;

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
		case 'b':
			if (!node_parse_busy_poll("ping", optarg, &busy_poll_us))
				return CLI_EXIT_USAGE;
			break;
		case 'R':
			resume = true;
			break;
		case 'c':
			num = &count;
			break;
		case 's':
			num = &size;
			break;
		case 'i':
			num = &interval;
			break;
		case 't':
			num = &timeout_ms;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("ping", c, argv, usage);
		}
		if (num) {
			*num = strtoul(optarg, &end, 10);
			if (*end || (!*num && num != &interval)) {
				cli_error("ping", "option value \"%s\" is not a positive number",
					  optarg);
				return CLI_EXIT_USAGE;
			}
		}
	}
	if (optind < argc)
		return cli_extra_argument("ping", argv[optind], usage);
	if (!to) {
		cli_error("ping", "missing --to PUBKEY@HOST:PORT (see drift ping --help)");
		return CLI_EXIT_USAGE;
	}
	if (size < PING_MIN_BYTES || size > 1348 || count > PING_MAX_COUNT) {
		cli_error("ping", "--size must be 16-1348 and --count at most %d", PING_MAX_COUNT);
		return CLI_EXIT_USAGE;
	}
	if (key && ephemeral) {
		cli_error("ping", "--key and --ephemeral exclude each other; pick one");
		return CLI_EXIT_USAGE;
	}
	if (!node_parse_target("ping", to, &target))
		return CLI_EXIT_USAGE;
	rtts = calloc(count + 1, sizeof(*rtts));
	if (!rtts)
		return CLI_EXIT_FAILURE;
	t = node_dial("ping", &target, bind_addr, key, ephemeral, pid);
	if (!t)
		goto out_free;
	node_catch_signals();
	if (busy_poll_us)
		drift_transport_set_busy_poll(t, busy_poll_us);
	start = node_now_us();
	r = drift_transport_connect(t, pid, timeout_ms);
	if (r != DRIFT_OK) {
		cli_error("ping",
			  "no handshake with %s within %lu ms (%s); check that `drift listen "
			  "--echo` runs there and accepts our key, and that UDP reaches it",
			  target.addr, timeout_ms, node_result_name(r));
		goto out_close;
	}
	print_handshake("full", t, pid, target.addr, node_now_us() - start);

	for (unsigned long i = 0; i < count && !node_stop; i++) {
		rtt = round_trip(t, pid, i, size, timeout_ms);
		if (rtt) {
			rtts[got++] = rtt;
			printf("%lu bytes from %s: seq=%lu time=%.3f ms\n", size, target.addr, i,
			       rtt / 1000.0);
		} else {
			printf("no reply for seq=%lu within %lu ms\n", i, timeout_ms);
		}
		fflush(stdout);
		if (interval && i + 1 < count)
			sleep_ms(interval);
	}
	qsort(rtts, got, sizeof(*rtts), cmp_u64);
	drift_transport_peer_stats(t, pid, &st);
	printf("--- %s drift ping statistics ---\n", target.addr);
	printf("%lu sent, %lu received, %.1f%% loss, short header %s\n", count, got,
	       count ? 100.0 * (double)(count - got) / (double)count : 0.0,
	       st.uses_short_header ? "yes" : "no");
	if (got) {
		uint64_t sum = 0;

		for (unsigned long i = 0; i < got; i++)
			sum += rtts[i];
		printf("rtt min/avg/p50/p99/max = %.3f/%.3f/%.3f/%.3f/%.3f ms\n", rtts[0] / 1000.0,
		       (double)sum / (double)got / 1000.0, rtts[got / 2] / 1000.0,
		       rtts[(got * 99) / 100 < got ? (got * 99) / 100 : got - 1] / 1000.0,
		       rtts[got - 1] / 1000.0);
	}
	ret = got == count ? CLI_EXIT_OK : CLI_EXIT_FAILURE;

	if (resume && ret == CLI_EXIT_OK) {
		/* The listener sends its ticket right after the handshake; make sure we hold it. */
		for (int i = 0; i < 100; i++) {
			drift_transport_peer_stats(t, pid, &st);
			if (st.is_resumable)
				break;
			sleep_ms(10);
		}
		if (!st.is_resumable) {
			cli_error("ping", "no resumption ticket arrived from %s", target.addr);
			ret = CLI_EXIT_FAILURE;
			goto out_close;
		}
		drift_transport_close_peer(t, pid);
		printf("session closed; resuming with the ticket\n");
		start = node_now_us();
		r = drift_transport_connect(t, pid, timeout_ms);
		if (r != DRIFT_OK) {
			cli_error("ping", "resumption with %s failed: %s", target.addr,
				  node_result_name(r));
			ret = CLI_EXIT_FAILURE;
			goto out_close;
		}
		print_handshake("resumed", t, pid, target.addr, node_now_us() - start);
		rtt = round_trip(t, pid, count, size, timeout_ms);
		if (rtt)
			printf("%lu bytes from %s: seq=%lu time=%.3f ms (resumed session)\n", size,
			       target.addr, count, rtt / 1000.0);
		drift_transport_peer_stats(t, pid, &st);
		if (!rtt || !st.was_resumed)
			ret = CLI_EXIT_FAILURE;
	}
	drift_transport_close_peer(t, pid);
out_close:
	drift_transport_free(t);
out_free:
	free(rtts);
	return ret;
}
