/* SPDX-License-Identifier: MIT */
/*
 * One drift-dp worker: a thread pinned to a CPU that owns one port, its CID
 * index, its AEAD key cache, its event ring (producer side), the reinject
 * ring (consumer side) and ring w of every application channel. Nothing a
 * worker writes on the hot path is written by another thread (STYLE.md §7).
 *
 * Loop: re-index if driftd changed the table, rx burst -> rx stages
 * (rx.c), reinjected packets -> rx stages, app tx rings -> tx stages
 * (tx.c), heartbeat. When several polls in a row find nothing it arms
 * every wake-up source (port wait fd, each channel's dp[w].wake futex, the
 * stop eventfd) on a small private io_uring and sleeps there, at most
 * WORKER_SLEEP_MS at a time.
 *
 * This module does not parse packets and does not know port types.
 */
#ifndef DRIFT_DATAPLANE_WORKER_H
#define DRIFT_DATAPLANE_WORKER_H

#include "crypto/aead.h"
#include "dataplane/app_channel.h"
#include "dataplane/cid_index.h"
#include "dataplane/handoff.h"
#include "dataplane/port.h"
#include "dataplane/tun_io.h"
#include "internal/shm_layout.h"

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum worker_const {
	WORKER_SPIN_POLLS = 256,    /* empty polls before arming the sleep */
	WORKER_SLEEP_MS = 100,	    /* longest sleep: bounds heartbeat and reinject latency */
	WORKER_HEARTBEAT_MS = 50,   /* worker 0 refreshes dp_heartbeat_ms this often */
	WORKER_NEW_SOURCE_MS = 500, /* at most one NEW_SOURCE event per slot per this */
	WORKER_HOLD_MS = 100,	    /* longest a packet waits for a slot driftd is writing */
};

/*
 * A received packet held back because a slot it may belong to was being
 * written by driftd (seqlock odd). Held packets are retried before the port
 * is polled again, so a session's packets keep their order.
 */
struct worker_held {
	uint16_t len;
	bool from_driftd; /* came back through the reinject ring (rx.c) */
	struct net_addr from;
	uint8_t data[WIRE_MAX_PACKET_BYTES];
};

/* A packet opened for bridge forwarding, waiting in its tx frame for fwd_flush(). */
struct worker_fwd {
	struct port_pkt frame; /* plaintext at frame.data + WIRE_SHORT_HDR_BYTES */
	uint32_t from_slot, to_slot, to_generation;
	uint16_t len;
};

/* A pre-keyed AEAD context for one epoch of one slot (per worker, never shared). */
struct worker_key {
	uint32_t epoch_id; /* 0 = empty */
	bool is_keyed;
	struct aead_key aead;
};

/* This burst's reserved entries of one channel's rx ring w. */
struct worker_app_rx {
	uint32_t at;	   /* first reserved index */
	uint32_t reserved; /* how many were reserved */
	uint32_t used;	   /* how many of them hold a message */
};

struct worker_config {
	uint32_t index;	   /* w: which rings and stats are ours */
	int cpu;	   /* CPU to pin to, -1 = leave unpinned */
	struct port *port; /* owned by the caller; the worker uses it alone */
	struct shm_table_header *table;
	struct app_channel *channels; /* [SHM_APP_CHANNELS]; hdr NULL = not mapped; may be NULL */
	struct handoff *handoff;      /* shared by all workers of a multi-queue port; may be NULL */
	struct tun_worker *tun;	      /* drift-vpn: this worker's TUN queue; NULL = none */
};

struct worker {
	uint32_t index;
	int cpu;
	struct port *port;
	struct shm_table_header *hdr;
	struct app_channel *channels;
	struct handoff *handoff; /* NULL: the port steers every CID to its owner */
	uint32_t handoff_expect;
	bool handoff_armed;
	struct tun_worker *tun; /* NULL: no TUN device */
	bool tun_armed;
	struct shm_worker_stats *stats;
	struct spsc_ring *events, *reinject;
	struct cid_index cids;
	struct worker_key *keys;  /* [slot_count][2] */
	uint64_t *new_source_ms;  /* [slot_count] last NEW_SOURCE event, per slot */
	struct worker_held *held; /* [PORT_BURST_MAX] packets waiting for a busy slot */
	uint32_t held_n;
	uint64_t held_since_ms; /* when the oldest held packet was first held */
	struct worker_app_rx app_rx[SHM_APP_CHANNELS];
	struct port_pkt tx_cache[PORT_BURST_MAX]; /* tx frames allocated but not yet used */
	uint32_t tx_cache_n;
	/*
	 * The last tx pass found messages but no free frame (an xsk port whose
	 * frames are still in flight): the worker must not sleep, since no fd
	 * or futex tells it when the kernel completes them.
	 */
	bool is_tx_starved;
	struct worker_fwd fwd[PORT_BURST_MAX]; /* this burst's forwarded packets (fwd.c) */
	uint32_t fwd_n;
	bool has_fwd_spare; /* fwd[fwd_n].frame holds a frame fwd_buffer() handed out */
	uint8_t scratch[WIRE_MAX_PACKET_BYTES]; /* plaintext that has no ring entry to go to */
	uint64_t now_ms;			/* CLOCK_MONOTONIC ms, once per burst */
	uint64_t heartbeat_ms;
	/* Sleep machinery (worker.c). */
	struct io_uring sleeper;
	bool has_sleeper, has_futex_wait, poll_armed, stop_armed;
	bool futex_armed[SHM_APP_CHANNELS];
	int stop_fd;
	_Atomic uint32_t stop;
	pthread_t thread;
	bool is_running;
};

/*
 * Prepares a worker: allocates the CID index, the key cache and the rate
 * limit array for the table's slot count, creates the stop eventfd and the
 * sleeper ring, and probes IORING_OP_FUTEX_WAIT (falling back to 1 ms
 * timed sleeps when the kernel refuses it). Does not start a thread.
 * backend_init() must have succeeded. Returns 0, -EINVAL, -ENOMEM or -errno.
 */
int worker_init(struct worker *w, const struct worker_config *cfg);

/* Frees everything worker_init() made (stops the thread first if running). */
void worker_fini(struct worker *w);

/* Starts the loop on its own thread (pinned if cfg->cpu >= 0). Returns 0 or -errno. */
int worker_start(struct worker *w);

/* Asks the loop to end, wakes it, and joins it. Safe if not running. */
void worker_stop(struct worker *w);

/*
 * One pass of the loop without sleeping: re-index, rx, reinject, tx,
 * heartbeat. Returns how many packets and messages it handled (0 = idle).
 * For worker_start()'s thread, or a caller that drives a worker itself.
 */
uint32_t worker_poll(struct worker *w);

/* Whether IORING_OP_FUTEX_WAIT worked at init (else 1 ms timed sleeps). */
static inline bool worker_has_futex_wait(const struct worker *w)
{
	return w->has_futex_wait;
}

/* CLOCK_MONOTONIC in ms. */
uint64_t worker_mono_ms(void);

/*
 * The pre-keyed AEAD context of `slot` for `epoch_id`, keying one of the
 * slot's two cache entries from `key` when neither holds that epoch (the
 * one entry whose epoch is not in live_ids[] is replaced). Returns NULL
 * only if keying failed (out of memory).
 */
struct aead_key *worker_key_get(struct worker *w, uint32_t slot, uint32_t epoch_id,
				const uint8_t key[WIRE_KEY_BYTES], const uint32_t live_ids[2]);

/* Looks an epoch up without keying: NULL if the cache holds no key for it. */
struct aead_key *worker_key_find(struct worker *w, uint32_t slot, uint32_t epoch_id);

/* Counts a drop reason. */
static inline void worker_drop(struct worker *w, enum shm_drop why)
{
	w->stats->drops[why]++;
}

/*
 * Queues an event for driftd on this worker's event ring. Returns false
 * (and counts SHM_DROP_EVENT_RING_FULL) if the ring is full.
 */
bool worker_raise(struct worker *w, uint16_t type, uint32_t slot, uint32_t generation,
		  const struct net_addr *from, const uint8_t *data, uint16_t len);

#endif
