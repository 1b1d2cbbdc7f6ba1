/* SPDX-License-Identifier: MIT */
/*
 * Batched TUN I/O for one worker's queue, on io_uring: a TUN carries one
 * packet per read() and per write(), and on a small VM the syscall per
 * packet is what limits small-packet and fragmented traffic. Here
 *
 *   reads:  one multishot READ with provided buffers (Linux 6.7+) posts a
 *           completion per packet; the worker peeks them with no syscall
 *           and hands buffers back in batches;
 *   writes: a burst's writes are queued as WRITEV SQEs and submitted with
 *           one io_uring_enter, which also waits for them (a TUN write
 *           completes inline, so the wait costs nothing and the buffers
 *           are free again when it returns).
 *
 * tun_uring_init() fails on kernels without multishot reads; the worker
 * then keeps to plain read()/writev().
 */
#ifndef DRIFT_DATAPLANE_TUN_URING_H
#define DRIFT_DATAPLANE_TUN_URING_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

enum tun_uring_const {
	TUN_URING_BUFS = 64,		  /* read buffers (power of two) */
	TUN_URING_BUF_BYTES = 65536 + 64, /* a vnet header and a 64 KiB super-packet */
	TUN_URING_WRITES = 128,		  /* write SQEs per batch */
};

struct tun_uring {
	int fd;
	struct io_uring rd, wr;
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	uint32_t br_added;
	bool is_armed, has_rings;
	uint32_t queued_writes;
	uint64_t rearms, nobufs;
};

/* 0, or -errno (-EINVAL/-EOPNOTSUPP: no multishot read here; use plain syscalls). */
int tun_uring_init(struct tun_uring *u, int fd);
void tun_uring_fini(struct tun_uring *u);

/* The fd that turns readable when a read completed (for the worker's sleep). */
static inline int tun_uring_wait_fd(const struct tun_uring *u)
{
	return u->rd.ring_fd;
}

/*
 * The next completed read: its bytes and buffer id, false if none is
 * waiting. The caller hands the buffer back with tun_uring_read_done().
 */
bool tun_uring_read_next(struct tun_uring *u, const uint8_t **data, uint32_t *len, uint16_t *id);
void tun_uring_read_done(struct tun_uring *u, uint16_t id);
/* Publishes returned buffers and re-arms the read if it ended. */
void tun_uring_read_flush(struct tun_uring *u);

/* Queues one write; false if the batch is full (flush first). iov must live until flush. */
bool tun_uring_write(struct tun_uring *u, const struct iovec *iov, uint32_t iovcnt);
/* Submits the queued writes and waits for them; returns how many failed. */
uint32_t tun_uring_write_flush(struct tun_uring *u);

#endif
