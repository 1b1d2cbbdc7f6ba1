/* SPDX-License-Identifier: MIT */
/*
 * The blocking rtnetlink query client of route_nl.h: route, link and
 * neighbour lookups over the sans-io codecs in route_nl.c, and a
 * non-blocking change-notice socket. Reads only; needs no capability.
 */
#include "control/route_nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	RNL_BUF_BYTES = 32768,
	RNL_WAIT_MS = 100, /* longest one query waits for the kernel */
};

struct route_nl {
	int fd, change_fd;
	uint32_t seq;
	uint8_t buf[RNL_BUF_BYTES];
};

static int open_socket(uint32_t groups, bool is_nonblock)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (is_nonblock ? SOCK_NONBLOCK : 0),
			NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int route_nl_open(struct route_nl **out)
{
	struct route_nl *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->fd = open_socket(0, false);
	r->change_fd = open_socket(RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
					   RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_LINK,
				   true);
	if (r->fd < 0 || r->change_fd < 0) {
		rc = r->fd < 0 ? r->fd : r->change_fd;
		route_nl_close(r);
		return rc;
	}
	r->seq = (uint32_t)time(NULL);
	*out = r;
	return 0;
}

void route_nl_close(struct route_nl *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->change_fd >= 0)
		close(r->change_fd);
	free(r);
}

int route_nl_change_fd(const struct route_nl *r)
{
	return r->change_fd;
}

bool route_nl_drain_changes(struct route_nl *r)
{
	bool is_changed = false;
	ssize_t n;

	while ((n = recv(r->change_fd, r->buf, sizeof(r->buf), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			/* ENOBUFS: notices were lost; resolving again is the safe answer. */
			if (errno == ENOBUFS)
				is_changed = true;
			if (errno != EINTR && errno != ENOBUFS)
				break;
			continue;
		}
		is_changed |= route_nl_is_change(r->buf, (size_t)n);
	}
	return is_changed;
}

/* Receives until `parse` says done (rc != 1) or the wait runs out. */
typedef int (*parse_fn)(struct route_nl *r, size_t len, void *ctx);

static int query(struct route_nl *r, size_t req_len, parse_fn parse, void *ctx)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	uint8_t req[128];
	int rc = 1;

	memcpy(req, r->buf, req_len);
	if (send(r->fd, req, req_len, 0) < 0)
		return -errno;
	while (rc == 1) {
		ssize_t n;

		if (poll(&p, 1, RNL_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		n = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if (n < 0)
			return errno == EINTR ? 1 : -errno;
		rc = parse(r, (size_t)n, ctx);
	}
	return rc;
}

static int parse_route_cb(struct route_nl *r, size_t len, void *ctx)
{
	return route_nl_parse_route(r->buf, len, r->seq, ctx);
}

static int parse_link_cb(struct route_nl *r, size_t len, void *ctx)
{
	return route_nl_parse_link(r->buf, len, r->seq, ctx);
}

struct neigh_ctx {
	uint8_t family;
	const uint8_t *ip;
	uint32_t ifindex;
	uint8_t *mac;
	bool is_found;
};

/* A dump goes on until DONE: keep reading after a match so nothing is left queued. */
static int parse_neigh_cb(struct route_nl *r, size_t len, void *ctx)
{
	struct neigh_ctx *c = ctx;
	int rc = route_nl_parse_neigh(r->buf, len, r->seq, c->family, c->ip, c->ifindex, c->mac);

	if (rc == 0) {
		c->is_found = true;
		/* The match may share a datagram with DONE; if not, read on. */
		for (size_t at = 0; at + NLMSG_HDRLEN <= len;) {
			struct nlmsghdr h;

			memcpy(&h, r->buf + at, sizeof(h));
			if (h.nlmsg_type == NLMSG_DONE)
				return 0;
			if (h.nlmsg_len < NLMSG_HDRLEN)
				break;
			at += NLMSG_ALIGN(h.nlmsg_len);
		}
		return 1;
	}
	if (rc == -ENOENT && c->is_found)
		return 0;
	return rc;
}

static int get_link(struct route_nl *r, uint32_t ifindex, struct route_nl_link *l)
{
	size_t n = route_nl_build_getlink(r->buf, sizeof(r->buf), ++r->seq, ifindex);

	return n ? query(r, n, parse_link_cb, l) : -EINVAL;
}

int route_nl_resolve(struct route_nl *r, const struct net_addr *dst, uint16_t src_port,
		     struct net_route *out)
{
	struct route_nl_route rt;
	struct route_nl_link link;
	struct neigh_ctx nc;
	const uint8_t *hop;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	n = route_nl_build_getroute(r->buf, sizeof(r->buf), ++r->seq, dst);
	if (!n)
		return -EINVAL;
	rc = query(r, n, parse_route_cb, &rt);
	if (rc == -EHOSTUNREACH || rc == -ENETUNREACH || rc == -ENOENT)
		return -ENETUNREACH;
	if (rc)
		return rc;
	if ((rc = get_link(r, rt.oif, &link)) != 0)
		return rc;
	if (!link.has_mac)
		return -EOPNOTSUPP; /* loopback, tun: nothing to frame for */
	memcpy(out->src_mac, link.mac, 6);
	out->ifindex = rt.oif;
	if (link.is_vlan) {
		out->flags |= NET_ROUTE_VLAN;
		out->vlan_tci = link.vlan_id;
		out->ifindex = link.lower_ifindex;
	}
	if (!rt.has_prefsrc)
		return -EADDRNOTAVAIL;
	out->src = rt.prefsrc;
	out->src.port = src_port;
	hop = rt.has_gateway ? rt.gateway.ip : dst->ip;
	nc = (struct neigh_ctx){dst->family, hop, rt.oif, out->dst_mac, false};
	n = route_nl_build_getneigh(r->buf, sizeof(r->buf), ++r->seq, dst->family);
	rc = n ? query(r, n, parse_neigh_cb, &nc) : -EINVAL;
	if (rc == -ENOENT || (rc == 0 && !nc.is_found))
		return -EAGAIN;
	if (rc)
		return rc;
	out->flags |= NET_ROUTE_VALID;
	return 0;
}
