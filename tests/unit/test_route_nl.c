/* SPDX-License-Identifier: MIT */
/*
 * control/route_nl: request builders, answer parsers on hand-built
 * datagrams (good, split across datagrams, errors, every truncation and
 * malformed length), and, when the test may create a network namespace,
 * live resolution over a veth pair: direct neighbour, via a gateway, over a
 * VLAN device, unreachable, and a change notice.
 */
#include "control/route_nl.h"

#include "tests/lib/harness.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

/* ---- building answers by hand --------------------------------------------- */

struct msgbuf {
	uint8_t b[4096];
	size_t len;
	size_t msg_at; /* start of the message being built */
};

static void msg_begin(struct msgbuf *m, uint16_t type, uint32_t seq, const void *fixed, size_t n)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_seq = seq};

	m->msg_at = m->len;
	memcpy(m->b + m->len, &h, sizeof(h));
	m->len += NLMSG_HDRLEN;
	memcpy(m->b + m->len, fixed, n);
	m->len += NLMSG_ALIGN(n);
}

static size_t attr(struct msgbuf *m, uint16_t type, const void *v, size_t n)
{
	struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type};
	size_t at = m->len;

	memcpy(m->b + m->len, &a, sizeof(a));
	if (n)
		memcpy(m->b + m->len + RTA_LENGTH(0), v, n);
	m->len += RTA_ALIGN(RTA_LENGTH(n));
	return at;
}

static void nest_end(struct msgbuf *m, size_t at)
{
	struct rtattr a;

	memcpy(&a, m->b + at, sizeof(a));
	a.rta_len = (unsigned short)(m->len - at);
	memcpy(m->b + at, &a, sizeof(a));
}

static void msg_end(struct msgbuf *m)
{
	struct nlmsghdr h;

	memcpy(&h, m->b + m->msg_at, sizeof(h));
	h.nlmsg_len = (uint32_t)(m->len - m->msg_at);
	memcpy(m->b + m->msg_at, &h, sizeof(h));
}

static void add_route(struct msgbuf *m, uint32_t seq, bool gw, uint8_t type)
{
	struct rtmsg rt = {.rtm_family = AF_INET, .rtm_type = type};
	uint32_t oif = 5;
	uint8_t g[4] = {10, 0, 0, 1}, src[4] = {10, 0, 0, 7};

	msg_begin(m, RTM_NEWROUTE, seq, &rt, sizeof(rt));
	attr(m, RTA_OIF, &oif, 4);
	if (gw)
		attr(m, RTA_GATEWAY, g, 4);
	attr(m, RTA_PREFSRC, src, 4);
	msg_end(m);
}

static void add_neigh(struct msgbuf *m, uint32_t seq, uint8_t last, int ifindex, uint16_t state)
{
	struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = ifindex, .ndm_state = state};
	uint8_t ip[4] = {10, 0, 0, last}, mac[6] = {2, 0, 0, 0, 0, last};

	msg_begin(m, RTM_NEWNEIGH, seq, &nd, sizeof(nd));
	attr(m, NDA_DST, ip, 4);
	attr(m, NDA_LLADDR, mac, 6);
	msg_end(m);
}

static void add_done(struct msgbuf *m, uint32_t seq)
{
	int32_t zero = 0;

	msg_begin(m, NLMSG_DONE, seq, &zero, 4);
	msg_end(m);
}

static void add_error(struct msgbuf *m, uint32_t seq, int32_t e)
{
	uint8_t body[NLMSG_HDRLEN + 4] = {0};

	memcpy(body, &e, 4);
	msg_begin(m, NLMSG_ERROR, seq, body, sizeof(body));
	msg_end(m);
}

static void test_builders(void)
{
	struct net_addr d = {.family = ADDR_IPV6, .ip = {0x20, 1}};
	uint8_t buf[256];
	struct nlmsghdr h;
	size_t n;

	n = route_nl_build_getroute(buf, sizeof(buf), 9, &d);
	memcpy(&h, buf, sizeof(h));
	CHECK_EQ(n, h.nlmsg_len);
	CHECK_EQ(h.nlmsg_type, RTM_GETROUTE);
	CHECK_EQ(h.nlmsg_seq, 9);
	CHECK_EQ(((struct rtmsg *)(buf + NLMSG_HDRLEN))->rtm_family, AF_INET6);
	CHECK_EQ(n, NLMSG_HDRLEN + sizeof(struct rtmsg) + RTA_LENGTH(16));
	CHECK_EQ(route_nl_build_getroute(buf, 10, 9, &d), 0);
	n = route_nl_build_getneigh(buf, sizeof(buf), 3, ADDR_IPV4);
	memcpy(&h, buf, sizeof(h));
	CHECK_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	CHECK_EQ(route_nl_build_getneigh(buf, sizeof(buf), 3, 0), 0);
	CHECK(route_nl_build_getlink(buf, sizeof(buf), 3, 4) > 0);
	CHECK_EQ(route_nl_build_getlink(buf, sizeof(buf), 3, 0), 0);
}

static void test_parse_route(void)
{
	struct msgbuf m = {0};
	struct route_nl_route r;

	add_error(&m, 7, 0);		      /* an ack first: ignored */
	add_route(&m, 6, false, RTN_UNICAST); /* other seq: ignored */
	add_route(&m, 7, true, RTN_UNICAST);
	CHECK_EQ(route_nl_parse_route(m.b, m.len, 7, &r), 0);
	CHECK_EQ(r.oif, 5);
	CHECK(r.has_gateway && r.has_prefsrc);
	CHECK_EQ(r.gateway.ip[3], 1);
	CHECK_EQ(r.prefsrc.ip[3], 7);
	m.len = 0;
	add_route(&m, 7, false, RTN_LOCAL);
	CHECK_EQ(route_nl_parse_route(m.b, m.len, 7, &r), -EOPNOTSUPP);
	m.len = 0;
	add_error(&m, 7, -ENETUNREACH);
	CHECK_EQ(route_nl_parse_route(m.b, m.len, 7, &r), -ENETUNREACH);
	m.len = 0;
	add_route(&m, 6, false, RTN_UNICAST);
	CHECK_EQ(route_nl_parse_route(m.b, m.len, 7, &r), 1);
}

static void test_parse_neigh(void)
{
	uint8_t ip[16] = {10, 0, 0, 9}, mac[6] = {0};
	struct msgbuf a = {0}, b = {0};

	add_neigh(&a, 4, 9, 5, NUD_INCOMPLETE); /* right one, unusable state */
	add_neigh(&a, 4, 9, 6, NUD_REACHABLE);	/* other interface */
	add_neigh(&a, 4, 8, 5, NUD_REACHABLE);	/* other address */
	CHECK_EQ(route_nl_parse_neigh(a.b, a.len, 4, ADDR_IPV4, ip, 5, mac), 1);
	add_neigh(&b, 4, 9, 5, NUD_STALE);
	add_done(&b, 4);
	CHECK_EQ(route_nl_parse_neigh(b.b, b.len, 4, ADDR_IPV4, ip, 5, mac), 0);
	CHECK_EQ(mac[5], 9);
	b.len = 0;
	add_done(&b, 4);
	CHECK_EQ(route_nl_parse_neigh(b.b, b.len, 4, ADDR_IPV4, ip, 5, mac), -ENOENT);
}

static void test_parse_link(void)
{
	struct ifinfomsg ifi = {.ifi_index = 12};
	struct route_nl_link l;
	struct msgbuf m = {0};
	uint8_t mac[6] = {2, 1, 2, 3, 4, 5};
	uint32_t lower = 3, mtu = 1500;
	uint16_t vid = 7;
	size_t info, data;

	msg_begin(&m, RTM_NEWLINK, 2, &ifi, sizeof(ifi));
	attr(&m, IFLA_ADDRESS, mac, 6);
	attr(&m, IFLA_MTU, &mtu, 4);
	attr(&m, IFLA_LINK, &lower, 4);
	info = attr(&m, IFLA_LINKINFO, NULL, 0);
	attr(&m, IFLA_INFO_KIND, "vlan", 5);
	data = attr(&m, IFLA_INFO_DATA, NULL, 0);
	attr(&m, IFLA_VLAN_ID, &vid, 2);
	nest_end(&m, data);
	nest_end(&m, info);
	msg_end(&m);
	CHECK_EQ(route_nl_parse_link(m.b, m.len, 2, &l), 0);
	CHECK_EQ(l.ifindex, 12);
	CHECK(l.has_mac && l.is_vlan);
	CHECK_EQ(l.vlan_id, 7);
	CHECK_EQ(l.lower_ifindex, 3);
	CHECK_EQ(l.mtu, 1500);
}

static void test_malformed(void)
{
	struct msgbuf m = {0};
	struct route_nl_route r;
	struct route_nl_link l;
	uint8_t ip[16] = {10, 0, 0, 9}, mac[6], copy[4096];
	struct nlmsghdr h;

	size_t route_len;

	add_route(&m, 7, true, RTN_UNICAST);
	route_len = m.len;
	add_neigh(&m, 7, 9, 5, NUD_REACHABLE);
	add_done(&m, 7);
	/* Every truncation: never out of bounds (ASan), never a half-read success. */
	for (size_t cut = 0; cut < m.len; cut++) {
		int rc;

		memcpy(copy, m.b, cut);
		rc = route_nl_parse_route(copy, cut, 7, &r);
		CHECK(rc == -EPROTO || rc == 1 || (rc == 0 && cut >= route_len));
		rc = route_nl_parse_neigh(copy, cut, 7, ADDR_IPV4, ip, 5, mac);
		CHECK(rc != 0 || cut > route_len);
		route_nl_parse_link(copy, cut, 7, &l);
		route_nl_is_change(copy, cut);
	}
	/* nlmsg_len 0 and larger than the datagram. */
	memcpy(copy, m.b, m.len);
	memcpy(&h, copy, sizeof(h));
	h.nlmsg_len = 0;
	memcpy(copy, &h, sizeof(h));
	CHECK_EQ(route_nl_parse_route(copy, m.len, 7, &r), -EPROTO);
	h.nlmsg_len = 100000;
	memcpy(copy, &h, sizeof(h));
	CHECK_EQ(route_nl_parse_route(copy, m.len, 7, &r), -EPROTO);
	CHECK(route_nl_is_change(copy, m.len)); /* garbage counts as a change */
	/* rta_len 2, and an RTA_OIF of 2 bytes. */
	m.len = 0;
	add_route(&m, 7, false, RTN_UNICAST);
	memcpy(copy, m.b, m.len);
	copy[NLMSG_HDRLEN + sizeof(struct rtmsg)] = 2;
	CHECK_EQ(route_nl_parse_route(copy, m.len, 7, &r), -EPROTO);
	memcpy(copy, m.b, m.len);
	copy[NLMSG_HDRLEN + sizeof(struct rtmsg)] = 6;
	CHECK_EQ(route_nl_parse_route(copy, m.len, 7, &r), -EPROTO);
	/* NDA_LLADDR of 5 bytes. */
	{
		struct ndmsg nd = {
			.ndm_family = AF_INET, .ndm_ifindex = 5, .ndm_state = NUD_REACHABLE};

		m.len = 0;
		msg_begin(&m, RTM_NEWNEIGH, 7, &nd, sizeof(nd));
		attr(&m, NDA_DST, ip, 4);
		attr(&m, NDA_LLADDR, mac, 5);
		msg_end(&m);
		CHECK_EQ(route_nl_parse_neigh(m.b, m.len, 7, ADDR_IPV4, ip, 5, mac), -EPROTO);
	}
	/* Change notices. */
	m.len = 0;
	add_neigh(&m, 0, 9, 5, NUD_REACHABLE);
	CHECK(route_nl_is_change(m.b, m.len));
	m.len = 0;
	add_done(&m, 0);
	CHECK(!route_nl_is_change(m.b, m.len));
}

/* ---- live, in a private network namespace ------------------------------------ */

static int sh(const char *fmt, const char *ns)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, ns, ns, ns, ns);
	return system(cmd);
}

static void read_mac(const char *path, uint8_t mac[6])
{
	unsigned m[6] = {0};
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
			memset(m, 0, sizeof(m));
		fclose(f);
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}

static int resolve_retry(struct route_nl *r, const char *ip, struct net_route *out)
{
	struct net_addr d = {.family = ADDR_IPV4, .port = 9};
	int rc = -EAGAIN;

	inet_pton(AF_INET, ip, d.ip);
	for (int i = 0; i < 20 && rc == -EAGAIN; i++) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};

		rc = route_nl_resolve(r, &d, 7878, out);
		if (rc != -EAGAIN || s < 0) {
			if (s >= 0)
				close(s);
			break;
		}
		/* Any packet that way makes the kernel learn the next hop's MAC. */
		memcpy(&sa.sin_addr, d.ip, 4);
		sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
		close(s);
		usleep(50000);
	}
	return rc;
}

static void test_live(void)
{
	char ns[64], path[320], peer_mac_path[160];
	uint8_t mine[6], theirs[6];
	struct route_nl *r;
	struct net_route out;
	struct pollfd p;
	bool is_changed = false, has_vlan;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("skip live part: cannot create a network namespace (needs root)\n");
		return;
	}
	snprintf(ns, sizeof(ns), "drift-rnl-%d", (int)getpid());
	if (sh("ip netns add %s", ns) != 0) {
		printf("skip live part: ip netns add failed\n");
		return;
	}
	CHECK_EQ(system("ip link set lo up && ip link add rnl0 type veth peer name rnl1"), 0);
	CHECK_EQ(sh("ip link set rnl1 netns %s && ip -n %s link set rnl1 up && ip -n %s addr add "
		    "10.98.0.2/24 dev rnl1",
		    ns),
		 0);
	CHECK_EQ(system("ip addr add 10.98.0.1/24 dev rnl0 && ip link set rnl0 up && "
			"ip route add 10.77.0.0/16 via 10.98.0.2"),
		 0);
	/* VLAN devices need the 8021q module, which not every kernel has. */
	has_vlan = system("ip link add link rnl0 name rnl0.7 type vlan id 7 2>/dev/null") == 0;
	if (has_vlan) {
		CHECK_EQ(sh("ip -n %s link add link rnl1 name rnl1.7 type vlan id 7 && ip -n %s "
			    "link "
			    "set rnl1.7 up && ip -n %s addr add 10.97.0.2/24 dev rnl1.7",
			    ns),
			 0);
		CHECK_EQ(system("ip link set rnl0.7 up && ip addr add 10.97.0.1/24 dev rnl0.7"), 0);
	} else {
		printf("skip VLAN part: this kernel has no VLAN devices (8021q)\n");
	}
	CHECK_EQ(route_nl_open(&r), 0);
	{
		/* sysfs still shows the namespace we left: ask the kernel directly. */
		struct ifreq ifr = {0};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "rnl0");
		CHECK(fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0);
		memcpy(mine, ifr.ifr_hwaddr.sa_data, 6);
		if (fd >= 0)
			close(fd);
	}
	snprintf(peer_mac_path, sizeof(peer_mac_path), "/tmp/%s.mac", ns);
	snprintf(path, sizeof(path), "ip netns exec %%s cat /sys/class/net/rnl1/address > %s",
		 peer_mac_path);
	sh(path, ns);
	read_mac(peer_mac_path, theirs);
	unlink(peer_mac_path);

	CHECK_EQ(resolve_retry(r, "10.98.0.2", &out), 0);
	CHECK(out.flags & NET_ROUTE_VALID);
	CHECK_MEM(out.src_mac, mine, 6);
	CHECK_MEM(out.dst_mac, theirs, 6);
	CHECK_EQ(out.ifindex, if_nametoindex("rnl0"));
	CHECK_EQ(out.src.ip[3], 1);
	CHECK_EQ(out.src.port, 7878);
	/* Via the gateway: the gateway's MAC. */
	CHECK_EQ(resolve_retry(r, "10.77.1.1", &out), 0);
	CHECK_MEM(out.dst_mac, theirs, 6);
	/* Over the VLAN device: tagged, on the lower device. */
	if (has_vlan) {
		CHECK_EQ(resolve_retry(r, "10.97.0.2", &out), 0);
		CHECK(out.flags & NET_ROUTE_VLAN);
		CHECK_EQ(out.vlan_tci, 7);
		CHECK_EQ(out.ifindex, if_nametoindex("rnl0"));
	}
	/* Our own address, and nowhere. */
	CHECK_EQ(resolve_retry(r, "10.98.0.1", &out), -EOPNOTSUPP);
	CHECK_EQ(resolve_retry(r, "203.0.113.1", &out), -ENETUNREACH);
	/* A neighbour change is noticed. */
	route_nl_drain_changes(r);
	CHECK_EQ(system("ip neigh replace 10.98.0.2 lladdr 02:00:00:00:00:99 dev rnl0"), 0);
	p = (struct pollfd){.fd = route_nl_change_fd(r), .events = POLLIN};
	for (int i = 0; i < 10 && !is_changed; i++) {
		poll(&p, 1, 100);
		is_changed = route_nl_drain_changes(r);
	}
	CHECK(is_changed);
	route_nl_close(r);
	sh("ip netns del %s", ns);
}

int main(void)
{
	test_builders();
	test_parse_route();
	test_parse_neigh();
	test_parse_link();
	test_malformed();
	test_live();
	return harness_finish();
}
