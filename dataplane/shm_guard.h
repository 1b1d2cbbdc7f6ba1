/* SPDX-License-Identifier: MIT */
/*
 * Surviving a shared file that another process truncates under our mapping.
 *
 * An application holds its channel file's descriptor (it must, to map it
 * read-write), so it can also ftruncate() it; the next access by drift-dp
 * or driftd past the new end would raise SIGBUS and kill the daemon. The
 * fast path drops and counts, it never crashes: the guard's SIGBUS handler
 * looks the faulting address up among the registered ranges, maps anonymous
 * zero pages over that whole range (the faulting access is retried on them
 * and completes harmlessly) and raises the range's flag. The range's owner
 * checks the flag before using the mapping and takes it out of service.
 * A fault outside every range goes to the handler that was there before
 * (ASan's, or the default action: the process dies as it would have).
 */
#ifndef DRIFT_DATAPLANE_SHM_GUARD_H
#define DRIFT_DATAPLANE_SHM_GUARD_H

#include <stddef.h>
#include <stdint.h>

enum { SHM_GUARD_MAX_RANGES = 64 };

/*
 * Guards [base, base + len); *broken is set to 1 (and stays) once a fault in
 * the range was absorbed. Installs the handler on first use. Returns 0,
 * -ENOSPC (all ranges in use) or -errno from sigaction.
 */
int shm_guard_register(void *base, size_t len, _Atomic uint32_t *broken);

/* Stops guarding the range that starts at base; call before munmap(). */
void shm_guard_unregister(void *base);

#endif
