/* SPDX-License-Identifier: MIT */
/*
 * Names of the fast path's drop reasons (enum shm_drop in
 * include/internal/shm_layout.h), for `drift show`, metrics and tests. The
 * counters themselves live per worker in the shared table; this module only
 * names them and never counts anything.
 */
#ifndef DRIFT_DATAPLANE_DROP_H
#define DRIFT_DATAPLANE_DROP_H

#include "internal/shm_layout.h"

/* A short lower-case name ("replay", "auth", ...); "unknown" for out-of-range values. */
const char *drop_name(enum shm_drop d);

#endif
