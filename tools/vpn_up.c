/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn up / down: start drift-dp (with the TUN) and driftd (--tun)
 * for one interface, hand driftd the peers, give the TUN its addresses,
 * MTU and routes; and take all of it away again.
 *
 * Like wg-quick, the interface is named after the config file and the
 * network configuration is done with iproute2's `ip` (run without a shell).
 */
#include "tools/vpn_cmds.h"

#include "control/ctl_proto.h"
#include "crypto/secret.h"
#include "crypto/x25519.h"
#include "tools/hex.h"
#include "tools/keystore.h"
#include "tools/vpn_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WAIT_START_MS = 10000, WAIT_STOP_MS = 3000, DEFAULT_MTU = WIRE_MAX_PAYLOAD_BYTES };

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void print_log_tail(const char *name, const char *log)
{
	char path[VPN_PATH_BYTES], buf[2048];
	FILE *f;
	size_t n;

	vpn_path(path, sizeof(path), name, log);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fseek(f, -(long)sizeof(buf) + 1, SEEK_END) != 0)
		rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "--- last lines of %s ---\n%s", path, buf);
}

/* Starts prog in its own session with stdout/stderr in RUN/NAME/log. */
static pid_t spawn(const char *name, const char *log, char *const argv[])
{
	char path[VPN_PATH_BYTES];
	pid_t pid;

	vpn_path(path, sizeof(path), name, log);
	pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDONLY);

	setsid();
	if (null >= 0)
		dup2(null, 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execv(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static bool reap_if_dead(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == pid;
}

static void stop_pid(pid_t pid, const char *comm)
{
	/* reaped children of this process (a failed `up`) read as not ours: fine, they are gone */
	waitpid(pid, NULL, WNOHANG);
	if (!vpn_pid_is(pid, comm))
		return;
	kill(pid, SIGTERM);
	for (unsigned ms = 0; ms < WAIT_STOP_MS; ms += 20) {
		waitpid(pid, NULL, WNOHANG);
		if (!vpn_pid_alive(pid))
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	for (unsigned ms = 0; ms < WAIT_STOP_MS && vpn_pid_alive(pid); ms += 20) {
		waitpid(pid, NULL, WNOHANG);
		sleep_ms(20);
	}
}

static int ip(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
	      const char *a5, const char *a6, const char *a7)
{
	const char *argv[] = {"ip", a0, a1, a2, a3, a4, a5, a6, a7, NULL};

	return vpn_run((char *const *)argv, false);
}

/* A free UDP port, as WireGuard picks one when ListenPort is absent. */
static uint16_t pick_port(void)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The key driftd reads: the config's own key file if it is one, else one we write (0600). */
static int prepare_key(const char *name, const struct vpn_config *cfg, char *key_path, size_t cap,
		       uint8_t self_pub[WIRE_KEY_BYTES])
{
	uint8_t secret[WIRE_KEY_BYTES];
	struct keystore_report rep;
	char msg[KEYSTORE_MESSAGE_BYTES];
	bool has = false;

	if (cfg->has_private_key) {
		memcpy(secret, cfg->private_key, sizeof(secret));
		has = true;
	} else if (keystore_read(cfg->private_key_file, secret, &rep) == KEYSTORE_OK) {
		/* A drift key file already: driftd reads it in place. */
		x25519_public(self_pub, secret);
		snprintf(key_path, cap, "%s", cfg->private_key_file);
		secret_wipe(secret, sizeof(secret));
		return 0;
	} else {
		char text[256];
		int fd = open(cfg->private_key_file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 077)) {
			fprintf(stderr,
				"drift-vpn: %s: mode %04o lets others read the private key; run "
				"\"chmod 600 %s\"\n",
				cfg->private_key_file, (unsigned)(st.st_mode & 0777),
				cfg->private_key_file);
			close(fd);
			return -EACCES;
		}
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			text[n] = 0;
			text[strcspn(text, " \t\r\n")] = 0;
			has = vpn_key_parse(secret, text);
		}
		secret_wipe(text, sizeof(text));
		if (!has) {
			fprintf(stderr,
				"drift-vpn: PrivateKeyFile %s is neither a drift key file nor a "
				"base64/hex key (%s): write it with `drift-vpn genkey > FILE`\n",
				cfg->private_key_file,
				n < 0 ? strerror(errno)
				      : keystore_describe(msg, sizeof(msg), cfg->private_key_file,
							  &rep));
			return -EINVAL;
		}
	}
	vpn_path(key_path, cap, name, "identity.key");
	x25519_public(self_pub, secret);
	if (keystore_write(key_path, secret, true, &rep) != KEYSTORE_OK) {
		secret_wipe(secret, sizeof(secret));
		fprintf(stderr, "drift-vpn: %s\n",
			keystore_describe(msg, sizeof(msg), key_path, &rep));
		return -EIO;
	}
	secret_wipe(secret, sizeof(secret));
	return 0;
}

static int write_peers_file(const char *name, const struct vpn_config *cfg, char *path, size_t cap)
{
	FILE *f;
	int fd;

	vpn_path(path, cap, name, "tun-peers");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "drift-vpn: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	fprintf(f, "# written by drift-vpn up from %s\n", cfg->path);
	for (uint32_t i = 0; i < cfg->n_peers; i++) {
		const struct vpn_peer *p = &cfg->peers[i];
		char hex[2 * WIRE_KEY_BYTES + 1], pfx[64];

		fprintf(f, "peer %s", hex_encode(hex, p->pub, WIRE_KEY_BYTES));
		for (uint32_t k = 0; k < p->n_allowed; k++) {
			vpn_prefix_format(pfx, sizeof(pfx), &cfg->allowed[p->first_allowed + k]);
			fprintf(f, " %s", pfx);
		}
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static int wait_for(const char *what, pid_t pid, const char *name, const char *log,
		    bool (*ready)(const char *name))
{
	for (unsigned ms = 0; ms < WAIT_START_MS; ms += 20) {
		if (ready(name))
			return 0;
		if (reap_if_dead(pid)) {
			fprintf(stderr, "drift-vpn: %s exited during start-up\n", what);
			print_log_tail(name, log);
			return -ECHILD;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "drift-vpn: %s did not come up within %u s\n", what, WAIT_START_MS / 1000);
	print_log_tail(name, log);
	return -ETIMEDOUT;
}

static bool dp_ready(const char *name)
{
	char path[VPN_PATH_BYTES];

	vpn_path(path, sizeof(path), name, CTL_TABLE_FILE);
	return access(path, F_OK) == 0 && vpn_link_exists(name);
}

static bool driftd_ready(const char *name)
{
	char reply[256];

	return vpn_ctl(name, "ping", reply, sizeof(reply)) == 0;
}

static int start_daemons(const char *name, const struct vpn_config *cfg, struct vpn_state *st,
			 const char *key_path, const char *peers_path)
{
	char dp[VPN_PATH_BYTES], dd[VPN_PATH_BYTES], port[16], mtu[16], workers[16], metrics[16];
	const char *dp_argv[24], *dd_argv[16];
	int n = 0, rc;

	if (!vpn_find_program("drift-dp", dp, sizeof(dp)) ||
	    !vpn_find_program("driftd", dd, sizeof(dd))) {
		fprintf(stderr, "drift-vpn: cannot find drift-dp and driftd next to drift-vpn or "
				"on PATH: install drift-c (`meson install`) or set DRIFT_DP and "
				"DRIFTD\n");
		return -ENOENT;
	}
	snprintf(port, sizeof(port), "%u", st->listen_port);
	snprintf(mtu, sizeof(mtu), "%u", cfg->mtu ? cfg->mtu : DEFAULT_MTU);
	dp_argv[n++] = dp;
	dp_argv[n++] = "--name";
	dp_argv[n++] = name;
	dp_argv[n++] = "--run-dir";
	dp_argv[n++] = vpn_run_dir();
	dp_argv[n++] = "--listen-port";
	dp_argv[n++] = port;
	dp_argv[n++] = "--tun";
	dp_argv[n++] = name;
	dp_argv[n++] = "--tun-peers";
	dp_argv[n++] = peers_path;
	dp_argv[n++] = "--tun-mtu";
	dp_argv[n++] = mtu;
	dp_argv[n++] = "--port";
	dp_argv[n++] = cfg->port_type[0] ? cfg->port_type : "auto";
	if (cfg->device[0]) {
		dp_argv[n++] = "--dev";
		dp_argv[n++] = cfg->device;
	}
	if (cfg->workers) {
		snprintf(workers, sizeof(workers), "%u", cfg->workers);
		dp_argv[n++] = "--workers";
		dp_argv[n++] = workers;
	}
	dp_argv[n] = NULL;
	st->dp_pid = spawn(name, "drift-dp.log", (char *const *)dp_argv);
	if (st->dp_pid < 0 ||
	    (rc = wait_for("drift-dp", st->dp_pid, name, "drift-dp.log", dp_ready)) != 0)
		return st->dp_pid < 0 ? -errno : rc;
	n = 0;
	dd_argv[n++] = dd;
	dd_argv[n++] = "--name";
	dd_argv[n++] = name;
	dd_argv[n++] = "--run-dir";
	dd_argv[n++] = vpn_run_dir();
	dd_argv[n++] = "--key";
	dd_argv[n++] = key_path;
	dd_argv[n++] = "--tun";
	if (cfg->metrics_port) {
		snprintf(metrics, sizeof(metrics), "%u", cfg->metrics_port);
		dd_argv[n++] = "--metrics-port";
		dd_argv[n++] = metrics;
	}
	if (cfg->qlog_path[0]) {
		dd_argv[n++] = "--qlog";
		dd_argv[n++] = cfg->qlog_path;
	}
	dd_argv[n] = NULL;
	st->driftd_pid = spawn(name, "driftd.log", (char *const *)dd_argv);
	if (st->driftd_pid < 0)
		return -errno;
	return wait_for("driftd", st->driftd_pid, name, "driftd.log", driftd_ready);
}

static int add_peers(const char *name, const struct vpn_config *cfg, struct vpn_state *st)
{
	for (uint32_t i = 0; i < cfg->n_peers; i++) {
		const struct vpn_peer *p = &cfg->peers[i];
		char hex[2 * WIRE_KEY_BYTES + 1], req[256], reply[CTL_MSG_MAX_BYTES], ep[64] = "-";

		if (p->has_endpoint)
			addr_format(ep, sizeof(ep), &p->endpoint);
		snprintf(req, sizeof(req), "vpn-peer %s %s %u",
			 hex_encode(hex, p->pub, WIRE_KEY_BYTES), ep, p->keepalive_s);
		if (vpn_ctl(name, req, reply, sizeof(reply)) != 0) {
			fprintf(stderr, "drift-vpn: driftd refused peer at %s:%u: %s\n", cfg->path,
				p->line, reply);
			return -EPROTO;
		}
		memcpy(st->peers[i].pub, p->pub, WIRE_KEY_BYTES);
		snprintf(st->peers[i].endpoint, sizeof(st->peers[i].endpoint), "%s", ep);
		st->peers[i].keepalive_s = p->keepalive_s;
		st->n_peers = i + 1;
	}
	return 0;
}

static bool is_default_route(const struct vpn_prefix *p)
{
	return p->len == 0;
}

static int configure_link(const char *name, const struct vpn_config *cfg)
{
	char mtu[16], pfx[64];
	int rc = 0;

	snprintf(mtu, sizeof(mtu), "%u", cfg->mtu ? cfg->mtu : DEFAULT_MTU);
	for (uint32_t i = 0; i < cfg->n_addresses && !rc; i++) {
		vpn_prefix_format(pfx, sizeof(pfx), &cfg->addresses[i]);
		rc = ip(cfg->addresses[i].family == ADDR_IPV6 ? "-6" : "-4", "address", "add", pfx,
			"dev", name, NULL, NULL);
	}
	if (!rc)
		rc = ip("link", "set", "dev", name, "mtu", mtu, "up", NULL);
	for (uint32_t i = 0; i < cfg->n_allowed && !rc; i++) {
		const struct vpn_prefix *p = &cfg->allowed[i];

		vpn_prefix_format(pfx, sizeof(pfx), p);
		if (is_default_route(p)) {
			printf("[#] not adding a route for %s: a default route through the tunnel "
			       "needs a host route to each endpoint first; add both yourself\n",
			       pfx);
			continue;
		}
		rc = ip(p->family == ADDR_IPV6 ? "-6" : "-4", "route", "replace", pfx, "dev", name,
			NULL, NULL);
	}
	if (rc)
		fprintf(stderr, "drift-vpn: `ip` failed configuring %s (see its message above)\n",
			name);
	return rc ? -EIO : 0;
}

static void remove_dir(const char *name)
{
	char dir[VPN_PATH_BYTES], path[VPN_PATH_BYTES + 256];
	struct dirent *e;
	DIR *dh;

	vpn_path(dir, sizeof(dir), name, NULL);
	dh = opendir(dir);
	if (!dh)
		return;
	while ((e = readdir(dh)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dh);
	rmdir(dir);
}

/* Everything `up` may have made, in reverse; safe on a half-made interface. */
static void teardown(const char *name, const struct vpn_state *st)
{
	char dp[VPN_PATH_BYTES];

	stop_pid(st->driftd_pid, "driftd");
	stop_pid(st->dp_pid, "drift-dp");
	if (vpn_find_program("drift-dp", dp, sizeof(dp))) {
		const char *argv[] = {dp,	   "--cleanup",	  "--name", name,
				      "--run-dir", vpn_run_dir(), NULL};

		vpn_run((char *const *)argv, true);
	}
	if (vpn_link_exists(name))
		ip("link", "del", "dev", name, NULL, NULL, NULL, NULL);
	remove_dir(name);
}

int vpn_cmd_up(const char *arg)
{
	char path[VPN_PATH_BYTES], name[16], err[VPN_ERR_BYTES], dir[VPN_PATH_BYTES];
	char key_path[VPN_PATH_BYTES], peers_path[VPN_PATH_BYTES];
	struct vpn_config *cfg = calloc(1, sizeof(*cfg));
	struct vpn_state *st = calloc(1, sizeof(*st));
	int rc = 1;

	if (!cfg || !st) {
		fprintf(stderr, "drift-vpn: out of memory\n");
		goto out;
	}
	if (!vpn_resolve_arg(arg, path, sizeof(path), name, err, sizeof(err)) ||
	    vpn_config_load(cfg, path, err) != 0 || vpn_config_resolve(cfg, err) != 0) {
		fprintf(stderr, "drift-vpn: %s\n", err);
		goto out;
	}
	for (uint32_t i = 0; i < cfg->n_warnings; i++)
		fprintf(stderr, "drift-vpn: warning: %s\n", cfg->warnings[i]);
	if (vpn_state_read(name, st) == 0 &&
	    (vpn_pid_is(st->dp_pid, "drift-dp") || vpn_pid_is(st->driftd_pid, "driftd"))) {
		fprintf(stderr, "drift-vpn: %s is already up: `drift-vpn down %s` first\n", name,
			name);
		goto out;
	}
	if (vpn_link_exists(name)) {
		fprintf(stderr,
			"drift-vpn: an interface named %s exists already: remove it (`ip link del "
			"%s`) or rename the config file\n",
			name, name);
		goto out;
	}
	/* Left by an instance that died: its table would hand the new driftd stale sessions. */
	remove_dir(name);
	memset(st, 0, sizeof(*st));
	snprintf(st->config_path, sizeof(st->config_path), "%s", path);
	st->listen_port = cfg->has_listen_port ? cfg->listen_port : pick_port();
	mkdir(vpn_run_dir(), 0755);
	vpn_path(dir, sizeof(dir), name, NULL);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "drift-vpn: cannot create %s: %s (run as root)\n", dir,
			strerror(errno));
		goto out;
	}
	printf("[#] drift-vpn up %s from %s (UDP port %u)\n", name, path, st->listen_port);
	if (prepare_key(name, cfg, key_path, sizeof(key_path), st->self_pub) != 0 ||
	    write_peers_file(name, cfg, peers_path, sizeof(peers_path)) != 0 ||
	    start_daemons(name, cfg, st, key_path, peers_path) != 0 ||
	    add_peers(name, cfg, st) != 0 || configure_link(name, cfg) != 0 ||
	    vpn_state_write(name, st) != 0) {
		fprintf(stderr, "drift-vpn: %s is not up; everything started was taken down\n",
			name);
		teardown(name, st);
		goto out;
	}
	printf("[#] %s is up: %u peer%s, drift-dp pid %d, driftd pid %d; see `drift-vpn show "
	       "%s`\n",
	       name, cfg->n_peers, cfg->n_peers == 1 ? "" : "s", (int)st->dp_pid,
	       (int)st->driftd_pid, name);
	rc = 0;
out:
	if (cfg) {
		vpn_config_wipe(cfg);
		free(cfg);
	}
	free(st);
	return rc;
}

int vpn_cmd_down(const char *arg)
{
	char path[VPN_PATH_BYTES], name[16], err[VPN_ERR_BYTES], dir[VPN_PATH_BYTES];
	struct vpn_state *st = calloc(1, sizeof(*st));
	int rc = 1, r;

	if (!st)
		return 1;
	if (!vpn_resolve_arg(arg, path, sizeof(path), name, err, sizeof(err))) {
		fprintf(stderr, "drift-vpn: %s\n", err);
		goto out;
	}
	r = vpn_state_read(name, st);
	vpn_path(dir, sizeof(dir), name, NULL);
	/* Without our run folder the interface (if any) is somebody else's: leave it. */
	if (r == -ENOENT && access(dir, F_OK) != 0) {
		fprintf(stderr, "drift-vpn: %s is not up (no %s)%s\n", name, dir,
			vpn_link_exists(name) ? "; the interface of that name was not made by "
						"drift-vpn and is left alone"
					      : "");
		goto out;
	}
	teardown(name, st);
	if (vpn_link_exists(name) || access(dir, F_OK) == 0 || vpn_pid_is(st->dp_pid, "drift-dp") ||
	    vpn_pid_is(st->driftd_pid, "driftd")) {
		fprintf(stderr,
			"drift-vpn: %s could not be removed completely (interface, %s or a "
			"daemon is left): are you root?\n",
			name, dir);
		goto out;
	}
	printf("[#] %s is down: daemons stopped, interface, routes and %s removed\n", name, dir);
	rc = 0;
out:
	free(st);
	return rc;
}
