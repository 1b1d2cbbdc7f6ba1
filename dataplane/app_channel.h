/* SPDX-License-Identifier: MIT */
/*
 * Application channel files <run>/<name>/app<k> (layout in
 * include/internal/shm_layout.h): creating or reusing them (drift-dp),
 * mapping one from an fd (applications), and the futex wake-ups that go
 * with their rings. What travels in the rings is decided by rx.c, tx.c and
 * driftd; this module only owns the files and the sleep/wake protocol.
 *
 * Which ring: worker w delivers a session's DATA on rx ring w and drains tx
 * ring w. An application sending to the session in slot `s` must use tx
 * ring (s % worker_count), so that all of one session's messages are sealed
 * by one worker, in order.
 *
 * Sleep/wake (need_wakeup, as AF_XDP): the consumer about to sleep calls
 * app_channel_sleep_begin() (sets needs_wakeup, full fence), re-checks its
 * rings, then app_channel_futex_wait() on the returned value, and
 * app_channel_sleep_end() once awake. A producer, after submitting, calls
 * app_channel_wake(): a full fence, then a FUTEX_WAKE syscall only if the
 * consumer said it sleeps. The two fences make the store-then-load on each
 * side sequentially consistent, so a wake-up can never be missed. The futex
 * words live in a MAP_SHARED file, so the futex calls are not PRIVATE.
 */
#ifndef DRIFT_DATAPLANE_APP_CHANNEL_H
#define DRIFT_DATAPLANE_APP_CHANNEL_H

#include "internal/atomics.h"
#include "internal/shm_layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_channel {
	struct shm_app_header *hdr; /* NULL when not mapped */
	size_t map_bytes;
	/*
	 * drift-dp's mappings are guarded (shm_guard.h): 1 once the file was
	 * truncated under us and the mapping replaced by zero pages. The
	 * channel is out of service from then on: use app_channel_live().
	 */
	_Atomic uint32_t is_broken;
};

/* The mapped header, or NULL if the channel is not mapped or out of service. */
static inline struct shm_app_header *app_channel_live(struct app_channel *c)
{
	return c->hdr && !load_acquire(&c->is_broken) ? c->hdr : NULL;
}

/*
 * drift-dp: maps <dir>/app<k> for k in 0..SHM_APP_CHANNELS-1. An existing
 * file with the right magic, layout version, worker count and size is
 * reused as it is (its rings and the attached application survive a
 * drift-dp restart); anything else is replaced by a new 0600 file with
 * initialised rings (temporary name, then rename). Returns 0 or -errno;
 * on error nothing stays mapped.
 */
int app_channel_open_all(struct app_channel ch[SHM_APP_CHANNELS], const char *dir,
			 uint32_t workers);

/* One channel: as app_channel_open_all() for `path`, channel number k. */
int app_channel_open(struct app_channel *c, const char *path, uint32_t k, uint32_t workers);

/*
 * Applications: maps a channel from an fd received from driftd (the fd
 * stays the caller's). Returns 0, -EPROTO if the header does not describe
 * the file, or -errno.
 */
int app_channel_map_fd(struct app_channel *c, int fd);

/*
 * drift-dp and driftd: app_channel_open() guards the mapping against the
 * file being truncated (shm_guard.h), app_channel_close() stops guarding.
 */

/* Unmaps one channel / all of them; safe on unmapped ones. Files stay. */
void app_channel_close(struct app_channel *c);
void app_channel_close_all(struct app_channel ch[SHM_APP_CHANNELS]);

/* Removes <dir>/app<k> for every k (drift-dp --cleanup). Returns 0 or the first -errno. */
int app_channel_unlink_all(const char *dir);

/*
 * FUTEX_WAIT on a shared word while it still equals `expected`, for at most
 * timeout_ms (0 = no limit). Returns 0 when woken or the value had already
 * changed, -ETIMEDOUT, -EINTR.
 */
int app_channel_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint32_t timeout_ms);

/* FUTEX_WAKE of every waiter on a shared word. */
void app_channel_futex_wake(_Atomic uint32_t *word);

/* Consumer: announces a sleep; returns the wake word value to wait on. */
static inline uint32_t app_channel_sleep_begin(_Atomic uint32_t *wake, _Atomic uint32_t *needs)
{
	uint32_t v = load_acquire(wake);

	write_once(needs, 1);
	/* needs_wakeup must be visible before the consumer re-reads the rings. */
	fence_full();
	return v;
}

/* Consumer: awake again; producers may skip the syscall from now on. */
static inline void app_channel_sleep_end(_Atomic uint32_t *needs)
{
	write_once(needs, 0);
}

/*
 * Producer, after spsc_ring_submit(): wakes the consumer if it sleeps.
 * Returns true if a wake-up syscall was made.
 */
static inline bool app_channel_wake(_Atomic uint32_t *wake, _Atomic uint32_t *needs)
{
	/* The submit must be visible before needs_wakeup is read (pairs with sleep_begin). */
	fence_full();
	if (!read_once(needs))
		return false;
	fetch_add_relaxed(wake, 1);
	app_channel_futex_wake(wake);
	return true;
}

/* Worker w -> application, after submitting on rx ring w. */
static inline bool app_channel_wake_app(struct shm_app_header *h)
{
	return app_channel_wake(&h->app_wake, &h->app_needs_wakeup);
}

/* Application -> worker w, after submitting on tx ring w. */
static inline bool app_channel_wake_dp(struct shm_app_header *h, uint32_t w)
{
	return app_channel_wake(&h->dp[w].wake, &h->dp[w].needs_wakeup);
}

#endif
