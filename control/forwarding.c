/* SPDX-License-Identifier: MIT */
/*
 * Bridge forwarding pairs (ctl "forward A B"): DATA opened on A's session
 * is re-sealed by the dataplane and sent on B's, and the other way round.
 * Pairs are kept by peer id, so they outlive re-handshakes and drift-dp
 * restarts; every slot write and every tick resolves them to the slot and
 * generation the target is installed at right now.
 */
#include "control/driftd.h"

#include "dataplane/session_table.h"

#include <errno.h>
#include <string.h>

static int find(const struct driftd *d, const uint8_t from[WIRE_PEER_ID_BYTES])
{
	for (uint32_t i = 0; i < d->fwd_count; i++)
		if (!memcmp(d->fwds[i].from, from, WIRE_PEER_ID_BYTES))
			return (int)i;
	return -1;
}

static int set_one(struct driftd *d, const uint8_t from[WIRE_PEER_ID_BYTES],
		   const uint8_t to[WIRE_PEER_ID_BYTES])
{
	int i = find(d, from);

	if (i < 0) {
		if (d->fwd_count == DRIFTD_FWD_MAX)
			return -ENOSPC;
		i = (int)d->fwd_count++;
	}
	memcpy(d->fwds[i].from, from, WIRE_PEER_ID_BYTES);
	memcpy(d->fwds[i].to, to, WIRE_PEER_ID_BYTES);
	return 0;
}

int forwarding_add(struct driftd *d, const uint8_t a[WIRE_PEER_ID_BYTES],
		   const uint8_t b[WIRE_PEER_ID_BYTES])
{
	int rc;

	if (!memcmp(a, b, WIRE_PEER_ID_BYTES))
		return -EINVAL;
	/* Both or neither: a half pair would forward one way and deliver the other locally. */
	if (d->fwd_count + (find(d, a) < 0) + (find(d, b) < 0) > DRIFTD_FWD_MAX)
		return -ENOSPC;
	if ((rc = set_one(d, a, b)) != 0 || (rc = set_one(d, b, a)) != 0)
		return rc;
	forwarding_tick(d);
	return 0;
}

int forwarding_remove(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	uint32_t kept = 0, before = d->fwd_count;

	for (uint32_t i = 0; i < d->fwd_count; i++)
		if (memcmp(d->fwds[i].from, id, WIRE_PEER_ID_BYTES) &&
		    memcmp(d->fwds[i].to, id, WIRE_PEER_ID_BYTES))
			d->fwds[kept++] = d->fwds[i];
	d->fwd_count = kept;
	forwarding_tick(d);
	return kept < before ? 0 : -ENOENT;
}

void forwarding_target(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES], uint32_t *fwd_to,
		       uint32_t *fwd_generation)
{
	int i = find(d, id);
	struct driftd_peer *t;

	*fwd_to = 0;
	*fwd_generation = 0;
	if (i < 0)
		return;
	t = installer_peer(d, d->fwds[i].to, false);
	if (!t || t->slot < 0)
		return;
	*fwd_to = (uint32_t)t->slot + 1;
	*fwd_generation = t->generation;
}

/* Brings every installed slot's forwarding fields in line with the pairs. */
void forwarding_tick(struct driftd *d)
{
	struct shm_table_header *h = d->table.hdr;

	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct driftd_peer *p = d->slot_peer[i];
		struct shm_slot *s = shm_slot_at(h, i);
		uint32_t to, gen;

		if (!p)
			continue;
		forwarding_target(d, p->id, &to, &gen);
		if (s->fwd_to == to && s->fwd_generation == gen)
			continue;
		session_table_write_begin(s);
		s->fwd_to = to;
		s->fwd_generation = gen;
		session_table_write_end(h, s);
	}
}
