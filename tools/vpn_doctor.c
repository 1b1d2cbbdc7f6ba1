/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn doctor [CONFIG|NAME]: the preflight. Each check prints
 * "ok", "warn" or "FAIL" with what was found and, for anything not ok, the
 * fix. It changes nothing on the machine (the TUN probe makes a
 * non-persistent device that vanishes when its fd closes). Exit status 1
 * if any check failed.
 */
#include "tools/vpn_cmds.h"

#include "tools/vpn_common.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif

struct doctor {
	int fails, warns;
};

static void report(struct doctor *d, int level, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* level 0 ok, 1 warn, 2 FAIL */
static void report(struct doctor *d, int level, const char *what, const char *fmt, ...)
{
	static const char *tags[] = {"ok  ", "warn", "FAIL"};
	va_list ap;

	d->fails += level == 2;
	d->warns += level == 1;
	printf("[%s] %-12s ", tags[level], what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_tun(struct doctor *d)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		report(d, 2, "tun", "cannot open /dev/net/tun: %s; fix: %s", strerror(e),
		       e == ENOENT
			       ? "`modprobe tun` (or pass /dev/net/tun into the container)"
			       : "run drift-vpn as root (a TUN needs access to /dev/net/tun and "
				 "CAP_NET_ADMIN)");
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "driftchk%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int e = errno;

		report(d, 2, "tun", "cannot create a TUN device: %s; fix: %s", strerror(e),
		       e == EPERM ? "creating one needs CAP_NET_ADMIN: run drift-vpn as root"
				  : "check that the kernel has TUN with multi-queue support");
	} else {
		report(d, 0, "tun", "a multi-queue TUN with vnet headers can be created (%s)",
		       ifr.ifr_name);
	}
	close(fd);
}

static bool has_cap(cap_t caps, cap_value_t v)
{
	cap_flag_value_t f = CAP_CLEAR;

	return caps && cap_get_flag(caps, v, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET;
}

static void check_caps(struct doctor *d)
{
	cap_t caps = cap_get_proc();
	bool admin = has_cap(caps, CAP_NET_ADMIN), raw = has_cap(caps, CAP_NET_RAW);
	bool bpf = has_cap(caps, CAP_BPF) || has_cap(caps, CAP_SYS_ADMIN);

	if (!admin)
		report(d, 2, "capabilities",
		       "CAP_NET_ADMIN missing (needed for the TUN, addresses and routes); fix: run "
		       "as root");
	else if (!raw || !bpf)
		report(d, 1, "capabilities",
		       "CAP_NET_ADMIN present, but %s%s missing: the xsk port cannot start and "
		       "drift-vpn will use the udp port; fix: run as root for XDP",
		       raw ? "" : "CAP_NET_RAW ", bpf ? "" : "CAP_BPF");
	else
		report(d, 0, "capabilities", "CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF present");
	if (caps)
		cap_free(caps);
}

static void check_xdp(struct doctor *d)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	int e = errno;
	int probe = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);

	if (fd >= 0)
		close(fd);
	if (fd < 0 && (e == EPERM || e == EACCES))
		report(d, 1, "xdp",
		       "cannot check AF_XDP without privileges (%s); as root, `drift-vpn doctor` "
		       "tells whether the xsk port can run",
		       strerror(e));
	else if (fd < 0 || probe != 1)
		report(d, 1, "xdp",
		       "AF_XDP socket: %s, XDP program load: %s; drift-vpn will use the udp port "
		       "(fine, slower); fix: run as root on a kernel with CONFIG_XDP_SOCKETS",
		       fd >= 0 ? "ok" : strerror(e),
		       probe == 1   ? "ok"
		       : probe == 0 ? "not supported"
				    : strerror(-probe));
	else
		report(d, 0, "xdp",
		       "AF_XDP sockets and XDP programs available (Port = auto picks "
		       "xsk where the interface allows)");
}

static void check_programs(struct doctor *d)
{
	char dp[VPN_PATH_BYTES], dd[VPN_PATH_BYTES];
	char *const ipv[] = {"ip", "-V", NULL};
	bool has_dp = vpn_find_program("drift-dp", dp, sizeof(dp));
	bool has_dd = vpn_find_program("driftd", dd, sizeof(dd));

	if (!has_dp || !has_dd)
		report(d, 2, "programs",
		       "%s%s not found next to drift-vpn or on PATH; fix: `meson install`, or set "
		       "DRIFT_DP / DRIFTD",
		       has_dp ? "" : "drift-dp ", has_dd ? "" : "driftd");
	else
		report(d, 0, "programs", "%s, %s", dp, dd);
	if (vpn_run(ipv, true) != 0)
		report(d, 2, "iproute2", "`ip` not found; fix: apt-get install iproute2");
	else
		report(d, 0, "iproute2", "`ip` found");
}

static void check_port(struct doctor *d, uint16_t port)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		report(d, 2, "port", "UDP port %u: %s; fix: %s", port, strerror(e),
		       e == EADDRINUSE ? "another program holds it (`ss -ulpn`): stop it or change "
					 "ListenPort"
				       : "pick a ListenPort above 1023 or run as root");
	} else {
		report(d, 0, "port", "UDP port %u is free", port);
	}
	if (fd >= 0)
		close(fd);
}

/* The kernel's path MTU to each endpoint (IP_MTU of a connected socket) vs ours + overhead. */
static void check_mtu(struct doctor *d, const struct vpn_config *cfg)
{
	uint32_t mtu = cfg->mtu ? cfg->mtu : WIRE_MAX_PAYLOAD_BYTES;
	bool any = false;

	for (uint32_t i = 0; i < cfg->n_peers; i++) {
		const struct net_addr *a = &cfg->peers[i].endpoint;
		bool v6 = a->family == ADDR_IPV6;
		/* outer IP + UDP + DRIFT short header and tag */
		uint32_t need = mtu + (v6 ? 40 : 20) + 8 + WIRE_SHORT_MIN_BYTES;
		struct sockaddr_storage ss = {0};
		int fd, path_mtu = 0;
		socklen_t len = sizeof(path_mtu);

		if (!cfg->peers[i].has_endpoint)
			continue;
		any = true;
		if (v6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(a->port);
			memcpy(&s6->sin6_addr, a->ip, 16);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			s4->sin_port = htons(a->port);
			memcpy(&s4->sin_addr, a->ip, 4);
		}
		fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sizeof(ss)) != 0 ||
		    getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU,
			       &path_mtu, &len) != 0) {
			report(d, 2, "mtu",
			       "no route to peer %s (line %u): %s; fix: check the "
			       "Endpoint and the underlay routes",
			       cfg->peers[i].endpoint_host, cfg->peers[i].line, strerror(errno));
		} else if ((uint32_t)path_mtu < need) {
			report(d, 2, "mtu",
			       "MTU %u needs a path MTU of %u to %s, the route has %d; fix: set "
			       "MTU "
			       "= %d in [Interface]",
			       mtu, need, cfg->peers[i].endpoint_host, path_mtu,
			       path_mtu - (int)(need - mtu));
		} else {
			report(d, 0, "mtu", "MTU %u fits the path to %s (path MTU %d, needs %u)",
			       mtu, cfg->peers[i].endpoint_host, path_mtu, need);
		}
		if (fd >= 0)
			close(fd);
	}
	if (!any)
		report(d, 0, "mtu", "MTU %u (no peer endpoint to check the path against)", mtu);
}

int vpn_cmd_doctor(const char *arg)
{
	struct doctor d = {0};
	struct vpn_config *cfg = arg ? calloc(1, sizeof(*cfg)) : NULL;
	char path[VPN_PATH_BYTES], name[16], err[VPN_ERR_BYTES];

	printf("drift-vpn doctor (uid %d)\n", (int)geteuid());
	check_tun(&d);
	check_caps(&d);
	check_xdp(&d);
	check_programs(&d);
	if (arg) {
		if (!cfg || !vpn_resolve_arg(arg, path, sizeof(path), name, err, sizeof(err)) ||
		    vpn_config_load(cfg, path, err) != 0 || vpn_config_resolve(cfg, err) != 0) {
			report(&d, 2, "config", "%s", cfg ? err : "out of memory");
		} else {
			report(&d, 0, "config", "%s: interface %s, %u peer%s", path, name,
			       cfg->n_peers, cfg->n_peers == 1 ? "" : "s");
			for (uint32_t i = 0; i < cfg->n_warnings; i++)
				report(&d, 1, "config", "%s", cfg->warnings[i]);
			if (cfg->has_listen_port)
				check_port(&d, cfg->listen_port);
			check_mtu(&d, cfg);
		}
	}
	if (cfg) {
		vpn_config_wipe(cfg);
		free(cfg);
	}
	printf("%d failed, %d warning%s\n", d.fails, d.warns, d.warns == 1 ? "" : "s");
	return d.fails ? 1 : 0;
}
