/* SPDX-License-Identifier: MIT */
/*
 * A worker's private index from a receive CID to the (slot, epoch position)
 * pairs whose epoch has SHM_EPOCH_RX and that CID. It is a snapshot of the
 * table: rebuilt whole when hdr->install_seq moved, never updated in place,
 * so lookups take no lock and touch no shared line. 16-bit CIDs collide
 * (WIRE.md §24 Q6), so one CID may list several entries; the rx stage
 * tries each and lets the AEAD tag decide.
 *
 * An entry can be stale by the time a packet uses it (driftd rewrote the
 * slot after the rebuild): the rx stage re-reads the slot under its seqlock
 * and skips an entry whose epoch no longer carries the CID.
 *
 * Memory: 65536 chain heads plus 2 entries per slot, allocated once at
 * worker start; lookups and rebuilds never allocate.
 */
#ifndef DRIFT_DATAPLANE_CID_INDEX_H
#define DRIFT_DATAPLANE_CID_INDEX_H

#include "internal/shm_layout.h"

#include <stdint.h>

enum cid_index_const {
	CID_INDEX_HEADS = 65536,
	CID_INDEX_END = UINT32_MAX, /* end of a chain */
};

struct cid_index_entry {
	uint32_t slot;
	uint16_t cid;
	uint8_t ep; /* epoch position in the slot, 0 or 1 */
	uint8_t pad;
	uint32_t next; /* next entry with the same CID, or CID_INDEX_END */
};

struct cid_index {
	uint32_t *heads;		 /* [CID_INDEX_HEADS] first entry per CID */
	struct cid_index_entry *entries; /* [capacity] */
	uint32_t capacity, used;
	uint64_t built_seq; /* hdr->install_seq the last rebuild saw */
};

/* Allocates for `slot_count` slots; the index starts empty. Returns 0 or -ENOMEM. */
int cid_index_init(struct cid_index *x, uint32_t slot_count);

/* Frees; safe on a zeroed index. */
void cid_index_fini(struct cid_index *x);

/*
 * Re-reads every slot of `h` under its seqlock and rebuilds the index.
 * Records the install_seq read (acquire) before the walk, so a change made
 * during the walk is seen as "moved" by cid_index_is_stale().
 */
void cid_index_rebuild(struct cid_index *x, struct shm_table_header *h);

/* True if driftd changed a slot since the last rebuild. */
static inline bool cid_index_is_stale(const struct cid_index *x, struct shm_table_header *h)
{
	return load_acquire(&h->install_seq) != x->built_seq;
}

/* First entry for `cid` (an index into x->entries), or CID_INDEX_END. */
static inline uint32_t cid_index_first(const struct cid_index *x, uint16_t cid)
{
	return x->heads[cid];
}

#endif
