/* SPDX-License-Identifier: MIT */
/*
 * Application channels as driftd sees them: the app<k> files drift-dp
 * created (rings survive both daemons' restarts), which application owns
 * each one, the control ring driftd produces into (long-header DATA and
 * session notices), and the futex wake-up that goes with it.
 */
#include "control/driftd.h"

#include "control/ctl_proto.h"
#include "dataplane/shm_guard.h"

#include "internal/atomics.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void wake_app(struct shm_app_header *h)
{
	/*
	 * need_wakeup: a syscall only when the application said it sleeps. The
	 * fence orders our ring submit before this load, pairing with the
	 * application's fence between setting the flag and re-checking its rings.
	 */
	fence_full();
	if (!load_acquire(&h->app_needs_wakeup))
		return;
	fetch_add_relaxed(&h->app_wake, 1);
	syscall(SYS_futex, &h->app_wake, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int map_channel(struct driftd *d, unsigned k)
{
	struct driftd_channel *c = &d->channels[k];
	struct shm_app_header probe;
	char path[600];
	struct stat st;
	void *m;

	snprintf(path, sizeof(path), "%s/" CTL_APP_FILE_FMT, d->dir, k);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (fstat(c->fd, &st) != 0 || (size_t)st.st_size < sizeof(probe))
		goto err_close;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (m == MAP_FAILED)
		goto err_close;
	c->hdr = m;
	c->map_bytes = (size_t)st.st_size;
	/* Built for this table's workers, or drift-dp has not re-created it yet (-EAGAIN). */
	shm_app_layout(&probe, d->table.hdr->worker_count);
	if (c->hdr->magic != SHM_APP_MAGIC || c->hdr->layout_version != SHM_LAYOUT_VERSION ||
	    c->hdr->worker_count != d->table.hdr->worker_count ||
	    probe.total_bytes != (uint64_t)st.st_size) {
		munmap(m, (size_t)st.st_size);
		close(c->fd);
		c->fd = -1;
		return -EAGAIN;
	}
	/* The application holding the file could truncate it under us. */
	store_release(&c->is_broken, 0u);
	if (shm_guard_register(m, c->map_bytes, &c->is_broken) != 0) {
		munmap(m, c->map_bytes);
		close(c->fd);
		c->fd = -1;
		return -ENOSPC;
	}
	c->is_mapped = true;
	c->owner_pid = read_once(&c->hdr->owner_pid);
	c->ctl_client = -1;
	return 0;
err_close:
	close(c->fd);
	c->fd = -1;
	return -EPROTO;
}

int channels_open(struct driftd *d)
{
	int rc;

	for (unsigned k = 0; k < SHM_APP_CHANNELS; k++)
		if ((rc = map_channel(d, k)) != 0)
			return rc;
	return 0;
}

static void unmap_channel(struct driftd_channel *c)
{
	shm_guard_unregister(c->hdr);
	munmap(c->hdr, c->map_bytes);
	close(c->fd);
	c->fd = -1;
	c->is_mapped = false;
}

void channels_close(struct driftd *d)
{
	for (unsigned k = 0; k < SHM_APP_CHANNELS; k++)
		if (d->channels[k].is_mapped)
			unmap_channel(&d->channels[k]);
}

static bool pid_is_alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Gives the caller a free channel (or the one it already owns). Returns k or -EBUSY. */
int channels_attach(struct driftd *d, uint32_t pid, int client)
{
	int free_k = -1;

	for (int k = 0; k < SHM_APP_CHANNELS; k++) {
		struct driftd_channel *c = &d->channels[k];

		if (!c->is_mapped)
			continue;
		if (c->owner_pid == pid)
			free_k = k;
		else if (free_k < 0 && !pid_is_alive(c->owner_pid))
			free_k = k;
	}
	if (free_k < 0)
		return -EBUSY;
	d->channels[free_k].owner_pid = pid;
	d->channels[free_k].ctl_client = client;
	store_release(&d->channels[free_k].hdr->owner_pid, pid);
	fetch_add_relaxed(&d->channels[free_k].hdr->attach_gen, 1);
	return free_k;
}

/* The channel is free again; its sessions stop delivering until another app claims them. */
void channels_detach(struct driftd *d, int k)
{
	struct driftd_channel *c;

	if (k < 0 || k >= SHM_APP_CHANNELS || !d->channels[k].is_mapped)
		return;
	c = &d->channels[k];
	c->owner_pid = 0;
	c->ctl_client = -1;
	store_release(&c->hdr->owner_pid, 0);
	if (d->listen_channel == k)
		d->listen_channel = -1;
	for (uint32_t b = 0; b < DRIFTD_PEER_BUCKETS; b++)
		for (struct driftd_peer *p = d->buckets[b]; p; p = p->hash_next)
			if (p->channel == k) {
				p->channel = -1;
				if (p->slot >= 0)
					installer_mark_dirty(d, p->id);
			}
	installer_sync_dirty(d);
}

/* A new listener takes the sessions no application holds (their app exited). */
void channels_adopt_orphans(struct driftd *d, int k)
{
	for (uint32_t b = 0; b < DRIFTD_PEER_BUCKETS; b++)
		for (struct driftd_peer *p = d->buckets[b]; p; p = p->hash_next)
			if (p->channel < 0) {
				p->channel = k;
				if (p->slot >= 0)
					installer_mark_dirty(d, p->id);
			}
	installer_sync_dirty(d);
}

/* Frees channels whose application has exited, and retires truncated ones. */
void channels_reap(struct driftd *d)
{
	for (int k = 0; k < SHM_APP_CHANNELS; k++) {
		struct driftd_channel *c = &d->channels[k];

		if (!c->is_mapped)
			continue;
		if (load_acquire(&c->is_broken)) {
			fprintf(stderr,
				"driftd: application channel app%d was truncated by the program "
				"holding it (pid %u); it is out of service until drift-dp restarts "
				"(do not resize channel files)\n",
				k, c->owner_pid);
			channels_detach(d, k);
			unmap_channel(c);
			continue;
		}
		if (c->owner_pid && !pid_is_alive(c->owner_pid))
			channels_detach(d, k);
	}
}

void ctl_app_notify(struct driftd *d, int channel, uint16_t kind, const struct driftd_peer *p,
		    const uint8_t *data, size_t len)
{
	struct driftd_channel *c;
	struct shm_app_msg *m;
	struct spsc_ring *r;
	uint32_t at;

	if (channel < 0 || channel >= SHM_APP_CHANNELS || !d->channels[channel].is_mapped ||
	    len > WIRE_MAX_PAYLOAD_BYTES)
		return;
	c = &d->channels[channel];
	r = shm_app_ctl_ring_n(c->hdr, d->table.hdr->worker_count);
	if (spsc_ring_reserve(r, 1, &at) != 1) {
		d->stats.app_ctl_full++;
		return;
	}
	m = shm_app_msg_at(r, at);
	m->slot = p->slot < 0 ? UINT32_MAX : (uint32_t)p->slot;
	m->generation = p->generation;
	m->kind = kind;
	m->len = (uint16_t)len;
	memcpy(m->peer_id, p->id, WIRE_PEER_ID_BYTES);
	if (len)
		memcpy(m->data, data, len);
	spsc_ring_submit(r, 1);
	wake_app(c->hdr);
}
