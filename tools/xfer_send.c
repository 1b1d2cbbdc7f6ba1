/* SPDX-License-Identifier: MIT */
/*
 * The sending end of `drift xfer`: reads the input once, keeps the chunks
 * of the window (XFER_WINDOW_CHUNKS) in memory until the receiver holds
 * them, and retransmits what an ACK shows missing (fast, when three later
 * chunks arrived) or what stays unacknowledged past the retransmission
 * timeout. Flow is bounded by the window and by the tx ring (a full ring
 * is waited out, never dropped); there is no congestion control, this is a
 * test and benchmark tool for a controlled path.
 *
 *   base         sent_upto      loaded
 *    |  in flight    |  read, unsent |  not read yet
 *    v               v               v
 *   [....acked/unacked....][........]
 *    <------- at most XFER_WINDOW_CHUNKS ------->
 */
#include "tools/xfer.h"

#include "tools/cli.h"
#include "tools/node.h"
#include "tools/xfer_codec.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	SEND_RTO_MIN_NS = 10 * 1000 * 1000, /* well above the receiver's 2 ms ack delay */
	SEND_RTO_MAX_NS = 1000 * 1000 * 1000,
	SEND_RTO_INIT_NS = 100 * 1000 * 1000,
	SEND_FAST_RETX_GAP = 3,		  /* later chunks SACKed before a hole counts as lost */
	SEND_SCAN_EVERY_NS = 1000 * 1000, /* timeout scan at most once a millisecond */
	SEND_BURST_CHUNKS = 256,	  /* new chunks per loop before looking at acks */
};

static const int64_t send_fin_give_up_ns = 10 * 1000 * 1000 * 1000LL;

struct tx_chunk {
	int64_t sent_ns; /* last (re)transmission */
	uint16_t len;
	uint8_t sends;
	bool is_acked;
	uint8_t data[XFER_CHUNK_BYTES];
};

struct sender {
	struct DriftApp *app;
	struct DriftAppSession s;
	FILE *in;
	uint32_t id;
	struct tx_chunk *win;
	uint64_t base, sent_upto, loaded, bytes;
	bool is_eof, is_ring_full, is_closed;
	crypto_hash_sha256_state sha;
	uint8_t digest[32];
	int64_t min_rtt_ns, rto_ns;
	int64_t start_ns, last_ack_ns, last_scan_ns, fin_sent_ns, fin_first_ns;
	uint64_t retransmits, peer_duplicates;
	int fin_status; /* enum xfer_status once FIN_ACK came, -1 before */
	struct DriftAppMsg msgs[XFER_BATCH_MSGS];
};

static struct tx_chunk *chunk_at(struct sender *sd, uint64_t idx)
{
	return &sd->win[idx & (XFER_WINDOW_CHUNKS - 1)];
}

/* One DATA for chunk idx; a full ring is reported to the caller, not waited out. */
static int send_chunk(struct sender *sd, uint64_t idx, int64_t now)
{
	struct tx_chunk *c = chunk_at(sd, idx);
	struct xfer_msg m = {.type = XFER_DATA, .xfer_id = sd->id};
	uint8_t buf[XFER_MAX_MSG_BYTES];
	uint8_t *end;
	int rc;

	m.flags = c->sends ? XFER_FLAG_RETRANSMIT : 0;
	m.data.index = idx;
	m.data.payload = c->data;
	m.data.len = c->len;
	end = xfer_codec_encode(buf, &m);
	rc = drift_app_send(sd->app, &sd->s, buf, (size_t)(end - buf));
	if (rc == -EAGAIN) {
		sd->is_ring_full = true;
		return rc;
	}
	if (rc)
		return rc;
	if (c->sends)
		sd->retransmits++;
	if (c->sends < UINT8_MAX)
		c->sends++;
	c->sent_ns = now;
	return 0;
}

/* Reads the next chunk into the window; false at the end of the input. */
static bool load_chunk(struct sender *sd)
{
	struct tx_chunk *c = chunk_at(sd, sd->loaded);
	size_t n;

	if (sd->is_eof || sd->loaded - sd->base >= XFER_WINDOW_CHUNKS)
		return false;
	n = fread(c->data, 1, XFER_CHUNK_BYTES, sd->in);
	if (n < XFER_CHUNK_BYTES)
		sd->is_eof = true;
	if (n == 0)
		return false;
	crypto_hash_sha256_update(&sd->sha, c->data, n);
	c->len = (uint16_t)n;
	c->sends = 0;
	c->is_acked = false;
	sd->bytes += n;
	sd->loaded++;
	return true;
}

/* New chunks while the window and the ring have room. */
static int pump_new(struct sender *sd, int64_t now)
{
	for (int i = 0; i < SEND_BURST_CHUNKS; i++) {
		int rc;

		if (sd->sent_upto == sd->loaded && !load_chunk(sd))
			break;
		rc = send_chunk(sd, sd->sent_upto, now);
		if (rc == -EAGAIN)
			break;
		if (rc)
			return rc;
		if (!sd->start_ns)
			sd->start_ns = now;
		sd->sent_upto++;
	}
	return 0;
}

/*
 * The RTO follows the smallest round trip seen. A smoothed mean would not
 * do: a chunk that waited at the receiver behind a hole is acknowledged
 * late, and such samples grow without bound while losses persist. The
 * minimum is immune to them; a path that queues more than it costs
 * spurious retransmissions, which the receiver counts as duplicates.
 */
static void rtt_sample(struct sender *sd, int64_t rtt)
{
	if (sd->min_rtt_ns && rtt >= sd->min_rtt_ns)
		return;
	sd->min_rtt_ns = rtt;
	sd->rto_ns = 2 * rtt + SEND_RTO_MIN_NS;
	if (sd->rto_ns > SEND_RTO_MAX_NS)
		sd->rto_ns = SEND_RTO_MAX_NS;
}

/*
 * Marks idx acknowledged and remembers the highest chunk this ACK newly
 * covered: that is the arrival that triggered it, so its send time gives
 * an RTT sample. Chunks that waited at the receiver behind a hole would
 * not: their send time is as old as the hole.
 */
static void mark_acked(struct sender *sd, uint64_t idx, struct tx_chunk **newest)
{
	struct tx_chunk *c = chunk_at(sd, idx);

	if (c->is_acked)
		return;
	c->is_acked = true;
	*newest = c;
}

static void on_ack(struct sender *sd, uint64_t next, uint64_t sack, int64_t now)
{
	struct tx_chunk *newest = NULL;
	uint64_t highest = 0;

	/* An ACK for chunks never sent is from another run or broken: ignore it. */
	if (next > sd->sent_upto || next < sd->base)
		return;
	sd->last_ack_ns = now;
	for (uint64_t i = sd->base; i < next; i++)
		mark_acked(sd, i, &newest);
	sd->base = next;
	for (int b = 0; b < XFER_SACK_BITS; b++) {
		uint64_t idx = next + 1 + (uint64_t)b;

		if (!(sack >> b & 1) || idx >= sd->sent_upto)
			continue;
		mark_acked(sd, idx, &newest);
		highest = idx;
	}
	if (newest && newest->sends == 1)
		rtt_sample(sd, now - newest->sent_ns);
	/* Holes with SEND_FAST_RETX_GAP later chunks held are lost, unless just resent. */
	for (uint64_t i = next; highest && i + SEND_FAST_RETX_GAP <= highest; i++) {
		struct tx_chunk *c = chunk_at(sd, i);

		if (!c->is_acked && now - c->sent_ns >= sd->min_rtt_ns &&
		    send_chunk(sd, i, now) == -EAGAIN)
			break;
	}
}

/*
 * Retransmits what stayed unacknowledged for a whole RTO, but only up to
 * where the receiver's SACK can see: a chunk further out may well have
 * arrived behind the hole at `base`, and once `base` moves the SACK shows
 * which of them are really missing.
 */
static void scan_timeouts(struct sender *sd, int64_t now)
{
	uint64_t end = sd->base + 1 + XFER_SACK_BITS;

	if (now - sd->last_scan_ns < SEND_SCAN_EVERY_NS)
		return;
	sd->last_scan_ns = now;
	if (end > sd->sent_upto)
		end = sd->sent_upto;
	for (uint64_t i = sd->base; i < end; i++) {
		struct tx_chunk *c = chunk_at(sd, i);

		if (!c->is_acked && now - c->sent_ns >= sd->rto_ns &&
		    send_chunk(sd, i, now) == -EAGAIN)
			break;
	}
}

static void send_fin(struct sender *sd, int64_t now)
{
	struct xfer_msg m = {.type = XFER_FIN, .xfer_id = sd->id};
	uint8_t buf[XFER_MAX_MSG_BYTES];
	uint8_t *end;
	int64_t every = sd->rto_ns > 50 * 1000000 ? sd->rto_ns : 50 * 1000000;

	if (sd->fin_sent_ns && now - sd->fin_sent_ns < every)
		return;
	if (!sd->fin_first_ns) {
		crypto_hash_sha256_final(&sd->sha, sd->digest);
		sd->fin_first_ns = now;
		if (!sd->start_ns)
			sd->start_ns = now;
	}
	m.fin.chunks = sd->sent_upto;
	m.fin.bytes = sd->bytes;
	memcpy(m.fin.sha256, sd->digest, sizeof(m.fin.sha256));
	end = xfer_codec_encode(buf, &m);
	if (drift_app_send(sd->app, &sd->s, buf, (size_t)(end - buf)) == 0)
		sd->fin_sent_ns = now;
}

static void handle(struct sender *sd, const struct DriftAppMsg *msg, int64_t now)
{
	struct xfer_msg m;

	if (memcmp(msg->session.peer_id, sd->s.peer_id, sizeof(sd->s.peer_id)) != 0)
		return;
	if (msg->kind == DRIFT_APP_ESTABLISHED) {
		/* driftd re-installed the session (drift-dp restarted): follow it. */
		sd->s = msg->session;
		return;
	}
	if (msg->kind == DRIFT_APP_CLOSED) {
		sd->is_closed = msg->session.slot == sd->s.slot &&
				msg->session.generation == sd->s.generation;
		return;
	}
	if (!xfer_codec_decode(&m, msg->data, msg->len) || m.xfer_id != sd->id)
		return;
	if (m.type == XFER_ACK)
		on_ack(sd, m.ack.next, m.ack.sack, now);
	else if (m.type == XFER_FIN_ACK && sd->fin_first_ns) {
		sd->fin_status = m.fin_ack.status;
		sd->peer_duplicates = m.fin_ack.duplicates;
	}
}

/* Why the loop ended early, as a user-facing reason; NULL while it may go on. */
static const char *check_abort(struct sender *sd, int64_t now)
{
	if (node_stop)
		return "interrupted";
	if (sd->is_closed)
		return "the session with the receiver closed (driftd or the peer ended it)";
	if (ferror(sd->in))
		return "reading the input failed";
	if (now - sd->last_ack_ns > (int64_t)XFER_IDLE_TIMEOUT_MS * 1000000)
		return "the receiver stopped answering for 15 s; check that `drift xfer recv` "
		       "still runs and the path works";
	if (sd->fin_first_ns && now - sd->fin_first_ns > send_fin_give_up_ns)
		return "no FIN-ACK from the receiver within 10 s of the end";
	return NULL;
}

static int run(struct sender *sd)
{
	const char *why = NULL;
	int timeout_ms = 0, n, rc;

	while (sd->fin_status < 0) {
		int64_t now;

		n = drift_app_recv(sd->app, sd->msgs, XFER_BATCH_MSGS, timeout_ms);
		now = xfer_now_ns();
		for (int i = 0; i < n; i++)
			handle(sd, &sd->msgs[i], now);
		if ((why = check_abort(sd, now)) != NULL)
			break;
		sd->is_ring_full = false;
		rc = pump_new(sd, now);
		if (rc) {
			cli_error("xfer", "queueing data for drift-dp failed: %s", strerror(-rc));
			return CLI_EXIT_FAILURE;
		}
		scan_timeouts(sd, now);
		if (sd->is_eof && sd->base == sd->loaded)
			send_fin(sd, now);
		/* A full ring drains without telling us: poll it; otherwise sleep on acks. */
		timeout_ms = n > 0 || sd->is_ring_full ? 0 : 1;
		if (sd->is_ring_full && n == 0)
			nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL);
	}
	if (why) {
		cli_error("xfer", "send stopped after %llu of %llu bytes acknowledged: %s",
			  (unsigned long long)(sd->base * XFER_CHUNK_BYTES < sd->bytes
						       ? sd->base * XFER_CHUNK_BYTES
						       : sd->bytes),
			  (unsigned long long)sd->bytes, why);
		return CLI_EXIT_FAILURE;
	}
	xfer_print_summary("send", sd->bytes, xfer_now_ns() - sd->start_ns, sd->retransmits,
			   sd->peer_duplicates, sd->digest,
			   sd->fin_status == XFER_STATUS_OK ? "verified" : "MISMATCH");
	if (sd->fin_status != XFER_STATUS_OK) {
		cli_error("xfer", "the receiver's SHA-256 or size differs from ours; the data was "
				  "corrupted on the way or the input changed while it was read");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int xfer_send_run(struct DriftApp *app, const struct DriftAppSession *s, FILE *in)
{
	struct sender *sd = calloc(1, sizeof(*sd));
	int ret;

	if (sd)
		sd->win = calloc(XFER_WINDOW_CHUNKS, sizeof(*sd->win));
	if (!sd || !sd->win) {
		cli_error("xfer", "out of memory for the %d-chunk window", XFER_WINDOW_CHUNKS);
		free(sd);
		return CLI_EXIT_FAILURE;
	}
	sd->app = app;
	sd->s = *s;
	sd->in = in;
	randombytes_buf(&sd->id, sizeof(sd->id));
	crypto_hash_sha256_init(&sd->sha);
	sd->rto_ns = SEND_RTO_INIT_NS;
	sd->fin_status = -1;
	sd->last_ack_ns = xfer_now_ns();
	ret = run(sd);
	free(sd->win);
	free(sd);
	return ret;
}
