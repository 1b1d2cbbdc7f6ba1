/* SPDX-License-Identifier: MIT */
/*
 * Socket setup and address conversion. Receive and send buffers are raised
 * (with the privileged FORCE variants when we have CAP_NET_ADMIN) because a
 * burst of DRIFT datagrams otherwise overflows the default 208 KiB.
 */
#include "control/udp_socket.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

enum {
	SOCKET_BUF_BYTES = 4 << 20,
};

static void raise_buffers(int fd)
{
	int v = SOCKET_BUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

int udp_socket_open(const char *text, int *family)
{
	struct sockaddr_storage ss;
	struct net_addr a;
	socklen_t len;
	int fd, off = 0, err;

	if (!addr_parse(&a, text, false))
		return -EINVAL;
	*family = a.family == ADDR_IPV6 ? AF_INET6 : AF_INET;
	len = udp_socket_sockaddr(&ss, &a, *family);
	fd = socket(*family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (*family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	raise_buffers(fd);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

socklen_t udp_socket_sockaddr(struct sockaddr_storage *ss, const struct net_addr *a, int family)
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
			/* ::ffff:a.b.c.d reaches an IPv4 peer from a dual-stack socket. */
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

void udp_socket_addr(struct net_addr *a, const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a->family = ADDR_IPV4;
		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

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

int udp_socket_local_text(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct net_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return -errno;
	udp_socket_addr(&a, (struct sockaddr *)&ss, sl);
	addr_format(buf, len, &a);
	return 0;
}
