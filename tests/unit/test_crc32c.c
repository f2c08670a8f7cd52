/*
 * CRC-32C against published test vectors (RFC 3720 appendix B.4 and the
 * "123456789" check value), and the hardware path against the software one
 * by splitting buffers at every alignment.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"

struct crc_vector {
	const char *name;
	size_t len;
	uint8_t fill; /* 0xff marks "ascending", 0xfe "descending" */
	uint32_t crc;
};

static const struct crc_vector crc_vectors[] = {
	{"32 zero bytes", 32, 0x00, 0x8a9136aa},
	{"32 0xff bytes", 32, 0xff, 0x62a8ab43},
	{"ascending 0..31", 32, 0x01, 0x46dd794e},
	{"descending 31..0", 32, 0x02, 0x113fdb5c},
};

START_TEST(test_crc32c_rfc3720)
{
	const struct crc_vector *v = &crc_vectors[_i];
	uint8_t buf[32];
	for (size_t i = 0; i < v->len; i++)
		buf[i] = v->fill == 0x01 ? (uint8_t)i
			 : v->fill == 0x02 ? (uint8_t)(31 - i)
					   : v->fill;
	ck_assert_msg(crc32c(buf, v->len) == v->crc, "%s: got %08x want %08x",
		      v->name, crc32c(buf, v->len), v->crc);
}
END_TEST

START_TEST(test_crc32c_check_value)
{
	ck_assert_uint_eq(crc32c("123456789", 9), 0xe3069283);
	ck_assert_uint_eq(crc32c("", 0), 0);
}
END_TEST

START_TEST(test_crc32c_extend_splits)
{
	uint8_t buf[1027];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	uint32_t whole = crc32c(buf, sizeof buf);
	for (size_t cut = 0; cut <= sizeof buf; cut += 13) {
		uint32_t c = crc32c_extend(0, buf, cut);
		c = crc32c_extend(c, buf + cut, sizeof buf - cut);
		ck_assert_uint_eq(c, whole);
	}
	/* unaligned starts take the byte-wise prologue */
	for (size_t off = 1; off < 8; off++) {
		uint8_t *copy = malloc(sizeof buf + 8);
		memcpy(copy + off, buf, sizeof buf);
		ck_assert_uint_eq(crc32c(copy + off, sizeof buf), whole);
		free(copy);
	}
}
END_TEST

static Suite *crc32c_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_crc32c_rfc3720, 0,
			    sizeof crc_vectors / sizeof crc_vectors[0]);
	tcase_add_test(tc, test_crc32c_check_value);
	tcase_add_test(tc, test_crc32c_extend_splits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crc32c_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
