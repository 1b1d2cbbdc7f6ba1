/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the application library share: the handle itself.
 * api_app.c owns the control connection (connect, attach, requests,
 * reconnect) and mapping the channel; api_app_io.c owns the data path over
 * the channel's rings (send, recv, flush). Not installed; applications see
 * only the opaque struct DriftApp of drift_app.h.
 */
#ifndef DRIFT_CONTROL_API_APP_IMPL_H
#define DRIFT_CONTROL_API_APP_IMPL_H

#include "drift_app.h"

#include "control/ctl_proto.h"
#include "internal/atomics.h"
#include "internal/shm_layout.h"

#include <pthread.h>
#include <stdint.h>

struct DriftApp {
	/* Control side: everything here is used under `lock` only. */
	pthread_mutex_t lock;
	int ctl_fd; /* -1 after the connection broke; re-made on the next request */
	char ctl_path[DRIFT_APP_PATH_BYTES];
	int listen_mode; /* -1 never asked, 0 "known", 1 "any": re-sent after a reconnect */
	char last_error[CTL_MSG_MAX_BYTES];

	/* The channel: set by attach, read-only until detach. */
	int chan_fd; /* -1 when only opened */
	struct shm_app_header *hdr;
	size_t map_bytes;
	uint32_t channel;
	uint32_t worker_count;

	/* Receiver-private: the rx ring drift_app_recv() looks at first, for fairness. */
	uint32_t rx_next;

	/* Counters; each has one writer (see struct DriftAppStats). */
	_Atomic uint64_t tx_msgs, tx_ring_full, tx_wakeups;
	_Atomic uint64_t rx_msgs, rx_sleeps, rx_malformed;
	_Atomic uint64_t ctl_reconnects;
};

/*
 * Maps channel `k` of `workers` workers from `fd` and checks, before any
 * ring is touched, that it is the file driftd announced and laid out the
 * way this library computes it. On success the handle owns `fd`; -EPROTO
 * (nothing mapped, fd still the caller's) otherwise.
 */
int api_app_map_channel(struct DriftApp *app, int fd, uint32_t k, uint32_t workers);

/* Single-writer counter bump: a relaxed load and store, no locked instruction. */
static inline void api_app_count(_Atomic uint64_t *c, uint64_t n)
{
	write_once(c, read_once(c) + n);
}

#endif
