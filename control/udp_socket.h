/* SPDX-License-Identifier: MIT */
/*
 * UDP sockets for the embedded transport and driftd: binding from DRIFT's
 * "host:port" text, IPv4 and IPv6 (an IPv6 wildcard socket also carries
 * IPv4 through mapped addresses), and conversion between sockaddr and the
 * engine's struct net_addr.
 */
#ifndef DRIFT_CONTROL_UDP_SOCKET_H
#define DRIFT_CONTROL_UDP_SOCKET_H

#include "proto/addr.h"

#include <netinet/in.h>
#include <sys/socket.h>

/*
 * Opens and binds a UDP socket at `text` ("0.0.0.0:9000", "[::]:0", ...).
 * Returns the fd, or a negative errno: -EINVAL for an unparsable address,
 * -EADDRINUSE, -EACCES, ... from bind. `family` receives AF_INET/AF_INET6.
 */
int udp_socket_open(const char *text, int *family);

/* Fills `ss` for sending to `a` from a socket of `family`; returns the length or 0. */
socklen_t udp_socket_sockaddr(struct sockaddr_storage *ss, const struct net_addr *a, int family);

/* Converts a received source address; IPv4-mapped IPv6 becomes plain IPv4. */
void udp_socket_addr(struct net_addr *a, const struct sockaddr *sa, socklen_t len);

/* The bound address as text ("127.0.0.1:54321"); buf holds at least 64 bytes. */
int udp_socket_local_text(int fd, char *buf, size_t len);

#endif
