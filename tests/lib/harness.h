/* SPDX-License-Identifier: MIT */
/*
 * A small unit-test harness: numbered checks that record the failure and
 * carry on, hex helpers, and a reader for the known-answer vector file
 * (tests/vectors/vectors.txt, a copy of ../shared/spec/vectors.txt).
 *
 * A test program calls CHECK*() freely and ends main() with
 * `return harness_finish();`, which prints "N passed, N failed" and exits
 * non-zero on any failure.
 */
#ifndef DRIFT_TESTS_HARNESS_H
#define DRIFT_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static unsigned harness_passed;
static unsigned harness_failed;

static inline void harness_record(bool ok, const char *file, int line, const char *what)
{
	if (ok) {
		harness_passed++;
		return;
	}
	harness_failed++;
	fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
}

#define CHECK(cond) harness_record((cond), __FILE__, __LINE__, #cond)

#define CHECK_EQ(a, b)                                                               \
	do {                                                                         \
		long long _a = (long long)(a), _b = (long long)(b);                  \
		if (_a != _b)                                                        \
			fprintf(stderr, "  %s = %lld, %s = %lld\n", #a, _a, #b, _b); \
		harness_record(_a == _b, __FILE__, __LINE__, #a " == " #b);          \
	} while (0)

#define CHECK_MEM(a, b, n)                                                                      \
	do {                                                                                    \
		bool _ok = memcmp((a), (b), (n)) == 0;                                          \
		if (!_ok)                                                                       \
			harness_dump_diff((const uint8_t *)(a), (const uint8_t *)(b), (n));     \
		harness_record(_ok, __FILE__, __LINE__, "memcmp(" #a ", " #b ", " #n ") == 0"); \
	} while (0)

static inline void harness_dump(const char *label, const uint8_t *p, size_t n)
{
	fprintf(stderr, "  %s: ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "\n");
}

static inline void harness_dump_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	harness_dump("got ", a, n);
	harness_dump("want", b, n);
}

static inline int harness_finish(void)
{
	printf("%u passed, %u failed\n", harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

/* Decodes lowercase or uppercase hex; returns the byte count or -1. */
static inline long harness_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

#ifndef DRIFT_VECTORS_PATH
#define DRIFT_VECTORS_PATH "tests/vectors/vectors.txt"
#endif

/*
 * Returns a malloc'd copy of the value of `key` in block `name` of the
 * vector file, or NULL (and records a failure) if it is missing.
 */
static inline char *vectors_get(const char *name, const char *key)
{
	FILE *f = fopen(DRIFT_VECTORS_PATH, "r");
	char line[4096];
	bool in_block = false;
	char *val = NULL;

	if (!f) {
		harness_record(false, __FILE__, __LINE__, "open " DRIFT_VECTORS_PATH);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (strncmp(line, "name: ", 6) == 0) {
			in_block = strcmp(line + 6, name) == 0;
			continue;
		}
		size_t kl = strlen(key);
		if (in_block && strncmp(line, key, kl) == 0 && line[kl] == ':' &&
		    line[kl + 1] == ' ') {
			val = strdup(line + kl + 2);
			break;
		}
	}
	fclose(f);
	if (!val) {
		fprintf(stderr, "  vector %s/%s missing\n", name, key);
		harness_record(false, __FILE__, __LINE__, "vector present");
	}
	return val;
}

/* Decodes a hex vector into `out`; returns its length, or -1 (recorded). */
static inline long vectors_bytes(const char *name, const char *key, uint8_t *out, size_t cap)
{
	char *v = vectors_get(name, key);
	long n;

	if (!v)
		return -1;
	n = harness_unhex(v, out, cap);
	if (n < 0) {
		fprintf(stderr, "  vector %s/%s is not hex of <= %zu bytes\n", name, key, cap);
		harness_record(false, __FILE__, __LINE__, "vector decodes");
	}
	free(v);
	return n;
}

#endif
