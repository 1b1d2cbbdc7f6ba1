/* SPDX-License-Identifier: MIT */
/*
 * Dropping capabilities once sockets are bound and memory is mapped
 * (DESIGN.md §5): driftd needs none afterwards, so it clears every set.
 * What was kept is reported as text for `drift show`.
 */
#include "control/privs.h"

#include <errno.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int privs_drop_all(char *kept, size_t len)
{
	cap_t caps = cap_init(); /* every set empty */
	int rc = 0;

	if (!caps)
		return -errno;
	if (cap_set_proc(caps) != 0)
		rc = -errno;
	cap_free(caps);
	/* Also forbid regaining them through exec of a setuid or file-capability binary. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	snprintf(kept, len, "%s", rc ? "unchanged (drop failed)" : "none");
	return rc;
}
