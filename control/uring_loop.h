/* SPDX-License-Identifier: MIT */
/*
 * An io_uring event loop around one UDP socket: a multishot recvmsg fed by
 * a provided-buffer ring (one SQE receives until the buffers run out), a
 * read on an eventfd so other threads can wake the loop, and sendmsg SQEs
 * from a fixed pool of transmit slots, all submitted with one syscall per
 * loop turn. Used by the embedded transport and by driftd.
 *
 * Threads: the loop is owned by one thread. uring_loop_wake() is the only
 * call another thread may make.
 */
#ifndef DRIFT_CONTROL_URING_LOOP_H
#define DRIFT_CONTROL_URING_LOOP_H

#include "proto/addr.h"
#include "proto/wire.h"

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum uring_loop_size {
	URING_RX_BUFS = 256,	   /* power of two: the provided-buffer ring */
	URING_RX_BUF_BYTES = 2048, /* recvmsg_out header + sockaddr + a 1400-byte datagram */
	URING_TX_SLOTS = 512,
	URING_ENTRIES = 1024,
};

struct uring_tx_slot {
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_storage to;
	uint8_t buf[WIRE_MAX_PACKET_BYTES];
};

struct uring_loop_stats {
	uint64_t rx_datagrams, rx_truncated, rx_rearms, rx_nobufs;
	uint64_t tx_datagrams, tx_errors, tx_sync_fallbacks;
	uint64_t wakeups, submits;
};

struct uring_loop {
	struct io_uring ring;
	int fd, family, efd;
	struct io_uring_buf_ring *br;
	uint8_t *rx_bufs;
	struct msghdr rx_msg; /* template for the multishot recvmsg: name length only */
	bool is_rx_armed, is_efd_armed;
	uint64_t efd_value;
	struct uring_tx_slot *tx;
	uint16_t tx_free[URING_TX_SLOTS];
	uint32_t tx_free_count;
	unsigned pending_sqes;
	struct uring_loop_stats stats;
};

typedef void (*uring_rx_fn)(void *ctx, const uint8_t *buf, size_t len, const struct net_addr *from);

/* Sets up the ring, buffers and eventfd for socket `fd`. Returns 0 or -errno. */
int uring_loop_init(struct uring_loop *l, int fd, int family);
void uring_loop_fini(struct uring_loop *l);

/*
 * Queues one datagram (copied). Submitted on the next uring_loop_wait()
 * or uring_loop_flush(). Falls back to a direct sendto() when every slot is
 * in flight. Returns 0, or -EAFNOSUPPORT when `to` cannot be reached from
 * this socket's family.
 */
int uring_loop_send(struct uring_loop *l, const struct net_addr *to, const uint8_t *buf,
		    size_t len);

/* Submits queued SQEs without waiting. */
void uring_loop_flush(struct uring_loop *l);

/*
 * Submits what is queued and sleeps until at least one completion is ready
 * or `timeout_ns` passes. Consumes nothing. Returns 0 or -errno.
 */
int uring_loop_wait(struct uring_loop *l, uint64_t timeout_ns);

/*
 * Handles every completion that is ready: each received datagram goes to
 * `fn`, finished sends free their slots, and the receive and wake-up are
 * re-armed. `*woken` is set when another thread called uring_loop_wake().
 * Returns the number of datagrams handled.
 */
int uring_loop_reap(struct uring_loop *l, uring_rx_fn fn, void *ctx, bool *woken);

/* Wakes the loop's thread (any thread; async-signal-safe). */
void uring_loop_wake(const struct uring_loop *l);

#endif
