/* SPDX-License-Identifier: MIT */
/*
 * tools/keystore in a private temporary directory: write/read round trip
 * with mode 0600 whatever the umask, refusal to overwrite without force,
 * forced replace, and a numbered table of files the reader must refuse
 * (group/world-readable modes, wrong sizes, bad magic, missing, directory,
 * FIFO), each with the message naming the file and the fix. After every
 * write, successful or not, the directory must hold no temporary file.
 */
#include "tools/keystore.h"

#include "tests/lib/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char *in_dir(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
	return buf;
}

static void fill_secret(uint8_t secret[WIRE_KEY_BYTES], uint8_t seed)
{
	for (int i = 0; i < WIRE_KEY_BYTES; i++)
		secret[i] = (uint8_t)(seed + i);
}

/* Writes raw bytes with the given mode, bypassing keystore. */
static void put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, data, len), (long long)len);
	CHECK_EQ(fchmod(fd, mode), 0);
	close(fd);
}

/* True if no name in the directory contains ".tmp." (the temp-file marker). */
static bool no_temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool clean = true;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp.")) {
			fprintf(stderr, "  leftover temp file %s\n", e->d_name);
			clean = false;
		}
	closedir(d);
	return clean;
}

static bool message_has(const char *path, const struct keystore_report *rep, const char *needle)
{
	char msg[KEYSTORE_MESSAGE_BYTES];

	keystore_describe(msg, sizeof(msg), path, rep);
	if (strstr(msg, needle) && strstr(msg, path))
		return true;
	fprintf(stderr, "  message \"%s\" lacks \"%s\" or the path\n", msg, needle);
	return false;
}

static void test_round_trip(void)
{
	uint8_t secret[WIRE_KEY_BYTES], back[WIRE_KEY_BYTES], raw[64];
	struct keystore_report rep;
	struct stat st;
	char path[512];
	mode_t old_umask = umask(0); /* the file must be 0600 even with umask 0 */
	int fd;

	in_dir(path, sizeof(path), "id.key");
	fill_secret(secret, 0x40);
	/* 1: write, then the file is 36 bytes, mode 0600, "DRFT" + secret */
	CHECK_EQ(keystore_write(path, secret, false, &rep), KEYSTORE_OK);
	umask(old_umask);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_EQ(st.st_size, 36);
	fd = open(path, O_RDONLY);
	CHECK_EQ(read(fd, raw, sizeof(raw)), 36);
	close(fd);
	CHECK(memcmp(raw, "DRFT", 4) == 0);
	CHECK_MEM(raw + 4, secret, 32);
	/* 2: read it back */
	CHECK_EQ(keystore_read(path, back, &rep), KEYSTORE_OK);
	CHECK_EQ(rep.status, KEYSTORE_OK);
	CHECK_MEM(back, secret, 32);
	/* 3: a file readable only by its owner (0400) is fine too */
	CHECK_EQ(chmod(path, 0400), 0);
	CHECK_EQ(keystore_read(path, back, &rep), KEYSTORE_OK);
	CHECK_EQ(chmod(path, 0600), 0);
	CHECK(no_temp_files());
}

static void test_overwrite(void)
{
	uint8_t first[WIRE_KEY_BYTES], second[WIRE_KEY_BYTES], back[WIRE_KEY_BYTES];
	struct keystore_report rep;
	char path[512];

	in_dir(path, sizeof(path), "over.key");
	fill_secret(first, 0x10);
	fill_secret(second, 0x90);
	CHECK_EQ(keystore_write(path, first, false, &rep), KEYSTORE_OK);
	/* 1: no force: refused, old key intact, message says --force */
	CHECK_EQ(keystore_write(path, second, false, &rep), KEYSTORE_EXISTS);
	CHECK(message_has(path, &rep, "--force"));
	CHECK_EQ(keystore_read(path, back, &rep), KEYSTORE_OK);
	CHECK_MEM(back, first, 32);
	CHECK(no_temp_files());
	/* 2: force: replaced */
	CHECK_EQ(keystore_write(path, second, true, &rep), KEYSTORE_OK);
	CHECK_EQ(keystore_read(path, back, &rep), KEYSTORE_OK);
	CHECK_MEM(back, second, 32);
	CHECK(no_temp_files());
	/* 3: force over a file with another mode leaves 0600 */
	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(keystore_write(path, first, true, &rep), KEYSTORE_OK);
	CHECK_EQ(keystore_read(path, back, &rep), KEYSTORE_OK);
	/* 4: no force, a dangling symlink still counts as existing */
	in_dir(path, sizeof(path), "dangling.key");
	CHECK_EQ(symlink("nowhere", path), 0);
	CHECK_EQ(keystore_write(path, first, false, &rep), KEYSTORE_EXISTS);
	CHECK(no_temp_files());
}

struct bad_file {
	const char *name;
	size_t len;	   /* bytes of "DRFT" + 0x11.. to write */
	const char *magic; /* replaces the first four bytes if set */
	mode_t mode;
	enum keystore_status want;
	const char *in_message; /* must appear in keystore_describe() */
};

static const struct bad_file bad_files[] = {
	/* 1 */ {"world.key", 36, NULL, 0644, KEYSTORE_INSECURE, "chmod 600 "},
	/* 2 */ {"group.key", 36, NULL, 0640, KEYSTORE_INSECURE, "0640"},
	/* 3 */ {"other.key", 36, NULL, 0604, KEYSTORE_INSECURE, "chmod 600 "},
	/* 4 */ {"exec.key", 36, NULL, 0610, KEYSTORE_INSECURE, "0610"},
	/* 5 */ {"short.key", 35, NULL, 0600, KEYSTORE_BAD_SIZE, "35 bytes, expected 36"},
	/* 6 */ {"long.key", 37, NULL, 0600, KEYSTORE_BAD_SIZE, "37 bytes, expected 36"},
	/* 7 */ {"empty.key", 0, NULL, 0600, KEYSTORE_BAD_SIZE, "0 bytes, expected 36"},
	/* 8 */ {"hex.key", 65, NULL, 0600, KEYSTORE_BAD_SIZE, "65 bytes"},
	/* 9 */ {"magic.key", 36, "DRFX", 0600, KEYSTORE_BAD_MAGIC, "\"DRFX\""},
	/* 10 */ {"lower.key", 36, "drft", 0600, KEYSTORE_BAD_MAGIC, "\"drft\""},
	/* 11 */
	{"binary.key", 36, "\x01\"\\\xff", 0600, KEYSTORE_BAD_MAGIC, "\\x01\\x22\\x5c\\xff"},
	/* 12: the mode is checked before the size */
	{"both.key", 35, NULL, 0666, KEYSTORE_INSECURE, "chmod 600 "},
};

static void test_bad_files(void)
{
	uint8_t data[80], secret[WIRE_KEY_BYTES];
	struct keystore_report rep;
	char path[512];

	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];
		enum keystore_status s;

		memcpy(data, "DRFT", 4);
		memset(data + 4, 0x11, sizeof(data) - 4);
		if (b->magic)
			memcpy(data, b->magic, 4);
		in_dir(path, sizeof(path), b->name);
		put_file(path, data, b->len, b->mode);
		memset(secret, 0xee, sizeof(secret));
		s = keystore_read(path, secret, &rep);
		if (s != b->want)
			fprintf(stderr, "  bad file case %zu (%s): status %d\n", i + 1, b->name, s);
		CHECK_EQ(s, b->want);
		CHECK_EQ(rep.status, b->want);
		CHECK(message_has(path, &rep, b->in_message));
		for (int j = 0; j < WIRE_KEY_BYTES; j++)
			CHECK_EQ(secret[j], 0);
	}
}

static void test_not_files(void)
{
	uint8_t secret[WIRE_KEY_BYTES];
	struct keystore_report rep;
	char path[512];

	/* 1: missing */
	in_dir(path, sizeof(path), "absent.key");
	CHECK_EQ(keystore_read(path, secret, &rep), KEYSTORE_MISSING);
	CHECK(message_has(path, &rep, "drift keygen"));
	/* 2: a directory */
	in_dir(path, sizeof(path), "a-dir");
	CHECK_EQ(mkdir(path, 0700), 0);
	CHECK_EQ(keystore_read(path, secret, &rep), KEYSTORE_NOT_REGULAR);
	CHECK(message_has(path, &rep, "not a regular file"));
	/* 3: a FIFO is refused without blocking on open */
	in_dir(path, sizeof(path), "a-fifo");
	CHECK_EQ(mkfifo(path, 0600), 0);
	CHECK_EQ(keystore_read(path, secret, &rep), KEYSTORE_NOT_REGULAR);
	/* 4: a path through a regular file */
	in_dir(path, sizeof(path), "id.key/x");
	CHECK_EQ(keystore_read(path, secret, &rep), KEYSTORE_SYSTEM);
	CHECK_EQ(rep.sys_errno, ENOTDIR);
	CHECK(message_has(path, &rep, "not a directory"));
	/* 5: writing into a missing directory creates nothing */
	in_dir(path, sizeof(path), "no-such-dir/id.key");
	fill_secret(secret, 1);
	CHECK_EQ(keystore_write(path, secret, false, &rep), KEYSTORE_MISSING);
	CHECK(message_has(path, &rep, "mkdir -m 700"));
	CHECK(access(path, F_OK) != 0);
	/* 6: writing over a directory with force fails and leaves no temp file */
	in_dir(path, sizeof(path), "a-dir");
	CHECK_EQ(keystore_write(path, secret, true, &rep), KEYSTORE_SYSTEM);
	CHECK(no_temp_files());
	/* 7: unreadable (only testable without root, which reads anything) */
	if (geteuid() != 0) {
		in_dir(path, sizeof(path), "locked.key");
		put_file(path, "DRFT", 4, 0000);
		CHECK_EQ(keystore_read(path, secret, &rep), KEYSTORE_SYSTEM);
		CHECK_EQ(rep.sys_errno, EACCES);
		CHECK(message_has(path, &rep, "permissions"));
	}
}

static void test_default_path(void)
{
	char path[KEYSTORE_PATH_BYTES], want[512], drift_dir[512];
	const char *old_home = getenv("HOME");
	char *saved = old_home ? strdup(old_home) : NULL;
	struct stat st;

	setenv("HOME", dir, 1);
	/* 1: without create_dir nothing is made */
	CHECK_EQ(keystore_default_path(path, sizeof(path), false), 0);
	CHECK(strcmp(path, in_dir(want, sizeof(want), ".drift/identity.key")) == 0);
	CHECK(access(in_dir(drift_dir, sizeof(drift_dir), ".drift"), F_OK) != 0);
	/* 2: with it, ~/.drift appears with mode 0700; twice is fine */
	CHECK_EQ(keystore_default_path(path, sizeof(path), true), 0);
	CHECK_EQ(keystore_default_path(path, sizeof(path), true), 0);
	CHECK_EQ(stat(drift_dir, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0700);
	/* 3: too small a buffer */
	CHECK_EQ(keystore_default_path(path, 8, false), -ENAMETOOLONG);
	if (saved) {
		setenv("HOME", saved, 1);
		free(saved);
	} else {
		unsetenv("HOME");
	}
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_keystore.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_overwrite();
	test_bad_files();
	test_not_files();
	test_default_path();
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return harness_finish();
}
