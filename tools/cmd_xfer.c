/* SPDX-License-Identifier: MIT */
/*
 * drift xfer: a reliable bulk file transfer over DRIFT datagrams through
 * driftd and drift-dp, so a file of hundreds of MB can be checked end to
 * end (size and SHA-256) even over a lossy path. This file parses the
 * command line and opens the files; xfer_send.c and xfer_recv.c move the
 * data, xfer_codec.c owns the messages.
 */
#include "tools/xfer.h"

#include "tools/cli.h"
#include "tools/node.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	XFER_STDIO_BUFFER_BYTES = 1 << 20,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift xfer send --to ADDR --peer PUBHEX [--name N] FILE|-\n"
		"       drift xfer recv [--accept-any | --peer PUBHEX] [--out FILE|-] [--timeout "
		"S]\n"
		"                       [--name N]\n"
		"\n"
		"Send a file (or standard input) reliably to `drift xfer recv` on another node,\n"
		"through this node's driftd and drift-dp. Chunks lost on the way are sent again;\n"
		"the receiver checks the size and SHA-256 at the end. Each side prints one line:\n"
		"  xfer send: B bytes in T s, R Mb/s, N retransmitted, D duplicates, sha256 HEX "
		"verified\n"
		"and exits 0 only when the hash was verified.\n"
		"\n"
		"Options:\n"
		"  --to ADDR              send: the receiver's drift-dp address (HOST:PORT)\n"
		"  --peer PUBHEX          send: the receiver's public key; recv: accept only this "
		"sender\n"
		"  --accept-any           recv: accept any sender's key\n"
		"  --out FILE|-           recv: where to write the data (default standard output)\n"
		"  --timeout S            recv: how long to wait for a transfer to start (default "
		"60, 0 = forever)\n"
		"  --connect-timeout MS   send: how long the handshake may take (default 5000)\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

int64_t xfer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void xfer_print_summary(const char *side, uint64_t bytes, int64_t elapsed_ns,
			uint64_t retransmitted, uint64_t duplicates, const uint8_t sha256[32],
			const char *verdict)
{
	double secs = elapsed_ns > 0 ? (double)elapsed_ns / 1e9 : 1e-9;
	char hex[65];

	sodium_bin2hex(hex, sizeof(hex), sha256, 32);
	fprintf(stderr,
		"xfer %s: %llu bytes in %.3f s, %.1f Mb/s, %llu retransmitted, %llu duplicates, "
		"sha256 %s %s\n",
		side, (unsigned long long)bytes, secs, (double)bytes * 8 / secs / 1e6,
		(unsigned long long)retransmitted, (unsigned long long)duplicates, hex, verdict);
}

static int do_send(struct app_link_opts *o, const char *path)
{
	struct DriftAppSession s;
	struct DriftApp *app;
	FILE *in = stdin;
	int ret = CLI_EXIT_FAILURE;

	if (strcmp(path, "-") != 0 && !(in = fopen(path, "rb"))) {
		cli_error("xfer", "cannot open \"%s\": %s", path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	setvbuf(in, NULL, _IOFBF, XFER_STDIO_BUFFER_BYTES);
	app = app_link_attach("xfer", o);
	if (!app)
		goto out_close;
	if (app_link_dial("xfer", app, o, &s))
		ret = xfer_send_run(app, &s, in);
	drift_app_flush(app, 1000);
	drift_app_detach(app);
out_close:
	if (in != stdin)
		fclose(in);
	return ret;
}

static int do_recv(struct app_link_opts *o, const char *path, uint32_t wait_s)
{
	struct DriftApp *app;
	FILE *out = stdout;
	int ret = CLI_EXIT_FAILURE;

	if (strcmp(path, "-") != 0 && !(out = fopen(path, "wb"))) {
		cli_error("xfer", "cannot create \"%s\": %s", path, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	setvbuf(out, NULL, _IOFBF, XFER_STDIO_BUFFER_BYTES);
	app = app_link_attach("xfer", o);
	if (!app)
		goto out_close;
	if (app_link_listen("xfer", app, o))
		ret = xfer_recv_run(app, o, out, wait_s * 1000);
	drift_app_flush(app, 1000);
	drift_app_detach(app);
out_close:
	if (out != stdout && fclose(out) != 0 && ret == CLI_EXIT_OK) {
		cli_error("xfer", "writing \"%s\" failed: %s", path, strerror(errno));
		ret = CLI_EXIT_FAILURE;
	}
	return ret;
}

int cmd_xfer_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS,
		{"out", required_argument, NULL, 'o'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *mode = NULL, *out_path = "-";
	unsigned long wait_s = 60;
	struct app_link_opts o;
	char *end;
	int c, rc;

	app_link_opts_init(&o);
	/* GNU getopt permutes: options may come before or after "send"/"recv" and FILE. */
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'o':
			out_path = optarg;
			continue;
		case 't':
			wait_s = strtoul(optarg, &end, 10);
			if (*end || !*optarg || wait_s > 86400) {
				cli_error("xfer", "--timeout \"%s\" is not 0-86400 seconds",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		rc = app_link_option("xfer", c, optarg, &o);
		if (rc < 0)
			return CLI_EXIT_USAGE;
		if (rc == 0)
			return cli_option_error("xfer", c, argv, usage);
	}
	if (optind < argc)
		mode = argv[optind++];
	if (!mode || (strcmp(mode, "send") && strcmp(mode, "recv"))) {
		cli_error("xfer",
			  "say `drift xfer send ...` or `drift xfer recv ...` (see --help)");
		return CLI_EXIT_USAGE;
	}
	node_catch_signals();
	if (mode[0] == 's') {
		if (optind >= argc) {
			cli_error("xfer", "missing FILE to send (or '-' for standard input)");
			return CLI_EXIT_USAGE;
		}
		if (optind + 1 < argc)
			return cli_extra_argument("xfer", argv[optind + 1], usage);
		if (!app_link_check_dial("xfer", &o))
			return CLI_EXIT_USAGE;
		return do_send(&o, argv[optind]);
	}
	if (optind < argc)
		return cli_extra_argument("xfer", argv[optind], usage);
	if (!app_link_check_listen("xfer", &o))
		return CLI_EXIT_USAGE;
	return do_recv(&o, out_path, (uint32_t)wait_s);
}
