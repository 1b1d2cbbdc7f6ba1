/* SPDX-License-Identifier: MIT */
/*
 * Bridge forwarding in the fast path: DATA that arrives on session A, whose
 * slot names session B in fwd_to, is opened straight into a tx frame,
 * re-sealed under B's current key (in place) and sent to B's peer in the
 * same burst, without driftd or an application. driftd installs the pair
 * (usually both directions). Order within a burst is kept; seqs for B are
 * taken with one atomic operation per burst, like application sends.
 *
 * Per worker, per burst: fwd_buffer() before opening, fwd_commit() after a
 * successful open, fwd_flush() at the end of the rx burst.
 */
#ifndef DRIFT_DATAPLANE_FWD_H
#define DRIFT_DATAPLANE_FWD_H

#include "dataplane/slot_view.h"
#include "dataplane/worker.h"

#include <stdint.h>

/*
 * Where to open the next forwarded packet's plaintext (the payload area of
 * a tx frame; the same frame until fwd_commit() takes it), or NULL when the
 * port has no free frame (the caller opens into scratch and counts the
 * packet as SHM_DROP_TX_ERROR).
 */
uint8_t *fwd_buffer(struct worker *w);

/* The plaintext fwd_buffer() returned now holds `len` bytes from `from_slot` for `v->fwd_to`. */
void fwd_commit(struct worker *w, uint32_t from_slot, const struct slot_view *v, uint16_t len);

/* Seals and sends everything committed in this burst. */
void fwd_flush(struct worker *w);

#endif
