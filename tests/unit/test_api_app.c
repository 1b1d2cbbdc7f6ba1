/* SPDX-License-Identifier: MIT */
/*
 * drift_app.h without driftd: a fake control server thread in the test
 * answers attach (with a channel file the test lays out itself), connect,
 * show and the rest over a SOCK_SEQPACKET socket in a temporary run dir.
 * The test then plays drift-dp and driftd on the rings: it reads what
 * drift_app_send() queued, produces what drift_app_recv() must return,
 * wakes a sleeping receiver through the futex, drops the control
 * connection to force a reconnect, and feeds a numbered table of
 * malformed attach replies and channel files, checking each fails cleanly
 * and leaks no descriptor.
 */
#include "control/ctl_proto.h"
#include "drift_app.h"

#include "internal/shm_layout.h"
#include "tests/lib/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 2 };

/* How the fake driftd answers "attach". */
enum attach_mode {
	ATTACH_OK,
	ATTACH_BAD_TEXT,      /* "ok channel=x ..." */
	ATTACH_NO_FD,	      /* right text, no descriptor */
	ATTACH_BAD_MAGIC,     /* a file whose magic is wrong */
	ATTACH_SHORT_FILE,    /* a file shorter than its header */
	ATTACH_WRONG_WORKERS, /* "workers=3" for a 2-worker file */
	ATTACH_BAD_RING,      /* a ring of the wrong geometry */
	ATTACH_BUSY,	      /* "err all channels in use" */
	ATTACH_HANG_UP,	      /* closes the connection */
	ATTACH_ERR_WITH_FD,   /* "err ..." that carries a descriptor anyway */
	ATTACH_TOO_LONG,      /* a reply longer than any line, with a descriptor */
};

static char run_dir[64];
static int listen_fd = -1;
static int chan_fd = -1;
static struct shm_app_header *chan;
static _Atomic int attach_mode;
static _Atomic bool server_stop;
static char connect_reply[128] = "ok slot=5 gen=7 peer=0102030405060708";
static char last_request[4096];
static _Atomic int server_busy; /* 1 while the server holds a connection (and its fds) */

static const uint8_t peer_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static int make_file(const char *name, size_t size, uint32_t magic, uint32_t workers)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		abort();
	if (size >= sizeof(struct shm_app_header)) {
		struct shm_app_header *h =
			mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		h->magic = magic;
		h->layout_version = SHM_LAYOUT_VERSION;
		h->channel = 0;
		shm_app_layout(h, workers);
		for (uint32_t i = 0; i < 2 * workers + 1 && size >= h->total_bytes; i++)
			spsc_ring_init((struct spsc_ring *)((uint8_t *)h + h->rings_off +
							    i * h->ring_bytes),
				       SHM_APP_RING_ENTRIES, sizeof(struct shm_app_msg));
		munmap(h, size);
	}
	return fd;
}

static void send_reply(int fd, const char *text, int pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	sendmsg(fd, &msg, MSG_NOSIGNAL);
}

static bool answer_attach(int fd)
{
	size_t full = 0;
	int f = -1;
	struct shm_app_header probe = {0};

	shm_app_layout(&probe, WORKERS);
	full = probe.total_bytes;
	switch (atomic_load(&attach_mode)) {
	case ATTACH_OK:
		send_reply(fd, "ok channel=0 workers=2", chan_fd);
		return true;
	case ATTACH_BAD_TEXT:
		send_reply(fd, "ok channel=x workers=2", chan_fd);
		return true;
	case ATTACH_NO_FD:
		send_reply(fd, "ok channel=0 workers=2", -1);
		return true;
	case ATTACH_BAD_MAGIC:
		f = make_file("bad", full, 0x12345678, WORKERS);
		break;
	case ATTACH_SHORT_FILE:
		f = make_file("bad", 100, SHM_APP_MAGIC, WORKERS);
		break;
	case ATTACH_WRONG_WORKERS:
		send_reply(fd, "ok channel=0 workers=3", chan_fd);
		return true;
	case ATTACH_BAD_RING:
		f = make_file("bad", full, SHM_APP_MAGIC, WORKERS);
		{
			struct shm_app_header *h =
				mmap(NULL, full, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);

			shm_app_tx_ring(h, 1)->g.mask = 7;
			munmap(h, full);
		}
		break;
	case ATTACH_BUSY:
		send_reply(fd, "err all 4 application channels are in use: detach one", -1);
		return true;
	case ATTACH_HANG_UP:
		return false;
	case ATTACH_ERR_WITH_FD:
		send_reply(fd, "err all 4 application channels are in use: detach one", chan_fd);
		return true;
	case ATTACH_TOO_LONG: {
		static char line[CTL_MSG_MAX_BYTES + 64];

		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "ok channel=0 workers=2 ", 23);
		send_reply(fd, line, chan_fd);
		return true;
	}
	}
	send_reply(fd, "ok channel=0 workers=2", f);
	close(f);
	return true;
}

/* Answers one request; false to hang up on the client. */
static bool answer(int fd, char *req)
{
	snprintf(last_request, sizeof(last_request), "%s", req);
	if (!strcmp(req, "attach"))
		return answer_attach(fd);
	if (!strncmp(req, "connect ", 8)) {
		send_reply(fd, connect_reply, -1);
	} else if (!strcmp(req, "show")) {
		send_reply(fd, "line one", -1);
		send_reply(fd, "line two\n", -1);
		send_reply(fd, "ok", -1);
	} else if (!strcmp(req, "ping")) {
		send_reply(fd, "ok fake", -1);
		return false; /* then "restart": the next request needs a new connection */
	} else if (!strncmp(req, "peer ", 5)) {
		send_reply(fd, "ok peer=0102030405060708", -1);
	} else if (!strcmp(req, "listen any") || !strcmp(req, "detach") ||
		   !strncmp(req, "rekey ", 6)) {
		send_reply(fd, "ok", -1);
	} else {
		send_reply(fd, "err unknown request: see control/ctl_proto.h", -1);
	}
	return true;
}

static void *server(void *arg)
{
	char buf[4096];

	(void)arg;
	while (!atomic_load(&server_stop)) {
		struct pollfd p = {.fd = listen_fd, .events = POLLIN};
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		atomic_store(&server_busy, 1);
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			atomic_store(&server_busy, 0);
			continue;
		}
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

			if (n <= 0)
				break;
			buf[n] = 0;
			if (!answer(fd, buf))
				break;
		}
		close(fd);
		atomic_store(&server_busy, 0);
	}
	return NULL;
}

/* Our descriptors, counted once the fake server has let go of its connection. */
static int count_fds(void)
{
	DIR *d;
	int n = 0;

	for (int i = 0; i < 1000 && atomic_load(&server_busy); i++)
		usleep(1000);
	d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void setup(pthread_t *th)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct shm_app_header probe = {0};
	char path[128];

	strcpy(run_dir, "/tmp/drift-app-XXXXXX");
	if (!mkdtemp(run_dir))
		abort();
	snprintf(path, sizeof(path), "%s/drift", run_dir);
	mkdir(path, 0700);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/drift/ctl", run_dir);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(listen_fd, 4))
		abort();
	shm_app_layout(&probe, WORKERS);
	chan_fd = make_file("app0", probe.total_bytes, SHM_APP_MAGIC, WORKERS);
	chan = mmap(NULL, probe.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, chan_fd, 0);
	pthread_create(th, NULL, server, NULL);
}

static void teardown(pthread_t th)
{
	char path[160];

	atomic_store(&server_stop, true);
	pthread_join(th, NULL);
	close(listen_fd);
	munmap(chan, chan->total_bytes);
	close(chan_fd);
	snprintf(path, sizeof(path), "%s/drift/ctl", run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/drift", run_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/app0", run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bad", run_dir);
	unlink(path);
	rmdir(run_dir);
}

/* Produces one message into ring r, as drift-dp or driftd would. */
static void produce(struct spsc_ring *r, uint16_t kind, uint32_t slot, const char *text)
{
	uint32_t at;
	struct shm_app_msg *m;

	if (spsc_ring_reserve(r, 1, &at) != 1)
		abort();
	m = spsc_ring_entry(r, at);
	m->kind = kind;
	m->slot = slot;
	m->generation = 7;
	memcpy(m->peer_id, peer_id, 8);
	m->len = (uint16_t)(text ? strlen(text) : 0);
	if (text)
		memcpy(m->data, text, m->len);
	spsc_ring_submit(r, 1);
}

/* 1: malformed attach replies and channel files fail cleanly and leak nothing. */
static void test_attach_malformed(void)
{
	static const struct {
		enum attach_mode mode;
		int want;
	} cases[] = {
		/* 1 */ {ATTACH_BAD_TEXT, -EPROTO},
		/* 2 */ {ATTACH_NO_FD, -EPROTO},
		/* 3 */ {ATTACH_BAD_MAGIC, -EPROTO},
		/* 4 */ {ATTACH_SHORT_FILE, -EPROTO},
		/* 5 */ {ATTACH_WRONG_WORKERS, -EPROTO},
		/* 6 */ {ATTACH_BAD_RING, -EPROTO},
		/* 7 */ {ATTACH_BUSY, -EBUSY},
		/* 8 */ {ATTACH_HANG_UP, -EPIPE},
		/* 9 */ {ATTACH_ERR_WITH_FD, -EBUSY},
		/* 10 */ {ATTACH_TOO_LONG, -EPROTO},
	};
	char missing[128];
	int err = 0, before;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		atomic_store(&attach_mode, cases[i].mode);
		before = count_fds();
		CHECK(drift_app_attach(run_dir, NULL, &err) == NULL);
		if (err != cases[i].want)
			fprintf(stderr, "  attach case %zu: err %d\n", i + 1, err);
		CHECK_EQ(err, cases[i].want);
		CHECK_EQ(count_fds(), before);
	}
	atomic_store(&attach_mode, ATTACH_OK);
	snprintf(missing, sizeof(missing), "%s/nowhere", run_dir);
	CHECK(drift_app_attach(missing, NULL, &err) == NULL);
	CHECK_EQ(err, -ENOENT);
	CHECK(drift_app_open(run_dir,
			     "a-name-that-is-far-too-long-for-a-unix-socket-path-"
			     "because-sun-path-holds-only-108-bytes-xxxxxxxxxxxxxxx",
			     &err) == NULL);
	CHECK_EQ(err, -ENAMETOOLONG);
}

/* 2: attach, connect parsing, send into the right tx ring. */
static void test_connect_send(struct DriftApp *app)
{
	static const uint8_t pub[32] = {0xaa};
	struct DriftAppSession s = {0};
	struct DriftAppBuf bufs[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	struct spsc_ring *r = shm_app_tx_ring(chan, 5 % WORKERS);
	struct DriftAppStats st;
	uint8_t big[DRIFT_APP_MAX_PAYLOAD_BYTES + 1] = {0};
	uint32_t at;
	int rc, sent = 0;

	CHECK_EQ(drift_app_worker_count(app), WORKERS);
	CHECK_EQ(drift_app_connect(app, pub, "10.0.0.2:9000", 100, &s), 0);
	CHECK(strstr(last_request, "connect aa00") == last_request);
	CHECK(strstr(last_request, " 10.0.0.2:9000 100") != NULL);
	CHECK_EQ(s.slot, 5);
	CHECK_EQ(s.generation, 7);
	CHECK_MEM(s.peer_id, peer_id, 8);
	CHECK_EQ(drift_app_connect(app, pub, "10.0.0.2:9000 evil", 100, &s), -EINVAL);

	CHECK_EQ(drift_app_send(app, &s, "hello", 5), 0);
	CHECK_EQ(drift_app_send_batch(app, &s, bufs, 3), 3);
	CHECK_EQ(drift_app_send(app, &s, big, sizeof(big)), -EMSGSIZE);
	CHECK_EQ(spsc_ring_peek(r, 8, &at), 4);
	{
		struct shm_app_msg *m = spsc_ring_entry(r, at);
		struct shm_app_msg *m3 = spsc_ring_entry(r, at + 3);

		CHECK_EQ(m->slot, 5);
		CHECK_EQ(m->generation, 7);
		CHECK_EQ(m->kind, SHM_APP_DATA);
		CHECK_EQ(m->len, 5);
		CHECK_MEM(m->data, "hello", 5);
		CHECK_MEM(m->peer_id, peer_id, 8);
		CHECK_EQ(m3->len, 3);
		CHECK_MEM(m3->data, "ccc", 3);
	}
	CHECK_EQ(spsc_ring_peek(shm_app_tx_ring(chan, 0), 8, &at), 0);
	spsc_ring_release(r, 4);

	/* The worker sleeps: one wake-up per submit. A full ring is -EAGAIN, never a drop. */
	write_once(&chan->dp[1].needs_wakeup, 1);
	while ((rc = drift_app_send(app, &s, "x", 1)) == 0)
		sent++;
	CHECK_EQ(rc, -EAGAIN);
	CHECK_EQ(sent, SHM_APP_RING_ENTRIES);
	drift_app_stats(app, &st);
	CHECK_EQ(st.tx_msgs, 4 + SHM_APP_RING_ENTRIES);
	CHECK_EQ(st.tx_ring_full, 1);
	CHECK_EQ(st.tx_wakeups, SHM_APP_RING_ENTRIES);
	CHECK_EQ(drift_app_flush(app, 10), -ETIMEDOUT);
	CHECK_EQ(spsc_ring_peek(r, SHM_APP_RING_ENTRIES, &at), SHM_APP_RING_ENTRIES);
	spsc_ring_release(r, SHM_APP_RING_ENTRIES);
	CHECK_EQ(drift_app_flush(app, 10), 0);
	write_once(&chan->dp[1].needs_wakeup, 0);

	/* A malformed connect reply is -EPROTO. */
	strcpy(connect_reply, "ok slot=5 gen=x peer=0102030405060708");
	CHECK_EQ(drift_app_connect(app, pub, "10.0.0.2:9000", 100, &s), -EPROTO);
	strcpy(connect_reply, "err handshake timed out: check the address");
	CHECK_EQ(drift_app_connect(app, pub, "10.0.0.2:9000", 100, &s), -ETIMEDOUT);
	CHECK(strcmp(drift_app_last_error(app), "handshake timed out: check the address") == 0);
	strcpy(connect_reply, "ok slot=5 gen=7 peer=0102030405060708");
}

/* 3: messages from the ctl ring and every rx ring come out with the right kinds. */
static void test_recv_kinds(struct DriftApp *app)
{
	struct DriftAppMsg msgs[8];
	struct DriftAppStats st;
	int n;

	produce(shm_app_ctl_ring(chan), SHM_APP_ESTABLISHED, 5, NULL);
	produce(shm_app_rx_ring(chan, 0), SHM_APP_DATA, 4, "hello");
	produce(shm_app_rx_ring(chan, 1), SHM_APP_DATA, 5, "world");
	produce(shm_app_rx_ring(chan, 1), 9, 5, "bogus kind");
	produce(shm_app_ctl_ring(chan), SHM_APP_CLOSED, 5, NULL);
	n = drift_app_recv(app, msgs, 8, 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(msgs[0].kind, DRIFT_APP_ESTABLISHED);
	CHECK_EQ(msgs[0].session.slot, 5);
	CHECK_EQ(msgs[0].session.generation, 7);
	CHECK_MEM(msgs[0].session.peer_id, peer_id, 8);
	CHECK_EQ(msgs[1].kind, DRIFT_APP_CLOSED);
	CHECK_EQ(msgs[2].kind, DRIFT_APP_DATA);
	CHECK_EQ(msgs[3].kind, DRIFT_APP_DATA);
	CHECK_EQ(msgs[2].len + msgs[3].len, 10);
	CHECK(!memcmp(msgs[2].data, "hello", 5) || !memcmp(msgs[2].data, "world", 5));
	drift_app_stats(app, &st);
	CHECK_EQ(st.rx_malformed, 1);
	CHECK_EQ(drift_app_recv(app, msgs, 8, 0), 0);
	/* max = 1 takes one at a time and leaves the rest. */
	produce(shm_app_rx_ring(chan, 0), SHM_APP_DATA, 4, "a");
	produce(shm_app_rx_ring(chan, 0), SHM_APP_DATA, 4, "b");
	CHECK_EQ(drift_app_recv(app, msgs, 1, 0), 1);
	CHECK_EQ(msgs[0].data[0], 'a');
	CHECK_EQ(drift_app_recv(app, msgs, 1, 0), 1);
	CHECK_EQ(msgs[0].data[0], 'b');
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct sleeper {
	struct DriftApp *app;
	struct DriftAppMsg msg;
	int n;
	uint64_t took_ms;
};

static void *sleep_recv(void *arg)
{
	struct sleeper *sl = arg;
	uint64_t t0 = now_ms();

	sl->n = drift_app_recv(sl->app, &sl->msg, 1, 5000);
	sl->took_ms = now_ms() - t0;
	return NULL;
}

/* 4: a timeout returns 0 in bounded time; a sleeping receiver is woken by the futex. */
static void test_recv_sleep(struct DriftApp *app)
{
	struct sleeper sl = {.app = app};
	struct DriftAppMsg msg;
	struct DriftAppStats st;
	uint64_t t0 = now_ms(), took;
	pthread_t th;

	CHECK_EQ(drift_app_recv(app, &msg, 1, 50), 0);
	took = now_ms() - t0;
	CHECK(took >= 45 && took < 1000);
	CHECK_EQ(read_once(&chan->app_needs_wakeup), 0);

	pthread_create(&th, NULL, sleep_recv, &sl);
	/* Wait until it announced its sleep, then produce and wake it as driftd does. */
	for (int i = 0; i < 2000 && !load_acquire(&chan->app_needs_wakeup); i++)
		usleep(1000);
	CHECK_EQ(load_acquire(&chan->app_needs_wakeup), 1);
	usleep(20000);
	produce(shm_app_rx_ring(chan, 1), SHM_APP_DATA, 5, "wake");
	fence_full();
	if (load_acquire(&chan->app_needs_wakeup)) {
		fetch_add_relaxed(&chan->app_wake, 1);
		syscall(SYS_futex, &chan->app_wake, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	pthread_join(th, NULL);
	CHECK_EQ(sl.n, 1);
	CHECK(sl.took_ms < 2000);
	CHECK_EQ(sl.msg.len, 4);
	CHECK_MEM(sl.msg.data, "wake", 4);
	drift_app_stats(app, &st);
	CHECK(st.rx_sleeps >= 2);
}

/* 5: multi-line replies, err lines, and a reconnect after driftd "restarted". */
static void test_requests(struct DriftApp *app)
{
	char reply[64], tiny[12];
	struct DriftAppStats st;
	uint8_t id[8];

	CHECK_EQ(drift_app_request(app, "show", reply, sizeof(reply)), 0);
	CHECK(strcmp(reply, "line one\nline two\nok") == 0);
	CHECK_EQ(drift_app_request(app, "show", tiny, sizeof(tiny)), -ENOBUFS);
	CHECK(strcmp(tiny, "line one\nli") == 0);
	CHECK_EQ(drift_app_request(app, "bogus", reply, sizeof(reply)), -EREMOTEIO);
	CHECK(strcmp(drift_app_last_error(app), "unknown request: see control/ctl_proto.h") == 0);
	CHECK_EQ(drift_app_request(app, "two\nlines", reply, sizeof(reply)), -EINVAL);
	CHECK_EQ(drift_app_listen(app, true), 0);
	CHECK_EQ(drift_app_add_peer(app, (const uint8_t[32]){1}, NULL, id), 0);
	CHECK_MEM(id, peer_id, 8);
	CHECK_EQ(drift_app_rekey(app, id), 0);
	CHECK(strcmp(last_request, "rekey 0102030405060708") == 0);

	/* "ping" makes the fake driftd hang up: the next request reconnects and re-attaches. */
	CHECK_EQ(drift_app_request(app, "ping", reply, sizeof(reply)), 0);
	CHECK_EQ(drift_app_request(app, "show", reply, sizeof(reply)), 0);
	CHECK(strcmp(reply, "line one\nline two\nok") == 0);
	drift_app_stats(app, &st);
	CHECK_EQ(st.ctl_reconnects, 1);
	/* Data kept flowing through the same mapping. */
	produce(shm_app_rx_ring(chan, 0), SHM_APP_DATA, 4, "after");
	{
		struct DriftAppMsg msg;

		CHECK_EQ(drift_app_recv(app, &msg, 1, 0), 1);
		CHECK_MEM(msg.data, "after", 5);
	}
}

/* 6: an opened (not attached) handle answers requests but refuses data. */
static void test_open_only(void)
{
	struct DriftApp *app = drift_app_open(run_dir, NULL, NULL);
	struct DriftAppSession s = {0};
	struct DriftAppMsg msg;
	char reply[64];

	CHECK(app != NULL);
	if (!app)
		return;
	CHECK_EQ(drift_app_request(app, "show", reply, sizeof(reply)), 0);
	CHECK_EQ(drift_app_send(app, &s, "x", 1), -ENOTCONN);
	CHECK_EQ(drift_app_recv(app, &msg, 1, 0), -ENOTCONN);
	CHECK_EQ(drift_app_listen(app, false), -ENOTCONN);
	CHECK_EQ(drift_app_worker_count(app), 0);
	drift_app_detach(app);
}

int main(void)
{
	struct DriftApp *app;
	pthread_t th;
	int err = 1, before;

	setup(&th);
	before = count_fds();
	test_attach_malformed();
	app = drift_app_attach(run_dir, NULL, &err);
	CHECK(app != NULL);
	CHECK_EQ(err, 0);
	if (app) {
		test_connect_send(app);
		test_recv_kinds(app);
		test_recv_sleep(app);
		test_requests(app);
		drift_app_detach(app);
		CHECK(strcmp(last_request, "detach") == 0);
	}
	test_open_only();
	CHECK_EQ(count_fds(), before);
	drift_app_detach(NULL);
	teardown(th);
	return harness_finish();
}
