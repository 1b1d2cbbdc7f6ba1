/* SPDX-License-Identifier: MIT */
/*
 * The data half of the application library: datagrams into the tx ring of
 * the worker that owns a session, and out of every worker's rx ring and
 * driftd's ctl ring, with AF_XDP-style need_wakeup sleeps on both sides
 * (include/internal/shm_layout.h). No locks and no syscalls while the
 * other side is awake; this file never talks to driftd's socket.
 *
 * Mapping the channel file lives here too: its checks are about the ring
 * geometry this file relies on.
 *
 * The wake words are shared between processes, so the futex calls use the
 * shared (non-PRIVATE) operations.
 */
#include "control/api_app_impl.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum {
	APP_FLUSH_POLL_NS = 100 * 1000, /* how often drift_app_flush() looks at the rings */
};

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, timeout, NULL, 0);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the channel file ---------------------------------------------------- */

/* True when every ring of the mapped channel has the geometry this library was built for. */
static bool rings_match(struct shm_app_header *h)
{
	for (uint32_t i = 0; i < 2 * h->worker_count + 1; i++) {
		struct spsc_ring *r = (struct spsc_ring *)((uint8_t *)h + h->rings_off +
							   (size_t)i * h->ring_bytes);

		if (r->g.mask != SHM_APP_RING_ENTRIES - 1 ||
		    r->g.entry_bytes != sizeof(struct shm_app_msg))
			return false;
	}
	return true;
}

/*
 * A channel is reused after its application exits; whatever that
 * application left unread in its receive and control rings belongs to it,
 * not to us. We are those rings' only consumer, so dropping is safe.
 */
static void discard_stale(struct DriftApp *app)
{
	for (uint32_t w = 0; w <= app->worker_count; w++) {
		struct spsc_ring *r = w < app->worker_count ? shm_app_rx_ring(app->hdr, w)
							    : shm_app_ctl_ring(app->hdr);
		uint32_t at, n;

		while ((n = spsc_ring_peek(r, SHM_APP_RING_ENTRIES, &at)) != 0)
			spsc_ring_release(r, n);
	}
}

/* Every check runs on the header before a ring index is ever masked with its values. */
int api_app_map_channel(struct DriftApp *app, int fd, uint32_t k, uint32_t workers)
{
	struct shm_app_header want;
	struct shm_app_header *h;
	struct stat st;

	if (workers == 0 || workers > SHM_MAX_WORKERS || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(*h))
		return -EPROTO;
	memset(&want, 0, sizeof(want));
	shm_app_layout(&want, workers);
	if ((uint64_t)st.st_size != want.total_bytes)
		return -EPROTO;
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	if (h->magic != SHM_APP_MAGIC || h->layout_version != SHM_LAYOUT_VERSION ||
	    h->channel != k || h->worker_count != workers || h->total_bytes != want.total_bytes ||
	    h->rings_off != want.rings_off || h->ring_bytes != want.ring_bytes || !rings_match(h)) {
		munmap(h, (size_t)st.st_size);
		return -EPROTO;
	}
	app->hdr = h;
	app->map_bytes = (size_t)st.st_size;
	app->chan_fd = fd;
	app->channel = k;
	app->worker_count = workers;
	discard_stale(app);
	return 0;
}

/* ---- send ---------------------------------------------------------------- */

/* Wakes worker w if it sleeps; called after a submit. */
static void wake_worker(struct DriftApp *app, uint32_t w)
{
	/*
	 * The fence orders our ring submit before the needs_wakeup load;
	 * the worker sets needs_wakeup and fences before its last look at
	 * the ring. One of the two sides sees the other (store-load order).
	 */
	fence_full();
	if (!load_acquire(&app->hdr->dp[w].needs_wakeup))
		return;
	fetch_add_relaxed(&app->hdr->dp[w].wake, 1);
	futex(&app->hdr->dp[w].wake, FUTEX_WAKE, 1, NULL);
	api_app_count(&app->tx_wakeups, 1);
}

int drift_app_send_batch(struct DriftApp *app, const struct DriftAppSession *session,
			 const struct DriftAppBuf *bufs, unsigned count)
{
	struct spsc_ring *r;
	uint32_t w, at, n;

	if (!app || !session || (!bufs && count))
		return -EINVAL;
	if (!app->hdr)
		return -ENOTCONN;
	for (unsigned i = 0; i < count; i++)
		if (bufs[i].len > WIRE_MAX_PAYLOAD_BYTES)
			return -EMSGSIZE;
		else if (bufs[i].len && !bufs[i].data)
			return -EINVAL;
	if (!count)
		return 0;
	/* drift-dp's worker w serves slot % worker_count: the owner of the session's tx word. */
	w = session->slot % app->worker_count;
	r = shm_app_tx_ring(app->hdr, w);
	n = spsc_ring_reserve(r, count, &at);
	if (!n) {
		api_app_count(&app->tx_ring_full, 1);
		return -EAGAIN;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct shm_app_msg *m = spsc_ring_entry(r, at + i);

		m->slot = session->slot;
		m->generation = session->generation;
		m->len = (uint16_t)bufs[i].len;
		m->kind = SHM_APP_DATA;
		memcpy(m->peer_id, session->peer_id, sizeof(m->peer_id));
		if (bufs[i].len)
			memcpy(m->data, bufs[i].data, bufs[i].len);
	}
	spsc_ring_submit(r, n);
	api_app_count(&app->tx_msgs, n);
	wake_worker(app, w);
	return (int)n;
}

int drift_app_send(struct DriftApp *app, const struct DriftAppSession *session, const void *buf,
		   size_t len)
{
	struct DriftAppBuf b = {.data = buf, .len = len};
	int rc = drift_app_send_batch(app, session, &b, 1);

	return rc < 0 ? rc : 0;
}

static bool tx_rings_empty(struct DriftApp *app)
{
	for (uint32_t w = 0; w < app->worker_count; w++) {
		struct spsc_ring *r = shm_app_tx_ring(app->hdr, w);

		if (load_acquire(&r->c.cons) != read_once(&r->p.prod))
			return false;
	}
	return true;
}

int drift_app_flush(struct DriftApp *app, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec pause = {.tv_nsec = APP_FLUSH_POLL_NS};

	if (!app)
		return -EINVAL;
	if (!app->hdr)
		return -ENOTCONN;
	while (!tx_rings_empty(app)) {
		if (timeout_ms >= 0 && mono_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* ---- receive ------------------------------------------------------------- */

/*
 * Copies up to `max` entries of ring `r` into `out` and releases them with
 * one store. Entries no producer could have written (unknown kind, length
 * over the limit) are skipped and counted rather than handed on.
 */
static unsigned drain(struct DriftApp *app, struct spsc_ring *r, struct DriftAppMsg *out,
		      unsigned max)
{
	uint32_t at, n = spsc_ring_peek(r, max, &at);
	unsigned got = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct shm_app_msg *m = spsc_ring_entry(r, at + i);
		uint16_t kind = m->kind, len = m->len;
		struct DriftAppMsg *o = &out[got];

		if (kind > SHM_APP_CLOSED || len > WIRE_MAX_PAYLOAD_BYTES) {
			api_app_count(&app->rx_malformed, 1);
			continue;
		}
		o->kind = kind;
		o->len = kind == SHM_APP_DATA ? len : 0;
		o->session.slot = m->slot;
		o->session.generation = m->generation;
		memcpy(o->session.peer_id, m->peer_id, sizeof(o->session.peer_id));
		memcpy(o->data, m->data, o->len);
		got++;
	}
	if (n)
		spsc_ring_release(r, n);
	return got;
}

/*
 * Session notices first (an ESTABLISHED should precede its first DATA),
 * then the workers' rx rings, starting one further each call so a busy
 * worker cannot starve the others.
 */
static unsigned gather(struct DriftApp *app, struct DriftAppMsg *msgs, unsigned max)
{
	unsigned got = drain(app, shm_app_ctl_ring(app->hdr), msgs, max);
	uint32_t workers = app->worker_count;

	for (uint32_t i = 0; i < workers && got < max; i++) {
		uint32_t w = (app->rx_next + i) % workers;

		got += drain(app, shm_app_rx_ring(app->hdr, w), msgs + got, max - got);
	}
	app->rx_next = (app->rx_next + 1) % workers;
	return got;
}

/* Sleeps on app_wake until a producer wakes us or `timeout_ns` (< 0: no limit) passed. */
static int sleep_for_data(struct DriftApp *app, struct DriftAppMsg *msgs, unsigned max,
			  int64_t timeout_ns, unsigned *got)
{
	struct shm_app_header *h = app->hdr;
	uint32_t seen = load_acquire(&h->app_wake);
	struct timespec ts;
	long rc;

	/* need_wakeup: announce the sleep, then look once more before sleeping. */
	write_once(&h->app_needs_wakeup, 1);
	fence_full();
	*got = gather(app, msgs, max);
	if (*got) {
		write_once(&h->app_needs_wakeup, 0);
		return 0;
	}
	ts.tv_sec = timeout_ns / 1000000000;
	ts.tv_nsec = timeout_ns % 1000000000;
	api_app_count(&app->rx_sleeps, 1);
	/* EAGAIN: app_wake moved since `seen`, i.e. a producer woke us already. */
	rc = futex(&h->app_wake, FUTEX_WAIT, seen, timeout_ns < 0 ? NULL : &ts);
	write_once(&h->app_needs_wakeup, 0);
	if (rc != 0 && errno == EINTR)
		return -EINTR;
	return 0;
}

int drift_app_recv(struct DriftApp *app, struct DriftAppMsg *msgs, unsigned max, int timeout_ms)
{
	int64_t deadline, left = -1;
	unsigned got;
	int rc;

	if (!app || !msgs || !max)
		return -EINVAL;
	if (!app->hdr)
		return -ENOTCONN;
	if (max > INT32_MAX)
		max = INT32_MAX;
	got = gather(app, msgs, max);
	if (got || timeout_ms == 0)
		goto out;
	deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		if (timeout_ms > 0) {
			left = deadline - mono_ns();
			if (left <= 0)
				break;
		}
		rc = sleep_for_data(app, msgs, max, left, &got);
		if (rc)
			return rc;
		if (!got)
			got = gather(app, msgs, max);
		if (got)
			break;
	}
out:
	api_app_count(&app->rx_msgs, got);
	return (int)got;
}
