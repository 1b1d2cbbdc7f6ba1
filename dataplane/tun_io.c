/* SPDX-License-Identifier: MIT */
/*
 * The worker's TUN steps (tun_io.h): cryptokey routing both ways, the
 * super-packet split on the way out and the coalesced writes on the way in.
 */
#include "dataplane/tun_io.h"

#include "dataplane/session_table.h"
#include "dataplane/worker.h"
#include "internal/atomics.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static uint32_t pub_hash(const uint8_t pub[WIRE_KEY_BYTES])
{
	uint32_t h;

	/* Public keys are uniformly random: their first bytes are a good hash already. */
	memcpy(&h, pub, sizeof(h));
	return h;
}

int tun_shared_load(struct tun_shared *s, const char *peers_path, uint32_t mtu, char *err,
		    size_t err_cap)
{
	uint32_t size = 16;
	int rc;

	memset(s, 0, sizeof(*s));
	s->mtu = mtu ? mtu : WIRE_MAX_PAYLOAD_BYTES;
	if (s->mtu > WIRE_MAX_PAYLOAD_BYTES) {
		snprintf(err, err_cap, "TUN MTU %u is above DRIFT's largest payload (%d): lower it",
			 s->mtu, WIRE_MAX_PAYLOAD_BYTES);
		return -EINVAL;
	}
	if ((rc = allowed_ips_init(&s->table)) != 0) {
		snprintf(err, err_cap, "out of memory");
		return rc;
	}
	if (allowed_ips_load_peers(&s->table, &s->peers, peers_path, err, err_cap) != 0) {
		allowed_ips_fini(&s->table);
		return -EINVAL;
	}
	while (size < 2 * s->peers.n)
		size <<= 1;
	s->by_pub = calloc(size, sizeof(*s->by_pub));
	if (!s->by_pub) {
		tun_shared_fini(s);
		snprintf(err, err_cap, "out of memory");
		return -ENOMEM;
	}
	s->by_pub_mask = size - 1;
	for (uint32_t p = 0; p < s->peers.n; p++) {
		uint32_t at = pub_hash(s->peers.pub[p]) & s->by_pub_mask;

		while (s->by_pub[at])
			at = (at + 1) & s->by_pub_mask;
		s->by_pub[at] = p + 1;
	}
	return 0;
}

void tun_shared_fini(struct tun_shared *s)
{
	free(s->by_pub);
	s->by_pub = NULL;
	allowed_ips_peers_free(&s->peers);
	allowed_ips_fini(&s->table);
}

uint32_t tun_shared_peer_of(const struct tun_shared *s, const uint8_t pub[WIRE_KEY_BYTES])
{
	if (!s->by_pub)
		return TUN_NO_PEER;
	for (uint32_t at = pub_hash(pub) & s->by_pub_mask; s->by_pub[at];
	     at = (at + 1) & s->by_pub_mask) {
		uint32_t p = s->by_pub[at] - 1;

		if (memcmp(s->peers.pub[p], pub, WIRE_KEY_BYTES) == 0)
			return p;
	}
	return TUN_NO_PEER;
}

int tun_worker_init(struct tun_worker *t, int fd, const struct tun_shared *s, uint32_t slot_count)
{
	uint32_t peers = s->peers.n ? s->peers.n : 1;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->shared = s;
	t->slot_count = slot_count;
	t->q = calloc(TUN_TXQ, sizeof(*t->q));
	t->read_buf = malloc(TUN_READ_BYTES);
	t->tails = malloc(TUN_READS_MAX * sizeof(*t->tails));
	t->peer_slot = malloc(peers * sizeof(*t->peer_slot));
	t->peer_gen = calloc(peers, sizeof(*t->peer_gen));
	t->peer_want_ms = calloc(peers, sizeof(*t->peer_want_ms));
	t->slot_peer = malloc(slot_count * sizeof(*t->slot_peer));
	t->rx_buf = malloc(TUN_GRO_MAX_PKTS * sizeof(*t->rx_buf));
	t->writes = malloc(TUN_GRO_MAX_PKTS * sizeof(*t->writes));
	if (!t->q || !t->read_buf || !t->tails || !t->peer_slot || !t->peer_gen ||
	    !t->peer_want_ms || !t->slot_peer || !t->rx_buf || !t->writes) {
		tun_worker_fini(t);
		return -ENOMEM;
	}
	for (uint32_t p = 0; p < peers; p++)
		t->peer_slot[p] = TUN_NO_PEER;
	for (uint32_t i = 0; i < slot_count; i++)
		t->slot_peer[i] = TUN_NO_PEER;
	t->has_uring = tun_uring_init(&t->ur, fd) == 0;
	return 0;
}

int tun_wait_fd(const struct tun_worker *t)
{
	return t->has_uring ? tun_uring_wait_fd(&t->ur) : t->fd;
}

void tun_worker_fini(struct tun_worker *t)
{
	if (t->has_uring)
		tun_uring_fini(&t->ur);
	free(t->q);
	free(t->read_buf);
	free(t->tails);
	free(t->peer_slot);
	free(t->peer_gen);
	free(t->peer_want_ms);
	free(t->slot_peer);
	free(t->rx_buf);
	free(t->writes);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/* ---- peer <-> slot ------------------------------------------------------- */

/* One slot's owner, read under its seqlock. false: mid-write, try again later. */
static bool read_owner(struct shm_slot *s, uint8_t pub[WIRE_KEY_BYTES], uint32_t *generation,
		       bool *is_tun)
{
	for (uint32_t tries = 0; tries < SESSION_TABLE_READ_TRIES; tries++) {
		uint32_t q = session_table_read_begin(s);

		*is_tun = s->state == SHM_SLOT_ACTIVE && s->app_channel == SHM_CHANNEL_TUN;
		*generation = s->generation;
		memcpy(pub, s->peer_pub, WIRE_KEY_BYTES);
		if (!session_table_read_retry(s, q))
			return true;
	}
	return false;
}

void tun_map_refresh(struct worker *w)
{
	struct tun_worker *t = w->tun;
	uint64_t seq = load_acquire(&w->hdr->install_seq);
	bool is_complete = true;

	if (!t || (t->has_map && seq == t->map_seq))
		return;
	for (uint32_t p = 0; p < t->shared->peers.n; p++)
		t->peer_slot[p] = TUN_NO_PEER;
	for (uint32_t i = 0; i < t->slot_count; i++) {
		struct shm_slot *s = shm_slot_at(w->hdr, i);
		uint8_t pub[WIRE_KEY_BYTES];
		uint32_t gen, p;
		bool is_tun;

		t->slot_peer[i] = TUN_NO_PEER;
		/* Free slots are most of the table: skip them without the seqlock dance. */
		if (read_once((_Atomic uint32_t *)&s->state) != SHM_SLOT_ACTIVE)
			continue;
		if (!read_owner(s, pub, &gen, &is_tun)) {
			is_complete = false;
			continue;
		}
		if (!is_tun || (p = tun_shared_peer_of(t->shared, pub)) == TUN_NO_PEER)
			continue;
		t->slot_peer[i] = p;
		t->peer_slot[p] = i;
		t->peer_gen[p] = gen;
	}
	/* A slot driftd was writing is looked at again on the next poll. */
	t->has_map = is_complete;
	t->map_seq = seq;
}

/* ---- TUN -> network ------------------------------------------------------ */

/*
 * Traffic for a peer with no session: ask driftd to dial it now rather than
 * at its next retry (WireGuard starts a handshake on the first packet too).
 * The packet itself is dropped (tun_peer_down); at most one ask a second.
 */
static void want_peer(struct worker *w, uint32_t peer)
{
	struct tun_worker *t = w->tun;
	uint64_t now = worker_mono_ms();
	static const struct net_addr none;

	if (t->peer_want_ms[peer] && now - t->peer_want_ms[peer] < TUN_WANT_INTERVAL_MS)
		return;
	t->peer_want_ms[peer] = now;
	worker_raise(w, SHM_EV_TUN_WANT, 0, 0, &none, t->shared->peers.pub[peer], WIRE_KEY_BYTES);
}

/* Splits one read into the tx queue, addressed to the peer its destination routes to. */
static void route_read(struct worker *w, const uint8_t *buf, size_t n)
{
	struct tun_worker *t = w->tun;
	uint8_t *outs[TUN_SEGS_MAX];
	uint16_t lens[TUN_SEGS_MAX];
	struct virtio_net_hdr vh;
	uint32_t segs = 0, peer, slot, base = t->q_head + t->q_n;
	enum tun_gso_result r;

	if (n < sizeof(vh)) {
		worker_drop(w, SHM_DROP_TUN_BAD_PACKET);
		return;
	}
	memcpy(&vh, buf, sizeof(vh));
	for (uint32_t i = 0; i < TUN_SEGS_MAX; i++)
		outs[i] = t->q[base + i].data;
	r = tun_gso_split(&vh, buf + sizeof(vh), n - sizeof(vh), t->shared->mtu, outs, lens,
			  TUN_SEGS_MAX, WIRE_MAX_PAYLOAD_BYTES, &segs);
	if (r != TUN_GSO_OK || !segs) {
		worker_drop(w, SHM_DROP_TUN_BAD_PACKET);
		return;
	}
	w->stats->tun_segments += segs;
	/* Every segment of a super-packet has the first one's destination. */
	if (!allowed_ips_lookup_packet(&t->shared->table, outs[0], lens[0], true, &peer) ||
	    peer >= t->shared->peers.n) {
		w->stats->drops[SHM_DROP_TUN_NO_PEER] += segs;
		return;
	}
	slot = t->peer_slot[peer];
	if (slot == TUN_NO_PEER) {
		w->stats->drops[SHM_DROP_TUN_PEER_DOWN] += segs;
		want_peer(w, peer);
		return;
	}
	for (uint32_t i = 0; i < segs; i++) {
		struct shm_app_msg *m = &t->q[base + i];

		m->slot = slot;
		m->generation = t->peer_gen[peer];
		m->len = lens[i];
		m->kind = SHM_APP_DATA;
	}
	t->q_n += segs;
}

/* The last fragment of a fragmented IPv4 datagram (offset > 0, no more fragments). */
static bool is_fragment_tail(const struct shm_app_msg *m)
{
	uint16_t frag;

	if (m->len < 20 || m->data[0] >> 4 != 4)
		return false;
	frag = load_be16(m->data + 6);
	return (frag & 0x1fff) && !(frag & 0x2000);
}

static void copy_msg(struct shm_app_msg *dst, const struct shm_app_msg *src)
{
	dst->slot = src->slot;
	dst->generation = src->generation;
	dst->len = src->len;
	dst->kind = src->kind;
	memcpy(dst->data, src->data, src->len);
}

/*
 * Large UDP datagrams cross a 1348-byte TUN as a full-size fragment and a
 * short tail. Sent in that order, no two neighbours have the same size and
 * the udp port's GSO (one send per run of equal-size packets to one
 * address) sends them one by one. Moving this batch's tails behind the
 * other packets makes the full-size ones one run. Order within each group
 * is kept, so every datagram still completes (its tail arrives) in its
 * original order; only packets of different datagrams swap.
 */
static void group_fragment_tails(struct tun_worker *t, uint32_t from)
{
	uint32_t end = t->q_head + t->q_n, j = from, k = 0, tails = 0;

	for (uint32_t i = from; i < end; i++)
		tails += is_fragment_tail(&t->q[i]);
	if (!tails || tails == end - from || tails > TUN_READS_MAX)
		return;
	for (uint32_t i = from; i < end; i++) {
		if (is_fragment_tail(&t->q[i]))
			copy_msg(&t->tails[k++], &t->q[i]);
		else if (j++ != i)
			copy_msg(&t->q[j - 1], &t->q[i]);
	}
	for (uint32_t i = 0; i < k; i++)
		copy_msg(&t->q[j + i], &t->tails[i]);
}

uint32_t tun_tx_fill(struct worker *w)
{
	struct tun_worker *t = w->tun;
	uint32_t reads = 0, from;

	if (!t)
		return 0;
	if (!t->q_n)
		t->q_head = 0;
	from = t->q_head + t->q_n;
	if (t->has_uring) {
		const uint8_t *data;
		uint32_t len;
		uint16_t id;

		while (reads < TUN_READS_MAX && t->q_head + t->q_n + TUN_SEGS_MAX <= TUN_TXQ &&
		       tun_uring_read_next(&t->ur, &data, &len, &id)) {
			reads++;
			w->stats->tun_reads++;
			route_read(w, data, len);
			tun_uring_read_done(&t->ur, id);
		}
		tun_uring_read_flush(&t->ur);
		group_fragment_tails(t, from);
		return reads;
	}
	if (t->skip_polls) {
		t->skip_polls--;
		return 0;
	}
	while (reads < TUN_READS_MAX && t->q_head + t->q_n + TUN_SEGS_MAX <= TUN_TXQ) {
		ssize_t n = read(t->fd, t->read_buf, TUN_READ_BYTES);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!reads)
				t->skip_polls = TUN_EMPTY_SKIP;
			break;
		}
		reads++;
		w->stats->tun_reads++;
		route_read(w, t->read_buf, (size_t)n);
	}
	group_fragment_tails(t, from);
	return reads;
}

uint32_t tun_tx_peek(struct tun_worker *t, uint32_t max, struct shm_app_msg **out)
{
	uint32_t n = t->q_n < max ? t->q_n : max;

	for (uint32_t i = 0; i < n; i++)
		out[i] = &t->q[t->q_head + i];
	return n;
}

void tun_tx_release(struct tun_worker *t, uint32_t n)
{
	if (n > t->q_n)
		n = t->q_n;
	t->q_head += n;
	t->q_n -= n;
	if (!t->q_n)
		t->q_head = 0;
}

/* ---- network -> TUN ------------------------------------------------------ */

static const uint32_t NO_SLOT = UINT32_MAX; /* a packet driftd opened: no slot to charge */

uint8_t *tun_rx_buffer(struct worker *w)
{
	struct tun_worker *t = w->tun;

	if (!t || t->rx_n == TUN_GRO_MAX_PKTS)
		return NULL;
	return t->rx_buf[t->rx_n];
}

/*
 * The packet in rx_buf[rx_n], sent by `peer` (TUN_NO_PEER: none we know):
 * checked and queued for the next flush. Drops are charged to `slot` when
 * there is one (NO_SLOT: driftd's packets, before any slot existed).
 */
static void rx_accept(struct worker *w, uint32_t peer, uint32_t slot, uint16_t len)
{
	struct tun_worker *t = w->tun;
	const uint8_t *pkt = t->rx_buf[t->rx_n];
	uint8_t version = len ? pkt[0] >> 4 : 0;
	enum shm_drop why = SHM_DROP_COUNT;
	uint32_t owner;

	/* An empty DATA packet is a keepalive: nothing to write. */
	if (!len)
		return;
	if ((version != 4 || len < 20) && (version != 6 || len < 40))
		why = SHM_DROP_TUN_BAD_PACKET;
	/* Cryptokey routing, inbound: the inner source must be one the sending peer owns. */
	else if (peer == TUN_NO_PEER ||
		 !allowed_ips_lookup_packet(&t->shared->table, pkt, len, false, &owner) ||
		 owner != peer)
		why = SHM_DROP_TUN_SPOOF;
	if (why != SHM_DROP_COUNT) {
		if (slot != NO_SLOT)
			shm_slot_stats_at(w->hdr, w->index, slot)->drops++;
		worker_drop(w, why);
		return;
	}
	t->rx_pkts[t->rx_n].data = pkt;
	t->rx_pkts[t->rx_n].len = len;
	t->rx_n++;
}

void tun_rx_commit(struct worker *w, uint32_t slot, uint16_t len)
{
	struct tun_worker *t = w->tun;

	rx_accept(w, slot < t->slot_count ? t->slot_peer[slot] : TUN_NO_PEER, slot, len);
}

void tun_rx_from_driftd(struct worker *w, const struct shm_event *ev)
{
	struct tun_worker *t = w->tun;
	uint16_t len;
	uint8_t *buf;

	/* driftd's entry is checked as the wire's would be. */
	if (!t || ev->len < WIRE_KEY_BYTES || ev->len > WIRE_KEY_BYTES + WIRE_MAX_PAYLOAD_BYTES) {
		worker_drop(w, t ? SHM_DROP_TUN_BAD_PACKET : SHM_DROP_NO_APP);
		return;
	}
	len = (uint16_t)(ev->len - WIRE_KEY_BYTES);
	if (!(buf = tun_rx_buffer(w))) {
		tun_rx_flush(w);
		buf = tun_rx_buffer(w);
	}
	memcpy(buf, ev->data + WIRE_KEY_BYTES, len);
	rx_accept(w, tun_shared_peer_of(t->shared, ev->data), NO_SLOT, len);
}

void tun_rx_flush(struct worker *w)
{
	struct tun_worker *t = w->tun;
	struct iovec iov[TUN_GRO_MAX_PKTS + 2];
	uint32_t writes;

	if (!t || !t->rx_n)
		return;
	writes = tun_gro_plan(t->rx_pkts, t->rx_n, t->writes);
	if (t->has_uring) {
		uint32_t used = 0, failed;

		for (uint32_t i = 0; i < writes; i++) {
			const struct tun_write *wr = &t->writes[i];
			uint32_t cnt = tun_gro_iov(wr, t->rx_pkts, t->iov_pool + used,
						   ARRAY_SIZE(t->iov_pool) - used);

			if (!cnt || !tun_uring_write(&t->ur, t->iov_pool + used, cnt)) {
				w->stats->drops[SHM_DROP_TUN_WRITE] += wr->count;
				continue;
			}
			used += cnt;
			w->stats->tun_writes++;
			w->stats->tun_coalesced += wr->count - 1u;
		}
		failed = tun_uring_write_flush(&t->ur);
		w->stats->drops[SHM_DROP_TUN_WRITE] += failed;
		w->stats->tun_writes -= failed;
		t->rx_n = 0;
		return;
	}
	for (uint32_t i = 0; i < writes; i++) {
		const struct tun_write *wr = &t->writes[i];
		uint32_t cnt = tun_gro_iov(wr, t->rx_pkts, iov, TUN_GRO_MAX_PKTS + 2);
		ssize_t n = cnt ? writev(t->fd, iov, (int)cnt) : -1;

		if (n < 0 && errno == EINTR)
			n = writev(t->fd, iov, (int)cnt);
		if (n < 0) {
			w->stats->drops[SHM_DROP_TUN_WRITE] += wr->count;
			continue;
		}
		w->stats->tun_writes++;
		w->stats->tun_coalesced += wr->count - 1u;
	}
	t->rx_n = 0;
}
