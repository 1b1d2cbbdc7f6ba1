/* SPDX-License-Identifier: MIT */
/*
 * Coalescing table: a linear scan over at most 256 groups. Only DATA that
 * carries a non-zero `supersedes` reaches it (such packets always use the
 * long header, never the fast path), so the scan is off the hot path.
 */
#include "proto/coalesce.h"

#include "proto/replay.h"

#include <string.h>

void coalesce_reset(struct coalesce_table *t)
{
	memset(t, 0, sizeof(*t));
}

bool coalesce_admit(struct coalesce_table *t, uint32_t group, uint32_t seq)
{
	uint16_t slot;

	for (uint16_t i = 0; i < t->count; i++) {
		slot = (uint16_t)((t->oldest + i) % COALESCE_GROUPS);
		if (t->group[slot] != group)
			continue;
		if (!replay_is_newer(seq, t->newest[slot]))
			return false;
		t->newest[slot] = seq;
		return true;
	}
	if (t->count == COALESCE_GROUPS) {
		/* Full: the oldest-inserted group gives way (FIFO, as the reference). */
		slot = t->oldest;
		t->oldest = (uint16_t)((t->oldest + 1) % COALESCE_GROUPS);
	} else {
		slot = (uint16_t)((t->oldest + t->count) % COALESCE_GROUPS);
		t->count++;
	}
	t->group[slot] = group;
	t->newest[slot] = seq;
	return true;
}
