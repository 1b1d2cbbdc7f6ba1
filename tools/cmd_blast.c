/* SPDX-License-Identifier: MIT */
/*
 * drift blast: numbered datagrams (see dgram_pattern.h) as fast as drift-dp
 * takes them, or at a fixed rate, to a `drift sink` on another node. A full
 * tx ring is waited out, never skipped, so every seq is sent exactly once;
 * the summary says how often the ring was full and how many worker
 * wake-ups that cost.
 */
#include "tools/app_link.h"
#include "tools/cli.h"
#include "tools/dgram_pattern.h"
#include "tools/node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	BLAST_BATCH = 32,
	BLAST_SPIN_NS = 50 * 1000, /* closer to the next due time than this: spin, do not sleep */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift blast --to ADDR --peer PUBHEX [--count N | --duration S] [--size B]\n"
		"                   [--rate PPS] [--name N]\n"
		"\n"
		"Send N numbered datagrams to `drift sink` through driftd and drift-dp, then "
		"print\n"
		"  blast: sent N datagrams of B bytes in T s, R pps, X Mb/s, ring full F times, W "
		"wakeups\n"
		"\n"
		"Options:\n"
		"  --to ADDR              the sink's drift-dp address (HOST:PORT)\n"
		"  --peer PUBHEX          the sink node's public key\n"
		"  --count N              datagrams to send (default 100000)\n"
		"  --size B               bytes per datagram, 16-1348 (default 1348)\n"
		"  --rate PPS             datagrams per second (default 0: as fast as the ring "
		"takes them)\n"
		"  --duration S           stop after S seconds instead of after N datagrams (the\n"
		"                         sink then counts up to the highest number it saw)\n"
		"  --connect-timeout MS   how long the handshake may take (default 5000)\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

static bool parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (*text == '-' || !*text || *end || errno || v < min || v > max) {
		cli_error("blast", "%s \"%s\" is not a number in %llu-%llu", opt, text,
			  (unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

/* How many datagrams the rate allows now (0: sleep first); everything when unlimited. */
static uint64_t due_now(uint64_t rate, uint64_t sent, int64_t start_ns)
{
	int64_t now = (int64_t)node_now_us() * 1000, next_ns;
	uint64_t due;

	if (!rate)
		return BLAST_BATCH;
	due = (uint64_t)((double)(now - start_ns) * (double)rate / 1e9) + 1;
	if (due > sent)
		return due - sent < BLAST_BATCH ? due - sent : BLAST_BATCH;
	next_ns = start_ns + (int64_t)((double)sent * 1e9 / (double)rate);
	if (next_ns - now > BLAST_SPIN_NS)
		nanosleep(&(struct timespec){.tv_nsec = next_ns - now - BLAST_SPIN_NS / 2}, NULL);
	return 0;
}

static int blast(struct DriftApp *app, const struct DriftAppSession *s, uint64_t count, size_t size,
		 uint64_t rate, uint64_t duration_s)
{
	static uint8_t data[BLAST_BATCH][DGRAM_PATTERN_MAX_BYTES];
	struct DriftAppBuf bufs[BLAST_BATCH];
	uint64_t sent = 0, full = 0, want;
	int64_t start = (int64_t)node_now_us() * 1000;
	struct DriftAppStats st;
	double secs;
	int rc;

	while (sent < count && !node_stop) {
		if (duration_s &&
		    (int64_t)node_now_us() * 1000 - start >= (int64_t)duration_s * 1000000000)
			break;
		want = due_now(rate, sent, start);
		if (want > count - sent)
			want = count - sent;
		if (!want)
			continue;
		for (uint64_t i = 0; i < want; i++) {
			/* With --duration the total is not known up front: say 0. */
			dgram_pattern_fill(data[i], size, sent + i, duration_s ? 0 : count);
			bufs[i].data = data[i];
			bufs[i].len = size;
		}
		rc = drift_app_send_batch(app, s, bufs, (unsigned)want);
		if (rc == -EAGAIN) {
			full++;
			nanosleep(&(struct timespec){.tv_nsec = 2000}, NULL);
			continue;
		}
		if (rc < 0) {
			cli_error("blast", "queueing datagrams for drift-dp failed: %s",
				  strerror(-rc));
			return CLI_EXIT_FAILURE;
		}
		sent += (uint64_t)rc;
	}
	secs = (double)((int64_t)node_now_us() * 1000 - start) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	if (drift_app_flush(app, 2000) != 0)
		cli_error("blast", "drift-dp did not take the last datagrams within 2 s; is it "
				   "running?");
	drift_app_stats(app, &st);
	fprintf(stderr,
		"blast: sent %llu datagrams of %zu bytes in %.3f s, %.0f pps, %.1f Mb/s, ring full "
		"%llu times, %llu wakeups\n",
		(unsigned long long)sent, size, secs, (double)sent / secs,
		(double)sent * (double)size * 8 / secs / 1e6, (unsigned long long)full,
		(unsigned long long)st.tx_wakeups);
	return sent == count || (duration_s && !node_stop) ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cmd_blast_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS,
		{"count", required_argument, NULL, 'n'},
		{"size", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{"duration", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t count = 100000, size = DGRAM_PATTERN_MAX_BYTES, rate = 0, duration_s = 0;
	bool has_count = false;
	struct app_link_opts o;
	struct DriftAppSession s;
	struct DriftApp *app;
	int c, rc, ret = CLI_EXIT_FAILURE;

	app_link_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'n':
			ok = parse_u64("--count", optarg, 1, UINT64_MAX / 2, &count);
			has_count = true;
			break;
		case 'd':
			ok = parse_u64("--duration", optarg, 1, 86400, &duration_s);
			break;
		case 's':
			ok = parse_u64("--size", optarg, DGRAM_PATTERN_MIN_BYTES,
				       DGRAM_PATTERN_MAX_BYTES, &size);
			break;
		case 'r':
			ok = parse_u64("--rate", optarg, 0, 100000000, &rate);
			break;
		default:
			rc = app_link_option("blast", c, optarg, &o);
			if (rc == 0)
				return cli_option_error("blast", c, argv, usage);
			ok = rc > 0;
		}
		if (!ok)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_extra_argument("blast", argv[optind], usage);
	if (!app_link_check_dial("blast", &o))
		return CLI_EXIT_USAGE;
	node_catch_signals();
	app = app_link_attach("blast", &o);
	if (!app)
		return CLI_EXIT_FAILURE;
	if (duration_s && !has_count)
		count = UINT64_MAX / 2;
	if (app_link_dial("blast", app, &o, &s))
		ret = blast(app, &s, count, (size_t)size, rate, duration_s);
	drift_app_detach(app);
	return ret;
}
