/*
 * CRC-32C against published test vectors (RFC 3720 appendix B.4 and the
 * "123456789" check value), every length and alignment the three-way
 * hardware loops handle against a bit-at-a-time reference, and
 * crc32c_combine against hashing the joined buffer.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "tests/unit/unit_main.h"

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

/* Bit-at-a-time CRC-32C: the definition, sharing no code or table with
 * the implementation under test. */
static uint32_t crc32c_ref(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

/* Deterministic bytes that differ at every position (xorshift). */
static void crc_fill(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed | 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

/* Lengths around the edges of the three-way loops (3 x 256 and 3 x 8192
 * bytes per step) and well past them. */
static const size_t crc_long_lens[] = {
	767, 768, 769, 775, 776, 1535, 1536, 1543, 3000, 24575, 24576,
	24577, 24583, 24584, 25343, 25344, 25351, 49152, 49159, 49920,
	100000, 262144 + 771, 1048576 + 5,
};

START_TEST(test_crc32c_long_unaligned)
{
	size_t len = crc_long_lens[_i];
	uint8_t *buf = malloc(len + 8);
	ck_assert_ptr_nonnull(buf);
	for (size_t off = 0; off < 8; off++) {
		crc_fill(buf + off, len, (uint32_t)(len * 8 + off));
		uint32_t want = crc32c_ref(buf + off, len);
		ck_assert_msg(crc32c(buf + off, len) == want,
			      "len %zu offset %zu: got %08x want %08x", len,
			      off, crc32c(buf + off, len), want);
		/* one flipped bit in the middle chain must change the CRC */
		buf[off + len / 2] ^= 0x10;
		ck_assert_uint_ne(crc32c(buf + off, len), want);
		buf[off + len / 2] ^= 0x10;
	}
	free(buf);
}
END_TEST

START_TEST(test_crc32c_long_extend)
{
	size_t len = 3 * 8192 * 3 + 1000;
	uint8_t *buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	crc_fill(buf, len, 77);
	uint32_t want = crc32c_ref(buf, len);
	for (size_t cut = 0; cut <= len; cut += 4099) {
		uint32_t c = crc32c_extend(0, buf, cut);
		ck_assert_uint_eq(crc32c_extend(c, buf + cut, len - cut), want);
	}
	free(buf);
}
END_TEST

START_TEST(test_crc32c_combine)
{
	size_t len = 70000;
	uint8_t *buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	crc_fill(buf, len, 5);
	uint32_t whole = crc32c_ref(buf, len);
	static const size_t cuts[] = { 0, 1, 7, 21, 768, 8192, 24576, 69999, 70000 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		size_t cut = cuts[i];
		uint32_t a = crc32c(buf, cut);
		uint32_t b = crc32c(buf + cut, len - cut);
		ck_assert_msg(crc32c_combine(a, b, len - cut) == whole,
			      "cut %zu: got %08x want %08x", cut,
			      crc32c_combine(a, b, len - cut), whole);
	}
	/* "123456789" joined from "1234" and "56789" */
	ck_assert_uint_eq(crc32c_combine(crc32c("1234", 4), crc32c("56789", 5), 5),
			  0xe3069283);
	free(buf);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_crc32c_rfc3720, 0,
			    sizeof crc_vectors / sizeof crc_vectors[0]);
	tcase_add_test(tc, test_crc32c_check_value);
	tcase_add_test(tc, test_crc32c_extend_splits);
	suite_add_tcase(s, tc);
	TCase *tl = tcase_create("long");
	tcase_add_loop_test(tl, test_crc32c_long_unaligned, 0,
			    sizeof crc_long_lens / sizeof crc_long_lens[0]);
	tcase_add_test(tl, test_crc32c_long_extend);
	tcase_add_test(tl, test_crc32c_combine);
	tcase_set_timeout(tl, 60);
	suite_add_tcase(s, tl);
	return s;
}
