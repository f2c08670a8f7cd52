/*
 * Unit tests for hist.c: exact small values, the 1/128 error bound on large
 * ones, percentiles of a uniform spread, merge.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "tools/bench/hist.h"
#include "tests/unit/unit_main.h"

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof *h);
	ck_assert_ptr_nonnull(h);
	hist_reset(h);
	return h;
}

START_TEST(test_empty)
{
	struct hist *h = hist_new();
	ck_assert_uint_eq(hist_percentile(h, 50), 0);
	ck_assert_uint_eq(hist_percentile(h, 100), 0);
	ck_assert(hist_mean(h) == 0);
	free(h);
}
END_TEST

START_TEST(test_small_exact)
{
	struct hist *h = hist_new();
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(h, v);
	ck_assert_uint_eq(h->count, 100);
	ck_assert_uint_eq(hist_percentile(h, 0), 1);
	ck_assert_uint_eq(hist_percentile(h, 50), 50);
	ck_assert_uint_eq(hist_percentile(h, 99), 99);
	ck_assert_uint_eq(hist_percentile(h, 99.9), 100);
	ck_assert_uint_eq(hist_percentile(h, 100), 100);
	ck_assert(hist_mean(h) == 50.5);
	free(h);
}
END_TEST

/* Values whose bucket must report them within 1/128 above, never below. */
static const uint64_t bound_values[] = {
	255, 256, 257, 1000, 4097, 123456, 999999937, UINT64_C(1) << 40,
	(UINT64_C(1) << 40) + 12345, UINT64_C(9000000000000000000),
};

START_TEST(test_error_bound)
{
	uint64_t v = bound_values[_i];
	struct hist *h = hist_new();
	/* A larger second value keeps the max cap from hiding the bucket top. */
	hist_record(h, v);
	hist_record(h, v + v / 2);
	uint64_t p = hist_percentile(h, 50);
	ck_assert_uint_ge(p, v);
	ck_assert_uint_le(p - v, v / 128);
	free(h);
}
END_TEST

START_TEST(test_uniform)
{
	struct hist *h = hist_new();
	for (uint64_t v = 1; v <= 1000000; v++)
		hist_record(h, v);
	static const struct { double q; uint64_t want; } cases[] = {
		{ 50, 500000 }, { 90, 900000 }, { 99, 990000 }, { 99.9, 999000 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t p = hist_percentile(h, cases[i].q);
		ck_assert_uint_ge(p, cases[i].want);
		ck_assert_uint_le(p, cases[i].want + cases[i].want / 128);
	}
	ck_assert_uint_eq(hist_percentile(h, 100), 1000000);
	ck_assert_uint_eq(h->min, 1);
	free(h);
}
END_TEST

START_TEST(test_merge)
{
	struct hist *a = hist_new(), *b = hist_new(), *both = hist_new();
	for (uint64_t v = 1; v <= 5000; v++) {
		hist_record(v % 3 ? a : b, v * 1000);
		hist_record(both, v * 1000);
	}
	hist_merge(a, b);
	ck_assert_uint_eq(a->count, both->count);
	ck_assert_uint_eq(a->min, both->min);
	ck_assert_uint_eq(a->max, both->max);
	ck_assert(hist_mean(a) == hist_mean(both));
	for (double q = 1; q <= 100; q += 7)
		ck_assert_uint_eq(hist_percentile(a, q), hist_percentile(both, q));
	free(a);
	free(b);
	free(both);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_small_exact);
	tcase_add_loop_test(tc, test_error_bound, 0,
			    (int)(sizeof bound_values / sizeof bound_values[0]));
	tcase_add_test(tc, test_uniform);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}
