/* SPDX-License-Identifier: MIT */
/*
 * Raw UDP round-trip baseline for perf/: the same echo pattern as
 * `drift ping` against `drift listen --echo`, without DRIFT, so the two can
 * be compared on one path. Blocking sockets, one message in flight.
 *
 *   udp_pingpong server ADDR              echo every datagram back
 *   udp_pingpong client ADDR [COUNT [SIZE]]  print min/avg/p50/p99/max in ms
 */
#include "control/udp_socket.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int serve(const char *addr)
{
	uint8_t buf[2048];
	struct sockaddr_storage from;
	int family, fd = udp_socket_open(addr, &family);

	if (fd < 0) {
		fprintf(stderr, "udp_pingpong: cannot bind %s: %s\n", addr, strerror(-fd));
		return 1;
	}
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int ping(const char *addr, unsigned long count, size_t size)
{
	struct net_addr a;
	struct sockaddr_storage ss;
	struct timeval tv = {1, 0};
	uint8_t buf[2048] = {0};
	uint64_t *rtt, sum = 0;
	unsigned long got = 0;
	socklen_t sl;
	int family, fd;

	if (!addr_parse(&a, addr, false) || size > sizeof(buf) || size < 8)
		return fprintf(stderr, "udp_pingpong: bad address or size\n"), 2;
	fd = udp_socket_open(a.family == ADDR_IPV6 ? "[::]:0" : "0.0.0.0:0", &family);
	sl = udp_socket_sockaddr(&ss, &a, family);
	rtt = calloc(count, sizeof(*rtt));
	if (fd < 0 || !rtt)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (unsigned long i = 0; i < count; i++) {
		uint64_t t0 = now_ns();

		memcpy(buf, &i, sizeof(i));
		sendto(fd, buf, size, 0, (struct sockaddr *)&ss, sl);
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			unsigned long seq;

			if (n < 0)
				break;
			memcpy(&seq, buf, sizeof(seq));
			if (seq == i) {
				rtt[got] = now_ns() - t0;
				sum += rtt[got++];
				break;
			}
		}
	}
	if (!got)
		return fprintf(stderr, "udp_pingpong: no replies from %s\n", addr), 1;
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
	printf("%lu sent, %lu received\n", count, got);
	printf("rtt min/avg/p50/p99/max = %.3f/%.3f/%.3f/%.3f/%.3f ms\n", rtt[0] / 1e6,
	       (double)sum / (double)got / 1e6, rtt[got / 2] / 1e6, rtt[got * 99 / 100] / 1e6,
	       rtt[got - 1] / 1e6);
	return got == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "server") == 0)
		return serve(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "client") == 0)
		return ping(argv[2], argc > 3 ? strtoul(argv[3], NULL, 10) : 1000,
			    argc > 4 ? strtoul(argv[4], NULL, 10) : 64);
	fprintf(stderr, "usage: udp_pingpong server ADDR | client ADDR [COUNT [SIZE]]\n");
	return 2;
}
