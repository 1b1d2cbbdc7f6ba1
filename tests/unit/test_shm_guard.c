/* SPDX-License-Identifier: MIT */
/*
 * shm_guard: a registered MAP_SHARED range whose file is truncated under it
 * is replaced by zero pages on the first fault (flag raised, no crash); a
 * fault anywhere else still ends the process (in a child here).
 */
#include "dataplane/shm_guard.h"

#include "tests/lib/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAP_BYTES = 4 * 4096 };

/* A MAP_SHARED mapping of a fresh temp file; the file is already unlinked. */
static uint8_t *map_temp(int *fd_out)
{
	char path[] = "/tmp/shm-guard-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *m;

	CHECK(fd >= 0);
	unlink(path);
	CHECK_EQ(ftruncate(fd, MAP_BYTES), 0);
	m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	memset(m, 0xa5, MAP_BYTES);
	*fd_out = fd;
	return m;
}

/* Truncated under a guarded mapping: writes and reads go on, on zero pages. */
static void test_absorbed(void)
{
	_Atomic uint32_t broken = 0;
	volatile uint8_t *v;
	uint8_t *m;
	int fd;

	m = map_temp(&fd);
	CHECK_EQ(shm_guard_register(m, MAP_BYTES, &broken), 0);
	CHECK_EQ(ftruncate(fd, 0), 0);
	v = m;
	v[3 * 4096 + 7] = 0x42; /* past the new end: SIGBUS, absorbed */
	CHECK_EQ(atomic_load(&broken), 1u);
	CHECK_EQ(v[3 * 4096 + 7], 0x42);
	CHECK_EQ(v[0], 0); /* the whole range is zero pages now, not the file */
	shm_guard_unregister(m);
	munmap(m, MAP_BYTES);
	close(fd);
}

/* In a child: touch a truncated mapping that is not (or no longer) guarded. */
static bool child_dies(bool register_first)
{
	pid_t pid = fork();
	int status = 0;

	CHECK(pid >= 0);
	if (pid == 0) {
		_Atomic uint32_t broken = 0;
		volatile uint8_t *v;
		uint8_t *m;
		int fd;

		/* ASan, if present, reports the fault: expected here, so not shown. */
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		m = map_temp(&fd);
		if (register_first) {
			if (shm_guard_register(m, MAP_BYTES, &broken) != 0)
				_exit(3);
			shm_guard_unregister(m);
		} else {
			uint8_t other[64];

			/* A guard for another range is installed: the handler must pass this on. */
			if (shm_guard_register(other, sizeof(other), &broken) != 0)
				_exit(3);
		}
		if (ftruncate(fd, 0) != 0)
			_exit(4);
		v = m;
		v[5] = 1;
		_exit(0); /* survived: the guard swallowed a fault that was not its own */
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	       !(WIFEXITED(status) && WEXITSTATUS(status) >= 3);
}

static void test_not_ours(void)
{
	CHECK(child_dies(false));
	CHECK(child_dies(true));
}

static void test_full(void)
{
	static uint8_t block[SHM_GUARD_MAX_RANGES + 1][16];
	_Atomic uint32_t broken = 0;
	int n = 0;

	for (int i = 0; i <= SHM_GUARD_MAX_RANGES; i++)
		n += shm_guard_register(block[i], sizeof(block[i]), &broken) == 0;
	CHECK_EQ(n, SHM_GUARD_MAX_RANGES);
	CHECK_EQ(shm_guard_register(block[0], 1, &broken), -ENOSPC);
	for (int i = 0; i <= SHM_GUARD_MAX_RANGES; i++)
		shm_guard_unregister(block[i]);
	CHECK_EQ(shm_guard_register(block[0], 1, &broken), 0);
	shm_guard_unregister(block[0]);
}

int main(void)
{
	test_absorbed();
	printf("%s truncated under a guarded mapping: absorbed, flagged\n",
	       harness_failed ? "FAIL" : "ok  ");
	test_not_ours();
	printf("%s a fault outside the guarded ranges still ends the process\n",
	       harness_failed ? "FAIL" : "ok  ");
	test_full();
	printf("%s %d ranges, then -ENOSPC; unregister frees them\n",
	       harness_failed ? "FAIL" : "ok  ", SHM_GUARD_MAX_RANGES);
	return harness_finish();
}
