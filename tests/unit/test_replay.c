/* SPDX-License-Identifier: MIT */
/*
 * proto/replay: the two-phase receive window. Each numbered case is a
 * script of (seq, expected verdict) steps run against a fresh window; an
 * accepted step is committed, a refused one is not, exactly as the engine
 * does after the tag verifies. Separate cases show that replay_check()
 * alone never changes the window, and that the window is wider than the
 * reference's 128 packets (WIRE.md §24 Q4).
 */
#include "proto/replay.h"

#include "tests/lib/harness.h"

enum {
	W = REPLAY_WINDOW_PKTS,
};

/* A word of the ring holds 64 seqs; the ring holds REPLAY_WORDS of them. */
#define RING_SEQS ((uint32_t)REPLAY_WORDS * 64)

static const char *const case_names[] = {
	[1] = "seq 0 is never valid, before or after traffic",
	[2] = "in order",
	[3] = "duplicates refused, newest and older alike",
	[4] = "out of order inside the window",
	[5] = "window edge: W-1 behind accepted, W behind refused",
	[6] = "edge again after the window slides by one",
	[7] = "a jump longer than the ring clears every stale bit",
	[8] = "a short advance clears exactly the words it enters",
	[9] = "wrap-around near 2^32",
	[10] = "a seq half the space ahead is not newer: refused",
	[11] = "Q4: 200 behind the highest (the reference's 128 refuses it)",
	[12] = "first packet may be far ahead of zero",
};

/*
 * One step of a case: replay_check(seq) must say `is_fresh`; a fresh seq
 * is then committed. Each case starts from a reset window.
 */
struct step {
	int num;
	uint32_t seq;
	bool is_fresh;
};

static const struct step steps[] = {
	{1, 0, false},
	{1, 1, true},
	{1, 0, false},
	{1, 5, true},
	{1, 0, false},

	{2, 1, true},
	{2, 2, true},
	{2, 3, true},
	{2, 4, true},
	{2, 5, true},

	{3, 1, true},
	{3, 1, false},
	{3, 2, true},
	{3, 5, true},
	{3, 5, false},
	{3, 2, false},

	{4, 10, true},
	{4, 7, true},
	{4, 3, true},
	{4, 9, true},
	{4, 7, false},
	{4, 10, false},
	{4, 8, true},
	{4, 3, false},

	{5, 5000, true},
	{5, 5000 - (W - 1), true},
	{5, 5000 - W, false},
	{5, 5000 - W - 1, false},
	{5, 5000 - (W - 1), false},

	{6, 5000, true},
	{6, 5001, true},
	{6, 5001 - (W - 1), true},
	{6, 5001 - W, false},

	{7, 70, true},
	{7, 70 + 40 * 64, true},
	{7, 70 + RING_SEQS, true}, /* same ring slot as 70, never seen */
	{7, 70 + RING_SEQS, false},

	{8, 70, true},
	{8, 31 * 64 + 5, true},
	{8, 70, false},		 /* its word was not entered: still seen */
	{8, 33 * 64 + 10, true}, /* enters words 32 and 33 (ring slots 0, 1) */
	{8, 33 * 64 + 6, true},	 /* slot 1, bit 6: 70's old bit is gone */
	{8, 33 * 64 + 6, false},

	{9, 1, true},
	{9, 0x7ffffff0, true},
	{9, 0xffffffe0, true},
	{9, 0xfffffff0, true},
	{9, 5, true}, /* newer across the wrap */
	{9, 0xfffffff0, false},
	{9, 0xffffffe0, false},
	{9, 0xfffffff5, true},
	{9, 0, false},
	{9, 3, true},
	{9, 5, false},
	{9, 3, false},

	{10, 100, true},
	{10, 100 + 0x80000000u, false},
	{10, 101, true},

	{11, 1000, true},
	{11, 800, true},
	{11, 800, false},
	{11, 1000 - 128, true},
	{11, 1000 - 127, true},

	{12, 0x40000000, true},
	{12, 0x40000000 - 1, true},
	{12, 1, false},
};

static void test_cases(void)
{
	struct replay_window w;
	int num = 0;

	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		const struct step *s = &steps[i];
		bool got;

		if (s->num != num) {
			num = s->num;
			replay_reset(&w);
		}
		got = replay_check(&w, s->seq);
		if (got != s->is_fresh)
			fprintf(stderr, "  case %d (%s): seq %u check %d, want %d\n", num,
				case_names[num], s->seq, got, s->is_fresh);
		CHECK(got == s->is_fresh);
		if (got)
			replay_commit(&w, s->seq);
	}
}

/* 13: replay_check() alone never changes the window, whatever it is asked. */
static void test_check_is_pure(void)
{
	static const uint32_t probes[] = {0,
					  1,
					  2,
					  999,
					  1000,
					  1001,
					  1000 - W,
					  1000 - W + 1,
					  0x7fffffff,
					  0x80000000,
					  0xfffffffe,
					  0xffffffff,
					  1000 + RING_SEQS,
					  1000 + 5 * RING_SEQS};
	struct replay_window w, before;

	replay_reset(&w);
	replay_commit(&w, 1000);
	replay_commit(&w, 990);
	replay_commit(&w, 500);
	before = w;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < ARRAY_LEN(probes); i++)
			(void)replay_check(&w, probes[i]);
	CHECK_MEM(&w, &before, sizeof(w));
	/* A fresh seq stays fresh until committed, however often it is checked. */
	CHECK(replay_check(&w, 1001));
	CHECK(replay_check(&w, 1001));
	CHECK(replay_check(&w, 995));
	CHECK(replay_check(&w, 995));
	CHECK(!replay_check(&w, 990));
}

/* 14: every seq of a full window in reverse, then all of them again refused. */
static void test_full_window(void)
{
	struct replay_window w;
	uint32_t top = 3 * RING_SEQS + 17;
	unsigned fresh = 0, stale = 0;

	replay_reset(&w);
	for (uint32_t back = 0; back < W; back++) {
		if (replay_check(&w, top - back)) {
			replay_commit(&w, top - back);
			fresh++;
		}
	}
	CHECK_EQ(fresh, W);
	for (uint32_t back = 0; back < W + 64; back++)
		stale += !replay_check(&w, top - back);
	CHECK_EQ(stale, W + 64);
	CHECK(replay_check(&w, top + 1));
}

/* 15: serial-number "newer" is what the window and coalescing rely on. */
static void test_is_newer(void)
{
	static const struct {
		uint32_t seq, than;
		bool is_newer;
	} t[] = {
		{1, 0, true},	       {0, 0, false},	       {5, 6, false},
		{0x80000000, 1, true}, {0x80000001, 1, false}, {0, 0xffffffff, true},
		{0x7fffffff, 0, true}, {0x80000000, 0, false}, {3, 0xfffffff0, true},
	};

	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		CHECK_EQ(replay_is_newer(t[i].seq, t[i].than), t[i].is_newer);
}

int main(void)
{
	test_cases();
	test_check_is_pure();
	test_full_window();
	test_is_newer();
	return harness_finish();
}
