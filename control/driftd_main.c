/* SPDX-License-Identifier: MIT */
/*
 * driftd: the control plane. Loads the identity, attaches to drift-dp's
 * session table, binds the DRIFT port next to drift-dp's workers (the
 * workers' steering program sends long headers to this socket), drops its
 * capabilities, and runs one loop:
 *
 *   wait (io_uring: socket, wake-up, timeout)
 *   → long-header datagrams → engine
 *   → drift-dp event rings → engine / re-inject (dp_events.c)
 *   → engine timers → installer (slots) → control socket (ctl.c)
 *   → every 100 ms: heartbeat, drift-dp restart check, dead applications
 */
#include "control/ctl_proto.h"
#include "control/driftd.h"
#include "control/privs.h"
#include "control/udp_socket.h"

#include "crypto/backend.h"
#include "crypto/secret.h"
#include "internal/atomics.h"
#include "tools/keystore.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

uint64_t driftd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t driftd_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void io_send(void *ctx, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	struct driftd *d = ctx;

	uring_loop_send(&d->loop, to, buf, len);
}

static void io_event(void *ctx, const struct engine_event *ev)
{
	struct driftd *d = ctx;
	struct driftd_peer *p;

	vpn_on_event(d, ev);
	if (ev->type == ENGINE_EV_DATA && vpn_on_data(d, ev))
		return;
	if (ev->type == ENGINE_EV_DATA) {
		/* Long-header DATA (and punted short DATA before install) goes by driftd. */
		p = installer_peer(d, ev->peer_id, true);
		if (p)
			ctl_app_notify(d, p->channel, SHM_APP_DATA, p, ev->payload,
				       ev->payload_len);
		return;
	}
	installer_mark_dirty(d, ev->peer_id);
}

static void on_datagram(void *ctx, const uint8_t *buf, size_t len, const struct net_addr *from)
{
	struct driftd *d = ctx;

	if (dp_events_from_socket(d, buf, len, from))
		return;
	engine_receive(d->engine, driftd_now_ms(), buf, len, from);
}

/* The long-header socket: same address as drift-dp, in its SO_REUSEPORT group. */
static int open_socket(struct driftd *d)
{
	struct sockaddr_storage ss;
	struct net_addr a = d->table.hdr->bind_addr;
	int one = 1, off = 0, buf = 4 << 20, fd, err;
	socklen_t len;

	if (!addr_is_set(&a)) {
		memset(&a, 0, sizeof(a));
		a.family = ADDR_IPV6;
	}
	a.port = d->table.hdr->listen_port;
	d->bind_addr = a;
	d->family = a.family == ADDR_IPV6 ? AF_INET6 : AF_INET;
	len = udp_socket_sockaddr(&ss, &a, d->family);
	fd = socket(d->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (d->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	d->fd = fd;
	err = uring_loop_init(&d->loop, fd, d->family);
	if (err) {
		close(fd);
		d->fd = -1;
	}
	return err;
}

static void close_socket(struct driftd *d)
{
	if (d->fd < 0)
		return;
	uring_loop_fini(&d->loop);
	close(d->fd);
	d->fd = -1;
}

static int table_path(const struct driftd *d, char *out, size_t len)
{
	return (size_t)snprintf(out, len, "%s/%s", d->dir, CTL_TABLE_FILE) < len ? 0
										 : -ENAMETOOLONG;
}

static int attach_table(struct driftd *d, struct session_table *t, ino_t *ino)
{
	char path[600];
	struct stat st;
	int rc;

	if ((rc = table_path(d, path, sizeof(path))) != 0)
		return rc;
	if ((rc = session_table_attach(t, path)) != 0)
		return rc;
	*ino = stat(path, &st) == 0 ? st.st_ino : 0;
	return 0;
}

/* drift-dp restarted: a new table at the same path. Move every session over. */
static void follow_dp_restart(struct driftd *d, ino_t *ino)
{
	struct session_table old = d->table, fresh;
	char path[600];
	struct stat st;
	ino_t new_ino;

	if (table_path(d, path, sizeof(path)) || stat(path, &st) != 0 || st.st_ino == *ino)
		return;
	if (attach_table(d, &fresh, &new_ino) != 0)
		return; /* mid-creation or a mismatch: try again on the next tick */
	if (fresh.hdr->slot_count != old.hdr->slot_count) {
		fprintf(stderr,
			"driftd: the new drift-dp has %u slots, this driftd was started "
			"with %u: restart driftd\n",
			fresh.hdr->slot_count, old.hdr->slot_count);
		session_table_detach(&fresh);
		stop_requested = 1;
		return;
	}
	d->table = fresh;
	installer_reinstall_all(d, &old);
	store_release(&d->table.hdr->driftd_pid, (uint32_t)getpid());
	session_table_detach(&old);
	*ino = new_ino;
	/* Rejoin the reuseport group last, as the index the steering program expects. */
	close_socket(d);
	if (open_socket(d) != 0) {
		/* Without the socket the loop cannot run: exit, and let systemd restart us. */
		fprintf(stderr, "driftd: cannot rebind port %u after drift-dp restarted: exiting\n",
			d->table.hdr->listen_port);
		stop_requested = 1;
		return;
	}
	channels_close(d);
	d->channels_stale = channels_open(d) != 0; /* retried every tick until they match */
	fprintf(stderr, "driftd: drift-dp restarted (pid %u); re-installed %u sessions\n",
		d->table.hdr->dp_pid, d->table.hdr->slot_count - d->free_count);
}

static uint64_t wait_ns(struct driftd *d, uint64_t now)
{
	uint64_t deadline = engine_next_deadline(d->engine);
	/* Event rings are polled: 1 ms while sessions exist, 20 ms when idle. */
	uint64_t cap_ms = d->free_count < d->table.hdr->slot_count ? 1 : 20;
	uint64_t ms = deadline > now ? deadline - now : 0;

	return (ms < cap_ms ? ms : cap_ms) * 1000000;
}

static void run(struct driftd *d, ino_t ino)
{
	uint64_t next_tick = 0, next_reap = 0;
	bool woken;

	while (!stop_requested) {
		uint64_t now = driftd_now_ms();

		if (d->fd < 0)
			break;
		uring_loop_wait(&d->loop, wait_ns(d, now));
		uring_loop_reap(&d->loop, on_datagram, d, &woken);
		dp_events_drain(d);
		now = driftd_now_ms();
		if (engine_next_deadline(d->engine) <= now)
			engine_on_timer(d->engine, now);
		installer_sync_dirty(d);
		ctl_poll(d);
		installer_sync_dirty(d);
		if (now >= next_tick) {
			store_release(&d->table.hdr->driftd_heartbeat_ms, now);
			follow_dp_restart(d, &ino);
			routes_tick(d);
			if (d->fwd_count)
				forwarding_tick(d);
			vpn_tick(d, now);
			if (d->channels_stale && !stop_requested) {
				channels_close(d);
				d->channels_stale = channels_open(d) != 0;
			}
			next_tick = now + 100;
		}
		if (now >= next_reap) {
			channels_reap(d);
			next_reap = now + 1000;
		}
		uring_loop_flush(&d->loop);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: driftd [--name NAME] [--run-dir DIR] [--key FILE] [--accept-any] "
		   "[--cookies] [--wait SECONDS]\n"
		   "              [--tun [--metrics-port N] [--qlog FILE]]\n"
		   "  The control plane: start drift-dp first (same --name/--run-dir); then\n"
		   "  applications and `drift show` reach driftd at RUN_DIR/NAME/ctl.\n"
		   "  --tun: drift-vpn mode (every session carries drift-dp's TUN; peers come\n"
		   "  from `vpn-peer` requests); --metrics-port serves Prometheus text on\n"
		   "  127.0.0.1; --qlog appends NDJSON events to FILE.\n");
}

static int load_identity(const char *key_path, uint8_t secret[WIRE_KEY_BYTES])
{
	char path[KEYSTORE_PATH_BYTES], msg[KEYSTORE_MESSAGE_BYTES];
	struct keystore_report rep;

	if (!key_path) {
		if (keystore_default_path(path, sizeof(path), false) != 0) {
			fprintf(stderr,
				"driftd: no home directory for the default key: pass --key\n");
			return -1;
		}
		key_path = path;
	}
	if (keystore_read(key_path, secret, &rep) != KEYSTORE_OK) {
		fprintf(stderr, "driftd: %s\n",
			keystore_describe(msg, sizeof(msg), key_path, &rep));
		return -1;
	}
	return 0;
}

static int setup(struct driftd *d, const char *key_path, bool accept_any, bool cookies, int wait_s,
		 ino_t *ino)
{
	struct engine_config cfg;
	struct engine_io io = {.send = io_send, .event = io_event, .ctx = d};
	uint8_t secret[WIRE_KEY_BYTES];
	int rc;

	if (backend_init() || backend_selftest()) {
		fprintf(stderr, "driftd: crypto self-test failed: refusing to run\n");
		return -1;
	}
	if (load_identity(key_path, secret))
		return -1;
	for (int i = 0; (rc = attach_table(d, &d->table, ino)) == -ENOENT && i < wait_s * 10; i++)
		usleep(100000);
	if (rc) {
		secret_wipe(secret, sizeof(secret));
		fprintf(stderr, "driftd: %s %s/%s: %s\n",
			rc == -ENOENT ? "no drift-dp table at" : "cannot use the table at", d->dir,
			CTL_TABLE_FILE,
			rc == -ENOENT
				? "start drift-dp first (same --name and --run-dir)"
				: "drift-dp and driftd are from different builds; restart both");
		return -1;
	}
	/* As many peers as the table has slots: every one of them may be a stranger. */
	engine_config_default(&cfg);
	cfg.accept_any_peer = accept_any;
	cfg.cookie_always = cookies;
	cfg.max_auto_peers = d->table.hdr->slot_count;
	cfg.max_peers = d->table.hdr->slot_count + 1024;
	d->engine = engine_new(secret, &cfg, &io, driftd_now_ms(), driftd_unix_ms());
	secret_wipe(secret, sizeof(secret));
	if (!d->engine) {
		fprintf(stderr, "driftd: cannot create the session engine (out of memory?)\n");
		return -1;
	}
	engine_public_key(d->engine, d->pub);
	/* drift-dp creates the channel files right after the table: give it a moment. */
	if ((rc = installer_init(d)) == 0)
		for (int i = 0; (rc = channels_open(d)) != 0 && (rc == -ENOENT || rc == -EAGAIN) &&
				i < wait_s * 10;
		     i++) {
			channels_close(d);
			usleep(100000);
		}
	if (rc) {
		fprintf(stderr, "driftd: cannot map the application channels in %s: %s\n", d->dir,
			strerror(-rc));
		return -1;
	}
	if ((rc = open_socket(d)) != 0) {
		fprintf(stderr,
			"driftd: cannot bind UDP port %u next to drift-dp: %s (is drift-dp "
			"running as another user?)\n",
			d->table.hdr->listen_port, strerror(-rc));
		return -1;
	}
	installer_reattach(d);
	if ((rc = ctl_open(d)) != 0) {
		fprintf(stderr, "driftd: cannot open the control socket in %s: %s\n", d->dir,
			strerror(-rc));
		return -1;
	}
	privs_drop_all(d->caps_kept, sizeof(d->caps_kept));
	store_release(&d->table.hdr->driftd_pid, (uint32_t)getpid());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"run-dir", required_argument, NULL, 'r'},
		{"key", required_argument, NULL, 'k'},
		{"accept-any", no_argument, NULL, 'a'},
		{"cookies", no_argument, NULL, 'c'},
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{"tun", no_argument, NULL, 't'},
		{"metrics-port", required_argument, NULL, 'm'},
		{"qlog", required_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	static struct driftd d = {.fd = -1, .ctl_fd = -1, .listen_channel = -1};
	const char *key = NULL, *run_dir = getenv("DRIFT_RUN_DIR");
	bool accept_any = false, cookies = false, is_tun = false;
	const char *qlog_path = NULL;
	int c, wait_s = 5, metrics_port = 0;
	ino_t ino = 0;

	d.name = CTL_DEFAULT_NAME;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			d.name = optarg;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'a':
			accept_any = true;
			break;
		case 'c':
			cookies = true;
			break;
		case 'w':
			wait_s = atoi(optarg);
			break;
		case 't':
			is_tun = true;
			break;
		case 'm':
			metrics_port = atoi(optarg);
			if (metrics_port < 1 || metrics_port > 65535) {
				fprintf(stderr,
					"driftd: --metrics-port \"%s\" is not a port in 1-65535\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			qlog_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	snprintf(d.run_dir, sizeof(d.run_dir), "%s", run_dir ? run_dir : CTL_DEFAULT_RUN_DIR);
	snprintf(d.dir, sizeof(d.dir), "%s/%s", d.run_dir, d.name);
	d.started_unix_ms = driftd_unix_ms();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (is_tun && accept_any) {
		fprintf(stderr, "driftd: --tun accepts only configured peers: drop --accept-any\n");
		return 2;
	}
	if (!is_tun && (metrics_port || qlog_path)) {
		fprintf(stderr, "driftd: --metrics-port and --qlog belong to --tun (drift-vpn)\n");
		return 2;
	}
	if (setup(&d, key, accept_any, cookies, wait_s, &ino) != 0)
		return 1;
	if (is_tun) {
		/* Every session, configured or not, is the TUN's; strangers are refused. */
		d.listen_channel = SHM_CHANNEL_TUN;
		if (!d.table.hdr->tun_name[0]) {
			fprintf(stderr, "driftd: --tun, but drift-dp serves no TUN device: start "
					"drift-dp with --tun (drift-vpn up does both)\n");
			return 1;
		}
		if (vpn_init(&d, (uint16_t)metrics_port, qlog_path) != 0)
			return 1;
	}
	fprintf(stderr, "driftd: %s up on port %u (%s port, %u workers), %u sessions re-attached\n",
		d.name, d.table.hdr->listen_port, d.table.hdr->port_type, d.table.hdr->worker_count,
		(unsigned)d.stats.reattached);
	run(&d, ino);
	store_release(&d.table.hdr->driftd_pid, 0);
	ctl_close(&d);
	close_socket(&d);
	channels_close(&d);
	engine_free(d.engine);
	vpn_fini(&d);
	installer_fini(&d);
	session_table_detach(&d.table);
	return 0;
}
