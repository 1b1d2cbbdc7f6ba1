/* SPDX-License-Identifier: MIT */
/*
 * dataplane/port_udp.c over loopback: config errors and EADDRINUSE, a
 * 10 000-frame stream (IPv4 and IPv6, plain and GSO/GRO), GSO runs seen by
 * a plain socket and split again by a GRO port over several small bursts,
 * one burst with mixed sizes and destinations, a dual-stack socket talking
 * to IPv4, sleeping on wait_fd, a dry buffer ring and its re-arm, and CID
 * steering through the reuseport cBPF program. Every wait is bounded by a
 * count of short polls, never by speed.
 */
#include "dataplane/port_udp.h"

#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	STREAM_FRAMES = 10000,
	STREAM_BYTES = 1300,
	STREAM_WINDOW = 256, /* frames in flight: well inside rcvbuf + ring buffers */
	IDLE_POLLS = 200,    /* x POLL_MS: how long a receive waits for stragglers */
	POLL_MS = 10,
	SPIN_DATAGRAMS = 100,
	SPIN_LIMIT = 1000000000, /* rx_burst calls before giving up */
};

static struct net_addr loopback(int family, uint16_t port)
{
	struct net_addr a = {.family = (uint8_t)family, .port = port};

	if (family == ADDR_IPV4) {
		a.ip[0] = 127;
		a.ip[3] = 1;
	} else {
		a.ip[15] = 1;
	}
	return a;
}

static struct port *open_port(int family, uint16_t port, bool gro, bool gso, uint32_t bufs)
{
	struct port_udp_config cfg = {
		.bind = loopback(family, port), .rx_buffers = bufs, .use_gro = gro, .use_gso = gso};
	struct port *p = NULL;
	int rc = port_udp_open(&cfg, &p);

	CHECK_EQ(rc, 0);
	return rc == 0 ? p : NULL;
}

static struct net_addr addr_of(struct port *p, int family)
{
	return loopback(family, (uint16_t)port_udp_local_port(p));
}

/* The payload of frame `seq`: seq BE in the first 4 bytes, then a pattern. */
static void fill(uint8_t *d, uint16_t len, uint32_t seq)
{
	for (uint16_t j = 0; j < len; j++)
		d[j] = (uint8_t)(seq * 7 + j);
	if (len >= 4) {
		d[0] = (uint8_t)(seq >> 24);
		d[1] = (uint8_t)(seq >> 16);
		d[2] = (uint8_t)(seq >> 8);
		d[3] = (uint8_t)seq;
	}
}

/* Returns the frame's seq, or UINT32_MAX when the pattern is wrong. */
static uint32_t check_fill(const uint8_t *d, uint16_t len)
{
	uint32_t seq;

	if (len < 4)
		return UINT32_MAX;
	seq = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	for (uint16_t j = 4; j < len; j++) {
		if (d[j] != (uint8_t)(seq * 7 + j))
			return UINT32_MAX;
	}
	return seq;
}

/* Sleeps on the port's wait fd like a worker does; true if it turned readable. */
static bool wait_port(struct port *p)
{
	struct pollfd pfd = {.fd = p->ops->wait_fd(p), .events = POLLIN};

	p->ops->arm(p);
	return poll(&pfd, 1, POLL_MS) == 1;
}

/* Receives until `want` frames or IDLE_POLLS empty waits; `on` sees each frame. */
static uint32_t receive(struct port *p, uint32_t want, uint32_t burst,
			void (*on)(void *ctx, const struct port_pkt *pk), void *ctx)
{
	struct port_pkt pkts[PORT_BURST_MAX];
	uint32_t got = 0, idle = 0;

	while (got < want && idle < IDLE_POLLS) {
		uint32_t n = port_rx_burst(p, pkts, burst);

		for (uint32_t i = 0; i < n; i++)
			on(ctx, &pkts[i]);
		port_rx_release(p, pkts, n);
		got += n;
		if (n)
			idle = 0;
		else if (!wait_port(p))
			idle++;
	}
	return got;
}

static int plain_socket(int family, uint16_t port, bool reuse)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(family == ADDR_IPV4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0), one = 1;

	int rcvbuf = 1 << 20;

	/* The default 208 KiB holds only ~90 loopback datagrams of 1000 bytes. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (family == ADDR_IPV4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s->sin_port = htons(port);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		s->sin6_port = htons(port);
		len = sizeof(*s);
	}
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0);
	return fd;
}

static uint16_t plain_port(int fd)
{
	struct sockaddr_in6 s;
	socklen_t len = sizeof(s);

	getsockname(fd, (struct sockaddr *)&s, &len);
	return ntohs(s.sin6_port); /* sin_port and sin6_port share an offset */
}

/* One datagram from a plain socket, or -1 after a bounded wait. */
static int plain_recv(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, IDLE_POLLS * POLL_MS) != 1)
		return -1;
	return (int)recv(fd, buf, cap, MSG_DONTWAIT);
}

static void plain_send(int fd, const struct net_addr *to, const uint8_t *d, size_t len)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(to->port)};

	memcpy(&s.sin_addr, to->ip, 4);
	CHECK_EQ(sendto(fd, d, len, 0, (struct sockaddr *)&s, sizeof(s)), (long long)len);
}

/* 1: refused configs; a port held without SO_REUSEPORT is -EADDRINUSE. */
static void test_open_errors(void)
{
	struct port_udp_config bad_family = {.bind = {.family = ADDR_NONE}};
	struct port_udp_config bad_bufs = {.bind = loopback(ADDR_IPV4, 0), .rx_buffers = 48};
	struct port_udp_config busy = {.bind = loopback(ADDR_IPV4, 0)};
	struct port *p = NULL;
	int fd = plain_socket(ADDR_IPV4, 0, false);

	CHECK_EQ(port_udp_open(&bad_family, &p), -EINVAL);
	CHECK_EQ(port_udp_open(&bad_bufs, &p), -EINVAL);
	bad_bufs.rx_buffers = 1; /* the smallest ring is fine */
	CHECK_EQ(port_udp_open(&bad_bufs, &p), 0);
	port_close(p);
	p = NULL;
	busy.bind.port = plain_port(fd);
	CHECK_EQ(port_udp_open(&busy, &p), -EADDRINUSE);
	CHECK(p == NULL);
	close(fd);
}

struct stream {
	uint8_t seen[STREAM_FRAMES];
	uint32_t bad;
};

static void on_stream(void *ctx, const struct port_pkt *pk)
{
	struct stream *s = ctx;
	uint32_t seq = check_fill(pk->data, pk->len);

	if (pk->len != STREAM_BYTES || seq >= STREAM_FRAMES || s->seen[seq]++)
		s->bad++;
}

/* 2-5: 10 000 frames A -> B, paced by a window, each checked once. */
static void test_stream(int family, bool gro, bool gso)
{
	static struct stream s;
	struct port *a = open_port(family, 0, false, gso, 0),
		    *b = open_port(family, 0, gro, false, 0);
	struct port_pkt pkts[PORT_BURST_MAX];
	uint32_t sent = 0, got = 0, bursts = 0, idle = 0;
	struct net_addr to, from;

	if (!a || !b)
		goto out;
	memset(&s, 0, sizeof(s));
	to = addr_of(b, family);
	from = addr_of(a, family);
	while (got < STREAM_FRAMES && idle < IDLE_POLLS) {
		uint32_t room = STREAM_FRAMES - sent, n;

		if (room && sent - got < STREAM_WINDOW) {
			n = port_tx_alloc(a, pkts, room < PORT_BURST_MAX ? room : PORT_BURST_MAX);
			for (uint32_t i = 0; i < n; i++) {
				pkts[i].len = STREAM_BYTES;
				pkts[i].addr = to;
				fill(pkts[i].data, STREAM_BYTES, sent + i);
			}
			CHECK_EQ(port_tx_burst(a, pkts, n), n);
			sent += n;
			bursts++;
		}
		n = port_rx_burst(b, pkts, PORT_BURST_MAX);
		for (uint32_t i = 0; i < n; i++) {
			on_stream(&s, &pkts[i]);
			if (!addr_equal(&pkts[i].addr, &from))
				s.bad++;
		}
		port_rx_release(b, pkts, n);
		got += n;
		if (n)
			idle = 0;
		else if ((!room || sent - got >= STREAM_WINDOW) && !wait_port(b))
			idle++;
	}
	CHECK_EQ(got, STREAM_FRAMES);
	CHECK_EQ(s.bad, 0);
	CHECK_EQ(a->stats.tx_packets, STREAM_FRAMES);
	CHECK_EQ(a->stats.tx_errors, 0);
	CHECK_EQ(a->stats.tx_syscalls, bursts); /* one sendmmsg per burst */
	CHECK_EQ(b->stats.rx_packets, STREAM_FRAMES);
	CHECK_EQ(b->stats.rx_bytes, (uint64_t)STREAM_FRAMES * STREAM_BYTES);
	if (gso)
		CHECK(a->stats.gso_sends >= bursts);
	if (gso && gro)
		CHECK(b->stats.gro_segments > 0);
	printf("stream v%d gro=%d gso=%d: %u bursts, %llu gso sends, %llu gro segments, "
	       "%llu rx syscalls, %llu rearms, %llu nobufs\n",
	       family, gro, gso, bursts, (unsigned long long)a->stats.gso_sends,
	       (unsigned long long)b->stats.gro_segments, (unsigned long long)b->stats.rx_syscalls,
	       (unsigned long long)port_udp_rx_rearms(b), (unsigned long long)b->stats.rx_nobufs);
out:
	port_close(a);
	port_close(b);
}

/* Sends 63 frames of 1000 bytes and a last one of 500 to `to` in one burst. */
static void send_run(struct port *a, const struct net_addr *to, uint32_t want_sent)
{
	struct port_pkt pkts[PORT_BURST_MAX];

	CHECK_EQ(port_tx_alloc(a, pkts, PORT_BURST_MAX), PORT_BURST_MAX);
	for (uint32_t i = 0; i < PORT_BURST_MAX; i++) {
		pkts[i].len = i == PORT_BURST_MAX - 1 ? 500 : 1000;
		pkts[i].addr = *to;
		fill(pkts[i].data, pkts[i].len, i);
	}
	CHECK_EQ(port_tx_burst(a, pkts, PORT_BURST_MAX), want_sent);
}

struct run_rx {
	uint32_t next, bad;
};

static void on_run(void *ctx, const struct port_pkt *pk)
{
	struct run_rx *r = ctx;
	uint16_t want_len = r->next == PORT_BURST_MAX - 1 ? 500 : 1000;

	if (pk->len != want_len || check_fill(pk->data, pk->len) != r->next)
		r->bad++;
	r->next++;
}

/* 6: a GSO run of 64 frames leaves in one syscall and arrives as 64 datagrams. */
static void test_gso_to_plain(void)
{
	struct port *a = open_port(ADDR_IPV4, 0, false, true, 0);
	int fd = plain_socket(ADDR_IPV4, 0, false);
	struct net_addr to = loopback(ADDR_IPV4, plain_port(fd));
	uint8_t buf[2048];
	uint32_t i;

	if (!a)
		return;
	send_run(a, &to, PORT_BURST_MAX);
	CHECK_EQ(a->stats.tx_syscalls, 1);
	CHECK_EQ(a->stats.gso_sends, 1);
	for (i = 0; i < PORT_BURST_MAX; i++) {
		int n = plain_recv(fd, buf, sizeof(buf));

		if (n != (i == PORT_BURST_MAX - 1 ? 500 : 1000) ||
		    check_fill(buf, (uint16_t)n) != i)
			break;
	}
	CHECK_EQ(i, PORT_BURST_MAX);
	port_close(a);
	close(fd);
}

/* 7: the same run into a GRO port, taken 7 frames per burst (leftovers kept). */
static void test_gso_to_gro(void)
{
	struct port *a = open_port(ADDR_IPV4, 0, false, true, 0);
	struct port *b = open_port(ADDR_IPV4, 0, true, false, 0);
	struct run_rx r = {0};

	if (!a || !b)
		goto out;
	send_run(a, &(struct net_addr){0}, 0);
	CHECK_EQ(a->stats.tx_errors, PORT_BURST_MAX); /* an unset address is dropped */
	send_run(a,
		 &(struct net_addr){.family = ADDR_IPV4,
				    .ip = {127, 0, 0, 1},
				    .port = (uint16_t)port_udp_local_port(b)},
		 PORT_BURST_MAX);
	CHECK_EQ(receive(b, PORT_BURST_MAX, 7, on_run, &r), PORT_BURST_MAX);
	CHECK_EQ(r.bad, 0);
	/* Loopback hands a GSO skb to a UDP_GRO socket whole. */
	CHECK_EQ(b->stats.gro_segments, PORT_BURST_MAX);
out:
	port_close(a);
	port_close(b);
}

/* 8: one burst, two destinations, runs broken by size, address and a zero length. */
static void test_mixed(void)
{
	static const struct {
		uint8_t dest;
		uint16_t len;
	} t[] = {{0, 1000}, {0, 1000}, {0, 1000}, {0, 500}, {0, 1000}, {1, 1000}, {1, 1000},
		 {1, 1200}, {1, 1200}, {1, 1200}, {0, 0},   {0, 200},  {2, 100},  {0, 1300}};
	enum { GSO_MESSAGES = 3, UNSET_DEST = 2 }; /* runs 0-3, 5-6, 7-9 */
	struct port *a = open_port(ADDR_IPV4, 0, false, true, 0);
	int fd[2] = {plain_socket(ADDR_IPV4, 0, false), plain_socket(ADDR_IPV4, 0, false)};
	struct net_addr to[3] = {loopback(ADDR_IPV4, plain_port(fd[0])),
				 loopback(ADDR_IPV4, plain_port(fd[1])),
				 {0}};
	struct port_pkt pkts[ARRAY_LEN(t)];
	uint8_t buf[2048];

	if (!a)
		return;
	CHECK_EQ(port_tx_alloc(a, pkts, ARRAY_LEN(t)), ARRAY_LEN(t));
	for (uint32_t i = 0; i < ARRAY_LEN(t); i++) {
		pkts[i].len = t[i].len;
		pkts[i].addr = to[t[i].dest];
		fill(pkts[i].data, t[i].len, i);
	}
	CHECK_EQ(port_tx_burst(a, pkts, ARRAY_LEN(t)), ARRAY_LEN(t) - 1);
	CHECK_EQ(a->stats.tx_syscalls, 1);
	CHECK_EQ(a->stats.gso_sends, GSO_MESSAGES);
	CHECK_EQ(a->stats.tx_errors, 1);
	for (uint32_t i = 0; i < ARRAY_LEN(t); i++) {
		int n;

		if (t[i].dest == UNSET_DEST)
			continue;
		n = plain_recv(fd[t[i].dest], buf, sizeof(buf));
		CHECK_EQ(n, t[i].len);
		if (n >= 4)
			CHECK_EQ(check_fill(buf, (uint16_t)n), i);
	}
	port_close(a);
	close(fd[0]);
	close(fd[1]);
}

static void on_count(void *ctx, const struct port_pkt *pk)
{
	*(struct net_addr *)ctx = pk->addr;
}

/* 9: a dual-stack [::] port hears an IPv4 peer as IPv4 and answers it. */
static void test_dual_stack(void)
{
	struct port_udp_config cfg = {.bind = {.family = ADDR_IPV6}};
	struct port *v6 = NULL, *v4 = open_port(ADDR_IPV4, 0, false, false, 0);
	struct port_pkt pk;
	struct net_addr from = {0};

	CHECK_EQ(port_udp_open(&cfg, &v6), 0);
	if (!v6 || !v4)
		goto out;
	CHECK_EQ(port_tx_alloc(v4, &pk, 1), 1);
	pk.len = 100;
	pk.addr = addr_of(v6, ADDR_IPV4);
	fill(pk.data, pk.len, 9);
	CHECK_EQ(port_tx_burst(v4, &pk, 1), 1);
	CHECK_EQ(receive(v6, 1, 1, on_count, &from), 1);
	CHECK(addr_equal(&from, &(struct net_addr){.family = ADDR_IPV4,
						   .ip = {127, 0, 0, 1},
						   .port = (uint16_t)port_udp_local_port(v4)}));
	CHECK_EQ(port_tx_alloc(v6, &pk, 1), 1);
	pk.len = 50;
	pk.addr = from;
	CHECK_EQ(port_tx_burst(v6, &pk, 1), 1);
	CHECK_EQ(receive(v4, 1, 1, on_count, &from), 1);
out:
	port_close(v6);
	port_close(v4);
}

/* 10: idle polls cost no syscall; wait_fd wakes on arrival. */
static void test_wait(void)
{
	struct port *b = open_port(ADDR_IPV4, 0, false, false, 0);
	int fd = plain_socket(ADDR_IPV4, 0, false);
	struct pollfd pfd;
	struct port_pkt pkts[4];
	uint64_t syscalls;
	uint8_t d[16] = {0x20};

	if (!b)
		return;
	pfd = (struct pollfd){.fd = b->ops->wait_fd(b), .events = POLLIN};
	syscalls = b->stats.rx_syscalls;
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(port_rx_burst(b, pkts, 4), 0);
	CHECK_EQ(b->stats.rx_syscalls, syscalls);
	b->ops->arm(b);
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	plain_send(
		fd,
		&(struct net_addr){.ip = {127, 0, 0, 1}, .port = (uint16_t)port_udp_local_port(b)},
		d, sizeof(d));
	CHECK_EQ(poll(&pfd, 1, IDLE_POLLS * POLL_MS), 1);
	CHECK_EQ(port_rx_burst(b, pkts, 4), 1);
	port_rx_release(b, pkts, 1);
	port_close(b);
	close(fd);
}

static void on_nothing(void *ctx, const struct port_pkt *pk)
{
	(void)ctx;
	(void)pk;
}

/* 11: 64 datagrams into 4 buffers: the ring runs dry, is re-armed, nothing is lost. */
static void test_dry_ring(void)
{
	struct port *b = open_port(ADDR_IPV4, 0, false, false, 4);
	int fd = plain_socket(ADDR_IPV4, 0, false);
	uint8_t d[200] = {0};

	if (!b)
		return;
	for (int i = 0; i < 64; i++)
		plain_send(fd,
			   &(struct net_addr){.ip = {127, 0, 0, 1},
					      .port = (uint16_t)port_udp_local_port(b)},
			   d, sizeof(d));
	CHECK_EQ(receive(b, 64, PORT_BURST_MAX, on_nothing, NULL), 64);
	CHECK(b->stats.rx_nobufs > 0);
	CHECK(port_udp_rx_rearms(b) > 0);
	port_close(b);
	close(fd);
}

static void on_steer(void *ctx, const struct port_pkt *pk)
{
	*(uint8_t *)ctx = pk->data[0];
}

/* 12: CID steering over two worker sockets, long headers to the third. */
static void test_steer(void)
{
	static const struct {
		uint8_t bytes[8];
		uint8_t len, target; /* 0, 1: worker port; 2: the plain socket */
	} t[] = {
		{{0x20, 0x00, 0x00, 1}, 8, 0}, {{0x20, 0x00, 0x01, 2}, 8, 1},
		{{0x2f, 0x12, 0x35, 3}, 8, 1}, {{0x20, 0x12, 0x34, 4}, 8, 0},
		{{0x10, 0x00, 0x01, 5}, 8, 2}, {{0x30, 0x00, 0x00, 6}, 8, 2},
		{{0x20, 0x00}, 2, 2},	       {{0x21, 0x00, 0x01}, 3, 1},
	};
	struct port *w[2] = {open_port(ADDR_IPV4, 0, false, false, 0), NULL};
	int driftd = -1, sender = plain_socket(ADDR_IPV4, 0, false);
	struct net_addr to;
	uint8_t buf[64];

	if (!w[0])
		goto out;
	to = addr_of(w[0], ADDR_IPV4);
	w[1] = open_port(ADDR_IPV4, to.port, false, false, 0);
	if (!w[1])
		goto out;
	CHECK_EQ(port_udp_steer(w, 0), -EINVAL);
	CHECK_EQ(port_udp_steer(w, 2), 0);
	driftd = plain_socket(ADDR_IPV4, to.port, true);
	for (uint32_t i = 0; i < ARRAY_LEN(t); i++) {
		uint8_t first = 0xff;

		plain_send(sender, &to, t[i].bytes, t[i].len);
		if (t[i].target == 2) {
			CHECK_EQ(plain_recv(driftd, buf, sizeof(buf)), t[i].len);
			CHECK_EQ(buf[0], t[i].bytes[0]);
		} else {
			CHECK_EQ(receive(w[t[i].target], 1, 1, on_steer, &first), 1);
			CHECK_EQ(first, t[i].bytes[0]);
		}
	}
	/* Nothing landed anywhere else. */
	for (int k = 0; k < 2; k++)
		CHECK_EQ(port_rx_burst(w[k], (struct port_pkt[4]){0}, 4), 0);
	CHECK_EQ(recv(driftd, buf, sizeof(buf), MSG_DONTWAIT), -1);
out:
	port_close(w[0]);
	port_close(w[1]);
	if (driftd >= 0)
		close(driftd);
	close(sender);
}

/* The port's socket, found by its local port (tests only: the port hides its fd). */
static int port_fd(struct port *p)
{
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_in s;
		socklen_t len = sizeof(s);

		if (getsockname(fd, (struct sockaddr *)&s, &len) == 0 && s.sin_family == AF_INET &&
		    ntohs(s.sin_port) == port_udp_local_port(p))
			return fd;
	}
	return -1;
}

/* 13: the kernel refuses UDP_SEGMENT (SO_NO_CHECK): resend plainly, GSO off from then on. */
static void test_gso_refused(void)
{
	struct port *a = open_port(ADDR_IPV4, 0, false, true, 0);
	int fd = plain_socket(ADDR_IPV4, 0, false), one = 1, afd;
	struct net_addr to = loopback(ADDR_IPV4, plain_port(fd));
	uint8_t buf[2048];
	uint32_t i;

	if (!a)
		return;
	afd = port_fd(a);
	CHECK(afd >= 0 && setsockopt(afd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) == 0);
	send_run(a, &to, PORT_BURST_MAX);
	CHECK_EQ(a->stats.gso_sends, 0);
	CHECK_EQ(a->stats.tx_syscalls, 2); /* the refused GSO message, then the plain resend */
	send_run(a, &to, PORT_BURST_MAX);
	CHECK_EQ(a->stats.tx_syscalls, 3);
	for (i = 0; i < 2 * PORT_BURST_MAX; i++) {
		int n = plain_recv(fd, buf, sizeof(buf));

		if (check_fill(buf, n < 4 ? 0 : (uint16_t)n) != i % PORT_BURST_MAX)
			break;
	}
	CHECK_EQ(i, 2 * PORT_BURST_MAX);
	CHECK_EQ(a->stats.tx_errors, 0);
	port_close(a);
	close(fd);
}

/* 14: a datagram larger than a buffer is counted and dropped; the next one arrives. */
static void test_truncated(void)
{
	struct port *b = open_port(ADDR_IPV4, 0, false, false, 0);
	int fd = plain_socket(ADDR_IPV4, 0, false);
	static uint8_t big[3000];
	uint8_t first = 0;

	if (!b)
		return;
	big[0] = 0x11;
	plain_send(
		fd,
		&(struct net_addr){.ip = {127, 0, 0, 1}, .port = (uint16_t)port_udp_local_port(b)},
		big, sizeof(big));
	big[0] = 0x22;
	plain_send(
		fd,
		&(struct net_addr){.ip = {127, 0, 0, 1}, .port = (uint16_t)port_udp_local_port(b)},
		big, 1000);
	CHECK_EQ(receive(b, 1, 4, on_steer, &first), 1);
	CHECK_EQ(first, 0x22);
	CHECK_EQ(b->stats.rx_truncated, 1);
	port_close(b);
	close(fd);
}

struct spin_sender {
	uint16_t port;
	int sent;
};

static void *spin_send(void *arg)
{
	struct spin_sender *ss = arg;
	int fd = plain_socket(ADDR_IPV4, 0, false);
	uint8_t d[100] = {0x20};

	for (int i = 0; i < SPIN_DATAGRAMS; i++) {
		struct sockaddr_in s = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = htons(ss->port)};

		ss->sent += sendto(fd, d, sizeof(d), 0, (struct sockaddr *)&s, sizeof(s)) > 0;
	}
	close(fd);
	return NULL;
}

/* 15: a worker spinning on rx_burst alone (no syscall) sees another thread's datagrams. */
static void test_spin(void)
{
	struct port *b = open_port(ADDR_IPV4, 0, false, false, 0);
	struct spin_sender ss = {0};
	struct port_pkt pkts[PORT_BURST_MAX];
	uint64_t spins = 0, syscalls;
	uint32_t got = 0;
	pthread_t t;

	if (!b)
		return;
	syscalls = b->stats.rx_syscalls;
	ss.port = (uint16_t)port_udp_local_port(b);
	CHECK_EQ(pthread_create(&t, NULL, spin_send, &ss), 0);
	while (got < SPIN_DATAGRAMS && spins++ < SPIN_LIMIT) {
		uint32_t n = port_rx_burst(b, pkts, PORT_BURST_MAX);

		port_rx_release(b, pkts, n);
		got += n;
	}
	pthread_join(t, NULL);
	CHECK_EQ(ss.sent, SPIN_DATAGRAMS);
	CHECK_EQ(got, SPIN_DATAGRAMS);
	CHECK_EQ(b->stats.rx_syscalls, syscalls);
	port_close(b);
}

int main(void)
{
	test_open_errors();
	test_stream(ADDR_IPV4, false, false);
	test_stream(ADDR_IPV4, true, true);
	test_stream(ADDR_IPV6, false, true);
	test_stream(ADDR_IPV6, true, true);
	test_gso_to_plain();
	test_gso_to_gro();
	test_mixed();
	test_dual_stack();
	test_wait();
	test_dry_ring();
	test_steer();
	test_gso_refused();
	test_truncated();
	test_spin();
	return harness_finish();
}
