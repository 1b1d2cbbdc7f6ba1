/* SPDX-License-Identifier: MIT */
/*
 * The receiving end of `drift xfer`: takes the first transfer a permitted
 * peer starts, buffers out-of-order chunks within the window, writes the
 * stream in order while hashing it, and acknowledges the in-order count
 * plus a 64-chunk SACK bitmap every 32 chunks (8 while a hole is open),
 * after 2 ms at the latest, and at once on a duplicate or a FIN. Once the
 * FIN's size and SHA-256 are checked it answers FIN-ACK, and keeps
 * answering repeated FINs for a moment in case that answer was lost.
 */
#include "tools/xfer.h"

#include "tools/cli.h"
#include "tools/node.h"
#include "tools/xfer_codec.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum {
	RECV_ACK_EVERY = 32,
	RECV_ACK_EVERY_GAP = 8,
	RECV_ACK_DELAY_NS = 2 * 1000 * 1000,
	RECV_LINGER_QUIET_NS = 1000 * 1000 * 1000, /* after the verdict: this much silence ends */
	RECV_ACK_SEND_WAIT_US = 1000,
};

struct rx_chunk {
	bool is_present;
	uint16_t len;
	uint8_t data[XFER_CHUNK_BYTES];
};

struct receiver {
	struct DriftApp *app;
	const struct app_link_opts *o;
	FILE *out;
	bool has_id;
	uint32_t id;
	struct DriftAppSession s;
	struct rx_chunk *win;
	uint64_t next, bytes, retransmitted, duplicates;
	uint64_t buffered; /* chunks in the window, not yet written */
	crypto_hash_sha256_state sha;
	unsigned since_ack;
	bool has_gap, needs_ack, is_write_failed;
	int64_t first_unacked_ns, start_ns, end_ns, last_rx_ns;
	bool has_fin;
	struct xfer_msg fin;
	int status; /* enum xfer_status once decided, -1 before */
	uint8_t digest[32];
	struct DriftAppMsg msgs[XFER_BATCH_MSGS];
};

static struct rx_chunk *slot_of(struct receiver *r, uint64_t idx)
{
	return &r->win[idx & (XFER_WINDOW_CHUNKS - 1)];
}

static void send_msg(struct receiver *r, const struct xfer_msg *m)
{
	uint8_t buf[XFER_MAX_MSG_BYTES];
	uint8_t *end = xfer_codec_encode(buf, m);

	/* A lost ACK is repaired by the next one; wait only briefly for ring room. */
	if (app_link_send(r->app, &r->s, buf, (size_t)(end - buf), RECV_ACK_SEND_WAIT_US) == 0) {
		r->since_ack = 0;
		r->needs_ack = false;
	}
}

static void send_ack(struct receiver *r)
{
	struct xfer_msg m = {.type = XFER_ACK, .xfer_id = r->id};

	m.ack.next = r->next;
	for (int b = 0; b < XFER_SACK_BITS; b++)
		if (slot_of(r, r->next + 1 + (uint64_t)b)->is_present)
			m.ack.sack |= (uint64_t)1 << b;
	send_msg(r, &m);
}

static void send_fin_ack(struct receiver *r)
{
	struct xfer_msg m = {.type = XFER_FIN_ACK, .xfer_id = r->id};

	m.fin_ack.status = (uint8_t)r->status;
	m.fin_ack.duplicates = r->duplicates;
	send_msg(r, &m);
}

/* The FIN came and every chunk is here: flush, compare, answer. */
static void decide(struct receiver *r, int64_t now)
{
	if (fflush(r->out) != 0)
		r->is_write_failed = true;
	crypto_hash_sha256_final(&r->sha, r->digest);
	r->status = r->next == r->fin.fin.chunks && r->bytes == r->fin.fin.bytes &&
				    !memcmp(r->digest, r->fin.fin.sha256, sizeof(r->digest)) &&
				    !r->is_write_failed
			    ? XFER_STATUS_OK
			    : XFER_STATUS_MISMATCH;
	r->end_ns = now;
	send_fin_ack(r);
}

/* Writes and hashes every chunk that is now in order. */
static void deliver(struct receiver *r)
{
	struct rx_chunk *c;

	while ((c = slot_of(r, r->next))->is_present) {
		if (fwrite(c->data, 1, c->len, r->out) != c->len)
			r->is_write_failed = true;
		crypto_hash_sha256_update(&r->sha, c->data, c->len);
		r->bytes += c->len;
		c->is_present = false;
		r->next++;
		r->buffered--;
	}
	r->has_gap = r->buffered > 0;
}

static void on_data(struct receiver *r, const struct xfer_msg *m, int64_t now)
{
	uint64_t idx = m->data.index;
	struct rx_chunk *c;

	if (m->flags & XFER_FLAG_RETRANSMIT)
		r->retransmitted++;
	if (idx < r->next || (idx - r->next < XFER_WINDOW_CHUNKS && slot_of(r, idx)->is_present)) {
		/* The sender missed our ACK: tell it again now. */
		r->duplicates++;
		r->needs_ack = true;
		return;
	}
	if (idx - r->next >= XFER_WINDOW_CHUNKS || (r->has_fin && idx >= r->fin.fin.chunks))
		return;
	c = slot_of(r, idx);
	memcpy(c->data, m->data.payload, m->data.len);
	c->len = m->data.len;
	c->is_present = true;
	/* A hole just filled: the sender learns where the next one is without delay. */
	if (idx == r->next && r->buffered)
		r->needs_ack = true;
	r->buffered++;
	if (!r->since_ack++)
		r->first_unacked_ns = now;
	deliver(r);
}

static void on_fin(struct receiver *r, const struct xfer_msg *m, int64_t now)
{
	if (r->status >= 0) {
		send_fin_ack(r);
		return;
	}
	r->fin = *m;
	r->has_fin = true;
	if (r->next >= m->fin.chunks)
		decide(r, now);
	else
		r->needs_ack = true;
}

static void handle(struct receiver *r, const struct DriftAppMsg *msg, int64_t now)
{
	struct xfer_msg m;

	if (msg->kind != DRIFT_APP_DATA || !app_link_peer_allowed(r->o, &msg->session) ||
	    !xfer_codec_decode(&m, msg->data, msg->len))
		return;
	if (!r->has_id) {
		/* The first transfer that starts is ours; later ones are ignored. */
		if (m.type != XFER_DATA && m.type != XFER_FIN)
			return;
		r->has_id = true;
		r->id = m.xfer_id;
		r->start_ns = now;
	} else if (m.xfer_id != r->id ||
		   memcmp(msg->session.peer_id, r->s.peer_id, sizeof(r->s.peer_id)) != 0) {
		return;
	}
	/* Replies go to the session the data came from (driftd may have re-installed it). */
	r->s = msg->session;
	r->last_rx_ns = now;
	if (m.type == XFER_DATA && r->status < 0)
		on_data(r, &m, now);
	else if (m.type == XFER_FIN)
		on_fin(r, &m, now);
	if (r->has_fin && r->status < 0 && r->next >= r->fin.fin.chunks)
		decide(r, now);
}

static bool ack_due(const struct receiver *r, int64_t now)
{
	if (r->status >= 0)
		return false;
	return r->needs_ack || r->since_ack >= RECV_ACK_EVERY ||
	       (r->has_gap && r->since_ack >= RECV_ACK_EVERY_GAP) ||
	       (r->since_ack && now - r->first_unacked_ns >= RECV_ACK_DELAY_NS);
}

/* Why the loop should end now (NULL: go on); a verdict plus a quiet second is "done". */
static const char *check_end(struct receiver *r, int64_t now, int64_t wait_first_ns, bool *done)
{
	*done = r->status >= 0 && (now - r->last_rx_ns > RECV_LINGER_QUIET_NS ||
				   now - r->end_ns > 5 * (int64_t)RECV_LINGER_QUIET_NS);
	if (node_stop)
		return "interrupted";
	if (r->is_write_failed && r->status < 0)
		return "writing the output failed (disk full?)";
	if (!r->has_id && wait_first_ns && now - r->start_ns > wait_first_ns)
		return "no transfer started; check that `drift xfer send` points at this node "
		       "and uses a key we accept";
	if (r->has_id && r->status < 0 &&
	    now - r->last_rx_ns > (int64_t)XFER_IDLE_TIMEOUT_MS * 1000000)
		return "the sender went silent for 15 s";
	return NULL;
}

static int run(struct receiver *r, int64_t wait_first_ns)
{
	const char *why;
	bool done = false;
	char hex[65];
	int n;

	for (;;) {
		int64_t now;
		int timeout_ms = r->since_ack || r->needs_ack ? 1 : 50;

		n = drift_app_recv(r->app, r->msgs, XFER_BATCH_MSGS, timeout_ms);
		now = xfer_now_ns();
		for (int i = 0; i < n; i++)
			handle(r, &r->msgs[i], now);
		if (ack_due(r, now))
			send_ack(r);
		why = check_end(r, now, wait_first_ns, &done);
		if (why || done)
			break;
	}
	if (why) {
		cli_error("xfer", "receive stopped after %llu bytes: %s",
			  (unsigned long long)r->bytes, why);
		return CLI_EXIT_FAILURE;
	}
	xfer_print_summary("recv", r->bytes, r->end_ns - r->start_ns, r->retransmitted,
			   r->duplicates, r->digest,
			   r->status == XFER_STATUS_OK ? "verified" : "MISMATCH");
	if (r->status != XFER_STATUS_OK) {
		cli_error("xfer",
			  "received %llu bytes but the sender announced %llu bytes with "
			  "sha256 %s%s",
			  (unsigned long long)r->bytes, (unsigned long long)r->fin.fin.bytes,
			  sodium_bin2hex(hex, sizeof(hex), r->fin.fin.sha256, 32),
			  r->is_write_failed ? " (and writing the output failed)" : "");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int xfer_recv_run(struct DriftApp *app, const struct app_link_opts *o, FILE *out,
		  uint32_t wait_first_ms)
{
	struct receiver *r = calloc(1, sizeof(*r));
	int ret;

	if (r)
		r->win = calloc(XFER_WINDOW_CHUNKS, sizeof(*r->win));
	if (!r || !r->win) {
		cli_error("xfer", "out of memory for the %d-chunk window", XFER_WINDOW_CHUNKS);
		free(r);
		return CLI_EXIT_FAILURE;
	}
	r->app = app;
	r->o = o;
	r->out = out;
	r->status = -1;
	r->start_ns = xfer_now_ns();
	crypto_hash_sha256_init(&r->sha);
	ret = run(r, (int64_t)wait_first_ms * 1000000);
	free(r->win);
	free(r);
	return ret;
}
