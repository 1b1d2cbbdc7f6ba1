/* SPDX-License-Identifier: MIT */
/*
 * Key-file I/O for the drift CLI. Reading checks, in this order, that the
 * path names a regular file, that only its owner can access it, that it is
 * exactly 36 bytes and that it starts with "DRFT"; each failure is its own
 * status so the message can name the fix. Writing never exposes a partial
 * or world-readable key: the bytes go to a 0600 temporary file beside the
 * target, are fsync'ed, and only then renamed into place, with no-replace
 * semantics unless forced. This file does not parse hex or print anything.
 */
#include "tools/keystore.h"

#include "crypto/secret.h"
#include "proto/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char keystore_tmp_suffix[] = ".tmp.XXXXXX";

static enum keystore_status set_status(struct keystore_report *rep, enum keystore_status s)
{
	rep->status = s;
	return s;
}

static enum keystore_status set_system(struct keystore_report *rep, const char *op, int err)
{
	rep->op = op;
	rep->sys_errno = err;
	return set_status(rep, KEYSTORE_SYSTEM);
}

ssize_t keystore_read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* write() all of buf; returns 0 or -errno. */
static int write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Checks what fstat says about an open key file: type, mode, size. */
static enum keystore_status check_stat(int fd, struct keystore_report *rep)
{
	struct stat st;

	if (fstat(fd, &st))
		return set_system(rep, "stat", errno);
	if (!S_ISREG(st.st_mode))
		return set_status(rep, KEYSTORE_NOT_REGULAR);
	if (st.st_mode & 077) {
		rep->mode = st.st_mode & 07777;
		return set_status(rep, KEYSTORE_INSECURE);
	}
	if (st.st_size != WIRE_KEYFILE_BYTES) {
		rep->size_bytes = (long long)st.st_size;
		return set_status(rep, KEYSTORE_BAD_SIZE);
	}
	return KEYSTORE_OK;
}

enum keystore_status keystore_read(const char *path, uint8_t secret[WIRE_KEY_BYTES],
				   struct keystore_report *rep)
{
	/* One spare byte tells a file that grew after fstat from a good one. */
	uint8_t buf[WIRE_KEYFILE_BYTES + 1];
	enum keystore_status s;
	ssize_t got;
	int fd;

	memset(rep, 0, sizeof(*rep));
	memset(secret, 0, WIRE_KEY_BYTES);

	/* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			rep->op = "open";
			return set_status(rep, KEYSTORE_MISSING);
		}
		return set_system(rep, "open", errno);
	}
	s = check_stat(fd, rep);
	if (s != KEYSTORE_OK)
		goto err_close;

	got = keystore_read_full(fd, buf, sizeof(buf));
	if (got < 0) {
		s = set_system(rep, "read", (int)-got);
		goto err_wipe;
	}
	if (got != WIRE_KEYFILE_BYTES) {
		rep->size_bytes = got;
		s = set_status(rep, KEYSTORE_BAD_SIZE);
		goto err_wipe;
	}
	if (keyfile_decode(secret, buf, (size_t)got) != KEYFILE_OK) {
		memcpy(rep->magic, buf, sizeof(rep->magic));
		s = set_status(rep, KEYSTORE_BAD_MAGIC);
		goto err_wipe;
	}
	s = set_status(rep, KEYSTORE_OK);

err_wipe:
	secret_wipe(buf, sizeof(buf));
err_close:
	close(fd);
	return s;
}

/* "<dir>/.<base>.tmp.XXXXXX" for mkostemp; false if it does not fit. */
static bool temp_template(char *out, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	int n = snprintf(out, cap, "%.*s.%s%s", dir_len, path, base, keystore_tmp_suffix);

	return n > 0 && (size_t)n < cap;
}

/*
 * Moves tmp to path without replacing an existing file: renameat2() with
 * RENAME_NOREPLACE, or link() + unlink() where the file system lacks it.
 * Returns 0 (tmp is gone) or -errno (tmp is still there).
 */
static int place_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -errno;
	if (link(tmp, path))
		return -errno;
	unlink(tmp);
	return 0;
}

/* The directory part of `path`: "." for a bare name, "/" for a file in the root. */
static void parent_dir(char *dir, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, cap, ".");
	else if (slash == path)
		snprintf(dir, cap, "/");
	else
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/* fsync the directory holding `path` so the new name survives a crash; best effort. */
static void sync_parent(const char *path)
{
	char dir[KEYSTORE_PATH_BYTES];
	int fd;

	parent_dir(dir, sizeof(dir), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd); /* some file systems refuse (EINVAL); the rename itself is done */
	close(fd);
}

/* Writes, syncs and closes the freshly created temporary file. */
static enum keystore_status fill_temp(int fd, const uint8_t secret[WIRE_KEY_BYTES],
				      struct keystore_report *rep)
{
	uint8_t buf[WIRE_KEYFILE_BYTES];
	enum keystore_status s = KEYSTORE_OK;
	int ret;

	keyfile_encode(buf, secret);
	if (fchmod(fd, 0600)) /* mkostemp honours the umask; be exact */
		s = set_system(rep, "chmod", errno);
	else if ((ret = write_full(fd, buf, sizeof(buf))) < 0)
		s = set_system(rep, "write", -ret);
	else if (fsync(fd))
		s = set_system(rep, "fsync", errno);
	secret_wipe(buf, sizeof(buf));
	if (close(fd) && s == KEYSTORE_OK)
		s = set_system(rep, "close", errno);
	return s;
}

enum keystore_status keystore_write(const char *path, const uint8_t secret[WIRE_KEY_BYTES],
				    bool force, struct keystore_report *rep)
{
	char tmp[KEYSTORE_PATH_BYTES];
	struct stat st;
	enum keystore_status s;
	int fd, ret;

	memset(rep, 0, sizeof(*rep));
	/* Early, friendly refusal; place_noreplace() is what makes it race-free. */
	if (!force && lstat(path, &st) == 0)
		return set_status(rep, KEYSTORE_EXISTS);
	if (!temp_template(tmp, sizeof(tmp), path))
		return set_system(rep, "create", ENAMETOOLONG);

	fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL, mode 0600 */
	if (fd < 0) {
		if (errno == ENOENT) {
			rep->op = "create";
			return set_status(rep, KEYSTORE_MISSING);
		}
		return set_system(rep, "create", errno);
	}
	s = fill_temp(fd, secret, rep);
	if (s != KEYSTORE_OK)
		goto err_unlink;

	ret = force ? (rename(tmp, path) ? -errno : 0) : place_noreplace(tmp, path);
	if (ret == 0) {
		sync_parent(path);
		return KEYSTORE_OK;
	}
	if (ret == -EEXIST)
		s = set_status(rep, KEYSTORE_EXISTS);
	else
		s = set_system(rep, "rename", -ret);

err_unlink:
	unlink(tmp);
	return s;
}

int keystore_default_path(char *buf, size_t cap, bool create_dir)
{
	const char *home = getenv("HOME");
	int n;

	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());

		if (!pw || !pw->pw_dir || !*pw->pw_dir)
			return -ENOENT;
		home = pw->pw_dir;
	}
	n = snprintf(buf, cap, "%s/.drift", home);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	if (create_dir && mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	n = snprintf(buf, cap, "%s/.drift/identity.key", home);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* The fix to suggest for an OS error. */
static const char *system_hint(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "check the owner and permissions of the file and of its directory";
	case EROFS:
		return "the file system is read-only; choose another path";
	case ENOSPC:
	case EDQUOT:
		return "free some disk space and try again";
	case ENAMETOOLONG:
		return "use a shorter path";
	case ENOTDIR:
		return "a part of the path is not a directory; check the path";
	case EISDIR:
		return "the path is a directory; name a file inside it";
	case ELOOP:
		return "the path has a symbolic-link loop; check the path";
	default:
		return "check the path and the disk";
	}
}

/* The four magic bytes found, printable ones as-is and others as \xNN. */
static void quote_magic(char out[17], const uint8_t magic[4])
{
	char *p = out;

	for (int i = 0; i < 4; i++) {
		if (magic[i] >= 0x20 && magic[i] < 0x7f && magic[i] != '"' && magic[i] != '\\')
			*p++ = (char)magic[i];
		else
			p += sprintf(p, "\\x%02x", magic[i]);
	}
	*p = '\0';
}

const char *keystore_describe(char *buf, size_t cap, const char *path,
			      const struct keystore_report *rep)
{
	char magic[17];
	char dir[KEYSTORE_PATH_BYTES];

	switch (rep->status) {
	case KEYSTORE_OK:
		snprintf(buf, cap, "key file \"%s\": ok", path);
		break;
	case KEYSTORE_MISSING:
		if (rep->op && strcmp(rep->op, "create") == 0) {
			parent_dir(dir, sizeof(dir), path);
			snprintf(
				buf, cap,
				"key file \"%s\": directory \"%s\" does not exist; create it first "
				"(mkdir -m 700 %s) or choose another --out",
				path, dir, dir);
		} else {
			snprintf(buf, cap,
				 "key file \"%s\": no such file; create one with \"drift keygen "
				 "--out %s\" or pass the right path",
				 path, path);
		}
		break;
	case KEYSTORE_NOT_REGULAR:
		snprintf(buf, cap,
			 "key file \"%s\": not a regular file; pass the path of a 36-byte key file",
			 path);
		break;
	case KEYSTORE_INSECURE:
		snprintf(buf, cap,
			 "key file \"%s\": mode %04o lets group or others access the private key; "
			 "run \"chmod 600 %s\"",
			 path, rep->mode, path);
		break;
	case KEYSTORE_BAD_SIZE:
		snprintf(buf, cap,
			 "key file \"%s\": size is %lld bytes, expected 36 (\"DRFT\" + 32-byte "
			 "secret); this is not a drift key file, create one with \"drift keygen\"",
			 path, rep->size_bytes);
		break;
	case KEYSTORE_BAD_MAGIC:
		quote_magic(magic, rep->magic);
		snprintf(
			buf, cap,
			"key file \"%s\": starts with \"%s\", expected the magic \"DRFT\"; this is "
			"not a drift key file, check the path or create one with \"drift keygen\"",
			path, magic);
		break;
	case KEYSTORE_EXISTS:
		snprintf(buf, cap,
			 "key file \"%s\": already exists; refusing to overwrite a private key "
			 "(pass --force to replace it, or choose another --out)",
			 path);
		break;
	case KEYSTORE_SYSTEM:
		snprintf(buf, cap, "key file \"%s\": cannot %s: %s; %s", path,
			 rep->op ? rep->op : "access", strerror(rep->sys_errno),
			 system_hint(rep->sys_errno));
		break;
	}
	return buf;
}
