/* SPDX-License-Identifier: MIT */
/*
 * Replay window advance. The ring is indexed by seq / 64; moving `highest`
 * forward clears every word between the old and the new top word (at most
 * the whole ring) so stale bits from a previous lap never read as "seen".
 */
#include "proto/replay.h"

void replay_commit(struct replay_window *w, uint32_t seq)
{
	if (replay_is_newer(seq, w->highest)) {
		uint32_t top = w->highest >> 6, new_top = seq >> 6;
		/*
		 * Word numbers are 26 bits wide: take the distance mod 2^26, or a
		 * step across 2^32 looks like a huge jump and wipes bits still
		 * inside the window (a seq just below the wrap then reads unseen).
		 */
		uint32_t words = (new_top - top) & (UINT32_MAX >> 6);

		if (words > REPLAY_WORDS)
			words = REPLAY_WORDS;
		for (uint32_t i = 1; i <= words; i++)
			w->bits[(top + i) % REPLAY_WORDS] = 0;
		w->highest = seq;
	}
	w->bits[(seq >> 6) % REPLAY_WORDS] |= UINT64_C(1) << (seq & 63);
}
