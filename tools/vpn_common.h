/* SPDX-License-Identifier: MIT */
/*
 * What drift-vpn's subcommands share: where an interface's files live,
 * its state file, finding the two daemons, running `ip`, and talking to
 * driftd's control socket.
 *
 *   RUN/NAME/          (RUN = $DRIFT_RUN_DIR or /run/drift; NAME = interface)
 *     vpn.state        what `up` started: config path, pids, per-peer settings
 *     tun-peers        AllowedIPs per peer, read by drift-dp (allowed_ips.h)
 *     identity.key     the private key in drift's key-file form (0600), if the
 *                      config had PrivateKey inline
 *     drift-dp.log, driftd.log
 *     table, app*, ctl (the daemons' own files)
 */
#ifndef DRIFT_TOOLS_VPN_COMMON_H
#define DRIFT_TOOLS_VPN_COMMON_H

#include "tools/vpn_config.h"
#include "tools/vpn_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { VPN_PATH_BYTES = 1024 };

#define VPN_CONFIG_DIR "/etc/drift"

/* RUN dir ($DRIFT_RUN_DIR or /run/drift). */
const char *vpn_run_dir(void);

/* RUN/NAME/file into buf. */
void vpn_path(char *buf, size_t cap, const char *name, const char *file);

/*
 * CONFIG|NAME as the user typed it -> the config file path and the
 * interface name (the file's base name without ".conf", like wg-quick).
 * Returns false with err filled if the name is not a valid interface name.
 */
bool vpn_resolve_arg(const char *arg, char *path, size_t path_cap, char name[16], char *err,
		     size_t err_cap);

int vpn_state_write(const char *name, const struct vpn_state *s);
/* Returns 0, -ENOENT if the interface is not up (no state), or -EINVAL if the file is damaged. */
int vpn_state_read(const char *name, struct vpn_state *s);

bool vpn_pid_alive(pid_t pid);
/* Whether pid runs the program named comm ("drift-dp", "driftd"): checked before any kill. */
bool vpn_pid_is(pid_t pid, const char *comm);

/* The path of drift-dp or driftd: $DRIFT_DP / $DRIFTD, next to this program, the build
 * tree's sibling folders, then PATH. */
bool vpn_find_program(const char *prog, char *out, size_t cap);

/*
 * Runs argv (no shell) and waits; stdout/stderr go to the caller's unless
 * quiet. Returns the exit status, or -1 if it could not run.
 */
int vpn_run(char *const argv[], bool quiet);

/* One request on driftd's control socket for NAME; the reply line in reply. Returns 0 if "ok". */
int vpn_ctl(const char *name, const char *request, char *reply, size_t reply_cap);

/* Whether a network interface of that name exists. */
bool vpn_link_exists(const char *name);

#endif
