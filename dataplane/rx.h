/* SPDX-License-Identifier: MIT */
/*
 * The receive stages of the fast path (STYLE.md §12): classify -> CID
 * lookup -> slot snapshot -> replay pre-check -> AEAD open straight into the
 * application's rx ring entry -> replay commit -> stats and events. Packets
 * this worker cannot handle (long headers, unknown CIDs) go to driftd as
 * SHM_EV_PUNT events when driftd is attached.
 *
 * Callable without a thread (tests, the fuzz target): everything lives in
 * struct worker, and nothing here sleeps, locks, allocates (except keying a
 * new epoch, once per epoch) or makes a syscall other than the need_wakeup
 * futex wake of an application that said it sleeps.
 */
#ifndef DRIFT_DATAPLANE_RX_H
#define DRIFT_DATAPLANE_RX_H

#include "dataplane/port.h"
#include "dataplane/worker.h"

#include <stdint.h>

enum rx_limits {
	RX_MAX_CANDIDATES = 8, /* slots tried for one CID; more collisions are not tried */
};

/*
 * Runs n (<= PORT_BURST_MAX) received frames through the rx stages. The
 * frames stay the caller's (they are only read); the caller releases them
 * to the port afterwards. Application rx rings are submitted once at the
 * end, and an application is woken only if it asked to be. A packet whose
 * candidate slot is mid-write, and every packet after it in the burst, is
 * copied to the worker's hold (see rx_retry_held()).
 */
void rx_process_burst(struct worker *w, struct port_pkt *pkts, uint32_t n);

/*
 * Runs up to one burst of packets driftd handed back on this worker's
 * reinject ring through the rx stages; those are never punted again.
 * Returns how many were taken.
 */
uint32_t rx_drain_reinject(struct worker *w);

/*
 * Runs packets other workers handed to this one (their CID is ours, see
 * handoff.h) through the rx stages; they may still be punted to driftd.
 * Returns how many were taken. A no-op without hand-off rings.
 */
uint32_t rx_drain_handoff(struct worker *w);

/*
 * Runs the packets held back for a slot driftd was writing through the rx
 * stages again; those still blocked stay held, unless they have waited
 * WORKER_HOLD_MS, in which case they are handled as if the slot were empty.
 * Returns how many left the hold.
 */
uint32_t rx_retry_held(struct worker *w);

#endif
