/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn install / uninstall CONFIG|NAME [--root DIR]: bring an
 * interface up at boot through systemd, as `systemctl enable
 * wg-quick@NAME` does for WireGuard. install copies a config given by path
 * to /etc/drift/NAME.conf (0600), writes the template unit
 * drift-vpn@.service and enables drift-vpn@NAME; uninstall disables it and
 * leaves the config in place. --root works on an image (systemctl --root).
 */
#include "tools/vpn_cmds.h"

#include "tools/vpn_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNIT_DIR  "/etc/systemd/system"
#define UNIT_NAME "drift-vpn@.service"

static int mkdirs(const char *path)
{
	char buf[VPN_PATH_BYTES];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -errno : 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -errno;
	}
	fchmod(out, 0600);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	return close(out) == 0 && n == 0 ? 0 : -EIO;
}

static int write_unit(const char *root)
{
	char path[VPN_PATH_BYTES], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	FILE *f;

	if (n <= 0)
		snprintf(self, sizeof(self), "/usr/local/bin/drift-vpn");
	else
		self[n] = 0;
	snprintf(path, sizeof(path), "%s%s", root, UNIT_DIR);
	if (mkdirs(path) != 0)
		return -errno;
	snprintf(path, sizeof(path), "%s%s/%s", root, UNIT_DIR, UNIT_NAME);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"# Written by `drift-vpn install`: one drift-vpn interface per instance,\n"
		"# from /etc/drift/%%i.conf.\n"
		"[Unit]\n"
		"Description=drift-vpn tunnel %%i\n"
		"After=network-online.target\n"
		"Wants=network-online.target\n"
		"\n"
		"[Service]\n"
		"Type=oneshot\n"
		"RemainAfterExit=yes\n"
		"ExecStart=%s up %%i\n"
		"ExecStop=%s down %%i\n"
		"\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n",
		self, self);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* systemctl [--root=R] enable|disable UNIT; else the symlink it would make. */
static int set_enabled(const char *root, const char *instance, bool on)
{
	char unit[64], rootopt[VPN_PATH_BYTES], link[VPN_PATH_BYTES], target[VPN_PATH_BYTES];
	char *argv[6];
	int n = 0;

	snprintf(unit, sizeof(unit), "drift-vpn@%s.service", instance);
	argv[n++] = "systemctl";
	if (*root) {
		snprintf(rootopt, sizeof(rootopt), "--root=%s", root);
		argv[n++] = rootopt;
	}
	argv[n++] = on ? "enable" : "disable";
	argv[n++] = unit;
	argv[n] = NULL;
	if (vpn_run(argv, true) == 0) {
		printf("[#] systemctl %s %s\n", on ? "enable" : "disable", unit);
		return 0;
	}
	/* No systemctl (or no systemd here): make or remove the link it would have made. */
	snprintf(link, sizeof(link), "%s%s/multi-user.target.wants", root, UNIT_DIR);
	if (on && mkdirs(link) != 0)
		return -errno;
	snprintf(link, sizeof(link), "%s%s/multi-user.target.wants/%s", root, UNIT_DIR, unit);
	snprintf(target, sizeof(target), "%s/%s", UNIT_DIR, UNIT_NAME);
	unlink(link);
	if (on && symlink(target, link) != 0)
		return -errno;
	printf("[#] systemctl unavailable: %s %s by hand\n", on ? "linked" : "unlinked", link);
	return 0;
}

int vpn_cmd_install(const char *arg, const char *root)
{
	char path[VPN_PATH_BYTES], name[16], err[VPN_ERR_BYTES], dest[VPN_PATH_BYTES];
	struct vpn_config *cfg = calloc(1, sizeof(*cfg));
	int rc = 1, r;

	root = root ? root : "";
	if (!cfg)
		return 1;
	if (!vpn_resolve_arg(arg, path, sizeof(path), name, err, sizeof(err))) {
		fprintf(stderr, "drift-vpn: %s\n", err);
		goto out;
	}
	/* A bare NAME means the config is already in /etc/drift (under --root, if given). */
	if (!strchr(arg, '/') && !strstr(arg, ".conf"))
		snprintf(path, sizeof(path), "%s%s/%s.conf", root, VPN_CONFIG_DIR, name);
	if (vpn_config_load(cfg, path, err) != 0) {
		fprintf(stderr, "drift-vpn: not installing: %s\n", err);
		goto out;
	}
	snprintf(dest, sizeof(dest), "%s%s/%s.conf", root, VPN_CONFIG_DIR, name);
	if (strcmp(dest, path) != 0) {
		snprintf(err, sizeof(err), "%s%s", root, VPN_CONFIG_DIR);
		if ((r = mkdirs(err)) != 0 || (r = copy_file(path, dest)) != 0) {
			fprintf(stderr, "drift-vpn: cannot copy %s to %s: %s (run as root)\n", path,
				dest, strerror(-r));
			goto out;
		}
		printf("[#] copied %s to %s (mode 0600)\n", path, dest);
	}
	if ((r = write_unit(root)) != 0 || (r = set_enabled(root, name, true)) != 0) {
		fprintf(stderr,
			"drift-vpn: cannot install the systemd unit under %s%s: %s (run as "
			"root)\n",
			root, UNIT_DIR, strerror(-r));
		goto out;
	}
	printf("[#] %s comes up at boot (drift-vpn@%s.service); start it now with `systemctl "
	       "start drift-vpn@%s` or `drift-vpn up %s`\n",
	       name, name, name, name);
	rc = 0;
out:
	vpn_config_wipe(cfg);
	free(cfg);
	return rc;
}

int vpn_cmd_uninstall(const char *arg, const char *root)
{
	char path[VPN_PATH_BYTES], name[16], err[VPN_ERR_BYTES];
	int r;

	root = root ? root : "";
	if (!vpn_resolve_arg(arg, path, sizeof(path), name, err, sizeof(err))) {
		fprintf(stderr, "drift-vpn: %s\n", err);
		return 1;
	}
	if ((r = set_enabled(root, name, false)) != 0) {
		fprintf(stderr, "drift-vpn: cannot disable drift-vpn@%s: %s\n", name, strerror(-r));
		return 1;
	}
	printf("[#] %s no longer comes up at boot; %s%s/%s.conf is kept (delete it yourself if "
	       "you want it gone)\n",
	       name, root, VPN_CONFIG_DIR, name);
	return 0;
}
