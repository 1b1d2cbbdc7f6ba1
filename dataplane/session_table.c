/* SPDX-License-Identifier: MIT */
/*
 * Creating, attaching and detaching the shared session table file, and the
 * writer half of the slot seqlock. The reader half is inline in the header
 * because workers run it per packet.
 *
 * A table is never resized or re-initialised in place: drift-dp makes a new
 * file and renames it over the old path, and driftd notices the new inode
 * and re-installs its sessions (control/driftd_main.c).
 */
#include "dataplane/session_table.h"

#include "crypto/rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int map_fd(struct session_table *t, int fd, size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	t->hdr = p;
	t->map_bytes = bytes;
	return 0;
}

/* Everything but the header is zero after ftruncate; only rings need setting up. */
static int init_region(struct shm_table_header *h, uint32_t slots, uint32_t workers)
{
	for (uint32_t w = 0; w < workers; w++) {
		if (!spsc_ring_init(shm_event_ring_at(h, w), SHM_EVENT_RING_ENTRIES,
				    sizeof(struct shm_event)) ||
		    !spsc_ring_init(shm_reinject_ring_at(h, w), SHM_EVENT_RING_ENTRIES,
				    sizeof(struct shm_event)))
			return -EINVAL;
	}
	for (uint32_t i = 0; i < slots; i++)
		shm_slot_at(h, i)->app_channel = -1;
	rng_bytes(&h->dp_instance, sizeof(h->dp_instance));
	h->dp_pid = (uint32_t)getpid();
	h->layout_version = SHM_LAYOUT_VERSION;
	/* The magic last: a half-written header never looks valid. */
	atomic_thread_fence(memory_order_release);
	h->magic = SHM_TABLE_MAGIC;
	return 0;
}

int session_table_create(struct session_table *t, const char *path, uint32_t slots,
			 uint32_t workers)
{
	struct shm_table_header probe = {0};
	char tmp[4096];
	int fd, rc;

	memset(t, 0, sizeof(*t));
	if (!slots || !workers || workers > SHM_MAX_WORKERS)
		return -EINVAL;
	shm_table_layout(&probe, slots, workers);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)probe.total_bytes) != 0) {
		rc = -errno;
		goto err_unlink;
	}
	if ((rc = map_fd(t, fd, probe.total_bytes)) != 0)
		goto err_unlink;
	shm_table_layout(t->hdr, slots, workers);
	if ((rc = init_region(t->hdr, slots, workers)) != 0)
		goto err_unmap;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto err_unmap;
	}
	close(fd);
	return 0;

err_unmap:
	session_table_detach(t);
err_unlink:
	unlink(tmp);
	close(fd);
	return rc;
}

/* True if the header describes exactly a region of `file_bytes`. */
static bool header_is_valid(const struct shm_table_header *h, size_t file_bytes)
{
	struct shm_table_header want = {0};

	if (h->magic != SHM_TABLE_MAGIC || h->layout_version != SHM_LAYOUT_VERSION)
		return false;
	if (!h->slot_count || !h->worker_count || h->worker_count > SHM_MAX_WORKERS)
		return false;
	shm_table_layout(&want, h->slot_count, h->worker_count);
	/* Every offset must be the one this build computes, or the mapper reads garbage. */
	return want.total_bytes == h->total_bytes && h->total_bytes == file_bytes &&
	       want.slots_off == h->slots_off && want.windows_off == h->windows_off &&
	       want.slot_stats_off == h->slot_stats_off &&
	       want.worker_stats_off == h->worker_stats_off && want.events_off == h->events_off &&
	       want.event_ring_bytes == h->event_ring_bytes && want.reinject_off == h->reinject_off;
}

int session_table_attach(struct session_table *t, const char *path)
{
	struct stat st;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	/* Too small to hold a header: not ours (or still being created). */
	if ((size_t)st.st_size < sizeof(struct shm_table_header)) {
		rc = -EPROTO;
		goto out_close;
	}
	if ((rc = map_fd(t, fd, (size_t)st.st_size)) != 0)
		goto out_close;
	if (!header_is_valid(t->hdr, (size_t)st.st_size)) {
		session_table_detach(t);
		rc = -EPROTO;
	}
out_close:
	close(fd);
	return rc;
}

void session_table_detach(struct session_table *t)
{
	if (t->hdr)
		munmap(t->hdr, t->map_bytes);
	t->hdr = NULL;
	t->map_bytes = 0;
}

void session_table_write_begin(struct shm_slot *s)
{
	uint32_t q = read_once(&s->seq);

	/* Already odd after a writer crashed mid-update: stay odd, do not flip to even. */
	write_once(&s->seq, q | 1);
	/* The odd seq must be visible before any of the field stores that follow. */
	atomic_thread_fence(memory_order_release);
}

void session_table_write_end(struct shm_table_header *hdr, struct shm_slot *s)
{
	uint32_t q = read_once(&s->seq);

	store_release(&s->seq, (q | 1) + 1);
	atomic_fetch_add_explicit(&hdr->install_seq, 1, memory_order_release);
}
