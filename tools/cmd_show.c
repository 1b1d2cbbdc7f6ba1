/* SPDX-License-Identifier: MIT */
/*
 * drift show: what driftd knows about its peers, sessions and drift-dp, as
 * driftd formats it: human-readable lines, or with `dump` the stable
 * tab-separated lines for scripts (docs/driftd.md). This command only
 * relays the lines; it takes no application channel.
 */
#include "tools/app_link.h"
#include "tools/cli.h"

#include <errno.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: drift show [dump] [--name N] [--run-dir D]\n"
		"\n"
		"Print driftd's peers, sessions and dataplane state; `dump` prints the\n"
		"tab-separated form for scripts.\n"
		"\n"
		"Options:\n"
		"%s"
		"  -h, --help             show this help\n",
		app_link_usage_common);
}

/* Data lines to stdout; the closing "ok" is ours to swallow, an "err" line is reported. */
static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	if (!strcmp(line, "ok") || !strncmp(line, "ok ", 3) || !strncmp(line, "err", 3))
		return;
	puts(line);
}

int cmd_show_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		APP_LINK_LONGOPTS_CTL,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct app_link_opts o;
	const char *verb = "show";
	struct DriftApp *app;
	int c, rc;

	app_link_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		rc = app_link_option("show", c, optarg, &o);
		if (rc < 0)
			return CLI_EXIT_USAGE;
		if (rc == 0)
			return cli_option_error("show", c, argv, usage);
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "dump") != 0)
			return cli_extra_argument("show", argv[optind], usage);
		verb = "dump";
		if (optind + 1 < argc)
			return cli_extra_argument("show", argv[optind + 1], usage);
	}
	app = app_link_open("show", &o);
	if (!app)
		return CLI_EXIT_FAILURE;
	rc = drift_app_request_each(app, verb, 0, print_line, NULL);
	if (rc == -EREMOTEIO)
		cli_error("show", "driftd answered: %s", drift_app_last_error(app));
	else if (rc)
		cli_error("show",
			  "driftd did not complete `%s` (%s): check that it is still running", verb,
			  strerror(-rc));
	drift_app_detach(app);
	if (rc)
		return CLI_EXIT_FAILURE;
	return cli_finish_stdout("show");
}
