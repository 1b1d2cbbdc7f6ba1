/* SPDX-License-Identifier: MIT */
/*
 * drift dp-ping: round trips through driftd's dataplane against a
 * `drift sink --echo`, one datagram outstanding at a time, timed from the
 * send call to the echo coming out of drift_app_recv(). Prints
 *   dp-ping: N sent, R received, rtt min/p50/p99/max A/B/C/D us
 * and exits 0 only when every ping came back.
 */
#include "tools/app_link.h"
#include "tools/cli.h"
#include "tools/dgram_pattern.h"
#include "tools/node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	PING_REPLY_WAIT_MS = 1000,
	PING_SEND_WAIT_US = 100000,
	PING_BATCH = 16,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift dp-ping --to ADDR --peer PUBHEX [--count N] [--size B] [--name N]\n"
		"\n"
		"Time N round trips to `drift sink --echo` through driftd and drift-dp, one at a\n"
		"time, and print\n"
		"  dp-ping: N sent, R received, rtt min/p50/p99/max A/B/C/D us\n"
		"\n"
		"Options:\n"
		"  --to ADDR              the echoing node's drift-dp address (HOST:PORT)\n"
		"  --peer PUBHEX          its public key\n"
		"  --count N              round trips (default 1000)\n"
		"  --size B               bytes per datagram, 16-1348 (default 64)\n"
		"  --connect-timeout MS   how long the handshake may take (default 5000)\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Waits for the echo of `seq`; its round trip in microseconds, or 0 when none came. */
static uint64_t await_echo(struct DriftApp *app, const struct DriftAppSession *s, uint64_t seq,
			   size_t size, uint64_t sent_us)
{
	static struct DriftAppMsg msgs[PING_BATCH];
	uint64_t got_seq, count, now;
	int n;

	for (;;) {
		now = node_now_us();
		if (now - sent_us >= PING_REPLY_WAIT_MS * 1000ULL || node_stop)
			return 0;
		n = drift_app_recv(app, msgs, PING_BATCH,
				   (int)(PING_REPLY_WAIT_MS - (now - sent_us) / 1000));
		now = node_now_us();
		for (int i = 0; i < n; i++)
			/* Late echoes of earlier pings are skipped by their seq. */
			if (msgs[i].kind == DRIFT_APP_DATA && msgs[i].len == size &&
			    !memcmp(msgs[i].session.peer_id, s->peer_id, sizeof(s->peer_id)) &&
			    dgram_pattern_check(msgs[i].data, msgs[i].len, &got_seq, &count) &&
			    got_seq == seq)
				return now - sent_us ? now - sent_us : 1;
	}
}

static int ping(struct DriftApp *app, const struct DriftAppSession *s, uint64_t count, size_t size)
{
	uint64_t *rtt = calloc(count, sizeof(*rtt)), got = 0, sent = 0;
	uint8_t buf[DGRAM_PATTERN_MAX_BYTES];
	int rc;

	if (!rtt) {
		cli_error("dp-ping", "out of memory for %llu samples", (unsigned long long)count);
		return CLI_EXIT_FAILURE;
	}
	for (uint64_t i = 0; i < count && !node_stop; i++) {
		uint64_t t0 = node_now_us(), r;

		dgram_pattern_fill(buf, size, i, count);
		rc = app_link_send(app, s, buf, size, PING_SEND_WAIT_US);
		if (rc) {
			cli_error("dp-ping", "queueing a ping for drift-dp failed: %s",
				  strerror(-rc));
			break;
		}
		sent++;
		r = await_echo(app, s, i, size, t0);
		if (r)
			rtt[got++] = r;
	}
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
	if (got)
		fprintf(stderr,
			"dp-ping: %llu sent, %llu received, rtt min/p50/p99/max "
			"%llu/%llu/%llu/%llu us\n",
			(unsigned long long)sent, (unsigned long long)got,
			(unsigned long long)rtt[0], (unsigned long long)rtt[(got - 1) / 2],
			(unsigned long long)rtt[(got - 1) * 99 / 100],
			(unsigned long long)rtt[got - 1]);
	else
		fprintf(stderr,
			"dp-ping: %llu sent, 0 received; is `drift sink --echo` running "
			"there and accepting our key?\n",
			(unsigned long long)sent);
	free(rtt);
	return got == count ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cmd_dp_ping_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS,
		{"count", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long count = 1000, size = 64;
	struct app_link_opts o;
	struct DriftAppSession s;
	struct DriftApp *app;
	int c, rc, ret = CLI_EXIT_FAILURE;
	char *end;

	app_link_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'n':
			count = strtoull(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || !count || count > 10000000) {
				cli_error("dp-ping", "--count \"%s\" is not 1-10000000", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 's':
			size = strtoull(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || size < DGRAM_PATTERN_MIN_BYTES ||
			    size > DGRAM_PATTERN_MAX_BYTES) {
				cli_error("dp-ping", "--size \"%s\" is not 16-1348 bytes", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			rc = app_link_option("dp-ping", c, optarg, &o);
			if (rc < 0)
				return CLI_EXIT_USAGE;
			if (rc == 0)
				return cli_option_error("dp-ping", c, argv, usage);
		}
	}
	if (optind < argc)
		return cli_extra_argument("dp-ping", argv[optind], usage);
	if (!app_link_check_dial("dp-ping", &o))
		return CLI_EXIT_USAGE;
	node_catch_signals();
	app = app_link_attach("dp-ping", &o);
	if (!app)
		return CLI_EXIT_FAILURE;
	if (app_link_dial("dp-ping", app, &o, &s))
		ret = ping(app, &s, count, (size_t)size);
	drift_app_detach(app);
	return ret;
}
