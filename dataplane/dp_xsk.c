/* SPDX-License-Identifier: MIT */
#include "dataplane/dp_xsk.h"

#include "dataplane/port_xsk.h"
#include "internal/atomics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	SYNC_PERIOD_US = 500, /* CID map follows installs within ~0.5 ms */
	STATS_EVERY = 200,    /* verdict counters every 200 periods (100 ms) */
};

uint32_t dp_xsk_rx_queues(const char *dev)
{
	char path[128];
	struct dirent *e;
	uint32_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", dev);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "rx-", 3) == 0;
	closedir(d);
	return n;
}

static void close_ports(struct port **ports, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		port_close(ports[i]);
		ports[i] = NULL;
	}
}

/* One attempt in one mode: attach, open every queue's socket, register them. */
static int try_mode(struct dp_xsk *x, bool is_native, uint16_t udp_port, bool use_busy_poll,
		    struct port **ports, char *err, size_t err_len)
{
	enum xdp_steer_mode mode = is_native ? XDP_STEER_NATIVE : XDP_STEER_GENERIC;
	int rc = xdp_steer_attach(x->ifindex, mode, udp_port, &x->steer, err, err_len);

	if (rc)
		return rc;
	for (uint32_t q = 0; q < x->workers; q++) {
		struct port_xsk_config c = {
			.ifindex = x->ifindex,
			.queue = q,
			.udp_port = udp_port,
			.is_generic = !is_native,
			.try_zerocopy = is_native,
			.use_busy_poll = use_busy_poll,
		};

		rc = port_xsk_open(&c, &ports[q], err, err_len);
		if (!rc)
			rc = xdp_steer_set_xsk(x->steer, q, port_xsk_fd(ports[q]));
		if (rc) {
			if (!err[0])
				snprintf(err, err_len,
					 "cannot register the AF_XDP socket of queue %u: %s", q,
					 strerror(-rc));
			close_ports(ports, q + 1);
			xdp_steer_detach(x->steer);
			x->steer = NULL;
			return rc;
		}
	}
	x->is_native = is_native;
	x->is_zerocopy = port_xsk_is_zerocopy(ports[0]);
	x->has_busy_poll = port_xsk_has_busy_poll(ports[0]);
	return 0;
}

static void write_dev_file(struct dp_xsk *x, const char *dir)
{
	int fd;

	snprintf(x->dev_file, sizeof(x->dev_file), "%s/xdp.dev", dir);
	fd = open(x->dev_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, x->ifname, strlen(x->ifname)) < 0) {
		/* --cleanup then needs --dev; nothing else depends on the file. */
	}
	close(fd);
}

int dp_xsk_open(struct dp_xsk *x, enum dp_xsk_want want, const char *dev, uint16_t udp_port,
		uint32_t workers, bool use_busy_poll, const char *dir, struct port **ports,
		char *err, size_t err_len)
{
	char first[256] = "";
	uint32_t queues;
	int rc;

	memset(x, 0, sizeof(*x));
	x->workers = workers;
	snprintf(x->ifname, sizeof(x->ifname), "%s", dev);
	x->ifindex = if_nametoindex(dev);
	if (!x->ifindex) {
		snprintf(err, err_len, "no interface \"%s\": check --dev (ip link)", dev);
		return -ENODEV;
	}
	queues = dp_xsk_rx_queues(dev);
	/* The XDP program can only hand a frame to the socket of the queue it came in on. */
	if (queues && queues != workers) {
		snprintf(err, err_len,
			 "%s has %u RX queue%s but --workers is %u: xsk needs one worker per RX "
			 "queue "
			 "(frames on a queue without one would miss the dataplane); pass --workers "
			 "%u "
			 "or change the queues (ethtool -L %s combined %u)",
			 dev, queues, queues == 1 ? "" : "s", workers, queues, dev, workers);
		return -EINVAL;
	}
	rc = -EOPNOTSUPP;
	if (want != DP_XSK_GENERIC) {
		rc = try_mode(x, true, udp_port, use_busy_poll, ports, err, err_len);
		if (rc && want == DP_XSK_ANY)
			snprintf(first, sizeof(first), "%s", err);
	}
	if (rc && want != DP_XSK_NATIVE)
		rc = try_mode(x, false, udp_port, use_busy_poll, ports, err, err_len);
	if (rc)
		return rc;
	if ((rc = handoff_init(&x->handoff, workers)) != 0) {
		snprintf(err, err_len, "out of memory for the hand-off rings");
		close_ports(ports, workers);
		xdp_steer_detach(x->steer);
		x->steer = NULL;
		return rc;
	}
	snprintf(x->type, sizeof(x->type), "xsk");
	snprintf(x->why, sizeof(x->why), "%s: %s XDP (%s), %s%s%s%s", x->ifname,
		 x->is_native ? "native" : "generic", xdp_steer_describe(x->steer),
		 x->is_zerocopy ? "zero-copy" : "copy mode (no zero-copy in the driver)",
		 x->has_busy_poll ? ", busy-poll" : "", first[0] ? "; native failed: " : "", first);
	write_dev_file(x, dir);
	return 0;
}

/* Makes the program's CID map equal to the receive CIDs of the installed epochs. */
static void sync_cids(struct dp_xsk *x)
{
	uint8_t want[DRIFT_XDP_CIDS / 8];

	memset(want, 0, sizeof(want));
	for (uint32_t i = 0; i < x->hdr->slot_count; i++) {
		struct shm_slot *s = shm_slot_at(x->hdr, i);

		/* A torn read only costs a CID routed through driftd until the next pass. */
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != SHM_SLOT_ACTIVE)
			continue;
		for (int e = 0; e < 2; e++)
			if (s->ep[e].flags & SHM_EPOCH_RX)
				want[s->ep[e].rx_cid / 8] |= (uint8_t)(1u << (s->ep[e].rx_cid % 8));
	}
	for (uint32_t c = 0; c < DRIFT_XDP_CIDS; c++) {
		bool is_on = want[c / 8] & (1u << (c % 8));
		bool was_on = x->steered[c / 8] & (1u << (c % 8));

		if (is_on != was_on && xdp_steer_set_cid(x->steer, (uint16_t)c, is_on) == 0)
			x->steered[c / 8] ^= (uint8_t)(1u << (c % 8));
	}
}

static void *sync_main(void *arg)
{
	struct dp_xsk *x = arg;
	struct timespec ts = {0, SYNC_PERIOD_US * 1000L};
	uint64_t verdicts[DRIFT_XDP_V_COUNT];

	for (uint32_t tick = 0; !read_once(&x->stop); tick++) {
		uint64_t seq = load_acquire(&x->hdr->install_seq);

		if (seq != x->synced_install_seq) {
			x->synced_install_seq = seq;
			sync_cids(x);
		}
		if (tick % STATS_EVERY == 0 && xdp_steer_read_stats(x->steer, verdicts) == 0)
			for (int v = 0; v < DRIFT_XDP_V_COUNT && v < 8; v++)
				x->hdr->xdp_verdicts[v] = verdicts[v];
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int dp_xsk_start(struct dp_xsk *x, struct shm_table_header *hdr)
{
	int rc;

	x->hdr = hdr;
	hdr->ifindex = x->ifindex;
	hdr->queue_count = x->workers;
	x->synced_install_seq = UINT64_MAX;
	rc = pthread_create(&x->sync, NULL, sync_main, x);
	x->has_sync = rc == 0;
	return -rc;
}

void dp_xsk_close(struct dp_xsk *x)
{
	if (x->has_sync) {
		write_once(&x->stop, 1);
		pthread_join(x->sync, NULL);
		x->has_sync = false;
	}
	if (x->steer) {
		xdp_steer_detach(x->steer);
		x->steer = NULL;
		if (x->dev_file[0])
			unlink(x->dev_file);
	}
	handoff_fini(&x->handoff);
}

int dp_xsk_cleanup(const char *dir, const char *dev)
{
	char path[1100], name[IF_NAMESIZE + 1] = "", err[256] = "";
	uint32_t ifindex;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/xdp.dev", dir);
	if (dev) {
		snprintf(name, sizeof(name), "%s", dev);
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t n = read(fd, name, sizeof(name) - 1);

		close(fd);
		name[n > 0 ? n : 0] = 0;
	}
	if (!name[0])
		return 0; /* no program was left attached */
	ifindex = if_nametoindex(name);
	if (!ifindex) {
		fprintf(stderr, "drift-dp: interface \"%s\" is gone; nothing to detach\n", name);
		unlink(path);
		return 0;
	}
	rc = xdp_steer_cleanup(ifindex, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "drift-dp: cannot detach the XDP program from %s: %s\n", name, err);
		return 1;
	}
	if (rc > 0)
		fprintf(stderr, "drift-dp: detached %d XDP program%s from %s\n", rc,
			rc == 1 ? "" : "s", name);
	unlink(path);
	return 0;
}

int dp_xsk_dev_of_addr(const char *ip, char ifname[IF_NAMESIZE])
{
	struct ifaddrs *all, *a;
	uint8_t want[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET, rc = -ENOENT;

	if (inet_pton(family, ip, want) != 1 || getifaddrs(&all) != 0)
		return -EINVAL;
	for (a = all; a; a = a->ifa_next) {
		const void *have;

		if (!a->ifa_addr || a->ifa_addr->sa_family != family)
			continue;
		have = family == AF_INET
			       ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr
			       : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
		if (memcmp(have, want, family == AF_INET ? 4 : 16) == 0) {
			snprintf(ifname, IF_NAMESIZE, "%s", a->ifa_name);
			rc = 0;
			break;
		}
	}
	freeifaddrs(all);
	return rc;
}
