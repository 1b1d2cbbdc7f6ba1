/* SPDX-License-Identifier: MIT */
/*
 * Building a worker's CID index from the shared table (cid_index.h). The
 * rebuild is O(slots) and runs only when driftd installed or removed
 * something, which is rare next to packets.
 */
#include "dataplane/cid_index.h"

#include "dataplane/session_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cid_index_init(struct cid_index *x, uint32_t slot_count)
{
	memset(x, 0, sizeof(*x));
	x->capacity = slot_count * 2;
	x->heads = malloc(sizeof(*x->heads) * CID_INDEX_HEADS);
	x->entries = calloc(x->capacity ? x->capacity : 1, sizeof(*x->entries));
	if (!x->heads || !x->entries) {
		cid_index_fini(x);
		return -ENOMEM;
	}
	memset(x->heads, 0xff, sizeof(*x->heads) * CID_INDEX_HEADS);
	/* Not built yet: any install_seq, even 0, makes the first lookup rebuild. */
	x->built_seq = UINT64_MAX;
	return 0;
}

void cid_index_fini(struct cid_index *x)
{
	free(x->heads);
	free(x->entries);
	memset(x, 0, sizeof(*x));
}

/* The receive CIDs of one slot as a consistent snapshot; returns how many (0..2). */
static uint32_t read_rx_cids(struct shm_slot *s, uint16_t cids[2], uint8_t eps[2])
{
	uint32_t n, q, tries = 0;

	do {
		q = session_table_read_begin(s);
		n = 0;
		if (s->state == SHM_SLOT_ACTIVE) {
			for (uint8_t e = 0; e < 2; e++) {
				if (!(s->ep[e].flags & SHM_EPOCH_RX))
					continue;
				cids[n] = s->ep[e].rx_cid;
				eps[n++] = e;
			}
		}
	} while (session_table_read_retry(s, q) && ++tries < SESSION_TABLE_READ_TRIES);
	/* A slot mid-write for that long is indexed as empty; install_seq will move again. */
	return tries < SESSION_TABLE_READ_TRIES ? n : 0;
}

static void add(struct cid_index *x, uint32_t slot, uint16_t cid, uint8_t ep)
{
	struct cid_index_entry *e;

	if (x->used >= x->capacity)
		return;
	e = &x->entries[x->used];
	e->slot = slot;
	e->cid = cid;
	e->ep = ep;
	e->next = x->heads[cid];
	x->heads[cid] = x->used++;
}

void cid_index_rebuild(struct cid_index *x, struct shm_table_header *h)
{
	uint32_t slots = h->slot_count;

	/* Clear only the heads in use: cheaper than 256 KiB of memset per install. */
	for (uint32_t i = 0; i < x->used; i++)
		x->heads[x->entries[i].cid] = CID_INDEX_END;
	x->used = 0;
	x->built_seq = load_acquire(&h->install_seq);
	if (slots > x->capacity / 2)
		slots = x->capacity / 2;
	for (uint32_t i = 0; i < slots; i++) {
		uint16_t cids[2];
		uint8_t eps[2];
		uint32_t n = read_rx_cids(shm_slot_at(h, i), cids, eps);

		for (uint32_t k = 0; k < n; k++)
			add(x, i, cids[k], eps[k]);
	}
}
