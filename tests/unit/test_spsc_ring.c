/* SPDX-License-Identifier: MIT */
/*
 * include/internal/spsc_ring.h: init checks, full/empty edges, batches that
 * straddle the end of the array and the u32 wrap of the indices, then two
 * threads and then two processes (a MAP_SHARED mapping, as driftd and
 * drift-dp will use it) moving a numbered stream: every entry arrives once,
 * in order. Bounded by count, never by time.
 */
#include "internal/spsc_ring.h"

#include "tests/lib/harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	STREAM_ENTRIES = 64,
	STREAM_COUNT = 1000000,
};

static struct spsc_ring *ring_new(uint32_t entries, uint32_t entry_bytes, bool is_shared)
{
	size_t bytes = spsc_ring_bytes(entries, entry_bytes);
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_ANONYMOUS | (is_shared ? MAP_SHARED : MAP_PRIVATE), -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	if (!spsc_ring_init(mem, entries, entry_bytes)) {
		munmap(mem, bytes);
		return NULL;
	}
	return mem;
}

/* 1: sizes that are refused. */
static void test_init(void)
{
	static const struct {
		uint32_t entries, bytes;
		bool ok;
	} t[] = {{0, 8, false}, {1, 8, false}, {3, 8, false},  {96, 8, false},
		 {2, 0, false}, {2, 8, true},  {1024, 1, true}};
	static uint8_t mem[sizeof(struct spsc_ring) + 1024 * 8] __attribute__((aligned(64)));

	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		CHECK_EQ(spsc_ring_init((struct spsc_ring *)mem, t[i].entries, t[i].bytes),
			 t[i].ok);
}

/* 2: full and empty, partial grants, index wrap-around past UINT32_MAX. */
static void test_edges(void)
{
	struct spsc_ring *r = ring_new(8, sizeof(uint32_t), false);
	uint32_t at, n, v;

	if (!r) {
		CHECK(false);
		return;
	}
	CHECK_EQ(spsc_ring_peek(r, 4, &at), 0);
	CHECK_EQ(spsc_ring_reserve(r, 20, &at), 8);
	for (uint32_t i = 0; i < 8; i++)
		memcpy(spsc_ring_entry(r, at + i), &i, sizeof(i));
	spsc_ring_submit(r, 8);
	CHECK_EQ(spsc_ring_reserve(r, 1, &at), 0); /* full */
	CHECK_EQ(spsc_ring_peek(r, 3, &at), 3);
	spsc_ring_release(r, 3);
	CHECK_EQ(spsc_ring_reserve(r, 5, &at), 3); /* only what the consumer freed */
	spsc_ring_submit(r, 0);
	CHECK_EQ(spsc_ring_peek(r, 100, &at), 5);
	memcpy(&v, spsc_ring_entry(r, at), sizeof(v));
	CHECK_EQ(v, 3);
	spsc_ring_release(r, 5);
	CHECK_EQ(spsc_ring_peek(r, 1, &at), 0);

	/* Move both indices just below 2^32 and run across the wrap. */
	atomic_store(&r->p.prod, UINT32_MAX - 2);
	atomic_store(&r->c.cons, UINT32_MAX - 2);
	r->p.cons_cached = r->c.prod_cached = UINT32_MAX - 2;
	for (uint32_t round = 0; round < 3; round++) {
		n = spsc_ring_reserve(r, 6, &at);
		CHECK_EQ(n, 6);
		for (uint32_t i = 0; i < n; i++) {
			v = 100 * round + i;
			memcpy(spsc_ring_entry(r, at + i), &v, sizeof(v));
		}
		spsc_ring_submit(r, n);
		CHECK_EQ(spsc_ring_peek(r, 6, &at), 6);
		for (uint32_t i = 0; i < 6; i++) {
			memcpy(&v, spsc_ring_entry(r, at + i), sizeof(v));
			CHECK_EQ(v, 100 * round + i);
		}
		spsc_ring_release(r, 6);
	}
	CHECK(read_once(&r->p.prod) < 100); /* it did wrap */
	munmap(r, spsc_ring_bytes(8, sizeof(uint32_t)));
}

/* Producer side of the stream: numbers 0..COUNT-1 in batches of 1..17. */
static void produce(struct spsc_ring *r)
{
	uint32_t next = 0, at, n, i;

	while (next < STREAM_COUNT) {
		uint32_t want = 1 + next % 17;

		n = spsc_ring_reserve(r, want, &at);
		for (i = 0; i < n && next < STREAM_COUNT; i++, next++)
			memcpy(spsc_ring_entry(r, at + i), &next, sizeof(next));
		spsc_ring_submit(r, i);
	}
}

/* Consumer side: returns how many arrived in order (== COUNT when all is well). */
static uint32_t consume(struct spsc_ring *r)
{
	uint32_t expect = 0, at, n, v;

	while (expect < STREAM_COUNT) {
		n = spsc_ring_peek(r, 1 + expect % 23, &at);
		for (uint32_t i = 0; i < n; i++) {
			memcpy(&v, spsc_ring_entry(r, at + i), sizeof(v));
			if (v != expect)
				return expect;
			expect++;
		}
		spsc_ring_release(r, n);
	}
	return expect;
}

static void *producer_thread(void *arg)
{
	produce(arg);
	return NULL;
}

/* 3: two threads. */
static void test_threads(void)
{
	struct spsc_ring *r = ring_new(STREAM_ENTRIES, sizeof(uint32_t), false);
	pthread_t th;

	if (!r || pthread_create(&th, NULL, producer_thread, r) != 0) {
		CHECK(false);
		return;
	}
	CHECK_EQ(consume(r), STREAM_COUNT);
	pthread_join(th, NULL);
	munmap(r, spsc_ring_bytes(STREAM_ENTRIES, sizeof(uint32_t)));
}

/* 4: two processes over a MAP_SHARED mapping. */
static void test_processes(void)
{
	struct spsc_ring *r = ring_new(STREAM_ENTRIES, sizeof(uint32_t), true);
	int status = 0;
	pid_t pid;

	if (!r) {
		CHECK(false);
		return;
	}
	pid = fork();
	if (pid == 0) {
		produce(r);
		_exit(0);
	}
	CHECK(pid > 0);
	if (pid > 0) {
		CHECK_EQ(consume(r), STREAM_COUNT);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	munmap(r, spsc_ring_bytes(STREAM_ENTRIES, sizeof(uint32_t)));
}

int main(void)
{
	test_init();
	test_edges();
	test_threads();
	test_processes();
	return harness_finish();
}
