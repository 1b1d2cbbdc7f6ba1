/* SPDX-License-Identifier: MIT */
/*
 * The io_uring loop. Completions are tagged in user_data: RX for the
 * multishot receive, WAKE for the eventfd read, TX_BASE + slot for sends.
 * The multishot receive ends when the buffer ring is empty or on an error;
 * the loop then re-arms it after returning buffers, so a burst larger than
 * the ring only costs a re-arm, never a lost socket.
 */
#include "control/uring_loop.h"

#include "control/udp_socket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum {
	TAG_RX = 1,
	TAG_WAKE = 2,
	TAG_TX_BASE = 16,
	BUF_GROUP = 7,
};

static struct io_uring_sqe *get_sqe(struct uring_loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		/* SQ full: push what we have to the kernel and try once more. */
		io_uring_submit(&l->ring);
		l->stats.submits++;
		l->pending_sqes = 0;
		sqe = io_uring_get_sqe(&l->ring);
	}
	if (sqe)
		l->pending_sqes++;
	return sqe;
}

static void arm_rx(struct uring_loop *l)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, l->fd, &l->rx_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, TAG_RX);
	l->is_rx_armed = true;
	l->stats.rx_rearms++;
}

static void arm_wake(struct uring_loop *l)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, l->efd, &l->efd_value, sizeof(l->efd_value), 0);
	io_uring_sqe_set_data64(sqe, TAG_WAKE);
	l->is_efd_armed = true;
}

static void return_buf(struct uring_loop *l, unsigned id)
{
	io_uring_buf_ring_add(l->br, l->rx_bufs + (size_t)id * URING_RX_BUF_BYTES,
			      URING_RX_BUF_BYTES, (unsigned short)id,
			      io_uring_buf_ring_mask(URING_RX_BUFS), 0);
	io_uring_buf_ring_advance(l->br, 1);
}

int uring_loop_init(struct uring_loop *l, int fd, int family)
{
	struct io_uring_buf_reg reg = {0};
	struct io_uring_params p = {0};
	size_t br_bytes = URING_RX_BUFS * sizeof(struct io_uring_buf);
	int rc;

	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->family = family;
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->efd < 0)
		return -errno;
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = URING_ENTRIES * 4;
	rc = io_uring_queue_init_params(URING_ENTRIES, &l->ring, &p);
	if (rc < 0)
		goto err_close_efd;
	l->br = mmap(NULL, br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	l->rx_bufs = malloc((size_t)URING_RX_BUFS * URING_RX_BUF_BYTES);
	l->tx = calloc(URING_TX_SLOTS, sizeof(*l->tx));
	if (l->br == MAP_FAILED || !l->rx_bufs || !l->tx) {
		rc = -ENOMEM;
		goto err_free;
	}
	reg.ring_addr = (unsigned long)l->br;
	reg.ring_entries = URING_RX_BUFS;
	reg.bgid = BUF_GROUP;
	rc = io_uring_register_buf_ring(&l->ring, &reg, 0);
	if (rc < 0)
		goto err_free;
	io_uring_buf_ring_init(l->br);
	for (unsigned i = 0; i < URING_RX_BUFS; i++)
		return_buf(l, i);
	for (uint32_t i = 0; i < URING_TX_SLOTS; i++)
		l->tx_free[l->tx_free_count++] = (uint16_t)(URING_TX_SLOTS - 1 - i);
	l->rx_msg.msg_namelen = sizeof(struct sockaddr_storage);
	arm_rx(l);
	arm_wake(l);
	return 0;

err_free:
	if (l->br && l->br != MAP_FAILED)
		munmap(l->br, br_bytes);
	free(l->rx_bufs);
	free(l->tx);
	io_uring_queue_exit(&l->ring);
err_close_efd:
	close(l->efd);
	/* Nothing is left to release: a later uring_loop_fini() must be a no-op. */
	memset(l, 0, sizeof(*l));
	return rc;
}

void uring_loop_fini(struct uring_loop *l)
{
	if (!l->tx)
		return;
	io_uring_queue_exit(&l->ring);
	munmap(l->br, URING_RX_BUFS * sizeof(struct io_uring_buf));
	free(l->rx_bufs);
	free(l->tx);
	close(l->efd);
	memset(l, 0, sizeof(*l));
}

int uring_loop_send(struct uring_loop *l, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct uring_tx_slot *s;
	struct io_uring_sqe *sqe;
	socklen_t sl;
	uint16_t slot;

	if (len > WIRE_MAX_PACKET_BYTES)
		return -EMSGSIZE;
	if (!l->tx_free_count || !(sqe = get_sqe(l))) {
		/* Every slot in flight: a direct send keeps the datagram. */
		sl = udp_socket_sockaddr(&ss, to, l->family);
		if (!sl)
			return -EAFNOSUPPORT;
		l->stats.tx_sync_fallbacks++;
		if (sendto(l->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0)
			l->stats.tx_errors++;
		return 0;
	}
	slot = l->tx_free[l->tx_free_count - 1];
	s = &l->tx[slot];
	sl = udp_socket_sockaddr(&s->to, to, l->family);
	if (!sl) {
		/* Give the SQE back as a no-op so the ring stays consistent. */
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, 0);
		return -EAFNOSUPPORT;
	}
	l->tx_free_count--;
	memcpy(s->buf, buf, len);
	s->iov.iov_base = s->buf;
	s->iov.iov_len = len;
	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.msg_name = &s->to;
	s->msg.msg_namelen = sl;
	s->msg.msg_iov = &s->iov;
	s->msg.msg_iovlen = 1;
	io_uring_prep_sendmsg(sqe, l->fd, &s->msg, 0);
	io_uring_sqe_set_data64(sqe, TAG_TX_BASE + slot);
	return 0;
}

void uring_loop_flush(struct uring_loop *l)
{
	if (!l->pending_sqes)
		return;
	io_uring_submit(&l->ring);
	l->stats.submits++;
	l->pending_sqes = 0;
}

static int handle_rx(struct uring_loop *l, struct io_uring_cqe *cqe, uring_rx_fn fn, void *ctx)
{
	struct io_uring_recvmsg_out *o;
	struct net_addr from;
	unsigned id;
	uint8_t *buf;
	int got = 0;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		l->is_rx_armed = false;
	if (cqe->res < 0) {
		if (cqe->res == -ENOBUFS)
			l->stats.rx_nobufs++;
		return 0;
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return 0;
	id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	buf = l->rx_bufs + (size_t)id * URING_RX_BUF_BYTES;
	o = io_uring_recvmsg_validate(buf, cqe->res, &l->rx_msg);
	if (o) {
		if (o->flags & MSG_TRUNC) {
			l->stats.rx_truncated++;
		} else {
			udp_socket_addr(&from, io_uring_recvmsg_name(o),
					o->namelen < l->rx_msg.msg_namelen ? o->namelen
									   : l->rx_msg.msg_namelen);
			fn(ctx, io_uring_recvmsg_payload(o, &l->rx_msg),
			   io_uring_recvmsg_payload_length(o, cqe->res, &l->rx_msg), &from);
			l->stats.rx_datagrams++;
			got = 1;
		}
	}
	return_buf(l, id);
	return got;
}

int uring_loop_wait(struct uring_loop *l, uint64_t timeout_ns)
{
	struct __kernel_timespec ts = {.tv_sec = (long long)(timeout_ns / 1000000000ULL),
				       .tv_nsec = (long long)(timeout_ns % 1000000000ULL)};
	struct io_uring_cqe *cqe;
	int rc;

	/* Wait for one completion only, then reap all that is ready (DESIGN.md §7). */
	rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
	l->stats.submits++;
	l->pending_sqes = 0;
	if (rc < 0 && rc != -ETIME && rc != -EINTR)
		return rc;
	return 0;
}

int uring_loop_reap(struct uring_loop *l, uring_rx_fn fn, void *ctx, bool *woken)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int datagrams = 0;

	*woken = false;
	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		uint64_t tag = io_uring_cqe_get_data64(cqe);

		seen++;
		if (tag == TAG_RX) {
			datagrams += handle_rx(l, cqe, fn, ctx);
		} else if (tag == TAG_WAKE) {
			l->is_efd_armed = false;
			l->stats.wakeups++;
			*woken = true;
		} else if (tag >= TAG_TX_BASE && tag < TAG_TX_BASE + URING_TX_SLOTS) {
			l->tx_free[l->tx_free_count++] = (uint16_t)(tag - TAG_TX_BASE);
			if (cqe->res < 0)
				l->stats.tx_errors++;
			else
				l->stats.tx_datagrams++;
		}
	}
	io_uring_cq_advance(&l->ring, seen);
	if (!l->is_rx_armed)
		arm_rx(l);
	if (!l->is_efd_armed)
		arm_wake(l);
	return datagrams;
}

void uring_loop_wake(const struct uring_loop *l)
{
	uint64_t one = 1;

	if (write(l->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, so a wake-up is pending anyway. */
	}
}
