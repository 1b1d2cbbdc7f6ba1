/* SPDX-License-Identifier: MIT */
/* SIGBUS on a truncated shared file: absorb it, flag the range (shm_guard.h). */
#include "dataplane/shm_guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

/*
 * The handler reads this table while other threads may change it: every
 * field is atomic, and `base` is written last (release) on register and
 * first (cleared) on unregister, so a handler that sees a base sees its
 * len and flag.
 */
struct guard_range {
	_Atomic uintptr_t base;
	_Atomic size_t len;
	_Atomic(_Atomic uint32_t *) broken;
};

static struct guard_range ranges[SHM_GUARD_MAX_RANGES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* writers only */
static struct sigaction previous;
static bool is_installed;

/* Not ours: hand the fault to whoever handled SIGBUS before us. */
static void chain(int sig, siginfo_t *info, void *uctx)
{
	if (previous.sa_flags & SA_SIGINFO) {
		if (previous.sa_sigaction) {
			previous.sa_sigaction(sig, info, uctx);
			return;
		}
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* The default action: returning re-executes the access, which now kills us. */
	signal(sig, SIG_DFL);
}

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
	uintptr_t at = (uintptr_t)info->si_addr;
	int saved = errno;

	for (int i = 0; i < SHM_GUARD_MAX_RANGES; i++) {
		uintptr_t base = atomic_load_explicit(&ranges[i].base, memory_order_acquire);
		size_t len = atomic_load_explicit(&ranges[i].len, memory_order_relaxed);
		_Atomic uint32_t *flag;

		if (!base || at < base || at - base >= len)
			continue;
		/* mmap is a plain system call: safe in a handler. */
		if (mmap((void *)base, len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			break;
		flag = atomic_load_explicit(&ranges[i].broken, memory_order_relaxed);
		if (flag)
			atomic_store_explicit(flag, 1u, memory_order_release);
		errno = saved;
		return;
	}
	errno = saved;
	chain(sig, info, uctx);
}

static int install_locked(void)
{
	struct sigaction sa;

	if (is_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous) != 0)
		return -errno;
	is_installed = true;
	return 0;
}

int shm_guard_register(void *base, size_t len, _Atomic uint32_t *broken)
{
	int rc;

	pthread_mutex_lock(&lock);
	rc = install_locked();
	for (int i = 0; !rc && i < SHM_GUARD_MAX_RANGES; i++) {
		if (atomic_load_explicit(&ranges[i].base, memory_order_relaxed))
			continue;
		atomic_store_explicit(&ranges[i].len, len, memory_order_relaxed);
		atomic_store_explicit(&ranges[i].broken, broken, memory_order_relaxed);
		atomic_store_explicit(&ranges[i].base, (uintptr_t)base, memory_order_release);
		pthread_mutex_unlock(&lock);
		return 0;
	}
	pthread_mutex_unlock(&lock);
	return rc ? rc : -ENOSPC;
}

void shm_guard_unregister(void *base)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < SHM_GUARD_MAX_RANGES; i++)
		if (atomic_load_explicit(&ranges[i].base, memory_order_relaxed) == (uintptr_t)base)
			atomic_store_explicit(&ranges[i].base, 0, memory_order_release);
	pthread_mutex_unlock(&lock);
}
