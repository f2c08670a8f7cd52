/*
 * Unit tests for record.c: the header's golden bytes, the round trip, and
 * the verdicts for another run's records and for altered bytes.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench/record.h"
#include "tests/unit/unit_main.h"

#define SIZE 1024

START_TEST(test_golden_header)
{
	uint8_t buf[RECORD_HEADER];
	static const uint8_t want[RECORD_HEADER] = {
		0x53, 0x4C, 0x42, 0x4E,                         /* "SLBN" */
		0x01, 0x02, 0x03, 0x04,                         /* run */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, /* seq 256 */
		0x00, 0x00, 0x00, 0x02, 0x54, 0x0B, 0xE4, 0x00, /* 10 s in ns */
	};
	record_stamp(buf, 0x01020304u, 256, UINT64_C(10000000000));
	ck_assert_mem_eq(buf, want, RECORD_HEADER);
	uint32_t run;
	uint64_t seq, ns;
	record_header(buf, &run, &seq, &ns);
	ck_assert_uint_eq(run, 0x01020304u);
	ck_assert_uint_eq(seq, 256);
	ck_assert_uint_eq(ns, UINT64_C(10000000000));
}
END_TEST

START_TEST(test_fill_deterministic)
{
	uint8_t a[SIZE], b[SIZE], c[SIZE];
	record_fill(a, SIZE, 7);
	record_fill(b, SIZE, 7);
	record_fill(c, SIZE, 8);
	ck_assert_mem_eq(a, b, SIZE);
	ck_assert(memcmp(a, c, SIZE) != 0);
	/* Not a constant: the bytes must not compress to nothing. */
	int distinct = 0;
	for (int i = 1; i < SIZE; i++)
		distinct += a[i] != a[i - 1];
	ck_assert_int_gt(distinct, SIZE / 2);
}
END_TEST

START_TEST(test_check_verdicts)
{
	uint8_t pattern[SIZE], value[SIZE];
	uint64_t seq = 0, ns = 0;
	record_fill(pattern, SIZE, 42);
	memcpy(value, pattern, SIZE);
	record_stamp(value, 9, 77, 123456789);

	ck_assert_int_eq(record_check(value, SIZE, 9, pattern, SIZE, &seq, &ns), RECORD_OK);
	ck_assert_uint_eq(seq, 77);
	ck_assert_uint_eq(ns, 123456789);
	/* Another run. */
	ck_assert_int_eq(record_check(value, SIZE, 10, pattern, SIZE, &seq, &ns), RECORD_FOREIGN);
	/* Too short for a header, or no value at all. */
	ck_assert_int_eq(record_check(value, 10, 9, pattern, SIZE, &seq, &ns), RECORD_FOREIGN);
	ck_assert_int_eq(record_check(NULL, 0, 9, pattern, SIZE, &seq, &ns), RECORD_FOREIGN);
	/* This run's header but a truncated body. */
	ck_assert_int_eq(record_check(value, SIZE - 1, 9, pattern, SIZE, &seq, &ns), RECORD_CORRUPT);
	/* One flipped bit in the body. */
	value[SIZE - 1] ^= 0x10;
	ck_assert_int_eq(record_check(value, SIZE, 9, pattern, SIZE, &seq, &ns), RECORD_CORRUPT);
	value[SIZE - 1] ^= 0x10;
	/* A flipped magic makes it not ours at all. */
	value[0] ^= 1;
	ck_assert_int_eq(record_check(value, SIZE, 9, pattern, SIZE, &seq, &ns), RECORD_FOREIGN);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_golden_header);
	tcase_add_test(tc, test_fill_deterministic);
	tcase_add_test(tc, test_check_verdicts);
	suite_add_tcase(s, tc);
	return s;
}
