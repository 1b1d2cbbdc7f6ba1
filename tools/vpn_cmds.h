/* SPDX-License-Identifier: MIT */
/* drift-vpn's subcommands, one file each (vpn_up.c, vpn_show.c, vpn_doctor.c, vpn_install.c). */
#ifndef DRIFT_TOOLS_VPN_CMDS_H
#define DRIFT_TOOLS_VPN_CMDS_H

#include <stdbool.h>

int vpn_cmd_up(const char *arg);
int vpn_cmd_down(const char *arg);
int vpn_cmd_show(const char *name, bool is_dump);
int vpn_cmd_doctor(const char *arg);
int vpn_cmd_install(const char *arg, const char *root);
int vpn_cmd_uninstall(const char *arg, const char *root);

#endif
