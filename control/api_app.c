/* SPDX-License-Identifier: MIT */
/*
 * The control half of the application library: the SOCK_SEQPACKET
 * connection to driftd (control/ctl_proto.h), "attach" with the channel
 * descriptor passed by SCM_RIGHTS, checking and mapping that channel file,
 * the request/reply exchange, and re-connecting after driftd restarted.
 * It moves no data; the rings are api_app_io.c's.
 *
 * A request whose reply does not come in time leaves the connection out of
 * step (the late reply would answer the next request), so a timeout closes
 * it and the next request starts a fresh one.
 */
#include "control/api_app_impl.h"
#include "internal/hex_digit.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

_Static_assert((int)DRIFT_APP_MAX_PAYLOAD_BYTES == (int)WIRE_MAX_PAYLOAD_BYTES, "payload limit");
_Static_assert((int)DRIFT_APP_PEER_ID_BYTES == (int)WIRE_PEER_ID_BYTES, "peer id size");
_Static_assert((int)DRIFT_APP_KEY_BYTES == (int)WIRE_KEY_BYTES, "key size");
_Static_assert(DRIFT_APP_PATH_BYTES == sizeof(((struct sockaddr_un *)0)->sun_path), "sun_path");

enum {
	APP_CTL_TIMEOUT_MS = 5000,   /* default wait for a reply */
	APP_CONNECT_SLACK_MS = 2000, /* beyond a connect's own timeout, for driftd's answer */
	APP_MAX_FDS = 4,	     /* descriptors accepted (then closed) in one message */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int drift_app_ctl_path(const char *run_dir, const char *name, char *out, size_t out_len)
{
	int n;

	if (!run_dir || !*run_dir)
		run_dir = getenv("DRIFT_RUN_DIR");
	if (!run_dir || !*run_dir)
		run_dir = CTL_DEFAULT_RUN_DIR;
	if (!name || !*name)
		name = CTL_DEFAULT_NAME;
	n = snprintf(out, out_len, "%s/%s/%s", run_dir, name, CTL_SOCKET_FILE);
	if (n < 0 || (size_t)n >= out_len || (size_t)n >= DRIFT_APP_PATH_BYTES)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- one connection ------------------------------------------------------ */

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	/* drift_app_ctl_path() already checked that it fits. */
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Keeps the first descriptor of an SCM_RIGHTS message in *keep (when asked), closes the rest. */
static void take_fds(struct msghdr *msg, int *keep)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t count;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (keep && *keep < 0)
				*keep = fd;
			else
				close(fd);
		}
	}
}

/*
 * One reply message into buf (NUL-terminated, trailing newline cut), a
 * passed descriptor into *fd (or closed when fd is NULL). Returns its
 * length, -ETIMEDOUT, -EPIPE (EOF or reset), -EPROTO (truncated).
 */
static int ctl_recv_line(int sock, char *buf, size_t cap, int *fd, uint64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(APP_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	uint64_t now;
	ssize_t n;

	for (;;) {
		now = now_ms();
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(deadline_ms - now < 60000 ? deadline_ms - now : 60000));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	take_fds(&msg, fd);
	if (n == 0 || (msg.msg_flags & MSG_TRUNC)) {
		/* No usable line: a descriptor that came with it is not the caller's to keep. */
		if (fd && *fd >= 0) {
			close(*fd);
			*fd = -1;
		}
		return n == 0 ? -EPIPE : -EPROTO;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = 0;
	return (int)n;
}

static bool starts_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(line, word, n) && (line[n] == 0 || line[n] == ' ');
}

/*
 * Sends `line` and reads reply lines until "ok..." or "err ...". The final
 * line is copied to `final`; a descriptor on it goes to *fd (when fd is not
 * NULL). Returns 0 (ok), -EREMOTEIO (err), or a transport error; on a
 * transport error the connection is closed, and *answered says whether any
 * reply line had arrived (then the request must not be repeated).
 */
static int exchange(struct DriftApp *app, const char *line, uint32_t timeout_ms,
		    void (*each_line)(void *, const char *), void *ctx, char *final, int *fd,
		    bool *answered)
{
	uint64_t deadline = now_ms() + (timeout_ms ? timeout_ms : APP_CTL_TIMEOUT_MS);
	char buf[CTL_MSG_MAX_BYTES + 1];
	int n;

	*answered = false;
	if (send(app->ctl_fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		n = errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN ? -EPIPE : -errno;
		goto err_close;
	}
	for (;;) {
		int got_fd = -1;

		n = ctl_recv_line(app->ctl_fd, buf, sizeof(buf), fd ? &got_fd : NULL, deadline);
		if (n < 0)
			goto err_close;
		*answered = true;
		if (each_line)
			each_line(ctx, buf);
		if (starts_word(buf, "ok") || starts_word(buf, "err")) {
			strcpy(final, buf);
			if (buf[0] == 'o') {
				if (fd)
					*fd = got_fd;
				return 0;
			}
			/* A refusal hands over nothing, whatever came with it. */
			if (got_fd >= 0)
				close(got_fd);
			snprintf(app->last_error, sizeof(app->last_error), "%s",
				 buf + 3 + !!buf[3]);
			return -EREMOTEIO;
		}
		/* A descriptor belongs only on the final line of a reply. */
		if (got_fd >= 0)
			close(got_fd);
	}
err_close:
	close(app->ctl_fd);
	app->ctl_fd = -1;
	return n;
}

/* ---- attach and the channel file ----------------------------------------- */

/* Parses "key=<decimal u32>" out of a reply line; false when absent or malformed. */
static bool reply_u32(const char *line, const char *key, uint32_t *out)
{
	size_t klen = strlen(key);
	const char *p = line;
	uint64_t v = 0;

	while ((p = strstr(p, key)) && !((p == line || p[-1] == ' ') && p[klen] == '='))
		p += klen;
	if (!p)
		return false;
	p += klen + 1;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
			return false;
	if (*p && *p != ' ')
		return false;
	*out = (uint32_t)v;
	return true;
}

/* "key=" followed by exactly 2*len hex digits. */
static bool reply_hex(const char *line, const char *key, uint8_t *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = line;
	uint8_t tmp[32];

	while ((p = strstr(p, key)) && !((p == line || p[-1] == ' ') && p[klen] == '='))
		p += klen;
	if (!p || len > sizeof(tmp))
		return false;
	p += klen + 1;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit_value(p[2 * i]),
		    lo = hi < 0 ? -1 : hex_digit_value(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	if (p[2 * len] && p[2 * len] != ' ')
		return false;
	memcpy(out, tmp, len);
	return true;
}

/* "attach" on the current connection; maps the channel (first time) or checks it is ours. */
static int attach_channel(struct DriftApp *app)
{
	char final[CTL_MSG_MAX_BYTES + 1];
	uint32_t k, workers;
	struct stat a, b;
	bool answered;
	int fd = -1, rc;

	rc = exchange(app, "attach", 0, NULL, NULL, final, &fd, &answered);
	if (rc == -EREMOTEIO)
		return -EBUSY;
	if (rc)
		return rc;
	if (fd < 0 || !reply_u32(final, "channel", &k) || !reply_u32(final, "workers", &workers)) {
		rc = -EPROTO;
		goto err_close_fd;
	}
	if (!app->hdr) {
		rc = api_app_map_channel(app, fd, k, workers);
		if (rc)
			goto err_close_fd;
		return 0;
	}
	/* Re-attach after a driftd restart: it must be the very file we mapped. */
	if (k != app->channel || workers != app->worker_count || fstat(fd, &a) != 0 ||
	    fstat(app->chan_fd, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		rc = -ESTALE;
err_close_fd:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A fresh connection after the old one broke: re-attach and re-listen as before. */
static int reconnect(struct DriftApp *app)
{
	char final[CTL_MSG_MAX_BYTES + 1];
	bool answered;
	int rc;

	app->ctl_fd = ctl_connect(app->ctl_path);
	if (app->ctl_fd < 0) {
		rc = app->ctl_fd;
		app->ctl_fd = -1;
		return rc;
	}
	api_app_count(&app->ctl_reconnects, 1);
	if (app->hdr && (rc = attach_channel(app)) != 0)
		goto err_close;
	if (app->listen_mode >= 0) {
		rc = exchange(app, app->listen_mode ? "listen any" : "listen known", 0, NULL, NULL,
			      final, NULL, &answered);
		if (rc)
			goto err_close;
	}
	return 0;
err_close:
	if (app->ctl_fd >= 0)
		close(app->ctl_fd);
	app->ctl_fd = -1;
	return rc;
}

/* One request under the lock, re-sent once on a new connection if the old one was dead. */
static int request_locked(struct DriftApp *app, const char *line, uint32_t timeout_ms,
			  void (*each_line)(void *, const char *), void *ctx, char *final)
{
	bool answered = false;
	int rc = -EPIPE;

	app->last_error[0] = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (app->ctl_fd < 0 && reconnect(app) != 0)
			return -EPIPE;
		rc = exchange(app, line, timeout_ms, each_line, ctx, final, NULL, &answered);
		if (rc != -EPIPE || answered)
			return rc;
	}
	return rc;
}

/* ---- the exported calls -------------------------------------------------- */

struct DriftApp *drift_app_open(const char *run_dir, const char *name, int *err)
{
	struct DriftApp *app = calloc(1, sizeof(*app));
	int rc;

	if (!app) {
		rc = -ENOMEM;
		goto err_out;
	}
	app->chan_fd = -1;
	app->listen_mode = -1;
	rc = drift_app_ctl_path(run_dir, name, app->ctl_path, sizeof(app->ctl_path));
	if (rc)
		goto err_free;
	app->ctl_fd = ctl_connect(app->ctl_path);
	if (app->ctl_fd < 0) {
		rc = app->ctl_fd;
		goto err_free;
	}
	pthread_mutex_init(&app->lock, NULL);
	if (err)
		*err = 0;
	return app;
err_free:
	free(app);
err_out:
	if (err)
		*err = rc;
	return NULL;
}

struct DriftApp *drift_app_attach(const char *run_dir, const char *name, int *err)
{
	struct DriftApp *app = drift_app_open(run_dir, name, err);
	int rc;

	if (!app)
		return NULL;
	rc = attach_channel(app);
	if (rc) {
		drift_app_detach(app);
		if (err)
			*err = rc;
		return NULL;
	}
	return app;
}

void drift_app_detach(struct DriftApp *app)
{
	char final[CTL_MSG_MAX_BYTES + 1];
	bool answered;

	if (!app)
		return;
	/* A dead connection needs no detach: driftd frees the channel when our pid is gone. */
	if (app->hdr && app->ctl_fd >= 0)
		exchange(app, "detach", 1000, NULL, NULL, final, NULL, &answered);
	if (app->hdr)
		munmap(app->hdr, app->map_bytes);
	if (app->chan_fd >= 0)
		close(app->chan_fd);
	if (app->ctl_fd >= 0)
		close(app->ctl_fd);
	pthread_mutex_destroy(&app->lock);
	free(app);
}

unsigned drift_app_worker_count(const struct DriftApp *app)
{
	return app ? app->worker_count : 0;
}

const char *drift_app_last_error(const struct DriftApp *app)
{
	return app ? app->last_error : "";
}

void drift_app_stats(const struct DriftApp *app, struct DriftAppStats *out)
{
	struct DriftApp *a = (struct DriftApp *)app; /* the atomics' loads take non-const */

	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	out->tx_msgs = read_once(&a->tx_msgs);
	out->tx_ring_full = read_once(&a->tx_ring_full);
	out->tx_wakeups = read_once(&a->tx_wakeups);
	out->rx_msgs = read_once(&a->rx_msgs);
	out->rx_sleeps = read_once(&a->rx_sleeps);
	out->rx_malformed = read_once(&a->rx_malformed);
	out->ctl_reconnects = read_once(&a->ctl_reconnects);
}

int drift_app_request_each(struct DriftApp *app, const char *line, uint32_t timeout_ms,
			   void (*each_line)(void *ctx, const char *line), void *ctx)
{
	char final[CTL_MSG_MAX_BYTES + 1];
	int rc;

	if (!app || !line || !*line || strlen(line) >= CTL_MSG_MAX_BYTES || strchr(line, '\n'))
		return -EINVAL;
	pthread_mutex_lock(&app->lock);
	rc = request_locked(app, line, timeout_ms, each_line, ctx, final);
	pthread_mutex_unlock(&app->lock);
	return rc;
}

struct collect {
	char *buf;
	size_t cap, used;
	bool is_truncated;
};

static void collect_line(void *ctx, const char *line)
{
	struct collect *c = ctx;
	int n = snprintf(c->buf + c->used, c->cap - c->used, "%s%s", c->used ? "\n" : "", line);

	if (n < 0 || (size_t)n >= c->cap - c->used) {
		c->is_truncated = true;
		c->used = c->cap - 1;
		return;
	}
	c->used += (size_t)n;
}

int drift_app_request(struct DriftApp *app, const char *line, char *reply, size_t reply_len)
{
	struct collect c = {.buf = reply, .cap = reply_len};
	int rc;

	if (!reply || !reply_len)
		return -EINVAL;
	reply[0] = 0;
	rc = drift_app_request_each(app, line, 0, collect_line, &c);
	return rc == 0 && c.is_truncated ? -ENOBUFS : rc;
}

/* A request built from a format, with the handle's reply in `final`. */
static int simple(struct DriftApp *app, uint32_t timeout_ms, char *final, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int simple(struct DriftApp *app, uint32_t timeout_ms, char *final, const char *fmt, ...)
{
	char line[CTL_MSG_MAX_BYTES];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&app->lock);
	rc = request_locked(app, line, timeout_ms, NULL, NULL, final);
	pthread_mutex_unlock(&app->lock);
	return rc;
}

static void to_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

/* An address goes into a space-separated request: no blanks, no control bytes. */
static bool addr_is_token(const char *addr)
{
	size_t n = strlen(addr);

	if (n == 0 || n >= 80)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)addr[i] <= ' ' || (unsigned char)addr[i] >= 0x7f)
			return false;
	return true;
}

int drift_app_listen(struct DriftApp *app, bool accept_any)
{
	char final[CTL_MSG_MAX_BYTES + 1];
	int rc;

	if (!app)
		return -EINVAL;
	if (!app->hdr)
		return -ENOTCONN;
	rc = simple(app, 0, final, "listen %s", accept_any ? "any" : "known");
	if (rc == 0)
		app->listen_mode = accept_any;
	return rc;
}

int drift_app_add_peer(struct DriftApp *app, const uint8_t pub[DRIFT_APP_KEY_BYTES],
		       const char *addr, uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES])
{
	char final[CTL_MSG_MAX_BYTES + 1], hex[2 * DRIFT_APP_KEY_BYTES + 1];
	int rc;

	if (!app || !pub || (addr && !addr_is_token(addr)))
		return -EINVAL;
	to_hex(hex, pub, DRIFT_APP_KEY_BYTES);
	rc = simple(app, 0, final, "peer %s%s%s", hex, addr ? " " : "", addr ? addr : "");
	if (rc == 0 && peer_id && !reply_hex(final, "peer", peer_id, DRIFT_APP_PEER_ID_BYTES))
		return -EPROTO;
	return rc;
}

int drift_app_connect(struct DriftApp *app, const uint8_t pub[DRIFT_APP_KEY_BYTES],
		      const char *addr, uint32_t timeout_ms, struct DriftAppSession *out)
{
	char final[CTL_MSG_MAX_BYTES + 1], hex[2 * DRIFT_APP_KEY_BYTES + 1];
	struct DriftAppSession s;
	uint32_t wait_ms;
	int rc;

	if (!app || !pub || !out || !addr || !addr_is_token(addr))
		return -EINVAL;
	if (!app->hdr)
		return -ENOTCONN;
	to_hex(hex, pub, DRIFT_APP_KEY_BYTES);
	wait_ms = timeout_ms ? timeout_ms : APP_CTL_TIMEOUT_MS;
	rc = simple(app, wait_ms + APP_CONNECT_SLACK_MS, final, "connect %s %s %u", hex, addr,
		    wait_ms);
	if (rc == -EREMOTEIO && strstr(app->last_error, "timed out"))
		return -ETIMEDOUT;
	if (rc)
		return rc;
	if (!reply_u32(final, "slot", &s.slot) || !reply_u32(final, "gen", &s.generation) ||
	    !reply_hex(final, "peer", s.peer_id, sizeof(s.peer_id)))
		return -EPROTO;
	*out = s;
	return 0;
}

static int by_peer_id(struct DriftApp *app, const char *verb,
		      const uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES])
{
	char final[CTL_MSG_MAX_BYTES + 1], hex[2 * DRIFT_APP_PEER_ID_BYTES + 1];

	if (!app || !peer_id)
		return -EINVAL;
	to_hex(hex, peer_id, DRIFT_APP_PEER_ID_BYTES);
	return simple(app, 0, final, "%s %s", verb, hex);
}

int drift_app_rekey(struct DriftApp *app, const uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES])
{
	return by_peer_id(app, "rekey", peer_id);
}

int drift_app_close_peer(struct DriftApp *app, const uint8_t peer_id[DRIFT_APP_PEER_ID_BYTES])
{
	return by_peer_id(app, "close", peer_id);
}
