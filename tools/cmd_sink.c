/* SPDX-License-Identifier: MIT */
/*
 * drift sink: receives the numbered datagrams of `drift blast` (or
 * `drift dp-ping`) through driftd and drift-dp and accounts for each seq:
 * unique, duplicate, missing or corrupt. With --echo it sends every
 * datagram back to where it came from. It ends when all N arrived, after
 * --timeout seconds of silence, or on SIGINT, and prints
 *   sink: received U unique, D duplicates, M missing of N, C corrupt, goodput X Mb/s over T s
 */
#include "tools/app_link.h"
#include "tools/cli.h"
#include "tools/dgram_pattern.h"
#include "tools/node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	SINK_BATCH = 64,
	SINK_MAX_SEQ_LOG2 = 34,	   /* 2 GiB of bitmap at most */
	SINK_ECHO_WAIT_US = 10000, /* ring room we wait for per echo */
};

struct sink {
	uint64_t *seen; /* bit per seq */
	uint64_t seen_bits;
	uint64_t expected; /* N: --count, else the datagrams' count, else max seq + 1 */
	bool is_count_given;
	uint64_t max_seq_plus1, unique, dups, corrupt, bytes, echo_dropped;
	uint64_t first_us, last_us;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift sink [--accept-any | --peer PUBHEX] [--count N] [--timeout S] "
		"[--echo]\n"
		"                  [--allow-loss] [--name N]\n"
		"\n"
		"Receive `drift blast` datagrams and check each one, then print\n"
		"  sink: received U unique, D duplicates, M missing of N, C corrupt, goodput X "
		"Mb/s over T s\n"
		"Exits 0 only when nothing was duplicated, corrupt or (without --allow-loss) "
		"missing.\n"
		"\n"
		"Options:\n"
		"  --accept-any           accept any sender's key\n"
		"  --peer PUBHEX          accept only this sender\n"
		"  --count N              datagrams expected (default: what the sender says)\n"
		"  --timeout S            stop after S seconds without a datagram (default 10)\n"
		"  --echo                 send every datagram back (for `drift dp-ping`)\n"
		"  --allow-loss           exit 0 even when datagrams are missing\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

/* Marks seq as seen; false when it was already. */
static bool mark(struct sink *k, uint64_t seq)
{
	uint64_t word = seq / 64, bit = (uint64_t)1 << (seq % 64);

	if (seq >= k->seen_bits) {
		uint64_t bits = k->seen_bits ? k->seen_bits : 1 << 20;
		uint64_t *grown;

		while (bits <= seq)
			bits *= 2;
		grown = realloc(k->seen, bits / 8);
		if (!grown)
			return true; /* cannot track it: count it as unique rather than abort */
		memset((uint8_t *)grown + k->seen_bits / 8, 0, (bits - k->seen_bits) / 8);
		k->seen = grown;
		k->seen_bits = bits;
	}
	if (k->seen[word] & bit)
		return false;
	k->seen[word] |= bit;
	return true;
}

static void account(struct sink *k, const struct DriftAppMsg *m)
{
	uint64_t seq, count, now = node_now_us();

	if (!dgram_pattern_check(m->data, m->len, &seq, &count) ||
	    seq >= (uint64_t)1 << SINK_MAX_SEQ_LOG2 || (k->expected && seq >= k->expected)) {
		k->corrupt++;
		return;
	}
	if (!k->is_count_given && !k->expected && count &&
	    count <= (uint64_t)1 << SINK_MAX_SEQ_LOG2)
		k->expected = count;
	if (!mark(k, seq)) {
		k->dups++;
		return;
	}
	if (!k->unique++)
		k->first_us = now;
	k->last_us = now;
	k->bytes += m->len;
	if (seq + 1 > k->max_seq_plus1)
		k->max_seq_plus1 = seq + 1;
}

static void run(struct DriftApp *app, const struct app_link_opts *o, struct sink *k,
		uint64_t timeout_us, bool is_echo)
{
	static struct DriftAppMsg msgs[SINK_BATCH];
	uint64_t last_us = node_now_us();
	int n;

	while (!node_stop && (!k->expected || k->unique < k->expected)) {
		n = drift_app_recv(app, msgs, SINK_BATCH, 100);
		if (n <= 0) {
			if (n < 0 && n != -EINTR)
				break;
			if (node_now_us() - last_us > timeout_us)
				break;
			continue;
		}
		last_us = node_now_us();
		for (int i = 0; i < n; i++) {
			if (msgs[i].kind != DRIFT_APP_DATA ||
			    !app_link_peer_allowed(o, &msgs[i].session))
				continue;
			account(k, &msgs[i]);
			if (is_echo && app_link_send(app, &msgs[i].session, msgs[i].data,
						     msgs[i].len, SINK_ECHO_WAIT_US) != 0)
				k->echo_dropped++;
		}
	}
}

static int report(const struct sink *k, bool allow_loss)
{
	uint64_t n = k->expected ? k->expected : k->max_seq_plus1;
	uint64_t missing = n > k->unique ? n - k->unique : 0;
	double secs = (double)(k->last_us - k->first_us) / 1e6;
	double mbps = secs > 0 ? (double)k->bytes * 8 / secs / 1e6 : 0;

	fprintf(stderr,
		"sink: received %llu unique, %llu duplicates, %llu missing of %llu, %llu corrupt, "
		"goodput %.1f Mb/s over %.3f s\n",
		(unsigned long long)k->unique, (unsigned long long)k->dups,
		(unsigned long long)missing, (unsigned long long)n, (unsigned long long)k->corrupt,
		mbps, secs);
	if (k->echo_dropped)
		fprintf(stderr, "sink: %llu echoes dropped: the tx ring stayed full for 10 ms\n",
			(unsigned long long)k->echo_dropped);
	if (!k->unique) {
		cli_error("sink", "nothing arrived; check that `drift blast` points at this node's "
				  "drift-dp and that we accept its key");
		return CLI_EXIT_FAILURE;
	}
	return k->dups || k->corrupt || (missing && !allow_loss) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_sink_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS,
		{"count", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"echo", no_argument, NULL, 'e'},
		{"allow-loss", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long count = 0, timeout_s = 10;
	bool is_echo = false, allow_loss = false;
	struct app_link_opts o;
	struct sink k = {0};
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
			if (*end || !*optarg || *optarg == '-' ||
			    count > (uint64_t)1 << SINK_MAX_SEQ_LOG2) {
				cli_error("sink", "--count \"%s\" is not 0-%llu", optarg,
					  1ULL << SINK_MAX_SEQ_LOG2);
				return CLI_EXIT_USAGE;
			}
			break;
		case 't':
			timeout_s = strtoull(optarg, &end, 10);
			if (*end || !*optarg || !timeout_s || timeout_s > 86400) {
				cli_error("sink", "--timeout \"%s\" is not 1-86400 seconds",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'e':
			is_echo = true;
			break;
		case 'l':
			allow_loss = true;
			break;
		default:
			rc = app_link_option("sink", c, optarg, &o);
			if (rc < 0)
				return CLI_EXIT_USAGE;
			if (rc == 0)
				return cli_option_error("sink", c, argv, usage);
		}
	}
	if (optind < argc)
		return cli_extra_argument("sink", argv[optind], usage);
	if (!app_link_check_listen("sink", &o))
		return CLI_EXIT_USAGE;
	k.expected = count;
	k.is_count_given = count != 0;
	node_catch_signals();
	app = app_link_attach("sink", &o);
	if (!app)
		return CLI_EXIT_FAILURE;
	if (app_link_listen("sink", app, &o)) {
		run(app, &o, &k, timeout_s * 1000000, is_echo);
		ret = report(&k, allow_loss);
	}
	if (is_echo)
		drift_app_flush(app, 1000);
	drift_app_detach(app);
	free(k.seen);
	return ret;
}
