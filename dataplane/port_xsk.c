/* SPDX-License-Identifier: MIT */
/*
 * The AF_XDP port (port_xsk.h). UMEM frames are 4 KiB: received frames
 * stay where the kernel put them (the descriptor's address), transmit
 * frames keep PORT_FRAME_HEADROOM bytes in front of pkt.data so the
 * Ethernet/IP/UDP headers are written in place, never copied.
 *
 * Frame ownership: every frame is in exactly one place at a time: the
 * fill ring or the rx ring (kernel, receive side), handed out by
 * rx_burst() until rx_release(), the free stack, handed out by
 * tx_alloc(), or the tx ring / completion ring (kernel, send side).
 */
#include "dataplane/port_xsk.h"

#include "internal/compiler.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

enum {
	XSK_FRAME_SIZE = 4096,
	XSK_FRAME_SHIFT = 12,
	XSK_DEFAULT_FRAMES = 4096,
	XSK_KICK_TRIES = 4, /* sendto() kicks per burst: copy mode sends 32 per call */
	XSK_BUSY_POLL_US = 20,
};

_Static_assert((int)PORT_FRAME_HEADROOM + (int)PORT_FRAME_BYTES <= (int)XSK_FRAME_SIZE,
	       "a tx frame holds the headroom and a whole port frame");
_Static_assert((int)FRAME_MAX_HEADER_BYTES <= (int)PORT_FRAME_HEADROOM, "headers fit the headroom");

struct xsk_port {
	struct port base;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	uint8_t *area;
	size_t area_bytes;
	uint32_t frames;
	uint64_t *free_frames; /* stack of frame addresses available for tx */
	uint32_t free_n;
	uint32_t tx_outstanding; /* posted to the tx ring, not completed yet */
	uint16_t udp_port;
	bool is_zerocopy, has_busy_poll;
	uint64_t rx_dropped[FRAME_RESULT_COUNT];
};

static struct xsk_port *xp(struct port *p)
{
	return (struct xsk_port *)p;
}

static uint64_t chunk_of(uint64_t addr)
{
	return addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
}

/* Gives frames back to the kernel for receiving. */
static void refill(struct xsk_port *x, const uint64_t *addrs, uint32_t n)
{
	uint32_t at, got = xsk_ring_prod__reserve(&x->fill, n, &at);

	for (uint32_t i = 0; i < got; i++)
		*xsk_ring_prod__fill_addr(&x->fill, at + i) = chunk_of(addrs[i]);
	xsk_ring_prod__submit(&x->fill, got);
	/* The fill ring holds every rx frame; if it did not, keep the rest for tx. */
	for (uint32_t i = got; i < n && x->free_n < x->frames; i++)
		x->free_frames[x->free_n++] = chunk_of(addrs[i]);
}

/* Completed transmissions go back to the free stack. */
static void reap_completions(struct xsk_port *x)
{
	uint32_t at, n = xsk_ring_cons__peek(&x->comp, PORT_BURST_MAX * 4, &at);

	for (uint32_t i = 0; i < n && x->free_n < x->frames; i++)
		x->free_frames[x->free_n++] = chunk_of(*xsk_ring_cons__comp_addr(&x->comp, at + i));
	xsk_ring_cons__release(&x->comp, n);
	x->tx_outstanding -= n <= x->tx_outstanding ? n : x->tx_outstanding;
}

/* Descriptors posted to the tx ring that the kernel has not taken yet. */
static uint32_t tx_unsent(struct xsk_port *x)
{
	return x->tx.cached_prod - __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
}

/*
 * Copy mode (and zero-copy drivers that ask) send only inside a syscall,
 * and one sendto() takes at most 32 descriptors in copy mode: kick while
 * some are left, up to XSK_KICK_TRIES times; xsk_tx_flush() goes on later.
 */
static void kick_tx(struct xsk_port *x)
{
	for (int i = 0; i < XSK_KICK_TRIES && tx_unsent(x); i++) {
		if (!xsk_ring_prod__needs_wakeup(&x->tx))
			break;
		x->base.stats.tx_syscalls++;
		if (sendto(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			continue;
		/* EAGAIN/EBUSY: the ring is being drained; ENOBUFS: the next kick retries. */
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
			x->base.stats.tx_errors++;
		break;
	}
}

static uint32_t xsk_rx_burst(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct xsk_port *x = xp(p);
	uint64_t bad[PORT_BURST_MAX];
	uint32_t at, n, out = 0, n_bad = 0;

	if (max > PORT_BURST_MAX)
		max = PORT_BURST_MAX;
	n = xsk_ring_cons__peek(&x->rx, max, &at);
	if (!n) {
		/* Busy polling drives the queue's NAPI from this thread, inside recvfrom(). */
		if (x->has_busy_poll || xsk_ring_prod__needs_wakeup(&x->fill)) {
			x->base.stats.rx_syscalls++;
			recvfrom(xsk_socket__fd(x->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		}
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, at + i);
		uint8_t *frame = xsk_umem__get_data(x->area, d->addr);
		struct frame_info fi;
		enum frame_result r = FRAME_TOO_SHORT;

		/* A descriptor is the kernel's word, but still bounded by our UMEM. */
		if (d->addr < x->area_bytes &&
		    d->len <= XSK_FRAME_SIZE - (d->addr & (XSK_FRAME_SIZE - 1)))
			r = frame_parse(frame, d->len, x->udp_port, &fi);
		if (unlikely(r != FRAME_OK)) {
			x->rx_dropped[r]++;
			x->base.stats.rx_truncated++;
			bad[n_bad++] = d->addr;
			continue;
		}
		pkts[out] = (struct port_pkt){
			.data = frame + fi.payload_off,
			.len = fi.payload_len,
			.cookie = (uint32_t)(d->addr >> XSK_FRAME_SHIFT),
			.addr = fi.src,
		};
		x->base.stats.rx_bytes += fi.payload_len;
		out++;
	}
	xsk_ring_cons__release(&x->rx, n);
	if (n_bad)
		refill(x, bad, n_bad);
	x->base.stats.rx_packets += out;
	return out;
}

static void xsk_rx_release(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct xsk_port *x = xp(p);
	uint64_t addrs[PORT_BURST_MAX];

	if (n > PORT_BURST_MAX)
		n = PORT_BURST_MAX;
	for (uint32_t i = 0; i < n; i++)
		addrs[i] = (uint64_t)pkts[i].cookie << XSK_FRAME_SHIFT;
	refill(x, addrs, n);
}

static uint32_t xsk_tx_alloc(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct xsk_port *x = xp(p);
	uint32_t n = 0;

	if (x->free_n < max)
		reap_completions(x);
	while (n < max && x->free_n) {
		uint64_t a = x->free_frames[--x->free_n];

		pkts[n++] = (struct port_pkt){
			.data = x->area + a + PORT_FRAME_HEADROOM,
			.cookie = (uint32_t)(a >> XSK_FRAME_SHIFT),
		};
	}
	return n;
}

static void free_frame(struct xsk_port *x, uint64_t a)
{
	if (x->free_n < x->frames)
		x->free_frames[x->free_n++] = a;
}

static uint32_t xsk_tx_burst(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct xsk_port *x = xp(p);
	struct xdp_desc descs[PORT_BURST_MAX];
	uint32_t at = 0, built = 0, posted;

	if (n > PORT_BURST_MAX)
		n = PORT_BURST_MAX;
	/* Headers first: only frames that got them take a ring slot. */
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = (uint64_t)pkts[i].cookie << XSK_FRAME_SHIFT;
		const struct net_route *r = pkts[i].route;
		uint32_t hdr = r ? frame_header_bytes(r, pkts[i].addr.family) : 0;
		uint32_t len = 0;

		if (hdr && pkts[i].len <= PORT_FRAME_BYTES)
			len = frame_build(pkts[i].data - hdr, r, &pkts[i].addr, pkts[i].len);
		if (!len) {
			x->base.stats.tx_errors++;
			free_frame(x, a);
			continue;
		}
		descs[built++] =
			(struct xdp_desc){.addr = a + PORT_FRAME_HEADROOM - hdr, .len = len};
		x->base.stats.tx_bytes += pkts[i].len;
	}
	posted = built ? xsk_ring_prod__reserve(&x->tx, built, &at) : 0;
	for (uint32_t i = 0; i < posted; i++)
		*xsk_ring_prod__tx_desc(&x->tx, at + i) = descs[i];
	/* The tx ring is full (the kernel is behind): those frames are dropped. */
	for (uint32_t i = posted; i < built; i++) {
		x->base.stats.tx_errors++;
		free_frame(x, chunk_of(descs[i].addr));
	}
	xsk_ring_prod__submit(&x->tx, posted);
	x->tx_outstanding += posted;
	x->base.stats.tx_packets += posted;
	kick_tx(x);
	reap_completions(x);
	return posted;
}

static uint32_t xsk_tx_flush(struct port *p)
{
	struct xsk_port *x = xp(p);

	if (tx_unsent(x))
		kick_tx(x);
	reap_completions(x);
	return tx_unsent(x);
}

static int xsk_wait_fd(struct port *p)
{
	return xsk_socket__fd(xp(p)->xsk);
}

static void xsk_close(struct port *p)
{
	struct xsk_port *x = xp(p);

	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_bytes);
	free(x->free_frames);
	free(x);
}

static const struct port_ops xsk_ops = {
	.name = "xsk",
	.rx_burst = xsk_rx_burst,
	.rx_release = xsk_rx_release,
	.tx_alloc = xsk_tx_alloc,
	.tx_burst = xsk_tx_burst,
	.wait_fd = xsk_wait_fd,
	.arm = NULL,
	.close = xsk_close,
	.tx_flush = xsk_tx_flush,
	.needs_route = true,
};

static int fail(char *err, size_t len, int rc, const char *fmt, const char *a, const char *b)
{
	snprintf(err, len, fmt, a, b);
	return rc;
}

static int make_socket(struct xsk_port *x, const struct port_xsk_config *cfg, const char *ifname,
		       char *err, size_t err_len)
{
	struct xsk_socket_config sc = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY,
	};
	int rc = -EOPNOTSUPP;

	if (cfg->try_zerocopy && !cfg->is_generic)
		rc = xsk_socket__create(&x->xsk, ifname, cfg->queue, x->umem, &x->rx, &x->tx, &sc);
	x->is_zerocopy = rc == 0;
	if (rc) {
		sc.bind_flags = XDP_USE_NEED_WAKEUP | XDP_COPY;
		rc = xsk_socket__create(&x->xsk, ifname, cfg->queue, x->umem, &x->rx, &x->tx, &sc);
	}
	if (rc == -EPERM)
		return fail(err, err_len, rc,
			    "cannot open an AF_XDP socket on %s: %s: run drift-dp as root (it "
			    "needs CAP_NET_RAW and CAP_NET_ADMIN)",
			    ifname, strerror(-rc));
	if (rc == -EINVAL || rc == -ENOENT)
		return fail(
			err, err_len, rc,
			"cannot bind an AF_XDP socket to %s: %s: is the RX queue there (ethtool "
			"-l) and the XDP program attached?",
			ifname, strerror(-rc));
	if (rc)
		return fail(err, err_len, rc, "cannot open an AF_XDP socket on %s: %s", ifname,
			    strerror(-rc));
	return 0;
}

static void setup_busy_poll(struct xsk_port *x)
{
	int fd = xsk_socket__fd(x->xsk), one = 1, us = XSK_BUSY_POLL_US, budget = PORT_BURST_MAX;

	x->has_busy_poll =
		setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) == 0 &&
		setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) == 0 &&
		setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) == 0;
}

int port_xsk_open(const struct port_xsk_config *cfg, struct port **out, char *err, size_t err_len)
{
	struct xsk_umem_config uc = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	char ifname[IF_NAMESIZE] = "";
	struct xsk_port *x;
	uint32_t rx_frames;
	int rc;

	*out = NULL;
	snprintf(err, err_len, "bad xsk port config");
	if (!cfg || !cfg->ifindex || !cfg->udp_port)
		return -EINVAL;
	if (!if_indextoname(cfg->ifindex, ifname))
		return fail(err, err_len, -ENODEV, "no interface with index %s%s: check --dev", "",
			    "");
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->base.ops = &xsk_ops;
	x->udp_port = cfg->udp_port;
	x->frames = cfg->frames ? cfg->frames : XSK_DEFAULT_FRAMES;
	rc = -EINVAL;
	if (x->frames < 256 || (x->frames & (x->frames - 1)) || x->frames > (1u << 20))
		goto err;
	x->area_bytes = (size_t)x->frames * XSK_FRAME_SIZE;
	x->area = mmap(NULL, x->area_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	x->free_frames = calloc(x->frames, sizeof(*x->free_frames));
	if (x->area == MAP_FAILED || !x->free_frames) {
		if (x->area == MAP_FAILED)
			x->area = NULL;
		rc = -ENOMEM;
		snprintf(err, err_len, "cannot allocate %zu bytes of UMEM", x->area_bytes);
		goto err;
	}
	rc = xsk_umem__create(&x->umem, x->area, x->area_bytes, &x->fill, &x->comp, &uc);
	if (rc) {
		fail(err, err_len, rc,
		     "cannot register AF_XDP memory: %s%s (locked-memory limit? run as root or "
		     "raise ulimit -l)",
		     strerror(-rc), "");
		goto err;
	}
	if ((rc = make_socket(x, cfg, ifname, err, err_len)) != 0)
		goto err;
	if (cfg->use_busy_poll)
		setup_busy_poll(x);
	/* Half the frames wait in the fill ring for receives, half serve transmits. */
	rx_frames = x->frames / 2;
	if (rx_frames > uc.fill_size)
		rx_frames = uc.fill_size;
	for (uint32_t i = 0; i < x->frames; i++) {
		uint64_t a = (uint64_t)i * XSK_FRAME_SIZE;

		if (i < rx_frames)
			refill(x, &a, 1);
		else
			x->free_frames[x->free_n++] = a;
	}
	*out = &x->base;
	err[0] = 0;
	return 0;
err:
	xsk_close(&x->base);
	return rc;
}

int port_xsk_fd(struct port *p)
{
	return xsk_socket__fd(xp(p)->xsk);
}

bool port_xsk_is_zerocopy(struct port *p)
{
	return xp(p)->is_zerocopy;
}

bool port_xsk_has_busy_poll(struct port *p)
{
	return xp(p)->has_busy_poll;
}

uint64_t port_xsk_rx_dropped(struct port *p, enum frame_result why)
{
	return (unsigned)why < FRAME_RESULT_COUNT ? xp(p)->rx_dropped[why] : 0;
}
