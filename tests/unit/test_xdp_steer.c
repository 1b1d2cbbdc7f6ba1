/* SPDX-License-Identifier: MIT */
/*
 * dataplane/xdp_steer + port_xsk, privileged: in a private network
 * namespace, a veth pair whose far end lives in a second namespace. The
 * steering program on the near end must pass long headers, short headers of
 * unsteered CIDs, steered CIDs without a socket and other ports to the
 * stack (a UDP socket receives them), redirect a steered CID to the AF_XDP
 * socket of the queue (the xsk port hands out the exact payload and
 * source), count each verdict, and leave nothing attached after detach or
 * after --cleanup of a killed owner. Native and generic modes.
 * Exits 77 (skip) without root.
 */
#include "dataplane/port_xsk.h"
#include "dataplane/xdp_steer.h"

#include "tests/lib/harness.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PORT = 7878 };

static char peer_ns[64];

static int run(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
	return system(cmd);
}

/* Sends `hex` (pairs of hex digits) from the far namespace to 10.99.0.1:port. */
static void send_from_peer(const char *hex, int port)
{
	char cmd[512], esc[256] = "";

	for (size_t i = 0; hex[i] && hex[i + 1] && strlen(esc) + 5 < sizeof(esc); i += 2)
		snprintf(esc + strlen(esc), sizeof(esc) - strlen(esc), "\\x%c%c", hex[i],
			 hex[i + 1]);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s bash -c 'printf \"%s\" > /dev/udp/10.99.0.1/%d'", peer_ns, esc,
		 port);
	CHECK_EQ(system(cmd), 0);
}

static bool sock_gets(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[256];

	if (poll(&p, 1, 1000) != 1)
		return false;
	return recv(fd, buf, sizeof(buf), 0) > 0;
}

static uint64_t verdict(struct xdp_steer *s, int v)
{
	uint64_t out[DRIFT_XDP_V_COUNT];

	return xdp_steer_read_stats(s, out) == 0 ? out[v] : 0;
}

static bool is_attached(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query((int)ifindex, 0, &q) != 0)
		return false;
	return q.prog_id != 0;
}

#define SHORT_STEERED "20123400000001aabbccdd"
#define SHORT_OTHER   "20555500000001aabbccdd"
#define LONG_HDR      "1000000000000000"

static void one_mode(enum xdp_steer_mode mode, uint32_t ifindex, int sock)
{
	struct port_xsk_config pc = {.ifindex = ifindex, .queue = 0, .udp_port = PORT};
	struct port_pkt pkts[PORT_BURST_MAX];
	struct xdp_steer *s = NULL;
	struct port *xsk = NULL;
	char err[256];
	uint32_t got = 0;

	CHECK_EQ(xdp_steer_attach(ifindex, mode, PORT, &s, err, sizeof(err)), 0);
	if (!s) {
		printf("attach failed: %s\n", err);
		return;
	}
	printf("attached: %s\n", xdp_steer_describe(s));
	CHECK(is_attached(ifindex));
	send_from_peer(LONG_HDR, PORT);
	CHECK(sock_gets(sock));
	CHECK_EQ(verdict(s, DRIFT_XDP_V_PASS_LONG), 1);
	send_from_peer(SHORT_OTHER, PORT);
	CHECK(sock_gets(sock));
	CHECK_EQ(verdict(s, DRIFT_XDP_V_PASS_CID), 1);
	CHECK_EQ(xdp_steer_set_cid(s, 0x1234, true), 0);
	send_from_peer(SHORT_STEERED, PORT);
	CHECK(sock_gets(sock)); /* no socket on the queue yet: the stack gets it */
	CHECK_EQ(verdict(s, DRIFT_XDP_V_PASS_NO_XSK), 1);
	send_from_peer(LONG_HDR, PORT + 1);
	CHECK(verdict(s, DRIFT_XDP_V_PASS_OTHER) >= 1);
	/* A real AF_XDP socket on queue 0: the steered packet goes there, not to the stack. */
	pc.is_generic = mode == XDP_STEER_GENERIC;
	CHECK_EQ(port_xsk_open(&pc, &xsk, err, sizeof(err)), 0);
	if (xsk) {
		CHECK_EQ(xdp_steer_set_xsk(s, 0, port_xsk_fd(xsk)), 0);
		send_from_peer(SHORT_STEERED, PORT);
		for (int i = 0; i < 100 && !got; i++) {
			got = port_rx_burst(xsk, pkts, PORT_BURST_MAX);
			if (!got)
				usleep(10000);
		}
		CHECK_EQ(got, 1);
		if (got == 1) {
			static const uint8_t want[] = {0x20, 0x12, 0x34, 0,    0,   0,
						       1,    0xaa, 0xbb, 0xcc, 0xdd};

			CHECK_EQ(pkts[0].len, sizeof(want));
			CHECK_MEM(pkts[0].data, want, sizeof(want));
			CHECK_EQ(pkts[0].addr.family, ADDR_IPV4);
			CHECK_EQ(pkts[0].addr.ip[3], 2);
			port_rx_release(xsk, pkts, got);
		}
		CHECK_EQ(verdict(s, DRIFT_XDP_V_REDIRECT), 1);
		CHECK(!sock_gets(sock));
		port_close(xsk);
	}
	xdp_steer_detach(s);
	CHECK(!is_attached(ifindex));
}

static void crash_and_cleanup(uint32_t ifindex)
{
	char err[256];
	pid_t pid = fork();

	if (pid == 0) {
		struct xdp_steer *s;

		if (xdp_steer_attach(ifindex, XDP_STEER_NATIVE, PORT, &s, err, sizeof(err)) != 0)
			_exit(1);
		pause();
		_exit(0);
	}
	for (int i = 0; i < 100 && !is_attached(ifindex); i++)
		usleep(10000);
	CHECK(is_attached(ifindex));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(is_attached(ifindex)); /* a killed owner leaves its program behind */
	CHECK_EQ(xdp_steer_cleanup(ifindex, err, sizeof(err)), 1);
	CHECK(!is_attached(ifindex));
	CHECK_EQ(xdp_steer_cleanup(ifindex, err, sizeof(err)), 0);
}

int main(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	uint32_t ifindex;
	int sock;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: needs root to create a network namespace and load XDP programs\n");
		return 77;
	}
	snprintf(peer_ns, sizeof(peer_ns), "drift-xdp-%d", (int)getpid());
	if (run("ip netns add %s", peer_ns) != 0) {
		printf("SKIP: ip netns add failed\n");
		return 77;
	}
	CHECK_EQ(system("ip link set lo up && ip link add xs0 type veth peer name xs1 && "
			"ip addr add 10.99.0.1/24 dev xs0 && ip link set xs0 up"),
		 0);
	CHECK_EQ(run("ip link set xs1 netns %s && ip -n %s addr add 10.99.0.2/24 dev xs1 && "
		     "ip -n %s link set xs1 up",
		     peer_ns),
		 0);
	ifindex = if_nametoindex("xs0");
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "10.99.0.1", &sa.sin_addr);
	CHECK(sock >= 0 && bind(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	one_mode(XDP_STEER_NATIVE, ifindex, sock);
	one_mode(XDP_STEER_GENERIC, ifindex, sock);
	crash_and_cleanup(ifindex);
	close(sock);
	run("ip netns del %s", peer_ns);
	return harness_finish();
}
