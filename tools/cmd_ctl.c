/* SPDX-License-Identifier: MIT */
/*
 * drift ctl: one raw request to driftd's control socket (protocol in
 * control/ctl_proto.h), for operators and scripts: `drift ctl rekey PEERID`,
 * `drift ctl close PEERID`, `drift ctl ping`. Prints every reply line;
 * exits 1 when driftd answers "err".
 */
#include "tools/app_link.h"
#include "tools/cli.h"

#include <errno.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift ctl [--name N] [--run-dir D] REQUEST [ARG...]\n"
		"\n"
		"Send one request to driftd and print its answer. Requests:\n"
		"  ping                   driftd's pid\n"
		"  rekey PEERID           new session keys with that peer now\n"
		"  close PEERID           end the session with that peer\n"
		"  peer PUBHEX [ADDR]     register a peer\n"
		"  show | dump            the same as `drift show [dump]`\n"
		"PEERID is the 16-hex-digit id `drift show` lists.\n"
		"\n"
		"Options:\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	if (strncmp(line, "err", 3) != 0)
		puts(line);
}

int cmd_ctl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS_CTL,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct app_link_opts o;
	char line[1024] = "";
	struct DriftApp *app;
	size_t used = 0;
	int c, rc;

	app_link_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		rc = app_link_option("ctl", c, optarg, &o);
		if (rc < 0)
			return CLI_EXIT_USAGE;
		if (rc == 0)
			return cli_option_error("ctl", c, argv, usage);
	}
	if (optind >= argc) {
		cli_error("ctl", "no request given: try `drift ctl ping`");
		return CLI_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int n = snprintf(line + used, sizeof(line) - used, "%s%s", i > optind ? " " : "",
				 argv[i]);

		if (n < 0 || (size_t)n >= sizeof(line) - used) {
			cli_error("ctl", "request longer than %zu bytes", sizeof(line) - 1);
			return CLI_EXIT_USAGE;
		}
		used += (size_t)n;
	}
	app = app_link_open("ctl", &o);
	if (!app)
		return CLI_EXIT_FAILURE;
	rc = drift_app_request_each(app, line, 0, print_line, NULL);
	if (rc == -EREMOTEIO)
		cli_error("ctl", "driftd answered: %s", drift_app_last_error(app));
	else if (rc)
		cli_error("ctl",
			  "driftd did not complete `%s` (%s): check that it is still running", line,
			  strerror(-rc));
	drift_app_detach(app);
	if (rc)
		return CLI_EXIT_FAILURE;
	return cli_finish_stdout("ctl");
}
