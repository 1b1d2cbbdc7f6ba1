/* SPDX-License-Identifier: MIT */
/*
 * driftd's control socket (protocol in control/ctl_proto.h): a
 * SOCK_SEQPACKET unix socket, one text request per message, polled from
 * the loop without blocking. A reply waits for room in the socket buffer
 * for at most a second per line (send_line), so a slow reader of a long
 * `dump` delays driftd briefly, never forever.
 */
#include "control/ctl_proto.h"
#include "control/driftd.h"

#include "proto/addr.h"
#include "tools/hex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * One line per message; never an empty one, which a SOCK_SEQPACKET reader
 * takes for EOF. Client sockets are non-blocking (the loop must not stall on
 * a request), so a full socket buffer (a long dump) is waited out here, for
 * at most a second per line: a reader that stops reading loses its reply,
 * not driftd its loop.
 */
static bool send_line(int fd, const char *text)
{
	const char *msg = *text ? text : " ";
	size_t len = strlen(msg);
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};

	for (int tries = 0; tries < 2; tries++) {
		if (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return true;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return false;
		if (poll(&pfd, 1, 1000) <= 0)
			return false;
	}
	return false;
}

static void reply(struct driftd_ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply(struct driftd_ctl_client *c, const char *fmt, ...)
{
	char buf[CTL_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_line(c->fd, buf);
}

int ctl_open(struct driftd *d)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", d->dir,
			     CTL_SOCKET_FILE) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sun.sun_path); /* a stale socket from a driftd that died */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || chmod(sun.sun_path, 0600) != 0 ||
	    listen(fd, 16) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	d->ctl_fd = fd;
	for (int i = 0; i < DRIFTD_CTL_CLIENTS; i++)
		d->clients[i].fd = -1;
	return 0;
}

static void drop_client(struct driftd *d, int i)
{
	struct driftd_ctl_client *c = &d->clients[i];

	/* The channel stays with the application's pid: data keeps flowing without us. */
	if (c->channel >= 0 && d->channels[c->channel].ctl_client == i)
		d->channels[c->channel].ctl_client = -1;
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->channel = -1;
}

void ctl_close(struct driftd *d)
{
	char path[600];

	for (int i = 0; i < DRIFTD_CTL_CLIENTS; i++)
		if (d->clients[i].fd >= 0)
			drop_client(d, i);
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		snprintf(path, sizeof(path), "%s/%s", d->dir, CTL_SOCKET_FILE);
		unlink(path);
	}
	d->ctl_fd = -1;
}

static void accept_clients(struct driftd *d)
{
	int fd;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int i;

		for (i = 0; i < DRIFTD_CTL_CLIENTS && d->clients[i].fd >= 0; i++)
			;
		if (i == DRIFTD_CTL_CLIENTS ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			send_line(fd, "err driftd has too many control connections: close one");
			close(fd);
			continue;
		}
		memset(&d->clients[i], 0, sizeof(d->clients[i]));
		d->clients[i].fd = fd;
		d->clients[i].pid = (uint32_t)cred.pid;
		d->clients[i].channel = -1;
	}
}

static bool parse_hex(uint8_t *out, size_t n, const char *text)
{
	if (!text || strlen(text) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(text + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static void do_attach(struct driftd *d, int i)
{
	struct driftd_ctl_client *c = &d->clients[i];
	char text[128];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int k = channels_attach(d, c->pid, i);

	if (k < 0)
		return reply(c,
			     "err all %d application channels are in use: detach an application "
			     "or stop one",
			     SHM_APP_CHANNELS);
	c->channel = k;
	snprintf(text, sizeof(text), "ok channel=%d workers=%u", k, d->table.hdr->worker_count);
	iov.iov_base = text;
	iov.iov_len = strlen(text);
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &d->channels[k].fd, sizeof(int));
	sendmsg(c->fd, &msg, MSG_NOSIGNAL);
}

static void reply_session(struct driftd_ctl_client *c, const struct driftd_peer *p)
{
	char id[2 * WIRE_PEER_ID_BYTES + 1];

	hex_encode(id, p->id, WIRE_PEER_ID_BYTES);
	reply(c, "ok slot=%d gen=%u peer=%s", p->slot, p->generation, id);
}

static void do_peer(struct driftd *d, struct driftd_ctl_client *c, char *pub_hex, char *addr_text,
		    bool is_connect, char *timeout_text)
{
	uint8_t pub[WIRE_KEY_BYTES], id[WIRE_PEER_ID_BYTES];
	struct net_addr addr = {0};
	struct driftd_peer *p;
	uint64_t now = driftd_now_ms();
	int rc;

	if (!parse_hex(pub, sizeof(pub), pub_hex))
		return reply(c,
			     "err public key \"%s\" is not 64 hex digits: pass the peer's "
			     "`drift pubkey` output",
			     pub_hex ? pub_hex : "");
	if (addr_text && !addr_parse(&addr, addr_text, false))
		return reply(c, "err address \"%s\" is not a.b.c.d:port or [v6]:port", addr_text);
	if (is_connect && !addr_text)
		return reply(c, "err connect needs an address: connect PUBHEX ADDR");
	rc = engine_add_peer(d->engine, pub, &addr, addr_text != NULL, id);
	if (rc)
		return reply(c, "err cannot add peer: %s", strerror(-rc));
	p = installer_peer(d, id, true);
	if (!p)
		return reply(c, "err out of memory");
	if (c->channel >= 0) {
		p->channel = c->channel;
		if (p->slot >= 0)
			installer_mark_dirty(d, id);
	}
	if (!is_connect) {
		char idh[2 * WIRE_PEER_ID_BYTES + 1];

		hex_encode(idh, id, WIRE_PEER_ID_BYTES);
		return reply(c, "ok peer=%s", idh);
	}
	if (p->slot >= 0)
		return reply_session(c, p);
	rc = engine_connect(d->engine, now, id);
	if (rc)
		return reply(c, "err cannot start a handshake: %s", strerror(-rc));
	c->has_connect = true;
	memcpy(c->connect_id, id, sizeof(id));
	c->connect_deadline_ms = now + (timeout_text ? strtoull(timeout_text, NULL, 10) : 5000);
}

/* vpn-peer PUBHEX ADDR|- KEEPALIVE_S: a drift-vpn peer (driftd --tun only). */
static void do_vpn_peer(struct driftd *d, struct driftd_ctl_client *c, char *pub_hex,
			char *addr_text, char *keepalive_text)
{
	uint8_t pub[WIRE_KEY_BYTES];
	struct net_addr addr = {0};
	bool has_addr = addr_text && strcmp(addr_text, "-") != 0;
	char *end = NULL;
	unsigned long ka = keepalive_text ? strtoul(keepalive_text, &end, 10) : 0;
	int rc;

	if (!d->vpn.is_on)
		return reply(c, "err vpn-peer needs driftd --tun (drift-vpn up starts it so)");
	if (!parse_hex(pub, sizeof(pub), pub_hex))
		return reply(c, "err public key \"%s\" is not 64 hex digits",
			     pub_hex ? pub_hex : "");
	if (has_addr && !addr_parse(&addr, addr_text, false))
		return reply(c, "err address \"%s\" is not a.b.c.d:port or [v6]:port", addr_text);
	if (keepalive_text && (!end || *end || ka > 65535))
		return reply(c, "err keepalive \"%s\" is not 0-65535 seconds", keepalive_text);
	rc = vpn_add_peer(d, pub, has_addr ? &addr : NULL, (uint16_t)ka);
	if (rc)
		return reply(c, "err cannot add peer: %s", strerror(-rc));
	reply(c, "ok");
}

static bool peer_arg(struct driftd_ctl_client *c, const char *text, uint8_t id[WIRE_PEER_ID_BYTES])
{
	if (parse_hex(id, WIRE_PEER_ID_BYTES, text))
		return true;
	reply(c, "err peer id \"%s\" is not 16 hex digits: see `drift show`", text ? text : "");
	return false;
}

/* A reader that stops reading costs driftd one second, not one per line. */
struct show_out {
	int fd;
	bool has_failed;
};

static void show_line(void *ctx, const char *text)
{
	struct show_out *o = ctx;

	if (!o->has_failed && !send_line(o->fd, text))
		o->has_failed = true;
}

static void handle(struct driftd *d, int i, char *line)
{
	struct driftd_ctl_client *c = &d->clients[i];
	char *save = NULL, *verb = strtok_r(line, " \n", &save);
	char *a1 = strtok_r(NULL, " \n", &save), *a2 = strtok_r(NULL, " \n", &save);
	char *a3 = strtok_r(NULL, " \n", &save);
	uint8_t id[WIRE_PEER_ID_BYTES];
	int rc;

	if (!verb)
		return reply(c, "err empty request");
	if (!strcmp(verb, "ping"))
		return reply(c, "ok driftd %d", (int)getpid());
	if (!strcmp(verb, "attach"))
		return do_attach(d, i);
	if (!strcmp(verb, "detach")) {
		channels_detach(d, c->channel);
		c->channel = -1;
		return reply(c, "ok");
	}
	if (!strcmp(verb, "listen")) {
		if (c->channel < 0)
			return reply(c, "err listen needs an attached channel: send attach first");
		if (d->vpn.is_on)
			return reply(c,
				     "err this driftd serves drift-vpn's TUN: sessions go there");
		if (!a1 || (strcmp(a1, "any") && strcmp(a1, "known")))
			return reply(c, "err listen takes \"any\" or \"known\"");
		d->listen_channel = c->channel;
		engine_set_accept_any_peer(d->engine, !strcmp(a1, "any"));
		channels_reap(d);
		channels_adopt_orphans(d, c->channel);
		return reply(c, "ok");
	}
	if (!strcmp(verb, "peer"))
		return do_peer(d, c, a1, a2, false, NULL);
	if (!strcmp(verb, "vpn-peer"))
		return do_vpn_peer(d, c, a1, a2, a3);
	if (!strcmp(verb, "connect"))
		return do_peer(d, c, a1, a2, true, a3);
	if (!strcmp(verb, "rekey") || !strcmp(verb, "close")) {
		if (!peer_arg(c, a1, id))
			return;
		rc = verb[0] == 'r' ? engine_rekey(d->engine, driftd_now_ms(), id)
				    : engine_close(d->engine, driftd_now_ms(), id);
		installer_sync_dirty(d);
		return rc ? reply(c, "err %s %s: %s", verb, a1, strerror(-rc)) : reply(c, "ok");
	}
	if (!strcmp(verb, "forward")) {
		uint8_t to[WIRE_PEER_ID_BYTES];

		if (!peer_arg(c, a1, id) || !peer_arg(c, a2, to))
			return;
		rc = forwarding_add(d, id, to);
		return rc == -ENOSPC ? reply(c,
					     "err forwarding table full (%d pairs): unforward "
					     "one first",
					     DRIFTD_FWD_MAX / 2)
		       : rc ? reply(c, "err forward %s %s: the two peers must differ", a1, a2)
			    : reply(c, "ok");
	}
	if (!strcmp(verb, "unforward")) {
		if (!peer_arg(c, a1, id))
			return;
		return forwarding_remove(d, id) ? reply(c, "err %s is not forwarded", a1)
						: reply(c, "ok");
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "dump")) {
		struct show_out o = {.fd = c->fd};

		show_write(d, verb[0] == 'd', show_line, &o);
		if (o.has_failed) {
			drop_client(d, i);
			return;
		}
		return reply(c, "ok");
	}
	reply(c, "err unknown request \"%s\": see control/ctl_proto.h", verb);
}

/* Pending connects: answered once the session is installed, failed, or late. */
static void finish_connects(struct driftd *d)
{
	uint64_t now = driftd_now_ms();

	for (int i = 0; i < DRIFTD_CTL_CLIENTS; i++) {
		struct driftd_ctl_client *c = &d->clients[i];
		struct engine_peer_info info;
		struct driftd_peer *p;

		if (c->fd < 0 || !c->has_connect)
			continue;
		p = installer_peer(d, c->connect_id, false);
		if (p && p->slot >= 0) {
			c->has_connect = false;
			reply_session(c, p);
		} else if (engine_peer_info(d->engine, c->connect_id, &info) == 0 &&
			   info.is_hs_exhausted) {
			c->has_connect = false;
			reply(c, "err handshake failed: no answer from the peer (is its driftd "
				 "running and does it accept this key?)");
		} else if (now >= c->connect_deadline_ms) {
			c->has_connect = false;
			reply(c, "err handshake timed out: check the address and that the peer "
				 "accepts this key");
		}
	}
}

void ctl_poll(struct driftd *d)
{
	char buf[CTL_MSG_MAX_BYTES + 1];

	accept_clients(d);
	for (int i = 0; i < DRIFTD_CTL_CLIENTS; i++) {
		ssize_t n = -1;

		if (d->clients[i].fd < 0)
			continue;
		while (d->clients[i].fd >= 0 &&
		       (n = recv(d->clients[i].fd, buf, CTL_MSG_MAX_BYTES, MSG_DONTWAIT)) != 0) {
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					drop_client(d, i);
				break;
			}
			buf[n] = 0;
			handle(d, i, buf);
		}
		if (n == 0 && d->clients[i].fd >= 0)
			drop_client(d, i);
	}
	finish_connects(d);
}
