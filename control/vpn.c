/* SPDX-License-Identifier: MIT */
/*
 * driftd's drift-vpn mode (vpn.h): configured peers, reconnects,
 * keepalives, the qlog file and the Prometheus endpoint.
 *
 * The metrics socket is served from driftd's 100 ms tick on its one
 * thread, so a scrape reads driftd's state without locks; a scraper waits
 * at most one tick. Each request gets one response and the connection is
 * closed, which is all Prometheus needs.
 */
#include "control/vpn.h"

#include "control/driftd.h"
#include "dataplane/drop.h"
#include "internal/atomics.h"
#include "tools/hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct driftd_vpn_peer *find_by_id(struct driftd *d, const uint8_t id[WIRE_PEER_ID_BYTES])
{
	for (uint32_t i = 0; i < d->vpn.n; i++)
		if (memcmp(d->vpn.peers[i].id, id, WIRE_PEER_ID_BYTES) == 0)
			return &d->vpn.peers[i];
	return NULL;
}

static int open_metrics(struct driftd *d, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	/* Localhost only: the numbers name every peer and are nobody else's business. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
		int e = errno;

		close(fd);
		fprintf(stderr,
			"driftd: cannot serve metrics on 127.0.0.1:%u: %s (pick another "
			"MetricsPort)\n",
			port, strerror(e));
		return -e;
	}
	d->vpn.metrics_fd = fd;
	d->vpn.metrics_port = port;
	return 0;
}

int vpn_init(struct driftd *d, uint16_t metrics_port, const char *qlog_path)
{
	int rc;

	d->vpn.is_on = true;
	d->vpn.metrics_fd = -1;
	d->vpn.peers = calloc(DRIFTD_VPN_MAX_PEERS, sizeof(*d->vpn.peers));
	if (!d->vpn.peers)
		return -ENOMEM;
	if (metrics_port && (rc = open_metrics(d, metrics_port)) != 0)
		return rc;
	if (qlog_path && *qlog_path) {
		int fd = open(qlog_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		d->vpn.qlog = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!d->vpn.qlog) {
			rc = -errno;
			fprintf(stderr, "driftd: cannot open the qlog file %s: %s\n", qlog_path,
				strerror(-rc));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		setvbuf(d->vpn.qlog, NULL, _IOLBF, 0);
	}
	return 0;
}

void vpn_fini(struct driftd *d)
{
	if (!d->vpn.is_on)
		return;
	if (d->vpn.metrics_fd >= 0)
		close(d->vpn.metrics_fd);
	d->vpn.metrics_fd = -1;
	if (d->vpn.qlog)
		fclose(d->vpn.qlog);
	d->vpn.qlog = NULL;
	free(d->vpn.peers);
	d->vpn.peers = NULL;
	d->vpn.n = 0;
}

/* ---- qlog ------------------------------------------------------------------- */

static void qlog(struct driftd *d, const char *name, const uint8_t *pub, const char *fmt, ...)
{
	char hex[2 * WIRE_KEY_BYTES + 1] = "";
	va_list ap;

	if (!d->vpn.qlog)
		return;
	if (pub)
		hex_encode(hex, pub, WIRE_KEY_BYTES);
	fprintf(d->vpn.qlog, "{\"time\":%llu,\"name\":\"%s\",\"data\":{\"peer\":\"%s\"",
		(unsigned long long)driftd_unix_ms(), name, hex);
	if (fmt) {
		va_start(ap, fmt);
		fputc(',', d->vpn.qlog);
		vfprintf(d->vpn.qlog, fmt, ap);
		va_end(ap);
	}
	fputs("}}\n", d->vpn.qlog);
}

void vpn_on_event(struct driftd *d, const struct engine_event *ev)
{
	struct driftd_vpn_peer *v;
	char addr[64];

	if (!d->vpn.is_on || ev->type == ENGINE_EV_DATA)
		return;
	v = find_by_id(d, ev->peer_id);
	switch (ev->type) {
	case ENGINE_EV_ESTABLISHED:
		if (v) {
			v->handshakes++;
			v->needs_confirm = v->has_endpoint;
		}
		qlog(d, "drift:session_established", v ? v->pub : NULL, "\"resumed\":%s",
		     ev->is_resumed ? "true" : "false");
		break;
	case ENGINE_EV_HANDSHAKE_FAILED:
		qlog(d, "drift:handshake_failed", v ? v->pub : NULL, NULL);
		break;
	case ENGINE_EV_CLOSED:
		qlog(d, "drift:session_closed", v ? v->pub : NULL, NULL);
		break;
	case ENGINE_EV_MIGRATED:
		addr_format(addr, sizeof(addr), &ev->addr);
		qlog(d, "drift:path_migrated", v ? v->pub : NULL, "\"endpoint\":\"%s\"", addr);
		break;
	case ENGINE_EV_REKEYED:
		if (v)
			v->handshakes++;
		qlog(d, "drift:key_updated", v ? v->pub : NULL, NULL);
		break;
	default:
		break;
	}
}

bool vpn_on_data(struct driftd *d, const struct engine_event *ev)
{
	struct spsc_ring *r;
	struct shm_event *out;
	struct driftd_vpn_peer *v;
	uint32_t at;

	if (!d->vpn.is_on)
		return false;
	v = find_by_id(d, ev->peer_id);
	/* Keepalives (empty) need no write; strangers have no AllowedIPs. */
	if (!v || !ev->payload_len || ev->payload_len > WIRE_MAX_PAYLOAD_BYTES)
		return true;
	r = shm_reinject_ring_at(d->table.hdr, 0);
	if (spsc_ring_reserve(r, 1, &at) != 1) {
		d->stats.reinject_full++;
		return true;
	}
	out = spsc_ring_entry(r, at);
	memset(out, 0, offsetof(struct shm_event, data));
	out->type = SHM_EV_TUN_WRITE;
	out->len = (uint16_t)(WIRE_KEY_BYTES + ev->payload_len);
	memcpy(out->data, v->pub, WIRE_KEY_BYTES);
	memcpy(out->data + WIRE_KEY_BYTES, ev->payload, ev->payload_len);
	spsc_ring_submit(r, 1);
	d->vpn.early_packets++;
	return true;
}

void vpn_on_want(struct driftd *d, const uint8_t pub[WIRE_KEY_BYTES], uint64_t now_ms)
{
	struct driftd_vpn_peer *v = NULL;
	struct engine_peer_info info;

	if (!d->vpn.is_on)
		return;
	for (uint32_t i = 0; i < d->vpn.n && !v; i++)
		if (!memcmp(d->vpn.peers[i].pub, pub, WIRE_KEY_BYTES))
			v = &d->vpn.peers[i];
	/* Only a peer with no session and no handshake under way (one may be, or be installing). */
	if (!v || !v->has_endpoint || engine_peer_info(d->engine, v->id, &info) != 0 ||
	    info.state != PEER_PENDING || engine_connect(d->engine, now_ms, v->id) != 0)
		return;
	v->connects++;
	v->next_connect_ms = now_ms + VPN_RECONNECT_MS;
	qlog(d, "vpn:connect_attempt", v->pub, "\"reason\":\"traffic\"");
}

/* ---- peers ------------------------------------------------------------------ */

int vpn_add_peer(struct driftd *d, const uint8_t pub[WIRE_KEY_BYTES], const struct net_addr *addr,
		 uint16_t keepalive_s)
{
	struct net_addr none = {0};
	struct driftd_vpn_peer *v;
	struct driftd_peer *p;
	uint8_t id[WIRE_PEER_ID_BYTES];
	int rc;

	if (!d->vpn.is_on)
		return -EPERM;
	rc = engine_add_peer(d->engine, pub, addr ? addr : &none, addr != NULL, id);
	if (rc)
		return rc;
	p = installer_peer(d, id, true);
	if (!p)
		return -ENOMEM;
	p->channel = SHM_CHANNEL_TUN;
	if (p->slot >= 0)
		installer_mark_dirty(d, id);
	v = find_by_id(d, id);
	if (!v) {
		if (d->vpn.n == DRIFTD_VPN_MAX_PEERS)
			return -ENOSPC;
		v = &d->vpn.peers[d->vpn.n++];
		memcpy(v->pub, pub, WIRE_KEY_BYTES);
		memcpy(v->id, id, WIRE_PEER_ID_BYTES);
	}
	v->has_endpoint = addr != NULL;
	v->keepalive_s = keepalive_s;
	v->next_connect_ms = 0;
	v->next_keepalive_ms = driftd_now_ms() + (uint64_t)keepalive_s * 1000;
	if (addr) {
		char text[64];

		addr_format(text, sizeof(text), addr);
		qlog(d, "vpn:peer_configured", pub, "\"endpoint\":\"%s\",\"keepalive_s\":%u", text,
		     keepalive_s);
	} else {
		qlog(d, "vpn:peer_configured", pub, "\"keepalive_s\":%u", keepalive_s);
	}
	return 0;
}

static void serve_metrics(struct driftd *d);

struct peer_sums {
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, drops;
};

static void sum_slot(struct driftd *d, int32_t slot, struct peer_sums *s)
{
	memset(s, 0, sizeof(*s));
	if (slot < 0)
		return;
	for (uint32_t w = 0; w < d->table.hdr->worker_count; w++) {
		const struct shm_slot_stats *ss =
			shm_slot_stats_at(d->table.hdr, w, (uint32_t)slot);

		s->rx_bytes += read_once((_Atomic uint64_t *)&ss->rx_bytes);
		s->tx_bytes += read_once((_Atomic uint64_t *)&ss->tx_bytes);
		s->rx_packets += read_once((_Atomic uint64_t *)&ss->rx_packets);
		s->tx_packets += read_once((_Atomic uint64_t *)&ss->tx_packets);
		s->drops += read_once((_Atomic uint64_t *)&ss->drops);
	}
}

static bool send_ping(struct driftd *d, struct driftd_vpn_peer *v, uint64_t now, const char *event)
{
	if (engine_ping(d->engine, now, v->id) != 0)
		return false;
	vpn_liveness_pinged(&v->live, now);
	qlog(d, event, v->pub, NULL);
	return true;
}

/* WireGuard's liveness timers (vpn_liveness.h) on the session's packet totals. */
static void check_liveness(struct driftd *d, struct driftd_vpn_peer *v, int32_t slot,
			   const struct engine_peer_info *info, uint64_t now)
{
	struct peer_sums sums;
	struct vpn_totals t;

	sum_slot(d, slot, &sums);
	t.rx_data = sums.rx_packets + info->rx_packets;
	t.rx_any = t.rx_data + info->rx_control_packets;
	t.tx_data = sums.tx_packets;
	switch (vpn_liveness_step(&v->live, &t, v->has_endpoint, now)) {
	case VPN_LIVE_PING:
		send_ping(d, v, now, "vpn:passive_keepalive");
		break;
	case VPN_LIVE_RESTART:
		v->restarts++;
		qlog(d, "vpn:peer_unresponsive", v->pub, "\"silent_ms\":%u", VPN_UNANSWERED_MS);
		engine_close(d->engine, now, v->id);
		v->next_connect_ms = 0; /* dial again on the next tick */
		break;
	case VPN_LIVE_NOTHING:
		break;
	}
}

void vpn_tick(struct driftd *d, uint64_t now)
{
	if (!d->vpn.is_on)
		return;
	for (uint32_t i = 0; i < d->vpn.n; i++) {
		struct driftd_vpn_peer *v = &d->vpn.peers[i];
		struct driftd_peer *p = installer_peer(d, v->id, false);
		struct engine_peer_info info;
		bool is_up = p && p->slot >= 0 && engine_peer_info(d->engine, v->id, &info) == 0 &&
			     info.state != PEER_PENDING;

		/* A peer we can reach is dialled again until it answers (after restarts too). */
		if (!is_up && v->has_endpoint && now >= v->next_connect_ms) {
			v->next_connect_ms = now + VPN_RECONNECT_MS;
			if (engine_connect(d->engine, now, v->id) == 0) {
				v->connects++;
				qlog(d, "vpn:connect_attempt", v->pub, NULL);
			}
		}
		if (is_up && v->needs_confirm) {
			v->needs_confirm = false;
			engine_send_data(d->engine, now, v->id, NULL, 0, 0, 0);
		}
		if (is_up && v->keepalive_s && now >= v->next_keepalive_ms) {
			v->next_keepalive_ms = now + (uint64_t)v->keepalive_s * 1000;
			if (send_ping(d, v, now, "vpn:keepalive"))
				v->keepalives++;
		}
		if (is_up)
			check_liveness(d, v, p->slot, &info, now);
		else
			vpn_liveness_reset(&v->live);
	}
	if (d->vpn.metrics_fd >= 0)
		serve_metrics(d);
}

/* ---- Prometheus --------------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap;
}

size_t vpn_metrics_render(struct driftd *d, char *buf, size_t cap)
{
	struct shm_table_header *h = d->table.hdr;
	struct out o = {buf, cap, 0};
	char self[2 * WIRE_KEY_BYTES + 1];
	uint64_t drops[SHM_DROP_COUNT] = {0}, tun[4] = {0};

	hex_encode(self, d->pub, WIRE_KEY_BYTES);
	put(&o,
	    "# HELP drift_vpn_info The interface, its port type and public key.\n"
	    "# TYPE drift_vpn_info gauge\n"
	    "drift_vpn_info{interface=\"%s\",port_type=\"%s\",public_key=\"%s\"} 1\n",
	    h->tun_name, h->port_type, self);
	put(&o, "# TYPE drift_peer_rx_bytes_total counter\n# TYPE drift_peer_tx_bytes_total "
		"counter\n# TYPE drift_peer_rx_packets_total counter\n# TYPE "
		"drift_peer_tx_packets_total counter\n# TYPE drift_peer_drops_total counter\n# "
		"TYPE drift_peer_handshakes_total counter\n# TYPE drift_peer_restarts_total "
		"counter\n# TYPE drift_peer_up gauge\n# TYPE "
		"drift_peer_rtt_seconds gauge\n# TYPE drift_peer_last_handshake_seconds gauge\n");
	for (uint32_t i = 0; i < d->vpn.n; i++) {
		struct driftd_vpn_peer *v = &d->vpn.peers[i];
		struct driftd_peer *p = installer_peer(d, v->id, false);
		struct engine_peer_info info;
		char hex[2 * WIRE_KEY_BYTES + 1];
		struct peer_sums s;
		bool has_info = engine_peer_info(d->engine, v->id, &info) == 0;
		int32_t slot = p ? p->slot : -1;
		uint64_t hs_ms =
			slot >= 0 ? shm_slot_at(h, (uint32_t)slot)->last_handshake_unix_ms : 0;

		hex_encode(hex, v->pub, WIRE_KEY_BYTES);
		sum_slot(d, slot, &s);
		put(&o, "drift_peer_rx_bytes_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)s.rx_bytes);
		put(&o, "drift_peer_tx_bytes_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)s.tx_bytes);
		put(&o, "drift_peer_rx_packets_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)s.rx_packets);
		put(&o, "drift_peer_tx_packets_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)s.tx_packets);
		put(&o, "drift_peer_drops_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)s.drops);
		put(&o, "drift_peer_handshakes_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)v->handshakes);
		put(&o, "drift_peer_restarts_total{peer=\"%s\"} %llu\n", hex,
		    (unsigned long long)v->restarts);
		put(&o, "drift_peer_up{peer=\"%s\",port_type=\"%s\"} %d\n", hex, h->port_type,
		    slot >= 0);
		if (has_info && info.srtt_us != UINT32_MAX)
			put(&o, "drift_peer_rtt_seconds{peer=\"%s\"} %.6f\n", hex,
			    info.srtt_us / 1e6);
		put(&o, "drift_peer_last_handshake_seconds{peer=\"%s\"} %.3f\n", hex,
		    hs_ms / 1000.0);
	}
	for (uint32_t w = 0; w < h->worker_count; w++) {
		const struct shm_worker_stats *ws = shm_worker_stats_at(h, w);

		for (uint32_t r = 0; r < SHM_DROP_COUNT; r++)
			drops[r] += read_once((_Atomic uint64_t *)&ws->drops[r]);
		tun[0] += read_once((_Atomic uint64_t *)&ws->tun_reads);
		tun[1] += read_once((_Atomic uint64_t *)&ws->tun_segments);
		tun[2] += read_once((_Atomic uint64_t *)&ws->tun_writes);
		tun[3] += read_once((_Atomic uint64_t *)&ws->tun_coalesced);
	}
	put(&o, "# HELP drift_drops_total Packets the dataplane dropped, by reason.\n"
		"# TYPE drift_drops_total counter\n");
	for (uint32_t r = 0; r < SHM_DROP_COUNT; r++)
		put(&o, "drift_drops_total{reason=\"%s\"} %llu\n", drop_name((enum shm_drop)r),
		    (unsigned long long)drops[r]);
	put(&o,
	    "# TYPE drift_tun_reads_total counter\ndrift_tun_reads_total %llu\n"
	    "# TYPE drift_tun_segments_total counter\ndrift_tun_segments_total %llu\n"
	    "# TYPE drift_tun_writes_total counter\ndrift_tun_writes_total %llu\n"
	    "# TYPE drift_tun_coalesced_total counter\ndrift_tun_coalesced_total %llu\n"
	    "# TYPE drift_tun_early_packets_total counter\ndrift_tun_early_packets_total %llu\n",
	    (unsigned long long)tun[0], (unsigned long long)tun[1], (unsigned long long)tun[2],
	    (unsigned long long)tun[3], (unsigned long long)d->vpn.early_packets);
	return o.len;
}

/* One request per connection; the request itself is read and ignored (any path works). */
static void serve_metrics(struct driftd *d)
{
	enum { BODY_CAP = 1 << 20 };
	char req[2048], head[160];
	char *body = NULL;
	size_t len;
	int fd;

	while ((fd = accept4(d->vpn.metrics_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct timeval tv = {.tv_sec = 1};

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* A scraper sends its request at once; one that does not gets nothing. */
		if (poll(&pfd, 1, 100) != 1 || read(fd, req, sizeof(req)) <= 0) {
			close(fd);
			continue;
		}
		if (!body && !(body = malloc(BODY_CAP))) {
			close(fd);
			break;
		}
		len = vpn_metrics_render(d, body, BODY_CAP);
		snprintf(head, sizeof(head),
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 len);
		if (write(fd, head, strlen(head)) > 0 && write(fd, body, len) < 0) {
			/* The scraper went away: nothing to do. */
		}
		close(fd);
	}
	free(body);
}
