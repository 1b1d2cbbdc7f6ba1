/* SPDX-License-Identifier: MIT */
/*
 * drift_bench: the drift-c side of perf/run. Each subcommand measures one
 * thing and prints one tab-separated result line on stdout (the first field
 * names the subcommand) for the script to collect; progress and errors go to
 * stderr. Identities are derived from small integer seeds so that two
 * processes agree on each other's keys without exchanging files.
 *
 *   goodput-recv ADDR SEED TIMEOUT_S          count messages delivered by drift_transport_recv
 *   goodput-send ADDR SEED SIZE SECS          blast drift_transport_send_data at that receiver
 *   hs-latency PUB@ADDR COUNT                 fresh identity + transport per sample: first send
 *                                             to first echoed byte, one "hs" line per sample
 *   hs-rate PUB@ADDR CONCURRENCY SECS         engine-driven clients: handshake, echo, CLOSE, repeat
 *   scale-server ADDR SEED N CSEED TIMEOUT_S  a transport with N registered clients; counts bulk
 *   scale-clients ADDR SEED N CSEED SIZE SECS N engine sessions, one socket each, one epoll loop
 *   seed-key SEED FILE                       the seeded identity as a key file (for driftd)
 *
 * DRIFT_BENCH_BATCH=N (N > 1) makes goodput-send and goodput-recv use the
 * batch calls drift_transport_send_batch / recv_batch, N payloads per call.
 *
 * It does not set up namespaces, pin CPUs or compute medians: perf/run does.
 * The engine-driven clients (hs-rate, scale-clients) exist because one
 * DriftTransport per session means one loop thread per session.
 */
#include "drift.h"
#include "proto/engine.h"
#include "tools/keystore.h"
#include "internal/hex_digit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	BULK_MIN_BYTES = 16, /* scale-server counts only payloads this long as bulk */
	HS_SLOT_TIMEOUT_MS = 3000,
	SCALE_HS_WINDOW = 256, /* scale-clients: handshakes in flight at once */
	MAX_SESSIONS = 20000,
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000;
}

/* User + system CPU seconds of the whole process (all threads). */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS of this process in KiB, 0 when /proc is not readable. */
static long rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * A fixed secret per seed: both ends of a run derive the same key pair. The
 * seed goes into bytes 1-8: X25519 clamping clears the low 3 bits of byte 0,
 * so seeds differing only there would give the same key.
 */
static void seed_secret(uint8_t out[32], unsigned long seed)
{
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (int i = 0; i < 8; i++)
		out[1 + i] ^= (uint8_t)(seed >> (8 * i));
}

static struct DriftIdentity *seed_identity(unsigned long seed)
{
	uint8_t s[32];
	struct DriftIdentity *id;

	seed_secret(s, seed);
	id = drift_identity_from_secret(s);
	memset(s, 0, sizeof(s));
	return id;
}

/* "64HEX@HOST:PORT" into a public key and the address text after '@'. */
static bool parse_target(const char *s, uint8_t pub[32], const char **addr)
{
	const char *at = strchr(s, '@');

	if (!at || at - s != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		pub[i] = (uint8_t)(hi << 4 | lo);
	}
	*addr = at + 1;
	return true;
}

static unsigned long num_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !*s) {
		fprintf(stderr, "drift_bench: \"%s\" is not a number\n", s);
		exit(2);
	}
	return v;
}

static struct DriftTransport *open_transport(const char *addr, struct DriftIdentity *id)
{
	struct DriftTransport *t = NULL;
	enum DriftResult r;

	if (!id) {
		fprintf(stderr, "drift_bench: no identity\n");
		return NULL;
	}
	r = drift_transport_bind(addr, id, &t);
	if (r != DRIFT_OK) {
		fprintf(stderr, "drift_bench: cannot bind %s (result %d)\n", addr, r);
		return NULL;
	}
	return t;
}

/* ---- goodput: one flow through the embedded transport */

enum {
	BATCH_MAX = 256,
};

/* DRIFT_BENCH_BATCH from the environment: 1 (per-message calls) to BATCH_MAX. */
static unsigned batch_size(void)
{
	const char *env = getenv("DRIFT_BENCH_BATCH");
	unsigned long n = env ? strtoul(env, NULL, 10) : 1;

	return n < 1 ? 1 : n > BATCH_MAX ? BATCH_MAX : (unsigned)n;
}

static int cmd_goodput_recv(char **argv)
{
	struct DriftTransport *t = open_transport(argv[0], seed_identity(num_arg(argv[1])));
	uint64_t deadline, first = 0, last = 0, msgs = 0, bytes = 0;
	unsigned batch = batch_size();

	if (!t)
		return 1;
	drift_transport_set_accept_any(t, true);
	deadline = now_us() + num_arg(argv[2]) * 1000000ULL;
	fprintf(stderr, "goodput-recv: ready\n");
	/* Ends 1 s after the last message once traffic has started, or at the deadline. */
	while (!stop_flag && now_us() < deadline) {
		struct DriftMessage *m[BATCH_MAX];
		uintptr_t n = 0;

		if (drift_transport_recv_batch(t, 100, m, batch, &n) != DRIFT_OK) {
			if (first && now_us() - last > 1000000)
				break;
			continue;
		}
		last = now_us();
		if (!first)
			first = last;
		for (uintptr_t i = 0; i < n; i++) {
			msgs++;
			bytes += drift_message_payload_len(m[i]);
			drift_message_free(m[i]);
		}
	}
	/* msgs bytes seconds cpu_s */
	printf("goodput-recv\t%lu\t%lu\t%.6f\t%.3f\n", (unsigned long)msgs, (unsigned long)bytes,
	       first ? (last - first) / 1e6 : 0.0, cpu_seconds());
	drift_transport_free(t);
	return msgs ? 0 : 1;
}

static int cmd_goodput_send(char **argv)
{
	struct DriftIdentity *peer = seed_identity(num_arg(argv[1]));
	unsigned long size = num_arg(argv[2]), secs = num_arg(argv[3]);
	uint64_t sent = 0, errors = 0, start, end;
	uint8_t pub[32], pid[8], buf[1348];
	const uint8_t *payloads[BATCH_MAX];
	uintptr_t lens[BATCH_MAX];
	unsigned batch = batch_size();
	struct DriftTransport *t;

	if (!peer || size < 1 || size > sizeof(buf))
		return 2;
	drift_identity_public_key(peer, pub);
	drift_identity_free(peer);
	t = open_transport("0.0.0.0:0", drift_identity_generate());
	if (!t)
		return 1;
	memset(buf, 0x5a, sizeof(buf));
	if (drift_transport_add_peer(t, pub, argv[0], 1, pid) != DRIFT_OK ||
	    drift_transport_connect(t, pid, 3000) != DRIFT_OK) {
		fprintf(stderr, "goodput-send: no session with %s\n", argv[0]);
		drift_transport_free(t);
		return 1;
	}
	start = now_us();
	end = start + secs * 1000000ULL;
	for (unsigned i = 0; i < BATCH_MAX; i++) {
		payloads[i] = buf;
		lens[i] = size;
	}
	/* Check the clock every 64 sends: clock_gettime is cheap, but not free at 64 B. */
	while (!stop_flag) {
		for (int i = 0; i < 64; i += (int)batch) {
			uintptr_t done = 0;

			if (batch == 1) {
				done = drift_transport_send_data(t, pid, buf, size, 0, 0) ==
				       DRIFT_OK;
			} else {
				drift_transport_send_batch(t, pid, payloads, lens, batch, &done);
			}
			sent += done;
			errors += batch - done;
		}
		if (now_us() >= end)
			break;
	}
	/* sent errors seconds cpu_s */
	printf("goodput-send\t%lu\t%lu\t%.6f\t%.3f\n", (unsigned long)sent, (unsigned long)errors,
	       (now_us() - start) / 1e6, cpu_seconds());
	fflush(stdout);
	drift_transport_free(t);
	return 0;
}

/* ---- handshake latency: a fresh client per sample */

static int cmd_hs_latency(char **argv)
{
	unsigned long count = num_arg(argv[1]), ok = 0;
	const char *addr;
	uint8_t pub[32], msg[64];

	if (!parse_target(argv[0], pub, &addr))
		return 2;
	memset(msg, 0x33, sizeof(msg));
	for (unsigned long i = 0; i < count && !stop_flag; i++) {
		struct DriftTransport *t = open_transport("0.0.0.0:0", drift_identity_generate());
		struct DriftMessage *m = NULL;
		uint8_t pid[8];
		uint64_t t0;

		if (!t)
			return 1;
		if (drift_transport_add_peer(t, pub, addr, 1, pid) != DRIFT_OK) {
			drift_transport_free(t);
			return 1;
		}
		t0 = now_us();
		if (drift_transport_send_data(t, pid, msg, sizeof(msg), 0, 0) == DRIFT_OK &&
		    drift_transport_recv(t, 2000, &m) == DRIFT_OK) {
			printf("hs\t%lu\n", (unsigned long)(now_us() - t0));
			ok++;
		} else {
			printf("hs\tfail\n");
		}
		drift_message_free(m);
		drift_transport_free(t);
	}
	return ok ? 0 : 1;
}

/* ---- engine-driven clients: one engine and one UDP socket per session */

struct session {
	int fd;
	struct engine *e;
	uint8_t pid[8];
	uint64_t started_ms;
	bool is_established, sent_first, got_data, failed;
};

static uint64_t mono_ms(void)
{
	return now_us() / 1000;
}

static void to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == ADDR_IPV6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->ip, 16);
		s6->sin6_port = htons(a->port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->ip, 4);
		s4->sin_port = htons(a->port);
		*len = sizeof(*s4);
	}
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = ADDR_IPV6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = ADDR_IPV4;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	}
}

static uint64_t tx_errors;

static void session_send(void *ctx, const struct net_addr *to, const uint8_t *buf, size_t len)
{
	struct session *s = ctx;
	struct sockaddr_storage ss;
	socklen_t sl;

	to_sockaddr(to, &ss, &sl);
	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0)
		tx_errors++;
}

/* Runs inside engine calls: only flags here, never a call back into the engine. */
static void session_event(void *ctx, const struct engine_event *ev)
{
	struct session *s = ctx;

	if (ev->type == ENGINE_EV_ESTABLISHED)
		s->is_established = true;
	else if (ev->type == ENGINE_EV_DATA)
		s->got_data = true;
	else if (ev->type == ENGINE_EV_HANDSHAKE_FAILED)
		s->failed = true;
}

/* A new engine for `s` with `secret`, its peer the server; 0 or -1. */
static int session_start(struct session *s, const uint8_t secret[32], const uint8_t pub[32],
			 const struct net_addr *server, bool small)
{
	struct engine_config cfg;
	struct engine_io io = {.send = session_send, .event = session_event, .ctx = s};

	engine_config_default(&cfg);
	if (small) {
		/* A client talks to one server: no big peer or ticket tables. */
		cfg.max_peers = 2;
		cfg.max_auto_peers = 0;
		cfg.ticket_store_cap = 1;
	}
	s->e = engine_new(secret, &cfg, &io, mono_ms(), unix_ms());
	if (!s->e || engine_add_peer(s->e, pub, server, true, s->pid) != 0)
		return -1;
	s->is_established = s->sent_first = s->got_data = s->failed = false;
	s->started_ms = mono_ms();
	return engine_connect(s->e, s->started_ms, s->pid) == 0 ? 0 : -1;
}

static int open_udp(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd;
}

/* Drains every ready socket of the epoll set into its engine. */
static void poll_sessions(int ep, struct session *ss, int timeout_ms)
{
	struct epoll_event evs[256];
	uint8_t buf[2048];
	int n = epoll_wait(ep, evs, 256, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct session *s = &ss[evs[i].data.u32];

		/* At most 64 datagrams per socket per round keeps one busy session fair. */
		for (int k = 0; k < 64; k++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			struct net_addr a;
			ssize_t r =
				recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

			if (r < 0)
				break;
			if (!s->e)
				continue;
			from_sockaddr(&from, &a);
			engine_receive(s->e, mono_ms(), buf, (size_t)r, &a);
		}
	}
}

static void run_timers(struct session *ss, unsigned long n)
{
	uint64_t now = mono_ms();

	for (unsigned long i = 0; i < n; i++)
		if (ss[i].e && engine_next_deadline(ss[i].e) <= now)
			engine_on_timer(ss[i].e, now);
}

static int setup_sessions(unsigned long n, const char *addr_text, struct net_addr *server,
			  struct session **out, int *ep_out)
{
	struct rlimit rl = {n + 256, n + 256};
	struct session *ss;
	int ep;

	if (!addr_parse(server, addr_text, false)) {
		fprintf(stderr, "drift_bench: bad address %s\n", addr_text);
		return -1;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "drift_bench: cannot raise RLIMIT_NOFILE to %lu: %s\n", n + 256,
			strerror(errno));
		return -1;
	}
	ss = calloc(n, sizeof(*ss));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!ss || ep < 0)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		ss[i].fd = open_udp(server->family == ADDR_IPV6 ? AF_INET6 : AF_INET);
		if (ss[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ss[i].fd, &ev) != 0) {
			fprintf(stderr, "drift_bench: socket %lu: %s\n", i, strerror(errno));
			return -1;
		}
	}
	*out = ss;
	*ep_out = ep;
	return 0;
}

static void free_sessions(struct session *ss, unsigned long n, int ep)
{
	for (unsigned long i = 0; i < n; i++) {
		engine_free(ss[i].e);
		close(ss[i].fd);
	}
	free(ss);
	close(ep);
}

/*
 * Sustained handshakes: CONCURRENCY sessions, each a fresh random identity
 * that handshakes, sends one byte, waits for the echo, sends CLOSE (so the
 * responder drops the automatic peer) and starts over with a new identity.
 */
static int cmd_hs_rate(char **argv)
{
	unsigned long conc = num_arg(argv[1]), secs = num_arg(argv[2]);
	uint64_t done = 0, failed = 0, start, end;
	struct net_addr server;
	struct session *ss;
	const char *addr;
	uint8_t pub[32], secret[32], one = 1;
	int ep;

	if (!parse_target(argv[0], pub, &addr) || !conc || conc > MAX_SESSIONS)
		return 2;
	if (setup_sessions(conc, addr, &server, &ss, &ep) != 0)
		return 1;
	for (unsigned long i = 0; i < conc; i++) {
		getrandom(secret, sizeof(secret), 0);
		if (session_start(&ss[i], secret, pub, &server, true) != 0)
			return 1;
	}
	start = now_us();
	end = start + secs * 1000000ULL;
	while (!stop_flag && now_us() < end) {
		uint64_t now;

		poll_sessions(ep, ss, 1);
		now = mono_ms();
		for (unsigned long i = 0; i < conc; i++) {
			struct session *s = &ss[i];
			bool restart = false;

			if (s->got_data) {
				done++;
				engine_close(s->e, now, s->pid);
				restart = true;
			} else if (s->failed || now - s->started_ms > HS_SLOT_TIMEOUT_MS) {
				failed++;
				restart = true;
			} else if (s->is_established && !s->sent_first) {
				/* First DATA once, right after ESTABLISHED; the echo ends the round. */
				engine_send_data(s->e, now, s->pid, &one, 1, 0, 0);
				s->sent_first = true;
			}
			if (restart) {
				engine_free(s->e);
				getrandom(secret, sizeof(secret), 0);
				if (session_start(s, secret, pub, &server, true) != 0)
					return 1;
			}
		}
		run_timers(ss, conc);
	}
	/* completed failed seconds per_second */
	printf("hs-rate\t%lu\t%lu\t%.3f\t%.1f\n", (unsigned long)done, (unsigned long)failed,
	       (now_us() - start) / 1e6, done / ((now_us() - start) / 1e6));
	free_sessions(ss, conc, ep);
	return done ? 0 : 1;
}

/*
 * N sessions from seeded identities (CSEED + i) that the scale-server
 * registered; all handshake (at most SCALE_HS_WINDOW at once), then SECS
 * of SIZE-byte payloads round-robin over the established sessions.
 */
static int cmd_scale_clients(char **argv)
{
	struct DriftIdentity *sid = seed_identity(num_arg(argv[1]));
	unsigned long n = num_arg(argv[2]), cseed = num_arg(argv[3]);
	unsigned long size = num_arg(argv[4]), secs = num_arg(argv[5]);
	unsigned long started = 0, established = 0;
	uint64_t sent = 0, errors = 0, t0, t_hs, end, last_timer = 0;
	struct net_addr server;
	struct session *ss;
	uint8_t pub[32], secret[32], buf[1348], one = 1;
	int ep;

	if (!sid || !n || n > MAX_SESSIONS || size < BULK_MIN_BYTES || size > sizeof(buf))
		return 2;
	drift_identity_public_key(sid, pub);
	drift_identity_free(sid);
	memset(buf, 0x77, sizeof(buf));
	if (setup_sessions(n, argv[0], &server, &ss, &ep) != 0)
		return 1;
	t0 = now_us();
	/* Phase 1: handshakes, bounded by 60 s. */
	while (!stop_flag && established < n && now_us() - t0 < 60000000ULL) {
		uint64_t now = mono_ms();
		unsigned long in_flight = started - established;

		while (started < n && in_flight < SCALE_HS_WINDOW) {
			seed_secret(secret, cseed + started);
			if (session_start(&ss[started], secret, pub, &server, true) != 0)
				return 1;
			started++;
			in_flight++;
		}
		poll_sessions(ep, ss, 1);
		established = 0;
		for (unsigned long i = 0; i < started; i++) {
			struct session *s = &ss[i];

			if (s->is_established && !s->sent_first) {
				/* One byte completes the responder side (it awaits DATA). */
				engine_send_data(s->e, now, s->pid, &one, 1, 0, 0);
				s->sent_first = true;
			}
			established += s->is_established;
		}
		run_timers(ss, started);
	}
	t_hs = now_us();
	fprintf(stderr, "scale-clients: %lu of %lu established in %.2f s\n", established, n,
		(t_hs - t0) / 1e6);
	/* Phase 2: bulk, round-robin; poll and run timers every 256 sends. */
	end = t_hs + secs * 1000000ULL;
	for (unsigned long i = 0; !stop_flag; i = (i + 1) % n) {
		struct session *s = &ss[i];

		if (s->is_established) {
			if (engine_send_data(s->e, mono_ms(), s->pid, buf, size, 0, 0) == 0)
				sent++;
			else
				errors++;
		}
		if ((sent + errors) % 256 == 0 || !s->is_established) {
			uint64_t now = now_us();

			if (now >= end)
				break;
			poll_sessions(ep, ss, 0);
			if (now - last_timer > 10000) {
				run_timers(ss, n);
				last_timer = now;
			}
		}
	}
	/* established sent errors seconds handshake_seconds cpu_s tx_errors */
	printf("scale-clients\t%lu\t%lu\t%lu\t%.3f\t%.3f\t%.3f\t%lu\n", established,
	       (unsigned long)sent, (unsigned long)errors, (now_us() - t_hs) / 1e6,
	       (t_hs - t0) / 1e6, cpu_seconds(), (unsigned long)tx_errors);
	fflush(stdout);
	free_sessions(ss, n, ep);
	return established ? 0 : 1;
}

/*
 * The responder of the scale case: an embedded transport with N registered
 * client identities (placeholder addresses, learnt from each HELLO). Counts
 * bulk payloads; prints VmRSS before the clients came and at the end, when
 * every session is still established.
 */
static int cmd_scale_server(char **argv)
{
	struct DriftTransport *t = open_transport(argv[0], seed_identity(num_arg(argv[1])));
	unsigned long n = num_arg(argv[2]), cseed = num_arg(argv[3]);
	uint64_t deadline = now_us() + num_arg(argv[4]) * 1000000ULL;
	uint64_t first = 0, last = 0, msgs = 0, bytes = 0;
	long rss_idle;

	if (!t || n > MAX_SESSIONS)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		struct DriftIdentity *cid = seed_identity(cseed + i);
		uint8_t pub[32], pid[8];

		drift_identity_public_key(cid, pub);
		drift_identity_free(cid);
		if (drift_transport_add_peer(t, pub, "0.0.0.0:0", 0, pid) != DRIFT_OK) {
			fprintf(stderr, "scale-server: cannot register client %lu\n", i);
			return 1;
		}
	}
	rss_idle = rss_kb();
	fprintf(stderr, "scale-server: ready with %lu registered clients\n", n);
	while (!stop_flag && now_us() < deadline) {
		struct DriftMessage *m = NULL;
		size_t len;

		if (drift_transport_recv(t, 100, &m) != DRIFT_OK) {
			if (first && now_us() - last > 1500000)
				break;
			continue;
		}
		len = drift_message_payload_len(m);
		drift_message_free(m);
		if (len < BULK_MIN_BYTES)
			continue;
		last = now_us();
		if (!first)
			first = last;
		msgs++;
		bytes += len;
	}
	/* sessions msgs bytes seconds rss_idle_kb rss_kb cpu_s */
	printf("scale-server\t%lu\t%lu\t%lu\t%.6f\t%ld\t%ld\t%.3f\n",
	       (unsigned long)drift_transport_handshakes_completed(t), (unsigned long)msgs,
	       (unsigned long)bytes, first ? (last - first) / 1e6 : 0.0, rss_idle, rss_kb(),
	       cpu_seconds());
	fflush(stdout);
	drift_transport_free(t);
	return 0;
}

/* seed-key SEED FILE: the seeded identity as a key file, for a driftd facing scale-clients. */
static int cmd_seed_key(char **argv)
{
	struct keystore_report rep;
	char msg[KEYSTORE_MESSAGE_BYTES];
	uint8_t s[32];
	enum keystore_status st;

	seed_secret(s, num_arg(argv[0]));
	st = keystore_write(argv[1], s, true, &rep);
	memset(s, 0, sizeof(s));
	if (st != KEYSTORE_OK) {
		fprintf(stderr, "seed-key: %s\n",
			keystore_describe(msg, sizeof(msg), argv[1], &rep));
		return 1;
	}
	return 0;
}

static const struct {
	const char *name;
	int argc;
	int (*fn)(char **argv);
} cmds[] = {
	{"goodput-recv", 3, cmd_goodput_recv}, {"goodput-send", 4, cmd_goodput_send},
	{"hs-latency", 2, cmd_hs_latency},     {"hs-rate", 3, cmd_hs_rate},
	{"scale-server", 5, cmd_scale_server}, {"scale-clients", 6, cmd_scale_clients},
	{"seed-key", 2, cmd_seed_key},
};

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (argc - 2 != cmds[i].argc) {
				fprintf(stderr, "drift_bench %s: needs %d arguments\n", argv[1],
					cmds[i].argc);
				return 2;
			}
			return cmds[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: drift_bench SUBCOMMAND ARGS... (see the comment at the top of "
			"perf/drift_bench.c)\n");
	return 2;
}
