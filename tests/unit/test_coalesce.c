/* SPDX-License-Identifier: MIT */
/*
 * proto/coalesce: semantic coalescing (WIRE.md §12.4). Numbered scripts of
 * (group, seq, expected verdict) run against a fresh table, then the
 * 256-group FIFO eviction and the serial-number wrap.
 */
#include "proto/coalesce.h"

#include "tests/lib/harness.h"

static const char *const case_names[] = {
	[1] = "first update of a group is admitted",
	[2] = "newer admitted, older and equal refused",
	[3] = "groups are independent",
	[4] = "serial-number wrap: 3 is newer than 0xfffffff0",
	[5] = "exactly half the space ahead is not newer",
};

/* One step of a case, run against a table reset when the case number changes. */
struct step {
	int num;
	uint32_t group, seq;
	bool is_admitted;
};

static const struct step steps[] = {
	{1, 7, 1, true},

	{2, 7, 10, true},
	{2, 7, 11, true},
	{2, 7, 11, false},
	{2, 7, 9, false},
	{2, 7, 10, false},
	{2, 7, 20, true},
	{2, 7, 12, false},

	{3, 1, 50, true},
	{3, 2, 10, true},
	{3, 2, 11, true},
	{3, 1, 49, false},
	{3, 2, 10, false},
	{3, 3, 1, true},
	{3, 1, 51, true},

	{4, 9, 0xfffffff0, true},
	{4, 9, 3, true},
	{4, 9, 0xfffffff8, false},
	{4, 9, 2, false},
	{4, 9, 3u + 0x7fffffffu, true},
	{4, 9, 3, false},

	{5, 4, 100, true},
	{5, 4, 100 + 0x80000000u, false},
	{5, 4, 101, true},
};

static void test_cases(void)
{
	struct coalesce_table t;
	int num = 0;

	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		const struct step *s = &steps[i];
		bool got;

		if (s->num != num) {
			num = s->num;
			coalesce_reset(&t);
		}
		got = coalesce_admit(&t, s->group, s->seq);
		if (got != s->is_admitted)
			fprintf(stderr, "  case %d (%s): group %u seq %u -> %d, want %d\n", num,
				case_names[num], s->group, s->seq, got, s->is_admitted);
		CHECK(got == s->is_admitted);
	}
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
	CHECK(!coalesce_admit(&t, 2, 5));		/* group 2 still remembered */
	CHECK(!coalesce_admit(&t, COALESCE_GROUPS, 9)); /* the newest too */
	CHECK(coalesce_admit(&t, 1, 5));		/* forgotten: 5 passes, evicts 2 */
	CHECK(coalesce_admit(&t, 2, 5));		/* forgotten too, evicts 3 */
	CHECK(!coalesce_admit(&t, 4, 10));		/* 4 is now the oldest, kept */
	CHECK(!coalesce_admit(&t, COALESCE_GROUPS + 1, 10));
	CHECK(!coalesce_admit(&t, 1, 5)); /* re-inserted, remembered */
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
