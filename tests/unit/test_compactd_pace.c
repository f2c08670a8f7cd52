/*
 * compactd's pacing (compactd/pace.c): a token bucket with one second of
 * burst that may go into debt; over time transfers start no faster than
 * the configured rate.
 */
#include <check.h>
#include <stdlib.h>

#include "compactd/pace.h"
#include "tests/unit/unit_main.h"

START_TEST(test_burst_then_rate)
{
	struct pace p;
	pace_init(&p, 1000000, 0); /* 1 MB/s */
	/* the first second's worth goes at once, the next waits */
	ck_assert_int_eq(pace_delay(&p, 600000, 0), 0);
	ck_assert_int_eq(pace_delay(&p, 400000, 0), 0);
	ck_assert_int_eq(pace_delay(&p, 500000, 0), 0); /* starts, in debt */
	int64_t d = pace_delay(&p, 500000, 0);
	ck_assert_int_ge(d, 499);
	ck_assert_int_le(d, 501);
	/* after waiting, the next must wait for the debt of the last */
	d = pace_delay(&p, 1, 500);
	ck_assert_int_ge(d, 499);
	ck_assert_int_le(d, 501);
	/* PUTs are sent at the same rate */
	ck_assert_uint_eq(pace_bytes_per_sec(&p), 1000000);
	pace_init(&p, 64ll << 20, 0);
	ck_assert_uint_eq(pace_bytes_per_sec(&p), 64ull << 20);
}
END_TEST

START_TEST(test_long_run_rate)
{
	/* 200 transfers of 100 KB, each started when allowed: 20 MB at
	 * 2 MB/s take about 9 s after the first second's burst */
	struct pace p;
	pace_init(&p, 2000000, 0);
	int64_t now = 0;
	for (int i = 0; i < 200; i++)
		now += pace_delay(&p, 100000, now);
	ck_assert_int_ge(now, 8900);
	ck_assert_int_le(now, 9100);
	/* idle time refills at most one second of burst: twenty transfers,
	 * and one more that starts with the bucket at zero and leaves it in
	 * debt */
	now += 60000;
	int free_ones = 0;
	while (pace_delay(&p, 100000, now) == 0)
		free_ones++;
	ck_assert_int_eq(free_ones, 21);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("compactd_pace");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_burst_then_rate);
	tcase_add_test(tc, test_long_run_rate);
	suite_add_tcase(s, tc);
	return s;
}
