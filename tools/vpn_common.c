/* SPDX-License-Identifier: MIT */
/*
 * drift-vpn's shared plumbing (vpn_common.h).
 */
#include "tools/vpn_common.h"

#include "control/ctl_proto.h"
#include "tools/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

const char *vpn_run_dir(void)
{
	const char *env = getenv("DRIFT_RUN_DIR");

	return env && *env ? env : CTL_DEFAULT_RUN_DIR;
}

void vpn_path(char *buf, size_t cap, const char *name, const char *file)
{
	snprintf(buf, cap, "%s/%s%s%s", vpn_run_dir(), name, file ? "/" : "", file ? file : "");
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '=' || s[i] == '+' ||
		      s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

bool vpn_resolve_arg(const char *arg, char *path, size_t path_cap, char name[16], char *err,
		     size_t err_cap)
{
	const char *base = strrchr(arg, '/');
	size_t n;

	if (!strchr(arg, '/') && !strstr(arg, ".conf"))
		snprintf(path, path_cap, "%s/%s.conf", VPN_CONFIG_DIR, arg);
	else
		snprintf(path, path_cap, "%s", arg);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	if (n >= 16) {
		snprintf(err, err_cap,
			 "\"%.*s\" is too long for an interface name (15 characters at most): "
			 "rename the config file",
			 (int)n, base);
		return false;
	}
	memcpy(name, base, n);
	name[n] = 0;
	if (!valid_ifname(name)) {
		snprintf(err, err_cap,
			 "\"%s\" is not a usable interface name (letters, digits, _=+.-): rename "
			 "the config file",
			 name);
		return false;
	}
	return true;
}

int vpn_state_write(const char *name, const struct vpn_state *s)
{
	char path[VPN_PATH_BYTES], tmp[VPN_PATH_BYTES + 8];
	FILE *f;
	int fd;

	vpn_path(path, sizeof(path), name, "vpn.state");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	char self[2 * WIRE_KEY_BYTES + 1];

	fprintf(f, "config %s\ndp_pid %d\ndriftd_pid %d\nlisten_port %u\npublic_key %s\n",
		s->config_path, (int)s->dp_pid, (int)s->driftd_pid, s->listen_port,
		hex_encode(self, s->self_pub, WIRE_KEY_BYTES));
	for (uint32_t i = 0; i < s->n_peers; i++) {
		char hex[2 * WIRE_KEY_BYTES + 1];

		fprintf(f, "peer %s %s %u\n", hex_encode(hex, s->peers[i].pub, WIRE_KEY_BYTES),
			s->peers[i].endpoint, s->peers[i].keepalive_s);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

int vpn_state_read(const char *name, struct vpn_state *s)
{
	char path[VPN_PATH_BYTES], line[VPN_PATH_BYTES + 64];
	FILE *f;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	vpn_path(path, sizeof(path), name, "vpn.state");
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	while (fgets(line, sizeof(line), f)) {
		char hex[80], ep[64];
		unsigned ka, port;
		int pid;

		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "config ", 7) == 0)
			snprintf(s->config_path, sizeof(s->config_path), "%.*s",
				 (int)sizeof(s->config_path) - 1, line + 7);
		else if (sscanf(line, "dp_pid %d", &pid) == 1)
			s->dp_pid = pid;
		else if (sscanf(line, "driftd_pid %d", &pid) == 1)
			s->driftd_pid = pid;
		else if (sscanf(line, "listen_port %u", &port) == 1)
			s->listen_port = (uint16_t)port;
		else if (sscanf(line, "public_key %79s", hex) == 1 &&
			 hex_decode(s->self_pub, WIRE_KEY_BYTES, hex, strlen(hex), NULL) == HEX_OK)
			continue;
		else if (sscanf(line, "peer %79s %63s %u", hex, ep, &ka) == 3 &&
			 s->n_peers < VPN_MAX_PEERS &&
			 hex_decode(s->peers[s->n_peers].pub, WIRE_KEY_BYTES, hex, strlen(hex),
				    NULL) == HEX_OK) {
			snprintf(s->peers[s->n_peers].endpoint, sizeof(s->peers[0].endpoint), "%s",
				 ep);
			s->peers[s->n_peers].keepalive_s = (uint16_t)ka;
			s->n_peers++;
		} else {
			rc = -EINVAL;
		}
	}
	fclose(f);
	return rc;
}

bool vpn_pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static bool is_exec(const char *path)
{
	return access(path, X_OK) == 0;
}

bool vpn_find_program(const char *prog, char *out, size_t cap)
{
	const char *env = getenv(strcmp(prog, "drift-dp") == 0 ? "DRIFT_DP" : "DRIFTD");
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path_env = getenv("PATH");

	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return is_exec(out);
	}
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(out, cap, "%s/%s", self, prog);
			if (is_exec(out))
				return true;
			/* The build tree: tools/drift-vpn next to dataplane/ and control/. */
			snprintf(out, cap, "%s/../%s/%s", self,
				 strcmp(prog, "drift-dp") == 0 ? "dataplane" : "control", prog);
			if (is_exec(out))
				return true;
		}
	}
	for (const char *p = path_env ? path_env : "/usr/local/bin:/usr/bin"; p && *p;) {
		size_t len = strcspn(p, ":");

		snprintf(out, cap, "%.*s/%s", (int)len, p, prog);
		if (len && is_exec(out))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

int vpn_run(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int vpn_ctl(const char *name, const char *request, char *reply, size_t reply_cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	size_t got = 0;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	char line[CTL_MSG_MAX_BYTES];

	reply[0] = 0;
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/%s", vpn_run_dir(), name,
		 CTL_SOCKET_FILE);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		snprintf(reply, reply_cap, "cannot reach driftd at %s: %s", sa.sun_path,
			 strerror(e));
		close(fd);
		return -e;
	}
	snprintf(line, sizeof(line), "%s\n", request);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		snprintf(reply, reply_cap, "driftd closed the control socket");
		return -EPIPE;
	}
	/* One message per reply line; the requests drift-vpn sends get a one-line reply. */
	ssize_t n = read(fd, line, sizeof(line) - 1);

	got = n > 0 ? (size_t)n : 0;
	close(fd);
	line[got] = 0;
	line[strcspn(line, "\n")] = 0;
	snprintf(reply, reply_cap, "%s", line);
	return strncmp(line, "ok", 2) == 0 ? 0 : -EPROTO;
}

bool vpn_link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}
