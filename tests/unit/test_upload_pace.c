/*
 * Unit tests of uploaderd/upload_pace.c: the send rate of a region's PUT.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/unit/unit_main.h"
#include "uploaderd/upload_pace.h"

#define MiB (1ull << 20)

static const struct {
	const char *name;
	uint64_t len;
	int64_t fill_ms;
	int backlog;
	uint64_t rate; /* expected bytes per second, 0 = no limit */
} pace_cases[] = {
	/* 64 MiB filled in 3.2 s (20 MiB/s): sent over 2.4 s */
	{"steady load", 64 * MiB, 3200, 0, 64 * MiB * 1000 / 2400},
	{"a region waits behind it", 64 * MiB, 3200, 1, 0},
	{"fill time unknown (first region)", 64 * MiB, 0, 0, 0},
	{"clock went back", 64 * MiB, -5, 0, 0},
	{"small object", UPLOAD_PACE_MIN_BYTES - 1, 3200, 0, 0},
	{"smallest paced object", UPLOAD_PACE_MIN_BYTES, 4000,
	 0, UPLOAD_PACE_MIN_BYTES / 3},
	/* a slow fill: never longer than UPLOAD_PACE_MAX_MS */
	{"slow fill", 64 * MiB, 60000, 0, 64 * MiB * 1000 / UPLOAD_PACE_MAX_MS},
	/* a fast fill leaves less than UPLOAD_PACE_MIN_MS: full speed */
	{"fast fill", 64 * MiB, UPLOAD_PACE_MIN_MS * 4 / 3 - 2, 0, 0},
	{"fast fill at the limit", 64 * MiB, UPLOAD_PACE_MIN_MS * 4 / 3 + 1, 0,
	 64 * MiB * 1000 / UPLOAD_PACE_MIN_MS},
};

START_TEST(test_pace)
{
	uint64_t r = upload_pace_rate(pace_cases[_i].len, pace_cases[_i].fill_ms,
				      pace_cases[_i].backlog);
	ck_assert_msg(r == pace_cases[_i].rate, "%s: %llu, expected %llu",
		      pace_cases[_i].name, (unsigned long long)r,
		      (unsigned long long)pace_cases[_i].rate);
}
END_TEST

/* Whatever the inputs, a paced PUT ends within UPLOAD_PACE_MAX_MS. */
START_TEST(test_pace_bounded)
{
	for (uint64_t len = UPLOAD_PACE_MIN_BYTES; len < (8ull << 30); len *= 3)
		for (int64_t fill = 1; fill < 100000000; fill = fill * 7 + 3) {
			uint64_t r = upload_pace_rate(len, fill, 0);
			if (r)
				ck_assert_uint_le(len * 1000 / r, UPLOAD_PACE_MAX_MS);
		}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("upload_pace");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_pace, 0, sizeof pace_cases / sizeof pace_cases[0]);
	tcase_add_test(tc, test_pace_bounded);
	suite_add_tcase(s, tc);
	return s;
}
