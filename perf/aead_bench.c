/* SPDX-License-Identifier: MIT */
/*
 * ChaCha20-Poly1305 throughput of the two crypto/aead backends, one core:
 * seal and open at 64, 1024, 1400, 1408 and 8192 bytes with a pre-keyed
 * struct aead_key, a fresh nonce per call (as the data path does) and the
 * 7-byte short-header AAD. 1408 sits next to 1400 to show what a length
 * that is a multiple of 16 is worth. Prints a markdown table for
 * perf/RESULTS.md; it decides nothing by itself (aead.c holds the default).
 *
 * Usage: aead_bench [seconds-per-cell]   (default 0.5)
 */
#include "crypto/aead.h"

#include "crypto/backend.h"
#include "crypto/rng.h"
#include "internal/bytes.h"
#include "internal/compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	BENCH_MAX_BYTES = 8192,
	BENCH_AAD_BYTES = 7,
	/* Calls between clock reads: keeps clock_gettime out of the numbers. */
	BENCH_BATCH = 256,
};

static const size_t bench_sizes[] = {64, 1024, 1400, 1408, 8192};
static const enum aead_backend bench_backends[] = {AEAD_BACKEND_OPENSSL, AEAD_BACKEND_SODIUM};

struct bench_result {
	double mb_per_s; /* 10^6 bytes of plaintext per second */
	double ns_per_op;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The compiler must not drop work whose result nobody reads. */
static volatile unsigned bench_sink;

/* Runs seal (is_open false) or open of `len` bytes in batches until `seconds` have passed. */
static int run_cell(struct aead_key *k, size_t len, bool is_open, double seconds,
		    struct bench_result *res)
{
	static uint8_t pt[BENCH_MAX_BYTES], ct[BENCH_MAX_BYTES + AEAD_TAG_BYTES],
		out[BENCH_MAX_BYTES + AEAD_TAG_BYTES];
	uint8_t nonce[AEAD_NONCE_BYTES] = {0}, aad[BENCH_AAD_BYTES] = {0x20, 0x51, 0x9f};
	unsigned long ops = 0, failures = 0;
	uint32_t seq = 0;
	double start, elapsed;

	rng_bytes(pt, len);
	nonce[4] = 3;
	if (is_open && aead_seal(k, nonce, aad, sizeof(aad), pt, len, ct) != 0)
		return -1;

	start = now_s();
	do {
		for (int i = 0; i < BENCH_BATCH; i++) {
			if (is_open) {
				/* One sealed packet opened again and again; the nonce must match. */
				failures += !aead_open(k, nonce, aad, sizeof(aad), ct,
						       len + AEAD_TAG_BYTES, out);
			} else {
				store_be32(nonce + 8, ++seq);
				failures +=
					aead_seal(k, nonce, aad, sizeof(aad), pt, len, out) != 0;
			}
		}
		ops += BENCH_BATCH;
		elapsed = now_s() - start;
	} while (elapsed < seconds);

	bench_sink += out[0];
	if (failures)
		return -1;
	res->ns_per_op = elapsed * 1e9 / (double)ops;
	res->mb_per_s = (double)len * (double)ops / elapsed / 1e6;
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0.5;
	uint8_t key[AEAD_KEY_BYTES];
	int rc = 0;

	if (seconds <= 0) {
		fprintf(stderr, "aead_bench: seconds-per-cell \"%s\" must be a positive number\n",
			argv[1]);
		return 2;
	}
	if (backend_init() != 0 || backend_selftest() != 0) {
		fprintf(stderr, "aead_bench: crypto self-test failed; refusing to measure\n");
		return 1;
	}
	rng_bytes(key, sizeof(key));

	printf("| backend | op | bytes | MB/s | ns/op |\n");
	printf("|---|---|---:|---:|---:|\n");
	for (size_t b = 0; b < ARRAY_SIZE(bench_backends); b++) {
		struct aead_key k;

		if (aead_key_init(&k, key, bench_backends[b]) != 0) {
			fprintf(stderr, "aead_bench: cannot key %s\n",
				aead_backend_name(bench_backends[b]));
			return 1;
		}
		for (int op = 0; op < 2; op++) {
			for (size_t s = 0; s < ARRAY_SIZE(bench_sizes); s++) {
				struct bench_result r;

				if (run_cell(&k, bench_sizes[s], op == 1, seconds, &r) != 0) {
					fprintf(stderr, "aead_bench: %s failed at %zu bytes\n",
						aead_backend_name(bench_backends[b]),
						bench_sizes[s]);
					rc = 1;
					continue;
				}
				printf("| %s | %s | %zu | %.0f | %.0f |\n",
				       aead_backend_name(bench_backends[b]), op ? "open" : "seal",
				       bench_sizes[s], r.mb_per_s, r.ns_per_op);
				fflush(stdout);
			}
		}
		aead_key_fini(&k);
	}
	printf("\ndefault backend: %s\n", aead_backend_name(aead_default_backend()));
	return rc;
}
