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
	size_t cap = 4096 + (size_t)s->n_peers * 160, len;
	char *text = malloc(cap);
	int fd, rc = 0;

	if (!text)
		return -ENOMEM;
	len = vpn_state_format(s, text, cap);
	vpn_path(path, sizeof(path), name, "vpn.state");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = -errno;
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(text);
	return rc;
}

int vpn_state_read(const char *name, struct vpn_state *s)
{
	enum { STATE_MAX_BYTES = 1 << 20 };
	char path[VPN_PATH_BYTES];
	char *text = malloc(STATE_MAX_BYTES);
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	if (!text)
		return -ENOMEM;
	vpn_path(path, sizeof(path), name, "vpn.state");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? -ENOENT : -errno;
		free(text);
		return rc;
	}
	while (len < STATE_MAX_BYTES && (n = read(fd, text + len, STATE_MAX_BYTES - len)) > 0)
		len += (size_t)n;
	close(fd);
	rc = len == STATE_MAX_BYTES ? -EINVAL : vpn_state_parse(s, text, len);
	free(text);
	return rc;
}

/* Only a process that is one of our daemons: a damaged state file must never aim a kill elsewhere. */
bool vpn_pid_is(pid_t pid, const char *comm)
{
	char path[64], buf[32] = "";
	ssize_t n;
	int fd;

	if (pid <= 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return strcmp(buf, comm) == 0;
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
