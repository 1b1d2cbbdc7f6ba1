/* SPDX-License-Identifier: MIT */
/*
 * dataplane core: the drift-dp fast path end to end, in one process, with
 * no privileges. Two "hosts" A and B, each with its own session table and
 * application channels in a temp directory and 1 or 2 worker threads, are
 * joined by mem port pairs (one per worker):
 *
 *     app A --ch0 rings--> [A worker w] --mem pair w--> [B worker w] --ch0 rings--> app B
 *                                 ^                            ^
 *     this test plays driftd (installs slots, reads events) and both apps
 *
 * Slots are installed by hand with one 32-byte key on both sides, tx_dir 0
 * on A and 1 on B, CIDs from kdf_cids() as WIRE.md §6.2 says. Frames for
 * the replay, tamper and address cases are sealed here and injected at
 * B's port. Every wait is bounded; nothing asserts speed.
 */
#include "crypto/aead.h"
#include "crypto/backend.h"
#include "crypto/kdf.h"
#include "dataplane/app_channel.h"
#include "dataplane/drop.h"
#include "dataplane/port_mem.h"
#include "dataplane/session_table.h"
#include "dataplane/worker.h"
#include "internal/bytes.h"
#include "proto/header.h"

#include "tests/lib/harness.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *const case_names[] = {
	[1] = "bulk A->B: 200000 messages, content and order, no loss",
	[2] = "both directions at once, 2 workers per host",
	[3] = "replayed frame: SHM_DROP_REPLAY, delivered once",
	[4] = "tampered frame: SHM_DROP_AUTH",
	[5] = "unknown CID: punted with the exact bytes, else UNKNOWN_CID",
	[6] = "long header: punted, else NOT_SHORT",
	[7] = "CID collision: each packet reaches its own session",
	[8] = "rekey under load: zero lost, zero duplicated",
	[9] = "expired previous key: SHM_DROP_EXPIRED_KEY",
	[10] = "stale generation on tx: TX_NO_SESSION",
	[11] = "no tx CID: SHM_EV_SEND_LONG with the payload",
	[12] = "tx seq past the rekey threshold: exactly one REKEY_DUE",
	[13] = "new source address: one SHM_EV_NEW_SOURCE per 500 ms",
	[14] = "seq space used up: TX_SEQ_EXHAUSTED",
	[15] = "no application channel: NO_APP after authentication",
	[16] = "drop names cover every reason",
	[17] = "handed back by driftd, another session's CID: up again as PUNT_TRIED",
	[18] = "a channel file truncated under the worker: dropped as NO_APP, no crash",
};

#include "tests/lib/dp_world.h"

/* A short-header frame sealed by hand, as the peer would send it. */
static uint16_t seal_frame(uint8_t *out, const uint8_t key[32], uint8_t dir, uint16_t cid,
			   uint32_t seq, const uint8_t *p, uint16_t len)
{
	struct short_header h = {.cid = cid, .seq = seq};
	uint8_t nonce[12];

	header_short_encode(out, &h);
	header_nonce(nonce, dir, WIRE_TYPE_DATA, seq);
	aead_seal_once(key, nonce, out, 7, p, len, out + 7);
	return (uint16_t)(len + 23);
}

static uint16_t rx_cid_of(struct host *h, uint32_t slot, int ep)
{
	return shm_slot_at(h->t.hdr, slot)->ep[ep].rx_cid;
}

/* ---- cases -------------------------------------------------------------------- */

/* Streams n messages on (slot, gen) from `s` to `r`, checking each on arrival. */
static void stream(uint64_t n, uint32_t slot, uint32_t gen, uint8_t tag, void (*midway)(void))
{
	uint8_t buf[WIRE_MAX_PAYLOAD_BYTES];
	struct shm_app_msg m;
	uint64_t sent = 0, got = 0, bad = 0, until = now_ms() + 120000;

	while (got < n && now_ms() < until) {
		/* Flow control: never more in flight than B's app ring can hold. */
		while (sent < n && sent - got < WINDOW_MSGS &&
		       app_send(&A, slot, gen, buf, make_msg(buf, sent, tag)))
			sent++;
		if (midway && sent >= n / 2) {
			midway();
			midway = NULL;
		}
		while (app_recv(&B, &m)) {
			bad += !msg_is(&m, got, tag) || m.slot != slot || m.generation != gen;
			got++;
		}
	}
	if (got != n)
		for (int d = 0; d < SHM_DROP_COUNT; d++)
			if (drops(&A, d) || drops(&B, d))
				fprintf(stderr, "  drops %s: A %llu B %llu\n", drop_name(d),
					(unsigned long long)drops(&A, d),
					(unsigned long long)drops(&B, d));
	CHECK_EQ(got, n);
	CHECK_EQ(bad, 0);
	/* Nothing extra behind the last one: no duplicates. */
	usleep(20000);
	CHECK(!app_recv(&B, &m));
}

static void case_bulk(void)
{
	uint8_t key[32];

	memset(key, 0x11, sizeof(key));
	pair_up(0, key);
	stream(200000, 0, shm_slot_at(A.t.hdr, 0)->generation, 1, NULL);
	for (int d = 0; d < SHM_DROP_COUNT; d++) {
		CHECK_EQ(drops(&A, d), 0);
		CHECK_EQ(drops(&B, d), 0);
	}
}

static void case_both_ways(void)
{
	uint8_t key[2][32], buf[WIRE_MAX_PAYLOAD_BYTES];
	uint64_t n = 20000, sent[2][2] = {{0}}, got[2][2] = {{0}}, bad = 0;
	uint64_t until = now_ms() + 120000;
	struct host *src[2] = {&A, &B}, *dst[2] = {&B, &A};
	struct shm_app_msg m;

	memset(key[0], 0x21, 32);
	memset(key[1], 0x22, 32);
	pair_up(0, key[0]); /* tx by worker 0 on both hosts */
	pair_up(1, key[1]); /* tx by worker 1 on both hosts */
	while (got[0][0] + got[0][1] + got[1][0] + got[1][1] < 4 * n && now_ms() < until) {
		for (int d = 0; d < 2; d++) {
			for (uint32_t sl = 0; sl < 2; sl++) {
				uint32_t gen = shm_slot_at(src[d]->t.hdr, sl)->generation;
				uint8_t tag = (uint8_t)(10 + 2 * d + sl);

				while (sent[d][sl] < n &&
				       sent[d][sl] - got[d][sl] < WINDOW_MSGS / 2 &&
				       app_send(src[d], sl, gen, buf,
						make_msg(buf, sent[d][sl], tag)))
					sent[d][sl]++;
			}
			while (app_recv(dst[d], &m)) {
				uint32_t sl = m.slot & 1;

				bad += !msg_is(&m, got[d][sl]++, (uint8_t)(10 + 2 * d + sl));
			}
		}
	}
	CHECK_EQ(got[0][0] + got[0][1], 2 * n);
	CHECK_EQ(got[1][0] + got[1][1], 2 * n);
	CHECK_EQ(bad, 0);
	CHECK(shm_worker_stats_at(B.t.hdr, 1)->rx_packets > 0);
}

/* B slot 5, one epoch; returns its key through `key`. */
static uint32_t b_session(uint32_t slot, uint8_t fill, uint8_t key[32], int32_t chan)
{
	uint32_t id = next_epoch++;

	memset(key, fill, 32);
	install(&B, slot, id, chan, key, 1, id, SHM_EPOCH_RX | SHM_EPOCH_TX, &A.addr);
	return id;
}

static void inject(const uint8_t *f, uint16_t len, const struct net_addr *from)
{
	CHECK_EQ(port_mem_inject(B.port[0], f, len, from), 0);
}

static void case_replay_tamper(int num)
{
	uint8_t key[32], f[WIRE_MAX_PACKET_BYTES], p[40];
	struct shm_app_msg m;
	uint16_t len;
	uint64_t before;

	b_session(5, 0x33, key, 0);
	memset(p, 0xab, sizeof(p));
	len = seal_frame(f, key, 0, rx_cid_of(&B, 5, 0), 100, p, sizeof(p));
	inject(f, len, &A.addr);
	CHECK(app_recv_wait(&B, &m, WAIT_MS));
	CHECK_EQ(m.slot, 5);
	CHECK_MEM(m.data, p, sizeof(p));
	if (num == 3) {
		before = drops(&B, SHM_DROP_REPLAY);
		inject(f, len, &A.addr);
		WAIT_FOR(drops(&B, SHM_DROP_REPLAY) == before + 1);
		CHECK_EQ(drops(&B, SHM_DROP_REPLAY), before + 1);
	} else {
		before = drops(&B, SHM_DROP_AUTH);
		len = seal_frame(f, key, 0, rx_cid_of(&B, 5, 0), 101, p, sizeof(p));
		f[20] ^= 0x01;
		inject(f, len, &A.addr);
		WAIT_FOR(drops(&B, SHM_DROP_AUTH) == before + 1);
		CHECK_EQ(drops(&B, SHM_DROP_AUTH), before + 1);
		/* A forged packet moves no window: the genuine seq 101 still gets in. */
		len = seal_frame(f, key, 0, rx_cid_of(&B, 5, 0), 101, p, sizeof(p));
		inject(f, len, &A.addr);
		CHECK(app_recv_wait(&B, &m, WAIT_MS));
	}
	usleep(10000);
	CHECK(!app_recv(&B, &m));
}

/* Punt with driftd attached, the named drop without it. */
static void check_punt(const uint8_t *f, uint16_t len, enum shm_drop without)
{
	struct shm_event ev;
	uint64_t before;

	drain_events(&B);
	store_release(&B.t.hdr->driftd_pid, 4242u);
	inject(f, len, &A.addr);
	CHECK(take_event(&B, SHM_EV_PUNT, &ev, WAIT_MS));
	CHECK_EQ(ev.len, len);
	CHECK_MEM(ev.data, f, len);
	CHECK(addr_equal(&ev.from, &A.addr));
	store_release(&B.t.hdr->driftd_pid, 0u);
	before = drops(&B, without);
	inject(f, len, &A.addr);
	WAIT_FOR(drops(&B, without) == before + 1);
	CHECK_EQ(drops(&B, without), before + 1);
}

static uint16_t unused_cid(void)
{
	for (uint16_t c = 1;; c++) {
		bool is_used = false;

		for (uint32_t s = 0; s < SLOTS; s++)
			for (int e = 0; e < 2; e++)
				is_used |= shm_slot_at(B.t.hdr, s)->ep[e].rx_cid == c;
		if (!is_used)
			return c;
	}
}

static void case_unknown_cid(void)
{
	uint8_t key[32], f[WIRE_MAX_PACKET_BYTES], p[8] = {1, 2, 3};

	memset(key, 0x44, 32);
	check_punt(f, seal_frame(f, key, 0, unused_cid(), 7, p, sizeof(p)), SHM_DROP_UNKNOWN_CID);
}

static void case_long_header(void)
{
	uint8_t f[80];

	memset(f, 0x5a, sizeof(f));
	f[0] = 0x10; /* version 1: a long header, driftd's business */
	check_punt(f, sizeof(f), SHM_DROP_NOT_SHORT);
}

static void case_collision(void)
{
	uint8_t k1[32], k2[32], f[WIRE_MAX_PACKET_BYTES], p[16];
	struct shm_app_msg m;
	uint64_t coll = STAT(&B, cid_collisions);
	uint16_t cid;
	struct shm_slot *s;

	b_session(6, 0x61, k1, 0);
	b_session(7, 0x62, k2, 0);
	/* Force slot 7's rx CID onto slot 6's: a 16-bit collision (WIRE.md §24 Q6). */
	cid = rx_cid_of(&B, 6, 0);
	s = shm_slot_at(B.t.hdr, 7);
	session_table_write_begin(s);
	s->ep[0].rx_cid = cid;
	session_table_write_end(B.t.hdr, s);
	for (int round = 0; round < 4; round++) {
		const uint8_t *k = round & 1 ? k2 : k1;

		memset(p, round, sizeof(p));
		inject(f, seal_frame(f, k, 0, cid, (uint32_t)(10 + round), p, sizeof(p)), &A.addr);
		CHECK(app_recv_wait(&B, &m, WAIT_MS));
		CHECK_EQ(m.slot, round & 1 ? 7u : 6u);
		CHECK_MEM(m.data, p, sizeof(p));
	}
	CHECK(STAT(&B, cid_collisions) >= coll + 4);
	CHECK(STAT(&B, trial_opens) >= 2);
}

/* What driftd does with a punted packet whose CID was installed meanwhile (dp_events.c). */
static void reinject(const uint8_t *f, uint16_t len)
{
	reinject_event(&B, SHM_EV_PUNT, &A.addr, f, len, NULL, 0, len);
}

/*
 * A responder's first DATA, punted while its CID was unknown, comes back
 * from driftd because meanwhile another session with the same 16-bit CID
 * was installed. The installed key must not have the last word (a replay
 * verdict from its window, seq 1 being far behind it): the packet goes up
 * as PUNT_TRIED, for the engine that holds the key it belongs to. Without
 * driftd it is dropped, never delivered to the wrong session.
 */
static void case_reinject_collision(void)
{
	uint8_t k1[32], k_new[32], f[WIRE_MAX_PACKET_BYTES], p[16];
	struct shm_app_msg m;
	struct shm_event ev;
	uint16_t cid, len;
	uint64_t before;

	b_session(6, 0x71, k1, 0);
	cid = rx_cid_of(&B, 6, 0);
	memset(p, 0x5c, sizeof(p));
	/* The installed session has moved its window far past seq 1. */
	inject(f, seal_frame(f, k1, 0, cid, 5000, p, sizeof(p)), &A.addr);
	CHECK(app_recv_wait(&B, &m, WAIT_MS));
	memset(k_new, 0x72, sizeof(k_new));
	for (uint32_t seq = 1; seq <= 6000; seq += 4999) { /* behind the window, then inside it */
		drain_events(&B);
		store_release(&B.t.hdr->driftd_pid, 4242u);
		len = seal_frame(f, k_new, 0, cid, seq, p, sizeof(p));
		reinject(f, len);
		CHECK(take_event(&B, SHM_EV_PUNT_TRIED, &ev, WAIT_MS));
		CHECK_EQ(ev.len, len);
		CHECK_MEM(ev.data, f, len);
		CHECK(!app_recv(&B, &m));
		/* No driftd: dropped (the window's verdict, or the failed tag), not delivered. */
		store_release(&B.t.hdr->driftd_pid, 0u);
		before = drops(&B, SHM_DROP_REPLAY) + drops(&B, SHM_DROP_AUTH);
		reinject(f, len);
		WAIT_FOR(drops(&B, SHM_DROP_REPLAY) + drops(&B, SHM_DROP_AUTH) == before + 1);
		CHECK_EQ(drops(&B, SHM_DROP_REPLAY) + drops(&B, SHM_DROP_AUTH), before + 1);
		CHECK(!app_recv(&B, &m));
	}
	/* A handed-back packet whose CID nobody holds is not punted again: no ping-pong. */
	store_release(&B.t.hdr->driftd_pid, 4242u);
	drain_events(&B);
	before = drops(&B, SHM_DROP_UNKNOWN_CID);
	reinject(f, seal_frame(f, k_new, 0, unused_cid(), 9, p, sizeof(p)));
	WAIT_FOR(drops(&B, SHM_DROP_UNKNOWN_CID) == before + 1);
	CHECK_EQ(drops(&B, SHM_DROP_UNKNOWN_CID), before + 1);
	CHECK(!take_event(&B, SHM_EV_PUNT, &ev, 50));
	store_release(&B.t.hdr->driftd_pid, 0u);
}

/*
 * The application holding app1 truncates it. The worker's next delivery
 * into it faults; the guard (shm_guard.h) absorbs the fault, the channel
 * goes out of service (NO_APP drops) and the worker carries on with the
 * other channels.
 */
static void case_truncated_channel(void)
{
	uint8_t k1[32], k0[32], f[WIRE_MAX_PACKET_BYTES], p[16];
	char path[128];
	struct shm_app_msg m;
	uint64_t before;

	b_session(8, 0x81, k1, 1);
	b_session(9, 0x82, k0, 0);
	snprintf(path, sizeof(path), "%s/app1", B.dir);
	CHECK_EQ(truncate(path, 0), 0);
	memset(p, 0x18, sizeof(p));
	before = drops(&B, SHM_DROP_NO_APP);
	inject(f, seal_frame(f, k1, 0, rx_cid_of(&B, 8, 0), 1, p, sizeof(p)), &A.addr);
	WAIT_FOR(read_once(&B.ch[1].is_broken) == 1u);
	CHECK_EQ(read_once(&B.ch[1].is_broken), 1u);
	CHECK(app_channel_live(&B.ch[1]) == NULL);
	inject(f, seal_frame(f, k1, 0, rx_cid_of(&B, 8, 0), 2, p, sizeof(p)), &A.addr);
	WAIT_FOR(drops(&B, SHM_DROP_NO_APP) >= before + 1);
	CHECK(drops(&B, SHM_DROP_NO_APP) >= before + 1);
	/* The worker is alive and channel 0 still delivers. */
	inject(f, seal_frame(f, k0, 0, rx_cid_of(&B, 9, 0), 1, p, sizeof(p)), &A.addr);
	CHECK(app_recv_wait(&B, &m, WAIT_MS));
	CHECK_EQ(m.slot, 9u);
	CHECK_MEM(m.data, p, sizeof(p));
	CHECK(app_channel_live(&B.ch[0]) != NULL);
}

static uint8_t rekey_key[32];

static void do_rekey(void)
{
	uint32_t id = next_epoch++;
	uint64_t until = now_ms() + 2000;

	/* The receiver first, as driftd does: it must know the new key before the sender uses it. */
	rekey(&B, 0, rekey_key, id, until);
	rekey(&A, 0, rekey_key, id, until);
}

static void case_rekey_load(void)
{
	uint8_t key[32];

	memset(key, 0x71, 32);
	memset(rekey_key, 0x72, 32);
	pair_up(0, key);
	stream(60000, 0, shm_slot_at(A.t.hdr, 0)->generation, 8, do_rekey);
	CHECK_EQ(drops(&B, SHM_DROP_AUTH), 0);
	CHECK_EQ(drops(&B, SHM_DROP_REPLAY), 0);
	CHECK(STAT(&B, epoch_adopts) >= 2);
}

static void case_expired(void)
{
	uint8_t old[32], fresh[32], f[WIRE_MAX_PACKET_BYTES], p[8] = {9};
	uint64_t before = drops(&B, SHM_DROP_EXPIRED_KEY);
	uint16_t old_cid;

	b_session(8, 0x81, old, 0);
	old_cid = rx_cid_of(&B, 8, 0);
	memset(fresh, 0x82, 32);
	rekey(&B, 8, fresh, next_epoch++, now_ms() - 1);
	inject(f, seal_frame(f, old, 0, old_cid, 3, p, sizeof(p)), &A.addr);
	WAIT_FOR(drops(&B, SHM_DROP_EXPIRED_KEY) == before + 1);
	CHECK_EQ(drops(&B, SHM_DROP_EXPIRED_KEY), before + 1);
}

static void case_tx_stale(void)
{
	uint8_t key[32], p[4] = {1};
	uint64_t before = drops(&A, SHM_DROP_TX_NO_SESSION);

	memset(key, 0x91, 32);
	pair_up(2, key);
	CHECK(app_send(&A, 2, shm_slot_at(A.t.hdr, 2)->generation + 1, p, sizeof(p)));
	WAIT_FOR(drops(&A, SHM_DROP_TX_NO_SESSION) == before + 1);
	CHECK_EQ(drops(&A, SHM_DROP_TX_NO_SESSION), before + 1);
}

static void case_send_long(void)
{
	uint8_t key[32], p[33];
	struct shm_event ev;

	memset(key, 0xa1, 32);
	memset(p, 0xee, sizeof(p));
	drain_events(&A);
	install(&A, 3, 77, 0, key, 0, next_epoch++, SHM_EPOCH_RX, &B.addr);
	CHECK(app_send(&A, 3, 77, p, sizeof(p)));
	CHECK(take_event(&A, SHM_EV_SEND_LONG, &ev, WAIT_MS));
	CHECK_EQ(ev.slot, 3);
	CHECK_EQ(ev.generation, 77);
	CHECK_EQ(ev.len, sizeof(p));
	CHECK_MEM(ev.data, p, sizeof(p));
}

static void case_rekey_due(void)
{
	uint8_t key[32], buf[64];
	struct shm_event ev;
	struct shm_app_msg m;
	uint32_t id;

	memset(key, 0xb1, 32);
	id = pair_up(4, key);
	drain_events(&A);
	store_release(&shm_slot_at(A.t.hdr, 4)->tx_word,
		      (uint64_t)id << 32 | (WIRE_AUTO_REKEY_THRESHOLD - 2));
	for (int i = 0; i < 6; i++) {
		CHECK(app_send(&A, 4, id, buf, make_msg(buf, (uint64_t)i, 3)));
		CHECK(app_recv_wait(&B, &m, WAIT_MS));
		CHECK(msg_is(&m, (uint64_t)i, 3));
	}
	CHECK(take_event(&A, SHM_EV_REKEY_DUE, &ev, WAIT_MS));
	CHECK_EQ(ev.slot, 4);
	CHECK(!take_event(&A, SHM_EV_REKEY_DUE, &ev, 50));
	CHECK(read_once(&shm_slot_at(A.t.hdr, 4)->rekey_requested) != 0);
}

static void case_new_source(void)
{
	uint8_t key[32], f[WIRE_MAX_PACKET_BYTES], p[8] = {4};
	struct net_addr moved = make_addr(9, 9999);
	struct shm_event ev;
	struct shm_app_msg m;

	b_session(9, 0xc1, key, 0);
	drain_events(&B);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		inject(f, seal_frame(f, key, 0, rx_cid_of(&B, 9, 0), seq, p, sizeof(p)), &moved);
		CHECK(app_recv_wait(&B, &m, WAIT_MS));
	}
	CHECK(take_event(&B, SHM_EV_NEW_SOURCE, &ev, WAIT_MS));
	CHECK_EQ(ev.slot, 9);
	CHECK(addr_equal(&ev.from, &moved));
	CHECK(!take_event(&B, SHM_EV_NEW_SOURCE, &ev, 50));
}

static void case_exhausted(void)
{
	uint8_t key[32], p[4] = {1};
	uint64_t before = drops(&A, SHM_DROP_TX_SEQ_EXHAUSTED);
	uint32_t id;

	memset(key, 0xd1, 32);
	id = pair_up(10, key);
	store_release(&shm_slot_at(A.t.hdr, 10)->tx_word,
		      (uint64_t)id << 32 | WIRE_SEQ_SEND_CEILING);
	CHECK(app_send(&A, 10, id, p, sizeof(p)));
	WAIT_FOR(drops(&A, SHM_DROP_TX_SEQ_EXHAUSTED) == before + 1);
	CHECK_EQ(drops(&A, SHM_DROP_TX_SEQ_EXHAUSTED), before + 1);
}

static void case_no_app(void)
{
	uint8_t key[32], f[WIRE_MAX_PACKET_BYTES], p[8] = {5};
	uint64_t before = drops(&B, SHM_DROP_NO_APP), replays = drops(&B, SHM_DROP_REPLAY);
	uint16_t len;

	b_session(11, 0xe1, key, -1);
	len = seal_frame(f, key, 0, rx_cid_of(&B, 11, 0), 1, p, sizeof(p));
	inject(f, len, &A.addr);
	WAIT_FOR(drops(&B, SHM_DROP_NO_APP) == before + 1);
	CHECK_EQ(drops(&B, SHM_DROP_NO_APP), before + 1);
	/* Authenticated and committed: the same frame again is a replay. */
	inject(f, len, &A.addr);
	WAIT_FOR(drops(&B, SHM_DROP_REPLAY) == replays + 1);
	CHECK_EQ(drops(&B, SHM_DROP_REPLAY), replays + 1);
}

static void case_drop_names(void)
{
	for (int d = 0; d < SHM_DROP_COUNT; d++)
		CHECK(strcmp(drop_name((enum shm_drop)d), "unknown") != 0);
	CHECK(strcmp(drop_name(SHM_DROP_COUNT), "unknown") == 0);
	CHECK(strcmp(drop_name(SHM_DROP_REPLAY), "replay") == 0);
}

static void run(int num, void (*fn)(void), uint32_t workers)
{
	unsigned failed = harness_failed;

	world_start(workers);
	fn();
	world_stop();
	printf("%s case %d: %s\n", harness_failed == failed ? "ok  " : "FAIL", num,
	       case_names[num]);
}

static void case_replay(void)
{
	case_replay_tamper(3);
}

static void case_tamper(void)
{
	case_replay_tamper(4);
}

int main(void)
{
	static const struct {
		int num;
		void (*fn)(void);
		uint32_t workers;
	} cases[] = {
		{1, case_bulk, 1},
		{2, case_both_ways, 2},
		{3, case_replay, 1},
		{4, case_tamper, 1},
		{5, case_unknown_cid, 1},
		{6, case_long_header, 1},
		{7, case_collision, 1},
		{8, case_rekey_load, 1},
		{9, case_expired, 1},
		{10, case_tx_stale, 1},
		{11, case_send_long, 1},
		{12, case_rekey_due, 1},
		{13, case_new_source, 1},
		{14, case_exhausted, 1},
		{15, case_no_app, 1},
		{16, case_drop_names, 1},
		{17, case_reinject_collision, 1},
		{18, case_truncated_channel, 1},
	};

	if (backend_init() != 0) {
		fprintf(stderr, "backend_init failed\n");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		run(cases[i].num, cases[i].fn, cases[i].workers);
	return harness_finish();
}
