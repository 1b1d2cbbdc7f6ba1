/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink codecs for next-hop resolution (route_nl.h), sans-io: request
 * builders and answer parsers over raw bytes. Every header and attribute
 * length is checked against the datagram before it is read; values are
 * copied out with memcpy (netlink buffers are only 4-byte aligned).
 */
#include "control/route_nl.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

enum { NLA_ALIGNTO_ = 4 };

static size_t align4(size_t n)
{
	return (n + NLA_ALIGNTO_ - 1) & ~(size_t)(NLA_ALIGNTO_ - 1);
}

static int af_of(uint8_t family)
{
	return family == ADDR_IPV4 ? AF_INET : family == ADDR_IPV6 ? AF_INET6 : -1;
}

static size_t ip_len(uint8_t family)
{
	return family == ADDR_IPV4 ? 4 : 16;
}

/* ---- builders ------------------------------------------------------------ */

static size_t put_header(uint8_t *buf, size_t cap, size_t body, uint16_t type, uint16_t flags,
			 uint32_t seq)
{
	struct nlmsghdr h;

	if (cap < NLMSG_HDRLEN + body)
		return 0;
	memset(buf, 0, NLMSG_HDRLEN + body);
	memset(&h, 0, sizeof(h));
	h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + body);
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = seq;
	memcpy(buf, &h, sizeof(h));
	return NLMSG_HDRLEN + body;
}

size_t route_nl_build_getroute(uint8_t *buf, size_t cap, uint32_t seq, const struct net_addr *dst)
{
	struct rtmsg rt;
	struct rtattr a;
	size_t alen = ip_len(dst->family), body = align4(sizeof(rt)) + RTA_LENGTH(alen), n;

	if (af_of(dst->family) < 0)
		return 0;
	n = put_header(buf, cap, align4(body), RTM_GETROUTE, NLM_F_REQUEST, seq);
	if (!n)
		return 0;
	memset(&rt, 0, sizeof(rt));
	rt.rtm_family = (uint8_t)af_of(dst->family);
	rt.rtm_dst_len = (uint8_t)(alen * 8);
	memcpy(buf + NLMSG_HDRLEN, &rt, sizeof(rt));
	a.rta_len = (unsigned short)RTA_LENGTH(alen);
	a.rta_type = RTA_DST;
	memcpy(buf + NLMSG_HDRLEN + align4(sizeof(rt)), &a, sizeof(a));
	memcpy(buf + NLMSG_HDRLEN + align4(sizeof(rt)) + RTA_LENGTH(0), dst->ip, alen);
	return n;
}

size_t route_nl_build_getneigh(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family)
{
	struct ndmsg nd;
	size_t n;

	if (af_of(family) < 0)
		return 0;
	n = put_header(buf, cap, align4(sizeof(nd)), RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq);
	if (!n)
		return 0;
	memset(&nd, 0, sizeof(nd));
	nd.ndm_family = (uint8_t)af_of(family);
	memcpy(buf + NLMSG_HDRLEN, &nd, sizeof(nd));
	return n;
}

size_t route_nl_build_getlink(uint8_t *buf, size_t cap, uint32_t seq, uint32_t ifindex)
{
	struct ifinfomsg ifi;
	size_t n;

	if (!ifindex || ifindex > 0x7fffffff)
		return 0;
	n = put_header(buf, cap, align4(sizeof(ifi)), RTM_GETLINK, NLM_F_REQUEST, seq);
	if (!n)
		return 0;
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = (int)ifindex;
	memcpy(buf + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	return n;
}

/* ---- parsing --------------------------------------------------------------- */

/* Walks the messages of a datagram. Returns false at the end; -EPROTO via *bad. */
struct walk {
	const uint8_t *buf;
	size_t len, at;
	bool is_bad;
};

static bool next_msg(struct walk *w, struct nlmsghdr *h, const uint8_t **body, size_t *body_len)
{
	if (w->at >= w->len)
		return false;
	if (w->len - w->at < NLMSG_HDRLEN) {
		w->is_bad = true;
		return false;
	}
	memcpy(h, w->buf + w->at, sizeof(*h));
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > w->len - w->at) {
		w->is_bad = true;
		return false;
	}
	*body = w->buf + w->at + NLMSG_HDRLEN;
	*body_len = h->nlmsg_len - NLMSG_HDRLEN;
	w->at += align4(h->nlmsg_len);
	return true;
}

/* Attribute iteration over body[off..len). */
struct attrs {
	const uint8_t *p;
	size_t len, at;
	bool is_bad;
};

static bool next_attr(struct attrs *a, uint16_t *type, const uint8_t **val, size_t *val_len)
{
	struct rtattr r;

	if (a->at >= a->len)
		return false;
	if (a->len - a->at < sizeof(r)) {
		a->is_bad = true;
		return false;
	}
	memcpy(&r, a->p + a->at, sizeof(r));
	if (r.rta_len < sizeof(r) || r.rta_len > a->len - a->at) {
		a->is_bad = true;
		return false;
	}
	*type = r.rta_type & NLA_TYPE_MASK;
	*val = a->p + a->at + RTA_LENGTH(0);
	*val_len = r.rta_len - RTA_LENGTH(0);
	a->at += align4(r.rta_len);
	return true;
}

/* For NLMSG_ERROR / NLMSG_DONE. Returns 2 when the message is not one of them. */
static int control_msg(const struct nlmsghdr *h, const uint8_t *body, size_t body_len)
{
	int32_t e;

	if (h->nlmsg_type == NLMSG_DONE)
		return -ENOENT;
	if (h->nlmsg_type != NLMSG_ERROR)
		return 2;
	if (body_len < sizeof(e))
		return -EPROTO;
	memcpy(&e, body, sizeof(e));
	return e == 0 ? 1 : (e < 0 ? e : -EPROTO); /* 0 = an ack: keep reading */
}

/*
 * The next message of type `type` answering `seq`. Returns true with it;
 * false when the datagram has no more, with *rc = 1 (keep reading), the
 * end of a dump (-ENOENT), the errno an NLMSG_ERROR carried, or -EPROTO.
 * Acks and other sequences are skipped.
 */
static bool next_answer(struct walk *w, uint32_t seq, uint16_t type, const uint8_t **body,
			size_t *blen, int *rc)
{
	struct nlmsghdr h;

	while (next_msg(w, &h, body, blen)) {
		int c;

		if (h.nlmsg_seq != seq)
			continue;
		if ((c = control_msg(&h, *body, *blen)) != 2) {
			if (c == 1)
				continue;
			*rc = c;
			return false;
		}
		if (h.nlmsg_type == type)
			return true;
	}
	*rc = w->is_bad ? -EPROTO : 1;
	return false;
}

static bool get_u32(const uint8_t *v, size_t n, uint32_t *out)
{
	if (n != 4)
		return false;
	memcpy(out, v, 4);
	return true;
}

int route_nl_parse_route(const uint8_t *buf, size_t len, uint32_t seq, struct route_nl_route *out)
{
	struct walk w = {buf, len, 0, false};
	const uint8_t *body;
	size_t blen;
	int rc;

	while (next_answer(&w, seq, RTM_NEWROUTE, &body, &blen, &rc)) {
		struct attrs a;
		struct rtmsg rt;
		uint16_t type;
		const uint8_t *v;
		size_t vlen;
		if (blen < sizeof(rt))
			return -EPROTO;
		memcpy(&rt, body, sizeof(rt));
		if (rt.rtm_family != AF_INET && rt.rtm_family != AF_INET6)
			return -EPROTO;
		memset(out, 0, sizeof(*out));
		if (rt.rtm_type == RTN_LOCAL)
			return -EOPNOTSUPP;
		if (rt.rtm_type == RTN_UNREACHABLE || rt.rtm_type == RTN_BLACKHOLE ||
		    rt.rtm_type == RTN_PROHIBIT)
			return -ENETUNREACH;
		if (blen < align4(sizeof(rt)))
			return -EPROTO;
		a = (struct attrs){body + align4(sizeof(rt)), blen - align4(sizeof(rt)), 0, false};
		while (next_attr(&a, &type, &v, &vlen)) {
			size_t want = rt.rtm_family == AF_INET ? 4 : 16;
			struct net_addr *dst = NULL;

			if (type == RTA_OIF && !get_u32(v, vlen, &out->oif))
				return -EPROTO;
			if (type == RTA_GATEWAY) {
				dst = &out->gateway;
				out->has_gateway = true;
			} else if (type == RTA_PREFSRC) {
				dst = &out->prefsrc;
				out->has_prefsrc = true;
			}
			if (!dst)
				continue;
			if (vlen != want)
				return -EPROTO;
			dst->family = rt.rtm_family == AF_INET ? ADDR_IPV4 : ADDR_IPV6;
			memcpy(dst->ip, v, want);
		}
		if (a.is_bad || !out->oif)
			return -EPROTO;
		return 0;
	}
	return rc;
}

static bool usable_state(uint16_t state)
{
	return state &
	       (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP);
}

int route_nl_parse_neigh(const uint8_t *buf, size_t len, uint32_t seq, uint8_t family,
			 const uint8_t ip[16], uint32_t ifindex, uint8_t mac[6])
{
	struct walk w = {buf, len, 0, false};
	const uint8_t *body;
	size_t blen;
	int rc;

	while (next_answer(&w, seq, RTM_NEWNEIGH, &body, &blen, &rc)) {
		const uint8_t *v, *lladdr = NULL;
		bool is_match = false;
		struct ndmsg nd;
		struct attrs a;
		uint16_t type;
		size_t vlen;
		if (blen < align4(sizeof(nd)))
			return -EPROTO;
		memcpy(&nd, body, sizeof(nd));
		a = (struct attrs){body + align4(sizeof(nd)), blen - align4(sizeof(nd)), 0, false};
		while (next_attr(&a, &type, &v, &vlen)) {
			if (type == NDA_DST)
				is_match = vlen == ip_len(family) && !memcmp(v, ip, vlen);
			else if (type == NDA_LLADDR) {
				if (vlen != 6 && vlen != 0)
					return -EPROTO;
				lladdr = vlen == 6 ? v : NULL;
			}
		}
		if (a.is_bad)
			return -EPROTO;
		if (is_match && nd.ndm_family == af_of(family) &&
		    (uint32_t)nd.ndm_ifindex == ifindex && usable_state(nd.ndm_state) && lladdr) {
			memcpy(mac, lladdr, 6);
			return 0;
		}
	}
	return rc;
}

/* IFLA_LINKINFO: kind "vlan" and IFLA_INFO_DATA/IFLA_VLAN_ID. */
static int parse_linkinfo(const uint8_t *p, size_t len, struct route_nl_link *out)
{
	struct attrs a = {p, len, 0, false};
	const uint8_t *v, *data = NULL;
	size_t vlen, dlen = 0;
	uint16_t type;

	while (next_attr(&a, &type, &v, &vlen)) {
		if (type == IFLA_INFO_KIND)
			out->is_vlan = vlen >= 4 && !memcmp(v, "vlan", 4) && (vlen == 4 || !v[4]);
		else if (type == IFLA_INFO_DATA) {
			data = v;
			dlen = vlen;
		}
	}
	if (a.is_bad)
		return -EPROTO;
	if (out->is_vlan && data) {
		struct attrs d = {data, dlen, 0, false};

		while (next_attr(&d, &type, &v, &vlen))
			if (type == IFLA_VLAN_ID) {
				if (vlen != 2)
					return -EPROTO;
				memcpy(&out->vlan_id, v, 2);
			}
		if (d.is_bad)
			return -EPROTO;
	}
	return 0;
}

int route_nl_parse_link(const uint8_t *buf, size_t len, uint32_t seq, struct route_nl_link *out)
{
	struct walk w = {buf, len, 0, false};
	const uint8_t *body;
	size_t blen;
	int rc;

	while (next_answer(&w, seq, RTM_NEWLINK, &body, &blen, &rc)) {
		struct ifinfomsg ifi;
		const uint8_t *v;
		struct attrs a;
		uint16_t type;
		size_t vlen;
		if (blen < align4(sizeof(ifi)))
			return -EPROTO;
		memcpy(&ifi, body, sizeof(ifi));
		memset(out, 0, sizeof(*out));
		out->ifindex = (uint32_t)ifi.ifi_index;
		a = (struct attrs){body + align4(sizeof(ifi)), blen - align4(sizeof(ifi)), 0,
				   false};
		while (next_attr(&a, &type, &v, &vlen)) {
			if (type == IFLA_ADDRESS && vlen == 6) {
				memcpy(out->mac, v, 6);
				out->has_mac = true;
			} else if (type == IFLA_MTU && !get_u32(v, vlen, &out->mtu)) {
				return -EPROTO;
			} else if (type == IFLA_LINK && !get_u32(v, vlen, &out->lower_ifindex)) {
				return -EPROTO;
			} else if (type == IFLA_LINKINFO && parse_linkinfo(v, vlen, out) != 0) {
				return -EPROTO;
			}
		}
		return a.is_bad ? -EPROTO : 0;
	}
	return rc;
}

bool route_nl_is_change(const uint8_t *buf, size_t len)
{
	struct walk w = {buf, len, 0, false};
	const uint8_t *body;
	struct nlmsghdr h;
	size_t blen;

	while (next_msg(&w, &h, &body, &blen))
		switch (h.nlmsg_type) {
		case RTM_NEWNEIGH:
		case RTM_DELNEIGH:
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
		case RTM_NEWLINK:
		case RTM_DELLINK:
		case RTM_NEWADDR:
		case RTM_DELADDR:
			return true;
		default:
			break;
		}
	return w.is_bad;
}
