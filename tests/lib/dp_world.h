/* SPDX-License-Identifier: MIT */
/*
 * A two-host drift-dp world for the dataplane tests, in one process with no
 * privileges: hosts A and B, each with a session table and application
 * channels in a temp directory and 1 or 2 workers, joined by mem port pairs
 * (one per worker). The test plays driftd (installs slots by hand, reads
 * events) and both applications. Every wait is bounded.
 */
#ifndef DRIFT_TESTS_LIB_DP_WORLD_H
#define DRIFT_TESTS_LIB_DP_WORLD_H

#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "dataplane/app_channel.h"
#include "dataplane/handoff.h"
#include "dataplane/port_mem.h"
#include "dataplane/session_table.h"
#include "dataplane/worker.h"
#include "internal/bytes.h"
#include "tests/lib/harness.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum {
	SLOTS = 64,
	WAIT_MS = 20000,
	WINDOW_MSGS = 1024, /* in flight A->B; below the 2048-entry app ring */
};

struct host {
	char dir[64];
	struct session_table t;
	struct app_channel ch[SHM_APP_CHANNELS];
	struct worker w[2];
	struct port *port[2];
	struct handoff handoff; /* used when world_start_handoff() asked for it */
	bool has_handoff;
	uint32_t workers;
	struct net_addr addr;
};

static struct host A, B;
static uint32_t next_epoch = 1;

static inline uint64_t now_ms(void)
{
	return worker_mono_ms();
}

static inline struct net_addr make_addr(uint8_t last, uint16_t port)
{
	struct net_addr a = {.family = ADDR_IPV4, .ip = {10, 0, 0, last}, .port = port};

	return a;
}

static inline void host_init(struct host *h, uint32_t workers, uint8_t last)
{
	char path[128];

	snprintf(h->dir, sizeof(h->dir), "/tmp/dp-test-XXXXXX");
	CHECK(mkdtemp(h->dir) != NULL);
	snprintf(path, sizeof(path), "%s/table", h->dir);
	CHECK_EQ(session_table_create(&h->t, path, SLOTS, workers), 0);
	CHECK_EQ(app_channel_open_all(h->ch, h->dir, workers), 0);
	h->workers = workers;
	h->addr = make_addr(last, 7878);
}

/* Both hosts; B's workers hand packets of CIDs they do not own to the owner if asked. */
static inline void world_start_handoff(uint32_t workers, bool b_hands_off)
{
	host_init(&A, workers, 1);
	host_init(&B, workers, 2);
	if (b_hands_off) {
		CHECK_EQ(handoff_init(&B.handoff, workers), 0);
		B.has_handoff = true;
	}
	for (uint32_t i = 0; i < workers; i++) {
		struct worker_config ca = {
			.index = i, .cpu = -1, .table = A.t.hdr, .channels = A.ch};
		struct worker_config cb = {.index = i,
					   .cpu = -1,
					   .table = B.t.hdr,
					   .channels = B.ch,
					   .handoff = b_hands_off ? &B.handoff : NULL};

		CHECK_EQ(port_mem_pair_new(&A.addr, &B.addr, &A.port[i], &B.port[i]), 0);
		ca.port = A.port[i];
		cb.port = B.port[i];
		CHECK_EQ(worker_init(&A.w[i], &ca), 0);
		CHECK_EQ(worker_init(&B.w[i], &cb), 0);
		CHECK(worker_has_futex_wait(&A.w[i]));
		CHECK_EQ(worker_start(&A.w[i]), 0);
		CHECK_EQ(worker_start(&B.w[i]), 0);
	}
}

static inline void world_start(uint32_t workers)
{
	world_start_handoff(workers, false);
}

static inline void host_fini(struct host *h)
{
	char path[128];

	for (uint32_t i = 0; i < h->workers; i++) {
		worker_fini(&h->w[i]);
		port_close(h->port[i]);
	}
	if (h->has_handoff)
		handoff_fini(&h->handoff);
	h->has_handoff = false;
	app_channel_close_all(h->ch);
	session_table_detach(&h->t);
	snprintf(path, sizeof(path), "%s/table", h->dir);
	unlink(path);
	app_channel_unlink_all(h->dir);
	rmdir(h->dir);
}

static inline void world_stop(void)
{
	host_fini(&A);
	host_fini(&B);
}

/* ---- playing driftd ---------------------------------------------------------- */

static inline void set_epoch(struct shm_epoch *e, uint32_t id, uint8_t flags, uint8_t tx_dir,
			     const uint8_t key[32], uint64_t until_ms)
{
	uint16_t init_rx, resp_rx;

	kdf_cids(&init_rx, &resp_rx, key);
	memset(e, 0, sizeof(*e));
	e->epoch_id = id;
	e->flags = flags;
	e->tx_dir = tx_dir;
	/* WIRE.md §6.2: the direction-0 side receives on the initiator CID. */
	e->rx_cid = tx_dir == 0 ? init_rx : resp_rx;
	e->tx_cid = tx_dir == 0 ? resp_rx : init_rx;
	e->rx_until_ms = until_ms;
	memcpy(e->key, key, 32);
}

static inline void install(struct host *h, uint32_t slot, uint32_t gen, int32_t chan,
			   const uint8_t key[32], uint8_t tx_dir, uint32_t id, uint8_t flags,
			   const struct net_addr *peer)
{
	struct shm_slot *s = shm_slot_at(h->t.hdr, slot);

	session_table_write_begin(s);
	s->state = SHM_SLOT_ACTIVE;
	s->generation = gen;
	s->app_channel = chan;
	memset(s->peer_id, (int)slot + 1, sizeof(s->peer_id));
	s->addr = *peer;
	set_epoch(&s->ep[0], id, flags, tx_dir, key, UINT64_MAX);
	memset(&s->ep[1], 0, sizeof(s->ep[1]));
	store_release(&s->tx_word, (uint64_t)id << 32 | 1);
	write_once(&s->rekey_requested, 0);
	session_table_write_end(h->t.hdr, s);
}

/* A new current epoch; the old one stays receivable until `until_ms`. */
static inline void rekey(struct host *h, uint32_t slot, const uint8_t key[32], uint32_t id,
			 uint64_t until_ms)
{
	struct shm_slot *s = shm_slot_at(h->t.hdr, slot);

	session_table_write_begin(s);
	s->ep[1] = s->ep[0];
	s->ep[1].flags = SHM_EPOCH_RX;
	s->ep[1].rx_until_ms = until_ms;
	set_epoch(&s->ep[0], id, SHM_EPOCH_RX | SHM_EPOCH_TX, s->ep[1].tx_dir, key, UINT64_MAX);
	store_release(&s->tx_word, (uint64_t)id << 32 | 1);
	session_table_write_end(h->t.hdr, s);
}

/* One session A<->B in slot `slot` on both sides. */
static inline uint32_t pair_up(uint32_t slot, const uint8_t key[32])
{
	uint32_t id = next_epoch++;

	install(&A, slot, id, 0, key, 0, id, SHM_EPOCH_RX | SHM_EPOCH_TX, &B.addr);
	install(&B, slot, id, 0, key, 1, id, SHM_EPOCH_RX | SHM_EPOCH_TX, &A.addr);
	return id;
}

static inline uint64_t drops(struct host *h, enum shm_drop why)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < h->workers; i++)
		n += read_once((_Atomic uint64_t *)&shm_worker_stats_at(h->t.hdr, i)->drops[why]);
	return n;
}

static inline uint64_t stat_of(struct host *h, size_t off)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < h->workers; i++)
		n += read_once(
			(_Atomic uint64_t *)((uint8_t *)shm_worker_stats_at(h->t.hdr, i) + off));
	return n;
}

#define STAT(h, field) stat_of((h), offsetof(struct shm_worker_stats, field))

/* Next event of `type` from any worker of `h` (others are discarded); false on timeout. */
static inline bool take_event(struct host *h, uint16_t type, struct shm_event *out,
			      uint64_t wait_ms)
{
	uint64_t until = now_ms() + wait_ms;

	do {
		for (uint32_t i = 0; i < h->workers; i++) {
			struct spsc_ring *r = shm_event_ring_at(h->t.hdr, i);
			uint32_t at;

			while (spsc_ring_peek(r, 1, &at) == 1) {
				struct shm_event *ev = spsc_ring_entry(r, at);
				bool is_it = ev->type == type;

				if (is_it)
					memcpy(out, ev, sizeof(*out));
				spsc_ring_release(r, 1);
				if (is_it)
					return true;
			}
		}
		usleep(200);
	} while (now_ms() < until);
	return false;
}

/*
 * Playing driftd on h's worker 0 reinject ring: an event of `type` whose
 * data is head[0..head_len) || tail[0..tail_len), with `len` as given (the
 * worker must cope with a len that does not match what was written).
 */
static inline void reinject_event(struct host *h, uint16_t type, const struct net_addr *from,
				  const uint8_t *head, size_t head_len, const uint8_t *tail,
				  size_t tail_len, uint16_t len)
{
	struct spsc_ring *r = shm_reinject_ring_at(h->t.hdr, 0);
	struct shm_event *ev;
	uint32_t at;

	CHECK_EQ(spsc_ring_reserve(r, 1, &at), 1u);
	ev = spsc_ring_entry(r, at);
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->len = len;
	ev->from = *from;
	memcpy(ev->data, head, head_len);
	if (tail_len)
		memcpy(ev->data + head_len, tail, tail_len);
	spsc_ring_submit(r, 1);
}

static inline void drain_events(struct host *h)
{
	struct shm_event ev;

	while (take_event(h, 0xffff, &ev, 0))
		;
}

/* Waits until a counter read by `get` reaches `want`. */
#define WAIT_FOR(expr)                                \
	do {                                          \
		uint64_t _until = now_ms() + WAIT_MS; \
		while (!(expr) && now_ms() < _until)  \
			usleep(100);                  \
	} while (0)

/* ---- playing the applications ------------------------------------------------ */

static inline bool app_send(struct host *h, uint32_t slot, uint32_t gen, const uint8_t *p,
			    uint16_t len)
{
	uint32_t w = slot % h->workers, at;
	struct spsc_ring *r = shm_app_tx_ring(h->ch[0].hdr, w);
	struct shm_app_msg *m;

	if (spsc_ring_reserve(r, 1, &at) != 1)
		return false;
	m = spsc_ring_entry(r, at);
	m->slot = slot;
	m->generation = gen;
	m->len = len;
	m->kind = SHM_APP_DATA;
	memcpy(m->data, p, len);
	spsc_ring_submit(r, 1);
	app_channel_wake_dp(h->ch[0].hdr, w);
	return true;
}

static inline bool app_recv(struct host *h, struct shm_app_msg *out)
{
	for (uint32_t w = 0; w < h->workers; w++) {
		struct spsc_ring *r = shm_app_rx_ring(h->ch[0].hdr, w);
		uint32_t at;

		if (spsc_ring_peek(r, 1, &at) == 1) {
			memcpy(out, spsc_ring_entry(r, at), sizeof(*out));
			spsc_ring_release(r, 1);
			return true;
		}
	}
	return false;
}

static inline bool app_recv_wait(struct host *h, struct shm_app_msg *out, uint64_t wait_ms)
{
	uint64_t until = now_ms() + wait_ms;

	do {
		if (app_recv(h, out))
			return true;
		usleep(100);
	} while (now_ms() < until);
	return false;
}

/* Message i of a stream: its index, then a pattern derived from it. */
static inline uint16_t make_msg(uint8_t *buf, uint64_t i, uint8_t tag)
{
	uint16_t len = (uint16_t)(9 + i % 200);

	store_be64(buf, i);
	buf[8] = tag;
	for (uint16_t k = 9; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
	return len;
}

static inline bool msg_is(const struct shm_app_msg *m, uint64_t i, uint8_t tag)
{
	uint8_t want[WIRE_MAX_PAYLOAD_BYTES];
	uint16_t len = make_msg(want, i, tag);

	return m->len == len && memcmp(m->data, want, len) == 0;
}

#endif
