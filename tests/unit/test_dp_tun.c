/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's data path in the dataplane, without privileges: two hosts
 * over mem ports (tests/lib/dp_world.h), each worker given a "TUN" that is
 * one end of a SOCK_SEQPACKET socketpair (one packet per read and write,
 * as a TUN), the test holding the other end. Checked:
 *   1. an IPv4 UDP packet written to A's TUN comes out of B's TUN
 *      byte for byte, behind a vnet header; IPv6 the other way
 *   2. a 12 000-byte TSO super-packet is split on A, sent, and written to
 *      B's TUN coalesced (GRO): the TCP payload arrives whole and in order
 *   3. cryptokey routing: an inner source B does not give to A is dropped
 *      (tun_spoof); a destination no peer owns (tun_no_peer); a peer with
 *      no session (tun_peer_down, and one SHM_EV_TUN_WANT a second asking
 *      driftd to dial it); a read too short for a vnet header
 *      (tun_bad_packet)
 *   4. packets driftd opened before the session was installed
 *      (SHM_EV_TUN_WRITE): written to the TUN; a spoofed source, an unknown
 *      sender and a bad length dropped
 */
#include "dataplane/tun_io.h"
#include "tests/lib/dp_world.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <sys/socket.h>

enum { VH = sizeof(struct virtio_net_hdr) };

static struct tun_shared ts_a, ts_b;
static struct tun_worker tw_a, tw_b;
static int tun_a = -1, tun_b = -1; /* the test's ends */
static uint8_t pub_a[32], pub_b[32], pub_c[32];

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* IPv4 + UDP or TCP (20-byte header) with `len` payload bytes of pattern `tag`. */
static size_t build_v4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
		       uint32_t seq, size_t len, uint8_t tag)
{
	size_t l4 = proto == 6 ? 20 : 8, total = 20 + l4 + len;
	uint8_t *ip = buf, *t = buf + 20;
	uint32_t sum;

	memset(buf, 0, 20 + l4);
	ip[0] = 0x45;
	store_be16(ip + 2, (uint16_t)total);
	store_be16(ip + 4, 0x1234);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	store_be16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	store_be16(t, 40000);
	store_be16(t + 2, 5201);
	for (size_t i = 0; i < len; i++)
		t[l4 + i] = (uint8_t)(tag + i * 7);
	if (proto == 6) {
		store_be32(t + 4, seq);
		store_be32(t + 8, 1);
		t[12] = 5 << 4;
		t[13] = 0x10; /* ACK */
		store_be16(t + 14, 65535);
	} else {
		store_be16(t + 4, (uint16_t)(l4 + len));
	}
	sum = csum_add(0, ip + 12, 8) + proto + (uint32_t)(l4 + len);
	store_be16(t + (proto == 6 ? 16 : 6), csum_fold(csum_add(sum, t, l4 + len)));
	return total;
}

static void tun_write(int fd, const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	struct iovec iov[2] = {{(void *)vh, VH}, {(void *)pkt, len}};

	CHECK_EQ(writev(fd, iov, 2), (ssize_t)(VH + len));
}

/* One packet from a test-side TUN end, or -1 after `ms` without one. */
static ssize_t tun_read(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, ms) != 1)
		return -1;
	return read(fd, buf, cap);
}

static void write_peers(const char *path, const uint8_t *pub1, const char *p1, const uint8_t *pub2,
			const char *p2)
{
	FILE *f = fopen(path, "w");
	char hex[65];

	CHECK(f != NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", pub1[i]);
	fprintf(f, "# test\npeer %s %s\n", hex, p1);
	if (pub2) {
		for (int i = 0; i < 32; i++)
			sprintf(hex + 2 * i, "%02x", pub2[i]);
		fprintf(f, "peer %s %s\n", hex, p2);
	}
	fclose(f);
}

static void set_pub(struct host *h, uint32_t slot, const uint8_t pub[32])
{
	struct shm_slot *s = shm_slot_at(h->t.hdr, slot);

	session_table_write_begin(s);
	memcpy(s->peer_pub, pub, 32);
	session_table_write_end(h->t.hdr, s);
}

static void start(void)
{
	char path[128], err[256];
	int sa[2], sb[2];

	memset(pub_a, 0xaa, 32);
	memset(pub_b, 0xbb, 32);
	memset(pub_c, 0xcc, 32);
	host_init(&A, 1, 1);
	host_init(&B, 1, 2);
	/* A knows B (10.9.0.2, fd09::2) and C (10.9.0.3, never up); B knows A. */
	snprintf(path, sizeof(path), "%s/peers", A.dir);
	write_peers(path, pub_b, "10.9.0.2/32 fd09::2/128", pub_c, "10.9.0.3/32");
	CHECK_EQ(tun_shared_load(&ts_a, path, 0, err, sizeof(err)), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/peers", B.dir);
	write_peers(path, pub_a, "10.9.0.1/32 fd09::1/128", NULL, NULL);
	CHECK_EQ(tun_shared_load(&ts_b, path, 0, err, sizeof(err)), 0);
	unlink(path);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sa), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sb), 0);
	fcntl(sa[0], F_SETFL, O_NONBLOCK);
	fcntl(sb[0], F_SETFL, O_NONBLOCK);
	tun_a = sa[1];
	tun_b = sb[1];
	CHECK_EQ(tun_worker_init(&tw_a, sa[0], &ts_a, SLOTS), 0);
	CHECK_EQ(tun_worker_init(&tw_b, sb[0], &ts_b, SLOTS), 0);
	printf("tun I/O: %s\n", tw_a.has_uring ? "io_uring batches" : "read/writev");
	{
		struct worker_config ca = {0, -1, NULL, A.t.hdr, A.ch, NULL, &tw_a};
		struct worker_config cb = {0, -1, NULL, B.t.hdr, B.ch, NULL, &tw_b};

		CHECK_EQ(port_mem_pair_new(&A.addr, &B.addr, &A.port[0], &B.port[0]), 0);
		ca.port = A.port[0];
		cb.port = B.port[0];
		CHECK_EQ(worker_init(&A.w[0], &ca), 0);
		CHECK_EQ(worker_init(&B.w[0], &cb), 0);
		CHECK_EQ(worker_start(&A.w[0]), 0);
		CHECK_EQ(worker_start(&B.w[0]), 0);
	}
}

static void stop(void)
{
	int fa = tw_a.fd, fb = tw_b.fd;

	world_stop();
	tun_worker_fini(&tw_a);
	tun_worker_fini(&tw_b);
	tun_shared_fini(&ts_a);
	tun_shared_fini(&ts_b);
	close(fa);
	close(fb);
	close(tun_a);
	close(tun_b);
}

/* 1: UDP v4 A -> B and UDP v6 B -> A, byte for byte. */
static void test_plain(void)
{
	static const uint8_t a4[4] = {10, 9, 0, 1}, b4[4] = {10, 9, 0, 2};
	struct virtio_net_hdr vh = {0};
	uint8_t pkt[1400], out[2048];
	size_t len = build_v4(pkt, a4, b4, 17, 0, 1000, 3);
	ssize_t n;

	tun_write(tun_a, &vh, pkt, len);
	n = tun_read(tun_b, out, sizeof(out), 5000);
	CHECK_EQ(n, (ssize_t)(VH + len));
	if (n == (ssize_t)(VH + len))
		CHECK(memcmp(out + VH, pkt, len) == 0);

	/* IPv6 UDP, B -> A: header by hand, checksum left to the offload (NEEDS_CSUM). */
	memset(pkt, 0, 48);
	pkt[0] = 0x60;
	store_be16(pkt + 4, 8 + 200);
	pkt[6] = 17;
	pkt[7] = 64;
	pkt[8] = 0xfd;
	pkt[9] = 0x09;
	pkt[23] = 2; /* src fd09::2 */
	pkt[24] = 0xfd;
	pkt[25] = 0x09;
	pkt[39] = 1; /* dst fd09::1 */
	store_be16(pkt + 40, 1000);
	store_be16(pkt + 42, 2000);
	store_be16(pkt + 44, 208);
	for (int i = 0; i < 200; i++)
		pkt[48 + i] = (uint8_t)i;
	{
		uint32_t sum = csum_add(0, pkt + 8, 32) + 17 + 208;

		store_be16(pkt + 46, (uint16_t)~csum_fold(sum)); /* the pseudo-header partial sum */
	}
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 40;
	vh.csum_offset = 6;
	tun_write(tun_b, &vh, pkt, 248);
	n = tun_read(tun_a, out, sizeof(out), 5000);
	CHECK_EQ(n, (ssize_t)(VH + 248));
	if (n == (ssize_t)(VH + 248)) {
		uint32_t sum = csum_add(0, out + VH + 8, 32) + 17 + 208;

		CHECK(memcmp(out + VH + 48, pkt + 48, 200) == 0);
		/* the checksum was finished on the way: it verifies */
		CHECK_EQ(csum_fold(csum_add(sum, out + VH + 40, 208)), 0);
	}
}

/* 2: TSO on A, GRO on B; the payload arrives whole and in order. */
static void test_tso_gro(void)
{
	static const uint8_t a4[4] = {10, 9, 0, 1}, b4[4] = {10, 9, 0, 2};
	enum { PAYLOAD = 12000, MSS = 1000, ROUNDS = 5 };
	static uint8_t pkt[PAYLOAD + 64], got[ROUNDS * PAYLOAD], out[70000];
	struct virtio_net_hdr vh = {0};
	size_t len = build_v4(pkt, a4, b4, 6, 1000, PAYLOAD, 9), have = 0;
	uint32_t writes = 0;

	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = MSS;
	vh.hdr_len = 40;
	for (int r = 0; r < ROUNDS; r++) {
		store_be32(pkt + 24, 1000 + (uint32_t)(r * PAYLOAD));
		tun_write(tun_a, &vh, pkt, len);
	}
	while (have < sizeof(got)) {
		ssize_t n = tun_read(tun_b, out, sizeof(out), 5000);
		struct virtio_net_hdr ov;
		uint32_t seq;

		if (n < (ssize_t)(VH + 40))
			break;
		memcpy(&ov, out, VH);
		CHECK(ov.gso_type == VIRTIO_NET_HDR_GSO_NONE ||
		      ov.gso_type == VIRTIO_NET_HDR_GSO_TCPV4);
		seq = load_be32(out + VH + 24);
		CHECK_EQ(seq, 1000 + (uint32_t)have);
		if (seq != 1000 + (uint32_t)have || have + (size_t)n - VH - 40 > sizeof(got))
			break;
		memcpy(got + have, out + VH + 40, (size_t)n - VH - 40);
		have += (size_t)n - VH - 40;
		writes++;
	}
	CHECK_EQ(have, sizeof(got));
	for (int r = 0; r < ROUNDS && have == sizeof(got); r++)
		CHECK(memcmp(got + r * PAYLOAD, pkt + 40, PAYLOAD) == 0);
	/* 60 segments crossed; the TUN saw fewer writes than that. */
	printf("TSO: %d x %d bytes -> %u TUN writes on B\n", ROUNDS, PAYLOAD, writes);
	CHECK(writes < ROUNDS * (PAYLOAD / MSS));
	CHECK(shm_worker_stats_at(B.t.hdr, 0)->tun_coalesced > 0);
	CHECK_EQ(shm_worker_stats_at(A.t.hdr, 0)->tun_segments >= ROUNDS * (PAYLOAD / MSS), true);
}

static bool wait_drop(struct host *h, enum shm_drop why, uint64_t want)
{
	for (int i = 0; i < 500; i++) {
		if (drops(h, why) >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * 2b: fragments of two datagrams written head, tail, head, tail arrive with
 * both heads first (the udp port sends equal sizes as one GSO run), each
 * group in order, nothing lost.
 */
static void test_fragment_grouping(void)
{
	static const uint8_t a4[4] = {10, 9, 0, 1}, b4[4] = {10, 9, 0, 2};
	struct virtio_net_hdr vh = {0};
	uint8_t pkt[4][1400], out[2048];
	size_t len[4];
	int order[4];

	for (int i = 0; i < 4; i++) {
		bool is_tail = i % 2;

		len[i] = build_v4(pkt[i], a4, b4, 17, 0, is_tail ? 60 : 1300, (uint8_t)(40 + i));
		store_be16(pkt[i] + 4, (uint16_t)(0x2000 + i / 2)); /* ip id: one per datagram */
		/* head: offset 0, more fragments; tail: offset 1308/8, last */
		store_be16(pkt[i] + 6, is_tail ? (uint16_t)(1308 / 8) : 0x2000);
		store_be16(pkt[i] + 10, 0);
		store_be16(pkt[i] + 10, csum_fold(csum_add(0, pkt[i], 20)));
	}
	/* One burst: write all four before the worker can take the first alone. */
	for (int i = 0; i < 4; i++)
		tun_write(tun_a, &vh, pkt[i], len[i]);
	for (int k = 0; k < 4; k++) {
		ssize_t n = tun_read(tun_b, out, sizeof(out), 5000);

		order[k] = -1;
		for (int i = 0; i < 4 && n > (ssize_t)VH; i++)
			if ((size_t)n == VH + len[i] && memcmp(out + VH, pkt[i], len[i]) == 0)
				order[k] = i;
		CHECK(order[k] >= 0);
	}
	/* Heads keep their order, tails keep theirs, and no tail overtakes its own head. */
	for (int k = 0, last_head = -1, last_tail = -1; k < 4; k++) {
		if (order[k] < 0)
			continue;
		if (order[k] % 2 == 0) {
			CHECK(order[k] > last_head);
			last_head = order[k];
		} else {
			CHECK(order[k] > last_tail);
			CHECK(last_head >= order[k] - 1);
			last_tail = order[k];
		}
	}
	printf("fragments written 0 1 2 3 arrived %d %d %d %d\n", order[0], order[1], order[2],
	       order[3]);
}

/* 3: what cryptokey routing refuses. */
static void test_refused(void)
{
	static const uint8_t spoof[4] = {10, 9, 0, 77}, b4[4] = {10, 9, 0, 2},
			     a4[4] = {10, 9, 0, 1};
	static const uint8_t nobody[4] = {10, 9, 0, 200}, c4[4] = {10, 9, 0, 3};
	struct virtio_net_hdr vh = {0};
	uint8_t pkt[256], out[2048];
	size_t len = build_v4(pkt, spoof, b4, 17, 0, 100, 1);

	tun_write(tun_a, &vh, pkt, len);
	CHECK(wait_drop(&B, SHM_DROP_TUN_SPOOF, 1));
	CHECK_EQ(tun_read(tun_b, out, sizeof(out), 200), -1);

	len = build_v4(pkt, a4, nobody, 17, 0, 100, 1);
	tun_write(tun_a, &vh, pkt, len);
	CHECK(wait_drop(&A, SHM_DROP_TUN_NO_PEER, 1));

	len = build_v4(pkt, a4, c4, 17, 0, 100, 1);
	drain_events(&A);
	tun_write(tun_a, &vh, pkt, len);
	CHECK(wait_drop(&A, SHM_DROP_TUN_PEER_DOWN, 1));
	/* ...and driftd is asked to dial C, once: the next packet within a second asks nothing. */
	{
		struct shm_event ev;

		CHECK(take_event(&A, SHM_EV_TUN_WANT, &ev, 2000));
		CHECK_EQ(ev.len, 32);
		CHECK_MEM(ev.data, pub_c, 32);
		tun_write(tun_a, &vh, pkt, len);
		CHECK(wait_drop(&A, SHM_DROP_TUN_PEER_DOWN, 2));
		CHECK(!take_event(&A, SHM_EV_TUN_WANT, &ev, 100));
	}

	CHECK_EQ(write(tun_a, "short", 5), 5);
	CHECK(wait_drop(&A, SHM_DROP_TUN_BAD_PACKET, 1));
	CHECK_EQ(tun_read(tun_b, out, sizeof(out), 200), -1);
}

/* What driftd's vpn_on_data() does with DATA it opened: SHM_EV_TUN_WRITE on worker 0. */
static void from_driftd(const uint8_t pub[32], const uint8_t *pkt, size_t len, size_t ev_len)
{
	reinject_event(&B, SHM_EV_TUN_WRITE, &A.addr, pub, 32, pkt, len, (uint16_t)ev_len);
}

/* 4: a new session's first packets, opened by driftd, reach the TUN with the same checks. */
static void test_from_driftd(void)
{
	static const uint8_t a4[4] = {10, 9, 0, 1}, b4[4] = {10, 9, 0, 2},
			     spoof[4] = {10, 9, 0, 77};
	uint8_t pkt[1400], out[2048];
	size_t len = build_v4(pkt, a4, b4, 17, 0, 700, 9);
	uint64_t spoofed = drops(&B, SHM_DROP_TUN_SPOOF), bad = drops(&B, SHM_DROP_TUN_BAD_PACKET);
	ssize_t n;

	from_driftd(pub_a, pkt, len, 32 + len);
	n = tun_read(tun_b, out, sizeof(out), 5000);
	CHECK_EQ(n, (ssize_t)(VH + len));
	if (n == (ssize_t)(VH + len))
		CHECK(memcmp(out + VH, pkt, len) == 0);
	/* A source A does not own, or a sender B has no AllowedIPs for: tun_spoof. */
	len = build_v4(pkt, spoof, b4, 17, 0, 100, 1);
	from_driftd(pub_a, pkt, len, 32 + len);
	CHECK(wait_drop(&B, SHM_DROP_TUN_SPOOF, spoofed + 1));
	len = build_v4(pkt, a4, b4, 17, 0, 100, 1);
	from_driftd(pub_c, pkt, len, 32 + len);
	CHECK(wait_drop(&B, SHM_DROP_TUN_SPOOF, spoofed + 2));
	/* A length driftd should never write: checked as the wire's would be. */
	from_driftd(pub_a, pkt, 0, 31);
	CHECK(wait_drop(&B, SHM_DROP_TUN_BAD_PACKET, bad + 1));
	from_driftd(pub_a, pkt, 0, 32 + WIRE_MAX_PAYLOAD_BYTES + 1);
	CHECK(wait_drop(&B, SHM_DROP_TUN_BAD_PACKET, bad + 2));
	CHECK_EQ(drops(&B, SHM_DROP_TUN_SPOOF), spoofed + 2);
	CHECK_EQ(tun_read(tun_b, out, sizeof(out), 200), -1);
}

int main(void)
{
	static const uint8_t key[32] = {7, 7, 7};
	uint32_t id = next_epoch++;

	start();
	install(&A, 5, id, SHM_CHANNEL_TUN, key, 0, id, SHM_EPOCH_RX | SHM_EPOCH_TX, &B.addr);
	install(&B, 9, id, SHM_CHANNEL_TUN, key, 1, id, SHM_EPOCH_RX | SHM_EPOCH_TX, &A.addr);
	set_pub(&A, 5, pub_b);
	set_pub(&B, 9, pub_a);
	test_plain();
	test_tso_gro();
	test_fragment_grouping();
	test_refused();
	test_from_driftd();
	stop();
	return harness_finish();
}
