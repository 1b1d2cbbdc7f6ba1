/* SPDX-License-Identifier: MIT */
/*
 * Batched TUN I/O on io_uring (tun_uring.h).
 */
#include "dataplane/tun_uring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

enum {
	OP_READ_MULTISHOT = 49, /* IORING_OP_READ_MULTISHOT (Linux 6.7), not in liburing 2.3 */
	BUF_GROUP = 7,
	UD_READ = 1,
	UD_WRITE = 2,
};

static uint8_t *buf_at(struct tun_uring *u, uint32_t id)
{
	return u->bufs + (size_t)id * TUN_URING_BUF_BYTES;
}

void tun_uring_read_done(struct tun_uring *u, uint16_t id)
{
	io_uring_buf_ring_add(u->br, buf_at(u, id), TUN_URING_BUF_BYTES, id,
			      io_uring_buf_ring_mask(TUN_URING_BUFS), (int)u->br_added++);
}

static void arm(struct tun_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->rd);

	if (!sqe)
		return;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = OP_READ_MULTISHOT;
	sqe->fd = u->fd;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	sqe->user_data = UD_READ;
	u->is_armed = true;
	u->rearms++;
}

void tun_uring_read_flush(struct tun_uring *u)
{
	if (u->br_added) {
		io_uring_buf_ring_advance(u->br, (int)u->br_added);
		u->br_added = 0;
	}
	if (!u->is_armed) {
		arm(u);
		io_uring_submit(&u->rd);
	}
}

bool tun_uring_read_next(struct tun_uring *u, const uint8_t **data, uint32_t *len, uint16_t *id)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&u->rd, &cqe) == 0) {
		bool has_buf = cqe->flags & IORING_CQE_F_BUFFER;
		uint32_t b = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		int res = cqe->res;

		if (!(cqe->flags & IORING_CQE_F_MORE))
			u->is_armed = false;
		io_uring_cqe_seen(&u->rd, cqe);
		if (res == -ENOBUFS)
			u->nobufs++;
		if (!has_buf || b >= TUN_URING_BUFS)
			continue;
		if (res <= 0) {
			tun_uring_read_done(u, (uint16_t)b);
			continue;
		}
		*data = buf_at(u, b);
		*len = (uint32_t)res;
		*id = (uint16_t)b;
		return true;
	}
	return false;
}

bool tun_uring_write(struct tun_uring *u, const struct iovec *iov, uint32_t iovcnt)
{
	struct io_uring_sqe *sqe;

	if (u->queued_writes == TUN_URING_WRITES || !(sqe = io_uring_get_sqe(&u->wr)))
		return false;
	io_uring_prep_writev(sqe, u->fd, iov, iovcnt, 0);
	sqe->user_data = UD_WRITE;
	u->queued_writes++;
	return true;
}

uint32_t tun_uring_write_flush(struct tun_uring *u)
{
	uint32_t n = u->queued_writes, failed = 0, seen = 0;
	struct io_uring_cqe *cqe;

	if (!n)
		return 0;
	u->queued_writes = 0;
	/* Waits for all: the iovecs point into buffers the next burst reuses. */
	if (io_uring_submit_and_wait(&u->wr, n) < 0)
		return n;
	while (seen < n && io_uring_wait_cqe(&u->wr, &cqe) == 0) {
		failed += cqe->res < 0;
		io_uring_cqe_seen(&u->wr, cqe);
		seen++;
	}
	return failed + (n - seen);
}

int tun_uring_init(struct tun_uring *u, int fd)
{
	struct io_uring_buf_reg reg = {0};
	struct io_uring_params params = {0};
	size_t br_bytes = TUN_URING_BUFS * sizeof(struct io_uring_buf);
	int rc;

	memset(u, 0, sizeof(*u));
	u->fd = fd;
	params.flags = IORING_SETUP_CQSIZE;
	params.cq_entries = 4 * TUN_URING_BUFS;
	if ((rc = io_uring_queue_init_params(8, &u->rd, &params)) < 0)
		return rc;
	if ((rc = io_uring_queue_init(TUN_URING_WRITES, &u->wr, 0)) < 0) {
		io_uring_queue_exit(&u->rd);
		return rc;
	}
	u->has_rings = true;
	rc = -ENOMEM;
	u->br = mmap(NULL, br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	u->bufs = mmap(NULL, (size_t)TUN_URING_BUFS * TUN_URING_BUF_BYTES, PROT_READ | PROT_WRITE,
		       MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->br == MAP_FAILED || u->bufs == MAP_FAILED)
		goto err;
	reg.ring_addr = (unsigned long)u->br;
	reg.ring_entries = TUN_URING_BUFS;
	reg.bgid = BUF_GROUP;
	if ((rc = io_uring_register_buf_ring(&u->rd, &reg, 0)) < 0)
		goto err;
	io_uring_buf_ring_init(u->br);
	for (uint32_t id = 0; id < TUN_URING_BUFS; id++)
		tun_uring_read_done(u, (uint16_t)id);
	tun_uring_read_flush(u);
	/* An old kernel refuses the opcode at once: see it now, not on the first packet. */
	{
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_nsec = 1000000};

		if (io_uring_wait_cqe_timeout(&u->rd, &cqe, &ts) == 0 &&
		    !(cqe->flags & IORING_CQE_F_MORE) &&
		    (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP || cqe->res == -EBADF)) {
			rc = cqe->res;
			goto err;
		}
	}
	return 0;
err:
	tun_uring_fini(u);
	return rc;
}

void tun_uring_fini(struct tun_uring *u)
{
	if (u->has_rings) {
		io_uring_queue_exit(&u->rd);
		io_uring_queue_exit(&u->wr);
	}
	if (u->br && u->br != MAP_FAILED)
		munmap(u->br, TUN_URING_BUFS * sizeof(struct io_uring_buf));
	if (u->bufs && u->bufs != MAP_FAILED)
		munmap(u->bufs, (size_t)TUN_URING_BUFS * TUN_URING_BUF_BYTES);
	memset(u, 0, sizeof(*u));
	u->fd = -1;
}
