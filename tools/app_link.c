/* SPDX-License-Identifier: MIT */
/*
 * Shared setup of the dataplane subcommands: option parsing, attaching to
 * driftd with errors a user can act on, and the two ways a session starts
 * (we connect, or a peer does while we listen).
 */
#include "tools/app_link.h"

#include "proto/addr.h"
#include "tools/cli.h"
#include "tools/node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char app_link_usage_common[] =
	"  --name N               driftd instance name (default drift)\n"
	"  --run-dir D            where driftd's sockets live (default $DRIFT_RUN_DIR or "
	"/run/drift)\n";

void app_link_opts_init(struct app_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 5000;
}

int app_link_option(const char *cmd, int c, const char *arg, struct app_link_opts *o)
{
	struct net_addr a;
	char *end;

	switch (c) {
	case APP_LINK_OPT_NAME:
		if (!*arg || strchr(arg, '/')) {
			cli_error(cmd, "--name \"%s\" must be a non-empty name without '/'", arg);
			return -1;
		}
		o->name = arg;
		return 1;
	case APP_LINK_OPT_RUN_DIR:
		o->run_dir = arg;
		return 1;
	case APP_LINK_OPT_TO:
		if (!addr_parse(&a, arg, false) || a.port == 0) {
			cli_error(cmd,
				  "--to \"%s\" is not HOST:PORT with a numeric IPv4 or [IPv6] "
				  "address "
				  "and a port 1-65535 (e.g. 10.0.0.2:9000)",
				  arg);
			return -1;
		}
		o->to = arg;
		return 1;
	case APP_LINK_OPT_PEER:
		if (!node_parse_pubkey(cmd, "--peer", arg, o->peer_pub))
			return -1;
		o->has_peer = true;
		return 1;
	case APP_LINK_OPT_ACCEPT_ANY:
		o->accept_any = true;
		return 1;
	case APP_LINK_OPT_TIMEOUT:
		o->timeout_ms = (uint32_t)strtoul(arg, &end, 10);
		if (*end || !*arg || !o->timeout_ms || o->timeout_ms > 600000) {
			cli_error(cmd, "--connect-timeout \"%s\" is not 1-600000 ms", arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

static void report_attach(const char *cmd, const struct app_link_opts *o, int err)
{
	char path[DRIFT_APP_PATH_BYTES];

	if (drift_app_ctl_path(o->run_dir, o->name, path, sizeof(path)) != 0) {
		cli_error(cmd,
			  "the control socket path under \"%s\" is too long for a unix socket; "
			  "use a shorter --run-dir or --name",
			  o->run_dir ? o->run_dir : "$DRIFT_RUN_DIR");
		return;
	}
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -ENOTDIR:
		cli_error(cmd,
			  "driftd is not running at %s: start drift-dp and driftd (see README)",
			  path);
		break;
	case -EACCES:
	case -EPERM:
		cli_error(cmd,
			  "cannot connect to driftd at %s: permission denied; run as root or "
			  "as the user driftd runs as",
			  path);
		break;
	case -EBUSY:
		cli_error(cmd,
			  "driftd at %s has no free application channel: stop or detach "
			  "another application using it",
			  path);
		break;
	case -EPROTO:
	case -ESTALE:
		cli_error(cmd,
			  "driftd at %s handed over a channel this drift cannot use: drift, "
			  "driftd and drift-dp must come from the same build",
			  path);
		break;
	case -ETIMEDOUT:
	case -EPIPE:
		cli_error(cmd,
			  "driftd at %s did not answer (%s): check that it is running and "
			  "healthy (journalctl, or its log)",
			  path, strerror(-err));
		break;
	default:
		cli_error(cmd, "cannot reach driftd at %s: %s", path, strerror(-err));
	}
}

struct DriftApp *app_link_open(const char *cmd, const struct app_link_opts *o)
{
	int err;
	struct DriftApp *app = drift_app_open(o->run_dir, o->name, &err);

	if (!app)
		report_attach(cmd, o, err);
	return app;
}

struct DriftApp *app_link_attach(const char *cmd, const struct app_link_opts *o)
{
	int err;
	struct DriftApp *app = drift_app_attach(o->run_dir, o->name, &err);

	if (!app)
		report_attach(cmd, o, err);
	return app;
}

bool app_link_check_dial(const char *cmd, const struct app_link_opts *o)
{
	if (o->to && o->has_peer && !o->accept_any)
		return true;
	if (o->accept_any)
		cli_error(cmd, "--accept-any is for the receiving side; the sender names its peer "
			       "with --to and --peer");
	else
		cli_error(cmd,
			  "missing %s: the peer's address (--to HOST:PORT) and public key "
			  "(--peer PUBHEX) are both needed",
			  !o->to ? "--to" : "--peer");
	return false;
}

bool app_link_check_listen(const char *cmd, const struct app_link_opts *o)
{
	if (o->to) {
		cli_error(cmd, "--to is for the sending side; the receiver waits for its peer");
		return false;
	}
	if (!o->accept_any && !o->has_peer) {
		cli_error(cmd, "say whom to accept: --accept-any, or --peer PUBHEX for one peer");
		return false;
	}
	if (o->accept_any && o->has_peer) {
		cli_error(cmd, "--accept-any and --peer exclude each other; pick one");
		return false;
	}
	return true;
}

bool app_link_dial(const char *cmd, struct DriftApp *app, const struct app_link_opts *o,
		   struct DriftAppSession *s)
{
	int rc;

	if (!app_link_check_dial(cmd, o))
		return false;
	rc = drift_app_connect(app, o->peer_pub, o->to, o->timeout_ms, s);
	if (rc == 0)
		return true;
	if (rc == -ETIMEDOUT)
		cli_error(cmd,
			  "no session with %s within %u ms%s%s: check that drift-dp and driftd "
			  "run there, accept our key, and that UDP reaches it",
			  o->to, o->timeout_ms, *drift_app_last_error(app) ? ": " : "",
			  drift_app_last_error(app));
	else if (rc == -EREMOTEIO)
		cli_error(cmd, "driftd refused to connect to %s: %s", o->to,
			  drift_app_last_error(app));
	else
		cli_error(cmd, "connecting to %s through driftd failed: %s", o->to, strerror(-rc));
	return false;
}

bool app_link_listen(const char *cmd, struct DriftApp *app, struct app_link_opts *o)
{
	int rc;

	if (!app_link_check_listen(cmd, o))
		return false;
	if (o->has_peer) {
		rc = drift_app_add_peer(app, o->peer_pub, NULL, o->peer_id);
		if (rc) {
			cli_error(cmd, "driftd did not take --peer: %s",
				  rc == -EREMOTEIO ? drift_app_last_error(app) : strerror(-rc));
			return false;
		}
	}
	rc = drift_app_listen(app, o->accept_any);
	if (rc) {
		cli_error(cmd, "driftd did not let us listen: %s",
			  rc == -EREMOTEIO ? drift_app_last_error(app) : strerror(-rc));
		return false;
	}
	return true;
}

bool app_link_peer_allowed(const struct app_link_opts *o, const struct DriftAppSession *s)
{
	return !o->has_peer || !memcmp(o->peer_id, s->peer_id, sizeof(o->peer_id));
}

int app_link_send(struct DriftApp *app, const struct DriftAppSession *s, const void *buf,
		  size_t len, uint64_t wait_us)
{
	struct timespec pause = {.tv_nsec = 5000};
	uint64_t start = node_now_us();
	int rc;

	/* drift-dp drains the ring on its own schedule; there is no "room again" wake-up. */
	while ((rc = drift_app_send(app, s, buf, len)) == -EAGAIN &&
	       node_now_us() - start < wait_us)
		nanosleep(&pause, NULL);
	return rc;
}
