/* SPDX-License-Identifier: MIT */
/*
 * drift_app.h - the application side of drift-c's two-process dataplane.
 *
 * In daemon mode `driftd` (control plane: handshakes, keys, peers) and
 * `drift-dp` (fast path: seal, open, send, receive) run the sessions; an
 * application reaches them through this library. It talks to driftd over a
 * control socket (<run_dir>/<name>/ctl) and moves datagrams through shared
 * rings in an application channel file that driftd hands over on attach:
 *
 *   app --send--> tx ring[slot % workers] --> drift-dp worker --> network
 *   app <--recv-- rx ring[w] <-- drift-dp worker w  <-- network
 *   app <--recv-- ctl ring   <-- driftd (session up/down, long-header DATA)
 *
 * The rings live in the channel file, which outlives restarts of driftd and
 * drift-dp: data keeps flowing while driftd restarts, and the control
 * connection is re-established on the next control request.
 *
 * This header is not the embedded transport of drift.h (which runs the whole
 * protocol inside the calling process); the two can be used side by side.
 *
 * Errors: every fallible call returns 0 (or a count) on success and a
 * negative errno on failure; nothing is left in errno.
 *
 * Threads: control calls (listen, add_peer, connect, rekey, close_peer,
 * request) may come from any thread; they serialise on an internal lock.
 * drift_app_send*() and drift_app_flush() may run in one thread at a time
 * (the single producer of the tx rings), drift_app_recv() in one thread at a
 * time (the single consumer of the rx and ctl rings); the two may be
 * different threads. drift_app_detach() must not race with any other call.
 */
#ifndef DRIFT_APP_H
#define DRIFT_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum drift_app_limits {
	DRIFT_APP_MAX_PAYLOAD_BYTES = 1348, /* one DRIFT datagram's payload */
	DRIFT_APP_PEER_ID_BYTES = 8,
	DRIFT_APP_KEY_BYTES = 32,
	DRIFT_APP_PATH_BYTES = 108, /* a unix socket path, NUL included */
};

/* A handle on driftd's control socket and, once attached, one channel. Opaque. */
struct DriftApp;

/*
 * One session as drift-dp knows it: its slot in the session table and the
 * slot's generation (a reused slot gets a new one, so a stale handle is
 * dropped rather than delivered to another peer), plus the peer's id.
 */
struct DriftAppSession {
	uint32_t slot;
	uint32_t generation;
	uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES];
};

enum DriftAppMsgKind {
	DRIFT_APP_DATA = 0,	   /* a datagram from the session's peer */
	DRIFT_APP_ESTABLISHED = 1, /* a session for this channel came up */
	DRIFT_APP_CLOSED = 2,	   /* the session ended; its handle is stale */
};

/* What drift_app_recv() fills in. `data` holds `len` bytes for DATA, nothing otherwise. */
struct DriftAppMsg {
	uint32_t kind; /* enum DriftAppMsgKind */
	uint32_t len;
	struct DriftAppSession session;
	uint8_t data[DRIFT_APP_MAX_PAYLOAD_BYTES];
};

/* One datagram of a batch: `len` bytes at `data` (0..DRIFT_APP_MAX_PAYLOAD_BYTES). */
struct DriftAppBuf {
	const void *data;
	size_t len;
};

/*
 * Slow-path counters of this handle, for tools that print rates next to
 * them. Each is written by one thread (the sender or the receiver); a
 * snapshot taken from another thread may be a few events behind.
 */
struct DriftAppStats {
	uint64_t tx_msgs;	 /* datagrams queued to drift-dp */
	uint64_t tx_ring_full;	 /* send calls answered -EAGAIN */
	uint64_t tx_wakeups;	 /* futex wakes of a sleeping worker */
	uint64_t rx_msgs;	 /* messages returned by drift_app_recv() */
	uint64_t rx_sleeps;	 /* futex waits in drift_app_recv() */
	uint64_t rx_malformed;	 /* ring entries skipped as impossible */
	uint64_t ctl_reconnects; /* control connections re-established */
};

/*
 * Writes the control socket path for `run_dir` (NULL: $DRIFT_RUN_DIR, else
 * /run/drift) and `name` (NULL: "drift") into `out` (DRIFT_APP_PATH_BYTES
 * is enough). Returns 0, or -ENAMETOOLONG when it does not fit `out_len`
 * or a unix socket address.
 */
int drift_app_ctl_path(const char *run_dir, const char *name, char *out, size_t out_len);

/*
 * Connects to driftd's control socket without taking an application
 * channel: enough for requests (show, dump, peer, rekey, close), not for
 * data. NULL on failure with *err set (err may be NULL):
 *   -ENOENT        no socket there: driftd is not running (or another run_dir/name)
 *   -ECONNREFUSED  a stale socket: driftd is not running
 *   -EACCES        not allowed to connect (driftd's socket is 0600)
 *   -ENAMETOOLONG  the path does not fit a unix socket address
 *   -ENOMEM
 * Release with drift_app_detach().
 */
struct DriftApp *drift_app_open(const char *run_dir, const char *name, int *err);

/*
 * drift_app_open() plus "attach": driftd hands over an application channel
 * file (SCM_RIGHTS), which is mapped and checked (magic, layout version,
 * worker count, size, ring geometry). Errors as drift_app_open(), and:
 *   -EBUSY    every application channel is taken (driftd said so)
 *   -EPROTO   a malformed reply, no descriptor, or a channel file that is
 *             not one this library understands (another drift-c version?)
 *   -ETIMEDOUT driftd did not answer within 5 s
 *   -EPIPE    driftd closed the connection before answering
 * The channel stays ours until drift_app_detach() or our process exits.
 */
struct DriftApp *drift_app_attach(const char *run_dir, const char *name, int *err);

/*
 * Sends "detach" (when attached), unmaps the channel, closes everything and
 * frees `app`. Datagrams still in the tx rings are sent by drift-dp if it
 * gets to them first; call drift_app_flush() before to wait for that. NULL
 * is a no-op.
 */
void drift_app_detach(struct DriftApp *app);

/* Worker count of the attached channel (0 when only opened). */
unsigned drift_app_worker_count(const struct DriftApp *app);

/* Copies the handle's counters into *out. */
void drift_app_stats(const struct DriftApp *app, struct DriftAppStats *out);

/*
 * The last "err ..." line driftd answered on this handle (without "err "),
 * or "" when none. Valid until the next control call; read it in the same
 * thread that made the failing call.
 */
const char *drift_app_last_error(const struct DriftApp *app);

/*
 * Sessions that peers start go to this handle's channel; with `accept_any`
 * driftd also accepts identities it was not told about. Needs an attached
 * handle (-ENOTCONN otherwise). Remembered and re-sent after a reconnect.
 * Returns 0 or -EREMOTEIO (driftd refused, see drift_app_last_error()).
 */
int drift_app_listen(struct DriftApp *app, bool accept_any);

/*
 * Tells driftd about a peer: with `addr` (a.b.c.d:port or [v6]:port) we may
 * start sessions with it, without (NULL) we only accept its. When the handle
 * is attached, the peer's DATA comes to this channel. `peer_id` (may be
 * NULL) receives the peer's id. Returns 0, -EINVAL, or -EREMOTEIO.
 */
int drift_app_add_peer(struct DriftApp *app, const uint8_t pub[DRIFT_APP_KEY_BYTES],
		       const char *addr, uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES]);

/*
 * Registers the peer as ours to initiate with, has driftd handshake, and
 * waits (up to timeout_ms, 0: driftd's default of 5 s) until the session is
 * installed in drift-dp; *out then names it. An already running session is
 * returned at once. Returns 0, -ETIMEDOUT (driftd gave up or did not
 * answer), -EINVAL, -ENOTCONN (not attached) or -EREMOTEIO.
 */
int drift_app_connect(struct DriftApp *app, const uint8_t pub[DRIFT_APP_KEY_BYTES],
		      const char *addr, uint32_t timeout_ms, struct DriftAppSession *out);

/* Starts a new key epoch with the peer (by id). 0 or -EREMOTEIO. */
int drift_app_rekey(struct DriftApp *app, const uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES]);

/* Ends the session with the peer (by id). 0 or -EREMOTEIO. */
int drift_app_close_peer(struct DriftApp *app, const uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES]);

/*
 * Queues one datagram for the session. Never blocks and makes a syscall
 * only when the worker that owns the session sleeps. Returns 0, -EAGAIN
 * (the ring is full: retry after drift-dp drained it), -EMSGSIZE (over
 * DRIFT_APP_MAX_PAYLOAD_BYTES), -EINVAL or -ENOTCONN (not attached).
 * Delivery is a datagram's: a stale session or a full path drops it.
 */
int drift_app_send(struct DriftApp *app, const struct DriftAppSession *session, const void *buf,
		   size_t len);

/*
 * Queues up to `count` datagrams for one session with a single ring
 * submit. Returns how many were queued (a prefix of `bufs`, at least 1), or
 * -EAGAIN when none fit, -EMSGSIZE when any is too long (nothing queued),
 * -EINVAL, -ENOTCONN.
 */
int drift_app_send_batch(struct DriftApp *app, const struct DriftAppSession *session,
			 const struct DriftAppBuf *bufs, unsigned count);

/*
 * Waits up to timeout_ms (negative: forever) until drift-dp has taken every
 * queued datagram out of the tx rings. Returns 0 or -ETIMEDOUT.
 */
int drift_app_flush(struct DriftApp *app, int timeout_ms);

/*
 * Takes up to `max` messages from the ctl ring and every worker's rx ring
 * into `msgs` (the caller's memory). With nothing ready it sleeps up to
 * timeout_ms (0: do not wait; negative: forever) until a producer wakes
 * it. Returns the count, 0 on timeout, -EINTR when a signal interrupted
 * the wait, -ENOTCONN when not attached, -EINVAL.
 */
int drift_app_recv(struct DriftApp *app, struct DriftAppMsg *msgs, unsigned max, int timeout_ms);

/*
 * Sends a raw control request (one line, see control/ctl_proto.h) and
 * calls `each_line` (may be NULL) for every reply line, the final "ok ..."
 * or "err ..." line included. Reconnects once when the connection broke.
 * Returns 0 when the reply ended "ok", -EREMOTEIO when it ended "err",
 * -ETIMEDOUT when driftd did not answer within timeout_ms (0: 5 s),
 * -EPIPE when the connection could not be re-established, -EINVAL.
 */
int drift_app_request_each(struct DriftApp *app, const char *line, uint32_t timeout_ms,
			   void (*each_line)(void *ctx, const char *line), void *ctx);

/*
 * drift_app_request_each() collecting the reply lines, newline-separated,
 * into `reply` (always NUL-terminated). Also returns -ENOBUFS when the reply
 * did not fit (what fit is kept; the connection stays in step).
 */
int drift_app_request(struct DriftApp *app, const char *line, char *reply, size_t reply_len);

#ifdef __cplusplus
}
#endif

#endif
