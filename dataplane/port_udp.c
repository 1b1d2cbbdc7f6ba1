/* SPDX-License-Identifier: MIT */
/*
 * The UDP port (port_udp.h).
 *
 * Receive buffers. A buffer id is owned by exactly one of: the kernel (in
 * the provided-buffer ring), the completion queue, this port (reaped, with
 * segments still waiting in `left`), or the worker (segments handed out).
 * refs[id] counts the segments not yet released; at zero the buffer goes
 * back to the ring, published once per rx_release().
 *
 *   | io_uring_recvmsg_out | sockaddr (128) | cmsg (64) | seg | seg | ... | short seg |
 *                                                        '-- payload: one datagram,
 *                                                            or a GRO super-buffer
 *
 * The multishot receive ends when the ring runs dry (-ENOBUFS) or on an
 * error; the next rx_burst() or arm() submits it again, after the worker
 * has released buffers, so a flood costs a re-arm and never a lost socket.
 *
 * Transmit frames: a fixed pool and a stack of free indices. A frame is
 * either on the stack or with the worker; tx_burst() puts every frame it
 * was given back on the stack before returning, sent or dropped.
 */
#include "dataplane/port_udp.h"

#include <errno.h>
#include <liburing.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	RX_NAME_BYTES = sizeof(struct sockaddr_storage),
	RX_CTL_BYTES = 64, /* one UDP_GRO cmsg needs CMSG_SPACE(sizeof(int)) = 24 */
	RX_HDR_BYTES = sizeof(struct io_uring_recvmsg_out) + RX_NAME_BYTES + RX_CTL_BYTES,
	RX_GRO_PAYLOAD_BYTES = 65536, /* the largest GRO super-buffer the kernel builds */
	RX_DEFAULT_GRO_BUFS = 64,
	RX_DEFAULT_BUFS = 512,
	RX_MAX_BUFS = 32768, /* buffer ids are u16 in the CQE flags */
	RX_USER_DATA = 1,
	BUF_GROUP = 1,
	RING_SQ_ENTRIES = 4, /* at most one SQE (the re-arm) is ever queued */
	TX_FRAMES = 4 * PORT_BURST_MAX,
	TX_STRIDE = PORT_FRAME_HEADROOM + PORT_FRAME_BYTES,
	GSO_MAX_SEGS = 64, /* UDP_MAX_SEGMENTS of older kernels (newer allow 128) */
	/* 0xffff - 20 (IPv4) - 8 (UDP): the IPv4 payload limit, below IPv6's 0xffff - 8. */
	GSO_MAX_BYTES = 65507,
	SOCK_BUF_BYTES = 4 << 20,
	TX_WAIT_MS = 1,
	STEER_MIN_BYTES = 3, /* byte 0 and the CID at bytes 1-2 (WIRE.md §6.1) */
};

_Static_assert(RX_HDR_BYTES % 16 == 0, "buffer strides keep sockaddr and cmsg aligned");

/* The part of a reaped buffer not handed out yet (a GRO buffer split over bursts). */
struct rx_left {
	uint8_t *next;
	uint32_t bytes; /* payload bytes from next on */
	uint32_t segs;	/* datagrams from next on */
	uint16_t seg_bytes;
	uint16_t buf_id;
	struct net_addr from;
};

struct port_udp {
	struct port port;
	int fd;
	int family; /* AF_INET or AF_INET6 (dual-stack) */
	int local_port;
	bool has_gro, has_gso, is_armed;
	unsigned pending_sqes;
	uint64_t rearms;

	struct io_uring ring;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *rx_bufs;
	uint32_t rx_buf_count, rx_buf_bytes;
	uint32_t *refs;
	uint32_t br_added;    /* buffers added to the ring since the last advance */
	struct msghdr rx_msg; /* the multishot template: only namelen and controllen count */
	struct rx_left left;

	uint8_t *frames;
	uint32_t free_count;
	uint32_t free_frames[TX_FRAMES];
	/* One sendmmsg() batch; iov[k] and ok[k] are the k-th frame with a usable address. */
	uint32_t ok[PORT_BURST_MAX];
	struct mmsghdr msgs[PORT_BURST_MAX];
	struct iovec iov[PORT_BURST_MAX];
	struct sockaddr_storage to[PORT_BURST_MAX];
	union {
		uint8_t buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[PORT_BURST_MAX];
	uint8_t msg_first[PORT_BURST_MAX], msg_segs[PORT_BURST_MAX];
};

static const struct port_ops udp_ops;

static inline struct port_udp *to_udp(struct port *p)
{
	return (struct port_udp *)p;
}

static socklen_t to_sockaddr(struct sockaddr_storage *ss, const struct net_addr *a, int family)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET && a->family == ADDR_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->ip, 4);
		sin->sin_port = htons(a->port);
		return sizeof(*sin);
	}
	if (family == AF_INET6 && (a->family == ADDR_IPV4 || a->family == ADDR_IPV6)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		if (a->family == ADDR_IPV4) {
			/* ::ffff:a.b.c.d reaches an IPv4 peer from the dual-stack socket. */
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6->sin6_addr.s6_addr[12], a->ip, 4);
		} else {
			memcpy(&sin6->sin6_addr, a->ip, 16);
		}
		sin6->sin6_port = htons(a->port);
		return sizeof(*sin6);
	}
	return 0;
}

static void from_sockaddr(struct net_addr *a, const struct sockaddr_storage *ss, socklen_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		a->family = ADDR_IPV4;
		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		/* A v4 peer of the dual-stack socket is reported as IPv4, as it sends. */
		if (memcmp(sin6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0) {
			a->family = ADDR_IPV4;
			memcpy(a->ip, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = ADDR_IPV6;
			memcpy(a->ip, &sin6->sin6_addr, 16);
		}
		a->port = ntohs(sin6->sin6_port);
	}
}

/* ---- receive ---------------------------------------------------------- */

static inline uint8_t *rx_buf_at(struct port_udp *u, uint32_t id)
{
	return u->rx_bufs + (size_t)id * u->rx_buf_bytes;
}

/* Queues buffer `id` for the kernel; publish() makes the batch visible. */
static void give_back(struct port_udp *u, uint32_t id)
{
	io_uring_buf_ring_add(u->br, rx_buf_at(u, id), u->rx_buf_bytes, (unsigned short)id,
			      io_uring_buf_ring_mask(u->rx_buf_count), (int)u->br_added++);
}

static void publish(struct port_udp *u)
{
	if (!u->br_added)
		return;
	io_uring_buf_ring_advance(u->br, (int)u->br_added);
	u->br_added = 0;
}

static void arm_rx(struct port_udp *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe)
		return; /* cannot happen: only this one SQE is ever queued */
	io_uring_prep_recvmsg_multishot(sqe, u->fd, &u->rx_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, RX_USER_DATA);
	u->is_armed = true;
	u->pending_sqes++;
	u->rearms++;
}

/* A failed submit leaves the SQE queued; the next flush tries again. */
static void flush(struct port_udp *u)
{
	if (!u->pending_sqes)
		return;
	u->port.stats.rx_syscalls++;
	if (io_uring_submit(&u->ring) >= 0)
		u->pending_sqes = 0;
}

/* The UDP_GRO segment size, or 0 when the buffer holds one plain datagram. */
static uint32_t gro_seg_bytes(struct port_udp *u, struct io_uring_recvmsg_out *o)
{
	struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, &u->rx_msg);
	int v;

	for (; c && c->cmsg_len <= o->controllen;
	     c = io_uring_recvmsg_cmsg_nexthdr(o, &u->rx_msg, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		return v > 0 ? (uint32_t)v : 0;
	}
	return 0;
}

/* Hands out up to `max` segments of the current buffer. */
static uint32_t take_left(struct port_udp *u, struct port_pkt *pkts, uint32_t max)
{
	struct rx_left *l = &u->left;
	uint32_t n = 0;

	while (l->segs && n < max) {
		struct port_pkt *pk = &pkts[n++];
		uint16_t len = l->bytes < l->seg_bytes ? (uint16_t)l->bytes : l->seg_bytes;

		pk->data = l->next;
		pk->len = len;
		pk->pad = 0;
		pk->cookie = l->buf_id;
		pk->addr = l->from;
		l->next += len;
		l->bytes -= len;
		l->segs--;
		u->port.stats.rx_bytes += len;
	}
	u->port.stats.rx_packets += n;
	return n;
}

/* Turns one completion into the current buffer; returns false when it carries no data. */
static bool reap_one(struct port_udp *u, const struct io_uring_cqe *cqe)
{
	struct io_uring_recvmsg_out *o;
	uint32_t id, bytes, seg;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		u->is_armed = false;
	if (cqe->res < 0) {
		if (cqe->res == -ENOBUFS)
			u->port.stats.rx_nobufs++;
		return false;
	}
	if (!(cqe->flags & IORING_CQE_F_BUFFER))
		return false;
	id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (id >= u->rx_buf_count)
		return false; /* cannot happen: only ids below rx_buf_count were provided */
	o = io_uring_recvmsg_validate(rx_buf_at(u, id), cqe->res, &u->rx_msg);
	if (!o || (o->flags & MSG_TRUNC)) {
		u->port.stats.rx_truncated++;
		give_back(u, id);
		return false;
	}
	bytes = io_uring_recvmsg_payload_length(o, cqe->res, &u->rx_msg);
	seg = gro_seg_bytes(u, o);
	if (!seg || seg > bytes)
		seg = bytes;
	from_sockaddr(&u->left.from, io_uring_recvmsg_name(o),
		      o->namelen < RX_NAME_BYTES ? o->namelen : RX_NAME_BYTES);
	u->left.next = io_uring_recvmsg_payload(o, &u->rx_msg);
	u->left.bytes = bytes;
	/* A zero-length datagram is still one datagram. */
	u->left.segs = seg ? (bytes + seg - 1) / seg : 1;
	u->left.seg_bytes = (uint16_t)seg;
	u->left.buf_id = (uint16_t)id;
	u->refs[id] = u->left.segs;
	if (u->left.segs > 1)
		u->port.stats.gro_segments += u->left.segs;
	return true;
}

static uint32_t udp_rx_burst(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct port_udp *u = to_udp(p);
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	uint32_t n = take_left(u, pkts, max);

	/* Ended by a dry ring: the last rx_release() refilled it, so resume now. */
	if (!u->is_armed) {
		arm_rx(u);
		flush(u);
	}
	/* The CQ is shared memory: looking costs no syscall. */
	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		if (n == max)
			break;
		seen++;
		if (reap_one(u, cqe))
			n += take_left(u, pkts + n, max - n);
	}
	if (seen)
		io_uring_cq_advance(&u->ring, seen);
	publish(u);
	if (!n)
		flush(u);
	return n;
}

static void udp_rx_release(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct port_udp *u = to_udp(p);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = pkts[i].cookie;

		if (id < u->rx_buf_count && u->refs[id] && --u->refs[id] == 0)
			give_back(u, id);
	}
	publish(u);
}

static int udp_wait_fd(struct port *p)
{
	return to_udp(p)->ring.ring_fd;
}

/* The ring fd only turns readable for a receive that is in the kernel. */
static void udp_arm(struct port *p)
{
	struct port_udp *u = to_udp(p);

	if (!u->is_armed)
		arm_rx(u);
	flush(u);
}

/* ---- transmit --------------------------------------------------------- */

static inline uint8_t *frame_at(struct port_udp *u, uint32_t idx)
{
	return u->frames + (size_t)idx * TX_STRIDE + PORT_FRAME_HEADROOM;
}

static uint32_t udp_tx_alloc(struct port *p, struct port_pkt *pkts, uint32_t max)
{
	struct port_udp *u = to_udp(p);
	uint32_t n = max < u->free_count ? max : u->free_count;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = u->free_frames[--u->free_count];

		memset(&pkts[i], 0, sizeof(pkts[i]));
		pkts[i].data = frame_at(u, idx);
		pkts[i].cookie = idx;
	}
	return n;
}

/* How many frames from ok[k] on form one GSO message (1 = send plainly). */
static uint32_t run_length(const struct port_udp *u, const struct port_pkt *pkts, uint32_t k,
			   uint32_t nok)
{
	const struct port_pkt *first = &pkts[u->ok[k]];
	uint32_t segs = 1, total = first->len;

	if (!u->has_gso || !first->len)
		return 1;
	while (k + segs < nok && segs < GSO_MAX_SEGS) {
		const struct port_pkt *next = &pkts[u->ok[k + segs]];

		if (!next->len || next->len > first->len || total + next->len > GSO_MAX_BYTES ||
		    !addr_equal(&next->addr, &first->addr))
			break;
		segs++;
		total += next->len;
		/* The kernel cuts at gso_size, so a shorter segment can only be the last. */
		if (next->len < first->len)
			break;
	}
	return segs;
}

static void set_gso(struct port_udp *u, uint32_t m, uint16_t seg_bytes)
{
	struct msghdr *h = &u->msgs[m].msg_hdr;
	struct cmsghdr *c;

	h->msg_control = u->ctl[m].buf;
	h->msg_controllen = sizeof(u->ctl[m].buf);
	c = CMSG_FIRSTHDR(h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg_bytes));
	memcpy(CMSG_DATA(c), &seg_bytes, sizeof(seg_bytes));
}

/*
 * Builds msgs[0..) from frames ok[from..nok): the kernel concatenates a
 * message's iovecs and UDP_SEGMENT cuts them again, so runs need no copy.
 */
static uint32_t build(struct port_udp *u, const struct port_pkt *pkts, uint32_t from, uint32_t nok)
{
	uint32_t m = 0;

	for (uint32_t k = from; k < nok; m++) {
		const struct port_pkt *first = &pkts[u->ok[k]];
		uint32_t segs = run_length(u, pkts, k, nok);
		struct msghdr *h = &u->msgs[m].msg_hdr;

		memset(h, 0, sizeof(*h));
		h->msg_name = &u->to[m];
		h->msg_namelen = to_sockaddr(&u->to[m], &first->addr, u->family);
		h->msg_iov = &u->iov[k];
		h->msg_iovlen = segs;
		for (uint32_t j = 0; j < segs; j++) {
			u->iov[k + j].iov_base = pkts[u->ok[k + j]].data;
			u->iov[k + j].iov_len = pkts[u->ok[k + j]].len;
		}
		if (segs > 1)
			set_gso(u, m, first->len);
		u->msg_first[m] = (uint8_t)k;
		u->msg_segs[m] = (uint8_t)segs;
		k += segs;
	}
	return m;
}

static void count_sent(struct port_udp *u, uint32_t m)
{
	const struct msghdr *h = &u->msgs[m].msg_hdr;

	for (size_t j = 0; j < h->msg_iovlen; j++)
		u->port.stats.tx_bytes += h->msg_iov[j].iov_len;
	u->port.stats.tx_packets += u->msg_segs[m];
	if (u->msg_segs[m] > 1)
		u->port.stats.gso_sends++;
}

static void count_dropped(struct port_udp *u, uint32_t from, uint32_t to)
{
	for (uint32_t m = from; m < to; m++)
		u->port.stats.tx_errors += u->msg_segs[m];
}

/*
 * One sendmmsg() normally. A full queue gets one bounded wait for POLLOUT
 * and one more try; a GSO refusal turns GSO off for good and resends the
 * rest plainly; any other refusal drops that message and goes on.
 */
static uint32_t send_msgs(struct port_udp *u, const struct port_pkt *pkts, uint32_t nok,
			  uint32_t nmsg)
{
	uint32_t at = 0, sent = 0;
	bool has_waited = false;

	while (at < nmsg) {
		int r = sendmmsg(u->fd, &u->msgs[at], nmsg - at, 0);
		int err = errno;

		u->port.stats.tx_syscalls++;
		if (r > 0) {
			for (uint32_t m = at; m < at + (uint32_t)r; m++) {
				count_sent(u, m);
				sent += u->msg_segs[m];
			}
			at += (uint32_t)r;
		} else if (err == EAGAIN || err == ENOBUFS || err == EINTR) {
			struct pollfd pfd = {.fd = u->fd, .events = POLLOUT};

			if (has_waited) {
				count_dropped(u, at, nmsg);
				break;
			}
			has_waited = true;
			poll(&pfd, 1, TX_WAIT_MS);
		} else if ((err == EIO || err == EINVAL) && u->msg_segs[at] > 1) {
			/* No UDP_SEGMENT on this kernel or device (EIO: no checksum offload). */
			u->has_gso = false;
			nmsg = build(u, pkts, u->msg_first[at], nok);
			at = 0;
		} else {
			count_dropped(u, at, at + 1);
			at++;
		}
	}
	return sent;
}

static uint32_t send_chunk(struct port_udp *u, const struct port_pkt *pkts, uint32_t n)
{
	struct sockaddr_storage ss;
	uint32_t nok = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (pkts[i].len <= PORT_FRAME_BYTES && to_sockaddr(&ss, &pkts[i].addr, u->family))
			u->ok[nok++] = i;
		else
			u->port.stats.tx_errors++;
	}
	if (!nok)
		return 0;
	return send_msgs(u, pkts, nok, build(u, pkts, 0, nok));
}

static uint32_t udp_tx_burst(struct port *p, struct port_pkt *pkts, uint32_t n)
{
	struct port_udp *u = to_udp(p);
	uint32_t sent = 0;

	for (uint32_t at = 0; at < n; at += PORT_BURST_MAX)
		sent += send_chunk(u, pkts + at, n - at < PORT_BURST_MAX ? n - at : PORT_BURST_MAX);
	for (uint32_t i = 0; i < n; i++) {
		if (pkts[i].cookie < TX_FRAMES && u->free_count < TX_FRAMES)
			u->free_frames[u->free_count++] = pkts[i].cookie;
	}
	return sent;
}

/* ---- setup and teardown ----------------------------------------------- */

static int open_socket(struct port_udp *u, const struct net_addr *bind_addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1, off = 0, v = SOCK_BUF_BYTES, err;

	u->family = bind_addr->family == ADDR_IPV6 ? AF_INET6 : AF_INET;
	u->fd = socket(u->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	/*
	 * Port 0: an ephemeral bind with SO_REUSEPORT set may pick a port that
	 * another reuseport socket of this uid holds and join its group, so
	 * bind first and allow joiners after; a fixed port joins on purpose.
	 */
	if (bind_addr->port && setsockopt(u->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto err_close;
	if (u->family == AF_INET6 &&
	    setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0)
		goto err_close;
	/* The FORCE variants pass the sysctl caps but need CAP_NET_ADMIN. */
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(u->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (u->has_gro && setsockopt(u->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) != 0)
		u->has_gro = false;
	if (bind(u->fd, (struct sockaddr *)&ss, to_sockaddr(&ss, bind_addr, u->family)) != 0 ||
	    getsockname(u->fd, (struct sockaddr *)&ss, &len) != 0)
		goto err_close;
	if (!bind_addr->port && setsockopt(u->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto err_close;
	u->local_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						       : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;

err_close:
	err = -errno;
	close(u->fd);
	return err;
}

static int setup_rx(struct port_udp *u, uint32_t bufs)
{
	struct io_uring_params params = {0};
	struct io_uring_buf_reg reg = {0};
	int rc;

	u->rx_buf_count = bufs;
	/* Without GRO a buffer holds one datagram; a DRIFT packet fits a frame. */
	u->rx_buf_bytes = RX_HDR_BYTES + (u->has_gro ? RX_GRO_PAYLOAD_BYTES : PORT_FRAME_BYTES);
	u->rx_msg.msg_namelen = RX_NAME_BYTES;
	u->rx_msg.msg_controllen = RX_CTL_BYTES;
	/*
	 * One CQE per buffer at most, plus the terminal one: the CQ cannot
	 * overflow. No COOP_TASKRUN or DEFER_TASKRUN: receives run as task
	 * work of this thread, and only the default mode interrupts a worker
	 * spinning in user space to run it (COOP waits for its next kernel
	 * entry, DEFER for io_uring_enter), so peeking alone sees completions.
	 */
	params.flags = IORING_SETUP_CQSIZE;
	params.cq_entries = bufs > RING_SQ_ENTRIES ? 2 * bufs : 2 * RING_SQ_ENTRIES;
	rc = io_uring_queue_init_params(RING_SQ_ENTRIES, &u->ring, &params);
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	u->br_bytes = bufs * sizeof(struct io_uring_buf);
	u->br = mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->br == MAP_FAILED)
		goto err_exit_ring;
	u->rx_bufs = mmap(NULL, (size_t)bufs * u->rx_buf_bytes, PROT_READ | PROT_WRITE,
			  MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->rx_bufs == MAP_FAILED)
		goto err_unmap_br;
	u->refs = calloc(bufs, sizeof(*u->refs));
	if (!u->refs)
		goto err_unmap_bufs;
	reg.ring_addr = (unsigned long)u->br;
	reg.ring_entries = bufs;
	reg.bgid = BUF_GROUP;
	rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (rc < 0)
		goto err_free_refs;
	io_uring_buf_ring_init(u->br);
	for (uint32_t id = 0; id < bufs; id++)
		give_back(u, id);
	publish(u);
	return 0;

err_free_refs:
	free(u->refs);
err_unmap_bufs:
	munmap(u->rx_bufs, (size_t)bufs * u->rx_buf_bytes);
err_unmap_br:
	munmap(u->br, u->br_bytes);
err_exit_ring:
	io_uring_queue_exit(&u->ring);
	return rc;
}

static void fini_rx(struct port_udp *u)
{
	/* Exiting the ring cancels the multishot receive before its buffers go. */
	io_uring_queue_exit(&u->ring);
	free(u->refs);
	munmap(u->rx_bufs, (size_t)u->rx_buf_count * u->rx_buf_bytes);
	munmap(u->br, u->br_bytes);
}

int port_udp_open(const struct port_udp_config *cfg, struct port **out)
{
	struct port_udp *u;
	uint32_t bufs = cfg->rx_buffers;
	int rc;

	if ((cfg->bind.family != ADDR_IPV4 && cfg->bind.family != ADDR_IPV6) ||
	    (bufs & (bufs - 1)) || bufs > RX_MAX_BUFS)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->port.ops = &udp_ops;
	u->has_gro = cfg->use_gro;
	u->has_gso = cfg->use_gso;
	rc = open_socket(u, &cfg->bind);
	if (rc < 0)
		goto err_free;
	if (!bufs)
		bufs = u->has_gro ? RX_DEFAULT_GRO_BUFS : RX_DEFAULT_BUFS;
	rc = setup_rx(u, bufs);
	if (rc < 0)
		goto err_close_fd;
	u->frames = aligned_alloc(64, (size_t)TX_FRAMES * TX_STRIDE);
	if (!u->frames) {
		rc = -ENOMEM;
		goto err_fini_rx;
	}
	for (uint32_t i = 0; i < TX_FRAMES; i++)
		u->free_frames[u->free_count++] = TX_FRAMES - 1 - i;
	arm_rx(u);
	flush(u);
	u->rearms = 0; /* the first arm is not a re-arm */
	*out = &u->port;
	return 0;

err_fini_rx:
	fini_rx(u);
err_close_fd:
	close(u->fd);
err_free:
	free(u);
	return rc;
}

static void udp_close(struct port *p)
{
	struct port_udp *u = to_udp(p);

	fini_rx(u);
	close(u->fd);
	free(u->frames);
	free(u);
}

int port_udp_steer(struct port *const *ports, uint32_t n)
{
	/* Loads past the end abort a cBPF program with 0, so check the length first. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), /* A = UDP payload length */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, STEER_MIN_BYTES, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, n),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), /* byte 0: version nibble + flags */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, n),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 1), /* the CID; cBPF loads big-endian */
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (!n)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (!ports[i] || ports[i]->ops != &udp_ops)
			return -EINVAL;
	}
	/* The program belongs to the group; any member's socket attaches it. */
	if (setsockopt(to_udp(ports[0])->fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		       sizeof(prog)) != 0)
		return -errno;
	return 0;
}

int port_udp_local_port(struct port *p)
{
	return to_udp(p)->local_port;
}

uint64_t port_udp_rx_rearms(struct port *p)
{
	return to_udp(p)->rearms;
}

static const struct port_ops udp_ops = {
	.name = "udp",
	.rx_burst = udp_rx_burst,
	.rx_release = udp_rx_release,
	.tx_alloc = udp_tx_alloc,
	.tx_burst = udp_tx_burst,
	.wait_fd = udp_wait_fd,
	.arm = udp_arm,
	.close = udp_close,
};
