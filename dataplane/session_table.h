/* SPDX-License-Identifier: MIT */
/*
 * The shared session table file (<run>/<name>/table, layout in
 * include/internal/shm_layout.h): drift-dp creates it, driftd attaches to
 * it, and both use the slot seqlock defined here. This module maps and
 * checks the region; it does not decide what goes into a slot (driftd's
 * installer does) nor read packets (rx.c, tx.c do).
 *
 * Seqlock (one writer per slot, driftd; any number of readers):
 *
 *   writer: session_table_write_begin(s); ...write fields...;
 *           session_table_write_end(hdr, s);
 *   reader: do { q = session_table_read_begin(s); ...copy fields...; }
 *           while (session_table_read_retry(s, q) && ++tries < limit);
 *
 * Readers never spin inside read_begin: an odd seq makes read_retry true,
 * so a writer that died mid-update costs a reader a bounded number of tries
 * instead of a hang.
 */
#ifndef DRIFT_DATAPLANE_SESSION_TABLE_H
#define DRIFT_DATAPLANE_SESSION_TABLE_H

#include "internal/atomics.h"
#include "internal/shm_layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum session_table_limits {
	SESSION_TABLE_READ_TRIES = 64, /* reader retries before treating the slot as busy */
};

struct session_table {
	struct shm_table_header *hdr; /* NULL when nothing is mapped */
	size_t map_bytes;
};

/*
 * drift-dp: creates a fresh table at `path` (0600; written under a temporary
 * name in the same directory, then renamed over `path`, so an attacher
 * never sees a half-made file). All slots FREE, rings initialised,
 * dp_instance random, dp_pid = getpid(). The caller fills the text fields
 * (port_type, port_why, dp_caps, listen_port, bind_addr) afterwards.
 * backend_init() must have succeeded (dp_instance comes from the RNG).
 * Returns 0 or -errno (-EINVAL for slots == 0 or workers outside
 * 1..SHM_MAX_WORKERS); on error nothing is mapped and no file is left.
 */
int session_table_create(struct session_table *t, const char *path, uint32_t slots,
			 uint32_t workers);

/*
 * driftd: maps an existing table read-write. Checks magic, layout version,
 * counts and total_bytes against the file size; returns -EPROTO with
 * nothing mapped on any mismatch, or another -errno if the file cannot be
 * opened or mapped.
 */
int session_table_attach(struct session_table *t, const char *path);

/* Unmaps; safe on a zeroed or already detached table. Leaves the file. */
void session_table_detach(struct session_table *t);

/* Writer (driftd only): makes the slot's seq odd; readers now retry. */
void session_table_write_begin(struct shm_slot *s);

/*
 * Writer: makes seq even again (release: the slot's fields are visible
 * before it) and bumps hdr->install_seq (release) so workers re-index.
 */
void session_table_write_end(struct shm_table_header *hdr, struct shm_slot *s);

/* Reader: the seq to pass to session_table_read_retry() after copying. */
static inline uint32_t session_table_read_begin(struct shm_slot *s)
{
	return load_acquire(&s->seq);
}

/*
 * Reader: true if what was copied since read_begin() may be torn (a write
 * was in progress or happened meanwhile) and must be copied again.
 */
static inline bool session_table_read_retry(struct shm_slot *s, uint32_t seq)
{
	/* Orders the plain copies before the re-read of seq (seqlock reader rule). */
	atomic_thread_fence(memory_order_acquire);
	return (seq & 1) || read_once(&s->seq) != seq;
}

#endif
