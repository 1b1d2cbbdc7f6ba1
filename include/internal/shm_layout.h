/* SPDX-License-Identifier: MIT */
/*
 * The contract between driftd, drift-dp and applications: the layout of the
 * two kinds of shared-memory region they map. Flat, pointer-free, fixed
 * offsets computed from a few counts, and a layout version every mapper
 * checks before touching anything else.
 *
 *   /run/drift/<name>/table      (0600, drift-dp creates, driftd maps)
 *     header | slots[slot_count] | windows[slot_count][2]
 *            | slot_stats[worker_count][slot_count] | worker_stats[worker_count]
 *            | event rings[worker_count] (drift-dp -> driftd)
 *            | reinject rings[worker_count] (driftd -> drift-dp)
 *   /run/drift/<name>/app<k>     (0600, drift-dp creates, driftd hands the fd to an application)
 *     header | per worker: rx ring (drift-dp -> app), tx ring (app -> drift-dp)
 *            | ctl ring (driftd -> app)
 *
 * Writers (STYLE.md §7, one writer per field):
 *   - slot contents (keys, CIDs, address, state): driftd only, under the slot's seqlock;
 *   - slot tx_word: any sender, with one atomic fetch_add per burst; driftd alone
 *     stores it when the current epoch changes;
 *   - replay windows: the worker that owns the epoch's receive CID (rx_cid % worker_count,
 *     the same worker the UDP port's steering sends that CID to);
 *   - slot_stats[w][*] and worker_stats[w]: worker w only;
 *   - event ring w: produced by worker w, consumed by driftd;
 *   - reinject ring w: produced by driftd, consumed by worker w: short-header packets a
 *     worker punted because its CID index was older than the slot driftd had just
 *     written; the worker runs them through the rx stages again (never punting twice),
 *     so the epoch's one replay window sees every packet exactly once;
 *   - app rings: see struct shm_app_header.
 *
 * The table survives a driftd restart untouched (driftd re-attaches); drift-dp
 * re-creates it at its own start, bumps dp_instance, and driftd re-installs
 * every session it holds. App channel files survive both restarts.
 */
#ifndef DRIFT_INTERNAL_SHM_LAYOUT_H
#define DRIFT_INTERNAL_SHM_LAYOUT_H

#include "internal/atomics.h"
#include "internal/compiler.h"
#include "internal/net_route.h"
#include "internal/spsc_ring.h"
#include "proto/addr.h"
#include "proto/replay.h"
#include "proto/wire.h"

#include <stddef.h>
#include <stdint.h>

enum shm_layout_const {
	SHM_TABLE_MAGIC = 0x44524654, /* "DRFT" */
	SHM_APP_MAGIC = 0x44524150,   /* "DRAP" */
	SHM_LAYOUT_VERSION = 4,
	SHM_MAX_WORKERS = 16,
	SHM_DEFAULT_SLOTS = 16384,
	/*
	 * Per worker, power of two. Deep enough for the punts of a rekey or of
	 * thousands of new sessions while driftd is slow (under ASan, or busy with
	 * handshakes): at 1024 the two-process tests dropped a punted packet now
	 * and then (event_ring_full), which lost a datagram or a session.
	 */
	SHM_EVENT_RING_ENTRIES = 4096,
	SHM_APP_RING_ENTRIES = 2048, /* per ring, power of two */
	SHM_APP_CHANNELS = 4,	     /* app<k> files, k = 0..3 */
	SHM_CACHE_LINE = 64,
	SHM_TEXT_BYTES = 64,
	/*
	 * slot.app_channel value of a session whose DATA goes to and comes from
	 * drift-dp's TUN device (drift-vpn) instead of an application channel.
	 */
	SHM_CHANNEL_TUN = 16,
};

/* ---- the table region ---------------------------------------------------- */

enum shm_slot_state {
	SHM_SLOT_FREE = 0,
	SHM_SLOT_ACTIVE = 1, /* keys installed: workers may seal and open */
};

enum shm_epoch_flags {
	SHM_EPOCH_RX = 1 << 0, /* open packets with this key */
	SHM_EPOCH_TX =
		1 << 1, /* seal with this key (only ep[0], only when the peer has a tx CID) */
};

/* One key epoch as driftd installed it. ep[0] is current, ep[1] the previous (rx grace). */
struct shm_epoch {
	uint32_t epoch_id; /* unique per table while it lives, never 0 for a set epoch */
	uint8_t flags;	   /* enum shm_epoch_flags; 0 = empty */
	uint8_t tx_dir;	   /* enum wire_direction of our sends in this epoch */
	uint16_t rx_cid;   /* CID the peer puts in packets to us */
	uint16_t tx_cid;   /* CID we put in packets to the peer */
	uint16_t pad;
	uint64_t rx_until_ms; /* CLOCK_MONOTONIC ms after which RX stops; UINT64_MAX = no limit */
	uint8_t key[WIRE_KEY_BYTES];
	/* driftd's window at install time; the owning worker starts from it */
	struct replay_window replay_seed;
};

/*
 * A session slot. Everything up to `tx_word` is written by driftd inside
 * the seqlock: seq odd while writing, even and bumped when done. Readers
 * copy what they need, then retry if seq changed or was odd.
 */
struct shm_slot {
	_Atomic uint32_t seq;
	uint32_t state;	     /* enum shm_slot_state */
	uint32_t generation; /* bumped when the slot is given to another peer */
	int32_t app_channel; /* app<k> that receives this session's DATA, -1 none */
	uint8_t peer_pub[WIRE_KEY_BYTES];
	uint8_t peer_id[WIRE_PEER_ID_BYTES];
	struct net_addr addr; /* where DATA is sent */
	/* How the xsk port frames DATA to addr (next hop MAC, source); flags 0 = unresolved */
	struct net_route route;
	/*
	 * Bridge forwarding: DATA opened on this session is re-sealed and sent
	 * on slot fwd_to - 1 (if its generation is still fwd_generation)
	 * instead of going to an application. 0 = deliver locally.
	 */
	uint32_t fwd_to;
	uint32_t fwd_generation;
	uint8_t is_initiator; /* our configured role, for driftd's re-attach */
	uint8_t pad[3];
	uint64_t last_handshake_unix_ms;
	uint64_t epoch_base_ms; /* session epoch (send_time_ms base), for re-attach */
	struct shm_epoch ep[2];
	/*
	 * Outside the seqlock. (epoch_id << 32) | next seq of the current
	 * epoch. Senders take seqs with one fetch_add and use them only if
	 * the high half still names the epoch they seal with; driftd stores a
	 * new value when it installs a new current epoch. Seqs stay below
	 * 2^31 (WIRE.md §13), so an add never carries into the epoch half.
	 */
	_Atomic uint64_t tx_word cache_aligned;
	/* Worker -> driftd: set once the tx seq passed WIRE_AUTO_REKEY_THRESHOLD; cleared by driftd. */
	_Atomic uint32_t rekey_requested;
} cache_aligned;

/* Replay state of one epoch, owned by the epoch's rx worker. */
struct shm_window {
	uint32_t epoch_id; /* the epoch this window belongs to; 0 = unused */
	uint32_t pad;
	struct replay_window w;
} cache_aligned;

/* Per worker, per slot. */
struct shm_slot_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t drops;			 /* authenticated-stage drops charged to this session */
	uint64_t last_rx_mono_ms;	 /* CLOCK_MONOTONIC ms of the last authenticated packet */
	uint64_t fwd_packets, fwd_bytes; /* received here and sent on the slot's fwd_to */
} cache_aligned;

/* Per-worker drop reasons of the fast path (STYLE.md §4: one per check). */
enum shm_drop {
	SHM_DROP_TOO_SHORT,	   /* shorter than a short header + tag */
	SHM_DROP_NOT_SHORT,	   /* long header arrived at a worker and driftd is not attached */
	SHM_DROP_UNKNOWN_CID,	   /* no active slot holds the CID, and driftd is not attached */
	SHM_DROP_AUTH,		   /* no candidate key opened it */
	SHM_DROP_REPLAY,	   /* the window refused the seq */
	SHM_DROP_EXPIRED_KEY,	   /* only a previous key past its grace would have matched */
	SHM_DROP_NO_APP,	   /* the session has no application channel */
	SHM_DROP_APP_RING_FULL,	   /* the application did not keep up */
	SHM_DROP_EVENT_RING_FULL,  /* driftd did not keep up with punted packets/events */
	SHM_DROP_TX_NO_SESSION,	   /* app sent to a slot that is free or has no tx key */
	SHM_DROP_TX_SEQ_EXHAUSTED, /* the epoch's seq space is used up until driftd rekeys */
	SHM_DROP_TX_ERROR,	   /* the port refused the burst */
	SHM_DROP_OVERSIZE,	   /* received datagram larger than a DRIFT packet */
	SHM_DROP_TX_NO_ROUTE,	   /* xsk port: driftd has not resolved the next hop yet */
	SHM_DROP_FWD_NO_SESSION,   /* forwarding target gone, keyless or mid-write */
	SHM_DROP_HANDOFF_FULL,	   /* the CID's owner worker did not keep up with hand-offs */
	SHM_DROP_TUN_NO_PEER,	   /* TUN packet whose destination no peer's AllowedIPs holds */
	SHM_DROP_TUN_PEER_DOWN,	   /* TUN packet for a peer with no session (yet) */
	SHM_DROP_TUN_SPOOF,	   /* inner source outside the sending peer's AllowedIPs */
	SHM_DROP_TUN_BAD_PACKET,   /* TUN read not splittable (vnet header, length, family) */
	SHM_DROP_TUN_WRITE,	   /* the TUN refused a write */
	SHM_DROP_COUNT,
};

struct shm_worker_stats {
	uint64_t drops[SHM_DROP_COUNT];
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_bursts, tx_bursts, empty_polls, sleeps, wakeups_sent;
	uint64_t punted;	 /* packets handed to driftd through the event ring */
	uint64_t cid_collisions; /* packets whose CID matched more than one slot */
	uint64_t trial_opens;	 /* extra AEAD opens spent on collisions and grace keys */
	uint64_t epoch_adopts;	 /* new epochs this worker keyed */
	uint64_t gro_segments, gso_sends;
	uint64_t last_loop_mono_ms;
	uint64_t handed_off; /* received here, sent to the CID's owner worker */
	uint64_t handed_in;  /* received from another worker's hand-off ring */
	uint64_t forwarded;  /* bridge forwarding: opened, re-sealed and sent on another session */
	/* TUN (drift-vpn): reads (super-packets), segments sent, writes, packets merged into them */
	uint64_t tun_reads, tun_segments, tun_writes, tun_coalesced;
} cache_aligned;

enum shm_event_type {
	SHM_EV_PUNT = 1,      /* a received datagram for driftd: data[len], from */
	SHM_EV_SEND_LONG = 2, /* an app payload drift-dp cannot send short: slot, data[len] */
	SHM_EV_REKEY_DUE = 3, /* slot's tx seq passed the auto-rekey threshold */
	SHM_EV_NEW_SOURCE =
		4, /* authenticated DATA for slot from `from` != slot addr; len = its size */
	SHM_EV_PUNT_TRIED = 5, /* a short header no installed key opened: for a session not yet
			       * installed (CID collision), never to be re-injected */
	/*
	 * driftd -> worker (reinject ring), drift-vpn: DATA driftd opened before
	 * the session was installed, for the TUN. data = the sender's public key
	 * (WIRE_KEY_BYTES) || the IP packet; len counts both.
	 */
	SHM_EV_TUN_WRITE = 6,
	/* worker -> driftd, drift-vpn: TUN traffic for a peer with no session; data = its key */
	SHM_EV_TUN_WANT = 7,
};

struct shm_event {
	uint16_t type; /* enum shm_event_type */
	uint16_t len;
	uint32_t slot;
	uint32_t generation; /* the slot's generation when the event was raised */
	uint32_t pad;
	struct net_addr from;
	uint8_t data[WIRE_MAX_PACKET_BYTES];
};

struct shm_table_header {
	uint32_t magic;		 /* SHM_TABLE_MAGIC */
	uint32_t layout_version; /* SHM_LAYOUT_VERSION */
	uint32_t slot_count;
	uint32_t worker_count;
	uint64_t total_bytes;
	uint64_t dp_instance; /* random, drift-dp writes it once at creation */
	uint32_t dp_pid;
	uint16_t listen_port;
	uint16_t pad;
	char port_type[16];	      /* "udp", "mem", ... */
	char dp_caps[SHM_TEXT_BYTES]; /* capabilities drift-dp kept, as text */
	char port_why[192];	      /* why this port type was chosen (and how XDP is attached) */
	uint64_t slots_off, windows_off, slot_stats_off, worker_stats_off, events_off;
	uint64_t event_ring_bytes; /* each ring's size, rings back to back */
	uint64_t reinject_off;	   /* reinject rings, event_ring_bytes each */
	struct net_addr bind_addr; /* drift-dp's UDP bind address; driftd binds the same */
	/* drift-dp: CLOCK_MONOTONIC ms, refreshed by worker 0 at least every 100 ms */
	_Atomic uint64_t dp_heartbeat_ms cache_aligned;
	/* driftd: bumped (release) after every slot change; workers re-index when it moves */
	_Atomic uint64_t install_seq cache_aligned;
	_Atomic uint32_t driftd_pid; /* 0 when driftd is not attached */
	/*
	 * driftd: the highest epoch id and slot generation it ever handed out in
	 * this table, so a restarted driftd never reuses one (workers cache keys
	 * by slot and epoch id; applications address sessions by slot and
	 * generation).
	 */
	_Atomic uint32_t epoch_id_high;
	_Atomic uint32_t generation_high;
	_Atomic uint64_t driftd_heartbeat_ms; /* driftd: CLOCK_MONOTONIC ms, every 100 ms */
	/* drift-dp, xsk port: the XDP program's verdict counters (DRIFT_XDP_V_*), every 100 ms */
	uint64_t xdp_verdicts[8] cache_aligned;
	uint32_t ifindex;     /* xsk port: the interface drift-dp serves, 0 for udp */
	uint32_t queue_count; /* xsk port: RX queues served (= workers) */
	char tun_name[16];    /* drift-vpn: the TUN device drift-dp serves, "" = none */
} cache_aligned;

/* Offsets of a table with `slots` slots and `workers` workers. */
static inline void shm_table_layout(struct shm_table_header *h, uint32_t slots, uint32_t workers)
{
	uint64_t off = sizeof(struct shm_table_header);

	h->slot_count = slots;
	h->worker_count = workers;
	h->slots_off = off;
	off += (uint64_t)slots * sizeof(struct shm_slot);
	h->windows_off = off;
	off += (uint64_t)slots * 2 * sizeof(struct shm_window);
	h->slot_stats_off = off;
	off += (uint64_t)workers * slots * sizeof(struct shm_slot_stats);
	h->worker_stats_off = off;
	off += (uint64_t)workers * sizeof(struct shm_worker_stats);
	h->events_off = off;
	h->event_ring_bytes = (spsc_ring_bytes(SHM_EVENT_RING_ENTRIES, sizeof(struct shm_event)) +
			       SHM_CACHE_LINE - 1) &
			      ~(uint64_t)(SHM_CACHE_LINE - 1);
	off += (uint64_t)workers * h->event_ring_bytes;
	h->reinject_off = off;
	off += (uint64_t)workers * h->event_ring_bytes;
	h->total_bytes = off;
}

static inline struct shm_slot *shm_slot_at(struct shm_table_header *h, uint32_t i)
{
	return (struct shm_slot *)((uint8_t *)h + h->slots_off) + i;
}

/* Window for slot i, epoch position e (0 or 1; matched by epoch_id, not position). */
static inline struct shm_window *shm_window_at(struct shm_table_header *h, uint32_t i, uint32_t e)
{
	return (struct shm_window *)((uint8_t *)h + h->windows_off) + (size_t)i * 2 + e;
}

static inline struct shm_slot_stats *shm_slot_stats_at(struct shm_table_header *h, uint32_t w,
						       uint32_t i)
{
	return (struct shm_slot_stats *)((uint8_t *)h + h->slot_stats_off) +
	       (size_t)w * h->slot_count + i;
}

static inline struct shm_worker_stats *shm_worker_stats_at(struct shm_table_header *h, uint32_t w)
{
	return (struct shm_worker_stats *)((uint8_t *)h + h->worker_stats_off) + w;
}

static inline struct spsc_ring *shm_event_ring_at(struct shm_table_header *h, uint32_t w)
{
	return (struct spsc_ring *)((uint8_t *)h + h->events_off + (size_t)w * h->event_ring_bytes);
}

/* driftd -> worker w: SHM_EV_PUNT entries to run through rx again, SHM_EV_TUN_WRITE. */
static inline struct spsc_ring *shm_reinject_ring_at(struct shm_table_header *h, uint32_t w)
{
	return (struct spsc_ring *)((uint8_t *)h + h->reinject_off +
				    (size_t)w * h->event_ring_bytes);
}

/* ---- application channel regions ------------------------------------------ */

enum shm_app_msg_kind {
	SHM_APP_DATA = 0,	 /* payload from (rx) or to (tx) the session in `slot` */
	SHM_APP_ESTABLISHED = 1, /* ctl ring: a session for this channel is up (slot, peer_id) */
	SHM_APP_CLOSED = 2,	 /* ctl ring: the session in `slot` ended */
};

struct shm_app_msg {
	uint32_t slot;
	uint32_t generation; /* tx: the slot generation the app was told; stale -> dropped */
	uint16_t len;
	uint16_t kind; /* enum shm_app_msg_kind */
	uint8_t peer_id[WIRE_PEER_ID_BYTES];
	uint8_t data[WIRE_MAX_PAYLOAD_BYTES];
};

/*
 * Wake-ups follow AF_XDP's need_wakeup: a consumer about to sleep sets its
 * needs_wakeup word, re-checks its rings, and futex-waits on its wake word;
 * a producer, after submitting, wakes it only if needs_wakeup is set.
 *   app_wake / app_needs_wakeup: the application sleeps on these (rx and ctl rings);
 *   dp_wake[w] / dp_needs_wakeup[w]: worker w sleeps on these (its tx ring).
 */
struct shm_app_header {
	uint32_t magic;		 /* SHM_APP_MAGIC */
	uint32_t layout_version; /* SHM_LAYOUT_VERSION */
	uint32_t worker_count;
	uint32_t channel; /* k of app<k> */
	uint64_t total_bytes;
	uint64_t ring_bytes;	     /* each ring's size */
	uint64_t rings_off;	     /* rx[0], tx[0], rx[1], tx[1], ..., ctl */
	_Atomic uint32_t owner_pid;  /* driftd: the attached application, 0 = free */
	_Atomic uint32_t attach_gen; /* driftd: bumped on every attach */
	_Atomic uint32_t app_wake cache_aligned;
	_Atomic uint32_t app_needs_wakeup;
	struct {
		_Atomic uint32_t wake cache_aligned;
		_Atomic uint32_t needs_wakeup;
	} dp[SHM_MAX_WORKERS];
} cache_aligned;

static inline void shm_app_layout(struct shm_app_header *h, uint32_t workers)
{
	h->worker_count = workers;
	h->rings_off = sizeof(struct shm_app_header);
	h->ring_bytes = (spsc_ring_bytes(SHM_APP_RING_ENTRIES, sizeof(struct shm_app_msg)) +
			 SHM_CACHE_LINE - 1) &
			~(uint64_t)(SHM_CACHE_LINE - 1);
	h->total_bytes = h->rings_off + (uint64_t)(2 * workers + 1) * h->ring_bytes;
}

/*
 * Ring addresses and entries from compile-time geometry only. An application
 * maps its channel read-write, so drift-dp and driftd never take offsets,
 * counts or ring masks from it: a hostile application could otherwise point
 * their writes anywhere. (The application itself may use the header fields.)
 */
static inline uint64_t shm_app_ring_bytes(void)
{
	return (spsc_ring_bytes(SHM_APP_RING_ENTRIES, sizeof(struct shm_app_msg)) + SHM_CACHE_LINE -
		1) &
	       ~(uint64_t)(SHM_CACHE_LINE - 1);
}

/* Worker w -> application. */
static inline struct spsc_ring *shm_app_rx_ring(struct shm_app_header *h, uint32_t w)
{
	return (struct spsc_ring *)((uint8_t *)h + sizeof(*h) +
				    (size_t)(2 * w) * shm_app_ring_bytes());
}

/* Application -> worker w. */
static inline struct spsc_ring *shm_app_tx_ring(struct shm_app_header *h, uint32_t w)
{
	return (struct spsc_ring *)((uint8_t *)h + sizeof(*h) +
				    (size_t)(2 * w + 1) * shm_app_ring_bytes());
}

/* driftd -> application, in a channel made for `workers` workers (a trusted count). */
static inline struct spsc_ring *shm_app_ctl_ring_n(struct shm_app_header *h, uint32_t workers)
{
	return (struct spsc_ring *)((uint8_t *)h + sizeof(*h) +
				    (size_t)(2 * workers) * shm_app_ring_bytes());
}

/* driftd -> application: long-header DATA and session notices (application side). */
static inline struct spsc_ring *shm_app_ctl_ring(struct shm_app_header *h)
{
	return shm_app_ctl_ring_n(h, h->worker_count);
}

/* Entry `at` of an application ring, ignoring the ring's own (writable) mask and size. */
static inline struct shm_app_msg *shm_app_msg_at(struct spsc_ring *r, uint32_t at)
{
	return (struct shm_app_msg *)(r->entries + (size_t)(at & (SHM_APP_RING_ENTRIES - 1)) *
							   sizeof(struct shm_app_msg));
}

#endif
