/* SPDX-License-Identifier: MIT */
/*
 * dataplane: bridge forwarding (fwd.c) and the hand-off between workers
 * (handoff.c), over the mem-port world of tests/lib/dp_world.h.
 *
 * Forwarding is tested with one peer host playing both ends of the bridge:
 * A holds two sessions with B (slot 0, key k0, and slot 1, key k1); B's
 * slot 0 forwards to its slot 1. What A's application sends on slot 0 must
 * come back to A on slot 1, re-sealed under k1, in order, with B's
 * application seeing nothing.
 */
#include "crypto/backend.h"
#include "dataplane/drop.h"

#include "tests/lib/dp_world.h"

static const char *const case_names[] = {
	[1] = "forward: slot 0 -> slot 1 re-sealed, in order, counted per pair",
	[2] = "forward target gone (stale generation): FWD_NO_SESSION, nothing delivered",
	[3] = "hand-off: 2 workers, 8 sessions, every packet once, in order, owners counted",
};

/* B's slot `from` forwards to slot `to` (which holds generation `gen`). */
static void set_forward(uint32_t from, uint32_t to, uint32_t gen)
{
	struct shm_slot *s = shm_slot_at(B.t.hdr, from);

	session_table_write_begin(s);
	s->fwd_to = to + 1;
	s->fwd_generation = gen;
	session_table_write_end(B.t.hdr, s);
}

static uint64_t slot_fwd(struct host *h, uint32_t slot)
{
	uint64_t n = 0;

	for (uint32_t w = 0; w < h->workers; w++)
		n += read_once(
			(_Atomic uint64_t *)&shm_slot_stats_at(h->t.hdr, w, slot)->fwd_packets);
	return n;
}

/* Sends n messages from A on `slot`; counts what A gets back on `back_slot`. */
static void bounce(uint32_t slot, uint32_t back_slot, uint64_t n, uint64_t *got, uint64_t *bad)
{
	uint32_t gen = shm_slot_at(A.t.hdr, slot)->generation;
	uint8_t buf[WIRE_MAX_PAYLOAD_BYTES];
	uint64_t sent = 0, until = now_ms() + WAIT_MS;
	struct shm_app_msg m;

	*got = *bad = 0;
	while (*got < n && now_ms() < until) {
		while (sent < n && sent - *got < WINDOW_MSGS / 2 &&
		       app_send(&A, slot, gen, buf, make_msg(buf, sent, 7)))
			sent++;
		while (app_recv(&A, &m))
			*bad += m.slot != back_slot || !msg_is(&m, (*got)++, 7);
		usleep(50);
	}
}

static void case_forward(void)
{
	uint8_t k0[32], k1[32];
	uint64_t got, bad, n = 20000;
	struct shm_app_msg m;

	memset(k0, 0x31, 32);
	memset(k1, 0x32, 32);
	pair_up(0, k0);
	pair_up(1, k1);
	set_forward(0, 1, shm_slot_at(B.t.hdr, 1)->generation);
	bounce(0, 1, n, &got, &bad);
	CHECK_EQ(got, n);
	CHECK_EQ(bad, 0);
	CHECK_EQ(slot_fwd(&B, 0), n);
	CHECK_EQ(STAT(&B, forwarded), n);
	CHECK(!app_recv(&B, &m)); /* B's application saw none of it */
	for (int d = 0; d < SHM_DROP_COUNT; d++) {
		CHECK_EQ(drops(&A, d), 0);
		CHECK_EQ(drops(&B, d), 0);
	}
}

static void case_forward_stale(void)
{
	uint8_t k0[32], k1[32], buf[WIRE_MAX_PAYLOAD_BYTES];
	struct shm_app_msg m;

	memset(k0, 0x41, 32);
	memset(k1, 0x42, 32);
	pair_up(0, k0);
	pair_up(1, k1);
	set_forward(0, 1, shm_slot_at(B.t.hdr, 1)->generation + 1);
	for (uint64_t i = 0; i < 100; i++)
		CHECK(app_send(&A, 0, shm_slot_at(A.t.hdr, 0)->generation, buf,
			       make_msg(buf, i, 1)));
	WAIT_FOR(drops(&B, SHM_DROP_FWD_NO_SESSION) >= 100);
	CHECK_EQ(drops(&B, SHM_DROP_FWD_NO_SESSION), 100);
	usleep(20000);
	CHECK(!app_recv(&A, &m));
	CHECK(!app_recv(&B, &m));
	CHECK_EQ(slot_fwd(&B, 0), 0);
}

static void case_handoff(void)
{
	enum { SESSIONS = 8, PER = 4000 };
	uint8_t key[SESSIONS][32], buf[WIRE_MAX_PAYLOAD_BYTES];
	uint64_t sent[SESSIONS] = {0}, got[SESSIONS] = {0}, bad = 0, total = 0, foreign = 0;
	uint64_t until = now_ms() + 60000;
	struct shm_app_msg m;

	for (uint32_t s = 0; s < SESSIONS; s++) {
		memset(key[s], 0x50 + (int)s, 32);
		pair_up(s, key[s]);
		/* A's worker s % 2 sends over mem pair s % 2 to B's worker s % 2. */
		if (shm_slot_at(B.t.hdr, s)->ep[0].rx_cid % 2 != s % 2)
			foreign += PER;
	}
	CHECK(foreign > 0); /* the keys above give some sessions a CID owned by the other worker */
	while (total < SESSIONS * PER && now_ms() < until) {
		for (uint32_t s = 0; s < SESSIONS; s++) {
			uint32_t gen = shm_slot_at(A.t.hdr, s)->generation;

			while (sent[s] < PER && sent[s] - got[s] < WINDOW_MSGS / 8 &&
			       app_send(&A, s, gen, buf, make_msg(buf, sent[s], (uint8_t)s)))
				sent[s]++;
		}
		while (app_recv(&B, &m)) {
			uint32_t s = m.slot;

			if (s >= SESSIONS) {
				bad++;
				continue;
			}
			bad += !msg_is(&m, got[s]++, (uint8_t)s);
			total++;
		}
		usleep(50);
	}
	CHECK_EQ(total, (uint64_t)SESSIONS * PER);
	CHECK_EQ(bad, 0);
	CHECK_EQ(STAT(&B, handed_off), foreign);
	CHECK_EQ(STAT(&B, handed_in), foreign);
	CHECK_EQ(drops(&B, SHM_DROP_HANDOFF_FULL), 0);
	CHECK_EQ(drops(&B, SHM_DROP_REPLAY), 0);
	usleep(20000);
	CHECK(!app_recv(&B, &m));
}

int main(void)
{
	static const struct {
		int num;
		void (*fn)(void);
		uint32_t workers;
		bool hands_off;
	} cases[] = {
		{1, case_forward, 1, false},
		{2, case_forward_stale, 1, false},
		{3, case_handoff, 2, true},
	};

	if (backend_init() != 0) {
		fprintf(stderr, "backend_init failed\n");
		return 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned failed = harness_failed;

		world_start_handoff(cases[i].workers, cases[i].hands_off);
		cases[i].fn();
		world_stop();
		printf("%s case %d: %s\n", harness_failed == failed ? "ok  " : "FAIL", cases[i].num,
		       case_names[cases[i].num]);
	}
	return harness_finish();
}
