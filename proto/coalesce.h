/* SPDX-License-Identifier: MIT */
/*
 * Semantic coalescing (WIRE.md §12.4): per peer, the newest seq delivered
 * in each `supersedes` group, at most 256 groups, the oldest-inserted group
 * evicted when a new one arrives at a full table. An update is delivered
 * only if it is newer than what its group last delivered, so a stale
 * update never overwrites a fresh one at the application.
 */
#ifndef DRIFT_PROTO_COALESCE_H
#define DRIFT_PROTO_COALESCE_H

#include <stdbool.h>
#include <stdint.h>

enum coalesce_size {
	COALESCE_GROUPS = 256,
};

struct coalesce_table {
	uint32_t group[COALESCE_GROUPS]; /* insertion-ordered ring */
	uint32_t newest[COALESCE_GROUPS];
	uint16_t count;
	uint16_t oldest; /* ring index of the oldest-inserted group */
};

void coalesce_reset(struct coalesce_table *t);

/*
 * Returns true if (group, seq) is to be delivered and records it; false if
 * a newer or equal seq of the group was already delivered. group != 0.
 */
bool coalesce_admit(struct coalesce_table *t, uint32_t group, uint32_t seq);

#endif
