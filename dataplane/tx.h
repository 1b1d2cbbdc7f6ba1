/* SPDX-License-Identifier: MIT */
/*
 * The transmit stages of the fast path (STYLE.md §12): gather application
 * messages from ring w of every channel -> slot snapshot -> sequence
 * numbers (one fetch_add on the slot's tx_word per slot per burst) -> seal
 * into port frames behind a 7-byte short header -> one port tx burst.
 *
 * Messages the fast path cannot send short go to driftd as events
 * (SHM_EV_SEND_LONG: the session has no tx CID yet), or are dropped with a
 * reason (stale generation, no session, seq space used up). When the port
 * has fewer free frames than the burst needs, the messages that did not fit
 * stay in their ring for the next burst: the application feels
 * back-pressure instead of loss.
 */
#ifndef DRIFT_DATAPLANE_TX_H
#define DRIFT_DATAPLANE_TX_H

#include "dataplane/slot_view.h"
#include "dataplane/worker.h"

#include <stdint.h>

/*
 * Drains up to PORT_BURST_MAX messages from this worker's tx rings, seals
 * and sends them. Returns how many messages were consumed (sent, handed to
 * driftd or dropped). Worker thread (or a test driving the worker) only.
 */
uint32_t tx_process_burst(struct worker *w);

/*
 * Shared with bridge forwarding (fwd.c), which seals on another session:
 * take `count` seqs of the slot's current epoch with one atomic operation
 * (re-reading `v` if driftd installed a new epoch meanwhile; false if the
 * session is gone or keyless), tell driftd once when a seq passes the
 * auto-rekey threshold, and the pre-keyed AEAD context of v's current epoch.
 */
bool tx_take_seqs(struct worker *w, uint32_t slot, struct slot_view *v, uint32_t count,
		  uint32_t *first);
void tx_note_rekey(struct worker *w, uint32_t slot, const struct slot_view *v, uint32_t seq);
struct aead_key *tx_key(struct worker *w, uint32_t slot, const struct slot_view *v);

#endif
