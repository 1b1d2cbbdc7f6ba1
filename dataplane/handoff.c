/* SPDX-License-Identifier: MIT */
#include "dataplane/handoff.h"

#include "dataplane/app_channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int handoff_init(struct handoff *h, uint32_t workers)
{
	size_t bytes = spsc_ring_bytes(HANDOFF_RING_ENTRIES, sizeof(struct shm_event));

	memset(h, 0, sizeof(*h));
	if (!workers || workers > SHM_MAX_WORKERS)
		return -EINVAL;
	h->workers = workers;
	for (uint32_t f = 0; f < workers; f++)
		for (uint32_t t = 0; t < workers; t++) {
			if (f == t)
				continue;
			h->ring[f][t] = aligned_alloc(SHM_CACHE_LINE,
						      (bytes + SHM_CACHE_LINE - 1) &
							      ~(size_t)(SHM_CACHE_LINE - 1));
			if (!h->ring[f][t] || !spsc_ring_init(h->ring[f][t], HANDOFF_RING_ENTRIES,
							      sizeof(struct shm_event))) {
				handoff_fini(h);
				return -ENOMEM;
			}
		}
	return 0;
}

void handoff_fini(struct handoff *h)
{
	for (uint32_t f = 0; f < SHM_MAX_WORKERS; f++)
		for (uint32_t t = 0; t < SHM_MAX_WORKERS; t++) {
			free(h->ring[f][t]);
			h->ring[f][t] = NULL;
		}
}

bool handoff_push(struct handoff *h, uint32_t from, uint32_t to, const struct port_pkt *pkt)
{
	struct spsc_ring *r = h->ring[from][to];
	struct shm_event *e;
	uint32_t at;

	if (!r || pkt->len > WIRE_MAX_PACKET_BYTES || !spsc_ring_reserve(r, 1, &at))
		return false;
	e = spsc_ring_entry(r, at);
	e->type = SHM_EV_PUNT;
	e->len = pkt->len;
	e->from = pkt->addr;
	memcpy(e->data, pkt->data, pkt->len);
	spsc_ring_submit(r, 1);
	h->pending[from] |= 1u << to;
	return true;
}

uint32_t handoff_flush(struct handoff *h, uint32_t from)
{
	uint32_t woken = 0, p = h->pending[from];

	h->pending[from] = 0;
	while (p) {
		uint32_t to = (uint32_t)__builtin_ctz(p);

		p &= p - 1;
		woken += app_channel_wake(&h->waker[to].wake, &h->waker[to].needs_wakeup);
	}
	return woken;
}
