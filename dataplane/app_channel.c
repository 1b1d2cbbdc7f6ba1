/* SPDX-License-Identifier: MIT */
/*
 * Application channel files: create-or-reuse, map, unmap, and the two
 * futex calls behind the need_wakeup protocol (app_channel.h).
 *
 * Reuse matters: an application holds the mapping of app<k> across a
 * drift-dp restart, so a file whose layout still matches is left exactly as
 * it is, ring indices included. Only a mismatch replaces the file, and the
 * replacement is renamed over the old name so the old mapping stays valid
 * (if useless) for whoever still holds it.
 */
#include "dataplane/app_channel.h"

#include "control/ctl_proto.h"
#include "dataplane/shm_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int map_fd(struct app_channel *c, int fd, size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	c->hdr = p;
	c->map_bytes = bytes;
	return 0;
}

/* True if the header describes a file of `bytes` with `workers` (0 = any) workers. */
static bool header_is_valid(const struct shm_app_header *h, size_t bytes, uint32_t workers)
{
	struct shm_app_header want = {0};

	if (h->magic != SHM_APP_MAGIC || h->layout_version != SHM_LAYOUT_VERSION)
		return false;
	if (!h->worker_count || h->worker_count > SHM_MAX_WORKERS)
		return false;
	if (workers && h->worker_count != workers)
		return false;
	shm_app_layout(&want, h->worker_count);
	return want.total_bytes == h->total_bytes && want.total_bytes == bytes &&
	       want.ring_bytes == h->ring_bytes && want.rings_off == h->rings_off;
}

int app_channel_map_fd(struct app_channel *c, int fd)
{
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((size_t)st.st_size < sizeof(struct shm_app_header))
		return -EPROTO;
	if ((rc = map_fd(c, fd, (size_t)st.st_size)) != 0)
		return rc;
	if (!header_is_valid(c->hdr, (size_t)st.st_size, 0)) {
		app_channel_close(c);
		return -EPROTO;
	}
	return 0;
}

/* Maps an existing file if it matches; -ENOENT or -EPROTO when it must be made anew. */
static int try_reuse(struct app_channel *c, const char *path, uint32_t workers)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	if (fd < 0)
		return -errno;
	rc = app_channel_map_fd(c, fd);
	close(fd);
	if (rc == 0 && c->hdr->worker_count != workers) {
		app_channel_close(c);
		rc = -EPROTO;
	}
	return rc;
}

static int init_region(struct shm_app_header *h, uint32_t k, uint32_t workers)
{
	shm_app_layout(h, workers);
	h->channel = k;
	for (uint32_t i = 0; i < 2 * workers + 1; i++) {
		struct spsc_ring *r = (struct spsc_ring *)((uint8_t *)h + h->rings_off +
							   (size_t)i * h->ring_bytes);

		if (!spsc_ring_init(r, SHM_APP_RING_ENTRIES, sizeof(struct shm_app_msg)))
			return -EINVAL;
	}
	h->layout_version = SHM_LAYOUT_VERSION;
	/* The magic last: a mapper never accepts a half-initialised file. */
	atomic_thread_fence(memory_order_release);
	h->magic = SHM_APP_MAGIC;
	return 0;
}

static int create_new(struct app_channel *c, const char *path, uint32_t k, uint32_t workers)
{
	struct shm_app_header probe = {0};
	char tmp[4096];
	int fd, rc;

	shm_app_layout(&probe, workers);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)probe.total_bytes) != 0) {
		rc = -errno;
		goto err_unlink;
	}
	if ((rc = map_fd(c, fd, probe.total_bytes)) != 0)
		goto err_unlink;
	if ((rc = init_region(c->hdr, k, workers)) != 0)
		goto err_unmap;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto err_unmap;
	}
	close(fd);
	return 0;

err_unmap:
	app_channel_close(c);
err_unlink:
	unlink(tmp);
	close(fd);
	return rc;
}

static int open_unguarded(struct app_channel *c, const char *path, uint32_t k, uint32_t workers)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (!workers || workers > SHM_MAX_WORKERS)
		return -EINVAL;
	rc = try_reuse(c, path, workers);
	if (rc == 0 && c->hdr->channel == k)
		return 0;
	if (rc == 0)
		app_channel_close(c);
	else if (rc != -ENOENT && rc != -EPROTO)
		return rc;
	return create_new(c, path, k, workers);
}

int app_channel_open(struct app_channel *c, const char *path, uint32_t k, uint32_t workers)
{
	int rc = open_unguarded(c, path, k, workers);

	/* The application holding the file could truncate it under us. */
	if (rc == 0 && (rc = shm_guard_register(c->hdr, c->map_bytes, &c->is_broken)) != 0)
		app_channel_close(c);
	return rc;
}

static int channel_path(char *buf, size_t len, const char *dir, uint32_t k)
{
	char name[32];

	snprintf(name, sizeof(name), CTL_APP_FILE_FMT, k);
	if (snprintf(buf, len, "%s/%s", dir, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int app_channel_open_all(struct app_channel ch[SHM_APP_CHANNELS], const char *dir, uint32_t workers)
{
	char path[4096];
	int rc = 0;

	memset(ch, 0, sizeof(*ch) * SHM_APP_CHANNELS);
	for (uint32_t k = 0; k < SHM_APP_CHANNELS && !rc; k++) {
		rc = channel_path(path, sizeof(path), dir, k);
		if (!rc)
			rc = app_channel_open(&ch[k], path, k, workers);
	}
	if (rc)
		app_channel_close_all(ch);
	return rc;
}

void app_channel_close(struct app_channel *c)
{
	if (c->hdr) {
		shm_guard_unregister(c->hdr);
		munmap(c->hdr, c->map_bytes);
	}
	c->hdr = NULL;
	c->map_bytes = 0;
}

void app_channel_close_all(struct app_channel ch[SHM_APP_CHANNELS])
{
	for (uint32_t k = 0; k < SHM_APP_CHANNELS; k++)
		app_channel_close(&ch[k]);
}

int app_channel_unlink_all(const char *dir)
{
	char path[4096];
	int first = 0;

	for (uint32_t k = 0; k < SHM_APP_CHANNELS; k++) {
		int rc = channel_path(path, sizeof(path), dir, k);

		if (!rc && unlink(path) != 0 && errno != ENOENT)
			rc = -errno;
		if (rc && !first)
			first = rc;
	}
	return first;
}

int app_channel_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint32_t timeout_ms)
{
	struct timespec ts = {.tv_sec = timeout_ms / 1000,
			      .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};

	/* Not FUTEX_PRIVATE_FLAG: the waker is another process mapping the same file. */
	if (syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ms ? &ts : NULL, NULL, 0) == 0)
		return 0;
	if (errno == EAGAIN)
		return 0;
	return -errno;
}

void app_channel_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}
