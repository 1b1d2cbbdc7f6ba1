/* SPDX-License-Identifier: MIT */
/*
 * What `drift show` prints, built by driftd from the engine and the shared
 * table (counters the workers keep per session and per worker, read
 * without stopping them). Two forms, like `wg show`: lines for people, and
 * a stable tab-separated dump for scripts (fields in docs/driftd.md).
 */
#include "bpf/drift_xdp.h"
#include "control/driftd.h"

#include "dataplane/drop.h"
#include "internal/atomics.h"
#include "tools/hex.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct peer_totals {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, drops;
	uint64_t fwd_packets, fwd_bytes; /* received and forwarded by the dataplane */
};

/* Dataplane counters of slot i over every worker, plus the engine's own (long headers). */
static void totals_of(struct driftd *d, const struct driftd_peer *p, struct peer_totals *t)
{
	struct engine_peer_info info;

	memset(t, 0, sizeof(*t));
	if (p->slot >= 0)
		for (uint32_t w = 0; w < d->table.hdr->worker_count; w++) {
			const struct shm_slot_stats *s =
				shm_slot_stats_at(d->table.hdr, w, (uint32_t)p->slot);

			t->rx_packets += s->rx_packets;
			t->rx_bytes += s->rx_bytes;
			t->tx_packets += s->tx_packets;
			t->tx_bytes += s->tx_bytes;
			t->drops += s->drops;
			t->fwd_packets += s->fwd_packets;
			t->fwd_bytes += s->fwd_bytes;
		}
	if (engine_peer_info(d->engine, p->id, &info) == 0) {
		t->rx_packets += info.rx_packets;
		t->rx_bytes += info.rx_bytes;
		t->tx_packets += info.tx_packets;
		t->tx_bytes += info.tx_bytes;
	}
}

static void human_bytes(char *out, size_t len, uint64_t b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.2f %s" : "%.0f %s", v, unit[u]);
}

static bool dp_is_alive(struct driftd *d)
{
	uint64_t hb = read_once(&d->table.hdr->dp_heartbeat_ms);

	return hb && driftd_now_ms() - hb < 1000;
}

static void show_interface(struct driftd *d, bool is_dump, void (*line)(void *, const char *),
			   void *ctx)
{
	struct shm_table_header *h = d->table.hdr;
	char pub[2 * WIRE_KEY_BYTES + 1], buf[1024], bind[64];

	hex_encode(pub, d->pub, WIRE_KEY_BYTES);
	addr_format(bind, sizeof(bind), &d->bind_addr);
	if (is_dump) {
		snprintf(buf, sizeof(buf), "interface\t%s\t%u\t%s\t%u\t%s\t%s\t%u\t%s\t%s", pub,
			 h->listen_port, h->port_type, h->worker_count, d->caps_kept, h->dp_caps,
			 h->dp_pid, dp_is_alive(d) ? "up" : "down", h->port_why);
		return line(ctx, buf);
	}
	snprintf(buf, sizeof(buf), "interface: %s (driftd pid %d, drift-dp pid %u%s)", d->name,
		 (int)getpid(), h->dp_pid, dp_is_alive(d) ? "" : ", NOT RUNNING");
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  public key: %s", pub);
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  listening port: %u (%s)", h->listen_port, bind);
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  port type: %s, %u worker%s (%s)", h->port_type,
		 h->worker_count, h->worker_count == 1 ? "" : "s", h->port_why);
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  capabilities kept: driftd %s; drift-dp %s", d->caps_kept,
		 h->dp_caps);
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  sessions: %u installed of %u slots",
		 h->slot_count - d->free_count, h->slot_count);
	line(ctx, buf);
}

/* The bridge pair this peer's DATA is forwarded on, if any, with its counters. */
static void show_forward(struct driftd *d, const struct driftd_peer *p, uint64_t packets,
			 uint64_t bytes, bool is_dump, void (*line)(void *, const char *),
			 void *ctx)
{
	char from[2 * WIRE_PEER_ID_BYTES + 1], to[2 * WIRE_PEER_ID_BYTES + 1], b[32], buf[256];

	for (uint32_t i = 0; i < d->fwd_count; i++) {
		if (memcmp(d->fwds[i].from, p->id, WIRE_PEER_ID_BYTES))
			continue;
		hex_encode(from, p->id, WIRE_PEER_ID_BYTES);
		hex_encode(to, d->fwds[i].to, WIRE_PEER_ID_BYTES);
		human_bytes(b, sizeof(b), bytes);
		if (is_dump)
			snprintf(buf, sizeof(buf), "forward\t%s\t%s\t%llu\t%llu", from, to,
				 (unsigned long long)packets, (unsigned long long)bytes);
		else
			snprintf(buf, sizeof(buf), "  forwarded to %s: %llu packets, %s", to,
				 (unsigned long long)packets, b);
		line(ctx, buf);
	}
}

static void show_peer(struct driftd *d, const struct driftd_peer *p, bool is_dump,
		      void (*line)(void *, const char *), void *ctx)
{
	struct engine_session_export s;
	struct peer_totals t;
	char pub[2 * WIRE_KEY_BYTES + 1], id[2 * WIRE_PEER_ID_BYTES + 1], ep[64], buf[1024];
	char rx[32], tx[32];
	uint64_t hs_unix_ms = 0;

	if (engine_session_export(d->engine, driftd_now_ms(), p->id, &s) != 0)
		return;
	hex_encode(pub, s.pub, WIRE_KEY_BYTES);
	hex_encode(id, s.id, WIRE_PEER_ID_BYTES);
	addr_format(ep, sizeof(ep), &s.addr);
	if (p->slot >= 0)
		hs_unix_ms = shm_slot_at(d->table.hdr, (uint32_t)p->slot)->last_handshake_unix_ms;
	totals_of(d, p, &t);
	if (is_dump) {
		snprintf(buf, sizeof(buf),
			 "peer\t%s\t%s\t%s\t%s\t%d\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%u", pub,
			 id, ep, engine_peer_state_name(s.state), p->slot,
			 (unsigned long long)(hs_unix_ms / 1000), (unsigned long long)t.rx_bytes,
			 (unsigned long long)t.tx_bytes, (unsigned long long)t.rx_packets,
			 (unsigned long long)t.tx_packets, (unsigned long long)t.drops,
			 p->epoch_id[0]);
		line(ctx, buf);
		show_forward(d, p, t.fwd_packets, t.fwd_bytes, true, line, ctx);
		goto out;
	}
	snprintf(buf, sizeof(buf), "peer: %s", pub);
	line(ctx, buf);
	snprintf(buf, sizeof(buf), "  id: %s  endpoint: %s  state: %s", id, ep,
		 engine_peer_state_name(s.state));
	line(ctx, buf);
	if (p->slot >= 0) {
		uint64_t now = driftd_unix_ms();

		snprintf(buf, sizeof(buf), "  slot %d, key epoch %u; latest handshake: %llu s ago",
			 p->slot, p->epoch_id[0],
			 (unsigned long long)(now > hs_unix_ms ? (now - hs_unix_ms) / 1000 : 0));
		line(ctx, buf);
	}
	human_bytes(rx, sizeof(rx), t.rx_bytes);
	human_bytes(tx, sizeof(tx), t.tx_bytes);
	snprintf(buf, sizeof(buf), "  transfer: %s received, %s sent (%llu / %llu packets)", rx, tx,
		 (unsigned long long)t.rx_packets, (unsigned long long)t.tx_packets);
	line(ctx, buf);
	show_forward(d, p, t.fwd_packets, t.fwd_bytes, false, line, ctx);
out:
	engine_session_export_wipe(&s);
}

/* The XDP steering program's verdicts, as drift-dp copies them (xsk port only). */
static void show_xdp(const struct shm_table_header *h, bool is_dump,
		     void (*line)(void *, const char *), void *ctx)
{
	static const char *const names[DRIFT_XDP_V_COUNT] = {
		"redirect", "pass_other", "pass_long", "pass_cid", "pass_no_xsk", "pass_malformed",
	};
	char buf[512];
	int at = 0;

	if (strcmp(h->port_type, "xsk") != 0)
		return;
	for (int v = 0; v < DRIFT_XDP_V_COUNT; v++) {
		if (is_dump) {
			snprintf(buf, sizeof(buf), "xdp\t%s\t%llu", names[v],
				 (unsigned long long)h->xdp_verdicts[v]);
			line(ctx, buf);
			continue;
		}
		at += snprintf(buf + at, sizeof(buf) - (size_t)at, "%s %s %llu",
			       v ? "," : "xdp:", names[v], (unsigned long long)h->xdp_verdicts[v]);
	}
	if (!is_dump)
		line(ctx, buf);
}

/* How driftd handled what drift-dp handed it: where a punted packet can end up. */
static void show_driftd_counters(struct driftd *d, bool is_dump, void (*line)(void *, const char *),
				 void *ctx)
{
	const struct driftd_stats *s = &d->stats;
	const struct {
		const char *name;
		uint64_t value;
	} c[] = {
		{"punts", s->punts},
		{"reinjected", s->reinjected},
		{"reinject_full", s->reinject_full},
		{"stash_retried", s->retried},
		{"stash_expired", s->retry_expired},
		{"stash_full", s->retry_full},
		{"stale_events", s->stale_events},
		{"installs", s->installs},
		{"removals", s->removals},
		{"awaiting_data", engine_awaiting_data_count(d->engine)},
	};
	char buf[512];
	size_t at = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (is_dump) {
			snprintf(buf, sizeof(buf), "driftd\t%s\t%llu", c[i].name,
				 (unsigned long long)c[i].value);
			line(ctx, buf);
		} else if (at < sizeof(buf)) {
			at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s %s %llu",
					       i ? "," : "driftd:", c[i].name,
					       (unsigned long long)c[i].value);
		}
	}
	if (!is_dump)
		line(ctx, buf);
}

static void show_counters(struct driftd *d, bool is_dump, void (*line)(void *, const char *),
			  void *ctx)
{
	struct shm_table_header *h = d->table.hdr;
	const struct engine_stats *es = engine_stats(d->engine);
	uint64_t drops[SHM_DROP_COUNT] = {0};
	char buf[512];

	for (uint32_t w = 0; w < h->worker_count; w++) {
		const struct shm_worker_stats *s = shm_worker_stats_at(h, w);

		for (int r = 0; r < SHM_DROP_COUNT; r++)
			drops[r] += s->drops[r];
		snprintf(
			buf, sizeof(buf),
			is_dump ? "worker\t%u\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu"
				  "\t%llu\t%llu\t%llu"
				: "worker %u: rx %llu packets, tx %llu packets, rx %llu B, tx %llu "
				  "B, punted %llu, cid collisions %llu, sleeps %llu, GRO segments "
				  "%llu, GSO sends %llu, handed off %llu, handed in %llu, "
				  "forwarded "
				  "%llu",
			w, (unsigned long long)s->rx_packets, (unsigned long long)s->tx_packets,
			(unsigned long long)s->rx_bytes, (unsigned long long)s->tx_bytes,
			(unsigned long long)s->punted, (unsigned long long)s->cid_collisions,
			(unsigned long long)s->sleeps, (unsigned long long)s->gro_segments,
			(unsigned long long)s->gso_sends, (unsigned long long)s->handed_off,
			(unsigned long long)s->handed_in, (unsigned long long)s->forwarded);
		line(ctx, buf);
	}
	show_xdp(h, is_dump, line, ctx);
	if (!is_dump)
		line(ctx, "drops:");
	for (int r = 0; r < SHM_DROP_COUNT; r++) {
		if (!drops[r])
			continue;
		snprintf(buf, sizeof(buf), is_dump ? "drop\tdp\t%s\t%llu" : "  drift-dp %s: %llu",
			 drop_name((enum shm_drop)r), (unsigned long long)drops[r]);
		line(ctx, buf);
	}
	for (int r = 0; r < DROP_COUNT; r++) {
		if (!es->drops[r])
			continue;
		snprintf(buf, sizeof(buf), is_dump ? "drop\tengine\t%s\t%llu" : "  driftd %s: %llu",
			 engine_drop_name((enum engine_drop)r), (unsigned long long)es->drops[r]);
		line(ctx, buf);
	}
	show_driftd_counters(d, is_dump, line, ctx);
}

void show_write(struct driftd *d, bool is_dump, void (*line)(void *ctx, const char *text),
		void *ctx)
{
	show_interface(d, is_dump, line, ctx);
	for (uint32_t b = 0; b < DRIFTD_PEER_BUCKETS; b++)
		for (struct driftd_peer *p = d->buckets[b]; p; p = p->hash_next)
			show_peer(d, p, is_dump, line, ctx);
	show_counters(d, is_dump, line, ctx);
}
