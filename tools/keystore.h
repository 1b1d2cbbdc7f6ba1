/* SPDX-License-Identifier: MIT */
/*
 * Key files on disk (WIRE.md §3): reading one with every check a user needs
 * explained (missing, group/world-accessible, wrong size, wrong magic,
 * unreadable), writing one atomically with mode 0600 and never over an
 * existing file unless asked, and the default path ~/.drift/identity.key.
 * The 36-byte format itself is proto/keyfile.c; this module adds the file
 * system around it and nothing else (no hex, no printing).
 */
#ifndef DRIFT_TOOLS_KEYSTORE_H
#define DRIFT_TOOLS_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/wire.h"

enum keystore_status {
	KEYSTORE_OK = 0,
	KEYSTORE_MISSING,     /* no file at the path (read), or no such directory (write) */
	KEYSTORE_NOT_REGULAR, /* a directory, device, socket, ... */
	KEYSTORE_INSECURE,    /* group or others may access it (mode & 077) */
	KEYSTORE_BAD_SIZE,    /* not exactly 36 bytes */
	KEYSTORE_BAD_MAGIC,   /* does not start with "DRFT" */
	KEYSTORE_EXISTS,      /* write refused: the file exists and force was not given */
	KEYSTORE_SYSTEM,      /* an OS call failed: see op and sys_errno */
};

/*
 * The details behind a status, enough for keystore_describe() to write a
 * message with the value found and the fix.
 */
struct keystore_report {
	enum keystore_status status;
	const char *op;	      /* KEYSTORE_SYSTEM: the call that failed ("open", "fsync", ...) */
	int sys_errno;	      /* KEYSTORE_SYSTEM: its errno */
	long long size_bytes; /* KEYSTORE_BAD_SIZE: the size found */
	unsigned mode;	      /* KEYSTORE_INSECURE: the permission bits found */
	uint8_t magic[4];     /* KEYSTORE_BAD_MAGIC: the first four bytes found */
};

/* Buffer sizes: a path (PATH_MAX), and a message that quotes a path up to three times. */
enum keystore_limit {
	KEYSTORE_PATH_BYTES = 4096,
	KEYSTORE_MESSAGE_BYTES = 3 * KEYSTORE_PATH_BYTES + 512,
};

/*
 * Reads the key file at `path` into `secret`. Refuses a file that group or
 * others can access, one that is not exactly 36 bytes or does not start
 * with "DRFT". Returns the status (also in rep->status); on failure
 * `secret` is zeroed. Every copy of the secret it makes is wiped.
 */
enum keystore_status keystore_read(const char *path, uint8_t secret[WIRE_KEY_BYTES],
				   struct keystore_report *rep);

/*
 * Writes `secret` as a key file at `path`, atomically: a temporary file in
 * the same directory is created with O_EXCL and mode 0600, written,
 * fsync'ed, then moved into place. Without `force` the move refuses to
 * replace an existing file (KEYSTORE_EXISTS), even one that appears while
 * the key is being written. The directory must exist. On failure nothing is
 * left behind: no temporary file, and the old file (if any) is unchanged.
 */
enum keystore_status keystore_write(const char *path, const uint8_t secret[WIRE_KEY_BYTES],
				    bool force, struct keystore_report *rep);

/*
 * Writes the default key-file path, $HOME/.drift/identity.key (the
 * password database's home if HOME is unset), into buf[0 .. cap). With
 * `create_dir`, also creates $HOME/.drift with mode 0700 if it is missing.
 * Returns 0, -ENOENT if no home directory is known, -ENAMETOOLONG, or the
 * negative errno of mkdir.
 */
int keystore_default_path(char *buf, size_t cap, bool create_dir);

/*
 * One line for a user (no newline): the file, the problem with the value
 * found, and the fix, e.g. `/k: mode 0644 lets others read the key; run
 * "chmod 600 /k"`. Returns buf.
 */
const char *keystore_describe(char *buf, size_t cap, const char *path,
			      const struct keystore_report *rep);

/*
 * read() until `len` bytes or end of file, retrying EINTR: how the key
 * tools read a secret-bearing file whole. Returns the count or -errno.
 */
ssize_t keystore_read_full(int fd, uint8_t *buf, size_t len);

#endif
