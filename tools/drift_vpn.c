/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn: a WireGuard-shaped VPN on DRIFT. The subcommands follow wg and
 * wg-quick: up/down take a config file (or NAME for /etc/drift/NAME.conf),
 * show prints what wg show prints, genkey/pubkey are drift's.
 */
#include "tools/cli.h"
#include "tools/vpn_cmds.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: drift-vpn COMMAND [ARGS]\n"
		"\n"
		"  up CONFIG|NAME           start the interface (CONFIG is a WireGuard-style\n"
		"                           file; NAME means /etc/drift/NAME.conf)\n"
		"  down CONFIG|NAME         stop it and remove everything up made\n"
		"  show [NAME] [dump]       peers, endpoints, handshakes, transfer, AllowedIPs\n"
		"  genkey                   print a new private key\n"
		"  pubkey                   read a private key on stdin, print its public key\n"
		"  doctor [CONFIG|NAME]     preflight checks, each with its fix\n"
		"  install CONFIG|NAME [--root DIR]    bring it up at boot (systemd)\n"
		"  uninstall CONFIG|NAME [--root DIR]  stop bringing it up at boot\n"
		"\n"
		"Config keys: [Interface] PrivateKey | PrivateKeyFile, ListenPort, Address, MTU,\n"
		"Port (auto|xsk|udp), Device, Workers, MetricsPort, Qlog; [Peer] PublicKey,\n"
		"Endpoint (udp://host:port or host:port), AllowedIPs, PersistentKeepalive.\n");
}

static const char *root_opt(int argc, char **argv, int from)
{
	for (int i = from; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--root"))
			return argv[i + 1];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "genkey"))
		return cmd_genkey_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "pubkey"))
		return cmd_pubkey_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "show")) {
		bool dump = argc > 2 && !strcmp(argv[argc - 1], "dump");
		const char *name = argc > 2 && strcmp(argv[2], "dump") && strcmp(argv[2], "all")
					   ? argv[2]
					   : NULL;

		return vpn_cmd_show(name, dump);
	}
	if (!strcmp(cmd, "doctor"))
		return vpn_cmd_doctor(argc > 2 ? argv[2] : NULL);
	if ((!strcmp(cmd, "up") || !strcmp(cmd, "down") || !strcmp(cmd, "install") ||
	     !strcmp(cmd, "uninstall")) &&
	    argc < 3) {
		fprintf(stderr, "drift-vpn %s: which interface? give CONFIG or NAME\n", cmd);
		return 2;
	}
	if (!strcmp(cmd, "up"))
		return vpn_cmd_up(argv[2]);
	if (!strcmp(cmd, "down"))
		return vpn_cmd_down(argv[2]);
	if (!strcmp(cmd, "install"))
		return vpn_cmd_install(argv[2], root_opt(argc, argv, 3));
	if (!strcmp(cmd, "uninstall"))
		return vpn_cmd_uninstall(argv[2], root_opt(argc, argv, 3));
	fprintf(stderr, "drift-vpn: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return 2;
}
