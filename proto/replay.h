/* SPDX-License-Identifier: MIT */
/*
 * The receive replay window for one key epoch (WIRE.md §13), pure and
 * two-phase: replay_check() before decryption touches nothing, and
 * replay_commit() runs only once the tag has verified, so a forged packet
 * can never move the window.
 *
 * Wider than the reference's 128 packets (WIRE.md §24 Q4): a ring of 32
 * 64-bit words, of which one is always the word being cleared as the
 * window advances, giving REPLAY_WINDOW_PKTS = 31 * 64 = 1984 usable
 * positions. Wider windows interoperate: the sender does not know it.
 */
#ifndef DRIFT_PROTO_REPLAY_H
#define DRIFT_PROTO_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum replay_size {
	REPLAY_WORDS = 32,
	REPLAY_WINDOW_PKTS = (REPLAY_WORDS - 1) * 64,
};

struct replay_window {
	uint32_t highest; /* 0 until the first packet: seq 0 is never valid */
	uint64_t bits[REPLAY_WORDS];
};

static inline void replay_reset(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

/* Serial-number "newer" (RFC 1982 style, as WIRE.md §13 and §12.4 use it). */
static inline bool replay_is_newer(uint32_t seq, uint32_t than)
{
	uint32_t d = seq - than;

	return d != 0 && d < UINT32_C(0x80000000);
}

/* True if `seq` may be accepted: never seen and not too old. */
static inline bool replay_check(const struct replay_window *w, uint32_t seq)
{
	uint32_t back;

	if (seq == 0)
		return false;
	if (replay_is_newer(seq, w->highest))
		return true;
	back = w->highest - seq;
	if (back >= REPLAY_WINDOW_PKTS)
		return false;
	return !(w->bits[(seq >> 6) % REPLAY_WORDS] & (UINT64_C(1) << (seq & 63)));
}

/* Marks `seq` seen. Call only after replay_check() passed and the tag verified. */
void replay_commit(struct replay_window *w, uint32_t seq);

#endif
