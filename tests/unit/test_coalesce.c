/* SPDX-License-Identifier: MIT */
/*
 * proto/coalesce: semantic coalescing (WIRE.md §12.4). Numbered scripts of
 * (group, seq, expected verdict) run against a fresh table, then the
 * 256-group FIFO eviction and the serial-number wrap.
 */
#include "proto/coalesce.h"

#include "tests/lib/harness.h"

enum {
	MAX_STEPS = 10,
};

struct step {
	uint32_t group, seq;
	bool is_admitted;
};

struct coalesce_case {
	const char *name;
	struct step steps[MAX_STEPS];
	int n;
};

static const struct coalesce_case cases[] = {
	/* 1 */ {"first update of a group is admitted", {{7, 1, true}}, 1},
	/* 2 */ {"newer admitted, older and equal refused",
		 {{7, 10, true}, {7, 11, true}, {7, 11, false}, {7, 9, false}, {7, 10, false},
		  {7, 20, true}, {7, 12, false}},
		 7},
	/* 3 */ {"groups are independent",
		 {{1, 50, true}, {2, 10, true}, {2, 11, true}, {1, 49, false}, {2, 10, false},
		  {3, 1, true}, {1, 51, true}},
		 7},
	/* 4 */ {"serial-number wrap: 3 is newer than 0xfffffff0",
		 {{9, 0xfffffff0, true}, {9, 3, true}, {9, 0xfffffff8, false}, {9, 2, false},
		  {9, 3u + 0x7fffffffu, true}, {9, 3, false}},
		 6},
	/* 5 */ {"exactly half the space ahead is not newer",
		 {{4, 100, true}, {4, 100 + 0x80000000u, false}, {4, 101, true}}, 3},
};

static void run_case(int num, const struct coalesce_case *c)
{
	struct coalesce_table t;

	coalesce_reset(&t);
	for (int i = 0; i < c->n; i++) {
		const struct step *s = &c->steps[i];
		bool got = coalesce_admit(&t, s->group, s->seq);

		if (got != s->is_admitted)
			fprintf(stderr, "  case %d (%s) step %d: group %u seq %u -> %d, want %d\n",
				num, c->name, i + 1, s->group, s->seq, got, s->is_admitted);
		CHECK(got == s->is_admitted);
	}
}

static void test_cases(void)
{
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		run_case((int)i + 1, &cases[i]);
}

/*
 * 6: a full table evicts the oldest-inserted group, and an update to a
 * group does not refresh its place (FIFO by insertion, as the reference).
 */
static void test_fifo_eviction(void)
{
	struct coalesce_table t;

	coalesce_reset(&t);
	for (uint32_t g = 1; g <= COALESCE_GROUPS; g++)
		CHECK(coalesce_admit(&t, g, 10));
	CHECK_EQ(t.count, COALESCE_GROUPS);
	CHECK(coalesce_admit(&t, 1, 20)); /* an update: group 1 stays oldest */
	CHECK(!coalesce_admit(&t, 1, 15));

	CHECK(coalesce_admit(&t, COALESCE_GROUPS + 1, 10)); /* evicts group 1 */
	CHECK_EQ(t.count, COALESCE_GROUPS);
	CHECK(!coalesce_admit(&t, 2, 5));		    /* group 2 still remembered */
	CHECK(!coalesce_admit(&t, COALESCE_GROUPS, 9));	    /* the newest too */
	CHECK(coalesce_admit(&t, 1, 5));		    /* forgotten: 5 passes, evicts 2 */
	CHECK(coalesce_admit(&t, 2, 5));		    /* forgotten too, evicts 3 */
	CHECK(!coalesce_admit(&t, 4, 10));		    /* 4 is now the oldest, kept */
	CHECK(!coalesce_admit(&t, COALESCE_GROUPS + 1, 10));
	CHECK(!coalesce_admit(&t, 1, 5));		    /* re-inserted, remembered */
	CHECK_EQ(t.count, COALESCE_GROUPS);
}

/* 7: many laps of the ring keep exactly the last 256 groups. */
static void test_many_laps(void)
{
	struct coalesce_table t;
	const uint32_t total = 5 * COALESCE_GROUPS + 3;
	unsigned remembered = 0, forgotten = 0;

	coalesce_reset(&t);
	for (uint32_t g = 1; g <= total; g++)
		CHECK(coalesce_admit(&t, g, 100));
	/* Probe the newest groups first so re-inserting the forgotten ones evicts nothing we test. */
	for (uint32_t g = total; g > total - COALESCE_GROUPS; g--)
		remembered += !coalesce_admit(&t, g, 100);
	for (uint32_t g = 1; g <= 8; g++)
		forgotten += coalesce_admit(&t, g, 1);
	CHECK_EQ(remembered, COALESCE_GROUPS);
	CHECK_EQ(forgotten, 8);
	CHECK_EQ(t.count, COALESCE_GROUPS);
}

/* 8: reset forgets everything. */
static void test_reset(void)
{
	struct coalesce_table t;

	coalesce_reset(&t);
	CHECK(coalesce_admit(&t, 5, 50));
	CHECK(!coalesce_admit(&t, 5, 40));
	coalesce_reset(&t);
	CHECK_EQ(t.count, 0);
	CHECK(coalesce_admit(&t, 5, 40));
}

int main(void)
{
	test_cases();
	test_fifo_eviction();
	test_many_laps();
	test_reset();
	return harness_finish();
}
