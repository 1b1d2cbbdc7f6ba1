/* SPDX-License-Identifier: MIT */
/*
 * The drift-dp worker (worker.h): its per-worker caches, its events to
 * driftd, its loop and its sleep.
 *
 * Sleep: after WORKER_SPIN_POLLS empty polls the worker arms every wake-up
 * source (the port's re-arm hook, needs_wakeup on each channel's dp[w]),
 * polls once more so nothing submitted before the arm is missed, and then
 * waits on a private io_uring where these stay posted across sleeps:
 *
 *   POLL_ADD port wait fd   -> a frame arrived
 *   POLL_ADD stop eventfd   -> worker_stop()
 *   FUTEX_WAIT dp[w].wake   -> an application submitted on tx ring w (one per channel)
 *   + a wait timeout        -> heartbeat, reinject ring, stale needs_wakeup
 *
 * liburing 2.3 has no helper for IORING_OP_FUTEX_WAIT (Linux 6.7), so the
 * SQE is filled by hand; a kernel that refuses it is detected once at init
 * and the worker then sleeps 1 ms at a time instead.
 */
#include "dataplane/worker.h"

#include "dataplane/rx.h"
#include "dataplane/tun_io.h"
#include "dataplane/tx.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef FUTEX_BITSET_MATCH_ANY
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#endif

enum {
	OP_FUTEX_WAIT = 51, /* IORING_OP_FUTEX_WAIT, missing from liburing 2.3's headers */
	SLEEPER_ENTRIES = 16,
	UD_PORT = 1, /* user_data of the sleeper's requests */
	UD_STOP = 2,
	UD_PROBE = 3,
	UD_HANDOFF = 4,
	UD_TUN = 5,
	UD_FUTEX = 16, /* + channel k */
	FALLBACK_SLEEP_MS = 1,
};

uint64_t worker_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- per-worker caches and events ----------------------------------------- */

struct aead_key *worker_key_find(struct worker *w, uint32_t slot, uint32_t epoch_id)
{
	struct worker_key *k = &w->keys[(size_t)slot * 2];

	if (k[0].is_keyed && k[0].epoch_id == epoch_id)
		return &k[0].aead;
	if (k[1].is_keyed && k[1].epoch_id == epoch_id)
		return &k[1].aead;
	return NULL;
}

struct aead_key *worker_key_get(struct worker *w, uint32_t slot, uint32_t epoch_id,
				const uint8_t key[WIRE_KEY_BYTES], const uint32_t live_ids[2])
{
	struct worker_key *k = &w->keys[(size_t)slot * 2];
	struct aead_key *hit = worker_key_find(w, slot, epoch_id);
	bool is_live0 =
		k[0].is_keyed && (k[0].epoch_id == live_ids[0] || k[0].epoch_id == live_ids[1]);

	if (hit)
		return hit;
	/* Keep the other live epoch's context: during a rekey grace both are in use. */
	if (is_live0)
		k++;
	if (k->is_keyed)
		aead_key_fini(&k->aead);
	k->is_keyed = false;
	k->epoch_id = 0;
	/* The one allocation of the fast path: once per epoch per worker (OpenSSL context). */
	if (aead_key_init(&k->aead, key, AEAD_BACKEND_DEFAULT) != 0)
		return NULL;
	k->is_keyed = true;
	k->epoch_id = epoch_id;
	return &k->aead;
}

bool worker_raise(struct worker *w, uint16_t type, uint32_t slot, uint32_t generation,
		  const struct net_addr *from, const uint8_t *data, uint16_t len)
{
	struct shm_event *ev;
	uint32_t at;

	if (spsc_ring_reserve(w->events, 1, &at) != 1) {
		worker_drop(w, SHM_DROP_EVENT_RING_FULL);
		return false;
	}
	ev = spsc_ring_entry(w->events, at);
	ev->type = type;
	ev->len = len;
	ev->slot = slot;
	ev->generation = generation;
	ev->pad = 0;
	ev->from = *from;
	/* Events without data (NEW_SOURCE, REKEY_DUE) use len for a size, not for bytes. */
	if (data)
		memcpy(ev->data, data, len <= sizeof(ev->data) ? len : sizeof(ev->data));
	spsc_ring_submit(w->events, 1);
	return true;
}

/* ---- the loop --------------------------------------------------------------- */

static void heartbeat(struct worker *w)
{
	uint64_t now = worker_mono_ms();

	w->stats->last_loop_mono_ms = now;
	/* The port's segmentation counters, mirrored for `drift show` (plain stores: one writer). */
	w->stats->gro_segments = w->port->stats.gro_segments;
	w->stats->gso_sends = w->port->stats.gso_sends;
	if (w->index == 0 && now - w->heartbeat_ms >= WORKER_HEARTBEAT_MS) {
		w->heartbeat_ms = now;
		store_release(&w->hdr->dp_heartbeat_ms, now);
	}
}

uint32_t worker_poll(struct worker *w)
{
	struct port_pkt pkts[PORT_BURST_MAX];
	uint32_t n, done = 0;

	if (cid_index_is_stale(&w->cids, w->hdr))
		cid_index_rebuild(&w->cids, w->hdr);
	if (w->tun)
		tun_map_refresh(w);
	/* Held packets first; new ones only once they are gone, to keep each session's order. */
	if (w->held_n)
		done += rx_retry_held(w);
	n = w->held_n ? 0 : port_rx_burst(w->port, pkts, PORT_BURST_MAX);
	if (n) {
		rx_process_burst(w, pkts, n);
		port_rx_release(w->port, pkts, n);
		done += n;
	}
	if (!w->held_n)
		done += rx_drain_reinject(w);
	if (!w->held_n)
		done += rx_drain_handoff(w);
	if (w->tun)
		done += tun_tx_fill(w);
	done += tx_process_burst(w);
	if (w->port->ops->tx_flush && w->port->ops->tx_flush(w->port))
		w->is_tx_starved = true;
	heartbeat(w);
	return done;
}

/* ---- sleeping ------------------------------------------------------------------ */

static void prep_futex_wait(struct io_uring_sqe *sqe, _Atomic uint32_t *word, uint32_t expected,
			    uint64_t user_data)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = OP_FUTEX_WAIT;
	sqe->addr = (uint64_t)(uintptr_t)word;
	sqe->addr2 = expected;
	sqe->addr3 = FUTEX_BITSET_MATCH_ANY;
	/* Shared (not FUTEX2_PRIVATE): the waker is another process mapping the same file. */
	sqe->fd = FUTEX2_SIZE_U32;
	sqe->user_data = user_data;
}

/* A FUTEX_WAIT on a word that does not hold the expected value must fail with -EAGAIN. */
static void probe_futex_wait(struct worker *w)
{
	_Atomic uint32_t word = 1;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->sleeper);
	struct __kernel_timespec ts = {.tv_sec = 1};
	struct io_uring_cqe *cqe;

	w->has_futex_wait = false;
	if (!sqe)
		return;
	prep_futex_wait(sqe, &word, 0, UD_PROBE);
	if (io_uring_submit_and_wait_timeout(&w->sleeper, &cqe, 1, &ts, NULL) < 0)
		return;
	w->has_futex_wait = cqe->user_data == UD_PROBE && cqe->res == -EAGAIN;
	io_uring_cqe_seen(&w->sleeper, cqe);
}

static void arm_poll(struct worker *w, int fd, bool *armed, uint64_t user_data)
{
	struct io_uring_sqe *sqe;

	if (fd < 0 || *armed || !(sqe = io_uring_get_sqe(&w->sleeper)))
		return;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, user_data);
	*armed = true;
}

/* Step 1 of a sleep: ask every producer for a wake-up. The caller then polls once more. */
static void arm_sources(struct worker *w, uint32_t expect[SHM_APP_CHANNELS])
{
	if (w->port->ops->arm)
		w->port->ops->arm(w->port);
	if (w->handoff)
		w->handoff_expect =
			app_channel_sleep_begin(&w->handoff->waker[w->index].wake,
						&w->handoff->waker[w->index].needs_wakeup);
	for (uint32_t k = 0; k < SHM_APP_CHANNELS && w->channels; k++) {
		struct shm_app_header *h = app_channel_live(&w->channels[k]);

		if (h)
			expect[k] = app_channel_sleep_begin(&h->dp[w->index].wake,
							    &h->dp[w->index].needs_wakeup);
	}
}

static void disarm_sources(struct worker *w)
{
	if (w->handoff)
		app_channel_sleep_end(&w->handoff->waker[w->index].needs_wakeup);
	for (uint32_t k = 0; k < SHM_APP_CHANNELS && w->channels; k++) {
		struct shm_app_header *h = app_channel_live(&w->channels[k]);

		if (h)
			app_channel_sleep_end(&h->dp[w->index].needs_wakeup);
	}
}

static void reap(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&w->sleeper, head, cqe)
	{
		uint64_t ud = cqe->user_data;

		if (ud == UD_PORT)
			w->poll_armed = false;
		else if (ud == UD_STOP)
			w->stop_armed = false;
		else if (ud == UD_HANDOFF)
			w->handoff_armed = false;
		else if (ud == UD_TUN)
			w->tun_armed = false;
		else if (ud >= UD_FUTEX && ud < UD_FUTEX + SHM_APP_CHANNELS)
			w->futex_armed[ud - UD_FUTEX] = false;
		n++;
	}
	io_uring_cq_advance(&w->sleeper, n);
}

/* Step 2: post what is not posted yet and wait for any of it, or the timeout. */
static void sleep_once(struct worker *w, const uint32_t expect[SHM_APP_CHANNELS])
{
	uint64_t ms = w->index == 0 ? WORKER_HEARTBEAT_MS : WORKER_SLEEP_MS;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	bool has_channel = false;

	arm_poll(w, w->port->ops->wait_fd(w->port), &w->poll_armed, UD_PORT);
	arm_poll(w, w->stop_fd, &w->stop_armed, UD_STOP);
	if (w->tun)
		arm_poll(w, tun_wait_fd(w->tun), &w->tun_armed, UD_TUN);
	if (w->handoff && w->has_futex_wait && !w->handoff_armed) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->sleeper);

		if (sqe) {
			prep_futex_wait(sqe, &w->handoff->waker[w->index].wake, w->handoff_expect,
					UD_HANDOFF);
			w->handoff_armed = true;
		}
	}
	for (uint32_t k = 0; k < SHM_APP_CHANNELS && w->channels; k++) {
		struct shm_app_header *h = app_channel_live(&w->channels[k]);
		struct io_uring_sqe *sqe;

		if (!h)
			continue;
		has_channel = true;
		if (!w->has_futex_wait || w->futex_armed[k] ||
		    !(sqe = io_uring_get_sqe(&w->sleeper)))
			continue;
		prep_futex_wait(sqe, &h->dp[w->index].wake, expect[k], UD_FUTEX + k);
		w->futex_armed[k] = true;
	}
	/* Without futex waits (or a port fd) only a short nap keeps latency bounded. */
	if (((has_channel || w->handoff) && !w->has_futex_wait) ||
	    w->port->ops->wait_fd(w->port) < 0)
		ms = FALLBACK_SLEEP_MS;
	ts.tv_sec = (long long)(ms / 1000);
	ts.tv_nsec = (long long)(ms % 1000) * 1000000;
	io_uring_submit_and_wait_timeout(&w->sleeper, &cqe, 1, &ts, NULL);
	reap(w);
	w->stats->sleeps++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t expect[SHM_APP_CHANNELS] = {0};
	uint32_t idle = 0;
	bool is_armed = false;

	while (!read_once(&w->stop)) {
		if (worker_poll(w) || w->is_tx_starved) {
			idle = 0;
			if (is_armed)
				disarm_sources(w);
			is_armed = false;
			continue;
		}
		w->stats->empty_polls++;
		if (++idle < WORKER_SPIN_POLLS)
			continue;
		if (!is_armed) {
			/* Arm, then poll once more: work submitted before the arm is seen now. */
			arm_sources(w, expect);
			is_armed = true;
			continue;
		}
		sleep_once(w, expect);
		if (w->tun)
			w->tun->skip_polls = 0; /* woken, maybe by the TUN: read it now */
		disarm_sources(w);
		is_armed = false;
		idle = 0;
	}
	return NULL;
}

/* ---- setup ------------------------------------------------------------------------ */

int worker_init(struct worker *w, const struct worker_config *cfg)
{
	struct shm_table_header *h = cfg->table;
	int rc;

	memset(w, 0, sizeof(*w));
	w->stop_fd = -1;
	if (!h || !cfg->port || cfg->index >= h->worker_count)
		return -EINVAL;
	w->index = cfg->index;
	w->cpu = cfg->cpu;
	w->port = cfg->port;
	w->hdr = h;
	w->channels = cfg->channels;
	w->handoff = cfg->handoff && cfg->handoff->workers > 1 ? cfg->handoff : NULL;
	w->tun = cfg->tun;
	w->stats = shm_worker_stats_at(h, cfg->index);
	w->events = shm_event_ring_at(h, cfg->index);
	w->reinject = shm_reinject_ring_at(h, cfg->index);
	if ((rc = cid_index_init(&w->cids, h->slot_count)) != 0)
		goto err;
	w->keys = calloc((size_t)h->slot_count * 2, sizeof(*w->keys));
	w->new_source_ms = calloc(h->slot_count, sizeof(*w->new_source_ms));
	w->held = calloc(PORT_BURST_MAX, sizeof(*w->held));
	rc = -ENOMEM;
	if (!w->keys || !w->new_source_ms || !w->held)
		goto err;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0) {
		rc = -errno;
		goto err;
	}
	if ((rc = io_uring_queue_init(SLEEPER_ENTRIES, &w->sleeper, 0)) != 0)
		goto err;
	w->has_sleeper = true;
	probe_futex_wait(w);
	return 0;

err:
	worker_fini(w);
	return rc;
}

void worker_fini(struct worker *w)
{
	worker_stop(w);
	if (w->keys && w->hdr) {
		for (size_t i = 0; i < (size_t)w->hdr->slot_count * 2; i++)
			if (w->keys[i].is_keyed)
				aead_key_fini(&w->keys[i].aead);
	}
	free(w->keys);
	free(w->new_source_ms);
	free(w->held);
	w->held = NULL;
	w->keys = NULL;
	w->new_source_ms = NULL;
	cid_index_fini(&w->cids);
	if (w->has_sleeper)
		io_uring_queue_exit(&w->sleeper);
	w->has_sleeper = false;
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	w->stop_fd = -1;
}

int worker_start(struct worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	uint64_t v;

	if (w->is_running)
		return -EBUSY;
	write_once(&w->stop, 0);
	/* A stop request left from an earlier run must not end this one at once. */
	if (read(w->stop_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: none pending. */
	}
	pthread_attr_init(&attr);
	if (w->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		/* Pinned from the first instruction: per-core caches stay warm (STYLE.md §7). */
		rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (rc) {
			pthread_attr_destroy(&attr);
			return -rc;
		}
	}
	rc = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	w->is_running = true;
	return 0;
}

void worker_stop(struct worker *w)
{
	uint64_t one = 1;

	if (!w->is_running)
		return;
	write_once(&w->stop, 1);
	if (write(w->stop_fd, &one, sizeof(one)) < 0) {
		/* Saturated counter: the fd is readable already. */
	}
	pthread_join(w->thread, NULL);
	w->is_running = false;
}
