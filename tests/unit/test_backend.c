/* SPDX-License-Identifier: MIT */
/*
 * crypto/backend: backend_init() is idempotent and thread-safe, the
 * self-test passes, and DRIFT_AEAD picks the AEAD backend (or makes
 * initialisation fail) exactly once. Each environment case runs in a forked
 * child because the choice is made once per process.
 */
#include "crypto/backend.h"

#include "crypto/aead.h"
#include "internal/compiler.h"

#include "../lib/harness.h"

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	CHILD_OK = 0,
	CHILD_BAD_RC = 10,
	CHILD_BAD_BACKEND = 11,
	CHILD_NOT_STICKY = 12,
};

/*
 * Child body: set DRIFT_AEAD (NULL = unset), initialise, check the result,
 * then change the variable and check nothing follows it.
 */
static int child(const char *env, int want_rc, enum aead_backend want)
{
	if (env)
		setenv("DRIFT_AEAD", env, 1);
	else
		unsetenv("DRIFT_AEAD");
	if (backend_init() != want_rc)
		return CHILD_BAD_RC;
	if (want_rc != 0)
		return backend_selftest() == -EPROTO ? CHILD_OK : CHILD_BAD_RC;
	if (aead_default_backend() != want)
		return CHILD_BAD_BACKEND;
	setenv("DRIFT_AEAD", want == AEAD_BACKEND_SODIUM ? "openssl" : "sodium", 1);
	if (backend_init() != 0 || aead_default_backend() != want)
		return CHILD_NOT_STICKY;
	return backend_selftest() == 0 ? CHILD_OK : CHILD_BAD_RC;
}

static int run_child(const char *env, int want_rc, enum aead_backend want)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(child(env, want_rc, want));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Cases 1-5: the DRIFT_AEAD table. */
static void test_env_override(void)
{
	static const struct {
		const char *env;
		int rc;
		enum aead_backend backend;
	} cases[] = {
		{"openssl", 0, AEAD_BACKEND_OPENSSL},
		{"sodium", 0, AEAD_BACKEND_SODIUM},
		{"", 0, AEAD_BACKEND_DEFAULT},
		{NULL, 0, AEAD_BACKEND_DEFAULT},
		{"libsodium", -EINVAL, AEAD_BACKEND_DEFAULT},
	};
	/* Learn the compiled-in default in a child with the variable unset. */
	enum aead_backend compiled = AEAD_BACKEND_DEFAULT;

	for (int b = AEAD_BACKEND_OPENSSL; b <= AEAD_BACKEND_SODIUM; b++) {
		if (run_child(NULL, 0, (enum aead_backend)b) == CHILD_OK)
			compiled = (enum aead_backend)b;
	}
	CHECK(compiled != AEAD_BACKEND_DEFAULT);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum aead_backend want = cases[i].backend;

		fprintf(stderr, "case %zu: DRIFT_AEAD=%s\n", i + 1,
			cases[i].env ? cases[i].env : "(unset)");
		if (want == AEAD_BACKEND_DEFAULT)
			want = compiled;
		CHECK_EQ(run_child(cases[i].env, cases[i].rc, want), CHILD_OK);
	}
}

static void *init_thread(void *arg)
{
	int *rc = arg;

	*rc = backend_init();
	return NULL;
}

/* Case 6: many threads racing into backend_init() all see 0. */
static void test_threads(void)
{
	pthread_t t[8];
	int rc[8];

	for (int i = 0; i < 8; i++) {
		rc[i] = -1;
		CHECK_EQ(pthread_create(&t[i], NULL, init_thread, &rc[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(pthread_join(t[i], NULL), 0);
		CHECK_EQ(rc[i], 0);
	}
}

int main(void)
{
	/* The parent must not inherit a choice from the caller's environment. */
	unsetenv("DRIFT_AEAD");
	test_env_override();
	test_threads();
	CHECK_EQ(backend_init(), 0);
	CHECK_EQ(backend_init(), 0);
	CHECK_EQ(backend_selftest(), 0);
	CHECK_EQ(backend_selftest(), 0);
	return harness_finish();
}
