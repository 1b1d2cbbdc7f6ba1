/* SPDX-License-Identifier: MIT */
/*
 * The transport part of the public API (include/drift.h): one UDP socket,
 * one session engine and one io_uring loop thread per struct DriftTransport.
 *
 *   app thread(s)                          loop thread
 *   drift_transport_send_data ─┐           uring_loop_run_once ─▶ engine_receive
 *     lock, engine call,       │  mutex    engine_on_timer        │
 *     sendmmsg of its output ──┘◀────────▶ output → sendmsg SQEs  ▼
 *   drift_transport_recv ◀── condvar ───── DATA events → message queue
 *
 * The engine is single-threaded, so every engine call holds `lock`.
 * Datagrams the loop thread produces go out as io_uring SQEs in the same
 * submit as the next wait; datagrams an application thread produces leave
 * in one sendmmsg() before that thread drops the lock.
 */
#include "drift.h"

#include "control/api_identity.h"
#include "control/udp_socket.h"
#include "control/uring_loop.h"
#include "crypto/backend.h"
#include "crypto/secret.h"
#include "proto/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	APP_TX_MAX = 64, /* datagrams one application call hands to one sendmmsg() */
	MSG_QUEUE_MAX = 1 << 16,
};

struct DriftMessage {
	struct DriftMessage *next;
	uint8_t peer_id[8];
	size_t len;
	uint8_t data[];
};

struct app_tx {
	struct sockaddr_storage to;
	socklen_t to_len;
	struct iovec iov;
	uint16_t len;
	uint8_t buf[WIRE_MAX_PACKET_BYTES];
};

struct DriftTransport {
	pthread_mutex_t lock; /* guards the engine, the queue and app_tx */
	pthread_cond_t readable;
	pthread_t thread;
	atomic_bool is_stopping;
	struct uring_loop loop;
	int fd, family;
	struct engine *e;
	char local[64];

	struct DriftMessage *q_head, *q_tail;
	atomic_size_t q_len; /* written under lock; read without it while spinning */
	uint64_t q_dropped;

	struct app_tx app_tx[APP_TX_MAX];
	unsigned app_tx_len;
	uint64_t loop_deadline_ms; /* the deadline the loop thread is sleeping towards */

	pthread_cond_t state_changed; /* any non-DATA engine event */
	bool is_dead;		      /* the loop thread stopped on an error: calls fail */
	atomic_uint_fast64_t handshakes;
	atomic_uint busy_poll_us; /* see busy_poll(); 0 = sleep at once */
};

/* Which thread is running: the loop thread sends through io_uring. */
static _Thread_local const struct DriftTransport *loop_owner;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void flush_app_tx(struct DriftTransport *t)
{
	struct mmsghdr msgs[APP_TX_MAX];
	unsigned done = 0;
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < t->app_tx_len; i++) {
		struct app_tx *a = &t->app_tx[i];

		a->iov.iov_base = a->buf;
		a->iov.iov_len = a->len;
		msgs[i].msg_hdr.msg_name = &a->to;
		msgs[i].msg_hdr.msg_namelen = a->to_len;
		msgs[i].msg_hdr.msg_iov = &a->iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < t->app_tx_len) {
		n = sendmmsg(t->fd, msgs + done, t->app_tx_len - done, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			done++; /* skip the datagram the kernel refused (e.g. unreachable) */
			continue;
		}
		done += (unsigned)n;
	}
	t->app_tx_len = 0;
}

static void on_send(void *ctx, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	struct DriftTransport *t = ctx;
	struct app_tx *a;

	if (loop_owner == t) {
		uring_loop_send(&t->loop, to, buf, len);
		return;
	}
	if (t->app_tx_len == APP_TX_MAX)
		flush_app_tx(t);
	a = &t->app_tx[t->app_tx_len];
	a->to_len = udp_socket_sockaddr(&a->to, to, t->family);
	if (!a->to_len)
		return;
	memcpy(a->buf, buf, len);
	a->len = (uint16_t)len;
	t->app_tx_len++;
}

static void on_event(void *ctx, const struct engine_event *ev)
{
	struct DriftTransport *t = ctx;
	struct DriftMessage *m;

	if (ev->type == ENGINE_EV_ESTABLISHED)
		atomic_fetch_add(&t->handshakes, 1);
	if (ev->type != ENGINE_EV_DATA) {
		pthread_cond_broadcast(&t->state_changed);
		return;
	}
	if (t->q_len >= MSG_QUEUE_MAX) {
		t->q_dropped++;
		return;
	}
	m = malloc(sizeof(*m) + ev->payload_len);
	if (!m) {
		t->q_dropped++;
		return;
	}
	m->next = NULL;
	memcpy(m->peer_id, ev->peer_id, 8);
	m->len = ev->payload_len;
	memcpy(m->data, ev->payload, ev->payload_len);
	if (t->q_tail)
		t->q_tail->next = m;
	else
		t->q_head = m;
	t->q_tail = m;
	t->q_len++;
	pthread_cond_signal(&t->readable);
}

static void on_datagram(void *ctx, const uint8_t *buf, size_t len, const struct net_addr *from)
{
	struct DriftTransport *t = ctx;

	engine_receive(t->e, mono_ms(), buf, len, from);
}

static void *loop_main(void *arg)
{
	struct DriftTransport *t = arg;
	uint64_t now, deadline, wait_ns;
	bool woken;

	loop_owner = t;
	while (!atomic_load(&t->is_stopping)) {
		pthread_mutex_lock(&t->lock);
		uring_loop_reap(&t->loop, on_datagram, t, &woken);
		now = mono_ms();
		if (engine_next_deadline(t->e) <= now)
			engine_on_timer(t->e, now);
		deadline = engine_next_deadline(t->e);
		t->loop_deadline_ms = deadline;
		/*
		 * Hand our datagrams to the kernel before an application thread can
		 * send: its sendmmsg() must not overtake, say, the REKEY_REQUEST
		 * whose new key its DATA is already sealed with.
		 */
		uring_loop_flush(&t->loop);
		pthread_mutex_unlock(&t->lock);

		/* Sleep until the engine's next timer (at most 1 s); a wake-up cuts it short. */
		wait_ns = 1000000000ULL;
		if (deadline <= now)
			wait_ns = 100000;
		else if (deadline - now < 1000)
			wait_ns = (deadline - now) * 1000000ULL;
		if (uring_loop_wait(&t->loop, wait_ns) < 0)
			break;
	}
	/* Stopped on an error (not on request): blocked receivers must learn it. */
	pthread_mutex_lock(&t->lock);
	t->is_dead = !atomic_load(&t->is_stopping);
	pthread_cond_broadcast(&t->readable);
	pthread_cond_broadcast(&t->state_changed);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* After an application call: send its output and wake the loop if a timer moved earlier. */
static void finish_app_call(struct DriftTransport *t)
{
	flush_app_tx(t);
	if (engine_next_deadline(t->e) < t->loop_deadline_ms) {
		t->loop_deadline_ms = engine_next_deadline(t->e);
		uring_loop_wake(&t->loop);
	}
}

static enum DriftResult result_of(int rc)
{
	switch (rc) {
	case 0:
		return DRIFT_OK;
	case -ENOENT:
		return DRIFT_ERR_UNKNOWN_PEER;
	case -ENOBUFS:
		return DRIFT_ERR_QUEUE_FULL;
	case -EPIPE:
		return DRIFT_ERR_HANDSHAKE_EXHAUSTED;
	case -ERANGE:
		return DRIFT_ERR_SESSION_EXHAUSTED;
	case -ENOSPC:
		return DRIFT_ERR_QUEUE_FULL; /* the peer table is full */
	case -EDESTADDRREQ:
		return DRIFT_ERR_INVALID_ADDR; /* no address known for the peer */
	case -ENOTCONN:			       /* no session (rekey, close) or not an initiator */
	case -EMSGSIZE:
	case -EINVAL:
	case -EEXIST:
		return DRIFT_ERR_INVALID_ARGUMENT;
	case -ENOMEM:
		return DRIFT_ERR_INTERNAL;
	default:
		return DRIFT_ERR_IO;
	}
}

static enum DriftResult bind_fail(struct DriftTransport *t, enum DriftResult r)
{
	if (t->e)
		engine_free(t->e);
	if (t->loop.tx)
		uring_loop_fini(&t->loop);
	if (t->fd >= 0)
		close(t->fd);
	pthread_cond_destroy(&t->readable);
	pthread_cond_destroy(&t->state_changed);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return r;
}

enum DriftResult drift_transport_bind(const char *addr, struct DriftIdentity *identity,
				      struct DriftTransport **out)
{
	struct engine_io io = {on_send, on_event, NULL, NULL};
	struct engine_config cfg;
	struct DriftTransport *t;
	int rc;

	if (out)
		*out = NULL;
	if (!addr || !identity || !out) {
		drift_identity_free(identity);
		return DRIFT_ERR_INVALID_ARGUMENT;
	}
	if (backend_init() != 0 || !(t = calloc(1, sizeof(*t)))) {
		drift_identity_free(identity);
		return DRIFT_ERR_INTERNAL;
	}
	pthread_mutex_init(&t->lock, NULL);
	{
		/* Timeouts follow the monotonic clock: a wall-clock step changes nothing. */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&t->readable, &ca);
		pthread_cond_init(&t->state_changed, &ca);
		pthread_condattr_destroy(&ca);
	}
	t->fd = udp_socket_open(addr, &t->family);
	if (t->fd < 0) {
		drift_identity_free(identity);
		return bind_fail(t, t->fd == -EINVAL ? DRIFT_ERR_INVALID_ADDR : DRIFT_ERR_IO);
	}
	udp_socket_local_text(t->fd, t->local, sizeof(t->local));
	engine_config_default(&cfg);
	io.ctx = t;
	t->e = engine_new(identity->secret, &cfg, &io, mono_ms(), unix_ms());
	drift_identity_free(identity); /* ownership passed to us, also on failure */
	if (!t->e)
		return bind_fail(t, DRIFT_ERR_INTERNAL);
	rc = uring_loop_init(&t->loop, t->fd, t->family);
	if (rc < 0)
		return bind_fail(t, DRIFT_ERR_IO);
	t->loop_deadline_ms = UINT64_MAX;
	{
		/* For programs that use only DRIFT's C ABI: the environment sets the default. */
		const char *env = getenv("DRIFT_BUSY_POLL_US");
		unsigned long us = env ? strtoul(env, NULL, 10) : 0;

		atomic_store(&t->busy_poll_us, us > 1000000 ? 1000000 : (unsigned)us);
	}
	if (pthread_create(&t->thread, NULL, loop_main, t) != 0)
		return bind_fail(t, DRIFT_ERR_INTERNAL);
	*out = t;
	return DRIFT_OK;
}

enum DriftResult drift_transport_add_peer(struct DriftTransport *transport, const uint8_t *peer_pub,
					  const char *addr, int initiator, uint8_t *out_pid)
{
	struct net_addr a;
	int rc;

	if (!transport || !peer_pub || !addr || !out_pid)
		return DRIFT_ERR_INVALID_ARGUMENT;
	if (!addr_parse(&a, addr, true))
		return DRIFT_ERR_INVALID_ADDR;
	pthread_mutex_lock(&transport->lock);
	rc = engine_add_peer(transport->e, peer_pub, &a, initiator != 0, out_pid);
	pthread_mutex_unlock(&transport->lock);
	return result_of(rc);
}

enum DriftResult drift_transport_send_data(struct DriftTransport *transport, const uint8_t *peer_id,
					   const uint8_t *payload, uintptr_t payload_len,
					   uint16_t deadline_ms, uint32_t coalesce_group)
{
	int rc;

	if (!transport || !peer_id || (!payload && payload_len))
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	rc = engine_send_data(transport->e, mono_ms(), peer_id, payload, payload_len, deadline_ms,
			      coalesce_group);
	finish_app_call(transport);
	pthread_mutex_unlock(&transport->lock);
	return result_of(rc);
}

enum DriftResult drift_transport_send_batch(struct DriftTransport *transport,
					    const uint8_t *peer_id, const uint8_t *const *payloads,
					    const uintptr_t *lens, uintptr_t count,
					    uintptr_t *out_sent)
{
	enum DriftResult r = DRIFT_OK;
	uintptr_t i;
	uint64_t now;

	if (out_sent)
		*out_sent = 0;
	if (!transport || !peer_id || (count && (!payloads || !lens)))
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	now = mono_ms();
	/* One lock, one engine pass per payload, one sendmmsg() per 64 datagrams. */
	for (i = 0; i < count; i++) {
		int rc = payloads[i] || !lens[i] ? engine_send_data(transport->e, now, peer_id,
								    payloads[i], lens[i], 0, 0)
						 : -EINVAL;

		if (rc) {
			r = result_of(rc);
			break;
		}
	}
	finish_app_call(transport);
	pthread_mutex_unlock(&transport->lock);
	if (out_sent)
		*out_sent = i;
	return r;
}

/* Absolute CLOCK_MONOTONIC deadline for pthread_cond_timedwait (see the condattr). */
static struct timespec deadline_in(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/*
 * Busy-polling: before sleeping on the condvar, drift_transport_recv() polls
 * the queue for up to busy_poll_us. A message that arrives meanwhile skips
 * the futex wake-up and the scheduler, which is most of the round trip on a
 * fast path (perf/RESULTS.md); the price is a core spinning while it waits.
 */
static void busy_poll(struct DriftTransport *t)
{
	uint32_t us = atomic_load_explicit(&t->busy_poll_us, memory_order_relaxed);
	struct timespec ts;
	uint64_t end_ns, now_ns;

	if (!us)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + us * 1000ULL;
	while (!atomic_load_explicit(&t->q_len, memory_order_relaxed)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		if (now_ns >= end_ns)
			return;
		__builtin_ia32_pause();
	}
}

enum DriftResult drift_transport_recv(struct DriftTransport *transport, uint64_t timeout_ms,
				      struct DriftMessage **out_msg)
{
	struct timespec until;
	struct DriftMessage *m;

	if (!out_msg)
		return DRIFT_ERR_INVALID_ARGUMENT;
	*out_msg = NULL;
	if (!transport)
		return DRIFT_ERR_INVALID_ARGUMENT;
	until = deadline_in(timeout_ms);
	busy_poll(transport);
	pthread_mutex_lock(&transport->lock);
	while (!transport->q_head) {
		int rc;

		if (transport->is_dead) {
			pthread_mutex_unlock(&transport->lock);
			return DRIFT_ERR_IO;
		}
		rc = timeout_ms ? pthread_cond_timedwait(&transport->readable, &transport->lock,
							 &until)
				: pthread_cond_wait(&transport->readable, &transport->lock);

		if (rc == ETIMEDOUT && !transport->q_head) {
			pthread_mutex_unlock(&transport->lock);
			return DRIFT_ERR_TIMEOUT;
		}
	}
	m = transport->q_head;
	transport->q_head = m->next;
	if (!transport->q_head)
		transport->q_tail = NULL;
	transport->q_len--;
	pthread_mutex_unlock(&transport->lock);
	m->next = NULL;
	*out_msg = m;
	return DRIFT_OK;
}

enum DriftResult drift_transport_recv_batch(struct DriftTransport *transport, uint64_t timeout_ms,
					    struct DriftMessage **out_msgs, uintptr_t max,
					    uintptr_t *out_count)
{
	enum DriftResult r;
	uintptr_t n = 0;

	if (!out_count || !out_msgs || !max)
		return DRIFT_ERR_INVALID_ARGUMENT;
	*out_count = 0;
	/* The first message waits like drift_transport_recv; the rest take what is queued. */
	r = drift_transport_recv(transport, timeout_ms, &out_msgs[0]);
	if (r != DRIFT_OK)
		return r;
	n = 1;
	pthread_mutex_lock(&transport->lock);
	while (n < max && transport->q_head) {
		struct DriftMessage *m = transport->q_head;

		transport->q_head = m->next;
		if (!transport->q_head)
			transport->q_tail = NULL;
		transport->q_len--;
		m->next = NULL;
		out_msgs[n++] = m;
	}
	pthread_mutex_unlock(&transport->lock);
	*out_count = n;
	return DRIFT_OK;
}

uint64_t drift_transport_handshakes_completed(const struct DriftTransport *transport)
{
	return transport ? atomic_load(&transport->handshakes) : 0;
}

enum DriftResult drift_transport_local_addr(const struct DriftTransport *transport, char *out_buf,
					    uintptr_t buf_len)
{
	size_t n;

	if (!out_buf || !buf_len)
		return DRIFT_ERR_INVALID_ARGUMENT;
	out_buf[0] = 0;
	if (!transport)
		return DRIFT_ERR_INVALID_ARGUMENT;
	n = strlen(transport->local);
	if (n + 1 > buf_len)
		return DRIFT_ERR_INVALID_ARGUMENT;
	memcpy(out_buf, transport->local, n + 1);
	return DRIFT_OK;
}

void drift_transport_free(struct DriftTransport *transport)
{
	struct DriftMessage *m, *next;

	if (!transport)
		return;
	atomic_store(&transport->is_stopping, true);
	uring_loop_wake(&transport->loop);
	pthread_join(transport->thread, NULL);
	for (m = transport->q_head; m; m = next) {
		next = m->next;
		drift_message_free(m);
	}
	transport->q_head = NULL;
	engine_free(transport->e);
	transport->e = NULL;
	uring_loop_fini(&transport->loop);
	close(transport->fd);
	transport->fd = -1;
	pthread_cond_destroy(&transport->readable);
	pthread_cond_destroy(&transport->state_changed);
	pthread_mutex_destroy(&transport->lock);
	free(transport);
}

uintptr_t drift_message_payload_len(const struct DriftMessage *msg)
{
	return msg ? msg->len : 0;
}

const uint8_t *drift_message_payload(const struct DriftMessage *msg)
{
	return msg ? msg->data : NULL;
}

enum DriftResult drift_message_peer_id(const struct DriftMessage *msg, uint8_t *out)
{
	if (!msg || !out)
		return DRIFT_ERR_INVALID_ARGUMENT;
	memcpy(out, msg->peer_id, 8);
	return DRIFT_OK;
}

void drift_message_free(struct DriftMessage *msg)
{
	if (!msg)
		return;
	secret_wipe(msg->data, msg->len);
	free(msg);
}

/* ---- drift-c extensions */

enum DriftResult drift_transport_set_accept_any(struct DriftTransport *transport, bool accept_any)
{
	if (!transport)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	engine_set_accept_any_peer(transport->e, accept_any);
	pthread_mutex_unlock(&transport->lock);
	return DRIFT_OK;
}

enum DriftResult drift_transport_set_max_peers(struct DriftTransport *transport, uint32_t max_peers)
{
	if (!transport || !max_peers || max_peers > (1u << 22))
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	engine_set_max_auto_peers(transport->e, max_peers);
	pthread_mutex_unlock(&transport->lock);
	return DRIFT_OK;
}

enum DriftResult drift_transport_set_busy_poll(struct DriftTransport *transport, uint32_t usec)
{
	if (!transport || usec > 1000000)
		return DRIFT_ERR_INVALID_ARGUMENT;
	atomic_store(&transport->busy_poll_us, usec);
	return DRIFT_OK;
}

enum DriftResult drift_transport_set_cookies(struct DriftTransport *transport, bool always,
					     uint32_t threshold)
{
	if (!transport)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	engine_set_cookies(transport->e, always, threshold);
	finish_app_call(transport);
	pthread_mutex_unlock(&transport->lock);
	return DRIFT_OK;
}

enum DriftResult drift_transport_connect(struct DriftTransport *transport, const uint8_t *peer_id,
					 uint64_t timeout_ms)
{
	struct engine_peer_info info;
	struct timespec until = deadline_in(timeout_ms);
	enum DriftResult r = DRIFT_OK;
	int rc;

	if (!transport || !peer_id || !timeout_ms)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	rc = engine_connect(transport->e, mono_ms(), peer_id);
	finish_app_call(transport);
	if (rc) {
		r = result_of(rc);
		goto out_unlock;
	}
	for (;;) {
		if (engine_peer_info(transport->e, peer_id, &info) != 0) {
			r = DRIFT_ERR_UNKNOWN_PEER;
			break;
		}
		if (info.state == PEER_ESTABLISHED)
			break;
		if (transport->is_dead) {
			r = DRIFT_ERR_IO;
			break;
		}
		if (info.state == PEER_PENDING && info.is_hs_exhausted) {
			r = DRIFT_ERR_HANDSHAKE_EXHAUSTED;
			break;
		}
		if (pthread_cond_timedwait(&transport->state_changed, &transport->lock, &until) ==
		    ETIMEDOUT) {
			r = DRIFT_ERR_TIMEOUT;
			break;
		}
	}
out_unlock:
	pthread_mutex_unlock(&transport->lock);
	return r;
}

enum DriftResult drift_transport_close_peer(struct DriftTransport *transport,
					    const uint8_t *peer_id)
{
	int rc;

	if (!transport || !peer_id)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	rc = engine_close(transport->e, mono_ms(), peer_id);
	finish_app_call(transport);
	pthread_mutex_unlock(&transport->lock);
	return result_of(rc);
}

enum DriftResult drift_transport_rekey(struct DriftTransport *transport, const uint8_t *peer_id)
{
	int rc;

	if (!transport || !peer_id)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	rc = engine_rekey(transport->e, mono_ms(), peer_id);
	finish_app_call(transport);
	pthread_mutex_unlock(&transport->lock);
	return result_of(rc);
}

enum DriftResult drift_transport_export_ticket(const struct DriftTransport *transport,
					       const uint8_t *peer_id, uint8_t *out97)
{
	struct DriftTransport *t = (struct DriftTransport *)transport;
	int rc;

	if (!t || !peer_id || !out97)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&t->lock);
	rc = engine_export_ticket(t->e, peer_id, out97);
	pthread_mutex_unlock(&t->lock);
	return rc == -ENOENT ? DRIFT_ERR_UNKNOWN_PEER : rc ? DRIFT_ERR_INVALID_ARGUMENT : DRIFT_OK;
}

enum DriftResult drift_transport_import_ticket(struct DriftTransport *transport,
					       const uint8_t *blob97)
{
	int rc;

	if (!transport || !blob97)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&transport->lock);
	rc = engine_import_ticket(transport->e, mono_ms(), blob97);
	pthread_mutex_unlock(&transport->lock);
	return rc == -ENOENT ? DRIFT_ERR_UNKNOWN_PEER : rc ? DRIFT_ERR_INVALID_ARGUMENT : DRIFT_OK;
}

enum DriftResult drift_transport_peer_stats(const struct DriftTransport *transport,
					    const uint8_t *peer_id, struct DriftPeerStats *out)
{
	struct DriftTransport *t = (struct DriftTransport *)transport;
	struct engine_peer_info info;
	int rc;

	if (!t || !peer_id || !out)
		return DRIFT_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&t->lock);
	rc = engine_peer_info(t->e, peer_id, &info);
	pthread_mutex_unlock(&t->lock);
	if (rc)
		return result_of(rc);
	memset(out, 0, sizeof(*out));
	out->is_established = info.state == PEER_ESTABLISHED;
	out->is_resumable = info.has_ticket;
	out->uses_short_header = info.has_short_header;
	out->was_resumed = info.is_resumed;
	out->srtt_us = info.srtt_us;
	out->tx_packets = info.tx_packets;
	out->rx_packets = info.rx_packets;
	out->tx_bytes = info.tx_bytes;
	out->rx_bytes = info.rx_bytes;
	addr_format(out->endpoint, sizeof(out->endpoint), &info.addr);
	return DRIFT_OK;
}
