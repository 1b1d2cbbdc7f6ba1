/* SPDX-License-Identifier: MIT */
/*
 * drift-dp, the fast-path dataplane process: opens one port per worker
 * (an AF_XDP socket per RX queue with the XDP steering program, or a UDP
 * socket per worker; --port auto picks the best the machine offers),
 * creates the session table and the application channels under
 * <run>/<name>/, starts the pinned workers, drops every capability it does
 * not need, and runs in the foreground until SIGINT or SIGTERM. The table
 * and channel files stay when it exits (driftd and applications may still
 * map them); --cleanup removes them.
 *
 * It makes no protocol decision: sessions arrive from driftd through the
 * table, and everything the fast path cannot handle goes back to driftd.
 */
#include "control/ctl_proto.h"
#include "crypto/backend.h"
#include "dataplane/app_channel.h"
#include "dataplane/dp_xsk.h"
#include "dataplane/port_udp.h"
#include "dataplane/session_table.h"
#include "dataplane/tun_dev.h"
#include "dataplane/tun_io.h"
#include "dataplane/worker.h"
#include "internal/compiler.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

struct dp_opts {
	const char *name, *run_dir, *port_type, *bind, *cpus, *dev;
	uint32_t listen_port, workers, slots;
	bool is_cleanup, use_busy_poll;
	bool has_workers;	     /* --workers given; otherwise xsk takes one per RX queue */
	const char *tun, *tun_peers; /* drift-vpn: TUN device name and its peers file */
	uint32_t tun_mtu;
};

struct dp {
	struct dp_opts o;
	char dir[1024];
	struct port *ports[SHM_MAX_WORKERS];
	struct session_table table;
	struct app_channel ch[SHM_APP_CHANNELS];
	struct worker workers[SHM_MAX_WORKERS];
	int cpus[SHM_MAX_WORKERS];
	struct dp_xsk xsk;
	bool is_xsk;
	struct tun_dev tun;
	struct tun_shared tun_shared;
	struct tun_worker tun_workers[SHM_MAX_WORKERS];
	bool has_tun;
	char port_why[192];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: drift-dp [--name NAME] [--run-dir DIR] [--port TYPE] [--dev IFNAME]\n"
		"                [--listen-port N] [--bind ADDR] [--workers N] [--cpus LIST]\n"
		"                [--slots N] [--busy-poll] [--cleanup] [--help]\n"
		"                [--tun IFNAME --tun-peers FILE [--tun-mtu N]]\n"
		"  --name NAME        instance name (default " CTL_DEFAULT_NAME ")\n"
		"  --run-dir DIR      default $DRIFT_RUN_DIR or " CTL_DEFAULT_RUN_DIR "\n"
		"  --port TYPE        auto (default), xsk (native, else generic XDP),\n"
		"                     xsk-native, xsk-generic, or udp\n"
		"  --dev IFNAME       interface for xsk (default: the one holding --bind)\n"
		"  --listen-port N    UDP port (default 7878)\n"
		"  --bind ADDR        local IPv4 or IPv6 address (default: all)\n"
		"  --busy-poll        xsk: busy-poll the queues (costs a core per worker)\n"
		"  --workers N        worker threads, 1-%d (default 1; xsk: one per RX queue)\n"
		"  --cpus LIST        comma-separated CPU per worker, e.g. 2,3\n"
		"  --slots N          session slots (default %d)\n"
		"  --cleanup          detach a left-over XDP program, remove the table and\n"
		"                     app files, then exit\n"
		"  --tun IFNAME       drift-vpn: serve a multi-queue TUN device (one queue per\n"
		"                     worker); sessions driftd installs for the TUN carry its\n"
		"                     packets, routed by --tun-peers\n"
		"  --tun-peers FILE   lines \"peer PUBHEX PREFIX...\": each peer's AllowedIPs\n"
		"  --tun-mtu N        the TUN's MTU, largest inner packet (default %d)\n",
		SHM_MAX_WORKERS, SHM_DEFAULT_SLOTS, WIRE_MAX_PAYLOAD_BYTES);
}

static bool parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "drift-dp: %s \"%s\" is not a number in %u-%u\n", opt, s, lo, hi);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static int parse_args(struct dp_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"name", 1, NULL, 'n'},	     {"run-dir", 1, NULL, 'r'},
		{"port", 1, NULL, 'p'},	     {"listen-port", 1, NULL, 'l'},
		{"bind", 1, NULL, 'b'},	     {"workers", 1, NULL, 'w'},
		{"cpus", 1, NULL, 'c'},	     {"slots", 1, NULL, 's'},
		{"cleanup", 0, NULL, 'C'},   {"dev", 1, NULL, 'd'},
		{"busy-poll", 0, NULL, 'B'}, {"tun", 1, NULL, 'T'},
		{"tun-peers", 1, NULL, 'P'}, {"tun-mtu", 1, NULL, 'M'},
		{"help", 0, NULL, 'h'},	     {0},
	};
	const char *env = getenv("DRIFT_RUN_DIR");
	int c;

	*o = (struct dp_opts){CTL_DEFAULT_NAME,
			      env && *env ? env : CTL_DEFAULT_RUN_DIR,
			      "auto",
			      NULL,
			      NULL,
			      NULL,
			      7878,
			      1,
			      SHM_DEFAULT_SLOTS,
			      false,
			      false};
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 'p':
			o->port_type = optarg;
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'c':
			o->cpus = optarg;
			break;
		case 'C':
			o->is_cleanup = true;
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 'B':
			o->use_busy_poll = true;
			break;
		case 'T':
			o->tun = optarg;
			break;
		case 'P':
			o->tun_peers = optarg;
			break;
		case 'M':
			ok = parse_u32("--tun-mtu", optarg, 576, WIRE_MAX_PAYLOAD_BYTES,
				       &o->tun_mtu);
			break;
		case 'l':
			ok = parse_u32("--listen-port", optarg, 1, 65535, &o->listen_port);
			break;
		case 'w':
			ok = parse_u32("--workers", optarg, 1, SHM_MAX_WORKERS, &o->workers);
			o->has_workers = true;
			break;
		case 's':
			ok = parse_u32("--slots", optarg, 1, 1u << 20, &o->slots);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (!ok)
			return -EINVAL;
	}
	if (optind < argc || strchr(o->name, '/') || !*o->name) {
		fprintf(stderr, "drift-dp: bad name or extra argument: see --help\n");
		return -EINVAL;
	}
	if (!o->tun != !o->tun_peers) {
		fprintf(stderr,
			"drift-dp: --tun and --tun-peers go together (drift-vpn passes both)\n");
		return -EINVAL;
	}
	if (strcmp(o->port_type, "udp") != 0 && strcmp(o->port_type, "auto") != 0 &&
	    strcmp(o->port_type, "xsk") != 0 && strcmp(o->port_type, "xsk-native") != 0 &&
	    strcmp(o->port_type, "xsk-generic") != 0) {
		fprintf(stderr,
			"drift-dp: --port \"%s\" is not a port type: use auto, xsk, xsk-native, "
			"xsk-generic or udp\n",
			o->port_type);
		return -EINVAL;
	}
	return 0;
}

static int parse_cpus(struct dp *d)
{
	const char *s = d->o.cpus;

	for (uint32_t i = 0; i < d->o.workers; i++)
		d->cpus[i] = -1;
	for (uint32_t i = 0; s && *s; i++) {
		uint32_t cpu;
		char buf[16];
		size_t n = strcspn(s, ",");

		if (i >= d->o.workers || n >= sizeof(buf)) {
			fprintf(stderr,
				"drift-dp: --cpus \"%s\" lists more CPUs than --workers "
				"(%u): give one CPU per worker\n",
				d->o.cpus, d->o.workers);
			return -EINVAL;
		}
		memcpy(buf, s, n);
		buf[n] = 0;
		if (!parse_u32("--cpus entry", buf, 0, CPU_SETSIZE - 1, &cpu))
			return -EINVAL;
		d->cpus[i] = (int)cpu;
		s += n + (s[n] == ',');
	}
	return 0;
}

/*
 * One drift-dp per name: SO_REUSEPORT would let a second one bind the same
 * port and silently take half the traffic, so the lock is the real check.
 * The fd stays open (and locked) until the process exits.
 */
static int lock_instance(struct dp *d)
{
	char path[1100];
	int fd;

	snprintf(path, sizeof(path), "%s/dp.lock", d->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr,
			"drift-dp: another drift-dp runs as \"%s\" in %s: stop it or pass "
			"--name\n",
			d->o.name, d->o.run_dir);
		return -EBUSY;
	}
	return 0;
}

static int make_dir(struct dp *d)
{
	if (mkdir(d->o.run_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "drift-dp: cannot create %s: %s: create it or pass --run-dir\n",
			d->o.run_dir, strerror(errno));
		return -errno;
	}
	snprintf(d->dir, sizeof(d->dir), "%s/%s", d->o.run_dir, d->o.name);
	if (mkdir(d->dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr,
			"drift-dp: cannot create %s: %s: check permissions or pass "
			"--run-dir\n",
			d->dir, strerror(errno));
		return -errno;
	}
	return lock_instance(d);
}

static int cleanup(struct dp *d)
{
	char path[1100];

	snprintf(d->dir, sizeof(d->dir), "%s/%s", d->o.run_dir, d->o.name);
	snprintf(path, sizeof(path), "%s/%s", d->dir, CTL_TABLE_FILE);
	if (unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "drift-dp: cannot remove %s: %s\n", path, strerror(errno));
	return (dp_xsk_cleanup(d->dir, d->o.dev) | (app_channel_unlink_all(d->dir) != 0)) ? 1 : 0;
}

static int bind_addr(struct dp *d, struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ADDR_IPV6; /* the wildcard v6 socket takes IPv4 peers too */
	a->port = (uint16_t)d->o.listen_port;
	if (!d->o.bind)
		return 0;
	if (inet_pton(AF_INET, d->o.bind, a->ip) == 1)
		a->family = ADDR_IPV4;
	else if (inet_pton(AF_INET6, d->o.bind, a->ip) != 1) {
		fprintf(stderr, "drift-dp: --bind \"%s\" is not an IPv4 or IPv6 address\n",
			d->o.bind);
		return -EINVAL;
	}
	return 0;
}

static int open_udp_ports(struct dp *d, const struct net_addr *bind)
{
	struct port_udp_config cfg = {.use_gro = true, .use_gso = true};
	int rc;

	cfg.bind = *bind;
	for (uint32_t i = 0; i < d->o.workers; i++) {
		rc = port_udp_open(&cfg, &d->ports[i]);
		if (rc == -EADDRINUSE) {
			fprintf(stderr,
				"drift-dp: UDP port %u is in use (another drift-dp?): stop "
				"it or pass --listen-port\n",
				d->o.listen_port);
			return rc;
		}
		if (rc) {
			fprintf(stderr, "drift-dp: cannot open UDP port %u: %s\n", d->o.listen_port,
				strerror(-rc));
			return rc;
		}
	}
	if ((rc = port_udp_steer(d->ports, d->o.workers)) != 0)
		fprintf(stderr, "drift-dp: cannot attach the CID steering program: %s\n",
			strerror(-rc));
	return rc;
}

/*
 * The xsk port: --dev, or the interface that holds --bind. With --port
 * auto a failure is not fatal: the reason goes into port_why and the udp
 * port takes over.
 */
static int open_ports(struct dp *d, struct net_addr *bind)
{
	const char *t = d->o.port_type;
	bool is_auto = strcmp(t, "auto") == 0;
	enum dp_xsk_want want = strcmp(t, "xsk-native") == 0	? DP_XSK_NATIVE
				: strcmp(t, "xsk-generic") == 0 ? DP_XSK_GENERIC
								: DP_XSK_ANY;
	char dev[IF_NAMESIZE] = "", err[256] = "";
	int rc;

	if ((rc = bind_addr(d, bind)) != 0)
		return rc;
	if (strcmp(t, "udp") == 0) {
		snprintf(d->port_why, sizeof(d->port_why), "--port udp (SO_REUSEPORT, GRO/GSO)");
		return open_udp_ports(d, bind);
	}
	if (d->o.dev)
		snprintf(dev, sizeof(dev), "%s", d->o.dev);
	else if (d->o.bind && dp_xsk_dev_of_addr(d->o.bind, dev) != 0)
		snprintf(err, sizeof(err), "no interface holds --bind %s", d->o.bind);
	else if (!d->o.bind)
		snprintf(err, sizeof(err), "xsk needs an interface: pass --dev or --bind");
	uint32_t asked = d->o.workers, q = dev[0] ? dp_xsk_rx_queues(dev) : 0;

	/* Without --workers, xsk takes one worker per RX queue (each queue needs a socket). */
	if (q && !d->o.has_workers) {
		d->o.workers = q < SHM_MAX_WORKERS ? q : SHM_MAX_WORKERS;
		for (uint32_t i = asked; i < d->o.workers; i++)
			d->cpus[i] = -1;
	}
	if (dev[0])
		rc = dp_xsk_open(&d->xsk, want, dev, (uint16_t)d->o.listen_port, d->o.workers,
				 d->o.use_busy_poll, d->dir, d->ports, err, sizeof(err));
	if (dev[0] && !rc) {
		d->is_xsk = true;
		snprintf(d->port_why, sizeof(d->port_why), "%s%.180s", is_auto ? "auto: " : "",
			 d->xsk.why);
		/* Keep the UDP port bound for driftd alone, so the kernel never answers
		 * unreachable for it; the steering program passes long headers there. */
		return 0;
	}
	if (!is_auto) {
		fprintf(stderr, "drift-dp: --port %s: %s\n", t, err);
		return rc ? rc : -EINVAL;
	}
	snprintf(d->port_why, sizeof(d->port_why), "auto: udp, xsk unavailable (%.150s)", err);
	d->o.workers = asked;
	return open_udp_ports(d, bind);
}

static int make_shared(struct dp *d, const struct net_addr *bind)
{
	char path[1100];
	struct shm_table_header *h;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", d->dir, CTL_TABLE_FILE);
	if ((rc = session_table_create(&d->table, path, d->o.slots, d->o.workers)) != 0) {
		fprintf(stderr, "drift-dp: cannot create %s: %s\n", path, strerror(-rc));
		return rc;
	}
	h = d->table.hdr;
	h->listen_port = (uint16_t)d->o.listen_port;
	h->bind_addr = *bind;
	snprintf(h->port_type, sizeof(h->port_type), "%s", d->is_xsk ? "xsk" : "udp");
	snprintf(h->port_why, sizeof(h->port_why), "%s", d->port_why);
	snprintf(h->dp_caps, sizeof(h->dp_caps), "unknown");
	if ((rc = app_channel_open_all(d->ch, d->dir, d->o.workers)) != 0)
		fprintf(stderr, "drift-dp: cannot create the app channel files in %s: %s\n", d->dir,
			strerror(-rc));
	return rc;
}

/* drift-vpn: the TUN device (one queue per worker) and the AllowedIPs of its peers. */
static int open_tun(struct dp *d)
{
	char err[512];
	int rc;

	if (!d->o.tun)
		return 0;
	rc = tun_shared_load(&d->tun_shared, d->o.tun_peers, d->o.tun_mtu, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "drift-dp: %s\n", err);
		return rc;
	}
	rc = tun_dev_open(&d->tun, d->o.tun, d->o.workers, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "drift-dp: %s\n", err);
		tun_shared_fini(&d->tun_shared);
		return rc;
	}
	d->has_tun = true;
	for (uint32_t i = 0; i < d->o.workers; i++)
		if ((rc = tun_worker_init(&d->tun_workers[i], d->tun.fds[i], &d->tun_shared,
					  d->o.slots)) != 0) {
			fprintf(stderr, "drift-dp: out of memory for the TUN queues\n");
			return rc;
		}
	snprintf(d->tun.why + strlen(d->tun.why), sizeof(d->tun.why) - strlen(d->tun.why), ", %s",
		 d->tun_workers[0].has_uring ? "io_uring batches" : "read/writev per packet");
	return 0;
}

static int start_workers(struct dp *d)
{
	if (d->has_tun) {
		snprintf(d->table.hdr->tun_name, sizeof(d->table.hdr->tun_name), "%s", d->tun.name);
		snprintf(d->table.hdr->port_why + strlen(d->table.hdr->port_why),
			 sizeof(d->table.hdr->port_why) - strlen(d->table.hdr->port_why), "; %s",
			 d->tun.why);
	}
	for (uint32_t i = 0; i < d->o.workers; i++) {
		struct worker_config cfg = {i,
					    d->cpus[i],
					    d->ports[i],
					    d->table.hdr,
					    d->ch,
					    d->is_xsk ? &d->xsk.handoff : NULL,
					    d->has_tun ? &d->tun_workers[i] : NULL};
		int rc = worker_init(&d->workers[i], &cfg);

		if (!rc)
			rc = worker_start(&d->workers[i]);
		if (rc) {
			fprintf(stderr, "drift-dp: cannot start worker %u%s: %s\n", i,
				d->cpus[i] >= 0 ? " (is its --cpus entry online?)" : "",
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * The udp port needs no capability once its sockets are bound: keep none.
 * The xsk port keeps what detaching the XDP program at exit needs.
 */
static int drop_caps(struct dp *d)
{
	static const cap_value_t xsk_keep[] = XDP_STEER_DETACH_CAPS;
	cap_t caps = cap_get_proc();
	int rc = 0;

	if (caps && cap_clear(caps) == 0 && d->is_xsk &&
	    (cap_set_flag(caps, CAP_PERMITTED, ARRAY_SIZE(xsk_keep), xsk_keep, CAP_SET) != 0 ||
	     cap_set_flag(caps, CAP_EFFECTIVE, ARRAY_SIZE(xsk_keep), xsk_keep, CAP_SET) != 0))
		rc = -EPERM;
	if (!caps || rc || cap_set_proc(caps) != 0) {
		fprintf(stderr, "drift-dp: cannot drop capabilities: %s\n", strerror(errno));
		rc = -EPERM;
	}
	if (caps)
		cap_free(caps);
	snprintf(d->table.hdr->dp_caps, sizeof(d->table.hdr->dp_caps), "%s",
		 rc	     ? "unknown"
		 : d->is_xsk ? XDP_STEER_DETACH_CAPS_TEXT
			     : "none");
	return rc;
}

/* Says once per channel that its file was truncated under us (shm_guard.h). */
static void report_broken_channels(struct dp *d, bool reported[SHM_APP_CHANNELS])
{
	for (uint32_t k = 0; k < SHM_APP_CHANNELS; k++) {
		if (reported[k] || !d->ch[k].hdr || !load_acquire(&d->ch[k].is_broken))
			continue;
		reported[k] = true;
		fprintf(stderr,
			"drift-dp: application channel app%u was truncated by the program holding "
			"it; it is out of service (its DATA is dropped as no_app). Restart "
			"drift-dp to re-create it, and do not resize channel files\n",
			k);
	}
}

/* Waits for SIGINT/SIGTERM, looking at the channels once a second meanwhile. */
static int wait_signal(struct dp *d, int sfd)
{
	bool reported[SHM_APP_CHANNELS] = {false};
	struct signalfd_siginfo si;
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};

	for (;;) {
		int n = poll(&pfd, 1, 1000);

		if (n < 0 && errno != EINTR)
			return -errno;
		report_broken_channels(d, reported);
		if (n > 0 && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return 0;
	}
}

static void teardown(struct dp *d)
{
	for (uint32_t i = 0; i < d->o.workers; i++)
		worker_fini(&d->workers[i]);
	for (uint32_t i = 0; i < d->o.workers; i++)
		port_close(d->ports[i]);
	if (d->has_tun) {
		for (uint32_t i = 0; i < d->o.workers; i++)
			tun_worker_fini(&d->tun_workers[i]);
		tun_dev_close(&d->tun);
		tun_shared_fini(&d->tun_shared);
	}
	if (d->is_xsk)
		dp_xsk_close(&d->xsk);
	app_channel_close_all(d->ch);
	session_table_detach(&d->table);
}

int main(int argc, char **argv)
{
	static struct dp d;
	struct net_addr bind;
	sigset_t set;
	int sfd, rc;

	if (parse_args(&d.o, argc, argv) != 0)
		return 2;
	if (d.o.is_cleanup)
		return cleanup(&d);
	if (backend_init() != 0 || backend_selftest() != 0) {
		fprintf(stderr, "drift-dp: crypto self-test failed: refusing to run (check "
				"DRIFT_AEAD and the libsodium/OpenSSL installs)\n");
		return 1;
	}
	if (parse_cpus(&d) != 0 || make_dir(&d) != 0)
		return 1;
	/* Signals go to the signalfd only, so every worker thread inherits the block. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	rc = sfd < 0 ? -errno : 0;
	if (!rc)
		rc = open_ports(&d, &bind);
	if (!rc)
		rc = make_shared(&d, &bind);
	if (!rc)
		rc = open_tun(&d);
	if (!rc && d.is_xsk && (rc = dp_xsk_start(&d.xsk, d.table.hdr)) != 0)
		fprintf(stderr, "drift-dp: cannot start the CID sync thread: %s\n", strerror(-rc));
	if (!rc)
		rc = start_workers(&d);
	if (!rc)
		rc = drop_caps(&d);
	if (!rc)
		rc = wait_signal(&d, sfd);
	teardown(&d);
	if (sfd >= 0)
		close(sfd);
	return rc ? 1 : 0;
}
