/* SPDX-License-Identifier: MIT */
/*
 * driftd's next hops for the xsk port: each installed session's slot
 * carries the route (MACs, source address) the dataplane frames its DATA
 * with. Routes are resolved through rtnetlink (route_nl.h), cached by peer
 * address, and resolved again when the kernel reports a neighbour, route,
 * address or link change, or while a resolution is pending (the next hop's
 * MAC not learnt yet). With the udp port nothing here runs.
 */
#include "control/driftd.h"

#include "control/route_nl.h"
#include "dataplane/session_table.h"

#include <stdio.h>
#include <string.h>

static bool needs_routes(const struct driftd *d)
{
	return strcmp(d->table.hdr->port_type, "xsk") == 0;
}

static bool same_ip(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

void routes_fini(struct driftd *d)
{
	route_nl_close(d->routes.nl);
	d->routes.nl = NULL;
	d->routes.n = 0;
}

/* A cached or freshly resolved route; flags 0 when it is not known (yet). */
void routes_lookup(struct driftd *d, const struct net_addr *dst, struct net_route *out)
{
	struct driftd_routes *r = &d->routes;
	struct driftd_route_entry *e;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!needs_routes(d) || !addr_is_set(dst))
		return;
	if (!r->nl && route_nl_open(&r->nl) != 0) {
		r->nl = NULL;
		return;
	}
	for (uint32_t i = 0; i < r->n; i++)
		if (same_ip(&r->cache[i].ip, dst) && r->cache[i].rc == 0) {
			*out = r->cache[i].route;
			out->src.port = d->table.hdr->listen_port;
			return;
		}
	rc = route_nl_resolve(r->nl, dst, d->table.hdr->listen_port, out);
	if (rc) {
		memset(out, 0, sizeof(*out));
		r->has_pending = true;
		d->stats.route_failures++;
		if (rc != -EAGAIN && r->last_error != rc) {
			char a[64];

			addr_format(a, sizeof(a), dst);
			fprintf(stderr, "driftd: no route for the xsk port to %s: %s\n", a,
				strerror(-rc));
		}
		r->last_error = rc;
		return;
	}
	d->stats.route_resolves++;
	/* Full: the oldest half goes (peers rarely share so few next hops). */
	if (r->n == DRIFTD_ROUTE_CACHE) {
		memmove(r->cache, r->cache + DRIFTD_ROUTE_CACHE / 2,
			(DRIFTD_ROUTE_CACHE / 2) * sizeof(r->cache[0]));
		r->n = DRIFTD_ROUTE_CACHE / 2;
	}
	e = &r->cache[r->n++];
	e->ip = *dst;
	e->route = *out;
	e->rc = 0;
}

/* Every 100 ms: after a kernel change (or while one is pending) rewrite every slot's route. */
void routes_tick(struct driftd *d)
{
	struct driftd_routes *r = &d->routes;
	struct shm_table_header *h = d->table.hdr;
	bool is_changed;

	if (!needs_routes(d) || !r->nl) {
		if (!needs_routes(d) && r->nl)
			routes_fini(d);
		return;
	}
	is_changed = route_nl_drain_changes(r->nl);
	if (!is_changed && !r->has_pending)
		return;
	r->n = 0;
	r->has_pending = false;
	for (uint32_t i = 0; i < h->slot_count; i++) {
		struct shm_slot *s = shm_slot_at(h, i);
		struct net_route route;

		if (!d->slot_peer[i] || s->state != SHM_SLOT_ACTIVE)
			continue;
		routes_lookup(d, &s->addr, &route);
		if (memcmp(&route, &s->route, sizeof(route)) == 0)
			continue;
		session_table_write_begin(s);
		s->route = route;
		session_table_write_end(h, s);
		d->stats.route_updates++;
	}
}
