/*
 * Unit tests of common/copy_stream.c: the non-temporal copy gives exactly
 * memcpy's result for every destination alignment and length around the
 * threshold, the 128-byte rounds and the tail, and writes nothing outside
 * [dst, dst + n).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/copy_stream.h"
#include "tests/unit/unit_main.h"

#define GUARD 64

static const size_t lengths[] = {
	0, 1, 15, 64, COPY_STREAM_MIN - 1, COPY_STREAM_MIN, COPY_STREAM_MIN + 1,
	COPY_STREAM_MIN + 15, COPY_STREAM_MIN + 63, COPY_STREAM_MIN + 127,
	COPY_STREAM_MIN + 128,
	(1u << 20) + 21, (3u << 20) + 4095,
};

START_TEST(test_matches_memcpy)
{
	size_t n = lengths[_i];
	uint8_t *src = malloc(n + 32);
	uint8_t *dst = malloc(n + 2 * GUARD + 128);
	ck_assert(src && dst);
	for (size_t k = 0; k < n + 32; k++)
		src[k] = (uint8_t)(k * 131 + (k >> 9));
	for (size_t so = 0; so < 3; so++) {
		for (size_t doff = 0; doff < 66; doff++) {
			memset(dst, 0xa5, n + 2 * GUARD + 128);
			uint8_t *d = dst + GUARD + doff;
			copy_stream(d, src + so, n);
			ck_assert_msg(!memcmp(d, src + so, n),
				      "n %zu, src +%zu, dst +%zu: bytes differ", n, so, doff);
			for (size_t g = 0; g < GUARD + doff; g++)
				ck_assert_uint_eq(dst[g], 0xa5);
			for (size_t g = 0; g < GUARD; g++)
				ck_assert_uint_eq(d[n + g], 0xa5);
		}
	}
	free(src);
	free(dst);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("copy_stream");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_matches_memcpy, 0, sizeof lengths / sizeof lengths[0]);
	suite_add_tcase(s, tc);
	return s;
}
