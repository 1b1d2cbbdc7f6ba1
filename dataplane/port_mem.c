/* SPDX-License-Identifier: MIT */
/*
 * The in-process port pair (port_mem.h).
 *
 *   end A                         direction A->B                      end B
 *   tx_alloc  <- free ring  <------------------------------  rx_release
 *   tx_burst  -> full ring  ------------------------------>  rx_burst
 *                                 (and the mirror image for B->A)
 *   test thread -> inject ring of B ---------------------->  rx_burst (first)
 *
 * A frame index is owned by exactly one of: the free ring, the sender
 * (between tx_alloc and tx_burst), the full ring, the receiver (between
 * rx_burst and rx_release). Both rings hold the whole pool, so neither can
 * overflow and no frame is ever dropped on the way.
 */
#include "dataplane/port_mem.h"

#include "internal/atomics.h"
#include "internal/spsc_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum {
	FRAME_STRIDE = PORT_FRAME_HEADROOM + PORT_FRAME_BYTES,
};

struct mem_desc {
	uint32_t idx;
	uint16_t len;
	uint16_t pad;
};

struct mem_inject {
	uint16_t len;
	struct net_addr from;
	uint8_t data[PORT_FRAME_BYTES];
};

/* Frames travelling one way, from the end whose address is `src`. */
struct mem_dir {
	uint8_t *frames;
	struct spsc_ring *full;	  /* sender -> receiver, struct mem_desc */
	struct spsc_ring *free;	  /* receiver -> sender, uint32_t frame index */
	struct spsc_ring *inject; /* injector -> receiver, struct mem_inject */
	struct net_addr src;
	int efd; /* the receiver's wait fd */
	/* Receiver sets it before sleeping; a sender that sees it writes efd. */
	_Atomic uint32_t needs_wakeup;
	_Atomic uint64_t drops;
};

struct port_mem {
	struct port port;
	struct mem_dir *rx, *tx;
	struct mem_pair *pair;
	uint32_t last_inject, last_pool; /* what the last rx_burst handed out */
};

struct mem_pair {
	struct mem_dir dir[2]; /* [0]: A->B, [1]: B->A */
	struct port_mem end[2];
	_Atomic uint32_t closed;
};

static inline struct port_mem *to_mem(struct port *p)
{
	return (struct port_mem *)p;
}

static inline uint8_t *frame_at(struct mem_dir *d, uint32_t idx)
{
	return d->frames + (size_t)idx * FRAME_STRIDE + PORT_FRAME_HEADROOM;
}

/* Writes the eventfd only if the receiver said it is going to sleep. */
static void kick(struct mem_dir *d)
{
	uint64_t one = 1;

	/* Pairs with the fence in mem_arm(): submit-then-check against set-then-recheck. */
	fence_full();
	if (!read_once(&d->needs_wakeup))
		return;
	write_once(&d->needs_wakeup, 0);
	if (write(d->efd, &one, sizeof(one)) < 0) {
		/* The counter is saturated, so the fd is readable anyway. */
	}
}

static uint32_t mem_rx_burst(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct port_mem *m = to_mem(p);
	uint32_t at, n, k;

	/* Injected frames first, so a test sees them in the order it queued them. */
	n = spsc_ring_peek(m->rx->inject, max, &at);
	for (k = 0; k < n; k++) {
		struct mem_inject *e = spsc_ring_entry(m->rx->inject, at + k);

		pkts[k] = (struct port_pkt){.data = e->data, .len = e->len, .addr = e->from};
	}
	m->last_inject = n;
	n = spsc_ring_peek(m->rx->full, max - k, &at);
	for (uint32_t i = 0; i < n; i++, k++) {
		struct mem_desc *d = spsc_ring_entry(m->rx->full, at + i);

		pkts[k] = (struct port_pkt){.data = frame_at(m->rx, d->idx),
					    .len = d->len,
					    .cookie = d->idx,
					    .addr = m->rx->src};
		p->stats.rx_bytes += d->len;
	}
	m->last_pool = n;
	p->stats.rx_packets += k;
	return k;
}

static void mem_rx_release(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct port_mem *m = to_mem(p);
	uint32_t at, got;

	(void)n;
	spsc_ring_release(m->rx->inject, m->last_inject);
	if (!m->last_pool)
		return;
	/* The free ring holds the whole pool, so there is always room. */
	got = spsc_ring_reserve(m->rx->free, m->last_pool, &at);
	for (uint32_t i = 0; i < got; i++)
		*(uint32_t *)spsc_ring_entry(m->rx->free, at + i) = pkts[m->last_inject + i].cookie;
	spsc_ring_submit(m->rx->free, got);
	spsc_ring_release(m->rx->full, m->last_pool);
	m->last_inject = m->last_pool = 0;
}

static uint32_t mem_tx_alloc(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct port_mem *m = to_mem(p);
	uint32_t at, n = spsc_ring_peek(m->tx->free, max, &at);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = *(uint32_t *)spsc_ring_entry(m->tx->free, at + i);

		pkts[i] = (struct port_pkt){.data = frame_at(m->tx, idx), .cookie = idx};
	}
	spsc_ring_release(m->tx->free, n);
	return n;
}

static uint32_t mem_tx_burst(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct port_mem *m = to_mem(p);
	uint32_t at, got = spsc_ring_reserve(m->tx->full, n, &at);

	/* got == n: the full ring holds the whole pool. */
	for (uint32_t i = 0; i < got; i++) {
		struct mem_desc *d = spsc_ring_entry(m->tx->full, at + i);

		d->idx = pkts[i].cookie;
		d->len = pkts[i].len;
		p->stats.tx_bytes += pkts[i].len;
	}
	spsc_ring_submit(m->tx->full, got);
	p->stats.tx_packets += got;
	p->stats.tx_syscalls++;
	kick(m->tx);
	return got;
}

static int mem_wait_fd(struct port *p)
{
	return to_mem(p)->rx->efd;
}

/* Before a sleep: clear stale wake-ups, then ask senders for the next one. */
static void mem_arm(struct port *p)
{
	struct mem_dir *d = to_mem(p)->rx;
	uint64_t v;

	if (read(d->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending, which is the usual case. */
	}
	write_once(&d->needs_wakeup, 1);
	fence_full();
}

static void dir_fini(struct mem_dir *d)
{
	free(d->frames);
	free(d->full);
	free(d->free);
	free(d->inject);
	if (d->efd >= 0)
		close(d->efd);
}

static void mem_close(struct port *p)
{
	struct mem_pair *pair = to_mem(p)->pair;

	/* The second close frees both ends: the peer thread may still run until then. */
	if (fetch_add_relaxed(&pair->closed, 1) != 1)
		return;
	dir_fini(&pair->dir[0]);
	dir_fini(&pair->dir[1]);
	free(pair);
}

static const struct port_ops mem_ops = {
	.name = "mem",
	.rx_burst = mem_rx_burst,
	.rx_release = mem_rx_release,
	.tx_alloc = mem_tx_alloc,
	.tx_burst = mem_tx_burst,
	.wait_fd = mem_wait_fd,
	.arm = mem_arm,
	.close = mem_close,
};

static struct spsc_ring *ring_new(uint32_t entries, uint32_t entry_bytes)
{
	size_t bytes = spsc_ring_bytes(entries, entry_bytes);
	struct spsc_ring *r;

	bytes = (bytes + CACHE_LINE_BYTES - 1) & ~(size_t)(CACHE_LINE_BYTES - 1);
	r = aligned_alloc(CACHE_LINE_BYTES, bytes);
	if (r)
		spsc_ring_init(r, entries, entry_bytes);
	return r;
}

static int dir_init(struct mem_dir *d, const struct net_addr *src)
{
	uint32_t at;

	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->efd < 0)
		return -errno;
	d->src = *src;
	d->frames = malloc((size_t)PORT_MEM_POOL_FRAMES * FRAME_STRIDE);
	d->full = ring_new(PORT_MEM_POOL_FRAMES, sizeof(struct mem_desc));
	d->free = ring_new(PORT_MEM_POOL_FRAMES, sizeof(uint32_t));
	d->inject = ring_new(PORT_MEM_INJECT_ENTRIES, sizeof(struct mem_inject));
	if (!d->frames || !d->full || !d->free || !d->inject)
		return -ENOMEM;
	/* Every frame starts on the free ring, before either thread runs. */
	spsc_ring_reserve(d->free, PORT_MEM_POOL_FRAMES, &at);
	for (uint32_t i = 0; i < PORT_MEM_POOL_FRAMES; i++)
		*(uint32_t *)spsc_ring_entry(d->free, at + i) = i;
	spsc_ring_submit(d->free, PORT_MEM_POOL_FRAMES);
	return 0;
}

int port_mem_pair_new(const struct net_addr *addr_a, const struct net_addr *addr_b, struct port **a,
		      struct port **b)
{
	struct mem_pair *pair = calloc(1, sizeof(*pair));
	int rc;

	if (!pair)
		return -ENOMEM;
	pair->dir[0].efd = pair->dir[1].efd = -1;
	if ((rc = dir_init(&pair->dir[0], addr_a)) != 0 ||
	    (rc = dir_init(&pair->dir[1], addr_b)) != 0)
		goto err_free;
	for (int i = 0; i < 2; i++) {
		pair->end[i].port.ops = &mem_ops;
		pair->end[i].pair = pair;
		pair->end[i].tx = &pair->dir[i];
		pair->end[i].rx = &pair->dir[1 - i];
	}
	*a = &pair->end[0].port;
	*b = &pair->end[1].port;
	return 0;

err_free:
	dir_fini(&pair->dir[0]);
	dir_fini(&pair->dir[1]);
	free(pair);
	return rc;
}

int port_mem_inject(struct port *to, const uint8_t *data, uint16_t len, const struct net_addr *from)
{
	struct mem_dir *d = to_mem(to)->rx;
	struct mem_inject *e;
	uint32_t at;

	if (len > PORT_FRAME_BYTES)
		return -EMSGSIZE;
	if (spsc_ring_reserve(d->inject, 1, &at) != 1) {
		fetch_add_relaxed(&d->drops, 1);
		return -ENOBUFS;
	}
	e = spsc_ring_entry(d->inject, at);
	e->len = len;
	e->from = *from;
	memcpy(e->data, data, len);
	spsc_ring_submit(d->inject, 1);
	kick(d);
	return 0;
}

uint64_t port_mem_drops(struct port *p)
{
	return read_once(&to_mem(p)->rx->drops);
}
