/*
 * Unit tests for pace.c on a simulated clock: the long-run rate, the burst
 * cap after a stall, the next-token time and the max argument.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "tools/bench/pace.h"
#include "tests/unit/unit_main.h"

#define MS 1000000u

START_TEST(test_first_token)
{
	struct pace p;
	pace_init(&p, 1000, 5, 0);
	ck_assert_uint_eq(pace_take(&p, 0, 100), 0);
	ck_assert_uint_eq(pace_next_ns(&p), 1 * MS);
	ck_assert_uint_eq(pace_take(&p, 1 * MS - 1, 100), 0);
	ck_assert_uint_eq(pace_take(&p, 1 * MS, 100), 1);
	ck_assert_uint_eq(pace_next_ns(&p), 2 * MS);
}
END_TEST

/* Polled at uneven intervals, the count still follows the clock. */
START_TEST(test_rate)
{
	static const uint64_t steps[] = { 37000, 50000, 113000, 999000, 3 * MS };
	struct pace p;
	pace_init(&p, 20000, 100, 0);   /* 20k/s, bursts of 5 ms */
	uint64_t now = 0, taken = 0;
	for (int i = 0; now < 1000 * MS; i++) {
		now += steps[i % 5];
		taken += pace_take(&p, now, UINT64_MAX);
	}
	double want = 20000.0 * (double)now / 1e9;
	ck_assert(taken <= want + 0.5 && taken >= want - 1);
}
END_TEST

START_TEST(test_burst_cap)
{
	struct pace p;
	pace_init(&p, 1000, 5, 0);
	/* A 1 s stall earns 1000 tokens, the bucket keeps 5. */
	ck_assert_uint_eq(pace_take(&p, 1000 * MS, UINT64_MAX), 5);
	ck_assert_uint_eq(pace_take(&p, 1000 * MS, UINT64_MAX), 0);
	ck_assert_uint_eq(pace_next_ns(&p), 1001 * MS);
}
END_TEST

START_TEST(test_max)
{
	struct pace p;
	pace_init(&p, 1000, 10, 0);
	ck_assert_uint_eq(pace_take(&p, 10 * MS, 3), 3);
	/* The rest stays in the bucket. */
	ck_assert_uint_eq(pace_next_ns(&p), 10 * MS);
	ck_assert_uint_eq(pace_take(&p, 10 * MS, 100), 7);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_first_token);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_burst_cap);
	tcase_add_test(tc, test_max);
	suite_add_tcase(s, tc);
	return s;
}
