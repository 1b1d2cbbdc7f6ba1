/* SPDX-License-Identifier: MIT */
/* Capability handling for the daemons (libcap). */
#ifndef DRIFT_CONTROL_PRIVS_H
#define DRIFT_CONTROL_PRIVS_H

#include <stddef.h>

/* Clears every capability set of the process; writes what is kept ("none"). Returns 0 or -errno. */
int privs_drop_all(char *kept, size_t len);

#endif
